/* test_store.c: unit tests for the pure parts of daemon/store.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"

static void test_key_prefix_and_suffix(void **state)
{
	(void)state;
	char buf[STORE_KEY_MAX];

	assert_int_equal(store_key(buf, sizeof buf, "ev1", ""), 12);
	assert_string_equal(buf, "antre:{ev1}:");
	assert_int_equal(store_key(buf, sizeof buf, "ev1", "stream"), 18);
	assert_string_equal(buf, "antre:{ev1}:stream");
	assert_int_equal(store_key(buf, sizeof buf, "ev1", "idem:k-1"), 20);
	assert_string_equal(buf, "antre:{ev1}:idem:k-1");
}

/* A key that does not fit is refused whole, never cut. */
static void test_key_does_not_fit(void **state)
{
	(void)state;
	char buf[19];

	assert_int_equal(store_key(buf, sizeof buf, "ev1", "stream"), 18);
	assert_string_equal(buf, "antre:{ev1}:stream");
	assert_int_equal(store_key(buf, sizeof buf, "ev1", "streams"), -1);
	assert_string_equal(buf, "");
	assert_int_equal(store_key(buf, 0, "ev1", ""), -1);
}

/* The longest key antred builds fits STORE_KEY_MAX: an event id of 39
 * bytes (PROTO_ID_MAX) and an Idempotency-Key record of 64. */
static void test_key_max(void **state)
{
	(void)state;
	char buf[STORE_KEY_MAX], ev[40], suffix[5 + 64 + 1];

	memset(ev, 'e', sizeof ev - 1);
	ev[sizeof ev - 1] = '\0';
	memcpy(suffix, "idem:", 5);
	memset(suffix + 5, 'k', 64);
	suffix[sizeof suffix - 1] = '\0';
	assert_int_equal(store_key(buf, sizeof buf, ev, suffix), 9 + 39 + 69);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_prefix_and_suffix),
		cmocka_unit_test(test_key_does_not_fit),
		cmocka_unit_test(test_key_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
