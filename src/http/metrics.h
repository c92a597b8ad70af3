/*
 * metrics.h - request counters and latency histograms, Prometheus text.
 *
 * Each loop thread owns one http_metrics_t and is the only writer of it
 * (relaxed atomics, so a scrape from another thread reads whole values).
 * metrics_render sums every registered instance. Instances live until the
 * process exits (they are small and registered once per loop).
 */
#ifndef TRAVLOC_METRICS_H
#define TRAVLOC_METRICS_H

#include "core/buf.h"
#include "http/http.h"

#include <stdint.h>

typedef struct http_metrics http_metrics_t;

http_metrics_t *metrics_new(int nroutes);
/* route_index -1 counts as "unmatched". */
void metrics_observe(http_metrics_t *m, int route_index, int status, uint64_t latency_ns);
void metrics_inflight(http_metrics_t *m, int delta);
/* Appends the whole exposition (HTTP, connections, store, process). */
void metrics_render(buf_t *out, const route_t *routes, int nroutes);

/* Extra metric families contributed by other modules (store, queue, …):
 * each renders its own complete families. At most 16. */
typedef void (*metrics_source_fn)(buf_t *out);
void metrics_add_source(metrics_source_fn fn);

#endif
