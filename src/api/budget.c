/*
 * budget.c - a trip's money: the budget (lines per category in one
 * currency; GET/PUT /v1/trips/:id/budget), expenses with their splits
 * (CRUD under /v1/trips/:id/expenses) and the balances between buddies
 * (GET /v1/trips/:id/balances: who owes whom, per currency).
 *
 * All amounts are integer minor units. An expense is split between trip
 * members by weight (default: every member, equally) with trips_split(),
 * members sorted by user id, so the remainder always goes the same way;
 * the splits are stored with the expense. Balances are exact sums of
 * those rows, settled with trips_settle().
 */
#include "api/api.h"
#include "api/idempotency.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "trips/logic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXP_COLS                                                                              \
    "id, trip_id, category, description, amount, currency, paid_by, spent_at, version, "      \
    "created_at, updated_at"
#define SPLIT_MAX 50
#define LINES_MAX 50

static store_conn_t *db_(void) { return loop_ctx_get()->db; }

/* ---- expenses -------------------------------------------------------------- */

static json_t *exp_json(store_conn_t *db, const store_res_t *r, int i, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(store_val(r, i, 0))};
    store_res_t *s = NULL;
    if (store_query(db,
                    "SELECT user_id, amount FROM expense_splits WHERE expense_id = $1 ORDER BY "
                    "user_id",
                    a, 1, &s, err) < 0)
        return NULL;
    json_t *splits = json_array();
    for (int k = 0; k < s->nrows; k++)
        json_array_append_new(splits, json_pack("{s:s, s:I}", "userId", store_val(s, k, 0),
                                                "amount", (json_int_t)store_int(s, k, 1)));
    store_res_free(s);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:I, s:o, s:o}", "id",
                     store_val(r, i, 0), "tripId", store_val(r, i, 1), "category",
                     store_val(r, i, 2), "description", store_val(r, i, 3), "amount",
                     (json_int_t)store_int(r, i, 4), "currency", store_val(r, i, 5), "paidBy",
                     store_val(r, i, 6), "spentAt", acc_time(store_int(r, i, 7)), "splits",
                     splits, "version", (json_int_t)store_int(r, i, 8), "createdAt",
                     acc_time(store_int(r, i, 9)), "updatedAt", acc_time(store_int(r, i, 10)));
}

typedef struct {
    const char *category, *description, *currency, *paid_by;
    int64_t amount, spent_at;
    size_t n;
    const char *users[SPLIT_MAX];
    int64_t weights[SPLIT_MAX], shares[SPLIT_MAX];
} exp_fields_t;

/* Reads "split": [{userId, weight?}] (default: every member, weight 1),
 * sorted by user id, then computes the shares. */
static int split_parse(json_t *b, const store_res_t *mem, exp_fields_t *f, apierr_t *err)
{
    json_t *sp = json_object_get(b, "split");
    f->n = 0;
    if (!sp || json_is_null(sp)) {
        for (int i = 0; i < mem->nrows && i < SPLIT_MAX; i++) {
            f->users[f->n] = store_val(mem, i, 0);
            f->weights[f->n++] = 1;
        }
    } else {
        if (!json_is_array(sp) || json_array_size(sp) == 0 || json_array_size(sp) > SPLIT_MAX)
            return acc_invalid(err, "split", "must be 1 to %d entries", SPLIT_MAX);
        size_t i;
        json_t *e;
        json_array_foreach(sp, i, e) {
            json_t *u = json_object_get(e, "userId"), *w = json_object_get(e, "weight");
            int m = json_is_string(u) ? trip_member_index(mem, json_string_value(u)) : -1;
            if (m < 0)
                return acc_invalid(err, "split", "entry %zu is not a member of the trip", i);
            if (w && (!json_is_integer(w) || json_integer_value(w) < 1 ||
                      json_integer_value(w) > 1000000))
                return acc_invalid(err, "split", "weights must be integers 1 to 1000000");
            const char *uid = store_val(mem, m, 0);
            size_t k = f->n; /* insertion sort by user id; duplicates refused */
            while (k > 0 && strcmp(f->users[k - 1], uid) > 0) {
                f->users[k] = f->users[k - 1];
                f->weights[k] = f->weights[k - 1];
                k--;
            }
            if (k > 0 && strcmp(f->users[k - 1], uid) == 0)
                return acc_invalid(err, "split", "a member appears twice");
            f->users[k] = uid;
            f->weights[k] = w ? json_integer_value(w) : 1;
            f->n++;
        }
    }
    if (trips_split(f->amount, f->weights, f->n, f->shares) < 0)
        return acc_invalid(err, "split", "cannot split this amount");
    return 0;
}

static int exp_parse(json_t *b, const store_res_t *mem, const char *me, exp_fields_t *f,
                     apierr_t *err)
{
    memset(f, 0, sizeof *f);
    bool has;
    if (acc_str(b, "category", 1, 40, false, &f->category, err) < 0 ||
        acc_str(b, "description", 0, 500, false, &f->description, err) < 0 ||
        tf_int(b, "amount", 1, 1000000000000000LL, true, &has, &f->amount, err) < 0 ||
        tf_currency(b, "currency", true, &f->currency, err) < 0 ||
        acc_str(b, "paidBy", 36, 36, false, &f->paid_by, err) < 0 ||
        tf_time(b, "spentAt", false, &has, &f->spent_at, err) < 0)
        return -1;
    if (!has)
        f->spent_at = clock_now_ms();
    if (!f->paid_by)
        f->paid_by = me;
    if (trip_member_index(mem, f->paid_by) < 0)
        return acc_invalid(err, "paidBy", "must be a member of the trip");
    if (!f->category)
        f->category = "other";
    if (!f->description)
        f->description = "";
    return split_parse(b, mem, f, err);
}

/* Inserts (s->expect 0) or updates at s->expect, with its splits between
 * the trip's members. */
static int exp_write_rows(store_conn_t *db, const trip_save_t *s, json_t *body,
                          const store_res_t *mem, apierr_t *err)
{
    exp_fields_t f; /* its users borrow from mem */
    if (exp_parse(body, mem, s->user_id, &f, err) < 0)
        return -1;
    store_arg_t a[] = {ARG_TEXT(s->id), ARG_TEXT(s->trip_id), ARG_TEXT(f.category),
                       ARG_TEXT(f.description), ARG_INT(f.amount), ARG_TEXT(f.currency),
                       ARG_TEXT(f.paid_by), ARG_INT(f.spent_at), ARG_INT(clock_now_ms()),
                       ARG_INT(s->expect)};
    if (trip_child_exec(db, s, "expense",
                        "INSERT INTO expenses (id, trip_id, category, description, amount, "
                        "currency, paid_by, spent_at, created_at, updated_at) VALUES ($1, "
                        "$2, $3, $4, $5, $6, $7, $8, $9, $9)",
                        9,
                        "UPDATE expenses SET category = $3, description = $4, amount = "
                        "$5, currency = $6, paid_by = $7, spent_at = $8, updated_at = $9, "
                        "version = version + 1 WHERE id = $1 AND trip_id = $2 AND version "
                        "= $10 AND deleted_at IS NULL",
                        10, a, err) < 0)
        return -1;
    store_arg_t d[] = {ARG_TEXT(s->id)};
    if (store_exec(db, "DELETE FROM expense_splits WHERE expense_id = $1", d, 1, err) < 0)
        return -1;
    for (size_t i = 0; i < f.n; i++) {
        store_arg_t sp[] = {ARG_TEXT(s->id), ARG_TEXT(f.users[i]), ARG_INT(f.shares[i])};
        if (store_exec(db,
                       "INSERT INTO expense_splits (expense_id, user_id, amount) VALUES ($1, $2, "
                       "$3)",
                       sp, 3, err) < 0)
            return -1;
    }
    return 0;
}

static int exp_save(store_conn_t *db, const trip_save_t *s, json_t *body, json_t **extra,
                    apierr_t *err)
{
    (void)extra;
    store_res_t *mem = NULL;
    if (trip_members(db, s->trip_id, &mem, err) < 0)
        return -1;
    int rc = exp_write_rows(db, s, body, mem, err);
    store_res_free(mem);
    return rc;
}

static json_t *exp_current(store_conn_t *db, const store_res_t *r, int row, bool pub,
                           apierr_t *err)
{
    (void)pub;
    return exp_json(db, r, row, err);
}

static int exp_remove(store_conn_t *db, const char *tid, const char *id, int64_t now,
                      apierr_t *err)
{
    (void)tid;
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(now)};
    return store_exec(db,
                      "UPDATE expenses SET deleted_at = $2, updated_at = $2, "
                      "version = version + 1 WHERE id = $1",
                      a, 2, err);
}

/* A PATCH without "split" splits anew (evenly by default). */
static const trip_child_t expense = {
    .param = "expId", .entity = "expense", .version_col = 8,     .current = exp_current, .remove = exp_remove, .save = exp_save, .patch_drop = "splits",
    .table = "expenses", .cols = EXP_COLS, .order_key = "spent_at", .int_key = true,
    .key_col = 7,
};

static void expenses_create_inner(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    trip_child_write(req, &expense, tid, NULL, req->json);
}

void expenses_create(http_req_t *req) { idem_run(req, expenses_create_inner); }

void expenses_patch(http_req_t *req)
{
    const char *tid, *eid;
    if (trip_path_id(req, "id", &tid) < 0 || trip_path_id(req, "expId", &eid) < 0 ||
        !acc_body(req))
        return;
    trip_child_write(req, &expense, tid, eid, req->json);
}

void expenses_list(http_req_t *req) { trip_child_list_h(req, &expense); }
void expenses_get(http_req_t *req) { trip_child_get_h(req, &expense); }
void expenses_delete(http_req_t *req) { trip_child_delete(req, &expense); }

/* ---- balances ------------------------------------------------------------------ */

/* One currency's balances from rows (user_id, paid, owed) sorted by user. */
static json_t *settle_json(const char *cur, const store_res_t *r, int from, int to)
{
    size_t n = (size_t)(to - from);
    int64_t *net = calloc(n + 1, sizeof *net);
    trips_transfer_t *tr = calloc(n + 1, sizeof *tr);
    json_t *bal = json_array(), *trs = json_array();
    for (size_t i = 0; i < n; i++) {
        int64_t paid = store_int(r, from + (int)i, 2), owed = store_int(r, from + (int)i, 3);
        net[i] = paid - owed;
        json_array_append_new(bal, json_pack("{s:s, s:I, s:I, s:I}", "userId",
                                             store_val(r, from + (int)i, 1), "paid",
                                             (json_int_t)paid, "owed", (json_int_t)owed, "net",
                                             (json_int_t)net[i]));
    }
    int k = net && tr ? trips_settle(net, n, tr) : -1;
    for (int i = 0; i < k; i++)
        json_array_append_new(trs, json_pack("{s:s, s:s, s:I}", "from",
                                             store_val(r, from + (int)tr[i].from, 1), "to",
                                             store_val(r, from + (int)tr[i].to, 1), "amount",
                                             (json_int_t)tr[i].amount));
    free(net);
    free(tr);
    return json_pack("{s:s, s:o, s:o}", "currency", cur, "balances", bal, "transfers", trs);
}

void balances_get(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = db_();
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_TEXT(tid)};
    if (trip_check(db, tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0 ||
        store_query(db,
                    "SELECT currency, user_id, SUM(paid), SUM(owed) FROM (SELECT e.currency, "
                    "e.paid_by AS user_id, e.amount AS paid, 0 AS owed FROM expenses e WHERE "
                    "e.trip_id = $1 AND e.deleted_at IS NULL UNION ALL SELECT e.currency, "
                    "s.user_id, 0, s.amount FROM expenses e JOIN expense_splits s ON "
                    "s.expense_id = e.id WHERE e.trip_id = $1 AND e.deleted_at IS NULL) x "
                    "GROUP BY currency, user_id ORDER BY currency, user_id",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *out = json_array();
    for (int i = 0; i < r->nrows;) {
        int j = i;
        while (j < r->nrows && strcmp(store_val(r, j, 0), store_val(r, i, 0)) == 0)
            j++;
        json_array_append_new(out, settle_json(store_val(r, i, 0), r, i, j));
        i = j;
    }
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o}", "currencies", out));
}

/* ---- budget -------------------------------------------------------------------- */

/* The budget view and its version; NULL with err on failure. */
static json_t *budget_json(store_conn_t *db, const char *tid, int64_t *version, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *t = NULL, *l = NULL, *sp = NULL;
    if (store_query(db, "SELECT currency, budget_version FROM trips WHERE id = $1", a, 1, &t,
                    err) < 0 ||
        store_query(db,
                    "SELECT category, amount FROM budget_lines WHERE trip_id = $1 AND deleted_at "
                    "IS NULL ORDER BY category",
                    a, 1, &l, err) < 0 ||
        store_query(db,
                    "SELECT e.category, SUM(e.amount) FROM expenses e JOIN trips t ON t.id = "
                    "e.trip_id WHERE e.trip_id = $1 AND e.deleted_at IS NULL AND e.currency = "
                    "t.currency GROUP BY e.category ORDER BY e.category",
                    a, 1, &sp, err) < 0) {
        store_res_free(t);
        store_res_free(l);
        return NULL;
    }
    json_t *lines = json_array(), *spent = json_object();
    int64_t total = 0, spent_total = 0;
    for (int i = 0; i < l->nrows; i++) {
        total += store_int(l, i, 1);
        json_array_append_new(lines, json_pack("{s:s, s:I}", "category", store_val(l, i, 0),
                                               "amount", (json_int_t)store_int(l, i, 1)));
    }
    for (int i = 0; i < sp->nrows; i++) {
        spent_total += store_int(sp, i, 1);
        json_object_set_new(spent, store_val(sp, i, 0), json_integer(store_int(sp, i, 1)));
    }
    int64_t v = store_int(t, 0, 1);
    const char *cur = store_val(t, 0, 0);
    json_t *body = json_pack("{s:o, s:o, s:I, s:o, s:I, s:I, s:I}", "currency",
                             cur ? json_string(cur) : json_null(), "lines", lines, "total",
                             (json_int_t)total, "spentByCategory", spent, "spent",
                             (json_int_t)spent_total, "remaining",
                             (json_int_t)(total - spent_total), "version", (json_int_t)v);
    store_res_free(t);
    store_res_free(l);
    store_res_free(sp);
    *version = v;
    return body;
}

static void budget_send(http_req_t *req, store_conn_t *db, const char *tid)
{
    apierr_t err = {0};
    int64_t v;
    json_t *b = budget_json(db, tid, &v, &err);
    if (!b)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, b);
    acc_etag(req, v);
}

void budget_get(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    if (trip_check(db_(), tid, req->user_id, ROLE_VIEWER, NULL, &err) < 0)
        ACC_FAIL(req, &err);
    budget_send(req, db_(), tid);
}

static int lines_parse(json_t *b, const char **cur, apierr_t *err)
{
    if (tf_currency(b, "currency", true, cur, err) < 0)
        return -1;
    json_t *lines = json_object_get(b, "lines");
    if (!json_is_array(lines) || json_array_size(lines) > LINES_MAX)
        return acc_invalid(err, "lines", "must be an array of at most %d lines", LINES_MAX);
    size_t i, j;
    json_t *e;
    json_array_foreach(lines, i, e) {
        json_t *c = json_object_get(e, "category"), *a = json_object_get(e, "amount");
        if (!json_is_string(c) || json_string_length(c) < 1 || json_string_length(c) > 40)
            return acc_invalid(err, "lines", "line %zu: category must be 1 to 40 characters", i);
        if (!json_is_integer(a) || json_integer_value(a) < 0 ||
            json_integer_value(a) > 1000000000000000LL)
            return acc_invalid(err, "lines", "line %zu: amount must be a non-negative integer", i);
        for (j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(lines, j), "category"), c))
                return acc_invalid(err, "lines", "category %s appears twice", json_string_value(c));
    }
    return 0;
}

void budget_put(http_req_t *req)
{
    const char *tid, *cur;
    if (trip_path_id(req, "id", &tid) < 0 || !acc_body(req))
        return;
    apierr_t err = {0};
    store_conn_t *db = db_();
    store_res_t *t = NULL;
    int64_t now = clock_now_ms(), v;
    if (lines_parse(req->json, &cur, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    store_arg_t a[] = {ARG_TEXT(tid), ARG_INT(now), ARG_TEXT(cur)};
    if (trip_lock(db, tid, &err) < 0 ||
        trip_check(db, tid, req->user_id, ROLE_EDITOR, NULL, &err) < 0 ||
        store_query(db, "SELECT budget_version FROM trips WHERE id = $1", a, 1, &t, &err) < 0)
        goto fail;
    if (trip_if_match(req, store_int(t, 0, 0)) < 0) {
        json_t *curj = budget_json(db, tid, &v, &err);
        sync_rollback(db);
        store_res_free(t);
        if (!curj)
            ACC_FAIL(req, &err);
        trip_send_stale(req, v, curj);
        return;
    }
    int64_t total = 0;
    size_t i;
    json_t *e;
    if (store_exec(db, "DELETE FROM budget_lines WHERE trip_id = $1", a, 1, &err) < 0)
        goto fail;
    json_array_foreach(json_object_get(req->json, "lines"), i, e) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        int64_t amt = json_integer_value(json_object_get(e, "amount"));
        total += amt;
        store_arg_t l[] = {ARG_TEXT(id), ARG_TEXT(tid),
                           ARG_TEXT(json_string_value(json_object_get(e, "category"))),
                           ARG_INT(amt), ARG_TEXT(cur), ARG_INT(now)};
        if (store_exec(db,
                       "INSERT INTO budget_lines (id, trip_id, category, amount, currency, "
                       "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                       l, 6, &err) < 0)
            goto fail;
    }
    store_arg_t u[] = {ARG_TEXT(tid), ARG_INT(total), ARG_TEXT(cur), ARG_INT(now)};
    json_t *data = json_pack("{s:s, s:I, s:O}", "currency", cur, "total", (json_int_t)total,
                             "lines", json_object_get(req->json, "lines"));
    int rc = store_exec(db,
                        "UPDATE trips SET budget = $2, currency = $3, updated_at = $4, version = "
                        "version + 1 WHERE id = $1",
                        u, 4, &err);
    if (rc == 0)
        rc = trip_bump_list(db, tid, "budget_version", &v, &err);
    store_res_t *tr = NULL;
    if (rc == 0)
        rc = trip_select(db, tid, &tr, &err);
    json_t *tj = rc == 0 ? trip_json(tr, 0, false) : NULL;
    store_res_free(tr);
    if (rc == 0)
        rc = changes_log(db, tid, NULL, "trip", tid, "update",
                         json_integer_value(json_object_get(tj, "version")), tj, &err);
    if (rc == 0)
        rc = changes_log(db, tid, NULL, "budget", tid, "update", v, data, &err);
    json_decref(tj);
    json_decref(data);
    if (rc < 0 || sync_commit(db, &err) < 0)
        goto fail;
    store_res_free(t);
    budget_send(req, db, tid);
    return;
fail:
    sync_rollback(db);
    store_res_free(t);
    ACC_FAIL(req, &err);
}
