/*
 * sms.c - the two SMS providers and the choice between them (sms.h).
 *
 * State: the provider the last sms_init() chose (sms_current, start-up
 * only); sends take the configuration as an argument. Each HTTP send
 * uses its own curl handle, freed before sms_send() returns.
 */
#include "accounts/sms.h"

#include "accounts/mailer.h"
#include "core/buf.h"
#include "core/clock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sms_provider_t *current = &sms_outbox_provider;

int sms_init(const config_t *cfg, char *err, size_t errlen)
{
    const char *url = cfg->sms_url;
    current = &sms_outbox_provider;
    if (!url || !*url)
        return 0;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "SMS_URL must start with http:// or https://");
        return -1;
    }
    current = &sms_http_provider;
    return 0;
}

const sms_provider_t *sms_current(void) { return current; }

const sms_provider_t *sms_provider_for(const config_t *cfg)
{
    return cfg->sms_url && *cfg->sms_url ? &sms_http_provider : &sms_outbox_provider;
}

sms_status_t sms_send(const config_t *cfg, const char *id, const char *to, const char *body,
                      char *why, size_t whylen)
{
    return sms_provider_for(cfg)->send(cfg, id, to, body, why, whylen);
}

char *sms_http_body(const char *to, const char *body, const char *from)
{
    buf_t b = BUF_INIT;
    buf_puts(&b, "{\"to\":");
    buf_json_str(&b, to, strlen(to));
    buf_puts(&b, ",\"body\":");
    buf_json_str(&b, body, strlen(body));
    if (from && *from) {
        buf_puts(&b, ",\"from\":");
        buf_json_str(&b, from, strlen(from));
    }
    buf_puts(&b, "}");
    return buf_steal(&b);
}

/* ---- outbox files ------------------------------------------------------------- */

static sms_status_t outbox_send(const config_t *cfg, const char *id, const char *to,
                                const char *body, char *why, size_t whylen)
{
    char name[128];
    snprintf(name, sizeof name, "%lld.%s.travloc", (long long)clock_now_ms(), id);
    char *json = sms_http_body(to, body, NULL);
    buf_t line = BUF_INIT;
    buf_puts(&line, json);
    buf_puts(&line, "\n");
    free(json);
    int rc = mailer_drop_file(cfg->data_dir, "sms", name, line.data, why, whylen);
    buf_free(&line);
    return rc == 0 ? SMS_SENT : SMS_RETRY;
}

const sms_provider_t sms_outbox_provider = {.name = "outbox", .send = outbox_send};

/* ---- HTTP ----------------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * nmemb;
}

static sms_status_t http_send(const config_t *cfg, const char *id, const char *to,
                              const char *body, char *why, size_t whylen)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(why, whylen, "curl_easy_init failed");
        return SMS_RETRY;
    }
    char *json = sms_http_body(to, body, cfg->sms_from);
    char auth[1200], idem[120]; /* curl copies header lines */
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", id);
    h = curl_slist_append(h, idem);
    if (cfg->sms_token && *cfg->sms_token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->sms_token);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, cfg->sms_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "travloc-sms/1");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(json);
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "sms http: %s", curl_easy_strerror(rc));
        return SMS_RETRY;
    }
    if (status >= 200 && status < 300)
        return SMS_SENT;
    snprintf(why, whylen, "sms http: provider answered %ld", status);
    return SMS_RETRY;
}

const sms_provider_t sms_http_provider = {.name = "http", .send = http_send};
