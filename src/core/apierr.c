#include "core/apierr.h"

#include <stdarg.h>
#include <stdio.h>

int apierr_set(apierr_t *e, int status, const char *code, const char *fmt, ...)
{
    if (!e)
        return -1;
    e->status = status;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

void apierr_detail(apierr_t *e, const char *key, json_t *value)
{
    if (!e->details)
        e->details = json_object();
    json_object_set_new(e->details, key, value);
}

void apierr_clear(apierr_t *e)
{
    if (e->details)
        json_decref(e->details);
    e->details = NULL;
    e->status = 0;
    e->code = NULL;
    e->message[0] = '\0';
}
