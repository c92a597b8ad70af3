/* geo/graph.c -- routing graph storage, builder and blob format. See graph.h. */
#include "geo/graph.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct geo_graph {
    uint32_t n, m, nw, names_len;
    int32_t *coord;          /* 2n: lat, lng in 1e-7 degrees */
    int64_t *osm;            /* n */
    uint32_t *first;         /* n + 1 */
    geo_graph_edge_t *edges; /* m, grouped by source */
    geo_graph_way_t *ways;   /* nw */
    char *names;             /* names_len; names[0] == '\0' */
    uint32_t *rfirst;        /* n + 1 */
    uint32_t *redge;         /* m: edge indices grouped by target */
    uint32_t *esrc;          /* m: source node of each edge */
};

static const char *const hw_names[GEO_HW_COUNT] = {
    "other", "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
    "residential", "motorway_link", "trunk_link", "primary_link", "secondary_link",
    "tertiary_link", "living_street", "service", "road", "track", "pedestrian", "footway",
    "path", "cycleway", "bridleway", "steps", "corridor", "platform", "elevator",
};

const char *geo_highway_name(int hw)
{
    return hw > 0 && hw < GEO_HW_COUNT ? hw_names[hw] : hw_names[0];
}

int geo_highway_parse(const char *value)
{
    if (!value)
        return GEO_HW_OTHER;
    for (int i = 1; i < GEO_HW_COUNT; i++)
        if (strcmp(value, hw_names[i]) == 0)
            return i;
    return GEO_HW_OTHER;
}

/* ---- Accessors --------------------------------------------------------- */

uint32_t geo_graph_node_count(const geo_graph_t *g) { return g ? g->n : 0; }
uint32_t geo_graph_edge_count(const geo_graph_t *g) { return g ? g->m : 0; }
uint32_t geo_graph_way_count(const geo_graph_t *g) { return g ? g->nw : 0; }

geo_point_t geo_graph_node_point(const geo_graph_t *g, uint32_t node)
{
    assert(node < g->n);
    geo_point_t p = {(double)g->coord[2 * (size_t)node] / 1e7,
                     (double)g->coord[2 * (size_t)node + 1] / 1e7};
    return p;
}

int64_t geo_graph_node_osm_id(const geo_graph_t *g, uint32_t node)
{
    assert(node < g->n);
    return g->osm[node];
}

void geo_graph_out_edges(const geo_graph_t *g, uint32_t node, uint32_t *begin, uint32_t *end)
{
    assert(node < g->n);
    *begin = g->first[node];
    *end = g->first[node + 1];
}

void geo_graph_in_edges(const geo_graph_t *g, uint32_t node, uint32_t *begin, uint32_t *end)
{
    assert(node < g->n);
    *begin = g->rfirst[node];
    *end = g->rfirst[node + 1];
}

uint32_t geo_graph_in_edge(const geo_graph_t *g, uint32_t i)
{
    assert(i < g->m);
    return g->redge[i];
}

uint32_t geo_graph_edge_source(const geo_graph_t *g, uint32_t edge)
{
    assert(edge < g->m);
    return g->esrc[edge];
}

const geo_graph_edge_t *geo_graph_edge(const geo_graph_t *g, uint32_t edge)
{
    assert(edge < g->m);
    return &g->edges[edge];
}

const geo_graph_way_t *geo_graph_way(const geo_graph_t *g, uint32_t way)
{
    assert(way < g->nw);
    return &g->ways[way];
}

const char *geo_graph_way_name(const geo_graph_t *g, uint32_t way)
{
    assert(way < g->nw);
    return g->names + g->ways[way].name;
}

size_t geo_graph_memory(const geo_graph_t *g)
{
    if (!g)
        return 0;
    return sizeof *g + (size_t)g->n * (8 + 8 + 4 + 4) + 8 + (size_t)g->m * (sizeof *g->edges + 8) +
           (size_t)g->nw * sizeof *g->ways + g->names_len;
}

void geo_graph_free(geo_graph_t *g)
{
    if (!g)
        return;
    free(g->coord);
    free(g->osm);
    free(g->first);
    free(g->edges);
    free(g->ways);
    free(g->names);
    free(g->rfirst);
    free(g->redge);
    free(g->esrc);
    free(g);
}

/* Builds rfirst/redge/esrc from first/edges. */
static int derive_reverse(geo_graph_t *g)
{
    g->rfirst = calloc((size_t)g->n + 1, sizeof *g->rfirst);
    g->redge = malloc(((size_t)g->m + 1) * sizeof *g->redge);
    g->esrc = malloc(((size_t)g->m + 1) * sizeof *g->esrc);
    if (!g->rfirst || !g->redge || !g->esrc)
        return GEO_ENOMEM;
    for (uint32_t u = 0; u < g->n; u++)
        for (uint32_t e = g->first[u]; e < g->first[u + 1]; e++) {
            g->esrc[e] = u;
            g->rfirst[g->edges[e].target + 1]++;
        }
    for (uint32_t v = 0; v < g->n; v++)
        g->rfirst[v + 1] += g->rfirst[v];
    uint32_t *fill = malloc(((size_t)g->n + 1) * sizeof *fill);
    if (!fill)
        return GEO_ENOMEM;
    memcpy(fill, g->rfirst, ((size_t)g->n + 1) * sizeof *fill);
    for (uint32_t e = 0; e < g->m; e++)
        g->redge[fill[g->edges[e].target]++] = e;
    free(fill);
    return GEO_OK;
}

/* ---- Builder ------------------------------------------------------------- */

typedef struct bedge {
    uint32_t src;
    geo_graph_edge_t e;
} bedge_t;

struct geo_graph_builder {
    int32_t *coord;
    int64_t *osm;
    size_t n, ncap, ccap;
    geo_graph_way_t *ways;
    size_t nw, wcap;
    char *names;
    size_t names_len, names_cap;
    uint32_t *intern; /* open addressing of name offsets; 0 = empty */
    size_t icap, icount;
    bedge_t *edges;
    size_t m, mcap;
};

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return GEO_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    if (c > SIZE_MAX / elem)
        return GEO_ENOMEM;
    void *q = realloc(*p, c * elem);
    if (!q)
        return GEO_ENOMEM;
    *p = q;
    *cap = c;
    return GEO_OK;
}

geo_graph_builder_t *geo_graph_builder_new(void)
{
    geo_graph_builder_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (grow((void **)&b->names, &b->names_cap, 1, 1)) {
        free(b);
        return NULL;
    }
    b->names[0] = '\0';
    b->names_len = 1;
    return b;
}

void geo_graph_builder_free(geo_graph_builder_t *b)
{
    if (!b)
        return;
    free(b->coord);
    free(b->osm);
    free(b->ways);
    free(b->names);
    free(b->intern);
    free(b->edges);
    free(b);
}

int geo_graph_builder_add_node(geo_graph_builder_t *b, int64_t osm_id, geo_point_t p,
                               uint32_t *out)
{
    if (!b || !out || !geo_point_valid(p))
        return GEO_EINVAL;
    if (b->n >= UINT32_MAX - 1)
        return GEO_ERANGE;
    if (grow((void **)&b->osm, &b->ncap, b->n + 1, sizeof *b->osm) ||
        grow((void **)&b->coord, &b->ccap, 2 * (b->n + 1), sizeof *b->coord))
        return GEO_ENOMEM;
    b->coord[2 * b->n] = (int32_t)llround(p.lat * 1e7);
    b->coord[2 * b->n + 1] = (int32_t)llround(p.lng * 1e7);
    b->osm[b->n] = osm_id;
    *out = (uint32_t)b->n++;
    return GEO_OK;
}

static uint64_t fnv1a(const void *data, size_t len, uint64_t h)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV_OFFSET 0xcbf29ce484222325ULL

static int intern_rehash(geo_graph_builder_t *b)
{
    size_t cap = b->icap ? b->icap * 2 : 256;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return GEO_ENOMEM;
    for (size_t i = 0; i < b->icap; i++) {
        uint32_t off = b->intern[i];
        if (!off)
            continue;
        size_t j = fnv1a(b->names + off, strlen(b->names + off), FNV_OFFSET) & (cap - 1);
        while (t[j])
            j = (j + 1) & (cap - 1);
        t[j] = off;
    }
    free(b->intern);
    b->intern = t;
    b->icap = cap;
    return GEO_OK;
}

/* Offset of name in the pool, adding it if new. */
static int intern_name(geo_graph_builder_t *b, const char *name, uint32_t *off)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0) {
        *off = 0;
        return GEO_OK;
    }
    if ((b->icount + 1) * 2 > b->icap && intern_rehash(b))
        return GEO_ENOMEM;
    size_t j = fnv1a(name, len, FNV_OFFSET) & (b->icap - 1);
    for (; b->intern[j]; j = (j + 1) & (b->icap - 1))
        if (strcmp(b->names + b->intern[j], name) == 0) {
            *off = b->intern[j];
            return GEO_OK;
        }
    if (b->names_len + len + 1 > UINT32_MAX)
        return GEO_ERANGE;
    if (grow((void **)&b->names, &b->names_cap, b->names_len + len + 1, 1))
        return GEO_ENOMEM;
    memcpy(b->names + b->names_len, name, len + 1);
    *off = (uint32_t)b->names_len;
    b->intern[j] = *off;
    b->icount++;
    b->names_len += len + 1;
    return GEO_OK;
}

int geo_graph_builder_add_way(geo_graph_builder_t *b, int64_t osm_id, const char *name,
                              int highway, uint32_t *out)
{
    if (!b || !out || highway < 0 || highway >= GEO_HW_COUNT)
        return GEO_EINVAL;
    if (b->nw >= UINT32_MAX - 1)
        return GEO_ERANGE;
    uint32_t off;
    int rc = intern_name(b, name, &off);
    if (rc)
        return rc;
    if (grow((void **)&b->ways, &b->wcap, b->nw + 1, sizeof *b->ways))
        return GEO_ENOMEM;
    geo_graph_way_t *w = &b->ways[b->nw];
    memset(w, 0, sizeof *w);
    w->osm_id = osm_id;
    w->name = off;
    w->highway = (uint8_t)highway;
    *out = (uint32_t)b->nw++;
    return GEO_OK;
}

int geo_graph_builder_add_edge(geo_graph_builder_t *b, uint32_t from, uint32_t to,
                               uint32_t way, double length_m,
                               const uint8_t speed_kmh[GEO_PROFILE_COUNT], uint8_t flags)
{
    if (!b || !speed_kmh || from >= b->n || to >= b->n || way >= b->nw || isnan(length_m) ||
        isinf(length_m) || length_m > 1e8)
        return GEO_EINVAL;
    if (b->m >= UINT32_MAX - 1)
        return GEO_ERANGE;
    if (length_m < 0) {
        geo_point_t a = {b->coord[2 * (size_t)from] / 1e7, b->coord[2 * (size_t)from + 1] / 1e7};
        geo_point_t c = {b->coord[2 * (size_t)to] / 1e7, b->coord[2 * (size_t)to + 1] / 1e7};
        length_m = geo_distance_m(a, c);
    }
    if (grow((void **)&b->edges, &b->mcap, b->m + 1, sizeof *b->edges))
        return GEO_ENOMEM;
    bedge_t *e = &b->edges[b->m++];
    e->src = from;
    e->e.target = to;
    e->e.way = way;
    e->e.length_m = (float)length_m;
    memcpy(e->e.speed_kmh, speed_kmh, GEO_PROFILE_COUNT);
    e->e.flags = flags;
    return GEO_OK;
}

static geo_graph_t *graph_alloc(uint32_t n, uint32_t m, uint32_t nw, uint32_t names_len)
{
    geo_graph_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->n = n;
    g->m = m;
    g->nw = nw;
    g->names_len = names_len;
    g->coord = malloc(((size_t)n * 2 + 1) * sizeof *g->coord);
    g->osm = malloc(((size_t)n + 1) * sizeof *g->osm);
    g->first = calloc((size_t)n + 1, sizeof *g->first);
    g->edges = malloc(((size_t)m + 1) * sizeof *g->edges);
    g->ways = malloc(((size_t)nw + 1) * sizeof *g->ways);
    g->names = malloc((size_t)names_len + 1);
    if (!g->coord || !g->osm || !g->first || !g->edges || !g->ways || !g->names) {
        geo_graph_free(g);
        return NULL;
    }
    return g;
}

int geo_graph_builder_finish(geo_graph_builder_t *b, geo_graph_t **out)
{
    if (!out) {
        geo_graph_builder_free(b);
        return GEO_EINVAL;
    }
    *out = NULL;
    if (!b)
        return GEO_EINVAL;
    geo_graph_t *g = graph_alloc((uint32_t)b->n, (uint32_t)b->m, (uint32_t)b->nw,
                                 (uint32_t)b->names_len);
    if (!g) {
        geo_graph_builder_free(b);
        return GEO_ENOMEM;
    }
    if (b->n) {
        memcpy(g->coord, b->coord, b->n * 2 * sizeof *g->coord);
        memcpy(g->osm, b->osm, b->n * sizeof *g->osm);
    }
    if (b->nw)
        memcpy(g->ways, b->ways, b->nw * sizeof *g->ways);
    memcpy(g->names, b->names, b->names_len);
    /* Stable counting sort of the edges by source. */
    for (size_t i = 0; i < b->m; i++)
        g->first[b->edges[i].src + 1]++;
    for (uint32_t u = 0; u < g->n; u++)
        g->first[u + 1] += g->first[u];
    uint32_t *fill = malloc(((size_t)g->n + 1) * sizeof *fill);
    int rc = GEO_ENOMEM;
    if (fill) {
        memcpy(fill, g->first, ((size_t)g->n + 1) * sizeof *fill);
        for (size_t i = 0; i < b->m; i++)
            g->edges[fill[b->edges[i].src]++] = b->edges[i].e;
        free(fill);
        rc = derive_reverse(g);
    }
    geo_graph_builder_free(b);
    if (rc) {
        geo_graph_free(g);
        return rc;
    }
    *out = g;
    return GEO_OK;
}

/* ---- Blob ---------------------------------------------------------------- */

#define BLOB_MAGIC "TLGRAPH"
#define BLOB_VERSION 1u
#define BLOB_HEADER 40u

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}

static uint8_t *put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
    return p + 8;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t payload_size(uint64_t n, uint64_t m, uint64_t nw, uint64_t names)
{
    return n * 8 + n * 8 + (n + 1) * 4 + m * 16 + nw * 16 + names;
}

int geo_graph_serialize(const geo_graph_t *g, uint8_t **blob, size_t *len)
{
    if (!g || !blob || !len)
        return GEO_EINVAL;
    uint64_t size = BLOB_HEADER + payload_size(g->n, g->m, g->nw, g->names_len);
    if (size > SIZE_MAX)
        return GEO_ERANGE;
    uint8_t *buf = malloc((size_t)size);
    if (!buf)
        return GEO_ENOMEM;
    uint8_t *p = buf + BLOB_HEADER;
    for (size_t i = 0; i < 2 * (size_t)g->n; i++)
        p = put32(p, (uint32_t)g->coord[i]);
    for (uint32_t i = 0; i < g->n; i++)
        p = put64(p, (uint64_t)g->osm[i]);
    for (uint32_t i = 0; i <= g->n; i++)
        p = put32(p, g->first[i]);
    for (uint32_t i = 0; i < g->m; i++) {
        const geo_graph_edge_t *e = &g->edges[i];
        uint32_t bits;
        memcpy(&bits, &e->length_m, 4);
        p = put32(put32(put32(p, e->target), e->way), bits);
        memcpy(p, e->speed_kmh, GEO_PROFILE_COUNT);
        p[3] = e->flags;
        p += 4;
    }
    for (uint32_t i = 0; i < g->nw; i++) {
        p = put32(put64(p, (uint64_t)g->ways[i].osm_id), g->ways[i].name);
        p[0] = g->ways[i].highway;
        p[1] = p[2] = p[3] = 0;
        p += 4;
    }
    memcpy(p, g->names, g->names_len);
    uint8_t *h = buf;
    memcpy(h, BLOB_MAGIC, 8);
    h = put32(put32(put32(put32(put32(put32(h + 8, BLOB_VERSION), g->n), g->m), g->nw),
                    g->names_len), 0);
    put64(h, fnv1a(buf + BLOB_HEADER, (size_t)size - BLOB_HEADER, FNV_OFFSET));
    *blob = buf;
    *len = (size_t)size;
    return GEO_OK;
}

/* Decodes and checks the payload into g. */
static int load_payload(geo_graph_t *g, const uint8_t *p)
{
    for (size_t i = 0; i < (size_t)g->n; i++) {
        int32_t lat = (int32_t)get32(p), lng = (int32_t)get32(p + 4);
        if (lat < -900000000 || lat > 900000000 || lng < -1800000000 || lng > 1800000000)
            return GEO_EFORMAT;
        g->coord[2 * i] = lat;
        g->coord[2 * i + 1] = lng;
        p += 8;
    }
    for (uint32_t i = 0; i < g->n; i++, p += 8)
        g->osm[i] = (int64_t)get64(p);
    for (uint32_t i = 0; i <= g->n; i++, p += 4) {
        g->first[i] = get32(p);
        if ((i == 0 && g->first[0] != 0) || (i > 0 && g->first[i] < g->first[i - 1]))
            return GEO_EFORMAT;
    }
    if (g->first[g->n] != g->m)
        return GEO_EFORMAT;
    for (uint32_t i = 0; i < g->m; i++, p += 16) {
        geo_graph_edge_t *e = &g->edges[i];
        uint32_t bits = get32(p + 8);
        e->target = get32(p);
        e->way = get32(p + 4);
        memcpy(&e->length_m, &bits, 4);
        memcpy(e->speed_kmh, p + 12, GEO_PROFILE_COUNT);
        e->flags = p[15];
        if (e->target >= g->n || e->way >= g->nw || !isfinite(e->length_m) ||
            e->length_m < 0 || (e->flags & ~(GEO_EDGE_ROUNDABOUT | GEO_EDGE_BACKWARD)))
            return GEO_EFORMAT;
    }
    for (uint32_t i = 0; i < g->nw; i++, p += 16) {
        geo_graph_way_t *w = &g->ways[i];
        memset(w, 0, sizeof *w);
        w->osm_id = (int64_t)get64(p);
        w->name = get32(p + 8);
        w->highway = p[12];
        if (w->name >= g->names_len || w->highway >= GEO_HW_COUNT)
            return GEO_EFORMAT;
    }
    memcpy(g->names, p, g->names_len);
    if (g->names_len == 0 || g->names[0] != '\0' || g->names[g->names_len - 1] != '\0')
        return GEO_EFORMAT;
    return derive_reverse(g);
}

int geo_graph_load(const void *blob, size_t len, geo_graph_t **out)
{
    if (!out || (!blob && len))
        return GEO_EINVAL;
    *out = NULL;
    const uint8_t *b = blob;
    if (len < BLOB_HEADER)
        return len >= 8 && memcmp(b, BLOB_MAGIC, 8) == 0 ? GEO_ETRUNCATED : GEO_EFORMAT;
    if (memcmp(b, BLOB_MAGIC, 8) != 0 || get32(b + 8) != BLOB_VERSION)
        return GEO_EFORMAT;
    uint32_t n = get32(b + 12), m = get32(b + 16), nw = get32(b + 20), names = get32(b + 24);
    if (n == UINT32_MAX || m == UINT32_MAX || nw == UINT32_MAX || names == UINT32_MAX)
        return GEO_EFORMAT;
    uint64_t need = BLOB_HEADER + payload_size(n, m, nw, names);
    if (len < need)
        return GEO_ETRUNCATED;
    if (len > need)
        return GEO_EFORMAT;
    if (fnv1a(b + BLOB_HEADER, (size_t)need - BLOB_HEADER, FNV_OFFSET) != get64(b + 32))
        return GEO_EFORMAT;
    geo_graph_t *g = graph_alloc(n, m, nw, names);
    if (!g)
        return GEO_ENOMEM;
    int rc = load_payload(g, b + BLOB_HEADER);
    if (rc) {
        geo_graph_free(g);
        return rc;
    }
    *out = g;
    return GEO_OK;
}
