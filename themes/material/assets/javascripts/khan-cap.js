/* congxa: keeps the emergency banner (partials/khan-cap.html) current.
   Reads feeds/thiet-yeu.json on load and every 60 s while the page is visible; shows
   active `khan-cap` items (not dismissible) and `uu-tien` items (the reader may hide
   them; remembered in localStorage); removes an item the moment its `expires` passes by
   this browser's clock. Text goes in with textContent only; focus is never moved. */
(function () {
  "use strict";
  var box = document.getElementById("cx-alerts");
  if (!box || !window.fetch) return;
  var POLL = 60000;
  var HIDDEN_KEY = "congxa.an-thong-bao";
  var PRIORITIES = { "khan-cap": 0, "uu-tien": 1 };
  var src = box.getAttribute("data-src");
  var base = box.getAttribute("data-base") || ".";
  var pollTimer = null;
  var expiryTimer = null;
  var inFlight = false;

  function hiddenIds() {
    try { return JSON.parse(localStorage.getItem(HIDDEN_KEY) || "[]"); } catch (e) { return []; }
  }
  function hide(id) {
    var ids = hiddenIds().filter(function (x) { return x !== id; });
    ids.push(id);
    try { localStorage.setItem(HIDDEN_KEY, JSON.stringify(ids.slice(-50))); } catch (e) { /* full or private */ }
  }
  function expiresAt(text) {
    if (!text) return Infinity;
    var t = Date.parse(text);
    return isNaN(t) ? Infinity : t;
  }
  function wire(el) {
    var button = el.querySelector(".cx-alert__hide");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      hide(el.getAttribute("data-id"));
      el.hidden = true;
    });
  }
  // An item's link on this page: the JSON gives absolute URLs of the site; a page served
  // elsewhere (a preview, a mirror) links within itself.
  function localHref(url, siteUrl) {
    if (siteUrl && url.indexOf(siteUrl) === 0) {
      return new URL(url.slice(siteUrl.length), new URL(base.replace(/\/?$/, "/"), location.href)).href;
    }
    return /^https?:\/\//.test(url) ? url : "#";
  }
  function build(item, siteUrl) {
    var el = document.createElement("div");
    el.className = "cx-alert cx-alert--" + item.priority;
    el.setAttribute("data-id", item.id);
    el.setAttribute("data-expires", item.expires || "");
    var p = document.createElement("p");
    p.className = "md-grid cx-alert__inner";
    var label = document.createElement("strong");
    label.className = "cx-alert__label";
    label.textContent = (item.priority_title || "") + ":";
    var a = document.createElement("a");
    a.className = "cx-alert__link";
    a.href = localHref(String(item.url || ""), siteUrl);
    a.textContent = String(item.title || "");
    p.appendChild(label);
    p.appendChild(document.createTextNode(" "));
    p.appendChild(a);
    if (item.priority !== "khan-cap") {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cx-alert__hide";
      button.textContent = "Ẩn";
      var sr = document.createElement("span");
      sr.className = "cx-sr";
      sr.textContent = " thông báo này";
      button.appendChild(sr);
      p.appendChild(document.createTextNode(" "));
      p.appendChild(button);
    }
    el.appendChild(p);
    wire(el);
    return el;
  }
  // Drop what has expired; hide what the reader hid; wake up at the next expiry.
  function prune() {
    var now = Date.now();
    var hidden = hiddenIds();
    var next = Infinity;
    Array.prototype.forEach.call(box.querySelectorAll(".cx-alert"), function (el) {
      var at = expiresAt(el.getAttribute("data-expires"));
      if (at <= now) { el.remove(); return; }
      next = Math.min(next, at);
      if (!el.classList.contains("cx-alert--khan-cap") && hidden.indexOf(el.getAttribute("data-id")) >= 0) el.hidden = true;
    });
    clearTimeout(expiryTimer);
    if (next !== Infinity) {
      // Long waits are split: browsers cap a timer at 24.8 days.
      expiryTimer = setTimeout(prune, Math.min(next - now + 50, 3600000));
    }
  }
  function apply(data) {
    if (!data || !Array.isArray(data.items)) return;
    var now = Date.now();
    var wanted = data.items.filter(function (i) {
      return i && typeof i.id === "string" && i.priority in PRIORITIES && expiresAt(i.expires) > now;
    });
    var ids = wanted.map(function (i) { return i.id; });
    var current = {};
    Array.prototype.forEach.call(box.querySelectorAll(".cx-alert"), function (el) {
      var id = el.getAttribute("data-id");
      if (ids.indexOf(id) < 0) el.remove(); else current[id] = el;
    });
    // Only new items are inserted: the live region announces each of them once.
    var previous = null;
    wanted.forEach(function (item) {
      var el = current[item.id];
      if (!el) {
        el = build(item, typeof data.site_url === "string" ? data.site_url : "");
        box.insertBefore(el, previous ? previous.nextSibling : box.firstChild);
      } else {
        el.setAttribute("data-expires", item.expires || "");
      }
      previous = el;
    });
    prune();
  }
  function poll() {
    if (inFlight || document.visibilityState === "hidden") return;
    inFlight = true;
    fetch(src, { cache: "no-cache", credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(apply)
      .catch(function () { /* offline: keep what the page shows, expiry still applies */ })
      .then(function () { inFlight = false; });
  }
  function schedule() {
    clearInterval(pollTimer);
    pollTimer = setInterval(poll, POLL);
  }
  Array.prototype.forEach.call(box.querySelectorAll(".cx-alert"), wire);
  prune();
  poll();
  schedule();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { poll(); schedule(); prune(); }
  });
})();
