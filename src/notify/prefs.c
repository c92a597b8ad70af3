/*
 * prefs.c - notification preferences: category x channel switches and quiet
 * hours in the user's IANA time zone.
 *
 * The document is {"categories": {cat: {channel: bool}}, "quietHours":
 * {"start": "22:00", "end": "07:00", "timeZone": "Europe/Paris"} | null},
 * stored whole in notification_prefs.prefs. Zones are loaded once (on the
 * thread pool, they are files) and cached for the life of the process in
 * a mutex-protected list; cached zones are immutable and shared.
 */
#include "notify/notify.h"

#include "api/acc_util.h"
#include "core/loopctx.h"
#include "queue/cron_tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *notify_prefs_default(void)
{
    json_t *cats = json_object();
    for (int i = 0; notify_categories[i]; i++) {
        const char *c = notify_categories[i];
        bool mk = strcmp(c, "marketing") == 0, safety = strcmp(c, "safety") == 0;
        bool chat = strcmp(c, "chat") == 0; /* chat: push + in-app, no e-mail per message */
        json_object_set_new(cats, c,
                            json_pack("{s:b, s:b, s:b, s:b}", "push", !mk, "email", !mk && !chat,
                                      "sms", safety, "inApp", 1));
    }
    return json_pack("{s:o, s:n}", "categories", cats, "quietHours");
}

/* "HH:MM" -> minutes after midnight, or -1. */
static int parse_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

/* ---- zone cache ------------------------------------------------------------ */

typedef struct zone {
    struct zone *next;
    char name[64];
    cron_tz_t *tz;
} zone_t;

static pthread_mutex_t zones_mu = PTHREAD_MUTEX_INITIALIZER;
static zone_t *zones;

typedef struct {
    const char *name;
    cron_tz_t *tz;
} zone_load_t;

static void zone_load_job(void *arg)
{
    zone_load_t *z = arg;
    if (cron_tz_load(z->name, &z->tz) < 0)
        z->tz = NULL;
}

/* A cached zone (never freed while the process runs) or NULL when unknown. */
static const cron_tz_t *zone_get(const char *name)
{
    if (!name || strlen(name) >= sizeof zones->name)
        return NULL;
    pthread_mutex_lock(&zones_mu);
    for (zone_t *z = zones; z; z = z->next)
        if (strcmp(z->name, name) == 0) {
            pthread_mutex_unlock(&zones_mu);
            return z->tz;
        }
    pthread_mutex_unlock(&zones_mu);
    zone_load_t l = {name, NULL};
    if (loop_run_blocking(zone_load_job, &l) < 0 || !l.tz)
        return NULL;
    zone_t *z = calloc(1, sizeof *z);
    if (!z) {
        cron_tz_free(l.tz);
        return NULL;
    }
    snprintf(z->name, sizeof z->name, "%s", name);
    z->tz = l.tz;
    pthread_mutex_lock(&zones_mu);
    z->next = zones;
    zones = z;
    pthread_mutex_unlock(&zones_mu);
    return z->tz;
}

/* ---- merge and checks ---------------------------------------------------------- */

static int merge_categories(json_t *cats, json_t *patch, apierr_t *err)
{
    if (!json_is_object(patch))
        return acc_invalid(err, "categories", "must be an object");
    const char *cat;
    json_t *chs;
    json_object_foreach(patch, cat, chs) {
        char field[96];
        snprintf(field, sizeof field, "categories.%.40s", cat);
        if (!notify_category_valid(cat))
            return acc_invalid(err, field, "is not one of chat, booking, trip, safety, marketing");
        if (!json_is_object(chs))
            return acc_invalid(err, field, "must be an object of channel switches");
        const char *ch;
        json_t *v;
        json_object_foreach(chs, ch, v) {
            bool known = false;
            for (int i = 0; notify_channels[i]; i++)
                known = known || strcmp(ch, notify_channels[i]) == 0;
            snprintf(field, sizeof field, "categories.%.40s.%.40s", cat, ch);
            if (!known)
                return acc_invalid(err, field, "is not one of push, email, sms, inApp");
            if (!json_is_boolean(v))
                return acc_invalid(err, field, "must be true or false");
        }
    }
    json_object_foreach(patch, cat, chs) {
        json_t *dst = json_object_get(cats, cat);
        const char *ch;
        json_t *v;
        json_object_foreach(chs, ch, v)
            json_object_set_new(dst, ch, json_boolean(json_is_true(v)));
    }
    return 0;
}

static int check_quiet(json_t *q, apierr_t *err)
{
    if (json_is_null(q))
        return 0;
    if (!json_is_object(q))
        return acc_invalid(err, "quietHours", "must be an object or null");
    const char *k;
    json_t *v;
    json_object_foreach(q, k, v) {
        if (strcmp(k, "start") && strcmp(k, "end") && strcmp(k, "timeZone"))
            return acc_invalid(err, "quietHours", "unknown field %.40s", k);
    }
    int s = parse_hhmm(json_string_value(json_object_get(q, "start")));
    int e = parse_hhmm(json_string_value(json_object_get(q, "end")));
    if (s < 0)
        return acc_invalid(err, "quietHours.start", "must be HH:MM (00:00-23:59)");
    if (e < 0)
        return acc_invalid(err, "quietHours.end", "must be HH:MM (00:00-23:59)");
    if (s == e)
        return acc_invalid(err, "quietHours.end", "must differ from start");
    const char *tz = json_string_value(json_object_get(q, "timeZone"));
    if (!tz || !*tz || !zone_get(tz))
        return acc_invalid(err, "quietHours.timeZone", "must be an IANA time zone name");
    return 0;
}

int notify_prefs_merge(json_t *prefs, json_t *patch, apierr_t *err)
{
    if (!json_is_object(patch))
        return apierr_set(err, 400, "bad_request", "the body must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach(patch, k, v) {
        if (strcmp(k, "categories") && strcmp(k, "quietHours"))
            return acc_invalid(err, k, "unknown field");
    }
    json_t *q = json_object_get(patch, "quietHours");
    if (q && check_quiet(q, err) < 0)
        return -1;
    json_t *c = json_object_get(patch, "categories");
    if (c && merge_categories(json_object_get(prefs, "categories"), c, err) < 0)
        return -1;
    if (q)
        json_object_set(prefs, "quietHours", q);
    return 0;
}

bool notify_prefs_channel(json_t *prefs, const char *category, const char *channel)
{
    json_t *v = json_object_get(json_object_get(json_object_get(prefs, "categories"), category),
                                channel);
    return json_is_true(v);
}

int64_t notify_quiet_until(json_t *prefs, int64_t now_ms)
{
    json_t *q = json_object_get(prefs, "quietHours");
    if (!json_is_object(q))
        return 0;
    int s = parse_hhmm(json_string_value(json_object_get(q, "start")));
    int e = parse_hhmm(json_string_value(json_object_get(q, "end")));
    const cron_tz_t *tz = zone_get(json_string_value(json_object_get(q, "timeZone")));
    if (s < 0 || e < 0 || s == e || !tz)
        return 0;
    int64_t now_s = now_ms / 1000;
    int64_t local = now_s + cron_tz_offset(tz, now_s);
    int64_t day = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int m = (int)((local - day * 86400) / 60);
    bool quiet = s < e ? (m >= s && m < e) : (m >= s || m < e);
    if (!quiet)
        return 0;
    int64_t end_day = (s > e && m >= s) ? day + 1 : day;
    int64_t end_local = end_day * 86400 + (int64_t)e * 60;
    int64_t out[2];
    int n = cron_tz_local_to_utc(tz, end_local, out, 2);
    /* Inside a DST gap the wall-clock end does not exist: use the offset
     * before the gap, which lands just after it. */
    int64_t end_s = n > 0 ? out[0] : end_local - cron_tz_offset(tz, end_local - 6 * 3600);
    return end_s * 1000;
}

json_t *notify_prefs_load(store_conn_t *db, const char *user_id, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(user_id)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT prefs FROM notification_prefs WHERE user_id = $1", a, 1, &r,
                    err) < 0)
        return NULL;
    json_t *p = notify_prefs_default();
    if (r->nrows == 1) {
        json_t *saved = json_loads(store_val(r, 0, 0), 0, NULL);
        if (saved) {
            apierr_t ignored = {0};
            notify_prefs_merge(p, saved, &ignored); /* stored documents were checked */
            apierr_clear(&ignored);
            json_decref(saved);
        }
    }
    store_res_free(r);
    return p;
}
