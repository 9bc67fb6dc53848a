"""GET /v1/events/{ev}/speech.wav: a call said in Bahasa Indonesia by
libespeak-ng, for a TV whose browser has no Indonesian voice.  Public like
the board; the words come from the event (the code's service, the
station's stage and number), never from the request; an answer is a PCM
WAV sent like the web files (no-cache, an ETag); bad input is 4xx, and
without espeak-ng's data antred still runs and answers 503."""

import http.client
import io
import os
import shutil
import subprocess
import tempfile
import wave

from harness import ANTRED, DEMO_EVENT, Antred, Redis, assert_error

redis = None
d = None

CALL = "/v1/events/demo/speech.wav?code=A-009&station=vaccination-2"


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url)
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def wav_of(body):
    """(rate, seconds, the loudest sample) of a mono 16-bit PCM WAV."""
    assert isinstance(body, bytes) and body[:4] == b"RIFF" and body[8:16] == b"WAVEfmt ", body[:16]
    assert int.from_bytes(body[4:8], "little") == len(body) - 8
    with wave.open(io.BytesIO(body)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getcomptype() == "NONE"
        n, rate = w.getnframes(), w.getframerate()
        frames = w.readframes(n)
    assert 44 + 2 * n == len(body), (n, len(body))
    loud = max(abs(int.from_bytes(frames[i:i + 2], "little", signed=True))
               for i in range(0, len(frames), 2))
    return rate, n / rate, loud


def test_a_call_is_a_wav():
    st, h, body = d.get(CALL)
    assert st == 200, (st, body)
    assert h["content-type"] == "audio/wav", h
    assert h["cache-control"] == "no-cache" and h["etag"].startswith('"'), h
    rate, seconds, loud = wav_of(body)
    assert rate == 22050, rate
    # "Nomor antrean A nol nol sembilan, silakan ke meja vaksinasi dua"
    assert 2.5 < seconds < 15, seconds
    assert loud > 3000, loud


def test_same_bytes_twice_and_304():
    st1, h1, a = d.get(CALL)
    st2, h2, b = d.get(CALL)
    assert st1 == st2 == 200 and a == b and h1["etag"] == h2["etag"]
    st, h, body = d.get(CALL, headers={"If-None-Match": h1["etag"]})
    assert st == 304 and body == b"", (st, body)


def test_calls_differ():
    bodies = {}
    for q in ("code=A-009&station=vaccination-2", "code=A-010&station=vaccination-2",
              "code=B-009&station=vaccination-2", "code=A-009&station=vaccination-3",
              "code=A-009&station=screening-2", "code=A-009&station=vaccination-2&recall=1"):
        st, h, body = d.get("/v1/events/demo/speech.wav?" + q)
        assert st == 200, (q, st, body)
        wav_of(body)
        bodies[q] = body
    assert len(set(bodies.values())) == len(bodies), "each call says its own words"
    # a recall says "panggilan ulang," first: longer
    assert len(bodies["code=A-009&station=vaccination-2&recall=1"]) > \
        len(bodies["code=A-009&station=vaccination-2"]) + 22050
    st, h, body = d.get("/v1/events/demo/speech.wav?code=A-009&station=vaccination-2&recall=0")
    assert st == 200 and body == bodies["code=A-009&station=vaccination-2"]


def test_sound_on_phrase():
    st, h, body = d.get("/v1/events/demo/speech.wav?phrase=sound_on")
    assert st == 200 and h["content-type"] == "audio/wav", (st, h)
    rate, seconds, loud = wav_of(body)
    assert 0.5 < seconds < 5 and loud > 3000, (seconds, loud)


def test_head_as_get():
    st, h, body = d.get(CALL)
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("HEAD", CALL)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b""
        assert int(resp.getheader("content-length")) == len(body)
    finally:
        conn.close()


def test_unknown_code_station_event():
    assert_error(d.get("/v1/events/demo/speech.wav?code=Z-001&station=vaccination-2"),
                 404, "ticket_not_found")
    assert_error(d.get("/v1/events/demo/speech.wav?code=AB-001&station=vaccination-2"),
                 404, "ticket_not_found")
    for st in ("vaccination-4", "vaccination-0", "nope-1", "vaccination", "x" * 5000):
        assert_error(d.get("/v1/events/demo/speech.wav?code=A-001&station=" + st),
                     404, "unknown_station")
    assert_error(d.get("/v1/events/nope/speech.wav?code=A-001&station=vaccination-1"),
                 404, "unknown_event")


def test_bad_input_is_400():
    for q in ("", "?", "?code=A-001", "?station=vaccination-1", "?code=&station=vaccination-1",
              "?code=A017&station=vaccination-1", "?code=a-001&station=vaccination-1",
              "?code=A-&station=vaccination-1", "?code=A-1234567&station=vaccination-1",
              "?code=ABCD-001&station=vaccination-1", "?code=A-001x&station=vaccination-1",
              "?code=A-0%2001&station=vaccination-1", "?code=%41-001%00&station=vaccination-1",
              "?code=" + "A" * 3000 + "&station=vaccination-1",
              "?code=A-001&station=vaccination-1&recall=2",
              "?code=A-001&station=vaccination-1&recall=" + "1" * 200,
              "?code=A-001&station=vaccination-1&recall=",
              "?phrase=hello", "?phrase=", "?phrase=" + "s" * 4000,
              "?text=selamat+pagi"):
        resp = d.get("/v1/events/demo/speech.wav" + q)
        assert resp[0] == 400, (q[:80], resp[0])
        assert_error(resp, 400, "invalid_parameter")


def test_only_get():
    st, h, body = d.post(CALL, {})
    assert_error((st, h, body), 405, "method_not_allowed")
    assert h["allow"] == "GET, HEAD", h


def test_speech_off_is_503():
    r = Redis()
    off = Antred(r.url, extra=["speech 0"])
    try:
        off.wait_redis_up()
        assert_error(off.get(CALL), 503, "speech_unavailable")
        # bad input is still told as such
        assert_error(off.get("/v1/events/demo/speech.wav?code=A017&station=vaccination-1"),
                     400, "invalid_parameter")
    finally:
        try:
            off.stop()
        finally:
            r.stop()


def test_missing_espeak_data_is_503_and_said_once():
    """antred starts without espeak-ng's data; the route answers 503 and
    the log says why once; the rest of antred works."""
    empty = tempfile.mkdtemp(prefix="antre-no-espeak-")
    r = Redis()
    try:
        for path in (empty, os.path.join(empty, "not-there")):
            nod = Antred(r.url, extra=["speech-data " + path])
            try:
                nod.wait_redis_up()
                for _ in range(3):
                    assert_error(nod.get(CALL), 503, "speech_unavailable")
                assert nod.get("/v1/events/demo/board")[0] == 200
            finally:
                text = nod.stop()
            assert text.count("speech:") == 1, text[-3000:]
    finally:
        r.stop()
        shutil.rmtree(empty, ignore_errors=True)


def test_config_bounds():
    tmp = tempfile.mkdtemp(prefix="antre-speech-conf-")
    try:
        for line in ("speech 2", "speech -1", "speech-rate 79", "speech-rate 401", "speech-voice",
                     "speech-data"):
            conf = os.path.join(tmp, "antred.conf")
            with open(conf, "w") as f:
                f.write("events-dir %s\nsecret-file %s/secret\n%s\n" % (tmp, tmp, line))
            p = subprocess.run([ANTRED, "-c", conf, "--check-config"], capture_output=True,
                               text=True, timeout=30)
            assert p.returncode == 2 and "antred.conf:3:" in p.stderr, (line, p.returncode,
                                                                       p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
