"""Runs every test_* function of tests/blackbox/test_*.py, in file order.

A module may define setup_module() and teardown_module() (shared servers);
a failing teardown (for example a sanitizer report when antred stops)
counts as a failed test.  BB_ONLY=substring selects tests by name (refused
under CI=true: a filtered run is not the suite).  A module that cannot be
imported fails all its tests and the others still run.  Every test,
setup and teardown has BB_TEST_TIMEOUT seconds (240); one that hangs is
interrupted and fails.  Unfiltered, the run fails when fewer tests pass
than tests/floors says for "blackbox".  Asserts are the tests: the runner
refuses to run with them stripped (python3 -O, PYTHONOPTIMIZE).  The last
line is "blackbox: N passed, N failed".
"""

import ast
import importlib.util
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
TIMEOUT = int(os.environ.get("BB_TEST_TIMEOUT", "240"))


class TestTimeout(BaseException):
    """Raised in a test that outlived BB_TEST_TIMEOUT; a BaseException so
    that a test's own `except Exception` does not swallow it."""


def on_alarm(signum, frame):
    raise TestTimeout("no end after %d s (BB_TEST_TIMEOUT)" % TIMEOUT)


def timed(fn):
    """Runs fn under the per-test alarm; re-raises what it raised."""
    signal.alarm(TIMEOUT)
    try:
        fn()
    finally:
        signal.alarm(0)


def asserts_work():
    try:
        assert False
    except AssertionError:
        return True
    return False


def ci():
    return os.environ.get("CI", "") not in ("", "0", "false")


def floor(layer):
    """The layer's floor from tests/floors, or None."""
    path = os.path.join(os.path.dirname(HERE), "floors")
    with open(path) as f:
        for line in f:
            w = line.split("#")[0].split()
            if len(w) == 2 and w[0] == layer:
                return int(w[1])
    return None


def declared_tests(path):
    """The test_* functions a module defines, read without importing it."""
    try:
        tree = ast.parse(open(path).read())
    except (OSError, SyntaxError):
        return None
    return [n.name for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")]


def main():
    only = os.environ.get("BB_ONLY", "")
    if sys.flags.optimize or not asserts_work():
        print("blackbox: refusing to run with asserts stripped (python3 -O or PYTHONOPTIMIZE=%s)"
              % os.environ.get("PYTHONOPTIMIZE", ""))
        print("blackbox: 0 passed, 1 failed")
        return 1
    if only and ci():
        print("blackbox: BB_ONLY=%s is refused under CI: the suite runs whole" % only)
        print("blackbox: 0 passed, 1 failed")
        return 1
    signal.signal(signal.SIGALRM, on_alarm)
    passed = failed = 0
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        name = fname[:-3]
        path = os.path.join(HERE, fname)
        try:
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            timed(lambda: spec.loader.exec_module(mod))
        except BaseException as e:
            if isinstance(e, KeyboardInterrupt):
                raise
            # the module fails, with every test it declares; the rest run
            names = [n for n in (declared_tests(path) or ["(module)"]) if only in name + "." + n]
            if not names:
                continue
            print("FAIL %s (cannot import: %d tests not run)\n%s"
                  % (name, len(names), traceback.format_exc()), flush=True)
            failed += len(names)
            continue
        tests = [(n, f) for n, f in vars(mod).items()
                 if n.startswith("test_") and callable(f) and only in name + "." + n]
        if not tests:
            continue
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        try:
            if hasattr(mod, "setup_module"):
                timed(mod.setup_module)
        except (Exception, TestTimeout):
            print("FAIL %s.setup_module\n%s" % (name, traceback.format_exc()), flush=True)
            failed += len(tests)
            try:
                if hasattr(mod, "teardown_module"):
                    timed(mod.teardown_module)   # stop what setup started
            except (Exception, TestTimeout):
                pass
            continue
        for tname, fn in tests:
            t0 = time.monotonic()
            try:
                timed(fn)
                passed += 1
                print("ok   %s.%s (%.2fs)" % (name, tname, time.monotonic() - t0), flush=True)
            except (Exception, TestTimeout):
                failed += 1
                print("FAIL %s.%s (%.2fs)\n%s" % (name, tname, time.monotonic() - t0,
                                                 traceback.format_exc()), flush=True)
        try:
            if hasattr(mod, "teardown_module"):
                timed(mod.teardown_module)
        except (Exception, TestTimeout):
            failed += 1
            print("FAIL %s.teardown_module\n%s" % (name, traceback.format_exc()), flush=True)
    least = floor("blackbox")
    if only and passed + failed == 0:
        print("FAIL BB_ONLY=%s selects no test" % only)
        failed += 1
    elif only:
        print("blackbox: BB_ONLY=%s: a filtered run, the floor (%s) is not checked" % (only, least))
    elif least is None:
        print("FAIL no blackbox floor in tests/floors")
        failed += 1
    elif passed < least:
        print("FAIL only %d passed, tests/floors wants at least %d: tests went missing"
              % (passed, least))
        failed += 1
    print("blackbox: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
