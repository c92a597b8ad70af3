/*
 * realtime/seqorder.h - events that carry a room's sequence number leave
 * this process in that order (issue 8: messages of a conversation arrive
 * in send order, also in cluster mode).
 *
 * One process publishes a conversation's messages in seq order
 * (messaging/order.c), but in a cluster a node also relays the messages
 * other nodes published, which reach it through Redis a little later than
 * its own: message 3, sent here, could overtake message 2, sent on another
 * node a moment before. Each room's last published seq is kept; a packet
 * whose seq is not the next one is held until the gap fills, and the
 * periodic sweep lets go of holds older than the hold time (a message that
 * never comes must not stop the room). The first packet of a room not
 * seen before, and a seq at or below the last one, go out at once.
 *
 * Process-wide, behind one mutex; emit runs under it, so two threads
 * cannot reorder what it decided. Held packets are copies; nothing the
 * caller passes is kept.
 */
#ifndef TRAVLOC_REALTIME_SEQORDER_H
#define TRAVLOC_REALTIME_SEQORDER_H

#include <stddef.h>
#include <stdint.h>

#define SEQORDER_HOLD_MS 200   /* longest a packet waits for the one before it */
#define SEQORDER_IDLE_MS 600000 /* a room quiet this long is forgotten */
#define SEQORDER_MAX_HELD 1024 /* per room; more lets every hold go */

/* Publishes the packet (data, len, gid) of `room` with what emit does. */
typedef int (*seqorder_emit_fn)(const char *room, const char *data, size_t len,
                                const char *gid);

/* Emits now, or holds until seq - 1 went out. Returns emit's result for
 * this packet, 0 when held (-1 on OOM: emitted at once instead). */
int seqorder_offer(const char *room, int64_t seq, const char *data, size_t len, const char *gid,
                   int64_t now_ms, seqorder_emit_fn emit);
/* Lets go of holds older than SEQORDER_HOLD_MS (in seq order) and forgets
 * idle rooms. */
void seqorder_sweep(int64_t now_ms, seqorder_emit_fn emit);
/* Forgets everything without emitting (tests, shutdown). */
void seqorder_clear(void);

#endif
