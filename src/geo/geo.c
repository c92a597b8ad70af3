/* geo/geo.c -- great-circle maths and encoded polylines. See geo.h. */
#include "geo/geo.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define DEG2RAD (M_PI / 180.0)
#define RAD2DEG (180.0 / M_PI)

const char *geo_strerror(int err)
{
    switch (err) {
    case GEO_OK: return "ok";
#define GEO_ERR_TEXT(name, code, text) case GEO_##name: return text;
    GEO_ERR_MAP(GEO_ERR_TEXT)
#undef GEO_ERR_TEXT
    default: return "unknown error";
    }
}

const char *geo_err_name(int err)
{
    switch (err) {
    case GEO_OK: return "GEO_OK";
#define GEO_ERR_NAME(name, code, text) case GEO_##name: return "GEO_" #name;
    GEO_ERR_MAP(GEO_ERR_NAME)
#undef GEO_ERR_NAME
    default: return "GEO_UNKNOWN";
    }
}

bool geo_point_valid(geo_point_t p)
{
    return isfinite(p.lat) && isfinite(p.lng) && p.lat >= -90.0 && p.lat <= 90.0 &&
           p.lng >= -180.0 && p.lng <= 180.0;
}

bool geo_bbox_valid(const geo_bbox_t *b)
{
    if (!b)
        return false;
    geo_point_t sw = {b->south, b->west}, ne = {b->north, b->east};
    return geo_point_valid(sw) && geo_point_valid(ne) && b->south <= b->north;
}

double geo_lng_normalize(double lng)
{
    if (!isfinite(lng))
        return lng;
    if (lng >= -180.0 && lng < 180.0)
        return lng;
    double r = fmod(lng + 180.0, 360.0);
    if (r < 0)
        r += 360.0;
    return r - 180.0;
}

double geo_distance_m(geo_point_t a, geo_point_t b)
{
    double p1 = a.lat * DEG2RAD, p2 = b.lat * DEG2RAD;
    double sdp = sin((p2 - p1) * 0.5);
    double sdl = sin((b.lng - a.lng) * DEG2RAD * 0.5);
    double h = sdp * sdp + cos(p1) * cos(p2) * sdl * sdl;
    if (h > 1.0)
        h = 1.0;
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(h));
}

double geo_bearing_deg(geo_point_t a, geo_point_t b)
{
    double p1 = a.lat * DEG2RAD, p2 = b.lat * DEG2RAD;
    double dl = (b.lng - a.lng) * DEG2RAD;
    double y = sin(dl) * cos(p2);
    double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
    if (x == 0.0 && y == 0.0)
        return 0.0;
    double deg = atan2(y, x) * RAD2DEG;
    if (deg < 0)
        deg += 360.0;
    return deg >= 360.0 ? 0.0 : deg;
}

geo_point_t geo_destination(geo_point_t from, double bearing_deg, double dist_m)
{
    double d = dist_m / GEO_EARTH_RADIUS_M, th = bearing_deg * DEG2RAD;
    double p1 = from.lat * DEG2RAD, l1 = from.lng * DEG2RAD;
    double sp2 = sin(p1) * cos(d) + cos(p1) * sin(d) * cos(th);
    if (sp2 > 1.0)
        sp2 = 1.0;
    if (sp2 < -1.0)
        sp2 = -1.0;
    double p2 = asin(sp2);
    double l2 = l1 + atan2(sin(th) * sin(d) * cos(p1), cos(d) - sin(p1) * sp2);
    geo_point_t r = {p2 * RAD2DEG, geo_lng_normalize(l2 * RAD2DEG)};
    return r;
}

int geo_bbox_around(geo_point_t c, double radius_m, geo_bbox_t *out)
{
    if (!out || !geo_point_valid(c) || !isfinite(radius_m) || radius_m < 0)
        return GEO_EINVAL;
    double r = radius_m / GEO_EARTH_RADIUS_M;
    double lat = c.lat * DEG2RAD;
    double lo = lat - r, hi = lat + r;
    if (r >= M_PI || lo <= -M_PI_2 || hi >= M_PI_2) {
        out->south = lo <= -M_PI_2 ? -90.0 : lo * RAD2DEG;
        out->north = hi >= M_PI_2 ? 90.0 : hi * RAD2DEG;
        out->west = -180.0;
        out->east = 180.0;
        return GEO_OK;
    }
    double s = sin(r) / cos(lat);
    double dl = (s >= 1.0 ? M_PI_2 : asin(s)) * RAD2DEG;
    out->south = lo * RAD2DEG;
    out->north = hi * RAD2DEG;
    if (dl >= 180.0) {
        out->west = -180.0;
        out->east = 180.0;
        return GEO_OK;
    }
    double w = c.lng - dl, e = c.lng + dl;
    if (w < -180.0)
        w += 360.0;
    if (e > 180.0)
        e -= 360.0;
    out->west = w;
    out->east = e;
    return GEO_OK;
}

bool geo_bbox_contains(const geo_bbox_t *b, geo_point_t p)
{
    if (!b || !geo_point_valid(p) || p.lat < b->south || p.lat > b->north)
        return false;
    if (b->west <= b->east)
        return p.lng >= b->west && p.lng <= b->east;
    return p.lng >= b->west || p.lng <= b->east;
}

/* ---- Encoded polylines ------------------------------------------------ */

static double polyline_scale(int precision)
{
    return precision == 5 ? 1e5 : 1e6;
}

static size_t varint_len(int64_t v)
{
    uint64_t z = v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
    size_t n = 1;
    while (z >= 0x20) {
        z >>= 5;
        n++;
    }
    return n;
}

static char *varint_put(char *p, int64_t v)
{
    uint64_t z = v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
    while (z >= 0x20) {
        *p++ = (char)((0x20 | (z & 0x1f)) + 63);
        z >>= 5;
    }
    *p++ = (char)(z + 63);
    return p;
}

size_t geo_polyline_encoded_len(const geo_point_t *pts, size_t n, int precision)
{
    if ((precision != 5 && precision != 6) || (n && !pts))
        return 0;
    double sc = polyline_scale(precision);
    int64_t plat = 0, plng = 0;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (!geo_point_valid(pts[i]))
            return 0;
        int64_t lat = llround(pts[i].lat * sc), lng = llround(pts[i].lng * sc);
        len += varint_len(lat - plat) + varint_len(lng - plng);
        plat = lat;
        plng = lng;
    }
    return len;
}

int geo_polyline_encode(const geo_point_t *pts, size_t n, int precision,
                        char *buf, size_t cap, size_t *len_out)
{
    if ((precision != 5 && precision != 6) || (n && !pts) || (!buf && cap))
        return GEO_EINVAL;
    size_t need = geo_polyline_encoded_len(pts, n, precision);
    if (n && need == 0)
        return GEO_EINVAL;
    if (cap < need + 1)
        return GEO_ERANGE;
    double sc = polyline_scale(precision);
    int64_t plat = 0, plng = 0;
    char *p = buf;
    for (size_t i = 0; i < n; i++) {
        int64_t lat = llround(pts[i].lat * sc), lng = llround(pts[i].lng * sc);
        p = varint_put(p, lat - plat);
        p = varint_put(p, lng - plng);
        plat = lat;
        plng = lng;
    }
    *p = '\0';
    if (len_out)
        *len_out = need;
    return GEO_OK;
}

/* Reads one zigzag varint; returns bytes consumed or 0 on malformed input. */
static size_t varint_get(const char *s, size_t len, int64_t *out)
{
    uint64_t z = 0;
    unsigned shift = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i] - 63;
        if (c < 0 || c > 63)
            return 0;
        z |= (uint64_t)(c & 0x1f) << shift;
        if (!(c & 0x20)) {
            *out = (z & 1) ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
            return i + 1;
        }
        shift += 5;
        if (shift > 55) /* no valid coordinate delta is this long */
            return 0;
    }
    return 0;
}

int geo_polyline_decode(const char *s, size_t len, int precision,
                        geo_point_t **out, size_t *n_out)
{
    if (!out || !n_out || (precision != 5 && precision != 6) || (len && !s))
        return GEO_EINVAL;
    *out = NULL;
    *n_out = 0;
    if (len == 0)
        return GEO_OK;
    /* Each point takes at least two characters. */
    geo_point_t *pts = malloc((len / 2 + 1) * sizeof *pts);
    if (!pts)
        return GEO_ENOMEM;
    double sc = polyline_scale(precision);
    int64_t lat = 0, lng = 0;
    size_t i = 0, n = 0;
    while (i < len) {
        int64_t dlat, dlng;
        size_t k = varint_get(s + i, len - i, &dlat);
        if (k == 0)
            goto bad;
        i += k;
        k = varint_get(s + i, len - i, &dlng);
        if (k == 0)
            goto bad;
        i += k;
        lat += dlat;
        lng += dlng;
        geo_point_t p = {(double)lat / sc, (double)lng / sc};
        if (!geo_point_valid(p))
            goto bad;
        pts[n++] = p;
    }
    *out = pts;
    *n_out = n;
    return GEO_OK;
bad:
    free(pts);
    return GEO_EFORMAT;
}
