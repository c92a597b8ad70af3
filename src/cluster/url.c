/* cluster/url.c -- REDIS_URL parsing (pure; unit-tested).
 *
 * redis://[[user]:password@]host[:port][/db]. User and password may be
 * percent-encoded (a password with '@' or ':' must be). rediss:// (TLS)
 * is refused: Debian 12's hiredis 0.14 has no TLS support.
 */
#include "cluster/cluster_int.h"

#include "core/validate.h"

#include <stdlib.h>
#include <string.h>

/* Percent-decodes src[0..n) into out (cap bytes with the NUL). */
static int decode(const char *src, size_t n, char *out, size_t cap)
{
    return validate_pct_decode(src, n, out, cap, false) < 0 ? -1 : 0;
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
