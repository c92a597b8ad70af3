/* recommend/packing.c -- packing suggestions from rules (see recommend.h).
 *
 * Rules look at the trip's length (clothes scale with days, capped at a
 * week's worth: longer trips plan a laundry stop), the coldest and warmest
 * monthly means over its dates, its activity types (beach, hiking,
 * museum, restaurant, ...), dietary and accessibility needs, and the
 * destination country's currency. Every item says why it is there; an
 * item suggested by several rules is listed once with every reason.
 */
#include "recommend/recommend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(json_t *items, const char *name, const char *cat, int qty, const char *why)
{
    json_t *it = json_object_get(items, name);
    if (!it) {
        it = json_pack("{s:s, s:s, s:i, s:[]}", "name", name, "category", cat, "quantity", qty,
                       "reasons");
        json_object_set_new(items, name, it);
    } else if (json_integer_value(json_object_get(it, "quantity")) < qty) {
        json_object_set_new(it, "quantity", json_integer(qty));
    }
    json_array_append_new(json_object_get(it, "reasons"), json_string(why));
}

static bool has_type(const rec_trip_t *t, const char *const *words)
{
    for (int i = 0; i < t->n_activity_types; i++)
        for (int w = 0; words[w]; w++)
            if (t->activity_types[i] && strstr(t->activity_types[i], words[w]))
                return true;
    return false;
}

static void climate_items(const rec_trip_t *t, json_t *items)
{
    if (isnan(t->min_c) || isnan(t->max_c)) {
        add(items, "Light jacket", "clothing", 1, "the destination's climate is unknown");
        return;
    }
    char why[120];
    if (t->min_c < 5) {
        snprintf(why, sizeof why, "monthly mean as low as %.0f °C", t->min_c);
        add(items, "Warm coat", "clothing", 1, why);
        add(items, "Hat, scarf and gloves", "clothing", 1, why);
        add(items, "Thermal underlayer", "clothing", 2, why);
    } else if (t->min_c < 15) {
        snprintf(why, sizeof why, "monthly mean as low as %.0f °C", t->min_c);
        add(items, "Warm sweater or fleece", "clothing", 1, why);
        add(items, "Jacket", "clothing", 1, why);
    }
    if (t->max_c >= 20) {
        snprintf(why, sizeof why, "monthly mean up to %.0f °C", t->max_c);
        add(items, "Sunscreen", "toiletries", 1, why);
        add(items, "Sunglasses", "accessories", 1, why);
        add(items, "Sun hat", "accessories", 1, why);
    }
    if (t->max_c >= 25)
        add(items, "Reusable water bottle", "accessories", 1, "hot weather: drink often");
    add(items, "Compact umbrella", "accessories", 1,
        "rain is not in the shipped climate data: be ready for it");
}

static void activity_items(const rec_trip_t *t, json_t *items)
{
    static const char *const beach[] = {"beach", "swim", "water", "marina", NULL};
    static const char *const hike[] = {"hik", "peak", "nature", "trek", "park", NULL};
    static const char *const sight[] = {"museum", "gallery", "place_of_worship", "castle", NULL};
    static const char *const dine[] = {"restaurant", "dinner", "theatre", "casino", NULL};
    if (has_type(t, beach)) {
        add(items, "Swimwear", "clothing", 1, "beach or water activities are planned");
        add(items, "Beach towel", "accessories", 1, "beach or water activities are planned");
    }
    if (has_type(t, hike)) {
        add(items, "Walking or hiking shoes", "clothing", 1, "hikes or nature visits are planned");
        add(items, "Day backpack", "accessories", 1, "hikes or nature visits are planned");
    }
    if (has_type(t, sight))
        add(items, "Clothes covering shoulders and knees", "clothing", 1,
            "churches and some sights ask for it");
    if (has_type(t, dine))
        add(items, "One smart outfit", "clothing", 1,
            "restaurants, theatre or casino visits are planned");
}

static void needs_items(const rec_trip_t *t, json_t *items)
{
    for (int i = 0; i < t->n_diets; i++) {
        char name[120];
        snprintf(name, sizeof name, "Snacks that fit your diet (%s)", t->diets[i]);
        add(items, name, "food", 1, "dietary restriction: not every place will cater for it");
        snprintf(name, sizeof name, "Translated card explaining your diet (%s)", t->diets[i]);
        add(items, name, "documents", 1, "dietary restriction: show it when ordering");
    }
    if (t->wheelchair) {
        add(items, "Wheelchair repair kit and spare inner tube", "health", 1,
            "accessibility needs: wheelchair");
        add(items, "Charger for powered mobility aids (with adapter)", "electronics", 1,
            "accessibility needs: wheelchair");
    }
    if (t->wheelchair || t->other_access)
        add(items, "Medical or accessibility documents", "documents", 1,
            "accessibility needs: proof for assistance services");
}

static int by_category(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(json_string_value(json_object_get(x, "category")),
                   json_string_value(json_object_get(y, "category")));
    return c ? c : strcmp(json_string_value(json_object_get(x, "name")),
                          json_string_value(json_object_get(y, "name")));
}

json_t *rec_packing(const rec_trip_t *t)
{
    json_t *items = json_object();
    int days = t->days < 1 ? 1 : t->days;
    int clothes = days > 7 ? 7 : days;
    char why[120];
    snprintf(why, sizeof why, "%d day%s%s", days, days == 1 ? "" : "s",
             days > 7 ? " (a week's worth: plan laundry)" : "");
    add(items, "Underwear", "clothing", clothes + 1, why);
    add(items, "Socks", "clothing", clothes + 1, why);
    add(items, "T-shirts or tops", "clothing", clothes, why);
    add(items, "Trousers, shorts or skirts", "clothing", (clothes + 2) / 3, why);
    add(items, "Sleepwear", "clothing", 1, why);
    add(items, "Comfortable walking shoes", "clothing", 1, "every trip");
    add(items, "Toothbrush and toothpaste", "toiletries", 1, "every trip");
    add(items, "Phone charger", "electronics", 1, "every trip");
    add(items, "Personal medication", "health", 1, "every trip");
    add(items, "ID card or passport", "documents", 1, "every trip");
    if (days > 3)
        add(items, "Laundry bag", "accessories", 1, why);
    climate_items(t, items);
    activity_items(t, items);
    needs_items(t, items);
    if (t->international) {
        add(items, "Universal travel adapter", "electronics", 1,
            "plug types are not in the shipped country data: a universal adapter covers them");
        add(items, "Travel insurance documents", "documents", 1, "travelling abroad");
    }
    if (t->country && t->country->currencies[0]) {
        char name[120];
        snprintf(name, sizeof name, "Some cash in %s", t->country->currencies);
        snprintf(why, sizeof why, "%s uses %s", t->country->name, t->country->currencies);
        add(items, name, "money", 1, why);
    }
    size_t k = 0;
    json_t *arr[128];
    const char *key;
    json_t *v;
    json_object_foreach(items, key, v) if (k < 128) arr[k++] = v;
    qsort(arr, k, sizeof *arr, by_category);
    json_t *out = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append(out, arr[i]);
    json_decref(items);
    return out;
}
