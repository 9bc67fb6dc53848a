// Second doses in the pages (issue 14): the person's page at the end of a
// dose 1 whose service has a next dose says from which day to come back,
// in id-ID words ("Kembali untuk dosis 2 mulai Sabtu, 2 Januari 2027"),
// through the timed wait and once done; a dose 2 ticket says nothing of
// it.  The desk's "Cari tiket" says a person's doses in words: never
// vaccinated, not yet due, overdue.  On antred-test's clock: 5 December
// 2026 in Jakarta, dose 2 from 2 January 2027 (28 days on).
"use strict";

const { assert, startPinnedStack, launchBrowser, phonePage, wibMs, setTestClock, DEMO_EVENT,
  TOKENS, watchPageErrors } = require("./lib");

const DAY1 = wibMs(2026, 12, 5, 9, 0, 0);
const NIK = "3171021505960001";          // born 15 May 1996
const NIK_DESK = "3171021212800004";     // born 12 December 1980
const NOBODY = "3171021111110005";

const EVENT = Object.assign({}, DEMO_EVENT, {
  services: [
    { id: "dose1", prefix: "A", name: "Dosis 1", dose: 1, next_dose_after_days: 28 },
    { id: "dose2", prefix: "B", name: "Dosis 2", dose: 2 },
  ],
});

let stack, browser;

exports.setup = async function () {
  stack = await startPinnedStack(DAY1, { events: [EVENT] });
  browser = await launchBrowser();
};

exports.teardown = async function () {
  try {
    if (browser) await browser.close();
  } finally {
    if (stack) await stack.stop();
  }
};

async function issue(body) {
  const r = await stack.antred.post("/v1/events/demo/tickets", body, { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  return r.body;
}

async function op(station, name, body) {
  const r = await stack.antred.post("/v1/events/demo/stations/" + station + "/" + name, body,
    { role: "station" });
  assert(r.status === 200, () => station + " " + name + ": " + r.status + JSON.stringify(r.body));
}

// Through registration, screening and vaccination: into the timed wait.
async function give(code) {
  for (const stage of ["registration", "screening", "vaccination"]) {
    await op(stage + "-1", "call", { ticket: code });
    await op(stage + "-1", "start");
    await op(stage + "-1", "complete", { outcome: "done" });
  }
}

const shown = (page, sel) => page.evaluate((s) => {
  const el = document.querySelector(s);
  return el && !el.hidden ? el.textContent : null;
}, sel);

exports.person_page_says_when_to_come_back = async function () {
  const first = await issue({ service: "dose1", nik: NIK });
  const second = await issue({ service: "dose2" });
  await give(first.ticket.code);
  await give(second.ticket.code);
  const page = await phonePage(browser);
  const other = await phonePage(browser);
  try {
    await page.goto(first.status_url);
    await page.waitForFunction(() => !document.getElementById("next-dose").hidden, null,
      { timeout: 5000 });
    const want = "Kembali untuk dosis 2 mulai Sabtu, 2 Januari 2027";
    assert((await shown(page, "#next-dose")) === want, async () => await shown(page, "#next-dose"));
    // the timed wait over: done, and still said
    setTestClock(stack.redis, "demo", DAY1 + 31 * 60000);
    await page.waitForFunction(() => document.getElementById("headline").textContent
      .startsWith("Selesai"), null, { timeout: 10000 });
    assert((await shown(page, "#next-dose")) === want, "still there once done");
    // a dose 2: nothing to come back for
    await other.goto(second.status_url);
    await other.waitForFunction((c) => document.getElementById("code").textContent === c,
      second.ticket.code, { timeout: 5000 });
    assert((await shown(other, "#next-dose")) === null, "no next dose after dose 2");
    const errors = page.errors.concat(other.errors);
    assert(errors.length === 0, () => errors.join("\n"));
  } finally {
    await page.context().close();
    await other.context().close();
  }
};

async function find(page, nik) {
  await page.fill("#find-nik", nik);
  await page.click("#find-submit");
  await page.waitForFunction(() => !document.getElementById("find-dose").hidden, null,
    { timeout: 5000 });
  return shown(page, "#find-dose");
}

exports.desk_says_the_doses_in_words = async function () {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 },
    locale: "id-ID", timezoneId: "Asia/Jakarta" });
  await context.addInitScript((t) => sessionStorage.setItem("antre.desk.token", t), TOKENS.desk);
  const page = watchPageErrors(await context.newPage(), stack.antred.base);
  try {
    setTestClock(stack.redis, "demo", DAY1 + 60 * 60000);
    await give((await issue({ service: "dose1", nik: NIK_DESK })).ticket.code);
    await page.goto(stack.antred.base + "/web/desk.html?event=demo");
    let said = await find(page, NOBODY);
    assert(said === "Belum pernah divaksin.", said);
    said = await find(page, NIK_DESK);
    assert(said === "Dosis 1 sudah 5 Des 2026 — dosis 2 mulai 2 Jan 2027.", said);
    // 28 days after it fell due: overdue (dose-overdue-after-days)
    setTestClock(stack.redis, "demo", wibMs(2027, 1, 30, 9, 0, 0));
    said = await find(page, NIK_DESK);
    assert(said === "Dosis 1 sudah 5 Des 2026 — dosis 2 terlambat sejak 2 Jan 2027.", said);
    assert((await page.getAttribute("#find-dose", "class")).includes("warn"), "shown as a warning");
    assert(page.errors.length === 0, () => page.errors.join("\n"));
  } finally {
    await context.close();
  }
};
