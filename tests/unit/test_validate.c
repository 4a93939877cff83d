/* Unit tests of validate: canonical rows, rules, aggregates and accounting. */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "rules/field.h"
#include "rules/refdata.h"
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

TestSuite(validate, .init = setup, .fini = teardown);

/* Collects canonical rows as "col=value|..." lines and every issue message. */
typedef struct collect {
    char rows[16][512];
    int nrows;
    char issues[4096];
} collect;

static int on_row(void *ctx, const ncc_row *row)
{
    collect *c = ctx;
    if (c->nrows >= 16)
        return 0;
    char *out = c->rows[c->nrows++];
    size_t n = 0;
    for (int i = 0; i < row->schema->ncols; i++)
        n += (size_t)snprintf(out + n, 512 - n, "%s%s=%s", i ? "|" : "", row->schema->cols[i].name,
                              row->v[i].s ? row->v[i].s : "");
    return 0;
}

static void on_issue(void *ctx, const ncc_issue *is)
{
    collect *c = ctx;
    size_t n = strlen(c->issues);
    snprintf(c->issues + n, sizeof c->issues - n, "%s@%ld:%s:%s\n", ncc_code_name(is->code), is->line,
             is->column ? is->column : "", is->message);
}

static bool skip_duplicates; /* the next run() sets no_duplicate_check */

static void run(const char *text, const char *kind, ncc_file_result *res, collect *c)
{
    char *path = tu_write_str(text);
    memset(c, 0, sizeof *c);
    ncc_validate_config cfg = {&set, ref, kind, NULL, "MTFM", 1000, false, skip_duplicates};
    ncc_sink sink = {c, on_row, on_issue};
    cr_assert_eq(ncc_validate_file(path, &cfg, &sink, res), 0);
    cr_assert_eq(res->rows_read, res->rows_valid + res->rows_rejected, "accounting");
    tu_remove(path);
}

#define COST_HDR                                                                                   \
    "fin_year,org_code,feed,activity_id,currency_code,service_code,department_code,"               \
    "opcs_procedure,collection_resource,collection_activity,technology_id,activity_count,cost\n"

Test(validate, cost_rows_are_canonical_and_attributed)
{
    ncc_file_result res;
    collect c;
    run(COST_HDR
        "202324,raa,apc,a1,lb09c,100,el,M65.1,MTFM,theatre,,2,4900.00\n"
        "202324,RAA,APC,A2,LB09C,100,EL,,mtfm,THEATRE,MTG29,1,3100.123456\n"
        "202324,RAA,APC,A3,LB09C,100,EL,M99.9,MTFM,THEATRE,,1,500\n"
        "202324,RAA,APC,A4,LB09C,100,EL,,STAFF,WARD,MTG58,3,10.5\n",
        NULL, &res, &c);
    cr_assert_str_eq(res.schema->kind, "cost");
    cr_assert_eq(res.rows_valid, 4, "%s", c.issues);
    cr_assert_str_eq(ncc_file_result_status(&res), "valid");
    cr_assert_eq(c.nrows, 4);
    cr_assert(strstr(c.rows[0], "org_code=RAA|feed=APC|activity_id=A1") != NULL, "%s", c.rows[0]);
    cr_assert(strstr(c.rows[0], "opcs_procedure=M651") != NULL, "%s", c.rows[0]);
    cr_assert(strstr(c.rows[0], "technology_id=MTG58") != NULL, "procedure map: %s", c.rows[0]);
    cr_assert(strstr(c.rows[1], "technology_id=MTG74") != NULL, "alias: %s", c.rows[1]);
    cr_assert(strstr(c.rows[1], "cost=3100.1235") != NULL, "rounded: %s", c.rows[1]);
    cr_assert(strstr(c.rows[2], "technology_id=UNATTRIBUTED") != NULL, "%s", c.rows[2]);
    cr_assert(strstr(c.rows[3], "technology_id=|") != NULL, "ignored on non-MTFM: %s", c.rows[3]);
    cr_assert_eq(res.counts[NCC_W_ROUNDED], 1);
    cr_assert_eq(res.counts[NCC_W_UNATTRIBUTED], 1);
    cr_assert_eq(res.counts[NCC_W_TECH_ON_NON_MTFM], 1);
    cr_assert_eq(res.ntotals, 1);
    char m[64];
    ncc_money_format(res.totals[0].amount, m, sizeof m);
    cr_assert_str_eq(m, "8510.6235");
    cr_assert_eq(res.totals[0].rows, 4);
    cr_assert_eq(res.nmtfm, 3);
    cr_assert_str_eq(res.mtfm[0].technology_id, "MTG58");
    cr_assert_eq(res.mtfm[0].units, 2);
    cr_assert_str_eq(res.mtfm[1].technology_id, "MTG74");
    cr_assert_str_eq(res.mtfm[2].technology_id, "UNATTRIBUTED");
    cr_assert(res.complete);
    ncc_file_result_free(&res);
}

Test(validate, row_errors_each_reported_row_counted_once)
{
    ncc_file_result res;
    collect c;
    run(COST_HDR
        "202325,RAA,XYZ,A1,LB09C,100,EL,,MTFM,THEATRE,MTG58,0,-5\n"
        "202324,RAA,APC,A2,LB09C,100,EL,,MTFM,THEATRE,MTG58,1,10\n",
        NULL, &res, &c);
    cr_assert_eq(res.rows_read, 2);
    cr_assert_eq(res.rows_rejected, 1);
    cr_assert_eq(res.rows_valid, 1);
    cr_assert_eq(res.counts[NCC_E_FIN_YEAR], 1);
    cr_assert_eq(res.counts[NCC_E_FEED], 1);
    cr_assert_eq(res.counts[NCC_E_NEGATIVE], 1);
    cr_assert_eq(res.counts[NCC_E_MTFM_UNITS], 1);
    cr_assert_eq(res.nerrors, 4);
    cr_assert_eq(res.errors[0].line, 2);
    cr_assert_str_eq(res.errors[0].column, "fin_year");
    cr_assert_str_eq(ncc_file_result_status(&res), "invalid");
    /* only valid rows are totalled */
    cr_assert_eq(res.totals[0].rows, 1);
    ncc_file_result_free(&res);
}

Test(validate, duplicate_keys_second_and_later_case_insensitive)
{
    ncc_file_result res;
    collect c;
    run(COST_HDR
        "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,10\n"
        "202324,RAA,APC,a1,LB09C,100,EL,,STAFF,WARD,,1,10\n"
        "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,THEATRE,,1,10\n"
        "202324,RAA,APC,A1 ,LB09C,100,EL,,staff,ward,,1,10\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 2, "%s", c.issues);
    cr_assert_eq(res.errors[0].line, 3);
    cr_assert_eq(res.errors[1].line, 5);
    cr_assert_str_eq(res.errors[0].column, "activity_id");
    cr_assert_eq(res.rows_valid, 2);
    ncc_file_result_free(&res);
}

Test(validate, pii_value_rejected_and_never_echoed)
{
    ncc_file_result res;
    collect c;
    run(COST_HDR "202324,RAA,APC,943 476 5919,LB09C,100,EL,,STAFF,WARD,,1,10\n"
                 "202324,RAA,APC,9434765919,LB09C,100,EL,,STAFF,WARD,,1,10\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_PII_VALUE], 2);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 0);
    cr_assert_null(strstr(c.issues, "9434765919"), "%s", c.issues);
    cr_assert_null(strstr(c.issues, "943 476 5919"), "%s", c.issues);
    ncc_file_result_free(&res);
}

#define NHSSC_HDR                                                                                  \
    "invoice_date,invoice_no,line_no,customer_ods,npc,gtin,quantity,line_value_ex_vat,is_credit\n"

Test(validate, nhssc_credits_sites_products_and_fin_year)
{
    ncc_file_result res;
    collect c;
    run(NHSSC_HDR
        "2024-03-31,INV1,1,RAA01,FWB101,,10,980.00,N\n"
        "01/04/2024,INV1,2,RAA,FWB101,,2,196.00,Y\n"
        "2023-06-01,CR1,1,RBB,,5012345000107,-3,-30.00,true\n"
        "2023-06-01,INV2,1,ZZZ01,NOPE,,5,5.00,\n",
        NULL, &res, &c);
    cr_assert_str_eq(res.schema->kind, "nhssc");
    cr_assert_eq(res.rows_valid, 4, "%s", c.issues);
    cr_assert(strstr(c.rows[0], "org_code=RAA|technology_id=MTG58|units=40|fin_year=202324") != NULL,
              "%s", c.rows[0]);
    cr_assert(strstr(c.rows[1], "invoice_date=2024-04-01") != NULL, "%s", c.rows[1]);
    cr_assert(strstr(c.rows[1], "quantity=-2") != NULL, "%s", c.rows[1]);
    cr_assert(strstr(c.rows[1], "line_value_ex_vat=-196.0000") != NULL, "%s", c.rows[1]);
    cr_assert(strstr(c.rows[1], "units=-8|fin_year=202425") != NULL, "%s", c.rows[1]);
    cr_assert(strstr(c.rows[2], "quantity=-3") != NULL, "%s", c.rows[2]);
    cr_assert(strstr(c.rows[2], "technology_id=MTG30") != NULL, "%s", c.rows[2]);
    cr_assert(strstr(c.rows[3], "is_credit=f|org_code=ZZZ|technology_id=|units=|") != NULL, "%s",
              c.rows[3]);
    ncc_file_result_free(&res);
}

Test(validate, nhssc_negative_without_credit_and_missing_product_codes)
{
    ncc_file_result res;
    collect c;
    run(NHSSC_HDR "2023-06-01,INV1,1,RAA,FWB101,,-1,10.00,N\n"
                  "2023-06-01,INV1,2,RAA,,,1,10.00,N\n"
                  "2023-06-01,INV1,3,RAA,,5012345000108,1,10.00,N\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_NEGATIVE], 1, "%s", c.issues);
    cr_assert_eq(res.counts[NCC_E_REQUIRED], 1, "%s", c.issues);
    cr_assert_eq(res.counts[NCC_E_CHECK_DIGIT], 1, "%s", c.issues);
    cr_assert(strstr(c.issues, "npc and gtin") != NULL, "%s", c.issues);
    ncc_file_result_free(&res);
}

Test(validate, supplier_rows)
{
    ncc_file_result res;
    collect c;
    run("period,supplier,customer_ods,technology_id,route,units,value_ex_vat\n"
        "2024-03,HeartFlow,RCC,MTG32,DIRECT,-1,-700.00\n"
        "2024-04,HeartFlow,RCC,mtg32,direct,2,1400\n"
        "2024-13,HeartFlow,RCC,MTG99,POST,1,1\n",
        NULL, &res, &c);
    cr_assert_str_eq(res.schema->kind, "supplier");
    cr_assert_eq(res.rows_valid, 2, "%s", c.issues);
    cr_assert(strstr(c.rows[0], "org_code=RCC|fin_year=202324") != NULL, "%s", c.rows[0]);
    cr_assert(strstr(c.rows[1], "fin_year=202425") != NULL, "%s", c.rows[1]);
    cr_assert_eq(res.counts[NCC_E_DATE], 1);
    cr_assert_eq(res.counts[NCC_E_UNKNOWN_TECHNOLOGY], 1);
    cr_assert_eq(res.counts[NCC_E_CODE], 1);
    ncc_file_result_free(&res);
}

Test(validate, header_problems_are_file_errors)
{
    ncc_file_result res;
    collect c;
    run("fin_year,org_code,feed,activity_id,currency_code,collection_resource,collection_activity,"
        "activity_count\n202324,RAA,APC,A1,X,Y,Z,1\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_F_MISSING_COLUMN], 1, "%s", c.issues);
    cr_assert_str_eq(res.file_errors[0].column, "cost");
    cr_assert_eq(res.rows_read, 0);
    ncc_file_result_free(&res);

    run("alpha,beta\n1,2\n", NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_F_UNKNOWN_KIND], 1);
    cr_assert_null(res.schema);
    ncc_file_result_free(&res);

    run("fin_year,org_code,feed,ledger_cost,accounts_cost\n", NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_F_DUPLICATE_COLUMN], 1, "%s", c.issues);
    ncc_file_result_free(&res);

    run("fin_year,org_code,feed,ledger_cost,NHS Number\n202324,RAA,APC,1,9434765919\n", NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_F_PII_COLUMN], 1);
    cr_assert_null(strstr(c.issues, "9434765919"));
    ncc_file_result_free(&res);

    run("", NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_F_EMPTY], 1);
    ncc_file_result_free(&res);
}

Test(validate, forced_kind_reports_missing_columns)
{
    ncc_file_result res;
    collect c;
    run("fin_year,org_code,feed,ledger_cost\n202324,RAA,APC,100\n", "cost", &res, &c);
    cr_assert_gt(res.counts[NCC_F_MISSING_COLUMN], 3);
    ncc_file_result_free(&res);
}

Test(validate, quote_value_truncates_and_redacts)
{
    char out[128];
    ncc_quote_value("abc", 3, out, sizeof out);
    cr_assert_str_eq(out, "\"abc\"");
    ncc_quote_value("a\tb", 3, out, sizeof out);
    cr_assert_str_eq(out, "\"a?b\"");
    ncc_quote_value("call 943 476 5919 now", 21, out, sizeof out);
    cr_assert_null(strstr(out, "5919"));
    const char *longv = "0123456789012345678901234567890123456789012345678901234567890123456789";
    ncc_quote_value(longv, strlen(longv), out, sizeof out);
    cr_assert(strstr(out, "...") != NULL);
}

/*
 * A message cut to its buffer can end inside a value that was quoted whole: unknown header
 * names of 28 letters and 11 digits (not an NHS number), shifted so that the cut leaves ten
 * digits that are one (9434765919). Every shift is tried, so one of them lands on the cut;
 * no message may show an NHS number, and the file is still reported.
 */
Test(validate, message_cut_at_its_limit_never_shows_an_nhs_number)
{
    int cut_seen = 0;
    for (int shift = 1; shift <= 44; shift++) {
        char text[4096];
        size_t n = (size_t)snprintf(text, sizeof text, "fin_year,org_code,feed,ledger_cost,");
        for (int i = 0; i < shift; i++)
            text[n++] = 'a';
        for (int k = 0; k < 20; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, ",bbbbbbbbbbbbbbbbbbbbbbbbbbbb94347659191");
        snprintf(text + n, sizeof text - n, "\n202324,RAA,APC,1");
        ncc_file_result res;
        collect c;
        run(text, NULL, &res, &c);
        cr_assert(strstr(c.issues, "W_UNKNOWN_COLUMN@1") != NULL, "shift %d: %s", shift, c.issues);
        cr_assert_not(ncc_contains_nhs_number(c.issues, strlen(c.issues)), "shift %d: %s", shift,
                      c.issues);
        cut_seen += strstr(c.issues, "##########\n") != NULL;
        ncc_file_result_free(&res);
    }
    cr_assert_geq(cut_seen, 1, "no shift cut a message inside the digits");
}

/* ---- duplicate keys: the fingerprint taken from the raw fields early in the row is the
 * one of the canonical values, or it is taken again from them ---- */

/* The load's second pass over a file found free of duplicates skips the check (and its
 * memory): the same rows are then valid, nothing else changes. */
Test(validate, no_duplicate_check_skips_only_the_key_check)
{
    ncc_file_result res;
    collect c;
    const char *text = COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,10\n"
                                "202324,RAA,APC,a1,LB09C,100,EL,,STAFF,WARD,,1,10\n"
                                "202324,RAA,APC,A2,LB09C,100,EL,,STAFF,WARD,,1,-3\n";
    run(text, NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 1, "%s", c.issues);
    cr_assert_eq(res.rows_valid, 1);
    ncc_file_result_free(&res);
    skip_duplicates = true;
    run(text, NULL, &res, &c);
    skip_duplicates = false;
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 0, "%s", c.issues);
    cr_assert_eq(res.counts[NCC_E_NEGATIVE], 1, "other checks still run: %s", c.issues);
    cr_assert_eq(res.rows_valid, 2);
    cr_assert_eq(res.ntotals, 1);
    cr_assert_eq(res.totals[0].rows, 2);
    ncc_file_result_free(&res);
}

#define SUPPLIER_HDR "period,supplier,customer_ods,technology_id,route,units,value_ex_vat\n"

Test(validate, duplicate_keys_by_canonical_value_not_raw_text)
{
    ncc_file_result res;
    collect c;
    /* technology_id: the superseded alias MTG29 is MTG74 (its canonical value lives in the
     * reference data, not in the record); supplier is text compared without case; route an
     * upper-cased code */
    run(SUPPLIER_HDR "2024-03,HeartFlow,RCC,MTG74,DIRECT,1,700.00\n"
                     "2024-03,HEARTFLOW,RCC,MTG29,DIRECT,1,700.00\n"
                     "2024-03, heartflow ,rcc,mtg74,direct,1,700.00\n"
                     "2024-03,HeartFlow,RCC,MTG58,DIRECT,1,700.00\n"
                     "2024-03,HeartFlow,RCC,mtg29,NHSSC,1,700.00\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 2, "%s", c.issues);
    cr_assert_eq(res.errors[0].line, 3);
    cr_assert_eq(res.errors[1].line, 4);
    cr_assert_eq(res.rows_valid, 3);
    ncc_file_result_free(&res);

    /* line_no is an int whose canonical text is the raw text: 7 and 07 are two keys, as the
     * contract's "compared after trimming and upper-casing" says; invoice_no is upper-cased */
    run(NHSSC_HDR "2024-03-31,inv1,7,RAA,FWB101,,1,1.00,N\n"
                  "2024-03-31,INV1,07,RAA,FWB101,,1,1.00,N\n"
                  "2024-03-31,INV1, 7,RAA,FWB101,,1,1.00,N\n"
                  "2024-03-31,Inv1,7,RBB,FWB102,,2,2.00,Y\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 2, "%s", c.issues);
    cr_assert_eq(res.errors[0].line, 4);
    cr_assert_eq(res.errors[1].line, 5);
    ncc_file_result_free(&res);
}

Test(validate, duplicate_keys_of_rejected_rows)
{
    ncc_file_result res;
    collect c;
    /* a row rejected for a non-key column still takes its key; a row whose key column is
     * wrong takes none (its later twin is not a duplicate, only wrong again) */
    run(COST_HDR "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,-10\n"
                 "202324,RAA,APC,A1,LB09C,100,EL,,STAFF,WARD,,1,10\n"
                 "202324,RAA,XYZ,A2,LB09C,100,EL,,STAFF,WARD,,1,10\n"
                 "202324,RAA,XYZ,A2,LB09C,100,EL,,STAFF,WARD,,1,10\n"
                 "202324,RAA,APC,A3,LB09C,100,EL,,STAFF,WARD,,1,10,extra\n"
                 "202324,RAA,APC,A3,LB09C,100,EL,,STAFF,WARD,,1,10\n",
        NULL, &res, &c);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 1, "%s", c.issues);
    cr_assert_eq(res.counts[NCC_E_FEED], 2, "%s", c.issues);
    cr_assert_eq(res.counts[NCC_E_FIELD_COUNT], 1, "%s", c.issues);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 1);
    bool found = false;
    for (int i = 0; i < res.nerrors; i++)
        if (res.errors[i].code == NCC_E_DUPLICATE_KEY)
            found = res.errors[i].line == 3;
    cr_assert(found, "%s", c.issues);
    cr_assert_eq(res.rows_valid, 1, "%s", c.issues);
    ncc_file_result_free(&res);
}

/* Collects the lines of E_DUPLICATE_KEY issues. */
typedef struct dups {
    long line[16];
    int n;
} dups;

static void on_dup(void *ctx, const ncc_issue *is)
{
    dups *d = ctx;
    if (is->code == NCC_E_DUPLICATE_KEY && d->n < 16)
        d->line[d->n++] = is->line;
}

/* A cost file of rows data rows (~74 bytes each: past the first 4 MiB, after which the key
 * set is sized for the whole file) where the row on line dup_at[k] repeats the key of line
 * dup_of[k], in its own spelling. */
static char *big_cost(long rows, const long *dup_at, const long *dup_of, int ndup, size_t *len)
{
    size_t cap = (size_t)rows * 96 + 256;
    char *b = malloc(cap);
    cr_assert_not_null(b);
    size_t n = (size_t)snprintf(b, cap, "%s", COST_HDR);
    for (long line = 2; line < rows + 2; line++) {
        long id = line;
        bool lower = false;
        for (int k = 0; k < ndup; k++)
            if (dup_at[k] == line) {
                id = dup_of[k];
                lower = k % 2;
            }
        n += (size_t)snprintf(b + n, cap - n,
                              lower ? "202324, raa ,apc,rpt-%08ld,AA22C,400,NEL,K40.1,prosth,critcare,,1,12.50\n"
                                    : "202324,RAA,APC,RPT-%08ld,AA22C,400,NEL,K40.1,PROSTH,CRITCARE,,1,12.50\n",
                              id);
    }
    *len = n;
    return b;
}

static void validate_dups(const char *path, dups *d, ncc_file_result *res)
{
    memset(d, 0, sizeof *d);
    ncc_validate_config cfg = {&set, ref, NULL, NULL, "MTFM", 1000, false, false};
    ncc_sink sink = {d, NULL, on_dup};
    cr_assert_eq(ncc_validate_file(path, &cfg, &sink, res), 0);
}

Test(validate, duplicate_keys_of_every_length_and_split)
{
    /* key values of 1 to 40 bytes, so that the values and their separators fall everywhere
     * in the 8-byte words the fingerprint reads: each row once, then again in lower case */
    char *text = malloc(64 * 1024);
    cr_assert_not_null(text);
    size_t n = (size_t)snprintf(text, 64 * 1024, "%s", COST_HDR);
    for (int pass = 0; pass < 2; pass++)
        for (int len = 1; len <= 40; len++) {
            char id[48];
            for (int i = 0; i < len; i++)
                id[i] = (char)((pass ? 'a' : 'A') + (i + len) % 26);
            id[len] = '\0';
            n += (size_t)snprintf(text + n, 64 * 1024 - n,
                                  "202324,RAA,APC,%s,LB09C,100,EL,,R%.*s,W,,1,10\n", id,
                                  len % 13, "XYZXYZXYZXYZX");
        }
    /* the same bytes split otherwise between two key values, or a character outside ASCII in
     * another case: other keys */
    n += (size_t)snprintf(text + n, 64 * 1024 - n,
                          "202324,RAA,APC,Z1,LB09C,100,EL,,AB,C,,1,10\n"
                          "202324,RAA,APC,Z1,LB09C,100,EL,,A,BC,,1,10\n"
                          "202324,RAA,APC,Z1,LB09C,100,EL,,AB_,C,,1,10\n"
                          "202324,RAA,APC,Z\xc3\xa9,LB09C,100,EL,,A,B,,1,10\n"
                          "202324,RAA,APC,Z\xc3\x89,LB09C,100,EL,,A,B,,1,10\n"
                          "202324,RAA,APC,z\xc3\xa9,LB09C,100,EL,,a,b,,1,10\n");
    char *path = tu_write_temp(text, n);
    ncc_file_result res;
    dups d;
    validate_dups(path, &d, &res);
    cr_assert_eq(res.rows_read, 86);
    cr_assert_eq(res.counts[NCC_E_DUPLICATE_KEY], 41);
    for (int k = 0; k < 16; k++)
        cr_assert_eq(d.line[k], 42 + k, "duplicate %d on line %ld", k, d.line[k]);
    cr_assert_eq(res.errors[40].line, 87);
    cr_assert_eq(res.rows_valid, 86 - 41);
    ncc_file_result_free(&res);
    tu_remove(path);
    free(text);
}

Test(validate, duplicate_keys_across_the_sizing_of_the_key_set)
{
    /* 90,000 rows, 6.6 MB: the set is resized after the first 4 MiB (~57,000 rows) */
    const long at[] = {30000, 70000, 80000, 90001};
    const long of[] = {2, 10, 60000, 79999};
    size_t len;
    char *text = big_cost(90000, at, of, 4, &len);
    cr_assert_gt(len, (size_t)6 << 20);
    char *path = tu_write_temp(text, len);
    ncc_file_result res;
    dups d;
    validate_dups(path, &d, &res);
    cr_assert_eq(res.rows_read, 90000);
    cr_assert_eq(d.n, 4, "%d duplicates", d.n);
    for (int k = 0; k < 4; k++)
        cr_assert_eq(d.line[k], at[k]);
    cr_assert_eq(res.rows_valid, 90000 - 4);
    cr_assert_eq(res.ntotals, 1);
    cr_assert_eq(res.totals[0].rows, 90000 - 4);
    ncc_file_result_free(&res);

    /* the same gzip'ed: sized from the ISIZE trailer instead of the file's size */
    char gzpath[64];
    snprintf(gzpath, sizeof gzpath, "%s.gz", path);
    gzFile gz = gzopen(gzpath, "wb6");
    cr_assert_not_null(gz);
    cr_assert_eq(gzwrite(gz, text, (unsigned)len), (int)len);
    cr_assert_eq(gzclose(gz), Z_OK);
    validate_dups(gzpath, &d, &res);
    cr_assert_eq(d.n, 4, "%d duplicates", d.n);
    for (int k = 0; k < 4; k++)
        cr_assert_eq(d.line[k], at[k]);
    ncc_file_result_free(&res);
    unlink(gzpath);
    tu_remove(path);
    free(text);
}
