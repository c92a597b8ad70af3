/*
 * tokens.h - opaque random tokens: refresh tokens, e-mail verification and
 * password-reset links, MFA step-up tokens.
 *
 * A token is 32 bytes from libsodium's CSPRNG (randombytes_buf), written as
 * base64url without padding: always TOKENS_LEN (43) characters. Only the
 * client ever holds the token itself; the database stores tokens_hash() of
 * it (SHA-256, lower-case hex, TOKENS_HASH_LEN characters), so a leaked
 * table cannot be replayed. 256 bits of entropy make an unkeyed hash safe.
 *
 * Invariants: every function is pure apart from the CSPRNG, keeps no state
 * and is safe to call from any thread. Nothing here allocates; every output
 * goes into a caller-provided buffer of the documented size. Errors are
 * negative TOKENS_E* codes, never a print or an abort.
 */
#ifndef TRAVLOC_TOKENS_H
#define TRAVLOC_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#define TOKENS_BYTES 32        /* raw random bytes in a token */
#define TOKENS_LEN 43          /* base64url characters, no padding */
#define TOKENS_HASH_LEN 64     /* hex SHA-256 characters */

enum {
    TOKENS_OK = 0,
    TOKENS_EINVAL = -1,   /* NULL argument or buffer too small */
    TOKENS_EFORMAT = -2,  /* not a well-formed token */
    TOKENS_ECRYPTO = -3,  /* libsodium could not be initialised */
};

/* Writes a new token and its NUL into out (out_size >= TOKENS_LEN + 1).
 * Returns 0, or TOKENS_EINVAL / TOKENS_ECRYPTO with out set to "". */
int tokens_generate(char *out, size_t out_size);

/* True when token[0..len) has the exact shape tokens_generate() produces:
 * 43 base64url characters that decode to 32 bytes (canonical last char).
 * Cheap; use it to refuse junk before a database lookup. */
bool tokens_is_well_formed(const char *token, size_t len);

/* Hash token[0..len) for storage at rest: SHA-256 in lower-case hex plus a
 * NUL into out (out_size >= TOKENS_HASH_LEN + 1). Any byte string is
 * accepted (len <= 4096) so the caller decides whether to check the shape
 * first. Returns 0 or TOKENS_EINVAL. */
int tokens_hash(const char *token, size_t len, char *out, size_t out_size);

/* Constant-time equality of a[0..alen) and b[0..blen). The time depends
 * only on the lengths (which are public); different lengths are unequal. */
bool tokens_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Does token[0..len) hash to stored_hex (a tokens_hash() output)? Hashes
 * the token and compares in constant time. False on any malformed input. */
bool tokens_verify(const char *token, size_t len, const char *stored_hex);

#endif
