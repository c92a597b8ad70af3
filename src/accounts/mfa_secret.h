/*
 * mfa_secret.h - TOTP secrets encrypted at rest.
 *
 * The mfa.secret column holds "v1:" followed by base64 (standard
 * alphabet, padded) of a 24-byte random nonce and the
 * XChaCha20-Poly1305 (libsodium crypto_aead_xchacha20poly1305_ietf)
 * ciphertext of the base32 secret. The user id is the associated data,
 * so a sealed secret copied onto another user's row does not open.
 *
 * The key comes from MFA_KEY (base64 of 32 bytes) or, when that is unset,
 * from server_state 'mfa_key' (hex, generated once and shared by every
 * node, like the JWT secret and the recovery-code pepper). With a wrong
 * key a secret does not open and MFA fails closed: nobody passes the TOTP
 * step until the right key is back.
 *
 * A row written before encryption existed holds the bare base32 secret;
 * mfa_secret_open() still reads it (legacy = true) and mfa_secret_init()
 * re-encrypts every such row at start-up.
 *
 * Threads: mfa_secret_init() at start-up, before loop threads; the rest
 * is reentrant and reads the key only. Returned strings are heap (free()).
 */
#ifndef TRAVLOC_MFA_SECRET_H
#define TRAVLOC_MFA_SECRET_H

#include "core/config.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MFA_KEY_BYTES 32

/* Loads or creates the key (db: a blocking start-up handle) and
 * re-encrypts plaintext rows. 0, or -1 with err (bad MFA_KEY, store
 * error). */
int mfa_secret_init(const config_t *cfg, store_conn_t *db, char *err, size_t errlen);
void mfa_secret_shutdown(void);

/* Parses MFA_KEY text (base64, standard or URL-safe, padding optional)
 * into key. 0, or -1 unless it is exactly 32 bytes. */
int mfa_key_parse(const char *text, uint8_t key[MFA_KEY_BYTES]);

/* Seals the base32 secret for user_id with key: a new "v1:…" string, or
 * NULL on a libsodium failure. */
char *mfa_secret_seal_with(const uint8_t key[MFA_KEY_BYTES], const char *user_id,
                           const char *b32);
/* Opens stored (sealed or legacy plaintext) into out (outlen >= 64).
 * 0 (with *legacy set), or -1 when it does not open (wrong key, another
 * user's row, damaged text). */
int mfa_secret_open_with(const uint8_t key[MFA_KEY_BYTES], const char *user_id,
                         const char *stored, char *out, size_t outlen, bool *legacy);

/* The same with the process key (mfa_secret_init must have run). */
char *mfa_secret_seal(const char *user_id, const char *b32);
int mfa_secret_open(const char *user_id, const char *stored, char *out, size_t outlen,
                    bool *legacy);

#endif
