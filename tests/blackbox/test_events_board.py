"""What the public reads of an event carry for people and organisers: each
stage's `max_stations` in GET /v1/events and GET /v1/events/{ev} (as the
event file says, else twice `stations`), and the board's wait for a
newcomer as a range, `stages[].eta_range_s`: the very estimate a regular
ticket issued then gets (the clock is pinned: antred-test), null where no
desk is open or the wait is timed, and shown as the range by `antre board`.

The client is ANTRE_CLI (tests/run.sh sets it), by default build/antre."""

import copy
import os
import re
import subprocess

from harness import (DEMO_EVENT, SANITIZER_MARKS, TEST_CLOCK, TOP, Antred, Redis, pin_clocks)

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))

redis = None
d = None

SITE = copy.deepcopy(DEMO_EVENT)
SITE["id"] = "site"
SITE["stages"][2]["max_stations"] = 5          # vaccination: 3 desks, room for 5
EVENTS = (DEMO_EVENT, SITE)


def setup_module():
    global redis, d
    redis = Redis()
    pin_clocks(redis, EVENTS)
    d = Antred(redis.url, events=EVENTS, **TEST_CLOCK)
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def get(path):
    st, _, b = d.get(path)
    assert st == 200, (path, st, b)
    return b


def issue(ev, **body):
    st, _, b = d.post("/v1/events/%s/tickets" % ev, dict({"service": "dose1"}, **body),
                      role="desk")
    assert st == 201, b
    return b["ticket"]


def station(ev, sid, op, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, sid, op), body, role="station")
    assert st == 200, (sid, op, st, b)
    return b


def stage_of(board, sid):
    return [s for s in board["stages"] if s["id"] == sid][0]


# ---- max_stations ----------------------------------------------------------

def test_events_carry_max_stations():
    want = {"demo": [4, 4, 6, 2], "site": [4, 4, 5, 2]}
    events = {e["id"]: e for e in get("/v1/events")["events"]}
    assert sorted(events) == ["demo", "site"], events
    for ev, maxes in want.items():
        stages = events[ev]["stages"]
        assert [s["max_stations"] for s in stages] == maxes, stages
        assert [s["stations"] for s in stages] == [2, 2, 3, 1], stages
        one = get("/v1/events/" + ev)["event"]["stages"]
        assert [s["max_stations"] for s in one] == maxes, one
        assert all(s["waiting"] == 0 for s in one), one


# ---- the board's ranges -------------------------------------------------------

def test_an_empty_stage_is_within_a_minute():
    b = get("/v1/events/demo/board")
    for s in b["stages"][:3]:
        assert s["eta_s"] == 0 and s["eta_range_s"] == [0, 60], s
    obs = stage_of(b, "observation")
    assert obs["eta_s"] is None and obs["eta_range_s"] is None, obs


def test_board_range_is_the_next_tickets():
    for _ in range(20):
        issue("site")
    station("site", "registration-1", "call")     # one desk busy, one free
    before = stage_of(get("/v1/events/site/board"), "registration")
    lo, hi = before["eta_range_s"]
    assert before["waiting"] == 19, before
    assert 0 <= lo <= before["eta_s"] <= hi and lo % 60 == 0 == hi % 60, before
    assert hi - lo >= 120 and hi > 5 * 60, before
    t = issue("site")
    assert t["position"] == 19, t
    assert [t["eta_s"], t["eta_range_s"]] == [before["eta_s"], before["eta_range_s"]], (t, before)
    after = stage_of(get("/v1/events/site/board"), "registration")
    assert after["waiting"] == 20 and after["eta_range_s"][1] >= hi, after


def test_no_desk_open_no_range():
    for n in (1, 2):
        station("site", "screening-%d" % n, "pause")
    try:
        s = stage_of(get("/v1/events/site/board"), "screening")
        assert s["eta_s"] is None and s["eta_range_s"] is None, s
    finally:
        for n in (1, 2):
            station("site", "screening-%d" % n, "resume")
    s = stage_of(get("/v1/events/site/board"), "screening")
    assert s["eta_range_s"] == [0, 60], s


def board_once(ev, width=80):
    p = subprocess.run([CLI, "-u", "http://127.0.0.1:%d" % d.port, "board", ev, "--once",
                        "--width", str(width)],
                       env={k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")},
                       capture_output=True, timeout=30)
    err = p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    assert p.returncode == 0, (p.returncode, err)
    return p.stdout.decode("utf-8")


def test_antre_board_shows_the_range():
    b = get("/v1/events/site/board")
    reg = stage_of(b, "registration")
    lo, hi = (x // 60 for x in reg["eta_range_s"])
    assert hi > 5, reg
    for width in (80, 40):
        out = board_once("site", width)
        line = [l for l in out.split("\n") if re.match(r"^ Pendaftaran\s+\d+ orang", l)]
        assert line and line[0].rstrip().endswith("%d\u2013%d menit" % (lo, hi)), (width, out)
    # a short wait in the person's words: one waiting at screening, desks free
    station("site", "registration-1", "start")
    station("site", "registration-1", "complete", {"outcome": "done"})
    scr = stage_of(get("/v1/events/site/board"), "screening")
    assert scr["waiting"] == 1 and scr["eta_range_s"][1] <= 5 * 60, scr
    out = board_once("site")
    assert re.search(r"^ Skrining\s+1 orang\s+< 5 menit\s*$", out, re.M), out
