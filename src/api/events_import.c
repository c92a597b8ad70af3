/*
 * events_import.c - `travloc import-events FILE.ics [--source NAME]
 * [server options]`: loads the events of an iCalendar feed into the events
 * table (migration 0009) on a blocking store handle.
 *
 * A feed is identified by its source name (default: the file's base
 * name). One transaction per import: every event is upserted by (source,
 * uid), and events of that source the file no longer has are deleted, so
 * re-importing a changed feed leaves exactly the feed's events. Exit
 * status 0, 1 (nothing changed) or 2 (usage).
 */
#include "api/api.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/uuid.h"
#include "recommend/ical.h"
#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (32 * 1024 * 1024)

typedef struct {
    store_conn_t *db;
    const char *source;
    int64_t stamp;
    int written, unplaced;
    apierr_t err;
} imp_t;

static int put_event(void *arg, const rec_event_t *ev)
{
    imp_t *im = arg;
    char id[UUID_STR_LEN], cats[1100] = "[]";
    uuid_v7(id);
    json_t *arr = json_array();
    char *dup = strdup(ev->categories ? ev->categories : "");
    for (char *save = NULL, *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(arr, json_string(t));
    free(dup);
    char *ct = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (ct && strlen(ct) < sizeof cats)
        snprintf(cats, sizeof cats, "%s", ct);
    free(ct);
    bool geo = !isnan(ev->lat) && !isnan(ev->lng) && fabs(ev->lat) <= 90 && fabs(ev->lng) <= 180;
    im->unplaced += !geo;
    store_arg_t a[] = {ARG_TEXT(id), ARG_TEXT(im->source), ARG_TEXT(ev->uid), ARG_TEXT(ev->title),
                       ARG_TEXT(ev->description ? ev->description : ""),
                       ARG_TEXT(ev->location ? ev->location : ""), ARG_TEXT(ev->url),
                       geo ? ARG_REAL(ev->lat) : ARG_NULL, geo ? ARG_REAL(ev->lng) : ARG_NULL,
                       ARG_INT(ev->start_ms), ARG_INT(ev->end_ms), ARG_INT(ev->all_day ? 1 : 0),
                       ARG_TEXT(cats), ARG_INT(im->stamp)};
    if (store_exec(im->db,
                   "INSERT INTO events (id, source, uid, title, description, location, url, lat, "
                   "lng, starts_at, ends_at, all_day, categories, updated_at) VALUES ($1, $2, $3, "
                   "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (source, uid) DO "
                   "UPDATE SET title = excluded.title, description = excluded.description, "
                   "location = excluded.location, url = excluded.url, lat = excluded.lat, lng = "
                   "excluded.lng, starts_at = excluded.starts_at, ends_at = excluded.ends_at, "
                   "all_day = excluded.all_day, categories = excluded.categories, updated_at = "
                   "excluded.updated_at",
                   a, 14, &im->err) < 0)
        return -1;
    im->written++;
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!buf || n > MAX_FILE) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static int run(store_t *store, const char *file, const char *source)
{
    char *text = read_file(file);
    if (!text) {
        fprintf(stderr, "travloc: %s: %s\n", file, strerror(errno));
        return 1;
    }
    imp_t im = {.db = store_conn_open(store, NULL), .source = source, .stamp = clock_now_ms()};
    rec_ical_stats_t st;
    int rc = 1;
    if (store_begin(im.db, true, &im.err) == 0) {
        int pr = rec_ical_parse(text, put_event, &im, &st);
        store_arg_t a[] = {ARG_TEXT(source), ARG_INT(im.stamp)};
        int64_t deleted = 0;
        store_res_t *r = NULL;
        if (pr == 0 && store_query(im.db, "DELETE FROM events WHERE source = $1 AND updated_at < $2",
                                   a, 2, &r, &im.err) == 0) {
            deleted = r->changes;
            store_res_free(r);
            if (store_commit(im.db, &im.err) == 0) {
                printf("events: %d from %d calendar(s) (skipped %d, without position %d, "
                       "removed %lld) source %s\n",
                       im.written, st.calendars, st.skipped, im.unplaced, (long long)deleted, source);
                rc = 0;
            }
        } else if (pr == -1) {
            fprintf(stderr, "travloc: %s is not an iCalendar file\n", file);
        }
        if (rc != 0)
            store_rollback(im.db);
    }
    if (rc != 0 && im.err.status)
        fprintf(stderr, "travloc: import failed: %s\n", im.err.message);
    apierr_clear(&im.err);
    store_conn_close(im.db);
    free(text);
    return rc;
}

int events_import_main(int argc, char **argv)
{
    const char *file = NULL, *source = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
            source = argv[++i];
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else {
            rest[nrest++] = argv[i];
            /* a flag's value, when it is a separate word, goes with it */
            if (argv[i][0] == '-' && !strchr(argv[i], '=') && i + 1 < argc && argv[i + 1][0] != '-')
                rest[nrest++] = argv[++i];
        }
    }
    if (!file || (source && (!*source || strlen(source) > 200))) {
        fprintf(stderr, "usage: travloc import-events FILE.ics [--source NAME] [options]\n");
        free(rest);
        return 2;
    }
    if (!source) {
        source = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    }
    config_t cfg;
    char err[512];
    store_t *store = NULL;
    int rc = 2;
    if (config_init(&cfg, err, sizeof err) < 0 || config_parse_args(&cfg, nrest, rest, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
    } else if (store_open(&store, &cfg, err, sizeof err) < 0 ||
               store_migrate(store, false, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        rc = 1;
    } else {
        log_set_level((log_level_t)cfg.log_level);
        rc = run(store, file, source);
    }
    if (store)
        store_close(store);
    config_free(&cfg);
    free(rest);
    return rc;
}
