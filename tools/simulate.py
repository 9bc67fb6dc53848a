#!/usr/bin/env python3
"""simulate.py: a vaccination day played against a real antred-test.

A discrete-event simulation of one or more days at one site: people arrive
along the day's curve, desks call, serve and complete them at drawn service
times (lognormal), take breaks, some people do not come when called.  Every
step is a real request to antred-test, its scripts reading the event's test
clock, which the simulation moves to each step's time: what the server says
(positions, estimates, forecast, advice) is recorded beside the truth the
simulation knows, and compared at the end.

  python3 tools/simulate.py [--scenario NAME] [--seed N] [--days N] [--json]
  python3 tools/simulate.py --event FILE [--people N] [--service STAGE=SECONDS]...

starts its own redis-server (in memory) and antred-test (built in build/,
or ANTRED) on loopback ports and prints the day's table: per desk stage the
estimates' error against the true waits (median, p90, the M/M/c reference,
bias for regular and elderly, the day's first, in lulls, inside the range),
and every half hour the forecast against the doses given by close (the
truth expected_at_close is held to) and the advice (bottleneck, extra
desks of max_stations, unserved_at_close, observation's chairs, a desk to
move, the sentence).  The scenarios: normal, overloaded (vaccination too
slow), lunch, lull (an hour with nobody), early_close (a vaccination desk
closes at noon).  --event plays an organiser's own event file instead: its
hours, target and stages (stations, hold_minutes, max_stations), the
normal day's curve stretched over its hours, --people who come (default
the target + 2%), the normal day's service times for stages of the same
id (else 40 s) unless --service says.  `make simulate` runs the normal and
the overloaded day; tests/blackbox/test_simulated_days.py every scenario.
"""
import argparse
import contextlib
import heapq
import http.client
import json
import math
import os
import random
import socket
import statistics
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "blackbox"))
import harness  # noqa: E402  (the tests' Redis and Antred, reused)

MIN = 60000
LULL_MS = 2 * MIN                    # an estimate made after this long without a call

# A scenario: the site, the crowd and the desks.  Times are "HH:MM" of the
# event's day; service times lognormal with that mean (seconds) and sigma.
NORMAL = {
    "name": "normal",
    "open": "08:00", "close": "15:00", "target": 1000,
    "people": 1019,
    # relative arrival rate at each time, linear between (a peak at 09:30)
    "curve": [("07:50", 0.0), ("08:00", 0.7), ("09:30", 1.0), ("11:00", 0.6),
              ("13:00", 0.35), ("14:30", 0.1), ("14:50", 0.0)],
    "elderly": 0.25, "no_show": 0.02,
    "stages": [
        {"id": "registration", "name": "Pendaftaran", "desks": 2, "mean_s": 25, "sigma": 0.35},
        {"id": "screening", "name": "Skrining", "desks": 2, "mean_s": 30, "sigma": 0.35},
        {"id": "vaccination", "name": "Vaksinasi", "desks": 3, "mean_s": 58, "sigma": 0.4},
        {"id": "observation", "name": "Observasi", "desks": 1, "hold_min": 30},
    ],
    # (station, from, to): the desk pauses, finishing whom it serves first
    "breaks": [],
    "no_show_wait_s": 60,            # how long a desk waits before a skip
}


def scenario(name):
    s = json.loads(json.dumps(NORMAL))
    s["name"] = name
    if name == "overloaded":         # vaccination too slow for the arrivals
        s["stages"][2]["mean_s"] = 85
    elif name == "lunch":            # desks take turns at lunch
        s["breaks"] = [("vaccination-1", "12:00", "12:30"), ("vaccination-2", "12:30", "13:00"),
                       ("screening-1", "12:00", "12:45")]
    elif name == "lull":             # nobody comes for an hour mid-morning
        s["curve"] = [("07:50", 0.0), ("08:00", 0.8), ("10:00", 1.0), ("10:05", 0.0),
                      ("11:05", 0.0), ("11:10", 0.8), ("14:30", 0.2), ("14:50", 0.0)]
    elif name == "early_close":      # a vaccination desk closes at 12:00
        s["breaks"] = [("vaccination-3", "12:00", "23:59")]
    elif name != "normal":
        raise SystemExit("simulate: no scenario %r (normal, overloaded, lunch, lull, "
                         "early_close)" % name)
    return s


def hm(text):
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def event_file(sc, ev_id="sim"):
    """The event definition antred loads for the scenario."""
    stages = []
    for st in sc["stages"]:
        d = {"id": st["id"], "name": st["name"], "stations": st["desks"]}
        if st.get("hold_min"):
            d["hold_minutes"] = st["hold_min"]
        if st.get("max_stations"):
            d["max_stations"] = st["max_stations"]
        stages.append(d)
    return {"id": ev_id, "name": "Simulasi", "timezone": "Asia/Jakarta",
            "daily_target": sc["target"], "hours": {"open": sc["open"], "close": sc["close"]},
            "services": [{"id": "dose1", "prefix": "A", "name": "Dosis 1"}],
            "priorities": [{"id": "elderly"}, {"id": "regular"}],
            "stages": stages}


def arrivals(sc, rng, day_ms):
    """The day's arrival times (ms), sorted: sc["people"] draws from the
    piecewise-linear curve (inverse of its cumulative area)."""
    pts = [(hm(t) * MIN, r) for t, r in sc["curve"]]
    areas = [(b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in zip(pts, pts[1:])]
    total = sum(areas)
    out = []
    for _ in range(sc["people"]):
        u, i = rng.random() * total, 0
        while i < len(areas) - 1 and u > areas[i]:
            u -= areas[i]
            i += 1
        (t0, r0), (t1, r1) = pts[i], pts[i + 1]
        # within the segment: solve the area of a trapezoid for its width
        w, slope = t1 - t0, (r1 - r0) / (t1 - t0)
        if abs(slope) < 1e-12:
            x = u / r0 if r0 > 0 else 0
        else:
            x = (-r0 + math.sqrt(max(r0 * r0 + 2 * slope * u, 0))) / slope
        out.append(day_ms + int(t0 + min(max(x, 0), w)))
    return sorted(out)


def lognormal_ms(rng, mean_s, sigma):
    mu = math.log(mean_s) - sigma * sigma / 2
    return int(rng.lognormvariate(mu, sigma) * 1000)


class Client:
    """Keep-alive HTTP to antred and RESP to Redis for the clock."""

    def __init__(self, antred, redis, ev_id):
        self.http = http.client.HTTPConnection("127.0.0.1", antred.port, timeout=30)
        host, port = redis.url.split("//")[1].split("/")[0].rsplit(":", 1)
        self.redis = socket.create_connection((host, int(port)))
        self.ev = ev_id
        self.requests = 0
        self.now = None

    def clock(self, ms):
        """Moves the event's test clock to ms (nothing to send when it is
        there already: many steps share a millisecond)."""
        if ms == self.now:
            return
        self.now = ms
        key = "antre:{%s}:test:clock" % self.ev
        val = str(int(ms))
        self.redis.sendall(("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" %
                            (len(key), key, len(val), val)).encode())
        if not self.redis.recv(64).startswith(b"+OK"):
            raise RuntimeError("simulate: redis did not set the clock")

    def call(self, method, path, role, body=None):
        hdrs = {"Authorization": "Bearer " + harness.TOKENS[role]}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        self.http.request(method, "/v1/events/%s%s" % (self.ev, path), body=data, headers=hdrs)
        resp = self.http.getresponse()
        raw = resp.read()
        self.requests += 1
        if resp.status >= 400:
            raise RuntimeError("simulate: %s %s: %d %s" % (method, path, resp.status, raw[:200]))
        return resp.status, (json.loads(raw) if raw else None)


class Person:
    def __init__(self, pid, arrive, elderly, no_show, service_ms):
        self.pid, self.arrive, self.elderly, self.no_show = pid, arrive, elderly, no_show
        self.service_ms = service_ms     # per stage index
        self.ticket = None
        self.entered = {}                # stage index -> ms
        self.called = {}
        self.said = {}                   # stage index -> (eta_s, position, open desks,
        #                                  ms since the stage's last call, eta_range_s,
        #                                  how many truly waited there before them)


class Day:
    """One simulated day: the event queue, the desks, the people."""

    def __init__(self, sc, client, rng, day_ms, samples):
        self.sc, self.c, self.rng, self.day_ms = sc, client, rng, day_ms
        self.samples = samples           # "HH:MM" at which to read /stats
        self.heap, self.seq = [], 0
        self.people, self.by_ticket = [], {}
        self.stages = sc["stages"]
        self.timed = [bool(st.get("hold_min")) for st in self.stages]
        # desk state: None free, Person serving, "break"
        self.desks = [[None] * st["desks"] for st in self.stages]
        self.on_break = set()
        self.stats = []                  # (HH:MM, /stats answer)
        self.truth = {}                  # HH:MM -> what the simulation knew then
        self.last_call = {}              # stage index -> ms
        self.desk_call = {}              # station -> ms of its last call
        self.waiting = [0] * len(self.stages)   # in each desk stage's queue now
        self.doses = 0
        self.doses_by_close = 0
        self.close_ms = day_ms + hm(sc["close"]) * MIN

    def at(self, ms, kind, *data):
        self.seq += 1
        heapq.heappush(self.heap, (ms, self.seq, kind, data))

    def run(self):
        rng = self.rng
        for i, t in enumerate(arrivals(self.sc, rng, self.day_ms)):
            svc = [lognormal_ms(rng, st["mean_s"], st["sigma"]) if not self.timed[k] else 0
                   for k, st in enumerate(self.stages)]
            p = Person(i, t, rng.random() < self.sc["elderly"], rng.random() < self.sc["no_show"],
                       svc)
            self.people.append(p)
            self.at(t, "arrive", p)
        for station, start, end in self.sc["breaks"]:
            self.at(self.day_ms + hm(start) * MIN, "pause", station)
            self.at(self.day_ms + hm(end) * MIN, "resume", station)
        for hhmm in self.samples:
            self.at(self.day_ms + hm(hhmm) * MIN, "sample", hhmm)
        while self.heap:
            ms, _, kind, data = heapq.heappop(self.heap)
            self.c.clock(ms)
            getattr(self, "on_" + kind)(ms, *data)
        return self

    # ---- what happens

    def enter(self, p, k, ms, ticket):
        p.entered[k] = ms
        # what the server said, the desks open then, and how long the stage
        # had gone without a call (a lull, when minutes)
        since = ms - self.last_call[k] if k in self.last_call else None
        p.said[k] = (ticket.get("eta_s"), ticket.get("position"), self.open_desks(k), since,
                     ticket.get("eta_range_s"), self.waiting[k])
        self.waiting[k] += not self.timed[k]

    def on_arrive(self, ms, p):
        _, res = self.c.call("POST", "/tickets", "desk", {
            "service": "dose1", "priority": "elderly" if p.elderly else "regular"})
        p.ticket = res["ticket"]["id"]
        self.by_ticket[p.ticket] = p
        self.enter(p, 0, ms, res["ticket"])
        self.dispatch(0, ms)

    def open_desks(self, k):
        return sum(1 for n in range(len(self.desks[k]))
                   if "%s-%d" % (self.stages[k]["id"], n + 1) not in self.on_break)

    def dispatch(self, k, ms):
        """Every free open desk of stage k calls the next person."""
        if self.timed[k]:
            return
        for n, busy in enumerate(self.desks[k]):
            station = "%s-%d" % (self.stages[k]["id"], n + 1)
            if busy is not None or station in self.on_break:
                continue
            if self.waiting[k] == 0:
                return                   # nobody waits: the call would be a 204
            status, res = self.c.call("POST", "/stations/%s/call" % station, "station")
            if status == 204:
                raise RuntimeError("simulate: %s called nobody, %d waiting" %
                                   (station, self.waiting[k]))
            p = self.by_ticket[res["ticket"]["id"]]
            p.called.setdefault(k, ms)
            self.waiting[k] -= 1
            self.last_call[k] = ms
            self.desk_call[station] = ms
            self.desks[k][n] = p
            if p.no_show and k == 0:
                self.at(ms + self.sc["no_show_wait_s"] * 1000, "skip", k, n, p)
            else:
                self.c.call("POST", "/stations/%s/start" % station, "station")
                self.at(ms + p.service_ms[k], "done", k, n, p)

    def on_done(self, ms, k, n, p):
        station = "%s-%d" % (self.stages[k]["id"], n + 1)
        _, res = self.c.call("POST", "/stations/%s/complete" % station, "station",
                             {"outcome": "done"})
        self.desks[k][n] = None
        t = res["ticket"]
        if k + 1 < len(self.stages) and t["state"] == "waiting":
            self.enter(p, k + 1, ms, t)
            if self.timed[k + 1]:
                self.doses += 1          # the dose stage is the one before observation
                self.doses_by_close += ms <= self.close_ms
            self.dispatch(k + 1, ms)
        self.dispatch(k, ms)

    def on_skip(self, ms, k, n, p):
        station = "%s-%d" % (self.stages[k]["id"], n + 1)
        self.c.call("POST", "/stations/%s/skip" % station, "station")
        self.desks[k][n] = None
        self.dispatch(k, ms)

    def on_pause(self, ms, station):
        self.c.call("POST", "/stations/%s/pause" % station, "station")
        self.on_break.add(station)

    def on_resume(self, ms, station):
        self.c.call("POST", "/stations/%s/resume" % station, "station")
        self.on_break.discard(station)
        k = [st["id"] for st in self.stages].index(station.rsplit("-", 1)[0])
        self.dispatch(k, ms)

    def on_sample(self, ms, hhmm):
        _, res = self.c.call("GET", "/stats", "organiser")
        self.stats.append((hhmm, res))
        # the truth beside it: each stage's queue and open desks, how long
        # each desk has gone without a call (None: holding someone, on a
        # break, or no call yet), the doses so far, who entered each timed
        # wait in the last hour and sits in it now
        idle = {}
        for k, st in enumerate(self.stages):
            for n, busy in enumerate(self.desks[k]):
                station = "%s-%d" % (st["id"], n + 1)
                free = busy is None and station not in self.on_break
                idle[station] = (ms - self.desk_call[station]) / MIN \
                    if free and station in self.desk_call else None
        timed = {}
        for k, st in enumerate(self.stages):
            if self.timed[k]:
                came = [p.entered[k] for p in self.people if k in p.entered]
                timed[st["id"]] = {
                    "arrivals60": sum(1 for t in came if ms - 60 * MIN < t <= ms),
                    "sitting": sum(1 for t in came if ms - st["hold_min"] * MIN < t <= ms)}
        self.truth[hhmm] = {"ms": ms, "doses": self.doses, "waiting": list(self.waiting),
                            "open": [self.open_desks(k) for k in range(len(self.stages))],
                            "idle_min": idle, "timed": timed}


# ---- the comparison ----------------------------------------------------------


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(math.ceil(q * len(xs))) - 1)]


def entries(day):
    """One row per person per stage with desks, at their entry there: the
    server's estimate and the M/M/c position-aware reference ((position + 1)
    x the true mean service / open desks) beside the true wait, minutes."""
    rows = []
    for k, st in enumerate(day.stages):
        if day.timed[k]:
            continue
        for p in sorted(day.people, key=lambda p: p.entered.get(k, 0)):
            if k not in p.called or k not in p.said:
                continue
            eta, pos, desks, since, rng, ahead = p.said[k]
            true_min = (p.called[k] - p.entered[k]) / MIN
            rows.append({
                "stage": st["id"], "elderly": p.elderly, "true_min": true_min,
                "position": pos, "queued": ahead,     # the server's position, the true queue
                "eta_min": None if eta is None else eta / 60,
                "lull": since is not None and since >= LULL_MS,
                "in_range": None if not rng else rng[0] / 60 <= true_min <= rng[1] / 60,
                "ref_min": None if pos is None or not desks else (pos + 1) * st["mean_s"] / desks / 60,
            })
    return rows


def summary(rows, stage=None):
    """The error figures of entries() rows (all of them, or one stage's)."""
    rows = [r for r in rows if stage is None or r["stage"] == stage]
    said = [r for r in rows if r["eta_min"] is not None]
    err = [abs(r["eta_min"] - r["true_min"]) for r in said]
    ref = [abs(r["ref_min"] - r["true_min"]) for r in rows if r["ref_min"] is not None]
    lull = [abs(r["eta_min"] - r["true_min"]) for r in said if r["lull"]]
    ranged = [r["in_range"] for r in said if r["in_range"] is not None]

    def bias(elderly):
        xs = [r["eta_min"] - r["true_min"] for r in said if r["elderly"] == elderly]
        return statistics.mean(xs) if xs else None
    return {
        "stage": stage or "all", "n": len(err),
        "median_err_min": statistics.median(err) if err else None,
        "p90_err_min": pct(err, 0.9),
        "first_err_min": err[0] if err else None,
        "lull_n": len(lull), "lull_median_err_min": statistics.median(lull) if lull else None,
        "ref_median_err_min": statistics.median(ref) if ref else None,
        "ref_p90_err_min": pct(ref, 0.9),
        "bias_regular_min": bias(False), "bias_elderly_min": bias(True),
        "in_range_pct": 100.0 * sum(ranged) / len(ranged) if ranged else None,
    }


def estimates(day):
    """Per stage with desks: summary() of its entries."""
    rows = entries(day)
    return [summary(rows, st["id"]) for k, st in enumerate(day.stages) if not day.timed[k]]


def sample_times(sc):
    """When to read /stats: every quarter hour from opening to two hours
    past close (the overloaded day serves its queue after close)."""
    return tuple("%02d:%02d" % divmod(m, 60)
                 for m in range(hm(sc["open"]) + 15, min(hm(sc["close"]) + 121, 24 * 60), 15))


def forecasts(day):
    """Per sample: the forecast beside the truth, which is the doses given
    by close (expected_at_close's definition; those still queued at close
    are the advice's unserved_at_close), and the advice."""
    out = []
    for hhmm, s in day.stats:
        fc = s.get("forecast") or {}
        b = s.get("bottleneck") or {}
        exp = fc.get("expected_at_close")
        chairs = [st.get("chairs_needed") for st in s["stages"]
                  if st.get("chairs_needed") is not None]
        out.append({"at": hhmm, "doses_then": s["today"]["doses"], "expected_at_close": exp,
                    "low": fc.get("low"), "high": fc.get("high"), "truth": day.doses_by_close,
                    "error_pct": None if not day.doses_by_close or exp is None else
                    100.0 * (exp - day.doses_by_close) / day.doses_by_close,
                    "bottleneck": b.get("stage"), "extra_stations": b.get("extra_stations"),
                    "max_stations": b.get("max_stations"),
                    "unserved_at_close": b.get("unserved_at_close"),
                    "move_station": b.get("move_station"),
                    "chairs_needed": chairs[0] if chairs else None,
                    "advice": b.get("recommendation")})
    return out


def table(result):
    def f(x):
        return "   -" if x is None else "%5.1f" % x
    lines = ["%s day %d (seed %d): %d people, %d doses by close, %d in all, %d requests" % (
        result["scenario"], result["day"], result["seed"], result["people"],
        result["doses_by_close"], result["doses"], result["requests"]),
        "  stage          n   median   p90   ref-med  ref-p90  bias-reg  bias-eld  first  "
        "lull(n)  in-range%  (minutes)"]
    for r in result["estimates"]:
        lines.append("  %-12s %4d  %s  %s  %s   %s    %s     %s  %s  %s(%d)  %s" % (
            r["stage"], r["n"], f(r["median_err_min"]), f(r["p90_err_min"]),
            f(r["ref_median_err_min"]), f(r["ref_p90_err_min"]), f(r["bias_regular_min"]),
            f(r["bias_elderly_min"]), f(r["first_err_min"]), f(r["lull_median_err_min"]),
            r["lull_n"], f(r["in_range_pct"])))
    lines.append("  at     doses  forecast  low..high    truth  error%  bottleneck     extra/max  "
                 "unserved  chairs  move  advice")
    for r in result["forecasts"]:
        if not r["at"].endswith(("00", "30")):
            continue                     # the half hours are enough to read
        lines.append("  %s  %5d  %8s  %s  %5d  %6s  %-13s  %4s/%-4s  %8s  %6s  %s  %s" % (
            r["at"], r["doses_then"], r["expected_at_close"],
            "%4s..%-5s" % (r["low"], r["high"]), r["truth"],
            "-" if r["error_pct"] is None else "%+.1f" % r["error_pct"],
            r["bottleneck"] or "-", "-" if r["extra_stations"] is None else r["extra_stations"],
            "-" if r["max_stations"] is None else r["max_stations"],
            "-" if r["unserved_at_close"] is None else r["unserved_at_close"],
            "-" if r["chairs_needed"] is None else r["chairs_needed"],
            r["move_station"] or "-", r["advice"] or ""))
    return "\n".join(lines)


@contextlib.contextmanager
def serve(sc):
    """A fresh Redis and antred-test holding the scenario's event: a
    Client to them, both stopped after."""
    # in memory only: the simulation checks figures, not durability (the
    # crash tests do), and an fsync a write made a day take twice as long
    redis = harness.Redis(durable=False)
    d = None
    try:
        ev = event_file(sc)
        # a loaded machine may stall Redis past the 1 s the tests give: the
        # simulation tests the figures, not the store's deadline
        d = harness.Antred(redis.url, events=[ev], binary=harness.ANTRED_TEST,
                           extra=list(harness.TEST_CLOCK["extra"]) +
                           ["redis-timeout-ms 30000", "log-level warn"])
        yield Client(d, redis, ev["id"])
    finally:
        if d is not None:
            d.stop(check=False)
        redis.stop()


def simulate(name="normal", seed=1, days=1, samples=None, sc=None):
    """Plays the scenario's days (or those of sc, a scenario dict) against
    a fresh Redis and antred-test; returns one result a day.  samples: the
    HH:MM at which to read /stats (default sample_times())."""
    sc = sc or scenario(name)
    samples = sample_times(sc) if samples is None else samples
    rng = random.Random(seed)
    with serve(sc) as client:
        out = []
        for n in range(days):
            day_ms = harness.wib_ms(2026, 7, 15 + n, 0, 0)
            day = Day(sc, client, rng, day_ms, samples).run()
            out.append({"scenario": sc["name"], "seed": seed, "day": n + 1,
                        "people": len(day.people), "doses": day.doses,
                        "doses_by_close": day.doses_by_close,
                        "requests": client.requests, "estimates": estimates(day),
                        "entries": entries(day), "forecasts": forecasts(day),
                        "samples": [{"at": hhmm, "stats": st, "truth": day.truth[hhmm]}
                                    for hhmm, st in day.stats]})
        return out


def from_event(path, people=None, service=()):
    """A scenario from an organiser's event file: its hours, target and
    stages (stations, hold_minutes, max_stations); the normal day's
    arrival curve stretched over its hours, its service times for stages
    of the same id (else 40 s), or those given as (stage id, seconds)."""
    with open(path) as f:
        ev = json.load(f)
    sc = scenario("normal")
    o0, c0 = hm(sc["open"]), hm(sc["close"])
    o1, c1 = hm(ev["hours"]["open"]), hm(ev["hours"]["close"])
    if c1 <= o1:
        raise SystemExit("simulate: %s: hours.close is not after hours.open" % path)
    scale = (c1 - o1) / (c0 - o0)
    sc["curve"] = [("%02d:%02d" % divmod(max(0, min(24 * 60 - 1, round(o1 + (hm(t) - o0) * scale))),
                                         60), r) for t, r in sc["curve"]]
    known = {st["id"]: st for st in sc["stages"]}
    given = dict(service)
    sc["stages"] = []
    for st in ev["stages"]:
        mine = {"id": st["id"], "name": st.get("name", st["id"]), "desks": st["stations"],
                "mean_s": float(given.get(st["id"], known.get(st["id"], {}).get("mean_s", 40))),
                "sigma": known.get(st["id"], {}).get("sigma", 0.35)}
        if st.get("hold_minutes"):
            mine["hold_min"] = st["hold_minutes"]
        if st.get("max_stations"):
            mine["max_stations"] = st["max_stations"]
        sc["stages"].append(mine)
    sc.update({"name": os.path.basename(path), "open": ev["hours"]["open"],
               "close": ev["hours"]["close"], "target": ev.get("daily_target", 0)})
    sc["people"] = people or round(1.02 * (sc["target"] or 1000))
    return sc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="normal",
                    help="normal, overloaded, lunch, lull or early_close")
    ap.add_argument("--event", metavar="FILE", help="your own event file (hours, stages, "
                    "stations) instead of a scenario")
    ap.add_argument("--people", type=int, help="who comes in a day (default: the scenario's, "
                    "or the event's daily_target + 2%%)")
    ap.add_argument("--service", action="append", default=[], metavar="STAGE=SECONDS",
                    help="a stage's mean service time (with --event; repeatable)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="the results as JSON")
    a = ap.parse_args()
    try:
        service = [(k, float(v)) for k, v in (x.split("=", 1) for x in a.service)]
    except ValueError:
        raise SystemExit("simulate: --service wants STAGE=SECONDS")
    sc = from_event(a.event, a.people, service) if a.event else scenario(a.scenario)
    if a.people and not a.event:
        sc["people"] = a.people
    res = simulate(sc["name"], a.seed, a.days, sc=sc)
    if a.json:
        print(json.dumps([{k: v for k, v in r.items() if k not in ("entries", "samples")}
                          for r in res], indent=1))
    else:
        print("\n\n".join(table(r) for r in res))


if __name__ == "__main__":
    main()
