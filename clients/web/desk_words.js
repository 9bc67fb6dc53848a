// The ticket desk's messages (desk.html, desk.js): the server's answers in
// plain Indonesian, each saying what to do next.  One part of the desk,
// made by deskParts.words(d) with d.serviceName(id) from desk.js; a plain
// script, loaded before desk.js.
"use strict";
var deskParts = deskParts || {};

deskParts.words = function (d) {
  // the part of a NIK the server found wrong (its 422's message)
  function nikProblem(detail) {
    var s = String(detail || "");
    if (/16 digits/.test(s)) return "NIK harus 16 angka.";
    if (/only digits/.test(s)) return "NIK hanya boleh berisi angka.";
    if (/region/.test(s)) return "kode wilayah (6 angka pertama) tidak dikenal.";
    if (/birth date/.test(s)) return "tanggal lahir di dalamnya tidak mungkin.";
    if (/serial/.test(s)) return "nomor urut (4 angka terakhir) tidak mungkin.";
    return "periksa lagi angkanya.";
  }

  function issueError(e, service) {
    switch (e.code) {
    case "duplicate_person":
      return "Orang dengan NIK ini sudah mendapat tiket " + d.serviceName(service) +
        " hari ini. Tiket baru tidak dibuat.";
    case "invalid_nik":
      return "NIK tidak valid: " + nikProblem(e.detail) + " Periksa lagi dengan KTP.";
    case "invalid_area":
      return "Wilayah tidak bisa dipakai: paling banyak 63 huruf, tanpa karakter khusus.";
    case "unknown_area":         // the area table's (desk_area.js)
      return "Wilayah ini tidak ada di daftar wilayah: ketik lalu pilih dari daftar.";
    case "unknown_service":
    case "unknown_priority":
      return "Layanan atau prioritas ini tidak dikenal server. Muat ulang halaman.";
    default:
      return generalError(e, "Tiket belum dibuat");
    }
  }

  // Any failed request; `what` says what did not happen ("Tiket belum
  // tercetak").  A timeout is a request that hung past its limit.
  function generalError(e, what) {
    if (e.code === "timeout")
      return "Server antrean tidak menjawab dalam " +
        Math.max(1, Math.round(antre.WRITE.tryMs / 1000)) + " detik. " + what +
        " — coba lagi sebentar lagi.";
    if (e.code === "store_unavailable")
      return "Penyimpanan antrean (Redis) tidak terjangkau. " + what + " — coba lagi sebentar lagi.";
    if (e.code === "network")
      return "Tidak tersambung ke server antrean. Periksa jaringan, lalu coba lagi.";
    if (e.code === "ticket_not_found") return "Tiket tidak ditemukan (mungkin tiket hari lain).";
    return "Server menjawab galat " + e.status + (e.code ? " (" + e.code + ")" : "") + ". " +
      what + ".";
  }

  // Every try went unanswered: `what` may or may not have happened.
  function unknownText(e, what) {
    return (e.status === 0 ? "Server antrean tidak menjawab" :
      e.code === "store_unavailable" ? "Penyimpanan antrean (Redis) tidak terjangkau" :
        "Server menjawab galat " + e.status) + " setelah " + e.tries + " kali coba. " + what;
  }

  // a cancelled or expired ticket, asked to be printed
  function notPrintable(entry) {
    return "Tiket " + entry.code + (entry.state === "expired" ?
      " sudah kedaluwarsa (harinya sudah lewat) — tidak dapat dicetak. Silakan ambil nomor baru." :
      " sudah dibatalkan — tidak dapat dicetak.");
  }

  return { nikProblem: nikProblem, issueError: issueError, generalError: generalError,
    unknownText: unknownText, notPrintable: notPrintable };
};
