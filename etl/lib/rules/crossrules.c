/*
 * crossrules.c - the named cross-field rules of the schemas ("rules" in
 * schemas/<kind>.json, the ncc_rule bits of schema.h): the rules of
 * contract §2 that look at more than one field of a row, and the derived
 * columns they fill. One function per kind:
 *
 *   rule_mtfm      cost      MTFM units, technology attribution (§2.1)
 *   rule_nhssc     nhssc     npc or gtin, credit signs, customer organisation,
 *                            product -> technology and units, fin_year (§2.3)
 *   rule_supplier  supplier  organisation, fin_year of the period (§2.4)
 *   rule_qart      qart      the trust of the provider site, the HIN's replace key (§2.5)
 *
 * They run after the field checks (check.c) and before the duplicate-key check
 * (validate.c), on values already canonical; a column is used only when ok() (present,
 * non-empty, no error in this row). A rule reports with ncc_pass_report and marks
 * p->bad for a column it finds wrong.
 *
 * A new kind's rule: its ncc_rule bit in schema.h and its name in
 * schema.c's table (then listed in schemas/<kind>.json); the columns it uses in
 * ncc_rule_cols (validate_int.h), resolved in ncc_pass_bind_rules below; a
 * rule_<kind> here, called from ncc_pass_apply_rules when one of its bits is set. A
 * rule shared by kinds (the organisation of a trust or site code, contract 2.3, is
 * also qart's: org_of_site) is a helper here that each kind's function calls with
 * its columns.
 */
#include <string.h>

#include "rules/validate.h"
#include "rules/validate_int.h"

#define UNATTRIBUTED "UNATTRIBUTED"

static int col(const ncc_pass *p, const char *name)
{
    return ncc_schema_column(p->schema, name);
}

/* A column is usable by a rule when present, non-empty and without error. */
static bool ok(const ncc_pass *p, int ci)
{
    return ci >= 0 && p->v[ci].s && !p->bad[ci];
}

static void put_int(ncc_pass *p, int ci, int64_t val)
{
    /* what "%lld" writes, without snprintf */
    char buf[24];
    char *e = buf + sizeof buf, *d = e;
    uint64_t mag = val < 0 ? -(uint64_t)val : (uint64_t)val;
    do {
        *--d = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (val < 0)
        *--d = '-';
    size_t n = (size_t)(e - d);
    const char *a = ncc_pass_arena_put(p, d, n);
    p->v[ci].i = val;
    if (a)
        ncc_value_set(&p->v[ci], a, n);
}

static void put_money(ncc_pass *p, int ci, ncc_money m)
{
    char buf[NCC_MONEY_BUFSIZE];
    size_t n = ncc_money_format(m, buf, sizeof buf);
    const char *a = ncc_pass_arena_put(p, buf, n);
    p->v[ci].m = m;
    if (a)
        ncc_value_set(&p->v[ci], a, n);
}

/* The financial year of a month yyyymm into column ci. */
static void put_fin_year(ncc_pass *p, int ci, int yyyymm)
{
    char fy[7];
    ncc_fin_year_format(ncc_fin_year_of(yyyymm / 100, yyyymm % 100), fy);
    const char *a = ncc_pass_arena_put(p, fy, 6);
    if (a)
        ncc_value_set(&p->v[ci], a, 6);
}

void ncc_pass_bind_rules(ncc_pass *p)
{
    ncc_rule_cols *rc = &p->rc;
    rc->resource = col(p, "collection_resource");
    rc->tech = col(p, "technology_id");
    rc->opcs = col(p, "opcs_procedure");
    rc->count = col(p, "activity_count");
    rc->npc = col(p, "npc");
    rc->gtin = col(p, "gtin");
    rc->credit = col(p, "is_credit");
    rc->qty = col(p, "quantity");
    rc->value = col(p, "line_value_ex_vat");
    rc->cust = col(p, "customer_ods");
    rc->org = col(p, "org_code");
    rc->units = col(p, "units");
    rc->fy = col(p, "fin_year");
    rc->date = col(p, "invoice_date");
    rc->period = col(p, "period");
    if (rc->value < 0)
        rc->value = col(p, "value_ex_vat");
    rc->site = col(p, "provider_ods");
    rc->hin = col(p, "hin");
    rc->hin_key = col(p, "hin_key");
}

/* ---- cost ---- */

/* An MTFM line (collection_resource is the configured code) needs activity_count >= 1
 * and is attributed: its technology_id, else the one its opcs_procedure maps to, else
 * UNATTRIBUTED. On other lines technology_id is ignored. */
static void rule_mtfm(ncc_pass *p)
{
    const ncc_rule_cols *rc = &p->rc;
    ncc_value *tech = &p->v[rc->tech];
    bool tech_given = rc->tech >= 0 && tech->s != NULL;
    if (!ok(p, rc->resource))
        return;
    const ncc_value *res = &p->v[rc->resource];
    bool mtfm = res->len == p->mtfm_code_len && memcmp(res->s, p->cfg->mtfm_code, res->len) == 0;
    char q[96];
    if (!mtfm) {
        if (tech_given) {
            ncc_quote_value(tech->s, tech->len, q, sizeof q);
            ncc_pass_report(p, NCC_W_TECH_ON_NON_MTFM, p->line, "technology_id",
                            "technology_id %s is ignored: collection_resource is not %s", q,
                            p->cfg->mtfm_code);
        }
        if (rc->tech >= 0)
            tech->s = NULL;
        return;
    }
    if (ok(p, rc->count) && p->v[rc->count].i < 1)
        ncc_pass_report(p, NCC_E_MTFM_UNITS, p->line, "activity_count",
                        "activity_count is %lld on an MTFM line: MTFM cost needs the number of "
                        "units used (1 or more)",
                        (long long)p->v[rc->count].i);
    if (tech_given) {
        const char *t = ncc_refdata_technology(p->cfg->ref, tech->s, tech->len);
        if (!t) {
            ncc_quote_value(tech->s, tech->len, q, sizeof q);
            p->bad[rc->tech] = true;
            ncc_pass_report(p, NCC_E_UNKNOWN_TECHNOLOGY, p->line, "technology_id",
                            "technology_id %s is not in the technology reference: use a NICE id "
                            "such as MTG58 (superseded ids are accepted when listed as aliases)",
                            q);
        }
        return; /* already canonical when known */
    }
    const char *t = NULL;
    if (ok(p, rc->opcs))
        t = ncc_refdata_procedure_technology(p->cfg->ref, p->v[rc->opcs].s, p->v[rc->opcs].len);
    if (t) {
        ncc_value_set(tech, t, strlen(t));
        return;
    }
    ncc_value_set(tech, UNATTRIBUTED, sizeof UNATTRIBUTED - 1);
    ncc_pass_report(p, NCC_W_UNATTRIBUTED, p->line, "technology_id",
                    "MTFM line without technology_id%s: its cost is reported as UNATTRIBUTED; "
                    "add the NICE technology id",
                    ok(p, rc->opcs) ? " and its opcs_procedure maps to no single technology" : "");
}

/* ---- nhssc ---- */

/* is_credit defaults to "f"; a credit's quantity and value are stored -|x|; a negative
 * one on a line that is not a credit is E_NEGATIVE. */
static void nhssc_credit_sign(ncc_pass *p)
{
    const ncc_rule_cols *rc = &p->rc;
    bool credit = ok(p, rc->credit) && p->v[rc->credit].i;
    if (rc->credit >= 0 && !p->v[rc->credit].s && !p->bad[rc->credit])
        ncc_value_set(&p->v[rc->credit], "f", 1);
    int cols[2] = {rc->qty, rc->value};
    for (int k = 0; k < 2; k++) {
        int ci = cols[k];
        if (!ok(p, ci))
            continue;
        bool money = p->schema->cols[ci].type == NCC_TYPE_MONEY;
        bool neg = money ? p->v[ci].m < 0 : p->v[ci].i < 0;
        if (credit) {
            if (money && p->v[ci].m > 0)
                put_money(p, ci, -p->v[ci].m);
            else if (!money && p->v[ci].i > 0)
                put_int(p, ci, -p->v[ci].i);
        } else if (neg) {
            p->bad[ci] = true;
            ncc_pass_report(p, NCC_E_NEGATIVE, p->line, p->schema->cols[ci].name,
                            "%s is negative on a line that is not a credit: mark credits with "
                            "is_credit = Y, or correct the sign",
                            p->schema->cols[ci].name);
        }
    }
}

/* The organisation (contract 2.3) of the trust or site code in column src, into
 * org_code: the code when the organisation reference lists it (or there is none and
 * it is not a 5-character site code), else its first 3 characters. */
static void org_of_site(ncc_pass *p, int src)
{
    const ncc_rule_cols *rc = &p->rc;
    const ncc_value *cu = &p->v[src];
    size_t n = cu->len;
    if (ncc_refdata_has_organisations(p->cfg->ref)) {
        if (!ncc_refdata_organisation_known(p->cfg->ref, cu->s, cu->len) && cu->len == 5)
            n = 3;
    } else if (cu->len == 5) {
        n = 3;
    }
    ncc_value_set(&p->v[rc->org], cu->s, n);
    if (n != cu->len) {
        const char *a = ncc_pass_arena_put(p, cu->s, n);
        if (a)
            ncc_value_set(&p->v[rc->org], a, n);
    }
}

/* An MTFM product (npc first, then gtin): its technology and quantity x units per
 * issue. */
static void nhssc_product_technology(ncc_pass *p)
{
    const ncc_rule_cols *rc = &p->rc;
    const ncc_value *npc = &p->v[rc->npc], *gtin = &p->v[rc->gtin];
    const ncc_product *prod = ncc_refdata_product(
        p->cfg->ref, ok(p, rc->npc) ? npc->s : NULL, ok(p, rc->npc) ? npc->len : 0,
        ok(p, rc->gtin) ? gtin->s : NULL, ok(p, rc->gtin) ? gtin->len : 0);
    int64_t units;
    if (!prod || !ok(p, rc->qty))
        return;
    if (__builtin_mul_overflow(p->v[rc->qty].i, (int64_t)prod->units_per_issue, &units)) {
        p->bad[rc->qty] = true;
        ncc_pass_report(p, NCC_E_NUMBER, p->line, "quantity",
                        "quantity %lld x %lld units per issue is too large to count",
                        (long long)p->v[rc->qty].i, prod->units_per_issue);
    } else {
        ncc_value_set(&p->v[rc->tech], prod->technology_id, strlen(prod->technology_id));
        put_int(p, rc->units, units);
    }
}

static void rule_nhssc(ncc_pass *p)
{
    const ncc_rule_cols *rc = &p->rc;
    unsigned rules = p->schema->rules;
    if ((rules & NCC_RULE_NPC_OR_GTIN) && !p->v[rc->npc].s && !p->v[rc->gtin].s &&
        !p->bad[rc->npc] && !p->bad[rc->gtin])
        ncc_pass_report(p, NCC_E_REQUIRED, p->line, "npc",
                        "npc and gtin are both empty: give the NHS Supply Chain product code, "
                        "the GTIN, or both");
    if (rules & NCC_RULE_CREDIT_SIGN)
        nhssc_credit_sign(p);
    if ((rules & NCC_RULE_CUSTOMER_ORG) && ok(p, rc->cust))
        org_of_site(p, rc->cust);
    if (rules & NCC_RULE_PRODUCT_TECHNOLOGY)
        nhssc_product_technology(p);
    if ((rules & NCC_RULE_FIN_YEAR_OF_DATE) && ok(p, rc->date))
        put_fin_year(p, rc->fy, (int)p->v[rc->date].i);
}

/* ---- supplier ---- */

static void rule_supplier(ncc_pass *p)
{
    const ncc_rule_cols *rc = &p->rc;
    unsigned rules = p->schema->rules;
    if ((rules & NCC_RULE_ORG_IS_CUSTOMER) && ok(p, rc->cust))
        p->v[rc->org] = p->v[rc->cust];
    if ((rules & NCC_RULE_FIN_YEAR_OF_PERIOD) && ok(p, rc->period))
        put_fin_year(p, rc->fy, (int)p->v[rc->period].i);
}

/* ---- qart ---- */

/* The trust of the provider site (as for NHSSC customers), and the network's name
 * upper-cased as the key a re-sent return replaces by. */
static void rule_qart(ncc_pass *p)
{
    const ncc_rule_cols *rc = &p->rc;
    unsigned rules = p->schema->rules;
    if ((rules & NCC_RULE_SITE_ORG) && ok(p, rc->site))
        org_of_site(p, rc->site);
    if ((rules & NCC_RULE_HIN_KEY) && ok(p, rc->hin)) {
        const ncc_value *h = &p->v[rc->hin];
        char *a = (char *)ncc_pass_arena_put(p, h->s, h->len);
        if (a) {
            ncc_upcase_ascii(a, h->len);
            ncc_value_set(&p->v[rc->hin_key], a, h->len);
        }
    }
}

/* ---- dispatch ---- */

void ncc_pass_apply_rules(ncc_pass *p)
{
    unsigned rules = p->schema->rules;
    if (rules & NCC_RULE_MTFM_ATTRIBUTION)
        rule_mtfm(p);
    if (rules & (NCC_RULE_NPC_OR_GTIN | NCC_RULE_CREDIT_SIGN | NCC_RULE_CUSTOMER_ORG |
                 NCC_RULE_PRODUCT_TECHNOLOGY | NCC_RULE_FIN_YEAR_OF_DATE))
        rule_nhssc(p);
    if (rules & (NCC_RULE_ORG_IS_CUSTOMER | NCC_RULE_FIN_YEAR_OF_PERIOD))
        rule_supplier(p);
    if (rules & (NCC_RULE_SITE_ORG | NCC_RULE_HIN_KEY))
        rule_qart(p);
}
