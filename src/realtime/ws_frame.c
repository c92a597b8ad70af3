/* realtime/ws_frame.c -- RFC 6455 frame parser and header encoder (see
 * ws_frame.h). Pure: no I/O, no global state.
 *
 * The parser is a small state machine over one frame at a time: it
 * collects the 2-14 header bytes (they may arrive one by one), validates
 * them (client frames must be masked; control frames final and at most
 * 125 bytes; RSV1 only on the first frame of a data message and only with
 * permessage-deflate; continuation only inside a fragmented message), then
 * unmasks the payload in place. A message that is whole inside one read
 * and one frame (the common case) is handed to the callback in place,
 * without a copy; anything split is appended to a heap buffer that is
 * freed as soon as the message is delivered.
 */
#include "realtime/ws_frame.h"

#include <string.h>

void ws_parser_init(ws_parser_t *p, uint64_t max_msg, bool allow_rsv1)
{
    memset(p, 0, sizeof *p);
    p->max_msg = max_msg;
    p->allow_rsv1 = allow_rsv1;
}

void ws_parser_init_client(ws_parser_t *p, uint64_t max_msg)
{
    ws_parser_init(p, max_msg, false);
    p->client = true;
}

void ws_parser_free(ws_parser_t *p)
{
    buf_free(&p->msg);
    buf_free(&p->ctl);
}

bool ws_parser_idle(const ws_parser_t *p)
{
    return p->hlen == 0 && !p->in_payload && !p->in_msg && !p->msg.data && !p->ctl.data;
}

/* Header length once the first two bytes are known. */
static size_t header_need(const uint8_t *h)
{
    uint8_t l7 = h[1] & 0x7f;
    return 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
}

/* Validates a complete header and sets up the frame; 0 or -close code. */
static int header_done(ws_parser_t *p)
{
    const uint8_t *h = p->hdr;
    p->fin = h[0] & 0x80;
    p->rsv1 = h[0] & 0x40;
    p->opcode = h[0] & 0x0f;
    if (h[0] & 0x30)
        return -1002; /* RSV2/RSV3 */
    uint8_t l7 = h[1] & 0x7f;
    size_t off = 2;
    uint64_t len = l7;
    if (l7 == 126) {
        len = (uint64_t)h[2] << 8 | h[3];
        off = 4;
    } else if (l7 == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | h[2 + i];
        off = 10;
        if (len >> 63)
            return -1002;
    }
    if (h[1] & 0x80)
        memcpy(p->mask, h + off, 4);
    else
        memset(p->mask, 0, 4);
    p->plen = len;
    p->got = 0;
    switch (p->opcode) {
    case WS_OP_CLOSE:
    case WS_OP_PING:
    case WS_OP_PONG:
        if (!p->fin || len > 125 || p->rsv1)
            return -1002;
        break;
    case WS_OP_CONT:
        if (!p->in_msg || p->rsv1)
            return -1002;
        break;
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        if (p->in_msg || (p->rsv1 && !p->allow_rsv1))
            return -1002;
        p->in_msg = true;
        p->msg_op = p->opcode;
        p->msg_rsv1 = p->rsv1;
        break;
    default:
        return -1002;
    }
    if (!(p->opcode & 0x8) && (uint64_t)p->msg.len + len > p->max_msg)
        return -1009;
    p->in_payload = true;
    return 0;
}

/* The current frame's payload is complete; `direct` is the whole payload
 * when it arrived in one piece and nothing was buffered, else NULL. */
static int frame_done(ws_parser_t *p, uint8_t *direct, ws_frame_cb cb, void *ud)
{
    p->hlen = 0;
    p->in_payload = false;
    int rc = 0;
    if (p->opcode & 0x8) {
        uint8_t *d = direct ? direct : (uint8_t *)p->ctl.data;
        size_t n = direct ? (size_t)p->plen : p->ctl.len;
        rc = cb(ud, p->opcode, false, d ? d : (uint8_t *)"", n);
        buf_free(&p->ctl);
        return rc;
    }
    if (!p->fin)
        return 0;
    uint8_t *d = direct ? direct : (uint8_t *)p->msg.data;
    size_t n = direct ? (size_t)p->plen : p->msg.len;
    p->in_msg = false;
    rc = cb(ud, p->msg_op, p->msg_rsv1, d ? d : (uint8_t *)"", n);
    buf_free(&p->msg);
    return rc;
}

int ws_parse(ws_parser_t *p, uint8_t *in, size_t len, ws_frame_cb cb, void *ud)
{
    size_t i = 0;
    for (;;) {
        if (!p->in_payload) {
            while (i < len && p->hlen < 2)
                p->hdr[p->hlen++] = in[i++];
            if (p->hlen >= 2 && !(p->hdr[1] & 0x80) != p->client)
                return -1002; /* client frames are masked, server frames not */
            while (i < len && p->hlen >= 2 && p->hlen < header_need(p->hdr))
                p->hdr[p->hlen++] = in[i++];
            if (p->hlen < 2 || p->hlen < header_need(p->hdr))
                return 0;
            int rc = header_done(p);
            if (rc < 0)
                return rc;
            if (p->plen == 0) {
                bool buffered = !(p->opcode & 0x8) && p->msg.len > 0;
                if (frame_done(p, buffered ? NULL : in + i, cb, ud))
                    return 1;
                continue;
            }
        }
        if (i >= len)
            return 0;
        size_t avail = len - i;
        if ((uint64_t)avail > p->plen - p->got)
            avail = (size_t)(p->plen - p->got);
        uint8_t *chunk = in + i;
        for (size_t k = 0; k < avail; k++)
            chunk[k] ^= p->mask[(p->got + k) & 3];
        bool ctl = p->opcode & 0x8;
        bool whole = p->got == 0 && avail == p->plen;
        uint8_t *direct = NULL;
        if (whole && (ctl || (p->fin && p->msg.len == 0)))
            direct = chunk;
        else if (buf_append(ctl ? &p->ctl : &p->msg, chunk, avail) < 0)
            return -1011;
        p->got += avail;
        i += avail;
        if (p->got == p->plen && frame_done(p, direct, cb, ud))
            return 1;
    }
}

size_t ws_frame_header(uint8_t out[WS_FRAME_HEADER_MAX], int opcode, bool rsv1, uint64_t len)
{
    out[0] = (uint8_t)(0x80 | (rsv1 ? 0x40 : 0) | (opcode & 0x0f));
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len < 65536) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}
