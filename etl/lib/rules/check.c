/*
 * check.c - the full check of one field (contract §2 "common rules" and each
 * kind's column rules, driven by the schema's column types): what is wrong
 * with a value, reported with its code and a message, and its canonical value
 * when it has one. One helper per column type.
 *
 * Two paths over the same rules: the fast path (ncc_pass_check_field_fast in
 * validate_int.h, inlined in the row loop) takes a value that passes every
 * check; anything else comes here (ncc_pass_check_field), which decides and
 * reports. The two must accept exactly the same values with the same canonical
 * form: a change of a rule is made in both. A new column type gets a
 * check_<type> helper here, and a case in the fast path only when its files are
 * large (the fast path's default sends a type it does not know here: QART's
 * quarter and stage, a few thousand rows a quarter, have only this path).
 *
 * A value is trimmed by the reader; it is upper-cased in place first when the
 * column says so. Any other change of the value is either made elsewhere (the
 * arena, reference data) or, in place, changes its length (opcs_procedure):
 * the duplicate-key check (validate.c key_is_raw) relies on that to reuse the
 * key fingerprint of the raw fields.
 */
#include <stdio.h>
#include <string.h>

#include "rules/validate.h"
#include "rules/validate_int.h"

static const char *expect_of(const ncc_column *c)
{
    if (c->expect)
        return c->expect;
    switch (c->type) {
    case NCC_TYPE_FIN_YEAR:
        return "a financial year YYYYZZ such as 202324 (YYYY from 2015 to 2040, ZZ the next year)";
    case NCC_TYPE_ODS:
        return "an ODS code of 3 to 5 letters or digits such as RXX";
    case NCC_TYPE_MONEY:
        return "a plain decimal amount such as 1234.50 (no commas, currency signs or exponents)";
    case NCC_TYPE_INT:
        return "a whole number such as 12";
    case NCC_TYPE_DATE:
        return "a date as YYYY-MM-DD or DD/MM/YYYY";
    case NCC_TYPE_PERIOD:
        return "a month as YYYY-MM such as 2023-04";
    case NCC_TYPE_GTIN:
        return "a GTIN of 8, 12, 13 or 14 digits";
    case NCC_TYPE_BOOL:
        return "Y, N, 1, 0, true or false";
    case NCC_TYPE_TECHNOLOGY:
        return "a technology id of the reference list such as MTG58";
    case NCC_TYPE_QUARTER:
        return "a quarter 1 to 4 or Q1 to Q4 (Q1 = April to June)";
    case NCC_TYPE_STAGE:
        return "a stage 0 to 5, its name (No information, Knowledge, Interest, Decision, "
               "Implementation, Adoption) or both, such as 5: Adoption";
    default:
        return "a valid value";
    }
}

static void list_values(const ncc_column *c, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < c->nvalues && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", c->values[i]);
}

/* "<column> <value> is not valid: expected <what>", the message of most format codes. */
static void report_invalid(ncc_pass *p, const ncc_column *c, ncc_code code, const char *s,
                           size_t len)
{
    char q[96];
    ncc_quote_value(s, len, q, sizeof q);
    ncc_pass_report(p, code, p->line, c->name, "%s %s is not valid: expected %s", c->name, q,
                    expect_of(c));
}

/* Text and codes; valid and ascii as the charset scan gave them. */
static void check_text(ncc_pass *p, const ncc_column *c, const char *s, size_t len, bool ascii,
                       bool valid)
{
    if (c->max_len && len > (size_t)c->max_len &&
        (ascii || ncc_utf8_length(s, len) > (size_t)c->max_len)) {
        char q[96];
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_TOO_LONG, p->line, c->name,
                        "%s %s has %zu characters: at most %d allowed (%s)", c->name, q,
                        ncc_utf8_length(s, len), c->max_len, expect_of(c));
        return;
    }
    /* a NUL byte is outside every charset but "any": looked for only then */
    if ((!valid || c->charset == NCC_CHARSET_ANY) && memchr(s, '\0', len)) {
        /* never valid text, and PostgreSQL refuses it: reject the row, not the load */
        ncc_pass_report(p, c->format_code, p->line, c->name, "%s holds a NUL byte: remove it",
                        c->name);
        return;
    }
    /* a UTF-8 character is at most 4 bytes: count characters only when it can matter */
    if (!valid || (len < 4 * (size_t)c->min_len &&
                   (ascii ? len : ncc_utf8_length(s, len)) < (size_t)c->min_len))
        report_invalid(p, c, c->format_code, s, len);
}

static void check_enum(ncc_pass *p, const ncc_column *c, const char *s, size_t len)
{
    for (int k = 0; k < c->nvalues; k++)
        if (ncc_pass_enum_is(c->values[k], s, len))
            return;
    char vals[200], q[96];
    list_values(c, vals, sizeof vals);
    ncc_quote_value(s, len, q, sizeof q);
    ncc_pass_report(p, c->format_code, p->line, c->name, "%s %s is not one of %s", c->name, q,
                    vals);
}

/* Money: E_NUMBER, E_NEGATIVE below the column's minimum, W_ROUNDED (the value then
 * becomes the rounded one, in the arena). */
static void check_money(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s, size_t len)
{
    char q[96];
    ncc_parse_result pr = ncc_money_parse(s, len, &v->m);
    if (pr == NCC_PARSE_BAD) {
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_NUMBER, p->line, c->name, "%s %s is not a number: expected %s",
                        c->name, q, expect_of(c));
        return;
    }
    if (c->has_min_value && v->m < (ncc_money)c->min_value * NCC_MONEY_SCALE) {
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_NEGATIVE, p->line, c->name,
                        "%s %s is negative: it must be %lld or more", c->name, q, c->min_value);
        return;
    }
    if (pr == NCC_PARSE_ROUNDED) {
        char buf[NCC_MONEY_BUFSIZE];
        size_t n = ncc_money_format(v->m, buf, sizeof buf);
        const char *d = ncc_pass_arena_put(p, buf, n);
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_W_ROUNDED, p->line, c->name,
                        "%s %s has more than 4 decimal places: rounded to %s", c->name, q, buf);
        if (d)
            ncc_value_set(v, d, n);
    }
}

static void check_int(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s, size_t len)
{
    char q[96];
    if (ncc_int_parse(s, len, &v->i) != NCC_PARSE_OK) {
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_NUMBER, p->line, c->name,
                        "%s %s is not a whole number: expected %s", c->name, q, expect_of(c));
    } else if (c->has_min_value && v->i < c->min_value) {
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, v->i < 0 ? NCC_E_NEGATIVE : NCC_E_NUMBER, p->line, c->name,
                        "%s %s is too small: it must be %lld or more", c->name, q, c->min_value);
    }
}

/* A date: v->i is yyyymm (for the rules); a date not written YYYY-MM-DD becomes its ISO
 * form in the arena. */
static void check_date(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s, size_t len)
{
    int y, m, d;
    if (ncc_date_parse(s, len, &y, &m, &d) != NCC_PARSE_OK) {
        char q[96];
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_DATE, p->line, c->name,
                        "%s %s is not a valid date: expected YYYY-MM-DD or DD/MM/YYYY", c->name, q);
        return;
    }
    v->i = (int64_t)y * 100 + m;
    if (len != 10 || s[4] != '-') {
        char buf[16];
        int n = snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
        const char *a = ncc_pass_arena_put(p, buf, (size_t)n);
        if (a)
            ncc_value_set(v, a, (size_t)n);
    }
}

/* A month YYYY-MM: v->i is yyyymm. */
static void check_period(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s, size_t len)
{
    int y, m;
    if (ncc_period_parse(s, len, &y, &m) != NCC_PARSE_OK) {
        char q[96];
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_DATE, p->line, c->name,
                        "%s %s is not a valid month: expected YYYY-MM such as 2023-04", c->name, q);
        return;
    }
    v->i = (int64_t)y * 100 + m;
}

static void check_gtin(ncc_pass *p, const ncc_column *c, const char *s, size_t len)
{
    ncc_gtin_result g = ncc_gtin_check(s, len);
    if (g == NCC_GTIN_OK)
        return;
    char q[96];
    ncc_quote_value(s, len, q, sizeof q);
    if (g == NCC_GTIN_FORMAT)
        ncc_pass_report(p, NCC_E_CODE, p->line, c->name,
                        "%s %s is not a GTIN: expected 8, 12, 13 or 14 digits", c->name, q);
    else if (g == NCC_GTIN_CHECK_DIGIT)
        ncc_pass_report(p, NCC_E_CHECK_DIGIT, p->line, c->name,
                        "%s %s has a wrong GS1 check digit: check the number was copied whole",
                        c->name, q);
}

/* OPCS-4: stored without the dot, rewritten in place (never longer). */
static void check_opcs(ncc_pass *p, const ncc_column *c, ncc_value *v, char *s, size_t len)
{
    char buf[8];
    size_t n;
    if (!ncc_opcs_normalise(s, len, buf, &n)) {
        report_invalid(p, c, NCC_E_CODE, s, len);
    } else if (n != len) {
        memcpy(s, buf, n); /* the dotless form is never longer */
        s[n] = '\0';
        ncc_value_set(v, s, n);
    }
}

/* A boolean: v->i is 0 or 1, the value "t" or "f" (PostgreSQL's text form). */
static void check_bool(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s, size_t len)
{
    bool b;
    if (ncc_bool_parse(s, len, &b) != NCC_PARSE_OK) {
        report_invalid(p, c, NCC_E_CODE, s, len);
    } else {
        v->i = b;
        ncc_value_set(v, b ? "t" : "f", 1);
    }
}

/* A technology id: the canonical id of the reference (aliases resolved). Cost lines
 * decide in the MTFM rule (crossrules.c), where the id may be ignored. */
static void check_technology(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s,
                             size_t len)
{
    const char *t = ncc_refdata_technology(p->cfg->ref, s, len);
    if (t) {
        ncc_value_set(v, t, strlen(t));
    } else if (!(p->schema->rules & NCC_RULE_MTFM_ATTRIBUTION)) {
        char q[96];
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_UNKNOWN_TECHNOLOGY, p->line, c->name,
                        "%s %s is not in the technology reference: use a NICE id such as MTG58 "
                        "(superseded ids are accepted when listed as aliases)",
                        c->name, q);
    }
}

/* One digit, written over the value in place (never longer). */
static void put_digit(ncc_value *v, char *s, size_t len, int digit)
{
    s[0] = (char)('0' + digit);
    if (len > 1)
        s[1] = '\0';
    v->i = digit;
    ncc_value_set(v, s, 1);
}

/* A quarter of the financial year: stored 1-4 (v->i). */
static void check_quarter(ncc_pass *p, const ncc_column *c, ncc_value *v, char *s, size_t len)
{
    int q;
    if (ncc_quarter_parse(s, len, &q) != NCC_PARSE_OK)
        report_invalid(p, c, c->format_code, s, len);
    else
        put_digit(v, s, len, q);
}

/* A QART stage: stored 0-5 (v->i); a number contradicting its name says both. */
static void check_stage(ncc_pass *p, const ncc_column *c, ncc_value *v, char *s, size_t len)
{
    int stage = -1, named = -1;
    ncc_stage_result r = ncc_qart_stage_parse(s, len, &stage, &named);
    if (r == NCC_STAGE_OK) {
        put_digit(v, s, len, stage);
        return;
    }
    if (r == NCC_STAGE_BAD) {
        report_invalid(p, c, c->format_code, s, len);
        return;
    }
    char q[96];
    ncc_quote_value(s, len, q, sizeof q);
    ncc_pass_report(p, c->format_code, p->line, c->name,
                    "%s %s contradicts itself: stage %d is %s, not %s; give the number, the name "
                    "or both of one stage",
                    c->name, q, stage, ncc_qart_stage_name(stage), ncc_qart_stage_name(named));
}

void ncc_pass_check_field(ncc_pass *p, int ci, char *s, size_t len)
{
    const ncc_column *c = &p->schema->cols[ci];
    ncc_value *v = &p->v[ci];
    if (len == 0) {
        v->s = NULL;
        if (c->required) {
            p->bad[ci] = true;
            ncc_pass_report(p, NCC_E_REQUIRED, p->line, c->name,
                            "%s is empty: a value is required (%s)", c->name, expect_of(c));
        }
        return;
    }
    /* text and codes: upper-cased and checked against their charset in one pass */
    bool text = c->type == NCC_TYPE_TEXT || c->type == NCC_TYPE_CODE;
    bool ascii = false, valid = false;
    if (text)
        valid = c->upper ? ncc_charset_scan_upcase(c->charset, s, len, &ascii)
                         : ncc_charset_scan(c->charset, s, len, &ascii);
    else if (c->upper)
        ncc_upcase_ascii(s, len);
    ncc_value_set(v, s, len);
    if ((c->pii && ncc_nhs_number_like(s, len)) ||
        (c->pii_scan && len >= 10 && ncc_contains_nhs_number(s, len))) {
        p->bad[ci] = true;
        v->s = NULL;
        ncc_pass_report(p, NCC_E_PII_VALUE, p->line, c->name,
                        "%s holds what looks like an NHS number (value withheld): send the "
                        "pseudonymised local record id, never a patient identifier",
                        c->name);
        return;
    }
    switch (c->type) {
    case NCC_TYPE_TEXT:
    case NCC_TYPE_CODE:
        check_text(p, c, s, len, ascii, valid);
        break;
    case NCC_TYPE_ODS:
        if (!ncc_ods_valid(s, len))
            report_invalid(p, c, c->format_code, s, len);
        break;
    case NCC_TYPE_FIN_YEAR: {
        int y;
        if (ncc_fin_year_parse(s, len, &y) != NCC_PARSE_OK)
            report_invalid(p, c, c->format_code, s, len);
        break;
    }
    case NCC_TYPE_ENUM:
        check_enum(p, c, s, len);
        break;
    case NCC_TYPE_MONEY:
        check_money(p, c, v, s, len);
        break;
    case NCC_TYPE_INT:
        check_int(p, c, v, s, len);
        break;
    case NCC_TYPE_DATE:
        check_date(p, c, v, s, len);
        break;
    case NCC_TYPE_PERIOD:
        check_period(p, c, v, s, len);
        break;
    case NCC_TYPE_GTIN:
        check_gtin(p, c, s, len);
        break;
    case NCC_TYPE_OPCS:
        check_opcs(p, c, v, s, len);
        break;
    case NCC_TYPE_BOOL:
        check_bool(p, c, v, s, len);
        break;
    case NCC_TYPE_TECHNOLOGY:
        check_technology(p, c, v, s, len);
        break;
    case NCC_TYPE_QUARTER:
        check_quarter(p, c, v, s, len);
        break;
    case NCC_TYPE_STAGE:
        check_stage(p, c, v, s, len);
        break;
    }
}
