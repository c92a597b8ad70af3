/*
 * diag.c - POST /v1/echo: returns the JSON it was sent.
 *
 * Lets a client check end to end that requests with bodies get through
 * (proxies, body limits, JSON parsing). `?delayMs=` (at most 5000) holds
 * the answer back without blocking the loop, which the black-box tests use
 * for in-flight and shutdown cases. Its body limit is 64 KiB.
 */
#include "api/api.h"

#include "core/loopctx.h"

#include <stdlib.h>

void diag_echo(http_req_t *req)
{
    const char *d = http_query(req, "delayMs");
    if (d) {
        char *end;
        long ms = strtol(d, &end, 10);
        if (end == d || *end || ms < 0 || ms > 5000) {
            http_send_error(req, 400, "invalid_parameter", "delayMs must be 0..5000");
            return;
        }
        loop_sleep((int)ms);
    }
    json_t *body = json_object();
    json_object_set(body, "received", req->json ? req->json : json_null());
    json_object_set_new(body, "requestId", json_string(req->request_id));
    http_send_json(req, 200, body);
}
