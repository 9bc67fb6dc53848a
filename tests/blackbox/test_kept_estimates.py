"""An issue's estimates kept between issues (keep_estimates in
daemon/scripts/_lib.lua), run on the scripts alone (test_scripts.py's
Redis, library and events).

Kept estimates are only a shortcut: an issue's reply must say what a fresh
read of the same ticket at the same moment says, whatever other calls
changed in between (calls, completions, pauses, cancels, the clock)."""

import random

import test_scripts as ts


def setup_module():
    ts.setup_module()


def teardown_module():
    ts.teardown_module()


ESTIMATES = ("position", "eta_s", "eta_range_s", "leave_eta_s")


def same_as_fresh(ev, reply):
    """The issue's reply against ticket.lua's view (no kept estimates)."""
    issued = reply["ticket"]
    fresh = ev.ticket(issued["id"])
    for k in ESTIMATES:
        assert issued[k] == fresh[k], (k, issued, fresh)
    return issued


def test_a_pause_at_a_later_stage_reaches_the_next_issue():
    ev = ts.Event()                     # the clock pinned: no time passes
    first = same_as_fresh(ev, ev.issue())
    assert first["leave_eta_s"] > 0, first
    ev.op("pause", 2, 1)
    ev.op("pause", 2, 2)
    # no desk open at screening: nobody can say when one may leave
    assert same_as_fresh(ev, ev.issue())["leave_eta_s"] == -1
    ev.op("resume", 2, 2)
    again = same_as_fresh(ev, ev.issue())
    assert again["leave_eta_s"] > 0, again


def serve(ev, si, n):
    """Calls, starts and completes the next one at station n of stage si,
    if any is waiting and the station is open."""
    called = ev.call(si, n).get("ticket")   # a paused station refuses
    if called is None:
        return
    ev.op("start", si, n)
    ev.op("complete", si, n, "done")


def test_issues_between_random_changes_match_a_fresh_read():
    rng = random.Random(15)
    ev = ts.Event()
    clock = ev.clock
    for step in range(160):
        r = rng.random()
        if r < 0.45:
            same_as_fresh(ev, ev.issue(level=rng.choice((0, 2, 2, 2))))
        elif r < 0.75:
            si = rng.randint(1, 3)
            serve(ev, si, rng.randint(1, (2, 2, 3)[si - 1]))
        elif r < 0.85:
            si = rng.randint(1, 3)
            ev.op(rng.choice(("pause", "resume")), si, rng.randint(1, (2, 2, 3)[si - 1]))
        elif r < 0.9:
            waiting = [t for t in ts.conn("ZRANGE", ev.key("q:screening"), 0, -1)]
            if waiting:
                ev.cancel(rng.choice(waiting).decode())
        else:
            # time goes on: past the kept estimates' second, or not at all
            clock += rng.choice((0, 1500, 60000))
            ev.set_clock(clock)
    assert ts.conn("EXISTS", ev.key("estgen")) == 1


def test_a_desk_let_go_without_a_publish_reaches_the_next_issue():
    """A station whose ticket expired while it held it is let go by its next
    operation, which is refused and publishes nothing: the next issue's
    wait counts that desk free."""
    ev = ts.Event()
    first = same_as_fresh(ev, ev.issue())
    ev.call(1, 1)                       # registration-1 holds it
    same_as_fresh(ev, ev.issue())       # kept: registration-1 busy
    ts.conn("DEL", ev.key("t:" + first["id"]))      # gone (retention-days)
    assert ev.op("start", 1, 1)["err"] == "no_ticket"
    same_as_fresh(ev, ev.issue())


def test_two_databases_with_one_event_keep_apart():
    """The library's state is shared by every database of a Redis: a
    rehearsal in database 1 of the event the day runs in database 0 must
    not lend its kept estimates, nor borrow them (neither has had a change
    for a day: no estgen in either)."""
    live = ts.Event()
    rehearsal = ts.Event()
    rehearsal.id, rehearsal.P = live.id, live.P
    try:
        ts.conn("SELECT", 1)
        rehearsal.set_clock(live.clock)
        rehearsal.op("pause", 2, 1)
        rehearsal.op("pause", 2, 2)     # no desk open at screening
        ts.conn("DEL", rehearsal.key("estgen"))
        ts.conn("SELECT", 0)
        assert same_as_fresh(live, live.issue())["leave_eta_s"] > 0
        ts.conn("DEL", live.key("estgen"))
        ts.conn("SELECT", 1)
        assert same_as_fresh(rehearsal, rehearsal.issue())["leave_eta_s"] == -1
        ts.conn("SELECT", 0)
        assert same_as_fresh(live, live.issue())["leave_eta_s"] > 0
    finally:
        ts.conn("SELECT", 0)
