/*
 * sse_int.h: what the files of the event streams share, and nobody else.
 *
 *   sse.c          the public face (sse.h): subscribe, publish and flush
 *                  the follower's entries, housekeeping, shutdown
 *   sse_sub.c      payloads, subscribers and their output, watches
 *   sse_refresh.c  the coalesced snapshots: board, per-ticket views and
 *                  the organisers' figures, one table of refreshes
 *   sse_replay.c   a new or reconnecting subscriber's start and catch-up
 *
 * Everything here runs on the one event loop; nothing is locked.
 */
#ifndef ANTRE_SSE_INT_H
#define ANTRE_SSE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "protocol.h"

struct cJSON;
struct event;
struct event_def;
struct evhttp_connection;
struct evhttp_request;

/*
 * One serialised message, shared by every output buffer it is added to
 * (evbuffer_add_reference); freed when the last one lets go.  data holds
 * the chunk header, the text and the chunk trailer, so that HTTP/1.1
 * (chunked) subscribers take it whole and HTTP/1.0 ones the text alone.
 */
struct payload {
	int refs;
	size_t hdr, len;             /* text starts at data + hdr, len bytes */
	char data[];
};

struct hub;
struct watch;

struct sub {
	struct hub *hub;
	struct watch *watch;         /* the ticket it follows; NULL for a display */
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	char ticket[PROTO_TICKET_ID_MAX]; /* "" for a display */
	int stats;                   /* an organiser's display: gets `stats` too */
	char last_id[32];            /* newest stream entry it has had */
	int chunked;
	int catching_up;             /* replaying from Redis; live entries wait */
	int closed;                  /* the connection is gone; free when idle */
	int pending;                 /* Redis replies it still waits for */
	int waiting;                 /* catching up must be tried again */
	unsigned round;              /* the fan-out round `behind` was measured in */
	int behind;                  /* over sse-max-buffer at that round's start */
	int ended;                   /* its lifetime is over: unlinked, closing */
	int64_t end_ms;              /* when its lifetime is over (sse-max-lifetime) */
	LIST_ENTRY(sub) link;        /* its hub's subscribers */
	LIST_ENTRY(sub) wlink;       /* the other subscribers of its watch */
};

/*
 * Everyone in this daemon following one ticket (a phone; a second tab is a
 * second subscriber), found by id in the hub's table, so that a call or a
 * view reaches its phones without a walk over every subscriber.  What the
 * last view said decides which changes can move it: a waiting ticket's
 * position and estimate move with its stage's queue, anything else's only
 * with its own changes.
 */
struct watch {
	char ticket[PROTO_TICKET_ID_MAX];
	LIST_HEAD(, sub) subs;
	int stage;                   /* its last view's stage index; -1 none yet */
	int waiting;                 /* its last view was waiting */
	int dirty;                   /* needs a fresh view */
	uint64_t sent;               /* hash of the last view sent; 0 none */
	struct watch *hnext;         /* hash chain */
};

/* The snapshots a hub keeps fresh, each at most once a period (the rows of
 * sse_refresh.c's table). */
enum refresh_kind { REFRESH_BOARD, REFRESH_VIEWS, REFRESH_STATS, REFRESH_COUNT };

/* One hub's refresh of one kind. */
struct refresh {
	struct hub *hub;
	enum refresh_kind kind;
	struct event *timer;
	int64_t at;                  /* when it was last sent */
	int busy;                    /* a refresh is in flight */
	int again;                   /* changes came during it */
};

struct views_round;

/* One event's subscribers in this daemon. */
struct hub {
	char event[PROTO_ID_MAX];
	LIST_HEAD(, sub) subs;
	int ndisplays, ntickets, nstats;
	struct payload *board;       /* the latest board, whole, for newcomers */
	struct board *sent;          /* the board the live displays hold: the
	                              * whole one they went live with, then
	                              * every delta since (sse_refresh.c) */
	int64_t whole_at;            /* when the board last went out whole */
	int deltas;                  /* deltas sent since */
	int whole_due;               /* the next board goes out whole */
	struct refresh refresh[REFRESH_COUNT];
	int dead;                    /* shut down: freed when no refresh is out */
	struct watch **wtab;         /* watches by ticket id; wcap a power of 2 */
	size_t wcap, nwatch;
	unsigned dirty_stages;       /* stages whose queue moved, by index bit */
	char fanned[32];             /* the last entry fanned out ("" none yet):
	                              * every call up to it went to its phones */
	struct views_round *vround;  /* the views refresh in flight, if any */
	struct hub *next;
};

/* ---- sse_sub.c ---------------------------------------------------------- */

int64_t sse_now_ms(void);
/* FNV-1a, never 0 (0 means "none" where it is kept). */
uint64_t sse_hash(const char *p, size_t n);

/* A payload of SSE text as it is ("retry: 3000\n\n", ": ping\n\n"), one
 * reference held by the caller. */
struct payload *payload_raw(const char *text, size_t len);
/* An SSE message: optional id and event lines, then one data line. */
struct payload *payload_event(const char *id, const char *type, const char *data);
void payload_unref(struct payload *p);

struct watch *watch_find(const struct hub *h, const char *ticket);
/* Marks a stream entry's effect on the hub's views. */
void watch_mark(struct hub *h, const struct event_def *ev, const char *type,
    const struct cJSON *d);

/* Starts a fan-out round (see sub_send). */
void sub_round(void);
/* Adds a new subscriber to its hub (and its ticket's watch). */
void sub_link(struct sub *s);
/* Takes the subscriber off its hub; it is freed by sub_release. */
void sub_unlink(struct sub *s);
/* Frees the subscriber once its connection is gone and no reply is due. */
void sub_release(struct sub *s);
/* The connection closed (evhttp close callback); arg is the subscriber. */
void sub_on_close(struct evhttp_connection *evcon, void *arg);
void sub_cut(struct sub *s);
size_t sub_backlog(const struct sub *s);
int sub_send(struct sub *s, struct payload *p);
/* Queues the payload whatever the backlog (a replay paces itself). */
void sub_append(struct sub *s, struct payload *p);
void sub_end(struct sub *s);
/* Sends a snapshot (no id) to the hub's live displays. */
void hub_send_displays(struct hub *h, struct payload *p);
/* Waiting subscribers: their catching up is tried again by sse_tick. */
void sub_wait(struct sub *s);
void sub_unwait(struct sub *s);
int sub_nwaiting(void);

/* ---- sse_refresh.c ------------------------------------------------------ */

/* The new hub's refresh timers. */
void refresh_init(struct hub *h);
/* A refresh of that kind is due soon (no sooner than its period after the
 * last); after the one in flight, if any. */
void hub_touch(struct hub *h, enum refresh_kind kind);
/* Every snapshot may have changed. */
void hub_touch_all(struct hub *h);
/* Shutdown: the hub is dead, freed now or when its last reply comes. */
void refresh_stop(struct hub *h);
/* Housekeeping: a hub whose displays have had deltas for sse-board-every
 * seconds gets the board whole again (the safety net). */
void refresh_whole_due(struct hub *h, int64_t now);
/* A station event sent to the displays: into the board they hold. */
void refresh_station_sent(struct hub *h, const char *wire);

/* ---- sse_replay.c ------------------------------------------------------- */

/* A new subscriber's start: from last_id (its Last-Event-ID, or NULL for
 * now), catching up first when it missed something. */
void sub_start(struct sub *s, const char *last_id);
/* Catches up from s->last_id, or goes live when nothing is left. */
void sub_catch_up(struct sub *s);

#endif
