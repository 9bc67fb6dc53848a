/* sentinel.c: the Redis master's address, asked of Redis Sentinel. */
#include "sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <async.h>

#include "log.h"
#include "redis_events.h"

struct sentinel_query {
	struct redis_addr addr;          /* a copy: the caller's may change */
	int timeout_ms;
	int next;                        /* the sentinel to ask next */
	redisAsyncContext *ac;           /* the one being asked, or NULL */
	struct event *step;              /* its deadline, or "go on now" */
	int found;
	char host[256];
	int port;
	sentinel_cb *cb;
	void *arg;
};

/* A get-master-addr-by-name reply: [host, port], or nil when the sentinel
 * knows no master of that name; 0 with host and port, else -1. */
static int master_parse(const redisReply *r, char *host, size_t size, int *port)
{
	long p;
	char *end;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len == 0 || r->element[0]->len >= size)
		return -1;
	p = strtol(r->element[1]->str, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return -1;
	memcpy(host, r->element[0]->str, r->element[0]->len + 1);
	*port = (int)p;
	return 0;
}

int sentinel_role_is_master(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
}

int sentinel_resolve(const struct redis_addr *addr, int timeout_ms,
    char *host, size_t host_size, int *port)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };

	for (int i = 0; i < addr->nsentinels; i++) {
		const struct sentinel_node *n = &addr->sentinels[i];
		redisContext *c = redisConnectWithTimeout(n->host, n->port, tv);
		redisReply *r = NULL;
		int rc = -1;

		if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK)
			r = redisCommand(c, "SENTINEL get-master-addr-by-name %s", addr->master);
		rc = master_parse(r, host, host_size, port);
		freeReplyObject(r);
		if (c)
			redisFree(c);
		if (rc == 0)
			return 0;
		log_debug("sentinel %s:%d: no master %s", n->host, n->port, addr->master);
	}
	return -1;
}

/* Runs the query's next step from its own timer, at once. */
static void step_now(struct sentinel_query *q)
{
	struct timeval now = { 0, 0 };

	evtimer_add(q->step, &now);      /* replaces the deadline */
}

/* Owned by hiredis: the reply dies after return.  ac->data is NULL while
 * the query lets go of ac (the reply is NULL then). */
static void on_master(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct sentinel_query *q = ac->data;

	(void)privdata;
	if (q == NULL)
		return;
	if (master_parse(reply, q->host, sizeof q->host, &q->port) == 0)
		q->found = 1;
	step_now(q);
}

/* hiredis frees ac after these two return: forget it, go on. */
static void on_connect(const redisAsyncContext *ac, int status)
{
	struct sentinel_query *q = ac->data;

	if (q == NULL || status == REDIS_OK)
		return;
	q->ac = NULL;
	step_now(q);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct sentinel_query *q = ac->data;

	(void)status;
	if (q == NULL)
		return;
	q->ac = NULL;
	step_now(q);
}

/* Lets go of the sentinel being asked (outside its callbacks). */
static void query_drop(struct sentinel_query *q)
{
	if (q->ac) {
		q->ac->data = NULL;      /* its callbacks, called now, do nothing */
		redisAsyncFree(q->ac);
		q->ac = NULL;
	}
}

/* Starts asking the next sentinel; 0, or -1 when none is left. */
static int query_ask(struct sentinel_query *q)
{
	while (q->next < q->addr.nsentinels) {
		const struct sentinel_node *n = &q->addr.sentinels[q->next++];
		const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", q->addr.master };
		size_t lens[3] = { 8, 23, strlen(q->addr.master) };
		struct timeval tv = { q->timeout_ms / 1000, (q->timeout_ms % 1000) * 1000 };
		redisAsyncContext *ac = redisAsyncConnect(n->host, n->port);

		if (ac == NULL || ac->err) {
			if (ac)
				redisAsyncFree(ac);
			continue;
		}
		if (redis_events_attach(ac, event_get_base(q->step)) == -1) {
			redisAsyncFree(ac);
			continue;
		}
		ac->data = q;
		q->ac = ac;
		redisAsyncSetConnectCallback(ac, on_connect);
		redisAsyncSetDisconnectCallback(ac, on_disconnect);
		if (redisAsyncCommandArgv(ac, on_master, NULL, 3, argv, lens) != REDIS_OK) {
			query_drop(q);
			continue;
		}
		evtimer_add(q->step, &tv);   /* the deadline of this sentinel */
		return 0;
	}
	return -1;
}

/* The query's one driver: a sentinel answered, failed or ran out of time. */
static void on_step(evutil_socket_t fd, short what, void *arg)
{
	struct sentinel_query *q = arg;

	(void)fd;
	(void)what;
	query_drop(q);
	if (!q->found && query_ask(q) == 0)
		return;
	if (!q->found)               /* the caller says so, as often as it likes */
		log_debug("sentinels: none of %d names master %s", q->addr.nsentinels,
		    q->addr.master);
	q->cb(q->found ? q->host : NULL, q->port, q->arg);
	event_free(q->step);
	explicit_bzero(&q->addr, sizeof q->addr);
	free(q);
}

struct sentinel_query *sentinel_resolve_async(struct event_base *base,
    const struct redis_addr *addr, int timeout_ms, sentinel_cb *cb, void *arg)
{
	struct sentinel_query *q = calloc(1, sizeof *q);

	if (q == NULL)
		return NULL;
	if ((q->step = evtimer_new(base, on_step, q)) == NULL) {
		free(q);
		return NULL;
	}
	q->addr = *addr;
	q->timeout_ms = timeout_ms;
	q->cb = cb;
	q->arg = arg;
	step_now(q);                     /* the callback never runs in here */
	return q;
}

void sentinel_cancel(struct sentinel_query *q)
{
	if (q == NULL)
		return;
	query_drop(q);
	event_free(q->step);
	explicit_bzero(&q->addr, sizeof q->addr);
	free(q);
}
