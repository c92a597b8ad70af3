/*
 * trips_routes.c - the route table of issue 4: trips, their destinations,
 * activities and buddies, the public trip view, and offline sync.
 */
#include "api/api.h"
#include "api/trips_int.h"

#define TRIP_BODY (256 * 1024)
#define SYNC_BODY (1024 * 1024)

const route_t trips_routes[] = {
    {"POST", "/v1/trips", trips_create, 0, TRIP_BODY, "Create a trip", 0},
    {"GET", "/v1/trips", trips_list, 0, 0, "Your trips and trips shared with you", 0},
    {"GET", "/v1/trips/:id", trips_get, ROUTE_SESSION_LATE, 0,
     "A trip with its destinations and activities", 0},
    {"PUT", "/v1/trips/:id", trips_put, 0, TRIP_BODY, "Replace a trip", 0},
    {"PATCH", "/v1/trips/:id", trips_patch, 0, TRIP_BODY, "Change a trip (JSON merge patch)", 0},
    {"DELETE", "/v1/trips/:id", trips_delete, 0, 0, "Delete a trip (owner)", 0},
    {"GET", "/v1/trips/:id/destinations", dest_list_h, 0, 0, "A trip's destinations", 0},
    {"POST", "/v1/trips/:id/destinations", dest_create_h, 0, TRIP_BODY, "Add a destination", 0},
    {"GET", "/v1/trips/:id/destinations/:destId", dest_get_h, 0, 0, "One destination", 0},
    {"PATCH", "/v1/trips/:id/destinations/:destId", dest_patch_h, 0, TRIP_BODY, "Change a destination (JSON merge patch)", 0},
    {"DELETE", "/v1/trips/:id/destinations/:destId", dest_delete_h, 0, 0, "Delete a destination", 0},
    {"GET", "/v1/trips/:id/activities", act_list_h, 0, 0, "A trip's activities", 0},
    {"POST", "/v1/trips/:id/activities", act_create_h, 0, TRIP_BODY, "Add an activity", 0},
    {"GET", "/v1/trips/:id/activities/:actId", act_get_h, 0, 0, "One activity", 0},
    {"PATCH", "/v1/trips/:id/activities/:actId", act_patch_h, 0, TRIP_BODY, "Change an activity (JSON merge patch)", 0},
    {"DELETE", "/v1/trips/:id/activities/:actId", act_delete_h, 0, 0, "Delete an activity", 0},
    {"GET", "/v1/trips/:id/itinerary", itinerary_get, 0, 0, "The trip's day plans", 0},
    {"PUT", "/v1/trips/:id/itinerary", itinerary_put, 0, TRIP_BODY, "Replace the day plans", 0},
    {"GET", "/v1/trips/:id/packing-list", packing_get, 0, 0, "The trip's packing list", 0},
    {"PUT", "/v1/trips/:id/packing-list", packing_put, 0, TRIP_BODY, "Replace the packing list", 0},
    {"GET", "/v1/trips/:id/budget", budget_get, 0, 0, "The trip's budget and spending", 0},
    {"PUT", "/v1/trips/:id/budget", budget_put, 0, TRIP_BODY, "Replace the budget lines", 0},
    {"GET", "/v1/trips/:id/expenses", expenses_list, 0, 0, "The trip's expenses", 0},
    {"POST", "/v1/trips/:id/expenses", expenses_create, 0, TRIP_BODY, "Add an expense", 0},
    {"GET", "/v1/trips/:id/expenses/:expId", expenses_get, 0, 0, "One expense", 0},
    {"PATCH", "/v1/trips/:id/expenses/:expId", expenses_patch, 0, TRIP_BODY, "Change an expense (JSON merge patch)", 0},
    {"DELETE", "/v1/trips/:id/expenses/:expId", expenses_delete, 0, 0, "Delete an expense", 0},
    {"GET", "/v1/trips/:id/balances", balances_get, 0, 0, "Who owes whom, per currency", 0},
    {"GET", "/v1/trips/:id/buddies", buddies_list, 0, 0, "A trip's buddies and invitations", 0},
    {"POST", "/v1/trips/:id/buddies", buddies_invite, 0, TRIP_BODY, "Invite a buddy by e-mail or user id (owner)", 0},
    {"POST", "/v1/trips/:id/buddies/accept", buddies_accept, 0, 0, "Accept your invitation", 0},
    {"POST", "/v1/trips/:id/buddies/decline", buddies_decline, 0, 0, "Decline your invitation", 0},
    {"PATCH", "/v1/trips/:id/buddies/:userId", buddies_set_role, 0, TRIP_BODY, "Change a buddy's role (owner)", 0},
    {"DELETE", "/v1/trips/:id/buddies/:userId", buddies_remove, 0, 0, "Remove a buddy (owner) or leave", 0},
    {"GET", "/v1/trip-invitations", buddies_invitations, 0, 0, "Your pending trip invitations", 0},
    {"GET", "/v1/public/trips/:shareId", trips_public_get, ROUTE_PUBLIC, 0, "A public trip without private fields", 0},
    {"GET", "/v1/sync/pull", sync_pull, 0, 0, "Changes since a cursor", 0},
    {"POST", "/v1/sync/push", sync_push, 0, SYNC_BODY, "Apply offline mutations", 0},
    {"GET", "/v1/sync/status", sync_status, 0, 0, "Latest cursor, pending conflicts, devices", 0},
};
const int trips_routes_count = (int)(sizeof trips_routes / sizeof trips_routes[0]);
