/*
 * queue/cli.c - `travloc worker` and `travloc jobs ...`.
 *
 *   travloc worker [--queues a,b] [--concurrency N] [--lease-ms N]
 *                  [--poll-ms N] [--maint-ms N] [--vacuum-every N] [--no-scheduler]
 *   travloc jobs enqueue --type T [--queue Q] [--payload JSON] [--priority N]
 *                  [--delay-ms N] [--max-attempts N] [--backoff fixed|exponential]
 *                  [--backoff-ms N] [--timeout-ms N] [--dedupe-key K] [--count N]
 *                  [--rollback] [--marker KEY]
 *   travloc jobs list [--queue Q] [--state S] [--limit N] [--cursor C]
 *   travloc jobs get|retry|cancel ID
 *   travloc jobs purge --queue Q --state completed|failed|cancelled
 *   travloc jobs pause|resume QUEUE
 *   travloc jobs configure QUEUE [--concurrency N] [--rate-max N]
 *                  [--rate-interval-ms N] [--keep-completed-ms N] [--keep-completed-count N]
 *   travloc jobs schedule --name N --cron EXPR --type T [--tz Z] [--queue Q]
 *                  [--payload JSON] [--missed run-once|skip]
 *   travloc jobs unschedule NAME
 *   travloc jobs tick          fire the cron ticks that are due, once
 *   travloc jobs stats [--queue Q]  counts by state; wait and run percentiles
 *
 * Any other option (--data-dir, --database-url, …) is the server's
 * configuration. Output is JSON on stdout; errors go to stderr with exit
 * status 1 (2 for bad usage). `enqueue --rollback` enqueues inside a
 * transaction and rolls it back (with --marker, a server_state row is
 * written in the same transaction): the tests use it to show that a
 * rolled-back change leaves no job behind.
 */
#include "queue/queue_int.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 24

typedef struct {
    const char *name;   /* without the leading -- */
    const char *value;  /* "1" for switches */
} opt_t;

typedef struct {
    opt_t opts[MAX_OPTS];
    int nopts;
    const char *positional;
    char *rest[128];    /* forwarded to config_parse_args */
    int nrest;
} args_t;

static const char *const SWITCHES[] = {"no-scheduler", "rollback", NULL};
static const char *const VALUED[] = {
    "queues", "concurrency", "lease-ms", "poll-ms", "maint-ms", "type", "queue", "payload",
    "priority", "delay-ms", "max-attempts", "backoff", "backoff-ms", "timeout-ms",
    "dedupe-key", "count", "marker", "state", "limit", "cursor", "rate-max",
    "rate-interval-ms", "keep-completed-ms", "keep-completed-count", "name", "cron", "tz",
    "missed", "vacuum-every", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static int parse(args_t *a, int argc, char **argv)
{
    int i = 0;
    if (argc > 0 && strncmp(argv[0], "--", 2) != 0)
        a->positional = argv[i++];
    for (; i < argc; i++) {
        const char *s = argv[i];
        const char *name = strncmp(s, "--", 2) == 0 ? s + 2 : NULL;
        if (name && in_list(SWITCHES, name) && a->nopts < MAX_OPTS) {
            a->opts[a->nopts++] = (opt_t){name, "1"};
        } else if (name && in_list(VALUED, name) && a->nopts < MAX_OPTS) {
            if (i + 1 >= argc) {
                fprintf(stderr, "travloc: --%s needs a value\n", name);
                return -1;
            }
            a->opts[a->nopts++] = (opt_t){name, argv[++i]};
        } else if (a->nrest < 127) {
            a->rest[a->nrest++] = argv[i];
        }
    }
    return 0;
}

static const char *opt(const args_t *a, const char *name)
{
    for (int i = a->nopts - 1; i >= 0; i--)
        if (strcmp(a->opts[i].name, name) == 0)
            return a->opts[i].value;
    return NULL;
}

/* A whole number option; def when absent; exits 2 on a bad value. */
static int64_t num(const args_t *a, const char *name, int64_t def, int64_t min, int64_t max,
                   bool *bad)
{
    const char *v = opt(a, name);
    if (!v)
        return def;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < min || n > max) {
        fprintf(stderr, "travloc: --%s must be a whole number from %lld to %lld\n", name,
                (long long)min, (long long)max);
        *bad = true;
        return def;
    }
    return n;
}

static json_t *payload_opt(const args_t *a, bool *bad)
{
    const char *p = opt(a, "payload");
    if (!p)
        return NULL;
    json_error_t e;
    json_t *j = json_loads(p, 0, &e);
    if (!j) {
        fprintf(stderr, "travloc: --payload is not JSON: %s\n", e.text);
        *bad = true;
    }
    return j;
}

static int print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    printf("%s\n", s ? s : "null");
    free(s);
    json_decref(j);
    return 0;
}

static int report(apierr_t *e)
{
    fprintf(stderr, "travloc: %s (%s)\n", e->message, e->code ? e->code : "error");
    apierr_clear(e);
    return 1;
}

static int cmd_enqueue(store_conn_t *db, const args_t *a)
{
    bool bad = false;
    const char *bk = opt(a, "backoff");
    job_spec_t spec = {
        .queue = opt(a, "queue"), .type = opt(a, "type"), .payload = payload_opt(a, &bad),
        .priority = (int)num(a, "priority", 0, -1000, 1000, &bad),
        .delay_ms = num(a, "delay-ms", 0, 0, INT64_MAX / 4, &bad),
        .max_attempts = (int)num(a, "max-attempts", 0, 1, 100, &bad),
        .backoff = bk && strcmp(bk, "fixed") == 0 ? QUEUE_BACKOFF_FIXED : QUEUE_BACKOFF_EXPONENTIAL,
        .backoff_ms = num(a, "backoff-ms", 0, 0, INT64_MAX / 4, &bad),
        .timeout_ms = num(a, "timeout-ms", 0, 0, INT64_MAX / 4, &bad),
        .dedupe_key = opt(a, "dedupe-key")};
    int64_t count = num(a, "count", 1, 1, 1000000, &bad);
    if (bk && strcmp(bk, "fixed") && strcmp(bk, "exponential")) {
        fprintf(stderr, "travloc: --backoff is fixed or exponential\n");
        bad = true;
    }
    if (bad || !spec.type) {
        if (!spec.type)
            fprintf(stderr, "travloc: jobs enqueue needs --type\n");
        json_decref(spec.payload);
        return 2;
    }
    bool rollback = opt(a, "rollback") != NULL;
    const char *marker = opt(a, "marker");
    apierr_t e = {0};
    int rc = 0;
    json_t *ids = json_array();
    /* Batches of 1000 per transaction (one INSERT each without a dedupe key)
     * keep a big enqueue fast. */
    for (int64_t done = 0; done < count && rc == 0;) {
        if (store_begin(db, true, &e) < 0) {
            rc = report(&e);
            break;
        }
        if (!spec.dedupe_key && count - done > 1) { /* one statement per batch */
            static char batch[1000][37];
            int n = count - done > 1000 ? 1000 : (int)(count - done);
            if (queue_enqueue_many(db, &spec, n, batch, &e) < 0)
                rc = report(&e);
            for (int k = 0; rc == 0 && k < n && count <= 1000; k++)
                json_array_append_new(ids, json_pack("{s:s, s:b}", "id", batch[k],
                                                     "deduplicated", 0));
            done += n;
        } else {
            for (int64_t k = 0; k < 1000 && done < count; k++, done++) {
                char id[37];
                int r = queue_enqueue(db, &spec, id, &e);
                if (r < 0) {
                    rc = report(&e);
                    break;
                }
                if (count <= 1000)
                    json_array_append_new(ids, json_pack("{s:s, s:b}", "id", id, "deduplicated",
                                                         r == 1));
            }
        }
        if (rc == 0 && marker) {
            store_arg_t m[] = {ARG_TEXT(marker), ARG_TEXT("queue test marker"),
                               ARG_INT(clock_now_ms())};
            if (store_exec(db, "INSERT INTO server_state (key, value, updated_at) VALUES ($1, $2, $3)",
                           m, 3, &e) < 0)
                rc = report(&e);
        }
        if (rc != 0 || rollback)
            store_rollback(db);
        else if (store_commit(db, &e) < 0)
            rc = report(&e);
    }
    json_decref(spec.payload);
    if (rc == 0)
        print_json(json_pack("{s:o, s:I, s:b}", "jobs", ids, "count", (json_int_t)count,
                             "rolledBack", rollback));
    else
        json_decref(ids);
    return rc;
}

static int cmd_configure(store_conn_t *db, const args_t *a)
{
    bool bad = false;
    queue_settings_t s = {
        .concurrency = (int)num(a, "concurrency", -1, 0, 10000, &bad),
        .rate_max = (int)num(a, "rate-max", -1, 0, 1000000, &bad),
        .rate_interval_ms = num(a, "rate-interval-ms", -1, 1, 86400000, &bad),
        .keep_completed_ms = num(a, "keep-completed-ms", -1, 0, INT64_MAX / 4, &bad),
        .keep_completed_count = (int)num(a, "keep-completed-count", -1, 0, 100000000, &bad)};
    if (bad || !a->positional)
        return 2;
    apierr_t e = {0};
    return queue_configure(db, a->positional, &s, &e) < 0 ? report(&e) : 0;
}

static int cmd_schedule(store_conn_t *db, const args_t *a)
{
    bool bad = false;
    const char *missed = opt(a, "missed");
    queue_schedule_t s = {.name = opt(a, "name"), .cron = opt(a, "cron"), .tz = opt(a, "tz"),
                          .queue = opt(a, "queue"), .type = opt(a, "type"),
                          .payload = payload_opt(a, &bad),
                          .skip_missed = missed && strcmp(missed, "skip") == 0,
                          .priority = (int)num(a, "priority", 0, -1000, 1000, &bad),
                          .max_attempts = (int)num(a, "max-attempts", 0, 1, 100, &bad)};
    if (missed && strcmp(missed, "skip") && strcmp(missed, "run-once")) {
        fprintf(stderr, "travloc: --missed is run-once or skip\n");
        bad = true;
    }
    if (bad || !s.name || !s.cron || !s.type) {
        if (!bad)
            fprintf(stderr, "travloc: jobs schedule needs --name, --cron and --type\n");
        json_decref(s.payload);
        return 2;
    }
    apierr_t e = {0};
    int rc = queue_schedule_upsert(db, &s, &e) < 0 ? report(&e) : 0;
    json_decref(s.payload);
    return rc;
}

static int cmd_jobs(store_conn_t *db, const char *sub, const args_t *a)
{
    apierr_t e = {0};
    const char *p = a->positional;
    if (strcmp(sub, "enqueue") == 0)
        return cmd_enqueue(db, a);
    if (strcmp(sub, "configure") == 0)
        return cmd_configure(db, a);
    if (strcmp(sub, "schedule") == 0)
        return cmd_schedule(db, a);
    if (strcmp(sub, "list") == 0) {
        bool bad = false;
        int limit = (int)num(a, "limit", 50, 1, 200, &bad);
        if (bad)
            return 2;
        json_t *j = queue_job_list(db, opt(a, "queue"), opt(a, "state"), limit, opt(a, "cursor"), &e);
        return j ? print_json(j) : report(&e);
    }
    if (strcmp(sub, "stats") == 0) {
        json_t *j = queue_stats(db, opt(a, "queue"), &e);
        return j ? print_json(j) : report(&e);
    }
    if (strcmp(sub, "tick") == 0) { /* fire due cron ticks once, now */
        int n = queue__fire_schedules(db, &e);
        return n < 0 ? report(&e) : print_json(json_pack("{s:i}", "fired", n));
    }
    if (strcmp(sub, "purge") == 0) {
        int64_t n = queue_purge(db, opt(a, "queue") ? opt(a, "queue") : "", opt(a, "state"), &e);
        return n < 0 ? report(&e) : print_json(json_pack("{s:I}", "deleted", (json_int_t)n));
    }
    if (!p) {
        fprintf(stderr, "travloc: jobs %s needs an argument\n", sub);
        return 2;
    }
    if (strcmp(sub, "get") == 0) {
        json_t *j = queue_job_get(db, p, &e);
        return j ? print_json(j) : report(&e);
    }
    int rc;
    if (strcmp(sub, "retry") == 0)
        rc = queue_job_retry(db, p, &e);
    else if (strcmp(sub, "cancel") == 0)
        rc = queue_job_cancel(db, p, &e);
    else if (strcmp(sub, "pause") == 0 || strcmp(sub, "resume") == 0)
        rc = queue_set_paused(db, p, strcmp(sub, "pause") == 0, &e);
    else if (strcmp(sub, "unschedule") == 0)
        rc = queue_schedule_delete(db, p, &e);
    else {
        fprintf(stderr, "travloc: unknown jobs command '%s'\n", sub);
        return 2;
    }
    return rc < 0 ? report(&e) : 0;
}

static int open_db(config_t *cfg, const args_t *a, store_t **store)
{
    char err[512];
    if (config_init(cfg, err, sizeof err) < 0 ||
        config_parse_args(cfg, a->nrest, (char **)a->rest, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        return 2;
    }
    log_set_level((log_level_t)cfg->log_level);
    if (store_open(store, cfg, err, sizeof err) < 0 ||
        store_migrate(*store, false, err, sizeof err) < 0) {
        if (*store)
            store_close(*store);
        *store = NULL;
        fprintf(stderr, "travloc: %s\n", err);
        return 1;
    }
    queue__init(*store);
    return 0;
}

static const config_t *worker_cfg;

const config_t *queue_worker_config(void) { return worker_cfg; }

static int cmd_worker(const args_t *a)
{
    bool bad = false;
    queue_worker_opts_t o;
    queue_worker_opts_from_env(&o);
    o.queues = opt(a, "queues") ? opt(a, "queues") : o.queues;
    o.concurrency = (int)num(a, "concurrency", o.concurrency, 1, 1024, &bad);
    o.lease_ms = num(a, "lease-ms", o.lease_ms, 200, 3600000, &bad);
    o.poll_ms = num(a, "poll-ms", o.poll_ms, 5, 60000, &bad);
    o.maint_ms = num(a, "maint-ms", o.maint_ms, 50, 3600000, &bad);
    o.vacuum_every = num(a, "vacuum-every", o.vacuum_every, 0, 100000000, &bad);
    o.scheduler = !opt(a, "no-scheduler");
    if (bad)
        return 2;
    config_t cfg;
    store_t *store = NULL;
    int rc = open_db(&cfg, a, &store);
    if (rc == 0) {
        worker_cfg = &cfg;
        rc = queue_worker_run(store, &o, cfg.shutdown_timeout_ms);
        worker_cfg = NULL;
        store_close(store);
    }
    config_free(&cfg);
    return rc;
}

int queue_cli(const char *cmd, int argc, char **argv)
{
    args_t a = {0};
    const char *sub = NULL;
    if (strcmp(cmd, "jobs") == 0) {
        if (argc < 1 || strncmp(argv[0], "--", 2) == 0) {
            fprintf(stderr, "travloc: jobs needs a command: enqueue, list, get, retry, cancel, "
                            "purge, pause, resume, configure, schedule, unschedule, tick, stats\n");
            return 2;
        }
        sub = argv[0];
        argc--;
        argv++;
    }
    if (parse(&a, argc, argv) < 0)
        return 2;
    if (!sub)
        return cmd_worker(&a);
    config_t cfg;
    store_t *store = NULL;
    int rc = open_db(&cfg, &a, &store);
    if (rc == 0) {
        store_conn_t *db = store_conn_open(store, NULL);
        rc = db ? cmd_jobs(db, sub, &a) : 1;
        store_conn_close(db);
        store_close(store);
    }
    config_free(&cfg);
    return rc;
}
