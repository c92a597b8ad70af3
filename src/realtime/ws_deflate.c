/* realtime/ws_deflate.c -- permessage-deflate (RFC 7692) for ws.c.
 *
 * The extension is negotiated with server_no_context_takeover and
 * client_no_context_takeover, so every message is compressed and
 * decompressed on its own. That lets each loop thread share one deflate
 * and one inflate stream (thread-local, created on first use, released by
 * rt_deflate_thread_cleanup() when the loop ends) instead of paying
 * zlib's ~300 KiB of state per connection. Decompression is bounded by the
 * caller's limit (a small compressed frame cannot expand into gigabytes).
 */
#include "realtime/rt_int.h"

#include <string.h>
#include <zlib.h>

static _Thread_local z_stream tl_def, tl_inf;
static _Thread_local bool tl_def_ok, tl_inf_ok;

static const uint8_t TAIL[4] = {0x00, 0x00, 0xff, 0xff};

int rt_deflate_msg(const uint8_t *in, size_t len, buf_t *out)
{
    if (!tl_def_ok) {
        if (deflateInit2(&tl_def, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        tl_def_ok = true;
    }
    deflateReset(&tl_def);
    out->len = 0;
    size_t cap = deflateBound(&tl_def, len) + 16;
    if (buf_reserve(out, cap) < 0)
        return -1;
    tl_def.next_in = (Bytef *)in;
    tl_def.avail_in = (uInt)len;
    tl_def.next_out = (Bytef *)out->data;
    tl_def.avail_out = (uInt)cap;
    if (deflate(&tl_def, Z_SYNC_FLUSH) != Z_OK || tl_def.avail_in != 0)
        return -1;
    out->len = cap - tl_def.avail_out;
    if (out->len < 4 || memcmp(out->data + out->len - 4, TAIL, 4) != 0)
        return -1;
    out->len -= 4; /* RFC 7692 7.2.1: the empty block's tail is not sent */
    return 0;
}

int rt_inflate_msg(const uint8_t *in, size_t len, size_t max, buf_t *out)
{
    if (!tl_inf_ok) {
        if (inflateInit2(&tl_inf, -15) != Z_OK)
            return -1;
        tl_inf_ok = true;
    }
    inflateReset(&tl_inf);
    out->len = 0;
    for (int pass = 0; pass < 2; pass++) {
        tl_inf.next_in = (Bytef *)(pass == 0 ? in : TAIL);
        tl_inf.avail_in = (uInt)(pass == 0 ? len : sizeof TAIL);
        while (tl_inf.avail_in > 0) {
            if (buf_reserve(out, 16384) < 0)
                return -1;
            tl_inf.next_out = (Bytef *)out->data + out->len;
            tl_inf.avail_out = (uInt)(out->cap - out->len - 1);
            int rc = inflate(&tl_inf, Z_SYNC_FLUSH);
            out->len = (size_t)((char *)tl_inf.next_out - out->data);
            if (out->len > max)
                return -2;
            if (rc == Z_STREAM_END)
                break;
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                return -1;
            if (rc == Z_BUF_ERROR && tl_inf.avail_out != 0)
                return -1;
        }
    }
    return 0;
}

void rt_deflate_thread_cleanup(void)
{
    if (tl_def_ok)
        deflateEnd(&tl_def);
    if (tl_inf_ok)
        inflateEnd(&tl_inf);
    tl_def_ok = tl_inf_ok = false;
}
