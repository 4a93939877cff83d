/*
 * validate_int.h - what the files of the validation pass share; private to
 * etl/lib/rules (nothing outside the rules layer includes it).
 *
 * One pass (validate.h: ncc_validate_file) is split by concern:
 *
 *   validate.c    the pass: open the source, read the header, the row loop,
 *                 finish the result; per row (process_row) the field checks,
 *                 the rules, the duplicate-key check (key fingerprints), the groups
 *   header.c      the header bound to a schema, the choice of kind
 *   check.c       the messages of the field checks: a verdict of the rules (below)
 *                 other than OK turned into the contract's code and message
 *   crossrules.c  the schemas' named cross-field rules (one function per kind)
 *   groups.c      the results of the per-group totals and MTFM aggregates (the
 *                 sums themselves, per valid row: ncc_pass_aggregate, below)
 *   issues.c      messages: formatting, quoting values, recording issues
 *
 * The rules of each column type are written once, here (ncc_rule_<type>, dispatched
 * by ncc_pass_classify): one path decides every value, and check.c only words what
 * it decided.
 *
 * Speed: everything done per field, per key byte or per valid row is inlined into
 * the row loop of validate.c: the rules of the column types and the sums of the
 * groups are static inline functions at the end of this file, the key fingerprints
 * are in validate.c. The one call per row into another file is the kind's rules
 * (crossrules.c: about 0.4 % of the instructions of a cost row); every other call
 * between these files is for a problem, a header or the end of the file.
 */
#ifndef NCC_VALIDATE_INT_H
#define NCC_VALIDATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reading/csvread.h"
#include "reading/source.h"
#include "rules/keyset.h"
#include "rules/validate.h"
#include "shared/strmap.h"

#define NCC_PASS_ARENA_SIZE 4096 /* derived and reformatted values of one row */
#define NCC_PASS_MSG_SIZE 512    /* one message, cut (whole characters) beyond */
#define NCC_PASS_GROUP_KEY 128   /* "fin_year|org|feed or technology", NUL included */

/* The accumulator of one group of the totals or MTFM maps (groups.c). */
typedef struct ncc_pass_acc {
    ncc_money amount;
    long long rows;
    long long units;
} ncc_pass_acc;

/* Indexes of the columns the cross-field rules use (-1 when the kind has none),
 * resolved once per file by ncc_pass_bind_rules (crossrules.c). */
typedef struct ncc_rule_cols {
    int resource, tech, opcs, count;                               /* cost */
    int npc, gtin, credit, qty, value, cust, org, units, fy, date; /* nhssc */
    int period;                                                    /* supplier */
    int site, hin, hin_key;                                        /* qart */
} ncc_rule_cols;

/* The state of one pass over one file. Borrowed: cfg, sink, res (filled), schema. */
typedef struct ncc_pass {
    const ncc_validate_config *cfg;
    const ncc_sink *sink;
    ncc_file_result *res;
    const ncc_schema *schema; /* NULL until the header is bound */
    int *bind;                /* schema column -> record field, -1 absent */
    ncc_value *v;             /* canonical values of the current row */
    bool *bad;                /* column already has an error in this row */
    char *arena;              /* NCC_PASS_ARENA_SIZE bytes, reset per row */
    size_t arena_used;
    long line;
    int row_errors; /* row errors reported for the current row */
    ncc_rule_cols rc;
    ncc_keyset keys;
    uint64_t size_hint; /* ncc_source_size_hint: bytes of text expected, 0 unknown */
    uint64_t text_seen; /* ncc_source_text_bytes when last looked at */
    bool sizing;        /* the set is still sized for the sample only */
    ncc_strmap *totals; /* "fin_year|org|feed" -> ncc_pass_acc */
    ncc_strmap *mtfm;   /* "fin_year|org|technology" -> ncc_pass_acc */
    /* the last group of each map, and its accumulator (valid until the next insertion
     * into that map: strmap.h), so that a run of rows of one group skips the lookup */
    char last_tot_key[NCC_PASS_GROUP_KEY];
    size_t last_tot_len;
    ncc_pass_acc *last_tot;
    char last_mt_key[NCC_PASS_GROUP_KEY];
    size_t last_mt_len;
    ncc_pass_acc *last_mt;
    size_t mtfm_code_len;
    int errors_kept;
    bool fatal; /* a file error stopped the pass */
} ncc_pass;

/* ---- issues.c ---- */

/* Format and record an issue of the pass (kept in the result, given to the sink);
 * a row error counts in p->row_errors, a file error sets p->fatal. */
void ncc_pass_report(ncc_pass *p, ncc_code code, long line, const char *column, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/* ---- header.c ---- */

/* Bind the header record: the kind chosen, p->schema, p->res->schema and p->bind set.
 * Returns false when a file error (reported) stops the file. */
bool ncc_pass_bind_header(ncc_pass *p, const ncc_csv_record *hdr);

/* ---- check.c ---- */

/* The verdict of the rules of a column type on one value (the rules:
 * ncc_pass_classify, below). */
typedef enum ncc_field_verdict {
    NCC_FIELD_OK = 0,            /* passes: the canonical value is set */
    NCC_FIELD_REQUIRED,          /* empty, and required (E_REQUIRED) */
    NCC_FIELD_PII,               /* looks like, or holds, an NHS number (E_PII_VALUE) */
    NCC_FIELD_TOO_LONG,          /* text: more characters than max_len (E_TOO_LONG) */
    NCC_FIELD_NUL,               /* text: a NUL byte (format code) */
    NCC_FIELD_INVALID,           /* not valid: charset, min_len, ODS, financial year,
                                    quarter, stage (format code) */
    NCC_FIELD_INVALID_CODE,      /* not valid: OPCS-4, boolean (E_CODE) */
    NCC_FIELD_NOT_LISTED,        /* enum: not one of the values (format code) */
    NCC_FIELD_NOT_NUMBER,        /* money: not a number (E_NUMBER) */
    NCC_FIELD_NEGATIVE,          /* money: below the column's minimum (E_NEGATIVE) */
    NCC_FIELD_ROUNDED,           /* money: accepted rounded (W_ROUNDED); v->m is rounded */
    NCC_FIELD_NOT_WHOLE,         /* int: not a whole number (E_NUMBER) */
    NCC_FIELD_TOO_SMALL,         /* int: below the minimum (E_NEGATIVE or E_NUMBER); v->i */
    NCC_FIELD_NOT_DATE,          /* date: not a date (E_DATE) */
    NCC_FIELD_DATE_FORM,         /* date: accepted, not written YYYY-MM-DD; detail a, b, c
                                    = year, month, day */
    NCC_FIELD_NOT_MONTH,         /* period: not a month (E_DATE) */
    NCC_FIELD_GTIN_FORMAT,       /* GTIN: not 8, 12, 13 or 14 digits (E_CODE) */
    NCC_FIELD_CHECK_DIGIT,       /* GTIN: wrong GS1 check digit (E_CHECK_DIGIT) */
    NCC_FIELD_UNKNOWN_TECHNOLOGY,/* not in the reference (E_UNKNOWN_TECHNOLOGY) */
    NCC_FIELD_STAGE_CONTRADICTS  /* stage: number and name differ; detail a = the number,
                                    b = the name's stage (format code) */
} ncc_field_verdict;

/* What a verdict's message (or accepted form) needs beyond the value. */
typedef struct ncc_field_detail {
    int a, b, c;
} ncc_field_detail;

/* The verdict fv (not NCC_FIELD_OK) of ncc_pass_classify (below) on field ci, value
 * s[0..len) as the rules left it: reported with the contract's code and message
 * (p->bad[ci] set for E_REQUIRED and E_PII_VALUE; the caller sets it for the rest); a
 * value accepted in another form (rounded money, a date not written YYYY-MM-DD) gets
 * that form in the arena, in p->v[ci]. */
void ncc_pass_report_field(ncc_pass *p, int ci, const char *s, size_t len, ncc_field_verdict fv,
                           const ncc_field_detail *d);

/* ---- crossrules.c ---- */

/* Resolve p->rc for p->schema (once per file, after the header is bound). */
void ncc_pass_bind_rules(ncc_pass *p);

/* The schema's named cross-field rules over the checked row (p->schema->rules != 0). */
void ncc_pass_apply_rules(ncc_pass *p);

/* ---- groups.c ---- */

/* The groups into p->res->totals and p->res->mtfm, sorted. */
void ncc_pass_collect_groups(ncc_pass *p);

/* ---- small helpers shared by the files above ---- */

/* Copy s[0..len) and a NUL into the row's arena; NULL when the arena is full (the
 * caller then keeps the value it had). Valid until the next row. */
static inline const char *ncc_pass_arena_put(ncc_pass *p, const char *s, size_t len)
{
    if (p->arena_used + len + 1 > NCC_PASS_ARENA_SIZE)
        return NULL;
    char *d = p->arena + p->arena_used;
    memcpy(d, s, len);
    d[len] = '\0';
    p->arena_used += len + 1;
    return d;
}

static inline void ncc_value_set(ncc_value *v, const char *s, size_t len)
{
    v->s = s;
    v->len = (uint32_t)len;
}

/* ---- the rules of the column types (their messages: check.c) ----
 *
 * Each column type's rules are written once, here, as static inline functions: what
 * they decide is a verdict, NCC_FIELD_OK with the canonical value set, or the rule the
 * value breaks (with what its message needs, in ncc_field_detail). The row loop calls
 * ncc_pass_classify for every field, inlined; a verdict other than OK goes to
 * ncc_pass_report_field (check.c), which only turns it into the contract's code and
 * message (and, for the two verdicts of a value accepted in another form, puts that
 * form in the row's arena). A new column type gets a case in ncc_pass_classify and, when
 * it has new verdicts, their messages in check.c. */

/* Whether the NUL-terminated value equals s[0..len) (which may hold NUL bytes). */
static inline bool ncc_pass_enum_is(const char *value, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && value[i] && value[i] == s[i])
        i++;
    return i == len && !value[len];
}

/* Whether the value is (c->pii) or holds (c->pii_scan) what looks like an NHS number:
 * checked before any rule of the type, whatever the type. */
static inline bool ncc_rule_pii(const ncc_column *c, const char *s, size_t len)
{
    return (c->pii && ncc_nhs_number_like(s, len)) ||
           (c->pii_scan && len >= 10 && ncc_contains_nhs_number(s, len));
}

/* The verdict on a value that looks like an NHS number: never kept (v->s NULL). */
static inline ncc_field_verdict ncc_rule_withhold(ncc_value *v)
{
    v->s = NULL;
    return NCC_FIELD_PII;
}

/* Text and codes; valid and ascii as the charset scan gave them. */
static inline ncc_field_verdict ncc_rule_text(const ncc_column *c, const char *s, size_t len,
                                              bool ascii, bool valid)
{
    if (c->max_len && len > (size_t)c->max_len &&
        (ascii || ncc_utf8_length(s, len) > (size_t)c->max_len))
        return NCC_FIELD_TOO_LONG;
    /* a NUL byte is outside every charset but "any": looked for only then; never valid
     * text, and PostgreSQL refuses it: the row is rejected, not the load */
    if ((!valid || c->charset == NCC_CHARSET_ANY) && memchr(s, '\0', len))
        return NCC_FIELD_NUL;
    /* a UTF-8 character is at most 4 bytes: count characters only when it can matter */
    if (!valid || (len < 4 * (size_t)c->min_len &&
                   (ascii ? len : ncc_utf8_length(s, len)) < (size_t)c->min_len))
        return NCC_FIELD_INVALID;
    return NCC_FIELD_OK;
}

static inline ncc_field_verdict ncc_rule_enum(const ncc_column *c, const char *s, size_t len)
{
    for (int k = 0; k < c->nvalues; k++)
        if (ncc_pass_enum_is(c->values[k], s, len))
            return NCC_FIELD_OK;
    return NCC_FIELD_NOT_LISTED;
}

/* Money: v->m; rounded beyond 4 decimal places (the rounded text: check.c). */
static inline ncc_field_verdict ncc_rule_money(const ncc_column *c, ncc_value *v, const char *s,
                                               size_t len)
{
    ncc_parse_result pr = ncc_money_parse(s, len, &v->m);
    if (pr == NCC_PARSE_BAD)
        return NCC_FIELD_NOT_NUMBER;
    if (c->has_min_value && v->m < (ncc_money)c->min_value * NCC_MONEY_SCALE)
        return NCC_FIELD_NEGATIVE;
    return pr == NCC_PARSE_ROUNDED ? NCC_FIELD_ROUNDED : NCC_FIELD_OK;
}

static inline ncc_field_verdict ncc_rule_int(const ncc_column *c, ncc_value *v, const char *s,
                                             size_t len)
{
    if (ncc_int_parse(s, len, &v->i) != NCC_PARSE_OK)
        return NCC_FIELD_NOT_WHOLE;
    if (c->has_min_value && v->i < c->min_value)
        return NCC_FIELD_TOO_SMALL;
    return NCC_FIELD_OK;
}

/* A date: v->i is yyyymm (for the rules); a date not written YYYY-MM-DD is accepted in
 * its ISO form (check.c puts it in the arena). */
static inline ncc_field_verdict ncc_rule_date(ncc_value *v, const char *s, size_t len,
                                              ncc_field_detail *d)
{
    int y, m, day;
    if (ncc_date_parse(s, len, &y, &m, &day) != NCC_PARSE_OK)
        return NCC_FIELD_NOT_DATE;
    v->i = (int64_t)y * 100 + m;
    if (len == 10 && s[4] == '-')
        return NCC_FIELD_OK;
    d->a = y;
    d->b = m;
    d->c = day;
    return NCC_FIELD_DATE_FORM;
}

/* A month YYYY-MM: v->i is yyyymm. */
static inline ncc_field_verdict ncc_rule_period(ncc_value *v, const char *s, size_t len)
{
    int y, m;
    if (ncc_period_parse(s, len, &y, &m) != NCC_PARSE_OK)
        return NCC_FIELD_NOT_MONTH;
    v->i = (int64_t)y * 100 + m;
    return NCC_FIELD_OK;
}

static inline ncc_field_verdict ncc_rule_gtin(const char *s, size_t len)
{
    switch (ncc_gtin_check(s, len)) {
    case NCC_GTIN_FORMAT:
        return NCC_FIELD_GTIN_FORMAT;
    case NCC_GTIN_CHECK_DIGIT:
        return NCC_FIELD_CHECK_DIGIT;
    default:
        return NCC_FIELD_OK;
    }
}

/* OPCS-4: stored without the dot, rewritten in place (never longer). */
static inline ncc_field_verdict ncc_rule_opcs(ncc_value *v, char *s, size_t len)
{
    char buf[8];
    size_t n;
    if (!ncc_opcs_normalise(s, len, buf, &n))
        return NCC_FIELD_INVALID_CODE;
    if (n != len) {
        memcpy(s, buf, n); /* the dotless form is never longer */
        s[n] = '\0';
        ncc_value_set(v, s, n);
    }
    return NCC_FIELD_OK;
}

/* A boolean: v->i is 0 or 1, the value "t" or "f" (PostgreSQL's text form). */
static inline ncc_field_verdict ncc_rule_bool(ncc_value *v, const char *s, size_t len)
{
    bool b;
    if (ncc_bool_parse(s, len, &b) != NCC_PARSE_OK)
        return NCC_FIELD_INVALID_CODE;
    v->i = b;
    ncc_value_set(v, b ? "t" : "f", 1);
    return NCC_FIELD_OK;
}

/* A technology id: the canonical id of the reference (aliases resolved). Cost lines
 * decide in the MTFM rule (crossrules.c), where the id may be ignored. */
static inline ncc_field_verdict ncc_rule_technology(const ncc_pass *p, ncc_value *v,
                                                    const char *s, size_t len)
{
    const char *t = ncc_refdata_technology(p->cfg->ref, s, len);
    if (t)
        ncc_value_set(v, t, strlen(t));
    else if (!(p->schema->rules & NCC_RULE_MTFM_ATTRIBUTION))
        return NCC_FIELD_UNKNOWN_TECHNOLOGY;
    return NCC_FIELD_OK;
}

/* One digit, written over the value in place (never longer). */
static inline void ncc_rule_put_digit(ncc_value *v, char *s, size_t len, int digit)
{
    s[0] = (char)('0' + digit);
    if (len > 1)
        s[1] = '\0';
    v->i = digit;
    ncc_value_set(v, s, 1);
}

/* A quarter of the financial year: stored 1-4 (v->i). */
static inline ncc_field_verdict ncc_rule_quarter(ncc_value *v, char *s, size_t len)
{
    int q;
    if (ncc_quarter_parse(s, len, &q) != NCC_PARSE_OK)
        return NCC_FIELD_INVALID;
    ncc_rule_put_digit(v, s, len, q);
    return NCC_FIELD_OK;
}

/* A QART stage: stored 0-5 (v->i); a number contradicting its name says both. */
static inline ncc_field_verdict ncc_rule_stage(ncc_value *v, char *s, size_t len,
                                               ncc_field_detail *d)
{
    int stage = -1, named = -1;
    ncc_stage_result r = ncc_qart_stage_parse(s, len, &stage, &named);
    if (r == NCC_STAGE_OK) {
        ncc_rule_put_digit(v, s, len, stage);
        return NCC_FIELD_OK;
    }
    if (r == NCC_STAGE_BAD)
        return NCC_FIELD_INVALID;
    d->a = stage;
    d->b = named;
    return NCC_FIELD_STAGE_CONTRADICTS;
}

/*
 * The rules of column c over the value s[0..len) (trimmed by the reader, bound, *v
 * zeroed): its verdict, and its canonical value in *v: s itself (upper-cased in place
 * first when the column says so), or another form (rewritten shorter in place, or from
 * the reference). Any other change of the value is made in the arena (check.c): the
 * duplicate-key check (validate.c key_is_raw) relies on that to reuse the key
 * fingerprint of the raw fields. On PII, v->s is NULL: the value is never kept.
 */
static inline ncc_field_verdict ncc_pass_classify(const ncc_pass *p, const ncc_column *c,
                                                  ncc_value *v, char *s, size_t len,
                                                  ncc_field_detail *d)
{
    if (len == 0)
        return c->required ? NCC_FIELD_REQUIRED : NCC_FIELD_OK; /* v->s is NULL already */
    ncc_value_set(v, s, len);
    if (c->type == NCC_TYPE_TEXT || c->type == NCC_TYPE_CODE) {
        /* upper-cased and checked against their charset in one pass */
        bool ascii = false;
        bool valid = c->upper ? ncc_charset_scan_upcase(c->charset, s, len, &ascii)
                              : ncc_charset_scan(c->charset, s, len, &ascii);
        if (ncc_rule_pii(c, s, len))
            return ncc_rule_withhold(v);
        return ncc_rule_text(c, s, len, ascii, valid);
    }
    if (c->upper)
        ncc_upcase_ascii(s, len);
    if (ncc_rule_pii(c, s, len))
        return ncc_rule_withhold(v);
    switch (c->type) {
    case NCC_TYPE_TEXT:
    case NCC_TYPE_CODE:
        break; /* above */
    case NCC_TYPE_ODS:
        return ncc_ods_valid(s, len) ? NCC_FIELD_OK : NCC_FIELD_INVALID;
    case NCC_TYPE_FIN_YEAR: {
        int y;
        return ncc_fin_year_parse(s, len, &y) == NCC_PARSE_OK ? NCC_FIELD_OK : NCC_FIELD_INVALID;
    }
    case NCC_TYPE_ENUM:
        return ncc_rule_enum(c, s, len);
    case NCC_TYPE_MONEY:
        return ncc_rule_money(c, v, s, len);
    case NCC_TYPE_INT:
        return ncc_rule_int(c, v, s, len);
    case NCC_TYPE_DATE:
        return ncc_rule_date(v, s, len, d);
    case NCC_TYPE_PERIOD:
        return ncc_rule_period(v, s, len);
    case NCC_TYPE_GTIN:
        return ncc_rule_gtin(s, len);
    case NCC_TYPE_OPCS:
        return ncc_rule_opcs(v, s, len);
    case NCC_TYPE_BOOL:
        return ncc_rule_bool(v, s, len);
    case NCC_TYPE_TECHNOLOGY:
        return ncc_rule_technology(p, v, s, len);
    case NCC_TYPE_QUARTER:
        return ncc_rule_quarter(v, s, len);
    case NCC_TYPE_STAGE:
        return ncc_rule_stage(v, s, len, d);
    }
    return NCC_FIELD_OK;
}

/* Check every bound field of rec and set p->v and p->bad (both reset first); values
 * are upper-cased, or rewritten shorter, in place where the schema says so. */
static inline void ncc_pass_check_fields(ncc_pass *p, ncc_csv_record *rec)
{
    const ncc_schema *s = p->schema;
    memset(p->v, 0, (size_t)s->ncols * sizeof *p->v);
    memset(p->bad, 0, (size_t)s->ncols * sizeof *p->bad);
    for (int c = 0; c < s->ncols; c++) {
        int f = p->bind[c];
        if (f < 0)
            continue;
        ncc_field_detail d;
        ncc_field_verdict fv =
            ncc_pass_classify(p, &s->cols[c], &p->v[c], rec->field[f], rec->len[f], &d);
        if (fv == NCC_FIELD_OK)
            continue;
        int before = p->row_errors;
        ncc_pass_report_field(p, c, rec->field[f], rec->len[f], fv, &d);
        if (p->row_errors != before)
            p->bad[c] = true;
    }
}

/* ---- the groups of a valid row (their results: groups.c) ---- */

static inline bool ncc_pass_bytes_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Whether key[0..klen) is "a|b|c", compared in place: the group of the previous row
 * (short values: byte loops rather than three copies and a memcmp call). */
static inline bool ncc_pass_group_is(const char *key, size_t klen, const char *a, size_t alen,
                                     const char *b, size_t blen, const char *c, size_t clen)
{
    return klen == alen + blen + clen + 2 && ncc_pass_bytes_eq(key, a, alen) && key[alen] == '|' &&
           ncc_pass_bytes_eq(key + alen + 1, b, blen) && key[alen + 1 + blen] == '|' &&
           ncc_pass_bytes_eq(key + alen + blen + 2, c, clen);
}

/* "a|b|c" into key (cap NCC_PASS_GROUP_KEY); false when it does not fit. */
static inline bool ncc_pass_group_key(char *key, size_t *klen, const char *a, size_t alen,
                                      const char *b, size_t blen, const char *c, size_t clen)
{
    if (alen + blen + clen + 2 >= NCC_PASS_GROUP_KEY)
        return false;
    char *k = key;
    memcpy(k, a, alen);
    k += alen;
    *k++ = '|';
    memcpy(k, b, blen);
    k += blen;
    *k++ = '|';
    memcpy(k, c, clen);
    k += clen;
    *klen = (size_t)(k - key);
    return true;
}

/* The MTFM group of the row (NULL in *mt when the row has no technology, or the key is
 * too long) and its units with the row's added (*units); nothing is changed in the
 * group yet. 0, -1 when the map is full, -2 when the units overflow. */
static inline int ncc_pass_find_mtfm_group(ncc_pass *p, const ncc_value *fy, const ncc_value *org,
                                           ncc_pass_acc **mt, int64_t *units)
{
    const ncc_schema *s = p->schema;
    char key[NCC_PASS_GROUP_KEY];
    size_t klen;
    *mt = NULL;
    if (s->mtfm_tech < 0 || !p->v[s->mtfm_tech].s)
        return 0;
    const ncc_value *tech = &p->v[s->mtfm_tech];
    int64_t add = s->mtfm_units >= 0 ? p->v[s->mtfm_units].i : 0;
    if (p->last_mt && ncc_pass_group_is(p->last_mt_key, p->last_mt_len, fy->s, fy->len, org->s,
                                        org->len, tech->s, tech->len)) {
        *mt = p->last_mt; /* the group of the previous MTFM row */
        return __builtin_add_overflow((int64_t)(*mt)->units, add, units) ? -2 : 0;
    }
    if (!ncc_pass_group_key(key, &klen, fy->s, fy->len, org->s, org->len, tech->s, tech->len))
        return 0;
    ncc_pass_acc *a = ncc_strmap_get(p->mtfm, key, klen);
    if (__builtin_add_overflow(a ? (int64_t)a->units : 0, add, units))
        return -2;
    if (!a && !(a = ncc_strmap_upsert(p->mtfm, key, klen, NULL))) {
        p->last_mt = NULL; /* the map may have grown before failing */
        return -1;
    }
    if (a != p->last_mt) { /* also after an insertion, which may move the others */
        memcpy(p->last_mt_key, key, klen);
        p->last_mt_len = klen;
        p->last_mt = a;
    }
    *mt = a;
    return 0;
}

/* The row's amount into its (fin_year, org, feed) total. 0, or -1 when the map is
 * full. */
static inline int ncc_pass_add_to_total(ncc_pass *p, const ncc_value *fy, const ncc_value *org)
{
    const ncc_schema *s = p->schema;
    const char *feed = s->feed_literal;
    size_t feedlen = feed ? strlen(feed) : 0;
    if (s->tot_feed >= 0) {
        feed = p->v[s->tot_feed].s;
        feedlen = p->v[s->tot_feed].len;
    }
    ncc_pass_acc *t = p->last_tot;
    char key[NCC_PASS_GROUP_KEY];
    size_t klen;
    if (feed && t &&
        ncc_pass_group_is(p->last_tot_key, p->last_tot_len, fy->s, fy->len, org->s, org->len, feed,
                          feedlen)) {
        t->rows++; /* the group of the previous row */
        t->amount += p->v[s->tot_amount].m;
    } else if (feed &&
               ncc_pass_group_key(key, &klen, fy->s, fy->len, org->s, org->len, feed, feedlen)) {
        if (!t || klen != p->last_tot_len || memcmp(key, p->last_tot_key, klen) != 0) {
            /* an insertion may move the other accumulators: only this one is kept */
            if (!(t = ncc_strmap_upsert(p->totals, key, klen, NULL))) {
                p->last_tot = NULL;
                return -1;
            }
            memcpy(p->last_tot_key, key, klen);
            p->last_tot_len = klen;
            p->last_tot = t;
        }
        t->rows++;
        t->amount += p->v[s->tot_amount].m;
    }
    return 0;
}

/* Add the valid row to its groups: 0, -1 when a map is full, -2 when the MTFM units
 * of the group would no longer fit in 64 bits (nothing is added then). */
static inline int ncc_pass_aggregate(ncc_pass *p)
{
    const ncc_schema *s = p->schema;
    if (s->tot_fin_year < 0 || s->tot_org < 0)
        return 0;
    const ncc_value *fy = &p->v[s->tot_fin_year], *org = &p->v[s->tot_org];
    if (!fy->s || !org->s)
        return 0;
    ncc_pass_acc *mt;
    int64_t units = 0;
    int rc = ncc_pass_find_mtfm_group(p, fy, org, &mt, &units);
    if (rc < 0)
        return rc;
    if (s->tot_amount >= 0 && ncc_pass_add_to_total(p, fy, org) < 0)
        return -1;
    if (mt) {
        mt->rows++;
        mt->units = units;
        if (s->mtfm_amount >= 0)
            mt->amount += p->v[s->mtfm_amount].m;
    }
    return 0;
}

#endif
