/*
 * trips/logic.c - merge patch, status rules, splitting, settling and sync
 * strategies (see logic.h). Pure functions over jansson values and
 * integers; all arithmetic on money is exact (int64, overflow checked).
 */
#include "trips/logic.h"

#include <stdlib.h>
#include <string.h>

json_t *trips_merge_patch(const json_t *target, const json_t *patch)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v) {
        if (json_is_null(v)) {
            json_object_del(out, k);
            continue;
        }
        json_t *merged = trips_merge_patch(json_object_get(out, k), v);
        json_object_set_new(out, k, merged);
    }
    return out;
}

static const char *const status_names[] = {"PLANNING", "ACTIVE", "COMPLETED", "CANCELLED"};

int trips_status_parse(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, status_names[i]) == 0)
            return i;
    return -1;
}

const char *trips_status_name(trip_status_t s)
{
    return (unsigned)s < 4 ? status_names[s] : "PLANNING";
}

bool trips_status_allowed(trip_status_t from, trip_status_t to)
{
    if (from == to)
        return true;
    switch (from) {
    case TS_PLANNING:
        return to == TS_ACTIVE || to == TS_CANCELLED;
    case TS_ACTIVE:
        return to == TS_PLANNING || to == TS_COMPLETED || to == TS_CANCELLED;
    case TS_CANCELLED:
        return to == TS_PLANNING;
    case TS_COMPLETED:
        return false;
    }
    return false;
}

/* ---- money ---------------------------------------------------------------- */

int trips_split(int64_t amount, const int64_t *weights, size_t n, int64_t *out)
{
    if (n == 0 || amount < 0)
        return -1;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t w = weights ? weights[i] : 1;
        if (w < 0 || __builtin_add_overflow(total, w, &total))
            return -1;
    }
    if (total == 0)
        return -1;
    /* share_i = amount * w_i / total, computed in 128 bits; rem_i is the
     * fractional part's numerator, used to hand out the remainder. */
    __int128 *rem = calloc(n, sizeof *rem);
    if (!rem)
        return -1;
    int64_t given = 0;
    for (size_t i = 0; i < n; i++) {
        __int128 num = (__int128)amount * (weights ? weights[i] : 1);
        out[i] = (int64_t)(num / total);
        rem[i] = num % total;
        given += out[i];
    }
    for (int64_t left = amount - given; left > 0; left--) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (rem[i] >= 0 && (best == n || rem[i] > rem[best]))
                best = i;
        out[best]++;
        rem[best] = -1; /* each participant gets at most one extra unit */
    }
    free(rem);
    return 0;
}

int trips_settle(const int64_t *net, size_t n, trips_transfer_t *out)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (__builtin_add_overflow(sum, net[i], &sum))
            return -1;
    if (sum != 0)
        return -1;
    int64_t *bal = malloc((n ? n : 1) * sizeof *bal);
    if (!bal)
        return -1;
    memcpy(bal, net, n * sizeof *bal);
    int count = 0;
    for (;;) {
        size_t d = n, c = n; /* largest debtor, largest creditor */
        for (size_t i = 0; i < n; i++) {
            if (bal[i] < 0 && (d == n || bal[i] < bal[d]))
                d = i;
            if (bal[i] > 0 && (c == n || bal[i] > bal[c]))
                c = i;
        }
        if (d == n || c == n)
            break;
        int64_t amt = -bal[d] < bal[c] ? -bal[d] : bal[c];
        out[count++] = (trips_transfer_t){.from = d, .to = c, .amount = amt};
        bal[d] += amt;
        bal[c] -= amt;
    }
    free(bal);
    return count;
}

/* ---- sync ------------------------------------------------------------------ */

int trips_strategy_parse(const char *s)
{
    static const char *const names[] = {"server-wins", "client-wins", "last-write-wins", "merge"};
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

bool trips_lww_client_wins(int64_t server_ts, const char *server_tag, int64_t client_ts,
                           const char *client_tag)
{
    if (client_ts != server_ts)
        return client_ts > server_ts;
    return strcmp(client_tag ? client_tag : "", server_tag ? server_tag : "") > 0;
}

json_t *trips_merge_fields(const json_t *base, const json_t *current, const json_t *patch,
                           json_t **conflicts)
{
    json_t *out = json_deep_copy(current);
    *conflicts = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)patch, k, v) {
        json_t *cur = json_object_get(current, k);
        json_t *old = base ? json_object_get(base, k) : NULL;
        bool client_changed = !base || !json_equal(v, old ? old : json_null());
        bool server_changed = !base || !json_equal(cur ? cur : json_null(), old ? old : json_null());
        if (!client_changed || json_equal(v, cur ? cur : json_null()))
            continue;
        if (server_changed) {
            json_array_append_new(*conflicts, json_string(k));
            continue;
        }
        json_object_set(out, k, v);
    }
    return out;
}

/* ---- text -------------------------------------------------------------------- */

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

void trips_rfc3339(int64_t unix_ms, char out[25])
{
    int64_t secs = unix_ms / 1000;
    int ms = (int)(unix_ms % 1000);
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    /* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    int yy = (int)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    put2(out, yy / 100);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, (int)(rem / 3600));
    out[13] = ':';
    put2(out + 14, (int)(rem / 60 % 60));
    out[16] = ':';
    put2(out + 17, (int)(rem % 60));
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    put2(out + 21, ms % 100);
    out[23] = 'Z';
    out[24] = '\0';
}

size_t trips_itoa(int64_t v, char *out)
{
    char tmp[24];
    size_t n = 0, k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    out[k] = '\0';
    return k;
}
