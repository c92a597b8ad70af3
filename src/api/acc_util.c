/*
 * acc_util.c - request helpers for the accounts handlers (see acc_util.h).
 */
#include "api/acc_util.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

store_conn_t *acc_db(void) { return loop_ctx_get()->db; }

json_t *acc_body(http_req_t *req)
{
    if (!req->json || !json_is_object(req->json)) {
        http_send_error(req, 400, "invalid_body", "the body must be a JSON object");
        return NULL;
    }
    return req->json;
}

int acc_invalid(apierr_t *err, const char *field, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    apierr_set(err, 422, "validation_failed", "%s: %s", field, msg);
    apierr_detail(err, "field", json_string(field));
    return -1;
}

int acc_str(json_t *obj, const char *field, size_t min, size_t max, bool required,
            const char **out, apierr_t *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) {
        if (required)
            return acc_invalid(err, field, "is required");
        return 0;
    }
    if (!json_is_string(v))
        return acc_invalid(err, field, "must be a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), cps = 0;
    if (strlen(s) != len || validate_utf8(s, len, &cps) != 0)
        return acc_invalid(err, field, "must be valid UTF-8 without NUL");
    if (cps < min || cps > max)
        return acc_invalid(err, field, "must be %zu to %zu characters", min, max);
    *out = s;
    return 0;
}

void acc_fail(http_req_t *req, apierr_t *err)
{
    if (!err->status)
        apierr_set(err, 500, "internal", "unexpected error");
    http_send_apierr(req, err);
}

json_t *acc_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char b[32];
    clock_rfc3339(ms, b, sizeof b);
    return json_string(b);
}

json_t *acc_time_col(const store_res_t *r, int row, int col)
{
    return store_val(r, row, col) ? acc_time(store_int(r, row, col)) : json_null();
}

json_t *acc_json_col(const store_res_t *r, int row, int col, bool fallback_array)
{
    const char *v = store_val(r, row, col);
    json_t *j = v ? json_loads(v, 0, NULL) : NULL;
    if (!j)
        j = fallback_array ? json_array() : json_object();
    return j;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *photo_url(const char *photo)
{
    if (!photo)
        return json_null();
    char b[200];
    snprintf(b, sizeof b, "/v1/media/%s", photo);
    return json_string(b);
}

json_t *acc_user_json(const store_res_t *r, int i)
{
    json_t *u = json_object();
    json_object_set_new(u, "id", json_string(store_val(r, i, 0)));
    json_object_set_new(u, "email", json_string(store_val(r, i, 1)));
    json_object_set_new(u, "firstName", json_string(store_val(r, i, 2)));
    json_object_set_new(u, "lastName", json_string(store_val(r, i, 3)));
    json_object_set_new(u, "phoneNumber", str_or_null(store_val(r, i, 4)));
    json_object_set_new(u, "role", json_string(store_val(r, i, 5)));
    json_object_set_new(u, "status", json_string(store_val(r, i, 6)));
    json_object_set_new(u, "emailVerified", json_boolean(store_bool(r, i, 7)));
    json_object_set_new(u, "phoneVerified", json_boolean(store_bool(r, i, 8)));
    json_object_set_new(u, "bio", json_string(store_val(r, i, 9)));
    json_object_set_new(u, "languages", acc_json_col(r, i, 10, true));
    json_object_set_new(u, "photoUrl", photo_url(store_val(r, i, 11)));
    json_object_set_new(u, "trustScore", json_integer(store_int(r, i, 12)));
    json_object_set_new(u, "mfaEnabled", json_boolean(store_bool(r, i, 16)));
    json_object_set_new(u, "version", json_integer(store_int(r, i, 13)));
    json_object_set_new(u, "createdAt", acc_time(store_int(r, i, 14)));
    json_object_set_new(u, "updatedAt", acc_time(store_int(r, i, 15)));
    return u;
}

json_t *acc_user_public_json(const store_res_t *r, int i)
{
    json_t *u = json_object();
    json_object_set_new(u, "id", json_string(store_val(r, i, 0)));
    json_object_set_new(u, "firstName", json_string(store_val(r, i, 2)));
    json_object_set_new(u, "lastName", json_string(store_val(r, i, 3)));
    json_object_set_new(u, "role", json_string(store_val(r, i, 5)));
    json_object_set_new(u, "bio", json_string(store_val(r, i, 9)));
    json_object_set_new(u, "languages", acc_json_col(r, i, 10, true));
    json_object_set_new(u, "photoUrl", photo_url(store_val(r, i, 11)));
    json_object_set_new(u, "trustScore", json_integer(store_int(r, i, 12)));
    json_object_set_new(u, "emailVerified", json_boolean(store_bool(r, i, 7)));
    json_object_set_new(u, "phoneVerified", json_boolean(store_bool(r, i, 8)));
    json_object_set_new(u, "createdAt", acc_time(store_int(r, i, 14)));
    return u;
}

int acc_user_load(store_conn_t *db, const char *id, store_res_t **out, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id)};
    if (store_query(db, "SELECT " ACC_USER_COLS " FROM users WHERE id = $1 AND status <> 'deleted'",
                    a, 1, out, err) < 0)
        return -1;
    if ((*out)->nrows != 1) {
        store_res_free(*out);
        *out = NULL;
        return apierr_set(err, 404, "not_found", "no such user");
    }
    return 0;
}

int acc_email(json_t *obj, const char *field, char *out, size_t outlen, apierr_t *err)
{
    const char *s;
    if (acc_str(obj, field, 3, 254, true, &s, err) < 0)
        return -1;
    if (validate_email_normalize(s, strlen(s), out, outlen) <= 0)
        return acc_invalid(err, field, "is not a valid e-mail address");
    return 0;
}

void acc_etag(http_req_t *req, int64_t version)
{
    char v[40];
    snprintf(v, sizeof v, "\"%lld\"", (long long)version);
    http_add_header(req, "ETag", v);
}

int acc_if_match(http_req_t *req, int64_t version, apierr_t *err)
{
    const char *m = http_header(req, "if-match");
    if (!m || strcmp(m, "*") == 0)
        return 0;
    char v[40];
    snprintf(v, sizeof v, "\"%lld\"", (long long)version);
    if (strcmp(m, v) == 0 || (strncmp(m, "W/", 2) == 0 && strcmp(m + 2, v) == 0))
        return 0;
    return apierr_set(err, 412, "precondition_failed",
                      "the resource has changed (version %lld)", (long long)version);
}
