/*
 * mailer.h - outgoing e-mail and SMS: a durable outbox row plus a queue job.
 *
 * Handlers never talk to a mail server. mailer_enqueue() inserts a row in
 * the outbox table (the durable record that the tests, GDPR export and the
 * cleanup read) and, in the same transaction, enqueues a job on the job
 * queue (queue/queue.h): queue "mail", type "EMAIL_SEND" for mail and
 * "SMS_SEND" for SMS, payload {"outboxId": id} (never the text: reset
 * codes must not show in the admin job list), dedupe key = the outbox id,
 * exponential backoff from 1 s (capped by the queue at 24 h), 40 attempts.
 * A mail server that is down therefore loses nothing and costs the user
 * no error.
 *
 * The job handler (mail_job.c) runs in any process that called
 * mailer_register(): `travloc serve` (embedded pool) and `travloc worker`.
 * It loads the row, does nothing when the row is already sent or gone
 * (at-least-once delivery never sends twice after a success), delivers it
 * through the providers below on the thread pool, marks it sent, or counts
 * the failed attempt in the row (attempts, last_error) and fails the job
 * attempt so that the queue retries it.
 *
 * Delivery: mail goes to SMTP through libcurl when SMTP_URL is set,
 * otherwise into a maildir under <data_dir>/mail (RFC 5322 files written
 * to tmp/ and renamed into new/). SMS go to the provider of sms.h: by
 * default <data_dir>/sms/new/ as one JSON file each ({"to","body"}), with
 * SMS_URL an HTTP POST.
 *
 * Ownership: strings passed in are copied by the database; nothing is
 * retained. mailer_start/mailer_stop/mailer_register run on the main
 * thread only, before/after the loops run.
 */
#ifndef TRAVLOC_MAILER_H
#define TRAVLOC_MAILER_H

#include "core/config.h"
#include "store/store.h"

#define MAILER_QUEUE "mail"
#define MAILER_JOB_MAIL "EMAIL_SEND"
#define MAILER_JOB_SMS "SMS_SEND"
#define MAILER_MAX_ATTEMPTS 40
#define MAILER_CONCURRENCY 3 /* queue-wide default, set when the queue has no settings */

/* For `travloc serve`: checks the SMS configuration, initialises libcurl,
 * registers the job handlers, gives the "mail" queue its default
 * concurrency when it has no settings yet, and enqueues a job for every
 * unsent outbox row that has none (rows from before the queue carried
 * mail). cfg must outlive mailer_stop. */
int mailer_start(const config_t *cfg, store_t *store, char *err, size_t errlen);
/* Releases what mailer_start took. Safe if not started. */
void mailer_stop(void);
/* Registers the EMAIL_SEND and SMS_SEND handlers (idempotent; -1 when the
 * queue's handler table is full). `travloc worker` calls this alone: its
 * handlers then use the worker's configuration (queue_worker_config). */
int mailer_register(void);

/* kind "mail" (to an e-mail address, with subject) or "sms" (to E.164,
 * subject ignored). Call inside the caller's transaction when there is one:
 * a rollback then leaves neither row nor job. Returns 0 or -1 with err. */
int mailer_enqueue(store_conn_t *db, const char *kind, const char *to, const char *subject,
                   const char *body, apierr_t *err);

/* Writes data into <base>/<sub>/tmp/<name>, then renames it into
 * <base>/<sub>/new/ (maildir style; directories are created). 0, or -1
 * with why. Blocking file I/O: thread pool only. */
int mailer_drop_file(const char *base, const char *sub, const char *name, const char *data,
                     char *why, size_t whylen);

/* Builds the RFC 5322 text of a message into a heap string (caller frees):
 * headers, a blank line, the body; line ends are "\r\n" when crlf. */
char *mailer_format(const char *from, const char *to, const char *subject, const char *body,
                    const char *message_id, int64_t date_ms, int crlf);

#endif
