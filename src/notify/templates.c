/*
 * templates.c - the named notification templates and {{var}} rendering.
 *
 * A template is a (name, language) row of static text with {{var}}
 * placeholders filled from the notification's data. Every name exists in
 * "en"; other languages are optional and fall back to "en". Pure: no I/O;
 * notify_render returns a heap string the caller frees.
 */
#include "notify/notify.h"

#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const notify_categories[] = {"chat", "booking", "trip", "safety", "marketing", NULL};
const char *const notify_channels[] = {"push", "email", "sms", "inApp", NULL};

bool notify_category_valid(const char *c)
{
    for (int i = 0; c && notify_categories[i]; i++)
        if (strcmp(c, notify_categories[i]) == 0)
            return true;
    return false;
}

static const notify_template_t templates[] = {
    {"trip.invitation", "trip", "en", "Trip invitation",
     "{{inviter}} invited you to join the trip \"{{trip}}\"."},
    {"trip.invitation", "trip", "fr", "Invitation au voyage",
     "{{inviter}} vous invite au voyage \u00ab {{trip}} \u00bb."},
    {"trip.reminder", "trip", "en", "{{trip}} starts soon",
     "Your trip \"{{trip}}\" starts on {{startDate}}."},
    {"chat.message", "chat", "en", "{{title}}", "{{preview}}"}, /* messaging/notify_offline.c */
    {"booking.confirmed", "booking", "en", "Booking confirmed",
     "{{guide}} confirmed your booking for {{date}}."},
    {"safety.alert", "safety", "en", "Safety alert", "{{message}}"},
    {"safety.alert", "safety", "fr", "Alerte de s\u00e9curit\u00e9", "{{message}}"},
    {"marketing.news", "marketing", "en", "{{headline}}", "{{text}}"},
    {"test.hello", "chat", "en", "Hello {{name}}", "This is a test notification: {{text}}"},
};
#define NTEMPLATES (sizeof templates / sizeof templates[0])

const notify_template_t *notify_template(const char *name, const char *language)
{
    const notify_template_t *en = NULL, *own = NULL;
    for (size_t i = 0; name && i < NTEMPLATES; i++) {
        if (strcmp(templates[i].name, name) != 0)
            continue;
        if (strcmp(templates[i].language, "en") == 0)
            en = &templates[i];
        else if (language && strcmp(templates[i].language, language) == 0)
            own = &templates[i];
    }
    return own && en ? own : en;
}

static void append_value(buf_t *b, json_t *v)
{
    char num[64];
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        buf_append(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        buf_append(b, num, strlen(num));
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.15g", json_real_value(v));
        buf_append(b, num, strlen(num));
        break;
    case JSON_TRUE:
        buf_append(b, "true", 4);
        break;
    case JSON_FALSE:
        buf_append(b, "false", 5);
        break;
    default:
        break;
    }
}

char *notify_render(const char *text, json_t *data)
{
    buf_t b = BUF_INIT;
    const char *p = text;
    while (*p) {
        const char *open = strstr(p, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        if (!open || !close) {
            buf_append(&b, p, strlen(p));
            break;
        }
        buf_append(&b, p, (size_t)(open - p));
        char key[64];
        size_t klen = (size_t)(close - open - 2);
        if (klen > 0 && klen < sizeof key) {
            memcpy(key, open + 2, klen);
            key[klen] = '\0';
            append_value(&b, json_is_object(data) ? json_object_get(data, key) : NULL);
        }
        p = close + 2;
    }
    return b.data ? buf_steal(&b) : strdup("");
}
