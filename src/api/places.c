/* api/places.c -- /v1/places: nearby, search and one place.
 *
 * nearby is answered from the in-memory catalog (places/places.h) under
 * its read lock, with no database round trip; search asks the database
 * for candidates (FTS5 / tsvector) and ranks them in C (places/search.h);
 * one place reads its row for every tag. Public routes: the data is open
 * map data (© OpenStreetMap contributors).
 */
#include "api/api.h"
#include "api/geo_params.h"
#include "api/jsonw.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "geo/opening_hours.h"
#include "geo/osm.h"
#include "http/server.h"
#include "places/places.h"
#include "places/search.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define NEARBY_MAX_LIMIT 100
#define NEARBY_MAX_RADIUS 50000.0

static json_t *open_json(int state)
{
    return state == OH_OPEN ? json_true() : state == OH_CLOSED ? json_false() : json_null();
}

static double round_m(double m)
{
    return round(m * 10.0) / 10.0;
}

static json_t *location(geo_point_t p)
{
    return json_pack("{s:f, s:f}", "lat", p.lat, "lng", p.lng);
}

static const char *const wc_names[] = {NULL, "yes", "limited", "no"};

/* ---- Cursor: base64url of the last hit's distance and id --------------------
 * 16 bytes: the IEEE-754 bits of the distance, then the index id, both
 * little-endian (the cursor is opaque to clients; no text formatting). */

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void cursor_make(double d, uint64_t id, char *out, size_t cap)
{
    unsigned char raw[16];
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    put_le64(raw, bits);
    put_le64(raw + 8, id);
    sodium_bin2base64(out, cap, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int cursor_parse(const char *s, double *d, uint64_t *id, apierr_t *err)
{
    unsigned char raw[17];
    size_t n = 0;
    if (strlen(s) > 40 ||
        sodium_base642bin(raw, sizeof raw, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        n != 16)
        return gp_invalid(err, "cursor", "is not a cursor this endpoint returned");
    uint64_t bits = get_le64(raw);
    memcpy(d, &bits, sizeof *d);
    *id = get_le64(raw + 8);
    if (!isfinite(*d) || *d < 0)
        return gp_invalid(err, "cursor", "is not a cursor this endpoint returned");
    return 0;
}

/* ---- GET /v1/places/nearby --------------------------------------------------- */

static int nearby_parse(http_req_t *req, places_nearby_query_t *q, uint16_t *cats,
                        apierr_t *err)
{
    long limit;
    size_t ncats;
    int open_now, wc = 0;
    if (gp_lat_lng(req, "lat", "lng", &q->center, err) < 0 ||
        gp_double(req, "radius_m", false, 1000, 1, NEARBY_MAX_RADIUS, &q->radius_m, err) < 0 ||
        gp_int(req, "limit", 20, 1, NEARBY_MAX_LIMIT, &limit, err) < 0 ||
        gp_categories(req, cats, 64, &ncats, err) < 0 ||
        gp_bool(req, "open_now", -1, &open_now, err) < 0)
        return -1;
    const char *w = http_query(req, "wheelchair");
    if (w) {
        while (wc < 4 && !(wc_names[wc] && strcmp(wc_names[wc], w) == 0))
            wc++;
        if (wc == 4)
            return gp_invalid(err, "wheelchair", "must be yes, limited or no");
    }
    q->filter.at_ms = clock_now_ms();
    const char *at = http_query(req, "at");
    if (at && validate_rfc3339_parse(at, strlen(at), &q->filter.at_ms) < 0)
        return gp_invalid(err, "at", "must be an RFC 3339 date-time");
    const char *cur = http_query(req, "cursor");
    if (cur && cursor_parse(cur, &q->after_d, &q->after_id, err) < 0)
        return -1;
    q->after = cur != NULL;
    q->limit = (size_t)limit;
    q->filter.categories = ncats ? cats : NULL;
    q->filter.ncategories = ncats;
    q->filter.wheelchair = wc;
    q->filter.open_now = open_now;
    return 0;
}

/* One item, written straight into the response (read lock held). */
static void nearby_item(jsonw_t *w, const places_catalog_t *c, const geo_index_hit_t *h,
                        int64_t at)
{
    const places_item_t *it = &c->items[h->id];
    const geo_osm_category_t *cat = geo_osm_category(it->category);
    JW_LIT(w, "{\"id\":\"");
    jw_lit(w, it->id, strlen(it->id)); /* a UUID: nothing to escape */
    JW_LIT(w, "\",\"name\":");
    jw_str(w, it->name);
    JW_LIT(w, ",\"category\":");
    jw_str(w, cat->name);
    JW_LIT(w, ",\"parentCategory\":");
    jw_str(w, cat->parent);
    JW_LIT(w, ",\"location\":{\"lat\":");
    jw_fixed(w, h->point.lat, 7);
    JW_LIT(w, ",\"lng\":");
    jw_fixed(w, h->point.lng, 7);
    JW_LIT(w, "},\"distanceM\":");
    jw_fixed(w, h->dist_m, 1);
    JW_LIT(w, ",\"wheelchair\":");
    jw_str(w, it->wheelchair ? wc_names[it->wheelchair] : NULL);
    int open = places_open_state(c, (size_t)h->id, at);
    if (open == OH_OPEN)
        JW_LIT(w, ",\"openNow\":true}");
    else if (open == OH_CLOSED)
        JW_LIT(w, ",\"openNow\":false}");
    else
        JW_LIT(w, ",\"openNow\":null}");
}

void places_nearby_get(http_req_t *req)
{
    places_nearby_query_t q = {0};
    uint16_t cats[64];
    apierr_t err = {0};
    if (nearby_parse(req, &q, cats, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    geo_index_hit_t hits[NEARBY_MAX_LIMIT];
    size_t n = 0;
    bool more = false;
    /* Sets status and content type and empties the body; the items are
     * then written into req->res.body directly. */
    http_send_raw(req, 200, "application/json", NULL, 0);
    jsonw_t w = {.b = &req->res.body};
    places_read_lock();
    const places_catalog_t *c = places_catalog();
    int rc = places_nearby(c, &q, hits, &n, &more);
    if (rc == GEO_OK) {
        jw_room(&w, 64 + n * 256);
        JW_LIT(&w, "{\"items\":[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                JW_LIT(&w, ",");
            nearby_item(&w, c, &hits[i], q.filter.at_ms);
        }
    }
    places_read_unlock();
    if (rc != GEO_OK) {
        http_send_error(req, 500, "internal", "nearby query failed: %s", geo_strerror(rc));
        return;
    }
    if (more && n) {
        char cur[64];
        cursor_make(hits[n - 1].dist_m, hits[n - 1].id, cur, sizeof cur);
        JW_LIT(&w, "],\"nextCursor\":\"");
        jw_lit(&w, cur, strlen(cur)); /* base64url: nothing to escape */
        JW_LIT(&w, "\"}");
    } else {
        JW_LIT(&w, "],\"nextCursor\":null}");
    }
    if (w.failed)
        http_send_error(req, 503, "unavailable", "out of memory writing the response");
}

/* ---- GET /v1/places/search ------------------------------------------------------ */

void places_search_get(http_req_t *req)
{
    apierr_t err = {0};
    places_search_query_t q = {0};
    uint16_t cats[64];
    size_t ncats = 0;
    long limit;
    q.q = http_query(req, "q");
    const char *near = http_query(req, "near");
    if (!q.q || !*q.q || strlen(q.q) > 200) {
        gp_invalid(&err, "q", "is required (1 to 200 bytes)");
    } else if (validate_utf8(q.q, strlen(q.q), NULL) < 0) {
        gp_invalid(&err, "q", "must be UTF-8");
    } else if ((near && gp_point_text(near, "near", &q.near, &err) < 0) ||
               gp_int(req, "limit", 10, 1, 50, &limit, &err) < 0 ||
               gp_categories(req, cats, 64, &ncats, &err) < 0) {
        /* err set */
    }
    if (err.status) {
        http_send_apierr(req, &err);
        return;
    }
    q.have_near = near != NULL;
    q.limit = (size_t)limit;
    q.categories = ncats ? cats : NULL;
    q.ncategories = ncats;
    places_search_hit_t *hits = NULL;
    size_t n = 0;
    bool pg = store_kind(server_store()) == STORE_POSTGRES;
    if (places_search(loop_ctx_get()->db, pg, &q, &hits, &n, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        places_search_hit_t *h = &hits[i];
        json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:f}", "id", h->id, "name",
                              h->name ? json_string(h->name) : json_null(), "category",
                              h->category, "parentCategory", h->parent ? h->parent : "",
                              "location", location(h->point), "address",
                              h->address ? json_string(h->address) : json_null(), "score",
                              round(h->text_score * 1000) / 1000);
        if (h->dist_m >= 0)
            json_object_set_new(o, "distanceM", json_real(round_m(h->dist_m)));
        json_array_append_new(items, o);
    }
    places_search_free(hits, n);
    gp_send(req, json_pack("{s:o, s:n}", "items", items, "nextCursor"));
}

/* ---- GET /v1/places/:id ------------------------------------------------------------ */

static json_t *json_text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *parse_obj(const char *s)
{
    json_t *o = s ? json_loads(s, 0, NULL) : NULL;
    return o ? o : json_object();
}

static json_t *place_json(const store_res_t *r)
{
    char ts[40];
    clock_rfc3339(store_int(r, 0, 19), ts, sizeof ts);
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id",
        store_val(r, 0, 0), "osmType", store_val(r, 0, 1), "osmId", (json_int_t)store_int(r, 0, 2),
        "name", json_text_or_null(store_val(r, 0, 5)), "names", parse_obj(store_val(r, 0, 6)),
        "category", store_val(r, 0, 3), "parentCategory", store_val(r, 0, 4), "location",
        location((geo_point_t){store_real(r, 0, 7), store_real(r, 0, 8)}), "address",
        json_text_or_null(store_val(r, 0, 9)), "openingHours",
        json_text_or_null(store_val(r, 0, 10)), "website", json_text_or_null(store_val(r, 0, 11)),
        "phone", json_text_or_null(store_val(r, 0, 12)), "wheelchair",
        json_text_or_null(store_val(r, 0, 13)), "cuisine", json_text_or_null(store_val(r, 0, 14)),
        "fee", json_text_or_null(store_val(r, 0, 15)));
    json_object_set_new(o, "stars", store_val(r, 0, 16) ? json_real(store_real(r, 0, 16))
                                                        : json_null());
    json_object_set_new(o, "tags", parse_obj(store_val(r, 0, 17)));
    json_object_set_new(o, "timeZone", json_string(store_val(r, 0, 18)));
    json_object_set_new(o, "updatedAt", json_string(ts));
    json_object_set_new(o, "attribution", json_string("© OpenStreetMap contributors"));
    return o;
}

void places_get(http_req_t *req)
{
    const char *id = http_param(req, "id");
    if (!uuid_valid(id)) {
        http_send_error(req, 404, "not_found", "no such place");
        return;
    }
    apierr_t err = {0};
    store_res_t *r = NULL;
    store_arg_t arg = ARG_TEXT(id);
    if (store_query(loop_ctx_get()->db,
                    "SELECT id, osm_type, osm_id, category, parent_category, name, names, lat, "
                    "lng, address, opening_hours, website, phone, wheelchair, cuisine, fee, "
                    "stars, tags, tz, updated_at FROM places WHERE id = $1",
                    &arg, 1, &r, &err) < 0) {
        http_send_apierr(req, &err);
        return;
    }
    if (r->nrows == 0) {
        store_res_free(r);
        http_send_error(req, 404, "not_found", "no such place");
        return;
    }
    json_t *o = place_json(r);
    store_res_free(r);
    places_read_lock();
    const places_catalog_t *c = places_catalog();
    long i = places_find(c, id);
    int state = i >= 0 ? places_open_state(c, (size_t)i, clock_now_ms()) : OH_UNKNOWN;
    places_read_unlock();
    json_object_set_new(o, "openNow", open_json(state));
    gp_send(req, o);
}

const route_t places_routes[] = {
    {.method = "GET", .pattern = "/v1/places/nearby", .handler = places_nearby_get,
     .flags = ROUTE_PUBLIC, .summary = "Places near a point, nearest first"},
    {.method = "GET", .pattern = "/v1/places/search", .handler = places_search_get,
     .flags = ROUTE_PUBLIC, .summary = "Full-text place search"},
    {.method = "GET", .pattern = "/v1/places/:id", .handler = places_get, .flags = ROUTE_PUBLIC,
     .summary = "One place with every OpenStreetMap tag"},
};
const int places_routes_count = (int)(sizeof places_routes / sizeof places_routes[0]);
