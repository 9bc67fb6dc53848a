/*
 * text_cells.h: text for an 80-column terminal, as `antre stats` lays it
 * out: cells of a fixed width (UTF-8 aware, control characters replaced),
 * wrapped sentences, numbers in the Indonesian way, bars, and a report
 * written to memory then to standard output with trailing spaces dropped.
 */
#ifndef ANTRE_TEXT_CELLS_H
#define ANTRE_TEXT_CELLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CELLS_WIDTH 79           /* of every line: fits an 80-column terminal */
#define CELLS_LABEL_W 22         /* "Perkiraan saat tutup: " */
#define CELLS_BAR_W 20

/* Cells `s` takes: one a character (the names here are Latin script). */
int cells_width(const char *s);

/* `s` in `width` cells: padded with spaces on the right (left when
 * `right`), or cut with "…" when longer.  width 0: as it is.  Control
 * characters print as '?'. */
void cells_put(FILE *out, const char *s, int width, int right);

/* `text` from the current column `indent` to CELLS_WIDTH, broken between
 * words; the lines after the first start at `indent` too.  Ends the line. */
void cells_wrap(FILE *out, const char *text, int indent);

/* "Label:" padded to the value column. */
void cells_label(FILE *out, const char *l);

/* A bar of `v` against `most` in CELLS_BAR_W cells of eighths. */
void cells_bar(FILE *out, double v, double most);

/* A whole number, or "-" when negative (unknown). */
const char *cells_int(long long v, char *buf, size_t size);
/* At most one decimal, with a decimal comma and no ",0": "32,7", "98";
 * "-" when negative (unknown). */
const char *cells_dec(double v, char *buf, size_t size);
/* Seconds as minutes, one decimal: 540 -> "9", 95 -> "1,6"; "-" when negative. */
const char *cells_min(long long seconds, char *buf, size_t size);
/* "3 jam 58 menit", "45 menit". */
const char *cells_duration(double minutes, char *buf, size_t size);

/* "HH:MM" of a time on a clock `off` seconds from UTC; the date
 * "YYYY-MM-DD" too when `date` is not NULL.  NULL for 0 (no time). */
const char *cells_hhmm(int64_t ms, int off, char *buf, size_t size, char date[11]);
/* Minutes since midnight of "HH:MM"; -1 when it is not one. */
int cells_minutes_of(const char *hm);

/* Lower-case ASCII copy, for a name inside a sentence. */
void cells_lower(const char *s, char *buf, size_t size);

/* The report: written to a memory stream, then to standard output with the
 * spaces that pad a line's last cell dropped.  0, or -1 (message printed). */
int cells_report_open(FILE **out, char **text, size_t *len);
int cells_report_close(FILE *out, char **text, size_t *len);

#endif
