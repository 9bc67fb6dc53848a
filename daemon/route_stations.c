/* route_stations.c: what a station does: call, recall, start, complete,
 * skip, transfer, pause, resume.  One handler; the operation is the row. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "queue.h"

static void stations_on_ticket(struct req *r, const cJSON *result)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	cJSON *body;

	if (cJSON_IsNull(t)) {           /* call: nobody waits */
		http_reply_json(r, 204, NULL);
		return;
	}
	if ((body = queue_ticket_body(r, result)) == NULL) {
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
		return;
	}
	http_reply_json(r, 200, body);
}

static void stations_on_station(struct req *r, const cJSON *result)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(result, "station");
	struct station st;
	char state[16] = "";
	cJSON *body = cJSON_CreateObject();
	const cJSON *j;

	memset(&st, 0, sizeof st);
	snprintf(st.id, sizeof st.id, "%.47s", r->params[1]);
	snprintf(st.stage, sizeof st.stage, "%s",
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "stage")));
	st.number = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "number"));
	if ((j = cJSON_GetObjectItemCaseSensitive(s, "state")) && cJSON_IsString(j))
		snprintf(state, sizeof state, "%s", j->valuestring);
	st.state = strcmp(state, "paused") == 0 ? STATION_PAUSED : STATION_OPEN;
	if ((j = cJSON_GetObjectItemCaseSensitive(s, "ticket_id")) && cJSON_IsString(j))
		snprintf(st.ticket_id, sizeof st.ticket_id, "%s", j->valuestring);
	if ((j = cJSON_GetObjectItemCaseSensitive(s, "ticket_code")) && cJSON_IsString(j))
		snprintf(st.ticket_code, sizeof st.ticket_code, "%s", j->valuestring);
	if (body == NULL)
		fatalx("out of memory");
	cJSON_AddItemToObject(body, "station", proto_station_encode(&st));
	http_reply_json(r, 200, body);
}

/* A required string member of the body; NULL (request answered) if not. */
static const char *body_string(struct req *r, const cJSON *body, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(body, name);
	char msg[96];

	if (cJSON_IsString(j) && j->valuestring[0])
		return j->valuestring;
	snprintf(msg, sizeof msg, "\"%s\" is required and must be a non-empty string", name);
	http_reply_error(r, 400, "invalid_field", msg);
	return NULL;
}

static void stations_act(struct req *r)
{
	const struct event_def *ev = r->event;
	const char *op = r->route->name + strlen("station_");
	const char *arg = "";
	char stage_no[16], number[16];
	cJSON *body = NULL;
	int stage, n;

	if (event_station_parse(ev, r->params[1], &stage, &n) == -1) {
		http_reply_error(r, 404, "unknown_station", "this event has no such station");
		return;
	}
	snprintf(stage_no, sizeof stage_no, "%d", stage + 1);
	snprintf(number, sizeof number, "%d", n);

	if (strcmp(op, "call") == 0) {
		/* the body is optional: {"ticket": code or id} calls that one */
		if (http_body_length(r) > 0) {
			const cJSON *j;
			if ((body = http_body_object(r)) == NULL)
				return;
			j = cJSON_GetObjectItemCaseSensitive(body, "ticket");
			if (j && !cJSON_IsNull(j)) {
				if (!cJSON_IsString(j) || j->valuestring[0] == '\0' ||
				    strlen(j->valuestring) >= PROTO_TICKET_ID_MAX) {
					http_reply_error(r, 400, "invalid_field",
					    "\"ticket\" must be a ticket code or id");
					goto done;
				}
				arg = j->valuestring;
			}
		}
		const char *args[] = { r->params[1], stage_no, number, arg };
		queue_run(r, "call", 4, args, stations_on_ticket);
		goto done;
	}
	if (strcmp(op, "complete") == 0 || strcmp(op, "transfer") == 0) {
		int complete = op[0] == 'c';
		if ((body = http_body_object(r)) == NULL)
			return;
		if ((arg = body_string(r, body, complete ? "outcome" : "stage")) == NULL)
			goto done;
		if (complete && strcmp(arg, "done") && strcmp(arg, "deferred") && strcmp(arg, "refused")) {
			http_reply_error(r, 422, "invalid_outcome", "outcome must be done, deferred or refused");
			goto done;
		}
		if (!complete && event_stage_index(ev, arg) == -1) {
			http_reply_error(r, 422, "unknown_stage", "this event has no such stage");
			goto done;
		}
	}
	const char *args[] = { op, r->params[1], stage_no, number, arg };
	int station_op = strcmp(op, "pause") == 0 || strcmp(op, "resume") == 0;
	queue_run(r, "station", 5, args, station_op ? stations_on_station : stations_on_ticket);
done:
	cJSON_Delete(body);
}

#define STATION_ROUTE(op) \
	const struct route route_station_##op = { "POST", \
		"/v1/events/{ev}/stations/{st}/" #op, ROLE_BIT(ROLE_STATION), \
		stations_act, "station_" #op }

STATION_ROUTE(call);
STATION_ROUTE(recall);
STATION_ROUTE(start);
STATION_ROUTE(complete);
STATION_ROUTE(skip);
STATION_ROUTE(transfer);
STATION_ROUTE(pause);
STATION_ROUTE(resume);
