/* api/geo_params.c -- strict query-string parsing for the geo endpoints.
 * See geo_params.h; all functions are pure over the request's query. */
#include "api/geo_params.h"

#include "geo/osm.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gp_invalid(apierr_t *err, const char *field, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    apierr_set(err, 400, "invalid_parameter", "%s: %s", field, msg);
    apierr_detail(err, "field", json_string(field));
    return -1;
}

void gp_fail(http_req_t *req, apierr_t *err)
{
    http_send_apierr(req, err);
}

/* Whole-string finite number. */
static bool parse_num(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789+-.eE", buf[i]))
            return false; /* no "nan", "inf", hex or spaces */
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

int gp_double(http_req_t *req, const char *name, bool required, double def, double min,
              double max, double *out, apierr_t *err)
{
    const char *s = http_query(req, name);
    if (!s) {
        if (required)
            return gp_invalid(err, name, "is required");
        *out = def;
        return 0;
    }
    double v;
    if (!parse_num(s, strlen(s), &v))
        return gp_invalid(err, name, "must be a number");
    if (v < min || v > max)
        return gp_invalid(err, name, "must be between %g and %g", min, max);
    *out = v;
    return 0;
}

int gp_int(http_req_t *req, const char *name, long def, long min, long max, long *out,
           apierr_t *err)
{
    double v = 0;
    if (gp_double(req, name, false, (double)def, (double)min, (double)max, &v, err) < 0)
        return -1;
    if (v != floor(v))
        return gp_invalid(err, name, "must be an integer");
    *out = (long)v;
    return 0;
}

int gp_bool(http_req_t *req, const char *name, int def, int *out, apierr_t *err)
{
    const char *s = http_query(req, name);
    if (!s) {
        *out = def;
        return 0;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *out = 0;
    else
        return gp_invalid(err, name, "must be true or false");
    return 0;
}

int gp_lat_lng(http_req_t *req, const char *lat_name, const char *lng_name, geo_point_t *out,
               apierr_t *err)
{
    if (gp_double(req, lat_name, true, 0, -90, 90, &out->lat, err) < 0 ||
        gp_double(req, lng_name, true, 0, -180, 180, &out->lng, err) < 0)
        return -1;
    return 0;
}

static int point_span(const char *s, size_t len, const char *field, geo_point_t *out,
                      apierr_t *err)
{
    const char *comma = memchr(s, ',', len);
    double lat, lng;
    if (!comma || !parse_num(s, (size_t)(comma - s), &lat) ||
        !parse_num(comma + 1, len - (size_t)(comma - s) - 1, &lng))
        return gp_invalid(err, field, "must be \"lat,lng\" in degrees");
    if (lat < -90 || lat > 90)
        return gp_invalid(err, field, "latitude must be between -90 and 90");
    if (lng < -180 || lng > 180)
        return gp_invalid(err, field, "longitude must be between -180 and 180");
    *out = (geo_point_t){lat, lng};
    return 0;
}

int gp_point_text(const char *s, const char *field, geo_point_t *out, apierr_t *err)
{
    if (!s)
        return gp_invalid(err, field, "is required");
    return point_span(s, strlen(s), field, out, err);
}

int gp_point_list(const char *s, const char *field, geo_point_t *out, size_t max, size_t *n,
                  apierr_t *err)
{
    *n = 0;
    if (!s || !*s)
        return gp_invalid(err, field, "is required");
    for (const char *p = s;;) {
        size_t len = strcspn(p, ";|");
        if (*n == max)
            return gp_invalid(err, field, "at most %zu points", max);
        if (point_span(p, len, field, &out[*n], err) < 0)
            return -1;
        (*n)++;
        p += len;
        if (!*p)
            break;
        p++;
    }
    return 0;
}

int gp_categories(http_req_t *req, uint16_t *out, size_t max, size_t *n, apierr_t *err)
{
    *n = 0;
    const char *s = http_query(req, "category");
    if (!s)
        return 0;
    size_t ncat = geo_osm_category_count();
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        bool found = false;
        for (size_t c = 0; c < ncat; c++) {
            const geo_osm_category_t *k = geo_osm_category(c);
            bool match = (strlen(k->name) == len && strncmp(k->name, p, len) == 0) ||
                         (strlen(k->parent) == len && strncmp(k->parent, p, len) == 0);
            if (!match)
                continue;
            found = true;
            size_t i = 0;
            while (i < *n && out[i] != c)
                i++;
            if (i == *n) {
                if (*n == max)
                    return gp_invalid(err, "category", "too many categories");
                out[(*n)++] = (uint16_t)c;
            }
        }
        if (!found)
            return gp_invalid(err, "category", "unknown category (see the OpenAPI document)");
        p += len;
        if (!*p)
            break;
        p++;
    }
    return 0;
}

void gp_send(http_req_t *req, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(body);
    if (!s) {
        http_send_error(req, 500, "internal", "cannot encode the response");
        return;
    }
    http_send_raw(req, 200, "application/json", s, strlen(s));
    free(s);
}
