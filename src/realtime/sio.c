/* realtime/sio.c -- Socket.IO v5 packet codec. See sio.h.
 *
 * A packet keeps its attachments in bins[] (bytes, in wire order) and the
 * marker nodes that stand for them in marks[] (each holds a reference to
 * its node, so a node's address cannot be reused while the packet lives,
 * which is what makes identity lookups safe).
 */
#include "realtime/sio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realtime/eio.h"

struct sio__bin {
    uint8_t *data;
    size_t len;
};

struct sio__mark {
    json_t *node; /* a reference held by the packet */
    size_t bin;   /* index into bins[] */
};

struct sio_decoder {
    sio_limits_t lim;
    sio_packet_t *pending; /* a binary packet awaiting attachments */
    size_t expected;
    size_t total;          /* bytes received for the pending packet */
};

#define SIO_NSP_MAX_NEW 128 /* namespaces given to sio_packet_new() */
#define SIO_MAX_MARKS 1024  /* placeholders per decoded packet */
#define SIO_ENCODE_MAX_DEPTH 512

static bool type_ok(int t)
{
    return t >= SIO_CONNECT && t <= SIO_BINARY_ACK;
}

static bool is_binary_type(sio_type_t t)
{
    return t == SIO_BINARY_EVENT || t == SIO_BINARY_ACK;
}

/* 0, -EINVAL (bad characters) or -EMSGSIZE (too long). */
static int nsp_check(const char *s, size_t n, size_t max)
{
    if (n == 0 || s[0] != '/')
        return -EINVAL;
    if (n > max)
        return -EMSGSIZE;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return -EINVAL;
    return eio_utf8_valid((const uint8_t *)s, n) ? 0 : -EINVAL;
}

static bool reserved_event(const char *name)
{
    static const char *const reserved[] = {"connect", "connect_error", "disconnect",
                                           "disconnecting", "newListener",
                                           "removeListener"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

/* The payload shape each type requires (socket.io-parser isPayloadValid,
 * plus: ACK needs an id, and only EVENT/ACK may carry one). */
static int check_payload(sio_type_t t, const json_t *data, int64_t id)
{
    if (id < SIO_NO_ID || id > SIO_MAX_ID)
        return -EINVAL;
    switch (t) {
    case SIO_CONNECT:
        return (!data || json_is_object(data)) && id == SIO_NO_ID ? 0 : -EINVAL;
    case SIO_DISCONNECT:
        return !data && id == SIO_NO_ID ? 0 : -EINVAL;
    case SIO_CONNECT_ERROR:
        return (json_is_string(data) || json_is_object(data)) && id == SIO_NO_ID ? 0
                                                                                 : -EINVAL;
    case SIO_EVENT:
    case SIO_BINARY_EVENT: {
        const json_t *name = json_is_array(data) ? json_array_get(data, 0) : NULL;
        if (json_is_number(name))
            return 0;
        return json_is_string(name) && !reserved_event(json_string_value(name)) ? 0
                                                                                : -EINVAL;
    }
    case SIO_ACK:
    case SIO_BINARY_ACK:
        return json_is_array(data) && id != SIO_NO_ID ? 0 : -EINVAL;
    }
    return -EINVAL;
}

/* ---- Packets. ---- */

static int packet_alloc(sio_type_t type, const char *nsp, size_t nsp_len, int64_t id,
                        json_t *data, sio_packet_t **out)
{
    sio_packet_t *p = calloc(1, sizeof *p);
    char *n = malloc(nsp_len + 1);
    if (!p || !n) {
        free(p);
        free(n);
        json_decref(data);
        return -ENOMEM;
    }
    memcpy(n, nsp, nsp_len);
    n[nsp_len] = 0;
    p->type = type;
    p->nsp = n;
    p->id = id;
    p->data = data;
    *out = p;
    return 0;
}

int sio_packet_new(sio_type_t type, const char *nsp, int64_t id, json_t *data,
                   sio_packet_t **out)
{
    if (!out) {
        json_decref(data);
        return -EINVAL;
    }
    *out = NULL;
    if (!nsp)
        nsp = "/";
    size_t n = strnlen(nsp, SIO_NSP_MAX_NEW + 1);
    if (!type_ok((int)type) || id < SIO_NO_ID || id > SIO_MAX_ID ||
        nsp_check(nsp, n, SIO_NSP_MAX_NEW) < 0) {
        json_decref(data);
        return -EINVAL;
    }
    return packet_alloc(type, nsp, n, id, data, out);
}

void sio_packet_free(sio_packet_t *p)
{
    if (!p)
        return;
    json_decref(p->data);
    for (size_t i = 0; i < p->nmarks; i++)
        json_decref(p->marks[i].node);
    for (size_t i = 0; i < p->nbins; i++)
        free(p->bins[i].data);
    free(p->marks);
    free(p->bins);
    free(p->nsp);
    free(p);
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, ncap * size);
    if (!n)
        return -ENOMEM;
    *arr = n;
    *cap = ncap;
    return 0;
}

static int add_bin(sio_packet_t *p, const void *data, size_t len)
{
    if (grow((void **)&p->bins, &p->capbins, p->nbins + 1, sizeof *p->bins) < 0)
        return -ENOMEM;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    p->bins[p->nbins++] = (struct sio__bin){copy, len};
    return 0;
}

/* Register `node` (a reference is taken) as a marker for bins[bin]. */
static int add_mark(sio_packet_t *p, json_t *node, size_t bin)
{
    if (grow((void **)&p->marks, &p->capmarks, p->nmarks + 1, sizeof *p->marks) < 0)
        return -ENOMEM;
    p->marks[p->nmarks++] = (struct sio__mark){json_incref(node), bin};
    return 0;
}

static json_t *placeholder_new(size_t num)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "_placeholder", json_true()) < 0 ||
        json_object_set_new(o, "num", json_integer((json_int_t)num)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *sio_packet_binary(sio_packet_t *p, const void *data, size_t len)
{
    if (!p || (len && !data))
        return NULL;
    json_t *node = placeholder_new(p->nbins);
    if (!node)
        return NULL;
    if (add_bin(p, data, len) < 0) {
        json_decref(node);
        return NULL;
    }
    if (add_mark(p, node, p->nbins - 1) < 0) {
        free(p->bins[--p->nbins].data);
        json_decref(node);
        return NULL;
    }
    return node;
}

static const struct sio__mark *find_mark(const sio_packet_t *p, const json_t *node)
{
    for (size_t i = 0; i < p->nmarks; i++)
        if (p->marks[i].node == node)
            return &p->marks[i];
    return NULL;
}

bool sio_packet_get_binary(const sio_packet_t *p, const json_t *node, const uint8_t **data,
                           size_t *len)
{
    const struct sio__mark *m = p && node ? find_mark(p, node) : NULL;
    if (!m)
        return false;
    if (data)
        *data = p->bins[m->bin].data;
    if (len)
        *len = p->bins[m->bin].len;
    return true;
}

size_t sio_packet_attachment_count(const sio_packet_t *p)
{
    return p ? p->nbins : 0;
}

/* ---- Encoding. ---- */

typedef struct enc {
    const sio_packet_t *p;
    sio_attachment_t *attach;
    size_t nattach, cap;
} enc_t;

static bool is_placeholder_like(const json_t *o)
{
    return json_is_object(o) && json_is_true(json_object_get(o, "_placeholder"));
}

/* Copy `node`, replacing markers by numbered placeholders. */
static int deconstruct(enc_t *e, json_t *node, size_t depth, json_t **out)
{
    if (depth > SIO_ENCODE_MAX_DEPTH)
        return -EINVAL; /* too deep, or a cycle */
    const struct sio__mark *m = find_mark(e->p, node);
    if (m) {
        if (grow((void **)&e->attach, &e->cap, e->nattach + 1, sizeof *e->attach) < 0)
            return -ENOMEM;
        if (!(*out = placeholder_new(e->nattach)))
            return -ENOMEM;
        const struct sio__bin *b = &e->p->bins[m->bin];
        e->attach[e->nattach++] = (sio_attachment_t){b->data, b->len};
        return 0;
    }
    if (is_placeholder_like(node))
        return -EINVAL; /* would be taken for an attachment by the peer */
    json_t *copy = NULL, *v;
    int rc = 0;
    if (json_is_object(node)) {
        const char *k;
        if (!(copy = json_object()))
            return -ENOMEM;
        json_object_foreach(node, k, v) {
            json_t *c;
            if ((rc = deconstruct(e, v, depth + 1, &c)) < 0)
                break;
            if (json_object_set_new(copy, k, c) < 0) {
                rc = -ENOMEM;
                break;
            }
        }
    } else if (json_is_array(node)) {
        size_t i;
        if (!(copy = json_array()))
            return -ENOMEM;
        json_array_foreach(node, i, v) {
            json_t *c;
            if ((rc = deconstruct(e, v, depth + 1, &c)) < 0)
                break;
            if (json_array_append_new(copy, c) < 0) {
                rc = -ENOMEM;
                break;
            }
        }
    } else {
        copy = json_incref(node);
    }
    if (rc < 0) {
        json_decref(copy);
        return rc;
    }
    *out = copy;
    return 0;
}

static int build_text(sio_type_t type, size_t nattach, const char *nsp, int64_t id,
                      const json_t *data, sio_encoded_t *out)
{
    char *json = NULL;
    if (data && !(json = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY)))
        return -ENOMEM;
    char head[64];
    int hn = snprintf(head, sizeof head, "%d", (int)type);
    if (is_binary_type(type))
        hn += snprintf(head + hn, sizeof head - (size_t)hn, "%zu-", nattach);
    bool custom = strcmp(nsp, "/") != 0;
    size_t nl = custom ? strlen(nsp) + 1 : 0, jl = json ? strlen(json) : 0;
    char idbuf[24] = "";
    if (id != SIO_NO_ID)
        snprintf(idbuf, sizeof idbuf, "%" PRId64, id);
    size_t il = strlen(idbuf), total = (size_t)hn + nl + il + jl;
    char *text = malloc(total + 1);
    if (!text) {
        free(json);
        return -ENOMEM;
    }
    char *w = text;
    memcpy(w, head, (size_t)hn);
    w += hn;
    if (custom) {
        memcpy(w, nsp, nl - 1);
        w[nl - 1] = ',';
        w += nl;
    }
    memcpy(w, idbuf, il);
    w += il;
    if (jl)
        memcpy(w, json, jl);
    text[total] = 0;
    free(json);
    out->text = text;
    out->text_len = total;
    return 0;
}

int sio_encode(const sio_packet_t *p, sio_encoded_t *out)
{
    if (!p || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (!type_ok((int)p->type) || !p->nsp ||
        nsp_check(p->nsp, strlen(p->nsp), SIZE_MAX) < 0 ||
        check_payload(p->type, p->data, p->id) < 0)
        return -EINVAL;
    enc_t e = {.p = p};
    json_t *data = p->data ? json_incref(p->data) : NULL;
    int rc = 0;
    if (p->data && p->nmarks > 0) {
        json_decref(data);
        data = NULL;
        rc = deconstruct(&e, p->data, 0, &data);
    }
    sio_type_t type = p->type;
    if (type == SIO_EVENT || type == SIO_BINARY_EVENT)
        type = e.nattach ? SIO_BINARY_EVENT : SIO_EVENT;
    else if (type == SIO_ACK || type == SIO_BINARY_ACK)
        type = e.nattach ? SIO_BINARY_ACK : SIO_ACK;
    if (rc == 0)
        rc = build_text(type, e.nattach, p->nsp, p->id, data, out);
    json_decref(data);
    if (rc < 0) {
        free(e.attach);
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->attach = e.attach;
    out->nattach = e.nattach;
    return 0;
}

void sio_encoded_free(sio_encoded_t *e)
{
    if (!e)
        return;
    free(e->text);
    free(e->attach);
    memset(e, 0, sizeof *e);
}

/* ---- Decoding. ---- */

int sio_decoder_new(const sio_limits_t *limits, sio_decoder_t **out)
{
    if (!out)
        return -EINVAL;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -ENOMEM;
    (*out)->lim = limits ? *limits : SIO_LIMITS_DEFAULT;
    return 0;
}

void sio_decoder_reset(sio_decoder_t *d)
{
    if (!d)
        return;
    sio_packet_free(d->pending);
    d->pending = NULL;
    d->expected = d->total = 0;
}

void sio_decoder_free(sio_decoder_t *d)
{
    sio_decoder_reset(d);
    free(d);
}

bool sio_decoder_pending(const sio_decoder_t *d)
{
    return d && d->pending;
}

/* Nesting of arrays and objects within `max`, stopping as soon as it is
 * exceeded (the root container is depth 1; scalars add nothing). */
static bool depth_ok(const json_t *node, size_t depth, size_t max)
{
    if (!json_is_object(node) && !json_is_array(node))
        return true;
    if (depth > max)
        return false;
    const json_t *v;
    if (json_is_object(node)) {
        const char *k;
        json_object_foreach((json_t *)node, k, v)
            if (!depth_ok(v, depth + 1, max))
                return false;
    } else if (json_is_array(node)) {
        size_t i;
        json_array_foreach(node, i, v)
            if (!depth_ok(v, depth + 1, max))
                return false;
    }
    return true;
}

/* Register every placeholder of a binary packet as a marker. */
static int collect_placeholders(sio_packet_t *p, json_t *node, size_t n)
{
    json_t *v;
    if (is_placeholder_like(node)) {
        json_t *num = json_object_get(node, "num");
        if (!json_is_integer(num) || json_integer_value(num) < 0 ||
            (size_t)json_integer_value(num) >= n)
            return -EINVAL; /* illegal attachments */
        if (p->nmarks == SIO_MAX_MARKS)
            return -EMSGSIZE;
        return add_mark(p, node, (size_t)json_integer_value(num));
    }
    int rc = 0;
    if (json_is_object(node)) {
        const char *k;
        json_object_foreach(node, k, v)
            if ((rc = collect_placeholders(p, v, n)) < 0)
                return rc;
    } else if (json_is_array(node)) {
        size_t i;
        json_array_foreach(node, i, v)
            if ((rc = collect_placeholders(p, v, n)) < 0)
                return rc;
    }
    return 0;
}

typedef struct header {
    sio_type_t type;
    size_t nattach;
    const char *nsp;
    size_t nsp_len;
    int64_t id;
    size_t payload; /* offset of the JSON, == len if none */
} header_t;

static int parse_header(const char *s, size_t len, const sio_limits_t *lim, header_t *h)
{
    size_t i = 1;
    if (len == 0 || s[0] < '0' || !type_ok(s[0] - '0'))
        return -EINVAL;
    h->type = (sio_type_t)(s[0] - '0');
    h->nattach = 0;
    if (is_binary_type(h->type)) {
        size_t start = i, n = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 9)
            n = n * 10 + (size_t)(s[i++] - '0');
        if (i == start || i >= len || s[i] != '-')
            return -EINVAL; /* illegal attachments */
        if (n > lim->max_attachments)
            return -EMSGSIZE;
        h->nattach = n;
        i++;
    }
    h->nsp = "/";
    h->nsp_len = 1;
    if (i < len && s[i] == '/') {
        const char *comma = memchr(s + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - s) : len;
        int rc = nsp_check(s + i, end - i, lim->max_nsp_len);
        if (rc < 0)
            return rc;
        h->nsp = s + i;
        h->nsp_len = end - i;
        i = comma ? end + 1 : len;
    }
    h->id = SIO_NO_ID;
    if (i < len && s[i] >= '0' && s[i] <= '9') {
        size_t start = i;
        int64_t id = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (i - start >= 16)
                return -EINVAL;
            id = id * 10 + (s[i++] - '0');
        }
        if (id > SIO_MAX_ID)
            return -EINVAL;
        h->id = id;
    }
    h->payload = i;
    return 0;
}

static int decode_text(const sio_limits_t *lim, const char *s, size_t len,
                       sio_packet_t **out, size_t *nattach)
{
    header_t h;
    if (len > lim->max_total_size)
        return -EMSGSIZE;
    int rc = parse_header(s, len, lim, &h);
    if (rc < 0)
        return rc;
    json_t *data = NULL;
    if (h.payload < len) {
        json_error_t jerr;
        data = json_loadb(s + h.payload, len - h.payload, JSON_DECODE_ANY, &jerr);
        if (!data)
            return -EINVAL;
        if (!depth_ok(data, 1, lim->max_depth)) {
            json_decref(data);
            return -EMSGSIZE;
        }
    }
    if (check_payload(h.type, data, h.id) < 0) {
        json_decref(data);
        return -EINVAL;
    }
    sio_packet_t *p;
    if ((rc = packet_alloc(h.type, h.nsp, h.nsp_len, h.id, data, &p)) < 0)
        return rc;
    if (is_binary_type(h.type) && data &&
        (rc = collect_placeholders(p, data, h.nattach)) < 0) {
        sio_packet_free(p);
        return rc;
    }
    *out = p;
    *nattach = h.nattach;
    return 0;
}

static void finish_binary(sio_packet_t *p)
{
    p->type = p->type == SIO_BINARY_EVENT ? SIO_EVENT : SIO_ACK;
}

int sio_decoder_feed_text(sio_decoder_t *d, const char *text, size_t len,
                          sio_packet_t **out)
{
    if (!d || !out || (len && !text))
        return -EINVAL;
    *out = NULL;
    if (d->pending) {
        sio_decoder_reset(d);
        return -EPROTO; /* got plaintext data when reconstructing a packet */
    }
    sio_packet_t *p;
    size_t n;
    int rc = decode_text(&d->lim, text, len, &p, &n);
    if (rc < 0)
        return rc;
    if (is_binary_type(p->type)) {
        if (n == 0) {
            finish_binary(p);
        } else {
            d->pending = p;
            d->expected = n;
            d->total = len;
            return 0;
        }
    }
    *out = p;
    return 0;
}

int sio_decoder_feed_binary(sio_decoder_t *d, const uint8_t *data, size_t len,
                            sio_packet_t **out)
{
    if (!d || !out || (len && !data))
        return -EINVAL;
    *out = NULL;
    if (!d->pending)
        return -EPROTO; /* got binary data when not reconstructing a packet */
    if (len > d->lim.max_attachment_size || len > d->lim.max_total_size - d->total) {
        sio_decoder_reset(d);
        return -EMSGSIZE;
    }
    if (add_bin(d->pending, data, len) < 0) {
        sio_decoder_reset(d);
        return -ENOMEM;
    }
    d->total += len;
    if (d->pending->nbins < d->expected)
        return 0;
    sio_packet_t *p = d->pending;
    d->pending = NULL;
    d->expected = d->total = 0;
    finish_binary(p);
    *out = p;
    return 0;
}
