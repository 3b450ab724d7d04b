// Real-browser checks of congxa pages served by nginx: accessibility (axe-core, WCAG 2.1
// A+AA), keyboard reach, CSP, requests that leave the host, no horizontal scroll at 360 px,
// print stylesheet, screenshots, search with and without diacritics, and page weight.
//
// Usage: node run.mjs config.json   (written by test_browser.py; see there for the fields)
// Writes one JSON report to config.output; never decides pass/fail itself: pytest asserts.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
// A second engine: HTML_CodeSniffer's WCAG 2 AA standard, errors only (not warnings/notices).
const htmlcsSource = fs.readFileSync(require.resolve("html_codesniffer/build/HTMLCS.js"), "utf8");
const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 360, height: 740 };

// Our hosts resolve to nginx on 127.0.0.1; every other name fails to resolve, so nothing
// can leave the machine even if a page tried (the request is still recorded and reported).
const resolverRules = cfg.hosts.map((h) => `MAP ${h} 127.0.0.1`).concat(["MAP * ~NOTFOUND"]).join(", ");

const browser = await chromium.launch({
  executablePath: cfg.executable,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    // The test's certificates come from a throwaway CA: trust exactly their keys (unlike
    // --ignore-certificate-errors, responses stay cacheable, so the weight test holds).
    `--ignore-certificate-errors-spki-list=${cfg.spki.join(",")}`,
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--host-resolver-rules=${resolverRules}`,
  ],
});

// Every context records requests, CSP violations and script errors.
async function newContext(viewport, extra = {}) {
  const context = await browser.newContext({ viewport, locale: "vi-VN", ...extra });
  const log = { requests: [], errors: [] };
  // Console errors count too: a failed request ("Failed to load resource") or a CSP report.
  context.on("console", (msg) => { if (msg.type() === "error") log.errors.push(`console: ${msg.text()} (${msg.location().url})`); });
  context.on("request", (req) => log.requests.push({ url: req.url(), page: req.frame()?.page()?.url?.() ?? null }));
  context.on("weberror", (err) => log.errors.push(`pageerror: ${err.error().message}`));
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return { context, log };
}

function offHost(requests, host) {
  return requests
    .map((r) => r.url)
    .filter((u) => !u.startsWith("data:") && !u.startsWith("blob:") && !u.startsWith("about:"))
    .filter((u) => new URL(u).hostname !== host);
}

async function collectErrors(page, log) {
  const csp = await page.evaluate(() => window.__cspViolations || []);
  return { csp, errors: [...log.errors] };
}

async function runAxe(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 200), summary: n.failureSummary })),
    }));
  }, AXE_TAGS);
  return result;
}

async function runHtmlcs(page) {
  await page.evaluate(htmlcsSource);
  return page.evaluate(() => new Promise((resolve) => {
    window.HTMLCS.process("WCAG2AA", document, () => {
      resolve(window.HTMLCS.getMessages()
        .filter((m) => m.type === window.HTMLCS.ERROR)
        .map((m) => ({ code: m.code, msg: m.msg.slice(0, 200), html: (m.element.outerHTML || "").slice(0, 200) })));
    }, () => resolve([{ code: "htmlcs-failed", msg: "HTML_CodeSniffer did not run", html: "" }]), "en");
  }));
}

// Tab through the page from the top; what got focus, and whether it showed a focus ring.
async function tabWalk(page, limit) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const measure = () => page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const ring = (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== "none";
    const r = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(), cls: el.className && String(el.className), id: el.id || null,
      href: el.getAttribute("href"), text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60),
      ring,
      // On screen: a focused element the reader cannot see is a trap (WCAG 2.4.7).
      visible: r.width > 0 && r.height > 0 && cs.visibility !== "hidden" && r.right > 0 && r.left < innerWidth,
      search: el.matches(".md-search__input"),
      nav: !!el.closest(".md-nav--primary"),
    };
  });
  const seen = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    let info = await measure();
    if (info === null) break;
    if (!info.visible || (info.nav && !(seen.at(-1) || {}).nav)) {
      // Drawers and overlays slide in (.25 s in Material): measure once they have arrived.
      await page.waitForTimeout(400);
      info = await measure();
      if (info === null) break;
    }
    const key = `${info.tag}|${info.id}|${info.href}|${info.text}`;
    if (seen.length && seen[0].key === key) break;
    seen.push({ key, ...info });
  }
  return seen;
}

async function menuLinks(page) {
  return page.evaluate(() => [...document.querySelectorAll(".md-nav--primary > .md-nav__list > .md-nav__item > a.md-nav__link, .md-nav--primary > .md-nav__list > .md-nav__item > .md-nav__link > a")]
    .map((a) => a.getAttribute("href"))
    // The current page's own entry ("./") gives way to its table of contents on a phone.
    .filter((h) => h !== "./"));
}

async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scroll = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    const offenders = [];
    if (scroll > width) {
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        if (r.right > width + 1 && r.width > 0) {
          // Content inside its own scrolling box (wide tables) does not scroll the page.
          let p = el.parentElement, clipped = false;
          while (p && p !== document.body) {
            const o = getComputedStyle(p).overflowX;
            if (o === "auto" || o === "scroll" || o === "hidden") { clipped = true; break; }
            p = p.parentElement;
          }
          if (!clipped) offenders.push(`${el.tagName.toLowerCase()}.${String(el.className).split(" ")[0]} right=${Math.round(r.right)}`);
        }
        if (offenders.length >= 10) break;
      }
    }
    return { width, scroll, offenders };
  });
}

// The cells of congxa's data tables as laid out: width, display and the label shown before.
async function tableCells(page) {
  return page.evaluate(() => [...document.querySelectorAll(".cx-table td")].map((td) => {
    const cs = getComputedStyle(td);
    const th = td.closest("table").querySelector("thead th");
    return {
      label: td.dataset.label || null,
      text: td.textContent.trim().slice(0, 60),
      width: Math.round(td.getBoundingClientRect().width),
      display: cs.display,
      before: getComputedStyle(td, "::before").content,
      border: parseFloat(cs.borderTopWidth),
      headerBackground: th ? getComputedStyle(th).backgroundColor : null,
      // Lines the cell's text takes (a badge or a date broken inside takes two).
      lines: (() => {
        const range = document.createRange();
        range.selectNodeContents(td);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
        if (!rects.length) return 0;
        const span = Math.max(...rects.map((r) => r.bottom)) - Math.min(...rects.map((r) => r.top));
        return Math.round(span / parseFloat(cs.lineHeight));
      })(),
    };
  }));
}

// The worst a clerk can type: a document number and a title without a single space.
async function stressTable(page) {
  await page.evaluate(() => {
    const cells = document.querySelectorAll(".cx-documents tbody tr:first-child td");
    cells[0].textContent = "12345/QĐ-UBND-" + "VPHĐNDUBNDTCKHĐTXDGTVT".repeat(6);
    cells[3].querySelector("a").textContent = "Quychếtiếpcôngdân".repeat(12);
  });
  const overflow = await horizontalOverflow(page);
  const table = await page.evaluate(() => {
    const t = document.querySelector(".cx-documents").getBoundingClientRect();
    const c = document.querySelector(".md-content").getBoundingClientRect();
    return { right: Math.round(t.right), contentRight: Math.round(c.right) };
  });
  return { ...overflow, ...table };
}

async function printCheck(page) {
  await page.emulateMedia({ media: "print" });
  const r = await page.evaluate(() => {
    const shown = (sel) => [...document.querySelectorAll(sel)].some((el) => {
      const cs = getComputedStyle(el); const rect = el.getBoundingClientRect();
      return cs.display !== "none" && cs.visibility !== "hidden" && rect.width > 0 && rect.height > 0;
    });
    const nav = [".md-header", ".md-tabs", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-search", ".md-footer__inner", ".md-top"];
    const meta = document.querySelector(".cx-print-meta");
    const metaShown = meta ? getComputedStyle(meta).display !== "none" : false;
    return { navShown: nav.filter(shown), metaShown, metaText: meta ? meta.textContent.trim() : null };
  });
  await page.emulateMedia({ media: "screen" });
  return r;
}

function shot(name, suffix) {
  fs.mkdirSync(cfg.artifacts, { recursive: true });
  return path.join(cfg.artifacts, `${name}-${suffix}.png`);
}

const report = { pages: {}, search: [], weight: null };

// --- Every page: desktop (axe, keyboard, print, screenshot), then mobile (overflow, screenshot).
const desk = await newContext(DESKTOP);
const mob = await newContext(MOBILE, { isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
for (const p of cfg.pages) {
  const host = new URL(p.url).hostname;
  const out = { url: p.url };
  desk.log.requests.length = 0; desk.log.errors.length = 0;
  const page = await desk.context.newPage();
  const resp = await page.goto(p.url, { waitUntil: "networkidle" });
  out.status = resp.status();
  out.headers = await resp.allHeaders();
  out.cells = await tableCells(page);
  out.lang = await page.evaluate(() => document.documentElement.lang);
  out.langParts = await page.evaluate(() => [...new Set([...document.querySelectorAll("body [lang]")].map((e) => e.lang))]);
  // Screenshots first, before keyboard walks open drawers or move the scroll position.
  await page.screenshot({ path: shot(p.name, "1280x800"), fullPage: true });
  out.axe = await runAxe(page);
  out.htmlcs = await runHtmlcs(page);
  if (p.unit) {
    const walk = await tabWalk(page, 250);
    const menu = await menuLinks(page);
    const focusedHrefs = new Set(walk.filter((w) => w.nav).map((w) => w.href));
    out.keyboard = {
      stops: walk.length,
      search: walk.some((w) => w.search),
      menu: menu.length,
      menuMissed: menu.filter((h) => !focusedHrefs.has(h)),
      noRing: walk.filter((w) => w.visible && !w.ring).map((w) => `${w.tag}.${(w.cls || "").split(" ")[0]} ${w.text}`),
      skipLinkFirst: walk.length > 0 && (walk[0].cls || "").includes("md-skip"),
    };
    out.print = await printCheck(page);
  }
  if (p.stress) out.stress = await stressTable(page);
  if (p.pdf) await page.pdf({ path: path.join(cfg.artifacts, `${p.name}.pdf`), format: "A4" });
  Object.assign(out, await collectErrors(page, desk.log));
  out.offHost = offHost(desk.log.requests, host);
  await page.close();

  mob.log.requests.length = 0; mob.log.errors.length = 0;
  const m = await mob.context.newPage();
  await m.goto(p.url, { waitUntil: "networkidle" });
  out.mobile = await horizontalOverflow(m);
  out.mobile.cells = await tableCells(m);
  await m.screenshot({ path: shot(p.name, "360x740"), fullPage: true });
  if (p.unit) {
    // On a phone the menu sits in a drawer and the search in an overlay: Tab must reach
    // both, and whatever takes focus must be on screen.
    const walk = await tabWalk(m, 60);
    const menu = await menuLinks(m);
    const focused = new Set(walk.filter((w) => w.nav).map((w) => w.href));
    out.mobile.keyboard = {
      search: walk.some((w) => w.search && w.visible),
      menuMissed: menu.filter((h) => !focused.has(h)),
      hiddenFocus: walk.filter((w) => !w.visible).map((w) => `${w.tag}.${(w.cls || "").split(" ")[0]} ${w.text}`),
    };
  }
  Object.assign(out.mobile, await collectErrors(m, mob.log));
  if (p.stress) out.mobile.stress = await stressTable(m);
  out.mobile.offHost = offHost(mob.log.requests, host);
  await m.close();
  report.pages[p.name] = out;
}
await mob.context.close();

// --- Search, typed with the keyboard into Material's search box, as a reader would.
for (const s of cfg.searches) {
  const page = await desk.context.newPage();
  await page.goto(s.url, { waitUntil: "networkidle" });
  let hrefs = [];
  try {
    await page.focus(".md-search__input", { timeout: 5000 });
    await page.keyboard.type(s.query, { delay: 10 });
    await page.waitForFunction(() => document.querySelectorAll(".md-search-result__item").length > 0, null, { timeout: 8000 });
    await page.waitForTimeout(300);
    hrefs = await page.evaluate(() => [...document.querySelectorAll(".md-search-result__item a")].map((a) => a.href));
  } catch (err) { s.error = String(err).slice(0, 300); }
  const titles = await page.evaluate(() => [...document.querySelectorAll(".md-search-result__item h1, .md-search-result__item h2")].slice(0, 5).map((h) => h.textContent.trim()));
  await page.screenshot({ path: shot(`search-${s.name}`, "1280x800") });
  report.search.push({ ...s, hrefs, titles, found: hrefs.some((h) => h.includes(s.expect)) });
  await page.close();
}
await desk.context.close();

// --- Weight: bytes on the wire (after gzip) for a post, cold and with assets cached.
async function bytesFor(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const sizes = new Map();
  const urls = new Map();
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => sizes.set(e.requestId, e.encodedDataLength));
  await page.goto(url, { waitUntil: "networkidle" });
  await page.waitForTimeout(300);
  const list = [...sizes.entries()].map(([id, n]) => ({ url: urls.get(id), bytes: n }));
  await page.close();
  return { total: list.reduce((a, b) => a + b.bytes, 0), requests: list };
}
{
  const { context, log } = await newContext(DESKTOP);
  const cold = await bytesFor(context, cfg.weight.post);
  await bytesFor(context, cfg.weight.warm);
  const cached = await bytesFor(context, cfg.weight.other);
  report.weight = { cold, cached, offHost: offHost(log.requests, new URL(cfg.weight.post).hostname), seen: log.requests.map((r) => r.url) };
  await context.close();
}

await browser.close();
fs.writeFileSync(cfg.output, JSON.stringify(report, null, 2));
