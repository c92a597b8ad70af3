/*
 * uuid.h - UUIDv7 identifiers (RFC 9562): 48-bit Unix milliseconds, then
 * a 12-bit counter seeded randomly each millisecond so ids made by one
 * thread sort in creation order, then 62 random bits (libsodium).
 */
#ifndef TRAVLOC_UUID_H
#define TRAVLOC_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define UUID_STR_LEN 37 /* 36 characters and the NUL */

void uuid_v7(char out[UUID_STR_LEN]);
/* Canonical lower-case 8-4-4-4-12 form check. */
bool uuid_valid(const char *s);

#endif
