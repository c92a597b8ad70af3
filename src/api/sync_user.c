/*
 * sync_user.c - the signed-in user's own entities in the sync log and in
 * POST /v1/sync/push: "profile", "preferences", "emergencyContacts" (each
 * one per user, id = the user's id, op update only) and "savedLocation"
 * (id = the location's, create with a client id / update / delete).
 *
 * Versions: profile and preferences share users.version (the ETag the
 * /v1/users routes send and check), a saved location has its row's
 * version, the emergency-contact list its own counter in
 * user_sync_versions. Data pulled is what the routes answer; data pushed
 * is what the routes accept (a profile patch, the whole preferences
 * document, {"contacts": [...]}, a saved location's fields), checked by
 * the same code (users_*_apply).
 *
 * On a stale baseVersion: server-wins (and merge, which is field-level
 * for trips only) answer a conflict with the server's version and data;
 * client-wins applies; last-write-wins compares clientTimestamp with the
 * entity's last server write time (updated_at), the client winning ties.
 * Another user's saved location is not found (rejected, 404), and the
 * per-user entities only ever name the caller.
 */
#include "api/sync_int.h"
#include "api/trips_int.h"
#include "api/users_int.h"

#include "core/clock.h"
#include "trips/logic.h"

#include <string.h>

/* The entity's current state as pull shows it. */
typedef struct {
    bool exists;
    int64_t version, updated_at;
    json_t *data; /* owned; NULL when !exists */
} ustate_t;

static int contacts_state(store_conn_t *db, const char *uid, ustate_t *s, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(uid)};
    store_res_t *r = NULL, *v = NULL;
    if (store_query(db, "SELECT " USERS_CONTACT_COLS " FROM emergency_contacts WHERE user_id = $1 "
                    "ORDER BY position", a, 1, &r, err) < 0)
        return -1;
    if (store_query(db, "SELECT version, updated_at FROM user_sync_versions WHERE user_id = $1 "
                    "AND entity = 'emergencyContacts'", a, 1, &v, err) < 0) {
        store_res_free(r);
        return -1;
    }
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(items, users_contact_json(r, i));
    s->exists = true;
    s->version = v->nrows ? store_int(v, 0, 0) : 0;
    s->updated_at = v->nrows ? store_int(v, 0, 1) : 0;
    s->data = json_pack("{s:o}", "items", items);
    store_res_free(r);
    store_res_free(v);
    return 0;
}

static int user_state(store_conn_t *db, const char *uid, const char *entity, const char *id,
                      ustate_t *s, apierr_t *err)
{
    memset(s, 0, sizeof *s);
    if (strcmp(entity, "emergencyContacts") == 0)
        return contacts_state(db, uid, s, err);
    store_res_t *r = NULL;
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid)};
    int rc;
    if (strcmp(entity, "profile") == 0)
        rc = acc_user_load(db, uid, &r, err);
    else if (strcmp(entity, "preferences") == 0)
        rc = store_query(db, "SELECT preferences, version, updated_at FROM users WHERE id = $1",
                         a + 1, 1, &r, err);
    else
        rc = store_query(db, "SELECT " USERS_PLACE_COLS " FROM saved_locations WHERE id = $1 "
                         "AND user_id = $2", a, 2, &r, err);
    if (rc < 0)
        return -1;
    if (r->nrows == 1) {
        s->exists = true;
        if (strcmp(entity, "profile") == 0) {
            s->data = acc_user_json(r, 0);
            s->version = store_int(r, 0, 13);
            s->updated_at = store_int(r, 0, 15);
        } else if (strcmp(entity, "preferences") == 0) {
            s->data = acc_json_col(r, 0, 0, false);
            s->version = store_int(r, 0, 1);
            s->updated_at = store_int(r, 0, 2);
        } else {
            s->data = users_place_json(r, 0);
            s->version = store_int(r, 0, 6);
            s->updated_at = store_int(r, 0, 8);
        }
    }
    store_res_free(r);
    return 0;
}

bool sync_user_entity(const char *entity)
{
    static const char *const names[] = {"profile", "preferences", "savedLocation",
                                        "emergencyContacts", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], entity) == 0)
            return true;
    return false;
}

int sync_user_log(store_conn_t *db, const char *uid, const char *entity, const char *id,
                  const char *op, int64_t version, apierr_t *err)
{
    if (strcmp(op, "delete") == 0)
        return changes_log(db, NULL, uid, entity, id, op, version, NULL, err);
    if (strcmp(entity, "emergencyContacts") == 0) {
        store_arg_t a[] = {ARG_TEXT(uid), ARG_INT(clock_now_ms())};
        if (store_exec(db,
                       "INSERT INTO user_sync_versions (user_id, entity, version, updated_at) "
                       "VALUES ($1, 'emergencyContacts', 1, $2) ON CONFLICT (user_id, entity) DO "
                       "UPDATE SET version = user_sync_versions.version + 1, updated_at = $2",
                       a, 2, err) < 0)
            return -1;
    }
    ustate_t s;
    if (user_state(db, uid, entity, id, &s, err) < 0)
        return -1;
    if (!s.exists)
        return apierr_set(err, 500, "internal", "the changed %s is gone", entity);
    int rc = changes_log(db, NULL, uid, entity, id, op, s.version, s.data, err);
    json_decref(s.data);
    return rc;
}

/* ---- push ---------------------------------------------------------------------- */

static json_t *rejected(const sync_mut_t *m, int status, const char *code, const char *msg)
{
    apierr_t e = {0};
    apierr_set(&e, status, code, "%s", msg);
    return sync_rejected(m, &e);
}

static json_t *conflict(const sync_mut_t *m, ustate_t *s)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "clientMutationId", m->cmid, "status",
                          "conflict", "entity", m->entity, "id", m->id, "serverVersion",
                          (json_int_t)s->version);
    json_object_set_new(o, "serverData", s->data ? s->data : json_null());
    s->data = NULL;
    return o;
}

/* Writes the mutation (the entity is known to exist unless op create). */
static int write_one(store_conn_t *db, const sync_mut_t *m, const ustate_t *s, apierr_t *err)
{
    const char *uid = m->user_id;
    int64_t v = 0;
    if (strcmp(m->entity, "profile") == 0)
        return users_profile_apply(db, uid, m->data, s->version, err);
    if (strcmp(m->entity, "preferences") == 0)
        return users_doc_apply(db, uid, "preferences", prefs_preferences_schema, m->data, err);
    if (strcmp(m->entity, "emergencyContacts") == 0)
        return users_contacts_apply(db, uid, m->data, err);
    if (strcmp(m->op, "delete") == 0)
        return users_place_remove(db, uid, m->id, s->version, &v, err);
    return users_place_apply(db, uid, m->id, m->data, s->exists ? s->version : 0, err);
}

/* Whether a stale mutation goes through under the strategy. */
static bool stale_wins(const sync_mut_t *m, const ustate_t *s)
{
    if (m->strategy == SYNC_CLIENT_WINS)
        return true;
    if (m->strategy == SYNC_LAST_WRITE_WINS)
        return trips_lww_client_wins(s->updated_at, "", m->client_ts, m->cmid);
    return false; /* server-wins; merge is field-level for trips only */
}

/* Checks op and ownership; a rejection result, or NULL to go on. */
static json_t *precheck(store_conn_t *db, const sync_mut_t *m, apierr_t *err, bool *failed)
{
    bool single = strcmp(m->entity, "savedLocation") != 0;
    *failed = false;
    if (single && strcmp(m->id, m->user_id) != 0)
        return rejected(m, 404, "not_found", "this entity exists once per user: use your user id");
    if (single && strcmp(m->op, "update") != 0)
        return rejected(m, 422, "unsupported_op", "this entity can only be updated");
    if (!single && strcmp(m->op, "create") == 0) {
        store_arg_t a[] = {ARG_TEXT(m->id)};
        store_res_t *r = NULL;
        if (store_query(db, "SELECT 1 FROM saved_locations WHERE id = $1", a, 1, &r, err) < 0) {
            *failed = true;
            return NULL;
        }
        bool taken = r->nrows > 0;
        store_res_free(r);
        if (taken)
            return rejected(m, 409, "conflict", "a saved location with this id already exists");
    }
    return NULL;
}

json_t *sync_user_apply(store_conn_t *db, const sync_mut_t *m, apierr_t *err)
{
    bool failed;
    json_t *res = precheck(db, m, err, &failed);
    if (res || failed)
        return res;
    ustate_t s;
    if (user_state(db, m->user_id, m->entity, m->id, &s, err) < 0)
        return NULL;
    bool create = strcmp(m->op, "create") == 0;
    if (!create && !s.exists)
        return rejected(m, 404, "not_found", "no such saved location");
    if (!create && m->base_version != s.version && !stale_wins(m, &s))
        res = conflict(m, &s);
    else if (write_one(db, m, &s, err) < 0)
        res = err->status >= 500 ? NULL : sync_rejected(m, err);
    json_decref(s.data);
    if (res || (err->status >= 500))
        return res;
    bool del = strcmp(m->op, "delete") == 0;
    if (sync_user_log(db, m->user_id, m->entity, m->id, m->op, s.version + 1, err) < 0 ||
        (!del && user_state(db, m->user_id, m->entity, m->id, &s, err) < 0))
        return NULL;
    res = json_pack("{s:s, s:s, s:s, s:s, s:I}", "clientMutationId", m->cmid, "status", "applied",
                    "entity", m->entity, "id", m->id, "version",
                    (json_int_t)(del ? s.version + 1 : s.version));
    if (!del)
        json_object_set_new(res, "data", s.data);
    return res;
}
