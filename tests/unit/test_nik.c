/* Unit tests for daemon/nik.c.  The NIKs here are made up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nik.h"

/* "Today" for most tests. */
#define TY 2025
#define TM 6
#define TD 15

static enum nik_result parse(const char *s)
{
	struct nik_info n;

	return nik_parse(s, TY, TM, TD, &n);
}

static void test_valid_male(void **state)
{
	(void)state;
	struct nik_info n;

	assert_int_equal(nik_parse("3174051708850012", TY, TM, TD, &n), NIK_OK);
	assert_string_equal(n.district, "317405");
	assert_int_equal(n.birth_year, 1985);
	assert_int_equal(n.birth_month, 8);
	assert_int_equal(n.birth_day, 17);
	assert_false(n.female);
	assert_int_equal(n.serial, 12);
}

static void test_valid_female(void **state)
{
	(void)state;
	struct nik_info n;

	assert_int_equal(nik_parse("3273126503029999", TY, TM, TD, &n), NIK_OK);
	assert_string_equal(n.district, "327312");
	assert_int_equal(n.birth_year, 2002);
	assert_int_equal(n.birth_month, 3);
	assert_int_equal(n.birth_day, 25);
	assert_true(n.female);
	assert_int_equal(n.serial, 9999);
}

/* The 60-year boundary decides who counts as elderly. */
static void test_age_boundary(void **state)
{
	(void)state;
	struct nik_info n;

	assert_int_equal(nik_parse("3578011009650001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 1965);
	assert_int_equal(nik_age(&n, 2025, 9, 9), 59);
	assert_int_equal(nik_age(&n, 2025, 8, 31), 59);
	assert_int_equal(nik_age(&n, 2025, 9, 10), 60);
	assert_int_equal(nik_age(&n, 2025, 10, 1), 60);
	assert_int_equal(nik_age(&n, 2025, 12, 31), 60);
	assert_int_equal(nik_age(&n, 2026, 9, 9), 60);
	assert_int_equal(nik_age(&n, 2026, 9, 10), 61);
}

static void test_century(void **state)
{
	(void)state;
	struct nik_info n;

	/* 2025-06-15 is today: this century. */
	assert_int_equal(nik_parse("3201011506250001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 2025);
	assert_int_equal(nik_age(&n, TY, TM, TD), 0);
	/* 2025-06-16 would be tomorrow: previous century. */
	assert_int_equal(nik_parse("3201011606250001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 1925);
	assert_int_equal(nik_age(&n, TY, TM, TD), 99);
	/* 2099 is in the future: 1999. */
	assert_int_equal(nik_parse("3201010101990001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 1999);
	/* 2000 is not. */
	assert_int_equal(nik_parse("3201010101000001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 2000);
}

static void test_leap_day(void **state)
{
	(void)state;
	struct nik_info n;

	assert_int_equal(nik_parse("3201012902000001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 2000);
	assert_int_equal(n.birth_month, 2);
	assert_int_equal(n.birth_day, 29);
	assert_int_equal(nik_parse("3201016902960001", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_year, 1996);
	assert_true(n.female);
	/* Before 2000-02-29, "00" is 1900, which was not a leap year. */
	assert_int_equal(nik_parse("3201012902000001", 1999, 12, 31, &n),
	    NIK_BAD_DATE);
	assert_int_equal(parse("3201012902230001"), NIK_BAD_DATE); /* 2023 */
	assert_int_equal(nik_parse("3201012902230001", 2023, 1, 1, &n),
	    NIK_BAD_DATE); /* 1923 */
	assert_int_equal(parse("3201012802230001"), NIK_OK);
	assert_int_equal(parse("3201013002000001"), NIK_BAD_DATE);
}

static void test_bad_length(void **state)
{
	(void)state;
	struct nik_info n;

	assert_int_equal(parse("317405170885001"), NIK_BAD_LENGTH);
	assert_int_equal(parse("31740517088500121"), NIK_BAD_LENGTH);
	assert_int_equal(parse(""), NIK_BAD_LENGTH);
	assert_int_equal(nik_parse(NULL, TY, TM, TD, &n), NIK_BAD_LENGTH);
}

static void test_bad_digit(void **state)
{
	(void)state;
	assert_int_equal(parse("317405170885001a"), NIK_BAD_DIGIT);
	assert_int_equal(parse("3174O51708850012"), NIK_BAD_DIGIT);
	assert_int_equal(parse("3174051708850 12"), NIK_BAD_DIGIT);
	assert_int_equal(parse("-174051708850012"), NIK_BAD_DIGIT);
}

static void test_bad_region(void **state)
{
	(void)state;
	assert_int_equal(parse("1074051708850012"), NIK_BAD_REGION);
	assert_int_equal(parse("2074051708850012"), NIK_BAD_REGION);
	assert_int_equal(parse("9974051708850012"), NIK_BAD_REGION);
	assert_int_equal(parse("3700051708850012"), NIK_BAD_REGION);
	assert_int_equal(parse("3100051708850012"), NIK_BAD_REGION);
	assert_int_equal(parse("3174001708850012"), NIK_BAD_REGION);
	/* Edges of the province ranges. */
	assert_int_equal(parse("1174051708850012"), NIK_OK);
	assert_int_equal(parse("1974051708850012"), NIK_OK);
	assert_int_equal(parse("2174051708850012"), NIK_OK);
	assert_int_equal(parse("9674051708850012"), NIK_OK);
	assert_int_equal(parse("9774051708850012"), NIK_BAD_REGION);
}

static void test_bad_date(void **state)
{
	(void)state;
	struct nik_info n;

	assert_int_equal(parse("3174050008850012"), NIK_BAD_DATE); /* day 00 */
	assert_int_equal(parse("3174053208850012"), NIK_BAD_DATE); /* day 32 */
	assert_int_equal(parse("3174054008850012"), NIK_BAD_DATE); /* day 40 */
	assert_int_equal(parse("3174057208850012"), NIK_BAD_DATE); /* day 72 */
	assert_int_equal(parse("3174059908850012"), NIK_BAD_DATE); /* day 99 */
	assert_int_equal(parse("3174051700850012"), NIK_BAD_DATE); /* month 00 */
	assert_int_equal(parse("3174051713850012"), NIK_BAD_DATE); /* month 13 */
	assert_int_equal(parse("3174053104850012"), NIK_BAD_DATE); /* 31 April */
	/* Day 41 is a woman born on the 1st; 71 the 31st. */
	assert_int_equal(nik_parse("3174054108850012", TY, TM, TD, &n), NIK_OK);
	assert_true(n.female);
	assert_int_equal(n.birth_day, 1);
	assert_int_equal(nik_parse("3174057101850012", TY, TM, TD, &n), NIK_OK);
	assert_int_equal(n.birth_day, 31);
	/* Future even in the previous century. */
	assert_int_equal(nik_parse("3174051708950012", 1990, 1, 1, &n),
	    NIK_BAD_DATE);
}

static void test_bad_serial(void **state)
{
	(void)state;
	assert_int_equal(parse("3174051708850000"), NIK_BAD_SERIAL);
	assert_int_equal(parse("3174051708850001"), NIK_OK);
}

static void test_messages(void **state)
{
	(void)state;
	for (int r = NIK_OK; r <= NIK_BAD_SERIAL; r++) {
		const char *m = nik_result_message((enum nik_result)r);

		assert_non_null(m);
		assert_true(m[0] != '\0');
	}
}


static void unhex(const char *h, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* RFC 5869 appendix A.1: basic SHA-256 test case. */
static void test_hkdf_rfc5869_a1(void **state)
{
	(void)state;
	unsigned char ikm[22], salt[13], info[10], okm[42], want[42];

	memset(ikm, 0x0b, sizeof ikm);
	unhex("000102030405060708090a0b0c", salt, sizeof salt);
	unhex("f0f1f2f3f4f5f6f7f8f9", info, sizeof info);
	unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865", want, sizeof want);
	assert_int_equal(nik_hkdf_sha256(ikm, sizeof ikm, salt, sizeof salt, info, sizeof info,
	    okm, sizeof okm), 0);
	assert_memory_equal(okm, want, sizeof want);
}

/* RFC 5869 appendix A.3: SHA-256 with empty salt and info (as the person
 * key's salt is). */
static void test_hkdf_rfc5869_a3(void **state)
{
	(void)state;
	unsigned char ikm[22], okm[42], want[42];

	memset(ikm, 0x0b, sizeof ikm);
	unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8", want, sizeof want);
	assert_int_equal(nik_hkdf_sha256(ikm, sizeof ikm, NULL, 0, NULL, 0, okm, sizeof okm), 0);
	assert_memory_equal(okm, want, sizeof want);
}

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcde";

/* The person key: HMAC under HKDF(secret, info "antre person key v1"),
 * worked out here step by step; never the secret's own HMAC. */
static void test_person_key(void **state)
{
	(void)state;
	const char *nik = "3174051708850012";
	char a[NIK_PERSON_LEN + 1], b[NIK_PERSON_LEN + 1], hex[NIK_PERSON_LEN + 1];
	unsigned char key[32], mac[32];
	unsigned int maclen;
	const char *msg = "demo\n20250615\n3174051708850012";

	assert_int_equal(nik_person_key(SECRET, sizeof SECRET, "demo", "20250615", nik, a), 0);
	assert_int_equal(strlen(a), NIK_PERSON_LEN);
	assert_int_equal(nik_hkdf_sha256(SECRET, sizeof SECRET, NULL, 0,
	    (const unsigned char *)"antre person key v1", 19, key, sizeof key), 0);
	HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)msg, strlen(msg), mac, &maclen);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	assert_string_equal(a, hex);
	/* the secret itself as the HMAC key gives something else */
	HMAC(EVP_sha256(), SECRET, sizeof SECRET, (const unsigned char *)msg, strlen(msg), mac,
	    &maclen);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	assert_string_not_equal(a, hex);
	/* stable for one person and day ... */
	nik_person_key(SECRET, sizeof SECRET, "demo", "20250615", nik, b);
	assert_string_equal(a, b);
	/* ... and unlinkable across days, events, people, secrets */
	nik_person_key(SECRET, sizeof SECRET, "demo", "20250616", nik, b);
	assert_string_not_equal(a, b);
	nik_person_key(SECRET, sizeof SECRET, "demo2", "20250615", nik, b);
	assert_string_not_equal(a, b);
	nik_person_key(SECRET, sizeof SECRET, "demo", "20250615", "3174051708850013", b);
	assert_string_not_equal(a, b);
	nik_person_key(SECRET, sizeof SECRET - 1, "demo", "20250615", nik, b);
	assert_string_not_equal(a, b);
}

/* The campaign key: HMAC of the NIK alone under HKDF(secret, info "antre
 * campaign person v1"): one person's key at every event and day, unlike
 * the person key, and another person's or another secret's differs. */
static void test_campaign_key(void **state)
{
	(void)state;
	const char *nik = "3174051708850012";
	char a[NIK_PERSON_LEN + 1], b[NIK_PERSON_LEN + 1], hex[NIK_PERSON_LEN + 1];
	unsigned char key[32], mac[32];
	unsigned int maclen;

	assert_int_equal(nik_campaign_key(SECRET, sizeof SECRET, nik, a), 0);
	assert_int_equal(strlen(a), NIK_PERSON_LEN);
	assert_int_equal(nik_hkdf_sha256(SECRET, sizeof SECRET, NULL, 0,
	    (const unsigned char *)"antre campaign person v1", 24, key, sizeof key), 0);
	HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)nik, strlen(nik), mac, &maclen);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	assert_string_equal(a, hex);
	nik_campaign_key(SECRET, sizeof SECRET, nik, b);
	assert_string_equal(a, b);
	/* not the day's person key, at any event or day */
	nik_person_key(SECRET, sizeof SECRET, "demo", "20250615", nik, b);
	assert_string_not_equal(a, b);
	nik_person_key(SECRET, sizeof SECRET, "", "", nik, b);
	assert_string_not_equal(a, b);
	nik_campaign_key(SECRET, sizeof SECRET, "3174051708850013", b);
	assert_string_not_equal(a, b);
	nik_campaign_key(SECRET, sizeof SECRET - 1, nik, b);
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_male),
		cmocka_unit_test(test_valid_female),
		cmocka_unit_test(test_age_boundary),
		cmocka_unit_test(test_century),
		cmocka_unit_test(test_leap_day),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_bad_digit),
		cmocka_unit_test(test_bad_region),
		cmocka_unit_test(test_bad_date),
		cmocka_unit_test(test_bad_serial),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_hkdf_rfc5869_a1),
		cmocka_unit_test(test_hkdf_rfc5869_a3),
		cmocka_unit_test(test_person_key),
		cmocka_unit_test(test_campaign_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
