/* notify.c: sd_notify(3) messages to the service manager, through libsystemd. */
#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"

#define STATUS_MAX 256

static int enabled;                     /* NOTIFY_SOCKET was set */
static int failed;                      /* a send failed: warned once */
static int64_t watchdog_ms;             /* 0: no watchdog */
static int64_t last_ping_ms;
static char last_status[STATUS_MAX];

/* Sends one message (newline-separated assignments); logs the first failure
 * only, so that a vanished socket does not flood the journal. */
static void notify_send(const char *msg)
{
	int rc;

	if (!enabled)
		return;
	rc = sd_notify(0, msg);
	if (rc < 0 && !failed) {
		log_warnx("sd_notify: %s", strerror(-rc));
		failed = 1;
	}
}

void notify_init(void)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	enabled = sock != NULL && *sock != '\0';
	watchdog_ms = 0;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is ours */
	if (enabled && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		watchdog_ms = (int64_t)(usec / 1000);
		if (watchdog_ms < 1)
			watchdog_ms = 1;
		log_info("watchdog: keep-alive every %lld ms", (long long)(watchdog_ms + 2) / 3);
	}
}

void notify_ready(void)
{
	notify_send("READY=1");
}

void notify_reloading(void)
{
	char msg[64];
	struct timespec ts;

	/* MONOTONIC_USEC lets systemd 253+ tell this reload from an older one */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

void notify_status(const char *fmt, ...)
{
	char status[STATUS_MAX], msg[STATUS_MAX + 8];
	va_list ap;

	if (!enabled)
		return;
	va_start(ap, fmt);
	vsnprintf(status, sizeof status, fmt, ap);
	va_end(ap);
	if (strcmp(status, last_status) == 0)
		return;
	memcpy(last_status, status, sizeof status);
	snprintf(msg, sizeof msg, "STATUS=%s", status);
	notify_send(msg);
}

void notify_watchdog(int64_t now_ms)
{
	/* a third of the interval: the 100 ms housekeeping tick and a busy
	 * moment still leave a margin before systemd's deadline */
	if (watchdog_ms == 0 || now_ms - last_ping_ms < (watchdog_ms + 2) / 3)
		return;
	notify_send("WATCHDOG=1");
	last_ping_ms = now_ms;
}
