/* store_script.c: the scripts' Redis Functions library, and FCALL. */
#include "store_script.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "log.h"

/* tools/embed-scripts.sh: the library's text, its name, its scripts */
extern const char store_library[];
extern const char store_library_name[];
extern const struct store_script store_scripts[];

const struct store_script *store_script_get(const char *name)
{
	for (const struct store_script *sc = store_scripts; sc->name; sc++)
		if (strcmp(sc->name, name) == 0)
			return sc;
	/* unreachable from outside: callers pass literal names, all embedded
	 * at build time (a missing one fails the first request of its kind) */
	fatalx("no embedded script named %s", name);
}

int store_key(char *buf, size_t size, const char *event, const char *suffix)
{
	int n = snprintf(buf, size, "antre:{%s}:%s", event, suffix);

	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return n;
}

const char *store_script_first(const struct store_script *sc)
{
	return sc->reads_first ? sc->fn_ro : sc->fn;
}

const char *store_script_library(void)
{
	return store_library_name;
}

/* Argument i of the FCALL (i < 3: "FCALL", the function, nkeys), its length. */
static const char *arg_at(int i, const char *const head[3], int nkeys, const char **keys,
    const char **args, const size_t *arglens, size_t *len)
{
	const char *a = i < 3 ? head[i] : i < 3 + nkeys ? keys[i - 3] : args[i - 3 - nkeys];

	*len = i >= 3 + nkeys && arglens ? arglens[i - 3 - nkeys] : strlen(a);
	return a;
}

/* 1 when args[0] is an event's context (a JSON object), sent as its
 * reference. */
static int has_context(int nargs, const char **args)
{
	return nargs > 0 && args[0][0] == '{';
}

/*
 * The reference of a context: "#" and the first 16 hex digits of its
 * text's SHA-1 (_lib.lua's context() computes the same from the text).  A
 * daemon sends a few contexts, each unchanged until its event file is
 * reloaded: the last few are kept with their reference (by their text,
 * compared whole), so that a call does not hash it again.
 */
#define REF_MEMO 8
static struct {
	char *text;
	size_t len;
	char ref[STORE_CTX_REF_LEN + 1];
} memo[REF_MEMO];

void store_script_ctx_ref(const char *text, size_t len, char ref[STORE_CTX_REF_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t slot = ((uintptr_t)text >> 4) % REF_MEMO;

	if (memo[slot].text && memo[slot].len == len && memcmp(memo[slot].text, text, len) == 0) {
		memcpy(ref, memo[slot].ref, STORE_CTX_REF_LEN + 1);
		return;
	}
	if (EVP_Digest(text, len, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen < 8)
		/* a context is antred's text of an event file, never a
		 * request's, and SHA-1 takes any bytes: only an OpenSSL
		 * without SHA-1 (not a build we make) or out of memory ends
		 * here */
		fatalx("SHA-1 of a context");
	ref[0] = '#';
	for (int i = 0; i < (STORE_CTX_REF_LEN - 1) / 2; i++) {
		ref[1 + 2 * i] = hex[md[i] >> 4];
		ref[2 + 2 * i] = hex[md[i] & 15];
	}
	ref[STORE_CTX_REF_LEN] = '\0';
	free(memo[slot].text);
	if ((memo[slot].text = malloc(len)) == NULL)
		fatal("malloc");   /* OOM only: a context of a loaded event, at most REF_MEMO kept */
	memcpy(memo[slot].text, text, len);
	memo[slot].len = len;
	memcpy(memo[slot].ref, ref, STORE_CTX_REF_LEN + 1);
}

size_t store_script_size(const struct store_script *sc, int nkeys, const char **keys,
    int nargs, const char **args, const size_t *arglens)
{
	char nk[16];
	const char *head[3] = { "FCALL", store_script_first(sc), nk };
	int argc = 3 + nkeys + nargs;
	size_t total = (size_t)argc * (sizeof(char *) + sizeof(size_t)), len;

	snprintf(nk, sizeof nk, "%d", nkeys);
	/* Any number of arguments (callers bound their batches). */
	for (int i = 0; i < argc; i++) {
		arg_at(i, head, nkeys, keys, args, arglens, &len);
		total += len + 1;
	}
	return total + (has_context(nargs, args) ? STORE_CTX_REF_LEN + 1 : 0);
}

const char *store_script_fill(void *block, const struct store_script *sc, int nkeys,
    const char **keys, int nargs, const char **args, const size_t *arglens)
{
	char nk[16];
	const char *head[3] = { "FCALL", store_script_first(sc), nk };
	int argc = 3 + nkeys + nargs;
	char **argv = block;
	size_t *argvlen = (size_t *)(argv + argc);
	char *p = (char *)(argvlen + argc), *text;

	snprintf(nk, sizeof nk, "%d", nkeys);
	for (int i = 0; i < argc; i++) {
		const char *from = arg_at(i, head, nkeys, keys, args, arglens, &argvlen[i]);
		memcpy(p, from, argvlen[i]);
		p[argvlen[i]] = '\0';
		argv[i] = p;
		p += argvlen[i] + 1;
	}
	if (!has_context(nargs, args))
		return NULL;
	/* the context goes as its reference; its text stays for the resend */
	text = argv[3 + nkeys];
	store_script_ctx_ref(text, argvlen[3 + nkeys], p);
	argv[3 + nkeys] = p;
	argvlen[3 + nkeys] = STORE_CTX_REF_LEN;
	return text;
}

int store_script_load(redisAsyncContext *ac, redisCallbackFn *cb, void *arg)
{
	const char *argv[3] = { "FUNCTION", "LOAD", store_library };
	size_t argvlen[3] = { 8, 4, strlen(store_library) };

	return redisAsyncCommandArgv(ac, cb, arg, 3, argv, argvlen) == REDIS_OK ? 0 : -1;
}

/* 1 when r is an error reply that begins with text. */
static int reply_starts(const redisReply *r, const char *text)
{
	return r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, text, strlen(text)) == 0;
}

int store_script_loaded(const redisReply *r, int *fresh)
{
	*fresh = r && r->type == REDIS_REPLY_STRING && strcmp(r->str, store_library_name) == 0;
	return *fresh || (reply_starts(r, "ERR Library") && strstr(r->str, "already exists"));
}

void store_script_on_load(redisAsyncContext *ac, void *reply, void *privdata)
{
	const char *name = privdata;
	redisReply *r = reply;
	int fresh;

	(void)ac;
	if (r == NULL || (store_script_loaded(r, &fresh) && !fresh))
		return;
	if (fresh)
		log_info("%s: library %s loaded", name, store_library_name);
	else
		log_warnx("%s: cannot load library %s: %s", name, store_library_name,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
}

int store_script_missing(const redisReply *r)
{
	return reply_starts(r, "ERR Function not found");
}

int store_script_no_context(const redisReply *r)
{
	return reply_starts(r, "ANTRE_NOCTX ");
}

int store_script_wants_write(const redisReply *r)
{
	return reply_starts(r, "ANTRE_WRITE ");
}

int store_script_refused(const redisReply *r)
{
	static const char *const codes[] = { "OOM", "MISCONF", "NOREPLICAS" };

	return store_reply_in(r, codes, sizeof codes / sizeof codes[0]);
}

int store_reply_in(const redisReply *r, const char *const *codes, size_t ncodes)
{
	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return 0;
	for (size_t i = 0; i < ncodes; i++) {
		size_t n = strlen(codes[i]);
		if (strncmp(r->str, codes[i], n) == 0 && (r->str[n] == ' ' || r->str[n] == '\0'))
			return 1;
	}
	return 0;
}

int store_reply_unavailable(const redisReply *r)
{
	static const char *const codes[] = { "MISCONF", "OOM", "READONLY",
		"LOADING", "MASTERDOWN", "BUSY", "NOREPLICAS", "CLUSTERDOWN" };

	return r == NULL || store_reply_in(r, codes, sizeof codes / sizeof codes[0]);
}

int store_reply_demoted(const redisReply *r)
{
	static const char *const codes[] = { "READONLY", "LOADING", "MASTERDOWN" };

	return store_reply_in(r, codes, sizeof codes / sizeof codes[0]);
}

void store_script_refusal_stands(const redisReply *r, const char *refused,
    void (*cb)(const redisReply *, void *), void *arg)
{
	redisReply was = { .type = REDIS_REPLY_ERROR, .str = (char *)refused,
		.len = strlen(refused) }, copy = *r;
	redisReply **el;

	if (r->type == REDIS_REPLY_ERROR) {
		cb(&was, arg);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		cb(r, arg);
		return;
	}
	/* at most a batch's length: a copy whose errors are the refusal */
	if ((el = calloc(r->elements, sizeof *el)) == NULL)
		fatal("calloc");   /* OOM only: a pointer for each element hiredis already holds */
	for (size_t i = 0; i < r->elements; i++)
		el[i] = r->element[i]->type == REDIS_REPLY_ERROR ? &was : r->element[i];
	copy.element = el;
	cb(&copy, arg);
	free(el);
}
