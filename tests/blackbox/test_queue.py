"""The queue: issuing, numbering, priorities (strict and interleaved), the
station operations and their refusals, timed observation waits, NIKs,
malformed requests and roles.

One Redis and one antred for the module; every test has its own event(s),
so no test sees another's queues."""

import copy
import datetime
import glob
import http.client
import json
import os
import re
import time

from harness import (ANTRED_TEST, DEMO_EVENT, TOKENS, Antred, Redis, assert_error,
                     set_test_clock, wib_ms)

redis = None
d = None

STAGES = ["registration", "screening", "vaccination", "observation"]
OBS_HOLD_MINUTES = 0.03                    # about 2 s
OBS_HOLD_MS = int(OBS_HOLD_MINUTES * 60000)  # as antred converts it (same IEEE arithmetic)
WIB = datetime.timezone(datetime.timedelta(hours=7))
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+07:00$")

NIK_OLD_MAN = "3273011507550001"     # 327301, 15 July 1955, male
NIK_OLD_WOMAN = "3273015507550002"   # 327301, 15 July 1955, female (day + 40)
NIK_YOUNG = "3171021505000003"       # 317102, 15 May 2000
NIK_YOUNG2 = "3171024208010004"      # 317102, 2 August 2001, female
NIKS_USED = []                       # every valid NIK sent, checked for in Redis and the log


def event(eid, hold=None, **over):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    if hold is not None:
        ev["stages"][3]["hold_minutes"] = hold
    ev.update(over)
    return ev


EVENTS = [
    event("flow"),
    event("obs", hold=OBS_HOLD_MINUTES),
    event("num"),
    event("prio"),
    event("inter", priority_policy={"mode": "interleaved", "every": 2}),
    event("illegal"),
    event("skip"),
    event("nik"),
    event("bad"),
    event("garbage"),
    event("auth"),
    event("empty"),
    event("pub"),
    event("area"),
]


# Every event's clock is pinned (antred-test, key test:clock) to a Wednesday
# morning: the day's figures and codes checked below never straddle
# midnight, whenever the suite runs.  test_midnight crosses it on purpose.
CLOCK_MS = wib_ms(2026, 7, 15, 10, 0, 0)


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=EVENTS, binary=ANTRED_TEST, extra=["test-clock 1"])
    for ev in EVENTS:
        set_test_clock(redis, ev["id"], CLOCK_MS)
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- helpers ---------------------------------------------------------------

def issue(ev, role="desk", **body):
    st, h, b = d.post("/v1/events/%s/tickets" % ev, body, role=role)
    assert st == 201, (st, b)
    assert h["content-type"].startswith("application/json") and h["cache-control"] == "no-store"
    assert set(b) == {"ticket", "status_url", "qr"}, b
    t = b["ticket"]
    assert b["qr"] == b["status_url"], b
    assert re.match(r"^http://127\.0\.0\.1:%d/t/%s/%s\?sig=[A-Za-z0-9_-]+$"
                    % (d.port, re.escape(ev), re.escape(t["id"])), b["status_url"]), b
    return t


def get(ev, ref, role="station"):
    st, _, b = d.get("/v1/events/%s/tickets/%s" % (ev, ref), role=role)
    assert st == 200, (st, b)
    return b["ticket"]


def station_post(ev, station, op, body=None, role="station", raw=None):
    headers = {"Content-Type": "application/json"} if raw is not None else None
    return d.post("/v1/events/%s/stations/%s/%s" % (ev, station, op), body, role=role,
                  raw=raw, headers=headers)


def act(ev, station, op, body=None, role="station"):
    """A station operation that must succeed with a ticket; the ticket."""
    st, _, b = station_post(ev, station, op, body, role=role)
    assert st == 200, (op, station, st, b)
    assert set(b) == {"ticket"} and b["ticket"] is not None, b
    return b["ticket"]


def call(ev, station, ref=None, role="station"):
    return act(ev, station, "call", {"ticket": ref} if ref else None, role=role)


def serve(ev, station, ref):
    """Calls `ref` at `station`, starts and completes it done; the ticket after."""
    t = call(ev, station, ref)
    assert t["state"] == "called" and t["station"] == station, t
    act(ev, station, "start")
    return act(ev, station, "complete", {"outcome": "done"})


def board(ev):
    st, h, b = d.get("/v1/events/%s/board" % ev)
    assert st == 200, (st, b)
    return b


def board_station(ev, sid):
    return [s for s in board(ev)["stations"] if s["id"] == sid][0]


def ms(s):
    """RFC 3339 with +07:00 into epoch milliseconds."""
    assert isinstance(s, str) and RFC3339.match(s), s
    assert not s.endswith(".000+07:00"), "zero milliseconds must be left out: " + s
    dt = datetime.datetime.fromisoformat(s)
    return round(dt.timestamp() * 1000)


def refused(resp, status, code, ev, refs):
    """resp is the refusal; the tickets `refs` are as before (snapshot dict)."""
    assert_error(resp, status, code)
    for ref, before in refs.items():
        after = get(ev, ref)
        assert after == before, "a refused request changed %s:\n%r\n%r" % (ref, before, after)


def snapshot(ev, *refs):
    return {r: get(ev, r) for r in refs}


def raw_post(path, raw, role="desk"):
    """(status, headers, undecoded body): for replies that may not be UTF-8."""
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    try:
        conn.request("POST", path, body=raw, headers={
            "Authorization": "Bearer " + TOKENS[role], "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


# ---- 0. the public board -----------------------------------------------------

def test_board_and_event_are_public():
    # The board runs its script with no arguments: under the sanitizer build
    # this once died on memcpy(argv + 1, NULL, 0) in queue_run() (fixed in
    # b15fe0b); a board read comes first so that it shows here by name.
    st, h, b = d.get("/v1/events/pub/board")
    assert st == 200 and h["cache-control"] == "no-store", (st, h, b)
    assert b["event"] == "pub" and b["target"] == 1000, b
    assert b["issued_today"] == 0 and b["doses_today"] == 0, b
    assert b["calls"] == [] and b["holds"] == [], b
    ms(b["at"])
    # a newcomer to an empty stage with its desks free is called at once
    # (within a minute: the range is at least a minute either side, never
    # below 0); a timed wait has no call to wait for (null)
    now = {"waiting": 0, "eta_s": 0, "eta_range_s": [0, 60]}
    assert b["stages"] == [dict(id="registration", name="Pendaftaran", **now),
                           dict(id="screening", name="Skrining", **now),
                           dict(id="vaccination", name="Vaksinasi", **now),
                           {"id": "observation", "name": "Observasi", "waiting": 0, "eta_s": None,
                            "eta_range_s": None}], b
    want = [{"id": "%s-%d" % (s["id"], n), "stage": s["id"], "number": n, "state": "open",
             "ticket": None} for s in DEMO_EVENT["stages"] for n in range(1, s["stations"] + 1)]
    assert b["stations"] == want, b
    st, h, e = d.get("/v1/events/pub")
    assert st == 200, e
    e = e["event"]
    assert e["id"] == "pub" and e["stations"] == want and e["issued_today"] == 0, e
    assert [(s["id"], s["waiting"], s["dose"]) for s in e["stages"]] == \
        [("registration", 0, False), ("screening", 0, False), ("vaccination", 0, True),
         ("observation", 0, False)], e
    assert e["priority_policy"] == {"mode": "strict"}, e
    st, h, e = d.get("/v1/events/obs")
    assert e["event"]["stages"][3]["hold_minutes"] == OBS_HOLD_MS / 60000, e


# ---- 1. the full flow ---------------------------------------------------------

def test_full_flow_through_four_stages_and_timed_observation():
    ev = "obs"
    b = board(ev)
    assert b["doses_today"] == 0 and b["issued_today"] == 0 and b["holds"] == [], b
    t = issue(ev, service="dose1")
    assert t["code"] == "A-001" and t["service"] == "dose1" and t["priority"] == "regular", t
    assert t["area"] is None and t["state"] == "waiting" and t["stage"] == "registration", t
    assert t["station"] is None and t["hold_until"] is None and t["position"] == 0, t
    # nobody ahead and a desk free: called at once, the range a minute wide;
    # leaving: three services (60 s each before any data) and the hold, to
    # the nearest ten seconds
    assert t["eta_s"] == 0 and t["eta_range_s"] == [0, 60] and t["recalls"] == 0, t
    assert t["leave_eta_s"] == 10 * round((3 * 60 + OBS_HOLD_MS / 1000) / 10), t
    assert t["visits"] == [{"stage": "registration", "station": None, "queued_at": t["issued_at"],
                            "called_at": None, "started_at": None, "completed_at": None,
                            "outcome": None}], t
    ms(t["issued_at"])
    tid, code = t["id"], t["code"]

    stations = {"registration": "registration-1", "screening": "screening-2",
                "vaccination": "vaccination-3"}
    for i, stage in enumerate(STAGES[:3]):
        sid = stations[stage]
        c = call(ev, sid)                       # a plain call: the only one waiting
        assert c["id"] == tid and c["state"] == "called" and c["stage"] == stage, c
        assert c["station"] == sid and c["position"] is None and len(c["visits"]) == i + 1, c
        v = c["visits"][i]
        assert v["stage"] == stage and v["station"] == sid and v["called_at"] is not None, v
        assert v["started_at"] is None and v["completed_at"] is None and v["outcome"] is None
        bs = board_station(ev, sid)
        assert bs == {"id": sid, "stage": stage, "number": int(sid[-1]), "state": "open",
                      "ticket": {"id": tid, "code": code, "state": "called"}}, bs
        s = act(ev, sid, "start")
        assert s["state"] == "serving" and s["station"] == sid, s
        assert s["visits"][i]["started_at"] is not None and s["visits"][i]["completed_at"] is None
        assert board(ev)["doses_today"] == 0
        x = act(ev, sid, "complete", {"outcome": "done"})
        nxt = STAGES[i + 1]
        assert x["state"] == "waiting" and x["stage"] == nxt and x["station"] is None, x
        assert x["position"] == 0 and len(x["visits"]) == i + 2, x
        v = x["visits"][i]
        assert v["outcome"] == "done" and v["completed_at"] is not None and v["station"] == sid, v
        assert x["visits"][i + 1] == {"stage": nxt, "station": None, "queued_at": v["completed_at"],
                                      "called_at": None, "started_at": None,
                                      "completed_at": None, "outcome": None}, x
        assert board_station(ev, sid)["ticket"] is None
        b = board(ev)
        assert b["doses_today"] == (1 if stage == "vaccination" else 0), (stage, b)
        if nxt != "observation":
            assert x["hold_until"] is None, x

    # observation: a timed wait of OBS_HOLD_MS, no station action needed
    t = x
    assert t["hold_until"] is not None, t
    entered = ms(t["visits"][3]["queued_at"])
    until = ms(t["hold_until"])
    assert until - entered == OBS_HOLD_MS, (until - entered, t)
    assert entered == CLOCK_MS, t
    g = get(ev, code)
    assert g["state"] == "waiting" and g["stage"] == "observation" and g["position"] == 0, g
    b = board(ev)
    assert b["holds"] == [{"ticket": tid, "code": code, "stage": "observation",
                           "until": t["hold_until"]}], b
    assert [s["waiting"] for s in b["stages"]] == [0, 0, 0, 1], b

    # the clock moves on past the hold; the sweep (once a second) ends it
    time.sleep(1.5)
    assert get(ev, tid)["state"] == "waiting", "the hold ended before its time"
    set_test_clock(redis, ev, until + 500)
    deadline = time.monotonic() + 6
    while True:
        g = get(ev, tid)
        if g["state"] != "waiting" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert g["state"] == "done", "the sweep did not end the observation wait: %r" % g
    assert g["stage"] == "observation" and g["station"] is None and g["hold_until"] is None, g
    assert g["position"] is None and g["eta_s"] is None, g
    assert [v["stage"] for v in g["visits"]] == STAGES, g
    ov = g["visits"][3]
    assert ov["station"] is None and ov["called_at"] is None and ov["started_at"] is None, ov
    assert ov["outcome"] == "done" and ms(ov["completed_at"]) >= until, (ov, t["hold_until"])
    assert ms(ov["completed_at"]) - until < 3000, "the sweep runs about once a second"
    # the visits' times, in order, each RFC 3339 in +07:00
    prev = ms(g["issued_at"])
    for i, v in enumerate(g["visits"]):
        assert ms(v["queued_at"]) >= prev, g
        if i < 3:
            assert v["station"] == stations[v["stage"]] and v["outcome"] == "done", v
            assert ms(v["queued_at"]) <= ms(v["called_at"]) <= ms(v["started_at"]) <= \
                ms(v["completed_at"]), v
            assert g["visits"][i + 1]["queued_at"] == v["completed_at"], g
        prev = ms(v["completed_at"])
    b = board(ev)
    assert b["holds"] == [] and b["doses_today"] == 1 and b["issued_today"] == 1, b
    assert [s["waiting"] for s in b["stages"]] == [0, 0, 0, 0], b


def test_completing_observation_before_the_hold_ends():
    ev = "flow"                                  # observation holds 30 minutes
    t = issue(ev, service="dose1")
    for stage in STAGES[:3]:
        t = serve(ev, stage + "-1", t["code"])
    assert t["stage"] == "observation" and t["state"] == "waiting", t
    assert ms(t["hold_until"]) - ms(t["visits"][3]["queued_at"]) == 30 * 60000, t
    assert board(ev)["holds"] == [{"ticket": t["id"], "code": t["code"], "stage": "observation",
                                   "until": t["hold_until"]}]
    c = call(ev, "observation-1")
    assert c["id"] == t["id"] and c["state"] == "called" and c["station"] == "observation-1", c
    act(ev, "observation-1", "start")
    x = act(ev, "observation-1", "complete", {"outcome": "done"})
    assert x["state"] == "done" and x["stage"] == "observation" and x["hold_until"] is None, x
    assert x["station"] is None and x["position"] is None, x
    v = x["visits"][3]
    assert v["station"] == "observation-1" and v["outcome"] == "done", v
    assert ms(v["completed_at"]) < ms(t["hold_until"]), v
    assert get(ev, t["id"]) == x
    b = board(ev)
    assert b["holds"] == [] and b["doses_today"] == 1, b
    assert board_station(ev, "observation-1")["ticket"] is None


# ---- 2. numbering --------------------------------------------------------------

def test_numbering_per_service_and_lookup_by_code_or_id():
    ev = "num"
    plan = [("dose1", "A-001"), ("dose1", "A-002"), ("dose2", "B-001"), ("dose1", "A-003"),
            ("booster", "C-001"), ("dose2", "B-002")]
    issued = []
    for service, want in plan:
        t = issue(ev, service=service)
        assert t["code"] == want and t["service"] == service, (want, t)
        issued.append(t)
    assert len({t["id"] for t in issued}) == len(issued), issued
    assert not {t["id"] for t in issued} & {t["code"] for t in issued}
    for i, t in enumerate(issued):
        assert t["position"] == i, t             # all regular, all at registration
        by_code = get(ev, t["code"])
        by_id = get(ev, t["id"], role="desk")
        assert by_code == by_id == t, (by_code, by_id, t)
    assert board(ev)["issued_today"] == len(plan)


# ---- 3. strict priority -----------------------------------------------------------

def test_strict_priority_order_and_positions():
    ev = "prio"
    r1 = issue(ev, service="dose1")
    r2 = issue(ev, service="dose1", priority="regular")
    e = issue(ev, service="dose1", priority="elderly")
    x = issue(ev, service="dose1", priority="disabled")
    assert (r1["priority"], r2["priority"], e["priority"], x["priority"]) == \
        ("regular", "regular", "elderly", "disabled")
    # at issue time, each among those then waiting
    assert [r1["position"], r2["position"], e["position"], x["position"]] == [0, 1, 0, 1]
    order = [e, x, r1, r2]
    remaining = list(order)
    while remaining:
        for i, t in enumerate(remaining):
            assert get(ev, t["code"])["position"] == i, (i, t["code"], remaining)
        c = call(ev, "registration-1")
        assert c["code"] == remaining[0]["code"], (c["code"], remaining[0]["code"])
        act(ev, "registration-1", "skip")
        remaining.pop(0)
    st, _, b = station_post(ev, "registration-1", "call")
    assert st == 204, (st, b)


# ---- 4. interleaved priority ----------------------------------------------------

def test_interleaved_every_two():
    """One priority ticket after `every` (2) regular ones while both wait."""
    ev = "inter"
    st, _, b = d.get("/v1/events/inter")
    assert b["event"]["priority_policy"] == {"mode": "interleaved", "every": 2}, b
    regs = [issue(ev, service="dose1") for _ in range(4)]
    olds = [issue(ev, service="dose1", priority="elderly") for _ in range(2)]
    R1, R2, R3, R4 = regs
    E1, E2 = olds
    expected = [R1, R2, E1, R3, R4, E2]
    # positions before any call are the indexes in the call order
    for i, t in enumerate(expected):
        assert get(ev, t["id"])["position"] == i, (i, t["code"])

    def drain(order):
        remaining = list(order)
        while remaining:
            for i, t in enumerate(remaining):
                assert get(ev, t["id"])["position"] == i, (i, t["code"], [r["code"] for r in remaining])
            c = call(ev, "registration-2")
            assert c["id"] == remaining[0]["id"], (c["code"], remaining[0]["code"])
            act(ev, "registration-2", "skip")
            remaining.pop(0)
        assert station_post(ev, "registration-2", "call")[0] == 204

    drain(expected)
    # regular ones called with nobody of priority waiting count too: the
    # next priority ticket goes first once `every` regular ones were called
    more = [issue(ev, service="dose1") for _ in range(3)]
    drain(more)
    # (and among priority tickets, the higher priority first)
    e3 = issue(ev, service="dose1", priority="disabled")
    r8 = issue(ev, service="dose1")
    r9 = issue(ev, service="dose1")
    e4 = issue(ev, service="dose1", priority="elderly")
    drain([e4, r8, r9, e3])


# ---- 5. illegal transitions ----------------------------------------------------

def test_illegal_transitions_are_refused_and_change_nothing():
    ev = "illegal"
    t1 = issue(ev, service="dose1")
    t2 = issue(ev, service="dose1")
    a, b_ = t1["code"], t2["code"]
    S = "registration-1"

    # nothing held
    snap = snapshot(ev, a, b_)
    for op, body in [("start", None), ("complete", {"outcome": "done"}), ("recall", None),
                     ("skip", None), ("transfer", {"stage": "screening"})]:
        refused(station_post(ev, S, op, body), 409, "no_ticket", ev, snap)
    assert board_station(ev, S)["ticket"] is None

    # only called
    c = call(ev, S)
    assert c["code"] == a
    snap = snapshot(ev, a, b_)
    refused(station_post(ev, S, "complete", {"outcome": "done"}), 409, "invalid_transition", ev, snap)
    refused(d.post("/v1/events/%s/tickets/%s/cancel" % (ev, a), role="desk"),
            409, "invalid_transition", ev, snap)
    refused(station_post(ev, S, "call"), 409, "station_busy", ev, snap)
    refused(station_post(ev, S, "call", {"ticket": b_}), 409, "station_busy", ev, snap)
    # the same ticket called by a second station of the stage
    refused(station_post(ev, "registration-2", "call", {"ticket": a}), 409,
            "invalid_transition", ev, snap)
    assert board_station(ev, "registration-2")["ticket"] is None

    # serving
    s = act(ev, S, "start")
    assert s["state"] == "serving"
    snap = snapshot(ev, a, b_)
    for op, body, code in [("start", None, "invalid_transition"),
                           ("recall", None, "invalid_transition"),
                           ("skip", None, "invalid_transition"),
                           ("call", None, "station_busy"),
                           ("transfer", {"stage": "registration"}, "invalid_transition")]:
        refused(station_post(ev, S, op, body), 409, code, ev, snap)
    refused(d.post("/v1/events/%s/tickets/%s/cancel" % (ev, a), role="desk"),
            409, "invalid_transition", ev, snap)
    assert board_station(ev, S)["ticket"] == {"id": t1["id"], "code": a, "state": "serving"}

    # transfer to the same stage while only called, too
    c = call(ev, "registration-2")
    assert c["code"] == b_
    snap = snapshot(ev, a, b_)
    refused(station_post(ev, "registration-2", "transfer", {"stage": "registration"}), 409,
            "invalid_transition", ev, snap)
    act(ev, "registration-2", "skip")

    # on to screening; called by code at registration: wrong stage
    x = act(ev, S, "complete", {"outcome": "done"})
    assert x["stage"] == "screening" and x["state"] == "waiting"
    snap = snapshot(ev, a, b_)
    refused(station_post(ev, "registration-2", "call", {"ticket": a}), 409, "wrong_stage", ev, snap)
    refused(station_post(ev, "registration-2", "call", {"ticket": t1["id"]}), 409, "wrong_stage",
            ev, snap)
    assert board_station(ev, "registration-2")["ticket"] is None

    # a paused station calls nobody
    t3 = issue(ev, service="dose1")
    p = station_post(ev, "registration-2", "pause")
    assert p[0] == 200 and p[2]["station"]["state"] == "paused", p
    snap = snapshot(ev, a, b_, t3["code"])
    refused(station_post(ev, "registration-2", "call"), 409, "station_paused", ev, snap)
    refused(station_post(ev, "registration-2", "call", {"ticket": t3["code"]}), 409,
            "station_paused", ev, snap)
    assert station_post(ev, "registration-2", "resume")[2]["station"]["state"] == "open"
    assert board_station(ev, "registration-2")["ticket"] is None

    # a done ticket cannot be called again, nor cancelled
    for stage in STAGES[1:]:
        x = serve(ev, stage + "-1", a)
    assert x["state"] == "done", x
    snap = snapshot(ev, a, b_, t3["code"])
    refused(station_post(ev, "observation-1", "call", {"ticket": a}), 409, "invalid_transition",
            ev, snap)
    refused(d.post("/v1/events/%s/tickets/%s/cancel" % (ev, a), role="desk"),
            409, "invalid_transition", ev, snap)
    assert board_station(ev, "observation-1")["ticket"] is None

    # a refused one neither; a cancelled one neither
    x = serve(ev, "registration-1", t3["code"])
    c = call(ev, "screening-1", t3["code"])
    act(ev, "screening-1", "start")
    x = act(ev, "screening-1", "complete", {"outcome": "refused"})
    assert x["state"] == "refused" and x["stage"] == "screening" and x["station"] is None, x
    assert x["visits"][1]["outcome"] == "refused", x
    t4 = issue(ev, service="dose1")
    cx = d.post("/v1/events/%s/tickets/%s/cancel" % (ev, t4["code"]), role="desk")
    assert cx[0] == 200 and cx[2]["ticket"]["state"] == "cancelled", cx
    snap = snapshot(ev, a, b_, t3["code"], t4["code"])
    refused(station_post(ev, "screening-2", "call", {"ticket": t3["code"]}), 409,
            "invalid_transition", ev, snap)
    refused(station_post(ev, "registration-2", "call", {"ticket": t4["code"]}), 409,
            "invalid_transition", ev, snap)
    refused(d.post("/v1/events/%s/tickets/%s/cancel" % (ev, t4["code"]), role="desk"),
            409, "invalid_transition", ev, snap)
    # the skipped one (t2) is still there to be brought back; nobody else waits
    assert station_post(ev, "registration-2", "call")[0] == 204


# ---- 6. skip, recall, transfer, pause -----------------------------------------------

def test_skip_recall_transfer_pause():
    ev = "skip"
    s1 = issue(ev, service="dose1")
    s2 = issue(ev, service="dose1")
    s3 = issue(ev, service="dose2")
    R = "registration-1"

    c = call(ev, R)
    assert c["id"] == s1["id"]
    k = act(ev, R, "skip")
    assert k["state"] == "skipped" and k["station"] is None and k["position"] is None, k
    assert k["visits"][0]["outcome"] == "skipped" and k["visits"][0]["station"] == R, k
    assert board_station(ev, R)["ticket"] is None
    assert [s["waiting"] for s in board(ev)["stages"]][0] == 2
    # plain calls pass it by
    assert call(ev, R)["id"] == s2["id"]
    act(ev, R, "start")
    act(ev, R, "complete", {"outcome": "done"})
    assert call(ev, R)["id"] == s3["id"]
    act(ev, R, "start")
    act(ev, R, "complete", {"outcome": "done"})
    st, _, body = station_post(ev, R, "call")
    assert st == 204 and body == b"", (st, body)
    assert get(ev, s1["code"])["state"] == "skipped"
    # brought back by its code
    c = call(ev, R, s1["code"])
    assert c["id"] == s1["id"] and c["state"] == "called" and c["station"] == R, c
    assert c["visits"][0]["called_at"] is not None and len(c["visits"]) == 1, c

    # recall: the count goes up, still called, a recall on the board
    r = act(ev, R, "recall")
    assert r["state"] == "called" and r["recalls"] == 1 and r["station"] == R, r
    r = act(ev, R, "recall")
    assert r["state"] == "called" and r["recalls"] == 2, r
    assert get(ev, s1["id"])["recalls"] == 2
    calls = board(ev)["calls"]
    assert calls[0]["ticket"] == s1["id"] and calls[0]["code"] == s1["code"], calls
    assert calls[0]["recall"] is True and calls[0]["station"] == R, calls
    assert calls[0]["stage"] == "registration" and calls[0]["station_number"] == 1, calls
    assert calls[1]["recall"] is True and calls[2]["recall"] is False, calls
    ms(calls[0]["at"])

    # s2 and s3 wait at vaccination; s1, transferred from screening, goes behind them
    serve(ev, "screening-1", s2["code"])
    serve(ev, "screening-1", s3["code"])
    act(ev, R, "start")
    act(ev, R, "complete", {"outcome": "done"})
    assert get(ev, s2["id"])["position"] == 0 and get(ev, s3["id"])["position"] == 1
    c = call(ev, "screening-2", s1["code"])
    tr = act(ev, "screening-2", "transfer", {"stage": "vaccination"})
    assert tr["state"] == "waiting" and tr["stage"] == "vaccination" and tr["station"] is None, tr
    assert tr["position"] == 2 and tr["hold_until"] is None, tr
    assert [v["stage"] for v in tr["visits"]] == ["registration", "screening", "vaccination"], tr
    sv = tr["visits"][1]
    assert sv["outcome"] == "transferred" and sv["station"] == "screening-2", sv
    assert sv["started_at"] is None and sv["completed_at"] is not None, sv
    assert tr["visits"][2] == {"stage": "vaccination", "station": None,
                               "queued_at": sv["completed_at"], "called_at": None,
                               "started_at": None, "completed_at": None, "outcome": None}, tr
    assert board_station(ev, "screening-2")["ticket"] is None
    assert [s["waiting"] for s in board(ev)["stages"]] == [0, 0, 3, 0]
    # transferred while serving, too: vaccination-2 takes the front, sends it back
    order = []
    for _ in range(3):
        order.append(call(ev, "vaccination-1")["id"])
        act(ev, "vaccination-1", "skip")
    assert order == [s2["id"], s3["id"], s1["id"]], order
    x = call(ev, "vaccination-2", s2["code"])
    act(ev, "vaccination-2", "start")
    tr = act(ev, "vaccination-2", "transfer", {"stage": "screening"})
    assert tr["stage"] == "screening" and tr["state"] == "waiting" and tr["position"] == 0, tr
    assert tr["visits"][-2]["outcome"] == "transferred", tr
    assert tr["visits"][-2]["started_at"] is not None, tr
    assert board(ev)["doses_today"] == 0

    # pause and resume
    st, _, p = station_post(ev, "vaccination-2", "pause")
    assert st == 200 and p == {"station": {"id": "vaccination-2", "stage": "vaccination",
                                           "number": 2, "state": "paused", "ticket": None}}, p
    assert board_station(ev, "vaccination-2")["state"] == "paused"
    st, _, ev_ = d.get("/v1/events/skip")
    assert [s["state"] for s in ev_["event"]["stations"] if s["id"] == "vaccination-2"] == ["paused"]
    st, _, p = station_post(ev, "vaccination-2", "resume")
    assert st == 200 and p == {"station": {"id": "vaccination-2", "stage": "vaccination",
                                           "number": 2, "state": "open", "ticket": None}}, p
    assert board_station(ev, "vaccination-2")["state"] == "open"
    # pausing a station that holds someone keeps the ticket
    c = call(ev, "vaccination-2", s3["code"])
    st, _, p = station_post(ev, "vaccination-2", "pause")
    assert p["station"]["ticket"] == {"id": s3["id"], "code": s3["code"], "state": "called"}, p
    assert p["station"]["state"] == "paused"
    assert get(ev, s3["id"])["state"] == "called"
    station_post(ev, "vaccination-2", "resume")

    # a skipped ticket may be cancelled
    s4 = issue(ev, service="dose1")
    assert call(ev, "registration-2")["id"] == s4["id"]
    act(ev, "registration-2", "skip")
    st, _, cx = d.post("/v1/events/skip/tickets/%s/cancel" % s4["id"], role="desk")
    assert st == 200 and cx["ticket"]["state"] == "cancelled", cx
    assert cx["ticket"]["visits"][0]["outcome"] == "cancelled", cx


# ---- 7. NIK ------------------------------------------------------------------------

def nik_for(born):
    return "327301%02d%02d%02d0009" % (born.day, born.month, born.year % 100)


def redis_dump():
    """Every key and value of the Redis, as one text."""
    script = """
local out = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  out[#out + 1] = k
  local ty = redis.call('TYPE', k).ok
  local vals = {}
  if ty == 'string' then vals = { redis.call('GET', k) }
  elseif ty == 'hash' then vals = redis.call('HGETALL', k)
  elseif ty == 'set' then vals = redis.call('SMEMBERS', k)
  elseif ty == 'zset' then vals = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
  elseif ty == 'list' then vals = redis.call('LRANGE', k, 0, -1)
  elseif ty == 'stream' then
    for _, e in ipairs(redis.call('XRANGE', k, '-', '+')) do
      vals[#vals + 1] = e[1]
      for _, f in ipairs(e[2]) do vals[#vals + 1] = f end
    end
  else vals = { 'UNKNOWN TYPE ' .. ty } end
  for _, v in ipairs(vals) do out[#out + 1] = tostring(v) end
end
return table.concat(out, '\\n')
"""
    return redis.cli("EVAL", script, 0)


def test_nik():
    ev = "nik"
    base = board(ev)["issued_today"]
    st, h, body = d.post("/v1/events/nik/tickets", {"service": "dose1", "nik": NIK_OLD_MAN},
                         role="desk")
    NIKS_USED.append(NIK_OLD_MAN)
    assert st == 201, body
    t = body["ticket"]
    assert t["priority"] == "elderly" and t["area"] == "327301", t
    assert NIK_OLD_MAN not in json.dumps(body) and "nik" not in t, body
    assert t["code"] == "A-001"

    # one ticket per person and service a day
    resp = d.post("/v1/events/nik/tickets", {"service": "dose1", "nik": NIK_OLD_MAN}, role="desk")
    assert_error(resp, 409, "duplicate_person")
    assert NIK_OLD_MAN not in json.dumps(resp[2])
    resp = d.post("/v1/events/nik/tickets", {"service": "dose1", "nik": NIK_OLD_MAN,
                                             "priority": "regular", "area": "RT 05"}, role="desk")
    assert_error(resp, 409, "duplicate_person")
    assert board(ev)["issued_today"] == base + 1
    t2 = issue(ev, service="dose2", nik=NIK_OLD_MAN)
    assert t2["code"] == "B-001" and t2["priority"] == "elderly" and t2["area"] == "327301", t2
    # cancelled: the person may come back for the service
    st, _, cx = d.post("/v1/events/nik/tickets/%s/cancel" % t["code"], role="desk")
    assert st == 200 and cx["ticket"]["state"] == "cancelled", cx
    t3 = issue(ev, service="dose1", nik=NIK_OLD_MAN)
    assert t3["code"] == "A-002" and t3["priority"] == "elderly", t3   # A-001 is not reused
    assert_error(d.post("/v1/events/nik/tickets", {"service": "dose1", "nik": NIK_OLD_MAN},
                        role="desk"), 409, "duplicate_person")

    # female (day + 40), elderly, with an area given: the given one is kept
    w = issue(ev, service="booster", nik=NIK_OLD_WOMAN, area="Desa Sukamaju RT 05")
    NIKS_USED.append(NIK_OLD_WOMAN)
    assert w["priority"] == "elderly" and w["area"] == "Desa Sukamaju RT 05", w
    # elderly outranks "disabled" as given
    w2 = issue(ev, service="dose2", nik=NIK_OLD_WOMAN, priority="disabled")
    assert w2["priority"] == "elderly", w2

    # the young keep the given or the default priority
    y = issue(ev, service="dose1", nik=NIK_YOUNG)
    NIKS_USED.append(NIK_YOUNG)
    assert y["priority"] == "regular" and y["area"] == "317102", y
    y2 = issue(ev, service="dose1", nik=NIK_YOUNG2, priority="disabled")
    NIKS_USED.append(NIK_YOUNG2)
    assert y2["priority"] == "disabled" and y2["area"] == "317102", y2

    # 60 today is elderly; 60 tomorrow is not yet.  "Today" is the event's
    # day (WIB) on its clock, at 02:00: 19:00 UTC the day before, so an age
    # reckoned on the UTC day fails here whenever the suite runs.  Then 29
    # February: born on a leap day, 60 on one.
    for y, mo, dd in ((2026, 7, 15), (2028, 2, 29)):
        set_test_clock(redis, ev, wib_ms(y, mo, dd, 2, 0, 0))
        today = datetime.date(y, mo, dd)
        sixty = today.replace(year=today.year - 60)
        n60 = nik_for(sixty)
        n59 = nik_for(sixty + datetime.timedelta(days=1))
        NIKS_USED.extend([n60, n59])
        assert issue(ev, service="dose1", nik=n60)["priority"] == "elderly", (today, n60)
        assert issue(ev, service="dose1", nik=n59)["priority"] == "regular", (today, n59)
    set_test_clock(redis, ev, CLOCK_MS)

    # invalid NIKs: 422, nothing issued
    before = board(ev)["issued_today"]
    bad = ["327301150755000",       # 15 digits
           "32730115075500011",     # 17 digits
           "3273013207550001",      # day 32
           "3273011513550001",      # month 13
           "3273013002550001",      # 30 February
           "3273017207550001",      # day 72 - 40 = 32
           "9973011507550001",      # no province 99
           "3273011507550000",      # serial 0
           "32730115O7550001",      # a letter O
           ""]
    for nik in bad:
        assert_error(d.post("/v1/events/nik/tickets", {"service": "dose1", "nik": nik},
                            role="desk"), 422, "invalid_nik")
    assert_error(d.post("/v1/events/nik/tickets", {"service": "dose1", "nik": 3273011507550001},
                        role="desk"), 400, "invalid_field")
    assert board(ev)["issued_today"] == before

    # the NIK is nowhere: not in Redis, not in its append-only file, not in antred's log
    dump = redis_dump()
    assert t3["id"] in dump and "327301" in dump, dump[:2000]   # the dump works
    aof = b""
    for path in glob.glob(os.path.join(redis.tmp, "**", "*.aof*"), recursive=True):
        with open(path, "rb") as f:
            aof += f.read()
    log = d.logtext()
    for nik in NIKS_USED:
        assert nik not in dump, "NIK %s stored in Redis" % nik
        assert nik.encode() not in aof, "NIK %s in Redis's AOF" % nik
        assert nik not in log, "NIK %s in antred's log" % nik


# ---- 8. malformed requests ----------------------------------------------------------

def test_bad_requests_change_nothing():
    ev = "bad"
    first = issue(ev, service="dose1")
    assert first["code"] == "A-001"
    held = call(ev, "registration-1")
    snap = snapshot(ev, first["code"])
    base = board(ev)

    def tickets(raw):
        return d.post("/v1/events/bad/tickets", role="desk", raw=raw,
                      headers={"Content-Type": "application/json"})

    assert_error(tickets(b"service=dose1"), 400, "invalid_json")
    assert_error(tickets(b"{\"service\": \"dose1\""), 400, "invalid_json")
    assert_error(tickets(b"[{\"service\": \"dose1\"}]"), 400, "invalid_json")
    assert_error(tickets(b"\"dose1\""), 400, "invalid_json")
    assert_error(tickets(b"null"), 400, "invalid_json")
    assert_error(tickets(b""), 400, "invalid_json")
    assert_error(d.post("/v1/events/bad/tickets", role="desk"), 400, "invalid_json")
    cases = [
        ({}, 400, "invalid_field"),
        ({"priority": "elderly"}, 400, "invalid_field"),
        ({"service": 5}, 400, "invalid_field"),
        ({"service": ["dose1"]}, 400, "invalid_field"),
        ({"service": "dose1", "priority": 1}, 400, "invalid_field"),
        ({"service": "dose1", "area": 327301}, 400, "invalid_field"),
        ({"service": "dose9"}, 422, "unknown_service"),
        ({"service": "A"}, 422, "unknown_service"),
        ({"service": ""}, 422, "unknown_service"),
        ({"service": "dose1", "priority": "vip"}, 422, "unknown_priority"),
        ({"service": "dose1", "priority": ""}, 422, "unknown_priority"),
        ({"service": "dose1", "area": ""}, 422, "invalid_area"),
        ({"service": "dose1", "area": "RT\x0105"}, 422, "invalid_area"),
        ({"service": "dose1", "area": "RT 05\n"}, 422, "invalid_area"),
        ({"service": "dose1", "area": "RT\x7f"}, 422, "invalid_area"),
        ({"service": "dose1", "area": "x" * 64}, 422, "invalid_area"),
    ]
    for body, status, code in cases:
        resp = d.post("/v1/events/bad/tickets", body, role="desk")
        assert_error(resp, status, code)

    S = "registration-1"
    assert_error(station_post(ev, S, "complete", {}), 400, "invalid_field")
    assert_error(station_post(ev, S, "complete", {"outcome": ""}), 400, "invalid_field")
    assert_error(station_post(ev, S, "complete", {"outcome": 1}), 400, "invalid_field")
    assert_error(station_post(ev, S, "complete"), 400, "invalid_json")
    assert_error(station_post(ev, S, "complete", raw=b"done"), 400, "invalid_json")
    assert_error(station_post(ev, S, "complete", {"outcome": "maybe"}), 422, "invalid_outcome")
    assert_error(station_post(ev, S, "complete", {"outcome": "DONE"}), 422, "invalid_outcome")
    assert_error(station_post(ev, S, "transfer", {"stage": "pharmacy"}), 422, "unknown_stage")
    assert_error(station_post(ev, S, "transfer", {}), 400, "invalid_field")
    assert_error(station_post(ev, S, "transfer"), 400, "invalid_json")
    assert_error(station_post(ev, "registration-2", "call", {"ticket": 5}), 400, "invalid_field")
    assert_error(station_post(ev, "registration-2", "call", {"ticket": ""}), 400, "invalid_field")
    assert_error(station_post(ev, "registration-2", "call", {"ticket": "x" * 40}), 400,
                 "invalid_field")
    assert_error(station_post(ev, "registration-2", "call", raw=b"[1]"), 400, "invalid_json")
    assert_error(station_post(ev, "registration-2", "call", raw=b"{oops"), 400, "invalid_json")
    for sid in ["vaccination-9", "vaccination-0", "vaccination-01", "vaccination-", "nosuch-1",
                "registration", "registration-1x", "-1"]:
        for op, body in [("call", None), ("start", None), ("pause", None),
                         ("complete", {"outcome": "done"})]:
            assert_error(station_post(ev, sid, op, body), 404, "unknown_station")
    assert_error(d.post("/v1/events/nosuch/tickets", {"service": "dose1"}, role="desk"),
                 404, "unknown_event")
    assert_error(d.get("/v1/events/nosuch/board"), 404, "unknown_event")
    assert_error(d.get("/v1/events/nosuch"), 404, "unknown_event")
    assert_error(d.get("/v1/events/nosuch/tickets/A-001", role="station"), 404, "unknown_event")
    assert_error(station_post("nosuch", "registration-1", "call"), 404, "unknown_event")
    for ref in ["A-999", "Z-001", "20200101-A001", "nosuch", "a-001"]:
        assert_error(d.get("/v1/events/bad/tickets/%s" % ref, role="station"),
                     404, "ticket_not_found")
        assert_error(d.post("/v1/events/bad/tickets/%s/cancel" % ref, role="desk"),
                     404, "ticket_not_found")
    assert_error(station_post(ev, "registration-2", "call", {"ticket": "A-999"}), 404,
                 "ticket_not_found")

    # nothing changed: no ticket issued, none moved, no number used
    after = board(ev)
    for k in ("issued_today", "doses_today", "stages", "stations", "calls", "holds"):
        assert after[k] == base[k], (k, base[k], after[k])
    assert get(ev, first["code"]) == snap[first["code"]]
    assert held["state"] == "called"
    assert issue(ev, service="dose1")["code"] == "A-002"


def test_trailing_garbage_after_json_is_not_json():
    ev = "garbage"
    before = board(ev)["issued_today"]
    # cJSON stops after the first JSON value; whatever follows it makes the
    # body not JSON, refused (400 invalid_json), not issued.
    resps = [d.post("/v1/events/garbage/tickets", role="desk", raw=raw,
                    headers={"Content-Type": "application/json"})
             for raw in (b'{"service":"dose1"} garbage', b'{"service":"dose1"}{"service":"dose2"}',
                         b'{"service":"dose1"}\x00xx',
                         # raw NUL bytes inside a string or before the object
                         # (found by fuzz_body: cJSON read past them)
                         b'{"service":"dose1\x00xyz"}', b'\x00{"service":"dose1"}')]
    after = board(ev)["issued_today"]
    for resp in resps:
        assert_error(resp, 400, "invalid_json")
    assert after == before


def test_area_must_be_printable_utf8():
    ev = "area"
    before = board(ev)["issued_today"]
    path = "/v1/events/area/tickets"
    nul = raw_post(path, json.dumps({"service": "dose1", "area": "RT\u0000 05"}).encode())
    latin1 = raw_post(path, b'{"service":"dose1","area":"D\xe9sa"}')
    utf8 = raw_post(path, json.dumps({"service": "dose1", "area": "D\u00e9sa \u2603"}).encode())
    after = board(ev)["issued_today"]
    # valid UTF-8 outside ASCII is printable
    assert utf8[0] == 201, utf8
    assert json.loads(utf8[2])["ticket"]["area"] == "D\u00e9sa \u2603", utf8
    # A "\u0000" would become a NUL byte that cuts the C string: the whole
    # body is refused (400 invalid_json) rather than the area cut short.
    nul_ok = nul[0] == 400 and json.loads(nul[2])["error"]["code"] == "invalid_json"
    # Bytes that are not UTF-8 ("D\xe9sa", Latin-1) would make every later
    # reply with this ticket claim charset=utf-8 falsely: refused.
    latin1_ok = latin1[0] == 400 and json.loads(latin1[2])["error"]["code"] == "invalid_json"
    assert nul_ok and latin1_ok, "NUL in area: %r\nLatin-1 area: %r" % (nul[::2], latin1[::2])
    assert after == before + 1, (before, after)


# ---- 9. roles ----------------------------------------------------------------------

def test_auth_per_role():
    ev = "auth"
    T = "/v1/events/auth/tickets"
    # no token, a wrong one, a malformed header: 401 with WWW-Authenticate
    for kw in [{}, {"token": "wrong-token-0001"}, {"headers": {"Authorization": "Basic abc"}},
               {"headers": {"Authorization": "Bearer"}},
               {"token": TOKENS["desk"] + "x"}]:
        for method, path, body in [("POST", T, {"service": "dose1"}), ("GET", T + "/A-001", None),
                                   ("POST", T + "/A-001/cancel", None),
                                   ("POST", "/v1/events/auth/stations/registration-1/call", None),
                                   ("POST", "/v1/events/auth/stations/registration-1/pause", None)]:
            resp = d.request(method, path, body=body, **kw)
            assert_error(resp, 401, "unauthorized")
            assert resp[1].get("www-authenticate") == "Bearer", resp[1]
    assert board(ev)["issued_today"] == 0

    # station: no issuing or cancelling; desk: no station work
    assert_error(d.post(T, {"service": "dose1"}, role="station"), 403, "forbidden")
    t = issue(ev, service="dose1")
    assert_error(d.post(T + "/%s/cancel" % t["code"], role="station"), 403, "forbidden")
    for op in ["call", "recall", "start", "skip", "pause", "resume"]:
        assert_error(station_post(ev, "registration-1", op, role="desk"), 403, "forbidden")
    assert_error(station_post(ev, "registration-1", "complete", {"outcome": "done"}, role="desk"),
                 403, "forbidden")
    assert_error(station_post(ev, "registration-1", "transfer", {"stage": "screening"},
                              role="desk"), 403, "forbidden")
    # organiser: reads everything, changes nothing
    for role in ("station", "desk", "organiser", "admin"):
        assert get(ev, t["code"], role=role)["id"] == t["id"]
    assert_error(d.post(T, {"service": "dose1"}, role="organiser"), 403, "forbidden")
    assert_error(d.post(T + "/%s/cancel" % t["code"], role="organiser"), 403, "forbidden")
    assert_error(station_post(ev, "registration-1", "call", role="organiser"), 403, "forbidden")
    assert_error(station_post(ev, "registration-1", "pause", role="organiser"), 403, "forbidden")
    assert get(ev, t["code"]) == t
    assert board(ev)["issued_today"] == 1
    assert board_station(ev, "registration-1")["state"] == "open"

    # admin: everything
    a = issue(ev, role="admin", service="dose2", priority="elderly")
    assert a["code"] == "B-001"
    c = call(ev, "registration-1", role="admin")
    assert c["id"] == a["id"]
    act(ev, "registration-1", "recall", role="admin")
    act(ev, "registration-1", "start", role="admin")
    x = act(ev, "registration-1", "transfer", {"stage": "screening"}, role="admin")
    assert x["stage"] == "screening"
    c = call(ev, "screening-1", role="admin")
    act(ev, "screening-1", "skip", role="admin")
    call(ev, "screening-1", a["code"], role="admin")
    act(ev, "screening-1", "start", role="admin")
    x = act(ev, "screening-1", "complete", {"outcome": "deferred"}, role="admin")
    assert x["state"] == "deferred", x
    st, _, p = station_post(ev, "registration-2", "pause", role="admin")
    assert st == 200 and p["station"]["state"] == "paused"
    st, _, p = station_post(ev, "registration-2", "resume", role="admin")
    assert st == 200 and p["station"]["state"] == "open"
    st, _, cx = d.post(T + "/%s/cancel" % t["code"], role="admin")
    assert st == 200 and cx["ticket"]["state"] == "cancelled"
    assert get(ev, a["id"], role="admin")["state"] == "deferred"

    # public: board, event list, one event need no token (and ignore a bad one)
    for kw in [{}, {"token": "wrong-token-0001"}]:
        st, h, b = d.get("/v1/events/auth/board", **kw)
        assert st == 200 and b["event"] == "auth" and b["issued_today"] == 2, b
        st, h, b = d.get("/v1/events", **kw)
        assert st == 200 and sorted(e["id"] for e in b["events"]) == sorted(e["id"] for e in EVENTS)
        st, h, b = d.get("/v1/events/auth", **kw)
        assert st == 200 and b["event"]["id"] == "auth" and b["event"]["issued_today"] == 2, b


# ---- 10. nobody waits -----------------------------------------------------------------

def test_call_with_nobody_waiting_is_204_with_empty_body():
    ev = "empty"
    for sid, body in [("registration-1", None), ("registration-2", {}),
                      ("observation-1", {"ticket": None}), ("vaccination-3", None)]:
        st, h, payload = station_post(ev, sid, "call", body)
        assert st == 204 and payload == b"", (sid, st, payload)
        assert h.get("content-length", "0") == "0", h
        assert board_station(ev, sid)["ticket"] is None
    # a skipped ticket is not "waiting" for a plain call
    t = issue(ev, service="dose1")
    assert call(ev, "registration-1")["id"] == t["id"]
    act(ev, "registration-1", "skip")
    st, h, payload = station_post(ev, "registration-1", "call")
    assert st == 204 and payload == b"", (st, payload)
    assert board(ev)["calls"][0]["ticket"] == t["id"] and len(board(ev)["calls"]) == 1
    # PROTOCOL.md: every reply carries Cache-Control: no-store, a 204 too
    assert h.get("cache-control") == "no-store", h
    assert "content-type" not in h, h
