/* Provenance service worker (offline verdicts are added by the scanner work). */
self.addEventListener("install", function () { self.skipWaiting(); });
