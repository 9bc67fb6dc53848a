/*
 * route_areas.h: the campaign's area table for the other routes: a
 * ticket's area checked against it (route_tickets.c) and an area's name for
 * the printed ticket (route_print.c).  Each asks Redis (scripts/areas.lua),
 * so that a table another daemon replaced counts at once.
 */
#ifndef ANTRE_ROUTE_AREAS_H
#define ANTRE_ROUTE_AREAS_H

#include "http.h"

enum areas_check_result {
	AREAS_NO_TABLE,                  /* no table: the area stays as it was given */
	AREAS_OK,                        /* code: a code of the table, or "" */
	AREAS_UNKNOWN,                   /* the given code is not in the table */
	AREAS_FAILED                     /* Redis away or refusing: answer 503 */
};

/* Called once, from the store's callback; code lives until return. */
typedef void areas_check_done(struct req *r, void *arg, enum areas_check_result res,
    const char *code);

/*
 * A ticket's area against the table: code (the desk's, or NULL) must be
 * one of its codes; with no code, region (a NIK's 6 digits, or NULL) maps
 * to the kecamatan whose code without dots it is ("" when none).  done is
 * called exactly once, possibly before this returns.
 */
void areas_check(struct req *r, const char *code, const char *region,
    areas_check_done *done, void *arg);

/* Called once; label is the area's name ("RT 03, Sukamaju" for an RT:
 * with its desa), or NULL when the table does not know the code or Redis
 * did not answer; it lives until return. */
typedef void areas_label_done(struct req *r, void *arg, const char *label);

/* The printable name of an area code; done called exactly once. */
void areas_label_get(struct req *r, const char *code, areas_label_done *done, void *arg);

#endif
