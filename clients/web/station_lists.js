// The station page's lists (station.js): the stage's last calls (from the
// board the page keeps), and the call-back lists: the tickets skipped at
// this desk (kept in sessionStorage, newest first, up to 8) and the
// stage's deferred tickets (GET …/stations/{st}/deferred, earliest first,
// refreshed when the stream shows one of the stage become deferred or
// leave it).  Each has a button that calls it back here, disabled while
// the desk cannot call (it holds a ticket, or is paused), saying why.
// Everything from the server is shown with textContent.
"use strict";
(function () {
  var $ = antre.$, el = antre.el, clear = antre.clear;
  var CALLS_SHOWN = 8;             // the stage's last calls shown

  function listed(l, id) { return l.some(function (x) { return x.id === id; }); }

  // o: key() the skipped list's storage key; path() the deferred read;
  // api, running(), authFailed(e); cannot() why a call cannot be made now
  // ("" when it can); call(x) calls ticket x back; info(t) a deferred
  // ticket's line.
  antre.stationLists = function (o) {
    var skipped = [], deferred = [], timer = null, gen = 0;
    // The stream's latest state of the tickets it showed lately (bounded),
    // and the skipped entries whose own "skipped" entry the stream has not
    // shown yet: the skip's reply comes before the stream's entries of the
    // call and the skip, and the call's must not take it off the list.
    var lastSeen = new Map(), awaiting = new Set();

    function saveSkipped() {
      try { sessionStorage.setItem(o.key(), JSON.stringify(skipped)); } catch (e) { /* not kept */ }
    }

    function callBackButton(x, label) {
      var b = el("button", "", label);
      b.type = "button";
      var why = o.cannot();
      b.disabled = !!why;
      b.title = why || "Panggil lagi " + x.code;
      b.addEventListener("click", function () {
        b.blur();
        o.call(x);
      });
      return b;
    }

    function renderSkipped() {
      var box = $("skipped-items");
      clear(box);
      skipped.forEach(function (x) { box.appendChild(callBackButton(x, x.code)); });
      $("skipped").hidden = skipped.length === 0;
    }

    function renderDeferred() {
      var ul = $("deferred-items");
      clear(ul);
      deferred.forEach(function (t) {
        var li = el("li");
        li.setAttribute("data-ticket", t.id);
        li.appendChild(el("span", "d-code", t.code));
        li.appendChild(el("span", "d-info", o.info(t)));
        li.appendChild(callBackButton(t, "Panggil lagi"));
        ul.appendChild(li);
      });
      if (!deferred.length) ul.appendChild(el("li", "none", "Tidak ada yang ditunda."));
    }

    // Reads the deferred list; an answer older than the latest read is dropped.
    function loadDeferred() {
      clearTimeout(timer);
      timer = null;
      if (!o.running()) return;
      var g = ++gen;
      o.api("GET", o.path()).then(function (b) {
        if (g !== gen) return;
        deferred = b.tickets || [];
        renderDeferred();
      }).catch(function (e) {
        if (e.status !== undefined) o.authFailed(e);
      });
    }

    function scheduleDeferred() {
      if (!timer) timer = setTimeout(loadDeferred, 250);
    }

    return {
      loadSkipped: function () {
        try {
          var l = JSON.parse(sessionStorage.getItem(o.key()) || "[]");
          skipped = Array.isArray(l) ? l : [];
        } catch (e) {
          skipped = [];
        }
      },
      addSkipped: function (t) {
        if (lastSeen.get(t.id) !== "skipped") awaiting.add(t.id);
        skipped = [{ id: t.id, code: t.code }].concat(skipped.filter(function (x) {
          return x.id !== t.id;
        })).slice(0, 8);
        saveSkipped();
        renderSkipped();
      },
      // a ticket called (or moved on): off the lists
      called: function (id) {
        awaiting.delete(id);
        var n = skipped.length;
        skipped = skipped.filter(function (x) { return x.id !== id; });
        if (skipped.length !== n) {
          saveSkipped();
          renderSkipped();
        }
        if (listed(deferred, id)) loadDeferred();
      },
      // a stream "ticket" entry; stage: the station's
      seen: function (t, stage) {
        lastSeen.delete(t.id);
        lastSeen.set(t.id, t.state);
        if (lastSeen.size > 256) lastSeen.delete(lastSeen.keys().next().value);
        if (awaiting.has(t.id)) {
          if (t.state === "skipped") awaiting.delete(t.id);
        } else if (t.state !== "skipped") {
          this.called(t.id);
        }
        if (t.state === "deferred" && t.stage === stage) scheduleDeferred();
      },
      // Whether a call's body names a ticket on the lists (by code, id or
      // its QR link): then it is called "lagi".  Asked when the call is
      // sent: the stream may take it off the lists first.
      callsBack: function (body) {
        var s = body ? body.ticket || body.qr || "" : "";
        return s !== "" && skipped.concat(deferred).some(function (x) {
          return s === x.id || s === x.code || s.indexOf("/" + x.id + "?") !== -1;
        });
      },
      loadDeferred: loadDeferred,
      scheduleDeferred: scheduleDeferred,
      render: function () { renderSkipped(); renderDeferred(); },
      // The stage's last calls (of the board's, newest first), this desk's marked.
      renderCalls: function (calls, stage, me) {
        var ul = $("calls");
        clear(ul);
        var mine = calls.filter(function (c) { return c.stage === stage; }).slice(0, CALLS_SHOWN);
        mine.forEach(function (c) {
          var li = el("li", c.station === me ? "mine" : "");
          li.appendChild(el("span", "c-code", c.code));
          li.appendChild(el("span", "c-where", (c.station === me ? "meja ini" :
            "meja " + c.station_number) + (c.recall ? " · ulang" : "")));
          li.appendChild(el("span", "c-time", antre.hhmm(c.at)));
          ul.appendChild(li);
        });
        if (!mine.length) ul.appendChild(el("li", "none", "Belum ada panggilan di tahap ini."));
      },
      deferred: function () { return deferred; },
    };
  };
})();
