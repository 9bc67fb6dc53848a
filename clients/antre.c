/*
 * antre.c: the antre command line: global options, then a command from the
 * table below.  Adding a command is adding a row (and its cmd_*.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_URL "http://127.0.0.1:8080"

extern const struct cli_cmd cmd_ticket_issue, cmd_ticket_find, cmd_ticket_cancel,
    cmd_ticket_show, cmd_ticket_qr, cmd_ticket_print, cmd_station_call, cmd_station_recall,
    cmd_station_start, cmd_station_complete, cmd_station_skip, cmd_station_transfer,
    cmd_station_pause, cmd_station_resume, cmd_board, cmd_stats, cmd_plan,
    cmd_coverage, cmd_areas_import, cmd_areas_show;

static const struct cli_cmd *const commands[] = {
	&cmd_ticket_issue,
	&cmd_ticket_find,
	&cmd_ticket_cancel,
	&cmd_ticket_show,
	&cmd_ticket_qr,
	&cmd_ticket_print,
	&cmd_station_call,
	&cmd_station_recall,
	&cmd_station_start,
	&cmd_station_complete,
	&cmd_station_skip,
	&cmd_station_transfer,
	&cmd_station_pause,
	&cmd_station_resume,
	&cmd_board,
	&cmd_stats,
	&cmd_plan,
	&cmd_coverage,
	&cmd_areas_import,
	&cmd_areas_show,
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage_full(FILE *fp)
{
	fputs("Usage: antre [-u URL] [-t TOKEN] [-e EVENT] COMMAND [ARGS...]\n"
	    "       antre COMMAND --help | --help | --version\n"
	    "\n"
	    "The antre command line client: issue and look up queue tickets on an antred\n"
	    "server, work a service desk, and show its waiting-room board.\n"
	    "\n"
	    "Options (before the command):\n"
	    "  -u, --url URL      the server (env ANTRE_URL; default " DEFAULT_URL ")\n"
	    "  -t, --token TOKEN  the bearer token of your role (env ANTRE_TOKEN, which\n"
	    "                     keeps it out of the process list)\n"
	    "  -e, --event EVENT  the event (env ANTRE_EVENT; default: the server's only\n"
	    "                     event; when it has several, this is required)\n"
	    "  -h, --help         this help; 'antre COMMAND --help' for a command's\n"
	    "  -V, --version      the version\n"
	    "\n"
	    "Commands:\n", fp);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char name[64];

		fprintf(fp, "  %-16s %s\n", cli_cmd_name(commands[i], name, sizeof name),
		    commands[i]->summary);
	}
	fputs("\n"
	    "Exit status: 0 done, 1 the server refused (its message and code are printed)\n"
	    "or could not be reached, 2 a wrong command line, 3 a write (issue, cancel,\n"
	    "a station's operation) got no answer on any try: run it again with the\n"
	    "--idempotency-key printed.\n", fp);
}

static int group_exists(const char *group)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->group, group) == 0)
			return 1;
	return 0;
}

static void usage_group(FILE *fp, const char *group)
{
	fprintf(fp, "Commands of 'antre %s':\n", group);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->group, group) == 0)
			fprintf(fp, "  %s %-8s %s\n", group, commands[i]->name,
			    commands[i]->summary);
}

static const struct cli_cmd *cmd_find(const char *group, const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->group, group) == 0 && strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* Runs `cmd` with argv[0] "antre GROUP NAME", so that getopt's complaints
 * name the command, and the arguments after the command's name. */
static int cmd_run(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof *args);
	char name[64], prog[96];
	int rc;

	if (args == NULL) {
		cli_warnx("out of memory");
		return CLI_EXIT_FAIL;
	}
	snprintf(prog, sizeof prog, "antre %s", cli_cmd_name(cmd, name, sizeof name));
	args[0] = prog;
	memcpy(args + 1, argv, (size_t)argc * sizeof *args);
	optind = 0;             /* glibc: a full restart of getopt */
	rc = cmd->exec(c, cmd, argc + 1, args);
	free(args);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "event", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c;
	const struct cli_cmd *cmd;
	const char *env;
	int ch, rc;

	memset(&c, 0, sizeof c);
	c.url = (env = getenv("ANTRE_URL")) && *env ? env : DEFAULT_URL;
	c.token = (env = getenv("ANTRE_TOKEN")) && *env ? env : NULL;
	c.event_opt = (env = getenv("ANTRE_EVENT")) && *env ? env : NULL;

	/* "+": stop at the command, whose options are its own */
	while ((ch = getopt_long(argc, argv, "+u:t:e:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			c.url = optarg;
			break;
		case 't':
			c.token = optarg;
			break;
		case 'e':
			c.event_opt = optarg;
			break;
		case 'h':
			usage_full(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("antre %s (protocol v%d)\n", CLI_VERSION, ANTRE_PROTOCOL_VERSION);
			return CLI_EXIT_OK;
		default:
			fputs("Try 'antre --help'.\n", stderr);
			return CLI_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage_full(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!group_exists(argv[0]))
		return cli_usage(NULL, "unknown command '%s'", argv[0]);
	if ((cmd = cmd_find(argv[0], "")) != NULL) {
		/* a one-word command: what follows is all its own */
		rc = cmd_run(&c, cmd, argc - 1, argv + 1);
		goto done;
	}
	if (argc == 1 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage_group(argc == 1 ? stderr : stdout, argv[0]);
		return argc == 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if ((cmd = cmd_find(argv[0], argv[1])) == NULL) {
		cli_warnx("unknown command '%s %s'", argv[0], argv[1]);
		usage_group(stderr, argv[0]);
		return CLI_EXIT_USAGE;
	}
	rc = cmd_run(&c, cmd, argc - 2, argv + 2);
done:
	cli_close(&c);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cli_warnx("writing to standard output failed");
		return CLI_EXIT_FAIL;
	}
	return rc;
}
