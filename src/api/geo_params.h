/* api/geo_params.h -- query-string parsing shared by places.c and map*.c.
 *
 * Every parser reads one query parameter, validates it strictly (the whole
 * value must parse, numbers must be finite and in range) and on failure
 * fills `err` with 400 "invalid_parameter" and details.field naming the
 * parameter, returning -1. Nothing here allocates outside the request pool.
 */
#ifndef TRAVLOC_API_GEO_PARAMS_H
#define TRAVLOC_API_GEO_PARAMS_H

#include "geo/geo.h"
#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sets err for `field`; returns -1. */
int gp_invalid(apierr_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A finite number in [min, max]; absent -> *out = def (required: error). */
int gp_double(http_req_t *req, const char *name, bool required, double def, double min,
              double max, double *out, apierr_t *err);
int gp_int(http_req_t *req, const char *name, long def, long min, long max, long *out,
           apierr_t *err);
/* "true"/"false"/"1"/"0"; absent -> def. */
int gp_bool(http_req_t *req, const char *name, int def, int *out, apierr_t *err);

/* Two parameters lat= and lng= (required). */
int gp_lat_lng(http_req_t *req, const char *lat_name, const char *lng_name, geo_point_t *out,
               apierr_t *err);
/* One "lat,lng" text (s may be NULL when absent: an error if required). */
int gp_point_text(const char *s, const char *field, geo_point_t *out, apierr_t *err);
/* "lat,lng;lat,lng;..." into out[0..*n) (at most max; more is an error). */
int gp_point_list(const char *s, const char *field, geo_point_t *out, size_t max, size_t *n,
                  apierr_t *err);

/* category=a,b (names or parent names from the OSM category tree) into
 * category ids; *n = 0 when absent. Unknown names are an error. */
int gp_categories(http_req_t *req, uint16_t *out, size_t max, size_t *n, apierr_t *err);

/* Sends err (400) and returns. */
void gp_fail(http_req_t *req, apierr_t *err);
/* 200 with body (stolen) encoded with 10 significant digits per number,
 * enough for 1 cm in coordinates without float noise. */
void gp_send(http_req_t *req, json_t *body);

#endif
