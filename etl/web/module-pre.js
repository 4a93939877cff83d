/*
 * module-pre.js - linked into the WebAssembly module's JavaScript (emcc --pre-js):
 * lets the module wait for the browser while it reads a file, through JavaScript
 * Promise Integration (JSPI: WebAssembly.Suspending and WebAssembly.promising,
 * in Chromium-based browsers since version 137).
 *
 * As compiled, ncc_web.c's import web_read is synchronous (worker.js's
 * nccReadSync, FileReaderSync). Where JSPI is there, the module is instantiated
 * here instead: web_read becomes a suspending import over worker.js's async
 * nccRead (the file's stream, one reused buffer), and the export ncc_web_check,
 * which reaches it, a promising one: calling it returns a Promise, and the module's
 * stack waits, suspended, while each chunk comes. No code is rewritten for it
 * (Emscripten's ASYNCIFY instruments every function on the way and cost 11 % of the
 * time here; docs/performance.md).
 *
 * Runs inside the module's factory: wasmBinaryFile, tryParseAsDataURI,
 * readyPromiseReject and Module are the generated code's. The import and export names are not minified
 * because the module links -lexports.js. Module.nccJspi tells worker.js which way
 * it runs; self.nccNoJspi (set by the page for tests) forces the synchronous way.
 */
if (typeof WebAssembly.Suspending === "function" && typeof WebAssembly.promising === "function" &&
    !(typeof self !== "undefined" && self.nccNoJspi)) {
  Module["nccJspi"] = true;
  Module["instantiateWasm"] = function (info, receiveInstance) {
    info["env"]["web_read"] = new WebAssembly.Suspending(function (buf, cap) {
      return Module["nccRead"](buf, cap);
    });
    WebAssembly.instantiate(tryParseAsDataURI(wasmBinaryFile), info).then(function (result) {
      var exports = Object.assign({}, result.instance.exports);
      exports["ncc_web_check"] = WebAssembly.promising(result.instance.exports["ncc_web_check"]);
      receiveInstance({ exports: exports }, result.module);
    }, function (e) {
      readyPromiseReject(e);
    });
    return {};
  };
}
