/*
 * proto_ticket.c: the codecs of a ticket, a station, a call and the error
 * body (protocol.h).  Encoders build with cJSON and, on allocation
 * failure, free what they built and return NULL.
 */
#include "protocol.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "proto_json.h"

/* ---- ticket ------------------------------------------------------------- */

static cJSON *visit_encode(const struct ticket_visit *v, int off)
{
	cJSON *o = cJSON_CreateObject();
	return pj_finish(o, !o || pj_add_str(o, "stage", v->stage) ||
	    pj_add_opt_str(o, "station", v->station) ||
	    pj_add_opt_time(o, "queued_at", v->queued_at, off) ||
	    pj_add_opt_time(o, "called_at", v->called_at, off) ||
	    pj_add_opt_time(o, "started_at", v->started_at, off) ||
	    pj_add_opt_time(o, "completed_at", v->completed_at, off) ||
	    pj_add_opt_str(o, "outcome", v->outcome));
}

/* eta_range_s: [low, high], or null when unknown (low < 0); a ticket's and
 * a board stage's (proto_json.h). */
int proto_range_encode(cJSON *o, const int r[2])
{
	cJSON *a;

	if (r[0] < 0 || r[1] < r[0])
		return !cJSON_AddNullToObject(o, "eta_range_s");
	if (!(a = cJSON_AddArrayToObject(o, "eta_range_s")))
		return -1;
	return pj_add_to_array(a, cJSON_CreateNumber(r[0])) ||
	    pj_add_to_array(a, cJSON_CreateNumber(r[1]));
}

int proto_range_decode(const cJSON *j, const char *ctx, int r[2], char *err)
{
	const cJSON *a;
	int n;

	r[0] = r[1] = -1;
	if (pj_get_array(j, ctx, "eta_range_s", PJ_OPTIONAL, 2, &a, &n, err))
		return -1;
	if (!a)
		return 0;
	for (int i = 0; i < 2; i++) {
		const cJSON *x = cJSON_GetArrayItem(a, i);
		if (n != 2 || !cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 1e9 ||
		    x->valuedouble != (double)(int)x->valuedouble)
			return pj_fail(err, ctx, "eta_range_s", "expected [low, high] in seconds");
		r[i] = (int)x->valuedouble;
	}
	if (r[1] < r[0])
		return pj_fail(err, ctx, "eta_range_s", "low is above high");
	return 0;
}

cJSON *proto_ticket_encode(const struct ticket *t, int utc_offset_s)
{
	int off = utc_offset_s;
	cJSON *o = cJSON_CreateObject(), *visits = NULL;
	int failed = !o || pj_add_str(o, "id", t->id) || pj_add_str(o, "code", t->code) ||
	    pj_add_str(o, "service", t->service) ||
	    pj_add_str(o, "priority", t->priority) ||
	    pj_add_opt_str(o, "area", t->area) ||
	    pj_add_opt_str(o, "state", proto_ticket_state_name(t->state)) ||
	    pj_add_str(o, "stage", t->stage) ||
	    pj_add_opt_str(o, "station", t->station) ||
	    pj_add_time(o, "issued_at", t->issued_at, off) ||
	    pj_add_opt_time(o, "hold_until", t->hold_until, off) ||
	    pj_add_opt_int(o, "position", t->position) ||
	    pj_add_opt_int(o, "eta_s", t->eta_s) ||
	    proto_range_encode(o, t->eta_range_s) ||
	    pj_add_opt_int(o, "leave_eta_s", t->leave_eta_s) ||
	    pj_add_int(o, "recalls", t->recalls) ||
	    !(visits = cJSON_AddArrayToObject(o, "visits"));

	for (int i = 0; !failed && i < pj_clamp_count(t->nvisits, PROTO_MAX_STAGES * 2); i++)
		failed = pj_add_to_array(visits, visit_encode(&t->visits[i], off));
	return pj_finish(o, failed);
}

/* ---- a ticket as text (proto_ticket_text) -------------------------------
 * The encoder above, member for member, written as text: the reply to an
 * issue skips building, printing and freeing its tree.  Each helper writes
 * what the pj_add_ of the same name adds; n counts the members so far. */

/* ,"name": in one piece: the names are literals with nothing to escape. */
static void text_key(struct proto_text *o, const char *name, int *n)
{
	char k[32];
	size_t len = strlen(name);

	if (len + 4 > sizeof k) {            /* none is this long */
		o->failed = 1;
		return;
	}
	k[0] = ',';
	k[1] = '"';
	memcpy(k + 2, name, len);
	k[len + 2] = '"';
	k[len + 3] = ':';
	if ((*n)++)
		proto_text_add(o, k, len + 4);
	else
		proto_text_add(o, k + 1, len + 3);
}

static void text_null(struct proto_text *o, const char *name, int *n)
{
	text_key(o, name, n);
	proto_text_add(o, "null", 4);
}

static void text_str(struct proto_text *o, const char *name, const char *s, int *n)
{
	text_key(o, name, n);
	proto_text_str(o, s);
}

static void text_opt_str(struct proto_text *o, const char *name, const char *s, int *n)
{
	if (!s || !s[0])
		text_null(o, name, n);
	else
		text_str(o, name, s, n);
}

static void text_opt_int(struct proto_text *o, const char *name, int v, int *n)
{
	if (v < 0) {
		text_null(o, name, n);
		return;
	}
	text_key(o, name, n);
	proto_text_num(o, v);
}

static void text_opt_time(struct proto_text *o, const char *name, int64_t ms, int off,
    int *n)
{
	char buf[48];

	if (ms == 0)
		text_null(o, name, n);
	else
		text_str(o, name, proto_time_format(ms, off, buf, sizeof buf), n);
}

static void visit_text(struct proto_text *o, const struct ticket_visit *v, int off)
{
	int n = 0;

	proto_text_add(o, "{", 1);
	text_str(o, "stage", v->stage, &n);
	text_opt_str(o, "station", v->station, &n);
	text_opt_time(o, "queued_at", v->queued_at, off, &n);
	text_opt_time(o, "called_at", v->called_at, off, &n);
	text_opt_time(o, "started_at", v->started_at, off, &n);
	text_opt_time(o, "completed_at", v->completed_at, off, &n);
	text_opt_str(o, "outcome", v->outcome, &n);
	proto_text_add(o, "}", 1);
}

void proto_ticket_text(struct proto_text *o, const struct ticket *t, int utc_offset_s,
    bool full)
{
	int off = utc_offset_s, n = 0;
	char buf[48];

	text_str(o, "id", t->id, &n);
	text_str(o, "code", t->code, &n);
	text_str(o, "service", t->service, &n);
	if (full) {
		text_str(o, "priority", t->priority, &n);
		text_opt_str(o, "area", t->area, &n);
	}
	text_opt_str(o, "state", proto_ticket_state_name(t->state), &n);
	text_str(o, "stage", t->stage, &n);
	text_opt_str(o, "station", t->station, &n);
	text_str(o, "issued_at", proto_time_format(t->issued_at, off, buf, sizeof buf), &n);
	text_opt_time(o, "hold_until", t->hold_until, off, &n);
	text_opt_int(o, "position", t->position, &n);
	text_opt_int(o, "eta_s", t->eta_s, &n);
	if (t->eta_range_s[0] < 0 || t->eta_range_s[1] < t->eta_range_s[0])
		text_null(o, "eta_range_s", &n);
	else {
		text_key(o, "eta_range_s", &n);
		proto_text_add(o, "[", 1);
		proto_text_num(o, t->eta_range_s[0]);
		proto_text_add(o, ",", 1);
		proto_text_num(o, t->eta_range_s[1]);
		proto_text_add(o, "]", 1);
	}
	text_opt_int(o, "leave_eta_s", t->leave_eta_s, &n);
	text_key(o, "recalls", &n);
	proto_text_num(o, t->recalls);
	if (!full)
		return;
	text_key(o, "visits", &n);
	proto_text_add(o, "[", 1);
	for (int i = 0; i < pj_clamp_count(t->nvisits, PROTO_MAX_STAGES * 2); i++) {
		if (i)
			proto_text_add(o, ",", 1);
		visit_text(o, &t->visits[i], off);
	}
	proto_text_add(o, "]", 1);
}

static int visit_decode(const cJSON *j, const char *ctx, void *dst, char *err)
{
	struct ticket_visit *v = dst;

	if (pj_get_str(j, ctx, "stage", PJ_REQUIRED, v->stage, sizeof v->stage, err) ||
	    pj_get_str(j, ctx, "station", PJ_OPTIONAL, v->station, sizeof v->station, err) ||
	    pj_get_time(j, ctx, "queued_at", PJ_OPTIONAL, &v->queued_at, err) ||
	    pj_get_time(j, ctx, "called_at", PJ_OPTIONAL, &v->called_at, err) ||
	    pj_get_time(j, ctx, "started_at", PJ_OPTIONAL, &v->started_at, err) ||
	    pj_get_time(j, ctx, "completed_at", PJ_OPTIONAL, &v->completed_at, err) ||
	    pj_get_str(j, ctx, "outcome", PJ_OPTIONAL, v->outcome, sizeof v->outcome, err))
		return -1;
	return 0;
}

int proto_ticket_decode(const cJSON *j, struct ticket *t, char *err)
{
	static const char ctx[] = "ticket";
	char state[32];
	const cJSON *visits;

	memset(t, 0, sizeof *t);
	t->position = t->eta_s = t->leave_eta_s = -1;
	if (pj_need_object(j, ctx, err) ||
	    pj_get_str(j, ctx, "id", PJ_REQUIRED, t->id, sizeof t->id, err) ||
	    pj_get_str(j, ctx, "code", PJ_REQUIRED, t->code, sizeof t->code, err) ||
	    pj_get_str(j, ctx, "service", PJ_REQUIRED, t->service, sizeof t->service, err) ||
	    pj_get_str(j, ctx, "priority", PJ_OPTIONAL, t->priority, sizeof t->priority, err) ||
	    pj_get_str(j, ctx, "area", PJ_OPTIONAL, t->area, sizeof t->area, err) ||
	    pj_get_str(j, ctx, "state", PJ_REQUIRED, state, sizeof state, err) ||
	    pj_get_str(j, ctx, "stage", PJ_REQUIRED, t->stage, sizeof t->stage, err) ||
	    pj_get_str(j, ctx, "station", PJ_OPTIONAL, t->station, sizeof t->station, err) ||
	    pj_get_time(j, ctx, "issued_at", PJ_REQUIRED, &t->issued_at, err) ||
	    pj_get_time(j, ctx, "hold_until", PJ_OPTIONAL, &t->hold_until, err) ||
	    pj_get_int(j, ctx, "position", PJ_OPTIONAL, 0, -1, &t->position, err) ||
	    pj_get_int(j, ctx, "eta_s", PJ_OPTIONAL, 0, -1, &t->eta_s, err) ||
	    proto_range_decode(j, ctx, t->eta_range_s, err) ||
	    pj_get_int(j, ctx, "leave_eta_s", PJ_OPTIONAL, 0, -1, &t->leave_eta_s, err) ||
	    pj_get_int(j, ctx, "recalls", PJ_OPTIONAL, 0, 0, &t->recalls, err) ||
	    pj_get_array(j, ctx, "visits", PJ_OPTIONAL, PROTO_MAX_STAGES * 2, &visits,
		&t->nvisits, err))
		return -1;
	if (proto_ticket_state_parse(state, &t->state) != 0)
		return pj_fail(err, ctx, "state", "unknown state \"%s\"", state);
	return pj_decode_each(visits, "ticket.visits", t->visits, sizeof t->visits[0],
	    visit_decode, NULL, err);
}

/* ---- station ------------------------------------------------------------ */

static const char *station_state_name(enum station_state s)
{
	return s == STATION_OPEN ? "open" : s == STATION_PAUSED ? "paused" : NULL;
}

cJSON *proto_station_encode(const struct station *s)
{
	cJSON *o = cJSON_CreateObject(), *tk = NULL;
	int failed = !o || pj_add_str(o, "id", s->id) || pj_add_str(o, "stage", s->stage) ||
	    pj_add_int(o, "number", s->number) ||
	    pj_add_opt_str(o, "state", station_state_name(s->state));

	/* the encoder writes a station without a ticket id as "ticket": null */
	if (!failed && !s->ticket_id[0])
		failed = !cJSON_AddNullToObject(o, "ticket");
	else if (!failed)
		failed = !(tk = cJSON_AddObjectToObject(o, "ticket")) ||
		    pj_add_str(tk, "id", s->ticket_id) || pj_add_str(tk, "code", s->ticket_code) ||
		    (s->ticket_state[0] && pj_add_str(tk, "state", s->ticket_state));
	return pj_finish(o, failed);
}

int proto_station_decode_at(const cJSON *j, const char *ctx, void *dst, char *err)
{
	struct station *s = dst;
	char state[16], sub[48];
	const cJSON *tk;

	memset(s, 0, sizeof *s);
	if (pj_need_object(j, ctx, err) ||
	    pj_get_str(j, ctx, "id", PJ_REQUIRED, s->id, sizeof s->id, err) ||
	    pj_get_str(j, ctx, "stage", PJ_REQUIRED, s->stage, sizeof s->stage, err) ||
	    pj_get_int(j, ctx, "number", PJ_REQUIRED, 1, 0, &s->number, err) ||
	    pj_get_str(j, ctx, "state", PJ_REQUIRED, state, sizeof state, err))
		return -1;
	if (strcmp(state, "open") == 0)
		s->state = STATION_OPEN;
	else if (strcmp(state, "paused") == 0)
		s->state = STATION_PAUSED;
	else
		return pj_fail(err, ctx, "state", "unknown state \"%s\"", state);
	if ((tk = pj_field(j, "ticket")) != NULL) {
		snprintf(sub, sizeof sub, "%s.ticket", ctx);
		if (pj_need_object(tk, sub, err) ||
		    pj_get_str(tk, sub, "id", PJ_REQUIRED, s->ticket_id, sizeof s->ticket_id, err) ||
		    pj_get_str(tk, sub, "code", PJ_REQUIRED, s->ticket_code, sizeof s->ticket_code, err) ||
		    pj_get_str(tk, sub, "state", PJ_OPTIONAL, s->ticket_state, sizeof s->ticket_state,
		    err))
			return -1;
		/* the encoder writes a station without a ticket id as "ticket": null */
		if (s->ticket_id[0] == '\0')
			return pj_fail(err, sub, "id", "empty");
	}
	return 0;
}

int proto_station_decode(const cJSON *j, struct station *s, char *err)
{
	return proto_station_decode_at(j, "station", s, err);
}

/* ---- call --------------------------------------------------------------- */

cJSON *proto_call_encode(const struct call *c, int utc_offset_s)
{
	cJSON *o = cJSON_CreateObject();
	return pj_finish(o, !o || pj_add_str(o, "ticket", c->ticket_id) || pj_add_str(o, "code", c->code) ||
	    pj_add_str(o, "station", c->station) || pj_add_str(o, "stage", c->stage) ||
	    pj_add_int(o, "station_number", c->station_number) ||
	    pj_add_bool(o, "recall", c->recall) ||
	    pj_add_time(o, "at", c->at, utc_offset_s));
}

int proto_call_decode_at(const cJSON *j, const char *ctx, void *dst, char *err)
{
	struct call *c = dst;

	memset(c, 0, sizeof *c);
	if (pj_need_object(j, ctx, err) ||
	    pj_get_str(j, ctx, "ticket", PJ_REQUIRED, c->ticket_id, sizeof c->ticket_id, err) ||
	    pj_get_str(j, ctx, "code", PJ_REQUIRED, c->code, sizeof c->code, err) ||
	    pj_get_str(j, ctx, "station", PJ_REQUIRED, c->station, sizeof c->station, err) ||
	    pj_get_str(j, ctx, "stage", PJ_REQUIRED, c->stage, sizeof c->stage, err) ||
	    pj_get_int(j, ctx, "station_number", PJ_OPTIONAL, 0, 0, &c->station_number, err) ||
	    pj_get_time(j, ctx, "at", PJ_REQUIRED, &c->at, err) ||
	    pj_get_bool(j, ctx, "recall", PJ_OPTIONAL, &c->recall, err))
		return -1;
	return 0;
}

int proto_call_decode(const cJSON *j, struct call *c, char *err)
{
	return proto_call_decode_at(j, "call", c, err);
}

/* ---- error -------------------------------------------------------------- */

cJSON *proto_error_encode(const char *code, const char *message)
{
	cJSON *o = cJSON_CreateObject(), *e = NULL;
	return pj_finish(o, !o || !(e = cJSON_AddObjectToObject(o, "error")) ||
	    pj_add_str(e, "code", code ? code : "") ||
	    pj_add_str(e, "message", message ? message : ""));
}

int proto_error_decode(const cJSON *j, struct proto_error *e, char *err)
{
	const cJSON *inner;

	memset(e, 0, sizeof *e);
	if (pj_need_object(j, "response", err))
		return -1;
	if (!(inner = pj_field(j, "error")))
		return pj_fail(err, "error", NULL, "missing");
	if (pj_need_object(inner, "error", err) ||
	    pj_get_str(inner, "error", "code", PJ_REQUIRED, e->code, sizeof e->code, err) ||
	    pj_get_str(inner, "error", "message", PJ_REQUIRED, e->message, sizeof e->message, err))
		return -1;
	return 0;
}
