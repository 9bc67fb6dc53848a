"""Displays get changes, not snapshots: a display stream carries the whole
board when it starts (and after a replay), then `delta` events with what
changed, and the whole board again only every sse-board-every seconds
while things change (here 4, so that a test sees it come).

The test keeps the board as a client would (board: replace; delta: apply;
call: add in front) and holds it against the next whole board and GET
/board after calls, recalls, skips, completes, transfers and timed waits.
The SSE client is test_stream.py's."""

import copy
import time

from board_model import kept, without_at
from harness import DEMO_EVENT, Antred, Redis, wait_until
from test_stream import subscribe

EVERY_S = 4
redis = None
d = None


def event(eid):
    ev = copy.deepcopy(DEMO_EVENT)
    ev["id"] = eid
    return ev


EVENTS = [event(e) for e in ("dl1", "dl2", "dl3", "dl4", "dl5")]


def setup_module():
    global redis, d
    redis = Redis(durable=False)
    d = Antred(redis.url, events=EVENTS,
               extra=["sse-heartbeat 1", "sse-board-every %d" % EVERY_S])
    d.wait_redis_up()


def teardown_module():
    try:
        d.stop()
    finally:
        redis.stop()


def board_of(ev):
    st, _, b = d.get("/v1/events/%s/board" % ev)
    assert st == 200, (st, b)
    return b


def issue(ev, service="dose1"):
    st, _, b = d.post("/v1/events/%s/tickets" % ev, {"service": service}, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def op(ev, station, name, body=None, want=200):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, station, name), body,
                      role="station")
    assert st == want, (name, st, b)
    return b


# ---- the tests -------------------------------------------------------------------

def test_one_board_then_deltas_until_the_safety_period():
    ev = "dl1"
    s = subscribe(d, ev).wait_started()
    try:
        s.wait(lambda s: s.of("board"), 3, "the board on connect")
        first = s.of("board")[0]
        t = issue(ev)
        issue(ev)
        op(ev, "registration-1", "call")
        s.wait(lambda s: s.of("call") and s.of("delta"), 5, "a call and a delta")
        # the delta says what changed: registration's queue, the desk, the call
        s.wait(lambda s: without_at(kept(s.snapshot())) == without_at(board_of(ev)), 5,
               "the kept board to match GET /board")
        deltas = s.of("delta")
        assert all(x.id is None for x in deltas), deltas
        stages = [st for x in deltas for st in x.json.get("stages", [])]
        assert stages and all(st["id"] == "registration" for st in stages), deltas
        stations = [st for x in deltas for st in x.json.get("stations", [])]
        assert stations[-1]["id"] == "registration-1", deltas
        assert stations[-1]["ticket"]["id"] == t["id"], deltas
        calls = [c for x in deltas for c in x.json.get("calls", [])]
        assert [c["ticket"] for c in calls] == [t["id"]], deltas
        # small: no stage, station or call that did not change
        for x in deltas:
            assert len(x.data) < 1000, x
            assert set(x.json) <= {"at", "stages", "stations", "calls", "holds",
                                   "holds_gone", "issued_today", "doses_today",
                                   "target"}, x
        # no whole board before sse-board-every since the first; one after
        s.wait(lambda s: len(s.of("board")) >= 2, EVERY_S + 6, "the safety board")
        second = s.of("board")[1]
        assert second.t - first.t >= EVERY_S - 0.3, (second.t - first.t)
        assert without_at(second.json) == without_at(board_of(ev))
        # quiet: no more boards nor deltas
        n = len(s.events)
        time.sleep(EVERY_S + 1)
        assert [e.type for e in s.events[n:]] == [], s.events[n:]
    finally:
        s.close()


def test_deltas_add_up_to_the_next_whole_board():
    ev = "dl2"
    s = subscribe(d, ev).wait_started()
    try:
        s.wait(lambda s: s.of("board"), 3, "the board on connect")
        for _ in range(12):
            issue(ev)
        issue(ev, "dose2")
        op(ev, "registration-1", "call")
        op(ev, "registration-2", "call")
        op(ev, "registration-1", "recall")
        op(ev, "registration-1", "start")
        op(ev, "registration-1", "complete", {"outcome": "done"})
        op(ev, "registration-2", "skip")
        for st in ("registration-1", "registration-2"):
            op(ev, st, "call")
            op(ev, st, "start")
            op(ev, st, "complete", {"outcome": "done"})
        op(ev, "screening-1", "call")
        op(ev, "screening-1", "transfer", {"stage": "vaccination"})
        op(ev, "screening-2", "call")
        op(ev, "screening-2", "start")
        op(ev, "screening-2", "complete", {"outcome": "done"})
        for st in ("vaccination-1", "vaccination-2"):
            op(ev, st, "call")
            op(ev, st, "start")
            op(ev, st, "complete", {"outcome": "done"})   # into observation
        op(ev, "vaccination-3", "pause")
        for _ in range(8):                                # more than ten calls
            op(ev, "registration-1", "call")
            op(ev, "registration-1", "skip")
        # a desk left holding a ticket: a station change that only a delta
        # says (the pause above came as a station event, which the displays
        # hold already: no delta repeats it)
        op(ev, "registration-2", "call")
        want = board_of(ev)
        assert len(want["holds"]) == 2 and want["doses_today"] == 2, want
        assert len(want["calls"]) == 10, want
        s.wait(lambda s: without_at(kept(s.snapshot())) == without_at(board_of(ev)), 5,
               "the kept board to match GET /board from deltas")
        assert len(s.of("board")) == 1, [e.t for e in s.of("board")]
        kinds = {k for x in s.of("delta") for k in x.json}
        assert {"stages", "stations", "calls", "holds", "issued_today",
                "doses_today"} <= kinds, kinds
        # the next whole board is what the deltas made
        before = kept(s.snapshot())
        s.wait(lambda s: len(s.of("board")) >= 2, EVERY_S + 6, "the safety board")
        assert without_at(s.of("board")[1].json) == without_at(before)
        # an observation ends early: the hold leaves (holds_gone)
        op(ev, "observation-1", "call", {"ticket": want["holds"][0]["ticket"]})
        op(ev, "observation-1", "start")
        op(ev, "observation-1", "complete", {"outcome": "done"})
        s.wait(lambda s: any("holds_gone" in x.json for x in s.of("delta")), 5,
               "a delta with holds_gone")
        s.wait(lambda s: without_at(kept(s.snapshot())) == without_at(board_of(ev)), 5,
               "the kept board after the hold left")
    finally:
        s.close()


def test_replay_gets_a_whole_board_first():
    ev = "dl3"
    s = subscribe(d, ev).wait_started()
    try:
        s.wait(lambda s: s.of("board"), 3, "the board on connect")
        issue(ev)
        s.wait(lambda s: s.of("ticket"), 3, "the ticket event")
        last = s.of("ticket")[-1].id
    finally:
        s.close()
    issue(ev)
    op(ev, "registration-1", "call")
    r = subscribe(d, ev, last_id=last).wait_started()
    try:
        r.wait(lambda s: s.of("board"), 5, "a board after the replay")
        kinds = [e.type for e in r.events]
        assert "delta" not in kinds[:kinds.index("board")], kinds
        assert kinds[:kinds.index("board")] == ["start", "ticket", "call", "ticket"] or \
            kinds[:kinds.index("board")] == ["ticket", "call", "ticket"], kinds
        op(ev, "registration-1", "start")
        op(ev, "registration-1", "complete", {"outcome": "done"})
        r.wait(lambda s: s.of("delta"), 5, "a delta after the replay")
        r.wait(lambda s: without_at(kept(s.snapshot())) == without_at(board_of(ev)), 5,
               "the replayed client's board to match GET /board")
        assert len(r.of("board")) == 1
    finally:
        r.close()


def test_an_old_client_keeps_up_with_boards_alone():
    """A client that knows only `board` events gets one on connect and then
    at most sse-board-every later after a change."""
    ev = "dl4"
    s = subscribe(d, ev).wait_started()
    try:
        s.wait(lambda s: s.of("board"), 3, "the board on connect")
        issue(ev)
        issue(ev)
        op(ev, "registration-2", "call")
        want = without_at(board_of(ev))
        wait_until(lambda: any(without_at(b.json) == want for b in s.of("board")),
                   EVERY_S + 6, what="a whole board with the call")
    finally:
        s.close()


def station_state(board, station):
    return [x for x in board["stations"] if x["id"] == station][0]["state"]


def test_a_display_that_comes_just_after_a_pause_has_it():
    """A pause fanned out between two board reads (one a second at most):
    a display that goes live then, new or replaying from before the pause,
    gets the board the live ones hold, with the pause.  It got the board of
    the last read, and no delta set it right (the next read agrees with the
    board the live displays hold)."""
    ev = "dl5"
    a = subscribe(d, ev).wait_started()
    late = []
    try:
        a.wait(lambda s: s.of("board"), 3, "the board on connect")
        issue(ev)
        a.wait(lambda s: s.of("delta"), 3, "the issue's delta (a board read)")
        last = a.live()[-1].id
        op(ev, "registration-2", "pause")
        a.wait(lambda s: s.of("station"), 3, "the pause")
        late = [subscribe(d, ev).wait_started(), subscribe(d, ev, last_id=last).wait_started()]
        for b in late:
            b.wait(lambda s: s.of("board"), 3, "a board")
            assert station_state(kept(b.snapshot()), "registration-2") == "paused", \
                [(e.type, e.data) for e in b.snapshot()]
        assert station_state(board_of(ev), "registration-2") == "paused"
    finally:
        for b in late + [a]:
            b.close()
