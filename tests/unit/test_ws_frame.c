/* Unit tests for realtime/ws_frame.c: RFC 6455 section 5.7's examples
 * (masked "Hello", fragmented "Hel"+"lo", ping), every split of a frame
 * over reads, the validity rules a server must enforce, and the header
 * encoder's three length forms.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "realtime/ws_frame.h"

typedef struct {
    int n;
    int op[8];
    bool rsv1[8];
    char data[8][320];
    size_t len[8];
    int stop_after; /* 0: never */
} seen_t;

static int record(void *ud, int opcode, bool rsv1, uint8_t *data, size_t len)
{
    seen_t *s = ud;
    assert_true(s->n < 8);
    s->op[s->n] = opcode;
    s->rsv1[s->n] = rsv1;
    s->len[s->n] = len;
    memcpy(s->data[s->n], data, len < 320 ? len : 320);
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* Builds a masked client frame. */
static size_t client_frame(uint8_t *out, uint8_t b0, const char *payload, size_t n)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t h = 0;
    out[h++] = b0;
    if (n < 126) {
        out[h++] = (uint8_t)(0x80 | n);
    } else if (n < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(n >> 8);
        out[h++] = (uint8_t)n;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            out[h++] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
    }
    memcpy(out + h, key, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        out[h + i] = (uint8_t)payload[i] ^ key[i & 3];
    return h + n;
}

static void rfc_examples(void **state)
{
    (void)state;
    /* RFC 6455 5.7: a single-frame masked text message "Hello". */
    uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_parser_t p;
    ws_parser_init(&p, 1000, false);
    seen_t s = {0};
    assert_int_equal(ws_parse(&p, hello, sizeof hello, record, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.op[0], WS_OP_TEXT);
    assert_int_equal(s.len[0], 5);
    assert_memory_equal(s.data[0], "Hello", 5);
    assert_true(ws_parser_idle(&p));
    ws_parser_free(&p);
    /* The same message unmasked, as a server sends it: refused from a
     * client, accepted by a client-side parser (the load generator). */
    uint8_t plain[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    ws_parser_init(&p, 1000, false);
    assert_int_equal(ws_parse(&p, plain, sizeof plain, record, &s), -1002);
    ws_parser_free(&p);
    ws_parser_init_client(&p, 1000);
    assert_int_equal(ws_parse(&p, plain, sizeof plain, record, &s), 0);
    assert_int_equal(s.n, 2);
    assert_memory_equal(s.data[1], "Hello", 5);
    uint8_t masked[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(ws_parse(&p, masked, sizeof masked, record, &s), -1002);
    ws_parser_free(&p);
}

static void every_split(void **state)
{
    (void)state;
    uint8_t wire[400];
    char big[300];
    memset(big, 'x', sizeof big);
    big[0] = '4';
    size_t n = client_frame(wire, 0x81, big, sizeof big);        /* 16-bit length */
    n += client_frame(wire + n, 0x89, "hi", 2);                  /* ping */
    for (size_t cut = 0; cut <= n; cut++) {
        uint8_t copy[400];
        memcpy(copy, wire, n);
        ws_parser_t p;
        ws_parser_init(&p, 1000, false);
        seen_t s = {0};
        assert_int_equal(ws_parse(&p, copy, cut, record, &s), 0);
        assert_int_equal(ws_parse(&p, copy + cut, n - cut, record, &s), 0);
        assert_int_equal(s.n, 2);
        assert_int_equal(s.op[0], WS_OP_TEXT);
        assert_int_equal(s.len[0], sizeof big);
        assert_memory_equal(s.data[0], big, sizeof big);
        assert_int_equal(s.op[1], WS_OP_PING);
        assert_memory_equal(s.data[1], "hi", 2);
        assert_true(ws_parser_idle(&p)); /* nothing kept once delivered */
        ws_parser_free(&p);
    }
}

static void fragments_with_control_between(void **state)
{
    (void)state;
    uint8_t wire[128];
    size_t n = client_frame(wire, 0x01, "Hel", 3);               /* text, not final */
    n += client_frame(wire + n, 0x89, "", 0);                    /* ping in between */
    n += client_frame(wire + n, 0x00, "lo", 2);                  /* continuation */
    n += client_frame(wire + n, 0x80, "", 0);                    /* empty final */
    ws_parser_t p;
    ws_parser_init(&p, 1000, true);
    seen_t s = {0};
    assert_int_equal(ws_parse(&p, wire, n, record, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.op[0], WS_OP_PING);
    assert_int_equal(s.len[0], 0);
    assert_int_equal(s.op[1], WS_OP_TEXT);
    assert_int_equal(s.len[1], 5);
    assert_memory_equal(s.data[1], "Hello", 5);
    assert_true(ws_parser_idle(&p));
    ws_parser_free(&p);
}

static void rsv1_and_binary(void **state)
{
    (void)state;
    uint8_t wire[64];
    size_t n = client_frame(wire, 0xC2, "\x01\x02", 2);          /* binary + RSV1 */
    ws_parser_t p;
    ws_parser_init(&p, 1000, true);
    seen_t s = {0};
    assert_int_equal(ws_parse(&p, wire, n, record, &s), 0);
    assert_int_equal(s.op[0], WS_OP_BINARY);
    assert_true(s.rsv1[0]);
    ws_parser_free(&p);
    n = client_frame(wire, 0xC1, "x", 1);
    ws_parser_init(&p, 1000, false);                             /* deflate not negotiated */
    assert_int_equal(ws_parse(&p, wire, n, record, &s), -1002);
    ws_parser_free(&p);
}

static int bad(uint8_t b0, const char *payload, size_t len, uint64_t max)
{
    uint8_t wire[300];
    size_t n = client_frame(wire, b0, payload, len);
    ws_parser_t p;
    ws_parser_init(&p, max, false);
    seen_t s = {0};
    int rc = ws_parse(&p, wire, n, record, &s);
    ws_parser_free(&p);
    return rc;
}

static void violations(void **state)
{
    (void)state;
    char big[200];
    memset(big, 'a', sizeof big);
    assert_int_equal(bad(0x80, "x", 1, 100), -1002);             /* continuation first */
    assert_int_equal(bad(0x83, "x", 1, 100), -1002);             /* reserved opcode */
    assert_int_equal(bad(0x8B, "x", 1, 100), -1002);             /* reserved control */
    assert_int_equal(bad(0x91, "x", 1, 100), -1002);             /* RSV3 */
    assert_int_equal(bad(0x09, "x", 1, 100), -1002);             /* fragmented ping */
    assert_int_equal(bad(0x89, big, 126, 100), -1002);           /* control > 125 */
    assert_int_equal(bad(0x81, big, 101, 100), -1009);           /* too big */
    assert_int_equal(bad(0x81, big, 100, 100), 0);
    /* an unmasked client frame */
    uint8_t plain[] = {0x81, 0x01, 'x'};
    ws_parser_t p;
    ws_parser_init(&p, 100, false);
    seen_t s = {0};
    assert_int_equal(ws_parse(&p, plain, sizeof plain, record, &s), -1002);
    ws_parser_free(&p);
    /* a new message while one is fragmented; too big over fragments */
    uint8_t wire[300];
    size_t n = client_frame(wire, 0x01, "a", 1);
    n += client_frame(wire + n, 0x01, "b", 1);
    ws_parser_init(&p, 100, false);
    assert_int_equal(ws_parse(&p, wire, n, record, &s), -1002);
    ws_parser_free(&p);
    n = client_frame(wire, 0x01, big, 60);
    n += client_frame(wire + n, 0x80, big, 60);
    ws_parser_init(&p, 100, false);
    assert_int_equal(ws_parse(&p, wire, n, record, &s), -1009);
    ws_parser_free(&p);
}

static void stop_and_resume(void **state)
{
    (void)state;
    uint8_t wire[64];
    size_t n = client_frame(wire, 0x81, "a", 1);
    size_t n1 = n;
    n += client_frame(wire + n, 0x81, "b", 1);
    ws_parser_t p;
    ws_parser_init(&p, 100, false);
    seen_t s = {.stop_after = 1};
    assert_int_equal(ws_parse(&p, wire, n, record, &s), 1);
    assert_int_equal(s.n, 1);
    s.stop_after = 0;
    assert_int_equal(ws_parse(&p, wire + n1, n - n1, record, &s), 0);
    assert_int_equal(s.n, 2);
    assert_memory_equal(s.data[1], "b", 1);
    ws_parser_free(&p);
}

static void large_lengths(void **state)
{
    (void)state;
    size_t len = 70000;
    char *payload = malloc(len);
    uint8_t *wire = malloc(len + 14);
    memset(payload, 'z', len);
    size_t n = client_frame(wire, 0x82, payload, len);           /* 64-bit length */
    ws_parser_t p;
    ws_parser_init(&p, len, false);
    seen_t s = {0};
    assert_int_equal(ws_parse(&p, wire, n, record, &s), 0);
    assert_int_equal(s.len[0], len);
    ws_parser_free(&p);
    free(payload);
    free(wire);
}

static int count_only(void *ud, int opcode, bool rsv1, uint8_t *data, size_t len)
{
    (void)opcode;
    (void)rsv1;
    size_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += data[i]; /* touches every byte: ASan checks the bounds */
    *(size_t *)ud += sum + 1;
    return 0;
}

static uint32_t rnd(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

/* Mutations of valid streams, fed in random pieces (fixed seed): the
 * parser either delivers or reports a close code, never reads or writes
 * out of bounds, and frees everything. */
static void mutation_fuzz(void **state)
{
    (void)state;
    uint32_t seed = 12345;
#define RND() rnd(&seed)
    for (int round = 0; round < 3000; round++) {
        uint8_t wire[1024];
        size_t n = client_frame(wire, 0x01, "4abc", 4);
        n += client_frame(wire + n, 0x89, "p", 1);
        n += client_frame(wire + n, 0x80, "defghijklmnopqrstuvwxyz0123456789", 33);
        n += client_frame(wire + n, 0xC2, "bin", 3);
        int flips = 1 + RND() % 4;
        for (int f = 0; f < flips; f++) {
            size_t at = RND() % n;
            wire[at] ^= (uint8_t)(1u << (RND() % 8));
        }
        ws_parser_t p;
        ws_parser_init(&p, 64, (round & 1) != 0);
        size_t sink = 0;
        for (size_t off = 0; off < n;) {
            size_t piece = 1 + RND() % 40;
            if (piece > n - off)
                piece = n - off;
            uint8_t *chunk = malloc(piece); /* exact size: overreads are caught */
            memcpy(chunk, wire + off, piece);
            int rc = ws_parse(&p, chunk, piece, count_only, &sink);
            free(chunk);
            off += piece;
            if (rc != 0) {
                assert_true(rc == -1002 || rc == -1009);
                break;
            }
        }
        ws_parser_free(&p);
    }
#undef RND
}

static void header_encoder(void **state)
{
    (void)state;
    uint8_t h[WS_FRAME_HEADER_MAX];
    assert_int_equal(ws_frame_header(h, WS_OP_TEXT, false, 5), 2);
    assert_int_equal(h[0], 0x81);
    assert_int_equal(h[1], 5);
    assert_int_equal(ws_frame_header(h, WS_OP_BINARY, true, 300), 4);
    assert_int_equal(h[0], 0xC2);
    assert_int_equal(h[1], 126);
    assert_int_equal(h[2] << 8 | h[3], 300);
    assert_int_equal(ws_frame_header(h, WS_OP_TEXT, false, 65536), 10);
    assert_int_equal(h[1], 127);
    assert_int_equal(h[7], 1);
    assert_int_equal(h[9], 0);
    assert_int_equal(ws_frame_header(h, WS_OP_CLOSE, false, 125), 2);
    assert_int_equal(h[0], 0x88);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_examples),
        cmocka_unit_test(every_split),
        cmocka_unit_test(fragments_with_control_between),
        cmocka_unit_test(rsv1_and_binary),
        cmocka_unit_test(violations),
        cmocka_unit_test(stop_and_resume),
        cmocka_unit_test(large_lengths),
        cmocka_unit_test(mutation_fuzz),
        cmocka_unit_test(header_encoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
