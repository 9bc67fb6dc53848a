/*
 * follow.h: every daemon follows every event's Redis Stream on a connection
 * of its own (XREAD BLOCK) and hands each new entry to sse.c, so that a
 * change made through any daemon reaches the displays on all of them.  No
 * daemon is special: each follows on its own, from where it left off.
 */
#ifndef ANTRE_FOLLOW_H
#define ANTRE_FOLLOW_H

#include "config.h"

/* Opens the follower's Redis connection; 0 or -1. */
int follow_start(const struct redis_addr *addr, int timeout_ms);
void follow_set_addr(const struct redis_addr *addr, int timeout_ms);
void follow_stop(void);

/* Housekeeping: (re)starts following when idle (after Redis came back,
 * or when a reload added events). */
void follow_tick(void);

/* The newest entry id of the event's stream this daemon has seen; "" when
 * it has not looked yet. */
const char *follow_tip(const char *event);

#endif
