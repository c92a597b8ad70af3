/* cluster/cluster_int.h -- shared between the cluster thread (cluster.c)
 * and the receive/presence side (remote.c). Not for other modules. */
#ifndef TRAVLOC_CLUSTER_INT_H
#define TRAVLOC_CLUSTER_INT_H

#include "cluster/cluster.h"

#include <hiredis/async.h>
#include <stddef.h>

#define CLUSTER_NODE_LEN 16
#define CLUSTER_CHANNEL "travloc:rt"
#define CLUSTER_PRESENCE_KEY "travloc:presence:"
#define CLUSTER_SEEN_KEY "travloc:seen:"
#define CLUSTER_PRESENCE_TTL_MS 30000
#define CLUSTER_SOCKETS_KEY "travloc:sockets:" /* hash node -> sockets there */
#define CLUSTER_RECOVERY_KEY "travloc:rs:"     /* recovery record of a pid */
#define CLUSTER_CLAIM_TIMEOUT_MS 2000

typedef struct {
    char host[256];
    int port;      /* default 6379 */
    char user[128]; /* ACL user name, "" for none */
    char pass[256]; /* "" for none */
    int db;        /* SELECT, default 0 */
} cluster_url_t;

/* redis://[[user]:password@]host[:port][/db] (user and password
 * percent-decoded). 0, or -1 when malformed or rediss:// (no TLS). Pure. */
int cluster_parse_url(const char *url, cluster_url_t *out);

const char *cluster_node_id(void);
const cluster_url_t *cluster_url(void);
/* A hash of TRAVLOC_CLUSTER_NAME, else of DATABASE_URL (16 hex digits). */
const char *cluster_namespace(void);

/* Runs fn(pub, arg) on the cluster thread (from any thread); pub is the
 * publisher connection, NULL while Redis is down or the thread stops (fn
 * then runs at once, possibly on the caller's thread). fn always runs
 * exactly once and owns arg. */
void cluster_run(void (*fn)(redisAsyncContext *pub, void *arg), void *arg);
/* Queues a message (stolen) for PUBLISH on the channel. Any thread. */
void cluster_send_json(json_t *msg);

/* Recovery claims (recover.c), cluster thread only: a reply for us, the
 * timeout check (tick) and failing every pending claim (stop). */
void cluster_claim_reply(json_t *msg);
void cluster_claim_request(json_t *msg);
void cluster_claims_tick(int64_t now_ms);
void cluster_claims_fail_all(void);

/* HTTP rate limits: sends and applies the buckets' levels (tick, Redis up;
 * ratelimit_sync.c). */
void cluster_ratelimit_sync(redisAsyncContext *pub);

/* Delivers one message read from the channel locally, unless it came from
 * `self`. Cluster thread; borrows msg. */
void cluster_deliver(const char *msg, size_t len, const char *self);

void cluster_presence_init(void);
void cluster_presence_fini(void);

#endif
