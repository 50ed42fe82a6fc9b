// The program page's service worker (served at /p/sw.js, scope /p/): keeps the last program page
// and its own static files on the phone, so the session opens at the gym without signal.
// Same origin only. It never stores a POST: logs made offline wait in the page's queue
// (program-offline.js), which sends them itself once the phone is back online.
"use strict";

var CACHE = "liftclinic-program-v1";
var PAGE = "/p/";

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("liftclinic-program-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === PAGE) {
    // The network first: a fresh page (counts, today's entries, a valid form token) whenever
    // there is signal; the copy kept from the last visit when there is none.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !url.search) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(PAGE, copy); });
      }
      return response;
    }, function () {
      return caches.match(PAGE, {ignoreVary: true}).then(function (kept) {
        return kept || Response.error();
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // Static files are named by their content (?v=hash): a kept copy is always right.
    event.respondWith(caches.match(request, {ignoreVary: true}).then(function (kept) {
      return kept || fetch(request);
    }));
  }
});
