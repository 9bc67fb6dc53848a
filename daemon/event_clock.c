/*
 * event_clock.c: the events' clock.  The real one; in antred-test (built
 * with ANTRE_TEST_CLOCK, see the Makefile) the key test:clock of an event
 * when test-clock is on, so that tests can check time-based figures
 * exactly.  A production build has no way to read it.
 */
#include "event.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef ANTRE_TEST_CLOCK
#include <hiredis.h>
#include <sys/time.h>

#include "config.h"
#include "sentinel.h"
#endif

static bool test_clock;

#ifdef ANTRE_TEST_CLOCK
static struct redis_addr test_redis;
#endif

void event_set_test_clock(int on, const struct redis_addr *redis)
{
#ifdef ANTRE_TEST_CLOCK
	test_clock = on != 0;
	test_redis = *redis;
#else
	(void)on;                /* a production build never reads it */
	(void)redis;
#endif
}

#ifdef ANTRE_TEST_CLOCK
/* The event's test:clock in seconds, or -1 when unset or unreadable.  A
 * blocking read on a connection of its own: antred-test only, where being
 * exact beats being fast. */
static time_t test_clock_read(const char *id)
{
	struct timeval tv = { 0, 500 * 1000 };
	redisContext *c;
	redisReply *r;
	time_t t = -1;
	char host[256];
	int port = test_redis.port;

	snprintf(host, sizeof host, "%s", test_redis.host);   /* or the sentinels' master */
	if (test_redis.nsentinels && sentinel_resolve(&test_redis, 500, host, sizeof host,
	    &port) == -1)
		return -1;
	c = test_redis.unix_path[0] ? redisConnectUnixWithTimeout(test_redis.unix_path, tv) :
	    redisConnectWithTimeout(host, port, tv);
	if (c == NULL || c->err || redisSetTimeout(c, tv) != REDIS_OK)
		goto done;
	if (test_redis.password[0])      /* an ACL user: its AUTH, as the store's */
		freeReplyObject(test_redis.user[0] ?
		    redisCommand(c, "AUTH %s %s", test_redis.user, test_redis.password) :
		    redisCommand(c, "AUTH %s", test_redis.password));
	freeReplyObject(redisCommand(c, "SELECT %d", test_redis.db));
	r = redisCommand(c, "GET antre:{%s}:test:clock", id);
	if (r && r->type == REDIS_REPLY_STRING)
		t = (time_t)(strtoll(r->str, NULL, 10) / 1000);
	freeReplyObject(r);
done:
	if (c)
		redisFree(c);
	return t;
}
#endif

time_t event_now(const struct event_def *ev)
{
#ifdef ANTRE_TEST_CLOCK
	time_t t;

	if (test_clock && (t = test_clock_read(ev->id)) != -1)
		return t;
#else
	(void)ev;
#endif
	return time(NULL);
}

bool event_test_clock(void)
{
	return test_clock;
}
