/*
 * messaging/chat_preview.c - the text a chat notification shows for a
 * message (notify_offline.c): text cut to MSG_PREVIEW_MAX code points,
 * a label for location, photo and booking messages. Pure: no I/O, no
 * allocation; output goes to the caller's buffer.
 */
#include "messaging/notify_offline.h"

#include <stdio.h>
#include <string.h>

void msg_clip(const char *s, size_t max, char *out, size_t cap)
{
    size_t o = 0, cps = 0;
    bool cut = false;
    if (cap < 4) { /* no room for anything but "" */
        if (cap)
            out[0] = '\0';
        return;
    }
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        bool lead = (*p & 0xC0) != 0x80;
        if ((lead && cps++ == max) || o + 5 > cap) { /* keep room for "…" and the NUL */
            if (!lead) { /* never leave half a character */
                while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
                    o--;
                if (o > 0)
                    o--; /* its lead byte */
            }
            cut = true;
            break;
        }
        out[o++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
    }
    if (cut) {
        memcpy(out + o, "\xe2\x80\xa6", 3); /* "…" */
        o += 3;
    }
    out[o] = '\0';
}

void msg_chat_preview(const char *type, const char *text, const char *label, char *out,
                      size_t cap)
{
    char t[MSG_PREVIEW_CAP];
    if (type && strcmp(type, "location") == 0) {
        msg_clip(label, MSG_PREVIEW_MAX, t, sizeof t);
        snprintf(out, cap, "%s%s", *t ? "Location: " : "Shared a location", t);
    } else if (type && strcmp(type, "media") == 0) {
        msg_clip(text, MSG_PREVIEW_MAX, t, sizeof t);
        snprintf(out, cap, "%s%s", *t ? "Photo: " : "Sent a photo", t);
    } else if (type && strcmp(type, "booking") == 0) {
        snprintf(out, cap, "Shared a booking");
    } else {
        msg_clip(text, MSG_PREVIEW_MAX, out, cap);
    }
}
