/* route_whoami.c: GET /v1/whoami, what a bearer token is: its role and
 * the events it may use.  The pages check a typed or kept token with it
 * (a request that does and changes nothing) before they start work. */
#include <cjson/cJSON.h>

#include "http.h"
#include "log.h"

/* Tokens are per role, not per event: every loaded event is the token's.
 * A missing or wrong token never gets here: 401 in http.c, and a wrong one
 * counts against the auth-fail limit as anywhere. */
static void whoami_get(struct req *r)
{
	cJSON *body = cJSON_CreateObject(), *events;

	if (body == NULL || !cJSON_AddStringToObject(body, "role", config_role_name(r->role)) ||
	    (events = cJSON_AddArrayToObject(body, "events")) == NULL)
		fatalx("out of memory");     /* OOM only: the events are the loaded set, bounded */
	for (int i = 0; i < r->events->set.n; i++) {
		cJSON *id = cJSON_CreateString(r->events->set.events[i].id);

		if (id == NULL || !cJSON_AddItemToArray(events, id))
			fatalx("out of memory");     /* likewise: ids of at most 32 bytes */
	}
	http_reply_json(r, 200, body);
}

const struct route whoami_routes[] = {
	{ "GET", "/v1/whoami", ROLES_ANY_OPERATOR, whoami_get, "whoami", 0 },
	{ 0 }                            /* the end */
};
