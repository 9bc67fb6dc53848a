/*
 * cmd_station.c: antre station call | recall | start | complete | skip |
 * transfer | pause | resume.
 *
 * What a service desk does, one command an operation, for a desk without a
 * browser or a script.  Each is a write: one Idempotency-Key a run, retried
 * with it (cli_write), so a call whose answer was lost is not made twice.
 * The operations are the rows of ops[]; the command table's rows point at
 * them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"

enum { OPT_JSON = 256, OPT_KEY, OPT_TICKET, OPT_QR };

/* An operation: its path's last segment, the argument after STATION it
 * takes ("" none; else its JSON name), and what it does, for messages. */
struct station_op {
	const char *name;
	const char *arg;
	const char *what;       /* "whether <what>" */
};

static const struct station_op ops[] = {
	{ "call", "", "a ticket was called" },
	{ "recall", "", "the ticket was called again" },
	{ "start", "", "the service was started" },
	{ "complete", "outcome", "the ticket was completed" },
	{ "skip", "", "the ticket was skipped" },
	{ "transfer", "stage", "the ticket was transferred" },
	{ "pause", "", "the station was paused" },
	{ "resume", "", "the station was resumed" },
};

static const struct station_op *op_find(const char *name)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

static const char *state_word(const char *state)
{
	static const char *const map[][2] = {
		{ "waiting", "menunggu" }, { "called", "dipanggil" },
		{ "serving", "sedang dilayani" }, { "skipped", "dilewati" },
		{ "done", "selesai" }, { "deferred", "ditunda" }, { "refused", "ditolak" },
		{ "cancelled", "dibatalkan" }, { "expired", "kedaluwarsa" },
		{ "open", "buka" }, { "paused", "dijeda" },
	};

	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], state) == 0)
			return map[i][1];
	return state;
}

static const char *str_of(const cJSON *j, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name));

	return s ? s : "";
}

/* The answer in words: the ticket the station now deals with, or the
 * station's state. */
static int op_show(const struct cli_reply *reply, const char *station)
{
	const cJSON *t, *st;
	cJSON *j;

	if (reply->status == 204) {
		printf("Tidak ada yang menunggu di tahap meja %s.\n", station);
		return CLI_EXIT_OK;
	}
	if ((j = cli_reply_json(reply)) == NULL)
		return CLI_EXIT_FAIL;
	t = cJSON_GetObjectItemCaseSensitive(j, "ticket");
	st = cJSON_GetObjectItemCaseSensitive(j, "station");
	if (cJSON_IsObject(t)) {
		printf("Nomor antrean:   %s\nStatus:          %s (%s)\nTahap:           %s\n",
		    str_of(t, "code"), state_word(str_of(t, "state")), str_of(t, "state"),
		    str_of(t, "stage"));
		if (*str_of(t, "station"))
			printf("Meja:            %s\n", str_of(t, "station"));
	} else if (cJSON_IsObject(st)) {
		printf("Meja %s: %s (%s)\n", str_of(st, "id"), state_word(str_of(st, "state")),
		    str_of(st, "state"));
	} else {
		cli_warnx("the server's answer has neither a ticket nor a station");
		cJSON_Delete(j);
		return CLI_EXIT_FAIL;
	}
	cJSON_Delete(j);
	return CLI_EXIT_OK;
}

/* The body: {"<arg>": value}, {"ticket": …} or {"qr": …} for call, or NULL
 * (no body).  *oom is set when it could not be made. */
static char *op_body(const char *name, const char *value, int *oom)
{
	cJSON *j;
	char *text = NULL;

	*oom = 0;
	if (name == NULL)
		return NULL;
	if ((j = cJSON_CreateObject()) != NULL && cJSON_AddStringToObject(j, name, value) != NULL)
		text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	*oom = text == NULL;
	return text;
}

static int station_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ticket", required_argument, NULL, OPT_TICKET },
		{ "qr", required_argument, NULL, OPT_QR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "idempotency-key", required_argument, NULL, OPT_KEY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct station_op *op = op_find(cmd->name);
	const char *key = NULL, *ticket = NULL, *qr = NULL, *station, *bname = NULL, *bval = NULL;
	struct cli_reply reply;
	char *body = NULL;
	int json = 0, want, oom, ch, rc;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_TICKET: ticket = optarg; break;
		case OPT_QR: qr = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_KEY:
			if (!cli_key_valid(optarg))
				return cli_usage(cmd, "--idempotency-key is 1 to %d of A-Z a-z 0-9 . _ "
				    ": -, not '%s'", CLI_KEY_MAX, optarg);
			key = optarg;
			break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	want = op->arg[0] ? 2 : 1;
	if (argc - optind < want)
		return cli_usage(cmd, "give %s", want == 2 ? (op->arg[0] == 'o' ?
		    "the station and the outcome (done, deferred or refused)" :
		    "the station and the stage to send the ticket to") : "the station");
	if (argc - optind > want)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + want]);
	station = argv[optind];
	if (station[0] == '\0')
		return cli_usage(cmd, "an empty station id");
	if ((ticket || qr) && strcmp(op->name, "call") != 0)
		return cli_usage(cmd, "--ticket and --qr are for 'station call'");
	if (ticket && qr)
		return cli_usage(cmd, "give --ticket or --qr, not both");
	if (want == 2) {
		bname = op->arg;
		bval = argv[optind + 1];
	} else if (ticket || qr) {
		bname = ticket ? "ticket" : "qr";
		bval = ticket ? ticket : qr;
	}
	body = op_body(bname, bval, &oom);
	if (oom) {
		cli_warnx("out of memory");
		return CLI_EXIT_FAIL;
	}
	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		goto done;
	{
		const char *segs[] = { "v1", "events", c->event, "stations", station, op->name, NULL };

		if ((rc = cli_write(c, segs, body, key, op->what, &reply)) != CLI_EXIT_OK)
			goto done;
	}
	if (json && reply.status != 204)
		cli_print_raw(&reply);
	else
		rc = op_show(&reply, station);
	cli_reply_free(&reply);
done:
	free(body);
	return rc;
}

#define STATION_HELP_KEY \
	"      --idempotency-key KEY\n" \
	"               the request's key (default: a new random one); with no answer\n" \
	"               (502/503/504, a timeout, a dropped connection) the request is\n" \
	"               sent again with it, up to 6 tries within 20 s, so it is never\n" \
	"               done twice; exit status 3 when none was answered\n" \
	"      --json   the server's answer as JSON instead of text\n"

#define STATION_CMD(op, synopsis, summary, extra) \
	const struct cli_cmd cmd_station_##op = { "station", #op, synopsis, summary, \
		"STATION is the desk's id, such as registration-1.\n\nOptions:\n" extra \
		STATION_HELP_KEY, station_exec }

STATION_CMD(call, "STATION [--ticket CODE | --qr TEXT]",
    "call the next person, or a given ticket, to a desk (station)",
    "      --ticket CODE  call this ticket (a skipped one, or one deferred at the\n"
    "                     stage today: it is called back) instead of the next\n"
    "      --qr TEXT      call the ticket whose scanned status link this is\n");
STATION_CMD(recall, "STATION", "call the desk's ticket again (station)", "");
STATION_CMD(start, "STATION", "the called person has come: start serving (station)", "");
STATION_CMD(complete, "STATION done|deferred|refused",
    "finish serving the desk's ticket with an outcome (station)", "");
STATION_CMD(skip, "STATION", "the called person did not come: skip the ticket (station)", "");
STATION_CMD(transfer, "STATION STAGE", "send the desk's ticket to another stage (station)", "");
STATION_CMD(pause, "STATION", "stop calling at this desk (station)", "");
STATION_CMD(resume, "STATION", "call at this desk again (station)", "");
