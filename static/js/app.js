/* Every page: the translated sentences scripts show, the service worker (static/js/sw.js) that keeps My
   products readable offline and checks codes offline, and a note when this page is the copy the phone kept
   rather than a fresh one (the worker marks such a copy's body with data-kept-copy). */
(function () {
  "use strict";
  /* Sentences for scripts come translated in the page (a JSON block made by portal/authenticity/js_text.py);
     t(key, english, vars) gives the reader's language, the English when the page has none. app.js loads
     first (every script is deferred, in document order), so verify.js, scan.js and offline.js use it. */
  var TEXT = (function () {
    var block = document.getElementById("js-text");
    try { return block ? JSON.parse(block.textContent) : {}; } catch (e) { return {}; }
  })();
  window.ProvenanceText = {
    t: function (key, english, vars) {
      return (TEXT[key] || english).replace(/%\((\w+)\)s/g, function (all, name) {
        return vars && name in vars ? vars[name] : all;
      });
    }
  };
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
  // On a phone the navigation and the console's tabs scroll sideways in one row: show the current one.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".nav [aria-current], .console-nav [aria-current]").forEach(function (here) {
      var row = here.parentElement;
      var past = here.offsetLeft - row.offsetLeft + here.offsetWidth - row.clientWidth;
      if (past > 0) row.scrollLeft = past + 24;  // just far enough to show it whole
    });
  });
})();
