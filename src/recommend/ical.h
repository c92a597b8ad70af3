/* recommend/ical.h -- read local events from iCalendar (RFC 5545) text
 * with libical. See ical.c for the rules (zones, all-day, recurrences).
 */
#ifndef TRAVLOC_RECOMMEND_ICAL_H
#define TRAVLOC_RECOMMEND_ICAL_H

#include <stdbool.h>
#include <stdint.h>

#define REC_ICAL_MAX_OCC 100 /* occurrences per recurring event */

typedef struct rec_event {
    const char *uid, *title;
    const char *description, *location, *url; /* NULL when absent */
    const char *categories;  /* comma separated, "" when none */
    double lat, lng;         /* NAN when the event has no GEO */
    int64_t start_ms, end_ms;
    bool all_day;
} rec_event_t;

typedef struct rec_ical_stats {
    int calendars, events, skipped;
} rec_ical_stats_t;

/* Called once per event occurrence; non-zero stops the walk. The event is
 * borrowed for the call. */
typedef int (*rec_ical_fn)(void *arg, const rec_event_t *ev);

/* Walks `text` (NUL terminated). Returns 0; -1 when it holds no
 * VCALENDAR; -2 when the callback stopped the walk. */
int rec_ical_parse(const char *text, rec_ical_fn fn, void *arg, rec_ical_stats_t *stats);

#endif
