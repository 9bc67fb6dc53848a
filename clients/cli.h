/*
 * cli.h: what the antre commands share: the run's context, the command
 * table row, and the helpers that talk to the server and report errors.
 *
 * Exit status: 0 success, 1 the server refused or could not be reached,
 * 2 the command line is wrong, 3 a write went unanswered on every try (it
 * may or may not have been done).  Every helper that fails has already printed
 * "antre: ..." to stderr and returns the status to exit with.
 */
#ifndef ANTRE_CLI_H
#define ANTRE_CLI_H

#include <stdio.h>

#include "protocol.h"

#define CLI_VERSION "0.1.0"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2, CLI_EXIT_UNKNOWN = 3 };

/* A write's tries: bounded in number and in time, each with its own timeout. */
#define CLI_WRITE_TRIES 6
#define CLI_WRITE_BUDGET_MS 20000   /* no new try starts after this */
#define CLI_WRITE_TRY_S 5           /* connect, send and each read of one try */
#define CLI_KEY_MAX 64              /* an Idempotency-Key: 1..64 of [A-Za-z0-9._:-] */

struct cli_http;
struct cli_reply;
struct cJSON;

/* One run of antre: the global options, and the connection once opened. */
struct cli {
	const char *url;             /* -u, ANTRE_URL, or the default */
	const char *token;           /* -t, ANTRE_TOKEN, or NULL */
	const char *event_opt;       /* -e, ANTRE_EVENT, or NULL */
	struct cli_http *http;       /* opened by the first request */
	char event[PROTO_ID_MAX];    /* "" until cli_event() resolved it */
};

struct cli_cmd;
typedef int cli_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv);

/*
 * A command: a row of antre.c's table.  `exec` gets argv[0] = "antre GROUP
 * NAME" (for getopt's messages) and the words after the name.
 */
struct cli_cmd {
	const char *group;           /* "ticket" */
	const char *name;            /* "issue"; "" for a one-word command ("board") */
	const char *synopsis;        /* what follows the name in the usage line */
	const char *summary;         /* one line, for antre --help */
	const char *help;            /* the options, for antre GROUP NAME --help */
	cli_exec *exec;
};

/* "antre: " + the message + newline, to stderr. */
void cli_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error for `cmd` (NULL: the global command line): the message and
 * a pointer to --help; returns CLI_EXIT_USAGE. */
int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The full help of a command to fp. */
void cli_cmd_help(FILE *fp, const struct cli_cmd *cmd);

/* After getopt's own message on a bad option: the pointer to `cmd`'s --help;
 * returns CLI_EXIT_USAGE. */
int cli_bad_option(const struct cli_cmd *cmd);

/* The command as typed, "ticket issue" or "board", into buf; returns buf. */
const char *cli_cmd_name(const struct cli_cmd *cmd, char *buf, size_t size);

/* An integer option within [min, max] into *out; 0, or -1 (*out unchanged). */
int cli_parse_int(const char *s, int min, int max, int *out);

/* The UTC offset an RFC 3339 time carries, in seconds ("...+07:00" is 25200),
 * so that times print as the event's clock shows them; 0 for none or NULL. */
int cli_utc_offset(const char *rfc3339);

/*
 * The event to work on: -e / ANTRE_EVENT, else the server's only event.
 * CLI_EXIT_OK with c->event set, or an exit status (several events is a
 * usage error: choose one with -e).
 */
int cli_event(struct cli *c);

/*
 * One request to the server: `segs` are the path's segments (NULL-ended,
 * each percent-encoded), `query` is appended as is (may be NULL), `json` an
 * optional body.  CLI_EXIT_OK with *reply filled when the status is 2xx;
 * otherwise the error has been printed ("antre: MESSAGE (CODE)" for the
 * server's JSON errors) and CLI_EXIT_FAIL is returned with *reply empty.
 * The caller frees *reply with cli_reply_free.
 */
int cli_request(struct cli *c, const char *method, const char *const *segs,
    const char *query, const char *json, struct cli_reply *reply);

/* Whether `key` may be an Idempotency-Key (1..64 of [A-Za-z0-9._:-]). */
int cli_key_valid(const char *key);

/*
 * A write the server may safely see twice (issue, cancel, a station
 * operation): POST with an Idempotency-Key (`key`, or a new random one when
 * NULL), tried again with that key after a 502/503/504, a timeout or a
 * failed connection, at most CLI_WRITE_TRIES times within
 * CLI_WRITE_BUDGET_MS, with backoff; each retry is said on stderr.  The
 * server answers a repeated key with its first result, so a try whose
 * answer was lost is not done twice.  `what` names the action for the
 * messages ("the ticket was issued").  As cli_request otherwise;
 * CLI_EXIT_UNKNOWN when no try was answered, or the last answer was another
 * 5xx (a 500 may come after the write); the key is printed, to run the
 * command again with --idempotency-key.
 */
int cli_write(struct cli *c, const char *const *segs, const char *json, const char *key,
    const char *what, struct cli_reply *reply);

/*
 * A 2xx reply's body parsed as a JSON object; the caller frees it with
 * cJSON_Delete.  NULL (the problem printed) when it is not one.
 */
struct cJSON *cli_reply_json(const struct cli_reply *reply);

/* A reply's body to stdout as it came, ending with a newline (for --json:
 * what JSON tools expect). */
void cli_print_raw(const struct cli_reply *reply);

/*
 * GET segs?query: with raw (--json), the answer printed as it came;
 * otherwise its JSON object in *j, for the caller to cJSON_Delete.
 * CLI_EXIT_OK with *j NULL after printing raw; else as cli_request, and
 * CLI_EXIT_FAIL (*j NULL, the problem printed) for a body not JSON.
 */
int cli_get(struct cli *c, const char *const *segs, const char *query, int raw,
    struct cJSON **j);

/* Closes the connection, if any (at exit). */
void cli_close(struct cli *c);

#endif
