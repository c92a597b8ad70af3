/*
 * mailer.c - the outbox: enqueueing (row + queue job), message formatting,
 * maildir files, and the start-up/shutdown of the mail module.
 *
 * State: the serve configuration (borrowed from mailer_start until
 * mailer_stop) and whether libcurl was initialised. Delivery itself is the
 * job handler in mail_job.c.
 */
#include "accounts/mailer.h"

#include "accounts/mail_job.h"
#include "accounts/sms.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/fsdir.h"
#include "core/log.h"
#include "core/uuid.h"
#include "queue/queue.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static struct {
    bool started;
    const config_t *cfg;
} M;

const config_t *mail_job__config(void)
{
    return M.cfg ? M.cfg : queue_worker_config();
}

/* Enqueues the delivery job of outbox row id: 0, or -1 with err. */
static int enqueue_job(store_conn_t *db, const char *id, const char *kind, apierr_t *err)
{
    char job[37];
    json_t *payload = json_pack("{s:s}", "outboxId", id);
    if (!payload)
        return apierr_set(err, 500, "internal", "out of memory");
    job_spec_t spec = {.queue = MAILER_QUEUE,
                       .type = strcmp(kind, "sms") == 0 ? MAILER_JOB_SMS : MAILER_JOB_MAIL,
                       .payload = payload, .max_attempts = MAILER_MAX_ATTEMPTS,
                       .backoff = QUEUE_BACKOFF_EXPONENTIAL, .backoff_ms = 1000,
                       .dedupe_key = id};
    int rc = queue_enqueue(db, &spec, job, err);
    json_decref(payload);
    return rc < 0 ? -1 : 0;
}

int mailer_enqueue(store_conn_t *db, const char *kind, const char *to, const char *subject,
                   const char *body, apierr_t *err)
{
    char id[UUID_STR_LEN];
    uuid_v7(id);
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(kind), ARG_TEXT(to),
                       ARG_TEXT(subject ? subject : ""), ARG_TEXT(body), ARG_INT(now)};
    if (store_exec(db,
                   "INSERT INTO outbox (id, kind, recipient, subject, body, next_attempt_at, "
                   "created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                   a, 6, err) < 0)
        return -1;
    if (enqueue_job(db, id, kind, err) < 0) {
        /* Outside a transaction the row must not stay without its job. */
        apierr_t e = {0};
        store_arg_t d[] = {ARG_TEXT(id)};
        store_exec(db, "DELETE FROM outbox WHERE id = $1", d, 1, &e);
        apierr_clear(&e);
        return -1;
    }
    return 0;
}

static void put_line(buf_t *b, const char *line, int crlf)
{
    buf_puts(b, line);
    buf_puts(b, crlf ? "\r\n" : "\n");
}

char *mailer_format(const char *from, const char *to, const char *subject, const char *body,
                    const char *message_id, int64_t date_ms, int crlf)
{
    buf_t b = BUF_INIT;
    char line[1024], date[64];
    time_t t = (time_t)(date_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(line, sizeof line, "Date: %s", date);
    put_line(&b, line, crlf);
    snprintf(line, sizeof line, "From: Travloc <%s>", from);
    put_line(&b, line, crlf);
    snprintf(line, sizeof line, "To: <%s>", to);
    put_line(&b, line, crlf);
    snprintf(line, sizeof line, "Subject: %s", subject);
    put_line(&b, line, crlf);
    snprintf(line, sizeof line, "Message-ID: <%s@travloc>", message_id);
    put_line(&b, line, crlf);
    put_line(&b, "MIME-Version: 1.0", crlf);
    put_line(&b, "Content-Type: text/plain; charset=utf-8", crlf);
    put_line(&b, "Content-Transfer-Encoding: 8bit", crlf);
    put_line(&b, "", crlf);
    for (const char *p = body; *p;) {
        size_t n = strcspn(p, "\n");
        buf_append(&b, p, n);
        buf_puts(&b, crlf ? "\r\n" : "\n");
        p += n;
        if (*p == '\n')
            p++;
    }
    return buf_steal(&b);
}

/* ---- delivery ---------------------------------------------------------------- */

static int mkdirs(const char *base, const char *sub)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", base, sub);
    if (fsdir_make(p) < 0) /* the data directory itself may not exist yet */
        return -1;
    const char *parts[] = {"tmp", "new", "cur"};
    for (int i = 0; i < 3; i++) {
        char q[4200];
        snprintf(q, sizeof q, "%s/%s", p, parts[i]);
        if (mkdir(q, 0755) < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* Writes data into <dir>/tmp/<name> and renames it into <dir>/new/. */
int mailer_drop_file(const char *base, const char *sub, const char *name, const char *data,
                     char *why, size_t whylen)
{
    if (mkdirs(base, sub) < 0) {
        snprintf(why, whylen, "cannot create %.300s/%s: %s", base, sub, strerror(errno));
        return -1;
    }
    char tmp[4400], fin[4400];
    snprintf(tmp, sizeof tmp, "%s/%s/tmp/%s", base, sub, name);
    snprintf(fin, sizeof fin, "%s/%s/new/%s", base, sub, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t len = strlen(data);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
        snprintf(why, whylen, "cannot write %.300s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, fin) < 0) {
        snprintf(why, whylen, "cannot rename into %.300s: %s", fin, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Gives the mail queue its default concurrency unless an operator has
 * configured the queue already (a job_queues row exists). */
static void default_concurrency(store_t *store)
{
    store_conn_t *db = store_conn_open(store, NULL);
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_TEXT(MAILER_QUEUE)};
    if (db && store_query(db, "SELECT 1 FROM job_queues WHERE name = $1", a, 1, &r, &e) == 0 &&
        r->nrows == 0) {
        queue_settings_t s = {.concurrency = MAILER_CONCURRENCY, .rate_max = -1,
                              .rate_interval_ms = -1, .keep_completed_ms = -1,
                              .keep_completed_count = -1};
        if (queue_configure(db, MAILER_QUEUE, &s, &e) < 0)
            log_warn("mail queue: cannot set its default concurrency", NULL);
    }
    apierr_clear(&e);
    store_res_free(r);
    store_conn_close(db);
}

/* Gives a job to every unsent row that has none (rows queued before the
 * job queue carried mail, or whose dead-lettered job was purged). */
static void adopt_orphans(store_t *store)
{
    store_conn_t *db = store_conn_open(store, NULL);
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_TEXT(MAILER_QUEUE)};
    if (db && store_query(db,
                          "SELECT o.id, o.kind FROM outbox o WHERE o.sent_at IS NULL AND NOT "
                          "EXISTS (SELECT 1 FROM jobs j WHERE j.queue = $1 AND "
                          "j.dedupe_key = o.id) LIMIT 10000",
                          a, 1, &r, &e) == 0) {
        for (int i = 0; i < r->nrows; i++)
            if (enqueue_job(db, store_val(r, i, 0), store_val(r, i, 1), &e) < 0)
                apierr_clear(&e);
        if (r->nrows)
            log_info("outbox: queued unsent messages that had no job", "\"count\":%d", r->nrows);
    }
    apierr_clear(&e);
    store_res_free(r);
    store_conn_close(db);
}

int mailer_start(const config_t *cfg, store_t *store, char *err, size_t errlen)
{
    if (M.started)
        return 0;
    if (sms_init(cfg, err, errlen) < 0)
        return -1;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || mailer_register() < 0) {
        snprintf(err, errlen, "cannot start the mailer");
        return -1;
    }
    M.cfg = cfg;
    M.started = true;
    default_concurrency(store);
    adopt_orphans(store);
    return 0;
}

void mailer_stop(void)
{
    if (!M.started)
        return;
    curl_global_cleanup();
    M.cfg = NULL;
    M.started = false;
}
