/* places/import_int.h -- shared between import.c (command line, reading)
 * and import_write.c (the one write transaction). Private to places/. */
#ifndef TRAVLOC_PLACES_IMPORT_INT_H
#define TRAVLOC_PLACES_IMPORT_INT_H

#include "geo/osm.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct import_counts {
    size_t inserted, updated, unchanged, deleted;
    size_t graph_bytes;
} import_counts_t;

/* Writes every place of `res` and its graph in one transaction on db
 * (blocking handle). Returns 0, or -1 with err set and everything rolled
 * back. `progress` draws a bar on stderr. */
int import__write(store_conn_t *db, bool postgres, const geo_osm_result_t *res,
                  const char *extract, bool progress, import_counts_t *k, char *err,
                  size_t errlen);

/* Draws "what [#####.....] 45% done/total" on stderr. */
void import__bar(const char *what, size_t done, size_t total);

#endif
