#include "core/config.h"

#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { OPT_STR, OPT_INT, OPT_I64, OPT_LEVEL, OPT_BOOL } opt_type_t;

typedef struct {
    const char *flag;
    const char *env;
    opt_type_t type;
    size_t off;
    int64_t min, max;
    const char *help;
} opt_t;

#define O(f) offsetof(config_t, f)
static const opt_t opts[] = {
    {"--listen", "TRAVLOC_LISTEN", OPT_STR, O(listen), 0, 0, "address to serve on (host:port)"},
    {"--data-dir", "TRAVLOC_DATA_DIR", OPT_STR, O(data_dir), 0, 0, "SQLite file and media live here"},
    {"--threads", "TRAVLOC_THREADS", OPT_INT, O(threads), 1, 256, "event loops (default: cores)"},
    {"--log-level", "TRAVLOC_LOG_LEVEL", OPT_LEVEL, O(log_level), 0, 0, "debug|info|warn|error|off"},
    {"--cors-origins", "TRAVLOC_CORS_ORIGINS", OPT_STR, O(cors_origins), 0, 0, "allowed origins, comma separated, or *"},
    {"--max-body", "TRAVLOC_MAX_BODY", OPT_I64, O(max_body), 1024, (int64_t)1 << 32, "request body limit in bytes"},
    {"--max-connections", "TRAVLOC_MAX_CONNECTIONS", OPT_INT, O(max_connections), 1, 1000000, "open connections per process"},
    {"--header-timeout-ms", "TRAVLOC_HEADER_TIMEOUT_MS", OPT_INT, O(header_timeout_ms), 10, 3600000, "time to receive request headers"},
    {"--idle-timeout-ms", "TRAVLOC_IDLE_TIMEOUT_MS", OPT_INT, O(idle_timeout_ms), 10, 86400000, "idle keep-alive timeout"},
    {"--body-timeout-ms", "TRAVLOC_BODY_TIMEOUT_MS", OPT_INT, O(body_timeout_ms), 10, 3600000, "longest pause while reading a body"},
    {"--shutdown-timeout-ms", "TRAVLOC_SHUTDOWN_TIMEOUT_MS", OPT_INT, O(shutdown_timeout_ms), 0, 600000, "grace period for in-flight requests"},
    {"--rate-limit", "TRAVLOC_RATE_LIMIT", OPT_INT, O(rate_limit), 0, 100000000, "requests per window per client (0 = off)"},
    {"--rate-window-s", "TRAVLOC_RATE_WINDOW_S", OPT_INT, O(rate_window_s), 1, 86400, "rate limit window in seconds"},
    {"--database-url", "DATABASE_URL", OPT_STR, O(database_url), 0, 0, "postgres://… selects PostgreSQL"},
    {"--redis-url", "REDIS_URL", OPT_STR, O(redis_url), 0, 0, "redis://host:port for cluster mode"},
    {"--pg-pool", "TRAVLOC_PG_POOL", OPT_INT, O(pg_pool), 1, 64, "PostgreSQL connections per loop"},
    {"--pg-pipeline", "TRAVLOC_PG_PIPELINE", OPT_INT, O(pg_pipeline), 0, 256, "reads pipelined per PostgreSQL connection (0: no pipeline mode, BEGIN on its own)"},
    {"--static-dir", "TRAVLOC_STATIC_DIR", OPT_STR, O(static_dir), 0, 0, "API explorer assets (swagger-ui-dist)"},
    {"--jwt-secret", "TRAVLOC_JWT_SECRET", OPT_STR, O(jwt_secret), 0, 0, "HS256 signing secret, >= 32 bytes (default: kept in the database)"},
    {"--jwt-kid", "TRAVLOC_JWT_KID", OPT_STR, O(jwt_kid), 0, 0, "key id of the signing secret"},
    {"--jwt-old-keys", "TRAVLOC_JWT_OLD_KEYS", OPT_STR, O(jwt_old_keys), 0, 0, "kid:secret,... still accepted (rotation)"},
    {"--access-ttl-s", "TRAVLOC_ACCESS_TTL_S", OPT_INT, O(access_ttl_s), 10, 86400, "access token lifetime in seconds"},
    {"--smtp-url", "SMTP_URL", OPT_STR, O(smtp_url), 0, 0, "smtp://host:port for outgoing mail (default: maildir under the data dir)"},
    {"--mail-from", "TRAVLOC_MAIL_FROM", OPT_STR, O(mail_from), 0, 0, "From: address of outgoing mail"},
    {"--sms-url", "SMS_URL", OPT_STR, O(sms_url), 0, 0, "http(s):// SMS provider endpoint, POSTed JSON {to, body, from?} (default: outbox files under the data dir)"},
    {"--sms-token", "SMS_TOKEN", OPT_STR, O(sms_token), 0, 0, "bearer token sent to the SMS provider"},
    {"--sms-from", "SMS_FROM", OPT_STR, O(sms_from), 0, 0, "sender id sent to the SMS provider as \"from\""},
    {"--mfa-key", "MFA_KEY", OPT_STR, O(mfa_key), 0, 0, "base64 32-byte key encrypting MFA secrets (default: kept in the database)"},
    {"--password-cost", "TRAVLOC_PASSWORD_COST", OPT_STR, O(password_cost), 0, 0, "Argon2id cost: interactive (default) or min (tests only)"},
    {"--oidc-providers", "TRAVLOC_OIDC_PROVIDERS", OPT_STR, O(oidc_providers), 0, 0, "JSON file of social-login providers"},
    {"--rt-ping-interval-ms", "TRAVLOC_RT_PING_INTERVAL_MS", OPT_INT, O(rt_ping_interval_ms), 50, 3600000, "real-time heartbeat: pingInterval"},
    {"--rt-ping-timeout-ms", "TRAVLOC_RT_PING_TIMEOUT_MS", OPT_INT, O(rt_ping_timeout_ms), 50, 3600000, "real-time heartbeat: pingTimeout"},
    {"--rt-max-payload", "TRAVLOC_RT_MAX_PAYLOAD", OPT_I64, O(rt_max_payload), 1024, 100000000, "real-time maxPayload in bytes (at most --max-body)"},
    {"--rt-recovery-window-s", "TRAVLOC_RT_RECOVERY_WINDOW_S", OPT_INT, O(rt_recovery_window_s), 1, 86400, "connection-state recovery window"},
    {"--rt-events-per-s", "TRAVLOC_RT_EVENTS_PER_S", OPT_INT, O(rt_events_per_s), 1, 1000000, "events per second per socket before it is cut off"},
    {"--rt-max-sockets-per-user", "TRAVLOC_RT_MAX_SOCKETS_PER_USER", OPT_INT, O(rt_max_sockets_per_user), 1, 100000, "real-time connections per user"},
    {"--webpush-vapid-key", "TRAVLOC_WEBPUSH_VAPID_KEY", OPT_STR, O(webpush_vapid_key), 0, 0, "Web Push: PEM file of the VAPID P-256 private key"},
    {"--webpush-subject", "TRAVLOC_WEBPUSH_SUBJECT", OPT_STR, O(webpush_subject), 0, 0, "Web Push: VAPID subject (mailto:... or https://...)"},
    {"--webpush-hosts", "TRAVLOC_WEBPUSH_HOSTS", OPT_STR, O(webpush_hosts), 0, 0, "Web Push: accepted endpoint hosts, comma separated (default: the browsers' push services)"},
    {"--fcm-credentials", "TRAVLOC_FCM_CREDENTIALS", OPT_STR, O(fcm_credentials), 0, 0, "FCM: service-account JSON file"},
    {"--fcm-url", "TRAVLOC_FCM_URL", OPT_STR, O(fcm_url), 0, 0, "FCM: messages:send URL (default from project_id)"},
    {"--fcm-token-url", "TRAVLOC_FCM_TOKEN_URL", OPT_STR, O(fcm_token_url), 0, 0, "FCM: OAuth2 token URL (default: token_uri of the credentials)"},
    {"--apns-url", "TRAVLOC_APNS_URL", OPT_STR, O(apns_url), 0, 0, "APNs: base URL (default https://api.push.apple.com)"},
    {"--apns-key", "TRAVLOC_APNS_KEY", OPT_STR, O(apns_key), 0, 0, "APNs: .p8 PEM file of the token-signing key"},
    {"--apns-key-id", "TRAVLOC_APNS_KEY_ID", OPT_STR, O(apns_key_id), 0, 0, "APNs: key id (JWT kid)"},
    {"--apns-team-id", "TRAVLOC_APNS_TEAM_ID", OPT_STR, O(apns_team_id), 0, 0, "APNs: team id (JWT iss)"},
    {"--apns-topic", "TRAVLOC_APNS_TOPIC", OPT_STR, O(apns_topic), 0, 0, "APNs: apns-topic (the app's bundle id)"},
    {"--push-ca-file", "TRAVLOC_PUSH_CA_FILE", OPT_STR, O(push_ca_file), 0, 0, "CA bundle trusted for push providers (default: system)"},
    {"--push-timeout-ms", "TRAVLOC_PUSH_TIMEOUT_MS", OPT_INT, O(push_timeout_ms), 100, 600000, "push provider request timeout"},
    {"--push-retry-ms", "TRAVLOC_PUSH_RETRY_MS", OPT_INT, O(push_retry_ms), 10, 3600000, "base backoff between delivery attempts"},
    {"--access-log", "TRAVLOC_ACCESS_LOG", OPT_BOOL, O(access_log), 0, 0, "write an access log line per request (1/0)"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static int set_str(config_t *c, const opt_t *o, const char *v)
{
    char **slot = (char **)((char *)c + o->off);
    char *d = strdup(v);
    if (!d)
        return -1;
    free(*slot);
    *slot = d;
    return 0;
}

static int set_opt(config_t *c, const opt_t *o, const char *v, const char *src,
                   char *err, size_t errlen)
{
    char *end;
    switch (o->type) {
    case OPT_STR:
        return set_str(c, o, v);
    case OPT_LEVEL: {
        int l = log_parse_level(v);
        if (l < 0) {
            snprintf(err, errlen, "%s: '%s' is not one of debug, info, warn, error, off", src, v);
            return -1;
        }
        *(int *)((char *)c + o->off) = l;
        return 0;
    }
    case OPT_BOOL:
        if (strcmp(v, "1") && strcmp(v, "0") && strcmp(v, "true") && strcmp(v, "false")) {
            snprintf(err, errlen, "%s: '%s' is not a boolean (1, 0, true, false)", src, v);
            return -1;
        }
        *(bool *)((char *)c + o->off) = (v[0] == '1' || v[0] == 't');
        return 0;
    case OPT_INT:
    case OPT_I64: {
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end || n < o->min || n > o->max) {
            snprintf(err, errlen, "%s: '%s' is not a whole number from %lld to %lld", src, v,
                     (long long)o->min, (long long)o->max);
            return -1;
        }
        if (o->type == OPT_INT)
            *(int *)((char *)c + o->off) = (int)n;
        else
            *(int64_t *)((char *)c + o->off) = n;
        return 0;
    }
    }
    return -1;
}

static int parse_listen(config_t *c, char *err, size_t errlen)
{
    const char *colon = strrchr(c->listen, ':');
    char *end;
    if (!colon || colon == c->listen || (size_t)(colon - c->listen) >= sizeof c->listen_host)
        goto bad;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || port < 0 || port > 65535)
        goto bad;
    memcpy(c->listen_host, c->listen, (size_t)(colon - c->listen));
    c->listen_host[colon - c->listen] = '\0';
    c->listen_port = (int)port;
    return 0;
bad:
    snprintf(err, errlen, "listen address '%s' is not host:port (e.g. 127.0.0.1:8080)", c->listen);
    return -1;
}

static int check_urls(config_t *c, char *err, size_t errlen)
{
    const char *d = c->database_url;
    if (d && *d && strncmp(d, "postgres://", 11) && strncmp(d, "postgresql://", 13) &&
        strncmp(d, "sqlite:", 7)) {
        snprintf(err, errlen, "DATABASE_URL must start with postgres:// or sqlite:");
        return -1;
    }
    const char *r = c->redis_url;
    if (r && *r && strncmp(r, "redis://", 8)) {
        snprintf(err, errlen, "REDIS_URL must start with redis://");
        return -1;
    }
    return 0;
}

int config_init(config_t *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->threads = cores > 0 ? (int)cores : 1;
    c->log_level = LOG_INFO;
    c->max_body = 1 << 20;
    c->max_connections = 20000;
    c->header_timeout_ms = 10000;
    c->idle_timeout_ms = 60000;
    c->body_timeout_ms = 10000;
    c->shutdown_timeout_ms = 10000;
    c->rate_limit = 600;
    c->rate_window_s = 60;
    c->pg_pool = 4;
    c->pg_pipeline = 8;
    c->access_log = true;
    c->access_ttl_s = 900;
    c->rt_ping_interval_ms = 25000;
    c->rt_ping_timeout_ms = 20000;
    c->rt_max_payload = 1000000;
    c->rt_recovery_window_s = 120;
    c->rt_events_per_s = 50;
    c->rt_max_sockets_per_user = 20;
    c->push_timeout_ms = 10000;
    c->push_retry_ms = 5000;
    if (!(c->listen = strdup("127.0.0.1:8080")) || !(c->data_dir = strdup("var")) ||
        !(c->cors_origins = strdup("")))
        return -1;
    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
        if (v && *v && set_opt(c, &opts[i], v, opts[i].env, err, errlen) < 0)
            return -1;
    }
    if (parse_listen(c, err, errlen) < 0)
        return -1;
    return check_urls(c, err, errlen);
}

int config_parse_args(config_t *c, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        size_t flen = eq ? (size_t)(eq - a) : strlen(a);
        const opt_t *o = NULL;
        for (size_t k = 0; k < NOPTS; k++)
            if (strlen(opts[k].flag) == flen && strncmp(opts[k].flag, a, flen) == 0)
                o = &opts[k];
        if (!o) {
            snprintf(err, errlen, "unknown option '%s' (see 'travloc help')", a);
            return -1;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            snprintf(err, errlen, "option %s needs a value", o->flag);
            return -1;
        }
        if (set_opt(c, o, v, o->flag, err, errlen) < 0)
            return -1;
    }
    if (parse_listen(c, err, errlen) < 0)
        return -1;
    return check_urls(c, err, errlen);
}

void config_print_help(void)
{
    for (size_t i = 0; i < NOPTS; i++)
        printf("  %-24s %-28s %s\n", opts[i].flag, opts[i].env, opts[i].help);
}

void config_free(config_t *c)
{
    free(c->listen);
    free(c->data_dir);
    free(c->cors_origins);
    free(c->database_url);
    free(c->redis_url);
    free(c->static_dir);
    free(c->jwt_secret);
    free(c->jwt_kid);
    free(c->jwt_old_keys);
    free(c->smtp_url);
    free(c->mail_from);
    free(c->sms_url);
    free(c->sms_token);
    free(c->sms_from);
    free(c->mfa_key);
    free(c->password_cost);
    free(c->oidc_providers);
    free(c->webpush_vapid_key);
    free(c->webpush_subject);
    free(c->webpush_hosts);
    free(c->fcm_credentials);
    free(c->fcm_url);
    free(c->fcm_token_url);
    free(c->apns_url);
    free(c->apns_key);
    free(c->apns_key_id);
    free(c->apns_team_id);
    free(c->apns_topic);
    free(c->push_ca_file);
    memset(c, 0, sizeof *c);
}

bool config_is_postgres(const config_t *c)
{
    return c->database_url && (strncmp(c->database_url, "postgres://", 11) == 0 ||
                               strncmp(c->database_url, "postgresql://", 13) == 0);
}
