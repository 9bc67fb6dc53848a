/*
 * store_script.h: antre's Lua scripts (daemon/scripts/) as Redis sees them:
 * one Redis Functions library (Redis 7) embedded at build time by
 * tools/embed-scripts.sh, each script a function of it.  The library's
 * name carries its version (the start of its text's SHA-1), and so does
 * each function's (function names are global in Redis), so that two builds
 * of antred share a Redis without replacing each other's.  Here: the
 * scripts by name, the keys they get, the FCALL of a call, FUNCTION LOAD,
 * and what Redis's answers mean; store.c sends them.
 */
#ifndef ANTRE_STORE_SCRIPT_H
#define ANTRE_STORE_SCRIPT_H

#include <stddef.h>

#include <hiredis.h>
#include <async.h>

/*
 * A script (daemon/scripts/NAME.lua) and its two functions: fn, which may
 * write, and fn_ro, no-writes.  A read (reads_first: its file says
 * "--! no-writes") runs as fn_ro, so that it answers while Redis refuses
 * writes, and as fn when it must write after all (store_script_wants_write).
 * A write runs as fn, and as fn_ro when Redis refused fn before it ran
 * (store_script_refused): it then still answers what it refuses before its
 * first write (a duplicate, a replay), as a script without flags did.
 */
struct store_script {
	const char *name;
	const char *fn;
	const char *fn_ro;
	int reads_first;
};

/*
 * Every Redis key of an event is "antre:{EVENT}:SUFFIX": the braces put all
 * of an event's keys in one hash slot, so that one script may touch them
 * all (Redis Cluster).  The scripts get the prefix (suffix "") as KEYS[1]
 * and add their own names.  STORE_KEY_MAX fits every key antred builds (an
 * event id, and at most an Idempotency-Key record's "idem:" and 64 bytes).
 */
#define STORE_KEY_MAX 128

/* Writes the key into buf; its length, or -1 (and buf "") when it does
 * not fit in size bytes. */
int store_key(char *buf, size_t size, const char *event, const char *suffix);

/* The embedded script with that name; fatal at start if it is missing. */
const struct store_script *store_script_get(const char *name);

/* The library's name, "antre_VERSION", for the log. */
const char *store_script_library(void);

/*
 * The FCALL of a call as one block: store_script_size says how many bytes
 * (argc = 3 + nkeys + nargs pointers, as many lengths, then the bytes);
 * store_script_fill writes argv, argvlen and the bytes into a block of
 * that size (argv first).  args of arglens bytes, or strings when arglens
 * is NULL.  An event's context (args[0], a JSON object) is sent as its
 * reference (store_script_ctx_ref: _lib.lua keeps the contexts it has
 * decoded by it), a few bytes instead of hundreds; fill then returns the
 * context's text, kept in the block (NUL-terminated), for the resend that
 * a library without it asks for (store_script_no_context); else NULL.
 */
size_t store_script_size(const struct store_script *sc, int nkeys, const char **keys,
    int nargs, const char **args, const size_t *arglens);
const char *store_script_fill(void *block, const struct store_script *sc, int nkeys,
    const char **keys, int nargs, const char **args, const size_t *arglens);

/* A context's reference: "#" and the first 16 hex digits of the SHA-1 of
 * its len bytes of text (a hash of the text: daemons whose contexts for an
 * event differ, one of them reloaded, share the library's cache). */
#define STORE_CTX_REF_LEN 17
void store_script_ctx_ref(const char *text, size_t len, char ref[STORE_CTX_REF_LEN + 1]);

/* 1 when r says the library has no context of the call's reference (Redis
 * restarted or failed over, the library reloaded, the context evicted):
 * the call changed nothing, and goes again with the context's text. */
int store_script_no_context(const redisReply *r);

/* Sends FUNCTION LOAD of the library on ac (without REPLACE: a library of
 * that name is this very text).  0 when sent. */
int store_script_load(redisAsyncContext *ac, redisCallbackFn *cb, void *arg);

/* 1 when r says the library is there: loaded by this FUNCTION LOAD
 * (*fresh 1) or before (*fresh 0). */
int store_script_loaded(const redisReply *r, int *fresh);

/* A callback for store_script_load on a new connection (arg: the store's
 * name for the log): logs a load, and a refusal (an ACL without
 * function|load, a replica): a call whose function is missing tries again. */
void store_script_on_load(redisAsyncContext *ac, void *reply, void *privdata);

/* 1 when r says the function called is missing (the library must load). */
int store_script_missing(const redisReply *r);

/* 1 when r is a no-writes call's ask to run as the one that may write
 * (_lib.lua's need_write). */
int store_script_wants_write(const redisReply *r);

/* 1 when r is Redis refusing a function that may write before it runs:
 * out of memory (OOM), a failed save (MISCONF), too few replicas
 * (NOREPLICAS). */
int store_script_refused(const redisReply *r);

/* Calls cb with the reply of a write's no-writes run (r, never NULL), in
 * which Redis's first refusal (refused) stands for every error: the run's
 * own, or each error of a batch's (queue_batch.c), a request that came
 * to a write. */
void store_script_refusal_stands(const redisReply *r, const char *refused,
    void (*cb)(const redisReply *, void *), void *arg);

/* The function a call runs first. */
const char *store_script_first(const struct store_script *sc);

/* 1 for error replies that mean "Redis cannot take writes now" (MISCONF,
 * OOM, READONLY, LOADING, MASTERDOWN, BUSY), which callers turn into 503. */
int store_reply_unavailable(const redisReply *r);

/* 1 when r means the node is no longer a writable master (READONLY,
 * LOADING, MASTERDOWN): behind sentinels, ask them again. */
int store_reply_demoted(const redisReply *r);

/* 1 when r is an error whose code is one of the n codes. */
int store_reply_in(const redisReply *r, const char *const *codes, size_t ncodes);

#endif
