/*
 * metrics.h: GET /metrics in the Prometheus text exposition format (0.0.4).
 *
 * Two kinds of figures.  This daemon's own, kept here since it started:
 * HTTP requests by route and status and their durations.  And each event's
 * figures for today, read from the counters the queue's scripts keep in
 * Redis (the stats script), so that every daemon of a deployment exposes
 * the same per-event values and they reset at the event-local midnight.
 *
 * route_metrics.c gathers the events' figures (one script per event) and
 * the daemon's gauges, and has the whole text written by metrics_write once
 * all are back.
 */
#ifndef ANTRE_METRICS_H
#define ANTRE_METRICS_H

#include <stdint.h>

#include "event.h"
#include "protocol.h"
#include "stats.h"

struct cJSON;
struct evbuffer;

/* One event's figures of the day, as stats.c reads them from the stats
 * script's counters; ok is 0 when they did not come back. */
struct metrics_event {
	int ok;
	long long issued;
	struct stats_stage_counts sg[PROTO_MAX_STAGES];
};

/* Counts one answered request: route is the route table's name, NULL when
 * no route matched (404, 405); elapsed_us from receipt to the reply.  The
 * name is kept by pointer: it must live as long as the daemon (route rows). */
void metrics_http_observe(const char *route, int status, int64_t elapsed_us);

/* Fills *m from the stats script's result for ev (the raw JSON, borrowed,
 * read by stats_counters_read); 0, or -1 when it is not the script's
 * object (m->ok is then 0). */
int metrics_event_from_stats(const struct event_def *ev, const struct cJSON *raw,
    struct metrics_event *m);

/* The daemon's gauges at the time of a scrape, gathered by its caller. */
struct metrics_gauges {
	int redis_up;                        /* its Redis connection up and answering */
	int connections;                     /* open HTTP connections, streams included */
	int sse_subscribers;                 /* open live streams */
};

/*
 * Appends the whole exposition to out: the daemon's families (gauges g),
 * then for every event of set whose m[i].ok is set, its families (none at
 * all when no event's figures are there, as while Redis is down).  m has
 * set->n entries and may be NULL when set->n is 0 or none came back.
 */
void metrics_write(struct evbuffer *out, const struct metrics_gauges *g,
    const struct event_set *set, const struct metrics_event *m);

/* Frees the request counters (at shutdown; optional, they stay reachable). */
void metrics_free(void);

#endif
