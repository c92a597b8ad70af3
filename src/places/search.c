/* places/search.c -- place search: candidate SQL per backend, C ranking.
 *
 * The match expression is built from folded tokens only (letters and
 * digits), never from raw input, so it cannot inject FTS5 or tsquery
 * syntax: every token becomes a prefix term and all must match. Up to
 * PLACES_SEARCH_CANDIDATES rows come back and are ranked by
 * places_search_score() and distance (search.h). Memory: see search.h.
 */
#include "places/search.h"

#include "geo/osm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sqlite_sql[] =
    "SELECT p.id, p.name, p.category, p.parent_category, p.lat, p.lng, p.address, "
    "p.search_text FROM places_fts JOIN places p ON p.rid = places_fts.rowid "
    "WHERE places_fts MATCH $1 LIMIT 5000";
static const char pg_sql[] =
    "SELECT id, name, category, parent_category, lat, lng, address, search_text FROM places "
    "WHERE tsv @@ to_tsquery('simple', travloc_unaccent($1)) LIMIT 5000";

static void build_match(char tok[][PLACES_SEARCH_MAX_TOKEN + 1], size_t n, bool postgres,
                        char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0,
                                postgres ? "%s%s:*" : "%s\"%s\"*",
                                i ? (postgres ? " & " : " ") : "", tok[i]);
}

static bool category_ok(const places_search_query_t *q, const char *cat)
{
    if (!q->categories)
        return true;
    int c = geo_osm_category_find(cat);
    for (size_t i = 0; i < q->ncategories; i++)
        if (c >= 0 && q->categories[i] == (uint16_t)c)
            return true;
    return false;
}

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int cmp_hit(const void *a, const void *b)
{
    const places_search_hit_t *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank > y->rank ? -1 : 1;
    return strcmp(x->id, y->id);
}

void places_search_free(places_search_hit_t *hits, size_t n)
{
    for (size_t i = 0; hits && i < n; i++) {
        free(hits[i].id);
        free(hits[i].name);
        free(hits[i].category);
        free(hits[i].parent);
        free(hits[i].address);
    }
    free(hits);
}

int places_search(store_conn_t *db, bool postgres, const places_search_query_t *q,
                  places_search_hit_t **hits, size_t *n, apierr_t *err)
{
    *hits = NULL;
    *n = 0;
    char tok[PLACES_SEARCH_MAX_TOKENS][PLACES_SEARCH_MAX_TOKEN + 1];
    size_t ntok = places_search_tokens(q->q, tok);
    if (ntok == 0) {
        apierr_set(err, 400, "invalid_parameter", "q: must contain a letter or digit");
        apierr_detail(err, "field", json_string("q"));
        return -1;
    }
    char match[PLACES_SEARCH_MAX_TOKENS * (PLACES_SEARCH_MAX_TOKEN + 8) + 1];
    build_match(tok, ntok, postgres, match, sizeof match);
    store_arg_t arg = ARG_TEXT(match);
    store_res_t *r = NULL;
    if (store_query(db, postgres ? pg_sql : sqlite_sql, &arg, 1, &r, err) < 0)
        return -1;
    places_search_hit_t *h = calloc((size_t)r->nrows + 1, sizeof *h);
    if (!h) {
        store_res_free(r);
        return apierr_set(err, 500, "internal", "out of memory");
    }
    size_t k = 0;
    for (int i = 0; i < r->nrows; i++) {
        if (!category_ok(q, store_val(r, i, 2)))
            continue;
        places_search_hit_t *x = &h[k++];
        x->id = sdup(store_val(r, i, 0));
        x->name = sdup(store_val(r, i, 1));
        x->category = sdup(store_val(r, i, 2));
        x->parent = sdup(store_val(r, i, 3));
        x->point = (geo_point_t){store_real(r, i, 4), store_real(r, i, 5)};
        x->address = sdup(store_val(r, i, 6));
        x->text_score = places_search_score(tok, ntok, x->name, store_val(r, i, 7));
        x->dist_m = q->have_near ? geo_distance_m(q->near, x->point) : -1;
        x->rank = x->text_score - (q->have_near ? log10(1.0 + x->dist_m / 1000.0) : 0.0);
    }
    store_res_free(r);
    qsort(h, k, sizeof *h, cmp_hit);
    size_t keep = k < q->limit ? k : q->limit;
    for (size_t i = keep; i < k; i++) {
        free(h[i].id);
        free(h[i].name);
        free(h[i].category);
        free(h[i].parent);
        free(h[i].address);
    }
    *hits = h;
    *n = keep;
    return 0;
}
