/*
 * sync_log.h - what writers outside the sync code need to keep the sync
 * change log and its real-time signal in step: log a change of a user's
 * own entity (profile, preferences, saved locations, emergency contacts)
 * inside the write's transaction, and commit through sync_commit() so
 * that every device concerned hears "sync:changed" once the change is
 * visible.
 *
 * Notifications wait in a per-thread list keyed by the running coroutine
 * (changes_log adds to it; see sync_notify.c); sync_commit() publishes
 * and clears the caller's entries after a successful commit, sync_rollback()
 * drops them. All functions run on a loop thread; strings are borrowed.
 */
#ifndef TRAVLOC_SYNC_LOG_H
#define TRAVLOC_SYNC_LOG_H

#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

/* Logs a change of one of the user's own entities ("profile",
 * "preferences", "savedLocation", "emergencyContacts") inside the
 * caller's transaction, after its row writes. The data logged is the
 * entity as the routes answer it, read back here; a delete is a tombstone
 * with `version` (the deleted row's version + 1), which other ops ignore.
 * emergencyContacts gets its own version, bumped here. */
int sync_user_log(store_conn_t *db, const char *uid, const char *entity, const char *id,
                  const char *op, int64_t version, apierr_t *err);

/* store_commit(), then on success "sync:changed" {cursor} to user:<id> of
 * every user whose pull the committed changes reach. */
int sync_commit(store_conn_t *db, apierr_t *err);
/* store_rollback(), dropping the caller's pending notifications. */
void sync_rollback(store_conn_t *db);

/* Records a logged change for the running coroutine (changes_log). trip_id
 * or user_id may be NULL. */
void sync_pending_add(int64_t seq, const char *trip_id, const char *user_id);

#endif
