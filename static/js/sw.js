/* Provenance service worker: offline verdicts.

   Served at /sw.js with Service-Worker-Allowed: / so it controls the /01/... verdict pages. It keeps an
   "app shell" (the offline page and what it needs) and, when a product's verdict page cannot be fetched
   because there is no network, answers with the offline page: it stays at the code's address, and
   static/js/offline.js checks the signature with the keys saved on this phone.

   Everything else goes to the network untouched; verdicts themselves are never cached (they must be live). */
"use strict";

var CACHE = "provenance-shell-v1";
var SHELL = [
  "/verify-offline",
  "/static/css/portal.css",
  "/static/js/verify.js",
  "/static/js/offline.js",
  "/static/favicon.svg"
];
var OFFLINE_PAGE = "/verify-offline";
var REFRESH_AFTER_MS = 24 * 60 * 60 * 1000;  // re-fetch the shell at most daily, after a verdict loads online

var FILLED_AT = "/__provenance-shell-filled-at";  // a cache entry holding when the shell was last fetched

// Fetched without cookies: the kept copy is the anonymous page (no one's name, no sign-out form token).
function fillShell() {
  return caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (path) {
      return new Request(path, { credentials: "omit", cache: "reload" });
    })).then(function () {
      return cache.put(FILLED_AT, new Response(String(Date.now())));
    });
  });
}

function refreshShellIfOld() {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(FILLED_AT);
  }).then(function (stamp) {
    return stamp ? stamp.text() : "0";
  }).then(function (at) {
    if (Date.now() - Number(at) < REFRESH_AFTER_MS) return undefined;
    return fillShell();
  }).catch(function () { /* keep the copy we have */ });
}

self.addEventListener("install", function (event) {
  event.waitUntil(fillShell().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("provenance-shell-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function offlinePage() {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(OFFLINE_PAGE, { ignoreSearch: true });
  }).then(function (page) { return page || Response.error(); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.mode === "navigate" && (url.pathname.indexOf("/01/") === 0 || url.pathname === OFFLINE_PAGE)) {
    // Network first; the offline page only when the network fails (not on an HTTP error: that is an answer).
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && url.pathname !== OFFLINE_PAGE) event.waitUntil(refreshShellIfOld());
      return response;
    }, offlinePage));
    return;
  }

  if (url.pathname !== OFFLINE_PAGE && SHELL.indexOf(url.pathname) >= 0) {
    // The offline page's own files: network (and the HTTP cache) first, the kept copy without network.
    event.respondWith(fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(url.pathname, { ignoreSearch: true });
      }).then(function (kept) { return kept || Response.error(); });
    }));
  }
});
