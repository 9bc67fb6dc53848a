/*
 * workers.h: `workers N` (antred.conf(5)): N processes that each bind the
 * listen addresses with SO_REUSEPORT and run the whole daemon (event loop,
 * Redis connections, follower, streams), under a parent that only starts
 * them, starts again one that died, forwards SIGTERM, SIGINT and SIGHUP,
 * speaks to the service manager, and exits once they all stopped.
 */
#ifndef ANTRE_WORKERS_H
#define ANTRE_WORKERS_H

#include "config.h"

/*
 * With n <= 1: returns 0 at once (no fork, one process as ever).  Else
 * forks the workers and returns in each its number, 1..n; the parent
 * never returns: it supervises, then exits with 0 after a stop, or with
 * the status of a worker that failed before it was ready.
 */
int workers_start(int n);

/*
 * In worker `id`: it listens and watches its signals (SIGTERM, SIGINT and
 * SIGHUP wait until then); the parent's READY=1 waits for all.  1 when the
 * parent was told to reload since it read the configuration this worker
 * started with (a worker started again): the worker reloads.  0 with one
 * process.
 */
int workers_ready(int id);

#endif
