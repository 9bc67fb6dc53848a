/*
 * stats.h: the organisers' figures for one event day, computed from what
 * the stats script returns: the day's counters (kept by the same scripts
 * that change the tickets), who waits, and the stations' state.
 *
 * The counters are fields of one Redis hash per event day:
 *   a|STAGE|MIN        arrivals at a stage's queue in that event-local minute
 *   c|STATION|MIN      calls (from waiting) at a station
 *   d|STATION|MIN      completions "done";  r|… refused;  x|… deferred
 *   n|STATION          no-shows (skips)
 *   ws|STATION         sum of waits (queued to called), ms, over its calls
 *   ss|STATION, sn|STATION   sum of service times (start, or else call, to
 *                      completion), ms, and their count
 *   wh|STAGE|B         waits in histogram bucket B (upper bounds 1, 2, 5, 10,
 *                      15, 20, 30, 45, 60, 90, 120, 180 minutes, then more)
 *   dm|MIN             doses;  ds|SERVICE, dp|PRIORITY, da|AREA by kind
 *   ip|PRIORITY        tickets issued by priority
 */
#ifndef ANTRE_STATS_H
#define ANTRE_STATS_H

#include <stddef.h>

#include "event.h"

struct cJSON;

/* The full figures (GET /v1/events/{ev}/stats); the caller owns the result. */
struct cJSON *stats_compute(const struct event_def *ev, const struct cJSON *raw,
    int idle_minutes);

/* One event's line in the region roll-up, from stats_compute's result. */
struct cJSON *stats_summary(const struct event_def *ev, const struct cJSON *computed);

/* Splits a counter's field "kind|name" or "kind|name|rest" into kind and
 * name; *rest points at rest, or at "".  0, or -1 when a part is too long. */
int stats_split_field(const char *f, char *kind, size_t ksize, char *name, size_t nsize,
    const char **rest);

/* Percentile q (0..1) in seconds of a wait histogram with the buckets
 * above (13 counts, the last open-ended); -1 when it is empty. */
int stats_percentile(const long long counts[13], double q);

#endif
