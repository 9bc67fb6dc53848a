// What the desk's browser tests share (desk.test.js, desk_errors.test.js):
// the event's fixed clock, the NIKs they type, and helpers over the
// calling file's stack and browser.  Not a test file (run.js runs
// *.test.js only).
"use strict";

const { assert, TOKENS, wibMs, startPinnedStack, launchBrowser,
  watchPageErrors } = require("./lib");

// The event's clock (antred-test, key test:clock): a fixed morning in
// Jakarta, so that the codes start at A-001, issued_today counts these
// tickets and lookups by code find them whatever the real day (issue 17).
const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);

const NIK = "3273011507550001";          // born 15 July 1955: elderly
const BAD_NIK = "3273013507550001";      // day 35: no such birth date
const NIK2 = "3273014107900002";         // born 1 July 1990: regular
const NIK3 = "3273015208850003";         // nobody's today
const ISSUE_PATH = "/v1/events/demo/tickets";

const text = (page, sel) => page.locator(sel).textContent();

// The helpers over stack() and browser() (the caller's, as its setup made
// them; a test may swap its stack for another).
function helpers(stack, browser) {
  // A 1280x800 page recording script errors and failed loads; window.print
  // is replaced by a recorder; with `token`, the desk token is in
  // sessionStorage before the page's script runs.
  async function deskPage(token) {
    const context = await browser().newContext({ viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1, locale: "id-ID", timezoneId: "Asia/Jakarta" });
    await context.addInitScript((t) => {
      if (t) sessionStorage.setItem("antre.desk.token", t);
      window.antrePrints = [];
      window.print = () => {
        const img = document.getElementById("print-img");
        window.antrePrints.push({ src: img && !img.hidden ? img.src : "",
          width: img ? img.naturalWidth : 0 });
      };
    }, token || "");
    return watchPageErrors(await context.newPage(), stack().antred.base);
  }


  async function board() {
    const r = await stack().antred.get("/v1/events/demo/board");
    assert(r.status === 200, "board");
    return r.body;
  }

  async function ticket(ref) {
    const r = await stack().antred.get("/v1/events/demo/tickets/" + ref, { role: "desk" });
    assert(r.status === 200, () => "ticket " + ref + ": " + r.status + " " + JSON.stringify(r.body));
    return r.body.ticket;
  }

  // Waits until the card shows a code other than `before`, and returns it.
  async function nextCode(page, before) {
    await page.waitForFunction((b) => {
      const c = document.getElementById("code").textContent;
      return c !== b && c !== "–";
    }, before, { timeout: 5000 });
    return text(page, "#code");
  }

  async function qrLoaded(page) {
    await page.waitForFunction(() => {
      const q = document.getElementById("qr");
      return !q.hidden && q.complete && q.naturalWidth > 0 && q.src.startsWith("blob:");
    }, null, { timeout: 5000 });
  }

  // Only the page's own faults: the 503s and drops are the test's doing.
  function noScriptErrors(page) {
    const errs = page.errors.filter((e) => e.startsWith("page error") || e.startsWith("console"));
    assert(errs.length === 0, () => "the page reported:\n" + errs.join("\n"));
    page.errors.length = 0;
  }

  async function openDesk() {
    const p = await deskPage(TOKENS.desk);
    await p.goto(stack().antred.base + "/web/desk.html?event=demo");
    await p.locator("#main").waitFor({ state: "visible", timeout: 5000 });
    // quick retries: the same machinery, less waiting
    await p.evaluate(() => Object.assign(window.antre.WRITE, { firstDelayMs: 100, maxDelayMs: 300 }));
    return p;
  }

  // fn(a desk page), then the page's own faults checked; the page closed
  async function withDesk(fn) {
    const p = await openDesk();
    try {
      await fn(p);
      noScriptErrors(p);
    } finally {
      await p.context().close();
    }
  }

  return { deskPage, board, ticket, nextCode, qrLoaded, noScriptErrors, openDesk, withDesk };
}

// A desk test file's setup and teardown: a stack on CLOCK and a browser,
// handed to set(stack, browser); teardown stops what setup made.
function deskHooks(set) {
  const made = {};
  return {
    async setup() {
      made.stack = await startPinnedStack(CLOCK);
      made.browser = await launchBrowser();
      set(made.stack, made.browser);
    },
    async teardown() {
      try {
        if (made.browser) await made.browser.close();
      } finally {
        if (made.stack) await made.stack.stop();
      }
    },
  };
}

module.exports = { CLOCK, NIK, BAD_NIK, NIK2, NIK3, ISSUE_PATH, text, helpers, deskHooks };
