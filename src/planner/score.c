/* planner/score.c -- preference scoring of places (see score.h).
 *
 * Two const tables drive everything: `kinds` (per visitable category: base
 * worth, visit minutes, default entry cost, outdoor flag) and `topics`
 * (interest keywords -> categories). Scores are relative: a plain named
 * artwork is worth about 1, a famous museum a traveller loves about 30.
 */
#include "planner/score.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kind {
    const char *cat;
    double base;       /* worth before preferences */
    int minutes;       /* visit length */
    int64_t fee_cost;  /* euro cents when fee=yes (or assumed) */
    bool paid;         /* usually charges entry */
    bool outdoor;
} kind_t;

static const kind_t kinds[] = {
    {"museum", 3.0, 90, 1200, true, false},      {"gallery", 2.5, 60, 800, false, false},
    {"viewpoint", 2.0, 20, 0, false, true},      {"attraction", 2.5, 45, 0, false, false},
    {"artwork", 0.8, 10, 0, false, true},        {"zoo", 3.0, 150, 2000, true, true},
    {"aquarium", 3.0, 120, 2000, true, false},   {"theme_park", 3.0, 240, 4000, true, true},
    {"monument", 1.5, 15, 0, false, true},       {"memorial", 1.0, 10, 0, false, true},
    {"castle", 3.0, 60, 1000, true, false},      {"ruins", 2.0, 30, 0, false, true},
    {"archaeological_site", 2.0, 45, 500, false, true},
    {"historic", 1.2, 20, 0, false, true},       {"place_of_worship", 1.5, 30, 0, false, false},
    {"fountain", 0.8, 10, 0, false, true},       {"restaurant", 1.0, 75, 0, false, false},
    {"cafe", 0.8, 30, 0, false, false},          {"ice_cream", 0.5, 15, 400, true, false},
    {"park", 1.8, 45, 0, false, true},           {"garden", 2.0, 45, 0, false, true},
    {"beach", 2.0, 90, 0, false, true},          {"nature_reserve", 2.0, 90, 0, false, true},
    {"peak", 2.0, 60, 0, false, true},           {"picnic_site", 0.8, 30, 0, false, true},
    {"marina", 1.5, 30, 0, false, true},         {"water_park", 2.0, 180, 2500, true, true},
    {"theatre", 1.5, 120, 3000, true, false},    {"casino", 1.5, 60, 1800, true, false},
    {"arts_centre", 1.5, 60, 0, false, false},   {"mall", 1.0, 60, 0, false, false},
    {"marketplace", 1.5, 45, 0, false, false},   {"department_store", 0.8, 45, 0, false, false},
    {"stadium", 1.0, 30, 0, false, false},
};

typedef struct topic {
    const char *word;          /* matched against the interest, singular */
    const char *cats[8];
} topic_t;

static const topic_t topics[] = {
    {"museum", {"museum", "gallery"}},
    {"art", {"gallery", "artwork", "arts_centre", "museum"}},
    {"history", {"castle", "ruins", "archaeological_site", "historic", "monument", "memorial", "museum"}},
    {"historical", {"castle", "ruins", "archaeological_site", "historic", "monument", "memorial", "museum"}},
    {"heritage", {"castle", "ruins", "archaeological_site", "historic", "monument", "place_of_worship"}},
    {"culture", {"museum", "gallery", "theatre", "arts_centre", "historic", "place_of_worship"}},
    {"architecture", {"castle", "place_of_worship", "monument", "attraction", "historic"}},
    {"religion", {"place_of_worship"}},
    {"church", {"place_of_worship"}},
    {"nature", {"park", "garden", "nature_reserve", "peak", "viewpoint", "beach"}},
    {"outdoor", {"park", "garden", "nature_reserve", "peak", "viewpoint", "beach"}},
    {"hiking", {"peak", "nature_reserve", "viewpoint"}},
    {"park", {"park", "garden"}},
    {"garden", {"garden", "park"}},
    {"beach", {"beach"}},
    {"sea", {"beach", "marina", "aquarium"}},
    {"food", {"restaurant", "cafe", "marketplace", "ice_cream"}},
    {"gastronomy", {"restaurant", "cafe", "marketplace"}},
    {"restaurant", {"restaurant"}},
    {"coffee", {"cafe"}},
    {"nightlife", {"casino", "theatre", "arts_centre"}},
    {"entertainment", {"theatre", "casino", "arts_centre", "theme_park"}},
    {"shopping", {"mall", "marketplace", "department_store"}},
    {"view", {"viewpoint", "peak"}},
    {"photography", {"viewpoint", "artwork", "monument"}},
    {"family", {"zoo", "aquarium", "theme_park", "park", "water_park"}},
    {"kid", {"zoo", "aquarium", "theme_park", "park", "water_park"}},
    {"animal", {"zoo", "aquarium", "nature_reserve"}},
    {"sport", {"stadium", "marina"}},
    {"sightseeing", {"attraction", "monument", "viewpoint", "castle"}},
    {"landmark", {"attraction", "monument", "castle"}},
};

static const kind_t *kind_of(const char *cat)
{
    for (size_t i = 0; cat && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].cat, cat) == 0)
            return &kinds[i];
    return NULL;
}

bool score_category_visitable(const char *category)
{
    return kind_of(category) != NULL;
}

/* Lower-case ASCII copy without a trailing plural "s" / "es". */
static void norm_word(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; in && *in && n + 1 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        out[n++] = (char)(c == ' ' || c == '-' ? '_' : tolower(c));
    }
    out[n] = 0;
    if (n > 3 && out[n - 1] == 's' && out[n - 2] != 's')
        out[--n] = 0;
}

static int pick(const json_t *doc, const char *key, const char *const *vals, int def)
{
    const char *s = json_string_value(json_object_get(doc, key));
    for (int i = 0; s && vals[i]; i++)
        if (strcmp(s, vals[i]) == 0)
            return i;
    return def;
}

static void add_interests(score_prefs_t *p, const json_t *arr)
{
    size_t i;
    const json_t *it;
    json_array_foreach(arr, i, it) {
        const char *name = json_string_value(json_object_get(it, "name"));
        json_int_t st = json_integer_value(json_object_get(it, "strength"));
        if (!name || st < 1 || st > 5 || p->n_interests >= SCORE_MAX_INTERESTS)
            continue;
        score_interest_t *x = &p->interests[p->n_interests++];
        snprintf(x->name, sizeof x->name, "%s", name);
        x->strength = (int)st;
    }
}

void score_prefs_parse(const json_t *doc, score_prefs_t *p)
{
    static const char *const paces[] = {"relaxed", "moderate", "fast", NULL};
    static const char *const levels[] = {"low", "moderate", "high", NULL};
    static const char *const budgets[] = {"budget", "moderate", "premium", "luxury", NULL};
    static const char *const tods[] = {"morning", "afternoon", "evening", "night", NULL};
    memset(p, 0, sizeof *p);
    p->pace = pick(doc, "pace", paces, SCORE_PACE_MODERATE);
    p->activity = pick(doc, "activityLevel", levels, SCORE_ACTIVITY_MODERATE);
    p->budget = pick(doc, "budgetPreference", budgets, SCORE_BUDGET_MODERATE);
    const json_t *in = json_object_get(doc, "interests");
    add_interests(p, json_object_get(in, "primary"));
    add_interests(p, json_object_get(in, "secondary"));
    add_interests(p, json_object_get(in, "custom"));
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(doc, "timeOfDay"), i, v) {
        for (int k = 0; tods[k] && json_is_string(v); k++)
            if (strcmp(json_string_value(v), tods[k]) == 0)
                p->time_of_day |= 1u << k;
    }
    json_array_foreach(json_object_get(doc, "dietaryRestrictions"), i, v) {
        if (!json_is_string(v) || p->n_diets >= SCORE_MAX_DIETS)
            continue;
        char w[24];
        norm_word(json_string_value(v), w, sizeof w);
        if (strcmp(w, "veggie") == 0)
            snprintf(w, sizeof w, "vegetarian");
        if (w[0])
            memcpy(p->diets[p->n_diets++], w, sizeof w);
    }
    json_array_foreach(json_object_get(doc, "accessibilityNeeds"), i, v) {
        char w[52];
        norm_word(json_string_value(v), w, sizeof w);
        if (strstr(w, "wheelchair") || strstr(w, "mobility") || strcmp(w, "step_free") == 0)
            p->wheelchair = true;
    }
}

void score_day_params(const score_prefs_t *p, score_day_t *d)
{
    static const score_day_t by_pace[] = {
        {10 * 3600.0, 18 * 3600.0, 3}, {9 * 3600.0, 19 * 3600.0, 5}, {8 * 3600.0, 20 * 3600.0, 8}};
    *d = by_pace[p->pace >= 0 && p->pace <= 2 ? p->pace : 1];
    unsigned t = p->time_of_day;
    if (t & SCORE_TOD_MORNING)
        d->start -= 3600;
    if (t & SCORE_TOD_NIGHT)
        d->end += 3 * 3600;
    else if (t & SCORE_TOD_EVENING)
        d->end += 2 * 3600;
    if (t && !(t & (SCORE_TOD_MORNING | SCORE_TOD_AFTERNOON)))
        d->start += 2 * 3600; /* an evening person starts late */
    if (d->end > 24 * 3600.0)
        d->end = 24 * 3600.0;
}

double score_walk_limit_m(const score_prefs_t *p)
{
    static const double lim[] = {1200, 2500, 5000};
    return lim[p->activity >= 0 && p->activity <= 2 ? p->activity : 1];
}

double score_search_radius_m(const score_prefs_t *p)
{
    static const double r[] = {2000, 4000, 8000};
    return r[p->activity >= 0 && p->activity <= 2 ? p->activity : 1];
}

static void reason(score_out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(score_out_t *o, const char *fmt, ...)
{
    if (o->n_reasons >= SCORE_MAX_REASONS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->reasons[o->n_reasons++], SCORE_REASON_LEN, fmt, ap);
    va_end(ap);
}

static void exclude(score_out_t *o, const char *why)
{
    o->excluded = true;
    snprintf(o->excluded_why, sizeof o->excluded_why, "%s", why);
}

static const char *tag(const score_place_in_t *in, const char *key)
{
    return json_string_value(json_object_get(in->tags, key));
}

/* The strongest interest of p that names category `cat`; 0 when none. */
static int interest_for(const score_prefs_t *p, const char *cat, const char **which)
{
    int best = 0;
    for (int i = 0; i < p->n_interests; i++) {
        char w[52];
        norm_word(p->interests[i].name, w, sizeof w);
        bool hit = strcmp(w, cat) == 0;
        for (size_t t = 0; !hit && t < sizeof topics / sizeof topics[0]; t++) {
            if (strcmp(topics[t].word, w) != 0)
                continue;
            for (int c = 0; c < 8 && topics[t].cats[c]; c++)
                hit |= strcmp(topics[t].cats[c], cat) == 0;
        }
        if (hit && p->interests[i].strength > best) {
            best = p->interests[i].strength;
            *which = p->interests[i].name;
        }
    }
    return best;
}

/* Does the place satisfy one normalised diet? diet:<x>=yes|only, or the
 * word in its cuisine list. */
static bool diet_ok(const score_place_in_t *in, const char *diet)
{
    char key[40];
    snprintf(key, sizeof key, "diet:%s", diet);
    const char *v = tag(in, key);
    if (v && (strcmp(v, "yes") == 0 || strcmp(v, "only") == 0))
        return true;
    if (strcmp(diet, "vegetarian") == 0 && (v = tag(in, "diet:vegan")) &&
        (strcmp(v, "yes") == 0 || strcmp(v, "only") == 0))
        return true;
    const char *c = in->cuisine ? in->cuisine : tag(in, "cuisine");
    return c && strstr(c, diet) != NULL;
}

/* Entry cost in euro cents from charge ("12 EUR", "EUR 12", "€12.50"),
 * fee=no (free) or fee=yes (the category's usual price). */
static int64_t entry_cost(const score_place_in_t *in, const kind_t *k, bool *free_entry)
{
    const char *charge = tag(in, "charge");
    *free_entry = false;
    if (charge && (strstr(charge, "EUR") || strstr(charge, "\xe2\x82\xac"))) {
        const char *d = charge;
        while (*d && !isdigit((unsigned char)*d))
            d++;
        double eur = *d ? strtod(d, NULL) : -1;
        if (eur >= 0 && eur < 10000)
            return (int64_t)llround(eur * 100);
    }
    const char *fee = in->fee ? in->fee : tag(in, "fee");
    if (fee && strcmp(fee, "no") == 0) {
        *free_entry = true;
        return 0;
    }
    if ((fee && strcmp(fee, "yes") == 0) || k->paid)
        return k->fee_cost;
    return 0;
}

static void quality(const score_place_in_t *in, score_out_t *o, double *q)
{
    if (tag(in, "wikipedia")) {
        *q += 0.6;
        reason(o, "well known: has a Wikipedia article");
    } else if (tag(in, "wikidata")) {
        *q += 0.3;
        reason(o, "listed on Wikidata");
    }
    const char *t = tag(in, "tourism");
    if (t && strcmp(t, "attraction") == 0 && strcmp(in->category, "attraction") != 0) {
        *q += 0.4;
        reason(o, "marked as a tourist attraction");
    }
    if (tag(in, "heritage")) {
        *q += 0.3;
        reason(o, "listed heritage site");
    }
    if (in->stars > 0) {
        *q += 0.1 * fmin(in->stars, 5);
        reason(o, "rated %.0f star%s", fmin(in->stars, 5), in->stars >= 1.5 ? "s" : "");
    }
}

static void food(const score_prefs_t *p, const score_place_in_t *in, score_out_t *o)
{
    static const int64_t meal_cost[] = {1500, 3000, 5000, 9000};
    bool restaurant = strcmp(in->category, "restaurant") == 0;
    for (int i = 0; i < p->n_diets; i++)
        if (!diet_ok(in, p->diets[i])) {
            char why[SCORE_REASON_LEN];
            snprintf(why, sizeof why, "does not say it serves %s food", p->diets[i]);
            exclude(o, why);
            return;
        }
    for (int i = 0; i < p->n_diets; i++)
        reason(o, "serves %s food", p->diets[i]);
    if (restaurant) {
        o->meal = true;
        o->cost = meal_cost[p->budget >= 0 && p->budget <= 3 ? p->budget : 1];
        reason(o, "a lunch stop");
    } else if (strcmp(in->category, "cafe") == 0) {
        o->cost = 800;
    }
}

void score_place(const score_prefs_t *p, const score_place_in_t *in, score_out_t *o)
{
    memset(o, 0, sizeof *o);
    const kind_t *k = kind_of(in->category);
    if (!k) {
        exclude(o, "not a place to visit");
        return;
    }
    o->duration_s = k->minutes * 60.0;
    o->outdoor = k->outdoor;
    if (!in->name || !*in->name) {
        exclude(o, "has no name");
        return;
    }
    const char *wc = in->wheelchair ? in->wheelchair : tag(in, "wheelchair");
    if (p->wheelchair) {
        if (!wc || strcmp(wc, "yes") != 0) {
            exclude(o, wc ? "not wheelchair accessible (wheelchair tag is not yes)"
                          : "wheelchair access unknown");
            if (!in->must_see)
                return;
        } else {
            reason(o, "wheelchair accessible");
        }
    }
    if (in->must_see)
        reason(o, "you asked to see it");
    bool free_entry;
    o->cost = entry_cost(in, k, &free_entry);
    if (strcmp(k->cat, "restaurant") == 0 || strcmp(k->cat, "cafe") == 0) {
        food(p, in, o);
        if (o->excluded && !in->must_see)
            return;
    }
    double q = 0;
    quality(in, o, &q);
    const char *which = NULL;
    int st = interest_for(p, k->cat, &which);
    double f = 1.0;
    if (st > 0) {
        f = 1.0 + 0.8 * st;
        reason(o, "matches your interest in %s (%d/5)", which, st);
    } else if (p->n_interests > 0 && !o->meal) {
        f = 0.5;
    }
    if (free_entry)
        reason(o, "free entry");
    if (p->budget == SCORE_BUDGET_BUDGET && o->cost > 0 && !o->meal)
        f *= 0.75;
    if (p->budget >= SCORE_BUDGET_PREMIUM && in->stars >= 3)
        f *= 1.2;
    o->score = round(k->base * (1.0 + q) * f * 100.0) / 10.0;
    if (o->score <= 0)
        o->score = 0.1;
    if (in->must_see && o->excluded) {
        o->excluded = false;
        reason(o, "kept although it %s", o->excluded_why);
    }
}
