/*
 * trips_jobs.h - the scheduled side of trips: a trip becomes ACTIVE on its
 * start date and COMPLETED after its end date (UTC days).
 *
 * trips_status_sweep() does one pass and is what the "trips.status" job
 * runs; trips_jobs_init() registers that job type with the queue and
 * schedules it every 15 minutes. Call trips_jobs_init() once at start-up,
 * after queue initialisation and before the loops run, with a blocking
 * store handle.
 */
#ifndef TRAVLOC_TRIPS_JOBS_H
#define TRAVLOC_TRIPS_JOBS_H

#include "store/store.h"

#include <stdint.h>

/* Moves every due trip (PLANNING whose dates include today -> ACTIVE;
 * PLANNING or ACTIVE whose end date is before today -> COMPLETED), each in
 * its own transaction with a new version and a change-log row. now_ms
 * picks "today". Returns how many trips changed, or -1 with err. */
int trips_status_sweep(store_conn_t *db, int64_t now_ms, apierr_t *err);

int trips_jobs_init(store_conn_t *db, apierr_t *err);
/* Registers the job handler only (standalone worker processes). */
int trips_jobs_register(void);

#endif
