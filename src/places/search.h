/* places/search.h -- full-text place search: SQL candidates, C ranking.
 *
 * The database finds candidates (SQLite FTS5 with remove_diacritics and
 * prefix indexes; PostgreSQL tsvector over unaccent with prefix
 * tsqueries); the ranking is computed here, in C, from the stored names,
 * so both backends order the same candidates identically: a text score
 * (exact word in the name > prefix of a word in the name > word or prefix
 * in a translation or alternative name, plus a bonus when the name equals
 * or starts with the query) minus log10(1 + distance_km) when `near` is
 * given; ties by id.
 *
 * Memory: places_search() returns a malloc'ed hit array whose strings it
 * owns; free both with places_search_free().
 */
#ifndef TRAVLOC_PLACES_SEARCH_H
#define TRAVLOC_PLACES_SEARCH_H

#include "geo/geo.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PLACES_SEARCH_MAX_TOKENS 8
#define PLACES_SEARCH_MAX_TOKEN 64
#define PLACES_SEARCH_CANDIDATES 5000

typedef struct places_search_query {
    const char *q;
    bool have_near;
    geo_point_t near;
    const uint16_t *categories; /* NULL = any */
    size_t ncategories;
    size_t limit;
} places_search_query_t;

typedef struct places_search_hit {
    char *id, *name, *category, *parent, *address;
    geo_point_t point;
    double dist_m; /* -1 without near */
    double text_score, rank;
} places_search_hit_t;

/* Splits q into at most PLACES_SEARCH_MAX_TOKENS folded tokens (letters and
 * digits; ASCII lower-cased, common Latin accents removed) written into
 * tok[i] (each PLACES_SEARCH_MAX_TOKEN + 1 bytes). Returns the count. */
size_t places_search_tokens(const char *q, char tok[][PLACES_SEARCH_MAX_TOKEN + 1]);

/* Folds s into out (cap bytes, NUL-terminated): lower case, accents off,
 * every non-letter/digit becomes one space. */
void places_search_fold(const char *s, char *out, size_t cap);

/* Text score of a candidate for folded tokens. */
double places_search_score(char tok[][PLACES_SEARCH_MAX_TOKEN + 1], size_t ntok,
                           const char *name, const char *search_text);

/* Runs the search. Returns 0 with the hits in *hits, their count in *n (best first, at most limit), or
 * -1 with err set (400 for a query without letters or digits). */
int places_search(store_conn_t *db, bool postgres, const places_search_query_t *q,
                  places_search_hit_t **hits, size_t *n, apierr_t *err);
void places_search_free(places_search_hit_t *hits, size_t n);

#endif
