/* Scanner page: read a product's QR code with the camera (or from a photo) and open its verdict on THIS site.

   Codes printed for the production host work on any deployment: a GS1 Digital Link with /01/ in its path is
   opened as the same path and query on this origin. jsQR (static/vendor/jsqr) decodes; it is loaded only when
   the camera starts or a photo is chosen, so the page itself stays small. */
(function () {
  "use strict";
  var root = document.getElementById("scanner");
  if (!root) return;
  var view = document.getElementById("scan-view");
  var video = document.getElementById("scan-video");
  var startButton = document.getElementById("scan-start");
  var stopButton = document.getElementById("scan-stop");
  var statusEl = document.getElementById("scan-status");
  var photoInput = document.getElementById("scan-photo-input");

  var LIVE_MAX_SIDE = 960;          // frames are scaled down to this before decoding (speed)
  var PHOTO_SIDES = [1024, 2048];   // a photo is tried at these sizes, smallest first
  var FRAME_GAP_MS = 120;

  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null, timer = null, leaving = false, lastNotice = "";
  var jsqrPromise = null;
  var t = window.ProvenanceText.t;  /* static/js/app.js: the page's translated sentences */

  function say(text, tone) {
    statusEl.textContent = text;
    if (tone) statusEl.dataset.tone = tone; else delete statusEl.dataset.tone;
  }

  function loadDecoder() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsqrPromise) {
      jsqrPromise = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = root.dataset.jsqr;
        s.async = true;
        s.onload = function () { window.jsQR ? resolve(window.jsQR) : reject(new Error("jsQR missing")); };
        s.onerror = function () { jsqrPromise = null; reject(new Error("jsQR did not load")); };
        document.head.appendChild(s);
      });
    }
    return jsqrPromise;
  }

  /* --- What a decoded text means ------------------------------------------------------------------ */

  var GTIN = /^(\d{8}|\d{12,14})$/;
  var COMPRESSED = /^(A[Q-Za-f]|C[g-z0-9_-]|D[A-P])[A-Za-z0-9_-]{8,}$/;

  /* A GS1 Digital Link (any host, any path prefix) -> "/01/<gtin>/.../21/<serial>?query" on this site. */
  function digitalLinkPath(text) {
    var url;
    try { url = new URL(text.trim()); } catch (e) { return null; }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    var segs = url.pathname.split("/");
    while (segs.length && segs[segs.length - 1] === "") segs.pop();
    for (var i = 0; i < segs.length - 1; i++) {
      // Keys sit at even offsets from /01/, so the pairs must run to the end of the path (as the server reads it).
      if (segs[i] === "01" && GTIN.test(segs[i + 1]) && (segs.length - i) % 2 === 0) {
        return "/" + segs.slice(i).join("/") + url.search;
      }
    }
    // A compressed Digital Link: one path segment whose first byte is AI 01 or a sequence starting with it.
    if (segs.length === 2 && COMPRESSED.test(segs[1])) return "/" + segs[1] + url.search;
    return null;
  }

  /* GS1 element strings: "(01)09506000134352(21)ABC" or the FNC1 form "0109506000134352...21ABC<GS>..." */
  function elementStringPath(text) {
    var gtin = null, serial = null, m;
    var t = text.trim().replace(/^\]Q3/, "");
    if (t.charAt(0) === "(") {
      var re = /\((\d{2,4})\)([^(]*)/g, seen = 0;
      while ((m = re.exec(t))) {
        seen += m[0].length;
        if (m[1] === "01") gtin = m[2];
        if (m[1] === "21") serial = m[2];
      }
      if (seen !== t.length) return null;
    } else if (/^01\d{14}/.test(t)) {
      var fixed = { "01": 14, "11": 6, "13": 6, "15": 6, "17": 6 };
      var pos = 0;
      while (pos < t.length) {
        var ai = t.substr(pos, 2);
        pos += 2;
        var value;
        if (fixed[ai]) { value = t.substr(pos, fixed[ai]); pos += fixed[ai]; }
        else if (ai === "10" || ai === "21" || ai === "22") {
          var end = t.indexOf("\u001d", pos);
          if (end < 0) end = t.length;
          value = t.slice(pos, end); pos = end + 1;
        } else return null;
        if (ai === "01") gtin = value;
        if (ai === "21") serial = value;
      }
    } else return null;
    if (!gtin || !GTIN.test(gtin) || !serial) return null;
    return "/lookup?gtin=" + encodeURIComponent(gtin) + "&serial=" + encodeURIComponent(serial);
  }

  function clip(text) {
    text = text.replace(/\s+/g, " ").trim();
    return text.length > 60 ? text.slice(0, 57) + "…" : text;
  }

  /* Register mode (/scan?then=register, from My products and Register): the code's GTIN and serial fill in the
     registration form instead of opening the check. A compressed Digital Link cannot be read here, so it opens
     its check, which offers registration itself. */
  var REGISTER = new URLSearchParams(location.search).get("then") === "register";
  var REGISTER_PATH = "/my/register";

  function registerPath(path) {
    var url = new URL(path, location.origin), gtin = null, serial = null;
    if (url.pathname === "/lookup") {
      gtin = url.searchParams.get("gtin"); serial = url.searchParams.get("serial");
    } else {
      var segs = url.pathname.split("/");
      for (var i = 1; i + 1 < segs.length; i += 2) {
        if (segs[i] === "01") gtin = segs[i + 1];
        if (segs[i] === "21") { try { serial = decodeURIComponent(segs[i + 1]); } catch (e) { serial = null; } }
      }
    }
    if (!gtin || !serial) return path;
    return REGISTER_PATH + "?gtin=" + encodeURIComponent(gtin) + "&serial=" + encodeURIComponent(serial);
  }

  /* Returns true when the text was a product code and the page is leaving for its verdict. */
  function handleText(text, fromPhoto) {
    var path = digitalLinkPath(text) || elementStringPath(text);
    if (path && REGISTER) path = registerPath(path);
    if (path) {
      leaving = true;
      say(t("scan.found", "Product code found. Opening its check…"), "ok");
      stopCamera(true);
      location.assign(path);
      return true;
    }
    var notice = t("scan.not_product", "This QR code is not a product code (it says “%(text)s”).", { text: clip(text) }) +
      " " + (fromPhoto ? t("scan.not_product_photo", "Choose a photo of the code on the product or its label.")
                       : t("scan.not_product_live", "Keep the product's code in view."));
    if (notice !== lastNotice) { lastNotice = notice; say(notice, "warn"); }
    return false;
  }

  function decodeFrom(source, width, height, maxSide, jsQR, thorough) {
    var scale = Math.min(1, maxSide / Math.max(width, height));
    var w = Math.max(1, Math.round(width * scale)), h = Math.max(1, Math.round(height * scale));
    if (canvas.width !== w) canvas.width = w;
    if (canvas.height !== h) canvas.height = h;
    ctx.drawImage(source, 0, 0, w, h);
    var data = ctx.getImageData(0, 0, w, h);
    var code = jsQR(data.data, w, h, { inversionAttempts: thorough ? "attemptBoth" : "dontInvert" });
    return code && code.data ? code.data : null;
  }

  /* --- Camera ------------------------------------------------------------------------------------- */

  function cameraError(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return t("scan.refused", "Camera access was refused. To scan, allow the camera for this site in your browser's " +
        "settings and press Start camera again, or take a photo of the code below.");
    }
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") {
      return t("scan.no_camera", "No camera was found on this device. Take or choose a photo of the code below, or type " +
        "the numbers instead.");
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return t("scan.busy", "The camera is busy or could not start (another app may be using it). Close that app and " +
        "press Start camera again, or take a photo of the code below.");
    }
    return t("scan.failed", "The camera could not start. Take or choose a photo of the code below, or type the numbers " +
      "instead.");
  }

  function showRunning(running) {
    view.hidden = !running;
    startButton.hidden = running;
    stopButton.hidden = !running;
    root.dataset.state = running ? "scanning" : "idle";
  }

  function stopCamera(keepMessage) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.srcObject = null;
    if (!leaving) showRunning(false);
    if (!keepMessage) say("");
  }

  function scanLoop(jsQR) {
    timer = null;
    if (!stream || leaving) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var text = null;
      try { text = decodeFrom(video, video.videoWidth, video.videoHeight, LIVE_MAX_SIDE, jsQR, false); }
      catch (e) { /* a frame that cannot be read: try the next one */ }
      if (text && handleText(text, false)) return;
    }
    timer = setTimeout(function () { scanLoop(jsQR); }, FRAME_GAP_MS);
  }

  function startCamera() {
    lastNotice = "";
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(t("scan.no_support", "This browser cannot use the camera on this page. Take or choose a photo of the code " +
        "below, or type the numbers instead."), "error");
      return;
    }
    startButton.disabled = true;
    say(t("scan.starting", "Starting the camera…"));
    var decoder = loadDecoder();
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        showRunning(true);
        var played = video.play();
        if (played && played.catch) played.catch(function () { /* autoplay muted: frames still arrive */ });
        say(t("scan.on", "Camera on. Hold the code inside the frame."));
        stopButton.focus();
        return decoder.then(function (jsQR) { if (stream) scanLoop(jsQR); }, function () {
          stopCamera(true);
          say(t("scan.no_reader", "The code reader could not be loaded. Check your connection and try again, or type the " +
            "numbers instead."), "error");
        });
      }, function (err) {
        say(cameraError(err), "error");
      })
      .then(function () { startButton.disabled = false; });
  }

  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", function () {
    stopCamera(false);
    say(t("scan.off", "Camera off."));
    startButton.focus();
  });

  // Do not keep the camera on behind another tab or app; the person presses Start camera again.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream && !leaving) { stopCamera(true); say(t("scan.paused", "Camera paused. Press Start camera to go on.")); }
  });
  window.addEventListener("pagehide", function () { if (stream) stopCamera(true); });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted) { leaving = false; showRunning(false); say(""); }  // back from the verdict (bfcache)
  });

  /* --- Photo -------------------------------------------------------------------------------------- */

  function readImage(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file).then(function (bmp) { return { src: bmp, w: bmp.width, h: bmp.height }; },
        function () { return readImageViaDataUrl(file); });
    }
    return readImageViaDataUrl(file);
  }

  // A data: URL, not a blob: URL: the page's CSP allows images from 'self' and data: only.
  function readImageViaDataUrl(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () { resolve({ src: img, w: img.naturalWidth, h: img.naturalHeight }); };
        img.onerror = reject;
        img.src = reader.result;
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }

  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    if (!file) return;
    lastNotice = "";
    say(t("scan.reading", "Reading the photo…"));
    Promise.all([loadDecoder(), readImage(file)]).then(function (both) {
      var jsQR = both[0], img = both[1], text = null;
      for (var i = 0; i < PHOTO_SIDES.length && !text; i++) {
        text = decodeFrom(img.src, img.w, img.h, PHOTO_SIDES[i], jsQR, true);
        if (Math.max(img.w, img.h) <= PHOTO_SIDES[i]) break;
      }
      if (img.src.close) img.src.close();
      if (!text) {
        say(t("scan.unreadable_photo", "No QR code could be read in this photo. Take it again closer, sharp and " +
          "straight on, or type the numbers instead."), "warn");
      } else {
        handleText(text, true);
      }
    }).catch(function () {
      say(t("scan.not_a_picture", "This file could not be read as a picture. Choose a photo (JPEG or PNG) of the code."),
        "error");
    }).then(function () { photoInput.value = ""; });
  });

  showRunning(false);
  if (REGISTER) say(t("scan.register_mode", "Scan the code on the product you want to register: its numbers fill in the form."));

  // Permission already granted (an earlier visit said yes): start at once, one tap fewer. Otherwise the
  // browser would ask before the person asked for the camera, so it waits for Start camera.
  if (navigator.permissions && navigator.permissions.query && navigator.mediaDevices) {
    navigator.permissions.query({ name: "camera" }).then(function (status) {
      root.dataset.permission = status.state;
      if (status.state === "granted" && !stream && !leaving && !document.hidden) startCamera();
    }, function () { /* this browser cannot say: keep the button */ });
  }

  // Keep the manufacturers' keys on this phone, so a code scanned later without network still has its
  // signature checked (static/js/offline.js). verify.js (loaded before this file) registers the service worker.
  if (window.ProvenanceVerify && navigator.onLine !== false) {
    window.ProvenanceVerify.fetchKeys(root.dataset.jwks).catch(function () { /* later, on a verdict page */ });
  }
})();
