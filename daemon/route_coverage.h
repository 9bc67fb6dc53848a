/* route_coverage.h: the campaign's coverage routes (coverage_routes[] in
 * routes.c) and what GET /metrics takes from them. */
#ifndef ANTRE_ROUTE_COVERAGE_H
#define ANTRE_ROUTE_COVERAGE_H

#include "http.h"

struct evbuffer;

/* Days from a dose-2 due day until it counts as overdue (COVERAGE_API.md;
 * dose14's config `dose-overdue-after-days` takes its place). */
#define COVERAGE_OVERDUE_DAYS 28

/* Starts a read for the gauges when the last is older than a minute and
 * none is under way; the scrape shows what the last read kept. */
void coverage_gauges_refresh(const struct event_set *set);
/* The per-kecamatan gauges of the last read (nothing before the first). */
void coverage_metrics_write(struct evbuffer *out);

#endif
