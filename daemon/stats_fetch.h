/*
 * stats_fetch.h: the stats script run for every event of a deployment at
 * once (GET /metrics, GET /v1/stats): one script per event, and one call
 * when the last answer is back.
 */
#ifndef ANTRE_STATS_FETCH_H
#define ANTRE_STATS_FETCH_H

#include "event.h"
#include "store.h"

/* One event's answer: index in the set, and the store's reply, as a
 * store_reply_cb gets it (NULL when Redis went away or did not answer in
 * time; it dies after return: copy what you keep). */
typedef void stats_fetch_reply_cb(int index, const redisReply *reply, void *arg);

/* Every sent script is back; `unsent` is 1 when not every event's could be
 * sent (Redis is down): those events have no reply call. */
typedef void stats_fetch_done_cb(void *arg, int unsent);

/*
 * Sends the stats script of today for every event of set, in order, until
 * one cannot be sent.  on_reply is called once per sent script, then
 * on_done exactly once (from within this call when nothing was sent).  set
 * must stay alive until on_done.
 */
void stats_fetch_all(const struct event_set *set, stats_fetch_reply_cb *on_reply,
    stats_fetch_done_cb *on_done, void *arg);

/* The stats script's arguments after the event's context: the day ("" for
 * today), then the services.  Returns how many (at most 1 + EVENT_MAX_SERVICES). */
int stats_fetch_args(const struct event_def *ev, const char **args);

#endif
