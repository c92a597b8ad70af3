/*
 * buf.h - a growable byte buffer.
 *
 * A buf_t owns its storage (data, always NUL terminated when cap > 0) and is
 * freed with buf_free. Growth failures are reported (-1) and leave the buffer
 * unchanged, so callers can turn them into a 500 instead of crashing.
 */
#ifndef TRAVLOC_BUF_H
#define TRAVLOC_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

int buf_reserve(buf_t *b, size_t extra);
int buf_append(buf_t *b, const void *p, size_t n);
int buf_puts(buf_t *b, const char *s);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
int buf_json_str(buf_t *b, const char *s, size_t n);
void buf_reset(buf_t *b);
void buf_free(buf_t *b);
/* Hands the storage to the caller (who frees it with free()); b is reset. */
char *buf_steal(buf_t *b);

#endif
