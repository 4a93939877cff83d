/* Unit tests of csvread: records, line numbers, trimming, limits, syntax errors. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>

#include "reading/csvread.h"
#include "reading/source.h"
#include "testutil.h"

typedef struct reader {
    char *path;
    ncc_source *src;
    ncc_csv *csv;
} reader;

static reader open_text(const char *text, const ncc_csv_limits *lim)
{
    reader r;
    int code;
    char err[256];
    r.path = tu_write_str(text);
    r.src = ncc_source_open(r.path, NULL, &code, err, sizeof err);
    cr_assert_not_null(r.src, "%s", err);
    r.csv = ncc_csv_new(r.src, lim);
    cr_assert_not_null(r.csv);
    return r;
}

static void close_reader(reader *r)
{
    ncc_csv_free(r->csv);
    ncc_source_free(r->src);
    tu_remove(r->path);
}

#define EXPECT_RECORD(r, rec, ln, n)                                                               \
    do {                                                                                           \
        cr_assert_eq(ncc_csv_next((r).csv, &(rec)), 1);                                            \
        cr_assert_eq((rec).line, (ln), "line %ld, expected %d", (rec).line, (ln));                 \
        cr_assert_eq((rec).nfields, (n), "fields %d, expected %d", (rec).nfields, (n));            \
    } while (0)

Test(csvread, lf_records_and_lines)
{
    reader r = open_text("a,b,c\n1,2,3\n4,5,6\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 3);
    cr_assert_str_eq(rec.field[0], "a");
    EXPECT_RECORD(r, rec, 2, 3);
    cr_assert_str_eq(rec.field[2], "3");
    EXPECT_RECORD(r, rec, 3, 3);
    cr_assert_eq(ncc_csv_next(r.csv, &rec), 0);
    close_reader(&r);
}

Test(csvread, crlf_and_no_final_newline)
{
    reader r = open_text("a,b\r\n1,\"x\"\r\n2,y", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    cr_assert_str_eq(rec.field[1], "b");
    cr_assert_eq(rec.len[1], 1);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_str_eq(rec.field[1], "x");
    EXPECT_RECORD(r, rec, 3, 2);
    cr_assert_str_eq(rec.field[1], "y");
    cr_assert_eq(ncc_csv_next(r.csv, &rec), 0);
    close_reader(&r);
}

Test(csvread, quoted_newlines_keep_start_line)
{
    reader r = open_text("h1,h2\n\"multi\nline\nvalue\",2\nnext,3\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_str_eq(rec.field[0], "multi\nline\nvalue");
    EXPECT_RECORD(r, rec, 5, 2);
    cr_assert_str_eq(rec.field[0], "next");
    close_reader(&r);
}

Test(csvread, quoted_commas_and_doubled_quotes)
{
    reader r = open_text("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_str_eq(rec.field[0], "x, y");
    cr_assert_str_eq(rec.field[1], "say \"hi\"");
    close_reader(&r);
}

Test(csvread, blank_lines_skipped_lines_counted)
{
    reader r = open_text("a,b\n\n1,2\n   \n\r\n3,4\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 3, 2);
    EXPECT_RECORD(r, rec, 6, 2);
    cr_assert_str_eq(rec.field[0], "3");
    cr_assert_eq(ncc_csv_next(r.csv, &rec), 0);
    close_reader(&r);
}

Test(csvread, spaces_trimmed_quoted_and_unquoted)
{
    reader r = open_text("a,b,c\n  RXX  ,\"  APC \" , \"\" \n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 3);
    EXPECT_RECORD(r, rec, 2, 3);
    cr_assert_str_eq(rec.field[0], "RXX");
    cr_assert_str_eq(rec.field[1], "APC");
    cr_assert_str_eq(rec.field[2], "");
    cr_assert_eq(rec.len[2], 0);
    close_reader(&r);
}

Test(csvread, empty_fields_counted)
{
    reader r = open_text("a,b,c\n,,\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 3);
    EXPECT_RECORD(r, rec, 2, 3);
    cr_assert_eq(rec.len[0] + rec.len[1] + rec.len[2], 0);
    close_reader(&r);
}

Test(csvread, unterminated_quote_at_eof)
{
    reader r = open_text("a,b\n1,2\n3,\"never closed\n4,5\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_eq(ncc_csv_next(r.csv, &rec), -1);
    const char *msg;
    long line;
    cr_assert_eq(ncc_csv_error(r.csv, &msg, &line), NCC_F_CSV_SYNTAX);
    cr_assert_eq(line, 3);
    cr_assert(strstr(msg, "line 3") != NULL, "%s", msg);
    cr_assert_eq(ncc_csv_next(r.csv, &rec), -1, "errors are sticky");
    close_reader(&r);
}

Test(csvread, stray_quote_is_syntax_error)
{
    reader r = open_text("a,b\n1,2\n3,ab\"c\n", NULL);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_eq(ncc_csv_next(r.csv, &rec), -1);
    long line;
    cr_assert_eq(ncc_csv_error(r.csv, NULL, &line), NCC_F_CSV_SYNTAX);
    cr_assert_eq(line, 3);
    close_reader(&r);
}

Test(csvread, field_longer_than_limit_stops_with_location)
{
    ncc_csv_limits lim = {64, 4096, 16};
    char text[512];
    snprintf(text, sizeof text, "a,b\n1,2\n\"%0200d\",3\n", 7);
    reader r = open_text(text, &lim);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_eq(ncc_csv_next(r.csv, &rec), -1);
    long line;
    const char *msg;
    cr_assert_eq(ncc_csv_error(r.csv, &msg, &line), NCC_F_CSV_SYNTAX);
    cr_assert_eq(line, 3);
    cr_assert(strstr(msg, "longer than 64 bytes") != NULL, "%s", msg);
    close_reader(&r);
}

Test(csvread, too_many_columns_counted_not_kept)
{
    ncc_csv_limits lim = {1024, 4096, 3};
    reader r = open_text("a,b,c\n1,2,3,4,5,6\n7,8,9\n", &lim);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 3);
    EXPECT_RECORD(r, rec, 2, 6);
    cr_assert_eq(rec.nkept, 3);
    EXPECT_RECORD(r, rec, 3, 3);
    cr_assert_str_eq(rec.field[2], "9");
    close_reader(&r);
}

Test(csvread, oversize_record_flagged_and_reader_goes_on)
{
    ncc_csv_limits lim = {100, 40, 8};
    reader r = open_text("a,b\n0123456789012345678901234567890,0123456789012345678901234567890\nx,y\n", &lim);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    cr_assert_not(rec.oversize);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert(rec.oversize);
    EXPECT_RECORD(r, rec, 3, 2);
    cr_assert_not(rec.oversize);
    cr_assert_str_eq(rec.field[1], "y");
    close_reader(&r);
}

Test(csvread, empty_file_is_end)
{
    reader r = open_text("", NULL);
    ncc_csv_record rec;
    cr_assert_eq(ncc_csv_next(r.csv, &rec), 0);
    close_reader(&r);
}

Test(csvread, many_records_across_read_chunks)
{
    size_t n = 100000;
    char *big = malloc(n * 16 + 16);
    size_t len = (size_t)sprintf(big, "k,v\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(big + len, "%zu,\"v%zu\"\n", i, i);
    char *path = tu_write_temp(big, len);
    int code;
    char err[256];
    ncc_source *src = ncc_source_open(path, NULL, &code, err, sizeof err);
    ncc_csv *csv = ncc_csv_new(src, NULL);
    ncc_csv_record rec;
    cr_assert_eq(ncc_csv_next(csv, &rec), 1);
    size_t count = 0;
    while (ncc_csv_next(csv, &rec) == 1) {
        cr_assert_eq(rec.line, (long)count + 2);
        char expect[32];
        sprintf(expect, "v%zu", count);
        cr_assert_str_eq(rec.field[1], expect);
        count++;
    }
    cr_assert_eq(count, n);
    ncc_csv_free(csv);
    ncc_source_free(src);
    tu_remove(path);
    free(big);
}

Test(csvread, field_of_exactly_the_limit_passes_one_more_fails_even_at_eof)
{
    ncc_csv_limits lim = {64, 4096, 16};
    char text[256];
    snprintf(text, sizeof text, "a,b\n%064d,x\n", 7);
    reader r = open_text(text, &lim);
    ncc_csv_record rec;
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_eq(rec.len[0], 64);
    close_reader(&r);

    snprintf(text, sizeof text, "a,b\n\"%064d\",x\n", 7); /* quoted, exactly the limit */
    r = open_text(text, &lim);
    EXPECT_RECORD(r, rec, 1, 2);
    EXPECT_RECORD(r, rec, 2, 2);
    cr_assert_eq(rec.len[0], 64);
    close_reader(&r);

    snprintf(text, sizeof text, "a\n%065d", 7); /* the last field, no newline */
    r = open_text(text, &lim);
    EXPECT_RECORD(r, rec, 1, 1);
    cr_assert_eq(ncc_csv_next(r.csv, &rec), -1);
    cr_assert_eq(ncc_csv_error(r.csv, NULL, NULL), NCC_F_CSV_SYNTAX);
    close_reader(&r);
}

/* ---- the fast path (quote-free lines split without libcsv) against libcsv ---- */

#define CHUNK (256 * 1024) /* READ_CHUNK of csvread.c: the reader's read size */

/* Printable form of s[0..n) for failure messages (static buffer). */
static const char *escaped(const char *s, size_t n)
{
    static char out[4096];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < sizeof out; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' && i + 1 < n)
            o += (size_t)snprintf(out + o, sizeof out - o, "\\n\n");
        else if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", ch);
    }
    out[o] = '\0';
    return out;
}

/* How a transcript is read: libcsv alone, or the fast path scanning with SSE2 (where the
 * target has it) or with its portable byte loop. */
typedef enum { READ_LIBCSV, READ_FAST_SIMD, READ_FAST_BYTES } read_mode;

static const char *const mode_name[] = {"libcsv", "fast path (SSE2)", "fast path (byte loop)"};

/* Everything the reader gives for data[0..n): each record (line, counts, flag, every kept
 * value with its terminator), then the end or the error, the lines read, a second call. */
static char *transcript(const void *data, size_t n, const ncc_csv_limits *lim, read_mode mode,
                        size_t *len)
{
    char *path = tu_write_temp(data, n);
    int code;
    char err[256];
    ncc_source *src = ncc_source_open(path, NULL, &code, err, sizeof err);
    cr_assert_not_null(src, "%s", err);
    ncc_csv *csv = ncc_csv_new(src, lim);
    cr_assert_not_null(csv);
    ncc_csv_set_fast_path(csv, mode != READ_LIBCSV);
    ncc_csv_set_simd(csv, mode == READ_FAST_SIMD);
    char *out;
    FILE *f = open_memstream(&out, len);
    cr_assert_not_null(f);
    ncc_csv_record rec;
    int r;
    while ((r = ncc_csv_next(csv, &rec)) == 1) {
        fprintf(f, "record line %ld nfields %d nkept %d oversize %d:", rec.line, rec.nfields,
                rec.nkept, rec.oversize);
        for (int i = 0; i < rec.nkept; i++) {
            fprintf(f, " [%u]", rec.len[i]);
            fwrite(rec.field[i], 1, rec.len[i] + 1, f);
        }
        fputc('\n', f);
    }
    if (r < 0) {
        const char *msg;
        long line;
        ncc_code c = ncc_csv_error(csv, &msg, &line);
        fprintf(f, "error %d line %ld: %s\n", (int)c, line, msg);
    } else {
        fprintf(f, "end %d\n", r);
    }
    fprintf(f, "lines %ld, then %d\n", ncc_csv_lines(csv), ncc_csv_next(csv, &rec));
    fclose(f);
    ncc_csv_free(csv);
    ncc_source_free(src);
    tu_remove(path);
    return out;
}

/* Requires the same transcript with the fast path on (both scans) and off; returns it
 * (caller frees) with its length in *tlen when tlen is not NULL. */
static char *same_both_ways_len(const void *data, size_t n, const ncc_csv_limits *lim,
                                size_t *tlen)
{
    size_t ll;
    char *slow = transcript(data, n, lim, READ_LIBCSV, &ll);
    char *kept = NULL;
    for (read_mode mode = READ_FAST_SIMD; mode <= READ_FAST_BYTES; mode++) {
        size_t lf;
        char *fast = transcript(data, n, lim, mode, &lf);
        if (lf != ll || memcmp(fast, slow, lf) != 0) {
            size_t at = 0;
            while (at < lf && at < ll && fast[at] == slow[at])
                at++;
            char in[2048], a[4096];
            snprintf(in, sizeof in, "%s", escaped(data, n < 512 ? n : 512));
            snprintf(a, sizeof a, "%s", escaped(fast, lf));
            cr_assert_fail("the %s differs from libcsv at byte %zu of the transcript\n"
                           "limits %zu/%zu/%d, input (%zu bytes): %s\n--- fast:\n%s\n"
                           "--- libcsv:\n%s",
                           mode_name[mode], at, lim ? lim->field_max : 0,
                           lim ? lim->record_max : 0, lim ? lim->columns_max : 0, n, in, a,
                           escaped(slow, ll));
        }
        if (kept)
            free(fast);
        else
            kept = fast;
    }
    free(slow);
    if (tlen)
        *tlen = ll;
    return kept;
}

static char *same_both_ways(const void *data, size_t n, const ncc_csv_limits *lim)
{
    return same_both_ways_len(data, n, lim, NULL);
}

/* Whether the transcript t (NUL bytes inside) holds the text s. */
static bool holds(const char *t, size_t tlen, const char *s)
{
    return memmem(t, tlen, s, strlen(s)) != NULL;
}

static const ncc_csv_limits diff_limits[] = {
    {NCC_CSV_FIELD_MAX_DEFAULT, NCC_CSV_RECORD_MAX_DEFAULT, NCC_CSV_COLUMNS_MAX_DEFAULT},
    {1, 1, 1},
    {2, 8, 3},
    {3, 5, 2},
    {4, 16, 4},
    {8, 12, 8},
};
#define NLIMITS (sizeof diff_limits / sizeof diff_limits[0])

static void same_with_every_limit(const char *data, size_t n)
{
    for (size_t i = 0; i < NLIMITS; i++)
        free(same_both_ways(data, n, &diff_limits[i]));
}

#define CASE(s) {s, sizeof s - 1}

Test(csvread_fast, same_as_libcsv_on_hand_picked_inputs)
{
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        CASE(""), CASE("\n"), CASE("\n\n\n"), CASE(" \n"), CASE("\t \t\n"), CASE(" \r\n"),
        CASE("\r\n"), CASE("\r\n\r\n"), CASE("a"), CASE("a\n"), CASE(" a \n"), CASE("  "),
        CASE("a,b\n  "), CASE("a,b"), CASE("a,b\r"), CASE("\ta\t,\tb \t\n"),
        CASE("a, b ,c\n"), CASE("a,b,\n"), CASE(",\n"), CASE(" , \n"), CASE(",,,\n"),
        CASE("\t,\t\r\n"), CASE("a b\t c, d \t e\n"), CASE("a,b\r\nc,d\r\n\r\ne,f\r\n"),
        CASE("a\rb\n"), CASE("a\r\rb\n"), CASE("\r"), CASE("\r\r\n"), CASE("a\r"),
        CASE("a\r\n\rb,c\r\r\n"), CASE(" \r \n"), CASE("a,\r,b\n"), CASE("a\0b,\0\n"),
        CASE("\0\n"), CASE(" \0 \n"), CASE("\0"), CASE("a,\0 ,\t\0\t\n\0,\0\n"),
        CASE("a,\"b\"\nc,d\n\"e\nf\",g\nh\n"), CASE("\"a\" , b\nc , \"d\"\r\ne,f\n"),
        CASE("a,b\nc,d\"e\nf,g\n"), CASE("a\nb\n\"c\nd\ne\n"), CASE("a,b\n\"x\"y\nz\n"),
        CASE("a\r\"b\"\nc\n"), CASE("\"\"\n,\n\" \"\n"), CASE("a\n\"b\r\nc\"\r\nd\r\n"),
        CASE("1,2,3,4,5,6\n7,8,9\n10,11,12,13,14,15,16,17\n"),
        CASE("abcdefgh,ijklmnop,qrstuvwx\nab,cd\n"), CASE("abc,de,f\n\"abc\",de,f\n"),
        CASE("  x  ,  y  \n  \"x\"  ,  \"y\"  \n"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_with_every_limit(cases[i].s, cases[i].n);
}

Test(csvread_fast, blank_and_space_lines_match_the_documented_records)
{
    const char text[] = "a,b\n\n \t \n\r\n , \n,x,\n \ty\t , z \r\n";
    char *t = same_both_ways(text, sizeof text - 1, NULL);
    const char *want = "record line 1 nfields 2 nkept 2 oversize 0: [1]a\0 [1]b\0\n"
                       "record line 5 nfields 2 nkept 2 oversize 0: [0]\0 [0]\0\n"
                       "record line 6 nfields 3 nkept 3 oversize 0: [0]\0 [1]x\0 [0]\0\n"
                       "record line 7 nfields 2 nkept 2 oversize 0: [1]y\0 [1]z\0\n"
                       "end 0\nlines 8, then 0\n";
    size_t wlen = 0;
    while (memcmp(want + wlen, "then 0\n", 7) != 0)
        wlen++;
    wlen += 7;
    cr_assert(memcmp(t, want, wlen) == 0, "%s", escaped(t, wlen));
    free(t);
}

/* Value lengths around the field limit, with trailing spaces (kept by libcsv until the
 * value ends) and leading ones (skipped), first, middle or last, LF or CRLF. */
Test(csvread_fast, values_around_the_field_limit)
{
    static const size_t limits[] = {1, 2, 7, 64, 4094, 4095, 4096, 4097, 8190, 8191, 8192, 12289};
    char *buf = malloc(3 * 20000);
    for (size_t li = 0; li < sizeof limits / sizeof limits[0]; li++) {
        ncc_csv_limits lim = {limits[li], 1 << 20, 8};
        for (size_t len = limits[li] > 2 ? limits[li] - 2 : 0; len <= limits[li] + 3; len++)
            for (int trail = 0; trail <= 3; trail++)
                for (int lead = 0; lead <= 1; lead++)
                    for (int where = 0; where < 3; where++)
                        for (int crlf = 0; crlf <= 1; crlf++) {
                            size_t n = 0;
                            n += (size_t)sprintf(buf, "h\n%s", where ? "p," : "");
                            memset(buf + n, ' ', (size_t)lead);
                            n += (size_t)lead;
                            memset(buf + n, 'v', len);
                            n += len;
                            memset(buf + n, where == 2 ? '\t' : ' ', (size_t)trail);
                            n += (size_t)trail;
                            n += (size_t)sprintf(buf + n, "%s%s1,2\n", where == 1 ? ",q" : "",
                                                 crlf ? "\r\n" : "\n");
                            size_t tl;
                            char *t = same_both_ways_len(buf, n, &lim, &tl);
                            /* libcsv fails when its buffer, the value and its trailing
                             * spaces (those before it are skipped), reaches limit + 2 bytes */
                            bool fits = len <= limits[li] &&
                                        (len == 0 || len + (size_t)trail < limits[li] + 2);
                            cr_assert_eq(!holds(t, tl, "longer than"), fits,
                                         "limit %zu, value %zu + %d spaces: %s", limits[li], len,
                                         trail, escaped(t, tl));
                            if (!fits)
                                cr_assert(holds(t, tl, "line 2: a value in the record starting "
                                                       "on line 2 is longer than"),
                                          "%s", escaped(t, tl));
                            free(t);
                        }
    }
    free(buf);
}

/* Special lines placed so that the reader's chunk boundary falls at every byte of them. */
static void across_the_chunk_boundary(const ncc_csv_limits *lim)
{
    static const char *special[] = {
        "abc,def\n",         "  abc , def \r\n", "     \n",          " \t , \t \n",
        "\"q,1\",x\n",       ",,,\n",            "a\rb\n",          "x\r\n",
        "\"m\nl\",2\r\n",    "a,b\"c\n",         "vvvvvvvvvvvvvvvvv,1\n", "vvvvvvvvvvvvvvvv  ,2\n",
    };
    size_t cap = CHUNK + 4096;
    char *buf = malloc(cap);
    for (size_t s = 0; s < sizeof special / sizeof special[0]; s++) {
        size_t slen = strlen(special[s]);
        for (size_t k = 0; k <= slen + 1; k++) {
            /* a first line of 80 to 143 bytes, then lines of 64: short values */
            size_t prefix = CHUNK - k, first = prefix - 64 * ((prefix - 80) / 64);
            for (size_t i = 0; i < prefix; i++) {
                size_t col = i < first ? i : (i - first) % 64;
                bool eol = i < first ? i == first - 1 : col == 63;
                buf[i] = eol ? '\n' : col % 8 == 7 ? ',' : 'x';
            }
            size_t n = prefix;
            for (int rep = 0; rep < 3; rep++) {
                memcpy(buf + n, special[s], slen);
                n += slen;
            }
            memcpy(buf + n, "end\n", 4);
            n += 4;
            free(same_both_ways(buf, n, lim));
        }
    }
    free(buf);
}

Test(csvread_fast, lines_across_the_chunk_boundary)
{
    across_the_chunk_boundary(NULL);
}

Test(csvread_fast, lines_across_the_chunk_boundary_small_limits)
{
    ncc_csv_limits small = {16, 64, 4};
    across_the_chunk_boundary(&small);
}

Test(csvread_fast, line_longer_than_a_chunk)
{
    size_t nf = 100000;
    char *buf = malloc(nf * 4 + 64);
    size_t n = (size_t)sprintf(buf, "a,b\n");
    for (size_t i = 0; i < nf; i++)
        n += (size_t)sprintf(buf + n, "%s", i % 3 ? "ab," : " c ,");
    n += (size_t)sprintf(buf + n, "z\r\nx,y\n");
    size_t tl;
    char *t = same_both_ways_len(buf, n, NULL, &tl);
    cr_assert(holds(t, tl, "line 2 nfields 100001 nkept 512"), "%s", escaped(t, tl));
    cr_assert(holds(t, tl, "line 3 nfields 2"), "%s", escaped(t, tl));
    free(t);
    ncc_csv_limits lim = {4, 64, 8};
    free(same_both_ways(buf, n, &lim));
    free(buf);
}

Test(csvread_fast, columns_and_record_limits)
{
    char buf[4096];
    size_t n = 0;
    for (int row = 0; row < 40; row++) {
        for (int col = 0; col <= row % 13; col++)
            n += (size_t)sprintf(buf + n, "%s%.*s", col ? "," : "", row % 7, "abcdefg");
        n += (size_t)sprintf(buf + n, row % 5 ? "\n" : "\r\n");
    }
    static const ncc_csv_limits lims[] = {{8, 1, 1}, {8, 2, 2},  {8, 7, 3},   {8, 8, 5},
                                          {8, 9, 12}, {8, 20, 4}, {8, 64, 13}, {8, 4096, 512}};
    for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++) {
        size_t tl;
        char *t = same_both_ways_len(buf, n, &lims[i], &tl);
        if (lims[i].record_max < 20)
            cr_assert(holds(t, tl, "oversize 1"));
        if (lims[i].columns_max < 13)
            cr_assert(holds(t, tl, "nfields 13 nkept"));
        free(t);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Small random files over {a, space, tab, ',', '"', CR, LF, NUL}; in half of them no quote,
 * so that whole files take the fast path. */
Test(csvread_fast, random_small_files)
{
    static const char alpha[] = "aaaa  \t,,,\"\r\n\n\0";
    static const ncc_csv_limits lims[] = {{1, 1, 1}, {2, 6, 2}, {3, 16, 3}, {4, 8, 5}, {6, 64, 8}};
    char buf[256];
    for (int file = 0; file < 3000; file++) {
        bool quotes = file & 1;
        size_t lines = 1 + rng() % 6, n = 0;
        for (size_t l = 0; l < lines; l++) {
            size_t len = rng() % 12;
            for (size_t i = 0; i < len; i++) {
                char ch;
                do
                    ch = alpha[rng() % (sizeof alpha - 1)];
                while (ch == '"' && !quotes);
                buf[n++] = ch;
            }
            if (l + 1 < lines || rng() % 4)
                buf[n++] = '\n';
        }
        free(same_both_ways(buf, n, &lims[(size_t)file % (sizeof lims / sizeof lims[0])]));
    }
}

/* Lines longer than a scan block (32 bytes), with a '"', a bare CR, a CRLF or a NUL at every
 * position, so that it falls at every place of a block and after values were already split:
 * the fast path must give such a line to libcsv untouched. */
Test(csvread_fast, specials_at_every_position_of_long_lines)
{
    static const char *special[] = {"\"", "\r", "\r\n", "\0", " \r", "\t", ",\r\n"};
    static const size_t slen[] = {1, 1, 2, 1, 2, 1, 3};
    static const ncc_csv_limits lims[] = {
        {NCC_CSV_FIELD_MAX_DEFAULT, NCC_CSV_RECORD_MAX_DEFAULT, NCC_CSV_COLUMNS_MAX_DEFAULT},
        {2, 8, 3},
        {4, 40, 6},
        {16, 64, 64}};
    char buf[512];
    for (size_t s = 0; s < sizeof special / sizeof special[0]; s++)
        for (size_t at = 0; at <= 100; at++)
            for (size_t li = 0; li < sizeof lims / sizeof lims[0]; li++) {
                /* a header, then a line of 100 bytes "ab,cd ,e,..." with the special at `at` */
                size_t n = (size_t)sprintf(buf, "h1,h2\n");
                for (size_t i = 0; i < 100; i++) {
                    if (i == at) {
                        memcpy(buf + n, special[s], slen[s]);
                        n += slen[s];
                    }
                    buf[n++] = i % 5 == 4 ? ',' : i % 7 == 6 ? ' ' : (char)('a' + i % 26);
                }
                n += (size_t)sprintf(buf + n, "%s\nlast,line\n", at == 100 ? special[s] : "");
                free(same_both_ways(buf, n, &lims[li]));
            }
}

/* Random files of lines up to 150 bytes (several scan blocks) over {a, space, tab, ',', '"',
 * CR, LF, NUL}, quotes rare so that most lines are split by the fast path, some after a
 * first look at them. */
Test(csvread_fast, random_files_of_long_lines)
{
    static const char alpha[] = "aaaaaaaa  \t,,,,\r\n\0";
    static const ncc_csv_limits lims[] = {{1, 1, 1},   {4, 16, 3},   {8, 64, 8},
                                          {16, 80, 40}, {64, 4096, 512}};
    char buf[2048];
    for (int file = 0; file < 2000; file++) {
        size_t lines = 1 + rng() % 8, n = 0;
        for (size_t l = 0; l < lines; l++) {
            size_t len = rng() % 150;
            for (size_t i = 0; i < len; i++)
                buf[n++] = rng() % 97 == 0 ? '"' : alpha[rng() % (sizeof alpha - 1)];
            if (l + 1 < lines || rng() % 4)
                buf[n++] = rng() % 3 ? '\n' : '\r';
        }
        free(same_both_ways(buf, n, &lims[(size_t)file % (sizeof lims / sizeof lims[0])]));
    }
}

/* Values are handed out writable (callers upper-case them in place) and stay as they are
 * until the next call, whichever path gave them; writing to them does not touch the next
 * record, nor does it when the next read refills the chunk. */
Test(csvread_fast, values_writable_in_place_until_the_next_call)
{
    size_t n = 40000, cap = n * 32 + 64;
    char *big = malloc(cap);
    size_t len = (size_t)sprintf(big, "k,v,w\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(big + len, i % 3 ? "%zu, abc%zu ,x\n" : "%zu,\"abc%zu\",x\r\n", i,
                               i);
    for (read_mode mode = READ_LIBCSV; mode <= READ_FAST_BYTES; mode++) {
        char *path = tu_write_temp(big, len);
        int code;
        char err[256];
        ncc_source *src = ncc_source_open(path, NULL, &code, err, sizeof err);
        ncc_csv *csv = ncc_csv_new(src, NULL);
        ncc_csv_set_fast_path(csv, mode != READ_LIBCSV);
        ncc_csv_set_simd(csv, mode == READ_FAST_SIMD);
        ncc_csv_record rec;
        cr_assert_eq(ncc_csv_next(csv, &rec), 1);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(ncc_csv_next(csv, &rec), 1);
            cr_assert_eq(rec.nkept, 3);
            char want[32];
            sprintf(want, "abc%zu", i);
            cr_assert_str_eq(rec.field[1], want, "%s, row %zu", mode_name[mode], i);
            cr_assert_str_eq(rec.field[2], "x");
            for (int f = 0; f < rec.nkept; f++) /* scribble over each value, keep its NUL */
                memset(rec.field[f], 'Z', rec.len[f]);
            sprintf(want, "%zu", i);
            cr_assert_eq(rec.len[0], strlen(want));
            cr_assert_eq(rec.field[2][0], 'Z');
        }
        cr_assert_eq(ncc_csv_next(csv, &rec), 0);
        ncc_csv_free(csv);
        ncc_source_free(src);
        tu_remove(path);
    }
    free(big);
}

/* The last read of a file is short: the bytes after it in the reader's buffer are left from
 * the read before (here lines full of LFs and commas) and must never be taken for the end
 * of an unterminated last line, at any length of it and any place in a scan block. */
Test(csvread_fast, short_last_read_after_stale_bytes)
{
    static const char *tails[] = {"x", "ab,cd", " a , b \r", "a,\"b\"", "  ", "a\rb"};
    char *buf = malloc(CHUNK + 128);
    /* lines of 6 bytes, the last one ending the chunk; the reader cuts their values in place
     * with '\0' over the ',' and the blank, so their LFs stay in the buffer */
    size_t shift = 5 - (CHUNK - 1) % 6;
    for (size_t i = 0; i < CHUNK; i++)
        buf[i] = "ab,c \n"[(i + shift) % 6];
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++)
        for (size_t pad = 0; pad < 70; pad++) {
            /* the last chunk: the tail after `pad` bytes of a value, then no LF */
            size_t n = CHUNK;
            memset(buf + n, 'v', pad);
            n += pad;
            memcpy(buf + n, tails[t], strlen(tails[t]));
            n += strlen(tails[t]);
            free(same_both_ways(buf, n, NULL));
            ncc_csv_limits small = {8, 32, 3};
            free(same_both_ways(buf, n, &small));
        }
    free(buf);
}
