/* cluster/url.c -- REDIS_URL parsing (pure; unit-tested).
 *
 * redis://[[user]:password@]host[:port][/db]. User and password may be
 * percent-encoded (a password with '@' or ':' must be). rediss:// (TLS)
 * is refused: Debian 12's hiredis 0.14 has no TLS support.
 */
#include "cluster/cluster_int.h"

#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..n) into out (cap bytes with the NUL). */
static int decode(const char *src, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval(src[i + 1]);
            int l = hexval(src[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (c == '\0' || k + 1 >= cap)
            return -1;
        out[k++] = c;
    }
    out[k] = '\0';
    return 0;
}

static int parse_auth(const char *p, size_t n, cluster_url_t *out)
{
    const char *colon = memchr(p, ':', n);
    if (!colon) /* redis://password@host is not a URL form Redis documents */
        return -1;
    size_t ul = (size_t)(colon - p);
    if (decode(p, ul, out->user, sizeof out->user) < 0 ||
        decode(colon + 1, n - ul - 1, out->pass, sizeof out->pass) < 0 || !out->pass[0])
        return -1;
    return 0;
}

int cluster_parse_url(const char *url, cluster_url_t *out)
{
    memset(out, 0, sizeof *out);
    if (!url || strncmp(url, "redis://", 8) != 0)
        return -1;
    const char *p = url + 8;
    size_t auth_end = strcspn(p, "/");
    const char *at = NULL;
    for (size_t i = 0; i < auth_end; i++)
        if (p[i] == '@')
            at = p + i; /* the last '@' before the path */
    if (at) {
        if (parse_auth(p, (size_t)(at - p), out) < 0)
            return -1;
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof out->host || memchr(p, '@', hl))
        return -1;
    memcpy(out->host, p, hl);
    out->host[hl] = '\0';
    out->port = 6379;
    const char *rest = p + hl;
    if (*rest == ':') {
        char *end;
        long n = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || n < 1 || n > 65535 || (*end && *end != '/'))
            return -1;
        out->port = (int)n;
        rest = end;
    } else if (*rest && *rest != '/') {
        return -1;
    }
    if (*rest == '/' && rest[1]) {
        char *end;
        long db = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || *end || db < 0 || db > 15)
            return -1;
        out->db = (int)db;
    }
    return 0;
}
