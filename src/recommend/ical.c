/* recommend/ical.c -- local events from an iCalendar text, with libical.
 *
 * rec_ical_parse() walks every VEVENT of the text (one VCALENDAR or
 * several) and hands each occurrence to a callback: UID (recurring events
 * get "<uid>#<start ms>" per occurrence), SUMMARY, DESCRIPTION, LOCATION,
 * URL, GEO, CATEGORIES, start and end in Unix ms. Times with a TZID use the
 * calendar's VTIMEZONE or libical's built-in zone of that name; floating
 * times are read as UTC. All-day events (DATE values) run from 00:00 UTC
 * of DTSTART to DTEND (exclusive; one day when absent). RRULEs are
 * expanded for a year after DTSTART, at most REC_ICAL_MAX_OCC occurrences.
 * Events without SUMMARY or DTSTART are counted as skipped.
 *
 * Ownership: the event passed to the callback and its strings are valid
 * only during the call. No global state besides libical's own zone cache.
 */
#include "recommend/ical.h"

#include <libical/ical.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t to_ms(struct icaltimetype t)
{
    icaltimezone *z = (icaltimezone *)t.zone;
    if (!z || icaltime_is_date(t))
        z = icaltimezone_get_utc_timezone();
    return (int64_t)icaltime_as_timet_with_zone(t, z) * 1000;
}

static const char *prop_text(icalcomponent *c, icalproperty_kind k)
{
    icalproperty *p = icalcomponent_get_first_property(c, k);
    return p ? icalproperty_get_value_as_string(p) : NULL;
}

typedef struct {
    rec_event_t ev;
    int64_t dur_ms;
    const char *uid;
    rec_ical_fn fn;
    void *arg;
    int count;
    char uidbuf[600];
    int stop;
} occ_t;

static void on_occurrence(icalcomponent *comp, struct icaltime_span *span, void *arg)
{
    (void)comp;
    occ_t *o = arg;
    if (o->stop || o->count >= REC_ICAL_MAX_OCC)
        return;
    o->count++;
    int64_t start = (int64_t)span->start * 1000;
    snprintf(o->uidbuf, sizeof o->uidbuf, "%s#%lld", o->uid, (long long)start);
    o->ev.uid = o->uidbuf;
    o->ev.start_ms = start;
    o->ev.end_ms = start + o->dur_ms;
    if (o->fn(o->arg, &o->ev) != 0)
        o->stop = 1;
}

/* One VEVENT: 1 handed out (any number of occurrences), 0 skipped, -1 stop. */
static int one_event(icalcomponent *c, rec_ical_fn fn, void *arg)
{
    const char *uid = icalcomponent_get_uid(c);
    const char *summary = icalcomponent_get_summary(c);
    struct icaltimetype st = icalcomponent_get_dtstart(c);
    if (!uid || !*uid || !summary || !*summary || icaltime_is_null_time(st))
        return 0;
    struct icaltimetype en = icalcomponent_get_dtend(c);
    int64_t s = to_ms(st);
    int64_t e = icaltime_is_null_time(en) ? s + (icaltime_is_date(st) ? 86400000LL : 0) : to_ms(en);
    if (e < s)
        e = s;
    occ_t o = {.ev = {.uid = uid, .title = summary, .description = icalcomponent_get_description(c),
                      .location = icalcomponent_get_location(c), .url = prop_text(c, ICAL_URL_PROPERTY),
                      .start_ms = s, .end_ms = e, .all_day = icaltime_is_date(st),
                      .lat = NAN, .lng = NAN},
               .dur_ms = e - s, .uid = uid, .fn = fn, .arg = arg};
    icalproperty *geo = icalcomponent_get_first_property(c, ICAL_GEO_PROPERTY);
    if (geo) {
        struct icalgeotype g = icalproperty_get_geo(geo);
        o.ev.lat = g.lat;
        o.ev.lng = g.lon;
    }
    char cats[512] = "";
    for (icalproperty *p = icalcomponent_get_first_property(c, ICAL_CATEGORIES_PROPERTY); p;
         p = icalcomponent_get_next_property(c, ICAL_CATEGORIES_PROPERTY)) {
        size_t n = strlen(cats);
        snprintf(cats + n, sizeof cats - n, "%s%s", n ? "," : "", icalproperty_get_categories(p));
    }
    o.ev.categories = cats;
    if (!icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY))
        return fn(arg, &o.ev) != 0 ? -1 : 1;
    struct icaltimetype until = st;
    icaltime_adjust(&until, 366, 0, 0, 0);
    icalcomponent_foreach_recurrence(c, st, until, on_occurrence, &o);
    return o.stop ? -1 : 1;
}

int rec_ical_parse(const char *text, rec_ical_fn fn, void *arg, rec_ical_stats_t *stats)
{
    memset(stats, 0, sizeof *stats);
    icalcomponent *root = icalparser_parse_string(text);
    if (!root)
        return -1;
    icalcomponent *cal = root;
    int rc = 0;
    if (icalcomponent_isa(root) == ICAL_XROOT_COMPONENT)
        cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
    for (; cal && rc == 0;
         cal = root == cal ? NULL : icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT)) {
        if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT)
            continue;
        stats->calendars++;
        for (icalcomponent *c = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
             c && rc == 0; c = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
            int r = one_event(c, fn, arg);
            if (r < 0)
                rc = -2;
            else if (r == 0)
                stats->skipped++;
            else
                stats->events++;
        }
    }
    icalcomponent_free(root);
    return stats->calendars ? rc : -1;
}
