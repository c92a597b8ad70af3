/*
 * prefs.h - schema checks for the JSON documents users store whole:
 * travel preferences and app settings.
 *
 * A schema is a static table of fields (prefs_field_t, ended by a NULL
 * name). prefs_check() walks a document against it and refuses unknown
 * fields, wrong types, values outside an enum, arrays too long, strings
 * too long and numbers out of range, reporting the dotted path of the
 * first offending field ("interests.primary[2].strength"). Pure: no I/O,
 * no allocation beyond jansson reads, reentrant; unit-tested.
 */
#ifndef TRAVLOC_PREFS_H
#define TRAVLOC_PREFS_H

#include <jansson.h>
#include <stddef.h>

typedef enum {
    PF_ENUM,        /* one of values */
    PF_ENUM_ARRAY,  /* array (<= max items, no duplicates) of values */
    PF_STR,         /* string of 1..max code points */
    PF_STR_ARRAY,   /* array (<= max items) of strings of 1..50 code points */
    PF_BOOL,
    PF_INT,         /* integer min..max */
    PF_CURRENCY,    /* ISO 4217 code */
    PF_OBJECT,      /* object checked against fields */
    PF_OBJ_ARRAY,   /* array (<= max items) of objects checked against fields */
} prefs_type_t;

typedef struct prefs_field {
    const char *name;
    prefs_type_t type;
    const char *const *values;          /* PF_ENUM, PF_ENUM_ARRAY: NULL-terminated */
    const struct prefs_field *fields;   /* PF_OBJECT, PF_OBJ_ARRAY */
    int min, max;
    int required;                       /* inside objects of PF_OBJ_ARRAY */
} prefs_field_t;

extern const prefs_field_t prefs_preferences_schema[];
extern const prefs_field_t prefs_settings_schema[];

/* Checks doc (must be an object) against schema. Returns 0, or -1 with the
 * offending field's path in path and a reason in why. */
int prefs_check(const json_t *doc, const prefs_field_t *schema, char *path, size_t pathlen,
                char *why, size_t whylen);

#endif
