"""The organisers' figures: GET /v1/events/{ev}/stats and GET /v1/stats.

antred-test (config "test-clock 1") takes the scripts' time from the Redis
key antre:{EVENT}:test:clock, so every call, start and completion below
happens at a chosen instant and every figure can be worked out by hand.
The expected numbers are written out, with their derivation in comments;
they are not recomputed by code that mirrors stats.c.

Times are event-local (WIB, UTC+7) on 2026-11-23; "m491" is the event-local
minute of the day (08:11 = 8 * 60 + 11 = 491).  A "last 60 minutes" window
at minute N holds the minutes N-59 .. N, i.e. (N-60, N]; "last 30" (N-30, N];
"last 15" (N-15, N].  The figures work in whole minutes: the minutes since
opening and the hours left count from the minute of "now" (08:23:30 counts
as 08:23); target_at and idle_s use the exact time.

Events (one daemon, one Redis):
  stx    the main flow: 9 tickets through registration(2), screening(1),
         vaccination(2, the dose), observation(1, 0.6 s timed wait);
         target 100
  sty    a second, small event (registration(3), vaccination(1)), target 3:
         the other recommendations, "reached", never-called idle stations
  stz    the histogram's edges (a wait of exactly 180 min, one beyond) and a
         skipped ticket called back
  stw    how many more desks when the open ones are just enough, and a stage
         whose desks are all paused
  quiet  no activity at all
  many   601 areas (counters written straight into Redis)
The whole flow runs in setup_module, which takes the stats at the chosen
moments (the figures depend on the state at that moment); the tests check
them.
"""

import datetime

from harness import ANTRED_TEST, Antred, Redis, assert_error, wait_until

redis = None
d = None
SNAP = {}          # name -> stats body taken during the flow

WIB = datetime.timezone(datetime.timedelta(hours=7))


def T(hms, day=23):
    """Epoch ms of 2026-11-{day} HH:MM:SS WIB."""
    h, m, s = (int(x) for x in hms.split(":"))
    return int(datetime.datetime(2026, 11, day, h, m, s, tzinfo=WIB).timestamp() * 1000)


def W(hms, day=23):
    """The same instant as antred writes it (RFC 3339, WIB)."""
    return "2026-11-%02dT%s+07:00" % (day, hms)


STAGES4 = [
    {"id": "registration", "name": "Pendaftaran", "stations": 2},
    {"id": "screening", "name": "Skrining", "stations": 1},
    {"id": "vaccination", "name": "Vaksinasi", "stations": 2},
    {"id": "observation", "name": "Observasi", "stations": 1, "hold_minutes": 0.01},
]
SERVICES = [{"id": "dose1", "prefix": "A", "name": "Dosis 1"},
            {"id": "booster", "prefix": "C", "name": "Booster"}]
PRIORITIES = [{"id": "elderly"}, {"id": "regular"}]


def event(eid, name, target, stages, services=SERVICES):
    return {"id": eid, "name": name, "timezone": "Asia/Jakarta", "daily_target": target,
            "hours": {"open": "08:00", "close": "15:00"}, "services": services,
            "priorities": PRIORITIES, "stages": stages}


STX = event("stx", "Vaksinasi Balai Warga RW 03", 100, STAGES4)
STY = event("sty", "Vaksinasi Posyandu Melati", 3,
            [{"id": "registration", "name": "Pendaftaran", "stations": 3},
             {"id": "vaccination", "name": "Vaksinasi", "stations": 1}],
            services=[SERVICES[0]])
STZ = event("stz", "Uji Histogram", 10,
            [{"id": "registration", "name": "Pendaftaran", "stations": 1},
             {"id": "vaccination", "name": "Vaksinasi", "stations": 1}],
            services=[SERVICES[0]])
STW = event("stw", "Uji Meja Cukup", 10,
            [{"id": "registration", "name": "Pendaftaran", "stations": 1},
             {"id": "vaccination", "name": "Vaksinasi", "stations": 1}],
            services=[SERVICES[0]])
QUIET = event("quiet", "Vaksinasi Sepi", 50, STAGES4)
MANY = event("many", "Uji Banyak Wilayah", 1000, STAGES4)
ALL_EVENTS = (STX, STY, STZ, STW, QUIET, MANY)


# ---- helpers -----------------------------------------------------------------

def clock(ev, hms, day=23):
    assert redis.cli("SET", "antre:{%s}:test:clock" % ev, T(hms, day)) == "OK"


def issue(ev, hms, service, code, priority=None, area=None):
    clock(ev, hms)
    body = {"service": service}
    if priority:
        body["priority"] = priority
    if area:
        body["area"] = area
    st, _, b = d.post("/v1/events/%s/tickets" % ev, body, role="desk")
    assert st == 201, (ev, hms, st, b)
    t = b["ticket"]
    assert t["code"] == code, (code, t)
    # the script saw the test clock
    assert t["issued_at"] == W(hms), (hms, t)
    return t


def op(ev, hms, station, what, ticket=None, outcome=None, expect=None):
    """A station operation at a given time; the reply's ticket (or station)."""
    clock(ev, hms)
    body = None
    if what == "call" and ticket:
        body = {"ticket": ticket}
    if what == "complete":
        body = {"outcome": outcome}
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, station, what), body, role="station")
    assert st == 200, (ev, hms, station, what, st, b)
    if what in ("pause", "resume"):
        return b["station"]
    t = b["ticket"]
    if expect:
        assert t["code"] == expect, (expect, t)
    return t


def drain(ev):
    """Waits until the sweep has moved every ticket whose timed wait is over
    (the sweep runs about once a second on the test clock)."""
    wait_until(lambda: redis.cli("ZCARD", "antre:{%s}:holds" % ev) == "0", timeout=10,
               what="observation holds of %s to be swept" % ev)


def stats(ev, hms, day=23, settle=True):
    clock(ev, hms, day)
    if settle:
        drain(ev)
    st, h, b = d.get("/v1/events/%s/stats" % ev, role="organiser")
    assert st == 200, (st, b)
    assert h["content-type"].startswith("application/json") and h["cache-control"] == "no-store"
    assert set(b) == {"event", "at", "day", "today", "target", "forecast", "stages",
                      "bottleneck", "idle", "areas", "series"}, b
    assert b["event"] == ev and b["at"] == W(hms, day) and b["day"] == "2026-11-%02d" % day, b
    return b


def stage(b, sid):
    return [s for s in b["stages"] if s["id"] == sid][0]


def series(start_hm, doses):
    """Quarter-hour buckets from start_hm, one per entry of doses."""
    h, m = (int(x) for x in start_hm.split(":"))
    out = []
    for i, n in enumerate(doses):
        t = h * 60 + m + 15 * i
        out.append({"start": W("%02d:%02d:00" % (t // 60, t % 60)), "doses": n})
    return out


def station(sid, state="open", served=0, calls=0, avg_wait=None, avg_service=None,
            last_15=0, last_60=0, deferred=0, refused=0, no_show=0, last_call=None):
    return {"id": sid, "state": state, "served": served, "calls": calls,
            "avg_wait_s": avg_wait, "avg_service_s": avg_service,
            "throughput_per_hour": {"last_15": last_15, "last_60": last_60},
            "deferred": deferred, "refused": refused, "no_show": no_show,
            "last_call_at": W(last_call) if last_call else None}


def assert_stage(got, want):
    """Compares a stage member by member first (a readable message), then whole."""
    for k in want:
        if k == "stations":
            continue
        assert got.get(k) == want[k], "%s.%s: expected %r, got %r\n%r" % (
            want["id"], k, want[k], got.get(k), got)
    for gs, ws in zip(got["stations"], want["stations"]):
        assert gs == ws, "%s: expected\n%r\ngot\n%r" % (ws["id"], ws, gs)
    assert got == want, (got, want)


# ---- the flow ------------------------------------------------------------------

def run_stx():
    """The main flow.  Tickets (code, service, priority, area):
      T1 A-001 dose1   elderly RT 02  issued 08:01:00  -> dose at vaccination-1 08:11:30
      T2 A-002 dose1   regular RT 01  issued 08:02:00  -> dose at vaccination-2 08:18:30
      T3 C-001 booster regular RT 01  issued 08:03:00  -> refused at vaccination-1 08:18:00
      T4 A-003 dose1   regular (none) issued 08:04:00  -> deferred at screening 08:18:30
      T5 C-002 booster elderly RT 01  issued 08:05:00  -> dose at vaccination-1 08:31:30
      T6 A-004 dose1   regular RT 02  issued 08:06:00  -> no-show (skip) at registration-2
      T7 A-005 dose1   regular RT 02  issued 08:07:00  -> dose at vaccination-2 08:38:30
      T8 A-006 dose1   regular RT 01  issued 08:55:00  -> dose at vaccination-1 09:04:30
      T9 C-003 booster elderly (none) issued 09:00:00  -> still waits at registration
    Every call is by code, so the order is ours.  [w N] is the wait (queued to
    called, s), [s N] the service (start to complete, s)."""
    E = "stx"
    issue(E, "08:01:00", "dose1", "A-001", "elderly", "RT 02")
    op(E, "08:01:40", "registration-1", "call", "A-001", expect="A-001")     # [w 40]
    issue(E, "08:02:00", "dose1", "A-002", None, "RT 01")
    op(E, "08:02:00", "registration-1", "start")
    issue(E, "08:03:00", "booster", "C-001", "regular", "RT 01")
    op(E, "08:03:00", "registration-1", "complete", outcome="done")        # T1 [s 60] m483
    op(E, "08:03:30", "registration-2", "call", "A-002", expect="A-002")    # [w 90]
    issue(E, "08:04:00", "dose1", "A-003")
    op(E, "08:04:00", "registration-2", "start")
    op(E, "08:04:00", "screening-1", "call", "A-001", expect="A-001")       # [w 60] (q 08:03:00)
    op(E, "08:04:20", "screening-1", "start")
    issue(E, "08:05:00", "booster", "C-002", "elderly", "RT 01")
    op(E, "08:05:00", "registration-2", "complete", outcome="done")        # T2 [s 60] m485
    issue(E, "08:06:00", "dose1", "A-004", None, "RT 02")
    issue(E, "08:07:00", "dose1", "A-005", None, "RT 02")
    SNAP["q0"] = stats(E, "08:07:00")
    op(E, "08:07:20", "screening-1", "complete", outcome="done")           # T1 [s 180] m487
    op(E, "08:07:30", "screening-1", "call", "A-002", expect="A-002")       # [w 150] (q 08:05:00)
    op(E, "08:08:00", "screening-1", "start")
    op(E, "08:08:00", "registration-1", "call", "C-001", expect="C-001")    # [w 300] exactly 5 min
    op(E, "08:08:00", "registration-2", "call", "A-003", expect="A-003")    # [w 240]
    op(E, "08:08:20", "registration-2", "start")
    op(E, "08:08:30", "registration-1", "start")
    op(E, "08:09:00", "vaccination-1", "call", "A-001", expect="A-001")     # [w 100] (q 08:07:20)
    op(E, "08:09:30", "registration-1", "complete", outcome="done")        # T3 [s 60] m489
    op(E, "08:09:30", "vaccination-1", "start")
    op(E, "08:10:20", "registration-2", "complete", outcome="done")        # T4 [s 120] m490
    op(E, "08:11:00", "screening-1", "complete", outcome="done")           # T2 [s 180] m491
    op(E, "08:11:30", "vaccination-1", "complete", outcome="done")         # T1 [s 120] DOSE m491
    op(E, "08:12:00", "screening-1", "call", "C-001", expect="C-001")       # [w 150] (q 08:09:30)
    op(E, "08:12:10", "vaccination-2", "call", "A-002", expect="A-002")     # [w 70] (q 08:11:00)
    op(E, "08:12:30", "screening-1", "start")
    op(E, "08:12:30", "vaccination-2", "start")
    op(E, "08:15:30", "screening-1", "complete", outcome="done")           # T3 [s 180] m495
    op(E, "08:16:00", "screening-1", "call", "A-003", expect="A-003")       # [w 340] (q 08:10:20)
    op(E, "08:16:00", "registration-1", "call", "C-002", expect="C-002")    # [w 660] (q 08:05:00)
    op(E, "08:16:30", "screening-1", "start")
    op(E, "08:16:30", "registration-1", "start")
    op(E, "08:16:30", "vaccination-1", "call", "C-001", expect="C-001")     # [w 60] (q 08:15:30)
    op(E, "08:17:00", "vaccination-1", "start")
    op(E, "08:17:30", "registration-1", "complete", outcome="done")        # T5 [s 60] m497
    op(E, "08:18:00", "vaccination-1", "complete", outcome="refused")      # T3 [s 60] refused
    op(E, "08:18:30", "screening-1", "complete", outcome="deferred")       # T4 [s 120] deferred
    op(E, "08:18:30", "vaccination-2", "complete", outcome="done")         # T2 [s 360] DOSE m498
    op(E, "08:19:00", "screening-1", "call", "C-002", expect="C-002")       # [w 90] (q 08:17:30)
    op(E, "08:19:30", "screening-1", "start")
    SNAP["q1"] = stats(E, "08:20:00")
    op(E, "08:21:00", "registration-2", "call", "A-004", expect="A-004")    # [w 900] exactly 15 min
    op(E, "08:22:30", "screening-1", "complete", outcome="done")           # T5 [s 180] m502
    op(E, "08:23:00", "registration-2", "skip")                            # T6 no-show
    SNAP["q1b"] = stats(E, "08:23:30")
    op(E, "08:24:00", "registration-1", "call", "A-005", expect="A-005")    # [w 1020] (q 08:07:00)
    op(E, "08:24:30", "registration-1", "start")
    op(E, "08:25:30", "registration-1", "complete", outcome="done")        # T7 [s 60] m505
    op(E, "08:27:30", "screening-1", "call", "A-005", expect="A-005")       # [w 120] exactly 2 min
    op(E, "08:28:00", "screening-1", "start")
    op(E, "08:29:00", "vaccination-1", "call", "C-002", expect="C-002")     # [w 390] (q 08:22:30)
    op(E, "08:29:30", "vaccination-1", "start")
    op(E, "08:31:00", "screening-1", "complete", outcome="done")           # T7 [s 180] m511
    op(E, "08:31:30", "vaccination-1", "complete", outcome="done")         # T5 [s 120] DOSE m511
    op(E, "08:32:00", "vaccination-2", "call", "A-005", expect="A-005")     # [w 60] (q 08:31:00)
    op(E, "08:32:30", "vaccination-2", "start")
    op(E, "08:38:30", "vaccination-2", "complete", outcome="done")         # T7 [s 360] DOSE m518
    SNAP["q2"] = stats(E, "08:45:00")
    issue(E, "08:55:00", "dose1", "A-006", None, "RT 01")
    op(E, "08:55:30", "registration-2", "call", "A-006", expect="A-006")    # [w 30]
    op(E, "08:56:00", "registration-2", "start")
    op(E, "08:57:00", "registration-2", "complete", outcome="done")        # T8 [s 60] m537
    op(E, "08:58:00", "screening-1", "call", "A-006", expect="A-006")       # [w 60]
    op(E, "08:58:30", "screening-1", "start")
    issue(E, "09:00:00", "booster", "C-003", "elderly")
    SNAP["idle_299"] = stats(E, "09:00:29")
    SNAP["idle_300"] = stats(E, "09:00:30")
    op(E, "09:01:30", "screening-1", "complete", outcome="done")           # T8 [s 180] m541
    op(E, "09:02:00", "vaccination-1", "call", "A-006", expect="A-006")     # [w 30]
    op(E, "09:02:30", "vaccination-1", "start")
    op(E, "09:04:30", "vaccination-1", "complete", outcome="done")         # T8 [s 120] DOSE m544
    # T8 is in observation until 09:04:30.600: at 09:04:30 the sweep leaves it
    SNAP["obs_hold"] = stats(E, "09:04:30", settle=False)
    st = op(E, "09:08:00", "registration-2", "pause")
    assert st["state"] == "paused", st
    SNAP["q3"] = stats(E, "09:11:00")
    SNAP["q4"] = stats(E, "15:30:00")


def run_sty():
    """  U1 A-001 regular (none) issued 14:00:00 -> dose 14:05:10
         U2 A-002 elderly RT 09  issued 14:00:30 -> held at registration-2 from
                                    14:02 to 14:50, dose 14:58:10
         U3 A-003 regular RT 09  issued 14:07:00 -> dose 15:05:10
         U4 A-004 regular (none) issued 14:08:00 -> waits
         U5 U6 A-005 A-006 regular   issued 15:51:00 -> wait"""
    E = "sty"
    issue(E, "14:00:00", "dose1", "A-001")
    issue(E, "14:00:30", "dose1", "A-002", "elderly", "RT 09")
    op(E, "14:01:00", "registration-1", "call", "A-001", expect="A-001")    # [w 60]
    op(E, "14:01:10", "registration-1", "start")
    op(E, "14:02:00", "registration-2", "call", "A-002", expect="A-002")    # [w 90]
    op(E, "14:02:10", "registration-1", "complete", outcome="done")        # U1 [s 60] m842
    op(E, "14:03:00", "vaccination-1", "call", "A-001", expect="A-001")     # [w 50]
    op(E, "14:03:10", "vaccination-1", "start")
    op(E, "14:05:10", "vaccination-1", "complete", outcome="done")         # U1 [s 120] DOSE m845
    issue(E, "14:07:00", "dose1", "A-003", None, "RT 09")
    issue(E, "14:08:00", "dose1", "A-004")
    SNAP["s1"] = stats(E, "14:10:00")
    op(E, "14:49:00", "registration-2", "start")
    op(E, "14:50:00", "registration-2", "complete", outcome="done")        # U2 [s 60] m890
    op(E, "14:51:00", "vaccination-1", "call", "A-002", expect="A-002")     # [w 60]
    op(E, "14:51:10", "vaccination-1", "start")
    op(E, "14:58:10", "vaccination-1", "complete", outcome="done")         # U2 [s 420] DOSE m898
    SNAP["s2"] = stats(E, "15:00:00")
    op(E, "15:01:00", "registration-3", "call", "A-003", expect="A-003")    # [w 3240]
    op(E, "15:01:10", "registration-3", "start")
    op(E, "15:02:10", "registration-3", "complete", outcome="done")        # U3 [s 60] m902
    op(E, "15:03:00", "vaccination-1", "call", "A-003", expect="A-003")     # [w 50]
    op(E, "15:03:10", "vaccination-1", "start")
    op(E, "15:05:10", "vaccination-1", "complete", outcome="done")         # U3 [s 120] DOSE m905
    SNAP["s3"] = stats(E, "15:10:00")
    op(E, "15:11:00", "registration-1", "pause")
    op(E, "15:11:00", "registration-2", "pause")
    SNAP["s4"] = stats(E, "15:50:00")
    issue(E, "15:51:00", "dose1", "A-005")
    issue(E, "15:51:00", "dose1", "A-006")
    SNAP["s5"] = stats(E, "15:52:00")


def run_stz():
    """Three tickets issued at 08:00:00, called after 30 s, exactly 180 min,
    and 200 min; the last one skipped and called back."""
    E = "stz"
    issue(E, "08:00:00", "dose1", "A-001")
    issue(E, "08:00:00", "dose1", "A-002")
    issue(E, "08:00:00", "dose1", "A-003")
    op(E, "08:00:30", "registration-1", "call", "A-001", expect="A-001")    # [w 30]
    op(E, "08:00:40", "registration-1", "start")
    op(E, "08:01:40", "registration-1", "complete", outcome="done")        # [s 60] m481
    op(E, "11:00:00", "registration-1", "call", "A-002", expect="A-002")    # [w 10800]
    op(E, "11:00:10", "registration-1", "start")
    op(E, "11:01:10", "registration-1", "complete", outcome="done")        # [s 60] m661
    op(E, "11:20:00", "registration-1", "call", "A-003", expect="A-003")    # [w 12000]
    op(E, "11:21:00", "registration-1", "skip")                            # no-show
    t = op(E, "11:22:00", "registration-1", "call", "A-003", expect="A-003")  # back: not a call
    assert t["state"] == "called", t                                       # from waiting
    op(E, "11:22:30", "registration-1", "start")
    op(E, "11:24:00", "registration-1", "complete", outcome="done")        # [s 90] m684
    SNAP["z"] = stats(E, "11:30:00")


def run_stw():
    """Six tickets issued at 10:45:00 (m645); registration-1 completes three
    of them at 10:50, 11:00 and 11:10 (m650 m660 m670); nobody is vaccinated."""
    E = "stw"
    for n in range(1, 7):
        issue(E, "10:45:00", "dose1", "A-%03d" % n)
    op(E, "10:46:00", "registration-1", "call", "A-001", expect="A-001")
    op(E, "10:46:10", "registration-1", "start")
    op(E, "10:50:00", "registration-1", "complete", outcome="done")
    op(E, "10:55:00", "registration-1", "call", "A-002", expect="A-002")
    op(E, "10:55:10", "registration-1", "start")
    op(E, "11:00:00", "registration-1", "complete", outcome="done")
    op(E, "11:05:00", "registration-1", "call", "A-003", expect="A-003")
    op(E, "11:05:10", "registration-1", "start")
    op(E, "11:10:00", "registration-1", "complete", outcome="done")
    SNAP["w_open"] = stats(E, "11:40:00")
    op(E, "11:41:00", "registration-1", "pause")
    SNAP["w_paused"] = stats(E, "11:42:00")


def run_many():
    """601 areas with doses: more than anyone would walk through the flow,
    so the day's counters are written as the scripts write them (one
    HINCRBY per dose: dm|MINUTE and da|AREA): 600 areas A000..A599 with one
    dose each, and RT 99 with 50, all at 08:20 (m500)."""
    key = "antre:{many}:stats:20261123"
    args = []
    for i in range(600):
        args += ["da|A%03d" % i, 1]
    args += ["da|RT 99", 50, "dm|500", 650]
    assert redis.cli("HSET", key, *args) == "602"
    SNAP["many"] = stats("many", "10:00:00")


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=ALL_EVENTS, binary=ANTRED_TEST,
               extra=["test-clock 1"])
    d.wait_redis_up()
    # before any activity: no figures yet (and no error)
    SNAP["quiet_early"] = stats("quiet", "07:30:00")
    SNAP["quiet"] = stats("quiet", "10:00:00")
    run_stx()
    run_sty()
    run_stz()
    run_stw()
    run_many()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


# ---- who may read ----------------------------------------------------------------

def test_stats_need_an_organiser_or_admin_token():
    for path in ("/v1/events/stx/stats", "/v1/stats"):
        for role in ("organiser", "admin"):
            st, _, b = d.get(path, role=role)
            assert st == 200, (path, role, st, b)
        resp = d.get(path)
        assert_error(resp, 401, "unauthorized")
        assert resp[1].get("www-authenticate", "").startswith("Bearer"), resp[1]
        assert_error(d.get(path, token="not-a-token"), 401, "unauthorized")
        for role in ("desk", "station"):
            assert_error(d.get(path, role=role), 403, "forbidden")
        assert_error(d.post(path, {}, role="admin"), 405, "method_not_allowed")
    assert_error(d.get("/v1/events/nope/stats", role="organiser"), 404, "unknown_event")


# ---- an event with no activity ----------------------------------------------------

def quiet_stages():
    out = []
    for s in STAGES4:
        out.append({
            "id": s["id"], "name": s["name"], "waiting": 0, "served": 0, "calls": 0,
            "avg_wait_s": None, "p50_wait_s": None, "p90_wait_s": None, "avg_service_s": None,
            "throughput_per_hour": {"last_15": 0, "last_60": 0}, "arrivals_per_hour": 0,
            "stations_open": s["stations"], "deferred": 0, "refused": 0, "no_show": 0,
            "expired": 0,
            "stations": [station("%s-%d" % (s["id"], n)) for n in range(1, s["stations"] + 1)],
            "capacity_per_hour": None,
            # a timed wait's chairs: nobody arrives, nobody sits
            "chairs_needed": 0 if s.get("hold_minutes") else None})
    return out


def test_event_without_activity_is_all_zeros_and_nulls():
    zero_today = {"doses": 0, "issued": 0, "waiting": 0, "deferred": 0, "refused": 0,
                  "no_show": 0, "expired": 0,
                  "by_service": {"dose1": {"issued": 0, "doses": 0},
                                 "booster": {"issued": 0, "doses": 0}},
                  "by_priority": {"elderly": {"issued": 0, "doses": 0},
                                  "regular": {"issued": 0, "doses": 0}}}
    # 10:00: open two hours, rate 0 (no doses in the last 60 min);
    # hours_left = (15:00 - 10:00) = 5; nobody came, nobody in the building,
    # no service time at vaccination yet (capacity null): expected 0, margin
    # 0 - 50
    b = SNAP["quiet"]
    assert b["today"] == zero_today, b["today"]
    assert b["target"] == 50
    assert b["forecast"] == {"rate_per_hour_30": 0, "rate_per_hour_60": 0, "rate_per_hour": 0,
                             "hours_left": 5, "expected_at_close": 0, "margin": -50,
                             "reached": False, "target_at": None, "low": 0, "high": 0,
                             "in_building": 0, "arrivals_expected": 0,
                             "capacity_to_close": None}, b["forecast"]
    for got, want in zip(b["stages"], quiet_stages()):
        assert_stage(got, want)
    assert len(b["stages"]) == 4
    assert b["bottleneck"] is None and b["idle"] == [] and b["areas"] == [], b
    # 08:00 .. 10:00 inclusive: 9 quarter hours, all empty
    assert b["series"] == series("08:00", [0] * 9), b["series"]

    # 07:30, before opening: the rate is 0, the hours left count from the
    # opening (15:00 - 08:00 = 7), and there is no quarter hour yet
    b = SNAP["quiet_early"]
    assert b["today"] == zero_today, b["today"]
    assert b["forecast"] == {"rate_per_hour_30": 0, "rate_per_hour_60": 0, "rate_per_hour": 0,
                             "hours_left": 7, "expected_at_close": 0, "margin": -50,
                             "reached": False, "target_at": None, "low": 0, "high": 0,
                             "in_building": 0, "arrivals_expected": 0,
                             "capacity_to_close": None}, b["forecast"]
    for got, want in zip(b["stages"], quiet_stages()):
        assert_stage(got, want)
    assert b["bottleneck"] is None and b["idle"] == [] and b["areas"] == [], b
    assert b["series"] == [], b["series"]


# ---- stx at 09:11:00 (m551): the full figures ----------------------------------------

def test_today_counts():
    b = SNAP["q3"]
    # issued: dose1 A-001..A-006 (T1 T2 T4 T6 T7 T8) = 6, booster C-001..C-003
    # (T3 T5 T9) = 3; doses T1 T2 T5 T7 T8 = 5 (dose1: T1 T2 T7 T8 = 4,
    # booster: T5 = 1); waiting: only T9 (registration); deferred T4, refused
    # T3, no-show T6.  By priority: elderly issued T1 T5 T9 = 3, doses T1 T5 = 2;
    # regular issued T2 T3 T4 T6 T7 T8 = 6, doses T2 T7 T8 = 3.
    assert b["today"] == {
        "doses": 5, "issued": 9, "waiting": 1, "deferred": 1, "refused": 1, "no_show": 1,
        "expired": 0,
        "by_service": {"dose1": {"issued": 6, "doses": 4}, "booster": {"issued": 3, "doses": 1}},
        "by_priority": {"elderly": {"issued": 3, "doses": 2},
                        "regular": {"issued": 6, "doses": 3}}}, b["today"]
    assert b["target"] == 100


def test_stage_registration():
    b = SNAP["q3"]
    # registration-1: calls T1 [w 40] T3 [w 300] T5 [w 660] T7 [w 1020]
    #   = 4, waits 2020 / 4 = 505; all four done, each [s 60] -> 60;
    #   done at m483 m489 m497 m505: last 60 (491, 551] = m497 m505 = 2,
    #   last 15 (536, 551] = 0; last call 08:24:00
    # registration-2: calls T2 [w 90] T4 [w 240] T6 [w 900] T8 [w 30] = 4,
    #   waits 1260 / 4 = 315; done T2 T4 T8 = 3 ([s 60] [s 120] [s 60],
    #   240 / 3 = 80); T6 skipped: no-show 1; done at m485 m490 m537: last 60
    #   = m537 = 1 (m490 is 61 minutes back), last 15 = m537 = 1 -> 4/h;
    #   paused at 09:08; last call 08:55:30
    # stage: calls 8, waits 3280 / 8 = 410; served 7; service 480 / 7 =
    #   68.57 -> 69; throughput last 15: 1 -> 4, last 60: 2 + 1 = 3
    # percentiles exact, nearest rank, of the 8 waits sorted
    #   30 40 90 240 300 660 900 1020: p50 the 4th (0.5 x 8) = 240,
    #   p90 the 8th (ceil 7.2) = 1020
    # arrivals in (491, 551]: T8 m535, T9 m540 = 2 (T1..T7 came at m481..m487)
    # capacity: 3 completions in the last hour over the 2 stations that
    #   completed any = 1.5 each, x 1 open (registration-2 paused) = 1.5
    assert_stage(stage(b, "registration"), {
        "id": "registration", "name": "Pendaftaran", "waiting": 1, "served": 7, "calls": 8,
        "avg_wait_s": 410, "p50_wait_s": 240, "p90_wait_s": 1020, "avg_service_s": 69,
        "throughput_per_hour": {"last_15": 4, "last_60": 3}, "arrivals_per_hour": 2,
        "stations_open": 1, "deferred": 0, "refused": 0, "no_show": 1, "expired": 0,
        "capacity_per_hour": 1.5, "chairs_needed": None,
        "stations": [
            station("registration-1", served=4, calls=4, avg_wait=505, avg_service=60,
                    last_15=0, last_60=2, last_call="08:24:00"),
            station("registration-2", state="paused", served=3, calls=4, avg_wait=315,
                    avg_service=80, last_15=4, last_60=1, no_show=1, last_call="08:55:30"),
        ]})


def test_stage_screening():
    b = SNAP["q3"]
    # screening-1: calls T1 [w 60] T2 [w 150] T3 [w 150] T4 [w 340]
    #   T5 [w 90] T7 [w 120] T8 [w 60] = 7, waits 970 / 7 = 138.57 -> 139
    # served (done): T1 T2 T3 T5 T7 T8 = 6; T4 deferred; services 6 x 180 +
    #   120 (the deferred one counts too) = 1200 / 7 = 171.43 -> 171
    # done at m487 m491 m495 m502 m511 m541: last 60 (491, 551] = 4,
    #   last 15 (536, 551] = m541 = 1 -> 4/h; last call 08:58:00
    # waits sorted 60 60 90 120 150 150 340: p50 the 4th (ceil 3.5) = 120,
    #   p90 the 7th (ceil 6.3) = 340
    # arrivals (queued at screening) m483 m485 m489 m490 m497 m505 m537:
    #   in (491, 551] = 3
    # capacity: 4 by its 1 active station, 1 open = 4
    assert_stage(stage(b, "screening"), {
        "id": "screening", "name": "Skrining", "waiting": 0, "served": 6, "calls": 7,
        "avg_wait_s": 139, "p50_wait_s": 120, "p90_wait_s": 340, "avg_service_s": 171,
        "throughput_per_hour": {"last_15": 4, "last_60": 4}, "arrivals_per_hour": 3,
        "stations_open": 1, "deferred": 1, "refused": 0, "no_show": 0, "expired": 0,
        "capacity_per_hour": 4, "chairs_needed": None,
        "stations": [
            station("screening-1", served=6, calls=7, avg_wait=139, avg_service=171,
                    last_15=4, last_60=4, deferred=1, last_call="08:58:00"),
        ]})


def test_stage_vaccination_two_speeds():
    b = SNAP["q3"]
    # vaccination-1 (the quick one): calls T1 [w 100] T3 [w 60] T5 [w 390]
    #   T8 [w 30] = 4, waits 580 / 4 = 145; done T1 T5 T8 = 3, T3 refused;
    #   services 120 + 60 + 120 + 120 = 420 / 4 = 105; done at m491 m511
    #   m544: last 60 = m511 m544 = 2, last 15 = m544 = 1 -> 4/h;
    #   last call 09:02:00
    # vaccination-2 (the slow one): calls T2 [w 70] T7 [w 60] = 2, 130 / 2 =
    #   65; done 2, [s 360] each -> 360; done at m498 m518: last 60 = 2,
    #   last 15 = 0; last call 08:32:00
    # stage: calls 6, waits 710 / 6 = 118.33 -> 118; served 5; refused 1;
    #   services 1140 / 6 = 190; last 15: 1 -> 4, last 60: 4
    # waits sorted 30 60 60 70 100 390: p50 the 3rd = 60, p90 the 6th
    #   (ceil 5.4) = 390
    # arrivals m487 m491 m495 m502 m511 m541: in (491, 551] = 4
    # capacity: 4 completions / 2 active = 2 per station x 2 open = 4
    assert_stage(stage(b, "vaccination"), {
        "id": "vaccination", "name": "Vaksinasi", "waiting": 0, "served": 5, "calls": 6,
        "avg_wait_s": 118, "p50_wait_s": 60, "p90_wait_s": 390, "avg_service_s": 190,
        "throughput_per_hour": {"last_15": 4, "last_60": 4}, "arrivals_per_hour": 4,
        "stations_open": 2, "deferred": 0, "refused": 1, "no_show": 0, "expired": 0,
        "capacity_per_hour": 4, "chairs_needed": None,
        "stations": [
            station("vaccination-1", served=3, calls=4, avg_wait=145, avg_service=105,
                    last_15=4, last_60=2, refused=1, last_call="09:02:00"),
            station("vaccination-2", served=2, calls=2, avg_wait=65, avg_service=360,
                    last_15=0, last_60=2, last_call="08:32:00"),
        ]})


def test_stage_observation_timed_wait():
    b = SNAP["q3"]
    # nobody is called at observation (the sweep moves them on): no calls,
    # no capacity; but the five who sat out their wait (T1 T2 T5 T7 T8) are
    # served (it once said 0).  The minute the sweep moved each one is the
    # test clock's when the sweep ran, not pinned: the throughput only
    # counts them (0 .. 5 in the last hour).  Arrivals m491 m498 m511 m518
    # m544: in (491, 551] = 4; chairs: 4 an hour x 0.6 s, at least 1
    got = stage(b, "observation")
    tp = got["throughput_per_hour"]
    assert 0 <= tp["last_60"] <= 5 and 0 <= tp["last_15"] <= 4 * 5, got
    assert_stage(got, {
        "id": "observation", "name": "Observasi", "waiting": 0, "served": 5, "calls": 0,
        "avg_wait_s": None, "p50_wait_s": None, "p90_wait_s": None, "avg_service_s": None,
        "throughput_per_hour": tp, "arrivals_per_hour": 4,
        "stations_open": 1, "deferred": 0, "refused": 0, "no_show": 0, "expired": 0,
        "capacity_per_hour": None, "chairs_needed": 1,
        "stations": [station("observation-1")]})
    assert [s["id"] for s in b["stages"]] == ["registration", "screening", "vaccination",
                                              "observation"]


def test_forecast_after_an_hour_uses_the_last_60_minutes():
    b = SNAP["q3"]
    # 09:11 is 71 min after opening: rate = doses in (491, 551] = m498 m511
    #   m518 m544 = 4 (the m491 dose is exactly 60 min back: out)
    # last 30 (521, 551]: m544 = 1 -> 2/h
    # hours_left = (900 - 551) / 60 = 5.8166 -> 5.82
    # target_at = 09:11 + (100 - 5) / 4 h = 09:11 + 23 h 45 min = 24th 08:56
    # The forecast (PROTOCOL.md "Forecast"):
    #   in the building: T9 at registration = 1
    #   arrivals: 9 so far at registration; 71 of 420 min open: x = 0.16905,
    #     the typical day's share S(x) = 0.7x + 0.75x^2 = 0.13977 of S(1) =
    #     0.52: 9 x (0.52 - 0.13977) / 0.13977 = 24.48 still to come; the
    #     last hour's 2 arrivals an hour falling to none at close: 2 x 5.8167
    #     / 2 = 5.82; blended (1 - x) and x: 20.35 + 0.98 = 21.33 (21)
    #   pass: registration 7 done of 8 (a no-show), screening 6 of 6 (the
    #     deferred not counted), vaccination 5 of 6 (a refusal) = 0.72917
    #   expected = 5 + 0.72917 x (1 + 21.33) = 21.28 -> 21; margin -79
    #   sd = sqrt(21.33) + 0.15 x 21.33 = 7.82: low 5 + 0.72917 x (1 +
    #     13.51) = 15.6 -> 16, high 5 + 0.72917 x (1 + 29.15) = 27.0 -> 27
    #   capacity: vaccination's mean service 1140 / 6 = 190 s = 18.95 an hour
    #     a desk x 2 open x 5.8167 h = 220.4 -> 220: not what limits
    assert b["forecast"] == {"rate_per_hour_30": 2, "rate_per_hour_60": 4, "rate_per_hour": 4,
                             "hours_left": 5.82, "expected_at_close": 21, "margin": -79,
                             "reached": False, "target_at": W("08:56:00", 24), "low": 16,
                             "high": 27, "in_building": 1, "arrivals_expected": 21,
                             "capacity_to_close": 220}, b["forecast"]


def test_bottleneck_and_recommendation():
    b = SNAP["q3"]
    # No queue anywhere (1 waits at registration, 1 desk open): the busiest
    # desk stage by arrivals in the last hour over its capacity at the
    # day's mean service time (3,600 / mean s a desk x open desks):
    #   registration 2 / (3600 / 68.57 x 1 = 52.5) = 0.04, screening 3 /
    #   (3600 / 171.43 = 21) = 0.14, vaccination 4 / (18.95 x 2) = 0.11;
    #   observation is a timed wait, never the desks' bottleneck
    # -> screening; its desks serve all expected by close (no extra, none
    # unserved); the forecast (21) misses the target while vaccination
    # could give 220 by close: too few people come.
    assert b["bottleneck"] == {
        "stage": "screening", "capacity_per_hour": 21, "arrivals_per_hour": 3,
        "per_station_per_hour": 21, "extra_stations": 0, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "peserta yang datang kurang untuk mencapai target; "
                          "perluas ajakan ke warga"}, b["bottleneck"]


def test_bottleneck_with_a_queue_its_desks_will_serve():
    b = SNAP["q0"]                   # 08:07:00, m487, right after T7 was issued
    # T3..T7 wait at registration (5, 2 desks open: a queue); T1 is served
    # at screening, T2 waits there.
    # last 60 = (427, 487]: registration done m483 m485 = 2 by 2 stations =
    #   1 each x 2 open = 2 an hour against 7 arrivals (m481..m487): 0.29;
    #   nothing else has completed anything (T1 leaves screening at 08:07:20)
    # forecast: open 7 min, no dose: rate 0; hours_left (900 - 487) / 60 =
    #   6.8833 -> 6.88.  In the building 5 + 1 waiting + T1 at screening-1
    #   = 7; 7 arrivals in the first tenth of the day count as a tenth done:
    #   S(0.1) = 0.0775: 7 x (0.52 - 0.0775) / 0.0775 = 39.97 to come; the
    #   rate (7 in the 7 minutes open: 60 an hour) falling to none at close,
    #   60 x 6.8833 / 2 = 206.5, weighs 7 / 420: 39.30 + 3.44 = 42.74 (43);
    #   nobody refused yet (pass 1): expected 7 + 42.74 -> 50; sd 6.54 +
    #   6.41 = 12.95: low 37, high 63; no service at vaccination yet:
    #   capacity null
    # bottleneck: registration, the one queue (5 for 2 desks); 60 s a
    #   service -> 60 an hour a desk, 120 for 2.  The drain model: 5 + 43
    #   to come need 48 / (60 x 6.88 h) = 1 desk: 2 are open, none more
    #   (this once asked for 13 desks to chase the target: desks serve a
    #   queue, they do not make people come)
    assert b["forecast"] == {"rate_per_hour_30": 0, "rate_per_hour_60": 0, "rate_per_hour": 0,
                             "hours_left": 6.88, "expected_at_close": 50, "margin": -50,
                             "reached": False, "target_at": None, "low": 37, "high": 63,
                             "in_building": 7, "arrivals_expected": 43,
                             "capacity_to_close": None}, b["forecast"]
    assert b["bottleneck"] == {
        "stage": "registration", "capacity_per_hour": 120, "arrivals_per_hour": 7,
        "per_station_per_hour": 60, "extra_stations": 0, "max_stations": 4,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "peserta yang datang kurang untuk mencapai target; "
                          "perluas ajakan ke warga"}, b["bottleneck"]
    assert [s["capacity_per_hour"] for s in b["stages"]] == [2, None, None, None], b["stages"]
    assert [s["waiting"] for s in b["stages"]] == [5, 1, 0, 0], b["stages"]
    # registration-1 free since 08:03:00, last call 08:01:40: 320 s -> idle;
    # registration-2 last call 08:03:30 (210 s): not yet; screening-1 holds T1
    assert b["idle"] == [{"station": "registration-1", "stage": "registration",
                          "idle_s": 320, "waiting": 5}], b["idle"]


def test_idle_stations():
    b = SNAP["q3"]
    # registration: T9 waits; registration-1 open, holds nobody, last call
    # 08:24:00, 47 min ago = 2820 s -> idle; registration-2 is paused: not
    # idle.  Nobody waits at the other stages.
    assert b["idle"] == [{"station": "registration-1", "stage": "registration",
                          "idle_s": 2820, "waiting": 1}], b["idle"]


def test_idle_threshold_is_idle_minutes():
    # 09:00:29 / 09:00:30: T9 waits at registration since 09:00:00;
    # registration-1 last called 08:24:00 (2189 / 2190 s); registration-2
    # called 08:55:30 and holds nobody since 08:57:00: 299 s, not yet idle,
    # then exactly 300 s = idle-minutes (5): idle.  screening-1 holds T8 and
    # nobody waits there anyway.
    b = SNAP["idle_299"]
    assert b["idle"] == [{"station": "registration-1", "stage": "registration",
                          "idle_s": 2189, "waiting": 1}], b["idle"]
    b = SNAP["idle_300"]
    assert b["idle"] == [{"station": "registration-1", "stage": "registration",
                          "idle_s": 2190, "waiting": 1},
                         {"station": "registration-2", "stage": "registration",
                          "idle_s": 300, "waiting": 1}], b["idle"]


def test_no_idle_desk_at_a_timed_wait():
    b = SNAP["obs_hold"]             # 09:04:30, T8 just entered observation
    # T8 waits out its 0.6 s at observation (never called there): it counts
    # as waiting, but observation-1 is not an idle desk.  Registration: T9
    # waits; registration-1 last called 08:24:00 (2430 s), registration-2
    # 08:55:30 (540 s), both free and open (the pause comes at 09:08).
    assert stage(b, "observation")["waiting"] == 1, stage(b, "observation")
    assert b["today"]["waiting"] == 2 and b["today"]["doses"] == 5, b["today"]
    assert b["idle"] == [
        {"station": "registration-1", "stage": "registration", "idle_s": 2430, "waiting": 1},
        {"station": "registration-2", "stage": "registration", "idle_s": 540, "waiting": 1},
    ], b["idle"]


def test_areas_most_doses_first():
    b = SNAP["q3"]
    # doses by area: RT 01 (T2 08:18, T5, T8) = 3, RT 02 (T1, T7) = 2, most
    # first although RT 02 had the first dose (T1 08:11, so its counter came
    # first in Redis).  T4 and T9 have no area but no dose either: no null
    # entry.
    assert b["areas"] == [{"area": "RT 01", "doses": 3}, {"area": "RT 02", "doses": 2}], b["areas"]


def test_series_quarter_hours_from_opening():
    b = SNAP["q3"]
    # 08:00 (m480-494): m491 = 1; 08:15: m498 = 1; 08:30: m511 m518 = 2;
    # 08:45: 0; 09:00 (m540-554, now m551): m544 = 1
    assert b["series"] == series("08:00", [1, 1, 2, 0, 1]), b["series"]


# ---- stx earlier and later ----------------------------------------------------------

def test_forecast_in_the_first_half_hour():
    b = SNAP["q1"]                   # 08:20:00, m500, open 20 min
    # doses T1 m491, T2 m498 = 2; rate = 2 * 60 / 20 = 6/h
    # last 30 (470, 500] = 2 -> 4/h; last 60 = 2
    # hours_left = 400 / 60 = 6.67
    # target_at = 08:20 + 98 / 6 h = 08:20 + 16 h 20 min = 24th 00:40
    # in the building: T6 T7 at registration, T5 at screening-1 = 3; to
    #   come: the shape's 39.97 (7 arrivals in the first tenth, as at
    #   08:07) and the rate's 21 an hour (7 in 20 min) x 6.667 / 2 = 70,
    #   weighing 20 / 420: 38.07 + 3.33 = 41.40 (41); pass: registration 5
    #   of 5, screening 3 done (T4 deferred), vaccination 2 of 3 (T3
    #   refused) = 0.6667: 2 + 0.6667 x (3 + 41.40) = 31.6 -> 32; sd 12.64:
    #   low 2 + 0.6667 x (3 + 28.76) = 23.2 -> 23, high 2 + 0.6667 x (3 +
    #   54.04) = 40.03 -> 40; vaccination's mean service (120 + 60 + 360) /
    #   3 = 180 s: 20 an hour x 2 x 6.667 h = 267
    assert b["forecast"] == {"rate_per_hour_30": 4, "rate_per_hour_60": 2, "rate_per_hour": 6,
                             "hours_left": 6.67, "expected_at_close": 32, "margin": -68,
                             "reached": False, "target_at": W("00:40:00", 24), "low": 23,
                             "high": 40, "in_building": 3, "arrivals_expected": 41,
                             "capacity_to_close": 267}, b["forecast"]
    # issued T1..T7; waiting: T6 T7 at registration (T5 called at screening);
    # T4 deferred 08:18:30, T3 refused 08:18:00, no skip yet
    t = b["today"]
    assert (t["doses"], t["issued"], t["waiting"], t["deferred"], t["refused"],
            t["no_show"]) == (2, 7, 2, 1, 1, 0), t
    assert b["series"] == series("08:00", [1, 1]), b["series"]
    # registration waits (T6, T7); registration-1 last called 08:16:00 (4 min:
    # not idle), registration-2 08:08:00 = 720 s, free since 08:10:20: idle
    assert b["idle"] == [{"station": "registration-2", "stage": "registration",
                          "idle_s": 720, "waiting": 2}], b["idle"]
    # one dose each: equal counts in the order of the names
    assert b["areas"] == [{"area": "RT 01", "doses": 1}, {"area": "RT 02", "doses": 1}], b["areas"]


def test_forecast_rate_rounded_for_display_only():
    b = SNAP["q1b"]                  # 08:23:30, m503, open 23 min
    # rate = 2 * 60 / 23 = 5.2174/h, shown as 5.2; last 30 (473, 503] = 2 -> 4
    # hours_left = (900 - 503) / 60 = 6.6167 -> 6.62 (whole minutes)
    # target_at = now + 98 / (120 / 23) h = now + 98 * 23 / 120 h = 18.7833 h
    #   = 18 h 47 min: 08:23:30 + 18:47:00 = 24th 03:10:30 (the exact rate,
    #   not the 5.2 shown)
    # in the building: T7 at registration, T5 at vaccination = 2; to come
    #   37.78 + 3.31 = 41.09 (the rate 7 in 23 min, 18.26 an hour, weighing
    #   23 / 420); the share that passes from registration now 5 of 6 (T6
    #   a no-show) x 0.6667 = 0.5556, from vaccination 0.6667: 2 + 0.5556 x
    #   (1 + 41.09) + 0.6667 = 26.05 -> 26; sd 12.57: low 2 + 0.5556 x
    #   29.52 + 0.6667 = 19.07 -> 19, high 33.03 -> 33; capacity 20 an hour
    #   x 2 x 6.6167 h = 264.7 -> 265
    assert b["forecast"] == {"rate_per_hour_30": 4, "rate_per_hour_60": 2, "rate_per_hour": 5.2,
                             "hours_left": 6.62, "expected_at_close": 26, "margin": -74,
                             "reached": False, "target_at": W("03:10:30", 24), "low": 19,
                             "high": 33, "in_building": 2, "arrivals_expected": 41,
                             "capacity_to_close": 265}, b["forecast"]
    # T6 has just been skipped: a no-show, not waiting; T7 waits at
    # registration, T5 at vaccination (since 08:22:30)
    t = b["today"]
    assert (t["waiting"], t["no_show"]) == (2, 1), t
    assert [s["waiting"] for s in b["stages"]] == [1, 0, 1, 0], b["stages"]
    assert stage(b, "registration")["stations"][1]["no_show"] == 1


def test_forecast_between_30_and_60_minutes_and_bottleneck():
    b = SNAP["q2"]                   # 08:45:00, m525, open 45 min
    # doses m491 m498 m511 m518 = 4; last 30 (495, 525] = 3 -> rate 6/h;
    # last 60 = 4
    # hours_left = 375 / 60 = 6.25
    # target_at = 08:45 + 96 / 6 h = 08:45 + 16 h = 24th 00:45
    # nobody in the building; 45 of 420 min: x = 0.10714, S(x) = 0.08361:
    #   7 x (0.52 - 0.08361) / 0.08361 = 36.54; the rate 7 in 45 min (9.33
    #   an hour) x 6.25 / 2 = 29.17: 32.62 + 3.13 = 35.75 to come (36); pass
    #   6 of 7 x 5 of 5 x 4 of 5 = 0.6857: 4 + 0.6857 x 35.75 = 28.5 -> 29;
    #   sd 5.98 + 5.36 = 11.34: low 20.7 -> 21, high 36.3 -> 36;
    #   vaccination's mean service 1020 / 5 = 204 s: 17.65 an hour x 2 x
    #   6.25 h = 220.6 -> 221
    assert b["forecast"] == {"rate_per_hour_30": 6, "rate_per_hour_60": 4, "rate_per_hour": 6,
                             "hours_left": 6.25, "expected_at_close": 29, "margin": -71,
                             "reached": False, "target_at": W("00:45:00", 24), "low": 21,
                             "high": 36, "in_building": 0, "arrivals_expected": 36,
                             "capacity_to_close": 221}, b["forecast"]
    # No queue (nobody waits: T6 skipped): the busiest desk stage, by
    # arrivals in the last hour (465, 525] over its capacity at the day's
    # mean service time:
    #   registration 7 / (3600 / 70 s x 2 = 102.9) = 0.07
    #   screening 6 (m483 m485 m489 m490 m497 m505) / (3600 / 170 s = 21.2)
    #     = 0.28 -> the bottleneck
    #   vaccination 5 / (3600 / 204 s x 2 = 35.3) = 0.14
    # Its one desk serves everyone expected by close; the forecast (29)
    # misses the target while vaccination could give 221: too few come.
    assert b["bottleneck"] == {
        "stage": "screening", "capacity_per_hour": 21.2, "arrivals_per_hour": 6,
        "per_station_per_hour": 21.2, "extra_stations": 0, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "peserta yang datang kurang untuk mencapai target; "
                          "perluas ajakan ke warga"}, b["bottleneck"]
    assert [stage(b, s)["capacity_per_hour"] for s in
            ("registration", "screening", "vaccination", "observation")] == [6, 5, 4, None]
    assert b["idle"] == [], b["idle"]          # nobody waits (T6 is skipped)
    assert b["today"]["waiting"] == 0 and b["today"]["no_show"] == 1, b["today"]
    assert b["series"] == series("08:00", [1, 1, 2, 0]), b["series"]


def test_after_closing_time():
    b = SNAP["q4"]                   # 15:30:00, m930
    # no dose in (870, 930]: rate 0; hours_left 0 (past 15:00);
    # expected = the 5 given (T9 still in the building, but no time left:
    # capacity 0); no target_at at rate 0
    assert b["forecast"] == {"rate_per_hour_30": 0, "rate_per_hour_60": 0, "rate_per_hour": 0,
                             "hours_left": 0, "expected_at_close": 5, "margin": -95,
                             "reached": False, "target_at": None, "low": 5, "high": 5,
                             "in_building": 1, "arrivals_expected": 0,
                             "capacity_to_close": 0}, b["forecast"]
    # nothing completed in the last hour anywhere: no capacity, no bottleneck
    assert b["bottleneck"] is None, b["bottleneck"]
    for s in b["stages"]:
        assert s["capacity_per_hour"] is None and s["arrivals_per_hour"] == 0, s
        assert s["throughput_per_hour"] == {"last_15": 0, "last_60": 0}, s
    # registration-1: 15:30 - 08:24 = 7 h 6 min = 25560 s
    assert b["idle"] == [{"station": "registration-1", "stage": "registration",
                          "idle_s": 25560, "waiting": 1}], b["idle"]
    # the series stops at the last quarter before closing: 08:00 .. 14:45 = 28
    assert b["series"] == series("08:00", [1, 1, 2, 0, 1] + [0] * 23), b["series"]
    assert b["today"] == SNAP["q3"]["today"]


# ---- sty: the other recommendations, idle "never", reached ---------------------------

def test_second_event_figures_and_idle_never():
    b = SNAP["s1"]                   # 14:10:00, m850
    # doses 1 (m845); rate = last 60 (790, 850] = 1; last 30 = 1 -> 2
    # hours_left 50 / 60 = 0.83; target_at = 14:10 + 2 / 1 h = 16:10
    # in the building: U3 U4 waiting, U2 held at registration-2 = 3; 370 of
    #   420 min gone (x = 0.881): S(x) = 0.5129 of 0.52, 4 x 0.0138 = 0.06
    #   by the shape, the last hour's 4 x 0.83 / 2 = 1.67 by the rate:
    #   0.119 x 0.06 + 0.881 x 1.67 = 1.47 to come (1); pass 1: 1 + 3 +
    #   1.47 = 5.47 -> 5; sd 1.44: low 4, high 6.9 -> 7; vaccination (120 s:
    #   30 an hour x 0.83 h = 25) serves them: expected 5, margin +2
    assert b["forecast"] == {"rate_per_hour_30": 2, "rate_per_hour_60": 1, "rate_per_hour": 1,
                             "hours_left": 0.83, "expected_at_close": 5, "margin": 2,
                             "reached": False, "target_at": W("16:10:00"), "low": 4,
                             "high": 7, "in_building": 3, "arrivals_expected": 1,
                             "capacity_to_close": 25}, b["forecast"]
    assert b["today"] == {"doses": 1, "issued": 4, "waiting": 2, "deferred": 0, "refused": 0,
                          "no_show": 0, "expired": 0,
                          "by_service": {"dose1": {"issued": 4, "doses": 1}},
                          "by_priority": {"elderly": {"issued": 1, "doses": 0},
                                          "regular": {"issued": 3, "doses": 1}}}, b["today"]
    # registration: calls U1 [w 60] U2 [w 90]: avg 75; exact: p50 the 1st
    #   = 60, p90 the 2nd (ceil 1.8) = 90; done 1 (m842, [s 60]) in the last 15 and 60 -> 4 and 1;
    #   arrivals m840 m840 m847 m848 = 4; capacity 1 active -> 1 x 3 open = 3
    assert_stage(stage(b, "registration"), {
        "id": "registration", "name": "Pendaftaran", "waiting": 2, "served": 1, "calls": 2,
        "avg_wait_s": 75, "p50_wait_s": 60, "p90_wait_s": 90, "avg_service_s": 60,
        "throughput_per_hour": {"last_15": 4, "last_60": 1}, "arrivals_per_hour": 4,
        "stations_open": 3, "deferred": 0, "refused": 0, "no_show": 0, "expired": 0, "capacity_per_hour": 3,
        "chairs_needed": None,
        "stations": [
            station("registration-1", served=1, calls=1, avg_wait=60, avg_service=60,
                    last_15=4, last_60=1, last_call="14:01:00"),
            station("registration-2", calls=1, avg_wait=90, last_call="14:02:00"),
            station("registration-3"),
        ]})
    # vaccination: one call [w 50]: p50 = p90 = 50 (exact; the histogram
    #   once said 30 and 54);
    #   [s 120]; capacity 1, arrivals m842 = 1
    assert_stage(stage(b, "vaccination"), {
        "id": "vaccination", "name": "Vaksinasi", "waiting": 0, "served": 1, "calls": 1,
        "avg_wait_s": 50, "p50_wait_s": 50, "p90_wait_s": 50, "avg_service_s": 120,
        "throughput_per_hour": {"last_15": 4, "last_60": 1}, "arrivals_per_hour": 1,
        "stations_open": 1, "deferred": 0, "refused": 0, "no_show": 0, "expired": 0, "capacity_per_hour": 1,
        "chairs_needed": None,
        "stations": [station("vaccination-1", served=1, calls=1, avg_wait=50, avg_service=120,
                             last_15=4, last_60=1, last_call="14:03:00")]})
    # 2 waiting for 3 open desks is no queue; by arrivals over capacity at
    # the mean service times: registration 4 / (60 s: 60 x 3 = 180) = 0.02,
    # vaccination 1 / (120 s: 30) = 0.03 -> vaccination; no extra desks
    # (the recommendation: test_recommendation_agrees_with_the_forecast)
    bn = dict(b["bottleneck"])
    bn.pop("recommendation")
    assert bn == {"stage": "vaccination", "capacity_per_hour": 30, "arrivals_per_hour": 1,
                  "per_station_per_hour": 30, "extra_stations": 0, "max_stations": 2,
                  "unserved_at_close": 0, "move_station": None}, b["bottleneck"]
    # U3 U4 wait at registration: registration-1 last called 14:01 (540 s),
    # registration-2 holds U2 (not idle), registration-3 never called
    assert b["idle"] == [
        {"station": "registration-1", "stage": "registration", "idle_s": 540, "waiting": 2},
        {"station": "registration-3", "stage": "registration", "idle_s": None, "waiting": 2},
    ], b["idle"]
    assert b["areas"] == [{"area": None, "doses": 1}], b["areas"]
    # 08:00 .. 14:00 (m850 is in the 14:00 quarter): 25 buckets, m845 in the last
    assert b["series"] == series("08:00", [0] * 24 + [1]), b["series"]


def test_recommendation_agrees_with_the_forecast():
    b = SNAP["s1"]                   # 14:10:00, sty
    # The forecast reaches the target: the 3 in the building get their
    # dose by close (5 expected, margin +2).  The recommendation must agree
    # with the forecast: it once fell through to "alur lancar; target
    # tercapai…" whatever expected_at_close said; here it may say so, and
    # where the forecast misses (q3, stx) it must not (below).
    assert b["forecast"]["expected_at_close"] == 5 and b["forecast"]["margin"] == 2, b
    assert b["bottleneck"]["recommendation"] == \
        "alur lancar; target tercapai dengan kecepatan sekarang", b["bottleneck"]
    q3 = SNAP["q3"]
    assert q3["forecast"]["margin"] < 0, q3["forecast"]
    assert "target tercapai" not in q3["bottleneck"]["recommendation"], q3["bottleneck"]


def test_second_event_service_time_is_over():
    b = SNAP["s2"]                   # 15:00:00, m900
    # doses m845 m898 = 2; rate = last 60 (840, 900] = 2; last 30 = m898 -> 2
    # hours_left 0; expected 2 (U3 U4 in the building, no time left);
    # margin -1; target_at 15:00 + 1 / 2 h = 15:30
    assert b["forecast"] == {"rate_per_hour_30": 2, "rate_per_hour_60": 2, "rate_per_hour": 2,
                             "hours_left": 0, "expected_at_close": 2, "margin": -1,
                             "reached": False, "target_at": W("15:30:00"), "low": 2,
                             "high": 2, "in_building": 2, "arrivals_expected": 0,
                             "capacity_to_close": 0}, b["forecast"]
    # no queue (U3 U4 for 3 desks): registration (840, 900] m847 m848 = 2
    #   arrivals / (60 s: 180) = 0.01; vaccination m842 m890 = 2 / (mean
    #   (120 + 420) / 2 = 270 s: 13.3) = 0.15 -> vaccination; one dose left
    #   and no time left
    assert b["bottleneck"] == {
        "stage": "vaccination", "capacity_per_hour": 13.3, "arrivals_per_hour": 2,
        "per_station_per_hour": 13.3, "extra_stations": 0, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "waktu layanan habis; target tidak tercapai hari ini"}, b["bottleneck"]
    assert b["idle"] == [
        {"station": "registration-1", "stage": "registration", "idle_s": 3540, "waiting": 2},
        {"station": "registration-2", "stage": "registration", "idle_s": 3480, "waiting": 2},
        {"station": "registration-3", "stage": "registration", "idle_s": None, "waiting": 2},
    ], b["idle"]
    # up to 14:45 (closing time): 28 buckets; 14:00 m845, 14:45 m898
    assert b["series"] == series("08:00", [0] * 24 + [1, 0, 0, 1]), b["series"]
    v = stage(b, "vaccination")
    # vaccination: [w 50] [w 60] -> 55; [s 120] [s 420] -> 270
    assert (v["calls"], v["avg_wait_s"], v["avg_service_s"]) == (2, 55, 270), v


def test_second_event_target_reached():
    b = SNAP["s3"]                   # 15:10:00, m910
    # doses 3 = target: reached, no target_at; last 60 (850, 910] m898 m905
    # = 2, last 30 (880, 910] = 2 -> 4; expected 3, margin 0
    assert b["forecast"] == {"rate_per_hour_30": 4, "rate_per_hour_60": 2, "rate_per_hour": 2,
                             "hours_left": 0, "expected_at_close": 3, "margin": 0,
                             "reached": True, "target_at": None, "low": 3, "high": 3,
                             "in_building": 1, "arrivals_expected": 0,
                             "capacity_to_close": 0}, b["forecast"]
    # vaccination: mean service (120 + 420 + 120) / 3 = 220 s: 16.4 an
    # hour, arrivals m890 m902 = 2; registration: nobody arrived in the
    # hour -> vaccination; nothing left to do
    assert b["bottleneck"] == {
        "stage": "vaccination", "capacity_per_hour": 16.4, "arrivals_per_hour": 2,
        "per_station_per_hour": 16.4, "extra_stations": 0, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "alur lancar; target tercapai dengan kecepatan sekarang"}, b["bottleneck"]
    # RT 09: U2 U3 = 2, none: U1 = 1 (null was written first)
    assert b["areas"] == [{"area": "RT 09", "doses": 2}, {"area": None, "doses": 1}], b["areas"]
    r = stage(b, "registration")
    # U3 waited 14:07 -> 15:01 = 3240 s: waits 60 90 3240, exact: p50 the
    # 2nd (ceil 1.5) = 90, p90 the 3rd (ceil 2.7) = 3240; avg (60 + 90 +
    # 3240) / 3 = 1130
    assert (r["calls"], r["avg_wait_s"], r["p50_wait_s"], r["p90_wait_s"]) == \
        (3, 1130, 90, 3240), r


def test_bottleneck_ignores_a_stage_nobody_arrived_at():
    b = SNAP["s4"]                   # 15:50:00, m950; registration-1, -2 paused
    # last 60 = (890, 950]:
    # registration: done m902 (registration-3; m890 is 60 min back) = 1, per
    #   station 1, 1 open -> capacity 1; arrivals 0: nobody joins its queue,
    #   so it cannot hold anyone up (capacity / arrivals is unbounded)
    # vaccination: 16.4 an hour (220 s a dose); arrivals m902 = 1
    # -> vaccination; target reached: the flow is fine
    # A stage nobody arrives at limits nothing (its capacity was once
    # compared with the others' capacity-to-arrivals ratios).
    assert b["bottleneck"] == {
        "stage": "vaccination", "capacity_per_hour": 16.4, "arrivals_per_hour": 1,
        "per_station_per_hour": 16.4, "extra_stations": 0, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "alur lancar; target tercapai dengan kecepatan sekarang"}, b["bottleneck"]


def test_second_event_paused_stations_are_not_idle():
    b = SNAP["s4"]
    # U4 waits; registration-1 and -2 paused; registration-3 last called
    # 15:01 -> 49 min = 2940 s
    assert b["idle"] == [{"station": "registration-3", "stage": "registration",
                          "idle_s": 2940, "waiting": 1}], b["idle"]
    assert b["forecast"]["expected_at_close"] == 3 and b["forecast"]["margin"] == 0, b


def test_second_event_queue_grows_after_the_target():
    b = SNAP["s5"]                   # 15:52:00, m952; U5 U6 issued at 15:51
    # last 60 = (892, 952]:
    # registration: done m902 = 1 (registration-3), 1 open -> capacity 1;
    #   arrivals U5 U6 (m951) = 2: 0.5.  vaccination: done m898 m905 = 2,
    #   arrivals m902 = 1: 2.  -> registration, where U4 U5 U6 wait for 1
    #   open desk (a queue)
    # a queue after close: registration is named while it lasts (U4 U5 U6
    #   for its 1 open desk, 60 s a service: 60 an hour); nobody will be
    #   served by close, which has passed: 3 unserved, 3 minutes more at
    #   the 1 open desk, or another day
    assert b["bottleneck"] == {
        "stage": "registration", "capacity_per_hour": 60, "arrivals_per_hour": 2,
        "per_station_per_hour": 60, "extra_stations": 0, "max_stations": 6,
        "unserved_at_close": 3, "move_station": None,
        "recommendation": "waktu layanan habis; 3 orang masih menunggu di pendaftaran: "
                          "perpanjang 3 menit dengan 1 meja, atau minta mereka datang "
                          "di hari lain"}, b["bottleneck"]
    assert b["forecast"]["reached"] is True and b["forecast"]["target_at"] is None, b
    # registration-3 last called 15:01 -> 51 min = 3060 s; the others paused
    assert b["idle"] == [{"station": "registration-3", "stage": "registration",
                          "idle_s": 3060, "waiting": 3}], b["idle"]


# ---- stz: the histogram's edges, a skipped ticket called back --------------------------

def test_histogram_edges_and_called_back_ticket():
    b = SNAP["z"]                    # 11:30:00, m690
    # registration-1: calls from waiting: [w 30] [w 10800 = 180 min]
    #   [w 12000 = 200 min] = 3 (A-003 called back after its skip is not a
    #   call from waiting); waits 22830 / 3 = 7610
    # percentiles exact past 3 hours (the histogram once capped them at
    #   its last bound, 10800): waits 30 10800 12000: p50 the 2nd = 10800,
    #   p90 the 3rd = 12000
    # served 3: [s 60] [s 60] [s 90] (start to complete) -> 70; no-show 1
    # done m481 m661 m684: last 60 (630, 690] = 2; last 15 (675, 690] = 1 -> 4
    # last call 11:22:00 (the call back)
    assert_stage(stage(b, "registration"), {
        "id": "registration", "name": "Pendaftaran", "waiting": 0, "served": 3, "calls": 3,
        "avg_wait_s": 7610, "p50_wait_s": 10800, "p90_wait_s": 12000, "avg_service_s": 70,
        "throughput_per_hour": {"last_15": 4, "last_60": 2}, "arrivals_per_hour": 0,
        "stations_open": 1, "deferred": 0, "refused": 0, "no_show": 1, "expired": 0, "capacity_per_hour": 2,
        "chairs_needed": None,
        "stations": [station("registration-1", served=3, calls=3, avg_wait=7610, avg_service=70,
                             last_15=4, last_60=2, no_show=1, last_call="11:22:00")]})
    # all three wait at vaccination, whose station never called: idle, null
    assert b["idle"] == [{"station": "vaccination-1", "stage": "vaccination", "idle_s": None,
                          "waiting": 3}], b["idle"]
    v = stage(b, "vaccination")
    # arrivals m481 m661 m684: (630, 690] = 2
    assert (v["waiting"], v["arrivals_per_hour"], v["capacity_per_hour"]) == (3, 2, None), v
    assert b["today"]["no_show"] == 1 and b["today"]["doses"] == 0, b["today"]
    # the 3 at vaccination (no service there yet: no capacity bound) and,
    # of the 0.47 still to come (half the shape's 3 x (0.52 - S(0.5) =
    # 0.395) / 0.395 = 0.95, half the last hour's none), the 3 of 4 who
    # pass registration: 3 + 0.36 -> 3
    assert b["forecast"]["hours_left"] == 3.5 and b["forecast"]["expected_at_close"] == 3, b
    assert b["areas"] == [] and b["series"] == series("08:00", [0] * 15), b


# ---- stw: how many more desks, and a stage whose desks are all paused ------------------

def test_extra_stations_when_the_open_desks_are_enough():
    b = SNAP["w_open"]               # 11:40:00, m700
    # registration: services 230 290 290 s (start to complete): 270 s on
    #   average, 13.3 an hour; 3 wait for its 1 open desk (a queue).
    #   vaccination has served nobody: no rate, not a candidate.
    # The drain model: 3 waiting + 6 still to come (6 arrivals, 220 of 420
    #   min gone, x = 0.524: the shape's 6 x (0.52 - 0.4066) / 0.4066 = 1.67
    #   and the rate's 6 x 3.33 / 2 = 10, blended 0.476 / 0.524: 6.03)
    #   need 9 / (13.3 x 3.33 h = 44.4) = 1 desk: the open one is enough,
    #   none more.  The forecast 3 + 3 + 6.03 = 12 reaches the target of
    #   10 (vaccination, with no service time yet, sets no bound): the flow
    #   is called fine, while the idle list shows its desk never called.
    assert b["forecast"]["hours_left"] == 3.33 and b["forecast"]["rate_per_hour"] == 0, b
    # A-004..006 wait at registration (last call 11:05, 2100 s ago); A-001..003
    # wait at vaccination, whose desk never called
    assert b["idle"] == [
        {"station": "registration-1", "stage": "registration", "idle_s": 2100, "waiting": 3},
        {"station": "vaccination-1", "stage": "vaccination", "idle_s": None, "waiting": 3},
    ], b["idle"]
    assert b["bottleneck"] == {
        "stage": "registration", "capacity_per_hour": 13.3, "arrivals_per_hour": 6,
        "per_station_per_hour": 13.3, "extra_stations": 0, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "alur lancar; target tercapai dengan kecepatan sekarang"}, \
        b["bottleneck"]


def test_a_stage_with_every_desk_paused_has_no_capacity():
    b = SNAP["w_paused"]             # 11:42:00, m702; registration-1 paused at 11:41
    # registration: 3 wait for no open desk: capacity 0, the bottleneck
    #   whatever else (nothing moves there); 13.3 an hour a desk: the 3 + 6
    #   to serve by close need 1 desk, 0 open -> 1 more
    # With every desk paused a stage's capacity is 0, and it is the
    # bottleneck (it was once null and left out).
    r = stage(b, "registration")
    assert r["stations_open"] == 0 and r["stations"][0]["state"] == "paused", r
    assert r["capacity_per_hour"] == 0, r
    assert b["bottleneck"] == {
        "stage": "registration", "capacity_per_hour": 0, "arrivals_per_hour": 6,
        "per_station_per_hour": 13.3, "extra_stations": 1, "max_stations": 2,
        "unserved_at_close": 0, "move_station": None,
        "recommendation": "buka 1 meja pendaftaran lagi agar antrean terlayani sebelum "
                          "tutup"}, b["bottleneck"]


def test_every_area_is_listed():
    b = SNAP["many"]                 # 10:00:00
    # 650 doses in 601 areas: RT 99 (50) first, then the 600 with one dose
    # each, by name.
    # Every area is listed however many (a fixed list once dropped those
    # past the 512th, in hash order, before sorting).
    assert b["today"]["doses"] == 650, b["today"]
    want = [{"area": "RT 99", "doses": 50}] + \
        [{"area": "A%03d" % i, "doses": 1} for i in range(600)]
    assert len(b["areas"]) == 601, "%d areas listed of 601" % len(b["areas"])
    assert b["areas"] == want, b["areas"][:3]


# ---- the roll-up -------------------------------------------------------------------

def test_rollup_of_every_event():
    # each event at its own test clock
    clock("stx", "09:11:00")
    clock("sty", "15:52:00")
    clock("stz", "11:30:00")
    clock("stw", "11:42:00")
    clock("quiet", "10:00:00")
    clock("many", "10:00:00")
    st, h, b = d.get("/v1/stats", role="organiser")
    assert st == 200 and h["cache-control"] == "no-store", (st, b)
    assert set(b) == {"events"}, b
    got = {e["event"]: e for e in b["events"]}
    assert len(b["events"]) == 6 and set(got) == {"stx", "sty", "stz", "stw", "quiet",
                                                  "many"}, b
    # as in the events' own figures: stx at 09:11 (q3), sty at 15:52 (s5),
    # stz at 11:30 (no dose yet, 3 expected: the 3 at vaccination) and stw
    # at 11:42 (no dose yet: the 6 in the building and 6.0 still to come:
    # the shape's 1.63 and the rate's 6 x 3.3 / 2 = 9.9, blended 0.471 /
    # 0.529: 12), quiet at
    # 10:00; stw: A-004..006 wait at registration, A-001..003 at vaccination
    assert got["stx"] == {"event": "stx", "name": STX["name"], "doses": 5, "issued": 9,
                          "waiting": 1, "target": 100, "expected_at_close": 21,
                          "margin": -79}, got["stx"]
    assert got["sty"] == {"event": "sty", "name": STY["name"], "doses": 3, "issued": 6,
                          "waiting": 3, "target": 3, "expected_at_close": 3,
                          "margin": 0}, got["sty"]
    assert got["stz"] == {"event": "stz", "name": STZ["name"], "doses": 0, "issued": 3,
                          "waiting": 3, "target": 10, "expected_at_close": 3,
                          "margin": -7}, got["stz"]
    assert got["stw"] == {"event": "stw", "name": STW["name"], "doses": 0, "issued": 6,
                          "waiting": 6, "target": 10, "expected_at_close": 12,
                          "margin": 2}, got["stw"]
    # many: 650 doses, all at 08:20, none in the last hour: rate 0, expected
    # 650, margin 650 - 1000; no ticket issued (the counters were written
    # directly)
    assert got["many"] == {"event": "many", "name": MANY["name"], "doses": 650, "issued": 0,
                           "waiting": 0, "target": 1000, "expected_at_close": 650,
                           "margin": -350}, got["many"]
    assert got["quiet"] == {"event": "quiet", "name": QUIET["name"], "doses": 0, "issued": 0,
                            "waiting": 0, "target": 50, "expected_at_close": 0,
                            "margin": -50}, got["quiet"]
    # and they agree with each event's own figures at the same moment
    for ev in ("stx", "sty"):
        st, _, one = d.get("/v1/events/%s/stats" % ev, role="organiser")
        assert st == 200
        assert (one["today"]["doses"], one["forecast"]["expected_at_close"]) == \
            (got[ev]["doses"], got[ev]["expected_at_close"]), (ev, one)
