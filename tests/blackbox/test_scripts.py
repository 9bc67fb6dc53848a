"""The queue's Lua scripts (daemon/scripts/*.lua) on their own, without
antred: one throwaway redis-server, a tiny RESP client, and each script run
as the daemon runs it (FCALL of its function in the library that
tools/embed-scripts.sh makes, loaded with FUNCTION LOAD; a no-writes script
that must write again as its write variant).
Every test works under a fresh key prefix "antre:{EVENT}:".

Covered: the priority policy (strict and interleaved) against a Python model
written from the rule, with the positions ticket.lua reports; the ticket
state machine, every state against every operation, refusals leaving every
key byte-for-byte unchanged; numbering and duplicate people; the timed wait
at observation and sweep.lua; the stream entries; day_of's calendar."""

import datetime
import hashlib
import json
import os
import random
import re
import socket
import subprocess

from harness import PINNED_MS, TOP, Redis

SCRIPTS_DIR = os.path.join(TOP, "daemon", "scripts")
SCRIPT_NAMES = ("board", "call", "cancel", "coverage_apply", "coverage_trim", "issue", "lookup",
                "report", "station", "stats", "sweep", "ticket", "views")
OFF = 25200  # UTC+7, Asia/Jakarta
PRIORITIES = ("elderly", "disabled", "regular")
REGULAR = 2
STAGES = (("registration", 0, 2), ("screening", 0, 2), ("vaccination", 0, 3),
          ("observation", 1800000, 1))

redis = None
conn = None
scripts = None


# ---------------------------------------------------------------------------
# A tiny RESP2 client

class RespError(Exception):
    pass


class Resp:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rf = self.sock.makefile("rb")

    def close(self):
        self.rf.close()
        self.sock.close()

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, bytes):
                b = a
            elif isinstance(a, str):
                b = a.encode()
            else:
                b = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def read(self):
        """One reply; an error reply is returned (not raised) as RespError."""
        line = self.rf.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rf.read(n + 2)
            if len(data) != n + 2 or data[-2:] != b"\r\n":
                raise ConnectionError("short bulk string")
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self.read() for _ in range(n)]
        raise ValueError("unexpected RESP reply %r" % line)

    def pipeline(self, cmds):
        """Sends every command, then reads every reply, in order."""
        if not cmds:
            return []
        self.sock.sendall(b"".join(self.encode(c) for c in cmds))
        return [self.read() for _ in cmds]

    def __call__(self, *args):
        r = self.pipeline([args])[0]
        if isinstance(r, RespError):
            raise r
        return r


def test_resp_client_roundtrip():
    """The client itself: every reply type it decodes."""
    assert conn("PING") == "PONG"
    assert conn("SET", "antre:{resp}:k", "a\r\nb") == "OK"
    assert conn("GET", "antre:{resp}:k") == b"a\r\nb"
    assert conn("GET", "antre:{resp}:nope") is None
    assert conn("INCR", "antre:{resp}:n") == 1
    assert conn("RPUSH", "antre:{resp}:l", "x", "", "z") == 3
    assert conn("LRANGE", "antre:{resp}:l", 0, -1) == [b"x", b"", b"z"]
    r = conn.pipeline([("INCR", "antre:{resp}:k"), ("PING",)])
    assert isinstance(r[0], RespError) and "not an integer" in str(r[0]) and r[1] == "PONG"
    conn("DEL", "antre:{resp}:k", "antre:{resp}:n", "antre:{resp}:l")


# ---------------------------------------------------------------------------
# Scripts, as the daemon sends them

class Scripts:
    def __init__(self, c):
        self.conn = c
        # _lib.lua alone, as a chunk for EVAL: its helpers, then one call's
        # state (begin; _lib.lua's own locals KEYS and ARGV hide EVAL's),
        # before a test's own lines
        with open(os.path.join(SCRIPTS_DIR, "_lib.lua")) as f:
            self.lib = ("local EVAL_KEYS, EVAL_ARGV = KEYS, ARGV\n" + f.read() +
                        "\nbegin(EVAL_KEYS, EVAL_ARGV, false)\n")
        files = sorted(os.path.join(SCRIPTS_DIR, n) for n in os.listdir(SCRIPTS_DIR)
                       if n.endswith(".lua"))
        self.library = subprocess.run(
            ["sh", os.path.join(TOP, "tools", "embed-scripts.sh"), "--lua"] + files,
            capture_output=True, text=True, check=True, timeout=60).stdout
        self.name = re.match(r"#!lua name=(antre_[0-9a-f]+)\n", self.library).group(1)
        self.ro = set()
        for name in SCRIPT_NAMES:
            with open(os.path.join(SCRIPTS_DIR, name + ".lua")) as f:
                if re.search(r"^--! no-writes", f.read(), re.M):
                    self.ro.add(name)

    def fcall(self, name, keys, args, write=False):
        """A no-writes script (--! no-writes) as its no-writes function, as
        antred sends it first; a write, or that script again, as the other."""
        ro = name in self.ro and not write
        fn = "%s_%s%s" % (self.name, name, "_ro" if ro else "")
        return ["FCALL", fn, len(keys)] + list(keys) + list(args)

    def run_many(self, calls):
        """calls: (name, keys, args); the decoded JSON replies, in order.  A
        no-writes script that answers ANTRE_WRITE goes again as its write
        variant, like the daemon: after the calls sent behind it."""
        replies = self.conn.pipeline([self.fcall(*c) for c in calls])
        out = []
        for c, r in zip(calls, replies):
            if isinstance(r, RespError) and str(r).startswith("ANTRE_WRITE ") and \
                    c[0] in self.ro:
                r = self.conn.pipeline([self.fcall(*c, write=True)])[0]
            if isinstance(r, RespError):
                raise AssertionError("script %s failed: %s" % (c[0], r))
            out.append(decoded(r))
        return out


FLAT = ("id", "code", "service", "priority", "area", "state", "stage", "station", "issued_at",
        "hold_until", "recalls", "position", "eta_s", "eta_low", "eta_high", "leave_eta_s",
        "visits", "next_dose")


def decoded(r):
    """A script's reply as the JSON it stands for: its text decoded, or an
    issue's flat ticket (_lib.lua's flat_reply) as {"ticket": the view}."""
    if isinstance(r, bytes):
        return json.loads(r)
    assert isinstance(r, list) and r[0] == b"ticket" and len(r) == 1 + len(FLAT), r
    t = {k: v.decode() if isinstance(v, bytes) else v for k, v in zip(FLAT, r[1:])}
    t["visits"] = json.loads(t["visits"])
    low, high = t.pop("eta_low"), t.pop("eta_high")
    t["eta_range_s"] = [low, high] if low >= 0 else None
    return {"ticket": t}


def setup_module():
    global redis, conn, scripts
    redis = Redis()
    conn = Resp(redis.port)
    scripts = Scripts(conn)
    # Durability is antred's tests' business; here an fsync per write would
    # only make the thousands of script runs slow.
    conn("CONFIG", "SET", "appendfsync", "no")
    assert conn("FUNCTION", "LOAD", scripts.library) == scripts.name.encode()
    ev = Event()
    for name in SCRIPT_NAMES:
        args = {"ticket": ["X-1"], "cancel": ["X-1"], "sweep": [], "board": [],
                "lookup": ["pk", "dose1"], "report": ["", "0"], "stats": ["", "dose1"],
                "views": ["X-1"],
                "issue": ["dose1", "A", "regular", "2", "", "", "", "0"],
                "coverage_apply": [], "coverage_trim": [],
                "call": [ev.station(1, 1), "1", "1", ""],
                "station": ["pause", ev.station(2, 1), "2", "1", ""]}[name]
        scripts.run_many([(name, [ev.P], [ev.ctx] + args)])


def teardown_module():
    if conn:
        conn.close()
    if redis:
        redis.stop()


# ---------------------------------------------------------------------------
# One event under a fresh prefix

# The wait histogram's bounds in minutes, as antred puts them in the
# context (proto_wait_bucket_max_min, protocol/proto_stats.c).
WAIT_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180]


def make_ctx(every=0, hold=None, off=OFF, stages=STAGES, clock=None):
    st = []
    for sid, h, n in stages:
        if hold is not None and sid == "observation":
            h = hold
        st.append({"id": sid, "hold": h, "n": n})
    ctx = {"off": off, "stages": st, "wait": WAIT_BUCKETS, "regular": REGULAR,
           "every": every, "dose": 2, "maxlen": 10000, "retention": 30 * 86400}
    if clock is not None:
        ctx["test_clock"] = 1          # NOW from the key test:clock, as antred-test
    return json.dumps(ctx, separators=(",", ":"))


def glob_escape(s):
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in s)


class Event:
    count = 0

    def __init__(self, every=0, hold=None, off=OFF, stages=STAGES, clock=PINNED_MS):
        """clock: the event's time in ms, pinned (its numbers, codes and
        persons are one day's whenever the test runs); None: Redis's clock."""
        Event.count += 1
        self.id = "ev%d" % Event.count
        self.P = "antre:{%s}:" % self.id
        self.stages = [s[0] for s in stages]
        self.ctx = make_ctx(every, hold, off, stages, clock)
        self.clock = clock
        if clock is not None:
            self.set_clock(clock)

    def set_clock(self, ms):
        self.clock = ms
        assert conn("SET", self.P + "test:clock", str(ms)) == "OK"

    def cmd(self, name, *args):
        return (name, [self.P], [self.ctx] + [str(a) for a in args])

    def run(self, name, *args):
        return scripts.run_many([self.cmd(name, *args)])[0]

    def station(self, si, n=1):
        return "%s-%d" % (self.stages[si - 1], n)

    def issue(self, level=REGULAR, service="dose1", prefix="A", area="", person="", ckey="",
              elderly=0):
        return self.run("issue", service, prefix, PRIORITIES[level], level, area, person, ckey,
                        elderly)

    def call(self, si, n=1, ref=""):
        return self.run("call", self.station(si, n), si, n, ref)

    def op(self, op, si, n=1, arg=""):
        return self.run("station", op, self.station(si, n), si, n, arg)

    def cancel(self, ref):
        return self.run("cancel", ref)

    def ticket(self, ref):
        return self.run("ticket", ref)["ticket"]

    def sweep(self):
        return self.run("sweep")

    def key(self, rest):
        return self.P + rest

    def keys(self, pattern="*"):
        found, cursor = set(), b"0"
        while True:
            cursor, batch = conn("SCAN", cursor, "MATCH", glob_escape(self.P) + pattern,
                                 "COUNT", 1000)
            found.update(k.decode() for k in batch)
            if cursor == b"0":
                return sorted(found)

    def snapshot(self):
        """Every key under the prefix: its DUMP and whether it has a TTL, and
        the stream's length and last id."""
        keys = self.keys()
        replies = conn.pipeline([("DUMP", k) for k in keys] + [("PTTL", k) for k in keys])
        n = len(keys)
        snap = {k: (replies[i], replies[n + i] >= 0) for i, k in enumerate(keys)}
        stream = self.key("stream")
        if stream in snap:
            info = conn("XINFO", "STREAM", stream)
            info = dict(zip(info[0::2], info[1::2]))
            snap["#stream"] = (info[b"length"], info[b"last-generated-id"])
        return snap

    def stream(self, start="-"):
        """[(id, type, data)] from the stream."""
        out = []
        for eid, fields in conn("XRANGE", self.key("stream"), start, "+"):
            f = dict(zip(fields[0::2], fields[1::2]))
            assert set(f) == {b"type", b"data"}, f
            out.append((eid.decode(), f[b"type"].decode(), json.loads(f[b"data"])))
        return out

    def stream_len(self):
        return conn("XLEN", self.key("stream"))

    def check_invariants(self):
        """Every ticket waits in its stage's queue iff it is waiting; a station
        holds a ticket iff that ticket is called or serving at it."""
        tickets = {}
        for k in self.keys("t:*"):
            h = conn("HGETALL", k)
            # a new ticket's hash has no id (the key's) nor empty station
            t = {"id": k[len(self.P) + 2:], "station": ""}
            t.update({h[i].decode(): h[i + 1].decode() for i in range(0, len(h), 2)})
            tickets[t["id"]] = t
        queued = {}
        for s in self.stages:
            for m in conn("ZRANGE", self.key("q:" + s), 0, -1):
                assert m.decode() not in queued, "ticket %s in two queues" % m
                queued[m.decode()] = s
        for tid, t in tickets.items():
            if t["state"] == "waiting":
                assert queued.get(tid) == t["stage"], (tid, t, queued.get(tid))
            else:
                assert tid not in queued, (tid, t, queued[tid])
            if t["state"] in ("called", "serving"):
                assert t["station"], t
                held = conn("HGET", self.key("st:" + t["station"]), "ticket")
                assert held == tid.encode(), (t, held)
            else:
                assert t["station"] == "", t
        for k in self.keys("st:*"):
            held = conn("HGET", k, "ticket")
            if held:
                t = tickets[held.decode()]
                assert t["state"] in ("called", "serving"), t
                assert self.key("st:" + t["station"]) == k, (k, t)


def err_of(reply):
    assert set(reply) == {"err", "msg"}, reply
    assert isinstance(reply["msg"], str) and reply["msg"], reply
    return reply["err"]


def redis_ms():
    """Redis's clock (TIME), in ms: the one the scripts read in production."""
    sec, usec = conn("TIME")
    return int(sec) * 1000 + int(usec) // 1000


def local_day(ms, off=OFF):
    """YYYYMMDD of an instant in a fixed-offset zone, by Python's calendar."""
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms, seconds=off)
    return d.strftime("%Y%m%d")


# ---------------------------------------------------------------------------
# 1. The priority policy

class PolicyModel:
    """The call order, from the rule: strict (every 0) calls the highest
    waiting priority first, FIFO within a level.  Interleaved (every N):
    when priority (index < regular) and regular tickets both wait, a priority
    ticket is called once N regular ones were called since the last priority
    one, else a regular one; when only one kind waits, that kind.  Priority
    tickets go highest level first, FIFO within a level; regular ones FIFO."""

    def __init__(self, every):
        self.every = every
        self.count = 0      # regular calls since the last priority call
        self.seq = 0
        self.waiting = []   # (level, arrival, id)

    def add(self, level, tid):
        self.seq += 1
        self.waiting.append((level, self.seq, tid))

    def pick(self):
        if not self.waiting:
            return None
        if self.every == 0:
            choice = min(self.waiting)
        else:
            prio = [w for w in self.waiting if w[0] < REGULAR]
            regular = [w for w in self.waiting if w[0] >= REGULAR]
            if prio and regular:
                take_prio = self.count >= self.every
            else:
                take_prio = bool(prio)
            if take_prio:
                choice = min(prio)
                self.count = 0
            else:
                choice = min(regular, key=lambda w: w[1])
                self.count += 1
        self.waiting.remove(choice)
        return choice[2]

    def order(self):
        """The ids in the order they will be called with no new arrivals."""
        m = PolicyModel(self.every)
        m.count, m.waiting = self.count, list(self.waiting)
        out = []
        while m.waiting:
            out.append(m.pick())
        return out


def test_policy_model_examples():
    """The model itself, on hand-worked cases."""
    m = PolicyModel(0)
    for lvl, tid in ((2, "r1"), (1, "d1"), (2, "r2"), (0, "e1"), (1, "d2")):
        m.add(lvl, tid)
    assert m.order() == ["e1", "d1", "d2", "r1", "r2"]
    m = PolicyModel(2)
    for lvl, tid in ((2, "r1"), (1, "d1"), (2, "r2"), (0, "e1"), (2, "r3"), (1, "d2")):
        m.add(lvl, tid)
    assert m.order() == ["r1", "r2", "e1", "r3", "d1", "d2"]
    m = PolicyModel(1)
    for lvl, tid in ((2, "r1"), (2, "r2"), (2, "r3")):
        m.add(lvl, tid)
    assert [m.pick(), m.pick()] == ["r1", "r2"]
    m.add(1, "d1")  # two regular calls since the last priority one: d1 is due
    assert m.order() == ["d1", "r3"]


def run_policy_case(rng, every):
    ev = Event(every=every)
    model = PolicyModel(every)
    weights = [rng.random() for _ in range(3)]
    p_issue = rng.uniform(0.35, 0.75)
    station = ev.station(1, 1)
    for step in range(rng.randint(4, 30)):
        if rng.random() < p_issue:
            lvl = rng.choices(range(3), weights)[0]
            t = ev.issue(lvl)["ticket"]
            assert t["state"] == "waiting" and t["stage"] == "registration", t
            model.add(lvl, t["id"])
            what = "issue %s %d" % (t["id"], lvl)
        else:
            want = model.pick()
            got, freed = scripts.run_many([ev.cmd("call", station, 1, 1, ""),
                                           ev.cmd("station", "skip", station, 1, 1, "")])
            if want is None:
                assert got == {"ticket": None}, got
                assert err_of(freed) == "no_ticket"
            else:
                assert got["ticket"]["id"] == want, (
                    "every=%d step %d: called %s, the policy calls %s" %
                    (every, step, got["ticket"]["id"], want))
                assert freed["ticket"]["state"] == "skipped", freed
            what = "call %s" % want
        order = model.order()
        if order:
            views = scripts.run_many([ev.cmd("ticket", tid) for tid in order])
            got = {v["ticket"]["id"]: v["ticket"]["position"] for v in views}
            want = {tid: i for i, tid in enumerate(order)}
            assert got == want, ("every=%d after step %d (%s): positions %s, the policy "
                                 "gives %s" % (every, step, what, got, want))


def test_policy_property():
    """200 seeded random runs of issues (3 priority levels) and calls, for
    strict and interleaved every 1, 2, 3: the call order follows the rule
    and every waiting ticket's position is how many will be called before
    it."""
    for case in range(200):
        for every in (0, 1, 2, 3):
            run_policy_case(random.Random(case * 10 + every), every)


# ---------------------------------------------------------------------------
# 2. The state machine

STATES = ("waiting", "called", "serving", "skipped", "done", "deferred", "refused",
          "cancelled", "transferred")
OPS = ("call", "recall", "start", "complete:done", "complete:deferred", "complete:refused",
       "skip", "transfer", "cancel")


def reach(state):
    """A fresh event with a bystander waiting at registration and one ticket
    in `state`; returns (event, ticket id, its stage index, the number of the
    station holding it or None)."""
    ev = Event()
    ev.issue()  # the bystander, ahead of ours in the registration queue
    t = ev.issue()["ticket"]
    tid = t["id"]

    def step(reply, state, stage):
        assert "ticket" in reply, reply
        assert reply["ticket"]["state"] == state and reply["ticket"]["stage"] == stage, reply
        ev.check_invariants()

    if state in ("waiting", "cancelled"):
        if state == "cancelled":
            step(ev.cancel(tid), "cancelled", "registration")
        return ev, tid, 1, None
    step(ev.call(1, 1, tid), "called", "registration")
    step(ev.op("start", 1, 1), "serving", "registration")
    step(ev.op("complete", 1, 1, "done"), "waiting", "screening")
    step(ev.call(2, 1, t["code"]), "called", "screening")
    if state == "called":
        return ev, tid, 2, 1
    if state == "skipped":
        step(ev.op("skip", 2, 1), "skipped", "screening")
        return ev, tid, 2, None
    if state == "transferred":
        step(ev.op("transfer", 2, 1, "registration"), "waiting", "registration")
        return ev, tid, 1, None
    step(ev.op("start", 2, 1), "serving", "screening")
    if state == "serving":
        return ev, tid, 2, 1
    if state in ("deferred", "refused"):
        step(ev.op("complete", 2, 1, state), state, "screening")
        return ev, tid, 2, None
    assert state == "done", state
    step(ev.op("complete", 2, 1, "done"), "waiting", "vaccination")
    step(ev.call(3, 2, tid), "called", "vaccination")
    step(ev.op("start", 3, 2), "serving", "vaccination")
    day = tid.split("-")[0]
    assert conn("GET", ev.key("doses:" + day)) is None
    step(ev.op("complete", 3, 2, "done"), "waiting", "observation")
    assert conn("GET", ev.key("doses:" + day)) == b"1", "completing vaccination is a dose"
    assert conn("ZSCORE", ev.key("holds"), tid) is not None
    step(ev.call(4, 1, tid), "called", "observation")
    step(ev.op("start", 4, 1), "serving", "observation")
    step(ev.op("complete", 4, 1, "done"), "done", "observation")
    assert conn("ZSCORE", ev.key("holds"), tid) is None
    assert conn("GET", ev.key("doses:" + day)) == b"1"
    return ev, tid, 4, None


# (new state, new stage) of an allowed operation; None = refused, with the
# refusal a station op gets when no station holds the ticket (no_ticket) or
# otherwise invalid_transition.  "next" = the stage after the ticket's,
# "other" = the transfer target.
ALLOWED = {
    "waiting": {"call": ("called", "same"), "cancel": ("cancelled", "same")},
    "transferred": {"call": ("called", "same"), "cancel": ("cancelled", "same")},
    "skipped": {"call": ("called", "same"), "cancel": ("cancelled", "same")},
    "deferred": {"call": ("called", "same")},        # called back (issue 13)
    "called": {"recall": ("called", "same"), "start": ("serving", "same"),
               "skip": ("skipped", "same"), "transfer": ("waiting", "other")},
    "serving": {"complete:done": ("waiting", "next"), "complete:deferred": ("deferred", "same"),
                "complete:refused": ("refused", "same"), "transfer": ("waiting", "other")},
}


def test_state_machine_exhaustive():
    """Every reachable state against every operation: the allowed ones move
    the ticket as they should; the others are refused with the right code
    and leave every key of the event, stream included, byte-for-byte as it
    was."""
    checked = 0
    for state in STATES:
        for op in OPS:
            ev, tid, si, holder = reach(state)
            before = ev.ticket(tid)
            stage = ev.stages[si - 1]
            other_si = 2 if si == 1 else 1
            other = ev.stages[other_si - 1]
            station_n = holder or 1
            snap = ev.snapshot()
            slen = ev.stream_len()
            if op == "call":
                # a free station at the ticket's stage, by code
                reply = ev.call(si, 2 if holder == 1 else 1, before["code"])
            elif op == "cancel":
                reply = ev.cancel(tid)
            elif op == "transfer":
                reply = ev.op("transfer", si, station_n, other)
            elif op.startswith("complete:"):
                reply = ev.op("complete", si, station_n, op.split(":")[1])
            else:
                reply = ev.op(op, si, station_n)
            allowed = ALLOWED.get(state, {}).get(op)
            where = "%s + %s" % (state, op)
            if allowed is None:
                if op in ("call", "cancel") or holder is not None:
                    want = "invalid_transition"
                else:
                    want = "no_ticket"
                assert "err" in reply, "%s should be refused: %s" % (where, reply)
                assert err_of(reply) == want, "%s: %s, expected %s" % (where, reply, want)
                assert ev.snapshot() == snap, "%s: refused but the keys changed" % where
                assert ev.stream_len() == slen, where
            else:
                assert "ticket" in reply, "%s should be allowed: %s" % (where, reply)
                new_state, new_stage = allowed
                new_stage = {"same": stage, "other": other,
                             "next": ev.stages[si] if si < len(ev.stages) else stage}[new_stage]
                t = reply["ticket"]
                assert t["id"] == tid and t["state"] == new_state and t["stage"] == new_stage, (
                    where, t)
                assert t == ev.ticket(tid), (where, t)
                if new_state in ("called", "serving"):
                    assert t["station"], (where, t)
                    assert t["position"] == -1, (where, t)
                else:
                    assert t["station"] == "", (where, t)
                if new_state == "waiting":
                    assert t["position"] >= 0 and t["visits"][-1]["stage"] == new_stage, (where, t)
                    assert len(t["visits"]) == len(before["visits"]) + 1, (where, t)
                    assert t["visits"][-2]["outcome"] == (
                        "done" if op == "complete:done" else "transferred"), (where, t)
                else:
                    assert t["position"] == -1, (where, t)
                want_recalls = before["recalls"] + (1 if op == "recall" else 0)
                assert t["recalls"] == want_recalls, (where, t)
                if op == "complete:deferred" or op == "complete:refused":
                    assert t["visits"][-1]["outcome"] == new_state, (where, t)
                if op == "skip":
                    assert t["visits"][-1]["outcome"] == "skipped", (where, t)
                assert ev.stream_len() > slen, "%s changed nothing in the stream" % where
                if holder is not None and new_state not in ("called", "serving"):
                    # the station is free again
                    assert conn("HGET", ev.key("st:" + ev.station(si, holder)), "ticket") == b""
            ev.check_invariants()
            checked += 1

            # a station at another stage cannot call the ticket, in any state
            now_si = ev.stages.index(ev.ticket(tid)["stage"]) + 1
            wrong_si = 3 if now_si != 3 else 1
            assert conn("HGET", ev.key("st:" + ev.station(wrong_si, 3)), "ticket") in (None, b"")
            snap = ev.snapshot()
            reply = ev.call(wrong_si, 3, tid)
            assert err_of(reply) == "wrong_stage", (where, reply)
            assert ev.snapshot() == snap, "%s: wrong_stage changed the keys" % where
    assert checked == len(STATES) * len(OPS)


def test_station_rules():
    """A station holding a ticket cannot call (station_busy); a paused one
    cannot call (station_paused) until resumed; and the other refusals of
    the station ops.  Each refusal changes nothing."""
    ev = Event()
    a = ev.issue()["ticket"]
    b = ev.issue()["ticket"]
    c = ev.issue(0)["ticket"]
    assert ev.call(1, 1)["ticket"]["id"] == c["id"]   # elderly first
    ev.check_invariants()

    def refused(reply, code):
        snap_ok = ev.snapshot() == snap
        assert "err" in reply and err_of(reply) == code, (code, reply)
        assert snap_ok, "refusal %s changed the keys" % code

    snap = ev.snapshot()
    refused(ev.call(1, 1), "station_busy")
    refused(ev.call(1, 1, a["code"]), "station_busy")
    refused(ev.call(1, 1, c["code"]), "station_busy")
    refused(ev.op("complete", 1, 1, "done"), "invalid_transition")  # called, not serving
    refused(ev.op("transfer", 1, 1, "registration"), "invalid_transition")  # its own stage
    refused(ev.op("transfer", 1, 1, "nowhere"), "unknown_stage")
    refused(ev.op("teleport", 1, 1), "unknown_operation")
    refused(ev.call(1, 2, "A-999"), "ticket_not_found")
    refused(ev.call(1, 2, "20000101-A001"), "ticket_not_found")
    refused(ev.cancel("A-999"), "ticket_not_found")
    refused(ev.run("ticket", "Z-001"), "ticket_not_found")
    refused(ev.op("start", 1, 2), "no_ticket")
    assert ev.op("start", 1, 1)["ticket"]["state"] == "serving"
    snap = ev.snapshot()
    refused(ev.op("complete", 1, 1, "vanished"), "invalid_outcome")
    refused(ev.call(1, 1), "station_busy")

    # pause: a paused station cannot call, next or by code
    paused = ev.op("pause", 1, 2)
    assert paused["station"]["state"] == "paused" and paused["station"]["ticket_id"] == ""
    snap = ev.snapshot()
    refused(ev.call(1, 2), "station_paused")
    refused(ev.call(1, 2, b["code"]), "station_paused")
    assert ev.op("resume", 1, 2)["station"]["state"] == "open"
    assert ev.call(1, 2)["ticket"]["id"] == a["id"]
    # a paused station holding a ticket is busy first
    assert ev.op("pause", 1, 2)["station"]["ticket_id"] == a["id"]
    snap = ev.snapshot()
    refused(ev.call(1, 2), "station_busy")
    ev.check_invariants()

    # an empty queue: no ticket, and nothing written
    ev2 = Event()
    snap2 = ev2.snapshot()
    assert ev2.call(1, 1) == {"ticket": None}
    assert ev2.snapshot() == snap2


def test_skipped_ticket_comes_back():
    """A skipped ticket is called again by its code (and by its id), with a
    new called_at; the queue is not involved."""
    ev = Event()
    t = ev.issue()["ticket"]
    later = ev.issue()["ticket"]
    ev.call(1, 1)
    assert ev.op("skip", 1, 1)["ticket"]["state"] == "skipped"
    assert ev.ticket(later["id"])["position"] == 0
    back = ev.call(1, 2, t["code"])["ticket"]
    assert back["state"] == "called" and back["station"] == ev.station(1, 2), back
    assert ev.ticket(later["id"])["position"] == 0
    ev.op("skip", 1, 2)
    back = ev.call(1, 1, t["id"])["ticket"]
    assert back["state"] == "called" and back["station"] == ev.station(1, 1), back
    ev.check_invariants()


# ---------------------------------------------------------------------------
# 3. Numbering

def test_numbering_per_service_never_reused():
    ev = Event()
    a1 = ev.issue(service="dose1", prefix="A")["ticket"]
    a2 = ev.issue(service="dose1", prefix="A")["ticket"]
    b1 = ev.issue(service="dose2", prefix="B")["ticket"]
    assert (a1["code"], a2["code"], b1["code"]) == ("A-001", "A-002", "B-001")
    day = a1["id"].split("-")[0]
    assert (a1["id"], a2["id"], b1["id"]) == (day + "-A001", day + "-A002", day + "-B001")
    assert a1["service"] == "dose1" and b1["service"] == "dose2"
    assert ev.cancel("A-002")["ticket"]["state"] == "cancelled"
    a3 = ev.issue(service="dose1", prefix="A")["ticket"]
    assert a3["code"] == "A-003", "a cancelled number is never handed out again"
    # the code resolves to today's ticket
    assert ev.ticket("A-003")["id"] == a3["id"]
    assert ev.ticket("A-002")["state"] == "cancelled"
    assert ev.ticket("B-001")["id"] == b1["id"]
    for i in range(4, 12):
        assert ev.issue(service="dose1", prefix="A")["ticket"]["code"] == "A-%03d" % i


def test_duplicate_person():
    ev = Event()
    first = ev.issue(person="k:alice:dose1")["ticket"]
    assert first["code"] == "A-001"
    snap = ev.snapshot()
    reply = ev.issue(person="k:alice:dose1")
    assert err_of(reply) == "duplicate_person", reply
    assert ev.snapshot() == snap, "a duplicate person must write nothing"
    assert ev.issue(person="k:bob:dose1")["ticket"]["code"] == "A-002", (
        "the refused issue consumed a number")
    # cancelling frees the person for a new ticket today, with a new number
    ev.cancel(first["id"])
    again = ev.issue(person="k:alice:dose1")["ticket"]
    assert again["code"] == "A-003", again
    snap = ev.snapshot()
    assert err_of(ev.issue(person="k:alice:dose1")) == "duplicate_person"
    assert ev.snapshot() == snap


# ---------------------------------------------------------------------------
# Issues in one call (issue_batch: _lib.lua's batch(), daemon/queue_batch.c)

def issue_args(level=REGULAR, person=""):
    return ["dose1", "A", PRIORITIES[level], level, "", person, "", "0"]


def batch_call(ev, items, ro=False):
    """items: (issue args, Idempotency-Key or "", fingerprint); the reply
    of the one call of issue_batch, as antred sends it."""
    keys, argv = [ev.P], [ev.ctx, len(items), 8]
    for args, key, fp in items:
        argv += [str(a) for a in args]
        if key:
            keys.append(ev.P + "idem:" + key)
        argv += [len(keys) if key else 0, fp if key else ""]
    fn = "%s_issue_batch%s" % (scripts.name, "_ro" if ro else "")
    return conn.pipeline([["FCALL", fn, len(keys)] + keys + argv])[0]


def single_calls(ev, items):
    """The same requests as separate calls of issue, in order."""
    cmds = []
    for args, key, fp in items:
        keys, argv = [ev.P], [ev.ctx] + [str(a) for a in args]
        if key:
            keys.append(ev.P + "idem:" + key)
            argv.append(fp)
        cmds.append(["FCALL", "%s_issue" % scripts.name, len(keys)] + keys + argv)
    return conn.pipeline(cmds)


def comparable(reply):
    if isinstance(reply, RespError):
        return "error"
    if isinstance(reply, list) and reply and reply[-1] == b"replayed":
        return [comparable(reply[0]), "replayed"]
    return decoded(reply)


def test_issue_batch_is_each_request_alone():
    """One call of issue_batch gives each request what its own call of
    issue would, in order, and leaves the same keys: a duplicate person
    within the batch, a retry of an Idempotency-Key within it (replayed),
    the key reused for another request, a request whose arguments fail
    (its error alone: the others stand)."""
    items = [(issue_args(person="k:ana"), "", ""),
             (issue_args(person="k:ana"), "", ""),
             (issue_args(level=0), "key-1", "fp-1"),
             (issue_args(level=0), "key-1", "fp-1"),
             (issue_args(), "key-1", "fp-2"),
             (["dose1", "A", "regular", "x", "", "", "", "0"], "", ""),
             (issue_args(), "", "")]
    alone, together = Event(), Event()
    one_by_one = [comparable(r) for r in single_calls(alone, items)]
    got = batch_call(together, items)
    assert isinstance(got, list) and len(got) == len(items), got
    got = [comparable(r) for r in got]
    assert got == one_by_one, (got, one_by_one)
    # the failed request took its number before it failed, as it does alone
    assert [g["ticket"]["code"] for g in got[:1] + got[2:3] + got[6:]] == \
        ["A-001", "A-002", "A-004"], got
    assert got[1]["err"] == "duplicate_person" and got[4]["err"] == "idempotency_key_reused"
    assert got[3] == [got[2], "replayed"], got[3]
    assert got[5] == "error"

    def keyed(ev):
        # the stream's ids and the time an estimate was last dropped are
        # Redis's own clock (the entries are compared below)
        return {k[len(ev.P):]: v for k, v in ev.snapshot().items()
                if k != "#stream" and not k.endswith(("estgen", "stream"))}
    a, t = keyed(alone), keyed(together)
    assert a == t, [(k, a.get(k), t.get(k)) for k in set(a) | set(t) if a.get(k) != t.get(k)]
    assert [e[1:] for e in together.stream()] == [e[1:] for e in alone.stream()]


def test_issue_batch_no_writes_run():
    """The batch's no-writes function (run when Redis refuses its writes):
    a recorded Idempotency-Key is replayed, a request that comes to a write
    fails alone, and nothing is written."""
    ev = Event()
    first = batch_call(ev, [(issue_args(), "key-r", "fp-r")])[0]
    snap = ev.snapshot()
    got = batch_call(ev, [(issue_args(), "key-r", "fp-r"), (issue_args(), "", "")], ro=True)
    assert comparable(got[0]) == [decoded(first), "replayed"], got
    assert isinstance(got[1], RespError) and "Write commands are not allowed" in str(got[1]), got
    assert ev.snapshot() == snap


# ---------------------------------------------------------------------------
# 4. Observation

def to_observation(ev, tid):
    for si in (1, 2, 3):
        ev.call(si, 1, tid)
        ev.op("start", si, 1)
        t = ev.op("complete", si, 1, "done")["ticket"]
    return t


def test_observation_hold_and_sweep():
    ev = Event(hold=1000)
    x = ev.issue()["ticket"]
    y = ev.issue()["ticket"]
    tx = to_observation(ev, x["id"])
    ty = to_observation(ev, y["id"])
    for t in (tx, ty):
        assert t["state"] == "waiting" and t["stage"] == "observation", t
        v = t["visits"][-1]
        assert v["stage"] == "observation"
        assert t["hold_until"] == v["queued_at"] + 1000, t
        assert t["visits"][-2]["outcome"] == "done"
        assert float(conn("ZSCORE", ev.key("holds"), t["id"])) == t["hold_until"]
        assert t["position"] >= 0
    snap = ev.snapshot()
    assert ev.sweep() == {"moved": 0}
    assert ev.snapshot() == snap, "a sweep before the time changed the keys"
    # y is being looked at when its time is up: the sweep leaves it alone
    assert ev.call(4, 1, ty["code"])["ticket"]["state"] == "called"
    assert ev.op("start", 4, 1)["ticket"]["state"] == "serving"
    ev.set_clock(ev.clock + 1100)      # the hold is over
    assert ev.sweep() == {"moved": 1}
    tx = ev.ticket(x["id"])
    assert tx["state"] == "done" and tx["hold_until"] == 0 and tx["position"] == -1, tx
    assert tx["visits"][-1]["outcome"] == "done", tx
    assert tx["visits"][-1]["completed_at"] >= ev.ticket(x["id"])["visits"][-1]["queued_at"] + 1000
    assert conn("ZSCORE", ev.key("q:observation"), x["id"]) is None
    assert conn("ZSCORE", ev.key("holds"), x["id"]) is None
    ty2 = ev.ticket(y["id"])
    assert ty2["state"] == "serving" and ty2["station"] == ev.station(4, 1), ty2
    entries = ev.stream()
    assert entries[-1][1] == "ticket" and entries[-1][2]["id"] == x["id"]
    assert entries[-1][2]["state"] == "done"
    # idempotent: a second sweep moves nothing and writes nothing
    snap = ev.snapshot()
    assert ev.sweep() == {"moved": 0}
    assert ev.snapshot() == snap
    assert ev.op("complete", 4, 1, "done")["ticket"]["state"] == "done"
    ev.check_invariants()


# ---------------------------------------------------------------------------
# 5. Stream

TICKET_FIELDS = {"id", "code", "state", "stage", "station", "hold_until", "at"}
CALL_FIELDS = {"ticket", "code", "station", "stage", "station_number", "recall", "at"}


def test_stream_entries():
    ev = Event()
    secret_area, secret_person = "3171-TEBET", "hmac-of-nik-3171015505870001:dose1"
    t = ev.issue(level=0, area=secret_area, person=secret_person)["ticket"]
    assert t["area"] == secret_area   # the script's reply has it, the stream must not
    entries = ev.stream()
    assert [e[1] for e in entries] == ["ticket"], entries
    d = entries[0][2]
    assert set(d) == TICKET_FIELDS, d
    assert (d["id"], d["code"], d["state"], d["stage"], d["station"]) == (
        t["id"], t["code"], "waiting", "registration", "")
    last = entries[-1][0]

    called = ev.call(1, 2)["ticket"]
    new = ev.stream("(" + last)
    assert [e[1] for e in new] == ["call", "ticket"], new
    c = new[0][2]
    assert set(c) == CALL_FIELDS, c
    assert (c["ticket"], c["code"], c["station"], c["stage"], c["station_number"],
            c["recall"]) == (t["id"], t["code"], ev.station(1, 2), "registration", 2, False)
    assert new[1][2]["state"] == "called" and new[1][2]["station"] == ev.station(1, 2)
    assert called["state"] == "called"
    last = new[-1][0]

    assert ev.op("recall", 1, 2)["ticket"]["recalls"] == 1
    new = ev.stream("(" + last)
    assert [e[1] for e in new] == ["call"], new
    assert new[0][2]["recall"] is True and new[0][2]["ticket"] == t["id"], new
    last = new[-1][0]

    ev.op("start", 1, 2)
    ev.op("transfer", 1, 2, "screening")
    new = ev.stream("(" + last)
    assert [(e[1], e[2]["state"]) for e in new] == [("ticket", "serving"),
                                                     ("ticket", "waiting")], new
    assert new[1][2]["stage"] == "screening"
    last = new[-1][0]
    ev.op("pause", 2, 1)
    new = ev.stream("(" + last)
    assert [e[1] for e in new] == ["station"], new

    # lastcalls, the board's list, got the call and the recall
    calls = [json.loads(x) for x in conn("LRANGE", ev.key("lastcalls"), 0, -1)]
    assert [x["recall"] for x in calls] == [True, False], calls

    for eid, kind, data in ev.stream():
        text = json.dumps(data)
        assert "area" not in data and "person" not in data, (kind, data)
        assert secret_area not in text and secret_person not in text, (kind, data)
        assert "3171015505870001" not in text
        if kind == "ticket":
            assert set(data) == TICKET_FIELDS, data


# ---------------------------------------------------------------------------
# 6. day_of and today

def day_of_batch(ms_list, off=OFF):
    text = scripts.lib + "return day_of(tonumber(ARGV[2]))"
    ctx = make_ctx(off=off)
    cmds = [["EVAL", text, 1, "antre:{dayof}:", ctx, str(ms)] for ms in ms_list]
    out = []
    for ms, r in zip(ms_list, conn.pipeline(cmds)):
        assert isinstance(r, bytes), (ms, r)
        out.append(r.decode())
    return out


def utc_ms(y, mo, d, h=0, mi=0, s=0, ms=0):
    dt = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 1000 + ms


def test_day_of_known_dates():
    known = [
        (0, "19700101"),                                        # 07:00 local
        (utc_ms(1969, 12, 31, 16, 59, 59, 999), "19691231"),
        (utc_ms(1969, 12, 31, 17), "19700101"),
        (utc_ms(2023, 12, 31, 16, 59, 59, 999), "20231231"),    # the +7 h boundary
        (utc_ms(2023, 12, 31, 17), "20240101"),
        (utc_ms(2024, 1, 1), "20240101"),
        (utc_ms(2024, 2, 28, 16, 59, 59, 999), "20240228"),
        (utc_ms(2024, 2, 28, 17), "20240229"),                  # leap day
        (utc_ms(2024, 2, 29, 16, 59, 59, 999), "20240229"),
        (utc_ms(2024, 2, 29, 17), "20240301"),
        (utc_ms(2023, 2, 28, 17), "20230301"),                  # no leap day
        (utc_ms(2000, 2, 28, 17), "20000229"),                  # 400-year leap
        (utc_ms(2100, 2, 28, 17), "21000301"),                  # century, no leap
        (utc_ms(1900, 2, 28, 17), "19000301"),
        (utc_ms(1999, 12, 31, 17), "20000101"),
        (utc_ms(2024, 12, 31, 16, 59, 59, 999), "20241231"),    # day 366
        (utc_ms(2024, 12, 31, 17), "20250101"),
        (utc_ms(2021, 8, 16, 17), "20210817"),
        (utc_ms(2038, 1, 19, 3, 14, 8), "20380119"),
        (utc_ms(2400, 2, 28, 17), "24000229"),
    ]
    got = day_of_batch([ms for ms, _ in known])
    for (ms, want), g in zip(known, got):
        assert g == want == local_day(ms), (ms, g, want, local_day(ms))
    # other offsets
    for off, ms, want in ((-18000, utc_ms(2024, 3, 1, 4, 59, 59, 999), "20240229"),
                          (-18000, utc_ms(2024, 3, 1, 5), "20240301"),
                          (0, utc_ms(2024, 2, 29, 23, 59, 59, 999), "20240229"),
                          (0, utc_ms(2024, 3, 1), "20240301"),
                          (19800, utc_ms(2024, 12, 31, 18, 29, 59, 999), "20241231"),
                          (19800, utc_ms(2024, 12, 31, 18, 30), "20250101")):
        assert day_of_batch([ms], off) == [want], (off, ms, want)


def test_day_of_random_against_python():
    rng = random.Random(7)
    lo, hi = utc_ms(1970, 1, 1), utc_ms(2200, 1, 1)
    ms_list = [rng.randrange(lo, hi) for _ in range(1500)]
    # and around every local midnight of a leap year's Feb/Mar and year end
    for y, mo, d in ((2024, 2, 28), (2024, 2, 29), (2024, 3, 1), (2024, 12, 31), (2025, 1, 1)):
        mid = utc_ms(y, mo, d) - OFF * 1000
        ms_list += [mid - 1, mid, mid + 1]
    got = day_of_batch(ms_list)
    for ms, g in zip(ms_list, got):
        assert g == local_day(ms), (ms, g, local_day(ms))


def test_today_is_local_day():
    """A ticket's id starts with today's date at UTC+7, and its issued_at
    (Redis's clock) falls on that day."""
    ev = Event(clock=None)             # Redis's own clock, the one in production
    before = local_day(redis_ms())
    t = ev.issue()["ticket"]
    after = local_day(redis_ms())
    day = t["id"].split("-")[0]
    assert day in (before, after), (t["id"], before, after)
    assert local_day(t["issued_at"]) == day, t
    # the code resolves among today's tickets: this one while its day lasts,
    # none once the next day has begun (Redis's clock read around the lookup;
    # a lookup on the stroke of midnight may be either)
    before = local_day(redis_ms())
    got = ev.run("ticket", t["code"])
    after = local_day(redis_ms())
    if before == after == day:
        assert got.get("ticket", {}).get("id") == t["id"], got
    elif before == after:
        assert err_of(got) == "ticket_not_found", got


# ---------------------------------------------------------------------------
# Dose records: the outbox line advance() writes, and the campaign's side

def test_day_num_and_day_add_against_python():
    """_lib.lua's day_num (days since 1970-01-01 of YYYYMMDD) and day_add, in
    several offsets, against Python's calendar."""
    rng = random.Random(14)
    days = [datetime.date(1970, 1, 1) + datetime.timedelta(days=rng.randrange(0, 80000))
            for _ in range(300)]
    days += [datetime.date(2024, 2, 28), datetime.date(2024, 2, 29), datetime.date(2100, 2, 28),
             datetime.date(2000, 2, 29), datetime.date(1970, 1, 1), datetime.date(2026, 12, 31)]
    text = scripts.lib + ("return cjson.encode({day_num(ARGV[2]), "
                          "day_add(ARGV[2], tonumber(ARGV[3]))})")
    for off in (OFF, -18000, 0, 32400):
        ctx = make_ctx(off=off)
        cmds, want = [], []
        for d in days:
            n = rng.randrange(0, 366)
            cmds.append(["EVAL", text, 1, "antre:{daynum}:", ctx, d.strftime("%Y%m%d"), str(n)])
            want.append([(d - datetime.date(1970, 1, 1)).days,
                         (d + datetime.timedelta(days=n)).strftime("%Y%m%d")])
        for w, r in zip(want, conn.pipeline(cmds)):
            assert json.loads(r) == w, (off, w, r)


def dose_event(svc):
    ev = Event()
    ctx = json.loads(ev.ctx)
    ctx["svc"] = svc
    ev.ctx = json.dumps(ctx, separators=(",", ":"))
    return ev


def through_dose(ev):
    """The next ticket through registration, screening and vaccination."""
    for si in (1, 2, 3):
        assert ev.call(si)["ticket"], si
        ev.op("start", si)
        ev.op("complete", si, arg="done")


CAMPAIGN = "antre:{campaign-ts}:"


def apply(lines, retention=730 * 86400):
    ctx = json.dumps({"off": OFF, "stages": [], "retention": retention})
    return scripts.run_many([("coverage_apply", [CAMPAIGN], [ctx] + lines)])[0]


def test_dose_record_on_the_outbox():
    """Completing the dose stage pushes the contract's line (nothing more
    personal than the campaign key); a dose 1 with a next dose notes on the
    ticket the day to come back from; other stages push nothing."""
    ev = dose_event({"dose1": [1, 28], "dose2": [2, 0]})
    pkey = "ab" * 32
    t = ev.issue(service="dose1", area="3171021001", ckey=pkey, elderly=1)["ticket"]
    for si in (1, 2):
        ev.call(si)
        ev.op("start", si)
        ev.op("complete", si, arg="done")
        assert conn("LLEN", ev.key("cov:outbox")) == 0
    ev.call(3)
    ev.op("start", 3)
    ev.op("complete", 3, arg="done")
    lines = conn("LRANGE", ev.key("cov:outbox"), 0, -1)
    assert len(lines) == 1
    line = json.loads(lines[0])
    today = t["id"][:8]
    assert line == {"t": t["id"], "ev": ev.id, "day": today, "at": PINNED_MS, "dose": 1,
                    "next_after": 28, "area": "3171021001", "elderly": 1, "pkey": pkey}, line
    due = (datetime.datetime.strptime(today, "%Y%m%d") + datetime.timedelta(days=28))
    assert ev.ticket(t["id"])["next_dose"] == due.strftime("%Y%m%d")
    # a dose 2 ticket (elderly priority, no NIK: elderly 0 as issued) has no next dose
    ev.issue(level=0, service="dose2", prefix="B")
    through_dose(ev)
    line2 = json.loads(conn("LRANGE", ev.key("cov:outbox"), 1, 1)[0])
    assert (line2["dose"], line2["next_after"], line2["pkey"], line2["area"],
            line2["elderly"]) == (2, 0, "", "", 0), line2
    assert conn("HGET", ev.key("t:" + line2["t"]), "next_dose") is None
    # a service the context does not name is dose 1 without a next dose
    ev2 = dose_event({})
    ev2.issue()
    through_dose(ev2)
    line3 = json.loads(conn("LRANGE", ev2.key("cov:outbox"), 0, 0)[0])
    assert (line3["dose"], line3["next_after"]) == (1, 0), line3


def line(t, ev="e1", day="20260715", dose=1, after=0, area="A", elderly=0, pkey=""):
    return json.dumps({"t": t, "ev": ev, "day": day, "at": 1, "dose": dose, "next_after": after,
                       "area": area, "elderly": elderly, "pkey": pkey})


def test_coverage_apply_counts_once():
    """A line applied twice counts once (marked on the person's record, or in
    the day's cov:seen without one); a person counts once per
    dose whatever their tickets; without pkey, once per ticket; dose 1 with
    a next dose waits in due2 until dose 2; bad lines are skipped."""
    conn("DEL", *[CAMPAIGN + k for k in ("cov:seen:20260715", "cov:n", "cov:due2", "cov:due2n",
                                         "cov:p:" + "1" * 64, "cov:p:" + "2" * 64)])
    p1, p2 = "1" * 64, "2" * 64
    first = [line("t1", pkey=p1, after=28, elderly=1), line("t2", area="", pkey=""),
             line("t3", area="", pkey="", elderly=1)]
    assert apply(first) == {"applied": 3, "replayed": 0, "bad": 0}
    assert conn("EXPIRE", CAMPAIGN + "cov:seen:20260715", 100) == 1
    assert apply(first) == {"applied": 0, "replayed": 3, "bad": 0}
    # a line still on an outbox keeps its mark: the replay sets it again
    assert 7 * 86400 < conn("TTL", CAMPAIGN + "cov:seen:20260715") <= 8 * 86400
    # the same person again, another event and day: not counted again
    assert apply([line("t1", ev="e2", day="20260801", pkey=p1, area="B", after=28)])["applied"] == 1
    n = conn("HGETALL", CAMPAIGN + "cov:n")
    counts = dict(zip([k.decode() for k in n[::2]], [int(v) for v in n[1::2]]))
    assert counts == {"A|d1": 1, "A|e1": 1, "-|d1": 2, "-|e1": 1}, counts
    person = conn("HGETALL", CAMPAIGN + "cov:p:" + p1)
    person = dict(zip([k.decode() for k in person[::2]], [v.decode() for v in person[1::2]]))
    assert person == {"d1": "20260715", "area": "A", "elderly": "1", "due2": "20260812",
                      "t:t1|e1": "1", "t:t1|e2": "1"}, person
    ttl = conn("TTL", CAMPAIGN + "cov:p:" + p1)
    assert 729 * 86400 < ttl <= 730 * 86400, ttl
    due = datetime.date(2026, 8, 12) - datetime.date(1970, 1, 1)
    assert conn("ZRANGE", CAMPAIGN + "cov:due2", 0, -1, "WITHSCORES") == [
        ("A|" + p1).encode(), str(due.days).encode()]
    # counted by area and due day for coverage's read (one field, not a person)
    assert conn("HGETALL", CAMPAIGN + "cov:due2n") == [
        ("A|%d" % due.days).encode(), b"1"]
    # dose 2 in another area: counted there, the wait ends
    assert apply([line("t9", ev="e3", day="20260820", dose=2, area="C", pkey=p1, elderly=1),
                  line("t9", ev="e3", day="20260820", dose=2, area="C", pkey=p1, elderly=1),
                  line("t10", ev="e3", day="20260821", dose=2, area="C", pkey=p1)]) == {
        "applied": 2, "replayed": 1, "bad": 0}
    assert conn("ZCARD", CAMPAIGN + "cov:due2") == 0
    assert conn("HLEN", CAMPAIGN + "cov:due2n") == 0
    assert conn("HGET", CAMPAIGN + "cov:n", "C|d2") == b"1"
    assert conn("HGET", CAMPAIGN + "cov:n", "C|e2") == b"1"
    assert conn("HGET", CAMPAIGN + "cov:p:" + p1, "d2") == b"20260820"
    # a dose 1 after dose 2 was recorded does not wait for it
    apply([line("t11", pkey=p2, dose=2), line("t12", pkey=p2, dose=1, after=28)])
    assert conn("ZCARD", CAMPAIGN + "cov:due2") == 0
    # bad lines: skipped, counted as bad, nothing else changes
    before = conn("HGETALL", CAMPAIGN + "cov:n")
    bad = ["not json", "null", line("t20", dose=4), line("t21", day="2026-07-15"),
           line("t22", pkey="xyz"), line("t23", after=400), line("t24", elderly=2),
           json.dumps({"t": "t25"})]
    assert apply(bad) == {"applied": 0, "replayed": 0, "bad": len(bad)}
    assert conn("HGETALL", CAMPAIGN + "cov:n") == before


def test_coverage_trim_only_what_was_applied():
    """The trim removes the given lines while they are at the head: after
    another daemon trimmed some, only the rest; never a line not given."""
    ev = Event()
    box = ev.key("cov:outbox")
    lines = [line("t%d" % i) for i in range(5)]
    conn("RPUSH", box, *lines)
    trim = lambda ls: scripts.run_many([("coverage_trim", [ev.P], [ev.ctx] + ls)])[0]
    assert trim(lines[:2]) == {"trimmed": 2}
    assert trim(lines[:3]) == {"trimmed": 1}          # t0, t1 gone already: t2 only
    assert trim(lines[:3]) == {"trimmed": 0}
    assert trim([line("other")]) == {"trimmed": 0}
    assert conn("LRANGE", box, 0, -1) == [x.encode() for x in lines[3:]]
