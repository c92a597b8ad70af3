/* geo/route_path.c -- geo_route(): legs, geometry and turn-by-turn steps.
 *
 * Each leg's pieces come from geo_route__search(); they are laid end to
 * end into one geometry. Steps follow OSRM's model: a depart, then a new
 * step wherever the road name changes, the path turns sharply at a real
 * intersection (three or more neighbours), or it enters or leaves a
 * roundabout; an arrive closes each leg.
 */
#include "geo/route_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const maneuver_names[] = {
    "depart", "turn", "new name", "continue", "roundabout", "exit roundabout", "arrive",
};
static const char *const modifier_names[] = {
    "", "uturn", "sharp right", "right", "slight right", "straight",
    "slight left", "left", "sharp left",
};

const char *geo_maneuver_name(int m)
{
    return m >= 0 && m <= GEO_MANEUVER_ARRIVE ? maneuver_names[m] : "";
}

const char *geo_modifier_name(int m)
{
    return m >= 0 && m <= GEO_MODIFIER_SHARP_LEFT ? modifier_names[m] : "";
}

void geo_route_free(geo_route_t *rt)
{
    if (!rt)
        return;
    free(rt->geometry);
    free(rt->steps);
    free(rt->legs);
    free(rt->waypoints);
    memset(rt, 0, sizeof *rt);
}

/* ---- Geometry helpers ------------------------------------------------------------ */

typedef struct path {
    const geo_router_t *r;
    int profile;
    piece_t *pieces;
    size_t n, cap;
    size_t *leg_end; /* pieces of leg i end at leg_end[i] */
} path_t;

static geo_point_t edge_point(const geo_graph_t *g, uint32_t e, double t)
{
    geo_point_t a = geo_graph_node_point(g, geo_graph_edge_source(g, e));
    geo_point_t b = geo_graph_node_point(g, geo_graph_edge(g, e)->target);
    if (t <= 0)
        return a;
    if (t >= 1)
        return b;
    double dl = b.lng - a.lng;
    dl += dl > 180 ? -360 : dl < -180 ? 360 : 0;
    geo_point_t p = {a.lat + t * (b.lat - a.lat), geo_lng_normalize(a.lng + t * dl)};
    return p;
}

static double edge_bearing(const geo_graph_t *g, uint32_t e)
{
    return geo_bearing_deg(geo_graph_node_point(g, geo_graph_edge_source(g, e)),
                           geo_graph_node_point(g, geo_graph_edge(g, e)->target));
}

/* Number of distinct neighbours of node v. */
static int node_degree(const geo_graph_t *g, uint32_t v)
{
    uint32_t seen[8], n = 0, b, end;
    geo_graph_out_edges(g, v, &b, &end);
    for (uint32_t i = b; i < end + 0; i++) {
        uint32_t w = geo_graph_edge(g, i)->target, k = 0;
        while (k < n && seen[k] != w)
            k++;
        if (k == n && n < 8)
            seen[n++] = w;
    }
    geo_graph_in_edges(g, v, &b, &end);
    for (uint32_t i = b; i < end; i++) {
        uint32_t w = geo_graph_edge_source(g, geo_graph_in_edge(g, i)), k = 0;
        while (k < n && seen[k] != w)
            k++;
        if (k == n && n < 8)
            seen[n++] = w;
    }
    return (int)n;
}

static int modifier_of(double angle)
{
    double a = fabs(angle);
    if (a < 20)
        return GEO_MODIFIER_STRAIGHT;
    if (a >= 170)
        return GEO_MODIFIER_UTURN;
    bool right = angle > 0;
    if (a < 60)
        return right ? GEO_MODIFIER_SLIGHT_RIGHT : GEO_MODIFIER_SLIGHT_LEFT;
    if (a < 140)
        return right ? GEO_MODIFIER_RIGHT : GEO_MODIFIER_LEFT;
    return right ? GEO_MODIFIER_SHARP_RIGHT : GEO_MODIFIER_SHARP_LEFT;
}

static int deg_int(double b)
{
    long v = lround(b);
    return (int)(((v % 360) + 360) % 360);
}

/* ---- Steps ----------------------------------------------------------------------------- */

typedef struct builder {
    const path_t *p;
    geo_route_t *rt;
    const anchor_t *anchors;
} builder_t;

static void add_point(geo_route_t *rt, geo_point_t pt)
{
    if (rt->n_geometry && rt->geometry[rt->n_geometry - 1].lat == pt.lat &&
        rt->geometry[rt->n_geometry - 1].lng == pt.lng)
        return;
    rt->geometry[rt->n_geometry++] = pt;
}

static geo_route_step_t *new_step(geo_route_t *rt, int man, int mod, const char *name,
                                  geo_point_t at, uint32_t leg)
{
    geo_route_step_t *s = &rt->steps[rt->n_steps++];
    memset(s, 0, sizeof *s);
    s->maneuver = man;
    s->modifier = mod;
    s->name = name;
    s->location = at;
    s->leg = leg;
    s->geometry_begin = rt->n_geometry ? rt->n_geometry - 1 : 0;
    return s;
}

/* Decides the maneuver between pieces a and b; returns the step the new
 * piece belongs to (cur, or a new one). */
static geo_route_step_t *junction(builder_t *bd, geo_route_step_t *cur, const piece_t *a,
                                  const piece_t *b, uint32_t leg)
{
    const geo_graph_t *g = bd->p->r->g;
    const geo_graph_edge_t *ea = geo_graph_edge(g, a->edge), *eb = geo_graph_edge(g, b->edge);
    double in = edge_bearing(g, a->edge), out = edge_bearing(g, b->edge);
    double angle = out - in;
    angle += angle > 180 ? -360 : angle <= -180 ? 360 : 0;
    int mod = modifier_of(angle);
    const char *name = geo_graph_way_name(g, eb->way);
    bool rba = ea->flags & GEO_EDGE_ROUNDABOUT, rbb = eb->flags & GEO_EDGE_ROUNDABOUT;
    uint32_t node = geo_graph_edge_source(g, b->edge);
    geo_point_t at = geo_graph_node_point(g, node);
    int man = -1;
    if (rba && rbb) {
        cur->exit += node_degree(g, node) > 2;
        return cur;
    }
    if (!rba && rbb)
        man = GEO_MANEUVER_ROUNDABOUT;
    else if (rba && !rbb) {
        cur->exit++;
        man = GEO_MANEUVER_EXIT_ROUNDABOUT;
    } else if (strcmp(cur->name, name) != 0)
        man = mod == GEO_MODIFIER_STRAIGHT ? GEO_MANEUVER_NEW_NAME : GEO_MANEUVER_TURN;
    else if (fabs(angle) >= 40 && node_degree(g, node) > 2)
        man = *name ? GEO_MANEUVER_CONTINUE : GEO_MANEUVER_TURN;
    if (man < 0)
        return cur;
    geo_route_step_t *s = new_step(bd->rt, man, mod, name, at, leg);
    s->bearing_before = deg_int(in);
    s->bearing_after = deg_int(out);
    return s;
}

static void build_leg(builder_t *bd, uint32_t leg, size_t from, size_t to)
{
    geo_route_t *rt = bd->rt;
    const geo_graph_t *g = bd->p->r->g;
    geo_route_leg_t *L = &rt->legs[leg];
    L->step_begin = rt->n_steps;
    add_point(rt, bd->anchors[leg].snap.point);
    const char *first = from < to ? geo_graph_way_name(g, geo_graph_edge(g, bd->p->pieces[from].edge)->way) : "";
    geo_route_step_t *cur = new_step(rt, GEO_MANEUVER_DEPART, GEO_MODIFIER_NONE, first,
                                     bd->anchors[leg].snap.point, leg);
    if (from < to)
        cur->bearing_after = deg_int(edge_bearing(g, bd->p->pieces[from].edge));
    double last_bearing = 0;
    for (size_t j = from; j < to; j++) {
        const piece_t *pc = &bd->p->pieces[j];
        const geo_graph_edge_t *e = geo_graph_edge(g, pc->edge);
        if (j > from)
            cur = junction(bd, cur, &bd->p->pieces[j - 1], pc, leg);
        double len = (pc->t1 - pc->t0) * e->length_m;
        double dur = len * 3.6 / e->speed_kmh[bd->p->profile];
        cur->distance_m += len;
        cur->duration_s += dur;
        L->distance_m += len;
        L->duration_s += dur;
        add_point(rt, j + 1 == to ? bd->anchors[leg + 1].snap.point
                                  : edge_point(g, pc->edge, pc->t1));
        last_bearing = edge_bearing(g, pc->edge);
    }
    add_point(rt, bd->anchors[leg + 1].snap.point);
    geo_route_step_t *arr = new_step(rt, GEO_MANEUVER_ARRIVE, GEO_MODIFIER_NONE, cur->name,
                                     bd->anchors[leg + 1].snap.point, leg);
    arr->bearing_before = deg_int(last_bearing);
    L->step_end = rt->n_steps;
    rt->distance_m += L->distance_m;
    rt->duration_s += L->duration_s;
}

/* Fills geometry, steps and legs of rt from the path. */
static int build_route(const path_t *p, const anchor_t *anchors, size_t n_points,
                       bool no_steps, geo_route_t *rt)
{
    size_t legs = n_points - 1;
    rt->geometry = malloc((p->n + 2 * legs + 2) * sizeof *rt->geometry);
    rt->steps = malloc((p->n + 2 * legs + 2) * sizeof *rt->steps);
    rt->legs = calloc(legs, sizeof *rt->legs);
    rt->waypoints = malloc(n_points * sizeof *rt->waypoints);
    if (!rt->geometry || !rt->steps || !rt->legs || !rt->waypoints)
        return GEO_ENOMEM;
    rt->n_legs = legs;
    rt->n_waypoints = n_points;
    for (size_t i = 0; i < n_points; i++)
        rt->waypoints[i] = anchors[i].snap;
    builder_t bd = {p, rt, anchors};
    size_t from = 0;
    for (size_t i = 0; i < legs; i++) {
        build_leg(&bd, (uint32_t)i, from, p->leg_end[i]);
        from = p->leg_end[i];
    }
    for (size_t i = 0; i < rt->n_steps; i++)
        rt->steps[i].geometry_end =
            i + 1 < rt->n_steps ? rt->steps[i + 1].geometry_begin : rt->n_geometry - 1;
    if (no_steps) {
        free(rt->steps);
        rt->steps = NULL;
        rt->n_steps = 0;
        for (size_t i = 0; i < legs; i++)
            rt->legs[i].step_begin = rt->legs[i].step_end = 0;
    }
    return GEO_OK;
}

/* ---- geo_route ------------------------------------------------------------------------ */

static int path_append(path_t *p, const geo_route_ws_t *ws)
{
    if (p->n + ws->npieces > p->cap) {
        size_t cap = (p->n + ws->npieces) * 2 + 16;
        piece_t *a = realloc(p->pieces, cap * sizeof *a);
        if (!a)
            return GEO_ENOMEM;
        p->pieces = a;
        p->cap = cap;
    }
    for (size_t i = 0; i < ws->npieces; i++)
        if (ws->pieces[i].t1 > ws->pieces[i].t0) /* drop empty pieces */
            p->pieces[p->n++] = ws->pieces[i];
    return GEO_OK;
}

static bool query_valid(const geo_route_query_t *q)
{
    if (!q || !q->points || q->n_points < 2 || q->n_points > GEO_ROUTE_MAX_POINTS ||
        (unsigned)q->profile >= GEO_PROFILE_COUNT ||
        (q->metric != GEO_METRIC_FASTEST && q->metric != GEO_METRIC_SHORTEST) ||
        !isfinite(q->max_snap_m) || q->max_snap_m < 0)
        return false;
    for (size_t i = 0; i < q->n_points; i++)
        if (!geo_point_valid(q->points[i]))
            return false;
    return true;
}

static int route_legs(const geo_router_t *r, geo_route_ws_t *ws, const geo_route_query_t *q,
                      anchor_t *an, path_t *path)
{
    for (size_t i = 0; i < q->n_points; i++) {
        geo_snap_t s;
        int rc = geo_route_snap(r, q->points[i], q->profile, q->max_snap_m, &s);
        if (rc)
            return rc;
        geo_route__anchor(r, &s, q->profile, q->metric, &an[i]);
    }
    for (size_t i = 0; i + 1 < q->n_points; i++) {
        leg_t leg = {.profile = q->profile, .metric = q->metric, .src = an[i].out,
                     .ns = an[i].n_out, .dst = an[i + 1].in, .nd = an[i + 1].n_in,
                     .sxyz = an[i].xyz, .txyz = an[i + 1].xyz};
        leg.has_direct = geo_route__direct(r, &an[i], &an[i + 1], q->profile, q->metric,
                                           &leg.direct_cost, &leg.direct);
        double cost;
        int rc = geo_route__search(r, ws, &leg, &cost);
        if (!rc)
            rc = path_append(path, ws);
        if (rc)
            return rc;
        path->leg_end[i] = path->n;
    }
    return GEO_OK;
}

int geo_route(const geo_router_t *r, geo_route_ws_t *ws, const geo_route_query_t *q,
              geo_route_t *out)
{
    if (!out)
        return GEO_EINVAL;
    memset(out, 0, sizeof *out);
    if (!r || !query_valid(q))
        return GEO_EINVAL;
    geo_route_ws_t *own = ws ? NULL : geo_route_ws_new(r);
    if (!ws && !(ws = own))
        return GEO_ENOMEM;
    anchor_t an[GEO_ROUTE_MAX_POINTS];
    size_t leg_end[GEO_ROUTE_MAX_POINTS];
    path_t path = {.r = r, .profile = q->profile, .leg_end = leg_end};
    int rc = route_legs(r, ws, q, an, &path);
    if (!rc)
        rc = build_route(&path, an, q->n_points, q->no_steps, out);
    free(path.pieces);
    geo_route_ws_free(own);
    if (rc)
        geo_route_free(out);
    return rc;
}
