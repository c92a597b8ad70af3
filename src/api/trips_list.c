/*
 * trips_list.c - GET /v1/trips (filters status, from, to, q; keyset
 * pagination ordered by start date then id, ascending or with
 * sort=-startDate descending) and GET /v1/users/travel-history (completed
 * trips). Text search: FTS5 on SQLite, a 'simple' tsvector on PostgreSQL;
 * both lower-case words and match every query word as a prefix, so they
 * give the same results. The SQL is assembled from fixed fragments; every
 * value is a bound parameter.
 */
#include "api/api.h"
#include "api/trips_int.h"

#include "core/buf.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "http/server.h"
#include "trips/logic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 100
#define Q_WORDS 8

/* Turns q into an FTS5 or tsquery expression of at most Q_WORDS prefix
 * terms made of letters and digits (any byte >= 0x80 counts as a letter,
 * so UTF-8 words stay whole). Returns 0, or -1 when q has no word. */
static int search_expr(const char *q, bool pg, buf_t *out)
{
    int words = 0;
    for (const unsigned char *p = (const unsigned char *)q; *p && words < Q_WORDS;) {
        while (*p && !(*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')))
            p++;
        const unsigned char *s = p;
        while (*p >= 0x80 || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z'))
            p++;
        if (p == s)
            break;
        if (words++)
            buf_puts(out, pg ? " & " : " ");
        if (!pg)
            buf_puts(out, "\"");
        for (const unsigned char *c = s; c < p; c++)
            buf_printf(out, "%c", (*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
        buf_puts(out, pg ? ":*" : "\"*");
    }
    return words ? 0 : -1;
}

typedef struct {
    const char *status, *from, *to, *q, *cursor;
    bool desc;
    int limit;
    char cdate[11], cid[37];
} list_q_t;

static int list_parse(http_req_t *req, list_q_t *l, apierr_t *err)
{
    memset(l, 0, sizeof *l);
    l->status = http_query(req, "status");
    l->from = http_query(req, "from");
    l->to = http_query(req, "to");
    l->q = http_query(req, "q");
    l->cursor = http_query(req, "cursor");
    const char *lim = http_query(req, "limit"), *sort = http_query(req, "sort");
    validate_date_t d;
    l->limit = 20;
    if (lim) {
        char *end;
        long n = strtol(lim, &end, 10);
        if (!*lim || *end || n < 1 || n > LIST_MAX)
            return acc_invalid(err, "limit", "must be 1 to %d", LIST_MAX);
        l->limit = (int)n;
    }
    if (l->status && trips_status_parse(l->status) < 0)
        return acc_invalid(err, "status", "must be PLANNING, ACTIVE, COMPLETED or CANCELLED");
    if (l->from && validate_date_parse(l->from, strlen(l->from), &d) != 0)
        return acc_invalid(err, "from", "must be a date like 2026-07-01");
    if (l->to && validate_date_parse(l->to, strlen(l->to), &d) != 0)
        return acc_invalid(err, "to", "must be a date like 2026-07-01");
    if (l->q && strlen(l->q) > 200)
        return acc_invalid(err, "q", "must be at most 200 bytes");
    if (sort && strcmp(sort, "startDate") != 0 && strcmp(sort, "-startDate") != 0)
        return acc_invalid(err, "sort", "must be startDate or -startDate");
    l->desc = sort && sort[0] == '-';
    if (l->cursor) {
        if (strlen(l->cursor) != 47 || l->cursor[10] != '~' ||
            validate_date_parse(l->cursor, 10, &d) != 0 ||
            validate_uuid_parse(l->cursor + 11, 36, NULL) != 0)
            return acc_invalid(err, "cursor", "is not a cursor this server made");
        memcpy(l->cdate, l->cursor, 10);
        memcpy(l->cid, l->cursor + 11, 36);
    }
    return 0;
}

/* Appends " AND <frag>" with $n bound to v. */
static void add_cond(buf_t *sql, store_arg_t *a, int *n, const char *frag, const char *v)
{
    a[*n] = ARG_TEXT(v);
    (*n)++;
    buf_puts(sql, " AND ");
    buf_printf(sql, frag, *n, *n);
}

void trips_list(http_req_t *req)
{
    apierr_t err = {0};
    list_q_t l;
    if (list_parse(req, &l, &err) < 0)
        ACC_FAIL(req, &err);
    bool pg = store_kind(server_store()) == STORE_POSTGRES;
    buf_t sql = BUF_INIT, expr = BUF_INIT;
    store_arg_t a[10];
    int n = 1;
    a[0] = ARG_TEXT(req->user_id);
    buf_puts(&sql, "SELECT " TRIP_COLS ", b.role FROM trips t JOIN trip_buddies b ON "
                   "b.trip_id = t.id AND b.user_id = $1 AND b.state = 'accepted' AND "
                   "b.deleted_at IS NULL WHERE t.deleted_at IS NULL");
    if (l.status)
        add_cond(&sql, a, &n, "t.status = $%d", l.status);
    if (l.from)
        add_cond(&sql, a, &n, "t.end_date >= $%d", l.from);
    if (l.to)
        add_cond(&sql, a, &n, "t.start_date <= $%d", l.to);
    if (l.q) {
        if (search_expr(l.q, pg, &expr) < 0) {
            buf_free(&sql);
            http_send_json(req, 200, json_pack("{s:[], s:n}", "items", "nextCursor"));
            return;
        }
        add_cond(&sql, a, &n,
                 pg ? "to_tsvector('simple', t.search_text) @@ to_tsquery('simple', $%d)"
                    : "t.id IN (SELECT trip_id FROM trips_fts WHERE trips_fts MATCH $%d)",
                 expr.data);
    }
    if (l.cursor) {
        a[n++] = ARG_TEXT(l.cdate);
        a[n++] = ARG_TEXT(l.cid);
        buf_printf(&sql, " AND (t.start_date %s $%d OR (t.start_date = $%d AND t.id %s $%d))",
                   l.desc ? "<" : ">", n - 1, n - 1, l.desc ? "<" : ">", n);
    }
    buf_printf(&sql, " ORDER BY t.start_date %s, t.id %s LIMIT %d", l.desc ? "DESC" : "ASC",
               l.desc ? "DESC" : "ASC", l.limit + 1);
    store_res_t *r = NULL;
    int rc = store_query(loop_ctx_get()->db, sql.data, a, n, &r, &err);
    buf_free(&sql);
    buf_free(&expr);
    if (rc < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    int shown = r->nrows > l.limit ? l.limit : r->nrows;
    for (int i = 0; i < shown; i++) {
        json_t *t = trip_json(r, i, false);
        json_object_set_new(t, "role", json_string(store_val(r, i, TC_NCOLS)));
        json_array_append_new(items, t);
    }
    json_t *next = json_null();
    if (r->nrows > l.limit) {
        char c[48];
        snprintf(c, sizeof c, "%s~%s", store_val(r, shown - 1, TC_START),
                 store_val(r, shown - 1, TC_ID));
        next = json_string(c);
    }
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

void trips_travel_history(http_req_t *req)
{
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_query(loop_ctx_get()->db,
                    "SELECT " TRIP_COLS " FROM trips t JOIN trip_buddies b ON b.trip_id = t.id "
                    "AND b.user_id = $1 AND b.state = 'accepted' AND b.deleted_at IS NULL "
                    "WHERE t.deleted_at IS NULL AND t.status = 'COMPLETED' "
                    "ORDER BY t.end_date DESC, t.id DESC LIMIT 500",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(items, trip_json(r, i, false));
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}
