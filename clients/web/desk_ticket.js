// The ticket desk's work on a ticket already issued (desk.html, desk.js):
// printing it (ticket.png, or a plain HTML ticket when the server has no
// ticket font) and cancelling it (asked twice, sent with one key).  A
// cancelled or expired ticket is never printed: the server refuses it (409
// ticket_cancelled / ticket_expired) and the desk does not offer it.  One
// part of the desk, made by deskParts.ticket(d, w): d from desk.js (get,
// ticketPath, session, update, event(), serviceName, priorityName,
// defaultPriority()), w its messages (desk_words.js).  A plain script,
// loaded before desk.js.
"use strict";
var deskParts = deskParts || {};

deskParts.ticket = function (d, w) {
  var CONFIRM_MS = 4000;
  var $ = antre.$, say = antre.say;
  var printUrl = "", printQrUrl = "";
  var confirmTimer = null, confirmFor = "";

  function cancellable(entry) { return entry.state === "waiting" || entry.state === "skipped"; }

  // A cancelled or expired ticket is out of every queue for good.
  function printable(entry) { return entry.state !== "cancelled" && entry.state !== "expired"; }

  function cancelButton(btn, entry) {
    btn.disabled = !cancellable(entry);
    btn.textContent = btn.id === "cancel-last" ? "Batalkan tiket" : "Batalkan";
    btn.classList.remove("confirm");
  }

  // ---- printing -------------------------------------------------------------

  function whenLoaded(img) {
    if (img.complete && img.naturalWidth > 0) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      img.onload = function () { resolve(); };
      img.onerror = function () { reject(new Error("image")); };
    });
  }

  // ticket.png (what a thermal printer would print) in the print-only area,
  // then the browser's print; with no ticket font on the server, a plain
  // HTML ticket with the QR code.
  function print(entry) {
    if (!printable(entry)) {
      say(w.notPrintable(entry), "err");
      return Promise.resolve();
    }
    var width = $("paper").value === "80" ? "80" : "58";
    $("print-area").className = "print-area w" + width;
    say("Mencetak tiket " + entry.code + "…", "info");
    return d.get(d.ticketPath(entry.id) + "/ticket.png?width=" + width, true)
      .then(function (blob) {
        if (printUrl) URL.revokeObjectURL(printUrl);
        printUrl = URL.createObjectURL(blob);
        var img = $("print-img");
        $("print-html").hidden = true;
        img.hidden = false;
        img.src = printUrl;
        return whenLoaded(img);
      }, function (e) {
        if (e.code !== "font_unavailable") throw e;
        return printHtml(entry);
      }).then(function () {
        document.body.classList.add("printing");
        window.print();
        say("Tiket " + entry.code + " dikirim ke pencetak.", "ok");
      }).catch(function (e) {
        if (e.status !== undefined && d.session.isAuthError(e)) { d.session.loggedOut(e); return; }
        // cancelled or expired elsewhere (a station, the day's end) and not
        // yet known here: said, and the desk stops offering it
        var gone = { ticket_cancelled: "cancelled", ticket_expired: "expired" }[e.code];
        if (gone) {
          d.update({ id: entry.id, state: gone });
          say(w.notPrintable({ code: entry.code, state: gone }), "err");
          return;
        }
        say(e.status !== undefined ? w.generalError(e, "Tiket belum tercetak") :
          "Gambar tiket tidak bisa dimuat. Coba cetak lagi.", "err");
      });
  }

  function printHtml(entry) {
    return d.get(d.ticketPath(entry.id) + "/qr.svg", true).then(function (blob) {
      var info = d.event();
      if (printQrUrl) URL.revokeObjectURL(printQrUrl);
      printQrUrl = URL.createObjectURL(blob);
      $("print-img").hidden = true;
      $("ph-event").textContent = info.name || info.id;
      $("ph-code").textContent = entry.code;
      $("ph-service").textContent = d.serviceName(entry.service) +
        (entry.priority !== d.defaultPriority() ? " · " + d.priorityName(entry.priority) : "");
      $("ph-time").textContent = "Diambil " + antre.hhmm(entry.at);
      var img = $("ph-qr");
      img.src = printQrUrl;
      $("print-html").hidden = false;
      return whenLoaded(img);
    });
  }

  // ---- cancelling -------------------------------------------------------------

  function resetConfirm() {
    clearTimeout(confirmTimer);
    confirmTimer = null;
    confirmFor = "";
    Array.prototype.forEach.call(document.querySelectorAll("button.confirm"), function (b) {
      b.classList.remove("confirm");
      b.textContent = b.id === "cancel-last" ? "Batalkan tiket" : "Batalkan";
    });
  }

  // The first press asks, a second one within 4 s cancels.
  function cancelPressed(btn, entry) {
    if (confirmFor !== entry.id || !btn.classList.contains("confirm")) {
      resetConfirm();
      confirmFor = entry.id;
      btn.classList.add("confirm");
      btn.textContent = "Yakin batalkan " + entry.code + "?";
      confirmTimer = setTimeout(resetConfirm, CONFIRM_MS);
      return;
    }
    resetConfirm();
    sendCancel(btn, entry, null);
  }

  // One cancel: one key, retried as an issue is.
  function sendCancel(btn, entry, key) {
    btn.disabled = true;
    antre.again(null);
    d.session.write("POST", d.ticketPath(entry.id) + "/cancel", undefined, {
      key: key,
      retrying: function (n, max) { say(antre.retryText(n, max), "warn"); },
    }).then(function (res) {
      d.update(res.ticket);
      say("Tiket " + entry.code + " dibatalkan.", "ok");
    }, function (e) {
      if (d.session.isAuthError(e)) { d.session.loggedOut(e); return; }
      btn.disabled = false;
      if (e.unknown) {
        say(w.unknownText(e, "Tiket " + entry.code + " mungkin sudah dibatalkan, mungkin belum.") +
          " Tekan Coba lagi.", "err");
        $("again-find").hidden = true;
        antre.again(function () { sendCancel(btn, entry, e.key); });
        return;
      }
      if (e.code === "invalid_transition") {
        say("Tiket " + entry.code + " tidak bisa dibatalkan lagi: sudah dipanggil atau dilayani.",
          "err");
        d.get(d.ticketPath(entry.id)).then(function (r) { d.update(r.ticket); }, function () {});
      } else {
        say(w.generalError(e, "Tiket belum dibatalkan"), "err");
      }
    });
  }

  return { cancellable: cancellable, printable: printable, cancelButton: cancelButton,
    print: print, resetConfirm: resetConfirm, cancelPressed: cancelPressed,
    confirming: function () { return confirmFor; } };
};
