#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

#define POOL_CHUNK 4096

struct pool_chunk {
    pool_chunk_t *next;
    max_align_t data[];
};

void pool_init(pool_t *p)
{
    p->head = NULL;
    p->cur = NULL;
    p->left = 0;
}

void *pool_alloc(pool_t *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (n > p->left) {
        size_t sz = n > POOL_CHUNK / 2 ? n : POOL_CHUNK;
        pool_chunk_t *c = malloc(sizeof(*c) + sz);
        if (!c)
            return NULL;
        if (n > POOL_CHUNK / 2 && p->head) {
            /* A big block: keep the current chunk for small allocations. */
            c->next = p->head->next;
            p->head->next = c;
            return c->data;
        }
        c->next = p->head;
        p->head = c;
        p->cur = (char *)c->data;
        p->left = sz;
    }
    void *r = p->cur;
    p->cur += n;
    p->left -= n;
    return r;
}

char *pool_strndup(pool_t *p, const char *s, size_t n)
{
    char *d = pool_alloc(p, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *pool_strdup(pool_t *p, const char *s)
{
    return pool_strndup(p, s, strlen(s));
}

void pool_free(pool_t *p)
{
    pool_chunk_t *c = p->head;
    while (c) {
        pool_chunk_t *n = c->next;
        free(c);
        c = n;
    }
    pool_init(p);
}
