/* Unit tests for realtime/sio.c: every example of the Socket.IO protocol v5
 * document (github.com/socketio/socket.io-protocol, Readme.md), quoted,
 * including its sample session (with realtime/eio.c), round trips,
 * malformed input, limits, the attachment state machine and a mutation
 * fuzz loop (fixed seed).
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
#include "realtime/sio.h"

static json_t *js(const char *text)
{
    if (!text)
        return NULL;
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    if (!j)
        fail_msg("bad test JSON %s: %s", text, err.text);
    return j;
}

static sio_packet_t *mk(sio_type_t type, const char *nsp, int64_t id, const char *json)
{
    sio_packet_t *p = NULL;
    assert_int_equal(sio_packet_new(type, nsp, id, js(json), &p), 0);
    return p;
}

static const uint8_t B1234[] = {1, 2, 3, 4}, B12[] = {1, 2}, B34[] = {3, 4};

/* Encode p and compare with the expected text and attachments. */
static void expect_encoded(const sio_packet_t *p, const char *text, size_t natt,
                           const uint8_t *const *att, const size_t *att_len)
{
    sio_encoded_t e;
    assert_int_equal(sio_encode(p, &e), 0);
    if (strcmp(e.text, text) != 0)
        fail_msg("encoded '%s', want '%s'", e.text, text);
    assert_int_equal(e.text_len, strlen(text));
    assert_int_equal(e.nattach, natt);
    for (size_t i = 0; i < natt; i++) {
        assert_int_equal(e.attach[i].len, att_len[i]);
        assert_memory_equal(e.attach[i].data, att[i], att_len[i]);
    }
    sio_encoded_free(&e);
}

/* Feed a text and its attachments; returns the completed packet. */
static sio_packet_t *decode_all(const char *text, size_t natt, const uint8_t *const *att,
                                const size_t *att_len)
{
    sio_decoder_t *d;
    assert_int_equal(sio_decoder_new(NULL, &d), 0);
    sio_packet_t *p = NULL;
    int rc = sio_decoder_feed_text(d, text, strlen(text), &p);
    if (rc != 0)
        fail_msg("decoding '%s': %d", text, rc);
    for (size_t i = 0; i < natt; i++) {
        assert_null(p);
        assert_true(sio_decoder_pending(d));
        assert_int_equal(sio_decoder_feed_binary(d, att[i], att_len[i], &p), 0);
    }
    assert_non_null(p);
    assert_false(sio_decoder_pending(d));
    sio_decoder_free(d);
    return p;
}

static void expect_decoded(const char *text, sio_type_t type, const char *nsp, int64_t id,
                           const char *json)
{
    sio_packet_t *p = decode_all(text, 0, NULL, NULL);
    assert_int_equal(p->type, type);
    assert_string_equal(p->nsp, nsp);
    assert_int_equal(p->id, id);
    json_t *want = js(json);
    if (want || p->data)
        assert_true(json_equal(p->data, want));
    json_decref(want);
    sio_packet_free(p);
}

/* Both directions for a packet without binary. */
static void both_ways(sio_type_t type, const char *nsp, int64_t id, const char *json,
                      const char *text)
{
    sio_packet_t *p = mk(type, nsp, id, json);
    expect_encoded(p, text, 0, NULL, NULL);
    sio_packet_free(p);
    expect_decoded(text, type, nsp ? nsp : "/", id, json);
}

/* ---- The spec's examples (section "Packet encoding" and before). ---- */

static void test_spec_connect(void **state)
{
    (void)state;
    /* { type: CONNECT, namespace: "/" } -> 0 */
    both_ways(SIO_CONNECT, "/", SIO_NO_ID, NULL, "0");
    /* { type: CONNECT, namespace: "/admin", data: { sid: "oSO0OpakMV_3jnilAAAA" } }
     * -> 0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"} */
    both_ways(SIO_CONNECT, "/admin", SIO_NO_ID, "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
              "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
    /* { type: CONNECT_ERROR, namespace: "/", data: { message: "Not authorized" } }
     * -> 4{"message":"Not authorized"} */
    both_ways(SIO_CONNECT_ERROR, "/", SIO_NO_ID, "{\"message\":\"Not authorized\"}",
              "4{\"message\":\"Not authorized\"}");
    /* Client > { type: CONNECT, namespace: "/admin", data: { "token": "123" } } */
    both_ways(SIO_CONNECT, "/admin", SIO_NO_ID, "{\"token\":\"123\"}",
              "0/admin,{\"token\":\"123\"}");
    /* Server > { type: CONNECT, namespace: "/", data: { sid: "wZX3oN0bSVIhsaknAAAI" } } */
    both_ways(SIO_CONNECT, "/", SIO_NO_ID, "{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}",
              "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
    /* Server > { type: CONNECT, namespace: "/admin", data: { sid: "iLnRaVGHY4B75TeVAAAB" } } */
    both_ways(SIO_CONNECT, "/admin", SIO_NO_ID, "{\"sid\":\"iLnRaVGHY4B75TeVAAAB\"}",
              "0/admin,{\"sid\":\"iLnRaVGHY4B75TeVAAAB\"}");
    /* v4 -> v5 history: { "type": 0, "nsp": "/admin", "data": { "sid": "CjdVH4TQvovi1VvgAC5Z" } } */
    both_ways(SIO_CONNECT, "/admin", SIO_NO_ID, "{\"sid\":\"CjdVH4TQvovi1VvgAC5Z\"}",
              "0/admin,{\"sid\":\"CjdVH4TQvovi1VvgAC5Z\"}");
    /* CONNECT_ERROR used to carry a plain string; still accepted. */
    both_ways(SIO_CONNECT_ERROR, "/", SIO_NO_ID, "\"Not authorized\"", "4\"Not authorized\"");
    /* Sample session: "40/admin," requests the admin namespace. */
    expect_decoded("0/admin,", SIO_CONNECT, "/admin", SIO_NO_ID, NULL);
    expect_decoded("0/admin", SIO_CONNECT, "/admin", SIO_NO_ID, NULL);
}

static void test_spec_events_acks_disconnect(void **state)
{
    (void)state;
    /* { type: EVENT, namespace: "/", data: ["foo"] } -> 2["foo"] */
    both_ways(SIO_EVENT, "/", SIO_NO_ID, "[\"foo\"]", "2[\"foo\"]");
    /* { type: EVENT, namespace: "/admin", data: ["bar"] } -> 2/admin,["bar"] */
    both_ways(SIO_EVENT, "/admin", SIO_NO_ID, "[\"bar\"]", "2/admin,[\"bar\"]");
    /* { type: EVENT, namespace: "/", data: ["foo"], id: 12 } -> 212["foo"] */
    both_ways(SIO_EVENT, "/", 12, "[\"foo\"]", "212[\"foo\"]");
    /* { type: ACK, namespace: "/admin", data: ["bar"], id: 13 } -> 3/admin,13["bar"] */
    both_ways(SIO_ACK, "/admin", 13, "[\"bar\"]", "3/admin,13[\"bar\"]");
    /* Server > { type: ACK, namespace: "/", data: [], id: 12 } */
    both_ways(SIO_ACK, "/", 12, "[]", "312[]");
    /* Server > { type: EVENT, namespace: "/admin", data: ["foo"], id: 13 } */
    both_ways(SIO_EVENT, "/admin", 13, "[\"foo\"]", "2/admin,13[\"foo\"]");
    /* Server > { type: EVENT, namespace: "/", data: ["foo" ], id: 15 } */
    both_ways(SIO_EVENT, "/", 15, "[\"foo\"]", "215[\"foo\"]");
    /* Server > { type: ACK, namespace: "/", data: ["bar"], id: 14 } */
    both_ways(SIO_ACK, "/", 14, "[\"bar\"]", "314[\"bar\"]");
    /* { type: DISCONNECT, namespace: "/" } -> 1 */
    both_ways(SIO_DISCONNECT, "/", SIO_NO_ID, NULL, "1");
    /* { type: DISCONNECT, namespace: "/admin" } -> 1/admin, */
    both_ways(SIO_DISCONNECT, "/admin", SIO_NO_ID, NULL, "1/admin,");
    /* Sample session: 42["hey","Jude"] and 42/admin,1["tellme"] (after "4"). */
    both_ways(SIO_EVENT, "/", SIO_NO_ID, "[\"hey\",\"Jude\"]", "2[\"hey\",\"Jude\"]");
    both_ways(SIO_EVENT, "/admin", 1, "[\"tellme\"]", "2/admin,1[\"tellme\"]");
    /* Event names may be numbers. */
    both_ways(SIO_EVENT, "/", SIO_NO_ID, "[42,\"x\"]", "2[42,\"x\"]");
}

static void test_spec_binary(void **state)
{
    (void)state;
    /* { type: BINARY_EVENT, namespace: "/", data: ["baz", <Buffer <01 02 03 04>> ] }
     * -> 51-["baz",{"_placeholder":true,"num":0}] + <Buffer <01 02 03 04>> */
    const uint8_t *a1[] = {B1234};
    const size_t l1[] = {4};
    sio_packet_t *p = mk(SIO_EVENT, "/", SIO_NO_ID, "[\"baz\"]");
    assert_int_equal(json_array_append_new(p->data, sio_packet_binary(p, B1234, 4)), 0);
    expect_encoded(p, "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", 1, a1, l1);
    p->type = SIO_BINARY_EVENT; /* the same either way */
    expect_encoded(p, "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", 1, a1, l1);
    sio_packet_free(p);
    p = decode_all("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", 1, a1, l1);
    assert_int_equal(p->type, SIO_EVENT);
    assert_int_equal(sio_packet_attachment_count(p), 1);
    const uint8_t *b;
    size_t bl;
    assert_true(sio_packet_get_binary(p, json_array_get(p->data, 1), &b, &bl));
    assert_int_equal(bl, 4);
    assert_memory_equal(b, B1234, 4);
    assert_false(sio_packet_get_binary(p, json_array_get(p->data, 0), &b, &bl));
    sio_packet_free(p);

    /* { type: BINARY_EVENT, namespace: "/admin", data: ["baz", <Buffer <01 02>>,
     *   <Buffer <03 04>> ] } -> 52-/admin,["baz",{"_placeholder":true,"num":0},
     *   {"_placeholder":true,"num":1}] + <Buffer <01 02>> + <Buffer <03 04>> */
    const uint8_t *a2[] = {B12, B34};
    const size_t l2[] = {2, 2};
    static const char t2[] = "52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},"
                             "{\"_placeholder\":true,\"num\":1}]";
    p = mk(SIO_BINARY_EVENT, "/admin", SIO_NO_ID, "[\"baz\"]");
    json_array_append_new(p->data, sio_packet_binary(p, B12, 2));
    json_array_append_new(p->data, sio_packet_binary(p, B34, 2));
    expect_encoded(p, t2, 2, a2, l2);
    sio_packet_free(p);
    p = decode_all(t2, 2, a2, l2);
    assert_string_equal(p->nsp, "/admin");
    assert_true(sio_packet_get_binary(p, json_array_get(p->data, 2), &b, &bl));
    assert_true(bl == 2 && b[0] == 3 && b[1] == 4);
    sio_packet_free(p);

    /* { type: BINARY_ACK, namespace: "/", data: ["bar", <Buffer <01 02 03 04>>], id: 15 }
     * -> 61-15["bar",{"_placeholder":true,"num":0}] + <Buffer <01 02 03 04>> */
    static const char t3[] = "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]";
    p = mk(SIO_ACK, "/", 15, "[\"bar\"]");
    json_array_append_new(p->data, sio_packet_binary(p, B1234, 4));
    expect_encoded(p, t3, 1, a1, l1);
    sio_packet_free(p);
    p = decode_all(t3, 1, a1, l1);
    assert_true(p->type == SIO_ACK && p->id == 15);
    sio_packet_free(p);

    /* Client > { type: BINARY_EVENT, namespace: "/", data: ["foo", <buffer <01 02 03 04> ],
     *   id: 14 } */
    static const char t4[] = "51-14[\"foo\",{\"_placeholder\":true,\"num\":0}]";
    p = mk(SIO_EVENT, "/", 14, "[\"foo\"]");
    json_array_append_new(p->data, sio_packet_binary(p, B1234, 4));
    expect_encoded(p, t4, 1, a1, l1);
    sio_packet_free(p);
    p = decode_all(t4, 1, a1, l1);
    assert_true(p->type == SIO_EVENT && p->id == 14);
    sio_packet_free(p);
}

/* The sample session, frames as the document lists them ('<' server to
 * client, '>' client to server), decoded through eio then sio. */
static void test_spec_sample_session_polling(void **state)
{
    (void)state;
    sio_decoder_t *d;
    assert_int_equal(sio_decoder_new(NULL, &d), 0);
    /* Request n°2, n°3, n°4 and n°5 bodies (HTTP long-polling). */
    static const char *bodies[] = {"40", "40{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}",
                                   "42[\"hey\",\"Jude\"]", "42[\"hello\"]\x1e" "42[\"world\"]"};
    static const sio_type_t btypes[] = {SIO_CONNECT, SIO_CONNECT, SIO_EVENT, SIO_EVENT};
    for (size_t i = 0; i < 4; i++) {
        uint8_t body[64];
        eio_packet_t ep[4];
        size_t count, n = strlen(bodies[i]);
        memcpy(body, bodies[i], n);
        assert_int_equal(eio_payload_decode(body, n, ep, 4, &count), 0);
        for (size_t k = 0; k < count; k++) {
            assert_int_equal(ep[k].type, EIO_MESSAGE);
            sio_packet_t *p;
            assert_int_equal(sio_decoder_feed_text(d, (const char *)ep[k].data, ep[k].len, &p), 0);
            assert_int_equal(p->type, btypes[i]);
            sio_packet_free(p);
        }
    }
    sio_decoder_free(d);
}

static void test_spec_sample_session_websocket(void **state)
{
    (void)state;
    sio_decoder_t *d;
    assert_int_equal(sio_decoder_new(NULL, &d), 0);
    /* WebSocket frames:
     * > 40/admin,                       request access to the admin namespace
     * < 40/admin,{"sid":"-G5j-67EZFp-q59rADQM"}   grant access
     * > 42/admin,1["tellme"]            EVENT packet with acknowledgement
     * < 461-/admin,1[{"_placeholder":true,"num":0}]   BINARY_ACK with a placeholder
     * < <binary>                        the binary attachment (following frame) */
    static const struct {
        const char *frame;
        bool binary;
    } frames[] = {
        {"40/admin,", false},
        {"40/admin,{\"sid\":\"-G5j-67EZFp-q59rADQM\"}", false},
        {"42/admin,1[\"tellme\"]", false},
        {"461-/admin,1[{\"_placeholder\":true,\"num\":0}]", false},
        {"\x01\x02\x03\x04", true},
    };
    sio_packet_t *got[5] = {0};
    for (size_t i = 0; i < 5; i++) {
        eio_packet_t ep;
        const uint8_t *f = (const uint8_t *)frames[i].frame;
        assert_int_equal(eio_ws_decode(f, strlen(frames[i].frame), frames[i].binary, &ep), 0);
        assert_int_equal(ep.type, EIO_MESSAGE);
        if (ep.binary)
            assert_int_equal(sio_decoder_feed_binary(d, ep.data, ep.len, &got[i]), 0);
        else
            assert_int_equal(sio_decoder_feed_text(d, (const char *)ep.data, ep.len, &got[i]), 0);
    }
    assert_true(got[0]->type == SIO_CONNECT && strcmp(got[0]->nsp, "/admin") == 0);
    assert_null(got[0]->data);
    assert_string_equal(json_string_value(json_object_get(got[1]->data, "sid")),
                        "-G5j-67EZFp-q59rADQM");
    assert_true(got[2]->type == SIO_EVENT && got[2]->id == 1);
    assert_null(got[3]); /* waits for its attachment */
    assert_true(got[4]->type == SIO_ACK && got[4]->id == 1);
    assert_string_equal(got[4]->nsp, "/admin");
    const uint8_t *b;
    size_t bl;
    assert_true(sio_packet_get_binary(got[4], json_array_get(got[4]->data, 0), &b, &bl));
    assert_true(bl == 4 && memcmp(b, B1234, 4) == 0);
    /* The server side of that exchange, re-encoded and wrapped in Engine.IO. */
    sio_encoded_t e;
    got[4]->type = SIO_BINARY_ACK;
    assert_int_equal(sio_encode(got[4], &e), 0);
    eio_packet_t out[2] = {{EIO_MESSAGE, false, (const uint8_t *)e.text, e.text_len},
                           {EIO_MESSAGE, true, e.attach[0].data, e.attach[0].len}};
    uint8_t wire[128];
    size_t wn;
    bool bin;
    assert_int_equal(eio_ws_encode(&out[0], wire, sizeof wire, &wn, &bin), 0);
    assert_false(bin);
    assert_int_equal(wn, strlen(frames[3].frame));
    assert_memory_equal(wire, frames[3].frame, wn);
    assert_int_equal(eio_ws_encode(&out[1], wire, sizeof wire, &wn, &bin), 0);
    assert_true(bin && wn == 4 && memcmp(wire, B1234, 4) == 0);
    /* Over polling, the attachment is base64: 461-/admin,1[...]\x1ebAQIDBA== */
    assert_int_equal(eio_payload_encode(out, 2, wire, sizeof wire, &wn), 0);
    static const char poll[] = "461-/admin,1[{\"_placeholder\":true,\"num\":0}]\x1e" "bAQIDBA==";
    assert_int_equal(wn, sizeof poll - 1);
    assert_memory_equal(wire, poll, wn);
    sio_encoded_free(&e);
    for (size_t i = 0; i < 5; i++)
        sio_packet_free(got[i]);
    sio_decoder_free(d);
}

static void test_round_trips(void **state)
{
    (void)state;
    /* Binary deep inside objects and arrays, the same marker twice, empty
     * binary, and a look-alike object in a NON-binary packet. */
    sio_packet_t *p = mk(SIO_EVENT, "/chat", 0,
                         "[\"upload\",{\"meta\":{\"name\":\"caf\\u00e9.jpg\",\"n\":1.5}}]");
    json_t *photo = sio_packet_binary(p, B1234, 4), *empty = sio_packet_binary(p, "", 0);
    json_t *meta = json_object_get(json_array_get(p->data, 1), "meta");
    json_object_set(meta, "photo", photo);
    json_t *list = json_array();
    json_array_append(list, photo);
    json_array_append_new(list, empty);
    json_object_set_new(meta, "list", list);
    json_decref(photo);
    sio_encoded_t e;
    assert_int_equal(sio_encode(p, &e), 0);
    assert_string_equal(e.text, "53-/chat,0[\"upload\",{\"meta\":{\"name\":\"caf\xc3\xa9.jpg\","
                                "\"n\":1.5,\"photo\":{\"_placeholder\":true,\"num\":0},"
                                "\"list\":[{\"_placeholder\":true,\"num\":1},"
                                "{\"_placeholder\":true,\"num\":2}]}}]");
    assert_int_equal(e.nattach, 3);
    assert_int_equal(e.attach[2].len, 0);
    const uint8_t *att[3] = {e.attach[0].data, e.attach[1].data, e.attach[2].data};
    size_t len[3] = {e.attach[0].len, e.attach[1].len, e.attach[2].len};
    sio_packet_t *q = decode_all(e.text, 3, att, len);
    assert_true(q->type == SIO_EVENT && q->id == 0);
    json_t *qmeta = json_object_get(json_array_get(q->data, 1), "meta");
    const uint8_t *b;
    size_t bl;
    assert_true(sio_packet_get_binary(q, json_object_get(qmeta, "photo"), &b, &bl));
    assert_true(bl == 4 && memcmp(b, B1234, 4) == 0);
    json_t *ql = json_object_get(qmeta, "list");
    assert_true(sio_packet_get_binary(q, json_array_get(ql, 0), &b, &bl) && bl == 4);
    assert_true(sio_packet_get_binary(q, json_array_get(ql, 1), &b, &bl) && bl == 0);
    /* Re-encoding the decoded packet gives the same wire form. */
    sio_encoded_t e2;
    assert_int_equal(sio_encode(q, &e2), 0);
    assert_string_equal(e2.text, e.text);
    assert_int_equal(e2.nattach, 3);
    sio_encoded_free(&e2);
    sio_encoded_free(&e);
    sio_packet_free(q);
    sio_packet_free(p);

    /* A look-alike object is plain data in a plain EVENT... */
    both_ways(SIO_EVENT, "/", SIO_NO_ID, "[\"x\",{\"_placeholder\":true,\"num\":0}]",
              "2[\"x\",{\"_placeholder\":true,\"num\":0}]");
    p = decode_all("2[\"x\",{\"_placeholder\":true,\"num\":0}]", 0, NULL, NULL);
    assert_false(sio_packet_get_binary(p, json_array_get(p->data, 1), NULL, NULL));
    sio_packet_free(p);
    /* ...but refused next to real binary, where the peer would misread it. */
    p = mk(SIO_EVENT, "/", SIO_NO_ID, "[\"x\",{\"_placeholder\":true,\"num\":0}]");
    json_array_append_new(p->data, sio_packet_binary(p, B12, 2));
    assert_int_equal(sio_encode(p, &e), -EINVAL);
    sio_packet_free(p);
    /* Unused markers do not make a packet binary. */
    p = mk(SIO_EVENT, "/", SIO_NO_ID, "[\"x\"]");
    json_decref(sio_packet_binary(p, B12, 2));
    expect_encoded(p, "2[\"x\"]", 0, NULL, NULL);
    sio_packet_free(p);
    /* Largest ack id. */
    both_ways(SIO_ACK, "/", SIO_MAX_ID, "[]", "39007199254740991[]");
    /* Zero attachments announced: complete at once. */
    expect_decoded("50-[\"a\"]", SIO_EVENT, "/", SIO_NO_ID, "[\"a\"]");
    expect_decoded("60-7[]", SIO_ACK, "/", 7, "[]");
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
    } bad[] = {
        {"", -EINVAL},
        {"7", -EINVAL},
        {"9[\"a\"]", -EINVAL},
        {"a", -EINVAL},
        {"-1", -EINVAL},
        {"2", -EINVAL},                      /* EVENT needs a payload */
        {"2[]", -EINVAL},                    /* ...a non-empty array */
        {"2{}", -EINVAL},
        {"2\"foo\"", -EINVAL},
        {"2[null]", -EINVAL},
        {"2[[\"a\"]]", -EINVAL},
        {"2[\"connect\"]", -EINVAL},         /* reserved event names */
        {"2[\"disconnect\",1]", -EINVAL},
        {"2[\"newListener\"]", -EINVAL},
        {"2[\"a\"]x", -EINVAL},              /* trailing garbage */
        {"2[\"a\"", -EINVAL},
        {"2[\"a\\u0000\"]", -EINVAL},        /* NUL in a string */
        {"2[\"\xff\"]", -EINVAL},            /* invalid UTF-8 */
        {"2abc", -EINVAL},
        {"2/admin[\"a\"]", -EINVAL},         /* namespace runs to the end */
        {"2/ad\x01min,[\"a\"]", -EINVAL},
        {"2/ad\xffmin,[\"a\"]", -EINVAL},
        {"22[\"a\"]x", -EINVAL},
        {"29007199254740992[\"a\"]", -EINVAL}, /* id over 2^53-1 */
        {"212345678901234567[\"a\"]", -EINVAL},
        {"3[]", -EINVAL},                    /* ACK without id */
        {"3", -EINVAL},
        {"312{}", -EINVAL},
        {"1{}", -EINVAL},                    /* DISCONNECT carries nothing */
        {"1/admin,[]", -EINVAL},
        {"0[]", -EINVAL},                    /* CONNECT takes an object */
        {"0\"x\"", -EINVAL},
        {"0123", -EINVAL},                   /* ids only on EVENT/ACK */
        {"4", -EINVAL},                      /* CONNECT_ERROR needs a reason */
        {"4[]", -EINVAL},
        {"412{}", -EINVAL},
        {"5[\"a\"]", -EINVAL},               /* attachments count missing */
        {"5-[\"a\"]", -EINVAL},
        {"51[\"a\"]", -EINVAL},
        {"5x-[\"a\"]", -EINVAL},
        {"51-", -EINVAL},                    /* BINARY_EVENT without payload */
        {"51-[\"a\",{\"_placeholder\":true,\"num\":1}]", -EINVAL}, /* num out of range */
        {"51-[\"a\",{\"_placeholder\":true,\"num\":-1}]", -EINVAL},
        {"51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]", -EINVAL},
        {"51-[\"a\",{\"_placeholder\":true,\"num\":0.5}]", -EINVAL},
        {"51-[\"a\",{\"_placeholder\":true}]", -EINVAL},
        {"61-[{\"_placeholder\":true,\"num\":0}]", -EINVAL}, /* BINARY_ACK without id */
        {"517-[\"a\"]", -EMSGSIZE},          /* over max_attachments (16) */
        {"51234567890-[\"a\"]", -EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sio_decoder_t *d;
        assert_int_equal(sio_decoder_new(NULL, &d), 0);
        sio_packet_t *p = (sio_packet_t *)1;
        int rc = sio_decoder_feed_text(d, bad[i].text, strlen(bad[i].text), &p);
        if (rc != bad[i].rc)
            fail_msg("'%s': rc %d, want %d", bad[i].text, rc, bad[i].rc);
        assert_null(p);
        assert_false(sio_decoder_pending(d));
        sio_decoder_free(d);
    }
    /* Placeholders are only special in binary packets, and "false" is not one. */
    expect_decoded("50-[\"a\",{\"_placeholder\":false,\"num\":9}]", SIO_EVENT, "/", SIO_NO_ID,
                   "[\"a\",{\"_placeholder\":false,\"num\":9}]");
}

static void test_decoder_state_machine(void **state)
{
    (void)state;
    sio_decoder_t *d;
    sio_packet_t *p;
    assert_int_equal(sio_decoder_new(NULL, &d), 0);
    /* Binary data when nothing is awaited. */
    assert_int_equal(sio_decoder_feed_binary(d, B12, 2, &p), -EPROTO);
    /* Text while attachments are awaited: error, and the partial is dropped. */
    static const char two[] = "52-[\"a\",{\"_placeholder\":true,\"num\":0},"
                              "{\"_placeholder\":true,\"num\":1}]";
    assert_int_equal(sio_decoder_feed_text(d, two, strlen(two), &p), 0);
    assert_null(p);
    assert_int_equal(sio_decoder_feed_binary(d, B12, 2, &p), 0);
    assert_null(p);
    assert_int_equal(sio_decoder_feed_text(d, "2[\"b\"]", 6, &p), -EPROTO);
    assert_false(sio_decoder_pending(d));
    /* After the error the decoder starts afresh. */
    assert_int_equal(sio_decoder_feed_text(d, "2[\"b\"]", 6, &p), 0);
    assert_non_null(p);
    sio_packet_free(p);
    /* Reset drops a partial packet; free with one pending does not leak. */
    assert_int_equal(sio_decoder_feed_text(d, two, strlen(two), &p), 0);
    sio_decoder_reset(d);
    assert_false(sio_decoder_pending(d));
    assert_int_equal(sio_decoder_feed_text(d, two, strlen(two), &p), 0);
    sio_decoder_free(d);
    sio_decoder_free(NULL);
    /* Argument checks. */
    assert_int_equal(sio_decoder_new(NULL, NULL), -EINVAL);
    assert_int_equal(sio_decoder_feed_text(NULL, "0", 1, &p), -EINVAL);
}

static void test_limits(void **state)
{
    (void)state;
    sio_limits_t lim = SIO_LIMITS_DEFAULT;
    lim.max_attachment_size = 3;
    lim.max_total_size = 64;
    lim.max_depth = 4;
    lim.max_nsp_len = 8;
    lim.max_attachments = 2;
    sio_decoder_t *d;
    sio_packet_t *p;
    assert_int_equal(sio_decoder_new(&lim, &d), 0);
    static const char one[] = "51-[\"a\",{\"_placeholder\":true,\"num\":0}]";
    assert_int_equal(sio_decoder_feed_text(d, one, strlen(one), &p), 0);
    assert_int_equal(sio_decoder_feed_binary(d, B1234, 4, &p), -EMSGSIZE); /* > 3 bytes */
    assert_false(sio_decoder_pending(d));
    assert_int_equal(sio_decoder_feed_text(d, "53-[\"a\"]", 8, &p), -EMSGSIZE);
    /* Total: text + attachments over 64 bytes. */
    static const char two[] = "52-[\"abcdefghijklmnopqrstuvwx\",{\"_placeholder\":true,\"num\":0}]";
    assert_true(strlen(two) <= 64 && strlen(two) + 6 > 64);
    assert_int_equal(sio_decoder_feed_text(d, two, strlen(two), &p), 0);
    assert_int_equal(sio_decoder_feed_binary(d, B1234, 3, &p), 0);
    assert_int_equal(sio_decoder_feed_binary(d, B1234, 3, &p), -EMSGSIZE);
    char big[80];
    memset(big, 'a', sizeof big);
    assert_int_equal(sio_decoder_feed_text(d, big, sizeof big, &p), -EMSGSIZE);
    /* Depth: 4 levels fine, 5 refused. */
    assert_int_equal(sio_decoder_feed_text(d, "2[\"a\",[[[1]]]]", 14, &p), 0);
    sio_packet_free(p);
    assert_int_equal(sio_decoder_feed_text(d, "2[\"a\",[[[[1]]]]]", 16, &p), -EMSGSIZE);
    /* Namespace length. */
    assert_int_equal(sio_decoder_feed_text(d, "0/1234567,", 10, &p), 0);
    sio_packet_free(p);
    assert_int_equal(sio_decoder_feed_text(d, "0/12345678,", 11, &p), -EMSGSIZE);
    sio_decoder_free(d);
    /* Default depth (32) against a deeply nested document. */
    char deep[2200];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "2[\"a\",");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[n++] = ']';
    deep[n++] = ']';
    assert_int_equal(sio_decoder_new(NULL, &d), 0);
    int rc = sio_decoder_feed_text(d, deep, n, &p);
    assert_true(rc == -EMSGSIZE || rc == -EINVAL); /* jansson may refuse first */
    sio_decoder_free(d);
}

static void test_encode_validation(void **state)
{
    (void)state;
    static const struct {
        sio_type_t type;
        int64_t id;
        const char *json;
    } bad[] = {
        {SIO_EVENT, SIO_NO_ID, NULL},
        {SIO_EVENT, SIO_NO_ID, "[]"},
        {SIO_EVENT, SIO_NO_ID, "[\"disconnecting\"]"},
        {SIO_EVENT, SIO_NO_ID, "{}"},
        {SIO_ACK, SIO_NO_ID, "[]"},
        {SIO_ACK, 1, NULL},
        {SIO_CONNECT, SIO_NO_ID, "[]"},
        {SIO_CONNECT, 3, NULL},
        {SIO_DISCONNECT, SIO_NO_ID, "{}"},
        {SIO_CONNECT_ERROR, SIO_NO_ID, NULL},
        {SIO_CONNECT_ERROR, SIO_NO_ID, "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sio_packet_t *p = mk(bad[i].type, "/", bad[i].id, bad[i].json);
        sio_encoded_t e;
        assert_int_equal(sio_encode(p, &e), -EINVAL);
        assert_null(e.text);
        sio_packet_free(p);
    }
    sio_packet_t *p = (sio_packet_t *)1;
    static const char *bad_nsp[] = {"", "admin", "/a,b", "/a\nb", "/a\xff"};
    for (size_t i = 0; i < sizeof bad_nsp / sizeof bad_nsp[0]; i++) {
        assert_int_equal(sio_packet_new(SIO_CONNECT, bad_nsp[i], SIO_NO_ID, js("{}"), &p), -EINVAL);
        assert_null(p);
    }
    assert_int_equal(sio_packet_new((sio_type_t)7, "/", SIO_NO_ID, NULL, &p), -EINVAL);
    assert_int_equal(sio_packet_new(SIO_ACK, "/", SIO_MAX_ID + 1, js("[]"), &p), -EINVAL);
    assert_int_equal(sio_packet_new(SIO_ACK, "/", -2, js("[]"), &p), -EINVAL);
    assert_int_equal(sio_packet_new(SIO_ACK, "/", 1, js("[]"), NULL), -EINVAL);
    /* NULL namespace is "/". */
    assert_int_equal(sio_packet_new(SIO_CONNECT, NULL, SIO_NO_ID, NULL, &p), 0);
    assert_string_equal(p->nsp, "/");
    assert_null(sio_packet_binary(p, NULL, 3));
    assert_false(sio_packet_get_binary(p, NULL, NULL, NULL));
    sio_packet_free(p);
    sio_packet_free(NULL);
    sio_encoded_free(NULL);
    assert_int_equal(sio_encode(NULL, NULL), -EINVAL);
}

/* ---- Fuzz: mutations of valid packets and random attachment feeding. ---- */

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Equal trees, where binary markers compare by their bytes (the encoder
 * renumbers placeholders, so the JSON itself may differ). */
static bool same_data(const sio_packet_t *p, json_t *a, const sio_packet_t *q, json_t *b)
{
    const uint8_t *da, *db;
    size_t la, lb;
    bool ma = sio_packet_get_binary(p, a, &da, &la), mb = sio_packet_get_binary(q, b, &db, &lb);
    if (ma || mb)
        return ma && mb && la == lb && (la == 0 || memcmp(da, db, la) == 0);
    if (!a || !b)
        return !a && !b;
    if (json_is_array(a)) {
        if (!json_is_array(b) || json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_data(p, json_array_get(a, i), q, json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        const char *k;
        json_t *v;
        if (!json_is_object(b) || json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach(a, k, v)
            if (!same_data(p, v, q, json_object_get(b, k)))
                return false;
        return true;
    }
    return json_equal(a, b);
}

static void test_fuzz(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "0", "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", "4{\"message\":\"Not authorized\"}",
        "2[\"foo\"]", "2/admin,[\"bar\"]", "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]",
        "52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "212[\"foo\"]", "3/admin,13[\"bar\"]", "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]",
        "1", "1/admin,", "2[\"a\",{\"b\":[1,2.5,true,null,\"\\u00e9\"]}]",
    };
    static const char alpha[] = "0123456-/,[]{}\":_placeholdertruenum\\";
    uint64_t seed = 77;
    sio_decoder_t *d;
    assert_int_equal(sio_decoder_new(NULL, &d), 0);
    int complete = 0;
    char buf[256];
    for (int iter = 0; iter < 20000; iter++) {
        const char *s = seeds[rng(&seed) % (sizeof seeds / sizeof seeds[0])];
        size_t n = strlen(s);
        memcpy(buf, s, n);
        int edits = (int)(rng(&seed) % 4);
        for (int e = 0; e < edits && n > 0; e++) {
            size_t pos = rng(&seed) % n;
            switch (rng(&seed) % 4) {
            case 0: buf[pos] = (char)rng(&seed); break;
            case 1: buf[pos] = alpha[rng(&seed) % (sizeof alpha - 1)]; break;
            case 2: memmove(buf + pos, buf + pos + 1, n - pos - 1); n--; break;
            default: n = pos; break;
            }
        }
        sio_packet_t *p = NULL;
        int rc = sio_decoder_feed_text(d, buf, n, &p);
        assert_true(rc == 0 || rc == -EINVAL || rc == -EMSGSIZE || rc == -EPROTO);
        /* Sometimes feed attachments, sometimes interrupt with text. */
        while (rc == 0 && !p && sio_decoder_pending(d)) {
            if (rng(&seed) % 16 == 0)
                break;
            uint8_t att[8];
            size_t al = rng(&seed) % sizeof att;
            for (size_t i = 0; i < al; i++)
                att[i] = (uint8_t)rng(&seed);
            rc = sio_decoder_feed_binary(d, att, al, &p);
        }
        if (p) {
            complete++;
            /* Whatever decodes must encode, and decode back the same. */
            sio_encoded_t e;
            assert_int_equal(sio_encode(p, &e), 0);
            sio_decoder_t *d2;
            assert_int_equal(sio_decoder_new(NULL, &d2), 0);
            sio_packet_t *q = NULL;
            assert_int_equal(sio_decoder_feed_text(d2, e.text, e.text_len, &q), 0);
            for (size_t i = 0; i < e.nattach; i++)
                assert_int_equal(sio_decoder_feed_binary(d2, e.attach[i].data, e.attach[i].len, &q), 0);
            assert_non_null(q);
            assert_int_equal(q->type, p->type);
            assert_int_equal(q->id, p->id);
            assert_string_equal(q->nsp, p->nsp);
            if (!same_data(p, p->data, q, q->data)) {
                char *a = json_dumps(p->data, JSON_ENCODE_ANY), *b = json_dumps(q->data, JSON_ENCODE_ANY);
                fail_msg("round trip of '%.*s': %s vs %s", (int)n, buf, a, b);
            }
            sio_packet_free(q);
            sio_decoder_free(d2);
            sio_encoded_free(&e);
            sio_packet_free(p);
        }
    }
    sio_decoder_free(d);
    assert_true(complete > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_connect),
        cmocka_unit_test(test_spec_events_acks_disconnect),
        cmocka_unit_test(test_spec_binary),
        cmocka_unit_test(test_spec_sample_session_polling),
        cmocka_unit_test(test_spec_sample_session_websocket),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_decoder_state_machine),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_encode_validation),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
