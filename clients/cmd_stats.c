/*
 * cmd_stats.c: antre stats [EVENT] [--json] [--all]: the organisers'
 * figures in a terminal.
 *
 * One event's figures (GET /v1/events/{ev}/stats) are decoded into struct
 * stats (proto_stats_decode) and laid out by stats_render.c.  The event's
 * definition (GET /v1/events/{ev}, public) only adds names (of the event,
 * services, stages' timed waits) and the hours; without it the ids are
 * shown.  `--all` is the roll-up of every event (GET /v1/stats).
 * `--json` prints the server's answer as it came.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "stats_render.h"
#include "text_cells.h"

enum { OPT_JSON = 256, OPT_ALL };

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static const char *str_of(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(member(o, name));
}

/* A number member, 0 when absent or null. */
static double num(const cJSON *o, const char *name)
{
	const cJSON *j = member(o, name);

	return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

/* A whole number member, or "-" when absent or null. */
static const char *fmt_int(const cJSON *j, char *buf, size_t size)
{
	if (!cJSON_IsNumber(j))
		return "-";
	snprintf(buf, size, "%.0f", j->valuedouble);
	return buf;
}

/* ---- fetching ------------------------------------------------------------ */

/*
 * The event's definition, for names and hours: GET /v1/events/{ev}.  It is
 * only decoration, so a failure is silent (the ids are shown).  Called
 * after the figures came, so the connection is open.  *j is the caller's.
 */
static void info_fetch(struct cli *c, struct stats_info *in, cJSON **j)
{
	const char *segs[] = { "v1", "events", c->event, NULL };
	const cJSON *hours;
	struct cli_reply reply;
	char path[CLI_HTTP_PATH_MAX];

	in->ev = NULL;
	in->open_min = in->close_min = -1;
	*j = NULL;
	if (c->http == NULL || cli_http_path(path, sizeof path, segs, NULL) == -1 ||
	    cli_http_request(c->http, "GET", path, NULL, &reply) == -1)
		return;
	if (reply.status == 200 && reply.body)
		*j = cJSON_ParseWithLength(reply.body, reply.len);
	cli_reply_free(&reply);
	in->ev = member(*j, "event");
	if (!cJSON_IsObject(in->ev)) {
		in->ev = NULL;
		return;
	}
	hours = member(in->ev, "hours");
	in->open_min = cells_minutes_of(str_of(hours, "open"));
	in->close_min = cells_minutes_of(str_of(hours, "close"));
	if (in->open_min < 0 || in->close_min < 0)
		in->open_min = in->close_min = -1;
}

/* After a failure without a token: what is missing (also when the server
 * could not be reached: it will be needed). */
static int token_hint(const struct cli *c, int rc)
{
	if (rc == CLI_EXIT_FAIL && c->token == NULL)
		cli_warnx("no token given: the figures need an organiser (or admin) token, "
		    "with -t TOKEN or ANTRE_TOKEN");
	return rc;
}

/*
 * GET `segs` (NULL-ended): with --json the answer printed as it came (and
 * *j NULL), else parsed into *j, which the caller frees.  CLI_EXIT_OK, or
 * an exit status with the problem printed (and *j NULL).
 */
static int stats_get(struct cli *c, const char *const *segs, int json, cJSON **j)
{
	struct cli_reply reply;
	int rc;

	*j = NULL;
	if ((rc = cli_request(c, "GET", segs, NULL, NULL, &reply)) != CLI_EXIT_OK)
		return token_hint(c, rc);
	if (json)
		cli_print_raw(&reply);
	else if ((*j = cli_reply_json(&reply)) == NULL)
		rc = CLI_EXIT_FAIL;
	cli_reply_free(&reply);
	return rc;
}

static int stats_one(struct cli *c, int json)
{
	struct stats_info in;
	struct stats *s = NULL;
	cJSON *j = NULL, *ij = NULL;
	FILE *out;
	char *text, err[PROTO_ERR_MAX];
	size_t len;
	int rc;

	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;

	const char *segs[] = { "v1", "events", c->event, "stats", NULL };

	if ((rc = stats_get(c, segs, json, &j)) != CLI_EXIT_OK || json)
		return rc;
	rc = CLI_EXIT_FAIL;
	if ((s = malloc(sizeof *s)) == NULL) {
		cli_warnx("out of memory");
		goto done;
	}
	if (proto_stats_decode(j, s, err) == -1) {
		cli_warnx("the server's figures: %s", err);
		goto done;
	}
	info_fetch(c, &in, &ij);
	if (cells_report_open(&out, &text, &len) == -1)
		goto done;
	stats_render(out, s, &in, cli_utc_offset(str_of(j, "at")));
	if (cells_report_close(out, &text, &len) == 0)
		rc = CLI_EXIT_OK;
done:
	if (s)
		proto_stats_free(s);
	free(s);
	cJSON_Delete(ij);
	cJSON_Delete(j);
	return rc;
}

/*
 * The roll-up: one line an event.
 *   id + name 31 | dosis 7 | target 7 | perkiraan 9 | selisih 7 | menunggu 8
 */
static void rollup_row(FILE *out, int idw, const char *id, const char *name,
    const char *const v[5])
{
	static const int w[5] = { 7, 7, 9, 7, 8 };

	cells_put(out, id, idw, 0);
	fputc(' ', out);
	cells_put(out, name, 31 - idw - 1, 0);
	for (int i = 0; i < 5; i++) {
		fputc(' ', out);
		cells_put(out, v[i], w[i], 1);
	}
	fputc('\n', out);
}

static int stats_all(struct cli *c, int json)
{
	static const char *const segs[] = { "v1", "stats", NULL };
	static const char *const head[5] = { "Dosis", "Target", "Perkiraan", "Selisih",
		"Menunggu" };
	const cJSON *events, *e;
	cJSON *j = NULL;
	FILE *out;
	char *text;
	size_t len;
	double sum[5] = { 0 };
	int rc, idw = 8, n = 0;
	char b[5][32];

	if ((rc = stats_get(c, segs, json, &j)) != CLI_EXIT_OK || json)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (!cJSON_IsArray(events = member(j, "events"))) {
		cli_warnx("the server's roll-up has no \"events\" array");
		goto done;
	}
	cJSON_ArrayForEach(e, events) {
		const char *id = str_of(e, "event");
		int w = id ? cells_width(id) : 0;

		if (w > idw)
			idw = w;
	}
	if (idw > 14)
		idw = 14;
	if (cells_report_open(&out, &text, &len) == -1)
		goto done;
	fputs("SEMUA KEGIATAN HARI INI\n", out);
	rollup_row(out, idw, "Kegiatan", "", head);
	cJSON_ArrayForEach(e, events) {
		static const char *const keys[5] = { "doses", "target", "expected_at_close",
			"margin", "waiting" };
		const char *v[5];

		if (!cJSON_IsObject(e))     /* an event whose figures failed */
			continue;
		for (int i = 0; i < 5; i++) {
			v[i] = fmt_int(member(e, keys[i]), b[i], sizeof b[i]);
			sum[i] += num(e, keys[i]);
		}
		if (num(e, "margin") > 0) {
			snprintf(b[3], sizeof b[3], "+%.0f", num(e, "margin"));
			v[3] = b[3];
		}
		rollup_row(out, idw, str_of(e, "event"), str_of(e, "name"), v);
		n++;
	}
	if (n == 0) {
		fputs("  tidak ada kegiatan\n", out);
	} else if (n > 1) {
		const char *v[5];
		char name[48];

		for (int i = 0; i < 5; i++) {
			snprintf(b[i], sizeof b[i], i == 3 && sum[i] > 0 ? "+%.0f" : "%.0f", sum[i]);
			v[i] = b[i];
		}
		snprintf(name, sizeof name, "Jumlah %d kegiatan", n);
		rollup_row(out, idw, "", name, v);
	}
	if (cells_report_close(out, &text, &len) == 0)
		rc = CLI_EXIT_OK;
done:
	cJSON_Delete(j);
	return rc;
}

/* ---- the command --------------------------------------------------------- */

static int stats_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, json = 0, all = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = 1; break;
		case OPT_ALL: all = 1; break;
		case 'h':
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		default:
			return cli_bad_option(cmd);
		}
	}
	if (argc - optind > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (all && argc - optind == 1)
		return cli_usage(cmd, "--all shows every event: no EVENT with it");
	if (argc - optind == 1) {
		if (argv[optind][0] == '\0')
			return cli_usage(cmd, "an empty event id");
		c->event_opt = argv[optind];
	}
	return all ? stats_all(c, json) : stats_one(c, json);
}

const struct cli_cmd cmd_stats = {
	"stats", "",
	"[EVENT] [--json] | --all [--json]",
	"today's figures of an event, or of every event (organiser)",
	"Today's figures, as the organisers' web dashboard shows them, for an\n"
	"80-column terminal.  It needs an organiser (or admin) token: -t TOKEN before\n"
	"'stats', or ANTRE_TOKEN.  EVENT (or -e EVENT) is needed when the server has\n"
	"several events.\n"
	"\n"
	"Options:\n"
	"      --json   the server's answer as JSON, unchanged (for scripts)\n"
	"      --all    every event of the server side by side, one line each\n"
	"  -h, --help   this help\n"
	"\n"
	"Labels: Dosis hari ini (doses today / target), Tiket diterbitkan (tickets\n"
	"issued), menunggu (waiting), ditunda / ditolak (deferred / refused), tidak\n"
	"hadir (no-shows), Perkiraan saat tutup (expected at closing; kurang / lebih:\n"
	"short of / over the target), Target tercapai (when the target is reached at\n"
	"the current rate), Kecepatan (doses an hour; of the last 30 and 60 minutes),\n"
	"Sisa waktu layanan (time left until closing).\n"
	"Stages and desks (Tahap, Meja), times in minutes: Menunggu (waiting now),\n"
	"Dilayani (served today), Tunggu rata2 / p90 (average and 90th percentile\n"
	"wait), Layan rata2 (average service), /jam 15mnt, 60mnt (completed an hour,\n"
	"over the last 15 and 60 minutes), Meja buka (desks open / desks; buka open,\n"
	"jeda paused), Kapasitas/jam (what the open desks complete an hour),\n"
	"kedatangan (arrivals an hour), terakhir memanggil (last call).\n"
	"Hambatan (the bottleneck) and Saran (the recommendation), Meja menganggur\n"
	"(idle desks while people wait), Dosis per wilayah (doses by area, the first\n"
	"10), per layanan / prioritas (by service / priority: tickets, doses), Dosis\n"
	"per 15 menit (doses per quarter hour, an hour a line).\n"
	"With --all: Dosis, Target, Perkiraan (expected at closing), Selisih (that\n"
	"less the target), Menunggu (waiting now).\n"
	"Times are the event's local time.\n",
	stats_exec,
};
