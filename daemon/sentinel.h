/*
 * sentinel.h: where the Redis master is, asked of Redis Sentinel.
 *
 * One resolver for every Redis connection antred keeps (the store, the
 * stream follower, the test clock): each sentinel of the address is asked
 * in turn, `SENTINEL get-master-addr-by-name NAME`, each within the timeout,
 * and the first that names a master answers.  Whoever connects there still
 * checks ROLE (a sentinel may not have seen a failover yet), and asks again
 * whenever the connection is lost or the master turns read-only; the
 * Sentinel client guidelines (redis.io, "sentinel-clients") say the same.
 */
#ifndef ANTRE_SENTINEL_H
#define ANTRE_SENTINEL_H

#include <stddef.h>

#include <hiredis.h>

#include "config.h"

struct event_base;
struct sentinel_query;

/*
 * Blocking: asks the sentinels of addr in turn, each bounded by timeout_ms
 * (connect and reply), for the master's host (host_size bytes) and port.
 * 0, or -1 when none of them names one.  For start-up and for antred-test's
 * clock reader; never on the event loop of a serving daemon.
 */
int sentinel_resolve(const struct redis_addr *addr, int timeout_ms,
    char *host, size_t host_size, int *port);

/*
 * Called exactly once per query, from a timer (never inside a hiredis
 * callback), with the master's host and port, or host NULL when no sentinel
 * named one.  The query is freed when the callback returns: do not cancel
 * it from there, and copy the host.
 */
typedef void sentinel_cb(const char *host, int port, void *arg);

/*
 * The same on base's loop, without blocking: the sentinels are asked one
 * after another, each within timeout_ms.  addr is copied.  NULL only when
 * out of memory (cb is then not called).
 */
struct sentinel_query *sentinel_resolve_async(struct event_base *base,
    const struct redis_addr *addr, int timeout_ms, sentinel_cb *cb, void *arg);

/* Stops a query before its callback: cb is not called.  NULL is a no-op. */
void sentinel_cancel(struct sentinel_query *q);

/* 1 when the ROLE reply r says master, else 0. */
int sentinel_role_is_master(const redisReply *r);

#endif
