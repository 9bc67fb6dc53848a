/* speech.c: Indonesian calls as WAV, from segments libespeak-ng says once. */
#include "speech.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <espeak-ng/speak_lib.h>

#include "log.h"

/* The kept segments: a finite vocabulary (about fifty fixed words and
 * letters, and the stage names of the loaded events), yet bounded here
 * too, since events may be reloaded with new names: when one more would
 * pass a bound, every segment is dropped and made again when next used. */
#define SEGMENTS_MAX 256
#define SEGMENTS_BYTES_MAX (8u << 20)
#define SEGMENT_SECONDS_MAX 8            /* a stage name of 96 bytes says in ~6 s */
#define TRIM_LEVEL 64                    /* |sample| at or under it at the ends is silence */

static const char *const digit_words[] = { "nol", "satu", "dua", "tiga", "empat", "lima",
	"enam", "tujuh", "delapan", "sembilan" };

struct segment {
	char text[SPEECH_PART_MAX];
	int16_t *pcm;
	size_t n;
};

static struct {
	int state;                       /* 0 not started, 1 ready, -1 missing */
	unsigned rate;
	int nseg;
	size_t bytes;                    /* of every segment's samples */
	struct segment seg[SEGMENTS_MAX];
	int16_t *buf;                    /* the synthesis under way */
	size_t n, cap, max;
} sp;

/* ---- words ---------------------------------------------------------------- */

/* Appends word to out (a space first unless out is empty); 0 or -1. */
static int words_add(char *out, size_t size, const char *word)
{
	size_t len = strlen(out), wl = strlen(word), sep = len > 0;

	if (len + sep + wl + 1 > size)
		return -1;
	if (sep)
		out[len++] = ' ';
	memcpy(out + len, word, wl + 1);
	return 0;
}

static int number_add(long n, char *out, size_t size)
{
	if (n < 10)
		return words_add(out, size, digit_words[n]);
	if (n == 10 || n == 11)
		return words_add(out, size, n == 10 ? "sepuluh" : "sebelas");
	if (n < 20)
		return words_add(out, size, digit_words[n - 10]) == -1 ? -1 :
		    words_add(out, size, "belas");
	if (n < 100) {
		if (words_add(out, size, digit_words[n / 10]) == -1 ||
		    words_add(out, size, "puluh") == -1)
			return -1;
		return n % 10 ? words_add(out, size, digit_words[n % 10]) : 0;
	}
	if (n < 1000) {
		if (n / 100 == 1 ? words_add(out, size, "seratus") == -1 :
		    (words_add(out, size, digit_words[n / 100]) == -1 ||
		    words_add(out, size, "ratus") == -1))
			return -1;
		return n % 100 ? number_add(n % 100, out, size) : 0;
	}
	if (n / 1000 == 1 ? words_add(out, size, "seribu") == -1 :
	    (number_add(n / 1000, out, size) == -1 || words_add(out, size, "ribu") == -1))
		return -1;
	return n % 1000 ? number_add(n % 1000, out, size) : 0;
}

int speech_number_words(long n, char *out, size_t size)
{
	if (size == 0 || n < 0 || n > 999999)
		return -1;
	out[0] = '\0';
	return number_add(n, out, size);
}

static int parts_add(char parts[][SPEECH_PART_MAX], int *n, int max, const char *text)
{
	if (*n == max || strlen(text) >= SPEECH_PART_MAX)
		return -1;
	strcpy(parts[(*n)++], text);
	return 0;
}

/* The code's letters (upper-cased) and its digits' words, one part each;
 * anything else ("-") is silent, as display.js has it. */
static int code_parts(const char *code, char parts[][SPEECH_PART_MAX], int *n, int max)
{
	for (const char *p = code; *p; p++) {
		char letter[2] = { 0, 0 };

		if (*p >= '0' && *p <= '9') {
			if (parts_add(parts, n, max, digit_words[*p - '0']) == -1)
				return -1;
		} else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
			letter[0] = (char)(*p & ~0x20);
			if (parts_add(parts, n, max, letter) == -1)
				return -1;
		}
	}
	return 0;
}

/* The place's name lower-cased (ASCII letters; other bytes as they are,
 * so UTF-8 stays whole), one part. */
static int place_part(const char *place, char parts[][SPEECH_PART_MAX], int *n, int max)
{
	char low[SPEECH_PART_MAX];
	size_t i;

	for (i = 0; place[i] && i + 1 < sizeof low; i++)
		low[i] = place[i] >= 'A' && place[i] <= 'Z' ? (char)(place[i] | 0x20) : place[i];
	if (place[i])
		return -1;
	low[i] = '\0';
	return i ? parts_add(parts, n, max, low) : 0;
}

int speech_call_parts(const struct speech_call *c, char parts[][SPEECH_PART_MAX], int max)
{
	char words[128], *w, *save;
	int n = 0;

	if ((c->recall && (parts_add(parts, &n, max, "panggilan ulang") == -1 ||
	    parts_add(parts, &n, max, SPEECH_PAUSE) == -1)) ||
	    parts_add(parts, &n, max, "nomor antrean") == -1 ||
	    code_parts(c->code, parts, &n, max) == -1 ||
	    parts_add(parts, &n, max, SPEECH_PAUSE) == -1 ||
	    parts_add(parts, &n, max, "silakan ke meja") == -1 ||
	    place_part(c->place, parts, &n, max) == -1)
		return -1;
	if (c->desk > 0) {
		if (speech_number_words(c->desk, words, sizeof words) == -1)
			return -1;
		for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save))
			if (parts_add(parts, &n, max, w) == -1)
				return -1;
	}
	return n;
}

/* ---- WAV ------------------------------------------------------------------ */

static void put_le(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void speech_wav_header(unsigned char *out, unsigned rate, size_t n)
{
	uint32_t data = (uint32_t)(n * 2);

	memcpy(out, "RIFF", 4);
	put_le(out + 4, 36 + data, 4);
	memcpy(out + 8, "WAVEfmt ", 8);
	put_le(out + 16, 16, 4);                 /* the fmt chunk's size */
	put_le(out + 20, 1, 2);                  /* PCM */
	put_le(out + 22, 1, 2);                  /* mono */
	put_le(out + 24, rate, 4);
	put_le(out + 28, rate * 2, 4);           /* bytes a second */
	put_le(out + 32, 2, 2);                  /* bytes a frame */
	put_le(out + 34, 16, 2);                 /* bits a sample */
	memcpy(out + 36, "data", 4);
	put_le(out + 40, data, 4);
}

/* ---- espeak-ng -------------------------------------------------------------- */

/* espeak's synthesis callback, in the caller's thread (synchronous mode):
 * the samples are espeak's, copied before it returns.  Past the longest
 * segment kept, 1 stops the synthesis. */
static int speech_on_samples(short *wav, int n, espeak_EVENT *events)
{
	(void)events;
	if (wav == NULL || n <= 0)
		return 0;
	if (sp.n + (size_t)n > sp.max)
		n = (int)(sp.max - sp.n);
	if (sp.n + (size_t)n > sp.cap) {
		sp.cap = sp.n + (size_t)n > sp.cap * 2 ? sp.n + (size_t)n : sp.cap * 2;
		if ((sp.buf = realloc(sp.buf, sp.cap * sizeof *sp.buf)) == NULL)
			fatal("speech: realloc");
	}
	memcpy(sp.buf + sp.n, wav, (size_t)n * sizeof *sp.buf);
	sp.n += (size_t)n;
	return sp.n >= sp.max;
}

/*
 * espeak-ng is started once a process (espeak_Initialize again after
 * espeak_Terminate hangs in its next Terminate, 1.51), and stays until
 * exit: a failed start has started nothing (its data is read before its
 * thread starts).  Starting sets LC_CTYPE to C.UTF-8, which it needs;
 * antred's own ctype use is ASCII, the same there.
 */
static int espeak_start(const char *path)
{
	if (sp.rate == 0) {
		int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, path,
		    espeakINITIALIZE_DONT_EXIT);

		if (rate <= 0) {
			log_warnx("speech: espeak-ng cannot start: its data (%s) is missing; "
			    "install espeak-ng-data (the TV's browser speaks calls itself)",
			    path ? path : "espeak-ng's own path");
			return -1;
		}
		sp.rate = (unsigned)rate;
		sp.max = (size_t)rate * SEGMENT_SECONDS_MAX;
		espeak_SetSynthCallback(speech_on_samples);
	}
	return 0;
}

int speech_open(const struct speech_settings *s)
{
	const char *path = s->data_path[0] ? s->data_path : NULL;
	struct stat st;

	if (sp.state != 0)
		return sp.state == 1 ? 0 : -1;
	sp.state = -1;                   /* until it is ready: said once */
	/* espeak-ng would quietly fall back to its own path */
	if (path && (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))) {
		log_warnx("speech: speech-data %s is not a directory; calls are not said by "
		    "antred (the TV's browser speaks them itself)", path);
		return -1;
	}
	if (espeak_start(path) == -1)
		return -1;
	if (espeak_SetVoiceByName(s->voice) != EE_OK) {
		log_warnx("speech: espeak-ng has no voice \"%s\"; install espeak-ng-data "
		    "(the TV's browser speaks calls itself)", s->voice);
		return -1;
	}
	espeak_SetParameter(espeakRATE, s->rate_wpm, 0);
	sp.state = 1;
	log_info("speech: espeak-ng voice \"%s\" at %u Hz", s->voice, sp.rate);
	return 0;
}

unsigned speech_rate(void)
{
	return sp.state == 1 ? sp.rate : 0;
}

static void segments_drop(void)
{
	for (int i = 0; i < sp.nseg; i++)
		free(sp.seg[i].pcm);
	sp.nseg = 0;
	sp.bytes = 0;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Says text into a new segment (its silent ends cut off); its index, or -1. */
static int segment_make(const char *text)
{
	struct timespec t0;
	struct segment *g;
	size_t a = 0, b;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sp.n = 0;
	if (espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
	    NULL, NULL) != EE_OK) {
		log_warnx("speech: espeak-ng could not say \"%s\"", text);
		return -1;
	}
	b = sp.n;
	while (a < b && abs(sp.buf[a]) <= TRIM_LEVEL)
		a++;
	while (b > a && abs(sp.buf[b - 1]) <= TRIM_LEVEL)
		b--;
	if (sp.nseg == SEGMENTS_MAX || sp.bytes + (b - a) * 2 > SEGMENTS_BYTES_MAX) {
		log_info("speech: %d segments kept (%zu bytes); dropping them", sp.nseg, sp.bytes);
		segments_drop();
	}
	g = &sp.seg[sp.nseg];
	strcpy(g->text, text);
	g->n = b - a;
	if ((g->pcm = malloc(g->n ? g->n * sizeof *g->pcm : 1)) == NULL)
		fatal("speech: malloc");
	memcpy(g->pcm, sp.buf + a, g->n * sizeof *g->pcm);
	sp.bytes += g->n * sizeof *g->pcm;
	log_debug("speech: \"%s\" said in %.2f ms: %zu samples (%.2f s)", text, ms_since(&t0),
	    g->n, (double)g->n / sp.rate);
	return sp.nseg++;
}

int speech_segment(const char *text, const int16_t **pcm, size_t *n)
{
	int i;

	if (sp.state != 1 || strlen(text) >= SPEECH_PART_MAX)
		return -1;
	for (i = 0; i < sp.nseg; i++)
		if (strcmp(sp.seg[i].text, text) == 0)
			break;
	if (i == sp.nseg && (i = segment_make(text)) == -1)
		return -1;
	*pcm = sp.seg[i].pcm;
	*n = sp.seg[i].n;
	return 0;
}

void speech_cache_size(int *count, size_t *bytes)
{
	*count = sp.nseg;
	*bytes = sp.bytes;
}

/* ---- a phrase ------------------------------------------------------------- */

/* The WAV being built: its head's room, then samples as little-endian. */
struct out {
	unsigned char *p;
	size_t len, cap;
};

/* Appends n samples (silence when pcm is NULL). */
static void out_put(struct out *o, const int16_t *pcm, size_t n)
{
	if (o->len + n * 2 > o->cap) {
		o->cap = o->len + n * 2 > o->cap * 2 ? o->len + n * 2 : o->cap * 2;
		if ((o->p = realloc(o->p, o->cap)) == NULL)
			fatal("speech: realloc");
	}
	for (size_t i = 0; i < n; i++)
		put_le(o->p + o->len + 2 * i, pcm ? (uint16_t)pcm[i] : 0, 2);
	o->len += n * 2;
}

static size_t ms_samples(int ms)
{
	return (size_t)sp.rate * (size_t)ms / 1000;
}

int speech_wav(const char parts[][SPEECH_PART_MAX], int n, unsigned char **wav, size_t *len)
{
	struct out o = { NULL, SPEECH_WAV_HEADER, 0 };
	const int16_t *pcm;
	size_t k;

	if (sp.state != 1)
		return -1;
	out_put(&o, NULL, ms_samples(SPEECH_LEAD_MS));
	for (int i = 0; i < n; i++) {
		if (strcmp(parts[i], SPEECH_PAUSE) == 0) {
			out_put(&o, NULL, ms_samples(SPEECH_PAUSE_MS));
			continue;
		}
		/* the samples are the cache's until the next speech_* call */
		if (speech_segment(parts[i], &pcm, &k) == -1) {
			free(o.p);
			return -1;
		}
		if (i > 0 && strcmp(parts[i - 1], SPEECH_PAUSE) != 0)
			out_put(&o, NULL, ms_samples(SPEECH_GAP_MS));
		out_put(&o, pcm, k);
	}
	out_put(&o, NULL, ms_samples(SPEECH_TAIL_MS));
	speech_wav_header(o.p, sp.rate, (o.len - SPEECH_WAV_HEADER) / 2);
	*wav = o.p;
	*len = o.len;
	return 0;
}

void speech_close(void)
{
	segments_drop();
	free(sp.buf);
	sp.buf = NULL;
	sp.n = sp.cap = 0;
	sp.state = 0;                    /* espeak-ng itself stays: espeak_start */
}
