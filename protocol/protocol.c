/*
 * protocol.c: the antre v1 wire types and their JSON codecs (see protocol.h):
 * ticket states, times, and the ticket, station, call and error types.  The
 * board is in proto_board.c, the organisers' figures in proto_stats.c, the
 * field readers and writers they all share in proto_json.c.
 *
 * Encoders build with cJSON and, on allocation failure, free what they built
 * and return NULL.
 */
#include "protocol.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "proto_json.h"

/* ---- ticket states ------------------------------------------------------ */

static const char *const state_names[TICKET_STATE_COUNT] = {
	[TICKET_WAITING] = "waiting",
	[TICKET_CALLED] = "called",
	[TICKET_SERVING] = "serving",
	[TICKET_SKIPPED] = "skipped",
	[TICKET_DONE] = "done",
	[TICKET_DEFERRED] = "deferred",
	[TICKET_REFUSED] = "refused",
	[TICKET_CANCELLED] = "cancelled",
};

const char *proto_ticket_state_name(enum ticket_state s)
{
	if ((unsigned)s >= TICKET_STATE_COUNT)
		return NULL;
	return state_names[s];
}

int proto_ticket_state_parse(const char *name, enum ticket_state *out)
{
	if (!name)
		return -1;
	for (int i = 0; i < TICKET_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum ticket_state)i;
			return 0;
		}
	}
	return -1;
}

/* ---- times -------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static char *put2(char *p, int v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

char *proto_time_format(int64_t ms, int utc_offset_s, char *buf, size_t size)
{
	/* Split before adding the offset so that no value can overflow. */
	int64_t secs = floor_div(ms, 1000) + utc_offset_s;
	int frac = (int)(ms % 1000);
	if (frac < 0)
		frac += 1000;
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	int64_t y;
	int mo, d;
	civil_from_days(days, &y, &mo, &d);

	int64_t off = utc_offset_s;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	if (y >= 0 && y <= 9999 && size >= 30) {
		/* the common case without printf: it runs for every time in
		 * every ticket the daemon sends */
		char *p = buf;
		p = put2(p, (int)(y / 100));
		p = put2(p, (int)(y % 100));
		*p++ = '-';
		p = put2(p, mo);
		*p++ = '-';
		p = put2(p, d);
		*p++ = 'T';
		p = put2(p, (int)(sod / 3600));
		*p++ = ':';
		p = put2(p, (int)(sod / 60 % 60));
		*p++ = ':';
		p = put2(p, (int)(sod % 60));
		if (frac != 0) {
			*p++ = '.';
			*p++ = (char)('0' + frac / 100);
			p = put2(p, frac % 100);
		}
		*p++ = sign;
		p = put2(p, (int)(off / 3600 % 100));
		*p++ = ':';
		p = put2(p, (int)(off / 60 % 60));
		*p = '\0';
		return buf;
	}
	char fracbuf[8] = "";
	if (frac != 0)
		snprintf(fracbuf, sizeof fracbuf, ".%03d", frac);
	snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d%s%c%02lld:%02lld",
	    (long long)y, mo, d, (int)(sod / 3600), (int)(sod / 60 % 60),
	    (int)(sod % 60), fracbuf, sign, (long long)(off / 3600),
	    (long long)(off / 60 % 60));
	return buf;
}

/* Reads exactly n digits. */
static int read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = **p;
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int read_char(const char **p, char c)
{
	if (**p != c)
		return -1;
	(*p)++;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int proto_time_parse(const char *s, int64_t *ms)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, frac = 0, off = 0;
	const char *p = s;

	if (!s || read_digits(&p, 4, &y) || read_char(&p, '-') ||
	    read_digits(&p, 2, &mo) || read_char(&p, '-') ||
	    read_digits(&p, 2, &d) || read_char(&p, 'T') ||
	    read_digits(&p, 2, &h) || read_char(&p, ':') ||
	    read_digits(&p, 2, &mi) || read_char(&p, ':') ||
	    read_digits(&p, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && is_leap(y)) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;

	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			if (n < 3)
				frac = frac * 10 + (*p - '0');
		}
		if (n < 1 || n > 9)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}

	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;
		if (read_digits(&p, 2, &oh) || read_char(&p, ':') ||
		    read_digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;

	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - off;
	/* only moments every offset writes back with a four-digit year */
	if (secs < days_from_civil(0, 1, 2) * 86400 || secs >= days_from_civil(9999, 12, 31) * 86400)
		return -1;
	*ms = secs * 1000 + frac;
	return 0;
}

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
	    pj_add_int(o, "recalls", t->recalls) ||
	    !(visits = cJSON_AddArrayToObject(o, "visits"));

	for (int i = 0; !failed && i < pj_clamp_count(t->nvisits, PROTO_MAX_STAGES * 2); i++)
		failed = pj_add_to_array(visits, visit_encode(&t->visits[i], off));
	return pj_finish(o, failed);
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
	t->position = t->eta_s = -1;
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
		    pj_add_str(tk, "id", s->ticket_id) || pj_add_str(tk, "code", s->ticket_code);
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
		    pj_get_str(tk, sub, "code", PJ_REQUIRED, s->ticket_code, sizeof s->ticket_code, err))
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
