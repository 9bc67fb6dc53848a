// The organisers' dashboard (/web/dashboard.html?event=EV) in real headless
// Chromium at 1440x900: the token form, the figures against GET
// /v1/events/{ev}/stats, the SVG chart, a dose given through the API showing
// up live, the offline banner, the event chooser and the only-event default.
// The tests run in order on one antred with two events; the activity is made
// through the API in setup().
"use strict";

const net = require("net");
const { assert, startStack, launchBrowser, watchPageErrors, DEMO_EVENT, TOKENS, waitUntil,
  ANTRED_TEST, setTestClock, wibMs } = require("./lib");

const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT || "/tmp/dashboard.png";
const ORG = TOKENS.organiser;
let stack, browser, dash;          // dash: the page the later tests share

// The events' clock (antred-test, key test:clock): a Wednesday at 11:00 in
// Jakarta, inside the opening hours 08:00-15:00, so that the series, the
// rate and the forecast are live and the day's figures are the same
// whenever the tests run.  The last test steps it across midnight.
const CLOCK = wibMs(2026, 7, 15, 11, 0, 0);

const DEMO = { ...DEMO_EVENT, hours: { open: "08:00", close: "15:00" } };
const BALAI = { ...DEMO_EVENT, id: "balai", name: "Vaksinasi Balai Desa Mekarsari",
  daily_target: 400 };

const INT = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
const DEC1 = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
const n = (x) => (x === null || x === undefined ? "–" : INT.format(x));
const d1 = (x) => (x === null || x === undefined ? "–" : DEC1.format(x));
const mins = (s) => (s === null || s === undefined ? "–" : DEC1.format(s / 60));

// ---- the API --------------------------------------------------------------

async function issue(ev, body) {
  const r = await stack.antred.post("/v1/events/" + ev + "/tickets", body, { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  return r.body.ticket;
}

async function op(ev, station, what, body, want = 200) {
  const r = await stack.antred.post("/v1/events/" + ev + "/stations/" + station + "/" + what,
    body, { role: "station" });
  assert(r.status === want, () => what + " at " + station + ": " + r.status + " " +
    JSON.stringify(r.body));
  return r.body;
}

// Calls the next at a station, starts and completes them.
async function serve(ev, station, outcome = "done") {
  const c = await op(ev, station, "call");
  await op(ev, station, "start");
  await op(ev, station, "complete", { outcome });
  return c.ticket;
}

async function stats(ev = "demo") {
  const r = await stack.antred.get("/v1/events/" + ev + "/stats", { role: "organiser" });
  assert(r.status === 200, () => "stats: " + r.status + " " + JSON.stringify(r.body));
  return r.body;
}

// ---- the browser ----------------------------------------------------------

// A 1440x900 page recording script errors and failed loads; with `token`,
// the organiser token is in sessionStorage before the page's script runs.
async function desktopPage(token) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1, locale: "id-ID", timezoneId: "Asia/Jakarta" });
  if (token)
    await context.addInitScript((t) => sessionStorage.setItem("antre.organiser.token", t), token);
  return watchPageErrors(await context.newPage(), stack.antred.base);
}

function noErrors(page, expected = []) {
  const errs = page.errors.filter((e) => !expected.includes(e));
  assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
}

const text = (page, sel) => page.locator(sel).textContent();

async function openDashboard(page, query = "?event=demo") {
  const resp = await page.goto(stack.antred.base + "/web/dashboard.html" + query);
  assert(resp.status() === 200, () => "dashboard: HTTP " + resp.status());
}

// Waits until the dashboard shows figures (the doses are no longer "–").
async function shown(page) {
  await page.waitForFunction(() => {
    const d = document.getElementById("doses");
    return !document.getElementById("dash").hidden && d && d.textContent !== "–";
  }, null, { timeout: 5000 });
}

// ---- setup: two events, tickets through the stages --------------------------

exports.setup = async function () {
  stack = await startStack({ events: [DEMO, BALAI], binary: ANTRED_TEST,
    extra: ["test-clock 1"] });
  for (const ev of ["demo", "balai"]) setTestClock(stack.redis, ev, CLOCK);
  browser = await launchBrowser();
  const people = [
    ["dose1", "RT 01 Sukamaju", "elderly"], ["dose1", "RT 01 Sukamaju"], ["dose1", "RT 02 Sukamaju"],
    ["dose2", "RT 01 Sukamaju"], ["dose1", "Desa Mekarsari"], ["dose2", "RT 02 Sukamaju", "elderly"],
    ["booster", "RT 01 Sukamaju"], ["dose1"], ["dose1", "RT 02 Sukamaju"], ["dose2", "Desa Mekarsari"],
    ["dose1", "RT 03 Sukamaju"],
  ];
  for (const [service, area, priority] of people)
    await issue("demo", { service, ...(area ? { area } : {}), ...(priority ? { priority } : {}) });
  // registration: 5 + 3 through, one no-show, two left waiting
  for (let i = 0; i < 5; i++) await serve("demo", "registration-1");
  for (let i = 0; i < 3; i++) await serve("demo", "registration-2");
  await op("demo", "registration-2", "call");
  await op("demo", "registration-2", "skip");
  // screening: 6 through, one deferred, one left waiting
  for (let i = 0; i < 4; i++) await serve("demo", "screening-1");
  await serve("demo", "screening-2", "deferred");
  for (let i = 0; i < 2; i++) await serve("demo", "screening-2");
  // vaccination: 4 doses, two left waiting, one desk paused
  for (let i = 0; i < 3; i++) await serve("demo", "vaccination-1");
  await serve("demo", "vaccination-2");
  await op("demo", "vaccination-3", "pause");
  // the other event: one dose
  await issue("balai", { service: "dose1", area: "RT 05 Mekarsari" });
  await issue("balai", { service: "dose1" });
  for (const st of ["registration-1", "screening-1", "vaccination-1"]) await serve("balai", st);
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

// ---- tests ------------------------------------------------------------------

exports.asks_for_the_token_once = async function () {
  const page = await desktopPage();
  try {
    await openDashboard(page);
    await page.locator("#login").waitFor({ state: "visible", timeout: 5000 });
    assert(await page.locator("#dash").isHidden(), "no figures before the token");
    assert((await text(page, "label[for=token]")) === "Token penyelenggara", "the form's label");
    assert((await page.locator("#token").getAttribute("type")) === "password", "a password field");

    await page.fill("#token", "not-a-token");
    await page.click("#login-submit");
    await page.locator("#login-error").waitFor({ state: "visible", timeout: 5000 });
    assert((await text(page, "#login-error")).includes("tidak dikenal"), "unknown token said");

    await page.fill("#token", TOKENS.desk);
    await page.click("#login-submit");
    await page.waitForFunction(() => /tidak berhak/.test(
      document.getElementById("login-error").textContent), null, { timeout: 5000 });

    await page.fill("#token", ORG);
    await page.click("#login-submit");
    await shown(page);
    const kept = await page.evaluate(() => [sessionStorage.getItem("antre.organiser.token"),
      localStorage.getItem("antre.organiser.token")]);
    assert(kept[0] === ORG && kept[1] === null, () => "kept for the session only: " + kept);

    // asked once: a reload goes straight to the figures
    await page.reload();
    await shown(page);
    assert(await page.locator("#login").isHidden(), "no form after a reload");

    // "Keluar" forgets it
    await page.click("#logout");
    await page.locator("#login").waitFor({ state: "visible", timeout: 2000 });
    assert((await page.evaluate(() => sessionStorage.getItem("antre.organiser.token"))) === null,
      "forgotten");

    // "Ingat di perangkat ini" keeps it in localStorage
    await page.fill("#token", ORG);
    await page.check("#remember");
    await page.click("#login-submit");
    await shown(page);
    assert((await page.evaluate(() => localStorage.getItem("antre.organiser.token"))) === ORG,
      "remembered");
    const statsUrl = "GET /v1/events/demo/stats";
    noErrors(page, ["HTTP 401: " + statsUrl, "HTTP 403: " + statsUrl]);
  } finally {
    await page.context().close();
  }
};

exports.shows_what_the_stats_say = async function () {
  dash = await desktopPage(ORG);
  const p = dash;
  await openDashboard(p);
  await shown(p);
  // the roll-up arrives with the same refresh; wait for its two rows
  await p.waitForFunction(() => document.querySelectorAll("#rollup-body tr[data-event]").length === 2,
    null, { timeout: 5000 });
  const s = await stats();
  assert(s.today.doses === 4 && s.today.issued === 11, () => "seeded: " + JSON.stringify(s.today));

  assert((await text(p, "#event-name")) === DEMO.name, "event name");
  const headline = await text(p, "#headline");
  assert(headline === "Dosis hari ini " + n(s.today.doses) + " / " + n(s.target),
    () => "headline: " + JSON.stringify(headline));
  for (const [sel, v] of [["#doses", s.today.doses], ["#target", s.target],
    ["#issued", s.today.issued], ["#waiting", s.today.waiting], ["#deferred", s.today.deferred],
    ["#refused", s.today.refused], ["#no-show", s.today.no_show],
    ["#forecast", s.forecast.expected_at_close]]) {
    const got = await text(p, sel);
    assert(got === n(v), () => sel + ": page " + JSON.stringify(got) + ", API " + v);
  }
  assert((await text(p, "#rate")) === d1(s.forecast.rate_per_hour), "rate per hour");
  // the forecast as a range, with what it is made of
  const range = await text(p, "#forecast-range");
  assert(range === "rentang " + n(s.forecast.low) + "–" + n(s.forecast.high) + " · di dalam " +
    n(s.forecast.in_building) + " · akan datang ±" + n(s.forecast.arrivals_expected),
    () => "forecast range: " + range + " vs " + JSON.stringify(s.forecast));
  assert(s.forecast.low <= s.forecast.expected_at_close &&
    s.forecast.expected_at_close <= s.forecast.high, "the central figure in its range");
  const margin = await text(p, "#margin");
  const m = s.forecast.margin;
  assert(margin.startsWith(m < 0 ? "kurang " + n(-m) : m > 0 ? "lebih " + n(m) : "tepat"),
    () => "margin: " + margin + " for " + m);

  // stages and their desks
  for (const sg of s.stages) {
    const row = p.locator("tr.stage[data-stage='" + sg.id + "']");
    const cellOf = (c) => row.locator("td." + c).textContent();
    assert((await cellOf("c-waiting")) === n(sg.waiting), () => sg.id + " waiting");
    assert((await cellOf("c-served")) === n(sg.served), () => sg.id + " served");
    assert((await cellOf("c-avg-wait")) === mins(sg.avg_wait_s), () => sg.id + " avg wait");
    assert((await cellOf("c-p90-wait")) === mins(sg.p90_wait_s), () => sg.id + " p90 wait");
    assert((await cellOf("c-avg-service")) === mins(sg.avg_service_s), () => sg.id + " service");
    assert((await cellOf("c-tp60")) === n(sg.throughput_per_hour.last_60), () => sg.id + " tp60");
    assert((await cellOf("c-open")) === n(sg.stations_open) + " / " + n(sg.stations.length),
      () => sg.id + " open desks");
    assert((await cellOf("c-capacity")) === d1(sg.capacity_per_hour), () => sg.id + " capacity");
    for (const st of sg.stations) {
      const srow = p.locator("tr.station[data-station='" + st.id + "']");
      const served = await srow.locator("td.c-served").textContent();
      assert(served === n(st.served), () => st.id + " served: " + served + " vs " + st.served);
      const state = await srow.locator("td.c-open").textContent();
      assert(state === (st.state === "paused" ? "jeda" : "buka"), () => st.id + " state " + state);
    }
  }
  assert(s.stages.find((x) => x.id === "vaccination").stations_open === 2, "a paused desk");

  // the bottleneck and its recommendation
  assert(s.bottleneck, "the seeded day has a bottleneck");
  const rec = await text(p, "#recommendation");
  assert(rec === s.bottleneck.recommendation, () => "recommendation: " + rec + " vs " +
    s.bottleneck.recommendation);
  assert(await p.locator("#recommendation").isVisible(), "recommendation visible");
  const bnRows = await p.locator("tr.stage.is-bottleneck").evaluateAll((rs) =>
    rs.map((r) => r.getAttribute("data-stage")));
  assert(bnRows.length === 1 && bnRows[0] === s.bottleneck.stage, () => "highlighted " + bnRows);

  // idle desks: the daemon's list but for timed waits (observation)
  const holds = new Set(DEMO.stages.filter((x) => x.hold_minutes > 0).map((x) => x.id));
  const idle = s.idle.filter((x) => !holds.has(x.stage));
  const idleShown = await p.locator("#idle li[data-station]").evaluateAll((ls) =>
    ls.map((l) => [l.getAttribute("data-station"), l.textContent]));
  assert(idleShown.length === idle.length && idle.every((x, i) => idleShown[i][0] === x.station &&
    idleShown[i][1].endsWith(", " + n(x.waiting) + " orang menunggu")),
    () => "idle: " + JSON.stringify(idleShown) + " vs " + JSON.stringify(idle));

  // areas, most doses first
  const areas = await p.locator("#areas-body tr").evaluateAll((rs) =>
    rs.map((r) => [r.querySelector(".name").textContent, r.querySelector(".c-doses").textContent]));
  assert(areas.length === s.areas.length && s.areas.every((a, i) =>
    areas[i][0] === (a.area === null ? "(tanpa wilayah)" : a.area) && areas[i][1] === n(a.doses)),
    () => "areas: " + JSON.stringify(areas) + " vs " + JSON.stringify(s.areas));
  for (let i = 1; i < s.areas.length; i++) assert(s.areas[i - 1].doses >= s.areas[i].doses, "sorted");
  // every dose has an area (null for none): no area is missing from the list
  const inAreas = s.areas.reduce((sum, a) => sum + a.doses, 0);
  assert(inAreas === s.today.doses, () => "the areas' doses add up to " + inAreas + ", not " +
    s.today.doses + ": " + JSON.stringify(s.areas));

  // the roll-up of both events
  const r = await stack.antred.get("/v1/stats", { role: "organiser" });
  assert(r.status === 200, "roll-up");
  for (const e of r.body.events) {
    const row = p.locator("#rollup-body tr[data-event='" + e.event + "']");
    assert((await row.locator(".c-doses").textContent()) === n(e.doses), () => e.event + " doses");
    assert((await row.locator(".c-waiting").textContent()) === n(e.waiting), () => e.event + " waiting");
  }

  // the chart: an SVG with the doses, the dashed forecast and the target
  const chart = await p.evaluate(() => {
    const svg = document.querySelector("#chart svg");
    if (!svg) return null;
    const line = svg.querySelector(".doses-line"), t = svg.querySelector(".target-line");
    const f = svg.querySelector(".forecast-line"), dot = svg.querySelector(".doses-dot");
    return {
      tag: line && line.tagName, points: line ? line.getAttribute("points").trim().split(/\s+/) : [],
      target: t && [t.getAttribute("y1"), t.getAttribute("y2"), t.getAttribute("x1"), t.getAttribute("x2")],
      dash: f && f.getAttribute("stroke-dasharray"),
      dotY: dot && dot.getAttribute("cy"),
      labels: [...svg.querySelectorAll("text")].map((x) => x.textContent),
      width: svg.getBoundingClientRect().width,
    };
  });
  assert(chart, "an svg in #chart");
  assert(chart.tag === "polyline" && chart.points.length >= 2, () => "doses line: " + JSON.stringify(chart));
  const lastY = chart.points[chart.points.length - 1].split(",")[1];
  assert(Number(lastY) === Number(chart.dotY), () => "the line ends at today's doses: " + lastY + " " + chart.dotY);
  assert(chart.target && chart.target[0] === chart.target[1] && Number(chart.target[3]) > Number(chart.target[2]),
    () => "a horizontal target line: " + chart.target);
  assert(chart.dash, "a dashed forecast line");
  assert(chart.labels.includes("Target " + n(s.target)), () => "target label: " + chart.labels);
  assert(chart.labels.some((l) => /^\d\d\.00$/.test(l)), () => "hour labels: " + chart.labels);
  assert(chart.width > 600, () => "the chart is wide: " + chart.width);
  assert(await p.locator("#offline").isHidden(), "no offline banner");
  noErrors(p);
};

exports.a_dose_shows_up_live = async function () {
  const p = dash;
  assert(p, "the previous test's page is open");
  const before = await stats();
  await p.evaluate(() => { window.antreNotReloaded = true; });
  // the stream is up: the live mark says so
  await p.waitForFunction(() => document.getElementById("live").classList.contains("up"), null,
    { timeout: 5000 });
  const t0 = Date.now();
  await serve("demo", "vaccination-2");
  const want = n(before.today.doses + 1);
  // a loaded machine (CI runs two builds side by side) takes seconds: the
  // bound is what a person would call "not live", not a speed target
  await p.waitForFunction((w) => document.getElementById("doses").textContent === w, want,
    { timeout: 10000, polling: 50 });
  const waited = ((Date.now() - t0) / 1000).toFixed(1);
  assert(await p.evaluate(() => window.antreNotReloaded === true), "no reload");
  const after = await stats();
  assert(after.today.doses === before.today.doses + 1, "the API counted it");
  const vacc = after.stages.find((x) => x.id === "vaccination");
  await p.waitForFunction((w) => document.querySelector("tr.stage[data-stage=vaccination] .c-served")
    .textContent === w, n(vacc.served), { timeout: 10000 });
  assert((await text(p, "#headline")).startsWith("Dosis hari ini " + want), "headline follows");
  await p.screenshot({ path: SCREENSHOT });
  await p.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-full.png"), fullPage: true });
  console.log("     the page showed the dose after " + waited + " s; screenshot " + SCREENSHOT);
  noErrors(p);
};

// A TCP relay to antred that can drop every connection and refuse new ones,
// as a venue's Wi-Fi or a restarting daemon does.
async function relay(port) {
  const socks = new Set();
  let up = true;
  const server = net.createServer((c) => {
    if (!up) { c.destroy(); return; }
    const u = net.connect({ host: "127.0.0.1", port });
    socks.add(c);
    socks.add(u);
    const gone = () => { c.destroy(); u.destroy(); socks.delete(c); socks.delete(u); };
    c.on("error", gone).on("close", gone);
    u.on("error", gone).on("close", gone);
    c.pipe(u);
    u.pipe(c);
  });
  await new Promise((res) => server.listen(0, "127.0.0.1", res));
  return {
    base: "http://127.0.0.1:" + server.address().port,
    cut() { up = false; for (const x of socks) x.destroy(); socks.clear(); },
    mend() { up = true; },
    close() { this.cut(); return new Promise((res) => server.close(res)); },
  };
}

exports.offline_banner_when_the_stream_drops = async function () {
  if (dash) await dash.context().close();
  dash = null;
  const link = await relay(stack.antred.port);
  const p = await desktopPage(ORG);
  try {
    await p.goto(link.base + "/web/dashboard.html?event=demo");
    await shown(p);
    await p.waitForFunction(() => document.getElementById("live").classList.contains("up"), null,
      { timeout: 5000 });
    assert(await p.locator("#offline").isHidden(), "no banner while connected");
    link.cut();
    await p.locator("#offline").waitFor({ state: "visible", timeout: 5000 });
    assert((await text(p, "#offline")).length > 10, "the banner says something");
    assert((await text(p, "#live-text")) === "Terputus", "the live mark says so");
    assert((await text(p, "#doses")) !== "–", "the last figures stay");
    link.mend();
    // EventSource retries after the stream's `retry: 3000`, the page after 5 s
    await p.locator("#offline").waitFor({ state: "hidden", timeout: 12000 });
    await p.waitForFunction(() => document.getElementById("live").classList.contains("up"), null,
      { timeout: 5000 });
    // and it is live again
    const before = await stats();
    await serve("demo", "vaccination-1");
    await p.waitForFunction((w) => document.getElementById("doses").textContent === w,
      n(before.today.doses + 1), { timeout: 3000, polling: 50 });
    // requests made while the link was down fail without an HTTP status
    noErrors(p, p.errors.filter((e) => e.startsWith("request failed: ")));
  } finally {
    await p.context().close();
    await link.close();
  }
};

exports.chooser_when_there_are_several_events = async function () {
  const p = await desktopPage(ORG);
  try {
    await openDashboard(p, "");
    await p.locator("#chooser").waitFor({ state: "visible", timeout: 5000 });
    const links = await p.locator("#events a").evaluateAll((as) =>
      as.map((a) => [a.textContent, a.getAttribute("href")]));
    // by name
    assert(JSON.stringify(links) === JSON.stringify([[DEMO.name, "?event=demo"],
      [BALAI.name, "?event=balai"]].sort()), () => "links: " + JSON.stringify(links));
    await p.click("#events a >> text=" + BALAI.name);
    await shown(p);
    const s = await stats("balai");
    assert((await text(p, "#event-name")) === BALAI.name, "the other event");
    assert((await text(p, "#doses")) === n(s.today.doses) && s.today.doses === 1, "its doses");
    assert((await text(p, "#target")) === n(400), "its target");
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

exports.unknown_event_is_said = async function () {
  const p = await desktopPage(ORG);
  try {
    await openDashboard(p, "?event=nope");
    await p.locator("#fatal").waitFor({ state: "visible", timeout: 5000 });
    assert((await text(p, "#fatal")).includes("nope"), "names it");
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

// Its own antred with one event: no ?event= needed.
exports.the_only_event_is_the_default = async function () {
  const one = await startStack();
  const p = await desktopPage(ORG);
  try {
    const resp = await p.goto(one.antred.base + "/web/dashboard.html");
    assert(resp.status() === 200, "page");
    await shown(p);
    assert((await text(p, "#event-name")) === DEMO_EVENT.name, "the only event");
    assert((await text(p, "#doses")) === "0", "no doses yet");
    await waitUntil(async () => (await p.locator("#rollup-body tr[data-event]").count()) === 1,
      { what: "a one-line roll-up" });
    noErrors(p);
  } finally {
    await p.context().close();
    await one.stop();
  }
};

// Midnight in Jakarta, on purpose: the clock goes to 23:59:58 WIB, a ticket
// is issued, then to 00:00:01 the next day, where a dose is given and a
// ticket issued.  The open page follows live to the new day's figures (and
// its date), and the previous day's report still has that day's tickets.
exports.crosses_midnight_wib = async function () {
  const p = await desktopPage(ORG);
  try {
    setTestClock(stack.redis, "demo", wibMs(2026, 7, 15, 23, 59, 58));
    const late = await issue("demo", { service: "dose1" });
    assert(late.id.startsWith("20260715-"), () => "issued on the 15th: " + late.id);
    await openDashboard(p);
    await shown(p);
    const before = await stats();
    assert(before.day === "2026-07-15" || before.day === "20260715",
      () => "stats day before midnight: " + before.day);
    assert(await text(p, "#issued") === n(before.today.issued), "issued before midnight");
    assert(before.today.issued === 12, () => "11 seeded and one late: " + before.today.issued);
    assert((await text(p, "#event-meta")).includes("15 Juli 2026"), "the 15th on the page");

    setTestClock(stack.redis, "demo", wibMs(2026, 7, 16, 0, 0, 1));
    const early = await issue("demo", { service: "dose2" });
    assert(early.id === "20260716-B001", () => "numbering starts again: " + early.id);
    // a ticket through to the dose: today's dose, whichever day it was issued
    for (const st of ["registration-1", "screening-1", "vaccination-1"]) await serve("demo", st);
    const after = await stats();
    assert(after.today.issued === 1 && after.today.doses === 1,
      () => "the new day's figures: " + JSON.stringify(after.today));
    await p.waitForFunction(([d, i]) => document.getElementById("doses").textContent === d &&
      document.getElementById("issued").textContent === i, [n(1), n(1)],
    { timeout: 8000, polling: 50 });
    await p.waitForFunction(() => document.getElementById("event-meta").textContent
      .includes("16 Juli 2026"), null, { timeout: 8000 });

    // the day before, by date: its twelve tickets, the late one last
    const r = await stack.antred.get("/v1/events/demo/report.json?date=2026-07-15",
      { role: "organiser" });
    assert(r.status === 200 && r.body.totals.issued === 12, () => "report: " +
      JSON.stringify(r.body.totals));
    assert(r.body.tickets[r.body.tickets.length - 1].code === late.code, "the late one is there");
    const today = await stack.antred.get("/v1/events/demo/report.json", { role: "organiser" });
    assert(today.status === 200 && today.body.date === "2026-07-16" &&
      today.body.totals.issued === 1, () => "today's report: " + JSON.stringify(today.body.totals));
    noErrors(p);
  } finally {
    await p.context().close();
  }
};
