/*
 * recommend_packing.c - GET /v1/trips/:id/packing-list/suggestions (any
 * member) and POST .../suggestions (editor: merge them into the list).
 *
 * Inputs of the rules (recommend/packing.c): the trip's length, the
 * coldest and warmest monthly means over its months at its destinations
 * (nearest city with normals), its activities' types, the requesting
 * user's dietary and accessibility needs (saved preferences, overridden by
 * the trip's), and the destination country's currency. Each suggestion
 * says whether the list already has an item of that name (case-insensitive).
 *
 * The merge appends the missing items to the packing list (positions
 * after the last item, quantity as suggested, category as suggested),
 * bumps the list version and logs each new item for sync, in one
 * transaction under the trip lock; If-Match is checked against the list
 * version like PUT /packing-list. It answers {added: [{id, name, category,
 * quantity}], version} with the list's new version as ETag.
 */
#include "api/api.h"
#include "api/recommend_int.h"
#include "api/sync_log.h"
#include "api/trips_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/uuid.h"
#include "core/validate.h"
#include "planner/score.h"
#include "recommend/recommend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TYPES 32
#define LIST_MAX 500

typedef struct {
    json_t *body;       /* the suggestions answer */
    json_t *items;      /* borrowed from body */
} sugg_t;

/* Month numbers (bit m-1) covered by [start, end]. */
static unsigned months_of(const char *start, const char *end, int *days)
{
    validate_date_t s, e;
    validate_date_parse(start, 10, &s);
    validate_date_parse(end, 10, &e);
    int64_t d0 = validate_days_from_civil(s.year, s.month, s.day);
    int64_t d1 = validate_days_from_civil(e.year, e.month, e.day);
    *days = (int)(d1 - d0 + 1);
    unsigned bits = 0;
    for (int64_t d = d0; d <= d1 && d - d0 < 400; d++) {
        char ts[32];
        validate_rfc3339_format(d * 86400000LL, ts, sizeof ts);
        bits |= 1u << ((ts[5] - '0') * 10 + (ts[6] - '0') - 1);
    }
    return bits;
}

static int climate_range(store_conn_t *db, const char *tid, unsigned months, rec_trip_t *t,
                         json_t **climate, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT lat, lng FROM destinations WHERE trip_id = $1 AND deleted_at IS NULL "
                    "AND lat IS NOT NULL AND lng IS NOT NULL ORDER BY arrival, created_at, id",
                    a, 1, &r, err) < 0)
        return -1;
    t->min_c = NAN;
    t->max_c = NAN;
    json_t *cities = json_array();
    for (int i = 0; i < r->nrows && i < 20; i++) {
        double km;
        const rec_city_t *c = rec_climate_nearest(store_real(r, i, 0), store_real(r, i, 1), &km);
        if (!c)
            continue;
        if (!t->country)
            t->country = rec_country(c->iso2);
        for (int m = 0; m < 12; m++)
            if (months & (1u << m)) {
                t->min_c = isnan(t->min_c) ? c->month_c[m] : fmin(t->min_c, c->month_c[m]);
                t->max_c = isnan(t->max_c) ? c->month_c[m] : fmax(t->max_c, c->month_c[m]);
            }
        json_array_append_new(cities, json_pack("{s:s, s:s, s:f, s:b}", "city", c->name,
                                                "countryCode", c->iso2, "distanceKm",
                                                round(km * 10) / 10, "far", km > REC_FAR_KM));
    }
    store_res_free(r);
    json_t *months_arr = json_array();
    for (int m = 0; m < 12; m++)
        if (months & (1u << m))
            json_array_append_new(months_arr, json_integer(m + 1));
    *climate = json_pack("{s:o, s:o, s:o, s:o}", "months", months_arr, "nearestCities", cities,
                         "minMeanTempC", isnan(t->min_c) ? json_null() : json_real(t->min_c),
                         "maxMeanTempC", isnan(t->max_c) ? json_null() : json_real(t->max_c));
    return 0;
}

/* Needs of the requesting user: saved preferences, then the trip's. */
static int needs(store_conn_t *db, const char *uid, const store_res_t *trip, score_prefs_t *p,
                 bool *other_access, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT preferences FROM users WHERE id = $1", a, 1, &r, err) < 0)
        return -1;
    json_t *doc = r->nrows ? acc_json_col(r, 0, 0, false) : json_object();
    store_res_free(r);
    json_t *tp = acc_json_col(trip, 0, TC_PREFS, false);
    if (json_is_object(doc) && json_is_object(tp))
        json_object_update(doc, tp);
    score_prefs_parse(json_is_object(doc) ? doc : NULL, p);
    *other_access = json_array_size(json_object_get(doc, "accessibilityNeeds")) > 0 && !p->wheelchair;
    json_decref(tp);
    json_decref(doc);
    return 0;
}

static int activity_types(store_conn_t *db, const char *tid, store_res_t **r, const char **types,
                          int *n, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(tid)};
    if (store_query(db,
                    "SELECT DISTINCT type FROM activities WHERE trip_id = $1 AND deleted_at IS "
                    "NULL AND status <> 'CANCELLED' ORDER BY type",
                    a, 1, r, err) < 0)
        return -1;
    *n = 0;
    for (int i = 0; i < (*r)->nrows && *n < MAX_TYPES; i++)
        types[(*n)++] = store_val(*r, i, 0);
    return 0;
}

/* Marks suggestions whose name the packing list already has. */
static int mark_packed(store_conn_t *db, const char *tid, json_t *items, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT name FROM packing_items WHERE trip_id = $1 AND deleted_at IS NULL",
                    a, 1, &r, err) < 0)
        return -1;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        bool have = false;
        for (int k = 0; k < r->nrows && !have; k++)
            have = strcasecmp(store_val(r, k, 0), json_string_value(json_object_get(it, "name"))) == 0;
        json_object_set_new(it, "inList", json_boolean(have));
    }
    store_res_free(r);
    return 0;
}

/* Builds the suggestions for a trip row the caller loaded. */
static int suggest(store_conn_t *db, const char *uid, const store_res_t *trip, sugg_t *s,
                   apierr_t *err)
{
    const char *tid = store_val(trip, 0, TC_ID);
    rec_trip_t t = {0};
    unsigned months = months_of(store_val(trip, 0, TC_START), store_val(trip, 0, TC_END), &t.days);
    json_t *climate = NULL;
    score_prefs_t p;
    const char *types[MAX_TYPES], *diets[SCORE_MAX_DIETS];
    store_res_t *tr = NULL;
    if (climate_range(db, tid, months, &t, &climate, err) < 0)
        return -1;
    if (needs(db, uid, trip, &p, &t.other_access, err) < 0 ||
        activity_types(db, tid, &tr, types, &t.n_activity_types, err) < 0) {
        json_decref(climate);
        return -1;
    }
    for (int i = 0; i < p.n_diets; i++)
        diets[i] = p.diets[i];
    t.activity_types = types;
    t.diets = diets;
    t.n_diets = p.n_diets;
    t.wheelchair = p.wheelchair;
    t.international = true; /* the traveller's home country is not known */
    s->items = rec_packing(&t);
    store_res_free(tr);
    s->body = json_pack("{s:s, s:i, s:o, s:o, s:O}", "tripId", tid, "days", t.days, "climate",
                        climate, "destination", t.country ? rec_country_json(t.country->iso2) : json_null(),
                        "items", s->items);
    json_decref(s->items);
    if (mark_packed(db, tid, s->items, err) < 0) {
        json_decref(s->body);
        s->body = NULL;
        return -1;
    }
    return 0;
}

void packing_suggestions_get(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *trip = NULL;
    sugg_t s = {0};
    if (trip_load(db, tid, req->user_id, ROLE_VIEWER, &trip, NULL, &err) < 0 ||
        suggest(db, req->user_id, trip, &s, &err) < 0) {
        store_res_free(trip);
        ACC_FAIL(req, &err);
    }
    store_res_free(trip);
    http_send_json(req, 200, s.body);
}

/* Inserts the suggestions not in the list; their ids go to `added`. */
static int merge_items(store_conn_t *db, const char *tid, json_t *items, json_t *added,
                       apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(tid)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "SELECT COALESCE(MAX(position), -1), COUNT(*) FROM packing_items WHERE "
                    "trip_id = $1 AND deleted_at IS NULL",
                    a, 1, &r, err) < 0)
        return -1;
    int64_t pos = store_int(r, 0, 0) + 1, count = store_int(r, 0, 1);
    store_res_free(r);
    int64_t now = clock_now_ms();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        if (json_is_true(json_object_get(it, "inList")))
            continue;
        if (count >= LIST_MAX)
            return apierr_set(err, 409, "list_full", "the packing list holds at most %d items", LIST_MAX);
        char id[UUID_STR_LEN];
        uuid_v7(id);
        store_arg_t v[] = {ARG_TEXT(id), ARG_TEXT(tid),
                           ARG_TEXT(json_string_value(json_object_get(it, "name"))),
                           ARG_TEXT(json_string_value(json_object_get(it, "category"))),
                           ARG_INT(json_integer_value(json_object_get(it, "quantity"))),
                           ARG_INT(pos++), ARG_INT(now)};
        if (store_exec(db,
                       "INSERT INTO packing_items (id, trip_id, name, category, quantity, packed, "
                       "position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7)",
                       v, 7, err) < 0)
            return -1;
        count++;
        json_array_append_new(added, json_pack("{s:s, s:s, s:s, s:I}", "id", id, "name",
                                               json_string_value(json_object_get(it, "name")),
                                               "category",
                                               json_string_value(json_object_get(it, "category")),
                                               "quantity",
                                               json_integer_value(json_object_get(it, "quantity"))));
    }
    return 0;
}

static int log_added(store_conn_t *db, const char *tid, json_t *added, apierr_t *err)
{
    size_t i;
    json_t *it;
    json_array_foreach(added, i, it) {
        json_t *d = json_pack("{s:O, s:s, s:O, s:O, s:O, s:b, s:n, s:i}", "id",
                              json_object_get(it, "id"), "tripId", tid, "name",
                              json_object_get(it, "name"), "category", json_object_get(it, "category"),
                              "quantity", json_object_get(it, "quantity"), "packed", false,
                              "assigneeId", "version", 1);
        int rc = changes_log(db, tid, NULL, "packingItem", json_string_value(json_object_get(it, "id")),
                             "create", 1, d, err);
        json_decref(d);
        if (rc < 0)
            return -1;
    }
    return 0;
}

void packing_suggestions_merge(http_req_t *req)
{
    const char *tid;
    if (trip_path_id(req, "id", &tid) < 0)
        return;
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_res_t *trip = NULL, *ver = NULL;
    sugg_t s = {0};
    json_t *added = json_array();
    int64_t v = 0;
    if (store_begin(db, true, &err) < 0)
        goto fail_nt;
    store_arg_t a[] = {ARG_TEXT(tid)};
    if (trip_lock(db, tid, &err) < 0 || trip_load(db, tid, req->user_id, ROLE_EDITOR, &trip, NULL, &err) < 0 ||
        store_query(db, "SELECT packing_version FROM trips WHERE id = $1", a, 1, &ver, &err) < 0)
        goto fail;
    if (trip_if_match(req, store_int(ver, 0, 0)) < 0) {
        apierr_set(&err, 412, "precondition_failed", "the packing list changed; read it again");
        goto fail;
    }
    if (suggest(db, req->user_id, trip, &s, &err) < 0 || merge_items(db, tid, s.items, added, &err) < 0)
        goto fail;
    if (json_array_size(added) &&
        (trip_bump_list(db, tid, "packing_version", &v, &err) < 0 || log_added(db, tid, added, &err) < 0))
        goto fail;
    if (!json_array_size(added))
        v = store_int(ver, 0, 0);
    if (sync_commit(db, &err) < 0)
        goto fail;
    http_send_json(req, 200, json_pack("{s:s, s:o, s:I}", "tripId", tid, "added", added,
                                       "version", (json_int_t)v));
    added = NULL;
    acc_etag(req, v);
    goto done;
fail:
    sync_rollback(db);
fail_nt:
    trip_fail(req, &err);
done:
    json_decref(added);
    json_decref(s.body);
    store_res_free(trip);
    store_res_free(ver);
}
