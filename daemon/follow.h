/*
 * follow.h: every daemon follows every event's Redis Stream on a connection
 * of its own (XREAD BLOCK) and hands each new entry to its sink, so that a
 * change made through any daemon reaches the displays on all of them.  No
 * daemon is special: each follows on its own, from where it left off.
 */
#ifndef ANTRE_FOLLOW_H
#define ANTRE_FOLLOW_H

#include <stddef.h>

#include "config.h"

/*
 * Where the entries go: the layer above (sse.c) as main.c installs it, so
 * that the follower calls nothing above it by name.  For each read, round
 * once, entry for each new entry of any stream in stream order (the
 * strings die after the call: copy what you keep), then flush once.
 */
struct follow_sink {
	void (*round)(void);
	void (*entry)(const char *event, const char *id, const char *type,
	    const char *data, size_t len);
	void (*flush)(void);
};

/* Opens the follower's Redis connection; entries go to sink, which must
 * outlive the follower.  0 or -1. */
int follow_start(const struct redis_addr *addr, int timeout_ms,
    const struct follow_sink *sink);
void follow_set_addr(const struct redis_addr *addr, int timeout_ms);
void follow_stop(void);

/* Housekeeping: (re)starts following when idle (after Redis came back,
 * or when a reload added events). */
void follow_tick(void);

/* The newest entry id of the event's stream this daemon has seen; "" when
 * it has not looked yet. */
const char *follow_tip(const char *event);

#endif
