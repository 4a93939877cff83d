/*
 * validate.c - the validation pass over one file (see validate.h).
 *
 * Per row: the record's fields are upper-cased in place where the schema
 * says so, checked by type, turned into canonical values (pointing into
 * the record or into a per-row arena), then the kind's named rules run,
 * then the duplicate-key check. Messages are only formatted when there is
 * a problem; the happy path does no allocation and no formatting.
 */
#include "rules/validate.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reading/csvread.h"
#include "rules/keyset.h"
#include "reading/source.h"
#include "shared/strmap.h"

#define ARENA_SIZE 4096   /* derived and reformatted values of one row */
#define MSG_SIZE 512
#define DEFAULT_ERRORS_KEPT 1000
#define UNATTRIBUTED "UNATTRIBUTED"

/*
 * The duplicate-key set (keyset.h) is sized from the input before the rows
 * come: ncc_source_size_hint gives the bytes of text to expect, and the rows
 * per byte are measured on the first KEY_SAMPLE_BYTES of the file. Until then
 * the set holds the rows of the sample, counted at KEY_ROW_MIN bytes a row.
 *
 * Why measure rather than divide by a fixed row length D: the set costs 10
 * bytes per expected row, so bytes / D rows keeps within the budget of 16
 * bytes a row only while the rows average under 1.6 D bytes - 77 bytes for
 * D = 48. The generated cost rows average 74 bytes (15.4 bytes of set a row at
 * D = 48: no margin left for longer record ids), the generated NHSSC rows 122
 * (25 bytes a row); and a D short enough never to under-count (the shortest
 * plausible rows: cost 30 bytes - 6+3+2 for the key codes, one character for
 * each other required value, 12 commas, LF -, NHSSC 33, supplier 29, ledger 16)
 * would make it worse. Measured, the estimate is within 0.3 % on the generated
 * files. It can only come out long when the rows after the sample are much
 * longer than those in it (10 bytes per expected row: the cost of an over-count);
 * short, some tables grow (keyset.h: at most 14.3 bytes a row then).
 */
#define KEY_SAMPLE_BYTES ((uint64_t)4 << 20)
#define KEY_ROW_MIN 32
#define KEY_SEED 0x6b6579

static void finish_message(char *msg);

/* ---- the pass ---- */

typedef struct pass {
    const ncc_validate_config *cfg;
    const ncc_sink *sink;
    ncc_file_result *res;
    const ncc_schema *schema;
    int *bind;          /* schema column -> record field, -1 absent */
    ncc_value *v;       /* canonical values of the current row */
    bool *bad;          /* column already has an error in this row */
    char *arena;
    size_t arena_used;
    long line;
    int row_errors;
    ncc_keyset keys;
    uint64_t size_hint;  /* ncc_source_size_hint: bytes of text expected, 0 unknown */
    uint64_t text_seen;  /* ncc_source_text_bytes when last looked at */
    bool sizing;         /* the set is still sized for the sample only */
    ncc_strmap *totals;
    ncc_strmap *mtfm;
    /* the last group of each map, and its accumulator (valid until the next insertion
     * into that map: strmap.h), so that a run of rows of one group skips the lookup */
    char last_tot_key[128];
    size_t last_tot_len;
    struct total_acc *last_tot;
    char last_mt_key[128];
    size_t last_mt_len;
    struct total_acc *last_mt;
    size_t mtfm_code_len;
    int errors_kept;
    bool fatal;         /* a file error stopped the pass */
} pass;

typedef struct total_acc {
    ncc_money amount;
    long long rows;
    long long units;
} total_acc;

static char *xstrdup(const char *s)
{
    char *p = strdup(s ? s : "");
    return p;
}

static void keep(ncc_kept_issue *k, const ncc_issue *is)
{
    k->code = is->code;
    k->line = is->line;
    snprintf(k->column, sizeof k->column, "%s", is->column ? is->column : "");
    k->message = xstrdup(is->message);
}

static void record_issue(ncc_file_result *res, const ncc_sink *sink, int errors_kept,
                         const ncc_issue *is)
{
    res->counts[is->code]++;
    int *ne = &res->nexamples[is->code];
    if (*ne < NCC_EXAMPLES_PER_CODE)
        keep(&res->examples[is->code][(*ne)++], is);
    ncc_level lv = ncc_code_level(is->code);
    if (lv == NCC_LEVEL_FILE) {
        ncc_kept_issue *fe =
            realloc(res->file_errors, (size_t)(res->nfile_errors + 1) * sizeof *fe);
        if (fe) {
            res->file_errors = fe;
            keep(&fe[res->nfile_errors++], is);
        }
    } else {
        ncc_kept_issue **list = lv == NCC_LEVEL_ROW ? &res->errors : &res->warnings;
        int *n = lv == NCC_LEVEL_ROW ? &res->nerrors : &res->nwarnings;
        if (*n < errors_kept && !*list)
            *list = calloc((size_t)errors_kept, sizeof **list);
        if (*n < errors_kept && *list)
            keep(&(*list)[(*n)++], is);
    }
    if (sink && sink->issue)
        sink->issue(sink->ctx, is);
}

static void report(pass *p, ncc_code code, long line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void report(pass *p, ncc_code code, long line, const char *column, const char *fmt, ...)
{
    char msg[MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    finish_message(msg);
    ncc_issue is = {code, line, column, msg};
    record_issue(p->res, p->sink, p->errors_kept, &is);
    ncc_level lv = ncc_code_level(code);
    if (lv == NCC_LEVEL_ROW)
        p->row_errors++;
    else if (lv == NCC_LEVEL_FILE)
        p->fatal = true;
}

void ncc_file_result_add_error(ncc_file_result *res, ncc_code code, const char *column,
                               const char *fmt, ...)
{
    char msg[MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    finish_message(msg);
    ncc_issue is = {code, 0, column, msg};
    record_issue(res, NULL, 0, &is);
}

void ncc_quote_value(const char *s, size_t len, char *out, size_t cap)
{
    static const char withheld[] = "(value withheld: it looks like an NHS number)";
    if (cap < 8) {
        if (cap)
            out[0] = '\0';
        return;
    }
    if (ncc_contains_nhs_number(s, len)) {
        snprintf(out, cap, "%s", withheld);
        return;
    }
    size_t n = 0, chars = 0, i = 0;
    out[n++] = '"';
    while (i < len && chars < 40) {
        unsigned char c = (unsigned char)s[i];
        size_t seq = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4 : 1;
        if (i + seq > len)
            seq = len - i;
        if (n + seq + 5 > cap) /* whole characters only, room for "...", quote, NUL */
            break;
        if (seq == 1)
            out[n++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
        else {
            memcpy(out + n, s + i, seq);
            n += seq;
        }
        i += seq;
        chars++;
    }
    if (i < len) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n++] = '"';
    out[n] = '\0';
    /* cutting a longer run of digits can leave ten that look like an NHS number */
    if (ncc_contains_nhs_number(out, n))
        snprintf(out, cap, "%s", withheld);
}

/*
 * Every message before it is kept: a UTF-8 sequence cut at the end by a
 * truncating snprintf is dropped, and any NHS-number-like digits left in it
 * (a longer run of digits cut to ten) are masked.
 */
static void finish_message(char *msg)
{
    size_t n = strlen(msg), k = n;
    while (k && ((unsigned char)msg[k - 1] & 0xc0) == 0x80)
        k--;
    if (k) {
        unsigned char lead = (unsigned char)msg[k - 1];
        size_t want = lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3
                    : (lead & 0xf8) == 0xf0 ? 4 : 1;
        if (lead >= 0x80 && n - (k - 1) < want) {
            msg[k - 1] = '\0';
            n = k - 1;
        }
    }
    ncc_mask_nhs_numbers(msg, n);
}

static const char *arena_put(pass *p, const char *s, size_t len)
{
    if (p->arena_used + len + 1 > ARENA_SIZE)
        return NULL;
    char *d = p->arena + p->arena_used;
    memcpy(d, s, len);
    d[len] = '\0';
    p->arena_used += len + 1;
    return d;
}

static void set_value(ncc_value *v, const char *s, size_t len)
{
    v->s = s;
    v->len = (uint32_t)len;
}

/*
 * Key fingerprints. A key is the byte string of its upper-cased values, each
 * followed by '\x1f' (so keys are equal exactly when those strings are); the
 * fingerprint is a 64-bit hash of that string, computed as it is read: the values
 * are taken 8 bytes at a time (a shorter tail by two overlapping loads, never
 * outside the value), upper-cased 8 bytes at once and mixed in whole 8-byte
 * words of the string, whatever the lengths of the values. The fingerprints live
 * only in this pass's key set: the hash is this file's own (not ncc_hash64,
 * whose values other code and other processes rely on).
 */
#define KEY_BYTES_MAX 1024 /* longer keys get no duplicate check */

typedef struct fp_stream {
    uint64_t h;    /* the words mixed so far */
    uint64_t acc;  /* the bytes after them, low byte first, zero above `fill` bytes */
    unsigned fill; /* 0..7 */
    size_t len;    /* bytes in all */
} fp_stream;

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

/* One 8-byte word into the state (MurmurHash3's block step). */
static inline uint64_t fp_mix(uint64_t h, uint64_t w)
{
    w *= 0x87c37b91114253d5ULL;
    w = rotl64(w, 31);
    w *= 0x4cf5ad432745937fULL;
    h ^= w;
    h = rotl64(h, 27);
    return h * 5 + 0x52dce729;
}

static inline void fp_begin(fp_stream *st)
{
    st->h = 0x9e3779b97f4a7c15ULL ^ KEY_SEED;
    st->acc = 0;
    st->fill = 0;
    st->len = 0;
}

/* Append n bytes (1..8): the low n bytes of w, whose other bytes are zero. Without
 * branches: the word is mixed in always, and kept only when it is whole. */
static inline __attribute__((always_inline)) void fp_put(fp_stream *st, uint64_t w, unsigned n)
{
    uint64_t word = st->acc | (w << (8 * st->fill));
    uint64_t rest = (w >> (56 - 8 * st->fill)) >> 8; /* the bytes of w after the word */
    uint64_t mixed = fp_mix(st->h, word);
    unsigned total = st->fill + n;
    bool whole = total >= 8;
    st->len += n;
    st->h = whole ? mixed : st->h;
    st->acc = whole ? rest : word;
    st->fill = total & 7;
}

static inline uint64_t fp_end(const fp_stream *st)
{
    uint64_t h = st->h;
    if (st->fill)
        h = fp_mix(h, st->acc); /* zero-padded: the length below tells the zeros apart */
    return ncc_hash_avalanche(h ^ st->len);
}

static void upcase(char *s, size_t len)
{
    ncc_upcase_ascii(s, len);
}

/* Append the upper-cased value s[0..len) and its '\x1f'. */
static inline __attribute__((always_inline)) void fp_put_value(fp_stream *st, const char *s,
                                                              size_t len)
{
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        fp_put(st, ncc_swar_upcase(w), 8);
    }
    uint64_t w = len ? ncc_swar_upcase(ncc_swar_load_tail(s, len)) : 0;
    fp_put(st, w | ((uint64_t)0x1f << (8 * len)), (unsigned)len + 1);
}

/* Key fingerprint over the upper-cased key values; false when a key value is unusable
 * or the key is longer than KEY_BYTES_MAX. */
static bool key_fingerprint(const pass *p, uint64_t *fp)
{
    fp_stream st;
    fp_begin(&st);
    for (int k = 0; k < p->schema->nkey; k++) {
        int ci = p->schema->key[k];
        const ncc_value *v = &p->v[ci];
        if (p->bad[ci])
            return false;
        size_t len = v->s ? v->len : 0;
        if (st.len + len + 1 > KEY_BYTES_MAX)
            return false;
        fp_put_value(&st, v->s, len);
    }
    *fp = fp_end(&st);
    return true;
}

/* What key_fingerprint gives when every key value is its raw field (a key column absent
 * from the header is empty), computed as soon as the record arrives; false when the
 * key is too long (key_fingerprint refuses those too). */
static bool raw_key_fingerprint(const pass *p, const ncc_csv_record *rec, uint64_t *fp)
{
    fp_stream st;
    fp_begin(&st);
    for (int k = 0; k < p->schema->nkey; k++) {
        int f = p->bind[p->schema->key[k]];
        size_t len = f >= 0 ? rec->len[f] : 0;
        if (st.len + len + 1 > KEY_BYTES_MAX)
            return false;
        fp_put_value(&st, f >= 0 ? rec->field[f] : "", len);
    }
    *fp = fp_end(&st);
    return true;
}

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

/* Whether the NUL-terminated value equals s[0..len) (which may hold NUL bytes). */
static inline bool enum_is(const char *value, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && value[i] && value[i] == s[i])
        i++;
    return i == len && !value[len];
}

/* Check one field and set its canonical value. The value is trimmed; it is
 * upper-cased in place first when the column says so. Any other change of the
 * value is either made elsewhere (the arena, reference data) or, in place, changes
 * its length (opcs_procedure): process_row relies on that to reuse the key
 * fingerprint of the raw fields (key_is_raw). */
static void check_field(pass *p, int ci, char *s, size_t len)
{
    const ncc_column *c = &p->schema->cols[ci];
    ncc_value *v = &p->v[ci];
    char q[96];
    if (len == 0) {
        v->s = NULL;
        if (c->required) {
            p->bad[ci] = true;
            report(p, NCC_E_REQUIRED, p->line, c->name,
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
        upcase(s, len);
    set_value(v, s, len);
    if ((c->pii && ncc_nhs_number_like(s, len)) ||
        (c->pii_scan && len >= 10 && ncc_contains_nhs_number(s, len))) {
        p->bad[ci] = true;
        v->s = NULL;
        report(p, NCC_E_PII_VALUE, p->line, c->name,
               "%s holds what looks like an NHS number (value withheld): send the "
               "pseudonymised local record id, never a patient identifier",
               c->name);
        return;
    }
    ncc_parse_result pr;
    switch (c->type) {
    case NCC_TYPE_TEXT:
    case NCC_TYPE_CODE: {
        if (c->max_len && len > (size_t)c->max_len &&
            (ascii || ncc_utf8_length(s, len) > (size_t)c->max_len)) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_TOO_LONG, p->line, c->name,
                   "%s %s has %zu characters: at most %d allowed (%s)", c->name, q,
                   ncc_utf8_length(s, len), c->max_len, expect_of(c));
            break;
        }
        /* a NUL byte is outside every charset but "any": looked for only then */
        if ((!valid || c->charset == NCC_CHARSET_ANY) && memchr(s, '\0', len)) {
            /* never valid text, and PostgreSQL refuses it: reject the row, not the load */
            report(p, c->format_code, p->line, c->name, "%s holds a NUL byte: remove it", c->name);
            break;
        }
        /* a UTF-8 character is at most 4 bytes: count characters only when it can matter */
        if (!valid || (len < 4 * (size_t)c->min_len &&
                       (ascii ? len : ncc_utf8_length(s, len)) < (size_t)c->min_len)) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, c->format_code, p->line, c->name, "%s %s is not valid: expected %s", c->name,
                   q, expect_of(c));
        }
        break;
    }
    case NCC_TYPE_ODS:
        if (!ncc_ods_valid(s, len)) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, c->format_code, p->line, c->name, "%s %s is not valid: expected %s", c->name,
                   q, expect_of(c));
        }
        break;
    case NCC_TYPE_FIN_YEAR: {
        int y;
        if (ncc_fin_year_parse(s, len, &y) != NCC_PARSE_OK) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, c->format_code, p->line, c->name, "%s %s is not valid: expected %s", c->name,
                   q, expect_of(c));
        }
        break;
    }
    case NCC_TYPE_ENUM: {
        int k;
        for (k = 0; k < c->nvalues; k++)
            if (enum_is(c->values[k], s, len))
                break;
        if (k == c->nvalues) {
            char vals[200];
            list_values(c, vals, sizeof vals);
            ncc_quote_value(s, len, q, sizeof q);
            report(p, c->format_code, p->line, c->name, "%s %s is not one of %s", c->name, q, vals);
        }
        break;
    }
    case NCC_TYPE_MONEY:
        pr = ncc_money_parse(s, len, &v->m);
        if (pr == NCC_PARSE_BAD) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_NUMBER, p->line, c->name, "%s %s is not a number: expected %s", c->name,
                   q, expect_of(c));
            break;
        }
        if (c->has_min_value && v->m < (ncc_money)c->min_value * NCC_MONEY_SCALE) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_NEGATIVE, p->line, c->name, "%s %s is negative: it must be %lld or more",
                   c->name, q, c->min_value);
            break;
        }
        if (pr == NCC_PARSE_ROUNDED) {
            char buf[NCC_MONEY_BUFSIZE];
            size_t n = ncc_money_format(v->m, buf, sizeof buf);
            const char *d = arena_put(p, buf, n);
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_W_ROUNDED, p->line, c->name,
                   "%s %s has more than 4 decimal places: rounded to %s", c->name, q, buf);
            if (d)
                set_value(v, d, n);
        }
        break;
    case NCC_TYPE_INT:
        if (ncc_int_parse(s, len, &v->i) != NCC_PARSE_OK) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_NUMBER, p->line, c->name, "%s %s is not a whole number: expected %s",
                   c->name, q, expect_of(c));
        } else if (c->has_min_value && v->i < c->min_value) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, v->i < 0 ? NCC_E_NEGATIVE : NCC_E_NUMBER, p->line, c->name,
                   "%s %s is too small: it must be %lld or more", c->name, q, c->min_value);
        }
        break;
    case NCC_TYPE_DATE: {
        int y, m, d;
        if (ncc_date_parse(s, len, &y, &m, &d) != NCC_PARSE_OK) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_DATE, p->line, c->name,
                   "%s %s is not a valid date: expected YYYY-MM-DD or DD/MM/YYYY", c->name, q);
            break;
        }
        /* keep y/m in the int slot for rules: yyyymm */
        v->i = (int64_t)y * 100 + m;
        if (len != 10 || s[4] != '-') {
            char buf[16];
            int n = snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
            const char *a = arena_put(p, buf, (size_t)n);
            if (a)
                set_value(v, a, (size_t)n);
        }
        break;
    }
    case NCC_TYPE_PERIOD: {
        int y, m;
        if (ncc_period_parse(s, len, &y, &m) != NCC_PARSE_OK) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_DATE, p->line, c->name,
                   "%s %s is not a valid month: expected YYYY-MM such as 2023-04", c->name, q);
            break;
        }
        v->i = (int64_t)y * 100 + m;
        break;
    }
    case NCC_TYPE_GTIN: {
        ncc_gtin_result g = ncc_gtin_check(s, len);
        ncc_quote_value(s, len, q, sizeof q);
        if (g == NCC_GTIN_FORMAT)
            report(p, NCC_E_CODE, p->line, c->name,
                   "%s %s is not a GTIN: expected 8, 12, 13 or 14 digits", c->name, q);
        else if (g == NCC_GTIN_CHECK_DIGIT)
            report(p, NCC_E_CHECK_DIGIT, p->line, c->name,
                   "%s %s has a wrong GS1 check digit: check the number was copied whole", c->name,
                   q);
        break;
    }
    case NCC_TYPE_OPCS: {
        char buf[8];
        size_t n;
        if (!ncc_opcs_normalise(s, len, buf, &n)) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_CODE, p->line, c->name, "%s %s is not valid: expected %s", c->name, q,
                   expect_of(c));
        } else if (n != len) {
            memcpy(s, buf, n); /* the dotless form is never longer */
            s[n] = '\0';
            set_value(v, s, n);
        }
        break;
    }
    case NCC_TYPE_BOOL: {
        bool b;
        if (ncc_bool_parse(s, len, &b) != NCC_PARSE_OK) {
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_CODE, p->line, c->name, "%s %s is not valid: expected %s", c->name, q,
                   expect_of(c));
        } else {
            v->i = b;
            set_value(v, b ? "t" : "f", 1);
        }
        break;
    }
    case NCC_TYPE_TECHNOLOGY: {
        const char *t = ncc_refdata_technology(p->cfg->ref, s, len);
        if (t) {
            set_value(v, t, strlen(t));
        } else if (!(p->schema->rules & NCC_RULE_MTFM_ATTRIBUTION)) {
            /* cost lines decide in the MTFM rule: the id may be ignored */
            ncc_quote_value(s, len, q, sizeof q);
            report(p, NCC_E_UNKNOWN_TECHNOLOGY, p->line, c->name,
                   "%s %s is not in the technology reference: use a NICE id such as MTG58 "
                   "(superseded ids are accepted when listed as aliases)",
                   c->name, q);
        }
        break;
    }
    }
}

/*
 * The common case of check_field, inlined in the row loop: a value of a frequent type
 * that passes every check. Then it sets what check_field would set and returns true;
 * else false, having changed nothing but the case of s (upper-cased as check_field
 * does first anyway), and check_field decides and reports.
 */
static inline bool check_field_fast(const pass *p, const ncc_column *c, ncc_value *v, char *s,
                                    size_t len)
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
        upcase(s, len);
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
        while (k < c->nvalues && !enum_is(c->values[k], s, len))
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
            return false; /* or written in another form: check_field puts the ISO one */
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
        set_value(v, b ? "t" : "f", 1);
        return true;
    }
    case NCC_TYPE_TECHNOLOGY: {
        const char *t = ncc_refdata_technology(p->cfg->ref, s, len);
        if (t) {
            set_value(v, t, strlen(t));
            return true;
        }
        if (!(p->schema->rules & NCC_RULE_MTFM_ATTRIBUTION))
            return false;
        break; /* cost lines decide in the MTFM rule */
    }
    default:
        return false;
    }
    set_value(v, s, len);
    return true;
}

static int col(const pass *p, const char *name)
{
    return ncc_schema_column(p->schema, name);
}

/* A column is usable by a rule when present, non-empty and without error. */
static bool ok(const pass *p, int ci)
{
    return ci >= 0 && p->v[ci].s && !p->bad[ci];
}

static void put_int(pass *p, int ci, int64_t val)
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
    const char *a = arena_put(p, d, n);
    p->v[ci].i = val;
    if (a)
        set_value(&p->v[ci], a, n);
}

static void put_money(pass *p, int ci, ncc_money m)
{
    char buf[NCC_MONEY_BUFSIZE];
    size_t n = ncc_money_format(m, buf, sizeof buf);
    const char *a = arena_put(p, buf, n);
    p->v[ci].m = m;
    if (a)
        set_value(&p->v[ci], a, n);
}

static void put_fin_year(pass *p, int ci, int yyyymm)
{
    char fy[7];
    ncc_fin_year_format(ncc_fin_year_of(yyyymm / 100, yyyymm % 100), fy);
    const char *a = arena_put(p, fy, 6);
    if (a)
        set_value(&p->v[ci], a, 6);
}

/* Indexes of the columns the rules use, resolved once per file. */
typedef struct rule_cols {
    int resource, tech, opcs, count;                     /* cost */
    int npc, gtin, credit, qty, value, cust, org, units, fy, date; /* nhssc */
    int period;                                          /* supplier */
} rule_cols;

static void rule_mtfm(pass *p, const rule_cols *rc)
{
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
            report(p, NCC_W_TECH_ON_NON_MTFM, p->line, "technology_id",
                   "technology_id %s is ignored: collection_resource is not %s", q,
                   p->cfg->mtfm_code);
        }
        if (rc->tech >= 0)
            tech->s = NULL;
        return;
    }
    if (ok(p, rc->count) && p->v[rc->count].i < 1)
        report(p, NCC_E_MTFM_UNITS, p->line, "activity_count",
               "activity_count is %lld on an MTFM line: MTFM cost needs the number of units "
               "used (1 or more)",
               (long long)p->v[rc->count].i);
    if (tech_given) {
        const char *t = ncc_refdata_technology(p->cfg->ref, tech->s, tech->len);
        if (!t) {
            ncc_quote_value(tech->s, tech->len, q, sizeof q);
            p->bad[rc->tech] = true;
            report(p, NCC_E_UNKNOWN_TECHNOLOGY, p->line, "technology_id",
                   "technology_id %s is not in the technology reference: use a NICE id such as "
                   "MTG58 (superseded ids are accepted when listed as aliases)",
                   q);
        }
        return; /* already canonical when known */
    }
    const char *t = NULL;
    if (ok(p, rc->opcs))
        t = ncc_refdata_procedure_technology(p->cfg->ref, p->v[rc->opcs].s, p->v[rc->opcs].len);
    if (t) {
        set_value(tech, t, strlen(t));
        return;
    }
    set_value(tech, UNATTRIBUTED, sizeof UNATTRIBUTED - 1);
    report(p, NCC_W_UNATTRIBUTED, p->line, "technology_id",
           "MTFM line without technology_id%s: its cost is reported as UNATTRIBUTED; add the "
           "NICE technology id",
           ok(p, rc->opcs) ? " and its opcs_procedure maps to no single technology" : "");
}

static void rule_nhssc(pass *p, const rule_cols *rc)
{
    unsigned rules = p->schema->rules;
    if ((rules & NCC_RULE_NPC_OR_GTIN) && !p->v[rc->npc].s && !p->v[rc->gtin].s &&
        !p->bad[rc->npc] && !p->bad[rc->gtin])
        report(p, NCC_E_REQUIRED, p->line, "npc",
               "npc and gtin are both empty: give the NHS Supply Chain product code, the GTIN, "
               "or both");
    if (rules & NCC_RULE_CREDIT_SIGN) {
        bool credit = ok(p, rc->credit) && p->v[rc->credit].i;
        if (rc->credit >= 0 && !p->v[rc->credit].s && !p->bad[rc->credit])
            set_value(&p->v[rc->credit], "f", 1);
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
                report(p, NCC_E_NEGATIVE, p->line, p->schema->cols[ci].name,
                       "%s is negative on a line that is not a credit: mark credits with "
                       "is_credit = Y, or correct the sign",
                       p->schema->cols[ci].name);
            }
        }
    }
    if ((rules & NCC_RULE_CUSTOMER_ORG) && ok(p, rc->cust)) {
        const ncc_value *cu = &p->v[rc->cust];
        size_t n = cu->len;
        if (ncc_refdata_has_organisations(p->cfg->ref)) {
            if (!ncc_refdata_organisation_known(p->cfg->ref, cu->s, cu->len) && cu->len == 5)
                n = 3;
        } else if (cu->len == 5) {
            n = 3;
        }
        set_value(&p->v[rc->org], cu->s, n);
        if (n != cu->len) {
            const char *a = arena_put(p, cu->s, n);
            if (a)
                set_value(&p->v[rc->org], a, n);
        }
    }
    if (rules & NCC_RULE_PRODUCT_TECHNOLOGY) {
        const ncc_value *npc = &p->v[rc->npc], *gtin = &p->v[rc->gtin];
        const ncc_product *prod = ncc_refdata_product(
            p->cfg->ref, ok(p, rc->npc) ? npc->s : NULL, ok(p, rc->npc) ? npc->len : 0,
            ok(p, rc->gtin) ? gtin->s : NULL, ok(p, rc->gtin) ? gtin->len : 0);
        int64_t units;
        if (prod && ok(p, rc->qty)) {
            if (__builtin_mul_overflow(p->v[rc->qty].i, (int64_t)prod->units_per_issue, &units)) {
                p->bad[rc->qty] = true;
                report(p, NCC_E_NUMBER, p->line, "quantity",
                       "quantity %lld x %lld units per issue is too large to count",
                       (long long)p->v[rc->qty].i, prod->units_per_issue);
            } else {
                set_value(&p->v[rc->tech], prod->technology_id, strlen(prod->technology_id));
                put_int(p, rc->units, units);
            }
        }
    }
    if ((rules & NCC_RULE_FIN_YEAR_OF_DATE) && ok(p, rc->date))
        put_fin_year(p, rc->fy, (int)p->v[rc->date].i);
}

static void rule_supplier(pass *p, const rule_cols *rc)
{
    unsigned rules = p->schema->rules;
    if ((rules & NCC_RULE_ORG_IS_CUSTOMER) && ok(p, rc->cust))
        p->v[rc->org] = p->v[rc->cust];
    if ((rules & NCC_RULE_FIN_YEAR_OF_PERIOD) && ok(p, rc->period))
        put_fin_year(p, rc->fy, (int)p->v[rc->period].i);
}

/* True when every key value is still its raw field: the same length and, when not
 * empty, the same place in the record. Then its bytes differ from the raw ones at most
 * by the in-place upper-casing of check_field, which the fingerprint does anyway, and
 * raw_key_fingerprint is key_fingerprint. A value made canonical elsewhere
 * (a technology alias, a reformatted number or date, a derived column) fails this. */
static bool key_is_raw(const pass *p, const ncc_csv_record *rec)
{
    for (int k = 0; k < p->schema->nkey; k++) {
        int ci = p->schema->key[k];
        int f = p->bind[ci];
        const ncc_value *v = &p->v[ci];
        size_t len = v->s ? v->len : 0;
        if (len != (f >= 0 ? rec->len[f] : 0))
            return false;
        if (len && v->s != rec->field[f])
            return false;
    }
    return true;
}

/* key_fingerprint at the end of the row, reusing the raw fields' one when it is the same. */
static bool key_fingerprint_late(const pass *p, const ncc_csv_record *rec, bool have_raw_fp,
                                 uint64_t raw_fp, uint64_t *fp)
{
    if (!have_raw_fp || !key_is_raw(p, rec))
        return key_fingerprint(p, fp);
    for (int k = 0; k < p->schema->nkey; k++)
        if (p->bad[p->schema->key[k]])
            return false;
#ifndef NDEBUG
    uint64_t check;
    assert(key_fingerprint(p, &check) && check == raw_fp);
#endif
    *fp = raw_fp;
    return true;
}

static void describe_key(const pass *p, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = 0; k < p->schema->nkey && n < cap; k++) {
        const ncc_value *v = &p->v[p->schema->key[k]];
        char q[96];
        ncc_quote_value(v->s ? v->s : "", v->s ? v->len : 0, q, sizeof q);
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", k ? ", " : "",
                              p->schema->cols[p->schema->key[k]].name, q);
    }
}

static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Whether key[0..klen) is "a|b|c", compared in place: the group of the previous row
 * (short values: byte loops rather than three copies and a memcmp call). */
static inline bool group_is(const char *key, size_t klen, const char *a, size_t alen,
                            const char *b, size_t blen, const char *c, size_t clen)
{
    return klen == alen + blen + clen + 2 && bytes_eq(key, a, alen) && key[alen] == '|' &&
           bytes_eq(key + alen + 1, b, blen) && key[alen + 1 + blen] == '|' &&
           bytes_eq(key + alen + blen + 2, c, clen);
}

/* "a|b|c" into key (cap 128); false when it does not fit. */
static bool group_key(char *key, size_t *klen, const char *a, size_t alen, const char *b,
                      size_t blen, const char *c, size_t clen)
{
    if (alen + blen + clen + 2 >= 128)
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

/* Add the row to its groups: 0, -1 when a map is full, -2 when the MTFM units of the
 * group would no longer fit in 64 bits (nothing is added then). */
static int aggregate(pass *p)
{
    const ncc_schema *s = p->schema;
    char key[128];
    size_t klen;
    if (s->tot_fin_year < 0 || s->tot_org < 0)
        return 0;
    const ncc_value *fy = &p->v[s->tot_fin_year], *org = &p->v[s->tot_org];
    if (!fy->s || !org->s)
        return 0;
    total_acc *mt = NULL;
    int64_t units = 0;
    if (s->mtfm_tech >= 0 && p->v[s->mtfm_tech].s) {
        const ncc_value *tech = &p->v[s->mtfm_tech];
        int64_t add = s->mtfm_units >= 0 ? p->v[s->mtfm_units].i : 0;
        if (p->last_mt && group_is(p->last_mt_key, p->last_mt_len, fy->s, fy->len, org->s,
                                   org->len, tech->s, tech->len)) {
            mt = p->last_mt; /* the group of the previous MTFM row */
            if (__builtin_add_overflow((int64_t)mt->units, add, &units))
                return -2;
        } else if (group_key(key, &klen, fy->s, fy->len, org->s, org->len, tech->s, tech->len)) {
            mt = ncc_strmap_get(p->mtfm, key, klen);
            if (__builtin_add_overflow(mt ? (int64_t)mt->units : 0, add, &units))
                return -2;
            if (!mt && !(mt = ncc_strmap_upsert(p->mtfm, key, klen, NULL))) {
                p->last_mt = NULL; /* the map may have grown before failing */
                return -1;
            }
            if (mt != p->last_mt) { /* also after an insertion, which may move the others */
                memcpy(p->last_mt_key, key, klen);
                p->last_mt_len = klen;
                p->last_mt = mt;
            }
        }
    }
    if (s->tot_amount >= 0) {
        const char *feed = s->feed_literal;
        size_t feedlen = feed ? strlen(feed) : 0;
        if (s->tot_feed >= 0) {
            feed = p->v[s->tot_feed].s;
            feedlen = p->v[s->tot_feed].len;
        }
        total_acc *t = p->last_tot;
        if (feed && t &&
            group_is(p->last_tot_key, p->last_tot_len, fy->s, fy->len, org->s, org->len, feed,
                     feedlen)) {
            t->rows++; /* the group of the previous row */
            t->amount += p->v[s->tot_amount].m;
        } else if (feed && group_key(key, &klen, fy->s, fy->len, org->s, org->len, feed, feedlen)) {
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
    }
    if (mt) {
        mt->rows++;
        mt->units = units;
        if (s->mtfm_amount >= 0)
            mt->amount += p->v[s->mtfm_amount].m;
    }
    return 0;
}

/* ---- header ---- */

static void join_names(char *out, size_t cap, const char *const *names, int n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", names[i]);
}

static void required_list(const ncc_schema *s, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < s->ncols && k < cap; i++)
        if (s->cols[i].required && !s->cols[i].derived)
            k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? ", " : "", s->cols[i].name);
}

/*
 * The kind of a header (folded names): the forced kind, else the kind
 * missing the fewest required columns (then the one binding the most
 * columns), provided at least half of its required columns are present.
 * NULL when no kind fits.
 */
static const ncc_schema *choose_kind(const ncc_schema_set *set, const char *forced,
                                     char (*folded)[64], int n)
{
    const ncc_schema *best = NULL;
    int best_bound = -1, best_missing = 1 << 30, best_req = 1;
    for (int k = 0; k < set->nkinds; k++) {
        const ncc_schema *s = &set->kinds[k];
        if (forced && strcmp(forced, s->kind) != 0)
            continue;
        int bound = 0, req = 0, have = 0;
        for (int c = 0; c < s->ncols; c++) {
            if (s->cols[c].derived)
                continue;
            bool present = false;
            for (int i = 0; i < n && !present; i++)
                present = ncc_schema_bind(s, folded[i]) == c;
            bound += present;
            if (s->cols[c].required) {
                req++;
                have += present;
            }
        }
        int missing = req - have;
        if (!best || missing < best_missing || (missing == best_missing && bound > best_bound)) {
            best = s;
            best_bound = bound;
            best_missing = missing;
            best_req = req ? req : 1;
        }
    }
    if (best && !forced && best_missing * 2 > best_req)
        return NULL;
    return best;
}

const ncc_schema *ncc_validate_peek_kind(const char *path, const ncc_validate_config *cfg)
{
    int code;
    char msg[512];
    const ncc_schema *kind = NULL;
    ncc_source *src = ncc_source_open(path, cfg->encoding, &code, msg, sizeof msg);
    ncc_csv_limits lim = {cfg->schemas->field_bytes, cfg->schemas->record_bytes,
                          cfg->schemas->columns};
    ncc_csv *csv = src ? ncc_csv_new(src, &lim) : NULL;
    ncc_csv_record rec;
    if (csv && ncc_csv_next(csv, &rec) == 1) {
        char (*folded)[64] = calloc((size_t)(rec.nkept ? rec.nkept : 1), sizeof *folded);
        if (folded) {
            for (int i = 0; i < rec.nkept; i++)
                ncc_schema_fold(rec.field[i], rec.len[i], folded[i], sizeof folded[i]);
            kind = choose_kind(cfg->schemas, cfg->kind, folded, rec.nkept);
            free(folded);
        }
    }
    ncc_csv_free(csv);
    ncc_source_free(src);
    return kind;
}

/* Bind the header; returns false when a file error stops the file. */
static bool bind_header(pass *p, const ncc_csv_record *hdr)
{
    const ncc_schema_set *set = p->cfg->schemas;
    int n = hdr->nkept;
    char (*folded)[64] = calloc((size_t)(n ? n : 1), sizeof *folded);
    bool okay = false;
    if (!folded) {
        report(p, NCC_F_UNREADABLE, 1, NULL, "out of memory reading the header");
        return false;
    }
    for (int i = 0; i < n; i++)
        ncc_schema_fold(hdr->field[i], hdr->len[i], folded[i], sizeof folded[i]);

    if (hdr->nfields > n) {
        report(p, NCC_F_UNREADABLE, 1, NULL,
               "the header has %d columns: at most %d are supported", hdr->nfields, n);
        goto done;
    }
    /* patient identifiers: the whole file is refused, values never read */
    {
        const char *pii[16];
        int npii = 0;
        for (int i = 0; i < n && npii < 16; i++)
            if (ncc_schema_is_pii_name(set, folded[i]))
                pii[npii++] = folded[i];
        if (npii) {
            char names[512];
            join_names(names, sizeof names, pii, npii);
            report(p, NCC_F_PII_COLUMN, 1, NULL,
                   "the header has column(s) named like patient identifiers (%s): remove them; "
                   "submissions must not contain patient identifiers",
                   names);
            goto done;
        }
    }
    const ncc_schema *best = choose_kind(set, p->cfg->kind, folded, n);
    if (!best) {
        char msg[400];
        size_t k = 0;
        msg[0] = '\0';
        for (int i = 0; i < set->nkinds && k < sizeof msg; i++) {
            char req[300];
            required_list(&set->kinds[i], req, sizeof req);
            k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s (%s)", i ? "; " : "",
                                  set->kinds[i].kind, req);
        }
        report(p, NCC_F_UNKNOWN_KIND, 1, NULL,
               "the header matches no file kind: expected the columns of %s", msg);
        goto done;
    }
    p->schema = best;
    p->res->schema = best;
    const ncc_schema *s = best;
    for (int c = 0; c < s->ncols; c++)
        p->bind[c] = -1;
    int unknown[32];
    int nunknown = 0, more_unknown = 0;
    bool stop = false;
    for (int i = 0; i < n; i++) {
        int c = ncc_schema_bind(s, folded[i]);
        if (c < 0) {
            if (nunknown < 32)
                unknown[nunknown++] = i;
            else
                more_unknown++;
            continue;
        }
        if (p->bind[c] >= 0) {
            char a[96], b[96];
            ncc_quote_value(hdr->field[p->bind[c]], hdr->len[p->bind[c]], a, sizeof a);
            ncc_quote_value(hdr->field[i], hdr->len[i], b, sizeof b);
            report(p, NCC_F_DUPLICATE_COLUMN, 1, s->cols[c].name,
                   "columns %s and %s both mean %s: keep only one of them", a, b, s->cols[c].name);
            stop = true;
            continue;
        }
        p->bind[c] = i;
    }
    for (int c = 0; c < s->ncols; c++) {
        if (s->cols[c].required && !s->cols[c].derived && p->bind[c] < 0) {
            char aka[200] = "";
            if (s->cols[c].naliases) {
                size_t k = (size_t)snprintf(aka, sizeof aka, " (also accepted as: ");
                for (int a = 0; a < s->cols[c].naliases && k < sizeof aka; a++)
                    k += (size_t)snprintf(aka + k, sizeof aka - k, "%s%s", a ? ", " : "",
                                          s->cols[c].aliases[a]);
                if (k < sizeof aka)
                    snprintf(aka + k, sizeof aka - k, ")");
            }
            report(p, NCC_F_MISSING_COLUMN, 1, s->cols[c].name,
                   "required column %s is missing from the header of this %s file%s",
                   s->cols[c].name, s->kind, aka);
            stop = true;
        }
    }
    if (stop)
        goto done;
    if (nunknown) {
        /* header names are data too: shortened, control characters masked, never PII */
        char names[600];
        size_t k = 0;
        names[0] = '\0';
        for (int u = 0; u < nunknown && k < sizeof names; u++) {
            char q[96];
            int f = unknown[u];
            if (hdr->len[f])
                ncc_quote_value(hdr->field[f], hdr->len[f], q, sizeof q);
            else
                snprintf(q, sizeof q, "(blank)");
            k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", u ? ", " : "", q);
        }
        report(p, NCC_W_UNKNOWN_COLUMN, 1, NULL,
               "column(s) not used by a %s file are ignored: %s%s", s->kind, names,
               more_unknown ? " and more" : "");
    }
    okay = true;
done:
    free(folded);
    return okay;
}

/* ---- the row ---- */

static int process_row(pass *p, ncc_csv_record *rec, const rule_cols *rc, int nheader)
{
    const ncc_schema *s = p->schema;
    p->line = rec->line;
    p->row_errors = 0;
    p->arena_used = 0;
    p->res->rows_read++;
    if (rec->nfields != nheader) {
        report(p, NCC_E_FIELD_COUNT, p->line, NULL,
               "line has %d values but the header has %d columns: check for an unquoted comma "
               "in a value or a missing value",
               rec->nfields, nheader);
        p->res->rows_rejected++;
        return 0;
    }
    if (rec->oversize) {
        report(p, NCC_E_TOO_LONG, p->line, NULL,
               "the record is longer than %zu bytes in all: it cannot be a valid row",
               p->cfg->schemas->record_bytes);
        p->res->rows_rejected++;
        return 0;
    }
    /* the key's fingerprint from the raw fields, and its slot on its way to the cache
     * while the fields are checked */
    uint64_t raw_fp = 0;
    bool check_keys = s->nkey && !p->cfg->no_duplicate_check;
    bool have_raw_fp = check_keys && raw_key_fingerprint(p, rec, &raw_fp);
    if (have_raw_fp)
        ncc_keyset_prefetch(&p->keys, raw_fp);
    memset(p->v, 0, (size_t)s->ncols * sizeof *p->v);
    memset(p->bad, 0, (size_t)s->ncols * sizeof *p->bad);
    for (int c = 0; c < s->ncols; c++) {
        int f = p->bind[c];
        if (f < 0 || check_field_fast(p, &s->cols[c], &p->v[c], rec->field[f], rec->len[f]))
            continue;
        int before = p->row_errors;
        check_field(p, c, rec->field[f], rec->len[f]);
        if (p->row_errors != before)
            p->bad[c] = true;
    }
    if (s->rules & NCC_RULE_MTFM_ATTRIBUTION)
        rule_mtfm(p, rc);
    if (s->rules & (NCC_RULE_NPC_OR_GTIN | NCC_RULE_CREDIT_SIGN | NCC_RULE_CUSTOMER_ORG |
                    NCC_RULE_PRODUCT_TECHNOLOGY | NCC_RULE_FIN_YEAR_OF_DATE))
        rule_nhssc(p, rc);
    if (s->rules & (NCC_RULE_ORG_IS_CUSTOMER | NCC_RULE_FIN_YEAR_OF_PERIOD))
        rule_supplier(p, rc);
    uint64_t fp;
    if (check_keys && key_fingerprint_late(p, rec, have_raw_fp, raw_fp, &fp)) {
        int dup = ncc_keyset_add(&p->keys, fp);
        if (dup < 0)
            return -1;
        if (dup) {
            char desc[400];
            describe_key(p, desc, sizeof desc);
            report(p, NCC_E_DUPLICATE_KEY, p->line, s->cols[s->key_column].name,
                   "the key (%s) already appeared earlier in the file: each key must appear "
                   "once",
                   desc);
        }
    }
    if (p->row_errors) {
        p->res->rows_rejected++;
        return 0;
    }
    int ag = aggregate(p);
    if (ag == -2) {
        const ncc_column *uc = &s->cols[s->mtfm_units];
        report(p, NCC_E_NUMBER, p->line, uc->name,
               "%s %lld makes the units of this fin_year, organisation and technology too large "
               "to count (over 9223372036854775807): check the value",
               uc->name, (long long)p->v[s->mtfm_units].i);
        p->res->rows_rejected++;
        return 0;
    }
    p->res->rows_valid++;
    if (ag < 0) {
        report(p, NCC_F_UNREADABLE, p->line, NULL,
               "more than %zu distinct (fin_year, org_code, feed or technology) groups: split "
               "the file",
               p->cfg->schemas->groups);
        return 0;
    }
    if (p->sink && p->sink->row) {
        ncc_row row = {p->line, s, p->v};
        if (p->sink->row(p->sink->ctx, &row) != 0) {
            p->res->stopped = true;
            p->fatal = true;
        }
    }
    return 0;
}

/* ---- results ---- */

static int cmp_total(const void *a, const void *b)
{
    const ncc_total *x = a, *y = b;
    int c = strcmp(x->fin_year, y->fin_year);
    if (!c)
        c = strcmp(x->org_code, y->org_code);
    return c ? c : strcmp(x->feed, y->feed);
}

static int cmp_mtfm(const void *a, const void *b)
{
    const ncc_mtfm_total *x = a, *y = b;
    int c = strcmp(x->fin_year, y->fin_year);
    if (!c)
        c = strcmp(x->org_code, y->org_code);
    return c ? c : strcmp(x->technology_id, y->technology_id);
}

/* split "a|b|c" into three fixed fields */
static void split3(const char *key, char *a, size_t na, char *b, size_t nb, char *c, size_t nc)
{
    const char *p1 = strchr(key, '|');
    const char *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
    if (!p1 || !p2) {
        snprintf(a, na, "%s", key);
        b[0] = c[0] = '\0';
        return;
    }
    snprintf(a, na, "%.*s", (int)(p1 - key), key);
    snprintf(b, nb, "%.*s", (int)(p2 - p1 - 1), p1 + 1);
    snprintf(c, nc, "%s", p2 + 1);
}

static void collect_groups(pass *p)
{
    ncc_file_result *res = p->res;
    size_t pos = 0, klen;
    const char *key;
    void *val;
    res->totals = calloc(ncc_strmap_count(p->totals) + 1, sizeof(ncc_total));
    res->mtfm = calloc(ncc_strmap_count(p->mtfm) + 1, sizeof(ncc_mtfm_total));
    if (!res->totals || !res->mtfm)
        return;
    while (ncc_strmap_next(p->totals, &pos, &key, &klen, &val)) {
        ncc_total *t = &res->totals[res->ntotals++];
        const total_acc *a = val;
        split3(key, t->fin_year, sizeof t->fin_year, t->org_code, sizeof t->org_code, t->feed,
               sizeof t->feed);
        t->rows = a->rows;
        t->amount = a->amount;
    }
    pos = 0;
    while (ncc_strmap_next(p->mtfm, &pos, &key, &klen, &val)) {
        ncc_mtfm_total *t = &res->mtfm[res->nmtfm++];
        const total_acc *a = val;
        split3(key, t->fin_year, sizeof t->fin_year, t->org_code, sizeof t->org_code,
               t->technology_id, sizeof t->technology_id);
        t->rows = a->rows;
        t->units = a->units;
        t->amount = a->amount;
    }
    qsort(res->totals, (size_t)res->ntotals, sizeof(ncc_total), cmp_total);
    qsort(res->mtfm, (size_t)res->nmtfm, sizeof(ncc_mtfm_total), cmp_mtfm);
}

/*
 * The reader has just taken more text from the source (now `text` bytes): the rows
 * before the current record came from the text_seen bytes it had. Once those are
 * KEY_SAMPLE_BYTES or more, size the key set for the whole input at that many rows
 * per byte.
 */
static void size_keys(pass *p, uint64_t text)
{
    if (p->text_seen >= KEY_SAMPLE_BYTES) {
        double rows = (double)p->res->rows_read * (double)p->size_hint / (double)p->text_seen;
        size_t expected = rows < (double)(SIZE_MAX / 16) ? (size_t)rows : SIZE_MAX / 16;
        /* out of memory here is not an error yet: the tables grow when they must */
        (void)ncc_keyset_reserve(&p->keys, expected);
        p->sizing = false;
    }
    p->text_seen = text;
}

int ncc_validate_file(const char *path, const ncc_validate_config *cfg, const ncc_sink *sink,
                      ncc_file_result *res)
{
    memset(res, 0, sizeof *res);
    res->path = xstrdup(path);
    snprintf(res->encoding, sizeof res->encoding, "%s",
             cfg->encoding && strcmp(cfg->encoding, "auto") != 0 ? cfg->encoding : "UTF-8");
    pass p;
    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.sink = sink;
    p.res = res;
    p.errors_kept = cfg->errors_kept > 0 ? cfg->errors_kept : DEFAULT_ERRORS_KEPT;
    p.mtfm_code_len = cfg->mtfm_code ? strlen(cfg->mtfm_code) : 0;
    int maxcols = 0;
    for (int k = 0; k < cfg->schemas->nkinds; k++)
        if (cfg->schemas->kinds[k].ncols > maxcols)
            maxcols = cfg->schemas->kinds[k].ncols;
    int rc = -1;
    ncc_source *src = NULL;
    ncc_csv *csv = NULL;
    p.bind = calloc((size_t)maxcols, sizeof(int));
    p.v = calloc((size_t)maxcols, sizeof(ncc_value));
    p.bad = calloc((size_t)maxcols, sizeof(bool));
    p.arena = malloc(ARENA_SIZE);
    p.totals = ncc_strmap_new(sizeof(total_acc), cfg->schemas->groups);
    p.mtfm = ncc_strmap_new(sizeof(total_acc), cfg->schemas->groups);
    if (!p.bind || !p.v || !p.bad || !p.arena || !p.totals || !p.mtfm)
        goto out;

    int code;
    char msg[512];
    src = ncc_source_open(path, cfg->encoding, &code, msg, sizeof msg);
    if (!src) {
        report(&p, code >= 0 ? (ncc_code)code : NCC_F_ENCODING, 0, NULL, "%s", msg);
        rc = 0;
        goto out;
    }
    p.size_hint = ncc_source_size_hint(src);
    if (cfg->keep_sha256)
        ncc_source_keep_sha256(src);
    ncc_csv_limits lim = {cfg->schemas->field_bytes, cfg->schemas->record_bytes,
                          cfg->schemas->columns};
    csv = ncc_csv_new(src, &lim);
    if (!csv)
        goto out;
    ncc_csv_record rec;
    int got = ncc_csv_next(csv, &rec);
    int nheader = 0;
    if (got == 0) {
        report(&p, NCC_F_EMPTY, 1, NULL, "the file is empty: a header row is required");
    } else if (got > 0) {
        nheader = rec.nfields;
        bool all_blank = true;
        for (int i = 0; i < rec.nkept && all_blank; i++)
            all_blank = rec.len[i] == 0;
        if (all_blank)
            report(&p, NCC_F_EMPTY, rec.line, NULL,
                   "the first line has no column names: a header row is required");
        else
            bind_header(&p, &rec);
    }
    rule_cols rcols = {0};
    if (!p.fatal && got > 0) {
        rcols.resource = col(&p, "collection_resource");
        rcols.tech = col(&p, "technology_id");
        rcols.opcs = col(&p, "opcs_procedure");
        rcols.count = col(&p, "activity_count");
        rcols.npc = col(&p, "npc");
        rcols.gtin = col(&p, "gtin");
        rcols.credit = col(&p, "is_credit");
        rcols.qty = col(&p, "quantity");
        rcols.value = col(&p, "line_value_ex_vat");
        rcols.cust = col(&p, "customer_ods");
        rcols.org = col(&p, "org_code");
        rcols.units = col(&p, "units");
        rcols.fy = col(&p, "fin_year");
        rcols.date = col(&p, "invoice_date");
        rcols.period = col(&p, "period");
        if (rcols.value < 0)
            rcols.value = col(&p, "value_ex_vat");
        if (p.schema->nkey && !cfg->no_duplicate_check) {
            uint64_t first = p.size_hint && p.size_hint < KEY_SAMPLE_BYTES + NCC_SOURCE_BUFSIZE
                                 ? p.size_hint
                                 : KEY_SAMPLE_BYTES + NCC_SOURCE_BUFSIZE;
            if (ncc_keyset_init(&p.keys, (size_t)(first / KEY_ROW_MIN)) < 0)
                goto out;
            p.sizing = p.size_hint > KEY_SAMPLE_BYTES;
            p.text_seen = ncc_source_text_bytes(src);
        }
    }
    while (!p.fatal && got > 0) {
        got = ncc_csv_next(csv, &rec);
        if (got > 0 && p.sizing && ncc_source_text_bytes(src) != p.text_seen)
            size_keys(&p, ncc_source_text_bytes(src));
        if (got > 0 && process_row(&p, &rec, &rcols, nheader) < 0)
            goto out;
    }
    if (got < 0) {
        const char *m;
        long line;
        ncc_code c = ncc_csv_error(csv, &m, &line);
        report(&p, c, line, NULL, "%s", m);
    }
    res->gzip = ncc_source_is_gzip(src); /* known once the first bytes are read */
    if (ncc_source_fell_back(src)) {
        snprintf(res->encoding, sizeof res->encoding, "%s", ncc_source_encoding(src));
        report(&p, NCC_W_ENCODING_FALLBACK, 0, NULL,
               "the file is not valid UTF-8: read as Windows-1252 (what Excel writes as CSV); "
               "save as \"CSV UTF-8\" to avoid this");
    } else {
        snprintf(res->encoding, sizeof res->encoding, "%s", ncc_source_encoding(src));
    }
    if (got == 0 && !p.fatal) {
        res->complete = true;
        if (cfg->keep_sha256)
            ncc_source_sha256_hex(src, res->sha256);
    }
    collect_groups(&p);
    rc = 0;
out:
    ncc_csv_free(csv);
    ncc_source_free(src);
    ncc_keyset_free(&p.keys);
    ncc_strmap_free(p.totals);
    ncc_strmap_free(p.mtfm);
    free(p.bind);
    free(p.v);
    free(p.bad);
    free(p.arena);
    return rc;
}

const char *ncc_file_result_status(const ncc_file_result *res)
{
    if (res->nfile_errors)
        return "rejected";
    if (res->rows_rejected)
        return "invalid";
    return "valid";
}

static void free_issue(ncc_kept_issue *k)
{
    free(k->message);
    k->message = NULL;
}

void ncc_file_result_free(ncc_file_result *res)
{
    if (!res)
        return;
    for (int i = 0; i < res->nfile_errors; i++)
        free_issue(&res->file_errors[i]);
    for (int i = 0; i < res->nerrors; i++)
        free_issue(&res->errors[i]);
    for (int i = 0; i < res->nwarnings; i++)
        free_issue(&res->warnings[i]);
    free(res->warnings);
    for (int c = 0; c < NCC_CODE_COUNT; c++)
        for (int i = 0; i < res->nexamples[c]; i++)
            free_issue(&res->examples[c][i]);
    free(res->file_errors);
    free(res->errors);
    free(res->totals);
    free(res->mtfm);
    free(res->path);
    memset(res, 0, sizeof *res);
}
