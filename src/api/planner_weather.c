/*
 * planner_weather.c - weather in the itinerary generator: when WEATHER_URL
 * names an Open-Meteo-compatible provider, the job asks it (on the thread
 * pool, with the travel matrix) for the forecast at the first day's centre;
 * a planned date with 2 mm of precipitation or more, or a rain/snow/storm
 * weather code (>= 61), is wet. When some but not all planned days are wet,
 * outdoor places (parks, viewpoints, beaches, ...: score.c's outdoor flag)
 * may only be planned on the dry days; their reasons say so. Dates beyond
 * the forecast, or no provider, leave the plan as it was.
 */
#include "api/planner_int.h"

#include "recommend/recommend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WET_MM 2.0
#define WET_CODE 61

void plan_weather_fetch(plan_ctx_t *c)
{
    const char *url = getenv("WEATHER_URL");
    if (!url || !*url || c->n_lodg == 0)
        return;
    rec_weather_provider_t p = rec_weather_open_meteo(url);
    json_t *w = NULL;
    if (p.fetch(&p, c->lodg[0].lat, c->lodg[0].lng, &w, c->weather_err, sizeof c->weather_err) < 0)
        return;
    c->weather_used = true;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(w, "daily"), i, d) {
        const char *date = json_string_value(json_object_get(d, "date"));
        double mm = json_number_value(json_object_get(d, "precipitationMm"));
        double code = json_number_value(json_object_get(d, "weatherCode"));
        for (int k = 0; date && k < c->n_days; k++)
            if (strcmp(c->dates[k], date) == 0 && (mm >= WET_MM || code >= WET_CODE) && !c->wet[k]) {
                c->wet[k] = true;
                c->n_wet++;
            }
    }
    json_decref(w);
}

/* Keeps p's windows on dry days; a place without hours gets the whole of
 * every dry day. */
static void dry_only(plan_ctx_t *c, plan_cand_t *p)
{
    planner_window_t *w = malloc((size_t)(p->n_windows + c->n_days) * sizeof *w);
    int n = 0;
    if (p->oh) {
        for (int k = 0; k < p->n_windows; k++)
            if (!c->wet[p->windows[k].day])
                w[n++] = p->windows[k];
    } else {
        for (int d = 0; d < c->n_days; d++)
            if (!c->wet[d] && c->day.end - p->sc.duration_s >= c->day.start)
                w[n++] = (planner_window_t){d, c->day.start, c->day.end - p->sc.duration_s};
    }
    free(p->windows);
    p->windows = w;
    p->n_windows = n;
    if (n == 0) /* no dry day fits it: a window no day reaches (days start after 0:00) */
        w[n++] = (planner_window_t){0, 0, 0};
    if (p->sc.n_reasons < SCORE_MAX_REASONS)
        snprintf(p->sc.reasons[p->sc.n_reasons++], SCORE_REASON_LEN,
                 "outdoors: kept to a dry day of the forecast");
}

void plan_weather_apply(plan_ctx_t *c)
{
    if (!c->weather_used || c->n_wet == 0 || c->n_wet == c->n_days)
        return;
    for (int i = 0; i < c->n_cands; i++)
        if (c->cands[i].sc.outdoor && !c->cands[i].sc.meal)
            dry_only(c, &c->cands[i]);
}

json_t *plan_weather_json(const plan_ctx_t *c)
{
    json_t *wet = json_array();
    for (int d = 0; d < c->n_days; d++)
        if (c->wet[d])
            json_array_append_new(wet, json_string(c->dates[d]));
    return json_pack("{s:s, s:o, s:o}", "source", c->weather_used ? "forecast" : "none",
                     "wetDays", wet, "error",
                     c->weather_err[0] ? json_string(c->weather_err) : json_null());
}
