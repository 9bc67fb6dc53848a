/*
 * speech.h: calls spoken in Bahasa Indonesia, for a TV whose browser has
 * no Indonesian voice.  libespeak-ng's voice "id" says each word of a
 * bounded vocabulary once (digits and number words, letters, the fixed
 * words, the events' stage names); a call is those segments joined, with
 * short pauses, into one WAV (16-bit PCM, mono, at espeak's rate), as
 * Indonesian bank and hospital queue systems join recorded segments.
 *
 * espeak-ng blocks and is not thread-safe: it is only used from the event
 * loop, and only to make a segment not yet kept (about a millisecond a
 * word here), so a call costs a copy of kept samples, never a synthesis
 * per request.  The vocabulary comes from the event files, never from a
 * request.
 */
#ifndef ANTRE_SPEECH_H
#define ANTRE_SPEECH_H

#include <stddef.h>
#include <stdint.h>

#define SPEECH_WAV_HEADER 44             /* bytes of a canonical PCM WAV head */
#define SPEECH_PART_MAX 112              /* bytes of one segment's text, NUL included */
#define SPEECH_PARTS_MAX 32              /* segments in one phrase */
#define SPEECH_PAUSE ","                 /* a part that is the comma's pause */
/* The silences of a phrase, in ms: before it, between two words, at a
 * comma (instead of the gap), after it. */
#define SPEECH_LEAD_MS 150
#define SPEECH_GAP_MS 60
#define SPEECH_PAUSE_MS 300
#define SPEECH_TAIL_MS 300

struct speech_settings {
	const char *data_path;           /* espeak-ng-data's parent; "" = espeak's own */
	const char *voice;               /* "id" */
	int rate_wpm;                    /* words a minute */
};

/* What a call says: "nomor antrean A nol satu tujuh, silakan ke meja
 * vaksinasi tiga", "panggilan ulang, ..." first for a recall. */
struct speech_call {
	const char *code;                /* "A-017": letters said, digits one by one */
	const char *place;               /* the stage's name, "Vaksinasi" */
	int desk;                        /* the station's number, 1.. */
	int recall;
};

/* n (0 .. 999999) in Indonesian words, "dua puluh empat", into out (size
 * bytes); 0, or -1 when n is out of range or out is too small.  The same
 * words as display.js's numberWords. */
int speech_number_words(long n, char *out, size_t size);

/* The parts of a call, in order, into parts[max]: each word its own part
 * (so that the vocabulary stays small), the place's name lower-cased as
 * one part, SPEECH_PAUSE for a comma.  The count, or -1 when they do not
 * fit. */
int speech_call_parts(const struct speech_call *c, char parts[][SPEECH_PART_MAX], int max);

/* Writes the 44-byte head of a mono 16-bit PCM WAV of n samples at rate. */
void speech_wav_header(unsigned char *out, unsigned rate, size_t n);

/*
 * Starts espeak-ng with the voice, once: 0 when speech is ready (now or
 * from an earlier call), -1 when the data or the voice is missing (said
 * once in the log; every later call answers -1 at once, until
 * speech_close).  espeak-ng itself starts once a process: the data path
 * of its first successful start holds until exit.
 */
int speech_open(const struct speech_settings *s);

/* espeak's sample rate (22050), 0 before speech_open succeeded. */
unsigned speech_rate(void);

/*
 * One WAV of the parts said in order, into *wav (malloc'd, the caller
 * frees) of *len bytes: a short silence, each part's kept segment (made on
 * first use), a short gap between words and a longer one at
 * SPEECH_PAUSE, a silence at the end.  0, or -1 when speech is not open
 * or a segment cannot be made.
 */
int speech_wav(const char parts[][SPEECH_PART_MAX], int n, unsigned char **wav, size_t *len);

/* The kept segment of text (made on first use): its samples, valid until
 * the next speech_* call.  0, or -1. */
int speech_segment(const char *text, const int16_t **pcm, size_t *n);

/* Segments kept, and their bytes of samples. */
void speech_cache_size(int *count, size_t *bytes);

/* Frees the segments (at exit); espeak-ng stays (it cannot start again). */
void speech_close(void);

#endif
