/*
 * idempotency.c - Idempotency-Key records (see idempotency.h).
 *
 * The first request claims (user, key) with an INSERT ... ON CONFLICT DO
 * NOTHING of a row with status 0, runs the handler, then stores the
 * response in that row (or deletes the row after a 5xx). The claim is
 * committed before the handler runs, so a concurrent duplicate sees it
 * and is told the key is in use rather than running twice. The body hash
 * is SHA-256 over method, path and body.
 */
#include "api/idempotency.h"

#include "api/acc_util.h"
#include "core/clock.h"
#include "core/loopctx.h"
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static bool key_ok(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > IDEM_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return false;
    return true;
}

static void body_hash(http_req_t *req, char out[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->method_name,
                              strlen(req->method_name));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->path, strlen(req->path));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    if (req->body.len)
        crypto_hash_sha256_update(&st, (const unsigned char *)req->body.data, req->body.len);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Keeps the header lines a replay must repeat (ETag, Location). */
static void kept_headers(const buf_t *h, buf_t *out)
{
    const char *p = h->data, *end = h->data ? h->data + h->len : NULL;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
        if (strncasecmp(p, "ETag:", 5) == 0 || strncasecmp(p, "Location:", 9) == 0)
            buf_append(out, p, n);
        p += n;
    }
}

static void replay(http_req_t *req, const store_res_t *r)
{
    const char *ct = store_val(r, 0, 3);
    const char *body = store_val(r, 0, 4);
    http_send_raw(req, (int)store_int(r, 0, 1), ct ? pool_strdup(&req->pool, ct) : NULL, body,
                  body ? strlen(body) : 0);
    const char *h = store_val(r, 0, 2);
    if (h && *h)
        buf_puts(&req->res.headers, h);
    http_add_header(req, "Idempotent-Replayed", "true");
}

/* 1 when this request now owns the key, 0 when answered, -1 on error. */
static int claim(http_req_t *req, store_conn_t *db, const char *user, const char *key,
                 const char *hash, apierr_t *err)
{
    int64_t now = clock_now_ms();
    for (int attempt = 0; attempt < 2; attempt++) {
        store_arg_t a[] = {ARG_TEXT(user), ARG_TEXT(key), ARG_TEXT(hash), ARG_INT(now)};
        store_res_t *r = NULL;
        if (store_query(db,
                        "INSERT INTO idempotency_keys (user_id, key, body_hash, status, "
                        "created_at) VALUES ($1, $2, $3, 0, $4) ON CONFLICT (user_id, key) DO "
                        "NOTHING",
                        a, 4, &r, err) < 0)
            return -1;
        bool mine = r->changes == 1;
        store_res_free(r);
        if (mine)
            return 1;
        if (store_query(db,
                        "SELECT body_hash, status, headers, content_type, response, created_at "
                        "FROM idempotency_keys WHERE user_id = $1 AND key = $2",
                        a, 2, &r, err) < 0)
            return -1;
        /* Expired, or claimed by a request that never finished (the
         * process died): forget it and claim again. */
        if (r->nrows == 1 && (store_int(r, 0, 5) < now - IDEM_TTL_MS ||
                              (store_int(r, 0, 1) == 0 && store_int(r, 0, 5) < now - IDEM_STALE_MS))) {
            store_arg_t d[] = {ARG_TEXT(user), ARG_TEXT(key), ARG_INT(store_int(r, 0, 5))};
            store_res_free(r);
            if (store_exec(db,
                           "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND "
                           "created_at = $3",
                           d, 3, err) < 0)
                return -1;
            continue;
        }
        if (r->nrows != 1) { /* deleted meanwhile: try again */
            store_res_free(r);
            continue;
        }
        if (strcmp(store_val(r, 0, 0), hash) != 0) {
            apierr_set(err, 422, "idempotency_key_reused",
                       "this Idempotency-Key was used for a different request");
            apierr_detail(err, "field", json_string("Idempotency-Key"));
        } else if (store_int(r, 0, 1) == 0) {
            apierr_set(err, 409, "idempotency_key_in_use",
                       "the first request with this Idempotency-Key is still running");
        } else {
            replay(req, r);
            store_res_free(r);
            return 0;
        }
        store_res_free(r);
        return -1;
    }
    return apierr_set(err, 409, "idempotency_key_in_use", "the Idempotency-Key is busy");
}

static void record(http_req_t *req, store_conn_t *db, const char *user, const char *key)
{
    apierr_t err = {0};
    if (req->res.status >= 500 || req->res.status == 0) {
        store_arg_t a[] = {ARG_TEXT(user), ARG_TEXT(key)};
        store_exec(db, "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2", a, 2, &err);
        apierr_clear(&err);
        return;
    }
    buf_t h = BUF_INIT;
    kept_headers(&req->res.headers, &h);
    char *body = pool_strndup(&req->pool, req->res.body.data ? req->res.body.data : "",
                              req->res.body.len);
    store_arg_t a[] = {ARG_TEXT(user), ARG_TEXT(key), ARG_INT(req->res.status),
                       ARG_TEXT(h.data ? h.data : ""), ARG_TEXT(req->res.content_type),
                       ARG_TEXT(body ? body : "")};
    store_exec(db,
               "UPDATE idempotency_keys SET status = $3, headers = $4, content_type = $5, "
               "response = $6 WHERE user_id = $1 AND key = $2",
               a, 6, &err);
    apierr_clear(&err);
    buf_free(&h);
}

void idem_run(http_req_t *req, http_handler_fn fn)
{
    const char *key = http_header(req, "idempotency-key");
    if (!key) {
        fn(req);
        return;
    }
    if (!key_ok(key)) {
        apierr_t e = {0};
        apierr_set(&e, 400, "invalid_idempotency_key",
                   "Idempotency-Key must be 1 to %d visible ASCII characters", IDEM_KEY_MAX);
        http_send_apierr(req, &e);
        return;
    }
    char user[80];
    if (req->user_id[0])
        snprintf(user, sizeof user, "%s", req->user_id);
    else
        snprintf(user, sizeof user, "ip:%s", req->client_ip);
    char hash[65];
    body_hash(req, hash);
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t err = {0};
    int rc = claim(req, db, user, key, hash, &err);
    if (rc < 0) {
        http_send_apierr(req, &err);
        return;
    }
    if (rc == 0)
        return;
    fn(req);
    record(req, db, user, key);
}

int idem_purge(void)
{
    apierr_t err = {0};
    store_arg_t a[] = {ARG_INT(clock_now_ms() - IDEM_TTL_MS)};
    store_res_t *r = NULL;
    if (store_query(loop_ctx_get()->db, "DELETE FROM idempotency_keys WHERE created_at < $1", a, 1,
                    &r, &err) < 0) {
        apierr_clear(&err);
        return -1;
    }
    int n = (int)r->changes;
    store_res_free(r);
    return n;
}
