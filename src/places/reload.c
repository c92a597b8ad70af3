/* places/reload.c -- pick up a new `travloc import-osm` without a restart.
 *
 * Every import bumps the one-row table places_generation in its own
 * transaction (import_write.c). A running server keeps one watcher thread
 * with its own blocking database handle: every TRAVLOC_PLACES_RELOAD_MS
 * (default 3000) it reads the generation (one primary-key row) and, when
 * it differs from the generation of the published catalog, builds a new
 * catalog with places_load() on this thread. The event loops never wait
 * for a rebuild: they keep answering from the old catalog and only the
 * pointer swap takes the write lock; the old catalog is freed after the
 * swap, when no reader holds it (catalog.c). Works the same on SQLite and
 * PostgreSQL, and with any number of servers on one database.
 *
 * Owns: the thread, its database handle (opened and closed on the thread)
 * and the stop flag; nothing is handed out.
 */
#include "places/places.h"

#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static pthread_t thread;
static bool running, stopping;
static store_t *watch_store;
static long interval_ms;

int64_t places_generation(store_conn_t *db)
{
    apierr_t e = {0};
    store_res_t *r = NULL;
    if (store_query(db, "SELECT generation FROM places_generation WHERE id = 1", NULL, 0, &r,
                    &e) < 0) {
        apierr_clear(&e);
        return -1;
    }
    int64_t g = r->nrows == 1 ? store_int(r, 0, 0) : -1;
    store_res_free(r);
    return g;
}

static int64_t published_generation(void)
{
    places_read_lock();
    int64_t g = places_catalog()->generation;
    places_read_unlock();
    return g;
}

/* One poll: reload when the database moved on. A failed query drops the
 * handle so that the next poll reconnects (PostgreSQL restarted). */
static void poll_once(store_conn_t **db)
{
    if (!*db && !(*db = store_conn_open(watch_store, NULL)))
        return;
    int64_t g = places_generation(*db);
    if (g < 0) {
        store_conn_close(*db);
        *db = NULL;
        return;
    }
    if (g == published_generation())
        return;
    char err[512];
    log_info("places reload", "\"generation\":%lld", (long long)g);
    if (places_load(*db, err, sizeof err) < 0)
        log_error("places reload failed", "\"error\":\"%s\"", err);
}

static void *watch_main(void *arg)
{
    (void)arg;
    store_conn_t *db = NULL;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += interval_ms / 1000;
        ts.tv_nsec += (interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!stopping && pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT) {
        }
        if (stopping)
            break;
        pthread_mutex_unlock(&mu);
        poll_once(&db);
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    if (db)
        store_conn_close(db);
    return NULL;
}

void places_watch_start(store_t *s)
{
    const char *env = getenv("TRAVLOC_PLACES_RELOAD_MS");
    char *end = NULL;
    long ms = env && *env ? strtol(env, &end, 10) : 3000;
    if (env && *env && (*end || ms < 0 || ms > 86400000L)) {
        log_warn("TRAVLOC_PLACES_RELOAD_MS ignored", "\"value\":\"%.40s\"", env);
        ms = 3000;
    }
    if (ms == 0 || running)
        return;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &ca);
    pthread_condattr_destroy(&ca);
    interval_ms = ms;
    watch_store = s;
    stopping = false;
    if (pthread_create(&thread, NULL, watch_main, NULL) != 0) {
        log_error("places reload watcher not started", "\"error\":\"pthread_create\"");
        pthread_cond_destroy(&cv);
        return;
    }
    running = true;
}

void places_watch_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    pthread_cond_destroy(&cv);
    running = false;
}
