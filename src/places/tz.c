/* places/tz.c -- a coarse "where is this -> which IANA zone" lookup and
 * local time for opening hours.
 *
 * The zone of a place is the zone of the nearest city of a small generated
 * table (tz_cities.c: the three most populous cities of every GeoNames zone
 * plus every capital). Near a border this can pick the neighbour's zone,
 * which only matters where the neighbours' clocks differ; for the shipped
 * Monaco extract every place gets Europe/Monaco. The lookup index is built
 * once (pthread_once) and kept for the life of the process.
 */
#include "places/places.h"

#include "places/tz_cities.h"
#include "queue/cron_tz.h"

#include <pthread.h>
#include <time.h>

static geo_index_t *cities;
static pthread_once_t cities_once = PTHREAD_ONCE_INIT;

static void build_cities(void)
{
    geo_index_options_t opt = {.cell_m = 50000, .expected = (size_t)places_tz_city_count};
    cities = geo_index_new(&opt);
    for (int i = 0; cities && i < places_tz_city_count; i++)
        geo_index_insert(cities, (uint64_t)i,
                         (geo_point_t){places_tz_cities[i].lat, places_tz_cities[i].lng});
}

const char *places_tz_for(geo_point_t p)
{
    pthread_once(&cities_once, build_cities);
    if (!cities || !geo_point_valid(p))
        return "UTC";
    geo_index_hit_t hit;
    size_t n = 0;
    if (geo_index_nearest(cities, p, 2.1e7, 1, &hit, &n) != GEO_OK || n == 0)
        return "UTC";
    return places_tz_cities[hit.id].zone;
}

void places_local_time(const struct cron_tz *zone, int64_t at_ms, struct tm *out)
{
    int64_t s = at_ms >= 0 ? at_ms / 1000 : -((-at_ms + 999) / 1000);
    if (zone)
        s += cron_tz_offset(zone, s);
    time_t t = (time_t)s;
    gmtime_r(&t, out);
}
