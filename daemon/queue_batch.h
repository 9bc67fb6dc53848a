/*
 * queue_batch.h: write scripts whose requests go to Redis in batches
 * (group commit): those that one turn of the event loop reads go together
 * in one call of the script's NAME_batch function (daemon/scripts/NAME.lua
 * has a line "--! batch").
 */
#ifndef ANTRE_QUEUE_BATCH_H
#define ANTRE_QUEUE_BATCH_H

#include "queue.h"

/* queue_write for a batched script: the same answers, the same
 * Idempotency-Key, each request as if it ran alone. */
void queue_write_batch(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done);

/* At the stop, after store_close: what still waits is answered 503. */
void queue_batch_stop(void);

#endif
