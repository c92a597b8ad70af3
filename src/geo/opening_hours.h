/* geo/opening_hours.h -- OpenStreetMap opening_hours: parse and evaluate.
 *
 * Owns: turning an opening_hours tag value ("Mo-Fr 08:00-18:00; PH off")
 * into an immutable oh_t, and answering, for a LOCAL date and time (the
 * caller converts from UTC with the place's zone): open, closed or unknown,
 * the opening windows of a date, and the next change of state.
 *
 * Supported: `24/7`; years `2024`, `2020-2025`; months and dates `Jan-Mar`,
 * `Dec 24-26`, `Apr 1-Oct 31`, `Nov 19,Dec 25`, `2024 May 20` (ranges may
 * wrap over the new year; an optional ':' may follow); weekdays `Mo-Fr`,
 * `Mo,We`, `Sa-Mo` (wrapping), `Th[3]`, `Su[-1]`; `PH` and `SH` (with ',' =
 * or, with ' ' = and: `SH Mo-Fr`); times `09:00-18:00`, several spans,
 * over midnight `22:00-02:00`, up to `48:00`, `24:00` end, open end `18:00+`
 * and `10:00-18:00+` (unknown until midnight), `8:30` one-digit hours, the
 * en dash; modifiers `open`, `closed`/`off`, `unknown`, "comments"; rule
 * separators `;` (normal), `,` (additional) and `||` (fallback).
 *
 * Semantics (as the OSM wiki and opening_hours.js):
 *   - a normal rule matching a date replaces everything earlier rules said
 *     about that date; an additional rule adds to it;
 *   - `off` with times closes only those times; `off` alone closes the day;
 *   - a rule without times means the whole day (00:00-24:00);
 *   - a comment standing in for the modifier (`Sa "on request"`) makes the
 *     rule UNKNOWN; a comment after a modifier is ignored;
 *   - spans over midnight spill into the next date, and that date's own
 *     rules do not cancel the spill;
 *   - PH/SH: whether a date is a public or school holiday is not known here
 *     unless the caller says so (oh_holidays_t): when the answer depends on
 *     it, the result is UNKNOWN, never a guess;
 *   - `||` fallback: where the rules before it say OPEN the answer is OPEN,
 *     everywhere else UNKNOWN;
 *   - variable times (sunrise, sunset, dawn, dusk) make that day UNKNOWN.
 * Rejected with -ENOTSUP: week numbers, easter, day offsets, variable time
 * offsets. Anything malformed: -EINVAL. Errors carry a byte position.
 *
 * Ownership: oh_parse() returns an oh_t the caller frees with oh_free(). An
 * oh_t is never modified after parsing; any number of threads may query it.
 * No global state; no allocation while querying.
 */
#ifndef TRAVLOC_GEO_OPENING_HOURS_H
#define TRAVLOC_GEO_OPENING_HOURS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct oh oh_t; /* opaque, immutable */

typedef enum oh_state {
    OH_CLOSED = 0,
    OH_OPEN = 1,
    OH_UNKNOWN = 2,
} oh_state_t;

/* Holiday knowledge for a query: OH_HOL_UNKNOWN unless the caller knows. */
typedef enum oh_hol {
    OH_HOL_UNKNOWN = 0,
    OH_HOL_NO = 1,
    OH_HOL_YES = 2,
} oh_hol_t;

typedef struct oh_holidays {
    oh_hol_t ph; /* public holiday */
    oh_hol_t sh; /* school holiday */
} oh_holidays_t;

/* One opening interval of a local date, in minutes from midnight,
 * [start, end) with 0 <= start < end <= 1440. */
typedef struct oh_window {
    uint16_t start, end;
    uint8_t state; /* OH_OPEN or OH_UNKNOWN */
} oh_window_t;

typedef struct oh_error {
    size_t pos;      /* byte offset into the value */
    const char *msg; /* static string */
} oh_error_t;

#define OH_MAX_INPUT 1024 /* bytes; OSM values are at most 255 characters */
#define OH_MAX_RULES 64

/* Parse `value`. Returns 0 and sets *out (caller frees with oh_free()), or
 * -EINVAL / -ENOTSUP with *err filled when err is not NULL, or -ENOMEM;
 * *out is NULL on failure. */
int oh_parse(const char *value, oh_t **out, oh_error_t *err);

void oh_free(oh_t *oh);

/* True (1) when some rule mentions PH or SH. */
int oh_uses_holidays(const oh_t *oh);

/* State at local time `tm` (tm_year, tm_mon, tm_mday, tm_hour, tm_min are
 * read; the weekday is derived from the date). Returns OH_OPEN, OH_CLOSED,
 * OH_UNKNOWN, or -EINVAL for a NULL argument or an invalid date. */
int oh_is_open(const oh_t *oh, const struct tm *local);

/* Same, with holiday knowledge about that date (NULL = unknown). */
int oh_is_open_hol(const oh_t *oh, const struct tm *local,
                   const oh_holidays_t *hol);

/* Opening windows (OPEN or UNKNOWN, merged, in order) of local date
 * year-month-day (month 1..12). Writes at most `max` into out[] and
 * returns how many there are (which may exceed max; out may be NULL when
 * max is 0), or -EINVAL. Windows are clipped to the date: a span over
 * midnight shows as [start, 1440) on one date and [0, end) on the next. */
int oh_windows_for_day(const oh_t *oh, int year, int month, int day,
                       oh_window_t *out, size_t max);

/* Same, with holiday knowledge about that date (NULL = unknown); the day
 * before, whose late spans may spill into this date, stays unknown. */
int oh_windows_for_day_hol(const oh_t *oh, int year, int month, int day,
                           const oh_holidays_t *hol, oh_window_t *out,
                           size_t max);

/* First minute after `local` (within `max_days` days, at most 800) at which
 * the state differs from the state at `local`. Sets *next (seconds 0,
 * tm_wday/tm_yday set, tm_isdst -1) and returns the new state, or -ENOENT
 * when the state never changes in that horizon, or -EINVAL. */
int oh_next_change(const oh_t *oh, const struct tm *local, int max_days,
                   struct tm *next);

#endif /* TRAVLOC_GEO_OPENING_HOURS_H */
