/* cluster/cluster.h -- real-time across nodes through Redis (cluster mode).
 *
 * Owns: the Redis connections of this process (one publisher and, on serve
 * nodes, one subscriber, both hiredis async on a dedicated thread with its
 * own libuv loop; one synchronous connection for presence look-ups, used
 * from libuv's thread pool), the node id, the set of users online on this
 * node (mirrored to Redis with a TTL), and the reconnect/backoff state.
 *
 * What goes through Redis (channel "travloc:rt", one JSON message per
 * event: {"n":node,"t":"p","r":room,"e":event,"d":payload,"o":id} for a
 * publish (id: the cluster-wide offset), {"t":"v",...,"x":socket} for a
 * volatile one (typing), {"n":node,"t":"x","r":room,"u":user} for a room
 * removal, {"t":"c"/"r","to":node,"k":n,...} for a recovery claim and its
 * answer (ops.c)):
 *   - realtime_publish() of every node and of `travloc worker`;
 *   - realtime_room_remove_user();
 *   - presence: zset travloc:presence:<user> (member node id, score = ms
 *     until which the node vouches for the user; refreshed every 10 s,
 *     so a dead node's entries lapse after 30 s), travloc:seen:<user>,
 *     and hash travloc:sockets:<user> (node -> sockets, the socket limit);
 *   - recovery records travloc:rs:<pid> (ops.c);
 *   - HTTP rate-limit levels travloc:rl:... (ratelimit_sync.c).
 * REDIS_URL may carry a user and password (AUTH) and a db (SELECT).
 * Messages from this node are ignored on receipt (they were delivered
 * locally already). While Redis is down, local delivery goes on; remote
 * messages are dropped (counted, logged once per outage) and the
 * connections are retried with exponential backoff (250 ms .. 5 s).
 *
 * Threads: every function here is callable from any thread; they copy
 * their arguments and hand them to the cluster thread (never block).
 * cluster_presence_merge() is the exception: it waits for Redis, on the
 * thread pool when called from a coroutine (loop_run_blocking).
 */
#ifndef TRAVLOC_CLUSTER_H
#define TRAVLOC_CLUSTER_H

#include "realtime/realtime.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    CLUSTER_SERVE,  /* publish and subscribe (a serve node) */
    CLUSTER_PUBLISH /* publish only (travloc worker: no real-time engine) */
} cluster_role_t;

/* Starts cluster mode when redis_url is a non-empty redis://host[:port]
 * URL; otherwise does nothing. 0, or -1 on a malformed URL / thread error.
 * The first connection is made asynchronously (Redis may be down). */
int cluster_start(const char *redis_url, cluster_role_t role);
/* Flushes what can be flushed, disconnects, joins the thread. Idempotent. */
void cluster_stop(void);
bool cluster_enabled(void);
const char *cluster_node_id(void); /* this process's node id */

/* Hooks called by the real-time engine (no-ops when not enabled). */
/* gid: the event's cluster-wide id (cluster_gid), also its offset. */
void cluster_publish(const char *room, const char *event, json_t *payload, const char *gid);
/* A volatile event (typing): not logged; `except` a socket id or NULL. */
void cluster_publish_volatile(const char *room, const char *event, json_t *payload,
                              const char *except);
void cluster_room_remove(const char *room, const char *user_id);
/* This node now has `sockets` sockets of user_id (0: none). */
void cluster_presence(const char *user_id, int sockets, int64_t at_ms);

/* Completion of an asynchronous Redis call: runs once, on the cluster
 * thread (or at once on the caller's thread when Redis is down); reply is
 * borrowed, NULL when Redis is down or did not answer. */
typedef void (*cluster_done_fn)(json_t *reply, void *arg);

/* A new cluster-wide event id "<node>-<n>" in buf (>= 40 bytes); false
 * when not enabled. */
bool cluster_gid(char *buf, size_t len);
/* Removes this node from user_id's presence set and answers how many
 * other live nodes still have the user (an integer). */
void cluster_presence_left(const char *user_id, int64_t at_ms, cluster_done_fn done, void *arg);
/* Per-user socket limit: other live nodes' sockets of user_id (integer);
 * when that plus `local` (this node's count after the new socket) is
 * over max, answers -1 - others and changes nothing, else records local. */
void cluster_sockets_reserve(const char *user_id, int local, int max, cluster_done_fn done,
                             void *arg);
/* Connection-state recovery across nodes: the record of a disconnected
 * socket (stolen object: u, id, r[rooms]) under its pid for ttl_ms; drop
 * it when recovered here; get it (the record with "n", its node, or
 * NULL); claim it from that node (claim stolen: pid, u, o offset or
 * null, r rooms) -> {"ok":bool,"ents":[packets]} or NULL after 2 s. */
void cluster_recovery_save(const char *pid, json_t *rec, int64_t ttl_ms);
void cluster_recovery_drop(const char *pid);
void cluster_recovery_get(const char *pid, cluster_done_fn done, void *arg);
void cluster_recovery_claim(const char *node, json_t *claim, cluster_done_fn done, void *arg);

/* Merges other nodes' view of `user_id` into *out (online if any live node
 * has the user; last seen = the later one). No-op when not enabled or
 * Redis is unreachable. */
void cluster_presence_merge(const char *user_id, realtime_presence_t *out);
/* Whether each of users[0..n) is online on any live node: online[i]
 * (false when unknown). One pipelined Redis round trip on the thread pool
 * (waits, from a coroutine, without blocking the loop). 0, or -1 (all
 * false) when not enabled or Redis is not connected; then it does not
 * wait at all. */
int cluster_presence_online(const char *const *users, size_t n, bool *online);

typedef struct {
    uint64_t published, received, dropped, reconnects;
    bool connected;
} cluster_stats_t;
void cluster_get_stats(cluster_stats_t *out);

#endif
