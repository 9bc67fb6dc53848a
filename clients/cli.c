/* cli.c: the antre commands' shared context: requests, errors, the event,
 * and the small helpers every command uses. */
#include "cli.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "cli_http.h"

static void vwarnx(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* "antre: " + the message + newline, to stderr, after what stdout holds. */
static void vwarnx(const char *fmt, va_list ap)
{
	fflush(stdout);         /* keep stdout and stderr in order on a terminal */
	fputs("antre: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

const char *cli_cmd_name(const struct cli_cmd *cmd, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", cmd->group, cmd->name[0] ? " " : "", cmd->name);
	return buf;
}

int cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	char name[64];

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	if (cmd) {
		cli_cmd_name(cmd, name, sizeof name);
		fprintf(stderr, "Usage: antre %s %s\nTry 'antre %s --help'.\n", name,
		    cmd->synopsis, name);
	} else
		fputs("Try 'antre --help'.\n", stderr);
	return CLI_EXIT_USAGE;
}

void cli_cmd_help(FILE *fp, const struct cli_cmd *cmd)
{
	char name[64];

	fprintf(fp, "Usage: antre [-u URL] [-t TOKEN] [-e EVENT] %s %s\n\n%s.\n\n%s",
	    cli_cmd_name(cmd, name, sizeof name), cmd->synopsis, cmd->summary, cmd->help);
}

int cli_bad_option(const struct cli_cmd *cmd)
{
	char name[64];

	fprintf(stderr, "Try 'antre %s --help'.\n", cli_cmd_name(cmd, name, sizeof name));
	return CLI_EXIT_USAGE;
}

int cli_parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int cli_utc_offset(const char *rfc3339)
{
	const char *t = rfc3339 ? strchr(rfc3339, 'T') : NULL;
	const char *sign;
	int hh, mm;

	if (t == NULL || ((sign = strrchr(t, '+')) == NULL && (sign = strrchr(t, '-')) == NULL))
		return 0;
	if (sscanf(sign + 1, "%2d:%2d", &hh, &mm) != 2)
		return 0;
	return (*sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
}

static int cli_open(struct cli *c)
{
	char err[256];

	if (c->http)
		return CLI_EXIT_OK;
	if ((c->http = cli_http_new(c->url, c->token, err, sizeof err)) == NULL)
		return cli_usage(NULL, "%s", err);
	return CLI_EXIT_OK;
}

/* The server's error in words: its JSON error when it sent one, else the
 * status and the start of whatever it sent (a proxy's page, evhttp's own
 * 413 for an oversized body). */
static void report_error(const struct cli_reply *r)
{
	cJSON *j = NULL;
	struct proto_error e;
	char perr[PROTO_ERR_MAX];
	size_t n;

	if (r->body && strncmp(r->content_type, "application/json", 16) == 0)
		j = cJSON_ParseWithLength(r->body, r->len);
	if (j && proto_error_decode(j, &e, perr) == 0) {
		cli_warnx("%s (%s)", e.message, e.code);
	} else {
		/* the first line of the body, at most 120 bytes */
		n = r->body ? strcspn(r->body, "\r\n") : 0;
		if (n > 120)
			n = 120;
		cli_warnx("the server answered HTTP %d%s%.*s", r->status, n ? ": " : "", (int)n,
		    n ? r->body : "");
	}
	cJSON_Delete(j);
}

int cli_request(struct cli *c, const char *method, const char *const *segs,
    const char *query, const char *json, struct cli_reply *reply)
{
	char path[CLI_HTTP_PATH_MAX];
	int rc;

	memset(reply, 0, sizeof *reply);
	if ((rc = cli_open(c)) != CLI_EXIT_OK)
		return rc;
	if (cli_http_path(path, sizeof path, segs, query) == -1)
		return cli_usage(NULL, "an id on the command line is too long");
	if (cli_http_request(c->http, method, path, json, reply) == -1) {
		cli_warnx("%s", cli_http_error(c->http));
		return CLI_EXIT_FAIL;
	}
	if (reply->status < 200 || reply->status > 299) {
		report_error(reply);
		cli_reply_free(reply);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

int cli_key_valid(const char *key)
{
	size_t n = strlen(key);

	return n >= 1 && n <= CLI_KEY_MAX &&
	    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

/* 32 hex digits from OpenSSL's generator: a key nobody else will use.
 * -1 when it has no entropy. */
static int key_new(char buf[33])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(buf + 2 * i, 3, "%02x", b[i]);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Before try n+1: 250 ms doubling up to 4 s, each a random half to all of
 * that (jitter: the desks of a hall do not retry in step after a stall). */
static int backoff_ms(int n)
{
	int step = 250 << (n - 1 < 4 ? n - 1 : 4);
	unsigned char r = 0;

	if (RAND_bytes(&r, 1) != 1)
		r = 128;
	return step / 2 + (step / 2) * r / 255;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* A failure worth another try with the same key: the server (or a proxy)
 * could not do it now; a 503 is never recorded against a key. */
static int retriable(int status)
{
	return status == 502 || status == 503 || status == 504;
}

int cli_write(struct cli *c, const char *const *segs, const char *json, const char *key,
    const char *what, struct cli_reply *reply)
{
	char path[CLI_HTTP_PATH_MAX], made[33], why[320];
	int64_t t0 = now_ms();
	int rc, n, wait, after_ms = 0;

	memset(reply, 0, sizeof *reply);
	if ((rc = cli_open(c)) != CLI_EXIT_OK)
		return rc;
	if (cli_http_path(path, sizeof path, segs, NULL) == -1)
		return cli_usage(NULL, "an id on the command line is too long");
	if (key == NULL) {
		if (key_new(made) == -1) {
			cli_warnx("no random bytes for an idempotency key");
			return CLI_EXIT_FAIL;
		}
		key = made;
	}
	for (n = 1;; n++) {
		if (cli_http_send(c->http, "POST", path, json, key, CLI_WRITE_TRY_S, reply) == -1) {
			snprintf(why, sizeof why, "%s", cli_http_error(c->http));
			after_ms = 0;
		} else if (retriable(reply->status)) {
			snprintf(why, sizeof why, "%s answered HTTP %d", c->url, reply->status);
			/* the server's Retry-After (1 s with a 503) is the least wait */
			after_ms = reply->retry_after_s < 4 ? reply->retry_after_s * 1000 : 4000;
			cli_reply_free(reply);
		} else {
			break;
		}
		wait = backoff_ms(n);
		if (wait < after_ms)
			wait = after_ms;
		if (n >= CLI_WRITE_TRIES || now_ms() - t0 + wait >= CLI_WRITE_BUDGET_MS) {
			cli_warnx("%s", why);
			cli_warnx("no answer after %d tries in %.1f s: whether %s is not known.", n,
			    (double)(now_ms() - t0) / 1000.0, what);
			fprintf(stderr, "Run the same command again with --idempotency-key %s: the "
			    "server answers with what it did then, or does it once now.\n", key);
			return CLI_EXIT_UNKNOWN;
		}
		cli_warnx("%s; trying again in %.1f s with the same idempotency key (try %d of %d)",
		    why, wait / 1000.0, n + 1, CLI_WRITE_TRIES);
		sleep_ms(wait);
	}
	if (reply->status < 200 || reply->status > 299) {
		report_error(reply);
		/* a 4xx is the server's "not done"; a 500 may come after the write */
		rc = reply->status >= 500 ? CLI_EXIT_UNKNOWN : CLI_EXIT_FAIL;
		if (rc == CLI_EXIT_UNKNOWN)
			fprintf(stderr, "Whether %s is not known: run the same command again with "
			    "--idempotency-key %s.\n", what, key);
		cli_reply_free(reply);
		return rc;
	}
	if (reply->replayed)
		cli_warnx("the server had done this already with this idempotency key: its first "
		    "answer follows, nothing was done twice");
	return CLI_EXIT_OK;
}

struct cJSON *cli_reply_json(const struct cli_reply *reply)
{
	cJSON *j = NULL;

	if (reply->body)
		j = cJSON_ParseWithLength(reply->body, reply->len);
	if (!cJSON_IsObject(j)) {
		cli_warnx("the server's answer is not a JSON object (HTTP %d, %s)", reply->status,
		    reply->content_type[0] ? reply->content_type : "no content type");
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

int cli_event(struct cli *c)
{
	static const char *const segs[] = { "v1", "events", NULL };
	struct cli_reply reply;
	cJSON *j = NULL, *events, *ev, *id;
	char list[256] = "";
	int rc, n;

	if (c->event[0])
		return CLI_EXIT_OK;
	if (c->event_opt) {
		if (*c->event_opt == '\0' || strlen(c->event_opt) >= sizeof c->event)
			return cli_usage(NULL, "not an event id: '%s'", c->event_opt);
		strcpy(c->event, c->event_opt);
		return CLI_EXIT_OK;
	}
	if ((rc = cli_request(c, "GET", segs, NULL, NULL, &reply)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_FAIL;
	if ((j = cli_reply_json(&reply)) == NULL)
		goto done;
	events = cJSON_GetObjectItemCaseSensitive(j, "events");
	if (!cJSON_IsArray(events)) {
		cli_warnx("the server's event list has no \"events\" array");
		goto done;
	}
	n = cJSON_GetArraySize(events);
	cJSON_ArrayForEach(ev, events) {
		id = cJSON_GetObjectItemCaseSensitive(ev, "id");
		if (!cJSON_IsString(id) || id->valuestring[0] == '\0' ||
		    strlen(id->valuestring) >= sizeof c->event) {
			cli_warnx("the server's event list has an event without a usable id");
			goto done;
		}
		if (n == 1)
			strcpy(c->event, id->valuestring);
		else if (strlen(list) + strlen(id->valuestring) + 3 < sizeof list)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
			    list[0] ? ", " : "", id->valuestring);
	}
	if (n == 0)
		cli_warnx("%s has no events configured", c->url);
	else if (n > 1)
		rc = cli_usage(NULL, "%s has %d events (%s): choose one with -e EVENT or ANTRE_EVENT",
		    c->url, n, list);
	else
		rc = CLI_EXIT_OK;
done:
	cJSON_Delete(j);
	cli_reply_free(&reply);
	return rc;
}

void cli_print_raw(const struct cli_reply *reply)
{
	fwrite(reply->body, 1, reply->len, stdout);
	if (reply->len == 0 || reply->body[reply->len - 1] != '\n')
		putchar('\n');
}

int cli_get(struct cli *c, const char *const *segs, const char *query, int raw, cJSON **j)
{
	struct cli_reply reply;
	int rc;

	*j = NULL;
	if ((rc = cli_request(c, "GET", segs, query, NULL, &reply)) != CLI_EXIT_OK)
		return rc;
	if (raw)
		cli_print_raw(&reply);
	else if ((*j = cli_reply_json(&reply)) == NULL)
		rc = CLI_EXIT_FAIL;
	cli_reply_free(&reply);
	return rc;
}

void cli_close(struct cli *c)
{
	cli_http_free(c->http);
	c->http = NULL;
}
