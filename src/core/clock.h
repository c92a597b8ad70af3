/*
 * clock.h - wall and monotonic time in milliseconds, RFC 3339 formatting.
 */
#ifndef TRAVLOC_CLOCK_H
#define TRAVLOC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ms(void);   /* wall clock, Unix epoch */
int64_t clock_mono_ms(void);  /* monotonic */
uint64_t clock_mono_ns(void);
/* Writes "2026-11-25T10:00:00.123Z"; out needs 25 bytes. Returns out. */
char *clock_rfc3339(int64_t unix_ms, char *out, size_t n);

#endif
