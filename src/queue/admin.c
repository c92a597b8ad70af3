/*
 * queue/admin.c - inspecting and steering jobs and queues: the job as API
 * JSON, listing with a cursor, retry, cancel, purge, pause/resume and queue
 * settings. Used by the admin endpoints (api/admin_jobs.c) and the CLI.
 *
 * Every function takes the caller's store handle and returns owned JSON
 * (caller decrefs) or a status; errors come back in the apierr_t.
 */
#include "queue/queue_int.h"

#include "core/buf.h"
#include "core/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOB_COLS                                                                             \
    "id, queue, type, payload, priority, state, run_at, attempts, max_attempts, "           \
    "backoff_kind, backoff_ms, timeout_ms, dedupe_key, progress, progress_message, result, " \
    "error, created_at, started_at, finished_at, stalls, enqueued_at"

static json_t *time_or_null(const store_res_t *r, int row, int col)
{
    if (!store_val(r, row, col))
        return json_null();
    char ts[32];
    clock_rfc3339(store_int(r, row, col), ts, sizeof ts);
    return json_string(ts);
}

static json_t *json_or_null(const char *text)
{
    if (!text)
        return json_null();
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static const char *effective_state(const char *state, int64_t run_at, int64_t now)
{
    if (strcmp(state, "delayed") == 0 || strcmp(state, "waiting") == 0)
        return run_at > now ? "delayed" : "waiting";
    return state;
}

static json_t *job_json(const store_res_t *r, int i, int64_t now)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(store_val(r, i, 0)));
    json_object_set_new(j, "queue", json_string(store_val(r, i, 1)));
    json_object_set_new(j, "type", json_string(store_val(r, i, 2)));
    json_object_set_new(j, "payload", json_or_null(store_val(r, i, 3)));
    json_object_set_new(j, "priority", json_integer(store_int(r, i, 4)));
    json_object_set_new(j, "state",
                        json_string(effective_state(store_val(r, i, 5), store_int(r, i, 6), now)));
    json_object_set_new(j, "runAt", time_or_null(r, i, 6));
    json_object_set_new(j, "attempts", json_integer(store_int(r, i, 7)));
    json_object_set_new(j, "maxAttempts", json_integer(store_int(r, i, 8)));
    json_object_set_new(j, "backoff",
                        json_pack("{s:s, s:I}", "type", store_val(r, i, 9), "delayMs",
                                  (json_int_t)store_int(r, i, 10)));
    json_object_set_new(j, "timeoutMs", json_integer(store_int(r, i, 11)));
    json_object_set_new(j, "dedupeKey", str_or_null(store_val(r, i, 12)));
    json_object_set_new(j, "progress", json_integer(store_int(r, i, 13)));
    json_object_set_new(j, "progressMessage", str_or_null(store_val(r, i, 14)));
    json_object_set_new(j, "result", json_or_null(store_val(r, i, 15)));
    json_object_set_new(j, "error", str_or_null(store_val(r, i, 16)));
    json_object_set_new(j, "createdAt", time_or_null(r, i, 17));
    json_object_set_new(j, "startedAt", time_or_null(r, i, 18));
    json_object_set_new(j, "finishedAt", time_or_null(r, i, 19));
    json_object_set_new(j, "stalls", json_integer(store_int(r, i, 20)));
    json_object_set_new(j, "enqueuedAt", time_or_null(r, i, 21));
    return j;
}

json_t *queue_job_get(store_conn_t *db, const char *id, apierr_t *err)
{
    store_res_t *r;
    store_arg_t a[] = {ARG_TEXT(id)};
    if (store_query(db, "SELECT " JOB_COLS " FROM jobs WHERE id = $1", a, 1, &r, err) < 0)
        return NULL;
    json_t *j = NULL;
    if (r->nrows == 0)
        apierr_set(err, 404, "not_found", "no such job");
    else
        j = job_json(r, 0, clock_now_ms());
    store_res_free(r);
    return j;
}

static bool state_valid(const char *s)
{
    static const char *const states[] = {"waiting", "delayed", "active",
                                         "completed", "failed", "cancelled"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(s, states[i]) == 0)
            return true;
    return false;
}

static json_t *invalid(apierr_t *err, const char *field, const char *msg)
{
    apierr_set(err, 422, "invalid_parameter", "%s: %s", field, msg);
    apierr_detail(err, "field", json_string(field));
    return NULL;
}

/* A query under construction: each argument gets the next $n. */
typedef struct {
    buf_t sql;
    store_arg_t args[8];
    int n;
} qb_t;

static void qb_arg(qb_t *q, const char *before, store_arg_t a)
{
    q->args[q->n++] = a;
    buf_printf(&q->sql, "%s$%d", before, q->n);
}

json_t *queue_job_list(store_conn_t *db, const char *queue, const char *state, int limit,
                       const char *cursor, apierr_t *err)
{
    if (queue && !queue_name_valid(queue))
        return invalid(err, "queue", "not a queue name");
    if (state && !state_valid(state))
        return invalid(err, "state", "one of waiting, delayed, active, completed, failed, cancelled");
    if (cursor && strlen(cursor) != 36)
        return invalid(err, "cursor", "not a cursor from this list");
    if (limit <= 0 || limit > 200)
        limit = 50;
    int64_t now = clock_now_ms();
    qb_t q = {.sql = BUF_INIT};
    buf_puts(&q.sql, "SELECT " JOB_COLS " FROM jobs WHERE 1 = 1");
    if (queue)
        qb_arg(&q, " AND queue = ", ARG_TEXT(queue));
    if (state && strcmp(state, "waiting") == 0)
        qb_arg(&q, " AND state IN ('waiting', 'delayed') AND run_at <= ", ARG_INT(now));
    else if (state && strcmp(state, "delayed") == 0)
        qb_arg(&q, " AND state IN ('waiting', 'delayed') AND run_at > ", ARG_INT(now));
    else if (state) /* a literal (checked above): lets the planner use the partial indexes */
        buf_printf(&q.sql, " AND state = '%s'", state);
    if (cursor)
        qb_arg(&q, " AND id < ", ARG_TEXT(cursor));
    qb_arg(&q, " ORDER BY id DESC LIMIT ", ARG_INT(limit + 1));
    store_res_t *r;
    int rc = store_query(db, q.sql.data, q.args, q.n, &r, err);
    buf_free(&q.sql);
    if (rc < 0)
        return NULL;
    json_t *items = json_array();
    int rows = r->nrows > limit ? limit : r->nrows;
    for (int i = 0; i < rows; i++)
        json_array_append_new(items, job_json(r, i, now));
    json_t *next = r->nrows > limit ? json_string(store_val(r, limit - 1, 0)) : json_null();
    store_res_free(r);
    return json_pack("{s:o, s:o}", "items", items, "nextCursor", next);
}

/* 404 when the job does not exist, else 409 naming its state. */
static int not_in_state(store_conn_t *db, const char *id, const char *what, apierr_t *err)
{
    store_res_t *r;
    store_arg_t a[] = {ARG_TEXT(id)};
    if (store_query(db, "SELECT state FROM jobs WHERE id = $1", a, 1, &r, err) < 0)
        return -1;
    if (r->nrows == 0)
        apierr_set(err, 404, "not_found", "no such job");
    else {
        apierr_set(err, 409, "invalid_state", "a %s job cannot be %s", store_val(r, 0, 0), what);
        apierr_detail(err, "state", json_string(store_val(r, 0, 0)));
    }
    store_res_free(r);
    return -1;
}

static int change(store_conn_t *db, const char *sql, const char *id, const char *what,
                  apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_INT(clock_now_ms())};
    store_res_t *r;
    if (store_query(db, sql, a, 2, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    return n > 0 ? 0 : not_in_state(db, id, what, err);
}

int queue_job_retry(store_conn_t *db, const char *id, apierr_t *err)
{
    return change(db,
                  "UPDATE jobs SET state = 'waiting', attempts = 0, stalls = 0, run_at = $2, "
                  "enqueued_at = $2, updated_at = $2, started_at = NULL, finished_at = NULL, "
                  "progress = 0, progress_message = NULL, result = NULL, error = NULL "
                  "WHERE id = $1 AND state IN ('failed', 'cancelled')",
                  id, "retried", err);
}

int queue_job_cancel(store_conn_t *db, const char *id, apierr_t *err)
{
    return change(db,
                  "UPDATE jobs SET state = 'cancelled', finished_at = $2, updated_at = $2, "
                  "lease_owner = NULL, lease_until = NULL "
                  "WHERE id = $1 AND state IN ('waiting', 'delayed', 'active')",
                  id, "cancelled", err);
}

int64_t queue_purge(store_conn_t *db, const char *queue, const char *state, apierr_t *err)
{
    if (!queue_name_valid(queue)) {
        invalid(err, "queue", "not a queue name");
        return -1;
    }
    if (!state || (strcmp(state, "completed") && strcmp(state, "failed") &&
                   strcmp(state, "cancelled"))) {
        invalid(err, "state", "one of completed, failed, cancelled");
        return -1;
    }
    /* The state as a literal (checked above) so that the plan can use the
     * partial index of that state (jobs_completed, jobs_ended). */
    char sql[96];
    snprintf(sql, sizeof sql, "DELETE FROM jobs WHERE queue = $1 AND state = '%s'", state);
    store_arg_t a[] = {ARG_TEXT(queue)};
    store_res_t *r;
    if (store_query(db, sql, a, 1, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    return n;
}

typedef struct {
    int paused, concurrency, rate_max, keep_count;
    int64_t rate_interval_ms, keep_ms;
} qsettings_t;

static int load_settings(store_conn_t *db, const char *queue, qsettings_t *s, apierr_t *err)
{
    *s = (qsettings_t){0, 0, 0, 10000, 1000, 86400000};
    store_arg_t a[] = {ARG_TEXT(queue)};
    store_res_t *r;
    if (store_query(db,
                    "SELECT paused, concurrency, rate_max, keep_completed_count, "
                    "rate_interval_ms, keep_completed_ms FROM job_queues WHERE name = $1",
                    a, 1, &r, err) < 0)
        return -1;
    if (r->nrows) {
        s->paused = (int)store_int(r, 0, 0);
        s->concurrency = (int)store_int(r, 0, 1);
        s->rate_max = (int)store_int(r, 0, 2);
        s->keep_count = (int)store_int(r, 0, 3);
        s->rate_interval_ms = store_int(r, 0, 4);
        s->keep_ms = store_int(r, 0, 5);
    }
    store_res_free(r);
    return 0;
}

static int save_settings(store_conn_t *db, const char *queue, const qsettings_t *s,
                         apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(queue),        ARG_INT(s->paused),   ARG_INT(s->concurrency),
                       ARG_INT(s->rate_max),   ARG_INT(s->rate_interval_ms),
                       ARG_INT(s->keep_ms),    ARG_INT(s->keep_count), ARG_INT(clock_now_ms())};
    return store_exec(db,
                      "INSERT INTO job_queues (name, paused, concurrency, rate_max, "
                      "rate_interval_ms, keep_completed_ms, keep_completed_count, updated_at) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO UPDATE SET "
                      "paused = excluded.paused, concurrency = excluded.concurrency, "
                      "rate_max = excluded.rate_max, rate_interval_ms = excluded.rate_interval_ms, "
                      "keep_completed_ms = excluded.keep_completed_ms, "
                      "keep_completed_count = excluded.keep_completed_count, "
                      "updated_at = excluded.updated_at",
                      a, 8, err);
}

int queue_set_paused(store_conn_t *db, const char *queue, bool paused, apierr_t *err)
{
    if (!queue_name_valid(queue)) {
        invalid(err, "name", "not a queue name");
        return -1;
    }
    qsettings_t s;
    if (store_begin(db, true, err) < 0)
        return -1;
    if (load_settings(db, queue, &s, err) < 0)
        goto fail;
    s.paused = paused;
    if (save_settings(db, queue, &s, err) < 0 || store_commit(db, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(db);
    return -1;
}

int queue_configure(store_conn_t *db, const char *queue, const queue_settings_t *in,
                    apierr_t *err)
{
    if (!queue_name_valid(queue)) {
        invalid(err, "name", "not a queue name");
        return -1;
    }
    if (in->concurrency > 10000 || in->rate_max > 1000000 ||
        (in->rate_interval_ms != -1 && (in->rate_interval_ms < 1 || in->rate_interval_ms > 86400000)) ||
        in->keep_completed_ms < -1 || in->keep_completed_count < -1) {
        invalid(err, "settings", "out of range");
        return -1;
    }
    qsettings_t s;
    if (store_begin(db, true, err) < 0)
        return -1;
    if (load_settings(db, queue, &s, err) < 0)
        goto fail;
    if (in->concurrency >= 0)
        s.concurrency = in->concurrency;
    if (in->rate_max >= 0)
        s.rate_max = in->rate_max;
    if (in->rate_interval_ms >= 0)
        s.rate_interval_ms = in->rate_interval_ms;
    if (in->keep_completed_ms >= 0)
        s.keep_ms = in->keep_completed_ms;
    if (in->keep_completed_count >= 0)
        s.keep_count = in->keep_completed_count;
    if (save_settings(db, queue, &s, err) < 0 || store_commit(db, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(db);
    return -1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static json_t *percentiles(int64_t *v, int n)
{
    if (n == 0)
        return json_null();
    qsort(v, (size_t)n, sizeof *v, cmp_i64);
    return json_pack("{s:I, s:I, s:I}", "p50", (json_int_t)v[(n - 1) / 2], "p99",
                     (json_int_t)v[(int)((n - 1) * 0.99)], "max", (json_int_t)v[n - 1]);
}

json_t *queue_stats(store_conn_t *db, const char *queue, apierr_t *err)
{
    if (queue && !queue_name_valid(queue))
        return invalid(err, "queue", "not a queue name");
    store_arg_t a[] = {ARG_TEXT(queue)};
    store_res_t *r;
    if (store_query(db,
                    queue ? "SELECT state, COUNT(*) FROM jobs WHERE queue = $1 GROUP BY state"
                          : "SELECT state, COUNT(*) FROM jobs GROUP BY state",
                    a, queue ? 1 : 0, &r, err) < 0)
        return NULL;
    json_t *states = json_object();
    for (int i = 0; i < r->nrows; i++)
        json_object_set_new(states, store_val(r, i, 0), json_integer(store_int(r, i, 1)));
    store_res_free(r);
    if (store_query(db,
                    queue ? "SELECT started_at - CASE WHEN run_at > enqueued_at THEN run_at ELSE "
                            "enqueued_at END, started_at, finished_at FROM jobs "
                            "WHERE state = 'completed' AND queue = $1"
                          : "SELECT started_at - CASE WHEN run_at > enqueued_at THEN run_at ELSE "
                            "enqueued_at END, started_at, finished_at FROM jobs "
                            "WHERE state = 'completed'",
                    a, queue ? 1 : 0, &r, err) < 0) {
        json_decref(states);
        return NULL;
    }
    int n = r->nrows;
    int64_t *wait = malloc(sizeof *wait * (size_t)(n ? n : 1));
    int64_t first = INT64_MAX, last = 0;
    for (int i = 0; i < n && wait; i++) {
        wait[i] = store_int(r, i, 0);
        if (store_int(r, i, 1) < first)
            first = store_int(r, i, 1);
        if (store_int(r, i, 2) > last)
            last = store_int(r, i, 2);
    }
    store_res_free(r);
    json_t *done = json_object();
    json_object_set_new(done, "count", json_integer(n));
    if (n && wait) {
        json_object_set_new(done, "firstStartedAt", json_integer(first));
        json_object_set_new(done, "lastFinishedAt", json_integer(last));
        json_object_set_new(done, "jobsPerSecond",
                            json_real(last > first ? n * 1000.0 / (double)(last - first) : 0));
        json_object_set_new(done, "waitMs", percentiles(wait, n));
    }
    free(wait);
    return json_pack("{s:o, s:o}", "states", states, "completed", done);
}
