/*
 * tokens.c - opaque random tokens and their at-rest hashes (see tokens.h).
 */
#include "auth/tokens.h"

#include <string.h>
#include <sodium.h>

#define TOKENS_MAX_HASH_INPUT 4096

int tokens_generate(char *out, size_t out_size)
{
    if (out == NULL || out_size < TOKENS_LEN + 1) {
        if (out != NULL && out_size > 0)
            out[0] = '\0';
        return TOKENS_EINVAL;
    }
    out[0] = '\0';
    if (sodium_init() < 0)
        return TOKENS_ECRYPTO;
    unsigned char raw[TOKENS_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, out_size, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return TOKENS_OK;
}

bool tokens_is_well_formed(const char *token, size_t len)
{
    if (token == NULL || len != TOKENS_LEN)
        return false;
    unsigned char raw[TOKENS_BYTES];
    size_t bin_len = 0;
    const char *end = NULL;
    /* libsodium rejects characters outside the alphabet and non-zero
     * trailing bits, so only the canonical spelling passes. */
    int rc = sodium_base642bin(raw, sizeof raw, token, len, NULL, &bin_len,
                               &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    return rc == 0 && bin_len == TOKENS_BYTES && end == token + len;
}

int tokens_hash(const char *token, size_t len, char *out, size_t out_size)
{
    if (out == NULL || out_size < TOKENS_HASH_LEN + 1) {
        if (out != NULL && out_size > 0)
            out[0] = '\0';
        return TOKENS_EINVAL;
    }
    out[0] = '\0';
    if (token == NULL || len > TOKENS_MAX_HASH_INPUT)
        return TOKENS_EINVAL;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, len);
    sodium_bin2hex(out, out_size, digest, sizeof digest);
    return TOKENS_OK;
}

bool tokens_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (a == NULL || b == NULL || alen != blen)
        return false;
    if (alen == 0)
        return true;
    return sodium_memcmp(a, b, alen) == 0;
}

bool tokens_verify(const char *token, size_t len, const char *stored_hex)
{
    if (stored_hex == NULL)
        return false;
    char computed[TOKENS_HASH_LEN + 1];
    if (tokens_hash(token, len, computed, sizeof computed) != TOKENS_OK)
        return false;
    size_t stored_len = strnlen(stored_hex, TOKENS_HASH_LEN + 1);
    return tokens_equal(computed, TOKENS_HASH_LEN, stored_hex, stored_len);
}
