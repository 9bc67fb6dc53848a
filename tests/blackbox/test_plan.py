"""GET /v1/events/{ev}/plan, the planner for the day before, and `antre
plan`: the event's defaults; what an earlier day measured (played on
antred-test's clock: service times, arrivals by hour, no-shows), today's
work left out; every bad parameter a 400 naming it, with nothing changed;
who may ask; the CLI's table and --json; Redis away: 503.  The model's
own figures are tests/unit/test_stats_plan.c's; the simulator checks the
plan against a played day (test_simulated_plan.py)."""

import copy
import json
import os
import subprocess

from harness import (DEMO_EVENT, SANITIZER_MARKS, TEST_CLOCK, TOKENS,
                     TOP, Antred, Redis, assert_error, set_test_clock, wib_ms)

CLI = os.environ.get("ANTRE_CLI", os.path.join(TOP, "build", "antre"))
EV, FRESH = "plan", "fresh"
redis = None
d = None
clock = 0
DAY1, DAY2 = (2026, 8, 10), (2026, 8, 11)


def setup_module():
    global redis, d
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = EV
    fresh = copy.deepcopy(DEMO_EVENT)
    fresh["id"] = FRESH
    fresh["daily_target"] = 0
    redis = Redis()
    d = Antred(redis.url, events=(ev, fresh), **TEST_CLOCK)
    d.wait_redis_up()
    at(wib_ms(*DAY1, 7, 0))
    set_test_clock(redis, FRESH, wib_ms(*DAY1, 7, 0))


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def at(ms):
    global clock
    clock = ms
    set_test_clock(redis, EV, ms)


def later(s):
    at(clock + s * 1000)


def plan(query="", ev=EV, role="organiser"):
    st, _, b = d.get("/v1/events/%s/plan%s" % (ev, query), role=role)
    assert st == 200, (query, st, b)
    return b


def post(path, body=None, role="station"):
    st, _, b = d.post("/v1/events/%s/%s" % (EV, path), body, role=role)
    assert st in (200, 201), (path, st, b)
    return b


def through(station, service_s):
    """Calls, starts (after 20 s) and completes (service_s later) the next
    ticket at a station."""
    post("stations/%s/call" % station)
    later(20)
    post("stations/%s/start" % station)
    later(service_s)
    post("stations/%s/complete" % station, {"outcome": "done"})
    later(10)


def stage(p, sid):
    return next(s for s in p["stages"] if s["id"] == sid)


def test_defaults_are_the_events():
    p = plan()
    assert (p["event"], p["target"], p["max_wait_min"]) == (EV, 1000, 15), p
    assert (p["open"], p["close"]) == ("08:00", "15:00"), p
    assert (p["no_show_pct"], p["no_show_source"], p["people"]) == (2, "default", 1021), p
    assert p["curve"]["source"] == "typical", p
    per_hour = p["curve"]["per_hour"]
    assert len(per_hour) == 7 and sum(per_hour) == 1021, per_hour
    assert p["peak_per_hour"] == max(per_hour) == per_hour[1], per_hour
    assert [s["id"] for s in p["stages"]] == [s["id"] for s in DEMO_EVENT["stages"]], p
    for s in p["stages"][:3]:
        assert (s["service_s"], s["service_source"]) == (60, "default"), s
        assert s["stations"] >= 1 and s["hold_minutes"] is None and s["chairs"] is None, s
        assert 0 < s["utilisation"] and 0 <= s["p90_wait_s"] <= 15 * 60, s
        assert s["max_stations"] == 2 * next(
            x["stations"] for x in DEMO_EVENT["stages"] if x["id"] == s["id"]), s
    obs = stage(p, "observation")
    assert obs["hold_minutes"] == 30 and obs["chairs"] > 100, obs
    assert obs["stations"] is None and obs["service_s"] is None, obs
    assert p["summary"].startswith("Untuk 1000 dosis dengan tunggu paling lama 15 menit: "
                                   "Pendaftaran %d meja" % p["stages"][0]["stations"]), p
    assert ("Observasi %d kursi" % obs["chairs"]) in p["summary"], p
    # the organiser's own figures instead
    q = plan("?target=300&max_wait_min=5&open=09:30&close=12:10&no_show_pct=0"
             "&service=vaccination:45,registration:20&curve=1,2,3")
    assert (q["target"], q["people"], q["open"], q["close"]) == (300, 300, "09:30", "12:10"), q
    assert q["no_show_source"] == "given" and q["curve"]["source"] == "given", q
    assert q["curve"]["per_hour"] == [50, 100, 150], q
    assert [(s["service_s"], s["service_source"]) for s in q["stages"][:3]] == [
        (20, "given"), (60, "default"), (45, "given")], q


def test_an_event_without_a_target_needs_one():
    st, _, b = d.get("/v1/events/%s/plan" % FRESH, role="organiser")
    assert_error((st, _, b), 400, "invalid_parameter")
    assert "target" in b["error"]["message"], b
    assert plan("?target=10", ev=FRESH)["people"] == 11


def test_an_infeasible_site_says_so():
    p = plan("?target=5000&max_wait_min=5")
    assert p["feasible"] is False, p
    short = [s for s in p["stages"] if s["stations"] and s["stations"] > s["max_stations"]]
    assert short, p
    assert "%s butuh %d meja, tetapi paling banyak %d" % (
        short[0]["name"], short[0]["stations"], short[0]["max_stations"]) in p["summary"], p
    assert 0 < p["doses_possible"] < 5000, p


def play_an_earlier_day():
    """Day 1: ten people at 09:10; eight through registration (40 s each)
    and screening (90 s each), two no-shows at registration."""
    at(wib_ms(*DAY1, 9, 10))
    for _ in range(10):
        post("tickets", {"service": "dose1"}, role="desk")
    for _ in range(8):
        through("registration-1", 40)
    for _ in range(2):
        post("stations/registration-1/call")
        later(30)
        post("stations/registration-1/skip")
    for _ in range(8):
        through("screening-1", 90)


def test_measured_on_earlier_days():
    play_an_earlier_day()
    # the same day: nothing earlier yet
    assert plan()["stages"][0]["service_source"] == "default"
    at(wib_ms(*DAY2, 7, 0))
    p = plan()
    assert [(s["service_s"], s["service_source"]) for s in p["stages"]] == [
        (40, "measured"), (90, "measured"), (60, "default"), (None, None)], p
    assert (p["no_show_pct"], p["no_show_source"]) == (20, "measured"), p
    assert p["people"] == 1250, p                    # 1000 / (1 - 0.2)
    assert p["curve"]["source"] == "earlier_days", p
    assert p["curve"]["per_hour"] == [0, 1250, 0, 0, 0, 0, 0], p
    # today's work does not count: only the days before
    at(wib_ms(*DAY2, 9, 0))
    post("tickets", {"service": "dose1"}, role="desk")
    through("registration-1", 200)
    assert plan() == p
    # what is given overrides what was measured
    q = plan("?service=registration:30&no_show_pct=2.5")
    assert stage(q, "registration")["service_s"] == 30 and q["no_show_pct"] == 2.5, q
    assert stage(q, "screening")["service_source"] == "measured", q


BAD = [
    ("target", ["0", "100001", "abc", "-5", "1.5", "", "1234567", "1e3"]),
    ("max_wait_min", ["0", "241", "x", "15.5"]),
    ("open", ["8:00", "24:00", "08:60", "08:00x", "15:00", "16:00&close=09:00"]),
    ("close", ["25:00", "08:00", "7:00"]),
    ("service", ["registration:4", "registration:3601", "nope:60", "observation:60",
                 "registration:60,registration:70", "registration", "registration:60,",
                 ",registration:60", "registration:abc", "registration:60,,screening:30",
                 "x" * 1100]),
    ("curve", ["1,2", "0,0,0,0,0,0,0", "1,2,3,4,5,6,1001", "1,,2,3,4,5,6",
               "a,b,c,d,e,f,g", "-1,1,1,1,1,1,1", "1e3,1,1,1,1,1,1", "1,2,3,4,5,6,7,",
               ",".join(["1"] * 30)]),
    ("no_show_pct", ["51", "-1", "abc", "1e1", "50.01", "."]),
]


def everything():
    keys = sorted(redis.cli("KEYS", "antre:*").split("\n"))
    return keys, [redis.cli("HGETALL", k) for k in keys if ":stats:" in k]


def test_every_bad_parameter_is_a_400_naming_it():
    before = everything()
    for name, values in BAD:
        for v in values:
            query = "?%s=%s" % (name, v)
            resp = d.get("/v1/events/%s/plan%s" % (EV, query), role="organiser")
            assert resp[0] == 400, (query, resp)
            assert_error(resp, 400, "invalid_parameter")
            msg = resp[2]["error"]["message"]
            assert ('"%s"' % name) in msg or (name == "close" and '"open"' in msg), (query, msg)
    assert everything() == before
    # unknown parameters are left alone
    assert plan("?token=x&foo=1")["target"] == 1000


def test_who_may_ask():
    path = "/v1/events/%s/plan" % EV
    for role in ("organiser", "admin"):
        assert d.get(path, role=role)[0] == 200, role
    for role in ("desk", "station"):
        assert_error(d.get(path, role=role), 403, "forbidden")
    assert_error(d.get(path), 401, "unauthorized")
    assert_error(d.post(path, {}, role="organiser"), 405, "method_not_allowed")
    assert_error(d.get("/v1/events/nope/plan", role="organiser"), 404, "unknown_event")


def cli(*args, role="organiser"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTRE_")}
    env["ANTRE_URL"] = "http://127.0.0.1:%d" % d.port
    env["ANTRE_TOKEN"] = TOKENS[role]
    p = subprocess.run([CLI] + list(args), env=env, capture_output=True, timeout=60)
    out, err = p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")
    for mark in SANITIZER_MARKS:
        assert mark not in err, "sanitizer report from antre:\n" + err
    return p.returncode, out, err


def test_the_cli_table_and_json():
    query = "?target=800&max_wait_min=10"
    p = plan(query)
    rc, out, err = cli("plan", EV, "--target", "800", "--max-wait", "10", "--json")
    assert rc == 0 and json.loads(out) == p, (rc, out, err)
    rc, out, err = cli("plan", EV, "--target", "800", "--max-wait", "10")
    assert rc == 0, (rc, err)
    lines = out.split("\n")
    assert lines[0] == "RENCANA %s  08:00-15:00" % EV, out
    assert "Target 800 dosis" in lines[1] and "10 menit" in lines[1], out
    for s in p["stages"]:
        row = next(ln for ln in lines if ln.startswith(s["name"] + " "))
        cells = row[len(s["name"]):].split()
        if s["stations"] is not None:
            assert str(s["stations"]) in cells and str(s["max_stations"]) in cells, row
            assert "%d%%" % round(s["utilisation"] * 100) in cells, row
        else:
            assert cells[-1] == str(s["chairs"]), row
    assert all(len(ln) <= 79 for ln in lines), out
    assert " ".join(out.split()).count(p["summary"].split(":")[0]) == 1, out
    # the server's refusal, as it said it
    st, _, b = d.get("/v1/events/%s/plan?max_wait_min=0" % EV, role="organiser")
    rc, out, err = cli("plan", EV, "--max-wait", "0")
    assert rc == 1 and out == "", (rc, out)
    assert err == "antre: %s (invalid_parameter)\n" % b["error"]["message"], err
    # a value with characters of its own is sent encoded, and refused
    rc, out, err = cli("plan", EV, "--service", "registration:60&target=5")
    assert rc == 1 and "service" in err, (rc, err)
    rc, out, err = cli("plan", EV, "--bogus")
    assert rc == 2, (rc, err)
    rc, out, err = cli("plan", EV, role="station")
    assert rc == 1 and "(forbidden)" in err, (rc, err)


def test_redis_away_is_a_503():
    redis.kill()
    try:
        assert_error(d.get("/v1/events/%s/plan" % EV, role="organiser"), 503,
                     "store_unavailable")
        # a bad parameter is still the 400 it is
        assert_error(d.get("/v1/events/%s/plan?target=0" % EV, role="organiser"), 400,
                     "invalid_parameter")
    finally:
        redis.start()
        d.wait_redis_up()
    assert plan()["event"] == EV


def test_the_minimal_acl_is_enough():
    """plan.lua as README.md's minimal ACL user: an earlier day's hash
    written by hand (what the scripts would have counted) is read back."""
    from test_redis_acl import ADMIN, acl_from_readme, pct
    r = Redis()
    a = None
    try:
        def admin(*args):
            out = subprocess.run(["redis-cli", "--no-auth-warning", "-p", str(r.port), "--user",
                                  ADMIN[0], "--pass", ADMIN[1]] + [str(x) for x in args],
                                 capture_output=True, text=True, timeout=10)
            return out.stdout.strip()
        assert r.cli("ACL", "SETUSER", ADMIN[0], "on", ">" + ADMIN[1], "~*", "&*",
                     "+@all") == "OK"
        assert admin("ACL", "SETUSER", "antred", "reset", "on", ">pw-1", *acl_from_readme()) == "OK"
        assert admin("ACL", "SETUSER", "default", "off") == "OK"
        assert admin("SET", "antre:{%s}:test:clock" % EV, wib_ms(*DAY2, 7, 0)) == "OK"
        day1 = "%04d%02d%02d" % DAY1
        assert admin("HSET", "antre:{%s}:stats:%s" % (EV, day1),
                     "a|registration|%d" % (10 * 60 + 5), 40,     # 10:05: hour 2 from 08:00
                     "ss|registration-2", 30 * 40 * 1000, "sn|registration-2", 40,
                     "ss|vaccination-3", 75 * 36 * 1000, "sn|vaccination-3", 36,
                     "n|registration-1", 4, "wh|registration|1", 30,
                     "wh|registration|13", 10) == "8"
        a = Antred("redis://antred:%s@127.0.0.1:%d/0" % (pct("pw-1"), r.port),
                   events=(dict(DEMO_EVENT, id=EV),), **TEST_CLOCK)
        a.wait_redis_up()
        st, _, p = a.get("/v1/events/%s/plan" % EV, role="organiser")
        assert st == 200, p
        assert [(s["service_s"], s["service_source"]) for s in p["stages"][:3]] == [
            (30, "measured"), (60, "default"), (75, "measured")], p
        assert (p["no_show_pct"], p["no_show_source"]) == (10, "measured"), p
        assert p["curve"]["per_hour"] == [0, 0, p["people"], 0, 0, 0, 0], p
    finally:
        log = a.stop() if a else ""
        r.stop()
    assert "NOPERM" not in log, log[-3000:]
