/* realtime/eio.c -- Engine.IO v4 packet codec. See eio.h. */
#include "realtime/eio.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* ---- UTF-8 and base64. ---- */

bool eio_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t eio_base64_len(size_t n)
{
    if (n > (SIZE_MAX / 4 - 1) * 3)
        return SIZE_MAX;
    return (n + 2) / 3 * 4;
}

void eio_base64_encode(const uint8_t *src, size_t n, char *dst)
{
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[v >> 12 & 63];
        dst[o++] = b64_alphabet[v >> 6 & 63];
        dst[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)src[i] << 16;
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[v >> 12 & 63];
        dst[o++] = '=';
        dst[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
        dst[o++] = b64_alphabet[v >> 18];
        dst[o++] = b64_alphabet[v >> 12 & 63];
        dst[o++] = b64_alphabet[v >> 6 & 63];
        dst[o++] = '=';
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int eio_base64_decode(const char *src, size_t n, uint8_t *dst, size_t *out_len)
{
    size_t pad = 0;
    if (n % 4 == 0 && n > 0) {
        pad = src[n - 1] == '=' ? (src[n - 2] == '=' ? 2 : 1) : 0;
    }
    size_t m = n - pad; /* data characters */
    if (m % 4 == 1) /* a lone character encodes no byte */
        return -EINVAL;
    size_t o = 0, i = 0;
    for (; i + 4 <= m; i += 4) {
        int a = b64_value(src[i]), b = b64_value(src[i + 1]);
        int c = b64_value(src[i + 2]), d = b64_value(src[i + 3]);
        if ((a | b | c | d) < 0)
            return -EINVAL;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        dst[o++] = (uint8_t)(v >> 16);
        dst[o++] = (uint8_t)(v >> 8);
        dst[o++] = (uint8_t)v;
    }
    if (m - i >= 2) {
        int a = b64_value(src[i]), b = b64_value(src[i + 1]);
        int c = m - i == 3 ? b64_value(src[i + 2]) : 0;
        if ((a | b | c) < 0)
            return -EINVAL;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        /* canonical: the unused low bits must be zero */
        if ((m - i == 2 && (v & 0xffff)) || (m - i == 3 && (v & 0xff)))
            return -EINVAL;
        dst[o++] = (uint8_t)(v >> 16);
        if (m - i == 3)
            dst[o++] = (uint8_t)(v >> 8);
    }
    *out_len = o;
    return 0;
}

/* ---- Single packets. ---- */

static bool type_ok(int t)
{
    return t >= EIO_OPEN && t <= EIO_NOOP;
}

/* A text packet: type digit, then UTF-8 data. */
static int decode_text(const uint8_t *s, size_t len, eio_packet_t *out)
{
    if (len == 0 || s[0] < '0' || !type_ok(s[0] - '0'))
        return -EINVAL;
    if (!eio_utf8_valid(s + 1, len - 1))
        return -EINVAL;
    out->type = (eio_type_t)(s[0] - '0');
    out->binary = false;
    out->data = len > 1 ? s + 1 : NULL;
    out->len = len - 1;
    return 0;
}

static int check_packet(const eio_packet_t *p)
{
    if (!p || !type_ok((int)p->type) || (p->len && !p->data))
        return -EINVAL;
    if (p->binary)
        return p->type == EIO_MESSAGE ? 0 : -EINVAL;
    return eio_utf8_valid(p->data, p->len) ? 0 : -EINVAL;
}

int eio_ws_decode(const uint8_t *frame, size_t len, bool binary_frame, eio_packet_t *out)
{
    if (!out || (len && !frame))
        return -EINVAL;
    if (binary_frame) {
        *out = (eio_packet_t){EIO_MESSAGE, true, len ? frame : NULL, len};
        return 0;
    }
    return decode_text(frame, len, out);
}

size_t eio_ws_encoded_len(const eio_packet_t *p)
{
    return p->binary ? p->len : p->len + 1;
}

int eio_ws_encode(const eio_packet_t *p, uint8_t *dst, size_t cap, size_t *written,
                  bool *binary_frame)
{
    int rc = check_packet(p);
    if (rc < 0 || !dst || !written || !binary_frame)
        return rc < 0 ? rc : -EINVAL;
    size_t need = eio_ws_encoded_len(p);
    if (need > cap)
        return -ENOSPC;
    if (p->binary) {
        if (p->len)
            memcpy(dst, p->data, p->len);
    } else {
        dst[0] = (uint8_t)('0' + p->type);
        if (p->len)
            memcpy(dst + 1, p->data, p->len);
    }
    *written = need;
    *binary_frame = p->binary;
    return 0;
}

/* ---- Polling payloads. ---- */

int eio_payload_decode(uint8_t *body, size_t len, eio_packet_t *out, size_t max,
                       size_t *count)
{
    if (!body || !out || !count)
        return -EINVAL;
    *count = 0;
    if (len == 0)
        return -EINVAL;
    size_t start = 0, n = 0;
    for (;;) {
        uint8_t *sep = memchr(body + start, EIO_SEPARATOR, len - start);
        size_t end = sep ? (size_t)(sep - body) : len;
        if (end == start)
            return -EINVAL; /* empty packet */
        if (n == max)
            return -E2BIG;
        if (body[start] == 'b') {
            size_t blen;
            if (eio_base64_decode((const char *)body + start + 1, end - start - 1,
                                  body + start, &blen) < 0)
                return -EINVAL;
            out[n] = (eio_packet_t){EIO_MESSAGE, true, blen ? body + start : NULL, blen};
        } else if (decode_text(body + start, end - start, &out[n]) < 0) {
            return -EINVAL;
        }
        *count = ++n;
        if (end == len)
            return 0;
        start = end + 1;
    }
}

size_t eio_payload_encoded_len(const eio_packet_t *pkts, size_t n)
{
    size_t total = n ? n - 1 : 0;
    for (size_t i = 0; i < n; i++) {
        size_t one = pkts[i].binary ? eio_base64_len(pkts[i].len) : pkts[i].len;
        if (one >= SIZE_MAX - total - 1)
            return SIZE_MAX;
        total += 1 + one;
    }
    return total;
}

int eio_payload_encode(const eio_packet_t *pkts, size_t n, uint8_t *dst, size_t cap,
                       size_t *written)
{
    if ((n && !pkts) || !dst || !written || n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        int rc = check_packet(&pkts[i]);
        if (rc < 0)
            return rc;
        if (!pkts[i].binary && pkts[i].len && memchr(pkts[i].data, EIO_SEPARATOR, pkts[i].len))
            return -EINVAL;
    }
    size_t need = eio_payload_encoded_len(pkts, n);
    if (need > cap)
        return -ENOSPC;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            dst[o++] = EIO_SEPARATOR;
        const eio_packet_t *p = &pkts[i];
        if (p->binary) {
            dst[o++] = 'b';
            eio_base64_encode(p->data, p->len, (char *)dst + o);
            o += eio_base64_len(p->len);
        } else {
            dst[o++] = (uint8_t)('0' + p->type);
            if (p->len)
                memcpy(dst + o, p->data, p->len);
            o += p->len;
        }
    }
    *written = o;
    return 0;
}

/* ---- Open packet. ---- */

static bool sid_ok(const char *s, size_t n)
{
    if (n == 0 || n > EIO_SID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

#define EIO_MAX_SAFE_INT ((UINT64_C(1) << 53) - 1)

int eio_open_encode(const eio_open_t *o, char *dst, size_t cap, size_t *written)
{
    if (!o || !dst || !written)
        return -EINVAL;
    size_t sl = strnlen(o->sid, sizeof o->sid);
    if (!sid_ok(o->sid, sl) || o->max_payload > EIO_MAX_SAFE_INT ||
        (o->upgrades & ~(EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT)))
        return -EINVAL;
    const char *up = o->upgrades == (EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT)
                         ? "\"websocket\",\"webtransport\""
                     : o->upgrades == EIO_UPGRADE_WEBSOCKET    ? "\"websocket\""
                     : o->upgrades == EIO_UPGRADE_WEBTRANSPORT ? "\"webtransport\""
                                                               : "";
    int n = snprintf(dst, cap,
                     "0{\"sid\":\"%.*s\",\"upgrades\":[%s],\"pingInterval\":%" PRIu32
                     ",\"pingTimeout\":%" PRIu32 ",\"maxPayload\":%" PRIu64 "}",
                     (int)sl, o->sid, up, o->ping_interval_ms, o->ping_timeout_ms,
                     o->max_payload);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= cap)
        return -ENOSPC;
    *written = (size_t)n;
    return 0;
}

static int get_uint(json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max)
        return -EINVAL;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

int eio_open_decode(const uint8_t *json, size_t len, eio_open_t *out)
{
    if (!json || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json, len, 0, &jerr);
    if (!root)
        return -EINVAL;
    int rc = -EINVAL;
    json_t *sid = json_object_get(root, "sid"), *ups = json_object_get(root, "upgrades");
    uint64_t pi, pt, mp;
    if (!json_is_object(root) || !json_is_string(sid) || !json_is_array(ups) ||
        !sid_ok(json_string_value(sid), json_string_length(sid)) ||
        get_uint(root, "pingInterval", UINT32_MAX, &pi) < 0 ||
        get_uint(root, "pingTimeout", UINT32_MAX, &pt) < 0 ||
        get_uint(root, "maxPayload", EIO_MAX_SAFE_INT, &mp) < 0)
        goto out;
    size_t i;
    json_t *u;
    json_array_foreach(ups, i, u) {
        if (!json_is_string(u))
            goto out;
        if (strcmp(json_string_value(u), "websocket") == 0)
            out->upgrades |= EIO_UPGRADE_WEBSOCKET;
        else if (strcmp(json_string_value(u), "webtransport") == 0)
            out->upgrades |= EIO_UPGRADE_WEBTRANSPORT;
        /* other transports are ignored */
    }
    memcpy(out->sid, json_string_value(sid), json_string_length(sid) + 1);
    out->ping_interval_ms = (uint32_t)pi;
    out->ping_timeout_ms = (uint32_t)pt;
    out->max_payload = mp;
    rc = 0;
out:
    json_decref(root);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}
