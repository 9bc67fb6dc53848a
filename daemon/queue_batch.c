/*
 * queue_batch.c: the writes that come together go to Redis together.
 *
 * Every script call costs Redis a part that does not depend on what the
 * script does: reading and parsing the call, the script's start (the time,
 * the event day, the day's close-out check), the MULTI/EXEC around its
 * writes in the AOF, the reply; and the issues of one call share their
 * counters' writes (_lib.lua's flush_writes).  Ten issues in one call cost
 * Redis a third less each than ten calls (make bench, part "cost").  So
 * the requests of a batched script that one turn of the event loop reads
 * wait for the end of the turn, and go in one call (at most BATCH_MAX, of
 * one event) of the script's NAME_batch function (_lib.lua's batch()),
 * which runs each as if alone.  Nothing waits longer than the turn it came
 * in, nor for a call in flight: a quiet desk's request goes alone at once,
 * and the busier the desks, the more each call carries and the less Redis
 * spends per ticket.
 */
#include "queue_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "log.h"
#include "store.h"

#define BATCH_MAX 64
#define BATCH_ARGS_MAX 8                 /* a request's: issue.lua has 8 */

/* A request waiting for its call: its arguments copied (they point into
 * a body that is freed before the call goes). */
struct item {
	struct req *r;
	queue_done *done;
	const char *script;                  /* its name (the caller's literal) */
	int nargs;
	char *args[BATCH_ARGS_MAX];
	char rec[STORE_KEY_MAX];             /* its Idempotency-Key's record, or "" */
	char fp[QUEUE_FP_SIZE];              /* its fingerprint, or "" */
	TAILQ_ENTRY(item) link;
};

/* The requests of one call. */
struct batch {
	int n;
	struct item *items[BATCH_MAX];
};

static TAILQ_HEAD(, item) pending = TAILQ_HEAD_INITIALIZER(pending);
static struct event *flush_event;       /* active while requests wait */

static void item_free(struct item *it)
{
	for (int i = 0; i < it->nargs; i++)
		free(it->args[i]);
	free(it);
}

/* Ends each request of b with its part of reply (owned by the store);
 * reply NULL (Redis away) or not a batch's (an error for the whole call:
 * Redis refusing it, a library that failed) ends each as a single call's
 * would. */
static void batch_answer(struct batch *b, const redisReply *reply)
{
	static const char wrong[] = "ERR a batch's reply of another length";
	redisReply bad = { .type = REDIS_REPLY_ERROR, .str = (char *)wrong,
		.len = sizeof wrong - 1 };

	for (int i = 0; i < b->n; i++) {
		const redisReply *one = reply;
		if (reply && reply->type == REDIS_REPLY_ARRAY)
			one = reply->elements == (size_t)b->n ? reply->element[i] : &bad;
		queue_reply_write(one, b->items[i]->r);
		item_free(b->items[i]);
	}
	free(b);
}

/* Owned by the store: reply dies after return. */
static void on_batch(const redisReply *reply, void *arg)
{
	batch_answer(arg, reply);
}

/* Sends b's call: KEYS the event's prefix and each Idempotency-Key's
 * record; ARGV the context, N, A, then each request's A arguments, the
 * index of its record in KEYS (0: none) and its fingerprint.  0 or -1
 * (Redis away) as store_eval. */
static int batch_call(struct batch *b)
{
	const struct item *first = b->items[0];
	char prefix[STORE_KEY_MAX], n_text[16], a_text[16], at[BATCH_MAX][12], name[64];
	const char *keys[1 + BATCH_MAX];
	const char *argv[3 + BATCH_MAX * (BATCH_ARGS_MAX + 2)];
	int nkeys = 1, n = 0;

	store_key(prefix, sizeof prefix, first->r->event->id, "");
	keys[0] = prefix;
	snprintf(n_text, sizeof n_text, "%d", b->n);
	snprintf(a_text, sizeof a_text, "%d", first->nargs);
	argv[n++] = first->r->event->script_ctx;
	argv[n++] = n_text;
	argv[n++] = a_text;
	for (int i = 0; i < b->n; i++) {
		struct item *it = b->items[i];
		for (int j = 0; j < it->nargs; j++)
			argv[n++] = it->args[j];
		if (it->rec[0])
			keys[nkeys++] = it->rec;
		snprintf(at[i], sizeof at[i], "%d", it->rec[0] ? nkeys : 0);   /* KEYS[nkeys] */
		argv[n++] = at[i];
		argv[n++] = it->fp;
		it->r->on_result = it->done;
	}
	snprintf(name, sizeof name, "%s_batch", first->script);
	return store_eval(server.store, store_script_get(name), nkeys, keys, n, argv, NULL,
	    on_batch, b);
}

/* The end of the turn: everything that waits goes, each call the oldest
 * request and those after it of the same event and script, in order. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	while (!TAILQ_EMPTY(&pending)) {
		struct item *first = TAILQ_FIRST(&pending), *it, *next;
		struct batch *b = calloc(1, sizeof *b);

		if (b == NULL)
			fatal("calloc");   /* OOM only: one per call of requests already held */
		for (it = first; it && b->n < BATCH_MAX; it = next) {
			next = TAILQ_NEXT(it, link);
			if (it->r->event != first->r->event || strcmp(it->script, first->script) != 0 ||
			    it->nargs != first->nargs)
				continue;
			TAILQ_REMOVE(&pending, it, link);
			b->items[b->n++] = it;
		}
		if (batch_call(b) == -1)
			batch_answer(b, NULL);   /* Redis is away: 503 for each */
	}
}

void queue_batch_stop(void)
{
	on_flush(-1, 0, NULL);           /* the store is closed: 503 for each */
	if (flush_event)
		event_free(flush_event);
	flush_event = NULL;
}

void queue_write_batch(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done)
{
	struct item *it;

	/* a caller's bug, never a request's: the scripts' counts are fixed */
	if (nargs > BATCH_ARGS_MAX)
		fatalx("queue_write_batch: too many arguments");
	if ((it = calloc(1, sizeof *it)) == NULL)
		fatal("calloc");   /* OOM only: one per request, bounded by max-connections */
	if (queue_idem(r, it->rec, it->fp) == -1) {
		free(it);
		return;
	}
	it->script = script;
	it->r = r;
	it->done = done;
	for (it->nargs = 0; it->nargs < nargs; it->nargs++)
		if ((it->args[it->nargs] = strdup(args[it->nargs])) == NULL)
			fatal("strdup");   /* OOM only: the route bounds each argument's length */
	/* at the default priority: after the callbacks already due this turn */
	if (flush_event == NULL &&
	    (flush_event = event_new(server.base, -1, 0, on_flush, NULL)) == NULL)
		fatalx("out of memory");   /* OOM only: one event for the daemon's life */
	if (TAILQ_EMPTY(&pending))
		event_active(flush_event, EV_TIMEOUT, 0);
	TAILQ_INSERT_TAIL(&pending, it, link);
}
