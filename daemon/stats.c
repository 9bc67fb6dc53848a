/*
 * stats.c: the organisers' figures (stats.h): each figure of struct stats
 * computed from the day's counters (stats_counters.c reads them) in its
 * own function: today, stages and their stations, idle desks, areas, and
 * doses per quarter hour; the forecast (stats_model.c) and the bottleneck
 * with its advice (stats_advice.c) from their models.
 */
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int stats_percentile(const long long counts[PROTO_WAIT_BUCKETS], double q)
{
	const int *max_min = proto_wait_bucket_max_min;
	long long total = 0, seen = 0;

	for (int i = 0; i < PROTO_WAIT_BUCKETS; i++)
		total += counts[i];
	if (total == 0)
		return -1;
	for (int i = 0; i < PROTO_WAIT_BUCKETS; i++) {
		double lo = i ? max_min[i - 1] * 60.0 : 0;
		double hi = i < PROTO_WAIT_BUCKETS - 1 ? max_min[i] * 60.0 : lo;
		if (counts[i] > 0 && seen + counts[i] >= q * (double)total) {
			/* linear within the bucket: the histogram's best guess */
			double frac = (q * (double)total - (double)seen) / (double)counts[i];
			return (int)lround(lo + (hi - lo) * frac);
		}
		seen += counts[i];
	}
	return (int)lround(max_min[PROTO_WAIT_BUCKETS - 2] * 60.0);
}

/* Seconds on average, -1 (null) when there is nothing to average. */
static long long avg_s(long long sum_ms, long long n)
{
	return n > 0 ? llround((double)sum_ms / (double)n / 1000.0) : -1;
}

static void fill_today(const struct event_def *ev, const struct stats_counters *c,
    struct stats_today *t)
{
	t->doses = c->doses;
	t->issued = c->issued;
	for (int i = 0; i < ev->nstages; i++) {
		t->waiting += c->sg[i].waiting;
		t->expired += c->sg[i].expired;
	}
	for (int i = 0; i < c->nstations; i++) {
		t->deferred += c->st[i].w.deferred;
		t->refused += c->st[i].w.refused;
		t->no_show += c->st[i].w.no_show;
	}
	t->nservices = ev->nservices;
	for (int i = 0; i < ev->nservices; i++) {
		snprintf(t->by_service[i].id, sizeof t->by_service[i].id, "%s", ev->services[i].id);
		t->by_service[i].issued = c->service_issued[i];
		t->by_service[i].doses = c->service_doses[i];
	}
	t->npriorities = ev->npriorities;
	for (int i = 0; i < ev->npriorities; i++) {
		snprintf(t->by_priority[i].id, sizeof t->by_priority[i].id, "%s", ev->priorities[i]);
		t->by_priority[i].issued = c->priority_issued[i];
		t->by_priority[i].doses = c->priority_doses[i];
	}
}

/* The figures a station and a stage have alike. */
static void fill_work(const struct stats_work_counts *w, struct stats_work *o)
{
	o->served = w->done;
	o->calls = w->calls;
	o->avg_wait_s = avg_s(w->wait_ms, w->calls);
	o->avg_service_s = avg_s(w->serv_ms, w->serv_n);
	o->throughput.last_15 = w->done15 * 4;
	o->throughput.last_60 = w->done60;
	o->deferred = w->deferred;
	o->refused = w->refused;
	o->no_show = w->no_show;
}

static void fill_station(const struct stats_station_counts *st, struct stats_station *o)
{
	snprintf(o->id, sizeof o->id, "%s", st->id);
	o->stage = st->stage;
	o->state = st->open ? STATION_OPEN : STATION_PAUSED;
	fill_work(&st->w, &o->work);
	o->last_call_at = st->last_call > 0 ? st->last_call : 0;
}

/* What a stage's open stations complete in an hour, at the rate of those
 * that completed anything in the last hour; -1 while none did. */
static double capacity(const struct stats_stage_counts *sg)
{
	return sg->active > 0 ? (double)sg->w.done60 / sg->active * sg->open : -1;
}

static void fill_stage(const struct event_def *ev, const struct stats_counters *c,
    int si, struct stats_stage *o)
{
	const struct stats_stage_counts *sg = &c->sg[si];
	/* exact from the day's waits; the histogram for a day kept without them */
	long long p50 = sg->waits_n > 0 ? sg->p50_s : stats_percentile(sg->hist, 0.5);
	long long p90 = sg->waits_n > 0 ? sg->p90_s : stats_percentile(sg->hist, 0.9);
	double cap = capacity(sg);

	snprintf(o->id, sizeof o->id, "%s", ev->stages[si].id);
	snprintf(o->name, sizeof o->name, "%s", ev->stages[si].name);
	o->waiting = sg->waiting;
	o->expired = sg->expired;
	fill_work(&sg->w, &o->work);
	o->p50_wait_s = p50;
	o->p90_wait_s = p50 >= 0 ? p90 : -1;
	o->arrivals_per_hour = sg->arrivals60;
	o->stations_open = sg->open;
	o->capacity_per_hour = cap >= 0 ? round(cap * 10) / 10 : -1;
	o->chairs_needed = stats_chairs(ev, c, si);
}

/* Open stations holding nobody, with people waiting, no call for long;
 * not at a timed wait, where nobody needs calling. */
static void fill_idle(const struct event_def *ev, const struct stats_counters *c,
    int idle_minutes, struct stats *s)
{
	for (int i = 0; i < c->nstations; i++) {
		const struct stats_station_counts *st = &c->st[i];
		long long waiting = c->sg[st->stage].waiting;
		double since = st->last_call > 0 ? (double)(c->now - st->last_call) : -1;
		struct stats_idle *d = &s->idle[s->nidle];
		if (!st->open || st->holding || waiting <= 0 || ev->stages[st->stage].hold_ms != 0 ||
		    !(since < 0 || since >= idle_minutes * 60000.0))
			continue;
		snprintf(d->station, sizeof d->station, "%s", st->id);
		snprintf(d->stage, sizeof d->stage, "%s", ev->stages[st->stage].id);
		d->idle_s = since >= 0 ? (long long)floor(since / 1000) : -1;
		d->waiting = waiting;
		s->nidle++;
	}
}

static int area_cmp(const void *x, const void *y)
{
	const struct stats_area_count *a = x, *b = y;

	if (a->doses != b->doses)
		return a->doses < b->doses ? 1 : -1;
	return strcmp(a->area, b->area);
}

/* Doses by area, most first (then by name, for a stable order), at most
 * PROTO_MAX_AREAS of them. */
static int fill_areas(const struct stats_counters *c, struct stats *s)
{
	struct stats_area_count *sorted;
	int n = c->nareas;

	if (n == 0)
		return 0;
	if ((sorted = malloc((size_t)n * sizeof *sorted)) == NULL)
		return -1;
	memcpy(sorted, c->areas, (size_t)n * sizeof *sorted);
	qsort(sorted, (size_t)n, sizeof *sorted, area_cmp);
	n = n < PROTO_MAX_AREAS ? n : PROTO_MAX_AREAS;
	if ((s->areas = calloc((size_t)n, sizeof *s->areas)) == NULL) {
		free(sorted);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		/* "-" is how the scripts count doses without an area: null */
		if (strcmp(sorted[i].area, "-") != 0)
			snprintf(s->areas[i].area, sizeof s->areas[i].area, "%s", sorted[i].area);
		s->areas[i].doses = sorted[i].doses;
	}
	s->nareas = n;
	free(sorted);
	return 0;
}

/* Doses per quarter hour, from opening to now (or closing). */
static void fill_series(const struct event_def *ev, const struct stats_counters *c,
    struct stats *s)
{
	int first = ev->open_min / 15;
	int last = (c->minute < ev->close_min ? c->minute : ev->close_min - 1) / 15;
	double now = (double)c->now;
	double midnight = now - (double)c->minute * 60000.0 - fmod(now, 60000.0);

	for (int q = first; q <= last && q < PROTO_MAX_QUARTERS; q++) {
		s->series[s->nseries].start = (int64_t)(midnight + q * 15 * 60000.0);
		s->series[s->nseries++].doses = c->quarters[q];
	}
}

int stats_figures(const struct event_def *ev, const struct stats_counters *c,
    int idle_minutes, struct stats *s)
{
	memset(s, 0, sizeof *s);
	snprintf(s->event, sizeof s->event, "%s", ev->id);
	s->at = c->now > 0 ? c->now : 0;
	snprintf(s->day, sizeof s->day, "%.4s-%.2s-%.2s", c->day,
	    c->day + strnlen(c->day, 4), c->day + strnlen(c->day, 6));
	fill_today(ev, c, &s->today);
	s->target = ev->daily_target;
	stats_forecast_fill(ev, c, &s->forecast);
	s->nstages = ev->nstages;
	for (int si = 0; si < ev->nstages; si++)
		fill_stage(ev, c, si, &s->stages[si]);
	s->nstations = c->nstations;
	for (int i = 0; i < c->nstations; i++)
		fill_station(&c->st[i], &s->stations[i]);
	stats_advice_fill(ev, c, idle_minutes, s);
	fill_idle(ev, c, idle_minutes, s);
	fill_series(ev, c, s);
	return fill_areas(c, s);
}

int stats_read(const struct event_def *ev, const cJSON *raw, int idle_minutes,
    struct stats *s)
{
	struct stats_counters *c = malloc(sizeof *c);
	int rc;

	if (c == NULL) {
		memset(s, 0, sizeof *s);
		return -1;
	}
	stats_counters_read(ev, raw, c);     /* what is not there counts 0 */
	rc = stats_figures(ev, c, idle_minutes, s);
	stats_counters_free(c);
	free(c);
	return rc;
}

cJSON *stats_compute(const struct event_def *ev, const cJSON *raw, int idle_minutes)
{
	struct stats *s = malloc(sizeof *s);
	cJSON *o = NULL;

	if (s != NULL && stats_read(ev, raw, idle_minutes, s) == 0)
		o = proto_stats_encode(s, ev->utc_offset_s);
	if (s != NULL)
		proto_stats_free(s);
	free(s);
	return o;
}

cJSON *stats_summary(const struct event_def *ev, const struct stats *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "event", ev->id);
	cJSON_AddStringToObject(o, "name", ev->name);
	cJSON_AddNumberToObject(o, "doses", (double)s->today.doses);
	cJSON_AddNumberToObject(o, "issued", (double)s->today.issued);
	cJSON_AddNumberToObject(o, "waiting", (double)s->today.waiting);
	cJSON_AddNumberToObject(o, "target", ev->daily_target);
	cJSON_AddNumberToObject(o, "expected_at_close", (double)s->forecast.expected_at_close);
	cJSON_AddNumberToObject(o, "margin", (double)s->forecast.margin);
	return o;
}
