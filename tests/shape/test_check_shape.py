#!/usr/bin/env python3
"""The shape check checked: small trees built here, each with one breach
(or none), and what tools/check_shape.py says of them; then the project's
own tree, which must pass.  Ends with "shape: N passed, N failed".

Usage: test_check_shape.py BUILD_DIR (the project's build to check)."""
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(TOP, "tools", "check_shape.py")
CC = os.environ.get("CC", "cc")


def tree(files):
    """Writes files {path: text} into a new directory, compiles its
    daemon/*.c into build/daemon/*.o; returns the directory."""
    d = tempfile.mkdtemp(prefix="shape-")
    for path, text in files.items():
        os.makedirs(os.path.join(d, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(d, path), "w") as f:
            f.write(text)
    os.makedirs(os.path.join(d, "build", "daemon"))
    for path in files:
        if path.startswith("daemon/") and path.endswith(".c"):
            subprocess.run([CC, "-c", "-Idaemon", path, "-o",
                            os.path.join("build", path[:-2] + ".o")], cwd=d, check=True)
    return d


def check(d):
    p = subprocess.run([sys.executable, TOOL, "--root", d, os.path.join(d, "build")],
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def fn(name, body_lines, calls=""):
    return "int %s(void)\n{\n%s\treturn 0;\n}\n" % (
        name, calls + "".join("\t(void)0;\n" for _ in range(body_lines)))


CASES = [
    # (name, files, expected exit, text the output must hold)
    ("a clean pair passes",
     {"daemon/log.h": "int log_x(void);\n",
      "daemon/log.c": '#include "log.h"\n' + fn("log_x", 3),
      "daemon/store.c": '#include "log.h"\n' + fn("store_x", 3, "\tlog_x();\n")},
     0, "check-shape: ok"),
    ("an include cycle is found",
     {"daemon/log.h": "int log_x(void);\n",
      "daemon/log.c": '#include "log.h"\n#include "config.h"\n' + fn("log_x", 1),
      "daemon/config.h": "int config_x(void);\n",
      "daemon/config.c": '#include "config.h"\n#include "log.h"\n' + fn("config_x", 1)},
     1, "includes cycle: config <-> log"),
    ("a call cycle without includes is found (declared by hand)",
     {"daemon/log.c": "int config_x(void);\n" + fn("log_x", 1, "\tconfig_x();\n"),
      "daemon/config.c": "int log_x(void);\n" + fn("config_x", 1, "\tlog_x();\n")},
     1, "calls cycle: config <-> log"),
    ("a lower module calling up is found",
     {"daemon/sse.c": fn("sse_x", 1),
      "daemon/follow.c": "int sse_x(void);\n" + fn("follow_x", 1, "\tsse_x();\n")},
     1, "calls edge upward: follow (io) -> sse (fanout)"),
    ("a module outside the layers is named",
     {"daemon/mystery.c": fn("mystery_x", 1)},
     1, "module mystery has no layer"),
    ("a long function is found",
     {"daemon/log.c": fn("log_long", 90)},
     1, "log_long is 94 lines"),
    ("a long file is found",
     {"daemon/log.c": "".join(fn("f%d" % i, 1) for i in range(140))},
     1, "daemon/log.c: 700 lines"),
]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    passed = failed = 0
    for name, files, want_rc, want_text in CASES:
        d = tree(files)
        try:
            rc, out = check(d)
        finally:
            shutil.rmtree(d)
        ok = rc == want_rc and want_text in out
        print("   %s %s" % ("ok  " if ok else "FAIL", name))
        if not ok:
            print("      exit %d, wanted %d and %r in:\n%s" % (rc, want_rc, want_text, out))
        passed, failed = passed + ok, failed + (not ok)
    p = subprocess.run([sys.executable, TOOL, sys.argv[1]], capture_output=True, text=True, cwd=TOP)
    ok = p.returncode == 0
    print("   %s the project's own tree\n%s" % ("ok  " if ok else "FAIL", p.stdout + p.stderr))
    passed, failed = passed + ok, failed + (not ok)
    print("shape: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
