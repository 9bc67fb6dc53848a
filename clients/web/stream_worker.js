// stream_worker.js: ONE live stream per browser for every antre page open
// in it.  A browser gives a host about six HTTP/1.1 connections; a stream
// per page took them all once the TV, the dashboard, the desk and three
// stations were tabs of one browser, and the next request waited forever.
//
// common.js loads this file as a plain script (window.antreStreams), and
// the page follows its streams through a SharedWorker running this same
// file, which holds one stream per URL (the whole URL: a token in its
// query keeps it apart) and hands every message to each page (port) that
// follows it; the stream closes when its last page goes.  A page says so
// when it leaves (pagehide), and one that cannot (it crashed) holds a Web
// Lock of its own for its life, which the worker then gets.  Without a
// SharedWorker (Chrome on Android), the tabs elect a leader per URL with a
// Web Lock: it holds the stream and passes every message on over a
// BroadcastChannel, and when it goes another tab gets the lock.  Without
// Web Locks either (browsers give them to https and localhost only) the
// tabs elect the leader over the BroadcastChannel alone; without that,
// the page holds its own stream.
//
// The stream is read with fetch, not EventSource, to see the server's
// heartbeats (`: ping` comments, which EventSource hides): nothing at all
// for 2.5 heartbeats (the response header X-Antre-Heartbeat; 15 s without
// it) means a stalled server or a dead connection that the network never
// reported, and the stream is marked down and opened again.  As
// EventSource: the last id goes back as Last-Event-ID on every reopen, so
// nothing is missed; a dropped stream is reopened after the server's
// `retry:` (3 s), one answered with an HTTP error after RETRY_MS.
//
// What a page is told (a "note"): {k:"open", hb} (ms between heartbeats),
// {k:"down"}, {k:"beat"} (a heartbeat), {k:"msg", t: type, d: data, id}.
// A page that joins a stream already open is told at once what a new
// stream would have said first: "open" (or "down"), and the last message
// of each type that carries no id (the figures), the board as the deltas
// and calls since have made it (board_state.js; a delta is never told
// again).
"use strict";
(function (self) {
  var RETRY_MS = 5000;              // after an HTTP error, as common.js
  var HEARTBEAT_MS = 15000;         // the server's default, when it does not say
  var STALL_HEARTBEATS = 2.5;
  var MIN_STALL_MS = 3000;

  function Source(url, emit, lastId) {
    this.url = url;
    this.emit = emit;
    this.lastId = lastId || "";
    this.hb = HEARTBEAT_MS;
    this.retry = 3000;              // the server's retry: replaces it
    this.state = "";                // "", "open" or "down"
    this.kept = {};                 // type -> its last message without an id
    this.bk = self.antreBoard ? self.antreBoard.keeper() : null; // the board, kept
    this.stale = false;             // kept.board is older than bk.board
    this.gen = 0;                   // the current try; older callbacks are ignored
    this.closed = false;
    this.ctl = null;
    this.stall = null;
    this.again = null;
    this.connect();
  }

  Source.prototype.connect = function () {
    var s = this, gen = ++s.gen, ctl = new AbortController();
    var h = { Accept: "text/event-stream" };
    clearTimeout(s.again);
    s.again = null;
    s.ctl = ctl;
    if (s.lastId) h["Last-Event-ID"] = s.lastId;
    s.alive();                      // a connect that hangs is a stall as well
    fetch(s.url, { headers: h, cache: "no-store", credentials: "same-origin", signal: ctl.signal })
      .then(function (r) {
        if (gen !== s.gen) return null;
        var type = r.headers.get("Content-Type") || "";
        if (!r.ok || type.indexOf("text/event-stream") !== 0 || !r.body) {
          s.fail(RETRY_MS);
          return null;
        }
        var hb = Number(r.headers.get("X-Antre-Heartbeat"));
        if (hb > 0) s.hb = hb * 1000;
        s.state = "open";
        s.alive();
        s.emit({ k: "open", hb: s.hb });
        return s.read(r.body.getReader(), gen);
      })
      .then(function () {
        if (gen === s.gen) s.fail(s.retry);        // the server ended it
      }, function () {
        if (gen === s.gen) s.fail(s.retry);        // no answer, or cut
      });
  };

  // Something came: the stall deadline moves on.
  Source.prototype.alive = function () {
    var s = this, gen = s.gen;
    clearTimeout(s.stall);
    s.stall = setTimeout(function () {
      if (gen === s.gen) s.fail(s.retry);
    }, Math.max(MIN_STALL_MS, STALL_HEARTBEATS * s.hb));
  };

  // This try is over (gen moves on: its callbacks are ignored); the next
  // one in `wait` ms.
  Source.prototype.fail = function (wait) {
    var s = this;
    if (s.closed) return;
    s.gen++;
    if (s.ctl) s.ctl.abort();
    s.ctl = null;
    clearTimeout(s.stall);
    s.state = "down";
    s.emit({ k: "down" });
    s.again = setTimeout(function () { s.connect(); }, wait);
  };

  Source.prototype.read = function (reader, gen) {
    var s = this, dec = new TextDecoder(), buf = "", cr = false;
    var ev = { t: "", d: [], id: false };
    function pump() {
      return reader.read().then(function (x) {
        if (gen !== s.gen) { reader.cancel().catch(function () {}); return null; }
        if (x.done) return null;
        s.alive();
        var text = dec.decode(x.value, { stream: true });
        // a "\r" that ended the last piece was a whole "\r\n" with this "\n"
        if (cr && text.charAt(0) === "\n") text = text.slice(1);
        buf += text;
        cr = buf.charAt(buf.length - 1) === "\r";
        var lines = buf.split(/\r\n|\r|\n/);
        buf = lines.pop();          // a line is whole only once its end is here
        lines.forEach(function (line) { s.line(line, ev); });
        return pump();
      });
    }
    return pump();
  };

  // One line of text/event-stream, as EventSource reads it.
  Source.prototype.line = function (line, ev) {
    if (line === "") {
      if (ev.d.length) {
        var m = { k: "msg", t: ev.t || "message", d: ev.d.join("\n"), id: this.lastId };
        this.keep(m, ev.id);
        this.emit(m);
      }
      ev.t = "";
      ev.d = [];
      ev.id = false;
      return;
    }
    if (line.charAt(0) === ":") {
      this.emit({ k: "beat" });
      return;
    }
    var i = line.indexOf(":"), f = i < 0 ? line : line.slice(0, i);
    var v = i < 0 ? "" : line.slice(i + 1);
    if (v.charAt(0) === " ") v = v.slice(1);
    if (f === "event") ev.t = v;
    else if (f === "data") ev.d.push(v);
    else if (f === "id" && v.indexOf("\u0000") < 0) { this.lastId = v; ev.id = true; }
    else if (f === "retry" && /^\d+$/.test(v)) this.retry = Number(v);
  };

  // What a page that joins later is to be told of this message.
  Source.prototype.keep = function (m, withId) {
    if (this.bk && (m.t === "board" || m.t === "delta" || m.t === "call" || m.t === "station")) {
      if (this.bk.take(m.t, m.d) && m.t !== "board") this.stale = true;
      if (m.t === "board") {
        this.kept.board = m;
        this.stale = false;
      }
    } else if (!withId && m.t !== "delta") {
      this.kept[m.t] = m;
    }
  };

  // What a page that joins now is told first.
  Source.prototype.replay = function (fn) {
    var s = this;
    if (s.stale && s.bk.board) {
      s.kept.board = { k: "msg", t: "board", d: JSON.stringify(s.bk.board), id: s.lastId };
      s.stale = false;
    }
    if (s.state === "open") fn({ k: "open", hb: s.hb });
    else if (s.state === "down") fn({ k: "down" });
    Object.keys(s.kept).forEach(function (t) { fn(s.kept[t]); });
  };

  // Back online: a stream that is down is tried again now.
  Source.prototype.kick = function () {
    if (this.state === "open" || this.closed) return;
    this.gen++;
    if (this.ctl) this.ctl.abort();
    this.connect();
  };

  Source.prototype.close = function () {
    this.closed = true;
    this.gen++;
    if (this.ctl) this.ctl.abort();
    clearTimeout(this.stall);
    clearTimeout(this.again);
  };

  // ---- the SharedWorker ------------------------------------------------------

  var feeds = {};                   // url -> { src, ports: [] }

  function send(port, url, note) {
    try { port.postMessage({ url: url, note: note }); } catch (e) { /* gone */ }
  }

  function follow(port, url) {
    var f = feeds[url];
    if (!f) {
      f = feeds[url] = { ports: [], src: null };
      f.src = new Source(url, function (note) {
        f.ports.forEach(function (p) { send(p, url, note); });
      });
    } else {
      f.src.replay(function (note) { send(port, url, note); });
    }
    if (f.ports.indexOf(port) < 0) f.ports.push(port);
  }

  function leave(port, url) {
    var f = feeds[url];
    if (!f) return;
    f.ports = f.ports.filter(function (p) { return p !== port; });
    if (f.ports.length) return;
    f.src.close();
    delete feeds[url];
  }

  function leaveAll(port) {
    Object.keys(feeds).forEach(function (url) { leave(port, url); });
  }

  // A stream URL is the pages' own: a path on this server.
  function pathOk(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/" &&
      url.charAt(1) !== "\\";
  }

  function connect(e) {
    var port = e.ports[0];
    port.onmessage = function (m) {
      var d = m.data || {};
      if (d.op === "sub" && pathOk(d.url)) follow(port, d.url);
      else if (d.op === "unsub") leave(port, d.url);
      else if (d.op === "kick" && feeds[d.url]) feeds[d.url].src.kick();
      else if (d.op === "bye") leaveAll(port);
      else if (d.op === "hello" && typeof d.page === "string" && self.navigator.locks) {
        // the page holds this lock for its life: granted here once it is gone
        self.navigator.locks.request("antre-page " + d.page, function () { leaveAll(port); });
      }
    };
  }

  // ---- in a page (common.js loads this file as a plain script) ----------------

  var SELF = "/web/stream_worker.js";
  var CHANNEL = "antre-stream";
  var CLAIM_MS = 400;               // a tab that hears of no leader this long leads

  // Longer than a living leader keeps silent (a stall, then a retry's
  // wait): a follower that hears nothing for this long takes over, the
  // leader being gone or frozen without a word.
  function silence(hb) {
    return STALL_HEARTBEATS * (hb || HEARTBEAT_MS) + RETRY_MS + 3000;
  }

  function pageKey() {
    var b = new Uint8Array(16), s = "";
    self.crypto.getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
    return s;
  }

  // The page's streams through the SharedWorker (this file in it).
  function viaWorker(deliver, page, failed) {
    var w, t = { role: function () { return "worker"; } };
    try { w = new SharedWorker(SELF, { name: "antre-stream" }); } catch (e) { return null; }
    function post(m) { w.port.postMessage(m); }
    w.port.onmessage = function (e) {
      var d = e.data || {};
      if (typeof d.url === "string") deliver(d.url, d.note);
    };
    w.onerror = failed;             // it did not start: the way without one
    // held for the page's life: the worker gets it once the page is gone
    if (navigator.locks) navigator.locks.request("antre-page " + page, function () {
      post({ op: "hello", page: page });
      return new Promise(function () {});
    });
    ["sub", "unsub", "kick", "bye"].forEach(function (op) {
      t[op] = function (u) { post({ op: op, url: u }); };
    });
    return t;
  }

  // Without a SharedWorker: the tab that holds the Web Lock of a stream URL
  // (the leader) holds the stream and passes every note on over a
  // BroadcastChannel to the other tabs (its followers); when it goes, the
  // lock goes to one of them, which opens the stream from the last id it
  // heard.  st[url]: {src, release} while leading, {req} while waiting for
  // the lock, {lastId, hb, timer} always.
  function viaLeader(deliver, page) {
    var ch = new BroadcastChannel(CHANNEL), st = {}, t = {};

    // A follower silent for too long (silence()) takes the lock.
    function watchLeader(url, s) {
      clearTimeout(s.timer);
      if (s.src) return;
      s.timer = setTimeout(function () {
        if (st[url] !== s || s.src) return;
        deliver(url, { k: "down" });
        claim(url, s, true);
      }, silence(s.hb));
    }

    function lead(url, s, release) {
      if (st[url] !== s || s.release !== release) return;
      clearTimeout(s.timer);
      s.src = new Source(url, function (note) {
        deliver(url, note);
        ch.postMessage({ url: url, note: note });
      }, s.lastId);
    }

    function claim(url, s, steal) {
      var req = {}, opts = { steal: true };
      if (!steal) opts = { signal: (req.ctl = new AbortController()).signal };
      if (s.req && s.req.ctl) s.req.ctl.abort();     // a wait, replaced by the steal
      s.req = req;
      navigator.locks.request("antre-stream " + url, opts, function () {
        if (st[url] !== s) return null;              // no longer followed
        return new Promise(function (release) {
          s.release = release;
          lead(url, s, release);
        });
      }).catch(function () {
        // taken from this tab (it follows again), or a wait given up
        if (st[url] !== s || s.req !== req) return;
        if (s.src) {
          s.lastId = s.src.lastId;
          s.src.close();
        }
        s.src = s.release = null;
        claim(url, s, false);
        watchLeader(url, s);
      });
    }

    ch.onmessage = function (e) {
      var d = e.data || {}, s = st[d.url];
      if (!s) return;
      if (d.ask) {
        if (s.src) s.src.replay(function (n) { ch.postMessage({ url: d.url, to: d.ask, note: n }); });
      } else if (d.note && !s.src && (!d.to || d.to === page)) {
        if (d.note.id) s.lastId = d.note.id;
        if (d.note.k === "open") s.hb = d.note.hb;
        watchLeader(d.url, s);
        deliver(d.url, d.note);
      }
    };
    t.sub = function (url) {
      var s = st[url];
      if (s && s.src) s.src.replay(function (n) { deliver(url, n); });
      if (s) return;
      s = st[url] = { lastId: "", hb: 0 };
      claim(url, s, false);
      ch.postMessage({ ask: page, url: url });       // the leader's state, for this tab
      watchLeader(url, s);
    };
    t.unsub = function (url) {
      var s = st[url];
      if (!s) return;
      delete st[url];
      clearTimeout(s.timer);
      if (s.src) s.src.close();
      if (s.release) s.release();
      if (s.req && s.req.ctl) s.req.ctl.abort();
    };
    t.kick = function (url) { if (st[url] && st[url].src) st[url].src.kick(); };
    t.role = function () {
      var urls = Object.keys(st);
      return !urls.length ? "" : urls.some(function (u) { return st[u].src; }) ? "leader" : "follower";
    };
    return t;
  }

  // Without Web Locks (browsers give them to https and localhost only, not
  // to a plain-http LAN address): the same by the BroadcastChannel alone.
  // A tab that hears of no leader of a URL for a moment claims it ("lead",
  // with its key); of two leaders the one with the smaller key stays, the
  // other follows.  A leader that leaves says so ("resign") and a follower
  // claims after a random moment; one silent for too long is replaced.
  // st[url]: {src} while leading, {leader} (its key) while following.
  function viaChannel(deliver, page) {
    var ch = new BroadcastChannel(CHANNEL + "-plain"), st = {}, t = {};
    function post(m) { ch.postMessage(m); }

    function claimIn(url, s, ms) {
      clearTimeout(s.timer);
      if (s.src) return;
      s.timer = setTimeout(function () {
        if (st[url] !== s || s.src) return;
        if (s.leader) deliver(url, { k: "down" });   // a leader gone silent
        s.leader = page;
        s.src = new Source(url, function (note) {
          deliver(url, note);
          post({ url: url, note: note, from: page });
        }, s.lastId);
        post({ url: url, lead: page });
      }, ms === undefined ? silence(s.hb) : ms);
    }

    function follow(url, s, key) {
      if (s.src) {
        s.lastId = s.src.lastId;
        s.src.close();
        s.src = null;
      }
      s.leader = key;
      claimIn(url, s);
    }

    ch.onmessage = function (e) {
      var d = e.data || {}, s = st[d.url];
      if (!s) return;
      if (d.ask && s.src) {
        post({ url: d.url, lead: page });
        s.src.replay(function (n) { post({ url: d.url, to: d.ask, note: n, from: page }); });
      } else if (d.lead) {
        if (s.src && d.lead > page) post({ url: d.url, lead: page });
        else if (d.lead !== s.leader || s.src) follow(d.url, s, d.lead);
      } else if (d.resign && d.resign === s.leader && !s.src) {
        s.leader = "";
        claimIn(d.url, s, Math.random() * 500);
      } else if (d.note && !s.src && d.from === s.leader && (!d.to || d.to === page)) {
        if (d.note.id) s.lastId = d.note.id;
        if (d.note.k === "open") s.hb = d.note.hb;
        claimIn(d.url, s);
        deliver(d.url, d.note);
      }
    };
    function resign(url, s) {
      if (s.src) post({ url: url, resign: page });
    }
    t.sub = function (url) {
      var s = st[url];
      if (s && s.src) s.src.replay(function (n) { deliver(url, n); });
      if (s) return;
      s = st[url] = { lastId: "", hb: 0, leader: "" };
      post({ ask: page, url: url });
      claimIn(url, s, CLAIM_MS);
    };
    t.unsub = function (url) {
      var s = st[url];
      if (!s) return;
      delete st[url];
      clearTimeout(s.timer);
      resign(url, s);
      if (s.src) s.src.close();
    };
    t.bye = function () { Object.keys(st).forEach(function (u) { resign(u, st[u]); }); };
    t.kick = function (url) { if (st[url] && st[url].src) st[url].src.kick(); };
    t.role = function () {
      var urls = Object.keys(st);
      return !urls.length ? "" : urls.some(function (u) { return st[u].src; }) ? "leader" : "follower";
    };
    return t;
  }

  // Last: the page holds its own streams.
  function viaPage(deliver) {
    var srcs = {}, t = { role: function () { return "page"; } };
    t.sub = function (url) {
      if (srcs[url]) srcs[url].replay(function (n) { deliver(url, n); });
      else srcs[url] = new Source(url, function (n) { deliver(url, n); });
    };
    t.unsub = function (url) {
      if (srcs[url]) srcs[url].close();
      delete srcs[url];
    };
    t.kick = function (url) { if (srcs[url]) srcs[url].kick(); };
    return t;
  }

  // common.js's sharing: deliver(url, note) to the page's listeners;
  // urls(), the URLs it follows.  {sub, unsub, kick}(url), role().
  function streams(deliver, urls) {
    var page = pageKey(), cur = null, t = {};
    function fallback() {
      if (typeof BroadcastChannel !== "function") return viaPage(deliver);
      return navigator.locks ? viaLeader(deliver, page) : viaChannel(deliver, page);
    }
    if (typeof SharedWorker === "function") {
      cur = viaWorker(deliver, page, function () {
        if (cur.role() !== "worker") return;
        cur = fallback();
        urls().forEach(function (u) { cur.sub(u); });
      });
    }
    cur = cur || fallback();
    ["sub", "unsub", "kick"].forEach(function (op) {
      t[op] = function (u) { cur[op](u); };
    });
    t.role = function () { return cur.role(); };
    // a page leaving says so (the worker would learn it from the lock, later);
    // one back from the back-forward cache follows again
    self.addEventListener("pagehide", function () { if (cur.bye) cur.bye(); });
    self.addEventListener("pageshow", function (e) {
      if (e.persisted) urls().forEach(function (u) { cur.sub(u); });
    });
    return t;
  }

  if (typeof SharedWorkerGlobalScope === "function" && self instanceof SharedWorkerGlobalScope) {
    try { self.importScripts("/web/board_state.js"); } catch (e) { /* boards kept whole only */ }
    self.onconnect = connect;
  }
  else
    self.antreStreams = streams;
})(self);
