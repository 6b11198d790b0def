// Hài Lòng kiosk service worker: the kiosk shell and its files keep working without a network.
// The shell (/kiosk/) is fetched from the network first (so questionnaire updates arrive) and
// falls back to the last good copy; versioned static files are served from the cache.
// Submissions (POST) are never touched: the page queues them itself.
"use strict";
var VERSION = "__VERSION__";
var CACHE = "hailong-kiosk-" + VERSION;
var SCOPE = new URL(self.registration.scope);
var SHELL = SCOPE.pathname;                                   // "/kiosk/"
var STATIC = new URL("../static/kiosk/", SCOPE).pathname;       // "/static/kiosk/"
var ASSETS = [STATIC + "kiosk.css?v=" + VERSION, STATIC + "kiosk.js?v=" + VERSION,
              STATIC + "icon.svg", SHELL + "manifest.webmanifest"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS).then(function () {
      return fetch(SHELL, {credentials: "same-origin", cache: "no-store"}).then(function (res) {
        if (res.ok) return cache.put(SHELL, res);
      }).catch(function () {});
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("hailong-kiosk-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function shellFromNetwork(request) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, 4000);
    fetch(request).then(function (res) {
      clearTimeout(timer);
      if (res.ok) {
        var copy = res.clone();
        caches.open(CACHE).then(function (cache) { cache.put(SHELL, copy); });
      }
      resolve(res);
    }, function (err) { clearTimeout(timer); reject(err); });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === SHELL) {
    event.respondWith(shellFromNetwork(req).catch(function () {
      return caches.match(SHELL).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf(STATIC) === 0 || url.pathname === SHELL + "manifest.webmanifest") {
    event.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
        return res;
      });
    }));
  }
});
