/* Unit tests for src/notify/: template lookup and {{var}} rendering,
 * preference merging and checks, quiet-hour windows across zones and
 * midnight, base64url, the RFC 8291 record layout and ES256 JWS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/validate.h"
#include "notify/notify_int.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void templates_render(void **state)
{
    (void)state;
    const notify_template_t *t = notify_template("trip.invitation", "fr");
    assert_non_null(t);
    assert_string_equal(t->language, "fr");
    assert_string_equal(t->category, "trip");
    t = notify_template("trip.invitation", "de");
    assert_string_equal(t->language, "en");
    assert_null(notify_template("nope", "en"));
    json_t *d = json_pack("{s:s, s:i, s:b, s:n}", "name", "Zoé", "n", 3, "ok", 1, "nil");
    char *s = notify_render("Hi {{name}}, {{n}} new, {{ok}}, [{{nil}}] [{{missing}}] {{ bad", d);
    assert_string_equal(s, "Hi Zoé, 3 new, true, [] [] {{ bad");
    free(s);
    s = notify_render("", d);
    assert_string_equal(s, "");
    free(s);
    s = notify_render("{{name}}", NULL);
    assert_string_equal(s, "");
    free(s);
    json_decref(d);
    assert_true(notify_category_valid("safety"));
    assert_false(notify_category_valid("spam"));
    assert_false(notify_category_valid(NULL));
}

static json_t *merged(const char *patch, int *status, const char **field)
{
    json_t *p = notify_prefs_default();
    json_t *j = json_loads(patch, 0, NULL);
    apierr_t err = {0};
    *status = notify_prefs_merge(p, j, &err) < 0 ? err.status : 200;
    static char f[64];
    const char *v = json_string_value(json_object_get(err.details, "field"));
    snprintf(f, sizeof f, "%s", v ? v : "");
    *field = f;
    apierr_clear(&err);
    json_decref(j);
    return p;
}

static void prefs_merge(void **state)
{
    (void)state;
    int st;
    const char *field;
    json_t *p = merged("{\"categories\":{\"chat\":{\"push\":false}}}", &st, &field);
    assert_int_equal(st, 200);
    assert_false(notify_prefs_channel(p, "chat", "push"));
    assert_true(notify_prefs_channel(p, "chat", "inApp"));
    assert_false(notify_prefs_channel(p, "marketing", "push"));
    assert_true(notify_prefs_channel(p, "safety", "sms"));
    json_decref(p);
    static const struct {
        const char *patch, *field;
    } bad[] = {
        {"{\"categories\":{\"x\":{}}}", "categories.x"},
        {"{\"categories\":{\"chat\":{\"fax\":true}}}", "categories.chat.fax"},
        {"{\"categories\":{\"chat\":{\"push\":1}}}", "categories.chat.push"},
        {"{\"quietHours\":{\"start\":\"24:00\",\"end\":\"07:00\",\"timeZone\":\"UTC\"}}", "quietHours.start"},
        {"{\"quietHours\":{\"start\":\"22:00\",\"end\":\"07:60\",\"timeZone\":\"UTC\"}}", "quietHours.end"},
        {"{\"quietHours\":{\"start\":\"22:00\",\"end\":\"07:00\",\"timeZone\":\"No/Where\"}}", "quietHours.timeZone"},
        {"{\"quietHours\":{\"start\":\"22:00\",\"end\":\"07:00\",\"timeZone\":\"UTC\",\"x\":1}}", "quietHours"},
        {"{\"other\":1}", "other"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = merged(bad[i].patch, &st, &field);
        assert_int_equal(st, 422);
        assert_string_equal(field, bad[i].field);
        assert_true(notify_prefs_channel(p, "chat", "push")); /* nothing applied */
        json_decref(p);
    }
    /* A refused quietHours leaves valid categories in the same patch unapplied. */
    p = merged("{\"categories\":{\"chat\":{\"push\":false}},\"quietHours\":1}", &st, &field);
    assert_int_equal(st, 422);
    assert_true(notify_prefs_channel(p, "chat", "push"));
    json_decref(p);
}

static int64_t at(const char *rfc3339)
{
    int64_t ms = 0;
    assert_int_equal(validate_rfc3339_parse(rfc3339, strlen(rfc3339), &ms), 0);
    return ms;
}

static void quiet_case(const char *start, const char *end, const char *tz, const char *now,
                       const char *want)
{
    char doc[256];
    snprintf(doc, sizeof doc,
             "{\"quietHours\":{\"start\":\"%s\",\"end\":\"%s\",\"timeZone\":\"%s\"}}", start, end,
             tz);
    int st;
    const char *field;
    json_t *p = merged(doc, &st, &field);
    assert_int_equal(st, 200);
    int64_t got = notify_quiet_until(p, at(now));
    int64_t exp = want ? at(want) : 0;
    if (got != exp) {
        char g[32] = "0";
        if (got)
            validate_rfc3339_format(got, g, sizeof g);
        fail_msg("%s-%s %s at %s: got %s, want %s", start, end, tz, now, g, want ? want : "0");
    }
    json_decref(p);
}

static void quiet_hours(void **state)
{
    (void)state;
    quiet_case("22:00", "07:00", "UTC", "2026-11-25T23:30:00Z", "2026-11-26T07:00:00Z");
    quiet_case("22:00", "07:00", "UTC", "2026-11-25T06:59:00Z", "2026-11-25T07:00:00Z");
    quiet_case("22:00", "07:00", "UTC", "2026-11-25T07:00:00Z", NULL);
    quiet_case("22:00", "07:00", "UTC", "2026-11-25T12:00:00Z", NULL);
    quiet_case("22:00", "07:00", "UTC", "2026-11-25T22:00:00Z", "2026-11-26T07:00:00Z");
    /* Lisbon in summer is UTC+1: 22:30 local is 21:30Z; 07:00 local is 06:00Z. */
    quiet_case("22:00", "07:00", "Europe/Lisbon", "2026-07-01T21:30:00Z", "2026-07-02T06:00:00Z");
    quiet_case("22:00", "07:00", "Europe/Lisbon", "2026-07-01T20:30:00Z", NULL);
    /* A daytime window in New York (UTC-5 in November). */
    quiet_case("13:00", "15:00", "America/New_York", "2026-11-25T18:30:00Z", "2026-11-25T20:00:00Z");
    quiet_case("13:00", "15:00", "America/New_York", "2026-11-25T13:30:00Z", NULL);
    /* Across the spring-forward night: 23:00-03:00 Lisbon, 2026-03-29 01:00Z
     * jumps to 02:00 local; 03:00 local is then 02:00Z. */
    quiet_case("23:00", "03:00", "Europe/Lisbon", "2026-03-28T23:30:00Z", "2026-03-29T02:00:00Z");
    json_t *none = notify_prefs_default();
    assert_int_equal(notify_quiet_until(none, at("2026-11-25T23:30:00Z")), 0);
    json_decref(none);
}

static void base64url(void **state)
{
    (void)state;
    uint8_t in[40], out[40];
    for (size_t n = 0; n <= sizeof in; n++) {
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(i * 37 + n);
        char *s = notify__b64url(in, n);
        assert_non_null(s);
        assert_null(strchr(s, '='));
        assert_int_equal(notify_b64url_decode(s, out, sizeof out), (int)n);
        assert_memory_equal(in, out, n);
        free(s);
    }
    assert_int_equal(notify_b64url_decode("AAAA", out, 2), -1); /* too long for out */
    assert_int_equal(notify_b64url_decode("A", out, sizeof out), -1);
    assert_int_equal(notify_b64url_decode("A*AA", out, sizeof out), -1);
    assert_int_equal(notify_b64url_decode("AQ==", out, sizeof out), 1);
}

static EVP_PKEY *p256(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }

static void ece_layout(void **state)
{
    (void)state;
    EVP_PKEY *ua = p256();
    uint8_t *pub = NULL;
    assert_int_equal(EVP_PKEY_get1_encoded_public_key(ua, &pub), 65);
    uint8_t auth[16] = {1, 2, 3}, salt[16] = {9, 9, 9};
    size_t n = 0;
    uint8_t *body = notify__ece_encrypt(pub, auth, "hello", 5, salt, &n);
    assert_non_null(body);
    assert_int_equal(n, 16 + 4 + 1 + 65 + 5 + 1 + 16);
    assert_memory_equal(body, salt, 16);
    assert_int_equal((body[16] << 24) | (body[17] << 16) | (body[18] << 8) | body[19], 4096);
    assert_int_equal(body[20], 65);
    assert_int_equal(body[21], 4); /* uncompressed sender key */
    assert_memory_not_equal(body + 21, pub, 65);
    size_t n2 = 0;
    uint8_t *again = notify__ece_encrypt(pub, auth, "hello", 5, salt, &n2);
    assert_memory_not_equal(again + 86, body + 86, 6); /* fresh ephemeral key each time */
    free(again);
    free(body);
    char big[5000];
    memset(big, 'x', sizeof big);
    assert_null(notify__ece_encrypt(pub, auth, big, sizeof big, NULL, &n)); /* one record only */
    OPENSSL_free(pub);
    EVP_PKEY_free(ua);
}

static void jws_es256(void **state)
{
    (void)state;
    EVP_PKEY *k = p256();
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *pem = NULL;
    long len = BIO_get_mem_data(b, &pem);
    char *text = strndup(pem, (size_t)len);
    BIO_free(b);
    json_t *h = json_pack("{s:s}", "alg", "ES256"), *c = json_pack("{s:s}", "sub", "x");
    char *jws = notify__jws("ES256", h, c, text);
    assert_non_null(jws);
    char *dot = strrchr(jws, '.');
    uint8_t raw[64];
    assert_int_equal(notify_b64url_decode(dot + 1, raw, sizeof raw), 64);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
    uint8_t *der = NULL;
    int dlen = i2d_ECDSA_SIG(sig, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestVerify(md, der, (size_t)dlen, (uint8_t *)jws, (size_t)(dot - jws)), 1);
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(sig);
    assert_null(notify__jws("RS256", h, c, text)); /* wrong key type */
    assert_null(notify__jws("ES256", h, c, "not a key"));
    free(jws);
    free(text);
    json_decref(h);
    json_decref(c);
    EVP_PKEY_free(k);
}

static void webpush_hosts(void **state)
{
    (void)state; /* no server, no environment: the built-in list */
    assert_true(notify_webpush_host_allowed("https://fcm.googleapis.com/fcm/send/abc"));
    assert_true(notify_webpush_host_allowed("https://updates.push.services.mozilla.com/wpush/v2/x"));
    assert_true(notify_webpush_host_allowed("https://wns2-par02p.notify.windows.com/w/?token=x"));
    assert_true(notify_webpush_host_allowed("https://web.push.apple.com/QGx"));
    assert_true(notify_webpush_host_allowed("https://FCM.googleapis.com:443/x"));
    assert_false(notify_webpush_host_allowed("https://xfcm.googleapis.com/x"));
    assert_false(notify_webpush_host_allowed("https://fcm.googleapis.com.evil.test/x"));
    assert_false(notify_webpush_host_allowed("https://fcm.googleapis.com@10.0.0.1/x"));
    assert_false(notify_webpush_host_allowed("http://fcm.googleapis.com/x"));
    assert_false(notify_webpush_host_allowed("https://127.0.0.1/x"));
    assert_false(notify_webpush_host_allowed("https:///x"));
    assert_false(notify_webpush_host_allowed(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(templates_render), cmocka_unit_test(prefs_merge),
        cmocka_unit_test(quiet_hours),      cmocka_unit_test(base64url),
        cmocka_unit_test(ece_layout),       cmocka_unit_test(jws_es256),
        cmocka_unit_test(webpush_hosts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
