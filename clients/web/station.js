// A service desk (station.html?station=STAGE-N): call the next person,
// recall, start, complete (done, deferred, refused), skip a no-show,
// transfer to another stage, pause and resume, and call a given number (a
// skipped one, or a scanned QR code's text).  Without ?station= it lists
// the event's desks to pick from.
//
// Keyboard (shown on the buttons): Space or N call the next, R recall,
// S start, D done, T defer, X refuse (T and X ask for a second press),
// L skip, M transfer (then 1-9 for the stage), P pause/resume, K type a
// number; a QR scanner typing a link (http…) goes to the number field.
//
// It uses a station token (asked once, kept in sessionStorage, or in
// localStorage when "Ingat" is ticked).  The station's stage's waiting
// count and last calls come live from the event's stream; after a reload
// the ticket the station holds is read back (GET /v1/events/{ev}).  No
// framework and nothing from the internet.  Everything from the server is
// shown with textContent.
"use strict";
(function () {
  var TOKEN_KEY = "antre.station.token";
  var RETRY_MS = 5000;
  var PERIOD_MS = 30000;
  var CONFIRM_MS = 4000;
  var CALLS_SHOWN = 8;
  var PRIORITY_NAMES = {
    elderly: "Lansia", disabled: "Penyandang disabilitas", pregnant: "Ibu hamil",
    health_worker: "Tenaga kesehatan", child: "Anak", regular: "Umum",
  };
  var STATE_NAMES = {
    waiting: "menunggu", called: "dipanggil", serving: "sedang dilayani", skipped: "dilewati",
    done: "selesai", deferred: "ditunda", refused: "ditolak", cancelled: "dibatalkan",
  };
  var KEYS = { " ": "call", n: "call", r: "recall", s: "start", d: "done", t: "deferred",
    x: "refused", l: "skip", m: "transfer", p: "pause" };

  var params = new URLSearchParams(location.search);
  var ev = params.get("event") || "";
  var stationId = params.get("station") || "";
  var info = null;                 // the event, with its stations (GET /v1/events/{ev})
  var station = null;              // this station: {id, stage, number, state, ticket}
  var held = null;                 // the ticket it holds (full), or null
  var token = "";
  var running = false, es = null, streamDown = false;
  var busy = false, gen = 0;       // an operation in flight; bumped by every operation
  var refreshTimer = null, periodic = null, ticker = null;
  var confirmOp = "", confirmTimer = null;
  var skipped = [];                // [{id, code}] skipped here, newest first

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

  function defaultPriority() {
    var l = (info && info.priorities) || [];
    return l.length ? priorityId(l[l.length - 1]) : "";
  }

  function priorityName(id) {
    var found = null;
    ((info && info.priorities) || []).forEach(function (p) {
      if (priorityId(p) === id && typeof p === "object" && p.name) found = p.name;
    });
    return found || PRIORITY_NAMES[id] || id;
  }

  function serviceName(id) {
    var found = id;
    ((info && info.services) || []).forEach(function (s) { if (s.id === id && s.name) found = s.name; });
    return found;
  }

  function stageDef(id) {
    var found = null;
    ((info && info.stages) || []).forEach(function (s) { if (s.id === id) found = s; });
    return found;
  }

  function stageName(id) {
    var s = stageDef(id);
    return s && s.name ? s.name : id;
  }

  function lower(s) { return String(s).toLocaleLowerCase("id-ID"); }

  function stationLabel(st) {
    return "Meja " + lower(stageName(st.stage)) + " " + st.number;
  }

  function inField(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
  }

  function minsSecs(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var m = Math.floor(s / 60);
    s %= 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  // ---- the token ------------------------------------------------------------

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

  function skippedKey() { return "antre.station.skipped." + ev + "." + stationId; }

  function saveSkipped() {
    try { sessionStorage.setItem(skippedKey(), JSON.stringify(skipped)); } catch (e) { /* not kept */ }
  }

  function loadSkipped() {
    try {
      var l = JSON.parse(sessionStorage.getItem(skippedKey()) || "[]");
      skipped = Array.isArray(l) ? l : [];
    } catch (e) {
      skipped = [];
    }
  }

  // ---- the API ------------------------------------------------------------

  // Resolves with the JSON body (null for 204); rejects with an Error
  // carrying status (0: no answer) and code (the API's error code).
  function api(method, path, body) {
    var opts = { method: method, cache: "no-store", headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.ok) return r.status === 204 ? null : r.json();
      return r.json().catch(function () { return null; }).then(function (b) {
        var e = new Error("HTTP " + r.status);
        e.status = r.status;
        e.code = (b && b.error && b.error.code) || "";
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
  function stPath(op) { return evPath() + "/stations/" + enc(stationId) + "/" + op; }

  function isAuthError(e) { return e.status === 401 || (e.status === 403 && e.code !== "invalid_signature"); }

  function authMessage(e) {
    return e.status === 401 ? "Token tidak dikenal. Periksa lagi token meja layanan Anda." :
      "Token ini tidak berhak memanggil: gunakan token meja layanan.";
  }

  // The token is asked once: a transfer without a stage shows whether it may
  // work this station (400, and nothing is changed) without doing anything.
  function checkToken() {
    return api("POST", stPath("transfer"), {}).then(function () { return true; }, function (e) {
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

  function heldCode() { return held ? held.code : (station && station.ticket ? station.ticket.code : ""); }

  // Why an action cannot be done now, in the desk's words.
  function cannot(op) {
    if (op === "call" || op === "code") {
      if (held) return "Meja ini masih memegang " + held.code +
        ": selesaikan (D), lewati (L) atau pindahkan (M) dulu.";
      return "";
    }
    if (!held) return "Meja ini tidak sedang memegang tiket. Tekan Spasi untuk memanggil.";
    if (held.state === "called" && (op === "done" || op === "deferred" || op === "refused"))
      return held.code + " belum mulai dilayani: tekan Mulai (S) saat orangnya datang.";
    if (held.state === "serving" && (op === "recall" || op === "skip"))
      return held.code + " sudah dilayani: tidak bisa " + (op === "recall" ? "dipanggil ulang." :
        "dilewati.");
    if (held.state === "serving" && op === "start") return held.code + " sudah sedang dilayani.";
    return "";
  }

  function opError(e, op, ref) {
    var what = ref || heldCode() || "Tiket";
    switch (e.code) {
    case "station_busy":
      return "Meja ini masih memegang " + (heldCode() || "tiket") +
        ": selesaikan (D), lewati (L) atau pindahkan (M) dulu.";
    case "station_paused":
      return "Meja sedang dijeda. Tekan Lanjut (P) untuk memanggil lagi.";
    case "no_ticket":
      return "Meja ini tidak sedang memegang tiket.";
    case "invalid_transition":
      if (op === "code")
        return "Nomor " + what + " tidak bisa dipanggil: tidak sedang menunggu atau dilewati.";
      return "Tidak bisa untuk " + what + " dalam keadaan sekarang. Tampilan diperbarui.";
    case "wrong_stage":
      return "Nomor " + what + " menunggu di tahap lain, bukan di " + stageName(station.stage) + ".";
    case "ticket_not_found":
      return "Nomor " + what + " tidak ada hari ini.";
    case "invalid_signature":
      return "Kode QR ini tidak sah atau untuk kegiatan lain.";
    case "unknown_stage":
      return "Tahap tujuan tidak dikenal server. Muat ulang halaman.";
    case "unknown_station":
      return "Meja " + stationId + " tidak ada di kegiatan ini.";
    case "store_unavailable":
      return "Penyimpanan antrean (Redis) tidak terjangkau. Tidak ada yang berubah — coba lagi.";
    case "network":
      return "Tidak tersambung ke server antrean. Periksa jaringan, lalu coba lagi.";
    default:
      return "Server menjawab galat " + e.status + (e.code ? " (" + e.code + ")" : "") +
        ". Coba lagi.";
    }
  }

  // ---- the state: read back, and after each operation ------------------------

  function findStation(ev1) {
    var found = null;
    ((ev1 && ev1.stations) || []).forEach(function (s) { if (s.id === stationId) found = s; });
    return found;
  }

  // The event (this station's state and ticket), then the ticket it holds.
  // What comes back is used only if no operation began in the meantime.
  function refresh() {
    var g = gen;
    return fetch(evPath(), { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (b) {
      var st = findStation(b.event);
      if (!st) throw new Error("no station");
      var t = st.ticket ? api("GET", evPath() + "/tickets/" + enc(st.ticket.id)) : null;
      return Promise.all([b.event, st, t]);
    }).then(function (res) {
      if (g !== gen || busy) return;
      var e = res[0];
      station = res[1];
      held = res[2] ? res[2].ticket : null;
      (e.stages || []).forEach(function (s) {
        if (s.id === station.stage) setWaiting(s.waiting, undefined);
      });
      render();
    }).catch(function (e) {
      if (e.status !== undefined && isAuthError(e)) loggedOut(e);
    });
  }

  function scheduleRefresh(ms) {
    if (refreshTimer || !running) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      if (busy) { scheduleRefresh(200); return; }
      refresh();
    }, ms === undefined ? 250 : ms);
  }

  // ---- operations -------------------------------------------------------------

  function parseRef(text) {
    var s = String(text || "").trim();
    if (!s) return null;
    if (/^https?:\/\//i.test(s) || /[?&]sig=/.test(s)) return { qr: s };
    var m = /^([A-Za-z]+)\s*-?\s*(\d+)$/.exec(s);
    if (m) {
      var n = m[2];
      while (n.length < 3) n = "0" + n;
      return { ticket: m[1].toUpperCase() + "-" + n };
    }
    return { ticket: s };
  }

  function resetConfirm() {
    clearTimeout(confirmTimer);
    confirmTimer = null;
    confirmOp = "";
    Array.prototype.forEach.call(document.querySelectorAll(".act.confirm"), function (b) {
      b.classList.remove("confirm");
    });
  }

  // A button or its key.  T and X ask for a second press.
  function press(op) {
    if (!running || busy) return;
    if (op === "transfer") { resetConfirm(); openTransfer(); return; }
    if (op === "pause") { resetConfirm(); act(station && station.state === "paused" ? "resume" : "pause"); return; }
    var why = cannot(op);
    if (why) {
      resetConfirm();
      say(why, "warn");
      return;
    }
    if (op === "deferred" || op === "refused") {
      if (confirmOp !== op) {
        resetConfirm();
        confirmOp = op;
        btn(op).classList.add("confirm");
        confirmTimer = setTimeout(function () { resetConfirm(); say("", "info"); }, CONFIRM_MS);
        say("Tekan " + (op === "deferred" ? "Tunda (T)" : "Tolak (X)") + " sekali lagi untuk " +
          (op === "deferred" ? "menunda " : "menolak ") + held.code + ".", "warn");
        return;
      }
    }
    resetConfirm();
    if (op === "done" || op === "deferred" || op === "refused") act("complete", { outcome: op });
    else act(op);
  }

  function btn(op) { return $("actions").querySelector("[data-op='" + op + "']"); }

  // Sends one operation; its answer is the new state.
  function act(op, body, ref) {
    if (busy) return;
    busy = true;
    gen++;
    var b = btn(op === "complete" ? body.outcome : op === "resume" ? "pause" : op);
    if (b) b.classList.add("working");
    var before = held;
    api("POST", stPath(op), body).then(function (res) {
      done(op, res, before, body, ref);
    }, function (e) {
      if (isAuthError(e)) { loggedOut(e); return; }
      say(opError(e, ref ? "code" : op, ref), "err");
      if (e.status === 409 || e.status === 404) scheduleRefresh(0);
    }).then(function () {
      busy = false;
      if (b) b.classList.remove("working");
    });
  }

  function done(op, res, before, body, ref) {
    if (op === "pause" || op === "resume") {
      station = res.station;
      say(op === "pause" ? "Meja dijeda: tidak ada panggilan baru sampai Lanjut (P)." :
        "Meja dibuka lagi. Tekan Spasi untuk memanggil.", "ok");
      render();
      return;
    }
    var t = res ? res.ticket : null;
    if (op === "call") {
      if (!t) {
        say("Tidak ada antrean di " + stageName(station.stage) + " saat ini.", "info");
        render();
        return;
      }
      held = t;
      removeSkipped(t.id);
      say((ref ? "Memanggil lagi " : "Memanggil ") + t.code + ".", "ok");
      render(true);
      return;
    }
    if (op === "recall" || op === "start") {
      held = t;
      say(op === "recall" ? t.code + " dipanggil ulang (" + t.recalls + "×)." :
        t.code + " sedang dilayani.", "ok");
      render();
      return;
    }
    held = null;
    if (op === "complete") {
      var o = body.outcome;
      if (o === "done") {
        say(t.state === "done" ? t.code + " selesai." :
          t.code + " selesai di " + stageName(before ? before.stage : station.stage) +
          ", lanjut ke " + stageName(t.stage) + ".", "ok");
      } else {
        say(t.code + (o === "deferred" ? " ditunda." : " ditolak."), "ok");
      }
    } else if (op === "skip") {
      addSkipped(t);
      say(t.code + " dilewati (tidak hadir). Panggil lagi dengan Panggil nomor saat datang.", "ok");
    } else if (op === "transfer") {
      say(t.code + " dipindahkan ke " + stageName(t.stage) + ".", "ok");
    }
    render();
  }

  function addSkipped(t) {
    skipped = [{ id: t.id, code: t.code }].concat(skipped.filter(function (x) { return x.id !== t.id; }))
      .slice(0, 8);
    saveSkipped();
    renderSkipped();
  }

  function removeSkipped(id) {
    var n = skipped.length;
    skipped = skipped.filter(function (x) { return x.id !== id; });
    if (skipped.length !== n) {
      saveSkipped();
      renderSkipped();
    }
  }

  function callByCode(text) {
    if (!running || busy) return;
    var ref = parseRef(text);
    if (!ref) {
      say("Ketik nomornya (mis. A-017) atau pindai kode QR tiket.", "warn");
      $("code-input").focus();
      return;
    }
    var why = cannot("code");
    if (why) { say(why, "warn"); return; }
    resetConfirm();
    $("code-input").value = "";
    $("code-input").blur();
    act("call", ref, ref.ticket || "dari kode QR");
  }

  // ---- transfer -----------------------------------------------------------------

  function transferTargets() {
    return ((info && info.stages) || []).filter(function (s) { return s.id !== station.stage; });
  }

  function openTransfer() {
    var why = cannot("transfer");
    if (why) { say(why, "warn"); return; }
    var box = $("transfer-stages");
    clear(box);
    transferTargets().forEach(function (s, i) {
      var b = el("button");
      b.type = "button";
      b.setAttribute("data-stage", s.id);
      if (i < 9) b.appendChild(el("kbd", "", String(i + 1)));
      b.appendChild(document.createTextNode(" " + (s.name || s.id)));
      b.addEventListener("click", function () { transferTo(s.id); });
      box.appendChild(b);
    });
    $("transfer-label").textContent = "Pindahkan " + held.code + " ke:";
    $("transfer-box").hidden = false;
    say("Pilih tahap tujuan (tekan angkanya), atau Esc untuk batal.", "info");
  }

  function closeTransfer() { $("transfer-box").hidden = true; }

  function transferTo(stage) {
    closeTransfer();
    if (!held) return;
    act("transfer", { stage: stage });
  }

  // ---- rendering ------------------------------------------------------------------

  function render(fresh) {
    if (!station) return;
    var paused = station.state === "paused";
    $("paused-banner").hidden = !paused;
    var p = $("pause");
    p.classList.toggle("paused", paused);
    $("pause-label").textContent = paused ? "Lanjut" : "Jeda";

    var box = $("held");
    var state = held ? held.state : "idle";
    box.className = "held panel " + state + (fresh ? " fresh" : "");
    if (held) {
      $("h-state").textContent = state === "called" ? "Dipanggil — menunggu orangnya datang" :
        state === "serving" ? "Sedang dilayani" : STATE_NAMES[state] || state;
      $("h-code").textContent = held.code;
      $("h-code").hidden = false;
      $("h-paused").hidden = true;
      $("h-service").textContent = serviceName(held.service);
      var pr = $("h-prio");
      pr.textContent = priorityName(held.priority);
      pr.className = "h-prio" + (held.priority === defaultPriority() ? " regular" : "");
      $("h-info").hidden = false;
      $("h-hint").hidden = true;
      document.title = held.code + " · " + stationLabel(station);
    } else {
      $("h-state").textContent = paused ? "Meja dijeda" : "Tidak memegang tiket";
      $("h-code").textContent = "–";
      $("h-code").hidden = true;
      $("h-info").hidden = true;
      $("h-hint").hidden = paused;
      $("h-paused").hidden = !paused;
      document.title = stationLabel(station);
    }
    tick();

    var can = {
      call: !held, recall: !!held && state === "called", start: !!held && state === "called",
      skip: !!held && state === "called", done: state === "serving", deferred: state === "serving",
      refused: state === "serving", transfer: !!held, pause: true,
    };
    Array.prototype.forEach.call($("actions").children, function (b) {
      b.disabled = !can[b.getAttribute("data-op")];
    });
    $("code-submit").disabled = !!held;
    if (!held) closeTransfer();
    renderSkipped();
  }

  // the time since the call or the start, once a second
  function tick() {
    if (!held) { $("h-time").textContent = ""; return; }
    var v = (held.visits || [])[(held.visits || []).length - 1] || {};
    var bits = [];
    if (held.state === "called" && v.called_at) {
      bits.push("dipanggil " + hhmm(v.called_at) + " · " + minsSecs(Date.now() - Date.parse(v.called_at)) + " lalu");
      if (held.recalls) bits.push("dipanggil ulang " + held.recalls + "×");
    } else if (held.state === "serving" && v.started_at) {
      bits.push("mulai " + hhmm(v.started_at) + " · " + minsSecs(Date.now() - Date.parse(v.started_at)));
    }
    $("h-time").textContent = bits.join(" · ");
  }

  function renderSkipped() {
    var box = $("skipped-items");
    clear(box);
    skipped.forEach(function (x) {
      var b = el("button", "", x.code);
      b.type = "button";
      b.title = "Panggil lagi " + x.code;
      b.disabled = !!held;
      b.addEventListener("click", function () {
        b.blur();
        if (cannot("code")) { say(cannot("code"), "warn"); return; }
        resetConfirm();
        act("call", { ticket: x.id }, x.code);
      });
      box.appendChild(b);
    });
    $("skipped").hidden = skipped.length === 0;
  }

  function setWaiting(n, eta) {
    $("w-num").textContent = n === undefined || n === null ? "–" : String(n);
    if (eta !== undefined)
      $("w-sub").textContent = n ? (eta ? "orang · perkiraan tunggu ±" +
        Math.max(1, Math.round(eta / 60)) + " menit" : "orang") : "tidak ada yang menunggu";
    else if ($("w-sub").textContent === "") $("w-sub").textContent = n ? "orang" : "tidak ada yang menunggu";
  }

  function renderBoard(b) {
    (b.stages || []).forEach(function (s) {
      if (s.id === station.stage) setWaiting(s.waiting, s.eta_s);
    });
    var ul = $("calls");
    clear(ul);
    var mine = (b.calls || []).filter(function (c) { return c.stage === station.stage; })
      .slice(0, CALLS_SHOWN);
    mine.forEach(function (c) {
      var li = el("li", c.station === stationId ? "mine" : "");
      li.appendChild(el("span", "c-code", c.code));
      li.appendChild(el("span", "c-where", (c.station === stationId ? "meja ini" :
        "meja " + c.station_number) + (c.recall ? " · ulang" : "")));
      li.appendChild(el("span", "c-time", hhmm(c.at)));
      ul.appendChild(li);
    });
    if (!mine.length) ul.appendChild(el("li", "none", "Belum ada panggilan di tahap ini."));
    // another device, or the server, moved this station on: read it back
    (b.stations || []).forEach(function (s) {
      if (s.id !== stationId || busy) return;
      var tid = s.ticket ? s.ticket.id : null;
      if (tid !== (held ? held.id : null) || s.state !== station.state) scheduleRefresh();
    });
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
      var t;
      try { t = JSON.parse(m.data); } catch (e) { return; }
      if (t.state !== "skipped") removeSkipped(t.id);
      if (busy) return;
      if ((held && t.id === held.id && (t.state !== held.state || t.station !== stationId)) ||
          (!held && t.station === stationId && (t.state === "called" || t.state === "serving")))
        scheduleRefresh();
    });
    s.addEventListener("station", function (m) {
      if (es !== s) return;
      var st;
      try { st = JSON.parse(m.data); } catch (e) { return; }
      if (st.id === stationId && !busy && st.state !== station.state) scheduleRefresh();
    });
  }

  function setStream(up) {
    var was = streamDown;
    streamDown = !up;
    var live = $("live");
    live.hidden = false;
    live.className = "live " + (up ? "up" : "down");
    $("live-text").textContent = up ? "Langsung" : "Terputus";
    $("offline").hidden = up;
    if (was && up) scheduleRefresh();
  }

  // ---- screens --------------------------------------------------------------

  function showOnly(id) {
    ["login", "chooser", "picker", "fatal", "main"].forEach(function (x) { $(x).hidden = x !== id; });
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
    $("station-name").textContent = "Meja layanan";
    var ul = $("events");
    clear(ul);
    list.forEach(function (e) {
      var li = el("li"), a = el("a", "", e.name || e.id);
      a.href = "?event=" + enc(e.id) + (stationId ? "&station=" + enc(stationId) : "");
      li.appendChild(a);
      ul.appendChild(li);
    });
    if (!list.length) ul.appendChild(el("li", "none", "Belum ada kegiatan di server ini."));
  }

  function showPicker(error) {
    showOnly("picker");
    $("station-name").textContent = "Pilih meja";
    $("picker-error").textContent = error || "";
    $("picker-error").hidden = !error;
    var box = $("picker-stages");
    clear(box);
    (info.stages || []).forEach(function (sg) {
      var sec = el("div", "stage");
      sec.appendChild(el("h3", "", sg.name || sg.id));
      var list = el("div", "stations");
      (info.stations || []).forEach(function (st) {
        if (st.stage !== sg.id) return;
        var a = el("a", st.state === "paused" ? "paused" : "");
        a.href = "?event=" + enc(ev) + "&station=" + enc(st.id);
        a.setAttribute("data-station", st.id);
        a.appendChild(el("span", "", "Meja " + st.number));
        a.appendChild(el("small", "", st.state === "paused" ? "dijeda" :
          st.ticket ? "memegang " + st.ticket.code : "kosong"));
        list.appendChild(a);
      });
      sec.appendChild(list);
      box.appendChild(sec);
    });
  }

  function start() {
    running = true;
    showOnly("main");
    $("logout").hidden = false;
    $("switch").hidden = false;
    loadSkipped();
    render();
    refresh();
    if (!es) openStream();
    if (!periodic) periodic = setInterval(function () { if (running && !busy) refresh(); }, PERIOD_MS);
    if (!ticker) ticker = setInterval(tick, 1000);
  }

  function stop() {
    running = false;
    if (es) { es.close(); es = null; }
    clearInterval(periodic);
    clearInterval(ticker);
    periodic = ticker = null;
  }

  // ---- keyboard -------------------------------------------------------------

  document.addEventListener("keydown", function (e) {
    if (!running || $("main").hidden || e.ctrlKey || e.altKey || e.metaKey) return;
    var t = e.target;
    if (inField(t)) {
      if (e.key === "Escape") {
        t.value = "";
        t.blur();
      }
      return;
    }
    var k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (!$("transfer-box").hidden) {
      e.preventDefault();
      if (e.repeat) return;
      if (/^[1-9]$/.test(k)) {
        var s = transferTargets()[Number(k) - 1];
        if (s) transferTo(s.id);
      } else if (k === "Escape" || k === "m") {
        closeTransfer();
        say("", "info");
      }
      return;
    }
    if (k === "k" || k === "/") {
      e.preventDefault();
      $("code-input").focus();
      return;
    }
    // a QR scanner types the link: let it go into the number field
    if (k === "h") {
      $("code-input").focus();
      return;
    }
    if (k === "Escape") {
      resetConfirm();
      say("", "info");
      return;
    }
    var op = KEYS[k];
    if (!op) return;
    e.preventDefault();
    if (e.repeat) return;
    press(op);
  });

  // ---- wiring ---------------------------------------------------------------

  $("actions").addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button[data-op]") : null;
    if (!b) return;
    b.blur();
    press(b.getAttribute("data-op"));
  });
  $("transfer-cancel").addEventListener("click", function () {
    closeTransfer();
    say("", "info");
  });
  $("by-code").addEventListener("submit", function (e) {
    e.preventDefault();
    callByCode($("code-input").value);
  });

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
      if (err.code === "unknown_station") { showPicker(opError(err)); return; }
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
    $("switch").href = "?event=" + enc(ev);
    station = findStation(info);
    if (!stationId) { showPicker(""); return; }
    if (!station) { showPicker("Meja “" + stationId + "” tidak ada di kegiatan ini. Pilih salah satu:"); return; }
    $("station-name").textContent = stationLabel(station);
    $("stage-name").textContent = lower(stageName(station.stage));
    document.title = stationLabel(station);
    token = storedToken();
    if (!token) { showLogin(""); return; }
    checkToken().then(start, function (e) {
      if (isAuthError(e)) { forgetToken(); showLogin(authMessage(e)); return; }
      fatal("Tidak dapat menghubungi server antrean. Mencoba lagi…");
      setTimeout(boot, RETRY_MS);
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
        // the list has no stations: read the event itself
        boot();
        return;
      }
      setup(b.event);
    }).catch(function () {
      fatal("Tidak dapat menghubungi server antrean. Mencoba lagi…");
      setTimeout(boot, RETRY_MS);
    });
  }

  // for tests and the curious
  window.antreStation = {
    held: function () { return held; },
    station: function () { return station; },
  };

  boot();
})();
