/*
 * protocol.c: the antre v1 wire types and their JSON codecs (see protocol.h).
 *
 * Decoders share a handful of field readers that check presence, type and
 * range and write a "context.field: reason" message on failure.  Optional
 * fields may be absent or null; required ones must be present and non-null.
 * Encoders build with cJSON and, on allocation failure, free what they built
 * and return NULL.
 */
#include "protocol.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* ---- decoding helpers --------------------------------------------------- */

enum { OPTIONAL = 0, REQUIRED = 1 };

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int fail(char *err, const char *ctx, const char *field, const char *fmt, ...)
{
	if (!err)
		return -1;
	int n = field ? snprintf(err, PROTO_ERR_MAX, "%s.%s: ", ctx, field)
		      : snprintf(err, PROTO_ERR_MAX, "%s: ", ctx);
	if (n >= 0 && n < PROTO_ERR_MAX) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err + n, PROTO_ERR_MAX - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The named member, or NULL when it is absent or null. */
static const cJSON *field(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsNull(it) ? NULL : it;
}

static int get_str(const cJSON *o, const char *ctx, const char *name, int req,
    char *dst, size_t size, char *err)
{
	const cJSON *it = field(o, name);
	dst[0] = '\0';
	if (!it)
		return req ? fail(err, ctx, name, "missing") : 0;
	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(err, ctx, name, "expected a string");
	size_t len = strlen(it->valuestring);
	if (len >= size)
		return fail(err, ctx, name, "too long (max %zu bytes)", size - 1);
	memcpy(dst, it->valuestring, len + 1);
	return 0;
}

/* An integer >= min; `dflt` when optional and absent or null. */
static int get_int(const cJSON *o, const char *ctx, const char *name, int req,
    int min, int dflt, int *out, char *err)
{
	const cJSON *it = field(o, name);
	*out = dflt;
	if (!it)
		return req ? fail(err, ctx, name, "missing") : 0;
	if (!cJSON_IsNumber(it))
		return fail(err, ctx, name, "expected an integer");
	double v = it->valuedouble;
	if (!(v >= min && v <= INT_MAX)) /* also rejects NaN */
		return fail(err, ctx, name, "out of range (min %d)", min);
	if ((double)(int)v != v)
		return fail(err, ctx, name, "expected an integer");
	*out = (int)v;
	return 0;
}

static int get_time(const cJSON *o, const char *ctx, const char *name, int req,
    int64_t *out, char *err)
{
	const cJSON *it = field(o, name);
	*out = 0;
	if (!it)
		return req ? fail(err, ctx, name, "missing") : 0;
	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(err, ctx, name, "expected an RFC 3339 time string");
	if (proto_time_parse(it->valuestring, out) != 0)
		return fail(err, ctx, name, "invalid RFC 3339 time");
	return 0;
}

/* An array of at most `max` entries; NULL (with *n = 0) when optional and absent. */
static int get_array(const cJSON *o, const char *ctx, const char *name, int req,
    int max, const cJSON **arr, int *n, char *err)
{
	const cJSON *it = field(o, name);
	*arr = NULL;
	*n = 0;
	if (!it)
		return req ? fail(err, ctx, name, "missing") : 0;
	if (!cJSON_IsArray(it))
		return fail(err, ctx, name, "expected an array");
	int count = cJSON_GetArraySize(it);
	if (count > max)
		return fail(err, ctx, name, "too many entries (max %d)", max);
	*arr = it;
	*n = count;
	return 0;
}

static int need_object(const cJSON *j, const char *ctx, char *err)
{
	return cJSON_IsObject(j) ? 0 : fail(err, ctx, NULL, "expected an object");
}

/* ---- encoding helpers --------------------------------------------------- */

/* Appends `item` (NULL when its encoder failed) to `arr`; frees it on failure. */
static int add_to_array(cJSON *arr, cJSON *item)
{
	if (!item)
		return -1;
	if (!cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

static int add_str(cJSON *o, const char *name, const char *s)
{
	return cJSON_AddStringToObject(o, name, s) ? 0 : -1;
}

/* The string, or null when it is empty or NULL. */
static int add_opt_str(cJSON *o, const char *name, const char *s)
{
	if (!s || !s[0])
		return cJSON_AddNullToObject(o, name) ? 0 : -1;
	return add_str(o, name, s);
}

static int add_int(cJSON *o, const char *name, int v)
{
	return cJSON_AddNumberToObject(o, name, v) ? 0 : -1;
}

/* The number, or null when negative (-1 = unknown / not applicable). */
static int add_opt_int(cJSON *o, const char *name, int v)
{
	if (v < 0)
		return cJSON_AddNullToObject(o, name) ? 0 : -1;
	return add_int(o, name, v);
}

static int add_time(cJSON *o, const char *name, int64_t ms, int off)
{
	char buf[48];
	return add_str(o, name, proto_time_format(ms, off, buf, sizeof buf));
}

/* The time, or null when 0 (not set). */
static int add_opt_time(cJSON *o, const char *name, int64_t ms, int off)
{
	if (ms == 0)
		return cJSON_AddNullToObject(o, name) ? 0 : -1;
	return add_time(o, name, ms, off);
}

static int clamp_count(int n, int max)
{
	return n < 0 ? 0 : n > max ? max : n;
}

/* ---- ticket ------------------------------------------------------------- */

static cJSON *visit_encode(const struct ticket_visit *v, int off)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || add_str(o, "stage", v->stage) ||
	    add_opt_str(o, "station", v->station) ||
	    add_opt_time(o, "queued_at", v->queued_at, off) ||
	    add_opt_time(o, "called_at", v->called_at, off) ||
	    add_opt_time(o, "started_at", v->started_at, off) ||
	    add_opt_time(o, "completed_at", v->completed_at, off) ||
	    add_opt_str(o, "outcome", v->outcome))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *proto_ticket_encode(const struct ticket *t, int utc_offset_s)
{
	int off = utc_offset_s;
	cJSON *o = cJSON_CreateObject(), *visits = NULL;
	if (!o || add_str(o, "id", t->id) || add_str(o, "code", t->code) ||
	    add_str(o, "service", t->service) ||
	    add_str(o, "priority", t->priority) ||
	    add_opt_str(o, "area", t->area) ||
	    add_opt_str(o, "state", proto_ticket_state_name(t->state)) ||
	    add_str(o, "stage", t->stage) ||
	    add_opt_str(o, "station", t->station) ||
	    add_time(o, "issued_at", t->issued_at, off) ||
	    add_opt_time(o, "hold_until", t->hold_until, off) ||
	    add_opt_int(o, "position", t->position) ||
	    add_opt_int(o, "eta_s", t->eta_s) ||
	    add_int(o, "recalls", t->recalls) ||
	    !(visits = cJSON_AddArrayToObject(o, "visits")))
		goto fail;
	int n = clamp_count(t->nvisits, PROTO_MAX_STAGES * 2);
	for (int i = 0; i < n; i++) {
		if (add_to_array(visits, visit_encode(&t->visits[i], off)))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int visit_decode(const cJSON *j, const char *ctx, struct ticket_visit *v,
    char *err)
{
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "stage", REQUIRED, v->stage, sizeof v->stage, err) ||
	    get_str(j, ctx, "station", OPTIONAL, v->station, sizeof v->station, err) ||
	    get_time(j, ctx, "queued_at", OPTIONAL, &v->queued_at, err) ||
	    get_time(j, ctx, "called_at", OPTIONAL, &v->called_at, err) ||
	    get_time(j, ctx, "started_at", OPTIONAL, &v->started_at, err) ||
	    get_time(j, ctx, "completed_at", OPTIONAL, &v->completed_at, err) ||
	    get_str(j, ctx, "outcome", OPTIONAL, v->outcome, sizeof v->outcome, err))
		return -1;
	return 0;
}

int proto_ticket_decode(const cJSON *j, struct ticket *t, char *err)
{
	static const char ctx[] = "ticket";
	char state[32], sub[32];
	const cJSON *visits, *it;

	memset(t, 0, sizeof *t);
	t->position = t->eta_s = -1;
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "id", REQUIRED, t->id, sizeof t->id, err) ||
	    get_str(j, ctx, "code", REQUIRED, t->code, sizeof t->code, err) ||
	    get_str(j, ctx, "service", REQUIRED, t->service, sizeof t->service, err) ||
	    get_str(j, ctx, "priority", OPTIONAL, t->priority, sizeof t->priority, err) ||
	    get_str(j, ctx, "area", OPTIONAL, t->area, sizeof t->area, err) ||
	    get_str(j, ctx, "state", REQUIRED, state, sizeof state, err) ||
	    get_str(j, ctx, "stage", REQUIRED, t->stage, sizeof t->stage, err) ||
	    get_str(j, ctx, "station", OPTIONAL, t->station, sizeof t->station, err) ||
	    get_time(j, ctx, "issued_at", REQUIRED, &t->issued_at, err) ||
	    get_time(j, ctx, "hold_until", OPTIONAL, &t->hold_until, err) ||
	    get_int(j, ctx, "position", OPTIONAL, 0, -1, &t->position, err) ||
	    get_int(j, ctx, "eta_s", OPTIONAL, 0, -1, &t->eta_s, err) ||
	    get_int(j, ctx, "recalls", OPTIONAL, 0, 0, &t->recalls, err) ||
	    get_array(j, ctx, "visits", OPTIONAL, PROTO_MAX_STAGES * 2, &visits,
		&t->nvisits, err))
		return -1;
	if (proto_ticket_state_parse(state, &t->state) != 0)
		return fail(err, ctx, "state", "unknown state \"%s\"", state);
	int i = 0;
	cJSON_ArrayForEach(it, visits) {
		snprintf(sub, sizeof sub, "ticket.visits[%d]", i);
		if (visit_decode(it, sub, &t->visits[i++], err))
			return -1;
	}
	return 0;
}

/* ---- station ------------------------------------------------------------ */

static const char *station_state_name(enum station_state s)
{
	return s == STATION_OPEN ? "open" : s == STATION_PAUSED ? "paused" : NULL;
}

cJSON *proto_station_encode(const struct station *s)
{
	cJSON *o = cJSON_CreateObject(), *tk = NULL;
	if (!o || add_str(o, "id", s->id) || add_str(o, "stage", s->stage) ||
	    add_int(o, "number", s->number) ||
	    add_opt_str(o, "state", station_state_name(s->state)))
		goto fail;
	if (!s->ticket_id[0]) {
		if (!cJSON_AddNullToObject(o, "ticket"))
			goto fail;
	} else if (!(tk = cJSON_AddObjectToObject(o, "ticket")) ||
	    add_str(tk, "id", s->ticket_id) || add_str(tk, "code", s->ticket_code)) {
		goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int station_decode(const cJSON *j, const char *ctx, struct station *s,
    char *err)
{
	char state[16], sub[48];
	const cJSON *tk;

	memset(s, 0, sizeof *s);
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "id", REQUIRED, s->id, sizeof s->id, err) ||
	    get_str(j, ctx, "stage", REQUIRED, s->stage, sizeof s->stage, err) ||
	    get_int(j, ctx, "number", REQUIRED, 1, 0, &s->number, err) ||
	    get_str(j, ctx, "state", REQUIRED, state, sizeof state, err))
		return -1;
	if (strcmp(state, "open") == 0)
		s->state = STATION_OPEN;
	else if (strcmp(state, "paused") == 0)
		s->state = STATION_PAUSED;
	else
		return fail(err, ctx, "state", "unknown state \"%s\"", state);
	if ((tk = field(j, "ticket")) != NULL) {
		snprintf(sub, sizeof sub, "%s.ticket", ctx);
		if (need_object(tk, sub, err) ||
		    get_str(tk, sub, "id", REQUIRED, s->ticket_id, sizeof s->ticket_id, err) ||
		    get_str(tk, sub, "code", REQUIRED, s->ticket_code, sizeof s->ticket_code, err))
			return -1;
		/* the encoder writes a station without a ticket id as "ticket": null */
		if (s->ticket_id[0] == '\0')
			return fail(err, sub, "id", "empty");
	}
	return 0;
}

int proto_station_decode(const cJSON *j, struct station *s, char *err)
{
	return station_decode(j, "station", s, err);
}

/* ---- call --------------------------------------------------------------- */

cJSON *proto_call_encode(const struct call *c, int utc_offset_s)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || add_str(o, "ticket", c->ticket_id) || add_str(o, "code", c->code) ||
	    add_str(o, "station", c->station) || add_str(o, "stage", c->stage) ||
	    add_int(o, "station_number", c->station_number) ||
	    !cJSON_AddBoolToObject(o, "recall", c->recall) ||
	    add_time(o, "at", c->at, utc_offset_s))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int call_decode(const cJSON *j, const char *ctx, struct call *c, char *err)
{
	const cJSON *recall;

	memset(c, 0, sizeof *c);
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "ticket", REQUIRED, c->ticket_id, sizeof c->ticket_id, err) ||
	    get_str(j, ctx, "code", REQUIRED, c->code, sizeof c->code, err) ||
	    get_str(j, ctx, "station", REQUIRED, c->station, sizeof c->station, err) ||
	    get_str(j, ctx, "stage", REQUIRED, c->stage, sizeof c->stage, err) ||
	    get_int(j, ctx, "station_number", OPTIONAL, 0, 0, &c->station_number, err) ||
	    get_time(j, ctx, "at", REQUIRED, &c->at, err))
		return -1;
	if ((recall = field(j, "recall")) != NULL) {
		if (!cJSON_IsBool(recall))
			return fail(err, ctx, "recall", "expected a boolean");
		c->recall = cJSON_IsTrue(recall);
	}
	return 0;
}

int proto_call_decode(const cJSON *j, struct call *c, char *err)
{
	return call_decode(j, "call", c, err);
}

/* ---- board -------------------------------------------------------------- */

static cJSON *board_stage_encode(const struct board_stage *s)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || add_str(o, "id", s->id) || add_str(o, "name", s->name) ||
	    add_int(o, "waiting", s->waiting) || add_opt_int(o, "eta_s", s->eta_s))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *board_hold_encode(const struct board_hold *h, int off)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || add_str(o, "ticket", h->ticket_id) || add_str(o, "code", h->code) ||
	    add_str(o, "stage", h->stage) || add_time(o, "until", h->until, off))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *proto_board_encode(const struct board *b, int utc_offset_s)
{
	cJSON *o = cJSON_CreateObject(), *stages = NULL, *stations = NULL,
	      *calls = NULL, *holds = NULL;
	if (!o || add_str(o, "event", b->event) ||
	    add_time(o, "at", b->at, utc_offset_s) ||
	    !(stages = cJSON_AddArrayToObject(o, "stages")) ||
	    !(stations = cJSON_AddArrayToObject(o, "stations")) ||
	    !(calls = cJSON_AddArrayToObject(o, "calls")) ||
	    !(holds = cJSON_AddArrayToObject(o, "holds")) ||
	    add_int(o, "issued_today", b->issued_today) ||
	    add_int(o, "doses_today", b->doses_today) ||
	    add_int(o, "target", b->target))
		goto fail;
	for (int i = 0; i < clamp_count(b->nstages, PROTO_MAX_STAGES); i++) {
		if (add_to_array(stages, board_stage_encode(&b->stages[i])))
			goto fail;
	}
	for (int i = 0; i < clamp_count(b->nstations, PROTO_MAX_STATIONS); i++) {
		if (add_to_array(stations, proto_station_encode(&b->stations[i])))
			goto fail;
	}
	for (int i = 0; i < clamp_count(b->ncalls, PROTO_MAX_CALLS); i++) {
		if (add_to_array(calls, proto_call_encode(&b->calls[i], utc_offset_s)))
			goto fail;
	}
	for (int i = 0; i < clamp_count(b->nholds, PROTO_MAX_HOLDS); i++) {
		if (add_to_array(holds, board_hold_encode(&b->holds[i], utc_offset_s)))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int board_stage_decode(const cJSON *j, const char *ctx,
    struct board_stage *s, char *err)
{
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "id", REQUIRED, s->id, sizeof s->id, err) ||
	    get_str(j, ctx, "name", OPTIONAL, s->name, sizeof s->name, err) ||
	    get_int(j, ctx, "waiting", OPTIONAL, 0, 0, &s->waiting, err) ||
	    get_int(j, ctx, "eta_s", OPTIONAL, 0, -1, &s->eta_s, err))
		return -1;
	return 0;
}

static int board_hold_decode(const cJSON *j, const char *ctx,
    struct board_hold *h, char *err)
{
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "ticket", REQUIRED, h->ticket_id, sizeof h->ticket_id, err) ||
	    get_str(j, ctx, "code", REQUIRED, h->code, sizeof h->code, err) ||
	    get_str(j, ctx, "stage", OPTIONAL, h->stage, sizeof h->stage, err) ||
	    get_time(j, ctx, "until", REQUIRED, &h->until, err))
		return -1;
	return 0;
}

int proto_board_decode(const cJSON *j, struct board *b, char *err)
{
	static const char ctx[] = "board";
	const cJSON *stages, *stations, *calls, *holds, *it;
	char sub[32];
	int i;

	memset(b, 0, sizeof *b);
	if (need_object(j, ctx, err) ||
	    get_str(j, ctx, "event", REQUIRED, b->event, sizeof b->event, err) ||
	    get_time(j, ctx, "at", OPTIONAL, &b->at, err) ||
	    get_array(j, ctx, "stages", REQUIRED, PROTO_MAX_STAGES, &stages,
		&b->nstages, err) ||
	    get_array(j, ctx, "stations", OPTIONAL, PROTO_MAX_STATIONS, &stations,
		&b->nstations, err) ||
	    get_array(j, ctx, "calls", OPTIONAL, PROTO_MAX_CALLS, &calls,
		&b->ncalls, err) ||
	    get_array(j, ctx, "holds", OPTIONAL, PROTO_MAX_HOLDS, &holds,
		&b->nholds, err) ||
	    get_int(j, ctx, "issued_today", OPTIONAL, 0, 0, &b->issued_today, err) ||
	    get_int(j, ctx, "doses_today", OPTIONAL, 0, 0, &b->doses_today, err) ||
	    get_int(j, ctx, "target", OPTIONAL, 0, 0, &b->target, err))
		return -1;
	i = 0;
	cJSON_ArrayForEach(it, stages) {
		snprintf(sub, sizeof sub, "board.stages[%d]", i);
		if (board_stage_decode(it, sub, &b->stages[i++], err))
			return -1;
	}
	i = 0;
	cJSON_ArrayForEach(it, stations) {
		snprintf(sub, sizeof sub, "board.stations[%d]", i);
		if (station_decode(it, sub, &b->stations[i++], err))
			return -1;
	}
	i = 0;
	cJSON_ArrayForEach(it, calls) {
		snprintf(sub, sizeof sub, "board.calls[%d]", i);
		if (call_decode(it, sub, &b->calls[i++], err))
			return -1;
	}
	i = 0;
	cJSON_ArrayForEach(it, holds) {
		snprintf(sub, sizeof sub, "board.holds[%d]", i);
		if (board_hold_decode(it, sub, &b->holds[i++], err))
			return -1;
	}
	return 0;
}

/* ---- error -------------------------------------------------------------- */

cJSON *proto_error_encode(const char *code, const char *message)
{
	cJSON *o = cJSON_CreateObject(), *e = NULL;
	if (!o || !(e = cJSON_AddObjectToObject(o, "error")) ||
	    add_str(e, "code", code ? code : "") ||
	    add_str(e, "message", message ? message : ""))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int proto_error_decode(const cJSON *j, struct proto_error *e, char *err)
{
	const cJSON *inner;

	memset(e, 0, sizeof *e);
	if (need_object(j, "response", err))
		return -1;
	if (!(inner = field(j, "error")))
		return fail(err, "error", NULL, "missing");
	if (need_object(inner, "error", err) ||
	    get_str(inner, "error", "code", REQUIRED, e->code, sizeof e->code, err) ||
	    get_str(inner, "error", "message", REQUIRED, e->message, sizeof e->message, err))
		return -1;
	return 0;
}
