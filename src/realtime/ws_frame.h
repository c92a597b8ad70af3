/* realtime/ws_frame.h -- RFC 6455 framing for the server side: a pure,
 * incremental frame parser and the header encoder. No I/O.
 *
 * Why not wslay's event API: its context embeds two 4 KiB buffers that live
 * as long as the connection, which made an idle WebSocket cost ~10 KiB,
 * and it copies every outbound message into its own buffer per connection.
 * This parser holds ~90 bytes per connection and allocates only while a
 * message is split over reads (the buffer is freed as soon as the message
 * is delivered); outbound frames are a 2-10 byte header written ahead of
 * the shared, refcounted payload (server frames are never masked, so every
 * recipient gets the same payload bytes).
 *
 * Ownership: ws_parser_t owns its partial buffers; ws_parser_free()
 * releases them. Input passed to ws_parse() is unmasked IN PLACE (the
 * caller's read buffer must be writable); pointers handed to the
 * callbacks are valid only during the callback.
 */
#ifndef TRAVLOC_REALTIME_WS_FRAME_H
#define TRAVLOC_REALTIME_WS_FRAME_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

#define WS_FRAME_HEADER_MAX 10 /* server frames: no mask key */

/* Called for each complete data message (opcode TEXT or BINARY; rsv1 is
 * the permessage-deflate bit of its first frame) and each control frame
 * (CLOSE, PING, PONG; rsv1 false). Return 0 to go on, non-zero to stop
 * parsing (ws_parse then returns 1). */
typedef int (*ws_frame_cb)(void *ud, int opcode, bool rsv1, uint8_t *data, size_t len);

typedef struct ws_parser {
    uint64_t max_msg;     /* largest data message accepted (config) */
    bool allow_rsv1;      /* permessage-deflate negotiated */
    bool client;          /* parsing a server's frames (unmasked): load generators */
    /* current frame */
    uint8_t hdr[14];
    uint8_t hlen;         /* header bytes collected */
    uint8_t opcode;
    bool fin, rsv1, in_payload;
    uint8_t mask[4];
    uint64_t plen, got;   /* payload length, bytes seen */
    /* fragmented data message being assembled (heap only meanwhile) */
    bool in_msg;
    uint8_t msg_op;
    bool msg_rsv1;
    buf_t msg;
    buf_t ctl;            /* a control frame split over reads */
} ws_parser_t;

void ws_parser_init(ws_parser_t *p, uint64_t max_msg, bool allow_rsv1);
/* For the client side (bench/realtime/fanout_gen.c): frames must be unmasked. */
void ws_parser_init_client(ws_parser_t *p, uint64_t max_msg);
void ws_parser_free(ws_parser_t *p);
/* Whether the parser holds heap memory or a partial frame. */
bool ws_parser_idle(const ws_parser_t *p);

/* Feeds len bytes (unmasked in place). Returns 0 when everything was
 * consumed, 1 when a callback asked to stop, or a negative close code on
 * a protocol violation: -1002 (protocol error), -1009 (message too big). */
int ws_parse(ws_parser_t *p, uint8_t *in, size_t len, ws_frame_cb cb, void *ud);

/* Writes the header of a final, unmasked frame into out; returns its
 * length (2, 4 or 10). */
size_t ws_frame_header(uint8_t out[WS_FRAME_HEADER_MAX], int opcode, bool rsv1, uint64_t len);

#endif
