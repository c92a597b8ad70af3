/* cluster/cluster.h -- real-time across nodes through Redis (cluster mode).
 *
 * Owns: the Redis connections of this process (one publisher and, on serve
 * nodes, one subscriber, both hiredis async on a dedicated thread with its
 * own libuv loop; one synchronous connection for presence look-ups, used
 * from libuv's thread pool), the node id, the set of users online on this
 * node (mirrored to Redis with a TTL), and the reconnect/backoff state.
 *
 * What goes through Redis (channel "travloc:rt", one JSON message per
 * event: {"n":node,"t":"p","r":room,"e":event,"d":payload} for a publish,
 * {"n":node,"t":"x","r":room,"u":user} for a room removal):
 *   - realtime_publish() of every node and of `travloc worker`;
 *   - realtime_room_remove_user();
 *   - presence: zset travloc:presence:<user> (member node id, score = ms
 *     until which the node vouches for the user; refreshed every 10 s,
 *     so a dead node's entries lapse after 30 s) and travloc:seen:<user>.
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

/* Hooks called by the real-time engine (no-ops when not enabled). */
void cluster_publish(const char *room, const char *event, json_t *payload);
void cluster_room_remove(const char *room, const char *user_id);
void cluster_presence(const char *user_id, bool online, int64_t at_ms);

/* Merges other nodes' view of `user_id` into *out (online if any live node
 * has the user; last seen = the later one). No-op when not enabled or
 * Redis is unreachable. */
void cluster_presence_merge(const char *user_id, realtime_presence_t *out);

typedef struct {
    uint64_t published, received, dropped, reconnects;
    bool connected;
} cluster_stats_t;
void cluster_get_stats(cluster_stats_t *out);

#endif
