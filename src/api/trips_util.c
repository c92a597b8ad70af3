/*
 * trips_util.c - shared helpers of the trip handlers (see trips_int.h):
 * roles and access, field validation, the sync change log, search text,
 * ETag / If-Match, nested-list pages (keyset cursors "<key>~<id>") and
 * sending text built in a buffer. Results returned are the caller's to
 * free; JSON values are new references.
 */
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "http/server.h"
#include "trips/logic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int trip_role_rank(const char *role)
{
    if (!role)
        return ROLE_NONE;
    return strcmp(role, "owner") == 0    ? ROLE_OWNER
           : strcmp(role, "editor") == 0 ? ROLE_EDITOR
           : strcmp(role, "viewer") == 0 ? ROLE_VIEWER
                                         : ROLE_NONE;
}

const char *trip_role_name(int rank)
{
    return rank == ROLE_OWNER ? "owner" : rank == ROLE_EDITOR ? "editor" : "viewer";
}

void trip_fail(http_req_t *req, apierr_t *err)
{
    acc_fail(req, err);
}

int trip_path_id(http_req_t *req, const char *name, const char **out)
{
    const char *v = http_param(req, name);
    if (!v || validate_uuid_parse(v, strlen(v), NULL) != 0) {
        http_send_error(req, 404, "not_found", "no such resource");
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- sending built text ----------------------------------------------------- */

void trip_send_buf(http_req_t *req, buf_t *b)
{
    if (!b->data) { /* a growth failure left nothing to send */
        http_send_error(req, 500, "internal", "the response could not be built");
        return;
    }
    http_send_raw(req, 200, "application/json", NULL, 0);
    buf_free(&req->res.body); /* the body is ours to replace: no copy of big answers */
    req->res.body = *b;
    *b = (buf_t)BUF_INIT;
}

/* ---- nested list pages ---------------------------------------------------- */

int trip_page_parse(http_req_t *req, int def, int max, bool int_key, trip_page_t *p,
                    apierr_t *err)
{
    memset(p, 0, sizeof *p);
    p->limit = def;
    p->int_key = int_key;
    p->ikey = INT64_MIN;
    const char *lim = http_query(req, "limit"), *cur = http_query(req, "cursor");
    if (lim) {
        char *end;
        long long n = strtoll(lim, &end, 10);
        if (!*lim || *end || n < 1 || n > max)
            return acc_invalid(err, "limit", "must be 1 to %d", max);
        p->limit = (int)n;
    }
    if (!cur)
        return 0;
    const char *tilde = strrchr(cur, '~');
    size_t klen = tilde ? (size_t)(tilde - cur) : 0;
    char *end = NULL;
    if (!tilde || klen >= sizeof p->key || strspn(cur, "0123456789-") < klen ||
        validate_uuid_parse(tilde + 1, strlen(tilde + 1), NULL) != 0)
        return acc_invalid(err, "cursor", "is not a cursor this server made");
    memcpy(p->key, cur, klen);
    p->key[klen] = '\0';
    memcpy(p->id, tilde + 1, 36);
    if (int_key) {
        p->ikey = strtoll(p->key, &end, 10);
        if (!klen || *end)
            return acc_invalid(err, "cursor", "is not a cursor this server made");
    }
    return 0;
}

json_t *trip_page_next(const trip_page_t *p, const store_res_t *r, int key_col, int id_col)
{
    if (r->nrows <= p->limit)
        return json_null();
    int last = p->limit - 1;
    const char *k = store_val(r, last, key_col);
    char buf[96];
    if (p->int_key)
        snprintf(buf, sizeof buf, "%lld~%s", (long long)(k ? store_int(r, last, key_col) : -1),
                 store_val(r, last, id_col));
    else
        snprintf(buf, sizeof buf, "%s~%s", k ? k : "", store_val(r, last, id_col));
    return json_string(buf);
}

store_arg_t trip_page_key_arg(const trip_page_t *p)
{
    return p->int_key ? ARG_INT(p->ikey) : ARG_TEXT(p->key);
}

/* ---- the trip shape ------------------------------------------------------- */

json_t *trip_json(const store_res_t *r, int row, bool public_view)
{
    return row_json(&trip_shape, r, row, public_view);
}

static const char *const editable[] = {"title",  "description", "startDate", "endDate",
                                       "status", "budget",      "currency",  "isPublic",
                                       "preferences", "notes"};

json_t *trip_editable(const json_t *full)
{
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof editable / sizeof editable[0]; i++) {
        json_t *v = json_object_get(full, editable[i]);
        if (v)
            json_object_set(o, editable[i], v);
    }
    return o;
}

/* ---- access --------------------------------------------------------------- */

int trip_load(store_conn_t *db, const char *trip_id, const char *user_id, int need,
              store_res_t **out, int *role, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(trip_id), ARG_TEXT(user_id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT " TRIP_COLS ", b.role FROM trips t JOIN trip_buddies b ON "
                    "b.trip_id = t.id WHERE t.id = $1 AND b.user_id = $2 AND "
                    "b.state = 'accepted' AND b.deleted_at IS NULL AND t.deleted_at IS NULL",
                    a, 2, &r, err) < 0)
        return -1;
    if (r->nrows != 1) {
        store_res_free(r);
        return apierr_set(err, 404, "not_found", "no such trip");
    }
    int rank = trip_role_rank(store_val(r, 0, TC_NCOLS));
    if (role)
        *role = rank;
    if (rank < need) {
        store_res_free(r);
        return apierr_set(err, 403, "forbidden", "your role on this trip (%s) may not do this",
                          trip_role_name(rank));
    }
    *out = r;
    return 0;
}

int trip_check(store_conn_t *db, const char *trip_id, const char *user_id, int need, int *role,
               apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(trip_id), ARG_TEXT(user_id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT b.role FROM trips t JOIN trip_buddies b ON b.trip_id = t.id WHERE "
                    "t.id = $1 AND b.user_id = $2 AND b.state = 'accepted' AND "
                    "b.deleted_at IS NULL AND t.deleted_at IS NULL",
                    a, 2, &r, err) < 0)
        return -1;
    int rank = r->nrows == 1 ? trip_role_rank(store_val(r, 0, 0)) : ROLE_NONE;
    store_res_free(r);
    if (role)
        *role = rank;
    if (rank == ROLE_NONE)
        return apierr_set(err, 404, "not_found", "no such trip");
    if (rank < need)
        return apierr_set(err, 403, "forbidden", "your role on this trip (%s) may not do this",
                          trip_role_name(rank));
    return 0;
}

/* ---- field readers -------------------------------------------------------- */

int tf_date(json_t *obj, const char *field, bool required, const char **out, apierr_t *err)
{
    if (acc_str(obj, field, 10, 10, required, out, err) < 0)
        return -1;
    validate_date_t d;
    if (*out && validate_date_parse(*out, strlen(*out), &d) != 0)
        return acc_invalid(err, field, "must be a date like 2026-07-01");
    return 0;
}

int tf_int(json_t *obj, const char *field, int64_t min, int64_t max, bool required, bool *has,
           int64_t *out, apierr_t *err)
{
    json_t *v = json_object_get(obj, field);
    *has = false;
    if (!v || json_is_null(v))
        return required ? acc_invalid(err, field, "is required") : 0;
    if (!json_is_integer(v))
        return acc_invalid(err, field, "must be an integer");
    int64_t x = json_integer_value(v);
    if (x < min || x > max)
        return acc_invalid(err, field, "must be between %lld and %lld", (long long)min,
                           (long long)max);
    *has = true;
    *out = x;
    return 0;
}

int tf_bool(json_t *obj, const char *field, bool def, bool *out, apierr_t *err)
{
    json_t *v = json_object_get(obj, field);
    *out = def;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return acc_invalid(err, field, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

int tf_currency(json_t *obj, const char *field, bool required, const char **out, apierr_t *err)
{
    if (acc_str(obj, field, 3, 3, required, out, err) < 0)
        return -1;
    if (*out && validate_currency(*out, strlen(*out)) < 0)
        return acc_invalid(err, field, "must be an ISO 4217 currency code like EUR");
    return 0;
}

int tf_time(json_t *obj, const char *field, bool required, bool *has, int64_t *out,
            apierr_t *err)
{
    const char *s;
    *has = false;
    if (acc_str(obj, field, 1, VALIDATE_RFC3339_MAX_INPUT, required, &s, err) < 0)
        return -1;
    if (!s)
        return 0;
    if (validate_rfc3339_parse(s, strlen(s), out) != 0)
        return acc_invalid(err, field, "must be an RFC 3339 date-time");
    *has = true;
    return 0;
}

int trip_fields_parse(json_t *obj, trip_fields_t *f, apierr_t *err)
{
    memset(f, 0, sizeof *f);
    const char *status = NULL;
    if (acc_str(obj, "title", 1, 200, true, &f->title, err) < 0 ||
        acc_str(obj, "description", 0, 5000, false, &f->description, err) < 0 ||
        tf_date(obj, "startDate", true, &f->start, err) < 0 ||
        tf_date(obj, "endDate", true, &f->end, err) < 0 ||
        acc_str(obj, "status", 1, 20, false, &status, err) < 0 ||
        tf_int(obj, "budget", 0, 1000000000000000LL, false, &f->has_budget, &f->budget, err) < 0 ||
        tf_currency(obj, "currency", false, &f->currency, err) < 0 ||
        tf_bool(obj, "isPublic", false, &f->is_public, err) < 0 ||
        acc_str(obj, "notes", 0, 10000, false, &f->notes, err) < 0)
        return -1;
    if (strcmp(f->end, f->start) < 0)
        return acc_invalid(err, "endDate", "must not be before startDate");
    f->status = status ? trips_status_parse(status) : TS_PLANNING;
    if (f->status < 0)
        return acc_invalid(err, "status", "must be PLANNING, ACTIVE, COMPLETED or CANCELLED");
    if (f->has_budget && !f->currency)
        return acc_invalid(err, "currency", "is required with a budget");
    json_t *p = json_object_get(obj, "preferences");
    if (p && !json_is_null(p) && !json_is_object(p))
        return acc_invalid(err, "preferences", "must be an object");
    f->preferences = p && json_is_object(p) ? json_dumps(p, JSON_COMPACT) : strdup("{}");
    if (!f->preferences)
        return apierr_set(err, 500, "internal", "out of memory");
    if (strlen(f->preferences) > 16384)
        return acc_invalid(err, "preferences", "must be at most 16 KiB of JSON");
    if (!f->description)
        f->description = "";
    if (!f->notes)
        f->notes = "";
    return 0;
}

void trip_fields_free(trip_fields_t *f)
{
    free(f->preferences);
    f->preferences = NULL;
}

/* ---- change log and search ----------------------------------------------- */

static bool is_pg(void)
{
    store_t *st = server_store(); /* NULL outside `serve` (CLI, unit tests): SQLite */
    return st && store_kind(st) == STORE_POSTGRES;
}

int changes_log(store_conn_t *db, const char *trip_id, const char *user_id, const char *entity,
                const char *entity_id, const char *op, int64_t version, json_t *data,
                apierr_t *err)
{
    /* PostgreSQL hands out sequence values at insert time but rows become
     * visible at commit, possibly out of order. Holding one transaction-
     * scoped lock from taking a seq until commit makes commit order equal
     * seq order, so a pull that has seen seq N can never later find a
     * smaller one. SQLite writers are serialised already. */
    if (is_pg() && store_exec(db, "SELECT pg_advisory_xact_lock(7366001)", NULL, 0, err) < 0)
        return -1;
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    store_arg_t a[] = {ARG_TEXT(trip_id), ARG_TEXT(user_id), ARG_TEXT(entity),
                       ARG_TEXT(entity_id), ARG_TEXT(op),    ARG_INT(version),
                       ARG_TEXT(text),      ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    int rc = store_query(db,
                         "INSERT INTO changes (trip_id, user_id, entity, entity_id, op, version, "
                         "data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
                         a, 8, &r, err);
    free(text);
    if (rc == 0 && r->nrows == 1)
        sync_pending_add(store_int(r, 0, 0), trip_id, user_id); /* signalled after commit */
    store_res_free(r);
    return rc;
}

int trip_reindex(store_conn_t *db, const char *trip_id, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(trip_id)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT title, description FROM trips WHERE id = $1 UNION ALL SELECT name, '' "
                    "FROM destinations WHERE trip_id = $1 AND deleted_at IS NULL",
                    a, 1, &r, err) < 0)
        return -1;
    buf_t b = BUF_INIT;
    for (int i = 0; i < r->nrows; i++)
        buf_printf(&b, "%s %s ", store_val(r, i, 0) ? store_val(r, i, 0) : "",
                   store_val(r, i, 1) ? store_val(r, i, 1) : "");
    store_res_free(r);
    const char *text = b.data ? b.data : "";
    store_arg_t u[] = {ARG_TEXT(trip_id), ARG_TEXT(text)};
    int rc;
    if (is_pg()) {
        rc = store_exec(db, "UPDATE trips SET search_text = $2 WHERE id = $1", u, 2, err);
    } else {
        rc = store_exec(db, "DELETE FROM trips_fts WHERE trip_id = $1", a, 1, err);
        if (rc == 0)
            rc = store_exec(db, "INSERT INTO trips_fts (trip_id, body) VALUES ($1, $2)", u, 2, err);
    }
    buf_free(&b);
    return rc;
}

int trip_lock(store_conn_t *db, const char *trip_id, apierr_t *err)
{
    if (!is_pg())
        return 0;
    store_arg_t a[] = {ARG_TEXT(trip_id)};
    return store_exec(db, "SELECT 1 FROM trips WHERE id = $1 FOR UPDATE", a, 1, err);
}

int trip_members(store_conn_t *db, const char *trip_id, store_res_t **out, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(trip_id)};
    return store_query(db,
                       "SELECT user_id FROM trip_buddies WHERE trip_id = $1 AND state = "
                       "'accepted' AND deleted_at IS NULL ORDER BY user_id",
                       a, 1, out, err);
}

int trip_member_index(const store_res_t *members, const char *uid)
{
    for (int i = 0; uid && i < members->nrows; i++)
        if (strcmp(store_val(members, i, 0), uid) == 0)
            return i;
    return -1;
}

int trip_bump_list(store_conn_t *db, const char *trip_id, const char *col, int64_t *out,
                   apierr_t *err)
{
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE trips SET %s = %s + 1 WHERE id = $1 RETURNING %s", col, col,
             col);
    store_arg_t a[] = {ARG_TEXT(trip_id)};
    store_res_t *r = NULL;
    if (store_query(db, sql, a, 1, &r, err) < 0)
        return -1;
    *out = store_int(r, 0, 0);
    store_res_free(r);
    return 0;
}

/* ---- preconditions -------------------------------------------------------- */

int trip_if_match(http_req_t *req, int64_t version)
{
    const char *m = http_header(req, "if-match");
    if (!m || strcmp(m, "*") == 0)
        return 0;
    if (strncmp(m, "W/", 2) == 0)
        m += 2;
    /* "<version>" or the trip read's "<version>.<mark>": the version
     * part decides (trips_read.c read_tag). */
    char v[40];
    int n = snprintf(v, sizeof v, "\"%lld", (long long)version);
    if (strncmp(m, v, (size_t)n) != 0)
        return -1;
    m += n;
    if (*m == '.')
        for (m++; *m >= '0' && *m <= '9'; m++)
            ;
    return strcmp(m, "\"") == 0 ? 0 : -1;
}

void trip_send_stale(http_req_t *req, int64_t version, json_t *current)
{
    apierr_t err = {0};
    apierr_set(&err, 412, "precondition_failed",
               "the resource has changed; it is now at version %lld", (long long)version);
    apierr_detail(&err, "currentVersion", json_integer(version));
    apierr_detail(&err, "current", current);
    http_send_apierr(req, &err);
    acc_etag(req, version);
}
