/*
 * queue/queue.c - enqueueing, the handler registry, progress, and the
 * dialect switch.
 *
 * The registry is a fixed table filled at start-up (queue_register) and
 * only read afterwards, so worker threads read it without locks. Enqueue is
 * a single INSERT ... ON CONFLICT DO NOTHING on the caller's handle: inside
 * the caller's transaction it commits or rolls back with it; the partial
 * unique index on (queue, dedupe_key) over pending states makes a second
 * enqueue with the same key a no-op that returns the first job's id.
 */
#include "queue/queue_int.h"

#include "core/clock.h"
#include "core/uuid.h"
#include "http/metrics.h"
#include "queue/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TYPES 64

static struct {
    const char *type;
    queue_handler_fn fn;
} registry[MAX_TYPES];
static int nregistry;
static _Atomic int dialect; /* 0 unknown, 1 sqlite, 2 postgres */

void queue_metrics_source(buf_t *out);

void queue__init(store_t *store)
{
    static _Atomic int metrics_added;
    atomic_store(&dialect, store_kind(store) == STORE_POSTGRES ? 2 : 1);
    if (atomic_exchange(&metrics_added, 1) == 0)
        metrics_add_source(queue_metrics_source);
    queue_register_builtins();
}

bool queue__pg(void) { return atomic_load(&dialect) == 2; }

int queue_register(const char *type, queue_handler_fn fn)
{
    if (!queue_type_valid(type) || !fn || nregistry == MAX_TYPES || queue_handler(type))
        return -1;
    registry[nregistry].type = type;
    registry[nregistry].fn = fn;
    nregistry++;
    return 0;
}

queue_handler_fn queue_handler(const char *type)
{
    for (int i = 0; i < nregistry; i++)
        if (strcmp(registry[i].type, type) == 0)
            return registry[i].fn;
    return NULL;
}

#define ENQUEUE_INSERT                                                                       \
    "INSERT INTO jobs (id, queue, type, payload, priority, state, run_at, max_attempts, "   \
    "backoff_kind, backoff_ms, timeout_ms, dedupe_key, created_at, enqueued_at, updated_at) " \
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $13)"
/* ON CONFLICT only where a conflict is possible (a dedupe key): on
 * PostgreSQL it makes every insert speculative (a token, an extra WAL
 * record per row to confirm it). Without a key the only unique column is
 * the fresh UUIDv7 id. */
static const char *const ENQUEUE_SQL = ENQUEUE_INSERT " ON CONFLICT DO NOTHING";
static const char *const ENQUEUE_PLAIN_SQL = ENQUEUE_INSERT;

static int find_pending(store_conn_t *db, const char *queue, const char *key, char id_out[37],
                        apierr_t *err)
{
    store_res_t *r;
    store_arg_t a[] = {ARG_TEXT(queue), ARG_TEXT(key)};
    if (store_query(db,
                    "SELECT id FROM jobs WHERE queue = $1 AND dedupe_key = $2 AND state IN "
                    "('waiting', 'delayed', 'active')",
                    a, 2, &r, err) < 0)
        return -1;
    int found = r->nrows > 0;
    if (found)
        snprintf(id_out, 37, "%s", store_val(r, 0, 0));
    store_res_free(r);
    return found;
}

int queue_enqueue(store_conn_t *db, const job_spec_t *spec, char id_out[37], apierr_t *err)
{
    char *payload;
    if (queue_spec_check(spec, &payload, err) < 0)
        return -1;
    const char *queue = spec->queue ? spec->queue : "default";
    int64_t now = clock_now_ms();
    int64_t run_at = spec->run_at_ms > 0 ? spec->run_at_ms : now + spec->delay_ms;
    int rc = -1;
    for (int round = 0; round < 3; round++) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        store_arg_t a[] = {
            ARG_TEXT(id), ARG_TEXT(queue), ARG_TEXT(spec->type), ARG_TEXT(payload),
            ARG_INT(spec->priority), ARG_TEXT(run_at > now ? "delayed" : "waiting"),
            ARG_INT(run_at), ARG_INT(spec->max_attempts ? spec->max_attempts : 3),
            ARG_TEXT(spec->backoff == QUEUE_BACKOFF_FIXED ? "fixed" : "exponential"),
            ARG_INT(spec->backoff_ms ? spec->backoff_ms : 1000), ARG_INT(spec->timeout_ms),
            ARG_TEXT(spec->dedupe_key), ARG_INT(now),
        };
        store_res_t *r;
        if (store_query(db, spec->dedupe_key ? ENQUEUE_SQL : ENQUEUE_PLAIN_SQL, a, 13, &r, err) < 0)
            break;
        int64_t changes = r->changes;
        store_res_free(r);
        if (changes > 0) {
            memcpy(id_out, id, UUID_STR_LEN);
            rc = 0;
            break;
        }
        if (!spec->dedupe_key) {
            apierr_set(err, 500, "internal", "the job was not stored");
            break;
        }
        int f = find_pending(db, queue, spec->dedupe_key, id_out, err);
        if (f != 0) {
            rc = f < 0 ? -1 : 1;
            break;
        }
        /* The pending twin finished in between: insert again. */
    }
    free(payload);
    return rc;
}

/* PostgreSQL: one INSERT for a whole batch, the ids as one array (parsing,
 * planning and a round trip once per batch instead of once per job:
 * about half of the server's CPU per job when a producer enqueues in
 * bulk). */
static const char *const ENQUEUE_MANY_PG =
    "INSERT INTO jobs (id, queue, type, payload, priority, state, run_at, max_attempts, "
    "backoff_kind, backoff_ms, timeout_ms, created_at, enqueued_at, updated_at) "
    "SELECT v.id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12 "
    "FROM unnest(CAST($1 AS TEXT[])) AS v(id)";

int queue_enqueue_many(store_conn_t *db, const job_spec_t *spec, int n, char (*ids_out)[37],
                       apierr_t *err)
{
    if (n < 1 || n > 1000)
        return apierr_set(err, 500, "internal", "enqueue 1 to 1000 jobs at once");
    if (spec->dedupe_key)
        return apierr_set(err, 422, "invalid_job", "dedupeKey: a batch cannot share one");
    if (!queue__pg()) { /* SQLite runs inline: one INSERT per job costs little */
        for (int i = 0; i < n; i++)
            if (queue_enqueue(db, spec, ids_out[i], err) < 0)
                return -1;
        return 0;
    }
    char *payload;
    if (queue_spec_check(spec, &payload, err) < 0)
        return -1;
    int64_t now = clock_now_ms();
    int64_t run_at = spec->run_at_ms > 0 ? spec->run_at_ms : now + spec->delay_ms;
    char *ids = malloc((size_t)n * UUID_STR_LEN + 3);
    int rc = -1;
    if (!ids) {
        apierr_set(err, 500, "internal", "out of memory");
    } else {
        char *p = ids;
        *p++ = '{';
        for (int i = 0; i < n; i++) {
            uuid_v7(ids_out[i]);
            if (i)
                *p++ = ',';
            memcpy(p, ids_out[i], UUID_STR_LEN - 1);
            p += UUID_STR_LEN - 1;
        }
        *p++ = '}';
        *p = 0;
        store_arg_t a[] = {
            ARG_TEXT(ids), ARG_TEXT(spec->queue ? spec->queue : "default"), ARG_TEXT(spec->type),
            ARG_TEXT(payload), ARG_INT(spec->priority),
            ARG_TEXT(run_at > now ? "delayed" : "waiting"), ARG_INT(run_at),
            ARG_INT(spec->max_attempts ? spec->max_attempts : 3),
            ARG_TEXT(spec->backoff == QUEUE_BACKOFF_FIXED ? "fixed" : "exponential"),
            ARG_INT(spec->backoff_ms ? spec->backoff_ms : 1000), ARG_INT(spec->timeout_ms),
            ARG_INT(now),
        };
        store_res_t *r;
        if (store_query(db, ENQUEUE_MANY_PG, a, 12, &r, err) == 0) {
            rc = r->changes == n ? 0 : apierr_set(err, 500, "internal", "the jobs were not stored");
            store_res_free(r);
        }
        free(ids);
    }
    free(payload);
    return rc;
}

int queue_job_fail(queue_job_t *job, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->error, sizeof job->error, fmt, ap);
    va_end(ap);
    return QUEUE_RETRY;
}

int queue__progress(store_conn_t *db, const char *id, const char *owner, int attempt,
                    int percent, const char *message, apierr_t *err)
{
    if (percent < 0)
        percent = 0;
    if (percent > 100)
        percent = 100;
    char msg[256];
    snprintf(msg, sizeof msg, "%s", message ? message : "");
    store_arg_t a[] = {ARG_INT(percent), ARG_TEXT(message ? msg : NULL), ARG_INT(clock_now_ms()),
                       ARG_TEXT(id), ARG_TEXT(owner), ARG_INT(attempt)};
    store_res_t *r;
    if (store_query(db,
                    "UPDATE jobs SET progress = $1, progress_message = $2, updated_at = $3 "
                    "WHERE id = $4 AND lease_owner = $5 AND attempts = $6 AND state = 'active'",
                    a, 6, &r, err) < 0)
        return -1;
    int done = r->changes > 0;
    store_res_free(r);
    return done;
}
