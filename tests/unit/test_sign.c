/* test_sign.c: ticket signatures and person keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_key[32] = "fedcba9876543210fedcba9876543210";

static void test_sign_and_verify(void **state)
{
	char sig[SIGN_LEN + 1], bad[SIGN_LEN + 1];

	(void)state;
	sign_ticket(key, sizeof key, "demo", "20261123-A017", 1795396502000, sig);
	assert_int_equal(strlen(sig), SIGN_LEN);
	for (const char *p = sig; *p; p++)   /* base64url alphabet only */
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
	assert_true(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502000, sig));

	/* anything else about the ticket, or another key: no */
	assert_false(sign_ticket_verify(key, sizeof key, "other", "20261123-A017", 1795396502000, sig));
	assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A018", 1795396502000, sig));
	assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502001, sig));
	assert_false(sign_ticket_verify(other_key, sizeof other_key, "demo", "20261123-A017",
	    1795396502000, sig));

	/* every single changed character, truncation, extension, empty, NULL */
	for (int i = 0; i < SIGN_LEN; i++) {
		strcpy(bad, sig);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502000, bad));
	}
	strcpy(bad, sig);
	bad[SIGN_LEN - 1] = '\0';
	assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502000, bad));
	assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502000, ""));
	assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502000, NULL));
	char longer[SIGN_LEN + 2];
	snprintf(longer, sizeof longer, "%sA", sig);
	assert_false(sign_ticket_verify(key, sizeof key, "demo", "20261123-A017", 1795396502000, longer));
}

/* A message longer than the usual buffer is signed whole: once it was cut,
 * and the signature then held for other issue times (found by fuzz_sign). */
static void test_long_message_signed_whole(void **state)
{
	char id[241], sig[SIGN_LEN + 1];

	(void)state;
	memcpy(id, "20261123-A017-", 14);
	memset(id + 14, 'x', 226);
	id[240] = '\0';
	sign_ticket(key, sizeof key, "demo", id, 1795396502000, sig);
	assert_true(sign_ticket_verify(key, sizeof key, "demo", id, 1795396502000, sig));
	assert_false(sign_ticket_verify(key, sizeof key, "demo", id, 1795396502001, sig));
	id[239] = 'y';
	assert_false(sign_ticket_verify(key, sizeof key, "demo", id, 1795396502000, sig));
}

static void test_status_url(void **state)
{
	char sig[SIGN_LEN + 1], url[256], want[256];

	(void)state;
	sign_ticket(key, sizeof key, "demo", "20261123-A017", 1795396502000, sig);
	sign_status_url("http://192.168.1.10:8080", key, sizeof key, "demo", "20261123-A017",
	    1795396502000, url, sizeof url);
	snprintf(want, sizeof want, "http://192.168.1.10:8080/t/demo/20261123-A017?sig=%s", sig);
	assert_string_equal(url, want);
}

static void test_person_key(void **state)
{
	char a[SIGN_PERSON_LEN + 1], b[SIGN_PERSON_LEN + 1], c[SIGN_PERSON_LEN + 1];

	(void)state;
	sign_person(key, sizeof key, "demo", "3273011507550001", a);
	sign_person(key, sizeof key, "demo", "3273011507550001", b);
	assert_string_equal(a, b);                      /* stable: finds duplicates */
	assert_int_equal(strlen(a), SIGN_PERSON_LEN);
	assert_null(strstr(a, "3273011507550001"));     /* not the NIK */
	sign_person(key, sizeof key, "demo", "3273011507550002", c);
	assert_string_not_equal(a, c);
	sign_person(key, sizeof key, "other", "3273011507550001", c);
	assert_string_not_equal(a, c);                  /* not linkable across events */
	sign_person(other_key, sizeof other_key, "demo", "3273011507550001", c);
	assert_string_not_equal(a, c);                  /* nor across deployments */
}

/* The signature is HMAC-SHA256 as OpenSSL's one-shot HMAC() makes it,
 * whatever keys came before (sign.c keeps a keyed context and rekeys it on
 * another key), and for a key longer than that context keeps. */
static void test_signature_is_hmac(void **state)
{
	static const unsigned char long_key[100] = "a key longer than sign.c's cached copy";
	const struct { const unsigned char *k; size_t n; } keys[] = {
		{ key, sizeof key }, { other_key, sizeof other_key }, { key, sizeof key },
		{ key, 16 }, { long_key, sizeof long_key }, { key, sizeof key },
	};
	static const char msg[] = "antre-ticket\ndemo\n20261123-A017\n1795396502000";
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	(void)state;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		unsigned char mac[32];
		unsigned int len = 0;
		char sig[SIGN_LEN + 1], want[SIGN_LEN + 1];

		assert_non_null(HMAC(EVP_sha256(), keys[i].k, (int)keys[i].n,
		    (const unsigned char *)msg, strlen(msg), mac, &len));
		for (int j = 0; j < SIGN_LEN / 4; j++) {
			unsigned v = (unsigned)mac[3 * j] << 16 | (unsigned)mac[3 * j + 1] << 8 |
			    mac[3 * j + 2];
			for (int k = 0; k < 4; k++)
				want[4 * j + k] = b64[v >> (18 - 6 * k) & 63];
		}
		want[SIGN_LEN] = '\0';
		sign_ticket(keys[i].k, keys[i].n, "demo", "20261123-A017", 1795396502000, sig);
		assert_string_equal(sig, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_and_verify),
		cmocka_unit_test(test_long_message_signed_whole),
		cmocka_unit_test(test_status_url),
		cmocka_unit_test(test_person_key),
		cmocka_unit_test(test_signature_is_hmac),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
