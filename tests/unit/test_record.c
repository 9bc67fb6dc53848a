/*
 * test_record.c: unit tests for daemon/record.c, the decoders of what the
 * Lua scripts return and write to the stream.  Each decoder gets a good
 * record and malformed ones: wrong types, over-long strings, missing
 * members, too many items.  Also run under ASan/UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <hiredis.h>

#include "record.h"

#define OFF_WIB (7 * 3600)
#define T0 1764547200000LL          /* 2025-12-01T07:00:00+07:00 */

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);

	assert_non_null(j);
	return j;
}

/* A string of n 'x'. */
static char *longstr(size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, 'x', n);
	s[n] = '\0';
	return s;
}

/* An event with two stages, "screen" and "vax" (the dose stage). */
static void test_event(struct event_def *ev)
{
	memset(ev, 0, sizeof *ev);
	strcpy(ev->id, "ev1");
	ev->utc_offset_s = OFF_WIB;
	ev->daily_target = 300;
	ev->nstages = 2;
	strcpy(ev->stages[0].id, "screen");
	strcpy(ev->stages[0].name, "Skrining");
	strcpy(ev->stages[1].id, "vax");
	strcpy(ev->stages[1].name, "Vaksinasi");
	ev->dose_stage = 1;
}

/* ---- tickets ------------------------------------------------------------ */

static const char good_ticket[] =
    "{\"id\":\"t1\",\"code\":\"A-001\",\"service\":\"vax\",\"priority\":\"elderly\","
    "\"area\":\"RW 03\",\"state\":\"called\",\"stage\":\"vax\",\"station\":\"vax-2\","
    "\"issued_at\":1764547200000,\"hold_until\":0,\"recalls\":1,\"position\":0,\"eta_s\":90,"
    "\"eta_range_s\":[60,180],\"leave_eta_s\":2400,\"visits\":[{\"stage\":\"screen\",\"station\":\"screen-1\",\"queued_at\":1764547200000,"
    "\"called_at\":1764547260000,\"started_at\":1764547270000,\"completed_at\":1764547320000,"
    "\"outcome\":\"done\"},{\"stage\":\"vax\",\"station\":\"vax-2\","
    "\"queued_at\":1764547320000,\"called_at\":1764547380000}]}";

static void test_ticket_good(void **state)
{
	(void)state;
	cJSON *j = parse(good_ticket);
	struct ticket t;

	assert_int_equal(record_ticket(j, &t), 0);
	assert_string_equal(t.id, "t1");
	assert_string_equal(t.code, "A-001");
	assert_string_equal(t.priority, "elderly");
	assert_string_equal(t.area, "RW 03");
	assert_int_equal(t.state, TICKET_CALLED);
	assert_string_equal(t.station, "vax-2");
	assert_int_equal(t.issued_at, T0);
	assert_int_equal(t.recalls, 1);
	assert_int_equal(t.position, 0);
	assert_int_equal(t.eta_s, 90);
	assert_int_equal(t.eta_range_s[0], 60);
	assert_int_equal(t.eta_range_s[1], 180);
	assert_int_equal(t.leave_eta_s, 2400);
	assert_int_equal(t.nvisits, 2);
	assert_string_equal(t.visits[0].outcome, "done");
	assert_int_equal(t.visits[0].completed_at, T0 + 120000);
	assert_string_equal(t.visits[1].stage, "vax");
	assert_int_equal(t.visits[1].completed_at, 0);
	cJSON_Delete(j);
}

/* Missing members read as empty, 0, and -1 for position and eta. */
static void test_ticket_missing(void **state)
{
	(void)state;
	cJSON *j = parse("{\"state\":\"waiting\"}");
	struct ticket t;

	assert_int_equal(record_ticket(j, &t), 0);
	assert_string_equal(t.id, "");
	assert_string_equal(t.area, "");
	assert_int_equal(t.issued_at, 0);
	assert_int_equal(t.position, -1);
	assert_int_equal(t.eta_s, -1);
	assert_int_equal(t.eta_range_s[0], -1);
	assert_int_equal(t.leave_eta_s, -1);
	assert_int_equal(t.nvisits, 0);
	cJSON_Delete(j);
	/* a range out of order or not two numbers reads as unknown */
	j = parse("{\"state\":\"waiting\",\"eta_range_s\":[300,60]}");
	assert_int_equal(record_ticket(j, &t), 0);
	assert_int_equal(t.eta_range_s[0], -1);
	cJSON_Delete(j);
	j = parse("{\"state\":\"waiting\",\"eta_range_s\":[60,\"x\"]}");
	assert_int_equal(record_ticket(j, &t), 0);
	assert_int_equal(t.eta_range_s[1], -1);
	cJSON_Delete(j);
}

/* Wrong types read as missing; a number beyond int64_t too. */
static void test_ticket_wrong_types(void **state)
{
	(void)state;
	cJSON *j = parse("{\"id\":5,\"code\":[\"A\"],\"state\":\"done\",\"issued_at\":\"soon\","
	    "\"position\":true,\"eta_s\":1e300,\"hold_until\":-1e300,\"visits\":7}");
	struct ticket t;

	assert_int_equal(record_ticket(j, &t), 0);
	assert_string_equal(t.id, "");
	assert_string_equal(t.code, "");
	assert_int_equal(t.issued_at, 0);
	assert_int_equal(t.position, -1);
	assert_int_equal(t.eta_s, -1);
	assert_int_equal(t.hold_until, 0);
	assert_int_equal(t.nvisits, 0);
	cJSON_Delete(j);
}

static void test_ticket_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
		"[]", "\"t1\"", "null", "42",
		"{\"id\":\"t1\"}",                          /* no state */
		"{\"id\":\"t1\",\"state\":\"lost\"}",        /* unknown state */
		"{\"id\":\"t1\",\"state\":7}",
	};
	struct ticket t;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cJSON *j = parse(bad[i]);
		assert_int_equal(record_ticket(j, &t), -1);
		cJSON_Delete(j);
	}
	assert_int_equal(record_ticket(NULL, &t), -1);
}

/* A string that does not fit its field refuses the ticket, at the top
 * level and in a visit; one that just fits is taken. */
static void test_ticket_overlong(void **state)
{
	(void)state;
	static const struct { const char *member; size_t size; int in_visit; } f[] = {
		{ "id", PROTO_TICKET_ID_MAX, 0 }, { "code", PROTO_CODE_MAX, 0 },
		{ "area", PROTO_AREA_MAX, 0 }, { "station", PROTO_STATION_MAX, 0 },
		{ "stage", PROTO_ID_MAX, 1 }, { "outcome", 16, 1 },
	};
	struct ticket t;
	char text[512];

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		for (int fits = 0; fits <= 1; fits++) {
			char *s = longstr(f[i].size - (size_t)fits);
			cJSON *j;
			if (f[i].in_visit)
				snprintf(text, sizeof text, "{\"state\":\"waiting\",\"visits\":"
				    "[{\"%s\":\"%s\"}]}", f[i].member, s);
			else
				snprintf(text, sizeof text, "{\"state\":\"waiting\",\"%s\":\"%s\"}",
				    f[i].member, s);
			j = parse(text);
			assert_int_equal(record_ticket(j, &t), fits ? 0 : -1);
			cJSON_Delete(j);
			free(s);
		}
}

/* More visits than fit: the latest are kept. */
static void test_ticket_visits_latest(void **state)
{
	(void)state;
	const int max = PROTO_MAX_STAGES * 2, n = max + 4;
	cJSON *j = parse("{\"state\":\"waiting\"}"), *visits = cJSON_AddArrayToObject(j, "visits");
	struct ticket t;

	for (int i = 0; i < n; i++) {
		cJSON *v = cJSON_CreateObject();
		cJSON_AddNumberToObject(v, "queued_at", 1000 + i);
		cJSON_AddItemToArray(visits, v);
	}
	assert_int_equal(record_ticket(j, &t), 0);
	assert_int_equal(t.nvisits, max);
	assert_int_equal(t.visits[0].queued_at, 1000 + n - max);
	assert_int_equal(t.visits[max - 1].queued_at, 1000 + n - 1);
	cJSON_Delete(j);
}

/* The public view has no area, priority or visits; the full one has. */
static void test_ticket_wire_views(void **state)
{
	(void)state;
	struct event_def ev;
	cJSON *j = parse(good_ticket), *full, *pub;

	test_event(&ev);
	full = record_ticket_wire(&ev, j, RECORD_FULL);
	pub = record_ticket_wire(&ev, j, RECORD_PUBLIC);
	assert_non_null(full);
	assert_non_null(pub);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(full, "area")), "RW 03");
	assert_non_null(cJSON_GetObjectItem(full, "priority"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(full, "visits")), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(full, "issued_at")),
	    "2025-12-01T07:00:00+07:00");
	assert_null(cJSON_GetObjectItem(pub, "area"));
	assert_null(cJSON_GetObjectItem(pub, "priority"));
	assert_null(cJSON_GetObjectItem(pub, "visits"));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(pub, "code")), "A-001");
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(pub, "eta_s")), 90);
	cJSON_Delete(full);
	cJSON_Delete(pub);
	cJSON_Delete(j);
	j = parse("{\"id\":\"t1\",\"state\":\"gone\"}");
	assert_null(record_ticket_wire(&ev, j, RECORD_PUBLIC));
	cJSON_Delete(j);
}

/* record_ticket reads its members in one pass: the first member of a name
 * wins, as a lookup by name finds it, wherever the members stand; a member
 * without a name (only a built tree has one) ends the search, as there. */
static void test_ticket_first_member_wins(void **state)
{
	struct ticket t;
	cJSON *j = parse("{\"visits\":[{\"stage\":\"a\"}],\"state\":\"waiting\",\"id\":\"t1\","
	    "\"code\":7,\"id\":\"t2\",\"code\":\"A-002\",\"issued_at\":5,\"issued_at\":6,"
	    "\"eta_range_s\":[1,2],\"eta_range_s\":null,\"state\":\"bogus\"}");

	(void)state;
	assert_int_equal(record_ticket(j, &t), 0);
	assert_string_equal(t.id, "t1");
	assert_string_equal(t.code, "");             /* the first "code" is no string */
	assert_int_equal(t.issued_at, 5);
	assert_int_equal(t.eta_range_s[0], 1);
	assert_int_equal(t.nvisits, 1);
	assert_int_equal(t.state, TICKET_WAITING);
	free(j->child->next->next->string);            /* the first "id" loses its name */
	j->child->next->next->string = NULL;
	assert_int_equal(record_ticket(j, &t), 0);
	assert_string_equal(t.id, "");                 /* nothing after it is found */
	assert_int_equal(t.issued_at, 0);
	assert_int_equal(t.state, TICKET_WAITING);
	cJSON_Delete(j);
}

/* record_ticket_text writes what record_ticket_wire's tree prints as, in
 * both views, with and without a next dose; and refuses what it refuses. */
static void test_ticket_text_is_wire(void **state)
{
	static const char *const tickets[] = {
		good_ticket,
		"{\"id\":\"t2\",\"code\":\"B-002\",\"service\":\"vax\",\"state\":\"done\","
		"\"stage\":\"vax\",\"issued_at\":1764547200000,\"next_dose\":\"20261229\"}",
		"{\"id\":\"t3\",\"state\":\"waiting\",\"next_dose\":\"2026122\",\"area\":\"\\\"<q>\\n\"}",
		"{\"id\":\"t4\",\"state\":\"waiting\",\"position\":-5,\"eta_range_s\":[9,3]}",
	};
	struct event_def ev;

	(void)state;
	test_event(&ev);
	for (size_t i = 0; i < sizeof tickets / sizeof tickets[0]; i++)
		for (int view = RECORD_FULL; view <= RECORD_PUBLIC; view++) {
			cJSON *j = parse(tickets[i]), *wire = record_ticket_wire(&ev, j, view);
			struct proto_text out = { 0 };
			char *want, *got;

			assert_non_null(wire);
			assert_int_equal(record_ticket_text(&ev, j, view, &out), 0);
			want = proto_json_print(wire, NULL);
			got = proto_text_end(&out, NULL);
			assert_non_null(got);
			assert_string_equal(got, want);
			free(want);
			free(got);
			cJSON_Delete(wire);
			cJSON_Delete(j);
		}
	{
		cJSON *j = parse("{\"id\":\"t1\",\"state\":\"gone\"}");
		struct proto_text out = { 0 };

		assert_int_equal(record_ticket_text(&ev, j, RECORD_FULL, &out), -1);
		assert_int_equal(out.len, 0);
		free(out.buf);
		cJSON_Delete(j);
	}
}

/* ---- stations and boards ------------------------------------------------ */

static void test_station(void **state)
{
	(void)state;
	cJSON *j = parse("{\"id\":\"vax-2\",\"stage\":\"vax\",\"number\":2,\"state\":\"paused\","
	    "\"ticket_id\":\"t1\",\"ticket_code\":\"A-001\"}");
	struct station s;
	char *big = longstr(PROTO_STATION_MAX), text[256];

	record_station(j, &s);
	assert_string_equal(s.id, "vax-2");
	assert_int_equal(s.number, 2);
	assert_int_equal(s.state, STATION_PAUSED);
	assert_string_equal(s.ticket_code, "A-001");
	cJSON_Delete(j);
	/* over-long: left empty; wrong types: missing; anything but paused: open */
	snprintf(text, sizeof text, "{\"id\":\"%s\",\"stage\":3,\"number\":\"2\","
	    "\"state\":\"closed\",\"ticket_id\":null}", big);
	j = parse(text);
	record_station(j, &s);
	assert_string_equal(s.id, "");
	assert_string_equal(s.stage, "");
	assert_int_equal(s.number, 0);
	assert_int_equal(s.state, STATION_OPEN);
	assert_string_equal(s.ticket_id, "");
	cJSON_Delete(j);
	record_station(NULL, &s);
	assert_string_equal(s.id, "");
	free(big);
}

static void test_board_good(void **state)
{
	(void)state;
	struct event_def ev;
	static struct board b;
	cJSON *j = parse("{\"at\":1764547200000,\"doses_today\":4,\"issued_today\":9,"
	    "\"stages\":[{\"id\":\"screen\",\"waiting\":3,\"eta_s\":120},"
	    "{\"id\":\"old\",\"waiting\":1}],"
	    "\"stations\":[{\"id\":\"vax-1\",\"stage\":\"vax\",\"number\":1,\"state\":\"open\"}],"
	    "\"calls\":[{\"ticket\":\"t1\",\"code\":\"A-001\",\"station\":\"vax-1\","
	    "\"stage\":\"vax\",\"station_number\":1,\"recall\":true,\"at\":1764547200000}],"
	    "\"holds\":[{\"ticket\":\"t2\",\"code\":\"A-002\",\"stage\":\"vax\","
	    "\"hold_until\":1764549000000}]}");

	test_event(&ev);
	record_board(&ev, j, &b);
	assert_string_equal(b.event, "ev1");
	assert_int_equal(b.at, T0);
	assert_int_equal(b.target, 300);
	assert_int_equal(b.doses_today, 4);
	assert_int_equal(b.issued_today, 9);
	assert_int_equal(b.nstages, 2);
	assert_string_equal(b.stages[0].name, "Skrining");
	assert_int_equal(b.stages[0].waiting, 3);
	/* a stage the event no longer has is named by its id */
	assert_string_equal(b.stages[1].name, "old");
	assert_int_equal(b.nstations, 1);
	assert_string_equal(b.stations[0].id, "vax-1");
	assert_int_equal(b.ncalls, 1);
	assert_true(b.calls[0].recall);
	assert_int_equal(b.calls[0].station_number, 1);
	assert_string_equal(b.calls[0].ticket_id, "t1");
	assert_int_equal(b.nholds, 1);
	assert_int_equal(b.holds[0].until, T0 + 1800000);
	cJSON_Delete(j);
}

/* Lists longer than the wire board holds are cut; junk reads as empty. */
static void test_board_malformed(void **state)
{
	(void)state;
	struct event_def ev;
	static struct board b;
	cJSON *j = parse("{\"stages\":[],\"stations\":[],\"calls\":[],\"holds\":[]}");
	static const struct { const char *name; int n; } lists[] = {
		{ "stages", PROTO_MAX_STAGES }, { "stations", PROTO_MAX_STATIONS },
		{ "calls", PROTO_MAX_CALLS }, { "holds", PROTO_MAX_HOLDS },
	};

	test_event(&ev);
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		for (int k = 0; k < lists[i].n + 5; k++)
			cJSON_AddItemToArray(cJSON_GetObjectItem(j, lists[i].name),
			    cJSON_CreateObject());
	record_board(&ev, j, &b);
	assert_int_equal(b.nstages, PROTO_MAX_STAGES);
	assert_int_equal(b.nstations, PROTO_MAX_STATIONS);
	assert_int_equal(b.ncalls, PROTO_MAX_CALLS);
	assert_int_equal(b.nholds, PROTO_MAX_HOLDS);
	cJSON_Delete(j);
	j = parse("{\"at\":\"now\",\"stages\":\"screen\",\"calls\":{\"a\":1},\"doses_today\":null}");
	record_board(&ev, j, &b);
	assert_int_equal(b.at, 0);
	assert_int_equal(b.nstages, 0);
	assert_int_equal(b.doses_today, 0);
	assert_string_equal(b.event, "ev1");
	cJSON_Delete(j);
	record_board(&ev, NULL, &b);
	assert_int_equal(b.nstations, 0);
	assert_int_equal(b.target, 300);
}

/* ---- stream entries ----------------------------------------------------- */

static cJSON *entry(const struct event_def *ev, const char *type, const char *data)
{
	cJSON *d = parse(data), *o;
	char *text = record_entry_json(ev, type, d);

	cJSON_Delete(d);
	if (text == NULL)
		return NULL;
	o = parse(text);
	free(text);
	return o;
}

static void test_entry_types(void **state)
{
	(void)state;
	struct event_def ev;
	cJSON *o;

	test_event(&ev);
	o = entry(&ev, "call", "{\"ticket\":\"t1\",\"code\":\"A-001\",\"station\":\"vax-1\","
	    "\"stage\":\"vax\",\"station_number\":1,\"recall\":false,\"at\":1764547200000}");
	assert_non_null(o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "code")), "A-001");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "at")),
	    "2025-12-01T07:00:00+07:00");
	cJSON_Delete(o);
	o = entry(&ev, "ticket", "{\"id\":\"t1\",\"code\":\"A-001\",\"state\":\"waiting\","
	    "\"stage\":\"vax\",\"station\":\"\",\"hold_until\":0,\"at\":1764547200000}");
	assert_non_null(o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "state")), "waiting");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "station")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "hold_until")));
	cJSON_Delete(o);
	o = entry(&ev, "station", "{\"id\":\"vax-1\",\"stage\":\"vax\",\"number\":1,"
	    "\"state\":\"paused\",\"at\":1764547200000}");
	assert_non_null(o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "state")), "paused");
	assert_non_null(cJSON_GetObjectItem(o, "at"));
	cJSON_Delete(o);
	assert_null(entry(&ev, "unknown", "{}"));
}

/* Missing, mistyped and over-long members never crash nor overrun. */
static void test_entry_malformed(void **state)
{
	(void)state;
	struct event_def ev;
	char *big = longstr(200), text[512];
	cJSON *o;

	test_event(&ev);
	o = entry(&ev, "call", "{\"station_number\":\"one\",\"at\":1e300}");
	assert_non_null(o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "code")), "");
	cJSON_Delete(o);
	snprintf(text, sizeof text, "{\"ticket\":\"%s\",\"code\":\"%s\"}", big, big);
	o = entry(&ev, "call", text);
	assert_non_null(o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "ticket")), "");
	cJSON_Delete(o);
	o = entry(&ev, "ticket", "{\"id\":7,\"hold_until\":\"later\"}");
	assert_non_null(o);
	assert_null(cJSON_GetObjectItem(o, "id"));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "hold_until")));
	cJSON_Delete(o);
	o = entry(&ev, "station", "[1,2]");
	assert_non_null(o);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), "");
	cJSON_Delete(o);
	free(big);
}

/* hiredis replies, built by hand: a string and an array of them. */
static redisReply *rstr(const char *s)
{
	redisReply *r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->type = REDIS_REPLY_STRING;
	r->str = strdup(s);
	r->len = strlen(s);
	return r;
}

static redisReply *rarr(size_t n, ...)
{
	redisReply *r = calloc(1, sizeof *r);
	va_list ap;

	assert_non_null(r);
	r->type = REDIS_REPLY_ARRAY;
	r->elements = n;
	r->element = calloc(n ? n : 1, sizeof *r->element);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		r->element[i] = va_arg(ap, redisReply *);
	va_end(ap);
	return r;
}

static redisReply *rnum(long long v)
{
	redisReply *r = calloc(1, sizeof *r);

	assert_non_null(r);
	r->type = REDIS_REPLY_INTEGER;
	r->integer = v;
	return r;
}

static void rfree(redisReply *r)
{
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		rfree(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
}

/* The flat reply (_lib.lua flat_reply) of good_ticket's fields. */
static redisReply *flat_good(int replayed_text)
{
	const char *visits = "[{\"stage\":\"screen\",\"queued_at\":1764547200000}]";

	if (replayed_text)               /* a replay, kept as JSON: numbers as text */
		return rarr(19, rstr("ticket"), rstr("t1"), rstr("A-001"), rstr("vax"),
		    rstr("elderly"), rstr("RW 03"), rstr("waiting"), rstr("screen"), rstr(""),
		    rstr("1764547200000"), rstr("0"), rstr("0"), rstr("4"), rstr("90"),
		    rstr("60"), rstr("180"), rstr("2400"), rstr(visits), rstr(""));
	return rarr(19, rstr("ticket"), rstr("t1"), rstr("A-001"), rstr("vax"), rstr("elderly"),
	    rstr("RW 03"), rstr("waiting"), rstr("screen"), rstr(""), rnum(T0), rnum(0), rnum(0),
	    rnum(4), rnum(90), rnum(60), rnum(180), rnum(2400), rstr(visits), rstr(""));
}

/* A flat ticket reads as the JSON object the other scripts give. */
static void test_flat_ticket(void **state)
{
	(void)state;
	for (int text = 0; text <= 1; text++) {
		redisReply *a = flat_good(text);
		cJSON *res = record_flat_ticket(a);
		struct ticket t;

		assert_non_null(res);
		assert_int_equal(record_ticket(cJSON_GetObjectItem(res, "ticket"), &t), 0);
		assert_string_equal(t.id, "t1");
		assert_string_equal(t.area, "RW 03");
		assert_int_equal(t.state, TICKET_WAITING);
		assert_string_equal(t.station, "");
		assert_int_equal(t.issued_at, T0);
		assert_int_equal(t.position, 4);
		assert_int_equal(t.eta_s, 90);
		assert_int_equal(t.eta_range_s[0], 60);
		assert_int_equal(t.eta_range_s[1], 180);
		assert_int_equal(t.leave_eta_s, 2400);
		assert_int_equal(t.nvisits, 1);
		assert_int_equal(t.visits[0].queued_at, T0);
		cJSON_Delete(res);
		rfree(a);
	}
}

/* An unknown estimate (-1) is a null range; anything else that is not a
 * flat ticket reads as none. */
static void test_flat_ticket_refused(void **state)
{
	(void)state;
	redisReply *a = flat_good(0);
	cJSON *res;

	a->element[14]->integer = -1;
	a->element[15]->integer = -1;
	assert_non_null(res = record_flat_ticket(a));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "ticket"),
	    "eta_range_s")));
	cJSON_Delete(res);
	free(a->element[0]->str);
	a->element[0]->str = strdup("station");          /* not a ticket */
	assert_null(record_flat_ticket(a));
	free(a->element[0]->str);
	a->element[0]->str = strdup("ticket");
	rfree(a->element[2]);
	a->element[2] = rnum(7);                         /* a number where text is due */
	assert_null(record_flat_ticket(a));
	rfree(a->element[2]);
	a->element[2] = rstr("A-001");
	free(a->element[17]->str);
	a->element[17]->str = strdup("[{");              /* visits that are not JSON */
	a->element[17]->len = 2;
	assert_null(record_flat_ticket(a));
	a->elements = 18;                                /* short */
	assert_null(record_flat_ticket(a));
	a->elements = 19;
	rfree(a);
	assert_null(record_flat_ticket(NULL));
	a = rstr("ticket");
	assert_null(record_flat_ticket(a));
	rfree(a);
}

static void test_stream_entry(void **state)
{
	(void)state;
	struct stream_entry e;
	redisReply *r = rarr(2, rstr("17-3"), rarr(4, rstr("type"), rstr("call"),
	    rstr("data"), rstr("{\"a\":1}")));

	assert_int_equal(record_stream_entry(r, &e), 0);
	assert_string_equal(e.id, "17-3");
	assert_string_equal(e.type, "call");
	assert_string_equal(e.data, "{\"a\":1}");
	assert_int_equal(e.len, 7);
	rfree(r);
	/* a field that is not a string is skipped; an odd one out ignored */
	r = rarr(2, rstr("17-4"), rarr(5, rnum(1), rstr("x"), rstr("type"), rnum(2),
	    rstr("data")));
	assert_int_equal(record_stream_entry(r, &e), 0);
	assert_string_equal(e.id, "17-4");
	assert_null(e.type);
	assert_null(e.data);
	rfree(r);
	/* fields that are not an array: an entry without type or data */
	r = rarr(2, rstr("17-5"), rstr("type"));
	assert_int_equal(record_stream_entry(r, &e), 0);
	assert_null(e.type);
	rfree(r);
}

static void test_stream_entry_refused(void **state)
{
	(void)state;
	struct stream_entry e;
	redisReply *bad[] = {
		rstr("17-3"),
		rarr(0),
		rarr(1, rstr("17-3")),
		rarr(3, rstr("17-3"), rarr(0), rstr("x")),
		rarr(2, rnum(17), rarr(2, rstr("type"), rstr("call"))),
		rarr(2, rarr(0), rarr(0)),
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(record_stream_entry(bad[i], &e), -1);
		assert_null(e.id);
		rfree(bad[i]);
	}
	assert_int_equal(record_stream_entry(NULL, &e), -1);
}

/* ---- the report --------------------------------------------------------- */

static void test_report_row(void **state)
{
	(void)state;
	struct event_def ev;
	struct report_row row;
	/* screen: waited 60 s, served 50 s (from started); vax: waited 60.5 s,
	 * served 29.5 s (from called, never started), dose; an old stage:
	 * waited 1 s, no column */
	cJSON *j = parse("{\"id\":\"t1\",\"state\":\"done\",\"issued_at\":1000,\"visits\":["
	    "{\"stage\":\"screen\",\"queued_at\":1000,\"called_at\":61000,"
	    "\"started_at\":70000,\"completed_at\":120000,\"outcome\":\"done\"},"
	    "{\"stage\":\"vax\",\"queued_at\":120000,\"called_at\":180500,"
	    "\"completed_at\":210000,\"outcome\":\"done\"},"
	    "{\"stage\":\"gone\",\"queued_at\":300000,\"called_at\":301000}]}");

	test_event(&ev);
	assert_int_equal(record_report_row(&ev, j, &row), 0);
	assert_int_equal(row.t.state, TICKET_DONE);
	assert_int_equal(row.called[0], 61000);
	assert_int_equal(row.completed[0], 120000);
	assert_int_equal(row.called[1], 180500);
	assert_int_equal(row.completed[1], 210000);
	assert_int_equal(row.wait_s, 122);           /* 60 + 60.5 + 1, half up */
	assert_int_equal(row.service_s, 80);         /* 50 + 29.5, half up */
	assert_int_equal(row.dose, 1);
	cJSON_Delete(j);
	/* a timed wait that ran out (never called): no service, no dose */
	j = parse("{\"state\":\"deferred\",\"visits\":[{\"stage\":\"vax\",\"queued_at\":1000,"
	    "\"completed_at\":5000,\"outcome\":\"deferred\"},{\"stage\":5}]}");
	assert_int_equal(record_report_row(&ev, j, &row), 0);
	assert_int_equal(row.wait_s, 0);
	assert_int_equal(row.service_s, 0);
	assert_int_equal(row.dose, 0);
	assert_int_equal(row.completed[1], 5000);
	cJSON_Delete(j);
	/* done at a stage that is not the dose stage: no dose */
	j = parse("{\"state\":\"serving\",\"visits\":[{\"stage\":\"screen\","
	    "\"outcome\":\"done\"},{\"stage\":\"vax\",\"queued_at\":1000}]}");
	assert_int_equal(record_report_row(&ev, j, &row), 0);
	assert_int_equal(row.dose, 0);
	cJSON_Delete(j);
	j = parse("{\"id\":\"t1\"}");
	assert_int_equal(record_report_row(&ev, j, &row), -1);
	cJSON_Delete(j);
}

static void test_report_page(void **state)
{
	(void)state;
	static const char *bad[] = {
		"{\"day\":\"2025120\",\"cursor\":\"0\",\"tickets\":[]}",
		"{\"day\":\"2025120x\",\"cursor\":\"0\",\"tickets\":[]}",
		"{\"day\":20251201,\"cursor\":\"0\",\"tickets\":[]}",
		"{\"day\":\"20251201\",\"cursor\":\"\",\"tickets\":[]}",
		"{\"day\":\"20251201\",\"cursor\":\"12a\",\"tickets\":[]}",
		"{\"day\":\"20251201\",\"cursor\":0,\"tickets\":[]}",
		"{\"day\":\"20251201\",\"cursor\":\"01234567890123456789012345678901\",\"tickets\":[]}",
		"{\"day\":\"20251201\",\"cursor\":\"0\",\"tickets\":{}}",
		"{\"day\":\"20251201\",\"cursor\":\"0\"}",
		"[]",
	};
	struct report_page pg;
	cJSON *j = parse("{\"day\":\"20251201\",\"cursor\":\"0123456789012345678901234567890\","
	    "\"tickets\":[{},{}]}");

	assert_int_equal(record_report_page(j, &pg), 0);
	assert_string_equal(pg.day, "20251201");
	assert_string_equal(pg.cursor, "0123456789012345678901234567890");
	assert_int_equal(cJSON_GetArraySize(pg.tickets), 2);
	cJSON_Delete(j);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = parse(bad[i]);
		assert_int_equal(record_report_page(j, &pg), -1);
		cJSON_Delete(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ticket_good),
		cmocka_unit_test(test_ticket_missing),
		cmocka_unit_test(test_ticket_wrong_types),
		cmocka_unit_test(test_ticket_refused),
		cmocka_unit_test(test_ticket_overlong),
		cmocka_unit_test(test_ticket_visits_latest),
		cmocka_unit_test(test_ticket_wire_views),
		cmocka_unit_test(test_ticket_text_is_wire),
		cmocka_unit_test(test_ticket_first_member_wins),
		cmocka_unit_test(test_station),
		cmocka_unit_test(test_board_good),
		cmocka_unit_test(test_board_malformed),
		cmocka_unit_test(test_entry_types),
		cmocka_unit_test(test_entry_malformed),
		cmocka_unit_test(test_flat_ticket),
		cmocka_unit_test(test_flat_ticket_refused),
		cmocka_unit_test(test_stream_entry),
		cmocka_unit_test(test_stream_entry_refused),
		cmocka_unit_test(test_report_row),
		cmocka_unit_test(test_report_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
