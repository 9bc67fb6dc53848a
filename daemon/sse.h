/*
 * sse.h: Server-Sent Events.  Each daemon keeps, per event, the list of its
 * own subscribers (waiting-room displays, and people following their own
 * ticket), fed with every new entry of the event's Redis Stream by follow.c
 * through the follow_sink main.c makes of sse_round, sse_publish and
 * sse_flush.
 *
 * An entry is serialised once and the same bytes are referenced by every
 * subscriber's output buffer.  Calls go out at once; the board's changes
 * (a display has the whole board once, then `delta` events, and the whole
 * board again every sse-board-every seconds while things change) and the
 * per-ticket views are coalesced (one a second at most).  A subscriber
 * whose output buffer grows past sse-max-buffer is cut off; it comes back
 * with Last-Event-ID and gets what it missed from the stream.
 */
#ifndef ANTRE_SSE_H
#define ANTRE_SSE_H

#include <stddef.h>

struct req;

void sse_init(void);
/* Ends every stream cleanly (shutdown) and frees what is left. */
void sse_shutdown(void);

/*
 * Turns the request into an event stream and takes it over (r is freed).
 * ticket_id NULL: a display stream of the whole event; else only that
 * ticket's changes.  last_id: the client's Last-Event-ID or NULL.  stats:
 * the display also gets the organisers' figures (`stats`, every few
 * seconds while things change).
 */
void sse_subscribe(struct req *r, const char *ticket_id, const char *last_id, int stats);

/* Starts a fan-out round: called before each batch of entries the
 * follower read at once (see sub_send for why). */
void sse_round(void);

/* A new entry of an event's stream (from the follower), in stream order;
 * held until sse_flush sends every entry of the round together. */
void sse_publish(const char *event, const char *id, const char *type,
    const char *data, size_t len);
void sse_flush(void);

/* Housekeeping, about every 100 ms: heartbeats to idle streams. */
void sse_tick(void);

/* Open streams in this daemon. */
int sse_count(void);

/* 1 when stream id a is after b ("ms-seq"). */
int sse_id_after(const char *a, const char *b);

#endif
