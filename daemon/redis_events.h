/* redis_events.h: hiredis's asynchronous connections on libevent. */
#ifndef ANTRE_REDIS_EVENTS_H
#define ANTRE_REDIS_EVENTS_H

struct event_base;
struct redisAsyncContext;

/* Attaches ac to base (as hiredis's own adapter does), with two changes
 * for the busy path: the read event stays registered while hiredis wants
 * to read (hiredis's adapter removes and adds it again around every read),
 * and a command of a connected context is written in the same turn of the
 * loop, not after a wait for the socket to be writable.  0, or -1 when out
 * of memory or already attached. */
int redis_events_attach(struct redisAsyncContext *ac, struct event_base *base);

#endif
