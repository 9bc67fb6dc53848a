/* route_metrics.c: GET /metrics, for Prometheus: this daemon's figures and
 * every event's of today (one stats script per event, answered when the
 * last is back). */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "route_coverage.h"
#include "sse.h"
#include "stats_fetch.h"
#include "store.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One scrape in progress; freed with its reply. */
struct scrape {
	struct req *r;
	int lost;                    /* a script had no answer: Redis went away */
	struct metrics_event *m;     /* one per event of r->events, or NULL */
};

/* Whatever came back is written: an event whose figures are missing (Redis
 * down, no answer in time) is left out, and the scrape still answers 200. */
static void scrape_done(void *arg, int unsent)
{
	struct scrape *sc = arg;
	struct evbuffer *out = evbuffer_new();
	struct metrics_gauges g = {
		.redis_up = !sc->lost && store_is_up(server.store),
		.connections = server.connections,
		.sse_subscribers = sse_count(),
	};
	size_t len;

	(void)unsent;                /* those events are left out */
	if (out == NULL)
		fatal("evbuffer_new");   /* OOM only: an empty buffer */
	metrics_write(out, &g, &sc->r->events->set, sc->m);
	coverage_metrics_write(out);
	len = evbuffer_get_length(out);
	http_reply_raw(sc->r, 200, METRICS_CONTENT_TYPE, evbuffer_pullup(out, -1), len);
	evbuffer_free(out);
	free(sc->m);
	free(sc);
}

/* Owned by the store: reply dies after return.  NULL: Redis went away or
 * did not answer in time. */
static void scrape_on_reply(int index, const redisReply *reply, void *arg)
{
	struct scrape *sc = arg;
	const struct event_def *ev = &sc->r->events->set.events[index];
	cJSON *raw = NULL;

	if (!store_reply_unavailable(reply) && reply->type == REDIS_REPLY_STRING &&
	    (raw = cJSON_ParseWithLength(reply->str, reply->len)) != NULL) {
		if (metrics_event_from_stats(ev, raw, &sc->m[index]) == -1)
			log_warnx("metrics: unexpected stats for %s", ev->id);
	} else if (reply == NULL)
		sc->lost = 1;
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("metrics: stats script for %s failed: %s", ev->id, reply->str);
	cJSON_Delete(raw);
}

static void metrics_get(struct req *r)
{
	const struct event_set *set = &r->events->set;
	struct scrape *sc = calloc(1, sizeof *sc);

	if (sc == NULL || (set->n > 0 && (sc->m = calloc((size_t)set->n, sizeof *sc->m)) == NULL))
		fatal("calloc");
	sc->r = r;
	coverage_gauges_refresh();    /* for this scrape or the next */
	stats_fetch_all(set, scrape_on_reply, scrape_done, sc);
}

const struct route metrics_routes[] = {
	{ "GET", "/metrics", ROLES_PUBLIC, metrics_get,
	  "metrics", 0 },
	{ 0 }                            /* the end */
};
