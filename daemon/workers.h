/*
 * workers.h: `workers N` (antred.conf(5)): N processes that each bind the
 * listen addresses with SO_REUSEPORT and run the whole daemon (event loop,
 * Redis connections, follower, streams), under a parent that only starts
 * them, starts again one that died, forwards SIGTERM, SIGINT and SIGHUP,
 * speaks to the service manager, and exits once they all stopped.
 */
#ifndef ANTRE_WORKERS_H
#define ANTRE_WORKERS_H

#include <stdint.h>

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

/*
 * In a ready worker, from its housekeeping timer: tells the parent it is
 * alive, once a second at most.  The parent kills a worker silent for ten
 * seconds (hung) and starts it again.  Nothing with one process.
 */
void workers_alive(int64_t now_ms);

#endif
