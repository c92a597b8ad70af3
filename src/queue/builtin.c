/*
 * queue/builtin.c - job types that ship with the queue itself.
 *
 * noop: for tests, benchmarks and operations. Payload (all optional):
 *   ms        sleep this long first (0..600000), without blocking the loop
 *   fail      true: fail every attempt (retried, then dead-lettered)
 *   failTimes n: fail the first n attempts, then succeed
 *   failUntil fail every attempt that starts before this Unix ms time
 *   fatal     true: fail straight to the dead-letter state
 *   progress  true: report 50% half way
 * Result: {"ok": true, "seq": n, "pid": p, "attempt": a}, where seq counts
 * noop runs in this process, so tests can see the order jobs ran in.
 * When TRAVLOC_QUEUE_TEST_LOG names a file (set by the test for the
 * process, never by a payload), each run appends "start <id> <attempt>
 * <pid>" and "end <id> <attempt> <pid>" lines to it.
 */
#include "queue/queue.h"

#include "core/clock.h"
#include "core/loopctx.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *path;
    char line[128];
} logline_t;

static void append_line(void *arg)
{
    logline_t *l = arg;
    int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    ssize_t n = write(fd, l->line, strlen(l->line));
    (void)n;
    close(fd);
}

static void test_log(const char *what, const queue_job_t *job)
{
    const char *path = getenv("TRAVLOC_QUEUE_TEST_LOG");
    if (!path || !*path)
        return;
    logline_t l = {.path = path};
    snprintf(l.line, sizeof l.line, "%s %s %d %d\n", what, job->id, job->attempt, (int)getpid());
    loop_run_blocking(append_line, &l);
}

static int noop(queue_job_t *job)
{
    static _Atomic long seq;
    json_t *p = job->payload;
    test_log("start", job);
    json_int_t ms = json_integer_value(json_object_get(p, "ms"));
    if (ms > 600000)
        ms = 600000;
    if (json_is_true(json_object_get(p, "progress"))) {
        loop_sleep((int)(ms / 2));
        queue_job_progress(job, 50, "half way");
        loop_sleep((int)(ms - ms / 2));
    } else if (ms > 0) {
        loop_sleep((int)ms);
    }
    test_log("end", job);
    if (json_is_true(json_object_get(p, "fatal")))
        return queue_job_fail(job, "noop asked to fail for good"), QUEUE_FATAL;
    if (json_is_true(json_object_get(p, "fail")))
        return queue_job_fail(job, "noop asked to fail (attempt %d)", job->attempt);
    if (clock_now_ms() < json_integer_value(json_object_get(p, "failUntil")))
        return queue_job_fail(job, "noop asked to fail until %lld",
                              (long long)json_integer_value(json_object_get(p, "failUntil")));
    if (job->attempt <= json_integer_value(json_object_get(p, "failTimes")))
        return queue_job_fail(job, "noop asked to fail %d times (attempt %d)",
                              (int)json_integer_value(json_object_get(p, "failTimes")),
                              job->attempt);
    job->result = json_pack("{s:b, s:I, s:i, s:i}", "ok", 1, "seq", (json_int_t)++seq, "pid",
                            (int)getpid(), "attempt", job->attempt);
    return QUEUE_OK;
}

void queue_register_builtins(void)
{
    static _Atomic int done;
    if (atomic_exchange(&done, 1) == 0)
        queue_register("noop", noop);
}
