/* Unit tests for daemon/areas.c: the area file read strictly, the rows'
 * JSON both ways, the index, the search and the labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "areas.h"

#define HEAD "code,name,parent,level,target,elderly_target\n"

static const char small[] = HEAD
	"36.04,Kab. Serang,,kabupaten,36000,3600\n"
	"36.04.01,Kec. Cikande,36.04,kecamatan,12000,1200\n"
	"36.04.01.2001,Sukamaju,36.04.01,desa,3000,300\n"
	"36.04.01.2001.003,RT 03,36.04.01.2001,rt,1000,100\n"
	"36.04.02,Kec. Kibin,36.04,kecamatan,12000,1200\n"
	"36.04.02.2001,Sukamaju,36.04.02,desa,3000,300\n"
	"36.04.02.2001.003,RT 03,36.04.02.2001,rt,1000,0\n";

static int parse(const char *text, struct area_table *t, struct area_error *e)
{
	return areas_parse(text, strlen(text), 1000, t, e);
}

/* The line and reason of a refused file (the table left empty). */
static void refused(const char *text, int line, const char *word)
{
	struct area_table t;
	struct area_error e;

	assert_int_equal(parse(text, &t, &e), -1);
	assert_int_equal(e.line, line);
	if (strstr(e.reason, word) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", e.reason, word);
	assert_null(t.rows);
	assert_int_equal(t.n, 0);
}

static void test_small_table(void **state)
{
	struct area_table t;
	struct area_error e;
	long i;

	(void)state;
	assert_int_equal(parse(small, &t, &e), 0);
	assert_int_equal(t.n, 7);
	i = areas_find(&t, "36.04.02.2001.003");
	assert_int_equal(i, 6);
	assert_int_equal(t.rows[i].level, AREA_RT);
	assert_int_equal(t.rows[i].target, 1000);
	assert_int_equal(t.rows[i].elderly_target, 0);
	assert_int_equal(t.rows[i].parent_index, 5);
	assert_int_equal(t.rows[0].parent_index, -1);
	assert_int_equal(areas_find(&t, "36.04.09"), -1);
	areas_free(&t);
	assert_null(t.rows);
}

static void test_line_ends_bom_quotes(void **state)
{
	static const char text[] = "\xef\xbb\xbf" "code,name,parent,level,target,elderly_target\r\n"
		"36,\"Kab, \"\"Lama\"\"\",,kabupaten,0,0\r\n"
		"\"36.1\",\"\",36,kecamatan,5,5";    /* an empty quoted name: refused */
	static const char ok[] = "\xef\xbb\xbf" "code,name,parent,level,target,elderly_target\r\n"
		"36,\"Kab, \"\"Lama\"\"\",,kabupaten,0,0\r\n"
		"\"36.1\",D\xc3\xa9sa,36,kecamatan,5,5";
	struct area_table t;
	struct area_error e;

	(void)state;
	refused(text, 3, "name");
	assert_int_equal(parse(ok, &t, &e), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.rows[0].name, "Kab, \"Lama\"");
	assert_string_equal(t.rows[1].code, "36.1");
	assert_string_equal(t.rows[1].name, "D\xc3\xa9sa");
	areas_free(&t);
	/* a header alone: an empty table */
	assert_int_equal(parse(HEAD, &t, &e), 0);
	assert_int_equal(t.n, 0);
	areas_free(&t);
}

static void test_refusals(void **state)
{
	char big[256];

	(void)state;
	refused("", 1, "header");
	refused("code,name,parent,level,target\n", 1, "header");
	refused("Code,name,parent,level,target,elderly_target\n", 1, "header");
	refused(HEAD "36,K,,kota,1,0\n", 2, "unknown level");
	refused(HEAD "36.1,K,36,kecamatan,1,0\n36,K,,kabupaten,1,0\n", 2, "earlier");
	refused(HEAD "36,K,,kecamatan,1,0\n36.1,K,36,kabupaten,1,0\n", 3, "not above");
	refused(HEAD "36,K,,kecamatan,1,0\n36.1,K,36,kecamatan,1,0\n", 3, "not above");
	refused(HEAD "36,K,,kabupaten,1,0\n36,L,,kabupaten,1,0\n", 3, "already on line 2");
	refused(HEAD "36,K,,kabupaten,x,0\n", 2, "target");
	refused(HEAD "36,K,,kabupaten,-1,0\n", 2, "target");
	refused(HEAD "36,K,,kabupaten, 1,0\n", 2, "target");
	refused(HEAD "36,K,,kabupaten,1000000001,0\n", 2, "target");
	refused(HEAD "36,K,,kabupaten,99999999999,0\n", 2, "target");
	refused(HEAD "36,K,,kabupaten,1,2\n", 2, "more than target");
	refused(HEAD "36,K,,kabupaten,1,\n", 2, "elderly_target");
	refused(HEAD "36,\"K,,kabupaten,1,0\n", 2, "quoted field");
	refused(HEAD "36,\"K\"x,,kabupaten,1,0\n", 2, "closing quote");
	refused(HEAD "36,K\"x,,kabupaten,1,0\n", 2, "quote inside");
	refused(HEAD "36,K,,kabupaten,1\n", 2, "fields");
	refused(HEAD "36,K,,kabupaten,1,0,\n", 2, "more than 6");
	refused(HEAD "36 1,K,,kabupaten,1,0\n", 2, "code");
	refused(HEAD ",K,,kabupaten,1,0\n", 2, "code");
	refused(HEAD "123456789012345678901234567890123,K,,kabupaten,1,0\n", 2, "code");
	refused(HEAD "36,K,3/6,kabupaten,1,0\n", 2, "parent");
	refused(HEAD "36,K\x01,,kabupaten,1,0\n", 2, "name");
	refused(HEAD "36,K\xc2\x85,,kabupaten,1,0\n", 2, "name");   /* C1 NEL */
	refused(HEAD "36,K\xc0\xaf,,kabupaten,1,0\n", 2, "name");   /* overlong */
	refused(HEAD "36,K\xed\xa0\x80,,kabupaten,1,0\n", 2, "name"); /* surrogate */
	refused(HEAD "36,K\rx,,kabupaten,1,0\n", 2, "CR");
	refused(HEAD "36,K,,kabupaten,1,0\n\n", 3, "empty line");
	refused(HEAD "\n36,K,,kabupaten,1,0\n", 2, "empty line");
	snprintf(big, sizeof big, HEAD "36,%081d,,kabupaten,1,0\n", 0);
	refused(big, 2, "name");
	snprintf(big, sizeof big, HEAD "36,%080d,,kabupaten,1,0\n", 0);
	{
		struct area_table t;
		struct area_error e;
		assert_int_equal(parse(big, &t, &e), 0);
		assert_int_equal(strlen(t.rows[0].name), 80);
		areas_free(&t);
	}
}

static void test_row_bound(void **state)
{
	static const char text[] = HEAD "36,K,,kabupaten,1,0\n37,K,,kabupaten,1,0\n"
		"38,K,,kabupaten,1,0\n";
	struct area_table t;
	struct area_error e;

	(void)state;
	assert_int_equal(areas_parse(text, strlen(text), 2, &t, &e), -1);
	assert_int_equal(e.line, 4);
	assert_non_null(strstr(e.reason, "more than 2 rows"));
	assert_int_equal(areas_parse(text, strlen(text), 3, &t, &e), 0);
	areas_free(&t);
}

/* Many rows: the index grows and finds every one. */
static void test_index_grows(void **state)
{
	size_t cap = 40 + 3000 * 40, n = 0;
	char *text = malloc(cap);
	struct area_table t;
	struct area_error e;
	char code[32];

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, HEAD "K,Kab,,kabupaten,9,0\n");
	for (int i = 0; i < 3000; i++)
		n += (size_t)snprintf(text + n, cap - n, "D%d,Desa %d,K,desa,1,0\n", i, i);
	assert_int_equal(areas_parse(text, n, 100000, &t, &e), 0);
	assert_int_equal(t.n, 3001);
	for (int i = 0; i < 3000; i += 7) {
		snprintf(code, sizeof code, "D%d", i);
		assert_int_equal(areas_find(&t, code), i + 1);
	}
	areas_free(&t);
	free(text);
}

static void test_json_both_ways(void **state)
{
	struct area_table t;
	struct area_error e;
	struct area a;
	char *j;
	const char *k;

	(void)state;
	assert_int_equal(parse(small, &t, &e), 0);
	j = area_to_json(&t.rows[3]);
	assert_string_equal(j, "{\"code\":\"36.04.01.2001.003\",\"name\":\"RT 03\","
	    "\"parent\":\"36.04.01.2001\",\"level\":\"rt\",\"target\":1000,\"elderly_target\":100}");
	assert_int_equal(area_from_json(j, strlen(j), &a), 0);
	assert_string_equal(a.code, t.rows[3].code);
	assert_string_equal(a.name, "RT 03");
	assert_int_equal(a.level, AREA_RT);
	assert_int_equal(a.target, 1000);
	free(j);
	assert_int_equal(area_from_json("{}", 2, &a), -1);
	k = "{\"code\":\"x\",\"name\":\"y\",\"parent\":\"\",\"level\":\"rt\",\"target\":1.5,"
	    "\"elderly_target\":0}";
	assert_int_equal(area_from_json(k, strlen(k), &a), -1);
	k = "{\"code\":\"x\",\"name\":\"y\",\"parent\":\"\",\"level\":\"rt\",\"target\":1,"
	    "\"elderly_target\":2}";
	assert_int_equal(area_from_json(k, strlen(k), &a), -1);
	areas_free(&t);
}

static void test_region(void **state)
{
	struct area a = { 0 };
	char r[7];

	(void)state;
	strcpy(a.code, "36.04.01");
	assert_int_equal(area_region(&a, r), 0);
	assert_string_equal(r, "360401");
	strcpy(a.code, "360401");
	assert_int_equal(area_region(&a, r), 0);
	strcpy(a.code, "36.04.01.2001");
	assert_int_equal(area_region(&a, r), -1);
	strcpy(a.code, "36.04");
	assert_int_equal(area_region(&a, r), -1);
	strcpy(a.code, "36.04.0A");
	assert_int_equal(area_region(&a, r), -1);
}

static void test_search_and_labels(void **state)
{
	struct area_table t;
	struct area_error e;
	long hits[16];
	char label[AREA_LABEL_MAX];
	size_t n;

	(void)state;
	assert_int_equal(parse(small, &t, &e), 0);
	/* the two desa (they begin with it), then their RTs (in the label) */
	n = areas_search(&t, "SUKA", -1, 16, hits);
	assert_int_equal(n, 4);
	assert_int_equal(hits[0], 2);
	assert_int_equal(hits[1], 5);
	assert_int_equal(hits[2], 3);
	assert_int_equal(hits[3], 6);
	n = areas_search(&t, "rt 03", AREA_RT, 16, hits);
	assert_int_equal(n, 2);
	areas_label(&t, hits[1], label, sizeof label);
	assert_string_equal(label, "RT 03, Sukamaju, Kec. Kibin");
	areas_label(&t, 0, label, sizeof label);
	assert_string_equal(label, "Kab. Serang");
	areas_label(&t, 3, label, 12);
	assert_string_equal(label, "RT 03");       /* cut to size, whole names only */
	/* a word in a parent's name finds the children too */
	n = areas_search(&t, "ibin", -1, 16, hits);
	assert_int_equal(n, 3);
	assert_int_equal(hits[0], 4);
	n = areas_search(&t, "rt 03  KIBIN", -1, 16, hits);
	assert_int_equal(n, 1);
	assert_int_equal(hits[0], 6);
	/* those that begin with q first */
	n = areas_search(&t, "kec", -1, 16, hits);
	assert_int_equal(n, 6);
	assert_int_equal(hits[0], 1);
	assert_int_equal(hits[1], 4);
	assert_int_equal(hits[2], 2);
	/* the code counts too, and an empty q is every row, bounded */
	assert_int_equal(areas_search(&t, "2001.003", -1, 16, hits), 2);
	assert_int_equal(areas_search(&t, "", -1, 3, hits), 3);
	assert_int_equal(areas_search(&t, "", AREA_KECAMATAN, 16, hits), 2);
	assert_int_equal(areas_search(&t, "zzz", -1, 16, hits), 0);
	/* bytes past ASCII compare as they are (a found fuzz case) */
	strcpy(t.rows[5].name, "D\xc3\xa9sa");
	assert_int_equal(areas_search(&t, "d\xc3\xa9s", -1, 16, hits), 2);
	assert_int_equal(hits[0], 5);
	assert_int_equal(hits[1], 6);                /* its RT, by the label */
	areas_free(&t);
}

static void test_add_and_link(void **state)
{
	struct area_table t = { 0 };
	struct area a = { .level = AREA_RT };

	(void)state;
	strcpy(a.code, "x.1");
	strcpy(a.name, "RT 01");
	strcpy(a.parent, "x");
	assert_int_equal(areas_add(&t, &a), 0);
	assert_int_equal(areas_add(&t, &a), -1);
	assert_int_equal(areas_link(&t), -1);       /* its parent is missing */
	strcpy(a.code, "x");
	a.parent[0] = '\0';
	a.level = AREA_DESA;
	assert_int_equal(areas_add(&t, &a), 0);
	assert_int_equal(areas_link(&t), 0);
	assert_int_equal(t.rows[0].parent_index, 1);
	assert_string_equal(area_level_name(AREA_DESA), "desa");
	assert_null(area_level_name(AREA_NLEVELS));
	assert_int_equal(area_level_parse("rt"), AREA_RT);
	assert_int_equal(area_level_parse("RT"), -1);
	areas_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_table),
		cmocka_unit_test(test_line_ends_bom_quotes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_row_bound),
		cmocka_unit_test(test_index_grows),
		cmocka_unit_test(test_json_both_ways),
		cmocka_unit_test(test_region),
		cmocka_unit_test(test_search_and_labels),
		cmocka_unit_test(test_add_and_link),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
