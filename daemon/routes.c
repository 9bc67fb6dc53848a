/* routes.c: THE route list.  It sits above http.c and every route_*.c:
 * http.c matches whatever list it is given and names no route. */
#include "routes.h"

#include "log.h"
#include "route_stations.h"

/* Each route_*.c exports its rows as one array ending in a row without a
 * method; route_stations.c makes its rows from its operations' table and
 * gives row i (NULL past the last).  Adding an endpoint to a feature is a
 * row in its file; a new feature file is a line here. */
extern const struct route health_routes[], board_routes[], ticket_routes[],
    print_routes[], public_routes[], stream_routes[], stats_routes[],
    metrics_routes[], report_routes[], plan_routes[], whoami_routes[],
    speech_routes[], coverage_routes[], geometry_routes[],
    area_routes[];

typedef const struct route *route_rows(size_t i);

/* The files in match order (the first row whose method and path match
 * serves; within a file, rows in its order): no two rows match one method
 * and path today, and a fixed path must come before a {param} one that
 * also matches it. */
static const struct {
	const struct route *rows;        /* a file's rows */
	route_rows *row;                 /* or its row function */
} list[] = {
	{ health_routes, NULL },
	{ whoami_routes, NULL },
	{ board_routes, NULL },
	{ ticket_routes, NULL },
	{ NULL, route_stations_row },    /* one per station operation */
	{ print_routes, NULL },
	{ public_routes, NULL },
	{ stream_routes, NULL },
	{ stats_routes, NULL },
	{ metrics_routes, NULL },
	{ report_routes, NULL },
	{ plan_routes, NULL },
	{ speech_routes, NULL },
	{ coverage_routes, NULL },
	{ geometry_routes, NULL },
	{ area_routes, NULL },
};

#define ROUTES_MAX 64

const struct route *const *routes_list(size_t *n)
{
	static const struct route *flat[ROUTES_MAX];
	size_t k = 0;

	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
		for (size_t j = 0;; j++) {
			const struct route *rt = list[i].rows ? &list[i].rows[j] : list[i].row(j);
			if (rt == NULL || rt->method == NULL)
				break;
			/* the rows are fixed at build time: more is a bug here */
			if (k == ROUTES_MAX)
				fatalx("routes: more than %d routes", ROUTES_MAX);
			flat[k++] = rt;
		}
	*n = k;
	return flat;
}
