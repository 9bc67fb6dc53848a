/*
 * coverage.h: the campaign's coverage, computed (pure: no I/O).
 *
 * Input is what scripts/coverage_read.lua returns: the area table's rows
 * (antre:{campaign}:areas values), the dose counts (cov:n, fields
 * "AREA|d1".."AREA|e1") and the dose-2 due days per area (cov:due2 read as
 * [area, day, count] triples).  Output: per area its own counts plus every
 * descendant's (RT -> desa -> kecamatan -> kabupaten), a level's rows in the
 * contract's order, their totals, and what no area of the table claims
 * ("unmapped").  PROTOCOL.md, "Coverage", is the reference.
 */
#ifndef ANTRE_COVERAGE_H
#define ANTRE_COVERAGE_H

#include <stddef.h>

struct cJSON;

#define COV_CODE_MAX 32
#define COV_NAME_MAX 80
/* the most rows the table may hold (areas14 refuses more); a bigger read is
 * refused whole rather than cut */
#define COV_AREAS_MAX 100000

enum cov_level { COV_KABUPATEN, COV_KECAMATAN, COV_DESA, COV_RT, COV_NLEVELS };

/* the figures counted per area; the order of the columns too */
enum cov_fig { COV_DOSE1, COV_DOSE2, COV_DOSE3, COV_ELDERLY1, COV_DUE2,
	COV_OVERDUE2, COV_NFIGS };

struct cov_area {
	char code[COV_CODE_MAX + 1];
	char name[COV_NAME_MAX + 1];
	char parent[COV_CODE_MAX + 1];
	enum cov_level level;
	long long target, elderly_target;
	long long own[COV_NFIGS];        /* recorded on this very code */
	long long fig[COV_NFIGS];        /* own plus every descendant's */
	int up;                          /* index of the parent row, or -1 */
	int leaf;                        /* no row names it as parent */
};

struct coverage {
	struct cov_area *areas;          /* sorted by code */
	int n;
	long long unmapped[COV_NFIGS];   /* counts on codes not in the table */
	int bad_rows;                    /* table values that did not decode */
	int geometry;                    /* boundaries uploaded (the map's) */
	long long day;                   /* D: days since 1970-01-01, local */
};

/* "kabupaten".."rt" -> level, or -1. */
int coverage_level_parse(const char *s);
const char *coverage_level_name(enum cov_level l);

/* 1 for a well-formed area code (1..32 bytes of [A-Za-z0-9._-]). */
int coverage_code_ok(const char *s);

/*
 * Reads the script's result {"areas": [row JSON text…], "n": [field, count,
 * …], "due": [[area, day, count]…], "geometry": bool (optional)} into c, classifying each due day against
 * day (due when due <= day < due + overdue_after, overdue from due +
 * overdue_after on) and rolling every count up the tree.  0, or -1 when the
 * result is not of that shape (c is then empty).  Free with coverage_free.
 */
int coverage_build(const struct cJSON *result, long long day, int overdue_after,
    struct coverage *c);
void coverage_free(struct coverage *c);

/* The row of that code, or -1. */
int coverage_find(const struct coverage *c, const char *code);

/*
 * The rows of a level (those with the row `under` among their ancestors,
 * when under >= 0) in the contract's order: never reached (dose1 0) first,
 * then coverage_dose1 ascending (no target last), then code.  Writes their
 * indices to rows (room for c->n) and returns how many.
 */
int coverage_select(const struct coverage *c, enum cov_level level, int under,
    int *rows);

/* The answer of GET /v1/coverage for those rows: {"level","day","areas",
 * "totals","unmapped","geometry"}; NULL when out of memory. */
struct cJSON *coverage_json(const struct coverage *c, enum cov_level level,
    const int *rows, int n);

/*
 * The elderly list: the leaves (rows no row names as parent: RTs, or the
 * lowest level the table has) by elderly gap (elderly_target -
 * elderly_dose1, never below 0) descending, then code; at most limit.
 * Writes their indices to rows (room for c->n); returns how many.
 */
int coverage_elderly(const struct coverage *c, int limit, int *rows);
/* {"day","areas":[{code,name,desa,kecamatan,elderly_target,elderly_dose1,gap}]} */
struct cJSON *coverage_elderly_json(const struct coverage *c, const int *rows, int n);

/* The members of one row of "areas" (and of the elderly list's), in order:
 * the CSV's columns, so that the CSV and the JSON cannot disagree.  NULL
 * ends each list. */
extern const char *const coverage_columns[];
extern const char *const coverage_elderly_columns[];

/* A fraction dose/target rounded to 4 places, or -1 when target is 0. */
double coverage_fraction(long long dose, long long target);

#endif
