/*
 * notify.h: telling the service manager how antred is doing (sd_notify(3)),
 * for a systemd unit of Type=notify: READY once it listens, RELOADING and
 * READY around a SIGHUP reload, STOPPING when a stop begins, a STATUS line,
 * and WATCHDOG keep-alives when the unit sets WatchdogSec=.
 *
 * Every function is a cheap no-op when antred was not started by a service
 * manager (NOTIFY_SOCKET unset): nothing else need check.
 */
#ifndef ANTRE_NOTIFY_H
#define ANTRE_NOTIFY_H

#include <stdint.h>

/* Reads NOTIFY_SOCKET and WATCHDOG_USEC; call once, before the others. */
void notify_init(void);

/* The service is up: every listen address is bound. */
void notify_ready(void);
/* A reload begins; notify_ready() ends it, whether or not it succeeded. */
void notify_reloading(void);
/* A stop begins: no more readiness, the manager waits for the exit. */
void notify_stopping(void);

/* The one-line status `systemctl status` shows; sent only when it differs
 * from the last one sent.  Longer lines are cut at 255 bytes. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Housekeeping (now_ms on CLOCK_MONOTONIC, about every 100 ms): sends
 * WATCHDOG=1 whenever a third of the watchdog interval has passed. */
void notify_watchdog(int64_t now_ms);

#endif
