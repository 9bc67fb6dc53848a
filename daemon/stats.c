/* stats.c: throughput, waits, forecast, bottleneck, idle desks, areas. */
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "protocol.h"

#define NBUCKETS 13
static const int bucket_max_min[NBUCKETS - 1] = { 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180 };

/* What one station did today. */
struct station_acc {
	char id[PROTO_STATION_MAX];
	int stage, open, holding;
	long long calls, done, refused, deferred, no_show;
	long long done15, done60;        /* completions done in the last 15 / 60 min */
	long long wait_ms, serv_ms, serv_n;
	double last_call;                /* ms, 0 = never */
};

struct stage_acc {
	long long arrivals60, waiting;
	long long hist[NBUCKETS];
};

struct acc {
	int nst;
	struct station_acc st[PROTO_MAX_STATIONS];
	struct stage_acc sg[PROTO_MAX_STAGES];
	long long series[96];            /* doses per quarter hour of the day */
	long long doses, doses30, doses60;
};

int stats_percentile(const long long counts[NBUCKETS], double q)
{
	long long total = 0, seen = 0;

	for (int i = 0; i < NBUCKETS; i++)
		total += counts[i];
	if (total == 0)
		return -1;
	for (int i = 0; i < NBUCKETS; i++) {
		double lo = i ? bucket_max_min[i - 1] * 60.0 : 0;
		double hi = i < NBUCKETS - 1 ? bucket_max_min[i] * 60.0 : lo;
		if (counts[i] > 0 && seen + counts[i] >= q * (double)total) {
			/* linear within the bucket: the histogram's best guess */
			double frac = (q * (double)total - (double)seen) / (double)counts[i];
			return (int)lround(lo + (hi - lo) * frac);
		}
		seen += counts[i];
	}
	return (int)lround(bucket_max_min[NBUCKETS - 2] * 60.0);
}

/* A number member, 0 when absent (counters not yet written are zero). */
static double num(const cJSON *o, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

static int station_index(const struct acc *a, const char *id)
{
	for (int i = 0; i < a->nst; i++)
		if (strcmp(a->st[i].id, id) == 0)
			return i;
	return -1;
}

/* 1 when minute m is one of the `span` minutes up to and including now. */
static int within(int m, int now, int span)
{
	return m <= now && m > now - span;
}

int stats_split_field(const char *f, char *kind, size_t ksize, char *name, size_t nsize,
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

static void accumulate(const struct event_def *ev, const cJSON *raw, struct acc *a, int now_min)
{
	const cJSON *f, *s;

	memset(a, 0, sizeof *a);
	for (int i = 0; i < ev->nstages; i++)
		for (int n = 1; n <= ev->stages[i].stations && a->nst < PROTO_MAX_STATIONS; n++) {
			struct station_acc *st = &a->st[a->nst];
			int w = snprintf(st->id, sizeof st->id, "%s-%d", ev->stages[i].id, n);
			/* never true: event.c bounds stage ids and station counts */
			if (w < 0 || (size_t)w >= sizeof st->id)
				continue;
			a->nst++;
			st->stage = i;
			st->open = 1;
		}
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(raw, "stations")) {
		int i = station_index(a, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id")));
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "state"));
		const char *ticket = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "ticket"));
		if (i < 0)
			continue;
		a->st[i].open = !(state && strcmp(state, "paused") == 0);
		a->st[i].holding = ticket && *ticket;
		a->st[i].last_call = num(s, "last_call");
	}
	for (int i = 0; i < ev->nstages; i++)
		a->sg[i].waiting = (long long)num(cJSON_GetObjectItemCaseSensitive(raw, "waiting"),
		    ev->stages[i].id);
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(raw, "fields")) {
		char kind[8], name[PROTO_AREA_MAX + 8];
		int m, i;
		long long v = (long long)f->valuedouble;
		const char *rest;
		if (stats_split_field(f->string, kind, sizeof kind, name, sizeof name, &rest) == -1)
			continue;
		m = *rest ? atoi(rest) : -1;     /* the minute, when the field has one */
		if (strcmp(kind, "dm") == 0) {
			m = atoi(name);
			a->doses += v;
			if (m >= 0 && m < 1440)
				a->series[m / 15] += v;
			if (within(m, now_min, 30))
				a->doses30 += v;
			if (within(m, now_min, 60))
				a->doses60 += v;
		} else if (strcmp(kind, "a") == 0) {
			if ((i = event_stage_index(ev, name)) >= 0 && within(m, now_min, 60))
				a->sg[i].arrivals60 += v;
		} else if (strcmp(kind, "wh") == 0) {
			if ((i = event_stage_index(ev, name)) >= 0 && m >= 1 && m <= NBUCKETS)
				a->sg[i].hist[m - 1] += v;
		} else if ((i = station_index(a, name)) >= 0) {
			struct station_acc *st = &a->st[i];
			if (strcmp(kind, "c") == 0)
				st->calls += v;
			else if (strcmp(kind, "d") == 0) {
				st->done += v;
				if (within(m, now_min, 15))
					st->done15 += v;
				if (within(m, now_min, 60))
					st->done60 += v;
			} else if (strcmp(kind, "r") == 0)
				st->refused += v;
			else if (strcmp(kind, "x") == 0)
				st->deferred += v;
			else if (strcmp(kind, "n") == 0)
				st->no_show += v;
			else if (strcmp(kind, "ws") == 0)
				st->wait_ms += v;
			else if (strcmp(kind, "ss") == 0)
				st->serv_ms += v;
			else if (strcmp(kind, "sn") == 0)
				st->serv_n += v;
		}
	}
}

/* Stations of stage si open (not paused). */
static int open_at(const struct acc *a, int si)
{
	int n = 0;

	for (int i = 0; i < a->nst; i++)
		n += a->st[i].stage == si && a->st[i].open;
	return n;
}

static int area_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	if (x->valuedouble != y->valuedouble)
		return x->valuedouble < y->valuedouble ? 1 : -1;
	return strcmp(x->string, y->string);
}

static void add_avg(cJSON *o, const char *name, long long sum_ms, long long n)
{
	if (n > 0)
		cJSON_AddNumberToObject(o, name, (double)llround((double)sum_ms / (double)n / 1000.0));
	else
		cJSON_AddNullToObject(o, name);
}

static void add_time(cJSON *o, const char *name, double ms, int off)
{
	char buf[40];

	if (ms > 0)
		cJSON_AddStringToObject(o, name, proto_time_format((int64_t)ms, off, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, name);
}

static void add_throughput(cJSON *o, long long last15, long long last60)
{
	cJSON *t = cJSON_AddObjectToObject(o, "throughput_per_hour");

	cJSON_AddNumberToObject(t, "last_15", (double)(last15 * 4));
	cJSON_AddNumberToObject(t, "last_60", (double)last60);
}

/* Lower-case copy of a stage name for the recommendation sentence. */
static void lower(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	buf[i] = '\0';
}

cJSON *stats_compute(const struct event_def *ev, const cJSON *raw, int idle_minutes)
{
	static struct acc a;             /* filled and used without yielding */
	double now = num(raw, "now");
	int now_min = (int)num(raw, "minute");
	const char *day = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(raw, "day"));
	int off = ev->utc_offset_s;
	cJSON *o = cJSON_CreateObject(), *today, *by, *x, *stages, *idle, *areas, *series;
	const cJSON *f;
	long long issued = 0, waiting = 0, deferred = 0, refused = 0, no_show = 0;
	char date[16];

	if (o == NULL)
		return NULL;
	accumulate(ev, raw, &a, now_min);
	snprintf(date, sizeof date, "%.4s-%.2s-%.2s", day ? day : "", day ? day + 4 : "",
	    day ? day + 6 : "");
	cJSON_AddStringToObject(o, "event", ev->id);
	add_time(o, "at", now, off);
	cJSON_AddStringToObject(o, "day", date);

	/* ---- today */
	for (int i = 0; i < a.nst; i++) {
		deferred += a.st[i].deferred;
		refused += a.st[i].refused;
		no_show += a.st[i].no_show;
	}
	for (int i = 0; i < ev->nstages; i++)
		waiting += a.sg[i].waiting;
	today = cJSON_AddObjectToObject(o, "today");
	by = cJSON_CreateObject();
	for (int i = 0; i < ev->nservices; i++) {
		char field[PROTO_ID_MAX + 4];
		long long v = (long long)num(cJSON_GetObjectItemCaseSensitive(raw, "issued"),
		    ev->services[i].id);
		issued += v;
		x = cJSON_AddObjectToObject(by, ev->services[i].id);
		cJSON_AddNumberToObject(x, "issued", (double)v);
		snprintf(field, sizeof field, "ds|%s", ev->services[i].id);
		cJSON_AddNumberToObject(x, "doses", num(cJSON_GetObjectItemCaseSensitive(raw, "fields"), field));
	}
	cJSON_AddNumberToObject(today, "doses", (double)a.doses);
	cJSON_AddNumberToObject(today, "issued", (double)issued);
	cJSON_AddNumberToObject(today, "waiting", (double)waiting);
	cJSON_AddNumberToObject(today, "deferred", (double)deferred);
	cJSON_AddNumberToObject(today, "refused", (double)refused);
	cJSON_AddNumberToObject(today, "no_show", (double)no_show);
	cJSON_AddItemToObject(today, "by_service", by);
	by = cJSON_AddObjectToObject(today, "by_priority");
	for (int i = 0; i < ev->npriorities; i++) {
		char fi[PROTO_ID_MAX + 4], fd[PROTO_ID_MAX + 4];
		const cJSON *fields = cJSON_GetObjectItemCaseSensitive(raw, "fields");
		snprintf(fi, sizeof fi, "ip|%s", ev->priorities[i]);
		snprintf(fd, sizeof fd, "dp|%s", ev->priorities[i]);
		x = cJSON_AddObjectToObject(by, ev->priorities[i]);
		cJSON_AddNumberToObject(x, "issued", num(fields, fi));
		cJSON_AddNumberToObject(x, "doses", num(fields, fd));
	}

	/* ---- target and forecast: the recent rate until closing time */
	double hours_left, expected;
	{
		int open = ev->open_min, close = ev->close_min;
		int since_open = now_min - open;
		double rate;
		cJSON *fc;
		if (since_open >= 60)
			rate = (double)a.doses60;
		else if (since_open >= 30)
			rate = (double)a.doses30 * 2;
		else if (since_open > 0)
			rate = (double)a.doses * 60.0 / since_open;
		else
			rate = 0;
		hours_left = (double)(close - (now_min > open ? now_min : open)) / 60.0;
		if (hours_left < 0)
			hours_left = 0;
		expected = (double)a.doses + rate * hours_left;
		cJSON_AddNumberToObject(o, "target", ev->daily_target);
		fc = cJSON_AddObjectToObject(o, "forecast");
		cJSON_AddNumberToObject(fc, "rate_per_hour_30", (double)(a.doses30 * 2));
		cJSON_AddNumberToObject(fc, "rate_per_hour_60", (double)a.doses60);
		cJSON_AddNumberToObject(fc, "rate_per_hour", round(rate * 10) / 10);
		cJSON_AddNumberToObject(fc, "hours_left", round(hours_left * 100) / 100);
		cJSON_AddNumberToObject(fc, "expected_at_close", floor(expected));
		cJSON_AddNumberToObject(fc, "margin", floor(expected) - ev->daily_target);
		cJSON_AddBoolToObject(fc, "reached", a.doses >= ev->daily_target);
		if (a.doses < ev->daily_target && rate > 0)
			add_time(fc, "target_at", now + (ev->daily_target - a.doses) / rate * 3600000.0, off);
		else
			cJSON_AddNullToObject(fc, "target_at");
	}

	/* ---- stages and stations */
	stages = cJSON_AddArrayToObject(o, "stages");
	idle = cJSON_CreateArray();
	{
		int worst = -1;
		double worst_ratio = 0, worst_cap = 0, worst_rate = 0;
		for (int si = 0; si < ev->nstages; si++) {
			struct stage_acc *sg = &a.sg[si];
			cJSON *so = cJSON_CreateObject(), *sts;
			long long calls = 0, served = 0, d15 = 0, d60 = 0, wait = 0, serv = 0, sn = 0,
			    def = 0, ref = 0, ns = 0;
			int open = 0, active = 0;
			cJSON_AddItemToArray(stages, so);
			cJSON_AddStringToObject(so, "id", ev->stages[si].id);
			cJSON_AddStringToObject(so, "name", ev->stages[si].name);
			sts = cJSON_CreateArray();
			for (int i = 0; i < a.nst; i++) {
				struct station_acc *st = &a.st[i];
				cJSON *t;
				if (st->stage != si)
					continue;
				calls += st->calls;
				served += st->done;
				d15 += st->done15;
				d60 += st->done60;
				wait += st->wait_ms;
				serv += st->serv_ms;
				sn += st->serv_n;
				def += st->deferred;
				ref += st->refused;
				ns += st->no_show;
				open += st->open;
				active += st->done60 > 0;
				t = cJSON_CreateObject();
				cJSON_AddItemToArray(sts, t);
				cJSON_AddStringToObject(t, "id", st->id);
				cJSON_AddStringToObject(t, "state", st->open ? "open" : "paused");
				cJSON_AddNumberToObject(t, "served", (double)st->done);
				cJSON_AddNumberToObject(t, "calls", (double)st->calls);
				add_avg(t, "avg_wait_s", st->wait_ms, st->calls);
				add_avg(t, "avg_service_s", st->serv_ms, st->serv_n);
				add_throughput(t, st->done15, st->done60);
				cJSON_AddNumberToObject(t, "deferred", (double)st->deferred);
				cJSON_AddNumberToObject(t, "refused", (double)st->refused);
				cJSON_AddNumberToObject(t, "no_show", (double)st->no_show);
				add_time(t, "last_call_at", st->last_call, off);
				/* idle: open, holding nobody, people waiting, no call for
				 * long; not at a timed wait, where nobody needs calling */
				if (st->open && !st->holding && sg->waiting > 0 &&
				    ev->stages[si].hold_ms == 0) {
					double since = st->last_call > 0 ? now - st->last_call : -1;
					if (since < 0 || since >= idle_minutes * 60000.0) {
						cJSON *d = cJSON_CreateObject();
						cJSON_AddStringToObject(d, "station", st->id);
						cJSON_AddStringToObject(d, "stage", ev->stages[si].id);
						if (since >= 0)
							cJSON_AddNumberToObject(d, "idle_s", floor(since / 1000));
						else
							cJSON_AddNullToObject(d, "idle_s");
						cJSON_AddNumberToObject(d, "waiting", (double)sg->waiting);
						cJSON_AddItemToArray(idle, d);
					}
				}
			}
			cJSON_AddNumberToObject(so, "waiting", (double)sg->waiting);
			cJSON_AddNumberToObject(so, "served", (double)served);
			cJSON_AddNumberToObject(so, "calls", (double)calls);
			add_avg(so, "avg_wait_s", wait, calls);
			{
				int p50 = stats_percentile(sg->hist, 0.5), p90 = stats_percentile(sg->hist, 0.9);
				if (p50 >= 0) {
					cJSON_AddNumberToObject(so, "p50_wait_s", p50);
					cJSON_AddNumberToObject(so, "p90_wait_s", p90);
				} else {
					cJSON_AddNullToObject(so, "p50_wait_s");
					cJSON_AddNullToObject(so, "p90_wait_s");
				}
			}
			add_avg(so, "avg_service_s", serv, sn);
			add_throughput(so, d15, d60);
			cJSON_AddNumberToObject(so, "arrivals_per_hour", (double)sg->arrivals60);
			cJSON_AddNumberToObject(so, "stations_open", open);
			cJSON_AddNumberToObject(so, "deferred", (double)def);
			cJSON_AddNumberToObject(so, "refused", (double)ref);
			cJSON_AddNumberToObject(so, "no_show", (double)ns);
			cJSON_AddItemToObject(so, "stations", sts);
			/* capacity: what its open stations complete in an hour at the
			 * rate of those that completed anything in the last hour */
			/* capacity is known once some desk of the stage completed
			 * anything in the last hour; with every desk paused it is 0 */
			if (active > 0) {
				double per_station = (double)d60 / active;
				double cap = per_station * open;
				cJSON_AddNumberToObject(so, "capacity_per_hour", round(cap * 10) / 10);
				/* a stage nobody arrives at limits nothing; among the
				 * others, the lowest capacity for its arrivals */
				if (sg->arrivals60 > 0) {
					double ratio = cap / (double)sg->arrivals60;
					if (worst < 0 || ratio < worst_ratio) {
						worst = si;
						worst_ratio = ratio;
						worst_cap = cap;
						worst_rate = per_station;
					}
				}
			} else
				cJSON_AddNullToObject(so, "capacity_per_hour");
		}

		/* ---- bottleneck: the stage whose capacity falls shortest of
		 * its arrivals, and how many desks it needs for the target */
		if (worst >= 0) {
			cJSON *b = cJSON_AddObjectToObject(o, "bottleneck");
			long long left = ev->daily_target - a.doses;
			char name[PROTO_NAME_MAX], rec[256];
			int extra = 0;
			lower(ev->stages[worst].name, name, sizeof name);
			cJSON_AddStringToObject(b, "stage", ev->stages[worst].id);
			cJSON_AddNumberToObject(b, "capacity_per_hour", round(worst_cap * 10) / 10);
			cJSON_AddNumberToObject(b, "arrivals_per_hour", (double)a.sg[worst].arrivals60);
			cJSON_AddNumberToObject(b, "per_station_per_hour", round(worst_rate * 10) / 10);
			if (left > 0 && hours_left > 0 && worst_rate > 0) {
				double need = (double)left / hours_left;
				int open = (int)num(cJSON_GetArrayItem(stages, worst), "stations_open");
				extra = (int)ceil(need / worst_rate - 1e-9) - open;
			}
			/* More desks help only where people queue: without a queue the
			 * desks' rate is set by arrivals, not by how many there are. */
			int queued = a.sg[worst].waiting > open_at(&a, worst);
			if (!queued)
				extra = 0;
			if (extra > 0)
				snprintf(rec, sizeof rec, "buka %d meja %s lagi untuk mencapai target",
				    extra, name);
			else if (left > 0 && hours_left <= 0)
				snprintf(rec, sizeof rec, "waktu layanan habis; target tidak tercapai hari ini");
			else if (queued && a.sg[worst].arrivals60 > (long long)worst_cap)
				snprintf(rec, sizeof rec, "antrean %s bertambah; tambah petugas bila bisa", name);
			else if (left > 0 && (double)a.sg[0].arrivals60 * hours_left < (double)left)
				snprintf(rec, sizeof rec, "peserta yang datang kurang untuk mencapai target; "
				    "perluas ajakan ke warga");
			else if (floor(expected) < ev->daily_target)
				snprintf(rec, sizeof rec, "kecepatan sekarang belum cukup untuk mencapai target");
			else
				snprintf(rec, sizeof rec, "alur lancar; target tercapai dengan kecepatan sekarang");
			cJSON_AddNumberToObject(b, "extra_stations", extra > 0 ? extra : 0);
			cJSON_AddStringToObject(b, "recommendation", rec);
		} else
			cJSON_AddNullToObject(o, "bottleneck");
	}
	cJSON_AddItemToObject(o, "idle", idle);

	/* ---- areas, most doses first (then by name, for a stable order) */
	areas = cJSON_AddArrayToObject(o, "areas");
	{
		const cJSON **list = NULL;
		int n = 0, cap = 0;
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(raw, "fields")) {
			if (strncmp(f->string, "da|", 3) != 0)
				continue;
			if (n == cap) {
				const cJSON **grown;
				cap = cap ? 2 * cap : 64;
				if ((grown = realloc(list, (size_t)cap * sizeof *list)) == NULL) {
					free(list);
					cJSON_Delete(o);
					return NULL;
				}
				list = grown;
			}
			list[n++] = f;
		}
		if (n > 0)
			qsort(list, (size_t)n, sizeof list[0], area_cmp);
		for (int i = 0; i < n; i++) {
			cJSON *ar = cJSON_CreateObject();
			if (strcmp(list[i]->string + 3, "-") == 0)
				cJSON_AddNullToObject(ar, "area");
			else
				cJSON_AddStringToObject(ar, "area", list[i]->string + 3);
			cJSON_AddNumberToObject(ar, "doses", list[i]->valuedouble);
			cJSON_AddItemToArray(areas, ar);
		}
		free(list);
	}

	/* ---- doses per quarter hour, from opening to now (or closing) */
	series = cJSON_AddArrayToObject(o, "series");
	{
		int first = ev->open_min / 15, last = (now_min < ev->close_min ? now_min : ev->close_min - 1) / 15;
		double midnight = now - (double)now_min * 60000.0 - fmod(now, 60000.0);
		for (int q = first; q <= last && q < 96; q++) {
			cJSON *it = cJSON_CreateObject();
			add_time(it, "start", midnight + q * 15 * 60000.0, off);
			cJSON_AddNumberToObject(it, "doses", (double)a.series[q]);
			cJSON_AddItemToArray(series, it);
		}
	}
	return o;
}

cJSON *stats_summary(const struct event_def *ev, const cJSON *c)
{
	const cJSON *today = cJSON_GetObjectItemCaseSensitive(c, "today");
	const cJSON *fc = cJSON_GetObjectItemCaseSensitive(c, "forecast");
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "event", ev->id);
	cJSON_AddStringToObject(o, "name", ev->name);
	cJSON_AddNumberToObject(o, "doses", num(today, "doses"));
	cJSON_AddNumberToObject(o, "issued", num(today, "issued"));
	cJSON_AddNumberToObject(o, "waiting", num(today, "waiting"));
	cJSON_AddNumberToObject(o, "target", ev->daily_target);
	cJSON_AddNumberToObject(o, "expected_at_close",
	    num(fc, "expected_at_close"));
	cJSON_AddNumberToObject(o, "margin", num(fc, "margin"));
	return o;
}
