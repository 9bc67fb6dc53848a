/*
 * proto_board.c: the waiting-room board (struct board) and its codec
 * (protocol.h); stations and calls are protocol.c's.
 */
#include "protocol.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "proto_json.h"

static cJSON *board_stage_encode(const struct board_stage *s)
{
	cJSON *o = cJSON_CreateObject();
	return pj_finish(o, !o || pj_add_str(o, "id", s->id) || pj_add_str(o, "name", s->name) ||
	    pj_add_int(o, "waiting", s->waiting) || pj_add_opt_int(o, "eta_s", s->eta_s) ||
	    proto_range_encode(o, s->eta_range_s));
}

static cJSON *board_hold_encode(const struct board_hold *h, int off)
{
	cJSON *o = cJSON_CreateObject();
	return pj_finish(o, !o || pj_add_str(o, "ticket", h->ticket_id) || pj_add_str(o, "code", h->code) ||
	    pj_add_str(o, "stage", h->stage) || pj_add_time(o, "until", h->until, off));
}

/* Appends the first n (at most max) elements, each `expr` of i, to arr
 * unless `failed`; sets failed when one does not go in. */
#define ADD_EACH(failed, arr, n, max, expr) \
	for (int i = 0; !(failed) && i < pj_clamp_count(n, max); i++) \
		(failed) = pj_add_to_array(arr, expr)

cJSON *proto_board_encode(const struct board *b, int utc_offset_s)
{
	int off = utc_offset_s;
	cJSON *o = cJSON_CreateObject(), *stages = NULL, *stations = NULL,
	      *calls = NULL, *holds = NULL;
	int failed = !o || pj_add_str(o, "event", b->event) ||
	    pj_add_time(o, "at", b->at, off) ||
	    !(stages = cJSON_AddArrayToObject(o, "stages")) ||
	    !(stations = cJSON_AddArrayToObject(o, "stations")) ||
	    !(calls = cJSON_AddArrayToObject(o, "calls")) ||
	    !(holds = cJSON_AddArrayToObject(o, "holds")) ||
	    pj_add_int(o, "issued_today", b->issued_today) ||
	    pj_add_int(o, "doses_today", b->doses_today) ||
	    pj_add_int(o, "target", b->target);

	ADD_EACH(failed, stages, b->nstages, PROTO_MAX_STAGES, board_stage_encode(&b->stages[i]));
	ADD_EACH(failed, stations, b->nstations, PROTO_MAX_STATIONS,
	    proto_station_encode(&b->stations[i]));
	ADD_EACH(failed, calls, b->ncalls, PROTO_MAX_CALLS, proto_call_encode(&b->calls[i], off));
	ADD_EACH(failed, holds, b->nholds, PROTO_MAX_HOLDS, board_hold_encode(&b->holds[i], off));
	return pj_finish(o, failed);
}

static int board_stage_decode(const cJSON *j, const char *ctx, void *dst, char *err)
{
	struct board_stage *s = dst;

	if (pj_get_str(j, ctx, "id", PJ_REQUIRED, s->id, sizeof s->id, err) ||
	    pj_get_str(j, ctx, "name", PJ_OPTIONAL, s->name, sizeof s->name, err) ||
	    pj_get_int(j, ctx, "waiting", PJ_OPTIONAL, 0, 0, &s->waiting, err) ||
	    pj_get_int(j, ctx, "eta_s", PJ_OPTIONAL, 0, -1, &s->eta_s, err) ||
	    proto_range_decode(j, ctx, s->eta_range_s, err))
		return -1;
	return 0;
}

static int board_hold_decode(const cJSON *j, const char *ctx, void *dst, char *err)
{
	struct board_hold *h = dst;

	if (pj_get_str(j, ctx, "ticket", PJ_REQUIRED, h->ticket_id, sizeof h->ticket_id, err) ||
	    pj_get_str(j, ctx, "code", PJ_REQUIRED, h->code, sizeof h->code, err) ||
	    pj_get_str(j, ctx, "stage", PJ_OPTIONAL, h->stage, sizeof h->stage, err) ||
	    pj_get_time(j, ctx, "until", PJ_REQUIRED, &h->until, err))
		return -1;
	return 0;
}

int proto_board_decode(const cJSON *j, struct board *b, char *err)
{
	static const char ctx[] = "board";
	const cJSON *stages, *stations, *calls, *holds;

	memset(b, 0, sizeof *b);
	if (pj_need_object(j, ctx, err) ||
	    pj_get_str(j, ctx, "event", PJ_REQUIRED, b->event, sizeof b->event, err) ||
	    pj_get_time(j, ctx, "at", PJ_OPTIONAL, &b->at, err) ||
	    pj_get_array(j, ctx, "stages", PJ_REQUIRED, PROTO_MAX_STAGES, &stages,
		&b->nstages, err) ||
	    pj_get_array(j, ctx, "stations", PJ_OPTIONAL, PROTO_MAX_STATIONS, &stations,
		&b->nstations, err) ||
	    pj_get_array(j, ctx, "calls", PJ_OPTIONAL, PROTO_MAX_CALLS, &calls,
		&b->ncalls, err) ||
	    pj_get_array(j, ctx, "holds", PJ_OPTIONAL, PROTO_MAX_HOLDS, &holds,
		&b->nholds, err) ||
	    pj_get_int(j, ctx, "issued_today", PJ_OPTIONAL, 0, 0, &b->issued_today, err) ||
	    pj_get_int(j, ctx, "doses_today", PJ_OPTIONAL, 0, 0, &b->doses_today, err) ||
	    pj_get_int(j, ctx, "target", PJ_OPTIONAL, 0, 0, &b->target, err))
		return -1;
	if (pj_decode_each(stages, "board.stages", b->stages, sizeof b->stages[0],
		board_stage_decode, NULL, err) ||
	    pj_decode_each(stations, "board.stations", b->stations,
		sizeof b->stations[0], proto_station_decode_at, NULL, err) ||
	    pj_decode_each(calls, "board.calls", b->calls, sizeof b->calls[0],
		proto_call_decode_at, NULL, err) ||
	    pj_decode_each(holds, "board.holds", b->holds, sizeof b->holds[0],
		board_hold_decode, NULL, err))
		return -1;
	return 0;
}

/* ---- the delta (the stream's `delta` event) ------------------------------ */

/* A count of the delta: present only when it changed (-1: the same). */
static int add_count(cJSON *o, const char *name, int v)
{
	return v >= 0 ? pj_add_int(o, name, v) : 0;
}

/* A list of the delta: present only when it has entries. */
static cJSON *add_list(cJSON *o, const char *name, int n, int *failed)
{
	cJSON *a = NULL;

	if (n > 0 && !*failed && (a = cJSON_AddArrayToObject(o, name)) == NULL)
		*failed = 1;
	return a;
}

cJSON *proto_board_delta_encode(const struct board_delta *d, int utc_offset_s)
{
	int off = utc_offset_s;
	cJSON *o = cJSON_CreateObject();
	int failed = !o || pj_add_time(o, "at", d->at, off);
	cJSON *stages = add_list(o, "stages", d->nstages, &failed),
	      *stations = add_list(o, "stations", d->nstations, &failed),
	      *calls = add_list(o, "calls", d->ncalls, &failed),
	      *holds = add_list(o, "holds", d->nholds, &failed),
	      *gone = add_list(o, "holds_gone", d->ngone, &failed);

	ADD_EACH(failed, stages, d->nstages, PROTO_MAX_STAGES, board_stage_encode(&d->stages[i]));
	ADD_EACH(failed, stations, d->nstations, PROTO_MAX_STATIONS,
	    proto_station_encode(&d->stations[i]));
	ADD_EACH(failed, calls, d->ncalls, PROTO_MAX_CALLS, proto_call_encode(&d->calls[i], off));
	ADD_EACH(failed, holds, d->nholds, PROTO_MAX_HOLDS, board_hold_encode(&d->holds[i], off));
	ADD_EACH(failed, gone, d->ngone, PROTO_MAX_HOLDS, cJSON_CreateString(d->gone[i]));
	return pj_finish(o, failed || !o || add_count(o, "issued_today", d->issued_today) ||
	    add_count(o, "doses_today", d->doses_today) || add_count(o, "target", d->target));
}

static int delta_gone_decode(const cJSON *j, struct board_delta *d, char *err)
{
	const cJSON *gone, *it;

	if (pj_get_array(j, "delta", "holds_gone", PJ_OPTIONAL, PROTO_MAX_HOLDS, &gone,
	    &d->ngone, err))
		return -1;
	d->ngone = 0;
	cJSON_ArrayForEach(it, gone) {
		const char *s = cJSON_GetStringValue(it);
		if (s == NULL || strlen(s) >= sizeof d->gone[0])
			return pj_fail(err, "delta", "holds_gone", "must be ticket ids");
		memcpy(d->gone[d->ngone++], s, strlen(s) + 1);
	}
	return 0;
}

int proto_board_delta_decode(const cJSON *j, struct board_delta *d, char *err)
{
	static const char ctx[] = "delta";
	const cJSON *stages, *stations, *calls, *holds;

	memset(d, 0, sizeof *d);
	if (pj_need_object(j, ctx, err) ||
	    pj_get_time(j, ctx, "at", PJ_OPTIONAL, &d->at, err) ||
	    pj_get_array(j, ctx, "stages", PJ_OPTIONAL, PROTO_MAX_STAGES, &stages,
		&d->nstages, err) ||
	    pj_get_array(j, ctx, "stations", PJ_OPTIONAL, PROTO_MAX_STATIONS, &stations,
		&d->nstations, err) ||
	    pj_get_array(j, ctx, "calls", PJ_OPTIONAL, PROTO_MAX_CALLS, &calls,
		&d->ncalls, err) ||
	    pj_get_array(j, ctx, "holds", PJ_OPTIONAL, PROTO_MAX_HOLDS, &holds,
		&d->nholds, err) ||
	    delta_gone_decode(j, d, err) ||
	    pj_get_int(j, ctx, "issued_today", PJ_OPTIONAL, 0, -1, &d->issued_today, err) ||
	    pj_get_int(j, ctx, "doses_today", PJ_OPTIONAL, 0, -1, &d->doses_today, err) ||
	    pj_get_int(j, ctx, "target", PJ_OPTIONAL, 0, -1, &d->target, err))
		return -1;
	if (pj_decode_each(stages, "delta.stages", d->stages, sizeof d->stages[0],
		board_stage_decode, NULL, err) ||
	    pj_decode_each(stations, "delta.stations", d->stations,
		sizeof d->stations[0], proto_station_decode_at, NULL, err) ||
	    pj_decode_each(calls, "delta.calls", d->calls, sizeof d->calls[0],
		proto_call_decode_at, NULL, err) ||
	    pj_decode_each(holds, "delta.holds", d->holds, sizeof d->holds[0],
		board_hold_decode, NULL, err))
		return -1;
	return 0;
}
