/* Unit tests of report: the JSON of contract 5.1, the 80-column text report, the rejects CSV. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/refdata.h"
#include "output/report.h"
#include "rules/schema.h"
#include "testutil.h"
#include "rules/validate.h"

static ncc_schema_set set;
static ncc_refdata *ref;

static void setup(void)
{
    char err[512];
    cr_assert_eq(ncc_schema_set_load(NULL, &set, err, sizeof err), 0, "%s", err);
    ref = ncc_refdata_load(NULL, err, sizeof err);
    cr_assert_not_null(ref, "%s", err);
}

static void teardown(void)
{
    ncc_refdata_free(ref);
    ncc_schema_set_free(&set);
}

TestSuite(report, .init = setup, .fini = teardown);

#define COST_HDR                                                                                   \
    "fin_year,org_code,feed,activity_id,currency_code,service_code,department_code,"               \
    "opcs_procedure,collection_resource,collection_activity,technology_id,activity_count,cost\n"

/* Validate text as a file; the issues go to sink (may be NULL). */
static void validate_sink(const void *text, size_t len, const char *kind, const ncc_sink *sink,
                          ncc_file_result *res)
{
    char *path = tu_write_temp(text, len);
    ncc_validate_config cfg = {
        .schemas = &set, .ref = ref, .kind = kind, .mtfm_code = "MTFM", .errors_kept = 1000};
    cr_assert_eq(ncc_validate_file(path, &cfg, sink, res), 0);
    cr_assert_str_eq(res->path, path);
    tu_remove(path);
}

static void validate(const char *text, ncc_file_result *res)
{
    validate_sink(text, strlen(text), NULL, NULL, res);
}

/* The files of most tests: valid, invalid, rejected (missing column), rejected (unknown kind). */
enum { F_VALID, F_INVALID, F_MISSING, F_UNKNOWN, NFILES };

static void validate_four(ncc_file_result res[NFILES])
{
    validate(COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,MTFM,THEATRE,MTG58,2,4900\n"
                      "202324,RAA,APC,A2,LB09C,100,EL,,MTFM,THEATRE,MTG29,1,3100.123456\n"
                      "202324,RAA,OP,A3,LB09C,100,EL,,STAFF,WARD,,1,0.5\n",
             &res[F_VALID]);
    cr_assert_str_eq(ncc_file_result_status(&res[F_VALID]), "valid");
    validate(COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,MTFM,THEATRE,MTG58,2,100\n"
                      "202324,RAA,APC,A2,LB09C,100,EL,,STAFF,WARD,,1,1.2.3\n"
                      "202324,RAA,XYZ,A3,LB09C,100,EL,,STAFF,WARD,,1,1\n"
                      "202324,RAA,APC,A4\n",
             &res[F_INVALID]);
    cr_assert_str_eq(ncc_file_result_status(&res[F_INVALID]), "invalid");
    validate("fin_year,org_code,feed,activity_id,currency_code,collection_resource,"
             "collection_activity,activity_count\n202324,RAA,APC,A1,X,Y,Z,1\n",
             &res[F_MISSING]);
    cr_assert_str_eq(ncc_file_result_status(&res[F_MISSING]), "rejected");
    validate("alpha,beta\n1,2\n", &res[F_UNKNOWN]);
    cr_assert_str_eq(ncc_file_result_status(&res[F_UNKNOWN]), "rejected");
}

static void free_results(ncc_file_result *res, int n)
{
    for (int i = 0; i < n; i++)
        ncc_file_result_free(&res[i]);
}

/* ---- JSON ---- */

/* The JSON report of res, parsed back; the whole output must be one JSON value. */
static json_object *json_of(const ncc_file_result *res, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(ncc_report_json(f, res, n), 0);
    cr_assert_eq(fclose(f), 0);
    cr_assert_gt(len, 0);
    cr_assert_eq(buf[len - 1], '\n', "ends with a newline");
    json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, buf, (int)len);
    cr_assert_eq(json_tokener_get_error(tok), json_tokener_success, "%s", buf);
    size_t end = json_tokener_get_parse_end(tok);
    for (size_t i = end; i < len; i++)
        cr_assert(buf[i] == '\n' || buf[i] == ' ', "trailing text after the JSON: %s", buf + i);
    json_tokener_free(tok);
    free(buf);
    cr_assert_not_null(root);
    return root;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
              json_object_to_json_string(o));
    return v;
}

static bool in_list(const char *key, const char *const *list)
{
    for (; list && *list; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

/* o has every key of required, and no key outside required and optional (NULL-ended). */
static void assert_keys(json_object *o, const char *const *required, const char *const *optional,
                        const char *what)
{
    cr_assert(json_object_is_type(o, json_type_object), "%s is not an object", what);
    for (const char *const *k = required; *k; k++)
        cr_assert(json_object_object_get_ex(o, *k, NULL), "%s lacks \"%s\": %s", what, *k,
                  json_object_to_json_string(o));
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        cr_assert(in_list(key, required) || in_list(key, optional), "%s has an extra \"%s\"", what,
                  key);
    }
}

static void assert_type(json_object *o, const char *key, json_type t)
{
    json_object *v = member(o, key);
    cr_assert(json_object_is_type(v, t), "\"%s\" is %s, expected %s", key,
              json_type_to_name(json_object_get_type(v)), json_type_to_name(t));
}

static const char *str_member(json_object *o, const char *key)
{
    assert_type(o, key, json_type_string);
    return json_object_get_string(member(o, key));
}

static long long int_member(json_object *o, const char *key)
{
    assert_type(o, key, json_type_int);
    return (long long)json_object_get_int64(member(o, key));
}

/* Money as contract 5.1: a string, optional '-', digits, '.', exactly 4 decimals. */
static bool is_money4(const char *s)
{
    if (*s == '-')
        s++;
    const char *d = s;
    while (*s >= '0' && *s <= '9')
        s++;
    if (s == d || *s != '.')
        return false;
    s++;
    for (int i = 0; i < 4; i++, s++)
        if (*s < '0' || *s > '9')
            return false;
    return *s == '\0';
}

static void assert_money(json_object *o, const char *key)
{
    const char *m = str_member(o, key);
    cr_assert(is_money4(m), "\"%s\" is \"%s\": not money with 4 decimals", key, m);
}

static void assert_issue(json_object *is, bool file_error)
{
    /* contract: file_errors [{code, message}], errors [{line, column, code, message}].
     * file_errors also carry line and column (see the report to the team). */
    static const char *const file_req[] = {"code", "message", NULL};
    static const char *const file_opt[] = {"line", "column", NULL};
    static const char *const row_req[] = {"line", "column", "code", "message", NULL};
    assert_keys(is, file_error ? file_req : row_req, file_error ? file_opt : NULL, "issue");
    const char *code = str_member(is, "code");
    int c = ncc_code_from_name(code);
    cr_assert_geq(c, 0, "unknown code %s", code);
    cr_assert_eq(ncc_code_level((ncc_code)c), file_error ? NCC_LEVEL_FILE : NCC_LEVEL_ROW, "%s",
                 code);
    cr_assert_gt(strlen(str_member(is, "message")), 0);
    json_object *line = NULL, *column = NULL;
    if (json_object_object_get_ex(is, "line", &line) && line)
        cr_assert(json_object_is_type(line, json_type_int) && json_object_get_int64(line) > 0);
    if (json_object_object_get_ex(is, "column", &column) && column)
        cr_assert(json_object_is_type(column, json_type_string) &&
                  json_object_get_string_len(column) > 0);
}

/* Every field of a file object as contract 5.1, with its type; checked against res. */
static void assert_file_object(json_object *f, const ncc_file_result *res)
{
    static const char *const req[] = {"path",
                                      "kind",
                                      "encoding",
                                      "status",
                                      "rows_read",
                                      "rows_valid",
                                      "rows_rejected",
                                      "errors_by_code",
                                      "warnings_by_code",
                                      "file_errors",
                                      "errors",
                                      "totals",
                                      "mtfm",
                                      NULL};
    /* "warnings" is not in the contract: tolerated, see the report to the team */
    static const char *const opt[] = {"warnings", NULL};
    assert_keys(f, req, opt, "file");
    cr_assert_str_eq(str_member(f, "path"), res->path);
    if (res->schema)
        cr_assert_str_eq(str_member(f, "kind"), res->schema->kind);
    else
        cr_assert_null(member(f, "kind"), "unknown kind is null");
    cr_assert_str_eq(str_member(f, "encoding"), res->encoding);
    cr_assert_str_eq(str_member(f, "status"), ncc_file_result_status(res));
    cr_assert_eq(int_member(f, "rows_read"), res->rows_read);
    cr_assert_eq(int_member(f, "rows_valid"), res->rows_valid);
    cr_assert_eq(int_member(f, "rows_rejected"), res->rows_rejected);

    /* by code: every non-zero count, errors and warnings apart */
    json_object *ebc = member(f, "errors_by_code"), *wbc = member(f, "warnings_by_code");
    cr_assert(json_object_is_type(ebc, json_type_object));
    cr_assert(json_object_is_type(wbc, json_type_object));
    int nebc = 0, nwbc = 0;
    for (int c = 0; c < NCC_CODE_COUNT; c++) {
        if (!res->counts[c])
            continue;
        bool warn = ncc_code_level((ncc_code)c) == NCC_LEVEL_WARNING;
        json_object *by = warn ? wbc : ebc;
        cr_assert_eq(int_member(by, ncc_code_name((ncc_code)c)), res->counts[c]);
        if (warn)
            nwbc++;
        else
            nebc++;
    }
    cr_assert_eq(json_object_object_length(ebc), nebc);
    cr_assert_eq(json_object_object_length(wbc), nwbc);

    json_object *fe = member(f, "file_errors");
    cr_assert(json_object_is_type(fe, json_type_array));
    cr_assert_eq(json_object_array_length(fe), (size_t)res->nfile_errors);
    for (size_t i = 0; i < json_object_array_length(fe); i++)
        assert_issue(json_object_array_get_idx(fe, i), true);

    json_object *errs = member(f, "errors");
    cr_assert(json_object_is_type(errs, json_type_array));
    cr_assert_eq(json_object_array_length(errs), (size_t)res->nerrors);
    for (size_t i = 0; i < json_object_array_length(errs); i++) {
        json_object *e = json_object_array_get_idx(errs, i);
        assert_issue(e, false);
        cr_assert_str_eq(str_member(e, "code"), ncc_code_name(res->errors[i].code));
        cr_assert_eq(int_member(e, "line"), res->errors[i].line);
        cr_assert_str_eq(str_member(e, "message"), res->errors[i].message);
    }

    static const char *const tot_keys[] = {"fin_year", "org_code", "feed", "rows", "cost", NULL};
    json_object *tot = member(f, "totals");
    cr_assert(json_object_is_type(tot, json_type_array));
    cr_assert_eq(json_object_array_length(tot), (size_t)res->ntotals);
    for (int t = 0; t < res->ntotals; t++) {
        json_object *o = json_object_array_get_idx(tot, (size_t)t);
        assert_keys(o, tot_keys, NULL, "totals entry");
        cr_assert_str_eq(str_member(o, "fin_year"), res->totals[t].fin_year);
        cr_assert_str_eq(str_member(o, "org_code"), res->totals[t].org_code);
        cr_assert_str_eq(str_member(o, "feed"), res->totals[t].feed);
        cr_assert_eq(int_member(o, "rows"), res->totals[t].rows);
        assert_money(o, "cost");
    }

    static const char *const mt_keys[] = {"fin_year", "org_code", "technology_id",
                                          "units",    "cost",     NULL};
    json_object *mt = member(f, "mtfm");
    cr_assert(json_object_is_type(mt, json_type_array));
    cr_assert_eq(json_object_array_length(mt), (size_t)res->nmtfm);
    for (int t = 0; t < res->nmtfm; t++) {
        json_object *o = json_object_array_get_idx(mt, (size_t)t);
        assert_keys(o, mt_keys, NULL, "mtfm entry");
        cr_assert_str_eq(str_member(o, "fin_year"), res->mtfm[t].fin_year);
        cr_assert_str_eq(str_member(o, "org_code"), res->mtfm[t].org_code);
        cr_assert_str_eq(str_member(o, "technology_id"), res->mtfm[t].technology_id);
        cr_assert_eq(int_member(o, "units"), res->mtfm[t].units);
        assert_money(o, "cost");
    }
}

Test(report, json_has_the_fields_of_contract_5_1)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    json_object *root = json_of(res, NFILES);
    static const char *const root_keys[] = {"ok", "files", NULL};
    assert_keys(root, root_keys, NULL, "root");
    assert_type(root, "ok", json_type_boolean);
    cr_assert_not(json_object_get_boolean(member(root, "ok")));
    json_object *files = member(root, "files");
    cr_assert(json_object_is_type(files, json_type_array));
    cr_assert_eq(json_object_array_length(files), NFILES);
    for (int i = 0; i < NFILES; i++)
        assert_file_object(json_object_array_get_idx(files, (size_t)i), &res[i]);
    json_object_put(root);
    free_results(res, NFILES);
}

Test(report, json_status_per_case)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    json_object *root = json_of(res, NFILES);
    json_object *files = member(root, "files");
    static const char *const expect[NFILES] = {"valid", "invalid", "rejected", "rejected"};
    for (int i = 0; i < NFILES; i++)
        cr_assert_str_eq(str_member(json_object_array_get_idx(files, (size_t)i), "status"),
                         expect[i]);
    /* the rejected files carry their file errors */
    json_object *missing = json_object_array_get_idx(files, F_MISSING);
    json_object *fe = json_object_array_get_idx(member(missing, "file_errors"), 0);
    cr_assert_str_eq(str_member(fe, "code"), "F_MISSING_COLUMN");
    cr_assert_not_null(strstr(str_member(fe, "message"), "cost"));
    cr_assert_eq(int_member(member(missing, "errors_by_code"), "F_MISSING_COLUMN"), 1);
    cr_assert_str_eq(str_member(missing, "kind"), "cost");
    json_object *unknown = json_object_array_get_idx(files, F_UNKNOWN);
    cr_assert_null(member(unknown, "kind"));
    fe = json_object_array_get_idx(member(unknown, "file_errors"), 0);
    cr_assert_str_eq(str_member(fe, "code"), "F_UNKNOWN_KIND");
    json_object_put(root);
    free_results(res, NFILES);
}

Test(report, json_ok_only_when_every_file_is_valid)
{
    ncc_file_result res[2];
    validate(COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,10\n", &res[0]);
    validate(COST_HDR "202324,RBB,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,10.12345\n", &res[1]);
    cr_assert_eq(res[1].counts[NCC_W_ROUNDED], 1, "warnings allowed in a valid file");
    json_object *root = json_of(res, 2);
    assert_type(root, "ok", json_type_boolean);
    cr_assert(json_object_get_boolean(member(root, "ok")));
    json_object *f1 = json_object_array_get_idx(member(root, "files"), 1);
    cr_assert_str_eq(str_member(f1, "status"), "valid");
    cr_assert_eq(int_member(member(f1, "warnings_by_code"), "W_ROUNDED"), 1);
    cr_assert_eq(json_object_object_length(member(f1, "errors_by_code")), 0);
    json_object_put(root);

    /* no file at all: ok, files empty */
    root = json_of(NULL, 0);
    cr_assert(json_object_get_boolean(member(root, "ok")));
    cr_assert_eq(json_object_array_length(member(root, "files")), 0);
    json_object_put(root);

    /* one invalid file makes it not ok */
    ncc_file_result_free(&res[1]);
    validate(COST_HDR "202324,RBB,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,-10\n", &res[1]);
    root = json_of(res, 2);
    cr_assert_not(json_object_get_boolean(member(root, "ok")));
    json_object_put(root);
    free_results(res, 2);
}

Test(report, json_money_strings_with_four_decimals)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    json_object *root = json_of(res, 1);
    json_object *f = json_object_array_get_idx(member(root, "files"), 0);
    json_object *tot = member(f, "totals");
    cr_assert_eq(json_object_array_length(tot), 2);
    /* sorted by fin_year, org_code, feed: APC then OP */
    json_object *apc = json_object_array_get_idx(tot, 0), *op = json_object_array_get_idx(tot, 1);
    cr_assert_str_eq(str_member(apc, "feed"), "APC");
    cr_assert_str_eq(str_member(apc, "cost"), "8000.1235");
    cr_assert_eq(int_member(apc, "rows"), 2);
    cr_assert_str_eq(str_member(op, "cost"), "0.5000");
    json_object *mt = member(f, "mtfm");
    cr_assert_eq(json_object_array_length(mt), 2);
    json_object *m0 = json_object_array_get_idx(mt, 0), *m1 = json_object_array_get_idx(mt, 1);
    /* sorted by technology; MTG29 is an alias of MTG74 */
    cr_assert_str_eq(str_member(m0, "technology_id"), "MTG58");
    cr_assert_str_eq(str_member(m0, "cost"), "4900.0000");
    cr_assert_eq(int_member(m0, "units"), 2);
    cr_assert_str_eq(str_member(m1, "technology_id"), "MTG74");
    cr_assert_str_eq(str_member(m1, "cost"), "3100.1235");
    cr_assert_eq(int_member(m1, "units"), 1);
    json_object_put(root);
    free_results(res, NFILES);
}

Test(report, json_error_line_and_column)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    json_object *root = json_of(&res[F_INVALID], 1);
    json_object *f = json_object_array_get_idx(member(root, "files"), 0);
    json_object *errs = member(f, "errors");
    cr_assert_eq(json_object_array_length(errs), 3);
    json_object *e = json_object_array_get_idx(errs, 0);
    cr_assert_eq(int_member(e, "line"), 3);
    cr_assert_str_eq(str_member(e, "column"), "cost");
    cr_assert_str_eq(str_member(e, "code"), "E_NUMBER");
    cr_assert_not_null(strstr(str_member(e, "message"), "\"1.2.3\""));
    e = json_object_array_get_idx(errs, 1);
    cr_assert_eq(int_member(e, "line"), 4);
    cr_assert_str_eq(str_member(e, "column"), "feed");
    cr_assert_str_eq(str_member(e, "code"), "E_FEED");
    /* a problem of the whole line has no column */
    e = json_object_array_get_idx(errs, 2);
    cr_assert_eq(int_member(e, "line"), 5);
    cr_assert_str_eq(str_member(e, "code"), "E_FIELD_COUNT");
    cr_assert_null(member(e, "column"));
    cr_assert_eq(int_member(f, "rows_read"), 4);
    cr_assert_eq(int_member(f, "rows_valid"), 1);
    cr_assert_eq(int_member(f, "rows_rejected"), 3);
    json_object_put(root);
    free_results(res, NFILES);
}

/* A cost file of n rows, each with one E_NUMBER error in cost (caller frees). */
static char *bad_rows(int n)
{
    size_t cap = strlen(COST_HDR) + (size_t)n * 80 + 1, len = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    len += (size_t)snprintf(text, cap, "%s", COST_HDR);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "202324,RAA,APC,A%d,LB09C,100,EL,,STAFF,WARD,,1,bad\n", i);
    return text;
}

Test(report, json_errors_capped_at_first_1000)
{
    char *text = bad_rows(1200);
    ncc_file_result res;
    validate(text, &res);
    free(text);
    json_object *root = json_of(&res, 1);
    json_object *f = json_object_array_get_idx(member(root, "files"), 0);
    assert_file_object(f, &res);
    cr_assert_str_eq(str_member(f, "status"), "invalid");
    cr_assert_eq(int_member(f, "rows_rejected"), 1200);
    cr_assert_eq(int_member(member(f, "errors_by_code"), "E_NUMBER"), 1200);
    json_object *errs = member(f, "errors");
    cr_assert_eq(json_object_array_length(errs), 1000);
    /* the first ones, in order */
    cr_assert_eq(int_member(json_object_array_get_idx(errs, 0), "line"), 2);
    cr_assert_eq(int_member(json_object_array_get_idx(errs, 999), "line"), 1001);
    json_object_put(root);
    ncc_file_result_free(&res);
}

Test(report, json_encoding_of_a_windows_1252_file)
{
    ncc_file_result res;
    /* 0xA3 is a pound sign in Windows-1252 and invalid UTF-8 */
    validate(COST_HDR "202324,RAA,APC,A\xa3"
                      "1,LB09C,100,EL,,STAFF,WARD,,1,10\n",
             &res);
    json_object *root = json_of(&res, 1);
    json_object *f = json_object_array_get_idx(member(root, "files"), 0);
    assert_file_object(f, &res);
    cr_assert_str_eq(str_member(f, "encoding"), "WINDOWS-1252");
    cr_assert_eq(int_member(member(f, "warnings_by_code"), "W_ENCODING_FALLBACK"), 1);
    json_object_put(root);
    ncc_file_result_free(&res);
}

Test(report, json_write_error)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    FILE *f = fopen("/dev/full", "w");
    cr_assert_not_null(f);
    cr_assert_eq(ncc_report_json(f, res, NFILES), -1);
    fclose(f);
    free_results(res, NFILES);
}

/* ---- text ---- */

static char *text_of(const ncc_file_result *res, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(ncc_report_text(f, res, n), 0);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(strlen(buf), len);
    return buf;
}

/* Every line of text at most 80 characters (UTF-8 characters, not bytes). */
static void assert_fits_80(const char *text)
{
    int lineno = 1;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t bytes = nl ? (size_t)(nl - p) : strlen(p);
        size_t chars = 0;
        for (size_t i = 0; i < bytes; i++)
            chars += ((unsigned char)p[i] & 0xc0) != 0x80;
        cr_assert_leq(chars, 80, "line %d has %zu characters: %.*s", lineno, chars, (int)bytes, p);
        if (!nl)
            break;
        p = nl + 1;
        lineno++;
    }
}

/* True when text has the line exactly. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

Test(report, text_names_each_file_and_status)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    char *text = text_of(res, NFILES);
    cr_assert(has_line(text, "4 files checked: 1 valid, 1 invalid, 2 rejected"), "%s", text);
    for (int i = 0; i < NFILES; i++)
        cr_assert(has_line(text, res[i].path), "no line with %s: %s", res[i].path, text);
    cr_assert(has_line(text, "  VALID: kind cost, encoding UTF-8"), "%s", text);
    cr_assert(has_line(text, "  INVALID: kind cost, encoding UTF-8"), "%s", text);
    cr_assert(has_line(text, "  REJECTED: kind cost, encoding UTF-8"), "%s", text);
    cr_assert(has_line(text, "  REJECTED: kind unknown, encoding UTF-8"), "%s", text);
    cr_assert(has_line(text, "  rows read 3, valid 3, rejected 0"), "%s", text);
    cr_assert(has_line(text, "  rows read 4, valid 1, rejected 3"), "%s", text);
    /* each file's status comes after its own path */
    const char *p = strstr(text, res[F_INVALID].path);
    cr_assert_not_null(p);
    cr_assert_not_null(strstr(p, "INVALID"));
    cr_assert(strstr(p, "INVALID") < strstr(p, res[F_MISSING].path));
    cr_assert(has_line(text, "    F_MISSING_COLUMN (1)"), "%s", text);
    cr_assert(has_line(text, "    E_NUMBER (1)"), "%s", text);
    cr_assert(has_line(text, "    E_FEED (1)"), "%s", text);
    cr_assert(has_line(text, "    E_FIELD_COUNT (1)"), "%s", text);
    cr_assert_not_null(strstr(text, "      line 3, cost: "), "%s", text);
    assert_fits_80(text);
    free(text);
    free_results(res, NFILES);

    ncc_file_result one;
    validate(COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,10\n", &one);
    text = text_of(&one, 1);
    cr_assert(has_line(text, "1 file checked: 1 valid, 0 invalid, 0 rejected"), "%s", text);
    free(text);
    ncc_file_result_free(&one);
}

/* The example lines ("      line ...") under the code line start; wrapped continuation
 * lines (indented by 8) are not counted. */
static int count_examples(const char *text, const char *start)
{
    const char *p = strstr(text, start);
    cr_assert_not_null(p, "no %s in %s", start, text);
    p += strlen(start);
    int n = 0;
    while (*p && strncmp(p, "      ", 6) == 0 && strncmp(p, "      ...", 9) != 0) {
        if (strncmp(p, "      line ", 11) == 0)
            n++;
        else
            cr_assert(strncmp(p, "        ", 8) == 0, "unexpected line: %s", p);
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

Test(report, text_groups_errors_by_code_with_three_examples)
{
    ncc_file_result res;
    char *rows = bad_rows(5);
    size_t n = strlen(rows);
    /* and three E_FEED: no "... and" line for them */
    const char *more = "202324,RAA,XX1,B1,LB09C,100,EL,,STAFF,WARD,,1,1\n"
                       "202324,RAA,XX2,B2,LB09C,100,EL,,STAFF,WARD,,1,1\n"
                       "202324,RAA,XX3,B3,LB09C,100,EL,,STAFF,WARD,,1,1\n";
    rows = realloc(rows, n + strlen(more) + 1);
    cr_assert_not_null(rows);
    strcpy(rows + n, more);
    validate(rows, &res);
    free(rows);
    char *text = text_of(&res, 1);
    cr_assert(has_line(text, "  row errors:"), "%s", text);
    cr_assert(has_line(text, "    E_NUMBER (5)"), "%s", text);
    cr_assert_eq(count_examples(text, "    E_NUMBER (5)\n"), 3, "%s", text);
    cr_assert(has_line(text, "      ... and 2 more"), "%s", text);
    /* the examples are the first three */
    cr_assert_not_null(strstr(text, "      line 2, cost: "), "%s", text);
    cr_assert_not_null(strstr(text, "      line 4, cost: "), "%s", text);
    cr_assert_null(strstr(text, "      line 5, cost: "), "%s", text);
    cr_assert(has_line(text, "    E_FEED (3)"), "%s", text);
    cr_assert_eq(count_examples(text, "    E_FEED (3)\n"), 3, "%s", text);
    cr_assert_null(strstr(text, "... and 0 more"), "%s", text);
    /* exactly three E_FEED: no "... and" line before the next code */
    const char *feed = strstr(text, "    E_FEED (3)\n");
    const char *next = strstr(feed + 1, "\n    E_");
    const char *and_more = strstr(feed, "... and");
    cr_assert(next && and_more > next, "%s", text);
    assert_fits_80(text);
    free(text);
    ncc_file_result_free(&res);
}

Test(report, text_warnings_and_totals)
{
    ncc_file_result res;
    validate(COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,MTFM,THEATRE,MTG58,2,4900.123456\n", &res);
    char *text = text_of(&res, 1);
    cr_assert(has_line(text, "  warnings:"), "%s", text);
    cr_assert(has_line(text, "    W_ROUNDED (1)"), "%s", text);
    cr_assert_null(strstr(text, "row errors"), "%s", text);
    cr_assert(has_line(text, "  totals of valid rows:"), "%s", text);
    cr_assert_not_null(strstr(text, "4900.1235\n"), "%s", text);
    cr_assert(has_line(text, "  MTFM units and cost by technology:"), "%s", text);
    cr_assert_not_null(strstr(text, "MTG58"), "%s", text);
    assert_fits_80(text);
    free(text);
    ncc_file_result_free(&res);
}

Test(report, text_fits_80_columns_with_long_messages)
{
    ncc_file_result res[4];
    char longv[300];
    memset(longv, 'X', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    char buf[1024];
    /* a value far over its maximum length, on a long line number */
    snprintf(buf, sizeof buf, COST_HDR "202324,RAA,APC,%s,LB09C,100,EL,,STAFF,WARD,,1,1\n", longv);
    validate(buf, &res[0]);
    cr_assert_eq(res[0].counts[NCC_E_TOO_LONG], 1);
    /* the longest messages: no kind fits, all kinds listed */
    validate("alpha,beta,gamma\n1,2,3\n", &res[1]);
    /* a long enum value and a field count problem */
    snprintf(buf, sizeof buf,
             COST_HDR "202324,RAA,%s,A1,LB09C,100,EL,,STAFF,WARD,,1,1\n202324,RAA\n", longv);
    validate(buf, &res[2]);
    cr_assert_eq(res[2].counts[NCC_E_FEED], 1);
    /* a missing column with its aliases */
    validate("fin_year,org_code,feed,activity_id,currency_code,collection_resource,"
             "collection_activity,cost\n",
             &res[3]);
    cr_assert_eq(res[3].counts[NCC_F_MISSING_COLUMN], 1);
    char *text = text_of(res, 4);
    assert_fits_80(text);
    /* long messages are wrapped, not cut: continuation lines are indented by 8 */
    cr_assert_not_null(strstr(text, "\n        "), "%s", text);
    cr_assert_not_null(strstr(text, "ledger"), "%s", text);
    free(text);
    free_results(res, 4);
}

Test(report, text_write_error)
{
    ncc_file_result res[NFILES];
    validate_four(res);
    FILE *f = fopen("/dev/full", "w");
    cr_assert_not_null(f);
    cr_assert_eq(ncc_report_text(f, res, NFILES), -1);
    fclose(f);
    free_results(res, NFILES);
}

/* ---- rejects CSV ---- */

#define MAX_RECORDS 64
#define MAX_FIELDS 8

typedef struct csv_record {
    char *field[MAX_FIELDS];
    int n;
} csv_record;

typedef struct csv_doc {
    csv_record rec[MAX_RECORDS];
    int n;
} csv_doc;

static void csv_doc_free(csv_doc *d)
{
    for (int r = 0; r < d->n; r++)
        for (int i = 0; i < d->rec[r].n; i++)
            free(d->rec[r].field[i]);
    d->n = 0;
}

/*
 * Strict RFC 4180 reader: fields separated by commas, records by LF or
 * CRLF; a field with a comma, quote, CR or LF must be quoted, a quote
 * inside it doubled. Returns 0, or -1 (with *why) on anything else.
 */
static int csv_read(const char *s, csv_doc *d, const char **why)
{
    memset(d, 0, sizeof *d);
    size_t cap = strlen(s) + 1;
    while (*s) {
        if (d->n == MAX_RECORDS)
            return *why = "too many records", -1;
        csv_record *r = &d->rec[d->n++];
        for (;;) {
            char *f = malloc(cap);
            size_t k = 0;
            if (*s == '"') {
                for (s++;; s++) {
                    if (!*s)
                        return free(f), *why = "unterminated quoted field", -1;
                    if (*s == '"') {
                        if (s[1] != '"')
                            break;
                        s++;
                    }
                    f[k++] = *s;
                }
                s++;
                if (*s && *s != ',' && *s != '\n' && !(s[0] == '\r' && s[1] == '\n'))
                    return free(f), *why = "text after a closing quote", -1;
            } else {
                for (; *s && *s != ',' && *s != '\n' && *s != '\r'; s++) {
                    if (*s == '"')
                        return free(f), *why = "quote in an unquoted field", -1;
                    f[k++] = *s;
                }
                if (*s == '\r' && s[1] != '\n')
                    return free(f), *why = "bare CR in an unquoted field", -1;
            }
            f[k] = '\0';
            if (r->n == MAX_FIELDS)
                return free(f), *why = "too many fields", -1;
            r->field[r->n++] = f;
            if (*s == ',') {
                s++;
                continue;
            }
            if (*s == '\r')
                s++;
            if (*s == '\n')
                s++;
            break;
        }
    }
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        size_t k = fread(buf + len, 1, 4096, f);
        len += k;
        if (k < 4096)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    cr_assert_eq(strlen(buf), len, "no NUL byte in %s", path);
    return buf;
}

/* Read the rejects CSV at path (parsed, checked for its header), then remove it. */
static void read_rejects(char *path, csv_doc *d, char **raw)
{
    *raw = read_file(path);
    tu_remove(path);
    const char *why = NULL;
    cr_assert_eq(csv_read(*raw, d, &why), 0, "not RFC 4180 (%s): %s", why, *raw);
    cr_assert_gt(strlen(*raw), 0);
    cr_assert_eq((*raw)[strlen(*raw) - 1], '\n', "ends with a newline");
    cr_assert_geq(d->n, 1);
    static const char *const hdr[] = {"file", "line", "column", "code", "message"};
    cr_assert_eq(d->rec[0].n, 5);
    for (int i = 0; i < 5; i++)
        cr_assert_str_eq(d->rec[0].field[i], hdr[i]);
    cr_assert(strncmp(*raw, "file,line,column,code,message\n", 30) == 0, "%s", *raw);
    for (int r = 1; r < d->n; r++)
        cr_assert_eq(d->rec[r].n, 5, "record %d has %d fields", r, d->rec[r].n);
}

static void assert_record(const csv_record *r, const char *file, const char *line,
                          const char *column, const char *code, const char *message)
{
    cr_assert_str_eq(r->field[0], file);
    cr_assert_str_eq(r->field[1], line);
    cr_assert_str_eq(r->field[2], column);
    cr_assert_str_eq(r->field[3], code);
    cr_assert_str_eq(r->field[4], message);
}

Test(report, rejects_quotes_values_per_rfc_4180)
{
    char *path = tu_write_str("");
    char err[256];
    ncc_rejects *r = ncc_rejects_open(path, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    static const struct {
        ncc_issue is;
        const char *file;
    } cases[] = {
        {{NCC_E_NUMBER, 7, "cost", "cost \"1,5\" is not a number"}, "plain.csv"},
        {{NCC_E_CODE, 12, "department_code", "say \"hi\""}, "dir,with,commas/a \"b\".csv"},
        {{NCC_E_REQUIRED, 3, "cost", "first line\nsecond line\r\nthird"}, "x.csv"},
        {{NCC_E_FIELD_COUNT, 4, NULL, " leading and trailing spaces "}, "x.csv"},
        {{NCC_F_MISSING_COLUMN, 0, NULL, "no line, no column"}, "x.csv"},
        {{NCC_E_DATE, 9, "invoice_date", "cr\ronly"}, "x.csv"},
        {{NCC_E_CODE, 10, "gtin", "\"\""}, "x.csv"},
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    for (int i = 0; i < n; i++)
        ncc_rejects_write(r, cases[i].file, &cases[i].is);
    cr_assert_eq(ncc_rejects_close(r), 0);
    csv_doc d;
    char *raw;
    read_rejects(path, &d, &raw);
    cr_assert_eq(d.n, 1 + n, "%s", raw);
    for (int i = 0; i < n; i++) {
        char line[24] = "";
        if (cases[i].is.line > 0)
            snprintf(line, sizeof line, "%ld", cases[i].is.line);
        assert_record(&d.rec[1 + i], cases[i].file, line,
                      cases[i].is.column ? cases[i].is.column : "", ncc_code_name(cases[i].is.code),
                      cases[i].is.message);
    }
    /* plain values are not quoted; quotes inside quoted values are doubled */
    cr_assert_not_null(
        strstr(raw, "\nplain.csv,7,cost,E_NUMBER,\"cost \"\"1,5\"\" is not a number\"\n"), "%s",
        raw);
    cr_assert_not_null(strstr(raw, "\n\"dir,with,commas/a \"\"b\"\".csv\",12,"), "%s", raw);
    cr_assert_not_null(strstr(raw, "\nx.csv,,,F_MISSING_COLUMN,\"no line, no column\"\n"), "%s",
                       raw);
    free(raw);
    csv_doc_free(&d);
}

/* The issues of a validation written to rejects, and kept for comparison. */
typedef struct rejects_sink {
    ncc_rejects *r;
    const char *file;
    int nerrors; /* file and row errors */
    int nwarnings;
} rejects_sink;

static void to_rejects(void *ctx, const ncc_issue *is)
{
    rejects_sink *s = ctx;
    if (ncc_code_level(is->code) == NCC_LEVEL_WARNING)
        s->nwarnings++;
    else
        s->nerrors++;
    ncc_rejects_write(s->r, s->file, is);
}

Test(report, rejects_of_a_validation_leave_warnings_out)
{
    char *path = tu_write_str("");
    char err[256];
    rejects_sink s = {ncc_rejects_open(path, err, sizeof err), "in, \"quoted\".csv", 0, 0};
    cr_assert_not_null(s.r, "%s", err);
    ncc_sink sink = {&s, NULL, to_rejects};
    ncc_file_result res;
    const char *text = COST_HDR
        "202324,RAA,APC,A1,LB09C,100,EL,,MTFM,THEATRE,,1,10.123456\n" /* W_ROUNDED, W_UNATTR. */
        "202324,RAA,APC,A2,LB09C,100,EL,,STAFF,WARD,MTG58,1,abc\n"    /* E_NUMBER, W_TECH_ON */
        "202325,RAA,APC,A3,LB09C,100,EL,,STAFF,WARD,,1,1\n"           /* E_FIN_YEAR */
        "202324,RAA\n";                                               /* E_FIELD_COUNT */
    validate_sink(text, strlen(text), NULL, &sink, &res);
    cr_assert_eq(ncc_rejects_close(s.r), 0);
    cr_assert_gt(s.nwarnings, 0, "the file has warnings");
    cr_assert_eq(s.nerrors, 3);
    csv_doc d;
    char *raw;
    read_rejects(path, &d, &raw);
    cr_assert_eq(d.n, 1 + s.nerrors, "%s", raw);
    cr_assert_null(strstr(raw, ",W_"), "%s", raw);
    assert_record(&d.rec[1], s.file, "3", "cost", "E_NUMBER", res.errors[0].message);
    assert_record(&d.rec[2], s.file, "4", "fin_year", "E_FIN_YEAR", res.errors[1].message);
    assert_record(&d.rec[3], s.file, "5", "", "E_FIELD_COUNT", res.errors[2].message);
    free(raw);
    csv_doc_free(&d);
    ncc_file_result_free(&res);
}

Test(report, rejects_only_header_when_no_errors)
{
    char *path = tu_write_str("stale content that must go\n");
    char err[256];
    ncc_rejects *r = ncc_rejects_open(path, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    ncc_issue warn = {NCC_W_ROUNDED, 2, "cost", "rounded"};
    ncc_rejects_write(r, "a.csv", &warn);
    cr_assert_eq(ncc_rejects_close(r), 0);
    char *raw = read_file(path);
    tu_remove(path);
    cr_assert_str_eq(raw, "file,line,column,code,message\n");
    free(raw);
}

Test(report, rejects_close_fails_when_writing_failed)
{
    char err[256];
    ncc_rejects *r = ncc_rejects_open("/dev/full", err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    ncc_issue is = {NCC_E_NUMBER, 2, "cost", "cost \"x\" is not a number"};
    for (int i = 0; i < 10; i++)
        ncc_rejects_write(r, "a.csv", &is);
    cr_assert_eq(ncc_rejects_close(r), -1);

    /* even the header alone */
    r = ncc_rejects_open("/dev/full", err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(ncc_rejects_close(r), -1);

    /* a quoted value (libcsv's writer) as well */
    r = ncc_rejects_open("/dev/full", err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    char big[9000];
    memset(big, ',', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ncc_issue q = {NCC_E_NUMBER, 2, "cost", big};
    ncc_rejects_write(r, "a.csv", &q);
    cr_assert_eq(ncc_rejects_close(r), -1);
}

Test(report, rejects_open_failure_and_null)
{
    char err[256] = "";
    cr_assert_null(ncc_rejects_open("/nonexistent-dir/rejects.csv", err, sizeof err));
    cr_assert_not_null(strstr(err, "/nonexistent-dir/rejects.csv"), "%s", err);
    cr_assert_eq(ncc_rejects_close(NULL), 0);
    ncc_issue is = {NCC_E_NUMBER, 2, "cost", "m"};
    ncc_rejects_write(NULL, "a.csv", &is); /* ignored */
}
