// Browser-test helpers: a throwaway redis-server and antred on free loopback
// ports (as tests/blackbox/harness.py starts them), an HTTP helper, and
// Debian's Chromium driven by playwright-core.
"use strict";

const fs = require("fs");
const net = require("net");
const os = require("os");
const path = require("path");
const { spawn } = require("child_process");

const TOP = path.resolve(__dirname, "..", "..");
const ANTRED = process.env.ANTRED || path.join(TOP, "build", "antred");
// antred-test: its scripts take the time from the Redis key
// antre:{EVENT}:test:clock (config "test-clock 1"); see setTestClock
const ANTRED_TEST = ANTRED + "-test";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const SANITIZER_MARKS = ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"];

// The same event as harness.py's DEMO_EVENT.
const DEMO_EVENT = {
  id: "demo",
  name: "Gebyar Vaksinasi Uji",
  timezone: "Asia/Jakarta",
  daily_target: 1000,
  hours: { open: "08:00", close: "15:00" },
  services: [
    { id: "dose1", prefix: "A", name: "Dosis 1" },
    { id: "dose2", prefix: "B", name: "Dosis 2" },
    { id: "booster", prefix: "C", name: "Booster" },
  ],
  priorities: [{ id: "elderly" }, { id: "disabled" }, { id: "regular" }],
  stages: [
    { id: "registration", name: "Pendaftaran", stations: 2 },
    { id: "screening", name: "Skrining", stations: 2 },
    { id: "vaccination", name: "Vaksinasi", stations: 3 },
    { id: "observation", name: "Observasi", stations: 1, hold_minutes: 30 },
  ],
};

const TOKENS = {
  desk: "desk-6f1c0a9e4b7d2385c1e0f9a7b3d6c248",
  station: "station-2b8e5d1f7a3c9064e2b1d8f5a7c3e190",
  organiser: "organiser-9d4a7c1e3f6b8025d9a4c7e1f3b6a852",
  admin: "admin-5e2f8b1d9c6a3074e5f2b8d1c9a6e347",
};

// Children still running when node exits (a crash, a timeout) are killed.
const children = new Set();
process.on("exit", () => {
  for (const c of children) {
    try { c.kill("SIGKILL"); } catch (e) { /* gone already */ }
  }
});

function track(child) {
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

function assert(cond, msg) {
  if (!cond) throw new Error("assertion failed: " + (typeof msg === "function" ? msg() : msg));
}

// A loopback port nobody listens on right now.
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitUntil(pred, { timeout = 5000, step = 20, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await pred()) return;
    await sleep(step);
  }
  throw new Error("timed out waiting for " + what);
}

// One TCP exchange: connects, writes `data`, resolves with what came back
// once `done(text)` is true (or "" on any error).
function tcpExchange(port, data, done, timeout = 500) {
  return new Promise((resolve) => {
    let text = "";
    const sock = net.connect({ host: "127.0.0.1", port });
    const finish = (v) => { sock.destroy(); resolve(v); };
    sock.setTimeout(timeout, () => finish(""));
    sock.on("error", () => finish(""));
    sock.on("connect", () => { if (data) sock.write(data); else finish("connected"); });
    sock.on("data", (d) => { text += d; if (done(text)) finish(text); });
  });
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once("exit", () => { clearTimeout(t); resolve(true); });
  });
}

// A throwaway durable redis-server (AOF, appendfsync always).
class Redis {
  async start() {
    try {
      return await this._start();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async _start() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "antre-redis-"));
    this.port = await freePort();
    this.proc = track(spawn("redis-server", [
      "--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.tmp,
      "--appendonly", "yes", "--appendfsync", "always", "--save", "",
      "--daemonize", "no", "--logfile", path.join(this.tmp, "redis.log"),
    ], { stdio: "ignore" }));
    this.proc.on("error", () => {});
    await waitUntil(() => this.ping(), { what: "redis-server to answer" });
    return this;
  }

  get url() { return "redis://127.0.0.1:" + this.port + "/0"; }

  async ping() {
    if (this.proc.exitCode !== null) throw new Error("redis-server exited " + this.proc.exitCode);
    const r = await tcpExchange(this.port, "PING\r\n", (t) => t.includes("\r\n"));
    return r.startsWith("+PONG");
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGKILL");
      await waitExit(this.proc, 5000);
    }
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

// antred with its own config, events dir and secret in a temp dir.
class Antred {
  constructor(redisUrl, { events = [DEMO_EVENT], extra = [], tokens = TOKENS,
    binary = ANTRED } = {}) {
    this.binary = binary;
    this.redisUrl = redisUrl;
    this.events = events;
    this.extra = extra;
    this.tokens = tokens;
  }

  async start() {
    try {
      return await this._start();
    } catch (e) {
      await this.stop({ check: false });
      throw e;
    }
  }

  async _start() {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "antre-d-"));
    this.port = await freePort();
    this.base = "http://127.0.0.1:" + this.port;
    const eventsDir = path.join(this.tmp, "events");
    fs.mkdirSync(eventsDir);
    for (const ev of this.events)
      fs.writeFileSync(path.join(eventsDir, ev.id + ".json"), JSON.stringify(ev));
    this.conf = path.join(this.tmp, "antred.conf");
    const lines = [
      "listen 127.0.0.1:" + this.port,
      "redis " + this.redisUrl,
      "secret-file " + path.join(this.tmp, "secret"),
      "events-dir " + eventsDir,
      "web-root " + path.join(TOP, "clients", "web"),
      "public-url " + this.base,
      "redis-timeout-ms 1000",
      "log-level debug",
      ...Object.entries(this.tokens).map(([role, tok]) => "token " + role + " " + tok),
      ...this.extra,
    ];
    fs.writeFileSync(this.conf, lines.join("\n") + "\n");
    this.log = path.join(this.tmp, "antred.log");
    const fd = fs.openSync(this.log, "a");
    this.proc = track(spawn(this.binary, ["-c", this.conf], { stdio: ["ignore", fd, fd] }));
    fs.closeSync(fd);
    let spawnError = null;
    this.proc.on("error", (e) => { spawnError = e; });
    await waitUntil(async () => {
      if (spawnError) throw new Error("cannot start " + this.binary + ": " + spawnError.message);
      if (this.proc.exitCode !== null || this.proc.signalCode !== null)
        throw new Error("antred exited with " + (this.proc.exitCode ?? this.proc.signalCode) +
          ":\n" + this.logText());
      return (await tcpExchange(this.port, null, () => true, 200)) === "connected";
    }, { what: "antred to listen" });
    await waitUntil(async () => (await this.get("/healthz")).status === 200,
      { timeout: 10000, what: "healthz 200" });
    return this;
  }

  logText() {
    try { return fs.readFileSync(this.log, "utf8"); } catch (e) { return ""; }
  }

  // One request: { status, headers (a Headers), body (parsed JSON or text) }.
  async request(method, p, { body, role, token, headers = {}, raw } = {}) {
    const h = { ...headers };
    if (role) token = this.tokens[role];
    if (token) h.Authorization = "Bearer " + token;
    let data = raw;
    if (body !== undefined) {
      data = JSON.stringify(body);
      if (!h["Content-Type"]) h["Content-Type"] = "application/json";
    }
    const resp = await fetch(this.base + p, { method, headers: h, body: data,
      signal: AbortSignal.timeout(10000) });
    const text = await resp.text();
    const ctype = resp.headers.get("content-type") || "";
    return { status: resp.status, headers: resp.headers,
      body: ctype.startsWith("application/json") ? JSON.parse(text) : text };
  }

  get(p, opts) { return this.request("GET", p, opts); }
  post(p, body, opts = {}) { return this.request("POST", p, { ...opts, body }); }

  // Stops antred (SIGTERM) and fails on an unclean exit or a sanitizer report.
  async stop({ check = true } = {}) {
    let timedOut = false;
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      if (!(await waitExit(this.proc, 15000))) {
        timedOut = true;
        this.proc.kill("SIGKILL");
        await waitExit(this.proc, 5000);
      }
    }
    const text = this.logText();
    if (this.tmp) fs.rmSync(this.tmp, { recursive: true, force: true });
    if (!check) return text;
    if (timedOut) throw new Error("antred did not stop within 15 s");
    for (const mark of SANITIZER_MARKS)
      if (text.includes(mark)) throw new Error("sanitizer report from antred:\n" + text.slice(-6000));
    if (this.proc && this.proc.exitCode !== 0)
      throw new Error("antred exit " + (this.proc.exitCode ?? this.proc.signalCode) + ":\n" +
        text.slice(-3000));
    return text;
  }
}

// Content-Security-Policy: every page of every browser launched while this
// module is loaded (launchBrowser, or a test's own chromium.launch) is
// watched for violations: Chromium's console report, and the page's
// securitypolicyviolation event (logged by an init script).  Each one is
// added to page.errors (which the tests check) and the browser's close()
// throws with the list, so a page that needs more than antred's policy
// allows fails its file's teardown even if no test looked.
const CSP_MARK = /Content Security Policy|CSP violation/;

function cspReport() {
  document.addEventListener("securitypolicyviolation", (e) => {
    console.error("CSP violation: " + e.effectiveDirective + " blocked " +
      (e.blockedURI || "inline code") + " at " + e.sourceFile + ":" + e.lineNumber);
  });
}

function watchCsp(browser) {
  const violations = [];
  const newContext = browser.newContext.bind(browser);
  const close = browser.close.bind(browser);
  browser.cspViolations = violations;
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    await context.addInitScript(cspReport);
    context.on("page", (page) => page.on("console", (m) => {
      if (!CSP_MARK.test(m.text()))
        return;
      violations.push(page.url() + ": " + m.text());
      if (Array.isArray(page.errors)) page.errors.push("CSP: " + m.text());
    }));
    return context;
  };
  browser.close = async (...args) => {
    await close(...args);
    if (violations.length > 0)
      throw new Error("Content-Security-Policy violations:\n" + violations.join("\n"));
  };
  return browser;
}

try {
  const { chromium } = require("playwright-core");
  const launch = chromium.launch.bind(chromium);
  chromium.launch = async (...args) => watchCsp(await launch(...args));
} catch (e) {
  /* launchBrowser says what is missing */
}

// Debian's Chromium, headless, with a fresh profile (playwright's default).
async function launchBrowser() {
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch (e) {
    throw new Error("playwright-core is missing: run `npm ci --prefix tests/browser`");
  }
  if (!fs.existsSync(CHROMIUM))
    throw new Error(CHROMIUM + " is missing: apt-get install chromium (or set CHROMIUM)");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30000,
  });
}

// Records on page.errors what a page should never do: a script error, a
// console error, an answer of 400 or more ("HTTP 409: POST /v1/…", the path
// without `base`), a request that failed.  A stream cut or a request
// aborted by a closing page or a reload is not the page's fault.  The
// browser's "Failed to load resource" console line repeats an HTTP error.
function watchPageErrors(page, base) {
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push("page error: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
      page.errors.push("console: " + m.text());
  });
  page.on("response", (r) => {
    if (r.status() >= 400)
      page.errors.push("HTTP " + r.status() + ": " + r.request().method() + " " +
        (base ? r.url().replace(base, "") : r.url()));
  });
  page.on("requestfailed", (r) => {
    const why = r.failure() ? r.failure().errorText : "";
    if (!r.url().endsWith("/stream") && why !== "net::ERR_ABORTED")
      page.errors.push("request failed: " + r.url() + " " + why);
  });
  return page;
}

// A phone-sized page (390x844) that records script errors and failed loads.
async function phonePage(browser) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "id-ID",
    timezoneId: "Asia/Jakarta",
  });
  return watchPageErrors(await context.newPage());
}

// redis-server + antred; stop() stops both and throws what antred's check found.
async function startStack(opts) {
  const redis = await new Redis().start();
  let antred;
  try {
    antred = await new Antred(redis.url, opts).start();
  } catch (e) {
    await redis.stop();
    throw e;
  }
  return {
    redis, antred,
    async stop() {
      try { await antred.stop(); } finally { await redis.stop(); }
    },
  };
}

// Sets an event's test clock (antred-test) to `ms` since the epoch.
function setTestClock(redis, ev, ms) {
  const out = require("child_process").execFileSync("redis-cli",
    ["-p", String(redis.port), "SET", "antre:{" + ev + "}:test:clock", String(ms)],
    { encoding: "utf8", timeout: 10000 });
  assert(out.trim() === "OK", () => "SET test:clock: " + out);
}

// Milliseconds since the epoch of a wall-clock time in Jakarta (WIB, +07:00).
function wibMs(y, mo, d, h = 0, mi = 0, s = 0) {
  return Date.UTC(y, mo - 1, d, h, mi, s) - 7 * 3600 * 1000;
}

// startStack on antred-test with every event's test clock at `ms`: for the
// tests whose figures depend on the calendar day (codes that restart at
// A-001, issued_today, lookups by today's code), so that they do not fail
// when the real day changes under them (issue 17).
async function startPinnedStack(ms, opts = {}) {
  const stack = await startStack({ ...opts, binary: ANTRED_TEST,
    extra: ["test-clock 1", ...(opts.extra || [])] });
  try {
    for (const ev of opts.events || [DEMO_EVENT]) setTestClock(stack.redis, ev.id, ms);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

module.exports = {
  ANTRED_TEST, setTestClock, wibMs, startPinnedStack,
  TOP, ANTRED, CHROMIUM, DEMO_EVENT, TOKENS, SANITIZER_MARKS,
  sleep, assert, freePort, waitUntil, Redis, Antred, launchBrowser, watchPageErrors, phonePage, startStack,
};
