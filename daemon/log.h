/*
 * log.h: leveled logging to stderr (journald takes it from there).
 * The level is checked before anything is formatted.
 */
#ifndef ANTRE_LOG_H
#define ANTRE_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* The name every line carries after the time ("antred" unless set). */
void log_set_name(const char *name);
void log_set_level(enum log_level level);
/* 1 when messages of this level are written: check before costly arguments. */
int log_enabled(enum log_level level);
/* 0 and *out set for "error", "warn", "info", "debug"; -1 otherwise. */
int log_level_parse(const char *name, enum log_level *out);
/* Routes libevent's own messages through this module. */
void log_capture_libevent(void);

/* log_warn and fatal append strerror(errno); the x forms do not. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);
_Noreturn void fatal(const char *fmt, ...) LOG_PRINTF(1, 2);
_Noreturn void fatalx(const char *fmt, ...) LOG_PRINTF(1, 2);

#endif
