/*
 * acc_maint.c - POST /v1/admin/maintenance/cleanup: runs the accounts
 * cleanup pass (accounts/cleanup.h) now, instead of waiting for the
 * "accounts.cleanup" job, and answers what it deleted. Admin only
 * (ROUTE_NEED_ADMIN, checked by the auth middleware). Nothing is kept
 * between calls.
 */
#include "api/api.h"
#include "api/acc_util.h"

#include "accounts/cleanup.h"
#include "core/clock.h"

static void maint_cleanup(http_req_t *req)
{
    apierr_t err = {0};
    json_t *n = accounts_cleanup(acc_db(), clock_now_ms(), &err);
    if (!n)
        ACC_FAIL(req, &err);
    http_send_json(req, 200, json_pack("{s:o}", "deleted", n));
}

const route_t acc_maint_routes[] = {
    {"POST", "/v1/admin/maintenance/cleanup", maint_cleanup, 0, 4096,
     "Delete expired tokens, codes, old outbox rows and idempotency keys now", ROUTE_NEED_ADMIN},
};
const int acc_maint_routes_count = (int)(sizeof acc_maint_routes / sizeof acc_maint_routes[0]);
