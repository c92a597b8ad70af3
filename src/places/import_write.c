/* places/import_write.c -- the one write transaction of an import.
 *
 * Stored places are loaded into a small open-addressing map keyed by
 * (osm_type, osm_id) holding their content hash; each imported place is
 * then inserted, updated (hash differs) or skipped (hash equal), and what
 * the map still has unseen at the end is deleted. The content hash
 * (BLAKE2b-128 over category, position, zone, names and every tag) makes a
 * re-import of the same file change nothing at all.
 *
 * Memory: the map and the per-row JSON strings are owned here and freed
 * before returning; nothing outlives the call.
 */
#include "places/import_int.h"
#include "places/places.h"

#include "core/clock.h"
#include "core/uuid.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Map of stored places ----------------------------------------------------- */

typedef struct {
    int64_t osm_id;
    char type; /* 'n', 'w', 'r'; 0 = empty slot */
    bool seen;
    char hash[33];
} slot_t;

typedef struct {
    slot_t *s;
    size_t cap; /* power of two */
} map_t;

/* The osm_type column's text for 'n', 'w', 'r'. */
static const char *osm_type_name(char t)
{
    return t == 'w' ? "way" : t == 'r' ? "relation" : "node";
}

static size_t slot_of(const map_t *m, char type, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull ^ (uint64_t)(unsigned char)type;
    size_t i = (size_t)(h >> 17) & (m->cap - 1);
    while (m->s[i].type && !(m->s[i].type == type && m->s[i].osm_id == id))
        i = (i + 1) & (m->cap - 1);
    return i;
}

/* Sized for the stored rows plus `incoming` new ones, at most half full. */
static int map_load(store_conn_t *db, map_t *m, size_t incoming, char *err, size_t errlen)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT osm_type, osm_id, content_hash FROM places", NULL, 0, &r, &e) <
        0) {
        snprintf(err, errlen, "cannot read stored places: %s", e.message);
        apierr_clear(&e);
        return -1;
    }
    m->cap = 64;
    while (m->cap < ((size_t)r->nrows + incoming) * 2 + 1)
        m->cap *= 2;
    m->s = calloc(m->cap, sizeof *m->s);
    if (!m->s) {
        store_res_free(r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < r->nrows; i++) {
        char type = store_val(r, i, 0)[0];
        int64_t id = store_int(r, i, 1);
        slot_t *s = &m->s[slot_of(m, type, id)];
        s->type = type;
        s->osm_id = id;
        snprintf(s->hash, sizeof s->hash, "%s", store_val(r, i, 2) ? store_val(r, i, 2) : "");
    }
    store_res_free(r);
    return 0;
}

/* ---- One row -------------------------------------------------------------------- */

typedef struct {
    char *names, *tags, *search;
    char hash[33];
    const char *tz;
} row_t;

static char *tag_json(const geo_osm_tag_t *t, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_string(t[i].value); /* NULL for invalid UTF-8: skipped */
        if (v)
            json_object_set_new(o, t[i].key, v);
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static void add_word(char **buf, size_t *len, const char *w)
{
    if (!w || !*w || (*buf && strstr(*buf, w)))
        return;
    size_t n = strlen(w);
    char *nb = realloc(*buf, *len + n + 2);
    if (!nb)
        return;
    *buf = nb;
    if (*len)
        nb[(*len)++] = ' ';
    memcpy(nb + *len, w, n + 1);
    *len += n;
}

static const char *tag_value(const geo_osm_place_t *p, const char *key)
{
    for (size_t i = 0; i < p->n_tags; i++)
        if (strcmp(p->tags[i].key, key) == 0)
            return p->tags[i].value;
    return NULL;
}

static int row_build(const geo_osm_place_t *p, row_t *row)
{
    row->names = tag_json(p->names, p->n_names);
    row->tags = tag_json(p->tags, p->n_tags);
    size_t len = 0;
    row->search = NULL;
    add_word(&row->search, &len, p->name);
    for (size_t i = 0; i < p->n_names; i++)
        add_word(&row->search, &len, p->names[i].value);
    static const char *const alt[] = {"alt_name", "official_name", "short_name", "old_name",
                                      "brand"};
    for (size_t i = 0; i < sizeof alt / sizeof alt[0]; i++)
        add_word(&row->search, &len, tag_value(p, alt[i]));
    row->tz = places_tz_for(p->point);
    if (!row->names || !row->tags)
        return -1;
    crypto_generichash_state st;
    unsigned char h[16];
    char head[160];
    int n = snprintf(head, sizeof head, "%s|%.7f|%.7f|%s|", p->category_name, p->point.lat,
                     p->point.lng, row->tz);
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)head, (unsigned long long)n);
    crypto_generichash_update(&st, (const unsigned char *)row->names, strlen(row->names));
    crypto_generichash_update(&st, (const unsigned char *)"|", 1);
    crypto_generichash_update(&st, (const unsigned char *)row->tags, strlen(row->tags));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(row->hash, sizeof row->hash, h, sizeof h);
    return 0;
}

static void row_free(row_t *row)
{
    free(row->names);
    free(row->tags);
    free(row->search);
}

/* Columns in the order of both statements; the id comes last ($22) so the
 * UPDATE can use the first 21 only. */
#define COLS                                                                              \
    "osm_type, osm_id, category, parent_category, name, names, lat, lng, address, "       \
    "opening_hours, website, phone, wheelchair, cuisine, fee, stars, tags, tz, "         \
    "search_text, content_hash, updated_at"

static const char insert_sql[] =
    "INSERT INTO places (" COLS ", id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
    "$12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)";
static const char update_sql[] =
    "UPDATE places SET category = $3, parent_category = $4, name = $5, names = $6, lat = $7, "
    "lng = $8, address = $9, opening_hours = $10, website = $11, phone = $12, wheelchair = $13, "
    "cuisine = $14, fee = $15, stars = $16, tags = $17, tz = $18, search_text = $19, "
    "content_hash = $20, updated_at = $21 WHERE osm_type = $1 AND osm_id = $2";

static int write_place(store_conn_t *db, map_t *m, const geo_osm_place_t *p, int64_t now,
                       import_counts_t *k, apierr_t *e)
{
    row_t row = {0};
    if (row_build(p, &row) < 0) {
        row_free(&row);
        return apierr_set(e, 500, "internal", "out of memory");
    }
    const char *type = osm_type_name(p->osm_type);
    slot_t *s = &m->s[slot_of(m, type[0], p->osm_id)];
    int rc = 0;
    if (s->type && strcmp(s->hash, row.hash) == 0) {
        k->unchanged++;
    } else {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        store_arg_t a[] = {
            ARG_TEXT(type), ARG_INT(p->osm_id), ARG_TEXT(p->category_name), ARG_TEXT(p->parent),
            ARG_TEXT(p->name), ARG_TEXT(row.names), ARG_REAL(p->point.lat),
            ARG_REAL(p->point.lng), ARG_TEXT(p->address), ARG_TEXT(p->opening_hours),
            ARG_TEXT(p->website), ARG_TEXT(p->phone), ARG_TEXT(p->wheelchair),
            ARG_TEXT(p->cuisine), ARG_TEXT(p->fee),
            p->stars > 0 ? ARG_REAL(p->stars) : ARG_NULL, ARG_TEXT(row.tags), ARG_TEXT(row.tz),
            ARG_TEXT(row.search ? row.search : ""), ARG_TEXT(row.hash), ARG_INT(now),
            ARG_TEXT(id)};
        if (s->type) {
            rc = store_exec(db, update_sql, a, 21, e);
            k->updated++;
        } else {
            rc = store_exec(db, insert_sql, a, 22, e);
            k->inserted++;
        }
    }
    s->type = type[0];
    s->osm_id = p->osm_id;
    s->seen = true;
    row_free(&row);
    return rc;
}

static int delete_unseen(store_conn_t *db, map_t *m, import_counts_t *k, apierr_t *e)
{
    for (size_t i = 0; i < m->cap; i++) {
        slot_t *s = &m->s[i];
        if (!s->type || s->seen)
            continue;
        store_arg_t a[] = {ARG_TEXT(osm_type_name(s->type)), ARG_INT(s->osm_id)};
        if (store_exec(db, "DELETE FROM places WHERE osm_type = $1 AND osm_id = $2", a, 2, e) <
            0)
            return -1;
        k->deleted++;
    }
    return 0;
}

static int write_graph(store_conn_t *db, const geo_osm_result_t *res, const char *extract,
                       int64_t now, import_counts_t *k, apierr_t *e)
{
    const geo_graph_t *g = geo_osm_graph(res);
    if (store_exec(db, "DELETE FROM routing_graph", NULL, 0, e) < 0)
        return -1;
    if (!g || geo_graph_node_count(g) == 0)
        return 0;
    uint8_t *blob = NULL;
    size_t len = 0;
    if (geo_graph_serialize(g, &blob, &len) != GEO_OK)
        return apierr_set(e, 500, "internal", "cannot serialise the routing graph");
    geo_point_t mid = geo_graph_node_point(g, geo_graph_node_count(g) / 2);
    store_arg_t a[] = {ARG_TEXT(extract), ARG_BLOB(blob, len),
                       ARG_INT(geo_graph_node_count(g)), ARG_INT(geo_graph_edge_count(g)),
                       ARG_TEXT(places_tz_for(mid)), ARG_INT(now)};
    int rc = store_exec(db,
                        "INSERT INTO routing_graph (extract, graph, nodes, edges, tz, "
                        "imported_at) VALUES ($1, $2, $3, $4, $5, $6)",
                        a, 6, e);
    free(blob);
    k->graph_bytes = len;
    return rc;
}

int import__write(store_conn_t *db, bool postgres, const geo_osm_result_t *res,
                  const char *extract, bool progress, import_counts_t *k, char *err,
                  size_t errlen)
{
    apierr_t e = {0};
    map_t m = {0};
    if (store_begin(db, true, &e) < 0) {
        snprintf(err, errlen, "cannot begin: %s", e.message);
        apierr_clear(&e);
        return -1;
    }
    int rc = 0;
    /* Two imports at once would race on the same OSM ids: serialise them. */
    if (postgres && store_exec(db, "SELECT pg_advisory_xact_lock(727276)", NULL, 0, &e) < 0)
        rc = -1;
    if (rc == 0 && map_load(db, &m, geo_osm_place_count(res), err, errlen) < 0) {
        store_rollback(db);
        return -1;
    }
    int64_t now = clock_now_ms();
    size_t n = geo_osm_place_count(res);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = write_place(db, &m, geo_osm_place_at(res, i), now, k, &e);
        if (progress && (i % 256 == 255 || i + 1 == n))
            import__bar("writing", i + 1, n);
    }
    if (rc == 0)
        rc = delete_unseen(db, &m, k, &e);
    if (rc == 0)
        rc = write_graph(db, res, extract, now, k, &e);
    /* Running servers see the new generation and reload (places/reload.c). */
    if (rc == 0)
        rc = store_exec(db, "UPDATE places_generation SET generation = generation + 1 "
                            "WHERE id = 1", NULL, 0, &e);
    if (rc == 0)
        rc = store_commit(db, &e);
    if (rc < 0) {
        store_rollback(db);
        snprintf(err, errlen, "database write failed: %s", e.message);
    }
    apierr_clear(&e);
    free(m.s);
    return rc < 0 ? -1 : 0;
}
