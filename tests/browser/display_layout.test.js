// The waiting-room TV (/web/display.html) as a hall sees it from five metres
// (issue 13, point 6), with realistic content: long stage names, a long wait
// at the busiest stage, six recent calls, four stages, a full observation
// list.  At 1280x720 and 1920x1080: no text overflows its box or is cut by
// an ellipsis; at 1080p the secondary texts (last calls, observation list,
// stage cards) are at least 40 px; a called ticket shows under "Dipanggil"
// and moves to "Sedang dilayani" when its service starts; and the TV and the
// person's page write times as the desk and station do (id-ID, "10.20").
//
// Screenshots of both sizes go to DISPLAY_LAYOUT_SHOTS (a directory,
// /tmp/antre-display-layout by default).
"use strict";

const fs = require("fs");
const path = require("path");
const { assert, startPinnedStack, waitUntil, launchBrowser, setTestClock, wibMs } =
  require("./lib");

const SHOTS = process.env.DISPLAY_LAYOUT_SHOTS || "/tmp/antre-display-layout";
const EVENT = {
  id: "tv",
  name: "Vaksinasi Massal Kelurahan Sukamaju",
  timezone: "Asia/Jakarta",
  daily_target: 1000,
  hours: { open: "07:00", close: "17:00" },
  services: [{ id: "dose1", prefix: "A", name: "Dosis 1" }],
  priorities: [{ id: "elderly" }, { id: "regular" }],
  stages: [
    { id: "registration", name: "Pendaftaran dan verifikasi", stations: 2 },
    { id: "screening", name: "Skrining kesehatan", stations: 2 },
    { id: "vaccination", name: "Vaksinasi", stations: 3 },
    { id: "observation", name: "Observasi pasca vaksinasi", stations: 1, hold_minutes: 30 },
  ],
};
const SIZES = [[1280, 720], [1920, 1080]];
// the secondary texts, each at least 40 px at 1920x1080
const SECONDARY = ["#calls .code", "#calls .desk", "#calls .at", "#holds .code",
  "#holds .until", ".stage .name", ".stage .eta", ".stage .eta b", ".stage .waiting small"];

const CLOCK = wibMs(2026, 7, 15, 7, 30, 0);
let clockMs = CLOCK, stack, browser, busy = null;

function step(ms = 1000) {
  clockMs += ms;
  setTestClock(stack.redis, EVENT.id, clockMs);
}

// The clock moves only where a service takes time (setting it spawns a
// redis-cli: a step per request made the filling slow on the sanitizer build).
async function post(p, body, role) {
  const r = await stack.antred.post("/v1/events/tv/" + p, body, { role });
  assert(r.status === 200 || r.status === 201,
    () => p + ": " + r.status + " " + JSON.stringify(r.body));
  return r.body;
}

const op = (st, what, body) => post("stations/" + st + "/" + what, body, "station");

async function serve(st, minutes = 0) {
  await op(st, "call");
  await op(st, "start");
  if (minutes) step(minutes * 60000);
  await op(st, "complete", { outcome: "done" });
}

// 40 people; registration takes a quarter of an hour each (a long wait
// there), twelve go on to observation, two wait at screening, and six calls are the latest.
async function fill() {
  const issued = [];
  for (let i = 0; i < 40; i++) issued.push(await post("tickets", { service: "dose1" }, "desk"));
  for (let k = 0; k < 14; k++) await serve("registration-" + (k % 2 + 1), 15);
  for (let k = 0; k < 12; k++) {
    await serve("screening-" + (k % 2 + 1));
    await serve("vaccination-" + (k % 3 + 1));
  }
  await op("registration-1", "call");
  await op("registration-2", "call");
  await op("screening-1", "call");
  await op("screening-2", "call");
  await op("screening-2", "start");
  await op("vaccination-3", "pause");
  return issued;
}

async function tvPage(w, h) {
  const context = await browser.newContext({ viewport: { width: w, height: h },
    locale: "id-ID", timezoneId: "Asia/Jakarta" });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push("page error: " + e.message));
  const resp = await page.goto(stack.antred.base + "/web/display.html?event=tv");
  assert(resp.status() === 200, () => "display page: HTTP " + resp.status());
  await page.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
  return page;
}

// Every shown element with text of its own whose text is wider than its box,
// ends in an ellipsis, or lies outside a box that clips it or the screen.
function clippedTexts() {
  const BOXES = ".bar, .left, .right, .bottom, .hero, .group, .panel, .tile, .srow, .stage, .doses";
  const bad = [];
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
  for (const e of document.querySelectorAll("body *")) {
    const cs = getComputedStyle(e);
    if (e.getClientRects().length === 0 || cs.visibility === "hidden") continue;
    if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const what = name(e) + " " + JSON.stringify(e.textContent.trim().slice(0, 40));
    if (e.scrollWidth > e.clientWidth + 1 && cs.display !== "inline")
      bad.push(what + ": text " + e.scrollWidth + " px wide in a box of " + e.clientWidth);
    if (cs.textOverflow === "ellipsis" && e.scrollWidth > e.clientWidth)
      bad.push(what + ": cut with an ellipsis");
    const range = document.createRange();
    range.selectNodeContents(e);
    const t = range.getBoundingClientRect();
    if (t.left < -1 || t.top < -1 || t.right > innerWidth + 1 || t.bottom > innerHeight + 1)
      bad.push(what + ": off the screen");
    // boxes that clip, and the board's parts and cards (text that leaves
    // one overlaps the next)
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const acs = getComputedStyle(a);
      if (acs.overflowX === "visible" && acs.overflowY === "visible" && !a.matches(BOXES)) continue;
      const r = a.getBoundingClientRect();
      if (t.left < r.left - 1 || t.right > r.right + 1 || t.top < r.top - 1 ||
          t.bottom > r.bottom + 1)
        bad.push(what + ": cut by " + name(a));
    }
  }
  return bad;
}

async function busyBoard() {
  if (!busy) busy = fill();     // once, for every test
  return busy;
}

// Everything on the board: four stages, six calls, a full observation list.
async function loaded(page) {
  await waitUntil(async () => (await page.locator("#calls li").count()) >= 5 &&
    (await page.locator("#holds li").count()) > 0 && (await page.locator(".stage").count()) === 4,
  { timeout: 5000, what: "the busy board" });
}

exports.setup = async function () {
  fs.mkdirSync(SHOTS, { recursive: true });
  stack = await startPinnedStack(CLOCK, { events: [EVENT] });
  browser = await launchBrowser();
  await busyBoard();
};

exports.teardown = async function () {
  try { if (browser) await browser.close(); } finally { if (stack) await stack.stop(); }
};

exports.nothing_clipped_at_720p_and_1080p = async function () {
  await busyBoard();
  const found = [];
  for (const [w, h] of SIZES) {
    const page = await tvPage(w, h);
    try {
      await loaded(page);
      const file = path.join(SHOTS, "display-" + w + "x" + h + ".png");
      await page.screenshot({ path: file, animations: "disabled" });
      console.log("     screenshot " + file);
      const shown = await page.locator("#calls li").count();
      if (shown !== 6) found.push(w + "x" + h + ": " + shown + " recent calls shown, not 6");
      const waits = await page.locator(".stage .eta").allTextContents();
      assert(waits.some((x) => /\d{3}/.test(x)), () => "a long wait: " + JSON.stringify(waits));
      for (const b of await page.evaluate(clippedTexts)) found.push(w + "x" + h + ": " + b);
      assert(page.errors.length === 0, () => page.errors.join("\n"));
    } finally {
      await page.context().close();
    }
  }
  assert(found.length === 0, () => "clipped:\n" + found.join("\n"));
};

exports.secondary_text_40px_at_1080p = async function () {
  await busyBoard();
  const page = await tvPage(1920, 1080);
  try {
    await loaded(page);
    const small = await page.evaluate((sels) => {
      const out = [];
      for (const s of sels) {
        const list = document.querySelectorAll(s);
        if (!list.length) out.push(s + ": none on the board");
        for (const e of list) {
          const px = parseFloat(getComputedStyle(e).fontSize);
          if (px < 39.5) out.push(s + " " + JSON.stringify(e.textContent) + ": " + px + " px");
        }
      }
      return out;
    }, SECONDARY);
    assert(small.length === 0, () => "below 40 px:\n" + small.join("\n"));
  } finally {
    await page.context().close();
  }
};

exports.called_apart_from_serving = async function () {
  await busyBoard();
  const page = await tvPage(1920, 1080);
  const under = (group, st) => page.locator("#" + group + ' [data-station="' + st + '"] .code')
    .allTextContents();
  try {
    await loaded(page);
    // on the first board: registration-1 has called, screening-2 has started
    const heads = await page.locator(".left h2").allTextContents();
    assert(heads.join("|") === "Dipanggil|Sedang dilayani", () => "headings: " + heads);
    assert((await under("called", "registration-1")).length === 1, "registration-1 has called");
    assert((await under("serving", "screening-2")).length === 1, "screening-2 serves");
    // screening-1 sends whom it called on to vaccination, where he is called
    await op("screening-1", "start");
    await op("screening-1", "complete", { outcome: "done" });
    const called = (await op("vaccination-1", "call")).ticket;
    await waitUntil(async () => (await under("called", "vaccination-1"))[0] === called.code,
      { timeout: 4000, what: () => called.code + " under Dipanggil" });
    assert((await under("serving", "vaccination-1")).length === 0, "not yet serving");
    await op("vaccination-1", "start");
    await waitUntil(async () => (await under("serving", "vaccination-1"))[0] === called.code,
      { timeout: 4000, what: () => called.code + " under Sedang dilayani" });
    assert((await under("called", "vaccination-1")).length === 0, "no longer under Dipanggil");
    // a reload tells them apart from the board alone
    await page.reload();
    await loaded(page);
    await waitUntil(async () => (await under("serving", "vaccination-1"))[0] === called.code &&
      (await under("called", "registration-2")).length === 1,
    { timeout: 4000, what: "the states after a reload" });
  } finally {
    await page.context().close();
  }
};

exports.one_time_format_on_every_page = async function () {
  const issued = await busyBoard();
  const page = await tvPage(1920, 1080);
  try {
    await loaded(page);
    const tv = await page.evaluate(async () => {
      const b = await (await fetch("/v1/events/tv/board")).json();
      return {
        clock: document.getElementById("clock").textContent,
        call: document.querySelector("#calls .at").textContent.replace(/^ulang /, ""),
        // what the desk and the station write for the same moment (common.js)
        desk: window.antre.hhmm(b.calls[0].at),
        hold: document.querySelector("#holds .until").textContent.replace(/^boleh pulang /, ""),
        holdDesk: window.antre.hhmm(b.holds[0].until),
      };
    });
    assert(/^\d\d\.\d\d$/.test(tv.clock), () => "TV clock: " + tv.clock);
    assert(tv.call === tv.desk && /^\d\d\.\d\d$/.test(tv.call),
      () => "last call: TV " + tv.call + ", desk " + tv.desk);
    assert(tv.hold === tv.holdDesk, () => "observation: TV " + tv.hold + ", desk " + tv.holdDesk);
  } finally {
    await page.context().close();
  }
  // the person's page of someone in observation
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 },
    locale: "id-ID", timezoneId: "Asia/Jakarta" });
  try {
    const p = await phone.newPage();
    const r = await stack.antred.get("/v1/events/tv/board");
    const held = issued.find((x) => x.ticket.code === r.body.holds[0].code);
    await p.goto(held.status_url);
    await waitUntil(async () => /pukul/.test(await p.locator("#detail").textContent()),
      { timeout: 5000, what: "the observation line" });
    const got = await p.evaluate((until) => ({
      detail: document.getElementById("detail").textContent,
      updated: document.getElementById("updated").textContent,
      desk: window.antre.hhmm(until),
    }), r.body.holds[0].until);
    assert(got.detail.includes("pukul " + got.desk + "."),
      () => "status: " + got.detail + " (desk: " + got.desk + ")");
    assert(/^\d\d\.\d\d\.\d\d$/.test(got.updated), () => "status updated: " + got.updated);
  } finally {
    await phone.close();
  }
};
