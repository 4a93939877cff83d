/*
 * screenshot.js - pictures of the browser validator for people to look at (not a
 * test): the page on a laptop-sized window (1366 x 768) after choosing files, the
 * page while a large file is read, and the same on a narrow window.
 *
 *   node tests/web/screenshot.js [--page HTML] [--out DIR] [--big FILE] [FILE...]
 *
 * Without FILEs: the demo fixtures plus catalogue files with row and file errors.
 * Writes DIR/page-*.png (default build/web-test/shots).
 */
"use strict";

const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "../..");
const args = { page: path.join(root, "build/web/ncc-validate.html"), out: path.join(root, "build/web-test/shots"), files: [] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === "--page" || a === "--out" || a === "--big") args[a.slice(2)] = process.argv[++i];
  else args.files.push(path.resolve(a));
}
const puppeteer = require(path.join(root, "build/web-test/node_modules/puppeteer-core"));
if (!args.files.length) {
  const cat = path.join(root, "tests/data/catalogue");
  args.files = [
    ...fs.readdirSync(path.join(root, "fixtures/demo")).sort().map((n) => path.join(root, "fixtures/demo", n)),
    ...["e_number.csv", "e_duplicate_key.csv", "f_missing_column.csv", "ok_windows1252.csv"].map((n) => path.join(cat, n)),
  ];
}

async function shoot(browser, width, height, name, files, opts = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  await page.goto("file://" + path.resolve(args.page));
  await page.waitForFunction(() => document.documentElement.dataset.state === "ready", { timeout: 30000 });
  await (await page.$("#files")).uploadFile(...files);
  if (opts.midway) {
    await page.waitForFunction(() => document.getElementById("progress").value > document.getElementById("progress").max * 0.2,
      { timeout: 60000, polling: 50 });
    await page.screenshot({ path: path.join(args.out, name) });
    await page.click("#cancel");
  } else {
    await page.waitForFunction(() => document.documentElement.dataset.state === "done", { timeout: 120000 });
    if (opts.focusTab) for (let i = 0; i < opts.focusTab; i++) await page.keyboard.press("Tab");
    await page.screenshot({ path: path.join(args.out, name), fullPage: !opts.viewportOnly });
    if (opts.sections) {
      const secs = await page.$$("section.file");
      for (let i = 0; i < secs.length; i++) {
        const bad = await secs[i].evaluate((e) => !e.querySelector(".badge.valid"));
        if (!bad && i > 0) continue;
        const file = name.replace(/\.png$/, `-file${i}.png`);
        await secs[i].screenshot({ path: path.join(args.out, file) });
        console.log("wrote " + path.join(args.out, file));
      }
    }
  }
  console.log("wrote " + path.join(args.out, name));
  await page.close();
}

(async () => {
  fs.mkdirSync(args.out, { recursive: true });
  const profile = fs.mkdtempSync(path.join(require("os").tmpdir(), "ncc-web-shots-"));
  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile] });
  try {
    await shoot(browser, 1366, 768, "page-laptop-top.png", args.files, { viewportOnly: true });
    await shoot(browser, 1366, 768, "page-laptop-full.png", args.files, { sections: true });
    await shoot(browser, 1366, 768, "page-one-error-file.png", [args.files[args.files.length - 4]]);
    await shoot(browser, 420, 800, "page-narrow.png", [args.files[args.files.length - 4]]);
    await shoot(browser, 1366, 768, "page-keyboard-focus.png", [args.files[0]], { viewportOnly: true, focusTab: 2 });
    if (args.big) await shoot(browser, 1366, 768, "page-reading.png", [args.big], { midway: true });
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
})();
