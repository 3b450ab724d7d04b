// Does any field value run, navigate or add an element? Visits pages built from hostile
// commune files and posts (see test_injection.py) in Debian's Chromium, twice: once with
// the site's Content-Security-Policy (a blocked attempt still shows as a violation) and
// once with CSP bypassed (an attempt that would run calls window.__pwn).
//
// Usage: node inject.mjs config.json   (config: executable, hosts, pages, output)
// Writes one JSON report; pytest decides pass/fail.
import fs from "node:fs";
import { chromium } from "playwright-core";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const resolverRules = cfg.hosts.map((h) => `MAP ${h} 127.0.0.1`).concat(["MAP * ~NOTFOUND"]).join(", ");
const browser = await chromium.launch({
  executablePath: cfg.executable,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    `--host-resolver-rules=${resolverRules}`,
  ],
});

async function visit(context, url) {
  const page = await context.newPage();
  const requests = [];
  const navigations = [];
  const dialogs = [];
  page.on("request", (req) => requests.push(req.url()));
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on("framenavigated", (frame) => navigations.push(frame.url()));
  let status = null;
  try {
    const response = await page.goto(url, { waitUntil: "load", timeout: 15000 });
    status = response ? response.status() : null;
  } catch (err) {
    // An upload sent as an attachment is downloaded, never rendered.
    status = /Download is starting/.test(err.message) ? "download" : `error: ${err.message.split("\n")[0]}`;
  }
  // A refresh of 0 s, an onerror of a broken image, a timer: give each time to happen.
  await page.waitForTimeout(cfg.settle ?? 300);
  let found = { pwned: ["page gone"], marked: -1, jsLinks: -1, extraMeta: -1, csp: [], url: page.url() };
  try {
    found = await page.evaluate(() => ({
      pwned: window.__pwned || [],
      marked: document.querySelectorAll("[data-pwn]").length,
      jsLinks: document.querySelectorAll('[href^="javascript:" i], [src^="javascript:" i]').length,
      extraMeta: document.querySelectorAll("meta[http-equiv], base, iframe, object, embed, frame").length,
      csp: window.__cspViolations || [],
      url: location.href,
    }));
  } catch (err) {
    found.pwned = [`evaluate failed: ${err.message.split("\n")[0]}`];
  }
  await page.close();
  const host = new URL(url).hostname;
  return {
    ...found, url, final: found.url, status, dialogs,
    navigations: navigations.filter((u) => u !== url && u !== "about:blank"),
    offHost: requests.filter((u) => /^https?:/.test(u) && new URL(u).hostname !== host),
  };
}

const report = { enforced: [], bypassed: [] };
for (const [mode, bypassCSP] of [["enforced", false], ["bypassed", true]]) {
  const context = await browser.newContext({ bypassCSP, locale: "vi-VN" });
  await context.addInitScript(() => {
    window.__pwned = [];
    window.__pwn = (n) => window.__pwned.push(String(n));
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  for (const url of cfg.pages) report[mode].push(await visit(context, url));
  await context.close();
}
await browser.close();
fs.writeFileSync(cfg.output, JSON.stringify(report, null, 2));
