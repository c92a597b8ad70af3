#include "api/api.h"

const route_t api_routes[] = {
    {"GET", "/health", ops_health, ROUTE_OPS | ROUTE_PUBLIC, 0, "Liveness"},
    {"GET", "/ready", ops_ready, ROUTE_OPS | ROUTE_PUBLIC, 0, "Readiness (database reachable)"},
    {"GET", "/metrics", ops_metrics, ROUTE_OPS | ROUTE_PUBLIC, 0, "Prometheus metrics"},
    {"GET", "/v1/openapi.json", ops_openapi, ROUTE_OPS | ROUTE_PUBLIC, 0, "This API's OpenAPI document"},
    {"GET", "/docs", ops_docs, ROUTE_OPS | ROUTE_PUBLIC, 0, "API explorer"},
    {"POST", "/v1/echo", diag_echo, ROUTE_PUBLIC, 64 * 1024, "Echo a JSON body"},
    {"GET", "/docs/assets/:file", ops_docs_asset, ROUTE_OPS | ROUTE_PUBLIC, 0, "API explorer assets"},
};

const int api_route_count = (int)(sizeof api_routes / sizeof api_routes[0]);
