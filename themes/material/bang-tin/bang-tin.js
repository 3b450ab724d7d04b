/* congxa: the public electronic bulletin board (bảng tin điện tử công cộng).

   A full-screen page for a TV driven by a browser in kiosk mode. Slides rotate: active
   `khan-cap` items first (a new one interrupts whatever is showing), then `uu-tien`, then
   `thuong`, then the latest notices and news. Text too long for one slide continues on
   the next ("trang 1/3"), never cut. Data: the JSON named by data-src on <body>
   (feeds/thiet-yeu.json, schema congxa-thiet-yeu/1), read every 60 s; the last good copy
   is kept in localStorage, so the board keeps showing it (with a "mất kết nối" note) while
   the server or network is down, drops items as they expire by its own clock, and
   recovers by itself. sw.js keeps the page itself available offline.

   Settings: data-giay (seconds per slide) and data-huong (auto | landscape | portrait)
   from congxa.yml, overridden by the URL query: ?giay=12&huong=doc (doc = portrait,
   ngang = landscape). All text is set with textContent; nothing from the data is parsed as
   HTML. */
(function () {
  "use strict";
  var body = document.body;
  var main = document.getElementById("cx-b-main");
  var clock = document.getElementById("cx-b-clock");
  var note = document.getElementById("cx-b-note");
  var count = document.getElementById("cx-b-count");
  if (!main || !clock || !note || !count) return;

  var POLL = 60000;
  var VN_OFFSET = 7 * 3600000; // Viet Nam: UTC+07:00 all year
  var RANK = { "khan-cap": 0, "uu-tien": 1, "thuong": 2 };
  var DAYS = ["Chủ Nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
  var STORE = "congxa.bang-tin:" + location.pathname;
  var src = body.getAttribute("data-src") || "../feeds/thiet-yeu.json";
  var query = new URLSearchParams(location.search);
  var seconds = clamp(parseInt(query.get("giay") || body.getAttribute("data-giay"), 10) || 12, 5, 120);
  var orientation = { doc: "portrait", ngang: "landscape", portrait: "portrait", landscape: "landscape", auto: "auto" }[
    query.get("huong") || body.getAttribute("data-huong") || "auto"] || "auto";

  var state = { data: null, at: 0, online: true, key: "", urgent: {} };
  var slides = [];
  var index = 0;
  var timers = { slide: 0, poll: 0, clock: 0, expiry: 0 };
  var fetching = false;
  var prefetched = {};

  function clamp(n, lo, hi) { return Math.max(lo, Math.min(hi, n)); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function vn(ms) { return new Date(ms + VN_OFFSET); }
  function hhmm(ms) { var d = vn(ms); return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()); }
  function ddmmyyyy(ms) { var d = vn(ms); return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear(); }
  function expiresAt(item) {
    var t = item && item.expires ? Date.parse(item.expires) : NaN;
    return isNaN(t) ? Infinity : t;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function str(v) { return typeof v === "string" ? v : ""; }

  // --- Data: validated before use; anything malformed is ignored, never shown broken.
  function valid(doc) {
    return doc && typeof doc === "object" && typeof doc.schema === "string" &&
      doc.schema.indexOf("congxa-thiet-yeu/") === 0 && Array.isArray(doc.items) && Array.isArray(doc.latest);
  }
  function restore() {
    try {
      var saved = JSON.parse(localStorage.getItem(STORE) || "null");
      if (saved && valid(saved.data) && typeof saved.at === "number") return saved;
    } catch (e) { /* unreadable: fall back to the page's own copy */ }
    return null;
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify({ data: state.data, at: state.at })); } catch (e) { /* full */ }
  }
  function embedded() {
    var node = document.getElementById("cx-b-data");
    try { var doc = JSON.parse(node ? node.textContent : "null"); return valid(doc) ? doc : null; } catch (e) { return null; }
  }

  // A file of this site as the board should load it: from the server the board itself was
  // loaded from (the JSON names the public https addresses).
  function localUrl(url, item) {
    url = str(url);
    var d = state.data || {};
    var unit = item && item.unit && typeof item.unit === "object" ? item.unit : null;
    if (unit && str(unit.site_url) && url.indexOf(unit.site_url) === 0 && /^[A-Za-z0-9_-]+\/$/.test(str(unit.path))) {
      return "../" + unit.path + url.slice(unit.site_url.length);
    }
    if (str(d.site_url) && url.indexOf(d.site_url) === 0) return "../" + url.slice(d.site_url.length);
    return null; // elsewhere: not loaded (no third-party requests)
  }
  function qrUrl(item) {
    var name = str(item.qr).split("/").pop();
    return /^[0-9a-f]{16}\.svg$/.test(name) ? "qr/" + name : null;
  }
  function imageUrl(item) {
    return item.image && typeof item.image === "object" ? localUrl(item.image.url, item) : null;
  }

  // --- Slides
  function active(now) {
    var d = state.data;
    if (!d) return { items: [], latest: [] };
    var items = d.items.filter(function (i) { return i && typeof i.id === "string" && expiresAt(i) > now && i.priority in RANK; });
    items.sort(function (a, b) { return RANK[a.priority] - RANK[b.priority]; }); // stable: keeps the JSON's order within a rank
    var latest = d.latest.filter(function (i) { return i && typeof i.id === "string"; });
    return { items: items, latest: latest };
  }
  function kicker(item, kind) {
    var parts = [];
    var d = state.data || {};
    if (kind === "item") parts.push(str(item.priority_title), str(item.category_title));
    else parts.push(str(item.section_title) || "Tin mới");
    if (d.scope === "province") {
      var unit = item.province_wide ? str((d.province || {}).name) : str((item.unit || {}).name);
      if (unit) parts.unshift(unit);
    }
    return parts.filter(Boolean).join(" · ");
  }
  function tokens(text) {
    var out = [];
    str(text).split(/\s+/).forEach(function (w) {
      if (!w) return;
      // A very long "word" (a URL, hostile text) is cut into pieces that can wrap.
      for (var i = 0; i < w.length; i += 30) out.push(w.slice(i, i + 30));
    });
    return out;
  }
  function render(spec, from, n, page, pages) {
    var article = el("article", "cx-b-slide cx-b-slide--" + spec.tone);
    article.setAttribute("data-id", spec.id);
    article.setAttribute("data-page", String(page));
    article.setAttribute("data-pages", String(pages));
    var text = el("div", "cx-b-slide__text");
    text.appendChild(el("p", "cx-b-slide__kicker", spec.kicker));
    var title = [], rest = [];
    for (var i = from; i < from + n && i < spec.words.length; i++) {
      (i < spec.titleLength ? title : rest).push(spec.words[i]);
    }
    if (title.length) text.appendChild(el("h2", "cx-b-slide__title", title.join(" ")));
    else text.appendChild(el("h2", "cx-b-slide__title cx-b-slide__title--cont", spec.shortTitle + " (tiếp)"));
    if (rest.length) text.appendChild(el("p", "cx-b-slide__body", rest.join(" ")));
    text.appendChild(el("p", "cx-b-slide__more", pages > 1 ? "Trang " + page + "/" + pages + (page < pages ? " · còn tiếp" : "") : ""));
    article.appendChild(text);
    var aside = el("div", "cx-b-slide__aside");
    if (spec.image && page === 1) {
      var img = el("img", "cx-b-slide__img");
      img.alt = spec.imageAlt;
      img.addEventListener("error", function () { img.remove(); });
      img.src = spec.image;
      aside.appendChild(img);
    }
    if (spec.qr) {
      var figure = el("figure", "cx-b-slide__qr");
      var code = el("img");
      code.alt = "Mã QR dẫn tới bài viết";
      code.addEventListener("error", function () { figure.remove(); });
      code.src = spec.qr;
      figure.appendChild(code);
      figure.appendChild(el("figcaption", "", "Quét mã để đọc toàn văn"));
      aside.appendChild(figure);
    }
    if (aside.childNodes.length) article.appendChild(aside);
    return article;
  }
  // Split one item into as many slides as its text needs, measured in the real layout.
  function paginate(spec) {
    var probe = el("div", "cx-b-probe");
    probe.setAttribute("aria-hidden", "true");
    main.appendChild(probe);
    function fits(from, n) {
      probe.textContent = "";
      var article = render(spec, from, n, 9, 9);
      probe.appendChild(article);
      var text = article.firstChild;
      return text.scrollHeight <= text.clientHeight + 1 && text.scrollWidth <= text.clientWidth + 1;
    }
    var cuts = [];
    var from = 0;
    var total = spec.words.length;
    while (from < total && cuts.length < 30) {
      var lo = 1, hi = total - from;
      if (!fits(from, hi)) {
        while (lo < hi) {
          var mid = Math.ceil((lo + hi) / 2);
          if (fits(from, mid)) lo = mid; else hi = mid - 1;
        }
      } else lo = hi;
      cuts.push([from, lo]);
      from += lo;
    }
    if (from < total) cuts.push([from, total - from]); // pathological text: last slide holds the rest
    probe.remove();
    if (!cuts.length) cuts.push([0, 0]);
    return cuts.map(function (c, i) {
      return { id: spec.id, tone: spec.tone, spec: spec, from: c[0], n: c[1], page: i + 1, pages: cuts.length };
    });
  }
  function specFor(item, kind) {
    var title = tokens(item.title);
    var summary = tokens(item.summary);
    return {
      id: item.id,
      tone: kind === "item" ? item.priority : "tin",
      kicker: kicker(item, kind),
      words: title.concat(summary),
      titleLength: title.length,
      shortTitle: title.slice(0, 8).join(" ") + (title.length > 8 ? "…" : ""),
      image: imageUrl(item),
      imageAlt: item.image && typeof item.image === "object" ? str(item.image.alt) : "",
      qr: qrUrl(item),
    };
  }
  function rebuild() {
    var now = Date.now();
    var a = active(now);
    var list = [];
    a.items.forEach(function (i) { list = list.concat(paginate(specFor(i, "item"))); });
    a.latest.forEach(function (i) { list = list.concat(paginate(specFor(i, "latest"))); });
    if (!list.length) {
      list.push({ id: "", tone: "tin", spec: { id: "", tone: "tin", kicker: "", words: tokens("Hiện không có thông tin thiết yếu."), titleLength: 6, shortTitle: "", image: null, imageAlt: "", qr: null }, from: 0, n: 6, page: 1, pages: 1 });
    }
    var current = slides[index];
    slides = list;
    index = 0;
    if (current) {
      for (var k = 0; k < slides.length; k++) {
        if (slides[k].id === current.id && slides[k].page === current.page) { index = k; break; }
      }
    }
    scheduleExpiry(a.items);
  }
  function show(i) {
    clearTimeout(timers.slide);
    index = slides.length ? ((i % slides.length) + slides.length) % slides.length : 0;
    var s = slides[index];
    main.textContent = "";
    if (s) main.appendChild(render(s.spec, s.from, s.n, s.page, s.pages));
    body.setAttribute("data-tone", s ? s.tone : "tin");
    count.textContent = slides.length > 1 ? (index + 1) + "/" + slides.length : "";
    timers.slide = setTimeout(function () { show(index + 1); }, seconds * 1000);
  }
  // An item leaves the screen the moment it expires, by this board's clock.
  function scheduleExpiry(items) {
    clearTimeout(timers.expiry);
    var now = Date.now();
    var next = Infinity;
    items.forEach(function (i) { next = Math.min(next, expiresAt(i)); });
    if (next === Infinity) return;
    timers.expiry = setTimeout(function () {
      rebuild();
      show(index);
    }, Math.min(Math.max(next - now, 0) + 20, 3600000));
  }

  // --- Clock and connection note
  function tick() {
    var now = Date.now();
    var d = vn(now);
    clock.textContent = DAYS[d.getUTCDay()] + ", " + ddmmyyyy(now) + " · " + hhmm(now);
    clearTimeout(timers.clock);
    timers.clock = setTimeout(tick, 60000 - (now % 60000) + 20);
  }
  function showNote() {
    if (state.online) { note.textContent = ""; note.hidden = true; return; }
    var when = hhmm(state.at);
    if (ddmmyyyy(state.at) !== ddmmyyyy(Date.now())) when += " ngày " + ddmmyyyy(state.at);
    note.textContent = "Mất kết nối, dữ liệu lúc " + when;
    note.hidden = false;
  }

  // --- Polling
  function prefetch() {
    // Ask for every slide's images now, while the server answers: sw.js keeps them for
    // the hours it may not.
    var d = state.data;
    d.items.concat(d.latest).forEach(function (item) {
      [qrUrl(item), imageUrl(item)].forEach(function (u) {
        if (u && !prefetched[u]) { prefetched[u] = true; fetch(u).catch(function () { prefetched[u] = false; }); }
      });
    });
  }
  function accept(doc) {
    var key = JSON.stringify(doc);
    var fresh = doc.items.filter(function (i) {
      return i && i.priority === "khan-cap" && typeof i.id === "string" && !state.urgent[i.id] && expiresAt(i) > Date.now();
    });
    state.data = doc;
    state.at = Date.now();
    state.online = true;
    save();
    showNote();
    prefetch();
    if (key === state.key) return;
    state.key = key;
    rebuild();
    if (fresh.length) {
      fresh.forEach(function (i) { state.urgent[i.id] = true; });
      for (var k = 0; k < slides.length; k++) {
        if (slides[k].id === fresh[0].id) { show(k); return; }
      }
    }
    show(index);
  }
  function poll() {
    clearTimeout(timers.poll);
    timers.poll = setTimeout(poll, POLL);
    if (fetching) return;
    fetching = true;
    fetch(src, { cache: "no-cache", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (doc) { if (!valid(doc)) throw new Error("invalid"); accept(doc); })
      .catch(function () {
        // Keep showing the last good data; expired items still leave on time
        // (scheduleExpiry), and the next poll tries again.
        state.online = false;
        showNote();
      })
      .then(function () { fetching = false; });
  }

  // --- Layout: the board's shape follows the screen, or a setting turns it.
  function layout() {
    var wide = innerWidth >= innerHeight;
    var rotate = (orientation === "portrait" && wide) || (orientation === "landscape" && !wide);
    var root = document.documentElement;
    root.classList.toggle("cx-b--rotate", rotate);
    root.classList.toggle("cx-b--portrait", rotate ? wide : !wide);
    root.classList.toggle("cx-b--landscape", rotate ? !wide : wide);
  }

  function start() {
    layout();
    var saved = restore();
    var doc = embedded();
    if (saved) { state.data = saved.data; state.at = saved.at; state.key = JSON.stringify(saved.data); }
    else if (doc) { state.data = doc; state.at = Date.now(); state.key = JSON.stringify(doc); }
    if (state.data) {
      state.data.items.forEach(function (i) { if (i && i.priority === "khan-cap" && typeof i.id === "string") state.urgent[i.id] = true; });
    }
    body.classList.add("cx-b--live");
    tick();
    showNote();
    rebuild();
    show(0);
    poll();
    var resized = 0;
    addEventListener("resize", function () {
      clearTimeout(resized);
      resized = setTimeout(function () { layout(); rebuild(); show(index); }, 300);
    });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("sw.js").catch(function () { /* not available: the page still works online */ });
    }
  }
  start();
})();
