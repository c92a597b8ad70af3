/*
 * events.c - GET /v1/events?near=lat,lng&from=&to=&radiusKm=&limit=&cursor=
 * local events imported with `travloc import-events` (events_import.c).
 *
 * An event matches when it has a position within radiusKm (default 25,
 * at most 200) of `near` and overlaps [from, to) (RFC 3339 or YYYY-MM-DD;
 * default from now for 30 days; at most 366 days). Order: start time,
 * then id; the cursor is "<startMs>_<id>" of the last item. The database
 * narrows by bounding box and time, this file by exact distance, reading
 * in batches until a page is full.
 */
#include "api/api.h"
#include "api/geo_params.h"
#include "api/recommend_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "store/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 200
#define DAY_MS 86400000LL

/* from/to: RFC 3339, or a date (its midnight UTC). */
static int time_param(http_req_t *req, const char *name, int64_t def, int64_t *out, apierr_t *err)
{
    const char *v = http_query(req, name);
    if (!v) {
        *out = def;
        return 0;
    }
    validate_date_t d;
    if (strlen(v) == 10 && validate_date_parse(v, 10, &d) == 0) {
        *out = validate_days_from_civil(d.year, d.month, d.day) * DAY_MS;
        return 0;
    }
    if (validate_rfc3339_parse(v, strlen(v), out) != 0)
        return gp_invalid(err, name, "must be an RFC 3339 time or a date");
    return 0;
}

static int cursor_param(http_req_t *req, int64_t *ms, char *id, apierr_t *err)
{
    const char *c = http_query(req, "cursor");
    *ms = INT64_MIN;
    id[0] = 0;
    if (!c)
        return 0;
    char *end;
    long long v = strtoll(c, &end, 10);
    if (end == c || *end != '_' || strlen(end + 1) != 36 || validate_uuid_parse(end + 1, 36, NULL) != 0)
        return gp_invalid(err, "cursor", "not a cursor from this list");
    *ms = v;
    snprintf(id, 37, "%s", end + 1);
    return 0;
}

static json_t *event_json(const store_res_t *r, int i, double km)
{
    char s[32], e[32];
    validate_rfc3339_format(store_int(r, i, 9), s, sizeof s);
    validate_rfc3339_format(store_int(r, i, 10), e, sizeof e);
    json_t *cats = json_loads(store_val(r, i, 12) ? store_val(r, i, 12) : "[]", 0, NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:f, s:f}, s:f, s:s, s:s, s:b, s:o}",
                     "id", store_val(r, i, 0), "source", store_val(r, i, 1), "title",
                     store_val(r, i, 3), "description", store_val(r, i, 4), "location",
                     store_val(r, i, 5), "url",
                     store_val(r, i, 6) ? json_string(store_val(r, i, 6)) : json_null(), "position",
                     "lat", store_real(r, i, 7), "lng", store_real(r, i, 8), "distanceKm",
                     round(km * 100) / 100, "startsAt", s, "endsAt", e, "allDay",
                     store_bool(r, i, 11), "categories", cats ? cats : json_array());
}

void events_near_get(http_req_t *req)
{
    apierr_t err = {0};
    geo_point_t c;
    double radius;
    long limit;
    int64_t now = clock_now_ms(), from, to, cms;
    char cid[40];
    if (gp_point_text(http_query(req, "near"), "near", &c, &err) < 0 ||
        gp_double(req, "radiusKm", false, 25, 0.1, 200, &radius, &err) < 0 ||
        gp_int(req, "limit", 50, 1, 200, &limit, &err) < 0 ||
        time_param(req, "from", now, &from, &err) < 0 ||
        time_param(req, "to", from + 30 * DAY_MS, &to, &err) < 0 ||
        cursor_param(req, &cms, cid, &err) < 0)
        return gp_fail(req, &err);
    if (to <= from || to - from > 366 * DAY_MS) {
        gp_invalid(&err, "to", "must be after from, at most 366 days later");
        return gp_fail(req, &err);
    }
    double dlat = radius / 111.32, dlng = radius / (111.32 * fmax(0.01, cos(c.lat * M_PI / 180)));
    json_t *items = json_array();
    store_conn_t *db = loop_ctx_get()->db;
    bool more = false;
    for (;;) {
        store_arg_t a[] = {ARG_REAL(c.lat - dlat), ARG_REAL(c.lat + dlat), ARG_REAL(c.lng - dlng),
                           ARG_REAL(c.lng + dlng), ARG_INT(from), ARG_INT(to), ARG_INT(cms),
                           ARG_TEXT(cid)};
        store_res_t *r = NULL;
        if (store_query(db,
                        "SELECT id, source, uid, title, description, location, url, lat, lng, "
                        "starts_at, ends_at, all_day, categories FROM events WHERE lat >= $1 AND "
                        "lat <= $2 AND lng >= $3 AND lng <= $4 AND starts_at < $6 AND ends_at > $5 "
                        "AND (starts_at > $7 OR (starts_at = $7 AND id > $8)) ORDER BY starts_at, "
                        "id LIMIT 200",
                        a, 8, &r, &err) < 0) {
            json_decref(items);
            return gp_fail(req, &err);
        }
        int n = r->nrows;
        for (int i = 0; i < n && !more; i++) {
            double km = geo_distance_m(c, (geo_point_t){store_real(r, i, 7), store_real(r, i, 8)}) / 1000;
            cms = store_int(r, i, 9);
            snprintf(cid, sizeof cid, "%s", store_val(r, i, 0));
            if (km > radius)
                continue;
            if ((long)json_array_size(items) == limit)
                more = true;
            else
                json_array_append_new(items, event_json(r, i, km));
        }
        store_res_free(r);
        if (more || n < BATCH)
            break;
    }
    json_t *next = json_null();
    if (more) {
        json_t *last = json_array_get(items, json_array_size(items) - 1);
        int64_t lms = 0;
        const char *st = json_string_value(json_object_get(last, "startsAt"));
        validate_rfc3339_parse(st, strlen(st), &lms);
        char cur[80];
        snprintf(cur, sizeof cur, "%lld_%s", (long long)lms,
                 json_string_value(json_object_get(last, "id")));
        next = json_string(cur);
    }
    gp_send(req, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

const route_t events_routes[] = {
    {"GET", "/v1/events", events_near_get, 0, 0, "Local events near a point in a time window", 0},
};
const int events_routes_count = (int)(sizeof events_routes / sizeof events_routes[0]);
