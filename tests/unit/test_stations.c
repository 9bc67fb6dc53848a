/*
 * test_stations.c: the station operations' table (route_stations.c) drives
 * the routes, the scripts' dispatch and the docs.  Run from the repository
 * top: protocol/PROTOCOL.md and the scripts under daemon/scripts are read
 * by relative path.  A row added to the table without its route, its script branch with
 * the same states, its error statuses in queue.c's refusals[], or its row
 * in PROTOCOL.md's "Station operations" fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_stations.h"
#include "routes.h"

#define PROTOCOL "protocol/PROTOCOL.md"
#define SCRIPTS "daemon/scripts"

/* The whole file, NUL-terminated; the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s (run from the repository top)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Calls fn(word, arg) for each space-separated word of list. */
static void each_word(const char *list, void (*fn)(const char *word, void *arg), void *arg)
{
	char word[64];

	while (*list) {
		size_t n = strcspn(list, " ");
		if (n > 0) {
			assert_true(n < sizeof word);
			memcpy(word, list, n);
			word[n] = '\0';
			fn(word, arg);
		}
		list += n + (list[n] == ' ');
	}
}

/* ---- routes ------------------------------------------------------------ */

static void test_routes_come_from_the_table(void **state)
{
	const struct station_op *op;
	size_t nroutes, i, found;
	const struct route *const *routes = routes_list(&nroutes);
	char path[128], name[64];

	(void)state;
	for (i = 0; (op = stations_op(i)) != NULL; i++) {
		assert_ptr_equal(route_stations_row(i), &op->route);
		snprintf(path, sizeof path, "/v1/events/{ev}/stations/{st}/%s", op->name);
		snprintf(name, sizeof name, "station_%s", op->name);
		assert_string_equal(op->route.method, "POST");
		assert_string_equal(op->route.path, path);
		assert_string_equal(op->route.name, name);
		assert_int_equal(op->route.roles, ROLE_BIT(ROLE_STATION));
		assert_non_null(op->route.handler);
		assert_non_null(op->reply);
		/* a body is read exactly when there is a reader for it */
		assert_int_equal(op->body == STATION_BODY_NONE, op->read == NULL);
		assert_true(strcmp(op->script, "call") == 0 || strcmp(op->script, "station") == 0);
		/* the list serves each operation's route once */
		found = 0;
		for (size_t k = 0; k < nroutes; k++)
			found += routes[k] == &op->route;
		assert_int_equal(found, 1);
	}
	assert_true(i >= 8);             /* call … resume */
	/* then the one read, GET …/deferred, listed once */
	const struct route *rd = route_stations_row(i);
	assert_non_null(rd);
	assert_string_equal(rd->method, "GET");
	assert_string_equal(rd->path, "/v1/events/{ev}/stations/{st}/deferred");
	assert_int_equal(rd->roles, ROLE_BIT(ROLE_STATION));
	found = 0;
	for (size_t k = 0; k < nroutes; k++)
		found += routes[k] == rd;
	assert_int_equal(found, 1);
	assert_null(route_stations_row(i + 1));
}

static void test_route_list_is_whole(void **state)
{
	size_t n;
	const struct route *const *routes = routes_list(&n);

	(void)state;
	assert_true(n >= 28);            /* at least every endpoint http.c's table had */
	for (size_t i = 0; i < n; i++) {
		assert_non_null(routes[i]);
		for (size_t k = 0; k < i; k++) {
			assert_string_not_equal(routes[i]->name, routes[k]->name);
			assert_false(strcmp(routes[i]->path, routes[k]->path) == 0 &&
			    strcmp(routes[i]->method, routes[k]->method) == 0);
		}
	}
}

/* ---- errors ------------------------------------------------------------ */

static void check_mapped(const char *code, void *arg)
{
	(void)arg;
	if (queue_refusal_status(code) == 500)
		fail_msg("%s has no status in queue.c's refusals[]", code);
}

static void test_errors_have_statuses(void **state)
{
	const struct station_op *op;

	(void)state;
	for (size_t i = 0; (op = stations_op(i)) != NULL; i++)
		each_word(op->errors, check_mapped, NULL);
	assert_int_equal(queue_refusal_status("no_such_code"), 500);
}

/* ---- the docs ----------------------------------------------------------- */

/* The "Station operations" table's row of `name` (up to its newline, in
 * buf); fails when there is none. */
static void doc_row(const char *doc, const char *name, char *buf, size_t size)
{
	const char *sec = strstr(doc, "\n### Station operations"), *end, *row;
	char head[64];

	if (sec == NULL)
		fail_msg(PROTOCOL " has no \"### Station operations\" section");
	end = strstr(sec + 1, "\n### ");
	snprintf(head, sizeof head, "\n| `%s` |", name);
	row = strstr(sec, head);
	if (row == NULL || (end && row > end))
		fail_msg(PROTOCOL ": the station operation %s has no row", name);
	row++;
	size_t n = strcspn(row, "\n");
	assert_true(n < size);
	memcpy(buf, row, n);
	buf[n] = '\0';
}

struct doc_check {
	const char *row;                 /* the whole row */
	const char *errors;              /* its last column */
	const char *op;
};

static void check_documented_error(const char *code, void *arg)
{
	const struct doc_check *c = arg;
	char want[80];

	snprintf(want, sizeof want, "%d `%s`", queue_refusal_status(code), code);
	if (strstr(c->errors, want) == NULL)
		fail_msg(PROTOCOL ": %s's errors do not list %s", c->op, want);
}

static void check_documented_state(const char *st, void *arg)
{
	const struct doc_check *c = arg;
	char want[80];

	snprintf(want, sizeof want, "`%s`", st);
	if (strstr(c->row, want) == NULL)
		fail_msg(PROTOCOL ": %s's row does not name the state %s", c->op, want);
}

/* Every `code` the row's errors column names is in the operation's list. */
static void check_no_other_errors(const struct doc_check *c, const char *errors)
{
	char code[64], padded[512];
	const char *p = c->errors, *q;

	snprintf(padded, sizeof padded, " %s ", errors);
	while ((p = strchr(p, '`')) != NULL && (q = strchr(p + 1, '`')) != NULL) {
		char word[70];
		size_t n = (size_t)(q - p - 1);
		assert_true(n < sizeof code);
		memcpy(code, p + 1, n);
		code[n] = '\0';
		snprintf(word, sizeof word, " %s ", code);
		if (strstr(padded, word) == NULL)
			fail_msg(PROTOCOL ": %s's row lists %s, which its table row does not", c->op, code);
		p = q + 1;
	}
}

static void test_protocol_documents_every_operation(void **state)
{
	char *doc = slurp(PROTOCOL);
	const struct station_op *op;
	char row[2048];

	(void)state;
	for (size_t i = 0; (op = stations_op(i)) != NULL; i++) {
		struct doc_check c = { row, NULL, op->name };
		doc_row(doc, op->name, row, sizeof row);
		c.errors = strrchr(row, '|');
		assert_non_null(c.errors);
		while (c.errors > row && c.errors[-1] != '|')   /* the last column */
			c.errors--;
		each_word(op->errors, check_documented_error, &c);
		each_word(op->states, check_documented_state, &c);
		check_no_other_errors(&c, op->errors);
	}
	/* and what every operation may answer, from the same map */
	struct doc_check every = { doc, strstr(doc, "\n### Station operations"), "every operation" };
	assert_non_null(every.errors);
	check_documented_error("unknown_station", &every);
	free(doc);
}

/* Every row of the docs' table is an operation of the table. */
static void test_protocol_has_no_other_operation(void **state)
{
	char *doc = slurp(PROTOCOL);
	const char *sec = strstr(doc, "\n### Station operations"), *p;
	const char *end = sec ? strstr(sec + 1, "\n### ") : NULL;

	(void)state;
	assert_non_null(sec);
	for (p = sec; (p = strstr(p, "\n| `")) != NULL && (end == NULL || p < end); p++) {
		const struct station_op *op;
		size_t n = strcspn(p + 4, "`"), i;
		for (i = 0; (op = stations_op(i)) != NULL; i++)
			if (strlen(op->name) == n && strncmp(op->name, p + 4, n) == 0)
				break;
		if (op == NULL)
			fail_msg(PROTOCOL ": a row names %.*s, which is no station operation", (int)n, p + 4);
	}
	free(doc);
}

/* ---- the scripts -------------------------------------------------------- */

/* Each operation's script has its branch, NAME = { states = 'STATES', and
 * station.lua has no operation the table does not. */
static void test_scripts_share_the_states(void **state)
{
	const struct station_op *op;
	char path[128], want[160];
	char *station = slurp(SCRIPTS "/station.lua");
	const char *p;

	(void)state;
	for (size_t i = 0; (op = stations_op(i)) != NULL; i++) {
		snprintf(path, sizeof path, SCRIPTS "/%s.lua", op->script);
		char *lua = slurp(path);
		snprintf(want, sizeof want, "%s = { states = '%s'", op->name, op->states);
		if (strstr(lua, want) == NULL)
			fail_msg("%s has no \"%s\"", path, want);
		free(lua);
	}
	for (p = station; (p = strstr(p, "\nOPS.")) != NULL; p++) {
		size_t n = strcspn(p + 5, " ="), i;
		for (i = 0; (op = stations_op(i)) != NULL; i++)
			if (strcmp(op->script, "station") == 0 && strlen(op->name) == n &&
			    strncmp(op->name, p + 5, n) == 0)
				break;
		if (op == NULL)
			fail_msg("station.lua has OPS.%.*s, which the table does not", (int)n, p + 5);
	}
	free(station);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_come_from_the_table),
		cmocka_unit_test(test_route_list_is_whole),
		cmocka_unit_test(test_errors_have_statuses),
		cmocka_unit_test(test_protocol_documents_every_operation),
		cmocka_unit_test(test_protocol_has_no_other_operation),
		cmocka_unit_test(test_scripts_share_the_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
