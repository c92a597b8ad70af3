/*
 * cli.c - `travloc user create`: makes an account from the command line,
 * which is how the first admin comes to exist.
 *
 * Its own flags (--admin, --email, --password, --first-name, --last-name)
 * are taken out of argv; the rest are ordinary server options (data dir,
 * database URL), read by config.c. Runs blocking, before any loop exists.
 */
#include "accounts/accounts.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/uuid.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool admin;
    const char *email, *password, *first, *last;
} create_args_t;

static int take_flags(int argc, char **argv, create_args_t *a, char **rest, int *nrest)
{
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        const char **slot = strcmp(argv[i], "--email") == 0        ? &a->email
                            : strcmp(argv[i], "--password") == 0   ? &a->password
                            : strcmp(argv[i], "--first-name") == 0 ? &a->first
                            : strcmp(argv[i], "--last-name") == 0  ? &a->last
                                                                   : NULL;
        if (strcmp(argv[i], "--admin") == 0) {
            a->admin = true;
        } else if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "travloc: %s needs a value\n", argv[i]);
                return -1;
            }
            *slot = argv[++i];
        } else {
            rest[(*nrest)++] = argv[i];
        }
    }
    if (!a->email || !a->password) {
        fprintf(stderr, "usage: travloc user create [--admin] --email E --password P "
                        "[--first-name F] [--last-name L] [options]\n");
        return -1;
    }
    return 0;
}

static int insert_user(store_t *store, const create_args_t *a, const char *email)
{
    char hash[PASSWORD_HASH_MAX], id[UUID_STR_LEN];
    if (accounts_hash_password(a->password, hash) != 0) {
        fprintf(stderr, "travloc: cannot hash the password\n");
        return 1;
    }
    uuid_v7(id);
    int64_t now = clock_now_ms();
    store_conn_t *db = store_conn_open(store, NULL);
    apierr_t e = {0};
    store_arg_t args[] = {ARG_TEXT(id), ARG_TEXT(email), ARG_TEXT(hash),
                          ARG_TEXT(a->first ? a->first : "Admin"),
                          ARG_TEXT(a->last ? a->last : "User"),
                          ARG_TEXT(a->admin ? "admin" : "traveller"), ARG_INT(now)};
    int rc = store_exec(db,
                        "INSERT INTO users (id, email, password_hash, first_name, last_name, role, "
                        "email_verified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                        "1, $7, $7)",
                        args, 7, &e);
    store_conn_close(db);
    if (rc < 0) {
        fprintf(stderr, "travloc: %s\n",
                e.status == 409 ? "an account with this e-mail already exists" : e.message);
        apierr_clear(&e);
        return 1;
    }
    printf("%s\n", id);
    return 0;
}

int accounts_cli(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "create") != 0) {
        fprintf(stderr, "usage: travloc user create [--admin] --email E --password P\n");
        return 2;
    }
    create_args_t a = {0};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2;
    config_t cfg;
    char err[512] = "";
    char email[VALIDATE_EMAIL_MAX + 1];
    store_t *store = NULL;
    if (take_flags(argc - 1, argv + 1, &a, rest, &nrest) < 0)
        goto out;
    if (config_init(&cfg, err, sizeof err) < 0 || config_parse_args(&cfg, nrest, rest, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        config_free(&cfg);
        goto out;
    }
    log_set_level((log_level_t)cfg.log_level);
    int prc;
    if (validate_email_normalize(a.email, strlen(a.email), email, sizeof email) <= 0) {
        fprintf(stderr, "travloc: '%s' is not a valid e-mail address\n", a.email);
    } else if (store_open(&store, &cfg, err, sizeof err) < 0 ||
               store_migrate(store, false, err, sizeof err) < 0 ||
               accounts_init(&cfg, store, false, err, sizeof err) < 0) {
        fprintf(stderr, "travloc: %s\n", err);
        status = 1;
    } else if ((prc = password_policy_check(accounts_policy(), a.password, strlen(a.password),
                                            email, strlen(email))) != 0) {
        fprintf(stderr, "travloc: password: %s\n", password_strerror(prc));
    } else {
        status = insert_user(store, &a, email);
    }
    accounts_shutdown();
    store_close(store);
    config_free(&cfg);
out:
    free(rest);
    return status;
}
