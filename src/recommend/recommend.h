/* recommend/recommend.h -- shipped climate normals and country facts, and
 * the pure rules built on them: seasonal advice, packing suggestions, and
 * the weather-provider interface.
 *
 * Data: data/climate/city_monthly_mean_temperature.csv (475 cities, monthly
 * mean temperature, CC BY-SA / CC BY) and data/countries/countries.tsv
 * (250 countries: currencies, languages, calling code; ODbL), both embedded
 * in the binary and parsed once on first use (pthread_once); the tables
 * live until exit and every pointer handed out is valid for the life of
 * the process. Everything here is thread-safe; nothing does I/O except the
 * HTTP weather provider (weather.c), which blocks and must run on the
 * thread pool.
 */
#ifndef TRAVLOC_RECOMMEND_H
#define TRAVLOC_RECOMMEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_FAR_KM 300.0

typedef struct rec_city {
    const char *name, *country, *iso2, *zone;
    double lat, lng;
    double month_c[12];   /* mean temperature, January first */
    double year_c;
} rec_city_t;

/* Nearest city with climate normals; *dist_km gets the great-circle
 * distance. NULL when the table is empty. */
const rec_city_t *rec_climate_nearest(double lat, double lng, double *dist_km);
size_t rec_climate_count(void);

typedef struct rec_country {
    const char *iso2, *name, *currencies, *symbols, *languages, *calling_code, *capital,
        *region, *subregion;
} rec_country_t;

/* By ISO 3166-1 alpha-2 code (upper case); NULL when unknown. */
const rec_country_t *rec_country(const char *iso2);

/* ---- pure rules (seasonal.c) -------------------------------------------------- */

/* "cold" (< 5 °C), "cool" (< 12), "mild" (< 18), "warm" (< 25), "hot". */
const char *rec_season_word(double mean_c);

/* The seasonal answer for month (1..12) at (lat, lng): nearest city with
 * distance and `far`, the month's and the year's means, the season word,
 * the most comfortable months, what to do and what to bring, and the
 * country's facts. New reference; NULL when there is no climate data. */
json_t *rec_seasonal(double lat, double lng, int month);

/* Country facts as JSON (new reference), or JSON null. */
json_t *rec_country_json(const char *iso2);

/* ---- packing rules (packing.c) ------------------------------------------------ */

typedef struct rec_trip {
    int days;                 /* trip length, >= 1 */
    double min_c, max_c;      /* coldest / warmest monthly mean over the dates;
                                 NAN when unknown */
    const char *const *activity_types; /* activity `type` values on the trip */
    int n_activity_types;
    const char *const *diets; /* dietary restrictions */
    int n_diets;
    bool wheelchair, other_access; /* accessibility needs */
    const rec_country_t *country;  /* destination, or NULL */
    bool international;       /* leaves the traveller's own country (unknown: true) */
} rec_trip_t;

/* Suggested items: [{name, category, quantity, reasons: [..]}], sorted by
 * category then name. New reference. */
json_t *rec_packing(const rec_trip_t *t);

/* ---- weather (weather.c) ------------------------------------------------------- */

/* A weather provider: fills `out` (new reference) with
 * {source, current?{temperatureC, weatherCode}, daily[{date, minC, maxC,
 * precipitationMm, weatherCode}]} for (lat, lng). Returns 0, or -1 with a
 * sentence in err. May block: call it on the thread pool. */
typedef struct rec_weather_provider {
    const char *name;
    int (*fetch)(const struct rec_weather_provider *p, double lat, double lng, json_t **out,
                 char *err, size_t errlen);
    const char *base_url;     /* HTTP provider: the forecast endpoint */
    long timeout_ms;
} rec_weather_provider_t;

/* The Open-Meteo-compatible HTTP provider for `url` (the /v1/forecast
 * endpoint of any compatible server). */
rec_weather_provider_t rec_weather_open_meteo(const char *url);
/* Parses an Open-Meteo forecast answer into the shape above (new
 * reference), or NULL when it is not one. Pure. */
json_t *rec_weather_parse_open_meteo(const char *body, size_t len);
/* Climatology instead of a forecast, from the normals: month means around
 * `today_ms`. New reference; NULL without data. */
json_t *rec_weather_climatology(double lat, double lng, int64_t today_ms);

#endif /* TRAVLOC_RECOMMEND_H */
