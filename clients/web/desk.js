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
// It uses a desk token (asked once, kept in sessionStorage, or in
// localStorage when "Ingat" is ticked).  The NIK is sent once and never
// kept: not in storage, not in the list, and the field is cleared after
// each ticket.  No framework and nothing from the internet: it works on a
// venue LAN.  Everything from the server is shown with textContent.
"use strict";
(function () {
  var TOKEN_KEY = "antre.desk.token";
  var PREFS_KEY = "antre.desk.prefs";
  var RECENT_MAX = 10;
  var RETRY_MS = 5000;
  var CONFIRM_MS = 4000;
  var PRIORITY_NAMES = {
    elderly: "Lansia", disabled: "Penyandang disabilitas", pregnant: "Ibu hamil",
    health_worker: "Tenaga kesehatan", child: "Anak", regular: "Umum",
  };
  var STATE_NAMES = {
    waiting: "Menunggu", called: "Dipanggil", serving: "Dilayani", skipped: "Dilewati",
    done: "Selesai", deferred: "Ditunda", refused: "Ditolak", cancelled: "Dibatalkan",
  };

  var params = new URLSearchParams(location.search);
  var ev = params.get("event") || "";
  var info = null;                 // the event (GET /v1/events/{ev})
  var token = "";
  var running = false, es = null, streamDown = false;
  var priority = "", defaultPriority = "";
  var lastService = "";
  var current = null;              // the ticket shown in the card: a recent entry
  var recent = [];                 // [{id, code, service, priority, at, state, stage, station, position}]
  var busy = false;
  var qrUrl = "", printUrl = "", printQrUrl = "";
  var confirmTimer = null, confirmFor = "";

  // ---- small helpers ------------------------------------------------------

  function $(x) { return document.getElementById(x); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  function enc(s) { return encodeURIComponent(s); }

  function hhmm(iso) { return iso ? String(iso).slice(11, 16).replace(":", ".") : ""; }

  function priorityId(p) { return typeof p === "string" ? p : p.id; }

  function priorityName(id) {
    var found = null;
    ((info && info.priorities) || []).forEach(function (p) {
      if (priorityId(p) === id && typeof p === "object" && p.name) found = p.name;
    });
    return found || PRIORITY_NAMES[id] || id;
  }

  // for buttons and the list
  function shortPriority(id) { return id === "disabled" ? "Disabilitas" : priorityName(id); }

  function serviceDef(id) {
    var found = null;
    ((info && info.services) || []).forEach(function (s) { if (s.id === id) found = s; });
    return found;
  }

  function serviceName(id) {
    var s = serviceDef(id);
    return s && s.name ? s.name : id;
  }

  function stageName(id) {
    var found = id;
    ((info && info.stages) || []).forEach(function (s) { if (s.id === id && s.name) found = s.name; });
    return found;
  }

  // "meja pendaftaran 1" for "registration-1"
  function deskName(station) {
    var s = String(station || ""), i = s.lastIndexOf("-");
    return "meja " + stageName(s.slice(0, i)).toLocaleLowerCase("id-ID") + " " + s.slice(i + 1);
  }

  function inField(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
  }

  // ---- storage: the token, this desk's preferences and recent tickets -------

  function storedToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || "";
    } catch (e) {
      return "";
    }
  }

  function keepToken(t, remember) {
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
      if (remember) localStorage.setItem(TOKEN_KEY, t);
      else localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives as long as the page */ }
  }

  function forgetToken() {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* nothing kept */ }
  }

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
        paper: $("paper").value }));
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

  // Resolves with the JSON body (null for 204) or a Blob; rejects with an
  // Error carrying status (0: no answer) and code (the API's error code).
  function api(method, path, body, asBlob) {
    var opts = { method: method, cache: "no-store", headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.ok) return r.status === 204 ? null : asBlob ? r.blob() : r.json();
      return r.json().catch(function () { return null; }).then(function (b) {
        var e = new Error("HTTP " + r.status);
        e.status = r.status;
        e.code = (b && b.error && b.error.code) || "";
        e.detail = (b && b.error && b.error.message) || "";
        throw e;
      });
    }, function () {
      var e = new Error("network");
      e.status = 0;
      e.code = "network";
      throw e;
    });
  }

  function evPath() { return "/v1/events/" + enc(ev); }
  function ticketPath(id) { return evPath() + "/tickets/" + enc(id); }

  function isAuthError(e) { return e.status === 401 || (e.status === 403 && e.code !== "invalid_signature"); }

  function authMessage(e) {
    return e.status === 401 ? "Token tidak dikenal. Periksa lagi token meja tiket Anda." :
      "Token ini tidak berhak mengambil tiket: gunakan token meja tiket.";
  }

  // The token is asked once: an empty issue shows whether it may issue
  // tickets (400 for a missing service, and nothing is changed) without
  // issuing one.
  function checkToken() {
    return api("POST", evPath() + "/tickets", {}).then(function () { return true; }, function (e) {
      if (e.status === 400) return true;
      throw e;
    });
  }

  function loggedOut(e) {
    stop();
    forgetToken();
    showLogin(authMessage(e));
  }

  // ---- messages -------------------------------------------------------------

  function say(text, kind) {
    var m = $("msg");
    m.textContent = text;
    m.className = "msg " + (kind || "info");
    m.hidden = !text;
  }

  function nikProblem(detail) {
    var d = String(detail || "");
    if (/16 digits/.test(d)) return "NIK harus 16 angka.";
    if (/only digits/.test(d)) return "NIK hanya boleh berisi angka.";
    if (/region/.test(d)) return "kode wilayah (6 angka pertama) tidak dikenal.";
    if (/birth date/.test(d)) return "tanggal lahir di dalamnya tidak mungkin.";
    if (/serial/.test(d)) return "nomor urut (4 angka terakhir) tidak mungkin.";
    return "periksa lagi angkanya.";
  }

  function issueError(e, service) {
    switch (e.code) {
    case "duplicate_person":
      return "Orang dengan NIK ini sudah mendapat tiket " + serviceName(service) +
        " hari ini. Tiket baru tidak dibuat.";
    case "invalid_nik":
      return "NIK tidak valid: " + nikProblem(e.detail) + " Periksa lagi dengan KTP.";
    case "invalid_area":
      return "Wilayah tidak bisa dipakai: paling banyak 63 huruf, tanpa karakter khusus.";
    case "unknown_service":
    case "unknown_priority":
      return "Layanan atau prioritas ini tidak dikenal server. Muat ulang halaman.";
    default:
      return generalError(e, "Tiket belum dibuat");
    }
  }

  function generalError(e, what) {
    if (e.code === "store_unavailable")
      return "Penyimpanan antrean (Redis) tidak terjangkau. " + what + " — coba lagi sebentar lagi.";
    if (e.code === "network")
      return "Tidak tersambung ke server antrean. Periksa jaringan, lalu coba lagi.";
    if (e.code === "ticket_not_found") return "Tiket tidak ditemukan (mungkin tiket hari lain).";
    return "Server menjawab galat " + e.status + (e.code ? " (" + e.code + ")" : "") + ". " +
      what + ".";
  }

  // ---- issuing --------------------------------------------------------------

  function setBusy(b) {
    busy = b;
    $("main").classList.toggle("busy", b);
    Array.prototype.forEach.call($("services").querySelectorAll("button"), function (btn) {
      btn.disabled = b;
    });
  }

  function issue(service) {
    if (busy || !running) return;
    var s = serviceDef(service);
    if (!s) return;
    var body = { service: service };
    if (priority && priority !== defaultPriority) body.priority = priority;
    var area = $("area").value.trim();
    if (area) body.area = area;
    var nik = $("nik").value.replace(/[\s.-]+/g, "");
    if (nik) {
      if (!/^\d{16}$/.test(nik)) {
        say("NIK harus 16 angka (tertulis " + nik.length + "). Perbaiki atau kosongkan.", "err");
        $("nik").focus();
        return;
      }
      body.nik = nik;
    }
    lastService = service;
    markLast();
    setBusy(true);
    say("Mengambil nomor " + s.name + "…", "info");
    api("POST", evPath() + "/tickets", body).then(function (res) {
      $("nik").value = "";
      nik = "";
      body = null;
      var t = res.ticket;
      var entry = { id: t.id, code: t.code, service: t.service, priority: t.priority,
        at: t.issued_at, state: t.state, stage: t.stage, station: t.station,
        position: t.position, asked: priority };
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
      say(issueError(e, service), "err");
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
    card.classList.remove("empty");
    card.classList.toggle("cancelled", entry.state === "cancelled");
    $("code").textContent = entry.code;
    var line = serviceName(entry.service) + " · " + priorityName(entry.priority);
    if (entry.asked && entry.asked !== entry.priority && entry.priority !== defaultPriority)
      line += " (dari NIK)";
    $("r-service").textContent = line;
    $("r-state").textContent = stateLine(entry);
    $("print").disabled = false;
    cancelButton($("cancel-last"), entry);
    // flash the new code
    card.classList.remove("fresh");
    void card.offsetWidth;
    card.classList.add("fresh");
    loadQr(entry);
  }

  // The QR image needs the token: fetched, then shown from a blob URL.
  function loadQr(entry) {
    var img = $("qr");
    api("GET", ticketPath(entry.id) + "/qr.svg", undefined, true).then(function (blob) {
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

  function cancellable(entry) { return entry.state === "waiting" || entry.state === "skipped"; }

  function cancelButton(btn, entry) {
    btn.disabled = !cancellable(entry);
    btn.textContent = btn.id === "cancel-last" ? "Batalkan tiket" : "Batalkan";
    btn.classList.remove("confirm");
  }

  // ---- printing -------------------------------------------------------------

  function whenLoaded(img) {
    if (img.complete && img.naturalWidth > 0) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      img.onload = function () { resolve(); };
      img.onerror = function () { reject(new Error("image")); };
    });
  }

  // ticket.png (what a thermal printer would print) in the print-only area,
  // then the browser's print; with no ticket font on the server, a plain
  // HTML ticket with the QR code.
  function printTicket(entry) {
    var width = $("paper").value === "80" ? "80" : "58";
    var area = $("print-area");
    area.className = "print-area w" + width;
    say("Mencetak tiket " + entry.code + "…", "info");
    return api("GET", ticketPath(entry.id) + "/ticket.png?width=" + width, undefined, true)
      .then(function (blob) {
        if (printUrl) URL.revokeObjectURL(printUrl);
        printUrl = URL.createObjectURL(blob);
        var img = $("print-img");
        $("print-html").hidden = true;
        img.hidden = false;
        img.src = printUrl;
        return whenLoaded(img);
      }, function (e) {
        if (e.code !== "font_unavailable") throw e;
        return printHtml(entry);
      }).then(function () {
        document.body.classList.add("printing");
        window.print();
        say("Tiket " + entry.code + " dikirim ke pencetak.", "ok");
      }).catch(function (e) {
        if (e.status !== undefined && isAuthError(e)) { loggedOut(e); return; }
        say(e.status !== undefined ? generalError(e, "Tiket belum tercetak") :
          "Gambar tiket tidak bisa dimuat. Coba cetak lagi.", "err");
      });
  }

  function printHtml(entry) {
    return api("GET", ticketPath(entry.id) + "/qr.svg", undefined, true).then(function (blob) {
      if (printQrUrl) URL.revokeObjectURL(printQrUrl);
      printQrUrl = URL.createObjectURL(blob);
      $("print-img").hidden = true;
      $("ph-event").textContent = info.name || info.id;
      $("ph-code").textContent = entry.code;
      $("ph-service").textContent = serviceName(entry.service) +
        (entry.priority !== defaultPriority ? " · " + priorityName(entry.priority) : "");
      $("ph-time").textContent = "Diambil " + hhmm(entry.at);
      var img = $("ph-qr");
      img.src = printQrUrl;
      $("print-html").hidden = false;
      return whenLoaded(img);
    });
  }

  // ---- cancelling -------------------------------------------------------------

  function resetConfirm() {
    clearTimeout(confirmTimer);
    confirmTimer = null;
    confirmFor = "";
    Array.prototype.forEach.call(document.querySelectorAll("button.confirm"), function (b) {
      b.classList.remove("confirm");
      b.textContent = b.id === "cancel-last" ? "Batalkan tiket" : "Batalkan";
    });
  }

  // The first press asks, a second one within 4 s cancels.
  function cancelPressed(btn, entry) {
    if (confirmFor !== entry.id || !btn.classList.contains("confirm")) {
      resetConfirm();
      confirmFor = entry.id;
      btn.classList.add("confirm");
      btn.textContent = "Yakin batalkan " + entry.code + "?";
      confirmTimer = setTimeout(resetConfirm, CONFIRM_MS);
      return;
    }
    resetConfirm();
    btn.disabled = true;
    api("POST", ticketPath(entry.id) + "/cancel").then(function (res) {
      update(res.ticket);
      say("Tiket " + entry.code + " dibatalkan.", "ok");
    }, function (e) {
      if (isAuthError(e)) { loggedOut(e); return; }
      btn.disabled = false;
      if (e.code === "invalid_transition") {
        say("Tiket " + entry.code + " tidak bisa dibatalkan lagi: sudah dipanggil atau dilayani.",
          "err");
        api("GET", ticketPath(entry.id)).then(function (r) { update(r.ticket); }, function () {});
      } else {
        say(generalError(e, "Tiket belum dibatalkan"), "err");
      }
    });
  }

  // A ticket's new state (a reply, or the live stream's ticket event).
  function update(t) {
    var changed = false;
    recent.forEach(function (x) {
      if (x.id !== t.id) return;
      ["state", "stage", "station"].forEach(function (k) {
        if (t[k] !== undefined && x[k] !== t[k]) { x[k] = t[k]; changed = true; }
      });
      if (t.position !== undefined) x.position = t.position;
      else if (changed) x.position = null;
    });
    if (!changed) return;
    saveRecent();
    renderRecent();
    if (current && current.id === t.id) {
      $("r-state").textContent = stateLine(current);
      $("result").classList.toggle("cancelled", current.state === "cancelled");
      if (!confirmFor) cancelButton($("cancel-last"), current);
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
      var tr = el("tr", "s-" + x.state + (current && current.id === x.id ? " current" : ""));
      tr.setAttribute("data-id", x.id);
      tr.appendChild(el("td", "code", x.code));
      var sv = el("td", "", serviceName(x.service));
      if (x.priority !== defaultPriority) sv.appendChild(el("span", "prio", shortPriority(x.priority)));
      tr.appendChild(sv);
      tr.appendChild(el("td", "time", hhmm(x.at)));
      tr.appendChild(el("td", "state", STATE_NAMES[x.state] || x.state));
      var act = el("td", "acts");
      var p = el("button", "link", "Cetak ulang");
      p.type = "button";
      p.setAttribute("data-act", "print");
      act.appendChild(p);
      if (cancellable(x)) {
        var c = el("button", "link danger", "Batalkan");
        c.type = "button";
        c.setAttribute("data-act", "cancel");
        act.appendChild(c);
      }
      tr.appendChild(act);
      body.appendChild(tr);
    });
    $("recent-none").hidden = recent.length > 0;
  }

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

  // ---- the live stream ------------------------------------------------------

  function openStream() {
    var s = new EventSource(evPath() + "/stream");
    es = s;
    s.onopen = function () { setStream(true); };
    s.onerror = function () {
      if (es !== s) return;
      setStream(false);
      if (s.readyState === EventSource.CLOSED) {
        s.close();
        es = null;
        setTimeout(function () { if (running && !es) openStream(); }, RETRY_MS);
      }
    };
    s.addEventListener("board", function (m) {
      if (es !== s) return;
      setStream(true);
      try { renderBoard(JSON.parse(m.data)); } catch (e) { /* a bad frame: wait for the next */ }
    });
    s.addEventListener("ticket", function (m) {
      if (es !== s) return;
      try { update(JSON.parse(m.data)); } catch (e) { /* ignored */ }
    });
  }

  function setStream(up) {
    streamDown = !up;
    var live = $("live");
    live.hidden = false;
    live.className = "live " + (up ? "up" : "down");
    $("live-text").textContent = up ? "Langsung" : "Terputus";
    $("offline").hidden = up;
  }

  // ---- screens --------------------------------------------------------------

  function showOnly(id) {
    ["login", "chooser", "fatal", "main"].forEach(function (x) { $(x).hidden = x !== id; });
  }

  function showLogin(msg) {
    showOnly("login");
    $("logout").hidden = true;
    $("live").hidden = true;
    $("offline").hidden = true;
    $("login-error").textContent = msg || "";
    $("login-error").hidden = !msg;
    $("token").focus();
  }

  function fatal(msg) {
    showOnly("fatal");
    $("fatal").textContent = msg;
  }

  function chooseEvent(list) {
    showOnly("chooser");
    $("event-name").textContent = "Meja tiket";
    var ul = $("events");
    clear(ul);
    list.forEach(function (e) {
      var li = el("li"), a = el("a", "", e.name || e.id);
      a.href = "?event=" + enc(e.id);
      li.appendChild(a);
      ul.appendChild(li);
    });
    if (!list.length) ul.appendChild(el("li", "none", "Belum ada kegiatan di server ini."));
  }

  function start() {
    running = true;
    showOnly("main");
    $("logout").hidden = false;
    loadRecent();
    renderRecent();
    if (recent.length) {
      show(recent[0]);
      $("result").classList.remove("fresh");
    }
    if (!es) openStream();
  }

  function stop() {
    running = false;
    if (es) { es.close(); es = null; }
  }

  // ---- keyboard -------------------------------------------------------------

  document.addEventListener("keydown", function (e) {
    if (!running || $("main").hidden || e.ctrlKey || e.altKey || e.metaKey) return;
    var t = e.target;
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
    } else if (e.key === "Escape") {
      resetConfirm();
      say("", "info");
    }
  });

  function repeatLast() {
    if (lastService) issue(lastService);
    else say("Pilih layanan dulu: klik tombolnya atau tekan angkanya (1–" +
      Math.min(9, (info.services || []).length) + ").", "err");
  }

  // ---- wiring ---------------------------------------------------------------

  $("print").addEventListener("click", function () {
    this.blur();
    if (current) printTicket(current);
  });
  $("cancel-last").addEventListener("click", function () {
    if (current) cancelPressed(this, current);
  });
  $("recent").addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button[data-act]") : null;
    if (!b) return;
    var id = b.closest("tr").getAttribute("data-id"), entry = null;
    recent.forEach(function (x) { if (x.id === id) entry = x; });
    if (!entry) return;
    if (b.getAttribute("data-act") === "print") {
      b.blur();
      printTicket(entry);
    } else {
      cancelPressed(b, entry);
    }
  });
  window.addEventListener("afterprint", function () { document.body.classList.remove("printing"); });
  $("autoprint").addEventListener("change", function () { savePrefs(); this.blur(); });
  $("paper").addEventListener("change", function () { savePrefs(); this.blur(); });

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = $("token").value.trim();
    if (!t) return;
    token = t;
    $("login-submit").disabled = true;
    $("login-error").hidden = true;
    checkToken().then(function () {
      keepToken(t, $("remember").checked);
      $("token").value = "";
      start();
    }, function (err) {
      token = "";
      $("login-error").textContent = isAuthError(err) ? authMessage(err) :
        "Tidak dapat menghubungi server antrean. Coba lagi.";
      $("login-error").hidden = false;
    }).then(function () { $("login-submit").disabled = false; });
  });

  $("logout").addEventListener("click", function () {
    stop();
    forgetToken();
    token = "";
    showLogin("");
  });

  window.addEventListener("online", function () {
    if (running && streamDown) {
      if (es) es.close();
      es = null;
      openStream();
    }
  });

  function setup(event) {
    info = event;
    $("event-name").textContent = info.name || info.id;
    document.title = "Meja tiket · " + (info.name || info.id);
    var p = prefs();
    $("autoprint").checked = !!p.autoprint;
    if (p.paper === "80") $("paper").value = "80";
    renderPriorities();
    renderServices();
    token = storedToken();
    if (!token) { showLogin(""); return; }
    checkToken().then(start, function (e) {
      if (isAuthError(e)) { forgetToken(); showLogin(authMessage(e)); return; }
      fatal("Tidak dapat menghubungi server antrean. Mencoba lagi…");
      setTimeout(function () { setup(info); }, RETRY_MS);
    });
  }

  function boot() {
    var path = ev ? "/v1/events/" + enc(ev) : "/v1/events";
    fetch(path, { cache: "no-store" }).then(function (r) {
      if (r.status === 404 && ev) return { missing: true };
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (b) {
      if (b.missing) {
        fatal("Kegiatan “" + ev + "” tidak ada di server ini.");
        return;
      }
      if (!ev) {
        var list = b.events || [];
        if (list.length !== 1) { chooseEvent(list); return; }
        ev = list[0].id;
      }
      setup(b.event || b.events[0]);
    }).catch(function () {
      fatal("Tidak dapat menghubungi server antrean. Mencoba lagi…");
      setTimeout(boot, RETRY_MS);
    });
  }

  // for tests and the curious
  window.antreDesk = {
    current: function () { return current; },
    recent: function () { return recent.slice(); },
  };

  boot();
})();
