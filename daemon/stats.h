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
 *   wh|STAGE|B         waits in histogram bucket B, 1 .. PROTO_WAIT_BUCKETS
 *                      (bounds: proto_wait_bucket_max_min, protocol.h)
 *   dm|MIN             doses;  ds|SERVICE, dp|PRIORITY, da|AREA by kind
 *   ip|PRIORITY        tickets issued by priority
 *   hd|STAGE|MIN       timed waits finished (the sweep moves them on)
 * beside it, per stage, the list waits:DAY:STAGE (every wait, ms, for exact
 * percentiles) and the earlier days' arrivals (stats.lua: waits, prev).
 *
 * Two steps: stats_counters_read reads the script's raw result once into
 * struct stats_counters (metrics.c reads the same), and stats_figures
 * computes each figure of struct stats (protocol.h) from them.
 */
#ifndef ANTRE_STATS_H
#define ANTRE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "protocol.h"

struct cJSON;

/* What a station did today, or a stage's stations together. */
struct stats_work_counts {
	long long calls, done, refused, deferred, no_show;
	long long done15, done60;        /* completions done in the last 15 / 60 min */
	long long wait_ms, serv_ms, serv_n;
};

struct stats_station_counts {
	char id[PROTO_STATION_MAX];
	int stage;                       /* index in the event's stages */
	int open, holding;               /* not paused; holding a ticket */
	struct stats_work_counts w;
	int64_t last_call;               /* ms, 0 = never */
};

/* One stage's: its own counters, and the sums over its stations. */
struct stats_stage_counts {
	long long waiting, arrivals60, arrivals;  /* arrivals: the day's */
	long long held, held15, held60;  /* timed waits finished (sweep: hd|STAGE|MIN) */
	long long waits_n, p50_s, p90_s; /* the day's waits, exact (-1: none listed) */
	long long expired;               /* e|STAGE: left unfinished when the day ended */
	long long hist[PROTO_WAIT_BUCKETS];
	int open, active;                /* stations not paused; that did any in 60 min */
	struct stats_work_counts w;
};

/* Doses by area: "-" for none, as the scripts write it. */
struct stats_area_count {
	char area[PROTO_AREA_MAX];
	long long doses;
};

struct stats_counters {
	int64_t now;                     /* the script's clock, ms */
	int minute;                      /* event-local minute of the day */
	char day[9];                     /* YYYYMMDD */
	long long issued, doses, doses30, doses60;
	long long service_issued[EVENT_MAX_SERVICES], service_doses[EVENT_MAX_SERVICES];
	long long priority_issued[EVENT_PRIORITIES_MAX];
	long long priority_doses[EVENT_PRIORITIES_MAX];
	long long quarters[PROTO_MAX_QUARTERS]; /* doses per quarter hour */
	long long first_arrivals[24 * 60]; /* at the first stage, by minute */
	long long prev[24];              /* earlier days' first-stage arrivals by hour */
	int prev_days;                   /* how many earlier days had any */
	int nstations;                   /* the event's, grouped by stage */
	struct stats_station_counts st[PROTO_MAX_STATIONS];
	struct stats_stage_counts sg[PROTO_MAX_STAGES];
	int nareas, areas_cap;
	struct stats_area_count *areas;  /* allocated, in the hash's order */
};

/*
 * Reads the stats script's result raw (borrowed) for ev into *c, counters
 * not there being 0.  0, or -1 when raw is not the script's object (*c then
 * holds what there was).  Release c with stats_counters_free either way.
 */
int stats_counters_read(const struct event_def *ev, const struct cJSON *raw,
    struct stats_counters *c);
void stats_counters_free(struct stats_counters *c);

/* Every figure of *s (zeroed here) from the counters; release s with
 * proto_stats_free.  0, or -1 when out of memory. */
int stats_figures(const struct event_def *ev, const struct stats_counters *c,
    int idle_minutes, struct stats *s);

/* Both steps: the figures from the script's raw result.  0 or -1 (OOM). */
int stats_read(const struct event_def *ev, const struct cJSON *raw, int idle_minutes,
    struct stats *s);

/* The full figures as JSON (GET /v1/events/{ev}/stats, the stats event of
 * a stream); the caller owns the result, NULL when out of memory. */
struct cJSON *stats_compute(const struct event_def *ev, const struct cJSON *raw,
    int idle_minutes);

/* One event's line in the region roll-up. */
struct cJSON *stats_summary(const struct event_def *ev, const struct stats *s);

/* The models (stats_model.c, stats_advice.c; PROTOCOL.md documents them). */
double stats_hours_left(const struct event_def *ev, const struct stats_counters *c);
double stats_pass(const struct event_def *ev, const struct stats_counters *c, int from);
long long stats_in_building(const struct event_def *ev, const struct stats_counters *c);
double stats_desk_rate(const struct stats_counters *c, int si);
double stats_arrivals_expected(const struct event_def *ev, const struct stats_counters *c,
    double *sd);
void stats_forecast_fill(const struct event_def *ev, const struct stats_counters *c,
    struct stats_forecast *f);
void stats_advice_fill(const struct event_def *ev, const struct stats_counters *c,
    int idle_minutes, struct stats *s);
long long stats_chairs(const struct event_def *ev, const struct stats_counters *c, int si);

/* Percentile q (0..1) in seconds of a wait histogram (the last bucket open
 * ended), interpolated within its bucket; -1 when it is empty. */
int stats_percentile(const long long counts[PROTO_WAIT_BUCKETS], double q);

#endif
