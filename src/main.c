/*
 * main.c - the travloc command line.
 *
 *   travloc serve     serve the API (default)
 *   travloc migrate   apply database migrations and exit
 *   travloc routes    print the route table (one "METHOD /path" a line)
 *   travloc version   print the version
 *   travloc help      this text
 *
 * Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.
 */
#include "accounts/accounts.h"
#include "accounts/cleanup.h"
#include "accounts/mailer.h"
#include "api/api.h"
#include "auth/access.h"
#include "core/config.h"
#include "core/log.h"
#include "http/router.h"
#include "cluster/cluster.h"
#include "http/server.h"
#include "places/places.h"
#include "api/trips_jobs.h"
#include "planner/bench.h"
#include "queue/queue.h"
#include "store/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    printf("travloc %s - travel companion backend\n\n"
           "usage: travloc <command> [options]\n\n"
           "commands:\n"
           "  serve      serve the HTTP API and real-time channel (default)\n"
           "  migrate    apply database migrations and exit\n"
           "  routes     print every route the server answers\n"
           "  import-osm FILE.osm.pbf [--if-empty]: load places and the routing graph\n"
           "  import-events FILE.ics [--source NAME]: load local events (iCalendar)\n"
           "  user       user create [--admin] --email E --password P: add an account\n"
           "  bench-planner DIR  solve the TOPTW benchmark in DIR (data/toptw) and report gaps\n"
           "  worker     run jobs: [--queues a,b] [--concurrency N] [--lease-ms N]\n"
           "  jobs       enqueue|list|get|retry|cancel|purge|pause|resume|configure|schedule|unschedule\n"
           "  version    print the version\n"
           "  help       show this help\n\n"
           "options (flag, environment variable, meaning):\n",
           TRAVLOC_VERSION);
    config_print_help();
}

static int load_config(config_t *cfg, int argc, char **argv)
{
    char err[512];
    if (config_init(cfg, err, sizeof err) < 0 ||
        config_parse_args(cfg, argc, argv, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        return -1;
    }
    log_set_level((log_level_t)cfg->log_level);
    return 0;
}

static int open_store(const config_t *cfg, store_t **store, bool verbose)
{
    char err[512];
    if (store_open(store, cfg, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        return -1;
    }
    if (store_migrate(*store, verbose, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        store_close(*store);
        return -1;
    }
    store_conn_t *db = store_conn_open(*store, NULL);
    int rc = auth_keys_init(cfg, db, err, sizeof err);
    store_conn_close(db);
    if (rc < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        store_close(*store);
        return -1;
    }
    return 0;
}

static int cmd_serve(config_t *cfg)
{
    store_t *store;
    if (open_store(cfg, &store, false) < 0)
        return 1;
    char err[256];
    if (accounts_init(cfg, store, true, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        accounts_shutdown();
        auth_keys_free();
        store_close(store);
        return 1;
    }
    int nroutes;
    const route_t *routes = api_routes(&nroutes);
    router_t *router = router_new(routes, nroutes, err, sizeof err);
    if (!router) {
        fprintf(stderr, "travloc: route table: %s\n", err);
        accounts_shutdown();
        store_close(store);
        return 1;
    }
    places_serve_init(store);
    queue_serve_init(store);
    store_conn_t *jdb = store_conn_open(store, NULL);
    apierr_t jerr = {0};
    if (trips_jobs_init(jdb, &jerr) < 0) {
        fprintf(stderr, "travloc: scheduling trip status updates: %s\n", jerr.message);
        apierr_clear(&jerr);
    }
    store_conn_close(jdb);
    int rc = server_run(cfg, store, router, routes, nroutes);
    places_shutdown();
    accounts_shutdown();
    router_free(router);
    auth_keys_free();
    store_close(store);
    return rc == 0 ? 0 : 1;
}

static int cmd_routes(void)
{
    int n;
    const route_t *routes = api_routes(&n);
    for (int i = 0; i < n; i++)
        printf("%s %s\n", routes[i].method, routes[i].pattern);
    return 0;
}

int main(int argc, char **argv)
{
    if (api_routes_init() < 0) {
        fprintf(stderr, "travloc: out of memory\n");
        return 1;
    }
    const char *cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : "serve";
    int first = argc > 1 && argv[1][0] != '-' ? 2 : 1;
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage();
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("travloc %s\n", TRAVLOC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "bench-planner") == 0)
        return planner_bench_main(argc - 1, argv + 1);
    if (strcmp(cmd, "routes") == 0)
        return cmd_routes();
    if (sodium_init() < 0) {
        fprintf(stderr, "travloc: libsodium failed to initialise\n");
        return 1;
    }
    if (strcmp(cmd, "user") == 0)
        return accounts_cli(argc - first, argv + first);
    if (strcmp(cmd, "import-osm") == 0)
        return places_import_main(argc - first, argv + first);
    if (strcmp(cmd, "import-events") == 0)
        return events_import_main(argc - first, argv + first);
    if (strcmp(cmd, "worker") == 0 || strcmp(cmd, "jobs") == 0) {
        trips_jobs_register(); /* the application's job types */
        accounts_cleanup_register();
        mailer_register(); /* EMAIL_SEND, SMS_SEND */
        /* cluster mode: a worker's realtime_publish goes through Redis */
        const char *db = getenv("DATABASE_URL");
        bool cl = strcmp(cmd, "worker") == 0 && db && strncmp(db, "postgres", 8) == 0;
        if (cl && cluster_start(getenv("REDIS_URL"), CLUSTER_PUBLISH) < 0)
            return 2;
        int qrc = queue_cli(cmd, argc - first, argv + first);
        if (cl)
            cluster_stop();
        return qrc;
    }
    if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0) {
        fprintf(stderr, "travloc: unknown command '%s' (see 'travloc help')\n", cmd);
        return 2;
    }
    config_t cfg;
    if (load_config(&cfg, argc - first, argv + first) < 0) {
        config_free(&cfg);
        return 2;
    }
    int rc;
    if (strcmp(cmd, "migrate") == 0) {
        store_t *store;
        rc = open_store(&cfg, &store, true) < 0 ? 1 : 0;
        if (rc == 0) {
            auth_keys_free();
            store_close(store);
        }
    } else {
        rc = cmd_serve(&cfg);
    }
    config_free(&cfg);
    return rc;
}
