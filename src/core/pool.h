/*
 * pool.h - a per-request arena.
 *
 * Everything a request allocates while it is handled (parsed headers, path
 * parameters, small strings) comes from its pool and is released at once by
 * pool_free when the response has been written. Large blocks get their own
 * chunk. Allocation failure returns NULL.
 */
#ifndef TRAVLOC_POOL_H
#define TRAVLOC_POOL_H

#include <stddef.h>

typedef struct pool_chunk pool_chunk_t;

typedef struct {
    pool_chunk_t *head;
    char *cur;
    size_t left;
} pool_t;

void pool_init(pool_t *p);
void *pool_alloc(pool_t *p, size_t n);
char *pool_strndup(pool_t *p, const char *s, size_t n);
char *pool_strdup(pool_t *p, const char *s);
void pool_free(pool_t *p);

#endif
