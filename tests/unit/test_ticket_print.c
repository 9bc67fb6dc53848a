/* Unit tests for daemon/ticket_print.c: the lines of the ESC/POS ticket
 * (the black-box test_print and test_print_paper read both formats whole). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <event2/buffer.h>

#include "ticket_print.h"

static struct print_ticket base(void)
{
	struct print_ticket t = {
		.event_name = "Gebyar Vaksinasi",
		.code = "A-001",
		.service_name = "Dosis 1",
		.priority = "Lansia",
		.area = "",
		.mark = NULL,
		.issued = "23/11/2026 08:15 WIB",
		.position = 3,
		.url = "http://127.0.0.1/t/demo/20261123-A001?sig=AAAAAAAAAAAAAAAA",
	};
	return t;
}

/* The ESC/POS stream of t at 58 mm, native QR (with NULs in its commands). */
static char *escpos(const struct print_ticket *t, struct evbuffer *out)
{
	assert_int_equal(ticket_print_escpos(t, 58, 0, 'M', out), 0);
	return (char *)evbuffer_pullup(out, -1);
}

/* Where text is in the stream, or NULL. */
static const char *find(const char *s, const struct evbuffer *out, const char *text)
{
	return memmem(s, evbuffer_get_length(out), text, strlen(text));
}

/* Whether the stream has text as a whole line (after a newline or a
 * command byte, ended by a newline). */
static int has_line(const char *s, size_t len, const char *text)
{
	size_t n = strlen(text);

	for (size_t i = 1; i + n < len; i++)
		if (memcmp(s + i, text, n) == 0 && s[i + n] == '\n' &&
		    (s[i - 1] == '\n' || (unsigned char)s[i - 1] < 0x20))
			return 1;
	return 0;
}

static int printed(const struct print_ticket *t, const char *text)
{
	struct evbuffer *out = evbuffer_new();
	char *s;
	int r;

	assert_non_null(out);
	s = escpos(t, out);
	r = has_line(s, evbuffer_get_length(out), text);
	evbuffer_free(out);
	return r;
}

static void test_priority_and_times(void **state)
{
	struct print_ticket t = base();

	(void)state;
	assert_true(printed(&t, "NOMOR ANTREAN"));
	assert_true(printed(&t, "Prioritas: Lansia"));
	assert_true(printed(&t, "Diambil: 23/11/2026 08:15 WIB"));
	assert_true(printed(&t, "Antrean di depan Anda: 3"));
	t.position = -1;
	assert_false(printed(&t, "Antrean di depan Anda: 3"));
	/* a long name wraps at the paper's 32 columns */
	t.priority = "Penyandang disabilitas dan pendamping";
	assert_true(printed(&t, "Prioritas: Penyandang"));
	assert_true(printed(&t, "disabilitas dan pendamping"));
}

static void test_area(void **state)
{
	struct print_ticket t = base();

	(void)state;
	assert_false(printed(&t, "Wilayah:"));
	t.area = NULL;
	assert_false(printed(&t, "Wilayah:"));
	/* a NIK's district code is said to be one */
	t.area = "360401";
	assert_true(printed(&t, "Wilayah: Kec. 360401"));
	/* anything else as the desk typed it */
	t.area = "RT 03 Sukamaju";
	assert_true(printed(&t, "Wilayah: RT 03 Sukamaju"));
	t.area = "3604011";
	assert_true(printed(&t, "Wilayah: 3604011"));
	t.area = "36040";
	assert_true(printed(&t, "Wilayah: 36040"));
	t.area = "36040a";
	assert_true(printed(&t, "Wilayah: 36040a"));
}

static void test_mark(void **state)
{
	static const char big[] = "\x1b" "E\x01\x1d!\x11" "SELESAI\n\x1d!";
	struct print_ticket t = base();
	struct evbuffer *out = evbuffer_new();
	char *s;

	(void)state;
	assert_non_null(out);
	s = escpos(&t, out);
	assert_null(find(s, out, "SELESAI"));
	evbuffer_drain(out, evbuffer_get_length(out));
	t.mark = "SELESAI";
	s = escpos(&t, out);
	/* bold at double width and height, after the code, before the service */
	assert_non_null(find(s, out, big));
	assert_true(find(s, out, "A-001") < find(s, out, big));
	assert_true(find(s, out, big) < find(s, out, "Dosis 1"));
	evbuffer_free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_and_times),
		cmocka_unit_test(test_area),
		cmocka_unit_test(test_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
