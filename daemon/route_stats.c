/* route_stats.c: the organisers' figures for one event, and the region
 * roll-up of every event of the deployment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "queue.h"
#include "stats.h"
#include "stats_fetch.h"
#include "store.h"

static void stats_on_result(struct req *r, const cJSON *result)
{
	cJSON *body = stats_compute(r->event, result, server.cfg.idle_minutes);

	if (body == NULL)
		fatalx("out of memory");
	http_reply_json(r, 200, body);
}

static void stats_get(struct req *r)
{
	const char *args[1 + EVENT_MAX_SERVICES];
	int n = stats_fetch_args(r->event, args);

	queue_run(r, "stats", n, args, stats_on_result);
}

/* ---- roll-up: one script per event, answered when the last is back ---- */

struct rollup {
	struct req *r;
	int failed;
	cJSON *events;               /* summaries, in the events' order */
};

static void rollup_done(void *arg, int unsent)
{
	struct rollup *ru = arg;
	cJSON *body;

	if (ru->failed || unsent) {
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
static void rollup_on_reply(int index, const redisReply *reply, void *arg)
{
	struct rollup *ru = arg;
	const struct event_def *ev = &ru->r->events->set.events[index];
	cJSON *raw = NULL;
	struct stats *s;

	if (store_reply_unavailable(reply) || reply->type != REDIS_REPLY_STRING ||
	    (raw = cJSON_ParseWithLength(reply->str, reply->len)) == NULL)
		ru->failed = 1;
	else {
		if ((s = malloc(sizeof *s)) == NULL || stats_read(ev, raw,
		    server.cfg.idle_minutes, s) == -1)
			fatalx("out of memory");   /* OOM only: one event's figures */
		cJSON_ReplaceItemInArray(ru->events, index, stats_summary(ev, s));
		proto_stats_free(s);
		free(s);
	}
	cJSON_Delete(raw);
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
	stats_fetch_all(set, rollup_on_reply, rollup_done, ru);
}

const struct route stats_routes[] = {
	{ "GET", "/v1/events/{ev}/stats",
	  ROLE_BIT(ROLE_ORGANISER), stats_get, "event_stats", 0 },
	{ "GET", "/v1/stats", ROLE_BIT(ROLE_ORGANISER),
	  rollup_get, "stats_rollup", 0 },
	{ 0 }                            /* the end */
};
