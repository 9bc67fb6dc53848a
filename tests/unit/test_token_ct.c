/*
 * test_token_ct.c: the bearer-token compare is constant time in the token
 * given, checked the way ctgrind does it: the token's bytes are marked
 * undefined for valgrind's memcheck, which then reports every branch and
 * every memory address that depends on them.  A compare that stops at the
 * first differing byte (and so tells an attacker by its timing how much of
 * a token matched) is a branch on those bytes.
 *
 * The binary runs itself again under valgrind (a failure when valgrind is
 * missing); the sanitizer build cannot run under valgrind, so there it only
 * checks the results.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <valgrind/memcheck.h>

#include "config.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#endif

static struct config cfg;

static void add_token(enum role r, const char *value)
{
	cfg.tokens[cfg.ntokens].role = r;
	strcpy(cfg.tokens[cfg.ntokens].value, value);
	cfg.ntokens++;
}

/* The role for `given`, its bytes secret while compared. */
static enum role role_of_secret(const char *given)
{
	char buf[CONFIG_TOKEN_MAX + 1];
	size_t len = strlen(given);
	enum role r;

	memcpy(buf, given, len + 1);
	VALGRIND_MAKE_MEM_UNDEFINED(buf, len);
	r = config_token_role_n(&cfg, buf, len);
	/* the result is public: the caller answers 401 or goes on */
	VALGRIND_MAKE_MEM_DEFINED(&r, sizeof r);
	return r;
}

static void test_compare_is_constant_time(void **state)
{
	static const char *const wrong[] = {
		"xesk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248",   /* first byte */
		"desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c24x",   /* last byte */
		"desk-6f1c0a9e4b7d2385",                   /* a prefix */
		"desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c2489",  /* one more */
		"",
	};

	(void)state;
	config_defaults(&cfg);
	add_token(ROLE_DESK, "desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248");
	add_token(ROLE_ADMIN, "admin-5e2f8b1d9c6a3074e5f2b8d1c9a6e347");
	add_token(ROLE_STATION, "station-2b8e5d1f7a3c9064e2b1d8f5a7c3e190");

	assert_int_equal(role_of_secret("desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248"), ROLE_DESK);
	assert_int_equal(role_of_secret("admin-5e2f8b1d9c6a3074e5f2b8d1c9a6e347"), ROLE_ADMIN);
	assert_int_equal(role_of_secret("station-2b8e5d1f7a3c9064e2b1d8f5a7c3e190"),
	    ROLE_STATION);
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		assert_int_equal(role_of_secret(wrong[i]), ROLE_NONE);

	/* the same token twice under two roles: the higher one */
	add_token(ROLE_ORGANISER, "desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248");
	assert_int_equal(role_of_secret("desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248"), ROLE_ORGANISER);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_is_constant_time),
	};

	(void)argc;
#ifndef UNDER_ASAN
	if (!RUNNING_ON_VALGRIND) {
		/* memcheck's errors fail the run (exit 3) */
		execlp("valgrind", "valgrind", "-q", "--error-exitcode=3",
		    "--exit-on-first-error=no", argv[0], (char *)NULL);
		fprintf(stderr, "test_token_ct: cannot run valgrind (apt-get install valgrind)\n");
		return 1;
	}
#else
	(void)argv;
#endif
	return cmocka_run_group_tests(tests, NULL, NULL);
}
