// The TV with no speech voice, as Chromium on a small Linux board (a TV
// stick without speech-dispatcher) is: speechSynthesis.getVoices() is []
// (overridden before the page's scripts run), so a call is played as the
// WAV antred makes with libespeak-ng (GET /v1/events/{ev}/speech.wav),
// through an Audio element, one announcement after another; the page never
// reads it with speechSynthesis.  The WAV really plays to its end
// (HTMLMediaElement's `ended`).  Without antred's audio (speech 0: 503),
// the page falls back to the browser's own voice.
//
// Two browsers: a kiosk started with --autoplay-policy=no-user-gesture-
// required (sound remembered, no click), and one with Chromium's default
// policy, where the "Aktifkan suara" click is what lets the page play.
"use strict";

const { assert, startPinnedStack, waitUntil, CHROMIUM, setTestClock, wibMs,
  watchPageErrors } = require("./lib");

const SOUND_KEY = "antre.display.sound";
const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);
let stack, kiosk, plain;
let clockMs = CLOCK;

async function launch(args) {
  const { chromium } = require("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ...args],
    timeout: 30000,
  });
}

// Runs before the page's scripts: no voices, a record of what
// speechSynthesis is asked to say, and of every media element's play()
// (its address) and of each `ended`.
function noVoices(preset) {
  window.antreSpoken = [];
  window.antrePlayed = [];
  window.antreEnded = [];
  const s = window.speechSynthesis;
  if (s) {
    s.getVoices = () => [];
    const speak = s.speak.bind(s);
    s.speak = (u) => { window.antreSpoken.push(u.text); speak(u); };
  }
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    window.antrePlayed.push(this.src);
    // played whole, to its `ended`, only faster than a hall hears it
    this.playbackRate = 4;
    if (!this.antreWatched) {
      this.antreWatched = true;
      this.addEventListener("ended", () => window.antreEnded.push(this.src));
    }
    return play.call(this);
  };
  if (preset) localStorage.setItem(preset.key, preset.value);
}

async function tvPage(browser, base, { sound }) {
  const context = await browser.newContext({
    viewport: { width: 1920, height: 1080 }, locale: "id-ID", timezoneId: "Asia/Jakarta",
  });
  await context.addInitScript(noVoices, sound ? { key: SOUND_KEY, value: "on" } : null);
  const page = watchPageErrors(await context.newPage(), base);
  page.wavs = [];
  page.on("response", (r) => {
    if (r.url().includes("/speech.wav?"))
      page.wavs.push({ url: r.url(), status: r.status(), type: r.headers()["content-type"] });
  });
  const resp = await page.goto(base + "/web/display.html?event=demo");
  assert(resp.status() === 200, () => "display page: HTTP " + resp.status());
  await page.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
  return page;
}

function noErrors(page, allowed = () => false) {
  const errs = page.errors.filter((e) => !allowed(e));
  assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
}

async function issue() {
  clockMs += 1000;
  setTestClock(stack.redis, "demo", clockMs);
  const r = await stack.antred.post("/v1/events/demo/tickets", { service: "dose1" },
    { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  return r.body.ticket;
}

async function station(st, op, body) {
  clockMs += 1000;
  setTestClock(stack.redis, "demo", clockMs);
  const r = await stack.antred.post("/v1/events/demo/stations/" + st + "/" + op, body,
    { role: "station" });
  assert(r.status === 200, () => st + " " + op + ": " + r.status + " " + JSON.stringify(r.body));
  return r.body;
}

// Waits until the page has played the WAV whose address ends in `query`
// to its end (count times), and antred answered it with audio.
async function waitPlayed(page, query, { count = 1, timeout = 20000 } = {}) {
  const ended = async () => (await page.evaluate(() => window.antreEnded))
    .filter((u) => u.endsWith("/v1/events/demo/speech.wav?" + query)).length;
  await waitUntil(async () => (await ended()) >= count,
    { timeout, step: 50, what: "the page to play speech.wav?" + query });
  const got = page.wavs.filter((w) => w.url.endsWith("?" + query));
  assert(got.length >= 1 && got.every((w) => w.status === 200 && w.type === "audio/wav"),
    () => "antred's answers: " + JSON.stringify(got));
}

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK);
  kiosk = await launch(["--autoplay-policy=no-user-gesture-required"]);
  plain = await launch([]);
};

exports.teardown = async function () {
  try {
    if (kiosk) await kiosk.close();
    if (plain) await plain.close();
  } finally {
    if (stack) await stack.stop();
  }
};

exports.call_played_as_antreds_wav = async function () {
  const page = await tvPage(kiosk, stack.antred.base, { sound: true });
  try {
    await page.waitForSelector('body[data-sound="on"]', { timeout: 2000 });
    assert((await page.evaluate(() => window.speechSynthesis.getVoices().length)) === 0,
      "the browser has no voice");
    const t = await issue();
    assert(t.code === "A-001", () => "first ticket " + t.code);
    await station("registration-1", "call");
    await waitPlayed(page, "code=A-001&station=registration-1");
    // a recall is said again, as a recall; a second call after it, in turn
    await issue();
    await station("registration-1", "recall");
    await station("registration-2", "call");
    await waitPlayed(page, "code=A-001&station=registration-1&recall=1");
    await waitPlayed(page, "code=A-002&station=registration-2");
    const played = (await page.evaluate(() => window.antrePlayed))
      .map((u) => u.slice(u.indexOf("?") + 1));
    assert(JSON.stringify(played) === JSON.stringify(["code=A-001&station=registration-1",
      "code=A-001&station=registration-1&recall=1", "code=A-002&station=registration-2"]),
    () => "played, in order, once each: " + JSON.stringify(played));
    const spoken = await page.evaluate(() => window.antreSpoken);
    assert(spoken.length === 0, () => "speechSynthesis was used: " + JSON.stringify(spoken));
    noErrors(page);
  } finally {
    await page.context().close();
  }
};

// Chromium's default autoplay policy: the page may not play until the
// "Aktifkan suara" click; the click plays antred's "suara diaktifkan", and
// the calls after it play too.
exports.sound_button_unlocks_the_wav = async function () {
  const page = await tvPage(plain, stack.antred.base, { sound: false });
  try {
    const button = page.locator("#sound");
    assert(await button.isVisible(), "the sound button shows until sound is enabled");
    await button.click();
    await waitPlayed(page, "phrase=sound_on");
    // A-001 on to screening, and called there
    await station("registration-1", "start");
    await station("registration-1", "complete", { outcome: "done" });
    await station("screening-1", "call");
    const called = (await stack.antred.get("/v1/events/demo/board")).body.calls[0];
    assert(called.station === "screening-1", () => "board: " + JSON.stringify(called));
    await waitPlayed(page, "code=" + called.code + "&station=screening-1");
    assert((await page.evaluate(() => window.antreSpoken)).length === 0, "no speechSynthesis");
    assert(await button.isHidden(), "sound stays on");
    noErrors(page);
  } finally {
    await page.context().close();
  }
};

// antred says no calls (speech 0: 503 speech_unavailable): the page reads
// the call with the browser's own voice rather than stay mute.
exports.without_antreds_audio_the_browser_voice = async function () {
  const off = await startPinnedStack(CLOCK, { extra: ["speech 0"] });
  const page = await tvPage(kiosk, off.antred.base, { sound: true });
  try {
    const r = await off.antred.post("/v1/events/demo/tickets", { service: "dose1" },
      { role: "desk" });
    assert(r.status === 201, "issued");
    assert(r.body.ticket.code === "A-001", () => "first ticket " + r.body.ticket.code);
    const c = await off.antred.post("/v1/events/demo/stations/registration-2/call", undefined,
      { role: "station" });
    assert(c.status === 200, "called");
    const say = "Nomor antrean A nol nol satu, silakan ke meja pendaftaran dua";
    await waitUntil(async () => (await page.evaluate(() => window.antreSpoken)).includes(say),
      { timeout: 10000, what: "the browser voice to say " + say });
    assert(page.wavs.length === 1 && page.wavs[0].status === 503,
      () => "antred was asked first: " + JSON.stringify(page.wavs));
    noErrors(page, (e) => e.startsWith("HTTP 503: GET /v1/events/demo/speech.wav?"));
  } finally {
    await page.context().close();
    await off.stop();
  }
};
