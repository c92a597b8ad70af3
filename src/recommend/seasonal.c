/* recommend/seasonal.c -- seasonal advice from monthly mean temperatures
 * (see recommend.h). The only climate variable shipped is temperature, so
 * advice is about warmth: the season word, the most comfortable months
 * (mean 18-25 °C, else the ones closest to 21 °C), what suits the month
 * and what to bring. Precipitation is not known and never claimed.
 */
#include "recommend/recommend.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const month_names[] = {"January", "February", "March", "April", "May",
                                          "June", "July", "August", "September", "October",
                                          "November", "December"};

const char *rec_season_word(double c)
{
    return c < 5 ? "cold" : c < 12 ? "cool" : c < 18 ? "mild" : c < 25 ? "warm" : "hot";
}

json_t *rec_country_json(const char *iso2)
{
    const rec_country_t *k = rec_country(iso2);
    if (!k)
        return json_null();
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", k->iso2, "name",
                     k->name, "currencies", k->currencies, "currencySymbols", k->symbols,
                     "languages", k->languages, "callingCode", k->calling_code, "capital",
                     k->capital, "region", k->region, "subregion", k->subregion);
}

static json_t *best_months(const rec_city_t *c)
{
    json_t *out = json_array();
    for (int m = 0; m < 12; m++)
        if (c->month_c[m] >= 18 && c->month_c[m] <= 25)
            json_array_append_new(out, json_integer(m + 1));
    if (json_array_size(out))
        return out;
    double best = INFINITY;
    for (int m = 0; m < 12; m++)
        best = fmin(best, fabs(c->month_c[m] - 21));
    for (int m = 0; m < 12; m++)
        if (fabs(c->month_c[m] - 21) <= best + 1.5)
            json_array_append_new(out, json_integer(m + 1));
    return out;
}

static void advice(double t, json_t *todo, json_t *bring)
{
#define A(arr, s) json_array_append_new(arr, json_string(s))
    if (t < 5) {
        A(todo, "museums, galleries and other indoor sights");
        A(todo, "short walks in the middle of the day");
        A(bring, "warm coat, hat and gloves");
        A(bring, "thermal layers");
    } else if (t < 12) {
        A(todo, "city walks with indoor stops");
        A(todo, "museums and cafes");
        A(bring, "warm jacket and layers");
    } else if (t < 18) {
        A(todo, "walking tours and gardens");
        A(todo, "day trips");
        A(bring, "light jacket or sweater for the evenings");
    } else if (t < 25) {
        A(todo, "outdoor sights, parks and viewpoints");
        A(todo, "beaches and swimming where the sea is warm enough");
        A(bring, "light clothes and a layer for the evening");
        A(bring, "sunscreen");
    } else {
        A(todo, "early mornings and evenings outdoors; indoor sights at midday");
        A(todo, "beaches and water activities");
        A(bring, "light breathable clothes, hat and sunglasses");
        A(bring, "high-factor sunscreen and a water bottle");
    }
#undef A
}

json_t *rec_seasonal(double lat, double lng, int month)
{
    double km;
    const rec_city_t *c = rec_climate_nearest(lat, lng, &km);
    if (!c || month < 1 || month > 12)
        return NULL;
    double t = c->month_c[month - 1];
    json_t *monthly = json_array(), *todo = json_array(), *bring = json_array();
    for (int m = 0; m < 12; m++)
        json_array_append_new(monthly, json_real(c->month_c[m]));
    advice(t, todo, bring);
    bool far = km > REC_FAR_KM;
    char note[200];
    if (far)
        snprintf(note, sizeof note,
                 "the nearest city with climate data is %s, %.0f km away: treat these figures "
                 "as a rough guide",
                 c->name, km);
    else
        snprintf(note, sizeof note, "climate normals of %s, %.0f km away", c->name, km);
    return json_pack(
        "{s:{s:f, s:f}, s:i, s:s, s:{s:s, s:s, s:s, s:{s:f, s:f}, s:f, s:b}, "
        "s:{s:f, s:f, s:s, s:o, s:o, s:s}, s:o, s:o, s:o, s:s, s:{s:s, s:s}}",
        "location", "lat", lat, "lng", lng, "month", month, "monthName", month_names[month - 1],
        "nearestCity", "name", c->name, "country", c->country, "countryCode", c->iso2, "location",
        "lat", c->lat, "lng", c->lng, "distanceKm", round(km * 10) / 10, "far", far, "climate",
        "meanTempC", t, "yearMeanTempC", c->year_c, "season", rec_season_word(t), "monthlyMeanTempC",
        monthly, "bestMonths", best_months(c), "note", note, "suggestions", todo, "bring", bring,
        "destination", rec_country_json(c->iso2), "precipitation", "not in the shipped data",
        "sources", "climate",
        "Wikipedia, List of cities by average temperature (CC BY-SA 4.0); GeoNames (CC BY 4.0)",
        "countries", "mledoze/countries (ODbL 1.0)");
}
