"""The estimates on simulated days (tools/simulate.py): the normal day
played against a real antred-test on its test clock with three seeds, each
in its own process (its own Redis and antred), and every ticket's estimate
at its entry to a stage with desks held against the truth:

  median error <= 1.5 min and p90 <= 7 min, over all of them and at each
  stage alone; over all, no worse (median and p90) than the position-aware
  M/M/c reference; the bias within +-1 min for regular and
  elderly people alike; median <= 5 min for estimates made in a lull (the
  stage without a call for two minutes); the day's first estimate at each
  stage within 10 min; the true wait inside eta_range_s for most people.

A day is about 11,600 requests (~35 s alone).  It runs on the plain build
only: under the sanitizers (ANTRED in build/san) a day takes minutes and
the figures are the same scripts' (the Lua is not what the sanitizers
check), so there the module declares no test at all: nothing is counted
as passed that did not run.
"""
import functools
import os
import sys
from concurrent.futures import ProcessPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools"))
import harness  # noqa: E402
import simulate  # noqa: E402

SEEDS = (1, 2, 3)
SAN = os.sep + os.path.join("build", "san") + os.sep in os.path.abspath(harness.ANTRED)
days = {}                          # seed -> entries() rows of its normal day


def setup_module():
    if SAN:
        return
    with ProcessPoolExecutor(max_workers=len(SEEDS)) as pool:
        # (a function of this module would not pickle: the runner loads it
        # under no importable name)
        play = functools.partial(simulate.simulate, "normal", days=1, samples=())
        for seed, res in zip(SEEDS, pool.map(play, SEEDS)):
            days[seed] = res[0]["entries"]


def played():
    assert sorted(days) == list(SEEDS), days.keys()
    return [(seed, days[seed]) for seed in SEEDS]


STAGES = ("registration", "screening", "vaccination")


def fmt(x):
    return "-" if x is None else "%.2f" % x


def test_errors_at_stage_entry():
    """Over all tickets, and at each stage with desks alone (the pooled
    figures would hide a stage: registration's waits are short)."""
    for seed, rows in played():
        s = simulate.summary(rows)
        print("     seed %d: n %d, median %s min, p90 %s min (reference %s, %s), in range %s%%"
              % (seed, s["n"], fmt(s["median_err_min"]), fmt(s["p90_err_min"]),
                 fmt(s["ref_median_err_min"]), fmt(s["ref_p90_err_min"]), fmt(s["in_range_pct"])))
        assert s["n"] > 2500, (seed, s)
        for st in (None,) + STAGES:
            s = simulate.summary(rows, st)
            assert s["median_err_min"] <= 1.5, (seed, s)
            assert s["p90_err_min"] <= 7, (seed, s)


def test_never_worse_than_the_reference():
    for seed, rows in played():
        s = simulate.summary(rows)
        assert s["median_err_min"] <= s["ref_median_err_min"], (seed, s)
        assert s["p90_err_min"] <= s["ref_p90_err_min"], (seed, s)


def test_no_bias_for_regular_or_elderly():
    for seed, rows in played():
        for st in (None,) + STAGES:
            s = simulate.summary(rows, st)
            print("     seed %d %s: bias regular %+.2f, elderly %+.2f min"
                  % (seed, s["stage"], s["bias_regular_min"], s["bias_elderly_min"]))
            assert abs(s["bias_regular_min"]) <= 1, (seed, s)
            assert abs(s["bias_elderly_min"]) <= 1, (seed, s)


def test_lulls_do_not_multiply():
    for seed, rows in played():
        s = simulate.summary(rows)
        assert s["lull_n"] >= 10, (seed, s)
        assert s["lull_median_err_min"] <= 5, (seed, s)


def test_first_estimates_of_the_day():
    for seed, rows in played():
        for stage in STAGES:
            s = simulate.summary(rows, stage)
            assert s["first_err_min"] is not None and s["first_err_min"] <= 10, (seed, s)


def test_the_range_holds_the_truth():
    for seed, rows in played():
        s = simulate.summary(rows)
        assert s["in_range_pct"] is not None and s["in_range_pct"] >= 75, (seed, s)


if SAN:
    for _name in [n for n in list(globals()) if n.startswith("test_")]:
        del globals()[_name]
