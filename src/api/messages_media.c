/*
 * messages_media.c - POST /v1/messages/conversations/:id/media: an image
 * sent as a message. The raw body (at most 10 MiB; the router answers 413
 * above) is typed by its content (core/sniff.h: JPEG, PNG or WebP, else
 * 415) and stored like profile photos: content-addressed as
 * <sha256 hex>.<ext> under <data_dir>/media/, written to a temporary name
 * on the thread pool and renamed, served by GET /v1/media/:name. Caption
 * (?text=) and ?clientMessageId= come from the query. Membership is
 * checked before anything is written.
 */
#include "api/api.h"
#include "api/acc_util.h"

#include "core/fsdir.h"
#include "core/loopctx.h"
#include "core/sniff.h"
#include "http/server.h"
#include "messaging/messaging.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[4096];
    char path[4200];
    const char *data;
    size_t len;
    int rc;
} media_job_t;

static void media_write(void *arg)
{
    media_job_t *j = arg;
    j->rc = -1;
    if (fsdir_make(j->dir) < 0)
        return;
    if (access(j->path, F_OK) == 0) {
        j->rc = 0;
        return;
    }
    unsigned char rnd[8];
    char hex[17], tmp[4200];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    snprintf(tmp, sizeof tmp, "%s/.tmp-m-%s", j->dir, hex);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    size_t off = 0;
    while (off < j->len) {
        ssize_t n = write(fd, j->data + off, j->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    bool ok = off == j->len && fsync(fd) == 0;
    close(fd);
    if (ok && rename(tmp, j->path) == 0)
        j->rc = 0;
    else
        unlink(tmp);
}

void messages_media_post(http_req_t *req)
{
    store_conn_t *db = loop_ctx_get()->db;
    const char *cid = http_param(req, "id");
    if (!msg_is_member(db, cid, req->user_id)) {
        http_send_error(req, 404, "not_found", "no such conversation");
        return;
    }
    sniff_type_t t = sniff_image((const uint8_t *)req->body.data, req->body.len);
    if (t != SNIFF_JPEG && t != SNIFF_PNG && t != SNIFF_WEBP) {
        http_send_error(req, 415, "unsupported_media_type",
                        "the image must be a JPEG, PNG or WebP file");
        return;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[65], name[80];
    crypto_hash_sha256(h, (const unsigned char *)req->body.data, req->body.len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(name, sizeof name, "%s.%s", hex, sniff_extension(t));
    media_job_t j = {.data = req->body.data, .len = req->body.len};
    snprintf(j.dir, sizeof j.dir, "%s/media", server_config()->data_dir);
    snprintf(j.path, sizeof j.path, "%s/%s", j.dir, name);
    if (loop_run_blocking(media_write, &j) < 0 || j.rc < 0) {
        http_send_error(req, 500, "storage_failed", "the image could not be stored");
        return;
    }
    json_t *body = json_object();
    const char *text = http_query(req, "text"), *client = http_query(req, "clientMessageId");
    if (text)
        json_object_set_new(body, "text", json_string(text));
    if (client)
        json_object_set_new(body, "clientMessageId", json_string(client));
    msg_media_t m = {.name = name, .content_type = sniff_mime(t), .size = (int64_t)req->body.len};
    apierr_t err = {0};
    json_t *out;
    bool created;
    int rc = msg_send(db, req->user_id, cid, body, &m, NULL, &out, &created, &err);
    json_decref(body);
    if (rc < 0)
        ACC_FAIL(req, &err);
    http_send_json(req, created ? 201 : 200, out);
}
