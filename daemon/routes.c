/* routes.c: THE route list.  It sits above http.c and every route_*.c:
 * http.c matches whatever list it is given and names no route. */
#include "routes.h"

#include "log.h"
#include "route_stations.h"

/* Each route_*.c exports its rows: one `struct route` each, or, where the
 * rows are made from the file's own table, a function giving row i (NULL
 * past the last; route_stations.h). */
extern const struct route route_healthz, route_events_list, route_event_get,
    route_board, route_ticket_issue, route_ticket_get, route_ticket_cancel,
    route_ticket_lookup, route_ticket_qr_png, route_ticket_qr_svg,
    route_ticket_escpos, route_ticket_png, route_status_page, route_web,
    route_event_stream, route_ticket_stream, route_event_stats, route_rollup,
    route_metrics, route_event_report;

typedef const struct route *route_rows(size_t i);

/* In match order: no two rows match one method and path today, but a
 * fixed path must come before a {param} one that also matches it. */
static const struct {
	const struct route *row;         /* one row */
	route_rows *rows;                /* or a file's rows */
} list[] = {
	{ &route_healthz, NULL },
	{ &route_events_list, NULL },
	{ &route_event_get, NULL },
	{ &route_board, NULL },
	{ &route_ticket_issue, NULL },
	{ &route_ticket_lookup, NULL },  /* before tickets/{id} */
	{ &route_ticket_get, NULL },
	{ &route_ticket_cancel, NULL },
	{ NULL, route_stations_row },    /* one per station operation */
	{ &route_ticket_qr_png, NULL },
	{ &route_ticket_qr_svg, NULL },
	{ &route_ticket_escpos, NULL },
	{ &route_ticket_png, NULL },
	{ &route_status_page, NULL },
	{ &route_web, NULL },
	{ &route_event_stream, NULL },
	{ &route_ticket_stream, NULL },
	{ &route_event_stats, NULL },
	{ &route_rollup, NULL },
	{ &route_metrics, NULL },
	{ &route_event_report, NULL },
};

#define ROUTES_MAX 64

const struct route *const *routes_list(size_t *n)
{
	static const struct route *flat[ROUTES_MAX];
	size_t k = 0;

	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
		const struct route *rt = list[i].row;
		for (size_t j = 0; list[i].rows ? (rt = list[i].rows(j)) != NULL : j == 0; j++) {
			/* the rows are fixed at build time: more is a bug here */
			if (k == ROUTES_MAX)
				fatalx("routes: more than %d routes", ROUTES_MAX);
			flat[k++] = rt;
		}
	}
	*n = k;
	return flat;
}
