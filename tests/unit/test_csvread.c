/* Unit tests of csvread: records, line numbers, trimming, limits, syntax errors. */
#include <criterion/criterion.h>

#include "csvread.h"
#include "source.h"
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
