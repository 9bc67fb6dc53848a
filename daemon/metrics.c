/* metrics.c: the daemon's request counters and the Prometheus text format. */
#include "metrics.h"
#include "stats.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>

#include "log.h"

/* ---- this daemon's requests ------------------------------------------- */

struct http_count {
	const char *route;               /* a route row's name, or "none" */
	int status;
	unsigned long long n;
};

/* Kept sorted by route, then status, so the exposition is stable. */
static struct http_count *counts;
static size_t ncounts, counts_cap;

#define NDURATIONS 10
static const int64_t duration_max_us[NDURATIONS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000
};
static const char *const duration_le[NDURATIONS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1"
};
static unsigned long long durations[NDURATIONS + 1];  /* per bucket, last open */
static unsigned long long durations_n;
static int64_t durations_sum_us;

static int count_cmp(const char *route, int status, const struct http_count *c)
{
	int d = strcmp(route, c->route);

	return d ? d : (status > c->status) - (status < c->status);
}

void metrics_http_observe(const char *route, int status, int64_t elapsed_us)
{
	size_t lo = 0, hi = ncounts;
	int i;

	if (route == NULL)
		route = "none";
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = count_cmp(route, status, &counts[mid]);
		if (d == 0) {
			lo = mid;
			goto found;
		}
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (ncounts == counts_cap) {
		size_t cap = counts_cap ? counts_cap * 2 : 32;
		struct http_count *c = realloc(counts, cap * sizeof *c);
		if (c == NULL)
			/* OOM only: one entry per route row (fixed at build, an
			 * unmatched path counts as "none") and status antred sends */
			fatal("realloc");
		counts = c;
		counts_cap = cap;
	}
	memmove(&counts[lo + 1], &counts[lo], (ncounts - lo) * sizeof *counts);
	counts[lo] = (struct http_count){ route, status, 0 };
	ncounts++;
found:
	counts[lo].n++;

	if (elapsed_us < 0)              /* the wall clock stepped back */
		elapsed_us = 0;
	for (i = 0; i < NDURATIONS && elapsed_us > duration_max_us[i]; i++)
		;
	durations[i]++;
	durations_n++;
	durations_sum_us += elapsed_us;
}

void metrics_free(void)
{
	free(counts);
	counts = NULL;
	ncounts = counts_cap = 0;
}

/* ---- an event's figures from the stats script ------------------------- */

int metrics_event_from_stats(const struct event_def *ev, const cJSON *raw,
    struct metrics_event *m)
{
	struct stats_counters *c = malloc(sizeof *c);
	int rc;

	if (c == NULL)
		fatal("malloc");
	memset(m, 0, sizeof *m);
	if ((rc = stats_counters_read(ev, raw, c)) == 0) {
		m->ok = 1;
		m->issued = c->issued;
		memcpy(m->sg, c->sg, sizeof m->sg);
	}
	stats_counters_free(c);
	free(c);
	return rc;
}

/* ---- the text format -------------------------------------------------- */

static void put(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, s, strlen(s));
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void put_value(struct evbuffer *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			evbuffer_add(out, "\\\\", 2);
		else if (*v == '"')
			evbuffer_add(out, "\\\"", 2);
		else if (*v == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, v, 1);
	}
}

/* `v / 10^digits` written exactly, as a decimal. */
static void put_fixed(struct evbuffer *out, long long v, int digits)
{
	long long scale = 1;

	for (int i = 0; i < digits; i++)
		scale *= 10;
	evbuffer_add_printf(out, "%s%lld.%0*lld", v < 0 ? "-" : "",
	    llabs(v) / scale, digits, llabs(v) % scale);
}

static void family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `name{event="…"` (the caller adds the other labels and closes). */
static void sample_event(struct evbuffer *out, const char *name, const char *event)
{
	evbuffer_add_printf(out, "%s{event=\"", name);
	put_value(out, event);
	put(out, "\"");
}

/* `name{event="…",stage="…"` */
static void sample_stage(struct evbuffer *out, const char *name, const char *event,
    const char *stage)
{
	sample_event(out, name, event);
	put(out, ",stage=\"");
	put_value(out, stage);
	put(out, "\"");
}

static void write_daemon(struct evbuffer *out, const struct metrics_gauges *g)
{
	unsigned long long cum = 0;

	family(out, "antre_redis_up", "gauge",
	    "1 when this daemon's connection to Redis is up and answering, else 0.");
	evbuffer_add_printf(out, "antre_redis_up %d\n", g->redis_up ? 1 : 0);
	family(out, "antre_http_connections", "gauge",
	    "Open HTTP connections to this daemon, streams included.");
	evbuffer_add_printf(out, "antre_http_connections %d\n", g->connections);
	family(out, "antre_sse_subscribers", "gauge",
	    "Open live streams (Server-Sent Events) of this daemon.");
	evbuffer_add_printf(out, "antre_sse_subscribers %d\n", g->sse_subscribers);

	family(out, "antre_http_requests_total", "counter",
	    "HTTP requests answered by this daemon since it started, by route and "
	    "status code (route \"none\": no route matched).");
	for (size_t i = 0; i < ncounts; i++) {
		put(out, "antre_http_requests_total{route=\"");
		put_value(out, counts[i].route);
		evbuffer_add_printf(out, "\",code=\"%d\"} %llu\n", counts[i].status, counts[i].n);
	}

	family(out, "antre_http_request_duration_seconds", "histogram",
	    "Time from receiving a request to sending its reply, this daemon since "
	    "it started (streams not included).");
	for (int i = 0; i < NDURATIONS; i++) {
		cum += durations[i];
		evbuffer_add_printf(out, "antre_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
		    duration_le[i], cum);
	}
	evbuffer_add_printf(out, "antre_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    durations_n);
	put(out, "antre_http_request_duration_seconds_sum ");
	put_fixed(out, durations_sum_us, 6);
	evbuffer_add_printf(out, "\nantre_http_request_duration_seconds_count %llu\n",
	    durations_n);
}

/* Writes one stage's samples of a family: ev and st are the event's and
 * the stage's ids, arg what each_stage was given. */
typedef void stage_writer(struct evbuffer *out, const char *ev, const char *st,
    const struct stats_stage_counts *sg, const void *arg);

/* w for every stage of every event that came back. */
static void each_stage(struct evbuffer *out, const struct event_set *set,
    const struct metrics_event *m, stage_writer *w, const void *arg)
{
	for (int e = 0; e < set->n; e++)
		for (int s = 0; m[e].ok && s < set->events[e].nstages; s++)
			w(out, set->events[e].id, set->events[e].stages[s].id, &m[e].sg[s], arg);
}

/* A count of struct stats_stage_counts; arg is its struct stage_count. */
struct stage_count {
	const char *name;
	size_t offset;
};

static void write_count(struct evbuffer *out, const char *ev, const char *st,
    const struct stats_stage_counts *sg, const void *arg)
{
	const struct stage_count *c = arg;

	sample_stage(out, c->name, ev, st);
	evbuffer_add_printf(out, "} %lld\n", *(const long long *)((const char *)sg + c->offset));
}

static void write_outcomes(struct evbuffer *out, const char *ev, const char *st,
    const struct stats_stage_counts *sg, const void *arg)
{
	static const char *const outcomes[] = { "done", "deferred", "refused" };
	const long long v[] = { sg->w.done, sg->w.deferred, sg->w.refused };

	(void)arg;
	for (int o = 0; o < 3; o++) {
		sample_stage(out, "antre_completions_total", ev, st);
		evbuffer_add_printf(out, ",outcome=\"%s\"} %lld\n", outcomes[o], v[o]);
	}
}

/* Buckets cumulative, with the bounds in seconds; the sum to the ms. */
static void write_histogram(struct evbuffer *out, const char *ev, const char *st,
    const struct stats_stage_counts *sg, const void *arg)
{
	long long cum = 0;

	(void)arg;
	for (int b = 0; b < PROTO_WAIT_BUCKETS; b++) {
		cum += sg->hist[b];
		sample_stage(out, "antre_wait_seconds_bucket", ev, st);
		if (b < PROTO_WAIT_BUCKETS - 1)
			evbuffer_add_printf(out, ",le=\"%d\"} %lld\n",
			    proto_wait_bucket_max_min[b] * 60, cum);
		else
			evbuffer_add_printf(out, ",le=\"+Inf\"} %lld\n", cum);
	}
	sample_stage(out, "antre_wait_seconds_sum", ev, st);
	put(out, "} ");
	put_fixed(out, sg->w.wait_ms, 3);
	put(out, "\n");
	sample_stage(out, "antre_wait_seconds_count", ev, st);
	evbuffer_add_printf(out, "} %lld\n", cum);
}

static const struct stage_count calls_count = {
	"antre_calls_total", offsetof(struct stats_stage_counts, w.calls) };
static const struct stage_count waiting_count = {
	"antre_waiting", offsetof(struct stats_stage_counts, waiting) };

/* The families with a sample (or several) per stage, in exposition order. */
static const struct {
	const char *name, *type, *help;
	stage_writer *write;
	const void *arg;
} stage_families[] = {
	{ "antre_calls_total", "counter", "Calls from a stage's queue today (recalls and "
	  "skipped tickets called back not counted); resets at the event-local day boundary.",
	  write_count, &calls_count },
	{ "antre_completions_total", "counter", "Completions at a stage today by outcome; "
	  "resets at the event-local day boundary.", write_outcomes, NULL },
	{ "antre_waiting", "gauge", "Tickets in a stage's queue now (timed waits included).",
	  write_count, &waiting_count },
	{ "antre_wait_seconds", "histogram", "Waits today from entering a stage's queue to "
	  "being called; resets at the event-local day boundary.", write_histogram, NULL },
};

static void write_events(struct evbuffer *out, const struct event_set *set,
    const struct metrics_event *m)
{
	int any = 0;

	for (int e = 0; e < set->n; e++)
		any |= m[e].ok;
	if (!any)
		return;
	family(out, "antre_tickets_issued_total", "counter",
	    "Tickets issued today; resets at the event-local day boundary (midnight).");
	for (int e = 0; e < set->n; e++)
		if (m[e].ok) {
			sample_event(out, "antre_tickets_issued_total", set->events[e].id);
			evbuffer_add_printf(out, "} %lld\n", m[e].issued);
		}
	for (size_t i = 0; i < sizeof stage_families / sizeof stage_families[0]; i++) {
		family(out, stage_families[i].name, stage_families[i].type,
		    stage_families[i].help);
		each_stage(out, set, m, stage_families[i].write, stage_families[i].arg);
	}
}

void metrics_write(struct evbuffer *out, const struct metrics_gauges *g,
    const struct event_set *set, const struct metrics_event *m)
{
	write_daemon(out, g);
	if (m != NULL)
		write_events(out, set, m);
}
