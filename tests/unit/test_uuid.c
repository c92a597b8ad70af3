#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "core/uuid.h"

static void test_v7_format_and_order(void **state)
{
    (void)state;
    char prev[UUID_STR_LEN] = "";
    for (int i = 0; i < 10000; i++) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        assert_true(uuid_valid(id));
        assert_int_equal(id[14], '7');                 /* version */
        assert_non_null(strchr("89ab", id[19]));      /* variant */
        assert_true(strcmp(prev, id) < 0);             /* sortable */
        strcpy(prev, id);
    }
}

static int cmp_tail(const void *a, const void *b) { return strcmp(a, b); }

/* The random bits come from a per-thread pool: no byte may be handed out
 * twice, so the random tails of many ids are all different. */
static void test_random_tails_differ(void **state)
{
    (void)state;
    enum { N = 5000 };
    static char tails[N][13];
    for (int i = 0; i < N; i++) {
        char id[UUID_STR_LEN];
        uuid_v7(id);
        memcpy(tails[i], id + 24, 12);
        tails[i][12] = '\0';
    }
    qsort(tails, N, sizeof tails[0], cmp_tail);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(tails[i - 1], tails[i]);
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(uuid_valid("01890a5d-ac96-774b-bcce-b302099a8057"));
    assert_false(uuid_valid("01890a5d-ac96-774b-bcce-b302099a805"));
    assert_false(uuid_valid("01890A5D-ac96-774b-bcce-b302099a8057"));
    assert_false(uuid_valid("01890a5dxac96-774b-bcce-b302099a8057"));
    assert_false(uuid_valid(NULL));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v7_format_and_order),
        cmocka_unit_test(test_random_tails_differ),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
