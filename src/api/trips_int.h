/*
 * trips_int.h - what the trip handlers (trips.c, trips_nested.c, budget.c,
 * buddies.c, sync.c) share: access checks by buddy role, the trip row and
 * its JSON shape, the change log, ETag / If-Match, and body field readers.
 *
 * Access model: every member of a trip, the owner included, has a row in
 * trip_buddies; only accepted rows grant access. A trip a user cannot see
 * is 404, one they can see but not change is 403. JSON values returned
 * are new references; strings read from bodies are borrowed from
 * req->json.
 */
#ifndef TRAVLOC_TRIPS_INT_H
#define TRAVLOC_TRIPS_INT_H

#include "api/acc_util.h"
#include "http/http.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

enum { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_EDITOR = 2, ROLE_OWNER = 3 };
int trip_role_rank(const char *role);
const char *trip_role_name(int rank);

/* Columns trip_json() reads, in order; select them FROM trips t. */
#define TRIP_COLS                                                                              \
    "t.id, t.owner_id, t.title, t.description, t.start_date, t.end_date, t.status, t.budget, " \
    "t.currency, t.is_public, t.share_id, t.preferences, t.notes, t.version, t.created_at, "   \
    "t.updated_at, t.client_ts, t.client_tag"
enum {
    TC_ID, TC_OWNER, TC_TITLE, TC_DESC, TC_START, TC_END, TC_STATUS, TC_BUDGET, TC_CURRENCY,
    TC_PUBLIC, TC_SHARE, TC_PREFS, TC_NOTES, TC_VERSION, TC_CREATED, TC_UPDATED, TC_CLIENT_TS,
    TC_CLIENT_TAG, TC_NCOLS
};

/* Trip JSON for members; public == true drops private fields (owner,
 * budget, notes, preferences, shareId). */
json_t *trip_json(const store_res_t *r, int row, bool public_view);
/* The fields a client may write, as trip_json names them. */
json_t *trip_editable(const json_t *full);

/* Loads a live trip the user is an accepted member of (TRIP_COLS then the
 * role). 404 when missing, deleted or not shared with the user; 403 when
 * the user's role is below `need`. *role gets the rank. */
int trip_load(store_conn_t *db, const char *trip_id, const char *user_id, int need,
              store_res_t **out, int *role, apierr_t *err);
/* Just the caller's role on a live trip (ROLE_NONE when none), 404/403
 * like trip_load. */
int trip_check(store_conn_t *db, const char *trip_id, const char *user_id, int need, int *role,
               apierr_t *err);

/* Inside a write transaction: locks the trip's row until commit, so
 * writers of one trip (and its children) queue instead of failing their
 * version checks (PostgreSQL; SQLite write transactions are exclusive). */
int trip_lock(store_conn_t *db, const char *trip_id, apierr_t *err);

/* Accepted members' user ids, sorted (one column). */
int trip_members(store_conn_t *db, const char *trip_id, store_res_t **out, apierr_t *err);
/* Index of uid in a trip_members() result, or -1. */
int trip_member_index(const store_res_t *members, const char *uid);
/* Bumps one of the trip's list versions (itinerary_version, ...) and
 * returns the new value in *out. col must be a fixed column name. */
int trip_bump_list(store_conn_t *db, const char *trip_id, const char *col, int64_t *out,
                   apierr_t *err);

/* Validated trip fields, ready to store. Strings are borrowed. */
typedef struct {
    const char *title, *description, *start, *end, *currency, *notes;
    char *preferences; /* malloc'd JSON text */
    int status;
    bool has_budget, is_public;
    int64_t budget;
} trip_fields_t;
/* Reads a full set of fields from obj (PUT / create / merged PATCH):
 * absent optional fields take their defaults. 422 naming the field. */
int trip_fields_parse(json_t *obj, trip_fields_t *f, apierr_t *err);
void trip_fields_free(trip_fields_t *f);

/* Appends one change to the log, inside the caller's transaction (on
 * PostgreSQL after taking the change-log lock, so seqs become visible in
 * commit order; call it after the transaction's row updates). data may
 * be NULL (tombstone); borrowed. */
int changes_log(store_conn_t *db, const char *trip_id, const char *user_id, const char *entity,
                const char *entity_id, const char *op, int64_t version, json_t *data,
                apierr_t *err);

/* Recomputes a trip's search text (title, description, destination names). */
int trip_reindex(store_conn_t *db, const char *trip_id, apierr_t *err);

/* If-Match: 0 when absent, "*" or equal; otherwise -1 (412 to send). */
int trip_if_match(http_req_t *req, int64_t version);
/* 412 with the current representation in details.current (stolen). */
void trip_send_stale(http_req_t *req, int64_t version, json_t *current);

/* Field readers (422 "validation_failed" naming the field). */
int tf_date(json_t *obj, const char *field, bool required, const char **out, apierr_t *err);
int tf_int(json_t *obj, const char *field, int64_t min, int64_t max, bool required, bool *has,
           int64_t *out, apierr_t *err);
int tf_bool(json_t *obj, const char *field, bool def, bool *out, apierr_t *err);
int tf_currency(json_t *obj, const char *field, bool required, const char **out, apierr_t *err);
int tf_time(json_t *obj, const char *field, bool required, bool *has, int64_t *out,
            apierr_t *err);

/* Validates a path id (a UUID); 404 when malformed. */
int trip_path_id(http_req_t *req, const char *name, const char **out);

/* A child row of a trip (destination, activity, expense) as the shared
 * delete handler sees it. */
typedef struct {
    const char *param;   /* path parameter holding the child's id */
    const char *entity;  /* change-log entity name */
    int version_col;     /* column of `version` in get_row's result */
    /* Loads the live row (404 when missing or not in this trip). */
    int (*get_row)(store_conn_t *db, const char *trip_id, const char *id, store_res_t **out,
                   apierr_t *err);
    /* The row as the client sees it, for a 412 answer. */
    json_t *(*current)(store_conn_t *db, const store_res_t *row, apierr_t *err);
    /* Soft-deletes the row and whatever depends on it, inside the
     * transaction. */
    int (*remove)(store_conn_t *db, const char *trip_id, const char *id, int64_t now,
                  apierr_t *err);
} trip_child_t;

/* DELETE /v1/trips/:id/<children>/:<param>: editor role, If-Match, a
 * tombstone and a change-log row in one transaction, 204. */
void trip_child_delete(http_req_t *req, const trip_child_t *kind);
void trip_fail(http_req_t *req, apierr_t *err);

/* ---- trips.c ---- */
/* Selects one trip row (TRIP_COLS) by id, live or not; NULL rows when none. */
int trip_select(store_conn_t *db, const char *id, store_res_t **out, apierr_t *err);
/* Writes a trip inside the caller's transaction. expect == 0 creates it
 * (owner = user_id, owner buddy row); otherwise updates the live trip at
 * version `expect` (412 "precondition_failed" when it moved). Reindexes,
 * logs the change, and returns the new member view in *out (owned). */
typedef struct {
    const char *user_id, *id;
    int64_t expect;
    int64_t client_ts;          /* 0: now */
    const char *client_tag;     /* NULL: "" */
} trip_write_t;
int trip_store(store_conn_t *db, const trip_write_t *w, const trip_fields_t *f, json_t **out,
               apierr_t *err);
/* Tombstones a live trip at version expect, logs the change. */
int trip_delete_row(store_conn_t *db, const char *user_id, const char *id, int64_t expect,
                    apierr_t *err);

/* ---- trips_nested.c ---- */
/* Live destinations / activities of a trip as a JSON array (owned). */
json_t *dest_list(store_conn_t *db, const char *trip_id, bool public_view, apierr_t *err);
json_t *act_list(store_conn_t *db, const char *trip_id, bool public_view, apierr_t *err);

/* ---- handlers (trips_routes.c lists them) ---- */
void trips_create(http_req_t *req);
void trips_list(http_req_t *req);
void trips_get(http_req_t *req);
void trips_put(http_req_t *req);
void trips_patch(http_req_t *req);
void trips_delete(http_req_t *req);
void trips_public_get(http_req_t *req);
void dest_list_h(http_req_t *req);
void dest_create_h(http_req_t *req);
void dest_get_h(http_req_t *req);
void dest_patch_h(http_req_t *req);
void dest_delete_h(http_req_t *req);
void act_list_h(http_req_t *req);
void act_create_h(http_req_t *req);
void act_get_h(http_req_t *req);
void act_patch_h(http_req_t *req);
void act_delete_h(http_req_t *req);
void buddies_list(http_req_t *req);
void buddies_invite(http_req_t *req);
void buddies_accept(http_req_t *req);
void buddies_decline(http_req_t *req);
void buddies_set_role(http_req_t *req);
void buddies_remove(http_req_t *req);
void buddies_invitations(http_req_t *req);
void budget_get(http_req_t *req);
void budget_put(http_req_t *req);
void expenses_list(http_req_t *req);
void expenses_create(http_req_t *req);
void expenses_get(http_req_t *req);
void expenses_patch(http_req_t *req);
void expenses_delete(http_req_t *req);
void balances_get(http_req_t *req);
void itinerary_get(http_req_t *req);
void itinerary_put(http_req_t *req);
void packing_get(http_req_t *req);
void packing_put(http_req_t *req);
void sync_pull(http_req_t *req);
void sync_push(http_req_t *req);
void sync_status(http_req_t *req);

#endif
