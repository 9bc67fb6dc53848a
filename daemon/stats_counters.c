/*
 * stats_counters.c: the stats script's raw result read once into struct
 * stats_counters (stats.h), for the figures (stats.c) and /metrics.
 */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"

/* A number member, 0 when absent (counters not yet written are zero). */
static double num(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int station_index(const struct stats_counters *c, const char *id)
{
	for (int i = 0; id && i < c->nstations; i++)
		if (strcmp(c->st[i].id, id) == 0)
			return i;
	return -1;
}

/* 1 when minute m is one of the `span` minutes up to and including now. */
static int within(int m, int now, int span)
{
	return m <= now && m > now - span;
}

/* Splits "kind|name" or "kind|name|rest"; 0, or -1 when a part is too long. */
static int split_field(const char *f, char *kind, size_t ksize, char *name, size_t nsize,
    const char **rest)
{
	const char *p = strchr(f, '|'), *q;

	if (p == NULL || (size_t)(p - f) >= ksize)
		return -1;
	memcpy(kind, f, (size_t)(p - f));
	kind[p - f] = '\0';
	p++;
	if ((q = strchr(p, '|')) != NULL)
		*rest = q + 1;
	else {
		q = p + strlen(p);
		*rest = q;
	}
	if ((size_t)(q - p) >= nsize)
		return -1;
	memcpy(name, p, (size_t)(q - p));
	name[q - p] = '\0';
	return 0;
}

/* The event's stations, all open until the script says otherwise. */
static void stations_init(const struct event_def *ev, struct stats_counters *c)
{
	for (int i = 0; i < ev->nstages; i++)
		for (int n = 1; n <= ev->stages[i].stations && c->nstations < PROTO_MAX_STATIONS; n++) {
			struct stats_station_counts *st = &c->st[c->nstations];
			int w = snprintf(st->id, sizeof st->id, "%s-%d", ev->stages[i].id, n);
			/* never true: event.c bounds stage ids and station counts */
			if (w < 0 || (size_t)w >= sizeof st->id)
				continue;
			c->nstations++;
			st->stage = i;
			st->open = 1;
		}
}

/* Who holds a ticket, who is paused, and the last call of each station. */
static void stations_read(const cJSON *raw, struct stats_counters *c)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, member(raw, "stations")) {
		int i = station_index(c, cJSON_GetStringValue(member(s, "id")));
		const char *state = cJSON_GetStringValue(member(s, "state"));
		const char *ticket = cJSON_GetStringValue(member(s, "ticket"));
		if (i < 0)
			continue;
		c->st[i].open = !(state && strcmp(state, "paused") == 0);
		c->st[i].holding = ticket && *ticket;
		c->st[i].last_call = (int64_t)num(s, "last_call");
	}
}

static int area_add(struct stats_counters *c, const char *area, long long v)
{
	if (strlen(area) >= sizeof c->areas[0].area)
		return 0;            /* never: route_tickets.c bounds an area */
	if (c->nareas == c->areas_cap) {
		int cap = c->areas_cap ? 2 * c->areas_cap : 64;
		struct stats_area_count *grown = realloc(c->areas, (size_t)cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		c->areas = grown;
		c->areas_cap = cap;
	}
	strcpy(c->areas[c->nareas].area, area);
	c->areas[c->nareas++].doses = v;
	return 0;
}

/* A station's counter: kind → member of struct stats_station_counts. */
static const struct {
	const char *kind;
	size_t offset;
} station_kinds[] = {
	{ "c", offsetof(struct stats_work_counts, calls) },
	{ "d", offsetof(struct stats_work_counts, done) },
	{ "r", offsetof(struct stats_work_counts, refused) },
	{ "x", offsetof(struct stats_work_counts, deferred) },
	{ "n", offsetof(struct stats_work_counts, no_show) },
	{ "ws", offsetof(struct stats_work_counts, wait_ms) },
	{ "ss", offsetof(struct stats_work_counts, serv_ms) },
	{ "sn", offsetof(struct stats_work_counts, serv_n) },
};

static void station_count(struct stats_work_counts *w, const char *kind, int m,
    int now, long long v)
{
	for (size_t k = 0; k < sizeof station_kinds / sizeof station_kinds[0]; k++)
		if (strcmp(kind, station_kinds[k].kind) == 0)
			*(long long *)((char *)w + station_kinds[k].offset) += v;
	if (strcmp(kind, "d") == 0) {
		w->done15 += within(m, now, 15) ? v : 0;
		w->done60 += within(m, now, 60) ? v : 0;
	}
}

/* An arrival (a) or a finished timed wait (hd) at stage i in minute m. */
static void stage_count(struct stats_counters *c, int i, int arrival, int m, long long v)
{
	struct stats_stage_counts *sg = &c->sg[i];

	if (!arrival) {
		sg->held += v;
		sg->held15 += within(m, c->minute, 15) ? v : 0;
		sg->held60 += within(m, c->minute, 60) ? v : 0;
		return;
	}
	sg->arrivals += v;
	sg->arrivals60 += within(m, c->minute, 60) ? v : 0;
	if (i == 0 && m >= 0 && m < 24 * 60)
		c->first_arrivals[m] += v;
}

/* One field of the day's hash; 0, or -1 when out of memory. */
static int field_count(const struct event_def *ev, struct stats_counters *c,
    const cJSON *f)
{
	char kind[8], name[PROTO_AREA_MAX + 8];
	const char *rest;
	long long v = (long long)f->valuedouble;
	int i, m;

	if (split_field(f->string, kind, sizeof kind, name, sizeof name, &rest) == -1)
		return strncmp(f->string, "da|", 3) == 0 ? area_add(c, f->string + 3, v) : 0;
	m = *rest ? atoi(rest) : -1;     /* the minute, when the field has one */
	if (strcmp(kind, "dm") == 0) {
		m = atoi(name);
		c->doses += v;
		if (m >= 0 && m < 24 * 60)
			c->quarters[m / 15] += v;
		c->doses30 += within(m, c->minute, 30) ? v : 0;
		c->doses60 += within(m, c->minute, 60) ? v : 0;
	} else if (strcmp(kind, "a") == 0 || strcmp(kind, "hd") == 0) {
		if ((i = event_stage_index(ev, name)) >= 0)
			stage_count(c, i, kind[0] == 'a', m, v);
	} else if (strcmp(kind, "e") == 0 && !*rest) {
		if ((i = event_stage_index(ev, name)) >= 0)
			c->sg[i].expired += v;
	} else if (strcmp(kind, "wh") == 0) {
		if ((i = event_stage_index(ev, name)) >= 0 && m >= 1 && m <= PROTO_WAIT_BUCKETS)
			c->sg[i].hist[m - 1] += v;
	} else if (strcmp(kind, "da") == 0) {
		return area_add(c, f->string + 3, v);
	} else if (strcmp(kind, "ds") == 0 && !*rest) {
		if ((i = event_service_index(ev, name)) >= 0)
			c->service_doses[i] += v;
	} else if ((strcmp(kind, "dp") == 0 || strcmp(kind, "ip") == 0) && !*rest) {
		if ((i = event_priority_index(ev, name)) >= 0)
			*(kind[0] == 'd' ? &c->priority_doses[i] : &c->priority_issued[i]) += v;
	} else if ((i = station_index(c, name)) >= 0) {
		station_count(&c->st[i].w, kind, m, c->minute, v);
	}
	return 0;
}

static void work_add(struct stats_work_counts *to, const struct stats_work_counts *w)
{
	to->calls += w->calls;
	to->done += w->done;
	to->refused += w->refused;
	to->deferred += w->deferred;
	to->no_show += w->no_show;
	to->done15 += w->done15;
	to->done60 += w->done60;
	to->wait_ms += w->wait_ms;
	to->serv_ms += w->serv_ms;
	to->serv_n += w->serv_n;
}

/* Each stage's sums over its stations. */
static void stages_sum(struct stats_counters *c)
{
	for (int i = 0; i < c->nstations; i++) {
		const struct stats_station_counts *st = &c->st[i];
		struct stats_stage_counts *sg = &c->sg[st->stage];
		work_add(&sg->w, &st->w);
		sg->open += st->open;
		sg->active += st->w.done60 > 0;
	}
	/* a timed wait finishes without a station: served all the same */
	for (int i = 0; i < PROTO_MAX_STAGES; i++) {
		c->sg[i].w.done += c->sg[i].held;
		c->sg[i].w.done15 += c->sg[i].held15;
		c->sg[i].w.done60 += c->sg[i].held60;
	}
}

/* The exact waits by stage, and the earlier days' arrivals by hour. */
static void extras_read(const struct event_def *ev, const cJSON *raw,
    struct stats_counters *c)
{
	const cJSON *waits = member(raw, "waits"), *h;
	int n = 0;

	for (int i = 0; i < ev->nstages; i++) {
		const cJSON *w = member(waits, ev->stages[i].id);
		c->sg[i].waits_n = (long long)num(w, "n");
		c->sg[i].p50_s = c->sg[i].waits_n > 0 ? (long long)num(w, "p50") : -1;
		c->sg[i].p90_s = c->sg[i].waits_n > 0 ? (long long)num(w, "p90") : -1;
	}
	cJSON_ArrayForEach(h, member(raw, "prev"))
		if (n < 24 && cJSON_IsNumber(h) && h->valuedouble > 0)
			c->prev[n++] = (long long)h->valuedouble;
		else if (n < 24)
			c->prev[n++] = 0;
	c->prev_days = (int)num(raw, "prev_days");
}

int stats_counters_read(const struct event_def *ev, const cJSON *raw,
    struct stats_counters *c)
{
	const cJSON *fields = member(raw, "fields"), *waiting = member(raw, "waiting");
	const cJSON *issued = member(raw, "issued"), *f;
	const char *day = cJSON_GetStringValue(member(raw, "day"));

	memset(c, 0, sizeof *c);
	c->now = (int64_t)num(raw, "now");
	c->minute = (int)num(raw, "minute");
	snprintf(c->day, sizeof c->day, "%s", day ? day : "");
	stations_init(ev, c);
	stations_read(raw, c);
	for (int i = 0; i < ev->nstages; i++)
		c->sg[i].waiting = (long long)num(waiting, ev->stages[i].id);
	for (int i = 0; i < ev->nservices; i++)
		c->issued += c->service_issued[i] = (long long)num(issued, ev->services[i].id);
	cJSON_ArrayForEach(f, fields)
		if (field_count(ev, c, f) == -1)
			fatalx("out of memory");   /* OOM only: one event's areas */
	stages_sum(c);
	extras_read(ev, raw, c);
	return cJSON_IsObject(fields) && cJSON_IsObject(waiting) && cJSON_IsObject(issued) ?
	    0 : -1;
}

void stats_counters_free(struct stats_counters *c)
{
	free(c->areas);
	c->areas = NULL;
	c->nareas = c->areas_cap = 0;
}
