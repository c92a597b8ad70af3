/*
 * trips_read.c - GET /v1/trips/:id, the hot read.
 *
 * Every request runs ONE cheap statement: the caller's role on the trip,
 * the trip's version (the ETag) and its change mark (max changes.seq of
 * the trip; see trips_rcache.h for why an equal mark means equal rows).
 * On PostgreSQL the same statement also carries the session check of the
 * auth stage (ROUTE_SESSION_LATE, auth/session_cache.h), so a request is
 * one round trip. On SQLite the check's answer is reused while the
 * database's change stamp, which the auth stage reads on every request,
 * is unchanged (rcache_check_*: no commit anywhere since). With the mark,
 * the rendered representation of this
 * loop thread's cache (trips_rcache.c) is answered with the caller's role
 * spliced in; on a miss the full read runs:
 *
 * the trip with the caller's role, its destinations and its activities in
 * ONE statement (UNION ALL with a kind column), streamed row by row
 * (store_query_each: no result set, no copies) straight into the JSON text
 * (trips_shape.c row_write), then kept in the cache under the mark read
 * by that same statement. The response is the same as building it from
 * trip_load + dest_select + act_select.
 *
 * Row layout of the full read: k (0 trip, 1 destination, 2 activity), two
 * sort keys (the lists' orders: COALESCE(arrival, '') then id;
 * COALESCE(start_at, -1) then id), then the kind's columns (TRIP_COLS +
 * role + mark, DEST_COLS, ACT_COLS) padded with NULLs. Every column is
 * text on both drivers, as the drivers return them anyway. Child rows of
 * a trip the caller may not see are read but never written: the answer
 * is 404 then. Owns nothing beyond the response buffer.
 */
#include "api/api.h"
#include "api/trips_int.h"
#include "api/trips_rcache.h"

#include "auth/session_cache.h"
#include "core/loopctx.h"
#include "http/server.h"

#include <stdio.h>
#include <string.h>

#define N1 "NULL"
#define N5 N1 ", " N1 ", " N1 ", " N1 ", " N1
#define SKIP 3 /* k and the two sort keys */
#define MARK_SQL "(SELECT max(c.seq) FROM changes c WHERE c.trip_id = t.id)"

/* T(c): a column as text. PostgreSQL needs it for UNION ALL to line the
 * kinds up; SQLite does not (a CAST there only costs a conversion). */
#define READ_SQL(T)                                                                        \
    "SELECT 0 AS k, NULL AS sk_t, CAST(NULL AS BIGINT) AS sk_i, t.id, t.owner_id, t.title, " \
    "t.description, t.start_date, t.end_date, t.status, " T("t.budget") ", t.currency, "   \
    T("t.is_public") ", t.share_id, " T("t.preferences") ", t.notes, " T("t.version")     \
    ", " T("t.created_at") ", " T("t.updated_at") ", " T("t.client_ts")                   \
    ", t.client_tag, b.role, " T(MARK_SQL) " FROM trips t JOIN trip_buddies b ON "         \
    "b.trip_id = t.id WHERE t.id = $1 AND b.user_id = $2 AND b.state = 'accepted' AND "    \
    "b.deleted_at IS NULL AND t.deleted_at IS NULL "                                       \
    "UNION ALL SELECT 1, COALESCE(arrival, ''), NULL, id, trip_id, name, type, arrival, "  \
    "departure, " T("lat") ", " T("lng") ", address, notes, " T("version") ", "            \
    T("created_at") ", " T("updated_at") ", " N5 ", " N1 ", " N1                           \
    " FROM destinations WHERE trip_id = $1 AND deleted_at IS NULL "                        \
    "UNION ALL SELECT 2, NULL, COALESCE(start_at, -1), id, trip_id, destination_id, "      \
    "name, type, " T("start_at") ", " T("end_at") ", " T("cost") ", currency, status, "    \
    "notes, " T("version") ", " T("created_at") ", " T("updated_at") ", " N5 ", " N1       \
    " FROM activities WHERE trip_id = $1 AND deleted_at IS NULL ORDER BY 1, 2, 3, 4"
#define AS_TEXT(c) "CAST(" c " AS TEXT)"
#define AS_IS(c) c

static const char read_sql_pg[] = READ_SQL(AS_TEXT);
static const char read_sql_lite[] = READ_SQL(AS_IS);

/* The per-request check: role, version, mark ($1 trip, $2 user). */
static const char check_sql[] =
    "SELECT b.role, t.version, " MARK_SQL " FROM trips t JOIN trip_buddies b ON b.trip_id = "
    "t.id WHERE t.id = $1 AND b.user_id = $2 AND b.state = 'accepted' AND b.deleted_at IS "
    "NULL AND t.deleted_at IS NULL";
/* The same with the auth stage's session check in front ($1 session, $2
 * user, $3 trip): no row = no live session; NULL trip columns = 404. */
static const char check_late_sql[] =
    "SELECT u.role, u.status, s.last_used_at, b.role, t.version, " MARK_SQL
    " FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN trip_buddies b ON b.trip_id "
    "= $3 AND b.user_id = s.user_id AND b.state = 'accepted' AND b.deleted_at IS NULL LEFT "
    "JOIN trips t ON t.id = b.trip_id AND t.deleted_at IS NULL WHERE s.id = $1 AND s.user_id "
    "= $2 AND s.revoked_at IS NULL";

typedef struct {
    bool found, has_mark;
    int role;
    int64_t version, mark;
} check_t;

static void check_fill(check_t *ck, const store_res_t *r, int col)
{
    const char *ver = store_val(r, 0, col + 1);
    ck->found = ver != NULL;
    if (!ck->found)
        return;
    ck->role = trip_role_rank(store_val(r, 0, col));
    ck->version = store_int(r, 0, col + 1);
    ck->has_mark = store_val(r, 0, col + 2) != NULL;
    ck->mark = ck->has_mark ? store_int(r, 0, col + 2) : 0;
}

/* Runs the check (with the session on a late route). 0, or -1 answered. */
static int read_check(http_req_t *req, store_conn_t *db, const char *id, bool late,
                      check_t *ck)
{
    apierr_t err = {0};
    store_res_t *r = NULL;
    int rc;
    if (late) {
        store_arg_t a[] = {ARG_TEXT(req->session_id), ARG_TEXT(req->user_id), ARG_TEXT(id)};
        rc = store_query(db, check_late_sql, a, 3, &r, &err);
    } else {
        store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id)};
        rc = store_query(db, check_sql, a, 2, &r, &err);
    }
    if (rc < 0) {
        http_send_apierr(req, &err);
        return -1;
    }
    if (late) {
        bool live = r->nrows == 1;
        if (session_late_check(req, db, live ? store_val(r, 0, 0) : NULL,
                               live ? store_val(r, 0, 1) : NULL,
                               live ? store_int(r, 0, 2) : 0) < 0) {
            store_res_free(r);
            return -1;
        }
        check_fill(ck, r, 3);
    } else if (r->nrows == 1) {
        check_fill(ck, r, 0);
    }
    store_res_free(r);
    return 0;
}

/* Answers text[0..head) ,"role":"…" text[head..len). */
static void send_spliced(http_req_t *req, const char *text, size_t head, size_t len, int role)
{
    buf_t b = BUF_INIT;
    const char *name = trip_role_name(role);
    if (buf_reserve(&b, len + 32) == 0) {
        buf_append(&b, text, head);
        buf_append(&b, ",\"role\":\"", 9);
        buf_puts(&b, name);
        buf_append(&b, "\"", 1);
        buf_append(&b, text + head, len - head);
    }
    trip_send_buf(req, &b);
}

typedef struct {
    buf_t b;
    int kind;      /* kind of the last row written: -1 none yet */
    int role;
    int64_t version, mark;
    size_t head;   /* where the role goes */
    bool found, has_mark;
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
        st->has_mark = store_val(&v, 0, TC_NCOLS + 1) != NULL;
        st->mark = st->has_mark ? store_int(&v, 0, TC_NCOLS + 1) : 0;
        buf_puts(b, "{");
        row_write_fields(b, &trip_shape, &v, 0, false);
        st->head = b->len;
        buf_puts(b, ",\"destinations\":[");
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

/* The representation's ETag: "<version>.<mark>" (the trip's own version,
 * then its change mark), so an edit of a child, a buddy or the caller's
 * role - which leaves the trip's version alone but moves the mark -
 * never answers a revalidation with 304 and stale children. Writes
 * compare only the version part (trip_if_match), so a tag from this read
 * still works as If-Match on the trip. "<version>" alone without a mark. */
static void read_tag(char *tag, size_t n, int64_t version, bool has_mark, int64_t mark)
{
    if (has_mark)
        snprintf(tag, n, "\"%lld.%lld\"", (long long)version, (long long)mark);
    else
        snprintf(tag, n, "\"%lld\"", (long long)version);
}

/* The miss: the full read, answered and kept in the cache. */
static void trip_read_full(http_req_t *req, store_conn_t *db, const char *id)
{
    apierr_t err = {0};
    read_t st = {.b = BUF_INIT, .kind = -1};
    buf_reserve(&st.b, 16384);
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(req->user_id)};
    const char *sql =
        store_kind(server_store()) == STORE_POSTGRES ? read_sql_pg : read_sql_lite;
    if (store_query_each(db, sql, a, 2, on_row, &st, &err) < 0) {
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
    if (st.kind != 2)
        buf_puts(&st.b, "],\"activities\":[");
    if (buf_puts(&st.b, "]}") < 0 || !st.b.data) {
        buf_free(&st.b);
        trip_send_buf(req, &st.b); /* 500 */
        return;
    }
    if (st.has_mark)
        rcache_put(id, st.mark, st.version, st.b.data, st.head, st.b.len);
    send_spliced(req, st.b.data, st.head, st.b.len, st.role);
    buf_free(&st.b);
    char tag[48];
    read_tag(tag, sizeof tag, st.version, st.has_mark, st.mark);
    http_add_header(req, "ETag", tag);
}

void trips_get(http_req_t *req)
{
    uint64_t stamp[2]; /* SQLite: the auth stage's "unchanged since" stamp */
    bool stamped = session_cache_take_stamp(stamp);
    store_conn_t *db = loop_ctx_get()->db;
    bool late = session_late(req);
    const char *id = http_param(req, "id");
    check_t ck = {0};
    if (late && read_check(req, db, id ? id : "", true, &ck) < 0)
        return; /* 401 before anything about the trip */
    if (trip_path_id(req, "id", &id) < 0)
        return;
    if (!late) {
        rcache_check_t m;
        if (stamped && rcache_check_get(id, req->user_id, stamp, &m)) {
            ck = (check_t){.found = true, .has_mark = m.has_mark, .role = m.role,
                           .version = m.version, .mark = m.mark};
        } else {
            if (read_check(req, db, id, false, &ck) < 0)
                return;
            m = (rcache_check_t){.role = ck.role, .version = ck.version, .mark = ck.mark,
                                 .has_mark = ck.has_mark};
            if (stamped && ck.found) /* the stamp was taken before the check */
                rcache_check_put(id, req->user_id, stamp, &m);
        }
    }
    apierr_t err = {0};
    if (!ck.found) {
        apierr_set(&err, 404, "not_found", "no such trip");
        ACC_FAIL(req, &err);
    }
    if (ck.role < ROLE_VIEWER) {
        apierr_set(&err, 403, "forbidden", "your role on this trip (%s) may not do this",
                   trip_role_name(ck.role));
        ACC_FAIL(req, &err);
    }
    char tag[48];
    read_tag(tag, sizeof tag, ck.version, ck.has_mark, ck.mark);
    const char *inm = http_header(req, "if-none-match");
    if (inm && strncmp(inm, "W/", 2) == 0)
        inm += 2;
    if (inm && strcmp(inm, tag) == 0) {
        http_send_raw(req, 304, NULL, NULL, 0);
        http_add_header(req, "ETag", tag);
        return;
    }
    rcache_hit_t h;
    if (ck.has_mark && rcache_get(id, ck.mark, ck.version, &h)) {
        send_spliced(req, h.text, h.head, h.len, ck.role);
        http_add_header(req, "ETag", tag);
        return;
    }
    trip_read_full(req, db, id);
}
