/*
 * stats_render.h: one event's figures (struct stats, decoded from GET
 * /v1/events/{ev}/stats) laid out for an 80-column terminal in Bahasa
 * Indonesia, as the web dashboard shows them: doses against the target,
 * the forecast, the stages with their desks, the bottleneck and its
 * advice, idle desks, areas, services and priorities, the quarter hours.
 */
#ifndef ANTRE_STATS_RENDER_H
#define ANTRE_STATS_RENDER_H

#include <stdio.h>

#include "protocol.h"

struct cJSON;

/* What the event's definition (GET /v1/events/{ev}) adds: names of the
 * event, services, priorities and timed waits, the hours; all optional. */
struct stats_info {
	const struct cJSON *ev;      /* {"id", "name", "timezone", "hours", …} or NULL */
	int open_min, close_min;     /* -1 when unknown */
};

/* The whole report of s to out; times on the clock `off` s from UTC. */
void stats_render(FILE *out, const struct stats *s, const struct stats_info *in, int off);

#endif
