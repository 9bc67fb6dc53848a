/* cli_qr.c: QR codes drawn with UTF-8 half blocks. */
#include "cli_qr.h"

#include <errno.h>

#include <qrencode.h>

#define GLYPH_FULL  "\xe2\x96\x88" /* U+2588 █ */
#define GLYPH_UPPER "\xe2\x96\x80" /* U+2580 ▀ */
#define GLYPH_LOWER "\xe2\x96\x84" /* U+2584 ▄ */

/* Is module (x, y) of the grid with its quiet zone dark?  Outside the
 * code, the margin and the padding row, everything is light. */
static int module_dark(const unsigned char *modules, int width, int x, int y)
{
	x -= CLI_QR_MARGIN;
	y -= CLI_QR_MARGIN;
	if (x < 0 || y < 0 || x >= width || y >= width)
		return 0;
	return modules[y * width + x] & 1;
}

int cli_qr_render(FILE *fp, const unsigned char *modules, int width, int invert)
{
	static const char *const glyphs[4] = {
		" ",            /* neither lit */
		GLYPH_LOWER,    /* bottom lit */
		GLYPH_UPPER,    /* top lit */
		GLYPH_FULL,     /* both */
	};
	int side = width + 2 * CLI_QR_MARGIN;

	for (int y = 0; y < side; y += 2) {
		for (int x = 0; x < side; x++) {
			/* lit = light module, or dark one when inverted */
			int top = module_dark(modules, width, x, y) == invert;
			int bottom = module_dark(modules, width, x, y + 1) == invert;

			fputs(glyphs[top << 1 | bottom], fp);
		}
		fputc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}

int cli_qr_print(FILE *fp, const char *text, int invert)
{
	/* one 8-bit segment, as antred's qr.c encodes it: the terminal, the
	 * receipt and qr.png then show the very same symbol */
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	int rc;

	if (qr == NULL)
		return -1;       /* errno: ERANGE (too long), ENOMEM, EINVAL */
	rc = cli_qr_render(fp, qr->data, qr->width, invert != 0);
	QRcode_free(qr);
	return rc;
}
