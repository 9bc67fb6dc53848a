"""GET /metrics: the Prometheus text exposition format, read by a strict
parser of that format, and its figures checked exactly against what was
done: tickets, calls, completions and waits (on antred-test, whose scripts
read a clock the test sets), this daemon's request counters, its live
streams, and what it says while Redis is hung or gone.

One Redis and one antred-test for the module."""

import copy
import datetime
import math
import re
import signal
import socket
import time

from harness import ANTRED_TEST, DEMO_EVENT, Antred, Redis, wait_until

redis = None
d = None

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

M1 = {
    "id": "m1",
    "name": "Metrik Satu",
    "timezone": "Asia/Jakarta",
    "daily_target": 100,
    "hours": {"open": "08:00", "close": "15:00"},
    "services": DEMO_EVENT["services"],
    "priorities": DEMO_EVENT["priorities"],
    "stages": [
        {"id": "registration", "name": "Pendaftaran", "stations": 2},
        {"id": "vaccination", "name": "Vaksinasi", "stations": 2},
    ],
}
M2 = dict(copy.deepcopy(DEMO_EVENT), id="m2")
EVENTS = {"m1": M1, "m2": M2}

# 23 November 2026, 09:00 in Jakarta: the events' clock (key test:clock)
T0 = int(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.timezone(
    datetime.timedelta(hours=7))).timestamp() * 1000)

WAIT_LE = [60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800]
DURATION_LE = ["0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1"]

DAEMON_FAMILIES = {
    "antre_redis_up": "gauge",
    "antre_http_connections": "gauge",
    "antre_sse_subscribers": "gauge",
    "antre_http_requests_total": "counter",
    "antre_http_request_duration_seconds": "histogram",
}
EVENT_FAMILIES = {
    "antre_tickets_issued_total": "counter",
    "antre_calls_total": "counter",
    "antre_completions_total": "counter",
    "antre_waiting": "gauge",
    "antre_wait_seconds": "histogram",
}


# ---- a strict parser of the text format (0.0.4) -----------------------------

class ParseError(Exception):
    pass


METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Go's ParseFloat as the format uses it, without Python's extras ("inf",
# "1_000", "infinity", surrounding blanks)
FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?Inf|NaN")
TIMESTAMP = re.compile(r"-?[0-9]+")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def parse_float(s, where):
    if not FLOAT.fullmatch(s):
        raise ParseError("%s: not a float: %r" % (where, s))
    return float(s.replace("Inf", "inf").replace("NaN", "nan"))


class Family:
    def __init__(self, name):
        self.name = name
        self.help = None
        self.type = None
        self.samples = []          # (sample name, labels dict, value)


class Exposition:
    def __init__(self):
        self.families = {}         # name -> Family, in order of appearance
        self.series = {}           # (sample name, sorted label items) -> value

    def value(self, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        if key not in self.series:
            raise AssertionError("no series %s%r" % (name, labels))
        return self.series[key]

    def has(self, name, **labels):
        return (name, tuple(sorted(labels.items()))) in self.series

    def matching(self, name, **labels):
        """{labels tuple: value} of every series of `name` carrying `labels`."""
        out = {}
        for (n, items), v in self.series.items():
            if n == name and all(dict(items).get(k) == w for k, w in labels.items()):
                out[items] = v
        return out


def unescape(s, where, quote):
    """A HELP docstring (quote False: \\\\ and \\n) or label value (also \\")."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 >= len(s):
                raise ParseError("%s: lone backslash" % where)
            e = s[i + 1]
            if e == "\\":
                out.append("\\")
            elif e == "n":
                out.append("\n")
            elif e == '"' and quote:
                out.append('"')
            else:
                raise ParseError("%s: bad escape \\%s" % (where, e))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_labels(line, i, where):
    """Labels from line[i] == '{'; (dict, index after '}')."""
    labels = {}
    i += 1
    if line[i:i + 1] == "}":
        return labels, i + 1
    while True:
        m = LABEL_NAME.match(line, i)
        if not m:
            raise ParseError("%s: bad label name at %d" % (where, i))
        lname = m.group(0)
        if lname.startswith("__"):
            raise ParseError("%s: reserved label name %s" % (where, lname))
        if lname in labels:
            raise ParseError("%s: label %s twice" % (where, lname))
        i = m.end()
        if line[i:i + 2] != '="':
            raise ParseError("%s: expected =\" after %s" % (where, lname))
        i += 2
        j = i
        while True:
            if j >= len(line):
                raise ParseError("%s: unterminated label value" % where)
            if line[j] == "\\":
                j += 2
                continue
            if line[j] == '"':
                break
            j += 1
        labels[lname] = unescape(line[i:j], where, True)
        i = j + 1
        if line[i:i + 1] == ",":
            i += 1
            if line[i:i + 1] == "}":
                raise ParseError("%s: trailing comma in labels" % where)
            continue
        if line[i:i + 1] == "}":
            return labels, i + 1
        raise ParseError("%s: expected , or } at %d" % (where, i))


def family_of(name, fams):
    """The family a sample name belongs to, by its TYPE."""
    f = fams.get(name)
    if f is not None and f.type not in SUFFIXES:
        return f
    for t, suffixes in SUFFIXES.items():
        for suf in suffixes:
            if name.endswith(suf):
                base = fams.get(name[:-len(suf)])
                if base is not None and base.type == t:
                    return base
    return f


def parse(text):
    """Parses an exposition, strictly: every rule of the format, and every
    family has HELP and TYPE before its samples, once each, and its samples
    together.  Raises ParseError."""
    expo = Exposition()
    fams = expo.families
    if not text.endswith("\n"):
        raise ParseError("the text must end with a newline")
    if "\r" in text or "\0" in text:
        raise ParseError("carriage return or NUL in the text")
    current = None                 # the family whose lines come now
    done = set()                   # families whose lines are over
    for lineno, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d" % lineno
        if line == "" or line != line.strip(" \t"):
            raise ParseError("%s: empty line or blanks around it: %r" % (where, line))
        if line.startswith("#"):
            m = re.fullmatch(r"#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?", line)
            if not m:
                if re.match(r"#[ \t]+(HELP|TYPE)\b", line):
                    raise ParseError("%s: malformed %r" % (where, line))
                continue           # a plain comment
            kind, name, rest = m.groups()
            if not METRIC_NAME.fullmatch(name):
                raise ParseError("%s: bad metric name %r" % (where, name))
            if name in done:
                raise ParseError("%s: %s of %s after its samples ended" % (where, kind, name))
            f = fams.setdefault(name, Family(name))
            if f.samples:
                raise ParseError("%s: %s of %s after its samples" % (where, kind, name))
            if kind == "HELP":
                if f.help is not None:
                    raise ParseError("%s: second HELP for %s" % (where, name))
                if not rest:
                    raise ParseError("%s: empty HELP for %s" % (where, name))
                f.help = unescape(rest, where, False)
            else:
                if f.type is not None:
                    raise ParseError("%s: second TYPE for %s" % (where, name))
                if rest not in TYPES:
                    raise ParseError("%s: unknown type %r" % (where, rest))
                f.type = rest
            if current is not None and current != name:
                done.add(current)
            current = name
            continue
        m = METRIC_NAME.match(line)
        if not m:
            raise ParseError("%s: bad metric name in %r" % (where, line))
        name, i = m.group(0), m.end()
        labels = {}
        if line[i:i + 1] == "{":
            labels, i = parse_labels(line, i, where)
        if line[i:i + 1] != " ":
            raise ParseError("%s: expected one blank before the value" % where)
        parts = line[i + 1:].split(" ")
        if len(parts) not in (1, 2) or "" in parts:
            raise ParseError("%s: expected value [timestamp]: %r" % (where, line[i + 1:]))
        value = parse_float(parts[0], where)
        if len(parts) == 2 and not TIMESTAMP.fullmatch(parts[1]):
            raise ParseError("%s: bad timestamp %r" % (where, parts[1]))
        f = family_of(name, fams)
        if f is None or f.type is None or f.help is None:
            raise ParseError("%s: sample %s before its family's HELP and TYPE" % (where, name))
        if f.name in done:
            raise ParseError("%s: %s's samples are not together" % (where, f.name))
        if current != f.name:
            if current is not None:
                done.add(current)
            current = f.name
        key = (name, tuple(sorted(labels.items())))
        if key in expo.series:
            raise ParseError("%s: series %s%r twice" % (where, name, labels))
        expo.series[key] = value
        f.samples.append((name, labels, value))
    for f in fams.values():
        check_family(f)
    return expo


def check_family(f):
    where = "family " + f.name
    if f.type is None or f.help is None:
        raise ParseError("%s: HELP and TYPE are both required" % where)
    if f.type == "counter":
        if not f.name.endswith("_total"):
            raise ParseError("%s: a counter's name ends in _total" % where)
        for name, labels, v in f.samples:
            if math.isnan(v) or v < 0:
                raise ParseError("%s: counter value %r" % (where, v))
    if f.type in ("counter", "gauge", "untyped"):
        for name, labels, v in f.samples:
            if name != f.name:
                raise ParseError("%s: sample %s" % (where, name))
    if f.type == "histogram":
        check_histogram(f)


def check_histogram(f):
    where = "histogram " + f.name
    for suf in SUFFIXES["histogram"]:
        if f.name.endswith(suf):
            raise ParseError("%s: name ends in %s" % (where, suf))
    groups = {}
    for name, labels, v in f.samples:
        suf = name[len(f.name):]
        if suf not in SUFFIXES["histogram"]:
            raise ParseError("%s: sample %s" % (where, name))
        rest = tuple(sorted((k, w) for k, w in labels.items() if k != "le"))
        g = groups.setdefault(rest, {"buckets": [], "sum": None, "count": None})
        if suf == "_bucket":
            if "le" not in labels:
                raise ParseError("%s: bucket without le" % where)
            g["buckets"].append((labels["le"], v))
        else:
            if "le" in labels:
                raise ParseError("%s: le on %s" % (where, name))
            g[suf[1:]] = v
    for rest, g in groups.items():
        w = "%s%r" % (where, dict(rest))
        if not g["buckets"]:
            raise ParseError("%s: no buckets" % w)
        if g["sum"] is None or g["count"] is None:
            raise ParseError("%s: _sum and _count are required" % w)
        prev_le, prev_n = -math.inf, 0
        for le, n in g["buckets"]:
            b = parse_float(le, w)
            if math.isnan(b) or b <= prev_le:
                raise ParseError("%s: le %s not above the one before" % (w, le))
            if n != int(n) or n < prev_n:
                raise ParseError("%s: bucket le=%s count %r below the one before" % (w, le, n))
            prev_le, prev_n = b, n
        if g["buckets"][-1][0] != "+Inf":
            raise ParseError("%s: the last bucket is le=\"+Inf\"" % w)
        if g["buckets"][-1][1] != g["count"]:
            raise ParseError("%s: +Inf bucket %r != _count %r" % (w, g["buckets"][-1][1], g["count"]))
        if math.isnan(g["sum"]):
            raise ParseError("%s: _sum NaN" % w)


# ---- helpers ---------------------------------------------------------------

def setup_module():
    global redis, d
    redis = Redis()
    d = Antred(redis.url, events=list(EVENTS.values()), binary=ANTRED_TEST,
               extra=["test-clock 1"])
    d.wait_redis_up()
    for ev in EVENTS:
        set_clock(ev, T0)


def teardown_module():
    try:
        if redis.proc.poll() is None:
            redis.kill(signal.SIGCONT)
        d.stop()
    finally:
        redis.stop()


def set_clock(ev, ms):
    assert redis.cli("SET", "antre:{%s}:test:clock" % ev, ms) == "OK"


def fetch(timeout=10):
    """(seconds taken, raw text) of GET /metrics, with its status and type checked."""
    t0 = time.monotonic()
    st, h, body = d.get("/metrics", timeout=timeout)
    took = time.monotonic() - t0
    assert st == 200, (st, body)
    assert h["content-type"] == CONTENT_TYPE, h
    assert isinstance(body, bytes)
    return took, body.decode("utf-8")


def scrape(timeout=10):
    return parse(fetch(timeout)[1])


def issue(ev, service):
    st, _, b = d.post("/v1/events/%s/tickets" % ev, {"service": service}, role="desk")
    assert st == 201, (st, b)
    return b["ticket"]


def act(ev, station, op, body=None):
    st, _, b = d.post("/v1/events/%s/stations/%s/%s" % (ev, station, op), body, role="station")
    assert st == 200, (op, station, st, b)
    return b["ticket"]


def families_in(expo):
    return {name: f.type for name, f in expo.families.items()}


def daemon_series(expo):
    """Every series but the per-event ones."""
    return {k: v for k, v in expo.series.items()
            if not any(k[0].startswith(f) for f in EVENT_FAMILIES)}


# ---- the parser itself -----------------------------------------------------

GOOD = """# HELP x_total A counter, with \\\\ and \\n in its help.
# TYPE x_total counter
x_total{a="q\\"uo\\\\te\\nd",b=""} 1
x_total 2.5e3
# a comment
# HELP h A histogram.
# TYPE h histogram
h_bucket{le="0.5"} 1
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 3
h_sum 4.25
h_count 3
# HELP g A gauge.
# TYPE g gauge
g{} -Inf 1700000000000
"""

BAD = {
    "no final newline": "# HELP g G.\n# TYPE g gauge\ng 1",
    "blank line": "# HELP g G.\n# TYPE g gauge\n\ng 1\n",
    "sample before TYPE": "# HELP g G.\ng 1\n# TYPE g gauge\n",
    "sample without HELP": "# TYPE g gauge\ng 1\n",
    "TYPE twice": "# HELP g G.\n# TYPE g gauge\n# TYPE g gauge\ng 1\n",
    "HELP twice": "# HELP g G.\n# HELP g G.\n# TYPE g gauge\ng 1\n",
    "HELP after samples": "# TYPE g gauge\n# HELP g G.\ng 1\n# HELP g again\n",
    "family split": ("# HELP g G.\n# TYPE g gauge\ng{a=\"1\"} 1\n# HELP k K.\n# TYPE k gauge\n"
                     "k 1\ng{a=\"2\"} 2\n"),
    "unknown type": "# HELP g G.\n# TYPE g meter\ng 1\n",
    "bad metric name": "# HELP 1g G.\n# TYPE 1g gauge\n1g 1\n",
    "bad label name": "# HELP g G.\n# TYPE g gauge\ng{1a=\"x\"} 1\n",
    "reserved label": "# HELP g G.\n# TYPE g gauge\ng{__a=\"x\"} 1\n",
    "unquoted label value": "# HELP g G.\n# TYPE g gauge\ng{a=x} 1\n",
    "bad escape": "# HELP g G.\n# TYPE g gauge\ng{a=\"\\t\"} 1\n",
    "unterminated value": "# HELP g G.\n# TYPE g gauge\ng{a=\"x} 1\n",
    "trailing comma": "# HELP g G.\n# TYPE g gauge\ng{a=\"x\",} 1\n",
    "label twice": "# HELP g G.\n# TYPE g gauge\ng{a=\"x\",a=\"y\"} 1\n",
    "duplicate series": "# HELP g G.\n# TYPE g gauge\ng{a=\"x\",b=\"y\"} 1\ng{b=\"y\",a=\"x\"} 2\n",
    "value not a float": "# HELP g G.\n# TYPE g gauge\ng abc\n",
    "python-only float": "# HELP g G.\n# TYPE g gauge\ng 1_000\n",
    "lower-case inf": "# HELP g G.\n# TYPE g gauge\ng inf\n",
    "two blanks": "# HELP g G.\n# TYPE g gauge\ng  1\n",
    "trailing blank": "# HELP g G.\n# TYPE g gauge\ng 1 \n",
    "bad timestamp": "# HELP g G.\n# TYPE g gauge\ng 1 1.5\n",
    "counter without _total": "# HELP c C.\n# TYPE c counter\nc 1\n",
    "negative counter": "# HELP c_total C.\n# TYPE c_total counter\nc_total -1\n",
    "bucket decreasing": ("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                          "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
    "le not increasing": ("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\n"
                          "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
    "no +Inf bucket": "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
    "+Inf != count": ("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
                      "h_sum 1\nh_count 3\n"),
    "no _sum": "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
    "bucket without le": ("# HELP h H.\n# TYPE h histogram\nh_bucket 1\nh_bucket{le=\"+Inf\"} 1\n"
                          "h_sum 1\nh_count 1\n"),
    "stray histogram sample": ("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\n"
                               "h_sum 1\nh_count 1\nh_total 1\n"),
    "gauge with suffix": "# HELP g G.\n# TYPE g gauge\ng_count 1\n",
}

BAD_REASON = {
    "no final newline": "end with a newline",
    "blank line": "empty line",
    "sample before TYPE": "before its family's HELP and TYPE",
    "sample without HELP": "before its family's HELP and TYPE",
    "TYPE twice": "second TYPE",
    "HELP twice": "second HELP",
    "HELP after samples": "HELP of g after its samples",
    "family split": "not together",
    "unknown type": "unknown type",
    "bad metric name": "bad metric name",
    "bad label name": "bad label name",
    "reserved label": "reserved label",
    "unquoted label value": 'expected ="',
    "bad escape": "bad escape",
    "unterminated value": "unterminated",
    "trailing comma": "trailing comma",
    "label twice": "twice",
    "duplicate series": "series .* twice",
    "value not a float": "not a float",
    "python-only float": "not a float",
    "lower-case inf": "not a float",
    "two blanks": "expected value",
    "trailing blank": "blanks around",
    "bad timestamp": "bad timestamp",
    "counter without _total": "ends in _total",
    "negative counter": "counter value",
    "bucket decreasing": "below the one before",
    "le not increasing": "not above the one before",
    "no +Inf bucket": "last bucket",
    "+Inf != count": "!= _count",
    "no _sum": "_sum and _count are required",
    "bucket without le": "bucket without le",
    "stray histogram sample": "h_total before",
    "gauge with suffix": "g_count before",
}


def test_the_parser_accepts_the_format_and_rejects_what_breaks_it():
    e = parse(GOOD)
    assert e.value("x_total", a='q"uo\\te\nd', b="") == 1
    assert e.value("x_total") == 2500
    assert e.families["x_total"].help == "A counter, with \\ and \n in its help."
    assert e.value("h_bucket", le="+Inf") == e.value("h_count") == 3
    assert e.value("g") == -math.inf
    for why, text in BAD.items():
        try:
            parse(text)
        except ParseError as err:
            # refused, and for the reason the case is about
            assert re.search(BAD_REASON[why], str(err)), (why, str(err))
            continue
        raise AssertionError("the parser took bad text (%s):\n%s" % (why, text))


# ---- the endpoint ----------------------------------------------------------

def test_format_families_and_labels():
    took, text = fetch()
    e = parse(text)
    want = dict(DAEMON_FAMILIES, **EVENT_FAMILIES)
    assert families_in(e) == want, families_in(e)
    assert "day boundary" in e.families["antre_tickets_issued_total"].help
    assert e.value("antre_redis_up") == 1
    # every event, every stage, every outcome; nothing else
    for ev, spec in EVENTS.items():
        assert e.value("antre_tickets_issued_total", event=ev) == 0
        stages = [s["id"] for s in spec["stages"]]
        assert sorted(k for k in e.matching("antre_calls_total", event=ev)) == sorted(
            (("event", ev), ("stage", s)) for s in stages)
        for s in stages:
            for o in ("done", "deferred", "refused"):
                assert e.value("antre_completions_total", event=ev, stage=s, outcome=o) == 0
            assert e.value("antre_waiting", event=ev, stage=s) == 0
            les = [dict(k)["le"] for k in e.matching("antre_wait_seconds_bucket", event=ev, stage=s)]
            assert les == [str(b) for b in WAIT_LE] + ["+Inf"], les
    assert len(e.matching("antre_completions_total")) == 3 * (len(M1["stages"]) + len(M2["stages"]))
    les = [dict(k)["le"] for k in e.matching("antre_http_request_duration_seconds_bucket")]
    assert les == DURATION_LE + ["+Inf"], les
    # public: no token needed, and nothing to do with one
    st, h, _ = d.get("/metrics", role="desk")
    assert st == 200 and h["content-type"] == CONTENT_TYPE


def expected_histogram(waits_ms):
    out = []
    for le in WAIT_LE:
        out.append(sum(1 for w in waits_ms if w <= le * 1000))
    out.append(len(waits_ms))
    return out, sum(waits_ms) / 1000


def test_event_figures_equal_what_happened():
    issued = {"dose1": 3, "dose2": 2, "booster": 1}
    for service, n in issued.items():
        for _ in range(n):
            issue("m1", service)
    issue("m2", "dose1")
    issue("m2", "booster")

    waits = {"registration": [], "vaccination": []}
    outcomes = {s: {"done": 0, "deferred": 0, "refused": 0} for s in waits}

    def serve(station, stage, now, wait_ms, outcome, ref=None):
        set_clock("m1", now)
        t = act("m1", station, "call", {"ticket": ref} if ref else None)
        if ref is None:
            waits[stage].append(wait_ms)
            v = t["visits"][-1]
            assert v["stage"] == stage and v["called_at"] is not None, t
        act("m1", station, "start")
        if outcome:
            act("m1", station, "complete", {"outcome": outcome})
            outcomes[stage][outcome] += 1
        return t

    t1 = T0 + 30500                      # 30.5 s: le 60
    serve("registration-1", "registration", t1, 30500, "done")
    t2 = T0 + 200250                     # 200.25 s: le 300
    serve("registration-2", "registration", t2, 200250, "refused")
    t3 = T0 + 4000000                    # 4000 s: le 5400
    serve("registration-1", "registration", t3, 4000000, "deferred")
    # the first ticket waited at vaccination from t1; a recall is no new call
    set_clock("m1", t3)
    act("m1", "vaccination-1", "call")
    waits["vaccination"].append(t3 - t1)
    act("m1", "vaccination-1", "recall")
    act("m1", "vaccination-1", "start")
    act("m1", "vaccination-1", "complete", {"outcome": "done"})
    outcomes["vaccination"]["done"] += 1
    # over three hours: the open bucket; skipped and called back: one call
    t4 = T0 + 20000001
    set_clock("m1", t4)
    skipped = act("m1", "registration-2", "call")
    waits["registration"].append(t4 - T0)
    act("m1", "registration-2", "skip")
    serve("registration-2", "registration", t4, None, "done", ref=skipped["id"])
    # exactly 60 s at vaccination: le="60" takes it (le means <=); held, not completed
    set_clock("m1", t4 + 60000)
    act("m1", "vaccination-2", "call")
    waits["vaccination"].append(60000)

    e = scrape()
    assert e.value("antre_tickets_issued_total", event="m1") == sum(issued.values()) == 6
    assert e.value("antre_tickets_issued_total", event="m2") == 2
    assert waits == {"registration": [30500, 200250, 4000000, 20000001],
                     "vaccination": [3969500, 60000]}, waits
    waiting = {"registration": 6 - 4, "vaccination": 0}
    for stage in ("registration", "vaccination"):
        assert e.value("antre_calls_total", event="m1", stage=stage) == len(waits[stage])
        for o, n in outcomes[stage].items():
            assert e.value("antre_completions_total", event="m1", stage=stage, outcome=o) == n, (
                stage, o)
        assert e.value("antre_waiting", event="m1", stage=stage) == waiting[stage]
        buckets, total_s = expected_histogram(waits[stage])
        got = [e.value("antre_wait_seconds_bucket", event="m1", stage=stage, le=le)
               for le in [str(b) for b in WAIT_LE] + ["+Inf"]]
        assert got == buckets, (stage, got, buckets)
        assert e.value("antre_wait_seconds_count", event="m1", stage=stage) == len(waits[stage])
        assert e.value("antre_wait_seconds_sum", event="m1", stage=stage) == total_s, stage
    assert outcomes == {"registration": {"done": 2, "deferred": 1, "refused": 1},
                        "vaccination": {"done": 1, "deferred": 0, "refused": 0}}, outcomes
    assert e.value("antre_wait_seconds_sum", event="m1", stage="registration") == 24230.751
    assert e.value("antre_wait_seconds_bucket", event="m1", stage="vaccination", le="60") == 1
    # the other event saw none of it
    for s in M2["stages"]:
        assert e.value("antre_calls_total", event="m2", stage=s["id"]) == 0
        assert e.value("antre_wait_seconds_count", event="m2", stage=s["id"]) == 0
        assert e.value("antre_waiting", event="m2", stage=s["id"]) == (
            2 if s["id"] == "registration" else 0)
    # the same figures as the organisers' view
    st, _, stats = d.get("/v1/events/m1/stats", role="organiser")
    assert st == 200, stats
    assert stats["today"]["issued"] == 6
    for sg in stats["stages"]:
        assert sg["calls"] == e.value("antre_calls_total", event="m1", stage=sg["id"])
        assert sg["waiting"] == e.value("antre_waiting", event="m1", stage=sg["id"])


def test_day_counters_reset_at_the_event_local_day_boundary():
    before = scrape()
    assert before.value("antre_tickets_issued_total", event="m2") == 2
    # 23:59:59.999 local is still the same day; midnight is the next
    midnight = T0 + 15 * 3600 * 1000
    set_clock("m2", midnight - 1)
    assert scrape().value("antre_tickets_issued_total", event="m2") == 2
    set_clock("m2", midnight)
    e = scrape()
    assert e.value("antre_tickets_issued_total", event="m2") == 0
    # the new day's first read closed out yesterday's two waiting tickets
    # (expired, "Days end" in PROTOCOL.md): nobody waits into the new day
    assert e.value("antre_waiting", event="m2", stage="registration") == 0
    issue("m2", "dose2")
    assert scrape().value("antre_tickets_issued_total", event="m2") == 1
    # m1 keeps its own day
    assert e.value("antre_tickets_issued_total", event="m1") == 6


def test_http_request_counters_by_route_and_code():
    before = scrape()
    requests = [
        ("GET", "/no/such/path", None, 404),
        ("GET", "/v1/nothing", None, 404),
        ("POST", "/metrics", None, 405),
        ("GET", "/healthz", None, 200),
        ("GET", "/v1/events/nosuch", None, 404),
        ("POST", "/v1/events/m1/tickets", None, 401),
        ("GET", "/v1/events/m1/board", None, 200),
    ]
    for method, path, role, want in requests:
        st, _, _ = d.request(method, path, role=role)
        assert st == want, (method, path, st)
    after = scrape()
    delta = {}
    for k, v in daemon_series(after).items():
        if k[0] == "antre_http_requests_total":
            delta[tuple(dict(k[1])[x] for x in ("route", "code"))] = v - before.series.get(k, 0)
    delta = {k: v for k, v in delta.items() if v}
    assert delta == {("none", "404"): 2, ("none", "405"): 1, ("healthz", "200"): 1,
                     ("event_get", "404"): 1, ("ticket_issue", "401"): 1,
                     ("board", "200"): 1, ("metrics", "200"): 1}, delta
    # the durations count the same requests; buckets only grow
    n = len(requests) + 1
    assert (after.value("antre_http_request_duration_seconds_count") -
            before.value("antre_http_request_duration_seconds_count")) == n
    assert (after.value("antre_http_request_duration_seconds_sum") >=
            before.value("antre_http_request_duration_seconds_sum"))
    for le in DURATION_LE + ["+Inf"]:
        assert (after.value("antre_http_request_duration_seconds_bucket", le=le) >=
                before.value("antre_http_request_duration_seconds_bucket", le=le)), le
    total = sum(v for k, v in after.series.items() if k[0] == "antre_http_requests_total")
    assert total == after.value("antre_http_request_duration_seconds_count"), total


def test_sse_subscribers_and_connections():
    wait_until(lambda: scrape().value("antre_http_connections") == 1, what="connections 1")
    e = scrape()
    assert e.value("antre_sse_subscribers") == 0
    s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
    try:
        s.sendall(b"GET /v1/events/m1/stream HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            assert chunk, "stream closed: %r" % head
            head += chunk
        assert head.startswith(b"HTTP/1.1 200"), head
        e = scrape()
        assert e.value("antre_sse_subscribers") == 1
        assert e.value("antre_http_connections") == 2
    finally:
        s.close()
    wait_until(lambda: scrape().value("antre_sse_subscribers") == 0, what="subscriber gone")
    wait_until(lambda: scrape().value("antre_http_connections") == 1, what="connection gone")


def assert_daemon_only(text, took):
    e = parse(text)
    assert families_in(e) == DAEMON_FAMILIES, families_in(e)
    assert e.value("antre_redis_up") == 0
    assert took < 3.0, "took %.2f s" % took
    return e


def test_hung_redis_answers_within_the_store_timeout():
    before = scrape()
    redis.kill(signal.SIGSTOP)
    try:
        took, text = fetch()              # redis-timeout-ms 1000
        assert_daemon_only(text, took)
        took, text = fetch()              # and again, while still hung
        e = assert_daemon_only(text, took)
        assert e.value("antre_http_requests_total", route="metrics", code="200") == (
            before.value("antre_http_requests_total", route="metrics", code="200") + 2)
    finally:
        redis.kill(signal.SIGCONT)
    wait_until(lambda: scrape().value("antre_redis_up") == 1, timeout=10, what="redis_up 1")
    assert families_in(scrape()) == dict(DAEMON_FAMILIES, **EVENT_FAMILIES)


def test_redis_down_still_answers_and_comes_back():
    before = scrape()
    redis.kill(signal.SIGKILL)
    for _ in range(5):
        took, text = fetch()
        assert_daemon_only(text, took)
        assert took < 1.0, "took %.2f s with Redis gone" % took
    # the figures are Redis's: back as they were when it is
    redis.start()
    wait_until(lambda: scrape().value("antre_redis_up") == 1, timeout=10, what="redis_up 1")
    after = scrape()
    for k, v in before.series.items():
        if any(k[0].startswith(f) for f in EVENT_FAMILIES):
            assert after.series[k] == v, (k, v, after.series.get(k))
