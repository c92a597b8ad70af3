/* queue/cron.h -- cron expressions with seconds, evaluated in IANA zones.
 *
 * Owns: parsing "sec min hour dom month dow" (6 fields) or the classic
 * 5 fields (seconds = 0) into a cron_t of bitsets, and finding the next
 * matching instant in a time zone (see cron_tz.h for zones).
 *
 * (`*\/` below stands for star-slash, escaped for this comment.)
 * Syntax per field: `*` (or `?` in dom/dow), numbers, lists `a,b`, ranges
 * `a-b`, steps `*\/n`, `a-b/n` and `a/n` (= a-max/n). Months accept
 * JAN..DEC, weekdays SUN..SAT (case-insensitive) and 0..7 where both 0 and
 * 7 mean Sunday. Macros: @yearly @annually @monthly @weekly @daily
 * @midnight @hourly. Ranges must not wrap (FRI-MON is an error).
 *
 * Day rule (Vixie cron): when both day-of-month and day-of-week are
 * restricted, a day matches if EITHER matches; a field that starts with
 * `*` or `?` (including `*\/2`) counts as unrestricted.
 *
 * Time zones and DST, for a job at wall-clock time T in zone Z:
 *   - gap: if T does not exist that day (spring forward), that occurrence
 *     is skipped; the job does not run late.
 *   - overlap: if T exists twice (fall back), it runs once, at the first
 *     occurrence. This holds for every field, so `0 *\/5 * * * *` does not
 *     tick during the repeated hour; use zone UTC for a fixed real cadence.
 *
 * A cron_t is a plain value: no ownership, freely copied and shared across
 * threads; cron_parse() never sets a bit outside a field's range, and dow
 * bit 7 is folded into bit 0. All functions are reentrant; errors are negative errno values.
 */
#ifndef TRAVLOC_QUEUE_CRON_H
#define TRAVLOC_QUEUE_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "queue/cron_tz.h"

#define CRON_DOM_STAR 0x01u /* dom field was `*` or `?` */
#define CRON_DOW_STAR 0x02u /* dow field was `*` or `?` */

/* Maximum expression length accepted by cron_parse(). */
#define CRON_MAX_EXPR 256

/* How far cron_next() looks ahead before giving up with -ENOENT. */
#define CRON_HORIZON_YEARS 10

typedef struct cron {
    uint64_t sec;    /* bit n: second n (0..59) */
    uint64_t min;    /* bit n: minute n (0..59) */
    uint32_t hour;   /* bit n: hour n (0..23) */
    uint32_t dom;    /* bit n: day of month n (1..31) */
    uint16_t month;  /* bit n: month n (1..12) */
    uint8_t dow;     /* bit n: weekday n (0 = Sunday .. 6) */
    uint8_t flags;   /* CRON_DOM_STAR | CRON_DOW_STAR */
} cron_t;

/* Where and why parsing failed; msg is a static string (never freed). */
typedef struct cron_error {
    size_t pos;      /* byte offset into the expression */
    const char *msg;
} cron_error_t;

/* Parse `expr` into *out. Returns 0, or -EINVAL with *err filled (when err
 * is not NULL) for a malformed expression or one that can never match
 * (e.g. "0 0 0 30 2 *"). */
int cron_parse(const char *expr, cron_t *out, cron_error_t *err);

/* True when local wall-clock date/time matches (month 1..12, weekday is
 * derived from the date). */
int cron_matches(const cron_t *c, int64_t year, int month, int day, int hour,
                 int min, int sec);

/* Next tick strictly after `after_unix_ms`, in zone `tz` (NULL = UTC),
 * written to *next_unix_ms (always a whole second). Returns 0, -ENOENT when
 * nothing matches within CRON_HORIZON_YEARS, -ERANGE when `after` is
 * outside years 1..9999, -EINVAL on NULL arguments. */
int cron_next_in(const cron_t *c, const cron_tz_t *tz, int64_t after_unix_ms,
                 int64_t *next_unix_ms);

/* Convenience form taking an IANA zone name (NULL or "UTC" = UTC). It loads
 * the zone file on every call: callers on a hot path should load a
 * cron_tz_t once and use cron_next_in(). Also returns cron_tz_load()'s
 * errors. */
int cron_next(const cron_t *c, const char *tz, int64_t after_unix_ms,
              int64_t *next_unix_ms);

#endif /* TRAVLOC_QUEUE_CRON_H */
