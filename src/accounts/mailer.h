/*
 * mailer.h - outgoing e-mail and SMS through a durable outbox.
 *
 * Handlers never talk to a mail server. mailer_enqueue() inserts a row in
 * the outbox table (inside the caller's transaction, if any), and after
 * commit mailer_kick() wakes the sender. The sender is one thread with its
 * own blocking store handle: it claims due rows, delivers them and marks
 * them sent, or records the error and retries later with exponential
 * backoff (1 s, 2 s, 4 s … capped at 10 min). A mail server that is down
 * therefore loses nothing and costs the user no error. (The job queue of
 * a later issue will take this over.)
 *
 * Delivery: mail goes to SMTP through libcurl when SMTP_URL is set,
 * otherwise into a maildir under <data_dir>/mail (RFC 5322 files written
 * to tmp/ and renamed into new/). SMS go to <data_dir>/sms/new/ as one
 * JSON file each ({"to","body"}), the stand-in SMS provider.
 *
 * Ownership: strings passed in are copied by the database; nothing is
 * retained. mailer_start/mailer_stop run on the main thread only.
 */
#ifndef TRAVLOC_MAILER_H
#define TRAVLOC_MAILER_H

#include "core/config.h"
#include "store/store.h"

int mailer_start(const config_t *cfg, store_t *store, char *err, size_t errlen);
/* Stops the sender (waits for a delivery in progress). Safe if not started. */
void mailer_stop(void);

/* kind "mail" (to an e-mail address, with subject) or "sms" (to E.164,
 * subject ignored). Returns 0 or -1 with err. */
int mailer_enqueue(store_conn_t *db, const char *kind, const char *to, const char *subject,
                   const char *body, apierr_t *err);
/* Wakes the sender now (call after the enqueuing transaction commits). */
void mailer_kick(void);

/* Builds the RFC 5322 text of a message into a heap string (caller frees):
 * headers, a blank line, the body; line ends are "\r\n" when crlf. */
char *mailer_format(const char *from, const char *to, const char *subject, const char *body,
                    const char *message_id, int64_t date_ms, int crlf);

#endif
