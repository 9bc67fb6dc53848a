// The desk's area picker (desk_area.js) in real headless Chromium: with an
// area table uploaded (PUT /v1/areas), typing in the area field lists the
// matching areas with their parents' names; the arrow keys and Enter pick
// "RT 03" of one desa among same-named RTs; the ticket gets that RT's
// code and the field shows its name; the field is cleared after the
// ticket, so the next one has no area, unless "tetap" is ticked; a name
// typed but not picked is refused in plain words (unknown_area).
"use strict";

const { assert } = require("./lib");
const { text, helpers, deskHooks } = require("./desk_lib");

let stack, browser;
const { ticket, nextCode, withDesk } = helpers(() => stack, () => browser);

const TABLE = [
  "code,name,parent,level,target,elderly_target",
  "36.04,Kab. Serang,,kabupaten,9000,900",
  "36.04.01,Kec. Cikande,36.04,kecamatan,3000,300",
  "36.04.01.2001,Sukamaju,36.04.01,desa,1000,100",
  "36.04.01.2001.003,RT 03,36.04.01.2001,rt,300,30",
  "36.04.02,Kec. Kibin,36.04,kecamatan,3000,300",
  "36.04.02.2001,Sukamaju,36.04.02,desa,1000,100",
  "36.04.02.2001.003,RT 03,36.04.02.2001,rt,300,30",
  "36.04.02.2002,Cijeruk,36.04.02,desa,1000,100",
  "36.04.02.2002.003,RT 03,36.04.02.2002,rt,300,30",
].join("\n") + "\n";
const KIBIN_RT = "36.04.02.2001.003";

const hooks = deskHooks((s, b) => { stack = s; browser = b; });
exports.setup = async function () {
  await hooks.setup();
  const r = await stack.antred.request("PUT", "/v1/areas", { raw: TABLE, role: "admin",
    headers: { "Content-Type": "text/csv" } });
  assert(r.status === 200 && r.body.areas === 9, () => "PUT /v1/areas: " + JSON.stringify(r.body));
};
exports.teardown = hooks.teardown;

// The options the list shows: [label, code].
function options(page) {
  return page.$$eval("#area-list li", (lis) => lis.map((li) =>
    [li.querySelector(".area-name").textContent, li.dataset.code]));
}

async function listed(page, n) {
  await page.waitForFunction((k) => {
    const l = document.getElementById("area-list");
    return l && !l.hidden && l.children.length === k;
  }, n, { timeout: 5000 });
}

exports.pick_an_rt_by_typing = () => withDesk(async (page) => {
  assert((await page.getAttribute("#area", "role")) === "combobox", "a combobox");
  await page.click("#area");
  await page.keyboard.type("rt 03");
  await listed(page, 3);
  const opts = await options(page);
  assert(JSON.stringify(opts.map((o) => o[0])) === JSON.stringify(["RT 03, Sukamaju, Kec. Cikande",
    "RT 03, Sukamaju, Kec. Kibin", "RT 03, Cijeruk, Kec. Kibin"]), () => JSON.stringify(opts));
  // the first is highlighted; down once is Kibin's Sukamaju; Enter picks it
  // (and does not issue: no ticket yet)
  await page.keyboard.press("ArrowDown");
  assert((await page.getAttribute("#area", "aria-activedescendant")) === "area-opt-1",
    "the second option active");
  await page.keyboard.press("Enter");
  assert(await page.locator("#area-list").isHidden(), "the list shuts on a pick");
  assert((await page.inputValue("#area")) === "RT 03, Sukamaju, Kec. Kibin", "the name shown");
  assert((await text(page, "#code")) === "–", "Enter picked, it did not issue");
  await page.click(".service[data-service=dose1]");
  const code = await nextCode(page, "–");
  const t = await ticket(code);
  assert(t.area === KIBIN_RT, () => "the RT's code: " + JSON.stringify(t));
  // cleared after the ticket: the next one has no area
  assert((await page.inputValue("#area")) === "", "the field is cleared");
  await page.click(".service[data-service=dose1]");
  const next = await nextCode(page, code);
  const t2 = await ticket(next);
  assert(t2.area === null, () => "no area on the next: " + JSON.stringify(t2));
});

exports.kept_with_tetap_and_a_click_picks = () => withDesk(async (page) => {
  const before = await text(page, "#code");
  await page.fill("#area", "cijer");
  await listed(page, 2);
  assert(JSON.stringify(await options(page)) === JSON.stringify([
    ["Cijeruk, Kec. Kibin", "36.04.02.2002"], ["RT 03, Cijeruk, Kec. Kibin", "36.04.02.2002.003"]]),
  "a desa and its RT");
  await page.click("#area-list li >> nth=1");
  assert((await page.inputValue("#area")) === "RT 03, Cijeruk, Kec. Kibin", "picked by a click");
  await page.check("#area-keep");
  await page.click(".service[data-service=dose2]");
  const a = await nextCode(page, before);
  await page.click(".service[data-service=dose2]");
  const b = await nextCode(page, a);
  assert((await ticket(a)).area === "36.04.02.2002.003" &&
    (await ticket(b)).area === "36.04.02.2002.003", "kept for both");
  await page.uncheck("#area-keep");
  // a name typed and not picked: not a code of the table, refused plainly
  await page.fill("#area", "Sukamaju saja");
  await page.keyboard.press("Escape");
  page.errors.length = 0;
  await page.click(".service[data-service=dose2]");
  await page.waitForFunction(() => document.getElementById("msg").className === "msg err", null,
    { timeout: 5000 });
  assert((await text(page, "#msg")).startsWith("Wilayah ini tidak ada di daftar wilayah"),
    () => "message: " + JSON.stringify(page.errors));
  page.errors.length = 0;
});
