/* queue.c: script runs for requests, refusals to statuses. */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>

#include "log.h"
#include "protocol.h"
#include "store.h"

_Static_assert(QUEUE_FP_SIZE >= 2 * EVP_MAX_MD_SIZE + 1, "a fingerprint's room");

/* What each refusal a script can give means in HTTP; the station
 * operations answer their own checks from here too (route_stations.c), so
 * their errors and statuses are listed once. */
static const struct {
	const char *code;
	int status;
} refusals[] = {
	{ "invalid_field", 400 },
	{ "invalid_signature", 403 },
	{ "unknown_station", 404 },
	{ "duplicate_person", 409 },
	{ "station_busy", 409 },
	{ "station_paused", 409 },
	{ "invalid_transition", 409 },
	{ "wrong_stage", 409 },
	{ "no_ticket", 409 },
	{ "ticket_not_found", 404 },
	{ "unknown_stage", 422 },
	{ "invalid_outcome", 422 },
	{ "idempotency_key_reused", 422 },
};

int queue_refusal_status(const char *code)
{
	for (size_t i = 0; i < sizeof refusals / sizeof refusals[0]; i++)
		if (strcmp(refusals[i].code, code) == 0)
			return refusals[i].status;
	return 500;
}

/* The script's result: its JSON text, or an issue's flat ticket
 * (record_flat_ticket), or on a replayed Idempotency-Key either as
 * {result, "replayed"} (_lib.lua idempotent()); NULL for anything else. */
static cJSON *result_of(const redisReply *reply, int *replayed)
{
	*replayed = 0;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[1]->type == REDIS_REPLY_STRING &&
	    strcmp(reply->element[1]->str, "replayed") == 0) {
		*replayed = 1;
		reply = reply->element[0];
	}
	if (reply->type == REDIS_REPLY_STRING)
		return cJSON_ParseWithLength(reply->str, reply->len);
	return record_flat_ticket(reply);
}

/* Ends r with the script's result (freed here): a refusal's status, or
 * the route's own answer. */
static void queue_answer(struct req *r, cJSON *result, int replayed)
{
	const cJSON *err;

	/* A replayed result goes through the same mapping as the first time:
	 * the statuses and bodies below depend on the result and the event's
	 * settings only, never on the time or on what Redis holds now. */
	if (replayed)
		evhttp_add_header(evhttp_request_get_output_headers(r->ev),
		    "Idempotency-Replayed", "true");
	err = cJSON_GetObjectItemCaseSensitive(result, "err");
	if (cJSON_IsString(err)) {
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(result, "msg");
		int status = queue_refusal_status(err->valuestring);
		if (status == 500)
			log_warnx("script for %s: unexpected refusal %s", r->route->name,
			    err->valuestring);
		http_reply_error(r, status, err->valuestring,
		    cJSON_IsString(msg) ? msg->valuestring : err->valuestring);
	} else
		r->on_result(r, result);
	cJSON_Delete(result);
}

/* ---- writes that outlive the master (redis-min-replicas) ---------------- */

/*
 * A write's answer is held until WAIT says redis-min-replicas replicas have
 * it.  One WAIT at a time, on the store's one connection, covers every
 * write whose reply came before it was sent (WAIT counts the connection's
 * writes so far): the held answers queue for the next WAIT meanwhile, so a
 * slow replica costs a request two WAITs at most, never one per write.
 */
struct held {
	struct req *r;
	cJSON *result;
	int replayed;
	unsigned long conn;              /* the connection that ran the script */
	struct held *next;
};

static struct held *held_next;       /* for the next WAIT */
static struct held *held_waiting;    /* answered by the WAIT in flight */
static unsigned long wait_conn;      /* the connection it was sent on */
static int wait_in_flight;

static void wait_send(void);

/* 503 not_replicated: the change is on the master only; the same request
 * with its Idempotency-Key is answered again (with the same ticket) once a
 * replica has it. */
static void reply_not_replicated(struct req *r)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Retry-After", "1");
	http_reply_error(r, 503, "not_replicated", "the change reached the queue store's "
	    "master but not its replicas in time; try again with the same Idempotency-Key");
}

/* Owned by the store: reply dies after return.  WAIT's count of replicas,
 * or NULL when the connection went (the answers are then 503). */
static void queue_on_wait(const redisReply *reply, void *arg)
{
	struct held *h = held_waiting;
	int enough = reply && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer >= server.cfg.redis_min_replicas;

	(void)arg;
	held_waiting = NULL;
	wait_in_flight = 0;
	if (reply && !enough)
		log_warnx("WAIT: %lld of %d replicas in time", reply->type ==
		    REDIS_REPLY_INTEGER ? reply->integer : -1LL, server.cfg.redis_min_replicas);
	while (h) {
		struct held *next = h->next;
		if (enough && h->conn == wait_conn)
			queue_answer(h->r, h->result, h->replayed);
		else {
			cJSON_Delete(h->result);
			if (reply)
				reply_not_replicated(h->r);
			else
				http_reply_unavailable(h->r);
		}
		free(h);
		h = next;
	}
	if (held_next && !wait_in_flight)   /* an answer above may have sent one */
		wait_send();
}

/* Sends WAIT for every held answer (within half the Redis deadline, so
 * the commands behind it on the connection still meet theirs). */
static void wait_send(void)
{
	char n[16], ms[16];
	const char *argv[3] = { "WAIT", n, ms };
	size_t lens[3] = { 4, 0, 0 };
	int wait_ms = server.cfg.redis_timeout_ms / 2;

	lens[1] = (size_t)snprintf(n, sizeof n, "%d", server.cfg.redis_min_replicas);
	lens[2] = (size_t)snprintf(ms, sizeof ms, "%d", wait_ms);
	held_waiting = held_next;
	held_next = NULL;
	wait_conn = store_conn_id(server.store);
	if (store_command_wait(server.store, wait_ms, queue_on_wait, NULL, 3, argv, lens) == 0)
		wait_in_flight = 1;
	else
		queue_on_wait(NULL, NULL);   /* Redis is away: 503 for each */
}

/* Holds r's answer until enough replicas have its write. */
static void queue_hold(struct req *r, cJSON *result, int replayed)
{
	struct held *h = calloc(1, sizeof *h);

	if (h == NULL)
		fatal("calloc");   /* OOM only: one per write in flight */
	h->r = r;
	h->result = result;
	h->replayed = replayed;
	h->conn = store_conn_id(server.store);
	h->next = held_next;
	held_next = h;
	if (!wait_in_flight)
		wait_send();
}

/* The body as it is (queue_answer deletes the result it is given). */
static void answer_body(struct req *r, const cJSON *result)
{
	cJSON *body = cJSON_Duplicate(result, 1);

	if (body == NULL)
		fatalx("out of memory");   /* OOM only: a small answer */
	http_reply_json(r, 200, body);
}

void queue_answer_replicated(struct req *r, cJSON *body)
{
	r->on_result = answer_body;
	if (server.cfg.redis_min_replicas > 0)
		queue_hold(r, body, 0);
	else
		queue_answer(r, body, 0);
}

/* Owned by the store: reply dies after return.  A write's result is held
 * for WAIT when redis-min-replicas asks for it. */
static void queue_reply(const redisReply *reply, struct req *r, int write)
{
	cJSON *result;
	int replayed;

	if (store_reply_unavailable(reply)) {
		if (reply == NULL) {
			http_reply_unavailable(r);
			return;
		}
		log_warnx("redis refused %s: %s", r->route->name, reply->str);
		http_reply_refused(r);
		return;
	}
	if ((result = result_of(reply, &replayed)) == NULL) {
		log_warnx("script for %s failed: %s", r->route->name,
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
		http_reply_error(r, 500, "internal_error", "the queue store gave an unexpected answer");
		return;
	}
	if (write && server.cfg.redis_min_replicas > 0)
		queue_hold(r, result, replayed);
	else
		queue_answer(r, result, replayed);
}

/* Owned by the store: reply dies after return.  arg is the request. */
static void queue_on_read(const redisReply *reply, void *arg)
{
	queue_reply(reply, arg, 0);
}

static void queue_on_write(const redisReply *reply, void *arg)
{
	queue_reply(reply, arg, 1);
}

void queue_reply_write(const redisReply *reply, struct req *r)
{
	queue_reply(reply, r, 1);
}

/* KEYS[1] the event's prefix, KEYS[2] (idem_key, may be NULL) the record
 * of an Idempotency-Key, then fp as the last ARGV. */
static void queue_eval(struct req *r, const char *script, int nargs, const char **args,
    const char *idem_key, const char *fp, int write, queue_done *done)
{
	char prefix[STORE_KEY_MAX];
	const char *keys[2] = { prefix, idem_key };
	/* the most any caller passes: stats' day and every service of the
	 * event (event files may have EVENT_MAX_SERVICES), with the context
	 * and fp; more is a bug in a caller, never something a request or an
	 * event file can cause */
	const char *argv[3 + EVENT_MAX_SERVICES];
	int n = 0;

	if (nargs > 1 + EVENT_MAX_SERVICES)
		fatalx("queue_run: too many arguments");
	store_key(prefix, sizeof prefix, r->event->id, "");
	argv[n++] = r->event->script_ctx;
	for (int i = 0; i < nargs; i++)
		argv[n++] = args[i];
	if (idem_key)
		argv[n++] = fp;
	r->on_result = done;
	if (store_eval(server.store, store_script_get(script), idem_key ? 2 : 1, keys, n,
	    argv, NULL, write ? queue_on_write : queue_on_read, r) == -1)
		http_reply_unavailable(r);
}

void queue_run(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done)
{
	queue_eval(r, script, nargs, args, NULL, NULL, 0, done);
}

/* ---- Idempotency-Key ---------------------------------------------------- */

#define IDEM_KEY_MAX 64

/* The request's Idempotency-Key into key (IDEM_KEY_MAX + 1 bytes, "" when
 * there is none); 0, or -1 when it is malformed or given twice. */
static int idem_key_get(struct req *r, char *key)
{
	const struct evkeyvalq *h = evhttp_request_get_input_headers(r->ev);
	const struct evkeyval *kv;
	const char *found = NULL;
	size_t n;

	key[0] = '\0';
	TAILQ_FOREACH(kv, h, next) {
		if (strcasecmp(kv->key, "Idempotency-Key") != 0)
			continue;
		if (found)
			return -1;
		found = kv->value;
	}
	if (found == NULL)
		return 0;
	n = strlen(found);
	if (n == 0 || n > IDEM_KEY_MAX || strspn(found, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._:-") != n)
		return -1;
	memcpy(key, found, n + 1);
	return 0;
}

int queue_idem_check(struct req *r)
{
	char key[IDEM_KEY_MAX + 1];

	if (idem_key_get(r, key) == 0)
		return 0;
	http_reply_error(r, 400, "invalid_idempotency_key",
	    "Idempotency-Key must be given once, 1 to 64 of A-Z a-z 0-9 . _ : -");
	return -1;
}

/* SHA-256 of method, path, NUL and body, hex: what makes two requests the
 * same request for one key. */
static void idem_fingerprint(struct req *r, char *hex)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const unsigned char *body = len ? evbuffer_pullup(in, -1) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (path == NULL)
		path = "";
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, r->route->method, strlen(r->route->method)) != 1 ||
	    EVP_DigestUpdate(c, path, strlen(path) + 1) != 1 ||   /* with its NUL */
	    (len && EVP_DigestUpdate(c, body, len) != 1) ||
	    EVP_DigestFinal_ex(c, md, &mdlen) != 1)
		fatalx("sha-256 failed");   /* OOM only: SHA-256 of bounded bytes cannot fail otherwise */
	EVP_MD_CTX_free(c);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int queue_idem(struct req *r, char *rec, char *fp)
{
	char key[IDEM_KEY_MAX + 1], suffix[IDEM_KEY_MAX + 8];

	rec[0] = fp[0] = '\0';
	if (idem_key_get(r, key) == -1) {
		/* handlers check first (queue_idem_check); this is the backstop */
		queue_idem_check(r);
		return -1;
	}
	if (key[0] == '\0')
		return 0;
	snprintf(suffix, sizeof suffix, "idem:%s", key);
	store_key(rec, STORE_KEY_MAX, r->event->id, suffix);
	idem_fingerprint(r, fp);
	return 0;
}

void queue_write(struct req *r, const char *script, int nargs, const char **args,
    queue_done *done)
{
	char rec[STORE_KEY_MAX], fp[QUEUE_FP_SIZE];

	if (queue_idem(r, rec, fp) == -1)
		return;
	queue_eval(r, script, nargs, args, rec[0] ? rec : NULL, rec[0] ? fp : NULL, 1, done);
}

cJSON *queue_ticket_body(struct req *r, const cJSON *result, enum record_view view)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(result, "ticket");
	cJSON *body = cJSON_CreateObject(), *wire;

	if (body == NULL)
		fatalx("out of memory");
	if (cJSON_IsNull(st) || st == NULL) {
		cJSON_AddNullToObject(body, "ticket");
		return body;
	}
	if ((wire = record_ticket_wire(r->event, st, view)) == NULL) {
		log_warnx("the store returned a malformed ticket");
		cJSON_Delete(body);
		return NULL;
	}
	cJSON_AddItemToObject(body, "ticket", wire);
	return body;
}

/* ---- housekeeping ------------------------------------------------------- */

static int sweeps_in_flight;

/* Owned by the store: reply dies after return. */
static void queue_on_sweep(const redisReply *reply, void *arg)
{
	(void)arg;
	sweeps_in_flight--;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		log_warnx("observation sweep: %s", reply->str);
	else if (reply && reply->type == REDIS_REPLY_STRING && strstr(reply->str, "\"moved\":0") == NULL)
		log_debug("observation sweep: %s", reply->str);
}

void queue_sweep(void)
{
	const struct event_set *set = &server.events->set;
	char prefix[STORE_KEY_MAX];
	const char *keys[1] = { prefix };

	/* one round at a time: a slow Redis must not pile sweeps up */
	if (sweeps_in_flight > 0 || !store_is_up(server.store))
		return;
	for (int i = 0; i < set->n; i++) {
		const char *argv[1] = { set->events[i].script_ctx };
		store_key(prefix, sizeof prefix, set->events[i].id, "");
		if (store_eval(server.store, store_script_get("sweep"), 1, keys, 1, argv,
		    NULL, queue_on_sweep, NULL) == 0)
			sweeps_in_flight++;
	}
}
