/*
 * cli_sse.h: a Server-Sent Events parser (the WHATWG event stream format)
 * for the clients that follow a stream.  Bytes go in as they arrive, in
 * pieces of any size; each complete event comes out through a callback.
 */
#ifndef ANTRE_CLI_SSE_H
#define ANTRE_CLI_SSE_H

#include <stddef.h>

#define CLI_SSE_MAX (1024 * 1024)   /* a line, or an event's data (a full board is ~40 KiB) */

/*
 * Called at each blank line, the end of an event: its type ("" for none),
 * its data lines joined by '\n' (without the last one, NUL-terminated;
 * NULL when the event had no data line) and the last event ID seen (kept
 * across events).  All three are the parser's: copy what you keep.
 * Returns 0 to read on, 1 to stop reading the bytes given to this feed.
 */
typedef int cli_sse_event(void *arg, const char *type, const char *data, size_t len,
    const char *id);

struct cli_sse {
	char *line;                   /* the line being received */
	size_t len, cap;
	int after_cr;                 /* a '\n' right after a '\r' ends no line */
	char type[32];                /* the event type buffer */
	char *data;                   /* the data buffer: lines joined by '\n' */
	size_t dlen, dcap;
	char id[64];                  /* the last event ID buffer; kept across events */
	cli_sse_event *on_event;
	void *arg;
};

/* Forgets a half-received event (a new connection); the last event ID stays. */
void cli_sse_reset(struct cli_sse *s);
void cli_sse_free(struct cli_sse *s);
/* Bytes of the stream, as they come.  -1 when it is not a stream a client
 * can read (a line or an event over CLI_SSE_MAX, or out of memory). */
int cli_sse_feed(struct cli_sse *s, const char *p, size_t n);

#endif
