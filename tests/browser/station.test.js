// A service desk (/web/station.html?station=registration-1) in real headless
// Chromium at 1280x800, worked with the keyboard: Space calls (the API shows
// the ticket called there), S and D move it on to screening, L skips, "Panggil
// nomor" brings the skipped one back ("Memanggil lagi"; a first call by
// number or QR is "Memanggil"), P pauses (the API shows the station paused,
// the call buttons are disabled, grey, and say why; a pause or resume made
// elsewhere does the same), Tunda lists the person under "Ditunda" and
// "Panggil lagi" calls them back, an empty queue (204) says "Tidak ada
// antrean"; a reload shows the ticket the station holds; transfer; a QR
// scanned as typed text; the live waiting count and last calls; the
// picker and the token form.  The tests run in order on one antred and
// share one station page; tickets are issued through the API.
"use strict";

const { assert, startPinnedStack, launchBrowser, watchPageErrors, TOKENS, wibMs, sleep } =
  require("./lib");

// The event's clock (antred-test, key test:clock): a fixed morning in
// Jakarta, so that the codes start at A-001, issued_today counts these
// tickets and lookups by code find them whatever the real day (issue 17).
const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);

const SCREENSHOT = process.env.STATION_SCREENSHOT || "/tmp/station.png";
const ST = "registration-1";
let stack, browser, page;

async function newPage(token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 },
    deviceScaleFactor: 1, locale: "id-ID", timezoneId: "Asia/Jakarta" });
  if (token)
    await context.addInitScript((t) => sessionStorage.setItem("antre.station.token", t), token);
  return watchPageErrors(await context.newPage(), stack.antred.base);
}

// The token check is GET /v1/whoami: no request meant to fail, so any 4xx
// on the way is an error.
function noErrors(p, expected = []) {
  const errs = p.errors.filter((e) => !expected.includes(e));
  assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
  p.errors.length = 0;
}

const text = (p, sel) => p.locator(sel).textContent();

async function issue(body = { service: "dose1" }) {
  const r = await stack.antred.post("/v1/events/demo/tickets", body, { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  return r.body;
}

async function ticket(ref) {
  const r = await stack.antred.get("/v1/events/demo/tickets/" + ref, { role: "station" });
  assert(r.status === 200, () => "ticket " + ref + ": " + r.status);
  return r.body.ticket;
}

async function stationState(id = ST) {
  const r = await stack.antred.get("/v1/events/demo");
  return r.body.event.stations.find((s) => s.id === id);
}

async function shows(p, code) {
  await p.waitForFunction((c) => document.getElementById("h-code").textContent === c, code,
    { timeout: 5000 });
}

// S, and the page shows the held ticket being served.
async function start(p) {
  await key(p, "s");
  await p.waitForFunction(() => document.getElementById("held").className.includes("serving"),
    null, { timeout: 5000 });
}

// S then D: the held ticket served and done, the page holds none.
async function serveHeld(p) {
  await start(p);
  await key(p, "d");
  await shows(p, "–");
}

async function message(p, start) {
  await p.waitForFunction((s) => {
    const m = document.getElementById("msg");
    return !m.hidden && m.textContent.startsWith(s);
  }, start, { timeout: 5000 }).catch(async () => {
    throw new Error("message " + JSON.stringify(start) + " not shown; it is " +
      JSON.stringify(await text(p, "#msg")));
  });
  return text(p, "#msg");
}

// Presses a key with the focus on the page, not in a field.
async function key(p, k) {
  await p.evaluate(() => { if (document.activeElement) document.activeElement.blur(); });
  await p.keyboard.press(k);
}

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK);
  browser = await launchBrowser();
  for (let i = 0; i < 3; i++) await issue();       // A-001 … A-003
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

exports.picker_and_token_form = async function () {
  const p = await newPage();
  try {
    await p.goto(stack.antred.base + "/web/station.html");
    await p.locator("#picker").waitFor({ state: "visible", timeout: 5000 });
    assert((await p.locator("#picker-stages a").count()) === 8, "eight desks");
    await p.click("#picker-stages a[data-station=" + ST + "]");
    await p.locator("#login").waitFor({ state: "visible", timeout: 5000 });
    assert(new URL(p.url()).searchParams.get("station") === ST, "the link picks the desk");
    await p.fill("#token", TOKENS.desk);
    await p.click("#login-submit");
    await p.waitForFunction(() =>
      document.getElementById("login-error").textContent.includes("tidak berhak"), null,
    { timeout: 5000 });
    assert((await text(p, "#login-error")).includes("Ini token meja tiket"), "the desk token named");
    await p.fill("#token", TOKENS.station);
    await p.click("#login-submit");
    await p.locator("#main").waitFor({ state: "visible", timeout: 5000 });
    assert((await text(p, "#station-name")) === "Meja pendaftaran 1", "the desk's name");
    // an unknown desk: the picker says so
    await p.goto(stack.antred.base + "/web/station.html?event=demo&station=registration-9");
    await p.locator("#picker-error").waitFor({ state: "visible", timeout: 5000 });
    assert((await text(p, "#picker-error")).includes("registration-9"), "unknown desk named");
    noErrors(p);
  } finally {
    await p.context().close();
  }
};

exports.space_calls_the_first = async function () {
  page = await newPage(TOKENS.station);
  await page.goto(stack.antred.base + "/web/station.html?station=" + ST);
  await page.locator("#main").waitFor({ state: "visible", timeout: 5000 });
  await page.waitForFunction(() => document.getElementById("w-num").textContent === "3", null,
    { timeout: 5000 });
  assert(await page.locator("[data-op=start]").isDisabled(), "nothing to start");
  await key(page, " ");
  await shows(page, "A-001");
  const t = await ticket("A-001");
  assert(t.state === "called" && t.station === ST, () => "API: " + JSON.stringify(t));
  assert((await page.locator("#held").getAttribute("class")).includes("called"), "called look");
  assert(await page.locator("[data-op=call]").isDisabled(), "cannot call while holding");
  // the waiting count follows live, with a newcomer's wait as the board's range
  await page.waitForFunction(() => document.getElementById("w-num").textContent === "2", null,
    { timeout: 5000 });
  const reg = (await stack.antred.get("/v1/events/demo/board")).body.stages[0];
  const [lo, hi] = reg.eta_range_s.map((x) => Math.round(x / 60));
  const want = "orang · perkiraan tunggu " + (hi <= 5 ? "< 5" : lo + "–" + hi) + " menit";
  await page.waitForFunction((w) => document.getElementById("w-sub").textContent === w, want,
    { timeout: 5000 }).catch(async () => {
    throw new Error("w-sub " + JSON.stringify(await text(page, "#w-sub")) + ", want " + want);
  });
  noErrors(page);
};

exports.start_then_done_moves_on = async function () {
  // D before S: said, nothing sent
  await key(page, "d");
  assert((await message(page, "A-001 belum mulai dilayani")).includes("Mulai (S)"), "hint");
  assert((await ticket("A-001")).state === "called", "still called");
  await key(page, "s");
  await page.waitForFunction(() => document.getElementById("held").className.includes("serving"),
    null, { timeout: 5000 });
  assert((await ticket("A-001")).state === "serving", "serving");
  await key(page, "d");
  await message(page, "A-001 selesai di Pendaftaran, lanjut ke Skrining");
  await shows(page, "–");
  const t = await ticket("A-001");
  assert(t.state === "waiting" && t.stage === "screening", () => "API: " + JSON.stringify(t));
  noErrors(page);
};

exports.skip_and_call_back_by_number = async function () {
  await key(page, "n");
  await shows(page, "A-002");
  await key(page, "l");
  await message(page, "A-002 dilewati");
  await shows(page, "–");
  assert((await ticket("A-002")).state === "skipped", "skipped");
  assert((await text(page, "#skipped-items")) === "A-002", "listed as skipped");
  // K, then the number as a person would type it
  await key(page, "k");
  assert(await page.evaluate(() => document.activeElement.id === "code-input"), "K focuses");
  await page.keyboard.type("a2");
  await page.keyboard.press("Enter");
  await shows(page, "A-002");
  const t = await ticket("A-002");
  assert(t.state === "called" && t.station === ST, () => "called back: " + JSON.stringify(t));
  await message(page, "Memanggil lagi A-002");
  assert(await page.locator("#skipped").isHidden(), "no longer listed");
  // a number of another stage: said plainly (A-001 waits at screening)
  await key(page, "s");
  await page.waitForFunction(() => document.getElementById("held").className.includes("serving"),
    null, { timeout: 5000 });
  await key(page, "d");
  await shows(page, "–");
  await page.fill("#code-input", "A-001");
  await page.press("#code-input", "Enter");
  assert((await message(page, "Nomor A-001 menunggu di tahap lain")) ===
    "Nomor A-001 menunggu di tahap lain, bukan di Pendaftaran.", "wrong stage");
  await page.fill("#code-input", "Z-404");
  await page.press("#code-input", "Enter");
  await message(page, "Nomor Z-404 tidak ada hari ini.");
  noErrors(page, ["HTTP 409: POST /v1/events/demo/stations/" + ST + "/call",
    "HTTP 404: POST /v1/events/demo/stations/" + ST + "/call"]);
};

const PAUSED_WHY = "Meja dijeda — tekan Lanjutkan untuk memanggil";

// The call button while paused: disabled, saying why on itself.
async function callDisabled(p, yes) {
  await p.waitForFunction((y) => document.querySelector("[data-op=call]").disabled === y, yes,
    { timeout: 5000 });
  const why = p.locator("#call-why");
  if (yes) {
    assert(await why.isVisible(), "the reason is shown");
    assert((await why.textContent()) === PAUSED_WHY, "the reason: " + await why.textContent());
    assert(await p.locator("#code-submit").isDisabled(), "no call by number either");
  } else {
    assert(await why.isHidden(), "no reason when it can call");
    assert(!(await p.locator("#code-submit").isDisabled()), "calls by number again");
  }
}

exports.pause_disables_the_call_button_and_says_why = async function () {
  await key(page, "p");
  await page.locator("#paused-banner").waitFor({ state: "visible", timeout: 5000 });
  assert((await stationState()).state === "paused", "API: paused");
  assert((await text(page, "#pause-label")) === "Lanjutkan", "the button resumes");
  await callDisabled(page, true);
  // Space says why and sends nothing (no 409)
  await key(page, " ");
  assert((await message(page, PAUSED_WHY)) === PAUSED_WHY + " (P).", "why, by key");
  await page.locator("[data-op=call]").click({ force: true });
  assert((await ticket("A-003")).state === "waiting", "nobody called");
  await key(page, "p");
  await page.locator("#paused-banner").waitFor({ state: "hidden", timeout: 5000 });
  assert((await stationState()).state === "open", "API: open");
  await callDisabled(page, false);
  noErrors(page);
};

// Paused and resumed elsewhere (another tab, the CLI): the page follows.
exports.pause_made_elsewhere_disables_then_enables = async function () {
  const path = "/v1/events/demo/stations/" + ST + "/";
  assert((await stack.antred.post(path + "pause", undefined, { role: "station" })).status === 200);
  await callDisabled(page, true);
  assert(await page.locator("#paused-banner").isVisible(), "the banner too");
  assert((await stack.antred.post(path + "resume", undefined, { role: "station" })).status === 200);
  await callDisabled(page, false);
  noErrors(page);
};

// Disabled looks disabled: grey, no accent colour, a not-allowed cursor.
exports.disabled_buttons_look_disabled = async function () {
  const look = (sel) => page.locator(sel).evaluate((b) => {
    const c = getComputedStyle(b);
    return { bg: c.backgroundColor, color: c.color, cursor: c.cursor, disabled: b.disabled };
  });
  const call = await look("[data-op=call]"), done = await look("[data-op=done]");
  assert(!call.disabled && done.disabled, "call enabled, done disabled");
  assert(call.cursor === "pointer" && done.cursor === "not-allowed", () => JSON.stringify([call, done]));
  assert(done.bg === "rgb(236, 239, 241)" && done.color === "rgb(141, 152, 159)",
    () => "done is grey: " + JSON.stringify(done));
  await key(page, "p");
  await callDisabled(page, true);
  const paused = await look("[data-op=call]");
  assert(paused.bg === done.bg && paused.cursor === "not-allowed",
    () => "the call button greys out too: " + JSON.stringify(paused));
  await key(page, "p");
  await callDisabled(page, false);
  noErrors(page);
};

exports.empty_queue_says_so = async function () {
  await key(page, " ");
  await shows(page, "A-003");
  await key(page, "s");
  await page.waitForFunction(() => document.getElementById("held").className.includes("serving"),
    null, { timeout: 5000 });
  await key(page, "d");
  await shows(page, "–");
  await key(page, " ");
  assert((await message(page, "Tidak ada antrean")) ===
    "Tidak ada antrean di Pendaftaran saat ini.", "204");
  await page.waitForFunction(() => document.getElementById("w-num").textContent === "0", null,
    { timeout: 5000 });
  noErrors(page);
};

// Another device (here, the API) calls at this desk: the page follows live.
exports.follows_calls_made_elsewhere = async function () {
  const a4 = await issue();
  const c = await stack.antred.post("/v1/events/demo/stations/" + ST + "/call", undefined,
    { role: "station" });
  assert(c.status === 200 && c.body.ticket.id === a4.ticket.id, "called via the API");
  await shows(page, a4.ticket.code);
  noErrors(page);
};

exports.reload_shows_the_held_ticket_then_recall = async function () {
  const held = await text(page, "#h-code");
  await page.reload();
  await page.locator("#main").waitFor({ state: "visible", timeout: 5000 });
  await shows(page, held);
  assert((await text(page, "#h-state")).startsWith("Dipanggil"), "called");
  assert((await text(page, "#h-time")).startsWith("dipanggil "), "since when");
  await key(page, "r");
  await message(page, held + " dipanggil ulang (1×).");
  assert((await ticket(held)).recalls === 1, "API: recalled once");
  noErrors(page);
};

exports.transfer_with_m_and_a_digit = async function () {
  const held = await text(page, "#h-code");
  await key(page, "m");
  await page.locator("#transfer-box").waitFor({ state: "visible", timeout: 5000 });
  assert((await page.locator("#transfer-stages button").count()) === 3, "three other stages");
  await page.keyboard.press("2");                  // screening, vaccination, observation
  await message(page, held + " dipindahkan ke Vaksinasi.");
  const t = await ticket(held);
  assert(t.state === "waiting" && t.stage === "vaccination", () => "API: " + JSON.stringify(t));
  await shows(page, "–");
  noErrors(page);
};

exports.refuse_asks_twice = async function () {
  const a5 = await issue();
  await key(page, " ");
  await shows(page, a5.ticket.code);
  await key(page, "s");
  await page.waitForFunction(() => document.getElementById("held").className.includes("serving"),
    null, { timeout: 5000 });
  await key(page, "x");
  await message(page, "Tekan Tolak (X) sekali lagi");
  assert((await ticket(a5.ticket.id)).state === "serving", "not yet");
  await key(page, "x");
  await message(page, a5.ticket.code + " ditolak.");
  assert((await ticket(a5.ticket.id)).state === "refused", "refused");
  noErrors(page);
};

const deferredCodes = (p) => p.locator("#deferred-items li[data-ticket] .d-code").allTextContents();

// Tunda lists the person under "Ditunda" (with one deferred at another desk
// of the stage, live); "Panggil lagi" calls them back here.
exports.deferred_listed_and_called_back = async function () {
  assert((await text(page, "#deferred-items")) === "Tidak ada yang ditunda.", "none yet");
  const a = await issue();
  await key(page, " ");
  await shows(page, a.ticket.code);
  await start(page);
  await key(page, "t");
  await message(page, "Tekan Tunda (T) sekali lagi");
  await key(page, "t");
  await message(page, a.ticket.code + " ditunda");
  assert((await ticket(a.ticket.id)).state === "deferred", "API: deferred");
  await page.waitForFunction((c) => [...document.querySelectorAll("#deferred-items .d-code")]
    .some((e) => e.textContent === c), a.ticket.code, { timeout: 5000 });
  const info = await page.locator("#deferred-items li[data-ticket] .d-info").first().textContent();
  assert(info.includes("meja ini"), "deferred here: " + info);
  // one deferred at desk 2 of the stage shows up live
  const b = await issue();
  const r2 = "/v1/events/demo/stations/registration-2/";
  await stack.antred.post(r2 + "call", { ticket: b.ticket.code }, { role: "station" });
  await stack.antred.post(r2 + "start", undefined, { role: "station" });
  await stack.antred.post(r2 + "complete", { outcome: "deferred" }, { role: "station" });
  await page.waitForFunction(() => document.querySelectorAll("#deferred-items li[data-ticket]")
    .length === 2, null, { timeout: 5000 });
  assert(JSON.stringify(await deferredCodes(page)) ===
    JSON.stringify([a.ticket.code, b.ticket.code]), "earliest first");
  // paused: the call back is disabled too, saying why
  await key(page, "p");
  await callDisabled(page, true);
  const back = page.locator("#deferred-items li[data-ticket=\"" + b.ticket.id + "\"] button");
  assert(await back.isDisabled(), "no call back while paused");
  assert((await back.getAttribute("title")).startsWith(PAUSED_WHY), "says why");
  await key(page, "p");
  await callDisabled(page, false);
  await back.click();
  await shows(page, b.ticket.code);
  assert((await message(page, "Memanggil lagi")) === "Memanggil lagi " + b.ticket.code + ".",
    "a call back is 'lagi'");
  const t = await ticket(b.ticket.id);
  assert(t.state === "called" && t.station === ST && t.visits.length === 2,
    () => "API: called back here: " + JSON.stringify(t));
  await page.waitForFunction(() => document.querySelectorAll("#deferred-items li[data-ticket]")
    .length === 1, null, { timeout: 5000 });
  assert(await page.locator("#deferred-items button").isDisabled(), "busy: no other call back");
  // it is served as any other
  await serveHeld(page);
  // the other one, typed in by its number: also "lagi"
  await page.fill("#code-input", a.ticket.code);
  await page.press("#code-input", "Enter");
  await shows(page, a.ticket.code);
  await message(page, "Memanggil lagi " + a.ticket.code + ".");
  await page.waitForFunction(() => document.getElementById("deferred-items").textContent ===
    "Tidak ada yang ditunda.", null, { timeout: 5000 });
  await serveHeld(page);
  noErrors(page);
};

// A QR scanner is a keyboard: the link it types lands in the number field.
exports.scanned_qr_calls_that_ticket = async function () {
  const a6 = await issue(), a7 = await issue();
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.type(a7.qr + "\n", { delay: 5 });
  await shows(page, a7.ticket.code);
  await message(page, "Memanggil " + a7.ticket.code + ".");   // a first call, not "lagi"
  const t = await ticket(a7.ticket.id);
  assert(t.state === "called" && t.station === ST, "the scanned one, not the first waiting");
  assert((await ticket(a6.ticket.id)).state === "waiting", "the first waiting still waits");
  assert(!(await stationState()).state.includes("paused"), "no shortcut fired while scanning");
  // a forged one
  await serveHeld(page);
  const bad = a6.qr.replace(/sig=(.)/, (m, c) => "sig=" + (c === "A" ? "B" : "A"));
  await page.fill("#code-input", bad);
  await page.press("#code-input", "Enter");
  await message(page, "Kode QR ini tidak sah");
  // a first call by its typed number: "Memanggil", not "lagi"
  await page.fill("#code-input", a6.ticket.code.toLowerCase());
  await page.press("#code-input", "Enter");
  await shows(page, a6.ticket.code);
  await message(page, "Memanggil " + a6.ticket.code + ".");
  await serveHeld(page);
  noErrors(page, ["HTTP 403: POST /v1/events/demo/stations/" + ST + "/call"]);
};

exports.last_calls_and_screenshot = async function () {
  // another desk of the stage calls: listed as desk 2
  await issue();
  const c = await stack.antred.post("/v1/events/demo/stations/registration-2/call", undefined,
    { role: "station" });
  assert(c.status === 200, "registration-2 called");
  await page.waitForFunction((code) => {
    const li = document.querySelector("#calls li");
    return li && li.textContent.startsWith(code) && li.textContent.includes("meja 2");
  }, c.body.ticket.code, { timeout: 5000 });
  assert((await page.locator("#calls li.mine").count()) >= 5, "this desk's calls marked");
  for (let i = 0; i < 4; i++) await issue(i === 1 ? { service: "dose2", priority: "elderly" } :
    { service: "dose1" });
  await key(page, " ");
  await page.waitForFunction(() => document.getElementById("held").className.includes("called"),
    null, { timeout: 5000 });
  assert((await text(page, "#h-prio")) === "Lansia", "elderly first");
  await page.waitForFunction(() => document.getElementById("live").className === "live up", null,
    { timeout: 5000 });
  await page.waitForTimeout(700);
  await page.screenshot({ path: SCREENSHOT });
  console.log("     screenshot " + SCREENSHOT);
  noErrors(page);
  await page.context().close();
  page = null;
};

// ---- operations that survive a lost answer (issue 10) ------------------------------

// Routes the page's keyed station operations through `plan`, one step a
// try: "503" answers 503 without the server, "lost" lets the server do it
// and then answers 503, "abort" drops the connection before the server;
// past the plan, through.  Returns [{op, key}] in order.
async function routeOps(p, plan) {
  const seen = [];
  await p.route((url) => url.pathname.startsWith("/v1/events/demo/stations/"), async (route) => {
    const req = route.request();
    const key = req.headers()["idempotency-key"];
    if (req.method() !== "POST" || !key) return route.continue();
    const step = plan[seen.length] || "pass";
    seen.push({ op: req.url().split("/").pop(), key });
    if (step === "503" || step === "lost") {
      if (step === "lost") await route.fetch();
      return route.fulfill({ status: 503, contentType: "application/json",
        body: JSON.stringify({ error: { code: "store_unavailable", message: "stalled" } }) });
    }
    if (step === "abort") return route.abort("connectionreset");
    return route.continue();
  });
  return seen;
}

// A call whose answers are lost is tried again with its key: one call, the
// next person still waiting; a start whose tries run out offers "Coba lagi",
// which sends the same key (a second start would be refused).  Its own antred.
exports.operations_retry_with_the_same_key = async function () {
  const own = await startPinnedStack(CLOCK);
  const saved = stack;
  stack = own;
  let p;
  try {
    await issue();
    await issue();
    p = await newPage(TOKENS.station);
    await p.goto(own.antred.base + "/web/station.html?event=demo&station=" + ST);
    await p.locator("#main").waitFor({ state: "visible", timeout: 5000 });
    await p.evaluate(() => Object.assign(window.antre.WRITE, { firstDelayMs: 100, maxDelayMs: 300 }));
    let seen = await routeOps(p, ["lost", "abort", "503"]);
    await key(p, " ");
    await shows(p, "A-001");
    await message(p, "Memanggil A-001.");     // the call's own answer, not a refusal
    assert(seen.length === 4 && seen.every((s) => s.op === "call" && s.key === seen[0].key),
      () => "four tries of one call: " + JSON.stringify(seen));
    assert((await ticket("A-002")).state === "waiting", "one call: A-002 still waits");
    assert((await stationState()).ticket.code === "A-001", "the station holds A-001");

    await p.unrouteAll({ behavior: "wait" });
    await p.evaluate(() => Object.assign(window.antre.WRITE, { tries: 2 }));
    seen = await routeOps(p, ["lost", "503"]);
    await key(p, "s");
    await p.locator("#again-box").waitFor({ state: "visible", timeout: 10000 });
    const msg = await text(p, "#msg");
    assert(msg.includes("belum diketahui") && msg.includes("Coba lagi"), () => "unknown: " + msg);
    assert((await ticket("A-001")).state === "serving", "the first try did it");
    await p.click("#again");
    await p.waitForFunction(() => document.getElementById("msg").textContent ===
      "A-001 sedang dilayani.", null, { timeout: 5000 });
    assert(seen.length === 3 && seen[2].key === seen[0].key && seen[2].op === "start",
      () => "the same key: " + JSON.stringify(seen));
    assert(await p.locator("#again-box").isHidden(), "done");
    const errs = p.errors.filter((e) => e.startsWith("page error") || e.startsWith("console"));
    assert(errs.length === 0, () => errs.join("\n"));
  } finally {
    if (p) await p.context().close();
    stack = saved;
    await own.stop();
  }
};

// A skip's reply comes before the stream's entries of the call and of the
// skip; on a loaded machine the call's entry ("called") arrived after the
// reply and took the skipped ticket off the list, so calling it back by
// number said "Memanggil" instead of "Memanggil lagi" (a CI failure).  The
// lists are driven here in that order, on a page of their own.
exports.skipped_stays_listed_when_the_stream_is_late = async function () {
  const p = await newPage();
  try {
    await p.goto(stack.antred.base + "/web/station.html");
    const r = await p.evaluate(() => {
      const l = antre.stationLists({
        key: () => "antre.test.lists", path: () => "/none", api: () => new Promise(() => {}),
        running: () => false, authFailed: () => {}, cannot: () => "", call: () => {},
        info: () => "",
      });
      const items = () => document.getElementById("skipped-items").textContent;
      const out = {};
      l.addSkipped({ id: "t1", code: "A-002" });                 // the skip's reply
      l.seen({ id: "t1", state: "called", stage: "registration" }, "registration");
      out.afterLateCall = items();
      out.back = l.callsBack({ ticket: "A-002" });
      l.seen({ id: "t1", state: "skipped", stage: "registration" }, "registration");
      out.afterSkip = items();
      // the stream first, then the reply (a reply held back): listed too
      l.seen({ id: "t2", state: "skipped", stage: "registration" }, "registration");
      l.addSkipped({ id: "t2", code: "A-005" });
      out.both = items();
      // called back elsewhere: off the list
      l.seen({ id: "t1", state: "called", stage: "registration" }, "registration");
      l.seen({ id: "t2", state: "called", stage: "registration" }, "registration");
      out.after = items();
      return out;
    });
    assert(r.afterLateCall === "A-002", () => "a late stream entry emptied the list: " +
      JSON.stringify(r));
    assert(r.back === true, "called back by number is 'lagi'");
    assert(r.afterSkip === "A-002", () => JSON.stringify(r));
    assert(r.both === "A-005A-002", () => JSON.stringify(r));
    assert(r.after === "", () => "called elsewhere stays listed: " + JSON.stringify(r));
  } finally {
    await p.context().close();
  }
};

// A pause made elsewhere comes as a station event, and the deltas after it
// leave that station out (the daemon counts it as sent): the page keeps it
// from the event, and does not read itself back on every later delta
// that carries another desk's change.
exports.a_pause_is_not_read_back_on_every_delta = async function () {
  const mine = "/v1/events/demo/stations/" + ST + "/", other = "/v1/events/demo/stations/registration-2/";
  const op = async (path, name, body) => {
    const r = await stack.antred.post(path + name, body, { role: "station" });
    assert(r.status === 200, () => name + ": " + r.status + " " + JSON.stringify(r.body));
  };
  let reads = 0;
  const count = (req) => { if (new URL(req.url()).pathname === "/v1/events/demo") reads++; };
  const p = await newPage(TOKENS.station);
  try {
    await p.goto(stack.antred.base + "/web/station.html?station=" + ST);
    await p.locator("#main").waitFor({ state: "visible", timeout: 5000 });
    await op(mine, "pause");
    await p.locator("#paused-banner").waitFor({ state: "visible", timeout: 5000 });
    await sleep(1500);                  // the read the pause itself asks for
    if ((await stationState("registration-2")).ticket) {   // left by a test before
      await stack.antred.post(other + "start", undefined, { role: "station" });
      await op(other, "complete", { outcome: "done" });
    }
    p.on("request", count);
    for (let i = 0; i < 2; i++) {
      await issue();
      await op(other, "call");
      await sleep(1200);                // a board read, and its delta, between
      await op(other, "start");
      await op(other, "complete", { outcome: "done" });
      await sleep(1200);
    }
    assert(reads === 0, () => reads + " reads of the event after other desks' changes");
    await op(mine, "resume");
    await p.locator("#paused-banner").waitFor({ state: "hidden", timeout: 5000 });
    noErrors(p);
  } finally {
    await p.context().close();
  }
};
