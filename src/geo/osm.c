/* geo/osm.c -- streaming OSM import through libreadosm. See osm.h.
 *
 * One readosm pass with three callbacks. Nodes are appended to a table of
 * (id, lat, lng) kept sorted by id (PBF extracts are sorted; otherwise the
 * table is sorted on first lookup), tagged nodes and ways become places on
 * the spot, every way's node refs are kept for the multipolygon relations
 * that follow (osm_relation.c), and routable ways are recorded (refs +
 * access) to be turned into a graph once the pass has succeeded. Everything is built inside an
 * import_t; only a complete pass moves it into a geo_osm_result_t.
 */
#include "geo/osm.h"
#include "geo/osm_int.h"

#include <expat.h>
#include <math.h>
#include <readosm.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PROGRESS_EVERY 100000u

/* ---- Arena ------------------------------------------------------------------ */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} chunk_t;

void *geo_osm__arena_alloc(geo_osm_arena_t *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        chunk_t *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
        a->bytes += sizeof *c + cap;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += size;
    return p;
}

char *geo_osm__arena_strdup(geo_osm_arena_t *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = geo_osm__arena_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void geo_osm__arena_free(geo_osm_arena_t *a)
{
    for (chunk_t *c = a->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    a->head = NULL;
    a->bytes = 0;
}

/* ---- Result ------------------------------------------------------------------ */

struct geo_osm_result {
    geo_osm_place_t *places;
    size_t n_places;
    geo_osm_arena_t arena;
    geo_graph_t *graph;
    geo_osm_stats_t stats;
};

size_t geo_osm_place_count(const geo_osm_result_t *r) { return r ? r->n_places : 0; }

const geo_osm_place_t *geo_osm_place_at(const geo_osm_result_t *r, size_t i)
{
    return r && i < r->n_places ? &r->places[i] : NULL;
}

const geo_osm_stats_t *geo_osm_result_stats(const geo_osm_result_t *r)
{
    return r ? &r->stats : NULL;
}

const geo_graph_t *geo_osm_graph(const geo_osm_result_t *r) { return r ? r->graph : NULL; }

geo_graph_t *geo_osm_take_graph(geo_osm_result_t *r)
{
    if (!r)
        return NULL;
    geo_graph_t *g = r->graph;
    r->graph = NULL;
    return g;
}

void geo_osm_result_free(geo_osm_result_t *r)
{
    if (!r)
        return;
    free(r->places);
    geo_osm__arena_free(&r->arena);
    geo_graph_free(r->graph);
    free(r);
}

/* ---- Errors and progress ------------------------------------------------------ */

/* What a callback returns to stop. readosm's XML reader leaks its expat
 * parser when a callback aborts, so for XML the pass runs to the end with
 * every callback returning at once; PBF stops immediately. */
static int stop_code(const import_t *im)
{
    return im->xml ? READOSM_OK : READOSM_ABORT;
}

void geo_osm__fail(import_t *im, int err, const char *fmt, ...)
{
    if (im->err)
        return; /* keep the first error */
    im->err = err;
    if (im->opt->err_buf && im->opt->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(im->opt->err_buf, im->opt->err_len, fmt, ap);
        va_end(ap);
    }
}

static int progress(import_t *im, bool done)
{
    uint64_t total = im->stats.nodes + im->stats.ways + im->stats.relations;
    if (!im->opt->progress || (!done && total < im->next_progress))
        return READOSM_OK;
    im->next_progress = total + im->every;
    geo_osm_progress_t p = {im->stats.nodes, im->stats.ways, im->stats.relations, done};
    if (im->opt->progress(im->opt->progress_data, &p) != 0) {
        geo_osm__fail(im, GEO_ECANCELED, "import canceled by the progress callback");
        return stop_code(im);
    }
    return READOSM_OK;
}

/* ---- Node table ----------------------------------------------------------------- */

static int node_cmp(const void *pa, const void *pb)
{
    const node_rec_t *a = pa, *b = pb;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int node_add(import_t *im, int64_t id, double lat, double lng)
{
    geo_point_t p = {lat, lng};
    if (!geo_point_valid(p))
        return GEO_OK; /* unusable coordinates: the node is skipped */
    if (im->nn == im->ncap) {
        size_t cap = im->ncap ? im->ncap * 2 : 65536;
        node_rec_t *t = realloc(im->nodes, cap * sizeof *t);
        if (!t)
            return GEO_ENOMEM;
        im->nodes = t;
        im->ncap = cap;
    }
    if (im->nn && id <= im->nodes[im->nn - 1].id)
        im->unsorted = true;
    im->nodes[im->nn++] = (node_rec_t){id, (int32_t)llround(lat * 1e7),
                                       (int32_t)llround(lng * 1e7)};
    return GEO_OK;
}

const node_rec_t *geo_osm__node_find(import_t *im, int64_t id)
{
    if (im->unsorted) { /* rare: files not sorted by id */
        qsort(im->nodes, im->nn, sizeof *im->nodes, node_cmp);
        im->unsorted = false;
    }
    size_t lo = 0, hi = im->nn;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (im->nodes[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < im->nn && im->nodes[lo].id == id ? &im->nodes[lo] : NULL;
}

/* ---- readosm callbacks ----------------------------------------------------------- */

/* readosm's tags as geo_osm_tag_t, in a scratch array reused per element. */
static const geo_osm_tag_t *tags_of(import_t *im, const readosm_tag *t, int n, size_t *nt)
{
    static const geo_osm_tag_t none[1] = {{NULL, NULL}};
    *nt = 0;
    if (n <= 0 || !t)
        return none;
    if ((size_t)n > im->scratch_cap) {
        size_t cap = (size_t)n < 64 ? 64 : (size_t)n;
        geo_osm_tag_t *s = realloc(im->scratch, cap * sizeof *s);
        if (!s)
            return NULL;
        im->scratch = s;
        im->scratch_cap = cap;
    }
    for (int i = 0; i < n; i++) {
        im->scratch[*nt].key = t[i].key;
        im->scratch[*nt].value = t[i].value;
        *nt += t[i].key && t[i].value;
    }
    return im->scratch;
}

static int on_node(const void *user, const readosm_node *node)
{
    import_t *im = (import_t *)user;
    if (im->err)
        return stop_code(im);
    im->stats.nodes++;
    if (node_add(im, node->id, node->latitude, node->longitude)) {
        geo_osm__fail(im, GEO_ENOMEM, "out of memory storing node %lld", node->id);
        return stop_code(im);
    }
    if (!im->opt->skip_places && node->tag_count > 0) {
        geo_point_t p = {node->latitude, node->longitude};
        size_t nt;
        const geo_osm_tag_t *tags = tags_of(im, node->tags, node->tag_count, &nt);
        if (!tags) {
            geo_osm__fail(im, GEO_ENOMEM, "out of memory reading tags");
            return stop_code(im);
        }
        if (geo_point_valid(p) && geo_osm__place_add(im, 'n', node->id, p, tags, nt))
            return stop_code(im);
    }
    return progress(im, false);
}

static int on_way(const void *user, const readosm_way *way)
{
    import_t *im = (import_t *)user;
    if (im->err)
        return stop_code(im);
    im->stats.ways++;
    size_t nr = way->node_ref_count > 0 ? (size_t)way->node_ref_count : 0, nt;
    if (!im->opt->skip_places && way->node_refs && nr > 0 &&
        geo_osm__way_keep(im, way->id, way->node_refs, nr))
        return stop_code(im);
    if (way->tag_count <= 0 || !way->node_refs || nr == 0)
        return progress(im, false);
    const geo_osm_tag_t *tags = tags_of(im, way->tags, way->tag_count, &nt);
    if (!tags) {
        geo_osm__fail(im, GEO_ENOMEM, "out of memory reading tags");
        return stop_code(im);
    }
    if (!im->opt->skip_places && geo_osm__way_place(im, way->id, way->node_refs, nr, tags, nt))
        return stop_code(im);
    if (!im->opt->skip_graph && nr >= 2 &&
        geo_osm__way_route(im, way->id, way->node_refs, nr, tags, nt))
        return stop_code(im);
    return progress(im, false);
}

static const char *tag_value(const geo_osm_tag_t *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].key, key) == 0)
            return t[i].value;
    return NULL;
}

/* Multipolygon and boundary relations with place tags become places at
 * the centroid of their outer ways (role "outer", or empty as in old
 * multipolygons); site relations (a museum of several buildings) at the
 * centroid of all their ways, whatever the role. Relations come after the ways in a sorted file, so the
 * ways' node refs are known by then (geo_osm__way_keep). */
static int on_relation(const void *user, const readosm_relation *rel)
{
    import_t *im = (import_t *)user;
    if (im->err)
        return stop_code(im);
    im->stats.relations++;
    if (im->opt->skip_places || rel->tag_count <= 0 || rel->member_count <= 0 || !rel->members)
        return progress(im, false);
    size_t nt;
    const geo_osm_tag_t *tags = tags_of(im, rel->tags, rel->tag_count, &nt);
    if (!tags) {
        geo_osm__fail(im, GEO_ENOMEM, "out of memory reading tags");
        return stop_code(im);
    }
    const char *type = tag_value(tags, nt, "type");
    bool site = type && strcmp(type, "site") == 0;
    if (!type || (!site && strcmp(type, "multipolygon") != 0 && strcmp(type, "boundary") != 0))
        return progress(im, false);
    size_t nm = (size_t)rel->member_count, nw = 0;
    if (nm > im->rwcap2) {
        int64_t *t = realloc(im->rel_ways, nm * sizeof *t);
        if (!t) {
            geo_osm__fail(im, GEO_ENOMEM, "out of memory reading relation %lld", rel->id);
            return stop_code(im);
        }
        im->rel_ways = t;
        im->rwcap2 = nm;
    }
    for (size_t i = 0; i < nm; i++) {
        const readosm_member *m = &rel->members[i];
        if (m->member_type == READOSM_MEMBER_WAY &&
            (site || !m->role || !*m->role || strcmp(m->role, "outer") == 0))
            im->rel_ways[nw++] = m->id;
    }
    if (nw && geo_osm__relation_place(im, rel->id, im->rel_ways, nw, tags, nt))
        return stop_code(im);
    return progress(im, false);
}

/* ---- PBF framing check -------------------------------------------------------------
 *
 * A PBF file is a sequence of blocks: a 4-byte big-endian length, a
 * BlobHeader message (field 1 type, field 3 datasize) and datasize bytes of
 * blob. Walking the framing (seeking over the blobs) tells a truncated file
 * from a corrupt one before readosm sees it.
 */

#define PBF_MAX_HEADER 65536u
#define PBF_MAX_BLOB (32u << 20)

static bool pb_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; *pos < len && shift < 64; shift += 7) {
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* Parses a BlobHeader; *type points into hdr (not NUL-terminated). */
static bool pb_blob_header(const uint8_t *hdr, size_t len, const uint8_t **type,
                           size_t *type_len, uint64_t *datasize)
{
    size_t pos = 0;
    bool have_type = false, have_size = false;
    while (pos < len) {
        uint64_t key, v;
        if (!pb_varint(hdr, len, &pos, &key))
            return false;
        unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
        if (wt == 0) {
            if (!pb_varint(hdr, len, &pos, &v))
                return false;
            if (field == 3) {
                *datasize = v;
                have_size = true;
            }
        } else if (wt == 2) {
            if (!pb_varint(hdr, len, &pos, &v) || v > len - pos)
                return false;
            if (field == 1) {
                *type = hdr + pos;
                *type_len = (size_t)v;
                have_type = true;
            }
            pos += (size_t)v;
        } else {
            return false;
        }
    }
    return have_type && have_size;
}

static int pbf_walk(import_t *im, FILE *f, const char *path, uint64_t size, uint8_t *hdr)
{
    uint64_t off = 0;
    for (unsigned block = 0;; block++) {
        uint8_t l4[4];
        size_t got = fread(l4, 1, 4, f);
        if (got == 0 && off == size)
            return block ? GEO_OK : GEO_EFORMAT;
        if (got < 4) {
            geo_osm__fail(im, GEO_ETRUNCATED, "%s: file ends inside block %u (offset %llu)",
                          path, block, (unsigned long long)off);
            return im->err;
        }
        uint32_t hl = (uint32_t)l4[0] << 24 | (uint32_t)l4[1] << 16 | (uint32_t)l4[2] << 8 | l4[3];
        const uint8_t *type = NULL;
        size_t tlen = 0;
        uint64_t ds = 0;
        if (hl == 0 || hl > PBF_MAX_HEADER) {
            geo_osm__fail(im, GEO_EFORMAT, "%s: block %u has an invalid header length", path, block);
            return im->err;
        }
        if (off + 4 + hl > size || fread(hdr, 1, hl, f) != hl) {
            geo_osm__fail(im, GEO_ETRUNCATED, "%s: file ends inside the header of block %u",
                          path, block);
            return im->err;
        }
        if (!pb_blob_header(hdr, hl, &type, &tlen, &ds) || ds == 0 || ds > PBF_MAX_BLOB ||
            (block == 0 && (tlen != 9 || memcmp(type, "OSMHeader", 9) != 0))) {
            geo_osm__fail(im, GEO_EFORMAT, "%s: block %u is not a valid OSM PBF block",
                          path, block);
            return im->err;
        }
        off += 4 + hl;
        if (off + ds > size) {
            geo_osm__fail(im, GEO_ETRUNCATED,
                          "%s: block %u announces %llu bytes but only %llu remain", path,
                          block, (unsigned long long)ds, (unsigned long long)(size - off));
            return im->err;
        }
        if (fseeko(f, (off_t)ds, SEEK_CUR) != 0) {
            geo_osm__fail(im, GEO_EIO, "%s: seek failed", path);
            return im->err;
        }
        off += ds;
    }
}

int geo_osm__pbf_check(import_t *im, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        geo_osm__fail(im, GEO_ENOTFOUND, "%s: cannot open the file", path);
        return im->err;
    }
    uint8_t *hdr = malloc(PBF_MAX_HEADER);
    int rc = GEO_ENOMEM;
    if (!hdr) {
        geo_osm__fail(im, rc, "out of memory");
    } else if (fseeko(f, 0, SEEK_END) != 0 || ftello(f) < 0) {
        geo_osm__fail(im, rc = GEO_EIO, "%s: cannot determine the file size", path);
    } else {
        uint64_t size = (uint64_t)ftello(f);
        rewind(f);
        rc = pbf_walk(im, f, path, size, hdr);
        if (rc == GEO_EFORMAT)
            geo_osm__fail(im, rc, "%s: not an OSM PBF file", path);
    }
    free(hdr);
    fclose(f);
    return rc;
}

/* ---- XML well-formedness check ------------------------------------------------------
 *
 * readosm leaks its parser when expat reports an error, so XML input is
 * first read once with a bare expat parser; only well-formed files reach
 * readosm. A document that simply stops early counts as truncated.
 */
int geo_osm__xml_check(import_t *im, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        geo_osm__fail(im, GEO_ENOTFOUND, "%s: cannot open the file", path);
        return im->err;
    }
    XML_Parser p = XML_ParserCreate(NULL);
    char *buf = malloc(65536);
    int rc = GEO_OK;
    if (!p || !buf) {
        geo_osm__fail(im, rc = GEO_ENOMEM, "out of memory");
    } else {
        for (bool done = false; !done && !rc;) {
            size_t n = fread(buf, 1, 65536, f);
            if (ferror(f)) {
                geo_osm__fail(im, rc = GEO_EIO, "%s: read error", path);
                break;
            }
            done = feof(f) != 0;
            if (XML_Parse(p, buf, (int)n, done) != XML_STATUS_ERROR)
                continue;
            enum XML_Error e = XML_GetErrorCode(p);
            rc = e == XML_ERROR_NO_ELEMENTS || e == XML_ERROR_UNCLOSED_TOKEN ||
                         e == XML_ERROR_PARTIAL_CHAR
                     ? GEO_ETRUNCATED
                     : GEO_EFORMAT;
            geo_osm__fail(im, rc, "%s: line %lu: %s", path,
                          (unsigned long)XML_GetCurrentLineNumber(p), XML_ErrorString(e));
        }
    }
    if (p)
        XML_ParserFree(p);
    free(buf);
    fclose(f);
    return rc;
}

/* ---- Driver ------------------------------------------------------------------------ */

static int map_readosm_error(import_t *im, int rc, const char *path)
{
    switch (rc) {
    case READOSM_INVALID_SUFFIX:
        geo_osm__fail(im, GEO_EINVAL, "%s: the name must end in .pbf or .osm", path);
        break;
    case READOSM_FILE_NOT_FOUND:
        geo_osm__fail(im, GEO_ENOTFOUND, "%s: cannot open the file", path);
        break;
    case READOSM_INSUFFICIENT_MEMORY:
        geo_osm__fail(im, GEO_ENOMEM, "%s: out of memory while parsing", path);
        break;
    case READOSM_READ_ERROR:
        geo_osm__fail(im, GEO_EIO, "%s: read error", path);
        break;
    case READOSM_ABORT:
        geo_osm__fail(im, GEO_ECANCELED, "%s: parsing aborted", path);
        break;
    default:
        geo_osm__fail(im, GEO_EFORMAT, "%s: not a valid OSM file (readosm error %d)", path, rc);
        break;
    }
    return im->err;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static void import_cleanup(import_t *im)
{
    free(im->nodes);
    free(im->rways);
    free(im->refs);
    free(im->places);
    free(im->scratch);
    free(im->wspans);
    free(im->wnodes);
    free(im->rel_ways);
    geo_osm__arena_free(&im->arena);
    geo_osm__arena_free(&im->tmp);
    geo_graph_free(im->graph);
}

static int run_pass(import_t *im, const char *path)
{
    im->xml = has_suffix(path, ".osm");
    int rc = im->xml ? geo_osm__xml_check(im, path)
                     : has_suffix(path, ".pbf") ? geo_osm__pbf_check(im, path) : GEO_OK;
    if (rc)
        return rc;
    const void *h = NULL;
    rc = readosm_open(path, &h);
    if (rc == READOSM_OK)
        rc = readosm_parse(h, im, on_node, on_way, on_relation);
    if (h)
        readosm_close(h);
    if (rc != READOSM_OK)
        return im->err ? im->err : map_readosm_error(im, rc, path);
    if (im->err)
        return im->err;
    if (!im->opt->skip_graph && (rc = geo_osm__build_graph(im)) != GEO_OK)
        return rc;
    progress(im, true); /* the final call may still cancel */
    return im->err;
}

int geo_osm_import(const char *path, const geo_osm_options_t *opt, geo_osm_result_t **out)
{
    static const geo_osm_options_t defaults = {0};
    if (!out)
        return GEO_EINVAL;
    *out = NULL;
    if (!opt)
        opt = &defaults;
    if (opt->err_buf && opt->err_len)
        opt->err_buf[0] = '\0';
    if (!path)
        return GEO_EINVAL;
    import_t im = {.opt = opt};
    im.every = opt->progress_every ? opt->progress_every : DEFAULT_PROGRESS_EVERY;
    im.next_progress = im.every;
    int rc = run_pass(&im, path);
    geo_osm_result_t *r = rc ? NULL : calloc(1, sizeof *r);
    if (!rc && !r)
        rc = GEO_ENOMEM;
    if (rc) {
        import_cleanup(&im);
        return rc;
    }
    r->places = im.places;
    r->n_places = im.n_places;
    r->arena = im.arena;
    r->graph = im.graph;
    im.stats.places = im.n_places;
    r->stats = im.stats;
    im.places = NULL;
    im.arena.head = NULL;
    im.graph = NULL;
    import_cleanup(&im);
    *out = r;
    return GEO_OK;
}
