/*
 * fuzz_csvread.c - libFuzzer target for the CSV reader (etl/lib/reading/csvread.c
 * over libcsv) and the header binding of schema.c (fold, bind, PII names)
 * and rules/header.c (ncc_validate_peek_kind).
 *
 * Input layout: 3 option bytes, then the file.
 *   byte 0  field_max  (1, 8, 64, 4096 or 64 KiB)
 *   byte 1  record_max (1, 16, 256, 4096 or 64 KiB)
 *   byte 2  bits 0-2: columns_max (1, 2, 4, 16, 512);
 *           bit 6: the fast path scans with its portable byte loop, not SSE2;
 *           bit 7: read as WINDOWS-1252 instead of auto
 * Small limits reach the paths that cut records short; the limit of
 * libcsv's realloc hook is process-wide, so it is set anew by each
 * ncc_csv_new() and the two readers alive at a time (below) share limits.
 *
 * The schemas are loaded once (NCC_SCHEMA_DIR, else the project's).
 * Checked on every record: the contract of csvread.h (kept fields, NUL
 * terminators, trimmed values, lengths within the limits, start lines in
 * order, a sticky error with a located message); a simple input (see
 * simple_csv) whose values all fit field_max must not stop with
 * F_CSV_SYNTAX; and a second reader without the fast path (quote-free
 * lines split by csvread.c itself) must give the very same records, end or
 * error, read in step with the first (whose values, cut in place in its
 * read buffer, must not be disturbed by the second's reads).
 */
#include "fuzz_common.h"

#include <stdbool.h>
#include <zlib.h>

#include "shared/codes.h"
#include "reading/csvread.h"
#include "rules/schema.h"
#include "reading/source.h"
#include "rules/validate.h"

static ncc_schema_set schemas;

static const size_t field_maxes[] = {1, 8, 64, 4096, NCC_CSV_FIELD_MAX_DEFAULT};
/* 64 KiB stands for the 1 MiB default: the same for inputs of this size, and cheaper */
static const size_t record_maxes[] = {1, 16, 256, 4096, 65536};
static const int columns_maxes[] = {1, 2, 4, 16, NCC_CSV_COLUMNS_MAX_DEFAULT};
#define N(a) (sizeof a / sizeof a[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[1024];
    if (ncc_schema_set_load(NULL, &schemas, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_csvread: cannot load the schemas: %s\n", err);
        abort();
    }
    /* as in fuzz_validate: the same for inputs under 64 KiB, and much cheaper */
    if (schemas.record_bytes > 65536)
        schemas.record_bytes = 65536;
    fuzz_file_init();
    return 0;
}

/*
 * Whether d[0..n) is CSV of a simple form whose value lengths are known
 * without a parser: ASCII; each value between separators (',', LF, CR)
 * either holds no '"', or is exactly '"' + text without '"' + '"'. Sets
 * *longest to the longest value: the raw bytes of an unquoted one (its
 * spaces included, an upper bound), the text inside the quotes otherwise.
 */
FUZZ_NOCOV static bool simple_csv(const uint8_t *d, size_t n, size_t *longest)
{
    size_t start = 0;
    *longest = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && d[i] >= 0x80)
            return false;
        if (i < n && d[i] != ',' && d[i] != '\n' && d[i] != '\r')
            continue;
        size_t len = i - start, quotes = 0;
        for (size_t k = start; k < i; k++)
            quotes += d[k] == '"';
        if (quotes) {
            if (quotes != 2 || len < 2 || d[start] != '"' || d[i - 1] != '"')
                return false;
            len -= 2;
        }
        if (len > *longest)
            *longest = len;
        start = i + 1;
    }
    return true;
}

/*
 * The reference for gzip input: whether d[0..n) is a whole gzip stream of
 * one or more members, as gzip -d reads it (data after a member must be
 * another member; a stream that stops inside a member is truncated).
 * Inflated one-shot into a scratch buffer, apart from source.c's streaming;
 * counts the LF and CR bytes of the text into *lf and *cr (the line checks
 * below count the text, not its compressed form).
 */
FUZZ_NOCOV static bool gzip_whole(const uint8_t *d, size_t n, size_t *lf, size_t *cr)
{
    static unsigned char out[1 << 16];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        abort();
    zs.next_in = (unsigned char *)d;
    zs.avail_in = (uInt)n;
    bool whole = false;
    for (;;) {
        zs.next_out = out;
        zs.avail_out = sizeof out;
        int zr = inflate(&zs, Z_NO_FLUSH);
        for (const unsigned char *p = out; p < zs.next_out; p++) {
            *lf += *p == '\n';
            *cr += *p == '\r';
        }
        if (zr == Z_STREAM_END) {
            if (zs.avail_in == 0) {
                whole = true;
                break;
            }
            if (inflateReset(&zs) != Z_OK)
                break;
        } else if (zr != Z_OK || (zs.avail_in == 0 && zs.avail_out != 0)) {
            break; /* corrupt, or every byte consumed inside a member: truncated */
        }
    }
    inflateEnd(&zs);
    return whole;
}

/* Whether two records are the same: line, counts, flag, every kept value and its NUL. */
FUZZ_NOCOV static bool same_record(const ncc_csv_record *a, const ncc_csv_record *b)
{
    if (a->line != b->line || a->nfields != b->nfields || a->nkept != b->nkept ||
        a->oversize != b->oversize)
        return false;
    for (int i = 0; i < a->nkept; i++)
        if (a->len[i] != b->len[i] || memcmp(a->field[i], b->field[i], a->len[i] + 1) != 0)
            return false;
    return true;
}

/* Header binding of one record against every kind, with its invariants. */
static void bind_header(const ncc_csv_record *rec)
{
    for (int i = 0; i < rec->nkept; i++) {
        char folded[64];
        memset(folded, 0x55, sizeof folded);
        size_t n = ncc_schema_fold(rec->field[i], rec->len[i], folded, sizeof folded);
        FUZZ_EXPECT("schema-fold", n < sizeof folded, "folded length %zu does not fit", n);
        FUZZ_EXPECT("schema-fold", folded[n] == '\0', "folded name not terminated");
        FUZZ_EXPECT("schema-fold", n <= rec->len[i], "folding made the name longer (%zu > %u)", n,
                    rec->len[i]);
        for (size_t k = 0; k < n; k++)
            FUZZ_EXPECT("schema-fold",
                        !(folded[k] >= 'A' && folded[k] <= 'Z') && folded[k] != ' ' &&
                            folded[k] != '-',
                        "folded name keeps byte 0x%02x at %zu", (unsigned char)folded[k], k);
        if (n + 1 < sizeof folded) {
            char again[64];
            size_t n2 = ncc_schema_fold(folded, n, again, sizeof again);
            FUZZ_EXPECT("schema-fold", n2 == n && memcmp(again, folded, n) == 0,
                        "folding is not idempotent");
        }
        (void)ncc_schema_is_pii_name(&schemas, folded);
        for (int k = 0; k < schemas.nkinds; k++) {
            const ncc_schema *s = &schemas.kinds[k];
            int c = ncc_schema_bind(s, folded);
            if (c < 0)
                continue;
            FUZZ_EXPECT("schema-bind", c < s->ncols, "bind returned column %d of %d", c, s->ncols);
            FUZZ_EXPECT("schema-bind", !s->cols[c].derived, "a header bound to derived column %s",
                        s->cols[c].name);
            bool named = strcmp(s->cols[c].name, folded) == 0;
            for (int a = 0; a < s->cols[c].naliases && !named; a++)
                named = strcmp(s->cols[c].aliases[a], folded) == 0;
            FUZZ_EXPECT("schema-bind", named, "\"%s\" bound to %s, which does not have that name",
                        folded, s->cols[c].name);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    ncc_csv_limits lim = {field_maxes[data[0] % N(field_maxes)],
                          record_maxes[data[1] % N(record_maxes)],
                          columns_maxes[(data[2] & 7) % N(columns_maxes)]};
    bool simd = !(data[2] & 0x40);
    const char *enc = (data[2] & 0x80) ? "WINDOWS-1252" : NULL;
    data += 3;
    size -= 3;
    size_t newlines = 0, crs = 0, longest = 0;
    bool simple = simple_csv(data, size, &longest);
    /* gzip is detected by its magic bytes; the reference inflate judges the stream */
    bool gzip_magic = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    bool gzip_ok = gzip_magic && gzip_whole(data, size, &newlines, &crs);
    for (size_t i = 0; i < size && !gzip_magic; i++) {
        newlines += data[i] == '\n';
        crs += data[i] == '\r';
    }

    const char *path = fuzz_file_write(data, size);
    int code;
    char err[512];
    ncc_source *src = ncc_source_open(path, enc, &code, err, sizeof err);
    FUZZ_ASSERT(src != NULL, "cannot open the input: %s", err);
    ncc_csv *csv = ncc_csv_new(src, &lim);
    FUZZ_ASSERT(csv != NULL, "ncc_csv_new failed");
    ncc_csv_set_simd(csv, simd);
    /* the reference: libcsv for every line */
    ncc_source *ref_src = ncc_source_open(path, enc, &code, err, sizeof err);
    FUZZ_ASSERT(ref_src != NULL, "cannot open the input: %s", err);
    ncc_csv *ref = ncc_csv_new(ref_src, &lim);
    FUZZ_ASSERT(ref != NULL, "ncc_csv_new failed");
    ncc_csv_set_fast_path(ref, false);
    ncc_csv_record ref_rec;
    int ref_r;

    ncc_csv_record rec;
    long prev_line = 0;
    size_t records = 0;
    int r;
    while ((r = ncc_csv_next(csv, &rec)) == 1) {
        records++;
        ref_r = ncc_csv_next(ref, &ref_rec);
        FUZZ_EXPECT("csv-fast-path", ref_r == 1 && same_record(&rec, &ref_rec),
                    "record %zu (line %ld) differs without the fast path (%d, line %ld)",
                    records, rec.line, ref_r, ref_r == 1 ? ref_rec.line : -1L);
        /* a bare CR also ends a record (csvread.c), so two may start on one line */
        FUZZ_EXPECT("csv-records", records <= newlines + crs + 1, "%zu records from %zu lines",
                    records, newlines + 1);
        FUZZ_EXPECT("csv-line", rec.line >= prev_line && rec.line >= 1,
                    "record starts on line %ld after one on line %ld", rec.line, prev_line);
        FUZZ_EXPECT("csv-line", rec.line <= ncc_csv_lines(csv),
                    "record on line %ld, only %ld lines read", rec.line, ncc_csv_lines(csv));
        prev_line = rec.line;
        int want = rec.nfields < lim.columns_max ? rec.nfields : lim.columns_max;
        FUZZ_EXPECT("csv-kept", rec.nkept == want, "nkept %d, nfields %d, columns_max %d",
                    rec.nkept, rec.nfields, lim.columns_max);
        size_t total = 0;
        for (int i = 0; i < rec.nkept; i++) {
            const char *f = rec.field[i];
            uint32_t len = rec.len[i];
            FUZZ_EXPECT("csv-kept", f != NULL, "field %d is NULL", i);
            FUZZ_EXPECT("csv-nul", f[len] == '\0', "field %d (length %u) not NUL-terminated", i,
                        len);
            FUZZ_EXPECT("csv-field-limit", len <= lim.field_max,
                        "field %d has %u bytes, the limit is %zu", i, len, lim.field_max);
            if (len)
                FUZZ_EXPECT("csv-trim", f[0] != ' ' && f[len - 1] != ' ', "field %d is not trimmed",
                            i);
            total += len + 1;
        }
        if (!rec.oversize)
            FUZZ_EXPECT("csv-record-limit", total <= lim.record_max,
                        "%zu bytes kept, record_max %zu", total, lim.record_max);
        if (records == 1)
            bind_header(&rec);
        if (records & 1) /* touch every kept byte: reads are checked by ASan */
            for (int i = 0; i < rec.nkept; i++)
                for (uint32_t k = 0; k < rec.len[i]; k++)
                    ((volatile char *)rec.field[i])[k] ^= 0;
    }
    ref_r = ncc_csv_next(ref, &ref_rec);
    FUZZ_EXPECT("csv-fast-path", ref_r == r, "the end is %d, %d without the fast path", r, ref_r);
    if (r < 0 && ref_r < 0) {
        const char *msg, *ref_msg;
        long line, ref_line;
        ncc_code c = ncc_csv_error(csv, &msg, &line);
        ncc_code ref_c = ncc_csv_error(ref, &ref_msg, &ref_line);
        FUZZ_EXPECT("csv-fast-path", c == ref_c && line == ref_line && strcmp(msg, ref_msg) == 0,
                    "error %d on line %ld: %s\nwithout the fast path %d on line %ld: %s", (int)c,
                    line, msg, (int)ref_c, ref_line, ref_msg);
    }
    FUZZ_EXPECT("csv-fast-path", ncc_csv_lines(csv) == ncc_csv_lines(ref),
                "%ld lines read, %ld without the fast path", ncc_csv_lines(csv),
                ncc_csv_lines(ref));
    ncc_csv_free(ref);
    ncc_source_free(ref_src);
    if (r < 0) {
        const char *msg = NULL;
        long line = -1;
        ncc_code c = ncc_csv_error(csv, &msg, &line);
        /* every file error the byte source and the reader can raise, and F_GZIP only for gzip */
        FUZZ_EXPECT("csv-error",
                    c == NCC_F_CSV_SYNTAX || c == NCC_F_ENCODING || c == NCC_F_UNREADABLE ||
                        (c == NCC_F_GZIP && gzip_magic),
                    "error code %d (%s): %s", (int)c, ncc_code_name(c), msg ? msg : "(null)");
        FUZZ_EXPECT("csv-error", c != NCC_F_GZIP || !gzip_ok,
                    "F_GZIP on a whole gzip stream: %s", msg ? msg : "(null)");
        FUZZ_EXPECT("csv-error", msg && *msg, "error without a message");
        FUZZ_EXPECT("csv-field-limit",
                    !(c == NCC_F_CSV_SYNTAX && simple && longest <= lim.field_max),
                    "no value is longer than %zu bytes (the longest has %zu), yet: %s",
                    lim.field_max, longest, msg);
        FUZZ_EXPECT("csv-error", line >= 1 && line <= ncc_csv_lines(csv),
                    "error on line %ld of %ld: %s", line, ncc_csv_lines(csv), msg);
        FUZZ_EXPECT("csv-sticky", ncc_csv_next(csv, &rec) == -1, "a read after an error is not -1");
    } else {
        FUZZ_EXPECT("csv-gzip", !gzip_magic || gzip_ok,
                    "a corrupt or truncated gzip stream read to a clean end of file");
        FUZZ_EXPECT("csv-sticky", r == 0, "ncc_csv_next returned %d", r);
        FUZZ_EXPECT("csv-sticky", ncc_csv_next(csv, &rec) == 0, "a read after the end is not 0");
    }
    FUZZ_EXPECT("csv-line", ncc_csv_lines(csv) <= (long)newlines + 1,
                "%ld lines counted in %zu newlines", ncc_csv_lines(csv), newlines);
    ncc_csv_free(csv);
    ncc_source_free(src);

    /* kind detection from the header, with the schema limits */
    ncc_validate_config cfg = {0};
    cfg.schemas = &schemas;
    cfg.encoding = enc;
    const ncc_schema *kind = ncc_validate_peek_kind(path, &cfg);
    if (kind)
        FUZZ_EXPECT("validate-peek-kind",
                    kind >= schemas.kinds && kind < schemas.kinds + schemas.nkinds,
                    "peek_kind returned a foreign pointer");
    return 0;
}
