// The waiting-room TV: who is called where, the queues, observation, doses.
// Live from the event's stream (/v1/events/{ev}/stream); every call is shown
// at once, chimed and spoken in Bahasa Indonesia, one announcement at a time:
// by the browser's Indonesian voice when it has one, else as the audio
// antred makes for the call (/v1/events/{ev}/speech.wav, libespeak-ng),
// else (antred cannot say it either) by whatever voice the browser has.
//
// Sound needs a user gesture in browsers: the "Aktifkan suara" button, which
// is remembered in localStorage; a kiosk started with
// `chromium --kiosk --autoplay-policy=no-user-gesture-required` needs no click.
"use strict";
(function () {
  var SOUND_KEY = "antre.display.sound";
  var RETRY_MS = 3000;
  var READ_MS = 10000;             // the longest a read waits for its answer
  var ANNOUNCE_MAX_AGE_MS = 60000; // replayed calls older than this are shown, not spoken
  var QUEUE_MAX = 10;
  var FLASH_MS = 10000;
  var WAV_MAX_MS = 20000;          // a played call that never ends is given up

  // what is said, and a call's desk number (display_words.js)
  var speechText = window.antreSpeechText, stationNumber = window.antreStationNumber;

  // ---- state --------------------------------------------------------------

  var params = new URLSearchParams(location.search);
  var ev = params.get("event") || "";
  var info = null;                 // the event definition
  var stageNames = {};
  var keep = antreBoard.keeper();  // the board from the stream (board_state.js)
  var board = null;                // keep.board, once the first came
  var calls = [];                  // newest first
  var tiles = {};                  // station id -> its element
  var stageRows = {};              // stage id -> its row under "Sedang dilayani"
  var stateSeen = {};              // ticket id -> its state from the stream since the board
  var tileKey = "";
  var heroCall = null;
  var serverSkew = null;           // server clock minus ours, ms, from boards
  var flashTimers = {};
  var seen = {}, seenOrder = [];   // calls already handled, by callKey

  function $(x) { return document.getElementById(x); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function holdMinutes(stage) {
    var m = 0;
    ((info && info.stages) || []).forEach(function (x) {
      if (x.id === stage && x.hold_minutes > 0) m = x.hold_minutes;
    });
    return Math.round(m);
  }

  function stageName(id) { return stageNames[id] || id || ""; }

  function deskName(stage, number) { return stageName(stage) + " " + number; }

  var fmtCache = {};
  function fmt(opts) {
    var key = JSON.stringify(opts);
    if (!fmtCache[key]) {
      var o = Object.assign({}, opts);
      if (info && info.timezone) o.timeZone = info.timezone;
      try { fmtCache[key] = new Intl.DateTimeFormat("id-ID", o); }
      catch (e) { delete o.timeZone; fmtCache[key] = new Intl.DateTimeFormat("id-ID", o); }
    }
    return fmtCache[key];
  }

  // "10.32" in the event's time zone: the id-ID form every page shows
  // (common.js).
  function hhmm(d) { return antre.clock(d, info && info.timezone); }

  function number(n) { return Number(n || 0).toLocaleString("id-ID"); }

  // A stage's wait for a newcomer as a range, as the person's page words
  // it: "20–30 menit", "< 5 menit" (eta_range_s, whole minutes); eta_s
  // alone from an older daemon.
  function waitText(st) {
    var s = st.eta_s, r = st.eta_range_s;
    if (s === null || s === undefined) return "–";
    if (r && r.length === 2) {
      var lo = Math.round(r[0] / 60), hi = Math.round(r[1] / 60);
      return hi <= 5 ? "< 5 menit" : lo + "–" + hi + " menit";
    }
    if (s < 60) return "< 1 menit";
    return "± " + Math.round(s / 60) + " menit";
  }

  // ---- sound --------------------------------------------------------------

  var audio = null, queue = [], speaking = false, player = null;

  function soundWanted() {
    try { return localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
  }

  function audioContext() {
    if (!audio) {
      var AC = window.AudioContext || window.webkitAudioContext;
      if (AC) { try { audio = new AC(); } catch (e) { audio = null; } }
    }
    return audio;
  }

  // body[data-sound]: "on", "blocked" (the button shows), "checking"
  function soundState(st) { document.body.dataset.sound = st; }

  function soundBlocked() {
    $("sound").hidden = false;
    soundState("blocked");
  }

  function enableSound() {
    try { localStorage.setItem(SOUND_KEY, "on"); } catch (e) { /* private mode */ }
    $("sound").hidden = true;
    soundState("on");
    var a = audioContext();
    var hello = function () {
      enqueue({ text: "Suara diaktifkan", url: speechUrl("phrase=sound_on"), key: "" });
    };
    if (a && a.state !== "running") a.resume().then(hello, hello);
    else hello();
  }

  // On load: sound was enabled on this TV before; see whether the browser
  // still lets the page play it without a click.
  function probeSound() {
    if (!soundWanted()) { soundBlocked(); return; }
    var a = audioContext();
    if (!a || a.state === "running") { soundState("on"); return; }
    soundState("checking");
    a.resume().catch(function () {});
    setTimeout(function () {
      if (a.state !== "running") soundBlocked();
      else if (document.body.dataset.sound === "checking") soundState("on");
    }, 700);
  }

  // A two-note "ding-dong"; how long it lasts in ms (0 when it cannot play).
  function chime() {
    var a = audio;
    if (!a || a.state !== "running") return 0;
    var t0 = a.currentTime + 0.03;
    [[659.25, 0], [523.25, 0.35]].forEach(function (n) {
      var o = a.createOscillator(), g = a.createGain(), t = t0 + n[1];
      o.type = "sine";
      o.frequency.value = n[0];
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.5, t + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + 0.7);
      o.connect(g);
      g.connect(a.destination);
      o.start(t);
      o.stop(t + 0.75);
    });
    return 900;
  }

  var voice = null;
  function pickVoice() {
    var s = window.speechSynthesis;
    if (!s || !s.getVoices) return;
    var vs = s.getVoices() || [];
    for (var i = 0; i < vs.length; i++)
      if (/^id([-_]|$)/i.test(vs[i].lang)) { voice = vs[i]; return; }
  }

  function speak(text, done) {
    var s = window.speechSynthesis, finished = false, timer;
    function fin() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done();
    }
    if (!s || !window.SpeechSynthesisUtterance) { fin(); return; }
    var u = new SpeechSynthesisUtterance(text);
    u.lang = "id-ID";
    u.rate = 0.9;
    if (!voice) pickVoice();
    if (voice) u.voice = voice;
    u.onend = fin;
    u.onerror = function (e) {
      if (e && e.error === "not-allowed") soundBlocked();
      fin();
    };
    // some engines never say they are done (or hang): go on anyway
    timer = setTimeout(function () {
      try { s.cancel(); } catch (e) { /* nothing to stop */ }
      fin();
    }, 3000 + text.length * 120);
    try { s.speak(u); } catch (e) { fin(); }
  }

  // What antred says for a query (GET /v1/events/{ev}/speech.wav), or
  // null before the event is known.
  function speechUrl(query) {
    return ev ? "/v1/events/" + encodeURIComponent(ev) + "/speech.wav?" + query : null;
  }

  function callSpeechUrl(c) {
    return speechUrl("code=" + encodeURIComponent(String(c.code || "")) + "&station=" +
      encodeURIComponent(String(c.station || "")) + (c.recall ? "&recall=1" : ""));
  }

  // Plays antred's WAV of an announcement through one Audio element;
  // done(true) once it has been played (or may not be: the sound button
  // shows), done(false) when antred had none (503 without espeak-ng, an
  // old antred, the network).
  function playWav(url, done) {
    var a = player || (player = new Audio()), finished = false, timer, p;
    function fin(ok) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      a.onended = a.onerror = null;
      done(ok);
    }
    a.onended = function () { fin(true); };
    a.onerror = function () { fin(false); };
    timer = setTimeout(function () {
      try { a.pause(); } catch (e) { /* nothing playing */ }
      fin(true);
    }, WAV_MAX_MS);
    a.src = url;
    try { p = a.play(); } catch (e) { fin(false); return; }
    if (p && p.catch) p.catch(function (e) {
      if (e && e.name === "NotAllowedError") { soundBlocked(); fin(true); } else fin(false);
    });
  }

  // The browser's Indonesian voice says it; without one, antred's audio;
  // when antred has none, the browser's voice after all.
  function say(item, done) {
    if (!voice) pickVoice();
    if (voice || !item.url) { speak(item.text, done); return; }
    playWav(item.url, function (ok) {
      if (ok) done(); else speak(item.text, done);
    });
  }

  function enqueue(item) {
    if (item.key && queue.some(function (q) { return q.key === item.key; }))
      return;                    // the same ticket is about to be announced anyway
    queue.push(item);
    while (queue.length > QUEUE_MAX) queue.shift();
    if (!speaking) next();
  }

  function next() {
    var item = queue.shift();
    if (!item) { speaking = false; return; }
    speaking = true;
    setTimeout(function () {
      say(item, function () { setTimeout(next, 500); });
    }, chime());
  }

  // ---- rendering ----------------------------------------------------------

  // Where each desk is, in two groups: "Dipanggil" (called, not yet
  // started: the person is still on the way, by code and desk) and "Sedang
  // dilayani" (a row per stage: each desk's number and whom it serves, or
  // "–", or "Istirahat"; then how many wait there and for how long).  A ticket's state is the board's (stations[].ticket
  // .state), or newer from the stream's call and ticket events.
  function ticketState(s) {
    if (!s.ticket) return "";
    return stateSeen[s.ticket.id] || s.ticket.state || "serving";
  }

  function stageRow(stage) {
    var row = stageRows[stage];
    if (!row) {
      row = stageRows[stage] = el("div", "srow stage");
      row.dataset.stage = stage;
      row.appendChild(el("p", "name", stageName(stage)));
      row.appendChild(el("div", "stiles"));
      row.appendChild(el("div", "sstats"));
      $("serving").appendChild(row);
    }
    return row.querySelector(".stiles");
  }

  function makeTiles(list) {
    var key = list.map(function (s) { return s.id; }).join(",");
    if (key === tileKey) return;
    tileKey = key;
    tiles = {};
    stageRows = {};
    $("serving").textContent = "";
    $("called").textContent = "";
    list.forEach(function (s) {
      var t = el("div", "tile");
      t.dataset.station = s.id;
      t.dataset.stage = s.stage;
      t.appendChild(el("span", "num", String(s.number)));
      t.appendChild(el("span", "code", "–"));
      t.appendChild(el("span", "desk", deskName(s.stage, s.number)));
      tiles[s.id] = t;
      stageRow(s.stage);
    });
  }

  // Puts each tile where its state says, in the stations' order, moving
  // only those out of place (a move restarts a tile's blink).
  function placeTiles(list) {
    var want = { called: [] };
    list.forEach(function (s) {
      var g = tiles[s.id].classList.contains("called") ? "called" : s.stage;
      (want[g] = want[g] || []).push(tiles[s.id]);
    });
    Object.keys(want).forEach(function (g) {
      var box = g === "called" ? $("called") : stageRow(g);
      var now = Array.prototype.slice.call(box.children);
      if (now.length === want[g].length && now.every(function (t, i) { return t === want[g][i]; }))
        return;
      want[g].forEach(function (t) { box.appendChild(t); });
    });
    $("called-none").hidden = want.called.length > 0;
    $("called").className = "called" + (want.called.length > 2 ? " dense" : "");
  }

  function renderStations() {
    var list = (board && board.stations) || [];
    makeTiles(list);
    list.forEach(function (s) {
      var t = tiles[s.id], code = t.querySelector(".code"), st = ticketState(s);
      t.querySelector(".desk").textContent = deskName(s.stage, s.number);
      if (s.state === "paused") {
        code.textContent = "Istirahat";
        t.classList.add("paused");
      } else {
        code.textContent = s.ticket ? s.ticket.code : "–";
        t.classList.remove("paused");
      }
      // the ring stays while the desk still holds whom it called
      if (!s.ticket || s.state === "paused") unflash(t, s.id);
      t.classList.toggle("empty", !s.ticket && s.state !== "paused");
      t.classList.toggle("called", st === "called" && s.state !== "paused");
    });
    placeTiles(list);
  }

  function renderHero(c, fresh) {
    var h = $("hero");
    if (!c) return;
    heroCall = c;
    $("hero-code").textContent = c.code;
    $("hero-desk").textContent = "Silakan ke meja " + deskName(c.stage, stationNumber(c));
    h.classList.remove("idle");
    h.classList.toggle("recall", !!c.recall);
    if (fresh) flash(h, "hero");
  }

  function flash(e, key) {
    e.classList.remove("flash");
    void e.offsetWidth;          // restart the animation
    e.classList.add("flash");
    clearTimeout(flashTimers[key]);
    flashTimers[key] = setTimeout(function () { e.classList.remove("flash"); }, FLASH_MS);
  }

  function unflash(e, key) {
    clearTimeout(flashTimers[key]);
    e.classList.remove("flash");
  }

  function renderCalls() {
    var ol = $("calls");
    ol.textContent = "";
    calls.slice(0, 6).forEach(function (c, i) {
      var li = el("li", i === 0 ? "newest" : "");
      li.appendChild(el("span", "code", c.code));
      li.appendChild(el("span", "desk", deskName(c.stage, stationNumber(c))));
      li.appendChild(el("span", "at", (c.recall ? "ulang " : "") + hhmm(new Date(c.at))));
      ol.appendChild(li);
    });
    if (!calls.length) ol.appendChild(el("li", "none", "Belum ada panggilan"));
  }

  // Each stage's row under "Sedang dilayani" ends with how many wait there
  // and for how long (a timed wait: how many, and its minutes).
  function renderStages() {
    ((board && board.stages) || []).forEach(function (s) {
      var row = stageRow(s.id).parentNode, d = row.querySelector(".sstats");
      var hold = holdMinutes(s.id) > 0;
      row.querySelector(".name").textContent = s.name || stageName(s.id);
      d.textContent = "";
      var w = el("p", "waiting", number(s.waiting));
      w.appendChild(el("small", "", hold ? "orang" : "menunggu"));
      d.appendChild(w);
      var eta = el("p", "eta", hold ? "lama" : "tunggu");
      eta.appendChild(el("b", "", hold ? holdMinutes(s.id) + " menit" : waitText(s)));
      d.appendChild(eta);
    });
  }

  function renderHolds() {
    var ul = $("holds"), holds = (board && board.holds) || [];
    ul.textContent = "";
    $("holds-none").hidden = holds.length > 0;
    holds.forEach(function (h) {
      var li = el("li");
      li.appendChild(el("span", "code", h.code));
      var until = el("span", "until");
      until.appendChild(el("span", "words", "boleh pulang "));
      until.appendChild(document.createTextNode(hhmm(new Date(h.until))));
      li.appendChild(until);
      ul.appendChild(li);
    });
    // one a line while they fit, then two columns; as many as fit, and how
    // many more
    var over = function () { return ul.scrollHeight > ul.clientHeight + 1; };
    ul.classList.remove("dense");
    if (over()) ul.classList.add("dense");
    if (over()) {
      var more = el("li", "more"), hidden = 0;
      ul.appendChild(more);
      while (ul.children.length > 1 && over()) {
        ul.removeChild(more.previousSibling);
        hidden++;
        more.textContent = "+" + hidden + " orang lainnya";
      }
    }
  }

  function renderDoses() {
    var doses = (board && board.doses_today) || 0, target = board && board.target;
    $("doses").textContent = number(doses);
    $("target").textContent = target ? number(target) : "–";
    $("issued").textContent = number(board && board.issued_today);
    var pct = target ? Math.min(100, doses * 100 / target) : 0;
    $("doses-bar").style.width = pct.toFixed(1) + "%";
    $("doses-pct").textContent = target ? pct.toLocaleString("id-ID",
      { maximumFractionDigits: pct < 10 ? 1 : 0 }) + "%" : "";
  }

  function callKey(c) { return c.ticket + "|" + c.station + "|" + c.at; }

  function applyBoard(b) {
    var first = board === null, missed = [];
    board = b;
    stateSeen = {};                // the board is as new as what the stream said
    (b.stages || []).forEach(function (s) { if (s.name) stageNames[s.id] = s.name; });
    if (b.at) serverSkew = new Date(b.at).getTime() - Date.now();
    // calls this page has not had as events (the stream was down, and could
    // not replay them) are handled as new ones; on the first board, all are old
    (b.calls || []).forEach(function (c) {
      if (markSeen(c) && !first) missed.unshift(c);
    });
    calls = (b.calls || []).slice();
    renderStations();
    renderCalls();
    renderStages();
    renderHolds();
    renderDoses();
    if (calls[0] && (!heroCall || heroCall.at !== calls[0].at || heroCall.code !== calls[0].code))
      renderHero(calls[0], false);
    missed.forEach(function (c) { onCall(c, true); });
  }

  // 1 when the call is new to this page (and remembers it).
  function markSeen(c) {
    var key = callKey(c);
    if (seen[key]) return false;
    seen[key] = true;
    seenOrder.push(key);
    while (seenOrder.length > 200) delete seen[seenOrder.shift()];
    return true;
  }

  // What a delta changed is drawn again; its calls that this page has not
  // had as events are handled as new ones (the board shows where they are).
  function applyDelta(what, d) {
    if (d.at) serverSkew = new Date(d.at).getTime() - Date.now();
    (d.stations || []).forEach(function (s) { if (s.ticket) delete stateSeen[s.ticket.id]; });
    var missed = (d.calls || []).filter(markSeen).reverse();
    calls = board.calls.slice();
    if (what.stations) renderStations();
    if (what.calls) renderCalls();
    if (what.stages) renderStages();
    if (what.holds) renderHolds();
    if (what.counts) renderDoses();
    missed.forEach(function (c) { onCall(c, true); });
  }

  // A call as it happens, or replayed after a reconnect, or found on a board
  // or a delta after one (fromBoard: it already shows where everyone is).
  function onCall(c, fromBoard) {
    if (!fromBoard) {
      if (!markSeen(c)) return;
      calls = board ? board.calls.slice() : [c].concat(calls).slice(0, 10);
    }
    var t = tiles[c.station];
    if (t && !fromBoard) {
      stateSeen[c.ticket] = "called";
      t.querySelector(".code").textContent = c.code;
      t.classList.remove("empty", "paused");
      t.classList.add("called");
      placeTiles((board && board.stations) || []);
    }
    if (t && t.querySelector(".code").textContent === c.code) flash(t, c.station);
    renderHero(c, true);
    renderCalls();
    var age = serverSkew === null ? 0 : Date.now() + serverSkew - new Date(c.at).getTime();
    if (soundWanted() && age < ANNOUNCE_MAX_AGE_MS)
      enqueue({ text: speechText(c, stageName(c.stage)), url: callSpeechUrl(c),
        key: c.ticket + "@" + c.station });
  }

  // A ticket's state changed: a desk that started serving whom it called
  // moves from "Dipanggil" to "Sedang dilayani" now, not at the next board.
  function onTicket(t) {
    if (!t || !t.id || !t.state) return;
    stateSeen[t.id] = t.state;
    var held = ((board && board.stations) || []).some(function (s) {
      return s.ticket && s.ticket.id === t.id;
    });
    if (held) renderStations();
  }

  // ---- the stream ---------------------------------------------------------

  function setOffline(off) { $("offline").hidden = !off; }

  // the stream every antre page of this browser shares (common.js): after a
  // drop it resumes from the last id, so a call made meanwhile is replayed
  var stream = antre.connectStream(function () {
    return "/v1/events/" + encodeURIComponent(ev) + "/stream";
  }, {
    keep: function () { return true; },
    state: function (up) { setOffline(!up); },
    on: {
      board: function (m) {
        setOffline(false);
        if (keep.take("board", m.data)) applyBoard(keep.board);
      },
      delta: function (m) {
        var what = keep.take("delta", m.data);
        if (what) applyDelta(what, JSON.parse(m.data));
      },
      station: function (m) {
        if (keep.take("station", m.data)) renderStations();   // paused, resumed
      },
      call: function (m) {
        setOffline(false);
        keep.take("call", m.data);   // into the board's last calls first
        try { onCall(JSON.parse(m.data)); } catch (e) { /* ignore a bad entry */ }
      },
      ticket: function (m) {
        try { onTicket(JSON.parse(m.data)); } catch (e) { /* ignore a bad entry */ }
      },
    },
  });

  // ---- start --------------------------------------------------------------

  function tick() {
    var now = new Date();
    $("clock").textContent = hhmm(now);
    $("date").textContent = fmt({ weekday: "long", day: "numeric", month: "long" }).format(now);
  }

  // A read with a time limit: a TV started while the LAN loses packets (or
  // antred hangs) shows the offline banner and tries again, instead of
  // waiting on its first read for ever.
  function getJSON(url) {
    var opts = { cache: "no-store" }, timer = null;
    if (typeof AbortController === "function") {
      var ctl = new AbortController();
      opts.signal = ctl.signal;
      timer = setTimeout(function () { ctl.abort(); }, READ_MS);
    }
    return fetch(url, opts).then(function (r) {
      if (!r.ok) {
        var e = new Error("HTTP " + r.status);
        e.status = r.status;
        throw e;
      }
      return r.json();
    }).finally(function () { clearTimeout(timer); });
  }

  function chooseEvent(events, unknown) {
    $("board").hidden = true;
    $("chooser").hidden = false;
    $("event-name").textContent = "Layar antrean";
    if (unknown)
      $("chooser-title").textContent = "Kegiatan “" + unknown + "” tidak ada. Pilih kegiatan:";
    var ul = $("events");
    events.forEach(function (e) {
      var li = el("li"), a = el("a", "", e.name || e.id);
      a.href = "?event=" + encodeURIComponent(e.id);
      li.appendChild(a);
      ul.appendChild(li);
    });
    if (!events.length) ul.appendChild(el("li", "", "Belum ada kegiatan."));
  }

  function start() {
    var got = ev ? getJSON("/v1/events/" + encodeURIComponent(ev)).then(function (b) {
      return b.event;
    }) : getJSON("/v1/events").then(function (b) {
      var list = b.events || [];
      if (list.length !== 1) { chooseEvent(list); return null; }
      ev = list[0].id;
      return list[0];
    });
    got.then(function (e) {
      if (!e) return;
      info = e;
      fmtCache = {};
      (e.stages || []).forEach(function (s) { stageNames[s.id] = s.name; });
      $("event-name").textContent = e.name || e.id;
      document.title = (e.name || e.id) + " — antrean";
      setOffline(false);
      tick();
      stream.start();
    }).catch(function (err) {
      if (err && err.status === 404) {
        getJSON("/v1/events").then(function (b) { chooseEvent(b.events || [], ev); })
          .catch(function () { setOffline(true); setTimeout(start, RETRY_MS); });
        return;
      }
      setOffline(true);
      setTimeout(start, RETRY_MS);
    });
  }

  $("sound").addEventListener("click", enableSound);
  window.addEventListener("resize", function () { if (board) renderHolds(); });
  if (window.speechSynthesis && window.speechSynthesis.addEventListener)
    window.speechSynthesis.addEventListener("voiceschanged", pickVoice);
  probeSound();
  tick();
  setInterval(tick, 1000);
  start();
})();
