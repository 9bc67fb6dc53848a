/* route_coverage.h: the campaign's coverage routes (coverage_routes[] in
 * routes.c) and what GET /metrics takes from them. */
#ifndef ANTRE_ROUTE_COVERAGE_H
#define ANTRE_ROUTE_COVERAGE_H

#include "http.h"

struct evbuffer;

/* Starts a read for the gauges when the last is older than a minute and
 * none is under way; the scrape shows what the last read kept. */
void coverage_gauges_refresh(void);
/* The per-kecamatan gauges of the last read (nothing before the first). */
void coverage_metrics_write(struct evbuffer *out);

#endif
