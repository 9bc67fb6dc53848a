/* redis_events.c: hiredis's asynchronous connections on libevent.
 *
 * hiredis 0.14's own adapter (adapters/libevent.h) registers one-shot
 * events: libevent removes the read event as it fires and hiredis adds it
 * again after reading, and a command waits for the loop's next turn, when
 * epoll says the socket is writable, to be written.  For a batch of issues
 * that was four epoll_ctl calls and a turn of the loop for each round trip
 * to Redis.  Here the read event persists, and a command queued on a
 * connected context is written at once: its write event is made active
 * in this turn (and registered, in case the socket is full; with the
 * loop's changelist, registering and removing it in one turn costs no
 * system call). */
#include "redis_events.h"

#include <stdlib.h>

#include <event2/event.h>
#include <async.h>

struct redis_events {
	redisAsyncContext *ac;
	struct event *rev, *wev;   /* rev persists: adding it again is no change */
};

/* The context whose redisAsyncHandleWrite runs, or NULL: not a member,
 * since the call may free the context (a failed connection). */
static struct redis_events *writing;

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct redis_events *e = arg;

	(void)fd;
	(void)what;
	redisAsyncHandleRead(e->ac);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct redis_events *e = arg, *outer = writing;

	(void)fd;
	(void)what;
	writing = e;
	redisAsyncHandleWrite(e->ac);   /* may free e */
	writing = outer;
}

static void add_read(void *arg)
{
	struct redis_events *e = arg;

	event_add(e->rev, NULL);
}

static void del_read(void *arg)
{
	struct redis_events *e = arg;

	event_del(e->rev);
}

/* A write wanted: at once when connected, unless this is hiredis asking
 * again from a write that could not finish (the socket is full: then the
 * registered event waits for room).  While connecting, writable is how
 * the connection says it is made: that only epoll can tell. */
static void add_write(void *arg)
{
	struct redis_events *e = arg;

	event_add(e->wev, NULL);
	if (e != writing && (e->ac->c.flags & REDIS_CONNECTED))
		event_active(e->wev, EV_WRITE, 1);
}

static void del_write(void *arg)
{
	struct redis_events *e = arg;

	event_del(e->wev);
}

static void cleanup(void *arg)
{
	struct redis_events *e = arg;

	if (e->rev)
		event_free(e->rev);
	if (e->wev)
		event_free(e->wev);
	free(e);
}

int redis_events_attach(redisAsyncContext *ac, struct event_base *base)
{
	struct redis_events *e;

	if (ac->ev.data != NULL || (e = calloc(1, sizeof *e)) == NULL)
		return -1;
	e->ac = ac;
	e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, on_read, e);
	e->wev = event_new(base, ac->c.fd, EV_WRITE, on_write, e);
	if (e->rev == NULL || e->wev == NULL) {
		cleanup(e);
		return -1;
	}
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	ac->ev.data = e;
	/* as hiredis's adapter: both at once (the write says connected) */
	add_read(e);
	add_write(e);
	return 0;
}
