/* geo/opening_hours_int.h -- private layout of oh_t, shared by the parser
 * (opening_hours.c) and the evaluator (opening_hours_eval.c) only.
 *
 * An oh_t is one allocation: the struct followed by its rules. Minutes run
 * from 0 (00:00 of the rule's date) to 2880 (24:00 of the next date), so
 * spans over midnight stay in one piece until the evaluator splits them.
 */
#ifndef TRAVLOC_GEO_OPENING_HOURS_INT_H
#define TRAVLOC_GEO_OPENING_HOURS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "geo/opening_hours.h"

#define OH__MAX_SPANS 16
#define OH__MAX_DATES 16
#define OH__MAX_YEARS 8
#define OH__DAY_MIN 1440
#define OH__SPAN_MIN 2880

enum { OH__SEP_NORMAL = 0, OH__SEP_ADDITIONAL, OH__SEP_FALLBACK };
enum { OH__HOL_PH = 1, OH__HOL_SH = 2 };
/* OPEN_END: "10:00-18:00+", unknown from the end until midnight;
 * VARIABLE: sunrise & co, the whole day is unknown;
 * UNKNOWN: "18:00+", the span itself is unknown. */
enum { OH__SPAN_OPEN_END = 1, OH__SPAN_VARIABLE = 2, OH__SPAN_UNKNOWN = 4 };
#define OH__NTH_ALL 0x3ffu /* every occurrence of a weekday in the month */

typedef struct oh__date {
    int16_t year;  /* 0: any year */
    int8_t month;  /* 1..12 */
    int8_t day;    /* 0: first (range start) or last (range end) of month */
} oh__date_t;

typedef struct oh__drange {
    oh__date_t a, b; /* inclusive; a == b for one date */
} oh__drange_t;

typedef struct oh__yrange {
    int16_t from, to; /* inclusive */
} oh__yrange_t;

typedef struct oh__span {
    int16_t start, end; /* minutes, 0 <= start < end <= 2880 */
    uint8_t flags;      /* OH__SPAN_* */
} oh__span_t;

typedef struct oh__rule {
    uint8_t sep;        /* OH__SEP_*: how this rule joins the previous one */
    uint8_t state;      /* OH_OPEN, OH_CLOSED or OH_UNKNOWN */
    uint8_t hol;        /* OH__HOL_* mask */
    bool hol_and;       /* holidays AND weekdays ("SH Mo-Fr") */
    uint8_t nyears, ndates, nspans;
    uint16_t nth[7];    /* Monday..Sunday: 0 = not selected, bits 0..4 =
                           1st..5th, bits 5..9 = last..5th-last */
    oh__yrange_t years[OH__MAX_YEARS];
    oh__drange_t dates[OH__MAX_DATES];
    oh__span_t spans[OH__MAX_SPANS]; /* none: the whole day */
} oh__rule_t;

struct oh {
    bool uses_holidays;
    bool has_fallback;
    int nrules;
    oh__rule_t rules[];
};

/* Calendar helpers (proleptic Gregorian, days since 1970-01-01). */
int64_t oh__days_from_civil(int64_t y, int m, int d);
void oh__civil_from_days(int64_t days, int *y, int *m, int *d);
int oh__days_in_month(int y, int m);

#endif /* TRAVLOC_GEO_OPENING_HOURS_INT_H */
