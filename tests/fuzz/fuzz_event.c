/*
 * fuzz_event.c: event_parse on arbitrary event-file text.
 *
 * It must not crash; on failure err must be terminated and say something;
 * on success the event must be what the queue relies on: valid ids, no
 * duplicates, counts within bounds, open before close, a dose stage that
 * exists, and a script context the Lua scripts can parse as one JSON object.
 *
 * event_parse looks the timezone up in /usr/share/zoneinfo (tzdata), so the
 * seeds use zones found there; the offset it computes for "now" is the only
 * thing that depends on the clock, and nothing here depends on its value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_def ev;
static char err[EVENT_ERR_MAX];

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_event: %s (event '%.40s')\n", what, ev.id);
		abort();
	}
}

#define TERMINATED(s) (memchr((s), '\0', sizeof(s)) != NULL)
#define WITHIN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))

static void check_script_ctx(void)
{
	cJSON *ctx, *stages;

	check(TERMINATED(ev.script_ctx), "script_ctx unterminated");
	ctx = cJSON_Parse(ev.script_ctx);
	check(cJSON_IsObject(ctx), "script_ctx is not a JSON object (truncated?)");
	stages = cJSON_GetObjectItemCaseSensitive(ctx, "stages");
	check(cJSON_IsArray(stages) && cJSON_GetArraySize(stages) == ev.nstages,
	    "script_ctx stages do not match the event");
	check(cJSON_GetObjectItemCaseSensitive(ctx, "test_clock") == NULL,
	    "script_ctx has test_clock in a production build");
	cJSON_Delete(ctx);
}

static void check_event(void)
{
	int total = 0;

	check(TERMINATED(ev.id) && event_id_valid(ev.id), "event id invalid");
	check(TERMINATED(ev.name) && ev.name[0] != '\0', "name empty or unterminated");
	check(TERMINATED(ev.timezone) && ev.timezone[0] != '\0', "timezone empty or unterminated");
	check(WITHIN(ev.utc_offset_s, -24 * 3600, 24 * 3600), "utc offset out of range");
	check(WITHIN(ev.daily_target, 0, 1000000), "daily_target out of range");
	check(WITHIN(ev.open_min, 0, 24 * 60) && WITHIN(ev.close_min, 0, 24 * 60) &&
	    ev.open_min < ev.close_min, "hours out of range or not open before close");

	check(WITHIN(ev.nservices, 1, EVENT_MAX_SERVICES), "nservices out of range");
	for (int i = 0; i < ev.nservices; i++) {
		const struct event_service *s = &ev.services[i];
		size_t n = strnlen(s->prefix, sizeof s->prefix);
		check(event_id_valid(s->id), "service id invalid");
		check(WITHIN(n, 1, 3), "service prefix not 1 to 3 characters");
		for (size_t k = 0; k < n; k++)
			check(s->prefix[k] >= 'A' && s->prefix[k] <= 'Z', "service prefix not capitals");
		check(TERMINATED(s->name) && s->name[0] != '\0', "service name empty");
		check(event_service_index(&ev, s->id) == i, "service id used twice");
		for (int k = 0; k < i; k++)
			check(strcmp(ev.services[k].prefix, s->prefix) != 0, "service prefix used twice");
	}

	check(WITHIN(ev.npriorities, 1, EVENT_PRIORITIES_MAX), "npriorities out of range");
	for (int i = 0; i < ev.npriorities; i++) {
		check(TERMINATED(ev.priorities[i]) && event_id_valid(ev.priorities[i]),
		    "priority id invalid");
		check(event_priority_index(&ev, ev.priorities[i]) == i, "priority used twice");
	}

	check(WITHIN(ev.nstages, 1, PROTO_MAX_STAGES), "nstages out of range");
	for (int i = 0; i < ev.nstages; i++) {
		const struct event_stage *s = &ev.stages[i];
		char station[PROTO_STATION_MAX];
		int stage, number;

		check(event_id_valid(s->id), "stage id invalid");
		check(TERMINATED(s->name) && s->name[0] != '\0', "stage name empty");
		check(WITHIN(s->stations, 1, EVENT_MAX_STATIONS_PER_STAGE), "stations out of range");
		check(WITHIN(s->hold_ms, 0, 24 * 3600 * 1000), "hold out of range");
		check(event_stage_index(&ev, s->id) == i, "stage id used twice");
		/* its first and last stations are addressable, one past is not */
		snprintf(station, sizeof station, "%s-%d", s->id, s->stations);
		check(event_station_parse(&ev, station, &stage, &number) == 0 &&
		    stage == i && number == s->stations, "last station not addressable");
		snprintf(station, sizeof station, "%s-%d", s->id, s->stations + 1);
		check(event_station_parse(&ev, station, &stage, &number) == -1,
		    "station past the last addressable");
		total += s->stations;
	}
	check(total <= PROTO_MAX_STATIONS, "too many stations in all");
	check(WITHIN(ev.dose_stage, 0, ev.nstages - 1), "dose stage out of range");
	check(ev.policy == POLICY_STRICT ||
	    (ev.policy == POLICY_INTERLEAVED && WITHIN(ev.interleave_every, 1, 100)),
	    "priority policy out of range");
	check_script_ctx();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(err, 0, sizeof err);
	if (event_parse((const char *)data, size, &ev, err) == 0)
		check_event();
	else
		check(TERMINATED(err) && err[0] != '\0', "failed without a reason");
	return 0;
}
