// The person's page: their ticket, read with the signed link they scanned.
"use strict";
(function () {
  var parts = location.pathname.split("/"); // "", "t", event, id
  var ev = parts[2], id = parts[3];
  var sig = new URLSearchParams(location.search).get("sig") || "";
  var api = "/v1/events/" + encodeURIComponent(ev) + "/tickets/" +
    encodeURIComponent(id) + "?sig=" + encodeURIComponent(sig);
  var stageNames = {}, serviceNames = {};

  function $(x) { return document.getElementById(x); }

  function minutes(s) {
    if (s === null || s === undefined) return "belum diketahui";
    if (s < 60) return "kurang dari 1 menit";
    return "sekitar " + Math.round(s / 60) + " menit";
  }

  function clock(iso) {
    var d = new Date(iso);
    return d.toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" });
  }

  function deskName(station) {
    if (!station) return "";
    var i = station.lastIndexOf("-");
    var stage = station.slice(0, i), n = station.slice(i + 1);
    return "meja " + (stageNames[stage] || stage).toLowerCase() + " " + n;
  }

  function show(t) {
    var stage = stageNames[t.stage] || t.stage;
    $("code").textContent = t.code;
    $("service").textContent = serviceNames[t.service] || t.service;
    $("stage").textContent = stage;
    $("position").textContent = t.position === null ? "–" : t.position + " orang";
    $("eta").textContent = t.state === "waiting" ? minutes(t.eta_s) : "–";
    var head = "", detail = "";
    switch (t.state) {
    case "waiting":
      head = "Menunggu di " + stage;
      if (t.hold_until) detail = "Anda boleh pulang setelah pukul " + clock(t.hold_until) + ".";
      else detail = t.position === 0 ? "Anda berikutnya. Bersiaplah." : "Silakan menunggu panggilan.";
      break;
    case "called": head = "Dipanggil! Silakan ke " + deskName(t.station); break;
    case "serving": head = "Sedang dilayani di " + deskName(t.station); break;
    case "skipped": head = "Anda terlewat"; detail = "Silakan lapor ke petugas " + stage + "."; break;
    case "done": head = "Selesai. Terima kasih!"; break;
    case "deferred": head = "Ditunda"; detail = "Ikuti arahan petugas."; break;
    case "refused": head = "Tidak dapat dilayani hari ini"; break;
    case "cancelled": head = "Tiket dibatalkan"; break;
    }
    $("headline").textContent = head;
    $("detail").textContent = detail;
    $("detail").hidden = !detail;
    $("now").className = "card " + t.state;
    $("updated").textContent = new Date().toLocaleTimeString("id-ID");
  }

  function load() {
    fetch(api, { cache: "no-store" }).then(function (r) {
      if (r.status === 403) { location.reload(); return null; }
      return r.json();
    }).then(function (body) {
      if (!body) return;
      $("offline").hidden = true;
      show(body.ticket);
    }).catch(function () {
      $("offline").hidden = false;
    });
  }

  fetch("/v1/events/" + encodeURIComponent(ev)).then(function (r) { return r.json(); })
    .then(function (body) {
      (body.event.stages || []).forEach(function (s) { stageNames[s.id] = s.name; });
      (body.event.services || []).forEach(function (s) { serviceNames[s.id] = s.name; });
    }).catch(function () {}).then(function () {
      load();
      setInterval(load, 5000);
    });
})();
