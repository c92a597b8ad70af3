/* geo/route_matrix.c -- many-to-many travel times by one-to-many Dijkstra.
 *
 * Targets are attached to the graph once (node -> chain of target entries);
 * each source then runs a plain Dijkstra that settles nodes in cost order,
 * offers every settled node's target entries, and stops as soon as the
 * smallest open cost is no better than every target's best.
 */
#include "geo/route_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tentry {
    uint32_t target; /* index into the targets */
    uint32_t next;   /* next entry on the same node, or NO_EDGE */
    endpoint_t ep;
} tentry_t;

typedef struct mctx {
    const geo_router_t *r;
    geo_route_ws_t *ws;
    const geo_matrix_query_t *q;
    anchor_t *src, *dst;
    bool *src_ok, *dst_ok;
    tentry_t *te;
    uint32_t nte, tgen;
    double *best, *blen, *bdur;
} mctx_t;

static void piece_len_dur(const geo_graph_t *g, const piece_t *p, int profile, double *len,
                          double *dur)
{
    if (p->edge == NO_EDGE) {
        *len = *dur = 0;
        return;
    }
    const geo_graph_edge_t *e = geo_graph_edge(g, p->edge);
    *len = (p->t1 - p->t0) * e->length_m;
    *dur = *len * 3.6 / e->speed_kmh[profile];
}

static void attach_targets(mctx_t *m)
{
    geo_route_ws_t *ws = m->ws;
    if (ws->gen > UINT32_MAX - 4 * GEO_MATRIX_MAX) { /* force the stamp reset now */
        ws->gen = UINT32_MAX;
        geo_route__ws_begin(ws);
    }
    geo_route__ws_begin(ws);
    m->tgen = ws->gen;
    m->nte = 0;
    for (size_t j = 0; j < m->q->n_targets; j++) {
        for (int k = 0; m->dst_ok[j] && k < m->dst[j].n_in; k++) {
            tentry_t *t = &m->te[m->nte];
            uint32_t v = m->dst[j].in[k].node;
            t->target = (uint32_t)j;
            t->ep = m->dst[j].in[k];
            t->next = ws->tstamp[v] == m->tgen ? ws->thead[v] : NO_EDGE;
            ws->tstamp[v] = m->tgen;
            ws->thead[v] = m->nte++;
        }
    }
}

static void offer(mctx_t *m, uint32_t j, double cost, double len, double dur)
{
    if (cost < m->best[j]) {
        m->best[j] = cost;
        m->blen[j] = len;
        m->bdur[j] = dur;
    }
}

static int mlabel(mctx_t *m, uint32_t v, double d, double len, double dur)
{
    geo_route_ws_t *ws = m->ws;
    if (ws->stamp[0][v] == ws->gen && ws->dist[0][v] <= d)
        return GEO_OK;
    ws->stamp[0][v] = ws->gen;
    ws->dist[0][v] = d;
    ws->len[v] = len;
    ws->dur[v] = dur;
    return geo_route__heap_push(&ws->heap[0], d, v);
}

/* True when no open label can improve any target any more. */
static bool all_settled(const mctx_t *m, double key)
{
    for (size_t j = 0; j < m->q->n_targets; j++)
        if (m->dst_ok[j] && !(m->best[j] <= key))
            return false;
    return true;
}

static int one_source(mctx_t *m, size_t i)
{
    const geo_graph_t *g = m->r->g;
    geo_route_ws_t *ws = m->ws;
    int p = m->q->profile, met = m->q->metric, rc = GEO_OK;
    geo_route__ws_begin(ws);
    for (size_t j = 0; j < m->q->n_targets; j++) {
        m->best[j] = INFINITY;
        double c, len, dur;
        piece_t pc;
        if (m->dst_ok[j] && geo_route__direct(m->r, &m->src[i], &m->dst[j], p, met, &c, &pc)) {
            piece_len_dur(g, &pc, p, &len, &dur);
            offer(m, (uint32_t)j, c, len, dur);
        }
    }
    for (int k = 0; !rc && k < m->src[i].n_out; k++) {
        const endpoint_t *ep = &m->src[i].out[k];
        double len, dur;
        piece_len_dur(g, &ep->piece, p, &len, &dur);
        rc = mlabel(m, ep->node, ep->cost, len, dur);
    }
    while (!rc && ws->heap[0].n) {
        heap_item_t it = geo_route__heap_pop(&ws->heap[0]);
        uint32_t u = it.node;
        if (ws->dist[0][u] < it.key)
            continue;
        if (all_settled(m, it.key))
            break;
        double du = ws->dist[0][u], lu = ws->len[u], tu = ws->dur[u];
        for (uint32_t k = ws->tstamp[u] == m->tgen ? ws->thead[u] : NO_EDGE; k != NO_EDGE;
             k = m->te[k].next) {
            double len, dur;
            piece_len_dur(g, &m->te[k].ep.piece, p, &len, &dur);
            offer(m, m->te[k].target, du + m->te[k].ep.cost, lu + len, tu + dur);
        }
        uint32_t b, end;
        geo_graph_out_edges(g, u, &b, &end);
        for (uint32_t e = b; !rc && e < end; e++) {
            const geo_graph_edge_t *ed = geo_graph_edge(g, e);
            double c = geo_route__cost(ed, p, met);
            if (c >= 0)
                rc = mlabel(m, ed->target, du + c, lu + ed->length_m,
                            tu + ed->length_m * 3.6 / ed->speed_kmh[p]);
        }
    }
    return rc;
}

static int snap_all(mctx_t *m, const geo_point_t *pts, size_t n, anchor_t *an, bool *ok)
{
    for (size_t i = 0; i < n; i++) {
        geo_snap_t s;
        int rc = geo_route_snap(m->r, pts[i], m->q->profile, m->q->max_snap_m, &s);
        ok[i] = rc == GEO_OK;
        if (rc && rc != GEO_ENOSNAP)
            return rc;
        if (ok[i])
            geo_route__anchor(m->r, &s, m->q->profile, m->q->metric, &an[i]);
    }
    return GEO_OK;
}

static int matrix_args(const geo_router_t *r, const geo_matrix_query_t *q)
{
    if (!r || !q || !q->sources || !q->targets || !q->n_sources || !q->n_targets ||
        (unsigned)q->profile >= GEO_PROFILE_COUNT ||
        (q->metric != GEO_METRIC_FASTEST && q->metric != GEO_METRIC_SHORTEST) ||
        !isfinite(q->max_snap_m) || q->max_snap_m < 0)
        return GEO_EINVAL;
    if (q->n_sources > GEO_MATRIX_MAX || q->n_targets > GEO_MATRIX_MAX)
        return GEO_ERANGE;
    for (size_t i = 0; i < q->n_sources; i++)
        if (!geo_point_valid(q->sources[i]))
            return GEO_EINVAL;
    for (size_t j = 0; j < q->n_targets; j++)
        if (!geo_point_valid(q->targets[j]))
            return GEO_EINVAL;
    return GEO_OK;
}

int geo_route_matrix(const geo_router_t *r, geo_route_ws_t *ws, const geo_matrix_query_t *q,
                     double *durations_s, double *distances_m)
{
    int rc = matrix_args(r, q);
    if (rc)
        return rc;
    size_t ns = q->n_sources, nd = q->n_targets;
    for (size_t k = 0; k < ns * nd; k++) {
        if (durations_s)
            durations_s[k] = -1;
        if (distances_m)
            distances_m[k] = -1;
    }
    geo_route_ws_t *own = ws ? NULL : geo_route_ws_new(r);
    if (!ws && !(ws = own))
        return GEO_ENOMEM;
    anchor_t src[GEO_MATRIX_MAX], dst[GEO_MATRIX_MAX];
    bool src_ok[GEO_MATRIX_MAX], dst_ok[GEO_MATRIX_MAX];
    tentry_t te[2 * GEO_MATRIX_MAX];
    double best[GEO_MATRIX_MAX], blen[GEO_MATRIX_MAX], bdur[GEO_MATRIX_MAX];
    mctx_t m = {r, ws, q, src, dst, src_ok, dst_ok, te, 0, 0, best, blen, bdur};
    rc = snap_all(&m, q->sources, ns, src, src_ok);
    if (!rc)
        rc = snap_all(&m, q->targets, nd, dst, dst_ok);
    if (!rc)
        attach_targets(&m);
    for (size_t i = 0; !rc && i < ns; i++) {
        if (!src_ok[i])
            continue;
        rc = one_source(&m, i);
        for (size_t j = 0; !rc && j < nd; j++) {
            if (!isfinite(best[j]))
                continue;
            if (durations_s)
                durations_s[i * nd + j] = bdur[j];
            if (distances_m)
                distances_m[i * nd + j] = blen[j];
        }
    }
    geo_route_ws_free(own);
    return rc;
}
