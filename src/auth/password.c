/*
 * password.c - Argon2id hashing through libsodium and the password policy
 * (see password.h).
 *
 * The common-password list lives in one heap block: the file's bytes with
 * every line end replaced by NUL, plus a sorted array of pointers to the
 * lower-cased, de-duplicated entries. Lookups lower-case the candidate into
 * a stack buffer and bsearch; nothing is written after loading.
 */
#include "auth/password.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "core/validate.h"

#define PASSWORD_LIST_MAX_FILE (16u * 1024u * 1024u)

_Static_assert(PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES,
               "PASSWORD_HASH_MAX must match libsodium");

struct password_policy {
    char *blob;            /* file contents, lines NUL-terminated in place */
    const char **entries;  /* sorted, unique, lower-case */
    size_t count;
};

/* ------------------------------------------------------------------ */
/* Hashing                                                            */
/* ------------------------------------------------------------------ */

password_params_t password_params_interactive(void)
{
    return (password_params_t){
        .opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
        .memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE,
    };
}

password_params_t password_params_min(void)
{
    return (password_params_t){
        .opslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN,
        .memlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN,
    };
}

int password_hash(const char *pw, size_t len, const password_params_t *params,
                  char out[PASSWORD_HASH_MAX])
{
    if (out == NULL)
        return PASSWORD_EINVAL;
    out[0] = '\0';
    if (pw == NULL)
        return PASSWORD_EINVAL;
    if (len > PASSWORD_MAX_BYTES)
        return PASSWORD_ETOO_LONG;
    password_params_t p = params != NULL ? *params : password_params_interactive();
    if (p.opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
        p.opslimit > crypto_pwhash_argon2id_OPSLIMIT_MAX ||
        p.memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
        p.memlimit > crypto_pwhash_argon2id_MEMLIMIT_MAX)
        return PASSWORD_EINVAL;
    if (sodium_init() < 0)
        return PASSWORD_ECRYPTO;
    if (crypto_pwhash_str_alg(out, pw, len, p.opslimit, p.memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        out[0] = '\0';
        return PASSWORD_ECRYPTO;  /* out of memory inside libsodium */
    }
    return PASSWORD_OK;
}

/* A stored hash must be a NUL-terminated Argon2 string that fits. */
static bool password_stored_ok(const char *stored)
{
    if (stored == NULL)
        return false;
    size_t n = strnlen(stored, PASSWORD_HASH_MAX);
    if (n == 0 || n >= PASSWORD_HASH_MAX)
        return false;
    return strncmp(stored, "$argon2id$", 10) == 0 || strncmp(stored, "$argon2i$", 9) == 0;
}

int password_verify(const char *stored, const char *pw, size_t len)
{
    if (!password_stored_ok(stored) || pw == NULL)
        return PASSWORD_EINVAL;
    if (len > PASSWORD_MAX_BYTES)
        return PASSWORD_ETOO_LONG;
    if (sodium_init() < 0)
        return PASSWORD_ECRYPTO;
    /* libsodium compares the derived key in constant time. It also returns
     * -1 for a string it cannot parse, which we report as a mismatch. */
    return crypto_pwhash_str_verify(stored, pw, len) == 0 ? PASSWORD_OK : PASSWORD_EMISMATCH;
}

int password_needs_rehash(const char *stored, const password_params_t *params)
{
    if (!password_stored_ok(stored))
        return PASSWORD_EINVAL;
    if (strncmp(stored, "$argon2id$", 10) != 0)
        return 1;  /* an older Argon2i hash: upgrade it */
    password_params_t p = params != NULL ? *params : password_params_interactive();
    int rc = crypto_pwhash_str_needs_rehash(stored, p.opslimit, p.memlimit);
    if (rc < 0)
        return PASSWORD_EINVAL;
    return rc != 0 ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Common-password list                                               */
/* ------------------------------------------------------------------ */

static void password_ascii_lower(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] + 32);
}

static int password_cmp_entries(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads the whole file into a NUL-terminated heap buffer. */
static int password_read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return PASSWORD_EIO;
    char *buf = malloc(PASSWORD_LIST_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        return PASSWORD_ENOMEM;
    }
    size_t n = fread(buf, 1, PASSWORD_LIST_MAX_FILE + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || n > PASSWORD_LIST_MAX_FILE || n == 0) {
        free(buf);
        return failed ? PASSWORD_EIO : PASSWORD_EFORMAT;
    }
    char *shrunk = realloc(buf, n + 1);
    if (shrunk != NULL)
        buf = shrunk;
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return PASSWORD_OK;
}

/* Splits blob into lines in place and collects the usable ones. */
static size_t password_split_lines(char *blob, size_t len, const char **entries)
{
    size_t count = 0;
    char *line = blob;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && blob[i] != '\n')
            continue;
        blob[i] = '\0';
        size_t n = (size_t)(blob + i - line);
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n > 0 && n <= PASSWORD_MAX_BYTES && strlen(line) == n) {
            password_ascii_lower(line, n);
            entries[count++] = line;
        }
        line = blob + i + 1;
    }
    return count;
}

int password_policy_load(const char *path, password_policy_t **out)
{
    if (out == NULL)
        return PASSWORD_EINVAL;
    *out = NULL;
    if (path == NULL)
        return PASSWORD_EINVAL;
    char *blob = NULL;
    size_t len = 0;
    int rc = password_read_file(path, &blob, &len);
    if (rc != PASSWORD_OK)
        return rc;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += blob[i] == '\n';
    password_policy_t *p = calloc(1, sizeof *p);
    const char **entries = calloc(lines, sizeof *entries);
    if (p == NULL || entries == NULL) {
        free(p);
        free(entries);
        free(blob);
        return PASSWORD_ENOMEM;
    }
    size_t count = password_split_lines(blob, len, entries);
    qsort(entries, count, sizeof *entries, password_cmp_entries);
    size_t unique = 0;
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || strcmp(entries[unique - 1], entries[i]) != 0)
            entries[unique++] = entries[i];
    if (unique == 0) {
        free(p);
        free(entries);
        free(blob);
        return PASSWORD_EFORMAT;
    }
    p->blob = blob;
    p->entries = entries;
    p->count = unique;
    *out = p;
    return PASSWORD_OK;
}

void password_policy_free(password_policy_t *policy)
{
    if (policy == NULL)
        return;
    free(policy->entries);
    free(policy->blob);
    free(policy);
}

size_t password_policy_count(const password_policy_t *policy)
{
    return policy != NULL ? policy->count : 0;
}

bool password_policy_is_common(const password_policy_t *policy, const char *pw, size_t len)
{
    if (policy == NULL || pw == NULL || len == 0 || len > PASSWORD_MAX_BYTES)
        return false;
    char lower[PASSWORD_MAX_BYTES + 1];
    memcpy(lower, pw, len);
    lower[len] = '\0';
    if (strlen(lower) != len)
        return false;  /* embedded NUL: cannot be a list entry */
    password_ascii_lower(lower, len);
    const char *key = lower;
    bool hit = bsearch(&key, policy->entries, policy->count, sizeof *policy->entries,
                       password_cmp_entries) != NULL;
    sodium_memzero(lower, sizeof lower);
    return hit;
}

/* ------------------------------------------------------------------ */
/* Policy                                                             */
/* ------------------------------------------------------------------ */

/* Does pw contain the e-mail's local part (case-insensitive)? */
static bool password_contains_local_part(const char *pw, size_t len,
                                         const char *email, size_t email_len)
{
    if (email == NULL || email_len == 0)
        return false;
    const char *at = memrchr(email, '@', email_len);
    size_t local_len = at != NULL ? (size_t)(at - email) : email_len;
    if (local_len < PASSWORD_PERSONAL_MIN || local_len > PASSWORD_MAX_BYTES ||
        local_len > len)
        return false;
    char lpw[PASSWORD_MAX_BYTES], llocal[PASSWORD_MAX_BYTES];
    memcpy(lpw, pw, len);
    memcpy(llocal, email, local_len);
    password_ascii_lower(lpw, len);
    password_ascii_lower(llocal, local_len);
    bool hit = memmem(lpw, len, llocal, local_len) != NULL;
    sodium_memzero(lpw, sizeof lpw);
    return hit;
}

int password_policy_check(const password_policy_t *policy, const char *pw, size_t len,
                          const char *email, size_t email_len)
{
    if (pw == NULL)
        return PASSWORD_EINVAL;
    if (len > PASSWORD_MAX_BYTES)
        return PASSWORD_ETOO_LONG;
    size_t code_points = 0;
    if (validate_utf8(pw, len, &code_points) != VALIDATE_OK || memchr(pw, '\0', len) != NULL)
        return PASSWORD_EENCODING;
    if (code_points < PASSWORD_MIN_CODE_POINTS)
        return PASSWORD_ETOO_SHORT;
    if (password_policy_is_common(policy, pw, len))
        return PASSWORD_ECOMMON;
    if (password_contains_local_part(pw, len, email, email_len))
        return PASSWORD_EPERSONAL;
    return PASSWORD_OK;
}

const char *password_strerror(int code)
{
    switch (code) {
    case PASSWORD_OK: return "ok";
    case PASSWORD_EINVAL: return "invalid argument";
    case PASSWORD_ENOMEM: return "out of memory";
    case PASSWORD_EIO: return "cannot read the password list";
    case PASSWORD_EFORMAT: return "password list is empty or too large";
    case PASSWORD_ECRYPTO: return "password hashing failed";
    case PASSWORD_EMISMATCH: return "wrong password";
    case PASSWORD_ETOO_SHORT: return "password must have at least 10 characters";
    case PASSWORD_ETOO_LONG: return "password must be at most 256 bytes";
    case PASSWORD_EENCODING: return "password is not valid UTF-8 text";
    case PASSWORD_ECOMMON: return "password is too common";
    case PASSWORD_EPERSONAL: return "password must not contain your e-mail name";
    default: return "unknown error";
    }
}
