// board_state.js: the waiting-room board as a page keeps it from the event's
// stream (PROTOCOL.md, "Deltas"): a `board` event replaces it, a `delta` is
// applied to it (stages and stations replaced by id, new calls and timed
// waits merged in their order, counts replaced), a `call` goes in front of
// the last calls and a `station` replaces that station at once.  What the pages keep is then what the next whole
// board says.  Loaded by display.html, station.html, desk.html (as
// window.antreBoard) and by stream_worker.js in its SharedWorker, which
// keeps the newest board for a page that joins a stream already open.
"use strict";
(function (self) {
  var MAX_CALLS = 10, MAX_HOLDS = 50;

  function ms(t) { return Date.parse(t) || 0; }

  function sameCall(a, b) {
    return a.ticket === b.ticket && a.station === b.station && ms(a.at) === ms(b.at) &&
      !a.recall === !b.recall;
  }

  // A call into the board's last calls, before the first older one, unless
  // it is there; ten at most.  true when it went in.
  function addCall(board, c) {
    var calls = board.calls = board.calls || [], i = 0;
    if (!c || calls.some(function (x) { return sameCall(x, c); })) return false;
    while (i < calls.length && ms(calls[i].at) > ms(c.at)) i++;
    if (i >= MAX_CALLS) return false;
    calls.splice(i, 0, c);
    calls.length = Math.min(calls.length, MAX_CALLS);
    return true;
  }

  function replaceById(list, items) {
    (items || []).forEach(function (n) {
      for (var i = 0; i < list.length; i++) if (list[i].id === n.id) list[i] = n;
    });
    return !!(items && items.length);
  }

  function holdBefore(a, b) {
    return ms(a.until) - ms(b.until) || (a.ticket < b.ticket ? -1 : a.ticket > b.ticket ? 1 : 0);
  }

  // The delta into the board; what it changed: {stages, stations, calls,
  // holds, counts}, each true or false.
  function applyDelta(board, d) {
    var what = { stages: false, stations: false, calls: false, holds: false, counts: false };
    if (d.at) board.at = d.at;
    what.stages = replaceById(board.stages || [], d.stages);
    what.stations = replaceById(board.stations || [], d.stations);
    (d.calls || []).slice().reverse().forEach(function (c) {
      if (addCall(board, c)) what.calls = true;
    });
    if (d.holds || d.holds_gone) {
      var gone = {};
      (d.holds_gone || []).forEach(function (t) { gone[t] = true; });
      (d.holds || []).forEach(function (h) { gone[h.ticket] = true; });
      var holds = (board.holds || []).filter(function (h) { return !gone[h.ticket]; });
      board.holds = holds.concat(d.holds || []).sort(holdBefore).slice(0, MAX_HOLDS);
      what.holds = true;
    }
    ["issued_today", "doses_today", "target"].forEach(function (k) {
      if (d[k] !== undefined) { board[k] = d[k]; what.counts = true; }
    });
    return what;
  }

  var ALL = { whole: true, stages: true, stations: true, calls: true, holds: true, counts: true };

  // A page's board: k.board (null before the first); k.take(type, text)
  // takes the text of a stream message (board, delta, call or station) and says
  // what changed (ALL for a whole board), or null when it changed nothing.
  function keeper() {
    var k = { board: null };
    k.take = function (type, text) {
      var m;
      try { m = JSON.parse(text); } catch (e) { return null; }
      if (!m || typeof m !== "object") return null;
      if (type === "board") { k.board = m; return ALL; }
      if (!k.board) return null;
      if (type === "delta") return applyDelta(k.board, m);
      if (type === "call") return addCall(k.board, m) ? { calls: true } : null;
      if (type === "station" && m.id) {
        delete m.at;                // the board's stations carry no time
        return replaceById(k.board.stations || [], [m]) ? { stations: true } : null;
      }
      return null;
    };
    return k;
  }

  self.antreBoard = { addCall: addCall, applyDelta: applyDelta, keeper: keeper };
})(self);
