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
 * libcsv's records are copied, value by value, into the record arena.
 *
 * Fast path: most lines hold no quote. When the parser is between rows,
 * split_line() walks the line once, a block of SCAN_BLOCK bytes at a time:
 * per block, bitmasks of its ',', LF, and '"' or CR bytes (SSE2 compares,
 * or a plain byte loop on other targets and when ncc_csv_set_simd() turns
 * SSE2 off for tests), then the comma bits one by one (__builtin_ctz) up to
 * the first LF. If the whole line (LF or CRLF ended) is in the chunk without
 * a '"' or a bare CR, it builds the very record libcsv would (spaces and
 * tabs around a value dropped, a line of only spaces is no record, the same
 * field, record and column limits); libcsv is not called and stays between
 * rows. Every other line goes to libcsv, the authority on quoting, and the
 * fast path leaves no trace of having looked at it.
 *
 * Zero copy: a record of the fast path is not copied into the arena. Its
 * values are cut in the chunk itself: a '\0' is written after the last byte
 * of each kept value (over a blank, the ',' or the CR or LF that follows it
 * on the same line), and rec->field points into the chunk. That is safe
 * because the record is only valid until the next ncc_csv_next() call and
 * the chunk is only refilled, never compacted, at the top of a later call,
 * once all of it has been consumed; the bytes written to belong to the
 * line being handed out, consumed already: libcsv never sees them, and a
 * line the fast path gives up on is left untouched. The chunk has
 * SCAN_BLOCK bytes of slack after READ_CHUNK so that a block may be loaded
 * past chunk_len: the bits of those bytes are masked off, never interpreted.
 * ncc_csv_set_fast_path() turns the fast path off, for differential tests.
 *
 * libcsv's field buffer grows through csv_set_realloc_func: the allocator
 * below refuses to go past the field limit, which turns a runaway quoted
 * field into a located F_CSV_SYNTAX instead of unbounded memory.
 */
#include "reading/csvread.h"

#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <immintrin.h>
#endif

#define LIBCSV_ROW_NOT_BEGUN 0
#define READ_CHUNK (256 * 1024)
#define SCAN_BLOCK 32 /* bytes per block of the fast path's scan: one bit each in a uint32_t */

/* libcsv's realloc hook has no context pointer: the limit is per process. */
static size_t csv_field_limit = NCC_CSV_FIELD_MAX_DEFAULT;

struct ncc_csv {
    ncc_source *src;
    ncc_csv_limits lim;
    struct csv_parser parser;
    bool parser_ok;
    bool fast_path; /* split quote-free lines without libcsv */
    bool simd;      /* the fast path scans with SSE2 (where compiled in) */

    char *chunk; /* bytes read from the source, then SCAN_BLOCK bytes of slack */
    size_t chunk_len, chunk_pos;
    bool eof;

    long line;        /* physical line being fed (1-based) */
    long start_line;  /* line on which the current record started */
    bool record_done; /* a record is complete and not yet handed out */
    bool handed_out;  /* the last record was returned: reset before filling */

    /* the record under construction (libcsv's values are copied to the arena, the fast
     * path's stay in the chunk) */
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
    /* zeroed: no read ever reaches the slack, which the scan loads (and masks off) */
    c->chunk = calloc(1, READ_CHUNK + SCAN_BLOCK);
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
    c->simd = true;
    return c;
}

void ncc_csv_set_fast_path(ncc_csv *c, bool on)
{
    c->fast_path = on;
}

void ncc_csv_set_simd(ncc_csv *c, bool on)
{
    c->simd = on;
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

/* ---- the fast path ---- */

/* One block of SCAN_BLOCK bytes: bit i of a mask is set when byte i is of its kind. */
typedef struct scan_masks {
    uint32_t comma;   /* ',' */
    uint32_t nl;      /* LF */
    uint32_t special; /* '"' or CR: the bytes that may send the line to libcsv */
} scan_masks;

/* The masks of b[0..SCAN_BLOCK) with a plain byte loop: any target. */
static inline scan_masks block_masks_bytes(const char *b)
{
    scan_masks m = {0, 0, 0};
    for (unsigned i = 0; i < SCAN_BLOCK; i++) {
        uint32_t bit = (uint32_t)1 << i;
        switch (b[i]) {
        case ',':
            m.comma |= bit;
            break;
        case '\n':
            m.nl |= bit;
            break;
        case '"':
        case '\r':
            m.special |= bit;
            break;
        default:
            break;
        }
    }
    return m;
}

#ifdef __SSE2__
/* The same with SSE2 (always there on x86-64): two 16-byte loads, unaligned. */
static inline scan_masks block_masks_sse2(const char *b)
{
    const __m128i lo = _mm_loadu_si128((const __m128i *)b);
    const __m128i hi = _mm_loadu_si128((const __m128i *)(b + 16));
    const __m128i comma = _mm_set1_epi8(','), nl = _mm_set1_epi8('\n');
    const __m128i quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r');
#define MASK32(cmp_lo, cmp_hi)                                                                     \
    ((uint32_t)_mm_movemask_epi8(cmp_lo) | (uint32_t)_mm_movemask_epi8(cmp_hi) << 16)
    scan_masks m;
    m.comma = MASK32(_mm_cmpeq_epi8(lo, comma), _mm_cmpeq_epi8(hi, comma));
    m.nl = MASK32(_mm_cmpeq_epi8(lo, nl), _mm_cmpeq_epi8(hi, nl));
    m.special = MASK32(_mm_or_si128(_mm_cmpeq_epi8(lo, quote), _mm_cmpeq_epi8(lo, cr)),
                       _mm_or_si128(_mm_cmpeq_epi8(hi, quote), _mm_cmpeq_epi8(hi, cr)));
#undef MASK32
    return m;
}
#endif

/* The record of the line being split, counted as add_field() counts it (used stands for
 * arena_used), but only committed to the reader once the line proves quote-free. */
typedef struct split_state {
    int nfields;
    size_t used;
    bool oversize;
    bool too_long; /* a value libcsv would have refused */
} split_state;

/*
 * One value of the fast path: v[0..end - v) with its blanks, end being the ',' after it or
 * the line's CR or LF. Kept (pointer and length into the chunk; the '\0' comes later) within
 * the limits exactly as add_field() keeps a value: a value past columns_max is counted, not
 * kept; one past record_max is kept empty and flags the record.
 */
static inline void take_value(ncc_csv *c, split_state *st, char *v, const char *end)
{
    while (v < end && is_blank(*v)) /* libcsv skips the blanks before a value */
        v++;
    size_t raw = (size_t)(end - v), len = raw;
    while (len && is_blank(v[len - 1]))
        len--;
    /* libcsv's buffer holds the trailing blanks too; it grows in 4 KiB steps halved until
     * limited_realloc accepts them, so it is full at exactly limit + 2 bytes, and the ',' or
     * terminator after that many is refused: CSV_ENOMEM (csv_field_limit is the limit libcsv
     * sees). add_field() also refuses a value of limit + 1 bytes. */
    if (raw > csv_field_limit + 1 || len > c->lim.field_max)
        st->too_long = true;
    int i = st->nfields++;
    if (i >= c->lim.columns_max)
        return;
    if (st->used + len + 1 > c->lim.record_max) {
        st->oversize = true;
        len = 0;
        if (st->used + 1 > c->lim.record_max) { /* add_field's spare NUL: nothing used */
            c->field[i] = v;
            c->flen[i] = 0;
            return;
        }
    }
    c->field[i] = v;
    c->flen[i] = (uint32_t)len;
    st->used += len + 1;
}

/*
 * The fast path over the line at p, with avail bytes in the chunk from p. Returns -1 when
 * the line is not for it (a '"', a bare CR, or no LF in the chunk): nothing of the reader
 * has changed but c->field and c->flen, which hold no record then. Otherwise the line, LF
 * included, is *seg bytes long, and the return is 0 for a line of nothing but blanks
 * (libcsv skips it), else 1 with the record in c->field, c->flen, c->nfields, c->oversize;
 * c->field_too_long is set when a value is too long for libcsv's buffer. portable: scan
 * with the byte loop (a constant where called, so each scan is inlined on its own).
 */
static inline __attribute__((always_inline)) int split_line(ncc_csv *c, char *p, size_t avail,
                                                            size_t *seg, bool portable)
{
    split_state st = {0, 0, false, false};
    char *v = p; /* the start of the current value, its leading blanks included */
    for (size_t off = 0; off < avail; off += SCAN_BLOCK) {
        /* the block may reach past chunk_len into the slack: those bits are masked off */
#ifdef __SSE2__
        scan_masks m = portable ? block_masks_bytes(p + off) : block_masks_sse2(p + off);
#else
        (void)portable;
        scan_masks m = block_masks_bytes(p + off);
#endif
        size_t left = avail - off;
        uint32_t valid = left >= SCAN_BLOCK ? ~(uint32_t)0 : ((uint32_t)1 << left) - 1;
        uint32_t nl = m.nl & valid;
        /* the bits of this line: the whole block, or up to its first LF (included) */
        uint32_t line = nl ? nl ^ (nl - 1) : valid;
        /* a '"' sends the line to libcsv, and so does a CR unless the LF follows it (that LF
         * is then the first: no LF comes before it in `line`); a CR at the end of a block
         * looks at the first byte of the next block, if the chunk has it */
        for (uint32_t sp = m.special & line; sp; sp &= sp - 1) {
            size_t at = off + (size_t)__builtin_ctz(sp);
            if (p[at] == '"' || at + 1 >= avail || p[at + 1] != '\n')
                return -1;
        }
        for (uint32_t commas = m.comma & line; commas; commas &= commas - 1) {
            char *comma = p + off + __builtin_ctz(commas);
            take_value(c, &st, v, comma);
            v = comma + 1;
        }
        if (!nl)
            continue;
        /* the line ends: its last value stops at the CR of a CRLF, else at the LF */
        size_t lf = off + (size_t)__builtin_ctz(nl);
        char *end = p + lf - (lf > 0 && p[lf - 1] == '\r');
        *seg = lf + 1;
        if (st.nfields == 0) { /* no ',': a line of only blanks is no record */
            const char *q = v;
            while (q < end && is_blank(*q))
                q++;
            if (q == end)
                return 0;
        }
        take_value(c, &st, v, end);
        if (st.too_long) {
            c->field_too_long = true;
            return 1;
        }
        /* the line is ours: cut the kept values in place. Each '\0' lands on the byte after
         * a value (a blank, its ',' or the line's CR or LF) or, for a value emptied by
         * record_max, on its first byte: never inside another value. */
        int kept = st.nfields < c->lim.columns_max ? st.nfields : c->lim.columns_max;
        for (int i = 0; i < kept; i++)
            c->field[i][c->flen[i]] = '\0';
        c->nfields = st.nfields;
        c->oversize = st.oversize;
        return 1;
    }
    return -1; /* no LF in the rest of the chunk: the line goes to libcsv in parts */
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
        char *p = c->chunk + c->chunk_pos;
        size_t avail = c->chunk_len - c->chunk_pos;
        bool between_rows = c->parser.pstate == LIBCSV_ROW_NOT_BEGUN && !c->record_done;
        if (between_rows)
            c->start_line = c->line;
        if (between_rows && c->fast_path) {
            /* a whole line without quotes or a bare CR: libcsv is not needed */
            size_t seg = 0;
            int got = c->simd ? split_line(c, p, avail, &seg, false)
                              : split_line(c, p, avail, &seg, true);
            if (got >= 0) {
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
        }
        /* feed one physical line (or the rest of the chunk) to libcsv */
        const char *nl = memchr(p, '\n', avail);
        size_t seg = nl ? (size_t)(nl - p) + 1 : avail;
        const char *cr = memchr(p, '\r', seg);
        if (cr && !(nl && cr + 1 == nl)) {
            seg = (size_t)(cr - p) + 1; /* a bare CR: feed up to it on its own */
            nl = NULL;
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
