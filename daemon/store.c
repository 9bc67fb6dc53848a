/* store.c: the Redis connection, its reconnects and deadlines, and scripts
 * (one Redis Functions library: tools/embed-scripts.sh). */
#include "store.h"

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>
#include <async.h>

#include "log.h"
#include "redis_events.h"
#include "sentinel.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define WATCH_MS 100            /* how often overdue replies are looked for */

enum store_state { STORE_DOWN, STORE_CONNECTING, STORE_UP };

/* An op's retries: its function was missing; it ran as its other function;
 * its context went as text (the library did not have its reference). */
#define OP_TRIED_LOAD 1u
#define OP_TRIED_OTHER 2u
#define OP_TRIED_CTX 4u

/* One command in flight.  Ops form a list in sending order so that the
 * watchdog can find overdue ones; hiredis owns the callback order. */
struct op {
	struct store *store;
	store_reply_cb *cb;
	void *arg;
	int64_t deadline_ms;             /* no reply by then: Redis is hung */
	const struct store_script *script; /* for the retries of a script */
	unsigned tried;                    /* OP_TRIED_*: each retry once */
	char *refused;                     /* Redis's refusal of its first run */
	int argc;                          /* the FCALL command, kept to resend */
	char **argv;
	size_t *argvlen;
	const char *ctx;                   /* the context's text, sent as its reference */
	int ctx_at;                        /* its argument's index */
	struct op *prev, *next;
};

struct store {
	const char *name;                /* in log lines: "redis" or "redis follow" */
	struct event_base *base;
	struct redis_addr addr;
	int timeout_ms;
	struct sentinel_query *query;    /* asking the sentinels, or NULL */
	char master[256];                /* where they said the master is */
	int master_port;
	redisAsyncContext *ac;
	unsigned long conn_id;           /* counts the connections made */
	enum store_state state;
	int backoff_ms;
	int64_t connect_ms;              /* when the current attempt began */
	int failures;                    /* attempts since the last success */
	struct event *retry_timer;
	struct event *watch_timer;
	struct op *head, *tail;          /* ops in flight, oldest first */
};

static void store_connect(struct store *s);

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void op_unlink(struct op *op)
{
	struct store *s = op->store;

	if (op->prev)
		op->prev->next = op->next;
	else
		s->head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		s->tail = op->prev;
	op->prev = op->next = NULL;
}

static void op_link(struct op *op)
{
	struct store *s = op->store;

	op->prev = s->tail;
	op->next = NULL;
	if (s->tail)
		s->tail->next = op;
	else
		s->head = op;
	s->tail = op;
}

static void op_free(struct op *op)
{
	free(op->refused);
	free(op);
}

static void op_reply(redisAsyncContext *ac, void *reply, void *privdata);

/* Sends the op's command again on the store's connection; -1 when it
 * cannot (the op is then neither sent nor linked). */
static int op_resend(struct op *op)
{
	struct store *s = op->store;

	if (s->ac == NULL || redisAsyncCommandArgv(s->ac, op_reply, op, op->argc,
	    (const char **)op->argv, op->argvlen) != REDIS_OK)
		return -1;
	op->deadline_ms = now_ms() + s->timeout_ms;
	op_link(op);
	return 0;
}

/* Owned by hiredis: `r` dies after return.  The library loaded for an op
 * whose function was missing: the op goes again, or hears why not (a
 * refused load, OOM or NOPERM, is its answer). */
static void on_reload(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct op *op = privdata;
	redisReply *r = reply;
	int fresh;

	(void)ac;
	op_unlink(op);
	if (store_script_loaded(r, &fresh)) {
		if (fresh)
			log_info("%s: library %s loaded again", op->store->name,
			    store_script_library());
		if (op_resend(op) == 0)
			return;
		r = NULL;
	} else if (r) {
		log_warnx("%s: cannot load library %s: %s", op->store->name,
		    store_script_library(), r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	}
	op->cb(r, op->arg);
	op_free(op);
}

/* Sends the op again as its function fn. */
static int op_resend_as(struct op *op, const char *fn)
{
	op->tried |= OP_TRIED_OTHER;
	op->argv[1] = (char *)fn;
	op->argvlen[1] = strlen(fn);
	return op_resend(op);
}

/* 1 when the op goes again: its function was missing (Redis restarted
 * without its data, FUNCTION FLUSH, a failover to a node without it: the
 * library is loaded, then the call resent), or as its other function
 * (store_script.h: a read that must write, a write Redis refused before it
 * ran), or with its context as text (the library lacked its reference).
 * Each at most once.  0: none due; -1: one due but unsent (no connection,
 * or hiredis refusing commands on one disconnecting after a demotion). */
static int op_retry(struct op *op, const redisReply *r)
{
	struct store *s = op->store;
	const struct store_script *sc = op->script;

	if (sc == NULL || r == NULL || r->type != REDIS_REPLY_ERROR)
		return 0;
	if (!(op->tried & OP_TRIED_LOAD) && store_script_missing(r)) {
		op->tried |= OP_TRIED_LOAD;
		if (s->ac == NULL || store_script_load(s->ac, on_reload, op) == -1)
			return -1;
		op->deadline_ms = now_ms() + s->timeout_ms;
		op_link(op);
		return 1;
	}
	if (!(op->tried & OP_TRIED_CTX) && op->ctx && store_script_no_context(r)) {
		/* the library checks the reference before anything else: the
		 * same call again, its context as text (which the library keeps) */
		op->tried |= OP_TRIED_CTX;
		op->argv[op->ctx_at] = (char *)op->ctx;
		op->argvlen[op->ctx_at] = strlen(op->ctx);
		return op_resend(op) == 0 ? 1 : -1;
	}
	if (op->tried & OP_TRIED_OTHER)
		return 0;
	if (sc->reads_first && store_script_wants_write(r))
		return op_resend_as(op, sc->fn) == 0 ? 1 : -1;
	if (!sc->reads_first && store_script_refused(r)) {
		/* its answer, unless the no-writes run answers itself */
		if ((op->refused = strdup(r->str)) == NULL)
			fatal("strdup");   /* OOM only: one error line */
		return op_resend_as(op, sc->fn_ro) == 0;
	}
	return 0;
}

/* Owned by hiredis: `r` dies after return.  Hands the reply to the op's
 * caller, unless the op goes again (op_retry). */
static void op_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct op *op = privdata;
	redisReply *r = reply;
	int retry;

	(void)ac;
	op_unlink(op);
	if ((retry = op_retry(op, r)) == 1)
		return;
	/* due but unsent: the caller hears of a lost connection (a 503), not
	 * Redis's call for the retry (a 500), or a refused write its refusal */
	if (retry == -1 && op->refused == NULL)
		r = NULL;
	if (op->store->addr.nsentinels && store_reply_demoted(r) && op->store->ac &&
	    op->store->state == STORE_UP) {
		/* the master was demoted (or restarts): new commands fail at once,
		 * and the retry after the disconnect asks the sentinels again */
		log_warnx("%s: %s, asking the sentinels again", op->store->name, r->str);
		op->store->state = STORE_CONNECTING;
		redisAsyncDisconnect(op->store->ac);
	}
	if (op->refused && r)     /* the no-writes run came to a write */
		store_script_refusal_stands(r, op->refused, op->cb, op->arg);
	else
		op->cb(r, op->arg);
	op_free(op);
}

static void schedule_retry(struct store *s)
{
	struct timeval tv = { s->backoff_ms / 1000, (s->backoff_ms % 1000) * 1000 };

	s->state = STORE_DOWN;
	s->failures++;
	evtimer_add(s->retry_timer, &tv);
	s->backoff_ms *= 2;
	if (s->backoff_ms > BACKOFF_MAX_MS)
		s->backoff_ms = BACKOFF_MAX_MS;
}

/* hiredis frees the context after this returns: forget it, retry later. */
static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store *s = ac->data;

	if (s == NULL)
		return;
	if (status != REDIS_OK)
		log_warnx("%s: connection lost: %s", s->name, ac->errstr);
	s->ac = NULL;
	schedule_retry(s);
}

static void on_select(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	(void)ac;
	if (r == NULL)
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("%s: SELECT %d: %s", s->name, s->addr.db, r->str);
		return;
	}
	s->state = STORE_UP;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->failures = 0;
	log_info("%s: connected", s->name);
}

/* SELECT goes first (after AUTH) on the connection, so commands sent after
 * it are in the right database even before its reply; then the library,
 * before any FCALL. */
static void send_select(struct store *s, redisAsyncContext *ac)
{
	char db[16];
	const char *argv[2] = { "SELECT", db };
	size_t argvlen[2] = { 6, 0 };

	argvlen[1] = (size_t)snprintf(db, sizeof db, "%d", s->addr.db);
	if (redisAsyncCommandArgv(ac, on_select, s, 2, argv, argvlen) != REDIS_OK)
		log_warnx("%s: cannot send SELECT", s->name);
	if (store_script_load(ac, store_script_on_load, (void *)s->name) == -1)
		log_warnx("%s: cannot send FUNCTION LOAD", s->name);
}

/* Owned by hiredis: the reply dies after return.  Behind sentinels, the
 * node they named must say it is the master before anything is sent
 * (a sentinel may not have seen the failover yet): else the connection is
 * closed, and on_disconnect's retry asks the sentinels again. */
static void on_role(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	if (r == NULL)
		return;
	if (!sentinel_role_is_master(r)) {
		log_warnx("%s: %s:%d is not the master (%s), asking the sentinels again",
		    s->name, s->master, s->master_port,
		    r->type == REDIS_REPLY_ERROR ? r->str : "ROLE");
		redisAsyncDisconnect(ac);
		return;
	}
	send_select(s, ac);
}

/* SELECT, after the ROLE check when the sentinels named the node. */
static void send_ready(struct store *s, redisAsyncContext *ac)
{
	const char *argv[1] = { "ROLE" };
	size_t argvlen[1] = { 4 };

	if (s->addr.nsentinels == 0) {
		send_select(s, ac);
		return;
	}
	if (redisAsyncCommandArgv(ac, on_role, s, 1, argv, argvlen) != REDIS_OK)
		log_warnx("%s: cannot send ROLE", s->name);
}

/*
 * Owned by hiredis: the reply dies after return.  A refused AUTH (wrong
 * password, unknown or disabled user) is logged with Redis's words, never
 * the password, and the connection is closed: on_disconnect schedules the
 * retry with backoff, and the store stays down (healthz 503) meanwhile.
 */
static void on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	if (r == NULL)
		return;                  /* the connection went; on_disconnect retries */
	if (r->type == REDIS_REPLY_ERROR) {
		if (s->failures % 30 == 0)
			log_warnx("%s: AUTH%s%s refused: %s", s->name, s->addr.user[0] ? " as " : "",
			    s->addr.user, r->str);
		redisAsyncDisconnect(ac);
		return;
	}
	send_ready(s, ac);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct store *s = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees ac after this callback; a long outage is
		 * logged once, then every 30th attempt (once a minute) */
		if (s->failures % 30 == 0)
			log_warnx("%s: cannot connect: %s", s->name, ac->errstr);
		s->ac = NULL;
		schedule_retry(s);
		return;
	}
	/* AUTH (a Redis 6 ACL user, or the default user's password) before
	 * anything else; SELECT only once it is accepted */
	if (s->addr.password[0]) {
		const char *argv[3] = { "AUTH" };
		size_t argvlen[3] = { 4 };
		int argc = 1;
		if (s->addr.user[0]) {
			argv[argc] = s->addr.user;
			argvlen[argc++] = strlen(s->addr.user);
		}
		argv[argc] = s->addr.password;
		argvlen[argc++] = strlen(s->addr.password);
		if (redisAsyncCommandArgv(ac, on_auth, s, argc, argv, argvlen) != REDIS_OK)
			log_warnx("%s: cannot send AUTH", s->name);
		return;
	}
	send_ready(s, ac);
}

int store_waiting(const struct store *s)
{
	return s->head != NULL;
}

/* Connects to the node host:port (or the unix socket). */
static void store_connect_to(struct store *s, const char *host, int port)
{
	redisAsyncContext *ac;

	if (s->addr.unix_path[0])
		ac = redisAsyncConnectUnix(s->addr.unix_path);
	else
		ac = redisAsyncConnect(host, port);
	if (ac == NULL || ac->err || redis_events_attach(ac, s->base) == -1) {
		log_warnx("%s: cannot connect: %s", s->name,
		    ac && ac->err ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		schedule_retry(s);
		return;
	}
	ac->data = s;
	s->conn_id++;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	s->ac = ac;
	s->state = STORE_CONNECTING;
	s->connect_ms = now_ms();
}

/* Called once from the query's timer: the sentinels' answer (host NULL:
 * none named a master; the retry asks them again). */
static void on_master(const char *host, int port, void *arg)
{
	struct store *s = arg;

	s->query = NULL;                 /* freed after this returns */
	if (host == NULL) {
		if (s->failures % 30 == 0)   /* once, then once a minute */
			log_warnx("%s: no sentinel names master %s", s->name, s->addr.master);
		schedule_retry(s);
		return;
	}
	if (strcmp(host, s->master) != 0 || port != s->master_port)
		log_info("%s: the sentinels name %s:%d as master %s", s->name, host, port,
		    s->addr.master);
	snprintf(s->master, sizeof s->master, "%s", host);
	s->master_port = port;
	store_connect_to(s, host, port);
}

/* Every attempt behind sentinels asks them first: a lost connection, a
 * demoted master and a deadline all end in a new attempt. */
static void store_connect(struct store *s)
{
	if (s->addr.nsentinels == 0) {
		store_connect_to(s, s->addr.host, s->addr.port);
		return;
	}
	if (s->query)
		return;
	s->state = STORE_CONNECTING;
	s->connect_ms = now_ms();
	if ((s->query = sentinel_resolve_async(s->base, &s->addr, s->timeout_ms,
	    on_master, s)) == NULL)
		fatal("sentinel_resolve_async");   /* OOM only */
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	store_connect(arg);
}

/*
 * Drops the connection from outside any hiredis callback: hiredis then calls
 * every pending callback with NULL and on_disconnect schedules the retry.
 */
static void store_drop(struct store *s)
{
	redisAsyncContext *ac = s->ac;

	if (ac == NULL)
		return;
	/* Detach first: hiredis calls on_disconnect only for a connection that
	 * was up, so the retry is scheduled here in every case. */
	s->ac = NULL;
	ac->data = NULL;
	schedule_retry(s);
	redisAsyncFree(ac);
}

/* A reply older than the deadline means Redis is hung (or SIGSTOPped):
 * give up on the connection so nobody waits longer than the deadline.
 * Unless Redis has answered and antred itself did not run (a stall, a busy
 * machine): what it sent is read first, and the deadline judged again on
 * the next watch. */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)what;
	if (s->head && now_ms() > s->head->deadline_ms) {
		struct pollfd p = { .fd = s->ac ? s->ac->c.fd : -1, .events = POLLIN };
		if (poll(&p, 1, 0) == 1) {
			redisAsyncHandleRead(s->ac);   /* sent, not yet read */
			return;
		}
		log_warnx("%s: no reply within %d ms, reconnecting", s->name, s->timeout_ms);
		store_drop(s);
	} else if (s->state == STORE_CONNECTING && now_ms() - s->connect_ms > s->timeout_ms) {
		log_warnx("%s: not connected within %d ms, retrying", s->name, s->timeout_ms);
		store_drop(s);
	}
}

struct store *store_new(struct event_base *base, const char *name,
    const struct redis_addr *addr, int timeout_ms)
{
	struct store *s = calloc(1, sizeof *s);
	struct timeval tv = { 0, WATCH_MS * 1000 };

	if (s == NULL)
		return NULL;
	s->name = name;
	s->base = base;
	s->addr = *addr;
	s->timeout_ms = timeout_ms;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->retry_timer = evtimer_new(base, on_retry, s);
	s->watch_timer = event_new(base, -1, EV_PERSIST, on_watch, s);
	if (s->retry_timer == NULL || s->watch_timer == NULL) {
		store_free(s);
		return NULL;
	}
	evtimer_add(s->watch_timer, &tv);
	store_connect(s);
	return s;
}

void store_set_addr(struct store *s, const struct redis_addr *addr, int timeout_ms)
{
	s->timeout_ms = timeout_ms;
	if (memcmp(&s->addr, addr, sizeof *addr) == 0)
		return;
	s->addr = *addr;
	log_info("%s: address changed, reconnecting", s->name);
	if (s->ac)
		store_drop(s);   /* on_disconnect schedules the new connection */
	else {
		sentinel_cancel(s->query);
		s->query = NULL;
		evtimer_del(s->retry_timer);
		s->backoff_ms = BACKOFF_MIN_MS;
		store_connect(s);
	}
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->state = STORE_DOWN;           /* commands from the callbacks fail */
	if (s->retry_timer)
		evtimer_del(s->retry_timer);
	sentinel_cancel(s->query);
	s->query = NULL;
	if (s->ac) {
		redisAsyncContext *ac = s->ac;
		s->ac = NULL;
		ac->data = NULL;         /* on_disconnect must not reschedule */
		redisAsyncFree(ac);
	}
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	store_close(s);
	if (s->retry_timer)
		event_free(s->retry_timer);
	if (s->watch_timer)
		event_free(s->watch_timer);
	free(s);
}

int store_is_up(const struct store *s)
{
	return s->state == STORE_UP;
}

unsigned long store_conn_id(const struct store *s)
{
	return s->conn_id;
}

/* Sends op's command, or frees op without calling its callback.  The
 * reply is due within the store's timeout plus `extra_ms`. */
static int op_send(struct store *s, struct op *op, int argc, const char **argv,
    const size_t *argvlen, int extra_ms)
{
	if (s->state != STORE_UP || s->ac == NULL ||
	    redisAsyncCommandArgv(s->ac, op_reply, op, argc, argv, argvlen) != REDIS_OK) {
		op_free(op);
		return -1;
	}
	op->deadline_ms = now_ms() + s->timeout_ms + extra_ms;
	op_link(op);
	return 0;
}

int store_command_wait(struct store *s, int extra_ms, store_reply_cb *cb, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	struct op *op;

	if (s->state != STORE_UP)
		return -1;
	if ((op = calloc(1, sizeof *op)) == NULL)
		fatal("calloc");   /* OOM only: one op per command */
	op->store = s;
	op->cb = cb;
	op->arg = arg;
	return op_send(s, op, argc, argv, argvlen, extra_ms);
}

int store_command(struct store *s, store_reply_cb *cb, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	return store_command_wait(s, 0, cb, arg, argc, argv, argvlen);
}

int store_eval(struct store *s, const struct store_script *script,
    int nkeys, const char **keys, int nargs, const char **args,
    const size_t *arglens, store_reply_cb *cb, void *arg)
{
	struct op *op;

	if (s->state != STORE_UP)
		return -1;
	/* One block: the op, then the FCALL's argv, argvlen and bytes, kept
	 * for a retry (op_retry).  Out of memory is the only way to fatal. */
	if ((op = calloc(1, sizeof *op + store_script_size(script, nkeys, keys, nargs, args,
	    arglens))) == NULL)
		fatal("calloc");   /* OOM only: callers bound their argument counts */
	op->store = s;
	op->cb = cb;
	op->arg = arg;
	op->script = script;
	op->argc = 3 + nkeys + nargs;
	op->argv = (char **)(op + 1);
	op->argvlen = (size_t *)(op->argv + op->argc);
	op->ctx = store_script_fill(op->argv, script, nkeys, keys, nargs, args, arglens);
	op->ctx_at = 3 + nkeys;
	return op_send(s, op, op->argc, (const char **)op->argv, op->argvlen, 0);
}
