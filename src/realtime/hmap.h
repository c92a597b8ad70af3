/* realtime/hmap.h -- a small string-keyed hash map (separate chaining).
 *
 * Used for per-loop tables (sessions, rooms) and the process-wide ones
 * (presence, recovery), which wrap it in their own mutex: the map itself
 * is not thread-safe. Keys are copied into the entries; values are
 * borrowed pointers the caller owns. hmap_free() releases the entries and,
 * when `fn` is given, calls it on every value.
 */
#ifndef TRAVLOC_REALTIME_HMAP_H
#define TRAVLOC_REALTIME_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct hmap_entry hmap_entry_t;

typedef struct hmap {
    hmap_entry_t **buckets;
    size_t nbuckets;
    size_t count;
} hmap_t;

#define HMAP_INIT {NULL, 0, 0}

/* The value for key, or NULL. */
void *hmap_get(const hmap_t *m, const char *key);
/* Inserts or replaces; returns the previous value (or NULL). Aborts on OOM. */
void *hmap_put(hmap_t *m, const char *key, void *val);
/* Removes key; returns its value or NULL. */
void *hmap_del(hmap_t *m, const char *key);
/* Calls fn(key, val, arg) for every entry; fn must not modify the map. */
void hmap_each(const hmap_t *m, void (*fn)(const char *key, void *val, void *arg), void *arg);
void hmap_free(hmap_t *m, void (*fn)(void *val));

#endif
