// The dashboard's planner panel, "Rencana hari berikutnya": the organiser
// gives the target, the longest wait allowed, the hours and, if known, the
// service time per desk stage, and reads how many desks each stage needs
// (and the most the site can open), their utilisation and p90 wait at the
// busiest time, the chairs observation needs, where the arrival curve comes
// from, and the server's sentence.  One GET /v1/events/{ev}/plan
// (PROTOCOL.md, the planner) with the organiser's token, with a time limit.
//
// dashboard.js gives the event and the token (window.antreDashboard) and
// calls start() when the dashboard shows.  Nothing here runs a model: the
// server plans, this page asks and shows.  Everything from the server is
// shown with textContent.
"use strict";
(function () {
  var $ = antre.$, el = antre.el, clear = antre.clear, enc = antre.enc;
  var INT = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
  var DEC1 = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 1 });
  var PCT = new Intl.NumberFormat("id-ID", { style: "percent", maximumFractionDigits: 0 });
  var CURVE = { given: "kurva yang diberikan", earlier_days: "kedatangan hari-hari sebelumnya",
    typical: "bentuk hari yang lazim (belum ada hari sebelumnya)" };
  var SOURCE = { measured: "terukur", "default": "bawaan", given: "diisi" };

  var plan = { timeoutMs: 20000 };    // tests may lower it
  var started = false, busy = false, seq = 0;

  function missing(n) { return n === null || n === undefined || !isFinite(Number(n)); }
  function num(n) { return missing(n) ? "–" : INT.format(Number(n)); }

  function dash() { return window.antreDashboard; }

  // The stages that have desks (a timed wait has chairs, no service time).
  function deskStages(info) {
    return (info.stages || []).filter(function (s) { return !(s.hold_minutes > 0); });
  }

  // The form, prefilled from the event (once: what the organiser typed stays).
  function prefill(info) {
    var h = info.hours || {};
    $("plan-target").value = info.daily_target > 0 ? String(info.daily_target) : "";
    $("plan-open").value = h.open || "";
    $("plan-close").value = h.close || "";
    var box = $("plan-services");
    deskStages(info).forEach(function (s) {
      var label = el("label", "", s.name || s.id);
      var input = el("input");
      input.type = "number";
      input.inputMode = "numeric";
      input.min = "5";
      input.max = "3600";
      input.step = "1";
      input.id = "plan-service-" + s.id;
      input.setAttribute("data-stage", s.id);
      input.placeholder = "terukur";
      label.appendChild(input);
      box.appendChild(label);
    });
  }

  plan.start = function () {
    var d = dash() && dash().event();
    if (started || !d) return;
    started = true;
    prefill(d.info);
    $("plan-form").addEventListener("submit", function (e) {
      e.preventDefault();
      submit();
    });
  };

  // The query: every field the organiser left empty is the server's default.
  function query() {
    var q = [];
    function add(name, v) {
      v = String(v || "").trim();
      if (v !== "") q.push(name + "=" + enc(v));
    }
    add("target", $("plan-target").value);
    add("max_wait_min", $("plan-max-wait").value);
    add("open", $("plan-open").value);
    add("close", $("plan-close").value);
    var sv = [];
    Array.prototype.forEach.call($("plan-services").querySelectorAll("input"), function (i) {
      var v = i.value.trim();
      if (v !== "") sv.push(i.getAttribute("data-stage") + ":" + v);
    });
    if (sv.length) q.push("service=" + enc(sv.join(",")));
    return q.length ? "?" + q.join("&") : "";
  }

  function say(text, isError) {
    $("plan-error").textContent = isError ? text : "";
    $("plan-error").hidden = !isError;
    $("plan-status").textContent = isError ? "" : text;
  }

  // Why no plan came, in words an organiser can act on.
  function failure(e) {
    if (e.status === 400) return e.detail || "Isian tidak diterima server.";
    if (e.code === "timeout")
      return "Server tidak menjawab tepat waktu — rencana belum dihitung, coba lagi sebentar lagi.";
    if (e.status === 503)
      return "Penyimpanan antrean (Redis) tidak terjangkau — rencana belum bisa dihitung, coba lagi.";
    if (e.status === 0) return "Tidak tersambung ke server antrean — periksa jaringan, lalu coba lagi.";
    if (e.status === 404) return "Server ini belum mengenal perencana (versi lama antred).";
    return "Server menjawab galat " + e.status + (e.detail ? ": " + e.detail : "") + ".";
  }

  function submit() {
    var d = dash() && dash().event();
    if (!d || busy) return;
    busy = true;
    var mine = ++seq;
    $("plan-submit").disabled = true;
    $("plan-form").setAttribute("aria-busy", "true");
    say("Menghitung rencana…", false);
    dash().get("/v1/events/" + enc(d.id) + "/plan" + query(), { timeout: plan.timeoutMs })
      .then(function (p) {
        if (mine !== seq) return;
        say("", false);
        render(p, d.info);
      }, function (e) {
        if (mine !== seq) return;
        if (e.status === 401 || e.status === 403) { dash().loggedOut(e); return; }
        say(failure(e), true);
      }).catch(function (e) {
        say("Jawaban server tidak dapat ditampilkan.", true);
        console.error("plan: " + (e && e.stack ? e.stack : e));
      }).then(function () {
        busy = false;
        $("plan-submit").disabled = false;
        $("plan-form").removeAttribute("aria-busy");
      });
  }

  function cell(tr, cls, text) {
    var td = el("td", cls, text);
    tr.appendChild(td);
    return td;
  }

  function stageRow(s, info) {
    var tr = el("tr", "plan-stage");
    tr.setAttribute("data-stage", s.id);
    var def = antre.stageDef(info, s.id);
    var name = el("th", "name", s.name || (def && def.name) || s.id);
    name.scope = "row";
    tr.appendChild(name);
    var over = !missing(s.stations) && !missing(s.max_stations) && s.stations > s.max_stations;
    var desks = cell(tr, "c-stations" + (over ? " over" : ""),
      missing(s.stations) ? "–" : num(s.stations) + " / " + num(s.max_stations));
    if (over) desks.title = "melebihi meja yang dapat dibuka di lokasi";
    cell(tr, "c-utilisation", missing(s.utilisation) ? "–" : PCT.format(Number(s.utilisation)));
    cell(tr, "c-p90", missing(s.p90_wait_s) ? "–" : DEC1.format(Number(s.p90_wait_s) / 60));
    cell(tr, "c-chairs", missing(s.chairs) ? "–" : num(s.chairs) +
      (s.hold_minutes ? " (" + num(s.hold_minutes) + " menit)" : ""));
    cell(tr, "c-service", missing(s.service_s) ? "–" : num(s.service_s) +
      (s.service_source ? " · " + (SOURCE[s.service_source] || s.service_source) : ""));
    return tr;
  }

  function render(p, info) {
    var box = $("plan-result");
    box.hidden = false;
    box.className = "plan-result " + (p.feasible === false ? "infeasible" : "feasible");
    $("plan-summary").textContent = p.summary || "";
    var c = p.curve || {}, parts = [];
    parts.push("Kedatangan: " + (CURVE[c.source] || c.source || "–"));
    parts.push(num(p.people) + " orang untuk " + num(p.target) + " dosis");
    parts.push("puncak " + num(p.peak_per_hour) + "/jam");
    parts.push("layanan " + String(p.open || "").replace(":", ".") + "–" +
      String(p.close || "").replace(":", "."));
    $("plan-curve").textContent = parts.join(" · ");
    var body = $("plan-body");
    clear(body);
    (p.stages || []).forEach(function (s) { body.appendChild(stageRow(s, info)); });
  }

  window.antrePlan = plan;
  // the dashboard may have started before this file loaded
  if (dash() && dash().event()) plan.start();
})();
