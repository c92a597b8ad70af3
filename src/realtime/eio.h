/* realtime/eio.h -- Engine.IO protocol v4 packet codec (no I/O).
 *
 * Owns the wire format of github.com/socketio/engine.io-protocol (v4):
 * packets `<type>[<data>]` with types open 0, close 1, ping 2, pong 3,
 * message 4, upgrade 5, noop 6; over WebSocket one packet per frame
 * (binary messages as binary frames, as is); over HTTP long-polling
 * payloads of packets joined by the record separator 0x1e, binary messages
 * as `b` + base64; and the JSON of the open (handshake) packet.
 *
 * Invariants and validation: text packets must be valid UTF-8 and start
 * with a known type; polling payloads must not contain empty packets;
 * base64 must be canonical (standard alphabet, padding optional). Nothing
 * is trusted: every length is checked, malformed input is an error, never
 * a crash. Limits on the body size are the caller's (maxPayload); the
 * number of packets per payload is bounded by the caller's array.
 *
 * Ownership: decoded packets are views (data/len) into the caller's
 * buffer, valid while it is; eio_payload_decode() rewrites binary packets
 * in place in that buffer. Encoders write into caller buffers, sized with
 * the matching *_len() function. No allocation except eio_open_decode()'s
 * temporary JSON tree. No global state; all functions are reentrant.
 * Errors: -EINVAL malformed, -ENOSPC output too small, -E2BIG more packets
 * than the output array holds, -ENOMEM.
 */
#ifndef TRAVLOC_REALTIME_EIO_H
#define TRAVLOC_REALTIME_EIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EIO_PROTOCOL 4
#define EIO_SEPARATOR 0x1e

typedef enum eio_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6,
} eio_type_t;

typedef struct eio_packet {
    eio_type_t type;
    bool binary;         /* binary data; only with EIO_MESSAGE */
    const uint8_t *data; /* borrowed; NULL allowed when len == 0 */
    size_t len;
} eio_packet_t;

/* ---- WebSocket transport: one packet per frame. ---- */

/* Decode one frame (`binary_frame` = the WebSocket opcode was binary).
 * On success *out views into `frame`. */
int eio_ws_decode(const uint8_t *frame, size_t len, bool binary_frame,
                  eio_packet_t *out);

/* Bytes eio_ws_encode() writes for `p`. */
size_t eio_ws_encoded_len(const eio_packet_t *p);

/* Encode `p` into dst[cap]; sets *written and *binary_frame (send as a
 * binary frame when true, else as a text frame). */
int eio_ws_encode(const eio_packet_t *p, uint8_t *dst, size_t cap,
                  size_t *written, bool *binary_frame);

/* ---- HTTP long-polling transport: payloads. ---- */

/* Split and decode a request/response body of `len` bytes. Binary packets
 * are base64-decoded in place, so `body` is modified and the packets view
 * into it. Writes up to `max` packets into out[] and their number into
 * *count. Returns 0, -EINVAL (empty body or packet, bad type, bad UTF-8,
 * bad base64) or -E2BIG (more than `max` packets). */
int eio_payload_decode(uint8_t *body, size_t len, eio_packet_t *out,
                       size_t max, size_t *count);

/* Bytes eio_payload_encode() writes for these packets. */
size_t eio_payload_encoded_len(const eio_packet_t *pkts, size_t n);

/* Join packets into a polling payload in dst[cap] (no trailing NUL).
 * -EINVAL when a text packet holds 0x1e (it could not be split again) or
 * binary data is attached to a non-message packet; -ENOSPC when short. */
int eio_payload_encode(const eio_packet_t *pkts, size_t n, uint8_t *dst,
                       size_t cap, size_t *written);

/* ---- Open packet (handshake). ---- */

#define EIO_SID_MAX 64
#define EIO_UPGRADE_WEBSOCKET 0x1u
#define EIO_UPGRADE_WEBTRANSPORT 0x2u

typedef struct eio_open {
    char sid[EIO_SID_MAX + 1]; /* 1..64 of [A-Za-z0-9_-] */
    unsigned upgrades;         /* EIO_UPGRADE_* */
    uint32_t ping_interval_ms;
    uint32_t ping_timeout_ms;
    uint64_t max_payload;      /* bytes, at most 2^53 - 1 */
} eio_open_t;

/* Largest open packet eio_open_encode() can produce. */
#define EIO_OPEN_MAX 256

/* Write the open packet `0{"sid":...,"upgrades":[...],"pingInterval":...,
 * "pingTimeout":...,"maxPayload":...}` into dst[cap]. The sid is checked
 * (it travels in query strings). */
int eio_open_encode(const eio_open_t *o, char *dst, size_t cap,
                    size_t *written);

/* Parse the data of an open packet (the JSON, without the leading '0'). */
int eio_open_decode(const uint8_t *json, size_t len, eio_open_t *out);

/* ---- Helpers shared with sio.c. ---- */

bool eio_utf8_valid(const uint8_t *s, size_t len);
size_t eio_base64_len(size_t n);
void eio_base64_encode(const uint8_t *src, size_t n, char *dst);
/* Decode in place or into dst (dst may equal src); -EINVAL if invalid. */
int eio_base64_decode(const char *src, size_t n, uint8_t *dst, size_t *out_len);

#endif /* TRAVLOC_REALTIME_EIO_H */
