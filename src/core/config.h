/*
 * config.h - the server's configuration from flags and environment.
 *
 * One table (config.c) describes every option: its flag, its environment
 * variable, its type and range, and its help line. Environment values are
 * read first, flags override them. A bad value is reported in `err` and the
 * parse fails; main() turns that into a message and exit status 2.
 * Strings in config_t are owned by it and freed by config_free.
 */
#ifndef TRAVLOC_CONFIG_H
#define TRAVLOC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *listen;            /* "host:port" */
    char listen_host[64];
    int listen_port;
    char *data_dir;
    int threads;
    int log_level;
    char *cors_origins;      /* comma separated, "*" for any */
    int64_t max_body;        /* bytes */
    int max_connections;
    int header_timeout_ms;
    int idle_timeout_ms;
    int body_timeout_ms;
    int shutdown_timeout_ms;
    int rate_limit;          /* requests per window per client; 0 = off */
    int rate_window_s;
    char *database_url;      /* NULL/empty = SQLite under data_dir */
    char *redis_url;
    int pg_pool;             /* connections per loop */
    int pg_pipeline;         /* statements queued per connection, 0: no pipelining */
    char *static_dir;        /* npm-installed assets for /docs */
    bool access_log;
    char *jwt_secret;        /* HS256 signing secret; NULL = kept in the database */
    char *jwt_kid;           /* key id of jwt_secret */
    char *jwt_old_keys;      /* "kid:secret,…" still accepted for verification */
    int access_ttl_s;        /* access token lifetime */
    char *smtp_url;          /* smtp://… sends mail; NULL = maildir under data_dir/mail */
    char *mail_from;         /* From: address of outgoing mail */
    char *sms_url;           /* http(s) SMS provider; NULL = outbox files under data_dir/sms */
    char *sms_token;         /* Authorization: Bearer for sms_url */
    char *sms_from;          /* "from" sent to the SMS provider */
    char *mfa_key;           /* base64 32 bytes for MFA secrets; NULL = kept in the database */
    char *password_cost;     /* "interactive" (default) or "min" (tests only) */
    char *oidc_providers;    /* JSON file describing social-login providers */
    /* real-time engine (realtime/) */
    int rt_ping_interval_ms;     /* Engine.IO pingInterval */
    int rt_ping_timeout_ms;      /* Engine.IO pingTimeout */
    int64_t rt_max_payload;      /* maxPayload / maxHttpBufferSize, bytes */
    int rt_recovery_window_s;    /* connection-state recovery window */
    int rt_events_per_s;         /* events per second per socket */
    int rt_max_sockets_per_user;
    /* push notification providers (notify/) */
    char *webpush_vapid_key;     /* PEM file: EC P-256 private key (VAPID) */
    char *webpush_subject;       /* VAPID "sub": mailto: or https: */
    char *webpush_hosts;         /* push services subscriptions may name; NULL = the browsers' */
    char *fcm_credentials;       /* service-account JSON file */
    char *fcm_url;               /* messages:send URL; NULL = from project_id */
    char *fcm_token_url;         /* OAuth2 token URL; NULL = token_uri */
    char *apns_url;              /* NULL = https://api.push.apple.com */
    char *apns_key;              /* .p8 PEM file: EC P-256 private key */
    char *apns_key_id;
    char *apns_team_id;
    char *apns_topic;            /* the app's bundle id */
    char *push_ca_file;          /* CA bundle for provider TLS; NULL = system */
    int push_timeout_ms;
    int push_retry_ms;           /* base backoff of delivery retries */
} config_t;

/* Fills defaults, then environment. Returns 0 or -1 with err set. */
int config_init(config_t *c, char *err, size_t errlen);
/* Applies flags from argv (already past the command word). Unknown flags
 * and bad values fail. Returns 0 or -1 with err set. */
int config_parse_args(config_t *c, int argc, char **argv, char *err, size_t errlen);
/* Writes the option help to stdout. */
void config_print_help(void);
void config_free(config_t *c);
/* True when the configuration selects PostgreSQL. */
bool config_is_postgres(const config_t *c);

#endif
