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
#include "queue.h"
#include "stats.h"
#include "store.h"

#define BOARD_EVERY_MS 1000      /* board snapshots: one a second at most */
#define VIEWS_EVERY_MS 1000      /* per-ticket views: one a second at most */
#define STATS_EVERY_MS 5000      /* organisers' figures: one every five seconds at most */
#define CATCHUP_COUNT "500"

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

struct sub {
	struct hub *hub;
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
	struct sub *prev, *next;
};

/* One event's subscribers in this daemon. */
struct hub {
	char event[PROTO_ID_MAX];
	struct sub *subs;
	int ndisplays, ntickets, nstats;
	struct payload *board;       /* the latest board snapshot, for newcomers */
	struct event *board_timer, *views_timer, *stats_timer;
	int64_t board_at, views_at, stats_at; /* when they were last sent */
	int board_busy, views_busy, stats_busy; /* a refresh is in flight */
	int board_again, views_again, stats_again; /* changes came during it */
	struct hub *next;
};

static struct hub *hubs;
static int nsubs;
static int nwaiting;             /* subscribers with waiting set */
static unsigned fanout_round = 1; /* fan-out rounds: see sub_send */
static int64_t last_heartbeat;

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
		fatal("malloc");
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
		fatal("malloc");
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
	sub_unlink(s);
	if (evhttp_request_get_connection(s->req) == NULL)
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

/* Sends a payload to the hub's live subscribers: displays, and/or those
 * following `ticket`.  Entries a subscriber already has are skipped. */
static void hub_send(struct hub *h, struct payload *p, int displays, const char *ticket,
    const char *id)
{
	struct sub *s, *next;

	for (s = h->subs; s; s = next) {
		next = s->next;
		if (s->catching_up || (s->ticket[0] ? !(ticket && strcmp(s->ticket, ticket) == 0) :
		    !displays))
			continue;
		if (id) {
			if (!sse_id_after(id, s->last_id))
				continue;
			snprintf(s->last_id, sizeof s->last_id, "%s", id);
		}
		if (sub_send(s, p) == -1)
			sub_cut(s);
	}
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
		fatal("calloc");
	snprintf(h->event, sizeof h->event, "%s", event);
	h->board_timer = evtimer_new(server.base, hub_board_due, h);
	h->views_timer = evtimer_new(server.base, hub_views_due, h);
	h->stats_timer = evtimer_new(server.base, hub_stats_due, h);
	if (h->board_timer == NULL || h->views_timer == NULL || h->stats_timer == NULL)
		fatal("evtimer_new");
	h->next = hubs;
	hubs = h;
	return h;
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
	if (h->views_busy)
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

static void key_prefix(const char *event, char *buf, size_t size)
{
	snprintf(buf, size, "antre:{%s}:", event);
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
	h->board_at = now_ms();
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (res = cJSON_ParseWithLength(r->str, r->len)) != NULL) {
		queue_board_from_store(ev, res, &b);
		if ((wire = proto_board_encode(&b, ev->utc_offset_s)) == NULL ||
		    (text = cJSON_PrintUnformatted(wire)) == NULL)
			fatalx("out of memory");
		cJSON_Delete(wire);
		payload_unref(h->board);
		h->board = payload_event(NULL, "board", text);
		free(text);
		fanout_round++;
		hub_send(h, h->board, 1, NULL, NULL);
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
	char prefix[PROTO_ID_MAX + 16];
	const char *keys[1] = { prefix };

	(void)fd;
	(void)what;
	if (ev == NULL || h->ndisplays == 0)
		return;
	key_prefix(ev->id, prefix, sizeof prefix);
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
	h->stats_at = now_ms();
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (raw = cJSON_ParseWithLength(r->str, r->len)) != NULL &&
	    (c = stats_compute(ev, raw, server.cfg.idle_minutes)) != NULL) {
		struct payload *p;
		if ((text = cJSON_PrintUnformatted(c)) == NULL)
			fatalx("out of memory");
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
	char prefix[PROTO_ID_MAX + 16];
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
	key_prefix(ev->id, prefix, sizeof prefix);
	if (store_eval(server.store, store_script_get("stats"), 1, keys, n, argv, NULL,
	    hub_on_stats, h) == 0)
		h->stats_busy = 1;
}

/* A public ticket view (times in ms) into the wire ticket, as JSON text. */
static char *view_to_json(const struct event_def *ev, const cJSON *v)
{
	struct ticket t;
	cJSON *wire;
	char *text;

	if (queue_ticket_from_store(v, &t) == -1)
		return NULL;
	if ((wire = proto_ticket_encode(&t, ev->utc_offset_s)) == NULL)
		fatalx("out of memory");
	/* what the person's page may see: no area, priority or visits */
	cJSON_DeleteItemFromObjectCaseSensitive(wire, "area");
	cJSON_DeleteItemFromObjectCaseSensitive(wire, "priority");
	cJSON_DeleteItemFromObjectCaseSensitive(wire, "visits");
	text = cJSON_PrintUnformatted(wire);
	cJSON_Delete(wire);
	return text;
}

/* Owned by the store: reply dies after return.  arg is the hub. */
static void hub_on_views(const redisReply *r, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	cJSON *res = NULL;
	const cJSON *v;

	h->views_busy = 0;
	h->views_at = now_ms();
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (res = cJSON_ParseWithLength(r->str, r->len)) != NULL) {
		fanout_round++;
		cJSON_ArrayForEach(v, res) {
			const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "id"));
			char *text = view_to_json(ev, v);
			struct payload *p;
			if (id == NULL || text == NULL) {
				free(text);
				continue;
			}
			p = payload_event(NULL, "ticket", text);
			free(text);
			hub_send(h, p, 0, id, NULL);
			payload_unref(p);
		}
	}
	cJSON_Delete(res);
	if (h->views_again) {
		h->views_again = 0;
		hub_touch_views(h);
	}
}

static void hub_views_due(evutil_socket_t fd, short what, void *arg)
{
	struct hub *h = arg;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	char prefix[PROTO_ID_MAX + 16];
	const char *keys[1] = { prefix };
	const char **argv;
	int n = 1;

	(void)fd;
	(void)what;
	if (ev == NULL || h->ntickets == 0)
		return;
	if ((argv = calloc((size_t)h->ntickets + 1, sizeof *argv)) == NULL)
		fatal("calloc");
	argv[0] = ev->script_ctx;
	for (struct sub *s = h->subs; s; s = s->next) {
		int seen = 0;
		if (s->ticket[0] == '\0' || s->catching_up)
			continue;
		for (int i = 1; i < n && !seen; i++)   /* one view per ticket */
			seen = strcmp(argv[i], s->ticket) == 0;
		if (!seen)
			argv[n++] = s->ticket;
	}
	key_prefix(ev->id, prefix, sizeof prefix);
	if (n > 1 && store_eval(server.store, store_script_get("views"), 1, keys, n,
	    argv, NULL, hub_on_views, h) == 0)
		h->views_busy = 1;
	free(argv);
}

/* ---- entries from the stream -------------------------------------------- */

static void add_time(cJSON *o, const char *name, int64_t ms, int off)
{
	char buf[40];

	if (ms > 0)
		cJSON_AddStringToObject(o, name, proto_time_format(ms, off, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, name);
}

static void add_opt_string(cJSON *o, const char *name, const cJSON *from)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(from, name));

	if (s && *s)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

/* A stream entry (times in ms) as the wire JSON the displays get. */
static char *entry_to_json(const struct event_def *ev, const char *type, const cJSON *d)
{
	int off = ev->utc_offset_s;
	cJSON *o = NULL;
	char *text;

	if (strcmp(type, "call") == 0) {
		struct call c;
		memset(&c, 0, sizeof c);
		snprintf(c.ticket_id, sizeof c.ticket_id, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "ticket")));
		snprintf(c.code, sizeof c.code, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "code")));
		snprintf(c.station, sizeof c.station, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "station")));
		snprintf(c.stage, sizeof c.stage, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "stage")));
		c.station_number = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "station_number"));
		c.recall = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "recall"));
		c.at = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "at"));
		o = proto_call_encode(&c, off);
	} else if (strcmp(type, "ticket") == 0) {
		if ((o = cJSON_CreateObject()) != NULL) {
			cJSON_AddStringToObject(o, "id", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "id")));
			cJSON_AddStringToObject(o, "code", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "code")));
			cJSON_AddStringToObject(o, "state", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "state")));
			cJSON_AddStringToObject(o, "stage", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "stage")));
			add_opt_string(o, "station", d);
			add_time(o, "hold_until", (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "hold_until")), off);
			add_time(o, "at", (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "at")), off);
		}
	} else if (strcmp(type, "station") == 0) {
		struct station st;
		queue_station_from_store(d, &st);
		if ((o = proto_station_encode(&st)) != NULL)
			add_time(o, "at", (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(d, "at")), off);
	} else
		return NULL;             /* a type this daemon does not know */
	if (o == NULL || (text = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("out of memory");
	cJSON_Delete(o);
	return text;
}

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
	if ((text = entry_to_json(ev, type, d)) == NULL) {
		cJSON_Delete(d);
		return;
	}
	for (b = batches; b && b->hub != h; b = b->next)
		;
	if (b == NULL) {
		if ((b = calloc(1, sizeof *b)) == NULL)
			fatal("calloc");
		b->hub = h;
		b->next = batches;
		batches = b;
	}
	if (b->n == b->cap) {
		struct pending *grown;
		b->cap = b->cap ? 2 * b->cap : 16;
		if ((grown = realloc(b->e, (size_t)b->cap * sizeof *b->e)) == NULL)
			fatal("realloc");
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
			fatal("strdup");
	}
	cJSON_Delete(d);
}

/* Sends one hub's batch: the block to displays that have none of it, entry
 * by entry to those that have some (just caught up), and calls to the
 * people called. */
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
		fatal("malloc");
	for (int i = 0; i < b->n; i++)
		at += (size_t)sprintf(text + at, "id: %s\nevent: %s\ndata: %s\n\n",
		    b->e[i].id, b->e[i].type, b->e[i].text);
	block = payload_raw(text, at);
	free(text);
	fanout_round++;
	for (s = h->subs; s; s = next) {
		next = s->next;
		if (s->catching_up)
			continue;
		if (s->ticket[0] == '\0' && sse_id_after(b->e[0].id, s->last_id)) {
			snprintf(s->last_id, sizeof s->last_id, "%s", b->e[b->n - 1].id);
			if (sub_send(s, block) == -1)
				sub_cut(s);
			continue;
		}
		for (int i = 0; i < b->n; i++) {
			struct pending *e = &b->e[i];
			struct payload *p;
			int rc;
			if (!sse_id_after(e->id, s->last_id) || (s->ticket[0] &&
			    !(e->ticket && strcmp(e->ticket, s->ticket) == 0)))
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

/* Owned by the store: reply dies after return.  arg is the subscriber. */
static void sub_on_range(const redisReply *r, void *arg)
{
	struct sub *s = arg;
	const struct event_def *ev;
	size_t n = 0;

	s->pending--;
	if (s->closed) {
		sub_release(s);
		return;
	}
	ev = event_find(&server.events->set, s->hub->event);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || ev == NULL) {
		/* Redis went away: wait, sse_tick tries again */
		if (!s->waiting) {
			s->waiting = 1;
			nwaiting++;
		}
		return;
	}
	for (n = 0; n < r->elements; n++) {
		const redisReply *e = r->element[n], *f;
		const char *type = NULL;
		cJSON *d = NULL;
		char *text = NULL;
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
			continue;
		f = e->element[1];
		for (size_t k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements; k += 2) {
			if (strcmp(f->element[k]->str, "type") == 0)
				type = f->element[k + 1]->str;
			else if (strcmp(f->element[k]->str, "data") == 0)
				d = cJSON_ParseWithLength(f->element[k + 1]->str, f->element[k + 1]->len);
		}
		/* paced: once a batch's worth is queued, wait for it to drain
		 * (sse_tick resumes from last_id), however long the gap */
		if (sub_backlog(s) > (size_t)server.cfg.sse_max_buffer) {
			cJSON_Delete(d);
			if (!s->waiting) {
				s->waiting = 1;
				nwaiting++;
			}
			return;
		}
		snprintf(s->last_id, sizeof s->last_id, "%s", e->element[0]->str);
		/* a ticket stream replays only that ticket's calls */
		if (type && d && (text = entry_to_json(ev, type, d)) != NULL &&
		    (s->ticket[0] == '\0' || (strcmp(type, "call") == 0 && strcmp(s->ticket,
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "ticket"))) == 0))) {
			struct payload *p = payload_event(e->element[0]->str, type, text);
			struct evbuffer *out = bufferevent_get_output(
			    evhttp_connection_get_bufferevent(s->evcon));
			p->refs++;
			if (evbuffer_add_reference(out, s->chunked ? p->data : p->data + p->hdr,
			    s->chunked ? p->hdr + p->len + 2 : p->len, payload_release, p) != 0)
				p->refs--;
			payload_unref(p);
		}
		free(text);
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
		if (!s->waiting) {
			s->waiting = 1;
			nwaiting++;
		}
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
	char key[PROTO_ID_MAX + 24], from[40];
	const char *tip = follow_tip(s->hub->event);
	size_t lens[6];

	if (s->pending)
		return;
	if (tip[0] && !sse_id_after(tip, s->last_id)) {
		s->catching_up = 0;
		if (s->ticket[0])
			hub_touch_views(s->hub);
		else if (s->hub->board == NULL)
			hub_touch_board(s->hub);   /* the first display: make one */
		else if (sub_send(s, s->hub->board) == -1)
			sub_cut(s);
		return;
	}
	snprintf(key, sizeof key, "antre:{%s}:stream", s->hub->event);
	snprintf(from, sizeof from, "(%s", s->last_id);
	const char *argv[] = { "XRANGE", key, from, "+", "COUNT", CATCHUP_COUNT };
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	if (store_command(server.store, sub_on_range, s, 6, argv, lens) == 0)
		s->pending++;
	else if (!s->waiting) {
		s->waiting = 1;
		nwaiting++;
	}
}

/* Tells the client where it starts (an id-only message sets EventSource's
 * last event id), so that a display that has had only board snapshots
 * still reconnects with a Last-Event-ID. */
static int sub_send_start(struct sub *s)
{
	char text[48];
	struct payload *p;
	int rc;

	snprintf(text, sizeof text, "id: %s\n\n", s->last_id);
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

	/* HEAD: the stream's headers only (http_reply_raw sends no body) */
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		http_reply_raw(r, 200, "text/event-stream; charset=utf-8", NULL, 0);
		return;
	}
	http_detach(r);              /* the stream owns the request from here */
	if (evcon == NULL) {         /* the client left while we checked */
		evhttp_send_reply_end(req);
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		fatal("calloc");
	s->hub = hub;
	s->req = req;
	s->evcon = evcon;
	if (ticket_id)
		snprintf(s->ticket, sizeof s->ticket, "%s", ticket_id);
	s->stats = stats && ticket_id == NULL;
	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-cache, no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
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
	if (s->ticket[0])
		hub->ntickets++;
	else
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
		char key[PROTO_ID_MAX + 24];
		const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", "1" };
		size_t lens[6];
		snprintf(key, sizeof key, "antre:{%s}:stream", hub->event);
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
	if (s->ticket[0])
		hub_touch_views(hub);
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
	last_heartbeat = now_ms();
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
		payload_unref(h->board);
		event_free(h->board_timer);
		event_free(h->views_timer);
		event_free(h->stats_timer);
		free(h);
	}
	hubs = NULL;
}
