// The organisers' dashboard: today's doses against the target, the forecast
// at closing time, each stage and desk, the bottleneck and idle desks, doses
// by area, and every event of the deployment.
//
// It reads GET /v1/events/{ev}/stats and GET /v1/stats with an organiser
// token (asked once, kept in sessionStorage, or in localStorage when "Ingat"
// is ticked), and refreshes them when the event's public stream
// (/v1/events/{ev}/stream) reports a change (at most once every 2 s) and
// every 30 s.  No framework and nothing from the internet: it works on a
// venue LAN.  Everything from the server is shown with textContent.  What
// the operator pages share (the token, the API, the screens, the stream)
// is in common.js.
"use strict";
(function () {
  var THROTTLE_MS = 2000;
  var PERIOD_MS = 30000;           // also how often the roll-up of every event is read
  var SVGNS = "http://www.w3.org/2000/svg";
  var TZ_NAMES = { "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT", "+07:00": "WIB", "+08:00": "WITA", "+09:00": "WIT" };

  var params = new URLSearchParams(location.search);
  var ev = params.get("event") || "";
  var info = null;                 // the event's definition (GET /v1/events)
  var stats = null;                // the latest GET …/stats
  var rollup = null;               // the latest GET /v1/stats
  var fetchError = "", periodic = null, running = false;
  var rollupAt = -Infinity;        // when the roll-up was last read

  // ---- small helpers ------------------------------------------------------

  var $ = antre.$, el = antre.el, clear = antre.clear, enc = antre.enc;

  var INT = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
  var DEC1 = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
  var PCT = new Intl.NumberFormat("id-ID", { style: "percent", maximumFractionDigits: 0 });

  function missing(n) { return n === null || n === undefined || !isFinite(Number(n)); }
  function num(n) { return missing(n) ? "–" : INT.format(Number(n)); }
  function dec1(n) { return missing(n) ? "–" : DEC1.format(Number(n)); }
  function mins(s) { return missing(s) ? "–" : DEC1.format(Number(s) / 60); }

  // "10.32" (id-ID writes times with a dot) from an RFC 3339 time
  function hhmm(iso) { return antre.hhmm(iso, "–"); }
  function hhmmss(iso) { return iso ? String(iso).slice(11, 19).replace(/:/g, ".") : "–"; }

  // "+07:00" from "2026-11-23T09:41:07+07:00" ("Z" as "+00:00").
  function offsetOf(iso) {
    var m = /([+-]\d\d:\d\d|Z)$/.exec(String(iso || ""));
    return !m || m[1] === "Z" ? "+00:00" : m[1];
  }

  function minutesOf(hm) {
    var p = String(hm || "0:0").split(":");
    return Number(p[0]) * 60 + Number(p[1]);
  }

  function longDate(day) {
    var d = new Date(day + "T12:00:00Z");
    if (isNaN(d)) return day;
    return d.toLocaleDateString("id-ID", { weekday: "long", day: "numeric", month: "long",
      year: "numeric", timeZone: "UTC" });
  }

  function duration(s) {
    var m = Math.floor(Number(s) / 60);
    if (m < 60) return m + " menit";
    return Math.floor(m / 60) + " jam" + (m % 60 ? " " + (m % 60) + " menit" : "");
  }

  function stageDef(id) { return antre.stageDef(info, id); }
  function stageName(id) { return antre.stageName(info, id); }

  // "Meja vaksinasi 2" for "vaccination-2".
  function deskName(station, stage) { return "Meja " + antre.deskName(info, station, stage); }

  function stationNumber(station) { return String(station || "").replace(/^.*-/, ""); }

  // ---- the token and the API ---------------------------------------------------

  var session = antre.session({ key: "antre.organiser.token", who: "penyelenggara",
    what: "membuka statistik", stop: stop,
    isAuthError: function (e) { return e.status === 401 || e.status === 403; } });

  function api(path) { return session.api("GET", path); }

  function statsPath() { return "/v1/events/" + enc(ev) + "/stats"; }

  // One refresh: the event's figures, and every PERIOD_MS the roll-up (a
  // script per event of the deployment: not for every change).  Never rejects.
  function load() {
    var mine = api(statsPath()), all = null;
    if (Date.now() - rollupAt >= PERIOD_MS - 1000) {
      rollupAt = Date.now();
      all = api("/v1/stats").catch(function () { rollupAt = -Infinity; return null; });
    }
    return Promise.all([mine, all]).then(function (res) {
      stats = res[0];
      if (res[1]) rollup = res[1];
      fetchError = "";
      render();
      banner();
    }, function (e) {
      if (session.isAuthError(e)) {
        session.loggedOut(e);
        return;
      }
      fetchError = e.status === 503 ? "Penyimpanan antrean (Redis) tidak terjangkau — mencoba lagi…" :
        e.status ? "Server menjawab galat " + e.status + " — mencoba lagi…" :
        "Tidak tersambung ke server antrean — mencoba lagi…";
      banner();
      setTimeout(requestRefresh, antre.RETRY_MS);
    }).catch(function (e) {
      console.error("dashboard: " + (e && e.stack ? e.stack : e));
    });
  }

  // At most one load at a time and one start every THROTTLE_MS: a burst of
  // stream events becomes one refresh now and one when the burst is over.
  var dirty = false, loading = false, lastStart = -Infinity, timer = null;

  function requestRefresh() {
    dirty = true;
    schedule();
  }

  function schedule() {
    if (timer || loading || !dirty || !running) return;
    var wait = Math.max(0, lastStart + THROTTLE_MS - Date.now());
    timer = setTimeout(function () {
      timer = null;
      if (!running) return;
      dirty = false;
      loading = true;
      lastStart = Date.now();
      load().then(function () {
        loading = false;
        schedule();
      });
    }, wait);
  }

  // ---- the stream ---------------------------------------------------------

  var stream = antre.connectStream(function () { return "/v1/events/" + enc(ev) + "/stream"; }, {
    keep: function () { return running; },
    state: function (up, was) {
      if (was && up) requestRefresh();   // what happened while it was down
      banner();
    },
    on: { board: changed, delta: changed, call: changed, ticket: changed, station: changed },
  });

  function changed() {
    stream.mark(true);
    requestRefresh();
  }

  function banner() {
    var off = $("offline"), live = $("live");
    if (fetchError) off.textContent = fetchError;
    else off.textContent = "Siaran langsung terputus — angka tidak diperbarui, mencoba menyambung lagi…";
    var down = stream.down;
    off.hidden = !running || (!fetchError && !down);
    live.className = "live " + (down || fetchError ? "down" : stream.live() ? "up" : "wait");
    $("live-text").textContent = down || fetchError ? "Terputus" :
      stream.live() ? "Langsung" : "Menyambung…";
  }

  // ---- screens ------------------------------------------------------------

  function start() {
    running = true;
    antre.show("dash");
    $("logout").hidden = false;
    $("live").hidden = false;
    $("updated-wrap").hidden = false;
    if (stats) render();
    requestRefresh();
    stream.start();
    if (!periodic) periodic = setInterval(requestRefresh, PERIOD_MS);
    banner();
    if (window.antrePlan) window.antrePlan.start();
    if (window.antreCoverage) window.antreCoverage.start();
  }

  function stop() {
    running = false;
    stream.stop();
    stream.down = false;
    fetchError = "";
    if (periodic) clearInterval(periodic);
    periodic = null;
    if (timer) clearTimeout(timer);
    timer = null;
    rollupAt = -Infinity;
    session.token = "";
    banner();
  }

  function chooseEvent(list) {
    antre.chooser(list.slice().sort(function (a, b) {
      return String(a.name || a.id).localeCompare(String(b.name || b.id), "id");
    }), { title: "Dasbor penyelenggara", withId: true, empty: "Belum ada kegiatan.", emptyClass: "" });
  }

  function setTitle() {
    $("event-name").textContent = info.name || info.id;
    document.title = "Dasbor — " + (info.name || info.id);
    meta();
  }

  function meta() {
    var h = info.hours || {};
    var off = stats ? offsetOf(stats.at) : "";
    var tz = TZ_NAMES[info.timezone] || TZ_NAMES[off] || info.timezone || "";
    var parts = [];
    if (stats) parts.push(longDate(stats.day));
    parts.push("layanan " + String(h.open || "").replace(":", ".") + "–" +
      String(h.close || "").replace(":", ".") + " " + tz);
    $("event-meta").textContent = parts.join(" · ");
  }

  // ---- rendering ----------------------------------------------------------

  function setClass(e, base, mod) { e.className = base + (mod ? " " + mod : ""); }

  function render() {
    if (!stats || !info) return;
    var s = stats, t = s.today || {}, f = s.forecast || {};
    meta();
    $("doses").textContent = num(t.doses);
    $("target").textContent = num(s.target);
    var share = s.target > 0 ? t.doses / s.target : 0;
    $("meter-fill").style.width = Math.min(100, share * 100).toFixed(1) + "%";
    $("percent").textContent = s.target > 0 ? PCT.format(share) : "–";
    $("issued").textContent = num(t.issued);
    $("waiting").textContent = num(t.waiting);
    $("deferred").textContent = num(t.deferred);
    $("refused").textContent = num(t.refused);
    $("no-show").textContent = num(t.no_show);

    var closed = Date.parse(s.at) >= closeMs(s);
    $("forecast").textContent = num(f.expected_at_close);
    // the model's range: who is in the building, who may still come, what
    // the dose desks can give by close (PROTOCOL.md "Forecast")
    $("forecast-range").textContent = f.low == null || f.high == null ? "" :
      "rentang " + num(f.low) + "–" + num(f.high) + " · di dalam " + num(f.in_building) +
      " · akan datang ±" + num(f.arrivals_expected);
    var m = Number(f.margin) || 0, mg = $("margin");
    mg.textContent = m < 0 ? "kurang " + num(-m) + " dari target" :
      m > 0 ? "lebih " + num(m) + " dari target" : "tepat sesuai target";
    $("close-note").textContent = closed ? " · layanan sudah tutup" :
      " · tutup pukul " + String((info.hours || {}).close || "").replace(":", ".");
    setClass($("forecast-card"), "kpi", m < 0 ? "bad" : "good");

    var at = $("target-at"), note = $("target-at-note");
    if (f.reached) {
      at.textContent = "Sudah tercapai";
      note.textContent = "lebih " + num(t.doses - s.target) + " dosis dari target";
      at.className = "value good";
    } else if (f.target_at) {
      var sameDay = String(f.target_at).slice(0, 10) === s.day;
      var late = !sameDay || Date.parse(f.target_at) > closeMs(s);
      at.textContent = sameDay ? "pukul " + hhmm(f.target_at) : "tidak hari ini";
      note.textContent = late ? "setelah jam tutup, dengan kecepatan sekarang: perlu lebih cepat" :
        "dengan kecepatan sekarang";
      at.className = "value " + (late ? "bad" : "good");
    } else {
      at.textContent = "–";
      at.className = "value";
      note.textContent = Date.parse(s.at) < openMs(s) ? "layanan belum buka" :
        closed ? "layanan sudah tutup" : "belum ada dosis dalam satu jam terakhir";
    }

    $("rate").textContent = dec1(f.rate_per_hour);
    $("rate-note").textContent = "30 mnt terakhir " + num(f.rate_per_hour_30) + "/jam · 60 mnt " +
      num(f.rate_per_hour_60) + "/jam · sisa " + dec1(f.hours_left) + " jam";

    renderChart();
    renderBottleneck();
    renderIdle();
    renderStages();
    renderAreas();
    renderKinds();
    renderRollup();
    $("updated").textContent = hhmmss(s.at);
  }

  function dayStart(s) { return Date.parse(s.day + "T00:00:00" + offsetOf(s.at)); }
  function openMs(s) { return dayStart(s) + minutesOf((info.hours || {}).open) * 60000; }
  function closeMs(s) { return dayStart(s) + minutesOf((info.hours || {}).close) * 60000; }

  // ---- the chart: cumulative doses, the forecast, the target ---------------

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / p;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * p;
  }

  function renderChart() {
    var s = stats, box = $("chart");
    clear(box);
    var W = Math.max(320, box.clientWidth || 800), H = Math.max(200, box.clientHeight || 300);
    var pad = { l: 58, r: 104, t: 18, b: 30 };
    var x0 = openMs(s), x1 = closeMs(s), now = Date.parse(s.at);
    var doses = Number(s.today.doses) || 0, target = Number(s.target) || 0;
    var f = s.forecast || {}, expected = Number(f.expected_at_close) || doses;

    // cumulative doses from the quarter-hour series; doses outside opening
    // hours are not in it: those before count from the start, those after
    // closing at the end
    var series = s.series || [], inSeries = 0;
    series.forEach(function (q) { inSeries += Number(q.doses) || 0; });
    var outside = Math.max(0, doses - inSeries);
    var cum = now < x1 ? outside : 0;
    var pts = [[x0, cum]];
    series.forEach(function (q) {
      var end = Math.min(Date.parse(q.start) + 15 * 60000, now, x1);
      cum += Number(q.doses) || 0;
      if (end > x0) pts.push([end, cum]);
    });
    if (now >= x1 && outside > 0) pts.push([x1, cum + outside]);
    var last = pts[pts.length - 1];

    var top = Math.max(target, expected, doses, 10) * 1.08;
    var step = niceStep(top / 5);
    var yMax = Math.ceil(top / step) * step;
    var X = function (ms) {
      return pad.l + (Math.min(Math.max(ms, x0), x1) - x0) / (x1 - x0) * (W - pad.l - pad.r);
    };
    var Y = function (v) { return pad.t + (1 - v / yMax) * (H - pad.t - pad.b); };
    var r = function (v) { return Math.round(v * 10) / 10; };

    var g = svg("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, class: "chart-svg" });

    // grid and the y axis
    for (var v = 0; v <= yMax + 1e-9; v += step) {
      g.appendChild(svg("line", { x1: pad.l, x2: W - pad.r, y1: r(Y(v)), y2: r(Y(v)),
        class: v === 0 ? "axis" : "grid" }));
      g.appendChild(svg("text", { x: pad.l - 8, y: r(Y(v)) + 4, class: "tick y" }, num(v)));
    }
    // the x axis: whole event-local hours
    var spanH = (x1 - x0) / 3600000, every = spanH > 16 ? 3 : spanH > 10 ? 2 : 1;
    var firstH = Math.ceil((x0 - dayStart(s)) / 3600000 - 1e-9);
    for (var h = firstH; dayStart(s) + h * 3600000 <= x1; h += every) {
      var xx = r(X(dayStart(s) + h * 3600000));
      g.appendChild(svg("line", { x1: xx, x2: xx, y1: H - pad.b, y2: H - pad.b + 5, class: "axis" }));
      g.appendChild(svg("text", { x: xx, y: H - pad.b + 19, class: "tick x" },
        (h < 10 ? "0" : "") + h + ".00"));
    }

    // now
    if (now > x0 && now < x1) {
      var xn = r(X(now));
      g.appendChild(svg("line", { x1: xn, x2: xn, y1: pad.t, y2: H - pad.b, class: "now-line" }));
      g.appendChild(svg("text", { x: xn, y: pad.t - 5, class: "tick now" }, "sekarang " + hhmm(s.at)));
    }

    // the target
    var yt = r(Y(target));
    g.appendChild(svg("line", { x1: pad.l, x2: W - pad.r, y1: yt, y2: yt, class: "target-line" }));
    g.appendChild(svg("text", { x: W - pad.r + 8, y: yt + 4, class: "label target" },
      "Target " + num(target)));

    // the doses so far: an area and its line
    var line = pts.map(function (p) { return r(X(p[0])) + "," + r(Y(p[1])); }).join(" ");
    if (pts.length > 1)
      g.appendChild(svg("polygon", { points: r(X(x0)) + "," + r(Y(0)) + " " + line + " " +
        r(X(last[0])) + "," + r(Y(0)), class: "doses-area" }));
    g.appendChild(svg("polyline", { points: line, class: "doses-line" }));

    // the forecast: from now to closing at the current rate
    if (now < x1) {
      var from = Math.max(now, x0);
      var fl = svg("line", { x1: r(X(from)), y1: r(Y(doses)), x2: r(X(x1)), y2: r(Y(expected)),
        class: "forecast-line", "stroke-dasharray": "7 6" });
      g.appendChild(fl);
      var ye = r(Y(expected));
      if (Math.abs(ye - yt) < 16) ye = ye < yt ? yt - 16 : yt + 16;   // keep clear of the target
      g.appendChild(svg("text", { x: W - pad.r + 8, y: ye + 4, class: "label forecast" },
        "≈ " + num(expected)));
    }
    g.appendChild(svg("circle", { cx: r(X(last[0])), cy: r(Y(doses)), r: 5, class: "doses-dot" }));
    var lx = X(last[0]), ly = Y(doses) - 10;
    g.appendChild(svg("text", { x: r(lx), y: r(Math.max(ly, pad.t + 12)),
      class: "label doses" + (lx > W - pad.r - 40 ? " end" : "") }, num(doses)));
    box.appendChild(g);
  }

  // ---- bottleneck and idle desks -------------------------------------------

  function renderBottleneck() {
    var b = stats.bottleneck, box = $("bottleneck");
    if (!b) {
      setClass(box, "panel bottleneck", "none");
      $("bottleneck-stage").textContent = "Belum cukup data";
      $("recommendation").textContent = "Hambatan dihitung dari meja yang menyelesaikan layanan " +
        "dalam satu jam terakhir.";
      $("bottleneck-detail").textContent = "";
      return;
    }
    var rec = String(b.recommendation || "");
    setClass(box, "panel bottleneck", b.extra_stations > 0 || b.unserved_at_close > 0 ? "bad" :
      /^alur lancar/.test(rec) ? "good" : "warn");
    $("bottleneck-stage").textContent = "Tahap " + stageName(b.stage);
    $("recommendation").textContent = rec;
    $("bottleneck-detail").textContent = "Kapasitas " + dec1(b.capacity_per_hour) + "/jam (" +
      dec1(b.per_station_per_hour) + " per meja) · kedatangan " + num(b.arrivals_per_hour) +
      "/jam" + (b.extra_stations > 0 ? " · perlu " + num(b.extra_stations) + " meja lagi" : "") +
      (b.unserved_at_close > 0 ? " · " + num(b.unserved_at_close) + " tak terlayani" : "");
  }

  function renderIdle() {
    var ul = $("idle");
    clear(ul);
    // a desk of a timed wait (observation) does not have to call anybody
    var list = (stats.idle || []).filter(function (d) {
      var st = stageDef(d.stage);
      return !(st && st.hold_minutes > 0);
    });
    list.forEach(function (d) {
      var li = el("li", "", deskName(d.station, d.stage) +
        (missing(d.idle_s) ? " belum memanggil siapa pun" : " menganggur " + duration(d.idle_s)) +
        ", " + num(d.waiting) + " orang menunggu");
      li.setAttribute("data-station", d.station);
      ul.appendChild(li);
    });
    if (!list.length) ul.appendChild(el("li", "none", "Tidak ada: setiap meja yang dibutuhkan bekerja."));
  }

  // ---- stages and desks ----------------------------------------------------

  function cell(tr, cls, text) {
    var td = el("td", cls, text);
    tr.appendChild(td);
    return td;
  }

  function renderStages() {
    var body = $("stages-body"), bn = stats.bottleneck ? stats.bottleneck.stage : "";
    clear(body);
    (stats.stages || []).forEach(function (sg) {
      var tp = sg.throughput_per_hour || {};
      var tr = el("tr", "stage" + (sg.id === bn ? " is-bottleneck" : ""));
      tr.setAttribute("data-stage", sg.id);
      var name = cell(tr, "name");
      name.appendChild(el("span", "stage-name", sg.name || stageName(sg.id)));
      if (sg.id === bn) name.appendChild(el("span", "badge bad", "hambatan"));
      var extra = [];
      if (sg.deferred) extra.push("ditunda " + num(sg.deferred));
      if (sg.refused) extra.push("ditolak " + num(sg.refused));
      if (sg.no_show) extra.push("tidak hadir " + num(sg.no_show));
      var def = stageDef(sg.id);
      if (def && def.hold_minutes > 0) extra.push("tunggu " + def.hold_minutes + " menit");
      if (extra.length) name.appendChild(el("span", "sub", extra.join(" · ")));
      cell(tr, "c-waiting", num(sg.waiting));
      cell(tr, "c-served", num(sg.served));
      cell(tr, "c-avg-wait", mins(sg.avg_wait_s));
      cell(tr, "c-p90-wait", mins(sg.p90_wait_s));
      cell(tr, "c-avg-service", mins(sg.avg_service_s));
      cell(tr, "c-tp15", num(tp.last_15));
      cell(tr, "c-tp60", num(tp.last_60));
      cell(tr, "c-arrivals", num(sg.arrivals_per_hour));
      cell(tr, "c-open", num(sg.stations_open) + " / " + num((sg.stations || []).length));
      cell(tr, "c-capacity", dec1(sg.capacity_per_hour));
      body.appendChild(tr);

      (sg.stations || []).forEach(function (st) {
        var sp = st.throughput_per_hour || {};
        var row = el("tr", "station" + (st.state === "paused" ? " paused" : "") +
          (sg.id === bn ? " in-bottleneck" : ""));
        row.setAttribute("data-station", st.id);
        var n = cell(row, "name");
        n.appendChild(el("span", "desk", "Meja " + stationNumber(st.id)));
        var bits = [st.last_call_at ? "terakhir memanggil " + hhmm(st.last_call_at) : "belum memanggil"];
        if (st.no_show) bits.push("tidak hadir " + num(st.no_show));
        if (st.deferred) bits.push("ditunda " + num(st.deferred));
        if (st.refused) bits.push("ditolak " + num(st.refused));
        n.appendChild(el("span", "sub", bits.join(" · ")));
        cell(row, "c-waiting", "");
        cell(row, "c-served", num(st.served));
        cell(row, "c-avg-wait", mins(st.avg_wait_s));
        cell(row, "c-p90-wait", "");
        cell(row, "c-avg-service", mins(st.avg_service_s));
        cell(row, "c-tp15", num(sp.last_15));
        cell(row, "c-tp60", num(sp.last_60));
        cell(row, "c-arrivals", "");
        var state = cell(row, "c-open");
        state.appendChild(el("span", "badge " + (st.state === "paused" ? "warn" : "ok"),
          st.state === "paused" ? "jeda" : "buka"));
        cell(row, "c-capacity", "");
        body.appendChild(row);
      });
    });
  }

  // ---- areas, services and priorities, every event -------------------------

  function renderAreas() {
    var body = $("areas-body"), list = (stats.areas || []).slice();
    clear(body);
    list.sort(function (a, b) { return b.doses - a.doses; });
    var total = 0, most = 0;
    list.forEach(function (a) { total += a.doses; most = Math.max(most, a.doses); });
    list.forEach(function (a) {
      var tr = el("tr");
      var nm = cell(tr, "name", a.area === null ? "(tanpa wilayah)" : a.area);
      if (a.area === null) nm.classList.add("dim");
      cell(tr, "c-doses", num(a.doses));
      var bar = cell(tr, "bar-col");
      var track = el("div", "bar");
      var fill = el("div", "bar-fill");
      fill.style.width = (most ? a.doses / most * 100 : 0).toFixed(1) + "%";
      track.appendChild(fill);
      bar.appendChild(track);
      bar.appendChild(el("span", "pct", total ? PCT.format(a.doses / total) : ""));
      body.appendChild(tr);
    });
    if (!list.length) {
      var tr = el("tr");
      var td = cell(tr, "none", "Belum ada dosis hari ini.");
      td.colSpan = 3;
      body.appendChild(tr);
    }
  }

  function renderKinds() {
    var t = stats.today || {}, sv = $("services-body"), pr = $("priorities-body");
    clear(sv);
    clear(pr);
    (info.services || []).forEach(function (s) {
      var x = (t.by_service || {})[s.id] || {};
      var tr = el("tr");
      tr.setAttribute("data-service", s.id);
      cell(tr, "name", s.name || s.id);
      cell(tr, "c-issued", num(x.issued));
      cell(tr, "c-doses", num(x.doses));
      sv.appendChild(tr);
    });
    (info.priorities || []).forEach(function (p) {
      var id = typeof p === "string" ? p : p.id;
      var x = (t.by_priority || {})[id] || {};
      var tr = el("tr");
      tr.setAttribute("data-priority", id);
      cell(tr, "name", (typeof p === "object" && p.name) || antre.PRIORITY_NAMES[id] || id);
      cell(tr, "c-issued", num(x.issued));
      cell(tr, "c-doses", num(x.doses));
      pr.appendChild(tr);
    });
  }

  function renderRollup() {
    var body = $("rollup-body");
    clear(body);
    var list = ((rollup && rollup.events) || []).filter(function (e) { return e; });
    // this event's line as fresh as the rest of the page (what the daemon's
    // summary takes from the same figures)
    list = list.map(function (e) {
      if (e.event !== ev || !stats) return e;
      var t = stats.today || {}, f = stats.forecast || {};
      return { event: e.event, name: e.name, doses: t.doses, issued: t.issued, waiting: t.waiting,
        target: stats.target, expected_at_close: f.expected_at_close, margin: f.margin };
    });
    var sum = { doses: 0, target: 0, expected: 0, waiting: 0 };
    list.forEach(function (e) {
      var tr = el("tr", e.event === ev ? "current" : "");
      tr.setAttribute("data-event", e.event);
      var name = cell(tr, "name");
      if (e.event === ev) name.appendChild(el("span", "", e.name || e.event));
      else {
        var a = el("a", "", e.name || e.event);
        a.href = "?event=" + enc(e.event);
        name.appendChild(a);
      }
      cell(tr, "c-doses", num(e.doses));
      cell(tr, "c-target", num(e.target));
      var fc = cell(tr, "c-expected", num(e.expected_at_close));
      var m = Number(e.margin) || 0;
      fc.appendChild(el("span", "margin " + (m < 0 ? "bad" : "good"),
        " (" + (m < 0 ? "−" + num(-m) : "+" + num(m)) + ")"));
      cell(tr, "c-waiting", num(e.waiting));
      body.appendChild(tr);
      sum.doses += e.doses;
      sum.target += e.target;
      sum.expected += e.expected_at_close;
      sum.waiting += e.waiting;
    });
    if (list.length > 1) {
      var tr = el("tr", "total");
      cell(tr, "name", "Jumlah " + list.length + " kegiatan");
      cell(tr, "c-doses", num(sum.doses));
      cell(tr, "c-target", num(sum.target));
      cell(tr, "c-expected", num(sum.expected));
      cell(tr, "c-waiting", num(sum.waiting));
      body.appendChild(tr);
    }
    if (!list.length) {
      var none = el("tr");
      cell(none, "none", rollup ? "Tidak ada kegiatan." : "Memuat…").colSpan = 5;
      body.appendChild(none);
    }
  }

  // ---- start ----------------------------------------------------------------

  session.wire({
    check: function () { return api(statsPath()); },
    accepted: function (body) {
      stats = body;
      start();
    },
    leave: function () { stats = null; },
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (stats && running) renderChart(); }, 150);
  });
  // back online: the figures now (common.js reconnects the stream)
  window.addEventListener("online", function () {
    if (running) requestRefresh();
  });

  function boot() {
    antre.findEvent({
      ev: ev,
      found: function (id, event) {
        ev = id;
        info = event;
        setTitle();
        session.token = session.stored();
        if (session.token) start();
        else antre.showLogin("");
      },
      choose: chooseEvent,
      missing: function () { $("event-name").textContent = "Dasbor penyelenggara"; },
    });
  }

  // for tests and the curious: the figures the page shows now; for the
  // planner's panel (dashboard_plan.js): the event and a GET with the token
  window.antreDashboard = {
    stats: function () { return stats; },
    refresh: requestRefresh,
    event: function () { return info ? { id: ev, info: info } : null; },
    get: function (path, o) { return antre.api(session.token, "GET", path, undefined, false, o); },
    blob: function (path, o) { return antre.api(session.token, "GET", path, undefined, true, o); },
    loggedOut: session.loggedOut,
  };

  boot();
})();
