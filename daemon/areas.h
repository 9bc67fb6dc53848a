/*
 * areas.h: the campaign's area table (kabupaten > kecamatan > desa > RT,
 * with targets): the CSV file an admin uploads read strictly into rows,
 * refusing a bad file whole with its line and the reason; the rows as the
 * JSON values Redis keeps (antre:{campaign}:areas), and the table as the
 * daemon holds it to search (a copy, keyed by the table's version: Redis
 * stays the source of truth).  Pure: no I/O, no Redis.
 */
#ifndef ANTRE_AREAS_H
#define ANTRE_AREAS_H

#include <stddef.h>

#define AREA_CODE_MAX 32                 /* bytes of [A-Za-z0-9._-] */
#define AREA_NAME_MAX 80                 /* bytes of printable UTF-8 */
#define AREA_TARGET_MAX 1000000000LL     /* a target is 0 .. this */
#define AREA_REASON_MAX 160
#define AREA_LABEL_MAX (4 * (AREA_NAME_MAX + 2))

enum area_level { AREA_KABUPATEN, AREA_KECAMATAN, AREA_DESA, AREA_RT, AREA_NLEVELS };

struct area {
	char code[AREA_CODE_MAX + 1];
	char name[AREA_NAME_MAX + 1];
	char parent[AREA_CODE_MAX + 1];  /* "" for a root */
	enum area_level level;
	long long target, elderly_target;
	long parent_index;               /* into the table's rows, -1 for a root */
};

/* A table: rows in file order (parents before children once linked), and
 * an index of the codes (open addressing). */
struct area_table {
	struct area *rows;
	size_t n, cap;
	long *slots;                     /* row index + 1, 0 = empty */
	size_t nslots;                   /* a power of two, or 0 */
	long long version;               /* the Redis version it was read at */
};

/* Where and why a file was refused: line from 1, reason without the line. */
struct area_error {
	int line;
	char reason[AREA_REASON_MAX];
};

/* "kabupaten" … "rt"; NULL for a value out of the enum. */
const char *area_level_name(enum area_level l);
/* The level of a name, or -1. */
int area_level_parse(const char *s);

/*
 * Parses an area file (text of len bytes, no NUL needed): the header
 * "code,name,parent,level,target,elderly_target", then one row a line (see
 * PROTOCOL.md, "Areas").  0 with *t filled (the caller frees it with
 * areas_free), or -1 with err set and *t empty: more than max_rows rows,
 * or any bad line, refuses the whole file.
 */
int areas_parse(const char *text, size_t len, size_t max_rows, struct area_table *t,
    struct area_error *err);

/* Frees the table's memory and leaves it empty (version 0). */
void areas_free(struct area_table *t);

/* Adds a copy of a (parent_index not yet set); 0, or -1 when its code is
 * already there.  Out of memory is fatal. */
int areas_add(struct area_table *t, const struct area *a);
/* Sets every row's parent_index from its parent code; 0, or -1 when a
 * parent is missing (a table read back that another writer spoilt). */
int areas_link(struct area_table *t);
/* The row with that code, or -1. */
long areas_find(const struct area_table *t, const char *code);

/* The NIK region a kecamatan's code stands for: its code with the dots
 * removed, when that is 6 digits (out: 7 bytes); 0, or -1 when it is not. */
int area_region(const struct area *a, char *out);

/* One row as the JSON object Redis keeps ({"code","name","parent","level",
 * "target","elderly_target"}); malloc'd text, NULL when out of memory. */
char *area_to_json(const struct area *a);
/* The reverse, strictly (the same checks as the file's); 0 or -1. */
int area_from_json(const char *text, size_t len, struct area *a);

/*
 * Rows of that level (-1: any) that q finds, ASCII letters compared
 * without case, at most limit of them into out (row indexes): first those
 * whose name or code begins with q, then those with every word of q in
 * their label (areas_label: "rt 03 kibin"), or q in their code; each group in table
 * order.  An empty q finds every row.  The count.
 */
size_t areas_search(const struct area_table *t, const char *q, int level, size_t limit,
    long *out);

/* "RT 03, Sukamaju, Kec. Serang": the row's name and its ancestors' up to,
 * not including, a kabupaten (which one table rarely has two of); the
 * names that fit in size, each whole. */
void areas_label(const struct area_table *t, long i, char *buf, size_t size);

#endif
