// sw.js: the pages' service worker, served at /sw.js with the scope "/"
// (common.js registers it).  Its one job: a reload while antred is down
// shows the page from its last copy, with the page's own offline banner in
// Indonesian, instead of the browser's English error page.
//
// Network first: while antred answers, every page and file is its latest
// (antred sends them with no-cache and an ETag, so that costs a 304); the
// copy is used only when the network gives no answer, or a proxy in front
// answers 5xx.  Only the pages' shell is kept: GET of /web/ files, the /t/
// status pages and /favicon.ico.  Everything else, the API (/v1/) with its
// live streams above all, is left alone: the handler returns without
// answering, so the browser fetches it as if there were no worker, and
// nothing of it is ever stored.  A plain script, nothing from the internet.
"use strict";

var CACHE = "antre-shell-v1";

// The copy's key: /web/ files are the same whatever the query (?event=,
// ?station=), a status page is its whole address (its signed link).
function isShell(url) {
  return url.origin === self.location.origin &&
    (url.pathname.indexOf("/web/") === 0 || url.pathname.indexOf("/t/") === 0 ||
      url.pathname === "/favicon.ico");
}

function keyOf(url) {
  return url.pathname.indexOf("/t/") === 0 ? url.href : url.origin + url.pathname;
}

function keep(key, response) {
  if (response.status !== 200 || response.type !== "basic") return Promise.resolve();
  return caches.open(CACHE).then(function (c) { return c.put(key, response); });
}

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// A page loaded before the worker took over says what it loaded (its own
// address and its files): the shell among them is fetched and kept.
self.addEventListener("message", function (e) {
  var urls = e.data && Array.isArray(e.data.keep) ? e.data.keep.slice(0, 64) : [];
  e.waitUntil(Promise.all(urls.map(function (u) {
    var url;
    try { url = new URL(String(u)); } catch (err) { return null; }
    if (!isShell(url)) return null;
    return fetch(url.href, { credentials: "same-origin" }).then(function (r) {
      return keep(keyOf(url), r);
    }).catch(function () { /* not kept this time */ });
  })));
});

self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || !isShell(url) || req.headers.has("Range")) return;
  var key = keyOf(url);
  function copy(otherwise) {
    return caches.match(key).then(function (c) { return c || otherwise; });
  }
  e.respondWith(fetch(req).then(function (r) {
    if (r.status >= 500) return copy(r);
    e.waitUntil(keep(key, r.clone()));
    return r;
  }, function () {
    return copy(Response.error());
  }));
});
