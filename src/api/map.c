/* api/map.c -- /v1/map/pois (GeoJSON for map screens, clustered) and
 * /v1/map/style (a MapLibre style pointing at this server).
 *
 * pois never returns more than MAP_MAX_FEATURES features: below zoom
 * MAP_CLUSTER_BELOW_ZOOM, or when the box holds more places than that, the
 * places are grouped on a grid of MAP_CELL_PX-pixel cells at the requested
 * zoom (256-pixel tiles), doubled until the groups fit; a group of one is
 * sent as the place itself. Everything is computed from the in-memory
 * catalog under its read lock and written straight into the response
 * (api/jsonw.h); only the id list of the box is allocated per request.
 */
#include "api/api.h"
#include "api/geo_params.h"
#include "api/jsonw.h"

#include "geo/osm.h"
#include "places/places.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX_FEATURES 200
#define MAP_CLUSTER_BELOW_ZOOM 13
#define MAP_CELL_PX 64.0

typedef struct {
    const places_catalog_t *c;
    const places_filter_t *f;
    uint64_t *ids;
    size_t n, cap;
} bbox_collect_t;

static int bbox_visit(void *data, const geo_index_hit_t *hit)
{
    bbox_collect_t *b = data;
    if (b->f->categories && !places_filter_match(b->c, (size_t)hit->id, b->f))
        return 0;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint64_t *ni = realloc(b->ids, cap * sizeof *ni);
        if (!ni)
            return GEO_ENOMEM;
        b->ids = ni;
        b->cap = cap;
    }
    b->ids[b->n++] = hit->id;
    return 0;
}

static int parse_bbox(http_req_t *req, geo_bbox_t *box, apierr_t *err)
{
    const char *s = http_query(req, "bbox");
    double v[4];
    if (!s)
        return gp_invalid(err, "bbox", "is required (minLng,minLat,maxLng,maxLat)");
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        char *end;
        size_t len = strcspn(p, ",");
        if (len == 0 || len > 40 || strspn(p, "0123456789+-.eE") < len)
            return gp_invalid(err, "bbox", "must be minLng,minLat,maxLng,maxLat");
        v[i] = strtod(p, &end);
        if (end != p + len || !isfinite(v[i]) || (i < 3 && *end != ',') || (i == 3 && *end))
            return gp_invalid(err, "bbox", "must be minLng,minLat,maxLng,maxLat");
        p = end + (i < 3);
    }
    *box = (geo_bbox_t){.west = v[0], .south = v[1], .east = v[2], .north = v[3]};
    if (fabs(v[0]) > 180 || fabs(v[2]) > 180 || fabs(v[1]) > 90 || fabs(v[3]) > 90 ||
        v[1] > v[3])
        return gp_invalid(err, "bbox", "coordinates out of range or minLat > maxLat");
    return 0;
}

static void point_feature(jsonw_t *w, const places_catalog_t *c, uint64_t id)
{
    const places_item_t *it = &c->items[id];
    const geo_osm_category_t *cat = geo_osm_category(it->category);
    JW_LIT(w, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    jw_fixed(w, it->point.lng, 7);
    JW_LIT(w, ",");
    jw_fixed(w, it->point.lat, 7);
    JW_LIT(w, "]},\"properties\":{\"id\":");
    jw_str(w, it->id);
    JW_LIT(w, ",\"name\":");
    jw_str(w, it->name);
    JW_LIT(w, ",\"category\":");
    jw_str(w, cat->name);
    JW_LIT(w, ",\"parentCategory\":");
    jw_str(w, cat->parent);
    JW_LIT(w, "}}");
}

typedef struct {
    uint64_t key;
    uint64_t id;
} keyed_t;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed_t *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->id < y->id ? -1 : x->id > y->id;
}

/* Groups ids on a grid of `cell` degrees; returns the number of groups. */
static size_t grid_groups(const places_catalog_t *c, const geo_bbox_t *box, keyed_t *k,
                          const uint64_t *ids, size_t n, double cell)
{
    for (size_t i = 0; i < n; i++) {
        geo_point_t p = c->items[ids[i]].point;
        double dx = p.lng - box->west;
        if (dx < 0)
            dx += 360; /* antimeridian box */
        uint64_t cx = (uint64_t)(dx / cell), cy = (uint64_t)((p.lat + 90) / cell);
        k[i] = (keyed_t){cx << 32 | cy, ids[i]};
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    size_t groups = 0;
    for (size_t i = 0; i < n; i++)
        groups += i == 0 || k[i].key != k[i - 1].key;
    return groups;
}

static void cluster_features(jsonw_t *w, const places_catalog_t *c, const keyed_t *k, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double lat = 0, lng = 0;
        while (j < n && k[j].key == k[i].key) {
            lat += c->items[k[j].id].point.lat;
            lng += c->items[k[j].id].point.lng;
            j++;
        }
        size_t cnt = j - i;
        if (i)
            JW_LIT(w, ",");
        if (cnt == 1) {
            point_feature(w, c, k[i].id);
        } else {
            JW_LIT(w, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                      "\"coordinates\":[");
            jw_fixed(w, lng / (double)cnt, 7);
            JW_LIT(w, ",");
            jw_fixed(w, lat / (double)cnt, 7);
            JW_LIT(w, "]},\"properties\":{\"cluster\":true,\"pointCount\":");
            jw_int(w, (int64_t)cnt);
            JW_LIT(w, "}}");
        }
        i = j;
    }
}

void map_pois(http_req_t *req)
{
    apierr_t err = {0};
    geo_bbox_t box;
    long zoom;
    uint16_t cats[64];
    size_t ncats;
    if (parse_bbox(req, &box, &err) < 0 || gp_int(req, "zoom", 14, 0, 22, &zoom, &err) < 0 ||
        gp_categories(req, cats, 64, &ncats, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    places_filter_t f = {.categories = ncats ? cats : NULL, .ncategories = ncats, .open_now = -1};
    http_send_raw(req, 200, "application/json", NULL, 0);
    jsonw_t w = {.b = &req->res.body};
    JW_LIT(&w, "{\"type\":\"FeatureCollection\",\"features\":[");
    places_read_lock();
    const places_catalog_t *c = places_catalog();
    bbox_collect_t b = {.c = c, .f = &f};
    int rc = c->index ? geo_index_bbox_each(c->index, &box, bbox_visit, &b) : GEO_OK;
    bool clustered = false;
    if (rc == GEO_OK && b.n <= MAP_MAX_FEATURES && zoom >= MAP_CLUSTER_BELOW_ZOOM) {
        jw_room(&w, b.n * 200);
        for (size_t i = 0; i < b.n; i++) {
            if (i)
                JW_LIT(&w, ",");
            point_feature(&w, c, b.ids[i]);
        }
    } else if (rc == GEO_OK) {
        clustered = true;
        keyed_t *k = malloc((b.n + 1) * sizeof *k);
        double cell = 360.0 / pow(2.0, (double)zoom) * (MAP_CELL_PX / 256.0);
        while (k && grid_groups(c, &box, k, b.ids, b.n, cell) > MAP_MAX_FEATURES)
            cell *= 2;
        if (k)
            cluster_features(&w, c, k, b.n);
        else
            rc = GEO_ENOMEM;
        free(k);
    }
    places_read_unlock();
    free(b.ids);
    JW_LIT(&w, "],\"total\":");
    jw_int(&w, (int64_t)b.n);
    if (clustered)
        JW_LIT(&w, ",\"clustered\":true");
    else
        JW_LIT(&w, ",\"clustered\":false");
    JW_LIT(&w, ",\"attribution\":\"© OpenStreetMap contributors\"}");
    if (rc != GEO_OK || w.failed)
        http_send_error(req, 500, "internal", "cannot collect places");
}

/* ---- GET /v1/map/style ------------------------------------------------------------ */

static void base_url(http_req_t *req, char *out, size_t cap)
{
    const char *host = http_header(req, "host");
    if (host && strlen(host) < 200 &&
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
            strlen(host))
        snprintf(out, cap, "http://%s", host);
    else
        out[0] = '\0'; /* relative URLs */
}

void map_style(http_req_t *req)
{
    char base[256], data[512];
    base_url(req, base, sizeof base);
    places_read_lock();
    const places_catalog_t *c = places_catalog();
    geo_bbox_t b = c->have_bounds ? c->bounds : (geo_bbox_t){43.72, 7.40, 43.76, 7.44};
    places_read_unlock();
    snprintf(data, sizeof data, "%s/v1/map/pois?bbox=%.6f,%.6f,%.6f,%.6f&zoom=16", base, b.west,
             b.south, b.east, b.north);
    json_t *style = json_pack(
        "{s:i, s:s, s:[f,f], s:i, s:{s:s, s:s, s:s},"
        " s:{s:{s:s, s:s, s:s}},"
        " s:[{s:s, s:s, s:{s:s}},"
        "    {s:s, s:s, s:s, s:[s,s], s:{s:s, s:[s,[s,s],i,i,i], s:s}},"
        "    {s:s, s:s, s:s, s:[s,[s,s]], s:{s:s, s:i, s:s, s:i}}]}",
        "version", 8, "name", "Travloc places", "center", (b.west + b.east) / 2,
        (b.south + b.north) / 2, "zoom", 14, "metadata", "travloc:tiles",
        "none: vector tiles are out of scope; the map shows GeoJSON points", "travloc:route",
        "/v1/map/route", "travloc:search", "/v1/places/search", "sources", "travloc-pois",
        "type", "geojson", "data", data, "attribution", "© OpenStreetMap contributors",
        "layers", "id", "background", "type", "background", "paint", "background-color",
        "#f2efe9", "id", "clusters", "type", "circle", "source", "travloc-pois", "filter", "has",
        "pointCount", "paint", "circle-color", "#51bbd6", "circle-radius", "step", "get",
        "pointCount", 12, 20, 16, "circle-stroke-color", "#ffffff", "id", "places", "type",
        "circle", "source", "travloc-pois", "filter", "!", "has", "pointCount", "paint",
        "circle-color", "#e55e5e", "circle-radius", 5, "circle-stroke-color", "#ffffff",
        "circle-stroke-width", 1);
    if (!style) {
        http_send_error(req, 500, "internal", "cannot build the style");
        return;
    }
    gp_send(req, style);
}

const route_t map_routes[] = {
    {.method = "GET", .pattern = "/v1/map/pois", .handler = map_pois, .flags = ROUTE_PUBLIC,
     .summary = "Places in a bounding box as GeoJSON, clustered at low zoom"},
    {.method = "GET", .pattern = "/v1/map/route", .handler = map_route, .flags = ROUTE_PUBLIC,
     .summary = "Route between points (OSRM-like response)"},
    {.method = "GET", .pattern = "/v1/map/matrix", .handler = map_matrix, .flags = ROUTE_PUBLIC,
     .summary = "Travel time and distance matrix (up to 50 x 50)"},
    {.method = "GET", .pattern = "/v1/map/style", .handler = map_style, .flags = ROUTE_PUBLIC,
     .summary = "MapLibre style JSON for this server"},
};
const int map_routes_count = (int)(sizeof map_routes / sizeof map_routes[0]);
