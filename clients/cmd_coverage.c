/*
 * cmd_coverage.c: antre coverage [--level L] [--parent CODE] [--csv|--json]
 * and antre coverage --elderly [--limit N]: the campaign's coverage per area
 * (GET /v1/coverage, PROTOCOL.md "Coverage") as a table for an 80-column
 * terminal, in the server's order (never reached first, then the lowest
 * coverage), with the level's totals and what no area of the table claims;
 * or the elderly home-visit list (GET /v1/coverage/elderly).  --csv and
 * --json print the server's answer as it came.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "text_cells.h"

#define COV_QUERY_MAX 160

enum { OPT_LEVEL = 256, OPT_PARENT, OPT_CSV, OPT_JSON, OPT_ELDERLY, OPT_LIMIT };

static long long num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static const char *text(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* A coverage fraction as "12.3%", or "-" for null. */
static const char *pct(const cJSON *o, const char *name, char *buf, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v))
		return "-";
	snprintf(buf, size, "%.1f%%", v->valuedouble * 100);
	return buf;
}

/* Wilayah 22 | Target 7 | Dosis1 7 | %1 6 | Dosis2 7 | %2 6 | Tempo 5 | Lambat 6 */
static void cov_row(FILE *out, const char *const v[8])
{
	static const int w[8] = { 22, 7, 7, 6, 7, 6, 5, 6 };

	for (int i = 0; i < 8; i++) {
		if (i)
			fputc(' ', out);
		cells_put(out, v[i], w[i], i > 0);
	}
	fputc('\n', out);
}

static void area_row(FILE *out, const cJSON *a, const char *name)
{
	char b[7][32];
	const char *v[8] = {
		name,
		cells_int(num(a, "target"), b[0], sizeof b[0]),
		cells_int(num(a, "dose1"), b[1], sizeof b[1]),
		pct(a, "coverage_dose1", b[2], sizeof b[2]),
		cells_int(num(a, "dose2"), b[3], sizeof b[3]),
		pct(a, "coverage_dose2", b[4], sizeof b[4]),
		cells_int(num(a, "due_dose2"), b[5], sizeof b[5]),
		cells_int(num(a, "overdue_dose2"), b[6], sizeof b[6]),
	};

	cov_row(out, v);
}

static void coverage_render(FILE *out, const cJSON *j)
{
	static const char *const head[8] = { "Wilayah", "Target", "Dosis 1", "%1", "Dosis 2",
		"%2", "Tempo", "Lambat" };
	const cJSON *a, *u = cJSON_GetObjectItemCaseSensitive(j, "unmapped");

	fprintf(out, "CAKUPAN per %s, hari %s\n\n", text(j, "level"), text(j, "day"));
	cov_row(out, head);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(j, "areas"))
		area_row(out, a, text(a, "name"));
	area_row(out, cJSON_GetObjectItemCaseSensitive(j, "totals"), "Jumlah");
	fputs("(Tempo: dosis 2 jatuh tempo; Lambat: lewat 28 hari dari jatuh tempo)\n", out);
	if (num(u, "dose1") || num(u, "dose2") || num(u, "dose3"))
		fprintf(out, "Di luar tabel wilayah: dosis 1 %lld, dosis 2 %lld, booster %lld\n",
		    num(u, "dose1"), num(u, "dose2"), num(u, "dose3"));
}

/* RT 22 | Desa 16 | Kecamatan 16 | Target 6 | Sudah 6 | Kurang 6 */
static void elderly_render(FILE *out, const cJSON *j)
{
	static const int w[6] = { 22, 16, 16, 6, 6, 6 };
	static const char *const head[6] = { "RT", "Desa", "Kecamatan", "Target", "Sudah",
		"Kurang" };
	const cJSON *a;
	char b[3][32];

	fprintf(out, "KUNJUNGAN RUMAH LANSIA, hari %s\n\n", text(j, "day"));
	for (int i = 0; i < 6; i++) {
		fputs(i ? " " : "", out);
		cells_put(out, head[i], w[i], i > 2);
	}
	fputc('\n', out);
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(j, "areas")) {
		const char *v[6] = { text(a, "name"), text(a, "desa"), text(a, "kecamatan"),
			cells_int(num(a, "elderly_target"), b[0], sizeof b[0]),
			cells_int(num(a, "elderly_dose1"), b[1], sizeof b[1]),
			cells_int(num(a, "gap"), b[2], sizeof b[2]) };
		for (int i = 0; i < 6; i++) {
			fputs(i ? " " : "", out);
			cells_put(out, v[i], w[i], i > 2);
		}
		fputc('\n', out);
	}
}

static int coverage_show(struct cli *c, const char *query, int elderly, int raw)
{
	const char *segs[] = { "v1", "coverage", elderly ? "elderly" : NULL, NULL };
	cJSON *j;
	FILE *out;
	char *t;
	size_t len;
	int rc;

	if ((rc = cli_get(c, segs, query, raw, &j)) != CLI_EXIT_OK || raw)
		return rc;
	if (cells_report_open(&out, &t, &len) != 0) {
		cJSON_Delete(j);
		return CLI_EXIT_FAIL;
	}
	if (elderly)
		elderly_render(out, j);
	else
		coverage_render(out, j);
	cJSON_Delete(j);
	return cells_report_close(out, &t, &len) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* 1 for a word that needs no percent-encoding ([A-Za-z0-9._-], 1..32). */
static int word_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-");

	return n > 0 && n <= 32 && s[n] == '\0';
}

/* "&name=value" onto q (values are checked words: no encoding; q has room
 * for every parameter at its longest). */
static void param_add(char *q, size_t size, const char *name, const char *v)
{
	size_t n = strlen(q);

	snprintf(q + n, size - n, "%s%s=%s", n ? "&" : "", name, v);
}

static int coverage_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "parent", required_argument, NULL, OPT_PARENT },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "elderly", no_argument, NULL, OPT_ELDERLY },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *level = NULL, *parent = NULL;
	char query[COV_QUERY_MAX] = "";
	int ch, csv = 0, json = 0, elderly = 0, limit = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LEVEL: level = optarg; break;
		case OPT_PARENT: parent = optarg; break;
		case OPT_CSV: csv = 1; break;
		case OPT_JSON: json = 1; break;
		case OPT_ELDERLY: elderly = 1; break;
		case OPT_LIMIT:
			if (cli_parse_int(optarg, 1, 10000, &limit) == -1)
				return cli_usage(cmd, "--limit: 1 to 10000");
			break;
		case 'h': cli_cmd_help(stdout, cmd); return CLI_EXIT_OK;
		default: return cli_bad_option(cmd);
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if (csv && json)
		return cli_usage(cmd, "--csv or --json, not both");
	if ((level && !word_ok(level)) || (parent && !word_ok(parent)))
		return cli_usage(cmd, "a level or area code is 1 to 32 of A-Z a-z 0-9 . _ -");
	if (elderly && (level || parent))
		return cli_usage(cmd, "--elderly lists the lowest areas: no --level or --parent");
	if (csv)
		param_add(query, sizeof query, "format", "csv");
	if (level)
		param_add(query, sizeof query, "level", level);
	if (parent)
		param_add(query, sizeof query, "parent", parent);
	if (limit) {
		char n[16];
		snprintf(n, sizeof n, "%d", limit);
		param_add(query, sizeof query, "limit", n);
	}
	return coverage_show(c, query[0] ? query : NULL, elderly, csv || json);
}

const struct cli_cmd cmd_coverage = {
	"coverage", "",
	"[--level L] [--parent CODE] [--csv | --json] | --elderly [--limit N]",
	"the campaign's coverage per area, or the elderly home-visit list (organiser)",
	"The campaign's coverage over every day and event: per area of a level\n"
	"(kabupaten, kecamatan, desa (the default) or rt) its target, people with\n"
	"dose 1 and dose 2 and their share of the target, the people whose dose 2 is\n"
	"due or overdue; areas never reached first, then the lowest coverage.  The\n"
	"last row is the level's total; records in no area of the table follow.  It\n"
	"needs an organiser (or admin) token.\n"
	"\n"
	"Options:\n"
	"      --level L          kabupaten, kecamatan, desa or rt\n"
	"      --parent CODE      only the areas under that area\n"
	"      --csv              the server's CSV, unchanged (same rows and order)\n"
	"      --json             the server's answer as JSON, unchanged\n"
	"      --elderly          the lowest areas by elderly gap (target - dose 1),\n"
	"                         largest first, for home visits\n"
	"      --limit N          with --elderly: at most N rows (1 to 10000; 500)\n"
	"  -h, --help             this help\n"
	"\n"
	"Columns: Wilayah (area), Target, Dosis 1, %1 (dose 1 / target), Dosis 2, %2,\n"
	"Tempo (dose 2 due), Lambat (dose 2 overdue: 28 days past due or more).\n",
	coverage_exec,
};
