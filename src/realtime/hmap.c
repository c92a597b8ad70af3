/* realtime/hmap.c -- see hmap.h. FNV-1a hashing, power-of-two buckets,
 * doubled when the load factor passes 1. */
#include "realtime/hmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hmap_entry {
    hmap_entry_t *next;
    uint64_t hash;
    void *val;
    char key[];
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fputs("travloc: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void grow(hmap_t *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 16;
    hmap_entry_t **b = xcalloc(nb, sizeof *b);
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (hmap_entry_t *e = m->buckets[i], *n; e; e = n) {
            n = e->next;
            size_t k = (size_t)(e->hash & (nb - 1));
            e->next = b[k];
            b[k] = e;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

static hmap_entry_t **find(const hmap_t *m, const char *key, uint64_t h)
{
    if (!m->nbuckets)
        return NULL;
    hmap_entry_t **pp = &m->buckets[h & (m->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && strcmp((*pp)->key, key) == 0)
            return pp;
    return NULL;
}

void *hmap_get(const hmap_t *m, const char *key)
{
    hmap_entry_t **pp = find(m, key, hash_str(key));
    return pp ? (*pp)->val : NULL;
}

void *hmap_put(hmap_t *m, const char *key, void *val)
{
    uint64_t h = hash_str(key);
    hmap_entry_t **pp = find(m, key, h);
    if (pp) {
        void *old = (*pp)->val;
        (*pp)->val = val;
        return old;
    }
    if (m->count >= m->nbuckets)
        grow(m);
    size_t klen = strlen(key);
    hmap_entry_t *e = xcalloc(1, sizeof *e + klen + 1);
    memcpy(e->key, key, klen + 1);
    e->hash = h;
    e->val = val;
    size_t k = (size_t)(h & (m->nbuckets - 1));
    e->next = m->buckets[k];
    m->buckets[k] = e;
    m->count++;
    return NULL;
}

void *hmap_del(hmap_t *m, const char *key)
{
    hmap_entry_t **pp = find(m, key, hash_str(key));
    if (!pp)
        return NULL;
    hmap_entry_t *e = *pp;
    void *val = e->val;
    *pp = e->next;
    free(e);
    m->count--;
    return val;
}

void hmap_each(const hmap_t *m, void (*fn)(const char *key, void *val, void *arg), void *arg)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (hmap_entry_t *e = m->buckets[i]; e; e = e->next)
            fn(e->key, e->val, arg);
}

void hmap_free(hmap_t *m, void (*fn)(void *val))
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (hmap_entry_t *e = m->buckets[i], *n; e; e = n) {
            n = e->next;
            if (fn)
                fn(e->val);
            free(e);
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->count = 0;
}
