/*
 * csvread.c - pull-style CSV records over libcsv's push parser.
 *
 * The input is handed to libcsv one physical line at a time (memchr for
 * '\n'), so at most one record completes per csv_parse() call and the line
 * on which a record starts is known: it is the line being fed when the
 * parser was between rows (pstate 0, ROW_NOT_BEGUN in libcsv). libcsv's
 * own terminators (CR, LF) and spaces (space, tab) are used: its inline
 * tests are much faster than callbacks. A bare CR (not part of CRLF) also
 * ends a record outside quotes, so a line holding one is fed in two parts
 * to keep one record per csv_parse() call; only LF counts as a new line.
 *
 * Fast path: most lines hold no quote. When the parser is between rows and
 * the whole line (LF or CRLF ended) is in the chunk without a '"' or a bare
 * CR, split_line() cuts it on ',' itself and builds the very record libcsv
 * would (spaces and tabs around a value dropped, a line of only spaces is
 * no record, the same field limit); libcsv is not called and stays between
 * rows. Every other line goes to libcsv, the authority on quoting.
 * ncc_csv_set_fast_path() turns it off, for differential tests.
 *
 * libcsv's field buffer grows through csv_set_realloc_func: the allocator
 * below refuses to go past the field limit, which turns a runaway quoted
 * field into a located F_CSV_SYNTAX instead of unbounded memory.
 */
#include "csvread.h"

#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIBCSV_ROW_NOT_BEGUN 0
#define READ_CHUNK (256 * 1024)

/* libcsv's realloc hook has no context pointer: the limit is per process. */
static size_t csv_field_limit = NCC_CSV_FIELD_MAX_DEFAULT;

struct ncc_csv {
    ncc_source *src;
    ncc_csv_limits lim;
    struct csv_parser parser;
    bool parser_ok;
    bool fast_path; /* split quote-free lines without libcsv */

    char *chunk; /* bytes read from the source */
    size_t chunk_len, chunk_pos;
    bool eof;

    long line;        /* physical line being fed (1-based) */
    long start_line;  /* line on which the current record started */
    bool record_done; /* a record is complete and not yet handed out */
    bool handed_out;  /* the last record was returned: reset before filling */

    /* the record under construction */
    char *arena;
    size_t arena_used;
    char **field;
    uint32_t *flen;
    int nfields;
    bool oversize;

    bool field_too_long; /* a field of limit + 1 bytes slipped through libcsv's buffer */
    ncc_code err_code;
    long err_line;
    char err_msg[512];
    bool failed;
};

static void *limited_realloc(void *p, size_t size)
{
    /* libcsv grows its buffer before it reads the byte after a field, and keeps the
     * closing quote of a quoted value in it: two bytes of slack let a value of exactly the
     * limit through; on_field enforces the limit itself */
    if (size > csv_field_limit + 2)
        return NULL;
    return realloc(p, size);
}

/* Store one trimmed value in the record, within the limits. */
static void add_field(ncc_csv *c, const char *s, size_t len)
{
    if (len > c->lim.field_max)
        c->field_too_long = true;
    int i = c->nfields++;
    if (i >= c->lim.columns_max)
        return;
    if (c->arena_used + len + 1 > c->lim.record_max) {
        c->oversize = true;
        len = 0;
        if (c->arena_used + 1 > c->lim.record_max) {
            c->field[i] = c->arena + c->lim.record_max; /* the spare NUL byte */
            c->flen[i] = 0;
            return;
        }
    }
    char *dst = c->arena + c->arena_used;
    memcpy(dst, s, len);
    dst[len] = '\0';
    c->field[i] = dst;
    c->flen[i] = (uint32_t)len;
    c->arena_used += len + 1;
}

static void on_field(void *data, size_t len, void *ctx)
{
    const char *s = data ? data : "";
    /* libcsv trims unquoted fields; quoted ones keep their spaces: trim here */
    while (len && s[0] == ' ') {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ')) {
        len--;
    }
    add_field(ctx, s, len);
}

static void on_record(int term, void *ctx)
{
    (void)term;
    ncc_csv *c = ctx;
    c->record_done = true;
}

ncc_csv *ncc_csv_new(ncc_source *src, const ncc_csv_limits *limits)
{
    ncc_csv *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->src = src;
    if (limits) {
        c->lim = *limits;
    } else {
        c->lim.field_max = NCC_CSV_FIELD_MAX_DEFAULT;
        c->lim.record_max = NCC_CSV_RECORD_MAX_DEFAULT;
        c->lim.columns_max = NCC_CSV_COLUMNS_MAX_DEFAULT;
    }
    csv_field_limit = c->lim.field_max;
    c->chunk = malloc(READ_CHUNK);
    c->arena = malloc(c->lim.record_max + 1);
    c->field = calloc((size_t)c->lim.columns_max, sizeof(char *));
    c->flen = calloc((size_t)c->lim.columns_max, sizeof(uint32_t));
    if (!c->chunk || !c->arena || !c->field || !c->flen ||
        csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        ncc_csv_free(c);
        return NULL;
    }
    c->arena[c->lim.record_max] = '\0';
    c->parser_ok = true;
    csv_set_realloc_func(&c->parser, limited_realloc);
    csv_set_blk_size(&c->parser, 4096);
    c->line = 1;
    c->start_line = 1;
    c->fast_path = true;
    return c;
}

void ncc_csv_set_fast_path(ncc_csv *c, bool on)
{
    c->fast_path = on;
}

static int fail(ncc_csv *c, ncc_code code, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(ncc_csv *c, ncc_code code, long line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err_msg, sizeof c->err_msg, fmt, ap);
    va_end(ap);
    c->err_code = code;
    c->err_line = line;
    c->failed = true;
    return -1;
}

static int parse_error(ncc_csv *c)
{
    int e = csv_error(&c->parser);
    if (c->field_too_long || e == CSV_ENOMEM || e == CSV_ETOOBIG)
        return fail(c, NCC_F_CSV_SYNTAX, c->start_line,
                    "a value in the record starting on line %ld is longer than %zu bytes "
                    "(reached line %ld): a quote is probably opened and never closed",
                    c->start_line, c->lim.field_max, c->line);
    return fail(c, NCC_F_CSV_SYNTAX, c->line,
                "malformed quoting on line %ld: a '\"' inside an unquoted value, or text "
                "after a closing quote; quote the whole value and double any '\"' inside it",
                c->line);
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t'; /* libcsv's spaces */
}

/*
 * The fast path: the record of the line p[0..n) (its LF or CRLF excluded),
 * which holds no '"' and no CR, split as libcsv splits it: spaces and tabs
 * before a value are skipped, those after it trimmed. Returns 0 for a line
 * of nothing but spaces (libcsv skips it), else 1; a value too long for
 * libcsv's buffer sets c->field_too_long.
 */
static int split_line(ncc_csv *c, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end && is_blank(*p))
        p++;
    if (p == end)
        return 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t raw = (size_t)((comma ? comma : end) - p);
        /* libcsv's buffer holds the trailing spaces too; it grows in 4 KiB steps halved
         * until limited_realloc accepts them, so it is full at exactly limit + 2 bytes, and
         * the ',' or terminator after that many is refused: CSV_ENOMEM (csv_field_limit is
         * the limit libcsv sees) */
        if (raw > csv_field_limit + 1) {
            c->field_too_long = true;
            return 1;
        }
        size_t len = raw;
        while (len && is_blank(p[len - 1]))
            len--;
        add_field(c, p, len);
        if (!comma)
            return 1;
        p = comma + 1;
        while (p < end && is_blank(*p))
            p++;
    }
}

static void fill_record(ncc_csv *c, ncc_csv_record *rec)
{
    rec->line = c->start_line;
    rec->nfields = c->nfields;
    rec->nkept = c->nfields < c->lim.columns_max ? c->nfields : c->lim.columns_max;
    rec->oversize = c->oversize;
    rec->field = c->field;
    rec->len = c->flen;
    c->record_done = false;
    c->handed_out = true;
}

int ncc_csv_next(ncc_csv *c, ncc_csv_record *rec)
{
    if (c->failed)
        return -1;
    if (c->handed_out) {
        c->arena_used = 0;
        c->nfields = 0;
        c->oversize = false;
        c->handed_out = false;
    }
    for (;;) {
        if (c->chunk_pos == c->chunk_len) {
            if (c->eof)
                return 0;
            ssize_t n = ncc_source_read(c->src, c->chunk, READ_CHUNK);
            if (n < 0) {
                const char *msg;
                ncc_code code = ncc_source_error(c->src, &msg);
                return fail(c, code, c->line, "%s", msg);
            }
            c->chunk_len = (size_t)n;
            c->chunk_pos = 0;
            if (n == 0) {
                c->eof = true;
                if (c->parser.pstate == LIBCSV_ROW_NOT_BEGUN)
                    c->start_line = c->line;
                if (csv_fini(&c->parser, on_field, on_record, c) != 0) {
                    return fail(c, NCC_F_CSV_SYNTAX, c->start_line,
                                "the quoted value in the record starting on line %ld is never "
                                "closed before the end of the file: add the closing '\"'",
                                c->start_line);
                }
                if (c->field_too_long)
                    return parse_error(c);
                if (c->record_done) {
                    fill_record(c, rec);
                    return 1;
                }
                return 0;
            }
        }
        /* feed one physical line (or the rest of the chunk) */
        const char *p = c->chunk + c->chunk_pos;
        size_t avail = c->chunk_len - c->chunk_pos;
        const char *nl = memchr(p, '\n', avail);
        size_t seg = nl ? (size_t)(nl - p) + 1 : avail;
        const char *cr = memchr(p, '\r', seg);
        if (cr && !(nl && cr + 1 == nl)) {
            seg = (size_t)(cr - p) + 1; /* a bare CR: feed up to it on its own */
            nl = NULL;
        }
        bool between_rows = c->parser.pstate == LIBCSV_ROW_NOT_BEGUN && !c->record_done;
        if (between_rows)
            c->start_line = c->line;
        if (between_rows && nl && c->fast_path && !memchr(p, '"', seg)) {
            /* a whole line without quotes or a bare CR: libcsv is not needed */
            int got = split_line(c, p, seg - 1 - (cr != NULL));
            if (c->field_too_long)
                return parse_error(c);
            c->chunk_pos += seg;
            c->line++;
            if (got) {
                fill_record(c, rec);
                return 1;
            }
            continue;
        }
        size_t done = csv_parse(&c->parser, p, seg, on_field, on_record, c);
        if (done != seg || c->field_too_long)
            return parse_error(c);
        c->chunk_pos += seg;
        if (nl)
            c->line++;
        if (c->record_done) {
            fill_record(c, rec);
            return 1;
        }
    }
}

ncc_code ncc_csv_error(const ncc_csv *c, const char **message, long *line)
{
    if (message)
        *message = c->err_msg;
    if (line)
        *line = c->err_line;
    return c->err_code;
}

long ncc_csv_lines(const ncc_csv *c)
{
    return c->line;
}

void ncc_csv_free(ncc_csv *c)
{
    if (!c)
        return;
    if (c->parser_ok)
        csv_free(&c->parser);
    free(c->chunk);
    free(c->arena);
    free(c->field);
    free(c->flen);
    free(c);
}
