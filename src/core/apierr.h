/*
 * apierr.h - the one error type for API errors.
 *
 * Any layer that can fail for a reason the client should hear about fills
 * an apierr_t: the HTTP status, a stable snake_case code, a human message
 * and optional details (a jansson object the apierr owns). The HTTP layer
 * turns it into the error body of DESIGN.md. apierr_clear releases details.
 */
#ifndef TRAVLOC_APIERR_H
#define TRAVLOC_APIERR_H

#include <jansson.h>

typedef struct {
    int status;          /* 0 when no error is set */
    const char *code;    /* static string */
    char message[256];
    json_t *details;     /* owned; may be NULL */
} apierr_t;

/* Sets the error and returns -1 so callers can `return apierr_set(...)`. */
int apierr_set(apierr_t *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds details->key = value (value reference is stolen). */
void apierr_detail(apierr_t *e, const char *key, json_t *value);
void apierr_clear(apierr_t *e);

#endif
