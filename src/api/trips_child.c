/*
 * trips_child.c - one implementation of the CRUD shape every child row of
 * a trip (destination, activity, expense) shares, driven by its
 * trip_child_t descriptor (trips_int.h):
 *
 *   list    GET    .../<children>          viewer; {items, nextCursor} pages
 *   get     GET    .../<children>/:<param> viewer; ETag
 *   write   POST   .../<children>          editor; 201 with a new id
 *           PATCH  .../<children>/:<param> editor; JSON merge patch over the
 *                                          current JSON, If-Match (412 with
 *                                          the current representation)
 *   delete  DELETE .../<children>/:<param> editor; If-Match; tombstone, 204
 *
 * Every write runs in one transaction holding the trip's lock: the kind's
 * save() checks and stores the full new state, then the row is read back,
 * logged to the sync change log and committed with sync_commit(). Kinds
 * supply only what differs: their SQL columns and order, how a row
 * becomes JSON, how a body is checked and stored, how a row is removed.
 */
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "trips/logic.h"

#include <stdio.h>
#include <string.h>

/* ---- rows -------------------------------------------------------------------- */

static int child_row(store_conn_t *db, const trip_child_t *kind, const char *trip_id,
                     const char *id, store_res_t **out, apierr_t *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM %s WHERE id = $1 AND trip_id = $2 AND deleted_at IS NULL",
             kind->cols, kind->table);
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(trip_id)};
    if (store_query(db, sql, a, 2, out, err) < 0)
        return -1;
    if ((*out)->nrows == 1)
        return 0;
    store_res_free(*out);
    *out = NULL;
    return apierr_set(err, 404, "not_found", "no such %s", kind->entity);
}

/* ---- lists --------------------------------------------------------------------- */

int trip_child_select(store_conn_t *db, const trip_child_t *kind, const char *trip_id,
                      const trip_page_t *pg, store_res_t **out, apierr_t *err)
{
    char sql[1024];
    const char *key = kind->order_key;
    if (pg)
        snprintf(sql, sizeof sql,
                 "SELECT %s FROM %s WHERE trip_id = $1 AND deleted_at IS NULL AND "
                 TRIP_PAGE_WHERE("%s", "id", "$2", "$3") TRIP_PAGE_ORDER("%s", "id") "LIMIT $4",
                 kind->cols, kind->table, key, key, key);
    else
        snprintf(sql, sizeof sql,
                 "SELECT %s FROM %s WHERE trip_id = $1 AND deleted_at IS NULL"
                 TRIP_PAGE_ORDER("%s", "id"), kind->cols, kind->table, key);
    store_arg_t a[] = {ARG_TEXT(trip_id), pg ? trip_page_key_arg(pg) : ARG_NULL,
                       ARG_TEXT(pg ? pg->id : NULL), ARG_INT(pg ? pg->limit + 1 : 0)};
    return store_query(db, sql, a, pg ? 4 : 1, out, err);
}

json_t *trip_child_list(store_conn_t *db, const trip_child_t *kind, const char *trip_id,
                        bool public_view, const trip_page_t *pg, json_t **next, apierr_t *err)
{
    store_res_t *r = NULL;
    if (trip_child_select(db, kind, trip_id, pg, &r, err) < 0)
        return NULL;
    int n = pg && r->nrows > pg->limit ? pg->limit : r->nrows;
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = kind->current(db, r, i, public_view, err);
        if (!o) {
            json_decref(arr);
            store_res_free(r);
            return NULL;
        }
        json_array_append_new(arr, o);
    }
    if (next)
        *next = pg ? trip_page_next(pg, r, kind->key_col, 0) : json_null();
    store_res_free(r);
    return arr;
}

void trip_child_list_h(http_req_t *req, const trip_child_t *kind)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    trip_page_t pg;
    json_t *next = NULL;
    store_conn_t *db = loop_ctx_get()->db;
    if (trip_page_parse(req, PAGE_DEFAULT, PAGE_MAX, kind->int_key, &pg, &err) < 0 ||
        trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = trip_child_list(db, kind, tid, false, &pg, &next, &err);
    if (!items)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

void trip_child_get_h(http_req_t *req, const trip_child_t *kind)
{
    const char *tid, *cid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, kind->param, &cid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *r = NULL;
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0 ||
        child_row(db, kind, tid, cid, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t v = store_int(r, 0, kind->version_col);
    json_t *o = kind->current(db, r, 0, false, &err);
    store_res_free(r);
    if (!o)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, o);
    acc_etag(req, v);
}

/* ---- writes -------------------------------------------------------------------- */

int trip_child_exec(store_conn_t *db, const trip_save_t *s, const char *entity,
                    const char *insert_sql, int ninsert, const char *update_sql, int nupdate,
                    const store_arg_t *args, apierr_t *err)
{
    store_res_t *r = NULL;
    int rc = s->expect == 0 ? store_query(db, insert_sql, args, ninsert, &r, err)
                            : store_query(db, update_sql, args, nupdate, &r, err);
    if (rc < 0)
        return -1;
    bool ok = r->changes == 1;
    store_res_free(r);
    return ok ? 0 : apierr_set(err, 412, "precondition_failed", "the %s changed meanwhile", entity);
}

/* The patched state of an existing row: its JSON (less kind->patch_drop)
 * with body merged over it. NULL with err set; 412 answered (*stale). */
static json_t *patched(http_req_t *req, store_conn_t *db, const trip_child_t *kind,
                       const store_res_t *cur, json_t *body, bool *stale, apierr_t *err)
{
    json_t *base = kind->current(db, cur, 0, false, err);
    if (!base)
        return NULL;
    int64_t v = store_int(cur, 0, kind->version_col);
    if (trip_if_match(req, v) < 0) {
        sync_rollback(db);
        trip_send_stale(req, v, base);
        *stale = true;
        return NULL;
    }
    if (kind->patch_drop)
        json_object_del(base, kind->patch_drop);
    json_t *merged = trips_merge_patch(base, body);
    json_decref(base);
    return merged;
}

/* After save(): reads the row back, logs it, returns its JSON (owned). */
static json_t *saved(store_conn_t *db, const trip_child_t *kind, const trip_save_t *s,
                     apierr_t *err)
{
    store_res_t *r = NULL;
    if (child_row(db, kind, s->trip_id, s->id, &r, err) < 0)
        return NULL;
    json_t *out = kind->current(db, r, 0, false, err);
    int64_t v = store_int(r, 0, kind->version_col);
    store_res_free(r);
    if (out && changes_log(db, s->trip_id, NULL, kind->entity, s->id,
                           s->expect ? "update" : "create", v, out, err) < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

void trip_child_write(http_req_t *req, const trip_child_t *kind, const char *tid,
                      const char *cid, json_t *body)
{
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *trip = NULL, *cur = NULL;
    json_t *out = NULL, *extra = NULL, *next = NULL;
    char id[UUID_STR_LEN];
    bool stale = false;
    trip_save_t s = {.user_id = req->user_id, .trip_id = tid, .id = id};
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    if (trip_lock(db, tid, &err) < 0 ||
        trip_load(db, tid, req->user_id, ROLE_EDITOR, &trip, NULL, &err) < 0)
        goto fail;
    s.trip = trip;
    if (cid) {
        if (child_row(db, kind, tid, cid, &cur, &err) < 0)
            goto fail;
        s.expect = store_int(cur, 0, kind->version_col);
        if (!(next = patched(req, db, kind, cur, body, &stale, &err)))
            goto stale_or_fail;
        snprintf(id, sizeof id, "%s", cid);
    } else {
        uuid_v7(id);
        next = json_incref(body);
    }
    if (kind->save(db, &s, next, &extra, &err) < 0 || !(out = saved(db, kind, &s, &err)) ||
        sync_commit(db, &err) < 0)
        goto fail;
    int64_t v = json_integer_value(json_object_get(out, "version"));
    if (extra)
        json_object_update(out, extra);
    http_send_json(req, cid ? 200 : 201, out);
    out = NULL;
    acc_etag(req, v);
    goto done;
stale_or_fail:
    if (stale)
        goto done;
fail:
    sync_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(out);
    json_decref(extra);
    json_decref(next);
    store_res_free(trip);
    store_res_free(cur);
}

/* ---- delete -------------------------------------------------------------------- */

void trip_child_delete(http_req_t *req, const trip_child_t *kind)
{
    const char *tid, *cid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, kind->param, &cid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *cur = NULL;
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (trip_lock(db, tid, &err) < 0 ||
        trip_check(db, tid, req->user_id, ROLE_EDITOR, NULL, &err) < 0 ||
        child_row(db, kind, tid, cid, &cur, &err) < 0) {
        sync_rollback(db);
        ACC_FAIL(req, &err);
    }
    int64_t v = store_int(cur, 0, kind->version_col);
    if (trip_if_match(req, v) < 0) {
        json_t *now = kind->current(db, cur, 0, false, &err);
        sync_rollback(db);
        store_res_free(cur);
        if (!now)
            ACC_FAIL(req, &err);
        trip_send_stale(req, v, now);
        return;
    }
    store_res_free(cur);
    if (kind->remove(db, tid, cid, clock_now_ms(), &err) < 0 ||
        changes_log(db, tid, NULL, kind->entity, cid, "delete", v + 1, NULL, &err) < 0 ||
        sync_commit(db, &err) < 0) {
        sync_rollback(db);
        ACC_FAIL(req, &err);
    }
    http_send_raw(req, 204, NULL, NULL, 0);
}
