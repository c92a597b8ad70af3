/*
 * trips_read.c - GET /v1/trips/:id, the hot read: the trip with the
 * caller's role, its destinations and its activities in ONE statement
 * (UNION ALL with a kind column; one round trip on PostgreSQL), streamed
 * row by row (store_query_each: no result set, no copies) straight into
 * the JSON text (trips_shape.c row_write). The response is the same as
 * building it from trip_load + dest_select + act_select.
 *
 * Row layout: k (0 trip, 1 destination, 2 activity), two sort keys (the
 * lists' orders: COALESCE(arrival, '') then id; COALESCE(start_at, -1)
 * then id), then the kind's columns (TRIP_COLS + role, DEST_COLS,
 * ACT_COLS) padded with NULLs. Every column is text on both drivers, as
 * the drivers return them anyway. Child rows of a trip the caller may not
 * see are read but never written: the answer is 404 then. Owns nothing
 * beyond the response buffer.
 */
#include "api/api.h"
#include "api/trips_int.h"

#include "core/loopctx.h"
#include "http/server.h"

#include <stdio.h>
#include <string.h>

#define N1 "NULL"
#define N5 N1 ", " N1 ", " N1 ", " N1 ", " N1
#define SKIP 3 /* k and the two sort keys */

/* T(c): a column as text. PostgreSQL needs it for UNION ALL to line the
 * kinds up; SQLite does not (a CAST there only costs a conversion). */
#define READ_SQL(T)                                                                        \
    "SELECT 0 AS k, NULL AS sk_t, CAST(NULL AS BIGINT) AS sk_i, t.id, t.owner_id, t.title, " \
    "t.description, t.start_date, t.end_date, t.status, " T("t.budget") ", t.currency, "   \
    T("t.is_public") ", t.share_id, " T("t.preferences") ", t.notes, " T("t.version")     \
    ", " T("t.created_at") ", " T("t.updated_at") ", " T("t.client_ts")                   \
    ", t.client_tag, b.role FROM trips t JOIN trip_buddies b ON b.trip_id = t.id "         \
    "WHERE t.id = $1 AND b.user_id = $2 AND b.state = 'accepted' AND "                     \
    "b.deleted_at IS NULL AND t.deleted_at IS NULL "                                       \
    "UNION ALL SELECT 1, COALESCE(arrival, ''), NULL, id, trip_id, name, type, arrival, "  \
    "departure, " T("lat") ", " T("lng") ", address, notes, " T("version") ", "            \
    T("created_at") ", " T("updated_at") ", " N5 ", " N1                                   \
    " FROM destinations WHERE trip_id = $1 AND deleted_at IS NULL "                        \
    "UNION ALL SELECT 2, NULL, COALESCE(start_at, -1), id, trip_id, destination_id, "      \
    "name, type, " T("start_at") ", " T("end_at") ", " T("cost") ", currency, status, "    \
    "notes, " T("version") ", " T("created_at") ", " T("updated_at") ", " N5               \
    " FROM activities WHERE trip_id = $1 AND deleted_at IS NULL ORDER BY 1, 2, 3, 4"
#define AS_TEXT(c) "CAST(" c " AS TEXT)"
#define AS_IS(c) c

static const char read_sql_pg[] = READ_SQL(AS_TEXT);
static const char read_sql_lite[] = READ_SQL(AS_IS);

typedef struct {
    buf_t b;
    int kind;      /* kind of the last row written: -1 none yet */
    int role;
    int64_t version;
    bool found;
} read_t;

static int on_row(const store_res_t *row, void *arg)
{
    read_t *st = arg;
    int k = (int)store_int(row, 0, 0);
    if (k != 0 && !st->found)
        return 1; /* no trip row: nothing of it may be shown */
    store_res_t v = *row;
    v.names += SKIP;
    v.vals += SKIP;
    v.lens += SKIP;
    v.ncols -= SKIP;
    buf_t *b = &st->b;
    if (k == 0) {
        st->found = true;
        st->role = trip_role_rank(store_val(&v, 0, TC_NCOLS));
        st->version = store_int(&v, 0, TC_VERSION);
        buf_puts(b, "{");
        row_write_fields(b, &trip_shape, &v, 0, false);
        buf_printf(b, ",\"role\":\"%s\",\"destinations\":[", trip_role_name(st->role));
    } else {
        if (k == st->kind)
            buf_puts(b, ",");
        else if (k == 2)
            buf_puts(b, "],\"activities\":[");
        row_write(b, k == 1 ? &dest_shape : &act_shape, &v, 0, false);
    }
    st->kind = k;
    return 0;
}

void trips_get(http_req_t *req)
{
    const char *id;
    if (trip_path_id(req, "id", &id) < 0)
        return;
    apierr_t err = {0};
    read_t st = {.b = BUF_INIT, .kind = -1};
    buf_reserve(&st.b, 16384);
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id)};
    const char *sql =
        store_kind(server_store()) == STORE_POSTGRES ? read_sql_pg : read_sql_lite;
    if (store_query_each(loop_ctx_get()->db, sql, a, 2, on_row, &st, &err) < 0) {
        buf_free(&st.b);
        ACC_FAIL(req, &err);
    }
    if (!st.found) {
        buf_free(&st.b);
        apierr_set(&err, 404, "not_found", "no such trip");
        ACC_FAIL(req, &err);
    }
    if (st.role < ROLE_VIEWER) {
        buf_free(&st.b);
        apierr_set(&err, 403, "forbidden", "your role on this trip (%s) may not do this",
                   trip_role_name(st.role));
        ACC_FAIL(req, &err);
    }
    char tag[40];
    snprintf(tag, sizeof tag, "\"%lld\"", (long long)st.version);
    const char *inm = http_header(req, "if-none-match");
    if (inm && strcmp(inm, tag) == 0) {
        buf_free(&st.b);
        http_send_raw(req, 304, NULL, NULL, 0);
        acc_etag(req, st.version);
        return;
    }
    if (st.kind != 2)
        buf_puts(&st.b, "],\"activities\":[");
    if (buf_puts(&st.b, "]}") < 0)
        buf_free(&st.b);
    trip_send_buf(req, &st.b);
    acc_etag(req, st.version);
}
