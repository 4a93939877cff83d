/*
 * validate.c - the validation pass over one file (see validate.h): open the
 * source, bind the header (header.c), the loop over the rows, finish the result.
 *
 * Per row (process_row): the record's shape, the field checks (the rules of the
 * column types inlined from validate_int.h; check.c words a value they refuse), the kind's
 * named rules (crossrules.c), the duplicate-key check (here: key fingerprints),
 * then a valid row is added to its groups (groups.c) and handed to the sink.
 * Messages are only formatted when there is a problem (issues.c); the happy path
 * does no allocation and no formatting. validate_int.h lists what each file does.
 */
#include "rules/validate.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reading/csvread.h"
#include "reading/source.h"
#include "rules/validate_int.h"

#define DEFAULT_ERRORS_KEPT 1000

/* ---- the duplicate-key check ----
 *
 * Each row's key reduced to an 8-byte fingerprint (docs/decisions.md "Duplicate
 * keys") kept in the pass's key set (keyset.h). Per row, two steps: as soon as the
 * record arrives the fingerprint of its raw key fields is taken and its slot
 * prefetched (key_early); after the field checks and the rules, the key of the
 * canonical values goes into the set (key_check), reusing the raw fingerprint when
 * the key values are still the raw fields. Rows whose key columns are themselves
 * invalid take no part.
 */

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

/* Set up the duplicate-key set for a file read from src (p->schema bound). 0, or -1
 * when out of memory. */
static int keys_init(ncc_pass *p, const ncc_source *src)
{
    uint64_t first = p->size_hint && p->size_hint < KEY_SAMPLE_BYTES + NCC_SOURCE_BUFSIZE
                         ? p->size_hint
                         : KEY_SAMPLE_BYTES + NCC_SOURCE_BUFSIZE;
    if (ncc_keyset_init(&p->keys, (size_t)(first / KEY_ROW_MIN)) < 0)
        return -1;
    p->sizing = p->size_hint > KEY_SAMPLE_BYTES;
    p->text_seen = ncc_source_text_bytes(src);
    return 0;
}

/*
 * The reader has just taken more text from the source (now `text` bytes): the rows
 * before the current record came from the text_seen bytes it had. Once those are
 * KEY_SAMPLE_BYTES or more, size the key set for the whole input at that many rows
 * per byte.
 */
static void keys_size(ncc_pass *p, uint64_t text)
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
static bool key_fingerprint(const ncc_pass *p, uint64_t *fp)
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
static bool raw_key_fingerprint(const ncc_pass *p, const ncc_csv_record *rec, uint64_t *fp)
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

/* True when every key value is still its raw field: the same length and, when not
 * empty, the same place in the record. Then its bytes differ from the raw ones at most
 * by the in-place upper-casing of the field checks, which the fingerprint does anyway,
 * and raw_key_fingerprint is key_fingerprint. A value made canonical elsewhere
 * (a technology alias, a reformatted number or date, a derived column) fails this. */
static bool key_is_raw(const ncc_pass *p, const ncc_csv_record *rec)
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
static bool key_fingerprint_late(const ncc_pass *p, const ncc_csv_record *rec, bool have_raw_fp,
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

static void describe_key(const ncc_pass *p, char *out, size_t cap)
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

/* As soon as the record arrives: the fingerprint of its raw key fields into *fp, and
 * its slot on its way to the cache. False when the key is too long for one. */
static bool key_early(const ncc_pass *p, const ncc_csv_record *rec, uint64_t *fp)
{
    if (!raw_key_fingerprint(p, rec, fp))
        return false;
    ncc_keyset_prefetch(&p->keys, *fp);
    return true;
}

/* After the rules: the row's key into the set, E_DUPLICATE_KEY when it was there
 * already. raw_fp is key_early's, when have_raw_fp. 0, or -1 when out of memory. */
static int key_check(ncc_pass *p, const ncc_csv_record *rec, bool have_raw_fp, uint64_t raw_fp)
{
    uint64_t fp;
    if (!key_fingerprint_late(p, rec, have_raw_fp, raw_fp, &fp))
        return 0;
    int dup = ncc_keyset_add(&p->keys, fp);
    if (dup < 0)
        return -1;
    if (dup) {
        const ncc_schema *s = p->schema;
        char desc[400];
        describe_key(p, desc, sizeof desc);
        ncc_pass_report(p, NCC_E_DUPLICATE_KEY, p->line, s->cols[s->key_column].name,
                        "the key (%s) already appeared earlier in the file: each key must "
                        "appear once",
                        desc);
    }
    return 0;
}

/* ---- the row ---- */

/* A record the reader already refused (field count, size): E_FIELD_COUNT or
 * E_TOO_LONG, and the row is rejected. True when so. */
static bool refuse_record(ncc_pass *p, const ncc_csv_record *rec, int nheader)
{
    if (rec->nfields != nheader) {
        ncc_pass_report(p, NCC_E_FIELD_COUNT, p->line, NULL,
                        "line has %d values but the header has %d columns: check for an "
                        "unquoted comma in a value or a missing value",
                        rec->nfields, nheader);
    } else if (rec->oversize) {
        ncc_pass_report(p, NCC_E_TOO_LONG, p->line, NULL,
                        "the record is longer than %zu bytes in all: it cannot be a valid row",
                        p->cfg->schemas->record_bytes);
    } else {
        return false;
    }
    p->res->rows_rejected++;
    return true;
}

/* A valid row: into its groups, then to the sink. */
static void accept_row(ncc_pass *p)
{
    const ncc_schema *s = p->schema;
    int ag = ncc_pass_aggregate(p);
    if (ag == -2) {
        const ncc_column *uc = &s->cols[s->mtfm_units];
        ncc_pass_report(p, NCC_E_NUMBER, p->line, uc->name,
                        "%s %lld makes the units of this fin_year, organisation and technology "
                        "too large to count (over 9223372036854775807): check the value",
                        uc->name, (long long)p->v[s->mtfm_units].i);
        p->res->rows_rejected++;
        return;
    }
    p->res->rows_valid++;
    if (ag < 0) {
        ncc_pass_report(p, NCC_F_UNREADABLE, p->line, NULL,
                        "more than %zu distinct (fin_year, org_code, feed or technology) "
                        "groups: split the file",
                        p->cfg->schemas->groups);
        return;
    }
    if (p->sink && p->sink->row) {
        ncc_row row = {p->line, s, p->v};
        if (p->sink->row(p->sink->ctx, &row) != 0) {
            p->res->stopped = true;
            p->fatal = true;
        }
    }
}

/* One record after the header. 0, or -1 when out of memory. */
static int process_row(ncc_pass *p, ncc_csv_record *rec, int nheader)
{
    const ncc_schema *s = p->schema;
    p->line = rec->line;
    p->row_errors = 0;
    p->arena_used = 0;
    p->res->rows_read++;
    if (refuse_record(p, rec, nheader))
        return 0;
    /* the key's fingerprint from the raw fields, and its slot on its way to the cache
     * while the fields are checked */
    uint64_t raw_fp = 0;
    bool check_keys = s->nkey && !p->cfg->no_duplicate_check;
    bool have_raw_fp = check_keys && key_early(p, rec, &raw_fp);
    ncc_pass_check_fields(p, rec);
    if (s->rules)
        ncc_pass_apply_rules(p);
    if (check_keys && key_check(p, rec, have_raw_fp, raw_fp) < 0)
        return -1;
    if (p->row_errors) {
        p->res->rows_rejected++;
        return 0;
    }
    accept_row(p);
    return 0;
}

/* ---- the pass ---- */

/* The pass's buffers, sized for the widest kind. 0, or -1 when out of memory. */
static int pass_init(ncc_pass *p, const ncc_validate_config *cfg, const ncc_sink *sink,
                     ncc_file_result *res)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->sink = sink;
    p->res = res;
    p->errors_kept = cfg->errors_kept > 0 ? cfg->errors_kept : DEFAULT_ERRORS_KEPT;
    p->mtfm_code_len = cfg->mtfm_code ? strlen(cfg->mtfm_code) : 0;
    int maxcols = 0;
    for (int k = 0; k < cfg->schemas->nkinds; k++)
        if (cfg->schemas->kinds[k].ncols > maxcols)
            maxcols = cfg->schemas->kinds[k].ncols;
    p->bind = calloc((size_t)maxcols, sizeof(int));
    p->v = calloc((size_t)maxcols, sizeof(ncc_value));
    p->bad = calloc((size_t)maxcols, sizeof(bool));
    p->arena = malloc(NCC_PASS_ARENA_SIZE);
    p->totals = ncc_strmap_new(sizeof(ncc_pass_acc), cfg->schemas->groups);
    p->mtfm = ncc_strmap_new(sizeof(ncc_pass_acc), cfg->schemas->groups);
    return p->bind && p->v && p->bad && p->arena && p->totals && p->mtfm ? 0 : -1;
}

static void pass_free(ncc_pass *p)
{
    ncc_keyset_free(&p->keys);
    ncc_strmap_free(p->totals);
    ncc_strmap_free(p->mtfm);
    free(p->bind);
    free(p->v);
    free(p->bad);
    free(p->arena);
}

/* The header record (got: the reader's result for it): F_EMPTY, or bound (header.c);
 * then what the rows need: the rules' columns and the duplicate-key set. 0, or -1 when
 * out of memory. */
static int start_rows(ncc_pass *p, const ncc_source *src, const ncc_csv_record *hdr, int got)
{
    if (got == 0) {
        ncc_pass_report(p, NCC_F_EMPTY, 1, NULL, "the file is empty: a header row is required");
        return 0;
    }
    if (got < 0 || !ncc_pass_bind_header(p, hdr))
        return 0; /* the reader's error is reported at the end; a header error stops the file */
    ncc_pass_bind_rules(p);
    if (p->schema->nkey && !p->cfg->no_duplicate_check)
        return keys_init(p, src);
    return 0;
}

/* After the last record: the reader's error if any, the source's gzip and encoding
 * (W_ENCODING_FALLBACK), completeness and SHA-256, the groups. */
static void finish_pass(ncc_pass *p, ncc_csv *csv, ncc_source *src, int got)
{
    ncc_file_result *res = p->res;
    if (got < 0) {
        const char *m;
        long line;
        ncc_code c = ncc_csv_error(csv, &m, &line);
        ncc_pass_report(p, c, line, NULL, "%s", m);
    }
    res->gzip = ncc_source_is_gzip(src); /* known once the first bytes are read */
    if (ncc_source_fell_back(src)) {
        snprintf(res->encoding, sizeof res->encoding, "%s", ncc_source_encoding(src));
        ncc_pass_report(p, NCC_W_ENCODING_FALLBACK, 0, NULL,
                        "the file is not valid UTF-8: read as Windows-1252 (what Excel writes "
                        "as CSV); save as \"CSV UTF-8\" to avoid this");
    } else {
        snprintf(res->encoding, sizeof res->encoding, "%s", ncc_source_encoding(src));
    }
    if (got == 0 && !p->fatal) {
        res->complete = true;
        if (p->cfg->keep_sha256)
            ncc_source_sha256_hex(src, res->sha256);
    }
    ncc_pass_collect_groups(p);
}

int ncc_validate_file(const char *path, const ncc_validate_config *cfg, const ncc_sink *sink,
                      ncc_file_result *res)
{
    memset(res, 0, sizeof *res);
    res->path = strdup(path ? path : "");
    snprintf(res->encoding, sizeof res->encoding, "%s",
             cfg->encoding && strcmp(cfg->encoding, "auto") != 0 ? cfg->encoding : "UTF-8");
    ncc_pass p;
    int rc = -1;
    ncc_source *src = NULL;
    ncc_csv *csv = NULL;
    if (pass_init(&p, cfg, sink, res) < 0)
        goto out;
    int code;
    char msg[512];
    src = ncc_source_open(path, cfg->encoding, &code, msg, sizeof msg);
    if (!src) {
        ncc_pass_report(&p, code >= 0 ? (ncc_code)code : NCC_F_ENCODING, 0, NULL, "%s", msg);
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
    int nheader = got > 0 ? rec.nfields : 0;
    if (start_rows(&p, src, &rec, got) < 0)
        goto out;
    while (!p.fatal && got > 0) {
        got = ncc_csv_next(csv, &rec);
        if (got > 0 && p.sizing && ncc_source_text_bytes(src) != p.text_seen)
            keys_size(&p, ncc_source_text_bytes(src));
        if (got > 0 && process_row(&p, &rec, nheader) < 0)
            goto out;
    }
    finish_pass(&p, csv, src, got);
    rc = 0;
out:
    ncc_csv_free(csv);
    ncc_source_free(src);
    pass_free(&p);
    return rc;
}

/* ---- the result ---- */

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
