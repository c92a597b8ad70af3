/*
 * recommend.c - GET /v1/recommendations/seasonal and
 * GET /v1/recommendations/weather, and the route table of the
 * recommendation routes (packing suggestions live in recommend_packing.c).
 *
 * Seasonal answers come from the shipped climate normals and country
 * facts (recommend/recommend.h). Weather goes through a provider: the
 * Open-Meteo-compatible HTTP provider when WEATHER_URL is set (read once
 * from the environment), called on the thread pool; otherwise, or when
 * the provider fails (its error is reported in providerError), the
 * climatology of the nearest city with normals.
 */
#include "api/api.h"
#include "api/geo_params.h"
#include "api/recommend_int.h"

#include "core/clock.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "recommend/recommend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void recommend_seasonal(http_req_t *req)
{
    apierr_t err = {0};
    geo_point_t p;
    long month;
    char ts[32];
    validate_rfc3339_format(clock_now_ms(), ts, sizeof ts);
    long now_month = (ts[5] - '0') * 10 + (ts[6] - '0');
    if (gp_lat_lng(req, "lat", "lng", &p, &err) < 0 ||
        gp_int(req, "month", now_month, 1, 12, &month, &err) < 0)
        return gp_fail(req, &err);
    json_t *out = rec_seasonal(p.lat, p.lng, (int)month);
    if (!out) {
        http_send_error(req, 503, "no_climate_data", "no climate data is available");
        return;
    }
    gp_send(req, out);
}

typedef struct {
    rec_weather_provider_t prov;
    double lat, lng;
    json_t *out;
    int rc;
    char err[256];
} weather_call_t;

static void weather_work(void *arg)
{
    weather_call_t *w = arg;
    w->rc = w->prov.fetch(&w->prov, w->lat, w->lng, &w->out, w->err, sizeof w->err);
}

static const char *weather_url(void)
{
    static const char *url;
    static int done;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        const char *u = getenv("WEATHER_URL");
        url = u && *u ? u : NULL;
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return url;
}

void recommend_weather(http_req_t *req)
{
    apierr_t err = {0};
    geo_point_t p;
    if (gp_lat_lng(req, "lat", "lng", &p, &err) < 0)
        return gp_fail(req, &err);
    const char *url = weather_url();
    json_t *out = NULL;
    char perr[256] = "";
    if (url) {
        weather_call_t w = {.prov = rec_weather_open_meteo(url), .lat = p.lat, .lng = p.lng};
        if (loop_run_blocking(weather_work, &w) < 0)
            snprintf(perr, sizeof perr, "thread pool unavailable");
        else if (w.rc == 0)
            out = w.out;
        else
            snprintf(perr, sizeof perr, "%s", w.err);
    }
    if (!out) {
        out = rec_weather_climatology(p.lat, p.lng, clock_now_ms());
        if (!out) {
            http_send_error(req, 503, "weather_unavailable", "no forecast and no climate data");
            return;
        }
    }
    json_object_set_new(out, "location", json_pack("{s:f, s:f}", "lat", p.lat, "lng", p.lng));
    json_object_set_new(out, "provider", json_string(url ? "open-meteo" : "climatology"));
    json_object_set_new(out, "providerError", perr[0] ? json_string(perr) : json_null());
    gp_send(req, out);
}

const route_t recommend_routes[] = {
    {"GET", "/v1/recommendations/seasonal", recommend_seasonal, 0, 0,
     "Seasonal advice from climate normals and destination facts", 0},
    {"GET", "/v1/recommendations/weather", recommend_weather, 0, 0,
     "Weather forecast (provider) or climatology", 0},
    {"GET", "/v1/trips/:id/packing-list/suggestions", packing_suggestions_get, 0, 0,
     "Packing suggestions for a trip", 0},
    {"POST", "/v1/trips/:id/packing-list/suggestions", packing_suggestions_merge, 0, 4096,
     "Add the packing suggestions to the packing list", 0},
};
const int recommend_routes_count = (int)(sizeof recommend_routes / sizeof recommend_routes[0]);
