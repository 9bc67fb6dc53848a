// Every page (desk, station, TV, status, dashboard) in real headless
// Chromium: a load with no console error and no 4xx anywhere (the browser's
// own /favicon.ico included, which antred's log shows); the desk and the
// station check their token with GET /v1/whoami and nothing else; and the
// service worker (/sw.js): it keeps the pages' shell, never the API, and a
// reload of the TV and of a status page while antred is stopped shows the
// page with its Indonesian offline banner, not Chromium's error page.
"use strict";

const { assert, startPinnedStack, launchBrowser, waitUntil, sleep, TOKENS, wibMs } =
  require("./lib");

const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);
const CACHE = "antre-shell-v1";
// the TV reloaded while antred is stopped
const SCREENSHOT = process.env.PAGES_OFFLINE_SCREENSHOT || "/tmp/display-offline.png";
let stack, browser;

// A page that records script errors, every console error (the failed loads
// included: the point here) and every answer of 400 or more.
async function newPage({ storage = {}, viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, locale: "id-ID",
    timezoneId: "Asia/Jakarta" });
  await context.addInitScript((kv) => {
    for (const [k, v] of Object.entries(kv)) sessionStorage.setItem(k, v);
  }, storage);
  const page = await context.newPage();
  page.errors = [];
  page.requests = [];
  page.on("pageerror", (e) => page.errors.push("page error: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push("console: " + m.text());
  });
  page.on("request", (r) => page.requests.push(r.method() + " " + new URL(r.url()).pathname));
  context.on("response", (r) => {
    if (r.status() >= 400) page.errors.push("HTTP " + r.status() + ": " + r.url());
  });
  return page;
}

// antred's debug log names every answer ("route uri -> status"): the 4xx
// ones since `from` (a length of the log), whoever asked (the browser's
// favicon request is no page's, and shows only here).
function serverErrors(from) {
  return stack.antred.logText().slice(from).split("\n")
    .filter((l) => / -> 4\d\d \(/.test(l));
}

async function issue() {
  const r = await stack.antred.post("/v1/events/demo/tickets", { service: "dose1" },
    { role: "desk" });
  assert(r.status === 201, () => "issue: " + JSON.stringify(r.body));
  return r.body;
}

// Opens `path` and waits for `ready` (a selector shown once the page is up),
// then a little more for late requests (favicon, stream); no error of any kind.
async function loadsClean(path, ready, opts) {
  const from = stack.antred.logText().length;
  const page = await newPage(opts);
  try {
    const resp = await page.goto(stack.antred.base + path);
    assert(resp.status() === 200, () => path + ": " + resp.status());
    const t0 = Date.now();
    await page.locator(ready).first().waitFor({ state: "visible", timeout: 8000 });
    // a page that names no icon gets the browser's own request for one
    if (opts && opts.favicon)
      await waitUntil(() => /\/favicon\.ico -> /.test(stack.antred.logText().slice(from)),
        { timeout: 8000, what: "the browser's favicon request" });
    await sleep(800);
    if (process.env.PAGES_TIMING) console.log(path, "ready after", Date.now() - t0, "ms");
    assert(page.errors.length === 0, () => path + " reported:\n" + page.errors.join("\n"));
    const srv = serverErrors(from);
    assert(srv.length === 0, () => path + ": antred answered 4xx:\n" + srv.join("\n"));
    return page.requests.slice();
  } finally {
    await page.context().close();
  }
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

exports.favicon_served = async function () {
  const ico = await fetch(stack.antred.base + "/favicon.ico");
  const bytes = Buffer.from(await ico.arrayBuffer());
  assert(ico.status === 200 && ico.headers.get("content-type") === "image/x-icon", "favicon.ico");
  assert(bytes.readUInt16LE(2) === 1 && bytes.readUInt16LE(4) >= 1, "an ICO header");
  const svg = await fetch(stack.antred.base + "/web/favicon.svg");
  assert(svg.status === 200 && svg.headers.get("content-type") === "image/svg+xml", "favicon.svg");
};

exports.desk_loads_clean_and_checks_with_whoami = async function () {
  const reqs = await loadsClean("/web/desk.html", "#main .service",
    { storage: { "antre.desk.token": TOKENS.desk } });
  assert(reqs.includes("GET /v1/whoami"), () => "whoami asked: " + reqs.join(", "));
  assert(!reqs.some((r) => r.startsWith("POST ")), () => "nothing posted: " + reqs.join(", "));
};

exports.station_loads_clean_and_checks_with_whoami = async function () {
  const reqs = await loadsClean("/web/station.html?event=demo&station=registration-1", "#main",
    { storage: { "antre.station.token": TOKENS.station } });
  assert(reqs.includes("GET /v1/whoami"), () => "whoami asked: " + reqs.join(", "));
  assert(!reqs.some((r) => r.startsWith("POST ")), () => "nothing posted: " + reqs.join(", "));
};

exports.display_loads_clean = async function () {
  await loadsClean("/web/display.html", "#board", { viewport: { width: 1920, height: 1080 },
    favicon: true });
};

exports.status_loads_clean = async function () {
  const t = await issue();
  await loadsClean(new URL(t.status_url).pathname + new URL(t.status_url).search, "#now",
    { viewport: { width: 390, height: 844 }, favicon: true });
};

exports.dashboard_loads_clean = async function () {
  await loadsClean("/web/dashboard.html", "#dash",
    { storage: { "antre.organiser.token": TOKENS.organiser } });
};

// The worker's copy of a page: the keys of its cache.
function cachedKeys(page) {
  return page.evaluate((name) => caches.open(name).then((c) => c.keys())
    .then((ks) => ks.map((k) => new URL(k.url).pathname + new URL(k.url).search)), CACHE);
}

async function controlled(page, what) {
  await waitUntil(() => page.evaluate(() => !!navigator.serviceWorker.controller),
    { timeout: 8000, what: what + " controlled by the worker" });
}

// A reload while antred is stopped shows the TV and the status page from
// the worker's copy, each with its offline banner in Indonesian; the API
// was never kept nor answered by the worker.
exports.reload_while_stopped_shows_the_page_offline = async function () {
  const t = await issue();
  const statusPath = new URL(t.status_url).pathname + new URL(t.status_url).search;
  const tv = await newPage({ viewport: { width: 1920, height: 1080 } });
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  let fromWorker = [];
  for (const p of [tv, phone])
    p.on("response", (r) => {
      if (new URL(r.url()).pathname.startsWith("/v1/") && r.fromServiceWorker())
        fromWorker.push(r.url());
    });
  try {
    await tv.goto(stack.antred.base + "/web/display.html?event=demo");
    await tv.waitForFunction(() => document.getElementById("event-name").textContent ===
      "Gebyar Vaksinasi Uji", null, { timeout: 8000 });
    await phone.goto(stack.antred.base + statusPath);
    await phone.waitForFunction((c) => document.getElementById("code").textContent === c,
      t.ticket.code, { timeout: 8000 });
    await controlled(tv, "the TV");
    await controlled(phone, "the status page");
    // the first load was before the worker: it was told what to keep (each
    // context has its own store)
    for (const [p, want] of [[tv, ["/web/display.html", "/web/display.js", "/web/display.css",
      "/web/style.css", "/web/common.js"]], [phone, ["/web/status.js", "/web/style.css",
      "/web/common.js", statusPath]]]) {
      await waitUntil(async () => {
        const keys = await cachedKeys(p);
        return want.every((w) => keys.includes(w));
      }, { timeout: 8000, what: "the shell kept: " + want.join(", ") });
    }
    // a reload while up is the server's page, through the worker
    await tv.reload();
    await tv.locator("#board").waitFor({ state: "visible", timeout: 8000 });
    const keys = await cachedKeys(tv);
    assert(!keys.some((k) => k.startsWith("/v1/")), () => "API kept: " + keys.join(", "));
    assert(tv.errors.length === 0 && phone.errors.length === 0, () => "errors while up:\n" +
      tv.errors.concat(phone.errors).join("\n"));

    await stack.antred.stop();        // the last test of the file: no restart
    tv.errors.length = 0;
    phone.errors.length = 0;
    await tv.reload();
    assert(tv.url().startsWith(stack.antred.base + "/web/display.html"),
      () => "not Chromium's error page: " + tv.url());
    await tv.locator("#offline").waitFor({ state: "visible", timeout: 8000 });
    const banner = await tv.locator("#offline").textContent();
    assert(banner.includes("Koneksi terputus"), () => "banner: " + banner);
    assert((await tv.title()) === "Layar antrean", "the TV's own title");
    assert(await tv.evaluate(() => getComputedStyle(document.body).backgroundColor !==
      "rgba(0, 0, 0, 0)"), "its stylesheet too");
    await tv.screenshot({ path: SCREENSHOT });

    await phone.reload();
    assert(phone.url() === stack.antred.base + statusPath, () => "phone at " + phone.url());
    await phone.locator("#offline").waitFor({ state: "visible", timeout: 8000 });
    assert((await phone.locator("#offline").textContent()).includes("Tidak tersambung"),
      "the phone's banner");
    assert(fromWorker.length === 0, () => "API answered by the worker: " + fromWorker.join(", "));
  } finally {
    await tv.context().close();
    await phone.context().close();
  }
};
