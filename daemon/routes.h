/*
 * routes.h: THE route list, every endpoint antred serves (routes.c).
 *
 * Each route_*.c exports its rows as one array; routes.c lists the arrays
 * once, in match order, and main.c hands the list to http_start.  Adding
 * an endpoint is one row in its route_*.c (a new route_*.c: one line in
 * routes.c).
 */
#ifndef ANTRE_ROUTES_H
#define ANTRE_ROUTES_H

#include <stddef.h>

#include "http.h"

/* Every route in match order (the first whose method and path match
 * serves), *n of them; the array is static and lives as long as the
 * program. */
const struct route *const *routes_list(size_t *n);

#endif
