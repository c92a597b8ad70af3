/*
 * messaging/members_cache.h - who is in a conversation, remembered per
 * membership generation (issue 8).
 *
 * A send updates its conversation's row anyway; that UPDATE returns the
 * row's members_gen, which triggers bump on every change that can add or
 * remove a member (migration 0018). A list put here for (conversation,
 * gen) is therefore exactly the members as long as a later send reads the
 * same gen; any other gen is a miss. With it a send whose recipients are
 * all online on this process needs no query at all to decide that nobody
 * is to be notified.
 *
 * Process-wide, behind one mutex, bounded: MEMBERS_CACHE_SLOTS entries
 * (direct-mapped by conversation id; a collision replaces), lists of at
 * most MEMBERS_CACHE_MAX members (larger groups are not kept). Everything
 * passed in is copied; nothing returned needs freeing.
 */
#ifndef TRAVLOC_MESSAGING_MEMBERS_CACHE_H
#define TRAVLOC_MESSAGING_MEMBERS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMBERS_CACHE_SLOTS 2048
#define MEMBERS_CACHE_MAX 64

/* Keeps the members of cid at gen (ids of at most 36 characters; longer
 * lists and ids are not kept). */
void members_cache_put(const char *cid, int64_t gen, const char *const *uids, size_t n);
/* True when cid's members at gen are cached and `ok` holds for every one
 * of them except `skip` (which may be NULL). `ok` runs without the cache's
 * lock held. False on a miss. */
bool members_cache_all(const char *cid, int64_t gen, const char *skip,
                       bool (*ok)(const char *uid));
/* Forgets everything (tests, shutdown). */
void members_cache_clear(void);

#endif
