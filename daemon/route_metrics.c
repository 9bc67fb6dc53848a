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
#include "store.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One scrape in progress; freed with its reply. */
struct scrape {
	struct req *r;
	int waiting;                 /* scripts out, + 1 while sending */
	int lost;                    /* a script had no answer: Redis went away */
	struct metrics_event *m;     /* one per event of r->events, or NULL */
};

struct scrape_slot {
	struct scrape *sc;
	int index;
};

/* Whatever came back is written: an event whose figures are missing (Redis
 * down, no answer in time) is left out, and the scrape still answers 200. */
static void scrape_done(struct scrape *sc)
{
	struct evbuffer *out = evbuffer_new();
	size_t len;

	if (out == NULL)
		fatal("evbuffer_new");
	metrics_write(out, &sc->r->events->set, sc->m,
	    !sc->lost && store_is_up(server.store));
	len = evbuffer_get_length(out);
	http_reply_raw(sc->r, 200, METRICS_CONTENT_TYPE, evbuffer_pullup(out, -1), len);
	evbuffer_free(out);
	free(sc->m);
	free(sc);
}

/* Owned by the store: reply dies after return.  NULL: Redis went away or
 * did not answer in time. */
static void scrape_on_reply(const redisReply *reply, void *arg)
{
	struct scrape_slot *slot = arg;
	struct scrape *sc = slot->sc;
	const struct event_def *ev = &sc->r->events->set.events[slot->index];
	cJSON *raw = NULL;

	if (!store_reply_unavailable(reply) && reply->type == REDIS_REPLY_STRING &&
	    (raw = cJSON_ParseWithLength(reply->str, reply->len)) != NULL) {
		if (metrics_event_from_stats(ev, raw, &sc->m[slot->index]) == -1)
			log_warnx("metrics: unexpected stats for %s", ev->id);
	} else if (reply == NULL)
		sc->lost = 1;
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("metrics: stats script for %s failed: %s", ev->id, reply->str);
	cJSON_Delete(raw);
	free(slot);
	if (--sc->waiting == 0)
		scrape_done(sc);
}

static void metrics_get(struct req *r)
{
	const struct event_set *set = &r->events->set;
	struct scrape *sc = calloc(1, sizeof *sc);

	if (sc == NULL || (set->n > 0 && (sc->m = calloc((size_t)set->n, sizeof *sc->m)) == NULL))
		fatal("calloc");
	sc->r = r;
	sc->waiting = 1;             /* held until every script is sent */
	for (int i = 0; i < set->n && store_is_up(server.store); i++) {
		const struct event_def *ev = &set->events[i];
		const char *args[2 + EVENT_MAX_SERVICES];
		char prefix[STORE_KEY_MAX];
		const char *keys[1] = { prefix };
		struct scrape_slot *slot = malloc(sizeof *slot);
		int n = 0;
		if (slot == NULL)
			fatal("malloc");
		slot->sc = sc;
		slot->index = i;
		/* the stats script's ARGV: ctx, day ("" for today), the services */
		args[n++] = ev->script_ctx;
		args[n++] = "";
		for (int s = 0; s < ev->nservices; s++)
			args[n++] = ev->services[s].id;
		store_key(prefix, sizeof prefix, ev->id, "");
		if (store_eval(server.store, store_script_get("stats"), 1, keys, n, args,
		    NULL, scrape_on_reply, slot) == 0)
			sc->waiting++;
		else {
			free(slot);
			break;               /* Redis is down: no event will answer */
		}
	}
	if (--sc->waiting == 0)
		scrape_done(sc);
}

const struct route route_metrics = { "GET", "/metrics", ROLES_PUBLIC, metrics_get,
	"metrics", 0 };
