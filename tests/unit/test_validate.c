/* Unit tests of validate: canonical rows, rules, aggregates and accounting. */
#include <criterion/criterion.h>
#include <string.h>

#include "refdata.h"
#include "schema.h"
#include "testutil.h"
#include "validate.h"

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

static void run(const char *text, const char *kind, ncc_file_result *res, collect *c)
{
    char *path = tu_write_str(text);
    memset(c, 0, sizeof *c);
    ncc_validate_config cfg = {&set, ref, kind, NULL, "MTFM", 1000, false};
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
