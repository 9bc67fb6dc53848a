/*
 * cmd_ticket.c: antre ticket issue | show | qr | print.
 *
 * The desk's work: issue a ticket (and print its receipt), look one up,
 * fetch its QR code, print it again.  Output for people is in Bahasa
 * Indonesia; --help gives the English of each label.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_out.h"
#include "cli_qr.h"

#define NIK_MAX 64      /* longer than any NIK: the server says what is wrong */

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

static const char *one_id(const struct cli_cmd *cmd, int argc, char **argv, int *rc);

/* ---- shared --------------------------------------------------------------- */

/* --idempotency-key: CLI_EXIT_OK, or the usage error. */
static int key_option(const struct cli_cmd *cmd, const char *s, const char **key)
{
	if (!cli_key_valid(s))
		return cli_usage(cmd, "--idempotency-key is 1 to %d of A-Z a-z 0-9 . _ : -, not '%s'",
		    CLI_KEY_MAX, s);
	*key = s;
	return CLI_EXIT_OK;
}

/* --width: the receipt paper, 58 or 80 (mm).  CLI_EXIT_OK, or the usage error. */
static int paper_width(const struct cli_cmd *cmd, const char *s, int *width)
{
	if (cli_parse_int(s, 58, 80, width) == -1 || (*width != 58 && *width != 80))
		return cli_usage(cmd, "--width is 58 or 80 (mm of paper), not '%s'", s);
	return CLI_EXIT_OK;
}

static const char *state_label(enum ticket_state s)
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
	};

	return (unsigned)s < TICKET_STATE_COUNT ? labels[s] : "?";
}

static const char *outcome_label(const char *outcome)
{
	static const char *const map[][2] = {
		{ "done", "selesai" }, { "deferred", "ditunda" }, { "refused", "ditolak" },
		{ "skipped", "dilewati" }, { "transferred", "dipindah" },
		{ "cancelled", "dibatalkan" },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], outcome) == 0)
			return map[i][1];
	return outcome[0] ? outcome : "-";
}

/* "08:15:02", or "-" for an unset time. */
static const char *clock_of(int64_t ms, int off, char *buf, size_t size)
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

/* "Label:           value": the values line up in one column. */
static void field(FILE *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void field(FILE *out, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s:%*s", label, (int)(17 - strlen(label)), "");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
}

static void print_position(FILE *out, const struct ticket *t)
{
	if (t->position >= 0)
		field(out, "Posisi", "%d orang di depan%s\n", t->position,
		    t->position == 0 ? " (berikutnya)" : "");
	if (t->state != TICKET_WAITING)
		return;
	if (t->eta_s < 0)
		field(out, "Perkiraan tunggu", "belum diketahui\n");
	else if (t->eta_s < 60)
		field(out, "Perkiraan tunggu", "kurang dari 1 menit\n");
	else
		field(out, "Perkiraan tunggu", "sekitar %d menit\n", (t->eta_s + 59) / 60);
}

/*
 * The ticket in {"ticket": {...}} decoded, and its UTC offset.  0, or an
 * exit status with the problem printed.
 */
static int ticket_from(const cJSON *body, struct ticket *t, int *off)
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
static int receipt_print(struct cli *c, const char *id, int width, int raster,
    const char *dest)
{
	char query[32];

	snprintf(query, sizeof query, "width=%d%s", width, raster ? "&qr=raster" : "");
	return ticket_save(c, id, "ticket.escpos", query, dest);
}

/* ---- ticket issue --------------------------------------------------------- */

/* A NIK from standard input ("--nik -"), so it stays out of the process
 * list and the shell history: the first line, without its newline. */
static int nik_read_stdin(char *buf, size_t size)
{
	if (fgets(buf, (int)size, stdin) == NULL)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* The request body; NULL when out of memory.  The NIK is in it: the caller
 * wipes the text before freeing it. */
static char *issue_body(const char *service, const char *priority, const char *area,
    const char *nik)
{
	cJSON *j = cJSON_CreateObject();
	cJSON *jnik = NULL;
	char *text = NULL;

	if (j == NULL || cJSON_AddStringToObject(j, "service", service) == NULL)
		goto done;
	if (priority && cJSON_AddStringToObject(j, "priority", priority) == NULL)
		goto done;
	if (area && cJSON_AddStringToObject(j, "area", area) == NULL)
		goto done;
	if (nik && (jnik = cJSON_AddStringToObject(j, "nik", nik)) == NULL)
		goto done;
	text = cJSON_PrintUnformatted(j);
done:
	if (jnik)
		explicit_bzero(jnik->valuestring, strlen(jnik->valuestring));
	cJSON_Delete(j);
	return text;
}

static void issue_show(FILE *out, const struct ticket *t, const char *url)
{
	/* the number is what the person must remember: bold on a terminal */
	if (isatty(fileno(out)))
		fprintf(out, "\n\033[1mNomor antrean:    %s\033[0m\n\n", t->code);
	else
		fprintf(out, "\nNomor antrean:    %s\n\n", t->code);
	field(out, "Tiket", "%s\n", t->id);
	field(out, "Layanan", "%s\n", t->service);
	field(out, "Prioritas", "%s\n", t->priority);
	if (t->area[0])
		field(out, "Wilayah", "%s\n", t->area);
	field(out, "Tahap", "%s\n", t->stage);
	print_position(out, t);
	if (url)
		field(out, "Status", "%s\n", url);
}

static int ticket_issue(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "area", required_argument, NULL, 'a' },
		{ "nik", required_argument, NULL, 'n' },
		{ "print", required_argument, NULL, OPT_PRINT },
		{ "width", required_argument, NULL, OPT_WIDTH },
		{ "raster", no_argument, NULL, OPT_RASTER },
		{ "invert", no_argument, NULL, OPT_INVERT },
		{ "no-qr", no_argument, NULL, OPT_NO_QR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "idempotency-key", required_argument, NULL, OPT_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *service = NULL, *priority = NULL, *area = NULL, *nik = NULL, *key = NULL;
	const char *print = NULL, *url, *qrtext;
	int width = 58, raster = 0, invert = 0, no_qr = 0, json = 0, ch, rc, off;
	char nikbuf[NIK_MAX + 2] = "", *body = NULL;
	struct cli_reply reply = { 0 };
	struct ticket t;
	cJSON *j = NULL;
	FILE *out = stdout;

	while ((ch = getopt_long(argc, argv, "s:p:a:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': service = optarg; break;
		case 'p': priority = optarg; break;
		case 'a': area = optarg; break;
		case 'n':
			/* copied and wiped from argv, so that ps shows it no longer */
			snprintf(nikbuf, sizeof nikbuf, "%s", optarg);
			if (strcmp(optarg, "-") != 0)
				explicit_bzero(optarg, strlen(optarg));
			nik = nikbuf;
			break;
		case OPT_PRINT: print = optarg; break;
		case OPT_WIDTH:
			if ((rc = paper_width(cmd, optarg, &width)) != CLI_EXIT_OK)
				return rc;
			break;
		case OPT_RASTER: raster = 1; break;
		case OPT_INVERT: invert = 1; break;
		case OPT_NO_QR: no_qr = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_KEY:
			if ((rc = key_option(cmd, optarg, &key)) != CLI_EXIT_OK)
				return rc;
			break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (service == NULL)
		return cli_usage(cmd, "--service is required");
	if (print && *print == '\0')
		return cli_usage(cmd, "--print needs a destination");
	if (print && json && strcmp(print, "-") == 0)
		return cli_usage(cmd, "--json and --print - both want standard output");
	if (nik && strcmp(nikbuf, "-") == 0) {
		if (nik_read_stdin(nikbuf, sizeof nikbuf) == -1)
			return cli_usage(cmd, "--nik -: no line on standard input");
	}
	/* the receipt's bytes own standard output; the words go to stderr */
	if (print && strcmp(print, "-") == 0)
		out = stderr;

	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		goto done;
	body = issue_body(service, priority, area, nik);
	if (body == NULL) {
		cli_warnx("out of memory");
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	{
		const char *segs[] = { "v1", "events", c->event, "tickets", NULL };

		rc = cli_write(c, segs, body, key, "the ticket was issued", &reply);
	}
	explicit_bzero(body, strlen(body));     /* the NIK is in it */
	if (rc != CLI_EXIT_OK)
		goto done;
	rc = CLI_EXIT_FAIL;
	if ((j = cli_reply_json(&reply)) == NULL || ticket_from(j, &t, &off) != CLI_EXIT_OK)
		goto done;
	url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "status_url"));
	qrtext = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "qr"));
	if (qrtext == NULL)
		qrtext = url;
	if (json) {
		cli_print_raw(&reply);
	} else {
		issue_show(out, &t, url);
		if (qrtext && !no_qr) {
			fputc('\n', out);
			if (cli_qr_print(out, qrtext, invert) == -1) {
				cli_warnx("cannot draw the QR code of %s", qrtext);
				goto done;
			}
		}
	}
	rc = CLI_EXIT_OK;
	if (print) {
		if ((rc = receipt_print(c, t.id, width, raster, print)) != CLI_EXIT_OK)
			cli_warnx("ticket %s was issued but not printed; print it again with "
			    "'antre ticket print %s %s'", t.code, t.id, print);
		else if (!json)
			fprintf(out, "\nDicetak ke %s.\n", print);
	}
done:
	explicit_bzero(nikbuf, sizeof nikbuf);
	free(body);
	cJSON_Delete(j);
	cli_reply_free(&reply);
	return rc;
}

const struct cli_cmd cmd_ticket_issue = {
	"ticket", "issue", "--service SERVICE [options]",
	"issue a ticket (desk) and show its number and QR code",
	"Options:\n"
	"  -s, --service S    the service (its id in the event, e.g. dose1); required\n"
	"  -p, --priority P   the priority (default: the event's last, regular)\n"
	"  -a, --area A       desa / RT as the person says it (1 to 63 bytes)\n"
	"  -n, --nik N        the person's NIK: checked by the server, refused twice for\n"
	"                     the same service on one day, never printed or stored;\n"
	"                     '--nik -' reads it from standard input instead of the\n"
	"                     command line\n"
	"      --print DEST   print the receipt (ESC/POS) to DEST: tcp:HOST:PORT (a\n"
	"                     network printer, port 9100 usually), a device such as\n"
	"                     /dev/usb/lp0, a file, or '-' (standard output; the text\n"
	"                     then goes to standard error)\n"
	"      --width 58|80  the receipt paper, in mm (default 58)\n"
	"      --raster       the receipt's QR code as an image, for printers without\n"
	"                     a QR command\n"
	"      --invert       QR for a dark-on-light terminal (default: light text on\n"
	"                     a dark background)\n"
	"      --no-qr        no QR code in the terminal\n"
	"      --json         the server's answer as JSON instead of text\n"
	"      --idempotency-key KEY\n"
	"                     the request's key (1 to 64 of A-Z a-z 0-9 . _ : -; default:\n"
	"                     a new random one): the same command with the same key\n"
	"                     issues at most one ticket within 24 h, and shows it again\n"
	"\n"
	"With no answer (HTTP 502/503/504, a timeout, a dropped connection) the request\n"
	"is sent again with the same key, up to 6 tries within 20 s; when none is\n"
	"answered the exit status is 3 and the key is printed: run the command again\n"
	"with it to get the ticket if it was issued, or issue it once.\n"
	"\n"
	"Prints: Nomor antrean (ticket number), Tiket (id), Layanan (service),\n"
	"Prioritas (priority), Wilayah (area), Tahap (stage), Posisi (people ahead),\n"
	"Perkiraan tunggu (estimated wait), Status (the person's status link), and\n"
	"that link as a QR code to scan with a phone.\n",
	ticket_issue,
};

/* ---- ticket find ---------------------------------------------------------- */

/* The lookup's body, {"nik": …, "service": …}; NULL when out of memory.  The
 * caller wipes the text (the NIK is in it) before freeing it. */
static char *find_body(const char *nik, const char *service)
{
	cJSON *j = cJSON_CreateObject(), *jnik = NULL;
	char *text = NULL;

	if (j == NULL || (jnik = cJSON_AddStringToObject(j, "nik", nik)) == NULL)
		goto done;
	if (service && cJSON_AddStringToObject(j, "service", service) == NULL)
		goto done;
	text = cJSON_PrintUnformatted(j);
done:
	if (jnik)
		explicit_bzero(jnik->valuestring, strlen(jnik->valuestring));
	cJSON_Delete(j);
	return text;
}

/* The found tickets, one line each, with the status link under it. */
static int find_show(const cJSON *body)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "tickets"), *x, *jt;
	const char *url;
	struct ticket t;
	char err[PROTO_ERR_MAX], b1[16];
	int off;

	if (!cJSON_IsArray(list)) {
		cli_warnx("the server's answer has no \"tickets\" list");
		return CLI_EXIT_FAIL;
	}
	if (cJSON_GetArraySize(list) == 0) {
		printf("Tidak ada tiket hari ini untuk NIK ini.\n");
		return CLI_EXIT_OK;
	}
	printf("%-9s %-16s %-12s %-16s %s\n", "Nomor", "Tiket", "Layanan", "Status", "Diambil");
	cJSON_ArrayForEach(x, list) {
		/* a ticket as the issue's reply has it: {"ticket": {…}, "status_url": …},
		 * or the ticket object itself with its status_url */
		jt = cJSON_GetObjectItemCaseSensitive(x, "ticket");
		if (!cJSON_IsObject(jt))
			jt = x;
		if (!cJSON_IsObject(jt) || proto_ticket_decode(jt, &t, err) == -1) {
			cli_warnx("the server sent a ticket antre cannot read: %s",
			    cJSON_IsObject(jt) ? err : "not an object");
			return CLI_EXIT_FAIL;
		}
		off = cli_utc_offset(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(jt, "issued_at")));
		url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "status_url"));
		if (url == NULL)
			url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jt, "status_url"));
		printf("%-9s %-16s %-12s %-16s %s\n", t.code, t.id, t.service, state_label(t.state),
		    clock_of(t.issued_at, off, b1, sizeof b1));
		if (url)
			printf("          Status: %s\n", url);
	}
	return CLI_EXIT_OK;
}

static int ticket_find(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nik", required_argument, NULL, 'n' },
		{ "service", required_argument, NULL, OPT_SERVICE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *service = NULL;
	char nik[NIK_MAX + 2] = "", *body = NULL;
	struct cli_reply reply = { 0 };
	cJSON *j = NULL;
	int json = 0, have = 0, ch, rc;

	while ((ch = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			/* copied and wiped from argv, so that ps shows it no longer */
			snprintf(nik, sizeof nik, "%s", optarg);
			if (strcmp(optarg, "-") != 0)
				explicit_bzero(optarg, strlen(optarg));
			have = 1;
			break;
		case OPT_SERVICE: service = optarg; break;
		case OPT_JSON: json = 1; break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if (optind < argc)
		rc = cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	else if (!have)
		rc = cli_usage(cmd, "--nik is required ('--nik -' reads it from standard input)");
	else if (strcmp(nik, "-") == 0 && nik_read_stdin(nik, sizeof nik) == -1)
		rc = cli_usage(cmd, "--nik -: no line on standard input");
	else if (nik[0] == '\0')
		rc = cli_usage(cmd, "an empty NIK");
	else
		rc = cli_event(c);
	if (rc != CLI_EXIT_OK)
		goto done;
	if ((body = find_body(nik, service)) == NULL) {
		cli_warnx("out of memory");
		rc = CLI_EXIT_FAIL;
		goto done;
	}
	{
		const char *segs[] = { "v1", "events", c->event, "tickets", "lookup", NULL };

		rc = cli_request(c, "POST", segs, NULL, body, &reply);
	}
	explicit_bzero(body, strlen(body));     /* the NIK is in it */
	if (rc != CLI_EXIT_OK)
		goto done;
	if (json)
		cli_print_raw(&reply);
	else if ((j = cli_reply_json(&reply)) == NULL)
		rc = CLI_EXIT_FAIL;
	else
		rc = find_show(j);
done:
	explicit_bzero(nik, sizeof nik);
	free(body);
	cJSON_Delete(j);
	cli_reply_free(&reply);
	return rc;
}

const struct cli_cmd cmd_ticket_find = {
	"ticket", "find", "--nik NIK|- [--service SERVICE] [--json]",
	"today's tickets of one person, found by NIK (desk)",
	"Options:\n"
	"  -n, --nik N        the person's NIK (16 digits); '--nik -' reads it from the\n"
	"                     first line of standard input, which keeps it out of the\n"
	"                     shell history and the process list (prefer it)\n"
	"      --service S    only the tickets of this service\n"
	"      --json         the server's answer as JSON instead of text\n"
	"\n"
	"The NIK goes to the server in the request's body only, never in its URL.\n"
	"Prints one line a ticket: Nomor (number), Tiket (id), Layanan (service),\n"
	"Status (state), Diambil (issued at), and its status link; or \"Tidak ada\n"
	"tiket hari ini untuk NIK ini\" (no ticket today for this NIK).  Print one\n"
	"again with 'antre ticket print ID DEST'.\n",
	ticket_find,
};

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
			if ((rc = key_option(cmd, optarg, &key)) != CLI_EXIT_OK)
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

	field(out, "Nomor antrean", "%s\n", t->code);
	field(out, "Tiket", "%s\n", t->id);
	field(out, "Status", "%s (%s)\n", state_label(t->state),
	    proto_ticket_state_name(t->state));
	field(out, "Tahap", "%s\n", t->stage);
	if (t->station[0])
		field(out, "Meja", "%s\n", t->station);
	field(out, "Layanan", "%s\n", t->service);
	field(out, "Prioritas", "%s\n", t->priority);
	if (t->area[0])
		field(out, "Wilayah", "%s\n", t->area);
	field(out, "Diterbitkan", "%s\n", date_of(t->issued_at, off, b1, sizeof b1));
	print_position(out, t);
	if (t->hold_until)
		field(out, "Observasi s.d.", "%s\n", clock_of(t->hold_until, off, b2, sizeof b2));
	if (t->recalls > 0)
		field(out, "Dipanggil ulang", "%d kali\n", t->recalls);
	if (t->nvisits == 0)
		return;
	fprintf(out, "\nKunjungan:\n  %-14s %-16s %-8s  %-9s  %-8s  %-8s  %s\n",
	    "Tahap", "Meja", "Masuk", "Dipanggil", "Mulai", "Selesai", "Hasil");
	for (int i = 0; i < t->nvisits; i++) {
		const struct ticket_visit *v = &t->visits[i];

		fprintf(out, "  %-14s %-16s %-8s  %-9s  %-8s  %-8s  %s\n", v->stage,
		    v->station[0] ? v->station : "-", clock_of(v->queued_at, off, b2, sizeof b2),
		    clock_of(v->called_at, off, b3, sizeof b3),
		    clock_of(v->started_at, off, b4, sizeof b4),
		    clock_of(v->completed_at, off, b5, sizeof b5), outcome_label(v->outcome));
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
	"ditunda deferred, ditolak refused, dibatalkan cancelled), Tahap (stage),\n"
	"Meja (station), Layanan (service), Prioritas (priority), Wilayah (area),\n"
	"Diterbitkan (issued), Posisi (people ahead), Perkiraan tunggu (estimated\n"
	"wait), Observasi s.d. (observation until), Dipanggil ulang (recalls).\n"
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
			if ((rc = paper_width(cmd, optarg, &width)) != CLI_EXIT_OK)
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
	return receipt_print(c, argv[optind], width, raster, argv[optind + 1]);
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
