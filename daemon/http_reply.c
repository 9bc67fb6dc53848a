/* http_reply.c: the replies that end a request (and http_detach, which
 * ends one without a reply), and the headers every answer carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http.h"
#include "http_conn.h"
#include "log.h"
#include "metrics.h"
#include "protocol.h"

/* Ends r: its connection's count, the events it held, r itself. */
static void req_free(struct req *r)
{
	http_conn_end(r->ev);
	server.inflight--;
	server_events_release(r->events);
	free(r);
}

void http_detach(struct req *r)
{
	http_conn_stream(r->ev);
	req_free(r);
}

/* The pages' scripts and styles are files under /web/ (no inline code);
 * images also come as data: (the pages' empty favicon) and blob: (the
 * desk's QR and ticket previews); nothing may frame a page, and a status
 * link's signature never leaves in a Referer. */
#define HTTP_CSP "default-src 'self'; img-src 'self' data: blob:; " \
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

void http_add_common_headers(struct evhttp_request *ev, const char *type)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);

	if (type)
		evhttp_add_header(h, "Content-Type", type);
	/* no-store unless the route chose (the web files: no-cache, ETag) */
	if (evhttp_find_header(h, "Cache-Control") == NULL)
		evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	/* every answer, pages and API alike (PROTOCOL.md, "Security headers") */
	evhttp_add_header(h, "Content-Security-Policy", HTTP_CSP);
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	if (server.stopping)
		evhttp_add_header(h, "Connection", "close");
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

void http_reply_raw(struct req *r, int status, const char *content_type,
    const void *data, size_t len)
{
	/* the body goes straight into the request's own output buffer (what
	 * evhttp_send_reply would move a buffer of ours into) */
	struct evbuffer *buf = evhttp_request_get_output_buffer(r->ev);

	http_add_common_headers(r->ev, content_type);
	if (evhttp_request_get_command(r->ev) == EVHTTP_REQ_HEAD) {
		/* GET's headers and length, no body: evhttp 2.1 would send the
		 * body unannounced, and the client would read it as the next
		 * response */
		char n[24];

		/* data NULL: the caller gives GET's length only (a streamed
		 * answer such as the report) */
		snprintf(n, sizeof n, "%zu", len);
		if (status != 204 && status != 304)
			evhttp_add_header(evhttp_request_get_output_headers(r->ev),
			    "Content-Length", n);
		len = 0;
	}
	if (len && evbuffer_add(buf, data, len) == -1)
		fatal("evbuffer_add");   /* OOM only: the body's size is the caller's, bounded */
	evhttp_send_reply(r->ev, status, status_text(status), NULL);
	metrics_http_observe(r->route ? r->route->name : NULL, status,
	    http_clock_us() - r->start_us);
	if (log_enabled(LOG_LEVEL_DEBUG))
		log_debug("%s %s -> %d (%lld us)", r->route ? r->route->name : "-",
		    evhttp_request_get_uri(r->ev), status,
		    (long long)(http_clock_us() - r->start_us));
	req_free(r);
}

void http_reply_json_text(struct req *r, int status, const char *text, size_t len)
{
	http_reply_raw(r, status, "application/json; charset=utf-8", text, len);
}

void http_reply_json(struct req *r, int status, cJSON *body)
{
	char *text;
	size_t len;

	if (body == NULL) {
		http_reply_raw(r, status, NULL, NULL, 0);
		return;
	}
	if ((text = proto_json_print(body, &len)) == NULL)
		fatalx("out of memory printing JSON");
	cJSON_Delete(body);
	http_reply_json_text(r, status, text, len);
	free(text);
}

void http_reply_error(struct req *r, int status, const char *code,
    const char *message)
{
	if (status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "WWW-Authenticate", "Bearer");
	http_reply_json(r, status, proto_error_encode(code, message));
}

/* 503 store_unavailable, to be tried again in a second. */
static void reply_store_unavailable(struct req *r, const char *message)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "1");
	http_reply_error(r, 503, "store_unavailable", message);
}

void http_reply_refused(struct req *r)
{
	reply_store_unavailable(r,
	    "the queue store (Redis) refused the change (out of memory, or it cannot save); "
	    "nothing was changed, try again");
}

void http_reply_unavailable(struct req *r)
{
	reply_store_unavailable(r,
	    "the queue store (Redis) is not reachable; nothing was changed, try again");
}
