/*
 * routes.c - the one route table, assembled from each resource's own.
 *
 * Every resource file exports `<name>_routes[]` and `<name>_routes_count`
 * (declared in api.h); api_routes_init() concatenates them in the order
 * below into one array that the router, /metrics and `travloc routes`
 * share. Call it once at start-up, before any thread runs.
 */
#include "api/api.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const route_t *routes;
    const int *count;
} table_t;

static const table_t tables[] = {
    {ops_routes, &ops_routes_count},
    {realtime_routes, &realtime_routes_count},
    {places_routes, &places_routes_count},
    {map_routes, &map_routes_count},
    {auth_routes, &auth_routes_count},
    {users_routes, &users_routes_count},
    {admin_routes, &admin_routes_count},
    {acc_maint_routes, &acc_maint_routes_count},
    {jobs_admin_routes, &jobs_admin_routes_count},
    {trips_routes, &trips_routes_count},
    {notifications_routes, &notifications_routes_count},
    {planner_routes, &planner_routes_count},
    {recommend_routes, &recommend_routes_count},
    {events_routes, &events_routes_count},
    {messages_routes, &messages_routes_count},
    {messages_mute_routes, &messages_mute_routes_count},
};

static route_t *all;
static int nall;

int api_routes_init(void)
{
    if (all)
        return 0;
    if (messages_realtime_init() < 0)
        return -1;
    if (planner_jobs_register() < 0) /* job types run by serve and worker */
        return -1;
    if (notifications_jobs_register() < 0) /* NOTIFICATION_SEND, REPORT_GENERATION, DATA_SYNC */
        return -1;
    int n = 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        n += *tables[i].count;
    all = calloc((size_t)n, sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        memcpy(all + nall, tables[i].routes, sizeof *all * (size_t)*tables[i].count);
        nall += *tables[i].count;
    }
    return 0;
}

const route_t *api_routes(int *count)
{
    *count = nall;
    return all;
}
