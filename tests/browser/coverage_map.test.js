// The dashboard's coverage panel ("Cakupan") in real headless Chromium
// against a real antred-test: the campaign's keys written as
// COVERAGE_API.md fixes them (a kabupaten of 3 kecamatan with a desa each,
// counts, the boundaries uploaded through PUT /v1/areas/geometry as 3
// squares, one a MultiPolygon); the SVG has one path per area of the level
// with the class of its coverage, the legend its six classes, a click on an
// area shows its figures as the server gave them, the table is in the
// server's order; without boundaries, a grid of tiles coloured the same
// way; the elderly list largest gap first.  Screenshots go to
// /work/shots/issue14/ when that directory can be made.
"use strict";

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const { assert, startPinnedStack, launchBrowser, watchPageErrors, DEMO_EVENT, TOKENS, wibMs } =
  require("./lib");

const CLOCK = wibMs(2026, 11, 23, 10, 0, 0);
const ORG = TOKENS.organiser;
const P = "antre:{campaign}:";
const SHOTS = "/work/shots/issue14";
let stack, browser;

const ROWS = [
  ["32.01", "Kabupaten Uji", "", "kabupaten", 1500, 300],
  ["32.01.01", "Kec. Barat", "32.01", "kecamatan", 500, 100],
  ["32.01.02", "Kec. Tengah", "32.01", "kecamatan", 400, 80],
  ["32.01.03", "Kec. Timur", "32.01", "kecamatan", 0, 0],
  ["32.01.01.2001", "Desa Satu", "32.01.01", "desa", 500, 100],
  ["32.01.02.2001", "Desa Dua", "32.01.02", "desa", 400, 80],
  ["32.01.03.2001", "Desa Tiga", "32.01.03", "desa", 0, 0],
];
// Barat 50/500 = 10% (class 0), Tengah 340/400 = 85% (class 4), Timur no target
const COUNTS = ["32.01.01.2001|d1", 50, "32.01.01.2001|d2", 20, "32.01.01.2001|e1", 10,
  "32.01.02.2001|d1", 340, "32.01.02.2001|d2", 200, "32.01.02.2001|e1", 75,
  "32.01.03.2001|d1", 7];

function cli(...args) {
  return execFileSync("redis-cli", ["-p", String(stack.redis.port), ...args.map(String)],
    { encoding: "utf8", timeout: 10000 }).trim();
}

function square(x, y, s = 0.05) {
  return [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]];
}

const GEO = { type: "FeatureCollection", features: [
  { type: "Feature", properties: { code: "32.01.01" },
    geometry: { type: "Polygon", coordinates: square(106.0, -6.2) } },
  { type: "Feature", properties: { code: "32.01.02" },
    geometry: { type: "Polygon", coordinates: square(106.05, -6.2) } },
  { type: "Feature", properties: { code: "32.01.03" },
    geometry: { type: "MultiPolygon", coordinates: [square(106.1, -6.2), square(106.1, -6.12, 0.02)] } },
  { type: "Feature", properties: { code: "99.99" },        // no such area: not drawn
    geometry: { type: "Polygon", coordinates: square(107, -6.2) } },
] };

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK, { events: [DEMO_EVENT] });
  cli("HSET", P + "areas", ...ROWS.flatMap((r) => [r[0], JSON.stringify({ code: r[0], name: r[1],
    parent: r[2], level: r[3], target: r[4], elderly_target: r[5] })]));
  cli("HSET", P + "cov:n", ...COUNTS);
  const r = await stack.antred.request("PUT", "/v1/areas/geometry", { role: "admin",
    raw: JSON.stringify(GEO), headers: { "Content-Type": "application/json" } });
  assert(r.status === 200, () => "PUT geometry: " + r.status + " " + JSON.stringify(r.body));
  browser = await launchBrowser();
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

function shot(page, name) {
  try {
    fs.mkdirSync(SHOTS, { recursive: true });
  } catch (e) {
    return Promise.resolve();            // nowhere to keep them: not a failure
  }
  return page.screenshot({ path: path.join(SHOTS, name), fullPage: false });
}

async function open(level) {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 },
    locale: "id-ID", timezoneId: "Asia/Jakarta" });
  await context.addInitScript((t) => sessionStorage.setItem("antre.organiser.token", t), ORG);
  const page = watchPageErrors(await context.newPage(), stack.antred.base);
  page.coverageReads = 0;
  page.on("request", (r) => { if (r.url().includes("/v1/coverage")) page.coverageReads++; });
  const resp = await page.goto(stack.antred.base + "/web/dashboard.html?event=demo");
  assert(resp.status() === 200, () => "dashboard: HTTP " + resp.status());
  await page.waitForFunction(() => !document.getElementById("dash").hidden &&
    document.getElementById("doses").textContent !== "–", null, { timeout: 10000 });
  // nothing is read before the panel is seen
  assert(page.coverageReads === 0, () => "coverage read unseen: " + page.coverageReads);
  await page.$eval("#coverage", (n) => n.scrollIntoView());
  await page.waitForFunction(() => document.querySelectorAll("#cov-body tr").length > 0,
    null, { timeout: 10000 });
  if (level) {
    await page.selectOption("#cov-level", level);
    await page.waitForFunction((l) => document.querySelectorAll("#cov-body tr").length ===
      (l === "kabupaten" ? 1 : 3) && document.getElementById("cov-status").textContent.startsWith("Hari"),
    level, { timeout: 10000 });
  }
  return page;
}

// [code, class] of every area drawn (paths or tiles), in document order.
function drawn(page, sel) {
  return page.$$eval(sel, (ns) => ns.map((n) => [n.getAttribute("data-code"),
    n.getAttribute("class").split(" ").filter((c) => c.startsWith("cov-c") || c === "cov-none")[0]]));
}

exports.map_paths_classes_legend_and_click = async function () {
  const page = await open("kecamatan");
  await page.waitForSelector("#cov-map svg path", { timeout: 5000 });
  const paths = await drawn(page, "#cov-map svg path");
  assert(JSON.stringify(paths.sort()) === JSON.stringify([["32.01.01", "cov-c0"],
    ["32.01.02", "cov-c4"], ["32.01.03", "cov-none"]]), () => "paths: " + JSON.stringify(paths));
  // the MultiPolygon is one path of two rings
  const d = await page.$eval('#cov-map path[data-code="32.01.03"]', (n) => n.getAttribute("d"));
  assert((d.match(/M/g) || []).length === 2, () => "MultiPolygon path: " + d);
  // every path inside the view box
  const inside = await page.$$eval("#cov-map path", (ns) => ns.every((n) => {
    const b = n.getBBox();
    return b.x >= 0 && b.y >= 0 && b.x + b.width <= 640 && b.y + b.height <= 420 && b.width > 10;
  }));
  assert(inside, "paths inside the 640x420 view box");
  // the fills are the legend's colours, no data hatched
  const fills = await page.$$eval("#cov-map path", (ns) => ns.map((n) => getComputedStyle(n).fill));
  assert(fills.includes("rgb(178, 24, 43)") && fills.includes("rgb(33, 102, 172)") &&
    fills.some((f) => f.includes("cov-hatch")), () => "fills: " + fills);
  const legend = await page.$$eval("#cov-legend li", (ns) => ns.map((n) => n.textContent));
  assert(JSON.stringify(legend) === JSON.stringify(["< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%",
    "Tanpa data / target"]), () => "legend: " + legend);
  // the table in the server's order: Barat 10%, Tengah 85%, Timur (no target)
  const api = (await stack.antred.get("/v1/coverage?level=kecamatan", { role: "organiser" })).body;
  const order = await page.$$eval("#cov-body tr", (ns) => ns.map((n) => n.getAttribute("data-code")));
  assert(JSON.stringify(order) === JSON.stringify(api.areas.map((a) => a.code)), () => "order " + order);
  assert(order[0] === "32.01.01" && order[2] === "32.01.03", () => "order " + order);
  // a click shows the figures
  await page.click('#cov-map path[data-code="32.01.02"]');
  const text = await page.textContent("#cov-detail");
  for (const want of ["Kec. Tengah", "32.01.02", "Target400", "Dosis 1340 (85%)",
    "Dosis 2200 (50%)", "Lansia dosis 175 dari 80"])
    assert(text.replace(/\s+/g, "").includes(want.replace(/\s+/g, "")), () => want + " in " + text);
  const sel = await page.$eval('#cov-map path[data-code="32.01.02"]', (n) => n.classList.contains("selected"));
  assert(sel, "the clicked path is marked");
  // the CSV download is the server's CSV of the level shown
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 10000 }),
    page.click("#cov-csv")]);
  assert(dl.suggestedFilename() === "cakupan-kecamatan.csv", () => dl.suggestedFilename());
  const got = fs.readFileSync(await dl.path(), "utf8");
  const want = (await stack.antred.get("/v1/coverage?level=kecamatan&format=csv",
    { role: "organiser" })).body;
  assert(got === want && got.startsWith("code,name,level,parent,target"), () => got);
  await page.$eval("#coverage", (n) => n.scrollIntoView());
  await shot(page, "map_kecamatan.png");
  assert(page.errors.length === 0, () => page.errors.join("\n"));
  await page.context().close();
};

exports.tiles_without_geometry = async function () {
  cli("DEL", P + "areas:geometry");
  const page = await open("desa");
  await page.waitForSelector("#cov-map .cov-tile", { timeout: 5000 });
  assert(await page.$("#cov-map svg") === null, "no SVG without boundaries");
  const tiles = await drawn(page, "#cov-map .cov-tile");
  assert(JSON.stringify(tiles.sort()) === JSON.stringify([["32.01.01.2001", "cov-c0"],
    ["32.01.02.2001", "cov-c4"], ["32.01.03.2001", "cov-none"]]), () => "tiles " + JSON.stringify(tiles));
  const label = await page.textContent('.cov-tile[data-code="32.01.01.2001"]');
  assert(label.includes("Desa Satu") && label.includes("10%"), () => "tile: " + label);
  await page.click('.cov-tile[data-code="32.01.03.2001"]');
  const text = (await page.textContent("#cov-detail")).replace(/\s+/g, "");
  assert(text.includes("DesaTiga") && text.includes("Dosis17(–)"), () => text);
  await page.$eval("#coverage", (n) => n.scrollIntoView());
  await shot(page, "tiles_desa.png");
  assert(page.errors.length === 0, () => page.errors.join("\n"));
  await page.context().close();
};

exports.elderly_list_largest_gap_first = async function () {
  const page = await open();
  await page.waitForFunction(() => document.querySelectorAll("#elderly-body tr").length === 3,
    null, { timeout: 10000 });
  const rows = await page.$$eval("#elderly-body tr", (ns) => ns.map((n) =>
    Array.from(n.children).map((c) => c.textContent)));
  // Desa Satu: 100 - 10 = 90; Desa Dua: 80 - 75 = 5; Desa Tiga: 0
  assert(JSON.stringify(rows) === JSON.stringify([
    ["Desa Satu (32.01.01.2001)", "", "Kec. Barat", "100", "10", "90"],
    ["Desa Dua (32.01.02.2001)", "", "Kec. Tengah", "80", "75", "5"],
    ["Desa Tiga (32.01.03.2001)", "", "Kec. Timur", "0", "0", "0"]]), () => JSON.stringify(rows));
  // printed: the list alone
  await page.evaluate(() => document.body.classList.add("print-elderly"));
  await page.emulateMedia({ media: "print" });
  const shown = await page.evaluate(() => ({
    list: getComputedStyle(document.getElementById("elderly")).display !== "none",
    map: getComputedStyle(document.getElementById("coverage")).display !== "none",
    kpis: getComputedStyle(document.querySelector(".kpis")).display !== "none",
  }));
  assert(shown.list && !shown.map && !shown.kpis, () => JSON.stringify(shown));
  await shot(page, "elderly_print.png");
  assert(page.errors.length === 0, () => page.errors.join("\n"));
  await page.context().close();
};
