/*
 * test_stats_model.c: unit tests for the models behind the organisers'
 * figures (daemon/stats_model.c, stats_advice.c): the forecast from the
 * building, the arrivals expected and the dose desks' capacity; the
 * bottleneck, the desks to add up to max_stations, who is left unserved,
 * chairs for a timed wait, a desk to move; observation's served and the
 * exact percentiles.  Also run under ASan/UBSan.
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
	for (int m = 540; m < 600; m++)
		c.first_arrivals[m] = 1;     /* one a minute: no lull */
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
	/* at 14:00, one a minute since 10:00 (340 in all), a ninth of the
	 * earlier days' 360 by then is still to come (37.8), the rate gives
	 * 60 x 1 h / 2 = 30: 4/7 and 3/7 -> 34.4 */
	for (int m = 600; m < 840; m++)
		c.first_arrivals[m] = 1;
	c.minute = 840;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 34);
	/* at close nobody more */
	c.minute = 900;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 0);
}

/* A lull is no time of the day's shape: at 12:00, after 2 an hour from
 * 08:00 to 10:00 (240), nobody 10:00 to 11:00 and one a minute since (60),
 * the shape is read at 11:00 (x = 3/7, S = 0.35503: 300 x 0.46466 =
 * 139.4 to come), the rate as it is (60 x 3 h / 2 = 90), blended 3/7 and
 * 4/7: 111.2.  Read at 12:00 it would say 64.3 to come, 79 in all.  A gap
 * shorter than 15 minutes is no lull. */
static void test_forecast_after_a_lull(void **state)
{
	(void)state;
	read_empty(720);
	for (int m = 480; m < 600; m++)
		c.first_arrivals[m] = 2;
	for (int m = 660; m < 720; m++)
		c.first_arrivals[m] = 1;
	c.sg[REG].arrivals60 = 60;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 111);
	for (int m = 600; m < 660; m++)
		c.first_arrivals[m] = m % 15 != 0 ? 0 : 5;   /* gaps of 14 minutes */
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 81);
	/* a quiet event's long gap is no lull: 4 at 08:00 and at 09:00, none
	 * until 11:40 (159 minutes, which at its 10 in 240 minutes would have
	 * held 6.6), 2 then: the shape read at 12:00 (x = 4/7: 10 x 0.21449
	 * = 2.1), the rate 2 x 3 h / 2 = 3: 0.92 + 1.71 = 2.6 */
	read_empty(720);
	c.first_arrivals[480] = c.first_arrivals[540] = 4;
	c.first_arrivals[700] = 2;
	c.sg[REG].arrivals60 = 2;
	figures();
	assert_int_equal(s.forecast.arrivals_expected, 3);
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
	for (int m = 500; m < 600; m++)
		c.first_arrivals[m] = 3;     /* 300, no lull */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forecast_building_full),
		cmocka_unit_test(test_forecast_arrivals_expected),
		cmocka_unit_test(test_forecast_after_a_lull),
		cmocka_unit_test(test_forecast_capacity),
		cmocka_unit_test(test_bottleneck),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_advice_flowing),
		cmocka_unit_test(test_chairs),
		cmocka_unit_test(test_idle_desk_to_move),
		cmocka_unit_test(test_served_and_exact_waits),
		cmocka_unit_test(test_max_stations),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
