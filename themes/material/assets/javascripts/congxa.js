/* congxa: Material's inline bootstrap, moved to a file so the Content-Security-Policy
   needs no 'unsafe-inline' (generator/serving.py). Same globals, same behaviour. */
(function () {
  var script = document.currentScript;
  var scope = (script && script.getAttribute("data-scope")) || ".";
  window.__md_scope = new URL(scope, location);
  window.__md_hash = function (e) {
    return Array.from(e).reduce(function (h, c) { return (h << 5) - h + c.charCodeAt(0); }, 0);
  };
  window.__md_get = function (e, store, base) {
    store = store || localStorage; base = base || window.__md_scope;
    return JSON.parse(store.getItem(base.pathname + "." + e));
  };
  window.__md_set = function (e, value, store, base) {
    store = store || localStorage; base = base || window.__md_scope;
    try { store.setItem(base.pathname + "." + e, JSON.stringify(value)); } catch (err) { /* full or private */ }
  };
  document.addEventListener("DOMContentLoaded", function () {
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.name) target.checked = target.name.indexOf("__tabbed_") === 0;

    // Material makes the search results box a Tab stop even when it is empty; leaving the
    // empty search box then closes the search and leaves focus on an invisible box (on a
    // phone). Make the box a Tab stop only while it lists results (WCAG 2.4.3, 2.4.7).
    var wrap = document.querySelector(".md-search__scrollwrap");
    var list = document.querySelector(".md-search-result__list");
    if (wrap && list) {
      var sync = function () { wrap.tabIndex = list.children.length > 0 ? 0 : -1; };
      new MutationObserver(sync).observe(list, { childList: true });
      sync();
    }
  });
})();
