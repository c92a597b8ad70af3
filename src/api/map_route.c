/* api/map_route.c -- /v1/map/route and /v1/map/matrix on the imported graph.
 *
 * Both run on libuv's thread pool (loop_run_blocking), never on the event
 * loop: the worker takes the catalog's read lock, borrows a routing
 * workspace from its pool, computes, builds the JSON answer (step names
 * borrow from the graph, so this happens under the lock) and gives
 * everything back. The route response follows OSRM's `route` service
 * (code, routes[].distance/duration/geometry/legs[].steps[].maneuver,
 * waypoints), so OSRM clients can read it; `geometry` is an encoded
 * polyline (precision 5) and `geojson` the same line as GeoJSON.
 */
#include "api/api.h"
#include "api/geo_params.h"

#include "core/loopctx.h"
#include "places/places.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const profile_names[] = {"foot", "bicycle", "car"};
static const char *const mode_names[] = {"walking", "cycling", "driving"};

static int parse_profile(http_req_t *req, geo_profile_t *out, apierr_t *err)
{
    const char *s = http_query(req, "profile");
    for (int i = 0; i < GEO_PROFILE_COUNT; i++)
        if (!s || strcmp(s, profile_names[i]) == 0) {
            *out = s ? (geo_profile_t)i : GEO_PROFILE_FOOT;
            return 0;
        }
    return gp_invalid(err, "profile", "must be foot, bicycle or car");
}

static double r1(double v)
{
    return round(v * 10.0) / 10.0;
}

static json_t *lnglat(geo_point_t p)
{
    return json_pack("[f,f]", round(p.lng * 1e6) / 1e6, round(p.lat * 1e6) / 1e6);
}

static json_t *polyline(const geo_point_t *pts, size_t n)
{
    size_t len = geo_polyline_encoded_len(pts, n, 5);
    char *buf = malloc(len + 1);
    json_t *s = NULL;
    if (buf && geo_polyline_encode(pts, n, 5, buf, len + 1, NULL) == GEO_OK)
        s = json_stringn(buf, len);
    free(buf);
    return s ? s : json_string("");
}

static json_t *waypoint(const geo_graph_t *g, const geo_snap_t *s)
{
    const char *name = geo_graph_way_name(g, geo_graph_edge(g, s->edge)->way);
    return json_pack("{s:s, s:o, s:f}", "name", name, "location", lnglat(s->point), "distance",
                     r1(s->dist_m));
}

static json_t *step_json(const geo_route_t *rt, const geo_route_step_t *st, geo_profile_t p)
{
    json_t *m = json_pack("{s:s, s:o, s:i, s:i}", "type", geo_maneuver_name(st->maneuver),
                          "location", lnglat(st->location), "bearing_before",
                          st->bearing_before, "bearing_after", st->bearing_after);
    if (st->modifier)
        json_object_set_new(m, "modifier", json_string(geo_modifier_name(st->modifier)));
    if (st->exit)
        json_object_set_new(m, "exit", json_integer(st->exit));
    size_t end = st->geometry_end < rt->n_geometry ? st->geometry_end + 1 : rt->n_geometry;
    size_t begin = st->geometry_begin < end ? st->geometry_begin : end;
    return json_pack("{s:f, s:f, s:s, s:s, s:o, s:o}", "distance", r1(st->distance_m),
                     "duration", r1(st->duration_s), "name", st->name ? st->name : "", "mode",
                     mode_names[p], "geometry", polyline(rt->geometry + begin, end - begin),
                     "maneuver", m);
}

static json_t *route_json(const geo_graph_t *g, const geo_route_t *rt, geo_profile_t p)
{
    json_t *coords = json_array();
    for (size_t i = 0; i < rt->n_geometry; i++)
        json_array_append_new(coords, lnglat(rt->geometry[i]));
    json_t *legs = json_array();
    for (size_t l = 0; l < rt->n_legs; l++) {
        const geo_route_leg_t *leg = &rt->legs[l];
        json_t *steps = json_array();
        for (size_t s = leg->step_begin; s < leg->step_end && s < rt->n_steps; s++)
            json_array_append_new(steps, step_json(rt, &rt->steps[s], p));
        json_array_append_new(legs, json_pack("{s:f, s:f, s:f, s:s, s:o}", "distance",
                                              r1(leg->distance_m), "duration",
                                              r1(leg->duration_s), "weight", r1(leg->duration_s),
                                              "summary", "", "steps", steps));
    }
    json_t *route = json_pack("{s:f, s:f, s:f, s:s, s:o, s:{s:s, s:o}, s:o}", "distance",
                              r1(rt->distance_m), "duration", r1(rt->duration_s), "weight",
                              r1(rt->duration_s), "weight_name", "duration", "geometry",
                              polyline(rt->geometry, rt->n_geometry), "geojson", "type",
                              "LineString", "coordinates", coords, "legs", legs);
    json_t *wps = json_array();
    for (size_t i = 0; i < rt->n_waypoints; i++)
        json_array_append_new(wps, waypoint(g, &rt->waypoints[i]));
    return json_pack("{s:s, s:[o], s:o, s:s}", "code", "Ok", "routes", route, "waypoints", wps,
                     "attribution", "© OpenStreetMap contributors");
}

/* ---- GET /v1/map/route ---------------------------------------------------------- */

typedef struct {
    geo_point_t pts[GEO_ROUTE_MAX_POINTS];
    size_t n;
    geo_profile_t profile;
    bool steps;
    int rc;
    size_t bad_point; /* ENOSNAP: which point */
    json_t *out;
} route_job_t;

static void route_work(void *arg)
{
    route_job_t *j = arg;
    places_read_lock();
    const places_catalog_t *c = places_catalog();
    geo_route_ws_t *ws = places_ws_get(c);
    if (!c->router || !ws) {
        j->rc = GEO_ENOTFOUND;
    } else {
        geo_route_query_t q = {.profile = j->profile, .metric = GEO_METRIC_FASTEST,
                               .points = j->pts, .n_points = j->n, .no_steps = !j->steps};
        geo_route_t rt;
        j->rc = geo_route(c->router, ws, &q, &rt);
        if (j->rc == GEO_OK) {
            j->out = route_json(c->graph, &rt, j->profile);
            geo_route_free(&rt);
        } else if (j->rc == GEO_ENOSNAP) {
            geo_snap_t s;
            j->bad_point = 0;
            while (j->bad_point < j->n &&
                   geo_route_snap(c->router, j->pts[j->bad_point], j->profile, 0, &s) == GEO_OK)
                j->bad_point++;
        }
    }
    places_ws_put(c, ws);
    places_read_unlock();
}

static void route_fail(http_req_t *req, const route_job_t *j)
{
    apierr_t err = {0};
    if (j->rc == GEO_ENOTFOUND) {
        http_send_error(req, 503, "routing_unavailable",
                        "no routing graph is loaded (run travloc import-osm)");
    } else if (j->rc == GEO_ENOSNAP) {
        const char *field = j->bad_point == 0 ? "from" : j->bad_point + 1 == j->n ? "to" : "via";
        apierr_set(&err, 422, "no_road_nearby", "%s: no road usable by this profile within %g m",
                   field, GEO_SNAP_DEFAULT_M);
        apierr_detail(&err, "field", json_string(field));
        http_send_apierr(req, &err);
    } else if (j->rc == GEO_EUNREACHABLE) {
        http_send_error(req, 422, "unreachable",
                        "no route connects these points with this profile");
    } else {
        http_send_error(req, 500, "internal", "routing failed: %s", geo_strerror(j->rc));
    }
}

void map_route(http_req_t *req)
{
    apierr_t err = {0};
    route_job_t j = {0};
    size_t nvia = 0;
    int steps;
    const char *via = http_query(req, "via");
    if (gp_point_text(http_query(req, "from"), "from", &j.pts[0], &err) < 0 ||
        (via && gp_point_list(via, "via", j.pts + 1, GEO_ROUTE_MAX_POINTS - 2, &nvia, &err) < 0) ||
        gp_point_text(http_query(req, "to"), "to", &j.pts[nvia + 1], &err) < 0 ||
        parse_profile(req, &j.profile, &err) < 0 || gp_bool(req, "steps", 1, &steps, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    j.n = nvia + 2;
    j.steps = steps;
    if (loop_run_blocking(route_work, &j) < 0) {
        http_send_error(req, 503, "busy", "cannot schedule the route computation");
        return;
    }
    if (j.rc != GEO_OK || !j.out) {
        json_decref(j.out);
        route_fail(req, &j);
        return;
    }
    gp_send(req, j.out);
}

/* ---- GET /v1/map/matrix ------------------------------------------------------------- */

typedef struct {
    geo_point_t src[GEO_MATRIX_MAX], dst[GEO_MATRIX_MAX];
    size_t ns, nd;
    geo_profile_t profile;
    int rc;
    json_t *out;
} matrix_job_t;

static json_t *matrix_rows(const double *v, size_t ns, size_t nd)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < ns; i++) {
        json_t *row = json_array();
        for (size_t k = 0; k < nd; k++) {
            double x = v[i * nd + k];
            json_array_append_new(row, x < 0 ? json_null() : json_real(r1(x)));
        }
        json_array_append_new(rows, row);
    }
    return rows;
}

static json_t *snapped(const places_catalog_t *c, const geo_point_t *pts, size_t n,
                       geo_profile_t p)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        geo_snap_t s;
        if (geo_route_snap(c->router, pts[i], p, 0, &s) == GEO_OK)
            json_array_append_new(a, waypoint(c->graph, &s));
        else
            json_array_append_new(a, json_pack("{s:s, s:o, s:n}", "name", "", "location",
                                               lnglat(pts[i]), "distance"));
    }
    return a;
}

static void matrix_work(void *arg)
{
    matrix_job_t *j = arg;
    double *dur = malloc(sizeof(double) * j->ns * j->nd);
    double *dist = malloc(sizeof(double) * j->ns * j->nd);
    places_read_lock();
    const places_catalog_t *c = places_catalog();
    geo_route_ws_t *ws = places_ws_get(c);
    if (!c->router || !ws) {
        j->rc = GEO_ENOTFOUND;
    } else if (!dur || !dist) {
        j->rc = GEO_ENOMEM;
    } else {
        geo_matrix_query_t q = {.profile = j->profile, .metric = GEO_METRIC_FASTEST,
                                .sources = j->src, .n_sources = j->ns, .targets = j->dst,
                                .n_targets = j->nd};
        j->rc = geo_route_matrix(c->router, ws, &q, dur, dist);
        if (j->rc == GEO_OK)
            j->out = json_pack("{s:s, s:o, s:o, s:o, s:o}", "code", "Ok", "durations",
                               matrix_rows(dur, j->ns, j->nd), "distances",
                               matrix_rows(dist, j->ns, j->nd), "sources",
                               snapped(c, j->src, j->ns, j->profile), "destinations",
                               snapped(c, j->dst, j->nd, j->profile));
    }
    places_ws_put(c, ws);
    places_read_unlock();
    free(dur);
    free(dist);
}

void map_matrix(http_req_t *req)
{
    apierr_t err = {0};
    matrix_job_t *j = calloc(1, sizeof *j);
    if (!j) {
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    const char *dst = http_query(req, "destinations");
    if (gp_point_list(http_query(req, "sources"), "sources", j->src, GEO_MATRIX_MAX, &j->ns,
                      &err) < 0 ||
        (dst && gp_point_list(dst, "destinations", j->dst, GEO_MATRIX_MAX, &j->nd, &err) < 0) ||
        parse_profile(req, &j->profile, &err) < 0) {
        free(j);
        http_send_apierr(req, &err);
        return;
    }
    if (!dst) {
        memcpy(j->dst, j->src, sizeof j->src);
        j->nd = j->ns;
    }
    if (loop_run_blocking(matrix_work, j) < 0)
        j->rc = GEO_EIO;
    if (j->rc == GEO_ENOTFOUND)
        http_send_error(req, 503, "routing_unavailable",
                        "no routing graph is loaded (run travloc import-osm)");
    else if (j->rc != GEO_OK || !j->out)
        http_send_error(req, 500, "internal", "matrix failed: %s", geo_strerror(j->rc));
    else
        gp_send(req, j->out);
    if (j->rc != GEO_OK)
        json_decref(j->out);
    free(j);
}
