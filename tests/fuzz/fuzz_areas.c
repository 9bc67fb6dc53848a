/*
 * fuzz_areas.c: areas_parse (the admin's area file) on arbitrary bytes.
 *
 * Accepted => every row holds the file's own promises: a code of 1..32 of
 * [A-Za-z0-9._-], unique (areas_find finds each at its own index); a name
 * of 1..80 bytes with no C0 or DEL; a root or a parent on an earlier row
 * with a level above; 0 <= elderly_target <= target <= the bound; the
 * row's JSON reads back as the same row; no more rows than the bound.
 * Refused => a line from 1 to the file's line count and a reason, the
 * table left empty.  A label and a search never run past their buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "areas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 64

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_areas: %s\n", what);
		abort();
	}
}

static void check_row(const struct area_table *t, size_t i)
{
	const struct area *a = &t->rows[i];
	size_t n = strlen(a->code);
	struct area back;
	char *j;

	check(n >= 1 && n <= AREA_CODE_MAX && strspn(a->code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == n, "bad code accepted");
	check(areas_find(t, a->code) == (long)i, "code not unique or not found");
	n = strlen(a->name);
	check(n >= 1 && n <= AREA_NAME_MAX, "name length");
	for (size_t k = 0; k < n; k++)
		check((unsigned char)a->name[k] >= 0x20 && a->name[k] != 0x7f, "control in name");
	check((unsigned)a->level < AREA_NLEVELS, "level out of the enum");
	check(a->elderly_target >= 0 && a->elderly_target <= a->target &&
	    a->target <= AREA_TARGET_MAX, "targets");
	if (a->parent[0] == '\0')
		check(a->parent_index == -1, "root with a parent index");
	else
		check(a->parent_index >= 0 && (size_t)a->parent_index < i &&
		    strcmp(t->rows[a->parent_index].code, a->parent) == 0 &&
		    t->rows[a->parent_index].level < a->level, "parent not earlier and above");
	j = area_to_json(a);
	check(j != NULL && area_from_json(j, strlen(j), &back) == 0 &&
	    strcmp(back.code, a->code) == 0 && strcmp(back.name, a->name) == 0 &&
	    strcmp(back.parent, a->parent) == 0 && back.level == a->level &&
	    back.target == a->target && back.elderly_target == a->elderly_target,
	    "JSON does not read back as the row");
	free(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct area_table t;
	struct area_error e;
	char label[AREA_LABEL_MAX];
	long hits[MAX_ROWS];
	int lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (areas_parse((const char *)data, size, MAX_ROWS, &t, &e) == -1) {
		check(e.line >= 1 && e.line <= lines, "refusal line out of the file");
		check(e.reason[0] != '\0', "refusal without a reason");
		check(t.rows == NULL && t.n == 0, "refused table not empty");
		return 0;
	}
	check(t.n <= MAX_ROWS, "more rows than the bound");
	for (size_t i = 0; i < t.n; i++) {
		check_row(&t, i);
		areas_label(&t, (long)i, label, sizeof label);
		check(strlen(label) < sizeof label, "label");
	}
	if (t.n > 0)
		check(areas_search(&t, t.rows[t.n - 1].name, -1, MAX_ROWS, hits) >= 1,
		    "a row's own name not found");
	areas_free(&t);
	return 0;
}
