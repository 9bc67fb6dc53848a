"""Days end: antred-test on its test clock plays three days of one event.
Day 1 leaves tickets unfinished everywhere a ticket can be (waiting at two
stages, called, serving, skipped, in the timed wait of observation) and one
cancelled; the first operation of day 2 (a board read) closes them out as
`expired`: out of every queue, the holds and the stations, counted in day
1's figures (e|STAGE) and listed in day 1's report.  Day 2's first ticket is
at position 0 with no estimate built on yesterday's pace; day 3 works the
same after a day of its own; and a Redis killed at a day's change loses
nothing: the rollover is one script, all of it or none of it."""

import copy
import time

from harness import (ANTRED_TEST, DEMO_EVENT, Antred, Redis, assert_error, set_test_clock,
                     wait_until, wib_ms)

redis = None
d = None
EV = "days"
STAGES = ["registration", "screening", "vaccination", "observation"]
DAY1 = (2026, 11, 25)
clock = 0


def setup_module():
    global redis, d
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = EV
    redis = Redis()
    d = Antred(redis.url, events=(ev,), binary=ANTRED_TEST, extra=["test-clock 1"])
    d.wait_redis_up()


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


def base():
    return "/v1/events/%s/" % EV


def issue():
    st, _, b = d.post(base() + "tickets", {"service": "dose1"}, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def op(station, name, body=None, status=200):
    st, _, b = d.post(base() + "stations/%s/%s" % (station, name), body, role="station")
    assert st == status, (station, name, st, b)
    return b


def through(station):
    """Calls, starts and completes (done) the next ticket at a station."""
    t = op(station, "call")["ticket"]
    later(20)
    op(station, "start")
    later(40)
    op(station, "complete", {"outcome": "done"})
    later(10)
    return t


def ticket(ref):
    st, _, b = d.get(base() + "tickets/" + ref, role="desk")
    assert st == 200, (ref, st, b)
    return b["ticket"]


def board():
    st, _, b = d.get(base() + "board")
    assert st == 200, b
    return b


def report(date):
    st, _, b = d.get(base() + "report.json?date=" + date, role="organiser")
    assert st == 200, (st, b)
    return b


def stats():
    st, _, b = d.get(base() + "stats", role="organiser")
    assert st == 200, (st, b)
    return b


def stage_expired(s):
    return {g["id"]: g["expired"] for g in s["stages"]}


def leave_a_day_unfinished(y, m, day):
    """The tickets of a day, left as the day ends: returns {code: state}."""
    at(wib_ms(y, m, day, 13, 0, 0))
    codes = [issue()["code"] for _ in range(7)]
    # through three stages into observation (a timed wait)
    for stage in STAGES[:3]:
        assert through(stage + "-1")["code"] == "A-001"
    # through registration, waits at screening
    assert through("registration-1")["code"] == "A-002"
    # called and skipped (a no-show)
    assert op("registration-1", "call")["ticket"]["code"] == "A-003"
    later(30)
    op("registration-1", "skip")
    # A-004 called at registration-1, A-005 being served at registration-2
    later(30)
    assert op("registration-1", "call")["ticket"]["code"] == "A-004"
    later(30)
    assert op("registration-2", "call")["ticket"]["code"] == "A-005"
    op("registration-2", "start")
    # A-007 cancelled; A-006 waits at registration
    st, _, b = d.post(base() + "tickets/A-007/cancel", role="desk")
    assert st == 200 and b["ticket"]["state"] == "cancelled", (st, b)
    b = board()
    assert [s["waiting"] for s in b["stages"]] == [1, 1, 0, 1], b["stages"]
    held = {s["id"]: s["ticket"]["code"] for s in b["stations"] if s["ticket"]}
    assert held == {"registration-1": "A-004", "registration-2": "A-005"}, held
    ids = {c: ticket(c)["id"] for c in codes}
    states = {c: ticket(c)["state"] for c in codes}
    assert states == {"A-001": "waiting", "A-002": "waiting", "A-003": "skipped",
                      "A-004": "called", "A-005": "serving", "A-006": "waiting",
                      "A-007": "cancelled"}, states
    return ids


EXPIRED_AT = {"A-001": "observation", "A-002": "screening", "A-003": "registration",
              "A-004": "registration", "A-005": "registration", "A-006": "registration"}


def assert_closed_out(ids, date):
    """Yesterday's tickets are expired and nowhere in today's queues."""
    b = board()
    assert [s["waiting"] for s in b["stages"]] == [0, 0, 0, 0], b["stages"]
    assert all(s["ticket"] is None for s in b["stations"]), b["stations"]
    assert b["holds"] == [] and b["calls"] == [], (b["holds"], b["calls"])
    for code, id_ in ids.items():
        t = ticket(id_)
        want = "cancelled" if code == "A-007" else "expired"
        assert t["state"] == want and t["station"] is None, (code, t)
        assert t["position"] in (None, -1) and t["eta_s"] in (None, -1), t
        assert t["hold_until"] is None, t
        if want == "expired":
            assert t["stage"] == EXPIRED_AT[code], (code, t)
            assert t["visits"][-1]["outcome"] == "expired", (code, t["visits"])
    rep = report(date)
    states = {t["code"]: t["outcome"] for t in rep["tickets"]}
    assert states == dict({c: "expired" for c in EXPIRED_AT}, **{"A-007": "cancelled"}), states
    assert rep["totals"]["expired"] == 6 and rep["totals"]["open"] == 0, rep["totals"]
    assert rep["totals"]["issued"] == 7 and rep["totals"]["doses"] == 1, rep["totals"]


def first_ticket_of_the_day():
    """A new day's first ticket: position 0, and no estimate from yesterday."""
    t = issue()
    assert t["code"] == "A-001" and t["position"] == 0, t
    assert t["eta_s"] is None or 0 <= t["eta_s"] <= 600, t
    # the stations are free: registration-1 calls today's ticket, not busy
    c = op("registration-1", "call")["ticket"]
    assert c["id"] == t["id"], c
    return t


def test_the_first_operation_of_a_day_closes_out_yesterday():
    ids = leave_a_day_unfinished(*DAY1)
    day1_figures = stats()
    assert day1_figures["today"]["expired"] == 0, day1_figures["today"]
    assert set(stage_expired(day1_figures).values()) == {0}, day1_figures["stages"]

    # 08:00 WIB the next morning: the first operation (a board read, or
    # antred's own sweep if it comes first) closes day 1
    at(wib_ms(2026, 11, 26, 8, 0, 0))
    assert_closed_out(ids, "2026-11-25")
    # today's figures start empty; today's first ticket is at the front
    s = stats()
    assert s["today"]["expired"] == 0 and s["today"]["waiting"] == 0, s["today"]
    later(60)
    t = first_ticket_of_the_day()
    # the next one's estimate comes from today alone: after one call there
    # is no pace yet (null), never yesterday's gap times the night
    later(30)
    t2 = issue()
    assert t2["position"] == 0 and (t2["eta_s"] is None or t2["eta_s"] <= 600), t2
    assert ticket(t["id"])["state"] == "called"

    # an expired ticket is finished: no call by id, no cancel
    assert_error(d.post(base() + "stations/registration-2/call",
                        {"ticket": ids["A-006"]}, role="station"), 409, "invalid_transition")
    assert_error(d.post(base() + "tickets/%s/cancel" % ids["A-006"], role="desk"),
                 409, "invalid_transition")

    # day 1's figures count them, stage by stage (read on day 1's clock: a
    # clock set back closes nothing out)
    at(wib_ms(2026, 11, 25, 23, 59, 0))
    s = stats()
    assert s["today"]["expired"] == 6, s["today"]
    assert stage_expired(s) == {"registration": 4, "screening": 1, "vaccination": 0,
                                "observation": 1}, s["stages"]
    assert ticket(t["id"])["state"] == "called"     # today's stays as it is


def test_a_third_day_works_the_same():
    # day 2 (from the test above) ends with A-001 called at registration-1
    # and A-002 waiting; more of day 2, and a skip
    at(wib_ms(2026, 11, 26, 14, 0, 0))
    op("registration-1", "skip")
    later(60)
    st, _, b = d.post(base() + "tickets", {"service": "dose1"}, role="desk")
    assert st == 201
    # day 3: the first operation is an issue
    at(wib_ms(2026, 11, 27, 7, 30, 0))
    t = issue()
    assert t["code"] == "A-001" and t["position"] == 0, t
    assert t["eta_s"] is None or t["eta_s"] <= 600, t
    b = board()
    assert [s["waiting"] for s in b["stages"]] == [1, 0, 0, 0], b["stages"]
    rep = report("2026-11-26")
    assert {t_["outcome"] for t_ in rep["tickets"]} == {"expired"}, rep["tickets"]
    assert rep["totals"]["expired"] == 3, rep["totals"]
    c = op("registration-1", "call")["ticket"]
    assert c["id"] == t["id"], c


def test_a_redis_failure_at_the_change_of_day_loses_nothing():
    # day 3 leaves one called, two waiting
    at(wib_ms(2026, 11, 27, 9, 0, 0))
    issue()
    issue()
    ids = [ticket(t["code"])["id"] for t in report("2026-11-27")["tickets"]]
    assert len(ids) == 3, ids
    at(wib_ms(2026, 11, 28, 8, 0, 0))
    # Redis dies as the day changes: whatever reached it is all or nothing
    redis.kill()
    st, _, b = d.get(base() + "board")
    assert st == 503, (st, b)
    redis.start()
    d.wait_redis_up()
    wait_until(lambda: d.get(base() + "board")[0] == 200, timeout=10, what="Redis back")
    # the rollover ran once, whole: killed again and restarted from its
    # AOF, nothing of it is lost
    redis.kill()
    redis.start()
    d.wait_redis_up()
    wait_until(lambda: d.get(base() + "board")[0] == 200, timeout=10, what="Redis back")
    b = board()
    assert [s["waiting"] for s in b["stages"]] == [0, 0, 0, 0], b["stages"]
    assert all(s["ticket"] is None for s in b["stations"]), b["stations"]
    assert [ticket(i)["state"] for i in ids] == ["expired"] * 3
    at(wib_ms(2026, 11, 27, 23, 0, 0))
    s = stats()
    assert s["today"]["expired"] == 3 and stage_expired(s)["registration"] == 3, s["today"]
    at(wib_ms(2026, 11, 28, 8, 1, 0))
    time.sleep(0.1)
    assert first_ticket_of_the_day()["id"].startswith("20261128-")
