/*
 * route_stations.c: what a station does: call, recall, start, complete,
 * skip, transfer, pause, resume.  One handler; the operation is a row of
 * station_ops below, which makes the routes, drives the dispatch, and is
 * what PROTOCOL.md's "Station operations" must document (test_stations).
 * And the one read a station has of its own: its stage's deferred tickets
 * (GET …/stations/{st}/deferred), to call one back.
 */
#include "route_stations.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "coverage_store.h"
#include "log.h"
#include "queue.h"
#include "record.h"
#include "route_public.h"

static const struct station_op *op_of(const struct req *r);
static void stations_run(struct req *r, const char *arg);

/* An error this file answers: its status is queue.c's (one map of codes). */
static void stations_refuse(struct req *r, const char *code, const char *message)
{
	http_reply_error(r, queue_refusal_status(code), code, message);
}

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

/* complete: the answer, then (not delaying it) the dose record a
 * completion at the dose stage wrote is applied to the campaign's coverage.
 * r dies with the reply: what the drain needs is copied first. */
static void stations_on_completed(struct req *r, const cJSON *result)
{
	char event[PROTO_ID_MAX];
	int stage, n, dose;

	dose = event_station_parse(r->event, r->params[1], &stage, &n) == 0 &&
	    stage == r->event->dose_stage;
	snprintf(event, sizeof event, "%s", r->event->id);
	stations_on_ticket(r, result);
	if (dose)
		coverage_drain(event);
}

/* A scanned ticket's link is proven before the ticket is called. */
static void stations_on_scanned(struct req *r, const cJSON *result)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(result, "ticket");

	if (!public_signature_ok(r, r->event, t)) {
		stations_refuse(r, "invalid_signature", "this ticket's QR code is not valid");
		return;
	}
	stations_run(r, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "id")));
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

/* ---- how each operation reads its body ---------------------------------
 * A reader sets *arg (the script's last argument) and returns 0, or -1 when
 * it has answered the request or handed it on to another script. */

/* call: none, {"ticket": code or id} calls that one, {"qr": the scanned
 * text} the ticket whose signed link it is (proven first). */
static int read_call(struct req *r, const cJSON *body, const char **arg)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(body, "qr");

	if (j && !cJSON_IsNull(j)) {
		if (!cJSON_IsString(j)) {
			stations_refuse(r, "invalid_field", "\"qr\" must be a string");
		} else if (parse_scanned(r, j->valuestring) == -1) {
			stations_refuse(r, "invalid_signature", "this QR code is not a ticket of this event");
		} else {
			const char *args[] = { r->params[2], "soft" };
			queue_run(r, "ticket", 2, args, stations_on_scanned);
		}
		return -1;
	}
	j = cJSON_GetObjectItemCaseSensitive(body, "ticket");
	if (j && !cJSON_IsNull(j)) {
		if (!cJSON_IsString(j) || j->valuestring[0] == '\0' ||
		    strlen(j->valuestring) >= PROTO_TICKET_ID_MAX) {
			stations_refuse(r, "invalid_field", "\"ticket\" must be a ticket code or id");
			return -1;
		}
		*arg = j->valuestring;
	}
	return 0;
}

/* The required string member `name` of the body into *arg, where ok()
 * must accept it (else `code`, `message`); 0, or -1 when answered. */
static int read_member(struct req *r, const cJSON *body, const char *name,
    int (*ok)(const struct req *r, const char *value), const char *code,
    const char *message, const char **arg)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(body, name);
	char msg[96];

	if (!cJSON_IsString(j) || j->valuestring[0] == '\0') {
		snprintf(msg, sizeof msg, "\"%s\" is required and must be a non-empty string", name);
		stations_refuse(r, "invalid_field", msg);
		return -1;
	}
	if (!ok(r, j->valuestring)) {
		stations_refuse(r, code, message);
		return -1;
	}
	*arg = j->valuestring;
	return 0;
}

static int outcome_ok(const struct req *r, const char *value)
{
	(void)r;
	return strcmp(value, "done") == 0 || strcmp(value, "deferred") == 0 ||
	    strcmp(value, "refused") == 0;
}

/* complete: {"outcome": "done" | "deferred" | "refused"} */
static int read_outcome(struct req *r, const cJSON *body, const char **arg)
{
	return read_member(r, body, "outcome", outcome_ok, "invalid_outcome",
	    "outcome must be done, deferred or refused", arg);
}

static int stage_ok(const struct req *r, const char *value)
{
	return event_stage_index(r->event, value) != -1;
}

/* transfer: {"stage": a stage of the event} */
static int read_stage(struct req *r, const cJSON *body, const char **arg)
{
	return read_member(r, body, "stage", stage_ok, "unknown_stage",
	    "this event has no such stage", arg);
}

/* ---- the operations ------------------------------------------------------ */

#define OP(name) #name, { "POST", "/v1/events/{ev}/stations/{st}/" #name, \
	ROLE_BIT(ROLE_STATION), stations_act, "station_" #name, 0 }

static void stations_act(struct req *r);

/*
 * Every station operation, one row each.  `states`: the ticket states it
 * acts on, the station's held ticket (call: the one called by code; ""
 * acts on the station itself), as the script's table says (station.lua's
 * OPS, call.lua); `errors`: what it may answer besides every operation's
 * (PROTOCOL.md), each code's status in queue.c's refusals[].
 */
static const struct station_op station_ops[] = {
	/* name and route, script, states, errors, body, reader, reply */
	{ OP(call), "call", "waiting skipped deferred",
	  "invalid_field invalid_signature station_busy station_paused "
	  "ticket_not_found wrong_stage invalid_transition",
	  STATION_BODY_OPTIONAL, read_call, stations_on_ticket },
	{ OP(recall), "station", "called", "no_ticket invalid_transition",
	  STATION_BODY_NONE, NULL, stations_on_ticket },
	{ OP(start), "station", "called", "no_ticket invalid_transition",
	  STATION_BODY_NONE, NULL, stations_on_ticket },
	{ OP(complete), "station", "serving",
	  "invalid_field invalid_outcome no_ticket invalid_transition",
	  STATION_BODY_REQUIRED, read_outcome, stations_on_completed },
	{ OP(skip), "station", "called", "no_ticket invalid_transition",
	  STATION_BODY_NONE, NULL, stations_on_ticket },
	{ OP(transfer), "station", "called serving",
	  "invalid_field unknown_stage no_ticket invalid_transition",
	  STATION_BODY_REQUIRED, read_stage, stations_on_ticket },
	{ OP(pause), "station", "", "", STATION_BODY_NONE, NULL, stations_on_station },
	{ OP(resume), "station", "", "", STATION_BODY_NONE, NULL, stations_on_station },
};

#define NOPS (sizeof station_ops / sizeof station_ops[0])

/* ---- the stage's deferred tickets --------------------------------------- */

/* {"tickets": [ticket, ...]} from the script's list of store tickets. */
static void stations_on_deferred(struct req *r, const cJSON *result)
{
	const cJSON *t;
	cJSON *body = cJSON_CreateObject(), *list, *wire;

	if (body == NULL || (list = cJSON_AddArrayToObject(body, "tickets")) == NULL)
		fatalx("out of memory");   /* OOM only: an empty object and list */
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(result, "tickets")) {
		if ((wire = record_ticket_wire(r->event, t, RECORD_FULL)) == NULL) {
			cJSON_Delete(body);
			http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
			return;
		}
		cJSON_AddItemToArray(list, wire);
	}
	http_reply_json(r, 200, body);
}

static void stations_deferred(struct req *r)
{
	char stage_no[16];
	int stage, n;

	if (event_station_parse(r->event, r->params[1], &stage, &n) == -1) {
		stations_refuse(r, "unknown_station", "this event has no such station");
		return;
	}
	snprintf(stage_no, sizeof stage_no, "%d", stage + 1);
	const char *args[] = { stage_no };
	queue_run(r, "deferred", 1, args, stations_on_deferred);
}

static const struct route deferred_route = {
	"GET", "/v1/events/{ev}/stations/{st}/deferred",
	ROLE_BIT(ROLE_STATION), stations_deferred, "station_deferred", 0
};

const struct station_op *stations_op(size_t i)
{
	return i < NOPS ? &station_ops[i] : NULL;
}

/* the operations, then the read */
const struct route *route_stations_row(size_t i)
{
	return i < NOPS ? &station_ops[i].route : i == NOPS ? &deferred_route : NULL;
}

static const struct station_op *op_of(const struct req *r)
{
	for (size_t i = 0; i < NOPS; i++)
		if (r->route == &station_ops[i].route)
			return &station_ops[i];
	fatalx("stations: route %s has no operation", r->route->name);
}

/* The operation's script for this station, `arg` its last argument.
 * station.lua serves many operations: it gets the operation's name first. */
static void stations_run(struct req *r, const char *arg)
{
	const struct station_op *op = op_of(r);
	char stage_no[16], number[16];
	int stage, n, multi = strcmp(op->script, "station") == 0;

	event_station_parse(r->event, r->params[1], &stage, &n);
	snprintf(stage_no, sizeof stage_no, "%d", stage + 1);
	snprintf(number, sizeof number, "%d", n);
	const char *args[] = { op->name, r->params[1], stage_no, number, arg };
	queue_write(r, op->script, multi ? 5 : 4, multi ? args : args + 1, op->reply);
}

static void stations_act(struct req *r)
{
	const struct station_op *op = op_of(r);
	const char *arg = "";
	cJSON *body = NULL;
	int stage, n;

	if (queue_idem_check(r) == -1)
		return;
	if (event_station_parse(r->event, r->params[1], &stage, &n) == -1) {
		stations_refuse(r, "unknown_station", "this event has no such station");
		return;
	}
	if (op->body == STATION_BODY_REQUIRED ||
	    (op->body == STATION_BODY_OPTIONAL && http_body_length(r) > 0)) {
		if ((body = http_body_object(r)) == NULL)
			return;
		if (op->read(r, body, &arg) == -1)
			goto done;
	}
	stations_run(r, arg);
done:
	cJSON_Delete(body);
}
