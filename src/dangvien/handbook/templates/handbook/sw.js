// The handbook's service worker (served by handbook.views.service_worker, scope "/").
// Policy (docs/handbook-offline.md):
// - a member's own pages are kept only when the server marks the answer with the offline header
//   (its value: the user's id); each user has their own cache, "dangvien-member-<id>";
// - those pages are fetched network-first: a member online always sees today's record; when the
//   network fails, or is silent for NETWORK_WAIT_MS on a bad connection, the saved copy is shown;
// - static files (names carry a hash of their content) are stale-while-revalidate;
// - anything else (officers' pages, the API, every POST) passes through and is never stored;
// - the logout forgets every member's saved pages before it reaches the server (a shared phone).
"use strict";

var MEMBER_CACHE_PREFIX = "dangvien-member-";
var STATIC_CACHE = "dangvien-static-v1";
var OFFLINE_HEADER = "{{ offline_header }}";
var LOGOUT_PATH = "{{ logout_path }}";
var STATIC_PREFIX = "{{ static_prefix }}";
var MEMBER_PREFIXES = ["/handbook/", "/library/", "/meetings/"];
// A meeting's check-in address (the QR) opened offline is answered with the saved "Check in" page,
// which queues the check-in with the time of the scan (docs/meetings.md).
var CHECKIN_LINK_PREFIX = "{{ checkin_link_prefix }}";
var CHECKIN_PAGE = "{{ checkin_page }}";
var NETWORK_WAIT_MS = 6000;

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method === "POST" && url.pathname === LOGOUT_PATH) {
    event.respondWith(forgetMembers().then(function () { return fetch(request); }));
    return;
  }
  if (request.method !== "GET") {
    return;
  }
  if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(staleWhileRevalidate(event));
  } else if (MEMBER_PREFIXES.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; })) {
    event.respondWith(networkFirst(request));
  }
});

function memberCaches() {
  return caches.keys().then(function (names) {
    return names.filter(function (name) { return name.indexOf(MEMBER_CACHE_PREFIX) === 0; });
  });
}

function forgetMembers() {
  return memberCaches().then(function (names) {
    return Promise.all(names.map(function (name) { return caches.delete(name); }));
  });
}

// Keeps the answer when the server allows it; otherwise drops any older copy of the address (the
// document was unbookmarked, the session ended), except on a server failure, when the copy is
// exactly what the member needs.
function remember(request, response) {
  var owner = response.headers.get(OFFLINE_HEADER);
  if (owner && response.ok) {
    var copy = response.clone();
    return caches.open(MEMBER_CACHE_PREFIX + owner)
      .then(function (cache) { return cache.put(request, copy); })
      .then(function () { return response; });
  }
  if (response.status >= 500) {
    return Promise.resolve(response);
  }
  return memberCaches().then(function (names) {
    return Promise.all(names.map(function (name) {
      return caches.open(name).then(function (cache) { return cache.delete(request, {ignoreVary: true}); });
    }));
  }).then(function () { return response; });
}

function savedCopy(request) {
  if (CHECKIN_PAGE && new URL(request.url).pathname.indexOf(CHECKIN_LINK_PREFIX) === 0) {
    request = new Request(CHECKIN_PAGE);
  }
  return memberCaches().then(function (names) {
    return names.reduce(function (found, name) {
      return found.then(function (hit) {
        return hit || caches.open(name).then(function (cache) { return cache.match(request, {ignoreVary: true}); });
      });
    }, Promise.resolve(undefined));
  });
}

function networkFirst(request) {
  return new Promise(function (resolve, reject) {
    var settled = false;
    function answer(response) {
      if (!settled) {
        settled = true;
        resolve(response);
      }
    }
    var timer = setTimeout(function () {
      savedCopy(request).then(function (copy) { if (copy) { answer(copy); } });
    }, NETWORK_WAIT_MS);
    fetch(request).then(function (response) {
      clearTimeout(timer);
      return remember(request, response).then(answer);
    }, function (error) {
      clearTimeout(timer);
      return savedCopy(request).then(function (copy) {
        if (copy) {
          answer(copy);
        } else if (!settled) {
          settled = true;
          reject(error);
        }
      });
    });
  });
}

function staleWhileRevalidate(event) {
  var request = event.request;
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(request).then(function (copy) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) {
          cache.put(request, response.clone());
        }
        return response;
      });
      if (copy) {
        event.waitUntil(fresh.catch(function () { return undefined; }));
        return copy;
      }
      return fresh;
    });
  });
}
