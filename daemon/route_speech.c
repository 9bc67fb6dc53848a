/* route_speech.c: GET /v1/events/{ev}/speech.wav, a call said in Bahasa
 * Indonesia, for a TV whose browser has no Indonesian voice.
 *
 * The words come from what the daemon knows, never from the request: the
 * code is checked to be a code of one of the event's services, the station
 * to be one of its stations (which gives the stage's name and the desk's
 * number).  The call's own code and station are asked for, not the
 * ticket's: by the time a TV plays a call, the ticket may be at another
 * desk.  Nothing is read from Redis, and the words are kept segments
 * (speech.c), so an answer costs a copy, never a synthesis per request. */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "http.h"
#include "route_public.h"
#include "speech.h"

/* 1 when code has a ticket code's shape: 1 to 3 capital letters, a dash,
 * 1 to 6 digits ("A-017"). */
static int speech_code_shape(const char *code)
{
	size_t letters = strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), digits;

	if (letters < 1 || letters > 3 || code[letters] != '-')
		return 0;
	digits = strspn(code + letters + 1, "0123456789");
	return digits >= 1 && digits <= 6 && code[letters + 1 + digits] == '\0';
}

/* 1 when the code's prefix is one of the event's services'. */
static int speech_code_known(const struct event_def *ev, const char *code)
{
	size_t n = strcspn(code, "-");

	for (int i = 0; i < ev->nservices; i++)
		if (strlen(ev->services[i].prefix) == n &&
		    strncmp(code, ev->services[i].prefix, n) == 0)
			return 1;
	return 0;
}

/* The fixed phrases, by ?phrase= (the TV's word that sound is on). */
static const struct {
	const char *name, *words;
} speech_phrases[] = {
	{ "sound_on", "suara diaktifkan" },
};

static int speech_bad(struct req *r, int status, const char *code, const char *message)
{
	http_reply_error(r, status, code, message);
	return -1;
}

/* The parts of the phrase the query q asks for into parts: their count,
 * or -1 with the request answered (4xx).  Each value is checked whatever
 * its length. */
static int speech_request_parts(struct req *r, struct evkeyvalq *q,
    char parts[][SPEECH_PART_MAX])
{
	const char *phrase = evhttp_find_header(q, "phrase"), *recall;
	const char *code = evhttp_find_header(q, "code"), *station;
	struct speech_call c = { code, NULL, 0, 0 };
	int stage, n;

	if (phrase != NULL) {
		for (size_t i = 0; i < sizeof speech_phrases / sizeof speech_phrases[0]; i++)
			if (strcmp(phrase, speech_phrases[i].name) == 0) {
				strcpy(parts[0], speech_phrases[i].words);
				return 1;
			}
		return speech_bad(r, 400, "invalid_parameter", "phrase: sound_on is the only one");
	}
	if (code == NULL || (station = evhttp_find_header(q, "station")) == NULL)
		return speech_bad(r, 400, "invalid_parameter",
		    "code and station are required: ?code=A-017&station=vaccination-3");
	if ((recall = evhttp_find_header(q, "recall")) != NULL &&
	    strcmp(recall, "0") != 0 && strcmp(recall, "1") != 0)
		return speech_bad(r, 400, "invalid_parameter", "recall: 0 or 1");
	if (!speech_code_shape(code))
		return speech_bad(r, 400, "invalid_parameter",
		    "code: a ticket code, 1 to 3 capital letters, a dash, digits (A-017)");
	if (!speech_code_known(r->event, code))
		return speech_bad(r, 404, "ticket_not_found",
		    "no service of this event gives codes with that prefix");
	if (strlen(station) >= HTTP_PARAM_MAX ||
	    event_station_parse(r->event, station, &stage, &c.desk) == -1)
		return speech_bad(r, 404, "unknown_station", "no station with that id in the event");
	c.place = r->event->stages[stage].name;
	c.recall = recall != NULL && recall[0] == '1';
	/* bounded by the event file: a 6-digit code, a stage name, a desk */
	if ((n = speech_call_parts(&c, parts, SPEECH_PARTS_MAX)) == -1)
		return speech_bad(r, 500, "internal_error", "the call has too many words");
	return n;
}

static void speech_get(struct req *r)
{
	char parts[SPEECH_PARTS_MAX][SPEECH_PART_MAX];
	const struct speech_settings s = { server.cfg.speech_data, server.cfg.speech_voice,
		server.cfg.speech_rate_wpm };
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(r->ev));
	struct evkeyvalq q;
	unsigned char *wav;
	size_t len;
	int n;

	/* (a query that does not parse is left empty by libevent; a %00
	 * would end a value early, unseen) */
	if (evhttp_parse_query_str(query ? query : "", &q) != 0 ||
	    (query && strstr(query, "%00") != NULL)) {
		evhttp_clear_headers(&q);
		http_reply_error(r, 400, "invalid_parameter", "the query is not well formed");
		return;
	}
	n = speech_request_parts(r, &q, parts);
	evhttp_clear_headers(&q);
	if (n == -1)
		return;
	if (!server.cfg.speech) {
		http_reply_error(r, 503, "speech_unavailable",
		    "antred does not say calls here (speech 0 in antred.conf)");
		return;
	}
	if (speech_open(&s) == -1 || speech_wav(parts, n, &wav, &len) == -1) {
		http_reply_error(r, 503, "speech_unavailable",
		    "antred cannot say calls: espeak-ng or its voice is not installed (see its log)");
		return;
	}
	public_reply_cacheable(r, "audio/wav", wav, len);
	free(wav);
}

const struct route speech_routes[] = {
	{ "GET", "/v1/events/{ev}/speech.wav", ROLES_PUBLIC, speech_get, "speech", 0 },
	{ 0 }                            /* the end */
};
