/* route_health.c: GET /healthz, a real round trip to Redis. */
#include <cjson/cJSON.h>

#include "http.h"
#include "store.h"

static cJSON *health_body(const char *status, const char *redis)
{
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "status", status) ||
	    !cJSON_AddStringToObject(j, "redis", redis) ||
	    /* with `workers N`: which one answered */
	    (server.worker && !cJSON_AddNumberToObject(j, "worker", server.worker))) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* Owned by the store: reply dies after return.  NULL means no answer in time. */
static void health_on_ping(const redisReply *reply, void *arg)
{
	struct req *r = arg;

	if (reply && reply->type == REDIS_REPLY_STATUS)
		http_reply_json(r, 200, health_body("ok", "up"));
	else
		http_reply_json(r, 503, health_body("unavailable", "down"));
}

static void health_get(struct req *r)
{
	const char *argv[] = { "PING" };
	size_t argvlen[] = { 4 };

	if (store_command(server.store, health_on_ping, r, 1, argv, argvlen) == -1)
		http_reply_json(r, 503, health_body("unavailable", "down"));
}

const struct route health_routes[] = {
	{ "GET", "/healthz", ROLES_PUBLIC, health_get, "healthz", 0 },
	{ 0 }                            /* the end */
};
