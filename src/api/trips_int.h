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
#include "api/sync_log.h"
#include "core/buf.h"
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

/* Columns of a destination and of an activity, in order. */
#define DEST_COLS                                                                             \
    "id, trip_id, name, type, arrival, departure, lat, lng, address, notes, version, "        \
    "created_at, updated_at"
enum { DC_ID, DC_TRIP, DC_NAME, DC_TYPE, DC_ARR, DC_DEP, DC_LAT, DC_LNG, DC_ADDR, DC_NOTES,
       DC_VERSION, DC_CREATED, DC_UPDATED };
#define ACT_COLS                                                                              \
    "id, trip_id, destination_id, name, type, start_at, end_at, cost, currency, status, "     \
    "notes, version, created_at, updated_at"
enum { AC_ID, AC_TRIP, AC_DEST, AC_NAME, AC_TYPE, AC_START, AC_END, AC_COST, AC_CUR, AC_STATUS,
       AC_NOTES, AC_VERSION, AC_CREATED, AC_UPDATED };

/* ---- trips_shape.c: JSON shapes as data -------------------------------- */
typedef enum { RF_TEXT, RF_INT, RF_BOOL, RF_TIME, RF_JSON, RF_COORD } row_kind_t;
typedef struct {
    const char *name;     /* JSON field */
    int col;              /* result column (RF_COORD: lat, then lng at col + 1) */
    row_kind_t kind;
    bool private_field;   /* left out of public views */
} row_field_t;
typedef struct {
    const row_field_t *f;
    size_t n;
} row_shape_t;
extern const row_shape_t trip_shape, dest_shape, act_shape;
/* The row as a new JSON object. */
json_t *row_json(const row_shape_t *s, const store_res_t *r, int row, bool public_view);
/* The same object as text: whole, only its fields (no braces), or every
 * row of r as an array. Growth failures surface through the buffer. */
void row_write(buf_t *b, const row_shape_t *s, const store_res_t *r, int row, bool public_view);
void row_write_fields(buf_t *b, const row_shape_t *s, const store_res_t *r, int row,
                      bool public_view);
void row_write_all(buf_t *b, const row_shape_t *s, const store_res_t *r, bool public_view);

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

/* Appends one change to the log, inside the caller's transaction (commit
 * it with sync_commit() so that members hear "sync:changed"; on
 * PostgreSQL after taking the change-log lock, so seqs become visible in
 * commit order; call it after the transaction's row updates). data may
 * be NULL (tombstone); borrowed. */
int changes_log(store_conn_t *db, const char *trip_id, const char *user_id, const char *entity,
                const char *entity_id, const char *op, int64_t version, json_t *data,
                apierr_t *err);

/* Recomputes a trip's search text (title, description, destination names). */
int trip_reindex(store_conn_t *db, const char *trip_id, apierr_t *err);

/* Answers 200 with the JSON text in b, taking its storage (b is reset);
 * 500 when b holds nothing (a failed growth). */
void trip_send_buf(http_req_t *req, buf_t *b);

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

/* One page of a nested list (destinations, activities, expenses,
 * buddies), in keyset order (key, id): ?limit= (1..max, default def) and
 * ?cursor= "<key>~<id>" as trip_page_next() made it (422 naming the
 * field otherwise). The key is a date text ('' for none) or, with int_key,
 * a number (-1 for none); SQL orders by COALESCE(key, '' or -1), id and
 * selects rows after (trip_page_key_arg(p), p->id), limit + 1 of them. */
#define PAGE_DEFAULT 100
#define PAGE_MAX 500
typedef struct {
    int limit;
    bool int_key;
    char key[32];   /* text key, "" before the first page */
    int64_t ikey;   /* int key, INT64_MIN before the first page */
    char id[40];    /* "" before the first page */
} trip_page_t;
int trip_page_parse(http_req_t *req, int def, int max, bool int_key, trip_page_t *p,
                    apierr_t *err);
store_arg_t trip_page_key_arg(const trip_page_t *p);
/* nextCursor for a result of up to limit + 1 rows: null when it is the last page. */
json_t *trip_page_next(const trip_page_t *p, const store_res_t *r, int key_col, int id_col);
/* The keyset condition and order for a key expression, e.g.
 * TRIP_PAGE_SQL("COALESCE(arrival, '')", "id", "$2", "$3"). */
#define TRIP_PAGE_WHERE(key, id, pk, pid) "(" key " > " pk " OR (" key " = " pk " AND " id " > " pid "))"
#define TRIP_PAGE_ORDER(key, id) " ORDER BY " key ", " id " "

/* ---- trips_child.c: the CRUD shape of a trip's child rows ---- */

/* What save() gets: the row's id (new or existing), the trip's row
 * (TRIP_COLS, role) and the version the row is at (0: create). */
typedef struct {
    const char *user_id, *trip_id, *id;
    const store_res_t *trip;
    int64_t expect;
} trip_save_t;

/* A child row of a trip (destination, activity, expense), described once
 * for the shared handlers. */
typedef struct {
    const char *param;   /* path parameter holding the child's id */
    const char *entity;  /* change-log entity name */
    int version_col;     /* column of `version` in `cols` */
    /* Row `row` as the client sees it (new object; NULL with err). */
    json_t *(*current)(store_conn_t *db, const store_res_t *r, int row, bool public_view,
                       apierr_t *err);
    /* Soft-deletes the row and whatever depends on it, inside the
     * transaction. */
    int (*remove)(store_conn_t *db, const char *trip_id, const char *id, int64_t now,
                  apierr_t *err);
    /* Checks body (the full new state, borrowed) and inserts (s->expect
     * == 0) or updates the row at version s->expect (412 when it moved);
     * may put fields for the answer only (not logged) in *extra. */
    int (*save)(store_conn_t *db, const trip_save_t *s, json_t *body, json_t **extra,
                apierr_t *err);
    const char *patch_drop; /* field a PATCH does not start from (NULL: none) */
    /* Rows: table and columns (the id first); lists: the order key
     * expression (its NULLs coalesced), whether it is a number, and its
     * column in the result. A live row is one of this trip, not deleted
     * (404 "no such <entity>" otherwise). */
    const char *table, *cols, *order_key;
    bool int_key;
    int key_col;
} trip_child_t;

/* For save(): runs insert_sql (s->expect 0) or update_sql with args; 412
 * "the <entity> changed meanwhile" unless exactly one row changed. */
int trip_child_exec(store_conn_t *db, const trip_save_t *s, const char *entity,
                    const char *insert_sql, int ninsert, const char *update_sql, int nupdate,
                    const store_arg_t *args, apierr_t *err);
/* Rows of the trip's live children (a page, or all when pg is NULL). */
int trip_child_select(store_conn_t *db, const trip_child_t *kind, const char *trip_id,
                      const trip_page_t *pg, store_res_t **out, apierr_t *err);
/* The same as a JSON array (owned); *next gets nextCursor when next is set. */
json_t *trip_child_list(store_conn_t *db, const trip_child_t *kind, const char *trip_id,
                        bool public_view, const trip_page_t *pg, json_t **next, apierr_t *err);
/* GET .../<children> and GET .../<children>/:<param>, viewer role. */
void trip_child_list_h(http_req_t *req, const trip_child_t *kind);
void trip_child_get_h(http_req_t *req, const trip_child_t *kind);
/* POST (cid NULL) and PATCH of a child: editor role, If-Match, merge patch,
 * save, read back, log, commit; 201 / 200 with ETag. body is borrowed. */
void trip_child_write(http_req_t *req, const trip_child_t *kind, const char *tid,
                      const char *cid, json_t *body);
/* DELETE .../<children>/:<param>: editor role, If-Match, a tombstone and a
 * change-log row in one transaction, 204. */
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
/* Their rows (DEST_COLS / ACT_COLS), a page of them or all when pg is NULL,
 * in list order. */
int dest_select(store_conn_t *db, const char *trip_id, const trip_page_t *pg, store_res_t **out,
                apierr_t *err);
int act_select(store_conn_t *db, const char *trip_id, const trip_page_t *pg, store_res_t **out,
               apierr_t *err);

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
