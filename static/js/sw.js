/* Provenance service worker: offline verdicts, and My products readable offline.

   Served at /sw.js with Service-Worker-Allowed: / so it controls the /01/... verdict pages. It keeps an
   "app shell" (the offline page and what it needs) and, when a product's verdict page cannot be fetched
   because there is no network, answers with the offline page: it stays at the code's address, and
   static/js/offline.js checks the signature with the keys saved on this phone.

   My products (/my and each /my/units/<id> page) is fetched from the network first; the last copy that
   loaded is kept in its own cache on this phone and shown when there is no network. That cache is
   emptied when anyone signs in or out here, and when the server sends the page elsewhere (signed out or
   another person), so a shared phone never shows one person's products to the next.

   Everything else goes to the network untouched; verdicts themselves are never cached (they must be live). */
"use strict";

var CACHE = "provenance-shell-v3";
var SHELL = [
  "/verify-offline",
  "/static/css/portal.css",
  "/static/js/verify.js",
  "/static/js/offline.js",
  "/static/js/app.js",
  "/static/favicon.svg"
];
var OFFLINE_PAGE = "/verify-offline";
var REFRESH_AFTER_MS = 24 * 60 * 60 * 1000;  // re-fetch the shell at most daily, after a verdict loads online

var FILLED_AT = "/__provenance-shell-filled-at";
var MINE = "provenance-mine-v1";  // the owner's own pages, kept for offline reading

function isOwnersPage(path) {
  return path === "/my" || /^\/my\/units\/\d+$/.test(path);
}

function isProductPicture(path) {
  return /^\/models\/\d+\/image$/.test(path);  // public pictures the kept pages show
}  // a cache entry holding when the shell was last fetched

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

// The kept page says it is a copy (static/js/app.js shows when it was made): the body gets data-kept-copy.
function markedAsKept(kept) {
  return kept.text().then(function (html) {
    return new Response(html.replace("<body ", "<body data-kept-copy "), { status: 200, headers: kept.headers });
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(fillShell().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return (name.indexOf("provenance-shell-") === 0 && name !== CACHE) ||
        (name.indexOf("provenance-mine-") === 0 && name !== MINE);
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
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && (url.pathname === "/signout" || url.pathname === "/signin")) {
    event.waitUntil(caches.delete(MINE));  // the request itself goes on to the network untouched
    return;
  }
  if (request.method !== "GET") return;

  if (request.mode === "navigate" && isOwnersPage(url.pathname)) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        event.waitUntil(caches.open(MINE).then(function (cache) { return cache.put(url.pathname, copy); }));
      } else if (response.redirected || response.type === "opaqueredirect") {
        event.waitUntil(caches.delete(MINE));  // signed out, or someone else: forget the kept pages
      }
      return response;
    }, function () {
      return caches.open(MINE).then(function (cache) {
        return cache.match(url.pathname);
      }).then(function (kept) { return kept ? markedAsKept(kept) : Response.error(); });
    }));
    return;
  }

  if (request.mode === "navigate" && (url.pathname.indexOf("/01/") === 0 || url.pathname.indexOf("/verdict/01/") === 0
                                     || url.pathname === OFFLINE_PAGE)) {
    // Network first; the offline page only when the network fails (not on an HTTP error: that is an answer).
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && url.pathname !== OFFLINE_PAGE) event.waitUntil(refreshShellIfOld());
      return response;
    }, offlinePage));
    return;
  }

  if (isProductPicture(url.pathname)) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        event.waitUntil(caches.open(MINE).then(function (cache) { return cache.put(url.pathname, copy); }));
      }
      return response;
    }, function () {
      return caches.open(MINE).then(function (cache) {
        return cache.match(url.pathname);
      }).then(function (kept) { return kept || Response.error(); });
    }));
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
