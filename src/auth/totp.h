/*
 * totp.h - time-based one-time passwords (RFC 6238 over RFC 4226 HOTP),
 * the base32 secrets authenticator apps exchange (RFC 4648), otpauth://
 * enrolment URIs, and single-use recovery codes.
 *
 * TOTP here is HMAC-SHA1, 30-second steps, 6 digits: the profile every
 * authenticator app supports. HMAC-SHA1 comes from GnuTLS
 * (gnutls_hmac_fast): libsodium has no SHA-1, GnuTLS is already linked for
 * librhonabwy, and it avoids pulling in a second TLS/crypto library
 * (OpenSSL) for one primitive. Secrets are 20 random bytes (160 bits, the
 * RFC 4226 recommendation) from libsodium's randombytes_buf.
 *
 * totp_verify() accepts the current step and one either side (clock skew)
 * and returns the step it matched; the caller stores it and passes it back
 * as last_step next time, which refuses any reuse of that code.
 *
 * Recovery codes look like "k7m2-x9qd" (8 characters from Crockford's
 * base32 alphabet, 40 random bits). They are stored as HMAC-SHA256 under
 * a server-side pepper (hex), because 40 bits would fall quickly to an
 * offline search of unkeyed hashes; verification compares in constant time
 * and returns which stored code matched so the caller can delete it.
 *
 * No state, no allocation except totp_uri()'s result (caller frees with
 * free()); all functions are reentrant. Errors are negative TOTP_E* codes.
 */
#ifndef TRAVLOC_TOTP_H
#define TRAVLOC_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20
#define TOTP_PERIOD 30
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1                      /* steps accepted either side */
#define TOTP_BASE32_LEN(n) (((n) * 8 + 4) / 5)  /* unpadded characters */
#define TOTP_RECOVERY_COUNT 10
#define TOTP_RECOVERY_LEN 9                /* "xxxx-xxxx" */
#define TOTP_RECOVERY_HASH_LEN 64          /* hex HMAC-SHA256 */
#define TOTP_PEPPER_MIN 32                 /* bytes of server secret */
#define TOTP_LABEL_MAX 256                 /* issuer / account bytes */

enum {
    TOTP_OK = 0,
    TOTP_EINVAL = -1,     /* NULL, bad size, bad parameter */
    TOTP_EFORMAT = -2,    /* malformed base32, code or recovery code */
    TOTP_ERANGE = -3,     /* time before 1970 or beyond 64-bit steps */
    TOTP_ENOMEM = -4,
    TOTP_ECRYPTO = -5,    /* GnuTLS / libsodium failure */
    TOTP_EMISMATCH = -6,  /* wrong code, or a step already used */
};

/* ---- Base32 (RFC 4648 alphabet A-Z2-7) ----------------------------- */

/* Encodes in[0..len) upper-case and unpadded, plus a NUL. out_size must be
 * at least TOTP_BASE32_LEN(len) + 1. Returns the length written or
 * TOTP_EINVAL. */
int totp_base32_encode(const uint8_t *in, size_t len, char *out, size_t out_size);

/* Decodes in[0..len): either case, '=' padding optional (but only as the
 * final, correctly sized run), spaces ignored; invalid characters, an
 * impossible length or non-zero leftover bits are TOTP_EFORMAT. Writes at
 * most out_size bytes; *out_len gets the count. Returns 0 or an error. */
int totp_base32_decode(const char *in, size_t len, uint8_t *out, size_t out_size,
                       size_t *out_len);

/* ---- Codes --------------------------------------------------------- */

/* Fills secret with TOTP_SECRET_BYTES random bytes. 0 or TOTP_ECRYPTO. */
int totp_secret_generate(uint8_t secret[TOTP_SECRET_BYTES]);

/* Time step for unix_time (seconds): floor(unix_time / 30); -1 if < 0. */
int64_t totp_step(int64_t unix_time);

/* RFC 4226 HOTP value for counter with 6 to 8 digits, written zero-padded
 * with a NUL (out_size > digits). key_len 1..1024. Returns 0 or error. */
int totp_hotp(const uint8_t *key, size_t key_len, uint64_t counter, int digits,
              char *out, size_t out_size);

/* The 6-digit code for unix_time (out_size >= 7). Returns 0 or error. */
int totp_code(const uint8_t *key, size_t key_len, int64_t unix_time, char *out, size_t out_size);

/* Checks a 6-digit code typed at time now against steps step(now)-1 ..
 * step(now)+1, skipping every step <= last_step (pass -1 when the user
 * has never used a code). All candidates are computed and compared in
 * constant time. On success returns 0 and stores the matched step (the
 * latest one if several match) in *matched_step; otherwise
 * TOTP_EMISMATCH, TOTP_EFORMAT for a code that is not 6 digits, or
 * another error. */
int totp_verify(const uint8_t *key, size_t key_len, const char *code, size_t code_len,
                int64_t now, int64_t last_step, int64_t *matched_step);

/* ---- Enrolment URI ------------------------------------------------- */

/* Builds "otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&
 * algorithm=SHA1&digits=6&period=30" with issuer and account
 * percent-encoded (RFC 3986 unreserved characters kept). issuer may be
 * NULL or "" (then no prefix and no issuer parameter). Both are
 * NUL-terminated, at most TOTP_LABEL_MAX bytes, and may not contain ':'
 * or control characters. On success *out is a heap string the caller
 * frees with free(). */
int totp_uri(const char *issuer, const char *account, const uint8_t *secret,
             size_t secret_len, char **out);

/* ---- Recovery codes ------------------------------------------------ */

/* Writes TOTP_RECOVERY_COUNT fresh codes "xxxx-xxxx" (NUL-terminated).
 * Show them once; store only their hashes. Returns 0 or TOTP_ECRYPTO. */
int totp_recovery_generate(char codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_LEN + 1]);

/* Hashes a recovery code for storage: the code is normalised first
 * (case, '-' and spaces ignored; i/l read as 1 and o as 0) then
 * HMAC-SHA256(pepper, code) is written as hex plus NUL (out_size >= 65).
 * pepper_len >= TOTP_PEPPER_MIN. Returns 0, TOTP_EFORMAT or TOTP_EINVAL. */
int totp_recovery_hash(const uint8_t *pepper, size_t pepper_len, const char *code,
                       size_t code_len, char *out, size_t out_size);

/* Compares code against n stored hashes (NULL entries are skipped, as
 * are used codes the caller has blanked) in constant time per entry.
 * Returns the index of the match (>= 0) so the caller can delete it, or
 * TOTP_EMISMATCH / TOTP_EFORMAT / TOTP_EINVAL. */
int totp_recovery_verify(const uint8_t *pepper, size_t pepper_len, const char *code,
                         size_t code_len, const char *const *hashes, size_t n);

#endif
