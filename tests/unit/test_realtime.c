/* Unit tests for the pure parts of realtime/: the string hash map, sid
 * routing, room names, and the event log + recovery store (driven without
 * loops: fan-out posts are refused, a closed session swallows replays).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realtime/rt_int.h"

static void test_hmap(void **state)
{
    (void)state;
    hmap_t m = HMAP_INIT;
    char key[32];
    static int vals[1000];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_null(hmap_put(&m, key, &vals[i]));
    }
    assert_int_equal(m.count, 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_ptr_equal(hmap_get(&m, key), &vals[i]);
    }
    assert_null(hmap_get(&m, "nope"));
    assert_ptr_equal(hmap_put(&m, "k5", &vals[6]), &vals[5]);
    assert_ptr_equal(hmap_del(&m, "k5"), &vals[6]);
    assert_null(hmap_del(&m, "k5"));
    assert_int_equal(m.count, 999);
    hmap_free(&m, NULL);
    assert_int_equal(m.count, 0);
}

static void test_sid_owner(void **state)
{
    (void)state;
    RT.nloops = 3;
    assert_int_equal(rt_sid_owner("00abcdefghijklmnopqr"), 0);
    assert_int_equal(rt_sid_owner("02abcdefghijklmnop-_"), 2);
    assert_int_equal(rt_sid_owner("03abcdefghijklmnopqr"), -1); /* no such loop */
    assert_int_equal(rt_sid_owner("0Aabcdefghijklmnopqr"), -1); /* hex is lower case */
    assert_int_equal(rt_sid_owner("00abcdefghijklmnopq"), -1);  /* short */
    assert_int_equal(rt_sid_owner("00abcdefghijklmnopq!"), -1);
    assert_int_equal(rt_sid_owner(NULL), -1);
    RT.nloops = 0;
}

static void test_room_names(void **state)
{
    (void)state;
    assert_true(rt_room_name_ok("user:0192f3a4-aaaa"));
    assert_true(rt_room_name_ok("conversation:x.y_z"));
    assert_false(rt_room_name_ok("user:"));
    assert_false(rt_room_name_ok(":x"));
    assert_false(rt_room_name_ok("nocolon"));
    assert_false(rt_room_name_ok("a b:c"));
    assert_false(rt_room_name_ok("a:\xc3\xa9"));
    char longname[200];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    longname[3] = ':';
    assert_false(rt_room_name_ok(longname));
}

/* A socket on a fake loop whose closed session swallows sends. */
typedef struct {
    rt_loop_t lp;
    rt_session_t s;
    rt_socket_t sock;
} fake_t;

static void fake_init(fake_t *f, const char *user)
{
    memset(f, 0, sizeof *f);
    f->s.lp = &f->lp;
    f->s.closed = true;
    f->sock.s = &f->s;
    snprintf(f->sock.user_id, sizeof f->sock.user_id, "%s", user);
    snprintf(f->sock.id, sizeof f->sock.id, "sock-id");
    snprintf(f->sock.pid, sizeof f->sock.pid, "pid-of-%s", user);
}

static void fake_free(fake_t *f)
{
    rt_room_leave_all(&f->sock);
    hmap_free(&f->lp.rooms, NULL);
}

static void test_log_and_recovery(void **state)
{
    (void)state;
    RT.cfg.recovery_ms = 60000;
    rt_recovery_init();
    fake_t a;
    fake_init(&a, "alice");
    assert_int_equal(rt_log_attach(&a.sock, NULL, NULL), 0);
    assert_int_equal(a.sock.min_offset, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rt_log_publish("user:alice", "42[\"e\",\"", 8, NULL), 0);
    assert_true(rt_room_join(&a.sock, "user:alice"));
    assert_false(rt_room_join(&a.sock, "user:alice"));
    assert_true(rt_room_join(&a.sock, "trip:1"));
    rt_recovery_save(&a.sock);

    rt_recovered_t rec = {0};
    assert_false(rt_recovery_take("pid-of-alice", "mallory", &rec)); /* not hers */
    assert_false(rt_recovery_take("no-such-pid", "alice", &rec));
    assert_true(rt_recovery_take("pid-of-alice", "alice", &rec));
    rt_recovered_t again = {0};
    assert_false(rt_recovery_take("pid-of-alice", "alice", &again));
    assert_string_equal(rec.id, "sock-id");
    assert_int_equal(rec.nrooms, 2);
    assert_int_equal(rec.base_offset, 0);

    fake_t b;
    fake_init(&b, "alice");
    assert_int_equal(rt_log_attach(&b.sock, &rec, "99"), -1);  /* offset from the future */
    assert_null(b.sock.rooms);
    assert_int_equal(rt_log_attach(&b.sock, &rec, "0a0b-7"), -1); /* an id not in the log */
    assert_null(b.sock.rooms);
    assert_int_equal(rt_log_attach(&b.sock, &rec, "1"), 0);
    assert_true(rt_room_is_member(&b.sock, "trip:1"));
    assert_true(rt_room_is_member(&b.sock, "user:alice"));
    assert_int_equal(b.sock.min_offset, 3);
    assert_int_equal(b.sock.base_offset, 1);
    rt_recovered_clear(&rec);

    /* Cluster-wide ids: the offset names an entry, wherever it is. */
    assert_int_equal(rt_log_publish("trip:1", "42[\"e\",\"", 8, "0a0b-7"), 0);
    assert_int_equal(rt_log_publish("trip:1", "42[\"e\",\"", 8, "0a0b-8"), 0);
    rt_recovered_t r2 = {.base_offset = 0};
    snprintf(r2.user_id, sizeof r2.user_id, "alice");
    fake_t c;
    fake_init(&c, "alice");
    assert_int_equal(rt_log_attach(&c.sock, &r2, "0a0b-7"), 0);
    assert_int_equal(c.sock.base_offset, 4);
    assert_int_equal(c.sock.min_offset, 5);
    fake_free(&c);

    /* A record older than the window is gone. */
    RT.cfg.recovery_ms = 1;
    rt_recovery_save(&b.sock);
    rt_recovery_sweep(INT64_MAX / 2);
    assert_false(rt_recovery_take("pid-of-alice", "alice", &rec));
    fake_free(&a);
    fake_free(&b);
    rt_recovery_fini();
}

static void test_deflate(void **state)
{
    (void)state;
    char text[20000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = "travloc realtime "[i % 17];
    buf_t z = BUF_INIT, back = BUF_INIT;
    for (int round = 0; round < 3; round++) { /* streams are reused */
        assert_int_equal(rt_deflate_msg((const uint8_t *)text, sizeof text, &z), 0);
        assert_true(z.len < sizeof text / 10);
        assert_int_equal(rt_inflate_msg((const uint8_t *)z.data, z.len, sizeof text, &back), 0);
        assert_int_equal(back.len, sizeof text);
        assert_memory_equal(back.data, text, sizeof text);
    }
    /* Bounded: the same data with a smaller limit is refused. */
    assert_int_equal(rt_inflate_msg((const uint8_t *)z.data, z.len, 1000, &back), -2);
    /* Garbage is an error, not a crash. */
    const uint8_t junk[] = {0xff, 0xfe, 0x01, 0x02, 0x03};
    assert_int_equal(rt_inflate_msg(junk, sizeof junk, 1000, &back), -1);
    buf_free(&z);
    buf_free(&back);
    rt_deflate_thread_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmap),
        cmocka_unit_test(test_sid_owner),
        cmocka_unit_test(test_room_names),
        cmocka_unit_test(test_log_and_recovery),
        cmocka_unit_test(test_deflate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
