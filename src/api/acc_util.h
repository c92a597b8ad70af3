/*
 * acc_util.h - helpers shared by the accounts handlers (auth*.c, users*.c,
 * admin.c): reading and checking JSON body fields, the user JSON shapes,
 * and timestamps.
 *
 * Field readers never trust input: a wrong type, a bad length or invalid
 * UTF-8 fills err with 422 "validation_failed" naming the field in
 * details.field. Strings they return are borrowed from req->json and live
 * as long as the request. JSON values they build are new references.
 */
#ifndef TRAVLOC_ACC_UTIL_H
#define TRAVLOC_ACC_UTIL_H

#include "http/http.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

/* Column list (and order) acc_user_json() reads; select it FROM users. */
#define ACC_USER_COLS                                                                          \
    "id, email, first_name, last_name, phone, role, status, email_verified, phone_verified, "  \
    "bio, languages, photo, trust_score, version, created_at, updated_at, "                    \
    "(SELECT enabled FROM mfa WHERE mfa.user_id = users.id) AS mfa_enabled"

store_conn_t *acc_db(void);

/* The body must be a JSON object: otherwise answers 400 and returns NULL. */
json_t *acc_body(http_req_t *req);

/* Reads obj.field as a string of min..max code points. Absent or null:
 * *out = NULL and, if required, 422. Returns 0 or -1 with err set. */
int acc_str(json_t *obj, const char *field, size_t min, size_t max, bool required,
            const char **out, apierr_t *err);
/* 422 naming the field. Returns -1. */
int acc_invalid(apierr_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends err (a 500 if none is set) and clears it. */
void acc_fail(http_req_t *req, apierr_t *err);
/* In a void handler: send err and return. */
#define ACC_FAIL(req, err)                                                                      \
    do {                                                                                        \
        acc_fail(req, err);                                                                     \
        return;                                                                                 \
    } while (0)

/* RFC 3339 string, or JSON null for 0 / absent. */
json_t *acc_time(int64_t ms);
json_t *acc_time_col(const store_res_t *r, int row, int col);

/* The signed-in user's own view, and the public subset others see. */
json_t *acc_user_json(const store_res_t *r, int row);
json_t *acc_user_public_json(const store_res_t *r, int row);
/* Loads one user (ACC_USER_COLS) that is not deleted; 404 otherwise. */
int acc_user_load(store_conn_t *db, const char *id, store_res_t **out, apierr_t *err);

/* Normalises an e-mail from field; 422 when invalid. out >= 255 bytes. */
int acc_email(json_t *obj, const char *field, char *out, size_t outlen, apierr_t *err);

/* Parses a JSON text column; returns a new reference (empty object/array
 * on a NULL or broken value, as `fallback_array` says). */
json_t *acc_json_col(const store_res_t *r, int row, int col, bool fallback_array);

/* Sets ETag from a version number. */
void acc_etag(http_req_t *req, int64_t version);
/* If-Match check: 0 when absent or equal to version, else 412 in err. */
int acc_if_match(http_req_t *req, int64_t version, apierr_t *err);

#endif
