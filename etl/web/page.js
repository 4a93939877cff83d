/*
 * page.js - the browser validator's page: starts the Web Worker (the
 * WebAssembly checker, see worker.js), hands it the chosen files, shows the
 * progress and the report, saves the JSON report and the rejects CSV.
 *
 * Test interface (docs/web.md; keep it stable): the file inputs #files and
 * #reference; document.documentElement.dataset.state is "loading", "ready",
 * "running", "done", "cancelled" or "failed"; when every chosen file is done
 * it is "done" and window.nccReport holds the contract 5.1 object (each
 * file's path is its file name), window.nccRejects the rejects CSV (a Blob),
 * window.nccElapsedMs the time from choosing to done. dataset.reads says how the
 * worker reads files: "stream" (JSPI) or "sync"; "#sync-reads" in the address
 * forces "sync".
 * Every value from a file reaches the page through textContent, never as HTML.
 */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const root = document.documentElement;

  /* What each code means (contract section 4), for the group headings. */
  const CODE_TITLES = {
    F_UNREADABLE: "The file cannot be read",
    F_EMPTY: "No header row",
    F_GZIP: "The gzip file is corrupt or cut short",
    F_ENCODING: "Bytes that are not valid in the file's encoding",
    F_UNKNOWN_KIND: "The header matches no kind of file",
    F_MISSING_COLUMN: "A required column is missing",
    F_DUPLICATE_COLUMN: "Two columns mean the same thing",
    F_PII_COLUMN: "A column named like patient-identifiable data",
    F_CSV_SYNTAX: "Broken CSV quoting",
    F_LEDGER_TOLERANCE: "Total cost does not match the ledger",
    F_REJECT_LIMIT: "Too many rejected rows",
    E_FIELD_COUNT: "Wrong number of values on the line",
    E_REQUIRED: "A required value is empty",
    E_FIN_YEAR: "Not a financial year",
    E_ORG_CODE: "Not an organisation code",
    E_FEED: "Not a feed",
    E_CODE: "Not a valid code",
    E_NUMBER: "Not a plain number",
    E_NEGATIVE: "Negative where 0 or more is required",
    E_DATE: "Not a date",
    E_CHECK_DIGIT: "Wrong check digit",
    E_TOO_LONG: "Value too long",
    E_UNKNOWN_TECHNOLOGY: "Technology not in the reference data",
    E_MTFM_UNITS: "MTFM line without units",
    E_PII_VALUE: "An NHS number in the data",
    E_DUPLICATE_KEY: "Key repeated in the file",
    W_UNKNOWN_COLUMN: "Columns not used are ignored",
    W_ENCODING_FALLBACK: "Read as Windows-1252",
    W_ROUNDED: "Rounded to 4 decimal places",
    W_TECH_ON_NON_MTFM: "Technology on a line that is not MTFM: ignored",
    W_UNATTRIBUTED: "MTFM cost with no technology",
  };
  const OPEN_UP_TO = 20;     /* groups with this many lines or fewer start open */
  const FIRST_ROWS = 25;     /* rows of a table shown at first */
  const MORE_ROWS = 1000;    /* rows each "show more" adds: the DOM stays small */

  let workerUrl = null, worker = null, workerReady = false;
  let run = null;  /* {files, shown, report, details, rejects} of the run under way or last */
  let queued = false;

  function setState(state) {
    root.dataset.state = state;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function bytes(n) {
    if (n < 1000) return n + " bytes";
    const units = ["kB", "MB", "GB", "TB"];
    let u = -1;
    do { n /= 1000; u++; } while (n >= 1000 && u < units.length - 1);
    return n.toFixed(n < 10 ? 2 : 1) + " " + units[u];
  }

  function count(n) {
    return Number(n).toLocaleString("en-GB");
  }

  /* An exact money string of the report ("-1234567.8900") with thousands separators,
   * by string only: never through a binary floating-point number. */
  function money(m) {
    const [, sign, int, frac] = /^(-?)(\d+)(\.\d+)?$/.exec(m) || [null, "", m, ""];
    return sign + int.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac || "");
  }

  /* "what was found: what to do" -> [found, fix]: at the first ": " outside quotes. */
  function splitMessage(m) {
    let quoted = false;
    for (let i = 0; i + 1 < m.length; i++) {
      if (m[i] === "\"") quoted = !quoted;
      else if (!quoted && m[i] === ":" && m[i + 1] === " ") return [m.slice(0, i), m.slice(i + 2)];
    }
    return [m, ""];
  }

  /* ---- the worker ---------------------------------------------------------------- */

  function startWorker() {
    if (!workerUrl) {
      const script = $("ncc-worker");
      /* "#sync-reads" in the address: the worker reads without JSPI, as in browsers that
       * lack it (for tests) */
      const before = location.hash === "#sync-reads" ? "self.nccNoJspi = true;\n" : "";
      workerUrl = URL.createObjectURL(new Blob([before, script.textContent], { type: "text/javascript" }));
      script.textContent = ""; /* the Blob keeps it: not twice in the page's memory */
    }
    workerReady = false;
    worker = new Worker(workerUrl);
    worker.onmessage = (ev) => onWorkerMessage(ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault();
      fail("the checker stopped unexpectedly" + (ev.message ? ": " + ev.message : ""));
      worker.terminate();
      startWorker();
    };
  }

  function onWorkerMessage(msg) {
    switch (msg.type) {
    case "ready":
      workerReady = true;
      root.dataset.reads = msg.jspi ? "stream" : "sync";
      showBuiltIn(msg.kinds || [], msg.reference || []);
      if (queued) {
        queued = false;
        begin();
      } else if (!run) {
        setState("ready");
        status("Ready: choose the files to check.");
      }
      break;
    case "progress":
      showProgress(msg.done, msg.total);
      break;
    case "file":
      onFileDone(msg);
      break;
    case "done":
      onDone(msg);
      break;
    case "failed":
      fail(msg.message);
      break;
    }
  }

  /* What the module has built in: the kinds of file (from the schemas) and the names of
   * the reference CSVs, so the page never lists them apart from the C library's data. */
  function showBuiltIn(kinds, reference) {
    if (kinds.length) {
      $("kinds-help").textContent = "It knows these kinds of file, and tells them apart by their header row:";
      $("kinds").replaceChildren(...kinds.map((k) => el("li", {},
        el("strong", { text: k.kind }), k.description ? ": " + k.description.replace(/ \(data contract[^)]*\)\.?$/, "") : "")));
    }
    if (reference.length) $("reference-names").textContent = ": " + reference.join(", ");
  }

  /* ---- a run ----------------------------------------------------------------------- */

  /* The live region: changed only when its words change, so that a screen reader does not
   * announce the same words again at every progress message. */
  function status(text) {
    if ($("status").textContent !== text) $("status").textContent = text;
  }

  function begin() {
    const files = Array.from($("files").files || []);
    if (!files.length) {
      run = null;
      setState("ready");
      status("Ready: choose the files to check.");
      $("results").hidden = true;
      return;
    }
    if (run && run.active && run.posted) cancel(false); /* a check under way: stop it */
    delete window.nccReport;
    delete window.nccRejects;
    delete window.nccError;
    delete window.nccElapsedMs;
    run = { files, shown: 0, sections: [], active: true, posted: false, report: null, rejects: null,
            t0: performance.now() };
    if (!workerReady) {
      queued = true;
      setState("running");
      status("Starting the checker…");
      return;
    }
    setState("running");
    $("files-out").replaceChildren();
    $("notes").replaceChildren();
    $("overview").replaceChildren();
    $("summary").textContent = "";
    $("results").hidden = true;
    $("progress-row").hidden = false;
    showProgress(0, files.reduce((n, f) => n + f.size, 0));
    worker.postMessage({
      type: "check",
      files,
      reference: Array.from($("reference").files || []),
      options: {
        encoding: $("encoding").value,
        mtfmCode: $("mtfm-code").value.trim(),
        tolerance: $("tolerance").value.trim(),
      },
    });
    run.posted = true;
  }

  function showProgress(done, total) {
    const p = $("progress");
    p.max = Math.max(total, 1);
    p.value = Math.min(done, p.max);
    const pct = total ? Math.floor((100 * done) / total) : 100;
    const n = run ? run.files.length : 0;
    const i = run ? Math.min(run.shown + 1, n) : 0;
    const which = n > 1 ? ", file " + i + " of " + n : "";
    $("progress-text").textContent = "read " + bytes(done) + " of " + bytes(total) + " (" + pct + " %)";
    status("Checking" + which + ": " + (run && run.files[i - 1] ? run.files[i - 1].name : "") + "…");
  }

  function cancel(announce) {
    if (worker) worker.terminate();
    startWorker();
    if (run) run.active = false;
    queued = false;
    $("progress-row").hidden = true;
    if (announce) {
      setState("cancelled");
      status("Check cancelled. Nothing was kept; choose the files again to restart.");
    }
  }

  function fail(message) {
    if (run) run.active = false;
    $("progress-row").hidden = true;
    window.nccError = message || "unknown error";
    setState("failed");
    status("The check could not be completed: " + window.nccError);
  }

  function onFileDone(msg) {
    if (!run || !run.active) return;
    const report = JSON.parse(msg.report), details = JSON.parse(msg.details);
    const i = msg.index;
    $("results").hidden = false;
    run.sections[i] = { json: JSON.stringify(report.files[0]), node: fileSection(report.files[0], details[0], i) };
    $("files-out").append(run.sections[i].node);
    run.shown = i + 1;
  }

  function onDone(msg) {
    if (!run || !run.active) return;
    run.active = false;
    run.report = msg.report;
    run.rejects = msg.rejects;
    const report = JSON.parse(msg.report), details = JSON.parse(msg.details);
    $("progress-row").hidden = true;
    /* the ledger check may have changed some files: only those are drawn again */
    report.files.forEach((f, i) => {
      const was = run.sections[i];
      if (was && was.json === JSON.stringify(f)) return;
      const node = fileSection(f, details[i], i);
      if (was) was.node.replaceWith(node);
      else $("files-out").append(node);
    });
    $("notes").replaceChildren(...(msg.notes || []).map((t) => el("li", { text: t })));
    $("overview").replaceChildren(overview(report.files));
    const st = { valid: 0, invalid: 0, rejected: 0 };
    for (const f of report.files) st[f.status]++;
    const n = report.files.length;
    $("summary").textContent = n + " file" + (n === 1 ? "" : "s") + " checked: " + st.valid +
      " valid, " + st.invalid + " invalid, " + st.rejected + " rejected. " +
      (report.ok ? "Every file can be submitted." : "Fix the problems below before you submit.");
    $("results").hidden = false;
    const secs = (performance.now() - run.t0) / 1000;
    status("Done in " + (secs < 1 ? secs.toFixed(2) : secs < 10 ? secs.toFixed(1) : Math.round(secs)) + " s: " +
           n + " file" + (n === 1 ? "" : "s") + " checked, the results are below.");
    window.nccElapsedMs = performance.now() - run.t0;
    window.nccRejects = msg.rejects;
    window.nccReport = report;
    setState("done");
    /* the practitioner who just chose the files goes on to the results */
    if (document.activeElement === $("files") || document.activeElement === document.body)
      $("results").focus({ preventScroll: true });
  }

  /* ---- what a file shows ----------------------------------------------------------- */

  function fileSection(f, d, i) {
    const id = "file-" + i;
    const sec = el("section", { class: "file", "aria-labelledby": id });
    sec.append(el("div", { class: "file-head" },
      el("h3", { id, text: f.path }),
      el("span", { class: "badge " + f.status, text: f.status.toUpperCase() })));
    const verdict = {
      valid: "No errors: this file passes the checks of the national load.",
      invalid: "Rows with errors: at the default reject rate nothing of this file would load. Fix the rows listed below.",
      rejected: "File error: nothing of this file can be loaded until it is fixed.",
    }[f.status];
    sec.append(el("p", { class: "verdict", text: verdict }));
    const facts = el("dl", { class: "facts" });
    const fact = (k, v) => facts.append(el("div", {}, el("dt", { text: k }), el("dd", { text: v })));
    fact("kind", f.kind || "unknown");
    fact("encoding", f.encoding + (d && d.gzip ? ", gzip" : ""));
    fact("rows read", count(f.rows_read));
    fact("valid", count(f.rows_valid));
    fact("rejected", count(f.rows_rejected));
    sec.append(facts);

    const ex = (d && d.examples) || {};
    const fileCodes = Object.keys(f.errors_by_code).filter((c) => c.startsWith("F_"));
    const rowCodes = Object.keys(f.errors_by_code).filter((c) => c.startsWith("E_"));
    const warnCodes = Object.keys(f.warnings_by_code);
    if (fileCodes.length)
      sec.append(el("h4", { text: "File errors (nothing of this file can be loaded)" }),
                 ...fileCodes.map((c) => codeGroup(c, f.errors_by_code[c], f.file_errors, ex[c], "file", true)));
    if (rowCodes.length)
      sec.append(el("h4", { text: "Row errors" }),
                 ...rowCodes.map((c) => codeGroup(c, f.errors_by_code[c], f.errors, ex[c], "row", true)));
    if (warnCodes.length)
      sec.append(el("h4", { text: "Warnings (nothing changes in what loads)" }),
                 ...warnCodes.map((c) => codeGroup(c, f.warnings_by_code[c], f.warnings, ex[c], "warning", false)));
    if (f.totals.length)
      sec.append(table("Totals of valid rows: what the national collection will see",
        ["fin_year", "org_code", (d && d.feed_label) || "feed", "rows", "amount (£)"],
        f.totals.map((t) => [t.fin_year, t.org_code, t.feed, count(t.rows), money(t.cost)]), [3, 4]));
    if (f.mtfm.length)
      sec.append(table("MTFM units and cost by technology",
        ["fin_year", "org_code", "technology", "units", "cost (£)"],
        f.mtfm.map((t) => [t.fin_year, t.org_code, t.technology_id, count(t.units), money(t.cost)]), [3, 4]));
    return sec;
  }

  /* Every file in one table, each name a link to its part of the page. */
  function overview(files) {
    const t = el("table", { class: "overview" });
    t.append(el("caption", { text: "Files checked" }));
    const hr = el("tr");
    const heads = ["file", "kind", "status", "rows read", "valid", "rejected", "problems"];
    heads.forEach((h, k) => hr.append(el("th", { scope: "col", class: k >= 3 && k <= 5 ? "num" : "", text: h })));
    t.append(el("thead", {}, hr));
    const body = el("tbody");
    files.forEach((f, i) => {
      const sum = (o) => Object.values(o).reduce((n, v) => n + v, 0);
      const nerr = sum(f.errors_by_code), nwarn = sum(f.warnings_by_code);
      const problems = [nerr ? count(nerr) + " error" + (nerr === 1 ? "" : "s") : "",
                        nwarn ? count(nwarn) + " warning" + (nwarn === 1 ? "" : "s") : ""].filter(Boolean).join(", ");
      const tr = el("tr");
      tr.append(el("td", { class: "name" }, el("a", { href: "#file-" + i, text: f.path })),
                el("td", { text: f.kind || "unknown" }),
                el("td", {}, el("span", { class: "badge " + f.status, text: f.status.toUpperCase() })),
                el("td", { class: "num", text: count(f.rows_read) }),
                el("td", { class: "num", text: count(f.rows_valid) }),
                el("td", { class: "num", text: count(f.rows_rejected) }),
                el("td", { text: problems || "none" }));
      body.append(tr);
    });
    t.append(body);
    return el("div", { class: "table-wrap" }, t);
  }

  /* One code: its count, meaning, and every kept occurrence (line, column, message). */
  function codeGroup(code, n, all, examples, level, inRejects) {
    let items = all.filter((e) => e.code === code);
    if (!items.length && examples) items = examples; /* beyond the report's first 1000 */
    const det = el("details", { class: "code level-" + level });
    if (items.length <= OPEN_UP_TO) det.open = true;
    det.append(el("summary", {},
      el("span", { class: "name", text: code }), " ",
      (CODE_TITLES[code] || "") + " (" + count(n) + ")"));
    const rows = items.map((e) => {
      const [found, fix] = splitMessage(e.message);
      return [e.line == null ? "" : String(e.line), e.column || "", found, fix];
    });
    if (rows.length)
      det.append(table(null, ["line", "column", "found", "what to do"], rows, [0], ["", "", "msg", "fix"]));
    if (n > items.length)
      det.append(el("p", { class: "more", text: "… and " + count(n - items.length) + " more" +
        (inRejects ? ": every one is in the rejected rows CSV." : ".") }));
    return det;
  }

  /*
   * A table of rows (arrays of text): the first FIRST_ROWS, then a button that adds
   * MORE_ROWS at a time (a file may have thousands of totals: rendering them all at
   * once would cost seconds and hundreds of MB).
   */
  function table(caption, heads, rows, numeric, classes) {
    const t = el("table");
    if (caption) t.append(el("caption", { text: caption }));
    const hr = el("tr");
    heads.forEach((h, k) => hr.append(el("th", { scope: "col", class: numeric.includes(k) ? "num" : "", text: h })));
    t.append(el("thead", {}, hr));
    const body = el("tbody");
    t.append(body);
    const wrap = el("div", { class: "table-wrap" }, t);
    let shown = 0;
    const more = el("button", { type: "button", class: "secondary more-rows" });
    const addRows = (n) => {
      const end = Math.min(rows.length, shown + n);
      const frag = document.createDocumentFragment();
      for (; shown < end; shown++) {
        const tr = el("tr");
        rows[shown].forEach((v, k) => tr.append(el("td", {
          class: numeric.includes(k) ? "num" : (classes && classes[k]) || "", text: v })));
        frag.append(tr);
      }
      body.append(frag);
      const left = rows.length - shown;
      more.hidden = left === 0;
      more.textContent = "Show " + count(Math.min(left, MORE_ROWS)) + " more of " + count(rows.length) + " rows";
    };
    more.addEventListener("click", () => addRows(MORE_ROWS));
    addRows(FIRST_ROWS);
    wrap.append(more);
    return wrap;
  }

  /* ---- saving ---------------------------------------------------------------------- */

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  $("save-json").addEventListener("click", () => {
    if (run && run.report) save(new Blob([run.report], { type: "application/json" }), "ncc-validate-report.json");
  });
  $("save-rejects").addEventListener("click", () => {
    if (run && run.rejects) save(run.rejects, "ncc-validate-rejects.csv");
  });
  $("files").addEventListener("change", begin);
  $("reference").addEventListener("change", () => { if (($("files").files || []).length) begin(); });
  $("again").addEventListener("click", begin);
  $("cancel").addEventListener("click", () => cancel(true));

  setState("loading");
  try {
    startWorker();
  } catch (e) {
    fail("this browser cannot start the checker (" + e.message + ")");
  }
})();
