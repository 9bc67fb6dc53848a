"""Concurrency and durability of the queue: many desks and stations at once,
and a Redis killed in the middle of issuing."""

import copy
import signal
import threading
import time

from harness import (ANTRED_TEST, DEMO_EVENT, Antred, Redis, set_test_clock, wait_until,
                     wib_ms)

redis = None
d = None

CROWD = copy.deepcopy(DEMO_EVENT)
CROWD["id"] = "crowd"
CROWD["stages"] = [{"id": "vaccination", "name": "Vaksinasi", "stations": 50}]

ISSUE = copy.deepcopy(DEMO_EVENT)
ISSUE["id"] = "issue"


def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=(CROWD, ISSUE), binary=ANTRED_TEST, extra=["test-clock 1"])
    # codes A-001 .. A-300 are one day's: the clock is pinned to mid-morning
    # so that a run at midnight WIB does not start a second numbering
    for ev in (CROWD, ISSUE):
        set_test_clock(redis, ev["id"], wib_ms(2026, 7, 15, 10, 0, 0))
    d.wait_redis_up()


def teardown_module():
    d.stop()
    redis.stop()


def run_threads(n, fn):
    errors = []

    def wrap(i):
        try:
            fn(i)
        except Exception as e:  # reported by the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert not any(t.is_alive() for t in threads), "a thread is still running after 60 s"


def test_300_tickets_from_30_clients_are_unique_and_gapless():
    results = [[] for _ in range(30)]

    def desk(i):
        for _ in range(10):
            st, _, body = d.post("/v1/events/issue/tickets", {"service": "dose1"}, role="desk")
            assert st == 201, body
            results[i].append(body["ticket"])

    run_threads(30, desk)
    tickets = [t for r in results for t in r]
    assert len(tickets) == 300
    assert len({t["id"] for t in tickets}) == 300
    codes = sorted(t["code"] for t in tickets)
    assert codes == ["A-%03d" % n for n in range(1, 301)], codes[:5]


def test_50_stations_calling_at_once_never_share_a_ticket():
    issued = []
    for _ in range(200):
        st, _, body = d.post("/v1/events/crowd/tickets", {"service": "dose1"}, role="desk")
        assert st == 201
        issued.append(body["ticket"]["id"])
    called = [[] for _ in range(50)]

    def station(i):
        sid = "vaccination-%d" % (i + 1)
        base = "/v1/events/crowd/stations/" + sid
        for _ in range(400):  # bounded: 200 tickets cannot need more
            st, _, body = d.post(base + "/call", role="station")
            if st == 204:
                return
            assert st == 200, body
            t = body["ticket"]
            assert t["state"] == "called" and t["station"] == sid, t
            called[i].append(t["id"])
            assert d.post(base + "/start", role="station")[0] == 200
            st, _, body = d.post(base + "/complete", {"outcome": "done"}, role="station")
            assert st == 200 and body["ticket"]["state"] == "done", body
        raise AssertionError("station %s never saw an empty queue" % sid)

    run_threads(50, station)
    flat = [t for c in called for t in c]
    assert len(flat) == len(set(flat)), "a ticket was called twice"
    assert sorted(flat) == sorted(issued), "a ticket was left behind"
    assert sum(1 for c in called if c) > 1, "only one station ever got a ticket"
    board = d.get("/v1/events/crowd/board")[2]
    assert board["stages"][0]["waiting"] == 0
    assert all(s["ticket"] is None for s in board["stations"])


def test_kill_redis_while_issuing_loses_no_acknowledged_ticket():
    """kill -9 of redis-server in the middle of issuing, then a restart:
    every ticket answered 201 is still there, no code was issued twice."""
    r2 = Redis()
    # codes are unique within one day: the clock is pinned as above
    set_test_clock(r2, "demo", wib_ms(2026, 7, 15, 10, 0, 0))
    d2 = Antred(r2.url, binary=ANTRED_TEST, extra=["test-clock 1"])
    acked = []
    unavailable = [0]
    errors = []                  # a desk thread's failure, for the test
    lock = threading.Lock()
    stop = threading.Event()
    try:
        d2.wait_redis_up()

        def desk(i):
            try:
                desk_loop(i)
            except BaseException as e:  # reaches the test below
                with lock:
                    errors.append("desk %d: %r" % (i, e))

        def desk_loop(i):
            deadline = time.monotonic() + 20  # bounded however Redis behaves
            while not stop.is_set() and time.monotonic() < deadline:
                st, _, body = d2.post("/v1/events/demo/tickets", {"service": "dose2"}, role="desk")
                with lock:
                    if st == 201:
                        acked.append(body["ticket"])
                    elif st == 503:
                        assert body["error"]["code"] == "store_unavailable", body
                        unavailable[0] += 1
                    else:
                        raise AssertionError("unexpected %d %r" % (st, body))
                if st == 503:
                    time.sleep(0.02)

        threads = [threading.Thread(target=desk, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acked) >= 100 or errors, timeout=10, what="100 tickets")
        assert not errors, errors[:5]
        r2.kill(signal.SIGKILL)
        before_kill = len(acked)
        time.sleep(0.5)
        r2.start()
        wait_until(lambda: len(acked) >= before_kill + 100 or errors, timeout=15,
                   what="issuing to resume")
        stop.set()
        for t in threads:
            t.join(30)
        assert not errors, errors[:5]
        assert not any(t.is_alive() for t in threads), "a desk thread is still running"
        assert unavailable[0] > 0, "no request saw Redis down"
        codes = [t["code"] for t in acked]
        assert len(codes) == len(set(codes)), "a code was issued twice"
        for t in acked:
            st, _, body = d2.get("/v1/events/demo/tickets/" + t["id"], role="station")
            assert st == 200 and body["ticket"]["code"] == t["code"], (t, body)
    finally:
        stop.set()
        d2.stop()
        r2.stop()
