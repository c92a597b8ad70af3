/* places/tz.c -- a coarse "where is this -> which IANA zone" lookup and
 * local time for opening hours.
 *
 * The zone of a place is the zone of the nearest city of a small generated
 * table (data/tz/tz-cities.tsv, embedded in the binary: the three most
 * populous cities of every GeoNames zone plus every capital). Near a border this can pick the neighbour's zone,
 * which only matters where the neighbours' clocks differ; for the shipped
 * Monaco extract every place gets Europe/Monaco. The table is parsed and
 * indexed once (pthread_once) and kept for the life of the process.
 */
#include "places/places.h"

#include "core/embedded.h"
#include "queue/cron_tz.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    double lat, lng;
    const char *zone; /* points into `text` */
} tz_city_t;

static geo_index_t *cities;
static tz_city_t *table;
static char *text; /* the embedded TSV, tabs and newlines turned into NULs */
static pthread_once_t cities_once = PTHREAD_ONCE_INIT;

/* Parses "lat<TAB>lng<TAB>zone" lines into `table`; returns the count. */
static int parse_cities(const embedded_file_t *f)
{
    int lines = 0;
    for (size_t i = 0; i < f->len; i++)
        lines += f->data[i] == '\n';
    text = malloc(f->len + 1);
    table = calloc((size_t)lines + 1, sizeof *table);
    if (!text || !table)
        return 0;
    memcpy(text, f->data, f->len + 1);
    int n = 0;
    for (char *line = text, *next; line && *line && n < lines; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *end;
        table[n].lat = strtod(line, &end);
        if (*end != '\t')
            continue;
        table[n].lng = strtod(end + 1, &end);
        if (*end != '\t' || !end[1])
            continue;
        table[n++].zone = end + 1;
    }
    return n;
}

static void build_cities(void)
{
    const embedded_file_t *f = embedded_asset("tz-cities.tsv");
    int n = f ? parse_cities(f) : 0;
    geo_index_options_t opt = {.cell_m = 50000, .expected = (size_t)n};
    cities = n ? geo_index_new(&opt) : NULL;
    for (int i = 0; cities && i < n; i++)
        geo_index_insert(cities, (uint64_t)i, (geo_point_t){table[i].lat, table[i].lng});
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
    return table[hit.id].zone;
}

void places_local_time(const struct cron_tz *zone, int64_t at_ms, struct tm *out)
{
    int64_t s = at_ms >= 0 ? at_ms / 1000 : -((-at_ms + 999) / 1000);
    if (zone)
        s += cron_tz_offset(zone, s);
    time_t t = (time_t)s;
    gmtime_r(&t, out);
}
