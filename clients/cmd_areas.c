/*
 * cmd_areas.c: the campaign's area table (PUT and GET /v1/areas).
 *   antre areas import FILE   the CSV file as the new table (admin): the
 *                             counts, or the line and reason of a refusal
 *   antre areas show [--q TEXT] [--level L] [--json]
 *                             the table, or a search of it, as a table
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "cli_http.h"
#include "text_cells.h"

#define AREAS_FILE_MAX (16 << 20)        /* more than any server takes */
#define AREAS_QUERY_MAX 512

/* The file whole into *text (NUL-terminated); CLI_EXIT_OK or a status. */
static int read_file(const char *path, char **text)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t len = 0, cap = 65536, n;
	char *buf = malloc(cap), *more;
	int rc = CLI_EXIT_FAIL;

	if (f == NULL) {
		cli_warnx("%s: cannot open it", path);
		free(buf);
		return CLI_EXIT_FAIL;
	}
	if (buf == NULL)
		goto oom;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0)
		if ((len += n) + 1 == cap) {
			if (cap > AREAS_FILE_MAX) {
				cli_warnx("%s: larger than 16 MiB", path);
				goto done;
			}
			if ((more = realloc(buf, cap *= 2)) == NULL)
				goto oom;
			buf = more;
		}
	buf[len] = '\0';
	/* the body goes as a C string: a NUL would cut it short unseen */
	if (memchr(buf, '\0', len) != NULL)
		cli_warnx("%s: has a NUL byte; an area file is text", path);
	else {
		*text = buf;
		buf = NULL;
		rc = CLI_EXIT_OK;
	}
	goto done;
oom:
	cli_warnx("out of memory");
done:
	free(buf);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int import_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const char *const segs[] = { "v1", "areas", NULL };
	struct cli_reply reply;
	cJSON *j, *lv;
	char *text;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_cmd_help(stdout, cmd);
		return CLI_EXIT_OK;
	}
	if (argc != 2)
		return cli_usage(cmd, "one FILE is needed");
	if ((rc = read_file(argv[1], &text)) != CLI_EXIT_OK)
		return rc;
	rc = cli_request(c, "PUT", segs, NULL, text, &reply);
	free(text);
	if (rc != CLI_EXIT_OK)
		return rc;
	j = cli_reply_json(&reply);
	cli_reply_free(&reply);
	if (j == NULL)
		return CLI_EXIT_FAIL;
	lv = cJSON_GetObjectItemCaseSensitive(j, "levels");
	printf("%d wilayah dimuat (versi %d): ", (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(j, "areas")), (int)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(j, "version")));
	for (const char *const *l = (const char *const[]){ "kabupaten", "kecamatan", "desa",
	    "rt", NULL }; *l; l++)
		printf("%s%s %d", strcmp(*l, "kabupaten") ? ", " : "", *l,
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(lv, *l)));
	printf("\n");
	cJSON_Delete(j);
	return CLI_EXIT_OK;
}

static const char *str_of(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return s ? s : "";
}

/*   Kode 20 | Tingkat 9 | Target 9 | Lansia 8 | Nama dan induk */
static void show_row(FILE *out, const char *const v[5])
{
	static const int w[4] = { 20, 9, 9, 8 };

	for (int i = 0; i < 4; i++) {
		cells_put(out, v[i], w[i], i >= 2);
		fputc(' ', out);
	}
	fprintf(out, " %s\n", v[4]);
}

static void show_table(FILE *out, const cJSON *j)
{
	static const char *const head[5] = { "Kode", "Tingkat", "Target", "Lansia",
		"Nama, induk" };
	const cJSON *it, *list = cJSON_GetObjectItemCaseSensitive(j, "areas");
	char t[2][32];

	if (cJSON_GetArraySize(list) == 0) {
		fprintf(out, "Tidak ada wilayah.\n");
		return;
	}
	show_row(out, head);
	cJSON_ArrayForEach(it, list) {
		const char *v[5] = { str_of(it, "code"), str_of(it, "level"),
			cells_int((long long)cJSON_GetNumberValue(
			    cJSON_GetObjectItemCaseSensitive(it, "target")), t[0], sizeof t[0]),
			cells_int((long long)cJSON_GetNumberValue(
			    cJSON_GetObjectItemCaseSensitive(it, "elderly_target")), t[1], sizeof t[1]),
			str_of(it, "label") };
		show_row(out, v);
	}
}

static int show_exec(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "q", required_argument, NULL, 'q' },
		{ "level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const segs[] = { "v1", "areas", NULL };
	char query[AREAS_QUERY_MAX] = "", *text;
	int ch, json = 0, rc;
	size_t len;
	FILE *out;
	cJSON *j;

	while ((ch = getopt_long(argc, argv, "q:h", longopts, NULL)) != -1) {
		if (ch == 'q' || ch == 'l') {
			if (cli_query_add(query, sizeof query, ch == 'q' ? "q" : "level", optarg) == -1)
				return cli_usage(cmd, "the options are too long");
		} else if (ch == 'j')
			json = 1;
		else if (ch == 'h') {
			cli_cmd_help(stdout, cmd);
			return CLI_EXIT_OK;
		} else
			return cli_bad_option(cmd);
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	if ((rc = cli_get(c, segs, query[0] ? query : NULL, json, &j)) != CLI_EXIT_OK || json)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (cells_report_open(&out, &text, &len) == 0) {
		show_table(out, j);
		rc = cells_report_close(out, &text, &len) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	cJSON_Delete(j);
	return rc;
}

const struct cli_cmd cmd_areas_import = {
	"areas", "import",
	"FILE",
	"load the area table from a CSV file (admin)",
	"Replaces the campaign's area table with FILE (\"-\" for standard input), a CSV\n"
	"file with the header code,name,parent,level,target,elderly_target and one\n"
	"area a line, parents before children (antre.1, PROTOCOL.md \"Areas\").  The\n"
	"server takes the whole file or nothing: a bad file is refused with the line\n"
	"and the reason, and the old table stays.  A header alone deletes the table.\n"
	"It needs an admin token.\n"
	"\n"
	"Options:\n"
	"  -h, --help         this help\n",
	import_exec,
};

const struct cli_cmd cmd_areas_show = {
	"areas", "show",
	"[--q TEXT] [--level LEVEL] [--json]",
	"the area table, or the areas whose name holds TEXT",
	"The campaign's area table as a table: code, level, target, elderly target,\n"
	"and the name with its parents' (\"RT 03, Sukamaju, Kec. Kibin\").  With --q,\n"
	"only the areas whose name or code holds TEXT (case ignored; at most 20).\n"
	"It needs a desk token or above.\n"
	"\n"
	"Options:\n"
	"  -q, --q TEXT       search the names and codes\n"
	"      --level LEVEL  only kabupaten, kecamatan, desa or rt\n"
	"      --json         the server's answer as JSON, unchanged\n"
	"  -h, --help         this help\n",
	show_exec,
};
