/* realtime/realtime.h -- the real-time engine: Engine.IO v4 + Socket.IO v5
 * at /socket.io/, rooms, publish, presence.
 *
 * Threads. Every Engine.IO session belongs to the loop thread that created
 * it, and only that thread touches it. The owner is written into the sid
 * (two hex digits, then random bytes), so any loop can route a request by
 * sid without a shared table or a lock: a polling request that lands on
 * another loop is handed to the owner through that loop's mailbox
 * (uv_async + mutex-protected task list) and its coroutine waits for the
 * answer; a WebSocket upgrade moves the socket itself (a dup'd fd) to the
 * owner loop. Rooms are per loop; realtime_publish() encodes a packet once
 * and posts it to every loop's mailbox, which is the seam a Redis fan-out
 * will plug into. Process-wide state (presence, the recovery store and the
 * event log) sits behind mutexes and is touched once per connect,
 * disconnect or publish, never per delivered packet.
 *
 * Lifecycle (called by http/server.c): realtime_init() before loop threads
 * start; realtime_loop_start() on each loop thread before it serves;
 * realtime_loop_drain() when shutdown begins; realtime_loop_fini() after
 * the loop stopped, before its handles are walked and closed;
 * realtime_shutdown() once every thread is gone.
 *
 * Draining ends every session at once except one whose client is midway
 * through the polling->WebSocket upgrade (probe answered, upgrade packet
 * not yet seen): that client has paused polling and listens on neither
 * transport, so closing then would leave it hanging until its ping timeout.
 * Such a session is ended over the WebSocket as soon as the upgrade
 * completes (or when its probe goes away); realtime_loop_drain() returns
 * true while any is left and calls `drained(arg)` on the loop thread when
 * the last one ended. The caller's grace timer bounds the wait.
 */
#ifndef TRAVLOC_REALTIME_H
#define TRAVLOC_REALTIME_H

#include "core/config.h"
#include "http/http.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

/* ---- Lifecycle (http/server.c) ---------------------------------------- */

int realtime_init(const config_t *cfg, int nloops);
void realtime_loop_start(int index, uv_loop_t *loop);
bool realtime_loop_drain(int index, void (*drained)(void *arg), void *arg);
void realtime_loop_fini(int index);
void realtime_shutdown(void);

/* An HTTP request asked to upgrade its connection (http_parser set
 * `upgrade`). `leftover` holds the bytes read after the request head.
 * Returns 0 when realtime took the socket: it dup'd the fd and will answer
 * 101 (or an error) on it, so the caller closes its own handle without
 * writing anything. Returns an HTTP status (400, 404, …) the caller
 * answers with before closing, or -1 when the request is not a WebSocket
 * upgrade for /socket.io/ (the caller serves it as plain HTTP).
 * Loop thread only; borrows everything. */
int realtime_ws_adopt(uv_tcp_t *tcp, http_req_t *req, const char *leftover, size_t len);

/* ---- The polling transport (api/realtime.c) ---------------------------- */

/* GET/POST /socket.io/ with transport=polling: runs in the request's
 * coroutine and answers it. */
void realtime_polling(http_req_t *req);

/* ---- Internal API for handlers ----------------------------------------- */

/* Emits `event` with `payload` (borrowed; any JSON value or NULL) to every
 * socket in `room` on every loop, in publish order, and keeps it for
 * connection-state recovery. Callable from any thread. 0, or -1 when the
 * room or event name is invalid. */
int realtime_publish(const char *room, const char *event, json_t *payload);
/* The same, this process only: the entry point for messages from other
 * cluster nodes (cluster/), which must not go back to Redis. */
int realtime_publish_local(const char *room, const char *event, json_t *payload);
/* cluster/ only: a publish from another node with its cluster-wide id
 * (the packet's offset; NULL: a local one); a volatile event (typing,
 * not logged; except: a socket id or NULL); and a claim from another node
 * for a socket that disconnected here (returns {"ok":true,"id","ents":
 * [packets]} and forgets the socket, or NULL). */
int realtime_publish_gid(const char *room, const char *event, json_t *payload, const char *gid);
int realtime_publish_volatile_local(const char *room, const char *event, json_t *payload,
                                    const char *except);
json_t *realtime_recovery_claimed(json_t *claim);
/* cluster/ tick: stops other nodes' typing indicators whose node went
 * silent (it died, or the stop was lost). */
void realtime_typing_sweep(int64_t now_ms);

/* Whether `user_id` may join `room`. Runs in a coroutine on the socket's
 * loop (it may query the store). Without a callback, or when it returns
 * false, only "user:<own id>" is allowed. Set before the server starts. */
typedef bool (*realtime_entitlement_fn)(const char *user_id, const char *room);
void realtime_set_entitlement(realtime_entitlement_fn fn);

/* Removes every socket of `user_id` from `room`, on every loop (a member
 * removed from a conversation). Callable from any thread. */
void realtime_room_remove_user(const char *room, const char *user_id);
void realtime_room_remove_user_local(const char *room, const char *user_id); /* cluster/ */

/* Custom events (messaging registers "message:send" …). The handler runs
 * in a coroutine on the socket's loop; events of one socket are handled
 * one at a time, in arrival order. `args` (borrowed) is the JSON array of
 * the event's arguments without the name. realtime_ack() answers the
 * client's acknowledgement (steals `args`, an array; no-op when the client
 * asked for none). Register before the server starts. */
typedef struct realtime_event realtime_event_t;
typedef void (*realtime_event_fn)(realtime_event_t *ev, const char *user_id, json_t *args);
int realtime_on(const char *event, realtime_event_fn fn);
void realtime_ack(realtime_event_t *ev, json_t *args);

/* ---- Presence ----------------------------------------------------------- */

typedef struct {
    bool online;
    int64_t last_seen_ms; /* 0 when never seen */
} realtime_presence_t;

/* Thread-safe. */
void realtime_presence_get(const char *user_id, realtime_presence_t *out);
/* Whether user_id has a socket connected to this process (no Redis, no
 * waiting). Thread-safe. */
bool realtime_online_here(const char *user_id);

/* Called when a user comes online (first socket) or goes offline (last
 * socket gone), in a coroutine of its own on the loop where it happened,
 * so it may query the store (messaging fans out presence:update). Not
 * called while the server shuts down. Set before the server starts. */
typedef void (*realtime_presence_fn)(const char *user_id, bool online, int64_t last_seen_ms);
void realtime_set_presence_hook(realtime_presence_fn fn);

#endif
