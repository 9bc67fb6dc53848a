// display_words.js: what the waiting-room TV (display.js) says for a call,
// in Bahasa Indonesia: the ticket's code letter by letter and digit by
// digit, and the desk's number in words.
"use strict";
(function () {
  var DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
    "sembilan"];

  function stationNumber(c) {
    if (c.station_number) return c.station_number;
    var s = String(c.station || ""), i = s.lastIndexOf("-");
    return i >= 0 ? +s.slice(i + 1) : 0;
  }

  // A number in Indonesian words: 3 "tiga", 11 "sebelas", 24 "dua puluh empat".
  function numberWords(n) {
    n = Math.floor(Number(n));
    if (!isFinite(n) || n < 0) return "";
    if (n < 10) return DIGITS[n];
    if (n === 10) return "sepuluh";
    if (n === 11) return "sebelas";
    if (n < 20) return DIGITS[n - 10] + " belas";
    if (n < 100)
      return DIGITS[Math.floor(n / 10)] + " puluh" + (n % 10 ? " " + DIGITS[n % 10] : "");
    if (n < 1000) {
      var h = Math.floor(n / 100), rest = n % 100;
      return (h === 1 ? "seratus" : DIGITS[h] + " ratus") + (rest ? " " + numberWords(rest) : "");
    }
    if (n < 1000000) {
      var k = Math.floor(n / 1000), r = n % 1000;
      return (k === 1 ? "seribu" : numberWords(k) + " ribu") + (r ? " " + numberWords(r) : "");
    }
    return String(n).split("").map(function (d) { return DIGITS[+d]; }).join(" ");
  }

  // What is said for a call: "Nomor antrean A nol satu tujuh, silakan ke meja
  // vaksinasi tiga".  Letters stay letters, digits are read one by one, other
  // characters ("-") are silent; a recall starts with "Panggilan ulang".
  function speechText(call, stageName) {
    var words = [];
    String(call.code || "").toUpperCase().split("").forEach(function (ch) {
      if (ch >= "0" && ch <= "9") words.push(DIGITS[+ch]);
      else if (/[A-Z]/.test(ch)) words.push(ch);
    });
    var desk = String(stageName || call.stage || "").toLocaleLowerCase("id-ID");
    var text = "nomor antrean " + words.join(" ") + ", silakan ke meja " + desk + " " +
      numberWords(stationNumber(call));
    return call.recall ? "Panggilan ulang, " + text : "N" + text.slice(1);
  }

  window.antreSpeechText = speechText;
  window.antreNumberWords = numberWords;
  window.antreStationNumber = stationNumber;
})();
