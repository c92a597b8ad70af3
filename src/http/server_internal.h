/*
 * server_internal.h - connection state shared by server.c and response.c.
 * Not for handlers.
 */
#ifndef TRAVLOC_SERVER_INTERNAL_H
#define TRAVLOC_SERVER_INTERNAL_H

#include "core/loopctx.h"
#include "http/http.h"

#include <http_parser.h>
#include <uv.h>

typedef struct loop loop_t;

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    loop_t *lp;
    http_parser parser;
    struct conn *prev, *next;   /* loop's connection list */
    http_req_t *parsing;        /* request being parsed */
    http_req_t *head, *tail;    /* complete requests, in order */
    int queued;
    buf_t field, value;         /* header being assembled */
    buf_t url;
    size_t header_bytes;
    int content_lengths;
    int error_status;           /* set by a parser callback that refuses */
    const char *error_code;
    bool in_value;
    bool reading;
    bool closing;
    bool close_after;           /* no more requests: close when drained */
    int writes;                 /* uv_write requests in flight */
    uint64_t deadline;          /* loop time the armed timeout ends, 0: none */
    char ip[64];
} conn_t;

struct loop {
    loop_ctx_t ctx;
    uv_loop_t uv;
    uv_tcp_t listener;
    uv_async_t stop;
    uv_timer_t grace;
    uv_prepare_t flush;         /* flushes the access log once per iteration */
    uv_thread_t thread;
    int listen_fd;
    conn_t *conns;
    long nconns;
    bool draining;
    bool rt_upgrading;          /* draining waits for realtime sessions mid-upgrade */
    long abandoned;             /* requests cut off by the grace timer */
    buf_t log;                  /* access log lines waiting for one write() */
    char log_time[32];          /* cached timestamp of log_ms */
    int64_t log_ms;
    char date[40];              /* cached Date header value */
    int64_t date_sec;
};

/* response.c */
int response_write(conn_t *c, http_req_t *req);
void response_early_error(conn_t *c, int status, const char *code, const char *msg);
const char *loop_date(loop_t *lp);

/* middleware.c */
void http_dispatch(http_req_t *req);
void http_finish(http_req_t *req);

/* server.c */
void conn_close(conn_t *c);
/* The connection's timeout: ends ms from now (lazy: see server.c), or none. */
void conn_arm_timer(conn_t *c, int ms);
void conn_disarm_timer(conn_t *c);

/* parse.c */
#define MAX_HEADER_BYTES (16 * 1024)
/* http_parser's callbacks for a conn_t (parser.data). */
const http_parser_settings *conn_parser_settings(void);
/* Records a refusal (status, code) for read_cb to answer; returns -1, which
 * stops the parser. */
int conn_refuse(conn_t *c, int status, const char *code);

#endif
