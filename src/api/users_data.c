/*
 * users_data.c - /v1/users lists the user owns: emergency contacts
 * (replaced whole, at most 10), saved locations (CRUD with cursor
 * pagination, versioned).
 *
 * Ownership is in every statement: rows are selected, changed and deleted
 * with "user_id = $me", so someone else's id is 404.
 */
#include "api/users_int.h"
#include "api/sync_log.h"

#include "core/clock.h"
#include "core/uuid.h"
#include "core/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONTACTS 10

static int only_known(json_t *obj, const char *const *known, const char *base, apierr_t *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], key) != 0)
            k++;
        if (!known[k]) {
            char f[200];
            snprintf(f, sizeof f, "%s%s", base, key);
            return acc_invalid(err, f, "is not a known field");
        }
    }
    return 0;
}

/* ---- emergency contacts -------------------------------------------------------- */

json_t *users_contact_json(const store_res_t *r, int i)
{
    const char *ph = store_val(r, i, 3), *em = store_val(r, i, 4);
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", store_val(r, i, 0), "name",
                     store_val(r, i, 1), "relation", store_val(r, i, 2), "phone",
                     ph ? json_string(ph) : json_null(), "email",
                     em ? json_string(em) : json_null(), "alerts", acc_json_col(r, i, 5, true));
}

void users_contacts_get(http_req_t *req)
{
    apierr_t err = {0};
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL;
    if (store_query(acc_db(),
                    "SELECT " USERS_CONTACT_COLS " FROM emergency_contacts "
                    "WHERE user_id = $1 ORDER BY position",
                    a, 1, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    for (int i = 0; i < r->nrows; i++)
        json_array_append_new(items, users_contact_json(r, i));
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o}", "items", items));
}

static const char *const alert_kinds[] = {"sos", "checkInMissed", "geofence", "tripUpdates",
                                          NULL};

static int check_alerts(json_t *v, const char *f, apierr_t *err)
{
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > 4)
        return acc_invalid(err, f, "must be an array of sos, checkInMissed, geofence, tripUpdates");
    size_t i;
    json_t *it;
    json_array_foreach(v, i, it) {
        size_t k = 0;
        while (alert_kinds[k] && !(json_is_string(it) && strcmp(alert_kinds[k], json_string_value(it)) == 0))
            k++;
        if (!alert_kinds[k])
            return acc_invalid(err, f, "item %zu is not a known alert", i);
    }
    return 0;
}

static int check_contact(json_t *c, size_t i, apierr_t *err)
{
    static const char *const known[] = {"name", "relation", "phone", "email", "alerts", NULL};
    char base[64], f[96];
    snprintf(base, sizeof base, "contacts[%zu].", i);
    if (!json_is_object(c)) {
        snprintf(f, sizeof f, "contacts[%zu]", i);
        return acc_invalid(err, f, "must be an object");
    }
    if (only_known(c, known, base, err) < 0)
        return -1;
    const char *name, *rel, *ph, *em;
    if (acc_str(c, "name", 1, 100, true, &name, err) < 0 ||
        acc_str(c, "relation", 0, 50, false, &rel, err) < 0 ||
        acc_str(c, "phone", 1, 16, false, &ph, err) < 0 ||
        acc_str(c, "email", 3, 254, false, &em, err) < 0)
        return -1;
    char emn[VALIDATE_EMAIL_MAX + 1];
    snprintf(f, sizeof f, "%sphone", base);
    if (ph && !validate_phone_e164(ph, strlen(ph)))
        return acc_invalid(err, f, "must be an E.164 number");
    snprintf(f, sizeof f, "%semail", base);
    if (em && validate_email_normalize(em, strlen(em), emn, sizeof emn) <= 0)
        return acc_invalid(err, f, "is not a valid e-mail address");
    if (!ph && !em) {
        snprintf(f, sizeof f, "%sphone", base);
        return acc_invalid(err, f, "a phone number or an e-mail address is required");
    }
    snprintf(f, sizeof f, "%salerts", base);
    return check_alerts(json_object_get(c, "alerts"), f, err);
}

static int insert_contact(store_conn_t *db, const char *uid, json_t *c, size_t pos, apierr_t *err)
{
    char id[UUID_STR_LEN], emn[VALIDATE_EMAIL_MAX + 1];
    uuid_v7(id);
    json_t *rel = json_object_get(c, "relation"), *ph = json_object_get(c, "phone"),
           *em = json_object_get(c, "email"), *al = json_object_get(c, "alerts");
    const char *ems = json_string_value(em);
    if (ems && validate_email_normalize(ems, strlen(ems), emn, sizeof emn) > 0)
        ems = emn;
    char *alerts = al ? json_dumps(al, JSON_COMPACT) : NULL;
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid), ARG_INT((int64_t)pos),
                       ARG_TEXT(json_string_value(json_object_get(c, "name"))),
                       ARG_TEXT(json_string_value(rel) ? json_string_value(rel) : ""),
                       ARG_TEXT(json_string_value(ph)), ARG_TEXT(ems),
                       ARG_TEXT(alerts ? alerts : "[]"), ARG_INT(clock_now_ms())};
    int rc = store_exec(db,
                        "INSERT INTO emergency_contacts (id, user_id, position, name, relation, "
                        "phone, email, alerts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                        "$8, $9)",
                        a, 9, err);
    free(alerts);
    return rc;
}

int users_contacts_apply(store_conn_t *db, const char *uid, json_t *b, apierr_t *err)
{
    static const char *const known[] = {"contacts", NULL};
    json_t *list = json_object_get(b, "contacts");
    if (only_known(b, known, "", err) < 0)
        return -1;
    if (!json_is_array(list) || json_array_size(list) > MAX_CONTACTS)
        return acc_invalid(err, "contacts", "must be an array of at most %d contacts", MAX_CONTACTS);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) if (check_contact(c, i, err) < 0) return -1;
    store_arg_t a[] = {ARG_TEXT(uid)};
    /* Lock the user's row first (PostgreSQL): two replacements at once
     * would otherwise both delete, then both insert their lists. */
    int rc = store_exec(db, "UPDATE users SET version = version WHERE id = $1", a, 1, err);
    if (rc == 0)
        rc = store_exec(db, "DELETE FROM emergency_contacts WHERE user_id = $1", a, 1, err);
    json_array_foreach(list, i, c) if (rc == 0) rc = insert_contact(db, uid, c, i, err);
    return rc;
}

void users_contacts_put(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    store_conn_t *db = acc_db();
    if (store_begin(db, true, &err) < 0)
        ACC_FAIL(req, &err);
    if (users_contacts_apply(db, req->user_id, b, &err) < 0 ||
        sync_user_log(db, req->user_id, "emergencyContacts", req->user_id, "update", 0, &err) < 0 ||
        sync_commit(db, &err) < 0) {
        store_rollback(db);
        ACC_FAIL(req, &err);
    }
    users_contacts_get(req);
}

/* ---- saved locations ------------------------------------------------------------ */

#define PLACE_COLS USERS_PLACE_COLS

json_t *users_place_json(const store_res_t *r, int i)
{
    return json_pack("{s:s, s:s, s:{s:f, s:f}, s:s, s:s, s:I, s:o, s:o}", "id",
                     store_val(r, i, 0), "name", store_val(r, i, 1), "location", "lat",
                     store_real(r, i, 2), "lng", store_real(r, i, 3), "category",
                     store_val(r, i, 4), "notes", store_val(r, i, 5), "version",
                     (json_int_t)store_int(r, i, 6), "createdAt", acc_time(store_int(r, i, 7)),
                     "updatedAt", acc_time(store_int(r, i, 8)));
}

static const char *const categories[] = {"home", "work", "hotel", "restaurant", "attraction",
                                         "transport", "meetingPoint", "other", NULL};

typedef struct {
    const char *name, *category, *notes;
    double lat, lng;
    bool has_loc;
} place_t;

static int parse_place(json_t *b, place_t *p, bool create, apierr_t *err)
{
    static const char *const known[] = {"name", "location", "category", "notes", NULL};
    if (only_known(b, known, "", err) < 0 ||
        acc_str(b, "name", 1, 100, create, &p->name, err) < 0 ||
        acc_str(b, "category", 1, 30, false, &p->category, err) < 0 ||
        acc_str(b, "notes", 0, 2000, false, &p->notes, err) < 0)
        return -1;
    size_t k = 0;
    while (p->category && categories[k] && strcmp(categories[k], p->category) != 0)
        k++;
    if (p->category && !categories[k])
        return acc_invalid(err, "category", "is not one of home, work, hotel, restaurant, "
                                            "attraction, transport, meetingPoint, other");
    json_t *loc = json_object_get(b, "location");
    if (!loc && create)
        return acc_invalid(err, "location", "is required");
    if (!loc)
        return 0;
    static const char *const lk[] = {"lat", "lng", NULL};
    json_t *lat = json_object_get(loc, "lat"), *lng = json_object_get(loc, "lng");
    if (!json_is_object(loc) || only_known(loc, lk, "location.", err) < 0 || !json_is_number(lat) ||
        !json_is_number(lng))
        return err->status ? -1 : acc_invalid(err, "location", "must be {\"lat\": …, \"lng\": …}");
    p->lat = json_number_value(lat);
    p->lng = json_number_value(lng);
    if (!isfinite(p->lat) || p->lat < -90 || p->lat > 90)
        return acc_invalid(err, "location.lat", "must be from -90 to 90");
    if (!isfinite(p->lng) || p->lng < -180 || p->lng > 180)
        return acc_invalid(err, "location.lng", "must be from -180 to 180");
    p->has_loc = true;
    return 0;
}

static int load_place(store_conn_t *db, const char *uid, const char *id, store_res_t **r,
                      apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid)};
    if (store_query(db, "SELECT " PLACE_COLS " FROM saved_locations WHERE id = $1 AND user_id = $2",
                    a, 2, r, err) < 0)
        return -1;
    if ((*r)->nrows != 1) {
        store_res_free(*r);
        *r = NULL;
        return apierr_set(err, 404, "not_found", "no such saved location");
    }
    return 0;
}

static void send_place(http_req_t *req, int status, const char *id)
{
    apierr_t err = {0};
    store_res_t *r = NULL;
    if (load_place(acc_db(), req->user_id, id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t v = store_int(r, 0, 6);
    http_send_json(req, status, users_place_json(r, 0));
    store_res_free(r);
    acc_etag(req, v);
}

void users_places_list(http_req_t *req)
{
    apierr_t err = {0};
    const char *ls = http_query(req, "limit"), *cursor = http_query(req, "cursor");
    long limit = ls ? strtol(ls, NULL, 10) : 50;
    if (limit < 1 || limit > 100 || (cursor && !uuid_valid(cursor))) {
        http_send_error(req, 400, "invalid_parameter", "limit is 1..100, cursor an id from nextCursor");
        return;
    }
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_TEXT(cursor ? cursor : ""), ARG_INT(limit + 1)};
    store_res_t *r = NULL;
    if (store_query(acc_db(),
                    "SELECT " PLACE_COLS " FROM saved_locations WHERE user_id = $1 AND id > $2 "
                    "ORDER BY id LIMIT $3",
                    a, 3, &r, &err) < 0)
        ACC_FAIL(req, &err);
    json_t *items = json_array();
    int n = r->nrows > limit ? (int)limit : r->nrows;
    for (int i = 0; i < n; i++)
        json_array_append_new(items, users_place_json(r, i));
    json_t *next = r->nrows > limit ? json_string(store_val(r, n - 1, 0)) : json_null();
    store_res_free(r);
    http_send_json(req, 200, json_pack("{s:o, s:o}", "items", items, "nextCursor", next));
}

int users_place_apply(store_conn_t *db, const char *uid, const char *id, json_t *b,
                      int64_t expect, apierr_t *err)
{
    place_t p = {0};
    if (parse_place(b, &p, expect == 0, err) < 0)
        return -1;
    int64_t now = clock_now_ms();
    if (expect == 0) {
        store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid), ARG_TEXT(p.name), ARG_REAL(p.lat),
                           ARG_REAL(p.lng), ARG_TEXT(p.category ? p.category : "other"),
                           ARG_TEXT(p.notes ? p.notes : ""), ARG_INT(now)};
        return store_exec(db,
                          "INSERT INTO saved_locations (id, user_id, name, lat, lng, category, "
                          "notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                          a, 8, err);
    }
    store_res_t *r = NULL;
    if (load_place(db, uid, id, &r, err) < 0)
        return -1;
    double lat = p.has_loc ? p.lat : store_real(r, 0, 2), lng = p.has_loc ? p.lng : store_real(r, 0, 3);
    store_res_free(r);
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid), ARG_TEXT(p.name), ARG_REAL(lat),
                       ARG_REAL(lng), ARG_TEXT(p.category), ARG_TEXT(p.notes),
                       ARG_INT(now), ARG_INT(expect)};
    if (store_query(db,
                    "UPDATE saved_locations SET name = COALESCE(CAST($3 AS TEXT), name), lat = $4, "
                    "lng = $5, category = COALESCE(CAST($6 AS TEXT), category), "
                    "notes = COALESCE(CAST($7 AS TEXT), notes), updated_at = $8, "
                    "version = version + 1 WHERE id = $1 AND user_id = $2 AND version = $9",
                    a, 9, &r, err) < 0)
        return -1;
    bool ok = r->changes == 1;
    store_res_free(r);
    return ok ? 0 : apierr_set(err, 412, "precondition_failed", "the location changed meanwhile; retry");
}

int users_place_remove(store_conn_t *db, const char *uid, const char *id, int64_t expect,
                       int64_t *version, apierr_t *err)
{
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(uid), ARG_INT(expect)};
    store_res_t *r = NULL;
    if (store_query(db,
                    "DELETE FROM saved_locations WHERE id = $1 AND user_id = $2 AND "
                    "(CAST($3 AS BIGINT) = 0 OR version = $3) RETURNING version",
                    a, 3, &r, err) < 0)
        return -1;
    int n = r->nrows;
    *version = n ? store_int(r, 0, 0) : 0;
    store_res_free(r);
    if (n == 1)
        return 0;
    if (expect != 0 && load_place(db, uid, id, &r, err) == 0) {
        store_res_free(r);
        return apierr_set(err, 412, "precondition_failed", "the location changed meanwhile");
    }
    return apierr_set(err, 404, "not_found", "no such saved location");
}

/* Runs a write and its change-log row in one transaction. */
static int place_write(store_conn_t *db, http_req_t *req, const char *id, int64_t expect,
                       const char *op, apierr_t *err)
{
    int64_t v = 0;
    if (store_begin(db, true, err) < 0)
        return -1;
    int rc = strcmp(op, "delete") == 0
                 ? users_place_remove(db, req->user_id, id, expect, &v, err)
                 : users_place_apply(db, req->user_id, id, req->json, expect, err);
    if (rc < 0 || sync_user_log(db, req->user_id, "savedLocation", id, op, v + 1, err) < 0 ||
        sync_commit(db, err) < 0) {
        store_rollback(db);
        return -1;
    }
    return 0;
}

void users_places_create(http_req_t *req)
{
    if (!acc_body(req))
        return;
    apierr_t err = {0};
    char id[UUID_STR_LEN];
    uuid_v7(id);
    if (place_write(acc_db(), req, id, 0, "create", &err) < 0)
        ACC_FAIL(req, &err);
    send_place(req, 201, id);
}

void users_places_get(http_req_t *req) { send_place(req, 200, http_param(req, "id")); }

void users_places_update(http_req_t *req)
{
    if (!acc_body(req))
        return;
    apierr_t err = {0};
    store_res_t *r = NULL;
    const char *id = http_param(req, "id");
    store_conn_t *db = acc_db();
    if (load_place(db, req->user_id, id, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int64_t v = store_int(r, 0, 6);
    store_res_free(r);
    if (acc_if_match(req, v, &err) < 0 || place_write(db, req, id, v, "update", &err) < 0)
        ACC_FAIL(req, &err);
    send_place(req, 200, id);
}

void users_places_delete(http_req_t *req)
{
    apierr_t err = {0};
    if (place_write(acc_db(), req, http_param(req, "id"), 0, "delete", &err) < 0)
        ACC_FAIL(req, &err);
    http_send_raw(req, 204, NULL, NULL, 0);
}
