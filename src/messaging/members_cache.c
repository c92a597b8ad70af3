#include "messaging/members_cache.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define ID_CAP 37

typedef struct {
    char cid[ID_CAP];
    int64_t gen;
    size_t n;
    char (*uids)[ID_CAP];
} entry_t;

static entry_t slots[MEMBERS_CACHE_SLOTS];
static uv_mutex_t mu;
static uv_once_t once = UV_ONCE_INIT;

static void init(void) { uv_mutex_init(&mu); }

static entry_t *slot_of(const char *cid)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = cid; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return &slots[h % MEMBERS_CACHE_SLOTS];
}

void members_cache_put(const char *cid, int64_t gen, const char *const *uids, size_t n)
{
    if (strlen(cid) >= ID_CAP || n > MEMBERS_CACHE_MAX)
        return;
    char(*copy)[ID_CAP] = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!uids[i] || strlen(uids[i]) >= ID_CAP) {
            free(copy);
            return;
        }
        strcpy(copy[i], uids[i]);
    }
    uv_once(&once, init);
    uv_mutex_lock(&mu);
    entry_t *e = slot_of(cid);
    free(e->uids);
    strcpy(e->cid, cid);
    e->gen = gen;
    e->n = n;
    e->uids = copy;
    uv_mutex_unlock(&mu);
}

bool members_cache_all(const char *cid, int64_t gen, const char *skip,
                       bool (*ok)(const char *uid))
{
    char ids[MEMBERS_CACHE_MAX][ID_CAP];
    size_t n = 0;
    bool hit = false;
    uv_once(&once, init);
    uv_mutex_lock(&mu);
    entry_t *e = slot_of(cid);
    if (e->uids && e->gen == gen && strcmp(e->cid, cid) == 0) {
        hit = true;
        n = e->n;
        memcpy(ids, e->uids, n * sizeof ids[0]);
    }
    uv_mutex_unlock(&mu);
    if (!hit)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((!skip || strcmp(ids[i], skip) != 0) && !ok(ids[i]))
            return false;
    return true;
}

void members_cache_clear(void)
{
    uv_once(&once, init);
    uv_mutex_lock(&mu);
    for (size_t i = 0; i < MEMBERS_CACHE_SLOTS; i++) {
        free(slots[i].uids);
        slots[i] = (entry_t){0};
    }
    uv_mutex_unlock(&mu);
}
