/* test_store_script.c: the scripts' library as embedded (daemon/store_script.c,
 * tools/embed-scripts.sh): every script a function named with the library's
 * version, the no-writes ones with a write variant, and the FCALL block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_script.h"

extern const char store_library[];

/* The library's first line names it; its name is antre_ and 12 hex digits. */
static void test_library_named_by_version(void **state)
{
	(void)state;
	const char *name = store_script_library();
	char line[64];

	assert_int_equal(strlen(name), 6 + 12);
	assert_memory_equal(name, "antre_", 6);
	assert_int_equal(strspn(name + 6, "0123456789abcdef"), 12);
	snprintf(line, sizeof line, "#!lua name=%s\n", name);
	assert_memory_equal(store_library, line, strlen(line));
}

/* Each script's two functions carry the version and are registered in
 * the text: NAME without flags, NAME_ro no-writes. */
static void check_registered(const char *fn, int ro)
{
	char want[200];
	const char *at, *end;

	snprintf(want, sizeof want, "function_name = '%s', callback = run(SCRIPTS['", fn);
	assert_non_null(at = strstr(store_library, want));
	assert_non_null(end = strchr(at, '\n'));
	at = strstr(at, "flags = { 'no-writes' }");
	assert_int_equal(at != NULL && at < end, ro);
}

static void check_script(const char *name, int reads_first)
{
	const struct store_script *sc = store_script_get(name);
	char fn[100];

	snprintf(fn, sizeof fn, "%s_%s", store_script_library(), name);
	assert_string_equal(sc->fn, fn);
	check_registered(sc->fn, 0);
	snprintf(fn, sizeof fn, "%s_%s_ro", store_script_library(), name);
	assert_string_equal(sc->fn_ro, fn);
	check_registered(sc->fn_ro, 1);
	assert_int_equal(sc->reads_first, reads_first);
	assert_string_equal(store_script_first(sc), reads_first ? sc->fn_ro : sc->fn);
}

/* The reads run first no-writes, the writes first as themselves. */
static void test_every_script_registered(void **state)
{
	(void)state;
	static const char *const reads[] = { "board", "ticket", "lookup", "report", "stats",
		"views", "deferred", "plan", "coverage_read", "areas" };
	static const char *const writes[] = { "issue", "call", "cancel", "station", "sweep",
		"coverage_apply", "coverage_trim" };

	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
		check_script(reads[i], 1);
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++)
		check_script(writes[i], 0);
}

/* What the store retries on: a missing function, a read that must write,
 * a write refused before it ran (and nothing else). */
static void test_answers(void **state)
{
	(void)state;
	redisReply r = { .type = REDIS_REPLY_ERROR };
	int fresh;

	r.str = (char *)"ERR Function not found";
	assert_true(store_script_missing(&r));
	r.str = (char *)"ANTRE_WRITE this call writes script: x, on @user_function:4.";
	assert_true(store_script_wants_write(&r));
	assert_false(store_script_missing(&r));
	r.str = (char *)"ANTRE_NOCTX no context #0123456789abcdef: send its text script: x";
	assert_true(store_script_no_context(&r));
	assert_false(store_script_wants_write(&r) || store_script_missing(&r));
	r.str = (char *)"ANTRE_WRITE this call writes";
	assert_false(store_script_no_context(&r));
	r.str = (char *)"OOM command not allowed when used memory > 'maxmemory'.";
	assert_true(store_script_refused(&r));
	r.str = (char *)"MISCONF Redis is configured to save RDB snapshots";
	assert_true(store_script_refused(&r));
	r.str = (char *)"NOREPLICAS Not enough good replicas to write.";
	assert_true(store_script_refused(&r));
	r.str = (char *)"READONLY You can't write against a read only replica.";
	assert_false(store_script_refused(&r));
	r.str = (char *)"ERR Library 'antre_x' already exists";
	assert_true(store_script_loaded(&r, &fresh) && !fresh);
	r.type = REDIS_REPLY_STRING;
	r.str = (char *)store_script_library();
	assert_true(store_script_loaded(&r, &fresh) && fresh);
	assert_false(store_script_refused(&r) || store_script_missing(&r));
}

/* FCALL fn nkeys keys... args..., args of given lengths kept whole
 * (a NUL inside one), the block exactly as large as store_script_size. */
static void test_fcall_block(void **state)
{
	(void)state;
	const struct store_script *sc = store_script_get("issue");
	const char *keys[2] = { "antre:{ev}:", "antre:{ev}:idem:k" };
	const char *args[3] = { "{\"off\":0}", "a\0b", "" };
	const size_t lens[3] = { 9, 3, 0 };
	size_t size = store_script_size(sc, 2, keys, 3, args, lens);
	char *block = malloc(size + 1), **argv = (char **)block;
	size_t *argvlen = (size_t *)(argv + 8);

	assert_non_null(block);
	block[size] = 'Z';                     /* nothing written past the block */
	store_script_fill(block, sc, 2, keys, 3, args, lens);
	assert_int_equal(block[size], 'Z');
	assert_string_equal(argv[0], "FCALL");
	assert_string_equal(argv[1], sc->fn);     /* a write: first the one that writes */
	assert_string_equal(argv[2], "2");
	assert_string_equal(argv[3], keys[0]);
	assert_string_equal(argv[4], keys[1]);
	assert_int_equal(argvlen[5], STORE_CTX_REF_LEN);   /* the context as its reference */
	assert_memory_equal(argv[6], "a\0b", 3);
	assert_int_equal(argvlen[6], 3);
	assert_int_equal(argvlen[7], 0);
	assert_int_equal(argv[5] + STORE_CTX_REF_LEN + 1 - block, (ptrdiff_t)size);
	/* strings when no lengths are given (and no context: as they are) */
	args[0] = "x";
	size = store_script_size(sc, 1, keys, 1, args, NULL);
	assert_int_equal(size, 5 * (sizeof(char *) + sizeof(size_t)) + 6 + strlen(sc->fn) + 1 +
	    2 + strlen(keys[0]) + 1 + 1 + 1);
	free(block);
}

/* An event's context (ARGV[1]) goes as "#" and the first 16 hex digits of
 * its text's SHA-1, a few bytes however long the context; its text stays
 * in the block for the resend (a library without the reference), as sent
 * before; the same text, wherever it is, the same reference. */
static void test_context_sent_as_reference(void **state)
{
	(void)state;
	const struct store_script *sc = store_script_get("issue");
	/* sha1sum of the text below: 885fc380cbfd04ce83556ed5... */
	static const char ctx[] = "{\"off\":25200,\"stages\":[{\"id\":\"reg\",\"hold\":0,\"n\":2}],"
	    "\"regular\":2,\"every\":3,\"dose\":1,\"maxlen\":10000,\"retention\":604800}";
	char copy[sizeof ctx], ref[STORE_CTX_REF_LEN + 1];
	const char *keys[1] = { "antre:{ev}:" }, *args[2] = { ctx, "fp" }, *text;
	size_t size = store_script_size(sc, 1, keys, 2, args, NULL);
	char *block = malloc(size), **argv = (char **)block;
	size_t *argvlen = (size_t *)(argv + 6);

	assert_non_null(block);
	text = store_script_fill(block, sc, 1, keys, 2, args, NULL);
	assert_int_equal(argvlen[4], 17);
	assert_int_equal(argv[4][0], '#');
	assert_int_equal(strspn(argv[4] + 1, "0123456789abcdef"), 16);
	assert_string_equal(argv[5], "fp");
	assert_non_null(text);
	assert_string_equal(text, ctx);
	assert_true(size < 6 * (sizeof(char *) + sizeof(size_t)) + 6 + strlen(sc->fn) + 1 + 2 +
	    strlen(keys[0]) + 1 + sizeof ctx + 3 + 20);
	store_script_ctx_ref(ctx, strlen(ctx), ref);
	assert_string_equal(ref, argv[4]);
	assert_string_equal(ref, "#885fc380cbfd04ce");
	memcpy(copy, ctx, sizeof ctx);            /* elsewhere, the same reference */
	store_script_ctx_ref(copy, strlen(copy), ref);
	assert_string_equal(ref, "#885fc380cbfd04ce");
	copy[7] = '6';                            /* another text, another one */
	store_script_ctx_ref(copy, strlen(copy), ref);
	assert_string_not_equal(ref, "#885fc380cbfd04ce");
	/* no context: no reference, nothing kept */
	args[0] = "plain";
	assert_null(store_script_fill(block, sc, 1, keys, 1, args, NULL));
	assert_string_equal(argv[4], "plain");
	free(block);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_named_by_version),
		cmocka_unit_test(test_every_script_registered),
		cmocka_unit_test(test_fcall_block),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_context_sent_as_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
