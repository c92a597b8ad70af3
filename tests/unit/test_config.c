#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/fsdir.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int parse(config_t *c, int argc, char **argv, char *err)
{
    if (config_init(c, err, 256) < 0)
        return -1;
    return config_parse_args(c, argc, argv, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    unsetenv("TRAVLOC_LISTEN");
    unsetenv("TRAVLOC_DATA_DIR");
    config_t c;
    char err[256];
    assert_int_equal(parse(&c, 0, NULL, err), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.data_dir, "var");
    assert_true(c.threads >= 1);
    assert_int_equal(c.max_body, 1 << 20);
    assert_false(config_is_postgres(&c));
    config_free(&c);
}

static void test_flags_override_env(void **state)
{
    (void)state;
    setenv("TRAVLOC_THREADS", "3", 1);
    config_t c;
    char err[256];
    char *argv[] = {"--threads", "5", "--listen=0.0.0.0:9000", "--log-level", "warn"};
    assert_int_equal(parse(&c, 5, argv, err), 0);
    assert_int_equal(c.threads, 5);
    assert_int_equal(c.listen_port, 9000);
    config_free(&c);
    unsetenv("TRAVLOC_THREADS");
}

static void test_bad_values(void **state)
{
    (void)state;
    config_t c;
    char err[256];
    char *a1[] = {"--threads", "zero"};
    assert_int_equal(parse(&c, 2, a1, err), -1);
    assert_non_null(strstr(err, "--threads"));
    config_free(&c);
    char *a2[] = {"--listen", "nohost"};
    assert_int_equal(parse(&c, 2, a2, err), -1);
    config_free(&c);
    char *a3[] = {"--bogus", "1"};
    assert_int_equal(parse(&c, 2, a3, err), -1);
    assert_non_null(strstr(err, "unknown option"));
    config_free(&c);
    char *a4[] = {"--database-url", "mysql://x"};
    assert_int_equal(parse(&c, 2, a4, err), -1);
    config_free(&c);
    setenv("TRAVLOC_LOG_LEVEL", "loud", 1);
    assert_int_equal(config_init(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "TRAVLOC_LOG_LEVEL"));
    config_free(&c);
    unsetenv("TRAVLOC_LOG_LEVEL");
    char *a5[] = {"--database-url", "postgres://u@h/db"};
    assert_int_equal(parse(&c, 2, a5, err), 0);
    assert_true(config_is_postgres(&c));
    config_free(&c);
}

/* The data directory and its parents are made on first use. */
static void test_fsdir_make(void **state)
{
    (void)state;
    char base[] = "/tmp/travloc-fsdir-XXXXXX";
    assert_non_null(mkdtemp(base));
    char deep[256];
    snprintf(deep, sizeof deep, "%s/a/b/c", base);
    assert_int_equal(fsdir_make(deep), 0);
    struct stat st;
    assert_int_equal(stat(deep, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fsdir_make(deep), 0); /* already there: fine */
    char file[256];
    snprintf(file, sizeof file, "%s/f", base);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char under_file[300];
    snprintf(under_file, sizeof under_file, "%s/x", file);
    assert_int_equal(fsdir_make(under_file), -1); /* a file is in the way */
    assert_int_equal(fsdir_make(""), -1);
    unlink(file);
    for (int i = 0; i < 3; i++) { /* c, b, a */
        rmdir(deep);
        *strrchr(deep, '/') = '\0';
    }
    assert_int_equal(rmdir(base), 0); /* everything it made is gone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flags_override_env),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_fsdir_make),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
