/* route_stream.c: the live streams: a whole event's for the displays, and
 * one ticket's for the person following it (with its signed link). */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/http.h>

#include "queue.h"
#include "route_public.h"
#include "sse.h"

/* The client's Last-Event-ID: the header EventSource sends on reconnect,
 * or ?last_event_id= for clients that cannot set headers. */
static const char *last_event_id(struct req *r, char *buf, size_t size)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
	    "Last-Event-ID");

	if (h && strlen(h) < size) {
		strcpy(buf, h);
		return buf;
	}
	return http_query(r, "last_event_id", buf, size);
}

/* Organisers (and admins) get `stats` on the event stream too; the token
 * comes as the bearer header, or as ?token= since a browser's EventSource
 * cannot send headers. */
static int stream_wants_stats(struct req *r)
{
	enum role role = r->role != ROLE_NONE ? r->role : http_query_role(r);

	return role == ROLE_ORGANISER || role == ROLE_ADMIN;
}

/* Admits the stream and hands it to sse.c; HEAD gets the stream's headers
 * only (http_reply_raw sends no body) and no stream is started. */
static void stream_start(struct req *r, const char *ticket_id, int stats)
{
	char last[40];

	if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD) {
		http_reply_raw(r, 200, "text/event-stream; charset=utf-8", NULL, 0);
		return;
	}
	if (http_stream_admit(r) == -1)
		return;
	sse_subscribe(r, ticket_id, last_event_id(r, last, sizeof last), stats);
}

static void stream_event(struct req *r)
{
	stream_start(r, NULL, stream_wants_stats(r));
}

static void stream_on_ticket(struct req *r, const cJSON *result)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	char id[PROTO_TICKET_ID_MAX];

	if (r->role == ROLE_NONE && !public_signature_ok(r, r->event, t)) {
		http_reply_error(r, 403, "invalid_signature", "this ticket link is not valid");
		return;
	}
	if (!cJSON_IsObject(t)) {
		http_reply_error(r, 404, "ticket_not_found", "no such ticket");
		return;
	}
	snprintf(id, sizeof id, "%s", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "id")));
	stream_start(r, id, 0);
}

/* The ticket is looked up first: its link must be proven, and the stream
 * follows its canonical id (the path may hold today's code). */
static void stream_ticket(struct req *r)
{
	const char *args[] = { r->params[1], "soft" };

	queue_run(r, "ticket", 2, args, stream_on_ticket);
}

const struct route stream_routes[] = {
	{ "GET", "/v1/events/{ev}/stream", ROLES_PUBLIC,
	  stream_event, "event_stream", 0 },
	{ "GET", "/v1/events/{ev}/tickets/{id}/stream",
	  ROLE_BIT(ROLE_STATION) | ROLE_BIT(ROLE_DESK), stream_ticket, "ticket_stream", 1 },
	{ 0 }                            /* the end */
};
