/*
 * test_protocol.c: unit tests for the wire types and their JSON codecs.
 *
 * Round trips go through the printed text (encode, print, parse, decode) so
 * that they cover what actually travels.  Also run under ASan/UBSan.
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

#include "protocol.h"

#define OFF_WIB (7 * 3600) /* Asia/Jakarta, +07:00 */

/* Prints `j` (consuming it), parses the text back and returns the tree. */
static cJSON *reparse(cJSON *j)
{
	assert_non_null(j);
	char *text = cJSON_PrintUnformatted(j);
	assert_non_null(text);
	cJSON_Delete(j);
	cJSON *back = cJSON_Parse(text);
	assert_non_null(back);
	free(text);
	return back;
}

/* Asserts that `j` prints as exactly `want`, then frees it. */
static void assert_json(cJSON *j, const char *want)
{
	assert_non_null(j);
	char *text = cJSON_PrintUnformatted(j);
	assert_non_null(text);
	assert_string_equal(text, want);
	free(text);
	cJSON_Delete(j);
}

/* ---- fixtures ----------------------------------------------------------- */

static void make_ticket(struct ticket *t)
{
	memset(t, 0, sizeof *t);
	strcpy(t->id, "t_8f3a2c91d0e4");
	strcpy(t->code, "A-017");
	strcpy(t->service, "measles-rubella");
	strcpy(t->priority, "elderly");
	strcpy(t->area, "Kecamatan Tebet, Jakarta Selatan");
	t->state = TICKET_SERVING;
	strcpy(t->stage, "vaccination");
	strcpy(t->station, "vaccination-3");
	t->issued_at = 1795396502000;  /* 2026-11-23T08:15:02+07:00 */
	t->hold_until = 1795398302123; /* with milliseconds */
	t->position = 0;
	t->eta_s = 240;
	t->eta_range_s[0] = 120;
	t->eta_range_s[1] = 420;
	t->leave_eta_s = 2700;
	t->recalls = 2;
	t->nvisits = 3;
	strcpy(t->visits[0].stage, "registration");
	strcpy(t->visits[0].station, "registration-1");
	t->visits[0].queued_at = 1795396502000;
	t->visits[0].called_at = 1795396600000;
	t->visits[0].started_at = 1795396610500;
	t->visits[0].completed_at = 1795396700000;
	strcpy(t->visits[0].outcome, "done");
	strcpy(t->visits[1].stage, "screening");
	strcpy(t->visits[1].station, "screening-2");
	t->visits[1].queued_at = 1795396700000;
	t->visits[1].called_at = 1795396800000;
	t->visits[1].started_at = 1795396801000;
	t->visits[1].completed_at = 1795396900000;
	strcpy(t->visits[1].outcome, "transferred");
	strcpy(t->visits[2].stage, "vaccination");
	strcpy(t->visits[2].station, "vaccination-3");
	t->visits[2].queued_at = 1795396900000;
	t->visits[2].called_at = 1795397000000;
	t->visits[2].started_at = 1795397005000; /* not completed, no outcome */
}

static void make_station(struct station *s, const char *stage, int n,
    enum station_state st, const char *tid, const char *code)
{
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s-%d", stage, n);
	snprintf(s->stage, sizeof s->stage, "%s", stage);
	s->number = n;
	s->state = st;
	snprintf(s->ticket_id, sizeof s->ticket_id, "%s", tid);
	snprintf(s->ticket_code, sizeof s->ticket_code, "%s", code);
}

static void make_call(struct call *c, const char *tid, const char *code,
    const char *stage, int n, bool recall, int64_t at)
{
	memset(c, 0, sizeof *c);
	snprintf(c->ticket_id, sizeof c->ticket_id, "%s", tid);
	snprintf(c->code, sizeof c->code, "%s", code);
	snprintf(c->station, sizeof c->station, "%s-%d", stage, n);
	snprintf(c->stage, sizeof c->stage, "%s", stage);
	c->station_number = n;
	c->recall = recall;
	c->at = at;
}

static void make_board(struct board *b)
{
	static const char *const stages[] = {"registration", "screening", "vaccination", "observation"};
	static const char *const names[] = {"Pendaftaran", "Skrining", "Vaksinasi", "Observasi"};

	memset(b, 0, sizeof *b);
	strcpy(b->event, "bias-tebet-2026");
	b->at = 1795397000250;
	b->nstages = 4;
	for (int i = 0; i < 4; i++) {
		strcpy(b->stages[i].id, stages[i]);
		strcpy(b->stages[i].name, names[i]);
		b->stages[i].waiting = 10 * i;
		b->stages[i].eta_s = i == 3 ? -1 : 60 * i;
		b->stages[i].eta_range_s[0] = i == 3 ? -1 : 60 * (i - i / 2);
		b->stages[i].eta_range_s[1] = i == 3 ? -1 : 60 * (i + 1);
	}
	b->nstations = 5;
	make_station(&b->stations[0], "registration", 1, STATION_OPEN, "t_1", "A-001");
	make_station(&b->stations[1], "registration", 2, STATION_PAUSED, "", "");
	make_station(&b->stations[2], "screening", 1, STATION_OPEN, "", "");
	make_station(&b->stations[3], "vaccination", 1, STATION_OPEN, "t_2", "B-002");
	make_station(&b->stations[4], "vaccination", 3, STATION_OPEN, "t_8f3a2c91d0e4", "A-017");
	b->ncalls = 3;
	make_call(&b->calls[0], "t_8f3a2c91d0e4", "A-017", "vaccination", 3, true, 1795397000000);
	make_call(&b->calls[1], "t_2", "B-002", "vaccination", 1, false, 1795396990000);
	make_call(&b->calls[2], "t_1", "A-001", "registration", 1, false, 1795396980000);
	b->nholds = 2;
	strcpy(b->holds[0].ticket_id, "20261123-A012");
	strcpy(b->holds[0].code, "A-012");
	strcpy(b->holds[0].stage, "observation");
	b->holds[0].until = 1795398800000;
	strcpy(b->holds[1].ticket_id, "20261123-B003");
	strcpy(b->holds[1].code, "B-003");
	strcpy(b->holds[1].stage, "observation");
	b->holds[1].until = 1795398860000;
	b->issued_today = 212;
	b->doses_today = 137;
	b->target = 400;
}

/* One of each: what the encode tests start from. */
static void make_fixtures(struct ticket *t, struct station *s, struct call *c, struct board *b)
{
	make_ticket(t);
	make_station(s, "v", 1, STATION_OPEN, "t_1", "A-1");
	make_call(c, "t_1", "A-1", "v", 1, true, 1795396502000);
	make_board(b);
}

/* ---- equality ----------------------------------------------------------- */

static void assert_visit_eq(const struct ticket_visit *a, const struct ticket_visit *b)
{
	assert_string_equal(a->stage, b->stage);
	assert_string_equal(a->station, b->station);
	assert_int_equal(a->queued_at, b->queued_at);
	assert_int_equal(a->called_at, b->called_at);
	assert_int_equal(a->started_at, b->started_at);
	assert_int_equal(a->completed_at, b->completed_at);
	assert_string_equal(a->outcome, b->outcome);
}

static void assert_ticket_eq(const struct ticket *a, const struct ticket *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->code, b->code);
	assert_string_equal(a->service, b->service);
	assert_string_equal(a->priority, b->priority);
	assert_string_equal(a->area, b->area);
	assert_int_equal(a->state, b->state);
	assert_string_equal(a->stage, b->stage);
	assert_string_equal(a->station, b->station);
	assert_int_equal(a->issued_at, b->issued_at);
	assert_int_equal(a->hold_until, b->hold_until);
	assert_int_equal(a->position, b->position);
	assert_int_equal(a->eta_s, b->eta_s);
	assert_int_equal(a->eta_range_s[0], b->eta_range_s[0]);
	assert_int_equal(a->eta_range_s[1], b->eta_range_s[1]);
	assert_int_equal(a->leave_eta_s, b->leave_eta_s);
	assert_int_equal(a->recalls, b->recalls);
	assert_int_equal(a->nvisits, b->nvisits);
	for (int i = 0; i < a->nvisits; i++)
		assert_visit_eq(&a->visits[i], &b->visits[i]);
}

static void assert_station_eq(const struct station *a, const struct station *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->stage, b->stage);
	assert_int_equal(a->number, b->number);
	assert_int_equal(a->state, b->state);
	assert_string_equal(a->ticket_id, b->ticket_id);
	assert_string_equal(a->ticket_code, b->ticket_code);
	assert_string_equal(a->ticket_state, b->ticket_state);
}

static void assert_call_eq(const struct call *a, const struct call *b)
{
	assert_string_equal(a->ticket_id, b->ticket_id);
	assert_string_equal(a->code, b->code);
	assert_string_equal(a->station, b->station);
	assert_string_equal(a->stage, b->stage);
	assert_int_equal(a->station_number, b->station_number);
	assert_int_equal(a->recall, b->recall);
	assert_int_equal(a->at, b->at);
}

static void assert_board_eq(const struct board *a, const struct board *b)
{
	assert_string_equal(a->event, b->event);
	assert_int_equal(a->at, b->at);
	assert_int_equal(a->nstages, b->nstages);
	for (int i = 0; i < a->nstages; i++) {
		assert_string_equal(a->stages[i].id, b->stages[i].id);
		assert_string_equal(a->stages[i].name, b->stages[i].name);
		assert_int_equal(a->stages[i].waiting, b->stages[i].waiting);
		assert_int_equal(a->stages[i].eta_s, b->stages[i].eta_s);
		assert_int_equal(a->stages[i].eta_range_s[0], b->stages[i].eta_range_s[0]);
		assert_int_equal(a->stages[i].eta_range_s[1], b->stages[i].eta_range_s[1]);
	}
	assert_int_equal(a->nstations, b->nstations);
	for (int i = 0; i < a->nstations; i++)
		assert_station_eq(&a->stations[i], &b->stations[i]);
	assert_int_equal(a->ncalls, b->ncalls);
	for (int i = 0; i < a->ncalls; i++)
		assert_call_eq(&a->calls[i], &b->calls[i]);
	assert_int_equal(a->nholds, b->nholds);
	for (int i = 0; i < a->nholds; i++) {
		assert_string_equal(a->holds[i].ticket_id, b->holds[i].ticket_id);
		assert_string_equal(a->holds[i].code, b->holds[i].code);
		assert_string_equal(a->holds[i].stage, b->holds[i].stage);
		assert_int_equal(a->holds[i].until, b->holds[i].until);
	}
	assert_int_equal(a->issued_today, b->issued_today);
	assert_int_equal(a->doses_today, b->doses_today);
	assert_int_equal(a->target, b->target);
}

/* ---- states ------------------------------------------------------------- */

static void test_ticket_state_names(void **state)
{
	(void)state;
	for (int i = 0; i < TICKET_STATE_COUNT; i++) {
		const char *name = proto_ticket_state_name((enum ticket_state)i);
		enum ticket_state s;
		assert_non_null(name);
		assert_int_equal(proto_ticket_state_parse(name, &s), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(proto_ticket_state_name(TICKET_CANCELLED), "cancelled");
	assert_string_equal(proto_ticket_state_name(TICKET_EXPIRED), "expired");
	assert_null(proto_ticket_state_name(TICKET_STATE_COUNT));
	enum ticket_state s = TICKET_DONE;
	assert_int_equal(proto_ticket_state_parse("Waiting", &s), -1);
	assert_int_equal(proto_ticket_state_parse("", &s), -1);
	assert_int_equal(proto_ticket_state_parse(NULL, &s), -1);
	assert_int_equal(s, TICKET_DONE);
}

/* ---- times -------------------------------------------------------------- */

static void check_format(int64_t ms, int off, const char *want)
{
	char buf[32];
	assert_string_equal(proto_time_format(ms, off, buf, sizeof buf), want);
	int64_t back = -42;
	assert_int_equal(proto_time_parse(buf, &back), 0);
	assert_int_equal(back, ms);
}

static void test_time_format(void **state)
{
	(void)state;
	check_format(0, 0, "1970-01-01T00:00:00+00:00");
	check_format(0, OFF_WIB, "1970-01-01T07:00:00+07:00");
	check_format(1763860502000, OFF_WIB, "2025-11-23T08:15:02+07:00");
	check_format(1795396502000, OFF_WIB, "2026-11-23T08:15:02+07:00");
	check_format(1795396502000, 0, "2026-11-23T01:15:02+00:00");
	check_format(1795396502123, OFF_WIB, "2026-11-23T08:15:02.123+07:00");
	check_format(1795396502005, OFF_WIB, "2026-11-23T08:15:02.005+07:00");
	/* leap days, and the day after */
	check_format(1709208000000, 0, "2024-02-29T12:00:00+00:00");
	check_format(1709251199999, OFF_WIB, "2024-03-01T06:59:59.999+07:00");
	check_format(951782400000, 0, "2000-02-29T00:00:00+00:00");
	/* negative offsets cross back a day */
	check_format(1795396502000, -5 * 3600, "2026-11-22T20:15:02-05:00");
	check_format(1795396502000, -(3 * 3600 + 30 * 60), "2026-11-22T21:45:02-03:30");
	check_format(1795396502000, 5 * 3600 + 45 * 60, "2026-11-23T07:00:02+05:45");
	/* before the epoch */
	check_format(-1, 0, "1969-12-31T23:59:59.999+00:00");
	check_format(-86400000, 0, "1969-12-31T00:00:00+00:00");
	check_format(-2208988800000, 0, "1900-01-01T00:00:00+00:00");
	/* year ends */
	check_format(1798736399000, OFF_WIB, "2026-12-31T23:59:59+07:00");
	check_format(1798736400000, OFF_WIB, "2027-01-01T00:00:00+07:00");
}

static void test_time_format_small_buffer(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof buf);
	proto_time_format(1795396502000, OFF_WIB, buf, sizeof buf);
	assert_string_equal(buf, "2026-11");
}

static void test_time_roundtrip_many(void **state)
{
	(void)state;
	static const int offs[] = {0, OFF_WIB, 8 * 3600, 9 * 3600, -5 * 3600,
		-(9 * 3600 + 30 * 60), 14 * 3600, -12 * 3600};
	/* ~every 3.7 days plus odd milliseconds over 1850..2150 */
	for (int64_t ms = -3786825600000; ms < 5680281600000; ms += 319999999) {
		for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
			char buf[32];
			int64_t back;
			proto_time_format(ms, offs[k], buf, sizeof buf);
			assert_int_equal(proto_time_parse(buf, &back), 0);
			assert_int_equal(back, ms);
		}
	}
}

static void check_parse(const char *s, int64_t want)
{
	int64_t ms = -42;
	if (proto_time_parse(s, &ms) != 0)
		fail_msg("rejected \"%s\"", s);
	assert_int_equal(ms, want);
}

static void test_time_parse(void **state)
{
	(void)state;
	check_parse("1970-01-01T00:00:00Z", 0);
	check_parse("1970-01-01T00:00:00+00:00", 0);
	check_parse("1970-01-01T00:00:00-00:00", 0);
	check_parse("2025-11-23T08:15:02+07:00", 1763860502000);
	check_parse("2026-11-23T08:15:02+07:00", 1795396502000);
	check_parse("2026-11-23T01:15:02Z", 1795396502000);
	check_parse("2026-11-22T20:15:02-05:00", 1795396502000);
	check_parse("2024-02-29T12:00:00Z", 1709208000000);
	check_parse("2000-02-29T00:00:00Z", 951782400000);
	/* fractions: 1-9 digits, kept to the millisecond */
	check_parse("2026-11-23T08:15:02.1+07:00", 1795396502100);
	check_parse("2026-11-23T08:15:02.12+07:00", 1795396502120);
	check_parse("2026-11-23T08:15:02.123+07:00", 1795396502123);
	check_parse("2026-11-23T08:15:02.123999+07:00", 1795396502123);
	check_parse("2026-11-23T08:15:02.123456789Z", 1795421702123);
	check_parse("1969-12-31T23:59:59.999Z", -1);
	check_parse("2026-12-31T23:59:59+07:00", 1798736399000);
}

static void test_time_parse_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"2026",
		"2026-11-23",
		"2026-11-23T08:15",
		"2026-11-23T08:15:02",          /* no offset */
		"2026-11-23T08:15:02+07",
		"2026-11-23T08:15:02+0700",
		"2026-11-23T08:15:02+7:00",
		"2026-11-23 08:15:02Z",
		"2026-11-23t08:15:02Z",
		"2026-11-23T08:15:02z",
		"26-11-23T08:15:02Z",
		"2026-1-23T08:15:02Z",
		"2026-11-3T08:15:02Z",
		"2026-00-23T08:15:02Z",
		"2026-13-23T08:15:02Z",
		"2026-11-00T08:15:02Z",
		"2026-11-31T08:15:02Z",
		"2026-02-29T08:15:02Z",         /* not a leap year */
		"1900-02-29T08:15:02Z",         /* nor is 1900 */
		"2026-04-31T08:15:02Z",
		"2026-11-23T24:00:00Z",
		"2026-11-23T08:60:02Z",
		"2026-11-23T08:15:60Z",
		"2026-11-23T08:15:02+24:00",
		"2026-11-23T08:15:02+07:60",
		"2026-11-23T08:15:02.Z",        /* dot without digits */
		"2026-11-23T08:15:02.1234567890Z", /* 10 digits */
		"2026-11-23T08:15:02,123Z",
		"2026-11-23T08:15:02Zjunk",
		"2026-11-23T08:15:02+07:00 ",
		"2026-11-23T08:15:02+07:00:00",
		" 2026-11-23T08:15:02Z",
		"+2026-11-23T08:15:02Z",
		"2026-11-23T08:15:02.12a3Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ms = 7;
		if (proto_time_parse(bad[i], &ms) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	int64_t ms;
	assert_int_equal(proto_time_parse(NULL, &ms), -1);
}

/* ---- a ticket as text ---------------------------------------------------- */

/* A random string for a field of `size` bytes: empty, plain, or with
 * bytes JSON must escape. */
static void random_field(unsigned *seed, char *dst, size_t size)
{
	static const char alphabet[] = "abcXYZ09-_ \"\\/\n\t\x01\x1f\x7f\xc3\xa9";
	size_t n = (size_t)rand_r(seed) % (rand_r(seed) % 3 ? 8 : size);

	for (size_t i = 0; i < n && i + 1 < size; i++)
		dst[i] = alphabet[rand_r(seed) % (int)(sizeof alphabet - 1)];
	dst[n < size ? n : size - 1] = '\0';
}

static int64_t random_time(unsigned *seed)
{
	return rand_r(seed) % 3 ? 1764547200000LL + rand_r(seed) % 100000000 : 0;
}

static int random_int(unsigned *seed)
{
	int k = rand_r(seed) % 4;
	return k == 0 ? -1 : k == 1 ? 0 : rand_r(seed) % 100000;
}

static void random_ticket(unsigned *seed, struct ticket *t)
{
	memset(t, 0, sizeof *t);
	random_field(seed, t->id, sizeof t->id);
	random_field(seed, t->code, sizeof t->code);
	random_field(seed, t->service, sizeof t->service);
	random_field(seed, t->priority, sizeof t->priority);
	random_field(seed, t->area, sizeof t->area);
	random_field(seed, t->stage, sizeof t->stage);
	random_field(seed, t->station, sizeof t->station);
	t->state = (enum ticket_state)(rand_r(seed) % (TICKET_STATE_COUNT + 1));   /* one past: null */
	t->issued_at = random_time(seed);
	t->hold_until = random_time(seed);
	t->position = random_int(seed);
	t->eta_s = random_int(seed);
	t->leave_eta_s = random_int(seed);
	t->recalls = rand_r(seed) % 4;
	t->eta_range_s[0] = random_int(seed);
	t->eta_range_s[1] = random_int(seed);
	t->nvisits = rand_r(seed) % (PROTO_MAX_STAGES * 2 + 1);
	for (int i = 0; i < t->nvisits; i++) {
		struct ticket_visit *v = &t->visits[i];
		random_field(seed, v->stage, sizeof v->stage);
		random_field(seed, v->station, sizeof v->station);
		random_field(seed, v->outcome, sizeof v->outcome);
		v->queued_at = random_time(seed);
		v->called_at = random_time(seed);
		v->started_at = random_time(seed);
		v->completed_at = random_time(seed);
	}
}

/* proto_ticket_text is the tree encoder's text, byte for byte, in both
 * views (the short one: the tree less priority, area and visits). */
static void test_ticket_text_is_encode(void **state)
{
	unsigned seed = 15;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct ticket t;
		int off = (rand_r(&seed) % 27 - 12) * 3600;
		bool full = i % 2 == 0;
		struct proto_text out = { 0 };
		cJSON *tree;
		char *want, *got;

		random_ticket(&seed, &t);
		tree = proto_ticket_encode(&t, off);
		assert_non_null(tree);
		if (!full) {
			cJSON_DeleteItemFromObjectCaseSensitive(tree, "priority");
			cJSON_DeleteItemFromObjectCaseSensitive(tree, "area");
			cJSON_DeleteItemFromObjectCaseSensitive(tree, "visits");
		}
		want = proto_json_print(tree, NULL);
		proto_text_add(&out, "{", 1);
		proto_ticket_text(&out, &t, off, full);
		proto_text_add(&out, "}", 1);
		got = proto_text_end(&out, NULL);
		assert_non_null(want);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(want);
		free(got);
		cJSON_Delete(tree);
	}
}

/* ---- round trips -------------------------------------------------------- */

static void test_ticket_roundtrip(void **state)
{
	(void)state;
	struct ticket t, back;
	char err[PROTO_ERR_MAX] = "";
	make_ticket(&t);
	for (int off = -12 * 3600; off <= 14 * 3600; off += 3 * 3600 + 15 * 60) {
		cJSON *j = reparse(proto_ticket_encode(&t, off));
		assert_int_equal(proto_ticket_decode(j, &back, err), 0);
		cJSON_Delete(j);
		assert_ticket_eq(&t, &back);
	}
}

static void test_ticket_roundtrip_minimal(void **state)
{
	(void)state;
	struct ticket t, back;
	char err[PROTO_ERR_MAX] = "";
	memset(&t, 0, sizeof t);
	strcpy(t.id, "t_1");
	strcpy(t.code, "C-001");
	strcpy(t.service, "hpv");
	strcpy(t.stage, "registration");
	t.state = TICKET_WAITING;
	t.issued_at = 1795396502000;
	t.position = -1;
	t.eta_s = -1;
	cJSON *j = proto_ticket_encode(&t, OFF_WIB);
	/* the null-when-unset fields */
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "area")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "station")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "hold_until")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "position")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "eta_s")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "visits")), 0);
	assert_string_equal(cJSON_GetObjectItem(j, "issued_at")->valuestring,
	    "2026-11-23T08:15:02+07:00");
	assert_string_equal(cJSON_GetObjectItem(j, "state")->valuestring, "waiting");
	j = reparse(j);
	assert_int_equal(proto_ticket_decode(j, &back, err), 0);
	cJSON_Delete(j);
	assert_ticket_eq(&t, &back);

	/* every state survives */
	for (int s = 0; s < TICKET_STATE_COUNT; s++) {
		t.state = (enum ticket_state)s;
		j = reparse(proto_ticket_encode(&t, 0));
		assert_int_equal(proto_ticket_decode(j, &back, err), 0);
		cJSON_Delete(j);
		assert_int_equal(back.state, s);
	}
}

static void test_ticket_visit_shape(void **state)
{
	(void)state;
	struct ticket t;
	make_ticket(&t);
	cJSON *j = proto_ticket_encode(&t, OFF_WIB);
	assert_non_null(j);
	cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "visits"), 2);
	assert_non_null(v);
	v = cJSON_Duplicate(v, 1);
	cJSON_Delete(j);
	assert_json(v, "{\"stage\":\"vaccination\",\"station\":\"vaccination-3\","
	    "\"queued_at\":\"2026-11-23T08:21:40+07:00\","
	    "\"called_at\":\"2026-11-23T08:23:20+07:00\","
	    "\"started_at\":\"2026-11-23T08:23:25+07:00\","
	    "\"completed_at\":null,\"outcome\":null}");
}

static void test_ticket_decode_defaults(void **state)
{
	(void)state;
	struct ticket t;
	char err[PROTO_ERR_MAX] = "";
	/* only the required fields, explicit nulls, and an unknown field */
	cJSON *j = cJSON_Parse("{\"id\":\"t_9\",\"code\":\"A-009\",\"service\":\"mr\","
	    "\"state\":\"called\",\"stage\":\"screening\","
	    "\"issued_at\":\"2026-11-23T08:15:02+07:00\",\"area\":null,"
	    "\"eta_s\":null,\"visits\":null,\"future\":{\"x\":[1,2]}}");
	assert_int_equal(proto_ticket_decode(j, &t, err), 0);
	cJSON_Delete(j);
	assert_string_equal(t.id, "t_9");
	assert_string_equal(t.priority, "");
	assert_string_equal(t.area, "");
	assert_string_equal(t.station, "");
	assert_int_equal(t.state, TICKET_CALLED);
	assert_int_equal(t.issued_at, 1795396502000);
	assert_int_equal(t.hold_until, 0);
	assert_int_equal(t.position, -1);
	assert_int_equal(t.eta_s, -1);
	assert_int_equal(t.recalls, 0);
	assert_int_equal(t.nvisits, 0);
}

static void test_station_roundtrip(void **state)
{
	(void)state;
	struct station s, back;
	char err[PROTO_ERR_MAX] = "";

	make_station(&s, "vaccination", 3, STATION_OPEN, "t_8f3a2c91d0e4", "A-017");
	assert_json(proto_station_encode(&s),
	    "{\"id\":\"vaccination-3\",\"stage\":\"vaccination\",\"number\":3,"
	    "\"state\":\"open\",\"ticket\":{\"id\":\"t_8f3a2c91d0e4\",\"code\":\"A-017\"}}");
	cJSON *j = reparse(proto_station_encode(&s));
	assert_int_equal(proto_station_decode(j, &back, err), 0);
	cJSON_Delete(j);
	assert_station_eq(&s, &back);

	/* the held ticket's state, when known (the TV tells called from serving) */
	snprintf(s.ticket_state, sizeof s.ticket_state, "called");
	assert_json(proto_station_encode(&s),
	    "{\"id\":\"vaccination-3\",\"stage\":\"vaccination\",\"number\":3,"
	    "\"state\":\"open\",\"ticket\":{\"id\":\"t_8f3a2c91d0e4\",\"code\":\"A-017\","
	    "\"state\":\"called\"}}");
	j = reparse(proto_station_encode(&s));
	assert_int_equal(proto_station_decode(j, &back, err), 0);
	cJSON_Delete(j);
	assert_station_eq(&s, &back);

	make_station(&s, "screening", 12, STATION_PAUSED, "", "");
	assert_json(proto_station_encode(&s),
	    "{\"id\":\"screening-12\",\"stage\":\"screening\",\"number\":12,"
	    "\"state\":\"paused\",\"ticket\":null}");
	j = reparse(proto_station_encode(&s));
	assert_int_equal(proto_station_decode(j, &back, err), 0);
	cJSON_Delete(j);
	assert_station_eq(&s, &back);
}

static void test_call_roundtrip(void **state)
{
	(void)state;
	struct call c, back;
	char err[PROTO_ERR_MAX] = "";

	make_call(&c, "t_8f3a2c91d0e4", "A-017", "vaccination", 3, true, 1795396502000);
	assert_json(proto_call_encode(&c, OFF_WIB),
	    "{\"ticket\":\"t_8f3a2c91d0e4\",\"code\":\"A-017\",\"station\":\"vaccination-3\","
	    "\"stage\":\"vaccination\",\"station_number\":3,\"recall\":true,"
	    "\"at\":\"2026-11-23T08:15:02+07:00\"}");
	for (int recall = 0; recall < 2; recall++) {
		c.recall = recall;
		cJSON *j = reparse(proto_call_encode(&c, -4 * 3600));
		assert_int_equal(proto_call_decode(j, &back, err), 0);
		cJSON_Delete(j);
		assert_call_eq(&c, &back);
	}
}

static void test_board_roundtrip(void **state)
{
	(void)state;
	struct board *b = malloc(sizeof *b), *back = malloc(sizeof *back);
	char err[PROTO_ERR_MAX] = "";
	assert_non_null(b);
	assert_non_null(back);

	make_board(b);
	cJSON *j = reparse(proto_board_encode(b, OFF_WIB));
	assert_int_equal(proto_board_decode(j, back, err), 0);
	cJSON_Delete(j);
	assert_board_eq(b, back);

	/* full to every limit */
	b->nstages = PROTO_MAX_STAGES;
	for (int i = 0; i < PROTO_MAX_STAGES; i++) {
		snprintf(b->stages[i].id, sizeof b->stages[i].id, "stage-%d", i);
		snprintf(b->stages[i].name, sizeof b->stages[i].name, "Tahap %d", i);
		b->stages[i].waiting = i;
		b->stages[i].eta_s = i % 2 ? -1 : i * 30;
		b->stages[i].eta_range_s[0] = i % 2 ? -1 : 0;
		b->stages[i].eta_range_s[1] = i % 2 ? -1 : i * 60 + 60;
	}
	b->nstations = PROTO_MAX_STATIONS;
	for (int i = 0; i < PROTO_MAX_STATIONS; i++)
		make_station(&b->stations[i], "vaccination", i + 1,
		    i % 3 ? STATION_OPEN : STATION_PAUSED, i % 2 ? "t_x" : "", i % 2 ? "X-1" : "");
	b->ncalls = PROTO_MAX_CALLS;
	for (int i = 0; i < PROTO_MAX_CALLS; i++)
		make_call(&b->calls[i], "t_x", "X-1", "vaccination", i + 1, i % 2, 1795396502000 - i * 1000);
	j = reparse(proto_board_encode(b, OFF_WIB));
	assert_int_equal(proto_board_decode(j, back, err), 0);
	cJSON_Delete(j);
	assert_board_eq(b, back);

	/* empty board: arrays present and empty */
	memset(b, 0, sizeof *b);
	strcpy(b->event, "e");
	b->at = 1;
	assert_json(proto_board_encode(b, 0),
	    "{\"event\":\"e\",\"at\":\"1970-01-01T00:00:00.001+00:00\",\"stages\":[],"
	    "\"stations\":[],\"calls\":[],\"holds\":[],\"issued_today\":0,"
	    "\"doses_today\":0,\"target\":0}");
	j = reparse(proto_board_encode(b, 0));
	assert_int_equal(proto_board_decode(j, back, err), 0);
	cJSON_Delete(j);
	assert_board_eq(b, back);

	free(b);
	free(back);
}

/* A board b2 made from b1 by calls, a stage's count, a desk, a hold that
 * ended and one that began: the delta of b1 -> b2 over the wire, applied
 * to b1, gives b2; no change gives 0, and a new day's calls -1. */
/* A station event older than the board (its fan-out came after a board
 * read): set into the board the displays hold, the next read's diff says
 * that station again, so the displays do not keep the older state. */
static void test_board_station_event_then_diff(void **state)
{
	(void)state;
	struct board *now = malloc(sizeof *now), *held = malloc(sizeof *held);
	struct board_delta *d = malloc(sizeof *d);
	struct station old;

	assert_non_null(now); assert_non_null(held); assert_non_null(d);
	make_board(now);
	make_station(&now->stations[2], "screening", 1, STATION_OPEN, "t_9", "A-009");
	*held = *now;                            /* the delta of the read was sent */
	assert_int_equal(proto_board_diff(held, now, d), 0);
	old = now->stations[2];
	old.state = STATION_PAUSED;              /* the older entry, fanned out after */
	old.ticket_id[0] = old.ticket_code[0] = '\0';
	assert_int_equal(proto_board_set_station(held, &old), 1);
	assert_int_equal(proto_board_diff(held, now, d), 1);
	assert_int_equal(d->nstations, 1);
	assert_string_equal(d->stations[0].id, now->stations[2].id);
	assert_int_equal(d->stations[0].state, STATION_OPEN);
	proto_board_apply(held, d);
	assert_int_equal(proto_board_diff(held, now, d), 0);
	strcpy(old.id, "nowhere-1");             /* a station the board has not */
	assert_int_equal(proto_board_set_station(held, &old), 0);
	free(now); free(held); free(d);
}

static void test_board_delta(void **state)
{
	(void)state;
	struct board *b1 = malloc(sizeof *b1), *b2 = malloc(sizeof *b2), *kept = malloc(sizeof *kept);
	struct board_delta *d = malloc(sizeof *d), *back = malloc(sizeof *back);
	char err[PROTO_ERR_MAX] = "";
	struct call c;

	assert_non_null(b1); assert_non_null(b2); assert_non_null(kept);
	assert_non_null(d); assert_non_null(back);
	make_board(b1);
	*b2 = *b1;
	assert_int_equal(proto_board_diff(b1, b2, d), 0);
	b2->at += 1000;
	b2->stages[1].waiting = 3;
	make_station(&b2->stations[2], "screening", 1, STATION_OPEN, "t_9", "A-009");
	for (int i = 0; i < 9; i++) {             /* nine new calls: two old ones drop */
		make_call(&c, "t_9", "A-009", "screening", 1, i > 0, 1795397001000 + i);
		proto_board_add_call(b2, &c);
	}
	assert_int_equal(b2->ncalls, PROTO_MAX_CALLS);
	b2->holds[0] = b2->holds[1];
	strcpy(b2->holds[1].ticket_id, "20261123-C004");
	b2->holds[1].until = 1795398900000;
	b2->doses_today++;
	assert_int_equal(proto_board_diff(b1, b2, d), 1);
	assert_int_equal(d->nstages, 1);
	assert_int_equal(d->nstations, 1);
	assert_int_equal(d->ncalls, 9);
	assert_int_equal(d->nholds, 1);
	assert_int_equal(d->ngone, 1);
	assert_string_equal(d->gone[0], "20261123-A012");
	assert_int_equal(d->issued_today, -1);
	assert_int_equal(d->doses_today, 138);
	cJSON *j = reparse(proto_board_delta_encode(d, OFF_WIB));
	assert_null(cJSON_GetObjectItem(j, "issued_today"));
	assert_int_equal(proto_board_delta_decode(j, back, err), 0);
	cJSON_Delete(j);
	*kept = *b1;
	proto_board_apply(kept, back);
	assert_board_eq(kept, b2);
	/* a call applied twice, and one older than all ten, change nothing */
	assert_int_equal(proto_board_add_call(kept, &b2->calls[0]), 0);
	make_call(&c, "t_0", "A-000", "screening", 1, false, 1);
	assert_int_equal(proto_board_add_call(kept, &c), 0);
	assert_board_eq(kept, b2);
	/* a new day: the calls start empty again, not a delta */
	b2->ncalls = 0;
	assert_int_equal(proto_board_diff(b1, b2, d), -1);
	/* other stations: not a delta either */
	*b2 = *b1;
	b2->nstations--;
	assert_int_equal(proto_board_diff(b1, b2, d), -1);
	/* bad deltas are refused */
	j = cJSON_Parse("{\"holds_gone\":[1]}");
	assert_int_equal(proto_board_delta_decode(j, back, err), -1);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"stages\":[{\"waiting\":1}]}");
	assert_int_equal(proto_board_delta_decode(j, back, err), -1);
	cJSON_Delete(j);
	free(b1); free(b2); free(kept); free(d); free(back);
}

static void test_board_stage_shape(void **state)
{
	(void)state;
	struct board *b = malloc(sizeof *b);
	assert_non_null(b);
	make_board(b);
	cJSON *j = proto_board_encode(b, OFF_WIB);
	assert_non_null(j);
	cJSON *stages = cJSON_GetObjectItem(j, "stages");
	assert_json(cJSON_Duplicate(cJSON_GetArrayItem(stages, 2), 1),
	    "{\"id\":\"vaccination\",\"name\":\"Vaksinasi\",\"waiting\":20,\"eta_s\":120,"
	    "\"eta_range_s\":[60,180]}");
	assert_json(cJSON_Duplicate(cJSON_GetArrayItem(stages, 3), 1),
	    "{\"id\":\"observation\",\"name\":\"Observasi\",\"waiting\":30,\"eta_s\":null,"
	    "\"eta_range_s\":null}");
	assert_string_equal(cJSON_GetObjectItem(j, "at")->valuestring,
	    "2026-11-23T08:23:20.250+07:00");
	cJSON_Delete(j);
	free(b);
}

static void test_error_roundtrip(void **state)
{
	(void)state;
	struct proto_error e;
	char err[PROTO_ERR_MAX] = "";
	assert_json(proto_error_encode("not_found", "no such ticket"),
	    "{\"error\":{\"code\":\"not_found\",\"message\":\"no such ticket\"}}");
	cJSON *j = reparse(proto_error_encode("bad_request", "ticket.code: \"x\" \xe2\x80\x94 too long"));
	assert_int_equal(proto_error_decode(j, &e, err), 0);
	cJSON_Delete(j);
	assert_string_equal(e.code, "bad_request");
	assert_string_equal(e.message, "ticket.code: \"x\" \xe2\x80\x94 too long");
}

/* ---- bad input ---------------------------------------------------------- */

typedef int (*decode_fn)(const cJSON *, void *, char *);

static int dec_ticket(const cJSON *j, void *out, char *err) { return proto_ticket_decode(j, out, err); }
static int dec_station(const cJSON *j, void *out, char *err) { return proto_station_decode(j, out, err); }
static int dec_call(const cJSON *j, void *out, char *err) { return proto_call_decode(j, out, err); }
static int dec_board(const cJSON *j, void *out, char *err) { return proto_board_decode(j, out, err); }
static int dec_error(const cJSON *j, void *out, char *err) { return proto_error_decode(j, out, err); }

/*
 * A bad input: `patch` is merged into the decoder's valid base document
 * (members replaced or added; the string "<del>" removes one), or used as
 * the whole document when it is not an object.  `want` is a substring of
 * the error message.
 */
struct bad_case {
	const char *patch;
	const char *want;
};

static cJSON *patched(const char *base, const char *patch)
{
	cJSON *p = cJSON_Parse(patch), *doc, *it;
	if (!p)
		fail_msg("test JSON does not parse: %s", patch);
	if (!cJSON_IsObject(p))
		return p;
	doc = cJSON_Parse(base);
	assert_non_null(doc);
	cJSON_ArrayForEach(it, p) {
		cJSON_DeleteItemFromObjectCaseSensitive(doc, it->string);
		if (!cJSON_IsString(it) || strcmp(it->valuestring, "<del>") != 0)
			cJSON_AddItemToObject(doc, it->string, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(p);
	return doc;
}

static void check_bad(decode_fn dec, size_t outsize, const char *base,
    const struct bad_case *cases, size_t n)
{
	void *out = malloc(outsize);
	char err[PROTO_ERR_MAX];
	assert_non_null(out);

	/* the base itself decodes */
	cJSON *j = cJSON_Parse(base);
	assert_non_null(j);
	if (dec(j, out, err) != 0)
		fail_msg("base rejected: %s", err);
	cJSON_Delete(j);

	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		j = patched(base, cases[i].patch);
		int rc = dec(j, out, err);
		cJSON_Delete(j);
		if (rc != -1)
			fail_msg("accepted %s", cases[i].patch);
		if (!err[0] || !strstr(err, cases[i].want))
			fail_msg("%s: error \"%s\", wanted \"%s\"", cases[i].patch, err, cases[i].want);
	}
	free(out);
}

static void test_ticket_bad(void **state)
{
	(void)state;
	static const char base[] = "{\"id\":\"t_1\",\"code\":\"A-001\",\"service\":\"mr\","
	    "\"state\":\"waiting\",\"stage\":\"registration\","
	    "\"issued_at\":\"2026-11-23T08:15:02+07:00\",\"visits\":[{\"stage\":\"registration\"}]}";
	static const struct bad_case cases[] = {
		{"[]", "ticket: expected an object"},
		{"\"t_1\"", "ticket: expected an object"},
		/* missing required fields */
		{"{\"id\":\"<del>\"}", "ticket.id: missing"},
		{"{\"code\":\"<del>\"}", "ticket.code: missing"},
		{"{\"service\":\"<del>\"}", "ticket.service: missing"},
		{"{\"state\":\"<del>\"}", "ticket.state: missing"},
		{"{\"stage\":\"<del>\"}", "ticket.stage: missing"},
		{"{\"issued_at\":\"<del>\"}", "ticket.issued_at: missing"},
		{"{\"id\":null}", "ticket.id: missing"},
		{"{\"issued_at\":null}", "ticket.issued_at: missing"},
		/* wrong types */
		{"{\"code\":17}", "ticket.code: expected a string"},
		{"{\"area\":[]}", "ticket.area: expected a string"},
		{"{\"state\":0}", "ticket.state: expected a string"},
		{"{\"position\":\"3\"}", "ticket.position: expected an integer"},
		{"{\"recalls\":true}", "ticket.recalls: expected an integer"},
		{"{\"visits\":{}}", "ticket.visits: expected an array"},
		{"{\"visits\":[\"registration\"]}", "ticket.visits[0]: expected an object"},
		{"{\"hold_until\":1795396502000}", "ticket.hold_until: expected"},
		/* values */
		{"{\"state\":\"finished\"}", "ticket.state: unknown state \"finished\""},
		{"{\"state\":\"WAITING\"}", "ticket.state: unknown state"},
		{"{\"issued_at\":\"2026-11-23 08:15:02+07:00\"}", "ticket.issued_at: invalid"},
		{"{\"hold_until\":\"2026-11-31T08:15:02+07:00\"}", "ticket.hold_until: invalid"},
		{"{\"position\":-1}", "ticket.position: out of range"},
		{"{\"eta_s\":-5}", "ticket.eta_s: out of range"},
		{"{\"recalls\":-1}", "ticket.recalls: out of range"},
		{"{\"eta_s\":1.5}", "ticket.eta_s: expected an integer"},
		{"{\"eta_range_s\":[60]}", "ticket.eta_range_s: expected [low, high] in seconds"},
		{"{\"eta_range_s\":[60,1.5]}", "ticket.eta_range_s: expected [low, high]"},
		{"{\"eta_range_s\":[-60,60]}", "ticket.eta_range_s: expected [low, high]"},
		{"{\"eta_range_s\":[600,60]}", "ticket.eta_range_s: low is above high"},
		{"{\"eta_range_s\":[1,2,3]}", "ticket.eta_range_s: too many entries"},
		{"{\"leave_eta_s\":-2}", "ticket.leave_eta_s: out of range"},
		{"{\"position\":3.000001}", "ticket.position: expected an integer"},
		{"{\"recalls\":1e10}", "ticket.recalls: out of range"},
		/* too long */
		{"{\"code\":\"A-0000000000000017\"}", "ticket.code: too long (max 15 bytes)"},
		{"{\"area\":\"0123456789012345678901234567890123456789012345678901234567890123\"}",
		 "ticket.area: too long"},
		{"{\"station\":\"vaccination-station-number-three-of-the-east-hall\"}",
		 "ticket.station: too long"},
		/* visits */
		{"{\"visits\":[{\"stage\":\"r\"},{\"station\":\"r-1\"}]}", "ticket.visits[1].stage: missing"},
		{"{\"visits\":[{\"stage\":\"r\",\"queued_at\":\"yesterday\"}]}",
		 "ticket.visits[0].queued_at: invalid"},
		{"{\"visits\":[{\"stage\":\"r\",\"station\":false}]}",
		 "ticket.visits[0].station: expected a string"},
		{"{\"visits\":[{\"stage\":\"r\",\"outcome\":\"transferred-elsewhere\"}]}",
		 "ticket.visits[0].outcome: too long"},
		{"{\"visits\":[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]}",
		 "ticket.visits: too many entries (max 16)"},
	};
	check_bad(dec_ticket, sizeof(struct ticket), base, cases, sizeof cases / sizeof cases[0]);
}

static void test_station_bad(void **state)
{
	(void)state;
	static const char base[] = "{\"id\":\"v-1\",\"stage\":\"v\",\"number\":1,\"state\":\"open\","
	    "\"ticket\":{\"id\":\"t_1\",\"code\":\"A-1\"}}";
	static const struct bad_case cases[] = {
		{"null", "station: expected an object"},
		{"{\"id\":\"<del>\"}", "station.id: missing"},
		{"{\"stage\":\"<del>\"}", "station.stage: missing"},
		{"{\"number\":\"<del>\"}", "station.number: missing"},
		{"{\"state\":\"<del>\"}", "station.state: missing"},
		{"{\"id\":1}", "station.id: expected a string"},
		{"{\"number\":\"1\"}", "station.number: expected an integer"},
		{"{\"number\":1.25}", "station.number: expected an integer"},
		{"{\"number\":0}", "station.number: out of range"},
		{"{\"number\":-3}", "station.number: out of range"},
		{"{\"state\":\"closed\"}", "station.state: unknown state \"closed\""},
		{"{\"state\":true}", "station.state: expected a string"},
		{"{\"ticket\":\"t_1\"}", "station.ticket: expected an object"},
		{"{\"ticket\":{\"code\":\"A-1\"}}", "station.ticket.id: missing"},
		{"{\"ticket\":{\"id\":\"t_1\"}}", "station.ticket.code: missing"},
		{"{\"ticket\":{\"id\":\"t_1\",\"code\":\"A-0000000000000001\"}}",
		 "station.ticket.code: too long"},
		{"{\"id\":\"vaccination-station-number-three-of-the-east-hal\"}", "station.id: too long"},
	};
	check_bad(dec_station, sizeof(struct station), base, cases, sizeof cases / sizeof cases[0]);
}

static void test_call_bad(void **state)
{
	(void)state;
	static const char base[] = "{\"ticket\":\"t_1\",\"code\":\"A-1\",\"station\":\"v-1\","
	    "\"stage\":\"v\",\"station_number\":1,\"recall\":false,"
	    "\"at\":\"2026-11-23T08:15:02+07:00\"}";
	static const struct bad_case cases[] = {
		{"7", "call: expected an object"},
		{"{\"ticket\":\"<del>\"}", "call.ticket: missing"},
		{"{\"code\":\"<del>\"}", "call.code: missing"},
		{"{\"station\":\"<del>\"}", "call.station: missing"},
		{"{\"stage\":\"<del>\"}", "call.stage: missing"},
		{"{\"at\":\"<del>\"}", "call.at: missing"},
		{"{\"ticket\":{\"id\":\"t_1\"}}", "call.ticket: expected a string"},
		{"{\"recall\":1}", "call.recall: expected a boolean"},
		{"{\"recall\":\"true\"}", "call.recall: expected a boolean"},
		{"{\"station_number\":2.5}", "call.station_number: expected an integer"},
		{"{\"station_number\":-1}", "call.station_number: out of range"},
		{"{\"at\":\"2026-11-23T08:15:02+07:00x\"}", "call.at: invalid"},
		{"{\"at\":0}", "call.at: expected"},
		{"{\"ticket\":\"t_0123456789012345678901234567890123456789\"}", "call.ticket: too long"},
	};
	check_bad(dec_call, sizeof(struct call), base, cases, sizeof cases / sizeof cases[0]);
}

#define CALL_JSON "{\"ticket\":\"t\",\"code\":\"A\",\"station\":\"v-1\",\"stage\":\"v\",\"at\":\"2026-11-23T08:15:02Z\"}"
#define STATION_JSON "{\"id\":\"v-1\",\"stage\":\"v\",\"number\":1,\"state\":\"open\"}"
#define X4(s) s "," s "," s "," s
#define X16(s) X4(s) "," X4(s) "," X4(s) "," X4(s)

static void test_board_bad(void **state)
{
	(void)state;
	static const char base[] = "{\"event\":\"e\",\"at\":\"2026-11-23T08:15:02+07:00\","
	    "\"stages\":[{\"id\":\"v\",\"name\":\"V\",\"waiting\":1,\"eta_s\":null}],"
	    "\"stations\":[" STATION_JSON "],\"calls\":[" CALL_JSON "],"
	    "\"doses_today\":1,\"target\":2}";
	static const struct bad_case cases[] = {
		{"[1]", "board: expected an object"},
		{"{\"event\":\"<del>\"}", "board.event: missing"},
		{"{\"stages\":\"<del>\"}", "board.stages: missing"},
		{"{\"stages\":null}", "board.stages: missing"},
		{"{\"event\":[]}", "board.event: expected a string"},
		{"{\"stages\":{}}", "board.stages: expected an array"},
		{"{\"stations\":\"none\"}", "board.stations: expected an array"},
		{"{\"calls\":7}", "board.calls: expected an array"},
		{"{\"at\":\"2026-11-23\"}", "board.at: invalid"},
		{"{\"doses_today\":-1}", "board.doses_today: out of range"},
		{"{\"target\":400.5}", "board.target: expected an integer"},
		{"{\"event\":\"an-event-id-that-is-exactly-forty-chars!\"}", "board.event: too long"},
		{"{\"stages\":[{\"id\":\"a\"},{\"name\":\"B\"}]}", "board.stages[1].id: missing"},
		{"{\"stages\":[{\"id\":\"a\",\"waiting\":-2}]}", "board.stages[0].waiting: out of range"},
		{"{\"stages\":[{\"id\":\"a\",\"eta_s\":0.5}]}", "board.stages[0].eta_s: expected an integer"},
		{"{\"stages\":[{\"id\":\"a\",\"eta_range_s\":[60]}]}",
		 "board.stages[0].eta_range_s: expected [low, high] in seconds"},
		{"{\"stages\":[{\"id\":\"a\",\"eta_range_s\":[600,60]}]}",
		 "board.stages[0].eta_range_s: low is above high"},
		{"{\"stages\":[{\"id\":\"a\",\"name\":5}]}", "board.stages[0].name: expected a string"},
		{"{\"stages\":[3]}", "board.stages[0]: expected an object"},
		{"{\"stages\":[{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},"
		 "{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"},{\"id\":\"a\"}]}",
		 "board.stages: too many entries (max 8)"},
		{"{\"stations\":[" STATION_JSON ",{\"id\":\"v-2\",\"stage\":\"v\",\"number\":2,\"state\":\"busy\"}]}",
		 "board.stations[1].state: unknown state \"busy\""},
		{"{\"stations\":[" X16(X4(STATION_JSON)) "," X16(X4(STATION_JSON)) "," STATION_JSON "]}",
		 "board.stations: too many entries (max 128)"},
		{"{\"calls\":[" CALL_JSON ",{\"ticket\":\"t\"}]}", "board.calls[1].code: missing"},
		{"{\"calls\":[" X4(CALL_JSON) "," X4(CALL_JSON) "," CALL_JSON "," CALL_JSON "," CALL_JSON "]}",
		 "board.calls: too many entries (max 10)"},
	};
	check_bad(dec_board, sizeof(struct board), base, cases, sizeof cases / sizeof cases[0]);

	/* the limits themselves are fine */
	struct board *b = malloc(sizeof *b);
	char err[PROTO_ERR_MAX] = "";
	assert_non_null(b);
	cJSON *j = cJSON_Parse("{\"event\":\"e\",\"stages\":[],\"stations\":[" X16(X4(STATION_JSON)) "],"
	    "\"calls\":[" X4(CALL_JSON) "," X4(CALL_JSON) "," CALL_JSON "," CALL_JSON "]}");
	assert_non_null(j);
	assert_int_equal(proto_board_decode(j, b, err), 0);
	assert_int_equal(b->nstations, 64);
	assert_int_equal(b->ncalls, 10);
	assert_int_equal(b->at, 0);
	cJSON_Delete(j);
	free(b);
}

static void test_error_bad(void **state)
{
	(void)state;
	static const char base[] = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such ticket\"}}";
	static const struct bad_case cases[] = {
		{"\"oops\"", "expected an object"},
		{"{\"error\":\"<del>\"}", "error: missing"},
		{"{\"error\":\"not_found\"}", "error: expected an object"},
		{"{\"error\":{\"message\":\"m\"}}", "error.code: missing"},
		{"{\"error\":{\"code\":\"c\"}}", "error.message: missing"},
		{"{\"error\":{\"code\":404,\"message\":\"m\"}}", "error.code: expected a string"},
		{"{\"error\":{\"code\":\"c\",\"message\":null}}", "error.message: missing"},
		{"{\"error\":{\"code\":\"an_error_code_that_is_far_too_long_for_the_buffer\",\"message\":\"m\"}}",
		 "error.code: too long (max 47 bytes)"},
	};
	check_bad(dec_error, sizeof(struct proto_error), base, cases, sizeof cases / sizeof cases[0]);
}

/* ---- running out of memory ---------------------------------------------- */

static long allocs_left;

static void *failing_malloc(size_t n)
{
	if (allocs_left-- <= 0)
		return NULL;
	return malloc(n);
}

/* Calls `encode` with 0, 1, 2, ... allowed allocations until it succeeds;
 * every earlier attempt must return NULL (ASan reports any leak). */
static cJSON *encode_under_oom(cJSON *(*encode)(const void *), const void *arg)
{
	cJSON_Hooks hooks = {failing_malloc, free};
	cJSON *j = NULL;
	long n;
	cJSON_InitHooks(&hooks);
	for (n = 0; n < 100000 && !j; n++) {
		allocs_left = n;
		j = encode(arg);
	}
	cJSON_InitHooks(NULL);
	assert_non_null(j);
	assert_true(n > 1);
	return j;
}

static cJSON *enc_ticket(const void *p) { return proto_ticket_encode(p, OFF_WIB); }
static cJSON *enc_station(const void *p) { return proto_station_encode(p); }
static cJSON *enc_call(const void *p) { return proto_call_encode(p, OFF_WIB); }
static cJSON *enc_board(const void *p) { return proto_board_encode(p, OFF_WIB); }
static cJSON *enc_error(const void *p) { (void)p; return proto_error_encode("not_found", "no such ticket"); }
static cJSON *enc_error_value(const void *p)
{
	const struct proto_error *e = p;
	return proto_error_encode(e->code, e->message);
}
static int dec_stats_keep(const cJSON *j, void *out, char *err) { return proto_stats_decode(j, out, err); }

static void test_encode_oom(void **state)
{
	(void)state;
	struct ticket t;
	struct station s;
	struct call c;
	struct board *b = malloc(sizeof *b), *back = malloc(sizeof *back);
	struct ticket tback;
	char err[PROTO_ERR_MAX] = "";
	assert_non_null(b);
	assert_non_null(back);

	make_fixtures(&t, &s, &c, b);

	cJSON *j = encode_under_oom(enc_ticket, &t);
	assert_int_equal(proto_ticket_decode(j, &tback, err), 0);
	assert_ticket_eq(&t, &tback);
	cJSON_Delete(j);
	cJSON_Delete(encode_under_oom(enc_station, &s));
	cJSON_Delete(encode_under_oom(enc_call, &c));
	j = encode_under_oom(enc_board, b);
	assert_int_equal(proto_board_decode(j, back, err), 0);
	assert_board_eq(b, back);
	cJSON_Delete(j);
	cJSON_Delete(encode_under_oom(enc_error, NULL));
	free(b);
	free(back);
}

/* Found by fuzz_protocol: inputs that decoded but did not encode back. */
static void test_fuzz_regressions(void **state)
{
	struct station st;
	char err[PROTO_ERR_MAX] = "";
	int64_t ms, back;
	char buf[40];
	cJSON *j;

	(void)state;
	/* a held ticket without an id would be written back as no ticket */
	j = cJSON_Parse("{\"id\":\"vaccination-3\",\"stage\":\"vaccination\",\"number\":3,"
	    "\"state\":\"open\",\"ticket\":{\"id\":\"\",\"code\":\"A-017\"}}");
	assert_non_null(j);
	assert_int_equal(proto_station_decode(j, &st, err), -1);
	assert_non_null(strstr(err, "station.ticket.id"));
	cJSON_Delete(j);
	/* moments whose year some offset would write with other than 4 digits */
	assert_int_equal(proto_time_parse("0000-01-01T00:00:00+01:00", &ms), -1);
	assert_int_equal(proto_time_parse("9999-12-31T23:30:00-01:00", &ms), -1);
	assert_int_equal(proto_time_parse("0000-01-02T00:00:00Z", &ms), 0);
	proto_time_format(ms, -86340, buf, sizeof buf);
	assert_int_equal(proto_time_parse(buf, &back), 0);
	assert_int_equal(back, ms);
}


/* ---- the organisers' figures -------------------------------------------- */

/* Every member of struct stats, in the encoder's order, as cJSON prints it:
 * nulls where a figure is unknown, a paused desk, a stage with no desks. */
static const char stats_text[] =
    "{\"event\":\"demo\",\"at\":\"2026-11-23T11:02:00+07:00\",\"day\":\"2026-11-23\","
    "\"today\":{\"doses\":312,\"issued\":401,\"waiting\":57,\"deferred\":6,\"refused\":1,"
    "\"no_show\":4,\"expired\":3,\"by_service\":{\"dose1\":{\"issued\":250,\"doses\":190},"
    "\"booster\":{\"issued\":151,\"doses\":122}},"
    "\"by_priority\":{\"elderly\":{\"issued\":88,\"doses\":70},"
    "\"regular\":{\"issued\":313,\"doses\":242}}},"
    "\"target\":1000,"
    "\"forecast\":{\"rate_per_hour_30\":104,\"rate_per_hour_60\":98,\"rate_per_hour\":98.5,"
    "\"hours_left\":3.97,\"expected_at_close\":701,\"margin\":-299,\"reached\":false,"
    "\"target_at\":\"2026-11-23T18:03:00.250+07:00\",\"low\":668,\"high\":733,"
    "\"in_building\":88,\"arrivals_expected\":310,\"capacity_to_close\":389},"
    "\"stages\":[{\"id\":\"vaccination\",\"name\":\"Vaksinasi\",\"waiting\":23,\"served\":312,"
    "\"calls\":320,\"avg_wait_s\":540,\"p50_wait_s\":420,\"p90_wait_s\":1150,"
    "\"avg_service_s\":95,\"throughput_per_hour\":{\"last_15\":96,\"last_60\":98},"
    "\"arrivals_per_hour\":130,\"stations_open\":1,\"deferred\":0,\"refused\":0,"
    "\"no_show\":1,\"expired\":3,\"stations\":[{\"id\":\"vaccination-1\",\"state\":\"open\",\"served\":110,"
    "\"calls\":112,\"avg_wait_s\":530,\"avg_service_s\":90,"
    "\"throughput_per_hour\":{\"last_15\":32,\"last_60\":33},\"deferred\":0,\"refused\":0,"
    "\"no_show\":0,\"last_call_at\":\"2026-11-23T11:01:12+07:00\"},"
    "{\"id\":\"vaccination-2\",\"state\":\"paused\",\"served\":0,\"calls\":0,"
    "\"avg_wait_s\":null,\"avg_service_s\":null,"
    "\"throughput_per_hour\":{\"last_15\":0,\"last_60\":0},\"deferred\":0,\"refused\":0,"
    "\"no_show\":0,\"last_call_at\":null}],\"capacity_per_hour\":32.7,"
    "\"chairs_needed\":null},"
    "{\"id\":\"observation\",\"name\":\"Observasi\",\"waiting\":0,\"served\":0,\"calls\":0,"
    "\"avg_wait_s\":null,\"p50_wait_s\":null,\"p90_wait_s\":null,\"avg_service_s\":null,"
    "\"throughput_per_hour\":{\"last_15\":0,\"last_60\":0},\"arrivals_per_hour\":0,"
    "\"stations_open\":0,\"deferred\":0,\"refused\":0,\"no_show\":0,\"expired\":0,"
    "\"stations\":[],"
    "\"capacity_per_hour\":null,\"chairs_needed\":65}],"
    "\"bottleneck\":{\"stage\":\"vaccination\",\"capacity_per_hour\":98,"
    "\"arrivals_per_hour\":130,\"per_station_per_hour\":32.7,\"extra_stations\":2,"
    "\"max_stations\":5,\"unserved_at_close\":0,\"move_station\":\"screening-2\","
    "\"recommendation\":\"buka 2 meja vaksinasi lagi agar antrean terlayani sebelum tutup\"},"
    "\"idle\":[{\"station\":\"screening-2\",\"stage\":\"screening\",\"idle_s\":430,"
    "\"waiting\":12},{\"station\":\"screening-3\",\"stage\":\"screening\",\"idle_s\":null,"
    "\"waiting\":12}],"
    "\"areas\":[{\"area\":\"327301\",\"doses\":120},{\"area\":null,\"doses\":40}],"
    "\"series\":[{\"start\":\"2026-11-23T08:00:00+07:00\",\"doses\":21},"
    "{\"start\":\"2026-11-23T08:15:00+07:00\",\"doses\":0}]}";

static void test_stats_text_roundtrip(void **state)
{
	(void)state;
	struct stats *s = calloc(1, sizeof *s);
	char err[PROTO_ERR_MAX] = "";
	cJSON *j = cJSON_Parse(stats_text);

	assert_non_null(s);
	assert_non_null(j);
	if (proto_stats_decode(j, s, err) != 0)
		fail_msg("decode: %s", err);
	cJSON_Delete(j);
	assert_int_equal(s->nstages, 2);
	assert_int_equal(s->nstations, 2);
	assert_int_equal(s->stations[1].stage, 0);
	assert_int_equal(s->stations[1].state, STATION_PAUSED);
	assert_true(s->stages[1].capacity_per_hour == -1);
	assert_int_equal(s->forecast.margin, -299);
	assert_int_equal(s->idle[1].idle_s, -1);
	assert_int_equal(s->nareas, 2);
	assert_string_equal(s->areas[1].area, "");
	assert_true(s->bottleneck.set);
	assert_int_equal(s->forecast.capacity_to_close, 389);
	assert_int_equal(s->stages[0].chairs_needed, -1);
	assert_int_equal(s->stages[1].chairs_needed, 65);
	assert_string_equal(s->bottleneck.move_station, "screening-2");
	assert_json(proto_stats_encode(s, OFF_WIB), stats_text);
	proto_stats_free(s);
	free(s);
}

static void test_stats_without_bottleneck_or_lists(void **state)
{
	(void)state;
	static const char text[] = "{\"event\":\"e\",\"at\":null,\"day\":\"2026-11-23\","
	    "\"today\":{},\"forecast\":{},\"stages\":[],\"bottleneck\":null}";
	struct stats *s = calloc(1, sizeof *s);
	char err[PROTO_ERR_MAX] = "";
	cJSON *j = cJSON_Parse(text);

	assert_non_null(s);
	assert_int_equal(proto_stats_decode(j, s, err), 0);
	cJSON_Delete(j);
	assert_false(s->bottleneck.set);
	assert_null(s->areas);
	assert_json(proto_stats_encode(s, OFF_WIB),
	    "{\"event\":\"e\",\"at\":null,\"day\":\"2026-11-23\",\"today\":{\"doses\":0,"
	    "\"issued\":0,\"waiting\":0,\"deferred\":0,\"refused\":0,\"no_show\":0,"
	    "\"expired\":0,\"by_service\":{},\"by_priority\":{}},\"target\":0,\"forecast\":{"
	    "\"rate_per_hour_30\":0,\"rate_per_hour_60\":0,\"rate_per_hour\":0,\"hours_left\":0,"
	    "\"expected_at_close\":0,\"margin\":0,\"reached\":false,\"target_at\":null,"
	    "\"low\":0,\"high\":0,\"in_building\":0,\"arrivals_expected\":0,"
	    "\"capacity_to_close\":null},\"stages\":[],\"bottleneck\":null,\"idle\":[],\"areas\":[],\"series\":[]}");
	proto_stats_free(s);
	free(s);
}

static int dec_stats(const cJSON *j, void *out, char *err)
{
	int rc = proto_stats_decode(j, out, err);
	if (rc == 0)
		proto_stats_free(out);
	return rc;
}

static void test_stats_bad(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{"[]", "stats: expected an object"},
		{"{\"event\":\"<del>\"}", "stats.event: missing"},
		{"{\"day\":\"<del>\"}", "stats.day: missing"},
		{"{\"today\":\"<del>\"}", "stats.today: missing"},
		{"{\"forecast\":\"<del>\"}", "stats.forecast: missing"},
		{"{\"stages\":\"<del>\"}", "stats.stages: missing"},
		{"{\"at\":\"11:02\"}", "stats.at: invalid RFC 3339 time"},
		{"{\"target\":-1}", "stats.target: out of range"},
		{"{\"today\":{\"doses\":1.5}}", "stats.today.doses: expected an integer"},
		{"{\"today\":{\"by_service\":[]}}", "stats.today.by_service: expected an object"},
		{"{\"today\":{\"by_service\":{\"a\":{\"doses\":\"1\"}}}}",
		 "stats.today.by_service.doses: expected an integer"},
		{"{\"today\":{\"by_priority\":{\"a\":{},\"b\":{},\"c\":{},\"d\":{},\"e\":{},\"f\":{},"
		 "\"g\":{},\"h\":{},\"i\":{}}}}", "stats.today.by_priority: too many entries (max 8)"},
		{"{\"forecast\":{\"reached\":1}}", "stats.forecast.reached: expected a boolean"},
		{"{\"forecast\":{\"rate_per_hour\":-2}}", "stats.forecast.rate_per_hour: out of range"},
		{"{\"stages\":[{\"id\":\"v\",\"throughput_per_hour\":{},\"stations\":[{\"id\":\"v-1\","
		 "\"state\":\"gone\",\"throughput_per_hour\":{}}]}]}",
		 "stats.stages[0].stations[0].state: unknown state"},
		{"{\"stages\":[{\"id\":\"v\",\"throughput_per_hour\":{\"last_15\":null,"
		 "\"last_60\":\"9\"}}]}", "stats.stages[0].throughput_per_hour.last_60: expected"},
		{"{\"stages\":[{}]}", "stats.stages[0].id: missing"},
		{"{\"stages\":[{\"id\":\"v\"}]}", "stats.stages[0].throughput_per_hour: missing"},
		{"{\"bottleneck\":{\"capacity_per_hour\":1}}", "stats.bottleneck.stage: missing"},
		{"{\"bottleneck\":true}", "stats.bottleneck: expected an object"},
		{"{\"idle\":{}}", "stats.idle: expected an array"},
		{"{\"areas\":[{\"area\":5}]}", "stats.areas[0].area: expected a string"},
		{"{\"series\":[{\"doses\":1}]}", "stats.series[0].start: missing"},
	};
	check_bad(dec_stats, sizeof(struct stats), stats_text, cases,
	    sizeof cases / sizeof cases[0]);
}

/* A stage's stations count against PROTO_MAX_STATIONS over all stages. */
static void test_stats_station_bound(void **state)
{
	(void)state;
	struct stats *s = calloc(1, sizeof *s);
	char err[PROTO_ERR_MAX] = "";
	cJSON *j = cJSON_Parse(stats_text), *stages = cJSON_GetObjectItem(j, "stages");
	int n = 0;

	assert_non_null(s);
	for (int si = 0; si < 2; si++) {
		cJSON *sts = cJSON_GetObjectItem(cJSON_GetArrayItem(stages, si), "stations");
		for (int i = 0; i < PROTO_MAX_STATIONS / 2 + 1; i++, n++) {
			char id[32];
			snprintf(id, sizeof id, "x-%d", n);
			cJSON *st = cJSON_CreateObject();
			cJSON_AddStringToObject(st, "id", id);
			cJSON_AddObjectToObject(st, "throughput_per_hour");
			cJSON_AddItemToArray(sts, st);
		}
	}
	assert_int_equal(proto_stats_decode(j, s, err), -1);
	assert_non_null(strstr(err, "stats.stages[1].stations: too many entries"));
	cJSON_Delete(j);
	free(s);
}

/* ---- every type: encode, decode, encode again; wrong types refused ------- */

struct proto_type {
	const char *name;
	size_t size;
	cJSON *(*encode)(const void *);
	decode_fn decode;
	void (*release)(void *);
};

static void release_stats(void *p) { proto_stats_free(p); }
static cJSON *enc_stats(const void *p) { return proto_stats_encode(p, OFF_WIB); }

/* A value of another JSON type than `it`'s; NULL for null (absent). */
static cJSON *wrong_type(const cJSON *it)
{
	if (cJSON_IsNull(it))
		return NULL;
	if (cJSON_IsString(it))
		return cJSON_CreateNumber(7);
	return cJSON_CreateString("7");
}

/* Puts `v` in place of the i-th member or element of `node`, with its name. */
static void put_at(cJSON *node, int i, cJSON *v)
{
	if (cJSON_IsObject(node))
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(node,
		    cJSON_GetArrayItem(node, i)->string, v));
	else
		assert_true(cJSON_ReplaceItemInArray(node, i, v));
}

/* Replaces each member below `node`, one at a time, by a value of a wrong
 * type: the whole document `root` must then be refused. */
static void refuse_each(const struct proto_type *t, cJSON *root, cJSON *node, void *out,
    int *checked)
{
	char err[PROTO_ERR_MAX];

	for (int i = 0; i < cJSON_GetArraySize(node); i++) {
		cJSON *it = cJSON_GetArrayItem(node, i), *bad = wrong_type(it);
		cJSON *keep = cJSON_Duplicate(it, 1);
		if (!bad) {
			cJSON_Delete(keep);
			continue;
		}
		put_at(node, i, bad);
		err[0] = '\0';
		if (t->decode(root, out, err) != -1)
			fail_msg("%s: accepted %s of the wrong type", t->name,
			    keep->string ? keep->string : "an element");
		/* refused for the type, not as missing */
		if (strstr(err, "missing"))
			fail_msg("%s: %s", t->name, err);
		(*checked)++;
		put_at(node, i, keep);
		if (cJSON_IsObject(keep) || cJSON_IsArray(keep))
			refuse_each(t, root, keep, out, checked);
	}
}

static void check_type(const struct proto_type *t, const void *value)
{
	void *out = calloc(1, t->size);
	char *first, *second, err[PROTO_ERR_MAX] = "";
	cJSON *j = t->encode(value);
	int checked = 0;

	assert_non_null(out);
	assert_non_null(j);
	first = cJSON_PrintUnformatted(j);
	if (t->decode(j, out, err) != 0)
		fail_msg("%s: %s", t->name, err);
	cJSON_Delete(j);
	j = t->encode(out);
	second = cJSON_PrintUnformatted(j);
	assert_string_equal(first, second);
	if (t->release)
		t->release(out);
	refuse_each(t, j, j, out, &checked);
	assert_true(checked >= 3);
	cJSON_Delete(j);
	free(first);
	free(second);
	free(out);
}

static void test_every_type_roundtrip_and_types(void **state)
{
	(void)state;
	static const struct proto_type types[] = {
		{"ticket", sizeof(struct ticket), enc_ticket, dec_ticket, NULL},
		{"station", sizeof(struct station), enc_station, dec_station, NULL},
		{"call", sizeof(struct call), enc_call, dec_call, NULL},
		{"board", sizeof(struct board), enc_board, dec_board, NULL},
		{"error", sizeof(struct proto_error), enc_error_value, dec_error, NULL},
		{"stats", sizeof(struct stats), enc_stats, dec_stats_keep, release_stats},
	};
	struct ticket t;
	struct station st;
	struct call c;
	struct board *b = malloc(sizeof *b);
	struct proto_error e = { "not_found", "no such ticket" };
	struct stats *s = calloc(1, sizeof *s);
	char err[PROTO_ERR_MAX] = "";
	cJSON *j = cJSON_Parse(stats_text);

	assert_non_null(b);
	assert_non_null(s);
	make_fixtures(&t, &st, &c, b);
	assert_int_equal(proto_stats_decode(j, s, err), 0);
	cJSON_Delete(j);
	const void *values[] = { &t, &st, &c, b, &e, s };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		check_type(&types[i], values[i]);
	proto_stats_free(s);
	free(s);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_regressions),
		cmocka_unit_test(test_ticket_state_names),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_format_small_buffer),
		cmocka_unit_test(test_time_roundtrip_many),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_parse_rejects),
		cmocka_unit_test(test_ticket_text_is_encode),
		cmocka_unit_test(test_ticket_roundtrip),
		cmocka_unit_test(test_ticket_roundtrip_minimal),
		cmocka_unit_test(test_ticket_visit_shape),
		cmocka_unit_test(test_ticket_decode_defaults),
		cmocka_unit_test(test_station_roundtrip),
		cmocka_unit_test(test_call_roundtrip),
		cmocka_unit_test(test_board_roundtrip),
		cmocka_unit_test(test_board_stage_shape),
		cmocka_unit_test(test_error_roundtrip),
		cmocka_unit_test(test_ticket_bad),
		cmocka_unit_test(test_station_bad),
		cmocka_unit_test(test_call_bad),
		cmocka_unit_test(test_board_bad),
		cmocka_unit_test(test_error_bad),
		cmocka_unit_test(test_encode_oom),
		cmocka_unit_test(test_stats_text_roundtrip),
		cmocka_unit_test(test_stats_without_bottleneck_or_lists),
		cmocka_unit_test(test_board_delta),
		cmocka_unit_test(test_board_station_event_then_diff),
		cmocka_unit_test(test_stats_bad),
		cmocka_unit_test(test_stats_station_bound),
		cmocka_unit_test(test_every_type_roundtrip_and_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
