/*
 * test_coverage.c: unit tests for the campaign's coverage (daemon/coverage.c):
 * the roll-up RT -> desa -> kecamatan -> kabupaten with exact figures, counts
 * recorded on a desa row, a target of 0 (null coverage), an area never
 * reached, unknown codes (unmapped), due and overdue at their boundaries,
 * the sort, the parent filter, the elderly list, and results of a wrong
 * shape refused.  Also run under ASan/UBSan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "coverage.h"

#define KAB "36.04"
#define KEC1 "36.04.01"
#define KEC2 "36.04.02"
#define DS1 "36.04.01.2001"
#define DS2 "36.04.01.2002"
#define DS3 "36.04.02.2001"
#define RT1 "36.04.01.2001.001"
#define RT2 "36.04.01.2001.002"
#define RT3 "36.04.01.2002.001"

#define DAY 20000
#define OVERDUE 28

#define ROW(code, name, parent, level, target, et) \
	"{\"code\":\"" code "\",\"name\":\"" name "\",\"parent\":\"" parent \
	"\",\"level\":\"" level "\",\"target\":" #target ",\"elderly_target\":" #et "}"

/* The script's answer for a small kabupaten (see the figures in each test). */
static const char *fixture_json(void)
{
	return "{\"areas\":["
	    "\"" "not json" "\","
	    "\"{\\\"code\\\":\\\"X\\\",\\\"name\\\":\\\"x\\\",\\\"parent\\\":\\\"\\\","
	    "\\\"level\\\":\\\"dusun\\\",\\\"target\\\":1,\\\"elderly_target\\\":0}\"],"
	    "\"n\":[],\"due\":[]}";
}

static cJSON *fixture(void)
{
	static const char *rows[] = {
		ROW(KAB, "Kabupaten Serang", "", "kabupaten", 1000, 200),
		ROW(KEC1, "Kec. Satu", KAB, "kecamatan", 600, 120),
		ROW(KEC2, "Kec. Dua", KAB, "kecamatan", 400, 80),
		ROW(DS1, "Desa Satu", KEC1, "desa", 300, 60),
		ROW(DS2, "Desa Dua", KEC1, "desa", 300, 60),
		ROW(DS3, "Desa Tiga", KEC2, "desa", 0, 0),
		ROW(RT1, "RT 001", DS1, "rt", 100, 20),
		ROW(RT2, "RT 002", DS1, "rt", 200, 40),
		ROW(RT3, "RT 001", DS2, "rt", 300, 60),
		ROW(RT3, "RT again", DS2, "rt", 9, 9),       /* a code twice */
		"not json",
		ROW("X", "x", "", "dusun", 1, 0),             /* no such level */
	};
	static const char *counts[] = {
		RT1 "|d1", "40", RT1 "|d2", "10", RT1 "|e1", "5",
		RT2 "|d1", "50", RT2 "|d2", "20", RT2 "|d3", "1", RT2 "|e1", "30",
		RT2 "|e2", "7",                                /* not shown */
		DS2 "|d1", "30", DS2 "|e1", "2",               /* on the desa row */
		DS3 "|d1", "7",
		"-|d1", "3",                                   /* no area */
		"99.99|d1", "2", "99.99|d2", "1",              /* not in the table */
		"nobar", "4",
	};
	cJSON *o = cJSON_CreateObject(), *a, *due, *t;

	assert_non_null(o);
	a = cJSON_AddArrayToObject(o, "areas");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(rows[i]));
	a = cJSON_AddArrayToObject(o, "n");
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(counts[i]));
	due = cJSON_AddArrayToObject(o, "due");
	const struct { const char *area; int day, n; } d[] = {
		{ RT1, DAY, 4 },               /* due today: due */
		{ RT1, DAY - OVERDUE + 1, 2 }, /* last day before overdue */
		{ RT1, DAY - OVERDUE, 3 },     /* overdue from today */
		{ RT2, DAY + 1, 5 },           /* not yet due */
		{ "-", DAY - 10, 1 },          /* unmapped */
	};
	for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
		t = cJSON_CreateArray();
		cJSON_AddItemToArray(t, cJSON_CreateString(d[i].area));
		cJSON_AddItemToArray(t, cJSON_CreateNumber(d[i].day));
		cJSON_AddItemToArray(t, cJSON_CreateNumber(d[i].n));
		cJSON_AddItemToArray(due, t);
	}
	return o;
}

static void build(struct coverage *c)
{
	cJSON *o = fixture();

	assert_int_equal(coverage_build(o, DAY, OVERDUE, c), 0);
	cJSON_Delete(o);
}

static double num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static void assert_figs(const cJSON *o, double target, double d1, double d2,
    double d3, double e1, double due, double overdue)
{
	assert_true(num(o, "target") == target);
	assert_true(num(o, "dose1") == d1);
	assert_true(num(o, "dose2") == d2);
	assert_true(num(o, "dose3") == d3);
	assert_true(num(o, "elderly_dose1") == e1);
	assert_true(num(o, "due_dose2") == due);
	assert_true(num(o, "overdue_dose2") == overdue);
}

static cJSON *level_json(const struct coverage *c, enum cov_level l, int under)
{
	int rows[64];
	int n = coverage_select(c, l, under, rows);

	return coverage_json(c, l, rows, n);
}

static const cJSON *row(const cJSON *body, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "areas"), i);
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void test_table_read(void **state)
{
	struct coverage c;

	(void)state;
	build(&c);
	assert_int_equal(c.n, 9);
	assert_int_equal(c.bad_rows, 3);       /* not json, dusun, RT3 again */
	assert_string_equal(c.areas[coverage_find(&c, RT3)].name, "RT 001");
	assert_int_equal(coverage_find(&c, "nope"), -1);
	assert_true(c.areas[coverage_find(&c, DS3)].leaf);
	assert_false(c.areas[coverage_find(&c, DS1)].leaf);
	coverage_free(&c);
}

static void test_desa_rollup_and_sort(void **state)
{
	struct coverage c;
	cJSON *b;

	(void)state;
	build(&c);
	b = level_json(&c, COV_DESA, -1);
	assert_string_equal(str(b, "level"), "desa");
	assert_string_equal(str(b, "day"), "2024-10-04");   /* day 20000 */
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(b, "geometry")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "areas")), 3);
	/* 30/300 = 0.1, then 90/300 = 0.3, then the one without target */
	assert_string_equal(str(row(b, 0), "code"), DS2);
	assert_figs(row(b, 0), 300, 30, 0, 0, 2, 0, 0);
	assert_true(num(row(b, 0), "coverage_dose1") == 0.1);
	assert_true(num(row(b, 0), "coverage_dose2") == 0);
	assert_string_equal(str(row(b, 1), "code"), DS1);
	assert_string_equal(str(row(b, 1), "parent"), KEC1);
	assert_string_equal(str(row(b, 1), "name"), "Desa Satu");
	assert_figs(row(b, 1), 300, 90, 30, 1, 35, 6, 3);
	assert_true(num(row(b, 1), "coverage_dose1") == 0.3);
	assert_true(num(row(b, 1), "coverage_dose2") == 0.1);
	assert_true(num(row(b, 1), "elderly_target") == 60);
	assert_string_equal(str(row(b, 2), "code"), DS3);
	assert_figs(row(b, 2), 0, 7, 0, 0, 0, 0, 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(row(b, 2), "coverage_dose1")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(row(b, 2), "coverage_dose2")));
	/* totals over the level's rows: 127/600 = 0.21166.. */
	const cJSON *t = cJSON_GetObjectItem(b, "totals");
	assert_figs(t, 600, 127, 30, 1, 37, 6, 3);
	assert_true(num(t, "elderly_target") == 120);
	assert_true(num(t, "coverage_dose1") == 0.2117);
	assert_true(num(t, "coverage_dose2") == 0.05);
	const cJSON *u = cJSON_GetObjectItem(b, "unmapped");
	assert_true(num(u, "dose1") == 5);     /* "-" 3 and 99.99 2 */
	assert_true(num(u, "dose2") == 1);
	assert_true(num(u, "due_dose2") == 1);
	assert_true(num(u, "overdue_dose2") == 0);
	cJSON_Delete(b);
	coverage_free(&c);
}

static void test_rt_never_reached_first(void **state)
{
	struct coverage c;
	cJSON *b;

	(void)state;
	build(&c);
	b = level_json(&c, COV_RT, -1);
	assert_string_equal(str(row(b, 0), "code"), RT3);   /* dose1 0 */
	assert_figs(row(b, 0), 300, 0, 0, 0, 0, 0, 0);
	assert_true(num(row(b, 0), "coverage_dose1") == 0);
	assert_string_equal(str(row(b, 1), "code"), RT2);   /* 50/200 */
	assert_figs(row(b, 1), 200, 50, 20, 1, 30, 0, 0);   /* due tomorrow: none */
	assert_true(num(row(b, 1), "coverage_dose1") == 0.25);
	assert_string_equal(str(row(b, 2), "code"), RT1);   /* 40/100 */
	assert_figs(row(b, 2), 100, 40, 10, 0, 5, 6, 3);
	assert_true(num(row(b, 2), "coverage_dose1") == 0.4);
	/* the desa's own 30 are in no RT */
	assert_true(num(cJSON_GetObjectItem(b, "totals"), "dose1") == 90);
	cJSON_Delete(b);
	coverage_free(&c);
}

static void test_kecamatan_and_kabupaten(void **state)
{
	struct coverage c;
	cJSON *b;

	(void)state;
	build(&c);
	b = level_json(&c, COV_KECAMATAN, -1);
	assert_string_equal(str(row(b, 0), "code"), KEC2);   /* 7/400 */
	assert_figs(row(b, 0), 400, 7, 0, 0, 0, 0, 0);
	assert_true(num(row(b, 0), "coverage_dose1") == 0.0175);
	assert_string_equal(str(row(b, 1), "code"), KEC1);   /* 120/600 */
	assert_figs(row(b, 1), 600, 120, 30, 1, 37, 6, 3);
	assert_true(num(row(b, 1), "coverage_dose1") == 0.2);
	cJSON_Delete(b);
	b = level_json(&c, COV_KABUPATEN, -1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "areas")), 1);
	assert_figs(row(b, 0), 1000, 127, 30, 1, 37, 6, 3);
	assert_true(num(row(b, 0), "coverage_dose1") == 0.127);
	assert_true(num(row(b, 0), "coverage_dose2") == 0.03);
	cJSON_Delete(b);
	coverage_free(&c);
}

static void test_parent_filter(void **state)
{
	struct coverage c;
	int rows[16];

	(void)state;
	build(&c);
	assert_int_equal(coverage_select(&c, COV_DESA, coverage_find(&c, KEC1), rows), 2);
	assert_int_equal(coverage_select(&c, COV_RT, coverage_find(&c, KEC1), rows), 3);
	assert_int_equal(coverage_select(&c, COV_RT, coverage_find(&c, KEC2), rows), 0);
	assert_int_equal(coverage_select(&c, COV_RT, coverage_find(&c, DS1), rows), 2);
	assert_int_equal(coverage_select(&c, COV_RT, coverage_find(&c, RT1), rows), 0);
	coverage_free(&c);
}

static void test_elderly_list(void **state)
{
	struct coverage c;
	int rows[16], n;
	cJSON *b;

	(void)state;
	build(&c);
	n = coverage_elderly(&c, 100, rows);
	assert_int_equal(n, 4);       /* the three RTs and the desa without RT */
	b = coverage_elderly_json(&c, rows, n);
	assert_string_equal(str(row(b, 0), "code"), RT3);
	assert_true(num(row(b, 0), "gap") == 60);
	assert_string_equal(str(row(b, 0), "desa"), "Desa Dua");
	assert_string_equal(str(row(b, 0), "kecamatan"), "Kec. Satu");
	assert_string_equal(str(row(b, 1), "code"), RT1);
	assert_true(num(row(b, 1), "gap") == 15);
	assert_true(num(row(b, 1), "elderly_target") == 20);
	assert_true(num(row(b, 1), "elderly_dose1") == 5);
	assert_string_equal(str(row(b, 2), "code"), RT2);
	assert_true(num(row(b, 2), "gap") == 10);
	assert_string_equal(str(row(b, 3), "code"), DS3);
	assert_true(num(row(b, 3), "gap") == 0);
	assert_string_equal(str(row(b, 3), "desa"), "");
	cJSON_Delete(b);
	assert_int_equal(coverage_elderly(&c, 2, rows), 2);
	coverage_free(&c);
}

static void test_bad_shapes(void **state)
{
	static const char *bad[] = {
		"{\"areas\":[],\"n\":[\"a|d1\"],\"due\":[]}",        /* odd */
		"{\"areas\":[],\"n\":[\"a|d1\",\"-1\"],\"due\":[]}", /* negative */
		"{\"areas\":[],\"n\":[]}",                           /* no due */
		"{\"areas\":[],\"n\":[],\"due\":[[\"a\",\"x\",1]]}",
		"[]",
	};
	struct coverage c;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cJSON *o = cJSON_Parse(bad[i]);
		assert_non_null(o);
		assert_int_equal(coverage_build(o, DAY, OVERDUE, &c), -1);
		assert_int_equal(c.n, 0);
		cJSON_Delete(o);
	}
	/* two bad table values only: read, counted */
	cJSON *o = cJSON_Parse(fixture_json());
	assert_int_equal(coverage_build(o, DAY, OVERDUE, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(c.bad_rows, 2);
	coverage_free(&c);
	cJSON_Delete(o);
}

static void test_empty_table(void **state)
{
	struct coverage c;
	cJSON *o = cJSON_Parse("{\"areas\":[],\"n\":[\"360401|d1\",\"9\"],"
	    "\"due\":[[\"360401\",19000,2]]}");
	cJSON *b;

	(void)state;
	assert_int_equal(coverage_build(o, DAY, OVERDUE, &c), 0);
	b = coverage_json(&c, COV_DESA, NULL, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "areas")), 0);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "totals"),
	    "coverage_dose1")));
	assert_true(num(cJSON_GetObjectItem(b, "unmapped"), "dose1") == 9);
	assert_true(num(cJSON_GetObjectItem(b, "unmapped"), "overdue_dose2") == 2);
	cJSON_Delete(b);
	coverage_free(&c);
	cJSON_Delete(o);
}

static void test_helpers(void **state)
{
	(void)state;
	assert_int_equal(coverage_level_parse("rt"), COV_RT);
	assert_int_equal(coverage_level_parse("kabupaten"), COV_KABUPATEN);
	assert_int_equal(coverage_level_parse("RT"), -1);
	assert_int_equal(coverage_level_parse(""), -1);
	assert_true(coverage_code_ok("36.04_a-B"));
	assert_false(coverage_code_ok(""));
	assert_false(coverage_code_ok("a b"));
	assert_false(coverage_code_ok("a|b"));
	assert_false(coverage_code_ok("123456789012345678901234567890123"));
	assert_true(coverage_code_ok("12345678901234567890123456789012"));
	assert_true(coverage_fraction(1, 3) == 0.3333);
	assert_true(coverage_fraction(2, 3) == 0.6667);
	assert_true(coverage_fraction(5, 0) < 0);
	assert_true(coverage_fraction(0, 7) == 0);
	assert_true(coverage_fraction(12, 10) == 1.2);   /* more than the target */
	assert_true(coverage_fraction(2, 64) == 0.0313); /* 0.03125: half up */
	assert_true(coverage_fraction(1, 20000) == 0.0001);
	assert_true(coverage_fraction(1, 20001) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_read),
		cmocka_unit_test(test_desa_rollup_and_sort),
		cmocka_unit_test(test_rt_never_reached_first),
		cmocka_unit_test(test_kecamatan_and_kabupaten),
		cmocka_unit_test(test_parent_filter),
		cmocka_unit_test(test_elderly_list),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
