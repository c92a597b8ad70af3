/* cluster/cluster_int.h -- shared between the cluster thread (cluster.c)
 * and the receive/presence side (remote.c). Not for other modules. */
#ifndef TRAVLOC_CLUSTER_INT_H
#define TRAVLOC_CLUSTER_INT_H

#include "cluster/cluster.h"

#include <stddef.h>

#define CLUSTER_NODE_LEN 16
#define CLUSTER_CHANNEL "travloc:rt"
#define CLUSTER_PRESENCE_KEY "travloc:presence:"
#define CLUSTER_SEEN_KEY "travloc:seen:"
#define CLUSTER_PRESENCE_TTL_MS 30000

/* redis://host[:port][/db] -> host (NUL-terminated), port (default
 * 6379). 0, or -1 when malformed (no password/TLS support). Pure. */
int cluster_parse_url(const char *url, char *host, size_t hostlen, int *port);

const char *cluster_node_id(void);
const char *cluster_host(void);
int cluster_port(void);

/* Delivers one message read from the channel locally, unless it came from
 * `self`. Cluster thread; borrows msg. */
void cluster_deliver(const char *msg, size_t len, const char *self);

void cluster_presence_init(void);
void cluster_presence_fini(void);

#endif
