/*
 * cmd_ticket.c: antre ticket cancel | show | qr | print, and the pieces the
 * ticket commands share (cmd_ticket.h).
 *
 * The desk's work: issue a ticket (cmd_ticket_issue.c), look one up,
 * fetch its QR code, print it again.  Output for people is in Bahasa
 * Indonesia; --help gives the English of each label.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_out.h"
#include "cli_qr.h"
#include "cmd_ticket.h"

static const char *one_id(const struct cli_cmd *cmd, int argc, char **argv, int *rc);

/* ---- shared --------------------------------------------------------------- */

/* --idempotency-key: CLI_EXIT_OK, or the usage error. */
int ticket_key_option(const struct cli_cmd *cmd, const char *s, const char **key)
{
	if (!cli_key_valid(s))
		return cli_usage(cmd, "--idempotency-key is 1 to %d of A-Z a-z 0-9 . _ : -, not '%s'",
		    CLI_KEY_MAX, s);
	*key = s;
	return CLI_EXIT_OK;
}

/* --width: the receipt paper, 58 or 80 (mm).  CLI_EXIT_OK, or the usage error. */
int ticket_paper_width(const struct cli_cmd *cmd, const char *s, int *width)
{
	if (cli_parse_int(s, 58, 80, width) == -1 || (*width != 58 && *width != 80))
		return cli_usage(cmd, "--width is 58 or 80 (mm of paper), not '%s'", s);
	return CLI_EXIT_OK;
}

const char *ticket_state_label(enum ticket_state s)
{
	static const char *const labels[TICKET_STATE_COUNT] = {
		[TICKET_WAITING] = "menunggu",
		[TICKET_CALLED] = "dipanggil",
		[TICKET_SERVING] = "sedang dilayani",
		[TICKET_SKIPPED] = "dilewati",
		[TICKET_DONE] = "selesai",
		[TICKET_DEFERRED] = "ditunda",
		[TICKET_REFUSED] = "ditolak",
		[TICKET_CANCELLED] = "dibatalkan",
		[TICKET_EXPIRED] = "kedaluwarsa",
	};

	return (unsigned)s < TICKET_STATE_COUNT ? labels[s] : "?";
}

static const char *outcome_label(const char *outcome)
{
	static const char *const map[][2] = {
		{ "done", "selesai" }, { "deferred", "ditunda" }, { "refused", "ditolak" },
		{ "skipped", "dilewati" }, { "transferred", "dipindah" },
		{ "cancelled", "dibatalkan" }, { "expired", "kedaluwarsa" },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], outcome) == 0)
			return map[i][1];
	return outcome[0] ? outcome : "-";
}

/* "08:15:02", or "-" for an unset time. */
const char *ticket_clock_of(int64_t ms, int off, char *buf, size_t size)
{
	char full[40];

	if (ms == 0)
		return "-";
	proto_time_format(ms, off, full, sizeof full);
	snprintf(buf, size, "%.8s", full + 11);
	return buf;
}

/* "2026-11-23 08:15:02 +07:00" */
static const char *date_of(int64_t ms, int off, char *buf, size_t size)
{
	char full[40];

	if (ms == 0)
		return "-";
	proto_time_format(ms, off, full, sizeof full);
	snprintf(buf, size, "%.10s %.8s %s", full, full + 11, off ? full + strlen(full) - 6 : "UTC");
	return buf;
}

void ticket_field(FILE *out, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s:%*s", label, (int)(18 - strlen(label)), "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

/* The wait as the person's page words it: "20–30 menit", "kurang dari 5
 * menit" (eta_range_s, whole minutes); eta_s alone from an older daemon. */
static void print_wait(FILE *out, const struct ticket *t)
{
	int lo = (t->eta_range_s[0] + 30) / 60, hi = (t->eta_range_s[1] + 30) / 60;

	if (t->eta_s < 0)
		ticket_field(out, "Perkiraan tunggu", "belum diketahui\n");
	else if (t->eta_range_s[0] >= 0 && hi <= 5)
		ticket_field(out, "Perkiraan tunggu", "kurang dari 5 menit\n");
	else if (t->eta_range_s[0] >= 0)
		ticket_field(out, "Perkiraan tunggu", "%d\xe2\x80\x93%d menit\n", lo, hi);
	else if (t->eta_s < 60)
		ticket_field(out, "Perkiraan tunggu", "kurang dari 1 menit\n");
	else
		ticket_field(out, "Perkiraan tunggu", "sekitar %d menit\n", (t->eta_s + 59) / 60);
}

void ticket_print_position(FILE *out, const struct ticket *t)
{
	if (t->position >= 0)
		ticket_field(out, "Posisi", "%d orang di depan%s\n", t->position,
		    t->position == 0 ? " (berikutnya)" : "");
	if (t->state == TICKET_WAITING && !t->hold_until)
		print_wait(out, t);
}

/* Until the person may leave the venue (leave_eta_s, null unless on the
 * way): "sekitar 45 menit lagi (pukul 10:32)", by this computer's clock
 * as the person's page does. */
static void print_leave(FILE *out, const struct ticket *t, int off)
{
	char at[16];

	if (t->leave_eta_s < 0)
		return;
	ticket_clock_of(((int64_t)time(NULL) + t->leave_eta_s) * 1000, off, at, sizeof at);
	if (t->leave_eta_s < 60)
		ticket_field(out, "Perkiraan selesai", "sebentar lagi (pukul %.5s)\n", at);
	else
		ticket_field(out, "Perkiraan selesai", "sekitar %d menit lagi (pukul %.5s)\n",
		    (t->leave_eta_s + 30) / 60, at);
}

/*
 * The ticket in {"ticket": {...}} decoded, and its UTC offset.  0, or an
 * exit status with the problem printed.
 */
int ticket_from(const cJSON *body, struct ticket *t, int *off)
{
	const cJSON *jt = cJSON_GetObjectItemCaseSensitive(body, "ticket");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(jt, "issued_at");
	char err[PROTO_ERR_MAX];

	if (!cJSON_IsObject(jt) || proto_ticket_decode(jt, t, err) == -1) {
		cli_warnx("the server sent a ticket antre cannot read: %s",
		    cJSON_IsObject(jt) ? err : "no \"ticket\" object");
		return CLI_EXIT_FAIL;
	}
	*off = cli_utc_offset(cJSON_GetStringValue(at));
	return CLI_EXIT_OK;
}

/* GET …/tickets/{id}/{what}[?query] into *reply (2xx only). */
static int ticket_fetch(struct cli *c, const char *id, const char *what, const char *query,
    struct cli_reply *reply)
{
	int rc;

	memset(reply, 0, sizeof *reply);
	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;

	const char *segs[] = { "v1", "events", c->event, "tickets", id, what, NULL };

	return cli_request(c, "GET", segs, query, NULL, reply);
}

/* GET …/tickets/{id}/{what}[?query], its body written to `dest` (cli_out). */
static int ticket_save(struct cli *c, const char *id, const char *what, const char *query,
    const char *dest)
{
	struct cli_reply reply;
	char err[320];
	int rc;

	if ((rc = ticket_fetch(c, id, what, query, &reply)) != CLI_EXIT_OK)
		return rc;
	if (cli_out_write(dest, reply.body, reply.len, err, sizeof err) == -1) {
		cli_warnx("%s", err);
		rc = CLI_EXIT_FAIL;
	}
	cli_reply_free(&reply);
	return rc;
}

/* The receipt (ESC/POS) of ticket `id` to `dest`. */
int ticket_receipt_print(struct cli *c, const char *id, int width, int raster,
    const char *dest)
{
	char query[32];

	snprintf(query, sizeof query, "width=%d%s", width, raster ? "&qr=raster" : "");
	return ticket_save(c, id, "ticket.escpos", query, dest);
}

/* ---- ticket cancel -------------------------------------------------------- */

static int ticket_cancel(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "idempotency-key", required_argument, NULL, OPT_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_reply reply;
	struct ticket t;
	const char *id, *key = NULL;
	cJSON *j = NULL;
	int json = 0, ch, rc, off;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = 1; break;
		case OPT_KEY:
			if ((rc = ticket_key_option(cmd, optarg, &key)) != CLI_EXIT_OK)
				return rc;
			break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if ((id = one_id(cmd, argc, argv, &rc)) == NULL)
		return rc;
	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;
	{
		const char *segs[] = { "v1", "events", c->event, "tickets", id, "cancel", NULL };

		if ((rc = cli_write(c, segs, NULL, key, "the ticket was cancelled", &reply)) !=
		    CLI_EXIT_OK)
			return rc;
	}
	if (json) {
		cli_print_raw(&reply);
	} else if ((j = cli_reply_json(&reply)) == NULL || ticket_from(j, &t, &off) != 0) {
		rc = CLI_EXIT_FAIL;
	} else {
		printf("Tiket %s dibatalkan.\n", t.code);
	}
	cJSON_Delete(j);
	cli_reply_free(&reply);
	return rc;
}

const struct cli_cmd cmd_ticket_cancel = {
	"ticket", "cancel", "ID [--idempotency-key KEY] [--json]",
	"cancel a waiting or skipped ticket (desk)",
	"ID is the ticket's id (20261123-A017) or today's code (A-017).\n"
	"\n"
	"Options:\n"
	"      --idempotency-key KEY\n"
	"               the request's key (default: a new random one); retried with it\n"
	"               as 'ticket issue' is\n"
	"      --json   the server's answer as JSON instead of text\n"
	"\n"
	"Prints: Tiket CODE dibatalkan (ticket CODE cancelled).\n",
	ticket_cancel,
};

/* ---- ticket show ---------------------------------------------------------- */

static void show_ticket(FILE *out, const struct ticket *t, int off)
{
	char b1[40], b2[16], b3[16], b4[16], b5[16];

	ticket_field(out, "Nomor antrean", "%s\n", t->code);
	ticket_field(out, "Tiket", "%s\n", t->id);
	ticket_field(out, "Status", "%s (%s)\n", ticket_state_label(t->state),
	    proto_ticket_state_name(t->state));
	ticket_field(out, "Tahap", "%s\n", t->stage);
	if (t->station[0])
		ticket_field(out, "Meja", "%s\n", t->station);
	ticket_field(out, "Layanan", "%s\n", t->service);
	ticket_field(out, "Prioritas", "%s\n", t->priority);
	if (t->area[0])
		ticket_field(out, "Wilayah", "%s\n", t->area);
	ticket_field(out, "Diterbitkan", "%s\n", date_of(t->issued_at, off, b1, sizeof b1));
	ticket_print_position(out, t);
	print_leave(out, t, off);
	if (t->hold_until)
		ticket_field(out, "Observasi s.d.", "%s\n", ticket_clock_of(t->hold_until, off, b2, sizeof b2));
	if (t->recalls > 0)
		ticket_field(out, "Dipanggil ulang", "%d kali\n", t->recalls);
	if (t->nvisits == 0)
		return;
	fprintf(out, "\nKunjungan:\n  %-14s %-16s %-8s  %-9s  %-8s  %-8s  %s\n",
	    "Tahap", "Meja", "Masuk", "Dipanggil", "Mulai", "Selesai", "Hasil");
	for (int i = 0; i < t->nvisits; i++) {
		const struct ticket_visit *v = &t->visits[i];

		fprintf(out, "  %-14s %-16s %-8s  %-9s  %-8s  %-8s  %s\n", v->stage,
		    v->station[0] ? v->station : "-", ticket_clock_of(v->queued_at, off, b2, sizeof b2),
		    ticket_clock_of(v->called_at, off, b3, sizeof b3),
		    ticket_clock_of(v->started_at, off, b4, sizeof b4),
		    ticket_clock_of(v->completed_at, off, b5, sizeof b5), outcome_label(v->outcome));
	}
}

/* The one ID argument of show, qr and print; NULL after a usage message. */
static const char *one_id(const struct cli_cmd *cmd, int argc, char **argv, int *rc)
{
	if (optind >= argc) {
		*rc = cli_usage(cmd, "which ticket? give its id or today's code");
		return NULL;
	}
	if (optind + 1 < argc) {
		*rc = cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
		return NULL;
	}
	if (argv[optind][0] == '\0') {
		*rc = cli_usage(cmd, "an empty ticket id");
		return NULL;
	}
	return argv[optind];
}

static int ticket_show(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_reply reply;
	struct ticket t;
	const char *id;
	cJSON *j = NULL;
	int json = 0, ch, rc, off;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = 1; break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if ((id = one_id(cmd, argc, argv, &rc)) == NULL)
		return rc;
	if ((rc = ticket_fetch(c, id, NULL, NULL, &reply)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		cli_print_raw(&reply);
	} else if ((j = cli_reply_json(&reply)) == NULL || ticket_from(j, &t, &off) != 0) {
		rc = CLI_EXIT_FAIL;
	} else {
		show_ticket(stdout, &t, off);
	}
	cJSON_Delete(j);
	cli_reply_free(&reply);
	return rc;
}

const struct cli_cmd cmd_ticket_show = {
	"ticket", "show", "ID [--json]",
	"a ticket's state, stage, position and visits (desk, station)",
	"ID is the ticket's id (20261123-A017) or today's code (A-017).\n"
	"\n"
	"Options:\n"
	"      --json   the server's answer as JSON instead of text\n"
	"\n"
	"Labels: Nomor antrean (number), Tiket (id), Status (state: menunggu waiting,\n"
	"dipanggil called, sedang dilayani serving, dilewati skipped, selesai done,\n"
	"ditunda deferred, ditolak refused, dibatalkan cancelled, kedaluwarsa expired:\n"
	"left unfinished when its day ended), Tahap (stage), Meja (station),\n"
	"Layanan (service), Prioritas (priority), Wilayah (area),\n"
	"Diterbitkan (issued), Posisi (people ahead), Perkiraan tunggu (the estimated\n"
	"wait at this stage, a range: 20\xe2\x80\x93" "30 menit), Perkiraan selesai (when the\n"
	"person may leave the venue, by this computer's clock), Observasi s.d.\n"
	"(observation until), Dipanggil ulang (recalls).\n"
	"Kunjungan (visits): Masuk (queued), Dipanggil (called), Mulai (started),\n"
	"Selesai (completed), Hasil (outcome: dipindah transferred).\n",
	ticket_show,
};

/* ---- ticket qr ------------------------------------------------------------ */

static int ticket_qr(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "png", required_argument, NULL, OPT_PNG },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "scale", required_argument, NULL, OPT_SCALE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *png = NULL, *svg = NULL, *id, *dest;
	char query[24] = "";
	int scale = 0, ch, rc;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_PNG: png = optarg; break;
		case OPT_SVG: svg = optarg; break;
		case OPT_SCALE:
			if (cli_parse_int(optarg, 1, 32, &scale) == -1)
				return cli_usage(cmd, "--scale is 1 to 32, not '%s'", optarg);
			break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if ((id = one_id(cmd, argc, argv, &rc)) == NULL)
		return rc;
	if ((png == NULL) == (svg == NULL))
		return cli_usage(cmd, "give --png FILE or --svg FILE (the ticket's status link "
		    "is signed by the server, which alone can draw it; 'ticket issue' shows "
		    "it in the terminal)");
	if (svg && scale)
		return cli_usage(cmd, "--scale is for --png");
	dest = png ? png : svg;
	if (*dest == '\0')
		return cli_usage(cmd, "an empty file name");
	if (scale)
		snprintf(query, sizeof query, "scale=%d", scale);
	return ticket_save(c, id, png ? "qr.png" : "qr.svg", scale ? query : NULL, dest);
}

const struct cli_cmd cmd_ticket_qr = {
	"ticket", "qr", "ID --png FILE [--scale N] | ID --svg FILE",
	"a ticket's QR code (its status link) as PNG or SVG (desk)",
	"Options:\n"
	"      --png FILE   write the QR code as PNG to FILE ('-': standard output)\n"
	"      --scale N    pixels per module, 1 to 32 (default: the server's)\n"
	"      --svg FILE   write it as SVG instead\n"
	"\n"
	"There is no terminal QR here: only the server can sign the status link;\n"
	"'antre ticket issue' shows the new ticket's QR in the terminal.\n",
	ticket_qr,
};

/* ---- ticket print --------------------------------------------------------- */

static int ticket_print(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "raster", no_argument, NULL, OPT_RASTER },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int width = 58, raster = 0, ch, rc;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_WIDTH:
			if ((rc = ticket_paper_width(cmd, optarg, &width)) != CLI_EXIT_OK)
				return rc;
			break;
		case OPT_RASTER: raster = 1; break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if (argc - optind < 2)
		return cli_usage(cmd, "give a ticket and a destination");
	if (argc - optind > 2)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 2]);
	if (argv[optind][0] == '\0' || argv[optind + 1][0] == '\0')
		return cli_usage(cmd, "an empty ticket id or destination");
	return ticket_receipt_print(c, argv[optind], width, raster, argv[optind + 1]);
}

const struct cli_cmd cmd_ticket_print = {
	"ticket", "print", "ID DEST [--width 58|80] [--raster]",
	"print a ticket's receipt again, e.g. after a paper jam (desk)",
	"DEST: tcp:HOST:PORT (a network printer's raw port, usually 9100), a device\n"
	"such as /dev/usb/lp0, a file, or '-' for standard output.\n"
	"\n"
	"Options:\n"
	"      --width 58|80  the receipt paper, in mm (default 58)\n"
	"      --raster       the QR code as an image, for printers without a QR command\n",
	ticket_print,
};
