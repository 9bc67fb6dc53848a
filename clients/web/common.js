// What the operator pages (desk.html, station.html, dashboard.html) share,
// as one global object, `antre` (the TV and status pages load it for the
// service worker's registration and the time's one form, antre.clock): small DOM helpers, the event's names, the
// token (asked once, kept in sessionStorage, or in localStorage when "Ingat"
// is ticked), the API with that token, the screens (the token form, the
// event chooser, the fatal message), which event the page is for, and the
// event's live stream with its offline mark.  Each page's own logic stays in
// its own script, loaded after this one.  A plain script: no modules, no
// framework and nothing from the internet.  Everything from the server is
// shown with textContent.
"use strict";
var antre = (function () {
  var RETRY_MS = 5000;
  var API_MS = 10000;               // the longest a request waits for its answer
  var UNREACHABLE = "Tidak dapat menghubungi server antrean. Mencoba lagi…";
  // Priorities have ids only; the usual ones get Indonesian names.
  var PRIORITY_NAMES = {
    elderly: "Lansia", disabled: "Penyandang disabilitas", pregnant: "Ibu hamil",
    health_worker: "Tenaga kesehatan", child: "Anak", regular: "Umum",
  };
  // What each role's token is called, for "Ini token meja layanan".
  var ROLE_NAMES = {
    desk: "meja tiket", station: "meja layanan", organiser: "penyelenggara", admin: "admin",
  };
  // every screen of a page; a page has some of them
  var SCREENS = ["login", "chooser", "picker", "fatal", "main", "dash"];

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

  function lower(s) { return String(s).toLocaleLowerCase("id-ID"); }

  // "10.32" (id-ID writes times with a dot) from an RFC 3339 time: the
  // server writes it with the event's offset, so its clock is the event's.
  // Without a time: `none` ("" unless given).
  function hhmm(iso, none) {
    return iso ? String(iso).slice(11, 16).replace(":", ".") : none === undefined ? "" : none;
  }

  // "10.32" (or "10.32.07" with seconds) of a moment (a Date, or what
  // Date takes) in a time zone (the event's; the browser's when not given
  // or unknown): the same id-ID form as hhmm, for the pages that show the
  // time now or a moment they computed (the TV's clock, the person's
  // countdown).
  var clockFormats = {};
  function clock(when, timeZone, seconds) {
    var key = (timeZone || "") + (seconds ? "|s" : ""), f = clockFormats[key];
    if (!f) {
      var o = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
      if (seconds) o.second = "2-digit";
      if (timeZone) o.timeZone = timeZone;
      try { f = new Intl.DateTimeFormat("id-ID", o); }
      catch (e) { delete o.timeZone; f = new Intl.DateTimeFormat("id-ID", o); }
      clockFormats[key] = f;
    }
    return f.formatToParts(when instanceof Date ? when : new Date(when)).filter(function (p) {
      return p.type === "hour" || p.type === "minute" || p.type === "second";
    }).map(function (p) { return p.value; }).join(".");
  }

  function inField(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
  }

  // The message line (#msg) under a page's work; kind: info, ok, warn, err.
  function say(text, kind) {
    var m = $("msg");
    m.textContent = text;
    m.className = "msg " + (kind || "info");
    m.hidden = !text;
  }

  // ---- the event's names (info: the event, GET /v1/events/{ev}) ------------

  function byId(list, id) {
    var found = null;
    (list || []).forEach(function (x) { if (x.id === id) found = x; });
    return found;
  }

  function priorityId(p) { return typeof p === "string" ? p : p.id; }

  function priorityName(info, id) {
    var found = null;
    ((info && info.priorities) || []).forEach(function (p) {
      if (priorityId(p) === id && typeof p === "object" && p.name) found = p.name;
    });
    return found || PRIORITY_NAMES[id] || id;
  }

  function serviceDef(info, id) { return byId(info && info.services, id); }

  function serviceName(info, id) {
    var s = serviceDef(info, id);
    return s && s.name ? s.name : id;
  }

  function stageDef(info, id) { return byId(info && info.stages, id); }

  function stageName(info, id) {
    var s = stageDef(info, id);
    return s && s.name ? s.name : id;
  }

  // "pendaftaran 1" for "registration-1" (of `stage`, when given)
  function deskName(info, station, stage) {
    var s = String(station || ""), i = s.lastIndexOf("-");
    return lower(stageName(info, stage || s.slice(0, i))) + " " + s.slice(i + 1);
  }

  // ---- the API ------------------------------------------------------------

  function isAuthError(e) {
    return e.status === 401 || (e.status === 403 && e.code !== "invalid_signature");
  }

  // Resolves with the JSON body (null for 204) or a Blob; rejects with an
  // Error carrying status (0: no answer), code and detail (the API's error
  // code and message) and body.  o (optional): o.key, an Idempotency-Key
  // header; o.timeout (ms; API_MS when not given), after which the try is
  // aborted (code "timeout"): no request waits silently for ever.
  function api(token, method, path, body, asBlob, o) {
    o = o || {};
    var opts = { method: method, cache: "no-store", headers: { Authorization: "Bearer " + token } };
    var timer = null, timedOut = false, ms = o.timeout || API_MS;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (o.key) opts.headers["Idempotency-Key"] = o.key;
    if (typeof AbortController === "function") {
      var ctl = new AbortController();
      opts.signal = ctl.signal;
      timer = setTimeout(function () { timedOut = true; ctl.abort(); }, ms);
    }
    // no answer: the request may or may not have reached the server
    function noAnswer() {
      var e = new Error(timedOut ? "timeout" : "network");
      e.status = 0;
      e.code = timedOut ? "timeout" : "network";
      return e;
    }
    return fetch(path, opts).then(function (r) {
      if (r.ok) {
        if (r.status === 204) return null;
        // the body is part of the answer: cut off, it is no answer
        return (asBlob ? r.blob() : r.json()).catch(function () { throw noAnswer(); });
      }
      return r.json().catch(function () { return null; }).then(function (b) {
        var e = new Error("HTTP " + r.status);
        e.status = r.status;
        e.code = (b && b.error && b.error.code) || "";
        e.detail = (b && b.error && b.error.message) || "";
        e.body = b;
        e.retryAfter = Number(r.headers.get("Retry-After")) || 0;     // seconds
        throw e;
      });
    }, function () {
      throw noAnswer();
    }).then(function (v) {
      clearTimeout(timer);
      return v;
    }, function (e) {
      clearTimeout(timer);
      throw e;
    });
  }

  // ---- writes that survive a lost answer ------------------------------------

  // One user action (an issue, a cancel, a station operation) is one write
  // with one Idempotency-Key, sent on every try: the server answers a
  // repeated key with the first result, so a try whose answer was lost (a
  // 503, a timeout, a dropped connection) is repeated without doing the
  // action twice.  Tries are bounded in number and in time; tests may lower
  // these (antre.WRITE).
  var WRITE = { tries: 6, budgetMs: 15000, tryMs: 5000, firstDelayMs: 400, maxDelayMs: 4000 };

  // 32 hex digits from crypto.getRandomValues (crypto.randomUUID needs a
  // secure context, and a venue LAN is plain http).
  function newKey() {
    var b = new Uint8Array(16), s = "";
    crypto.getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  // Worth another try with the same key: no answer, or the server (or a
  // proxy in front of it) could not do it now.  A 503 is never recorded.
  function retriable(e) {
    return e.status === 0 || e.status === 502 || e.status === 503 || e.status === 504;
  }

  // Exponential backoff with jitter (half to all of the step), so that the
  // desks of a hall do not retry in step after a stall.
  function backoff(n) {
    var step = Math.min(WRITE.maxDelayMs, WRITE.firstDelayMs * Math.pow(2, n - 1));
    return Math.round(step / 2 + Math.random() * step / 2);
  }

  // The write `method path body` with o.key (a new key when none: keep
  // err.key to try the same action again later).  o.retrying(n, max, err)
  // is told before try n (2..).  Resolves with the JSON body; rejects with
  // the last error, with err.key and err.tries, and err.unknown when every
  // try went unanswered (or 5xx), or the last was a 5xx: then whether it was
  // done is not known.
  function write(token, method, path, body, o) {
    o = o || {};
    var key = o.key || newKey(), t0 = Date.now(), n = 0;
    return new Promise(function (resolve, reject) {
      function attempt() {
        n++;
        api(token, method, path, body, false, { key: key, timeout: WRITE.tryMs })
          .then(resolve, function (e) {
            e.key = key;
            e.tries = n;
            if (!retriable(e)) {
              // a 4xx is the server's "not done"; any other 5xx may come after the write
              if (e.status >= 500) e.unknown = true;
              reject(e);
              return;
            }
            // the server's Retry-After (503 says 1 s) is the least wait
            var wait = Math.max(backoff(n), Math.min(WRITE.maxDelayMs, (e.retryAfter || 0) * 1000));
            if (n >= WRITE.tries || Date.now() - t0 + wait >= WRITE.budgetMs) {
              e.unknown = true;
              reject(e);
              return;
            }
            setTimeout(function () {
              if (o.retrying) o.retrying(n + 1, WRITE.tries, e);
              attempt();
            }, wait);
          });
      }
      attempt();
    });
  }

  // "Menyambung ulang… coba ke-2 dari 6" while a write is tried again.
  function retryText(n, max) {
    return "Server belum menjawab. Menyambung ulang… coba ke-" + n + " dari " + max + ".";
  }

  // The "Coba lagi" button (#again, in #again-box) under the message: shown
  // when an action's outcome is unknown; a press runs fn (which repeats the
  // action with its key).  again(null) hides it.
  var againFn = null;
  function again(fn) {
    againFn = fn;
    if ($("again-box")) $("again-box").hidden = !fn;
  }
  document.addEventListener("click", function (e) {
    if (!e.target.closest || !e.target.closest("#again") || !againFn) return;
    var fn = againFn;
    again(null);
    fn();
  });

  // ---- screens --------------------------------------------------------------

  function hide(ids) { ids.forEach(function (x) { if ($(x)) $(x).hidden = true; }); }

  function show(id) {
    SCREENS.forEach(function (x) { if ($(x)) $(x).hidden = x !== id; });
  }

  function showLogin(msg) {
    show("login");
    hide(["logout", "live", "offline", "updated-wrap"]);
    $("login-error").textContent = msg || "";
    $("login-error").hidden = !msg;
    $("token").focus();
  }

  function fatal(msg) {
    show("fatal");
    $("fatal").textContent = msg;
  }

  // The event chooser: a link a event to "?event=ID" + o.query; o.title in
  // #o.titleId (#event-name); o.empty (with class o.emptyClass) for none.
  function chooser(list, o) {
    show("chooser");
    $(o.titleId || "event-name").textContent = o.title;
    var ul = $("events");
    clear(ul);
    list.forEach(function (e) {
      var li = el("li"), a = el("a", "", e.name || e.id);
      a.href = "?event=" + enc(e.id) + (o.query || "");
      li.appendChild(a);
      if (o.withId) li.appendChild(el("span", "sub", " " + e.id));
      ul.appendChild(li);
    });
    if (!list.length) {
      ul.appendChild(el("li", o.emptyClass === undefined ? "none" : o.emptyClass,
        o.empty || "Belum ada kegiatan di server ini."));
    }
  }

  // Which event the page is for: o.ev (?event=) or, without it, the only
  // event of the server (several: o.choose(list)).  o.direct reads it with
  // GET /v1/events/{ev} (404: no such event), else it is found in GET
  // /v1/events; o.reread reads the only event again by id (the list has no
  // stations).  Then o.found(ev, event); an unknown event is said (after
  // o.missing(ev)); with no answer, said, and tried again.
  function findEvent(o) {
    var ev = o.ev;
    function missing() {
      if (o.missing) o.missing(ev);
      fatal("Kegiatan “" + ev + "” tidak ada di server ini.");
    }
    function step() {
      var direct = !!(o.direct && ev), opts = { cache: "no-store" };
      // bounded: a server that hangs is said (below) and tried again
      if (window.AbortSignal && AbortSignal.timeout) opts.signal = AbortSignal.timeout(WRITE.tryMs);
      fetch(direct ? "/v1/events/" + enc(ev) : "/v1/events", opts).then(function (r) {
        if (r.status === 404 && direct) return { missing: true };
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      }).then(function (b) {
        if (b.missing) { missing(); return; }
        if (direct) { o.found(ev, b.event); return; }
        var list = b.events || [];
        if (!ev) {
          if (list.length !== 1) { o.choose(list); return; }
          ev = list[0].id;
          if (o.reread) { step(); return; }
        }
        var found = byId(list, ev);
        if (!found) { missing(); return; }
        o.found(ev, found);
      }).catch(function () {
        fatal(UNREACHABLE);
        setTimeout(step, RETRY_MS);
      });
    }
    step();
  }

  // ---- the token --------------------------------------------------------------

  // The page's token, kept under o.key.  o.who names the token ("meja tiket"),
  // o.what what it is refused for ("mengambil tiket"); o.stop ends the work
  // when it is refused; o.isAuthError (401, or 403 but for a bad signature)
  // tells a refused token.
  function session(o) {
    var s = {
      token: "",
      isAuthError: o.isAuthError || isAuthError,
    };

    s.stored = function () {
      try {
        return sessionStorage.getItem(o.key) || localStorage.getItem(o.key) || "";
      } catch (e) {
        return "";
      }
    };

    s.keep = function (t, remember) {
      try {
        sessionStorage.setItem(o.key, t);
        if (remember) localStorage.setItem(o.key, t);
        else localStorage.removeItem(o.key);
      } catch (e) { /* storage disabled: the token lives as long as the page */ }
    };

    s.forget = function () {
      try {
        sessionStorage.removeItem(o.key);
        localStorage.removeItem(o.key);
      } catch (e) { /* nothing kept */ }
    };

    s.authMessage = function (e) {
      if (e.status === 401) return "Token tidak dikenal. Periksa lagi token " + o.who + " Anda.";
      if (e.otherEvent) return "Token ini tidak berlaku untuk kegiatan ini: gunakan token " +
        o.who + " kegiatan ini.";
      return (e.role && ROLE_NAMES[e.role] ? "Ini token " + ROLE_NAMES[e.role] + ": token ini" :
        "Token ini") + " tidak berhak " + o.what + ": gunakan token " + o.who + ".";
    };

    // The token checked with GET /v1/whoami (it reads and changes nothing):
    // resolves with {role, events} when its role is one of `roles` (admin
    // always is) and it may use event `ev`; else rejects as a 403, with
    // e.role (the token's role) or e.otherEvent, for authMessage.
    s.whoami = function (roles, ev) {
      return s.api("GET", "/v1/whoami").then(function (w) {
        var role = w && w.role, events = (w && w.events) || [];
        var roleOk = role === "admin" || roles.indexOf(role) !== -1;
        if (roleOk && (!ev || events.indexOf(ev) !== -1)) return w;
        var e = new Error("HTTP 403");
        e.status = 403;
        e.code = "forbidden";
        e.role = role;
        e.otherEvent = roleOk;
        throw e;
      });
    };

    // api(method, path, body, asBlob) with this token
    s.api = function (method, path, body, asBlob) {
      return api(s.token, method, path, body, asBlob);
    };

    // write(method, path, body, o) with this token
    s.write = function (method, path, body, o) {
      return write(s.token, method, path, body, o);
    };

    // The server refused the token: the work stops, the form asks again.
    s.loggedOut = function (e) {
      o.stop();
      s.forget();
      showLogin(s.authMessage(e));
    };

    // The token kept from before, checked (check(): a promise) before
    // start(); none: the form.  With no answer, said, and retry() later.
    s.resume = function (check, start, retry) {
      s.token = s.stored();
      if (!s.token) { showLogin(""); return; }
      check().then(start, function (e) {
        if (s.isAuthError(e)) { s.forget(); showLogin(s.authMessage(e)); return; }
        fatal(UNREACHABLE);
        setTimeout(retry, RETRY_MS);
      });
    };

    // The token form (#login-form) and the "Keluar" button (#logout): a
    // typed token is checked with l.check() and kept, then l.accepted(what
    // check gave); l.refused(error) may handle a refusal itself (true).
    // Leaving runs o.stop and l.leave, and forgets the token.
    s.wire = function (l) {
      $("login-form").addEventListener("submit", function (e) {
        e.preventDefault();
        var t = $("token").value.trim();
        if (!t) return;
        s.token = t;
        $("login-submit").disabled = true;
        $("login-error").hidden = true;
        l.check().then(function (res) {
          s.keep(t, $("remember").checked);
          $("token").value = "";
          l.accepted(res);
        }, function (err) {
          s.token = "";
          if (l.refused && l.refused(err)) return;
          $("login-error").textContent = s.isAuthError(err) ? s.authMessage(err) :
            "Tidak dapat menghubungi server antrean. Coba lagi.";
          $("login-error").hidden = false;
        }).then(function () { $("login-submit").disabled = false; });
      });

      $("logout").addEventListener("click", function () {
        o.stop();
        if (l.leave) l.leave();
        s.forget();
        s.token = "";
        showLogin("");
      });
    };

    return s;
  }

  // ---- the live stream ------------------------------------------------------

  // One stream per browser for all its antre pages: stream_worker.js,
  // loaded here as a plain script, says why and shares it (through a
  // SharedWorker; without one, through a leader tab or, last, the page's
  // own).  Streams are told apart by their whole URL (a token in its query
  // is part of it).  feeds: url -> this page's listeners, each told the
  // notes of stream_worker.js ({k: "open"|"down"|"beat"|"msg", ...}).
  var feeds = {}, streams = null;

  function deliver(url, note) {
    (feeds[url] || []).slice().forEach(function (fn) { fn(note); });
  }

  // stream_worker.js's sharing, once the script is here; till then what is
  // asked waits.  Not loaded: the streams are down, and it is tried again.
  function sharing() {
    if (streams) return streams;
    var t = streams = { real: null, asked: [] };
    ["sub", "unsub", "kick"].forEach(function (op) {
      t[op] = function (u) {
        if (t.real) t.real[op](u);
        else t.asked.push([op, u]);
      };
    });
    t.role = function () { return t.real ? t.real.role() : ""; };
    function load() {
      var s = el("script");
      s.src = "/web/stream_worker.js";
      s.onload = s.onerror = function () {
        if (!window.antreStreams) {
          s.remove();
          Object.keys(feeds).forEach(function (u) { deliver(u, { k: "down" }); });
          setTimeout(load, RETRY_MS);
          return;
        }
        t.real = window.antreStreams(deliver, function () { return Object.keys(feeds); });
        t.asked.forEach(function (a) { t.real[a[0]](a[1]); });
        t.asked = [];
      };
      document.head.appendChild(s);
    }
    load();
    return t;
  }

  // fn(note) for every note of the stream `url` until the returned stop().
  // A second listener of a URL in a page is told what a page that joins is
  // told first (stream_worker.js), and so, once more, are the others.
  function follow(url, fn) {
    (feeds[url] = feeds[url] || []).push(fn);
    sharing().sub(url);
    return function () {
      var rest = (feeds[url] || []).filter(function (f) { return f !== fn; });
      if (rest.length) { feeds[url] = rest; return; }
      delete feeds[url];
      streams.unsub(url);
    };
  }

  // How this page has its streams: "worker", "leader", "follower", "page"
  // (or "" before the first); for tests and the curious.
  function streamMode() { return streams ? streams.role() : ""; }

  // The event's stream (path(): its URL) while o.keep() holds.  o.on[type]
  // gets each message of that type (an object with type, data and
  // lastEventId); o.state(up, wasDown) is told when it opens or fails (and
  // by mark()); a stream silent for 2.5 heartbeats has failed.  A dropped
  // stream is opened again after the server's retry, one refused with an
  // HTTP error after RETRY_MS, each time from the last id (Last-Event-ID);
  // coming back online opens it at once.
  function connectStream(path, o) {
    var c = { down: false, up: false, url: "", off: null };

    function note(n) {
      if (n.k === "open" || n.k === "down") {
        c.up = n.k === "open";
        c.mark(c.up);
      } else if (n.k === "msg" && o.on && o.on[n.t]) {
        o.on[n.t]({ type: n.t, data: n.d, lastEventId: n.id || "" });
      }
    }

    c.mark = function (up) {
      var was = c.down;
      c.down = !up;
      o.state(up, was);
    };

    c.start = function () {
      if (c.off) return;
      c.url = path();
      c.off = follow(c.url, note);
    };

    c.stop = function () {
      if (c.off) c.off();
      c.off = null;
      c.up = false;
    };

    c.live = function () { return !!c.off && c.up; };

    window.addEventListener("online", function () {
      if (o.keep() && c.down && c.off) streams.kick(c.url);
    });

    return c;
  }

  // The live mark (#live) and the offline banner (#offline) of the desks.
  function liveMark(up) {
    var live = $("live");
    live.hidden = false;
    live.className = "live " + (up ? "up" : "down");
    $("live-text").textContent = up ? "Langsung" : "Terputus";
    $("offline").hidden = up;
  }

  // ---- the service worker ---------------------------------------------------

  // /sw.js keeps the pages' last copy, so that a reload while the server is
  // down shows the page with its offline banner, not the browser's error
  // page.  Browsers allow a worker on https and on localhost only: on a
  // plain-http LAN address there is none (PROTOCOL.md, "The web pages").
  // A page loaded before the worker took over tells it what it loaded.
  function keepForOffline() {
    if (!window.isSecureContext || !("serviceWorker" in navigator)) return;
    var sw = navigator.serviceWorker, first = !sw.controller;
    sw.register("/sw.js", { scope: "/" }).catch(function () { /* pages work without it */ });
    if (!first) return;
    function tell() {
      sw.ready.then(function (reg) {
        var urls = [location.href];
        performance.getEntriesByType("resource").forEach(function (r) { urls.push(r.name); });
        if (reg.active) reg.active.postMessage({ keep: urls });
      });
    }
    if (document.readyState === "complete") tell();
    else window.addEventListener("load", tell);
  }
  keepForOffline();

  return {
    RETRY_MS: RETRY_MS,
    PRIORITY_NAMES: PRIORITY_NAMES,
    $: $, el: el, clear: clear, enc: enc, lower: lower, hhmm: hhmm, clock: clock,
    inField: inField, say: say,
    priorityId: priorityId, priorityName: priorityName, serviceDef: serviceDef,
    serviceName: serviceName, stageDef: stageDef, stageName: stageName, deskName: deskName,
    isAuthError: isAuthError, api: api,
    WRITE: WRITE, newKey: newKey, write: write, retryText: retryText, again: again,
    show: show, showLogin: showLogin, fatal: fatal, chooser: chooser, findEvent: findEvent,
    session: session, connectStream: connectStream, streamMode: streamMode, liveMark: liveMark,
  };
})();
