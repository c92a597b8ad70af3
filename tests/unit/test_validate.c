/*
 * test_validate.c - e-mail, phone, currency, country, UUID, dates, UTF-8.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/validate.h"

#define S(x) (x), strlen(x)

/* ---- UTF-8 ---- */

static void test_utf8(void **state)
{
    (void)state;
    size_t n = 0;
    assert_int_equal(validate_utf8(S("hello"), &n), VALIDATE_OK);
    assert_int_equal(n, 5);
    assert_int_equal(validate_utf8(S("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), &n), VALIDATE_OK);
    assert_int_equal(n, 9);
    assert_int_equal(validate_utf8("", 0, &n), VALIDATE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(validate_utf8(S("\xC0\xAF"), NULL), VALIDATE_EFORMAT);         /* overlong '/' */
    assert_int_equal(validate_utf8(S("\xE0\x80\xAF"), NULL), VALIDATE_EFORMAT);     /* overlong */
    assert_int_equal(validate_utf8(S("\xED\xA0\x80"), NULL), VALIDATE_EFORMAT);     /* surrogate */
    assert_int_equal(validate_utf8(S("\xF4\x90\x80\x80"), NULL), VALIDATE_EFORMAT); /* > U+10FFFF */
    assert_int_equal(validate_utf8(S("\xE2\x82"), NULL), VALIDATE_EFORMAT);         /* truncated */
    assert_int_equal(validate_utf8(S("\x80"), NULL), VALIDATE_EFORMAT);             /* lone continuation */
    assert_int_equal(validate_utf8(S("\xFF"), NULL), VALIDATE_EFORMAT);
}

/* ---- E-mail ---- */

static void test_email_normalize(void **state)
{
    (void)state;
    char out[VALIDATE_EMAIL_MAX + 1];
    assert_int_equal(validate_email_normalize(S("  Alice.Smith+Trips@Example.COM \t\n"), out, sizeof out),
                     (int)strlen("alice.smith+trips@example.com"));
    assert_string_equal(out, "alice.smith+trips@example.com");
    assert_true(validate_email_normalize(S("o'brien@sub.example.co.uk"), out, sizeof out) > 0);
    assert_string_equal(out, "o'brien@sub.example.co.uk");
    assert_true(validate_email_normalize(S("J\xC3\xBCrgen@xn--mnchen-3ya.de"), out, sizeof out) > 0);
    assert_string_equal(out, "j\xC3\xBCrgen@xn--mnchen-3ya.de");
}

static void test_email_rejects(void **state)
{
    (void)state;
    char out[VALIDATE_EMAIL_MAX + 1];
    const char *bad[] = {
        "", "   ", "plainaddress", "@example.com", "user@", "a@b@example.com",
        "user@localhost", "user@example", "user@-example.com", "user@example-.com",
        "user@exa_mple.com", "user@example..com", "user@.example.com", "user@example.com.",
        ".user@example.com", "user.@example.com", "us..er@example.com", "us er@example.com",
        "user@exam ple.com", "\"quoted\"@example.com", "user@[192.168.0.1]", "user@1.2.3.4",
        "user@example.123", "us\x01r@example.com", "user@example.com\x7f", "us\ter@example.com",
        "user@m\xC3\xBCnchen.de", "\xC3(@example.com",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = validate_email_normalize(S(bad[i]), out, sizeof out);
        if (rc >= 0)
            fail_msg("accepted bad address #%zu: %s", i, bad[i]);
        assert_string_equal(out, "");
    }
}

static void test_email_lengths(void **state)
{
    (void)state;
    char out[VALIDATE_EMAIL_MAX + 1];
    char buf[400];
    /* Local part of 64 is fine, 65 is not. */
    memset(buf, 'a', 64);
    strcpy(buf + 64, "@example.com");
    assert_true(validate_email_normalize(S(buf), out, sizeof out) > 0);
    memset(buf, 'a', 65);
    strcpy(buf + 65, "@example.com");
    assert_int_equal(validate_email_normalize(S(buf), out, sizeof out), VALIDATE_ETOO_LONG);
    /* Whole address: 254 accepted, 255 refused. Labels of 63 bytes. */
    char label[64];
    memset(label, 'b', 63);
    label[63] = '\0';
    snprintf(buf, sizeof buf, "%.*s@%s.%s.%s.%.*s.com", 50, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             label, label, label, 7, label);
    assert_int_equal(strlen(buf), 50 + 1 + (63 + 1) * 3 + 7 + 4);  /* 254 */
    assert_int_equal(validate_email_normalize(S(buf), out, sizeof out), 254);
    buf[0] = 'x';
    memmove(buf + 1, buf, strlen(buf) + 1);
    assert_int_equal(validate_email_normalize(S(buf), out, sizeof out), VALIDATE_ETOO_LONG);
    /* A 64-byte label is too long. */
    snprintf(buf, sizeof buf, "a@%sb.com", label);
    assert_int_equal(validate_email_normalize(S(buf), out, sizeof out), VALIDATE_EFORMAT);
    /* Output buffer too small. */
    assert_int_equal(validate_email_normalize(S("a@example.com"), out, 5), VALIDATE_EINVAL);
    assert_int_equal(validate_email_normalize(NULL, 4, out, sizeof out), VALIDATE_EINVAL);
}

/* ---- Phone ---- */

static void test_phone(void **state)
{
    (void)state;
    assert_true(validate_phone_e164(S("+14155552671")));
    assert_true(validate_phone_e164(S("+442071838750")));
    assert_true(validate_phone_e164(S("+12345678")));          /* 8 digits */
    assert_true(validate_phone_e164(S("+123456789012345")));   /* 15 digits */
    assert_false(validate_phone_e164(S("+1234567")));          /* 7 digits */
    assert_false(validate_phone_e164(S("+1234567890123456"))); /* 16 digits */
    assert_false(validate_phone_e164(S("14155552671")));
    assert_false(validate_phone_e164(S("+04155552671")));
    assert_false(validate_phone_e164(S("+1 415 555 2671")));
    assert_false(validate_phone_e164(S("+1415555267a")));
    assert_false(validate_phone_e164(S("++14155552671")));
    assert_false(validate_phone_e164(NULL, 12));
    assert_false(validate_phone_e164("+14155552671", 0));
}

/* ---- Currency ---- */

typedef struct {
    const char *code;
    int minor;
} currency_case_t;

static void test_currency_table(void **state)
{
    (void)state;
    /* Every active circulating code with its ISO 4217 exponent. Any code
     * the bsearch misses (unsorted table) fails here. */
    static const currency_case_t all[] = {
        {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"ANG", 2}, {"AOA", 2}, {"ARS", 2},
        {"AUD", 2}, {"AWG", 2}, {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BGN", 2},
        {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2}, {"BOB", 2}, {"BRL", 2}, {"BSD", 2},
        {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2}, {"CAD", 2}, {"CDF", 2}, {"CHF", 2},
        {"CLP", 0}, {"CNY", 2}, {"COP", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2},
        {"DJF", 0}, {"DKK", 2}, {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2},
        {"EUR", 2}, {"FJD", 2}, {"FKP", 2}, {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2},
        {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2}, {"HKD", 2}, {"HNL", 2}, {"HTG", 2},
        {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3}, {"IRR", 2}, {"ISK", 0},
        {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2}, {"KMF", 0},
        {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
        {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2},
        {"MKD", 2}, {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2},
        {"MWK", 2}, {"MXN", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2},
        {"NOK", 2}, {"NPR", 2}, {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2},
        {"PHP", 2}, {"PKR", 2}, {"PLN", 2}, {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2},
        {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2}, {"SCR", 2}, {"SDG", 2}, {"SEK", 2},
        {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2}, {"SSP", 2}, {"STN", 2},
        {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2}, {"TND", 3},
        {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0},
        {"USD", 2}, {"UYU", 2}, {"UZS", 2}, {"VED", 2}, {"VES", 2}, {"VND", 0}, {"VUV", 0},
        {"WST", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0}, {"XPF", 0}, {"YER", 2},
        {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
    };
    /* Walk it backwards so the test does not share the table's order. */
    for (size_t i = sizeof all / sizeof all[0]; i-- > 0;) {
        int rc = validate_currency(all[i].code, 3);
        if (rc != all[i].minor)
            fail_msg("%s: got %d, want %d", all[i].code, rc, all[i].minor);
    }
}

static void test_currency_rejects(void **state)
{
    (void)state;
    assert_int_equal(validate_currency(S("eur")), VALIDATE_EFORMAT);
    assert_int_equal(validate_currency(S("EURO")), VALIDATE_EFORMAT);
    assert_int_equal(validate_currency(S("EU")), VALIDATE_EFORMAT);
    assert_int_equal(validate_currency(S("E1R")), VALIDATE_EFORMAT);
    assert_int_equal(validate_currency(NULL, 3), VALIDATE_EFORMAT);
    /* Well-formed but not accepted: withdrawn, metals, funds, test. */
    const char *unknown[] = {"XXX", "XAU", "XTS", "DEM", "FRF", "HRK", "VEF", "MRO", "CLF", "AAA", "ZZZ"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_int_equal(validate_currency(unknown[i], 3), VALIDATE_EUNKNOWN);
}

/* ---- Country ---- */

static void test_country(void **state)
{
    (void)state;
    /* The 249 assigned codes plus XK, in GeoNames order (not sorted). */
    static const char codes[] =
        "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
        "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFO"
        "FRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJE"
        "JMJOJPKEKGKHKIKMKNKPKRXKKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMN"
        "MOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPT"
        "PWPYQARERORSRURWSASBSCSDSSSESGSHSISJSKSLSMSNSOSRSTSVSXSYSZTCTDTFTGTHTJTKTL"
        "TMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";
    assert_int_equal(strlen(codes), 500);
    for (size_t i = 0; i < 500; i += 2)
        if (!validate_country(codes + i, 2))
            fail_msg("rejected %.2s", codes + i);
    /* Exhaustive: exactly those 250 of the 676 letter pairs pass. */
    int accepted = 0;
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++)
            accepted += validate_country((char[]){a, b}, 2);
    assert_int_equal(accepted, 250);
    assert_false(validate_country(S("fr")));
    assert_false(validate_country(S("FRA")));
    assert_false(validate_country(S("UK")));
    assert_false(validate_country(S("EU")));
    assert_false(validate_country(S("AN")));   /* deleted 2010 */
    assert_false(validate_country(NULL, 2));
}

/* ---- UUID ---- */

static void test_uuid(void **state)
{
    (void)state;
    uint8_t b[16];
    char s[VALIDATE_UUID_STR_LEN + 1];
    assert_int_equal(validate_uuid_parse(S("0190A5B2-3C4D-7E8F-9A0B-1C2D3E4F5A6B"), b), VALIDATE_OK);
    assert_int_equal(b[0], 0x01);
    assert_int_equal(b[6], 0x7E);
    assert_int_equal(b[15], 0x6B);
    assert_int_equal(validate_uuid_format(b, s, sizeof s), VALIDATE_OK);
    assert_string_equal(s, "0190a5b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b");
    assert_int_equal(validate_uuid_parse(S("00000000-0000-0000-0000-000000000000"), NULL), VALIDATE_OK);
    const char *bad[] = {
        "0190a5b23c4d7e8f9a0b1c2d3e4f5a6b", "0190a5b2-3c4d-7e8f-9a0b-1c2d3e4f5a6",
        "0190a5b2-3c4d-7e8f-9a0b-1c2d3e4f5a6bb", "0190a5b2-3c4d-7e8f-9a0b_1c2d3e4f5a6b",
        "0190a5b2-3c4d-7e8f-9a0b-1c2d3e4f5a6g", "{0190a5b2-3c4d-7e8f-9a0b-1c2d3e4f5a}",
        "0190a5b-23c4d-7e8f-9a0b-1c2d3e4f5a6b", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(validate_uuid_parse(S(bad[i]), b), VALIDATE_EFORMAT);
    assert_int_equal(validate_uuid_format(b, s, 36), VALIDATE_EINVAL);
}

/* ---- Dates ---- */

static void test_date(void **state)
{
    (void)state;
    validate_date_t d;
    char out[11];
    assert_int_equal(validate_date_parse(S("2024-02-29"), &d), VALIDATE_OK);
    assert_int_equal(d.year, 2024);
    assert_int_equal(d.month, 2);
    assert_int_equal(d.day, 29);
    assert_int_equal(validate_date_format(&d, out, sizeof out), VALIDATE_OK);
    assert_string_equal(out, "2024-02-29");
    assert_int_equal(validate_date_parse(S("2000-02-29"), &d), VALIDATE_OK);   /* /400 */
    assert_int_equal(validate_date_parse(S("1900-02-29"), &d), VALIDATE_ERANGE); /* /100 */
    assert_int_equal(validate_date_parse(S("2023-02-29"), &d), VALIDATE_ERANGE);
    assert_int_equal(validate_date_parse(S("2023-04-31"), &d), VALIDATE_ERANGE);
    assert_int_equal(validate_date_parse(S("2023-12-31"), &d), VALIDATE_OK);
    assert_int_equal(validate_date_parse(S("2023-13-01"), &d), VALIDATE_ERANGE);
    assert_int_equal(validate_date_parse(S("2023-00-10"), &d), VALIDATE_ERANGE);
    assert_int_equal(validate_date_parse(S("2023-01-00"), &d), VALIDATE_ERANGE);
    assert_int_equal(validate_date_parse(S("2023-1-01"), &d), VALIDATE_EFORMAT);
    assert_int_equal(validate_date_parse(S("2023/01/01"), &d), VALIDATE_EFORMAT);
    assert_int_equal(validate_date_parse(S("2023-01-01T"), &d), VALIDATE_EFORMAT);
    assert_int_equal(validate_date_parse(S("+023-01-01"), &d), VALIDATE_EFORMAT);
    assert_int_equal(validate_days_in_month(2024, 2), 29);
    assert_int_equal(validate_days_in_month(2100, 2), 28);
    assert_int_equal(validate_days_in_month(2024, 13), 0);
    assert_int_equal(validate_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(validate_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(validate_days_from_civil(1969, 12, 31), -1);
    d = (validate_date_t){2023, 2, 29};
    assert_int_equal(validate_date_format(&d, out, sizeof out), VALIDATE_ERANGE);
}

static void test_rfc3339_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(validate_rfc3339_parse(S("1970-01-01T00:00:00Z"), &ms), VALIDATE_OK);
    assert_int_equal(ms, 0);
    assert_int_equal(validate_rfc3339_parse(S("2026-11-25T10:00:00.123Z"), &ms), VALIDATE_OK);
    assert_int_equal(ms, 1795600800123LL);
    assert_int_equal(validate_rfc3339_parse(S("2026-11-25t12:00:00.123456789+02:00"), &ms), VALIDATE_OK);
    assert_int_equal(ms, 1795600800123LL);
    assert_int_equal(validate_rfc3339_parse(S("2026-11-25T04:30:00.5-05:30"), &ms), VALIDATE_OK);
    assert_int_equal(ms, 1795600800500LL);
    assert_int_equal(validate_rfc3339_parse(S("1969-12-31T23:59:59.999z"), &ms), VALIDATE_OK);
    assert_int_equal(ms, -1);
    assert_int_equal(validate_rfc3339_parse(S("2024-02-29T23:59:59Z"), &ms), VALIDATE_OK);
    const char *bad_format[] = {
        "2026-11-25T10:00:00", "2026-11-25 10:00:00Z", "2026-11-25T10:00Z", "2026-11-25T10:00:00.Z",
        "2026-11-25T10:00:00.1234567891Z", "2026-11-25T10:00:00+0200", "2026-11-25T10:00:00+02",
        "2026-11-25T10:00:00ZZ", "20261125T100000Z", "2026-11-25T1:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad_format / sizeof bad_format[0]; i++)
        if (validate_rfc3339_parse(S(bad_format[i]), &ms) != VALIDATE_EFORMAT)
            fail_msg("accepted %s", bad_format[i]);
    assert_int_equal(validate_rfc3339_parse(S("2026-11-25T24:00:00Z"), &ms), VALIDATE_ERANGE);
    assert_int_equal(validate_rfc3339_parse(S("2026-11-25T23:60:00Z"), &ms), VALIDATE_ERANGE);
    assert_int_equal(validate_rfc3339_parse(S("2016-12-31T23:59:60Z"), &ms), VALIDATE_ERANGE);
    assert_int_equal(validate_rfc3339_parse(S("2023-02-29T00:00:00Z"), &ms), VALIDATE_ERANGE);
    assert_int_equal(validate_rfc3339_parse(S("2026-11-25T10:00:00+24:00"), &ms), VALIDATE_ERANGE);
    char big[100];
    memset(big, '0', sizeof big);
    memcpy(big, "2026-11-25T10:00:00.", 20);
    big[99] = 'Z';
    assert_int_equal(validate_rfc3339_parse(big, sizeof big, &ms), VALIDATE_ETOO_LONG);
}

static void test_rfc3339_format(void **state)
{
    (void)state;
    char out[VALIDATE_RFC3339_OUT_LEN + 1];
    assert_int_equal(validate_rfc3339_format(0, out, sizeof out), VALIDATE_OK);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    assert_int_equal(validate_rfc3339_format(1795600800123LL, out, sizeof out), VALIDATE_OK);
    assert_string_equal(out, "2026-11-25T10:00:00.123Z");
    assert_int_equal(validate_rfc3339_format(-1, out, sizeof out), VALIDATE_OK);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    assert_int_equal(validate_rfc3339_format(951782400000LL, out, sizeof out), VALIDATE_OK);
    assert_string_equal(out, "2000-02-29T00:00:00.000Z");
    assert_int_equal(validate_rfc3339_format(253402300799999LL, out, sizeof out), VALIDATE_OK);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    assert_int_equal(validate_rfc3339_format(253402300800000LL, out, sizeof out), VALIDATE_ERANGE);
    assert_int_equal(validate_rfc3339_format(0, out, 24), VALIDATE_EINVAL);
    /* Round trip over a spread of instants, negative ones included. */
    for (int64_t t = -62167219200000LL; t < 253402300799999LL; t += 987654321987LL) {
        int64_t back = 0;
        assert_int_equal(validate_rfc3339_format(t, out, sizeof out), VALIDATE_OK);
        assert_int_equal(validate_rfc3339_parse(out, strlen(out), &back), VALIDATE_OK);
        assert_int_equal(back, t);
    }
}

static void test_pct_decode(void **state)
{
    (void)state;
    char out[16];
    assert_int_equal(validate_pct_decode("a%20b+c", 7, out, sizeof out, false), 5);
    assert_string_equal(out, "a b+c");
    assert_int_equal(validate_pct_decode("a%20b+c", 7, out, sizeof out, true), 5);
    assert_string_equal(out, "a b c");
    assert_int_equal(validate_pct_decode("%3a%3A", 6, out, sizeof out, false), 2);
    assert_string_equal(out, "::");
    assert_int_equal(validate_pct_decode("", 0, out, sizeof out, false), 0);
    assert_string_equal(out, "");
    /* malformed escapes, encoded NUL, short buffer */
    assert_int_equal(validate_pct_decode("%4", 2, out, sizeof out, false), VALIDATE_EFORMAT);
    assert_int_equal(validate_pct_decode("%zz", 3, out, sizeof out, false), VALIDATE_EFORMAT);
    assert_int_equal(validate_pct_decode("a%00", 4, out, sizeof out, false), VALIDATE_EFORMAT);
    assert_int_equal(validate_pct_decode("%41%4", 5, out, sizeof out, false), VALIDATE_EFORMAT);
    assert_int_equal(validate_pct_decode("abcd", 4, out, 4, false), VALIDATE_EINVAL);
    assert_int_equal(validate_pct_decode("abc", 3, out, 4, false), 3);
    assert_int_equal(validate_hex_digit('f'), 15);
    assert_int_equal(validate_hex_digit('F'), 15);
    assert_int_equal(validate_hex_digit('9'), 9);
    assert_int_equal(validate_hex_digit('g'), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_email_normalize),
        cmocka_unit_test(test_email_rejects),
        cmocka_unit_test(test_email_lengths),
        cmocka_unit_test(test_phone),
        cmocka_unit_test(test_currency_table),
        cmocka_unit_test(test_currency_rejects),
        cmocka_unit_test(test_country),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_rfc3339_parse),
        cmocka_unit_test(test_rfc3339_format),
        cmocka_unit_test(test_pct_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
