#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "places/places.h"

static void test_nearest_city_zone(void **state)
{
    (void)state;
    assert_string_equal(places_tz_for((geo_point_t){43.7308, 7.4265}), "Europe/Monaco");
    assert_string_equal(places_tz_for((geo_point_t){38.7223, -9.1393}), "Europe/Lisbon");
    assert_string_equal(places_tz_for((geo_point_t){40.7128, -74.0060}), "America/New_York");
    assert_string_equal(places_tz_for((geo_point_t){35.6762, 139.6503}), "Asia/Tokyo");
    assert_string_equal(places_tz_for((geo_point_t){NAN, 0}), "UTC");
    assert_string_equal(places_tz_for((geo_point_t){91, 0}), "UTC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_nearest_city_zone)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
