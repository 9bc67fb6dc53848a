/*
 * cmd_plan.c: antre plan [EVENT] [options] [--json]: the planner for the
 * day before (GET /v1/events/{ev}/plan): the desks each stage needs and
 * the chairs of a timed wait for a target of doses with waits within a
 * bound, as a table for an 80-column terminal.  The options become the
 * query as they are (the server checks them and says what is wrong);
 * `--json` prints the server's answer as it came.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "text_cells.h"

#define PLAN_QUERY_MAX 2048

enum { OPT_JSON = 256, OPT_TARGET, OPT_WAIT, OPT_OPEN, OPT_CLOSE, OPT_SERVICE,
	OPT_CURVE, OPT_NO_SHOW };

/* Each option and the query parameter it becomes. */
static const struct {
	int opt;
	const char *name, *param;
} plan_opts[] = {
	{ OPT_TARGET, "target", "target" },
	{ OPT_WAIT, "max-wait", "max_wait_min" },
	{ OPT_OPEN, "open", "open" },
	{ OPT_CLOSE, "close", "close" },
	{ OPT_SERVICE, "service", "service" },
	{ OPT_CURVE, "curve", "curve" },
	{ OPT_NO_SHOW, "no-show", "no_show_pct" },
};
#define NOPTS (sizeof plan_opts / sizeof plan_opts[0])

/* ---- the table -------------------------------------------------------------- */

static const char *source_word(const char *s)
{
	if (s == NULL)
		return "";
	if (strcmp(s, "measured") == 0 || strcmp(s, "earlier_days") == 0)
		return "terukur";
	if (strcmp(s, "given") == 0)
		return "diberikan";
	return strcmp(s, "typical") == 0 ? "hari biasa" : "bawaan";
}

/*   Tahap 18 | Layan 8 | Meja 5 | Maks 5 | Sibuk 6 | Tunggu p90 11 | Kursi 6 */
static void plan_row(FILE *out, const char *const v[7])
{
	static const int w[7] = { 18, 8, 5, 5, 6, 11, 6 };

	for (int i = 0; i < 7; i++) {
		if (i)
			fputc(' ', out);
		cells_put(out, v[i], w[i], i > 0);
	}
	fputc('\n', out);
}

static void stage_row(FILE *out, const struct plan_stage *s)
{
	char b[6][32];
	const char *v[7];

	v[0] = s->name[0] ? s->name : s->id;
	if (s->service_s >= 0)
		snprintf(b[0], sizeof b[0], "%lld d%s", s->service_s,
		    strcmp(s->service_source, "measured") == 0 ? "*" :
		    strcmp(s->service_source, "given") == 0 ? "+" : "");
	else
		snprintf(b[0], sizeof b[0], "%lld mnt", s->hold_minutes);
	v[1] = b[0];
	v[2] = cells_int(s->stations, b[1], sizeof b[1]);
	v[3] = cells_int(s->max_stations, b[2], sizeof b[2]);
	if (s->utilisation >= 0)
		snprintf(b[3], sizeof b[3], "%.0f%%", s->utilisation * 100);
	v[4] = s->utilisation >= 0 ? b[3] : "-";
	v[5] = s->p90_wait_s >= 0 ? cells_min(s->p90_wait_s, b[4], sizeof b[4]) : "-";
	if (s->p90_wait_s >= 0)
		strcat(b[4], " mnt");
	v[6] = cells_int(s->chairs, b[5], sizeof b[5]);
	plan_row(out, v);
}

static void plan_render(FILE *out, const struct plan *p)
{
	static const char *const head[7] = { "Tahap", "Layan", "Meja", "Maks", "Sibuk",
		"Tunggu p90", "Kursi" };
	char b[32];

	fprintf(out, "RENCANA %s  %s-%s\n", p->event, p->open, p->close);
	fprintf(out, "Target %lld dosis, tunggu (p90) paling lama %lld menit\n", p->target,
	    p->max_wait_min);
	fprintf(out, "Orang datang %lld (tidak hadir %s%%, %s), puncak %lld/jam\n", p->people,
	    cells_dec(p->no_show_pct, b, sizeof b), source_word(p->no_show_source),
	    p->peak_per_hour);
	fprintf(out, "Kedatangan per jam (%s):", source_word(p->curve.source));
	for (int h = 0; h < p->curve.nhours; h++)
		fprintf(out, "%s %lld", h ? "," : "", p->curve.per_hour[h]);
	fputs("\n\n", out);
	plan_row(out, head);
	for (int k = 0; k < p->nstages; k++)
		stage_row(out, &p->stages[k]);
	fputs("(Layan: detik, * terukur, + diberikan; Sibuk: di seperempat jam tersibuk;\n"
	    " Tunggu p90: di seperempat jam terburuk)\n\n", out);
	cells_wrap(out, p->summary, 0);
	if (!p->feasible)
		fputs("TIDAK CUKUP: tempat ini tidak dapat membuka meja sebanyak itu.\n", out);
}

/* ---- the command ------------------------------------------------------------- */

static int plan_show(struct cli *c, const char *query, int json)
{
	const char *segs[] = { "v1", "events", c->event, "plan", NULL };
	struct plan *p = NULL;
	cJSON *j = NULL;
	FILE *out;
	char *text, err[PROTO_ERR_MAX];
	size_t len;
	int rc;

	if ((rc = cli_get(c, segs, query[0] ? query : NULL, json, &j)) != CLI_EXIT_OK || json)
		return rc;
	rc = CLI_EXIT_FAIL;
	if ((p = malloc(sizeof *p)) == NULL)
		cli_warnx("out of memory");
	else if (proto_plan_decode(j, p, err) == -1)
		cli_warnx("the server's plan: %s", err);
	else if (cells_report_open(&out, &text, &len) == 0) {
		plan_render(out, p);
		rc = cells_report_close(out, &text, &len) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	free(p);
	cJSON_Delete(j);
	return rc;
}

static int plan_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct option longopts[NOPTS + 3] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
	};
	char query[PLAN_QUERY_MAX] = "";
	int ch, json = 0, rc;

	for (size_t i = 0; i < NOPTS; i++)
		longopts[2 + i] = (struct option){ plan_opts[i].name, required_argument, NULL,
		    plan_opts[i].opt };
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch == 'h') {
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		} else if (ch >= OPT_TARGET && ch <= OPT_NO_SHOW) {
			if (cli_query_add(query, sizeof query, plan_opts[ch - OPT_TARGET].param,
			    optarg) == -1)
				return cli_usage(cmd, "the options are too long");
		} else
			return cli_bad_option(cmd);
	}
	if (argc - optind > 1)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if (argc - optind == 1) {
		if (argv[optind][0] == '\0')
			return cli_usage(cmd, "an empty event id");
		c->event_opt = argv[optind];
	}
	if ((rc = cli_event(c)) != CLI_EXIT_OK)
		return rc;
	return plan_show(c, query, json);
}

const struct cli_cmd cmd_plan = {
	"plan", "",
	"[EVENT] [--target N] [--max-wait MIN] [OPTION...] [--json]",
	"desks and chairs for a day's target, the day before (organiser)",
	"The planner for the day before: how many desks each stage needs, and chairs\n"
	"in observation, so that the target is reached with the 90th percentile wait\n"
	"at every desk stage within the bound, by a queue model over the day's quarter\n"
	"hours.  It needs an organiser (or admin) token.  Every option is optional:\n"
	"the defaults are the event's (target, hours) and what its earlier days\n"
	"measured (service times, arrivals by hour, no-shows).\n"
	"\n"
	"Options:\n"
	"      --target N           doses wanted (1 to 100000)\n"
	"      --max-wait MIN       the p90 wait allowed, minutes (1 to 240; 15)\n"
	"      --open, --close HH:MM  the hours\n"
	"      --service STAGE:S,...  mean service seconds of desk stages (5 to 3600)\n"
	"      --curve A,B,...      relative arrivals per hour from opening, one a\n"
	"                           whole-or-part hour open (0 to 1000 each)\n"
	"      --no-show PCT        people who do not come when called (0 to 50)\n"
	"      --json               the server's answer as JSON, unchanged\n"
	"  -h, --help               this help\n"
	"\n"
	"Columns: Tahap (stage), Layan (mean service, seconds, or the timed wait's\n"
	"minutes; * measured, + given), Meja (desks needed), Maks (the most the site\n"
	"can open), Sibuk (desks busy at the busiest quarter hour), Tunggu p90 (the\n"
	"worst quarter hour's 90th percentile wait, minutes), Kursi (chairs).\n",
	plan_exec,
};
