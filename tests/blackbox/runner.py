"""Runs every test_* function of tests/blackbox/test_*.py, in file order.

A module may define setup_module() and teardown_module() (shared servers);
a failing teardown (for example a sanitizer report when antred stops)
counts as a failed test.  BB_ONLY=substring selects tests by name.  The last
line is "blackbox: N passed, N failed".
"""

import importlib.util
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    only = os.environ.get("BB_ONLY", "")
    passed = failed = 0
    for fname in sorted(os.listdir(HERE)):
        if not (fname.startswith("test_") and fname.endswith(".py")):
            continue
        name = fname[:-3]
        spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, fname))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tests = [(n, f) for n, f in vars(mod).items()
                 if n.startswith("test_") and callable(f) and only in name + "." + n]
        if not tests:
            continue
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        try:
            if hasattr(mod, "setup_module"):
                mod.setup_module()
        except Exception:
            print("FAIL %s.setup_module\n%s" % (name, traceback.format_exc()), flush=True)
            failed += len(tests)
            continue
        for tname, fn in tests:
            t0 = time.monotonic()
            try:
                fn()
                passed += 1
                print("ok   %s.%s (%.2fs)" % (name, tname, time.monotonic() - t0), flush=True)
            except Exception:
                failed += 1
                print("FAIL %s.%s (%.2fs)\n%s" % (name, tname, time.monotonic() - t0,
                                                 traceback.format_exc()), flush=True)
        try:
            if hasattr(mod, "teardown_module"):
                mod.teardown_module()
        except Exception:
            failed += 1
            print("FAIL %s.teardown_module\n%s" % (name, traceback.format_exc()), flush=True)
    print("blackbox: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
