/*
 * test_web.js - the browser validator (build/web/ncc-validate.html) in headless
 * Chromium, driven by puppeteer-core (no browser download: /usr/bin/chromium).
 *
 *   node test_web.js --page HTML --validate NCC_VALIDATE --root PROJECT --work DIR
 *                    [--big FILE] [--modules NODE_MODULES]
 *
 * Files are chosen through the page's own inputs (#files, #reference), as a user
 * would, and window.nccReport is compared with `ncc-validate --json` on the same
 * files: identical apart from `path` (the command runs in a directory holding the
 * files under their names, so its paths are the names too); the rejects CSV too.
 * Cases: every fixture (one by one and all together, cost with ledger), every file
 * of the bad-input catalogue and its pairs, the fuzz regressions, gzip and
 * Windows-1252 files bigger than one read, newer reference data, the settings.
 * Every run must end in a report (no crash, no hung page, no page error) and
 * the page must ask for nothing over the network. With --big, a file of 1 GB or
 * more is checked while the renderer process that holds the page and its Web
 * Worker is measured (see memoryCase): its private memory must stay under 300 MB.
 * Prints one line per case, then "web: N files compared identical"; exit 0 when
 * every case passed.
 */
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
for (const k of ["page", "validate", "root", "work"])
  if (!args[k]) { console.error(`test_web: --${k} is required`); process.exit(64); }
const puppeteer = require(path.resolve(args.modules || path.join(args.root, "build/web-test/node_modules"), "puppeteer-core"));

const ROOT = path.resolve(args.root);
args.validate = path.resolve(args.validate);
args.page = path.resolve(args.page);
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
const MEMORY_LIMIT = 300 * 1024 * 1024;
const RUN_TIMEOUT_MS = 60000;

let passed = 0, failed = 0, filesCompared = 0;
function ok(name) { passed++; console.log("ok - " + name); }
function notOk(name, why) { failed++; console.log("FAIL - " + name + ": " + why); }

/* ---- the page, opened in a fresh browser ------------------------------------------------ */

async function openBrowser(label, hash = "") {
  const profile = fs.mkdtempSync(path.join(args.work, "profile-" + label + "-"));
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_ARGS, "--user-data-dir=" + profile],
  });
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("request", (r) => {
    if (!/^(file|data|blob):/.test(r.url())) problems.push("network request: " + r.url());
  });
  page.on("console", (m) => { if (m.type() === "error") problems.push("console error: " + m.text()); });
  await page.goto("file://" + path.resolve(args.page) + hash);
  await page.waitForFunction(() => document.documentElement.dataset.state === "ready", { timeout: 30000 });
  return { browser, page, problems };
}

/* Choose files (and reference CSVs, settings) through the page; wait for its report. */
async function runPage(page, files, opts = {}) {
  await page.evaluate(() => {
    document.getElementById("files").value = "";
    document.getElementById("reference").value = "";
    document.documentElement.dataset.state = "idle";
    delete window.nccReport;
  });
  await page.select("#encoding", opts.encoding || "");
  if (opts.reference && opts.reference.length) await (await page.$("#reference")).uploadFile(...opts.reference);
  const t0 = Date.now();
  await (await page.$("#files")).uploadFile(...files);
  try {
    await page.waitForFunction(() => ["done", "failed", "cancelled"].includes(document.documentElement.dataset.state),
      { timeout: opts.timeout || RUN_TIMEOUT_MS, polling: 20 });
  } catch (e) {
    return { state: "hung", ms: Date.now() - t0 };
  }
  const ms = Date.now() - t0;
  const state = await page.evaluate(() => document.documentElement.dataset.state);
  if (state !== "done") return { state, ms, error: await page.evaluate(() => window.nccError || "") };
  const report = JSON.parse(await page.evaluate(() => JSON.stringify(window.nccReport)));
  const rejects = opts.noRejects ? null : await page.evaluate(() => window.nccRejects.text());
  /* what the practitioner sees: per file section, each code group's name and first row */
  const shown = await page.evaluate(() => Array.from(document.querySelectorAll("#files-out section.file")).map((sec) => ({
    path: sec.querySelector("h3").textContent,
    status: sec.querySelector(".badge").textContent,
    groups: Array.from(sec.querySelectorAll("details.code")).map((d) => {
      const td = Array.from((d.querySelector("tbody tr") || { children: [] }).children).map((c) => c.textContent);
      return { code: d.querySelector("summary .name").textContent, first: td };
    }),
  })));
  return { state, ms, report, rejects, shown };
}

/* ---- the command line on the same files --------------------------------------------------- */

/* Copy the files into one directory under their names; ncc-validate runs there. */
function stage(files, label) {
  const dir = fs.mkdtempSync(path.join(args.work, "cli-" + label.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 40) + "-"));
  for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  return dir;
}

function runCli(files, label, opts = {}) {
  const dir = opts.inPlace ? path.dirname(files[0]) : stage(files, label);
  const rej = path.join(args.work, "rejects-" + process.pid + ".csv");
  const cliArgs = ["--json", "--rejects", rej];
  if (opts.encoding) cliArgs.push("--encoding", opts.encoding);
  if (opts.referenceDir) cliArgs.push("--reference", opts.referenceDir);
  const env = { ...process.env, NCC_CONFIG: "/dev/null", NCC_SCHEMA_DIR: path.join(ROOT, "schemas"),
                NCC_REFERENCE_DIR: path.join(ROOT, "fixtures/reference") };
  for (const k of ["NCC_MTFM_CODE", "NCC_LEDGER_TOLERANCE", "NCC_ENCODING", "NCC_KIND"]) delete env[k];
  const r = spawnSync(args.validate, [...cliArgs, ...files.map((f) => path.basename(f))],
                      { cwd: dir, env, encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0 && r.status !== 65)
    throw new Error(`ncc-validate exited ${r.status}${r.error ? " (" + r.error.message + ")" : ""}: ${r.stderr}`);
  const out = { report: JSON.parse(r.stdout), rejects: fs.readFileSync(rej, "utf8") };
  fs.rmSync(rej, { force: true });
  if (!opts.inPlace) fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

/* ---- comparing ------------------------------------------------------------------------- */

function withoutPaths(report) {
  const r = JSON.parse(JSON.stringify(report));
  for (const f of r.files) f.path = path.basename(f.path);
  return r;
}

/* The first place where a and b differ, as a JSON path, or null. */
function firstDifference(a, b, where = "$") {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null))
    return `${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`.slice(0, 600);
  if (a && typeof a === "object") {
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.join() !== kb.join()) return `${where}: keys ${ka} vs ${kb}`;
    for (const k of ka) {
      const d = firstDifference(a[k], b[k], `${where}.${k}`);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`.slice(0, 600);
}

/*
 * The page's sections against the report: one per file in order with its status, a group
 * per code of errors_by_code and warnings_by_code, and in each group the first occurrence
 * the report kept, as line, column, what was found and what to do (the message split at
 * its ": "). Returns what differs, or null.
 */
function shownDifference(report, shown) {
  if (shown.length !== report.files.length) return `${shown.length} sections for ${report.files.length} files`;
  for (let i = 0; i < shown.length; i++) {
    const f = report.files[i], s = shown[i];
    if (s.path !== f.path || s.status !== f.status.toUpperCase()) return `section ${i}: ${s.path} ${s.status}`;
    const codes = [...Object.keys(f.errors_by_code), ...Object.keys(f.warnings_by_code)].sort();
    const got = s.groups.map((g) => g.code).sort();
    if (codes.join() !== got.join()) return `${f.path}: codes shown ${got} for ${codes}`;
    for (const g of s.groups) {
      const first = [...f.file_errors, ...f.errors, ...f.warnings].find((e) => e.code === g.code);
      if (!first) continue; /* beyond the report's first 1000: the page shows the text report's examples */
      const text = g.first.slice(2).join(": ").replace(/: $/, "");
      if (g.first[0] !== (first.line == null ? "" : String(first.line)) || g.first[1] !== (first.column || "") || text !== first.message)
        return `${f.path} ${g.code}: first row ${JSON.stringify(g.first)} for ${JSON.stringify(first)}`;
    }
  }
  return null;
}

async function compare(page, files, label, opts = {}) {
  let web;
  try {
    web = await runPage(page, files, opts);
  } catch (e) {
    return notOk(label, "the page failed: " + e.message);
  }
  if (web.state !== "done") return notOk(label, `the page ended "${web.state}" ${web.error || ""}`);
  const cli = runCli(files, label, opts);
  const d = firstDifference(withoutPaths(web.report), withoutPaths(cli.report));
  if (d) return notOk(label, "report differs from ncc-validate --json at " + d);
  const names = web.report.files.map((f) => f.path).join();
  if (names !== files.map((f) => path.basename(f)).join()) return notOk(label, "paths are not the file names: " + names);
  if (web.rejects !== cli.rejects)
    return notOk(label, "rejects CSV differs:\n" + web.rejects.slice(0, 300) + "\nvs\n" + cli.rejects.slice(0, 300));
  const seen = shownDifference(web.report, web.shown);
  if (seen) return notOk(label, "the page does not show the report: " + seen);
  const why = opts.expect ? opts.expect(web.report) : null;
  if (why) return notOk(label, "the input does not test what it should: " + why);
  filesCompared += files.length;
  ok(`${label} (${files.length} file${files.length === 1 ? "" : "s"}, ${web.ms} ms)`);
  return web;
}

function listFiles(dir, skip) {
  return fs.readdirSync(dir).filter((n) => !skip || !skip.test(n)).sort()
    .map((n) => path.join(dir, n)).filter((p) => fs.statSync(p).isFile());
}

/* ---- the generated inputs: larger than one read (256 KiB), gzip, Windows-1252 -------------- */

function makeInputs() {
  const gen = path.join(path.dirname(args.validate), "ncc-gen");
  const dir = path.join(args.work, "gen");
  fs.mkdirSync(dir, { recursive: true });
  const cost = path.join(dir, "cost_60k.csv");
  const r = spawnSync(gen, ["--kind", "cost", "--rows", "60k", "--seed", "11", "-o", cost]);
  if (r.status !== 0) throw new Error("ncc-gen failed: " + r.stderr);
  const nhssc = path.join(dir, "nhssc_20k.csv");
  spawnSync(gen, ["--kind", "nhssc", "--rows", "20k", "--seed", "5", "-o", nhssc]);
  const text = fs.readFileSync(cost);
  const zlib = require("zlib");
  /* two gzip members, concatenated: the browser's DecompressionStream would stop at the first */
  const half = text.indexOf(10, text.length >> 1) + 1;
  const gz = path.join(dir, "cost_60k_two_members.csv.gz");
  fs.writeFileSync(gz, Buffer.concat([zlib.gzipSync(text.subarray(0, half)), zlib.gzipSync(text.subarray(half))]));
  /* Windows-1252 from row 9000 on (past the first reads: the fallback commits late), CRLF, as Excel writes */
  const lines = text.toString("latin1").split("\n");
  const w1252 = path.join(dir, "cost_60k_windows1252.csv");
  const header = lines[0] + ",Notes";
  const body = lines.slice(1, -1).map((l, i) => l + (i % 9000 === 8999 ? ",Caf\xe9 \x96 \x80 note" : ",")).join("\r\n");
  fs.writeFileSync(w1252, Buffer.from(header + "\r\n" + body + "\r\n", "latin1"));
  /* a large bad file: every 7th row with a problem, more than 1000 errors */
  const bad = path.join(dir, "cost_60k_bad.csv");
  const out = [lines[0]];
  for (let i = 1; i < lines.length - 1; i++) {
    let l = lines[i];
    if (i % 7 === 0) l = l.replace(/,[^,]*$/, ",12O.50");
    if (i % 1999 === 0) l = lines[i - 1];
    out.push(l);
  }
  fs.writeFileSync(bad, out.join("\n") + "\n");
  /* big enough to cancel while it is being read */
  const slow = path.join(dir, "cost_1M.csv");
  spawnSync(gen, ["--kind", "cost", "--rows", "1M", "--seed", "3", "-o", slow]);
  return { cost, nhssc, gz, w1252, bad, slow };
}

/* A reference directory like the shipped one with one more technology alias. */
function makeReference() {
  const dir = path.join(args.work, "reference");
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(ROOT, "fixtures/reference");
  for (const n of fs.readdirSync(src)) fs.copyFileSync(path.join(src, n), path.join(dir, n));
  const alias = path.join(dir, "technology_alias.csv");
  const text = fs.readFileSync(alias, "utf8");
  /* the catalogue's unknown MTG999 becomes a newer id of UroLift */
  fs.writeFileSync(alias, text + (text.endsWith("\n") ? "" : "\n") + "MTG999,MTG58\n");
  return { dir, changed: [alias] };
}

/* ---- memory of the page's processes ---------------------------------------------------- */

function chromiumProcesses(browserPid) {
  const all = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      /* a zygote's child rewrites its command line into one string: split on blanks too */
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split(/[\0 ]/);
      all.push({ pid: Number(d), ppid, cmd });
    } catch (e) { /* gone */ }
  }
  const mine = new Set([browserPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) if (!mine.has(p.pid) && mine.has(p.ppid)) { mine.add(p.pid); grew = true; }
  }
  return all.filter((p) => mine.has(p.pid)).map((p) => {
    const t = (p.cmd.find((a) => a.startsWith("--type=")) || "--type=browser").slice(7);
    return { pid: p.pid, type: t };
  });
}

function statusKiB(pid, field) {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp("^" + field + ":\\s+(\\d+) kB", "m"));
    return m ? Number(m[1]) : 0;
  } catch (e) {
    return 0;
  }
}

/*
 * The page's memory while it checks a file of 1 GB or more. The page and its Web
 * Worker live in one renderer process; the one of Chromium's renderers that grows
 * most is the page's. Two measures of it, sampled every 50 ms:
 *  - private memory: RssAnon + RssShmem of /proc/PID/status, the memory the process
 *    itself holds (JavaScript heaps, the WebAssembly memory, the DOM): what
 *    Chromium's task manager calls its memory footprint. It must stay under 300 MB;
 *  - resident set (VmHWM, the kernel's peak RSS), which also counts the pages of
 *    Chromium's own code and data files that every Chromium process maps and shares
 *    (about 110 MB here): printed with the rest.
 */
async function memoryCase(bigFile) {
  const label = `1 GB file in bounded memory (${(fs.statSync(bigFile).size / 1e9).toFixed(2)} GB)`;
  const { browser, page, problems } = await openBrowser("big");
  try {
    const renderers = chromiumProcesses(browser.process().pid).filter((p) => p.type === "renderer");
    if (!renderers.length) return notOk(label, "no renderer process found");
    const privateKiB = (pid) => statusKiB(pid, "RssAnon") + statusKiB(pid, "RssShmem");
    const start = new Map(renderers.map((p) => [p.pid, privateKiB(p.pid)]));
    const peak = new Map(start);
    const timer = setInterval(() => {
      for (const p of renderers) peak.set(p.pid, Math.max(peak.get(p.pid), privateKiB(p.pid)));
    }, 50);
    const web = await runPage(page, [bigFile], { timeout: 900000, noRejects: true });
    await new Promise((r) => setTimeout(r, 300)); /* the report drawn */
    clearInterval(timer);
    if (web.state !== "done") return notOk(label, `the page ended "${web.state}" ${web.error || ""}`);
    const pid = renderers.map((p) => p.pid).sort((a, b) => (peak.get(b) - start.get(b)) - (peak.get(a) - start.get(a)))[0];
    const hwm = statusKiB(pid, "VmHWM");
    const browserHwm = statusKiB(browser.process().pid, "VmHWM");
    const f = web.report.files[0];
    const mb = (kib) => (kib / 1024).toFixed(0) + " MiB";
    const mbps = (fs.statSync(bigFile).size / 1e6 / (web.ms / 1000)).toFixed(0);
    const detail = `${f.rows_read} rows in ${(web.ms / 1000).toFixed(1)} s (${mbps} MB/s); the page's renderer: ` +
      `private memory peak ${mb(peak.get(pid))} (${mb(start.get(pid))} before the file), ` +
      `resident set peak ${mb(hwm)} with Chromium's shared code; browser process ${mb(browserHwm)}`;
    console.log("# memory: " + detail);
    if (f.status !== "valid" || f.rows_read !== f.rows_valid) return notOk(label, "unexpected report: " + JSON.stringify(f).slice(0, 300));
    if (peak.get(pid) * 1024 >= MEMORY_LIMIT) return notOk(label, "over 300 MB: " + detail);
    if (problems.length) return notOk(label, problems.join("; "));
    ok(label + ": " + detail);
  } finally {
    await browser.close();
  }
}

/* ---- the page itself -------------------------------------------------------------------- */

function checkBuiltPage() {
  const html = fs.readFileSync(args.page, "utf8");
  const m = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
  if (!m) return notOk("CSP meta tag", "missing");
  const csp = m[1];
  for (const need of ["default-src 'none'", "connect-src 'none'"])
    if (!csp.includes(need)) return notOk("CSP meta tag", `no ${need} in: ${csp}`);
  if (/https?:/i.test(csp.replace(/'sha256-[^']*'/g, ""))) return notOk("CSP meta tag", "allows a network scheme: " + csp);
  ok("CSP meta tag allows no network access: " + csp.replace(/'sha256-[^']*'/g, "'sha256-…'"));
  const net = html.match(/.{0,30}https?:.{0,30}/i);
  if (net) return notOk("no http:/https: in the page", "found: " + net[0]);
  ok(`no http: or https: anywhere in the page (${(html.length / 1024).toFixed(0)} KiB)`);
}

async function checkPageBasics(page) {
  const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll("input, select"))
    .filter((e) => !e.labels || !e.labels.length).map((e) => e.id));
  if (unlabelled.length) notOk("every input has a label", unlabelled.join());
  else ok("every input has a label");
  const ids = await page.evaluate(() => ["files", "reference"].map((id) => {
    const e = document.getElementById(id);
    return e && e.type === "file" && e.multiple;
  }));
  if (ids.every(Boolean)) ok("inputs #files and #reference take several files");
  else notOk("inputs #files and #reference", JSON.stringify(ids));
  /* what the page says it knows is what the module has built in: every kind of schemas/ and
   * every reference CSV of fixtures/reference/ */
  const kinds = fs.readdirSync(path.join(ROOT, "schemas")).filter((n) => n.endsWith(".json"))
    .map((n) => JSON.parse(fs.readFileSync(path.join(ROOT, "schemas", n), "utf8")).kind).filter(Boolean).sort();
  const refs = fs.readdirSync(path.join(ROOT, "fixtures/reference")).filter((n) => n.endsWith(".csv")).sort();
  const shown = await page.evaluate(() => ({
    kinds: Array.from(document.querySelectorAll("#kinds strong")).map((e) => e.textContent).sort(),
    refs: document.getElementById("reference-names").textContent }));
  if (shown.kinds.join() === kinds.join() && shown.refs === ": " + refs.join(", "))
    ok(`the page lists the built-in kinds (${kinds.join(", ")}) and reference CSVs (${refs.length})`);
  else notOk("the page lists the built-in kinds and reference CSVs", JSON.stringify(shown));
}

/* Reference data the library refuses: the page ends "failed" with the library's own message,
 * the one ncc-validate prints before it exits 70 (apart from the directory), not a report. */
async function badReferenceCase(page) {
  const dir = path.join(args.work, "bad-reference");
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(ROOT, "fixtures/reference");
  for (const n of fs.readdirSync(src)) fs.copyFileSync(path.join(src, n), path.join(dir, n));
  const bad = path.join(dir, "technology_alias.csv");
  const text = fs.readFileSync(bad, "utf8");
  fs.writeFileSync(bad, text + (text.endsWith("\n") ? "" : "\n") + "MTG998,NOPE1\n");
  const ledger = path.join(ROOT, "fixtures/demo/ledger_202324.csv");
  const web = await runPage(page, [ledger], { reference: [bad] });
  await page.evaluate(() => { document.getElementById("reference").value = ""; });
  const cli = spawnSync(args.validate, ["--reference", dir, ledger], { encoding: "utf8", env: { ...process.env, NCC_CONFIG: "/dev/null" } });
  const tail = (m) => (m || "").replace(/^[^]*?technology_alias\.csv" /, "").trim();
  const label = "reference data the library refuses";
  if (cli.status !== 70 || !tail(cli.stderr).startsWith("line ")) return notOk(label, "ncc-validate: " + cli.status + " " + cli.stderr);
  if (web.state !== "failed" || tail(web.error) !== tail(cli.stderr))
    return notOk(label, `the page: ${web.state} ${web.error} / ncc-validate: ${cli.stderr}`);
  ok(label + ": the page fails with ncc-validate's message (" + tail(web.error) + ")");
}

async function cancelCase(page, file) {
  await page.evaluate(() => { document.getElementById("files").value = ""; document.documentElement.dataset.state = "idle"; });
  await (await page.$("#files")).uploadFile(file);
  await page.waitForFunction(() => document.documentElement.dataset.state === "running", { timeout: 10000, polling: 5 });
  await page.click("#cancel");
  const st = await page.evaluate(() => ({ state: document.documentElement.dataset.state,
    progressHidden: document.getElementById("progress-row").hidden, report: "nccReport" in window }));
  if (st.state !== "cancelled" || !st.progressHidden || st.report) return notOk("cancel", JSON.stringify(st));
  ok("cancel stops a check under way");
}

/*
 * The cases of tests/data/catalogue.psv that take more than their one file (every file
 * alone is compared anyway): other files go with it, as ncc-validate's arguments do, and
 * --encoding is the page's encoding setting. A flag the page has no setting for fails
 * (it must not pass unseen). The cases of files that cannot be chosen in a browser (a
 * missing file, a directory) are the command line's only.
 */
function catalogueCases(cat) {
  const cases = [];
  for (const line of fs.readFileSync(path.join(ROOT, "tests/data/catalogue.psv"), "utf8").split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const [file, extra] = line.split("|");
    if (!extra || !fs.existsSync(path.join(cat, file)) || !fs.statSync(path.join(cat, file)).isFile()) continue;
    const files = [path.join(cat, file)], opts = {}, words = extra.split(/\s+/).filter(Boolean);
    let why = null;
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w === "--encoding") opts.encoding = words[++i];
      else if (w.startsWith("--encoding=")) opts.encoding = w.slice(11);
      else if (w.startsWith("--")) why = `the page has no setting for ${w} (add one, or say why in tests/web/test_web.js)`;
      else files.push(path.join(cat, w));
    }
    cases.push({ label: `${file} | ${extra}`, files, opts, why });
  }
  return cases;
}

/* ---- main ------------------------------------------------------------------------------ */

/* Every comparison, through one page; prefix names the way it reads files. */
async function compareAll(page, gen, ref, prefix) {
  const demo = listFiles(path.join(ROOT, "fixtures/demo"));
  const cat = path.join(ROOT, "tests/data/catalogue");
  for (const f of demo) await compare(page, [f], prefix + "fixture " + path.basename(f));
  await compare(page, demo, prefix + "all fixtures at once (cost files with their ledger)");
  for (const f of listFiles(cat)) await compare(page, [f], prefix + "catalogue " + path.basename(f));
  for (const c of catalogueCases(cat)) {
    if (c.why) notOk(prefix + "catalogue " + c.label, c.why);
    else await compare(page, c.files, prefix + "catalogue " + c.label, c.opts);
  }
  await compare(page, [path.join(cat, "f_ledger_cost.csv"), path.join(cat, "f_ledger_ledger.csv")], prefix + "catalogue cost + ledger outside 1 %", {
    expect: (r) => (r.files[0].errors_by_code.F_LEDGER_TOLERANCE === 1 ? null : JSON.stringify(r.files[0].errors_by_code)) });
  await compare(page, [path.join(cat, "ok_windows1252.csv")], prefix + "catalogue ok_windows1252.csv, encoding WINDOWS-1252", { encoding: "WINDOWS-1252" });
  for (const f of listFiles(path.join(ROOT, "tests/data/fuzz-regressions"), /\.(md|absent)$/))
    await compare(page, [f], prefix + "fuzz regression " + path.basename(f));
  await compare(page, [gen.cost, gen.gz], prefix + "generated cost file and the same as two gzip members", {
    expect: (r) => (r.files[1].rows_read === 60000 && r.files[1].status === "valid" ? null : JSON.stringify(r.files[1]).slice(0, 200)) });
  await compare(page, [gen.w1252], prefix + "generated Windows-1252 file (CRLF, the fallback after the first reads)", {
    expect: (r) => (r.files[0].encoding === "WINDOWS-1252" && r.files[0].rows_read === 60000 ? null : r.files[0].encoding) });
  await compare(page, [gen.bad, gen.nhssc], prefix + "generated file with thousands of errors, and an NHSSC extract", {
    expect: (r) => (r.files[0].errors_by_code.E_NUMBER > 1000 && r.files[0].errors_by_code.E_DUPLICATE_KEY > 0 &&
                    r.files[0].errors.length === 1000 && r.files[1].kind === "nhssc" ? null : JSON.stringify(r.files[0].errors_by_code)) });
  await compare(page, [path.join(cat, "e_unknown_technology.csv"), ...demo.slice(0, 2)], prefix + "newer reference data chosen", {
    reference: ref.changed, referenceDir: ref.dir,
    expect: (r) => (r.files[0].status === "valid" ? null : "e_unknown_technology.csv is still " + r.files[0].status) });
}

(async () => {
  checkBuiltPage();
  const gen = makeInputs();
  const ref = makeReference();
  for (const [hash, prefix, reads] of [["", "", "stream"], ["#sync-reads", "sync reads: ", "sync"]]) {
    const { browser, page, problems } = await openBrowser(reads, hash);
    try {
      const how = await page.evaluate(() => document.documentElement.dataset.reads);
      if (how !== reads) notOk(prefix + "the worker reads files as " + reads, "it reads them as " + how);
      else ok(prefix + "the worker reads files as " + reads + (reads === "stream" ? " (BYOB reader, JSPI)" : " (FileReaderSync)"));
      if (!hash) await checkPageBasics(page);
      await compareAll(page, gen, ref, prefix);
      if (!hash) {
        /* the control: the shipped reference data must differ from the command line's with the newer */
        const cat = path.join(ROOT, "tests/data/catalogue");
        const shipped = await runPage(page, [path.join(cat, "e_unknown_technology.csv")]);
        const newer = runCli([path.join(cat, "e_unknown_technology.csv")], "control", { referenceDir: ref.dir });
        if (shipped.state === "done" && firstDifference(withoutPaths(shipped.report), withoutPaths(newer.report)))
          ok("control: the comparison tells the shipped reference data from the newer");
        else notOk("control", "no difference found where one must be");
        await badReferenceCase(page);
        await cancelCase(page, gen.slow);
        await compare(page, [path.join(ROOT, "fixtures/demo/cost_RAA_202324_APC.csv")], "a check after a cancelled one");
      }
      if (problems.length) notOk(prefix + "no page errors, no network requests", problems.slice(0, 5).join("; "));
      else ok(prefix + "no page errors, no network requests");
    } catch (e) {
      notOk(prefix + "the test itself", e.stack || String(e));
    } finally {
      await browser.close();
    }
  }
  if (args.big) {
    try {
      await memoryCase(args.big);
    } catch (e) {
      notOk("1 GB file", e.stack || String(e));
    }
  }
  console.log(`web: ${filesCompared} files compared identical with ncc-validate --json; ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
