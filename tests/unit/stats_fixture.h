/*
 * stats_fixture.h: the event, the counters and the helpers that
 * test_stats.c and test_stats_model.c share (one test program each).
 */
#ifndef ANTRE_TEST_STATS_FIXTURE_H
#define ANTRE_TEST_STATS_FIXTURE_H

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

static inline int setup(void **state)
{
	char err[EVENT_ERR_MAX];

	(void)state;
	if (event_parse(EVENT, strlen(EVENT), &ev, err) != 0)
		fail_msg("event: %s", err);
	assert_int_equal(proto_time_parse("2026-11-23T00:00:00+07:00", &midnight), 0);
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	stats_counters_free(&c);
	proto_stats_free(&s);
	return 0;
}

/* Reads `text` (a stats script result) into c; returns the reader's answer. */
static inline int read_text(const char *text)
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
static inline void read_empty(int minute)
{
	char text[256];

	snprintf(text, sizeof text, "{\"now\":%lld,\"day\":\"20261123\",\"minute\":%d,"
	    "\"fields\":{},\"waiting\":{},\"stations\":[],\"issued\":{}}",
	    (long long)(midnight + minute * 60000LL + 30000), minute);
	assert_int_equal(read_text(text), 0);
}

static inline void figures(void)
{
	proto_stats_free(&s);
	assert_int_equal(stats_figures(&ev, &c, 5, &s), 0);
}

/* A morning where registration (20 an hour for 40 arrivals) falls shorter
 * than vaccination (30 for 20); nobody arrives at observation. */
static inline void busy_morning(int reg_waiting)
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

/* Vaccination at 60 s a dose (60 an hour a desk, 3 open, 6 at most) with
 * `waiting` in its queue at `minute`, nobody else expected. */
static inline void vaccination_queue(int minute, long long waiting)
{
	read_empty(minute);
	c.doses = 10;
	c.sg[VAC].waiting = waiting;
	c.sg[VAC].w.serv_ms = 240000;
	c.sg[VAC].w.serv_n = 4;
}

#endif
