/*
 * queue/claim.c - taking jobs and recording what became of them.
 *
 * Claiming marks due jobs active for one owner with a lease (lease_until)
 * and counts the attempt, in one statement: on PostgreSQL a CTE selects the
 * rows FOR UPDATE SKIP LOCKED so concurrent workers never take the same
 * job and never wait on each other; on SQLite the UPDATE ... WHERE id IN
 * (SELECT ... LIMIT n) RETURNING runs under the database's single writer
 * lock, so one claimant at a time. Queues with a concurrency or rate limit
 * are claimed inside a transaction that first locks their job_queues row,
 * which makes the limits exact across processes and nodes.
 *
 * Every later change of an attempt (complete, fail, progress) is
 * conditional on (lease_owner, attempts, state = 'active'): a worker whose
 * lease was lost, or whose job was cancelled, changes nothing. On
 * PostgreSQL a worker's turn completes its successes and claims the next
 * jobs in one statement (queue__complete_claim), so one commit per turn.
 */
#include "queue/queue_int.h"

#include "core/buf.h"
#include "core/clock.h"
#include "queue/policy.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETURNING                                                                          \
    " RETURNING id, queue, type, payload, attempts, max_attempts, priority, backoff_kind, " \
    "backoff_ms, timeout_ms, enqueued_at, run_at"
#define PG_RETURNING                                                                          \
    " RETURNING jobs.id, jobs.queue, jobs.type, jobs.payload, jobs.attempts, "                \
    "jobs.max_attempts, jobs.priority, jobs.backoff_kind, jobs.backoff_ms, jobs.timeout_ms, " \
    "jobs.enqueued_at, jobs.run_at"
#define SET_ACTIVE                                                                          \
    "state = 'active', lease_owner = $1, lease_until = $2, attempts = attempts + 1, "     \
    "started_at = $3, updated_at = $3, progress = 0, progress_message = NULL"
#define DUE "state IN ('waiting', 'delayed') AND run_at <= $3"
#define ORDER " ORDER BY priority DESC, run_at, id LIMIT $4"
#define RESTRICTED \
    "(SELECT name FROM job_queues WHERE paused = 1 OR concurrency > 0 OR rate_max > 0)"

/* PostgreSQL texts: the LIMIT is written into the text (%d, at most
 * PG_CLAIM_MAX) rather than passed as a parameter. A generic plan must
 * assume a parameter LIMIT takes a tenth of the table, costs more than a
 * plan for the actual value, and PostgreSQL then plans anew on every call
 * (each plan also probing the pending index for the actual run_at range);
 * with a constant it keeps one generic plan per text and connection. The chosen rows are
 * joined back by ctid (a TID scan) instead of a second primary-key probe;
 * a row the statement's snapshot cannot see at that ctid (changed by
 * someone else meanwhile) is simply not claimed this time. */
#define PG_ORDER " ORDER BY priority DESC, run_at, id LIMIT %d"
#define PG_CLAIM_MAX 64
#define PG_CLAIM_TAIL                                                                \
    " FOR UPDATE SKIP LOCKED) UPDATE jobs SET " SET_ACTIVE " FROM c WHERE jobs.ctid = c.t" \
    PG_RETURNING
static const char *const PG_ONE =
    "WITH c AS (SELECT ctid AS t FROM jobs WHERE queue = $4 AND " DUE PG_ORDER PG_CLAIM_TAIL;
/* The same for a queue not claimed under its lock: skipped, in the claim
 * itself, while paused or limited (the worker's plan may be stale). */
static const char *const PG_ONE_FREE =
    "WITH c AS (SELECT ctid AS t FROM jobs WHERE queue = $4 AND " DUE " AND queue NOT IN "
    RESTRICTED PG_ORDER PG_CLAIM_TAIL;
static const char *const PG_ANY =
    "WITH c AS (SELECT ctid AS t FROM jobs WHERE " DUE " AND queue NOT IN " RESTRICTED PG_ORDER
    PG_CLAIM_TAIL;
/* SQLite has no statistics to pick the partial pending indexes by itself
 * (it would sort every waiting row), hence INDEXED BY. */
static const char *const SQ_ONE =
    "UPDATE jobs SET " SET_ACTIVE " WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_pending "
    "WHERE queue = $5 AND " DUE ORDER ")" RETURNING;
static const char *const SQ_ONE_FREE =
    "UPDATE jobs SET " SET_ACTIVE " WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_pending "
    "WHERE queue = $5 AND " DUE " AND queue NOT IN " RESTRICTED ORDER ")" RETURNING;
static const char *const SQ_ANY =
    "UPDATE jobs SET " SET_ACTIVE " WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_pending_any "
    "WHERE " DUE " AND queue NOT IN " RESTRICTED ORDER ")" RETURNING;

/* SQLite: an UPDATE takes the database's write lock even when it matches
 * nothing, so an idle poll first looks with a read. */
static const char *const SQ_PROBE_ONE =
    "SELECT 1 FROM jobs INDEXED BY jobs_pending WHERE queue = $5 AND " DUE " LIMIT 1";
static const char *const SQ_PROBE_ANY =
    "SELECT 1 FROM jobs INDEXED BY jobs_pending_any WHERE " DUE " AND queue NOT IN " RESTRICTED
    " LIMIT 1";

void queue__claimed_free(queue_claimed_t *c, int n)
{
    if (!c)
        return;
    for (int i = 0; i < n; i++) {
        free(c[i].queue);
        free(c[i].type);
        free(c[i].payload);
    }
    free(c);
}

static int claimed_cmp(const void *a, const void *b)
{
    const queue_claimed_t *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    if (x->run_at != y->run_at)
        return x->run_at < y->run_at ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Moves the claimed rows (RETURNING order) into *out, sorted; frees r. */
static int parse_claimed(store_res_t *r, int64_t now, queue_claimed_t **out, apierr_t *err)
{
    int n = r->nrows;
    queue_claimed_t *c = n ? calloc((size_t)n, sizeof *c) : NULL;
    for (int i = 0; i < n && c; i++) {
        snprintf(c[i].id, sizeof c[i].id, "%s", store_val(r, i, 0));
        c[i].queue = strdup(store_val(r, i, 1));
        c[i].type = strdup(store_val(r, i, 2));
        c[i].payload = strdup(store_val(r, i, 3) ? store_val(r, i, 3) : "{}");
        c[i].attempt = (int)store_int(r, i, 4);
        c[i].max_attempts = (int)store_int(r, i, 5);
        c[i].priority = (int)store_int(r, i, 6);
        const char *bk = store_val(r, i, 7);
        c[i].backoff = bk && strcmp(bk, "fixed") == 0 ? QUEUE_BACKOFF_FIXED : QUEUE_BACKOFF_EXPONENTIAL;
        c[i].backoff_ms = store_int(r, i, 8);
        c[i].timeout_ms = store_int(r, i, 9);
        c[i].enqueued_at = store_int(r, i, 10);
        c[i].run_at = store_int(r, i, 11);
        c[i].started_at = now;
    }
    store_res_free(r);
    if (n && !c)
        return apierr_set(err, 500, "internal", "out of memory");
    if (n > 1)
        qsort(c, (size_t)n, sizeof *c, claimed_cmp);
    *out = c;
    return n;
}

/* Writes a PostgreSQL claim text with its LIMIT (see PG_ORDER). */
static const char *pg_text(char *buf, size_t size, const char *fmt, int want)
{
    snprintf(buf, size, fmt, want < 0 ? 0 : want > PG_CLAIM_MAX ? PG_CLAIM_MAX : want);
    return buf;
}

/* `locked`: the caller holds the queue's job_queues row and checked it. */
static int take(store_conn_t *db, const char *queue, bool locked, const char *owner, int want,
                int64_t lease_ms, int64_t now, queue_claimed_t **out, apierr_t *err)
{
    store_res_t *r;
    if (queue__pg()) {
        char sql[1024];
        const char *fmt = !queue ? PG_ANY : locked ? PG_ONE : PG_ONE_FREE;
        store_arg_t a[] = {ARG_TEXT(owner), ARG_INT(now + lease_ms), ARG_INT(now),
                           ARG_TEXT(queue)};
        if (store_query(db, pg_text(sql, sizeof sql, fmt, want), a, queue ? 4 : 3, &r, err) < 0)
            return -1;
        return parse_claimed(r, now, out, err);
    }
    const char *sql = !queue ? SQ_ANY : locked ? SQ_ONE : SQ_ONE_FREE;
    /* $5 (the queue) only exists in the one-queue texts. */
    store_arg_t a[] = {ARG_TEXT(owner), ARG_INT(now + lease_ms), ARG_INT(now), ARG_INT(want),
                       ARG_TEXT(queue)};
    /* The probe uses $3 and maybe $5; unused arguments are ignored. */
    if (store_query(db, queue ? SQ_PROBE_ONE : SQ_PROBE_ANY, a, 5, &r, err) < 0)
        return -1;
    int any = r->nrows;
    store_res_free(r);
    if (!any)
        return 0;
    if (store_query(db, sql, a, queue ? 5 : 4, &r, err) < 0)
        return -1;
    return parse_claimed(r, now, out, err);
}

static bool sqlite_idle(store_conn_t *db, const char *queue, apierr_t *err)
{
    store_arg_t a[] = {ARG_NULL, ARG_NULL, ARG_INT(clock_now_ms()), ARG_NULL, ARG_TEXT(queue)};
    store_res_t *r;
    if (store_query(db, SQ_PROBE_ONE, a, 5, &r, err) < 0)
        return false; /* let the claim report it */
    bool idle = r->nrows == 0;
    store_res_free(r);
    return idle;
}

static int claim_limited(store_conn_t *db, const char *queue, const char *owner, int want,
                         int64_t lease_ms, queue_claimed_t **out, apierr_t *err)
{
    if (!queue__pg() && sqlite_idle(db, queue, err))
        return 0;
    apierr_clear(err);
    if (store_begin(db, true, err) < 0)
        return -1;
    store_arg_t q[] = {ARG_TEXT(queue)};
    store_res_t *r = NULL;
    int n = 0;
    const char *sel = queue__pg()
                          ? "SELECT paused, concurrency, rate_max, rate_interval_ms, rate_window, "
                            "rate_count FROM job_queues WHERE name = $1 FOR UPDATE"
                          : "SELECT paused, concurrency, rate_max, rate_interval_ms, rate_window, "
                            "rate_count FROM job_queues WHERE name = $1";
    if (store_query(db, sel, q, 1, &r, err) < 0)
        goto fail;
    if (r->nrows == 0 || store_int(r, 0, 0)) { /* gone, or paused */
        store_res_free(r);
        return store_commit(db, err) < 0 ? -1 : 0;
    }
    queue_budget_in_t in = {.want = want,
                            .concurrency = (int)store_int(r, 0, 1),
                            .rate_max = (int)store_int(r, 0, 2),
                            .rate_window = store_int(r, 0, 4),
                            .rate_count = (int)store_int(r, 0, 5)};
    int64_t interval = store_int(r, 0, 3);
    store_res_free(r);
    r = NULL;
    if (in.concurrency > 0) {
        if (store_query(db, "SELECT COUNT(*) FROM jobs WHERE queue = $1 AND state = 'active'", q,
                        1, &r, err) < 0)
            goto fail;
        in.active = (int)store_int(r, 0, 0);
        store_res_free(r);
        r = NULL;
    }
    /* Read the clock only now, under the lock and after the count: a job
     * counted as finished then has finished_at <= this start time, and the
     * rate window is the one started_at falls in. */
    int64_t now = clock_now_ms();
    in.now_window = queue_rate_window(now, interval);
    int budget = queue_claim_budget(&in);
    if (budget > 0 && (n = take(db, queue, true, owner, budget, lease_ms, now, out, err)) < 0)
        goto fail;
    if (n > 0 && in.rate_max > 0) {
        int used = in.rate_window == in.now_window ? in.rate_count : 0;
        store_arg_t u[] = {ARG_TEXT(queue), ARG_INT(in.now_window), ARG_INT(used + n)};
        if (store_exec(db, "UPDATE job_queues SET rate_window = $2, rate_count = $3 WHERE name = $1",
                       u, 3, err) < 0)
            goto fail;
    }
    if (store_commit(db, err) < 0)
        goto fail;
    return n;
fail:
    store_res_free(r);
    store_rollback(db);
    if (n > 0) {
        queue__claimed_free(*out, n);
        *out = NULL;
    }
    return -1;
}

int queue__claim(store_conn_t *db, const char *queue, bool limited, const char *owner, int want,
                 int64_t lease_ms, queue_claimed_t **out, apierr_t *err)
{
    *out = NULL;
    if (want <= 0)
        return 0;
    if (limited && queue)
        return claim_limited(db, queue, owner, want, lease_ms, out, err);
    return take(db, queue, false, owner, want, lease_ms, clock_now_ms(), out, err);
}

int queue__queue_rows(store_conn_t *db, queue_row_t **rows, apierr_t *err)
{
    store_res_t *r;
    *rows = NULL;
    if (store_query(db,
                    "SELECT name, paused, concurrency > 0 OR rate_max > 0 FROM job_queues "
                    "ORDER BY name",
                    NULL, 0, &r, err) < 0)
        return -1;
    int n = r->nrows;
    if (n) {
        *rows = calloc((size_t)n, sizeof **rows);
        for (int i = 0; i < n && *rows; i++) {
            snprintf((*rows)[i].name, sizeof(*rows)[i].name, "%s", store_val(r, i, 0));
            (*rows)[i].paused = store_int(r, i, 1) != 0;
            (*rows)[i].limited = store_bool(r, i, 2);
        }
    }
    store_res_free(r);
    return *rows || n == 0 ? n : -1;
}

static int changed(store_conn_t *db, const char *sql, const store_arg_t *a, int n, apierr_t *err)
{
    store_res_t *r;
    if (store_query(db, sql, a, n, &r, err) < 0)
        return -1;
    int done = r->changes > 0;
    store_res_free(r);
    return done;
}

int queue__complete(store_conn_t *db, const queue_claimed_t *c, const char *owner,
                    const char *result, apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(c->id), ARG_TEXT(owner), ARG_INT(c->attempt), ARG_TEXT(result),
                       ARG_INT(now)};
    return changed(db,
                   "UPDATE jobs SET state = 'completed', result = $4, progress = 100, "
                   "finished_at = $5, updated_at = $5, lease_owner = NULL, lease_until = NULL "
                   "WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'active'",
                   a, 5, err);
}

int queue__complete_many(store_conn_t *db, const queue_claimed_t *const *c,
                         const char *const *results, int n, const char *owner, apierr_t *err)
{
    enum { MAX = 16 };
    if (n <= 0)
        return 0;
    if (n > MAX)
        return apierr_set(err, 500, "internal", "too many outcomes in one statement");
    buf_t sql = BUF_INIT;
    buf_puts(&sql, "UPDATE jobs SET state = 'completed', result = v.column3, progress = 100, "
                   "finished_at = $1, updated_at = $1, lease_owner = NULL, lease_until = NULL "
                   "FROM (VALUES ");
    store_arg_t a[2 + 3 * MAX];
    a[0] = ARG_INT(clock_now_ms());
    a[1] = ARG_TEXT(owner);
    for (int i = 0; i < n; i++) {
        int k = 3 + 3 * i;
        buf_printf(&sql, "%s(CAST($%d AS TEXT), CAST($%d AS INTEGER), CAST($%d AS TEXT))",
                   i ? ", " : "", k, k + 1, k + 2);
        a[k - 1] = ARG_TEXT(c[i]->id);
        a[k] = ARG_INT(c[i]->attempt);
        a[k + 1] = ARG_TEXT(results[i]);
    }
    buf_puts(&sql, ") AS v WHERE jobs.id = v.column1 AND jobs.lease_owner = $2 AND "
                   "jobs.attempts = v.column2 AND jobs.state = 'active'");
    int rc = sql.data ? store_exec(db, sql.data, a, 2 + 3 * n, err)
                      : apierr_set(err, 500, "internal", "out of memory");
    buf_free(&sql);
    return rc;
}

/* PostgreSQL: completes a worker's finished attempts and claims the next
 * jobs in ONE statement, hence one commit (one WAL flush) per worker turn
 * instead of two. The outcomes travel as three arrays (ids, attempts,
 * results) so that the text, and its prepared statement, never varies.
 * The arrays (and the queue name) are read through scalar subqueries so
 * that the planner cannot look at their values: a plan made for the
 * actual arrays (a custom plan) always costs a little less than the
 * generic one, so PostgreSQL planned this statement anew on every call,
 * ~10 % of the server's CPU; opaque values cost the same both ways and
 * the generic plan, made once per connection, wins.
 * The claim half sees the statement's snapshot: the rows it completes are
 * active, the rows it claims pending, so the two never touch one row. The
 * one-queue form checks in SQL that the queue is neither paused nor
 * limited (limited queues go through claim_limited). */
#define PG_DONE_CTE                                                                            \
    "WITH done AS (UPDATE jobs SET state = 'completed', result = v.result, progress = 100, "   \
    "finished_at = $3, updated_at = $3, lease_owner = NULL, lease_until = NULL "              \
    "FROM unnest((SELECT CAST($4 AS TEXT[])), (SELECT CAST($5 AS INTEGER[])), "               \
    "(SELECT CAST($6 AS TEXT[]))) "                                                           \
    "AS v(id, attempt, result) WHERE jobs.id = v.id AND jobs.lease_owner = $1 AND "           \
    "jobs.attempts = v.attempt AND jobs.state = 'active' RETURNING 1), "
static const char *const PG_DONE_ANY =
    PG_DONE_CTE "c AS (SELECT ctid AS t FROM jobs WHERE " DUE " AND queue NOT IN " RESTRICTED
    PG_ORDER PG_CLAIM_TAIL;
static const char *const PG_DONE_ONE =
    PG_DONE_CTE "c AS (SELECT ctid AS t FROM jobs WHERE queue = (SELECT CAST($7 AS TEXT)) AND "
    DUE " AND queue NOT IN " RESTRICTED PG_ORDER PG_CLAIM_TAIL;

/* Appends a PostgreSQL array literal of text elements (NULL stays NULL). */
static void pg_text_array(buf_t *b, const char *const *v, int n)
{
    buf_puts(b, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ",");
        if (!v[i]) {
            buf_puts(b, "NULL");
            continue;
        }
        buf_puts(b, "\"");
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_puts(b, "\\");
            buf_append(b, p, 1);
        }
        buf_puts(b, "\"");
    }
    buf_puts(b, "}");
}

int queue__complete_claim(store_conn_t *db, const queue_claimed_t *const *done,
                          const char *const *results, int ndone, const char *queue,
                          const char *owner, int want, int64_t lease_ms, queue_claimed_t **out,
                          apierr_t *err)
{
    *out = NULL;
    if (!queue__pg())
        return apierr_set(err, 500, "internal", "complete-and-claim is PostgreSQL only");
    buf_t ids = BUF_INIT, attempts = BUF_INIT, res = BUF_INIT;
    const char **idv = ndone ? malloc((size_t)ndone * sizeof *idv) : NULL;
    if (ndone && !idv)
        return apierr_set(err, 500, "internal", "out of memory");
    buf_puts(&attempts, "{");
    for (int i = 0; i < ndone; i++) {
        idv[i] = done[i]->id;
        buf_printf(&attempts, "%s%d", i ? "," : "", done[i]->attempt);
    }
    buf_puts(&attempts, "}");
    pg_text_array(&ids, idv, ndone);
    pg_text_array(&res, results, ndone);
    free(idv);
    int rc;
    if (!ids.data || !attempts.data || !res.data) {
        rc = apierr_set(err, 500, "internal", "out of memory");
    } else {
        int64_t now = clock_now_ms();
        store_arg_t a[] = {ARG_TEXT(owner), ARG_INT(now + lease_ms), ARG_INT(now),
                           ARG_TEXT(ids.data), ARG_TEXT(attempts.data), ARG_TEXT(res.data),
                           ARG_TEXT(queue)};
        char sql[2048];
        pg_text(sql, sizeof sql, queue ? PG_DONE_ONE : PG_DONE_ANY, want);
        store_res_t *r;
        rc = store_query(db, sql, a, queue ? 7 : 6, &r, err);
        if (rc == 0)
            rc = parse_claimed(r, now, out, err);
    }
    buf_free(&ids);
    buf_free(&attempts);
    buf_free(&res);
    return rc;
}

int queue__fail(store_conn_t *db, const queue_claimed_t *c, const char *owner, const char *error,
                bool fatal, apierr_t *err)
{
    int64_t now = clock_now_ms();
    bool dead = queue_after_failure(c->attempt, c->max_attempts, fatal) == QUEUE_NEXT_DEAD;
    int64_t delay = dead ? 0 : queue_backoff_delay(c->backoff, c->backoff_ms, c->attempt,
                                                   randombytes_random());
    const char *state = dead ? "failed" : delay > 0 ? "delayed" : "waiting";
    store_arg_t a[] = {ARG_TEXT(c->id), ARG_TEXT(owner), ARG_INT(c->attempt), ARG_TEXT(state),
                       ARG_INT(now + delay), ARG_TEXT(error ? error : "failed"),
                       dead ? ARG_INT(now) : ARG_NULL, ARG_INT(now)};
    int rc = changed(db,
                     "UPDATE jobs SET state = $4, run_at = $5, error = $6, finished_at = $7, "
                     "updated_at = $8, lease_owner = NULL, lease_until = NULL "
                     "WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'active'",
                     a, 8, err);
    if (rc > 0 && dead)
        atomic_fetch_add(&queue__stats.dead, 1);
    return rc;
}

int queue__extend(store_conn_t *db, const char *owner, int64_t until, apierr_t *err)
{
    store_arg_t a[] = {ARG_INT(until), ARG_TEXT(owner)};
    return store_exec(db,
                      "UPDATE jobs SET lease_until = $1 WHERE lease_owner = $2 AND state = 'active'",
                      a, 2, err);
}

int64_t queue__reap(store_conn_t *db, apierr_t *err)
{
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_INT(now), ARG_INT(QUEUE_MAX_STALLS)};
    store_res_t *r;
    if (!queue__pg()) { /* see SQ_PROBE_ONE */
        if (store_query(db, "SELECT 1 FROM jobs WHERE state = 'active' AND lease_until < $1 LIMIT 1",
                        a, 1, &r, err) < 0)
            return -1;
        int any = r->nrows;
        store_res_free(r);
        if (!any)
            return 0;
    }
    if (store_query(db,
                    "UPDATE jobs SET "
                    "state = CASE WHEN stalls + 1 >= $2 THEN 'failed' ELSE 'waiting' END, "
                    "finished_at = CASE WHEN stalls + 1 >= $2 THEN CAST($1 AS BIGINT) ELSE NULL END, "
                    "attempts = CASE WHEN stalls + 1 >= $2 THEN attempts ELSE attempts - 1 END, "
                    "stalls = stalls + 1, lease_owner = NULL, lease_until = NULL, "
                    "run_at = CAST($1 AS BIGINT), updated_at = CAST($1 AS BIGINT), "
                    "error = 'lease expired: the worker running it stopped or stalled' "
                    "WHERE state = 'active' AND lease_until < CAST($1 AS BIGINT)",
                    a, 2, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    if (n > 0)
        atomic_fetch_add(&queue__stats.stalled, (uint64_t)n);
    return n;
}

static int64_t delete_oldest(store_conn_t *db, const char *queue, const char *cond,
                             store_arg_t extra, int64_t limit, apierr_t *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE queue = $1 AND state = "
             "'completed'%s ORDER BY finished_at, id LIMIT $2)",
             cond);
    store_arg_t a[] = {ARG_TEXT(queue), ARG_INT(limit), extra};
    store_res_t *r;
    if (store_query(db, sql, a, cond[0] ? 3 : 2, &r, err) < 0)
        return -1;
    int64_t n = r->changes;
    store_res_free(r);
    return n;
}

int64_t queue__retention(store_conn_t *db, apierr_t *err)
{
    store_res_t *r;
    if (store_query(db,
                    "SELECT j.queue, COUNT(*), MAX(q.keep_completed_ms), "
                    "MAX(q.keep_completed_count), COUNT(q.name) FROM jobs j "
                    "LEFT JOIN job_queues q ON q.name = j.queue "
                    "WHERE j.state = 'completed' GROUP BY j.queue",
                    NULL, 0, &r, err) < 0)
        return -1;
    int64_t now = clock_now_ms(), total = 0;
    for (int i = 0; i < r->nrows; i++) {
        const char *queue = store_val(r, i, 0);
        int64_t count = store_int(r, i, 1);
        bool has = store_int(r, i, 4) > 0;
        int64_t keep_ms = has ? store_int(r, i, 2) : 86400000;
        int64_t keep_n = has ? store_int(r, i, 3) : 10000;
        int64_t n = delete_oldest(db, queue, " AND finished_at < $3", ARG_INT(now - keep_ms), 5000,
                                  err);
        if (n < 0)
            break;
        total += n;
        count -= n;
        if (count > keep_n) {
            n = delete_oldest(db, queue, "", ARG_NULL, count - keep_n > 5000 ? 5000 : count - keep_n,
                              err);
            if (n < 0)
                break;
            total += n;
        }
    }
    store_res_free(r);
    return err->status ? -1 : total;
}
