/*
 * test_source.c - unit tests of the byte source: BOM, UTF-8 validation and
 * its error offsets, the auto fallback to Windows-1252, explicit iconv
 * encodings, gzip (concatenated, truncated, corrupt), sequences straddling
 * read and buffer boundaries, open errors and the SHA-256 of the raw bytes.
 * Every input file is written to a directory made with mkdtemp per test.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "shared/codes.h"
#include "shared/sha256.h"
#include "reading/source.h"

#define BUFSZ NCC_SOURCE_BUFSIZE

/* ---- fixture: one temporary directory per test -------------------------- */

static char tmpdir[64];
static char pathbuf[8][256];
static int pathnext;

static void setup(void)
{
    strcpy(tmpdir, "/tmp/ncc-test-source-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

static void teardown(void)
{
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
}

TestSuite(source, .init = setup, .fini = teardown);

/* Path of name inside the test directory (static, a few live at once). */
static const char *tpath(const char *name)
{
    char *p = pathbuf[pathnext++ % 8];
    snprintf(p, sizeof pathbuf[0], "%s/%s", tmpdir, name);
    return p;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "cannot create %s", p);
    if (len)
        cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return p;
}

static const char *write_str(const char *name, const char *s)
{
    return write_file(name, s, strlen(s));
}

/* One gzip member of data (deflate with windowBits 31); caller frees. */
static unsigned char *gzip_member(const void *data, size_t len, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)len) + 64;
    unsigned char *out = malloc(cap);
    cr_assert_not_null(out);
    zs.next_in = (unsigned char *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *outlen = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* ---- reading a whole file ----------------------------------------------- */

typedef struct result {
    ssize_t rc; /* the last read: 0 (end) or -1 (error) */
    char *data; /* everything read before it (caller frees) */
    size_t len;
    ncc_code code; /* after -1 */
    char msg[512];
    char enc[64];
    bool fell_back, gzip;
    uint64_t raw;
    uint64_t hint; /* ncc_source_size_hint, the same before and after reading */
    char sha[65];
} result;

/* Open path (must succeed) and read it to the end or the first error in reads of cap. */
static result run(const char *path, const char *encoding, size_t cap)
{
    result r;
    int code = 12345;
    char err[512] = "";

    memset(&r, 0, sizeof r);
    ncc_source *src = ncc_source_open(path, encoding, &code, err, sizeof err);
    cr_assert_not_null(src, "open %s: %s", path, err);
    ncc_source_keep_sha256(src);
    r.hint = ncc_source_size_hint(src);

    char *buf = malloc(cap); /* exactly cap: overruns show under valgrind */
    size_t alloc = 4096;
    r.data = malloc(alloc);
    cr_assert(buf && r.data);
    for (;;) {
        ssize_t n = ncc_source_read(src, buf, cap);
        if (n <= 0) {
            r.rc = n;
            break;
        }
        cr_assert_leq((size_t)n, cap);
        if (r.len + (size_t)n > alloc) {
            while (r.len + (size_t)n > alloc)
                alloc *= 2;
            r.data = realloc(r.data, alloc);
            cr_assert_not_null(r.data);
        }
        memcpy(r.data + r.len, buf, (size_t)n);
        r.len += (size_t)n;
    }
    if (r.rc < 0) {
        const char *m = NULL;
        r.code = ncc_source_error(src, &m);
        cr_assert_not_null(m);
        snprintf(r.msg, sizeof r.msg, "%s", m);
        cr_assert_eq(ncc_source_read(src, buf, cap), -1, "errors are sticky");
    } else {
        cr_assert_eq(ncc_source_read(src, buf, cap), 0, "end of file is sticky");
    }
    snprintf(r.enc, sizeof r.enc, "%s", ncc_source_encoding(src));
    r.fell_back = ncc_source_fell_back(src);
    r.gzip = ncc_source_is_gzip(src);
    r.raw = ncc_source_raw_bytes(src);
    cr_assert_eq(ncc_source_text_bytes(src), r.len, "text bytes count what was handed out");
    cr_assert_eq(ncc_source_size_hint(src), r.hint, "the hint does not depend on reading");
    ncc_source_sha256_hex(src, r.sha);
    free(buf);
    ncc_source_free(src);
    return r;
}

static void expect_text(const result *r, const void *want, size_t wantlen)
{
    cr_assert_eq(r->rc, 0, "read failed: %s", r->msg);
    cr_assert_eq(r->len, wantlen, "got %zu bytes, expected %zu", r->len, wantlen);
    cr_assert(memcmp(r->data, want, wantlen) == 0, "decoded text differs");
}

static void expect_error(const result *r, ncc_code code, const char *needle)
{
    cr_assert_eq(r->rc, -1, "expected an error, read ended cleanly after %zu bytes", r->len);
    cr_assert_eq(r->code, code, "code %s, expected %s (%s)", ncc_code_name(r->code),
                 ncc_code_name(code), r->msg);
    if (needle)
        cr_assert_not_null(strstr(r->msg, needle), "message \"%s\" lacks \"%s\"", r->msg, needle);
}

static void sha_hex(const void *data, size_t len, char hex[65])
{
    ncc_sha256 ctx;
    ncc_sha256_init(&ctx);
    ncc_sha256_update(&ctx, data, len);
    ncc_sha256_final_hex(&ctx, hex);
}

/* Appends a random-ish mix of 1- to 4-byte UTF-8 characters to b until len >= target. */
static size_t append_mixed(char *b, size_t len, size_t target, unsigned *seed)
{
    static const char *const pieces[] = {"a",   "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                         "bc,", "\n",       "\xd0\x96",     "0123456789abcdefghij"};
    while (len < target) {
        *seed = *seed * 1103515245u + 12345u;
        const char *p = pieces[(*seed >> 16) % 8];
        size_t n = strlen(p);
        memcpy(b + len, p, n);
        len += n;
    }
    return len;
}

/*
 * About 3.2 buffers of mixed UTF-8 in which a 4-, a 3- and a 2-byte
 * character straddle the first three multiples of NCC_SOURCE_BUFSIZE.
 * Caller frees.
 */
static char *make_straddling_utf8(size_t *lenp)
{
    char *b = malloc(4 * BUFSZ);
    unsigned seed = 7;
    size_t len = 0;

    cr_assert_not_null(b);
    memset(b, 'x', BUFSZ - 2);
    len = BUFSZ - 2;
    memcpy(b + len, "\xf0\x9f\x98\x80", 4); /* 2 | 2 */
    len += 4;
    len = append_mixed(b, len, 2 * BUFSZ - 40, &seed);
    while (len < 2 * BUFSZ - 1)
        b[len++] = 'y';
    memcpy(b + len, "\xe2\x82\xac", 3); /* 1 | 2 */
    len += 3;
    len = append_mixed(b, len, 3 * BUFSZ - 40, &seed);
    while (len < 3 * BUFSZ - 1)
        b[len++] = 'z';
    memcpy(b + len, "\xc3\xa9", 2); /* 1 | 1 */
    len += 2;
    len = append_mixed(b, len, 3 * BUFSZ + BUFSZ / 5, &seed);
    *lenp = len;
    return b;
}

/* ---- plain UTF-8 ---------------------------------------------------------- */

Test(source, plain_ascii)
{
    const char *text = "fin_year,org_code,cost\n202324,RXX,12.50\n";
    result r = run(write_str("a.csv", text), NULL, 4096);
    expect_text(&r, text, strlen(text));
    cr_assert_str_eq(r.enc, "UTF-8");
    cr_assert_not(r.fell_back);
    cr_assert_not(r.gzip);
    cr_assert_eq(r.raw, strlen(text));
    free(r.data);
}

Test(source, plain_ascii_small_cap_and_auto_name)
{
    const char *text = "0123456789abcdefghijklmnopqrstuvwxyz,0123456789\n";
    result r = run(write_str("a.csv", text), "AUTO", 16);
    expect_text(&r, text, strlen(text));
    cr_assert_str_eq(r.enc, "UTF-8");
    free(r.data);
}

Test(source, empty_file_ends_at_once)
{
    result r = run(write_file("e.csv", "", 0), NULL, 64);
    expect_text(&r, "", 0);
    cr_assert_eq(r.raw, 0);
    cr_assert_str_eq(r.sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    free(r.data);
}

Test(source, bom_is_stripped)
{
    result r = run(write_str("b.csv", "\xef\xbb\xbf"
                                      "a,b\n1,\xc3\xa9\n"),
                   NULL, 64);
    expect_text(&r, "a,b\n1,\xc3\xa9\n", 9);
    cr_assert_str_eq(r.enc, "UTF-8");
    cr_assert_not(r.fell_back);
    cr_assert_eq(r.raw, 12, "raw bytes count the BOM");
    free(r.data);
}

Test(source, bom_is_stripped_in_explicit_utf8)
{
    result r = run(write_str("b.csv", "\xef\xbb\xbfx\n"), "utf-8", 16);
    expect_text(&r, "x\n", 2);
    cr_assert_str_eq(r.enc, "UTF-8");
    free(r.data);
}

Test(source, bom_only_file_reads_nothing)
{
    result r = run(write_str("b.csv", "\xef\xbb\xbf"), NULL, 64);
    expect_text(&r, "", 0);
    free(r.data);
}

Test(source, bom_prefix_alone_is_windows1252)
{
    /* EF BB and nothing else: not a BOM, not UTF-8 */
    result r = run(write_str("b.csv", "\xef\xbb"), NULL, 64);
    expect_text(&r, "\xc3\xaf\xc2\xbb", 4);
    cr_assert(r.fell_back);
    free(r.data);
}

Test(source, only_leading_bom_is_stripped)
{
    const char *text = "a\xef\xbb\xbf"
                       "b\n";
    result r = run(write_str("b.csv", text), NULL, 64);
    expect_text(&r, text, strlen(text));
    free(r.data);
}

Test(source, multibyte_split_between_small_reads)
{
    const char *text = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
                       "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xc3\xa9\xc3\xa9yz\n";
    for (size_t cap = 16; cap <= 24; cap++) {
        result r = run(write_str("m.csv", text), NULL, cap);
        expect_text(&r, text, strlen(text));
        cr_assert_str_eq(r.enc, "UTF-8");
        cr_assert_not(r.fell_back);
        free(r.data);
    }
}

Test(source, multibyte_straddling_file_blocks)
{
    size_t len;
    char *text = make_straddling_utf8(&len);
    const char *p = write_file("big.csv", text, len);
    static const size_t caps[] = {16, 17, 65536 + 7, BUFSZ, 2 * BUFSZ + 3};

    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        result r = run(p, NULL, caps[i]);
        expect_text(&r, text, len);
        cr_assert_not(r.fell_back, "cap %zu", caps[i]);
        cr_assert_eq(r.raw, len);
        free(r.data);
    }
    result r = run(p, "UTF8", 100);
    expect_text(&r, text, len);
    free(r.data);
    free(text);
}

/* The first non-ASCII byte is the last byte of the first block. */
Test(source, auto_decides_utf8_across_block_boundary)
{
    char *b = malloc(BUFSZ + 8);
    memset(b, 'q', BUFSZ - 1);
    memcpy(b + BUFSZ - 1, "\xc3\xa9z\n", 4);
    result r = run(write_file("d.csv", b, BUFSZ + 3), NULL, 4096);
    expect_text(&r, b, BUFSZ + 3);
    cr_assert_not(r.fell_back);
    cr_assert_str_eq(r.enc, "UTF-8");
    free(r.data);
    free(b);
}

/* E9 80 is a valid prefix cut by the block end; the next byte breaks it. */
Test(source, auto_falls_back_across_block_boundary)
{
    char *b = malloc(BUFSZ + 8);
    memset(b, 'q', BUFSZ - 1);
    memcpy(b + BUFSZ - 1, "\xe9\x80x\n", 4);
    result r = run(write_file("d.csv", b, BUFSZ + 3), NULL, 4096);
    cr_assert_eq(r.rc, 0, "%s", r.msg);
    cr_assert_eq(r.len, BUFSZ - 1 + 2 + 3 + 2);
    cr_assert(memcmp(r.data, b, BUFSZ - 1) == 0);
    cr_assert(memcmp(r.data + BUFSZ - 1, "\xc3\xa9\xe2\x82\xacx\n", 7) == 0);
    cr_assert(r.fell_back);
    cr_assert_str_eq(r.enc, "WINDOWS-1252");
    free(r.data);
    free(b);
}

/* ---- UTF-8 errors ------------------------------------------------------- */

Test(source, utf8_invalid_byte_after_valid_multibyte)
{
    /* h C3A9 l l o ' ' E282AC ' ' x FF y: the FF is at offset 12 */
    const char *text = "h\xc3\xa9llo \xe2\x82\xac x\xffy\n";
    result r = run(write_str("u.csv", text), NULL, 64);
    expect_error(&r, NCC_F_ENCODING, "byte 0xFF at offset 12 is not valid UTF-8");
    cr_assert_not(r.fell_back);
    cr_assert_str_eq(r.enc, "UTF-8");
    free(r.data);
}

Test(source, utf8_error_offset_counts_bom_and_earlier_blocks)
{
    char *b = malloc(BUFSZ + 64);
    size_t len = 0;
    memcpy(b, "\xef\xbb\xbf\xc3\xa9", 5);
    len = 5;
    memset(b + len, 'k', BUFSZ);
    len += BUFSZ;
    memcpy(b + len, "\xc3\x28", 2); /* C3 then '(' */
    len += 2;
    result r = run(write_file("u.csv", b, len), NULL, 1000);
    char want[96];
    snprintf(want, sizeof want, "byte 0xC3 at offset %d is not valid UTF-8", BUFSZ + 5);
    expect_error(&r, NCC_F_ENCODING, want);
    free(r.data);
    free(b);
}

Test(source, utf8_invalid_sequences_after_commit)
{
    static const char *const bad[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* lead byte past F4 */
        "\x80",             /* stray continuation */
        "\xc3(",            /* lead then ASCII */
        "\xfe",             /* never in UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[32];
        snprintf(text, sizeof text, "\xc3\xa9%s tail", bad[i]);
        result r = run(write_str("v.csv", text), NULL, 16);
        char want[64];
        snprintf(want, sizeof want, "byte 0x%02X at offset 2 is not valid UTF-8",
                 (unsigned char)bad[i][0]);
        expect_error(&r, NCC_F_ENCODING, want);
        cr_assert_not(r.fell_back, "case %zu", i);
        free(r.data);
    }
}

Test(source, utf8_truncated_sequence_at_eof)
{
    result r = run(write_str("t.csv", "\xc3\xa9x\xe2\x82"), NULL, 16);
    expect_error(&r, NCC_F_ENCODING, "incomplete UTF-8 sequence at end of file");
    cr_assert_not_null(strstr(r.msg, "offset 3"), "%s", r.msg);
    free(r.data);
}

Test(source, bom_commits_to_utf8)
{
    result r = run(write_str("t.csv", "\xef\xbb\xbf"
                                      "caf\xe9\n"),
                   NULL, 64);
    expect_error(&r, NCC_F_ENCODING, "byte 0xE9 at offset 6 is not valid UTF-8");
    cr_assert_not(r.fell_back);
    free(r.data);
}

Test(source, explicit_utf8_never_falls_back)
{
    result r = run(write_str("x.csv", "caf\xe9\n"), "utf8", 64);
    expect_error(&r, NCC_F_ENCODING, "byte 0xE9 at offset 3 is not valid UTF-8");
    cr_assert_not(r.fell_back);
    cr_assert_str_eq(r.enc, "UTF-8");
    free(r.data);
}

/* ---- Windows-1252 and other encodings ------------------------------------ */

Test(source, auto_falls_back_to_windows1252)
{
    result r = run(write_str("w.csv", "caf\xe9,\x80 5\n"), NULL, 64);
    expect_text(&r, "caf\xc3\xa9,\xe2\x82\xac 5\n", 12);
    cr_assert(r.fell_back);
    cr_assert_str_eq(r.enc, "WINDOWS-1252");
    free(r.data);
}

Test(source, auto_falls_back_when_lead_byte_ends_file)
{
    result r = run(write_str("w.csv", "caf\xe9"), NULL, 16);
    expect_text(&r, "caf\xc3\xa9", 5);
    cr_assert(r.fell_back);
    free(r.data);
}

Test(source, fallback_converts_with_small_buffers)
{
    /* every byte grows: 0x80 is 3 bytes of UTF-8 */
    char *b = malloc(BUFSZ + 100);
    char *want = malloc(3 * (BUFSZ + 100));
    size_t n = 0, w = 0;
    b[n++] = 'A';
    want[w++] = 'A';
    while (n < BUFSZ + 50) {
        b[n++] = (char)0x80;
        memcpy(want + w, "\xe2\x82\xac", 3);
        w += 3;
        b[n++] = (char)0xe9;
        memcpy(want + w, "\xc3\xa9", 2);
        w += 2;
        b[n++] = ';';
        want[w++] = ';';
    }
    const char *p = write_file("w.csv", b, n);
    static const size_t caps[] = {16, 17, 18, 4099};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        result r = run(p, NULL, caps[i]);
        expect_text(&r, want, w);
        cr_assert(r.fell_back);
        free(r.data);
    }
    free(b);
    free(want);
}

Test(source, fallback_rejects_bytes_undefined_in_windows1252)
{
    /* 0x81 has no character in Windows-1252 (glibc) */
    result r = run(write_str("w.csv", "ab\xe9"
                                      "cd\x81xyz\n"),
                   NULL, 64);
    expect_error(&r, NCC_F_ENCODING, "byte 0x81 at offset 5 is not valid WINDOWS-1252");
    cr_assert(r.fell_back);
    cr_assert_str_eq(r.enc, "WINDOWS-1252");
    free(r.data);
}

Test(source, explicit_windows1252)
{
    result r = run(write_str("w.csv", "caf\xe9 \x80\n"), "windows-1252", 64);
    expect_text(&r, "caf\xc3\xa9 \xe2\x82\xac\n", 10);
    cr_assert_not(r.fell_back, "explicit is not a fallback");
    cr_assert_str_eq(r.enc, "WINDOWS-1252");
    free(r.data);
}

Test(source, explicit_windows1252_converts_valid_utf8_bytes_too)
{
    /* C3 A9 read as Windows-1252 is two characters */
    result r = run(write_str("w.csv", "\xc3\xa9"), "WINDOWS-1252", 64);
    expect_text(&r, "\xc3\x83\xc2\xa9", 4);
    free(r.data);
}

Test(source, explicit_iso8859_1)
{
    result r = run(write_str("l.csv", "caf\xe9 \x80\n"), "ISO-8859-1", 64);
    expect_text(&r, "caf\xc3\xa9 \xc2\x80\n", 9);
    cr_assert_str_eq(r.enc, "ISO-8859-1");
    cr_assert_not(r.fell_back);
    free(r.data);
}

Test(source, explicit_encoding_name_is_upper_cased)
{
    result r = run(write_str("l.csv", "x\n"), "latin1", 64);
    expect_text(&r, "x\n", 2);
    cr_assert_str_eq(r.enc, "LATIN1");
    free(r.data);
}

Test(source, explicit_multibyte_encoding_straddles_blocks)
{
    /* EUC-JP "a" + HIRAGANA A (A4 A2): 3-byte period, so block ends split characters */
    size_t reps = BUFSZ / 3 * 2 + 5, n = 0, w = 0;
    char *b = malloc(reps * 3);
    char *want = malloc(reps * 4);
    for (size_t i = 0; i < reps; i++) {
        memcpy(b + n, "a\xa4\xa2", 3);
        n += 3;
        memcpy(want + w, "a\xe3\x81\x82", 4);
        w += 4;
    }
    const char *p = write_file("j.csv", b, n);
    static const size_t caps[] = {16, 4097};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        result r = run(p, "EUC-JP", caps[i]);
        expect_text(&r, want, w);
        cr_assert_str_eq(r.enc, "EUC-JP");
        free(r.data);
    }
    free(b);
    free(want);
}

Test(source, explicit_encoding_invalid_byte)
{
    /* A4 starts a two-byte character; a space cannot end it */
    result r = run(write_str("j.csv", "ab\xa4 z"), "euc-jp", 64);
    expect_error(&r, NCC_F_ENCODING, "byte 0xA4 at offset 2 is not valid EUC-JP");
    free(r.data);
}

Test(source, explicit_encoding_incomplete_at_eof)
{
    result r = run(write_file("h.csv", "a\0b", 3), "UTF-16LE", 64);
    expect_error(&r, NCC_F_ENCODING, "incomplete UTF-16LE sequence at end of file");
    cr_assert_not_null(strstr(r.msg, "offset 2"), "%s", r.msg);
    free(r.data);
}

Test(source, explicit_utf16_bom_is_stripped)
{
    result r = run(write_file("h.csv",
                              "\xff\xfe"
                              "a\0,\0\xe9\0",
                              8),
                   "UTF-16LE", 64);
    expect_text(&r, "a,\xc3\xa9", 4);
    free(r.data);
}

Test(source, unknown_encoding_fails_open)
{
    int code = 0;
    char err[256] = "";
    const char *p = write_str("a.csv", "x\n");

    cr_assert_null(ncc_source_open(p, "NOPE-123", &code, err, sizeof err));
    cr_assert_eq(code, -1);
    cr_assert_not_null(strstr(err, "unknown encoding \"NOPE-123\""), "%s", err);

    code = 0;
    cr_assert_null(ncc_source_open(p, "", &code, err, sizeof err));
    cr_assert_eq(code, -1, "an empty name is not the locale's charset");
}

/* ---- gzip --------------------------------------------------------------- */

Test(source, gzip_round_trip)
{
    size_t len, gzlen;
    char *text = make_straddling_utf8(&len);
    unsigned char *gz = gzip_member(text, len, &gzlen);
    const char *p = write_file("big.csv", gz, gzlen); /* no .gz: magic bytes decide */
    char want_sha[65];
    sha_hex(gz, gzlen, want_sha);

    static const size_t caps[] = {16, 65536 + 1};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        result r = run(p, NULL, caps[i]);
        expect_text(&r, text, len);
        cr_assert(r.gzip);
        cr_assert_not(r.fell_back);
        cr_assert_eq(r.raw, gzlen, "raw bytes are the compressed bytes");
        cr_assert_str_eq(r.sha, want_sha, "sha256 is of the compressed bytes");
        free(r.data);
    }
    free(gz);
    free(text);
}

Test(source, gzip_small_file)
{
    size_t gzlen;
    unsigned char *gz = gzip_member("a,b\n", 4, &gzlen);
    result r = run(write_file("s.gz", gz, gzlen), NULL, 16);
    expect_text(&r, "a,b\n", 4);
    cr_assert(r.gzip);
    free(r.data);
    free(gz);
}

Test(source, gzip_of_empty_file_is_empty)
{
    size_t gzlen;
    unsigned char *gz = gzip_member("", 0, &gzlen);
    result r = run(write_file("e.gz", gz, gzlen), NULL, 16);
    expect_text(&r, "", 0);
    cr_assert(r.gzip);
    free(r.data);
    free(gz);
}

Test(source, gz_name_without_magic_is_plain)
{
    result r = run(write_str("plain.csv.gz", "\x1f,x\n"), NULL, 16);
    expect_text(&r, "\x1f,x\n", 4);
    cr_assert_not(r.gzip);
    free(r.data);
}

Test(source, gzip_concatenated_members)
{
    size_t l1, l2;
    unsigned char *g1 = gzip_member("\xef\xbb\xbfhello, ", 10, &l1);
    unsigned char *g2 = gzip_member("w\xc3\xb6rld\n", 7, &l2);
    unsigned char *both = malloc(l1 + l2);
    memcpy(both, g1, l1);
    memcpy(both + l1, g2, l2);
    result r = run(write_file("two.gz", both, l1 + l2), NULL, 16);
    expect_text(&r, "hello, w\xc3\xb6rld\n", 14);
    cr_assert_eq(r.raw, l1 + l2);
    free(r.data);
    free(both);
    free(g1);
    free(g2);
}

Test(source, gzip_many_large_members)
{
    size_t len;
    char *text = make_straddling_utf8(&len);
    /* cut into members at places that split characters */
    size_t cuts[] = {0, 1, 1000, BUFSZ - 1, BUFSZ + 1, 2 * BUFSZ + 2, len};
    size_t total = 0, cap = 0;
    unsigned char *all = NULL;
    for (size_t i = 0; i + 1 < sizeof cuts / sizeof cuts[0]; i++) {
        size_t gl;
        unsigned char *g = gzip_member(text + cuts[i], cuts[i + 1] - cuts[i], &gl);
        if (total + gl > cap) {
            cap = (total + gl) * 2;
            all = realloc(all, cap);
        }
        memcpy(all + total, g, gl);
        total += gl;
        free(g);
    }
    result r = run(write_file("many.gz", all, total), NULL, 4096);
    expect_text(&r, text, len);
    free(r.data);
    free(all);
    free(text);
}

/*
 * A first member of exactly NCC_SOURCE_BUFSIZE compressed bytes (padded with
 * a gzip header comment), so that it ends where the first raw read ends.
 */
Test(source, gzip_member_ends_at_read_block_boundary)
{
    size_t len = BUFSZ / 2, l1, l2, pad;
    char *text = malloc(len);
    unsigned s = 99;
    for (size_t i = 0; i < len; i++) {
        s = s * 1103515245u + 12345u;
        text[i] = (char)('a' + (s >> 16) % 26);
    }
    unsigned char *g1 = gzip_member(text, len, &l1);
    cr_assert_lt(l1 + 2, BUFSZ);
    free(g1);
    pad = BUFSZ - l1 - 1; /* the comment and its NUL */
    unsigned char *comment = malloc(pad + 1);
    memset(comment, 'c', pad);
    comment[pad] = '\0';

    z_stream zs;
    gz_header hd;
    memset(&zs, 0, sizeof zs);
    memset(&hd, 0, sizeof hd);
    hd.comment = comment;
    hd.os = 3;
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    cr_assert_eq(deflateSetHeader(&zs, &hd), Z_OK);
    size_t cap = BUFSZ + 4096;
    unsigned char *all = malloc(cap + 64);
    zs.next_in = (unsigned char *)text;
    zs.avail_in = (uInt)len;
    zs.next_out = all;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    l1 = cap - zs.avail_out;
    deflateEnd(&zs);
    cr_assert_eq(l1, BUFSZ, "first member is %zu bytes", l1);

    unsigned char *g2 = gzip_member("tail\n", 5, &l2);
    memcpy(all + l1, g2, l2);
    char *want = malloc(len + 5);
    memcpy(want, text, len);
    memcpy(want + len, "tail\n", 5);
    result r = run(write_file("b.gz", all, l1 + l2), NULL, 65536);
    expect_text(&r, want, len + 5);
    free(r.data);
    free(want);
    free(g2);
    free(all);
    free(comment);
    free(text);
}

/* Pseudo-random printable bytes: compresses poorly, so the .gz is big. */
static char *make_noise(size_t len)
{
    char *b = malloc(len);
    unsigned s = 12345;
    for (size_t i = 0; i < len; i++) {
        s = s * 1103515245u + 12345u;
        b[i] = (char)(' ' + (s >> 16) % 95);
    }
    return b;
}

Test(source, gzip_truncated_is_an_error)
{
    size_t len = 3 * BUFSZ, gzlen;
    char *text = make_noise(len);
    unsigned char *gz = gzip_member(text, len, &gzlen);
    cr_assert_gt(gzlen, BUFSZ + 20);
    static const size_t cut_off[] = {1, 4, 8, 10};
    for (size_t i = 0; i < sizeof cut_off / sizeof cut_off[0]; i++) {
        result r = run(write_file("t.gz", gz, gzlen - cut_off[i]), NULL, 65536);
        expect_error(&r, NCC_F_GZIP, "gzip stream is truncated after");
        cr_assert_not_null(strstr(r.msg, "re-export or re-compress the file"), "%s", r.msg);
        free(r.data);
    }
    result r = run(write_file("t.gz", gz, gzlen / 2), NULL, 65536);
    expect_error(&r, NCC_F_GZIP, "gzip stream is truncated after");
    char want[64];
    snprintf(want, sizeof want, "after %zu compressed bytes", gzlen / 2);
    cr_assert_not_null(strstr(r.msg, want), "%s", r.msg);
    free(r.data);
    /* only the header */
    r = run(write_file("t.gz", gz, 12), NULL, 64);
    expect_error(&r, NCC_F_GZIP, "truncated");
    free(r.data);
    free(gz);
    free(text);
}

Test(source, gzip_second_member_truncated)
{
    size_t l1, l2;
    unsigned char *g1 = gzip_member("first\n", 6, &l1);
    unsigned char *g2 = gzip_member("second\n", 7, &l2);
    unsigned char *both = malloc(l1 + l2);
    memcpy(both, g1, l1);
    memcpy(both + l1, g2, l2);
    result r = run(write_file("t.gz", both, l1 + l2 - 3), NULL, 64);
    expect_error(&r, NCC_F_GZIP, "truncated");
    free(r.data);
    free(both);
    free(g1);
    free(g2);
}

Test(source, gzip_corrupt_byte_is_an_error)
{
    size_t len = 3 * BUFSZ, gzlen;
    char *text = make_noise(len);
    unsigned char *gz = gzip_member(text, len, &gzlen);
    size_t where[] = {gzlen / 2, gzlen / 3, 30, gzlen - 6 /* CRC */, gzlen - 2 /* length */};
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        unsigned char *bad = malloc(gzlen);
        memcpy(bad, gz, gzlen);
        bad[where[i]] ^= 0x55;
        result r = run(write_file("c.gz", bad, gzlen), NULL, 65536);
        expect_error(&r, NCC_F_GZIP, "gzip stream is");
        cr_assert_not_null(strstr(r.msg, "re-export or re-compress the file"), "%s", r.msg);
        free(r.data);
        free(bad);
    }
    free(gz);
    free(text);
}

Test(source, gzip_bad_crc_message)
{
    size_t gzlen;
    unsigned char *gz = gzip_member("hello\n", 6, &gzlen);
    gz[gzlen - 8] ^= 0xff;
    result r = run(write_file("c.gz", gz, gzlen), NULL, 64);
    expect_error(&r, NCC_F_GZIP, "gzip stream is corrupt after");
    cr_assert_not_null(strstr(r.msg, "incorrect data check"), "%s", r.msg);
    free(r.data);
    free(gz);
}

Test(source, gzip_trailing_garbage_is_an_error)
{
    size_t gzlen;
    unsigned char *gz = gzip_member("hello\n", 6, &gzlen);
    unsigned char *b = malloc(gzlen + 4);
    memcpy(b, gz, gzlen);
    memcpy(b + gzlen, "junk", 4);
    result r = run(write_file("g.gz", b, gzlen + 4), NULL, 64);
    expect_error(&r, NCC_F_GZIP, "gzip stream is corrupt after");
    free(r.data);
    free(b);
    free(gz);
}

Test(source, gzip_with_windows1252)
{
    size_t gzlen;
    unsigned char *gz = gzip_member("org,cost\nRXX,\x80 12\ncaf\xe9\n", 24, &gzlen);
    result r = run(write_file("w.gz", gz, gzlen), NULL, 16);
    expect_text(&r, "org,cost\nRXX,\xe2\x82\xac 12\ncaf\xc3\xa9\n", 27);
    cr_assert(r.gzip);
    cr_assert(r.fell_back);
    cr_assert_str_eq(r.enc, "WINDOWS-1252");
    free(r.data);

    r = run(write_file("w.gz", gz, gzlen), "Windows-1252", 64);
    expect_text(&r, "org,cost\nRXX,\xe2\x82\xac 12\ncaf\xc3\xa9\n", 27);
    cr_assert_not(r.fell_back);
    free(r.data);
    free(gz);
}

Test(source, gzip_utf8_error_offset_is_in_decompressed_stream)
{
    size_t gzlen;
    unsigned char *gz = gzip_member("\xc3\xa9"
                                    "abc\xff",
                                    6, &gzlen);
    result r = run(write_file("u.gz", gz, gzlen), NULL, 64);
    expect_error(&r, NCC_F_ENCODING, "byte 0xFF at offset 5 is not valid UTF-8");
    free(r.data);
    free(gz);
}

/* ---- open errors and SHA-256 ------------------------------------------- */

Test(source, missing_file_is_unreadable)
{
    int code = -7;
    char err[512] = "";
    const char *p = tpath("no-such-file.csv");

    errno = 0;
    cr_assert_null(ncc_source_open(p, NULL, &code, err, sizeof err));
    cr_assert_eq(code, NCC_F_UNREADABLE);
    cr_assert_eq(errno, ENOENT, "errno kept");
    char want[400];
    snprintf(want, sizeof want, "cannot open \"%s\": No such file or directory", p);
    cr_assert_str_eq(err, want);
}

Test(source, directory_is_unreadable)
{
    int code = -7;
    char err[512] = "";
    const char *p = tpath("adir");
    cr_assert_eq(mkdir(p, 0700), 0);

    ncc_source *src = ncc_source_open(p, NULL, &code, err, sizeof err);
    if (src) { /* allowed by the contract: fails at the first read */
        char buf[64];
        const char *m;
        cr_assert_eq(ncc_source_read(src, buf, sizeof buf), -1);
        cr_assert_eq(ncc_source_error(src, &m), NCC_F_UNREADABLE);
        ncc_source_free(src);
    } else {
        cr_assert_eq(code, NCC_F_UNREADABLE);
        cr_assert_not_null(strstr(err, "Is a directory"), "%s", err);
    }
}

Test(source, permission_denied_is_unreadable)
{
    if (geteuid() == 0) {
        teardown(); /* a skipped test does not reach .fini */
        cr_skip_test("root reads files whatever their mode");
    }
    const char *p = write_str("locked.csv", "x\n");
    int code = -7;
    char err[512] = "";
    cr_assert_eq(chmod(p, 0), 0);
    cr_assert_null(ncc_source_open(p, NULL, &code, err, sizeof err));
    cr_assert_eq(code, NCC_F_UNREADABLE);
    cr_assert_not_null(strstr(err, "Permission denied"), "%s", err);
}

Test(source, sha256_of_known_file)
{
    /* sha256sum of a file holding "abc" */
    result r = run(write_str("abc.csv", "abc"), NULL, 16);
    expect_text(&r, "abc", 3);
    cr_assert_str_eq(r.sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_eq(r.raw, 3);
    free(r.data);
}

Test(source, sha256_of_large_file_is_of_raw_bytes)
{
    size_t len;
    char *text = make_straddling_utf8(&len);
    char hex[65];
    /* with a BOM: the digest covers it although the text does not */
    char *b = malloc(len + 3);
    memcpy(b, "\xef\xbb\xbf", 3);
    memcpy(b + 3, text, len);
    sha_hex(b, len + 3, hex);
    result r = run(write_file("big.csv", b, len + 3), NULL, 65536);
    expect_text(&r, text, len);
    cr_assert_str_eq(r.sha, hex);
    cr_assert_eq(r.raw, len + 3);
    free(r.data);
    free(b);
    free(text);
}

/* ---- the size hint (sizing the duplicate-key set) ----------------------- */

Test(source, size_hint_of_plain_file_is_its_size)
{
    size_t len;
    char *text = make_straddling_utf8(&len);
    result r = run(write_file("big.csv", text, len), NULL, 65536);
    expect_text(&r, text, len);
    cr_assert_eq(r.hint, len);
    free(r.data);

    r = run(write_str("bom.csv", "\xef\xbb\xbf" "a,b\n"), NULL, 16);
    expect_text(&r, "a,b\n", 4);
    cr_assert_eq(r.hint, 7, "the file's bytes, BOM included");
    free(r.data);

    r = run(write_str("empty.csv", ""), NULL, 16);
    cr_assert_eq(r.hint, 0);
    free(r.data);
    free(text);
}

Test(source, size_hint_of_gzip_is_isize)
{
    size_t len, gzlen;
    char *text = make_straddling_utf8(&len);
    unsigned char *gz = gzip_member(text, len, &gzlen);
    cr_assert_gt(len, gzlen);
    result r = run(write_file("big.gz", gz, gzlen), NULL, 65536);
    expect_text(&r, text, len);
    cr_assert(r.gzip);
    cr_assert_eq(r.hint, len, "one member: ISIZE, the exact size");
    free(r.data);
    free(gz);

    /* a small member compresses to more than its size: the compressed size is the floor */
    gz = gzip_member("a,b\n", 4, &gzlen);
    r = run(write_file("s.gz", gz, gzlen), NULL, 16);
    expect_text(&r, "a,b\n", 4);
    cr_assert_eq(r.hint, gzlen);
    free(r.data);
    free(gz);
    free(text);
}

Test(source, size_hint_of_concatenated_gzip_is_a_lower_bound)
{
    size_t len, l1, l2;
    char *text = make_straddling_utf8(&len);
    unsigned char *g1 = gzip_member(text, len, &l1);
    unsigned char *g2 = gzip_member("tail,of,it\n", 11, &l2);
    unsigned char *both = malloc(l1 + l2);
    memcpy(both, g1, l1);
    memcpy(both + l1, g2, l2);
    result r = run(write_file("two.gz", both, l1 + l2), NULL, 65536);
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.len, len + 11);
    /* ISIZE is the last member's 11 bytes: the compressed size is larger, and under the truth */
    cr_assert_eq(r.hint, l1 + l2);
    cr_assert_leq(r.hint, r.len);
    free(r.data);
    free(both);
    free(g1);
    free(g2);
    free(text);
}

Test(source, size_hint_of_short_gzip_is_its_size)
{
    /* magic bytes but too short to hold a trailer: no ISIZE to read */
    result r = run(write_file("cut.gz", "\x1f\x8b\x08\x00", 4), NULL, 16);
    cr_assert_eq(r.rc, -1);
    cr_assert_eq(r.hint, 4);
    free(r.data);
}

Test(source, size_hint_of_stdin)
{
    int code;
    char err[512];
    /* redirected from a regular file, already read from: the size from the offset on */
    const char *p = write_str("in.csv", "skip,me\na,b\n");
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(lseek(fileno(f), 8, SEEK_SET), 8);
    cr_assert_geq(dup2(fileno(f), STDIN_FILENO), 0);
    fclose(f);
    ncc_source *src = ncc_source_open("-", NULL, &code, err, sizeof err);
    cr_assert_not_null(src, "%s", err);
    cr_assert_eq(ncc_source_size_hint(src), 4);
    char buf[64];
    cr_assert_eq(ncc_source_read(src, buf, sizeof buf), 4);
    cr_assert(memcmp(buf, "a,b\n", 4) == 0);
    cr_assert_eq(ncc_source_size_hint(src), 4, "pread: reading does not change it");
    ncc_source_free(src);

    /* a pipe: unknown */
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], "a,b\n", 4), 4);
    close(fds[1]);
    cr_assert_geq(dup2(fds[0], STDIN_FILENO), 0);
    close(fds[0]);
    src = ncc_source_open("-", NULL, &code, err, sizeof err);
    cr_assert_not_null(src, "%s", err);
    cr_assert_eq(ncc_source_size_hint(src), 0);
    cr_assert_eq(ncc_source_read(src, buf, sizeof buf), 4);
    cr_assert_eq(ncc_source_text_bytes(src), 4);
    ncc_source_free(src);
}

/* ---- a read callback instead of a file (ncc_source_open_reader) -------- */

/* Bytes in memory handed out at most chunk at a time; fail_at: -1 with EIO from there. */
typedef struct memreader {
    const unsigned char *data;
    size_t len, pos, chunk;
    size_t fail_at; /* SIZE_MAX: never */
    size_t overshoot; /* > 0: claims that many bytes more than asked, once */
    int reads, peeks;
} memreader;

static ssize_t mem_read(void *ctx, void *buf, size_t cap)
{
    memreader *m = ctx;
    m->reads++;
    if (m->pos >= m->fail_at) {
        errno = EIO;
        return -1;
    }
    if (m->overshoot) {
        size_t o = m->overshoot;
        m->overshoot = 0;
        return (ssize_t)(cap + o);
    }
    size_t n = m->len - m->pos;
    if (n > cap)
        n = cap;
    if (n > m->chunk)
        n = m->chunk;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static int mem_peek(void *ctx, void *buf, size_t len, uint64_t off)
{
    memreader *m = ctx;
    m->peeks++;
    if (off > m->len || len > m->len - off)
        return -1;
    memcpy(buf, m->data + off, len);
    return 0;
}

static memreader mem(const void *data, size_t len, size_t chunk)
{
    memreader m = {data, len, 0, chunk, SIZE_MAX, 0, 0, 0};
    return m;
}

/* Read everything of a reader source in reads of cap, as run() does for a file. */
static result run_reader(const char *name, memreader *m, bool with_peek, uint64_t size,
                         const char *encoding, size_t cap)
{
    result r;
    int code = 12345;
    char err[512] = "";
    ncc_source_reader rd = {mem_read, with_peek ? mem_peek : NULL, m, size};

    memset(&r, 0, sizeof r);
    ncc_source *src = ncc_source_open_reader(name, &rd, encoding, &code, err, sizeof err);
    cr_assert_not_null(src, "open reader %s: %s", name, err);
    ncc_source_keep_sha256(src);
    r.hint = ncc_source_size_hint(src);
    char *buf = malloc(cap);
    size_t alloc = 4096;
    r.data = malloc(alloc);
    cr_assert(buf && r.data);
    for (;;) {
        ssize_t n = ncc_source_read(src, buf, cap);
        if (n <= 0) {
            r.rc = n;
            break;
        }
        cr_assert_leq((size_t)n, cap);
        while (r.len + (size_t)n > alloc)
            alloc *= 2;
        r.data = realloc(r.data, alloc);
        cr_assert_not_null(r.data);
        memcpy(r.data + r.len, buf, (size_t)n);
        r.len += (size_t)n;
    }
    if (r.rc < 0) {
        const char *msg = NULL;
        r.code = ncc_source_error(src, &msg);
        snprintf(r.msg, sizeof r.msg, "%s", msg);
    }
    snprintf(r.enc, sizeof r.enc, "%s", ncc_source_encoding(src));
    r.fell_back = ncc_source_fell_back(src);
    r.gzip = ncc_source_is_gzip(src);
    r.raw = ncc_source_raw_bytes(src);
    cr_assert_eq(ncc_source_size_hint(src), r.hint, "the hint does not depend on reading");
    ncc_source_sha256_hex(src, r.sha);
    free(buf);
    ncc_source_free(src);
    return r;
}

Test(source, reader_in_small_chunks_reads_as_a_file_does)
{
    size_t len;
    char *text = make_straddling_utf8(&len);
    char hex[65];
    sha_hex(text, len, hex);
    /* chunks of 7 bytes: every multibyte character straddles some read */
    memreader m = mem(text, len, 7);
    result r = run_reader("upload.csv", &m, true, len, NULL, 65536);
    expect_text(&r, text, len);
    cr_assert_str_eq(r.enc, "UTF-8");
    cr_assert_not(r.gzip);
    cr_assert_eq(r.raw, len);
    cr_assert_str_eq(r.sha, hex);
    cr_assert_eq(r.hint, len, "the size the reader gave");
    cr_assert_gt(m.reads, (int)(len / 7));
    free(r.data);
    free(text);
}

Test(source, reader_of_unknown_size_has_no_hint)
{
    memreader m = mem("a,b\n1,2\n", 8, 3);
    result r = run_reader("x.csv", &m, true, 0, NULL, 16);
    expect_text(&r, "a,b\n1,2\n", 8);
    cr_assert_eq(r.hint, 0);
    cr_assert_eq(m.peeks, 0, "nothing to peek at without a size");
    free(r.data);
}

Test(source, reader_falls_back_to_windows1252)
{
    memreader m = mem("a,caf\xe9\n", 7, 2);
    result r = run_reader("w.csv", &m, true, 7, NULL, 16);
    expect_text(&r, "a,caf\xc3\xa9\n", 8);
    cr_assert_str_eq(r.enc, "WINDOWS-1252");
    cr_assert(r.fell_back);
    free(r.data);
}

Test(source, reader_gzip_members_inflate_and_hint_from_peek)
{
    size_t len, l1, l2;
    char *text = make_straddling_utf8(&len);
    unsigned char *g1 = gzip_member(text, len, &l1);
    unsigned char *g2 = gzip_member("tail,of,it\n", 11, &l2);
    unsigned char *both = malloc(l1 + l2);
    memcpy(both, g1, l1);
    memcpy(both + l1, g2, l2);

    /* one member: the hint is ISIZE, read through peek before any read */
    memreader m = mem(g1, l1, 4096);
    result r = run_reader("one.csv.gz", &m, true, l1, NULL, 65536);
    expect_text(&r, text, len);
    cr_assert(r.gzip);
    cr_assert_eq(r.hint, len);
    cr_assert_geq(m.peeks, 2, "the magic bytes and the trailer");
    free(r.data);

    /* two members in chunks that split headers and trailers */
    m = mem(both, l1 + l2, 5);
    r = run_reader("two.csv.gz", &m, true, l1 + l2, NULL, 65536);
    cr_assert_eq(r.rc, 0, "%s", r.msg);
    cr_assert_eq(r.len, len + 11);
    cr_assert(memcmp(r.data + len, "tail,of,it\n", 11) == 0);
    cr_assert_eq(r.raw, l1 + l2);
    free(r.data);

    /* no peek: the hint is the compressed size, a floor */
    m = mem(g1, l1, 4096);
    r = run_reader("nopeek.csv.gz", &m, false, l1, NULL, 65536);
    expect_text(&r, text, len);
    cr_assert_eq(r.hint, l1);
    free(r.data);

    /* cut short: F_GZIP as for a file */
    m = mem(g1, l1 / 2, 4096);
    r = run_reader("cut.csv.gz", &m, true, l1 / 2, NULL, 65536);
    expect_error(&r, NCC_F_GZIP, NULL);
    free(r.data);
    free(both);
    free(g1);
    free(g2);
    free(text);
}

Test(source, reader_failure_is_unreadable_with_the_name)
{
    static const char body[] = "fin_year,org_code\n202324,RAA\n";
    memreader m = mem(body, sizeof body - 1, 10);
    m.fail_at = 20;
    result r = run_reader("gone.csv", &m, true, sizeof body - 1, NULL, 16);
    expect_error(&r, NCC_F_UNREADABLE, "cannot read \"gone.csv\": Input/output error");
    cr_assert_eq(r.len, 20, "what came before the failure was handed out");
    free(r.data);
}

Test(source, reader_giving_more_than_asked_is_unreadable)
{
    memreader m = mem("a,b\n", 4, 4);
    m.overshoot = 1;
    result r = run_reader("liar.csv", &m, true, 4, NULL, 16);
    expect_error(&r, NCC_F_UNREADABLE, "the reader gave more than asked");
    cr_assert_eq(r.raw, 0, "nothing counted or hashed");
    free(r.data);
}

Test(source, reader_named_dash_is_not_stdin)
{
    memreader m = mem("x\n", 2, 1);
    m.fail_at = 0;
    result r = run_reader("-", &m, true, 2, NULL, 16);
    expect_error(&r, NCC_F_UNREADABLE, "cannot read \"-\"");
    free(r.data);
}

Test(source, reader_unknown_encoding_fails_open)
{
    memreader m = mem("x\n", 2, 2);
    ncc_source_reader rd = {mem_read, mem_peek, &m, 2};
    int code = 0;
    char err[256] = "";
    cr_assert_null(ncc_source_open_reader("x.csv", &rd, "NO-SUCH-CHARSET", &code, err, sizeof err));
    cr_assert_eq(code, -1);
    cr_assert_not_null(strstr(err, "unknown encoding"), "%s", err);
    cr_assert_eq(m.reads, 0);
}

Test(source, bound_reader_opens_by_name_until_unbound)
{
    static const char body[] = "a,b\n1,2\n";
    memreader m = mem(body, sizeof body - 1, 3);
    ncc_source_reader rd = {mem_read, mem_peek, &m, sizeof body - 1};
    int code = 0;
    char err[512] = "", buf[64];
    const char *name = tpath("bound.csv"); /* no such file on disk */

    cr_assert_eq(ncc_source_bind_reader(name, &rd), 0);
    ncc_source *src = ncc_source_open(name, NULL, &code, err, sizeof err);
    cr_assert_not_null(src, "%s", err);
    cr_assert_eq(ncc_source_size_hint(src), sizeof body - 1);
    size_t got = 0;
    ssize_t n;
    while ((n = ncc_source_read(src, buf + got, sizeof buf - got)) > 0)
        got += (size_t)n;
    cr_assert_eq(n, 0);
    cr_assert_eq(got, sizeof body - 1);
    cr_assert(memcmp(buf, body, got) == 0);
    ncc_source_free(src);

    /* another name is a path as ever */
    cr_assert_null(ncc_source_open(tpath("other.csv"), NULL, &code, err, sizeof err));
    cr_assert_eq(code, NCC_F_UNREADABLE);

    /* unbound: the name is a path again, and the file is not there */
    cr_assert_eq(ncc_source_bind_reader(NULL, NULL), 0);
    cr_assert_null(ncc_source_open(name, NULL, &code, err, sizeof err));
    cr_assert_not_null(strstr(err, "No such file or directory"), "%s", err);

    /* a name longer than NCC_SOURCE_NAME_MAX binds nothing */
    char *long_name = malloc(NCC_SOURCE_NAME_MAX + 2);
    memset(long_name, 'n', NCC_SOURCE_NAME_MAX + 1);
    long_name[NCC_SOURCE_NAME_MAX + 1] = '\0';
    cr_assert_eq(ncc_source_bind_reader(long_name, &rd), -1);
    cr_assert_null(ncc_source_open(long_name, NULL, &code, err, sizeof err));
    free(long_name);
}
