/*
 * test_accounts.c - the pure parts of accounts/: the preference and
 * settings schema checker, the brute-force lock and delay rules, and the
 * RFC 5322 message the mailer writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "accounts/attempts.h"
#include "accounts/mailer.h"
#include "accounts/prefs.h"

/* Checks text against schema; returns 0 or -1 and copies the path. */
static int check(const prefs_field_t *schema, const char *text, char *path)
{
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    assert_non_null(doc);
    char why[200];
    int rc = prefs_check(doc, schema, path, 200, why, sizeof why);
    json_decref(doc);
    return rc;
}

static void test_prefs_accepts_valid(void **state)
{
    (void)state;
    char path[200];
    assert_int_equal(check(prefs_preferences_schema, "{}", path), 0);
    assert_int_equal(check(prefs_preferences_schema,
                           "{\"interests\":{\"primary\":[{\"name\":\"art\",\"strength\":1}],"
                           "\"custom\":[{\"name\":\"jazz\",\"strength\":5}]},"
                           "\"pace\":\"fast\",\"timeOfDay\":[\"morning\",\"night\"],"
                           "\"dietaryRestrictions\":[\"halal\"],\"groupSize\":null}",
                           path),
                     0);
    assert_int_equal(check(prefs_settings_schema,
                           "{\"currency\":\"JPY\",\"notifications\":{\"push\":true},"
                           "\"privacy\":{\"profileVisibility\":\"private\"}}",
                           path),
                     0);
}

static void test_prefs_names_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *path;
    } cases[] = {
        {"{\"colour\":1}", "colour"},
        {"{\"pace\":\"warp\"}", "pace"},
        {"{\"pace\":3}", "pace"},
        {"{\"interests\":{\"primary\":[{\"name\":\"a\",\"strength\":0}]}}", "interests.primary[0].strength"},
        {"{\"interests\":{\"primary\":[{\"name\":\"a\",\"strength\":2.5}]}}", "interests.primary[0].strength"},
        {"{\"interests\":{\"primary\":[{\"strength\":2}]}}", "interests.primary[0].name"},
        {"{\"interests\":{\"primary\":[{\"name\":\"\",\"strength\":2}]}}", "interests.primary[0].name"},
        {"{\"interests\":{\"primary\":[1]}}", "interests.primary[0]"},
        {"{\"interests\":[]}", "interests"},
        {"{\"timeOfDay\":[\"night\",\"night\"]}", "timeOfDay[1]"},
        {"{\"dietaryRestrictions\":[\"\"]}", "dietaryRestrictions[0]"},
    };
    char path[200];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(check(prefs_preferences_schema, cases[i].doc, path), -1);
        assert_string_equal(path, cases[i].path);
    }
    assert_int_equal(check(prefs_settings_schema, "{\"currency\":\"XAU\"}", path), -1);
    assert_string_equal(path, "currency");
    assert_int_equal(check(prefs_settings_schema, "{\"privacy\":{\"x\":true}}", path), -1);
    assert_string_equal(path, "privacy.x");
    assert_int_equal(check(prefs_settings_schema, "[]", path), -1);
}

static void test_prefs_array_limits(void **state)
{
    (void)state;
    char doc[2048] = "{\"accessibilityNeeds\":[", path[200];
    for (int i = 0; i < 21; i++)
        strcat(doc, i ? ",\"x\"" : "\"x\"");
    strcat(doc, "]}");
    assert_int_equal(check(prefs_preferences_schema, doc, path), -1);
    assert_string_equal(path, "accessibilityNeeds");
}

static void test_attempts_rules(void **state)
{
    (void)state;
    const attempts_policy_t *p = &attempts_login_account;
    assert_int_equal(attempts_lock_ms(p, p->lock_after - 1), 0);
    assert_int_equal(attempts_lock_ms(p, p->lock_after), p->lock_ms);
    assert_int_equal(attempts_lock_ms(p, p->lock_after + 1), 2 * p->lock_ms);
    assert_int_equal(attempts_lock_ms(p, p->lock_after + 40), 60 * 60000);
    assert_int_equal(attempts_delay_ms(p, p->slow_after - 1), 0);
    assert_int_equal(attempts_delay_ms(p, p->slow_after), p->step_ms);
    assert_true(attempts_delay_ms(p, 1000) <= 2000);
    assert_true(attempts_login_ip.lock_after > attempts_login_account.lock_after);
}

static void test_mail_format(void **state)
{
    (void)state;
    char *m = mailer_format("from@x.test", "to@y.test", "Hello", "line 1\nline 2\n", "id-1",
                            1764064800000LL, 1);
    assert_non_null(strstr(m, "Date: Tue, 25 Nov 2025 10:00:00 +0000\r\n"));
    assert_non_null(strstr(m, "From: Travloc <from@x.test>\r\n"));
    assert_non_null(strstr(m, "To: <to@y.test>\r\n"));
    assert_non_null(strstr(m, "Message-ID: <id-1@travloc>\r\n"));
    assert_non_null(strstr(m, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(m, "8bit\r\n\r\nline 1\r\nline 2\r\n"));
    assert_null(strstr(m, "\n\n"));
    free(m);
    m = mailer_format("a@b.test", "c@d.test", "S", "x", "i", 0, 0);
    assert_non_null(strstr(m, "\n\nx\n"));
    assert_null(strchr(m, '\r'));
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefs_accepts_valid),
        cmocka_unit_test(test_prefs_names_the_field),
        cmocka_unit_test(test_prefs_array_limits),
        cmocka_unit_test(test_attempts_rules),
        cmocka_unit_test(test_mail_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
