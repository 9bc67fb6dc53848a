/* sse_replay.c: where a new subscriber starts, and the replay from the
 * stream of what a reconnecting one missed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/http.h>

#include "follow.h"
#include "record.h"
#include "server.h"
#include "sse.h"
#include "sse_int.h"
#include "store.h"

#define CATCHUP_COUNT "500"

/* A phone that goes live gets its view in the next refresh, even when its
 * watch's other subscribers have it already. */
static void sub_want_view(struct sub *s)
{
	s->watch->dirty = 1;
	s->watch->sent = 0;
	hub_touch(s->hub, REFRESH_VIEWS);
}

/* Live from here: a phone gets its view, a display the board.  The cached
 * board is never older than the last change (every change refreshes it);
 * only the first display makes one, for itself and whoever comes while it
 * is made. */
static void sub_go_live(struct sub *s)
{
	if (s->watch)
		sub_want_view(s);
	else if (s->hub->board == NULL)
		hub_touch(s->hub, REFRESH_BOARD);
	else if (sub_send(s, s->hub->board) == -1)
		sub_cut(s);
}

/* Replays one entry of the stream to the subscriber catching up; a ticket
 * stream replays only that ticket's calls. */
static void sub_replay(struct sub *s, const struct event_def *ev,
    const struct stream_entry *e, const cJSON *d)
{
	const char *ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "ticket"));
	struct payload *p;
	char *text;

	if (e->type == NULL || d == NULL)
		return;
	if (s->ticket[0] && (strcmp(e->type, "call") != 0 || ticket == NULL ||
	    strcmp(s->ticket, ticket) != 0))
		return;
	if ((text = record_entry_json(ev, e->type, d)) == NULL)
		return;
	p = payload_event(e->id, e->type, text);
	sub_append(s, p);
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
		hub_touch_all(s->hub);
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
void sub_catch_up(struct sub *s)
{
	char key[STORE_KEY_MAX], from[40];
	const char *tip = follow_tip(s->hub->event);
	size_t lens[6];

	if (s->pending)
		return;
	if (tip[0] && !sse_id_after(tip, s->last_id)) {
		s->catching_up = 0;
		sub_go_live(s);
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
	struct stream_entry e;

	s->pending--;
	if (s->closed) {
		sub_release(s);
		return;
	}
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		evhttp_connection_free(s->evcon);   /* the client reconnects */
		return;
	}
	/* XREVRANGE + - COUNT 1: the newest entry, or none yet */
	if (r->elements > 0 && record_stream_entry(r->element[0], &e) == 0)
		snprintf(s->last_id, sizeof s->last_id, "%s", e.id);
	else
		snprintf(s->last_id, sizeof s->last_id, "0-0");
	if (sub_send_start(s) == -1) {
		sub_cut(s);
		return;
	}
	sub_catch_up(s);
}

static int valid_stream_id(const char *id)
{
	uint64_t ms, seq;
	char end;

	return id && strlen(id) < 32 && sscanf(id, "%" SCNu64 "-%" SCNu64 "%c", &ms, &seq, &end) == 2;
}

void sub_start(struct sub *s, const char *last_id)
{
	const char *tip = follow_tip(s->hub->event);

	if (valid_stream_id(last_id)) {
		snprintf(s->last_id, sizeof s->last_id, "%s", last_id);
		s->catching_up = 1;
		sub_catch_up(s);
		return;
	}
	/* New: from now on, with the current state first.  "Now" is the
	 * follower's tip; before the follower has looked, it is asked of Redis,
	 * so that nothing between this moment and the follower's start is lost. */
	if (tip[0] == '\0') {
		char key[STORE_KEY_MAX];
		const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", "1" };
		size_t lens[6];
		store_key(key, sizeof key, s->hub->event, "stream");
		for (int i = 0; i < 6; i++)
			lens[i] = strlen(argv[i]);
		s->catching_up = 1;
		if (store_command(server.store, sub_on_start, s, 6, argv, lens) == 0)
			s->pending++;
		else
			evhttp_connection_free(s->evcon);   /* Redis is away: reconnect later */
		return;
	}
	snprintf(s->last_id, sizeof s->last_id, "%s", tip);
	if (sub_send_start(s) == -1) {
		sub_cut(s);
		return;
	}
	sub_go_live(s);
}
