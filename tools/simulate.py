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

starts its own redis-server and antred-test (built in build/, or ANTRED)
on loopback ports and prints the day's table.  `make simulate` runs the
normal and the overloaded day.
"""
import argparse
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

    def clock(self, ms):
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
        #                                  ms since the stage's last call, eta_range_s)


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
        self.last_call = {}              # stage index -> ms
        self.doses = 0

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
                     ticket.get("eta_range_s"))

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
            status, res = self.c.call("POST", "/stations/%s/call" % station, "station")
            if status == 204:
                return                   # nobody waits
            p = self.by_ticket[res["ticket"]["id"]]
            p.called.setdefault(k, ms)
            self.last_call[k] = ms
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
            eta, pos, desks, since, rng = p.said[k]
            true_min = (p.called[k] - p.entered[k]) / MIN
            rows.append({
                "stage": st["id"], "elderly": p.elderly, "true_min": true_min,
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


def forecasts(day):
    out = []
    for hhmm, s in day.stats:
        fc = s.get("forecast") or {}
        b = s.get("bottleneck") or {}
        out.append({"at": hhmm, "doses_then": s["today"]["doses"],
                    "expected_at_close": fc.get("expected_at_close"),
                    "error_pct": None if not day.doses else
                    100.0 * (fc.get("expected_at_close", 0) - day.doses) / day.doses,
                    "bottleneck": b.get("stage"), "extra_stations": b.get("extra_stations"),
                    "advice": b.get("recommendation")})
    return out


def table(result):
    def f(x):
        return "   -" if x is None else "%5.1f" % x
    lines = ["%s day %d (seed %d): %d people, %d doses, %d requests" % (
        result["scenario"], result["day"], result["seed"], result["people"], result["doses"],
        result["requests"]),
        "  stage          n   median   p90   ref-med  ref-p90  bias-reg  bias-eld  first  "
        "lull(n)  in-range%  (minutes)"]
    for r in result["estimates"]:
        lines.append("  %-12s %4d  %s  %s  %s   %s    %s     %s  %s  %s(%d)  %s" % (
            r["stage"], r["n"], f(r["median_err_min"]), f(r["p90_err_min"]),
            f(r["ref_median_err_min"]), f(r["ref_p90_err_min"]), f(r["bias_regular_min"]),
            f(r["bias_elderly_min"]), f(r["first_err_min"]), f(r["lull_median_err_min"]),
            r["lull_n"], f(r["in_range_pct"])))
    lines.append("  at     doses  forecast  error%  bottleneck      extra  advice")
    for r in result["forecasts"]:
        lines.append("  %s  %5d  %8s  %6s  %-14s  %5s  %s" % (
            r["at"], r["doses_then"], r["expected_at_close"],
            "-" if r["error_pct"] is None else "%+.1f" % r["error_pct"],
            r["bottleneck"] or "-", r["extra_stations"] if r["extra_stations"] is not None else "-",
            r["advice"] or ""))
    return "\n".join(lines)


def simulate(name="normal", seed=1, days=1, samples=("10:00", "12:00", "14:30")):
    """Plays the scenario's days against a fresh Redis and antred-test;
    returns one result a day."""
    sc = scenario(name)
    rng = random.Random(seed)
    redis = harness.Redis()
    d = None
    try:
        ev = event_file(sc)
        d = harness.Antred(redis.url, events=[ev], **harness.TEST_CLOCK)
        client = Client(d, redis, ev["id"])
        out = []
        for n in range(days):
            day_ms = harness.wib_ms(2026, 7, 15 + n, 0, 0)
            day = Day(sc, client, rng, day_ms, samples).run()
            out.append({"scenario": name, "seed": seed, "day": n + 1,
                        "people": len(day.people), "doses": day.doses,
                        "requests": client.requests, "estimates": estimates(day),
                        "entries": entries(day),
                        "forecasts": forecasts(day)})
        return out
    finally:
        if d is not None:
            d.stop(check=False)
        redis.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="the results as JSON")
    a = ap.parse_args()
    res = simulate(a.scenario, a.seed, a.days)
    if a.json:
        print(json.dumps([{k: v for k, v in r.items() if k != "entries"} for r in res], indent=1))
    else:
        print("\n\n".join(table(r) for r in res))


if __name__ == "__main__":
    main()
