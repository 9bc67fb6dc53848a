/* route_stations.c: what a station does: call, recall, start, complete,
 * skip, transfer, pause, resume.  One handler; the operation is the row. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "queue.h"
#include "record.h"

static void stations_on_ticket(struct req *r, const cJSON *result)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	cJSON *body;

	if (cJSON_IsNull(t)) {           /* call: nobody waits */
		http_reply_json(r, 204, NULL);
		return;
	}
	if ((body = queue_ticket_body(r, result, RECORD_FULL)) == NULL) {
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
		return;
	}
	http_reply_json(r, 200, body);
}

static void stations_on_station(struct req *r, const cJSON *result)
{
	struct station st;
	cJSON *body = cJSON_CreateObject();

	if (body == NULL)
		fatalx("out of memory");
	record_station(cJSON_GetObjectItemCaseSensitive(result, "station"), &st);
	cJSON_AddItemToObject(body, "station", proto_station_encode(&st));
	http_reply_json(r, 200, body);
}

/* The call script for this station, with `ref` ("" for the next one). */
static void stations_call(struct req *r, const char *ref)
{
	char stage_no[16], number[16];
	int stage, n;

	event_station_parse(r->event, r->params[1], &stage, &n);
	snprintf(stage_no, sizeof stage_no, "%d", stage + 1);
	snprintf(number, sizeof number, "%d", n);
	const char *args[] = { r->params[1], stage_no, number, ref };
	queue_write(r, "call", 4, args, stations_on_ticket);
}

/* A scanned ticket's link is proven before the ticket is called. */
static void stations_on_scanned(struct req *r, const cJSON *result)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(result, "ticket");

	if (!public_signature_ok(r, r->event, t)) {
		http_reply_error(r, 403, "invalid_signature", "this ticket's QR code is not valid");
		return;
	}
	stations_call(r, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "id")));
}

/*
 * Takes "…/t/EVENT/ID?sig=SIG" apart into r->params[2] (the id) and r->sig;
 * 0, or -1 when it is not a ticket link of this event.
 */
static int parse_scanned(struct req *r, const char *text)
{
	char prefix[PROTO_ID_MAX + 8];
	const char *p, *q, *sig;
	size_t idlen;

	snprintf(prefix, sizeof prefix, "/t/%s/", r->event->id);
	if ((p = strstr(text, prefix)) == NULL)
		return -1;
	p += strlen(prefix);
	if ((q = strstr(p, "?sig=")) == NULL)
		return -1;
	idlen = (size_t)(q - p);
	sig = q + 5;
	if (idlen == 0 || idlen >= HTTP_PARAM_MAX || memchr(p, '/', idlen) ||
	    strlen(sig) >= sizeof r->sig || strchr(sig, '&'))
		return -1;
	memcpy(r->params[2], p, idlen);
	r->params[2][idlen] = '\0';
	strcpy(r->sig, sig);
	return 0;
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

	if (queue_idem_check(r) == -1)
		return;
	if (event_station_parse(ev, r->params[1], &stage, &n) == -1) {
		http_reply_error(r, 404, "unknown_station", "this event has no such station");
		return;
	}
	snprintf(stage_no, sizeof stage_no, "%d", stage + 1);
	snprintf(number, sizeof number, "%d", n);

	if (strcmp(op, "call") == 0) {
		/* the body is optional: {"ticket": code or id} calls that one,
		 * {"qr": the scanned text} the ticket whose signed link it is */
		if (http_body_length(r) > 0) {
			const cJSON *j;
			if ((body = http_body_object(r)) == NULL)
				return;
			j = cJSON_GetObjectItemCaseSensitive(body, "qr");
			if (j && !cJSON_IsNull(j)) {
				if (!cJSON_IsString(j)) {
					http_reply_error(r, 400, "invalid_field", "\"qr\" must be a string");
				} else if (parse_scanned(r, j->valuestring) == -1) {
					http_reply_error(r, 403, "invalid_signature",
					    "this QR code is not a ticket of this event");
				} else {
					const char *args[] = { r->params[2], "soft" };
					queue_run(r, "ticket", 2, args, stations_on_scanned);
				}
				goto done;
			}
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
		stations_call(r, arg);
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
	queue_write(r, "station", 5, args, station_op ? stations_on_station : stations_on_ticket);
done:
	cJSON_Delete(body);
}

#define STATION_ROUTE(op) { "POST", "/v1/events/{ev}/stations/{st}/" #op, \
	ROLE_BIT(ROLE_STATION), stations_act, "station_" #op, 0 }

static const struct route station_routes[] = {
	STATION_ROUTE(call),
	STATION_ROUTE(recall),
	STATION_ROUTE(start),
	STATION_ROUTE(complete),
	STATION_ROUTE(skip),
	STATION_ROUTE(transfer),
	STATION_ROUTE(pause),
	STATION_ROUTE(resume),
};

/* Row i of this file's routes (routes.c), NULL past the last. */
const struct route *route_stations_row(size_t i)
{
	return i < sizeof station_routes / sizeof station_routes[0] ? &station_routes[i] : NULL;
}
