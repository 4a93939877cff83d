/*
 * worker.js - the Web Worker of the browser validator. It runs the
 * WebAssembly module (ncc_web.c over etl/lib, bundled before this script as
 * createNccModule) so that the page stays responsive, and feeds it the chosen
 * files as it asks for them.
 *
 * Streaming in bounded memory. With JavaScript Promise Integration (module-pre.js;
 * Chromium-based browsers) a file is read through file.stream() with a BYOB reader
 * into one ArrayBuffer that every read reuses (a default reader would hand out a
 * new buffer per chunk for the garbage collector), each chunk copied into the
 * buffer the C source passed (NCC_SOURCE_BUFSIZE) while the module waits,
 * suspended; while it works on a chunk the next read is already under way, in
 * the same buffer (see nccRead). Without JSPI (other browsers) the module reads synchronously:
 * FileReaderSync, one slice of the file per read. Either way nothing of a file
 * stays here after its chunk is copied; the rejects CSV goes out of the module's
 * memory into Blobs (which Chromium keeps outside the page's process).
 *
 * Messages from the page:  {type: "check", files: [File], reference: [File],
 *                           options: {encoding, mtfmCode, tolerance}}
 * Messages to the page:    {type: "ready", jspi, kinds: [{kind, description}], reference: [name]}
 *                          jspi: which way files are read; kinds: the file kinds of the
 *                          built-in schemas; reference: the names of the built-in reference
 *                          CSVs (a chosen CSV of one of these names replaces that one)
 *                          {type: "progress", done, total}   bytes read of all files
 *                          {type: "file", index, report, details}  after each file
 *                          {type: "done", report, details, rejects: Blob, notes: [string]}
 *                          {type: "failed", message}
 * report is the JSON text of contract 5.1 (of that one file, then of them all);
 * details ncc_web_details()'s. Cancelling is the page's: it terminates this worker.
 */
"use strict";

/* global createNccModule */

const SHIPPED_REFERENCE = "/ncc/reference"; /* fixtures/reference, built in */
const SCHEMAS = "/ncc/schemas";             /* schemas/, built in */
const REFERENCE_MAX_BYTES = 64 * 1024 * 1024; /* one reference CSV, read whole */
const PROGRESS_EVERY_MS = 100;
const READ_BUFFER_BYTES = 128 * 1024; /* the one buffer a file's stream is read into (nccRead) */

let mod = null;       /* the module instance */
let cur = null;       /* the file being read: see openFile */
let rejects = null;   /* BlobSink of the run's rejects CSV */
let progress = { done: 0, total: 0, sent: 0 };

/* Bytes written by the module to /dev/ncc-rejects, kept in Blobs of up to 1 MiB. */
class BlobSink {
  constructor() {
    this.parts = [];
    this.buf = null;
    this.n = 0;
  }
  add(bytes) {
    if (!this.buf) this.buf = new Uint8Array(1 << 20);
    while (bytes.length) {
      const k = Math.min(bytes.length, this.buf.length - this.n);
      this.buf.set(bytes.subarray(0, k), this.n);
      this.n += k;
      bytes = bytes.subarray(k);
      if (this.n === this.buf.length) this.flush();
    }
  }
  flush() {
    if (this.n) this.parts.push(new Blob([this.buf.subarray(0, this.n)]));
    this.n = 0;
    if (this.parts.length >= 64) this.parts = [new Blob(this.parts)];
  }
  blob() {
    this.flush();
    return new Blob(this.parts, { type: "text/csv" });
  }
}

function openFile(file) {
  let reader = null, byob = false;
  if (mod.nccJspi) {
    try {
      reader = file.stream().getReader({ mode: "byob" });
      byob = true;
    } catch (e) {
      reader = file.stream().getReader(); /* a browser without byte streams for files */
    }
  }
  /* buf: the one buffer; its bytes [off, off + len) are read but not yet copied.
   * pos: the next offset to read without JSPI. */
  return { file, reader, byob, buf: null, off: 0, len: 0, pending: null, done: false, failed: false, pos: 0 };
}

function closeFile(f) {
  if (f && f.reader) f.reader.cancel().catch(() => {});
}

/*
 * Check one file (ncc_web_check): its name is copied to the module's heap, not its
 * stack, because under JSPI the call returns a Promise while the module's stack waits.
 */
async function checkFile(file, name) {
  const bytes = new TextEncoder().encode(name + "\0");
  const p = mod._malloc(bytes.length);
  if (!p) return -1;
  mod.HEAPU8.set(bytes, p);
  cur = openFile(file);
  try {
    return await mod._ncc_web_check(p, file.size);
  } finally {
    closeFile(cur);
    cur = null;
    mod._free(p);
  }
}

/* Start the next read into cur.buf (the BYOB reader detaches it and hands it back). */
function startRead(f) {
  if (f.byob)
    f.pending = f.reader.read(new Uint8Array(f.buf, 0, f.buf.byteLength));
  else
    f.pending = f.reader.read();
}

/* Wait for the read under way; afterwards f.buf holds f.len new bytes at 0, or f.done. */
async function finishRead(f) {
  const { value, done } = await f.pending;
  f.pending = null;
  if (f.byob) {
    if (value) f.buf = value.buffer;
    f.off = 0;
    f.len = value ? value.byteLength : 0;
  } else if (value) {
    if (!f.buf || f.buf.byteLength < value.byteLength) f.buf = new ArrayBuffer(value.byteLength);
    new Uint8Array(f.buf).set(value);
    f.off = 0;
    f.len = value.byteLength;
  }
  if (done) f.done = true;
}

function reportProgress(force) {
  if (progress.quiet) return;
  const now = Date.now();
  if (force || now - progress.sent >= PROGRESS_EVERY_MS) {
    progress.sent = now;
    postMessage({ type: "progress", done: progress.done, total: progress.total });
  }
}

/*
 * The module's read (web_read in ncc_web.c): up to cap bytes of the current file
 * into its memory at ptr. Returns the count, 0 at the end, -1 when the browser
 * cannot read the file (it changed or went away since it was chosen).
 *
 * It hands over what the last chunk of the stream holds (at most cap), as read(2)
 * may, rather than waiting for more chunks to fill cap: when a chunk is all copied
 * the next read into the one buffer starts at once, and the browser reads it while
 * the module works on this one. (A chunk of a File's stream is often smaller than
 * the buffer: waiting to fill cap left the module idle for 16 % of the time.) The
 * buffer is READ_BUFFER_BYTES: 64 KiB to 1 MiB were tried on the 2 M-row file, and
 * 128 KiB was the fastest (1 MiB the slowest: a large read keeps the module waiting).
 */
async function nccRead(ptr, cap) {
  const f = cur;
  if (!f || f.failed) return -1;
  if (!f.buf) f.buf = new ArrayBuffer(Math.min(cap, READ_BUFFER_BYTES));
  let k = 0;
  try {
    while (f.len === 0) {
      if (f.done) return 0;
      if (!f.pending) startRead(f);
      await finishRead(f);
    }
    k = Math.min(cap, f.len);
    mod.HEAPU8.set(new Uint8Array(f.buf, f.off, k), ptr);
    f.off += k;
    f.len -= k;
    /* read ahead while the module works on this chunk */
    if (f.len === 0 && !f.done && !f.pending) startRead(f);
  } catch (e) {
    f.failed = true;
    return -1;
  }
  progress.done += k;
  reportProgress(false);
  return k;
}

/* The module's read without JSPI: the next cap bytes of the file, read synchronously. */
function nccReadSync(ptr, cap) {
  const f = cur;
  if (!f || f.failed) return -1;
  const n = Math.min(cap, f.file.size - f.pos);
  if (n <= 0) return 0;
  try {
    const bytes = new Uint8Array(new FileReaderSync().readAsArrayBuffer(f.file.slice(f.pos, f.pos + n)));
    mod.HEAPU8.set(bytes, ptr);
    f.pos += bytes.length;
    progress.done += bytes.length;
    reportProgress(false);
    return bytes.length;
  } catch (e) {
    f.failed = true;
    return -1;
  }
}

/* The module's peek (web_peek): len bytes at offset off, for the gzip size hint. */
function nccPeek(ptr, len, off) {
  const f = cur;
  if (!f || off + len > f.file.size) return -1;
  try {
    const bytes = new Uint8Array(new FileReaderSync().readAsArrayBuffer(f.file.slice(off, off + len)));
    if (bytes.length !== len) return -1;
    mod.HEAPU8.set(bytes, ptr);
    return 0;
  } catch (e) {
    return -1;
  }
}

function moduleString(fn, first) {
  const p = first === undefined ? mod.ccall(fn, "number", [], []) : mod.ccall(fn, "number", ["number"], [first]);
  return p ? mod.UTF8ToString(p) : null;
}

/* The names of the built-in reference CSVs, sorted. */
function referenceNames() {
  return mod.FS.readdir(SHIPPED_REFERENCE).filter((n) => n.endsWith(".csv")).sort();
}

/* The kinds of file the built-in schemas define: [{kind, description}], sorted by kind. */
function schemaKinds() {
  const kinds = [];
  for (const name of mod.FS.readdir(SCHEMAS).filter((n) => n.endsWith(".json")).sort()) {
    try {
      const s = JSON.parse(mod.FS.readFile(SCHEMAS + "/" + name, { encoding: "utf8" }));
      if (s && typeof s.kind === "string") kinds.push({ kind: s.kind, description: s.description || "" });
    } catch (e) { /* the module's own schema load reports it */ }
  }
  return kinds.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
}

/* Chosen reference CSVs over a copy of the shipped ones; returns the directory and notes. */
async function referenceDir(files) {
  if (!files || !files.length) return { dir: SHIPPED_REFERENCE, notes: [] };
  const FS = mod.FS, dir = "/ncc/user-reference", notes = [], names = referenceNames();
  try {
    for (const name of FS.readdir(dir)) if (name !== "." && name !== "..") FS.unlink(dir + "/" + name);
  } catch (e) {
    FS.mkdir(dir);
  }
  for (const name of names) FS.writeFile(dir + "/" + name, FS.readFile(SHIPPED_REFERENCE + "/" + name));
  for (const f of files) {
    const name = f.name.toLowerCase();
    if (!names.includes(name)) {
      notes.push("reference file \"" + f.name + "\" ignored: reference files are named " +
                 names.join(", "));
    } else if (f.size > REFERENCE_MAX_BYTES) {
      notes.push("reference file \"" + f.name + "\" ignored: it is over 64 MiB");
    } else {
      FS.writeFile(dir + "/" + name, new Uint8Array(await f.arrayBuffer()));
      notes.push("reference data: " + name + " from the file chosen, the others as shipped");
    }
  }
  return { dir, notes };
}

async function check(files, reference, options) {
  const ref = await referenceDir(reference);
  rejects = new BlobSink();
  const o = options || {};
  if (mod.ccall("ncc_web_begin", "number", ["string", "string", "string", "string"],
                [ref.dir, o.encoding || "", o.mtfmCode || "", o.tolerance || ""]) !== 0) {
    postMessage({ type: "failed", message: moduleString("ncc_web_error") });
    return;
  }
  progress = { done: 0, total: files.reduce((n, f) => n + f.size, 0), sent: 0 };
  reportProgress(true);
  for (let i = 0; i < files.length; i++) {
    const rc = await checkFile(files[i], files[i].name);
    if (rc !== 0) {
      postMessage({ type: "failed", message: moduleString("ncc_web_error") });
      return;
    }
    reportProgress(true);
    postMessage({ type: "file", index: i, report: moduleString("ncc_web_report", i),
                  details: moduleString("ncc_web_details", i) });
  }
  if (mod.ccall("ncc_web_finish", "number", [], []) !== 0) {
    postMessage({ type: "failed", message: moduleString("ncc_web_error") });
    return;
  }
  const report = moduleString("ncc_web_report", 0), details = moduleString("ncc_web_details", 0);
  mod.ccall("ncc_web_end", null, [], []);
  postMessage({ type: "done", report, details, rejects: rejects.blob(), notes: ref.notes });
  rejects = null;
}

/*
 * A first, silent check of generated rows before the page says "ready": the browser
 * compiles WebAssembly in two tiers and moves the hot functions to the optimising
 * tier only once they have run a while, so the practitioner's first file would
 * otherwise run partly in the slower tier.
 */
async function warmUp() {
  const rows = ["fin_year,org_code,feed,activity_id,currency_code,service_code,department_code," +
                "opcs_procedure,collection_resource,collection_activity,technology_id,activity_count,cost"];
  for (let i = 0; i < 40000; i++)
    rows.push(i % 20 ? `202324,RAA,APC,W${i},LB09C,100,EL,,STAFF,WARD,,1,${i % 997}.25`
                     : `202324,RAA,APC,W${i},LB09C,100,EL,M653,MTFM,THEATRE,MTG58,2,1${i % 89}.50`);
  const blob = new Blob([rows.join("\n") + "\n"]);
  progress = { done: 0, total: 0, sent: 0, quiet: true };
  if (mod.ccall("ncc_web_begin", "number", ["string", "string", "string", "string"],
                [SHIPPED_REFERENCE, "", "", ""]) !== 0)
    return;
  await checkFile(blob, "warm-up.csv");
  mod.ccall("ncc_web_end", null, [], []);
}

const ready = createNccModule({
  nccRead,
  nccReadSync,
  nccPeek,
  print: (text) => console.log(text),
  printErr: (text) => console.warn(text),
}).then((m) => {
  mod = m;
  const FS = m.FS, dev = FS.makedev(64, 0);
  FS.registerDevice(dev, {
    open() {},
    close() {},
    read() { return 0; },
    write(stream, buffer, offset, length) {
      if (rejects) rejects.add(buffer.subarray(offset, offset + length));
      return length;
    },
  });
  FS.mkdev("/dev/ncc-rejects", dev);
  return warmUp().catch(() => {});
}).then(() => {
  progress = { done: 0, total: 0, sent: 0 };
  postMessage({ type: "ready", jspi: !!mod.nccJspi, kinds: schemaKinds(), reference: referenceNames() });
}, (e) => {
  postMessage({ type: "failed", message: "the checker cannot start: " + (e && e.message ? e.message : String(e)) });
});

self.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type !== "check") return;
  ready.then(() => check(msg.files, msg.reference, msg.options)).catch((e) => {
    postMessage({ type: "failed", message: "the check stopped: " + (e && e.message ? e.message : String(e)) });
  });
};
