/* Unit tests for messaging/chat_preview.c: the text of a chat
 * notification (clipping by code points, labels per message type). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "messaging/notify_offline.h"

static void test_clip_code_points(void **state)
{
    (void)state;
    char out[64];
    msg_clip("hello", 5, out, sizeof out);
    assert_string_equal(out, "hello");
    msg_clip("hello!", 5, out, sizeof out);
    assert_string_equal(out, "hello\xe2\x80\xa6");
    msg_clip("\xc3\xa9\xc3\xa9\xc3\xa9", 2, out, sizeof out); /* "ééé" */
    assert_string_equal(out, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
    msg_clip("a\nb\tc\x7f", 10, out, sizeof out);
    assert_string_equal(out, "a b c ");
    msg_clip(NULL, 10, out, sizeof out);
    assert_string_equal(out, "");
    msg_clip("", 0, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_clip_small_buffer_keeps_whole_characters(void **state)
{
    (void)state;
    char out[8];
    memset(out, 'x', sizeof out);
    msg_clip("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 100, out, sizeof out); /* "€€€" */
    assert_string_equal(out, "\xe2\x82\xac\xe2\x80\xa6"); /* "€…": 8 bytes hold one € */
    msg_clip("abcdefghij", 100, out, sizeof out);
    assert_string_equal(out, "abcd\xe2\x80\xa6");
    assert_true(strlen(out) < sizeof out);
}

static void test_preview_by_type(void **state)
{
    (void)state;
    char out[MSG_PREVIEW_CAP];
    msg_chat_preview("text", "Ferry at 8", NULL, out, sizeof out);
    assert_string_equal(out, "Ferry at 8");
    msg_chat_preview("location", "", "Old Port", out, sizeof out);
    assert_string_equal(out, "Location: Old Port");
    msg_chat_preview("location", "", NULL, out, sizeof out);
    assert_string_equal(out, "Shared a location");
    msg_chat_preview("media", "Sunset", NULL, out, sizeof out);
    assert_string_equal(out, "Photo: Sunset");
    msg_chat_preview("media", "", NULL, out, sizeof out);
    assert_string_equal(out, "Sent a photo");
    msg_chat_preview("booking", "", NULL, out, sizeof out);
    assert_string_equal(out, "Shared a booking");
}

static void test_preview_long_text(void **state)
{
    (void)state;
    char text[4 * 4000 + 1], out[MSG_PREVIEW_CAP];
    for (int i = 0; i < 4000; i++)
        memcpy(text + 4 * i, "\xf0\x9f\x98\x80", 4); /* 4000 emoji of 4 bytes */
    text[4 * 4000] = '\0';
    msg_chat_preview("text", text, NULL, out, sizeof out);
    assert_int_equal(strlen(out), 4 * MSG_PREVIEW_MAX + 3);
    assert_memory_equal(out + 4 * MSG_PREVIEW_MAX, "\xe2\x80\xa6", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clip_code_points),
        cmocka_unit_test(test_clip_small_buffer_keeps_whole_characters),
        cmocka_unit_test(test_preview_by_type),
        cmocka_unit_test(test_preview_long_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
