/*
 * mail_job.h - the EMAIL_SEND / SMS_SEND job handler behind mailer.h.
 *
 * Internal to src/accounts: mailer.c registers the handler and supplies
 * the configuration the handler delivers with.
 */
#ifndef TRAVLOC_MAIL_JOB_H
#define TRAVLOC_MAIL_JOB_H

#include "core/config.h"

/* The configuration deliveries use: serve's (from mailer_start) or the
 * standalone worker's; NULL when neither is known. */
const config_t *mail_job__config(void);

#endif
