/* font.c: PSF console fonts read with zlib, drawn on a canvas. */
#include "font.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define FONT_FILE_MAX (1 << 20)

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

unsigned font_next_codepoint(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	unsigned cp;
	int n;

	if (s[0] < 0x80) {
		*sp += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 1, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 2, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 3, cp = s[0] & 0x07;
	else {
		*sp += 1;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp += i;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*sp += n + 1;
	return cp;
}

static void map_set(struct font *f, unsigned cp, int glyph)
{
	if (cp < FONT_MAP_SIZE && f->map[cp] == -1)
		f->map[cp] = glyph;
}

/* PSF2's table: per glyph, UTF-8 code points, 0xFE sequences, 0xFF end. */
static void psf2_unicode(struct font *f, const unsigned char *p, const unsigned char *end)
{
	for (int g = 0; g < f->nglyphs && p < end; g++) {
		int in_seq = 0;
		while (p < end && *p != 0xff) {
			if (*p == 0xfe) {
				in_seq = 1;     /* combining sequences are not drawn */
				p++;
				continue;
			}
			const char *s = (const char *)p;
			unsigned cp = font_next_codepoint(&s);
			p = (const unsigned char *)s;
			if (!in_seq)
				map_set(f, cp, g);
		}
		p++;
	}
}

/* PSF1's table: per glyph, little-endian UCS-2, 0xFFFE sequences, 0xFFFF end. */
static void psf1_unicode(struct font *f, const unsigned char *p, const unsigned char *end)
{
	for (int g = 0; g < f->nglyphs && p + 1 < end; g++) {
		int in_seq = 0;
		for (; p + 1 < end; p += 2) {
			unsigned u = p[0] | p[1] << 8;
			if (u == 0xffff) {
				p += 2;
				break;
			}
			if (u == 0xfffe)
				in_seq = 1;
			else if (!in_seq)
				map_set(f, u, g);
		}
	}
}

int font_load(const char *path, struct font *f, char *err)
{
	gzFile gz = gzopen(path, "rb");
	unsigned char *buf = NULL;
	int len;
	uint32_t hdr, flags;

	memset(f, 0, sizeof *f);
	if (gz == NULL) {
		snprintf(err, 128, "cannot open %.100s", path);
		return -1;
	}
	if ((buf = malloc(FONT_FILE_MAX)) == NULL)
		goto oom;
	len = gzread(gz, buf, FONT_FILE_MAX);
	gzclose(gz);
	gz = NULL;
	if (len < 4)
		goto bad;
	for (int i = 0; i < FONT_MAP_SIZE; i++)
		f->map[i] = -1;
	if (buf[0] == 0x36 && buf[1] == 0x04) {            /* PSF1 */
		f->w = 8;
		f->h = buf[3];
		f->row_bytes = 1;
		f->nglyphs = buf[2] & 1 ? 512 : 256;
		f->glyph_bytes = f->h;
		hdr = 4;
		flags = buf[2] & 6;
	} else if (len >= 32 && le32(buf) == 0x864ab572) {  /* PSF2 */
		hdr = le32(buf + 8);
		flags = le32(buf + 12) & 1;
		f->nglyphs = (int)le32(buf + 16);
		f->glyph_bytes = (int)le32(buf + 20);
		f->h = (int)le32(buf + 24);
		f->w = (int)le32(buf + 28);
		f->row_bytes = (f->w + 7) / 8;
	} else
		goto bad;
	if (f->w < 1 || f->w > 64 || f->h < 1 || f->h > 64 || f->nglyphs < 1 ||
	    f->nglyphs > 65536 || f->glyph_bytes != f->row_bytes * f->h ||
	    hdr + (uint64_t)f->nglyphs * (uint64_t)f->glyph_bytes > (uint64_t)len)
		goto bad;
	if ((f->glyphs = malloc((size_t)f->nglyphs * (size_t)f->glyph_bytes)) == NULL)
		goto oom;
	memcpy(f->glyphs, buf + hdr, (size_t)f->nglyphs * (size_t)f->glyph_bytes);
	if (flags) {
		const unsigned char *t = buf + hdr + (size_t)f->nglyphs * (size_t)f->glyph_bytes;
		if (buf[0] == 0x36)
			psf1_unicode(f, t, buf + len);
		else
			psf2_unicode(f, t, buf + len);
	} else
		for (int i = 0; i < f->nglyphs && i < 256; i++)
			f->map[i] = i;    /* no table: assume Latin-1 order */
	free(buf);
	return 0;
bad:
	snprintf(err, 128, "%.100s: not a PSF font", path);
	free(buf);
	return -1;
oom:
	snprintf(err, 128, "out of memory");
	if (gz)
		gzclose(gz);
	free(buf);
	return -1;
}

void font_free(struct font *f)
{
	free(f->glyphs);
	f->glyphs = NULL;
}

static int glyph_of(const struct font *f, unsigned cp)
{
	int g = cp < FONT_MAP_SIZE ? f->map[cp] : -1;

	if (g < 0)
		g = f->map['?'];
	return g < 0 ? 0 : g;
}

int font_text_width(const struct font *f, const char *text, int scale)
{
	int n = 0;

	while (*text) {
		font_next_codepoint(&text);
		n++;
	}
	return n * f->w * scale;
}

void font_draw(const struct font *f, struct canvas *c, int x, int y, int scale,
    const char *text)
{
	while (*text) {
		const unsigned char *g = f->glyphs +
		    (size_t)glyph_of(f, font_next_codepoint(&text)) * (size_t)f->glyph_bytes;
		for (int gy = 0; gy < f->h; gy++)
			for (int gx = 0; gx < f->w; gx++) {
				if (!(g[gy * f->row_bytes + gx / 8] & (0x80 >> (gx % 8))))
					continue;
				for (int dy = 0; dy < scale; dy++)
					for (int dx = 0; dx < scale; dx++) {
						int px = x + gx * scale + dx, py = y + gy * scale + dy;
						if (px >= 0 && px < c->w && py >= 0 && py < c->h)
							c->px[(size_t)py * (size_t)c->w + (size_t)px] = 0;
					}
			}
		x += f->w * scale;
	}
}
