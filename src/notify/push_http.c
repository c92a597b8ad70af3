/*
 * push_http.c - one outbound HTTPS request with libcurl, run on the thread
 * pool so the loop never blocks, and the outcome rules the providers share.
 *
 * TLS peers are verified; the configured CA file (--push-ca-file) replaces
 * the system store when set (tests trust their self-signed server that
 * way). The timeout is --push-timeout-ms. The response body is capped at
 * 64 KiB. The request struct is the caller's; response.data is owned by it.
 */
#include "notify/notify_int.h"

#include "core/loopctx.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#define MAX_RESPONSE (64 * 1024)

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    buf_t *b = arg;
    size_t len = size * n;
    if (b->len + len > MAX_RESPONSE)
        return 0;
    return buf_append(b, p, len) < 0 ? 0 : len;
}

static void run(void *arg)
{
    push_http_t *h = arg;
    const config_t *cfg = notify__config();
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(h->error, sizeof h->error, "curl_easy_init failed");
        return;
    }
    struct curl_slist *hl = NULL;
    for (int i = 0; h->headers && h->headers[i]; i++)
        hl = curl_slist_append(hl, h->headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, h->method ? h->method : "POST");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body ? h->body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->response);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(cfg->push_timeout_ms > 0 ? cfg->push_timeout_ms : 10000));
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
                     h->http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
    if (cfg->push_ca_file && *cfg->push_ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->push_ca_file);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
        long ver = 0;
        curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &ver);
        if (h->http2 && ver != CURL_HTTP_VERSION_2_0) {
            h->status = 0;
            snprintf(h->error, sizeof h->error, "the server did not speak HTTP/2");
        }
    } else {
        snprintf(h->error, sizeof h->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
}

int push_http(push_http_t *h)
{
    h->status = 0;
    h->error[0] = '\0';
    if (loop_run_blocking(run, h) < 0) {
        snprintf(h->error, sizeof h->error, "thread pool unavailable");
        return -1;
    }
    return h->status ? 0 : -1;
}

void push_classify(long status, const char *transport_error, push_result_t *out)
{
    out->status = status;
    if (status == 0) {
        out->outcome = PUSH_RETRY;
        snprintf(out->reason, sizeof out->reason, "transport: %.180s",
                 transport_error && *transport_error ? transport_error : "no response");
    } else if (status >= 200 && status < 300) {
        out->outcome = PUSH_SENT;
        out->reason[0] = '\0';
    } else if (status == 404 || status == 410) {
        out->outcome = PUSH_GONE;
        snprintf(out->reason, sizeof out->reason, "gone: HTTP %ld", status);
    } else if (status == 429 || status >= 500) {
        out->outcome = PUSH_RETRY;
        snprintf(out->reason, sizeof out->reason, "HTTP %ld", status);
    } else {
        out->outcome = PUSH_FAILED;
        snprintf(out->reason, sizeof out->reason, "rejected: HTTP %ld", status);
    }
}

void push_send(const push_device_t *d, const push_msg_t *m, push_result_t *out)
{
    if (strcmp(d->provider, "webpush") == 0)
        push_webpush(d, m, out);
    else if (strcmp(d->provider, "fcm") == 0)
        push_fcm(d, m, out);
    else if (strcmp(d->provider, "apns") == 0)
        push_apns(d, m, out);
    else {
        out->outcome = PUSH_FAILED;
        snprintf(out->reason, sizeof out->reason, "unknown provider");
    }
}
