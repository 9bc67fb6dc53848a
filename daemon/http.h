/*
 * http.h: the HTTP front: evhttp with bounded connections, the route table,
 * bearer-token roles, and JSON replies.
 *
 * Adding an endpoint is adding a row: each route_*.c defines its `struct
 * route` rows, listed once in routes.c (THE route list, which main.c hands
 * to http_start).  A handler validates first, then
 * acts, and ends the request with exactly one http_reply_* call, at once or
 * later from a Redis callback; that call frees the struct req.
 */
#ifndef ANTRE_HTTP_H
#define ANTRE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "http_conn.h"
#include "server.h"

struct cJSON;
struct evhttp_request;

#define ROLE_BIT(r) (1u << (r))
#define ROLES_PUBLIC 0u
#define ROLES_ANY_OPERATOR (ROLE_BIT(ROLE_DESK) | ROLE_BIT(ROLE_STATION) | \
			    ROLE_BIT(ROLE_ORGANISER) | ROLE_BIT(ROLE_ADMIN))

#define HTTP_MAX_PARAMS 4
#define HTTP_PARAM_MAX 64

struct req;
typedef void route_handler(struct req *r);

struct route {
	const char *method;              /* "GET", "POST" */
	const char *path;                /* "/v1/events/{ev}/tickets/{id}" */
	unsigned roles;                  /* ROLE_BIT mask; 0 = public */
	route_handler *handler;
	const char *name;                /* for metrics and logs */
	int signed_ok;                   /* also open without a token, given ?sig= */
};

/* One request in progress. */
struct req {
	struct evhttp_request *ev;
	const struct route *route;
	int nparams;
	char params[HTTP_MAX_PARAMS][HTTP_PARAM_MAX];
	enum role role;                  /* of the bearer token, ROLE_NONE if none */
	int query_role;                  /* of ?token= plus 1; 0: not looked up yet */
	char sig[128];                   /* ?sig= when let in by it, else "" */
	struct event_ref *events;        /* held until the reply */
	const struct event_def *event;   /* when the path has {ev} first */
	int64_t start_us;
	int print_scale, print_depth, print_width, print_raster; /* route_print */
	/* set by queue_run: what to do with the script's result */
	void (*on_result)(struct req *r, const struct cJSON *result);
};

/* Binds every listen address and starts serving the n routes (matched in
 * their order; the array outlives the server: routes_list()); 0 or -1
 * (logged). */
int http_start(const struct route *const *routes, size_t n);

/* Before a stream starts: 0 when the client's address may open one more
 * (token holders always may; the stream is counted), else -1 with r
 * answered 429 too_many_streams. */
int http_stream_admit(struct req *r);

/* Frees r without replying: the caller has taken r->ev over (streams). */
void http_detach(struct req *r);

/* Bytes in the request's body. */
size_t http_body_length(struct req *r);
/* The request's body parsed as a JSON object; on failure the request has
 * been answered with 400 and NULL is returned.  The caller frees. */
struct cJSON *http_body_object(struct req *r);
/* The role of the request's ?token= (the streams' way of sending a token,
 * since EventSource cannot send headers); looked up once per request. */
enum role http_query_role(struct req *r);
/* A query parameter, or NULL. */
const char *http_query(struct req *r, const char *name, char *buf, size_t size);

/* Replies and ends the request; `body` is taken over (may be NULL: no body). */
void http_reply_json(struct req *r, int status, struct cJSON *body);
/* The same for a body already JSON text (len bytes; not taken over). */
void http_reply_json_text(struct req *r, int status, const char *text, size_t len);
/* {"error":{"code","message"}} with that status. */
void http_reply_error(struct req *r, int status, const char *code,
    const char *message);
/* 503 store_unavailable: Redis is away or did not answer in time. */
void http_reply_unavailable(struct req *r);
/* 503 store_unavailable for a write Redis refused (OOM, MISCONF, READONLY). */
void http_reply_refused(struct req *r);
/* The headers every answer carries (type, no-store, the security policy),
 * for a module that sends its answer itself (streams, the report). */
void http_add_common_headers(struct evhttp_request *ev, const char *type);

/* A raw body with a content type (images, text).  On HEAD no body is sent
 * and Content-Length says len, so data may be NULL there. */
void http_reply_raw(struct req *r, int status, const char *content_type,
    const void *data, size_t len);

#endif
