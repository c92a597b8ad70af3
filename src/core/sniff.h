/*
 * sniff.h - image type detection from content (magic bytes), never from a
 * file name or a client-declared Content-Type.
 *
 * Recognised: JPEG (FF D8 FF), PNG (the 8-byte signature followed by an
 * IHDR chunk), GIF (GIF87a / GIF89a) and WebP (a RIFF container whose form
 * type is WEBP and whose first chunk is VP8, VP8L or VP8X). Only the first
 * SNIFF_MIN_BYTES bytes are examined, so callers may sniff a prefix.
 *
 * Pure functions, no state, no allocation: safe from any thread. The MIME
 * strings returned are static and must not be freed.
 */
#ifndef TRAVLOC_SNIFF_H
#define TRAVLOC_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#define SNIFF_MIN_BYTES 16   /* bytes needed to recognise any type */

typedef enum {
    SNIFF_UNKNOWN = 0,
    SNIFF_JPEG,
    SNIFF_PNG,
    SNIFF_GIF,
    SNIFF_WEBP,
} sniff_type_t;

/* Type of the image in buf[0..len). NULL or too-short input is unknown. */
sniff_type_t sniff_image(const uint8_t *buf, size_t len);

/* "image/jpeg", "image/png", "image/gif", "image/webp", or NULL for
 * SNIFF_UNKNOWN and out-of-range values. */
const char *sniff_mime(sniff_type_t type);

/* Usual file extension without the dot ("jpg", "png", "gif", "webp"), or
 * NULL for unknown. */
const char *sniff_extension(sniff_type_t type);

#endif
