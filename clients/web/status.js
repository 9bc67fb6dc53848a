// The person's page: their ticket, read with the signed link they scanned,
// kept live by the ticket's stream (…/tickets/{id}/stream?sig=); while the
// stream is down it polls every 5 s instead.  It alerts them (banner,
// vibration, notification) when only a few are ahead (?near=N, 5 by
// default) and when they are called.  Each state shows only its own lines:
// the place in the queue, the wait and the offer to notify while queued;
// a live countdown in a timed wait (observation), kept on the server's
// clock (the board's "at"), not the phone's; a last word once finished.
"use strict";
(function () {
  var POLL_MS = 5000;
  var STREAM_RETRY_MS = 5000;       // after the stream gave up (an HTTP error)
  var STREAM_REST_MS = 60000;       // after it failed again and again
  var STREAM_MAX_FAILS = 5;
  var FINAL = { done: 1, cancelled: 1, refused: 1, expired: 1 };
  var TICK_MS = 1000;               // the countdown's refresh

  var parts = location.pathname.split("/"); // "", "t", event, id
  var ev = parts[2], id = parts[3];
  var query = new URLSearchParams(location.search);
  var sig = query.get("sig") || "";
  var near = parseInt(query.get("near"), 10);
  if (!(near >= 0)) near = 5;
  var base = "/v1/events/" + encodeURIComponent(ev) + "/tickets/" + encodeURIComponent(id);
  var api = base + "?sig=" + encodeURIComponent(sig);
  var streamUrl = base + "/stream?sig=" + encodeURIComponent(sig);
  var stageNames = {}, serviceNames = {}, timezone = "", stageOrder = [];
  var ticket = null;                // as last shown
  var skew = 0;                     // the server's clock minus the phone's, ms
  var tick = null;                  // the countdown's timer

  function $(x) { return document.getElementById(x); }

  function minutes(s) {
    if (s === null || s === undefined) return "belum diketahui";
    if (s < 60) return "kurang dari 1 menit";
    return "sekitar " + Math.round(s / 60) + " menit";
  }

  // The wait as a range people believe: "20–30 menit", "kurang dari 5
  // menit" (eta_range_s, whole minutes); eta_s alone from an older daemon.
  function waitRange(t) {
    var r = t.eta_range_s;
    if (!r || r.length !== 2) return minutes(t.eta_s);
    var lo = Math.round(r[0] / 60), hi = Math.round(r[1] / 60);
    if (hi <= 5) return "kurang dari 5 menit";
    return lo + "–" + hi + " menit";
  }

  // Until the person may leave the venue (leave_eta_s): "sekitar 45 menit
  // lagi (pukul 10:32)"; "–" when not known.
  function leaveText(t) {
    var s = t.leave_eta_s;
    if (s === null || s === undefined) return "–";
    var at = clock(new Date(serverNow() + s * 1000).toISOString());
    if (s < 60) return "sebentar lagi (pukul " + at + ")";
    return "sekitar " + Math.round(s / 60) + " menit lagi (pukul " + at + ")";
  }

  // "10.32", in the event's time zone when it is known (common.js).
  function clock(iso, seconds) {
    return antre.clock(iso ? new Date(iso) : new Date(), timezone, seconds);
  }

  function deskName(station) {
    if (!station) return "";
    var i = station.lastIndexOf("-");
    var stage = station.slice(0, i), n = station.slice(i + 1);
    return "meja " + (stageNames[stage] || stage).toLowerCase() + " " + n;
  }

  // In a stage's queue, waiting to be called (not in a timed wait).
  function queued(t) { return !!t && t.state === "waiting" && !t.hold_until; }

  function isNear(t) {
    return queued(t) && t.position !== null && t.position !== undefined && t.position <= near;
  }

  // ---- the server's clock -------------------------------------------------

  function serverNow() { return Date.now() + skew; }

  // The board's "at" is the clock the scripts set hold_until by (Redis's,
  // or antred-test's test clock), whatever the phone's says; it is whole
  // seconds, so half a second is added, and half the round trip taken off.
  // Without it (an old daemon, a failed read) the phone's clock is used.
  function readClock() {
    var t0 = Date.now();
    return fetch("/v1/events/" + encodeURIComponent(ev) + "/board", { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (b) {
        var at = Date.parse(b && b.at);
        if (at > 0) skew = at + 500 - (t0 + Date.now()) / 2;
      }).catch(function () {});
  }

  // ---- a timed wait (observation): the countdown --------------------------

  function nextStage(stage) {
    var i = stageOrder.indexOf(stage);
    return i >= 0 && i + 1 < stageOrder.length ? stageOrder[i + 1] : null;
  }

  // "Boleh pulang dalam 23 menit" (whole minutes, rounded up, so that it
  // never says 0 before the time is up), then "Anda boleh pulang"; at a
  // timed wait that is not the last stage, the next stage instead.
  function holdLines(t) {
    var left = Date.parse(t.hold_until) - serverNow();
    var stage = stageNames[t.stage] || t.stage, next = nextStage(t.stage);
    var mins = Math.max(1, Math.ceil(left / 60000)) + " menit";
    var until = clock(t.hold_until);
    if (next) {
      next = stageNames[next] || next;
      if (left <= 0) return ["Silakan lanjut ke " + next,
        "Waktu tunggu di " + stage + " sudah selesai."];
      return ["Lanjut ke " + next + " dalam " + mins,
        "Tunggu di " + stage + " sampai pukul " + until + "."];
    }
    if (left <= 0) return ["Anda boleh pulang", "Waktu " + stage.toLocaleLowerCase("id-ID") +
      " sudah selesai. Terima kasih!"];
    return ["Boleh pulang dalam " + mins, "Tunggu di " + stage + " sampai pukul " + until + "."];
  }

  function showHold() {
    if (!ticket || ticket.state !== "waiting" || !ticket.hold_until) return;
    var l = holdLines(ticket);
    $("headline").textContent = l[0];
    $("detail").textContent = l[1];
    $("detail").hidden = false;
  }

  // The countdown runs while the ticket is in a timed wait, with no request.
  function countdown(on) {
    if (on && !tick) tick = setInterval(showHold, TICK_MS);
    if (!on && tick) { clearInterval(tick); tick = null; }
  }

  // ---- alerts -------------------------------------------------------------

  // Phones vibrate only for a page that has been tapped at least once.
  function buzz(pattern) {
    var ua = navigator.userActivation;
    if (!navigator.vibrate || (ua && !ua.hasBeenActive)) return;
    try { navigator.vibrate(pattern); } catch (e) { /* not allowed */ }
  }

  function notify(title, body, urgent) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    var opts = { body: body, tag: "antre-" + id, renotify: true, requireInteraction: !!urgent,
      lang: "id" };
    try {
      var n = new Notification(title, opts);
      n.onclick = function () { window.focus(); n.close(); };
    } catch (e) {
      // Chrome on Android shows notifications only through a service worker
      if (navigator.serviceWorker && navigator.serviceWorker.getRegistration)
        navigator.serviceWorker.getRegistration().then(function (r) {
          if (r) r.showNotification(title, opts);
        }).catch(function () {});
    }
  }

  function banner(kind, title, text) {
    var a = $("alert");
    if (!kind) { a.hidden = true; a.className = "alert"; return; }
    $("alert-title").textContent = title;
    $("alert-text").textContent = text;
    a.className = "alert " + kind;
    a.hidden = false;
  }

  // Alerts once for each new call (or recall) and each time the ticket comes
  // near the front of a stage; the banner stays while it holds.
  function alerts(prev, t) {
    var code = t.code;
    if (t.state === "called") {
      var desk = deskName(t.station);
      banner("called", "Giliran Anda!", "Silakan ke " + desk + " sekarang.");
      document.title = "Dipanggil! " + code;
      if (!prev || prev.state !== "called" || prev.station !== t.station ||
          (t.recalls || 0) > (prev.recalls || 0)) {
        buzz([500, 200, 500, 200, 800]);
        notify("Giliran Anda! " + code, "Silakan ke " + desk + " sekarang.", true);
      }
      return;
    }
    if (isNear(t)) {
      var stage = stageNames[t.stage] || t.stage;
      var text = t.position === 0 ? "Anda berikutnya di " + stage + ". Bersiaplah." :
        "Tinggal " + t.position + " orang di depan Anda di " + stage + ".";
      banner("near", "Sebentar lagi giliran Anda", text);
      document.title = "Sebentar lagi — " + code;
      if (!(prev && isNear(prev) && prev.stage === t.stage)) {
        buzz([200, 100, 200]);
        notify("Sebentar lagi giliran Anda (" + code + ")", text, false);
      }
      return;
    }
    banner(null);
    document.title = "Antrean " + code;
  }

  function offerNotifications() {
    var box = $("notify-box");
    box.hidden = !("Notification" in window) || Notification.permission !== "default" ||
      !queued(ticket);
  }

  $("notify").addEventListener("click", function () {
    var done = function () { offerNotifications(); };
    try {
      var p = Notification.requestPermission(done);
      if (p && p.then) p.then(done, done);
    } catch (e) { done(); }
  });

  // ---- showing ------------------------------------------------------------

  // The facts that apply: the stage while on the way, the place in the
  // queue and the waits only while queued; none once finished.
  function showFacts(t) {
    var q = queued(t);
    $("facts").hidden = !!FINAL[t.state];
    $("row-stage").hidden = !!FINAL[t.state];
    $("row-position").hidden = !q;
    $("row-eta").hidden = !q;
    $("row-leave").hidden = !q;
    $("stage").textContent = stageNames[t.stage] || t.stage;
    $("position").textContent = t.position === null || t.position === undefined ? "–" :
      t.position + " orang";
    $("eta").textContent = q ? waitRange(t) : "–";
    $("leave").textContent = q ? leaveText(t) : "–";
  }

  function lines(t) {
    var stage = stageNames[t.stage] || t.stage;
    switch (t.state) {
    case "waiting":
      if (t.hold_until) return holdLines(t);
      return ["Menunggu di " + stage, t.position === 0 ? "Anda berikutnya. Bersiaplah." :
        "Silakan menunggu panggilan."];
    case "called": return ["Dipanggil! Silakan ke " + deskName(t.station), ""];
    case "serving": return ["Sedang dilayani di " + deskName(t.station), ""];
    case "skipped": return ["Anda terlewat", "Silakan lapor ke petugas " + stage + "."];
    case "done": return ["Selesai. Terima kasih!", "Semua tahap sudah selesai. Anda boleh pulang."];
    case "deferred": return ["Ditunda", "Ikuti arahan petugas."];
    case "refused": return ["Tidak dapat dilayani hari ini",
      "Silakan tanyakan alasannya kepada petugas."];
    case "cancelled": return ["Tiket dibatalkan",
      "Nomor ini tidak berlaku lagi. Bila masih perlu dilayani, silakan ambil nomor baru."];
    case "expired": return ["Tiket kedaluwarsa",
      "Hari layanan tiket ini sudah berakhir. Silakan ambil nomor baru."];
    }
    return ["", ""];
  }

  // After a first dose with a next one: from which day to come back,
  // "Kembali untuk dosis 2 mulai Sabtu, 2 Januari 2027" (next_dose_from is a
  // calendar day, "YYYY-MM-DD", written in no time zone).
  function nextDose(t) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t.next_dose_from || "");
    var el = $("next-dose");
    el.hidden = !m;
    if (!m) return;
    var day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    var o = { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" };
    el.textContent = "Kembali untuk dosis 2 mulai " +
      new Intl.DateTimeFormat("id-ID", o).format(day);
  }

  function show(t) {
    var prev = ticket;
    ticket = t;
    $("code").textContent = t.code;
    $("service").textContent = serviceNames[t.service] || t.service;
    showFacts(t);
    var l = lines(t);
    $("headline").textContent = l[0];
    $("detail").textContent = l[1];
    $("detail").hidden = !l[1];
    nextDose(t);
    countdown(t.state === "waiting" && !!t.hold_until);
    $("now").className = "card " + t.state + (t.hold_until && t.state === "waiting" ? " hold" : "");
    $("updated").textContent = clock(new Date(serverNow()).toISOString(), true);
    alerts(prev, t);
    offerNotifications();
    if (FINAL[t.state]) finish();
  }

  // A call from the stream, before the ticket's own update arrives.
  function onCall(c) {
    if (!ticket) return;
    var t = Object.assign({}, ticket, { state: "called", station: c.station, stage: c.stage,
      position: null, eta_s: null, eta_range_s: null, hold_until: null });
    if (c.recall && ticket.state === "called") t.recalls = (ticket.recalls || 0) + 1;
    show(t);
  }

  // ---- keeping up: the stream, or polling while it is down ----------------

  var es = null, fails = 0, pollTimer = null, streamTimer = null, finished = false;

  function setMode(text) { $("mode").textContent = text; }

  function online(yes) { $("offline").hidden = yes; }

  var heard = 0;                    // stream messages so far

  function load() {
    var before = heard;
    return fetch(api, { cache: "no-store" }).then(function (r) {
      if (r.status === 403) { location.reload(); return null; }
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (body) {
      if (!body) return;
      online(true);
      if (heard === before) show(body.ticket);   // else the stream's is newer
    }).catch(function () {
      online(false);
    });
  }

  function startPolling() {
    if (pollTimer || finished) return;
    setMode("Diperiksa tiap 5 detik ·");
    load();
    pollTimer = setInterval(load, POLL_MS);
  }

  function stopPolling() {
    if (!pollTimer) return;
    clearInterval(pollTimer);
    pollTimer = null;
  }

  function streamAlive() {
    heard++;
    fails = 0;
    online(true);
    stopPolling();
    setMode("● Langsung ·");
  }

  function startStream() {
    streamTimer = null;
    if (finished) return;
    if (!window.EventSource) { startPolling(); return; }
    es = new EventSource(streamUrl);
    es.addEventListener("ticket", function (m) {
      streamAlive();
      try { show(JSON.parse(m.data)); } catch (e) { /* a bad message: wait for the next */ }
    });
    es.addEventListener("call", function (m) {
      streamAlive();
      try { onCall(JSON.parse(m.data)); } catch (e) { /* likewise */ }
    });
    es.onerror = function () {
      fails++;
      startPolling();            // polling says whether we are offline
      // EventSource retries a dropped stream by itself; after an HTTP error,
      // or when it keeps failing, a new one is tried later
      if (es.readyState === EventSource.CLOSED || fails >= STREAM_MAX_FAILS) {
        es.close();
        es = null;
        streamTimer = setTimeout(startStream, fails >= STREAM_MAX_FAILS ? STREAM_REST_MS :
          STREAM_RETRY_MS);
      }
    };
  }

  // Nothing changes any more: stop following.
  function finish() {
    finished = true;
    countdown(false);
    stopPolling();
    if (es) { es.close(); es = null; }
    clearTimeout(streamTimer);
    setMode("");
  }

  // A phone waking up: show the latest at once.
  // A phone waking up: show the latest at once; in a timed wait, with the
  // server's clock read again (the phone's may have been set meanwhile).
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible" || finished) return;
    (ticket && ticket.hold_until ? readClock() : Promise.resolve()).then(load);
  });

  var info = fetch("/v1/events/" + encodeURIComponent(ev)).then(function (r) { return r.json(); })
    .then(function (body) {
      timezone = body.event.timezone || "";
      (body.event.stages || []).forEach(function (s) {
        stageNames[s.id] = s.name;
        stageOrder.push(s.id);
      });
      (body.event.services || []).forEach(function (s) { serviceNames[s.id] = s.name; });
    }).catch(function () {});
  Promise.all([info, readClock()]).then(function () {
    load();
    startStream();
  });
})();
