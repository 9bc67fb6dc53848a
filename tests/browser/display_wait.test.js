// The waiting-room TV's stage cards give a newcomer's wait as the board's
// range (stages[].eta_range_s), worded as the person's page words a
// ticket's: "7–13 menit", "< 5 menit" when it ends within five minutes;
// "–" where no desk is open; a timed wait its minutes.  Its own antred-test
// with the clock pinned: no service measured yet, so each registration desk
// takes the model's 60 s and twenty people make a wait of several minutes.
"use strict";

const { assert, startPinnedStack, waitUntil, launchBrowser, setTestClock, wibMs } =
  require("./lib");

const CLOCK = wibMs(2026, 7, 15, 10, 0, 0);
let stack, browser;

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

async function post(p, body, role) {
  const r = await stack.antred.post("/v1/events/demo" + p, body, { role });
  assert(r.status === 200 || r.status === 201, () => p + ": " + r.status + " " +
    JSON.stringify(r.body));
  return r.body;
}

// What a card should say for a stage of the board.
function words(s, hold) {
  if (hold) return hold + " menit";
  if (s.eta_s === null) return "–";
  const lo = Math.round(s.eta_range_s[0] / 60), hi = Math.round(s.eta_range_s[1] / 60);
  return hi <= 5 ? "< 5 menit" : lo + "–" + hi + " menit";
}

async function cards(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll(".stage")).map((d) => ({
    id: d.getAttribute("data-stage"), eta: d.querySelector(".eta b").textContent,
    waiting: d.querySelector(".waiting").firstChild.textContent })));
}

// The cards as the board says, once they show `waiting` at registration.
async function checkCards(page, waiting) {
  await waitUntil(async () => (await cards(page))[0].waiting === String(waiting),
    { timeout: 5000, what: () => "registration's card to show " + waiting + " waiting" });
  const board = (await stack.antred.get("/v1/events/demo/board")).body;
  const got = await cards(page);
  const want = board.stages.map((s, i) => ({ id: s.id, eta: words(s, i === 3 ? 30 : 0),
    waiting: String(s.waiting) }));
  assert(JSON.stringify(got) === JSON.stringify(want), () => "cards " + JSON.stringify(got) +
    "\nboard " + JSON.stringify(board.stages));
  return got;
}

exports.stage_cards_show_the_boards_range = async function () {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 },
    locale: "id-ID", timezoneId: "Asia/Jakarta" });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(stack.antred.base + "/web/display.html?event=demo");
    await page.waitForSelector('[data-station="registration-1"]', { timeout: 5000 });
    let got = await checkCards(page, 0);
    assert(got[0].eta === "< 5 menit" && got[3].eta === "30 menit", () => JSON.stringify(got));
    for (let i = 0; i < 20; i++) await post("/tickets", { service: "dose1" }, "desk");
    got = await checkCards(page, 20);
    assert(/^\d+–\d+ menit$/.test(got[0].eta) && got[0].eta !== "< 5 menit",
      () => "a wait of several minutes as a range: " + got[0].eta);
    // every screening desk paused: no estimate
    setTestClock(stack.redis, "demo", CLOCK + 1000);
    for (const n of [1, 2]) await post("/stations/screening-" + n + "/pause", undefined, "station");
    await waitUntil(async () => (await cards(page))[1].eta === "–",
      { timeout: 5000, what: "screening's card without an estimate" });
    got = await checkCards(page, 20);
    assert(errors.length === 0, () => "page errors: " + errors.join("\n"));
  } finally {
    await context.close();
  }
};
