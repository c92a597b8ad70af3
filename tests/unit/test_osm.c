/* tests/unit/test_osm.c -- OSM import, tag rules and the graph blob.
 *
 * Category counts are checked against a separate, deliberately naive
 * readosm pass written here that only counts raw tags.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <readosm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "geo/geo.h"
#include "geo/graph.h"
#include "geo/osm.h"

static const char *monaco(void)
{
    static char buf[1024];
    const char *dir = getenv("TRAVLOC_DATA_DIR");
    snprintf(buf, sizeof buf, "%s/osm/monaco-latest.osm.pbf", dir && *dir ? dir : "data");
    return buf;
}

/* ---- The naive reference pass ------------------------------------------------- */

enum { C_MUSEUM, C_HOTEL, C_VIEWPOINT, C_RESTAURANT, C_CAFE, C_PHARMACY, C_TOILETS, C_ATM,
       C_ARTWORK, C_COUNT };
static const char *const cat_names[C_COUNT] = {"museum", "hotel", "viewpoint", "restaurant",
                                               "cafe", "pharmacy", "toilets", "atm", "artwork"};

typedef struct naive {
    long count[C_COUNT];
    long nodes, ways, relations, highway_ways;
} naive_t;

static const char *tag(const readosm_tag *t, int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].key, k) == 0)
            return t[i].value;
    return NULL;
}

static void naive_count(naive_t *nv, const readosm_tag *t, int n)
{
    const char *tourism = tag(t, n, "tourism"), *amenity = tag(t, n, "amenity");
    static const char *const tv[] = {"museum", "hotel", "viewpoint"};
    for (int i = 0; i < 3; i++)
        if (tourism && strcmp(tourism, tv[i]) == 0)
            nv->count[C_MUSEUM + i]++;
    if (tourism && strcmp(tourism, "artwork") == 0)
        nv->count[C_ARTWORK]++;
    static const char *const av[] = {"restaurant", "cafe", "pharmacy", "toilets", "atm"};
    for (int i = 0; i < 5; i++)
        if (!tourism && amenity && strcmp(amenity, av[i]) == 0)
            nv->count[C_RESTAURANT + i]++;
}

static int naive_node(const void *u, const readosm_node *nd)
{
    naive_t *nv = (naive_t *)u;
    nv->nodes++;
    naive_count(nv, nd->tags, nd->tag_count);
    return READOSM_OK;
}

static int naive_way(const void *u, const readosm_way *w)
{
    naive_t *nv = (naive_t *)u;
    nv->ways++;
    if (w->node_ref_count > 0)
        naive_count(nv, w->tags, w->tag_count);
    nv->highway_ways += tag(w->tags, w->tag_count, "highway") != NULL;
    return READOSM_OK;
}

/* Relations count like the importer's: multipolygon, boundary and site
 * relations with at least one way member. */
static int naive_rel(const void *u, const readosm_relation *r)
{
    naive_t *nv = (naive_t *)u;
    nv->relations++;
    const char *type = tag(r->tags, r->tag_count, "type");
    bool way = false;
    for (int i = 0; i < r->member_count; i++)
        way = way || r->members[i].member_type == READOSM_MEMBER_WAY;
    if (way && type &&
        (!strcmp(type, "multipolygon") || !strcmp(type, "boundary") || !strcmp(type, "site")))
        naive_count(nv, r->tags, r->tag_count);
    return READOSM_OK;
}

/* ---- Fixtures --------------------------------------------------------------------- */

static int setup_import(void **state)
{
    geo_osm_result_t *r = NULL;
    if (geo_osm_import(monaco(), NULL, &r) != GEO_OK)
        return -1;
    *state = r;
    return 0;
}

static int teardown_import(void **state)
{
    geo_osm_result_free(*state);
    return 0;
}

static const geo_osm_place_t *find_place(const geo_osm_result_t *r, char type, int64_t id)
{
    for (size_t i = 0; i < geo_osm_place_count(r); i++) {
        const geo_osm_place_t *p = geo_osm_place_at(r, i);
        if (p->osm_type == type && p->osm_id == id)
            return p;
    }
    return NULL;
}

static const char *lang(const geo_osm_place_t *p, const char *code)
{
    for (size_t i = 0; i < p->n_names; i++)
        if (strcmp(p->names[i].key, code) == 0)
            return p->names[i].value;
    return NULL;
}

/* ---- Tests ------------------------------------------------------------------------ */

static void test_monaco_counts(void **state)
{
    const geo_osm_result_t *r = *state;
    naive_t nv = {0};
    const void *h;
    assert_int_equal(readosm_open(monaco(), &h), READOSM_OK);
    assert_int_equal(readosm_parse(h, &nv, naive_node, naive_way, naive_rel), READOSM_OK);
    readosm_close(h);
    const geo_osm_stats_t *st = geo_osm_result_stats(r);
    assert_int_equal(st->nodes, nv.nodes);
    assert_int_equal(st->ways, nv.ways);
    assert_int_equal(st->relations, nv.relations);
    /* SOURCE.md: 39,586 nodes, 5,777 ways, 309 relations. */
    assert_int_equal(nv.nodes, 39586);
    assert_int_equal(nv.ways, 5777);
    assert_int_equal(nv.relations, 309);
    long got[C_COUNT] = {0};
    for (size_t i = 0; i < geo_osm_place_count(r); i++) {
        const geo_osm_place_t *p = geo_osm_place_at(r, i);
        for (int c = 0; c < C_COUNT; c++)
            got[c] += strcmp(geo_osm_category(p->category)->name, cat_names[c]) == 0;
    }
    for (int c = 0; c < C_COUNT; c++) {
        assert_true(nv.count[c] > 0);
        assert_int_equal(got[c], nv.count[c]);
    }
    /* Every place has a valid category with a parent, and a valid point. */
    for (size_t i = 0; i < geo_osm_place_count(r); i++) {
        const geo_osm_place_t *p = geo_osm_place_at(r, i);
        const geo_osm_category_t *c = geo_osm_category(p->category);
        assert_non_null(c);
        assert_true(strlen(c->parent) > 0);
        assert_true(geo_point_valid(p->point));
        assert_true(p->n_tags > 0);
    }
    assert_true(st->routable_ways > 0 && st->routable_ways <= (uint64_t)nv.highway_ways);
    assert_int_equal(st->missing_refs, 0);
    assert_true(st->graph_nodes > 5000 && st->graph_edges > st->graph_nodes);
}

/* Relation places: centroids of the joined outer rings, checked against
 * `osmium export` of the same relations (area-weighted polygon centroids
 * computed separately, 2026-11-25); the museum of several buildings is a
 * site relation. */
static void test_monaco_relations(void **state)
{
    const geo_osm_result_t *r = *state;
    static const struct {
        int64_t id;
        const char *cat;
        double lat, lng;
    } want[] = {
        {2221179, "marina", 43.7353227, 7.4261527},
        {393226, "attraction", 43.7313362, 7.4201282},
        {16250182, "park", 43.7266940, 7.4188461},
        {2254506, "attraction", 43.7462169, 7.4339192},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const geo_osm_place_t *p = find_place(r, 'r', want[i].id);
        assert_non_null(p);
        assert_string_equal(p->category_name, want[i].cat);
        assert_true(fabs(p->point.lat - want[i].lat) < 2e-7);
        assert_true(fabs(p->point.lng - want[i].lng) < 2e-7);
    }
    const geo_osm_place_t *m = find_place(r, 'r', 13453960);
    assert_non_null(m);
    assert_string_equal(m->category_name, "museum");
    assert_string_equal(m->name, "Nouveau Musée National de Monaco");
    size_t rels = 0;
    for (size_t i = 0; i < geo_osm_place_count(r); i++)
        rels += geo_osm_place_at(r, i)->osm_type == 'r';
    /* 10 multipolygons with place tags whose category is known (childcare,
     * water and the Alps boundary have none) + the site. */
    assert_int_equal(rels, 11);
}

static void test_monaco_known_places(void **state)
{
    const geo_osm_result_t *r = *state;
    const geo_osm_place_t *m = find_place(r, 'w', 23715051);
    assert_non_null(m);
    assert_string_equal(m->name, "Musée Océanographique");
    assert_string_equal(geo_osm_category(m->category)->name, "museum");
    assert_string_equal(geo_osm_category(m->category)->parent, "sights");
    assert_string_equal(m->category_name, "museum");
    assert_string_equal(m->parent, "sights");
    /* The building stands on the cliff at about 43.7307 N, 7.4255 E. */
    assert_true(geo_distance_m(m->point, (geo_point_t){43.7307, 7.4255}) < 80);
    assert_string_equal(lang(m, "en"), "Oceanographic Museum of Monaco");
    assert_non_null(lang(m, "de"));
    assert_null(lang(m, "xx"));
    assert_non_null(strstr(m->address, "Avenue Saint-Martin"));
    assert_non_null(strstr(m->address, "98000"));
    assert_string_equal(m->website, "https://musee.oceano.org");
    assert_non_null(m->opening_hours);
    const geo_osm_place_t *c = find_place(r, 'n', 4416197079LL);
    assert_non_null(c);
    assert_string_equal(c->name, "Casino de Monte Carlo");
    assert_string_equal(geo_osm_category(c->category)->parent, "sights");
    assert_string_equal(c->wheelchair, "limited");
    assert_float_equal(c->point.lat, 43.739160, 1e-6);
    const geo_osm_place_t *cat = find_place(r, 'w', 362871296);
    assert_non_null(cat);
    assert_string_equal(geo_osm_category(cat->category)->name, "place_of_worship");
    assert_string_equal(lang(cat, "en"), "Saint Nicholas Cathedral");
    /* A hotel with stars. */
    bool starred = false;
    for (size_t i = 0; i < geo_osm_place_count(r); i++) {
        const geo_osm_place_t *p = geo_osm_place_at(r, i);
        if (p->name && strcmp(p->name, "Metropole") == 0 && p->stars == 5.0)
            starred = true;
    }
    assert_true(starred);
}

static int copy_prefix(const char *src, const char *dst, long n)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (!in || !out)
        return -1;
    char buf[8192];
    long left = n;
    while (left > 0) {
        size_t k = fread(buf, 1, left < (long)sizeof buf ? (size_t)left : sizeof buf, in);
        if (k == 0)
            break;
        fwrite(buf, 1, k, out);
        left -= (long)k;
    }
    fclose(in);
    fclose(out);
    return 0;
}

static void test_truncated_and_bad_files(void **state)
{
    (void)state;
    char path[] = "/tmp/travloc_osm_XXXXXX.pbf";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    close(fd);
    FILE *f = fopen(monaco(), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    long cuts[] = {3, 10, 200, size / 3, size / 2, size - 100, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        assert_int_equal(copy_prefix(monaco(), path, cuts[i]), 0);
        geo_osm_result_t *r = (geo_osm_result_t *)&r;
        char err[256];
        geo_osm_options_t o = {.err_buf = err, .err_len = sizeof err};
        assert_int_equal(geo_osm_import(path, &o, &r), GEO_ETRUNCATED);
        assert_null(r);
        assert_true(strlen(err) > 10);
    }
    /* Complete copy: fine. */
    assert_int_equal(copy_prefix(monaco(), path, size), 0);
    geo_osm_result_t *r;
    assert_int_equal(geo_osm_import(path, NULL, &r), GEO_OK);
    geo_osm_result_free(r);
    /* Not a PBF at all. */
    f = fopen(path, "wb");
    fputs("this is not an OpenStreetMap file, just some text\n", f);
    fclose(f);
    assert_int_equal(geo_osm_import(path, NULL, &r), GEO_EFORMAT);
    assert_null(r);
    /* Empty file. */
    f = fopen(path, "wb");
    fclose(f);
    assert_int_equal(geo_osm_import(path, NULL, &r), GEO_EFORMAT);
    unlink(path);
    assert_int_equal(geo_osm_import(path, NULL, &r), GEO_ENOTFOUND);
    assert_int_equal(geo_osm_import("/tmp/whatever.txt", NULL, &r), GEO_EINVAL);
    assert_int_equal(geo_osm_import(NULL, NULL, &r), GEO_EINVAL);
    /* A truncated XML file is refused too. */
    char xpath[] = "/tmp/travloc_osm_XXXXXX.osm";
    fd = mkstemps(xpath, 4);
    assert_true(fd >= 0);
    const char *xml = "<?xml version='1.0'?>\n<osm version='0.6'>\n<node id='1' lat='1' lon='2'>"
                      "<tag k='amenity' v='cafe'/></node>\n<way id='2'><nd ref='1'/>";
    assert_int_equal(write(fd, xml, strlen(xml)), (ssize_t)strlen(xml));
    close(fd);
    assert_int_equal(geo_osm_import(xpath, NULL, &r), GEO_ETRUNCATED);
    assert_null(r);
    /* Well-formed but not OSM-shaped XML is fine and yields nothing; broken
     * XML is a format error. */
    FILE *xf = fopen(xpath, "wb");
    fputs("<?xml version='1.0'?><osm><node id='1' lat='1' lon='2'></way></osm>", xf);
    fclose(xf);
    assert_int_equal(geo_osm_import(xpath, NULL, &r), GEO_EFORMAT);
    unlink(xpath);
}

typedef struct prog {
    int calls, cancel_at;
    uint64_t last_total;
    bool done_seen, monotonic;
    geo_osm_progress_t last;
} prog_t;

static int on_progress(void *data, const geo_osm_progress_t *p)
{
    prog_t *pr = data;
    uint64_t total = p->nodes + p->ways + p->relations;
    pr->monotonic = pr->monotonic && total >= pr->last_total;
    pr->last_total = total;
    pr->done_seen = pr->done_seen || p->done;
    pr->last = *p;
    return ++pr->calls == pr->cancel_at;
}

static void test_progress_and_cancel(void **state)
{
    (void)state;
    prog_t pr = {.monotonic = true};
    geo_osm_options_t o = {.progress = on_progress, .progress_data = &pr, .progress_every = 5000,
                           .skip_graph = true};
    geo_osm_result_t *r;
    assert_int_equal(geo_osm_import(monaco(), &o, &r), GEO_OK);
    assert_true(pr.monotonic && pr.done_seen);
    /* 45,672 elements, a call every 5,000 plus the final one. */
    assert_int_equal(pr.calls, 45672 / 5000 + 1);
    assert_int_equal(pr.last.nodes, 39586);
    assert_int_equal(pr.last.relations, 309);
    assert_null(geo_osm_graph(r));
    assert_true(geo_osm_place_count(r) > 1000);
    geo_osm_result_free(r);
    prog_t stop = {.cancel_at = 3, .monotonic = true};
    o.progress_data = &stop;
    assert_int_equal(geo_osm_import(monaco(), &o, &r), GEO_ECANCELED);
    assert_null(r);
    assert_int_equal(stop.calls, 3);
}

static void test_graph_blob(void **state)
{
    geo_osm_result_t *r = *state;
    const geo_graph_t *g = geo_osm_graph(r);
    uint8_t *blob;
    size_t len;
    assert_int_equal(geo_graph_serialize(g, &blob, &len), GEO_OK);
    assert_true(len > 40);
    geo_graph_t *h;
    assert_int_equal(geo_graph_load(blob, len, &h), GEO_OK);
    assert_int_equal(geo_graph_node_count(h), geo_graph_node_count(g));
    assert_int_equal(geo_graph_edge_count(h), geo_graph_edge_count(g));
    assert_int_equal(geo_graph_way_count(h), geo_graph_way_count(g));
    for (uint32_t v = 0; v < geo_graph_node_count(g); v++) {
        geo_point_t a = geo_graph_node_point(g, v), b = geo_graph_node_point(h, v);
        assert_true(a.lat == b.lat && a.lng == b.lng);
        assert_int_equal(geo_graph_node_osm_id(g, v), geo_graph_node_osm_id(h, v));
        uint32_t b1, e1, b2, e2;
        geo_graph_in_edges(g, v, &b1, &e1);
        geo_graph_in_edges(h, v, &b2, &e2);
        assert_int_equal(e1 - b1, e2 - b2);
    }
    for (uint32_t e = 0; e < geo_graph_edge_count(g); e++) {
        assert_memory_equal(geo_graph_edge(g, e), geo_graph_edge(h, e), sizeof(geo_graph_edge_t));
        assert_int_equal(geo_graph_edge_source(g, e), geo_graph_edge_source(h, e));
    }
    for (uint32_t w = 0; w < geo_graph_way_count(g); w++)
        assert_string_equal(geo_graph_way_name(g, w), geo_graph_way_name(h, w));
    /* Re-serialising gives the same bytes. */
    uint8_t *blob2;
    size_t len2;
    assert_int_equal(geo_graph_serialize(h, &blob2, &len2), GEO_OK);
    assert_int_equal(len2, len);
    assert_memory_equal(blob, blob2, len);
    geo_graph_free(h);
    free(blob2);
    /* Damage: truncation, a flipped byte, trailing garbage, a lying header. */
    assert_int_equal(geo_graph_load(blob, len - 1, &h), GEO_ETRUNCATED);
    assert_null(h);
    assert_int_equal(geo_graph_load(blob, 20, &h), GEO_ETRUNCATED);
    assert_int_equal(geo_graph_load("nonsense", 8, &h), GEO_EFORMAT);
    for (size_t pos = 40; pos < len; pos += len / 7) {
        blob[pos] ^= 0x55;
        assert_int_equal(geo_graph_load(blob, len, &h), GEO_EFORMAT);
        blob[pos] ^= 0x55;
    }
    uint8_t *big = malloc(len + 1);
    memcpy(big, blob, len);
    big[len] = 0;
    assert_int_equal(geo_graph_load(big, len + 1, &h), GEO_EFORMAT);
    memcpy(big, blob, 40);
    big[12] = big[13] = big[14] = big[15] = 0xfe; /* ~4 billion nodes */
    assert_int_equal(geo_graph_load(big, len, &h), GEO_ETRUNCATED);
    free(big);
    assert_int_equal(geo_graph_load(blob, len, &h), GEO_OK);
    geo_graph_free(h);
    free(blob);
    /* The graph can be taken out of the result and outlive it. */
    geo_graph_t *taken = geo_osm_take_graph(r);
    assert_ptr_equal(taken, g);
    assert_null(geo_osm_graph(r));
    geo_graph_free(taken);
}

static void test_maxspeed(void **state)
{
    (void)state;
    double v;
    struct { const char *s; double kmh; } ok[] = {
        {"50", 50}, {"30 mph", 48.28032}, {"50 km/h", 50}, {"80kmh", 80}, {"10 knots", 18.52},
        {"walk", 6}, {"FR:urban", 50}, {"FR:rural", 80}, {"DE:zone30", 30}, {"DE:zone:20", 20},
        {"RU:motorway", 120}, {"none", 0}, {"50;30", 30}, {" 70 ", 70}, {"GB:nsl_single", 96.56},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        assert_int_equal(geo_osm_parse_maxspeed(ok[i].s, &v), GEO_OK);
        assert_float_equal(v, ok[i].kmh, 1e-3);
    }
    const char *bad[] = {"", "signals", "variable", "fast", "-5", "50 furlongs", "0", "XX:nowhere",
                         "9999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(geo_osm_parse_maxspeed(bad[i], &v), GEO_EINVAL);
    assert_int_equal(geo_osm_parse_maxspeed(NULL, &v), GEO_EINVAL);
}

#define T(k, v) {k, v}
#define ACCESS(out, ...)                                                                   \
    do {                                                                                    \
        const geo_osm_tag_t t_[] = {__VA_ARGS__};                                           \
        ok_ = geo_osm_way_access(t_, sizeof t_ / sizeof *t_, &(out));                       \
    } while (0)

static void test_way_access(void **state)
{
    (void)state;
    geo_osm_way_access_t a;
    bool ok_;
    ACCESS(a, T("highway", "residential"), T("oneway", "yes"));
    assert_true(ok_);
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 30);
    assert_int_equal(a.bwd[GEO_PROFILE_CAR], 0);
    assert_int_equal(a.bwd[GEO_PROFILE_BICYCLE], 0);
    assert_int_equal(a.bwd[GEO_PROFILE_FOOT], 5); /* pedestrians ignore oneway */
    ACCESS(a, T("highway", "residential"), T("oneway", "-1"), T("oneway:bicycle", "no"));
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 0);
    assert_int_equal(a.bwd[GEO_PROFILE_CAR], 30);
    assert_true(a.fwd[GEO_PROFILE_BICYCLE] > 0 && a.bwd[GEO_PROFILE_BICYCLE] > 0);
    ACCESS(a, T("highway", "tertiary"), T("junction", "roundabout"), T("maxspeed", "30 mph"));
    assert_true(a.roundabout);
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 48);
    assert_int_equal(a.bwd[GEO_PROFILE_CAR], 0);
    ACCESS(a, T("highway", "service"), T("access", "private"), T("foot", "yes"));
    assert_true(ok_);
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 0);
    assert_int_equal(a.fwd[GEO_PROFILE_BICYCLE], 0);
    assert_int_equal(a.fwd[GEO_PROFILE_FOOT], 5);
    ACCESS(a, T("highway", "motorway"));
    assert_int_equal(a.fwd[GEO_PROFILE_FOOT], 0);
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 110);
    assert_int_equal(a.bwd[GEO_PROFILE_CAR], 0); /* implied oneway */
    ACCESS(a, T("highway", "footway"), T("bicycle", "designated"));
    assert_int_equal(a.fwd[GEO_PROFILE_BICYCLE], 6);
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 0);
    ACCESS(a, T("highway", "pedestrian"), T("motor_vehicle", "destination"));
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 10);
    ACCESS(a, T("highway", "primary"), T("maxspeed:forward", "70"), T("maxspeed", "50"));
    assert_int_equal(a.fwd[GEO_PROFILE_CAR], 70);
    assert_int_equal(a.bwd[GEO_PROFILE_CAR], 50);
    ACCESS(a, T("highway", "steps"), T("oneway", "yes"));
    assert_int_equal(a.fwd[GEO_PROFILE_FOOT], 3);
    assert_int_equal(a.bwd[GEO_PROFILE_FOOT], 0); /* oneway on a footpath binds walkers */
    ACCESS(a, T("highway", "residential"), T("oneway", "reversible"));
    assert_int_equal(a.fwd[GEO_PROFILE_CAR] + a.bwd[GEO_PROFILE_CAR], 0);
    ACCESS(a, T("highway", "raceway"));
    assert_false(ok_);
    ACCESS(a, T("highway", "footway"), T("access", "no"));
    assert_false(ok_);
    ACCESS(a, T("building", "yes"));
    assert_false(ok_);
}

static void test_classify(void **state)
{
    (void)state;
    struct { geo_osm_tag_t t[3]; size_t n; const char *want; } cases[] = {
        {{T("tourism", "museum"), T("historic", "castle")}, 2, "museum"},
        {{T("historic", "castle")}, 1, "castle"},
        {{T("amenity", "bench"), T("highway", "bus_stop")}, 2, "bus_stop"},
        {{T("public_transport", "platform"), T("bus", "yes")}, 2, "bus_stop"},
        {{T("public_transport", "platform")}, 1, NULL},
        {{T("shop", "gift")}, 1, "shop"},
        {{T("shop", "supermarket")}, 1, "supermarket"},
        {{T("historic", "boundary_stone")}, 1, NULL},
        {{T("historic", "boundary_stone"), T("name", "Old Stone")}, 2, "historic"},
        {{T("tourism", "information"), T("information", "board")}, 2, NULL},
        {{T("tourism", "information"), T("information", "office")}, 2, "tourist_information"},
        {{T("natural", "tree")}, 1, NULL},
        {{T("name", "Nothing")}, 1, NULL},
        {{T("office", "diplomatic")}, 1, "embassy"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int c = geo_osm_classify(cases[i].t, cases[i].n);
        if (!cases[i].want)
            assert_int_equal(c, -1);
        else
            assert_string_equal(geo_osm_category((size_t)c)->name, cases[i].want);
    }
    assert_int_equal(geo_osm_category_find("cafe") >= 0, 1);
    assert_string_equal(geo_osm_category((size_t)geo_osm_category_find("cafe"))->parent, "food");
    assert_string_equal(geo_osm_category((size_t)geo_osm_category_find("pharmacy"))->parent, "health");
    assert_string_equal(geo_osm_category((size_t)geo_osm_category_find("police"))->parent, "safety");
    assert_string_equal(geo_osm_category((size_t)geo_osm_category_find("hostel"))->parent, "lodging");
    assert_int_equal(geo_osm_category_find("nope"), -1);
    assert_null(geo_osm_category(geo_osm_category_count()));
}

static void test_xml_places(void **state)
{
    (void)state;
    const char *xml =
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "<node id='1' lat='10.0' lon='20.0'/><node id='2' lat='10.0' lon='20.002'/>\n"
        "<node id='3' lat='10.002' lon='20.002'/><node id='4' lat='10.002' lon='20.0'/>\n"
        "<node id='5' lat='10.001' lon='20.001'><tag k='amenity' v='cafe'/>"
        "<tag k='name' v='Chez Test'/><tag k='name:en' v='At Test'/><tag k='name:zh-Hans' v='T'/>"
        "<tag k='name:etymology' v='x'/><tag k='addr:housenumber' v='12'/>"
        "<tag k='addr:street' v='Rue Haute'/><tag k='addr:postcode' v='75001'/>"
        "<tag k='addr:city' v='Paris'/><tag k='contact:phone' v='+33 1 23'/>"
        "<tag k='cuisine' v='coffee_shop'/><tag k='fee' v='no'/></node>\n"
        "<node id='6' lat='-10.0' lon='179.999'/><node id='7' lat='-10.0' lon='-179.999'/>\n"
        "<node id='8' lat='-10.002' lon='-179.999'/><node id='9' lat='-10.002' lon='179.999'/>\n"
        "<way id='20'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='4'/><nd ref='1'/>"
        "<tag k='leisure' v='park'/><tag k='name' v='Square Park'/></way>\n"
        "<way id='21'><nd ref='6'/><nd ref='7'/><nd ref='8'/><nd ref='9'/><nd ref='6'/>"
        "<tag k='tourism' v='attraction'/></way>\n"
        "<way id='22'><nd ref='1'/><nd ref='2'/><nd ref='99'/><tag k='highway' v='footway'/></way>\n"
        "</osm>\n";
    char path[] = "/tmp/travloc_xml_XXXXXX.osm";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, xml, strlen(xml)), (ssize_t)strlen(xml));
    close(fd);
    geo_osm_result_t *r;
    /* Canceling an XML import mid-way works (and leaks nothing). */
    prog_t stop = {.cancel_at = 2, .monotonic = true};
    geo_osm_options_t o = {.progress = on_progress, .progress_data = &stop, .progress_every = 1};
    assert_int_equal(geo_osm_import(path, &o, &r), GEO_ECANCELED);
    assert_null(r);
    /* 12 elements, one call each, then the final call: cancel that one. */
    prog_t last = {.cancel_at = 13, .monotonic = true};
    o.progress_data = &last;
    assert_int_equal(geo_osm_import(path, &o, &r), GEO_ECANCELED);
    assert_null(r);
    assert_true(last.done_seen);
    assert_int_equal(geo_osm_import(path, NULL, &r), GEO_OK);
    unlink(path);
    assert_int_equal(geo_osm_place_count(r), 3);
    const geo_osm_place_t *cafe = find_place(r, 'n', 5);
    assert_non_null(cafe);
    assert_string_equal(cafe->address, "12 Rue Haute, 75001 Paris");
    assert_string_equal(cafe->phone, "+33 1 23");
    assert_string_equal(cafe->cuisine, "coffee_shop");
    assert_string_equal(cafe->fee, "no");
    assert_int_equal(cafe->n_names, 2);
    assert_string_equal(lang(cafe, "en"), "At Test");
    assert_string_equal(lang(cafe, "zh-Hans"), "T");
    assert_int_equal(cafe->n_tags, 12);
    const geo_osm_place_t *park = find_place(r, 'w', 20);
    assert_non_null(park);
    assert_float_equal(park->point.lat, 10.001, 1e-9);
    assert_float_equal(park->point.lng, 20.001, 1e-9);
    assert_null(park->address);
    /* A square across the antimeridian has its centroid on it. */
    const geo_osm_place_t *att = find_place(r, 'w', 21);
    assert_non_null(att);
    assert_float_equal(att->point.lat, -10.001, 1e-9);
    assert_float_equal(fabs(att->point.lng), 180.0, 1e-9);
    /* The footway refers to a node the file lacks. */
    const geo_osm_stats_t *st = geo_osm_result_stats(r);
    assert_int_equal(st->missing_refs, 1);
    assert_int_equal(st->graph_nodes, 2);
    assert_int_equal(st->graph_edges, 2);
    geo_osm_result_free(r);
}

static void test_builder_errors(void **state)
{
    (void)state;
    geo_graph_builder_t *b = geo_graph_builder_new();
    uint32_t n0, n1, w;
    const uint8_t sp[GEO_PROFILE_COUNT] = {5, 0, 0};
    assert_int_equal(geo_graph_builder_add_node(b, 1, (geo_point_t){91, 0}, &n0), GEO_EINVAL);
    assert_int_equal(geo_graph_builder_add_node(b, 1, (geo_point_t){1, 1}, &n0), GEO_OK);
    assert_int_equal(geo_graph_builder_add_node(b, 2, (geo_point_t){1, 1.001}, &n1), GEO_OK);
    assert_int_equal(geo_graph_builder_add_way(b, 7, "A", GEO_HW_COUNT, &w), GEO_EINVAL);
    assert_int_equal(geo_graph_builder_add_way(b, 7, "A", GEO_HW_FOOTWAY, &w), GEO_OK);
    assert_int_equal(geo_graph_builder_add_edge(b, n0, 5, w, -1, sp, 0), GEO_EINVAL);
    assert_int_equal(geo_graph_builder_add_edge(b, n0, n1, w + 1, -1, sp, 0), GEO_EINVAL);
    assert_int_equal(geo_graph_builder_add_edge(b, n0, n1, w, NAN, sp, 0), GEO_EINVAL);
    assert_int_equal(geo_graph_builder_add_edge(b, n0, n1, w, -1, sp, 0), GEO_OK);
    geo_graph_t *g;
    assert_int_equal(geo_graph_builder_finish(b, &g), GEO_OK);
    assert_float_equal(geo_graph_edge(g, 0)->length_m, 111.195 * cos(M_PI / 180), 0.01);
    assert_string_equal(geo_graph_way_name(g, 0), "A");
    assert_string_equal(geo_highway_name(geo_graph_way(g, 0)->highway), "footway");
    geo_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_monaco_counts, setup_import, teardown_import),
        cmocka_unit_test_setup_teardown(test_monaco_relations, setup_import, teardown_import),
        cmocka_unit_test_setup_teardown(test_monaco_known_places, setup_import, teardown_import),
        cmocka_unit_test(test_truncated_and_bad_files),
        cmocka_unit_test(test_progress_and_cancel),
        cmocka_unit_test_setup_teardown(test_graph_blob, setup_import, teardown_import),
        cmocka_unit_test(test_maxspeed),
        cmocka_unit_test(test_way_access),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_xml_places),
        cmocka_unit_test(test_builder_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
