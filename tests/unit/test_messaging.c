/* Unit tests for src/messaging/: message status from the members'
 * delivered and read positions (msg_status), and publish order (order.c,
 * with realtime_publish replaced by a recorder defined here). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "messaging/members_cache.h"
#include "messaging/msg_int.h"
#include "realtime/realtime.h"

#include <stdio.h>

/* The recorder: "room event text" of each publish, in order. */
static char published[16][128];
static int npublished;

int realtime_publish(const char *room, const char *event, json_t *payload)
{
    if (npublished < 16)
        snprintf(published[npublished++], sizeof published[0], "%s %s %s", room, event,
                 json_string_value(json_object_get(payload, "text")));
    return 0;
}

static void release(msg_ticket_t *t, const char *text)
{
    json_t *p = text ? json_pack("{s:s}", "text", text) : NULL;
    msg_order_release(t, "message:new", p);
    json_decref(p);
}

static void order_follows_tickets(void **state)
{
    (void)state;
    npublished = 0;
    msg_ticket_t *a1 = msg_order_take("A"), *a2 = msg_order_take("A");
    msg_ticket_t *b1 = msg_order_take("B"), *a3 = msg_order_take("A"), *a4 = msg_order_take("A");
    release(a3, "a3");
    release(a2, "a2");
    assert_int_equal(npublished, 0); /* a1 is still in flight */
    release(b1, "b1");
    assert_int_equal(npublished, 1); /* another conversation does not wait */
    assert_string_equal(published[0], "conversation:B message:new b1");
    release(a1, NULL);               /* rolled back: nothing to publish */
    assert_int_equal(npublished, 3);
    assert_string_equal(published[1], "conversation:A message:new a2");
    assert_string_equal(published[2], "conversation:A message:new a3");
    release(a4, "a4");
    assert_int_equal(npublished, 4);
    assert_string_equal(published[3], "conversation:A message:new a4");
    msg_ticket_t *again = msg_order_take("A"); /* the emptied queue was freed and starts anew */
    release(again, "a5");
    assert_int_equal(npublished, 5);
}

static void status_direct(void **state)
{
    (void)state;
    msg_pos_t p[] = {{"alice", 5, 5}, {"bob", 0, 0}};
    assert_string_equal(msg_status(p, 2, "alice", 3), "SENT");
    p[1].delivered = 3;
    assert_string_equal(msg_status(p, 2, "alice", 3), "DELIVERED");
    assert_string_equal(msg_status(p, 2, "alice", 4), "SENT");
    p[1].read = 3;
    assert_string_equal(msg_status(p, 2, "alice", 3), "READ");
    assert_string_equal(msg_status(p, 2, "alice", 2), "READ");
    /* The sender's own positions never count. */
    assert_string_equal(msg_status(p, 2, "bob", 5), "READ");
    assert_string_equal(msg_status(p, 2, "bob", 6), "SENT");
}

static void status_group_needs_everyone(void **state)
{
    (void)state;
    msg_pos_t p[] = {{"a", 9, 9}, {"b", 7, 7}, {"c", 7, 2}};
    assert_string_equal(msg_status(p, 3, "a", 7), "DELIVERED"); /* c has not read 7 */
    assert_string_equal(msg_status(p, 3, "a", 2), "READ");
    assert_string_equal(msg_status(p, 3, "a", 8), "SENT");
    /* Read implies delivered even when the delivered position lags. */
    msg_pos_t q[] = {{"a", 0, 0}, {"b", 1, 4}};
    assert_string_equal(msg_status(q, 2, "a", 4), "READ");
}

static void status_alone(void **state)
{
    (void)state;
    msg_pos_t p[] = {{"a", 3, 3}};
    assert_string_equal(msg_status(p, 1, "a", 3), "SENT");
    assert_string_equal(msg_status(NULL, 0, "a", 1), "SENT");
}

/* ---- members_cache ---- */

static const char *online_set[8];
static bool is_online(const char *uid)
{
    for (int i = 0; i < 8 && online_set[i]; i++)
        if (strcmp(online_set[i], uid) == 0)
            return true;
    return false;
}

static void members_cache_by_generation(void **state)
{
    (void)state;
    members_cache_clear();
    const char *cid = "0190aaaa-0000-7000-8000-000000000001";
    const char *ids[] = {"alice", "bob", "carol"};
    online_set[0] = "bob";
    online_set[1] = "carol";
    online_set[2] = NULL;
    assert_false(members_cache_all(cid, 1, "alice", is_online)); /* nothing cached */
    members_cache_put(cid, 1, ids, 3);
    assert_true(members_cache_all(cid, 1, "alice", is_online));  /* the sender is skipped */
    assert_false(members_cache_all(cid, 1, "bob", is_online));   /* alice is offline */
    assert_false(members_cache_all(cid, 2, "alice", is_online)); /* another generation: miss */
    assert_false(members_cache_all("0190aaaa-0000-7000-8000-000000000002", 1, "alice", is_online));
    /* A new generation replaces the list: dave joined and is offline. */
    const char *more[] = {"alice", "bob", "carol", "dave"};
    members_cache_put(cid, 2, more, 4);
    assert_false(members_cache_all(cid, 2, "alice", is_online));
    assert_false(members_cache_all(cid, 1, "alice", is_online));
    online_set[2] = "dave";
    online_set[3] = NULL;
    assert_true(members_cache_all(cid, 2, "alice", is_online));
    members_cache_clear();
    assert_false(members_cache_all(cid, 2, "alice", is_online));
}

static void members_cache_bounds(void **state)
{
    (void)state;
    members_cache_clear();
    const char *cid = "0190aaaa-0000-7000-8000-000000000003";
    const char *big[MEMBERS_CACHE_MAX + 1];
    for (int i = 0; i <= MEMBERS_CACHE_MAX; i++)
        big[i] = "bob";
    online_set[0] = "bob";
    online_set[1] = NULL;
    members_cache_put(cid, 7, big, MEMBERS_CACHE_MAX + 1); /* too large: not kept */
    assert_false(members_cache_all(cid, 7, NULL, is_online));
    members_cache_put(cid, 7, big, MEMBERS_CACHE_MAX);
    assert_true(members_cache_all(cid, 7, NULL, is_online));
    const char *bad[] = {"bob", NULL};
    members_cache_put(cid, 8, bad, 2); /* a NULL id: not kept, old entry stays */
    assert_false(members_cache_all(cid, 8, NULL, is_online));
    assert_true(members_cache_all(cid, 7, NULL, is_online));
    members_cache_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_direct),
        cmocka_unit_test(status_group_needs_everyone),
        cmocka_unit_test(status_alone),
        cmocka_unit_test(order_follows_tickets),
        cmocka_unit_test(members_cache_by_generation),
        cmocka_unit_test(members_cache_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
