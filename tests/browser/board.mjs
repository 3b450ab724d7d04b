// Real-browser checks of the emergency banner and the bulletin boards (issue 12), on a
// copy of the demo served by nginx, with Playwright's clock (the product has no test
// switches). Steps that need the server changed (rebuild, stop, start) are asked of
// test_board.py on stdout ({"step": name}) and acknowledged on stdin ("done").
//
// Usage: node board.mjs config.json   (written by test_board.py; see there for the fields)
// Writes one JSON report to config.output; never decides pass/fail itself: pytest asserts.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const SIZES = [[1920, 1080], [1366, 768], [1080, 1920]];
const report = { requests: [], errors: [], csp: [] };
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function step(name) {
  process.stdout.write(JSON.stringify({ step: name }) + "\n");
  const answer = await lines.next();
  if (answer.value !== "done") throw new Error(`step ${name}: ${answer.value}`);
}
const t0 = Date.now();
const log = (msg) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Wait in real time (the page's own timers are fake) until fn(arg) is truthy.
async function until(page, fn, arg, ms = 8000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() > end) return v;
    await sleep(50);
  }
}
const origins = cfg.hosts.map((h) => `http://${h}:${cfg.port}`);
const browser = await chromium.launch({
  executablePath: cfg.executable,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--host-resolver-rules=${cfg.hosts.map((h) => `MAP ${h} 127.0.0.1`).concat(["MAP * ~NOTFOUND"]).join(", ")}`,
    // The test serves plain http on loopback; a board is served over https, where service
    // workers are available. This makes the test's origins count as secure.
    `--unsafely-treat-insecure-origin-as-secure=${origins.join(",")}`,
  ],
});

async function newContext(width, height) {
  const context = await browser.newContext({ viewport: { width, height }, locale: "vi-VN" });
  context.on("request", (req) => report.requests.push(req.url()));
  context.on("weberror", (err) => report.errors.push(err.error().message));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window.__csp = window.__csp || []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await context.clock.install({ time: cfg.start });
  await context.clock.pauseAt(cfg.start);
  return context;
}
// axe waits on timers: let the clock run while it works, then stop it again.
async function runAxe(page) {
  await page.evaluate(axeSource);
  await page.clock.resume();
  try {
    return await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    }, AXE_TAGS);
  } finally {
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
  }
}
async function csp(page) { report.csp.push(...(await page.evaluate(() => window.__csp || []))); }

// The slide on screen, measured: what it says, whether it fits, its smallest text.
const slideState = () => {
  const slide = document.querySelector(".cx-b-main .cx-b-slide");
  const text = slide && slide.querySelector(".cx-b-slide__text");
  const unit = Math.min(innerWidth, innerHeight) / 1080 * 40;
  let minSlide = Infinity, minAll = Infinity;
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || getComputedStyle(el).visibility === "hidden" || el.closest(".cx-b-probe")) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    minAll = Math.min(minAll, size);
    if (el.closest(".cx-b-slide__text")) minSlide = Math.min(minSlide, size);
  }
  const doc = document.documentElement;
  const head = document.querySelector(".cx-b-head");
  return {
    id: slide ? slide.getAttribute("data-id") : null,
    page: slide ? Number(slide.getAttribute("data-page")) : 0,
    pages: slide ? Number(slide.getAttribute("data-pages")) : 0,
    tone: document.body.getAttribute("data-tone"),
    title: slide ? (slide.querySelector(".cx-b-slide__title") || {}).textContent || "" : "",
    body: slide ? (slide.querySelector(".cx-b-slide__body") || {}).textContent || "" : "",
    kicker: slide ? (slide.querySelector(".cx-b-slide__kicker") || {}).textContent || "" : "",
    qr: slide ? [...slide.querySelectorAll(".cx-b-slide__qr img")].map((i) => i.getAttribute("src")) : [],
    qrLoaded: slide ? [...slide.querySelectorAll(".cx-b-slide__qr img")].every((i) => i.complete && i.naturalWidth > 0) : false,
    fits: !!text && text.scrollHeight <= text.clientHeight + 1 && text.scrollWidth <= text.clientWidth + 1,
    headFits: !!head && head.scrollWidth <= head.clientWidth + 1,
    pageFits: doc.scrollWidth <= innerWidth && doc.scrollHeight <= innerHeight,
    count: (document.getElementById("cx-b-count") || {}).textContent || "",
    note: (document.getElementById("cx-b-note") || {}).textContent || "",
    noteShown: !!document.getElementById("cx-b-note") && !document.getElementById("cx-b-note").hidden,
    clock: (document.getElementById("cx-b-clock") || {}).textContent || "",
    minSlide, minAll, unit,
    pwned: window.__pwned === 1,
    now: Date.now(),
  };
};
const banner = () => ({
  ids: [...document.querySelectorAll("#cx-alerts .cx-alert")].filter((e) => !e.hidden).map((e) => e.getAttribute("data-id")),
  texts: [...document.querySelectorAll("#cx-alerts .cx-alert")].map((e) => e.textContent.replace(/\s+/g, " ").trim()),
  live: document.getElementById("cx-alerts")?.getAttribute("aria-live"),
  mutations: window.__mutations || 0,
  focus: document.activeElement === document.body,
  pwned: window.__pwned === 1,
});

// Every slide of one cycle, stepping the board's clock one slide at a time.
async function cycle(page, seconds) {
  await until(page, () => [...document.querySelectorAll(".cx-b-main img")].every((i) => i.complete) || null, null, 3000);
  const first = await page.evaluate(slideState);
  const total = Number((first.count || "1/1").split("/")[1] || 1);
  const out = [first];
  for (let i = 1; i < total; i++) {
    await page.clock.runFor(seconds * 1000);
    await until(page, () => [...document.querySelectorAll(".cx-b-main img")].every((i) => i.complete) || null, null, 3000);
    out.push(await page.evaluate(slideState));
  }
  await page.clock.runFor(seconds * 1000);
  return out;
}

try {
  // --- One unit, its home page (banner) and its board, on one clock.
  const ctx = await newContext(1920, 1080);
  const home = await ctx.newPage();
  await home.goto(cfg.unitHome, { waitUntil: "networkidle" });
  await home.evaluate(() => {
    window.__mutations = 0;
    new MutationObserver((m) => { window.__mutations += m.length; })
      .observe(document.getElementById("cx-alerts"), { childList: true, subtree: true, characterData: true });
  });
  log('report.bannerStart =');
  report.bannerStart = await home.evaluate(banner);
  report.bannerAxe = await runAxe(home);
  const board = await ctx.newPage();
  await board.goto(cfg.unitBoard, { waitUntil: "networkidle" });
  await until(board, () => !!document.querySelector(".cx-b-main .cx-b-slide"));
  report.serviceWorker = await until(board, () => navigator.serviceWorker?.controller != null || navigator.serviceWorker.ready.then(() => true), null, 8000);
  log('report.cycle =');
  report.cycle = await cycle(board, cfg.seconds);
  report.boardAxe = await runAxe(board);
  await board.screenshot({ path: path.join(cfg.artifacts, "board-unit-clock.png") });

  // The test item expires at cfg.expires: there one second before, gone one second after.
  const t = await home.evaluate(() => Date.now());
  await home.clock.runFor(cfg.expires - 1000 - t);
  log('report.bannerBeforeExpiry =');
  report.bannerBeforeExpiry = await home.evaluate(banner);
  await home.clock.runFor(2000);
  report.bannerAfterExpiry = await home.evaluate(banner);
  report.boardAfterExpiry = await cycle(board, cfg.seconds);

  // A clerk publishes a new khan-cap item: it shows within one poll, on both pages.
  await until(board, () => true);
  const showing = await board.evaluate(slideState);
  log('await step("rebuild");');
  await step("rebuild");
  const mutationsBefore = (await home.evaluate(banner)).mutations;
  await home.clock.runFor(61000);
  report.bannerAfterRebuild = await until(home, (id) => {
    const ids = [...document.querySelectorAll("#cx-alerts .cx-alert")].map((e) => e.getAttribute("data-id"));
    return ids.includes(id) ? true : null;
  }, cfg.newId) && (await home.evaluate(banner));
  report.bannerAfterRebuild = await home.evaluate(banner);
  report.bannerMutationsOnArrival = report.bannerAfterRebuild.mutations - mutationsBefore;
  report.interruptedFrom = showing;
  log('report.interrupt =');
  report.interrupt = await until(board, (id) => document.querySelector(".cx-b-main .cx-b-slide")?.getAttribute("data-id") === id, cfg.newId)
    ? await board.evaluate(slideState) : await board.evaluate(slideState);
  // Announced once: later polls with the same data change nothing in the live region.
  const settled = (await home.evaluate(banner)).mutations;
  await home.clock.runFor(180000);
  await sleep(500);
  report.bannerMutationsLater = (await home.evaluate(banner)).mutations - settled;

  // Idle cost: 60 s of the board's clock (one poll, five slides) run at once. The clock
  // fires the page's timers inside one call, so its wall time bounds their script time;
  // the same call with no time to run gives the call's own overhead.
  await sleep(300);
  let t1 = Date.now();
  await board.clock.runFor(1);
  report.overheadSeconds = (Date.now() - t1) / 1000;
  t1 = Date.now();
  await board.clock.runFor(60000);
  report.idleScriptSeconds = (Date.now() - t1) / 1000;
  await sleep(300);

  // The server goes down: the board keeps its slides, says so, and still drops the new
  // item when it expires (cfg.newExpires) by its own clock.
  log('await step("stop");');
  await step("stop");
  await board.clock.runFor(61000);
  report.offline = await until(board, () => { const n = document.getElementById("cx-b-note"); return n && !n.hidden ? true : null; })
    && (await board.evaluate(slideState));
  report.offline = await board.evaluate(slideState);
  report.offlineCycleBefore = await cycle(board, cfg.seconds);
  const now = await board.evaluate(() => Date.now());
  await board.clock.runFor(cfg.newExpires + 1000 - now);
  log('report.offlineCycleAfter =');
  report.offlineCycleAfter = await cycle(board, cfg.seconds);
  // A board switched on while the server is still down, after one good load.
  const restart = await ctx.newPage();
  let restartStatus = null;
  try {
    const resp = await restart.goto(cfg.unitBoard, { waitUntil: "load", timeout: 10000 });
    restartStatus = resp ? resp.status() : null;
  } catch (err) { restartStatus = String(err).slice(0, 200); }
  await until(restart, () => !!document.querySelector(".cx-b-main .cx-b-slide"));
  await restart.clock.runFor(2000);
  log('report.restart =');
  report.restart = { status: restartStatus, ...(await restart.evaluate(slideState)) };
  await restart.screenshot({ path: path.join(cfg.artifacts, "board-offline.png") });
  // The server comes back: the note goes by itself within one poll.
  log('await step("start");');
  await step("start");
  await board.clock.runFor(61000);
  await until(board, () => document.getElementById("cx-b-note").hidden || null);
  report.recovered = await board.evaluate(slideState);
  // A reader hides the quieter uu-tien strip: it stays hidden on the next page; khan-cap
  // items have no such button.
  report.hideButtons = await home.evaluate(() => [...document.querySelectorAll("#cx-alerts .cx-alert")].map((e) => [e.className, !!e.querySelector(".cx-alert__hide:not([hidden])")]));
  await home.click(".cx-alert--uu-tien .cx-alert__hide");
  report.afterHide = await home.evaluate(banner);
  await home.goto(cfg.unitHome + "lien-he/", { waitUntil: "load" });
  report.afterHideNextPage = await home.evaluate(banner);
  for (const p of [home, board, restart]) await csp(p);
  await ctx.close();

  // Settings from the URL: 30 s per slide, drawn for a portrait screen.
  {
    const c = await newContext(1920, 1080);
    const p = await c.newPage();
    await p.goto(cfg.unitBoard + "?giay=30&huong=doc", { waitUntil: "networkidle" });
    await until(p, () => !!document.querySelector(".cx-b-main .cx-b-slide"));
    const first = await p.evaluate(slideState);
    await p.clock.runFor(29000);
    const same = await p.evaluate(slideState);
    await p.clock.runFor(2000);
    const next = await p.evaluate(slideState);
    const classes = await p.evaluate(() => document.documentElement.className);
    await p.screenshot({ path: path.join(cfg.artifacts, "board-unit-turned.png") });
    report.query = { first, same, next, classes };
    await csp(p);
    await c.close();
  }

  // --- Both boards at the three screen sizes: fit, font sizes, screenshots, axe.
  log('report.sizes = {};');
  report.sizes = {};
  for (const [name, url] of [["unit", cfg.unitBoard], ["province", cfg.provinceBoard]]) {
    for (const [w, h] of SIZES) {
      const c = await newContext(w, h);
      const p = await c.newPage();
      await p.goto(url, { waitUntil: "networkidle" });
      await until(p, () => !!document.querySelector(".cx-b-main .cx-b-slide"));
      await until(p, () => [...document.querySelectorAll(".cx-b-slide__qr img")].every((i) => i.complete) || null);
      const shot = path.join(cfg.artifacts, `board-${name}-${w}x${h}.png`);
      await p.screenshot({ path: shot });
      const slides = await cycle(p, cfg.seconds);
      const entry = { slides, screenshot: shot };
      log(`size ${name} ${w}x${h}`);
      if (w === 1920) entry.axe = await runAxe(p);
      await csp(p);
      report.sizes[`${name}-${w}x${h}`] = entry;
      await c.close();
    }
  }
} catch (err) {
  report.fatal = String(err && err.stack || err);
} finally {
  await browser.close();
  fs.writeFileSync(cfg.output, JSON.stringify(report, null, 2));
}
// stdin stays open for steps: leave explicitly.
process.exit(0);
