/*
 * users_photo.c - profile photos: upload (PUT /v1/users/profile/photo, a
 * raw body of at most 5 MiB) and serving (GET /v1/media/:name).
 *
 * The type comes from the content (core/sniff.h): JPEG, PNG or WebP, else
 * 415. Files are content-addressed, <sha256 hex>.<ext> under
 * <data_dir>/media/, written to a temporary name and renamed, so equal
 * images are stored once and a name never changes meaning; that is what
 * allows an ETag of the hash and a year-long immutable cache. File I/O
 * runs on the thread pool.
 */
#include "api/users_int.h"
#include "api/sync_log.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/fsdir.h"
#include "core/loopctx.h"
#include "core/sniff.h"
#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char path[4096];
    const char *data;
    size_t len;
    buf_t out;
    int rc;
} file_job_t;

static void write_job(void *arg)
{
    file_job_t *j = arg;
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s/media", server_config()->data_dir);
    j->rc = -1;
    if (fsdir_make(dir) < 0)
        return;
    if (access(j->path, F_OK) == 0) {
        j->rc = 0;
        return;
    }
    unsigned char rnd[8];
    char hex[17];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s", dir, hex);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    bool ok = write(fd, j->data, j->len) == (ssize_t)j->len && fsync(fd) == 0;
    close(fd);
    if (ok && rename(tmp, j->path) == 0)
        j->rc = 0;
    else
        unlink(tmp);
}

static void read_job(void *arg)
{
    file_job_t *j = arg;
    FILE *f = fopen(j->path, "rb");
    j->rc = -1;
    if (!f)
        return;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(&j->out, chunk, n) < 0) {
            fclose(f);
            return;
        }
    fclose(f);
    j->rc = 0;
}

void users_photo_put(http_req_t *req)
{
    sniff_type_t t = sniff_image((const uint8_t *)req->body.data, req->body.len);
    if (t != SNIFF_JPEG && t != SNIFF_PNG && t != SNIFF_WEBP) {
        http_send_error(req, 415, "unsupported_media_type",
                        "the photo must be a JPEG, PNG or WebP image");
        return;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[65], name[80];
    crypto_hash_sha256(h, (const unsigned char *)req->body.data, req->body.len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(name, sizeof name, "%s.%s", hex, sniff_extension(t));
    file_job_t j = {.data = req->body.data, .len = req->body.len};
    snprintf(j.path, sizeof j.path, "%s/media/%s", server_config()->data_dir, name);
    if (loop_run_blocking(write_job, &j) < 0 || j.rc < 0) {
        http_send_error(req, 500, "storage_failed", "the photo could not be stored");
        return;
    }
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(name), ARG_INT(clock_now_ms())};
    store_conn_t *db = acc_db();
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (store_exec(db,
                   "UPDATE users SET photo = $2, updated_at = $3, version = version + 1 WHERE id = $1",
                   a, 3, &err) < 0 ||
        sync_user_log(db, req->user_id, "profile", req->user_id, "update", 0, &err) < 0 ||
        sync_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    char url[120];
    snprintf(url, sizeof url, "/v1/media/%s", name);
    http_send_json(req, 200, json_pack("{s:s, s:s, s:I}", "photoUrl", url, "contentType",
                                       sniff_mime(t), "size", (json_int_t)req->body.len));
}

static const char *media_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && (size_t)(dot - name) == 64 && strspn(name, "0123456789abcdef") == 64) {
        if (strcmp(dot, ".jpg") == 0)
            return "image/jpeg";
        if (strcmp(dot, ".png") == 0)
            return "image/png";
        if (strcmp(dot, ".webp") == 0)
            return "image/webp";
    }
    return NULL;
}

void users_media_get(http_req_t *req)
{
    const char *name = http_param(req, "name");
    const char *type = media_type(name);
    if (!type) {
        http_send_error(req, 404, "not_found", "no such media");
        return;
    }
    char etag[80];
    snprintf(etag, sizeof etag, "\"%.64s\"", name);
    const char *inm = http_header(req, "if-none-match");
    if (inm && strcmp(inm, etag) == 0) {
        http_send_raw(req, 304, NULL, NULL, 0);
        http_add_header(req, "ETag", etag);
        return;
    }
    file_job_t j = {.out = BUF_INIT};
    snprintf(j.path, sizeof j.path, "%s/media/%s", server_config()->data_dir, name);
    if (loop_run_blocking(read_job, &j) < 0 || j.rc < 0) {
        buf_free(&j.out);
        http_send_error(req, 404, "not_found", "no such media");
        return;
    }
    http_send_raw(req, 200, type, j.out.data, j.out.len);
    buf_free(&j.out);
    http_add_header(req, "ETag", etag);
    http_add_header(req, "Cache-Control", "public, max-age=31536000, immutable");
    http_add_header(req, "X-Content-Type-Options", "nosniff");
    req->res.no_compress = true;
}
