// Runs every exported async function of tests/browser/*.test.js, in file
// order and then in the order each file exports them.
//
// A file may export setup() and teardown() (shared servers and browser); they
// are not tests.  A failing setup fails all of that file's tests; a failing
// teardown (say, a sanitizer report when antred stops) counts as one failed
// test.  BROWSER_ONLY=substring selects tests by "file.name".  Each test
// has BROWSER_TEST_TIMEOUT ms (60000).  BROWSER_ONLY is refused under
// CI=true (a filtered run is not the suite); unfiltered, the run fails when
// fewer tests pass than tests/floors says for "browser".  The last line is
// "browser: N passed, N failed"; the exit code is 1 when any failed.
"use strict";

const fs = require("fs");
const path = require("path");

const HERE = __dirname;
const ONLY = process.env.BROWSER_ONLY || "";
const TIMEOUT = Number(process.env.BROWSER_TEST_TIMEOUT) || 60000;
const HOOKS = new Set(["setup", "teardown"]);

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(what + " timed out after " + ms + " ms")), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

function isCI() {
  return !["", "0", "false"].includes(process.env.CI || "");
}

// The layer's least number of passed tests (tests/floors), or null.
function floor(layer) {
  const text = fs.readFileSync(path.join(HERE, "..", "floors"), "utf8");
  for (const line of text.split("\n")) {
    const w = line.split("#")[0].trim().split(/\s+/);
    if (w.length === 2 && w[0] === layer) return Number(w[1]);
  }
  return null;
}

function describe(e) {
  return (e && e.stack) ? e.stack : String(e);
}

async function main() {
  let passed = 0, failed = 0;
  if (ONLY && isCI()) {
    console.log("browser: BROWSER_ONLY=" + ONLY + " is refused under CI: the suite runs whole");
    console.log("browser: 0 passed, 1 failed");
    return 1;
  }
  const files = fs.readdirSync(HERE).filter((f) => f.endsWith(".test.js")).sort();
  for (const file of files) {
    const name = file.slice(0, -".test.js".length);
    let mod;
    try {
      mod = require(path.join(HERE, file));
    } catch (e) {
      console.log("FAIL " + name + " (cannot load)\n" + describe(e));
      failed++;
      continue;
    }
    const tests = Object.entries(mod).filter(([n, f]) =>
      typeof f === "function" && !HOOKS.has(n) && (name + "." + n).includes(ONLY));
    if (tests.length === 0) continue;
    if (mod.setup) {
      try {
        await withTimeout(Promise.resolve().then(() => mod.setup()), TIMEOUT, name + ".setup");
      } catch (e) {
        console.log("FAIL " + name + ".setup\n" + describe(e));
        failed += tests.length;
        try { if (mod.teardown) await withTimeout(mod.teardown(), TIMEOUT, "teardown"); }
        catch (e2) { /* already failed */ }
        continue;
      }
    }
    for (const [tname, fn] of tests) {
      const t0 = Date.now();
      const secs = () => ((Date.now() - t0) / 1000).toFixed(2) + "s";
      try {
        await withTimeout(Promise.resolve().then(() => fn()), TIMEOUT, name + "." + tname);
        passed++;
        console.log("ok   " + name + "." + tname + " (" + secs() + ")");
      } catch (e) {
        failed++;
        console.log("FAIL " + name + "." + tname + " (" + secs() + ")\n" + describe(e));
      }
    }
    if (mod.teardown) {
      try {
        await withTimeout(Promise.resolve().then(() => mod.teardown()), TIMEOUT,
          name + ".teardown");
      } catch (e) {
        failed++;
        console.log("FAIL " + name + ".teardown\n" + describe(e));
      }
    }
  }
  const least = floor("browser");
  if (ONLY && passed + failed === 0) {
    console.log("FAIL BROWSER_ONLY=" + ONLY + " selects no test");
    failed++;
  } else if (ONLY) {
    console.log("browser: BROWSER_ONLY=" + ONLY + ": a filtered run, the floor (" + least +
      ") is not checked");
  } else if (least === null) {
    console.log("FAIL no browser floor in tests/floors");
    failed++;
  } else if (passed < least) {
    console.log("FAIL only " + passed + " passed, tests/floors wants at least " + least +
      ": tests went missing");
    failed++;
  }
  console.log("browser: " + passed + " passed, " + failed + " failed");
  return failed ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
  console.log("FAIL runner\n" + describe(e));
  console.log("browser: 0 passed, 1 failed");
  process.exit(1);
});
