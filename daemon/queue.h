/*
 * queue.h: running the queue's Lua scripts for a request, and turning what
 * they return into replies.  Every queue operation is one script, atomic in
 * Redis; the daemon validates before and translates after, nothing more.
 */
#ifndef ANTRE_QUEUE_H
#define ANTRE_QUEUE_H

#include "http.h"
#include "record.h"

struct cJSON;

/* Called with the script's JSON result, which lives until return; must
 * end the request with one http_reply_*. */
typedef void queue_done(struct req *r, const struct cJSON *result);

/*
 * Runs `script` for the request's event, ARGV[1] the event's context and
 * then args.  Redis away or refusing writes: 503.  A refusal from the script
 * ({"err": code}): the matching 4xx.  Otherwise done(r, result).
 */
void queue_run(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done);

/*
 * As queue_run, for a write script (one wrapped in _lib.lua's idempotent()):
 * with an Idempotency-Key header, the script gets the key's record and the
 * request's fingerprint, and a replayed result is answered as the first one
 * was, with Idempotency-Replayed: true.  A malformed key: 400.
 */
void queue_write(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done);

/*
 * For a write made outside the queue's scripts, on the store's connection
 * (the area table, the boundaries): answers 200 with body (taken) once
 * redis-min-replicas replicas have the write, else 503 not_replicated, as
 * queue_write's answers are; at once when none are asked for.
 */
void queue_answer_replicated(struct req *r, struct cJSON *body);

/* The HTTP status of an error code (queue.c's refusals[], the one map of
 * the scripts' refusals and the station operations' errors); 500 for a
 * code it does not know. */
int queue_refusal_status(const char *code);

/* 0 when the request's Idempotency-Key is absent or well formed; else the
 * request has been answered 400 invalid_idempotency_key and -1 returned.
 * Handlers call it first, before they look at the body. */
int queue_idem_check(struct req *r);

/* {"ticket": wire ticket in that view} for result's "ticket" member (null
 * if none); NULL when the store's ticket is malformed (record.h). */
struct cJSON *queue_ticket_body(struct req *r, const struct cJSON *result,
    enum record_view view);

/* For queue_batch.c: the record key of the request's Idempotency-Key
 * (STORE_KEY_MAX bytes) and the request's fingerprint (QUEUE_FP_SIZE bytes:
 * SHA-256 in hex, room for EVP_MAX_MD_SIZE), both "" when it has none; 0,
 * or -1 when the key is malformed (r answered 400). */
#define QUEUE_FP_SIZE 129
int queue_idem(struct req *r, char *rec, char *fp);

/* For queue_batch.c: ends r with a write script's reply (NULL: Redis
 * away): a refusal's status, or r->on_result's answer once the write is
 * replicated as asked. */
struct redisReply;
void queue_reply_write(const struct redisReply *reply, struct req *r);

/* Housekeeping: moves on tickets whose timed wait is over, in every event. */
void queue_sweep(void);

#endif
