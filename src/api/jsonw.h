/* api/jsonw.h -- a small JSON writer straight into a response buffer.
 *
 * For hot, fixed-shape responses (GET /v1/places/nearby, /v1/map/pois) that
 * would otherwise build a jansson tree only to serialise it once. The
 * caller writes the punctuation and keys with jw_lit()/JW_LIT() and values
 * with jw_str()/jw_fixed()/jw_int(); the writer only guarantees correct
 * escaping and number text. Growth failures are sticky: check w->failed
 * once at the end (the buffer then holds a truncated document).
 *
 * Memory: the writer borrows `b` (typically req->res.body) and never frees
 * it; no call allocates except through buf_reserve on `b`.
 */
#ifndef TRAVLOC_API_JSONW_H
#define TRAVLOC_API_JSONW_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct jsonw {
    buf_t *b;       /* borrowed */
    bool failed;    /* a growth failed; everything after was dropped */
} jsonw_t;

/* Makes room for n more bytes; false (and failed set) when it cannot. */
static inline bool jw_room(jsonw_t *w, size_t n)
{
    if (w->failed)
        return false;
    if (w->b->cap - w->b->len > n)
        return true;
    if (buf_reserve(w->b, n + 1) < 0) {
        w->failed = true;
        return false;
    }
    return true;
}

/* Appends n raw bytes (already valid JSON text). */
static inline void jw_lit(jsonw_t *w, const char *s, size_t n)
{
    if (!jw_room(w, n))
        return;
    memcpy(w->b->data + w->b->len, s, n);
    w->b->len += n;
    w->b->data[w->b->len] = '\0';
}

#define JW_LIT(w, s) jw_lit((w), "" s, sizeof(s) - 1)

/* A string literal, quotes included, or null when s is NULL. '"', '\\'
 * and control characters are escaped; bytes that are not well-formed
 * UTF-8 become U+FFFD, so the output is always valid JSON. */
void jw_str(jsonw_t *w, const char *s);

/* v rounded half away from zero to `decimals` (0..9) places by integer
 * arithmetic, trailing zeros dropped but at least one decimal kept
 * ("43.7308123", "12.0", "-0.5"); null when v is not finite or its
 * magnitude is 1e9 or more. */
void jw_fixed(jsonw_t *w, double v, int decimals);

void jw_int(jsonw_t *w, int64_t v);

#endif
