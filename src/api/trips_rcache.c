/*
 * trips_rcache.c - see trips_rcache.h. A 4-way set-associative table per
 * thread (pthread key, freed at thread exit) keyed by the trip id; a put
 * into a full set replaces its least recently used entry. The byte budget
 * counts the texts held; a put that would pass it is dropped. A second
 * table of the same kind keyed by (trip, user) holds remembered checks.
 */
#include "api/trips_rcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RC_WAYS 4
#define RC_SETS 512
#define RC_SLOTS (RC_WAYS * RC_SETS)
#define RC_ID_MAX 40
#define RC_BUDGET (16u << 20)  /* bytes of text per thread */
#define RC_MAX_BODY (1u << 20) /* bigger answers are not kept */

typedef struct {
    char id[RC_ID_MAX + 1];
    int64_t mark, version;
    char *text;
    size_t head, len;
    uint64_t used_at; /* tick of the last get or put: the set's victim is the oldest */
} rc_entry_t;

typedef struct {
    char trip[RC_ID_MAX + 1], user[RC_ID_MAX + 1];
    uint64_t stamp[2];
    rcache_check_t ck;
    uint64_t used_at; /* 0: empty */
} rc_check_t;

typedef struct {
    size_t bytes;
    uint64_t tick;
    rc_entry_t e[RC_SLOTS];
    rc_check_t c[RC_SLOTS];
} rc_table_t;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void table_free(void *p)
{
    rc_table_t *t = p;
    for (int i = 0; i < RC_SLOTS; i++)
        free(t->e[i].text);
    free(t);
}

static void key_init(void) { pthread_key_create(&g_key, table_free); }

static rc_table_t *table(bool create)
{
    pthread_once(&g_once, key_init);
    rc_table_t *t = pthread_getspecific(g_key);
    if (!t && create) {
        t = calloc(1, sizeof *t);
        if (t && pthread_setspecific(g_key, t) != 0) {
            free(t);
            t = NULL;
        }
    }
    return t;
}

static uint32_t hash(uint32_t h, const char *s)
{
    for (const char *p = s; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

/* The entry of id in its set, or (put) the set's empty or oldest one. */
static rc_entry_t *slot_of(rc_table_t *t, const char *id, bool put)
{
    rc_entry_t *set = &t->e[(hash(2166136261u, id) % RC_SETS) * RC_WAYS], *victim = set;
    for (int i = 0; i < RC_WAYS; i++) {
        if (set[i].text && strcmp(set[i].id, id) == 0)
            return &set[i];
        if (set[i].used_at < victim->used_at)
            victim = &set[i];
    }
    return put ? victim : NULL;
}

static rc_check_t *check_of(rc_table_t *t, const char *trip, const char *user, bool put)
{
    size_t k = (hash(hash(2166136261u, trip), user) % RC_SETS) * RC_WAYS;
    rc_check_t *set = &t->c[k], *victim = set;
    for (int i = 0; i < RC_WAYS; i++) {
        if (set[i].used_at && strcmp(set[i].trip, trip) == 0 && strcmp(set[i].user, user) == 0)
            return &set[i];
        if (set[i].used_at < victim->used_at)
            victim = &set[i];
    }
    return put ? victim : NULL;
}

bool rcache_check_get(const char *trip_id, const char *user_id, const uint64_t stamp[2],
                      rcache_check_t *out)
{
    rc_table_t *t = table(false);
    if (!t)
        return false;
    rc_check_t *c = check_of(t, trip_id, user_id, false);
    if (!c || c->stamp[0] != stamp[0] || c->stamp[1] != stamp[1])
        return false;
    c->used_at = ++t->tick;
    *out = c->ck;
    return true;
}

void rcache_check_put(const char *trip_id, const char *user_id, const uint64_t stamp[2],
                      const rcache_check_t *ck)
{
    rc_table_t *t;
    if (strlen(trip_id) > RC_ID_MAX || strlen(user_id) > RC_ID_MAX || !(t = table(true)))
        return;
    rc_check_t *c = check_of(t, trip_id, user_id, true);
    strcpy(c->trip, trip_id);
    strcpy(c->user, user_id);
    memcpy(c->stamp, stamp, sizeof c->stamp);
    c->ck = *ck;
    c->used_at = ++t->tick;
}

bool rcache_get(const char *trip_id, int64_t mark, int64_t version, rcache_hit_t *out)
{
    rc_table_t *t = table(false);
    if (!t)
        return false;
    rc_entry_t *e = slot_of(t, trip_id, false);
    if (!e || e->mark != mark || e->version != version)
        return false;
    e->used_at = ++t->tick;
    *out = (rcache_hit_t){.text = e->text, .head = e->head, .len = e->len, .version = e->version};
    return true;
}

void rcache_put(const char *trip_id, int64_t mark, int64_t version, const char *text,
                size_t head, size_t len)
{
    if (strlen(trip_id) > RC_ID_MAX || len > RC_MAX_BODY || head > len)
        return;
    rc_table_t *t = table(true);
    if (!t)
        return;
    rc_entry_t *e = slot_of(t, trip_id, true);
    t->bytes -= e->text ? e->len : 0;
    free(e->text);
    e->text = NULL;
    e->used_at = 0;
    if (t->bytes + len > RC_BUDGET || !(e->text = malloc(len ? len : 1)))
        return;
    memcpy(e->text, text, len);
    t->bytes += len;
    strcpy(e->id, trip_id);
    e->mark = mark;
    e->version = version;
    e->head = head;
    e->len = len;
    e->used_at = ++t->tick;
}
