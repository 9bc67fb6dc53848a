/*
 * hello.c: the baseline for make bench: a bare libevent HTTP server that
 * answers every request with a small JSON body and does no work, so that
 * antred's figures can be read as a ratio of what libevent alone can do
 * on the same machine in the same run.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

static void on_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *out = arg;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json");
	evbuffer_add(out, "{\"hello\":true}", 14);
	evhttp_send_reply(req, 200, "OK", out);
}

int main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct evbuffer *out;

	if (argc != 2) {
		fprintf(stderr, "usage: hello PORT\n");
		return 2;
	}
	if ((base = event_base_new()) == NULL || (http = evhttp_new(base)) == NULL ||
	    (out = evbuffer_new()) == NULL)
		return 1;
	evhttp_set_gencb(http, on_request, out);
	if (evhttp_bind_socket(http, "127.0.0.1", (ev_uint16_t)atoi(argv[1])) != 0) {
		perror("bind");
		return 1;
	}
	event_base_dispatch(base);
	return 0;
}
