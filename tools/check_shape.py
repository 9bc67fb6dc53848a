#!/usr/bin/env python3
"""check_shape.py: the shape rules of antre's C code (issue 11).

  - Dependencies point one way.  Two graphs over the daemon's modules (a
    module is x.c with x.h): who includes whose header, and who calls or
    reads a symbol another module defines (from the objects' symbol tables,
    `nm`, so nothing a preprocessor hides is missed).  Neither may have a
    cycle, and every edge goes down the layers of LAYERS or stays level.
  - Files stay under MAX_FILE_LINES lines and functions under
    MAX_FUNC_LINES (daemon/, protocol/, clients/).

Usage: check_shape.py [--graph] [--root DIR] BUILD_DIR
  --graph  also prints both graphs, one "from -> to, to" line a module.
  --root   the source tree (default: the one this tool is in); BUILD_DIR
           holds its objects as DIR/daemon/x.c builds them, BUILD_DIR/daemon/x.o.
Exit 0 when every rule holds, else 1 with one line a breach.
"""
import os
import re
import subprocess
import sys

MAX_FILE_LINES = 650
MAX_FUNC_LINES = 80

# Lowest first.  A module may use modules of its own layer or below; a
# lower one reaches up only through callbacks main.c installs.  A new
# module gets a row here (daemon/README says which layer is which).
LAYERS = [
    ("base", ["log", "config", "event", "event_clock", "protocol", "proto_*", "nik",
              "sign", "qr", "font", "ticket_print", "http_guard", "server", "speech",
              "sentinel", "redis_events", "areas"]),
    ("store", ["store", "store_*", "record", "stats", "stats_*", "metrics", "notify", "limit",
               "coverage_store", "coverage", "workers"]),
    ("io", ["http", "http_*", "queue", "queue_batch", "follow"]),
    ("fanout", ["sse", "sse_*"]),
    ("routes", ["route_*", "routes"]),
    ("main", ["main"]),
]

# Functions that are one flat dispatch (a switch or a table walk with a
# line a case) may be longer: name -> why.
FLAT_DISPATCH = {}

SOURCE_DIRS = ["daemon", "protocol"]
SIZE_DIRS = ["daemon", "protocol", "clients"]


def layer_of(module):
    for i, (_, pats) in enumerate(LAYERS):
        for p in pats:
            if p == module or (p.endswith("*") and module.startswith(p[:-1])):
                return i
    return None


def modules(root):
    mods = {}
    for d in SOURCE_DIRS:
        for f in sorted(os.listdir(os.path.join(root, d)) if os.path.isdir(os.path.join(root, d)) else []):
            if f.endswith((".c", ".h")):
                mods.setdefault(f[:-2], []).append(os.path.join(d, f))
    return mods


def include_graph(root, mods):
    g = {m: set() for m in mods}
    for m, files in mods.items():
        for f in files:
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                for line in fh:
                    inc = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
                    if inc and inc.group(1) in mods and inc.group(1) != m:
                        g[m].add(inc.group(1))
    return g


def nm(path):
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRCGSV":
            defined.add(parts[2])
    return defined, used


def call_graph(root, build, mods):
    objs = {}
    for m, files in mods.items():
        for f in files:
            if f.endswith(".c"):
                o = os.path.join(build, f[:-2] + ".o")
                if not os.path.exists(o):
                    sys.exit("check_shape: %s missing: build first" % o)
                objs[m] = nm(o)
    owner = {}
    for m, (defined, _) in objs.items():
        for s in defined:
            owner[s] = m
    g = {m: set() for m in mods}
    for m, (_, used) in objs.items():
        for s in used:
            if s in owner and owner[s] != m:
                g[m].add(owner[s])
    return g


def cycles(g):
    """Tarjan: the strongly connected components of more than one node."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def graph_breaches(kind, g):
    bad = []
    for comp in cycles(g):
        bad.append("%s cycle: %s" % (kind, " <-> ".join(comp)))
    for m in sorted(g):
        lm = layer_of(m)
        if lm is None:
            bad.append("%s: module %s has no layer in tools/check_shape.py LAYERS" % (kind, m))
            continue
        for t in sorted(g[m]):
            lt = layer_of(t)
            if lt is not None and lt > lm:
                bad.append("%s edge upward: %s (%s) -> %s (%s)" %
                           (kind, m, LAYERS[lm][0], t, LAYERS[lt][0]))
    return bad


def functions(path):
    """(name, first line, lines) of each function: a body opens with "{"
    in column 0 and closes with "}" in column 0; its length counts from
    the line that names it."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i].startswith("{"):
            j = i - 1
            while j > 0 and "(" not in lines[j]:
                j -= 1
            while j > 0 and lines[j - 1].strip() and not lines[j - 1].rstrip().endswith((";", "}", "*/")) \
                    and not lines[j - 1].startswith(("#", "/*", " *")):
                j -= 1
            k = i
            while k < len(lines) and not lines[k].startswith("}"):
                k += 1
            name = re.search(r"(\w+)\s*\(", " ".join(lines[j:i]))
            out.append((name.group(1) if name else "?", j + 1, k - j + 1))
            i = k
        i += 1
    return out


def size_breaches(root):
    bad = []
    for d in SIZE_DIRS:
        for f in sorted(os.listdir(os.path.join(root, d)) if os.path.isdir(os.path.join(root, d)) else []):
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, d, f)
            with open(path, encoding="utf-8") as fh:
                n = sum(1 for _ in fh)
            if n > MAX_FILE_LINES:
                bad.append("%s: %d lines (at most %d)" % (path[len(root) + 1:], n, MAX_FILE_LINES))
            if not f.endswith(".c"):
                continue
            for name, line, length in functions(path):
                if length > MAX_FUNC_LINES and name not in FLAT_DISPATCH:
                    bad.append("%s:%d: %s is %d lines (at most %d)" %
                               (path[len(root) + 1:], line, name, length, MAX_FUNC_LINES))
    return bad


def main():
    args = sys.argv[1:]
    show = "--graph" in args
    args = [a for a in args if a != "--graph"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if len(args) == 3 and args[0] == "--root":
        root = os.path.abspath(args[1])
        args = args[2:]
    if len(args) != 1:
        sys.exit(__doc__)
    build = args[0]
    mods = modules(root)
    inc = include_graph(root, mods)
    calls = call_graph(root, build, mods)
    if show:
        for kind, g in (("includes", inc), ("calls", calls)):
            print("# %s" % kind)
            for m in sorted(g, key=lambda m: (-(layer_of(m) or 0), m)):
                if g[m]:
                    print("%s -> %s" % (m, ", ".join(sorted(g[m]))))
    bad = graph_breaches("includes", inc) + graph_breaches("calls", calls) + size_breaches(root)
    for b in bad:
        print("check-shape: " + b)
    if bad:
        print("check-shape: %d breach(es)" % len(bad))
        return 1
    print("check-shape: ok (%d modules, no cycle, no upward edge, files <= %d lines, "
          "functions <= %d)" % (len(mods), MAX_FILE_LINES, MAX_FUNC_LINES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
