/*
 * recommend_int.h - handlers of the recommendation routes (recommend.c,
 * recommend_packing.c) and the events routes (events.c), issue 7.
 */
#ifndef TRAVLOC_API_RECOMMEND_INT_H
#define TRAVLOC_API_RECOMMEND_INT_H

#include "http/http.h"

void recommend_seasonal(http_req_t *req);
void recommend_weather(http_req_t *req);
void packing_suggestions_get(http_req_t *req);
void packing_suggestions_merge(http_req_t *req);
void events_near_get(http_req_t *req);

#endif
