#include "http/metrics.h"

#include "http/server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int statuses[] = {100, 101, 200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403,
                               404, 405, 408, 409, 410, 411, 412, 413, 415, 422, 428, 429, 431,
                               500, 501, 502, 503, 504};
#define NSTATUS ((int)(sizeof statuses / sizeof statuses[0]) + 1) /* + "other" */
static const double bounds_ms[] = {0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000};
#define NBOUNDS ((int)(sizeof bounds_ms / sizeof bounds_ms[0]))

typedef _Atomic uint64_t counter_t;

struct http_metrics {
    int nroutes;          /* slots: routes + 1 for unmatched */
    counter_t *counts;    /* [slot][NSTATUS] */
    counter_t *hist;      /* [slot][NBOUNDS + 1] */
    counter_t *sum_ns;    /* [slot] */
    _Atomic int64_t inflight;
};

#define MAX_INSTANCES 256
static http_metrics_t *instances[MAX_INSTANCES];
static _Atomic int ninstances;
static metrics_source_fn sources[16];
static _Atomic int nsources;

http_metrics_t *metrics_new(int nroutes)
{
    http_metrics_t *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    int slots = nroutes + 1;
    m->nroutes = nroutes;
    m->counts = calloc((size_t)slots * NSTATUS, sizeof(counter_t));
    m->hist = calloc((size_t)slots * (NBOUNDS + 1), sizeof(counter_t));
    m->sum_ns = calloc((size_t)slots, sizeof(counter_t));
    int i = atomic_fetch_add(&ninstances, 1);
    if (!m->counts || !m->hist || !m->sum_ns || i >= MAX_INSTANCES) {
        free(m->counts);
        free(m->hist);
        free(m->sum_ns);
        free(m);
        return NULL;
    }
    instances[i] = m;
    return m;
}

void metrics_add_source(metrics_source_fn fn)
{
    int i = atomic_fetch_add(&nsources, 1);
    if (i < 16)
        sources[i] = fn;
}

static int status_slot(int status)
{
    for (int i = 0; i < NSTATUS - 1; i++)
        if (statuses[i] == status)
            return i;
    return NSTATUS - 1;
}

void metrics_observe(http_metrics_t *m, int route_index, int status, uint64_t latency_ns)
{
    if (!m)
        return;
    int slot = route_index < 0 || route_index >= m->nroutes ? m->nroutes : route_index;
    atomic_fetch_add_explicit(&m->counts[slot * NSTATUS + status_slot(status)], 1,
                              memory_order_relaxed);
    double ms = (double)latency_ns / 1e6;
    int b = 0;
    while (b < NBOUNDS && ms > bounds_ms[b])
        b++;
    atomic_fetch_add_explicit(&m->hist[slot * (NBOUNDS + 1) + b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_ns[slot], latency_ns, memory_order_relaxed);
}

void metrics_inflight(http_metrics_t *m, int delta)
{
    if (m)
        atomic_fetch_add_explicit(&m->inflight, delta, memory_order_relaxed);
}

static uint64_t sum(counter_t *(*pick)(http_metrics_t *, int), int idx)
{
    uint64_t s = 0;
    int n = atomic_load(&ninstances);
    for (int i = 0; i < n && i < MAX_INSTANCES; i++)
        if (instances[i])
            s += atomic_load_explicit(pick(instances[i], idx), memory_order_relaxed);
    return s;
}

static counter_t *pick_count(http_metrics_t *m, int idx) { return &m->counts[idx]; }
static counter_t *pick_hist(http_metrics_t *m, int idx) { return &m->hist[idx]; }
static counter_t *pick_sum(http_metrics_t *m, int idx) { return &m->sum_ns[idx]; }

static void labels(buf_t *out, const route_t *routes, int nroutes, int slot)
{
    if (slot == nroutes)
        buf_puts(out, "route=\"unmatched\",method=\"\"");
    else
        buf_printf(out, "route=\"%s\",method=\"%s\"", routes[slot].pattern, routes[slot].method);
}

static void render_requests(buf_t *out, const route_t *routes, int nroutes)
{
    buf_puts(out, "# HELP travloc_http_requests_total HTTP requests by route, method and status.\n"
                  "# TYPE travloc_http_requests_total counter\n");
    for (int r = 0; r <= nroutes; r++)
        for (int s = 0; s < NSTATUS; s++) {
            uint64_t v = sum(pick_count, r * NSTATUS + s);
            if (!v)
                continue;
            buf_puts(out, "travloc_http_requests_total{");
            labels(out, routes, nroutes, r);
            if (s < NSTATUS - 1)
                buf_printf(out, ",status=\"%d\"} %llu\n", statuses[s], (unsigned long long)v);
            else
                buf_printf(out, ",status=\"other\"} %llu\n", (unsigned long long)v);
        }
    buf_puts(out, "# HELP travloc_http_request_duration_seconds Request latency by route.\n"
                  "# TYPE travloc_http_request_duration_seconds histogram\n");
    for (int r = 0; r <= nroutes; r++) {
        uint64_t cum = 0, total = 0;
        for (int b = 0; b <= NBOUNDS; b++)
            total += sum(pick_hist, r * (NBOUNDS + 1) + b);
        if (!total)
            continue;
        for (int b = 0; b <= NBOUNDS; b++) {
            cum += sum(pick_hist, r * (NBOUNDS + 1) + b);
            buf_puts(out, "travloc_http_request_duration_seconds_bucket{");
            labels(out, routes, nroutes, r);
            if (b < NBOUNDS)
                buf_printf(out, ",le=\"%g\"} %llu\n", bounds_ms[b] / 1000, (unsigned long long)cum);
            else
                buf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        buf_puts(out, "travloc_http_request_duration_seconds_sum{");
        labels(out, routes, nroutes, r);
        buf_printf(out, "} %.6f\n", (double)sum(pick_sum, r) / 1e9);
        buf_puts(out, "travloc_http_request_duration_seconds_count{");
        labels(out, routes, nroutes, r);
        buf_printf(out, "} %llu\n", (unsigned long long)total);
    }
}

static long rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * sysconf(_SC_PAGESIZE);
}

void metrics_render(buf_t *out, const route_t *routes, int nroutes)
{
    render_requests(out, routes, nroutes);
    int64_t inflight = 0;
    int n = atomic_load(&ninstances);
    for (int i = 0; i < n && i < MAX_INSTANCES; i++)
        if (instances[i])
            inflight += atomic_load(&instances[i]->inflight);
    buf_printf(out,
               "# HELP travloc_http_requests_in_flight Requests being handled.\n"
               "# TYPE travloc_http_requests_in_flight gauge\n"
               "travloc_http_requests_in_flight %lld\n"
               "# HELP travloc_http_connections_open Open client connections.\n"
               "# TYPE travloc_http_connections_open gauge\n"
               "travloc_http_connections_open %ld\n"
               "# HELP travloc_process_resident_memory_bytes Resident set size.\n"
               "# TYPE travloc_process_resident_memory_bytes gauge\n"
               "travloc_process_resident_memory_bytes %ld\n",
               (long long)inflight, server_connections(), rss_bytes());
    int ns = atomic_load(&nsources);
    for (int i = 0; i < ns && i < 16; i++)
        sources[i](out);
}
