/*
 * log.h - leveled logging as JSON lines on stderr.
 *
 * Every line is one write(2) so lines from several loop threads never
 * interleave. The level is process-wide and set once at start-up.
 */
#ifndef TRAVLOC_LOG_H
#define TRAVLOC_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level_t;

void log_set_level(log_level_t lvl);
log_level_t log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; -1 when unknown. */
int log_parse_level(const char *s);
/* msg is a human sentence; fmt/... adds extra JSON members, e.g.
 * log_msg(LOG_INFO, "listening", "\"addr\":\"%s\"", addr). fmt may be NULL. */
void log_msg(log_level_t lvl, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes a line that is already a complete JSON object (no newline). */
void log_raw(const char *line, unsigned long len);

#define log_info(msg, ...) log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)

#endif
