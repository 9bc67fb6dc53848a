/* route_stats.c: the organisers' figures for one event, and the region
 * roll-up of every event of the deployment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "queue.h"
#include "stats.h"
#include "store.h"

static void stats_on_result(struct req *r, const cJSON *result)
{
	cJSON *body = stats_compute(r->event, result, server.cfg.idle_minutes);

	if (body == NULL)
		fatalx("out of memory");
	http_reply_json(r, 200, body);
}

/* The stats script's arguments: the day ("" for today), then the services. */
static int stats_args(const struct event_def *ev, const char **args)
{
	int n = 0;

	args[n++] = "";
	for (int i = 0; i < ev->nservices; i++)
		args[n++] = ev->services[i].id;
	return n;
}

static void stats_get(struct req *r)
{
	const char *args[1 + EVENT_MAX_SERVICES];
	int n = stats_args(r->event, args);

	queue_run(r, "stats", n, args, stats_on_result);
}

/* ---- roll-up: one script per event, answered when the last is back ---- */

struct rollup {
	struct req *r;
	int waiting, failed;
	cJSON *events;               /* summaries, in the events' order */
};

struct rollup_slot {
	struct rollup *ru;
	int index;
};

static void rollup_done(struct rollup *ru)
{
	cJSON *body;

	if (ru->failed) {
		http_reply_unavailable(ru->r);
		cJSON_Delete(ru->events);
	} else {
		if ((body = cJSON_CreateObject()) == NULL)
			fatalx("out of memory");
		cJSON_AddItemToObject(body, "events", ru->events);
		http_reply_json(ru->r, 200, body);
	}
	free(ru);
}

/* Owned by the store: reply dies after return. */
static void rollup_on_reply(const redisReply *reply, void *arg)
{
	struct rollup_slot *slot = arg;
	struct rollup *ru = slot->ru;
	const struct event_def *ev = &ru->r->events->set.events[slot->index];
	cJSON *raw = NULL;
	struct stats *s;

	if (store_reply_unavailable(reply) || reply->type != REDIS_REPLY_STRING ||
	    (raw = cJSON_ParseWithLength(reply->str, reply->len)) == NULL)
		ru->failed = 1;
	else {
		if ((s = malloc(sizeof *s)) == NULL || stats_read(ev, raw,
		    server.cfg.idle_minutes, s) == -1)
			fatalx("out of memory");   /* OOM only: one event's figures */
		cJSON_ReplaceItemInArray(ru->events, slot->index, stats_summary(ev, s));
		proto_stats_free(s);
		free(s);
	}
	cJSON_Delete(raw);
	free(slot);
	if (--ru->waiting == 0)
		rollup_done(ru);
}

static void rollup_get(struct req *r)
{
	const struct event_set *set = &r->events->set;
	struct rollup *ru = calloc(1, sizeof *ru);

	if (ru == NULL || (ru->events = cJSON_CreateArray()) == NULL)
		fatal("calloc");
	ru->r = r;
	for (int i = 0; i < set->n; i++)
		cJSON_AddItemToArray(ru->events, cJSON_CreateNull());
	ru->waiting = 1;             /* held until every script is sent */
	for (int i = 0; i < set->n && !ru->failed; i++) {
		const struct event_def *ev = &set->events[i];
		const char *args[2 + EVENT_MAX_SERVICES];
		char prefix[STORE_KEY_MAX];
		const char *keys[1] = { prefix };
		struct rollup_slot *slot = malloc(sizeof *slot);
		int n;
		if (slot == NULL)
			fatal("malloc");
		slot->ru = ru;
		slot->index = i;
		args[0] = ev->script_ctx;
		n = 1 + stats_args(ev, args + 1);
		store_key(prefix, sizeof prefix, ev->id, "");
		if (store_eval(server.store, store_script_get("stats"), 1, keys, n, args,
		    NULL, rollup_on_reply, slot) == 0)
			ru->waiting++;
		else {
			free(slot);
			ru->failed = 1;
		}
	}
	if (--ru->waiting == 0)
		rollup_done(ru);
}

const struct route route_event_stats = { "GET", "/v1/events/{ev}/stats",
	ROLE_BIT(ROLE_ORGANISER), stats_get, "event_stats", 0 };
const struct route route_rollup = { "GET", "/v1/stats", ROLE_BIT(ROLE_ORGANISER),
	rollup_get, "stats_rollup", 0 };
