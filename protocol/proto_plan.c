/*
 * proto_plan.c: the planner's answer (struct plan) and its codec
 * (protocol.h).  Laid out once as tables of members (proto_json.h), in the
 * order PROTOCOL.md shows; the encoder and the decoder both read them.
 */
#include "protocol.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "proto_json.h"

static const struct pj_member stage_rows[] = {
	PJ_ROW(struct plan_stage, id, PJ_STRING),
	PJ_ROW(struct plan_stage, name, PJ_STRING_OR_NULL),
	PJ_ROW(struct plan_stage, service_s, PJ_COUNT_OR_NULL),
	PJ_ROW(struct plan_stage, service_source, PJ_STRING_OR_NULL),
	PJ_ROW(struct plan_stage, hold_minutes, PJ_COUNT_OR_NULL),
	PJ_ROW(struct plan_stage, stations, PJ_COUNT_OR_NULL),
	PJ_ROW(struct plan_stage, max_stations, PJ_COUNT_OR_NULL),
	PJ_ROW(struct plan_stage, utilisation, PJ_NUMBER_OR_NULL),
	PJ_ROW(struct plan_stage, p90_wait_s, PJ_COUNT_OR_NULL),
	PJ_ROW(struct plan_stage, chairs, PJ_COUNT_OR_NULL),
};
static const struct pj_table stage_table = PJ_TABLE(stage_rows);

/* The top, before "curve" (by hand: its per_hour is a list of counts). */
static const struct pj_member head_rows[] = {
	PJ_ROW(struct plan, event, PJ_STRING),
	PJ_ROW(struct plan, target, PJ_COUNT),
	PJ_ROW(struct plan, max_wait_min, PJ_COUNT),
	PJ_ROW(struct plan, open, PJ_STRING),
	PJ_ROW(struct plan, close, PJ_STRING),
	PJ_ROW(struct plan, no_show_pct, PJ_NUMBER),
	PJ_ROW(struct plan, no_show_source, PJ_STRING),
	PJ_ROW(struct plan, people, PJ_COUNT),
};
static const struct pj_table head_table = PJ_TABLE(head_rows);

static const struct pj_member curve_rows[] = {
	PJ_ROW(struct plan_curve, source, PJ_STRING),
};
static const struct pj_table curve_table = PJ_TABLE(curve_rows);

static const struct pj_member peak_rows[] = {
	PJ_ROW(struct plan, peak_per_hour, PJ_COUNT),
};
static const struct pj_table peak_table = PJ_TABLE(peak_rows);

/* After "stages". */
static const struct pj_member tail_rows[] = {
	PJ_ROW(struct plan, feasible, PJ_BOOL),
	PJ_ROW(struct plan, doses_possible, PJ_COUNT),
	PJ_ROW(struct plan, summary, PJ_STRING),
};
static const struct pj_table tail_table = PJ_TABLE(tail_rows);

static int curve_encode(cJSON *o, const struct plan_curve *c)
{
	cJSON *x = cJSON_AddObjectToObject(o, "curve"), *arr;

	if (!x || pj_encode_table(x, c, &curve_table, 0) ||
	    !(arr = cJSON_AddArrayToObject(x, "per_hour")))
		return -1;
	for (int h = 0; h < pj_clamp_count(c->nhours, PROTO_PLAN_MAX_HOURS); h++)
		if (pj_add_to_array(arr, cJSON_CreateNumber((double)c->per_hour[h])))
			return -1;
	return 0;
}

cJSON *proto_plan_encode(const struct plan *p)
{
	cJSON *o = cJSON_CreateObject(), *arr = NULL, *x;
	int failed = !o || pj_encode_table(o, p, &head_table, 0) ||
	    curve_encode(o, &p->curve) || pj_encode_table(o, p, &peak_table, 0) ||
	    !(arr = cJSON_AddArrayToObject(o, "stages"));

	for (int i = 0; !failed && i < pj_clamp_count(p->nstages, PROTO_MAX_STAGES); i++)
		failed = pj_add_to_array(arr, x = cJSON_CreateObject()) ||
		    pj_encode_table(x, &p->stages[i], &stage_table, 0);
	return pj_finish(o, failed || pj_encode_table(o, p, &tail_table, 0));
}

static int curve_decode(const cJSON *j, struct plan_curve *c, char *err)
{
	static const char ctx[] = "plan.curve";
	const cJSON *x = pj_field(j, "curve"), *arr, *it;
	int h = 0;

	if (!x)
		return pj_fail(err, "plan", "curve", "missing");
	if (pj_need_object(x, ctx, err) || pj_decode_table(x, ctx, c, &curve_table, err) ||
	    pj_get_array(x, ctx, "per_hour", PJ_REQUIRED, PROTO_PLAN_MAX_HOURS, &arr,
		&c->nhours, err))
		return -1;
	cJSON_ArrayForEach(it, arr) {
		double v = cJSON_GetNumberValue(it);
		if (!cJSON_IsNumber(it) || v < 0 || v > 1e15 || v != (double)(long long)v)
			return pj_fail(err, ctx, "per_hour", "expected whole numbers >= 0");
		c->per_hour[h++] = (long long)v;
	}
	return 0;
}

static int stages_decode(const cJSON *j, struct plan *p, char *err)
{
	const cJSON *arr;

	return pj_get_array(j, "plan", "stages", PJ_REQUIRED, PROTO_MAX_STAGES, &arr,
		&p->nstages, err) ||
	    pj_decode_each(arr, "plan.stages", p->stages, sizeof p->stages[0], NULL,
		&stage_table, err) ? -1 : 0;
}

int proto_plan_decode(const cJSON *j, struct plan *p, char *err)
{
	memset(p, 0, sizeof *p);
	return pj_need_object(j, "plan", err) ||
	    pj_decode_table(j, "plan", p, &head_table, err) ||
	    curve_decode(j, &p->curve, err) ||
	    pj_decode_table(j, "plan", p, &peak_table, err) ||
	    stages_decode(j, p, err) ||
	    pj_decode_table(j, "plan", p, &tail_table, err) ? -1 : 0;
}
