/* record.c: script results and stream entries into the wire types. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <hiredis.h>

#include "log.h"

/* Copies a string item; "" when absent (NULL) or not a string; -1 (and
 * "") when it does not fit. */
static int copy_item(const cJSON *j, char *dst, size_t size)
{
	dst[0] = '\0';
	if (!cJSON_IsString(j))
		return 0;
	if (strlen(j->valuestring) >= size)
		return -1;
	strcpy(dst, j->valuestring);
	return 0;
}

/* Copies a string member, as copy_item. */
static int copy_str(const cJSON *o, const char *name, char *dst, size_t size)
{
	return copy_item(cJSON_GetObjectItemCaseSensitive(o, name), dst, size);
}

/* A number item, or dflt when absent, not a number or beyond int64_t
 * (converting such a double would be undefined). */
static int64_t num_item(const cJSON *j, int64_t dflt)
{
	if (!cJSON_IsNumber(j) || !(j->valuedouble > -9.2e18 && j->valuedouble < 9.2e18))
		return dflt;
	return (int64_t)j->valuedouble;
}

/* A number member, as num_item. */
static int64_t get_num(const cJSON *o, const char *name, int64_t dflt)
{
	return num_item(cJSON_GetObjectItemCaseSensitive(o, name), dflt);
}

/* ---- tickets, stations, boards ------------------------------------------ */

static int visit_from_store(const cJSON *v, struct ticket_visit *tv)
{
	memset(tv, 0, sizeof *tv);
	if (copy_str(v, "stage", tv->stage, sizeof tv->stage) ||
	    copy_str(v, "station", tv->station, sizeof tv->station) ||
	    copy_str(v, "outcome", tv->outcome, sizeof tv->outcome))
		return -1;
	tv->queued_at = get_num(v, "queued_at", 0);
	tv->called_at = get_num(v, "called_at", 0);
	tv->started_at = get_num(v, "started_at", 0);
	tv->completed_at = get_num(v, "completed_at", 0);
	return 0;
}

/* eta_range_s as the scripts write it (a, the member or NULL), [low,
 * high] seconds; -1s (null on the wire) when absent or not two numbers in
 * order within an int. */
static void range_item(const cJSON *a, int r[2])
{
	const cJSON *lo = cJSON_GetArrayItem(a, 0), *hi = cJSON_GetArrayItem(a, 1);

	r[0] = r[1] = -1;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2 || !cJSON_IsNumber(lo) ||
	    !cJSON_IsNumber(hi) || !(lo->valuedouble >= 0 && hi->valuedouble >= lo->valuedouble &&
	    hi->valuedouble < 1e9))
		return;
	r[0] = (int)lo->valuedouble;
	r[1] = (int)hi->valuedouble;
}

static void range_from_store(const cJSON *j, int r[2])
{
	range_item(cJSON_GetObjectItemCaseSensitive(j, "eta_range_s"), r);
}

/* The members of a store ticket that record_ticket reads, found in one
 * pass over the object (a lookup by name scans every member: fourteen
 * scans a ticket, on every reply that carries one).  As the lookup does,
 * the first member of a name wins, and a member without a name ends the
 * search. */
enum { TK_ID, TK_CODE, TK_SERVICE, TK_PRIORITY, TK_AREA, TK_STAGE, TK_STATION, TK_STATE,
	TK_ISSUED_AT, TK_HOLD_UNTIL, TK_RECALLS, TK_POSITION, TK_ETA_S, TK_LEAVE_ETA_S,
	TK_ETA_RANGE_S, TK_VISITS, TK_N };
static const char *const ticket_names[TK_N] = {
	"id", "code", "service", "priority", "area", "stage", "station", "state",
	"issued_at", "hold_until", "recalls", "position", "eta_s", "leave_eta_s",
	"eta_range_s", "visits",
};

static void ticket_members(const cJSON *j, const cJSON *m[TK_N])
{
	for (int i = 0; i < TK_N; i++)
		m[i] = NULL;
	for (const cJSON *c = j->child; c && c->string; c = c->next)
		for (int i = 0; i < TK_N; i++)
			if (m[i] == NULL && c->string[0] == ticket_names[i][0] &&
			    strcmp(c->string, ticket_names[i]) == 0) {
				m[i] = c;
				break;
			}
}

int record_ticket(const cJSON *j, struct ticket *t)
{
	const int maxvisits = (int)(sizeof t->visits / sizeof t->visits[0]);
	const cJSON *v, *m[TK_N];
	char state[16];

	memset(t, 0, sizeof *t);
	if (!cJSON_IsObject(j))
		return -1;
	ticket_members(j, m);
	if (copy_item(m[TK_ID], t->id, sizeof t->id) ||
	    copy_item(m[TK_CODE], t->code, sizeof t->code) ||
	    copy_item(m[TK_SERVICE], t->service, sizeof t->service) ||
	    copy_item(m[TK_PRIORITY], t->priority, sizeof t->priority) ||
	    copy_item(m[TK_AREA], t->area, sizeof t->area) ||
	    copy_item(m[TK_STAGE], t->stage, sizeof t->stage) ||
	    copy_item(m[TK_STATION], t->station, sizeof t->station) ||
	    copy_item(m[TK_STATE], state, sizeof state) ||
	    proto_ticket_state_parse(state, &t->state) == -1)
		return -1;
	t->issued_at = num_item(m[TK_ISSUED_AT], 0);
	t->hold_until = num_item(m[TK_HOLD_UNTIL], 0);
	t->recalls = (int)num_item(m[TK_RECALLS], 0);
	t->position = (int)num_item(m[TK_POSITION], -1);
	t->eta_s = (int)num_item(m[TK_ETA_S], -1);
	t->leave_eta_s = (int)num_item(m[TK_LEAVE_ETA_S], -1);
	range_item(m[TK_ETA_RANGE_S], t->eta_range_s);
	cJSON_ArrayForEach(v, m[TK_VISITS]) {
		/* a ticket sent round more stages than fit keeps its latest visits */
		if (t->nvisits == maxvisits) {
			memmove(t->visits, t->visits + 1, sizeof t->visits - sizeof t->visits[0]);
			t->nvisits--;
		}
		if (visit_from_store(v, &t->visits[t->nvisits++]) == -1)
			return -1;
	}
	return 0;
}

/* The flat_reply's members in their order after its "ticket"; NULL: the
 * range, two numbers; "#": a number; "@": JSON text. */
static const char *const flat_names[] = {
	"id", "code", "service", "priority", "area", "state", "stage", "station",
	"#issued_at", "#hold_until", "#recalls", "#position", "#eta_s", NULL, NULL,
	"#leave_eta_s", "@visits", "next_dose",
};
#define FLAT_N (sizeof flat_names / sizeof flat_names[0])

/* An element of a flat reply as a number: an integer, or text (replayed) */
static double flat_num(const redisReply *e)
{
	if (e->type == REDIS_REPLY_INTEGER)
		return (double)e->integer;
	return e->type == REDIS_REPLY_STRING ? strtod(e->str, NULL) : -1;
}

cJSON *record_flat_ticket(const redisReply *a)
{
	cJSON *res, *t, *range, *item;

	if (a == NULL || a->type != REDIS_REPLY_ARRAY || a->elements != 1 + FLAT_N ||
	    a->element[0]->type != REDIS_REPLY_STRING || strcmp(a->element[0]->str, "ticket") != 0)
		return NULL;
	if ((res = cJSON_CreateObject()) == NULL || (t = cJSON_AddObjectToObject(res, "ticket")) == NULL)
		fatalx("out of memory");   /* OOM only: one ticket */
	for (size_t i = 0; i < FLAT_N; i++) {
		const redisReply *e = a->element[1 + i];
		const char *name = flat_names[i];
		if (name == NULL) {              /* the range: low, then high */
			double lo = flat_num(e), hi = flat_num(a->element[2 + i++]);
			range = lo < 0 ? cJSON_CreateNull() : cJSON_CreateArray();
			if (lo >= 0) {
				cJSON_AddItemToArray(range, cJSON_CreateNumber(lo));
				cJSON_AddItemToArray(range, cJSON_CreateNumber(hi));
			}
			item = range;
			name = "eta_range_s";
		} else if (name[0] == '#') {
			item = cJSON_CreateNumber(flat_num(e));
			name++;
		} else if (e->type != REDIS_REPLY_STRING) {
			item = NULL;
		} else if (name[0] == '@') {
			item = cJSON_ParseWithLength(e->str, e->len);
			name++;
		} else {
			item = cJSON_CreateString(e->str);
		}
		if (item == NULL) {              /* not text where text was due */
			cJSON_Delete(res);
			return NULL;
		}
		cJSON_AddItemToObject(t, name, item);
	}
	return res;
}

void record_station(const cJSON *j, struct station *s)
{
	char state[16];

	memset(s, 0, sizeof *s);
	/* ids were checked by the daemon before they reached the store, so
	 * they fit (copy_str leaves a field empty rather than overrun it) */
	copy_str(j, "id", s->id, sizeof s->id);
	copy_str(j, "stage", s->stage, sizeof s->stage);
	s->number = (int)get_num(j, "number", 0);
	copy_str(j, "state", state, sizeof state);
	s->state = strcmp(state, "paused") == 0 ? STATION_PAUSED : STATION_OPEN;
	copy_str(j, "ticket_id", s->ticket_id, sizeof s->ticket_id);
	copy_str(j, "ticket_code", s->ticket_code, sizeof s->ticket_code);
	copy_str(j, "ticket_state", s->ticket_state, sizeof s->ticket_state);
}

/* A call as the scripts write it ({"ticket", "code", "station", "stage",
 * "station_number", "recall", "at"}): on the board and in the stream. */
static void call_from_store(const cJSON *j, struct call *c)
{
	memset(c, 0, sizeof *c);
	copy_str(j, "ticket", c->ticket_id, sizeof c->ticket_id);
	copy_str(j, "code", c->code, sizeof c->code);
	copy_str(j, "station", c->station, sizeof c->station);
	copy_str(j, "stage", c->stage, sizeof c->stage);
	c->station_number = (int)get_num(j, "station_number", 0);
	c->recall = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "recall"));
	c->at = get_num(j, "at", 0);
}

static void board_stage_from_store(const struct event_def *ev, const cJSON *j,
    struct board_stage *s)
{
	int i;

	memset(s, 0, sizeof *s);
	copy_str(j, "id", s->id, sizeof s->id);
	i = event_stage_index(ev, s->id);
	snprintf(s->name, sizeof s->name, "%s", i >= 0 ? ev->stages[i].name : s->id);
	s->waiting = (int)get_num(j, "waiting", 0);
	s->eta_s = (int)get_num(j, "eta_s", 0);
	range_from_store(j, s->eta_range_s);
}

static void board_hold_from_store(const cJSON *j, struct board_hold *h)
{
	memset(h, 0, sizeof *h);
	copy_str(j, "ticket", h->ticket_id, sizeof h->ticket_id);
	copy_str(j, "code", h->code, sizeof h->code);
	copy_str(j, "stage", h->stage, sizeof h->stage);
	h->until = get_num(j, "hold_until", 0);
}

void record_board(const struct event_def *ev, const cJSON *res, struct board *b)
{
	const cJSON *it;

	memset(b, 0, sizeof *b);
	snprintf(b->event, sizeof b->event, "%s", ev->id);
	b->at = get_num(res, "at", 0);
	b->target = ev->daily_target;
	b->doses_today = (int)get_num(res, "doses_today", 0);
	b->issued_today = (int)get_num(res, "issued_today", 0);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "stages"))
		if (b->nstages < PROTO_MAX_STAGES)
			board_stage_from_store(ev, it, &b->stages[b->nstages++]);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "stations"))
		if (b->nstations < PROTO_MAX_STATIONS)
			record_station(it, &b->stations[b->nstations++]);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "calls"))
		if (b->ncalls < PROTO_MAX_CALLS)
			call_from_store(it, &b->calls[b->ncalls++]);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res, "holds"))
		if (b->nholds < PROTO_MAX_HOLDS)
			board_hold_from_store(it, &b->holds[b->nholds++]);
}

/* After a first dose with a next one: the day from which to come back,
 * "YYYY-MM-DD" into day (16 bytes), or NULL (null on the wire). */
static const char *next_dose_from(const cJSON *j, char *day)
{
	const char *next = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "next_dose"));

	if (next == NULL || strlen(next) != 8 || strspn(next, "0123456789") != 8)
		return NULL;
	snprintf(day, 16, "%.4s-%.2s-%.2s", next, next + 4, next + 6);
	return day;
}

cJSON *record_ticket_wire(const struct event_def *ev, const cJSON *j, enum record_view view)
{
	struct ticket t;
	cJSON *wire;
	const char *next;
	char day[16];

	if (record_ticket(j, &t) == -1)
		return NULL;
	if ((wire = proto_ticket_encode(&t, ev->utc_offset_s)) == NULL)
		fatalx("out of memory");   /* OOM only: one ticket */
	if ((next = next_dose_from(j, day)) != NULL)
		cJSON_AddStringToObject(wire, "next_dose_from", next);
	else
		cJSON_AddNullToObject(wire, "next_dose_from");
	if (view == RECORD_PUBLIC) {
		/* what the person's page may see: no area, priority or visits;
		 * next_dose_from, the day a next dose may be given from, it may */
		cJSON_DeleteItemFromObjectCaseSensitive(wire, "area");
		cJSON_DeleteItemFromObjectCaseSensitive(wire, "priority");
		cJSON_DeleteItemFromObjectCaseSensitive(wire, "visits");
	}
	return wire;
}

int record_ticket_text(const struct event_def *ev, const cJSON *j, enum record_view view,
    struct proto_text *out)
{
	struct ticket t;
	const char *next;
	char day[16];

	if (record_ticket(j, &t) == -1)
		return -1;
	proto_text_add(out, "{", 1);
	proto_ticket_text(out, &t, ev->utc_offset_s, view == RECORD_FULL);
	proto_text_add(out, ",\"next_dose_from\":", 18);
	if ((next = next_dose_from(j, day)) != NULL)
		proto_text_str(out, next);
	else
		proto_text_add(out, "null", 4);
	proto_text_add(out, "}", 1);
	return 0;
}

/* ---- stream entries ----------------------------------------------------- */

static void add_time(cJSON *o, const char *name, int64_t ms, int off)
{
	char buf[40];

	if (ms > 0)
		cJSON_AddStringToObject(o, name, proto_time_format(ms, off, buf, sizeof buf));
	else
		cJSON_AddNullToObject(o, name);
}

/* A string member as it is; left out when it is not a string. */
static void add_str(cJSON *o, const char *name, const cJSON *from)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(from, name));

	if (s)
		cJSON_AddStringToObject(o, name, s);
}

/* A string member, null when absent or empty. */
static void add_opt_str(cJSON *o, const char *name, const cJSON *from)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(from, name));

	if (s && *s)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

/* A "ticket" entry: a ticket's new state, as the displays need it. */
static cJSON *ticket_entry(const cJSON *d, int off)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	add_str(o, "id", d);
	add_str(o, "code", d);
	add_str(o, "state", d);
	add_str(o, "stage", d);
	add_opt_str(o, "station", d);
	add_time(o, "hold_until", get_num(d, "hold_until", 0), off);
	add_time(o, "at", get_num(d, "at", 0), off);
	return o;
}

char *record_entry_json(const struct event_def *ev, const char *type, const cJSON *d)
{
	int off = ev->utc_offset_s;
	cJSON *o;
	char *text;

	if (strcmp(type, "call") == 0) {
		struct call c;
		call_from_store(d, &c);
		o = proto_call_encode(&c, off);
	} else if (strcmp(type, "ticket") == 0)
		o = ticket_entry(d, off);
	else if (strcmp(type, "station") == 0) {
		struct station st;
		record_station(d, &st);
		if ((o = proto_station_encode(&st)) != NULL)
			add_time(o, "at", get_num(d, "at", 0), off);
	} else
		return NULL;             /* a type this daemon does not know */
	if (o == NULL || (text = proto_json_print(o, NULL)) == NULL)
		fatalx("out of memory");   /* OOM only: one stream entry */
	cJSON_Delete(o);
	return text;
}

int record_stream_entry(const redisReply *e, struct stream_entry *out)
{
	const redisReply *f;

	memset(out, 0, sizeof *out);
	if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	out->id = e->element[0]->str;
	f = e->element[1];
	for (size_t k = 0; f->type == REDIS_REPLY_ARRAY && k + 1 < f->elements; k += 2) {
		const redisReply *name = f->element[k], *value = f->element[k + 1];
		if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(name->str, "type") == 0)
			out->type = value->str;
		else if (strcmp(name->str, "data") == 0) {
			out->data = value->str;
			out->len = value->len;
		}
	}
	return 0;
}

/* ---- the day's report --------------------------------------------------- */

/* Milliseconds to whole seconds, half away from zero. */
static int64_t round_s(int64_t ms)
{
	return ms >= 0 ? (ms + 500) / 1000 : -((-ms + 500) / 1000);
}

/*
 * The visits are read here rather than from struct ticket, which keeps only
 * the latest PROTO_MAX_STAGES * 2 of them: the sums cover every visit.
 */
int record_report_row(const struct event_def *ev, const cJSON *j, struct report_row *row)
{
	int64_t wait_ms = 0, service_ms = 0;
	const cJSON *v;

	memset(row->called, 0, sizeof row->called);
	memset(row->completed, 0, sizeof row->completed);
	row->dose = 0;
	if (record_ticket(j, &row->t) == -1)
		return -1;
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "visits")) {
		const char *stage = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "stage"));
		const char *outcome = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "outcome"));
		int64_t queued = get_num(v, "queued_at", 0), called = get_num(v, "called_at", 0);
		int64_t started = get_num(v, "started_at", 0), completed = get_num(v, "completed_at", 0);
		int si = stage ? event_stage_index(ev, stage) : -1;

		if (queued && called)
			wait_ms += called - queued;
		/* a timed wait that ran out was never called: no service time */
		if (completed && (started || called))
			service_ms += completed - (started ? started : called);
		if (si >= 0) {           /* a stage of the event no longer: no column */
			row->called[si] = called;
			row->completed[si] = completed;
			if (si == ev->dose_stage && outcome && strcmp(outcome, "done") == 0)
				row->dose = 1;
		}
	}
	row->wait_s = round_s(wait_ms);
	row->service_s = round_s(service_ms);
	return 0;
}

int record_report_page(const cJSON *res, struct report_page *pg)
{
	const cJSON *day = cJSON_GetObjectItemCaseSensitive(res, "day");
	const cJSON *cursor = cJSON_GetObjectItemCaseSensitive(res, "cursor");
	const cJSON *tickets = cJSON_GetObjectItemCaseSensitive(res, "tickets");

	memset(pg, 0, sizeof *pg);
	if (!cJSON_IsString(day) || strlen(day->valuestring) != 8 ||
	    strspn(day->valuestring, "0123456789") != 8 ||
	    !cJSON_IsString(cursor) || strlen(cursor->valuestring) >= sizeof pg->cursor ||
	    strspn(cursor->valuestring, "0123456789") != strlen(cursor->valuestring) ||
	    cursor->valuestring[0] == '\0' || !cJSON_IsArray(tickets))
		return -1;
	memcpy(pg->day, day->valuestring, 9);
	memcpy(pg->cursor, cursor->valuestring, strlen(cursor->valuestring) + 1);
	pg->tickets = tickets;
	return 0;
}
