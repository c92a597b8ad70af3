/* Unit tests for src/realtime/seqorder.c: a room's packets leave in seq
 * order, a gap is waited for at most SEQORDER_HOLD_MS (then the rest go in
 * order), late and first packets go at once, rooms are independent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "realtime/seqorder.h"

static char out[SEQORDER_MAX_HELD + 8][32];
static int nout;

static int record(const char *room, const char *data, size_t len, const char *gid)
{
    snprintf(out[nout++], sizeof out[0], "%s %.*s %s", room, (int)len, data, gid ? gid : "-");
    return 0;
}

static void offer(const char *room, int64_t seq, int64_t now)
{
    char d[16];
    snprintf(d, sizeof d, "m%lld", (long long)seq);
    char gid[16];
    snprintf(gid, sizeof gid, "g%lld", (long long)seq);
    seqorder_offer(room, seq, d, strlen(d), gid, now, record);
}

static void expect(const char *const *want, int n)
{
    assert_int_equal(nout, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(out[i], want[i]);
    nout = 0;
}

static void in_order_and_gaps(void **state)
{
    (void)state;
    seqorder_clear();
    nout = 0;
    offer("conversation:a", 5, 1000); /* first seen: at once */
    offer("conversation:a", 6, 1000);
    expect((const char *[]){"conversation:a m5 g5", "conversation:a m6 g6"}, 2);
    offer("conversation:a", 8, 1001); /* 7 missing: held */
    offer("conversation:a", 9, 1001);
    expect(NULL, 0);
    offer("conversation:b", 1, 1001); /* another room is not held up */
    expect((const char *[]){"conversation:b m1 g1"}, 1);
    offer("conversation:a", 7, 1002); /* the gap fills: 7, 8, 9 */
    expect((const char *[]){"conversation:a m7 g7", "conversation:a m8 g8", "conversation:a m9 g9"}, 3);
    offer("conversation:a", 9, 1003); /* at or below the last: at once */
    expect((const char *[]){"conversation:a m9 g9"}, 1);
    seqorder_clear();
}

static void a_gap_that_never_fills(void **state)
{
    (void)state;
    seqorder_clear();
    nout = 0;
    offer("conversation:a", 1, 1000);
    offer("conversation:a", 4, 1000);
    offer("conversation:a", 3, 1100);
    expect((const char *[]){"conversation:a m1 g1"}, 1);
    seqorder_sweep(1000 + SEQORDER_HOLD_MS - 1, record); /* not yet */
    expect(NULL, 0);
    seqorder_sweep(1000 + SEQORDER_HOLD_MS, record); /* 2 given up: 3, 4 in order */
    expect((const char *[]){"conversation:a m3 g3", "conversation:a m4 g4"}, 2);
    offer("conversation:a", 2, 1300); /* late after all: out at once */
    offer("conversation:a", 5, 1300);
    expect((const char *[]){"conversation:a m2 g2", "conversation:a m5 g5"}, 2);
    /* Quiet rooms are forgotten: the next packet is a first one. */
    seqorder_sweep(1300 + SEQORDER_IDLE_MS, record);
    offer("conversation:a", 9, 1300 + SEQORDER_IDLE_MS);
    expect((const char *[]){"conversation:a m9 g9"}, 1);
    seqorder_clear();
}

static void too_many_held(void **state)
{
    (void)state;
    seqorder_clear();
    nout = 0;
    offer("conversation:c", 1, 0);
    nout = 0;
    for (int i = 0; i < SEQORDER_MAX_HELD; i++)
        seqorder_offer("conversation:c", 3 + i, "x", 1, NULL, 0, record);
    assert_int_equal(nout, 0);
    seqorder_offer("conversation:c", 3 + SEQORDER_MAX_HELD, "x", 1, NULL, 0, record);
    assert_int_equal(nout, SEQORDER_MAX_HELD + 1); /* all let go, in order */
    nout = 0;
    seqorder_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order_and_gaps),
        cmocka_unit_test(a_gap_that_never_fills),
        cmocka_unit_test(too_many_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
