// A service desk (station.html?station=STAGE-N): call the next person,
// recall, start, complete (done, deferred, refused), skip a no-show,
// transfer to another stage, pause and resume, and call a given number (a
// skipped one, or a scanned QR code's text).  The stage's deferred people
// are listed (GET …/stations/{st}/deferred), each with "Panggil lagi"
// (station_lists.js, with the skipped ones).
// While paused the call buttons are disabled and say why.  Without
// ?station= it lists the event's desks to pick from.
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
// shown with textContent.  What the operator pages share (the token, the
// API, the screens, the stream) is in common.js.
"use strict";
(function () {
  var PERIOD_MS = 30000;
  var CONFIRM_MS = 4000;
  var STATE_NAMES = {
    waiting: "menunggu", called: "dipanggil", serving: "sedang dilayani", skipped: "dilewati",
    done: "selesai", deferred: "ditunda", refused: "ditolak", cancelled: "dibatalkan",
    expired: "kedaluwarsa",
  };
  var KEYS = { " ": "call", n: "call", r: "recall", s: "start", d: "done", t: "deferred",
    x: "refused", l: "skip", m: "transfer", p: "pause" };

  var params = new URLSearchParams(location.search);
  var ev = params.get("event") || "";
  var stationId = params.get("station") || "";
  var info = null;                 // the event, with its stations (GET /v1/events/{ev})
  var station = null;              // this station: {id, stage, number, state, ticket}
  var held = null;                 // the ticket it holds (full), or null
  var running = false;
  var busy = false, gen = 0;       // an operation in flight; bumped by every operation
  var refreshTimer = null, periodic = null, ticker = null;
  var confirmOp = "", confirmTimer = null;
  var PAUSED_WHY = "Meja dijeda — tekan Lanjutkan untuk memanggil";

  // ---- small helpers ------------------------------------------------------

  var $ = antre.$, el = antre.el, clear = antre.clear, enc = antre.enc, hhmm = antre.hhmm;
  var lower = antre.lower, inField = antre.inField, say = antre.say;

  function defaultPriority() {
    var l = (info && info.priorities) || [];
    return l.length ? antre.priorityId(l[l.length - 1]) : "";
  }

  function priorityName(id) { return antre.priorityName(info, id); }
  function serviceName(id) { return antre.serviceName(info, id); }
  function stageName(id) { return antre.stageName(info, id); }

  function stationLabel(st) {
    return "Meja " + lower(stageName(st.stage)) + " " + st.number;
  }

  function minsSecs(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var m = Math.floor(s / 60);
    s %= 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  // ---- the token -------------------------------------------------------------

  var session = antre.session({ key: "antre.station.token", who: "meja layanan",
    what: "memanggil", stop: stop });
  var api = session.api, isAuthError = session.isAuthError, loggedOut = session.loggedOut;


  // ---- the API ------------------------------------------------------------

  function evPath() { return "/v1/events/" + enc(ev); }
  function stPath(op) { return evPath() + "/stations/" + enc(stationId) + "/" + op; }

  // The token is asked once and checked with GET /v1/whoami: a station's
  // (or an admin's) for this event; another role's is said by name.  The
  // station itself was found in the event before (setup).
  function checkToken() { return session.whoami(["station"], ev); }

  // ---- the skipped and deferred tickets, to call back ------------------------

  var lists = antre.stationLists({
    key: function () { return "antre.station.skipped." + ev + "." + stationId; },
    path: function () { return stPath("deferred"); },
    api: api,
    running: function () { return running && !!stationId; },
    authFailed: function (e) { if (isAuthError(e)) loggedOut(e); },
    cannot: function () { return cannot("code"); },
    call: function (x) {
      if (cannot("code")) { say(cannot("code"), "warn"); return; }
      resetConfirm();
      act("call", { ticket: x.id }, x.code);
    },
    info: function (t) {         // "ditunda 09.47 · meja 2 · Lansia"
      var v = (t.visits || [])[(t.visits || []).length - 1] || {};
      return "ditunda " + (v.completed_at ? hhmm(v.completed_at) : "") +
        (v.station ? (v.station === stationId ? " · meja ini" : " · meja " +
          v.station.split("-").pop()) : "") + " · " + priorityName(t.priority);
    },
  });

  // ---- messages -------------------------------------------------------------

  function heldCode() { return held ? held.code : (station && station.ticket ? station.ticket.code : ""); }

  // Why an action cannot be done now, in the desk's words.
  function cannot(op) {
    if (op === "call" || op === "code") {
      if (held) return "Meja ini masih memegang " + held.code +
        ": selesaikan (D), lewati (L) atau pindahkan (M) dulu.";
      if (station && station.state === "paused") return PAUSED_WHY + " (P).";
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
      return PAUSED_WHY + " (P).";
    case "no_ticket":
      return "Meja ini tidak sedang memegang tiket.";
    case "invalid_transition":
      if (op === "code")
        return "Nomor " + what + " tidak bisa dipanggil: tidak sedang menunggu, dilewati atau " +
          "ditunda hari ini.";
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
        if (s.id === station.stage) setWaiting(s, false);
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

  // Sends one operation; its answer is the new state.  A press is one
  // action with one Idempotency-Key, retried by itself while the server
  // does not answer (common.js write); when the outcome stays unknown,
  // "Coba lagi" sends it again with the same key (`key`), so a call that
  // was made just before a lost answer is not made twice.
  function act(op, body, ref, key) {
    if (busy) return;
    busy = true;
    gen++;
    antre.again(null);
    var b = btn(op === "complete" ? body.outcome : op === "resume" ? "pause" : op);
    if (b) b.classList.add("working");
    var before = held, back = op === "call" && lists.callsBack(body);
    session.write("POST", stPath(op), body, {
      key: key,
      retrying: function (n, max) { say(antre.retryText(n, max), "warn"); },
    }).then(function (res) {
      done(op, res, before, body, back);
    }, function (e) {
      if (isAuthError(e)) { loggedOut(e); return; }
      if (e.unknown) {
        say((e.status === 0 ? "Server antrean tidak menjawab" : "Server belum bisa menjawab (" +
          e.status + ")") + " setelah " + e.tries + " kali coba: belum diketahui apakah " +
          opName(op, body) + " sudah terjadi. Tekan Coba lagi: aman, tidak terjadi dua kali.", "err");
        antre.again(function () { act(op, body, ref, e.key); });
        scheduleRefresh(0);
        return;
      }
      say(opError(e, ref ? "code" : op, ref), "err");
      if (e.status === 409 || e.status === 404) scheduleRefresh(0);
    }).then(function () {
      busy = false;
      if (b) b.classList.remove("working");
    });
  }

  // the operation in the desk's words, for "whether … happened"
  function opName(op, body) {
    var names = { call: "panggilan", recall: "panggilan ulang", start: "mulai layanan",
      skip: "lewati", transfer: "pemindahan", pause: "jeda", resume: "lanjut" };
    if (op === "complete")
      return body.outcome === "done" ? "selesai" : body.outcome === "deferred" ? "tunda" : "tolak";
    return names[op] || op;
  }

  function done(op, res, before, body, back) {
    if (op === "pause" || op === "resume") {
      station = res.station;
      say(op === "pause" ? "Meja dijeda: tidak ada panggilan baru sampai Lanjutkan (P)." :
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
      lists.called(t.id);
      say((back ? "Memanggil lagi " : "Memanggil ") + t.code + ".", "ok");
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
        say(t.code + (o === "deferred" ? " ditunda: ada di daftar Ditunda untuk dipanggil lagi." :
          " ditolak."), "ok");
        if (o === "deferred") lists.loadDeferred();
      }
    } else if (op === "skip") {
      lists.addSkipped(t);
      say(t.code + " dilewati (tidak hadir). Panggil lagi dengan Panggil nomor saat datang.", "ok");
    } else if (op === "transfer") {
      say(t.code + " dipindahkan ke " + stageName(t.stage) + ".", "ok");
    }
    render();
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
    $("pause-label").textContent = paused ? "Lanjutkan" : "Jeda";
    var why = $("call-why");
    why.textContent = paused && !held ? PAUSED_WHY : "";
    why.hidden = !(paused && !held);
    btn("call").title = why.textContent;

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
      call: !held && !paused, recall: !!held && state === "called", start: !!held && state === "called",
      skip: !!held && state === "called", done: state === "serving", deferred: state === "serving",
      refused: state === "serving", transfer: !!held, pause: true,
    };
    Array.prototype.forEach.call($("actions").children, function (b) {
      b.disabled = !can[b.getAttribute("data-op")];
    });
    $("code-submit").disabled = !!held || paused;
    $("code-submit").title = !held && paused ? PAUSED_WHY : "";
    if (!held) closeTransfer();
    lists.render();
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


  // s: a stage of the board, with a newcomer's wait as a range (eta_range_s,
  // worded as on the person's page: "7–13 menit", "< 5 menit"), or of the event.
  function setWaiting(s, withEta) {
    var n = s.waiting, r = s.eta_range_s, lo = r && Math.round(r[0] / 60), hi = r && Math.round(r[1] / 60);
    $("w-num").textContent = n === undefined || n === null ? "–" : String(n);
    if (withEta)
      $("w-sub").textContent = n ? "orang" + (r ? " · perkiraan tunggu " + (hi <= 5 ? "< 5" : lo + "–" + hi) +
        " menit" : "") : "tidak ada yang menunggu";
    else if ($("w-sub").textContent === "") $("w-sub").textContent = n ? "orang" : "tidak ada yang menunggu";
  }

  // The kept board (board_state.js) after a board, delta or call: what
  // changed is drawn again (the counts, the stage's last calls, and this
  // desk read back when the board says another device moved it).
  var keep = antreBoard.keeper();

  function onBoard(m) {
    stream.mark(true);
    var what = keep.take(m.type, m.data);
    if (what) renderBoard(keep.board, what);
  }

  function renderBoard(b, what) {
    (b.stages || []).forEach(function (s) {
      if (s.id === station.stage) setWaiting(s, true);
    });
    if (what.calls) lists.renderCalls(b.calls || [], station.stage, stationId);
    // another device, or the server, moved this station on: read it back
    (b.stations || []).forEach(function (s) {
      if (s.id !== stationId || busy || !what.stations) return;
      var tid = s.ticket ? s.ticket.id : null;
      if (tid !== (held ? held.id : null) || s.state !== station.state) scheduleRefresh();
    });
  }

  // ---- the live stream ------------------------------------------------------

  var stream = antre.connectStream(function () { return evPath() + "/stream"; }, {
    keep: function () { return running; },
    state: function (up, was) {
      antre.liveMark(up);
      if (was && up) { scheduleRefresh(); lists.scheduleDeferred(); }
    },
    on: {
      board: onBoard, delta: onBoard, call: onBoard,
      ticket: function (m) {
        var t;
        try { t = JSON.parse(m.data); } catch (e) { return; }
        lists.seen(t, station ? station.stage : "");
        if (busy) return;
        if ((held && t.id === held.id && (t.state !== held.state || t.station !== stationId)) ||
            (!held && t.station === stationId && (t.state === "called" || t.state === "serving")))
          scheduleRefresh();
      },
      station: function (m) {
        var st;
        try { st = JSON.parse(m.data); } catch (e) { return; }
        keep.take("station", m.data);   // the deltas after it leave it out
        if (st.id === stationId && !busy && st.state !== station.state) scheduleRefresh();
      },
    },
  });

  // ---- screens --------------------------------------------------------------

  function showPicker(error) {
    antre.show("picker");
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
    antre.show("main");
    $("logout").hidden = false;
    $("switch").hidden = false;
    lists.loadSkipped();
    render();
    refresh();
    lists.loadDeferred();
    stream.start();
    if (!periodic) periodic = setInterval(function () {
      if (running && !busy) { refresh(); lists.loadDeferred(); }
    }, PERIOD_MS);
    if (!ticker) ticker = setInterval(tick, 1000);
  }

  function stop() {
    running = false;
    stream.stop();
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

  session.wire({
    check: checkToken,
    accepted: start,
    refused: function (err) {
      if (err.code !== "unknown_station") return false;
      showPicker(opError(err));
      return true;
    },
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
    $("deferred-stage").textContent = lower(stageName(station.stage));
    document.title = stationLabel(station);
    session.resume(checkToken, start, boot);
  }

  function boot() {
    antre.findEvent({
      ev: ev,
      direct: true,
      reread: true,               // the list has no stations: read the event itself
      found: function (id, event) { ev = id; setup(event); },
      choose: function (list) {
        antre.chooser(list, { title: "Meja layanan", titleId: "station-name",
          query: stationId ? "&station=" + enc(stationId) : "" });
      },
    });
  }

  // for tests and the curious
  window.antreStation = {
    held: function () { return held; },
    station: function () { return station; },
    deferred: function () { return lists.deferred(); },
  };

  boot();
})();
