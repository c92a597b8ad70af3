/* api/jsonw.c -- string escaping and number text for jsonw.h.
 *
 * Strings are copied in runs: bytes that need no care (printable ASCII
 * other than '"' and '\\') are scanned and copied with one memcpy; escapes
 * and multi-byte UTF-8 sequences are checked one at a time (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF). Numbers are formatted
 * from integers, never through printf.
 */
#include "api/jsonw.h"

#include <math.h>

static const char hex[] = "0123456789abcdef";

/* Length of the well-formed UTF-8 sequence at s (lead byte >= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

void jw_str(jsonw_t *w, const char *str)
{
    if (!str) {
        JW_LIT(w, "null");
        return;
    }
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str);
    JW_LIT(w, "\"");
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i)
            jw_lit(w, str + i, run - i);
        i = run;
        if (i == len)
            break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t n = utf8_seq(s + i, len - i);
            if (n) {
                jw_lit(w, str + i, n);
                i += n;
            } else {
                JW_LIT(w, "\xef\xbf\xbd"); /* U+FFFD */
                i++;
            }
            continue;
        }
        char esc[6] = {'\\', (char)c};
        size_t el = 2;
        if (c == '\n')
            esc[1] = 'n';
        else if (c == '\r')
            esc[1] = 'r';
        else if (c == '\t')
            esc[1] = 't';
        else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            el = 6;
        }
        jw_lit(w, esc, el);
        i++;
    }
    JW_LIT(w, "\"");
}

/* Writes the decimal digits of v (v >= 0) right-aligned ending at end;
 * returns the first digit. */
static char *digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

void jw_int(jsonw_t *w, int64_t v)
{
    char tmp[24], *end = tmp + sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = digits(u, end);
    if (v < 0)
        *--p = '-';
    jw_lit(w, p, (size_t)(end - p));
}

static const uint64_t pow10u[] = {1,      10,      100,      1000,      10000,
                                  100000, 1000000, 10000000, 100000000, 1000000000};

void jw_fixed(jsonw_t *w, double v, int decimals)
{
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    if (!isfinite(v) || fabs(v) >= 1e9) {
        JW_LIT(w, "null");
        return;
    }
    uint64_t scale = pow10u[decimals];
    bool neg = v < 0;
    uint64_t q = (uint64_t)llround(fabs(v) * (double)scale);
    uint64_t ip = q / scale, fp = q % scale;
    char tmp[40], *end = tmp + sizeof tmp;
    /* Fraction: `decimals` digits with trailing zeros dropped, at least one. */
    int nd = decimals;
    while (nd > 1 && fp % 10 == 0) {
        fp /= 10;
        nd--;
    }
    char *p = end;
    if (nd == 0) {
        *--p = '0';
    } else {
        for (int k = 0; k < nd; k++) {
            *--p = (char)('0' + fp % 10);
            fp /= 10;
        }
    }
    *--p = '.';
    p = digits(ip, p);
    if (neg && q != 0)
        *--p = '-';
    jw_lit(w, p, (size_t)(end - p));
}
