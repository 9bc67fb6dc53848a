/*
 * fuzz_nik.c: nik_parse on arbitrary strings, against two fixed todays (an
 * ordinary day, and a 29 February for the leap-year paths).
 *
 * On NIK_OK: the district is the first six characters, all digits, with a
 * known-looking province and no 00 regency or district; the birth date
 * exists, is not after today and at most a century before; the age is
 * within 0..200; the serial is 1..9999 and the sex follows the day.  Any
 * other result must be a known enum value with a message.  Validation alone
 * (a NULL out) must agree with the full parse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nik.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int todays[][3] = { { 2026, 11, 23 }, { 2028, 2, 29 } };

static void check(int ok, const char *what, const char *s)
{
	if (!ok) {
		fprintf(stderr, "fuzz_nik: %s (input \"%.20s\")\n", what, s);
		abort();
	}
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static void check_ok(const char *s, const struct nik_info *n, int ty, int tm, int td)
{
	int age, bday;

	check(strlen(s) == 16, "accepted a string that is not 16 long", s);
	check(n->district[6] == '\0' && strlen(n->district) == 6 &&
	    memcmp(n->district, s, 6) == 0, "district is not the first 6 characters", s);
	for (int i = 0; i < 6; i++)
		check(n->district[i] >= '0' && n->district[i] <= '9', "district not digits", s);
	check(memcmp(n->district + 2, "00", 2) != 0 && memcmp(n->district + 4, "00", 2) != 0,
	    "regency or district 00 accepted", s);
	check(n->birth_month >= 1 && n->birth_month <= 12, "month out of range", s);
	check(n->birth_day >= 1 && n->birth_day <= days_in(n->birth_year, n->birth_month),
	    "no such day", s);
	check(n->birth_year <= ty && n->birth_year >= ty - 100, "year out of the last century", s);
	check(n->birth_year % 100 == (s[10] - '0') * 10 + (s[11] - '0'),
	    "year is not the NIK's two digits", s);
	check(n->birth_month == (s[8] - '0') * 10 + (s[9] - '0'), "month is not the NIK's", s);
	bday = (s[6] - '0') * 10 + (s[7] - '0');
	check(n->female == (bday > 40) && n->birth_day == bday - (n->female ? 40 : 0),
	    "day or sex is not the NIK's", s);
	check(n->serial >= 1 && n->serial <= 9999 && n->serial == atoi(s + 12),
	    "serial is not the NIK's", s);
	check(n->birth_year < ty || (n->birth_year == ty && (n->birth_month < tm ||
	    (n->birth_month == tm && n->birth_day <= td))), "born after today", s);
	age = nik_age(n, ty, tm, td);
	check(age >= 0 && age <= 200, "age out of 0..200", s);
	check(age == ty - n->birth_year || age == ty - n->birth_year - 1, "age off by more than one", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64];
	struct nik_info n;

	/* A C string as the route hands it over: cut at a NUL, and bounded. */
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	for (size_t i = 0; i < sizeof todays / sizeof todays[0]; i++) {
		int ty = todays[i][0], tm = todays[i][1], td = todays[i][2];
		enum nik_result r;

		memset(&n, 0xa5, sizeof n);
		r = nik_parse(s, ty, tm, td, &n);
		check(r >= NIK_OK && r <= NIK_BAD_SERIAL, "result out of the enum", s);
		check(nik_result_message(r) != NULL && nik_result_message(r)[0] != '\0',
		    "no message", s);
		check(nik_parse(s, ty, tm, td, NULL) == r, "validation alone disagrees", s);
		if (r == NIK_OK)
			check_ok(s, &n, ty, tm, td);
	}
	return 0;
}
