/* places/import.c -- `travloc import-osm FILE.osm.pbf`.
 *
 * Reads the whole file first (geo/osm.h: places + routing graph); a
 * truncated or wrong file fails there, before the database is touched.
 * Then one write transaction: places are matched by (osm_type, osm_id)
 * against what is stored, inserted when new (a fresh UUIDv7), updated when
 * their content hash differs, left alone when equal, and deleted when the
 * file no longer has them; the routing graph blob replaces the stored one.
 * Any failure rolls everything back. Progress goes to stderr when it is a
 * terminal; the counts go to stdout.
 *
 * Memory: the import result, the JSON strings of one row and the map of
 * stored places are owned here and freed before returning.
 */
#include "places/places.h"
#include "places/import_int.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "geo/osm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Progress --------------------------------------------------------------- */

static int read_progress(void *data, const geo_osm_progress_t *p)
{
    (void)data;
    unsigned long long n = (unsigned long long)(p->nodes + p->ways + p->relations);
    fprintf(stderr, "\rreading  %12llu elements (%llu nodes, %llu ways, %llu relations)%s", n,
            (unsigned long long)p->nodes, (unsigned long long)p->ways,
            (unsigned long long)p->relations, p->done ? "\n" : "");
    fflush(stderr);
    return 0;
}

void import__bar(const char *what, size_t done, size_t total)
{
    int width = 40;
    int fill = total ? (int)((double)done / (double)total * width) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r%-8s [%s] %3d%% %zu/%zu", what, bar,
            total ? (int)(100.0 * (double)done / (double)total) : 100, done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ---- Command line ------------------------------------------------------------ */

typedef struct {
    const char *file;
    bool if_empty;
    int argc;
    char **argv; /* the rest, for config_parse_args */
} import_args_t;

static int parse_args(int argc, char **argv, import_args_t *a)
{
    a->argv = calloc((size_t)argc + 1, sizeof *a->argv);
    if (!a->argv)
        return -1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--if-empty") == 0) {
            a->if_empty = true;
        } else if (argv[i][0] != '-' && !a->file) {
            a->file = argv[i];
        } else {
            a->argv[a->argc++] = argv[i];
            /* a flag's value, when it is a separate word, goes with it */
            if (argv[i][0] == '-' && !strchr(argv[i], '=') && i + 1 < argc &&
                argv[i + 1][0] != '-')
                a->argv[a->argc++] = argv[++i];
        }
    }
    return 0;
}

static void extract_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = 0;
    for (const char *p = base; *p && n + 1 < cap; p++) {
        if (strcmp(p, ".osm.pbf") == 0 || strcmp(p, ".pbf") == 0 || strcmp(p, ".osm") == 0)
            break;
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
        out[n++] = ok ? ch : '_';
    }
    out[n] = '\0';
    if (n == 0)
        snprintf(out, cap, "extract");
}

static int open_db(int argc, char **argv, config_t *cfg, store_t **store)
{
    char err[512];
    if (config_init(cfg, err, sizeof err) < 0 ||
        config_parse_args(cfg, argc, argv, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        return 2;
    }
    log_set_level((log_level_t)cfg->log_level);
    if (store_open(store, cfg, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        return 1;
    }
    if (store_migrate(*store, false, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        store_close(*store);
        return 1;
    }
    return 0;
}

static int64_t place_count(store_conn_t *db)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT count(*) FROM places", NULL, 0, &r, &e) < 0) {
        apierr_clear(&e);
        return -1;
    }
    int64_t n = store_int(r, 0, 0);
    store_res_free(r);
    return n;
}

static void print_summary(const char *file, const geo_osm_result_t *res,
                          const import_counts_t *k, double read_s, double total_s)
{
    const geo_osm_stats_t *st = geo_osm_result_stats(res);
    uint64_t elements = st->nodes + st->ways + st->relations;
    printf("imported %s\n", file);
    printf("  elements: %llu nodes, %llu ways, %llu relations (%.0f elements/s)\n",
           (unsigned long long)st->nodes, (unsigned long long)st->ways,
           (unsigned long long)st->relations, read_s > 0 ? (double)elements / read_s : 0.0);
    printf("  places: %zu (inserted %zu, updated %zu, unchanged %zu, deleted %zu)\n",
           geo_osm_place_count(res), k->inserted, k->updated, k->unchanged, k->deleted);
    printf("  routing graph: %u nodes, %u edges, %zu bytes\n", st->graph_nodes,
           st->graph_edges, k->graph_bytes);
    printf("  categories:");
    size_t ncat = geo_osm_category_count();
    size_t *per = calloc(ncat, sizeof *per);
    for (size_t i = 0; per && i < geo_osm_place_count(res); i++)
        per[geo_osm_place_at(res, i)->category]++;
    for (size_t c = 0; per && c < ncat; c++)
        if (per[c])
            printf(" %s=%zu", geo_osm_category(c)->name, per[c]);
    printf("\n  time: %.2f s\n", total_s);
    free(per);
}

static int run_import(const import_args_t *a, store_t *store)
{
    store_conn_t *db = store_conn_open(store, NULL);
    if (!db) {
        fprintf(stderr, "travloc: cannot open the database\n");
        return 1;
    }
    if (a->if_empty) {
        int64_t n = place_count(db);
        if (n > 0) {
            printf("places already imported (%lld); nothing to do\n", (long long)n);
            store_conn_close(db);
            return 0;
        }
    }
    bool tty = isatty(STDERR_FILENO);
    char why[512] = "";
    geo_osm_options_t opt = {.progress = tty ? read_progress : NULL,
                             .progress_every = 200000,
                             .err_buf = why,
                             .err_len = sizeof why};
    uint64_t t0 = clock_mono_ns();
    geo_osm_result_t *res = NULL;
    int rc = geo_osm_import(a->file, &opt, &res);
    double read_s = (double)(clock_mono_ns() - t0) / 1e9;
    if (rc != GEO_OK) {
        if (tty)
            fputc('\n', stderr);
        fprintf(stderr, "travloc: import-osm: %s: %s%s%s; nothing was changed\n", a->file,
                geo_strerror(rc), why[0] ? ": " : "", why);
        store_conn_close(db);
        return 1;
    }
    char extract[128];
    extract_name(a->file, extract, sizeof extract);
    import_counts_t k = {0};
    char err[512];
    rc = import__write(db, store_kind(store) == STORE_POSTGRES, res, extract, tty, &k, err,
                       sizeof err);
    if (rc < 0)
        fprintf(stderr, "travloc: import-osm: %s; nothing was changed\n", err);
    else
        print_summary(a->file, res, &k, read_s, (double)(clock_mono_ns() - t0) / 1e9);
    geo_osm_result_free(res);
    store_conn_close(db);
    return rc < 0 ? 1 : 0;
}

int places_import_main(int argc, char **argv)
{
    import_args_t a = {0};
    if (parse_args(argc, argv, &a) < 0) {
        fprintf(stderr, "travloc: out of memory\n");
        return 1;
    }
    if (!a.file) {
        fprintf(stderr, "usage: travloc import-osm FILE.osm.pbf [--if-empty] [options]\n");
        free(a.argv);
        return 2;
    }
    config_t cfg;
    store_t *store = NULL;
    int rc = open_db(a.argc, a.argv, &cfg, &store);
    if (rc == 0) {
        rc = run_import(&a, store);
        store_close(store);
    }
    config_free(&cfg);
    free(a.argv);
    return rc;
}
