/* Unit tests for realtime/eio.c: every example of the Engine.IO protocol v4
 * document (github.com/socketio/engine.io-protocol, README.md), quoted,
 * plus the Engine.IO side of the Socket.IO document's sample session,
 * round trips, malformed input and a mutation fuzz loop (fixed seed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realtime/eio.h"

#define S(lit) (const uint8_t *)(lit), (sizeof(lit) - 1)

static void assert_packet(const eio_packet_t *p, eio_type_t type, bool binary,
                          const void *data, size_t len)
{
    assert_int_equal(p->type, type);
    assert_int_equal(p->binary, binary);
    assert_int_equal(p->len, len);
    if (len)
        assert_memory_equal(p->data, data, len);
}

/* Decode a payload given as a literal (copied: decoding is in place). */
static int decode_lit(const char *lit, size_t n, uint8_t *buf, eio_packet_t *out,
                      size_t max, size_t *count)
{
    memcpy(buf, lit, n);
    return eio_payload_decode(buf, n, out, max, count);
}

/* ---- The spec's examples. ---- */

static void test_spec_handshake(void **state)
{
    (void)state;
    /* "Example:
     *  {
     *    "sid": "lv_VI97HAXpY6yYWAAAC",
     *    "upgrades": ["websocket"],
     *    "pingInterval": 25000,
     *    "pingTimeout": 20000,
     *    "maxPayload": 1000000
     *  }" */
    static const char doc[] = "{\n  \"sid\": \"lv_VI97HAXpY6yYWAAAC\",\n"
                              "  \"upgrades\": [\"websocket\"],\n"
                              "  \"pingInterval\": 25000,\n  \"pingTimeout\": 20000,\n"
                              "  \"maxPayload\": 1000000\n}";
    eio_open_t o;
    assert_int_equal(eio_open_decode(S(doc), &o), 0);
    assert_string_equal(o.sid, "lv_VI97HAXpY6yYWAAAC");
    assert_int_equal(o.upgrades, EIO_UPGRADE_WEBSOCKET);
    assert_int_equal(o.ping_interval_ms, 25000);
    assert_int_equal(o.ping_timeout_ms, 20000);
    assert_int_equal(o.max_payload, 1000000);
    char buf[EIO_OPEN_MAX];
    size_t n;
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), 0);
    static const char want[] = "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
                               "\"pingInterval\":25000,\"pingTimeout\":20000,"
                               "\"maxPayload\":1000000}";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(buf, want, n);

    /* Socket.IO sample session, request n°1 (open packet):
     * 0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,
     *   "pingTimeout":5000,"maxPayload":1000000} */
    static const char req1[] = "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
                               "\"pingInterval\":25000,\"pingTimeout\":5000,"
                               "\"maxPayload\":1000000}";
    uint8_t body[256];
    eio_packet_t p[4];
    size_t count;
    assert_int_equal(decode_lit(req1, sizeof req1 - 1, body, p, 4, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(p[0].type, EIO_OPEN);
    assert_int_equal(eio_open_decode(p[0].data, p[0].len, &o), 0);
    assert_int_equal(o.ping_timeout_ms, 5000);
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), 0);
    assert_int_equal(n, sizeof req1 - 1);
    assert_memory_equal(buf, req1, n);
}

static void test_spec_heartbeat_and_upgrade(void **state)
{
    (void)state;
    eio_packet_t p;
    /* Heartbeat: "2" (ping packet), "3" (pong packet). */
    assert_int_equal(eio_ws_decode(S("2"), false, &p), 0);
    assert_packet(&p, EIO_PING, false, NULL, 0);
    assert_int_equal(eio_ws_decode(S("3"), false, &p), 0);
    assert_packet(&p, EIO_PONG, false, NULL, 0);
    /* Upgrade: "2probe" (ping packet), "3probe" (pong packet), "5" (upgrade
     * packet); the server "send[s] a noop packet to any pending GET". */
    assert_int_equal(eio_ws_decode(S("2probe"), false, &p), 0);
    assert_packet(&p, EIO_PING, false, "probe", 5);
    uint8_t out[16];
    size_t n;
    bool bin;
    eio_packet_t pong = {EIO_PONG, false, (const uint8_t *)"probe", 5};
    assert_int_equal(eio_ws_encode(&pong, out, sizeof out, &n, &bin), 0);
    assert_false(bin);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "3probe", 6);
    assert_int_equal(eio_ws_decode(S("5"), false, &p), 0);
    assert_packet(&p, EIO_UPGRADE, false, NULL, 0);
    eio_packet_t noop = {EIO_NOOP, false, NULL, 0};
    assert_int_equal(eio_payload_encode(&noop, 1, out, sizeof out, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], '6');
    /* "1" (close). */
    assert_int_equal(eio_ws_decode(S("1"), false, &p), 0);
    assert_packet(&p, EIO_CLOSE, false, NULL, 0);
}

static void test_spec_polling(void **state)
{
    (void)state;
    uint8_t body[64], out[64];
    eio_packet_t p[8];
    size_t count, n;
    /* "4hello\x1e2\x1e4world" */
    static const char ex1[] = "4hello\x1e" "2\x1e" "4world";
    assert_int_equal(decode_lit(ex1, sizeof ex1 - 1, body, p, 8, &count), 0);
    assert_int_equal(count, 3);
    assert_packet(&p[0], EIO_MESSAGE, false, "hello", 5);
    assert_packet(&p[1], EIO_PING, false, NULL, 0);
    assert_packet(&p[2], EIO_MESSAGE, false, "world", 5);
    eio_packet_t enc1[3] = {{EIO_MESSAGE, false, (const uint8_t *)"hello", 5},
                            {EIO_PING, false, NULL, 0},
                            {EIO_MESSAGE, false, (const uint8_t *)"world", 5}};
    assert_int_equal(eio_payload_encoded_len(enc1, 3), sizeof ex1 - 1);
    assert_int_equal(eio_payload_encode(enc1, 3, out, sizeof out, &n), 0);
    assert_int_equal(n, sizeof ex1 - 1);
    assert_memory_equal(out, ex1, n);

    /* "4hello\x1ebAQIDBA==" : b => binary prefix, AQIDBA== => <01 02 03 04> */
    static const char ex2[] = "4hello\x1e" "bAQIDBA==";
    static const uint8_t bytes[] = {1, 2, 3, 4};
    assert_int_equal(decode_lit(ex2, sizeof ex2 - 1, body, p, 8, &count), 0);
    assert_int_equal(count, 2);
    assert_packet(&p[0], EIO_MESSAGE, false, "hello", 5);
    assert_packet(&p[1], EIO_MESSAGE, true, bytes, 4);
    eio_packet_t enc2[2] = {{EIO_MESSAGE, false, (const uint8_t *)"hello", 5},
                            {EIO_MESSAGE, true, bytes, 4}};
    assert_int_equal(eio_payload_encode(enc2, 2, out, sizeof out, &n), 0);
    assert_int_equal(n, sizeof ex2 - 1);
    assert_memory_equal(out, ex2, n);

    /* Socket.IO sample session, request n°5: 42["hello"]\x1e42["world"] */
    static const char ex3[] = "42[\"hello\"]\x1e" "42[\"world\"]";
    assert_int_equal(decode_lit(ex3, sizeof ex3 - 1, body, p, 8, &count), 0);
    assert_int_equal(count, 2);
    assert_packet(&p[0], EIO_MESSAGE, false, "2[\"hello\"]", 10);
    assert_packet(&p[1], EIO_MESSAGE, false, "2[\"world\"]", 10);

    /* History: "`€` was encoded to `2:4€`" in v3; v4 counts nothing. */
    static const char ex4[] = "4\xe2\x82\xac";
    assert_int_equal(decode_lit(ex4, sizeof ex4 - 1, body, p, 8, &count), 0);
    assert_packet(&p[0], EIO_MESSAGE, false, "\xe2\x82\xac", 3);
}

static void test_spec_websocket(void **state)
{
    (void)state;
    /* "4hello" : message packet type, message payload (UTF-8 encoded) */
    eio_packet_t p;
    assert_int_equal(eio_ws_decode(S("4hello"), false, &p), 0);
    assert_packet(&p, EIO_MESSAGE, false, "hello", 5);
    /* "Binary payloads are sent as is, without modification." */
    static const uint8_t bytes[] = {1, 2, 3, 4};
    assert_int_equal(eio_ws_decode(bytes, 4, true, &p), 0);
    assert_packet(&p, EIO_MESSAGE, true, bytes, 4);
    uint8_t out[8];
    size_t n;
    bool bin;
    assert_int_equal(eio_ws_encode(&p, out, sizeof out, &n, &bin), 0);
    assert_true(bin && n == 4);
    assert_memory_equal(out, bytes, 4);
    eio_packet_t hello = {EIO_MESSAGE, false, (const uint8_t *)"hello", 5};
    assert_int_equal(eio_ws_encoded_len(&hello), 6);
    assert_int_equal(eio_ws_encode(&hello, out, sizeof out, &n, &bin), 0);
    assert_false(bin);
    assert_memory_equal(out, "4hello", 6);
    assert_int_equal(eio_ws_encode(&hello, out, 5, &n, &bin), -ENOSPC);
    /* Sample session WebSocket frames. */
    static const char *frames[] = {"2probe", "3probe", "5", "42[\"hello\"]", "42[\"world\"]",
                                   "40/admin,", "40/admin,{\"sid\":\"-G5j-67EZFp-q59rADQM\"}",
                                   "42/admin,1[\"tellme\"]",
                                   "461-/admin,1[{\"_placeholder\":true,\"num\":0}]", "2",
                                   "3", "1"};
    static const eio_type_t types[] = {EIO_PING, EIO_PONG, EIO_UPGRADE, EIO_MESSAGE,
                                       EIO_MESSAGE, EIO_MESSAGE, EIO_MESSAGE, EIO_MESSAGE,
                                       EIO_MESSAGE, EIO_PING, EIO_PONG, EIO_CLOSE};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        size_t len = strlen(frames[i]);
        assert_int_equal(eio_ws_decode((const uint8_t *)frames[i], len, false, &p), 0);
        assert_int_equal(p.type, types[i]);
        assert_int_equal(p.len, len - 1);
        assert_int_equal(eio_ws_encode(&p, out, 0, &n, &bin), -ENOSPC);
    }
}

/* ---- Validation. ---- */

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        size_t len;
        int rc;
    } bad[] = {
        {"", 0, -EINVAL},
        {"\x1e", 1, -EINVAL},
        {"4a\x1e", 3, -EINVAL},          /* trailing separator: empty packet */
        {"4a\x1e\x1e" "2", 5, -EINVAL},  /* empty packet in the middle */
        {"7", 1, -EINVAL},
        {"x", 1, -EINVAL},
        {"/", 1, -EINVAL},
        {"4\xff", 2, -EINVAL},           /* invalid UTF-8 */
        {"4\xc0\x80", 3, -EINVAL},       /* overlong NUL */
        {"4\xed\xa0\x80", 4, -EINVAL},   /* surrogate */
        {"4\xf4\x90\x80\x80", 5, -EINVAL}, /* above U+10FFFF */
        {"4\xe2\x82", 3, -EINVAL},       /* truncated */
        {"b!!!!", 5, -EINVAL},
        {"bAQIDBA=", 8, -EINVAL},        /* padding on a 7-character group */
        {"bA", 2, -EINVAL},              /* one character */
        {"bAQ=A", 5, -EINVAL},
        {"bAR==", 5, -EINVAL},
        {"bA===", 5, -EINVAL},
        {"bAB==", 5, -EINVAL},
        {"bAB", 3, -EINVAL},             /* non-zero unused bits */
        {"b====", 5, -EINVAL},
        {"bAQID\nBA==", 10, -EINVAL},
    };
    uint8_t body[64];
    eio_packet_t p[4];
    size_t count;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = decode_lit(bad[i].body, bad[i].len, body, p, 4, &count);
        if (rc != bad[i].rc)
            fail_msg("payload #%zu: rc %d, want %d", i, rc, bad[i].rc);
    }
    /* Unpadded base64 and empty binary are fine. */
    assert_int_equal(decode_lit("bAQIDBA", 7, body, p, 4, &count), 0);
    assert_int_equal(p[0].len, 4);
    assert_int_equal(decode_lit("b", 1, body, p, 4, &count), 0);
    assert_true(p[0].binary && p[0].len == 0);
    /* More packets than room. */
    assert_int_equal(decode_lit("2\x1e" "2\x1e" "2", 5, body, p, 2, &count), -E2BIG);
    assert_int_equal(decode_lit("2\x1e" "2\x1e" "2", 5, body, p, 3, &count), 0);
    assert_int_equal(count, 3);
    /* WebSocket text frames. */
    assert_int_equal(eio_ws_decode(NULL, 0, false, &p[0]), -EINVAL);
    assert_int_equal(eio_ws_decode(S("bAQIDBA=="), false, &p[0]), -EINVAL);
    assert_int_equal(eio_ws_decode(S("4\xff"), false, &p[0]), -EINVAL);
    assert_int_equal(eio_ws_decode(NULL, 0, true, &p[0]), 0); /* empty binary */
    /* Encoding refuses what could not be decoded again. */
    uint8_t out[64];
    size_t n;
    eio_packet_t rs = {EIO_MESSAGE, false, (const uint8_t *)"a\x1e" "b", 3};
    assert_int_equal(eio_payload_encode(&rs, 1, out, sizeof out, &n), -EINVAL);
    eio_packet_t binping = {EIO_PING, true, (const uint8_t *)"x", 1};
    assert_int_equal(eio_payload_encode(&binping, 1, out, sizeof out, &n), -EINVAL);
    eio_packet_t badtype = {(eio_type_t)9, false, NULL, 0};
    assert_int_equal(eio_payload_encode(&badtype, 1, out, sizeof out, &n), -EINVAL);
    eio_packet_t badutf = {EIO_MESSAGE, false, (const uint8_t *)"\xff", 1};
    assert_int_equal(eio_payload_encode(&badutf, 1, out, sizeof out, &n), -EINVAL);
    eio_packet_t ok = {EIO_MESSAGE, false, (const uint8_t *)"hello", 5};
    assert_int_equal(eio_payload_encode(&ok, 1, out, 5, &n), -ENOSPC);
    assert_int_equal(eio_payload_encode(&ok, 0, out, 5, &n), -EINVAL);
}

static void test_open_validation(void **state)
{
    (void)state;
    eio_open_t o = {.sid = "abc", .upgrades = EIO_UPGRADE_WEBSOCKET | EIO_UPGRADE_WEBTRANSPORT,
                    .ping_interval_ms = 300, .ping_timeout_ms = 200, .max_payload = 1000000};
    char buf[EIO_OPEN_MAX];
    size_t n;
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), 0);
    assert_string_equal(buf, "0{\"sid\":\"abc\",\"upgrades\":[\"websocket\",\"webtransport\"],"
                             "\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000}");
    eio_open_t back;
    assert_int_equal(eio_open_decode((const uint8_t *)buf + 1, n - 1, &back), 0);
    assert_string_equal(back.sid, o.sid);
    assert_int_equal(back.upgrades, o.upgrades);
    assert_int_equal(back.ping_interval_ms, o.ping_interval_ms);
    assert_int_equal(back.ping_timeout_ms, o.ping_timeout_ms);
    assert_int_equal(back.max_payload, o.max_payload);
    o.upgrades = 0;
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), 0);
    assert_non_null(strstr(buf, "\"upgrades\":[]"));
    assert_int_equal(eio_open_encode(&o, buf, 20, &n), -ENOSPC);
    strcpy(o.sid, "a\"b");
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), -EINVAL);
    strcpy(o.sid, "");
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), -EINVAL);
    strcpy(o.sid, "ok");
    o.upgrades = 8;
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), -EINVAL);
    o.upgrades = 0;
    o.max_payload = UINT64_C(1) << 53;
    assert_int_equal(eio_open_encode(&o, buf, sizeof buf, &n), -EINVAL);
    static const char *bad[] = {
        "", "[]", "{}", "{\"sid\":\"x\"}",
        "{\"sid\":1,\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":1,\"maxPayload\":1}",
        "{\"sid\":\"a b\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":1,\"maxPayload\":1}",
        "{\"sid\":\"x\",\"upgrades\":\"websocket\",\"pingInterval\":1,\"pingTimeout\":1,"
        "\"maxPayload\":1}",
        "{\"sid\":\"x\",\"upgrades\":[1],\"pingInterval\":1,\"pingTimeout\":1,\"maxPayload\":1}",
        "{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":-1,\"pingTimeout\":1,\"maxPayload\":1}",
        "{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":1.5,\"pingTimeout\":1,\"maxPayload\":1}",
        "{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":4294967296,\"pingTimeout\":1,"
        "\"maxPayload\":1}",
        "{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":1,"
        "\"maxPayload\":9007199254740992}",
        "{\"sid\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\","
        "\"upgrades\":[],\"pingInterval\":1,\"pingTimeout\":1,\"maxPayload\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(eio_open_decode((const uint8_t *)bad[i], strlen(bad[i]), &back),
                         -EINVAL);
    /* Unknown transports are ignored. */
    static const char fut[] = "{\"sid\":\"x\",\"upgrades\":[\"carrier-pigeon\"],"
                              "\"pingInterval\":1,\"pingTimeout\":2,\"maxPayload\":3}";
    assert_int_equal(eio_open_decode(S(fut), &back), 0);
    assert_int_equal(back.upgrades, 0);
}

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void test_base64_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 5;
    uint8_t src[100] = {0}, back[100];
    char enc[200];
    for (size_t n = 0; n < sizeof src; n++) {
        for (size_t i = 0; i < n; i++)
            src[i] = (uint8_t)rng(&seed);
        eio_base64_encode(src, n, enc);
        size_t el = eio_base64_len(n), bl = 0;
        assert_int_equal(el % 4, 0);
        assert_int_equal(eio_base64_decode(enc, el, back, &bl), 0);
        assert_int_equal(bl, n);
        if (n)
            assert_memory_equal(back, src, n);
        /* In place, as eio_payload_decode() does. */
        assert_int_equal(eio_base64_decode(enc, el, (uint8_t *)enc, &bl), 0);
        if (n)
            assert_memory_equal(enc, src, n);
    }
    size_t bl;
    assert_int_equal(eio_base64_decode("AQIDBA==", 8, back, &bl), 0);
    assert_int_equal(bl, 4);
    assert_true(eio_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4)); /* emoji */
    assert_false(eio_utf8_valid((const uint8_t *)"\xf0\x9f\x98", 3));
}

/* Random bodies and mutations of valid ones: never crash; decoded packets
 * stay inside the body and re-encode to a payload that decodes the same. */
static void test_fuzz(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "4hello\x1e" "2\x1e" "4world", "4hello\x1e" "bAQIDBA==", "42[\"hello\"]\x1e" "42[\"world\"]",
        "2probe", "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"]}",
        "6", "b", "4\xe2\x82\xac",
    };
    uint64_t seed = 1234;
    uint8_t body[128], again[512];
    eio_packet_t p[32], q[32];
    int accepted = 0;
    for (int iter = 0; iter < 30000; iter++) {
        size_t n;
        if (iter % 3 == 0) {
            n = rng(&seed) % 40;
            for (size_t i = 0; i < n; i++)
                body[i] = iter % 2 ? (uint8_t)rng(&seed)
                                   : (uint8_t)"0123456b4AQ=\x1e/+\xe2\x82"[rng(&seed) % 16];
        } else {
            const char *s = seeds[rng(&seed) % (sizeof seeds / sizeof seeds[0])];
            n = strlen(s);
            memcpy(body, s, n);
            for (int e = 0; e < 1 + (int)(rng(&seed) % 3) && n; e++)
                body[rng(&seed) % n] = (uint8_t)rng(&seed);
            if (rng(&seed) % 4 == 0)
                n = rng(&seed) % (n + 1);
        }
        size_t count;
        uint8_t copy[128];
        memcpy(copy, body, n);
        if (eio_payload_decode(body, n, p, 32, &count) != 0)
            continue;
        accepted++;
        for (size_t i = 0; i < count; i++)
            if (p[i].len)
                assert_true(p[i].data >= body && p[i].data + p[i].len <= body + n);
        size_t w;
        assert_int_equal(eio_payload_encode(p, count, again, sizeof again, &w), 0);
        size_t count2;
        assert_int_equal(eio_payload_decode(again, w, q, 32, &count2), 0);
        assert_int_equal(count2, count);
        for (size_t i = 0; i < count; i++)
            assert_packet(&q[i], p[i].type, p[i].binary, p[i].data, p[i].len);
        eio_packet_t ws;
        (void)eio_ws_decode(copy, n, false, &ws);
    }
    assert_true(accepted > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_handshake),
        cmocka_unit_test(test_spec_heartbeat_and_upgrade),
        cmocka_unit_test(test_spec_polling),
        cmocka_unit_test(test_spec_websocket),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_open_validation),
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
