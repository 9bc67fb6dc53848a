/*
 * cmd_ticket_issue.c: antre ticket issue | find: the desk's commands that
 * carry a person's NIK (issue a ticket and print its receipt; find the
 * tickets of a NIK).  The NIK is wiped from argv and from every buffer
 * that held it.  Shared pieces: cmd_ticket.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "cli_qr.h"
#include "cmd_ticket.h"

#define NIK_MAX 64      /* longer than any NIK: the server says what is wrong */

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
	ticket_field(out, "Tiket", "%s\n", t->id);
	ticket_field(out, "Layanan", "%s\n", t->service);
	ticket_field(out, "Prioritas", "%s\n", t->priority);
	if (t->area[0])
		ticket_field(out, "Wilayah", "%s\n", t->area);
	ticket_field(out, "Tahap", "%s\n", t->stage);
	ticket_print_position(out, t);
	if (url)
		ticket_field(out, "Status", "%s\n", url);
}

/* ticket issue's options. */
struct issue_opts {
	const char *service, *priority, *area, *nik, *key, *print;
	int width, raster, invert, no_qr, json;
	char nikbuf[NIK_MAX + 2];        /* the NIK: wiped before returning */
};

/* The command line into o: -1 to go on, or the exit status (--help, a
 * usage error). */
static int issue_options(const struct cli_cmd *cmd, int argc, char **argv,
    struct issue_opts *o)
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
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "s:p:a:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o->service = optarg; break;
		case 'p': o->priority = optarg; break;
		case 'a': o->area = optarg; break;
		case 'n':
			/* copied and wiped from argv, so that ps shows it no longer */
			snprintf(o->nikbuf, sizeof o->nikbuf, "%s", optarg);
			if (strcmp(optarg, "-") != 0)
				explicit_bzero(optarg, strlen(optarg));
			o->nik = o->nikbuf;
			break;
		case OPT_PRINT: o->print = optarg; break;
		case OPT_WIDTH:
			if ((rc = ticket_paper_width(cmd, optarg, &o->width)) != CLI_EXIT_OK)
				return rc;
			break;
		case OPT_RASTER: o->raster = 1; break;
		case OPT_INVERT: o->invert = 1; break;
		case OPT_NO_QR: o->no_qr = 1; break;
		case OPT_JSON: o->json = 1; break;
		case OPT_KEY:
			if ((rc = ticket_key_option(cmd, optarg, &o->key)) != CLI_EXIT_OK)
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
	if (o->service == NULL)
		return cli_usage(cmd, "--service is required");
	if (o->print && *o->print == '\0')
		return cli_usage(cmd, "--print needs a destination");
	if (o->print && o->json && strcmp(o->print, "-") == 0)
		return cli_usage(cmd, "--json and --print - both want standard output");
	if (o->nik && strcmp(o->nikbuf, "-") == 0) {
		if (nik_read_stdin(o->nikbuf, sizeof o->nikbuf) == -1)
			return cli_usage(cmd, "--nik -: no line on standard input");
	}
	return -1;
}

/* POST …/tickets with o's fields into *reply (2xx only). */
static int issue_send(struct cli *c, const struct issue_opts *o, struct cli_reply *reply)
{
	char *body;
	int rc;

	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;
	body = issue_body(o->service, o->priority, o->area, o->nik);
	if (body == NULL) {
		cli_warnx("out of memory");
		return CLI_EXIT_FAIL;
	}
	{
		const char *segs[] = { "v1", "events", c->event, "tickets", NULL };

		rc = cli_write(c, segs, body, o->key, "the ticket was issued", reply);
	}
	explicit_bzero(body, strlen(body));     /* the NIK is in it */
	free(body);
	return rc;
}

/* The new ticket to out: the server's JSON, or the words and the QR code. */
static int issue_report(FILE *out, const struct issue_opts *o, const struct cli_reply *reply,
    const cJSON *j, const struct ticket *t)
{
	const char *url, *qrtext;

	url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "status_url"));
	qrtext = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "qr"));
	if (qrtext == NULL)
		qrtext = url;
	if (o->json) {
		cli_print_raw(reply);
		return CLI_EXIT_OK;
	}
	issue_show(out, t, url);
	if (qrtext && !o->no_qr) {
		fputc('\n', out);
		if (cli_qr_print(out, qrtext, o->invert) == -1) {
			cli_warnx("cannot draw the QR code of %s", qrtext);
			return CLI_EXIT_FAIL;
		}
	}
	return CLI_EXIT_OK;
}

static int ticket_issue(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct issue_opts o = { .width = 58 };
	struct cli_reply reply = { 0 };
	struct ticket t;
	cJSON *j = NULL;
	FILE *out = stdout;
	int rc, off;

	if ((rc = issue_options(cmd, argc, argv, &o)) != -1)
		goto done;
	/* the receipt's bytes own standard output; the words go to stderr */
	if (o.print && strcmp(o.print, "-") == 0)
		out = stderr;
	if ((rc = issue_send(c, &o, &reply)) != CLI_EXIT_OK)
		goto done;
	rc = CLI_EXIT_FAIL;
	if ((j = cli_reply_json(&reply)) == NULL || ticket_from(j, &t, &off) != CLI_EXIT_OK)
		goto done;
	if ((rc = issue_report(out, &o, &reply, j, &t)) != CLI_EXIT_OK)
		goto done;
	if (o.print) {
		if ((rc = ticket_receipt_print(c, t.id, o.width, o.raster, o.print)) != CLI_EXIT_OK)
			cli_warnx("ticket %s was issued but not printed; print it again with "
			    "'antre ticket print %s %s'", t.code, t.id, o.print);
		else if (!o.json)
			fprintf(out, "\nDicetak ke %s.\n", o.print);
	}
done:
	explicit_bzero(o.nikbuf, sizeof o.nikbuf);
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
		printf("%-9s %-16s %-12s %-16s %s\n", t.code, t.id, t.service, ticket_state_label(t.state),
		    ticket_clock_of(t.issued_at, off, b1, sizeof b1));
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
