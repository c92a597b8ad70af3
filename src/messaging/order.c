/*
 * messaging/order.c - publishes a conversation's messages in seq order.
 *
 * Two loops may commit messages of one conversation back to back and then
 * race to realtime_publish(); without care, seq 6 could reach clients
 * before seq 5. A sender takes a ticket while it holds the conversation's
 * row lock (PostgreSQL) or the write lock (SQLite), so tickets of one
 * conversation are taken in seq order. Releasing a ticket marks it ready;
 * ready tickets at the head of their conversation's queue are published
 * and freed, under one process-wide mutex, so publishes happen in ticket
 * order. A rolled-back send releases its ticket with no payload.
 *
 * State: a list of per-conversation queues, each a FIFO of tickets, all
 * heap-allocated and owned by this file; a queue is freed when it empties.
 * Only in-flight sends are present, so the list stays short.
 */
#include "messaging/messaging.h"

#include "realtime/realtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct msg_ticket {
    msg_ticket_t *next;
    struct queue *q;
    bool ready;
    char event[32];
    json_t *payload; /* own reference once ready */
};

typedef struct queue {
    struct queue *next;
    msg_ticket_t *head, *tail;
    char cid[48];
} queue_t;

static uv_mutex_t O_mu;
static uv_once_t O_once = UV_ONCE_INIT;
static queue_t *O_queues;

static void order_init(void) { uv_mutex_init(&O_mu); }

msg_ticket_t *msg_order_take(const char *cid)
{
    uv_once(&O_once, order_init);
    msg_ticket_t *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    uv_mutex_lock(&O_mu);
    queue_t *q = O_queues;
    while (q && strcmp(q->cid, cid) != 0)
        q = q->next;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            abort();
        snprintf(q->cid, sizeof q->cid, "%s", cid);
        q->next = O_queues;
        O_queues = q;
    }
    t->q = q;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
    uv_mutex_unlock(&O_mu);
    return t;
}

static void queue_drop(queue_t *q)
{
    for (queue_t **pp = &O_queues; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            free(q);
            return;
        }
}

void msg_order_release(msg_ticket_t *t, const char *event, json_t *payload)
{
    if (!t)
        return;
    uv_mutex_lock(&O_mu);
    t->ready = true;
    snprintf(t->event, sizeof t->event, "%s", event ? event : "");
    t->payload = payload ? json_incref(payload) : NULL;
    queue_t *q = t->q;
    while (q->head && q->head->ready) {
        msg_ticket_t *h = q->head;
        q->head = h->next;
        if (!q->head)
            q->tail = NULL;
        if (h->payload) {
            char room[64];
            snprintf(room, sizeof room, "conversation:%s", q->cid);
            realtime_publish(room, h->event, h->payload);
            json_decref(h->payload);
        }
        free(h);
    }
    if (!q->head)
        queue_drop(q);
    uv_mutex_unlock(&O_mu);
}
