"""Midnight in Jakarta, on purpose: antred-test's clock (key test:clock) is
set to 23:59:58 WIB on 29 February 2028 and then stepped past midnight
while tickets are issued, called and completed, and both days' figures are
checked: the board's issued_today and doses_today for the new day, the
report of the previous day with ?date=, numbering that starts again,
yesterday's unfinished tickets closed out as expired (test_days.py has the
whole of that), and a lookup by code that finds today's ticket.  The rest of the suite pins the clock where it
checks calendar figures, so this is the one black-box run that crosses."""

import copy

from harness import (ANTRED_TEST, DEMO_EVENT, Antred, Redis, set_test_clock, wib_ms)

redis = None
d = None
EV = "mid"
STAGES = ["registration", "screening", "vaccination", "observation"]
BEFORE = wib_ms(2028, 2, 29, 23, 59, 58)     # a leap day's last seconds
AFTER = wib_ms(2028, 3, 1, 0, 0, 1)


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


def issue():
    st, _, b = d.post("/v1/events/%s/tickets" % EV, {"service": "dose1"}, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def through_vaccination(sid_n=1):
    """Calls the next ticket at each stage up to the dose and completes it;
    returns the ticket called at registration."""
    first = None
    for stage in STAGES[:3]:
        base = "/v1/events/%s/stations/%s-%d/" % (EV, stage, sid_n)
        st, _, b = d.post(base + "call", role="station")
        assert st == 200, (stage, st, b)
        first = first or b["ticket"]
        assert d.post(base + "start", role="station")[0] == 200
        st, _, b = d.post(base + "complete", {"outcome": "done"}, role="station")
        assert st == 200, (stage, st, b)
    return first


def board():
    st, _, b = d.get("/v1/events/%s/board" % EV)
    assert st == 200, b
    return b


def report(query=""):
    st, _, b = d.get("/v1/events/%s/report.json%s" % (EV, query), role="organiser")
    assert st == 200, (st, b)
    return b


def test_a_day_ends_at_midnight_wib_and_both_days_add_up():
    set_test_clock(redis, EV, BEFORE)
    a1 = issue()
    a2 = issue()
    assert (a1["id"], a2["id"]) == ("20280229-A001", "20280229-A002"), (a1, a2)
    assert a1["issued_at"] == "2028-02-29T23:59:58+07:00", a1
    assert through_vaccination()["id"] == a1["id"]
    b = board()
    assert (b["issued_today"], b["doses_today"]) == (2, 1), b

    # 00:00:01 WIB (17:00:01 UTC the same day): a new day
    set_test_clock(redis, EV, AFTER)
    b = board()
    assert (b["issued_today"], b["doses_today"]) == (0, 0), b
    # yesterday's unfinished tickets are closed out: A-002 waited, A-001
    # was in observation; today's queues are empty
    assert [s["waiting"] for s in b["stages"]] == [0, 0, 0, 0], b
    t1 = issue()
    assert t1["id"] == "20280301-A001" and t1["code"] == "A-001", t1   # numbering starts again
    assert t1["issued_at"] == "2028-03-01T00:00:01+07:00", t1
    # today's A-001 is the first called, not yesterday's A-002: today's dose
    assert through_vaccination()["id"] == t1["id"]
    b = board()
    assert (b["issued_today"], b["doses_today"]) == (1, 1), b

    # the report of the day before: its two tickets, expired, one dose
    prev = report("?date=2028-02-29")
    assert prev["date"] == "2028-02-29", prev
    assert [t["code"] for t in prev["tickets"]] == ["A-001", "A-002"], prev
    assert [t["outcome"] for t in prev["tickets"]] == ["expired", "expired"], prev
    assert prev["totals"]["issued"] == 2 and prev["totals"]["doses"] == 1, prev
    assert prev["totals"]["expired"] == 2, prev
    # today's (by default and by date): the one ticket issued after midnight
    for today in (report(), report("?date=2028-03-01")):
        assert today["date"] == "2028-03-01", today
        assert [t["code"] for t in today["tickets"]] == ["A-001"], today
        assert today["totals"]["issued"] == 1 and today["totals"]["doses"] == 1, today

    # a code names today's ticket; yesterday's keeps its id
    st, _, b = d.get("/v1/events/%s/tickets/A-001" % EV, role="desk")
    assert st == 200 and b["ticket"]["id"] == "20280301-A001", b
    st, _, b = d.get("/v1/events/%s/tickets/20280229-A001" % EV, role="desk")
    assert st == 200 and b["ticket"]["issued_at"] == "2028-02-29T23:59:58+07:00", b
