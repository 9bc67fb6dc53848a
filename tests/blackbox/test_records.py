"""The records the Lua scripts write (_lib.lua's encoders: the ticket view,
the stream's ticket/call/station entries, the ticket reply, the board,
the stats, report rows, the sweep's result, refusals) are JSON whatever the
values: every value goes through cjson.encode.  A hostile area (quotes,
backslashes, control characters, NUL, unicode) round-trips through every
record it appears in; hostile ids (which the daemon would never let in,
but the scripts must not depend on that) still make valid JSON everywhere;
times in ms stay exact integers, and lists stay JSON arrays when empty.

Runs the scripts as the daemon sends them, with test_scripts.py's client
and events (its own throwaway redis-server)."""

import json

import test_scripts as ts

HOSTILE = 'Kp. "Baru" \\ RT\x01/RW\x1f\t\n05\x00 \u2014 caf\u00e9 \u2615 \U0001d11e </script>\x7f'
# times in ms are 13 digits: cjson's 14 significant digits keep them exact
TIME_FIELDS = ("issued_at", "at", "queued_at", "called_at", "started_at", "completed_at",
               "last_call", "now")


def setup_module():
    ts.setup_module()


def teardown_module():
    ts.teardown_module()


def ints_everywhere(v, where):
    """Every time field in v (nested) is an int, never a float such as
    1.7e+12; hold_until is an int too."""
    if isinstance(v, dict):
        for k, x in v.items():
            if k in TIME_FIELDS or k == "hold_until":
                assert isinstance(x, int) and not isinstance(x, bool), (where, k, x)
            ints_everywhere(x, where)
    elif isinstance(v, list):
        for x in v:
            ints_everywhere(x, where)


def test_hostile_area_round_trips():
    ev = ts.Event()
    issued = ev.issue(area=HOSTILE, person="pk:dose1")["ticket"]
    assert issued["area"] == HOSTILE
    ints_everywhere(issued, "issue")
    assert issued["issued_at"] == ts.PINNED_MS
    assert ev.ticket(issued["code"])["area"] == HOSTILE
    found = ev.run("lookup", "pk", "dose1")["tickets"]
    assert [t["area"] for t in found] == [HOSTILE], found
    # through every stage to the dose: each reply carries it
    for si in (1, 2, 3):
        called = ev.call(si)["ticket"]
        assert called["area"] == HOSTILE and called["state"] == "called", called
        assert ev.op("start", si)["ticket"]["area"] == HOSTILE
        done = ev.op("complete", si, 1, "done")["ticket"]
        assert done["area"] == HOSTILE, done
        ints_everywhere(done, "complete")
    # the dose is counted by area: a key of the stats' fields
    stats = ev.run("stats", "", "dose1")
    assert stats["fields"]["da|" + HOSTILE] == 1, stats["fields"]
    ints_everywhere(stats, "stats")
    rows = ev.run("report", "", "0")["tickets"]
    assert [r["area"] for r in rows] == [HOSTILE], rows
    assert rows[0]["visits"] == done["visits"] and len(rows[0]["visits"]) == 4, rows
    ints_everywhere(rows, "report")
    # a cancelled one answers it too
    other = ev.issue(area=HOSTILE)["ticket"]
    assert ev.cancel(other["code"])["ticket"]["area"] == HOSTILE
    # a refusal quotes what it was given: the message is still JSON
    ev.issue()
    assert ev.call(1)["ticket"]["state"] == "called"
    refused = ev.op("transfer", 1, 1, HOSTILE)
    assert refused["err"] == "unknown_stage" and HOSTILE in refused["msg"], refused
    # nothing personal in the stream, and every entry is JSON
    for _, kind, data in ev.stream():
        assert "area" not in data and HOSTILE not in json.dumps(data), (kind, data)
        ints_everywhere(data, kind)


def test_hostile_ids_stay_json():
    """Ids are [A-Za-z0-9_-] only because the daemon checks them; the
    records must not rely on it: stages, services, priorities and codes
    with quotes, backslashes and control characters come out as they went
    in, in every record."""
    stages = (('re"g\\', 0, 1), ("scr\x01\n", 0, 1), ('vac"\u2615', 0, 1),
              ("obs</x>", 60000, 1))
    ev = ts.Event(stages=stages)
    service, prefix, prio = 'd"1\\', 'A"', 'pr\\"io\n'
    t = ev.run("issue", service, prefix, prio, ts.REGULAR, "", "", "", "0")["ticket"]
    assert (t["service"], t["priority"], t["stage"]) == (service, prio, stages[0][0]), t
    assert t["code"] == prefix + "-001"
    called = ev.call(1)["ticket"]
    assert called["station"] == ev.station(1) == stages[0][0] + "-1", called
    assert ev.op("recall", 1)["ticket"]["recalls"] == 1
    paused = ev.op("pause", 2)["station"]
    assert (paused["id"], paused["stage"], paused["state"]) == (ev.station(2), stages[1][0],
                                                                "paused"), paused
    assert ev.op("transfer", 1, 1, stages[2][0])["ticket"]["stage"] == stages[2][0]
    assert ev.call(3)["ticket"]["id"] == t["id"]
    ev.op("start", 3)
    assert ev.op("complete", 3, 1, "done")["ticket"]["stage"] == stages[3][0]
    board = ev.run("board")
    assert [s["id"] for s in board["stages"]] == [s[0] for s in stages], board
    assert [s["id"] for s in board["stations"]] == [ev.station(i) for i in (1, 2, 3, 4)]
    assert [c["ticket"] for c in board["calls"]] == [t["id"]] * 3, board["calls"]
    assert [h["stage"] for h in board["holds"]] == [stages[3][0]], board["holds"]
    ints_everywhere(board, "board")
    views = ev.run("views", t["id"], "nobody")
    assert [(v["id"], v["code"], v["service"], v["stage"]) for v in views] == [
        (t["id"], t["code"], service, stages[3][0])], views
    stats = ev.run("stats", "", service)
    assert stats["issued"] == {service: 1} and set(stats["waiting"]) == {s[0] for s in stages}
    assert {s["id"] for s in stats["stations"]} == {ev.station(i) for i in (1, 2, 3, 4)}
    assert [r["priority"] for r in ev.run("report", "", "0")["tickets"]] == [prio]
    kinds = [kind for _, kind, _ in ev.stream()]
    assert set(kinds) == {"ticket", "call", "station"}, kinds
    for _, kind, data in ev.stream():
        ints_everywhere(data, kind)
    # the observation's hold ends: the sweep's result is JSON too
    ev.set_clock(ts.PINNED_MS + 60001)
    assert ev.sweep() == {"moved": 1}
    assert ev.ticket(t["id"])["state"] == "done"


def test_empty_lists_stay_arrays():
    """Redis's cjson writes an empty table as {}: every list a record has
    is [] when empty."""
    ev = ts.Event()
    board = ev.run("board")
    assert board["calls"] == [] and board["holds"] == [], board
    assert ev.run("lookup", "nobody", "dose1") == {"tickets": []}
    assert ev.run("views", "nobody") == []
    report = ev.run("report", "", "0")
    assert report["tickets"] == [] and report["cursor"] == "0", report
    stats = ev.run("stats", "")
    assert stats["fields"] == {} and stats["issued"] == {}, stats
    assert isinstance(stats["stations"], list) and len(stats["stations"]) == 8, stats
    assert ev.call(1) == {"ticket": None}
    assert ev.run("ticket", "A-001", "soft") == {"ticket": None}
    assert ev.sweep() == {"moved": 0}
