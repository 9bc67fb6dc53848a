/*
 * cmd_ticket.h: private to cmd_ticket.c and cmd_ticket_issue.c: the
 * options and the pieces of output the ticket commands share.
 */
#ifndef ANTRE_CMD_TICKET_H
#define ANTRE_CMD_TICKET_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* Options without a short form. */
enum {
	OPT_PRINT = 256,
	OPT_WIDTH,
	OPT_RASTER,
	OPT_INVERT,
	OPT_NO_QR,
	OPT_JSON,
	OPT_PNG,
	OPT_SVG,
	OPT_SCALE,
	OPT_KEY,
	OPT_SERVICE,
};

/* --idempotency-key: CLI_EXIT_OK, or the usage error. */
int ticket_key_option(const struct cli_cmd *cmd, const char *s, const char **key);
/* --width: the receipt paper, 58 or 80 (mm).  CLI_EXIT_OK, or the usage error. */
int ticket_paper_width(const struct cli_cmd *cmd, const char *s, int *width);

/* A state in words (Bahasa Indonesia). */
const char *ticket_state_label(enum ticket_state s);
/* "08:15:02", or "-" for an unset time. */
const char *ticket_clock_of(int64_t ms, int off, char *buf, size_t size);
/* "Label:           value": the values line up in one column. */
void ticket_field(FILE *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The people ahead and the estimated wait. */
void ticket_print_position(FILE *out, const struct ticket *t);

/* The ticket in {"ticket": {...}} decoded, and its UTC offset.  0, or an
 * exit status with the problem printed. */
int ticket_from(const cJSON *body, struct ticket *t, int *off);
/* The receipt (ESC/POS) of ticket `id` to `dest`. */
int ticket_receipt_print(struct cli *c, const char *id, int width, int raster,
    const char *dest);

#endif
