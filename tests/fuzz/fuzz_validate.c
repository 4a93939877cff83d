/*
 * fuzz_validate.c - libFuzzer target for the whole validation path on
 * arbitrary bytes: ncc_validate_file (source, CSV reader, header binding,
 * every field check, the kinds' rules, duplicate keys, totals) with the
 * project's schemas and reference data, then what ncc-validate does with
 * the result: the ledger check, the JSON and text reports and the rejects
 * CSV.
 *
 * The input is the file itself, validated with ncc-validate's defaults
 * (auto encoding, kind from the header, MTFM code "MTFM"), so a crashing
 * input reproduces with `ncc-validate FILE`. Schemas and reference data
 * are loaded once (NCC_SCHEMA_DIR / NCC_REFERENCE_DIR, else the project's
 * schemas/ and fixtures/reference/).
 *
 * Checked besides the sanitizers: every issue has a known code and a
 * non-empty message that is valid UTF-8 and never shows an NHS number
 * (the values were decoded to UTF-8 and NHS numbers must be withheld);
 * every valid row handed to the sink is canonical (each value parses as
 * its column's type to the value carried, required columns are present);
 * the row accounting adds up; the reports are valid UTF-8.
 */
#include "fuzz_common.h"

#include <stdbool.h>

#include "app/cli.h"
#include "shared/codes.h"
#include "rules/field.h"
#include "rules/ledger.h"
#include "shared/log.h"
#include "output/report.h"
#include "rules/schema.h"
#include "rules/validate.h"

static ncc_cli_env env;
static ncc_rejects *rejects;
static bool bad_message; /* an issue of this input had a message that is not UTF-8 */

/* The demo ledger (fixtures/demo/ledger_202324.csv), for the ledger check. */
static const ncc_total ledger[] = {
    {"202324", "RAA", "APC", 1, (ncc_money)4456235600LL},
    {"202324", "RAA", "OP", 1, (ncc_money)1911287200LL},
    {"202324", "RBB", "APC", 1, (ncc_money)2473485300LL},
    {"202324", "RCC", "APC", 1, (ncc_money)4274455500LL},
};

FUZZ_NOCOV static bool utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (n - i < need)
            return false;
        for (size_t k = 1; k < need; k++) {
            if (p[i + k] < lo || p[i + k] > hi)
                return false;
            lo = 0x80;
            hi = 0xBF;
        }
        i += need;
    }
    return true;
}

static void on_issue(void *ctx, const ncc_issue *is)
{
    (void)ctx;
    FUZZ_EXPECT("issue-code", (int)is->code >= 0 && is->code < NCC_CODE_COUNT, "issue code %d",
                (int)is->code);
    FUZZ_EXPECT("issue-message", is->message && *is->message, "%s without a message",
                ncc_code_name(is->code));
    size_t n = strlen(is->message);
    if (!utf8_ok(is->message, n))
        bad_message = true; /* the reports will show it: checked once, here */
    FUZZ_EXPECT("message-utf8", utf8_ok(is->message, n), "%s message is not valid UTF-8: %s",
                ncc_code_name(is->code), is->message);
    FUZZ_EXPECT("message-nhs", !ncc_contains_nhs_number(is->message, n),
                "%s message shows an NHS number: %s", ncc_code_name(is->code), is->message);
    FUZZ_EXPECT("issue-line", is->line >= 0, "issue on line %ld", is->line);
    ncc_rejects_write(rejects, "fuzz.csv", is);
}

static int on_row(void *ctx, const ncc_row *row)
{
    (void)ctx;
    const ncc_schema *s = row->schema;
    for (int c = 0; c < s->ncols; c++) {
        const ncc_column *col = &s->cols[c];
        const ncc_value *v = &row->v[c];
        if (!v->s) {
            FUZZ_EXPECT("row-required", !col->required || col->derived,
                        "valid row without required %s", col->name);
            continue;
        }
        FUZZ_EXPECT("row-value", v->s[v->len] == '\0', "%s value not NUL-terminated", col->name);
        FUZZ_EXPECT("row-value", utf8_ok(v->s, v->len), "%s value is not valid UTF-8", col->name);
        FUZZ_EXPECT("row-value", memchr(v->s, '\0', v->len) == NULL, "%s value holds a NUL byte",
                    col->name);
        switch (col->type) {
        case NCC_TYPE_MONEY: {
            ncc_money m;
            FUZZ_EXPECT("row-canonical",
                        ncc_money_parse(v->s, v->len, &m) == NCC_PARSE_OK && m == v->m,
                        "%s \"%s\" is not the canonical text of its amount", col->name, v->s);
            if (col->has_min_value && !col->derived && !(s->rules & NCC_RULE_CREDIT_SIGN))
                FUZZ_EXPECT("row-canonical", m >= (ncc_money)col->min_value * NCC_MONEY_SCALE,
                            "%s %s below its minimum", col->name, v->s);
            break;
        }
        case NCC_TYPE_INT: {
            int64_t i;
            if (col->derived) { /* units = quantity x units per issue: may pass 18 digits */
                char t[24];
                snprintf(t, sizeof t, "%lld", (long long)v->i);
                FUZZ_EXPECT("row-canonical", strcmp(t, v->s) == 0, "%s \"%s\" is not %s", col->name,
                            v->s, t);
                break;
            }
            FUZZ_EXPECT(
                "row-canonical", ncc_int_parse(v->s, v->len, &i) == NCC_PARSE_OK && i == v->i,
                "%s \"%s\" is not the canonical text of %lld", col->name, v->s, (long long)v->i);
            if (col->has_min_value && !col->derived && !(s->rules & NCC_RULE_CREDIT_SIGN))
                FUZZ_EXPECT("row-canonical", i >= col->min_value, "%s %s below its minimum",
                            col->name, v->s);
            break;
        }
        case NCC_TYPE_DATE: {
            int y, m, d;
            FUZZ_EXPECT("row-canonical",
                        v->len == 10 && v->s[4] == '-' &&
                            ncc_date_parse(v->s, v->len, &y, &m, &d) == NCC_PARSE_OK,
                        "%s \"%s\" is not a canonical date", col->name, v->s);
            break;
        }
        case NCC_TYPE_QUARTER:
            FUZZ_EXPECT("row-canonical",
                        v->len == 1 && v->s[0] >= '1' && v->s[0] <= '4' && v->i == v->s[0] - '0',
                        "%s \"%s\" is not a quarter 1-4", col->name, v->s);
            break;
        case NCC_TYPE_STAGE:
            FUZZ_EXPECT("row-canonical",
                        v->len == 1 && v->s[0] >= '0' && v->s[0] <= '5' && v->i == v->s[0] - '0',
                        "%s \"%s\" is not a stage 0-5", col->name, v->s);
            break;
        case NCC_TYPE_PERIOD: {
            int y, m;
            FUZZ_EXPECT("row-canonical", ncc_period_parse(v->s, v->len, &y, &m) == NCC_PARSE_OK,
                        "%s \"%s\" is not a period", col->name, v->s);
            break;
        }
        case NCC_TYPE_FIN_YEAR: {
            int y;
            if (!col->derived)
                FUZZ_EXPECT("row-canonical", ncc_fin_year_parse(v->s, v->len, &y) == NCC_PARSE_OK,
                            "%s \"%s\" is not a financial year", col->name, v->s);
            else
                FUZZ_EXPECT("row-canonical",
                            v->len == 6 && ncc_charset_valid(NCC_CHARSET_DIGIT, v->s, 6),
                            "derived %s \"%s\" is not six digits", col->name, v->s);
            break;
        }
        case NCC_TYPE_ODS:
            FUZZ_EXPECT("row-canonical", ncc_ods_valid(v->s, v->len),
                        "%s \"%s\" is not an ODS code", col->name, v->s);
            break;
        case NCC_TYPE_GTIN:
            FUZZ_EXPECT("row-canonical", ncc_gtin_check(v->s, v->len) == NCC_GTIN_OK,
                        "%s \"%s\" is not a GTIN", col->name, v->s);
            break;
        case NCC_TYPE_OPCS: {
            char out[8];
            size_t n;
            FUZZ_EXPECT("row-canonical",
                        ncc_opcs_normalise(v->s, v->len, out, &n) && n == v->len &&
                            memcmp(out, v->s, n) == 0,
                        "%s \"%s\" is not a dotless OPCS code", col->name, v->s);
            break;
        }
        case NCC_TYPE_BOOL:
            FUZZ_EXPECT("row-canonical", strcmp(v->s, "t") == 0 || strcmp(v->s, "f") == 0,
                        "%s \"%s\"", col->name, v->s);
            break;
        case NCC_TYPE_ENUM: {
            bool found = false;
            for (int k = 0; k < col->nvalues && !found; k++)
                found = strcmp(col->values[k], v->s) == 0;
            FUZZ_EXPECT("row-canonical", found, "%s \"%s\" is not one of its values", col->name,
                        v->s);
            break;
        }
        case NCC_TYPE_TEXT:
        case NCC_TYPE_CODE: {
            size_t chars = ncc_utf8_length(v->s, v->len);
            FUZZ_EXPECT("row-canonical", ncc_charset_valid(col->charset, v->s, v->len),
                        "%s \"%s\" breaks its character set", col->name, v->s);
            FUZZ_EXPECT("row-canonical", !col->max_len || chars <= (size_t)col->max_len,
                        "%s too long", col->name);
            FUZZ_EXPECT("row-canonical", !col->min_len || chars >= (size_t)col->min_len,
                        "%s too short", col->name);
            if (col->pii)
                FUZZ_EXPECT("row-canonical", !ncc_nhs_number_like(v->s, v->len),
                            "%s holds an NHS number", col->name);
            break;
        }
        case NCC_TYPE_TECHNOLOGY:
            break;
        }
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ncc_log_init("fuzz_validate");
    ncc_cli_flags flags;
    memset(&flags, 0, sizeof flags);
    if (ncc_cli_env_open(&env, &flags) != NCC_EXIT_OK) {
        fprintf(stderr, "fuzz_validate: cannot load the schemas or the reference data\n");
        abort();
    }
    /* The record buffer is allocated whole for every file: 1 MiB from common.json costs
     * more than the validation of a small input. Inputs shorter than 64 KiB (all of
     * them at the -max_len scripts/fuzz uses) behave the same with 64 KiB. */
    if (env.schemas.record_bytes > 65536)
        env.schemas.record_bytes = 65536;
    char err[512];
    rejects = ncc_rejects_open("/dev/null", err, sizeof err);
    if (!rejects) {
        fprintf(stderr, "fuzz_validate: %s\n", err);
        abort();
    }
    fuzz_file_init();
    return 0;
}

static void check_report(int (*fn)(FILE *, const ncc_file_result *, int), ncc_file_result *res)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    FUZZ_EXPECT("report", fn(out, res, 1) == 0, "report failed");
    fclose(out);
    if (!bad_message)
        FUZZ_EXPECT("report-utf8", utf8_ok(text, len), "the report is not valid UTF-8");
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_write(data, size);
    bad_message = false;
    ncc_sink sink = {NULL, on_row, on_issue};
    ncc_file_result res;
    int rc = ncc_validate_file(path, &env.vcfg, &sink, &res);
    FUZZ_EXPECT("validate-result", rc == 0, "ncc_validate_file returned %d (out of memory?)", rc);

    FUZZ_EXPECT("accounting", res.rows_read == res.rows_valid + res.rows_rejected,
                "rows read %lld != valid %lld + rejected %lld", res.rows_read, res.rows_valid,
                res.rows_rejected);
    long long file_errors = 0, row_errors = 0;
    for (int c = 0; c < NCC_CODE_COUNT; c++) {
        FUZZ_EXPECT("accounting",
                    res.nexamples[c] <= NCC_EXAMPLES_PER_CODE && res.nexamples[c] <= res.counts[c],
                    "examples of %s", ncc_code_name((ncc_code)c));
        if (ncc_code_level((ncc_code)c) == NCC_LEVEL_FILE)
            file_errors += res.counts[c];
        else if (ncc_code_level((ncc_code)c) == NCC_LEVEL_ROW)
            row_errors += res.counts[c];
    }
    FUZZ_EXPECT("accounting", file_errors == res.nfile_errors, "%lld file errors counted, %d kept",
                file_errors, res.nfile_errors);
    FUZZ_EXPECT("accounting", res.nerrors == (row_errors < 1000 ? row_errors : 1000),
                "%d row errors kept of %lld", res.nerrors, row_errors);
    FUZZ_EXPECT("accounting", !res.rows_rejected || row_errors,
                "rows rejected without a row error");
    FUZZ_EXPECT("accounting", !res.complete || !res.nfile_errors,
                "a complete file with file errors");
    if (res.nfile_errors)
        FUZZ_EXPECT("accounting", strcmp(ncc_file_result_status(&res), "rejected") == 0, "status");
    for (int t = 0; t < res.ntotals; t++)
        FUZZ_EXPECT("accounting", res.totals[t].rows > 0, "a group without rows");

    if (res.schema && strcmp(res.schema->kind, "cost") == 0 && !res.nfile_errors)
        ncc_ledger_check(&res, ledger, (int)(sizeof ledger / sizeof ledger[0]),
                         env.ledger_tolerance);
    check_report(ncc_report_json, &res);
    check_report(ncc_report_text, &res);
    ncc_file_result_free(&res);
    return 0;
}
