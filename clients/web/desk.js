// The ticket desk: one big button per service, a priority, an optional area
// and NIK; issuing shows the code, the position and the QR code, and prints
// the ticket (ticket.png, or a plain HTML ticket when the server has no
// ticket font).  The last ten tickets of this desk are listed with a
// reprint and a cancel.
//
// Keyboard: 1-9 issue a ticket for that service, Enter repeats the last
// service (also from the area and NIK fields), C prints the ticket shown,
// Esc leaves a field.
//
// After every issue error the card is cleared (no previous number left
// under the error), and the area is cleared after each ticket unless
// "tetap" is ticked.  Every request has a time limit and ends in a message.
// A cancelled or expired ticket is never offered for printing.
//
// It uses a desk token (asked once, kept in sessionStorage, or in
// localStorage when "Ingat" is ticked).  The NIK is sent once and never
// kept: not in storage, not in the list, and the field is cleared after
// each ticket; it is shown as digits (a toggle hides it).  No framework
// and nothing from the internet: it works on a venue LAN.  Everything from
// the server is shown with textContent.  What the operator pages share
// (the token, the API, the screens, the stream) is in common.js; the
// desk's messages, printing and cancelling, and "Cari tiket" are in
// desk_words.js, desk_ticket.js and desk_find.js.
"use strict";
(function () {
  var PREFS_KEY = "antre.desk.prefs";
  var RECENT_MAX = 10;
  var STATE_NAMES = {
    waiting: "Menunggu", called: "Dipanggil", serving: "Dilayani", skipped: "Dilewati",
    done: "Selesai", deferred: "Ditunda", refused: "Ditolak", cancelled: "Dibatalkan",
    expired: "Kedaluwarsa — silakan ambil nomor baru",
  };

  var params = new URLSearchParams(location.search);
  var ev = params.get("event") || "";
  var info = null;                 // the event (GET /v1/events/{ev})
  var running = false;
  var priority = "", defaultPriority = "";
  var lastService = "";
  var current = null;              // the ticket shown in the card: a recent entry
  var recent = [];                 // [{id, code, service, priority, at, state, stage, station, position}]
  var busy = false;
  var qrUrl = "";

  // ---- small helpers ------------------------------------------------------

  var $ = antre.$, el = antre.el, clear = antre.clear, enc = antre.enc, hhmm = antre.hhmm;
  var priorityId = antre.priorityId, inField = antre.inField, say = antre.say;

  function priorityName(id) { return antre.priorityName(info, id); }

  // for buttons and the list
  function shortPriority(id) { return id === "disabled" ? "Disabilitas" : priorityName(id); }

  function serviceDef(id) { return antre.serviceDef(info, id); }
  function serviceName(id) { return antre.serviceName(info, id); }
  function stageName(id) { return antre.stageName(info, id); }

  // "meja pendaftaran 1" for "registration-1"
  function deskName(station) { return "meja " + antre.deskName(info, station); }

  // ---- the token, this desk's preferences and recent tickets ---------------

  var session = antre.session({ key: "antre.desk.token", who: "meja tiket",
    what: "mengambil tiket", stop: stop });
  var isAuthError = session.isAuthError, loggedOut = session.loggedOut;

  // The NIK is shown as digits by default: the staff copy 16 digits from
  // the KTP in their hand and the errors ask them to check those digits
  // against it, which dots make impossible; the person it belongs to stands
  // at the desk, and the field is cleared after each ticket.  A desk that
  // the queue can read over hides it with the toggle (kept as this desk's
  // preference).
  var nikHidden = false;

  function prefs() {
    try {
      return JSON.parse(localStorage.getItem(PREFS_KEY) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function savePrefs() {
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify({ autoprint: $("autoprint").checked,
        paper: $("paper").value, nikHidden: nikHidden }));
    } catch (e) { /* not kept */ }
  }

  function recentKey() { return "antre.desk.recent." + ev; }

  // the list holds codes and states only: no NIK, no area
  function saveRecent() {
    try {
      sessionStorage.setItem(recentKey(), JSON.stringify(recent));
    } catch (e) { /* not kept */ }
  }

  function loadRecent() {
    try {
      var r = JSON.parse(sessionStorage.getItem(recentKey()) || "[]");
      recent = Array.isArray(r) ? r.slice(0, RECENT_MAX) : [];
    } catch (e) {
      recent = [];
    }
  }

  // ---- the API ------------------------------------------------------------

  // Every read has a time limit (antre.WRITE.tryMs, 5 s; writes have theirs
  // in common.js write): a request that hangs (a stalled server, a browser
  // out of connections) ends in a message, never in a silent wait.
  function get(path, asBlob) {
    return antre.api(session.token, "GET", path, undefined, asBlob,
      { timeout: antre.WRITE.tryMs });
  }

  function evPath() { return "/v1/events/" + enc(ev); }
  function ticketPath(id) { return evPath() + "/tickets/" + enc(id); }

  // The desk's other parts: its messages (desk_words.js), printing and
  // cancelling (desk_ticket.js), "Cari tiket" (desk_find.js).
  var d = { session: session, get: get, evPath: evPath, ticketPath: ticketPath,
    event: function () { return info; }, defaultPriority: function () { return defaultPriority; },
    serviceName: serviceName, priorityName: priorityName, update: update, merge: merge,
    ticketRow: ticketRow, onRowAction: onRowAction };
  var words = deskParts.words(d);
  var tickets = deskParts.ticket(d, words);
  var finder = deskParts.find(d, words, tickets);
  var areaField = deskParts.area(d);          // the area table's picker (desk_area.js)
  var printTicket = tickets.print;
  var cancellable = tickets.cancellable, printable = tickets.printable;
  var cancelButton = tickets.cancelButton, resetConfirm = tickets.resetConfirm;

  // p, given up after the same time limit (a timeout, status 0) when it
  // cannot take one itself (common.js whoami): a late answer is ignored.
  function limited(p) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        reject(Object.assign(new Error("timeout"), { status: 0, code: "timeout" }));
      }, antre.WRITE.tryMs);
      p.then(resolve, reject).then(function () { clearTimeout(timer); });
    });
  }

  // The token is asked once and checked with GET /v1/whoami: a desk's (or
  // an admin's) for this event; another role's is said by name.  A check
  // that hangs ends like one with no answer: said, and tried again.
  function checkToken() { return limited(session.whoami(["desk"], ev)); }

  // ---- issuing --------------------------------------------------------------

  function setBusy(b) {
    busy = b;
    $("main").classList.toggle("busy", b);
    Array.prototype.forEach.call($("services").querySelectorAll("button"), function (btn) {
      btn.disabled = b;
    });
  }

  // An issue is one action with one Idempotency-Key: retried by itself
  // (common.js write) while the server does not answer, and, when the
  // outcome stays unknown, offered again with the same key ("Coba lagi"),
  // so that a ticket written just before a lost answer is found, never made
  // twice.  The action's body (with the NIK) lives in this variable only,
  // until the action ends or another begins.
  var pending = null;              // {service, body, key, name}: outcome unknown

  function issue(service) {
    if (busy || !running) return;
    var s = serviceDef(service);
    if (!s) return;
    var body = { service: service };
    if (priority && priority !== defaultPriority) body.priority = priority;
    var area = areaField.value();
    if (area) body.area = area;
    var nik = $("nik").value.replace(/[\s.-]+/g, "");
    if (nik) {
      if (!/^\d{16}$/.test(nik)) {
        say("NIK harus 16 angka (tertulis " + nik.length + "). Perbaiki atau kosongkan.", "err");
        blank("failed");
        $("nik").focus();
        return;
      }
      body.nik = nik;
    }
    lastService = service;
    markLast();
    // the same ticket asked again while the last one's outcome is unknown
    // (a second press, Enter): the same action, with its key
    if (pending && JSON.stringify(pending.body) === JSON.stringify(body)) {
      sendIssue(pending);
      return;
    }
    sendIssue({ service: service, body: body, key: null, name: s.name || service, asked: priority });
  }

  function sendIssue(action) {
    if (busy || !running) return;
    var service = action.service;
    pending = null;
    antre.again(null);
    setBusy(true);
    say("Mengambil nomor " + action.name + "…", "info");
    blank("pending", action.name);
    session.write("POST", evPath() + "/tickets", action.body, {
      key: action.key,
      retrying: function (n, max) { say(antre.retryText(n, max), "warn"); },
    }).then(function (res) {
      $("nik").value = "";
      if (!$("area-keep").checked) $("area").value = "";
      action.body = null;
      var t = res.ticket;
      var entry = { id: t.id, code: t.code, service: t.service, priority: t.priority,
        at: t.issued_at, state: t.state, stage: t.stage, station: t.station,
        position: t.position, asked: action.asked };
      recent = [entry].concat(recent.filter(function (x) { return x.id !== t.id; }))
        .slice(0, RECENT_MAX);
      saveRecent();
      selectPriority(defaultPriority);
      show(entry);
      renderRecent();
      say("Tiket " + t.code + " (" + serviceName(t.service) + ") dibuat.", "ok");
      if ($("autoprint").checked) printTicket(entry);
    }, function (e) {
      if (isAuthError(e)) { loggedOut(e); return; }
      if (e.unknown) {
        action.key = e.key;
        pending = action;
        say(words.unknownText(e, "Tiket " + action.name + " mungkin sudah dibuat, mungkin belum.") +
          " Tekan Coba lagi: aman, tidak membuat tiket ganda." +
          (action.body.nik ? " Atau cari tiket orang ini dengan NIK-nya." : ""), "err");
        $("again-find").hidden = !action.body.nik;
        antre.again(function () { sendIssue(action); });
        blank("unknown");
        return;
      }
      action.body = null;
      say(words.issueError(e, service), "err");
      blank("failed");
      if (e.code === "invalid_nik") $("nik").focus();
      else if (e.code === "duplicate_person") $("nik").value = "";
    }).then(function () { setBusy(false); });
  }

  // ---- the ticket card ------------------------------------------------------

  function stateLine(t) {
    if (t.state === "waiting") {
      var where = "Menunggu di " + stageName(t.stage);
      if (t.position === null || t.position === undefined) return where;
      return where + " · " + (t.position === 0 ? "tidak ada yang di depan" :
        t.position + " orang di depan");
    }
    if (t.state === "called" && t.station) return "Dipanggil ke " + deskName(t.station);
    if (t.state === "serving" && t.station) return "Dilayani di " + deskName(t.station);
    return STATE_NAMES[t.state] || t.state;
  }

  function show(entry) {
    current = entry;
    var card = $("result");
    card.className = "result panel";
    card.classList.toggle("cancelled", entry.state === "cancelled");
    $("code").textContent = entry.code;
    var line = serviceName(entry.service) + " · " + priorityName(entry.priority);
    if (entry.asked && entry.asked !== entry.priority && entry.priority !== defaultPriority)
      line += " (dari NIK)";
    $("r-service").textContent = line;
    $("r-state").textContent = stateLine(entry);
    $("print").disabled = !printable(entry);
    cancelButton($("cancel-last"), entry);
    // flash the new code
    card.classList.remove("fresh");
    void card.offsetWidth;
    card.classList.add("fresh");
    loadQr(entry);
  }

  // The card with no ticket in it: while a ticket is being asked for
  // ("pending", `name` the service's), after an error ("failed"), and when
  // the outcome is not known ("unknown").  The previous number is cleared,
  // not kept greyed out as "the previous ticket": a desk worker glances at
  // the card to read the big number out or hand the paper over, and a big
  // number is read as the new one whatever the small print above it says
  // (A-006 under a red NIK error was).  The previous ticket stays in "Tiket
  // terakhir" with its reprint.  C and Cetak print nothing until a new one.
  var BLANK = {
    pending: ["Mengambil nomor…", "Tunggu sebentar: nomor baru muncul di sini."],
    failed: ["Tidak ada nomor baru", "Tiket belum dibuat — baca pesan di sebelah kiri."],
    unknown: ["Belum pasti ada nomor baru", "Tekan Coba lagi di sebelah kiri: aman, " +
      "tidak membuat tiket ganda."],
  };

  function blank(kind, name) {
    var was = current;
    current = null;
    var card = $("result");
    card.className = "result panel empty " + kind;
    $("code").textContent = "–";
    $("r-service").textContent = kind === "pending" && name ? "Mengambil nomor " + name + "…" :
      BLANK[kind][0];
    $("r-state").textContent = BLANK[kind][1];
    $("qr").hidden = true;
    $("print").disabled = true;
    resetConfirm();
    $("cancel-last").disabled = true;
    if (was) renderRecent();
  }

  // The QR image needs the token: fetched, then shown from a blob URL.
  function loadQr(entry) {
    var img = $("qr");
    get(ticketPath(entry.id) + "/qr.svg", true).then(function (blob) {
      if (current !== entry) return;
      if (qrUrl) URL.revokeObjectURL(qrUrl);
      qrUrl = URL.createObjectURL(blob);
      img.src = qrUrl;
      img.hidden = false;
    }, function (e) {
      if (current === entry) img.hidden = true;
      if (isAuthError(e)) loggedOut(e);
    });
  }

  // t's news into the entries of `list` (the recent list, or the lookup's);
  // true when one changed.
  function merge(list, t) {
    var changed = false;
    list.forEach(function (x) {
      if (x.id !== t.id) return;
      ["state", "stage", "station"].forEach(function (k) {
        if (t[k] !== undefined && x[k] !== t[k]) { x[k] = t[k]; changed = true; }
      });
      if (t.position !== undefined) x.position = t.position;
      else if (changed) x.position = null;
    });
    return changed;
  }

  // A ticket's new state (a reply, the live stream's ticket event, or a
  // print refused for a cancelled or expired ticket).
  function update(t) {
    finder.update(t);
    if (!merge(recent, t)) return;
    saveRecent();
    renderRecent();
    if (current && current.id === t.id) {
      $("r-state").textContent = stateLine(current);
      $("result").classList.toggle("cancelled", current.state === "cancelled");
      $("print").disabled = !printable(current);
      if (!tickets.confirming()) cancelButton($("cancel-last"), current);
      else $("cancel-last").disabled = !cancellable(current);
    }
  }

  // ---- rendering ------------------------------------------------------------

  function renderServices() {
    var box = $("services");
    clear(box);
    (info.services || []).forEach(function (s, i) {
      var b = el("button", "service");
      b.type = "button";
      b.setAttribute("data-service", s.id);
      if (i < 9) b.appendChild(el("kbd", "key", String(i + 1)));
      b.appendChild(el("span", "s-name", s.name || s.id));
      b.appendChild(el("span", "s-prefix", "Nomor " + s.prefix));
      b.addEventListener("click", function () {
        b.blur();
        issue(s.id);
      });
      box.appendChild(b);
    });
    box.className = "services n" + Math.min(4, (info.services || []).length);
  }

  function markLast() {
    Array.prototype.forEach.call($("services").children, function (b) {
      b.classList.toggle("last", b.getAttribute("data-service") === lastService);
    });
  }

  function renderPriorities() {
    var box = $("priorities"), list = (info.priorities || []).map(priorityId);
    clear(box);
    defaultPriority = list[list.length - 1] || "";
    // the default first: it is the usual choice
    var order = list.length ? [defaultPriority].concat(list.slice(0, -1)) : [];
    order.forEach(function (id) {
      var b = el("button", "seg-btn" + (id === defaultPriority ? " regular" : ""), shortPriority(id));
      b.title = priorityName(id);
      b.type = "button";
      b.setAttribute("role", "radio");
      b.setAttribute("data-priority", id);
      b.addEventListener("click", function () {
        selectPriority(id);
        b.blur();
      });
      box.appendChild(b);
    });
    selectPriority(defaultPriority);
  }

  function selectPriority(id) {
    priority = id;
    Array.prototype.forEach.call($("priorities").children, function (b) {
      var on = b.getAttribute("data-priority") === id;
      b.classList.toggle("on", on);
      b.setAttribute("aria-checked", on ? "true" : "false");
    });
  }

  function renderRecent() {
    var body = $("recent");
    clear(body);
    recent.forEach(function (x) {
      var sv = el("td", "", serviceName(x.service));
      if (x.priority !== defaultPriority) sv.appendChild(el("span", "prio", shortPriority(x.priority)));
      var row = ticketRow(x, "s-" + x.state + (current && current.id === x.id ? " current" : ""), sv);
      var tr = row.tr, act = row.act;
      if (cancellable(x)) {
        var c = el("button", "link danger", "Batalkan");
        c.type = "button";
        c.setAttribute("data-act", "cancel");
        act.appendChild(c);
      }
      body.appendChild(tr);
    });
    $("recent-none").hidden = recent.length > 0;
  }

  // A ticket's row in the desk's tables: code, service cell, time, state,
  // and an actions cell holding "Cetak ulang" when it may be printed (the
  // caller may add more).
  function ticketRow(x, cls, serviceCell) {
    var tr = el("tr", cls);
    tr.setAttribute("data-id", x.id);
    tr.appendChild(el("td", "code", x.code));
    tr.appendChild(serviceCell);
    tr.appendChild(el("td", "time", hhmm(x.at)));
    tr.appendChild(el("td", "state", STATE_NAMES[x.state] || x.state));
    var act = el("td", "acts");
    if (printable(x)) {
      var p = el("button", "link", "Cetak ulang");
      p.type = "button";
      p.setAttribute("data-act", "print");
      act.appendChild(p);
    }
    tr.appendChild(act);
    return { tr: tr, act: act };
  }

  // the board kept from the stream (board_state.js): the first stage's
  // queue and the day's tickets
  var keep = antreBoard.keeper();

  function renderBoard(b) {
    var first = (info.stages || [])[0];
    (b.stages || []).forEach(function (s) {
      if (first && s.id === first.id) {
        $("first-stage").textContent = (s.name || first.name || s.id).toLocaleLowerCase("id-ID");
        $("waiting").textContent = String(s.waiting);
        $("fig-waiting").hidden = false;
      }
    });
    if (b.issued_today !== undefined) {
      $("issued").textContent = String(b.issued_today);
      $("fig-issued").hidden = false;
    }
  }

  function onBoard(m) {
    stream.mark(true);
    if (keep.take(m.type, m.data)) renderBoard(keep.board);
  }

  // A press on a row's button (data-act) in the ticket table `tbody`: fn(the
  // button, its entry of list()).
  function onRowAction(tbody, list, fn) {
    tbody.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button[data-act]") : null;
      if (!b) return;
      var id = b.closest("tr").getAttribute("data-id"), entry = null;
      list().forEach(function (x) { if (x.id === id) entry = x; });
      if (entry) fn(b, entry);
    });
  }

  // ---- the live stream ------------------------------------------------------

  var stream = antre.connectStream(function () { return evPath() + "/stream"; }, {
    keep: function () { return running; },
    state: antre.liveMark,
    on: {
      board: onBoard, delta: onBoard,
      ticket: function (m) {
        try { update(JSON.parse(m.data)); } catch (e) { /* ignored */ }
      },
    },
  });

  // ---- screens --------------------------------------------------------------

  function start() {
    running = true;
    antre.show("main");
    $("logout").hidden = false;
    loadRecent();
    renderRecent();
    if (recent.length) {
      show(recent[0]);
      $("result").classList.remove("fresh");
    }
    stream.start();
  }

  function stop() {
    running = false;
    stream.stop();
  }

  // ---- keyboard -------------------------------------------------------------

  document.addEventListener("keydown", function (e) {
    if (!running || $("main").hidden || e.ctrlKey || e.altKey || e.metaKey) return;
    var t = e.target;
    // a focused toggle is pressed with Enter or Space, as any button
    if (t.classList && t.classList.contains("nik-toggle") && (e.key === "Enter" || e.key === " "))
      return;
    if (inField(t)) {
      if (e.key === "Escape") t.blur();
      else if (e.key === "Enter" && (t.id === "area" || t.id === "nik")) {
        e.preventDefault();
        if (!e.repeat) repeatLast();
      }
      return;
    }
    if (e.repeat) {
      if (/^[1-9]$/.test(e.key) || e.key === "Enter") e.preventDefault();
      return;
    }
    if (/^[1-9]$/.test(e.key)) {
      var s = (info.services || [])[Number(e.key) - 1];
      if (s) {
        e.preventDefault();
        issue(s.id);
      }
    } else if (e.key === "Enter") {
      e.preventDefault();
      repeatLast();
    } else if (e.key === "c" || e.key === "C") {
      e.preventDefault();
      if (current) printTicket(current);
      else say("Belum ada tiket baru untuk dicetak. Tiket sebelumnya: Cetak ulang di daftar.", "err");
    } else if (e.key === "Escape") {
      resetConfirm();
      say("", "info");
    }
  });

  function repeatLast() {
    if (lastService) {
      issue(lastService);
      return;
    }
    say("Pilih layanan dulu: klik tombolnya atau tekan angkanya (1–" +
      Math.min(9, (info.services || []).length) + ").", "err");
    blank("failed");
  }

  // ---- wiring ---------------------------------------------------------------

  $("print").addEventListener("click", function () {
    this.blur();
    if (current) printTicket(current);
  });
  $("cancel-last").addEventListener("click", function () {
    if (current) tickets.cancelPressed(this, current);
  });
  onRowAction($("recent"), function () { return recent; }, function (b, entry) {
    if (b.getAttribute("data-act") === "print") {
      b.blur();
      printTicket(entry);
    } else {
      tickets.cancelPressed(b, entry);
    }
  });
  // after an unknown issue: today's tickets of that NIK for that service
  $("again-find").addEventListener("click", function () {
    this.blur();
    if (pending && pending.body && pending.body.nik) finder.lookup(pending.body.nik, pending.service);
  });
  // Both NIK fields follow one toggle state; pressed = hidden (a toggle
  // button keeps its label, aria-pressed says its state).  The field the
  // toggle sits by gets the focus back, to go on typing.
  function setNikHidden(h) {
    nikHidden = h;
    ["nik", "find-nik"].forEach(function (id) { $(id).classList.toggle("masked", h); });
    Array.prototype.forEach.call(document.querySelectorAll(".nik-toggle"), function (b) {
      b.setAttribute("aria-pressed", h ? "true" : "false");
      b.title = h ? "NIK tersembunyi: tekan untuk menampilkan angkanya" :
        "Tekan untuk menyembunyikan angka NIK";
    });
  }
  $("nik-toggle").addEventListener("click", function () {
    setNikHidden(!nikHidden);
    savePrefs();
    $("nik").focus();
  });
  $("find-nik-toggle").addEventListener("click", function () {
    setNikHidden(!nikHidden);
    savePrefs();
    $("find-nik").focus();
  });
  window.addEventListener("afterprint", function () { document.body.classList.remove("printing"); });
  $("autoprint").addEventListener("change", function () { savePrefs(); this.blur(); });
  $("paper").addEventListener("change", function () { savePrefs(); this.blur(); });

  session.wire({ check: checkToken, accepted: start });

  function setup(event) {
    info = event;
    $("event-name").textContent = info.name || info.id;
    document.title = "Meja tiket · " + (info.name || info.id);
    var p = prefs();
    $("autoprint").checked = !!p.autoprint;
    if (p.paper === "80") $("paper").value = "80";
    setNikHidden(p.nikHidden === true);
    renderPriorities();
    renderServices();
    session.resume(checkToken, start, function () { setup(info); });
  }

  function boot() {
    antre.findEvent({
      ev: ev,
      direct: true,
      found: function (id, event) { ev = id; setup(event); },
      choose: function (list) { antre.chooser(list, { title: "Meja tiket" }); },
    });
  }

  // for tests and the curious
  window.antreDesk = {
    current: function () { return current; },
    recent: function () { return recent.slice(); },
    found: finder.found,
  };

  boot();
})();
