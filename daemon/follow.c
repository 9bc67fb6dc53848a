/* follow.c: XREAD BLOCK over every event's stream, on its own connection. */
#include "follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "record.h"
#include "server.h"
#include "store.h"

#define FOLLOW_BLOCK_MS 2000     /* how long one XREAD waits for news */
#define FOLLOW_COUNT "500"       /* entries at most per stream and read */

/* Where this daemon is in one event's stream. */
struct tip {
	char event[PROTO_ID_MAX];
	char id[32];                 /* last entry seen; "" until looked up */
};

static struct store *follower;
static const struct follow_sink *sink;
static struct tip *tips;
static int ntips;
static int busy;                 /* a command is in flight */

static struct tip *tip_find(const char *event)
{
	for (int i = 0; i < ntips; i++)
		if (strcmp(tips[i].event, event) == 0)
			return &tips[i];
	return NULL;
}

const char *follow_tip(const char *event)
{
	struct tip *t = tip_find(event);

	return t ? t->id : "";
}

/* Keeps a tip for every loaded event (a reload may add some); tips of
 * events no longer loaded are kept, harmlessly, until restart. */
static void tips_sync(void)
{
	const struct event_set *set = &server.events->set;

	for (int i = 0; i < set->n; i++) {
		struct tip *grown;
		if (tip_find(set->events[i].id))
			continue;
		if ((grown = realloc(tips, (size_t)(ntips + 1) * sizeof *tips)) == NULL)
			fatal("realloc");   /* OOM only: one tip per configured event */
		tips = grown;
		memset(&tips[ntips], 0, sizeof tips[ntips]);
		snprintf(tips[ntips].event, sizeof tips[ntips].event, "%s", set->events[i].id);
		ntips++;
	}
}

static void follow_next(void);

/* Owned by the store: reply dies after return.  arg is the tip looked up. */
static void follow_on_tip(const redisReply *r, void *arg)
{
	struct tip *t = &tips[(intptr_t)arg];
	struct stream_entry e;

	busy = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r && r->type == REDIS_REPLY_ERROR)
			log_warnx("follow: %s: %s", t->event, r->str);
		return;                  /* follow_tick tries again */
	}
	/* XREVRANGE + - COUNT 1: the newest entry, or none yet */
	if (r->elements > 0 && record_stream_entry(r->element[0], &e) == 0)
		snprintf(t->id, sizeof t->id, "%s", e.id);
	else
		snprintf(t->id, sizeof t->id, "0-0");
	follow_next();
}

/* One stream's part of an XREAD reply: [key, [[id, [field, value, …]], …]]. */
static void follow_stream(const redisReply *s)
{
	const char *key, *open, *close;
	char event[PROTO_ID_MAX];
	struct tip *t;

	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
	    s->element[0]->type != REDIS_REPLY_STRING)
		return;
	key = s->element[0]->str;
	if ((open = strchr(key, '{')) == NULL || (close = strchr(open, '}')) == NULL ||
	    (size_t)(close - open - 1) >= sizeof event)
		return;
	memcpy(event, open + 1, (size_t)(close - open - 1));
	event[close - open - 1] = '\0';
	if ((t = tip_find(event)) == NULL)
		return;
	for (size_t i = 0; s->element[1]->type == REDIS_REPLY_ARRAY &&
	    i < s->element[1]->elements; i++) {
		struct stream_entry e;
		if (record_stream_entry(s->element[1]->element[i], &e) == -1)
			continue;
		/* the tip moves first: a display catching up compares with it */
		snprintf(t->id, sizeof t->id, "%s", e.id);
		if (e.type && e.data)
			sink->entry(event, e.id, e.type, e.data, e.len);
	}
}

/* Owned by the store: reply dies after return. */
static void follow_on_read(const redisReply *r, void *arg)
{
	(void)arg;
	busy = 0;
	if (r == NULL)
		return;                  /* connection lost: follow_tick resumes */
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("follow: %s", r->str);
		return;
	}
	if (r->type == REDIS_REPLY_ARRAY) {
		sink->round();
		for (size_t i = 0; i < r->elements; i++)
			follow_stream(r->element[i]);
		sink->flush();
	}
	follow_next();               /* nil: nothing new within the block time */
}

/* Looks up the tip of any event not yet known, else reads what is new. */
static void follow_next(void)
{
	const char **argv;
	size_t *lens;
	char (*keys)[STORE_KEY_MAX];
	int argc = 0;

	if (busy || follower == NULL || !store_is_up(follower))
		return;
	tips_sync();
	for (int i = 0; i < ntips; i++)
		if (tips[i].id[0] == '\0') {
			char key[STORE_KEY_MAX];
			const char *a[] = { "XREVRANGE", key, "+", "-", "COUNT", "1" };
			size_t l[6];
			store_key(key, sizeof key, tips[i].event, "stream");
			for (int k = 0; k < 6; k++)
				l[k] = strlen(a[k]);
			if (store_command(follower, follow_on_tip, (void *)(intptr_t)i, 6, a, l) == 0)
				busy = 1;
			return;
		}
	if (ntips == 0)
		return;
	argv = calloc((size_t)(6 + 2 * ntips), sizeof *argv);
	lens = calloc((size_t)(6 + 2 * ntips), sizeof *lens);
	keys = calloc((size_t)ntips, sizeof *keys);
	if (argv == NULL || lens == NULL || keys == NULL)
		fatal("calloc");   /* OOM only: two arguments per configured event */
	argv[argc++] = "XREAD";
	argv[argc++] = "COUNT";
	argv[argc++] = FOLLOW_COUNT;
	argv[argc++] = "BLOCK";
	argv[argc++] = "2000";
	argv[argc++] = "STREAMS";
	for (int i = 0; i < ntips; i++) {
		store_key(keys[i], sizeof keys[i], tips[i].event, "stream");
		argv[argc++] = keys[i];
	}
	for (int i = 0; i < ntips; i++)
		argv[argc++] = tips[i].id;
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (store_command_wait(follower, FOLLOW_BLOCK_MS, follow_on_read, NULL, argc,
	    argv, lens) == 0)
		busy = 1;
	free(argv);
	free(lens);
	free(keys);
}

void follow_tick(void)
{
	follow_next();
}

int follow_start(const struct redis_addr *addr, int timeout_ms,
    const struct follow_sink *to)
{
	sink = to;
	follower = store_new(server.base, "redis follow", addr, timeout_ms);
	return follower ? 0 : -1;
}

void follow_set_addr(const struct redis_addr *addr, int timeout_ms)
{
	store_set_addr(follower, addr, timeout_ms);
}

void follow_stop(void)
{
	store_free(follower);        /* calls follow_on_read with NULL */
	follower = NULL;
	free(tips);
	tips = NULL;
	ntips = 0;
}
