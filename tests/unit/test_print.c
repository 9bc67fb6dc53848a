/*
 * test_print.c: proto_json_print gives the very bytes cJSON_PrintUnformatted
 * gives (what every reply used to be printed with), for every kind of
 * value, the numbers cJSON prints each way, every escape, and random trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "protocol.h"

/* j printed both ways: the same text, and the length given is its length. */
static void same_as_cjson(const cJSON *j)
{
	char *want = cJSON_PrintUnformatted(j), *got;
	size_t len = 0;

	assert_non_null(want);
	got = proto_json_print(j, &len);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(want);
	free(got);
}

static void test_numbers(void **state)
{
	static const double v[] = {
		0, 1, -1, 7, 42, -42, 60, 1980, 1796489277413.0, -1796489277413.0,
		999999999999999.0, -999999999999999.0, 1e15, -1e15, 1e15 + 1, 1e16,
		12345678901234567.0, 123456789012345678.0, 9007199254740993.0, 2147483647.0,
		2147483648.0, -2147483649.0, 4294967296.0, 0.5, -0.5, 0.1, 1.0 / 3, 2.0 / 3,
		1.5e-7, 1e-300, 4.9e-324, 1e300, 1.7976931348623157e308, 3.14159265358979,
		123.456, -0.0, 1e21, 0.30000000000000004,
	};
	cJSON *a = cJSON_CreateArray();

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		cJSON *n = cJSON_CreateNumber(v[i]);
		same_as_cjson(n);
		cJSON_AddItemToArray(a, n);
	}
	cJSON_AddItemToArray(a, cJSON_CreateNumber(NAN));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(INFINITY));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(-INFINITY));
	same_as_cjson(a);
	cJSON_Delete(a);
}

static void test_strings(void **state)
{
	char all[128];
	cJSON *o = cJSON_CreateObject();

	(void)state;
	for (int i = 1; i < 128; i++)   /* every ASCII byte, controls and DEL too */
		all[i - 1] = (char)i;
	all[127] = '\0';
	cJSON_AddStringToObject(o, "ascii", all);
	cJSON_AddStringToObject(o, "", "");
	cJSON_AddStringToObject(o, "utf-8 é \xe2\x82\xac \xf0\x9f\x98\x80", "Memanggil lagi \xe2\x80\x94 \"A-017\"");
	cJSON_AddStringToObject(o, "a\"key\\with\nescapes\x01", "/</script>");
	cJSON_AddStringToObject(o, "odd bytes", "\xff\xfe\x80");
	same_as_cjson(o);
	cJSON_Delete(o);
}

static void test_shapes(void **state)
{
	cJSON *o = cJSON_CreateObject(), *a, *e;

	(void)state;
	same_as_cjson(o);                                  /* {} */
	a = cJSON_AddArrayToObject(o, "empty");            /* [] */
	cJSON_AddObjectToObject(o, "nothing");
	cJSON_AddNullToObject(o, "null");
	cJSON_AddTrueToObject(o, "yes");
	cJSON_AddFalseToObject(o, "no");
	cJSON_AddRawToObject(o, "raw", "[1,2 ,{\"x\":3}]");
	e = cJSON_AddArrayToObject(o, "nested");
	for (int i = 0; i < 5; i++) {
		cJSON *in = cJSON_CreateArray();
		cJSON_AddItemToArray(in, cJSON_CreateNumber(i));
		cJSON_AddItemToArray(in, cJSON_CreateString("x"));
		cJSON_AddItemToArray(e, in);
	}
	cJSON_AddItemReferenceToObject(o, "ref", e);       /* cJSON_IsReference */
	(void)a;
	same_as_cjson(o);
	cJSON_Delete(o);
	/* a ticket reply as the issue route sends it */
	o = cJSON_Parse("{\"ticket\":{\"id\":\"20261205-A001\",\"code\":\"A-001\",\"area\":null,"
	    "\"issued_at\":\"2026-12-05T23:47:57.068+07:00\",\"position\":0,\"eta_s\":0,"
	    "\"eta_range_s\":[0,60],\"leave_eta_s\":1980,\"recalls\":0,\"visits\":[{\"stage\":"
	    "\"registration\",\"station\":null}]},\"status_url\":\"http://x/t/demo/1?sig=ab\"}");
	assert_non_null(o);
	same_as_cjson(o);
	cJSON_Delete(o);
}

/* What cJSON refuses to print, proto_json_print refuses too; a member
 * without a name both print as "". */
static void test_refusals(void **state)
{
	cJSON *raw = cJSON_CreateRaw("1"), *inv = cJSON_CreateObject(), *o = cJSON_CreateObject();

	(void)state;
	assert_null(proto_json_print(NULL, NULL));
	free(raw->valuestring);
	raw->valuestring = NULL;
	assert_null(cJSON_PrintUnformatted(raw));
	assert_null(proto_json_print(raw, NULL));
	inv->type = cJSON_Invalid;
	assert_null(cJSON_PrintUnformatted(inv));
	assert_null(proto_json_print(inv, NULL));
	cJSON_Delete(raw);
	cJSON_Delete(inv);
	cJSON_AddNumberToObject(o, "n", 1);
	cJSON_free(o->child->string);
	o->child->string = NULL;                           /* a member without a name: "" */
	same_as_cjson(o);
	cJSON_Delete(o);
}

/* Random trees of random values, a fixed seed so a failure repeats. */
static cJSON *random_value(unsigned *seed, int depth)
{
	int kind = rand_r(seed) % (depth > 3 ? 6 : 8);
	char s[24];
	cJSON *c;

	switch (kind) {
	case 0: return cJSON_CreateNull();
	case 1: return cJSON_CreateBool(rand_r(seed) & 1);
	case 2: return cJSON_CreateNumber((double)(rand_r(seed) % 200000) - 100000);
	case 3: return cJSON_CreateNumber(ldexp((double)rand_r(seed) - RAND_MAX / 2,
	    rand_r(seed) % 140 - 70));
	case 4: case 5:
		for (int i = 0, n = rand_r(seed) % (int)sizeof s; i < n; i++)
			s[i] = (char)(1 + rand_r(seed) % 255);
		s[rand_r(seed) % (int)sizeof s] = '\0';
		s[sizeof s - 1] = '\0';
		return cJSON_CreateString(s);
	default:
		c = kind == 6 ? cJSON_CreateArray() : cJSON_CreateObject();
		for (int i = 0, n = rand_r(seed) % 5; i < n; i++) {
			snprintf(s, sizeof s, "k%d\t%d", i, rand_r(seed) % 10);
			if (kind == 6)
				cJSON_AddItemToArray(c, random_value(seed, depth + 1));
			else
				cJSON_AddItemToObject(c, s, random_value(seed, depth + 1));
		}
		return c;
	}
}

static void test_random_trees(void **state)
{
	unsigned seed = 15;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		cJSON *j = random_value(&seed, 0);
		same_as_cjson(j);
		cJSON_Delete(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_random_trees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
