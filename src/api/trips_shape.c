/*
 * trips_shape.c - the JSON shapes of a trip and its children, written
 * once as data (row_shape_t: which column becomes which field, of what
 * kind, private or not) and rendered two ways from the same table:
 * row_json() builds a jansson object (writes, sync, conflicts) and
 * row_write() appends the same object as text to a buffer in one pass,
 * for the hot reads (GET /v1/trips/:id), where building and dumping
 * jansson trees cost more than the queries.
 *
 * Field kinds: text, integer, boolean (0/1), time (Unix ms to RFC 3339,
 * null when <= 0, as acc_time), JSON text stored by the server (copied as
 * is), and coordinates (two columns lat, lng to {"lat","lng"}). A SQL
 * NULL is JSON null for every kind except JSON (an empty object).
 * Nothing here allocates beyond the buffer or the returned object.
 */
#include "api/trips_int.h"

#include "core/clock.h"
#include "trips/logic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest text that reads back as the same double. */
static void fmt_double(char *out, size_t n, double d)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, d);
        if (strtod(out, NULL) == d)
            break;
    }
    if (!strpbrk(out, ".eEn")) /* keep it a JSON real, as jansson does */
        strncat(out, ".0", n - strlen(out) - 1);
}

static json_t *field_json(const row_field_t *f, const store_res_t *r, int row)
{
    const char *v = store_val(r, row, f->col);
    if (!v && f->kind != RF_JSON)
        return json_null();
    switch (f->kind) {
    case RF_TEXT:
        return json_string(v);
    case RF_INT:
        return json_integer(store_int(r, row, f->col));
    case RF_BOOL:
        return json_boolean(store_bool(r, row, f->col));
    case RF_TIME:
        return acc_time(store_int(r, row, f->col));
    case RF_JSON:
        return acc_json_col(r, row, f->col, false);
    case RF_COORD:
        return json_pack("{s:f, s:f}", "lat", store_real(r, row, f->col), "lng",
                         store_real(r, row, f->col + 1));
    }
    return json_null();
}

json_t *row_json(const row_shape_t *s, const store_res_t *r, int row, bool public_view)
{
    json_t *o = json_object();
    for (size_t i = 0; i < s->n; i++)
        if (!(public_view && s->f[i].private_field))
            json_object_set_new(o, s->f[i].name, field_json(&s->f[i], r, row));
    return o;
}

static void field_write(buf_t *b, const row_field_t *f, const store_res_t *r, int row)
{
    const char *v = store_val(r, row, f->col);
    char num[64];
    if (!v && f->kind != RF_JSON) {
        buf_append(b, "null", 4);
        return;
    }
    switch (f->kind) {
    case RF_TEXT:
        buf_json_str(b, v, strlen(v));
        return;
    case RF_INT:
        buf_append(b, num, trips_itoa(store_int(r, row, f->col), num));
        return;
    case RF_BOOL:
        buf_puts(b, store_bool(r, row, f->col) ? "true" : "false");
        return;
    case RF_TIME: {
        int64_t ms = store_int(r, row, f->col);
        if (ms <= 0) {
            buf_append(b, "null", 4);
            return;
        }
        num[0] = '"';
        trips_rfc3339(ms, num + 1);
        num[25] = '"';
        buf_append(b, num, 26);
        return;
    }
    case RF_JSON:
        buf_puts(b, v && *v ? v : "{}");
        return;
    case RF_COORD:
        fmt_double(num, sizeof num, store_real(r, row, f->col));
        buf_printf(b, "{\"lat\":%s,\"lng\":", num);
        fmt_double(num, sizeof num, store_real(r, row, f->col + 1));
        buf_printf(b, "%s}", num);
        return;
    }
}

void row_write_fields(buf_t *b, const row_shape_t *s, const store_res_t *r, int row,
                      bool public_view)
{
    bool first = true;
    for (size_t i = 0; i < s->n; i++) {
        const row_field_t *f = &s->f[i];
        if (public_view && f->private_field)
            continue;
        if (first)
            buf_append(b, "\"", 1);
        else
            buf_append(b, ",\"", 2);
        buf_puts(b, f->name);
        buf_append(b, "\":", 2);
        first = false;
        field_write(b, f, r, row);
    }
}

void row_write(buf_t *b, const row_shape_t *s, const store_res_t *r, int row, bool public_view)
{
    buf_puts(b, "{");
    row_write_fields(b, s, r, row, public_view);
    buf_puts(b, "}");
}

void row_write_all(buf_t *b, const row_shape_t *s, const store_res_t *r, bool public_view)
{
    buf_puts(b, "[");
    for (int i = 0; i < r->nrows; i++) {
        if (i)
            buf_puts(b, ",");
        row_write(b, s, r, i, public_view);
    }
    buf_puts(b, "]");
}

/* ---- the shapes -------------------------------------------------------------- */

#define F(name, col, kind) {name, col, kind, false}
#define P(name, col, kind) {name, col, kind, true}

static const row_field_t trip_fields[] = {
    F("id", TC_ID, RF_TEXT),           F("title", TC_TITLE, RF_TEXT),
    F("description", TC_DESC, RF_TEXT), F("startDate", TC_START, RF_TEXT),
    F("endDate", TC_END, RF_TEXT),     F("status", TC_STATUS, RF_TEXT),
    F("isPublic", TC_PUBLIC, RF_BOOL), P("ownerId", TC_OWNER, RF_TEXT),
    P("budget", TC_BUDGET, RF_INT),    P("currency", TC_CURRENCY, RF_TEXT),
    P("shareId", TC_SHARE, RF_TEXT),   P("preferences", TC_PREFS, RF_JSON),
    P("notes", TC_NOTES, RF_TEXT),     F("version", TC_VERSION, RF_INT),
    F("createdAt", TC_CREATED, RF_TIME), F("updatedAt", TC_UPDATED, RF_TIME),
};
const row_shape_t trip_shape = {trip_fields, sizeof trip_fields / sizeof trip_fields[0]};

static const row_field_t dest_fields[] = {
    F("id", DC_ID, RF_TEXT),          F("tripId", DC_TRIP, RF_TEXT),
    F("name", DC_NAME, RF_TEXT),      F("type", DC_TYPE, RF_TEXT),
    F("arrival", DC_ARR, RF_TEXT),    F("departure", DC_DEP, RF_TEXT),
    F("coordinates", DC_LAT, RF_COORD), P("address", DC_ADDR, RF_TEXT),
    P("notes", DC_NOTES, RF_TEXT),    P("version", DC_VERSION, RF_INT),
    P("createdAt", DC_CREATED, RF_TIME), P("updatedAt", DC_UPDATED, RF_TIME),
};
const row_shape_t dest_shape = {dest_fields, sizeof dest_fields / sizeof dest_fields[0]};

static const row_field_t act_fields[] = {
    F("id", AC_ID, RF_TEXT),           F("tripId", AC_TRIP, RF_TEXT),
    F("destinationId", AC_DEST, RF_TEXT), F("name", AC_NAME, RF_TEXT),
    F("type", AC_TYPE, RF_TEXT),       F("startAt", AC_START, RF_TIME),
    F("endAt", AC_END, RF_TIME),       F("status", AC_STATUS, RF_TEXT),
    P("cost", AC_COST, RF_INT),        P("currency", AC_CUR, RF_TEXT),
    P("notes", AC_NOTES, RF_TEXT),     P("version", AC_VERSION, RF_INT),
    P("createdAt", AC_CREATED, RF_TIME), P("updatedAt", AC_UPDATED, RF_TIME),
};
const row_shape_t act_shape = {act_fields, sizeof act_fields / sizeof act_fields[0]};
