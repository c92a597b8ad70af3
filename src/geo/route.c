/* geo/route.c -- router set-up, snapping and the bidirectional A* search.
 * See route.h for the contract and route_int.h for the path model.
 */
#include "geo/route_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG2RAD (M_PI / 180.0)
#define SNAP_PIECE_M 50.0
#define POT_SCALE 0.999
#define BIG_COMPONENT 1000 /* nodes; smaller islands are snapped to last */

/* ---- Costs ------------------------------------------------------------------- */

double geo_route__cost(const geo_graph_edge_t *e, int profile, int metric)
{
    uint8_t s = e->speed_kmh[profile];
    if (!s)
        return -1.0;
    return metric == GEO_METRIC_SHORTEST ? (double)e->length_m
                                         : (double)e->length_m * 3.6 / (double)s;
}

double geo_route_edge_cost(const geo_graph_edge_t *e, geo_profile_t p, geo_metric_t m)
{
    if (!e || (unsigned)p >= GEO_PROFILE_COUNT || (m != GEO_METRIC_FASTEST && m != GEO_METRIC_SHORTEST))
        return -1.0;
    return geo_route__cost(e, p, m);
}

/* ---- Router --------------------------------------------------------------------- */

static void unit_vector(geo_point_t p, double *v)
{
    double la = p.lat * DEG2RAD, lo = p.lng * DEG2RAD;
    v[0] = cos(la) * cos(lo);
    v[1] = cos(la) * sin(lo);
    v[2] = sin(la);
}

static uint32_t find_twin(const geo_graph_t *g, uint32_t e)
{
    const geo_graph_edge_t *ed = geo_graph_edge(g, e);
    uint32_t u = geo_graph_edge_source(g, e), b, end;
    geo_graph_out_edges(g, ed->target, &b, &end);
    for (uint32_t i = b; i < end; i++) {
        const geo_graph_edge_t *o = geo_graph_edge(g, i);
        if (o->target == u && o->way == ed->way &&
            (o->flags & GEO_EDGE_BACKWARD) != (ed->flags & GEO_EDGE_BACKWARD))
            return i;
    }
    return NO_EDGE;
}

/* Indexes each segment once (the forward edge, or the edge itself when it
 * has no twin) as pieces of at most SNAP_PIECE_M metres. */
static int index_segments(geo_router_t *r)
{
    const geo_graph_t *g = r->g;
    uint32_t m = geo_graph_edge_count(g);
    for (uint32_t e = 0; e < m; e++) {
        const geo_graph_edge_t *ed = geo_graph_edge(g, e);
        if (r->twin[e] != NO_EDGE && (ed->flags & GEO_EDGE_BACKWARD))
            continue;
        geo_point_t a = geo_graph_node_point(g, geo_graph_edge_source(g, e));
        geo_point_t b = geo_graph_node_point(g, ed->target);
        double dl = b.lng - a.lng;
        dl += dl > 180 ? -360 : dl < -180 ? 360 : 0;
        double np = ceil(ed->length_m / SNAP_PIECE_M);
        uint32_t pieces = np < 1 ? 1 : np > 1048575 ? 1048575 : (uint32_t)np;
        for (uint32_t i = 0; i < pieces; i++) {
            double f = (i + 0.5) / pieces;
            geo_point_t mid = {a.lat + f * (b.lat - a.lat), geo_lng_normalize(a.lng + f * dl)};
            int rc = geo_index_insert(r->snap, (uint64_t)e << 20 | i, mid);
            if (rc)
                return rc;
        }
    }
    return GEO_OK;
}

/* Depth-first post-order of the nodes over the edges usable by profile p
 * (forward edges if !rev, else incoming ones), iteratively. With rev, DFS
 * trees follow `order` backwards and label components (Kosaraju). */
typedef struct scc {
    const geo_graph_t *g;
    int p;
    uint32_t n;
    uint32_t *order, *comp, *stack, *pos;
    size_t norder;
} scc_t;

static uint32_t scc_next(scc_t *s, bool rev, uint32_t u, uint32_t *k)
{
    uint32_t b, e;
    if (rev)
        geo_graph_in_edges(s->g, u, &b, &e);
    else
        geo_graph_out_edges(s->g, u, &b, &e);
    for (; b + *k < e; (*k)++) {
        uint32_t ed = rev ? geo_graph_in_edge(s->g, b + *k) : b + *k;
        const geo_graph_edge_t *x = geo_graph_edge(s->g, ed);
        if (!x->speed_kmh[s->p])
            continue;
        (*k)++;
        return rev ? geo_graph_edge_source(s->g, ed) : x->target;
    }
    return NO_EDGE;
}

static void scc_dfs(scc_t *s, bool rev, uint32_t root, uint32_t label)
{
    size_t top = 0;
    s->stack[top] = root;
    s->pos[top++] = 0;
    s->comp[root] = label;
    while (top) {
        uint32_t u = s->stack[top - 1];
        uint32_t w = scc_next(s, rev, u, &s->pos[top - 1]);
        if (w == NO_EDGE) {
            top--;
            if (!rev)
                s->order[s->norder++] = u;
            continue;
        }
        if (s->comp[w] != NO_EDGE)
            continue;
        s->comp[w] = label;
        s->stack[top] = w;
        s->pos[top++] = 0;
    }
}

/* Marks nodes of large strongly connected components per profile, so that
 * snapping prefers them over islands (a footway in a courtyard, a one-way
 * road cut off at the edge of the extract). */
static int mark_components(geo_router_t *r)
{
    uint32_t n = geo_graph_node_count(r->g);
    scc_t s = {.g = r->g, .n = n};
    size_t bytes = ((size_t)n + 1) * sizeof(uint32_t);
    s.order = malloc(bytes);
    s.comp = malloc(bytes);
    s.stack = malloc(bytes);
    s.pos = malloc(bytes);
    uint32_t *size = calloc((size_t)n + 1, sizeof *size);
    int rc = s.order && s.comp && s.stack && s.pos && size ? GEO_OK : GEO_ENOMEM;
    for (int p = 0; !rc && p < GEO_PROFILE_COUNT; p++) {
        s.p = p;
        s.norder = 0;
        memset(s.comp, 0xff, bytes);
        for (uint32_t v = 0; v < n; v++)
            if (s.comp[v] == NO_EDGE)
                scc_dfs(&s, false, v, 0);
        memset(s.comp, 0xff, bytes);
        memset(size, 0, bytes);
        for (size_t i = s.norder; i-- > 0;) {
            uint32_t v = s.order[i];
            if (s.comp[v] == NO_EDGE)
                scc_dfs(&s, true, v, v);
        }
        for (uint32_t v = 0; v < n; v++)
            size[s.comp[v]]++;
        for (uint32_t v = 0; v < n; v++)
            if (size[s.comp[v]] >= BIG_COMPONENT)
                r->big[v] |= (uint8_t)(1u << p);
    }
    free(s.order);
    free(s.comp);
    free(s.stack);
    free(s.pos);
    free(size);
    return rc;
}

geo_router_t *geo_router_new(const geo_graph_t *g)
{
    if (!g)
        return NULL;
    geo_router_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    uint32_t n = geo_graph_node_count(g), m = geo_graph_edge_count(g);
    r->g = g;
    r->xyz = malloc(((size_t)n * 3 + 1) * sizeof *r->xyz);
    r->twin = malloc(((size_t)m + 1) * sizeof *r->twin);
    r->big = calloc((size_t)n + 1, 1);
    r->snap = geo_index_new(&(geo_index_options_t){.cell_m = 100, .expected = m});
    if (!r->xyz || !r->twin || !r->big || !r->snap || mark_components(r))
        goto fail;
    for (uint32_t v = 0; v < n; v++)
        unit_vector(geo_graph_node_point(g, v), r->xyz + 3 * (size_t)v);
    for (uint32_t e = 0; e < m; e++) {
        const geo_graph_edge_t *ed = geo_graph_edge(g, e);
        r->twin[e] = find_twin(g, e);
        for (int p = 0; p < GEO_PROFILE_COUNT; p++)
            if (ed->speed_kmh[p] / 3.6 > r->vmax[p])
                r->vmax[p] = ed->speed_kmh[p] / 3.6;
    }
    if (index_segments(r))
        goto fail;
    return r;
fail:
    geo_router_free(r);
    return NULL;
}

void geo_router_free(geo_router_t *r)
{
    if (!r)
        return;
    free(r->xyz);
    free(r->twin);
    free(r->big);
    geo_index_free(r->snap);
    free(r);
}

size_t geo_router_memory(const geo_router_t *r)
{
    if (!r)
        return 0;
    return sizeof *r + (size_t)geo_graph_node_count(r->g) * 3 * sizeof(double) +
           (size_t)geo_graph_edge_count(r->g) * sizeof(uint32_t) + geo_graph_node_count(r->g) +
           geo_index_memory(r->snap);
}

const geo_graph_t *geo_router_graph(const geo_router_t *r)
{
    return r ? r->g : NULL;
}

/* ---- Workspace ------------------------------------------------------------------ */

geo_route_ws_t *geo_route_ws_new(const geo_router_t *r)
{
    if (!r)
        return NULL;
    geo_route_ws_t *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    size_t n = (size_t)geo_graph_node_count(r->g) + 1;
    ws->n = (uint32_t)(n - 1);
    bool ok = true;
    for (int d = 0; d < 2; d++) {
        ws->stamp[d] = calloc(n, sizeof *ws->stamp[d]);
        ws->dist[d] = malloc(n * sizeof *ws->dist[d]);
        ws->par[d] = malloc(n * sizeof *ws->par[d]);
        ok = ok && ws->stamp[d] && ws->dist[d] && ws->par[d];
    }
    ws->pot = malloc(n * sizeof *ws->pot);
    ws->pstamp = calloc(n, sizeof *ws->pstamp);
    ws->len = malloc(n * sizeof *ws->len);
    ws->dur = malloc(n * sizeof *ws->dur);
    ws->tstamp = calloc(n, sizeof *ws->tstamp);
    ws->thead = malloc(n * sizeof *ws->thead);
    if (!ok || !ws->pot || !ws->pstamp || !ws->len || !ws->dur || !ws->tstamp || !ws->thead) {
        geo_route_ws_free(ws);
        return NULL;
    }
    return ws;
}

void geo_route_ws_free(geo_route_ws_t *ws)
{
    if (!ws)
        return;
    for (int d = 0; d < 2; d++) {
        free(ws->stamp[d]);
        free(ws->dist[d]);
        free(ws->par[d]);
        free(ws->heap[d].a);
    }
    free(ws->pot);
    free(ws->pstamp);
    free(ws->len);
    free(ws->dur);
    free(ws->tstamp);
    free(ws->thead);
    free(ws->pieces);
    free(ws);
}

/* New generation: every stamp array becomes "unset" without clearing. */
int geo_route__ws_begin(geo_route_ws_t *ws)
{
    if (++ws->gen == 0) {
        size_t n = (size_t)ws->n + 1;
        memset(ws->stamp[0], 0, n * sizeof *ws->stamp[0]);
        memset(ws->stamp[1], 0, n * sizeof *ws->stamp[1]);
        memset(ws->pstamp, 0, n * sizeof *ws->pstamp);
        memset(ws->tstamp, 0, n * sizeof *ws->tstamp);
        ws->gen = 1;
    }
    ws->heap[0].n = ws->heap[1].n = 0;
    ws->npieces = 0;
    return GEO_OK;
}

/* ---- Binary heap ------------------------------------------------------------------ */

int geo_route__heap_push(heap_t *h, double key, uint32_t node)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        heap_item_t *a = realloc(h->a, cap * sizeof *a);
        if (!a)
            return GEO_ENOMEM;
        h->a = a;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->a[p].key <= key)
            break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = (heap_item_t){key, node};
    return GEO_OK;
}

heap_item_t geo_route__heap_pop(heap_t *h)
{
    heap_item_t top = h->a[0], last = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->a[c + 1].key < h->a[c].key)
            c++;
        if (last.key <= h->a[c].key)
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n)
        h->a[i] = last;
    return top;
}

/* ---- Snapping ---------------------------------------------------------------------- */

typedef struct snap_ctx {
    const geo_router_t *r;
    geo_point_t q;
    double cosq;
    int profile;
    bool found[2];     /* [0] any segment, [1] segment of a large component */
    geo_snap_t best[2];
} snap_ctx_t;

static double wrap180(double d)
{
    return d > 180 ? d - 360 : d < -180 ? d + 360 : d;
}

static int snap_visit(void *data, const geo_index_hit_t *h)
{
    snap_ctx_t *c = data;
    const geo_graph_t *g = c->r->g;
    uint32_t e = (uint32_t)(h->id >> 20), tw = c->r->twin[e];
    const geo_graph_edge_t *ed = geo_graph_edge(g, e);
    if (!ed->speed_kmh[c->profile] &&
        (tw == NO_EDGE || !geo_graph_edge(g, tw)->speed_kmh[c->profile]))
        return 0;
    geo_point_t a = geo_graph_node_point(g, geo_graph_edge_source(g, e));
    geo_point_t b = geo_graph_node_point(g, ed->target);
    double ax = wrap180(a.lng - c->q.lng) * c->cosq, ay = a.lat - c->q.lat;
    double bx = wrap180(b.lng - c->q.lng) * c->cosq, by = b.lat - c->q.lat;
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? -(ax * dx + ay * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    geo_point_t p = {a.lat + t * (b.lat - a.lat),
                     geo_lng_normalize(a.lng + t * wrap180(b.lng - a.lng))};
    double d = geo_distance_m(c->q, p);
    bool big = c->r->big[geo_graph_edge_source(g, e)] & c->r->big[ed->target] &
               (1u << c->profile);
    for (int k = 0; k <= (int)big; k++)
        if (!c->found[k] || d < c->best[k].dist_m || (d == c->best[k].dist_m && e < c->best[k].edge)) {
            c->found[k] = true;
            c->best[k] = (geo_snap_t){e, tw, t, p, d};
        }
    return 0;
}

int geo_route_snap(const geo_router_t *r, geo_point_t pt, geo_profile_t p, double max_m,
                   geo_snap_t *out)
{
    if (!r || !out || !geo_point_valid(pt) || (unsigned)p >= GEO_PROFILE_COUNT ||
        !isfinite(max_m) || max_m < 0)
        return GEO_EINVAL;
    double max = max_m > 0 ? max_m : GEO_SNAP_DEFAULT_M;
    snap_ctx_t c = {.r = r, .q = pt, .cosq = cos(pt.lat * DEG2RAD), .profile = p};
    for (double rs = fmin(50.0, max);; rs = fmin(max, rs * 4)) {
        c.found[0] = c.found[1] = false;
        int rc = geo_index_radius_each(r->snap, pt, rs + SNAP_PIECE_M / 2 + 1, snap_visit, &c);
        if (rc)
            return rc;
        if ((c.found[1] && c.best[1].dist_m <= rs) || rs >= max)
            break;
    }
    int k = c.found[1] && c.best[1].dist_m <= max ? 1 : 0;
    if (!c.found[k] || c.best[k].dist_m > max)
        return GEO_ENOSNAP;
    *out = c.best[k];
    return GEO_OK;
}

void geo_route__anchor(const geo_router_t *r, const geo_snap_t *s, int profile, int metric,
                       anchor_t *a)
{
    const geo_graph_t *g = r->g;
    uint32_t e = s->edge, tw = s->twin;
    uint32_t u = geo_graph_edge_source(g, e), v = geo_graph_edge(g, e)->target;
    double t = s->t, c = geo_route__cost(geo_graph_edge(g, e), profile, metric);
    double ct = tw == NO_EDGE ? -1 : geo_route__cost(geo_graph_edge(g, tw), profile, metric);
    a->snap = *s;
    a->n_out = a->n_in = 0;
    if (c >= 0) {
        a->out[a->n_out++] = (endpoint_t){v, (1 - t) * c, {e, t, 1}};
        a->in[a->n_in++] = (endpoint_t){u, t * c, {e, 0, t}};
    }
    if (ct >= 0) {
        a->out[a->n_out++] = (endpoint_t){u, t * ct, {tw, 1 - t, 1}};
        a->in[a->n_in++] = (endpoint_t){v, (1 - t) * ct, {tw, 0, 1 - t}};
    }
    unit_vector(s->point, a->xyz);
}

bool geo_route__direct(const geo_router_t *r, const anchor_t *a, const anchor_t *b,
                       int profile, int metric, double *cost, piece_t *piece)
{
    if (a->snap.edge != b->snap.edge)
        return false;
    const geo_graph_t *g = r->g;
    uint32_t e = a->snap.edge, tw = a->snap.twin;
    double ta = a->snap.t, tb = b->snap.t, best = INFINITY;
    double c = geo_route__cost(geo_graph_edge(g, e), profile, metric);
    if (c >= 0 && ta <= tb) {
        best = (tb - ta) * c;
        *piece = (piece_t){e, ta, tb};
    }
    double ct = tw == NO_EDGE ? -1 : geo_route__cost(geo_graph_edge(g, tw), profile, metric);
    if (ct >= 0 && ta >= tb && (ta - tb) * ct < best) {
        best = (ta - tb) * ct;
        *piece = (piece_t){tw, 1 - ta, 1 - tb};
    }
    *cost = best;
    return isfinite(best);
}

/* ---- Bidirectional A* ---------------------------------------------------------------- */

typedef struct search {
    const geo_router_t *r;
    geo_route_ws_t *ws;
    const leg_t *leg;
    double scale; /* metres of chord -> cost units, times POT_SCALE / 2 */
    double mu;
    uint32_t meet;
} search_t;

static double chord(const double *a, const double *b)
{
    double x = a[0] - b[0], y = a[1] - b[1], z = a[2] - b[2];
    return sqrt(x * x + y * y + z * z);
}

/* Forward potential pf(v); the reverse search uses -pf(v). */
static double pot(search_t *s, uint32_t v)
{
    geo_route_ws_t *ws = s->ws;
    if (ws->pstamp[v] == ws->gen)
        return ws->pot[v];
    const double *x = s->r->xyz + 3 * (size_t)v;
    double ht = s->leg->txyz ? chord(x, s->leg->txyz) : 0;
    double hs = s->leg->sxyz ? chord(x, s->leg->sxyz) : 0;
    ws->pstamp[v] = ws->gen;
    return ws->pot[v] = (ht - hs) * s->scale;
}

/* Labels v in direction d with distance nd via par; pushes it and checks
 * for a meeting with the other direction. */
static int label(search_t *s, int d, uint32_t v, double nd, uint32_t par)
{
    geo_route_ws_t *ws = s->ws;
    if (ws->stamp[d][v] == ws->gen && ws->dist[d][v] <= nd)
        return GEO_OK;
    ws->stamp[d][v] = ws->gen;
    ws->dist[d][v] = nd;
    ws->par[d][v] = par;
    if (ws->stamp[!d][v] == ws->gen && nd + ws->dist[!d][v] < s->mu) {
        s->mu = nd + ws->dist[!d][v];
        s->meet = v;
    }
    double p = pot(s, v);
    return geo_route__heap_push(&ws->heap[d], nd + (d ? -p : p), v);
}

static int expand(search_t *s, int d)
{
    geo_route_ws_t *ws = s->ws;
    const geo_graph_t *g = s->r->g;
    heap_item_t it = geo_route__heap_pop(&ws->heap[d]);
    uint32_t u = it.node;
    double du = ws->dist[d][u], p = pot(s, u);
    if (du + (d ? -p : p) < it.key)
        return GEO_OK; /* stale entry */
    uint32_t b, end;
    if (d == 0)
        geo_graph_out_edges(g, u, &b, &end);
    else
        geo_graph_in_edges(g, u, &b, &end);
    for (uint32_t i = b; i < end; i++) {
        uint32_t e = d == 0 ? i : geo_graph_in_edge(g, i);
        const geo_graph_edge_t *ed = geo_graph_edge(g, e);
        double c = geo_route__cost(ed, s->leg->profile, s->leg->metric);
        if (c < 0)
            continue;
        uint32_t w = d == 0 ? ed->target : geo_graph_edge_source(g, e);
        int rc = label(s, d, w, du + c, e);
        if (rc)
            return rc;
    }
    return GEO_OK;
}

static int push_piece(geo_route_ws_t *ws, piece_t p)
{
    if (p.edge == NO_EDGE)
        return GEO_OK;
    if (ws->npieces == ws->pcap) {
        size_t cap = ws->pcap ? ws->pcap * 2 : 256;
        piece_t *a = realloc(ws->pieces, cap * sizeof *a);
        if (!a)
            return GEO_ENOMEM;
        ws->pieces = a;
        ws->pcap = cap;
    }
    ws->pieces[ws->npieces++] = p;
    return GEO_OK;
}

/* Turns the parent chains through s->meet into ws->pieces. */
static int reconstruct(search_t *s)
{
    geo_route_ws_t *ws = s->ws;
    const geo_graph_t *g = s->r->g;
    uint32_t x = s->meet, n = 0, limit = ws->n + 1;
    while (!(ws->par[0][x] & PAR_SRC) && n++ < limit)
        x = geo_graph_edge_source(g, ws->par[0][x]);
    if (n > limit)
        return GEO_EINVAL; /* cannot happen with non-negative costs */
    int rc = push_piece(ws, s->leg->src[ws->par[0][x] & ~PAR_SRC].piece);
    size_t base = ws->npieces;
    for (uint32_t i = 0; !rc && i < n; i++)
        rc = push_piece(ws, (piece_t){0, 0, 1});
    x = s->meet;
    for (uint32_t i = n; !rc && i > 0; i--) {
        ws->pieces[base + i - 1].edge = ws->par[0][x];
        x = geo_graph_edge_source(g, ws->par[0][x]);
    }
    x = s->meet;
    for (n = 0; !rc && !(ws->par[1][x] & PAR_SRC); n++) {
        if (n > limit)
            return GEO_EINVAL;
        rc = push_piece(ws, (piece_t){ws->par[1][x], 0, 1});
        x = geo_graph_edge(g, ws->par[1][x])->target;
    }
    return rc ? rc : push_piece(ws, s->leg->dst[ws->par[1][x] & ~PAR_SRC].piece);
}

int geo_route__search(const geo_router_t *r, geo_route_ws_t *ws, const leg_t *leg, double *cost)
{
    double vmax = leg->metric == GEO_METRIC_SHORTEST ? 1.0 : r->vmax[leg->profile];
    search_t s = {.r = r, .ws = ws, .leg = leg, .mu = INFINITY, .meet = NO_EDGE};
    s.scale = vmax > 0 ? 0.5 * POT_SCALE * GEO_EARTH_RADIUS_M / vmax : 0;
    geo_route__ws_begin(ws);
    if (leg->has_direct)
        s.mu = leg->direct_cost;
    int rc = GEO_OK;
    for (int k = 0; !rc && k < leg->ns; k++)
        rc = label(&s, 0, leg->src[k].node, leg->src[k].cost, PAR_SRC | (uint32_t)k);
    for (int k = 0; !rc && k < leg->nd; k++)
        rc = label(&s, 1, leg->dst[k].node, leg->dst[k].cost, PAR_SRC | (uint32_t)k);
    while (!rc) {
        double kf = ws->heap[0].n ? ws->heap[0].a[0].key : INFINITY;
        double kr = ws->heap[1].n ? ws->heap[1].a[0].key : INFINITY;
        if (kf + kr >= s.mu || (isinf(kf) && isinf(kr)))
            break;
        rc = expand(&s, kf <= kr ? 0 : 1);
    }
    if (rc)
        return rc;
    if (isinf(s.mu))
        return GEO_EUNREACHABLE;
    *cost = s.mu;
    if (s.meet == NO_EDGE) /* the direct piece won */
        return push_piece(ws, leg->direct);
    return reconstruct(&s);
}

int geo_route_nodes(const geo_router_t *r, geo_route_ws_t *ws, geo_profile_t p,
                    geo_metric_t m, uint32_t from, uint32_t to, double *cost,
                    double *distance_m, double *duration_s)
{
    if (!r || (unsigned)p >= GEO_PROFILE_COUNT ||
        (m != GEO_METRIC_FASTEST && m != GEO_METRIC_SHORTEST) ||
        from >= geo_graph_node_count(r->g) || to >= geo_graph_node_count(r->g))
        return GEO_EINVAL;
    geo_route_ws_t *own = ws ? NULL : geo_route_ws_new(r);
    if (!ws && !(ws = own))
        return GEO_ENOMEM;
    endpoint_t src = {from, 0, {NO_EDGE, 0, 0}}, dst = {to, 0, {NO_EDGE, 0, 0}};
    leg_t leg = {.profile = p, .metric = m, .src = &src, .dst = &dst, .ns = 1, .nd = 1,
                 .sxyz = r->xyz + 3 * (size_t)from, .txyz = r->xyz + 3 * (size_t)to};
    double c = 0, dist = 0, dur = 0;
    int rc = geo_route__search(r, ws, &leg, &c);
    for (size_t i = 0; !rc && i < ws->npieces; i++) {
        const geo_graph_edge_t *e = geo_graph_edge(r->g, ws->pieces[i].edge);
        double len = (ws->pieces[i].t1 - ws->pieces[i].t0) * e->length_m;
        dist += len;
        dur += len * 3.6 / e->speed_kmh[p];
    }
    geo_route_ws_free(own);
    if (rc)
        return rc;
    if (cost)
        *cost = c;
    if (distance_m)
        *distance_m = dist;
    if (duration_s)
        *duration_s = dur;
    return GEO_OK;
}
