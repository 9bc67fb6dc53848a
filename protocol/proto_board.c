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
