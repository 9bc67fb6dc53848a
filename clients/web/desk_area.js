// The desk's area field (desk.html #area, desk.js): when the campaign has
// an area table (PUT /v1/areas), typing searches it (GET /v1/areas?q=,
// 250 ms after the last key, each read limited to 5 s like the desk's
// others) and a list of areas shows under the field, each with its
// parents' names ("RT 03, Sukamaju, Kec. Kibin") so that same-named RTs
// are told apart.  Arrow keys move in the list, Enter or a click picks:
// the field shows the name, the ticket gets the area's code.  With no
// table (no hits and an empty table) the field stays free text, as before.
// desk.js clears the field after each ticket unless "tetap" is ticked; a
// field changed after a pick is no longer that pick.  One part of the
// desk, made by deskParts.area(d): d from desk.js (session, get).  A plain
// script, loaded before desk.js.
"use strict";
var deskParts = deskParts || {};

deskParts.area = function (d) {
  var $ = antre.$;
  var DEBOUNCE_MS = 250, LIMIT = 10;
  var input = $("area");
  var list = antre.el("ul", "area-list");
  var hits = [];                   // the areas listed
  var active = -1;                 // the highlighted one
  var picked = null;               // {code, label}: the field shows label
  var timer = null, seq = 0;

  list.id = "area-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Wilayah");
  list.hidden = true;
  input.parentNode.insertBefore(list, input.nextSibling);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", "area-list");
  input.setAttribute("aria-expanded", "false");

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, k) {
      li.setAttribute("aria-selected", k === i ? "true" : "false");
      li.classList.toggle("active", k === i);
    });
    if (i >= 0) {
      input.setAttribute("aria-activedescendant", "area-opt-" + i);
      list.children[i].scrollIntoView({ block: "nearest" });
    }
  }

  function pick(i) {
    var a = hits[i];
    if (!a) return;
    picked = { code: a.code, label: a.label || a.name };
    input.value = picked.label;
    input.title = a.code;
    close();
  }

  function render() {
    antre.clear(list);
    hits.forEach(function (a, i) {
      var li = antre.el("li", "area-opt");
      li.id = "area-opt-" + i;
      li.setAttribute("role", "option");
      li.dataset.code = a.code;
      li.appendChild(antre.el("span", "area-name", a.label || a.name));
      li.appendChild(antre.el("small", "area-code", a.code));
      // mousedown, not click: the field keeps its focus
      li.addEventListener("mousedown", function (e) {
        e.preventDefault();
        pick(i);
      });
      list.appendChild(li);
    });
    list.hidden = hits.length === 0;
    input.setAttribute("aria-expanded", hits.length ? "true" : "false");
    highlight(hits.length ? 0 : -1);
  }

  // The areas whose name or code holds q; a late answer to an older q is
  // dropped.  With no table the list stays shut: free text.
  function search(q) {
    var mine = ++seq;
    d.get("/v1/areas?limit=" + LIMIT + "&q=" + encodeURIComponent(q)).then(function (res) {
      if (mine !== seq || input.value.trim() !== q) return;
      hits = (res && res.areas) || [];
      input.placeholder = res && res.total > 0 ? "cari desa / RT" : "desa / RT";
      render();
    }, function (e) {
      if (mine !== seq) return;
      if (d.session.isAuthError(e)) { d.session.loggedOut(e); return; }
      hits = [];
      close();
    });
  }

  input.addEventListener("input", function () {
    picked = null;
    input.title = "";
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) {
      seq++;
      hits = [];
      close();
      return;
    }
    timer = setTimeout(function () { search(q); }, DEBOUNCE_MS);
  });

  // Ahead of the desk's own keys (desk.js: Enter repeats the last service):
  // while the list is open, arrows move, Enter picks, Esc shuts it.
  input.addEventListener("keydown", function (e) {
    if (list.hidden || !hits.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      var n = hits.length;
      highlight(((active < 0 ? 0 : active) + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      e.stopPropagation();
      pick(active);
    } else if (e.key === "Escape") {
      e.stopPropagation();
      close();
    }
  });

  input.addEventListener("blur", close);

  return {
    // What the ticket's "area" is: the picked area's code, or the text as
    // typed (no table, or a code typed whole); "" for none.
    value: function () {
      var text = input.value.trim();
      if (picked && input.value === picked.label) return picked.code;
      picked = null;
      return text;
    },
  };
};
