/*
 * test_stats.c: unit tests for daemon/stats.c: the counters read from a
 * hand-written stats script result, each figure computed from counters,
 * and malformed results.  Also run under ASan/UBSan.
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

#include "event.h"
#include "metrics.h"
#include "protocol.h"
#include "stats.h"

#include "stats_fixture.h"

/* ---- reading ------------------------------------------------------------- */

static const char *day_text(void)
{
	static char text[2048];

	snprintf(text, sizeof text, "{\"now\":%lld,\"day\":\"20261123\",\"minute\":600,"
	    "\"fields\":{"
	    "\"a|registration|595\":4,\"a|registration|530\":9,\"a|vaccination|600\":2,"
	    "\"c|vaccination-1|590\":5,\"d|vaccination-1|599\":3,\"d|vaccination-1|550\":2,"
	    "\"d|vaccination-2|500\":7,\"r|vaccination-1|590\":1,\"x|vaccination-2|590\":1,"
	    "\"n|vaccination-1\":2,\"ws|vaccination-1\":300000,\"ss|vaccination-1\":240000,"
	    "\"sn|vaccination-1\":4,"
	    "\"wh|vaccination|1\":3,\"wh|vaccination|13\":1,\"wh|vaccination|14\":5,"
	    "\"wh|nowhere|1\":1,"
	    "\"dm|599\":3,\"dm|575\":2,\"dm|545\":4,\"dm|480\":1,"
	    "\"ds|dose1\":6,\"ds|dose9\":1,\"dp|elderly\":2,\"ip|elderly\":5,\"ip|regular\":9,"
	    "\"da|327301\":4,\"da|-\":3,\"da|Tebet\":4,"
	    "\"c|vaccination-9|1\":5,\"zz\":1},"
	    "\"waiting\":{\"registration\":4,\"vaccination\":6,\"observation\":2},"
	    "\"stations\":[{\"id\":\"vaccination-2\",\"state\":\"paused\",\"ticket\":\"\","
	    "\"last_call\":0},{\"id\":\"vaccination-1\",\"state\":\"open\",\"ticket\":\"t_1\","
	    "\"last_call\":%lld},{\"id\":\"nowhere-1\",\"state\":\"paused\"}],"
	    "\"issued\":{\"dose1\":10,\"dose2\":3}}",
	    (long long)(midnight + 600 * 60000LL + 30000),
	    (long long)(midnight + 599 * 60000LL + 30000));
	return text;
}

static void test_read_counters(void **state)
{
	(void)state;
	assert_int_equal(read_text(day_text()), 0);
	assert_int_equal(c.minute, 600);
	assert_string_equal(c.day, "20261123");
	assert_int_equal(c.issued, 13);
	/* doses: all, of the last 30 and 60 minutes, per quarter hour */
	assert_int_equal(c.doses, 10);
	assert_int_equal(c.doses30, 5);
	assert_int_equal(c.doses60, 9);
	assert_int_equal(c.quarters[39], 3);
	assert_int_equal(c.quarters[38], 2);
	assert_int_equal(c.quarters[36], 4);
	assert_int_equal(c.quarters[32], 1);
	/* arrivals of the last hour only */
	assert_int_equal(c.sg[REG].arrivals60, 4);
	assert_int_equal(c.sg[VAC].arrivals60, 2);
	/* a station's counters, and the windows of its completions */
	assert_int_equal(c.nstations, 6);
	assert_string_equal(c.st[VAC1].id, "vaccination-1");
	assert_int_equal(c.st[VAC1].w.calls, 5);
	assert_int_equal(c.st[VAC1].w.done, 5);
	assert_int_equal(c.st[VAC1].w.done15, 3);
	assert_int_equal(c.st[VAC1].w.done60, 5);
	assert_int_equal(c.st[VAC1].w.refused, 1);
	assert_int_equal(c.st[VAC1].w.no_show, 2);
	assert_int_equal(c.st[VAC1].w.wait_ms, 300000);
	assert_int_equal(c.st[VAC1].w.serv_ms, 240000);
	assert_int_equal(c.st[VAC1].w.serv_n, 4);
	assert_true(c.st[VAC1].holding && c.st[VAC1].open);
	assert_int_equal(c.st[VAC1].last_call, midnight + 599 * 60000LL + 30000);
	assert_false(c.st[VAC2].open);
	assert_int_equal(c.st[VAC2].w.done, 7);
	assert_int_equal(c.st[VAC2].w.done60, 0);
	assert_int_equal(c.st[VAC2].w.deferred, 1);
	assert_true(c.st[REG1].open && !c.st[REG1].holding);
	/* the stage's sums */
	assert_int_equal(c.sg[VAC].w.calls, 5);
	assert_int_equal(c.sg[VAC].w.done, 12);
	assert_int_equal(c.sg[VAC].open, 2);
	assert_int_equal(c.sg[VAC].active, 1);
	assert_int_equal(c.sg[VAC].waiting, 6);
	assert_int_equal(c.sg[VAC].hist[0], 3);
	assert_int_equal(c.sg[VAC].hist[12], 1);
	/* by kind; unknown services left out */
	assert_int_equal(c.service_issued[0], 10);
	assert_int_equal(c.service_doses[0], 6);
	assert_int_equal(c.service_doses[1], 0);
	assert_int_equal(c.priority_doses[0], 2);
	assert_int_equal(c.priority_issued[0], 5);
	assert_int_equal(c.priority_issued[1], 9);
	assert_int_equal(c.nareas, 3);
}

static void test_read_malformed(void **state)
{
	(void)state;
	/* not the script's object: -1, and nothing counted */
	assert_int_equal(read_text("[1,2]"), -1);
	assert_int_equal(c.doses, 0);
	assert_int_equal(c.nstations, 6);
	assert_int_equal(read_text("{\"fields\":[],\"waiting\":{},\"issued\":{}}"), -1);
	assert_int_equal(read_text("{\"fields\":{},\"waiting\":7,\"issued\":{}}"), -1);
	assert_int_equal(read_text("{\"fields\":{},\"waiting\":{}}"), -1);
	/* odd fields and values are skipped, the rest still counts */
	assert_int_equal(read_text("{\"now\":\"x\",\"minute\":null,\"fields\":{"
	    "\"|\":1,\"d|\":2,\"d||\":3,\"dm|x\":4,\"wh|vaccination|0\":5,"
	    "\"d|vaccination-1|600\":\"7\","
	    "\"c|a-station-name-that-is-much-longer-than-any-station-id-can-be-at-all|1\":1,"
	    "\"kind-too-long|x\":1,\"d|vaccination-1\":2},"
	    "\"waiting\":{\"vaccination\":\"9\"},\"issued\":{\"dose1\":true},"
	    "\"stations\":[{\"id\":5},{\"id\":\"vaccination-3\",\"state\":7}]}"), 0);
	assert_int_equal(c.now, 0);
	assert_int_equal(c.doses, 4);           /* "dm|x" is minute 0 */
	assert_int_equal(c.st[VAC1].w.done, 2);   /* the string "7" is not a count */
	assert_int_equal(c.st[VAC1].w.calls, 0);
	assert_int_equal(c.sg[VAC].waiting, 0);
	assert_int_equal(c.issued, 0);
	assert_true(c.st[VAC3].open);
	for (int i = 0; i < PROTO_WAIT_BUCKETS; i++)
		assert_int_equal(c.sg[VAC].hist[i], 0);
	/* and the figures of such a day are still whole */
	figures();
	assert_int_equal(s.nstages, 3);
	assert_null(s.areas);
}

/* ---- figures --------------------------------------------------------------- */

static void test_percentile(void **state)
{
	long long h[PROTO_WAIT_BUCKETS] = { 0 };

	(void)state;
	assert_int_equal(stats_percentile(h, 0.5), -1);
	h[0] = 10;                              /* all within the first minute */
	assert_int_equal(stats_percentile(h, 0.5), 30);
	assert_int_equal(stats_percentile(h, 0.9), 54);
	memset(h, 0, sizeof h);
	h[2] = 4;                               /* 2 to 5 minutes */
	h[3] = 4;                               /* 5 to 10 minutes */
	assert_int_equal(stats_percentile(h, 0.5), 300);
	assert_int_equal(stats_percentile(h, 0.25), 210);
	assert_int_equal(stats_percentile(h, 0.75), 450);
	memset(h, 0, sizeof h);
	h[PROTO_WAIT_BUCKETS - 1] = 3;          /* over three hours: the last bound */
	assert_int_equal(stats_percentile(h, 0.9), 10800);
}

static void test_today(void **state)
{
	(void)state;
	assert_int_equal(read_text(day_text()), 0);
	figures();
	assert_string_equal(s.event, "demo");
	assert_string_equal(s.day, "2026-11-23");
	assert_int_equal(s.at, midnight + 600 * 60000LL + 30000);
	assert_int_equal(s.today.doses, 10);
	assert_int_equal(s.today.issued, 13);
	assert_int_equal(s.today.waiting, 12);
	assert_int_equal(s.today.deferred, 1);
	assert_int_equal(s.today.refused, 1);
	assert_int_equal(s.today.no_show, 2);
	assert_int_equal(s.today.nservices, 2);
	assert_string_equal(s.today.by_service[1].id, "dose2");
	assert_int_equal(s.today.by_service[0].doses, 6);
	assert_int_equal(s.today.by_service[1].issued, 3);
	assert_int_equal(s.today.npriorities, 2);
	assert_int_equal(s.today.by_priority[1].issued, 9);
}

static void test_forecast(void **state)
{
	(void)state;
	/* the pace: the last hour's doses; nothing in the building, nobody came */
	assert_int_equal(read_text(day_text()), 0);
	figures();
	assert_int_equal(s.forecast.rate_per_hour_60, 9);
	assert_int_equal(s.forecast.rate_per_hour_30, 10);
	assert_true(s.forecast.rate_per_hour == 9);
	assert_true(s.forecast.hours_left == 5);
	assert_false(s.forecast.reached);
	/* 290 doses to go at 9 an hour */
	assert_int_equal(s.forecast.target_at,
	    s.at + (int64_t)(290.0 / 9 * 3600000.0));
	/* open just an hour: the last hour's; just half an hour: the last half's */
	read_empty(540);
	c.doses = c.doses60 = 12;
	c.doses30 = 4;
	figures();
	assert_true(s.forecast.rate_per_hour == 12);
	read_empty(510);
	c.doses = c.doses60 = 12;
	c.doses30 = 4;
	figures();
	assert_true(s.forecast.rate_per_hour == 8);
	/* open 20 minutes: the doses so far over the time open */
	read_empty(500);
	c.doses = 7;
	figures();
	assert_true(s.forecast.rate_per_hour == 21);
	assert_true(s.forecast.hours_left == 6.67);
	/* before opening: no rate, the whole day ahead, no target time */
	read_empty(470);
	figures();
	assert_true(s.forecast.rate_per_hour == 0);
	assert_true(s.forecast.hours_left == 7);
	assert_int_equal(s.forecast.target_at, 0);
	assert_int_equal(s.forecast.expected_at_close, 0);
	/* after closing, with the target reached */
	read_empty(920);
	c.doses = 300;
	figures();
	assert_true(s.forecast.hours_left == 0);
	assert_true(s.forecast.reached);
	assert_int_equal(s.forecast.margin, 0);
}

static void test_stages_and_stations(void **state)
{
	(void)state;
	assert_int_equal(read_text(day_text()), 0);
	figures();
	assert_int_equal(s.nstations, 6);
	assert_int_equal(s.stations[VAC1].stage, VAC);
	assert_int_equal(s.stations[VAC1].work.avg_wait_s, 60);     /* 300 s over 5 calls */
	assert_int_equal(s.stations[VAC1].work.avg_service_s, 60);  /* 240 s over 4 */
	assert_int_equal(s.stations[VAC1].work.throughput.last_15, 12);
	assert_int_equal(s.stations[VAC1].last_call_at, c.st[VAC1].last_call);
	assert_int_equal(s.stations[VAC2].state, STATION_PAUSED);
	assert_int_equal(s.stations[REG1].work.avg_wait_s, -1);
	assert_int_equal(s.stations[REG1].last_call_at, 0);
	assert_string_equal(s.stages[VAC].name, "Vaksinasi");
	assert_int_equal(s.stages[VAC].work.served, 12);
	assert_int_equal(s.stages[VAC].stations_open, 2);
	assert_int_equal(s.stages[VAC].p50_wait_s, 40);        /* 3 of 4 in the first minute */
	assert_int_equal(s.stages[VAC].p90_wait_s, 10800);
	/* one desk did 5 in the last hour; two are open */
	assert_true(s.stages[VAC].capacity_per_hour == 10);
	assert_true(s.stages[REG].capacity_per_hour == -1);
	assert_int_equal(s.stages[REG].p50_wait_s, -1);
	assert_int_equal(s.stages[REG].arrivals_per_hour, 4);
}

/* One idle desk as expected. */
static void assert_idle(const struct stats_idle *d, const char *station, const char *stage,
    long long idle_s, long long waiting)
{
	assert_string_equal(d->station, station);
	assert_string_equal(d->stage, stage);
	assert_true(d->idle_s == idle_s && d->waiting == waiting);
}

static void test_idle(void **state)
{
	int64_t now;

	(void)state;
	read_empty(600);
	now = c.now;
	c.sg[REG].waiting = 3;
	c.sg[VAC].waiting = 2;
	c.sg[OBS].waiting = 5;
	c.st[REG1].last_call = now - 6 * 60000;  /* quiet for 6 minutes: idle */
	c.st[REG2].last_call = now - 4 * 60000;  /* 4 minutes: not yet */
	c.st[VAC1].holding = 1;                  /* serving someone */
	c.st[VAC2].open = 0;                     /* paused */
	/* VAC3 never called: idle; OBS1 a timed wait: never idle */
	figures();
	assert_int_equal(s.nidle, 2);
	assert_idle(&s.idle[0], "registration-1", "registration", 360, 3);
	assert_idle(&s.idle[1], "vaccination-3", "vaccination", -1, 2);
	/* nobody waiting: nobody idle */
	c.sg[REG].waiting = c.sg[VAC].waiting = 0;
	figures();
	assert_int_equal(s.nidle, 0);
}

static void test_areas(void **state)
{
	(void)state;
	assert_int_equal(read_text(day_text()), 0);
	figures();
	/* most doses first, then by name; "-" (none) is null */
	assert_int_equal(s.nareas, 3);
	assert_string_equal(s.areas[0].area, "327301");
	assert_string_equal(s.areas[1].area, "Tebet");
	assert_int_equal(s.areas[1].doses, 4);
	assert_string_equal(s.areas[2].area, "");
	assert_int_equal(s.areas[2].doses, 3);
}

static void test_areas_bounded(void **state)
{
	(void)state;
	read_empty(600);
	c.areas_cap = c.nareas = PROTO_MAX_AREAS + 2;
	c.areas = calloc((size_t)c.nareas, sizeof *c.areas);
	assert_non_null(c.areas);
	for (int i = 0; i < c.nareas; i++) {
		snprintf(c.areas[i].area, sizeof c.areas[i].area, "a%06d", i);
		c.areas[i].doses = i == 0 ? 1 : 2;
	}
	figures();
	/* past the bound, the fewest doses are left out */
	assert_int_equal(s.nareas, PROTO_MAX_AREAS);
	assert_string_equal(s.areas[0].area, "a000001");
	assert_string_equal(s.areas[PROTO_MAX_AREAS - 1].area, "a100000");
}

static void test_series(void **state)
{
	(void)state;
	assert_int_equal(read_text(day_text()), 0);
	figures();
	/* 08:00 to 10:00, a quarter hour a line */
	assert_int_equal(s.nseries, 9);
	assert_int_equal(s.series[0].start, midnight + 8 * 3600000LL);
	assert_int_equal(s.series[0].doses, 1);
	assert_int_equal(s.series[8].start, midnight + 10 * 3600000LL);
	assert_int_equal(s.series[7].doses, 3);
	assert_int_equal(s.series[4].doses, 4);
	/* after closing: to the last quarter before it; before opening: none */
	read_empty(1000);
	figures();
	assert_int_equal(s.nseries, 28);
	assert_int_equal(s.series[27].start, midnight + (14 * 60 + 45) * 60000LL);
	read_empty(400);
	figures();
	assert_int_equal(s.nseries, 0);
}

/* The JSON is proto_stats_encode's, and decodes back to the same figures. */
static void test_compute_is_the_wire_type(void **state)
{
	cJSON *raw = cJSON_Parse(day_text()), *j, *again;
	struct stats *back = calloc(1, sizeof *back);
	char err[PROTO_ERR_MAX] = "", *a, *b;

	(void)state;
	assert_non_null(back);
	j = stats_compute(&ev, raw, 5);
	assert_non_null(j);
	if (proto_stats_decode(j, back, err) != 0)
		fail_msg("decode: %s", err);
	again = proto_stats_encode(back, ev.utc_offset_s);
	a = cJSON_PrintUnformatted(j);
	b = cJSON_PrintUnformatted(again);
	assert_string_equal(a, b);
	assert_int_equal(back->today.doses, 10);
	assert_int_equal(back->nidle, 3);        /* registration-1, -2, vaccination-3 */
	free(a);
	free(b);
	cJSON_Delete(j);
	cJSON_Delete(again);
	cJSON_Delete(raw);
	proto_stats_free(back);
	free(back);
}

/* /metrics reads the same counters. */
static void test_metrics_reads_the_counters(void **state)
{
	cJSON *raw = cJSON_Parse(day_text());
	struct metrics_event m;

	(void)state;
	assert_int_equal(metrics_event_from_stats(&ev, raw, &m), 0);
	assert_true(m.ok);
	assert_int_equal(m.issued, 13);
	assert_int_equal(m.sg[VAC].w.calls, 5);
	assert_int_equal(m.sg[VAC].w.done, 12);
	assert_int_equal(m.sg[VAC].w.deferred, 1);
	assert_int_equal(m.sg[VAC].w.refused, 1);
	assert_int_equal(m.sg[VAC].waiting, 6);
	assert_int_equal(m.sg[VAC].w.wait_ms, 300000);
	assert_int_equal(m.sg[VAC].hist[12], 1);
	cJSON_Delete(raw);
	raw = cJSON_Parse("{\"fields\":{}}");
	assert_int_equal(metrics_event_from_stats(&ev, raw, &m), -1);
	assert_false(m.ok);
	cJSON_Delete(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_counters),
		cmocka_unit_test(test_read_malformed),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_today),
		cmocka_unit_test(test_forecast),
		cmocka_unit_test(test_stages_and_stations),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_areas),
		cmocka_unit_test(test_areas_bounded),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_compute_is_the_wire_type),
		cmocka_unit_test(test_metrics_reads_the_counters),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
