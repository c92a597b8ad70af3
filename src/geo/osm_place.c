/* geo/osm_place.c -- turning tagged nodes and ways into places.
 *
 * Every string of a place is copied into the import arena (readosm's tags
 * only live during its callback); the named fields point at those copies.
 */
#include "geo/osm_int.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEG2RAD (M_PI / 180.0)

/* "name:de", "name:zh-Hans", "name:pt_BR": a language code after "name:". */
static bool is_name_translation(const char *key)
{
    if (strncmp(key, "name:", 5) != 0)
        return false;
    const char *p = key + 5;
    size_t n = 0;
    while (p[n] >= 'a' && p[n] <= 'z')
        n++;
    if (n < 2 || n > 3)
        return false;
    p += n;
    while (*p == '-' || *p == '_') {
        p++;
        size_t k = 0;
        while (isalnum((unsigned char)p[k]))
            k++;
        if (k == 0)
            return false;
        p += k;
    }
    return *p == '\0';
}

static const char *find(const geo_osm_tag_t *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].key, key) == 0)
            return t[i].value;
    return NULL;
}

static void join(char *buf, size_t cap, size_t *len, const char *sep, const char *part)
{
    if (!part || !*part || *len >= cap)
        return;
    int w = snprintf(buf + *len, cap - *len, "%s%s", *len ? sep : "", part);
    if (w > 0)
        *len += (size_t)w;
    if (*len >= cap)
        *len = cap - 1;
}

/* "12 Avenue X, 98000 Monaco, MC" from addr:* (or addr:full), NULL if none. */
static const char *address_of(import_t *im, const geo_osm_tag_t *t, size_t n)
{
    const char *full = find(t, n, "addr:full");
    if (full)
        return full;
    const char *street = find(t, n, "addr:street");
    if (!street)
        street = find(t, n, "addr:place");
    char line1[256] = "", line2[256] = "", buf[768];
    size_t l1 = 0, l2 = 0, len = 0;
    join(line1, sizeof line1, &l1, " ", find(t, n, "addr:housenumber"));
    join(line1, sizeof line1, &l1, " ", street);
    join(line2, sizeof line2, &l2, " ", find(t, n, "addr:postcode"));
    join(line2, sizeof line2, &l2, " ", find(t, n, "addr:city"));
    join(buf, sizeof buf, &len, ", ", line1);
    join(buf, sizeof buf, &len, ", ", line2);
    join(buf, sizeof buf, &len, ", ", find(t, n, "addr:country"));
    return len ? geo_osm__arena_strdup(&im->arena, buf) : (const char *)"";
}

static int grow_places(import_t *im)
{
    if (im->n_places < im->pcap)
        return GEO_OK;
    size_t cap = im->pcap ? im->pcap * 2 : 1024;
    geo_osm_place_t *p = realloc(im->places, cap * sizeof *p);
    if (!p)
        return GEO_ENOMEM;
    im->places = p;
    im->pcap = cap;
    return GEO_OK;
}

/* Copies the tags; fills names/tags of pl. */
static int copy_tags(import_t *im, const geo_osm_tag_t *tags, size_t nt, geo_osm_place_t *pl)
{
    geo_osm_tag_t *t = geo_osm__arena_alloc(&im->arena, (nt ? nt : 1) * sizeof *t);
    if (!t)
        return GEO_ENOMEM;
    size_t n = 0, n_names = 0;
    for (size_t i = 0; i < nt; i++) {
        if (!tags[i].key || !tags[i].value)
            continue;
        t[n].key = geo_osm__arena_strdup(&im->arena, tags[i].key);
        t[n].value = geo_osm__arena_strdup(&im->arena, tags[i].value);
        if (!t[n].key || !t[n].value)
            return GEO_ENOMEM;
        n_names += is_name_translation(t[n].key);
        n++;
    }
    geo_osm_tag_t *names = geo_osm__arena_alloc(&im->arena, (n_names ? n_names : 1) * sizeof *names);
    if (!names)
        return GEO_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (is_name_translation(t[i].key))
            names[k++] = (geo_osm_tag_t){t[i].key + 5, t[i].value};
    pl->tags = t;
    pl->n_tags = n;
    pl->names = names;
    pl->n_names = k;
    return GEO_OK;
}

static int place_add_cat(import_t *im, int cat, char type, int64_t id, geo_point_t p,
                         const geo_osm_tag_t *tags, size_t nt)
{
    if (grow_places(im))
        goto oom;
    geo_osm_place_t *pl = &im->places[im->n_places];
    memset(pl, 0, sizeof *pl);
    pl->osm_type = type;
    pl->osm_id = id;
    pl->point = p;
    pl->category = (uint16_t)cat;
    pl->category_name = geo_osm_category((size_t)cat)->name;
    pl->parent = geo_osm_category((size_t)cat)->parent;
    if (copy_tags(im, tags, nt, pl))
        goto oom;
    const geo_osm_tag_t *t = pl->tags;
    size_t n = pl->n_tags;
    pl->name = find(t, n, "name");
    pl->opening_hours = find(t, n, "opening_hours");
    pl->website = find(t, n, "website");
    if (!pl->website)
        pl->website = find(t, n, "contact:website");
    pl->phone = find(t, n, "phone");
    if (!pl->phone)
        pl->phone = find(t, n, "contact:phone");
    pl->wheelchair = find(t, n, "wheelchair");
    pl->cuisine = find(t, n, "cuisine");
    pl->fee = find(t, n, "fee");
    const char *stars = find(t, n, "stars");
    if (stars) {
        double s = strtod(stars, NULL);
        pl->stars = s > 0 && s <= 7 ? s : 0;
    }
    pl->address = address_of(im, t, n);
    if (!pl->address)
        goto oom;
    if (!*pl->address)
        pl->address = NULL;
    im->n_places++;
    return GEO_OK;
oom:
    geo_osm__fail(im, GEO_ENOMEM, "out of memory storing places");
    return im->err;
}

int geo_osm__place_add(import_t *im, char type, int64_t id, geo_point_t p,
                       const geo_osm_tag_t *tags, size_t nt)
{
    int cat = geo_osm_classify(tags, nt);
    return cat < 0 ? GEO_OK : place_add_cat(im, cat, type, id, p, tags, nt);
}

/* Area centroid of a closed way (vertex mean for open ones or degenerate
 * rings), computed in a local plane around the first node so that ways
 * crossing the antimeridian come out right. False if no node is known. */
static bool way_centroid(import_t *im, const long long *refs, size_t nr, geo_point_t *out)
{
    bool closed = nr >= 4 && refs[0] == refs[nr - 1], ring = closed;
    size_t n = closed ? nr - 1 : nr, k = 0;
    double lat0 = 0, lng0 = 0, c0 = 1, sx = 0, sy = 0, a2 = 0, cx = 0, cy = 0;
    double px = 0, py = 0, fx = 0, fy = 0;
    for (size_t i = 0; i < n; i++) {
        const node_rec_t *nd = geo_osm__node_find(im, refs[i]);
        if (!nd) {
            ring = false;
            continue;
        }
        double lat = nd->lat / 1e7, lng = nd->lng / 1e7;
        if (k == 0) {
            lat0 = lat;
            lng0 = lng;
            c0 = cos(lat0 * DEG2RAD);
        }
        double dl = lng - lng0;
        dl += dl > 180 ? -360 : dl < -180 ? 360 : 0;
        double x = dl * c0, y = lat - lat0;
        sx += x;
        sy += y;
        if (k == 0) {
            fx = x;
            fy = y;
        } else {
            double cr = px * y - x * py;
            a2 += cr;
            cx += (px + x) * cr;
            cy += (py + y) * cr;
        }
        px = x;
        py = y;
        k++;
    }
    if (k == 0)
        return false;
    double cr = px * fy - fx * py;
    a2 += cr;
    cx += (px + fx) * cr;
    cy += (py + fy) * cr;
    double X = sx / (double)k, Y = sy / (double)k;
    if (ring && k >= 3 && fabs(a2) > 1e-14) {
        X = cx / (3 * a2);
        Y = cy / (3 * a2);
    }
    out->lat = fmax(-90, fmin(90, lat0 + Y));
    out->lng = geo_lng_normalize(lng0 + (c0 > 1e-9 ? X / c0 : 0));
    return geo_point_valid(*out);
}

int geo_osm__way_place(import_t *im, int64_t id, const long long *refs, size_t nr,
                       const geo_osm_tag_t *tags, size_t nt)
{
    int cat = geo_osm_classify(tags, nt);
    geo_point_t c;
    if (cat < 0 || !way_centroid(im, refs, nr, &c))
        return GEO_OK;
    return place_add_cat(im, cat, 'w', id, c, tags, nt);
}
