/*
 * embedded.h - files compiled into the binary.
 *
 * cmake/embed.cmake turns the SQL migrations and the static assets (the
 * OpenAPI document, the /docs page) into read-only tables generated at
 * configure time. Each table ends with a zeroed sentinel; data is NUL
 * terminated so SQL text can be used as a C string. Nothing here is freed.
 */
#ifndef TRAVLOC_EMBEDDED_H
#define TRAVLOC_EMBEDDED_H

#include <stddef.h>

typedef struct {
    const char *name;   /* file name, e.g. "0001_init.sql" */
    const char *data;   /* contents, NUL terminated */
    size_t len;         /* length without the NUL */
} embedded_file_t;

extern const embedded_file_t embedded_sqlite[];   /* sorted by name */
extern const int embedded_sqlite_count;
extern const embedded_file_t embedded_postgres[]; /* sorted by name */
extern const int embedded_postgres_count;
extern const embedded_file_t embedded_assets[];
extern const int embedded_assets_count;

/* Looks an asset up by file name; NULL when absent. */
const embedded_file_t *embedded_asset(const char *name);

#endif
