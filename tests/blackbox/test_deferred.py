"""Deferred tickets ("Tunda"): a station completes a ticket `deferred`, any
station of that stage lists it (GET …/stations/{st}/deferred) and calls it
back with `call` and its code or id; it is then called there with a new
visit of the stage, and completes as any other.  The figures stay exact: the
deferral stays counted, the call back is no new call and no new wait.  A
deferred ticket of another stage, or of an earlier day, cannot be called
back; the read is a station's; a call back with an Idempotency-Key is
replayed as the other operations.

One Redis and one antred for the module; every test its own event."""

import copy
import os
import subprocess

from harness import (DEMO_EVENT, PINNED_MS, TEST_CLOCK, TOKENS, TOP, Antred, Redis,
                     assert_error, pin_clocks, set_test_clock)

redis = None
d = None
DAY = "20260715"                 # PINNED_MS's event day


def event(eid):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    return ev


EVENTS = [event(e) for e in ("back", "other", "days", "keys", "roles", "cli")]
CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))


def setup_module():
    global redis, d
    redis = Redis()
    pin_clocks(redis, EVENTS)
    d = Antred(redis.url, events=EVENTS, **TEST_CLOCK)
    d.wait_redis_up()


def teardown_module():
    try:
        if d:
            d.stop()
    finally:
        if redis:
            redis.stop()


# ---- helpers ---------------------------------------------------------------

def issue(ev):
    st, _, b = d.post("/v1/events/%s/tickets" % ev, {"service": "dose1"}, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def get(ev, ref):
    st, _, b = d.get("/v1/events/%s/tickets/%s" % (ev, ref), role="station")
    assert st == 200, (st, b)
    return b["ticket"]


def op(ev, station, name, body=None, headers=None):
    return d.post("/v1/events/%s/stations/%s/%s" % (ev, station, name), body, role="station",
                  headers=headers)


def act(ev, station, name, body=None):
    st, _, b = op(ev, station, name, body)
    assert st == 200, (name, station, st, b)
    return b["ticket"]


def defer(ev, station, ref):
    """Calls `ref` at `station`, starts it and completes it deferred."""
    act(ev, station, "call", {"ticket": ref})
    act(ev, station, "start")
    t = act(ev, station, "complete", {"outcome": "deferred"})
    assert t["state"] == "deferred" and t["station"] is None, t
    return t


def listed(ev, station, role="station"):
    st, h, b = d.get("/v1/events/%s/stations/%s/deferred" % (ev, station), role=role)
    assert st == 200, (st, b)
    assert h["content-type"].startswith("application/json"), h
    assert set(b) == {"tickets"}, b
    return b["tickets"]


def stage_stats(ev, stage):
    st, _, b = d.get("/v1/events/%s/stats" % ev, role="organiser")
    assert st == 200, (st, b)
    return [s for s in b["stages"] if s["id"] == stage][0]


def waits_kept(ev, stage):
    """How many waits the scripts kept for the percentiles (waits:DAY:STAGE)."""
    return int(redis.cli("LLEN", "antre:{%s}:waits:%s:%s" % (ev, DAY, stage)))


# ---- tests -------------------------------------------------------------------

def test_defer_list_call_back_complete():
    ev = "back"
    a1, a2 = issue(ev), issue(ev)
    assert listed(ev, "registration-1") == []
    deferred = defer(ev, "registration-1", a1["code"])
    before = stage_stats(ev, "registration")
    assert before["deferred"] == 1 and before["calls"] == 1, before
    kept = waits_kept(ev, "registration")

    # every station of the stage lists it, with where and when; no other stage does
    for st in ("registration-1", "registration-2"):
        l = listed(ev, st)
        assert [t["code"] for t in l] == [a1["code"]], l
        assert l[0] == deferred, (l[0], deferred)
        v = l[0]["visits"][-1]
        assert v["station"] == "registration-1" and v["outcome"] == "deferred", v
        assert v["completed_at"] and v["started_at"], v
    assert listed(ev, "screening-1") == []

    # called back at another desk of the stage, by its code
    t = act(ev, "registration-2", "call", {"ticket": a1["code"]})
    assert t["state"] == "called" and t["station"] == "registration-2", t
    assert len(t["visits"]) == 2, t["visits"]
    first, back = t["visits"]
    assert first == deferred["visits"][0], (first, deferred)     # the deferral kept
    assert back["stage"] == "registration" and back["station"] == "registration-2", back
    assert back["queued_at"] == first["completed_at"], back
    assert back["called_at"] and back.get("outcome") is None, back
    assert back.get("started_at") is None and back.get("completed_at") is None, back
    assert get(ev, a1["id"]) == t
    assert listed(ev, "registration-1") == []                  # no longer deferred

    # the figures: the deferral stays, the call back is no call and no wait
    after = stage_stats(ev, "registration")
    assert after["deferred"] == 1 and after["calls"] == 1, after
    assert after["avg_wait_s"] == before["avg_wait_s"], (before, after)
    assert waits_kept(ev, "registration") == kept
    regs = {s["id"]: s for s in after["stations"]}
    assert regs["registration-1"]["deferred"] == 1 and regs["registration-2"]["deferred"] == 0

    # it goes on as any called ticket: start, done, on to screening
    act(ev, "registration-2", "start")
    t = act(ev, "registration-2", "complete", {"outcome": "done"})
    assert t["state"] == "waiting" and t["stage"] == "screening", t
    assert [v["outcome"] for v in t["visits"][:2]] == ["deferred", "done"], t["visits"]
    done = stage_stats(ev, "registration")
    assert done["served"] == before["served"] + 1 and done["deferred"] == 1, done
    # the queue was not touched: a2 is next
    assert act(ev, "registration-1", "call")["id"] == a2["id"]


def test_not_listed_once_refused_or_done_and_not_callable_elsewhere():
    ev = "other"
    a1, a2, a3 = issue(ev), issue(ev), issue(ev)
    defer(ev, "registration-1", a1["code"])
    act(ev, "registration-1", "call", {"ticket": a2["code"]})
    act(ev, "registration-1", "start")
    act(ev, "registration-1", "complete", {"outcome": "refused"})
    act(ev, "registration-1", "call", {"ticket": a3["code"]})
    act(ev, "registration-1", "start")
    act(ev, "registration-1", "complete", {"outcome": "done"})   # a3 to screening
    assert [t["code"] for t in listed(ev, "registration-2")] == [a1["code"]]

    # deferred at registration: not here at screening, by code or id
    before = get(ev, a1["id"])
    for ref in (a1["code"], a1["id"]):
        assert_error(op(ev, "screening-1", "call", {"ticket": ref}), 409, "wrong_stage")
    assert get(ev, a1["id"]) == before
    assert listed(ev, "screening-1") == []
    # a refused ticket is final, a done one has moved on
    assert_error(op(ev, "registration-2", "call", {"ticket": a2["code"]}), 409,
                 "invalid_transition")
    # a station that holds a ticket cannot call one back
    act(ev, "screening-1", "call")                           # a3
    st, _, _ = op(ev, "registration-1", "call", {"ticket": a1["code"]})
    assert st == 200
    assert_error(op(ev, "registration-1", "call", {"ticket": a1["code"]}), 409, "station_busy")


def test_deferred_on_an_earlier_day_cannot_be_called_back():
    ev = "days"
    a1 = issue(ev)
    defer(ev, "registration-1", a1["code"])
    set_test_clock(redis, ev, PINNED_MS + 86400000)
    try:
        assert listed(ev, "registration-1") == []
        before = get(ev, a1["id"])
        assert before["state"] == "deferred", before                # days end leaves it
        assert_error(op(ev, "registration-1", "call", {"ticket": a1["id"]}), 409,
                     "invalid_transition")
        assert_error(op(ev, "registration-1", "call", {"ticket": a1["code"]}), 404,
                     "ticket_not_found")                            # codes are the day's
        assert get(ev, a1["id"]) == before
    finally:
        set_test_clock(redis, ev, PINNED_MS)


def test_call_back_with_a_key_is_replayed():
    ev = "keys"
    a1 = issue(ev)
    defer(ev, "registration-1", a1["code"])
    h = {"Idempotency-Key": "back-1"}
    st, h1, b1 = op(ev, "registration-2", "call", {"ticket": a1["id"]}, headers=h)
    assert st == 200 and h1.get("idempotency-replayed") is None, (st, b1)
    st, h2, b2 = op(ev, "registration-2", "call", {"ticket": a1["id"]}, headers=h)
    assert st == 200 and h2.get("idempotency-replayed") == "true" and b2 == b1, (st, h2, b2)
    t = get(ev, a1["id"])
    assert len(t["visits"]) == 2 and t["station"] == "registration-2", t     # once
    assert stage_stats(ev, "registration")["calls"] == 1
    # the same key for another request: refused, nothing changes
    assert_error(op(ev, "registration-2", "start", headers=h), 422, "idempotency_key_reused")
    assert get(ev, a1["id"]) == t


def test_the_read_is_a_stations():
    ev = "roles"
    path = "/v1/events/%s/stations/registration-1/deferred" % ev
    assert_error(d.get(path), 401)
    assert_error(d.get(path, role="desk"), 403)
    assert listed(ev, "registration-1", role="organiser") == []     # organisers read all
    assert listed(ev, "registration-1", role="admin") == []
    assert_error(d.get("/v1/events/%s/stations/registration-9/deferred" % ev, role="station"),
                 404, "unknown_station")
    assert_error(d.get("/v1/events/nope/stations/registration-1/deferred", role="station"),
                 404, "unknown_event")


def test_cli_calls_a_deferred_ticket_back():
    ev = "cli"
    a1 = issue(ev)
    defer(ev, "registration-1", a1["code"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env.update(ANTRE_URL="http://127.0.0.1:%d" % d.port, ANTRE_TOKEN=TOKENS["station"],
               ANTRE_EVENT=ev)
    p = subprocess.run([CLI, "station", "call", "registration-2", "--ticket", a1["code"]],
                       env=env, capture_output=True, timeout=60, text=True)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    assert "dipanggil (called)" in p.stdout and "registration-2" in p.stdout, p.stdout
    t = get(ev, a1["id"])
    assert t["state"] == "called" and t["station"] == "registration-2", t
    assert listed(ev, "registration-1") == []
