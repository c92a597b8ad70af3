/* bench/realtime/fanout_gen.c -- a lean fan-out load generator (one libuv
 * loop, one core) for bench/realtime/fanout.mjs --gen c.
 *
 * It holds the WebSocket clients itself (Engine.IO v4 / Socket.IO v5 text
 * frames over RFC 6455, framing from src/realtime/ws_frame.c in client
 * mode) and posts the messages over HTTP/1.1 keep-alive connections at
 * fixed rates, open loop (a post that finds no free connection waits in a
 * backlog, so queueing shows in the latency). Each message text is
 * "rt <seq> <uv_hrtime ns>"; a receipt is matched with memmem on the raw
 * frame, so the generator does no JSON work per receipt.
 *
 *   fanout_gen HOST PORT DIALECT CLIENTS_FILE POSTERS_FILE RATES WARMUP_MS MEASURE_MS DRAIN_MS
 *
 * DIALECT is "travloc" (room:join "conversation:<id>", POST
 * /v1/messages/conversations/<id>) or "peer" (join {conversation_id},
 * POST /v1/conversations/<id>/messages). Files hold "token room" lines.
 * Prints "READY n" once every client joined, then one "STEP {json}" line
 * per rate. GEN_DEBUG=1 traces the handshake frames on stderr. Memory:
 * everything lives until exit (a benchmark tool).
 */
#include "realtime/ws_frame.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define NPOST 64            /* HTTP connections */
#define CONNECT_LANES 50

typedef struct { char *token, *room; } cred_t;

typedef struct wsc {
    uv_tcp_t tcp;
    uv_connect_t creq;
    cred_t *c;
    int state;               /* 0 http, 1 open, 2 auth, 3 join, 4 ready */
    char hbuf[1024];
    size_t hlen;
    ws_parser_t parser;
} wsc_t;

typedef struct poster {
    uv_tcp_t tcp;
    uv_connect_t creq;
    bool busy, up;
    char rbuf[8192];
    size_t rlen;
} poster_t;

static uv_loop_t *L;
static struct sockaddr_in addr;
static const char *host_hdr, *dialect;
static cred_t *clients, *posters;
static int nclients, nposters, next_client, ready, failed;
static poster_t post_conns[NPOST];
/* the current step */
static double rate;
static uint64_t step_seq0, t0, win_start, win_end, seq_min, seq_next, total;
static uint64_t posted, backlog, post_errors, in_window, received;
static double *lat;
static size_t nlat, cap_lat;
static uint64_t *rates;
static int nrates, cur_rate = -1;
static uint64_t warm_ms, meas_ms, drain_ms;
static uv_timer_t tick;

static void alloc_cb(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    (void)h;
    (void)s;
    static char slab[256 * 1024];
    b->base = slab;
    b->len = sizeof slab;
}

static void free_req(uv_write_t *w, int st)
{
    (void)st;
    free(w);
}

static void send_bytes(uv_stream_t *s, const void *data, size_t len)
{
    uv_write_t *w = malloc(sizeof *w + len);
    memcpy(w + 1, data, len);
    uv_buf_t b = uv_buf_init((char *)(w + 1), (unsigned)len);
    if (uv_write(w, s, &b, 1, free_req) != 0)
        free(w);
}

/* A masked client text frame (mask key 0: the payload is unchanged). */
static void ws_send_text(wsc_t *c, const char *text)
{
    size_t n = strlen(text);
    uint8_t frame[16 + 1024];
    if (n > 1024)
        return;
    size_t h = 0;
    frame[h++] = 0x81;
    if (n < 126) {
        frame[h++] = (uint8_t)(0x80 | n);
    } else {
        frame[h++] = 0x80 | 126;
        frame[h++] = (uint8_t)(n >> 8);
        frame[h++] = (uint8_t)n;
    }
    memset(frame + h, 0, 4);
    h += 4;
    memcpy(frame + h, text, n);
    send_bytes((uv_stream_t *)&c->tcp, frame, h + n);
}

static void start_next_client(void);

static void client_done(wsc_t *c, bool ok)
{
    if (ok)
        ready++;
    else
        failed++;
    if (!ok)
        uv_read_stop((uv_stream_t *)&c->tcp);
    if (ready + failed == nclients) {
        printf("READY %d %d\n", ready, failed);
        fflush(stdout);
    }
    start_next_client();
}

static void on_receipt(const uint8_t *d, size_t n)
{
    const uint8_t *p = memmem(d, n, "rt ", 3);
    if (!p)
        return;
    received++;
    uint64_t now = uv_hrtime();
    char tmp[64];
    size_t k = (size_t)(d + n - p - 3) < sizeof tmp - 1 ? (size_t)(d + n - p - 3) : sizeof tmp - 1;
    memcpy(tmp, p + 3, k);
    tmp[k] = '\0';
    char *end;
    uint64_t seq = strtoull(tmp, &end, 10);
    uint64_t sent = strtoull(end, NULL, 10);
    if (cur_rate < 0)
        return;
    if (now >= win_start && now < win_end)
        in_window++;
    if (seq >= seq_min && sent && now > sent) {
        if (nlat == cap_lat) {
            cap_lat = cap_lat ? cap_lat * 2 : 1 << 20;
            lat = realloc(lat, cap_lat * sizeof *lat);
        }
        lat[nlat++] = (double)(now - sent) / 1e6;
    }
}

static int on_frame(void *ud, int op, bool rsv1, uint8_t *d, size_t n)
{
    (void)rsv1;
    wsc_t *c = ud;
    if (getenv("GEN_DEBUG"))
        fprintf(stderr, "state %d op %d: %.*s\n", c->state, op, (int)(n < 200 ? n : 200), d);
    if (op == WS_OP_PING || op == WS_OP_CLOSE)
        return op == WS_OP_CLOSE;
    if (n == 1 && d[0] == '2') {
        ws_send_text(c, "3");
        return 0;
    }
    if (c->state == 4) {
        on_receipt(d, n);
        return 0;
    }
    char buf[512];
    if (c->state == 1 && n && d[0] == '0') {
        snprintf(buf, sizeof buf, "40{\"token\":\"%s\"}", c->c->token);
        ws_send_text(c, buf);
        c->state = 2;
    } else if (c->state == 2 && n >= 2 && !memcmp(d, "40", 2)) {
        if (!strcmp(dialect, "peer"))
            snprintf(buf, sizeof buf, "420[\"join\",{\"conversation_id\":%s}]", c->c->room);
        else
            snprintf(buf, sizeof buf, "420[\"room:join\",\"conversation:%s\"]", c->c->room);
        ws_send_text(c, buf);
        c->state = 3;
    } else if (c->state == 2 && n >= 2 && !memcmp(d, "44", 2)) {
        client_done(c, false);
        return 1;
    } else if (c->state == 3 && n >= 3 && !memcmp(d, "430", 3)) {
        bool ok = memmem(d, n, "\"ok\":true", 9) != NULL;
        c->state = ok ? 4 : 5;
        client_done(c, ok);
        return !ok;
    }
    return 0;
}

static void ws_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    wsc_t *c = s->data;
    if (n < 0) {
        if (c->state != 4 && c->state != 5) {
            c->state = 5;
            client_done(c, false);
        }
        uv_read_stop(s);
        return;
    }
    uint8_t *d = (uint8_t *)b->base;
    size_t len = (size_t)n;
    if (c->state == 0) {
        size_t take = len < sizeof c->hbuf - 1 - c->hlen ? len : sizeof c->hbuf - 1 - c->hlen;
        memcpy(c->hbuf + c->hlen, d, take);
        c->hlen += take;
        c->hbuf[c->hlen] = '\0';
        char *e = strstr(c->hbuf, "\r\n\r\n");
        if (!e)
            return;
        if (getenv("GEN_DEBUG"))
            fprintf(stderr, "response: %s\n", c->hbuf);
        if (strncmp(c->hbuf, "HTTP/1.1 101", 12) != 0) {
            c->state = 5;
            client_done(c, false);
            return;
        }
        size_t used = (size_t)(e + 4 - c->hbuf) - (c->hlen - take);
        d += used;
        len -= used;
        c->state = 1;
    }
    if (len && ws_parse(&c->parser, d, len, on_frame, c) < 0 && c->state != 4) {
        c->state = 5;
        client_done(c, false);
    }
}

static void ws_connected(uv_connect_t *r, int st)
{
    wsc_t *c = r->data;
    if (st < 0) {
        c->state = 5;
        client_done(c, false);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     host_hdr);
    send_bytes((uv_stream_t *)&c->tcp, req, (size_t)n);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, ws_read);
}

static void start_next_client(void)
{
    if (next_client >= nclients)
        return;
    wsc_t *c = calloc(1, sizeof *c);
    c->c = &clients[next_client++];
    ws_parser_init_client(&c->parser, 1 << 20);
    uv_tcp_init(L, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&addr, ws_connected);
}

/* ---- HTTP posting ---- */

static void post_one(poster_t *pc);

static void post_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    poster_t *pc = s->data;
    if (n < 0) {
        pc->up = false;
        if (pc->busy)
            post_errors++;
        pc->busy = false;
        uv_read_stop(s);
        return;
    }
    size_t take = (size_t)n < sizeof pc->rbuf - 1 - pc->rlen ? (size_t)n : sizeof pc->rbuf - 1 - pc->rlen;
    memcpy(pc->rbuf + pc->rlen, b->base, take);
    pc->rlen += take;
    pc->rbuf[pc->rlen] = '\0';
    char *e = strstr(pc->rbuf, "\r\n\r\n");
    if (!e)
        return;
    char *cl = strcasestr(pc->rbuf, "content-length:");
    size_t body = cl && cl < e ? strtoul(cl + 15, NULL, 10) : 0;
    size_t need = (size_t)(e + 4 - pc->rbuf) + body;
    if (pc->rlen < need)
        return;
    int status = atoi(pc->rbuf + 9);
    if (status < 200 || status >= 300)
        post_errors++;
    memmove(pc->rbuf, pc->rbuf + need, pc->rlen - need);
    pc->rlen -= need;
    pc->busy = false;
    if (backlog) {
        backlog--;
        post_one(pc);
    }
}

static void post_one(poster_t *pc)
{
    uint64_t seq = seq_next++;
    cred_t *p = &posters[seq % (uint64_t)nposters];
    char body[96];
    uint64_t sched = t0 + (uint64_t)((double)(seq - step_seq0) * 1e9 / rate);
    int bl = snprintf(body, sizeof body, "{\"text\":\"rt %" PRIu64 " %" PRIu64 "\"}", seq, sched);
    char req[1024];
    int n;
    if (!strcmp(dialect, "peer"))
        n = snprintf(req, sizeof req, "POST /v1/conversations/%s/messages HTTP/1.1\r\n", p->room);
    else
        n = snprintf(req, sizeof req, "POST /v1/messages/conversations/%s HTTP/1.1\r\n", p->room);
    n += snprintf(req + n, sizeof req - (size_t)n,
                  "Host: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\n"
                  "Content-Length: %d\r\n\r\n%s", host_hdr, p->token, bl, body);
    pc->busy = true;
    posted++;
    send_bytes((uv_stream_t *)&pc->tcp, req, (size_t)n);
}

static void post_connected(uv_connect_t *r, int st)
{
    poster_t *pc = r->data;
    if (st < 0)
        return;
    pc->up = true;
    uv_tcp_nodelay(&pc->tcp, 1);
    uv_read_start((uv_stream_t *)&pc->tcp, alloc_cb, post_read);
}

static void start_step(void);

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_step(void)
{
    qsort(lat, nlat, sizeof *lat, cmp);
    double p50 = nlat ? lat[(size_t)(0.5 * (double)(nlat - 1))] : -1;
    double p99 = nlat ? lat[(size_t)(0.99 * (double)(nlat - 1))] : -1;
    printf("STEP {\"rate\":%.0f,\"posted\":%" PRIu64 ",\"postErrors\":%" PRIu64
           ",\"deliveredPerS\":%.0f,\"p50\":%.2f,\"p99\":%.2f,\"latSamples\":%zu}\n",
           rate, posted, post_errors, (double)in_window * 1000.0 / (double)meas_ms, p50, p99,
           nlat);
    fflush(stdout);
}

static void on_tick(uv_timer_t *t)
{
    (void)t;
    uint64_t now = uv_hrtime();
    uint64_t due = (uint64_t)((double)(now - t0) / 1e9 * rate);
    if (due > total)
        due = total;
    while (posted + backlog < due) {
        poster_t *free_pc = NULL;
        for (int i = 0; i < NPOST && !free_pc; i++)
            if (post_conns[i].up && !post_conns[i].busy)
                free_pc = &post_conns[i];
        if (free_pc)
            post_one(free_pc);
        else
            backlog++;
    }
    if (now > win_end + drain_ms * 1000000ull) {
        uv_timer_stop(&tick);
        print_step();
        start_step();
    }
}

static void start_step(void)
{
    if (++cur_rate >= nrates) {
        uv_stop(L);
        return;
    }
    rate = (double)rates[cur_rate];
    t0 = uv_hrtime();
    win_start = t0 + warm_ms * 1000000ull;
    win_end = win_start + meas_ms * 1000000ull;
    total = (uint64_t)(rate * (double)(warm_ms + meas_ms) / 1000.0);
    step_seq0 = seq_next;
    seq_min = seq_next + (uint64_t)(rate * (double)warm_ms / 1000.0);
    posted = backlog = post_errors = in_window = 0;
    nlat = 0;
    uv_timer_start(&tick, on_tick, 1, 1);
}

static cred_t *read_creds(const char *path, int *n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    cred_t *v = NULL;
    int cap = 0;
    char tok[2048], room[256];
    *n = 0;
    while (fscanf(f, "%2047s %255s", tok, room) == 2) {
        if (*n == cap)
            v = realloc(v, (size_t)(cap = cap ? cap * 2 : 1024) * sizeof *v);
        v[*n].token = strdup(tok);
        v[*n].room = strdup(room);
        (*n)++;
    }
    fclose(f);
    return v;
}

static void wait_ready(uv_timer_t *t)
{
    if (ready + failed < nclients)
        return;
    uv_timer_stop(t);
    start_step();
}

int main(int argc, char **argv)
{
    if (argc != 10) {
        fprintf(stderr, "usage: fanout_gen HOST PORT DIALECT CLIENTS POSTERS RATES WARMUP_MS "
                        "MEASURE_MS DRAIN_MS\n");
        return 2;
    }
    L = uv_default_loop();
    uv_ip4_addr(argv[1], atoi(argv[2]), &addr);
    static char hh[128];
    snprintf(hh, sizeof hh, "%s:%s", argv[1], argv[2]);
    host_hdr = hh;
    dialect = argv[3];
    clients = read_creds(argv[4], &nclients);
    posters = read_creds(argv[5], &nposters);
    for (char *s = argv[6]; s && *s;) {
        rates = realloc(rates, (size_t)(nrates + 1) * sizeof *rates);
        rates[nrates++] = strtoull(s, &s, 10);
        if (*s == ',')
            s++;
    }
    warm_ms = strtoull(argv[7], NULL, 10);
    meas_ms = strtoull(argv[8], NULL, 10);
    drain_ms = strtoull(argv[9], NULL, 10);
    if (!nclients || !nposters || !nrates)
        return 2;
    for (int i = 0; i < NPOST; i++) {
        poster_t *pc = &post_conns[i];
        uv_tcp_init(L, &pc->tcp);
        pc->tcp.data = pc;
        pc->creq.data = pc;
        uv_tcp_connect(&pc->creq, &pc->tcp, (struct sockaddr *)&addr, post_connected);
    }
    for (int i = 0; i < CONNECT_LANES; i++)
        start_next_client();
    uv_timer_init(L, &tick);
    uv_timer_t rt;
    uv_timer_init(L, &rt);
    uv_timer_start(&rt, wait_ready, 10, 10);
    uv_run(L, UV_RUN_DEFAULT);
    return 0;
}
