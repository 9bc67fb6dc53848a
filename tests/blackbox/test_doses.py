"""Doses across the campaign (issue 14: which dose, second doses, the
counting of coverage), through the real API on antred-test's test clock,
over several days and two events sharing one Redis.

Dose 1 for people with a NIK (some elderly by their birth date) and
without; the same person at another event on another day counts once; a
person without NIK counts per ticket.  Dose 2 after the interval ends the
wait; the desk's lookup says not yet due, due and overdue on the right days.
The dose record's outbox survives a coverage_apply that fails and a daemon
killed meanwhile: the counts come out exact, and a line applied twice
counts once.  The campaign's raw keys are checked here (GET /v1/coverage is
built on them); no key or value ever holds a NIK."""

import copy
import datetime
import hashlib
import hmac
import json
import os
import signal
import time

from harness import (ANTRED_TEST, DEMO_EVENT, Antred, Redis, assert_error, set_test_clock,
                     wait_until, wib_ms)

redis = None
d = None
EVS = ("cov-a", "cov-b")                 # cov-a first by id: coverage's today is its day
C = "antre:{campaign}:"

P1 = "3171021505960001"                  # born 15 May 1996
P2 = "3171024101500002"                  # a woman born 1 January 1950: elderly
P5 = "3171020807660003"                  # born 8 July 1966: 60 on the first day
P7 = "3171021212800004"                  # born 12 December 1980
NONE = "3171021111110005"                # never vaccinated
NIKS = (P1, P2, P5, P7, NONE)


def event(eid):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    ev["services"] = [
        {"id": "dose1", "prefix": "A", "name": "Dosis 1", "dose": 1, "next_dose_after_days": 28},
        {"id": "dose2", "prefix": "B", "name": "Dosis 2", "dose": 2},
        {"id": "booster", "prefix": "C", "name": "Booster", "dose": 3},
    ]
    return ev


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=[event(e) for e in EVS], binary=ANTRED_TEST,
               extra=["test-clock 1"])
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def at(y, m, day, h=9):
    for e in EVS:
        set_test_clock(redis, e, wib_ms(y, m, day, h))


def campaign_key(nik):
    """nik_campaign_key: HKDF-SHA256 (no salt, info "antre campaign person
    v1") of the daemon's secret, then HMAC-SHA256 of the NIK."""
    with open(os.path.join(d.tmp, "secret"), "rb") as f:
        secret = f.read()
    prk = hmac.new(b"\0" * 32, secret, hashlib.sha256).digest()
    key = hmac.new(prk, b"antre campaign person v1\x01", hashlib.sha256).digest()
    return hmac.new(key, nik.encode(), hashlib.sha256).hexdigest()


def issue(ev, service="dose1", **body):
    body["service"] = service
    st, _, b = d.post("/v1/events/%s/tickets" % ev, body, role="desk")
    assert st == 201, (st, b)
    return b


def op(ev, station, name, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, station, name), body, role="station")
    assert st == 200, (station, name, st, b)
    return b


def give(ev, code):
    """The ticket through registration, screening and vaccination (the dose)."""
    for stage in ("registration", "screening", "vaccination"):
        assert op(ev, stage + "-1", "call", {"ticket": code})["ticket"]["code"] == code
        op(ev, stage + "-1", "start")
        op(ev, stage + "-1", "complete", {"outcome": "done"})


def hgetall(key):
    out = redis.cli("HGETALL", key).split("\n")
    return dict(zip(out[::2], out[1::2])) if out != [""] else {}


def counts():
    return {k: int(v) for k, v in hgetall(C + "cov:n").items()}


def outbox(ev):
    return int(redis.cli("LLEN", "antre:{%s}:cov:outbox" % ev))


def drained():
    return all(outbox(e) == 0 for e in EVS)


def wait_counts(want, what):
    try:
        wait_until(lambda: drained() and counts() == want, timeout=10, what=what)
    except AssertionError:
        raise AssertionError("%s: %s, outboxes %s" % (what, counts(), [outbox(e) for e in EVS]))


def lookup(ev, nik):
    st, _, b = d.post("/v1/events/%s/tickets/lookup" % ev, {"nik": nik}, role="desk")
    assert st == 200, (st, b)
    return b["dose_status"]


def test_1_first_doses_count_once_per_person():
    at(2026, 11, 3)
    t1 = issue("cov-a", nik=P1)
    t2 = issue("cov-a", nik=P2)
    t5 = issue("cov-a", nik=P5)
    t3 = issue("cov-a", priority="elderly", area="desa-x")     # no NIK: elderly by priority
    t4 = issue("cov-a")                                        # no NIK, no area
    t6 = issue("cov-a", area="desa-x")
    # the ticket keeps the campaign key and the elderly flag, never the NIK
    tk = hgetall("antre:{cov-a}:t:" + t1["ticket"]["id"])
    assert (tk["ckey"], tk.get("elderly")) == (campaign_key(P1), None), tk  # "0": left out
    assert hgetall("antre:{cov-a}:t:" + t2["ticket"]["id"])["elderly"] == "1"
    assert hgetall("antre:{cov-a}:t:" + t5["ticket"]["id"])["elderly"] == "1"
    assert hgetall("antre:{cov-a}:t:" + t3["ticket"]["id"])["elderly"] == "1"
    assert "ckey" not in hgetall("antre:{cov-a}:t:" + t4["ticket"]["id"])   # none: not written
    for t in (t1, t2, t5, t3, t4, t6):
        give("cov-a", t["ticket"]["code"])
    wait_counts({"317102|d1": 3, "317102|e1": 2, "desa-x|d1": 2, "desa-x|e1": 1, "-|d1": 1},
                "day 1's first doses")
    p2 = hgetall(C + "cov:p:" + campaign_key(P2))
    applied = "t:" + t2["ticket"]["id"] + "|cov-a"       # the line applied, marked there
    assert p2 == {"d1": "20261103", "area": "317102", "elderly": "1", "due2": "20261201",
                  applied: "1"}, p2
    ttl = int(redis.cli("TTL", C + "cov:p:" + campaign_key(P2)))
    assert 729 * 86400 < ttl <= 730 * 86400, ttl
    due = str((datetime.date(2026, 12, 1) - datetime.date(1970, 1, 1)).days)
    members = redis.cli("ZRANGE", C + "cov:due2", 0, -1, "WITHSCORES").split("\n")
    assert sorted(members[::2]) == sorted("317102|" + campaign_key(n) for n in (P1, P2, P5))
    assert set(members[1::2]) == {due}, members


def test_2_the_person_page_says_when_to_come_back():
    """A dose 1 ticket with a next dose: next_dose_from, on the desk's and
    the person's (signed) view; a dose 2 ticket has none."""
    st, _, b = d.get("/v1/events/cov-a/tickets/A-001", role="desk")
    assert st == 200 and b["ticket"]["next_dose_from"] == "2026-12-01", b
    url = b["status_url"]
    sig = url.split("?sig=")[1]
    st, _, pub = d.get("/v1/events/cov-a/tickets/%s?sig=%s" % (b["ticket"]["id"], sig))
    assert st == 200 and pub["ticket"]["next_dose_from"] == "2026-12-01", pub
    assert "area" not in pub["ticket"] and "priority" not in pub["ticket"]


def test_3_same_person_elsewhere_counts_once_no_nik_per_ticket():
    at(2026, 11, 4)
    before = counts()
    t = issue("cov-b", nik=P1, area="desa-y")
    u = issue("cov-b")
    give("cov-b", t["ticket"]["code"])
    give("cov-b", u["ticket"]["code"])
    want = dict(before)
    want["-|d1"] += 1                    # a ticket without NIK counts again
    wait_counts(want, "day 2 at the other event")
    assert hgetall(C + "cov:p:" + campaign_key(P1))["d1"] == "20261103"
    # each line marked as applied: with the person, or (no NIK) in its day's
    # cov:seen, which expires: no mark outlives the need for it
    assert redis.cli("HEXISTS", C + "cov:p:" + campaign_key(P1),
                     "t:" + t["ticket"]["id"] + "|cov-b") == "1"
    assert redis.cli("HEXISTS", C + "cov:seen:20261104", u["ticket"]["id"] + "|cov-b") == "1"
    assert 7 * 86400 < int(redis.cli("TTL", C + "cov:seen:20261104")) <= 8 * 86400
    assert redis.cli("EXISTS", C + "cov:seen") == "0"


def test_4_dose_status_at_the_desk():
    at(2026, 11, 30)
    assert lookup("cov-a", P2) == {"dose1": "2026-11-03", "dose2": None, "dose3": None,
                                   "next_due": "2026-12-01", "status": "not_yet_due"}
    assert lookup("cov-a", NONE) == {"dose1": None, "dose2": None, "dose3": None,
                                     "next_due": None, "status": "none"}
    at(2026, 12, 1)
    assert lookup("cov-b", P2)["status"] == "due"
    at(2026, 12, 28)
    assert lookup("cov-a", P2)["status"] == "due"
    at(2026, 12, 29)                     # due + 28 days (dose-overdue-after-days)
    assert lookup("cov-a", P2) == {"dose1": "2026-11-03", "dose2": None, "dose3": None,
                                   "next_due": "2026-12-01", "status": "overdue"}
    # a bad NIK is still refused as before
    assert_error(d.post("/v1/events/cov-a/tickets/lookup", {"nik": "123"}, role="desk"), 400,
                 "invalid_nik")


def test_5_second_dose_ends_the_wait():
    at(2026, 12, 1)
    before = counts()
    t = issue("cov-b", service="dose2", nik=P1)
    give("cov-b", t["ticket"]["code"])
    want = dict(before)
    want["317102|d2"] = 1
    wait_counts(want, "P1's dose 2")
    members = redis.cli("ZRANGE", C + "cov:due2", 0, -1).split("\n")
    assert "317102|" + campaign_key(P1) not in members and len(members) == 2, members
    st = lookup("cov-a", P1)
    assert st == {"dose1": "2026-11-03", "dose2": "2026-12-01", "dose3": None,
                  "next_due": None, "status": "done"}, st
    # a booster is dose 3
    t = issue("cov-a", service="booster", nik=P1)
    give("cov-a", t["ticket"]["code"])
    want["317102|d3"] = 1
    wait_counts(want, "P1's booster")
    assert lookup("cov-a", P1)["dose3"] == "2026-12-01"
    st, _, b = d.get("/v1/events/cov-b/tickets/" + t["ticket"]["code"].replace("C", "B"),
                     role="desk")
    assert st == 200 and b["ticket"]["next_dose_from"] is None, b


def break_apply(nik):
    """coverage_apply fails before it writes for this (new) person: its first
    read, of their record, meets a wrong type."""
    assert redis.cli("SET", C + "cov:p:" + campaign_key(nik), "not a hash") == "OK"


def mend_apply(nik):
    assert redis.cli("DEL", C + "cov:p:" + campaign_key(nik)) == "1"


def test_6_outbox_survives_failures():
    """apply fails: the record stays on the outbox, nothing counted; antred
    killed meanwhile; mended, a new antred applies it once.  A line applied
    already and found on the outbox again (a trim lost) counts nothing."""
    at(2026, 12, 2)
    before = counts()
    break_apply(P7)
    t = issue("cov-a", nik=P7, area="desa-z")
    give("cov-a", t["ticket"]["code"])
    wait_until(lambda: "coverage: cov-a" in d.logtext(), timeout=10,
               what="the failed apply in the log")
    time.sleep(1.5)                      # a housekeeping round or more: it still fails
    assert outbox("cov-a") == 1 and counts() == before
    line = redis.cli("LRANGE", "antre:{cov-a}:cov:outbox", 0, 0)
    assert json.loads(line)["pkey"] == campaign_key(P7)
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.logf.close()
    mend_apply(P7)
    d.start()
    d.wait_redis_up()
    want = dict(before)
    want["desa-z|d1"] = 1
    wait_counts(want, "the record applied by the housekeeping after the restart")
    # the same line again on the outbox: replayed, trimmed, counted nothing
    redis.cli("RPUSH", "antre:{cov-a}:cov:outbox", line)
    wait_counts(want, "the replayed line trimmed")
    assert "desa-z|" + campaign_key(P7) in redis.cli("ZRANGE", C + "cov:due2", 0, -1).split("\n")


def test_7_no_nik_anywhere():
    """Every key and value in Redis, of both events and the campaign: no NIK."""
    keys = [k for k in redis.cli("KEYS", "*").split("\n") if k]
    dump = []
    for k in keys:
        kind = redis.cli("TYPE", k)
        cmd = {"string": ("GET", k), "hash": ("HGETALL", k), "list": ("LRANGE", k, 0, -1),
               "zset": ("ZRANGE", k, 0, -1), "set": ("SMEMBERS", k),
               "stream": ("XRANGE", k, "-", "+")}[kind]
        dump.append(k + "\n" + redis.cli(*cmd))
    text = "\n".join(dump)
    assert C + "cov:n" in keys and len(text) > 1000
    for nik in NIKS:
        assert nik not in text, nik
    assert all(nik not in d.logtext() for nik in NIKS)
