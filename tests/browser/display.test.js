// The waiting-room TV (/web/display.html) in real headless Chromium at
// 1920x1080: calls shown at once and spoken (speechSynthesis is replaced by a
// recorder before the page's scripts run), the sound button, the offline
// banner and catching up after an outage, and a screenshot of a busy board.
//
// The page is opened through a small TCP proxy in front of antred, so that
// the test can cut the network (every open connection dropped, new ones
// refused) and heal it, as a flaky hall LAN would.
//
// Chromium runs as a TV kiosk would (--autoplay-policy=no-user-gesture-
// required): sound that was enabled once stays enabled after a reload.
"use strict";

const net = require("net");
const { assert, startPinnedStack, sleep, waitUntil, CHROMIUM, setTestClock, wibMs,
  watchPageErrors } = require("./lib");

const SCREENSHOT = process.env.BROWSER_DISPLAY_SCREENSHOT || "/tmp/display.png";
const SOUND_KEY = "antre.display.sound";
let stack, proxy, browser;

// The event's clock (antred-test, key test:clock): a fixed morning in
// Jakarta, so that the first ticket is A-001 whatever the real day (issue 17).
// It steps a second before each write, as real time would: the page tells
// a recall from the call by its time (callKey).
const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);
let clockMs = CLOCK;

function clockStep() {
  clockMs += 1000;
  setTestClock(stack.redis, "demo", clockMs);
}

// A TCP proxy to antred that can drop everything and refuse for a while.
class Proxy {
  constructor(port) { this.target = port; this.down = false; this.socks = new Set(); }

  start() {
    this.server = net.createServer((c) => {
      if (this.down) { c.destroy(); return; }
      const u = net.connect({ host: "127.0.0.1", port: this.target });
      const pair = [c, u];
      for (const s of pair) {
        this.socks.add(s);
        s.on("error", () => {});
        s.on("close", () => { this.socks.delete(s); for (const o of pair) o.destroy(); });
      }
      c.pipe(u);
      u.pipe(c);
    });
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => {
      this.base = "http://127.0.0.1:" + this.server.address().port;
      resolve(this);
    }));
  }

  cut() {
    this.down = true;
    for (const s of this.socks) s.destroy();
  }

  heal() { this.down = false; }

  stop() {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function launchKioskBrowser() {
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--autoplay-policy=no-user-gesture-required"],
    timeout: 30000,
  });
}

// Replaces speechSynthesis with a recorder that has an Indonesian voice
// (runs before the page's scripts); the TV without one is
// display_voice.test.js.
function installSpeechRecorder(preset) {
  window.antreSpoken = [];
  const idVoice = { name: "Suara uji Indonesia", lang: "id-ID", voiceURI: "test-id",
    localService: true, default: true };
  const stub = {
    speaking: false, pending: false, paused: false,
    speak(u) {
      window.antreSpoken.push({ text: u.text, lang: u.lang });
      setTimeout(() => u.dispatchEvent(new Event("end")), 50);
    },
    cancel() {}, pause() {}, resume() {},
    getVoices() { return [idVoice]; },
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: stub, configurable: true });
  // the page gives the utterance the voice it picked: a plain object here
  Object.defineProperty(SpeechSynthesisUtterance.prototype, "voice", { configurable: true,
    get() { return this.pickedVoice || null; }, set(v) { this.pickedVoice = v; } });
  if (preset) localStorage.setItem(preset.key, preset.value);
}

// A TV-sized page that records script errors and failed loads.
async function tvPage({ sound, query = "?event=demo" } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 }, locale: "id-ID", timezoneId: "Asia/Jakarta",
  });
  await context.addInitScript(installSpeechRecorder,
    sound ? { key: SOUND_KEY, value: "on" } : null);
  const page = watchPageErrors(await context.newPage(), proxy.base);
  const resp = await page.goto(proxy.base + "/web/display.html" + query);
  assert(resp.status() === 200, () => "display page: HTTP " + resp.status());
  // the board has arrived: the stations' tiles are there
  await page.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
  return page;
}

function noErrors(page, allowed = () => false) {
  const errs = page.errors.filter((e) => !allowed(e));
  assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
}

async function issue(service = "dose1") {
  clockStep();
  const r = await stack.antred.post("/v1/events/demo/tickets", { service }, { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  return r.body.ticket;
}

async function station(st, op, body) {
  clockStep();
  const r = await stack.antred.post("/v1/events/demo/stations/" + st + "/" + op, body,
    { role: "station" });
  assert(r.status === 200, () => st + " " + op + ": " + r.status + " " + JSON.stringify(r.body));
  return r.body;
}

const tileCode = (page, st) => page.locator('[data-station="' + st + '"] .code').textContent();
const spoken = (page) => page.evaluate(() => window.antreSpoken);

async function waitSpoken(page, text, { timeout = 4000, count = 1 } = {}) {
  await waitUntil(async () => (await spoken(page)).filter((u) => u.text === text).length >= count,
    { timeout, what: () => "the page to say " + JSON.stringify(text) });
  const u = (await spoken(page)).filter((x) => x.text === text);
  assert(u.every((x) => x.lang === "id-ID"), () => "lang: " + JSON.stringify(u));
}

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK);
  proxy = await new Proxy(stack.antred.port).start();
  browser = await launchKioskBrowser();
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
    if (proxy) await proxy.stop();
  } finally {
    if (stack) await stack.stop();
  }
};

exports.sound_button_enables_and_is_remembered = async function () {
  // no ?event=: the only event is chosen
  const page = await tvPage({ sound: false, query: "" });
  try {
    assert((await page.locator("#event-name").textContent()) === "Gebyar Vaksinasi Uji",
      "the only event is shown");
    const button = page.locator("#sound");
    assert(await button.isVisible(), "the sound button shows until sound is enabled");
    assert((await page.getAttribute("body", "data-sound")) === "blocked", "data-sound");
    assert((await button.textContent()).includes("Aktifkan suara"), "button text");
    await button.click();
    await waitUntil(async () => await button.isHidden(), { timeout: 2000, what: "button hidden" });
    assert((await page.evaluate((k) => localStorage.getItem(k), SOUND_KEY)) === "on",
      "remembered in localStorage");
    await waitSpoken(page, "Suara diaktifkan");
    // a reload remembers it (this browser lets a kiosk play without a click)
    await page.reload();
    await page.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
    await page.waitForSelector('body[data-sound="on"]', { timeout: 2000 });
    assert(await button.isHidden(), "still enabled after a reload");
    // the reload ends the stream's worker (CDP lists its script as a
    // request of the page's till then)
    noErrors(page, (e) => e === "request failed: " + proxy.base +
      "/web/stream_worker.js net::ERR_ABORTED");
  } finally {
    await page.context().close();
  }
};

exports.call_shows_within_a_second_and_is_spoken = async function () {
  const page = await tvPage({ sound: true });
  try {
    // what is said: window.antreSpeechText, and the number words
    const got = await page.evaluate(() => ({
      a: window.antreSpeechText({ code: "A-017", stage: "vaccination", station: "vaccination-3",
        station_number: 3, recall: false }, "Vaksinasi"),
      b: window.antreSpeechText({ code: "B-120", stage: "screening", station: "screening-12",
        station_number: 12, recall: true }, "Skrining"),
      n: [1, 9, 10, 11, 12, 19, 20, 21, 35, 99, 100, 101, 111, 128, 200].map(window.antreNumberWords),
    }));
    assert(got.a === "Nomor antrean A nol satu tujuh, silakan ke meja vaksinasi tiga",
      () => "speech: " + got.a);
    assert(got.b === "Panggilan ulang, nomor antrean B satu dua nol, silakan ke meja skrining " +
      "dua belas", () => "recall speech: " + got.b);
    const want = ["satu", "sembilan", "sepuluh", "sebelas", "dua belas", "sembilan belas",
      "dua puluh", "dua puluh satu", "tiga puluh lima", "sembilan puluh sembilan", "seratus",
      "seratus satu", "seratus sebelas", "seratus dua puluh delapan", "dua ratus"];
    assert(JSON.stringify(got.n) === JSON.stringify(want), () => "numbers: " + got.n.join(" | "));
    // the page has looked whether it may play sound, and may
    await page.waitForSelector('body[data-sound="on"]', { timeout: 2000 });
    assert(await page.locator("#sound").isHidden(), "sound enabled: no button");
    const t = await issue();
    assert(t.code === "A-001", () => "first ticket " + t.code);
    const t0 = Date.now();
    const c = await station("registration-1", "call");
    assert(c.ticket.id === t.id, "called the ticket");
    await page.waitForFunction(() =>
      document.querySelector('[data-station="registration-1"] .code').textContent === "A-001",
    null, { timeout: 1000, polling: 20 });
    const shown = Date.now() - t0;
    assert((await page.locator("#hero-code").textContent()) === "A-001", "hero code");
    assert((await page.locator("#hero-desk").textContent()) === "Silakan ke meja Pendaftaran 1",
      "hero desk");
    assert((await page.locator('[data-station="registration-1"] .desk').textContent()) ===
      "Pendaftaran 1", "desk name");
    assert(await page.locator('[data-station="registration-1"]').evaluate((e) =>
      e.classList.contains("flash")), "the desk is highlighted");
    assert((await page.locator("#calls li").first().textContent()).startsWith("A-001"),
      "last calls");
    const say = "Nomor antrean A nol nol satu, silakan ke meja pendaftaran satu";
    await waitSpoken(page, say, { timeout: 3000 });
    const said = Date.now() - t0;
    await station("registration-1", "recall");
    await waitSpoken(page, "Panggilan ulang, nomor antrean A nol nol satu, silakan ke meja " +
      "pendaftaran satu", { timeout: 3000 });
    assert((await spoken(page)).filter((u) => u.text === say).length === 1, "said once");
    console.log("     shown after " + shown + " ms, spoken after " + said + " ms");
    noErrors(page);
  } finally {
    await page.context().close();
  }
};

// A call while online, then the network goes: the banner shows; a call made
// meanwhile is replayed when it comes back (EventSource's Last-Event-ID),
// shown and spoken once, and the banner goes.
exports.offline_banner_and_catch_up = async function () {
  const page = await tvPage({ sound: true });
  try {
    const banner = page.locator("#offline");
    assert(await banner.isHidden(), "online: no banner");
    const a = await issue(), b = await issue();
    assert(a.code === "A-002" && b.code === "A-003", "the next tickets");
    await station("registration-2", "call");
    await waitSpoken(page, "Nomor antrean A nol nol dua, silakan ke meja pendaftaran dua");
    proxy.cut();
    await waitUntil(async () => await banner.isVisible(), { timeout: 2000, what: "offline banner" });
    assert((await banner.textContent()) === "Koneksi terputus — menyambung ulang…", "banner text");
    // the desk moves on while the TV is cut off
    await station("registration-2", "start");
    await station("registration-2", "complete", { outcome: "done" });
    await station("registration-2", "call");
    await sleep(300);
    assert((await tileCode(page, "registration-2")) === "A-002", "offline: the old board stays");
    proxy.heal();
    const t0 = Date.now();
    await waitUntil(async () => await banner.isHidden(), { timeout: 8000, what: "banner hidden" });
    await waitUntil(async () => (await tileCode(page, "registration-2")) === "A-003",
      { timeout: 2000, what: "the call made while offline shown" });
    console.log("     back online " + (Date.now() - t0) + " ms after the network healed");
    const say = "Nomor antrean A nol nol tiga, silakan ke meja pendaftaran dua";
    await waitSpoken(page, say);
    await sleep(800);            // the board after the replay does not repeat it
    assert((await spoken(page)).filter((u) => u.text === say).length === 1, "said once");
    noErrors(page, (e) => e.startsWith("request failed: " + proxy.base));
  } finally {
    await page.context().close();
  }
};

// The TV's first read of the event hangs (lost on the LAN, never answered):
// it gives up after its time limit, shows the offline banner and tries
// again, and shows the board when the next try is answered.
exports.hung_first_read_is_tried_again = async function () {
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 }, locale: "id-ID", timezoneId: "Asia/Jakarta",
  });
  await context.addInitScript(installSpeechRecorder, null);
  const page = watchPageErrors(await context.newPage(), proxy.base);
  try {
    let held = null;
    await page.route((url) => url.pathname === "/v1/events/demo", (route) => { held = route; },
      { times: 1 });
    await page.goto(proxy.base + "/web/display.html?event=demo");
    await waitUntil(() => held !== null, { timeout: 5000, what: "the first read sent" });
    const banner = page.locator("#offline");
    await waitUntil(async () => await banner.isVisible(),
      { timeout: 15000, what: "the offline banner after the read's time limit" });
    await page.waitForSelector('[data-station="registration-1"]', { timeout: 10000 });
    await waitUntil(async () => await banner.isHidden(), { timeout: 2000, what: "banner hidden" });
    noErrors(page, (e) => e.startsWith("request failed: " + proxy.base));
  } finally {
    await context.close();
  }
};

exports.busy_board_screenshot = async function () {
  // A-001 at registration-1 and A-003 at registration-2 are called, A-002
  // waits at screening; move people along so that every part of the board
  // has something.
  for (let i = 0; i < 14; i++) await issue(i % 5 === 4 ? "dose2" : "dose1");
  const page = await tvPage({ sound: true });
  try {
    const done = async (st) => {
      await station(st, "start");
      await station(st, "complete", { outcome: "done" });
    };
    await done("registration-1");             // A-001 to screening
    await station("registration-1", "call");
    await done("registration-2");             // A-003 to screening
    await station("registration-2", "call");
    await station("screening-1", "call");     // A-002, there first
    await done("screening-1");
    await station("screening-2", "call");
    await done("screening-2");
    await station("vaccination-1", "call");   // a dose, then observation
    await done("vaccination-1");
    await station("vaccination-2", "call");   // A-001 likewise
    await done("vaccination-2");
    await done("registration-1");             // A-004 to screening
    await station("registration-1", "call");
    await station("screening-1", "call");
    await done("screening-1");
    await station("vaccination-3", "call");
    await station("screening-2", "call");
    await station("observation-1", "pause");
    await waitUntil(async () => (await tileCode(page, "observation-1")) === "Istirahat" &&
      (await tileCode(page, "screening-2")) === "A-004",
    { timeout: 3000, what: "the board after the last change" });
    assert((await page.locator("#doses").textContent()) === "2", "two doses on the board");
    const holds = await page.locator("#holds li").allTextContents();
    assert(holds.length === 2 && holds.every((h) => /^A-00\d+boleh pulang \d\d\.\d\d$/.test(h)),
      () => "holds: " + JSON.stringify(holds));
    const reg = await page.locator(".stage").first().textContent();
    assert(reg.startsWith("Pendaftaran"), () => "stage card: " + reg);
    // as it looks once the fresh calls have stopped blinking
    await page.screenshot({ path: SCREENSHOT, animations: "disabled" });
    console.log("     screenshot " + SCREENSHOT);
    noErrors(page);
  } finally {
    await page.context().close();
  }
};
