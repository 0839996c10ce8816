// The card verifier page's service worker (served by credentials.phone_views.verify_worker, scope
// {{ page }}): the page and its scripts stay on the device, so that the page opens with no network.
// - at install, and again at each visit online, it copies the page read WITHOUT the visitor's cookies
//   (the same page for everyone: no name, no session) and its static files;
// - the page itself is fetched network-first (a logged-in visitor sees their own header online) and
//   answered from that copy when the network fails;
// - its static files are answered from the copy when the network fails.
// The trust list and the status lists are kept by the page's script (verifier-page.js), which knows
// when each copy was fetched.
"use strict";

var CACHE = "dangvien-verifier-v1";
var PAGE = "{{ page|escapejs }}";
var FILES = [{% for file in files %}"{{ file|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

function keepCopies() {
  return caches.open(CACHE).then(function (cache) {
    return Promise.all([PAGE].concat(FILES).map(function (url) {
      return fetch(new Request(url, {credentials: "omit", cache: "no-store"})).then(function (response) {
        return response.ok ? cache.put(url, response) : undefined;
      }, function () { return undefined; });
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(keepCopies().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname === PAGE) {
    event.respondWith(fetch(request).then(function (response) {
      event.waitUntil(keepCopies());
      return response;
    }, function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(PAGE, {ignoreVary: true}); })
        .then(function (copy) { return copy || Response.error(); });
    }));
  } else if (FILES.indexOf(url.pathname) >= 0) {
    event.respondWith(fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(url.pathname, {ignoreVary: true}); })
        .then(function (copy) { return copy || Response.error(); });
    }));
  }
});
