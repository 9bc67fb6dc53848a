// The dashboard's coverage panel, "Cakupan", and the elderly home-visit list
// (PROTOCOL.md, "Coverage"): the campaign's figures per area of a level
// (GET /v1/coverage), in the server's order (never reached first, then the
// lowest coverage); a choropleth of coverage_dose1 drawn as SVG from the
// uploaded boundaries (GET /v1/areas/geometry), projected equirectangularly
// onto the features' box: no tiles, nothing from another server; without
// boundaries, a grid of square tiles, one an area.  Clicking an area (on the
// map, a tile or a table row) shows its figures.  CSV downloads with the
// token; the elderly list prints on its own (print CSS, body.print-elderly).
//
// dashboard.js gives the token (window.antreDashboard) and calls start()
// when the dashboard shows; the reads begin when the panel is first seen.
// Everything from the server is shown with textContent or as SVG
// attributes.
"use strict";
(function () {
  var $ = antre.$, el = antre.el, clear = antre.clear, enc = antre.enc;
  var SVG = "http://www.w3.org/2000/svg";
  var INT = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
  var PCT = new Intl.NumberFormat("id-ID", { style: "percent", maximumFractionDigits: 1 });
  // classes of coverage_dose1: [upper bound, label]
  var CLASSES = [[0.2, "< 20%"], [0.4, "20–40%"], [0.6, "40–60%"], [0.8, "60–80%"],
    [Infinity, "≥ 80%"]];
  var W = 640, H = 420, PAD = 8;

  var cov = { timeoutMs: 20000, periodMs: 60000 };   // tests may lower them
  var started = false, seen = false, seq = 0, geo = null, data = null, selected = null, timer = null;

  function dash() { return window.antreDashboard; }
  function missing(n) { return n === null || n === undefined || !isFinite(Number(n)); }
  function num(n) { return missing(n) ? "–" : INT.format(Number(n)); }
  function pct(f) { return missing(f) ? "–" : PCT.format(Number(f)); }
  function level() { return $("cov-level").value; }

  // "cov-c0".."cov-c4", or "cov-none" when there is no fraction to colour.
  cov.classOf = function (f) {
    if (missing(f)) return "cov-none";
    for (var i = 0; i < CLASSES.length; i++) if (Number(f) < CLASSES[i][0]) return "cov-c" + i;
    return "cov-c" + (CLASSES.length - 1);
  };

  function failure(e) {
    if (e.status === 400) return e.detail || "Permintaan tidak diterima server.";
    if (e.code === "timeout") return "Server tidak menjawab tepat waktu — coba lagi sebentar lagi.";
    if (e.status === 503) return "Penyimpanan (Redis) tidak terjangkau — cakupan belum bisa dibaca.";
    if (e.status === 0) return "Tidak tersambung ke server antrean — periksa jaringan.";
    return "Server menjawab galat " + e.status + (e.detail ? ": " + e.detail : "") + ".";
  }

  function say(id, text, isError) {
    var err = $(id + "-error");
    if (err) { err.textContent = isError ? text : ""; err.hidden = !isError; }
    $(id + "-status").textContent = isError && err ? "" : text;
  }

  // ---- the figures of one area ------------------------------------------

  function show(code) {
    selected = code;
    var a = data && data.areas.filter(function (x) { return x.code === code; })[0];
    var box = $("cov-detail");
    clear(box);
    Array.prototype.forEach.call(document.querySelectorAll(".cov-area.selected"),
      function (n) { n.classList.remove("selected"); });
    if (!a) return;
    Array.prototype.forEach.call(document.querySelectorAll(".cov-area"), function (n) {
      if (n.getAttribute("data-code") === code) n.classList.add("selected");
    });
    box.appendChild(el("h3", "cov-name", a.name));
    box.appendChild(el("p", "sub", a.code));
    var dl = el("dl", "cov-figs");
    [["Target", num(a.target)], ["Dosis 1", num(a.dose1) + " (" + pct(a.coverage_dose1) + ")"],
      ["Dosis 2", num(a.dose2) + " (" + pct(a.coverage_dose2) + ")"], ["Booster", num(a.dose3)],
      ["Jatuh tempo dosis 2", num(a.due_dose2)], ["Terlambat dosis 2", num(a.overdue_dose2)],
      ["Lansia dosis 1", num(a.elderly_dose1) + " dari " + num(a.elderly_target)]]
      .forEach(function (p) {
        dl.appendChild(el("dt", "", p[0]));
        dl.appendChild(el("dd", "fig", p[1]));
      });
    box.appendChild(dl);
  }

  function clickable(node, code, label) {
    node.classList.add("cov-area");
    node.setAttribute("data-code", code);
    node.setAttribute("tabindex", "0");
    node.setAttribute("role", "button");
    node.setAttribute("aria-label", label);
    node.addEventListener("click", function () { show(code); });
    node.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); show(code); }
    });
  }

  // ---- the map ------------------------------------------------------------

  // Every [lon, lat] ring of a Polygon or MultiPolygon geometry.
  function rings(g) {
    if (g.type === "Polygon") return g.coordinates;
    return [].concat.apply([], g.coordinates);
  }

  // Equirectangular, longitudes shrunk by cos(latitude) at the box's middle,
  // fitted to W x H with the aspect kept; y grows down.
  function projection(features) {
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    features.forEach(function (f) {
      rings(f.geometry).forEach(function (r) {
        r.forEach(function (p) {
          x0 = Math.min(x0, p[0]); x1 = Math.max(x1, p[0]);
          y0 = Math.min(y0, p[1]); y1 = Math.max(y1, p[1]);
        });
      });
    });
    var k = Math.cos((y0 + y1) / 2 * Math.PI / 180);
    var w = Math.max((x1 - x0) * k, 1e-9), h = Math.max(y1 - y0, 1e-9);
    var s = Math.min((W - 2 * PAD) / w, (H - 2 * PAD) / h);
    var ox = (W - w * s) / 2, oy = (H - h * s) / 2;
    return function (p) {
      return [(ox + (p[0] - x0) * k * s).toFixed(1), (oy + (y1 - p[1]) * s).toFixed(1)];
    };
  }

  function svgNode(name, attrs) {
    var n = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    return n;
  }

  function drawMap(box, features, byCode) {
    var proj = projection(features);
    var svg = svgNode("svg", { viewBox: "0 0 " + W + " " + H, class: "cov-svg",
      role: "img", "aria-label": "Peta cakupan dosis 1 per wilayah" });
    var defs = svgNode("defs");
    var pat = svgNode("pattern", { id: "cov-hatch", width: "6", height: "6",
      patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    pat.appendChild(svgNode("rect", { width: "6", height: "6", class: "cov-hatch-bg" }));
    pat.appendChild(svgNode("line", { x1: "0", y1: "0", x2: "0", y2: "6", class: "cov-hatch-line" }));
    defs.appendChild(pat);
    svg.appendChild(defs);
    features.forEach(function (f) {
      var code = f.properties.code, a = byCode[code];
      var d = rings(f.geometry).map(function (r) {
        return "M" + r.map(function (p) { return proj(p).join(","); }).join("L") + "Z";
      }).join("");
      var path = svgNode("path", { d: d, "fill-rule": "evenodd",
        class: cov.classOf(a ? a.coverage_dose1 : null) });
      var title = svgNode("title");
      title.textContent = (a ? a.name : code) + ": " + (a ? pct(a.coverage_dose1) : "tanpa data");
      path.appendChild(title);
      clickable(path, code, title.textContent);
      svg.appendChild(path);
    });
    box.appendChild(svg);
  }

  function drawTiles(box, areas) {
    var grid = el("div", "cov-tiles");
    areas.forEach(function (a) {
      var t = el("div", "cov-tile " + cov.classOf(a.coverage_dose1));
      t.appendChild(el("span", "cov-tile-name", a.name));
      t.appendChild(el("span", "cov-tile-pct", pct(a.coverage_dose1)));
      clickable(t, a.code, a.name + ": " + pct(a.coverage_dose1));
      grid.appendChild(t);
    });
    box.appendChild(grid);
  }

  function legend() {
    var ul = $("cov-legend");
    clear(ul);
    CLASSES.concat([[null, "Tanpa data / target"]]).forEach(function (c, i) {
      var li = el("li", "");
      li.appendChild(el("span", "cov-key " + (c[0] === null ? "cov-none" : "cov-c" + i)));
      li.appendChild(document.createTextNode(c[1]));
      ul.appendChild(li);
    });
  }

  function drawMapOrTiles() {
    var box = $("cov-map"), byCode = {};
    clear(box);
    data.areas.forEach(function (a) { byCode[a.code] = a; });
    // the features of this level: those whose code is one of its areas
    var features = (geo && geo.features || []).filter(function (f) {
      return f && f.properties && byCode[f.properties.code] && f.geometry &&
        (f.geometry.type === "Polygon" || f.geometry.type === "MultiPolygon");
    });
    box.className = "cov-map " + (features.length ? "has-geometry" : "tiles");
    if (features.length) drawMap(box, features, byCode);
    else drawTiles(box, data.areas);
  }

  // ---- the table ----------------------------------------------------------

  function drawTable() {
    var body = $("cov-body");
    clear(body);
    data.areas.forEach(function (a) {
      var tr = el("tr", "cov-row");
      tr.setAttribute("data-code", a.code);
      var th = el("th", "name");
      th.scope = "row";
      th.appendChild(el("span", "cov-key " + cov.classOf(a.coverage_dose1)));
      th.appendChild(document.createTextNode(a.name));
      tr.appendChild(th);
      [num(a.target), num(a.dose1), pct(a.coverage_dose1), num(a.dose2), pct(a.coverage_dose2),
        num(a.due_dose2), num(a.overdue_dose2)].forEach(function (v, i) {
        tr.appendChild(el("td", i === 6 && a.overdue_dose2 > 0 ? "late" : "", v));
      });
      tr.addEventListener("click", function () { show(a.code); });
      body.appendChild(tr);
    });
    var t = data.totals || {};
    $("cov-totals").textContent = "Jumlah " + data.areas.length + " wilayah: dosis 1 " +
      num(t.dose1) + " dari " + num(t.target) + " (" + pct(t.coverage_dose1) + "), dosis 2 " +
      num(t.dose2) + " (" + pct(t.coverage_dose2) + "), terlambat dosis 2 " + num(t.overdue_dose2) +
      (data.unmapped && data.unmapped.dose1 ? " · di luar tabel wilayah: " +
        num(data.unmapped.dose1) + " dosis 1" : "");
  }

  // ---- reads --------------------------------------------------------------

  // The boundaries, read once (again after "Muat ulang"), and only when the
  // coverage says some were uploaded: no 404 to ask for nothing.
  function loadGeometry(c) {
    if (!c.geometry) { geo = null; return Promise.resolve(c); }
    if (geo) return Promise.resolve(c);
    return dash().get("/v1/areas/geometry", { timeout: cov.timeoutMs }).then(function (g) {
      geo = g;
      return c;
    }, function (e) {
      if (e.status !== 404) throw e;
      geo = null;                            // removed since: the tiles
      return c;
    });
  }

  cov.load = function () {
    var mine = ++seq, lvl = level();
    say("cov", "Memuat cakupan…", false);
    return dash().get("/v1/coverage?level=" + enc(lvl), { timeout: cov.timeoutMs })
      .then(loadGeometry).then(function (c) {
      if (mine !== seq) return;
      data = c;
      say("cov", c.areas.length ? "Hari " + (c.day || "–") :
        "Belum ada wilayah pada tingkat ini (tabel wilayah: PUT /v1/areas).", false);
      drawTable();
      drawMapOrTiles();
      if (selected) show(selected);
    }, function (e) {
      if (mine !== seq) return;
      if (e.status === 401 || e.status === 403) { cov.stop(); dash().loggedOut(e); return; }
      say("cov", failure(e), true);
    });
  };

  cov.loadElderly = function () {
    return dash().get("/v1/coverage/elderly?limit=500", { timeout: cov.timeoutMs }).then(function (b) {
      var body = $("elderly-body");
      clear(body);
      $("elderly-day").textContent = b.day || "";
      b.areas.forEach(function (a) {
        var tr = el("tr", "");
        var th = el("th", "name", a.name + " (" + a.code + ")");
        th.scope = "row";
        tr.appendChild(th);
        tr.appendChild(el("td", "name", a.desa));
        tr.appendChild(el("td", "name", a.kecamatan));
        [a.elderly_target, a.elderly_dose1, a.gap].forEach(function (v) {
          tr.appendChild(el("td", "", num(v)));
        });
        body.appendChild(tr);
      });
      say("elderly", b.areas.length ? "" : "Belum ada wilayah dengan target lansia.", false);
    }, function (e) { say("elderly", failure(e), false); });
  };

  function download(path, name, who) {
    dash().blob(path, { timeout: cov.timeoutMs }).then(function (blob) {
      var a = el("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    }, function (e) { say(who, failure(e), who === "cov"); });
  }

  // The reads begin when the panels are first seen (a read scans the
  // people due for dose 2: no cost for an organiser who never looks), then
  // every periodMs.
  function begin() {
    cov.load();
    cov.loadElderly();
    if (!timer) timer = setInterval(function () { cov.load(); cov.loadElderly(); }, cov.periodMs);
  }

  cov.start = function () {
    if (!dash()) return;
    if (started) { if (seen) begin(); return; }
    started = true;
    bind();
    if (typeof IntersectionObserver !== "function") { seen = true; begin(); return; }
    var watch = new IntersectionObserver(function (entries) {
      if (seen || !entries.some(function (e) { return e.isIntersecting; })) return;
      seen = true;
      watch.disconnect();
      begin();
    });
    watch.observe($("coverage"));
    watch.observe($("elderly"));
  };

  function bind() {
    legend();
    $("cov-level").addEventListener("change", function () { selected = null; cov.load(); });
    $("cov-reload").addEventListener("click", function () { geo = null; cov.load(); });
    $("cov-csv").addEventListener("click", function () {
      download("/v1/coverage?format=csv&level=" + enc(level()), "cakupan-" + level() + ".csv", "cov");
    });
    $("elderly-csv").addEventListener("click", function () {
      download("/v1/coverage/elderly?format=csv&limit=10000", "kunjungan-lansia.csv", "elderly");
    });
    $("elderly-print").addEventListener("click", function () {
      document.body.classList.add("print-elderly");
      window.print();
    });
    window.addEventListener("afterprint", function () {
      document.body.classList.remove("print-elderly");
    });
  }
  cov.stop = function () { if (timer) clearInterval(timer); timer = null; };

  window.antreCoverage = cov;
  // the dashboard may have started before this file loaded
  if (dash() && dash().event()) cov.start();
})();
