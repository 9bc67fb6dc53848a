/* route_board.c: the waiting-room snapshot, and the events with their
 * stations. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "protocol.h"
#include "queue.h"
#include "record.h"

static struct board *board_scratch(void)
{
	static struct board b;  /* one at a time: filled and encoded without yielding */

	return &b;
}

static void board_on_result(struct req *r, const cJSON *result)
{
	struct board *b = board_scratch();
	cJSON *body;

	record_board(r->event, result, b);
	if ((body = proto_board_encode(b, r->event->utc_offset_s)) == NULL)
		fatalx("out of memory");
	http_reply_json(r, 200, body);
}

static void board_get(struct req *r)
{
	queue_run(r, "board", 0, NULL, board_on_result);
}

/* ---- events ------------------------------------------------------------- */

/* "HH:MM" of a minute of the day, as the event file writes it. */
static void add_hhmm(cJSON *o, const char *name, int minute)
{
	char hm[32];

	snprintf(hm, sizeof hm, "%02d:%02d", minute / 60, minute % 60);
	cJSON_AddStringToObject(o, name, hm);
}

static cJSON *service_encode(const struct event_service *sv)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, "id", sv->id);
	cJSON_AddStringToObject(x, "prefix", sv->prefix);
	cJSON_AddStringToObject(x, "name", sv->name);
	return x;
}

static cJSON *stage_encode(const struct event_def *ev, int i)
{
	cJSON *x = cJSON_CreateObject();

	cJSON_AddStringToObject(x, "id", ev->stages[i].id);
	cJSON_AddStringToObject(x, "name", ev->stages[i].name);
	cJSON_AddNumberToObject(x, "stations", ev->stages[i].stations);
	cJSON_AddNumberToObject(x, "max_stations", ev->stages[i].max_stations);
	cJSON_AddNumberToObject(x, "hold_minutes", (double)ev->stages[i].hold_ms / 60000);
	cJSON_AddBoolToObject(x, "dose", i == ev->dose_stage);
	return x;
}

static cJSON *event_encode(const struct event_def *ev)
{
	cJSON *o = cJSON_CreateObject(), *a, *x;

	if (o == NULL)
		fatalx("out of memory");
	cJSON_AddStringToObject(o, "id", ev->id);
	cJSON_AddStringToObject(o, "name", ev->name);
	cJSON_AddStringToObject(o, "timezone", ev->timezone);
	cJSON_AddNumberToObject(o, "daily_target", ev->daily_target);
	x = cJSON_AddObjectToObject(o, "hours");
	add_hhmm(x, "open", ev->open_min);
	add_hhmm(x, "close", ev->close_min);
	a = cJSON_AddArrayToObject(o, "services");
	for (int i = 0; i < ev->nservices; i++)
		cJSON_AddItemToArray(a, service_encode(&ev->services[i]));
	a = cJSON_AddArrayToObject(o, "priorities");
	for (int i = 0; i < ev->npriorities; i++) {
		cJSON_AddItemToArray(a, x = cJSON_CreateObject());
		cJSON_AddStringToObject(x, "id", ev->priorities[i]);
		cJSON_AddStringToObject(x, "name", ev->priority_names[i]);
	}
	x = cJSON_AddObjectToObject(o, "priority_policy");
	cJSON_AddStringToObject(x, "mode", ev->policy == POLICY_STRICT ? "strict" : "interleaved");
	if (ev->policy == POLICY_INTERLEAVED)
		cJSON_AddNumberToObject(x, "every", ev->interleave_every);
	a = cJSON_AddArrayToObject(o, "stages");
	for (int i = 0; i < ev->nstages; i++)
		cJSON_AddItemToArray(a, stage_encode(ev, i));
	return o;
}

static void events_list(struct req *r)
{
	cJSON *body = cJSON_CreateObject(), *a;

	if (body == NULL || (a = cJSON_AddArrayToObject(body, "events")) == NULL)
		fatalx("out of memory");
	for (int i = 0; i < r->events->set.n; i++)
		cJSON_AddItemToArray(a, event_encode(&r->events->set.events[i]));
	http_reply_json(r, 200, body);
}

/* The event with its stations' state and the waiting counts, from the board. */
static void events_on_board(struct req *r, const cJSON *result)
{
	struct board *b = board_scratch();
	cJSON *body = cJSON_CreateObject(), *ev = event_encode(r->event), *a;

	record_board(r->event, result, b);
	if (body == NULL)
		fatalx("out of memory");
	a = cJSON_GetObjectItemCaseSensitive(ev, "stages");
	for (int i = 0; i < b->nstages && i < cJSON_GetArraySize(a); i++)
		cJSON_AddNumberToObject(cJSON_GetArrayItem(a, i), "waiting", b->stages[i].waiting);
	a = cJSON_AddArrayToObject(ev, "stations");
	for (int i = 0; i < b->nstations; i++)
		cJSON_AddItemToArray(a, proto_station_encode(&b->stations[i]));
	cJSON_AddNumberToObject(ev, "doses_today", b->doses_today);
	cJSON_AddNumberToObject(ev, "issued_today", b->issued_today);
	cJSON_AddItemToObject(body, "event", ev);
	http_reply_json(r, 200, body);
}

static void events_get(struct req *r)
{
	queue_run(r, "board", 0, NULL, events_on_board);
}

const struct route board_routes[] = {
	{ "GET", "/v1/events", ROLES_PUBLIC,
	  events_list, "events_list", 0 },
	{ "GET", "/v1/events/{ev}", ROLES_PUBLIC,
	  events_get, "event_get", 0 },
	{ "GET", "/v1/events/{ev}/board", ROLES_PUBLIC,
	  board_get, "board", 0 },
	{ 0 }                            /* the end */
};
