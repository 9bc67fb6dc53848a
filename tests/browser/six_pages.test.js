// Six antre pages in ONE browser, as a venue laptop runs them (issue 13):
// the TV, the dashboard, the desk and three stations as tabs of one
// context.  A browser gives a host about six HTTP/1.1 connections; with a
// live stream per page they were all taken, the desk waited forever on
// "Mengambil nomor…" and a seventh tab never loaded.  The pages now share
// one stream per browser (clients/web/stream_worker.js): a ticket issued at
// the desk is called at a station and shown on the TV, a seventh tab loads,
// and antred holds ONE stream (its antre_sse_subscribers gauge).  The same
// without SharedWorker (Chrome on Android): a leader tab holds the stream
// for the others, and when it closes another takes over.  And a stalled
// server (antred SIGSTOPped: its connections stay open, nothing comes):
// the pages' live mark goes to "Terputus" within a bounded time, and back
// to "Langsung" once it runs again.
"use strict";

const fs = require("fs");
const path = require("path");
const { assert, startPinnedStack, launchBrowser, waitUntil, sleep, TOKENS, wibMs,
  watchPageErrors } = require("./lib");

const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);
// heartbeats every 2 s: a stall is seen after ~5 s (2.5 heartbeats)
const HEARTBEAT_S = 2;
const SHOTS = process.env.SIX_PAGES_SHOTS || "/tmp";
const STATIONS = ["registration-1", "registration-2", "screening-1"];
let stack, browser;

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK, { extra: ["sse-heartbeat " + HEARTBEAT_S] });
  browser = await launchBrowser();
};

exports.teardown = async function () {
  try {
    if (stack && stack.antred.proc.pid) process.kill(stack.antred.proc.pid, "SIGCONT");
  } catch (e) { /* not stopped */ }
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

// One context (one browser profile) with every page's token in its tabs'
// sessionStorage; without `shared`, SharedWorker is gone before any script.
async function newContext({ shared = true, locks = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1, locale: "id-ID", timezoneId: "Asia/Jakarta" });
  await context.addInitScript((t) => {
    sessionStorage.setItem("antre.desk.token", t.desk);
    sessionStorage.setItem("antre.station.token", t.station);
    sessionStorage.setItem("antre.organiser.token", t.organiser);
  }, TOKENS);
  if (!shared) await context.addInitScript(() => { delete window.SharedWorker; });
  // as on a plain-http LAN address, where browsers give pages no Web Locks
  if (!locks) await context.addInitScript(() => { delete Navigator.prototype.locks; });
  return context;
}

function noScriptErrors(pages) {
  const errs = [];
  for (const p of pages) if (!p.isClosed()) errs.push(...p.errors);
  assert(errs.length === 0, () => "the pages reported:\n" + errs.join("\n"));
}

const PAGES = {
  display: { url: "/web/display.html?event=demo", ready: '[data-station="registration-1"]' },
  dashboard: { url: "/web/dashboard.html?event=demo", ready: "#dash" },
  desk: { url: "/web/desk.html?event=demo", ready: "#main" },
  station: { url: "/web/station.html?event=demo&station=", ready: "#main" },
};

// A tab of `context` showing `kind` (a station: `station`), loaded and
// past its token check.
async function open(context, kind, station = "") {
  const p = watchPageErrors(await context.newPage(), stack.antred.base);
  p.kind = kind + (station ? " " + station : "");
  await p.goto(stack.antred.base + PAGES[kind].url + station, { timeout: 15000 });
  await p.locator(PAGES[kind].ready).waitFor({ state: "visible", timeout: 15000 });
  return p;
}

// The TV, the dashboard, the desk and three stations, each in its tab.
async function openSix(context) {
  const pages = {};
  pages.desk = await open(context, "desk");
  pages.display = await open(context, "display");
  pages.dashboard = await open(context, "dashboard");
  pages.stations = [];
  for (const st of STATIONS) pages.stations.push(await open(context, "station", st));
  pages.all = [pages.desk, pages.display, pages.dashboard, ...pages.stations];
  return pages;
}

// The live mark of an operator page (#live-text), "Langsung" or "Terputus".
async function liveText(p, want, timeout) {
  await p.waitForFunction((w) => {
    const t = document.getElementById("live-text");
    return t && t.textContent === w && !document.getElementById("live").hidden;
  }, want, { timeout }).catch(async () => {
    throw new Error(p.kind + ": the live mark is not " + JSON.stringify(want) + " but " +
      JSON.stringify(await p.locator("#live-text").textContent()) + " after " + timeout + " ms");
  });
}

// The streams antred holds now (GET /metrics, antre_sse_subscribers).
async function subscribers() {
  const r = await stack.antred.get("/metrics");
  assert(r.status === 200, "metrics " + r.status);
  const m = /^antre_sse_subscribers (\d+)$/m.exec(r.body);
  assert(m, "no antre_sse_subscribers in /metrics");
  return Number(m[1]);
}

async function oneStream(what) {
  let n = -1, m = -1;
  // one stream, and still one half a second later.  A takeover without Web
  // Locks may pass through none or two for a moment: two tabs that claim at
  // once both open one, and the one with the larger key closes its own
  // (seen under the whole suite's load: one, then none while the other's
  // was still connecting)
  await waitUntil(async () => {
    if ((n = await subscribers()) !== 1) return false;
    await sleep(500);
    return (m = await subscribers()) === 1;
  }, { timeout: 20000, step: 200, what: "" }).catch(() => {
    throw new Error(what + ": antred holds " + n + " then " + m + " streams, not one");
  });
}

async function tvCode(tv, station) {
  return tv.locator('[data-station="' + station + '"] .code').textContent();
}

async function stationOp(station, what, body) {
  return stack.antred.post("/v1/events/demo/stations/" + station + "/" + what, body,
    { role: "station" });
}

// Every station of the test holding nobody (what an earlier test called
// there served and done), whatever ran before.
async function freeStations() {
  for (const st of STATIONS) {
    await stationOp(st, "start");                          // 409 when not called
    await stationOp(st, "complete", { outcome: "done" });  // 409 when holding none
  }
}

// Issued at the desk (a click on Dosis 1): the card's code, or what the
// desk says instead (a screenshot of the desk either way).
async function issueAtDesk(desk, shot) {
  const before = await desk.locator("#code").textContent();
  await desk.click(".service[data-service=dose1]");
  let code = null;
  await desk.waitForFunction((b) => {
    const c = document.getElementById("code").textContent;
    return c !== b && /^A-\d{3}$/.test(c);
  }, before, { timeout: 12000 }).then(async () => { code = await desk.locator("#code")
    .textContent(); }, () => {});
  if (shot) {
    fs.mkdirSync(SHOTS, { recursive: true });
    await desk.screenshot({ path: path.join(SHOTS, shot) });
    console.log("     screenshot " + path.join(SHOTS, shot));
  }
  if (!code)
    throw new Error("the desk issued nothing: it shows " +
      JSON.stringify(await desk.locator("#code").textContent()) + ", " +
      JSON.stringify(await desk.locator("#msg").textContent()));
  return code;
}

// The station's Space calls the next (`code`, or whoever is first); the
// TV shows that code at that desk.
async function callAndSee(st, station, tv, code = null) {
  await st.bringToFront();
  await st.evaluate(() => { if (document.activeElement) document.activeElement.blur(); });
  await st.keyboard.press(" ");
  await st.waitForFunction((c) => {
    const h = document.getElementById("h-code").textContent;
    return c ? h === c : /^[A-Z]-\d{3}$/.test(h);
  }, code, { timeout: 10000 });
  const called = await st.locator("#h-code").textContent();
  await waitUntil(async () => (await tvCode(tv, station)) === called,
    { timeout: 10000, what: "the TV to show " + called + " at " + station });
}

exports.six_pages_share_one_stream = async function () {
  const context = await newContext();
  try {
    const pages = await openSix(context);
    for (const p of [pages.desk, ...pages.stations]) await liveText(p, "Langsung", 10000);
    const code = await issueAtDesk(pages.desk, "six_pages_desk.png");
    await oneStream("six pages");
    assert(code === "A-001", () => "the first ticket " + code);
    await callAndSee(pages.stations[0], STATIONS[0], pages.display, code);
    // the dashboard follows the same stream: the call counts
    await pages.dashboard.waitForFunction(() =>
      document.getElementById("live").classList.contains("up"), null, { timeout: 10000 });
    // a seventh tab loads and goes live
    const seventh = await open(context, "station", "vaccination-1");
    await liveText(seventh, "Langsung", 10000);
    await oneStream("seven pages");
    const modes = await Promise.all([...pages.all, seventh].map((p) =>
      p.evaluate(() => window.antre.streamMode())));
    assert(modes.every((m) => m === "worker"), () => "modes: " + modes.join(", "));
    noScriptErrors([...pages.all, seventh]);
  } finally {
    await context.close();
  }
  // the last page gone, the worker closes the stream
  await waitUntil(async () => (await subscribers()) === 0, { timeout: 10000, step: 200,
    what: "the stream closed with the last page" });
};

// Without SharedWorker: one tab leads, the others follow; the leader
// closes and another takes over.
async function leaderTakesOver(opts) {
  await freeStations();
  const context = await newContext(opts);
  try {
    const pages = await openSix(context);
    for (const p of [pages.desk, ...pages.stations]) await liveText(p, "Langsung", 10000);
    await oneStream("six pages, a leader tab");
    const modes = await Promise.all(pages.all.map((p) =>
      p.evaluate(() => window.antre.streamMode())));
    assert(modes.filter((m) => m === "leader").length === 1 &&
      modes.filter((m) => m === "follower").length === 5, () => "modes: " + modes.join(", "));
    const code = await issueAtDesk(pages.desk);
    await callAndSee(pages.stations[1], STATIONS[1], pages.display, code);
    // the leader closes: another tab takes over, the others keep following
    const leader = pages.all[modes.indexOf("leader")];
    assert(leader !== pages.display && leader !== pages.stations[2],
      "the test closes another tab than the TV and the last station: " + leader.kind);
    await leader.close();
    const left = pages.all.filter((p) => p !== leader);
    await waitUntil(async () => (await Promise.all(left.map((p) =>
      p.evaluate(() => window.antre.streamMode())))).filter((m) => m === "leader").length === 1,
    { timeout: 20000, what: "a new leader" });
    await oneStream("after the leader left");
    // registration done (through the API), screening calls its first
    for (const [what, body] of [["start"], ["complete", { outcome: "done" }]]) {
      const r = await stationOp(STATIONS[1], what, body);
      assert(r.status === 200, () => what + ": " + r.status + " " + JSON.stringify(r.body));
    }
    await callAndSee(pages.stations[2], STATIONS[2], pages.display);
    for (const p of pages.stations) await liveText(p, "Langsung", 10000);
    noScriptErrors(left);
  } finally {
    await context.close();
  }
}

exports.without_shared_worker_a_leader_tab_holds_it = () => leaderTakesOver({ shared: false });

// The same where there are no Web Locks either: elected over the
// BroadcastChannel alone.
exports.without_web_locks_the_tabs_elect_by_broadcast = () =>
  leaderTakesOver({ shared: false, locks: false });

exports.a_stalled_server_is_seen = async function () {
  const context = await newContext();
  const pid = stack.antred.proc.pid;
  let stopped = false;
  try {
    const desk = await open(context, "desk");
    const st = await open(context, "station", "registration-1");
    for (const p of [desk, st]) await liveText(p, "Langsung", 10000);
    process.kill(pid, "SIGSTOP");
    stopped = true;
    const t0 = Date.now();
    // 2.5 heartbeats (5 s), with room for a loaded machine
    for (const p of [desk, st]) await liveText(p, "Terputus", 20000);
    console.log("     stall seen after " + (Date.now() - t0) + " ms");
    fs.mkdirSync(SHOTS, { recursive: true });
    await desk.screenshot({ path: path.join(SHOTS, "six_pages_stalled_desk.png") });
    // the desk does not wait silently on a stalled server: it says so,
    // with "Coba lagi", within its write budget
    await desk.click(".service[data-service=dose2]");
    await desk.locator("#again-box").waitFor({ state: "visible", timeout: 25000 });
    const msg = await desk.locator("#msg").textContent();
    assert(/Coba lagi/.test(msg), () => "the desk says: " + msg);
    process.kill(pid, "SIGCONT");
    stopped = false;
    for (const p of [desk, st]) await liveText(p, "Langsung", 20000);
    // and it is live: the retried ticket shows up at the station's count
    await desk.click("#again");
    await desk.waitForFunction(() => /^B-\d{3}$/.test(document.getElementById("code").textContent),
      null, { timeout: 15000 });
    noScriptErrors([desk, st]);
  } finally {
    if (stopped) process.kill(pid, "SIGCONT");
    await context.close();
  }
};
