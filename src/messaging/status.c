/*
 * messaging/status.c - message status from the members' positions. Pure
 * (no store, no I/O) so the unit tests link it alone; see msg_int.h.
 */
#include "messaging/msg_int.h"

#include <string.h>

const char *msg_status(const msg_pos_t *pos, size_t n, const char *sender, int64_t seq)
{
    bool all_read = true, all_delivered = true, others = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(pos[i].user_id, sender) == 0)
            continue;
        others = true;
        if (pos[i].read < seq)
            all_read = false;
        if (pos[i].delivered < seq && pos[i].read < seq)
            all_delivered = false;
    }
    if (!others)
        return "SENT";
    return all_read ? "READ" : all_delivered ? "DELIVERED" : "SENT";
}
