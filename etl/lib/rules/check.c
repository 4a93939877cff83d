/*
 * check.c - the messages of the field checks (contract §2 "common rules" and each
 * kind's column rules, driven by the schema's column types).
 *
 * The rules themselves are in validate_int.h, written once per column type
 * (ncc_rule_<type>, dispatched by ncc_pass_classify) and inlined in the row loop: a
 * value that passes gets its canonical value there and never comes here. Any other
 * verdict comes here (ncc_pass_report_field), which only turns it into the contract's
 * code and message; and, for the two verdicts of a value accepted in another form
 * (money rounded beyond 4 decimal places, a date not written YYYY-MM-DD), puts that
 * form in the row's arena. A new column type gets a case in ncc_pass_classify, its
 * expected form in expect_of below, and a message here for each new verdict.
 *
 * The value is the one the rules left: trimmed by the reader, upper-cased in place when
 * the column says so.
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

/* The verdicts of the money, int, date, GTIN, technology and stage rules. */
static void report_value(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s,
                         size_t len, ncc_field_verdict fv, const ncc_field_detail *d)
{
    char q[96];
    ncc_quote_value(s, len, q, sizeof q);
    switch (fv) {
    case NCC_FIELD_NOT_NUMBER:
        ncc_pass_report(p, NCC_E_NUMBER, p->line, c->name, "%s %s is not a number: expected %s",
                        c->name, q, expect_of(c));
        break;
    case NCC_FIELD_NEGATIVE:
        ncc_pass_report(p, NCC_E_NEGATIVE, p->line, c->name,
                        "%s %s is negative: it must be %lld or more", c->name, q, c->min_value);
        break;
    case NCC_FIELD_NOT_WHOLE:
        ncc_pass_report(p, NCC_E_NUMBER, p->line, c->name,
                        "%s %s is not a whole number: expected %s", c->name, q, expect_of(c));
        break;
    case NCC_FIELD_TOO_SMALL:
        ncc_pass_report(p, v->i < 0 ? NCC_E_NEGATIVE : NCC_E_NUMBER, p->line, c->name,
                        "%s %s is too small: it must be %lld or more", c->name, q, c->min_value);
        break;
    case NCC_FIELD_NOT_DATE:
        ncc_pass_report(p, NCC_E_DATE, p->line, c->name,
                        "%s %s is not a valid date: expected YYYY-MM-DD or DD/MM/YYYY", c->name, q);
        break;
    case NCC_FIELD_NOT_MONTH:
        ncc_pass_report(p, NCC_E_DATE, p->line, c->name,
                        "%s %s is not a valid month: expected YYYY-MM such as 2023-04", c->name, q);
        break;
    case NCC_FIELD_GTIN_FORMAT:
        ncc_pass_report(p, NCC_E_CODE, p->line, c->name,
                        "%s %s is not a GTIN: expected 8, 12, 13 or 14 digits", c->name, q);
        break;
    case NCC_FIELD_CHECK_DIGIT:
        ncc_pass_report(p, NCC_E_CHECK_DIGIT, p->line, c->name,
                        "%s %s has a wrong GS1 check digit: check the number was copied whole",
                        c->name, q);
        break;
    case NCC_FIELD_UNKNOWN_TECHNOLOGY:
        ncc_pass_report(p, NCC_E_UNKNOWN_TECHNOLOGY, p->line, c->name,
                        "%s %s is not in the technology reference: use a NICE id such as MTG58 "
                        "(superseded ids are accepted when listed as aliases)",
                        c->name, q);
        break;
    case NCC_FIELD_STAGE_CONTRADICTS:
        ncc_pass_report(p, c->format_code, p->line, c->name,
                        "%s %s contradicts itself: stage %d is %s, not %s; give the number, the "
                        "name or both of one stage",
                        c->name, q, d->a, ncc_qart_stage_name(d->a), ncc_qart_stage_name(d->b));
        break;
    default:
        break;
    }
}

/* Money accepted rounded: the rounded value in the arena (kept as it was when the arena
 * is full), and W_ROUNDED. */
static void report_rounded(ncc_pass *p, const ncc_column *c, ncc_value *v, const char *s,
                           size_t len)
{
    char buf[NCC_MONEY_BUFSIZE], q[96];
    size_t n = ncc_money_format(v->m, buf, sizeof buf);
    const char *d = ncc_pass_arena_put(p, buf, n);
    ncc_quote_value(s, len, q, sizeof q);
    ncc_pass_report(p, NCC_W_ROUNDED, p->line, c->name,
                    "%s %s has more than 4 decimal places: rounded to %s", c->name, q, buf);
    if (d)
        ncc_value_set(v, d, n);
}

/* A date accepted in another form than YYYY-MM-DD: its ISO form in the arena. */
static void put_iso_date(ncc_pass *p, ncc_value *v, const ncc_field_detail *d)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%04d-%02d-%02d", d->a, d->b, d->c);
    const char *a = ncc_pass_arena_put(p, buf, (size_t)n);
    if (a)
        ncc_value_set(v, a, (size_t)n);
}

void ncc_pass_report_field(ncc_pass *p, int ci, const char *s, size_t len, ncc_field_verdict fv,
                           const ncc_field_detail *d)
{
    const ncc_column *c = &p->schema->cols[ci];
    ncc_value *v = &p->v[ci];
    char q[96];
    switch (fv) {
    case NCC_FIELD_OK:
        break;
    case NCC_FIELD_REQUIRED:
        p->bad[ci] = true;
        ncc_pass_report(p, NCC_E_REQUIRED, p->line, c->name,
                        "%s is empty: a value is required (%s)", c->name, expect_of(c));
        break;
    case NCC_FIELD_PII:
        p->bad[ci] = true;
        ncc_pass_report(p, NCC_E_PII_VALUE, p->line, c->name,
                        "%s holds what looks like an NHS number (value withheld): send the "
                        "pseudonymised local record id, never a patient identifier",
                        c->name);
        break;
    case NCC_FIELD_TOO_LONG:
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, NCC_E_TOO_LONG, p->line, c->name,
                        "%s %s has %zu characters: at most %d allowed (%s)", c->name, q,
                        ncc_utf8_length(s, len), c->max_len, expect_of(c));
        break;
    case NCC_FIELD_NUL:
        ncc_pass_report(p, c->format_code, p->line, c->name, "%s holds a NUL byte: remove it",
                        c->name);
        break;
    case NCC_FIELD_INVALID:
        report_invalid(p, c, c->format_code, s, len);
        break;
    case NCC_FIELD_INVALID_CODE:
        report_invalid(p, c, NCC_E_CODE, s, len);
        break;
    case NCC_FIELD_NOT_LISTED: {
        char vals[200];
        list_values(c, vals, sizeof vals);
        ncc_quote_value(s, len, q, sizeof q);
        ncc_pass_report(p, c->format_code, p->line, c->name, "%s %s is not one of %s", c->name,
                        q, vals);
        break;
    }
    case NCC_FIELD_ROUNDED:
        report_rounded(p, c, v, s, len);
        break;
    case NCC_FIELD_DATE_FORM:
        put_iso_date(p, v, d);
        break;
    default:
        report_value(p, c, v, s, len, fv, d);
        break;
    }
}
