#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_METHODS 8

typedef struct node {
    char *seg;                 /* static segment, or NULL for the param child */
    char *param;               /* name of the param when this is a param node */
    struct node **kids;        /* static children */
    int nkids;
    struct node *param_kid;
    const char *methods[MAX_METHODS];
    int routes[MAX_METHODS];   /* route index per method */
    int nmethods;
} node_t;

struct router {
    node_t *root;
    const route_t *routes;
};

static void node_free(node_t *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    node_free(n->param_kid);
    free(n->kids);
    free(n->seg);
    free(n->param);
    free(n);
}

static node_t *child_static(node_t *n, const char *seg, size_t len, int create)
{
    for (int i = 0; i < n->nkids; i++)
        if (strlen(n->kids[i]->seg) == len && memcmp(n->kids[i]->seg, seg, len) == 0)
            return n->kids[i];
    if (!create)
        return NULL;
    node_t *k = calloc(1, sizeof *k);
    node_t **kids = realloc(n->kids, sizeof(*kids) * (size_t)(n->nkids + 1));
    if (!k || !kids || !(k->seg = strndup(seg, len))) {
        free(k);
        if (kids)
            n->kids = kids;
        return NULL;
    }
    n->kids = kids;
    n->kids[n->nkids++] = k;
    return k;
}

static node_t *child_param(node_t *n, const char *name, size_t len, char *err, size_t errlen)
{
    if (n->param_kid) {
        if (strlen(n->param_kid->param) != len || memcmp(n->param_kid->param, name, len)) {
            snprintf(err, errlen, "parameter :%.*s conflicts with :%s", (int)len, name,
                     n->param_kid->param);
            return NULL;
        }
        return n->param_kid;
    }
    node_t *k = calloc(1, sizeof *k);
    if (!k || !(k->param = strndup(name, len))) {
        free(k);
        return NULL;
    }
    n->param_kid = k;
    return k;
}

static int add_route(router_t *r, const route_t *rt, int index, char *err, size_t errlen)
{
    const char *p = rt->pattern;
    if (p[0] != '/') {
        snprintf(err, errlen, "pattern '%s' must start with /", p);
        return -1;
    }
    node_t *n = r->root;
    int nparams = 0;
    while (*p == '/' && p[1]) {
        p++;
        size_t len = strcspn(p, "/");
        if (p[0] == ':') {
            if (len < 2 || ++nparams > HTTP_MAX_PARAMS) {
                snprintf(err, errlen, "pattern '%s' has a bad parameter", rt->pattern);
                return -1;
            }
            n = child_param(n, p + 1, len - 1, err, errlen);
        } else {
            n = child_static(n, p, len, 1);
        }
        if (!n)
            return -1;
        p += len;
    }
    for (int i = 0; i < n->nmethods; i++)
        if (strcmp(n->methods[i], rt->method) == 0) {
            snprintf(err, errlen, "duplicate route %s %s", rt->method, rt->pattern);
            return -1;
        }
    if (n->nmethods == MAX_METHODS) {
        snprintf(err, errlen, "too many methods on %s", rt->pattern);
        return -1;
    }
    n->methods[n->nmethods] = rt->method;
    n->routes[n->nmethods++] = index;
    return 0;
}

router_t *router_new(const route_t *routes, int count, char *err, size_t errlen)
{
    router_t *r = calloc(1, sizeof *r);
    if (!r || !(r->root = calloc(1, sizeof *r->root))) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->routes = routes;
    for (int i = 0; i < count; i++)
        if (add_route(r, &routes[i], i, err, errlen) < 0) {
            router_free(r);
            return NULL;
        }
    return r;
}

static const node_t *walk(const node_t *n, char *path, router_match_t *m)
{
    if (!(path[0] == '/' && path[1]))
        return n->nmethods ? n : NULL;
    path++;
    size_t len = strcspn(path, "/");
    char *next = path + len;
    const node_t *k = child_static((node_t *)n, path, len, 0);
    if (k) {
        const node_t *found = walk(k, next, m);
        if (found)
            return found;
    }
    if (!n->param_kid || len == 0 || m->nparams >= HTTP_MAX_PARAMS)
        return NULL;
    int slot = m->nparams++;
    m->names[slot] = n->param_kid->param;
    m->values[slot] = path;
    const node_t *found = walk(n->param_kid, next, m);
    if (!found)
        m->nparams = slot;
    return found;
}

void router_match(const router_t *r, const char *method, char *path, router_match_t *m)
{
    memset(m, 0, sizeof *m);
    m->route_index = -1;
    m->status = ROUTER_NOT_FOUND;
    const node_t *n = walk(r->root, path, m);
    if (!n)
        return;
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    size_t off = 0;
    for (int i = 0; i < n->nmethods; i++) {
        if (strcmp(n->methods[i], want) == 0) {
            m->status = ROUTER_FOUND;
            m->route_index = n->routes[i];
            m->route = &r->routes[n->routes[i]];
        }
        off += (size_t)snprintf(m->allow + off, sizeof m->allow - off, "%s%s",
                                off ? ", " : "", n->methods[i]);
        if (strcmp(n->methods[i], "GET") == 0 && off < sizeof m->allow)
            off += (size_t)snprintf(m->allow + off, sizeof m->allow - off, ", HEAD");
        if (off >= sizeof m->allow)
            off = sizeof m->allow - 1;
    }
    if (m->status != ROUTER_FOUND)
        m->status = ROUTER_BAD_METHOD;
    /* Terminate parameter values in place now that the walk is over. */
    for (int i = 0; i < m->nparams; i++) {
        size_t len = strcspn(m->values[i], "/");
        m->values[i][len] = '\0';
    }
}

void router_free(router_t *r)
{
    if (!r)
        return;
    node_free(r->root);
    free(r);
}
