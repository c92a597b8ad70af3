/* geo/osm_graph.c -- routable ways to a compact routing graph.
 *
 * While streaming, routable ways keep their node refs and access; after a
 * complete pass the refs are resolved against the node table, only nodes
 * that routable ways use get (dense, id-ordered) graph indices, and each
 * consecutive pair of nodes becomes one edge per allowed direction.
 */
#include "geo/osm_int.h"

#include <stdlib.h>
#include <string.h>

int geo_osm__way_route(import_t *im, int64_t id, const long long *refs, size_t nr,
                       const geo_osm_tag_t *tags, size_t nt)
{
    geo_osm_way_access_t acc;
    if (nr > UINT32_MAX || !geo_osm_way_access(tags, nt, &acc))
        return GEO_OK;
    if (im->nrefs + nr > im->refcap) {
        size_t cap = im->refcap ? im->refcap : 65536;
        while (cap < im->nrefs + nr)
            cap *= 2;
        int64_t *r = realloc(im->refs, cap * sizeof *r);
        if (!r)
            goto oom;
        im->refs = r;
        im->refcap = cap;
    }
    if (im->nrw == im->rwcap) {
        size_t cap = im->rwcap ? im->rwcap * 2 : 4096;
        rway_t *w = realloc(im->rways, cap * sizeof *w);
        if (!w)
            goto oom;
        im->rways = w;
        im->rwcap = cap;
    }
    const char *name = NULL;
    for (size_t i = 0; i < nt; i++)
        if (tags[i].key && tags[i].value && strcmp(tags[i].key, "name") == 0)
            name = tags[i].value;
    for (size_t i = 0; !name && i < nt; i++)
        if (tags[i].key && tags[i].value && strcmp(tags[i].key, "ref") == 0)
            name = tags[i].value;
    if (name && !(name = geo_osm__arena_strdup(&im->tmp, name)))
        goto oom;
    rway_t *w = &im->rways[im->nrw++];
    w->osm_id = id;
    w->ref_start = im->nrefs;
    w->ref_count = (uint32_t)nr;
    w->name = name;
    w->acc = acc;
    for (size_t i = 0; i < nr; i++)
        im->refs[im->nrefs++] = refs[i];
    im->stats.routable_ways++;
    return GEO_OK;
oom:
    geo_osm__fail(im, GEO_ENOMEM, "out of memory storing routable ways");
    return im->err;
}

static bool any_speed(const uint8_t *s)
{
    for (int p = 0; p < GEO_PROFILE_COUNT; p++)
        if (s[p])
            return true;
    return false;
}

#define UNUSED_NODE UINT32_MAX
#define USED_NODE (UINT32_MAX - 1)

/* Edges of one way; refs already hold node-table indices or -1. */
static int add_way_edges(import_t *im, geo_graph_builder_t *b, const rway_t *w,
                         const uint32_t *compact)
{
    uint32_t wi;
    int rc = geo_graph_builder_add_way(b, w->osm_id, w->name, w->acc.highway, &wi);
    uint8_t rb = w->acc.roundabout ? GEO_EDGE_ROUNDABOUT : 0;
    const int64_t *r = im->refs + w->ref_start;
    for (uint32_t j = 1; !rc && j < w->ref_count; j++) {
        if (r[j - 1] < 0 || r[j] < 0)
            continue;
        uint32_t a = compact[r[j - 1]], c = compact[r[j]];
        if (a == c)
            continue;
        if (any_speed(w->acc.fwd))
            rc = geo_graph_builder_add_edge(b, a, c, wi, -1, w->acc.fwd, rb);
        if (!rc && any_speed(w->acc.bwd))
            rc = geo_graph_builder_add_edge(b, c, a, wi, -1, w->acc.bwd,
                                            rb | GEO_EDGE_BACKWARD);
    }
    return rc;
}

int geo_osm__build_graph(import_t *im)
{
    uint32_t *compact = malloc((im->nn ? im->nn : 1) * sizeof *compact);
    geo_graph_builder_t *b = geo_graph_builder_new();
    int rc = compact && b ? GEO_OK : GEO_ENOMEM;
    for (size_t i = 0; !rc && i < im->nn; i++)
        compact[i] = UNUSED_NODE;
    for (size_t i = 0; !rc && i < im->nrefs; i++) {
        const node_rec_t *nd = geo_osm__node_find(im, im->refs[i]);
        if (!nd) {
            im->refs[i] = -1;
            im->stats.missing_refs++;
            continue;
        }
        im->refs[i] = nd - im->nodes;
        compact[im->refs[i]] = USED_NODE;
    }
    for (size_t i = 0; !rc && i < im->nn; i++) {
        if (compact[i] != USED_NODE)
            continue;
        geo_point_t p = {im->nodes[i].lat / 1e7, im->nodes[i].lng / 1e7};
        rc = geo_graph_builder_add_node(b, im->nodes[i].id, p, &compact[i]);
    }
    for (size_t i = 0; !rc && i < im->nrw; i++)
        rc = add_way_edges(im, b, &im->rways[i], compact);
    free(compact);
    if (rc) {
        geo_graph_builder_free(b);
        geo_osm__fail(im, rc, "building the routing graph failed: %s", geo_strerror(rc));
        return rc;
    }
    rc = geo_graph_builder_finish(b, &im->graph);
    if (rc) {
        geo_osm__fail(im, rc, "building the routing graph failed: %s", geo_strerror(rc));
        return rc;
    }
    im->stats.graph_nodes = geo_graph_node_count(im->graph);
    im->stats.graph_edges = geo_graph_edge_count(im->graph);
    return GEO_OK;
}
