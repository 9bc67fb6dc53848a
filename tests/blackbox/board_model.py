"""A display's board as a client keeps it from the event stream (PROTOCOL.md):
`board` replaces it, `delta` is applied, `call` goes in front, `station`
replaces that station.  Shared by
test_stream.py and test_stream_delta.py."""

import copy
import datetime


def ms(s):
    return round(datetime.datetime.fromisoformat(s).timestamp() * 1000)


def same_call(a, b):
    return (a["ticket"], a["station"], ms(a["at"]), a["recall"]) == \
        (b["ticket"], b["station"], ms(b["at"]), b["recall"])


def add_call(board, c):
    """A call into the kept board: in front of any older one, unless there."""
    calls = board["calls"]
    if any(same_call(x, c) for x in calls):
        return
    i = 0
    while i < len(calls) and ms(calls[i]["at"]) > ms(c["at"]):
        i += 1
    calls.insert(i, c)
    del calls[10:]


def apply_delta(board, dl):
    """PROTOCOL.md's rules for a `delta` event."""
    board["at"] = dl["at"]
    for key in ("stages", "stations"):
        for new in dl.get(key, []):
            board[key] = [new if x["id"] == new["id"] else x for x in board[key]]
    for c in reversed(dl.get("calls", [])):
        add_call(board, c)
    gone = set(dl.get("holds_gone", []))
    holds = [h for h in board["holds"] if h["ticket"] not in gone]
    for h in dl.get("holds", []):
        holds = [x for x in holds if x["ticket"] != h["ticket"]] + [h]
    holds.sort(key=lambda h: (ms(h["until"]), h["ticket"]))
    board["holds"] = holds[:50]
    for k in ("issued_today", "doses_today", "target"):
        if k in dl:
            board[k] = dl[k]


def kept(events):
    """The board a client holds after these events (None before a board)."""
    b = None
    for e in events:
        if e.type == "board":
            b = copy.deepcopy(e.json)
        elif b is not None and e.type == "delta":
            apply_delta(b, e.json)
        elif b is not None and e.type == "call":
            add_call(b, e.json)
        elif b is not None and e.type == "station":
            st = {k: v for k, v in e.json.items() if k != "at"}
            b["stations"] = [st if x["id"] == st["id"] else x for x in b["stations"]]
    return b


def without_at(b):
    return {k: v for k, v in b.items() if k != "at"} if b else b
