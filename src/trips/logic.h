/*
 * trips/logic.h - the pure rules behind trips, budgets and sync: JSON merge
 * patch (RFC 7396), trip status transitions, exact expense splitting and
 * "who owes whom", and the sync conflict strategies.
 *
 * Nothing here does I/O or keeps state; everything is reentrant. JSON
 * values follow jansson's rules: functions that return json_t * return a
 * new reference the caller owns; arguments are borrowed unless a comment
 * says the reference is stolen.
 */
#ifndef TRAVLOC_TRIPS_LOGIC_H
#define TRAVLOC_TRIPS_LOGIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 7396: returns target with patch applied (a new reference; target is
 * not modified). A non-object patch replaces the target; null members
 * delete. */
json_t *trips_merge_patch(const json_t *target, const json_t *patch);

/* Trip status names; trips_status_parse returns -1 for an unknown one. */
typedef enum { TS_PLANNING, TS_ACTIVE, TS_COMPLETED, TS_CANCELLED } trip_status_t;
int trips_status_parse(const char *s);
const char *trips_status_name(trip_status_t s);
/* Whether a trip may move from `from` to `to` (staying put is allowed):
 * PLANNING -> ACTIVE, CANCELLED; ACTIVE -> PLANNING, COMPLETED, CANCELLED;
 * CANCELLED -> PLANNING; COMPLETED is final. */
bool trips_status_allowed(trip_status_t from, trip_status_t to);

/* ---- money ---------------------------------------------------------------- */

/* Splits `amount` (minor units, >= 0) between n participants in proportion
 * to weights (NULL = equal). out[i] receives each share; the shares sum to
 * amount exactly. The remainder left by integer division goes one unit at
 * a time to the participants with the largest fractional parts, ties to
 * the lower index (callers sort participants by id so the result is
 * deterministic). Returns 0, or -1 for n == 0, a negative amount, or
 * weights that are negative or sum to 0 or overflow. */
int trips_split(int64_t amount, const int64_t *weights, size_t n, int64_t *out);

/* One debt of a settlement: `from` pays `amount` to `to` (indices into
 * the balance array). */
typedef struct {
    size_t from, to;
    int64_t amount;
} trips_transfer_t;

/* Settles net balances (positive: is owed; negative: owes; they must sum
 * to 0): repeatedly the largest debtor pays the largest creditor, ties to
 * the lower index. Writes at most n-1 transfers into out (room for n) and
 * returns how many, or -1 when the balances do not sum to 0. */
int trips_settle(const int64_t *net, size_t n, trips_transfer_t *out);

/* ---- sync conflict strategies --------------------------------------------- */

typedef enum {
    SYNC_SERVER_WINS,
    SYNC_CLIENT_WINS,
    SYNC_LAST_WRITE_WINS,
    SYNC_MERGE,
} sync_strategy_t;
/* "server-wins", "client-wins", "last-write-wins", "merge"; -1 otherwise. */
int trips_strategy_parse(const char *s);

/* Last-write-wins between the stored write (server_ts, server_tag) and the
 * incoming one: the later timestamp wins; equal timestamps go to the
 * greater tag (byte order), and the server keeps an exact tie. */
bool trips_lww_client_wins(int64_t server_ts, const char *server_tag, int64_t client_ts,
                           const char *client_tag);

/* Field-level merge of a client's patch made against `base` onto the
 * server's `current` (all three objects of top-level fields). A field the
 * client changed (its value differs from base) that the server did not
 * change since base is taken from the client; a field both changed to
 * different values keeps the server's value and is appended to
 * *conflicts (a new array, never NULL). Returns the merged object (new
 * reference). base may be NULL (unknown): then every field the client
 * sends that differs from current is a conflict. */
json_t *trips_merge_fields(const json_t *base, const json_t *current, const json_t *patch,
                           json_t **conflicts);

/* ---- text -------------------------------------------------------------------- */

/* Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 characters and a NUL
 * in out), the same text as core/clock.h's clock_rfc3339 for years 0000 to
 * 9999, without gmtime's lock: the hot reads format many timestamps. */
void trips_rfc3339(int64_t unix_ms, char out[25]);
/* Decimal text of v into out (at least 21 bytes); returns its length. */
size_t trips_itoa(int64_t v, char *out);

#endif
