/*
 * source.c - the byte source of every input file: reads a path, stdin or a
 * read callback (ncc_source_reader) in large blocks, hashes the raw bytes (SHA-256), inflates gzip (detected by
 * its magic bytes, concatenated members included) and hands out UTF-8:
 * validated as it passes, or converted with iconv, BOM stripped.
 *
 * Two buffers of NCC_SOURCE_BUFSIZE are allocated at open: the window of
 * decompressed bytes waiting to be decoded (win[pos..len), with WIN_SLACK
 * bytes of room in front for an unfinished multibyte sequence carried over
 * a refill), and the compressed input of a gzip file. A plain file is read
 * straight into the window, so valid UTF-8 is copied once, into the
 * caller's buffer, with an 8-bytes-at-a-time ASCII check.
 *
 * Offsets in F_ENCODING messages count bytes of the decompressed stream
 * from 0 (a BOM included): win_off + pos is the offset of win[pos].
 */
#include "reading/source.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "shared/sha256.h"

/* Room in front of the window for bytes of a sequence carried over a refill. */
#define WIN_SLACK 64
#define GZIP_ADVICE "re-export or re-compress the file"

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

enum src_mode {
    MODE_UNDECIDED, /* auto, only ASCII so far */
    MODE_UTF8,      /* validate */
    MODE_ICONV      /* convert with cd */
};

/* Outcome of one decoding step. */
enum step {
    STEP_MORE, /* progress made or mode changed: step again */
    STEP_FULL, /* the caller's buffer cannot take the next character */
    STEP_NEED, /* the window is used up (but for <= WIN_SLACK bytes): refill */
    STEP_END,  /* clean end of the text */
    STEP_FAIL  /* error recorded */
};

struct ncc_source {
    int fd;             /* -1 with a reader */
    bool own_fd;
    bool use_reader;    /* raw bytes from rd, not fd */
    ncc_source_reader rd;
    char *where;   /* "\"path\"" or "standard input", for messages */
    char *encname; /* what ncc_source_encoding reports unless fell_back */

    enum src_mode mode;
    bool at_start;       /* UTF-8 modes: nothing decoded yet, a BOM may come */
    bool strip_conv_bom; /* explicit iconv: drop a U+FEFF leading the output */
    bool fell_back;
    bool conv_flushed; /* iconv shift state written out at end */
    iconv_t cd;        /* (iconv_t)-1 when none */

    /* raw file */
    bool regular;       /* a regular file: size_hint can look at it */
    off_t start_off;    /* offset at open (0 but for a redirected stdin) */
    off_t file_size;    /* st_size at open */
    uint64_t text_out;  /* bytes handed out by ncc_source_read */
    bool started; /* gzip detection done */
    bool raw_eof; /* read() returned 0 */
    uint64_t raw_bytes;
    ncc_sha256 sha;

    /* gzip */
    bool gzip;
    bool zs_ready;   /* inflateInit2 succeeded */
    bool member_end; /* the last inflate ended a member */
    z_stream zs;
    unsigned char *zin; /* compressed input, NCC_SOURCE_BUFSIZE */

    /* decompressed bytes not yet decoded: win[pos..len) */
    unsigned char *win; /* WIN_SLACK + NCC_SOURCE_BUFSIZE */
    size_t pos, len;
    uint64_t win_off; /* stream offset of win[0] */
    bool eof;         /* no more decompressed bytes will come */
    bool done;        /* read returned (or will return) 0 */

    bool failed;
    bool hash; /* keep the SHA-256 of the raw bytes (ncc_source_keep_sha256) */
    ncc_code err_code;
    char err_msg[512];
};

__attribute__((format(printf, 3, 4))) static void fail_with(ncc_source *s, ncc_code code,
                                                            const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->err_msg, sizeof s->err_msg, fmt, ap);
    va_end(ap);
    s->err_code = code;
    s->failed = true;
}

/* ---- raw bytes ---------------------------------------------------------- */

/* One read() into dst, hashed. Bytes read, 0 at end of file, -1 on error. */
static ssize_t raw_read(ncc_source *s, unsigned char *dst, size_t cap)
{
    ssize_t n;

    if (s->raw_eof)
        return 0;
    do
        n = s->use_reader ? s->rd.read(s->rd.ctx, dst, cap) : read(s->fd, dst, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        fail_with(s, NCC_F_UNREADABLE, "cannot read %s: %s", s->where, strerror(errno));
        return -1;
    }
    if (n == 0) {
        s->raw_eof = true;
        return 0;
    }
    if ((size_t)n > cap) { /* only a reader could */
        fail_with(s, NCC_F_UNREADABLE, "cannot read %s: the reader gave more than asked",
                  s->where);
        return -1;
    }
    if (s->hash)
        ncc_sha256_update(&s->sha, dst, (size_t)n);
    s->raw_bytes += (uint64_t)n;
    return n;
}

/* Compressed bytes inflate has consumed so far. */
static uint64_t gz_consumed(const ncc_source *s)
{
    return s->raw_bytes - s->zs.avail_in;
}

/*
 * Inflate into dst (cap bytes). Bytes produced (> 0), 0 at the clean end of
 * the last member, -1 on error. A stream that stops inside a member is
 * truncated; data after a member must be another gzip member.
 */
static ssize_t gz_inflate(ncc_source *s, unsigned char *dst, size_t cap)
{
    for (;;) {
        if (s->zs.avail_in == 0 && !s->raw_eof) {
            ssize_t n = raw_read(s, s->zin, NCC_SOURCE_BUFSIZE);
            if (n < 0)
                return -1;
            s->zs.next_in = s->zin;
            s->zs.avail_in = (uInt)n;
        }
        if (s->member_end) {
            if (s->zs.avail_in == 0) /* the read above found the end */
                return 0;
            if (inflateReset(&s->zs) != Z_OK) {
                fail_with(s, NCC_F_GZIP,
                          "gzip stream cannot be restarted after %" PRIu64
                          " compressed bytes: " GZIP_ADVICE,
                          gz_consumed(s));
                return -1;
            }
            s->member_end = false;
        }
        if (s->zs.avail_in == 0) { /* and raw_eof: the member never ended */
            fail_with(s, NCC_F_GZIP,
                      "gzip stream is truncated after %" PRIu64 " compressed bytes: " GZIP_ADVICE,
                      gz_consumed(s));
            return -1;
        }

        s->zs.next_out = dst;
        s->zs.avail_out = (uInt)cap;
        int zr = inflate(&s->zs, Z_NO_FLUSH);
        size_t got = cap - s->zs.avail_out;
        if (zr == Z_STREAM_END) {
            s->member_end = true;
        } else if (zr == Z_MEM_ERROR) {
            fail_with(s, NCC_F_UNREADABLE, "cannot read %s: out of memory for gzip", s->where);
            return -1;
        } else if (zr != Z_OK && !(zr == Z_BUF_ERROR && s->zs.avail_in == 0)) {
            fail_with(s, NCC_F_GZIP,
                      "gzip stream is corrupt after %" PRIu64
                      " compressed bytes (%s): " GZIP_ADVICE,
                      gz_consumed(s), s->zs.msg ? s->zs.msg : "invalid data");
            return -1;
        }
        if (got > 0)
            return (ssize_t)got;
    }
}

/* First read: fill the window and look for the gzip magic 1f 8b. */
static int detect(ncc_source *s)
{
    size_t got = 0;

    s->started = true;
    while (got < 2) {
        ssize_t n = raw_read(s, s->win + got, NCC_SOURCE_BUFSIZE - got);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got >= 2 && s->win[0] == 0x1f && s->win[1] == 0x8b) {
        s->gzip = true;
        memcpy(s->zin, s->win, got);
        s->zs.next_in = s->zin;
        s->zs.avail_in = (uInt)got;
        got = 0;
    }
    s->pos = 0;
    s->len = got;
    return 0;
}

/*
 * Keep the unread window bytes (at most WIN_SLACK), move them to the front
 * and append fresh decompressed bytes. Bytes added, 0 at end (eof set), -1.
 */
static ssize_t fill(ncc_source *s)
{
    size_t keep = s->len - s->pos;
    ssize_t n;

    if (keep > 0 && s->pos > 0)
        memmove(s->win, s->win + s->pos, keep);
    s->win_off += s->pos;
    s->pos = 0;
    s->len = keep;
    if (s->gzip)
        n = gz_inflate(s, s->win + keep, NCC_SOURCE_BUFSIZE);
    else
        n = raw_read(s, s->win + keep, NCC_SOURCE_BUFSIZE);
    if (n > 0)
        s->len += (size_t)n;
    else if (n == 0)
        s->eof = true;
    return n;
}

/* ---- decoding ----------------------------------------------------------- */

/*
 * Copy the leading ASCII of src[0..n) to dst, 8 bytes at a time while no
 * high bit is set. Returns the count copied (stops at the first byte >= 0x80).
 */
static inline size_t ascii_copy(char *dst, const unsigned char *src, size_t n)
{
    size_t i = 0;

    while (i + 16 <= n) {
        uint64_t a, b;
        memcpy(&a, src + i, 8);
        memcpy(&b, src + i + 8, 8);
        if ((a | b) & UINT64_C(0x8080808080808080))
            break;
        memcpy(dst + i, &a, 8);
        memcpy(dst + i + 8, &b, 8);
        i += 16;
    }
    if (i + 8 <= n) {
        uint64_t a;
        memcpy(&a, src + i, 8);
        if (!(a & UINT64_C(0x8080808080808080))) {
            memcpy(dst + i, &a, 8);
            i += 8;
        }
    }
    while (i < n && src[i] < 0x80) {
        dst[i] = (char)src[i];
        i++;
    }
    return i;
}

#define SEQ_NEED 0     /* a valid prefix, more bytes needed */
#define SEQ_INVALID -1 /* not UTF-8 */
#define SEQ_CUT -2     /* a valid prefix cut by the end of the file */

/*
 * The UTF-8 sequence starting at p (avail >= 1 bytes there): its length if
 * valid (Unicode table 3-7: no overlongs, surrogates or values past
 * U+10FFFF), else SEQ_NEED, SEQ_INVALID or SEQ_CUT.
 */
static int utf8_seq(const unsigned char *p, size_t avail, bool eof)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    int need;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return SEQ_INVALID;
    }
    for (int i = 1; i < need; i++) {
        if ((size_t)i >= avail)
            return eof ? SEQ_CUT : SEQ_NEED;
        if (p[i] < lo || p[i] > hi)
            return SEQ_INVALID;
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

/* Auto mode met a sequence that is not UTF-8: Windows-1252 from here on. */
static void fall_back(ncc_source *s)
{
    s->mode = MODE_ICONV;
    s->fell_back = true;
    iconv(s->cd, NULL, NULL, NULL, NULL);
}

/* UTF-8 and undecided modes: validate and copy. */
static enum step step_utf8(ncc_source *s, char *buf, size_t cap, size_t *outp)
{
    const unsigned char *p = s->win + s->pos, *end = s->win + s->len;
    size_t out = *outp;
    enum step st;

    if (s->at_start) {
        size_t avail = (size_t)(end - p);
        if (avail < 3 && !s->eof && memcmp(p, utf8_bom, avail) == 0)
            return STEP_NEED;
        s->at_start = false;
        if (avail >= 3 && memcmp(p, utf8_bom, 3) == 0) {
            p += 3;
            s->mode = MODE_UTF8; /* the BOM is the first non-ASCII, valid UTF-8 */
        }
    }

    for (;;) {
        size_t avail = (size_t)(end - p), room = cap - out;
        size_t n = avail < room ? avail : room;
        size_t i = ascii_copy(buf + out, p, n);
        p += i;
        out += i;
        if (i == n) {
            if (out == cap)
                st = STEP_FULL;
            else
                st = s->eof ? STEP_END : STEP_NEED;
            break;
        }

        int r = utf8_seq(p, (size_t)(end - p), s->eof);
        if (r > 0) {
            if (s->mode == MODE_UNDECIDED)
                s->mode = MODE_UTF8;
            if (cap - out < (size_t)r) {
                st = STEP_FULL;
                break;
            }
            memcpy(buf + out, p, (size_t)r);
            p += r;
            out += (size_t)r;
            continue;
        }
        if (r == SEQ_NEED) {
            st = STEP_NEED;
            break;
        }
        if (s->mode == MODE_UNDECIDED) {
            fall_back(s);
            st = STEP_MORE;
            break;
        }
        uint64_t off = s->win_off + (uint64_t)(p - s->win);
        if (r == SEQ_CUT)
            fail_with(s, NCC_F_ENCODING,
                      "incomplete UTF-8 sequence at end of file: byte 0x%02X at offset %" PRIu64,
                      *p, off);
        else
            fail_with(s, NCC_F_ENCODING, "byte 0x%02X at offset %" PRIu64 " is not valid UTF-8", *p,
                      off);
        st = STEP_FAIL;
        break;
    }
    s->pos = (size_t)(p - s->win);
    *outp = out;
    return st;
}

/* iconv mode (explicit encoding or after the fallback): convert. */
static enum step step_iconv(ncc_source *s, char *buf, size_t cap, size_t *outp)
{
    size_t out = *outp;
    char *in = (char *)s->win + s->pos;
    size_t inleft = s->len - s->pos;
    char *o = buf + out;
    size_t oleft = cap - out;
    const char *name = ncc_source_encoding(s);
    size_t r;
    int e;

    if (inleft == 0) {
        if (!s->eof)
            return STEP_NEED;
        if (s->conv_flushed)
            return STEP_END;
        /* end of input: write out any shift state */
        r = iconv(s->cd, NULL, NULL, &o, &oleft);
        if (r == (size_t)-1) {
            if (errno == E2BIG)
                return STEP_FULL;
            fail_with(s, NCC_F_ENCODING, "cannot finish converting from %s: %s", name,
                      strerror(errno));
            return STEP_FAIL;
        }
        s->conv_flushed = true;
        *outp = cap - oleft;
        return STEP_MORE;
    }

    r = iconv(s->cd, &in, &inleft, &o, &oleft);
    e = errno;
    size_t produced = (cap - oleft) - out;
    s->pos = (size_t)((unsigned char *)in - s->win);
    if (produced > 0 && s->strip_conv_bom) {
        s->strip_conv_bom = false; /* iconv never splits a character */
        if (produced >= 3 && memcmp(buf + out, utf8_bom, 3) == 0) {
            memmove(buf + out, buf + out + 3, produced - 3);
            produced -= 3;
        }
    }
    *outp = out + produced;
    if (r != (size_t)-1)
        return STEP_MORE;

    uint64_t off = s->win_off + s->pos;
    switch (e) {
    case E2BIG:
        return STEP_FULL;
    case EINVAL: /* incomplete sequence at the end of the window */
        if (s->eof) {
            fail_with(s, NCC_F_ENCODING,
                      "incomplete %s sequence at end of file: byte 0x%02X at offset %" PRIu64, name,
                      s->win[s->pos], off);
            return STEP_FAIL;
        }
        if (inleft > WIN_SLACK) {
            fail_with(s, NCC_F_ENCODING,
                      "%s sequence at offset %" PRIu64 " is longer than %d bytes", name, off,
                      WIN_SLACK);
            return STEP_FAIL;
        }
        return STEP_NEED;
    case EILSEQ:
        fail_with(s, NCC_F_ENCODING, "byte 0x%02X at offset %" PRIu64 " is not valid %s",
                  s->win[s->pos], off, name);
        return STEP_FAIL;
    default:
        fail_with(s, NCC_F_ENCODING, "cannot convert from %s at offset %" PRIu64 ": %s", name, off,
                  strerror(e));
        return STEP_FAIL;
    }
}

static ssize_t source_read(ncc_source *src, char *buf, size_t cap);

ssize_t ncc_source_read(ncc_source *src, char *buf, size_t cap)
{
    ssize_t n = source_read(src, buf, cap);
    if (n > 0)
        src->text_out += (uint64_t)n;
    return n;
}

static ssize_t source_read(ncc_source *src, char *buf, size_t cap)
{
    size_t out = 0;

    if (src->failed)
        return -1;
    if (src->done)
        return 0;
    if (cap == 0) {
        fail_with(src, NCC_F_UNREADABLE, "cannot read %s: read buffer of 0 bytes", src->where);
        return -1;
    }
    if (!src->started && detect(src) < 0)
        return -1;

    while (out < cap) {
        enum step st = src->mode == MODE_ICONV ? step_iconv(src, buf, cap, &out)
                                               : step_utf8(src, buf, cap, &out);
        switch (st) {
        case STEP_MORE:
            break;
        case STEP_NEED:
            if (out > 0) /* hand out what is here rather than wait on a pipe */
                return (ssize_t)out;
            if (fill(src) < 0)
                return -1;
            break;
        case STEP_FULL:
            if (out == 0) {
                fail_with(src, NCC_F_ENCODING,
                          "read buffer of %zu bytes is too small for one converted character", cap);
                return -1;
            }
            return (ssize_t)out;
        case STEP_END:
            src->done = true;
            return (ssize_t)out;
        case STEP_FAIL:
            /* hand over the text decoded before the failure; the next call reports it */
            return out > 0 ? (ssize_t)out : -1;
        }
    }
    return (ssize_t)out;
}

/* ---- open, accessors, free ---------------------------------------------- */

static bool is_utf8_name(const char *name)
{
    return strcasecmp(name, "UTF-8") == 0 || strcasecmp(name, "UTF8") == 0;
}

/* Copy of s, ASCII upper-cased if upper; NULL when out of memory. */
static char *str_dup(const char *s, bool upper)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);

    if (d) {
        for (size_t i = 0; i <= n; i++)
            d[i] = (upper && s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
    }
    return d;
}

/* "\"name\"" for messages; NULL when out of memory. */
static char *quoted(const char *name)
{
    size_t n = strlen(name);
    char *q = malloc(n + 3);

    if (q) {
        q[0] = '"';
        memcpy(q + 1, name, n);
        q[n + 1] = '"';
        q[n + 2] = '\0';
    }
    return q;
}

/*
 * What every source needs, whatever its bytes come from: the encoding and its
 * iconv descriptor, the buffers, zlib. Returns 0, or an errno with a message in
 * msg and *fail_code set (-1 for an unknown encoding).
 */
static int source_init(ncc_source *s, const char *path, const char *encoding, int *fail_code,
                       char *msg, size_t msglen)
{
    const char *conv = NULL; /* iconv source charset, if any */
    int e = 0;

    s->fd = -1;
    s->cd = (iconv_t)-1;
    if (!encoding || strcasecmp(encoding, "auto") == 0) {
        s->mode = MODE_UNDECIDED;
        s->at_start = true;
        s->encname = str_dup("UTF-8", false);
        conv = "WINDOWS-1252";
    } else if (is_utf8_name(encoding)) {
        s->mode = MODE_UTF8;
        s->at_start = true;
        s->encname = str_dup("UTF-8", false);
    } else {
        s->mode = MODE_ICONV;
        s->strip_conv_bom = true;
        s->encname = str_dup(encoding, true);
        conv = encoding;
    }
    if (!s->encname) {
        snprintf(msg, msglen, "cannot open \"%s\": %s", path, strerror(ENOMEM));
        return ENOMEM;
    }
    if (conv) {
        /* "" would mean the locale's charset to glibc: not a name */
        if (*conv == '\0') {
            e = EINVAL;
        } else {
            s->cd = iconv_open("UTF-8", conv);
            if (s->cd == (iconv_t)-1)
                e = errno;
        }
        if (e) {
            *fail_code = -1;
            if (e == EINVAL)
                snprintf(msg, msglen, "unknown encoding \"%s\" (see iconv --list)", conv);
            else
                snprintf(msg, msglen, "cannot use encoding \"%s\": %s", conv, strerror(e));
            return e;
        }
    }

    s->where = strcmp(path, "-") == 0 && !s->use_reader ? str_dup("standard input", false)
                                                          : quoted(path);
    s->win = malloc(WIN_SLACK + NCC_SOURCE_BUFSIZE);
    s->zin = malloc(NCC_SOURCE_BUFSIZE);
    if (!s->where || !s->win || !s->zin) {
        snprintf(msg, msglen, "cannot open \"%s\": %s", path, strerror(ENOMEM));
        return ENOMEM;
    }
    if (inflateInit2(&s->zs, 16 + MAX_WBITS) != Z_OK) {
        snprintf(msg, msglen, "cannot open \"%s\": cannot start gzip: %s", path, strerror(ENOMEM));
        return ENOMEM;
    }
    s->zs_ready = true;
    ncc_sha256_init(&s->sha);
    return 0;
}

/* The reader bound by ncc_source_bind_reader, if any. */
static struct {
    bool set;
    char name[NCC_SOURCE_NAME_MAX + 1];
    ncc_source_reader rd;
} bound;

int ncc_source_bind_reader(const char *name, const ncc_source_reader *reader)
{
    bound.set = false;
    if (!reader)
        return 0;
    size_t n = strlen(name);
    if (n > NCC_SOURCE_NAME_MAX)
        return -1;
    memcpy(bound.name, name, n + 1);
    bound.rd = *reader;
    bound.set = true;
    return 0;
}

/* Fail an open: the message and code to the caller, errno kept. Returns NULL. */
static ncc_source *open_failed(ncc_source *s, int e, int fail_code, const char *msg, int *code,
                               char *err, size_t errlen)
{
    if (code)
        *code = fail_code;
    if (err && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    ncc_source_free(s);
    errno = e;
    return NULL;
}

ncc_source *ncc_source_open_reader(const char *name, const ncc_source_reader *reader,
                                   const char *encoding, int *code, char *err, size_t errlen)
{
    char msg[512] = "";
    int fail_code = NCC_F_UNREADABLE;
    ncc_source *s = calloc(1, sizeof *s);

    if (!s) {
        snprintf(msg, sizeof msg, "cannot open \"%s\": %s", name, strerror(ENOMEM));
        return open_failed(s, ENOMEM, fail_code, msg, code, err, errlen);
    }
    s->use_reader = true;
    s->rd = *reader;
    int e = source_init(s, name, encoding, &fail_code, msg, sizeof msg);
    if (e)
        return open_failed(s, e, fail_code, msg, code, err, errlen);
    s->regular = reader->size > 0;
    s->file_size = (off_t)reader->size;
    return s;
}

ncc_source *ncc_source_open(const char *path, const char *encoding, int *code, char *err,
                            size_t errlen)
{
    char msg[512] = "";
    int fail_code = NCC_F_UNREADABLE;
    struct stat st;

    if (bound.set && strcmp(path, bound.name) == 0)
        return ncc_source_open_reader(path, &bound.rd, encoding, code, err, errlen);
    ncc_source *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(msg, sizeof msg, "cannot open \"%s\": %s", path, strerror(ENOMEM));
        return open_failed(s, ENOMEM, fail_code, msg, code, err, errlen);
    }
    int e = source_init(s, path, encoding, &fail_code, msg, sizeof msg);
    if (e)
        return open_failed(s, e, fail_code, msg, code, err, errlen);

    if (strcmp(path, "-") == 0) {
        s->fd = STDIN_FILENO;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            e = errno;
            snprintf(msg, sizeof msg, "cannot open \"%s\": %s", path, strerror(e));
            return open_failed(s, e, fail_code, msg, code, err, errlen);
        }
        s->own_fd = true;
    }
    if (fstat(s->fd, &st) != 0)
        e = errno;
    else if (S_ISDIR(st.st_mode))
        e = EISDIR;
    if (e) {
        snprintf(msg, sizeof msg, "cannot open %s: %s", s->where, strerror(e));
        return open_failed(s, e, fail_code, msg, code, err, errlen);
    }
    if (S_ISREG(st.st_mode)) {
        (void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        s->start_off = lseek(s->fd, 0, SEEK_CUR);
        s->file_size = st.st_size;
        s->regular = s->start_off >= 0 && s->start_off <= s->file_size;
    }
    return s;
}

ncc_code ncc_source_error(const ncc_source *src, const char **message)
{
    if (message)
        *message = src->err_msg;
    return src->err_code;
}

const char *ncc_source_encoding(const ncc_source *src)
{
    return src->fell_back ? "WINDOWS-1252" : src->encname;
}

bool ncc_source_fell_back(const ncc_source *src)
{
    return src->fell_back;
}

bool ncc_source_is_gzip(const ncc_source *src)
{
    return src->gzip;
}

uint64_t ncc_source_raw_bytes(const ncc_source *src)
{
    return src->raw_bytes;
}

uint64_t ncc_source_text_bytes(const ncc_source *src)
{
    return src->text_out;
}

/* pread all of len bytes at off (or the reader's peek); false on a short read or an error. */
static bool pread_full(const ncc_source *src, void *buf, size_t len, off_t off)
{
    size_t got = 0;
    int fd = src->fd;

    if (src->use_reader)
        return src->rd.peek && src->rd.peek(src->rd.ctx, buf, len, (uint64_t)off) == 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

uint64_t ncc_source_size_hint(const ncc_source *src)
{
    if (!src->regular)
        return 0;
    uint64_t size = (uint64_t)(src->file_size - src->start_off);
    unsigned char magic[2];
    bool gzip;
    if (src->started)
        gzip = src->gzip;
    else
        gzip = size >= 2 && pread_full(src, magic, 2, src->start_off) && magic[0] == 0x1f &&
               magic[1] == 0x8b;
    if (!gzip)
        return size;
    unsigned char t[4];
    /* the smallest gzip member is 18 bytes: header 10, empty deflate block, trailer 8 */
    if (size < 18 || !pread_full(src, t, 4, src->file_size - 4))
        return size;
    uint64_t isize = (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 |
                     (uint64_t)t[3] << 24;
    return isize > size ? isize : size;
}

void ncc_source_keep_sha256(ncc_source *src)
{
    src->hash = true;
}

void ncc_source_sha256_hex(ncc_source *src, char hex[65])
{
    ncc_sha256 copy = src->sha; /* finalise a copy: reading may go on */

    ncc_sha256_final_hex(&copy, hex);
}

void ncc_source_free(ncc_source *src)
{
    if (!src)
        return;
    if (src->zs_ready)
        inflateEnd(&src->zs);
    if (src->cd != (iconv_t)-1)
        iconv_close(src->cd);
    if (src->own_fd && src->fd >= 0)
        close(src->fd);
    free(src->zin);
    free(src->win);
    free(src->where);
    free(src->encname);
    free(src);
}
