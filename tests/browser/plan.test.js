// The dashboard's planner panel ("Rencana hari berikutnya") in real headless
// Chromium against a real antred-test and its GET /v1/events/{ev}/plan: the
// form prefilled from the event, used from the keyboard, the query it sends,
// the table and the sentence exactly as the server answered the same query,
// an infeasible plan in red, a 400 with the server's message beside the
// form, Redis stopped (SIGSTOP: a real 503 after redis-timeout-ms) and a
// request past the page's time limit, each in plain Indonesian; the panel
// fits at 1366x768 and at 390 px.  Nothing stands in for the server.
"use strict";

const { assert, startPinnedStack, launchBrowser, DEMO_EVENT, TOKENS, waitUntil, wibMs } =
  require("./lib");

// a Wednesday 11:00 in Jakarta: the same answers whenever the tests run
const CLOCK = wibMs(2026, 7, 15, 11, 0, 0);
// a site with room for more desks than it opens: 1000 doses fit, 20000 do not
const ROOM = { registration: 8, screening: 8, vaccination: 12 };
const DEMO = { ...DEMO_EVENT, hours: { open: "08:00", close: "15:00" },
  stages: DEMO_EVENT.stages.map((s) => (ROOM[s.id] ? { ...s, max_stations: ROOM[s.id] } : s)) };
const ORG = TOKENS.organiser;
let stack, browser;

const INT = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
const DEC1 = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
const PCT = new Intl.NumberFormat("id-ID", { style: "percent", maximumFractionDigits: 0 });
const none = (x) => x === null || x === undefined;
const n = (x) => (none(x) ? "–" : INT.format(x));
const SOURCE = { measured: "terukur", default: "bawaan", given: "diisi" };

exports.setup = async function () {
  stack = await startPinnedStack(CLOCK, { events: [DEMO] });
  browser = await launchBrowser();
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

// A page of that size with the organiser's token, recording errors and the
// planner's requests; the dashboard open and showing figures.
async function open(width, height, mobile = false) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "id-ID",
    timezoneId: "Asia/Jakarta", isMobile: mobile, hasTouch: mobile });
  await context.addInitScript((t) => sessionStorage.setItem("antre.organiser.token", t), ORG);
  const page = await context.newPage();
  page.errors = [];
  page.plans = [];
  page.on("pageerror", (e) => page.errors.push("page error: " + e.message));
  page.on("request", (r) => {
    if (r.url().includes("/plan")) page.plans.push(r.url().slice(stack.antred.base.length));
  });
  const resp = await page.goto(stack.antred.base + "/web/dashboard.html?event=demo");
  assert(resp.status() === 200, () => "dashboard: HTTP " + resp.status());
  await page.waitForFunction(() => !document.getElementById("dash").hidden &&
    document.getElementById("doses").textContent !== "–", null, { timeout: 5000 });
  return page;
}

const value = (page, sel) => page.locator(sel).inputValue();

// The server's answer to the query the page sent last.
async function serverPlan(page) {
  assert(page.plans.length > 0, "the page asked for a plan");
  const r = await stack.antred.get(page.plans[page.plans.length - 1], { role: "organiser" });
  return r;
}

// Submits with the keyboard (Enter in the focused field) and waits for the
// request to be answered.
async function submitFrom(page, sel) {
  const before = page.plans.length;
  await page.focus(sel);
  await page.keyboard.press("Enter");
  await waitUntil(() => page.plans.length > before, { timeout: 3000, what: "a plan request" });
  await page.waitForFunction(() => !document.getElementById("plan-form").hasAttribute("aria-busy"),
    null, { timeout: 15000 });
}

async function shownTable(page) {
  return page.$$eval("#plan-body tr", (rows) => rows.map((tr) => ({
    id: tr.getAttribute("data-stage"),
    cells: Array.from(tr.children).map((c) => c.textContent) })));
}

function wantTable(plan) {
  return plan.stages.map((s) => ({ id: s.id, cells: [
    s.name || s.id,
    none(s.stations) ? "–" : n(s.stations) + " / " + n(s.max_stations),
    none(s.utilisation) ? "–" : PCT.format(s.utilisation),
    none(s.p90_wait_s) ? "–" : DEC1.format(s.p90_wait_s / 60),
    none(s.chairs) ? "–" : n(s.chairs) + (s.hold_minutes ? " (" + n(s.hold_minutes) + " menit)" : ""),
    none(s.service_s) ? "–" : n(s.service_s) +
      (s.service_source ? " · " + (SOURCE[s.service_source] || s.service_source) : ""),
  ] }));
}

async function checkShown(page, plan) {
  const got = await shownTable(page);
  assert(JSON.stringify(got) === JSON.stringify(wantTable(plan)), () => "table " +
    JSON.stringify(got) + "\nplan " + JSON.stringify(plan));
  assert((await page.locator("#plan-summary").textContent()) === plan.summary, "the summary");
  const curve = await page.locator("#plan-curve").textContent();
  const words = { given: "kurva yang diberikan", earlier_days: "kedatangan hari-hari sebelumnya",
    typical: "bentuk hari yang lazim" }[plan.curve.source];
  assert(words && curve.includes(words) && curve.includes(n(plan.people) + " orang") &&
    curve.includes("puncak " + n(plan.peak_per_hour) + "/jam"), () => "curve line: " + curve);
}

exports.prefilled_and_planned_from_the_keyboard = async function () {
  const page = await open(1366, 768);
  try {
    assert((await value(page, "#plan-target")) === "1000", "target: the event's daily target");
    assert((await value(page, "#plan-max-wait")) === "15", "max wait 15");
    assert((await value(page, "#plan-open")) === "08:00" && (await value(page, "#plan-close")) ===
      "15:00", "the event's hours");
    const services = await page.$$eval("#plan-services input", (l) => l.map((i) =>
      [i.getAttribute("data-stage"), i.placeholder, i.value]));
    assert(JSON.stringify(services) === JSON.stringify([["registration", "terukur", ""],
      ["screening", "terukur", ""], ["vaccination", "terukur", ""]]), () =>
      "a service time per desk stage: " + JSON.stringify(services));
    // every control is reached with Tab, in order
    await page.focus("#plan-target");
    const order = [];
    for (let i = 0; i < 24; i++) {
      order.push(await page.evaluate(() => document.activeElement.id));
      await page.keyboard.press("Tab");
    }
    for (const id of ["plan-target", "plan-max-wait", "plan-open", "plan-close",
      "plan-service-registration", "plan-service-vaccination", "plan-submit"])
      assert(order.includes(id), () => id + " not reached by Tab: " + order.join(" "));
    // the defaults: only the fields the form holds
    await submitFrom(page, "#plan-target");
    assert(page.plans[0] === "/v1/events/demo/plan?target=1000&max_wait_min=15&open=08%3A00" +
      "&close=15%3A00", () => "query: " + page.plans[0]);
    let r = await serverPlan(page);
    assert(r.status === 200, () => "plan: " + r.status + " " + JSON.stringify(r.body));
    await checkShown(page, r.body);
    assert(r.body.feasible === true, () => "1000 doses in 7 hours fit the site: " +
      JSON.stringify(r.body));
    assert((await page.locator("#plan-result").getAttribute("class")).includes("feasible"), "ok");
    assert(await page.locator("#plan-error").isHidden(), "no error");
    // typed from the keyboard: another target, a service time
    await page.focus("#plan-target");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("1200");
    await page.focus("#plan-service-vaccination");
    await page.keyboard.type("75");
    await submitFrom(page, "#plan-service-vaccination");
    assert(page.plans[1] === "/v1/events/demo/plan?target=1200&max_wait_min=15&open=08%3A00" +
      "&close=15%3A00&service=vaccination%3A75", () => "query: " + page.plans[1]);
    r = await serverPlan(page);
    assert(r.status === 200 && r.body.target === 1200, () => JSON.stringify(r.body));
    const vac = r.body.stages.find((s) => s.id === "vaccination");
    assert(vac.service_s === 75, () => "the service time given: " + JSON.stringify(vac));
    await checkShown(page, r.body);
    assert(page.errors.length === 0, () => page.errors.join("\n"));
  } finally {
    await page.context().close();
  }
};

exports.infeasible_plan_in_red = async function () {
  const page = await open(1366, 768);
  try {
    await page.fill("#plan-target", "20000");
    await page.fill("#plan-max-wait", "5");
    await submitFrom(page, "#plan-submit");
    const r = await serverPlan(page);
    assert(r.status === 200 && r.body.feasible === false, () => "20000 doses cannot be staffed: " +
      JSON.stringify(r.body));
    await checkShown(page, r.body);
    assert((await page.locator("#plan-result").getAttribute("class")).includes("infeasible"),
      "marked infeasible");
    const red = await page.locator("#plan-summary").evaluate((e) => getComputedStyle(e).color);
    assert(red === "rgb(180, 35, 24)", () => "the summary in red: " + red);
    const over = await page.locator("#plan-body td.over").count();
    const beyond = r.body.stages.filter((s) => s.stations > s.max_stations).length;
    assert(beyond > 0 && over === beyond, () => "desks beyond the site's maximum: " + over);
  } finally {
    await page.context().close();
  }
};

exports.bad_input_shows_the_servers_message = async function () {
  const page = await open(1366, 768);
  try {
    await page.fill("#plan-open", "15:00");
    await page.fill("#plan-close", "08:00");
    await submitFrom(page, "#plan-submit");
    let r = await serverPlan(page);
    assert(r.status === 400 && r.body.error.code === "invalid_parameter", () => JSON.stringify(r.body));
    const err = page.locator("#plan-error");
    assert(await err.isVisible(), "the error beside the form");
    const msg = await err.textContent();
    assert(msg === r.body.error.message, () => "message: " + msg + " / " + r.body.error.message);
    assert(await page.locator("#plan-result").isHidden(), "no table for a refused plan");
    // a service time out of bounds: the message names the parameter
    await page.fill("#plan-open", "08:00");
    await page.fill("#plan-close", "15:00");
    await page.fill("#plan-service-registration", "2");
    await submitFrom(page, "#plan-submit");
    r = await serverPlan(page);
    assert(r.status === 400 && /service/.test(r.body.error.message), () => JSON.stringify(r.body));
    assert((await err.textContent()) === r.body.error.message, "the server's message");
    // corrected: the error goes, the plan shows
    await page.fill("#plan-service-registration", "30");
    await submitFrom(page, "#plan-submit");
    r = await serverPlan(page);
    assert(r.status === 200, () => JSON.stringify(r.body));
    assert(await err.isHidden(), "the error is gone");
    await checkShown(page, r.body);
  } finally {
    await page.context().close();
  }
};

exports.redis_stopped_and_no_answer_in_time = async function () {
  const page = await open(1366, 768);
  const redis = stack.redis.proc;
  try {
    redis.kill("SIGSTOP");
    // past the page's time limit (the daemon waits redis-timeout-ms, 1 s)
    await page.evaluate(() => { window.antrePlan.timeoutMs = 300; });
    await submitFrom(page, "#plan-submit");
    const err = page.locator("#plan-error");
    let said = await err.textContent();
    assert(said.startsWith("Server tidak menjawab tepat waktu"), () => "timeout: " + said);
    // the daemon's 503 once Redis does not answer
    await page.evaluate(() => { window.antrePlan.timeoutMs = 20000; });
    await submitFrom(page, "#plan-submit");
    said = await err.textContent();
    assert(said.startsWith("Penyimpanan antrean (Redis) tidak terjangkau"), () => "503: " + said);
    assert(await page.locator("#plan-submit").isEnabled(), "the button is usable again");
  } finally {
    redis.kill("SIGCONT");
    await page.context().close();
  }
};

// Every control of the panel inside the viewport, none cut off.
async function fits(page, width) {
  const boxes = await page.$$eval("#plan input, #plan button, #plan h2, #plan .plan-summary",
    (l) => l.map((e) => { const b = e.getBoundingClientRect();
      return { id: e.id || e.tagName, left: b.left, right: b.right }; }));
  const out = boxes.filter((b) => b.left < 0 || b.right > width + 0.5);
  assert(out.length === 0, () => "outside " + width + " px: " + JSON.stringify(out));
  const panel = await page.locator("#plan").boundingBox();
  assert(panel.x >= 0 && panel.x + panel.width <= width + 0.5, () => "panel " +
    JSON.stringify(panel));
}

exports.fits_at_1366_and_390 = async function () {
  for (const [w, h, mobile] of [[1366, 768, false], [390, 844, true]]) {
    const page = await open(w, h, mobile);
    try {
      await page.locator("#plan").scrollIntoViewIfNeeded();
      await page.fill("#plan-target", "20000");
      await submitFrom(page, "#plan-submit");
      await page.waitForSelector("#plan-result:not([hidden])", { timeout: 5000 });
      await fits(page, w);
      // the table scrolls inside its box; the page does not grow sideways
      const sideways = await page.evaluate(() => document.getElementById("plan").scrollWidth -
        document.getElementById("plan").clientWidth);
      assert(sideways <= 0, () => "the panel overflows by " + sideways + " px at " + w);
      const page_ = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(page_ <= w, () => "the page scrolls sideways at " + w + ": " + page_ + " px");
      await page.locator("#plan").screenshot({ path: "/tmp/plan-" + w + ".png" });
    } finally {
      await page.context().close();
    }
  }
};
