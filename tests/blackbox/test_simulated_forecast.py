"""The forecast of the day's doses on simulated days (issue 12).

tools/simulate.py (read here, not changed) plays a vaccination day against
antred-test on the test clock; at 10:00, 12:00 and 14:30 the server's
forecast.expected_at_close must be within 8%, 5% and 2% of the doses the
day truly gave, over three seeds of the normal day, and forecast.low ..
forecast.high must hold the central figure.  A day takes about 30 s on
the plain build; under the sanitizers it is several times that, so the
module declares its tests on the plain build only (the figures are the
same C code, which the unit tests run under the sanitizers).

Run as a program it prints the table for the normal and the overloaded
day, seeds 1 to 3 (the issue's closing note):
    python3 tests/blackbox/test_simulated_forecast.py
"""
import importlib.util
import os
import random
import sys

import harness

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAN = os.path.join("build", "san") in os.path.relpath(
    os.path.dirname(os.path.abspath(harness.ANTRED)), TOP)
TARGETS = {"10:00": 8.0, "12:00": 5.0, "14:30": 2.0}   # percent


def simulator():
    spec = importlib.util.spec_from_file_location(
        "simulate", os.path.join(TOP, "tools", "simulate.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def play(name, seed):
    """One day of the scenario: per sample, the forecast beside the truth
    (the day's doses; and those given by close, when people still wait)."""
    sim = simulator()
    sc = sim.scenario(name)
    redis = harness.Redis()
    d = None
    try:
        ev = sim.event_file(sc)
        # a loaded machine may stall Redis past the 2 s default deadline:
        # this module tests the forecast, not the store's deadline
        d = harness.Antred(redis.url, events=[ev], binary=harness.ANTRED_TEST,
                           extra=list(harness.TEST_CLOCK["extra"]) + ["redis-timeout-ms 30000"])
        client = sim.Client(d, redis, ev["id"])
        day_ms = harness.wib_ms(2026, 7, 15, 0, 0)
        day = sim.Day(sc, client, random.Random(seed), day_ms, tuple(TARGETS)).run()
    finally:
        if d is not None:
            d.stop(check=False)
        redis.stop()
    close = day_ms + sim.hm(sc["close"]) * sim.MIN
    dose = [k for k, timed in enumerate(day.timed) if timed][0]   # entering observation
    by_close = sum(1 for p in day.people if dose in p.entered and p.entered[dose] <= close)
    rows = []
    for hhmm, s in day.stats:
        f = s["forecast"]
        rows.append({"at": hhmm, "doses": s["today"]["doses"], "forecast": f["expected_at_close"],
                     "low": f.get("low", -1), "high": f.get("high", -1), "truth": day.doses,
                     "by_close": by_close, "bottleneck": s["bottleneck"]})
    return rows


def err(x, truth):
    return 100.0 * (x - truth) / truth


def check(seed):
    for r in play("normal", seed):
        e = err(r["forecast"], r["truth"])
        assert abs(e) <= TARGETS[r["at"]], (seed, r, "%+.1f%%" % e)
        assert r["low"] <= r["forecast"] <= r["high"], r


if not SAN:
    def test_forecast_normal_day_seed_1():
        check(1)

    def test_forecast_normal_day_seed_2():
        check(2)

    def test_forecast_normal_day_seed_3():
        check(3)


def main():
    print("scenario    seed  at     doses  forecast  low..high     truth  err%   by-close  err%")
    for name in ("normal", "overloaded"):
        for seed in (1, 2, 3):
            for r in play(name, seed):
                print("%-10s  %4d  %s  %5d  %8d  %4d..%-5d  %5d  %+5.1f  %8d  %+5.1f   %s" % (
                    name, seed, r["at"], r["doses"], r["forecast"], r["low"], r["high"],
                    r["truth"], err(r["forecast"], r["truth"]), r["by_close"],
                    err(r["forecast"], r["by_close"]),
                    (r["bottleneck"] or {}).get("recommendation")), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
