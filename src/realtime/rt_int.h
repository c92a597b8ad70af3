/* realtime/rt_int.h -- state shared by the files of realtime/ (not for
 * other modules; they use realtime.h).
 *
 * Object graph, all owned by one loop thread except where noted:
 *   rt_loop_t     one per event loop: mailbox, session and room tables.
 *   rt_session_t  an Engine.IO session; owns its outbound queue, its
 *                 heartbeat timer, its WebSocket (rt_ws_t, if any), its
 *                 Socket.IO decoder and its socket (rt_socket_t, once the
 *                 client sent CONNECT). Reference counted: the loop's
 *                 table holds one reference until close, the worker
 *                 coroutine and the WebSocket one each while they run.
 *   rt_msg_t      an encoded outbound Engine.IO packet, immutable and
 *                 shared between sessions and threads (atomic refcount).
 * Tasks posted to a loop (rt_post) are owned by the poster until the
 * loop runs them; their fn then owns them.
 */
#ifndef TRAVLOC_REALTIME_RT_INT_H
#define TRAVLOC_REALTIME_RT_INT_H

#include "auth/jwt.h"
#include "core/buf.h"
#include "core/coro.h"
#include "realtime/eio.h"
#include "realtime/hmap.h"
#include "realtime/realtime.h"
#include "realtime/sio.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define RT_SID_LEN 20 /* 2 hex digits of the owner loop + 18 random chars */
#define RT_ID_LEN 20
#define RT_MAX_TYPING 4
#define RT_MAX_INQ 64 /* inbound Socket.IO packets waiting per session */
#define RT_GID_LEN 40 /* an offset as clients see it, with the NUL */

typedef struct rt_task rt_task_t;
struct rt_task {
    rt_task_t *next;
    void (*fn)(rt_task_t *t); /* runs on the target loop, owns t */
};

typedef struct rt_cfg {
    uint32_t ping_interval_ms;
    uint32_t ping_timeout_ms;
    size_t max_payload;
    int64_t recovery_ms;
    int events_per_s;
    int max_sockets_per_user;
    int typing_ttl_ms;
    size_t max_queue_bytes;
    size_t max_sessions;      /* per loop */
    int64_t connect_timeout_ms; /* a session must send CONNECT within this */
} rt_cfg_t;

typedef struct rt_session rt_session_t;
typedef struct rt_socket rt_socket_t;
typedef struct rt_ws rt_ws_t;

typedef struct rt_loop {
    int index;
    uv_loop_t *uv;
    uv_async_t async;
    uv_timer_t sweep;
    uv_mutex_t mu;            /* guards head/tail/running */
    rt_task_t *head, *tail;
    bool running;
    bool draining;
    hmap_t sessions;          /* sid -> rt_session_t */
    hmap_t rooms;             /* name -> rt_room_t */
    rt_session_t *list;       /* every live session of this loop */
    rt_ws_t *ws_list;         /* every open WebSocket of this loop */
    int upgrading;            /* draining: sessions left to end after their upgrade */
    void (*drained)(void *);  /* called when `upgrading` falls to 0 */
    void *drained_arg;
} rt_loop_t;

typedef struct rt_global {
    rt_cfg_t cfg;
    int nloops;
    rt_loop_t *loops;
    realtime_entitlement_fn entitle;
    hmap_t handlers;          /* event name -> realtime_event_fn (read-only once serving) */
} rt_global_t;

extern rt_global_t RT;

/* loop.c */
rt_loop_t *rt_loop_here(void);
/* A session the drain kept for its upgrade has ended (loop.c). */
void rt_loop_upgrade_ended(rt_loop_t *lp);
/* Queues t on loop `index` (any thread). -1 when that loop is not running
 * (t was not queued; the caller still owns it). */
int rt_post(int index, rt_task_t *t);
void rt_random_id(char *out, size_t n); /* n base64url chars + NUL */

/* ---- messages ---- */

typedef struct rt_msg {
    atomic_int refs;
    bool binary;      /* raw bytes of a binary message; else the text packet */
    size_t len;
    uint8_t data[];   /* text: "<type><data>"; binary: the bytes */
} rt_msg_t;

/* A new message of a + b (either may be empty). Aborts on OOM. */
rt_msg_t *rt_msg_new(bool binary, const void *a, size_t alen, const void *b, size_t blen);
rt_msg_t *rt_msg_ref(rt_msg_t *m);
void rt_msg_unref(rt_msg_t *m);

/* ---- sessions (session.c) ---- */

typedef struct rt_qnode {
    struct rt_qnode *next;
    rt_msg_t *m;
} rt_qnode_t;

/* Appends a node owning m (the caller's reference moves into it) to the
 * list *head .. *tail. Aborts when out of memory, like the other
 * allocations of the engine's send path. */
void rt_queue_append(rt_qnode_t **head, rt_qnode_t **tail, rt_msg_t *m);

typedef struct rt_inq {
    struct rt_inq *next;
    sio_packet_t *pkt;
} rt_inq_t;

struct rt_poll_op;

struct rt_session {
    char sid[RT_SID_LEN + 1];
    rt_loop_t *lp;
    rt_session_t *prev, *next;   /* lp->list */
    int refs;
    bool closed;
    bool ws_mode;                /* transport is WebSocket */
    bool kill_posted;
    bool wait_pong;
    bool worker;                 /* the inbound worker coroutine runs */
    bool end_after_flush;        /* close once the queue was polled */
    bool probe_acked;            /* "3probe" went out on `probe` */
    bool end_on_upgrade;         /* draining: close once upgraded (lp->upgrading) */
    rt_qnode_t *qhead, *qtail;   /* outbound queue (polling) */
    size_t qbytes;
    struct rt_poll_op *waiter;   /* pending polling GET */
    rt_ws_t *ws;                 /* active WebSocket */
    rt_ws_t *probe;              /* WebSocket being probed for upgrade */
    uv_timer_t hb;
    sio_decoder_t *dec;
    rt_socket_t *sock;
    rt_inq_t *inhead, *intail;
    int inlen;
    int64_t created_ms;
};

rt_session_t *rt_session_create(rt_loop_t *lp, bool ws_mode);
rt_session_t *rt_session_find(rt_loop_t *lp, const char *sid);
/* The loop index encoded in a sid, or -1 when it cannot be one of ours. */
int rt_sid_owner(const char *sid);
void rt_session_ref(rt_session_t *s);
void rt_session_unref(rt_session_t *s);
/* Queues m (a new reference is taken) on the active transport. */
void rt_session_send(rt_session_t *s, rt_msg_t *m);
void rt_session_send_text(rt_session_t *s, const char *text, size_t len);
/* An Engine.IO packet from the client; `from` is the WebSocket it came
 * on, NULL for polling. */
void rt_session_on_packet(rt_session_t *s, const eio_packet_t *p, rt_ws_t *from);
/* Closes now (idempotent). Must not run while a caller iterates rooms. */
void rt_session_close(rt_session_t *s, const char *reason);
/* Ends the session once queued packets reached the client (polling) or
 * were queued ahead of the close frame (WebSocket). */
void rt_session_end(rt_session_t *s);
/* Closes on the next loop turn (safe anywhere). */
void rt_session_close_async(rt_session_t *s);
/* The open packet text ("0{...}") for this session. */
int rt_session_open_packet(const rt_session_t *s, char *buf, size_t cap, size_t *len);
/* Moves s to WebSocket: flushes the queue over ws. */
void rt_session_upgraded(rt_session_t *s);

/* polling.c */
/* Completes the pending GET with what is queued; `force` answers even
 * when nothing is (with a noop). */
void rt_polling_flush(rt_session_t *s, bool force);

/* ws.c */
void rt_ws_send(rt_ws_t *ws, rt_msg_t *m);
void rt_ws_close(rt_ws_t *ws, uint16_t code);
void rt_ws_detach(rt_ws_t *ws);  /* forget the session (it is closing) */
void rt_ws_close_all(rt_loop_t *lp);

/* ws_deflate.c: one message at a time (no context takeover); out is
 * reused by the caller. Inflate returns -2 when the result exceeds max. */
int rt_deflate_msg(const uint8_t *in, size_t len, buf_t *out);
int rt_inflate_msg(const uint8_t *in, size_t len, size_t max, buf_t *out);
void rt_deflate_thread_cleanup(void);

/* ---- Socket.IO (sio_server.c, sio_events.c) ---- */

typedef struct rt_room rt_room_t;
typedef struct rt_member {
    struct rt_member *rnext, *rprev;   /* room's list */
    struct rt_member *snext;           /* socket's list */
    rt_room_t *room;
    rt_socket_t *sock;
} rt_member_t;

struct rt_room {
    rt_member_t *head;
    size_t n;
    char name[];
};

typedef struct rt_pending_ack {
    struct rt_pending_ack *next;
    int64_t id;
    int64_t deadline_ms;
    void (*cb)(rt_socket_t *sock, sio_packet_t *ack, void *arg); /* ack NULL: timeout */
    void *arg;
} rt_pending_ack_t;

typedef struct rt_typing {
    char room[128];
    int64_t until_ms;
    int64_t sent_ms;  /* last start sent to other nodes (cluster refresh) */
} rt_typing_t;

struct rt_socket {
    rt_session_t *s;
    char id[RT_ID_LEN + 1];
    char pid[RT_ID_LEN + 1];
    char user_id[JWT_CLAIM_MAX + 1];
    rt_member_t *rooms;
    uint64_t min_offset;     /* published packets at or below were replayed */
    uint64_t base_offset;    /* log head when the socket connected */
    double tokens;           /* event rate limit bucket */
    int64_t refill_ms;
    uv_timer_t *expiry;      /* token expiry (heap; closed on disconnect) */
    int64_t next_ack;
    rt_pending_ack_t *acks;
    rt_typing_t typing[RT_MAX_TYPING];
    int ntyping;
    bool connected;          /* CONNECT accepted and not yet disconnected */
    bool holding;            /* recovering from another node: fan-out is held */
    rt_qnode_t *hold, *hold_tail; /* held packets, in arrival order */
};

/* An Engine.IO message for the Socket.IO layer. */
void rt_sio_on_message(rt_session_t *s, const eio_packet_t *p);
/* The session closes; `recoverable` keeps state for recovery. */
void rt_sio_on_close(rt_session_t *s, bool recoverable);
/* Frees what rt_sio_* allocated for s (at session free). */
void rt_sio_free(rt_session_t *s);
/* Encodes and queues p on the socket's session (p is borrowed). */
int rt_sio_send(rt_session_t *s, const sio_packet_t *p);
/* Emits [event, ...args] (args: a stolen array, or NULL). */
void rt_sio_emit(rt_session_t *s, const char *event, json_t *args);
/* Error event then disconnect ("abuse is answered ..."). */
void rt_sio_abuse(rt_session_t *s, const char *code, const char *message);
/* Sends an event with an ack id and waits for the ack in the background. */
int rt_sio_emit_ack(rt_session_t *s, sio_packet_t *p, int timeout_ms,
                    void (*cb)(rt_socket_t *, sio_packet_t *, void *), void *arg);
/* Expires typing indicators and pending acks (sweep timer). */
void rt_sio_sweep(rt_session_t *s, int64_t now_ms);
/* Runs one inbound packet (worker coroutine). */
void rt_sio_handle(rt_session_t *s, sio_packet_t *p);
/* Built-in and registered events (sio_events.c). */
void rt_events_dispatch(rt_session_t *s, sio_packet_t *p);
/* Whether user may join room (own user room, or the entitlement callback). */
bool rt_entitled(const char *user_id, const char *room);
/* Typing indicators of a socket that disconnects stop at once. */
void rt_typing_stop_all(rt_socket_t *sock);

/* rooms.c */
bool rt_room_join(rt_socket_t *sock, const char *name);
bool rt_room_leave(rt_socket_t *sock, const char *name);
bool rt_room_is_member(const rt_socket_t *sock, const char *name);
void rt_room_leave_all(rt_socket_t *sock);
bool rt_room_name_ok(const char *name);
/* Publishes without logging (typing); steals payload; except: a socket
 * id to skip, or NULL. */
int rt_publish_volatile(const char *room, const char *event, json_t *payload,
                        const char *except);

/* recovery.c: the event log and the disconnected-session store. */
typedef struct rt_recovered {
    char id[RT_ID_LEN + 1];
    char user_id[JWT_CLAIM_MAX + 1];
    char **rooms;
    size_t nrooms;
    uint64_t base_offset;
} rt_recovered_t;

void rt_recovery_init(void);
void rt_recovery_fini(void);
/* Appends the packet built from prefix + offset + suffix to the log and
 * posts it to every loop, all under the log lock (so every loop sees
 * publishes in offset order). */
int rt_log_publish(const char *room, const char *prefix, size_t plen, const char *gid);
/* Under the log lock: joins rec's rooms (already filtered) to sock and
 * sends every logged packet after `offset` (what the client last saw, a
 * cluster id or a local offset; NULL: rec's base) of those rooms; -1 when
 * the log no longer reaches back that far. For a fresh socket (rec NULL)
 * only records the head offset. */
int rt_log_attach(rt_socket_t *sock, const rt_recovered_t *rec, const char *offset);
void rt_recovery_save(const rt_socket_t *sock);
/* Takes the record of pid if it exists, belongs to user and is fresh. */
bool rt_recovery_take(const char *pid, const char *user_id, rt_recovered_t *out);
void rt_recovered_clear(rt_recovered_t *r);
void rt_recovery_sweep(int64_t now_ms);

/* rt_cluster.c: what a connect asks of other nodes (cluster mode; each
 * waits in the session's worker coroutine, never blocking the loop). */
/* Others' sockets of user (>= 0), -1 when over the limit cluster-wide,
 * 0 when not in cluster mode or Redis is down. */
int rt_cluster_sockets(rt_session_t *s, const char *user_id, int local_after, int max);
/* Recovers a socket that disconnected on another node: 1 when the socket
 * (connected, user set) has its id and rooms back and the missed packets
 * were queued; 0 when not (the socket, if any, is not connected); -1 when
 * the session closed meanwhile (the socket was disconnected already). */
int rt_cluster_recover(rt_session_t *s, json_t *auth, const char *user);
/* sio_server.c: (re)initialises s's socket for user, connected. */
rt_socket_t *rt_socket_init(rt_session_t *s, const char *user);
/* Delivers (or, while holding, keeps) a fanned-out packet. */
void rt_hold_or_send(rt_socket_t *sock, rt_msg_t *m);
void rt_hold_free(rt_socket_t *sock);
/* Typing indicators from other nodes (key: room + typist's socket id):
 * false for a repeated start (a refresh, not delivered again). Expired
 * ones (origin silent for ttl + 2 s) get a local typing:stop
 * (realtime_typing_sweep, cluster thread). */
bool rt_typing_remote(const char *room, const char *sock_id, json_t *payload, bool start);
void rt_typing_remote_fini(void);
/* Publishes a volatile packet on this node only; payload borrowed. */
int rt_publish_volatile_here(const char *room, const char *event, json_t *payload,
                             const char *except);

/* presence.c */
int rt_presence_count(const char *user_id);
void rt_presence_init(void);
void rt_presence_fini(void);
/* Counts a new socket of user; false (nothing counted) over max.
 * `elsewhere`: the user has sockets on other nodes (no "online" hook). */
bool rt_presence_connect(const char *user_id, int max, bool elsewhere);
void rt_presence_disconnect(const char *user_id);

/* fan-out task executed on each loop (rooms.c) */
void rt_fanout_deliver(rt_loop_t *lp, const char *room, rt_msg_t *m, uint64_t offset,
                       const char *except);

#endif
