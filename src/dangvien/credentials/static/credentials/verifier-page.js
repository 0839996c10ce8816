// The card verifier page (/cards/verify/) in the browser: checks a pasted or scanned QR text with
// verifier.js instead of sending it to the server, so that it answers with no network:
// - registers the page's service worker (it keeps the page and its scripts);
// - keeps the trust list and each status list in Cache Storage ("dangvien-verifier-data"), a status
//   list with the time it was fetched: the same rule as status_cache.py (a copy whose signing or
//   fetching is more than 7 days old answers "unknown"); online, a list is fetched again once its
//   ttl has run out, and a copy that does not verify never replaces the one kept;
// - without the trust list (never loaded), the form is sent to the server as before.
// window.dangvienVerifierPage.check(text, now) answers a verdict (the browser tests use it).
(function () {
  "use strict";

  var root = document.getElementById("verifier");
  var configNode = document.getElementById("verifier-config");
  var core = window.dangvienVerifier;
  if (!root || !configNode || !core || !window.caches || !window.crypto || !crypto.subtle) {
    return;
  }
  var config = JSON.parse(configNode.textContent);
  var DATA_CACHE = "dangvien-verifier-data";
  var FETCHED_HEADER = "X-Dangvien-Fetched-At";
  var statusLine = document.getElementById("verifier-status");
  var resultBox = document.getElementById("verifier-result");
  var form = document.getElementById("verifier-form");
  var copies = new Map();  // status list uri -> {token, problem, fetchedAt}
  var trust = null;

  function nowSeconds() {
    return Date.now() / 1000;
  }

  function say(text, kind) {
    statusLine.textContent = text;
    statusLine.className = "msg msg-" + (kind || "info");
    statusLine.hidden = !text;
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.getAttribute("data-worker"), {scope: location.pathname})
      .catch(function () { return undefined; });  // the page works without it, only not offline
  }

  // --- kept copies ------------------------------------------------------------------------------------

  function kept(key) {
    return caches.open(DATA_CACHE).then(function (cache) { return cache.match(key); });
  }

  function keep(key, body, fetchedAt) {
    var headers = {"Content-Type": "application/octet-stream"};
    headers[FETCHED_HEADER] = String(fetchedAt);
    return caches.open(DATA_CACHE).then(function (cache) { return cache.put(key, new Response(body, {headers: headers})); });
  }

  function loadTrust() {
    return fetch(config.trust, {credentials: "omit"}).then(function (response) {
      if (!response.ok) {
        throw new Error("no trust list");
      }
      return response.arrayBuffer().then(function (body) {
        return keep(config.trust, body, nowSeconds()).then(function () { return body; });
      });
    }).catch(function () {
      return kept(config.trust).then(function (copy) {
        if (!copy) {
          throw new Error("no trust list kept");
        }
        return copy.arrayBuffer();
      });
    }).then(function (body) {
      return core.loadTrust(JSON.parse(new TextDecoder().decode(body)), config.roles);
    });
  }

  // The kept copy of a list, checked (status_cache._read): {token, problem, fetchedAt} or null.
  function readCopy(uri) {
    return kept(uri).then(function (copy) {
      if (!copy) {
        return null;
      }
      var fetchedAt = Number(copy.headers.get(FETCHED_HEADER)) || 0;
      return copy.arrayBuffer().then(function (body) {
        return core.readStatusToken(new Uint8Array(body), trust).then(function (token) {
          return token.uri === uri ? {token: token, problem: "", fetchedAt: fetchedAt}
            : {token: null, problem: "the kept token is the list " + token.uri, fetchedAt: fetchedAt};
        }, function (error) { return {token: null, problem: error.message, fetchedAt: fetchedAt}; });
      });
    });
  }

  // A list fetched again when there is no good copy or its ttl has run out (StatusCache.refresh);
  // a token that does not verify, names another list or is older than the copy is not kept.
  function refresh(list) {
    return readCopy(list.uri).then(function (copy) {
      var now = nowSeconds();
      if (copy && copy.token && now < copy.fetchedAt + (copy.token.ttl || 0)) {
        return copy;
      }
      return fetch(list.url, {credentials: "omit", cache: "no-store"}).then(function (response) {
        if (!response.ok || response.headers.get("Content-Type") !== core.STATUS_MEDIA_TYPE) {
          throw new Error("not a status list");
        }
        return response.arrayBuffer();
      }).then(function (body) {
        return core.readStatusToken(new Uint8Array(body), trust).then(function (token) {
          if (token.uri !== list.uri || (copy && copy.token && copy.token.issuedAt > token.issuedAt)) {
            return copy;
          }
          return keep(list.uri, body, now).then(function () { return {token: token, problem: "", fetchedAt: now}; });
        });
      }).catch(function () { return copy; });  // offline, or a bad answer: the copy as it was
    }).then(function (copy) {
      copies.set(list.uri, copy);
      return copy;
    });
  }

  function statusCopy(uri) {
    return copies.has(uri) ? Promise.resolve(copies.get(uri)) : readCopy(uri);
  }

  var ready = loadTrust().then(function (loaded) {
    trust = loaded;
    return Promise.all(config.lists.map(refresh));
  }).then(function (lists) {
    var dates = lists.filter(function (copy) { return copy && copy.token; })
      .map(function (copy) { return copy.token.issuedAt; });
    if (dates.length) {
      say(root.getAttribute("data-ready") + " " + new Date(Math.min.apply(null, dates) * 1000).toLocaleString(), "info");
    } else {
      say(root.getAttribute("data-no-lists"), "warning");
    }
    root.setAttribute("data-offline-ready", "true");
    return true;
  }, function () {
    say(root.getAttribute("data-no-trust"), "warning");
    return false;
  });

  // --- answering ---------------------------------------------------------------------------------------

  function check(text, now) {
    return ready.then(function (ok) {
      if (!ok) {
        throw new Error("no trust list");
      }
      return core.verify(text, trust, statusCopy, now === undefined ? nowSeconds() : now);
    });
  }

  function shownValue(value) {
    if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
      return value.slice(8, 10) + "/" + value.slice(5, 7) + "/" + value.slice(0, 4);
    }
    return value === null ? "" : String(value);
  }

  function show(verdict) {
    resultBox.className = "verdict verdict-" + verdict.result;
    resultBox.setAttribute("data-result", verdict.result);
    resultBox.setAttribute("data-reason", verdict.reason);
    resultBox.querySelector("h2").textContent = root.getAttribute("data-" + verdict.result);
    resultBox.querySelector("p").textContent = config.reasons[verdict.reason] ||
      config.reasons.malformed;
    var facts = resultBox.querySelector("dl");
    facts.textContent = "";
    core.FIELDS.forEach(function (name) {
      if (name in verdict.fields) {
        var term = document.createElement("dt");
        term.textContent = config.fields[name];
        var value = document.createElement("dd");
        value.textContent = shownValue(verdict.fields[name]);
        facts.appendChild(term);
        facts.appendChild(value);
      }
    });
    resultBox.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    if (root.getAttribute("data-offline-ready") !== "true") {
      return;  // the server checks it
    }
    event.preventDefault();
    check(form.elements.text.value).then(show);
  });

  window.dangvienVerifierPage = {ready: ready, check: check};

  // --- the camera (core's qrscan.js) ----------------------------------------------------------------
  var scanner = document.getElementById("scanner");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.dangvienScanQR) {
    return;
  }
  scanner.hidden = false;

  document.getElementById("scan-start").addEventListener("click", function () {
    window.dangvienScanQR({
      video: document.getElementById("scan-video"), canvas: document.getElementById("scan-canvas"),
      decoder: root.getAttribute("data-decoder"),
      accept: function (text) { return text.indexOf("DV1:") === 0 ? text : ""; }
    }).then(function (text) {
      form.elements.text.value = text;
      form.requestSubmit();
    }, function () { say(root.getAttribute("data-camera"), "error"); });
  });
})();
