/* sse_refresh.c: the snapshots a hub keeps fresh (the board, the per-ticket
 * views, the organisers' figures), each coalesced to one per period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "follow.h"
#include "log.h"
#include "record.h"
#include "server.h"
#include "sse.h"
#include "sse_int.h"
#include "stats.h"
#include "store.h"

#define BOARD_EVERY_MS 1000      /* boards read: one a second at most */
#define VIEWS_EVERY_MS 1000      /* per-ticket views: one a second at most */
#define STATS_EVERY_MS 5000      /* organisers' figures: one every five seconds at most */
/* Views are read VIEWS_BATCH tickets a script, one script at a time: a
 * request's own script then waits behind one short script at most (about
 * a millisecond of Redis), and this daemon's loop behind the fan-out of
 * one batch, however many phones follow. */
#define VIEWS_BATCH 100
#define VIEWS_IN_FLIGHT 1

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

static int board_wanted(const struct hub *h);
static int views_wanted(const struct hub *h);
static int stats_wanted(const struct hub *h);
static int board_args(const struct event_def *ev, const char **argv);
static int stats_args(const struct event_def *ev, const char **argv);
static void board_send(struct hub *h, const struct event_def *ev, const cJSON *res);
static void stats_send(struct hub *h, const struct event_def *ev, const cJSON *res);
static void views_start(struct refresh *rf, const struct event_def *ev);
static void refresh_eval(struct refresh *rf, const struct event_def *ev);

/*
 * The refreshes, one row each: how often at most, whether anyone wants
 * it, and how it is made.  The board and the figures are one script each
 * (its arguments from args, its result sent by send); the views are many
 * small scripts of their own (views_start).
 */
static const struct refresh_def {
	const char *script;
	int every_ms;
	int (*wanted)(const struct hub *h);
	void (*start)(struct refresh *rf, const struct event_def *ev);
	int (*args)(const struct event_def *ev, const char **argv);
	void (*send)(struct hub *h, const struct event_def *ev, const cJSON *res);
} refreshes[REFRESH_COUNT] = {
	[REFRESH_BOARD] = { "board", BOARD_EVERY_MS, board_wanted, refresh_eval,
		board_args, board_send },
	[REFRESH_VIEWS] = { "views", VIEWS_EVERY_MS, views_wanted, views_start,
		NULL, NULL },
	[REFRESH_STATS] = { "stats", STATS_EVERY_MS, stats_wanted, refresh_eval,
		stats_args, stats_send },
};

/* ---- the table's machinery ---------------------------------------------- */

/* Frees a hub shut down once no board or stats reply is still due (the
 * store calls those back with NULL when it is freed, after sse_shutdown);
 * a views round lets go of its hub at shutdown instead (refresh_stop). */
static void hub_release(struct hub *h)
{
	if (!h->dead)
		return;
	for (int k = 0; k < REFRESH_COUNT; k++)
		if (h->refresh[k].busy)
			return;
	free(h);
}

/* Schedules a refresh no sooner than `every` after the last one. */
static void schedule(struct event *timer, int64_t last, int every)
{
	int64_t wait = last + every - sse_now_ms();
	struct timeval tv;

	if (evtimer_pending(timer, NULL))
		return;
	if (wait < 0)
		wait = 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
	evtimer_add(timer, &tv);
}

void hub_touch(struct hub *h, enum refresh_kind kind)
{
	struct refresh *rf = &h->refresh[kind];

	if (!refreshes[kind].wanted(h))
		return;
	if (rf->busy)
		rf->again = 1;
	else
		schedule(rf->timer, rf->at, refreshes[kind].every_ms);
}

void hub_touch_all(struct hub *h)
{
	for (int k = 0; k < REFRESH_COUNT; k++)
		hub_touch(h, (enum refresh_kind)k);
}

/* The refresh is over: the next one if changes came meanwhile. */
static void refresh_done(struct refresh *rf)
{
	rf->busy = 0;
	if (rf->again) {
		rf->again = 0;
		hub_touch(rf->hub, rf->kind);
	}
}

/* Owned by the store: reply dies after return.  arg is the refresh. */
static void refresh_on_reply(const redisReply *r, void *arg)
{
	struct refresh *rf = arg;
	struct hub *h = rf->hub;
	const struct event_def *ev = event_find(&server.events->set, h->event);
	cJSON *res;

	rf->busy = 0;
	if (h->dead) {               /* shutdown: the reply is NULL */
		hub_release(h);
		return;
	}
	rf->at = sse_now_ms();
	if (r && r->type == REDIS_REPLY_STRING && ev &&
	    (res = cJSON_ParseWithLength(r->str, r->len)) != NULL) {
		refreshes[rf->kind].send(h, ev, res);
		cJSON_Delete(res);
	}
	refresh_done(rf);
}

/* A refresh made by one script: KEYS[1] the event's prefix, ARGV args'. */
static void refresh_eval(struct refresh *rf, const struct event_def *ev)
{
	const struct refresh_def *d = &refreshes[rf->kind];
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };
	const char *argv[2 + EVENT_MAX_SERVICES];
	int n = d->args(ev, argv);

	store_key(prefix, sizeof prefix, ev->id, "");
	if (store_eval(server.store, store_script_get(d->script), 1, keys, n, argv, NULL,
	    refresh_on_reply, rf) == 0)
		rf->busy = 1;
}

static void refresh_due(evutil_socket_t fd, short what, void *arg)
{
	struct refresh *rf = arg;
	const struct event_def *ev = event_find(&server.events->set, rf->hub->event);

	(void)fd;
	(void)what;
	if (rf->busy) {
		rf->again = 1;           /* after the refresh in flight */
		return;
	}
	if (ev && refreshes[rf->kind].wanted(rf->hub))
		refreshes[rf->kind].start(rf, ev);
}

void refresh_init(struct hub *h)
{
	for (int k = 0; k < REFRESH_COUNT; k++) {
		struct refresh *rf = &h->refresh[k];
		rf->hub = h;
		rf->kind = (enum refresh_kind)k;
		if ((rf->timer = evtimer_new(server.base, refresh_due, rf)) == NULL)
			fatal("evtimer_new");   /* OOM only: one hub per configured event */
	}
}

void refresh_stop(struct hub *h)
{
	if (h->vround) {
		/* its replies come with NULL and find no hub */
		h->vround->hub = NULL;
		h->refresh[REFRESH_VIEWS].busy = 0;
	}
	for (int k = 0; k < REFRESH_COUNT; k++)
		event_free(h->refresh[k].timer);
	h->dead = 1;
	hub_release(h);
}

/* ---- the board and the figures ------------------------------------------ */

static int board_wanted(const struct hub *h)
{
	return h->ndisplays > 0;
}

static int stats_wanted(const struct hub *h)
{
	return h->nstats > 0;
}

static int board_args(const struct event_def *ev, const char **argv)
{
	argv[0] = ev->script_ctx;
	return 1;
}

/* The stats script: the event's context, today, the services. */
static int stats_args(const struct event_def *ev, const char **argv)
{
	int n = 0;

	argv[n++] = ev->script_ctx;
	argv[n++] = "";
	for (int i = 0; i < ev->nservices; i++)
		argv[n++] = ev->services[i].id;
	return n;
}

/* One snapshot's message: the wire object as text (freed here). */
static struct payload *wire_payload(const char *type, cJSON *wire)
{
	struct payload *p;
	char *text;

	if (wire == NULL || (text = cJSON_PrintUnformatted(wire)) == NULL)
		fatalx("out of memory");   /* OOM only: a board of configured stations */
	cJSON_Delete(wire);
	p = payload_event(NULL, type, text);
	free(text);
	return p;
}

/*
 * A new board: kept whole for newcomers (a display that goes live gets it,
 * and so holds h->sent), and to the live displays only what changed since
 * the board they hold (a `delta`; none when nothing did), or the board
 * whole when there is no such board yet, when sse-board-every has passed
 * since the last whole one (refresh_whole_due), or when the change cannot
 * be told as a delta (a new day's calls).
 */
static void board_send(struct hub *h, const struct event_def *ev, const cJSON *res)
{
	static struct board b;       /* filled and sent without yielding */
	static struct board_delta d;
	int whole = h->board == NULL || h->sent == NULL || h->whole_due, changed = 0;

	record_board(ev, res, &b);
	if (!whole && (changed = proto_board_diff(h->sent, &b, &d)) < 0)
		whole = 1;
	payload_unref(h->board);
	h->board = wire_payload("board", proto_board_encode(&b, ev->utc_offset_s));
	if (h->sent == NULL && (h->sent = malloc(sizeof *h->sent)) == NULL)
		fatal("malloc");   /* OOM only: one per hub */
	*h->sent = b;
	sub_round();
	if (whole) {
		h->whole_at = sse_now_ms();
		h->deltas = h->whole_due = 0;
		hub_send_displays(h, h->board);
	} else if (changed) {
		struct payload *p = wire_payload("delta",
		    proto_board_delta_encode(&d, ev->utc_offset_s));
		h->deltas++;
		hub_send_displays(h, p);
		payload_unref(p);
	}
}

/*
 * A station event the live displays were just sent: the board they hold
 * (h->sent) now has that station so.  A board read can come back before
 * an older station entry is fanned out (another connection; the fan-out
 * is held behind replies); the next read then differs from h->sent and its
 * delta sets the station right again, instead of leaving the older state
 * on every TV until the next whole board.
 */
void refresh_station_sent(struct hub *h, const char *wire)
{
	char err[PROTO_ERR_MAX];
	const struct event_def *ev;
	struct station s;
	cJSON *j;

	if (h->sent == NULL || (j = cJSON_Parse(wire)) == NULL)
		return;
	/* the whole board a display gets when it goes live is the board the
	 * live ones hold: else a newcomer keeps the station's older state,
	 * which no delta corrects (the next read agrees with h->sent) */
	if (proto_station_decode(j, &s, err) == 0 && proto_board_set_station(h->sent, &s) &&
	    h->board && (ev = event_find(&server.events->set, h->event)) != NULL) {
		payload_unref(h->board);
		h->board = wire_payload("board", proto_board_encode(h->sent, ev->utc_offset_s));
	}
	cJSON_Delete(j);
}

void refresh_whole_due(struct hub *h, int64_t now)
{
	if (h->deltas == 0 || h->whole_due || h->board == NULL ||
	    now - h->whole_at < (int64_t)server.cfg.sse_board_every_s * 1000)
		return;
	h->whole_due = 1;
	hub_touch(h, REFRESH_BOARD);
}

static void stats_send(struct hub *h, const struct event_def *ev, const cJSON *raw)
{
	struct payload *p;
	cJSON *c;
	char *text;

	if ((c = stats_compute(ev, raw, server.cfg.idle_minutes)) == NULL)
		return;
	if ((text = cJSON_PrintUnformatted(c)) == NULL)
		fatalx("out of memory");   /* OOM only: the figures of one event */
	cJSON_Delete(c);
	p = payload_event(NULL, "stats", text);
	free(text);
	sub_round();
	for (struct sub *s = LIST_FIRST(&h->subs), *next; s; s = next) {
		next = LIST_NEXT(s, link);
		/* a snapshot: fine to send while a subscriber catches up */
		if (s->stats && sub_send(s, p) == -1)
			sub_cut(s);
	}
	payload_unref(p);
}

/* ---- the per-ticket views ----------------------------------------------- */

static int views_wanted(const struct hub *h)
{
	return h->ntickets > 0;
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
	for (const struct sub *s = LIST_FIRST(&w->subs); s; s = LIST_NEXT(s, wlink))
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
	refresh_done(&h->refresh[REFRESH_VIEWS]);
}

/* Marks the ids of a batch that got no answer for the next round. */
static void views_redo(struct views_round *vr, int from, int count)
{
	struct watch *w;

	for (int i = from; i < from + count; i++)
		if ((w = watch_find(vr->hub, vr->ids[i])) != NULL)
			w->dirty = 1;
	vr->hub->refresh[REFRESH_VIEWS].again = 1;
}

/*
 * Sends one view to the live subscribers of its watch, unless it is what
 * they last had.  With the id of the last entry fanned out when the round
 * began (every change up to it is in the view, and every call up to it was
 * sent before), so that a phone's Last-Event-ID keeps up and its reconnect
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
	hash = sse_hash(text, strlen(text));
	if (hash == w->sent) {
		free(text);
		return;
	}
	w->sent = hash;
	for (struct sub *s = LIST_FIRST(&w->subs), *next; s; s = next) {
		struct payload *p;
		next = LIST_NEXT(s, wlink);
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
			int only = LIST_FIRST(&w->subs) == s && LIST_NEXT(s, wlink) == NULL;
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
		sub_round();
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
static void views_start(struct refresh *rf, const struct event_def *ev)
{
	struct hub *h = rf->hub;
	unsigned stages = h->dirty_stages;
	struct views_round *vr;

	(void)ev;                    /* each batch looks it up again */
	if ((vr = calloc(1, sizeof *vr)) == NULL ||
	    (vr->ids = calloc(h->nwatch, sizeof *vr->ids)) == NULL)
		fatal("calloc");   /* OOM only: ids <= watches, bounded by max-connections */
	vr->hub = h;
	/* not the follower's tip: entries read but held back (the fan-out
	 * waits for the store's replies) have not reached the phones yet, and
	 * a view with a later id would have their calls skipped */
	snprintf(vr->tip, sizeof vr->tip, "%s", h->fanned);
	for (size_t i = 0; i < h->wcap; i++)
		for (struct watch *w = h->wtab[i]; w; w = w->hnext) {
			if (!(w->dirty || w->stage < 0 ||
			    (w->waiting && (stages >> w->stage & 1))) || !watch_live(w))
				continue;
			w->dirty = 0;
			memcpy(vr->ids[vr->n++], w->ticket, sizeof w->ticket);
		}
	h->dirty_stages = 0;
	rf->again = 0;
	if (vr->n == 0) {
		free(vr->ids);
		free(vr);
		return;
	}
	rf->at = sse_now_ms();
	rf->busy = 1;
	h->vround = vr;
	views_round_next(vr);
}
