/* queue/cron_tz.h -- IANA time zones from TZif files, without touching TZ.
 *
 * A cron_tz_t is an immutable, parsed copy of one TZif (RFC 8536, version 2
 * or later) file: its 64-bit transition table, its local time types and the
 * POSIX TZ rule of its footer, which extends the table past its last
 * transition. libc has no thread-safe API for an arbitrary zone (setenv("TZ")
 * plus tzset() changes the whole process), so the scheduler loads each zone
 * it needs once, caches the object and queries it from any thread.
 *
 * Invariants: transitions are strictly increasing; every transition names a
 * valid type; offsets are within +-25 hours. The object is never modified
 * after cron_tz_parse() returns, so concurrent readers need no locking.
 *
 * Ownership: the cron_tz_load*() and cron_tz_parse() functions return an
 * object the caller owns and releases with cron_tz_free(). Nothing here
 * keeps global state. Errors are negative errno values: -EINVAL (bad name or
 * malformed file), -ENOENT (no such zone), -ENOTSUP (TZif version 1, leap
 * second "right/" zones, DST footer without rules), -EFBIG, -EIO, -ENOMEM.
 */
#ifndef TRAVLOC_QUEUE_CRON_TZ_H
#define TRAVLOC_QUEUE_CRON_TZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct cron_tz cron_tz_t; /* opaque, immutable once built */

/* Directory used by cron_tz_load(). */
#define CRON_TZ_DEFAULT_DIR "/usr/share/zoneinfo"

/* Largest TZif file accepted (the biggest system zones are ~4 KiB). */
#define CRON_TZ_MAX_FILE (256 * 1024)

/* Load zone `name` ("Europe/Lisbon", "UTC") from CRON_TZ_DEFAULT_DIR.
 * Names are checked (no "..", no leading '/', only [A-Za-z0-9_+-./]).
 * On success returns 0 and sets *out (owned by the caller); otherwise a
 * negative errno value and *out is NULL. Thread-safe. */
int cron_tz_load(const char *name, cron_tz_t **out);

/* Same as cron_tz_load() with an explicit zoneinfo directory. */
int cron_tz_load_dir(const char *dir, const char *name, cron_tz_t **out);

/* Build a zone from the bytes of a TZif file (`data` is borrowed, only read
 * during the call). Returns 0 and sets *out, or a negative errno value. */
int cron_tz_parse(const void *data, size_t len, cron_tz_t **out);

/* A fixed-offset zone (seconds east of UTC, |utoff| < 26 h); UTC is 0. */
int cron_tz_fixed(int32_t utoff, cron_tz_t **out);

/* Release a zone; NULL is accepted. */
void cron_tz_free(cron_tz_t *tz);

/* Offset from UTC, in seconds east, in effect at instant `unix_s`. */
int32_t cron_tz_offset(const cron_tz_t *tz, int64_t unix_s);

/* Every instant u with u + cron_tz_offset(tz, u) == local_s (local_s is a
 * wall-clock time counted in seconds as if it were UTC). Writes up to `max`
 * instants in increasing order into out[] and returns how many exist: 0 for
 * a wall-clock time inside a DST gap, 2 inside an overlap, 1 otherwise. */
int cron_tz_local_to_utc(const cron_tz_t *tz, int64_t local_s, int64_t *out,
                         int max);

/* Proleptic Gregorian calendar helpers, exact for any int32 year.
 * Days are counted from 1970-01-01 (day 0); month is 1..12, day 1..31. */
int64_t cron_tz_days_from_civil(int64_t year, int month, int day);
void cron_tz_civil_from_days(int64_t days, int64_t *year, int *month,
                             int *day);
/* Day of week of a day number: 0 = Sunday .. 6 = Saturday. */
int cron_tz_weekday(int64_t days);
/* Days in `month` of `year`. */
int cron_tz_days_in_month(int64_t year, int month);

#endif /* TRAVLOC_QUEUE_CRON_TZ_H */
