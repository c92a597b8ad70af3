/*
 * validate.c - input syntax checks and normalisation (see validate.h).
 *
 * The currency and country tables are sorted const arrays searched with
 * bsearch; a unit test checks that they stay sorted and duplicate-free.
 */
#include "core/validate.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Small character helpers (ASCII only, locale independent).          */
/* ------------------------------------------------------------------ */

static bool v_is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool v_is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static bool v_is_alpha(unsigned char c) { return v_is_upper(c) || (c >= 'a' && c <= 'z'); }
static bool v_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
static unsigned char v_lower(unsigned char c) { return v_is_upper(c) ? (unsigned char)(c + 32) : c; }

static int v_hex_value(unsigned char c)
{
    if (v_is_digit(c))
        return c - '0';
    c = v_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads exactly n digits at s into *out; false if any is not a digit. */
static bool v_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!v_is_digit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                              */
/* ------------------------------------------------------------------ */

/* Length of the UTF-8 sequence starting at s[i], or 0 if invalid. */
static size_t v_utf8_seq(const unsigned char *s, size_t len, size_t i)
{
    unsigned char c = s[i];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  /* bounds for the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;        /* no overlong forms */
        if (c == 0xED) hi = 0x9F;        /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;        /* no overlong forms */
        if (c == 0xF4) hi = 0x8F;        /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (len - i < n || s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xBF)
            return 0;
    return n;
}

int validate_utf8(const char *s, size_t len, size_t *n_code_points)
{
    if (s == NULL && len > 0)
        return VALIDATE_EINVAL;
    const unsigned char *u = (const unsigned char *)s;
    size_t count = 0;
    for (size_t i = 0; i < len; count++) {
        size_t n = v_utf8_seq(u, len, i);
        if (n == 0)
            return VALIDATE_EFORMAT;
        i += n;
    }
    if (n_code_points != NULL)
        *n_code_points = count;
    return VALIDATE_OK;
}

/* ------------------------------------------------------------------ */
/* E-mail                                                             */
/* ------------------------------------------------------------------ */

/* RFC 5322 atext plus the dot; anything >= 0x80 is checked as UTF-8. */
static bool v_is_local_char(unsigned char c)
{
    if (v_is_alpha(c) || v_is_digit(c))
        return true;
    return c != 0 && strchr("!#$%&'*+/=?^_`{|}~-.", c) != NULL;
}

static int v_check_local(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return len == 0 ? VALIDATE_EFORMAT : VALIDATE_ETOO_LONG;
    if (s[0] == '.' || s[len - 1] == '.')
        return VALIDATE_EFORMAT;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (u[i] >= 0x80) {
            size_t n = v_utf8_seq(u, len, i);
            if (n == 0)
                return VALIDATE_EFORMAT;
            i += n;
            continue;
        }
        if (!v_is_local_char(u[i]) || (u[i] == '.' && i + 1 < len && u[i + 1] == '.'))
            return VALIDATE_EFORMAT;
        i++;
    }
    return VALIDATE_OK;
}

static int v_check_domain(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return len == 0 ? VALIDATE_EFORMAT : VALIDATE_ETOO_LONG;
    size_t labels = 0, start = 0;
    bool all_digits = true;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '.') {
            unsigned char c = (unsigned char)s[i];
            if (!v_is_alpha(c) && !v_is_digit(c) && c != '-')
                return VALIDATE_EFORMAT;
            if (!v_is_digit(c))
                all_digits = false;
            continue;
        }
        size_t n = i - start;  /* label s[start..i) */
        if (n == 0 || n > 63 || s[start] == '-' || s[i - 1] == '-')
            return VALIDATE_EFORMAT;
        labels++;
        if (i < len)
            all_digits = true;  /* reset for the next label */
        start = i + 1;
    }
    /* all_digits now describes the top-level label. */
    if (labels < 2 || all_digits)
        return VALIDATE_EFORMAT;
    return VALIDATE_OK;
}

int validate_email_normalize(const char *in, size_t len, char *out, size_t out_size)
{
    if (out == NULL || out_size == 0)
        return VALIDATE_EINVAL;
    out[0] = '\0';
    if (in == NULL)
        return VALIDATE_EINVAL;
    while (len > 0 && v_is_space((unsigned char)in[0])) {
        in++;
        len--;
    }
    while (len > 0 && v_is_space((unsigned char)in[len - 1]))
        len--;
    if (len == 0)
        return VALIDATE_EFORMAT;
    if (len > VALIDATE_EMAIL_MAX)
        return VALIDATE_ETOO_LONG;
    const char *at = NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x20 || c == 0x7F || c == ' ')
            return VALIDATE_EFORMAT;
        if (c == '@') {
            if (at != NULL)
                return VALIDATE_EFORMAT;
            at = in + i;
        }
    }
    if (at == NULL)
        return VALIDATE_EFORMAT;
    size_t local_len = (size_t)(at - in);
    int rc = v_check_local(in, local_len);
    if (rc == VALIDATE_OK)
        rc = v_check_domain(at + 1, len - local_len - 1);
    if (rc != VALIDATE_OK)
        return rc;
    if (out_size < len + 1)
        return VALIDATE_EINVAL;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)v_lower((unsigned char)in[i]);
    out[len] = '\0';
    return (int)len;
}

/* ------------------------------------------------------------------ */
/* Phone, currency, country                                           */
/* ------------------------------------------------------------------ */

bool validate_phone_e164(const char *s, size_t len)
{
    if (s == NULL || len < 9 || len > 16 || s[0] != '+' || s[1] == '0')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!v_is_digit((unsigned char)s[i]))
            return false;
    return true;
}

typedef struct {
    char code[4];
    int minor;
} v_currency_t;

/* ISO 4217 circulating currencies and their minor units, sorted by code.
 * Fund codes and precious metals are left out on purpose. */
static const v_currency_t v_currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2},
    {"ARS", 2}, {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2},
    {"BDT", 2}, {"BGN", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2},
    {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2}, {"CLP", 0}, {"CNY", 2},
    {"COP", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0},
    {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
    {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2},
    {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2},
    {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2},
    {"IQD", 3}, {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0},
    {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0}, {"KPW", 2}, {"KRW", 0},
    {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2}, {"LKR", 2},
    {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
    {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2},
    {"MVR", 2}, {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2},
    {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3},
    {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2},
    {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0},
    {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2},
    {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2},
    {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2},
    {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2},
    {"UAH", 2}, {"UGX", 0}, {"USD", 2}, {"UYU", 2}, {"UZS", 2}, {"VED", 2},
    {"VES", 2}, {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAF", 0}, {"XCD", 2},
    {"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2},
    {"ZWG", 2},
};

/* ISO 3166-1 alpha-2, officially assigned (249) plus XK, sorted. */
static const char v_countries[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFO"
    "FRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJE"
    "JMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMO"
    "MPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPW"
    "PYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTM"
    "TNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW";

static int v_cmp_currency(const void *key, const void *elem)
{
    return memcmp(key, ((const v_currency_t *)elem)->code, 3);
}

static int v_cmp_country(const void *key, const void *elem)
{
    return memcmp(key, elem, 2);
}

int validate_currency(const char *code, size_t len)
{
    if (code == NULL || len != 3)
        return VALIDATE_EFORMAT;
    for (size_t i = 0; i < 3; i++)
        if (!v_is_upper((unsigned char)code[i]))
            return VALIDATE_EFORMAT;
    const v_currency_t *hit = bsearch(code, v_currencies,
                                      sizeof v_currencies / sizeof v_currencies[0],
                                      sizeof v_currencies[0], v_cmp_currency);
    return hit != NULL ? hit->minor : VALIDATE_EUNKNOWN;
}

bool validate_country(const char *code, size_t len)
{
    if (code == NULL || len != 2 || !v_is_upper((unsigned char)code[0]) ||
        !v_is_upper((unsigned char)code[1]))
        return false;
    return bsearch(code, v_countries, (sizeof v_countries - 1) / 2, 2, v_cmp_country) != NULL;
}

/* ------------------------------------------------------------------ */
/* UUID                                                               */
/* ------------------------------------------------------------------ */

int validate_uuid_parse(const char *s, size_t len, uint8_t out[16])
{
    if (s == NULL || len != VALIDATE_UUID_STR_LEN)
        return VALIDATE_EFORMAT;
    uint8_t bytes[16];
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return VALIDATE_EFORMAT;
            i++;
            continue;
        }
        int hi = v_hex_value((unsigned char)s[i]);
        int lo = v_hex_value((unsigned char)s[i + 1]);
        if (hi < 0 || lo < 0)  /* groups have even lengths: pairs never straddle a dash */
            return VALIDATE_EFORMAT;
        bytes[n++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    if (out != NULL)
        memcpy(out, bytes, sizeof bytes);
    return VALIDATE_OK;
}

int validate_uuid_format(const uint8_t in[16], char *out, size_t out_size)
{
    static const char hex[] = "0123456789abcdef";
    if (in == NULL || out == NULL || out_size < VALIDATE_UUID_STR_LEN + 1)
        return VALIDATE_EINVAL;
    size_t p = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[p++] = '-';
        out[p++] = hex[in[i] >> 4];
        out[p++] = hex[in[i] & 15];
    }
    out[p] = '\0';
    return VALIDATE_OK;
}

/* ------------------------------------------------------------------ */
/* Dates and times                                                    */
/* ------------------------------------------------------------------ */

int validate_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    if (month == 2) {
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return leap ? 29 : 28;
    }
    return days[month - 1];
}

/* Howard Hinnant's days_from_civil, for the proleptic Gregorian calendar. */
int64_t validate_days_from_civil(int year, int month, int day)
{
    int64_t y = (int64_t)year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Inverse of validate_days_from_civil. */
static void v_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

/* Parses "YYYY-MM-DD" at s (at least 10 bytes available). */
static int v_parse_date10(const char *s, validate_date_t *d)
{
    if (s[4] != '-' || s[7] != '-' || !v_digits(s, 4, &d->year) ||
        !v_digits(s + 5, 2, &d->month) || !v_digits(s + 8, 2, &d->day))
        return VALIDATE_EFORMAT;
    if (d->month < 1 || d->month > 12 || d->day < 1 ||
        d->day > validate_days_in_month(d->year, d->month))
        return VALIDATE_ERANGE;
    return VALIDATE_OK;
}

int validate_date_parse(const char *s, size_t len, validate_date_t *out)
{
    if (s == NULL || len != 10)
        return VALIDATE_EFORMAT;
    validate_date_t d;
    int rc = v_parse_date10(s, &d);
    if (rc == VALIDATE_OK && out != NULL)
        *out = d;
    return rc;
}

int validate_date_format(const validate_date_t *d, char *out, size_t out_size)
{
    if (d == NULL || out == NULL || out_size < 11)
        return VALIDATE_EINVAL;
    if (d->year < 0 || d->year > 9999 || d->month < 1 || d->month > 12 ||
        d->day < 1 || d->day > validate_days_in_month(d->year, d->month))
        return VALIDATE_ERANGE;
    out[0] = (char)('0' + d->year / 1000);
    out[1] = (char)('0' + d->year / 100 % 10);
    out[2] = (char)('0' + d->year / 10 % 10);
    out[3] = (char)('0' + d->year % 10);
    out[4] = '-';
    out[5] = (char)('0' + d->month / 10);
    out[6] = (char)('0' + d->month % 10);
    out[7] = '-';
    out[8] = (char)('0' + d->day / 10);
    out[9] = (char)('0' + d->day % 10);
    out[10] = '\0';
    return VALIDATE_OK;
}

/* Parses the zone at s[0..len): "Z", "z" or "+HH:MM"/"-HH:MM". */
static int v_parse_zone(const char *s, size_t len, int64_t *offset_ms)
{
    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *offset_ms = 0;
        return VALIDATE_OK;
    }
    int hh, mm;
    if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
        !v_digits(s + 1, 2, &hh) || !v_digits(s + 4, 2, &mm))
        return VALIDATE_EFORMAT;
    if (hh > 23 || mm > 59)
        return VALIDATE_ERANGE;
    int64_t off = ((int64_t)hh * 60 + mm) * 60000;
    *offset_ms = s[0] == '-' ? -off : off;
    return VALIDATE_OK;
}

int validate_rfc3339_parse(const char *s, size_t len, int64_t *out_ms)
{
    if (s == NULL || out_ms == NULL)
        return VALIDATE_EINVAL;
    if (len > VALIDATE_RFC3339_MAX_INPUT)
        return VALIDATE_ETOO_LONG;
    /* "YYYY-MM-DDTHH:MM:SS" is 19 bytes, then a fraction and a zone. */
    if (len < 20 || (s[10] != 'T' && s[10] != 't'))
        return VALIDATE_EFORMAT;
    validate_date_t d;
    int rc = v_parse_date10(s, &d);
    if (rc != VALIDATE_OK)
        return rc;
    int hh, mi, ss;
    if (s[13] != ':' || s[16] != ':' || !v_digits(s + 11, 2, &hh) ||
        !v_digits(s + 14, 2, &mi) || !v_digits(s + 17, 2, &ss))
        return VALIDATE_EFORMAT;
    if (hh > 23 || mi > 59 || ss > 59)
        return VALIDATE_ERANGE;
    size_t p = 19;
    int64_t ms = 0;
    if (s[p] == '.') {
        size_t start = ++p;
        while (p < len && v_is_digit((unsigned char)s[p])) {
            if (p - start < 3)
                ms = ms * 10 + (s[p] - '0');
            p++;
        }
        size_t n = p - start;
        if (n == 0 || n > 9)
            return VALIDATE_EFORMAT;
        for (; n < 3; n++)
            ms *= 10;
    }
    int64_t offset_ms;
    rc = v_parse_zone(s + p, len - p, &offset_ms);
    if (rc != VALIDATE_OK)
        return rc;
    int64_t days = validate_days_from_civil(d.year, d.month, d.day);
    int64_t secs = days * 86400 + (int64_t)hh * 3600 + mi * 60 + ss;
    *out_ms = secs * 1000 + ms - offset_ms;
    return VALIDATE_OK;
}

int validate_rfc3339_format(int64_t unix_ms, char *out, size_t out_size)
{
    if (out == NULL || out_size < VALIDATE_RFC3339_OUT_LEN + 1)
        return VALIDATE_EINVAL;
    out[0] = '\0';
    /* Years 0000 through 9999. */
    const int64_t min_ms = validate_days_from_civil(0, 1, 1) * 86400000LL;
    const int64_t max_ms = validate_days_from_civil(10000, 1, 1) * 86400000LL - 1;
    if (unix_ms < min_ms || unix_ms > max_ms)
        return VALIDATE_ERANGE;
    int64_t days = unix_ms >= 0 ? unix_ms / 86400000 : -((-unix_ms + 86399999) / 86400000);
    int64_t rem = unix_ms - days * 86400000;  /* 0 <= rem < 86400000 */
    validate_date_t d;
    v_civil_from_days(days, &d.year, &d.month, &d.day);
    validate_date_format(&d, out, out_size);
    int h = (int)(rem / 3600000), m = (int)(rem / 60000 % 60);
    int sec = (int)(rem / 1000 % 60), milli = (int)(rem % 1000);
    char *t = out + 10;
    t[0] = 'T';
    t[1] = (char)('0' + h / 10);
    t[2] = (char)('0' + h % 10);
    t[3] = ':';
    t[4] = (char)('0' + m / 10);
    t[5] = (char)('0' + m % 10);
    t[6] = ':';
    t[7] = (char)('0' + sec / 10);
    t[8] = (char)('0' + sec % 10);
    t[9] = '.';
    t[10] = (char)('0' + milli / 100);
    t[11] = (char)('0' + milli / 10 % 10);
    t[12] = (char)('0' + milli % 10);
    t[13] = 'Z';
    t[14] = '\0';
    return VALIDATE_OK;
}

/* ---- Percent-encoding ---------------------------------------------------- */

int validate_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long validate_pct_decode(const char *s, size_t n, char *out, size_t cap, bool plus_space)
{
    if (!s || !out || cap == 0)
        return VALIDATE_EINVAL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? validate_hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < n ? validate_hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return VALIDATE_EFORMAT;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus_space && c == '+') {
            c = ' ';
        }
        if (c == '\0')
            return VALIDATE_EFORMAT;
        if (o + 1 >= cap)
            return VALIDATE_EINVAL;
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}
