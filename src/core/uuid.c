#include "core/uuid.h"

#include "core/clock.h"

#include <sodium.h>
#include <string.h>

static _Thread_local int64_t last_ms;
static _Thread_local uint16_t counter;

/* Random bytes drawn from the kernel 1 KiB at a time: a request id per
 * request would otherwise cost a getrandom system call each. The pool is
 * per thread and never reused: each byte is handed out once. */
#define POOL_BYTES 1024
static _Thread_local uint8_t pool[POOL_BYTES];
static _Thread_local size_t pool_left;

static void random_take(uint8_t *out, size_t n)
{
    if (pool_left < n) {
        randombytes_buf(pool, sizeof pool);
        pool_left = sizeof pool;
    }
    pool_left -= n;
    memcpy(out, pool + pool_left, n);
    sodium_memzero(pool + pool_left, n);
}

void uuid_v7(char out[UUID_STR_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[16];
    random_take(b, sizeof b);
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
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
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
