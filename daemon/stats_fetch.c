/* stats_fetch.c: the stats script for every event of a set (stats_fetch.h). */
#include "stats_fetch.h"

#include <stdlib.h>

#include "log.h"
#include "server.h"

/* One run over a set; freed after on_done. */
struct stats_fetch {
	stats_fetch_reply_cb *on_reply;
	stats_fetch_done_cb *on_done;
	void *arg;
	int waiting;                 /* scripts out, + 1 while sending */
	int unsent;
};

struct fetch_slot {
	struct stats_fetch *f;
	int index;
};

int stats_fetch_args(const struct event_def *ev, const char **args)
{
	int n = 0;

	args[n++] = "";
	for (int i = 0; i < ev->nservices; i++)
		args[n++] = ev->services[i].id;
	return n;
}

static void fetch_release(struct stats_fetch *f)
{
	if (--f->waiting > 0)
		return;
	f->on_done(f->arg, f->unsent);
	free(f);
}

/* Owned by the store: reply dies after return.  arg is the slot. */
static void fetch_on_reply(const redisReply *reply, void *arg)
{
	struct fetch_slot *slot = arg;
	struct stats_fetch *f = slot->f;

	f->on_reply(slot->index, reply, f->arg);
	free(slot);
	fetch_release(f);
}

static int fetch_send(const struct event_def *ev, struct fetch_slot *slot)
{
	const char *args[2 + EVENT_MAX_SERVICES];
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };
	int n;

	args[0] = ev->script_ctx;
	n = 1 + stats_fetch_args(ev, args + 1);
	store_key(prefix, sizeof prefix, ev->id, "");
	return store_eval(server.store, store_script_get("stats"), 1, keys, n, args,
	    NULL, fetch_on_reply, slot);
}

void stats_fetch_all(const struct event_set *set, stats_fetch_reply_cb *on_reply,
    stats_fetch_done_cb *on_done, void *arg)
{
	struct stats_fetch *f = calloc(1, sizeof *f);

	if (f == NULL)
		fatal("calloc");
	f->on_reply = on_reply;
	f->on_done = on_done;
	f->arg = arg;
	f->waiting = 1;              /* held until every script is sent */
	for (int i = 0; i < set->n && !f->unsent; i++) {
		struct fetch_slot *slot = malloc(sizeof *slot);
		if (slot == NULL)
			fatal("malloc");
		slot->f = f;
		slot->index = i;
		if (fetch_send(&set->events[i], slot) == 0)
			f->waiting++;
		else {
			free(slot);
			f->unsent = 1;       /* Redis is down: no event will answer */
		}
	}
	fetch_release(f);
}
