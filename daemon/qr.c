/* qr.c: QR encoding, the grey canvas, PNG and SVG output. */
#include "qr.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <png.h>

QRcode *qr_encode(const char *text, char ecc)
{
	QRecLevel level = ecc == 'L' ? QR_ECLEVEL_L : ecc == 'Q' ? QR_ECLEVEL_Q :
	    ecc == 'H' ? QR_ECLEVEL_H : QR_ECLEVEL_M;

	/* 8-bit mode keeps the URL exactly as it is (case included) */
	return QRcode_encodeString8bit(text, 0, level);
}

int qr_dark(const QRcode *qr, int x, int y)
{
	return qr->data[y * qr->width + x] & 1;
}

int canvas_init(struct canvas *c, int w, int h)
{
	c->w = w;
	c->h = h;
	c->px = NULL;
	if (w <= 0 || h <= 0 || w > 8192 || h > 16384)
		return -1;
	if ((c->px = malloc((size_t)w * (size_t)h)) == NULL)
		return -1;
	memset(c->px, 255, (size_t)w * (size_t)h);
	return 0;
}

void canvas_free(struct canvas *c)
{
	free(c->px);
	c->px = NULL;
}

int canvas_draw_qr(struct canvas *c, const QRcode *qr, int x0, int y0, int scale)
{
	int side = (qr->width + 2 * QR_QUIET) * scale;

	for (int my = 0; my < qr->width; my++)
		for (int mx = 0; mx < qr->width; mx++) {
			if (!qr_dark(qr, mx, my))
				continue;
			for (int dy = 0; dy < scale; dy++) {
				int y = y0 + (my + QR_QUIET) * scale + dy;
				int x = x0 + (mx + QR_QUIET) * scale;
				if (y < 0 || y >= c->h || x < 0 || x + scale > c->w)
					continue;
				memset(c->px + (size_t)y * (size_t)c->w + (size_t)x, 0, (size_t)scale);
			}
		}
	return side;
}

static void png_to_evbuffer(png_structp png, png_bytep data, png_size_t len)
{
	struct evbuffer *out = png_get_io_ptr(png);

	if (evbuffer_add(out, data, len) != 0)
		png_error(png, "out of memory");
}

static void png_no_flush(png_structp png)
{
	(void)png;
}

int png_write(const struct canvas *c, int depth, struct evbuffer *out)
{
	png_structp png;
	png_infop info;
	unsigned char *row = NULL;
	/* volatile: kept across the longjmp of a libpng error */
	unsigned char *volatile row_keep = NULL;

	if ((png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL)) == NULL)
		return -1;
	if ((info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		free(row_keep);
		png_destroy_write_struct(&png, &info);
		return -1;
	}
	png_set_write_fn(png, out, png_to_evbuffer, png_no_flush);
	png_set_IHDR(png, info, (png_uint_32)c->w, (png_uint_32)c->h, depth == 1 ? 1 : 8,
	    PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	if ((row = malloc((size_t)c->w)) == NULL)
		png_error(png, "out of memory");
	row_keep = row;
	for (int y = 0; y < c->h; y++) {
		const unsigned char *src = c->px + (size_t)y * (size_t)c->w;
		if (depth == 1) {
			/* packed, most significant bit first, 1 = white */
			memset(row, 0, ((size_t)c->w + 7) / 8);
			for (int x = 0; x < c->w; x++)
				if (src[x] >= 128)
					row[x / 8] |= (unsigned char)(0x80 >> (x % 8));
			png_write_row(png, row);
		} else
			png_write_row(png, (png_const_bytep)src);
	}
	png_write_end(png, NULL);
	free(row);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int qr_write_svg(const QRcode *qr, struct evbuffer *out)
{
	int side = qr->width + 2 * QR_QUIET;
	int rc = 0;

	rc |= evbuffer_add_printf(out,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "shape-rendering=\"crispEdges\">\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
	    side, side, side, side) < 0;
	/* one path: each horizontal run of dark modules is one rectangle */
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width; x++) {
			int run = 0;
			if (!qr_dark(qr, x, y) || (x > 0 && qr_dark(qr, x - 1, y)))
				continue;
			while (x + run < qr->width && qr_dark(qr, x + run, y))
				run++;
			rc |= evbuffer_add_printf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET,
			    y + QR_QUIET, run, run) < 0;
		}
	rc |= evbuffer_add_printf(out, "\"/>\n</svg>\n") < 0;
	return rc ? -1 : 0;
}
