/* sse_sub.c: payloads, subscribers and what they are sent, and watches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "event.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "sse.h"
#include "sse_int.h"

static int nsubs;
static int nwaiting;             /* subscribers with waiting set */
static unsigned fanout_round = 1; /* fan-out rounds: see sub_send */

int64_t sse_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int sse_count(void)
{
	return nsubs;
}

uint64_t sse_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037u;      /* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211u;
	return h ? h : 1;
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
struct payload *payload_raw(const char *text, size_t len)
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
struct payload *payload_event(const char *id, const char *type, const char *data)
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

void payload_unref(struct payload *p)
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

struct watch *watch_find(const struct hub *h, const char *ticket)
{
	struct watch *w;

	if (h->wcap == 0)
		return NULL;
	w = h->wtab[sse_hash(ticket, strlen(ticket)) & (h->wcap - 1)];
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
			size_t k = sse_hash(w->ticket, strlen(w->ticket)) & (cap - 1);
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
		k = sse_hash(w->ticket, strlen(w->ticket)) & (h->wcap - 1);
		w->hnext = h->wtab[k];
		h->wtab[k] = w;
		h->nwatch++;
	}
	s->watch = w;
	LIST_INSERT_HEAD(&w->subs, s, wlink);
}

/* Takes the subscriber off its watch; the last one frees it. */
static void watch_del(struct hub *h, struct sub *s)
{
	struct watch *w = s->watch, **pp;

	LIST_REMOVE(s, wlink);
	s->watch = NULL;
	if (!LIST_EMPTY(&w->subs))
		return;
	pp = &h->wtab[sse_hash(w->ticket, strlen(w->ticket)) & (h->wcap - 1)];
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
void watch_mark(struct hub *h, const struct event_def *ev, const char *type,
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

void sub_round(void)
{
	fanout_round++;
}

void sub_link(struct sub *s)
{
	struct hub *h = s->hub;

	LIST_INSERT_HEAD(&h->subs, s, link);
	if (s->ticket[0]) {
		h->ntickets++;
		watch_add(h, s);
	} else
		h->ndisplays++;
	h->nstats += s->stats;
	nsubs++;
}

void sub_unlink(struct sub *s)
{
	struct hub *h = s->hub;

	LIST_REMOVE(s, link);
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
	sub_unwait(s);
	nsubs--;
}

void sub_release(struct sub *s)
{
	if (s->closed && s->pending == 0)
		free(s);
}

/*
 * The connection is going (client gone, cut off, or shutdown): forget the
 * subscriber.  A request libevent already detached from the connection is
 * ours to free; an attached one goes with the connection.
 */
void sub_on_close(struct evhttp_connection *evcon, void *arg)
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
void sub_cut(struct sub *s)
{
	log_info("sse: cutting off a slow subscriber of %s (%zu bytes waiting)",
	    s->hub->event, evbuffer_get_length(bufferevent_get_output(
		evhttp_connection_get_bufferevent(s->evcon))));
	evhttp_connection_free(s->evcon);   /* calls sub_on_close */
}

/* Bytes queued on the subscriber's connection and not yet sent. */
size_t sub_backlog(const struct sub *s)
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
int sub_send(struct sub *s, struct payload *p)
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

void sub_append(struct sub *s, struct payload *p)
{
	struct evbuffer *out = bufferevent_get_output(evhttp_connection_get_bufferevent(s->evcon));

	p->refs++;
	if (evbuffer_add_reference(out, s->chunked ? p->data : p->data + p->hdr,
	    s->chunked ? p->hdr + p->len + 2 : p->len, payload_release, p) != 0)
		p->refs--;
}

/* Sends a snapshot (no id) to the hub's live displays. */
void hub_send_displays(struct hub *h, struct payload *p)
{
	struct sub *s, *next;

	for (s = LIST_FIRST(&h->subs); s; s = next) {
		next = LIST_NEXT(s, link);
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
void sub_end(struct sub *s)
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

/* Marks the subscriber as waiting: sse_tick tries its catching up again. */
void sub_wait(struct sub *s)
{
	if (!s->waiting) {
		s->waiting = 1;
		nwaiting++;
	}
}

void sub_unwait(struct sub *s)
{
	if (s->waiting) {
		s->waiting = 0;
		nwaiting--;
	}
}

int sub_nwaiting(void)
{
	return nwaiting;
}
