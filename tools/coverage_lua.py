#!/usr/bin/env python3
"""Line coverage of the Lua scripts (daemon/scripts/*.lua) run inside Redis.

Redis 7.0 gives scripts no `debug` library (no debug.sethook), so the
coverage build instruments the source at embed time instead
(tools/embed-scripts.sh --coverage, which makes the one Functions library):

  coverage_lua.py probe INDEX FILE.lua
      prints the file with a probe "__cov[K]=1;" put in front of every line
      where a statement begins (K = INDEX * STRIDE + line, INDEX the file's
      place among the library's files).  No line of the file moves.

  coverage_lua.py runtime LIB.lua... SCRIPT.lua...
      prints the library's `run` (how each registered function calls its
      script) for the coverage build: the call in pcall, so that every way
      out (return, refusal, error) passes one flush of the probes hit since
      the last (the library's top level, run at FUNCTION LOAD, goes with the
      first call): redis.log lines "antre-cov FILE LINE,LINE,..." in the
      Redis log; errors are raised again as they came (a failed redis.call
      with its error code).  The library declares `local __cov = {}` first.

  coverage_lua.py report OUTDIR LOG... -- LIB.lua... SCRIPT.lua...
      reads the "antre-cov" lines from Redis logs and prints, per file, the
      lines with a probe (executable), those hit and the percentage; writes
      OUTDIR/lua-uncovered.txt (the lines never run, with their text).

A line "begins a statement" when its first token is a name or a statement
keyword, no bracket is open (a function body inside brackets counts
afresh), and the token before it cannot leave an expression unfinished.
A line with several statements counts once, as gcov counts C lines.
"""

import os
import re
import sys

KEYWORDS = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function",
            "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
            "true", "until", "while"}
# keywords a statement may begin with (others, like end or else, close a block)
STAT_KEYWORDS = {"break", "do", "for", "function", "goto", "if", "local", "repeat",
                 "return", "while"}
# tokens after which the next token may begin a new statement
ENDERS = {")", "]", "}", "end", "then", "do", "else", "repeat", "true", "false", "nil",
          "...", ";", "break", "NAME", "NUMBER", "STRING"}
OPS = ["...", "..", "==", "~=", "<=", ">=", "::", "<<", ">>", "//"]
STRIDE = 100000   # probe key = file index * STRIDE + line


class LuaError(Exception):
    pass


def long_bracket(src, i):
    """If src[i:] opens a long bracket [[ or [=[, its closing string."""
    m = re.match(r"\[(=*)\[", src[i:i + 64])
    return "]" + m.group(1) + "]" if m else None


def tokens(src):
    """(kind, text, line) for every token, comments left out."""
    i, line, n = 0, 1, len(src)
    out = []
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r\f\v":
            i += 1
        elif src.startswith("--", i):
            close = long_bracket(src, i + 2)
            if close:
                j = src.find(close, i)
                if j < 0:
                    raise LuaError("unfinished long comment at line %d" % line)
                j += len(close)
            else:
                j = src.find("\n", i)
                j = n if j < 0 else j
            line += src.count("\n", i, j)
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c:
                if src[j] == "\\":
                    j += 1
                elif src[j] == "\n":
                    raise LuaError("unfinished string at line %d" % line)
                j += 1
            if j >= n:
                raise LuaError("unfinished string at line %d" % line)
            out.append(("STRING", src[i:j + 1], line))
            line += src.count("\n", i, j + 1)   # escaped newlines
            i = j + 1
        elif c == "[" and long_bracket(src, i):
            close = long_bracket(src, i)
            j = src.find(close, i)
            if j < 0:
                raise LuaError("unfinished long string at line %d" % line)
            j += len(close)
            out.append(("STRING", src[i:j], line))
            line += src.count("\n", i, j)
            i = j
        elif c.isalpha() or c == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", src[i:])
            w = m.group(0)
            out.append((w if w in KEYWORDS else "NAME", w, line))
            i += len(w)
        elif c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            m = re.match(r"0[xX][0-9a-fA-F.]+([pP][+-]?\d+)?|[0-9.]+([eE][+-]?\d+)?", src[i:])
            out.append(("NUMBER", m.group(0), line))
            i += len(m.group(0))
        else:
            op = next((o for o in OPS if src.startswith(o, i)), c)
            out.append((op, op, line))
            i += len(op)
    return out


def statement_lines(src):
    """The lines of src where a statement begins, in order."""
    lines = []
    depth = 0          # brackets open in the current function body
    blocks = 0         # blocks open (function, if, do, repeat)
    saved = []         # (depth, blocks) outside each function opened in brackets
    prev = None
    last_line = 0
    toks = tokens(src)
    for k, (kind, text, line) in enumerate(toks):
        first = line != last_line
        last_line = line
        if first and depth == 0 and (kind == "NAME" or kind in STAT_KEYWORDS or kind == "::") \
                and (prev is None or prev in ENDERS):
            lines.append(line)
        if kind in ("(", "[", "{"):
            depth += 1
        elif kind in (")", "]", "}"):
            depth -= 1
            if depth < 0:
                raise LuaError("unbalanced %s at line %d" % (kind, line))
        elif kind == "function":
            if depth > 0:
                saved.append((depth, blocks))
                depth = 0
            blocks += 1
        elif kind in ("if", "do", "repeat"):
            blocks += 1
        elif kind in ("end", "until"):
            blocks -= 1
            if saved and saved[-1][1] == blocks:
                depth = saved.pop()[0]
        prev = kind
    if depth != 0 or blocks != 0 or saved:
        raise LuaError("unbalanced blocks or brackets at the end")
    return lines


def probe_source(src, index):
    """src with a probe in front of every statement line; same line count."""
    out = src.split("\n")
    for ln in statement_lines(src):
        text = out[ln - 1]
        ws = len(text) - len(text.lstrip(" \t"))
        out[ln - 1] = text[:ws] + "__cov[%d]=1; " % (index * STRIDE + ln) + text[ws:]
    return "\n".join(out)


def probe(index, path):
    with open(path) as f:
        src = f.read()
    try:
        out = probe_source(src, index)
    except LuaError as e:
        raise SystemExit("coverage_lua: %s: %s" % (path, e))
    return out if out.endswith("\n") else out + "\n"


def runtime(paths):
    files = ", ".join("'%s'" % os.path.basename(p) for p in paths)
    return """-- make coverage: each call flushes the probes hit (tools/coverage_lua.py)
local function __cov_flush()
	local files, per = { %s }, {}
	for k in pairs(__cov) do
		local f = math.floor(k / %d)
		per[f] = per[f] or {}
		table.insert(per[f], k %% %d)
	end
	for f, lines in pairs(per) do
		table.sort(lines)
		for i = 1, #lines, 100 do
			redis.log(redis.LOG_WARNING, 'antre-cov ' .. files[f + 1] .. ' ' ..
				table.concat(lines, ',', i, math.min(i + 99, #lines)))
		end
	end
	__cov = {}
end
local function run(fn, ro)
	return function(keys, args)
		local ok, ret = pcall(function()
			begin(keys, args, ro)
			return fn()
		end)
		__cov_flush()
		if not ok then
			-- a failed redis.call reaches pcall as "CODE text": raised as a
			-- table, its code (OOM, MISCONF...) reaches the daemon as it
			-- would unwrapped
			if type(ret) == 'string' and string.find(ret, '^%%u[%%u_-]* ') then
				error({ err = ret }, 0)
			end
			error(ret, 0)
		end
		return ret
	end
end
local function run_batch(fn, ro)
	return function(keys, args)
		local ok, ret = pcall(function()
			begin(keys, args, ro)
			return batch(fn, keys, args)
		end)
		__cov_flush()
		if not ok then error(ret, 0) end
		return ret
	end
end
""" % (files, STRIDE, STRIDE)


def report(outdir, logs, paths):
    hits = {}
    pat = re.compile(r"antre-cov (\S+) ([0-9,]+)\s*$")
    for log in logs:
        with open(log, errors="replace") as f:
            for row in f:
                m = pat.search(row)
                if m:
                    hits.setdefault(m.group(1), set()).update(
                        int(x) for x in m.group(2).split(",") if x)
    total_exec = total_hit = 0
    rows = []
    missed = []
    for p in paths:
        name = os.path.basename(p)
        with open(p) as f:
            src = f.read()
        lines = statement_lines(src)
        text = src.split("\n")
        got = [ln for ln in lines if ln in hits.get(name, ())]
        total_exec += len(lines)
        total_hit += len(got)
        rows.append((name, len(lines), len(got)))
        for ln in lines:
            if ln not in hits.get(name, ()):
                missed.append("%s:%d: %s" % (p, ln, text[ln - 1].strip()))
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "lua-uncovered.txt"), "w") as f:
        f.write("# Lua lines never run during the coverage run (file:line: text)\n")
        f.write("\n".join(missed) + ("\n" if missed else ""))
    out = ["%-14s %6s %6s %7s" % ("Lua script", "lines", "hit", "cover")]
    for name, ne, nh in rows:
        out.append("%-14s %6d %6d %6.1f%%" % (name, ne, nh, 100.0 * nh / ne if ne else 100.0))
    out.append("%-14s %6d %6d %6.1f%%" % ("TOTAL", total_exec, total_hit,
                                          100.0 * total_hit / total_exec if total_exec else 0))
    summary = "\n".join(out) + "\n"
    with open(os.path.join(outdir, "lua-coverage.txt"), "w") as f:
        f.write(summary)
    sys.stdout.write(summary)
    if not hits:
        raise SystemExit("coverage_lua: no antre-cov lines in %d Redis logs: "
                         "were the scripts instrumented?" % len(logs))


def main(argv):
    if len(argv) == 4 and argv[1] == "probe":
        sys.stdout.write(probe(int(argv[2]), argv[3]))
    elif len(argv) >= 2 and argv[1] == "runtime":
        sys.stdout.write(runtime(argv[2:]))
    elif len(argv) >= 3 and argv[1] == "report" and "--" in argv:
        sep = argv.index("--")
        report(argv[2], argv[3:sep], argv[sep + 1:])
    elif len(argv) >= 2 and argv[1] == "lines":
        for p in argv[2:]:
            with open(p) as f:
                print(p, " ".join(map(str, statement_lines(f.read()))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
