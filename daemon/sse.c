/* sse.c: event streams, their subscribers, fan-out and coalescing. */
#include "sse.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>

#include "follow.h"
#include "http.h"
#include "log.h"
#include "protocol.h"
#include "record.h"
#include "stats.h"
#include "store.h"

#define BOARD_EVERY_MS 1000      /* board snapshots: one a second at most */
#define VIEWS_EVERY_MS 1000      /* per-ticket views: one a second at most */
#define STATS_EVERY_MS 5000      /* organisers' figures: one every five seconds at most */
#define CATCHUP_COUNT "500"
/* Views are read VIEWS_BATCH tickets a script, one script at a time: a
 * request's own script then waits behind one short script at most (about
 * a millisecond of Redis), and this daemon's loop behind the fan-out of
 * one batch, however many phones follow. */
#define VIEWS_BATCH 100
#define VIEWS_IN_FLIGHT 1
#define LIFETIME_CHECK_MS 1000   /* how often stream lifetimes are looked at */

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
	struct sub *prev, *next;
	struct sub *wprev, *wnext;   /* the other subscribers of its watch */
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
	struct sub *subs;
	int stage;                   /* its last view's stage index; -1 none yet */
	int waiting;                 /* its last view was waiting */
	int dirty;                   /* needs a fresh view */
	uint64_t sent;               /* hash of the last view sent; 0 none */
	struct watch *hnext;         /* hash chain */
};

/*
 * One refresh of the per-ticket views: the ids it covers, asked of Redis
 * VIEWS_BATCH at a time with at most VIEWS_IN_FLIGHT calls out, so that no
 * script holds Redis long however many phones follow.  Its own object: a
 * reply may come after the hub is gone (shutdown), when hub is NULL.
 */
struct views_round {
	struct hub *hub;
	char tip[32];                /* the follower's tip when it began */
	int n, next, inflight;
	char (*ids)[PROTO_TICKET_ID_MAX];
};

struct views_batch {
	struct views_round *round;
	int from, count;
};

/* One event's subscribers in this daemon. */
struct hub {
	char event[PROTO_ID_MAX];
	struct sub *subs;
	int ndisplays, ntickets, nstats;
	struct payload *board;       /* the latest board snapshot, for newcomers */
	struct event *board_timer, *views_timer, *stats_timer;
	int64_t board_at, views_at, stats_at; /* when they were last sent */
	int board_busy, stats_busy;  /* a refresh is in flight */
	int dead;                    /* shut down: freed when no refresh is out */
	int board_again, views_again, stats_again; /* changes came during it */
	struct watch **wtab;         /* watches by ticket id; wcap a power of 2 */
	size_t wcap, nwatch;
	unsigned dirty_stages;       /* stages whose queue moved, by index bit */
	struct views_round *vround;  /* the refresh in flight, if any */
	struct hub *next;
};

static struct hub *hubs;
static int nsubs;
static int nwaiting;             /* subscribers with waiting set */
static unsigned fanout_round = 1; /* fan-out rounds: see sub_send */
static int64_t last_heartbeat;
static int64_t last_lifetime_check;

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int sse_count(void)
{
	return nsubs;
}

/* "ms-seq" into its two numbers (0-0 for anything else). */
static void id_split(const char *id, uint64_t *ms, uint64_t *seq)
{
	char *end;

	*ms = strtoull(id, &end, 10);
	*seq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
}

int sse_id_after(const char *a, const char *b)
{
	uint64_t ams, aseq, bms, bseq;

	id_split(a, &ams, &aseq);
	id_split(b, &bms, &bseq);
	return ams > bms || (ams == bms && aseq > bseq);
}

/* ---- payloads ----------------------------------------------------------- */

/* A payload of SSE text as it is ("retry: 3000\n\n", ": ping\n\n"). */
static struct payload *payload_raw(const char *text, size_t len)
{
	struct payload *p = malloc(sizeof *p + 20 + len + 3);
	int n;

	if (p == NULL)
		fatal("malloc");   /* OOM only: a message is one entry or snapshot */
	p->refs = 1;
	n = sprintf(p->data, "%zx\r\n", len);
	p->hdr = (size_t)n;
	p->len = len;
	memcpy(p->data + n, text, len);
	memcpy(p->data + n + len, "\r\n", 3);
	return p;
}

/* An SSE message: optional id and event lines, then one data line (JSON
 * as cJSON prints it has no raw newline). */
static struct payload *payload_event(const char *id, const char *type, const char *data)
{
	size_t dl = strlen(data), max = dl + 128;
	char *text = malloc(max);
	struct payload *p;
	int n = 0;

	if (text == NULL)
		fatal("malloc");   /* OOM only: as above */
	if (id)
		n += snprintf(text + n, max - (size_t)n, "id: %s\n", id);
	if (type)
		n += snprintf(text + n, max - (size_t)n, "event: %s\n", type);
	n += snprintf(text + n, max - (size_t)n, "data: %s\n\n", data);
	p = payload_raw(text, (size_t)n);
	free(text);
	return p;
}

static void payload_unref(struct payload *p)
{
	if (p && --p->refs == 0)
		free(p);
}

static void payload_release(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	payload_unref(arg);
}

/* ---- watches ------------------------------------------------------------ */

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037u;      /* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211u;
	return h ? h : 1;
}

static struct watch *watch_find(const struct hub *h, const char *ticket)
{
	struct watch *w;

	if (h->wcap == 0)
		return NULL;
	w = h->wtab[hash_bytes(ticket, strlen(ticket)) & (h->wcap - 1)];
	while (w && strcmp(w->ticket, ticket) != 0)
		w = w->hnext;
	return w;
}

/* Doubles the table (from 64) once it holds as many watches as slots. */
static void watch_grow(struct hub *h)
{
	size_t cap = h->wcap ? 2 * h->wcap : 64;
	struct watch **tab = calloc(cap, sizeof *tab);

	if (tab == NULL)
		fatal("calloc");   /* OOM only: watches <= streams <= max-connections */
	for (size_t i = 0; i < h->wcap; i++)
		for (struct watch *w = h->wtab[i], *next; w; w = next) {
			size_t k = hash_bytes(w->ticket, strlen(w->ticket)) & (cap - 1);
			next = w->hnext;
			w->hnext = tab[k];
			tab[k] = w;
		}
	free(h->wtab);
	h->wtab = tab;
	h->wcap = cap;
}

/* Adds the subscriber to its ticket's watch (made when it is the first). */
static void watch_add(struct hub *h, struct sub *s)
{
	struct watch *w = watch_find(h, s->ticket);

	if (w == NULL) {
		size_t k;
		if (h->nwatch >= h->wcap)
			watch_grow(h);
		if ((w = calloc(1, sizeof *w)) == NULL)
			fatal("calloc");   /* OOM only: one per followed ticket, bounded as above */
		snprintf(w->ticket, sizeof w->ticket, "%s", s->ticket);
		w->stage = -1;
		k = hash_bytes(w->ticket, strlen(w->ticket)) & (h->wcap - 1);
		w->hnext = h->wtab[k];
		h->wtab[k] = w;
		h->nwatch++;
	}
	s->watch = w;
	s->wprev = NULL;
	s->wnext = w->subs;
	if (w->subs)
		w->subs->wprev = s;
	w->subs = s;
}

/* Takes the subscriber off its watch; the last one frees it. */
static void watch_del(struct hub *h, struct sub *s)
{
	struct watch *w = s->watch, **pp;

	if (s->wprev)
		s->wprev->wnext = s->wnext;
	else
		w->subs = s->wnext;
	if (s->wnext)
		s->wnext->wprev = s->wprev;
	s->watch = NULL;
	s->wprev = s->wnext = NULL;
	if (w->subs)
		return;
	pp = &h->wtab[hash_bytes(w->ticket, strlen(w->ticket)) & (h->wcap - 1)];
	while (*pp != w)
		pp = &(*pp)->hnext;
	*pp = w->hnext;
	h->nwatch--;
	free(w);
}

/* Marks a stream entry's effect on the views: the ticket it names, and the
 * stages whose queue it may have moved (a call takes the head of its stage
 * and changes its pace; a ticket that now waits may have left the stage
 * before, as a timed wait that ended does). */
static void watch_mark(struct hub *h, const struct event_def *ev, const char *type,
    const cJSON *d)
{
	const char *ticket, *stage, *state;
	struct watch *w;
	int i;

	if (strcmp(type, "call") == 0)
		ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "ticket"));
	else if (strcmp(type, "ticket") == 0)
		ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "id"));
	else
		return;                  /* a station paused: no position moves */
	if (ticket && (w = watch_find(h, ticket)) != NULL)
		w->dirty = 1;
	stage = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "stage"));
	state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "state"));
	if (stage == NULL || (i = event_stage_index(ev, stage)) < 0)
		return;
	h->dirty_stages |= 1u << i;
	if (i > 0 && state && strcmp(state, "waiting") == 0)
		h->dirty_stages |= 1u << (i - 1);
}

/* ---- subscribers -------------------------------------------------------- */

static void sub_unlink(struct sub *s)
{
	struct hub *h = s->hub;

	if (s->prev)
		s->prev->next = s->next;
	else
		h->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	h->nstats -= s->stats;
	if (s->watch)
		watch_del(h, s);
	if (s->ticket[0])
		h->ntickets--;
	else if (--h->ndisplays == 0) {
		/* nobody keeps it fresh now: the next display waits for a new one */
		payload_unref(h->board);
		h->board = NULL;
	}
	if (s->waiting) {
		s->waiting = 0;
		nwaiting--;
	}
	nsubs--;
	s->prev = s->next = NULL;
}

static void sub_release(struct sub *s)
{
	if (s->closed && s->pending == 0)
		free(s);
}

/*
 * The connection is going (client gone, cut off, or shutdown): forget the
 * subscriber.  A request libevent already detached from the connection is
 * ours to free; an attached one goes with the connection.
 */
static void sub_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct sub *s = arg;

	http_connection_gone(evcon);
	if (!s->ended)
		sub_unlink(s);
	if (s->req && evhttp_request_get_connection(s->req) == NULL)
		evhttp_send_reply_end(s->req);
	s->req = NULL;
	s->closed = 1;
	sub_release(s);
}

/* Hangs up on a subscriber that cannot keep up; it will reconnect. */
static void sub_cut(struct sub *s)
{
	log_info("sse: cutting off a slow subscriber of %s (%zu bytes waiting)",
	    s->hub->event, evbuffer_get_length(bufferevent_get_output(
		evhttp_connection_get_bufferevent(s->evcon))));
	evhttp_connection_free(s->evcon);   /* calls sub_on_close */
}

/* Bytes queued on the subscriber's connection and not yet sent. */
static size_t sub_backlog(const struct sub *s)
{
	return evbuffer_get_length(bufferevent_get_output(
	    evhttp_connection_get_bufferevent(s->evcon)));
}

/*
 * Queues a payload on the subscriber's connection, without copying it;
 * 0, or -1 when the subscriber is too far behind (the caller cuts it).
 * "Behind" is measured once per fan-out round, before the round adds
 * anything: a burst (a backlog read from Redis at once) must not count
 * against a reader that keeps up, only what it left unread before.
 */
static int sub_send(struct sub *s, struct payload *p)
{
	struct evbuffer *out = bufferevent_get_output(evhttp_connection_get_bufferevent(s->evcon));
	const char *data;
	size_t len;

	if (s->round != fanout_round) {
		s->round = fanout_round;
		s->behind = sub_backlog(s) > (size_t)server.cfg.sse_max_buffer;
	}
	if (s->behind)
		return -1;
	data = s->chunked ? p->data : p->data + p->hdr;
	len = s->chunked ? p->hdr + p->len + 2 : p->len;
	/* Nothing queued: straight to the socket.  Through the output buffer
	 * every message would cost two epoll_ctl calls and a deferred writev
	 * per subscriber, and ten thousand of those delay the first byte. */
	if (evbuffer_get_length(out) == 0) {
		ssize_t n = send(bufferevent_getfd(evhttp_connection_get_bufferevent(s->evcon)),
		    data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return 0;
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		}
		/* else: full or failing; the buffer (and its error handling) has it */
	}
	p->refs++;
	if (evbuffer_add_reference(out, data, len, payload_release, p) != 0) {
		p->refs--;
		return -1;
	}
	return 0;
}

/* Sends a snapshot (no id) to the hub's live displays. */
static void hub_send_displays(struct hub *h, struct payload *p)
{
	struct sub *s, *next;

	for (s = h->subs; s; s = next) {
		next = s->next;
		if (s->catching_up || s->ticket[0])
			continue;
		if (sub_send(s, p) == -1)
			sub_cut(s);
	}
}

/*
 * Ends a stream whose lifetime is over, cleanly: a retry hint, the end of
 * the reply, and the connection closes once that is sent (Connection:
 * close; sub_on_close then frees it; it may run before this returns).  The
 * client reconnects with Last-Event-ID, which it has for everything sent.
 */
static void sub_end(struct sub *s)
{
	struct payload *p = payload_raw("retry: 1000\n\n", 13);
	struct evhttp_request *req = s->req;

	sub_send(s, p);              /* behind: the end still waits for the rest */
	payload_unref(p);
	sub_unlink(s);
	s->ended = 1;
	s->req = NULL;
	evhttp_send_reply_end(req);
}

/* ---- hubs --------------------------------------------------------------- */

static void hub_board_due(evutil_socket_t fd, short what, void *arg);
static void hub_views_due(evutil_socket_t fd, short what, void *arg);
static void hub_stats_due(evutil_socket_t fd, short what, void *arg);

static struct hub *hub_get(const char *event, int create)
{
	struct hub *h;

	for (h = hubs; h; h = h->next)
		if (strcmp(h->event, event) == 0)
			return h;
	if (!create)
		return NULL;
	if ((h = calloc(1, sizeof *h)) == NULL)
		fatal("calloc");   /* OOM only: one hub per configured event */
	snprintf(h->event, sizeof h->event, "%s", event);
	h->board_timer = evtimer_new(server.base, hub_board_due, h);
	h->views_timer = evtimer_new(server.base, hub_views_due, h);
	h->stats_timer = evtimer_new(server.base, hub_stats_due, h);
	if (h->board_timer == NULL || h->views_timer == NULL || h->stats_timer == NULL)
		fatal("evtimer_new");   /* OOM only: as above */
	h->next = hubs;
	hubs = h;
	return h;
}

/* Frees a hub shut down once no board or stats reply is still due (the
 * store calls those back with NULL when it is freed, after sse_shutdown). */
static void hub_release(struct hub *h)
{
	if (h->dead && !h->board_busy && !h->stats_busy)
		free(h);
}

/* Schedules a refresh no sooner than `every` after the last one. */
static void schedule(struct event *timer, int64_t last, int every)
{
	int64_t wait = last + every - now_ms();
	struct timeval tv;

	if (evtimer_pending(timer, NULL))
		return;
	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
	evtimer_add(timer, &tv);
}

static void hub_touch_board(struct hub *h)
{
	if (h->ndisplays == 0)
		return;
	if (h->board_busy)
		h->board_again = 1;
	else
		schedule(h->board_timer, h->board_at, BOARD_EVERY_MS);
}

static void hub_touch_views(struct hub *h)
{
	if (h->ntickets == 0)
		return;
	if (h->vround)
		h->views_again = 1;
	else
		schedule(h->views_timer, h->views_at, VIEWS_EVERY_MS);
}

static void hub_touch_stats(struct hub *h)
{
	if (h->nstats == 0)
		return;
	if (h->stats_busy)
		h->stats_again = 1;
	else
		schedule(h->stats_timer, h->stats_at, STATS_EVERY_MS);
}

/* Owned by the store: reply dies after return.  arg is the hub. */
static void hub_on_board(const redisReply *r, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	static struct board b;       /* filled and sent without yielding */
	cJSON *res = NULL, *wire;
	char *text;

	h->board_busy = 0;
	if (h->dead) {               /* shutdown: the reply is NULL */
		hub_release(h);
		return;
	}
	h->board_at = now_ms();
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (res = cJSON_ParseWithLength(r->str, r->len)) != NULL) {
		record_board(ev, res, &b);
		if ((wire = proto_board_encode(&b, ev->utc_offset_s)) == NULL ||
		    (text = cJSON_PrintUnformatted(wire)) == NULL)
			fatalx("out of memory");   /* OOM only: a board of configured stations */
		cJSON_Delete(wire);
		payload_unref(h->board);
		h->board = payload_event(NULL, "board", text);
		free(text);
		fanout_round++;
		hub_send_displays(h, h->board);
	}
	cJSON_Delete(res);
	if (h->board_again) {
		h->board_again = 0;
		hub_touch_board(h);
	}
}

static void hub_board_due(evutil_socket_t fd, short what, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };

	(void)fd;
	(void)what;
	if (ev == NULL || h->ndisplays == 0)
		return;
	store_key(prefix, sizeof prefix, ev->id, "");
	const char *argv[1] = { ev->script_ctx };
	if (store_eval(server.store, store_script_get("board"), 1, keys, 1, argv, NULL,
	    hub_on_board, h) == 0)
		h->board_busy = 1;
}

/* Owned by the store: reply dies after return.  arg is the hub. */
static void hub_on_stats(const redisReply *r, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	cJSON *raw = NULL, *c;
	char *text;

	h->stats_busy = 0;
	if (h->dead) {
		hub_release(h);
		return;
	}
	h->stats_at = now_ms();
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (raw = cJSON_ParseWithLength(r->str, r->len)) != NULL &&
	    (c = stats_compute(ev, raw, server.cfg.idle_minutes)) != NULL) {
		struct payload *p;
		if ((text = cJSON_PrintUnformatted(c)) == NULL)
			fatalx("out of memory");   /* OOM only: the figures of one event */
		cJSON_Delete(c);
		p = payload_event(NULL, "stats", text);
		free(text);
		fanout_round++;
		for (struct sub *s = h->subs, *next; s; s = next) {
			next = s->next;
			/* a snapshot: fine to send while a subscriber catches up */
			if (s->stats && sub_send(s, p) == -1)
				sub_cut(s);
		}
		payload_unref(p);
	}
	cJSON_Delete(raw);
	if (h->stats_again) {
		h->stats_again = 0;
		hub_touch_stats(h);
	}
}

static void hub_stats_due(evutil_socket_t fd, short what, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };
	const char *argv[2 + EVENT_MAX_SERVICES];
	int n = 0;

	(void)fd;
	(void)what;
	if (ev == NULL || h->nstats == 0)
		return;
	/* the stats script: the event's context, today, the services */
	argv[n++] = ev->script_ctx;
	argv[n++] = "";
	for (int i = 0; i < ev->nservices; i++)
		argv[n++] = ev->services[i].id;
	store_key(prefix, sizeof prefix, ev->id, "");
	if (store_eval(server.store, store_script_get("stats"), 1, keys, n, argv, NULL,
	    hub_on_stats, h) == 0)
		h->stats_busy = 1;
}

/* A store ticket's public view as JSON text; NULL when malformed. */
static char *view_to_json(const struct event_def *ev, const cJSON *v)
{
	cJSON *wire = record_ticket_wire(ev, v, RECORD_PUBLIC);
	char *text;

	if (wire == NULL)
		return NULL;
	if ((text = cJSON_PrintUnformatted(wire)) == NULL)
		fatalx("out of memory");   /* OOM only: one ticket */
	cJSON_Delete(wire);
	return text;
}

/* 1 when some subscriber of the watch is live (not catching up). */
static int watch_live(const struct watch *w)
{
	for (const struct sub *s = w->subs; s; s = s->wnext)
		if (!s->catching_up)
			return 1;
	return 0;
}

static void views_round_next(struct views_round *vr);

/* The round is over: free it, and start the next if changes came. */
static void views_round_done(struct views_round *vr)
{
	struct hub *h = vr->hub;

	free(vr->ids);
	free(vr);
	if (h == NULL)
		return;
	h->vround = NULL;
	if (h->views_again) {
		h->views_again = 0;
		hub_touch_views(h);
	}
}

/* Marks the ids of a batch that got no answer for the next round. */
static void views_redo(struct views_round *vr, int from, int count)
{
	struct watch *w;

	for (int i = from; i < from + count; i++)
		if ((w = watch_find(vr->hub, vr->ids[i])) != NULL)
			w->dirty = 1;
	vr->hub->views_again = 1;
}

/*
 * Sends one view to the live subscribers of its watch, unless it is what
 * they last had.  With the id of the follower's tip when the round began
 * (every change up to it is in the view, and every call up to it was sent
 * before), so that a phone's Last-Event-ID keeps up and its reconnect
 * replays little; a subscriber that already has a later id gets it
 * without one.
 */
static void watch_send_view(struct watch *w, const struct event_def *ev,
    const cJSON *v, const char *tip)
{
	const char *stage = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "stage"));
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "state"));
	struct payload *with = NULL, *without = NULL;
	char *text = view_to_json(ev, v);
	uint64_t hash;

	w->stage = stage ? event_stage_index(ev, stage) : -1;
	w->waiting = state && strcmp(state, "waiting") == 0;
	if (text == NULL)
		return;
	hash = hash_bytes(text, strlen(text));
	if (hash == w->sent) {
		free(text);
		return;
	}
	w->sent = hash;
	for (struct sub *s = w->subs, *next; s; s = next) {
		struct payload *p;
		next = s->wnext;
		if (s->catching_up)
			continue;
		if (tip[0] && sse_id_after(tip, s->last_id)) {
			if (with == NULL)
				with = payload_event(tip, "ticket", text);
			snprintf(s->last_id, sizeof s->last_id, "%s", tip);
			p = with;
		} else {
			if (without == NULL)
				without = payload_event(NULL, "ticket", text);
			p = without;
		}
		if (sub_send(s, p) == -1) {
			/* cutting the watch's only subscriber frees the watch */
			int only = w->subs == s && s->wnext == NULL;
			sub_cut(s);
			if (only)
				break;
		}
	}
	payload_unref(with);
	payload_unref(without);
	free(text);
}

/* Owned by the store: reply dies after return.  arg is the batch. */
static void hub_on_views(const redisReply *r, void *arg)
{
	struct views_batch *vb = arg;
	struct views_round *vr = vb->round;
	struct hub *h = vr->hub;
	const struct event_def *ev;
	cJSON *res = NULL;
	const cJSON *v;

	vr->inflight--;
	if (h == NULL) {
		if (vr->inflight == 0)
			views_round_done(vr);
		free(vb);
		return;
	}
	ev = event_find(&server.events->set, h->event);
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (res = cJSON_ParseWithLength(r->str, r->len)) != NULL) {
		fanout_round++;
		cJSON_ArrayForEach(v, res) {
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "id"));
			struct watch *w;
			if (id && (w = watch_find(h, id)) != NULL)
				watch_send_view(w, ev, v, vr->tip);
		}
	} else if (ev)
		views_redo(vr, vb->from, vb->count);   /* Redis away: next round */
	cJSON_Delete(res);
	free(vb);
	views_round_next(vr);
}

/* Sends the round's next batches, up to VIEWS_IN_FLIGHT at once. */
static void views_round_next(struct views_round *vr)
{
	struct hub *h = vr->hub;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };
	const char *argv[1 + VIEWS_BATCH];

	if (ev)
		store_key(prefix, sizeof prefix, ev->id, "");
	while (ev && vr->inflight < VIEWS_IN_FLIGHT && vr->next < vr->n) {
		struct views_batch *vb = malloc(sizeof *vb);
		int count = vr->n - vr->next < VIEWS_BATCH ? vr->n - vr->next : VIEWS_BATCH;
		if (vb == NULL)
			fatal("malloc");   /* OOM only: one per batch in flight (2 at most) */
		vb->round = vr;
		vb->from = vr->next;
		vb->count = count;
		argv[0] = ev->script_ctx;
		for (int i = 0; i < count; i++)
			argv[1 + i] = vr->ids[vr->next + i];
		vr->next += count;
		if (store_eval(server.store, store_script_get("views"), 1, keys, 1 + count,
		    argv, NULL, hub_on_views, vb) == -1) {
			free(vb);
			views_redo(vr, vr->next - count, vr->n - (vr->next - count));
			vr->next = vr->n;
			break;
		}
		vr->inflight++;
	}
	if (vr->inflight == 0 && (ev == NULL || vr->next >= vr->n))
		views_round_done(vr);
}

/*
 * A refresh of the views that may have changed: tickets named by a change
 * since the last round, waiting ones at a stage whose queue moved, and new
 * subscribers; only those with a live subscriber (one catching up is
 * marked when it goes live).
 */
static void hub_views_due(evutil_socket_t fd, short what, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	unsigned stages = h->dirty_stages;
	struct views_round *vr;

	(void)fd;
	(void)what;
	if (h->vround)
		h->views_again = 1;      /* after the round in flight */
	if (ev == NULL || h->nwatch == 0 || h->vround)
		return;
	if ((vr = calloc(1, sizeof *vr)) == NULL ||
	    (vr->ids = calloc(h->nwatch, sizeof *vr->ids)) == NULL)
		fatal("calloc");   /* OOM only: ids <= watches, bounded by max-connections */
	vr->hub = h;
	snprintf(vr->tip, sizeof vr->tip, "%s", follow_tip(h->event));
	for (size_t i = 0; i < h->wcap; i++)
		for (struct watch *w = h->wtab[i]; w; w = w->hnext) {
			if (!(w->dirty || w->stage < 0 ||
			    (w->waiting && (stages >> w->stage & 1))) || !watch_live(w))
				continue;
			w->dirty = 0;
			memcpy(vr->ids[vr->n++], w->ticket, sizeof w->ticket);
		}
	h->dirty_stages = 0;
	h->views_again = 0;
	if (vr->n == 0) {
		free(vr->ids);
		free(vr);
		return;
	}
	h->views_at = now_ms();
	h->vround = vr;
	views_round_next(vr);
}

/* ---- entries from the stream -------------------------------------------- */

/*
 * Entries read from Redis at once are sent together: for each event, one
 * message block (every entry's SSE message in order) that every display
 * gets in one write, instead of a write per entry per display.
 */
struct pending {
	char id[32];
	char type[16];
	char *text;                      /* wire JSON */
	char *ticket;                    /* a call's ticket, else NULL */
};

struct batch {
	struct hub *hub;
	int n, cap;
	struct pending *e;
	struct batch *next;
};

static struct batch *batches;

void sse_round(void)
{
	fanout_round++;
}

void sse_publish(const char *event, const char *id, const char *type,
    const char *data, size_t len)
{
	struct hub *h = hub_get(event, 0);
	const struct event_def *ev;
	struct batch *b;
	struct pending *e;
	cJSON *d;
	char *text;

	if (h == NULL || h->subs == NULL ||
	    (ev = event_find(&server.events->set, event)) == NULL)
		return;
	if ((d = cJSON_ParseWithLength(data, len)) == NULL)
		return;
	watch_mark(h, ev, type, d);
	if ((text = record_entry_json(ev, type, d)) == NULL) {
		cJSON_Delete(d);
		return;
	}
	for (b = batches; b && b->hub != h; b = b->next)
		;
	if (b == NULL) {
		if ((b = calloc(1, sizeof *b)) == NULL)
			fatal("calloc");   /* OOM only: one per event per read */
		b->hub = h;
		b->next = batches;
		batches = b;
	}
	if (b->n == b->cap) {
		struct pending *grown;
		b->cap = b->cap ? 2 * b->cap : 16;
		if ((grown = realloc(b->e, (size_t)b->cap * sizeof *b->e)) == NULL)
			fatal("realloc");   /* OOM only: entries per read <= the follower's COUNT */
		b->e = grown;
	}
	e = &b->e[b->n++];
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->type, sizeof e->type, "%s", type);
	e->text = text;
	/* a call goes to the displays and to the person called */
	e->ticket = NULL;
	if (strcmp(type, "call") == 0) {
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "ticket"));
		if (t && (e->ticket = strdup(t)) == NULL)
			fatal("strdup");   /* OOM only: one ticket id */
	}
	cJSON_Delete(d);
}

/* Sends one hub's batch: the block to displays that have none of it, entry
 * by entry to those that have some (just caught up), and calls to the
 * people called, found through their watch. */
static void batch_send(struct batch *b)
{
	struct hub *h = b->hub;
	struct payload *block;
	struct sub *s, *next;
	size_t total = 0, at = 0;
	char *text;

	for (int i = 0; i < b->n; i++)
		total += strlen(b->e[i].id) + strlen(b->e[i].type) + strlen(b->e[i].text) + 24;
	if ((text = malloc(total + 1)) == NULL)
		fatal("malloc");   /* OOM only: entries of one read */
	for (int i = 0; i < b->n; i++)
		at += (size_t)sprintf(text + at, "id: %s\nevent: %s\ndata: %s\n\n",
		    b->e[i].id, b->e[i].type, b->e[i].text);
	block = payload_raw(text, at);
	free(text);
	fanout_round++;
	for (s = h->subs; s; s = next) {
		next = s->next;
		if (s->catching_up || s->ticket[0])
			continue;
		if (sse_id_after(b->e[0].id, s->last_id)) {
			snprintf(s->last_id, sizeof s->last_id, "%s", b->e[b->n - 1].id);
			if (sub_send(s, block) == -1)
				sub_cut(s);
			continue;
		}
		for (int i = 0; i < b->n; i++) {
			struct pending *e = &b->e[i];
			struct payload *p;
			int rc;
			if (!sse_id_after(e->id, s->last_id))
				continue;
			snprintf(s->last_id, sizeof s->last_id, "%s", e->id);
			p = payload_event(e->id, e->type, e->text);
			rc = sub_send(s, p);
			payload_unref(p);
			if (rc == -1) {
				sub_cut(s);
				break;
			}
		}
	}
	payload_unref(block);
	for (int i = 0; i < b->n; i++) {
		struct pending *e = &b->e[i];
		struct watch *w;
		struct payload *p = NULL;
		if (e->ticket == NULL || (w = watch_find(h, e->ticket)) == NULL)
			continue;
		for (s = w->subs; s; s = next) {
			int only;
			next = s->wnext;
			if (s->catching_up || !sse_id_after(e->id, s->last_id))
				continue;
			snprintf(s->last_id, sizeof s->last_id, "%s", e->id);
			if (p == NULL)
				p = payload_event(e->id, e->type, e->text);
			if (sub_send(s, p) == 0)
				continue;
			only = w->subs == s && s->wnext == NULL;
			sub_cut(s);          /* the watch's only subscriber: it goes too */
			if (only)
				break;
		}
		payload_unref(p);
	}
	hub_touch_board(h);
	hub_touch_views(h);
	hub_touch_stats(h);
}

void sse_flush(void)
{
	struct batch *b, *next;

	for (b = batches; b; b = next) {
		next = b->next;
		if (b->n > 0)
			batch_send(b);
		for (int i = 0; i < b->n; i++) {
			free(b->e[i].text);
			free(b->e[i].ticket);
		}
		free(b->e);
		free(b);
	}
	batches = NULL;
}

/* ---- catching up -------------------------------------------------------- */

static void sub_catch_up(struct sub *s);

/* A phone that goes live gets its view in the next refresh, even when its
 * watch's other subscribers have it already. */
static void sub_want_view(struct sub *s)
{
	s->watch->dirty = 1;
	s->watch->sent = 0;
	hub_touch_views(s->hub);
}

/* Marks the subscriber as waiting: sse_tick tries its catching up again. */
static void sub_wait(struct sub *s)
{
	if (!s->waiting) {
		s->waiting = 1;
		nwaiting++;
	}
}

/* Replays one entry of the stream to the subscriber catching up; a ticket
 * stream replays only that ticket's calls. */
static void sub_replay(struct sub *s, const struct event_def *ev,
    const struct stream_entry *e, const cJSON *d)
{
	const char *ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "ticket"));
	struct payload *p;
	struct evbuffer *out;
	char *text;

	if (e->type == NULL || d == NULL)
		return;
	if (s->ticket[0] && (strcmp(e->type, "call") != 0 || ticket == NULL ||
	    strcmp(s->ticket, ticket) != 0))
		return;
	if ((text = record_entry_json(ev, e->type, d)) == NULL)
		return;
	p = payload_event(e->id, e->type, text);
	out = bufferevent_get_output(evhttp_connection_get_bufferevent(s->evcon));
	p->refs++;
	if (evbuffer_add_reference(out, s->chunked ? p->data : p->data + p->hdr,
	    s->chunked ? p->hdr + p->len + 2 : p->len, payload_release, p) != 0)
		p->refs--;
	payload_unref(p);
	free(text);
}

/* Owned by the store: reply dies after return.  arg is the subscriber. */
static void sub_on_range(const redisReply *r, void *arg)
{
	struct sub *s = arg;
	const struct event_def *ev;

	s->pending--;
	if (s->closed) {
		sub_release(s);
		return;
	}
	ev = event_find(&server.events->set, s->hub->event);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || ev == NULL) {
		sub_wait(s);             /* Redis went away: wait, sse_tick tries again */
		return;
	}
	for (size_t n = 0; n < r->elements; n++) {
		struct stream_entry e;
		cJSON *d;
		if (record_stream_entry(r->element[n], &e) == -1)
			continue;
		/* paced: once a batch's worth is queued, wait for it to drain
		 * (sse_tick resumes from last_id), however long the gap */
		if (sub_backlog(s) > (size_t)server.cfg.sse_max_buffer) {
			sub_wait(s);
			return;
		}
		snprintf(s->last_id, sizeof s->last_id, "%s", e.id);
		d = e.data ? cJSON_ParseWithLength(e.data, e.len) : NULL;
		sub_replay(s, ev, &e, d);
		cJSON_Delete(d);
	}
	if (r->elements > 0) {
		/* changes the follower may not have seen (it had not started):
		 * the snapshots must show them too */
		hub_touch_board(s->hub);
		hub_touch_views(s->hub);
		hub_touch_stats(s->hub);
	}
	if (r->elements == 0 && follow_tip(s->hub->event)[0] == '\0') {
		/* all there is, but the follower has not started: wait for it */
		sub_wait(s);
		return;
	}
	/* Nothing after last_id when Redis ran the XRANGE: sub_catch_up goes
	 * live if the follower has seen no more, else asks again (an entry
	 * written since).  Never jump to the follower's tip: an entry it
	 * delivered while this one was held back would be lost. */
	sub_catch_up(s);
}

/*
 * Replays what the subscriber missed, from the stream, until it has all
 * that this daemon's follower has seen; then it goes live.  Live entries
 * are held back from it meanwhile, and skipped after if it already has
 * them.  While Redis is away, or before the follower knows where the
 * stream ends, it waits and sse_tick tries again.
 */
static void sub_catch_up(struct sub *s)
{
	char key[STORE_KEY_MAX], from[40];
	const char *tip = follow_tip(s->hub->event);
	size_t lens[6];

	if (s->pending)
		return;
	if (tip[0] && !sse_id_after(tip, s->last_id)) {
		s->catching_up = 0;
		if (s->watch)
			sub_want_view(s);
		else if (s->hub->board == NULL)
			hub_touch_board(s->hub);   /* the first display: make one */
		else if (sub_send(s, s->hub->board) == -1)
			sub_cut(s);
		return;
	}
	store_key(key, sizeof key, s->hub->event, "stream");
	snprintf(from, sizeof from, "(%s", s->last_id);
	const char *argv[] = { "XRANGE", key, from, "+", "COUNT", CATCHUP_COUNT };
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	if (store_command(server.store, sub_on_range, s, 6, argv, lens) == 0)
		s->pending++;
	else
		sub_wait(s);
}

/* Tells the client where it starts (a `start` message with the id, so
 * that a display that has had only board snapshots still reconnects with
 * a Last-Event-ID).  It carries data: EventSource keeps the id of a
 * message without any, but other clients (npm eventsource, sseclient-py)
 * drop such a message whole, id included. */
static int sub_send_start(struct sub *s)
{
	char text[128];
	struct payload *p;
	int rc;

	snprintf(text, sizeof text, "id: %s\nevent: start\ndata: {\"id\":\"%s\"}\n\n",
	    s->last_id, s->last_id);
	p = payload_raw(text, strlen(text));
	rc = sub_send(s, p);
	payload_unref(p);
	return rc;
}

/* Owned by the store: reply dies after return.  arg is the subscriber
 * whose starting point (the stream's newest entry) this is. */
static void sub_on_start(const redisReply *r, void *arg)
{
	struct sub *s = arg;

	s->pending--;
	if (s->closed) {
		sub_release(s);
		return;
	}
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		evhttp_connection_free(s->evcon);   /* the client reconnects */
		return;
	}
	if (r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements > 0)
		snprintf(s->last_id, sizeof s->last_id, "%s", r->element[0]->element[0]->str);
	else
		snprintf(s->last_id, sizeof s->last_id, "0-0");
	if (sub_send_start(s) == -1) {
		sub_cut(s);
		return;
	}
	sub_catch_up(s);
}

/* ---- subscribing -------------------------------------------------------- */

/* When a new stream's lifetime ends: sse-max-lifetime from now, less up to
 * a tenth at random, so that streams opened together (every phone after a
 * restart) do not all reconnect together. */
static int64_t lifetime_end(const struct sub *s)
{
	int64_t life = (int64_t)server.cfg.sse_max_lifetime_s * 1000;
	uint64_t r = (uint64_t)now_ms() ^ (uint64_t)(uintptr_t)s;

	r = hash_bytes((const char *)&r, sizeof r);
	return now_ms() + life - (int64_t)(r % (uint64_t)(life / 10 + 1));
}

static int valid_stream_id(const char *id)
{
	uint64_t ms, seq;
	char end;

	return id && strlen(id) < 32 && sscanf(id, "%" SCNu64 "-%" SCNu64 "%c", &ms, &seq, &end) == 2;
}

void sse_subscribe(struct req *r, const char *ticket_id, const char *last_id, int stats)
{
	struct evhttp_request *req = r->ev;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct hub *hub = hub_get(r->event->id, 1);
	struct bufferevent *bev;
	struct timeval tv = { server.cfg.http_timeout_s, 0 };
	struct sub *s;
	struct payload *hello;

	http_detach(r);              /* the stream owns the request from here */
	if (evcon == NULL) {         /* the client left while we checked */
		evhttp_send_reply_end(req);
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal("calloc");   /* OOM only: one per stream, bounded by max-connections */
	s->hub = hub;
	s->req = req;
	s->evcon = evcon;
	if (ticket_id)
		snprintf(s->ticket, sizeof s->ticket, "%s", ticket_id);
	s->stats = stats && ticket_id == NULL;
	s->end_ms = lifetime_end(s);
	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-cache, no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	/* when the stream ends (its lifetime is over) so does the connection */
	evhttp_add_header(h, "Connection", "close");
	evhttp_send_reply_start(req, 200, "OK");
	s->chunked = req->chunked;
	/* a stream is silent for long stretches: no read timeout; a write that
	 * cannot go out for http-timeout seconds still ends it */
	bev = evhttp_connection_get_bufferevent(evcon);
	bufferevent_set_timeouts(bev, NULL, &tv);
	evhttp_connection_set_closecb(evcon, sub_on_close, s);

	s->next = hub->subs;
	if (hub->subs)
		hub->subs->prev = s;
	hub->subs = s;
	if (s->ticket[0]) {
		hub->ntickets++;
		watch_add(hub, s);
	} else
		hub->ndisplays++;
	hub->nstats += s->stats;
	nsubs++;
	if (s->stats)
		hub_touch_stats(hub);    /* an organiser gets the figures at once */

	hello = payload_raw("retry: 3000\n\n", 13);
	sub_send(s, hello);
	payload_unref(hello);

	if (valid_stream_id(last_id)) {
		snprintf(s->last_id, sizeof s->last_id, "%s", last_id);
		s->catching_up = 1;
		sub_catch_up(s);
		return;
	}
	/* New: from now on, with the current state first.  "Now" is the
	 * follower's tip; before the follower has looked, it is asked of Redis,
	 * so that nothing between this moment and the follower's start is lost. */
	if (follow_tip(hub->event)[0] == '\0') {
		char key[STORE_KEY_MAX];
		const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", "1" };
		size_t lens[6];
		store_key(key, sizeof key, hub->event, "stream");
		for (int i = 0; i < 6; i++)
			lens[i] = strlen(argv[i]);
		s->catching_up = 1;
		if (store_command(server.store, sub_on_start, s, 6, argv, lens) == 0)
			s->pending++;
		else
			evhttp_connection_free(s->evcon);   /* Redis is away: reconnect later */
		return;
	}
	snprintf(s->last_id, sizeof s->last_id, "%s", follow_tip(hub->event));
	if (sub_send_start(s) == -1) {
		sub_cut(s);
		return;
	}
	if (s->watch)
		sub_want_view(s);
	/* the cached board is never older than the last change (every change
	 * refreshes it); only the first display makes one, for itself and
	 * whoever comes while it is made */
	else if (hub->board == NULL)
		hub_touch_board(hub);
	else if (sub_send(s, hub->board) == -1)
		sub_cut(s);
}

/* ---- housekeeping ------------------------------------------------------- */

void sse_tick(void)
{
	int64_t now = now_ms();
	struct payload *p;

	if (nwaiting > 0)
		for (struct hub *h = hubs; h; h = h->next)
			for (struct sub *s = h->subs, *next; s; s = next) {
				next = s->next;
				if (!s->waiting ||
				    sub_backlog(s) > (size_t)server.cfg.sse_max_buffer / 2)
					continue;
				s->waiting = 0;
				nwaiting--;
				sub_catch_up(s);
			}

	/* streams past their lifetime end (not while catching up: they end
	 * once live) */
	if (now - last_lifetime_check >= LIFETIME_CHECK_MS) {
		last_lifetime_check = now;
		for (struct hub *h = hubs; h; h = h->next)
			for (struct sub *s = h->subs, *next; s; s = next) {
				next = s->next;
				if (now >= s->end_ms && !s->catching_up && s->pending == 0)
					sub_end(s);
			}
	}

	/* a comment now and then keeps proxies from closing idle streams */
	if (now - last_heartbeat < (int64_t)server.cfg.sse_heartbeat_s * 1000)
		return;
	last_heartbeat = now;
	p = payload_raw(": ping\n\n", 8);
	fanout_round++;
	for (struct hub *h = hubs; h; h = h->next) {
		struct sub *s, *next;
		for (s = h->subs; s; s = next) {
			next = s->next;
			if (sub_send(s, p) == -1)
				sub_cut(s);
		}
	}
	payload_unref(p);
}

void sse_init(void)
{
	last_heartbeat = last_lifetime_check = now_ms();
}

void sse_shutdown(void)
{
	struct hub *h, *hn;

	for (h = hubs; h; h = hn) {
		hn = h->next;
		while (h->subs) {
			struct sub *s = h->subs;
			struct evhttp_request *req = s->req;
			/* ends the chunked reply; the connection closes after it */
			sub_unlink(s);
			evhttp_connection_set_closecb(s->evcon, NULL, NULL);
			http_connection_gone(s->evcon);
			s->closed = 1;
			s->req = NULL;
			evhttp_send_reply_end(req);
			sub_release(s);
		}
		if (h->vround)
			h->vround->hub = NULL;   /* its replies come with NULL */
		free(h->wtab);
		payload_unref(h->board);
		event_free(h->board_timer);
		event_free(h->views_timer);
		event_free(h->stats_timer);
		h->dead = 1;
		hub_release(h);
	}
	hubs = NULL;
}
