/*
 * route_stations.h: the station operations' table (route_stations.c).
 *
 * Adding a station operation is one row of station_ops plus its own code:
 * a body reader if it takes a body, its branch in the script's table
 * (station.lua's OPS), a refusal code's status in queue.c's refusals[] if
 * it is new, and its row in PROTOCOL.md's "Station operations", which
 * tests/unit/test_stations.c holds to the table.
 */
#ifndef ANTRE_ROUTE_STATIONS_H
#define ANTRE_ROUTE_STATIONS_H

#include <stddef.h>

#include "queue.h"

struct cJSON;

/* How an operation reads its body. */
enum station_body {
	STATION_BODY_NONE,               /* not read at all */
	STATION_BODY_OPTIONAL,           /* read when there is one */
	STATION_BODY_REQUIRED,           /* one JSON object, or 400 */
};

/* Sets *arg, the script's last argument, from the body: 0, or -1 when the
 * request has been answered (or handed on to another script). */
typedef int station_body_reader(struct req *r, const struct cJSON *body, const char **arg);

struct station_op {
	const char *name;                /* the path's last segment; the script's op */
	struct route route;              /* POST …/stations/{st}/NAME */
	const char *script;              /* "call", or "station" (which gets the name first) */
	const char *states;              /* ticket states it acts on; "": the station's own */
	const char *errors;              /* codes it may answer beyond every op's, space separated */
	enum station_body body;
	station_body_reader *read;       /* NULL with STATION_BODY_NONE */
	queue_done *reply;               /* the script's result into the answer */
};

/* Row i of the operations' table, NULL past the last. */
const struct station_op *stations_op(size_t i);

/* The route of operation i, then the stage's deferred tickets' read
 * (GET …/stations/{st}/deferred), NULL past it: routes.c lists them. */
const struct route *route_stations_row(size_t i);

#endif
