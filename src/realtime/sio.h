/* realtime/sio.h -- Socket.IO protocol v5 packet codec (no I/O).
 *
 * Owns the default-parser wire format of github.com/socketio/socket.io-protocol
 * (v5): `<type>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]`, types
 * CONNECT 0, DISCONNECT 1, EVENT 2, ACK 3, CONNECT_ERROR 4, BINARY_EVENT 5,
 * BINARY_ACK 6, and binary attachments carried in the following Engine.IO
 * messages, referenced from the JSON by {"_placeholder":true,"num":N}.
 * Each encoded text travels as an Engine.IO message (prefix "4").
 *
 * Binary in the payload tree. JSON has no bytes, so a binary value is a
 * MARKER NODE: a jansson object that the packet has registered, together
 * with its bytes. sio_packet_binary() creates one (copying the bytes) for
 * the caller to insert anywhere in packet->data; sio_packet_get_binary()
 * tells whether a node is one and returns its bytes. Identity, not
 * content, makes a marker: a JSON object that merely looks like a
 * placeholder is never taken for binary. A marker prints as the wire
 * placeholder object. The decoder hands back the same convention.
 *
 * Validation (as socket.io-parser, stricter where it is lax): unknown
 * types, bad attachment counts, bad JSON, payloads of the wrong shape
 * (EVENT needs a non-empty array whose first item is a number or a
 * non-reserved event name; ACK an array and an id; CONNECT an object or
 * nothing; CONNECT_ERROR a string or object; DISCONNECT nothing), ack ids
 * over 2^53-1, placeholders outside [0, N), and anything over the limits
 * (sio_limits_t) are rejected. -EINVAL: malformed; -EMSGSIZE: over a
 * limit; -EPROTO: a text packet while attachments are awaited, or binary
 * data when none is; -ENOMEM.
 *
 * Ownership: a sio_packet_t owns its nsp, its reference to data and its
 * attachment bytes; sio_packet_free() releases all. sio_encode() output
 * owns its text; its attachment views borrow from the packet. Decoders
 * are per connection (not thread-safe; one per socket), packets and
 * limits are plain values. No global mutable state.
 */
#ifndef TRAVLOC_REALTIME_SIO_H
#define TRAVLOC_REALTIME_SIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIO_PROTOCOL 5

typedef enum sio_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6,
} sio_type_t;

#define SIO_NO_ID (-1)
#define SIO_MAX_ID ((INT64_C(1) << 53) - 1)

typedef struct sio_limits {
    size_t max_attachments;     /* per packet */
    size_t max_attachment_size; /* bytes, per attachment */
    size_t max_total_size;      /* bytes: text + all attachments */
    size_t max_depth;           /* JSON nesting */
    size_t max_nsp_len;         /* bytes */
} sio_limits_t;

#define SIO_LIMITS_DEFAULT                                                   \
    ((sio_limits_t){.max_attachments = 16, .max_attachment_size = 1000000,    \
                    .max_total_size = 8000000, .max_depth = 32,               \
                    .max_nsp_len = 128})

typedef struct sio_attachment {
    const uint8_t *data;
    size_t len;
} sio_attachment_t;

typedef struct sio_packet {
    sio_type_t type;  /* public */
    char *nsp;        /* read-only: owned, NUL-terminated, starts with '/' */
    int64_t id;       /* public: ack id 0..SIO_MAX_ID or SIO_NO_ID */
    json_t *data;     /* public: owned reference, or NULL */
    /* private: binary attachments and the marker nodes that use them */
    struct sio__bin *bins;
    size_t nbins, capbins;
    struct sio__mark *marks;
    size_t nmarks, capmarks;
} sio_packet_t;

/* Create a packet. `nsp` NULL means "/"; it is copied and must start with
 * '/', hold no ',' nor control characters, be UTF-8 and at most 128 bytes.
 * `data` is stolen (even on failure; NULL allowed). Returns 0 and *out, or
 * -EINVAL / -ENOMEM. */
int sio_packet_new(sio_type_t type, const char *nsp, int64_t id, json_t *data,
                   sio_packet_t **out);

void sio_packet_free(sio_packet_t *p);

/* Make a binary marker node holding a copy of data[len]; returns a NEW
 * reference the caller inserts into p->data (json_array_append_new ...), or
 * NULL on ENOMEM. */
json_t *sio_packet_binary(sio_packet_t *p, const void *data, size_t len);

/* If `node` is a binary marker of `p`, set *data and *len and return true. */
bool sio_packet_get_binary(const sio_packet_t *p, const json_t *node,
                           const uint8_t **data, size_t *len);

/* Number of attachments a decoded packet carried. */
size_t sio_packet_attachment_count(const sio_packet_t *p);

typedef struct sio_encoded {
    char *text;               /* owned, NUL-terminated */
    size_t text_len;
    sio_attachment_t *attach; /* owned array; entries borrow from packet */
    size_t nattach;
} sio_encoded_t;

/* Encode `p`: markers in p->data become numbered placeholders (depth-first
 * order) and their bytes the attachments; EVENT/ACK with binary go out as
 * BINARY_EVENT/BINARY_ACK, BINARY_* without binary as EVENT/ACK. The
 * packet is not modified. Returns 0 and fills *out (release with
 * sio_encoded_free()), or -EINVAL (invalid packet, or a non-marker object
 * with "_placeholder": true in a binary packet), -EMSGSIZE, -ENOMEM. */
int sio_encode(const sio_packet_t *p, sio_encoded_t *out);

void sio_encoded_free(sio_encoded_t *e);

/* ---- Decoding: one decoder per connection. ---- */

typedef struct sio_decoder sio_decoder_t;

/* `limits` is copied; NULL = SIO_LIMITS_DEFAULT. */
int sio_decoder_new(const sio_limits_t *limits, sio_decoder_t **out);
void sio_decoder_free(sio_decoder_t *d);

/* Feed the data of an Engine.IO text message. Returns 0 and sets *out to
 * a complete packet (caller frees) or to NULL when the packet waits for
 * binary attachments; or a negative error, after which the decoder is
 * reset and the connection should be closed. BINARY_EVENT/BINARY_ACK come
 * out as EVENT/ACK once complete. */
int sio_decoder_feed_text(sio_decoder_t *d, const char *text, size_t len,
                          sio_packet_t **out);

/* Feed an Engine.IO binary message (an attachment). Same contract. */
int sio_decoder_feed_binary(sio_decoder_t *d, const uint8_t *data, size_t len,
                            sio_packet_t **out);

/* True while attachments are awaited. */
bool sio_decoder_pending(const sio_decoder_t *d);

/* Drop any partial packet. */
void sio_decoder_reset(sio_decoder_t *d);

#endif /* TRAVLOC_REALTIME_SIO_H */
