/*
 * validate.h - syntax checks and normalisation for values that arrive from
 * clients: e-mail addresses, E.164 phone numbers, ISO 4217 currencies,
 * ISO 3166-1 alpha-2 countries, UUID strings, RFC 3339 timestamps, ISO
 * dates, UTF-8 text, and percent-encoding.
 *
 * Every input is a (pointer, length) pair that is never trusted: it need
 * not be NUL-terminated and may hold any bytes. Outputs go to caller
 * buffers whose sizes are checked. The code and country tables are static
 * const data; there is no mutable state, so everything is reentrant and
 * safe from any thread. Nothing allocates, prints or aborts. Errors are
 * negative VALIDATE_E* codes; predicates return bool.
 */
#ifndef TRAVLOC_VALIDATE_H
#define TRAVLOC_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    VALIDATE_OK = 0,
    VALIDATE_EINVAL = -1,    /* NULL argument or output buffer too small */
    VALIDATE_EFORMAT = -2,   /* syntax error */
    VALIDATE_ERANGE = -3,    /* well-formed but impossible (Feb 30, 25:00) */
    VALIDATE_ETOO_LONG = -4, /* over the length limit */
    VALIDATE_EUNKNOWN = -5,  /* well-formed code that is not in the table */
};

/* ---- Text ---------------------------------------------------------- */

/* Checks that s[0..len) is strict UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF). On success returns 0 and, if n_code_points
 * is not NULL, stores the number of code points. Otherwise EFORMAT. */
int validate_utf8(const char *s, size_t len, size_t *n_code_points);

/* ---- E-mail -------------------------------------------------------- */

#define VALIDATE_EMAIL_MAX 254     /* RFC 5321 path limit, in bytes */

/* Normalises an address for storage and lookup: trims surrounding ASCII
 * white space, then lower-cases the WHOLE address (ASCII letters only;
 * providers treat local parts case-insensitively in practice, and one
 * account per spelling would surprise users). Rejects: no or several '@',
 * quoted local parts, control characters or spaces, local part empty or
 * over 64 bytes, leading/trailing/double dots, domain that is not at least
 * two LDH labels (1-63 bytes, no edge hyphen) with a non-numeric top
 * label, IP literals, and results over 254 bytes. UTF-8 is allowed in the
 * local part only (domains must be ASCII/punycode). Writes the result and
 * a NUL into out (out_size >= VALIDATE_EMAIL_MAX + 1 always suffices).
 * Returns the normalised length (> 0) or a negative VALIDATE_E* code. */
int validate_email_normalize(const char *in, size_t len, char *out, size_t out_size);

/* ---- Phone, currency, country -------------------------------------- */

/* E.164: '+', then 8 to 15 digits, the first not '0'. No spaces. */
bool validate_phone_e164(const char *s, size_t len);

/* ISO 4217 circulating currency (three upper-case letters). Returns the
 * minor-unit exponent (JPY 0, EUR 2, KWD 3) or EFORMAT / EUNKNOWN. Fund
 * codes (BOV, CLF, ...) and metals (XAU, ...) are not accepted. */
int validate_currency(const char *code, size_t len);

/* ISO 3166-1 alpha-2 code (two upper-case letters), officially assigned,
 * plus XK (Kosovo, user-assigned but used by the EU and most data sets). */
bool validate_country(const char *code, size_t len);

/* ---- UUID ---------------------------------------------------------- */

#define VALIDATE_UUID_STR_LEN 36

/* Parses the 8-4-4-4-12 hexadecimal form (either case) into 16 bytes.
 * out may be NULL to only check. Returns 0 or EFORMAT. */
int validate_uuid_parse(const char *s, size_t len, uint8_t out[16]);

/* Writes the canonical lower-case form and a NUL (out_size >= 37).
 * Returns 0 or EINVAL. */
int validate_uuid_format(const uint8_t in[16], char *out, size_t out_size);

/* ---- Dates and times ----------------------------------------------- */

typedef struct {
    int year;   /* 0 ... 9999 */
    int month;  /* 1 ... 12 */
    int day;    /* 1 ... days in that month */
} validate_date_t;

/* Days from 1970-01-01 to the given proleptic Gregorian date (negative
 * before it). The date must already be valid. */
int64_t validate_days_from_civil(int year, int month, int day);

/* Number of days in month (1-12) of year, leap years included; 0 when
 * month is out of range. */
int validate_days_in_month(int year, int month);

/* Parses "YYYY-MM-DD" exactly (10 characters), checking the day against
 * the month and leap years. Returns 0, EFORMAT or ERANGE. */
int validate_date_parse(const char *s, size_t len, validate_date_t *out);

/* Writes "YYYY-MM-DD" and a NUL (out_size >= 11). Returns 0, EINVAL, or
 * ERANGE for an invalid date. */
int validate_date_format(const validate_date_t *d, char *out, size_t out_size);

#define VALIDATE_RFC3339_MAX_INPUT 64
#define VALIDATE_RFC3339_OUT_LEN 24   /* "2026-11-25T10:00:00.123Z" */

/* Parses an RFC 3339 date-time ("2026-11-25T10:00:00Z",
 * "2026-11-25t12:00:00.123456+02:00") into Unix milliseconds UTC. The
 * fraction (1-9 digits) is truncated to milliseconds; 'T' and 'Z' may be
 * lower case; a zone is required. Leap seconds (:60) are refused. Returns
 * 0, EFORMAT, ERANGE or ETOO_LONG. */
int validate_rfc3339_parse(const char *s, size_t len, int64_t *out_ms);

/* Formats Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.sssZ" and a NUL
 * (out_size >= 25). Returns 0, EINVAL, or ERANGE outside years 0-9999. */
int validate_rfc3339_format(int64_t unix_ms, char *out, size_t out_size);

/* ---- Percent-encoding (RFC 3986) ------------------------------------ */

/* The value of a hex digit (0-9, a-f, A-F), or -1. */
int validate_hex_digit(char c);

/* Decodes s[0..n) into out (cap bytes, NUL included); plus_space turns
 * '+' into ' ' (query strings). Returns the decoded length, EFORMAT for
 * a malformed escape or a NUL in the result, EINVAL when cap is short. */
long validate_pct_decode(const char *s, size_t n, char *out, size_t cap, bool plus_space);

#endif
