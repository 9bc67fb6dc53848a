/*
 * proto_json.h: the field readers and writers the codecs of protocol/
 * share (internal to protocol/; the public API is protocol.h).
 *
 * Readers check presence, type and range and, on failure, write
 * "context.field: reason" into err (PROTO_ERR_MAX bytes, may be NULL) and
 * return -1.  Optional fields may be absent or null; required ones must be
 * present and non-null.  Writers return 0, or -1 when out of memory (the
 * caller frees what it built).
 */
#ifndef ANTRE_PROTO_JSON_H
#define ANTRE_PROTO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum { PJ_OPTIONAL = 0, PJ_REQUIRED = 1 };

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int pj_fail(char *err, const char *ctx, const char *field, const char *fmt, ...);

/* The named member, or NULL when it is absent or null. */
const cJSON *pj_field(const cJSON *o, const char *name);

int pj_need_object(const cJSON *j, const char *ctx, char *err);
int pj_get_str(const cJSON *o, const char *ctx, const char *name, int req,
    char *dst, size_t size, char *err);
/* An integer >= min; `dflt` when optional and absent or null. */
int pj_get_int(const cJSON *o, const char *ctx, const char *name, int req,
    int min, int dflt, int *out, char *err);
/* The same for counts beyond an int (up to 2^53, exact in JSON). */
int pj_get_ll(const cJSON *o, const char *ctx, const char *name, int req,
    long long min, long long dflt, long long *out, char *err);
/* A finite number >= min; `dflt` when optional and absent or null. */
int pj_get_num(const cJSON *o, const char *ctx, const char *name, int req,
    double min, double dflt, double *out, char *err);
int pj_get_bool(const cJSON *o, const char *ctx, const char *name, int req,
    bool *out, char *err);
int pj_get_time(const cJSON *o, const char *ctx, const char *name, int req,
    int64_t *out, char *err);
/* An array of at most `max` entries; NULL (with *n = 0) when optional and absent. */
int pj_get_array(const cJSON *o, const char *ctx, const char *name, int req,
    int max, const cJSON **arr, int *n, char *err);

/* Decodes one element of an array into dst; 0 or -1 (with err). */
typedef int (*pj_decode_fn)(const cJSON *j, const char *ctx, void *dst, char *err);
struct pj_table;
/* Decodes every element of arr (from pj_get_array), each an object, into
 * base[0..], `size` bytes apart, naming each "ctx[i]" in errors: by fn, or
 * when fn is NULL by table t (below). */
int pj_decode_each(const cJSON *arr, const char *ctx, void *base, size_t size,
    pj_decode_fn fn, const struct pj_table *t, char *err);

/* Appends `item` (NULL when its encoder failed) to `arr`; frees it on failure. */
int pj_add_to_array(cJSON *arr, cJSON *item);
int pj_add_str(cJSON *o, const char *name, const char *s);
/* The string, or null when it is empty or NULL. */
int pj_add_opt_str(cJSON *o, const char *name, const char *s);
int pj_add_int(cJSON *o, const char *name, int v);
/* The number, or null when negative (-1 = unknown / not applicable). */
int pj_add_opt_int(cJSON *o, const char *name, int v);
int pj_add_ll(cJSON *o, const char *name, long long v);
int pj_add_opt_ll(cJSON *o, const char *name, long long v);
int pj_add_num(cJSON *o, const char *name, double v);
int pj_add_opt_num(cJSON *o, const char *name, double v);
int pj_add_bool(cJSON *o, const char *name, bool v);
int pj_add_time(cJSON *o, const char *name, int64_t ms, int off);
/* The time, or null when 0 (not set). */
int pj_add_opt_time(cJSON *o, const char *name, int64_t ms, int off);
int pj_clamp_count(int n, int max);

/* o when `failed` is 0, else NULL with o freed: the end of an encoder,
 * `return pj_finish(o, !o || pj_add_…(o, …) || …);`. */
cJSON *pj_finish(cJSON *o, int failed);

/*
 * A struct laid out once as a table of members, so that its encoder and
 * decoder cannot disagree: each row names a member, its kind and where it
 * is in the struct.  Integers are long long; "or null" kinds write null
 * for -1 (0 for a time, "" for a string) and read null back as that.
 */
enum pj_kind {
	PJ_STRING,                   /* char[size], required */
	PJ_STRING_OR_NULL,
	PJ_COUNT,                    /* >= 0, 0 when absent */
	PJ_COUNT_OR_NULL,
	PJ_SIGNED,                   /* any whole number */
	PJ_NUMBER,                   /* double >= 0 */
	PJ_NUMBER_OR_NULL,
	PJ_BOOL,
	PJ_TIME,                     /* int64_t ms, required */
	PJ_TIME_OR_NULL,
	PJ_OPEN_PAUSED,              /* enum station_state as "open" / "paused" */
	PJ_OBJECT,                   /* a nested struct with its own table, required */
};

struct pj_member {
	const char *name;
	enum pj_kind kind;
	size_t offset;
	size_t size;                 /* PJ_STRING*: the buffer */
	const struct pj_table *sub;  /* PJ_OBJECT */
};

struct pj_table {
	const struct pj_member *m;
	int n;
};

#define PJ_ROW(type, member, kind) \
	{ #member, kind, offsetof(type, member), sizeof(((type *)0)->member), NULL }
/* A member of a member (the JSON name is the inner one's). */
#define PJ_ROW_IN(type, outer, member, kind) \
	{ #member, kind, offsetof(type, outer.member), sizeof(((type *)0)->outer.member), NULL }
#define PJ_SUB(type, member, table) \
	{ #member, PJ_OBJECT, offsetof(type, member), 0, &(table) }
#define PJ_TABLE(rows) { rows, (int)(sizeof rows / sizeof rows[0]) }

/* Adds t's members of the struct at base to o; 0 or -1 (out of memory). */
int pj_encode_table(cJSON *o, const void *base, const struct pj_table *t, int off);
/* Reads t's members of object j into the struct at base; 0 or -1 (err). */
int pj_decode_table(const cJSON *j, const char *ctx, void *base,
    const struct pj_table *t, char *err);

/* "eta_range_s": [low, high] seconds or null (low < 0), of a ticket and of
 * a board stage (proto_ticket.c); the decoder sets -1s when absent. */
int proto_range_encode(cJSON *o, const int r[2]);
int proto_range_decode(const cJSON *j, const char *ctx, int r[2], char *err);

/* Decoders with the context named by the caller (a board's elements). */
int proto_station_decode_at(const cJSON *j, const char *ctx, void *station, char *err);
int proto_call_decode_at(const cJSON *j, const char *ctx, void *call, char *err);

#endif
