// The person's status page (/t/{ev}/{id}?sig=) in real headless Chromium on a
// phone-sized viewport: waiting, position, being called (live, from the
// ticket's stream), the alerts (banner, vibration, notification), polling
// when the stream cannot be had, and a tampered link.  Notification and
// navigator.vibrate are replaced by recorders before the page's scripts run.
// The tests run in order on one antred: the third calls the first's ticket
// and watches the page the first opened; the later ones follow the queue on.
"use strict";

const { assert, startPinnedStack, launchBrowser, phonePage, wibMs, setTestClock, DEMO_EVENT,
  waitUntil } = require("./lib");

// The event's clock (antred-test, key test:clock): a fixed morning in
// Jakarta, so that the codes start at A-001, issued_today counts these
// tickets and lookups by code find them whatever the real day (issue 17).
const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);

// A second event whose timed wait (a rest after the jab) is not the last
// stage: its countdown leads to the next stage, not home.
const CLINIC = {
  id: "klinik", name: "Klinik Uji", timezone: "Asia/Jakarta", daily_target: 100,
  hours: { open: "08:00", close: "15:00" },
  services: [{ id: "dose1", prefix: "A", name: "Dosis 1" }],
  priorities: [{ id: "regular" }],
  stages: [
    { id: "vaccination", name: "Vaksinasi", stations: 1 },
    { id: "rest", name: "Istirahat", stations: 1, hold_minutes: 15 },
    { id: "card", name: "Kartu vaksin", stations: 1 },
  ],
};

const SCREENSHOT = process.env.BROWSER_SCREENSHOT || "/tmp/status.png";
let stack, browser, first, second, firstPage;

async function issue() {
  const r = await stack.antred.post("/v1/events/demo/tickets", { service: "dose1" }, { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  assert(typeof r.body.status_url === "string", () => JSON.stringify(r.body));
  return r.body;
}

const text = (page, sel) => page.locator(sel).textContent();

// Records notifications and vibrations instead of showing them; permission
// is as given, and becomes "granted" when the page asks.
function alertStub(permission) {
  window.antreNotes = [];
  window.antreBuzz = [];
  function Note(title, opts) { window.antreNotes.push({ title, body: opts && opts.body }); }
  Note.prototype.close = function () {};
  Note.permission = permission;
  Note.requestPermission = function (cb) {
    Note.permission = "granted";
    if (cb) cb("granted");
    return Promise.resolve("granted");
  };
  Object.defineProperty(window, "Notification", { value: Note, configurable: true, writable: true });
  Object.defineProperty(navigator, "vibrate", { configurable: true,
    value: (p) => { window.antreBuzz.push(p); return true; } });
  // phones vibrate only for a page that has been tapped: say it has
  Object.defineProperty(navigator, "userActivation", { configurable: true,
    value: { hasBeenActive: true, isActive: false } });
}

const recorded = (page) => page.evaluate(() => ({ notes: window.antreNotes, buzz: window.antreBuzz }));

// Opens a ticket's link and waits for the page to show its code.
async function openStatus(issued, { query = "", permission = "granted", before } = {}) {
  const page = await phonePage(browser);
  await page.addInitScript(alertStub, permission);
  if (before) await before(page);
  const resp = await page.goto(issued.status_url + query);
  assert(resp.status() === 200, () => "status page: HTTP " + resp.status());
  assert((resp.headers()["content-type"] || "").startsWith("text/html"), "status page is html");
  await page.waitForFunction((code) => document.getElementById("code").textContent === code,
    issued.ticket.code, { timeout: 5000 });
  return page;
}

// No script error and no failed request, but for the ones expected.
function noErrors(page, expected = []) {
  const ok = typeof expected === "function" ? expected : (e) => expected.includes(e);
  const errs = page.errors.filter((e) => !ok(e));
  assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
}

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK, { events: [DEMO_EVENT, CLINIC] });
  browser = await launchBrowser();
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

exports.waiting_first_shows_code_and_nobody_ahead = async function () {
  first = await issue();
  firstPage = await openStatus(first);
  const p = firstPage;
  assert((await text(p, "#code")) === first.ticket.code, "code");
  const head = await text(p, "#headline");
  assert(head.startsWith("Menunggu"), () => "headline: " + JSON.stringify(head));
  assert(head === "Menunggu di Pendaftaran", () => "headline names the stage: " + head);
  const pos = await text(p, "#position");
  assert(pos === "0 orang", () => "position: " + JSON.stringify(pos));
  assert((await text(p, "#stage")) === "Pendaftaran", "stage");
  assert((await text(p, "#detail")).includes("Anda berikutnya"), "detail for position 0");
  assert(await p.locator("#offline").isHidden(), "offline banner hidden");
  // nobody ahead is near the front (5 by default): the banner says so
  assert(await p.locator("#alert").isVisible(), "near banner");
  assert((await text(p, "#alert-title")) === "Sebentar lagi giliran Anda", "near banner title");
  assert((await text(p, "#alert-text")) === "Anda berikutnya di Pendaftaran. Bersiaplah.",
    "near banner text");
  // the stream is live
  await p.waitForFunction(() => document.getElementById("mode").textContent.includes("Langsung"),
    null, { timeout: 3000 });
  assert(await p.locator("#notify-box").isHidden(), "notifications already allowed: no button");
  const r = await recorded(p);
  assert(r.notes.length === 1 && r.notes[0].title === "Sebentar lagi giliran Anda (" +
    first.ticket.code + ")", () => "one notification: " + JSON.stringify(r.notes));
  assert(r.buzz.length === 1, () => "one vibration: " + JSON.stringify(r.buzz));
  noErrors(p);
};

exports.waiting_second_has_one_ahead = async function () {
  second = await issue();
  const p = await openStatus(second);
  try {
    assert((await text(p, "#code")) === second.ticket.code, "code");
    assert((await text(p, "#headline")).startsWith("Menunggu"), "headline");
    const pos = await text(p, "#position");
    assert(pos === "1 orang", () => "position: " + JSON.stringify(pos));
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

exports.called_live = async function () {
  assert(firstPage, "the first test's page is open");
  await firstPage.evaluate(() => { window.antreNotReloaded = true; });
  const t0 = Date.now();
  const c = await stack.antred.post("/v1/events/demo/stations/registration-1/call", undefined,
    { role: "station" });
  assert(c.status === 200, () => "call: " + c.status + " " + JSON.stringify(c.body));
  assert(c.body.ticket.id === first.ticket.id, () => "called " + c.body.ticket.id);
  // the stream brings it: no 5 s polling wait
  await firstPage.waitForFunction(
    () => document.getElementById("headline").textContent.startsWith("Dipanggil"),
    null, { timeout: 2500, polling: 50 });
  const waited = Date.now() - t0;
  assert(await firstPage.evaluate(() => window.antreNotReloaded === true), "no reload");
  const head = await text(firstPage, "#headline");
  assert(head.includes("meja pendaftaran 1"), () => "headline names the desk: " + head);
  assert(head === "Dipanggil! Silakan ke meja pendaftaran 1", () => "headline: " + head);
  assert((await firstPage.locator("#now").getAttribute("class")) === "card called", "card class");
  assert((await text(firstPage, "#position")) === "–", "no position once called");
  assert((await firstPage.locator("#alert").getAttribute("class")) === "alert called",
    "the called banner");
  assert((await text(firstPage, "#alert-title")) === "Giliran Anda!", "called banner title");
  assert((await text(firstPage, "#alert-text")) === "Silakan ke meja pendaftaran 1 sekarang.",
    "called banner names the desk");
  assert((await firstPage.title()) === "Dipanggil! " + first.ticket.code, "title");
  // once for being near, once for the call (the ticket's update that
  // follows the call does not alert again)
  await firstPage.waitForTimeout(1500);
  const r = await recorded(firstPage);
  assert(r.notes.length === 2 && r.notes[1].title === "Giliran Anda! " + first.ticket.code &&
    r.notes[1].body === "Silakan ke meja pendaftaran 1 sekarang.",
  () => "notifications: " + JSON.stringify(r.notes));
  assert(r.buzz.length === 2, () => "vibrations: " + JSON.stringify(r.buzz));
  // a recall alerts again
  const rc = await stack.antred.post("/v1/events/demo/stations/registration-1/recall", undefined,
    { role: "station" });
  assert(rc.status === 200, () => "recall: " + rc.status);
  await firstPage.waitForFunction(() => window.antreNotes.length === 3, null, { timeout: 2500 });
  noErrors(firstPage);
  await firstPage.waitForTimeout(600);   // the banner has stopped pulsing
  await firstPage.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log("     the page showed the call after " + waited + " ms; screenshot " + SCREENSHOT);
  await firstPage.context().close();
  firstPage = null;
};

// A-002 (second) waits first now; three more behind it.  The last one's page,
// with ?near=2, sees its position drop live when A-002 is called.
exports.position_updates_live_and_near_alert = async function () {
  const more = [await issue(), await issue(), await issue()];
  const last = more[2];
  const p = await openStatus(last, { query: "&near=2", permission: "default" });
  try {
    const pos = await text(p, "#position");
    assert(pos === "3 orang", () => "position: " + pos);
    assert(await p.locator("#alert").isHidden(), "3 ahead is not near with ?near=2");
    // the page offers notifications; asking hides the offer
    assert(await p.locator("#notify").isVisible(), "the notify button");
    await p.locator("#notify").click();
    await p.waitForFunction(() => document.getElementById("notify-box").hidden, null,
      { timeout: 2000 });
    await p.waitForFunction(() => document.getElementById("mode").textContent.includes("Langsung"),
      null, { timeout: 3000 });
    const t0 = Date.now();
    const c = await stack.antred.post("/v1/events/demo/stations/registration-2/call", undefined,
      { role: "station" });
    assert(c.status === 200 && c.body.ticket.id === second.ticket.id, "called the second");
    await p.waitForFunction(() => document.getElementById("position").textContent === "2 orang",
      null, { timeout: 2500, polling: 50 });
    const waited = Date.now() - t0;
    assert(await p.locator("#alert").isVisible(), "near banner");
    assert((await text(p, "#alert-title")) === "Sebentar lagi giliran Anda", "banner title");
    assert((await text(p, "#alert-text")) === "Tinggal 2 orang di depan Anda di Pendaftaran.",
      "banner text");
    const r = await recorded(p);
    assert(r.notes.length === 1 && r.notes[0].body === "Tinggal 2 orang di depan Anda di " +
      "Pendaftaran.", () => "notification: " + JSON.stringify(r.notes));
    assert(r.buzz.length === 1, "vibration");
    console.log("     the position dropped on the page " + waited + " ms after the call");
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

// Without its stream (a proxy that buffers or refuses it), the page polls.
exports.falls_back_to_polling = async function () {
  const r = await stack.antred.get("/v1/events/demo/tickets/" + second.ticket.id,
    { role: "desk" });
  assert(r.body.ticket.state === "called", "A-002 is called at registration-2");
  // the ticket after the second: position 0 once registration-1 moves on
  const next = await stack.antred.get("/v1/events/demo/tickets/A-003", { role: "desk" });
  const issued = { ticket: next.body.ticket, status_url: next.body.status_url };
  const p = await openStatus(issued, {
    before: (page) => page.route(/\/stream\?/, (route) => route.abort()),
  });
  try {
    assert((await text(p, "#position")) === "0 orang", "A-003 is next");
    await p.waitForFunction(() => document.getElementById("mode").textContent.includes("5 detik"),
      null, { timeout: 3000 });
    const st = (op, body) => stack.antred.post("/v1/events/demo/stations/registration-1/" + op,
      body, { role: "station" });
    assert((await st("start")).status === 200, "start");
    assert((await st("complete", { outcome: "done" })).status === 200, "complete");
    assert((await st("call")).body.ticket.id === issued.ticket.id, "called A-003");
    const t0 = Date.now();
    await p.waitForFunction(
      () => document.getElementById("headline").textContent.startsWith("Dipanggil"),
      null, { timeout: 7000, polling: 100 });
    console.log("     polling showed the call after " + (Date.now() - t0) + " ms");
    assert(await p.locator("#offline").isHidden(), "polling works: not offline");
    noErrors(p, (e) => e.startsWith("request failed: ") && e.includes("/stream?sig="));
  } finally {
    await p.context().close();
  }
};

exports.tampered_link_is_refused = async function () {
  const mine = await issue(), other = await issue();
  const u = new URL(mine.status_url);
  const sig = u.searchParams.get("sig");
  const bad = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
  const links = [
    ["tampered sig", u.origin + u.pathname + "?sig=" + bad],
    ["no sig", u.origin + u.pathname],
    ["another ticket's sig", u.origin + new URL(other.status_url).pathname + "?sig=" + sig],
  ];
  for (const [what, link] of links) {
    const page = await phonePage(browser);
    try {
      const resp = await page.goto(link);
      assert(resp.status() === 403, () => what + ": HTTP " + resp.status());
      const h1 = await text(page, "h1");
      assert(h1 === "Tiket tidak valid", () => what + ": h1 " + JSON.stringify(h1));
      assert((await page.title()) === "Tiket tidak valid", what + ": title");
      assert((await page.locator("#code").count()) === 0, what + ": no ticket shown");
      noErrors(page, ["HTTP 403: GET " + link]);
    } finally {
      await page.context().close();
    }
  }
};

// The wait as a range.  The first stage is emptied, six services of ten
// minutes each (the test clock moved) give the model its service time;
// then the front of the queue with a desk free shows "kurang dari 5
// menit", and a long queue behind two busy desks "lo–hi menit" from the
// ticket's eta_range_s, with the time to leave.
exports.wait_shown_as_a_range = async function () {
  const st = (n, op, body) => stack.antred.post("/v1/events/demo/stations/registration-" + n +
    "/" + op, body, { role: "station" });
  const read = async (t) => (await stack.antred.get("/v1/events/demo/tickets/" + t.ticket.id,
    { role: "station" })).body.ticket;
  // skipped, not served: the earlier tests' services took no time
  for (const n of [1, 2]) {
    if ((await st(n, "skip")).status !== 200) await st(n, "complete", { outcome: "done" });
  }
  for (let i = 0; i < 40 && (await st(1, "call")).status === 200; i++) await st(1, "skip");
  for (let round = 1; round <= 3; round++) {
    await issue();
    await issue();
    assert((await st(1, "call")).status === 200 && (await st(2, "call")).status === 200, "calls");
    setTestClock(stack.redis, "demo", CLOCK + round * 10 * 60000);
    for (const n of [1, 2]) {
      assert((await st(n, "start")).status === 200, "start");
      assert((await st(n, "complete", { outcome: "done" })).status === 200, "complete");
    }
  }
  const front = await issue();
  const f = await read(front);
  assert(f.position === 0 && f.eta_s === 0, () => "the front, a desk free: " + JSON.stringify(f));
  const q = await openStatus(front);
  try {
    const eta = await text(q, "#eta");
    assert(eta === "kurang dari 5 menit", () => "front: " + JSON.stringify(eta));
    noErrors(q);
  } finally {
    await q.context().close();
  }
  await issue();
  assert((await st(1, "call")).status === 200 && (await st(2, "call")).status === 200, "busy");
  let last;
  for (let i = 0; i < 12; i++) last = await issue();
  const t = await read(last);
  const range = t.eta_range_s;
  assert(Array.isArray(range) && range.length === 2 && range[1] > 300 && range[0] < t.eta_s &&
    t.eta_s < range[1], () => "a long wait's range: " + JSON.stringify(t));
  assert(t.leave_eta_s > t.eta_s, () => "leaving comes after the wait: " + JSON.stringify(t));
  const p = await openStatus(last);
  try {
    const want = Math.round(range[0] / 60) + "–" + Math.round(range[1] / 60) + " menit";
    const eta = await text(p, "#eta");
    assert(eta === want, () => "eta shown " + JSON.stringify(eta) + ", want " + want);
    const leave = await text(p, "#leave");
    assert(/^sekitar \d+ menit lagi \(pukul \d\d\.\d\d\)$/.test(leave),
      () => "leave: " + JSON.stringify(leave));
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

// ---- each state's own lines (issue 13, point 4) ---------------------------
//
// What a state shows: the place in the queue, the wait, the time to leave
// and the offer to notify only while queued; a live countdown in a timed
// wait (observation); a last word, without facts, once finished.  Every
// state is also laid out at 360 and 390 px with nothing past the screen's
// edge.  STATUS_SHOTS=dir keeps a 390 px screenshot of each state there.

const SHOTS = process.env.STATUS_SHOTS || "";
const QUEUED_ONLY = ["#position", "#eta", "#leave", "#notify"];
let observed;                       // the ticket the next tests take on

const station = (id, op, body) => stack.antred.post("/v1/events/demo/stations/" + id + "/" +
  op, body, { role: "station" });

// Frees a station for a chosen ticket: whom it called is skipped, whom it
// serves done (a station holding nobody answers both with 409).
async function free(id) {
  if ((await station(id, "skip")).status !== 200)
    await station(id, "complete", { outcome: "done" });
}

async function callTicket(id, t) {
  await free(id);
  const c = await station(id, "call", { ticket: t.ticket.id });
  assert(c.status === 200 && c.body.ticket.id === t.ticket.id,
    () => id + " call " + t.ticket.code + ": " + c.status + " " + JSON.stringify(c.body));
}

// Calls, starts and completes a ticket at a station: on to the next stage.
async function serve(id, t, outcome = "done") {
  await callTicket(id, t);
  assert((await station(id, "start")).status === 200, id + " start");
  const r = await station(id, "complete", { outcome });
  assert(r.status === 200, () => id + " complete: " + r.status + " " + JSON.stringify(r.body));
  return r.body.ticket;
}

async function shot(page, name) {
  if (!SHOTS) return;
  require("fs").mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: SHOTS + "/status-" + name + ".png", fullPage: true });
}

const waitText = (page, sel, want, timeout = 5000) => page.waitForFunction(
  ([s, w]) => document.querySelector(s).textContent === w, [sel, want], { timeout, polling: 50 })
  .catch(async () => {
    throw new Error(sel + " is " + JSON.stringify(await text(page, sel)) + ", want " +
      JSON.stringify(want));
  });

// Shown, and hidden, as the state asks.
async function lines(page, what, shown, hidden) {
  for (const sel of shown) assert(await page.locator(sel).isVisible(), what + ": shows " + sel);
  for (const sel of hidden) {
    if (await page.locator(sel).isHidden()) continue;
    throw new Error(what + ": " + sel + " shown (" + JSON.stringify(await text(page, sel)) + ")");
  }
}

// At 360 and 390 px wide, nothing shown lies past the screen's edge and the
// page does not scroll sideways.
async function fitsPhones(page, what) {
  for (const width of [360, 390]) {
    await page.setViewportSize({ width, height: 780 });
    const bad = await page.evaluate(() => {
      const w = document.documentElement.clientWidth, out = [];
      if (document.documentElement.scrollWidth > w)
        out.push("the page is " + document.documentElement.scrollWidth + " px wide");
      for (const e of document.querySelectorAll("main *")) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;      // hidden
        if (r.left < -0.5 || r.right > w + 0.5)
          out.push((e.id || e.tagName) + " spans " + r.left.toFixed(1) + ".." + r.right.toFixed(1));
        if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible")
          out.push((e.id || e.tagName) + " clips its text");
      }
      return out;
    });
    assert(bad.length === 0, () => what + " at " + width + " px: " + bad.join("; "));
  }
  await page.setViewportSize({ width: 390, height: 844 });
}

// A ticket queued at Pendaftaran, then called and served there: the place,
// the wait, the time to leave and the offer to notify go once it is called.
exports.lines_while_queued_then_called = async function () {
  observed = await issue();
  const p = await openStatus(observed, { permission: "default" });
  try {
    await shot(p, "waiting");
    await lines(p, "waiting", ["#stage", ...QUEUED_ONLY], []);
    assert(/^\d+ orang$/.test(await text(p, "#position")), "waiting: position");
    await fitsPhones(p, "waiting");
    await callTicket("registration-1", observed);
    await waitText(p, "#headline", "Dipanggil! Silakan ke meja pendaftaran 1");
    await p.waitForTimeout(300);       // the ticket's own update after the call
    await shot(p, "called");
    await lines(p, "called", ["#stage", "#alert"], ["#notify-box", ...QUEUED_ONLY]);
    await fitsPhones(p, "called");
    assert((await station("registration-1", "start")).status === 200, "start");
    await waitText(p, "#headline", "Sedang dilayani di meja pendaftaran 1");
    await lines(p, "serving", ["#stage"], [...QUEUED_ONLY, "#notify-box", "#alert"]);
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

// The same ticket through Skrining and Vaksinasi into Observasi (30 min):
// "Boleh pulang dalam 30 menit", counting down on the page's own clock
// (played fast here) with no request, "Anda boleh pulang" at the end, and
// "Selesai" when the server ends the wait.  The event's clock is antred-
// test's, hours from the phone's: the countdown follows the server's.
exports.observation_counts_down_live = async function () {
  assert(observed, "the ticket of the test before");
  // called or served at Pendaftaran by the test before (or left called there
  // when it failed): done there, on to Skrining
  const was = await stack.antred.get("/v1/events/demo/tickets/" + observed.ticket.id,
    { role: "desk" });
  if (was.body.ticket.state === "called") await station("registration-1", "start");
  const r = await station("registration-1", "complete", { outcome: "done" });
  assert(r.status === 200 && r.body.ticket.stage === "screening", () => JSON.stringify(r.body));
  await serve("screening-1", observed);
  const t = await serve("vaccination-1", observed);
  assert(t.state === "waiting" && t.stage === "observation" && t.hold_until,
    () => "in observation: " + JSON.stringify(t));
  const until = new Date(t.hold_until).getTime();
  const now = CLOCK + 30 * 60000;      // where wait_shown_as_a_range left the clock
  assert(until === now + 30 * 60000, () => "hold_until " + t.hold_until);
  const p = await openStatus(observed, { permission: "default",
    before: (page) => page.clock.install() });
  try {
    await shot(p, "observation");
    await waitText(p, "#headline", "Boleh pulang dalam 30 menit");
    const d = await text(p, "#detail");
    assert(d === "Tunggu di Observasi sampai pukul 11.00.", () => "detail: " + JSON.stringify(d));
    assert((await text(p, "#stage")) === "Observasi", "stage");
    await lines(p, "observation", ["#stage"], [...QUEUED_ONLY, "#notify-box", "#alert"]);
    await fitsPhones(p, "observation");
    // the phone's clock set two hours on while it slept: waking, the page
    // reads the server's clock again and counts on from it
    await p.clock.setSystemTime(Date.now() + 2 * 3600000);
    const asked = [];
    p.on("request", (q) => asked.push(q.url()));
    await p.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
    // the board's clock read, then the ticket's load: the page loads it once
    // the clock is taken (readClock().then(load)), so a fast-forward from
    // here cannot fall inside the clock's round trip (it did, under load:
    // half of it was taken off the clock, and 27 minutes were left, not 23)
    const board = /\/v1\/events\/demo\/board$/, ticketLoad = /\/tickets\/[^/]+\?sig=/;
    await waitUntil(() => {
      const b = asked.findIndex((u) => board.test(u));
      return b >= 0 && asked.slice(b + 1).some((u) => ticketLoad.test(u));
    }, { what: "a clock read, then the ticket's load, on waking" });
    await waitText(p, "#headline", "Boleh pulang dalam 30 menit");
    asked.length = 0;
    await p.clock.fastForward("07:00");
    await waitText(p, "#headline", "Boleh pulang dalam 23 menit");
    await p.clock.fastForward("22:50");
    await waitText(p, "#headline", "Boleh pulang dalam 1 menit");
    await p.clock.fastForward("00:15");
    await waitText(p, "#headline", "Anda boleh pulang");
    assert((await text(p, "#detail")) === "Waktu observasi sudah selesai. Terima kasih!",
      "detail at the end");
    assert(asked.length === 0, () => "the countdown asked: " + asked.join(", "));
    await fitsPhones(p, "observation at its end");
    setTestClock(stack.redis, "demo", until + 60000);
    await waitText(p, "#headline", "Selesai. Terima kasih!", 10000);
    assert((await text(p, "#detail")) === "Semua tahap sudah selesai. Anda boleh pulang.",
      "done: detail");
    await lines(p, "done", ["#headline"], ["#facts", "#notify-box", "#alert"]);
    await fitsPhones(p, "done");
    noErrors(p, (e) => /\/stream\?sig=.* net::ERR_ABORTED$/.test(e));
  } finally {
    await p.context().close();
  }
};

// Skipped, deferred, refused and cancelled: each its own words; the stage
// while the ticket may still go on, nothing of the queue, no offer.
exports.other_states_show_their_own_lines = async function () {
  const cases = [
    ["skipped", async (t) => {
      await callTicket("registration-1", t);
      assert((await station("registration-1", "skip")).status === 200, "skip");
    }, "Anda terlewat", "Silakan lapor ke petugas Pendaftaran.", true],
    ["deferred", (t) => serve("registration-1", t, "deferred"), "Ditunda",
      "Ikuti arahan petugas.", true],
    ["refused", (t) => serve("registration-1", t, "refused"), "Tidak dapat dilayani hari ini",
      "Silakan tanyakan alasannya kepada petugas.", false],
    ["cancelled", async (t) => {
      const c = await stack.antred.post("/v1/events/demo/tickets/" + t.ticket.id + "/cancel",
        undefined, { role: "desk" });
      assert(c.status === 200, () => "cancel: " + c.status);
    }, "Tiket dibatalkan",
    "Nomor ini tidak berlaku lagi. Bila masih perlu dilayani, silakan ambil nomor baru.", false],
  ];
  for (const [state, bring, head, detail, onTheWay] of cases) {
    const t = await issue();
    await bring(t);
    const p = await openStatus(t, { permission: "default" });
    try {
      await waitText(p, "#headline", head);
      const d = await text(p, "#detail");
      assert(d === detail, () => state + ": detail " + JSON.stringify(d));
      const hidden = [...QUEUED_ONLY, "#notify-box", "#alert"];
      if (onTheWay) await lines(p, state, ["#stage"], hidden);
      else await lines(p, state, [], ["#facts", ...hidden]);
      await fitsPhones(p, state);
      noErrors(p, (e) => /\/stream\?sig=.* net::ERR_ABORTED$/.test(e));
    } finally {
      await p.context().close();
    }
  }
};

// A timed wait before another stage counts down to that stage: "Lanjut ke
// Kartu vaksin dalam 15 menit", then "Silakan lanjut ke Kartu vaksin"; when
// the server ends the wait, the page is queued there again.
exports.timed_wait_before_another_stage = async function () {
  const i = await stack.antred.post("/v1/events/klinik/tickets", { service: "dose1" },
    { role: "desk" });
  assert(i.status === 201, () => "issue: " + i.status + " " + JSON.stringify(i.body));
  const st = (op, body) => stack.antred.post("/v1/events/klinik/stations/vaccination-1/" + op,
    body, { role: "station" });
  assert((await st("call")).status === 200 && (await st("start")).status === 200, "call, start");
  const c = await st("complete", { outcome: "done" });
  assert(c.status === 200 && c.body.ticket.stage === "rest" && c.body.ticket.hold_until,
    () => "resting: " + JSON.stringify(c.body));
  const p = await openStatus(i.body, { permission: "default",
    before: (page) => page.clock.install() });
  try {
    await waitText(p, "#headline", "Lanjut ke Kartu vaksin dalam 15 menit");
    const d = await text(p, "#detail");
    assert(d === "Tunggu di Istirahat sampai pukul 10.15.", () => "detail: " + JSON.stringify(d));
    await lines(p, "resting", ["#stage"], [...QUEUED_ONLY, "#notify-box", "#alert"]);
    await p.clock.fastForward("15:00");
    await waitText(p, "#headline", "Silakan lanjut ke Kartu vaksin");
    assert((await text(p, "#detail")) === "Waktu tunggu di Istirahat sudah selesai.", "detail");
    setTestClock(stack.redis, "klinik", CLOCK + 16 * 60000);
    await waitText(p, "#headline", "Menunggu di Kartu vaksin", 10000);
    await lines(p, "queued at the next stage", ["#stage", "#position", "#notify"], []);
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

// Days end (last: it moves the event's clock to the next day): a ticket
// still waiting when its day ends is closed out at the next day's first
// operation (antred's own sweep, within a second), and its open page says
// so, live, in Indonesian: the number is no longer valid, take a new one.
exports.expired_at_the_end_of_the_day = async function () {
  const t = await issue();
  const p = await openStatus(t);
  try {
    assert((await text(p, "#headline")).startsWith("Menunggu"), "waiting first");
    setTestClock(stack.redis, "demo", wibMs(2026, 7, 16, 8, 0, 0));
    await p.waitForFunction(() => document.getElementById("headline").textContent ===
      "Tiket kedaluwarsa", null, { timeout: 10000 });
    const detail = await text(p, "#detail");
    assert(detail.includes("Silakan ambil nomor baru"), () => "detail: " + JSON.stringify(detail));
    assert((await text(p, "#position")) === "–", "no position for an expired ticket");
    const r = await stack.antred.get("/v1/events/demo/tickets/" + t.ticket.id, { role: "desk" });
    assert(r.status === 200 && r.body.ticket.state === "expired", () => JSON.stringify(r.body));
    // a final state ends the page's stream: its request is aborted
    noErrors(p, (e) => /\/stream\?sig=.* net::ERR_ABORTED$/.test(e));
  } finally {
    await p.context().close();
  }
};
