// The waiting-room TV from the stream's deltas alone: antred sends the
// whole board once, when the page connects, and then only `delta` events
// (sse-board-every 3600: no whole board again within the test).  The TV
// must show the queues, a call, its desk and the counts that follow from
// them within a bounded wait, as the board says (GET /board); so must a
// second TV of the same browser that joins the stream once it is open (the
// board its SharedWorker kept).  A plain reader of the same stream counts
// the whole boards: one.
"use strict";

const http = require("http");
const { assert, startPinnedStack, waitUntil, launchBrowser, setTestClock, wibMs } =
  require("./lib");

const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);
let stack, browser, clockMs = CLOCK;

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK, { extra: ["sse-board-every 3600"] });
  browser = await launchBrowser();
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

async function post(p, body, role) {
  clockMs += 1000;                  // a call's time tells it from a recall
  setTestClock(stack.redis, "demo", clockMs);
  const r = await stack.antred.post("/v1/events/demo" + p, body, { role });
  assert(r.status === 200 || r.status === 201, () => p + ": " + r.status + " " +
    JSON.stringify(r.body));
  return r.body;
}

// The event's stream read raw: the types of its events, in order.
function readStream() {
  const seen = { types: [], req: null };
  seen.req = http.get(stack.antred.base + "/v1/events/demo/stream", (res) => {
    let buf = "";
    res.setEncoding("utf8");
    res.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const m = /^event: (\S+)$/m.exec(buf.slice(0, i));
        if (m) seen.types.push(m[1]);
        buf = buf.slice(i + 2);
      }
    });
    res.on("error", () => {});
  });
  seen.req.on("error", () => {});
  return seen;
}

async function tv(page) {
  return page.evaluate(() => ({
    waiting: Array.from(document.querySelectorAll(".stage .waiting"))
      .map((w) => w.firstChild.textContent),
    tile: document.querySelector('[data-station="registration-2"] .code').textContent,
    called: Array.from(document.querySelectorAll("#called [data-station]"))
      .map((t) => t.getAttribute("data-station")),
    hero: document.getElementById("hero-code").textContent,
    calls: Array.from(document.querySelectorAll("#calls li .code")).map((c) => c.textContent),
    issued: document.getElementById("issued").textContent,
  }));
}

async function shows(page, want, what) {
  let got;
  try {
    await waitUntil(async () => {
      got = await tv(page);
      return Object.keys(want).every((k) => JSON.stringify(got[k]) === JSON.stringify(want[k]));
    }, { timeout: 5000, what });
  } catch (e) {
    throw new Error(e.message + "; the TV shows " + JSON.stringify(got));
  }
}

exports.tv_follows_deltas_alone = async function () {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 },
    locale: "id-ID", timezoneId: "Asia/Jakarta" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const raw = readStream();
  try {
    await page.goto(stack.antred.base + "/web/display.html?event=demo");
    await page.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
    await shows(page, { waiting: ["0", "0", "0", "0"] }, "the first board");
    const t = [];
    for (let i = 0; i < 3; i++) t.push((await post("/tickets", { service: "dose1" }, "desk")).ticket);
    await shows(page, { waiting: ["3", "0", "0", "0"], issued: "3" }, "three waiting");
    await post("/stations/registration-2/call", undefined, "station");
    await shows(page, { waiting: ["2", "0", "0", "0"], tile: t[0].code, hero: t[0].code,
      called: ["registration-2"], calls: [t[0].code] }, "the call and two waiting");
    await post("/stations/registration-2/start", undefined, "station");
    await post("/stations/registration-2/complete", { outcome: "done" }, "station");
    await post("/stations/registration-2/call", undefined, "station");
    await shows(page, { waiting: ["1", "1", "0", "0"], tile: t[1].code, hero: t[1].code,
      calls: [t[1].code, t[0].code] }, "the next call and one on to screening");
    // what the TV shows is what the board says
    const board = (await stack.antred.get("/v1/events/demo/board")).body;
    const got = await tv(page);
    assert(JSON.stringify(got.waiting) === JSON.stringify(board.stages.map((s) => String(s.waiting))),
      () => JSON.stringify(got) + "\n" + JSON.stringify(board.stages));
    // a second TV of this browser joins the stream already open (one per
    // browser, stream_worker.js): it is told the board as the deltas made it
    const second = await context.newPage();
    second.on("pageerror", (e) => errors.push(e.message));
    await second.goto(stack.antred.base + "/web/display.html?event=demo");
    await second.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
    await shows(second, { waiting: got.waiting, tile: t[1].code, issued: "3",
      calls: [t[1].code, t[0].code] }, "the second TV, from the kept board");
    const mode = await second.evaluate(() => window.antre.streamMode());
    await waitUntil(() => raw.types.filter((x) => x === "delta").length >= 3,
      { timeout: 5000, what: "three deltas on the raw stream" });
    assert(raw.types.filter((x) => x === "board").length === 1,
      () => "one whole board only: " + raw.types.join(","));
    assert(mode === "worker", () => "the stream's mode: " + mode);
    assert(errors.length === 0, () => "page errors: " + errors.join("\n"));
  } finally {
    raw.req.destroy();
    await context.close();
  }
};
