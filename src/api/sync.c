/*
 * sync.c - offline sync: GET /v1/sync/pull, POST /v1/sync/push,
 * GET /v1/sync/status.
 *
 * Pull hands out the change log (changes table) the caller may see: rows
 * of trips they are an accepted member of, and rows addressed to them
 * (their own profile, preferences, saved locations and emergency
 * contacts, sync_user.c, and trips they joined or left).
 * The cursor is the last seq handed out; because writers append in commit
 * order (trips_util.c, changes_log) a later pull never finds a smaller
 * seq, so nothing is skipped, across restarts too.
 *
 * Push applies each mutation in its own transaction together with a
 * sync_mutations row holding its result, so a retried clientMutationId
 * gets the same result without applying twice. Conflict handling per
 * strategy lives in sync_trip.c and sync_user.c. Devices are named by X-Device-Id (or
 * deviceId), "default" when absent.
 */
#include "api/api.h"
#include "api/sync_int.h"
#include "api/trips_int.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/loopctx.h"
#include "core/validate.h"
#include "trips/logic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULL_MAX 1000
#define PUSH_MAX 100

#define VISIBLE                                                                               \
    "(c.user_id = $1 OR c.trip_id IN (SELECT trip_id FROM trip_buddies WHERE user_id = $1 "   \
    "AND state = 'accepted' AND deleted_at IS NULL))"

static const char *device_of(http_req_t *req, const char *fallback, apierr_t *err)
{
    const char *d = http_header(req, "x-device-id");
    if (!d)
        d = fallback;
    if (!d)
        return "default";
    size_t n = strlen(d);
    if (n == 0 || n > 100) {
        acc_invalid(err, "deviceId", "must be 1 to 100 characters");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (d[i] < 0x21 || d[i] > 0x7e) {
            acc_invalid(err, "deviceId", "must be visible ASCII");
            return NULL;
        }
    return d;
}

/* A pull that hands a device the cursor it already had, within
 * TOUCH_EVERY_MS of the last record, writes nothing: polling devices do
 * not turn every read into a write (lastPullAt is that much coarser).
 * One direct-mapped slot per (user, device) hash, per loop thread. */
#define TOUCH_SLOTS 1024
#define TOUCH_EVERY_MS 30000
typedef struct {
    char key[160];
    int64_t cursor, at;
} touch_slot_t;
static _Thread_local touch_slot_t touched[TOUCH_SLOTS];

static touch_slot_t *touch_slot(const char *user, const char *dev, char *key, size_t n)
{
    snprintf(key, n, "%s/%s", user, dev);
    uint32_t h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return &touched[h % TOUCH_SLOTS];
}

static void touch_device(store_conn_t *db, const char *user, const char *dev, int64_t cursor,
                         bool pull)
{
    apierr_t err = {0};
    int64_t now = clock_now_ms();
    char key[160];
    touch_slot_t *slot = touch_slot(user, dev, key, sizeof key);
    if (pull && slot->cursor == cursor && now - slot->at < TOUCH_EVERY_MS &&
        strcmp(slot->key, key) == 0)
        return;
    if (pull) {
        memcpy(slot->key, key, sizeof key);
        slot->cursor = cursor;
        slot->at = now;
    }
    store_arg_t a[] = {ARG_TEXT(user), ARG_TEXT(dev), ARG_INT(cursor), ARG_INT(now)};
    store_exec(db,
               pull ? "INSERT INTO sync_devices (user_id, device_id, last_cursor, last_pull_at) "
                      "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, device_id) DO UPDATE SET "
                      "last_cursor = excluded.last_cursor, last_pull_at = excluded.last_pull_at"
                    : "INSERT INTO sync_devices (user_id, device_id, last_cursor, last_push_at) "
                      "VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, device_id) DO UPDATE SET "
                      "last_push_at = excluded.last_push_at",
               a, 4, &err);
    apierr_clear(&err);
}

static int parse_int_q(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

json_t *sync_change_json(const store_res_t *r, int i)
{
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer(store_int(r, i, 0)));
    json_object_set_new(o, "entity", json_string(store_val(r, i, 1)));
    json_object_set_new(o, "id", json_string(store_val(r, i, 2)));
    json_object_set_new(o, "op", json_string(store_val(r, i, 3)));
    json_object_set_new(o, "version", json_integer(store_int(r, i, 4)));
    const char *d = store_val(r, i, 5);
    json_t *data = d ? json_loads(d, 0, NULL) : NULL;
    json_object_set_new(o, "data", data ? data : json_null());
    json_object_set_new(o, "tripId",
                        store_val(r, i, 7) ? json_string(store_val(r, i, 7)) : json_null());
    json_object_set_new(o, "at", acc_time(store_int(r, i, 6)));
    return o;
}

/* Appends one change-log row as pull shows it (the JSON of
 * sync_change_json), in one pass: data is the compact JSON changes_log
 * stored, copied as is rather than parsed and printed again. */
static void change_text(buf_t *b, const store_res_t *r, int i)
{
    char num[32];
    const char *entity = store_val(r, i, 1), *id = store_val(r, i, 2), *op = store_val(r, i, 3);
    const char *data = store_val(r, i, 5), *trip = store_val(r, i, 7);
    buf_append(b, "{\"seq\":", 7);
    buf_append(b, num, trips_itoa(store_int(r, i, 0), num));
    buf_append(b, ",\"entity\":", 10);
    buf_json_str(b, entity, strlen(entity));
    buf_append(b, ",\"id\":", 6);
    buf_json_str(b, id, strlen(id));
    buf_append(b, ",\"op\":", 6);
    buf_json_str(b, op, strlen(op));
    buf_append(b, ",\"version\":", 11);
    buf_append(b, num, trips_itoa(store_int(r, i, 4), num));
    buf_append(b, ",\"data\":", 8);
    buf_puts(b, data && *data ? data : "null");
    buf_append(b, ",\"tripId\":", 10);
    if (trip)
        buf_json_str(b, trip, strlen(trip));
    else
        buf_append(b, "null", 4);
    buf_append(b, ",\"at\":\"", 7);
    trips_rfc3339(store_int(r, i, 6), num);
    buf_append(b, num, 24);
    buf_append(b, "\"}", 2);
}

/* Changes visible to $1 after seq $2, oldest first, at most $3: the rows
 * addressed to the user, and rows of trips they are an accepted member of
 * (not addressed to someone else... or to them, which the first half has).
 * Two index-driven halves instead of one OR, so a pull reads only the
 * user's rows, whatever the size of the log. */
#define PULL_SQL                                                                              \
    "SELECT seq, entity, entity_id, op, version, data, created_at, trip_id FROM ("            \
    "SELECT c.seq, c.entity, c.entity_id, c.op, c.version, c.data, c.created_at, c.trip_id "  \
    "FROM changes c WHERE c.user_id = $1 AND c.seq > $2 UNION ALL "                           \
    "SELECT c.seq, c.entity, c.entity_id, c.op, c.version, c.data, c.created_at, c.trip_id "  \
    "FROM trip_buddies b JOIN changes c ON c.trip_id = b.trip_id WHERE b.user_id = $1 AND "   \
    "b.state = 'accepted' AND b.deleted_at IS NULL AND c.seq > $2 AND "                       \
    "(c.user_id IS NULL OR c.user_id <> $1)) v ORDER BY seq LIMIT $3"

void sync_pull(http_req_t *req)
{
    apierr_t err = {0};
    int64_t cursor = 0, limit = 100;
    if (parse_int_q(http_query(req, "cursor"), 0, INT64_MAX, &cursor) < 0) {
        acc_invalid(&err, "cursor", "is not a cursor this server made");
        ACC_FAIL(req, &err);
    }
    if (parse_int_q(http_query(req, "limit"), 1, PULL_MAX, &limit) < 0) {
        acc_invalid(&err, "limit", "must be 1 to %d", PULL_MAX);
        ACC_FAIL(req, &err);
    }
    const char *dev = device_of(req, http_query(req, "deviceId"), &err);
    if (!dev)
        ACC_FAIL(req, &err);
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(req->user_id), ARG_INT(cursor), ARG_INT(limit + 1)};
    store_res_t *r = NULL;
    if (store_query(db, PULL_SQL, a, 3, &r, &err) < 0)
        ACC_FAIL(req, &err);
    int shown = r->nrows > limit ? (int)limit : r->nrows;
    buf_t b = BUF_INIT;
    size_t need = 64;
    for (int i = 0; i < shown; i++)
        need += 200 + (r->lens ? r->lens[i * r->ncols + 5] : 0);
    buf_reserve(&b, need);
    buf_puts(&b, "{\"changes\":[");
    for (int i = 0; i < shown; i++) {
        if (i)
            buf_puts(&b, ",");
        change_text(&b, r, i);
    }
    int64_t next = shown ? store_int(r, shown - 1, 0) : cursor;
    bool more = r->nrows > limit;
    store_res_free(r);
    if (buf_printf(&b, "],\"cursor\":\"%lld\",\"hasMore\":%s}", (long long)next,
                   more ? "true" : "false") < 0)
        buf_free(&b);
    touch_device(db, req->user_id, dev, next, true);
    trip_send_buf(req, &b);
}

void sync_status(http_req_t *req)
{
    apierr_t err = {0};
    store_conn_t *db = loop_ctx_get()->db;
    store_arg_t a[] = {ARG_TEXT(req->user_id)};
    store_res_t *r = NULL, *d = NULL, *c = NULL;
    if (store_query(db, "SELECT MAX(c.seq) FROM changes c WHERE " VISIBLE, a, 1, &r, &err) < 0 ||
        store_query(db,
                    "SELECT device_id, last_cursor, last_pull_at, last_push_at FROM sync_devices "
                    "WHERE user_id = $1 ORDER BY device_id",
                    a, 1, &d, &err) < 0 ||
        store_query(db,
                    "SELECT device_id, entity, entity_id, client_mutation_id, created_at FROM "
                    "sync_conflicts WHERE user_id = $1 ORDER BY created_at, entity_id",
                    a, 1, &c, &err) < 0) {
        store_res_free(r);
        store_res_free(d);
        ACC_FAIL(req, &err);
    }
    char cur[24];
    snprintf(cur, sizeof cur, "%lld", (long long)store_int(r, 0, 0));
    json_t *devs = json_array(), *confs = json_array();
    for (int i = 0; i < d->nrows; i++) {
        char lc[24];
        snprintf(lc, sizeof lc, "%lld", (long long)store_int(d, i, 1));
        json_array_append_new(devs, json_pack("{s:s, s:s, s:o, s:o}", "deviceId",
                                              store_val(d, i, 0), "lastCursor", lc, "lastPullAt",
                                              acc_time_col(d, i, 2), "lastPushAt",
                                              acc_time_col(d, i, 3)));
    }
    for (int i = 0; i < c->nrows; i++)
        json_array_append_new(confs, json_pack("{s:s, s:s, s:s, s:s, s:o}", "deviceId",
                                               store_val(c, i, 0), "entity", store_val(c, i, 1),
                                               "id", store_val(c, i, 2), "clientMutationId",
                                               store_val(c, i, 3), "at", acc_time_col(c, i, 4)));
    int nconf = c->nrows;
    store_res_free(r);
    store_res_free(d);
    store_res_free(c);
    http_send_json(req, 200, json_pack("{s:s, s:i, s:o, s:o}", "cursor", cur,
                                       "pendingConflicts", nconf, "conflicts", confs, "devices",
                                       devs));
}

/* ---- push ------------------------------------------------------------------- */

json_t *sync_rejected(const sync_mut_t *m, apierr_t *err)
{
    json_t *e = json_pack("{s:i, s:s, s:s}", "status", err->status ? err->status : 500, "code",
                          err->code ? err->code : "internal", "message", err->message);
    if (err->details)
        json_object_set(e, "details", err->details);
    apierr_clear(err);
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "clientMutationId", m->cmid, "status",
                     "rejected", "entity", m->entity, "id", m->id ? m->id : "", "error", e);
}

int sync_record(store_conn_t *db, const sync_mut_t *m, json_t *res, apierr_t *err)
{
    char *text = json_dumps(res, JSON_COMPACT);
    int64_t now = clock_now_ms();
    store_arg_t a[] = {ARG_TEXT(m->user_id), ARG_TEXT(m->cmid), ARG_TEXT(text), ARG_INT(now),
                       ARG_TEXT(m->device), ARG_TEXT(m->entity), ARG_TEXT(m->id)};
    const char *st = json_string_value(json_object_get(res, "status"));
    int rc = store_exec(db,
                        "INSERT INTO sync_mutations (user_id, client_mutation_id, result, "
                        "created_at) VALUES ($1, $2, $3, $4)",
                        a, 4, err);
    free(text);
    if (rc < 0 || !st)
        return rc;
    store_arg_t c[] = {ARG_TEXT(m->user_id), ARG_TEXT(m->device), ARG_TEXT(m->entity),
                       ARG_TEXT(m->id), ARG_TEXT(m->cmid), ARG_INT(now)};
    if (strcmp(st, "conflict") == 0)
        return store_exec(db,
                          "INSERT INTO sync_conflicts (user_id, device_id, entity, entity_id, "
                          "client_mutation_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON "
                          "CONFLICT (user_id, device_id, entity, entity_id) DO UPDATE SET "
                          "client_mutation_id = excluded.client_mutation_id, created_at = "
                          "excluded.created_at",
                          c, 6, err);
    if (strcmp(st, "applied") == 0)
        return store_exec(db,
                          "DELETE FROM sync_conflicts WHERE user_id = $1 AND device_id = $2 AND "
                          "entity = $3 AND entity_id = $4",
                          c, 4, err);
    return 0;
}

/* Field checks of one mutation; 422 naming the field (prefixed). */
static int mut_parse(json_t *o, sync_mut_t *m, apierr_t *err)
{
    memset(m, 0, sizeof *m);
    bool has, has_ts;
    if (!json_is_object(o))
        return acc_invalid(err, "mutations", "each mutation must be an object");
    if (acc_str(o, "clientMutationId", 1, 100, true, &m->cmid, err) < 0)
        return -1;
    if (acc_str(o, "entity", 1, 40, true, &m->entity, err) < 0 ||
        acc_str(o, "id", 36, 36, true, &m->id, err) < 0 ||
        acc_str(o, "op", 1, 10, true, &m->op, err) < 0 ||
        tf_int(o, "baseVersion", 0, INT64_MAX, false, &has, &m->base_version, err) < 0 ||
        tf_time(o, "clientTimestamp", true, &has_ts, &m->client_ts, err) < 0)
        return -1;
    if (validate_uuid_parse(m->id, 36, NULL) != 0)
        return acc_invalid(err, "id", "must be a UUID");
    if (strcmp(m->op, "create") != 0 && strcmp(m->op, "update") != 0 &&
        strcmp(m->op, "delete") != 0)
        return acc_invalid(err, "op", "must be create, update or delete");
    if (strcmp(m->op, "create") != 0 && !has)
        return acc_invalid(err, "baseVersion", "is required for update and delete");
    m->data = json_object_get(o, "data");
    if (strcmp(m->op, "delete") != 0 && !json_is_object(m->data))
        return acc_invalid(err, "data", "must be an object");
    return 0;
}

/* Runs one mutation: replay, or apply and record. Returns the result
 * (owned) or NULL with err set for a server failure. */
static json_t *apply_one(http_req_t *req, store_conn_t *db, json_t *o, int strategy,
                         const char *dev, apierr_t *err)
{
    sync_mut_t m;
    apierr_t verr = {0};
    if (mut_parse(o, &m, &verr) < 0) {
        if (!m.cmid)
            m.cmid = "";
        if (!m.entity)
            m.entity = "";
        return sync_rejected(&m, &verr);
    }
    m.user_id = req->user_id;
    m.device = dev;
    m.strategy = strategy;
    store_arg_t k[] = {ARG_TEXT(req->user_id), ARG_TEXT(m.cmid)};
    store_res_t *r = NULL;
    if (store_begin(db, true, err) < 0)
        return NULL;
    if (store_query(db,
                    "SELECT result FROM sync_mutations WHERE user_id = $1 AND "
                    "client_mutation_id = $2",
                    k, 2, &r, err) < 0)
        goto fail;
    if (r->nrows == 1) {
        json_t *prev = json_loads(store_val(r, 0, 0), 0, NULL);
        store_res_free(r);
        sync_rollback(db);
        if (prev)
            json_object_set_new(prev, "replayed", json_true());
        return prev ? prev : json_pack("{s:s, s:s}", "clientMutationId", m.cmid, "status",
                                       "applied");
    }
    store_res_free(r);
    json_t *res;
    if (strcmp(m.entity, "trip") == 0) {
        res = sync_trip_apply(db, &m, err);
    } else if (sync_user_entity(m.entity)) {
        res = sync_user_apply(db, &m, err);
    } else {
        apierr_set(&verr, 422, "unsupported_entity", "entity %s cannot be pushed yet", m.entity);
        apierr_detail(&verr, "field", json_string("entity"));
        res = sync_rejected(&m, &verr);
    }
    if (!res)
        goto fail;
    const char *st = json_string_value(json_object_get(res, "status"));
    if (strcmp(st, "rejected") == 0) {
        /* A rejection writes nothing, but it may have failed a statement
         * (which aborts a PostgreSQL transaction): record it afresh. */
        sync_rollback(db);
        if (store_begin(db, true, err) < 0) {
            json_decref(res);
            return NULL;
        }
    }
    if (sync_record(db, &m, res, err) < 0) {
        json_decref(res);
        goto fail;
    }
    if (sync_commit(db, err) < 0) {
        json_decref(res);
        goto fail;
    }
    return res;
fail:
    sync_rollback(db);
    return NULL;
}

void sync_push(http_req_t *req)
{
    json_t *b = acc_body(req);
    if (!b)
        return;
    apierr_t err = {0};
    const char *strat = NULL, *devf = NULL;
    json_t *muts = json_object_get(b, "mutations");
    if (acc_str(b, "strategy", 1, 40, false, &strat, &err) < 0 ||
        acc_str(b, "deviceId", 1, 100, false, &devf, &err) < 0)
        ACC_FAIL(req, &err);
    int strategy = strat ? trips_strategy_parse(strat) : SYNC_SERVER_WINS;
    if (strategy < 0) {
        acc_invalid(&err, "strategy", "must be server-wins, client-wins, last-write-wins or merge");
        ACC_FAIL(req, &err);
    }
    if (!json_is_array(muts) || json_array_size(muts) > PUSH_MAX) {
        acc_invalid(&err, "mutations", "must be an array of at most %d mutations", PUSH_MAX);
        ACC_FAIL(req, &err);
    }
    const char *dev = device_of(req, devf, &err);
    if (!dev)
        ACC_FAIL(req, &err);
    store_conn_t *db = loop_ctx_get()->db;
    json_t *results = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(muts, i, o) {
        json_t *res = apply_one(req, db, o, strategy, dev, &err);
        if (!res) {
            json_decref(results);
            ACC_FAIL(req, &err);
        }
        json_array_append_new(results, res);
    }
    touch_device(db, req->user_id, dev, 0, false);
    http_send_json(req, 200, json_pack("{s:o}", "results", results));
}
