// The desk's words for a person's doses (desk.html, "Cari tiket"): the
// lookup's dose_status (PROTOCOL.md, "dose_status") said in Bahasa
// Indonesia next to the NIK searched, e.g. "Dosis 1 sudah 3 Nov 2026 —
// dosis 2 mulai 1 Des 2026".  Days come as "YYYY-MM-DD" calendar days and
// are shown as such, in no time zone.  A plain script, loaded before
// desk_find.js, which calls deskDose.show.
"use strict";
var deskDose = (function () {
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt",
    "Nov", "Des"];

  // "2026-11-03" -> "3 Nov 2026"; anything else as it is.
  function day(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || "");
    if (!m) return String(s || "");
    return Number(m[3]) + " " + MONTHS[Number(m[2]) - 1] + " " + m[1];
  }

  // The last dose given, as "Dosis 2 sudah 1 Des 2026" ("Booster" for 3).
  function given(st) {
    if (st.dose3) return "Booster sudah " + day(st.dose3);
    if (st.dose2) return "Dosis 2 sudah " + day(st.dose2);
    return "Dosis 1 sudah " + day(st.dose1);
  }

  // The words, and how they are shown ("ok", "info", "warn").
  function words(st) {
    if (!st || !st.status) return null;
    switch (st.status) {
      case "none": return { text: "Belum pernah divaksin.", kind: "info" };
      case "not_yet_due":
        return { text: given(st) + " — dosis 2 mulai " + day(st.next_due) + ".", kind: "info" };
      case "due":
        return { text: given(st) + " — dosis 2 sudah bisa diberikan (mulai " +
          day(st.next_due) + ").", kind: "ok" };
      case "overdue":
        return { text: given(st) + " — dosis 2 terlambat sejak " + day(st.next_due) + ".",
          kind: "warn" };
      case "done": return { text: given(st) + ".", kind: "ok" };
    }
    return null;
  }

  // Shows st's words in element el, or hides it (st null: no answer).
  function show(el, st) {
    var w = words(st);
    el.textContent = w ? w.text : "";
    el.className = "msg dose " + (w ? w.kind : "");
    el.hidden = !w;
  }

  return { day: day, words: words, show: show };
})();
