/* geo/index_int.h -- layout shared by index.c (updates) and index_query.c
 * (queries); not a public header. See index.h for the design.
 *
 * The grid: latitude rows of height dlat degrees; row r has ncols_of(r)
 * columns of equal longitude width, so cells stay roughly square; a cell key
 * is row << 32 | col. Both tables use linear probing with fastrange slots.
 */
#ifndef TRAVLOC_GEO_INDEX_INT_H
#define TRAVLOC_GEO_INDEX_INT_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "geo/index.h"

#define DEG2RAD (M_PI / 180.0)
#define E7_TO_RAD (1e-7 * DEG2RAD)
#define EMPTY_KEY UINT64_MAX

typedef struct item {
    uint64_t id;
    int32_t lat, lng; /* 1e-7 degrees */
} item_t;

typedef struct cell {
    uint64_t key; /* row << 32 | col; EMPTY_KEY when the slot is free */
    item_t *items;
    uint32_t n, cap;
} cell_t;

typedef struct ment {
    uint64_t id;
    uint64_t key; /* cell holding the id; EMPTY_KEY when the slot is free */
} ment_t;

struct geo_index {
    double cell_m, dlat; /* cell height in metres and in degrees */
    int64_t nrows;
    cell_t *cells;
    size_t ccap, ncells;
    ment_t *ids;
    size_t icap, count;
    size_t item_bytes;
};

/* ---- Hashing and grid maths ---------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static inline size_t home_slot(uint64_t key, size_t cap)
{
    return (size_t)(((mix64(key) >> 32) * (uint64_t)cap) >> 32);
}

static inline double e7_deg(int32_t v)
{
    return (double)v / 1e7;
}

/* Grid maths lives out of line in index.c so that every caller runs the
 * very same machine code: a cell computed at insert time and the cells a
 * query enumerates can never disagree by a rounding (e.g. FMA contraction). */
int64_t geo_index__row_of(const geo_index_t *idx, double lat);
void geo_index__row_bounds(const geo_index_t *idx, int64_t row, double *lo, double *hi);
int64_t geo_index__ncols(const geo_index_t *idx, int64_t row);
/* Lower bound of cos(latitude) over a row. */
double geo_index__row_cos_min(const geo_index_t *idx, int64_t row);
int64_t geo_index__col_of(double lng, int64_t ncols);

static inline cell_t *cell_find(const geo_index_t *idx, uint64_t key)
{
    if (idx->ncells == 0)
        return NULL;
    for (size_t i = home_slot(key, idx->ccap);; i = i + 1 == idx->ccap ? 0 : i + 1) {
        cell_t *c = &idx->cells[i];
        if (c->key == key)
            return c;
        if (c->key == EMPTY_KEY)
            return NULL;
    }
}

#endif /* TRAVLOC_GEO_INDEX_INT_H */
