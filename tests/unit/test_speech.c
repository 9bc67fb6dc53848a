/* Unit tests for daemon/speech.c: the words of a call, the WAV head, and
 * phrases joined from espeak-ng's segments (espeak-ng-data is a build
 * dependency: tools/deps.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "speech.h"

static const struct speech_settings ok = { "", "id", 150 };

static unsigned le(const unsigned char *p, int bytes)
{
	unsigned v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The same numbers and words as the TV's test of display.js's numberWords
 * (tests/browser/display.test.js), and the ends of the range. */
static void test_number_words(void **state)
{
	static const struct {
		long n;
		const char *words;
	} cases[] = {
		{ 0, "nol" }, { 1, "satu" }, { 9, "sembilan" }, { 10, "sepuluh" },
		{ 11, "sebelas" }, { 12, "dua belas" }, { 19, "sembilan belas" },
		{ 20, "dua puluh" }, { 21, "dua puluh satu" }, { 35, "tiga puluh lima" },
		{ 99, "sembilan puluh sembilan" }, { 100, "seratus" }, { 101, "seratus satu" },
		{ 111, "seratus sebelas" }, { 128, "seratus dua puluh delapan" },
		{ 200, "dua ratus" }, { 1000, "seribu" }, { 1001, "seribu satu" },
		{ 2024, "dua ribu dua puluh empat" },
		{ 999999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus "
		    "sembilan puluh sembilan" },
	};
	char out[160];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(speech_number_words(cases[i].n, out, sizeof out), 0);
		assert_string_equal(out, cases[i].words);
	}
	assert_int_equal(speech_number_words(-1, out, sizeof out), -1);
	assert_int_equal(speech_number_words(1000000, out, sizeof out), -1);
	/* "dua puluh" needs 10 bytes: 9 is too few, never a cut word */
	assert_int_equal(speech_number_words(20, out, 9), -1);
	assert_int_equal(speech_number_words(20, out, 10), 0);
	assert_string_equal(out, "dua puluh");
}

static void assert_parts(char parts[][SPEECH_PART_MAX], int n, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		assert_true(i < n);
		assert_string_equal(parts[i], want[i]);
	}
	assert_int_equal(i, n);
}

/* The words of display.js's speechText, a part each. */
static void test_call_parts(void **state)
{
	char parts[SPEECH_PARTS_MAX][SPEECH_PART_MAX];
	struct speech_call a = { "A-017", "Vaksinasi", 3, 0 };
	struct speech_call b = { "b-120", "Skrining Kesehatan", 12, 1 };
	static const char *const want_a[] = { "nomor antrean", "A", "nol", "satu", "tujuh",
		SPEECH_PAUSE, "silakan ke meja", "vaksinasi", "tiga", NULL };
	static const char *const want_b[] = { "panggilan ulang", SPEECH_PAUSE, "nomor antrean",
		"B", "satu", "dua", "nol", SPEECH_PAUSE, "silakan ke meja", "skrining kesehatan",
		"dua", "belas", NULL };

	(void)state;
	assert_parts(parts, speech_call_parts(&a, parts, SPEECH_PARTS_MAX), want_a);
	assert_parts(parts, speech_call_parts(&b, parts, SPEECH_PARTS_MAX), want_b);
	/* too many words for the room given */
	assert_int_equal(speech_call_parts(&a, parts, 8), -1);
	assert_int_equal(speech_call_parts(&a, parts, 9), 9);
}

static void test_call_parts_place(void **state)
{
	char parts[SPEECH_PARTS_MAX][SPEECH_PART_MAX], name[SPEECH_PART_MAX + 1];
	struct speech_call c = { "C-001", "Observasi Ñ", 1, 0 };

	(void)state;
	/* UTF-8 stays whole: only ASCII letters are lower-cased */
	assert_int_equal(speech_call_parts(&c, parts, SPEECH_PARTS_MAX), 9);
	assert_string_equal(parts[7], "observasi Ñ");
	memset(name, 'x', SPEECH_PART_MAX);
	name[SPEECH_PART_MAX] = '\0';
	c.place = name;
	assert_int_equal(speech_call_parts(&c, parts, SPEECH_PARTS_MAX), -1);
	name[SPEECH_PART_MAX - 1] = '\0';
	assert_int_equal(speech_call_parts(&c, parts, SPEECH_PARTS_MAX), 9);
}

static void test_wav_header(void **state)
{
	unsigned char h[SPEECH_WAV_HEADER];

	(void)state;
	speech_wav_header(h, 22050, 1000);
	assert_memory_equal(h, "RIFF", 4);
	assert_int_equal(le(h + 4, 4), 36 + 2000);
	assert_memory_equal(h + 8, "WAVEfmt ", 8);
	assert_int_equal(le(h + 16, 4), 16);
	assert_int_equal(le(h + 20, 2), 1);          /* PCM */
	assert_int_equal(le(h + 22, 2), 1);          /* mono */
	assert_int_equal(le(h + 24, 4), 22050);
	assert_int_equal(le(h + 28, 4), 44100);
	assert_int_equal(le(h + 32, 2), 2);
	assert_int_equal(le(h + 34, 2), 16);
	assert_memory_equal(h + 36, "data", 4);
	assert_int_equal(le(h + 40, 4), 2000);
}

/* Missing data or voice: -1, and nothing said, until closed. */
static void test_open_missing(void **state)
{
	char dir[] = "/tmp/antre-speech-XXXXXX";   /* mkdtemp's template */
	const struct speech_settings file = { "/dev/null", "id", 150 };
	const struct speech_settings empty = { dir, "id", 150 };
	const struct speech_settings novoice = { "", "xx-no-such-voice", 150 };
	char parts[1][SPEECH_PART_MAX] = { "nol" };
	unsigned char *wav;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(speech_open(&file), -1);
	assert_int_equal(speech_open(&ok), -1);      /* remembered: not tried again */
	assert_int_equal(speech_rate(), 0);
	assert_int_equal(speech_wav(parts, 1, &wav, &len), -1);
	speech_close();
	assert_int_equal(speech_open(&empty), -1);   /* a directory without espeak's data */
	speech_close();
	assert_int_equal(speech_open(&novoice), -1);
	speech_close();
	rmdir(dir);
}

/* A segment is said once and kept. */
static void test_segment_kept(void **state)
{
	const int16_t *a, *b;
	size_t na, nb, bytes;
	int count;

	(void)state;
	assert_int_equal(speech_open(&ok), 0);
	assert_int_equal(speech_rate(), 22050);
	assert_int_equal(speech_segment("nol", &a, &na), 0);
	assert_true(na > 22050 / 10 && na < 22050 * 2);       /* a word: 0.1 to 2 s */
	speech_cache_size(&count, &bytes);
	assert_int_equal(count, 1);
	assert_int_equal(bytes, na * 2);
	assert_int_equal(speech_segment("nol", &b, &nb), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(na, nb);
	speech_cache_size(&count, &bytes);
	assert_int_equal(count, 1);
	/* the ends are cut at the first and last sound */
	assert_true(abs(a[0]) > 64 && abs(a[na - 1]) > 64);
	speech_close();
}

/* A phrase: lead, words with gaps, the comma's pause, tail; its length the
 * sum of its pieces, the words' samples as kept. */
static void test_wav_joins_segments(void **state)
{
	char parts[4][SPEECH_PART_MAX] = { "nomor antrean", "A", SPEECH_PAUSE, "nol" };
	size_t n[4], at, total;
	const int16_t *pcm;
	int16_t *copy[4];
	unsigned char *wav, *again;
	size_t len, len2;
	unsigned rate;

	(void)state;
	assert_int_equal(speech_open(&ok), 0);
	rate = speech_rate();
	for (int i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_int_equal(speech_segment(parts[i], &pcm, &n[i]), 0);
		copy[i] = malloc(n[i] * 2);
		memcpy(copy[i], pcm, n[i] * 2);
	}
	assert_int_equal(speech_wav(parts, 4, &wav, &len), 0);
	total = rate * SPEECH_LEAD_MS / 1000 + n[0] + rate * SPEECH_GAP_MS / 1000 + n[1] +
	    rate * SPEECH_PAUSE_MS / 1000 + n[3] + rate * SPEECH_TAIL_MS / 1000;
	assert_int_equal(len, SPEECH_WAV_HEADER + total * 2);
	assert_int_equal(le(wav + 40, 4), total * 2);
	assert_int_equal(le(wav + 4, 4), 36 + total * 2);
	assert_int_equal(le(wav + 24, 4), rate);
	/* silence first, then "nomor antrean" as kept, then the gap and "A" */
	at = SPEECH_WAV_HEADER;
	for (size_t i = 0; i < rate * SPEECH_LEAD_MS / 1000; i++, at += 2)
		assert_int_equal(le(wav + at, 2), 0);
	for (size_t i = 0; i < n[0]; i++, at += 2)
		assert_int_equal((int16_t)le(wav + at, 2), copy[0][i]);
	at += rate * SPEECH_GAP_MS / 1000 * 2;
	for (size_t i = 0; i < n[1]; i++, at += 2)
		assert_int_equal((int16_t)le(wav + at, 2), copy[1][i]);
	/* the same parts again: the same bytes */
	assert_int_equal(speech_wav(parts, 4, &again, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(wav, again, len);
	free(wav);
	free(again);
	free(copy[0]);
	free(copy[1]);
	free(copy[3]);
	speech_close();
}

/* A call of the demo event says in a plausible time. */
static void test_call_duration(void **state)
{
	char parts[SPEECH_PARTS_MAX][SPEECH_PART_MAX];
	struct speech_call c = { "A-009", "Vaksinasi", 2, 0 };
	unsigned char *wav;
	size_t len;
	double s;
	int n;

	(void)state;
	assert_int_equal(speech_open(&ok), 0);
	n = speech_call_parts(&c, parts, SPEECH_PARTS_MAX);
	assert_int_equal(n, 9);
	assert_int_equal(speech_wav(parts, n, &wav, &len), 0);
	s = (double)(len - SPEECH_WAV_HEADER) / 2 / speech_rate();
	assert_true(s > 2.5 && s < 15);
	free(wav);
	speech_close();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_words),
		cmocka_unit_test(test_call_parts),
		cmocka_unit_test(test_call_parts_place),
		cmocka_unit_test(test_wav_header),
		cmocka_unit_test(test_open_missing),
		cmocka_unit_test(test_segment_kept),
		cmocka_unit_test(test_wav_joins_segments),
		cmocka_unit_test(test_call_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
