/* recommend/data.c -- the embedded climate normals and country facts (see
 * recommend.h). Each table is parsed once, on first use, from its embedded
 * file into one heap copy whose separators became NULs; the structs point
 * into it. Rows with a missing position (9 climate rows) are skipped.
 */
#include "recommend/recommend.h"

#include "core/embedded.h"
#include "geo/geo.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static rec_city_t *cities;
static size_t ncities;
static rec_country_t *countries;
static size_t ncountries;
static char *ctext, *ktext;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Splits line into at most max fields on `sep`, honouring one level of
 * double quotes (no escaped quotes in these files). Returns the count. */
static int split(char *line, char sep, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            f[n++] = ++p;
            char *q = strchr(p, '"');
            if (!q)
                return n;
            *q = 0;
            p = q + 1;
        } else {
            f[n++] = p;
        }
        char *e = strchr(p, sep);
        if (!e)
            return n;
        *e = 0;
        p = e + 1;
    }
    return n;
}

static char *lines_copy(const char *name, size_t *nlines)
{
    const embedded_file_t *f = embedded_asset(name);
    if (!f)
        return NULL;
    char *t = malloc(f->len + 1);
    if (!t)
        return NULL;
    memcpy(t, f->data, f->len + 1);
    *nlines = 0;
    for (size_t i = 0; i < f->len; i++)
        *nlines += t[i] == '\n';
    return t;
}

static void load_climate(void)
{
    size_t n;
    ctext = lines_copy("city_monthly_mean_temperature.csv", &n);
    cities = ctext ? calloc(n + 1, sizeof *cities) : NULL;
    if (!cities)
        return;
    char *next, *line = strchr(ctext, '\n'); /* skip the header */
    for (line = line ? line + 1 : NULL; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *f[24];
        if (split(line, ',', f, 24) != 23 || !*f[6] || !*f[7])
            continue;
        rec_city_t *c = &cities[ncities];
        c->country = f[1];
        c->iso2 = f[2];
        c->name = f[3];
        c->lat = strtod(f[6], NULL);
        c->lng = strtod(f[7], NULL);
        c->zone = f[8];
        for (int m = 0; m < 12; m++)
            c->month_c[m] = strtod(f[10 + m], NULL);
        c->year_c = strtod(f[22], NULL);
        ncities++;
    }
}

static void load_countries(void)
{
    size_t n;
    ktext = lines_copy("countries.tsv", &n);
    countries = ktext ? calloc(n + 1, sizeof *countries) : NULL;
    if (!countries)
        return;
    for (char *line = ktext, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *f[9];
        if (line[0] == '#' || split(line, '\t', f, 9) != 9)
            continue;
        countries[ncountries++] = (rec_country_t){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]};
    }
}

static void load(void)
{
    load_climate();
    load_countries();
}

size_t rec_climate_count(void)
{
    pthread_once(&once, load);
    return ncities;
}

const rec_city_t *rec_climate_nearest(double lat, double lng, double *dist_km)
{
    pthread_once(&once, load);
    const rec_city_t *best = NULL;
    double bd = INFINITY;
    for (size_t i = 0; i < ncities; i++) {
        double d = geo_distance_m((geo_point_t){lat, lng}, (geo_point_t){cities[i].lat, cities[i].lng});
        if (d < bd) {
            bd = d;
            best = &cities[i];
        }
    }
    if (dist_km)
        *dist_km = best ? bd / 1000.0 : 0;
    return best;
}

const rec_country_t *rec_country(const char *iso2)
{
    pthread_once(&once, load);
    for (size_t i = 0; iso2 && i < ncountries; i++)
        if (strcmp(countries[i].iso2, iso2) == 0)
            return &countries[i];
    return NULL;
}
