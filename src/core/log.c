#include "core/log.h"

#include "core/buf.h"
#include "core/clock.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static _Atomic int g_level = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(log_level_t lvl) { atomic_store(&g_level, (int)lvl); }
log_level_t log_get_level(void) { return (log_level_t)atomic_load(&g_level); }

int log_parse_level(const char *s)
{
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

void log_raw(const char *line, unsigned long len)
{
    char nl = '\n';
    (void)!write(STDERR_FILENO, line, len);
    (void)!write(STDERR_FILENO, &nl, 1);
}

void log_msg(log_level_t lvl, const char *msg, const char *fmt, ...)
{
    if ((int)lvl < atomic_load(&g_level))
        return;
    char ts[32];
    clock_rfc3339(clock_now_ms(), ts, sizeof ts);
    buf_t b = BUF_INIT;
    buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", ts, names[lvl]);
    buf_json_str(&b, msg, strlen(msg));
    if (fmt && *fmt) {
        buf_puts(&b, ",");
        va_list ap;
        va_start(ap, fmt);
        buf_vprintf(&b, fmt, ap);
        va_end(ap);
    }
    buf_puts(&b, "}\n");
    if (b.data)
        (void)!write(STDERR_FILENO, b.data, b.len);
    buf_free(&b);
}
