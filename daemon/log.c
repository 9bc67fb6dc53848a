/* log.c: leveled logging to stderr. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

static enum log_level log_level = LOG_LEVEL_INFO;
static char log_name[32] = "antred";    /* "antred.2" in the second worker */

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static void log_vwrite(enum log_level level, int errnum, const char *fmt,
    va_list ap)
{
	char msg[1024];
	struct timespec ts;
	struct tm tm;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (errnum)
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s: %s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_name,
		    level_names[level], msg, strerror(errnum));
	else
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s\n",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_name,
		    level_names[level], msg);
}

void log_set_name(const char *name)
{
	snprintf(log_name, sizeof log_name, "%s", name);
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

int log_enabled(enum log_level level)
{
	return level <= log_level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

static void log_libevent(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

void log_capture_libevent(void)
{
	event_set_log_callback(log_libevent);
}

#define LOG_BODY(level, errnum) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vwrite((level), (errnum), fmt, ap);	\
	va_end(ap);				\
} while (0)

void log_warn(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY(LOG_LEVEL_WARN, e);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, 0);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, 0);
}

void log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, 0);
}

void fatal(const char *fmt, ...)
{
	int e = errno;
	LOG_BODY(LOG_LEVEL_ERROR, e);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, 0);
	exit(1);
}
