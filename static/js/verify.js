/* Verdict page: re-check the label's Ed25519 signature in this browser from the published keys.
   Keys are kept in localStorage, so a later scan without network still checks signatures. */
(function () {
  "use strict";
  var KEYS = "provenance.jwks";

  function b64urlToBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function cachedKeys() {
    try { return JSON.parse(localStorage.getItem(KEYS) || "null"); } catch (e) { return null; }
  }

  function fetchKeys(url) {
    return fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("keys " + r.status);
      return r.json();
    }).then(function (jwks) {
      try { localStorage.setItem(KEYS, JSON.stringify({ at: Date.now(), jwks: jwks })); } catch (e) { /* full */ }
      return jwks;
    });
  }

  function verifyWith(jwks, kid, message, signature) {
    var byKid = function (k) { return k.kid === kid; };
    // Revoked keys are published apart from the usable ones (jwks.revoked), so that no JOSE library uses them.
    var jwk = (jwks.keys || []).filter(byKid)[0] || (jwks.revoked || []).filter(byKid)[0];
    if (!jwk) return Promise.resolve({ known: false });
    if (!window.crypto || !crypto.subtle) return Promise.resolve({ unsupported: true });
    return crypto.subtle.importKey("raw", b64urlToBytes(jwk.x), { name: "Ed25519" }, false, ["verify"])
      .then(function (key) {
        return crypto.subtle.verify("Ed25519", key, b64urlToBytes(signature), new TextEncoder().encode(message));
      })
      .then(function (ok) { return { known: true, ok: ok, state: jwk.state, reason: jwk.revoked_reason }; })
      .catch(function () { return { unsupported: true }; });
  }

  window.ProvenanceVerify = { verifyWith: verifyWith, cachedKeys: cachedKeys, fetchKeys: fetchKeys };
  var t = window.ProvenanceText.t;  /* static/js/app.js: the page's translated sentences */

  var el = document.getElementById("sig-check");
  if (el) {
    var d = el.dataset;
    fetchKeys(d.jwks).catch(function () {
      var cached = cachedKeys();
      if (cached) return cached.jwks;
      throw new Error("no keys");
    }).then(function (jwks) {
      return verifyWith(jwks, d.kid, d.message, d.signature);
    }).then(function (r) {
      if (r.unsupported) el.textContent = t("verify.unsupported", "This browser cannot check Ed25519 signatures itself; the portal checked it.");
      else if (!r.known) el.textContent = t("verify.unknown_key", "The signing key is not published, so this device could not check the signature.");
      else if (!r.ok) el.textContent = t("verify.mismatch", "Signature checked on this device: it does NOT match.");
      else if (r.state === "revoked") el.textContent = t("verify.revoked", "Signature checked on this device: it matches, but the key was revoked.");
      else el.textContent = t("verify.match", "Signature checked on this device: it matches the manufacturer's published key.");
      el.dataset.checked = r.ok ? "match" : "mismatch";
    }).catch(function () {
      el.textContent = t("verify.no_keys", "This device could not fetch the manufacturer's keys to check the signature itself.");
    });
  }

  var place = document.getElementById("place-consent");
  var button = document.getElementById("share-place");
  if (place && button && navigator.geolocation) {
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        fetch(place.dataset.url, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: place.dataset.token, lat: pos.coords.latitude, lon: pos.coords.longitude })
        }).then(function () { place.textContent = t("verify.place_added", "Thank you: your approximate location was added to this scan."); });
      }, function () { place.textContent = t("verify.place_refused", "Location was not shared."); }, { maximumAge: 600000, timeout: 10000 });
    });
  } else if (place) {
    place.hidden = true;
  }

  // The service worker that keeps keys for offline checks is registered by app.js, on every page.
})();
