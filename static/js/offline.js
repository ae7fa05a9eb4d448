/* Offline check: the service worker shows this page in place of a product's verdict when there is no network.
   The address is still the code's /01/<gtin>/21/<serial>?n=&k=&s= URI, so the signed message is rebuilt from it
   (`01<gtin14>21<serial>|<n>|<kid>`, the serial percent-decoded, as docs/authenticity.md defines) and checked
   with the manufacturers' keys saved on this phone by verify.js (localStorage "provenance.jwks").
   Opened directly at /verify-offline, it checks a pasted code address (?code=...). */
(function () {
  "use strict";
  var box = document.getElementById("offline-check");
  if (!box) return;
  var $ = function (id) { return document.getElementById(id); };
  var ICONS = { match: "✓", mismatch: "✕", unknown: "?", invalid: "?" };
  var CLASSES = { match: "offline-match", mismatch: "verdict-not_genuine", unknown: "verdict-cannot_verify",
                  invalid: "verdict-cannot_verify" };
  var CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;
  var SIGNATURE = /^[A-Za-z0-9_-]{86}$/;  // 64 bytes, base64url without padding
  var KID = /^[A-Za-z0-9_-]{1,64}$/;
  var t = window.ProvenanceText.t;  /* static/js/app.js: the page's translated sentences */
  var CANNOT = t("offline.cannot_title", "Cannot check offline");
  var NOT_GENUINE = t("offline.not_genuine_title", "Not genuine");

  function show(state, title, text, note) {
    box.dataset.state = state;
    box.classList.remove("verdict-cannot_verify", "verdict-not_genuine", "offline-match");
    box.classList.add(CLASSES[state]);
    $("offline-icon").textContent = ICONS[state];
    $("offline-title").textContent = title;
    $("offline-sig").textContent = text;
    $("offline-note").textContent = note || "";
    $("offline-note").hidden = !note;
    $("offline-explain").hidden = state === "mismatch" || state === "invalid";
    document.title = title + " · Provenance";
  }

  function gtinCheckDigit(body) {
    var total = 0;
    for (var i = 0; i < body.length; i++) {
      total += Number(body.charAt(body.length - 1 - i)) * (i % 2 === 0 ? 3 : 1);
    }
    return (10 - total % 10) % 10;
  }

  /* Parse a GS1 Digital Link the way the portal does (portal/core/gs1.py): any host and path prefix, the
     /01/ pairs running to the end of the path, first query value wins, '+' in the query is a space. */
  function parseLink(href) {
    var url = new URL(href, location.href);
    var segs = url.pathname.split("/");
    while (segs.length && segs[segs.length - 1] === "") segs.pop();
    var start = -1;
    for (var i = 0; i < segs.length; i++) {
      if (segs[i] === "01" && (segs.length - i) % 2 === 0) { start = i; break; }
    }
    if (start < 0) return null;
    var values = {};
    for (var j = start; j < segs.length; j += 2) {
      if (values[segs[j]] !== undefined) {
        throw new Error(t("offline.key_twice", "Key %(key)s appears twice in the code.", { key: segs[j] }));
      }
      values[segs[j]] = segs[j + 1];
    }
    var gtin = values["01"];
    if (!/^(\d{8}|\d{12,14})$/.test(gtin) || gtinCheckDigit(gtin.slice(0, -1)) !== Number(gtin.slice(-1))) {
      throw new Error(t("offline.bad_gtin", "Its GTIN (%(gtin)s) is not a valid GTIN.", { gtin: gtin }));
    }
    if (values["21"] === undefined) {
      throw new Error(t("offline.no_serial", "It names a product, not one unit: it has no serial number."));
    }
    var serial;
    try { serial = decodeURIComponent(values["21"]); } catch (e) {
      throw new Error(t("offline.damaged_serial", "Its serial number is damaged."));
    }
    if (!CSET82.test(serial)) {
      throw new Error(t("offline.bad_serial", "Its serial number has characters a GS1 serial cannot have."));
    }
    var query = {};
    url.search.replace(/^\?/, "").split("&").forEach(function (pair) {
      if (!pair) return;
      var at = pair.indexOf("="), key = at < 0 ? pair : pair.slice(0, at), value = at < 0 ? "" : pair.slice(at + 1);
      try {
        key = decodeURIComponent(key.replace(/\+/g, " "));
        value = decodeURIComponent(value.replace(/\+/g, " "));
      } catch (e) { return; }
      if (!(key in query)) query[key] = value;
    });
    return { gtin: ("00000000000000" + gtin).slice(-14), serial: serial, n: query.n, k: query.k, s: query.s };
  }

  function describeCode(code) {
    $("offline-gtin").textContent = code.gtin;
    $("offline-serial").textContent = code.serial;
    $("offline-label").textContent = code.n && code.k
      ? t("offline.label", "No. %(number)s, key %(kid)s", { number: code.n, kid: code.k })
      : t("offline.no_signature", "No signature");
    $("offline-code").hidden = false;
  }

  function savedOn(cached) {
    if (!cached || !cached.at) return "";
    try {
      var day = new Date(cached.at).toLocaleDateString(document.documentElement.lang || undefined,
        { day: "numeric", month: "long", year: "numeric" });
      return t("offline.saved_on", "Checked with the keys this device saved on %(date)s.", { date: day });
    } catch (e) { return ""; }
  }

  function check(code) {
    describeCode(code);
    if (!code.s) {
      show("unknown", CANNOT, t("offline.unsigned", "This code carries no signature, so this device cannot check it."));
      return Promise.resolve();
    }
    if (!code.n || !/^\d{1,9}$/.test(code.n) || !code.k || !KID.test(code.k)) {
      show("mismatch", NOT_GENUINE, t("offline.damaged_fields", "The code's signature fields are damaged or incomplete."));
      return Promise.resolve();
    }
    var verify = window.ProvenanceVerify;
    var cached = verify && verify.cachedKeys();
    var jwks = cached && cached.jwks;
    if (!verify || !jwks || !jwks.keys) {
      show("unknown", CANNOT, t("offline.no_keys", "This phone has not saved the manufacturers' keys yet, so it " +
        "could not check the signature. Keys are saved when you open a product's check with network."));
      return Promise.resolve();
    }
    var byKid = function (k) { return k.kid === code.k; };
    var jwk = jwks.keys.filter(byKid)[0] || (jwks.revoked || []).filter(byKid)[0];  /* revoked keys are apart */
    if (!jwk) {
      show("unknown", CANNOT, t("offline.no_key_copy", "This phone has no saved copy of key %(kid)s, so it could " +
        "not check the signature.", { kid: code.k }), savedOn(cached));
      return Promise.resolve();
    }
    var owner = jwk.manufacturer
      ? t("offline.key_of", "%(manufacturer)s's key %(kid)s", { manufacturer: jwk.manufacturer, kid: jwk.kid })
      : t("offline.key_of_unknown", "the manufacturer's key %(kid)s", { kid: jwk.kid });
    var mismatch = t("offline.mismatch", "Signature checked on this device: it does NOT match %(key)s. The code " +
      "was altered or forged.", { key: owner });
    if (!SIGNATURE.test(code.s)) {
      show("mismatch", NOT_GENUINE, mismatch, savedOn(cached));
      return Promise.resolve();
    }
    var message = "01" + code.gtin + "21" + code.serial + "|" + String(parseInt(code.n, 10)) + "|" + code.k;
    return verify.verifyWith(jwks, code.k, message, code.s).then(function (r) {
      if (r.unsupported) {
        show("unknown", CANNOT, t("offline.unsupported", "This browser cannot check Ed25519 signatures itself, so " +
          "the signature could not be checked without network. Try again with network, or update the browser."));
      } else if (!r.known) {
        show("unknown", CANNOT, t("offline.no_key_copy_short", "This phone has no saved copy of key %(kid)s.",
          { kid: code.k }), savedOn(cached));
      } else if (!r.ok) {
        show("mismatch", NOT_GENUINE, mismatch, savedOn(cached));
      } else if (r.state === "revoked") {
        var maker = jwk.manufacturer || t("offline.the_manufacturer", "the manufacturer");
        show("mismatch", NOT_GENUINE, r.reason
          ? t("offline.revoked_reason", "Signature checked on this device: it matches %(key)s, but %(manufacturer)s " +
              "revoked that key: %(reason)s", { key: owner, manufacturer: maker, reason: r.reason })
          : t("offline.revoked", "Signature checked on this device: it matches %(key)s, but %(manufacturer)s " +
              "revoked that key.", { key: owner, manufacturer: maker }),
          savedOn(cached));
      } else {
        show("match", t("offline.match_title", "Signature matches"),
          t("offline.match", "Signature checked on this device: it matches %(key)s.", { key: owner }),
          (jwk.manufacturer
            ? t("offline.check_maker", "Check that %(manufacturer)s makes this product.", { manufacturer: jwk.manufacturer })
            : t("offline.check_this_maker", "Check that this manufacturer makes this product.")) + " " + savedOn(cached));
      }
    });
  }

  function start() {
    var here = null, error = null, pasted = new URLSearchParams(location.search).get("code");
    var isCodeAddress = /(^|\/)01\//.test(location.pathname);
    try {
      here = isCodeAddress ? parseLink(location.href) : pasted ? parseLink(pasted.trim()) : null;
      if (!here && (isCodeAddress || pasted)) error = t("offline.no_path", "It has no /01/<GTIN> in its address.");
    } catch (e) {
      error = e.message;
    }
    if (isCodeAddress) {
      $("offline-retry").href = location.href;
    } else {
      // Opened as /verify-offline: offer to check a pasted code address.
      $("offline-retry").hidden = true;
      $("offline-paste").hidden = false;
      if (pasted) $("offline-code-input").value = pasted;
      $("offline-net").textContent = t("offline.no_status", "This check does not fetch the product's status " +
        "(stolen, recalled, registered): open the code's address with network for that.");
      if (!pasted) {
        $("offline-net").hidden = true;
        show("unknown", t("offline.paste_title", "Check a code offline"), t("offline.paste", "Paste the web address " +
          "of a product's code below: this device checks its signature with the keys it saved."));
        return;
      }
    }
    if (error || !here) {
      show("invalid", t("offline.invalid_title", "This is not a valid product code"),
        error || t("offline.unreadable", "The code could not be read."));
      return;
    }
    check(here).catch(function () {
      show("unknown", CANNOT, t("offline.failed", "This phone could not check the signature."));
    });
  }

  window.addEventListener("online", function () {
    $("offline-net").textContent = t("offline.online", "The network is back: try again for the full check, with " +
      "the product's status (stolen, recalled, registered).");
  });

  start();
})();
