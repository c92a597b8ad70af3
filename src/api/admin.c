/*
 * admin.c - /v1/admin: list and search users, change a role, suspend and
 * unsuspend. Every route needs the admin role (ROUTE_NEED_ADMIN, checked by
 * the auth middleware before the handler runs).
 *
 * A suspension takes effect at once: the auth middleware reads the user's
 * status on every request and refresh refuses suspended accounts.
 */
#include "api/api.h"
#include "api/acc_util.h"

#include "core/clock.h"
#include "core/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copies q into out as a LIKE pattern %q% with \ escapes. */
static void like_pattern(const char *q, char *out, size_t outlen)
{
    size_t o = 0;
    out[o++] = '%';
    for (const char *p = q; *p && o + 4 < outlen; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            out[o++] = '\\';
        out[o++] = *p;
    }
    out[o++] = '%';
    out[o] = '\0';
}

static void admin_users_list(http_req_t *req)
{
    apierr_t err = {0};
    const char *q = http_query(req, "q"), *ls = http_query(req, "limit"),
               *cursor = http_query(req, "cursor"), *role = http_query(req, "role");
    long limit = ls ? strtol(ls, NULL, 10) : 50;
    if (limit < 1 || limit > 100 || (cursor && !uuid_valid(cursor)) || (q && strlen(q) > 200)) {
        http_send_error(req, 400, "invalid_parameter",
                        "limit is 1..100, cursor an id from nextCursor, q at most 200 bytes");
        return;
    }
    char pat[420];
    like_pattern(q ? q : "", pat, sizeof pat);
    store_arg_t a[] = {ARG_TEXT(pat), ARG_TEXT(cursor ? cursor : ""), ARG_INT(limit + 1),
                       ARG_TEXT(role)};
    store_res_t *r = NULL;
    if (store_query(acc_db(),
                    "SELECT " ACC_USER_COLS " FROM users WHERE status <> 'deleted' AND id > $2 AND "
                    "(LOWER(email) LIKE LOWER($1) ESCAPE '\\' OR LOWER(first_name || ' ' || "
                    "last_name) LIKE LOWER($1) ESCAPE '\\') AND (CAST($4 AS TEXT) IS NULL OR "
                    "role = $4) ORDER BY id LIMIT $3",
                    a, 4, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    int n = r->nrows > limit ? (int)limit : r->nrows;
    for (int i = 0; i < n; i++)
        json_array_append_new(items, acc_user_json(r, i));
    json_t *next = r->nrows > limit ? json_string(store_val(r, n - 1, 0)) : json_null();
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

static void send_user(http_req_t *req, const char *id)
{
    apierr_t err = {0};
    store_res_t *r = NULL;
    if (acc_user_load(acc_db(), id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *u = acc_user_json(r, 0);
    store_res_free(r);
    http_send_json(req, 200, u);
}

/* Runs an UPDATE on user :id ($1 = id, $2 = value, $3 = now); 404 when
 * no live user matched. */
static void update_user(http_req_t *req, const char *sql, const char *value)
{
    apierr_t err = {0};
    const char *id = http_param(req, "id");
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(value), ARG_INT(clock_now_ms())};
    store_res_t *r = NULL;
    if (store_query(acc_db(), sql, a, 3, &r, &err) < 0)
        ACC_FAIL(req, &err);
    bool ok = r->changes == 1;
    store_res_free(r);
    if (!ok) {
        http_send_error(req, 404, "not_found", "no such user");
        return;
    }
    send_user(req, id);
}

static void admin_users_role(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *role;
    if (acc_str(b, "role", 1, 20, true, &role, &err) < 0)
        ACC_FAIL(req, &err);
    if (strcmp(role, "traveller") && strcmp(role, "guide") && strcmp(role, "admin")) {
        acc_invalid(&err, "role", "must be traveller, guide or admin");
        ACC_FAIL(req, &err);
    }
    if (strcmp(http_param(req, "id"), req->user_id) == 0 && strcmp(role, "admin") != 0) {
        http_send_error(req, 409, "cannot_demote_self", "an admin cannot remove their own role");
        return;
    }
    update_user(req,
                "UPDATE users SET role = $2, updated_at = $3, version = version + 1 WHERE id = $1 "
                "AND status <> 'deleted'",
                role);
}

static void set_status(http_req_t *req, const char *status)
{
    if (strcmp(http_param(req, "id"), req->user_id) == 0) {
        http_send_error(req, 409, "cannot_suspend_self", "an admin cannot suspend themselves");
        return;
    }
    update_user(req,
                "UPDATE users SET status = $2, updated_at = $3, version = version + 1 WHERE id = "
                "$1 AND status <> 'deleted'",
                status);
}

static void admin_users_suspend(http_req_t *req) { set_status(req, "suspended"); }
static void admin_users_unsuspend(http_req_t *req) { set_status(req, "active"); }

const route_t admin_routes[] = {
    {"GET", "/v1/admin/users", admin_users_list, 0, 0, "List and search users", ROUTE_NEED_ADMIN},
    {"PUT", "/v1/admin/users/:id/role", admin_users_role, 0, 4096, "Change a user's role", ROUTE_NEED_ADMIN},
    {"POST", "/v1/admin/users/:id/suspend", admin_users_suspend, 0, 4096, "Suspend a user", ROUTE_NEED_ADMIN},
    {"POST", "/v1/admin/users/:id/unsuspend", admin_users_unsuspend, 0, 4096, "Lift a suspension", ROUTE_NEED_ADMIN},
};
const int admin_routes_count = (int)(sizeof admin_routes / sizeof admin_routes[0]);
