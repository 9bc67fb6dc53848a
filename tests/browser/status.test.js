// The person's status page (/t/{ev}/{id}?sig=) in real headless Chromium on a
// phone-sized viewport: waiting, position, being called (live, from the
// ticket's stream), the alerts (banner, vibration, notification), polling
// when the stream cannot be had, and a tampered link.  Notification and
// navigator.vibrate are replaced by recorders before the page's scripts run.
// The tests run in order on one antred: the third calls the first's ticket
// and watches the page the first opened; the later ones follow the queue on.
"use strict";

const { assert, startPinnedStack, launchBrowser, phonePage, wibMs, setTestClock } =
  require("./lib");

// The event's clock (antred-test, key test:clock): a fixed morning in
// Jakarta, so that the codes start at A-001, issued_today counts these
// tickets and lookups by code find them whatever the real day (issue 17).
const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);

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
  stack = await startPinnedStack(CLOCK);
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
      noErrors(page, ["HTTP 403: " + link]);
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
    assert(/^sekitar \d+ menit lagi \(pukul \d\d:\d\d\)$/.test(leave),
      () => "leave: " + JSON.stringify(leave));
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
