/* congxa: the bulletin board's service worker (registered by bang-tin.js). It keeps the
   board's page, script, style sheet, QR codes and images, so a board restarted while the
   server or network is down still opens and shows its last data (kept by bang-tin.js).
   Pages and files: from the network first, the kept copy when that fails. QR codes (named
   by the hash of their URL, so never changed): the kept copy first. The data itself
   (*.json) is never kept here: bang-tin.js must see a failure to say it is offline. */
"use strict";
var CACHE = "congxa-bang-tin-1";
var SHELL = ["./", "bang-tin.js", "bang-tin.css"];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(SHELL); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("congxa-bang-tin-") === 0 && k !== CACHE; })
          .map(function (k) { return caches.delete(k); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function keep(request, response) {
  if (response && response.ok && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

function kept(request) {
  // The page may be opened with settings in its query (?giay=12): any copy of it will do.
  return caches.match(request, { ignoreSearch: request.mode === "navigate" }).then(function (found) {
    return found || Response.error();
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || /\.json$/.test(url.pathname)) return;
  if (/\/qr\/[0-9a-f]{16}\.svg$/.test(url.pathname)) {
    event.respondWith(caches.match(request).then(function (found) {
      return found || fetch(request).then(function (r) { return keep(request, r); });
    }));
    return;
  }
  // A server that answers with an error (a proxy whose back end is down) counts as down.
  event.respondWith(
    fetch(request).then(function (r) {
      if (r.ok) return keep(request, r);
      return kept(request).then(function (k) { return k.type === "error" ? r : k; });
    }).catch(function () { return kept(request); })
  );
});
