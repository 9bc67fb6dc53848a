#!/usr/bin/env python3
"""make mutate: does the suite catch deliberate bugs?

  mutate.py LIST WORKDIR
  mutate.py --check LIST      only checks that every mutation applies

copies the tree (git's tracked and untracked-but-not-ignored files, as they
are in the working tree) to WORKDIR/src, checks that every mutation of LIST
(tests/mutate/mutations.txt, its format described there) applies, builds
the plain build there and runs the tests the list names once unchanged (the
baseline), then for each mutation: applies it, builds, runs its tests,
restores the file.  A mutation is caught when a test that passed on the
baseline fails, and fails again when its module runs once more (or the run
times out).  The working tree is never touched.

Prints a table (also WORKDIR/report.md).  Exit status: 0 when every
mutation was caught, 1 when some were not, 2 when a mutation does not apply
(its snippet is gone or not unique: update the list) or the baseline cannot
build.  MUTATE_ONLY=substring selects mutations by name; MUTATE_FULL=1
runs every black-box module for every mutation.
"""

import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_TIMEOUT = 900     # s for one black-box module (a mutation may hang)
UNIT_TIMEOUT = 120


class Mutation:
    def __init__(self, name):
        self.name = name
        self.file = None
        self.tests = ["unit:all"]
        self.about = ""
        self.edits = []   # (find, replace)


def parse(path):
    muts = []
    cur = None
    state = None   # None, "find", "replace"
    find = repl = None
    with open(path) as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        where = "%s:%d" % (path, n)
        if state == "find":
            if line == "===":
                state = "replace"
            else:
                find.append(line)
            continue
        if state == "replace":
            if line == ">>>":
                if not find or not "\n".join(find).strip():
                    raise SystemExit("%s: empty snippet" % where)
                cur.edits.append(("\n".join(find), "\n".join(repl)))
                state = None
            else:
                repl.append(line)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("== "):
            cur = Mutation(line[3:].strip())
            muts.append(cur)
        elif cur is None:
            raise SystemExit("%s: expected '== NAME'" % where)
        elif line.startswith("file:"):
            cur.file = line[5:].strip()
        elif line.startswith("tests:"):
            cur.tests = line[6:].split()
        elif line.startswith("about:"):
            cur.about = line[6:].strip()
        elif line == "<<<":
            state, find, repl = "find", [], []
        else:
            raise SystemExit("%s: cannot read %r" % (where, line))
    if state:
        raise SystemExit("%s: unfinished <<< === >>> block" % path)
    names = set()
    for m in muts:
        if not m.file or not m.edits:
            raise SystemExit("%s: mutation %s needs file: and a <<< === >>> block" % (path, m.name))
        if m.name in names:
            raise SystemExit("%s: mutation %s twice" % (path, m.name))
        names.add(m.name)
    return muts


def copy_tree(src):
    """WORKDIR/src mirrors the working tree's source files (only the
    changed ones are written, so the build there stays incremental)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=TOP, capture_output=True, check=True).stdout.decode()
    files = [f for f in out.split("\0") if f and os.path.isfile(os.path.join(TOP, f))]
    for f in files:
        a, b = os.path.join(TOP, f), os.path.join(src, f)
        with open(a, "rb") as fa:
            data = fa.read()
        try:
            with open(b, "rb") as fb:
                if fb.read() == data:
                    continue
        except FileNotFoundError:
            os.makedirs(os.path.dirname(b), exist_ok=True)
        with open(b, "wb") as fb:
            fb.write(data)
        shutil.copymode(a, b)
    return len(files)


def apply(m, src):
    """The mutated text of m.file, or the reason it does not apply."""
    path = os.path.join(src, m.file)
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        return None, "cannot read %s: %s" % (m.file, e)
    for find, repl in m.edits:
        n = text.count(find)
        if n != 1:
            return None, "%s: snippet found %d times (want 1): %r" % (m.file, n, find[:80])
        text = text.replace(find, repl)
    return text, None


def build(src, log):
    r = subprocess.run(["make", "-j2", "--no-print-directory", "all"], cwd=src,
                       stdout=log, stderr=subprocess.STDOUT, env=clean_env())
    return r.returncode == 0


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "BB_ONLY", "CI")}
    return env


def modules(src):
    d = os.path.join(src, "tests", "blackbox")
    return sorted(f[:-3] for f in os.listdir(d) if f.startswith("test_") and f.endswith(".py"))


def units(src):
    return sorted(f[:-2] for f in os.listdir(os.path.join(src, "tests", "unit"))
                  if f.startswith("test_") and f.endswith(".c"))


def selection(m, src, full):
    """(unit binaries, black-box modules) that m names."""
    u, b = [], []
    for w in m.tests:
        kind, _, what = w.partition(":")
        if kind == "unit":
            u += units(src) if what == "all" else [what]
        elif kind == "bb":
            b += modules(src) if what == "all" else [what]
        else:
            raise SystemExit("mutation %s: unknown tests word %r" % (m.name, w))
    if full:
        b = modules(src)
    for x in b:
        if x not in modules(src):
            raise SystemExit("mutation %s: no black-box module %s" % (m.name, x))
    return sorted(set(u)), sorted(set(b))


def run_tests(src, unit_names, bb_modules, log):
    """{test name: "ok" | "FAIL" | "timeout"} for what ran."""
    res = {}
    build = os.path.join(src, "build")
    for u in unit_names:
        exe = os.path.join(build, "tests", u)
        try:
            r = subprocess.run([exe], cwd=src, capture_output=True, text=True,
                               timeout=UNIT_TIMEOUT)
            out = r.stdout + r.stderr
            log.write(out)
            failed = re.findall(r"\[  FAILED  \] (\w+)$", out, re.M)
            failed = [f for f in failed if not re.match(r"^\d", f)]
            for t in re.findall(r"\[       OK \] (\w+)", out):
                res["%s.%s" % (u, t)] = "ok"
            for t in failed:
                res["%s.%s" % (u, t)] = "FAIL"
            if r.returncode != 0 and not failed:
                res[u] = "FAIL"          # crashed
        except subprocess.TimeoutExpired:
            res[u] = "timeout"
        except OSError:
            res[u] = "FAIL"              # missing binary
    env = clean_env()
    env.update(ANTRED=os.path.join(build, "antred"), ANTRE_CLI=os.path.join(build, "antre"))
    for mod in bb_modules:
        env["BB_ONLY"] = mod + "."
        try:
            r = subprocess.run([sys.executable, "tests/blackbox/runner.py"], cwd=src, env=env,
                               capture_output=True, text=True, timeout=RUN_TIMEOUT)
            out = r.stdout + r.stderr
            log.write(out)
            for st, name in re.findall(r"^(ok|FAIL) +(\S+)", out, re.M):
                res[name] = "ok" if st == "ok" else "FAIL"
            if r.returncode != 0 and not re.search(r"^FAIL ", out, re.M):
                res[mod] = "FAIL"        # died without naming a test
        except subprocess.TimeoutExpired:
            res[mod] = "timeout"
        log.flush()
    return res


def check(listfile):
    """mutate.py --check LIST: every snippet applies to the working tree."""
    bad = []
    muts = parse(listfile)
    for m in muts:
        _, why = apply(m, TOP)
        if why:
            bad.append("%s: %s" % (m.name, why))
    if bad:
        print("mutate: MUTATIONS NO LONGER APPLY (update %s):\n  %s" % (listfile, "\n  ".join(bad)),
              file=sys.stderr)
        return 2
    print("mutate: all %d mutations apply" % len(muts))
    return 0


def confirm(src, caught, log):
    """The tests of caught that fail again when their modules run once more
    (on the mutated build still in place): a loaded machine makes some
    tests flaky (a port taken between free_port() and bind), and a flake is
    no catch.  Whole modules: their tests may lean on earlier ones."""
    units_again = sorted({c.split(".")[0] for c in caught
                          if "." in c and c.split(".")[0] in units(src)})
    bb_again = sorted({c.split(".")[0] for c in caught
                       if "." in c and c.split(".")[0] in modules(src)})
    again = run_tests(src, units_again, bb_again, log)
    out = []
    for c in caught:
        if "." not in c:
            out.append(c)       # a crash or time-out of a whole module or binary
        elif again.get(c, "ok") != "ok":
            out.append(c)
        else:
            log.write("%s passed when run again: a flake, not a catch\n" % c)
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return check(argv[2])
    if len(argv) != 3:
        raise SystemExit(__doc__)
    listfile, work = argv[1], os.path.abspath(argv[2])
    only = os.environ.get("MUTATE_ONLY", "")
    full = bool(os.environ.get("MUTATE_FULL"))
    muts = [m for m in parse(listfile) if only in m.name]
    if not muts:
        raise SystemExit("mutate: no mutation matches MUTATE_ONLY=%r" % only)
    src = os.path.join(work, "src")
    os.makedirs(src, exist_ok=True)
    logdir = os.path.join(work, "logs")
    os.makedirs(logdir, exist_ok=True)
    t0 = time.monotonic()
    n = copy_tree(src)
    print("mutate: %d files in %s, %d mutations" % (n, src, len(muts)), flush=True)

    # every mutation must apply before anything runs: a refactor that moved
    # a snippet shows up now, loudly, not as a pass
    bad = []
    for m in muts:
        _, why = apply(m, src)
        if why:
            bad.append("%s: %s" % (m.name, why))
    if bad:
        print("mutate: MUTATIONS NO LONGER APPLY (update %s):\n  %s" % (listfile, "\n  ".join(bad)),
              file=sys.stderr)
        return 2

    sel = {m.name: selection(m, src, full) for m in muts}
    all_u = sorted({u for s in sel.values() for u in s[0]})
    all_b = sorted({b for s in sel.values() for b in s[1]})
    with open(os.path.join(logdir, "baseline.log"), "w") as log:
        if not build(src, log):
            print("mutate: the unchanged tree does not build (see %s)" % log.name, file=sys.stderr)
            return 2
        print("mutate: baseline: %d unit binaries, black-box modules %s" %
              (len(all_u), " ".join(all_b)), flush=True)
        base = run_tests(src, all_u, all_b, log)
    base_bad = sorted(k for k, v in base.items() if v != "ok")
    print("mutate: baseline: %d passed, %d failed%s (%.0f s)" % (
        len(base) - len(base_bad), len(base_bad),
        (": " + ", ".join(base_bad)) if base_bad else "", time.monotonic() - t0), flush=True)

    rows = []
    for m in muts:
        t1 = time.monotonic()
        path = os.path.join(src, m.file)
        with open(path) as f:
            orig = f.read()
        text, why = apply(m, src)
        log = open(os.path.join(logdir, m.name + ".log"), "w")
        try:
            with open(path, "w") as f:
                f.write(text)
            if not build(src, log):
                rows.append((m, "BUILD FAILS", "the mutated tree does not build"))
                continue
            u, b = sel[m.name]
            res = run_tests(src, u, b, log)
        finally:
            with open(path, "w") as f:
                f.write(orig)
            log.close()
        caught = sorted(k for k, v in res.items() if v != "ok" and base.get(k) == "ok")
        # a module that died or timed out names no test of its own
        caught += sorted(k for k, v in res.items() if v != "ok" and k not in base)
        first = list(caught)
        if caught:
            with open(os.path.join(src, m.file), "w") as f:
                f.write(text)
            try:
                with open(os.path.join(logdir, m.name + ".log"), "a") as log:
                    log.write("\n== confirming %s\n" % " ".join(caught))
                    caught = confirm(src, caught, log)
            finally:
                with open(path, "w") as f:
                    f.write(orig)
        if caught:
            rows.append((m, "yes", ", ".join("%s%s" % (c, "" if res[c] == "FAIL" else " (" + res[c] + ")")
                                             for c in caught[:6]) +
                         (" and %d more" % (len(caught) - 6) if len(caught) > 6 else "")))
        elif first:
            rows.append((m, "NO", "%d tests ran; failed once, passed run again (flakes): %s" %
                         (len(res), ", ".join(first[:6]))))
        else:
            rows.append((m, "NO", "%d tests ran, all passed" % len(res)))
        print("mutate: %-28s caught: %-3s (%.0f s) %s" % (m.name, rows[-1][1],
              time.monotonic() - t1, rows[-1][2]), flush=True)

    # put the unchanged build back, so the copy is ready for the next run
    with open(os.path.join(logdir, "restore.log"), "w") as log:
        build(src, log)
    out = ["| mutation | file | caught | by |", "|---|---|---|---|"]
    for m, st, by in rows:
        out.append("| %s: %s | %s | %s | %s |" % (m.name, m.about, m.file, st, by))
    caught = sum(1 for _, st, _ in rows if st == "yes")
    summary = "%d of %d mutations caught (%.0f min)" % (caught, len(rows),
                                                      (time.monotonic() - t0) / 60)
    if base_bad:
        summary += "; baseline failures (not counted as catches): " + ", ".join(base_bad)
    report = "\n".join(out) + "\n\n" + summary + "\n"
    with open(os.path.join(work, "report.md"), "w") as f:
        f.write(report)
    print()
    print(report, end="")
    return 0 if caught == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
