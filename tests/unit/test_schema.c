/* Unit tests of schema: the shipped schemas load, names fold, aliases bind. */
#include <criterion/criterion.h>
#include <string.h>

#include "rules/schema.h"

static ncc_schema_set set;

static void setup(void)
{
    char err[512];
    cr_assert_eq(ncc_schema_set_load(NULL, &set, err, sizeof err), 0, "%s", err);
}

static void teardown(void)
{
    ncc_schema_set_free(&set);
}

TestSuite(schema, .init = setup, .fini = teardown);

static int bind(const char *kind, const char *header)
{
    char folded[128];
    ncc_schema_fold(header, strlen(header), folded, sizeof folded);
    return ncc_schema_bind(ncc_schema_find(&set, kind), folded);
}

Test(schema, five_kinds_with_contract_columns)
{
    cr_assert_eq(set.nkinds, 5);
    const ncc_schema *cost = ncc_schema_find(&set, "cost");
    cr_assert_not_null(cost);
    cr_assert_eq(cost->nkey, 6);
    cr_assert(cost->rules & NCC_RULE_MTFM_ATTRIBUTION);
    cr_assert_not_null(ncc_schema_find(&set, "ledger"));
    cr_assert_not_null(ncc_schema_find(&set, "nhssc"));
    cr_assert_not_null(ncc_schema_find(&set, "supplier"));
    cr_assert_null(ncc_schema_find(&set, "nope"));
    const ncc_schema *qart = ncc_schema_find(&set, "qart");
    cr_assert_not_null(qart);
    cr_assert_eq(qart->nkey, 4, "fin_year, quarter, provider_ods, technology_id");
    cr_assert_eq(qart->nreplace, 3, "fin_year, quarter, hin_key");
    cr_assert_str_eq(qart->cols[qart->replace_by[2]].name, "hin_key");
    cr_assert(qart->cols[qart->replace_by[2]].derived);
    cr_assert_eq(qart->rules, (unsigned)(NCC_RULE_SITE_ORG | NCC_RULE_HIN_KEY));
    cr_assert_eq(qart->cols[ncc_schema_column(qart, "quarter")].type, NCC_TYPE_QUARTER);
    cr_assert_eq(qart->cols[ncc_schema_column(qart, "stage")].type, NCC_TYPE_STAGE);
    cr_assert_eq(qart->cols[ncc_schema_column(qart, "stage")].format_code, NCC_E_CODE);
    cr_assert_not(qart->cols[ncc_schema_column(qart, "stage")].upper,
                  "a stage is quoted in messages as written");
    cr_assert(qart->cols[ncc_schema_column(qart, "comment")].pii_scan);
    cr_assert_eq(qart->tot_fin_year, -1, "a QART file has no totals");
    cr_assert_eq(qart->mtfm_tech, -1, "... and no MTFM aggregates");
    cr_assert_eq(bind("qart", "Site Code"), ncc_schema_column(qart, "provider_ods"));
    cr_assert_eq(bind("qart", "FY"), ncc_schema_column(qart, "fin_year"));
    cr_assert_eq(bind("qart", "Stage of adoption"), ncc_schema_column(qart, "stage"));
    const ncc_column *fy = &cost->cols[ncc_schema_column(cost, "fin_year")];
    cr_assert(fy->required);
    cr_assert_eq(fy->format_code, NCC_E_FIN_YEAR);
    const ncc_column *feed = &cost->cols[ncc_schema_column(cost, "feed")];
    cr_assert_eq(feed->format_code, NCC_E_FEED);
    cr_assert_eq(feed->nvalues, 5);
}

Test(schema, folding_rules)
{
    char out[64];
    cr_assert_eq(ncc_schema_fold("  Org Code ", 11, out, sizeof out), 8);
    cr_assert_str_eq(out, "org_code");
    ncc_schema_fold("ORG-CODE", 8, out, sizeof out);
    cr_assert_str_eq(out, "org_code");
    ncc_schema_fold("CurrenyCode", 11, out, sizeof out);
    cr_assert_str_eq(out, "currenycode");
}

Test(schema, aliases_bind_to_canonical_columns)
{
    const ncc_schema *cost = ncc_schema_find(&set, "cost");
    cr_assert_eq(bind("cost", "Org Code"), ncc_schema_column(cost, "org_code"));
    cr_assert_eq(bind("cost", "provider_code"), ncc_schema_column(cost, "org_code"));
    cr_assert_eq(bind("cost", "CurrenyCode"), ncc_schema_column(cost, "currency_code"));
    cr_assert_eq(bind("cost", "FY"), ncc_schema_column(cost, "fin_year"));
    cr_assert_eq(bind("cost", "Financial Year"), ncc_schema_column(cost, "fin_year"));
    cr_assert_eq(bind("cost", "units"), ncc_schema_column(cost, "activity_count"));
    cr_assert_eq(bind("cost", "notes"), -1);
    cr_assert_eq(bind("nhssc", "EAN"), ncc_schema_column(ncc_schema_find(&set, "nhssc"), "gtin"));
    /* derived columns never bind from a header */
    cr_assert_eq(bind("nhssc", "org_code"), -1);
}

Test(schema, pii_names)
{
    char out[64];
    ncc_schema_fold("NHS Number", 10, out, sizeof out);
    cr_assert(ncc_schema_is_pii_name(&set, out));
    ncc_schema_fold("Date-Of-Birth", 13, out, sizeof out);
    cr_assert(ncc_schema_is_pii_name(&set, out));
    ncc_schema_fold("postcode", 8, out, sizeof out);
    cr_assert(ncc_schema_is_pii_name(&set, out));
    ncc_schema_fold("org_code", 8, out, sizeof out);
    cr_assert_not(ncc_schema_is_pii_name(&set, out));
}

Test(schema, a_broken_schema_directory_is_reported)
{
    ncc_schema_set s2;
    char err[512];
    cr_assert_eq(ncc_schema_set_load("/nonexistent-dir", &s2, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent-dir") != NULL, "%s", err);
}
