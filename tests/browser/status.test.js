// The person's status page (/t/{ev}/{id}?sig=) in real headless Chromium on a
// phone-sized viewport: waiting, position, being called, and a tampered link.
// The tests run in order on one antred: the third calls the first's ticket
// and watches the page the first opened.
"use strict";

const { assert, startStack, launchBrowser, phonePage } = require("./lib");

const SCREENSHOT = process.env.BROWSER_SCREENSHOT || "/tmp/status.png";
let stack, browser, first, second, firstPage;

async function issue() {
  const r = await stack.antred.post("/v1/events/demo/tickets", { service: "dose1" }, { role: "desk" });
  assert(r.status === 201, () => "issue: " + r.status + " " + JSON.stringify(r.body));
  assert(typeof r.body.status_url === "string", () => JSON.stringify(r.body));
  return r.body;
}

const text = (page, sel) => page.locator(sel).textContent();

// Opens a ticket's link and waits for the page to show its code.
async function openStatus(issued) {
  const page = await phonePage(browser);
  const resp = await page.goto(issued.status_url);
  assert(resp.status() === 200, () => "status page: HTTP " + resp.status());
  assert((resp.headers()["content-type"] || "").startsWith("text/html"), "status page is html");
  await page.waitForFunction((code) => document.getElementById("code").textContent === code,
    issued.ticket.code, { timeout: 5000 });
  return page;
}

// No script error and no failed request, but for the ones expected.
function noErrors(page, expected = []) {
  const errs = page.errors.filter((e) => !expected.includes(e));
  assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
}

exports.setup = async function () {
  stack = await startStack();
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

exports.called_within_one_poll = async function () {
  assert(firstPage, "the first test's page is open");
  const c = await stack.antred.post("/v1/events/demo/stations/registration-1/call", undefined,
    { role: "station" });
  assert(c.status === 200, () => "call: " + c.status + " " + JSON.stringify(c.body));
  assert(c.body.ticket.id === first.ticket.id, () => "called " + c.body.ticket.id);
  // The page polls every 5 s: it must notice within ~7 s, without a reload.
  await firstPage.evaluate(() => { window.antreNotReloaded = true; });
  const t0 = Date.now();
  await firstPage.waitForFunction(
    () => document.getElementById("headline").textContent.startsWith("Dipanggil"),
    null, { timeout: 7000, polling: 100 });
  const waited = ((Date.now() - t0) / 1000).toFixed(1);
  assert(await firstPage.evaluate(() => window.antreNotReloaded === true), "no reload");
  const head = await text(firstPage, "#headline");
  assert(head.includes("meja pendaftaran 1"), () => "headline names the desk: " + head);
  assert(head === "Dipanggil! Silakan ke meja pendaftaran 1", () => "headline: " + head);
  assert((await firstPage.locator("#now").getAttribute("class")) === "card called", "card class");
  assert((await text(firstPage, "#position")) === "–", "no position once called");
  noErrors(firstPage);
  await firstPage.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log("     the page showed the call after " + waited + " s; screenshot " + SCREENSHOT);
  await firstPage.context().close();
  firstPage = null;
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
