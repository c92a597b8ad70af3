/*
 * pg_int.h - shared between the PostgreSQL driver's files (pg.c: pool,
 * connections, transactions; pg_pipe.c: single statements pipelined on a
 * shared connection; pg_result.c: errors, parameters, results). Not a
 * public interface.
 */
#ifndef TRAVLOC_STORE_PG_INT_H
#define TRAVLOC_STORE_PG_INT_H

#include "store/driver.h"

#include "core/coro.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

#define MAX_ARGS 64

/* libpq parameters for one query; text[] holds formatted numbers. */
typedef struct {
    const char *values[MAX_ARGS];
    int lengths[MAX_ARGS];
    int formats[MAX_ARGS];
    char text[MAX_ARGS][32];
} params_t;

#define PREP_SLOTS 128

/* PC_BUSY: one coroutine owns the connection (a statement, or a
 * transaction while pinned). PC_PIPE: in libpq pipeline mode, shared by
 * the coroutines whose statements are queued on it (pg_pipe.c). */
typedef enum { PC_DOWN, PC_CONNECTING, PC_IDLE, PC_BUSY, PC_PIPE } pc_state_t;

typedef struct pg_pool pg_pool_t;

typedef struct waiter {
    coro_t *co;
    struct waiter *next;
    struct pgc *got;
    bool failed, ready;
} waiter_t;

/* A statement in flight on a PC_PIPE connection; lives on the stack of the
 * coroutine that waits for it. */
typedef struct pipe_req {
    coro_t *co;
    struct pipe_req *next;
    PGresult *res;         /* the statement's result, or the first error */
    int syncs;             /* sync points still to come (prepare, execute) */
    int seg;               /* sync points seen so far */
    int prep_seg;          /* which of them ends its prepare, -1 if none */
    int prep_slot;         /* slot this request prepared, -1 if none */
    bool done, failed;
} pipe_req_t;

typedef struct pgc {
    pg_pool_t *pool;
    PGconn *pg;
    uv_poll_t *poll;
    int fd;
    int events;            /* what c->poll watches now (0: stopped) */
    pc_state_t state;
    coro_t *co;            /* coroutine waiting for I/O on this connection */
    coro_t *owner;         /* coroutine using it */
    int pinned;            /* transaction depth */
    bool begin_pending;    /* BEGIN not sent yet: it goes out with the first statement */
    bool piped;            /* that BEGIN + statement are in flight in pipeline mode */
    bool io_done, io_failed;
    PGresult *last;
    char *prep[PREP_SLOTS];
    pipe_req_t *q_head, *q_tail; /* PC_PIPE: statements in send order */
    int inflight;
} pgc_t;

struct pg_pool {
    store_t *store;        /* first: store.c reads it */
    uv_loop_t *loop;
    PGconn *block;         /* blocking mode */
    int block_depth;
    pgc_t *conns;
    int n;
    waiter_t *wait_head, *wait_tail;
    waiter_t *ready;       /* granted waiters to resume from the idle handle */
    waiter_t *ready_tail;
    pipe_req_t *pipe_ready;  /* failed pipelined statements to resume from the idle handle */
    pipe_req_t *pipe_ready_tail;
    uv_idle_t wake;
    uv_timer_t retry;
    int backoff_ms;
    int handles;           /* open uv handles, for the final free */
    bool closing;
};

/* pg.c, for pg_pipe.c */
int pg_watch(pgc_t *c, int events);
/* Resumes p->ready and p->pipe_ready from the loop's idle handle. */
void pg_wake_later(pg_pool_t *p);
void pg_conn_down(pgc_t *c);
void pg_release(pgc_t *c);
/* The prepared statement slot for sql: its name; *known when this
 * connection has already prepared exactly sql there. */
char **pg_prepared_name(pgc_t *c, const char *sql, char name[24], bool *known);

/* pg_pipe.c */
/* A statement's result is success (rows or a command). */
bool pg_result_ok(const PGresult *r);
/* In pipeline mode: c's next result, past the NULL that ends each
 * command's results. NULL when more input is needed, or when the results
 * are out of step: then c went down and *down is set. */
PGresult *pg_pipe_next(pgc_t *c, bool *down);
/* Whether sql may join a pipeline: a plain SELECT without row locks. */
bool pg_pipe_suits(const char *sql);
/* A connection to queue one more statement on, or NULL (then the caller
 * waits for a connection of its own, as before). */
pgc_t *pg_pipe_pick(pg_pool_t *p);
/* Runs one statement on c (from pg_pipe_pick) and waits for its result. */
int pg_pipe_query(pgc_t *c, const char *sql, const params_t *pp, int nargs, store_res_t **res,
                  apierr_t *err);
/* c is readable or writable in PC_PIPE state. */
void pg_pipe_io(pgc_t *c, int events);
/* c went down: every statement queued on it fails with 503 (their
 * coroutines resume now on the loop's stack, later from inside one). */
void pg_pipe_fail_all(pgc_t *c);
/* Resumes the statements pg_pipe_fail_all deferred. */
void pg_pipe_resume_failed(pg_pool_t *p);

/* Maps a failed result (or a dead connection) to 409/503/500 in err.
 * Returns -1. */
int pg_map_result_error(const PGresult *r, PGconn *pg, apierr_t *err);
/* Fills pp from args (borrowed; pp points into them). -1 when nargs >
 * MAX_ARGS. */
int pg_build_params(params_t *pp, const store_arg_t *args, int nargs);
/* Checks *r; with res, moves it into a new *res (and *r becomes NULL).
 * 0, or -1 with err. */
int pg_finish_result(PGresult **r, PGconn *pg, store_res_t **res, apierr_t *err);
/* A notice processor that drops server notices. */
void pg_notice_ignore(void *arg, const char *message);

#endif
