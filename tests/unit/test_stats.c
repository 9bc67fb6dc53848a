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

/* Three stages (the last a timed wait), 08:00-15:00 in Jakarta. */
static const char EVENT[] =
	"{\"id\": \"demo\", \"name\": \"Demo\", \"timezone\": \"Asia/Jakarta\","
	" \"daily_target\": 300, \"hours\": {\"open\": \"08:00\", \"close\": \"15:00\"},"
	" \"services\": [{\"id\": \"dose1\", \"prefix\": \"A\", \"name\": \"Dosis 1\"},"
	"                {\"id\": \"dose2\", \"prefix\": \"B\", \"name\": \"Dosis 2\"}],"
	" \"priorities\": [{\"id\": \"elderly\"}, {\"id\": \"regular\"}],"
	" \"stages\": [{\"id\": \"registration\", \"name\": \"Pendaftaran\", \"stations\": 2},"
	"              {\"id\": \"vaccination\", \"name\": \"Vaksinasi\", \"stations\": 3},"
	"              {\"id\": \"observation\", \"name\": \"Observasi\", \"stations\": 1,"
	"               \"hold_minutes\": 30}]}";

/* Station indexes in the counters: registration-1, -2, vaccination-1 .. -3, observation-1. */
enum { REG1, REG2, VAC1, VAC2, VAC3, OBS1 };
enum { REG, VAC, OBS };

static struct event_def ev;
static struct stats_counters c;
static struct stats s;
static int64_t midnight;                 /* 2026-11-23T00:00:00+07:00 */

static int setup(void **state)
{
	char err[EVENT_ERR_MAX];

	(void)state;
	if (event_parse(EVENT, strlen(EVENT), &ev, err) != 0)
		fail_msg("event: %s", err);
	assert_int_equal(proto_time_parse("2026-11-23T00:00:00+07:00", &midnight), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stats_counters_free(&c);
	proto_stats_free(&s);
	return 0;
}

/* Reads `text` (a stats script result) into c; returns the reader's answer. */
static int read_text(const char *text)
{
	cJSON *raw = cJSON_Parse(text);
	int rc;

	if (!raw)
		fail_msg("test JSON does not parse: %s", text);
	stats_counters_free(&c);
	rc = stats_counters_read(&ev, raw, &c);
	cJSON_Delete(raw);
	return rc;
}

/* An empty day at event-local minute `minute` (30 s into it). */
static void read_empty(int minute)
{
	char text[256];

	snprintf(text, sizeof text, "{\"now\":%lld,\"day\":\"20261123\",\"minute\":%d,"
	    "\"fields\":{},\"waiting\":{},\"stations\":[],\"issued\":{}}",
	    (long long)(midnight + minute * 60000LL + 30000), minute);
	assert_int_equal(read_text(text), 0);
}

static void figures(void)
{
	proto_stats_free(&s);
	assert_int_equal(stats_figures(&ev, &c, 5, &s), 0);
}

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

/* The forecast from a building full: everyone before the dose gets it
 * (nobody else comes, the dose desks' capacity not known yet). */
static void test_forecast_building_full(void **state)
{
	(void)state;
	read_empty(600);
	c.doses = 100;
	c.sg[REG].waiting = 30;
	c.sg[VAC].waiting = 20;
	c.sg[OBS].waiting = 40;              /* after the dose: counted in doses */
	c.st[VAC1].holding = 1;              /* being vaccinated now */
	figures();
	assert_int_equal(s.forecast.in_building, 51);
	assert_int_equal(s.forecast.arrivals_expected, 0);
	assert_int_equal(s.forecast.capacity_to_close, -1);
	assert_int_equal(s.forecast.expected_at_close, 151);
	assert_int_equal(s.forecast.low, 151);
	assert_int_equal(s.forecast.high, 151);
	assert_int_equal(s.forecast.margin, 151 - 300);
	/* 2 of 20 at registration did not come when called: 0.9 of those
	 * there go on (30 x 0.9 = 27), the 21 past it all */
	c.sg[REG].w.done = 18;
	c.sg[REG].w.no_show = 2;
	figures();
	assert_int_equal(s.forecast.expected_at_close, 100 + 27 + 21);
}

/* A building empty at 10:00 (2 of the 7 hours gone: x = 2/7), 100 come so
 * far, 60 in the last hour.  The typical day's shape (0.7 of the peak at
 * opening, the peak at a fifth of the day, half at midday, none at close)
 * has S(2/7) = 0.24959 of S(1) = 0.52: 100 x 1.08342 = 108.34 to come; the
 * rate falling to none at close: 60 x 5 h / 2 = 150; blended 5/7 and 2/7:
 * 77.39 + 42.86 = 120.2; sd = sqrt(120.2) + 0.15 x 120.2 = 29.0. */
static void test_forecast_arrivals_expected(void **state)
{
	(void)state;
	read_empty(600);
	c.first_arrivals[490] = 60;
	c.first_arrivals[470] = 40;          /* before opening: counted */
	c.first_arrivals[601] = 500;         /* a minute ahead: never */
	c.sg[REG].arrivals60 = 60;
	figures();
	assert_int_equal(s.forecast.in_building, 0);
	assert_int_equal(s.forecast.arrivals_expected, 120);
	assert_int_equal(s.forecast.expected_at_close, 120);
	assert_int_equal(s.forecast.low, 91);
	assert_int_equal(s.forecast.high, 149);
	c.first_arrivals[601] = 0;
	/* earlier days: 100 at 08 and at 09, 40 an hour 10 .. 14: by 10:00
	 * half of their day had come: as many again, 100; their shape weighs
	 * more (the rate 1/7): 85.71 + 21.43 = 107.1 (sd 10.35 + 8.57) */
	c.prev_days = 2;
	c.prev[8] = c.prev[9] = 100;
	for (int h = 10; h < 15; h++)
		c.prev[h] = 40;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 107);
	assert_int_equal(s.forecast.low, 88);
	assert_int_equal(s.forecast.high, 126);
	/* at 14:00 a ninth of the earlier days' 360 by then is still to come
	 * (11.1), the rate gives 60 x 1 h / 2 = 30: 4/7 and 3/7 -> 19.2 */
	c.minute = 840;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 19);
	/* at close nobody more */
	c.minute = 900;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 0);
}

/* The dose desks' capacity bounds the forecast: at 14:00, 3 desks at 60 s
 * a dose give 180 by close, whoever waits. */
static void test_forecast_capacity(void **state)
{
	(void)state;
	read_empty(840);
	c.sg[VAC].waiting = 300;
	c.sg[VAC].w.serv_ms = 240000;
	c.sg[VAC].w.serv_n = 4;
	figures();
	assert_int_equal(s.forecast.capacity_to_close, 180);
	assert_int_equal(s.forecast.expected_at_close, 180);
	assert_int_equal(s.forecast.low, 167);     /* 180 - sqrt(180) */
	assert_int_equal(s.forecast.high, 193);
	/* a paused desk: two thirds of it */
	c.sg[VAC].open = 2;
	figures();
	assert_int_equal(s.forecast.capacity_to_close, 120);
	assert_int_equal(s.forecast.expected_at_close, 120);
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

/* A morning where registration (20 an hour for 40 arrivals) falls shorter
 * than vaccination (30 for 20); nobody arrives at observation. */
static void busy_morning(int reg_waiting)
{
	read_empty(600);
	c.doses = 10;
	c.sg[REG].arrivals60 = 40;
	c.sg[REG].w.done60 = 10;
	c.sg[REG].active = 1;
	c.sg[REG].open = 2;
	c.sg[REG].waiting = reg_waiting;
	c.sg[VAC].arrivals60 = 20;
	c.sg[VAC].w.done60 = 30;
	c.sg[VAC].active = 3;
	c.sg[VAC].open = 3;
	c.sg[OBS].w.done60 = 1;
	c.sg[OBS].active = 1;
	c.sg[OBS].open = 1;
}

static void test_bottleneck(void **state)
{
	(void)state;
	busy_morning(4);
	figures();
	/* a queue longer than its open desks: registration, at the rate of its
	 * active desk (no service times yet): 10 an hour */
	assert_true(s.bottleneck.set);
	assert_string_equal(s.bottleneck.stage, "registration");
	assert_true(s.bottleneck.capacity_per_hour == 20);
	assert_true(s.bottleneck.per_station_per_hour == 10);
	assert_int_equal(s.bottleneck.arrivals_per_hour, 40);
	assert_int_equal(s.bottleneck.max_stations, 4);
	/* its 4 waiting take 2 desks a fraction of the 5 hours: none to add
	 * (the target is not a queue: no desks to chase it) */
	assert_int_equal(s.bottleneck.extra_stations, 0);
	assert_int_equal(s.bottleneck.unserved_at_close, 0);
	/* no queue anywhere: the busiest by arrivals over capacity */
	c.sg[REG].waiting = 0;
	c.sg[VAC].arrivals60 = 100;
	figures();
	assert_string_equal(s.bottleneck.stage, "vaccination");
	/* nobody arrives anywhere: no bottleneck */
	read_empty(600);
	figures();
	assert_false(s.bottleneck.set);
}

/* Vaccination at 60 s a dose (60 an hour a desk, 3 open, 6 at most) with
 * `waiting` in its queue at `minute`, nobody else expected. */
static void vaccination_queue(int minute, long long waiting)
{
	read_empty(minute);
	c.doses = 10;
	c.sg[VAC].waiting = waiting;
	c.sg[VAC].w.serv_ms = 240000;
	c.sg[VAC].w.serv_n = 4;
}

struct advice_case {
	int minute;
	long long waiting, extra, unserved;
	const char *want;
};

static void test_advice(void **state)
{
	static const struct advice_case cases[] = {
		/* 900 in 5 hours: the 3 desks do it, and the 300 of the target */
		{ 600, 900, 0, 0, "alur lancar; target tercapai dengan kecepatan sekarang" },
		/* 1,200: 4 desks */
		{ 600, 1200, 1, 0, "buka 1 meja vaksinasi lagi agar antrean terlayani sebelum tutup" },
		/* 2,400 need 8 desks: never past the 6 the site has, and 600 left */
		{ 600, 2400, 3, 600, "600 orang tidak akan terlayani di vaksinasi sebelum tutup, "
		  "bahkan dengan 6 meja; pilihan: hentikan pengambilan nomor sekarang, perpanjang "
		  "jam layanan 100 menit, atau minta warga datang di hari lain" },
		/* after close the queue is still named, and what is left of it */
		{ 930, 120, 0, 120, "waktu layanan habis; 120 orang masih menunggu di vaksinasi: "
		  "perpanjang 40 menit dengan 3 meja, atau minta mereka datang di hari lain" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		vaccination_queue(cases[i].minute, cases[i].waiting);
		figures();
		assert_string_equal(s.bottleneck.stage, "vaccination");
		assert_true(s.bottleneck.per_station_per_hour == 60);
		assert_int_equal(s.bottleneck.extra_stations, cases[i].extra);
		assert_int_equal(s.bottleneck.unserved_at_close, cases[i].unserved);
		assert_string_equal(s.bottleneck.recommendation, cases[i].want);
	}
	/* the arrivals expected count too: 900 waiting, 300 more to come */
	vaccination_queue(600, 900);
	c.prev_days = 1;
	c.prev[8] = 100;
	c.prev[10] = 100;
	c.first_arrivals[500] = 300;
	c.sg[REG].arrivals60 = 120;          /* the earlier days' 300, the rate's 300 */
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 300);
	assert_int_equal(s.bottleneck.extra_stations, 1);
}

/* The other sentences: no queue, the target and the forecast. */
static void test_advice_flowing(void **state)
{
	(void)state;
	/* vaccination could give 450 by close (30 an hour at 3 desks), 11 come */
	busy_morning(1);
	c.sg[VAC].w.done60 = 90;
	figures();
	assert_string_equal(s.bottleneck.recommendation,
	    "peserta yang datang kurang untuk mencapai target; perluas ajakan ke warga");
	/* ... and at 10 an hour 150 < the 290 left */
	busy_morning(1);
	figures();
	assert_string_equal(s.bottleneck.recommendation,
	    "kecepatan sekarang belum cukup untuk mencapai target: sampai tutup meja "
	    "vaksinasi dapat memberi sekitar 150 dosis lagi");
	busy_morning(1);
	c.doses = 300;
	figures();
	assert_string_equal(s.bottleneck.recommendation,
	    "alur lancar; target tercapai dengan kecepatan sekarang");
	busy_morning(0);                     /* nobody left waiting at close */
	c.minute = 930;
	figures();
	assert_string_equal(s.bottleneck.recommendation,
	    "waktu layanan habis; target tidak tercapai hari ini");
}

/* A timed wait is never the desks' bottleneck: it gets chairs, arrivals
 * an hour x the hours held (120 x 0.5), never fewer than sit there. */
static void test_chairs(void **state)
{
	(void)state;
	vaccination_queue(600, 10);
	c.sg[OBS].waiting = 500;
	c.sg[OBS].arrivals60 = 120;
	c.sg[OBS].w.serv_ms = 1000;
	c.sg[OBS].w.serv_n = 1;
	figures();
	assert_string_equal(s.bottleneck.stage, "vaccination");
	assert_int_equal(s.stages[OBS].chairs_needed, 500);
	c.sg[OBS].waiting = 50;
	figures();
	assert_int_equal(s.stages[OBS].chairs_needed, 60);
	assert_int_equal(s.stages[REG].chairs_needed, -1);
}

/* A desk with nobody to serve for 20 minutes is offered to the bottleneck. */
static void test_idle_desk_to_move(void **state)
{
	(void)state;
	vaccination_queue(600, 1200);
	c.st[REG1].last_call = c.now - 3 * 60000;    /* 3 minutes: not yet */
	c.st[REG2].last_call = c.now - 20 * 60000;
	figures();
	assert_string_equal(s.bottleneck.move_station, "registration-2");
	assert_string_equal(s.bottleneck.recommendation,
	    "buka 1 meja vaksinasi lagi agar antrean terlayani sebelum tutup; "
	    "Pendaftaran 2 tanpa antrean 20 menit — pindahkan ke Vaksinasi");
	/* people waiting there: not idle for want of work */
	c.sg[REG].waiting = 1;
	figures();
	assert_string_equal(s.bottleneck.move_station, "");
	/* nothing needed at the bottleneck: nothing to move */
	vaccination_queue(600, 900);
	c.st[REG2].last_call = c.now - 20 * 60000;
	figures();
	assert_string_equal(s.bottleneck.move_station, "");
}

/* Served counts finished timed waits; percentiles exact past 3 hours. */
static void test_served_and_exact_waits(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof text, "{\"now\":%lld,\"day\":\"20261123\",\"minute\":600,"
	    "\"fields\":{\"hd|observation|599\":5,\"hd|observation|500\":982,"
	    "\"wh|vaccination|13\":9},\"waiting\":{},\"stations\":[],\"issued\":{},"
	    "\"waits\":{\"vaccination\":{\"n\":9,\"p50\":12000,\"p90\":25958}}}",
	    (long long)(midnight + 600 * 60000LL));
	assert_int_equal(read_text(text), 0);
	figures();
	assert_int_equal(s.stages[OBS].work.served, 987);
	assert_int_equal(s.stages[OBS].work.throughput.last_60, 5);
	assert_int_equal(s.stages[OBS].work.throughput.last_15, 20);
	assert_int_equal(s.stages[VAC].p50_wait_s, 12000);
	assert_int_equal(s.stages[VAC].p90_wait_s, 25958);
	/* no list (a day kept before it): the histogram, capped at 3 hours */
	c.sg[VAC].waits_n = 0;
	figures();
	assert_int_equal(s.stages[VAC].p90_wait_s, 10800);
}

/* max_stations: twice the stations unless the event file says. */
static void test_max_stations(void **state)
{
	static const char more[] =
	    "{\"id\": \"m\", \"name\": \"M\", \"timezone\": \"Asia/Jakarta\","
	    " \"daily_target\": 10, \"hours\": {\"open\": \"08:00\", \"close\": \"15:00\"},"
	    " \"services\": [{\"id\": \"d\", \"prefix\": \"A\", \"name\": \"D\"}],"
	    " \"priorities\": [{\"id\": \"regular\"}],"
	    " \"stages\": [{\"id\": \"a\", \"name\": \"A\", \"stations\": 2, \"max_stations\": 5},"
	    "              {\"id\": \"b\", \"name\": \"B\", \"stations\": 2, \"max_stations\": 1}]}";
	struct event_def *m = calloc(1, sizeof *m);
	char err[EVENT_ERR_MAX];

	(void)state;
	assert_non_null(m);
	assert_int_equal(ev.stages[VAC].max_stations, 6);
	assert_int_equal(event_parse(more, strlen(more), m, err), -1);
	if (strstr(err, "max_stations: expected a whole number from 2 to 256") == NULL)
		fail_msg("%s", err);
	free(m);
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
		cmocka_unit_test(test_forecast_building_full),
		cmocka_unit_test(test_forecast_arrivals_expected),
		cmocka_unit_test(test_forecast_capacity),
		cmocka_unit_test(test_stages_and_stations),
		cmocka_unit_test(test_bottleneck),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_advice_flowing),
		cmocka_unit_test(test_chairs),
		cmocka_unit_test(test_idle_desk_to_move),
		cmocka_unit_test(test_served_and_exact_waits),
		cmocka_unit_test(test_max_stations),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_areas),
		cmocka_unit_test(test_areas_bounded),
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_compute_is_the_wire_type),
		cmocka_unit_test(test_metrics_reads_the_counters),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
