/*
 * prefs.c - the preference and settings schemas and their checker
 * (see prefs.h).
 */
#include "accounts/prefs.h"

#include "core/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const activity[] = {"low", "moderate", "high", NULL};
static const char *const pace[] = {"relaxed", "moderate", "fast", NULL};
static const char *const group[] = {"solo", "couple", "small", "large", NULL};
static const char *const budget[] = {"budget", "moderate", "premium", "luxury", NULL};
static const char *const times[] = {"morning", "afternoon", "evening", "night", NULL};
static const char *const weather[] = {"sunny", "mild", "hot", "cold", "snow", "rain", NULL};
static const char *const units[] = {"metric", "imperial", NULL};
static const char *const visibility[] = {"public", "travellers", "private", NULL};

static const prefs_field_t interest_item[] = {
    {.name = "name", .type = PF_STR, .max = 50, .required = 1},
    {.name = "strength", .type = PF_INT, .min = 1, .max = 5, .required = 1},
    {.name = NULL},
};

static const prefs_field_t interests[] = {
    {.name = "primary", .type = PF_OBJ_ARRAY, .fields = interest_item, .max = 20},
    {.name = "secondary", .type = PF_OBJ_ARRAY, .fields = interest_item, .max = 20},
    {.name = "custom", .type = PF_OBJ_ARRAY, .fields = interest_item, .max = 20},
    {.name = NULL},
};

const prefs_field_t prefs_preferences_schema[] = {
    {.name = "interests", .type = PF_OBJECT, .fields = interests},
    {.name = "activityLevel", .type = PF_ENUM, .values = activity},
    {.name = "pace", .type = PF_ENUM, .values = pace},
    {.name = "groupSize", .type = PF_ENUM, .values = group},
    {.name = "budgetPreference", .type = PF_ENUM, .values = budget},
    {.name = "dietaryRestrictions", .type = PF_STR_ARRAY, .max = 20},
    {.name = "accessibilityNeeds", .type = PF_STR_ARRAY, .max = 20},
    {.name = "weatherPreferences", .type = PF_ENUM_ARRAY, .values = weather, .max = 6},
    {.name = "timeOfDay", .type = PF_ENUM_ARRAY, .values = times, .max = 4},
    {.name = NULL},
};

static const prefs_field_t notifications[] = {
    {.name = "email", .type = PF_BOOL},
    {.name = "push", .type = PF_BOOL},
    {.name = "sms", .type = PF_BOOL},
    {.name = "marketing", .type = PF_BOOL},
    {.name = NULL},
};

static const prefs_field_t privacy[] = {
    {.name = "profileVisibility", .type = PF_ENUM, .values = visibility},
    {.name = "shareLocation", .type = PF_BOOL},
    {.name = "showTravelHistory", .type = PF_BOOL},
    {.name = NULL},
};

const prefs_field_t prefs_settings_schema[] = {
    {.name = "language", .type = PF_STR, .max = 35},
    {.name = "units", .type = PF_ENUM, .values = units},
    {.name = "currency", .type = PF_CURRENCY},
    {.name = "notifications", .type = PF_OBJECT, .fields = notifications},
    {.name = "privacy", .type = PF_OBJECT, .fields = privacy},
    {.name = NULL},
};

typedef struct {
    char *path;
    size_t pathlen;
    char *why;
    size_t whylen;
} ctx_t;

static int fail(ctx_t *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(ctx_t *c, const char *path, const char *fmt, ...)
{
    snprintf(c->path, c->pathlen, "%s", path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, c->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

static int check_obj(ctx_t *c, const json_t *obj, const prefs_field_t *fields, const char *base);

static bool in_values(const char *const *values, const char *s)
{
    for (size_t i = 0; values[i]; i++)
        if (strcmp(values[i], s) == 0)
            return true;
    return false;
}

static int check_str(ctx_t *c, const json_t *v, int max, const char *path)
{
    size_t cps;
    if (!json_is_string(v))
        return fail(c, path, "must be a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len || validate_utf8(s, len, &cps) != 0 || cps < 1 || cps > (size_t)max)
        return fail(c, path, "must be 1 to %d characters of text", max);
    return 0;
}

static int check_array(ctx_t *c, const json_t *v, const prefs_field_t *f, const char *path)
{
    if (!json_is_array(v))
        return fail(c, path, "must be an array");
    if (json_array_size(v) > (size_t)f->max)
        return fail(c, path, "must have at most %d items", f->max);
    size_t i;
    const json_t *it;
    char sub[256];
    json_array_foreach(v, i, it) {
        snprintf(sub, sizeof sub, "%.200s[%zu]", path, i);
        int rc = f->type == PF_STR_ARRAY  ? check_str(c, it, 50, sub)
                 : f->type == PF_OBJ_ARRAY ? (json_is_object(it) ? check_obj(c, it, f->fields, sub)
                                                                 : fail(c, sub, "must be an object"))
                 : !json_is_string(it) || !in_values(f->values, json_string_value(it))
                     ? fail(c, sub, "is not one of the allowed values")
                     : 0;
        if (rc < 0)
            return -1;
        for (size_t k = 0; f->type == PF_ENUM_ARRAY && k < i; k++)
            if (json_equal(json_array_get(v, k), it))
                return fail(c, sub, "is listed twice");
    }
    return 0;
}

static int check_value(ctx_t *c, const json_t *v, const prefs_field_t *f, const char *path)
{
    switch (f->type) {
    case PF_ENUM:
        if (!json_is_string(v) || !in_values(f->values, json_string_value(v)))
            return fail(c, path, "is not one of the allowed values");
        return 0;
    case PF_STR:
        return check_str(c, v, f->max, path);
    case PF_BOOL:
        return json_is_boolean(v) ? 0 : fail(c, path, "must be true or false");
    case PF_INT:
        if (!json_is_integer(v) || json_integer_value(v) < f->min ||
            json_integer_value(v) > f->max)
            return fail(c, path, "must be a whole number from %d to %d", f->min, f->max);
        return 0;
    case PF_CURRENCY:
        if (!json_is_string(v) ||
            validate_currency(json_string_value(v), json_string_length(v)) < 0)
            return fail(c, path, "must be an ISO 4217 currency code");
        return 0;
    case PF_OBJECT:
        if (!json_is_object(v))
            return fail(c, path, "must be an object");
        return check_obj(c, v, f->fields, path);
    case PF_ENUM_ARRAY:
    case PF_STR_ARRAY:
    case PF_OBJ_ARRAY:
        return check_array(c, v, f, path);
    }
    return fail(c, path, "has an unknown type");
}

static int check_obj(ctx_t *c, const json_t *obj, const prefs_field_t *fields, const char *base)
{
    const char *key;
    const json_t *v;
    char path[256];
    json_object_foreach((json_t *)obj, key, v) {
        snprintf(path, sizeof path, "%.120s%s%.120s", base, *base ? "." : "", key);
        const prefs_field_t *f = fields;
        while (f->name && strcmp(f->name, key) != 0)
            f++;
        if (!f->name)
            return fail(c, path, "is not a known field");
        if (json_is_null(v) && !f->required)
            continue;
        if (check_value(c, v, f, path) < 0)
            return -1;
    }
    for (const prefs_field_t *f = fields; f->name; f++)
        if (f->required && !json_object_get(obj, f->name)) {
            snprintf(path, sizeof path, "%.120s%s%.120s", base, *base ? "." : "", f->name);
            return fail(c, path, "is required");
        }
    return 0;
}

int prefs_check(const json_t *doc, const prefs_field_t *schema, char *path, size_t pathlen,
                char *why, size_t whylen)
{
    ctx_t c = {path, pathlen, why, whylen};
    if (!json_is_object(doc))
        return fail(&c, "", "must be an object");
    return check_obj(&c, doc, schema, "");
}
