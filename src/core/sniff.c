/*
 * sniff.c - image type detection by magic bytes (see sniff.h).
 */
#include "core/sniff.h"

#include <stdbool.h>
#include <string.h>

static bool sniff_is_jpeg(const uint8_t *b, size_t len)
{
    /* SOI marker then the first marker's 0xFF. */
    return len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF;
}

static bool sniff_is_png(const uint8_t *b, size_t len)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /* Signature, then the 4-byte length and the IHDR type of chunk one. */
    return len >= 16 && memcmp(b, sig, sizeof sig) == 0 &&
           memcmp(b + 12, "IHDR", 4) == 0;
}

static bool sniff_is_gif(const uint8_t *b, size_t len)
{
    return len >= 6 && (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0);
}

static bool sniff_is_webp(const uint8_t *b, size_t len)
{
    /* "RIFF" size "WEBP" then the first chunk: "VP8 ", "VP8L" or "VP8X". */
    if (len < 16 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WEBP", 4) != 0)
        return false;
    if (memcmp(b + 12, "VP8", 3) != 0)
        return false;
    return b[15] == ' ' || b[15] == 'L' || b[15] == 'X';
}

sniff_type_t sniff_image(const uint8_t *buf, size_t len)
{
    if (buf == NULL)
        return SNIFF_UNKNOWN;
    if (sniff_is_jpeg(buf, len))
        return SNIFF_JPEG;
    if (sniff_is_png(buf, len))
        return SNIFF_PNG;
    if (sniff_is_gif(buf, len))
        return SNIFF_GIF;
    if (sniff_is_webp(buf, len))
        return SNIFF_WEBP;
    return SNIFF_UNKNOWN;
}

const char *sniff_mime(sniff_type_t type)
{
    switch (type) {
    case SNIFF_JPEG: return "image/jpeg";
    case SNIFF_PNG: return "image/png";
    case SNIFF_GIF: return "image/gif";
    case SNIFF_WEBP: return "image/webp";
    case SNIFF_UNKNOWN: break;
    }
    return NULL;
}

const char *sniff_extension(sniff_type_t type)
{
    switch (type) {
    case SNIFF_JPEG: return "jpg";
    case SNIFF_PNG: return "png";
    case SNIFF_GIF: return "gif";
    case SNIFF_WEBP: return "webp";
    case SNIFF_UNKNOWN: break;
    }
    return NULL;
}
