/*
 * mail_job.c - the EMAIL_SEND and SMS_SEND job handler and its delivery
 * paths (maildir, SMTP through libcurl, the SMS providers of sms.h).
 *
 * The handler runs in a worker coroutine: database work goes through the
 * loop's store handle, the delivery itself (file I/O, libcurl) through
 * loop_run_blocking(). State: none; every allocation is freed before the
 * handler returns, except job->result, which the worker takes over.
 */
#include "accounts/mail_job.h"
#include "accounts/mailer.h"
#include "accounts/sms.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/loopctx.h"
#include "core/log.h"
#include "queue/queue.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const config_t *cfg;
    const char *id, *kind, *to, *subject, *body; /* borrowed from the row */
    int rc;                                      /* 0 delivered, -1 failed */
    char why[512];
} delivery_t;

typedef struct {
    const char *data;
    size_t len, off;
} upload_t;

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    upload_t *u = arg;
    size_t n = size * nmemb;
    if (n > u->len - u->off)
        n = u->len - u->off;
    memcpy(ptr, u->data + u->off, n);
    u->off += n;
    return n;
}

static int smtp_send(const char *url, const char *from, const char *to, const char *msg,
                     char *why, size_t whylen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, whylen, "curl_easy_init failed");
        return -1;
    }
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    char from_addr[400];
    snprintf(from_addr, sizeof from_addr, "<%s>", from);
    upload_t u = {.data = msg, .len = strlen(msg)};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from_addr);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        snprintf(why, whylen, "smtp: %s", curl_easy_strerror(rc));
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

/* Thread pool: delivers one message through the configured provider. */
static void deliver(void *arg)
{
    delivery_t *d = arg;
    const config_t *cfg = d->cfg;
    if (strcmp(d->kind, "sms") == 0) {
        d->rc = sms_send(cfg, d->id, d->to, d->body, d->why, sizeof d->why) == SMS_SENT ? 0 : -1;
        return;
    }
    const char *from =
        cfg->mail_from && *cfg->mail_from ? cfg->mail_from : "no-reply@travloc.invalid";
    bool smtp = cfg->smtp_url && *cfg->smtp_url;
    char *msg = mailer_format(from, d->to, d->subject, d->body, d->id, clock_now_ms(), smtp);
    if (!msg) {
        snprintf(d->why, sizeof d->why, "out of memory");
        d->rc = -1;
        return;
    }
    char name[128];
    snprintf(name, sizeof name, "%lld.%s.travloc", (long long)clock_now_ms(), d->id);
    d->rc = smtp ? smtp_send(cfg->smtp_url, from, d->to, msg, d->why, sizeof d->why)
                 : mailer_drop_file(cfg->data_dir, "mail", name, msg, d->why, sizeof d->why);
    free(msg);
}

/* Marks a delivered row sent. The message is out: insist while the
 * database hiccups rather than fail the job (a retry would send twice). */
static bool mark_sent(store_conn_t *db, const char *id)
{
    for (int k = 0; k < 20; k++) {
        apierr_t e = {0};
        int64_t now = clock_now_ms();
        store_arg_t a[] = {ARG_TEXT(id), ARG_INT(now)};
        if (store_exec(db,
                       "UPDATE outbox SET sent_at = $2, next_attempt_at = $2, last_error = NULL "
                       "WHERE id = $1 AND sent_at IS NULL",
                       a, 2, &e) == 0)
            return true;
        log_warn("outbox: cannot mark a delivered message sent; retrying", "\"id\":\"%s\"", id);
        apierr_clear(&e);
        loop_sleep(500);
    }
    return false;
}

/* Counts the failed attempt in the row (for visibility) and fails the job
 * attempt so that the queue retries it with backoff. */
static int record_failure(store_conn_t *db, queue_job_t *job, const char *id, const char *why)
{
    apierr_t e = {0};
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(clock_now_ms()), ARG_TEXT(why)};
    store_exec(db,
               "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, "
               "last_error = $3 WHERE id = $1 AND sent_at IS NULL",
               a, 3, &e);
    apierr_clear(&e);
    buf_t reason = BUF_INIT;
    buf_json_str(&reason, why, strlen(why));
    bool last = job->attempt >= job->max_attempts;
    log_warn(last ? "outbox delivery failed; giving up" : "outbox delivery failed; will retry",
             "\"id\":\"%s\",\"job\":\"%s\",\"attempt\":%d,\"error\":%s", id, job->id,
             job->attempt, reason.data ? reason.data : "\"\"");
    buf_free(&reason);
    return queue_job_fail(job, "%s", why);
}

static int send_job(queue_job_t *job)
{
    const char *id = json_string_value(json_object_get(job->payload, "outboxId"));
    if (!id || !*id) {
        queue_job_fail(job, "payload has no outboxId");
        return QUEUE_FATAL;
    }
    const config_t *cfg = mail_job__config();
    if (!cfg)
        return queue_job_fail(job, "the mailer has no configuration in this process");
    store_conn_t *db = loop_ctx_get()->db;
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_TEXT(id)};
    if (store_query(db,
                    "SELECT kind, recipient, subject, body, sent_at FROM outbox WHERE id = $1",
                    a, 1, &r, &e) < 0) {
        queue_job_fail(job, "loading the outbox row: %s", e.message[0] ? e.message : "error");
        apierr_clear(&e);
        return QUEUE_RETRY;
    }
    if (r->nrows == 0 || store_val(r, 0, 4) != NULL) { /* removed, or sent by an earlier run */
        job->result = json_pack("{s:s, s:s}", "outboxId", id, "skipped",
                                r->nrows == 0 ? "gone" : "already sent");
        store_res_free(r);
        return QUEUE_OK;
    }
    delivery_t d = {.cfg = cfg, .id = id, .kind = store_val(r, 0, 0), .to = store_val(r, 0, 1),
                    .subject = store_val(r, 0, 2), .body = store_val(r, 0, 3), .rc = -1};
    if (loop_run_blocking(deliver, &d) < 0)
        snprintf(d.why, sizeof d.why, "cannot queue the delivery on the thread pool");
    int rc;
    if (d.rc == 0) {
        bool marked = mark_sent(db, id);
        job->result = json_pack("{s:s, s:s, s:b}", "outboxId", id, "kind", d.kind, "marked",
                                marked);
        rc = QUEUE_OK;
    } else {
        rc = record_failure(db, job, id, d.why);
    }
    store_res_free(r);
    return rc;
}

int mailer_register(void)
{
    if (!queue_handler(MAILER_JOB_MAIL) && queue_register(MAILER_JOB_MAIL, send_job) < 0)
        return -1;
    if (!queue_handler(MAILER_JOB_SMS) && queue_register(MAILER_JOB_SMS, send_job) < 0)
        return -1;
    return 0;
}
