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
 *   check.c       the full check of a field the fast path refused: one helper per
 *                 column type, the messages
 *   crossrules.c  the schemas' named cross-field rules (one function per kind)
 *   groups.c      the results of the per-group totals and MTFM aggregates (the
 *                 sums themselves, per valid row: ncc_pass_aggregate, below)
 *   issues.c      messages: formatting, quoting values, recording issues
 *
 * Speed: everything done per field, per key byte or per valid row is inlined into
 * the row loop of validate.c: the fast path of the field checks and the sums of the
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

/* The full check of field ci (value s[0..len), bound and not absent) the fast path
 * refused: reports what is wrong (p->bad[ci] set for E_REQUIRED and E_PII_VALUE; the
 * caller sets it for the rest) and sets p->v[ci]. */
void ncc_pass_check_field(ncc_pass *p, int ci, char *s, size_t len);

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

/* ---- the fast path of the field checks (the full check: check.c) ----
 *
 * Both paths accept exactly the same values with the same canonical form: a change of
 * a rule is made in both, and a new column type gets a case in each. */

/* Whether the NUL-terminated value equals s[0..len) (which may hold NUL bytes). */
static inline bool ncc_pass_enum_is(const char *value, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && value[i] && value[i] == s[i])
        i++;
    return i == len && !value[len];
}

/*
 * The common case of ncc_pass_check_field (check.c), inlined in the row loop: a value
 * of a frequent type that passes every check. Then it sets what ncc_pass_check_field
 * would set and returns true; else false, having changed nothing but the case of s
 * (upper-cased as ncc_pass_check_field does first anyway), and ncc_pass_check_field
 * decides and reports.
 */
static inline bool ncc_pass_check_field_fast(const ncc_pass *p, const ncc_column *c, ncc_value *v,
                                             char *s, size_t len)
{
    if (len == 0)
        return !c->required; /* v->s is NULL already */
    bool ascii = false, valid = false;
    if (c->type == NCC_TYPE_TEXT || c->type == NCC_TYPE_CODE) {
        if (c->max_len && len > (size_t)c->max_len)
            return false;
        valid = c->upper ? ncc_charset_scan_upcase(c->charset, s, len, &ascii)
                         : ncc_charset_scan(c->charset, s, len, &ascii);
        if (!valid || (c->charset == NCC_CHARSET_ANY && memchr(s, '\0', len)))
            return false;
    } else if (c->upper) {
        ncc_upcase_ascii(s, len);
    }
    if ((c->pii && ncc_nhs_number_like(s, len)) ||
        (c->pii_scan && len >= 10 && ncc_contains_nhs_number(s, len)))
        return false;
    switch (c->type) {
    case NCC_TYPE_TEXT:
    case NCC_TYPE_CODE:
        if (len < 4 * (size_t)c->min_len &&
            (ascii ? len : ncc_utf8_length(s, len)) < (size_t)c->min_len)
            return false;
        break;
    case NCC_TYPE_ODS:
        if (!ncc_ods_valid(s, len))
            return false;
        break;
    case NCC_TYPE_FIN_YEAR: {
        int y;
        if (ncc_fin_year_parse(s, len, &y) != NCC_PARSE_OK)
            return false;
        break;
    }
    case NCC_TYPE_ENUM: {
        int k = 0;
        while (k < c->nvalues && !ncc_pass_enum_is(c->values[k], s, len))
            k++;
        if (k == c->nvalues)
            return false;
        break;
    }
    case NCC_TYPE_MONEY:
        if (ncc_money_parse(s, len, &v->m) != NCC_PARSE_OK ||
            (c->has_min_value && v->m < (ncc_money)c->min_value * NCC_MONEY_SCALE))
            return false;
        break;
    case NCC_TYPE_INT:
        if (ncc_int_parse(s, len, &v->i) != NCC_PARSE_OK ||
            (c->has_min_value && v->i < c->min_value))
            return false;
        break;
    case NCC_TYPE_OPCS: {
        char buf[8];
        size_t n;
        if (!ncc_opcs_normalise(s, len, buf, &n))
            return false;
        if (n != len) {
            memcpy(s, buf, n); /* the dotless form is never longer */
            s[n] = '\0';
            len = n;
        }
        break;
    }
    case NCC_TYPE_DATE: {
        int y, m, d;
        if (ncc_date_parse(s, len, &y, &m, &d) != NCC_PARSE_OK || len != 10 || s[4] != '-')
            return false; /* or written in another form: the full check puts the ISO one */
        v->i = (int64_t)y * 100 + m;
        break;
    }
    case NCC_TYPE_PERIOD: {
        int y, m;
        if (ncc_period_parse(s, len, &y, &m) != NCC_PARSE_OK)
            return false;
        v->i = (int64_t)y * 100 + m;
        break;
    }
    case NCC_TYPE_GTIN:
        if (ncc_gtin_check(s, len) != NCC_GTIN_OK)
            return false;
        break;
    case NCC_TYPE_BOOL: {
        bool b;
        if (ncc_bool_parse(s, len, &b) != NCC_PARSE_OK)
            return false;
        v->i = b;
        ncc_value_set(v, b ? "t" : "f", 1);
        return true;
    }
    case NCC_TYPE_TECHNOLOGY: {
        const char *t = ncc_refdata_technology(p->cfg->ref, s, len);
        if (t) {
            ncc_value_set(v, t, strlen(t));
            return true;
        }
        if (!(p->schema->rules & NCC_RULE_MTFM_ATTRIBUTION))
            return false;
        break; /* cost lines decide in the MTFM rule */
    }
    default:
        return false; /* types without a fast path (quarter, stage): the full check */
    }
    ncc_value_set(v, s, len);
    return true;
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
        if (f < 0 ||
            ncc_pass_check_field_fast(p, &s->cols[c], &p->v[c], rec->field[f], rec->len[f]))
            continue;
        int before = p->row_errors;
        ncc_pass_check_field(p, c, rec->field[f], rec->len[f]);
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
