/*
 * store.h: the one asynchronous Redis connection of a daemon.
 *
 * Redis is antre's only source of truth; this module keeps the connection
 * alive (reconnecting with capped exponential backoff, a new hiredis context
 * each time), runs commands and the Lua scripts (Redis functions), and
 * never lets a request hang: while Redis is down a call fails at once, and
 * when a reply is overdue the connection is dropped so that every waiting
 * callback hears of it.
 */
#ifndef ANTRE_STORE_H
#define ANTRE_STORE_H

#include <stddef.h>

#include <hiredis.h>

#include "config.h"
#include "store_script.h"

struct event_base;
struct store;

/*
 * Called exactly once per accepted command.  `reply` is NULL when Redis went
 * away or did not answer in time; it belongs to hiredis and is freed after
 * the callback returns, so copy what you keep.
 */
typedef void store_reply_cb(const redisReply *reply, void *arg);

/* Creates the store and starts connecting; NULL when out of memory. */
struct store *store_new(struct event_base *base, const char *name,
    const struct redis_addr *addr, int timeout_ms);
/* 1 while commands sent still wait for their replies. */
int store_waiting(const struct store *s);
/* Drops the connection; pending callbacks are called with NULL first. */
void store_free(struct store *s);
/* Drops the connection for good (a stop that cannot wait any longer):
 * pending callbacks are called with NULL, later commands fail at once. */
void store_close(struct store *s);
/* Points the store at another Redis (SIGHUP); reconnects if it changed. */
void store_set_addr(struct store *s, const struct redis_addr *addr, int timeout_ms);

/* 1 when connected and answering, else 0. */
int store_is_up(const struct store *s);

/* Which connection the store is on (a new number each time it connects):
 * WAIT counts the writes of its own connection only. */
unsigned long store_conn_id(const struct store *s);

/*
 * Sends one command.  0: cb will be called once.  -1: Redis is down, the
 * command was not sent and cb will not be called; answer 503 at once.
 */
int store_command(struct store *s, store_reply_cb *cb, void *arg,
    int argc, const char **argv, const size_t *argvlen);

/* store_command for a command that may wait on purpose (XREAD BLOCK):
 * its reply is due extra_ms later than others'. */
int store_command_wait(struct store *s, int extra_ms, store_reply_cb *cb, void *arg,
    int argc, const char **argv, const size_t *argvlen);

/*
 * Runs a script with FCALL.  A missing function makes the library load
 * and the call go again, once; a call goes again once as the script's
 * other function when a read must write or Redis refused a write before it
 * ran (store_script.h).  keys and args as for FCALL.  Returns as
 * store_command does.
 */
int store_eval(struct store *s, const struct store_script *script,
    int nkeys, const char **keys, int nargs, const char **args,
    const size_t *arglens, store_reply_cb *cb, void *arg);

#endif
