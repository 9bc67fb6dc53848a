/*
 * nik.c: parsing and checking of Indonesian NIKs (see nik.h).
 * Nothing here stores, logs or prints the NIK.
 */
#include "nik.h"

#include <string.h>

#define NIK_LEN 16

/* Value of the n decimal digits at s (already checked to be digits). */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Province codes in use: Aceh..Babel, Kepri, Java, Nusa Tenggara,
 * Kalimantan, Sulawesi, Maluku, and the Papua provinces. */
static bool province_known(int p)
{
	return (p >= 11 && p <= 19) || p == 21 || (p >= 31 && p <= 36) ||
	    (p >= 51 && p <= 53) || (p >= 61 && p <= 65) ||
	    (p >= 71 && p <= 76) || (p >= 81 && p <= 82) ||
	    (p >= 91 && p <= 96);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Negative, zero or positive as y1-m1-d1 is before, on or after y2-m2-d2. */
static int date_cmp(int y1, int m1, int d1, int y2, int m2, int d2)
{
	if (y1 != y2)
		return y1 < y2 ? -1 : 1;
	if (m1 != m2)
		return m1 < m2 ? -1 : 1;
	if (d1 != d2)
		return d1 < d2 ? -1 : 1;
	return 0;
}

/* A NULL out only validates. */
enum nik_result nik_parse(const char *s, int today_y, int today_m, int today_d,
    struct nik_info *out)
{
	if (s == NULL || strnlen(s, NIK_LEN + 1) != NIK_LEN)
		return NIK_BAD_LENGTH;
	for (int i = 0; i < NIK_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return NIK_BAD_DIGIT;

	if (!province_known(digits(s, 2)) || digits(s + 2, 2) == 0 ||
	    digits(s + 4, 2) == 0)
		return NIK_BAD_REGION;

	int day = digits(s + 6, 2);
	int month = digits(s + 8, 2);
	int year = 2000 + digits(s + 10, 2);
	bool female = day > 40;

	if (female)
		day -= 40;
	if (day < 1 || day > 31 || month < 1 || month > 12)
		return NIK_BAD_DATE;
	if (date_cmp(year, month, day, today_y, today_m, today_d) > 0)
		year -= 100;
	if (day > days_in_month(year, month) ||
	    date_cmp(year, month, day, today_y, today_m, today_d) > 0)
		return NIK_BAD_DATE;

	int serial = digits(s + 12, 4);

	if (serial == 0)
		return NIK_BAD_SERIAL;

	if (out != NULL) {
		memcpy(out->district, s, 6);
		out->district[6] = '\0';
		out->birth_year = year;
		out->birth_month = month;
		out->birth_day = day;
		out->female = female;
		out->serial = serial;
	}
	return NIK_OK;
}

/* Someone born on 29 February turns a year older on 1 March in other years. */
int nik_age(const struct nik_info *n, int y, int m, int d)
{
	int age = y - n->birth_year;

	if (date_cmp(0, m, d, 0, n->birth_month, n->birth_day) < 0)
		age--;
	return age;
}

const char *nik_result_message(enum nik_result r)
{
	switch (r) {
	case NIK_OK:
		return "NIK is valid";
	case NIK_BAD_LENGTH:
		return "NIK must be 16 digits";
	case NIK_BAD_DIGIT:
		return "NIK must contain only digits";
	case NIK_BAD_REGION:
		return "NIK has an unknown region code";
	case NIK_BAD_DATE:
		return "NIK has an invalid birth date";
	case NIK_BAD_SERIAL:
		return "NIK has an invalid serial number";
	}
	return "NIK is invalid";
}
