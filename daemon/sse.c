/* sse.c: event streams, the public face: subscribing, the follower's
 * entries fanned out in batches, housekeeping and shutdown. */
#include "sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>

#include "http.h"
#include "log.h"
#include "record.h"
#include "server.h"
#include "sse_int.h"

#define LIFETIME_CHECK_MS 1000   /* how often stream lifetimes are looked at */

static struct hub *hubs;
static int64_t last_heartbeat;
static int64_t last_lifetime_check;

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
	refresh_init(h);
	h->next = hubs;
	hubs = h;
	return h;
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
	sub_round();
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

	if (h == NULL || LIST_EMPTY(&h->subs) ||
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

/* Every entry of the batch's SSE message, in order, as one payload. */
static struct payload *batch_block(const struct batch *b)
{
	struct payload *block;
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
	return block;
}

/* The entries of the batch after s->last_id, one message each (a display
 * that just caught up has some of them already); -1 when it was cut. */
static int batch_send_after(const struct batch *b, struct sub *s)
{
	for (int i = 0; i < b->n; i++) {
		const struct pending *e = &b->e[i];
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
			return -1;
		}
	}
	return 0;
}

/* The batch's calls to the people called, found through their watch. */
static void batch_send_calls(const struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		const struct pending *e = &b->e[i];
		struct watch *w;
		struct payload *p = NULL;
		if (e->ticket == NULL || (w = watch_find(b->hub, e->ticket)) == NULL)
			continue;
		for (struct sub *s = LIST_FIRST(&w->subs), *next; s; s = next) {
			int only;
			next = LIST_NEXT(s, wlink);
			if (s->catching_up || !sse_id_after(e->id, s->last_id))
				continue;
			snprintf(s->last_id, sizeof s->last_id, "%s", e->id);
			if (p == NULL)
				p = payload_event(e->id, e->type, e->text);
			if (sub_send(s, p) == 0)
				continue;
			only = LIST_FIRST(&w->subs) == s && LIST_NEXT(s, wlink) == NULL;
			sub_cut(s);          /* the watch's only subscriber: it goes too */
			if (only)
				break;
		}
		payload_unref(p);
	}
}

/* Sends one hub's batch: the block to displays that have none of it, entry
 * by entry to those that have some (just caught up), and calls to the
 * people called, found through their watch. */
static void batch_send(struct batch *b)
{
	struct hub *h = b->hub;
	struct payload *block = batch_block(b);

	sub_round();
	for (struct sub *s = LIST_FIRST(&h->subs), *next; s; s = next) {
		next = LIST_NEXT(s, link);
		if (s->catching_up || s->ticket[0])
			continue;
		if (!sse_id_after(b->e[0].id, s->last_id)) {
			batch_send_after(b, s);
			continue;
		}
		snprintf(s->last_id, sizeof s->last_id, "%s", b->e[b->n - 1].id);
		if (sub_send(s, block) == -1)
			sub_cut(s);
	}
	payload_unref(block);
	batch_send_calls(b);
	snprintf(h->fanned, sizeof h->fanned, "%s", b->e[b->n - 1].id);
	for (int i = 0; i < b->n; i++)
		if (strcmp(b->e[i].type, "station") == 0)
			refresh_station_sent(h, b->e[i].text);
	hub_touch_all(h);
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

/* ---- subscribing -------------------------------------------------------- */

/* When a new stream's lifetime ends: sse-max-lifetime from now, less up to
 * a tenth at random, so that streams opened together (every phone after a
 * restart) do not all reconnect together. */
static int64_t lifetime_end(const struct sub *s)
{
	int64_t life = (int64_t)server.cfg.sse_max_lifetime_s * 1000;
	uint64_t r = (uint64_t)sse_now_ms() ^ (uint64_t)(uintptr_t)s;

	r = sse_hash((const char *)&r, sizeof r);
	return sse_now_ms() + life - (int64_t)(r % (uint64_t)(life / 10 + 1));
}

/* The reply's start: an event stream that ends with the connection. */
static void sub_open(struct sub *s)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(s->req);
	struct timeval tv = { server.cfg.http_timeout_s, 0 };
	char heartbeat[16];

	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-cache, no-store");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	/* how often a `: ping` comes: a client that hears nothing for longer
	 * than a few of these knows the stream is stalled (the web pages) */
	snprintf(heartbeat, sizeof heartbeat, "%d", server.cfg.sse_heartbeat_s);
	evhttp_add_header(h, "X-Antre-Heartbeat", heartbeat);
	/* when the stream ends (its lifetime is over) so does the connection */
	evhttp_add_header(h, "Connection", "close");
	evhttp_send_reply_start(s->req, 200, "OK");
	s->chunked = s->req->chunked;
	/* a stream is silent for long stretches: no read timeout; a write that
	 * cannot go out for http-timeout seconds still ends it */
	bufferevent_set_timeouts(evhttp_connection_get_bufferevent(s->evcon), NULL, &tv);
	evhttp_connection_set_closecb(s->evcon, sub_on_close, s);
}

void sse_subscribe(struct req *r, const char *ticket_id, const char *last_id, int stats)
{
	struct evhttp_request *req = r->ev;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct hub *hub = hub_get(r->event->id, 1);
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
	sub_open(s);
	sub_link(s);
	if (s->stats)
		hub_touch(s->hub, REFRESH_STATS);   /* an organiser gets the figures at once */
	hello = payload_raw("retry: 3000\n\n", 13);
	sub_send(s, hello);
	payload_unref(hello);
	sub_start(s, last_id);
}

/* ---- housekeeping ------------------------------------------------------- */

void sse_tick(void)
{
	int64_t now = sse_now_ms();
	struct payload *p;

	if (sub_nwaiting() > 0)
		for (struct hub *h = hubs; h; h = h->next)
			for (struct sub *s = LIST_FIRST(&h->subs), *next; s; s = next) {
				next = LIST_NEXT(s, link);
				if (!s->waiting ||
				    sub_backlog(s) > (size_t)server.cfg.sse_max_buffer / 2)
					continue;
				sub_unwait(s);
				sub_catch_up(s);
			}

	for (struct hub *h = hubs; h; h = h->next)
		refresh_whole_due(h, now);

	/* streams past their lifetime end (not while catching up: they end
	 * once live) */
	if (now - last_lifetime_check >= LIFETIME_CHECK_MS) {
		last_lifetime_check = now;
		for (struct hub *h = hubs; h; h = h->next)
			for (struct sub *s = LIST_FIRST(&h->subs), *next; s; s = next) {
				next = LIST_NEXT(s, link);
				if (now >= s->end_ms && !s->catching_up && s->pending == 0)
					sub_end(s);
			}
	}

	/* a comment now and then keeps proxies from closing idle streams */
	if (now - last_heartbeat < (int64_t)server.cfg.sse_heartbeat_s * 1000)
		return;
	last_heartbeat = now;
	p = payload_raw(": ping\n\n", 8);
	sub_round();
	for (struct hub *h = hubs; h; h = h->next) {
		struct sub *s, *next;
		for (s = LIST_FIRST(&h->subs); s; s = next) {
			next = LIST_NEXT(s, link);
			if (sub_send(s, p) == -1)
				sub_cut(s);
		}
	}
	payload_unref(p);
}

void sse_init(void)
{
	last_heartbeat = last_lifetime_check = sse_now_ms();
}

void sse_shutdown(void)
{
	struct hub *h, *hn;

	for (h = hubs; h; h = hn) {
		hn = h->next;
		while (!LIST_EMPTY(&h->subs)) {
			struct sub *s = LIST_FIRST(&h->subs);
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
		free(h->wtab);
		payload_unref(h->board);
		free(h->sent);
		refresh_stop(h);             /* frees the hub, now or later */
	}
	hubs = NULL;
}
