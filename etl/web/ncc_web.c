/*
 * ncc_web.c - the WebAssembly entry point of the browser validator: the
 * checks of ncc-validate (etl/lib: the shared, reading, rules and output
 * layers, unchanged), driven from the page's Web Worker (worker.js).
 *
 * One run, in this order, each call returning a status:
 *   ncc_web_begin    settings and reference data (as ncc-validate resolves
 *                    its flags), the rejects CSV opened on /dev/ncc-rejects
 *                    (a device worker.js creates: every write goes to
 *                    JavaScript, which keeps it as a Blob outside this
 *                    module's memory);
 *   ncc_web_check    one file, in the order chosen, for as many files;
 *   ncc_web_finish   the ledger check of contract 2.2 across the files, as
 *                    ncc-validate does when ledger files come with cost files;
 *   ncc_web_report   the JSON of contract 5.1 (of every file, or of the last
 *                    one as it is done); ncc_web_details what the page shows
 *                    beyond it (gzip, the first examples of each code, as the
 *                    text report prints them);
 *   ncc_web_end      frees everything.
 *
 * Bytes are pulled, not pushed: ncc_validate_file opens the file's name like
 * a path, and that name is bound (ncc_source_bind_reader) to a reader whose
 * read callback is the import web_read. In a browser with JavaScript Promise
 * Integration the module waits inside that import, suspended, while the
 * browser reads the next chunk of the file's stream (module-pre.js); in one
 * without, web_read reads synchronously (FileReaderSync, in the worker). So
 * the rules run exactly as on the command line, one pass, in the library's
 * bounded memory: the only buffers here are the source's
 * (NCC_SOURCE_BUFSIZE), filled one read at a time.
 */
#include <emscripten.h>
#include <errno.h>
#include <iconv.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "output/report.h"
#include "reading/source.h"
#include "rules/field.h"
#include "rules/ledger.h"
#include "rules/refdata.h"
#include "rules/schema.h"
#include "rules/validate.h"

#define SCHEMA_DIR "/ncc/schemas"
#define REJECTS_DEVICE "/dev/ncc-rejects"
#define MAX_FILES 4096 /* files in one run */
#define MTFM_CODE_MAX 20

/*
 * Up to cap bytes of the current file into buf: the count, 0 at its end, -1
 * when the browser cannot read it. As compiled it calls worker.js's
 * nccReadSync; module-pre.js replaces it, where it can, by a suspending import
 * over nccRead, which reads the file's stream with a BYOB reader into one
 * reused buffer and copies into buf.
 */
EM_JS(int, web_read, (void *buf, int cap), { return Module.nccReadSync(buf, cap); });

/* len bytes at offset off of the current file into buf (FileReaderSync): 0, or -1. */
EM_JS(int, web_peek, (void *buf, int len, double off), { return Module.nccPeek(buf, len, off); });

static struct {
    bool begun;
    ncc_schema_set schemas;
    ncc_refdata *ref;
    char mtfm_code[MTFM_CODE_MAX + 1];
    char encoding[64];
    ncc_money tolerance;
    ncc_validate_config vcfg;
    ncc_rejects *rejects;
    const char *file; /* the name being checked, for the rejects sink */
    ncc_file_result *results;
    int nresults;
    char *out;        /* the last report or details, for JavaScript to copy */
    int out_first;    /* the first file they cover */
    char error[1024]; /* why the last call failed */
} run;

static ssize_t reader_read(void *ctx, void *buf, size_t cap)
{
    (void)ctx;
    int n = web_read(buf, cap > (1u << 30) ? 1 << 30 : (int)cap);
    if (n < 0) {
        errno = EIO;
        return -1;
    }
    return n;
}

static int reader_peek(void *ctx, void *buf, size_t len, uint64_t off)
{
    (void)ctx;
    return len > 64 ? -1 : web_peek(buf, (int)len, (double)off);
}

static void on_issue(void *ctx, const ncc_issue *is)
{
    (void)ctx;
    ncc_rejects_write(run.rejects, run.file, is);
}

static int failed(const char *why)
{
    snprintf(run.error, sizeof run.error, "%s", why);
    return -1;
}

/* Free everything of the run; the message of the last failure stays. */
EMSCRIPTEN_KEEPALIVE void ncc_web_end(void)
{
    char error[sizeof run.error];
    memcpy(error, run.error, sizeof error);
    for (int i = 0; i < run.nresults; i++)
        ncc_file_result_free(&run.results[i]);
    free(run.results);
    (void)ncc_rejects_close(run.rejects);
    ncc_refdata_free(run.ref);
    if (run.begun)
        ncc_schema_set_free(&run.schemas);
    free(run.out);
    ncc_source_bind_reader(NULL, NULL);
    memset(&run, 0, sizeof run);
    memcpy(run.error, error, sizeof error);
}

EMSCRIPTEN_KEEPALIVE const char *ncc_web_error(void)
{
    return run.error;
}

/*
 * Start a run: reference CSVs from reference_dir, settings as ncc-validate's
 * flags (NULL or "" for the default: encoding auto, MTFM code MTFM, ledger
 * tolerance 0.01). Returns 0, or -1 with the reason in ncc_web_error().
 */
EMSCRIPTEN_KEEPALIVE int ncc_web_begin(const char *reference_dir, const char *encoding,
                                       const char *mtfm_code, const char *tolerance)
{
    char err[1024];

    ncc_web_end();
    run.error[0] = '\0';
    if (encoding && *encoding && strcasecmp(encoding, "auto") != 0) {
        iconv_t cd = iconv_open("UTF-8", encoding);
        if (cd == (iconv_t)-1 || strlen(encoding) >= sizeof run.encoding)
            return failed("unknown encoding: use auto, UTF-8 or WINDOWS-1252");
        iconv_close(cd);
        snprintf(run.encoding, sizeof run.encoding, "%s", encoding);
    }
    const char *mtfm = mtfm_code && *mtfm_code ? mtfm_code : "MTFM";
    size_t ml = strlen(mtfm);
    if (ml > MTFM_CODE_MAX)
        return failed("the MTFM collection resource code must be 1 to 20 characters");
    for (size_t i = 0; i <= ml; i++)
        run.mtfm_code[i] = (mtfm[i] >= 'a' && mtfm[i] <= 'z') ? (char)(mtfm[i] - 32) : mtfm[i];
    const char *tol = tolerance && *tolerance ? tolerance : "0.01";
    if (ncc_ledger_tolerance_parse(tol, &run.tolerance) < 0)
        return failed("the ledger tolerance must be a fraction such as 0.01");
    if (ncc_schema_set_load(SCHEMA_DIR, &run.schemas, err, sizeof err) < 0)
        return failed(err);
    run.begun = true;
    run.ref = ncc_refdata_load(reference_dir, err, sizeof err);
    if (!run.ref) {
        failed(err);
        ncc_web_end();
        return -1;
    }
    run.rejects = ncc_rejects_open(REJECTS_DEVICE, err, sizeof err);
    if (!run.rejects) {
        failed(err);
        ncc_web_end();
        return -1;
    }
    run.vcfg.schemas = &run.schemas;
    run.vcfg.ref = run.ref;
    run.vcfg.encoding = run.encoding[0] ? run.encoding : NULL;
    run.vcfg.mtfm_code = run.mtfm_code;
    run.vcfg.errors_kept = 1000;
    return 0;
}

/*
 * Check the next file: name as the reports show it, size its bytes (0 when
 * unknown). Its bytes come from web_read until it returns 0. Returns 0 when
 * the file was checked (whatever it holds), -1 on an internal failure. The
 * only export that reads a file (under JSPI: the promising one). name must
 * not live on the module's stack: call it directly, not through ccall.
 */
EMSCRIPTEN_KEEPALIVE int ncc_web_check(const char *name, double size)
{
    if (!run.rejects)
        return failed("no run begun");
    if (run.nresults >= MAX_FILES)
        return failed("too many files in one check (at most 4096)");
    if (run.nresults % 16 == 0) {
        ncc_file_result *grown = realloc(run.results, (size_t)(run.nresults + 16) * sizeof *grown);
        if (!grown)
            return failed("out of memory");
        run.results = grown;
    }
    ncc_source_reader rd = {reader_read, reader_peek, NULL, size > 0 ? (uint64_t)size : 0};
    if (ncc_source_bind_reader(name, &rd) < 0)
        return failed("the file name is too long");
    ncc_sink sink = {NULL, NULL, on_issue};
    run.file = name;
    int rc = ncc_validate_file(name, &run.vcfg, &sink, &run.results[run.nresults]);
    run.nresults++; /* filled even on failure, and freed with the others */
    run.file = NULL;
    ncc_source_bind_reader(NULL, NULL);
    return rc < 0 ? failed("out of memory while checking the file") : 0;
}

/* A ledger failure added after the rows were read: to the rejects CSV too. */
static void ledger_reject(void *ctx, const ncc_file_result *res, const ncc_kept_issue *ki)
{
    (void)ctx;
    ncc_issue is = {ki->code, 0, ki->column, ki->message};
    ncc_rejects_write(run.rejects, res->path, &is);
}

/*
 * After the last file: ledger files checked in the same run hold the ledger
 * rows each cost file's totals must match (contract 2.2), exactly as
 * ncc-validate does (ncc_ledger_check_files); the failures go to the rejects
 * CSV too, which is then complete. Returns 0, or -1 when out of memory.
 */
EMSCRIPTEN_KEEPALIVE int ncc_web_finish(void)
{
    if (ncc_ledger_check_files(run.results, run.nresults, run.tolerance, ledger_reject, NULL) < 0)
        return failed("out of memory");
    int rc = ncc_rejects_close(run.rejects);
    run.rejects = NULL;
    return rc < 0 ? failed("cannot write the rejects CSV") : 0;
}

/* Keep the text written to a memory stream by write(f) in run.out. */
static const char *keep_output(int (*write)(FILE *f))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        failed("out of memory");
        return NULL;
    }
    int rc = write(f);
    if (fclose(f) != 0 || rc < 0) {
        free(buf);
        failed("out of memory while writing the report");
        return NULL;
    }
    free(run.out);
    run.out = buf;
    return buf;
}

static int write_report(FILE *f)
{
    return ncc_report_json(f, run.results + run.out_first, run.nresults - run.out_first);
}

/* Files from first on (clamped to those checked). */
static void set_first(int first)
{
    run.out_first = first < 0 ? 0 : first > run.nresults ? run.nresults : first;
}

/* The JSON of contract 5.1 for the files checked so far from the first-th on
 * (0: all of them; its "ok" then covers those files only), NUL-terminated,
 * borrowed until the next call; NULL with ncc_web_error(). */
EMSCRIPTEN_KEEPALIVE const char *ncc_web_report(int first)
{
    set_first(first);
    return keep_output(write_report);
}

static json_object *example_json(const ncc_kept_issue *k)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "line", k->line > 0 ? json_object_new_int64(k->line) : NULL);
    json_object_object_add(o, "column", k->column[0] ? json_object_new_string(k->column) : NULL);
    json_object_object_add(o, "message", json_object_new_string(k->message));
    return o;
}

static int write_details(FILE *f)
{
    json_object *files = json_object_new_array();
    for (int i = run.out_first; i < run.nresults; i++) {
        const ncc_file_result *r = &run.results[i];
        json_object *o = json_object_new_object(), *ex = json_object_new_object();
        json_object_object_add(o, "gzip", json_object_new_boolean(r->gzip));
        json_object_object_add(o, "feed_label", json_object_new_string(ncc_report_feed_label(r)));
        for (int c = 0; c < NCC_CODE_COUNT; c++) {
            if (!r->nexamples[c])
                continue;
            json_object *a = json_object_new_array();
            for (int k = 0; k < r->nexamples[c]; k++)
                json_object_array_add(a, example_json(&r->examples[c][k]));
            json_object_object_add(ex, ncc_code_name((ncc_code)c), a);
        }
        json_object_object_add(o, "examples", ex);
        json_object_array_add(files, o);
    }
    int rc = fputs(json_object_to_json_string_ext(files, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE),
                   f);
    json_object_put(files);
    return rc < 0 ? -1 : 0;
}

/*
 * What the page shows beyond the report, one object per file from the
 * first-th on, in the report's order: {"gzip": bool, "feed_label": "feed" or "route" (the
 * text report's heading of the totals' third column), "examples": {"E_NUMBER": [{"line",
 * "column", "message"}, ...]}} - the first NCC_EXAMPLES_PER_CODE of every code, as the
 * text report prints them (the report's errors stop at 1000). Borrowed until
 * the next call; NULL with ncc_web_error().
 */
EMSCRIPTEN_KEEPALIVE const char *ncc_web_details(int first)
{
    set_first(first);
    return keep_output(write_details);
}
