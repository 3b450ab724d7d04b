// The audit's index.html on a 360 px phone in Debian's Chromium: width, requests, filter.
// Usage: node report_phone.mjs chromium-path page.html province-code out.json
// Writes what it measured; tests/audit/test_yearly.py asserts.
import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../browser/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const [executable, file, province, output] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: executable,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"],
});
const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "vi-VN" });
const requests = [];
const errors = [];
context.on("request", (r) => requests.push(r.url()));
context.on("weberror", (e) => errors.push(e.error().message));
const page = await context.newPage();
await page.goto("file://" + file);
const visibleRows = () =>
  page.evaluate(() =>
    [...document.querySelectorAll("tr[data-province]")]
      .filter((r) => !r.hidden)
      .map((r) => r.dataset.province),
  );
const result = {
  scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
  clientWidth: await page.evaluate(() => document.documentElement.clientWidth),
  rowsBefore: await visibleRows(),
};
await page.selectOption("#f-province", province);
result.rowsAfter = await visibleRows();
result.aggsShown = await page.evaluate(() =>
  [...document.querySelectorAll("[data-agg]")].filter((e) => !e.hidden).map((e) => e.dataset.agg),
);
result.requests = requests.filter((u) => !u.startsWith("file://") && !u.startsWith("data:"));
result.errors = errors;
await page.screenshot({ path: output.replace(/\.json$/, ".png"), fullPage: true });
fs.writeFileSync(output, JSON.stringify(result));
await browser.close();
