/* tests/unit/test_recommend.c -- the pure parts of recommend/: the embedded
 * climate and country tables, seasonal answers, packing rules, the
 * Open-Meteo answer parser and the iCalendar reader. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "recommend/ical.h"
#include "recommend/recommend.h"

static void test_tables(void **state)
{
    (void)state;
    assert_int_equal(rec_climate_count(), 466); /* 475 rows, 9 without a position */
    double km;
    const rec_city_t *c = rec_climate_nearest(43.7384, 7.4246, &km);
    assert_non_null(c);
    assert_string_equal(c->name, "Monaco");
    assert_true(km < 2);
    assert_true(fabs(c->month_c[7] - 24.2) < 1e-9 && fabs(c->year_c - 16.4) < 1e-9);
    c = rec_climate_nearest(38.9, -77.03, &km);
    assert_string_equal(c->name, "Washington, D.C."); /* the one quoted CSV field */
    const rec_country_t *k = rec_country("MC");
    assert_non_null(k);
    assert_string_equal(k->currencies, "EUR");
    assert_string_equal(k->calling_code, "+377");
    assert_null(rec_country("ZZ"));
    assert_null(rec_country(NULL));
}

static void test_seasonal(void **state)
{
    (void)state;
    json_t *s = rec_seasonal(43.7384, 7.4246, 1);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s, "climate"), "season")), "cool");
    assert_false(json_is_true(json_object_get(json_object_get(s, "nearestCity"), "far")));
    json_decref(s);
    s = rec_seasonal(-60, -120, 7);
    assert_true(json_is_true(json_object_get(json_object_get(s, "nearestCity"), "far")));
    json_decref(s);
    assert_null(rec_seasonal(0, 0, 13));
    assert_string_equal(rec_season_word(-3), "cold");
    assert_string_equal(rec_season_word(30), "hot");
}

static json_t *find(json_t *items, const char *name)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) if (strcmp(json_string_value(json_object_get(it, "name")), name) == 0) return it;
    return NULL;
}

static void test_packing(void **state)
{
    (void)state;
    const char *types[] = {"beach", "museum"};
    const char *diets[] = {"vegan"};
    rec_trip_t t = {.days = 3, .min_c = 24, .max_c = 27, .activity_types = types,
                    .n_activity_types = 2, .diets = diets, .n_diets = 1,
                    .country = rec_country("MC"), .international = true};
    json_t *p = rec_packing(&t);
    assert_non_null(find(p, "Swimwear"));
    assert_non_null(find(p, "Sunscreen"));
    assert_non_null(find(p, "Reusable water bottle"));
    assert_non_null(find(p, "Clothes covering shoulders and knees"));
    assert_non_null(find(p, "Snacks that fit your diet (vegan)"));
    assert_non_null(find(p, "Some cash in EUR"));
    assert_null(find(p, "Warm coat"));
    assert_null(find(p, "Laundry bag"));
    assert_int_equal(json_integer_value(json_object_get(find(p, "Underwear"), "quantity")), 4);
    json_decref(p);
    rec_trip_t cold = {.days = 20, .min_c = -5, .max_c = 2, .wheelchair = true};
    p = rec_packing(&cold);
    assert_non_null(find(p, "Warm coat"));
    assert_non_null(find(p, "Wheelchair repair kit and spare inner tube"));
    assert_int_equal(json_integer_value(json_object_get(find(p, "Socks"), "quantity")), 8);
    assert_null(find(p, "Universal travel adapter"));
    json_decref(p);
    rec_trip_t unknown = {.days = 1, .min_c = NAN, .max_c = NAN};
    p = rec_packing(&unknown);
    assert_non_null(find(p, "Light jacket"));
    json_decref(p);
}

static void test_open_meteo(void **state)
{
    (void)state;
    const char *ok = "{\"current\":{\"temperature_2m\":21.5,\"weather_code\":3},\"daily\":{\"time\":"
                     "[\"2027-06-10\",\"bad\"],\"temperature_2m_max\":[25,1],\"temperature_2m_min\":[15,1],"
                     "\"precipitation_sum\":[null,1],\"weather_code\":[2,1]}}";
    json_t *w = rec_weather_parse_open_meteo(ok, strlen(ok));
    assert_non_null(w);
    json_t *d = json_object_get(w, "daily");
    assert_int_equal(json_array_size(d), 1);
    assert_true(json_is_null(json_object_get(json_array_get(d, 0), "precipitationMm")));
    assert_true(json_real_value(json_object_get(json_object_get(w, "current"), "temperatureC")) == 21.5);
    json_decref(w);
    assert_null(rec_weather_parse_open_meteo("{}", 2));
    assert_null(rec_weather_parse_open_meteo("nope", 4));
}

static int count_cb(void *arg, const rec_event_t *ev)
{
    int *n = arg;
    (*n)++;
    if (strcmp(ev->title, "Stop here") == 0)
        return 1;
    return 0;
}

static void test_ical(void **state)
{
    (void)state;
    const char *cal = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
                      "BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Daily\r\nDTSTART:20270101T100000Z\r\n"
                      "RRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
                      "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"
                      "END:VCALENDAR\r\n";
    int n = 0;
    rec_ical_stats_t st;
    assert_int_equal(rec_ical_parse(cal, count_cb, &n, &st), 0);
    assert_int_equal(n, REC_ICAL_MAX_OCC); /* an endless rule is capped */
    assert_int_equal(st.events, 1);
    assert_int_equal(st.skipped, 1);
    const char *stop = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
                       "BEGIN:VEVENT\r\nUID:s\r\nSUMMARY:Stop here\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"
                       "BEGIN:VEVENT\r\nUID:t\r\nSUMMARY:Never\r\nDTSTART:20270101T100000Z\r\nEND:VEVENT\r\n"
                       "END:VCALENDAR\r\n";
    n = 0;
    assert_int_equal(rec_ical_parse(stop, count_cb, &n, &st), -2);
    assert_int_equal(n, 1);
    assert_int_equal(rec_ical_parse("hello", count_cb, &n, &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables),   cmocka_unit_test(test_seasonal),
        cmocka_unit_test(test_packing),  cmocka_unit_test(test_open_meteo),
        cmocka_unit_test(test_ical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
