/* recommend/weather.c -- weather providers (see recommend.h).
 *
 * The HTTP provider speaks the Open-Meteo forecast API
 * (GET <url>?latitude=..&longitude=..&current=temperature_2m,weather_code
 * &daily=temperature_2m_max,temperature_2m_min,precipitation_sum,
 * weather_code&timezone=auto&forecast_days=7) with libcurl, blocking, so it
 * runs on the thread pool; answers over 1 MiB, non-200 statuses and bodies
 * that are not that shape are errors. The climatology provider answers
 * from the shipped monthly means and is what serves when no WEATHER_URL is
 * configured.
 */
#include "recommend/recommend.h"

#include "core/buf.h"
#include "core/validate.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_BODY (1024 * 1024)

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    buf_t *b = arg;
    if (b->len + sz * n > MAX_BODY)
        return 0;
    buf_append(b, p, sz * n);
    return sz * n;
}

static json_t *num_or_null(json_t *arr, size_t i)
{
    json_t *v = json_array_get(arr, i);
    return json_is_number(v) ? json_real(json_number_value(v)) : json_null();
}

json_t *rec_weather_parse_open_meteo(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *daily = json_object_get(j, "daily");
    json_t *time = json_object_get(daily, "time");
    if (!json_is_array(time)) {
        json_decref(j);
        return NULL;
    }
    json_t *days = json_array();
    json_t *tmax = json_object_get(daily, "temperature_2m_max");
    json_t *tmin = json_object_get(daily, "temperature_2m_min");
    json_t *pr = json_object_get(daily, "precipitation_sum");
    json_t *code = json_object_get(daily, "weather_code");
    for (size_t i = 0; i < json_array_size(time) && i < 16; i++) {
        const char *d = json_string_value(json_array_get(time, i));
        if (!d || validate_date_parse(d, strlen(d), NULL) != 0)
            continue;
        json_array_append_new(days, json_pack("{s:s, s:o, s:o, s:o, s:o}", "date", d, "minC",
                                              num_or_null(tmin, i), "maxC", num_or_null(tmax, i),
                                              "precipitationMm", num_or_null(pr, i),
                                              "weatherCode", num_or_null(code, i)));
    }
    json_t *cur = json_object_get(j, "current"), *out;
    out = json_pack("{s:s, s:o, s:o}", "source", "forecast", "current",
                    json_is_object(cur)
                        ? json_pack("{s:o, s:o}", "temperatureC",
                                    json_is_number(json_object_get(cur, "temperature_2m"))
                                        ? json_real(json_number_value(json_object_get(cur, "temperature_2m")))
                                        : json_null(),
                                    "weatherCode",
                                    json_is_number(json_object_get(cur, "weather_code"))
                                        ? json_real(json_number_value(json_object_get(cur, "weather_code")))
                                        : json_null())
                        : json_null(),
                    "daily", days);
    json_decref(j);
    return out;
}

static int http_fetch(const rec_weather_provider_t *p, double lat, double lng, json_t **out,
                      char *err, size_t errlen)
{
    char url[1024];
    snprintf(url, sizeof url,
             "%s%slatitude=%.5f&longitude=%.5f&current=temperature_2m,weather_code&daily="
             "temperature_2m_max,temperature_2m_min,precipitation_sum,weather_code&timezone="
             "auto&forecast_days=7",
             p->base_url, strchr(p->base_url, '?') ? "&" : "?", lat, lng);
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "curl_easy_init failed");
        return -1;
    }
    buf_t b = BUF_INIT;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, p->timeout_ms > 0 ? p->timeout_ms : 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "travloc/" TRAVLOC_VERSION);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    int ret = -1;
    if (rc != CURLE_OK)
        snprintf(err, errlen, "weather provider unreachable: %s", curl_easy_strerror(rc));
    else if (status != 200)
        snprintf(err, errlen, "weather provider answered %ld", status);
    else if (!(*out = rec_weather_parse_open_meteo(b.data ? b.data : "", b.len)))
        snprintf(err, errlen, "weather provider sent something that is not a forecast");
    else
        ret = 0;
    buf_free(&b);
    return ret;
}

rec_weather_provider_t rec_weather_open_meteo(const char *url)
{
    return (rec_weather_provider_t){.name = "open-meteo", .fetch = http_fetch, .base_url = url,
                                    .timeout_ms = 5000};
}

json_t *rec_weather_climatology(double lat, double lng, int64_t today_ms)
{
    double km;
    const rec_city_t *c = rec_climate_nearest(lat, lng, &km);
    if (!c)
        return NULL;
    char ts[32];
    validate_rfc3339_format(today_ms, ts, sizeof ts);
    int month = (ts[5] - '0') * 10 + (ts[6] - '0');
    double t = c->month_c[month - 1];
    return json_pack("{s:s, s:n, s:[], s:{s:f, s:s, s:i, s:s, s:f, s:b}}", "source",
                     "climatology", "current", "daily", "climatology", "meanTempC", t, "season",
                     rec_season_word(t), "month", month, "city", c->name, "distanceKm",
                     round(km * 10) / 10, "far", km > REC_FAR_KM);
}
