// The ticket desk's "Cari tiket" (desk.html, desk.js): today's tickets of
// one person, by NIK, with a reprint.  The NIK goes in a POST body only
// (never a URL), the field is cleared at once, nothing keeps it.  One part
// of the desk, made by deskParts.find(d, w, t): d from desk.js (session,
// evPath, serviceName, ticketRow, merge, onRowAction), w its messages
// (desk_words.js), t its ticket actions (desk_ticket.js).  A plain script,
// loaded before desk.js.
"use strict";
var deskParts = deskParts || {};

deskParts.find = function (d, w, t) {
  var $ = antre.$;
  var found = [];                  // the tickets the last lookup found, as recent entries

  // POST …/tickets/lookup with the NIK in the body; `service` narrows it.
  function lookup(nik, service) {
    var body = { nik: nik };
    if (service) body.service = service;
    $("find-submit").disabled = true;
    say("Mencari…", "info");
    deskDose.show($("find-dose"), null);
    antre.api(d.session.token, "POST", d.evPath() + "/tickets/lookup", body, false,
      { timeout: antre.WRITE.tryMs }).then(function (res) {
      body = null;
      render((res && res.tickets) || []);
      deskDose.show($("find-dose"), res && res.dose_status);   // desk_dose.js
    }, function (e) {
      body = null;
      if (d.session.isAuthError(e)) { d.session.loggedOut(e); return; }
      render(null);
      if (e.code === "invalid_nik") say("NIK tidak valid: " + w.nikProblem(e.detail), "err");
      else say(w.generalError(e, "Belum bisa mencari") + " Coba cari lagi.", "err");
    }).then(function () { $("find-submit").disabled = false; });
  }

  function say(text, kind) {
    var m = $("find-msg");
    m.textContent = text;
    m.className = "msg " + (kind || "info");
    m.hidden = !text;
  }

  function renderRows() {
    var body = $("found");
    antre.clear(body);
    found.forEach(function (x) {
      body.appendChild(d.ticketRow(x, "s-" + x.state,
        antre.el("td", "", d.serviceName(x.service))).tr);
    });
    $("find-table").hidden = found.length === 0;
  }

  function render(list) {
    found = (list || []).map(function (x) {
      var tk = x.ticket || x;
      return { id: tk.id, code: tk.code, service: tk.service, priority: tk.priority,
        at: tk.issued_at, state: tk.state, stage: tk.stage, station: tk.station,
        position: tk.position };
    });
    renderRows();
    if (list) {
      say(found.length ? found.length + " tiket hari ini untuk NIK ini." :
        "Tidak ada tiket hari ini untuk NIK ini.", found.length ? "ok" : "info");
    }
  }

  d.onRowAction($("found"), function () { return found; }, function (b, entry) {
    b.blur();
    t.print(entry);
  });
  // The NIK is read, the field cleared at once; it goes in the POST body only.
  $("find-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var nik = $("find-nik").value.replace(/[\s.-]+/g, "");
    $("find-nik").value = "";
    if (!/^\d{16}$/.test(nik)) {
      say("NIK harus 16 angka (tertulis " + nik.length + ").", "err");
      $("find-nik").focus();
      return;
    }
    lookup(nik);
  });

  return {
    lookup: lookup,
    // a ticket's news (desk.js update) into the list found
    update: function (tk) { if (d.merge(found, tk)) renderRows(); },
    found: function () { return found.slice(); },
  };
};
