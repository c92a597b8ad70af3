/* geo/geo.h -- coordinates, distances and polylines on the WGS84 sphere.
 *
 * Owns: the geo error codes shared by every geo/ module (geo_index, geo_osm,
 * geo_graph, geo_route), the point and bounding-box value types, great-circle
 * maths (haversine distance, initial bearing, destination point), coordinate
 * validation and Google encoded polylines (precision 5 and 6).
 *
 * Invariants: a valid point has a finite latitude in [-90, 90] and a finite
 * longitude in [-180, 180]. Distances are metres on a sphere of radius
 * GEO_EARTH_RADIUS_M (the IUGG mean radius), bearings are degrees clockwise
 * from north in [0, 360). A bbox whose west edge is greater than its east
 * edge crosses the antimeridian.
 *
 * Memory: everything here works on caller-owned values, except
 * geo_polyline_decode(), which returns a malloc'ed array the caller frees
 * with free(). No global state; every function is reentrant.
 */
#ifndef TRAVLOC_GEO_H
#define TRAVLOC_GEO_H

#include <stdbool.h>
#include <stddef.h>

/* Error codes of the geo/ modules: 0 is success, errors are negative. */
#define GEO_ERR_MAP(XX)                                                     \
    XX(EINVAL, -1, "invalid argument")                                     \
    XX(ENOMEM, -2, "out of memory")                                        \
    XX(ENOTFOUND, -3, "not found")                                         \
    XX(EEXIST, -4, "already exists")                                       \
    XX(EIO, -5, "input/output error")                                      \
    XX(EFORMAT, -6, "malformed input")                                     \
    XX(ETRUNCATED, -7, "input is truncated")                               \
    XX(EUNREACHABLE, -8, "destination unreachable")                        \
    XX(ENOSNAP, -9, "no road near the point")                              \
    XX(ERANGE, -10, "value or size out of range")                          \
    XX(ECANCELED, -11, "canceled by callback")

enum geo_err {
    GEO_OK = 0,
#define GEO_ERR_ENUM(name, code, text) GEO_##name = (code),
    GEO_ERR_MAP(GEO_ERR_ENUM)
#undef GEO_ERR_ENUM
};

/* Human text for a geo error code ("unknown error" for anything else). */
const char *geo_strerror(int err);
/* Symbolic name ("GEO_EINVAL"), or "GEO_UNKNOWN". */
const char *geo_err_name(int err);

#define GEO_EARTH_RADIUS_M 6371008.8

typedef struct geo_point {
    double lat; /* degrees, [-90, 90] */
    double lng; /* degrees, [-180, 180] */
} geo_point_t;

/* south <= north always; west > east means the box crosses the antimeridian.
 * A box with west = -180 and east = 180 spans every longitude. */
typedef struct geo_bbox {
    double south, west, north, east;
} geo_bbox_t;

/* True if lat/lng are finite and within range. */
bool geo_point_valid(geo_point_t p);
bool geo_bbox_valid(const geo_bbox_t *b);

/* Wrap any finite longitude into [-180, 180). */
double geo_lng_normalize(double lng);

/* Great-circle (haversine) distance in metres. */
double geo_distance_m(geo_point_t a, geo_point_t b);

/* Initial bearing from a to b in degrees [0, 360). 0 if a == b. */
double geo_bearing_deg(geo_point_t a, geo_point_t b);

/* Point reached from `from` after `dist_m` metres on `bearing_deg`. */
geo_point_t geo_destination(geo_point_t from, double bearing_deg, double dist_m);

/* Smallest lat/lng box holding the circle (center, radius_m). Near a pole
 * (or for huge radii) the box spans every longitude. Returns GEO_EINVAL for
 * an invalid center or a negative / non-finite radius. */
int geo_bbox_around(geo_point_t center, double radius_m, geo_bbox_t *out);

/* True if p lies in b (edges included), honouring antimeridian boxes. */
bool geo_bbox_contains(const geo_bbox_t *b, geo_point_t p);

/* Google encoded polyline. precision is 5 (Google) or 6 (OSRM/Valhalla).
 *
 * geo_polyline_encoded_len() returns the exact number of characters the
 * encoding needs (without the terminating NUL), or 0 for bad arguments.
 * geo_polyline_encode() writes it into buf (capacity cap, NUL-terminated),
 * storing the length in *len_out if non-NULL. Returns GEO_ERANGE if cap is
 * too small, GEO_EINVAL for invalid points or precision. */
size_t geo_polyline_encoded_len(const geo_point_t *pts, size_t n, int precision);
int geo_polyline_encode(const geo_point_t *pts, size_t n, int precision,
                        char *buf, size_t cap, size_t *len_out);

/* Decode `len` bytes of `s`. On success *out is a malloc'ed array of *n_out
 * points (NULL when empty) that the caller frees. Returns GEO_EFORMAT for
 * characters outside '?'..'~', a dangling chunk, an overlong varint or a
 * point outside the valid range; GEO_EINVAL for bad arguments, GEO_ENOMEM. */
int geo_polyline_decode(const char *s, size_t len, int precision,
                        geo_point_t **out, size_t *n_out);

#endif /* TRAVLOC_GEO_H */
