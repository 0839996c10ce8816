// The handbook offline (docs/handbook-offline.md), on every page:
// - for a member: registers the service worker (handbook/sw.js) that keeps their own pages;
// - forgets saved pages that are not the logged-in member's (nobody logged in, or another person
//   on a shared phone), and every saved page when the member logs out;
// - an opinion or feedback written offline (a form with data-offline-send), or a meeting check-in
//   (meetings/checkin.js, through window.dangvienOutbox), is queued in IndexedDB with a fresh
//   idempotency key and sent once when back online, through the API, which answers a resend of the
//   same key with the row first recorded: never lost, never doubled.
// It loads "async" (base.html), so as not to hold the page on a slow connection: it may run before
// the page's body is read (elements are looked up when needed), and other scripts wait for the
// "dangvien:outbox" event when window.dangvienOutbox is not there yet.
(function () {
  "use strict";

  var MEMBER_CACHE_PREFIX = "dangvien-member-";  // as in sw.js
  var DB_NAME = "dangvien-offline";
  var OUTBOX = "outbox";
  var root = document.documentElement;
  var user = root.getAttribute("data-member-user") || "";
  var sending = false;
  var RETRY_MS = 5000;  // a connection that dropped during a send is tried again soon, not only at the next page

  function say(name, detail) {
    var status = document.getElementById("offline-status");
    if (!status) {
      return;
    }
    var text = name ? status.getAttribute("data-" + name) || "" : "";
    status.textContent = detail ? text + " " + detail : text;
    status.hidden = !text;
  }

  // --- saved pages ---------------------------------------------------------------------------------

  function forgetPages(keep) {
    if (!window.caches) {
      return Promise.resolve();
    }
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(MEMBER_CACHE_PREFIX) === 0 && name !== keep;
      }).map(function (name) { return caches.delete(name); }));
    }).catch(function () { return undefined; });
  }

  forgetPages(user ? MEMBER_CACHE_PREFIX + user : "");
  if (user && "serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.getAttribute("data-service-worker"), {scope: "/"})
      .catch(function () { return undefined; });  // the site works without it, only not offline
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-logout") && window.caches) {
      // The service worker forgets them too; this covers a phone where it is not running yet.
      event.preventDefault();
      forgetPages("").then(function () { form.submit(); });
    }
  });

  // --- the outbox ------------------------------------------------------------------------------------

  function openOutbox() {
    return new Promise(function (resolve, reject) {
      var opening = indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = function () {
        opening.result.createObjectStore(OUTBOX, {keyPath: "key"});
      };
      opening.onsuccess = function () { resolve(opening.result); };
      opening.onerror = function () { reject(opening.error); };
    });
  }

  function inOutbox(mode, work) {
    return openOutbox().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(OUTBOX, mode);
        var result = work(transaction.objectStore(OUTBOX));
        transaction.oncomplete = function () { db.close(); resolve(result && result.result); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // One item: "sent" (recorded now or before), "refused" (the server will never take it, e.g. the
  // document was withdrawn: the member is told and sees the text), or "later" (no connection, the
  // server failed, or the session ended: kept for the next try).
  function send(item) {
    return fetch(item.url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Idempotency-Key": item.key, "X-CSRFToken": csrfToken()},
      body: JSON.stringify(item.body || {text: item.text})
    }).then(function (response) {
      if (response.ok) {
        return "sent";
      }
      var retry = response.status >= 500 || [401, 403, 408, 429].indexOf(response.status) >= 0;
      return retry ? "later" : "refused";
    }, function () { return "later"; });
  }

  function sendQueued() {
    if (sending || !user || !navigator.onLine || !window.indexedDB) {
      return Promise.resolve();
    }
    sending = true;
    var outcome = {sent: 0, refused: [], waiting: 0, checkins: 0};
    return inOutbox("readonly", function (store) { return store.getAll(); }).then(function (items) {
      var mine = items.filter(function (item) { return item.user === user; });
      mine.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
      return mine.reduce(function (previous, item) {
        return previous.then(function () {
          return send(item).then(function (result) {
            if (result === "later") {
              outcome.waiting += 1;
              return undefined;
            }
            if (result === "sent") {
              outcome.sent += 1;
              outcome.checkins += item.kind === "checkin" ? 1 : 0;
            } else {
              outcome.refused.push(item.label || item.text);
            }
            return inOutbox("readwrite", function (store) { return store.delete(item.key); });
          });
        });
      }, Promise.resolve());
    }).then(function () {
      if (outcome.refused.length) {
        say("refused", outcome.refused.join(" / "));
      } else if (outcome.waiting) {
        say("waiting");
      } else if (outcome.checkins) {
        say("checkin-sent");
      } else if (outcome.sent) {
        say("sent");
      }
      if (outcome.waiting) {
        setTimeout(sendQueued, RETRY_MS);
      }
    }).catch(function () { return undefined; }).then(function () { sending = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var url = form.getAttribute("data-offline-send");
    if (!url || navigator.onLine || !user || !window.indexedDB) {
      return;  // online: the form is sent as usual (its own key makes a resend harmless)
    }
    event.preventDefault();
    var field = form.querySelector("textarea[name=text]");
    // A fresh key: the page may be a saved copy, whose form key was used already.
    var item = {key: newKey(), user: user, url: url, text: field.value, queuedAt: Date.now()};
    inOutbox("readwrite", function (store) { return store.put(item); }).then(function () {
      field.value = "";
      say("queued");
    }, function () { say("failed"); });
  });

  // For other pages' scripts (the meetings' check-in): queue an item {url, body, label, kind}, sent
  // like the forms' ones (a fresh key, the user's, in order, once).
  window.dangvienOutbox = {
    newKey: newKey,
    csrfToken: csrfToken,
    queue: function (item) {
      if (!user || !window.indexedDB) {
        return Promise.reject(new Error("no outbox"));
      }
      var stored = {key: newKey(), user: user, url: item.url, body: item.body, label: item.label || "",
                    kind: item.kind || "", queuedAt: Date.now()};
      return inOutbox("readwrite", function (store) { return store.put(stored); }).then(function () {
        if (navigator.onLine) {
          sendQueued();
        }
      });
    }
  };

  document.dispatchEvent(new Event("dangvien:outbox"));

  window.addEventListener("online", function () { sendQueued(); });
  window.addEventListener("offline", function () { say("offline"); });
  whenBodyRead(function () {
    // The status line and the form's CSRF token are in the body.
    if (navigator.onLine) {
      sendQueued();
    } else {
      say("offline");
    }
  });

  function whenBodyRead(work) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", work);
    } else {
      work();
    }
  }
})();
