/*
 * bench_web.js - the browser validator's benchmark, for scripts/bench --web.
 *
 *   node bench_web.js --page HTML --validate NCC_VALIDATE --file CSV --reps N
 *                     [--big FILE] [--modules NODE_MODULES]
 *
 * Throughput: the page (headless Chromium) and the native ncc-validate --json
 * check FILE in turns, N times each, in one run: page, native, page, native...
 * A page's time runs from choosing the file (#files) to data-state "done" as
 * measured by a page script: the whole check, report drawn. Each page run is in
 * the same page (the second and later are what a practitioner checking a second
 * file sees; the first, after the page's warm-up, is reported apart). CPU: the
 * renderer processes' CPU time (CDP SystemInfo.getProcessInfo), and the native
 * command's user + system time.
 * Memory, with --big: the page's renderer on FILE as tests/web/test_web.js
 * measures it (private memory RssAnon + RssShmem, and the resident set with
 * Chromium's shared code), and the native command's peak RSS on it.
 * Prints one JSON object on stdout.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
const puppeteer = require(path.resolve(args.modules, "puppeteer-core"));
const reps = Number(args.reps || 3);
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

function statusKiB(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp("^" + field + ":\\s+(\\d+) kB", "m"));
    return m ? Number(m[1]) : 0;
  } catch (e) {
    return 0;
  }
}

async function openPage() {
  const profile = fs.mkdtempSync(path.join(require("os").tmpdir(), "ncc-web-bench-"));
  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true,
    args: [...CHROMIUM_ARGS, "--user-data-dir=" + profile] });
  const page = await browser.newPage();
  await page.goto("file://" + path.resolve(args.page));
  await page.waitForFunction(() => document.documentElement.dataset.state === "ready", { timeout: 30000 });
  const cdp = await browser.target().createCDPSession();
  return { browser, page, cdp, profile };
}

async function renderers(cdp) {
  return (await cdp.send("SystemInfo.getProcessInfo")).processInfo.filter((p) => p.type === "renderer");
}

async function pageRun(p, file) {
  await p.page.evaluate(() => {
    document.getElementById("files").value = "";
    document.documentElement.dataset.state = "idle";
  });
  const c0 = (await renderers(p.cdp)).reduce((n, r) => n + r.cpuTime, 0);
  await (await p.page.$("#files")).uploadFile(file);
  await p.page.waitForFunction(() => ["done", "failed"].includes(document.documentElement.dataset.state),
    { timeout: 1800000, polling: 20 });
  const r = await p.page.evaluate(() => ({ state: document.documentElement.dataset.state, ms: window.nccElapsedMs,
    rows: window.nccReport ? window.nccReport.files[0].rows_read : 0, error: window.nccError }));
  if (r.state !== "done") throw new Error("the page failed: " + r.error);
  const c1 = (await renderers(p.cdp)).reduce((n, x) => n + x.cpuTime, 0);
  return { s: r.ms / 1000, cpu: c1 - c0, rows: r.rows };
}

function nativeRun(file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S %M", args.validate, "--json", file],
                      { encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NCC_CONFIG: "/dev/null" } });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 65) throw new Error("ncc-validate exited " + r.status + ": " + r.stderr);
  const [u, sy, rss] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { s, cpu: u + sy, rss_kib: rss };
}

async function memory(file) {
  const p = await openPage();
  try {
    const pids = (await renderers(p.cdp)).map((r) => r.id);
    const priv = (pid) => statusKiB(pid, "RssAnon") + statusKiB(pid, "RssShmem");
    const start = new Map(pids.map((pid) => [pid, priv(pid)]));
    const peak = new Map(start);
    const timer = setInterval(() => { for (const pid of pids) peak.set(pid, Math.max(peak.get(pid), priv(pid))); }, 50);
    const run = await pageRun(p, file);
    await new Promise((r) => setTimeout(r, 300));
    clearInterval(timer);
    const pid = pids.sort((a, b) => (peak.get(b) - start.get(b)) - (peak.get(a) - start.get(a)))[0];
    const native = nativeRun(file);
    return { file, bytes: fs.statSync(file).size, rows: run.rows, page_s: run.s,
             private_peak_kib: peak.get(pid), private_before_kib: start.get(pid), rss_peak_kib: statusKiB(pid, "VmHWM"),
             native_s: native.s, native_rss_kib: native.rss_kib };
  } finally {
    await p.browser.close();
    fs.rmSync(p.profile, { recursive: true, force: true });
  }
}

(async () => {
  const out = { file: args.file, bytes: fs.statSync(args.file).size, reps, page: [], native: [] };
  const p = await openPage();
  try {
    for (let i = 0; i < reps + 1; i++) {
      out.page.push(await pageRun(p, args.file)); /* the first is the page's first file */
      if (i < reps) out.native.push(nativeRun(args.file));
    }
  } finally {
    await p.browser.close();
    fs.rmSync(p.profile, { recursive: true, force: true });
  }
  out.rows = out.page[0].rows;
  out.page_first = out.page.shift();
  if (args.big) out.memory = await memory(args.big);
  process.stdout.write(JSON.stringify(out) + "\n");
})().catch((e) => {
  console.error("bench_web: " + (e.stack || e));
  process.exit(1);
});
