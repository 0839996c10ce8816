// The handbook's "Check in" page (docs/meetings.md):
// - "Scan the code" opens the camera and reads the meeting's QR (core's qrscan.js: the browser's
//   BarcodeDetector, or jsQR from npm, loaded only then); the code is the check-in address,
//   /meetings/c/<token>/;
// - a check-in address opened while offline is answered by the service worker with this page, saved
//   earlier: its token is then read from the address bar;
// - the check-in is sent at once when online; without a connection (or when the send fails) it is
//   queued in the handbook's outbox (offline.js) with a fresh idempotency key and the time of the
//   scan, and sent when the phone is back online: the server records it once and keeps that time.
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) {
    return;
  }
  var result = document.getElementById("checkin-result");
  var prefix = root.getAttribute("data-link-prefix");

  function say(name, detail, kind) {
    result.textContent = detail ? (name ? root.getAttribute("data-" + name) + " " : "") + detail
      : root.getAttribute("data-" + name);
    result.className = "msg msg-" + (kind || "info");
    result.hidden = false;
  }

  function tokenOf(text) {
    try {
      var url = new URL(text, location.href);
      if (url.origin === location.origin && url.pathname.indexOf(prefix) === 0) {
        return decodeURIComponent(url.pathname.slice(prefix.length).split("/")[0]);
      }
    } catch (error) {
      return "";
    }
    return "";
  }

  // The outbox (offline.js) loads "async" and may come after this script: wait for it. On a page
  // without it (nobody logged in as a member), no queue: the send fails as it would offline.
  function withOutbox(work) {
    if (window.dangvienOutbox) {
      work(window.dangvienOutbox);
      return;
    }
    document.addEventListener("dangvien:outbox", function () { work(window.dangvienOutbox); }, {once: true});
  }

  function queue(token, scannedAt) {
    withOutbox(function (outbox) { queueIn(outbox, token, scannedAt); });
  }

  function queueIn(outbox, token, scannedAt) {
    outbox.queue({url: root.getAttribute("data-api"), body: {token: token, scanned_at: scannedAt},
                  label: root.getAttribute("data-failed"), kind: "checkin"})
      .then(function () { say("queued"); }, function () { say("failed", "", "error"); });
  }

  function checkIn(token) {
    var scannedAt = new Date().toISOString();
    withOutbox(function (outbox) { send(outbox, token, scannedAt); });
  }

  function send(outbox, token, scannedAt) {
    if (!navigator.onLine) {
      queueIn(outbox, token, scannedAt);
      return;
    }
    var key = outbox.newKey();
    fetch(root.getAttribute("data-api"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Idempotency-Key": key,
                "X-CSRFToken": outbox.csrfToken()},
      body: JSON.stringify({token: token, scanned_at: scannedAt})
    }).then(function (response) {
      if (response.status === 201 || response.status === 200) {
        say(response.status === 201 ? "sent" : "again", "", "success");
      } else if (response.status >= 500 || [401, 403, 408, 429].indexOf(response.status) >= 0) {
        queue(token, scannedAt);  // kept, with the scan's time, for the next try
      } else {
        response.json().then(function (body) { say("", body.detail, "error"); },
                             function () { say("wrong", "", "error"); });
      }
    }, function () { queue(token, scannedAt); });
  }

  // A check-in address opened offline: the saved page, shown by the service worker at that address.
  var pageToken = root.getAttribute("data-token");
  if (!pageToken && location.pathname.indexOf(prefix) === 0) {
    queue(tokenOf(location.href), new Date().toISOString());
  }

  // --- the camera (core's qrscan.js) ----------------------------------------------------------------
  var scanner = document.getElementById("scanner");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.dangvienScanQR || pageToken) {
    return;  // no camera here (the plain link and the camera app still work), or the code was opened already
  }
  scanner.hidden = false;

  document.getElementById("scan-start").addEventListener("click", function () {
    window.dangvienScanQR({
      video: document.getElementById("scan-video"), canvas: document.getElementById("scan-canvas"),
      decoder: root.getAttribute("data-decoder"), accept: tokenOf,
      rejected: function () { say("wrong", "", "error"); }
    }).then(checkIn, function () { say("camera", "", "error"); });
  });
})();
