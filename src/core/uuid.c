#include "core/uuid.h"

#include "core/clock.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static _Thread_local int64_t last_ms;
static _Thread_local uint16_t counter;

void uuid_v7(char out[UUID_STR_LEN])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    int64_t ms = clock_now_ms();
    if (ms <= last_ms) {
        ms = last_ms;
        counter++;
        if (counter > 0x0fff) { /* counter exhausted: borrow the next ms */
            ms = ++last_ms;
            counter = (uint16_t)(b[6] & 0x03);
        }
    } else {
        last_ms = ms;
        counter = (uint16_t)(((b[6] << 8) | b[7]) & 0x01ff);
    }
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (counter >> 8));
    b[7] = (uint8_t)(counter & 0xff);
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
    snprintf(out, UUID_STR_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

bool uuid_valid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}
