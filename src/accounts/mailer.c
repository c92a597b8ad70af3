/*
 * mailer.c - the outbox sender thread and its two delivery paths.
 *
 * State: one static sender (thread, mutex, condition variable, a "kicked"
 * flag and a "stop" flag). The thread owns its store handle and its curl
 * handles; nothing it allocates outlives one delivery.
 */
#include "accounts/mailer.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/uuid.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 20
#define MAX_BACKOFF_S 600

static struct {
    bool started, stop, kicked;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    store_t *store;
    const config_t *cfg;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int mailer_enqueue(store_conn_t *db, const char *kind, const char *to, const char *subject,
                   const char *body, apierr_t *err)
{
    char id[UUID_STR_LEN];
    uuid_v7(id);
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(kind), ARG_TEXT(to),
                       ARG_TEXT(subject ? subject : ""), ARG_TEXT(body), ARG_INT(now)};
    return store_exec(db,
                      "INSERT INTO outbox (id, kind, recipient, subject, body, next_attempt_at, "
                      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                      a, 6, err);
}

void mailer_kick(void)
{
    pthread_mutex_lock(&M.mu);
    M.kicked = true;
    pthread_cond_signal(&M.cv);
    pthread_mutex_unlock(&M.mu);
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
    if (mkdir(p, 0755) < 0 && errno != EEXIST)
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
static int drop_file(const char *sub, const char *name, const char *data, char *why,
                     size_t whylen)
{
    const char *base = M.cfg->data_dir;
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

static int smtp_send(const char *from, const char *to, const char *msg, char *why, size_t whylen)
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
    curl_easy_setopt(c, CURLOPT_URL, M.cfg->smtp_url);
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

static const char *mail_from(void)
{
    return M.cfg->mail_from && *M.cfg->mail_from ? M.cfg->mail_from : "no-reply@travloc.invalid";
}

static int deliver(const store_res_t *r, int i, char *why, size_t whylen)
{
    const char *id = store_val(r, i, 0), *kind = store_val(r, i, 1), *to = store_val(r, i, 2);
    const char *subject = store_val(r, i, 3), *body = store_val(r, i, 4);
    char name[128];
    snprintf(name, sizeof name, "%lld.%s.travloc", (long long)clock_now_ms(), id);
    if (strcmp(kind, "sms") == 0) {
        buf_t b = BUF_INIT;
        buf_puts(&b, "{\"to\":");
        buf_json_str(&b, to, strlen(to));
        buf_puts(&b, ",\"body\":");
        buf_json_str(&b, body, strlen(body));
        buf_puts(&b, "}\n");
        int rc = drop_file("sms", name, b.data, why, whylen);
        buf_free(&b);
        return rc;
    }
    bool smtp = M.cfg->smtp_url && *M.cfg->smtp_url;
    char *msg = mailer_format(mail_from(), to, subject, body, id, clock_now_ms(), smtp);
    int rc = smtp ? smtp_send(mail_from(), to, msg, why, whylen)
                  : drop_file("mail", name, msg, why, whylen);
    free(msg);
    return rc;
}

static int64_t backoff_ms(int64_t attempts)
{
    int64_t s = 1;
    for (int64_t k = 1; k < attempts && s < MAX_BACKOFF_S; k++)
        s *= 2;
    return (s > MAX_BACKOFF_S ? MAX_BACKOFF_S : s) * 1000;
}

/* Claims one row (so that two nodes never send the same message), sends
 * it and records the outcome. */
static void process_row(store_conn_t *db, const store_res_t *r, int i)
{
    apierr_t e = {0};
    int64_t now = clock_now_ms();
    const char *id = store_val(r, i, 0);
    store_arg_t claim[] = {ARG_TEXT(id), ARG_INT(now + 120000), ARG_INT(store_int(r, i, 6))};
    store_res_t *c = NULL;
    if (store_query(db,
                    "UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND "
                    "next_attempt_at = $3 AND sent_at IS NULL",
                    claim, 3, &c, &e) < 0 || c->changes != 1) {
        store_res_free(c);
        apierr_clear(&e);
        return;
    }
    store_res_free(c);
    char why[512] = "";
    if (deliver(r, i, why, sizeof why) == 0) {
        store_arg_t a[] = {ARG_TEXT(id), ARG_INT(clock_now_ms())};
        store_exec(db, "UPDATE outbox SET sent_at = $2, last_error = NULL WHERE id = $1", a, 2, &e);
    } else {
        int64_t attempts = store_int(r, i, 5) + 1;
        buf_t reason = BUF_INIT;
        buf_json_str(&reason, why, strlen(why));
        log_warn("outbox delivery failed; will retry", "\"id\":\"%s\",\"attempts\":%lld,\"error\":%s",
                 id, (long long)attempts, reason.data ? reason.data : "\"\"");
        buf_free(&reason);
        store_arg_t a[] = {ARG_TEXT(id), ARG_INT(attempts),
                           ARG_INT(clock_now_ms() + backoff_ms(attempts)), ARG_TEXT(why)};
        store_exec(db,
                   "UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 "
                   "WHERE id = $1",
                   a, 4, &e);
    }
    apierr_clear(&e);
}

static void run_batch(store_conn_t *db)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_INT(clock_now_ms())};
    if (store_query(db,
                    "SELECT id, kind, recipient, subject, body, attempts, next_attempt_at FROM "
                    "outbox WHERE sent_at IS NULL AND next_attempt_at <= $1 "
                    "ORDER BY next_attempt_at LIMIT 20",
                    a, 1, &r, &e) < 0) {
        apierr_clear(&e);
        return;
    }
    for (int i = 0; i < r->nrows && !M.stop; i++)
        process_row(db, r, i);
    store_res_free(r);
}

static void *sender(void *arg)
{
    (void)arg;
    store_conn_t *db = store_conn_open(M.store, NULL);
    pthread_mutex_lock(&M.mu);
    while (!M.stop) {
        pthread_mutex_unlock(&M.mu);
        run_batch(db);
        pthread_mutex_lock(&M.mu);
        if (M.stop)
            break;
        if (!M.kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 500 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&M.cv, &M.mu, &ts);
        }
        M.kicked = false;
    }
    pthread_mutex_unlock(&M.mu);
    store_conn_close(db);
    return NULL;
}

int mailer_start(const config_t *cfg, store_t *store, char *err, size_t errlen)
{
    if (M.started)
        return 0;
    M.cfg = cfg;
    M.store = store;
    M.stop = false;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
        pthread_create(&M.thread, NULL, sender, NULL) != 0) {
        snprintf(err, errlen, "cannot start the outbox sender");
        return -1;
    }
    M.started = true;
    return 0;
}

void mailer_stop(void)
{
    if (!M.started)
        return;
    pthread_mutex_lock(&M.mu);
    M.stop = true;
    pthread_cond_signal(&M.cv);
    pthread_mutex_unlock(&M.mu);
    pthread_join(M.thread, NULL);
    curl_global_cleanup();
    M.started = false;
}
