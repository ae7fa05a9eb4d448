/* Every page: install the service worker (static/js/sw.js), which keeps My products readable offline and
   checks codes offline, and say so when this page is the copy the phone kept rather than a fresh one
   (the worker marks such a copy's body with data-kept-copy). */
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* offline support is optional */ });
  }
  function showOfflineCopy() {
    var note = document.getElementById("offline-copy");
    var made = document.body.getAttribute("data-rendered-at");
    if (!note || !made || !document.body.hasAttribute("data-kept-copy")) return;  // set by the worker
    var when = new Date(made);
    document.getElementById("offline-copy-time").textContent = isNaN(when) ? made :
      when.toLocaleString(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });
    note.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", showOfflineCopy);
})();
