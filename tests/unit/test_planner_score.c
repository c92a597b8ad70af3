/* tests/unit/test_planner_score.c -- preference scoring (planner/score.c):
 * interests raise the matching categories, wheelchair needs exclude
 * everything not tagged wheelchair=yes, diets pick restaurants, pace and
 * time of day shape the day, quality tags add worth, and every decision
 * leaves a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "planner/score.h"

static score_prefs_t prefs(const char *json)
{
    json_t *doc = json_loads(json, 0, NULL);
    assert_non_null(doc);
    score_prefs_t p;
    score_prefs_parse(doc, &p);
    json_decref(doc);
    return p;
}

static bool has_reason(const score_out_t *o, const char *needle)
{
    for (int i = 0; i < o->n_reasons; i++)
        if (strstr(o->reasons[i], needle))
            return true;
    return false;
}

static score_out_t run(const score_prefs_t *p, const char *cat, const char *tags_json)
{
    json_t *tags = tags_json ? json_loads(tags_json, 0, NULL) : NULL;
    score_place_in_t in = {.category = cat, .name = "Somewhere", .tags = tags};
    score_out_t o;
    score_place(p, &in, &o);
    json_decref(tags);
    return o;
}

static void test_defaults(void **state)
{
    (void)state;
    score_prefs_t p;
    score_prefs_parse(NULL, &p);
    assert_int_equal(p.pace, SCORE_PACE_MODERATE);
    assert_int_equal(p.activity, SCORE_ACTIVITY_MODERATE);
    assert_int_equal(p.n_interests, 0);
    assert_false(p.wheelchair);
    score_day_t d;
    score_day_params(&p, &d);
    assert_true(d.start == 9 * 3600 && d.end == 19 * 3600 && d.max_stops == 5);
}

static void test_interest_raises_matching(void **state)
{
    (void)state;
    score_prefs_t p = prefs("{\"interests\":{\"primary\":[{\"name\":\"Museums\",\"strength\":5}]}}");
    score_prefs_t none = prefs("{}");
    score_out_t m = run(&p, "museum", NULL), m0 = run(&none, "museum", NULL);
    score_out_t v = run(&p, "viewpoint", NULL), v0 = run(&none, "viewpoint", NULL);
    assert_false(m.excluded);
    assert_true(m.score > 3 * m0.score);
    assert_true(v.score < v0.score); /* named interests demote the rest */
    assert_true(m.score > 3 * v.score);
    assert_true(has_reason(&m, "matches your interest in Museums (5/5)"));
    /* strength orders the boost */
    score_prefs_t weak = prefs("{\"interests\":{\"secondary\":[{\"name\":\"museum\",\"strength\":1}]}}");
    assert_true(run(&weak, "museum", NULL).score < m.score);
    /* a keyword maps to several categories */
    score_prefs_t hist = prefs("{\"interests\":{\"primary\":[{\"name\":\"history\",\"strength\":4}]}}");
    score_out_t castle = run(&hist, "castle", NULL);
    assert_true(has_reason(&castle, "history"));
}

static void test_wheelchair(void **state)
{
    (void)state;
    score_prefs_t p = prefs("{\"accessibilityNeeds\":[\"wheelchair access\"]}");
    assert_true(p.wheelchair);
    assert_true(run(&p, "museum", "{\"wheelchair\":\"no\"}").excluded);
    assert_true(run(&p, "museum", "{\"wheelchair\":\"limited\"}").excluded);
    assert_true(run(&p, "museum", NULL).excluded);
    score_out_t ok = run(&p, "museum", "{\"wheelchair\":\"yes\"}");
    assert_false(ok.excluded);
    assert_true(has_reason(&ok, "wheelchair accessible"));
    /* a must-see stays, with the reason it would have been dropped */
    json_t *tags = json_loads("{\"wheelchair\":\"no\"}", 0, NULL);
    score_place_in_t in = {.category = "museum", .name = "X", .tags = tags, .must_see = true};
    score_out_t o;
    score_place(&p, &in, &o);
    json_decref(tags);
    assert_false(o.excluded);
    assert_true(has_reason(&o, "you asked to see it"));
    assert_true(has_reason(&o, "kept although"));
}

static void test_diets_pick_restaurants(void **state)
{
    (void)state;
    score_prefs_t p = prefs("{\"dietaryRestrictions\":[\"Vegetarian\"]}");
    assert_true(run(&p, "restaurant", "{\"cuisine\":\"steak_house\"}").excluded);
    score_out_t a = run(&p, "restaurant", "{\"diet:vegetarian\":\"yes\"}");
    score_out_t b = run(&p, "restaurant", "{\"diet:vegan\":\"only\"}");
    score_out_t c = run(&p, "restaurant", "{\"cuisine\":\"vegetarian;indian\"}");
    assert_false(a.excluded || b.excluded || c.excluded);
    assert_true(a.meal && has_reason(&a, "serves vegetarian food"));
    score_prefs_t none = prefs("{}");
    score_out_t d = run(&none, "restaurant", "{\"cuisine\":\"steak_house\"}");
    assert_false(d.excluded);
    assert_true(d.meal);
    /* price follows the budget preference */
    score_prefs_t cheap = prefs("{\"budgetPreference\":\"budget\"}");
    score_prefs_t lux = prefs("{\"budgetPreference\":\"luxury\"}");
    assert_true(run(&cheap, "restaurant", NULL).cost < run(&lux, "restaurant", NULL).cost);
}

static void test_quality_and_cost(void **state)
{
    (void)state;
    score_prefs_t p = prefs("{}");
    score_out_t plain = run(&p, "artwork", NULL);
    score_out_t famous = run(&p, "artwork", "{\"wikipedia\":\"en:X\",\"tourism\":\"attraction\"}");
    assert_true(famous.score > plain.score);
    assert_true(has_reason(&famous, "Wikipedia"));
    assert_true(has_reason(&famous, "tourist attraction"));
    score_out_t freem = run(&p, "museum", "{\"fee\":\"no\"}");
    assert_int_equal(freem.cost, 0);
    assert_true(has_reason(&freem, "free entry"));
    assert_int_equal(run(&p, "museum", "{\"charge\":\"12 EUR\"}").cost, 1200);
    assert_int_equal(run(&p, "museum", "{\"charge\":\"\xe2\x82\xac" "7.50\"}").cost, 750);
    assert_true(run(&p, "museum", NULL).cost > 0);
    assert_true(run(&p, "hotel", NULL).excluded);
    assert_true(run(&p, "atm", NULL).excluded);
    score_place_in_t unnamed = {.category = "museum"};
    score_out_t o;
    score_place(&p, &unnamed, &o);
    assert_true(o.excluded);
}

static void test_pace_and_time(void **state)
{
    (void)state;
    score_day_t r, f, e;
    score_prefs_t relaxed = prefs("{\"pace\":\"relaxed\",\"activityLevel\":\"low\"}");
    score_prefs_t fast = prefs("{\"pace\":\"fast\",\"activityLevel\":\"high\",\"timeOfDay\":[\"morning\"]}");
    score_prefs_t eve = prefs("{\"timeOfDay\":[\"evening\"]}");
    score_day_params(&relaxed, &r);
    score_day_params(&fast, &f);
    score_day_params(&eve, &e);
    assert_true(r.max_stops < f.max_stops);
    assert_true(r.end - r.start < f.end - f.start);
    assert_true(f.start == 7 * 3600);
    assert_true(e.start == 11 * 3600 && e.end == 21 * 3600);
    assert_true(score_walk_limit_m(&relaxed) < score_walk_limit_m(&fast));
    assert_true(score_search_radius_m(&relaxed) < score_search_radius_m(&fast));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_interest_raises_matching),
        cmocka_unit_test(test_wheelchair),
        cmocka_unit_test(test_diets_pick_restaurants),
        cmocka_unit_test(test_quality_and_cost),
        cmocka_unit_test(test_pace_and_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
