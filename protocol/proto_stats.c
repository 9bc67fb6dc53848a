/*
 * proto_stats.c: the organisers' figures (struct stats) and their codec
 * (protocol.h).  Each part is laid out once as a table of members
 * (proto_json.h), in the order PROTOCOL.md shows; the encoder and the
 * decoder both read it.
 */
#include "protocol.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_json.h"

const int proto_wait_bucket_max_min[PROTO_WAIT_BUCKETS - 1] = {
	1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180
};

/* ---- the tables --------------------------------------------------------- */

static const struct pj_member kind_rows[] = {
	PJ_ROW(struct stats_kind, issued, PJ_COUNT),
	PJ_ROW(struct stats_kind, doses, PJ_COUNT),
};
static const struct pj_table kind_table = PJ_TABLE(kind_rows);

static const struct pj_member today_rows[] = {
	PJ_ROW(struct stats_today, doses, PJ_COUNT),
	PJ_ROW(struct stats_today, issued, PJ_COUNT),
	PJ_ROW(struct stats_today, waiting, PJ_COUNT),
	PJ_ROW(struct stats_today, deferred, PJ_COUNT),
	PJ_ROW(struct stats_today, refused, PJ_COUNT),
	PJ_ROW(struct stats_today, no_show, PJ_COUNT),
	PJ_ROW(struct stats_today, expired, PJ_COUNT),
};
static const struct pj_table today_table = PJ_TABLE(today_rows);

static const struct pj_member forecast_rows[] = {
	PJ_ROW(struct stats_forecast, rate_per_hour_30, PJ_COUNT),
	PJ_ROW(struct stats_forecast, rate_per_hour_60, PJ_COUNT),
	PJ_ROW(struct stats_forecast, rate_per_hour, PJ_NUMBER),
	PJ_ROW(struct stats_forecast, hours_left, PJ_NUMBER),
	PJ_ROW(struct stats_forecast, expected_at_close, PJ_COUNT),
	PJ_ROW(struct stats_forecast, margin, PJ_SIGNED),
	PJ_ROW(struct stats_forecast, reached, PJ_BOOL),
	PJ_ROW(struct stats_forecast, target_at, PJ_TIME_OR_NULL),
	PJ_ROW(struct stats_forecast, low, PJ_COUNT),
	PJ_ROW(struct stats_forecast, high, PJ_COUNT),
	PJ_ROW(struct stats_forecast, in_building, PJ_COUNT),
	PJ_ROW(struct stats_forecast, arrivals_expected, PJ_COUNT),
	PJ_ROW(struct stats_forecast, capacity_to_close, PJ_COUNT_OR_NULL),
};
static const struct pj_table forecast_table = PJ_TABLE(forecast_rows);

static const struct pj_member throughput_rows[] = {
	PJ_ROW(struct stats_throughput, last_15, PJ_COUNT),
	PJ_ROW(struct stats_throughput, last_60, PJ_COUNT),
};
static const struct pj_table throughput_table = PJ_TABLE(throughput_rows);

static const struct pj_member station_rows[] = {
	PJ_ROW(struct stats_station, id, PJ_STRING),
	PJ_ROW(struct stats_station, state, PJ_OPEN_PAUSED),
	PJ_ROW_IN(struct stats_station, work, served, PJ_COUNT),
	PJ_ROW_IN(struct stats_station, work, calls, PJ_COUNT),
	PJ_ROW_IN(struct stats_station, work, avg_wait_s, PJ_COUNT_OR_NULL),
	PJ_ROW_IN(struct stats_station, work, avg_service_s, PJ_COUNT_OR_NULL),
	{ "throughput_per_hour", PJ_OBJECT, offsetof(struct stats_station, work.throughput), 0,
	  &throughput_table },
	PJ_ROW_IN(struct stats_station, work, deferred, PJ_COUNT),
	PJ_ROW_IN(struct stats_station, work, refused, PJ_COUNT),
	PJ_ROW_IN(struct stats_station, work, no_show, PJ_COUNT),
	PJ_ROW(struct stats_station, last_call_at, PJ_TIME_OR_NULL),
};
static const struct pj_table station_table = PJ_TABLE(station_rows);

/* A stage's members before its "stations", and the one after them. */
static const struct pj_member stage_rows[] = {
	PJ_ROW(struct stats_stage, id, PJ_STRING),
	PJ_ROW(struct stats_stage, name, PJ_STRING_OR_NULL),
	PJ_ROW(struct stats_stage, waiting, PJ_COUNT),
	PJ_ROW_IN(struct stats_stage, work, served, PJ_COUNT),
	PJ_ROW_IN(struct stats_stage, work, calls, PJ_COUNT),
	PJ_ROW_IN(struct stats_stage, work, avg_wait_s, PJ_COUNT_OR_NULL),
	PJ_ROW(struct stats_stage, p50_wait_s, PJ_COUNT_OR_NULL),
	PJ_ROW(struct stats_stage, p90_wait_s, PJ_COUNT_OR_NULL),
	PJ_ROW_IN(struct stats_stage, work, avg_service_s, PJ_COUNT_OR_NULL),
	{ "throughput_per_hour", PJ_OBJECT, offsetof(struct stats_stage, work.throughput), 0,
	  &throughput_table },
	PJ_ROW(struct stats_stage, arrivals_per_hour, PJ_COUNT),
	PJ_ROW(struct stats_stage, stations_open, PJ_COUNT),
	PJ_ROW_IN(struct stats_stage, work, deferred, PJ_COUNT),
	PJ_ROW_IN(struct stats_stage, work, refused, PJ_COUNT),
	PJ_ROW_IN(struct stats_stage, work, no_show, PJ_COUNT),
	PJ_ROW(struct stats_stage, expired, PJ_COUNT),
};
static const struct pj_table stage_table = PJ_TABLE(stage_rows);
static const struct pj_member stage_tail_rows[] = {
	PJ_ROW(struct stats_stage, capacity_per_hour, PJ_NUMBER_OR_NULL),
	PJ_ROW(struct stats_stage, chairs_needed, PJ_COUNT_OR_NULL),
};
static const struct pj_table stage_tail_table = PJ_TABLE(stage_tail_rows);

static const struct pj_member bottleneck_rows[] = {
	PJ_ROW(struct stats_bottleneck, stage, PJ_STRING),
	PJ_ROW(struct stats_bottleneck, capacity_per_hour, PJ_NUMBER),
	PJ_ROW(struct stats_bottleneck, arrivals_per_hour, PJ_COUNT),
	PJ_ROW(struct stats_bottleneck, per_station_per_hour, PJ_NUMBER),
	PJ_ROW(struct stats_bottleneck, extra_stations, PJ_COUNT),
	PJ_ROW(struct stats_bottleneck, max_stations, PJ_COUNT),
	PJ_ROW(struct stats_bottleneck, unserved_at_close, PJ_COUNT),
	PJ_ROW(struct stats_bottleneck, move_station, PJ_STRING_OR_NULL),
	PJ_ROW(struct stats_bottleneck, recommendation, PJ_STRING_OR_NULL),
};
static const struct pj_table bottleneck_table = PJ_TABLE(bottleneck_rows);

static const struct pj_member idle_rows[] = {
	PJ_ROW(struct stats_idle, station, PJ_STRING),
	PJ_ROW(struct stats_idle, stage, PJ_STRING_OR_NULL),
	PJ_ROW(struct stats_idle, idle_s, PJ_COUNT_OR_NULL),
	PJ_ROW(struct stats_idle, waiting, PJ_COUNT),
};
static const struct pj_table idle_table = PJ_TABLE(idle_rows);

static const struct pj_member area_rows[] = {
	PJ_ROW(struct stats_area, area, PJ_STRING_OR_NULL),
	PJ_ROW(struct stats_area, doses, PJ_COUNT),
};
static const struct pj_table area_table = PJ_TABLE(area_rows);

static const struct pj_member quarter_rows[] = {
	PJ_ROW(struct stats_quarter, start, PJ_TIME),
	PJ_ROW(struct stats_quarter, doses, PJ_COUNT),
};
static const struct pj_table quarter_table = PJ_TABLE(quarter_rows);

/* The top: event, at, day; then today (by hand), then target. */
static const struct pj_member head_rows[] = {
	PJ_ROW(struct stats, event, PJ_STRING),
	PJ_ROW(struct stats, at, PJ_TIME_OR_NULL),
	PJ_ROW(struct stats, day, PJ_STRING),
};
static const struct pj_table head_table = PJ_TABLE(head_rows);
static const struct pj_member middle_rows[] = {
	PJ_ROW(struct stats, target, PJ_COUNT),
	PJ_SUB(struct stats, forecast, forecast_table),
};
static const struct pj_table middle_table = PJ_TABLE(middle_rows);

/* ---- encoding ----------------------------------------------------------- */

/* {"ID": {"issued": N, "doses": N}, ...} */
static int kinds_encode(cJSON *o, const char *name, const struct stats_kind *k,
    int n, int max)
{
	cJSON *by = cJSON_AddObjectToObject(o, name), *x;

	for (int i = 0; by && i < pj_clamp_count(n, max); i++)
		if (!(x = cJSON_AddObjectToObject(by, k[i].id)) ||
		    pj_encode_table(x, &k[i], &kind_table, 0))
			return -1;
	return by ? 0 : -1;
}

static int today_encode(cJSON *o, const struct stats_today *t)
{
	cJSON *x = cJSON_AddObjectToObject(o, "today");

	return !x || pj_encode_table(x, t, &today_table, 0) ||
	    kinds_encode(x, "by_service", t->by_service, t->nservices, PROTO_MAX_SERVICES) ||
	    kinds_encode(x, "by_priority", t->by_priority, t->npriorities,
		PROTO_MAX_PRIORITIES) ? -1 : 0;
}

/* An array of n structs `size` bytes apart, each an object by table t;
 * with stage >= 0, only the stations of that stage. */
static int list_encode(cJSON *o, const char *name, const void *base, int n,
    size_t size, const struct pj_table *t, int off)
{
	cJSON *arr = cJSON_AddArrayToObject(o, name), *x;

	for (int i = 0; arr && i < n; i++)
		if (pj_add_to_array(arr, x = cJSON_CreateObject()) ||
		    pj_encode_table(x, (const char *)base + (size_t)i * size, t, off))
			return -1;
	return arr ? 0 : -1;
}

static cJSON *stage_encode(const struct stats *s, int si, int off)
{
	cJSON *o = cJSON_CreateObject(), *sts = NULL, *x;
	int failed = !o || pj_encode_table(o, &s->stages[si], &stage_table, off) ||
	    !(sts = cJSON_AddArrayToObject(o, "stations")) ||
	    pj_encode_table(o, &s->stages[si], &stage_tail_table, off);

	for (int i = 0; !failed && i < pj_clamp_count(s->nstations, PROTO_MAX_STATIONS); i++)
		if (s->stations[i].stage == si)
			failed = pj_add_to_array(sts, x = cJSON_CreateObject()) ||
			    pj_encode_table(x, &s->stations[i], &station_table, off);
	return pj_finish(o, failed);
}

static int bottleneck_encode(cJSON *o, const struct stats_bottleneck *b)
{
	cJSON *x;

	if (!b->set)
		return cJSON_AddNullToObject(o, "bottleneck") ? 0 : -1;
	return !(x = cJSON_AddObjectToObject(o, "bottleneck")) ||
	    pj_encode_table(x, b, &bottleneck_table, 0) ? -1 : 0;
}

cJSON *proto_stats_encode(const struct stats *s, int utc_offset_s)
{
	int off = utc_offset_s;
	cJSON *o = cJSON_CreateObject(), *stages = NULL;
	int failed = !o || pj_encode_table(o, s, &head_table, off) ||
	    today_encode(o, &s->today) || pj_encode_table(o, s, &middle_table, off) ||
	    !(stages = cJSON_AddArrayToObject(o, "stages"));

	for (int i = 0; !failed && i < pj_clamp_count(s->nstages, PROTO_MAX_STAGES); i++)
		failed = pj_add_to_array(stages, stage_encode(s, i, off));
	failed = failed || bottleneck_encode(o, &s->bottleneck) ||
	    list_encode(o, "idle", s->idle, pj_clamp_count(s->nidle, PROTO_MAX_STATIONS),
		sizeof s->idle[0], &idle_table, off) ||
	    list_encode(o, "areas", s->areas,
		s->areas ? pj_clamp_count(s->nareas, PROTO_MAX_AREAS) : 0,
		sizeof s->areas[0], &area_table, off) ||
	    list_encode(o, "series", s->series, pj_clamp_count(s->nseries, PROTO_MAX_QUARTERS),
		sizeof s->series[0], &quarter_table, off);
	return pj_finish(o, failed);
}

void proto_stats_free(struct stats *s)
{
	free(s->areas);
	s->areas = NULL;
	s->nareas = 0;
}

/* ---- decoding ----------------------------------------------------------- */

/* {"ID": {...}, ...} into k[0..max). */
static int kinds_decode(const cJSON *o, const char *ctx, const char *name,
    struct stats_kind *k, int *n, int max, char *err)
{
	const cJSON *by = pj_field(o, name), *it;
	char sub[64];

	*n = 0;
	if (by && !cJSON_IsObject(by))
		return pj_fail(err, ctx, name, "expected an object");
	snprintf(sub, sizeof sub, "%s.%s", ctx, name);
	cJSON_ArrayForEach(it, by) {
		if (*n == max)
			return pj_fail(err, ctx, name, "too many entries (max %d)", max);
		if (strlen(it->string) >= sizeof k[*n].id)
			return pj_fail(err, sub, NULL, "id too long (max %zu bytes)",
			    sizeof k[*n].id - 1);
		strcpy(k[*n].id, it->string);
		if (pj_need_object(it, sub, err) || pj_decode_table(it, sub, &k[*n], &kind_table, err))
			return -1;
		(*n)++;
	}
	return 0;
}

static int today_decode(const cJSON *j, struct stats_today *t, char *err)
{
	static const char ctx[] = "stats.today";
	const cJSON *x = pj_field(j, "today");

	if (!x)
		return pj_fail(err, "stats", "today", "missing");
	return pj_need_object(x, ctx, err) || pj_decode_table(x, ctx, t, &today_table, err) ||
	    kinds_decode(x, ctx, "by_service", t->by_service, &t->nservices,
		PROTO_MAX_SERVICES, err) ||
	    kinds_decode(x, ctx, "by_priority", t->by_priority, &t->npriorities,
		PROTO_MAX_PRIORITIES, err) ? -1 : 0;
}

/* A stage's figures; its stations go on at s->stations[s->nstations]. */
static int stage_decode(const cJSON *j, const char *ctx, struct stats *s, int si,
    char *err)
{
	const cJSON *sts;
	char sub[64];
	int n;

	snprintf(sub, sizeof sub, "%s.stations", ctx);
	if (pj_need_object(j, ctx, err) ||
	    pj_decode_table(j, ctx, &s->stages[si], &stage_table, err) ||
	    pj_decode_table(j, ctx, &s->stages[si], &stage_tail_table, err) ||
	    pj_get_array(j, ctx, "stations", PJ_OPTIONAL, PROTO_MAX_STATIONS - s->nstations,
		&sts, &n, err) ||
	    pj_decode_each(sts, sub, &s->stations[s->nstations], sizeof s->stations[0],
		NULL, &station_table, err))
		return -1;
	for (int i = 0; i < n; i++)
		s->stations[s->nstations++].stage = si;
	return 0;
}

static int stages_decode(const cJSON *j, struct stats *s, char *err)
{
	const cJSON *arr, *it;
	char sub[32];
	int i = 0;

	if (pj_get_array(j, "stats", "stages", PJ_REQUIRED, PROTO_MAX_STAGES, &arr,
	    &s->nstages, err))
		return -1;
	cJSON_ArrayForEach(it, arr) {
		snprintf(sub, sizeof sub, "stats.stages[%d]", i);
		if (stage_decode(it, sub, s, i++, err))
			return -1;
	}
	return 0;
}

static int bottleneck_decode(const cJSON *j, struct stats_bottleneck *b, char *err)
{
	static const char ctx[] = "stats.bottleneck";
	const cJSON *x = pj_field(j, "bottleneck");

	b->set = x != NULL;
	return x && (pj_need_object(x, ctx, err) ||
	    pj_decode_table(x, ctx, b, &bottleneck_table, err)) ? -1 : 0;
}

static int lists_decode(const cJSON *j, struct stats *s, char *err)
{
	static const char ctx[] = "stats";
	const cJSON *idle, *areas, *series;

	if (pj_get_array(j, ctx, "idle", PJ_OPTIONAL, PROTO_MAX_STATIONS, &idle, &s->nidle,
	    err) ||
	    pj_get_array(j, ctx, "areas", PJ_OPTIONAL, PROTO_MAX_AREAS, &areas, &s->nareas,
		err) ||
	    pj_get_array(j, ctx, "series", PJ_OPTIONAL, PROTO_MAX_QUARTERS, &series,
		&s->nseries, err))
		return -1;
	if (s->nareas > 0 && !(s->areas = calloc((size_t)s->nareas, sizeof *s->areas)))
		return pj_fail(err, ctx, "areas", "out of memory");
	return pj_decode_each(idle, "stats.idle", s->idle, sizeof s->idle[0], NULL,
		&idle_table, err) ||
	    pj_decode_each(areas, "stats.areas", s->areas, sizeof s->areas[0], NULL,
		&area_table, err) ||
	    pj_decode_each(series, "stats.series", s->series, sizeof s->series[0], NULL,
		&quarter_table, err) ? -1 : 0;
}

int proto_stats_decode(const cJSON *j, struct stats *s, char *err)
{
	memset(s, 0, sizeof *s);
	if (pj_need_object(j, "stats", err) ||
	    pj_decode_table(j, "stats", s, &head_table, err) ||
	    today_decode(j, &s->today, err) ||
	    pj_decode_table(j, "stats", s, &middle_table, err) ||
	    stages_decode(j, s, err) || bottleneck_decode(j, &s->bottleneck, err) ||
	    lists_decode(j, s, err)) {
		proto_stats_free(s);
		return -1;
	}
	return 0;
}
