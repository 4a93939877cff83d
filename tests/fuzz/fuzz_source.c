/*
 * fuzz_source.c - libFuzzer target for the byte source (etl/lib/reading/source.c):
 * gzip detection and inflation, UTF-8 validation, the Windows-1252
 * fallback of auto mode, iconv conversion, BOM stripping and the window
 * refills in between.
 *
 * Input layout: 4 option bytes, then the payload.
 *   byte 0  encoding given to ncc_source_open (table below, modulo its size)
 *   byte 1  bits 0-2: read buffer size (16 .. 256 KiB)
 *           bit 3: gzip-compress the payload here (so mutations of the text
 *                  reach the inflate path), bit 4: as two gzip members,
 *           bit 5: repeat the payload past the 256 KiB window (refills, a
 *                  character split over a window boundary),
 *           bit 6: truncate the compressed stream (must be F_GZIP, never a
 *                  short read)
 *           bit 7: keep the SHA-256 of the raw bytes (checked at the end)
 *   byte 2  with bit 5: where the text ends relative to the window size
 *   byte 3  low 4 bits: bytes cut by bit 6; high 4 bits: member split point
 *
 * Besides the sanitizers, every run checks the source against a reference
 * model built here from the contract (source.h): for the UTF-8 modes an
 * independent UTF-8 decoder, for the other encodings one whole-buffer iconv
 * call. The text, success or failure, error code, F_ENCODING offset,
 * fallback flag, raw byte count and SHA-256 must all agree.
 */
#include "fuzz_common.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <strings.h>
#include <zlib.h>

#include "shared/codes.h"
#include "shared/sha256.h"
#include "reading/source.h"

static const char *const encodings[] = {
    NULL,           "auto",       "UTF-8",     "utf8",
    "WINDOWS-1252", "ISO-8859-1", "UTF-16",    "UTF-16LE",
    "UTF-16BE",     "UTF-32",     "SHIFT_JIS", "ISO-2022-JP",
    "GB18030",      "CP1250",     "",          "NO-SUCH-CHARSET-X",
};
#define NENC (sizeof encodings / sizeof encodings[0])

static const size_t caps[8] = {16, 17, 23, 64, 1000, 4096, 65536, NCC_SOURCE_BUFSIZE};

/* ---- growable byte buffer ---- */

typedef struct buf {
    uint8_t *p;
    size_t len, cap;
} buf;

/* Room for n bytes in all, so that a large text is not copied at each doubling. */
FUZZ_NOCOV static void buf_reserve(buf *b, size_t n)
{
    if (n > b->cap) {
        b->p = realloc(b->p, n);
        if (!b->p)
            abort();
        b->cap = n;
    }
}

FUZZ_NOCOV static void buf_put(buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap || !b->p) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->len + n)
            nc *= 2;
        b->p = realloc(b->p, nc);
        if (!b->p)
            abort();
        b->cap = nc;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* ---- reference model ---- */

typedef struct model {
    buf text;         /* expected output (up to the failure) */
    bool ok;          /* expected clean end of file */
    bool fell_back;   /* expected Windows-1252 fallback */
    uint64_t err_off; /* offset of the bad byte when !ok */
} model;

/*
 * Length of the valid UTF-8 sequence at p (Unicode: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0 when invalid or cut by the end.
 * Written from the code point rules, not from the library's byte table.
 */
FUZZ_NOCOV static size_t ref_utf8_seq(const uint8_t *p, size_t avail)
{
    uint32_t c = p[0], cp;
    size_t need;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        need = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        need = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return need;
}

/* Whole-buffer iconv of in[0..n) from enc, appended to m; base = offset of in[0]. */
FUZZ_NOCOV static void model_iconv(model *m, const char *enc, const uint8_t *in, size_t n,
                                   uint64_t base, bool strip_bom)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
        abort(); /* checked by the caller */
    size_t start = m->text.len;
    char *ip = (char *)in;
    size_t il = n;
    bool flushing = false;
    m->ok = true;
    for (;;) {
        char out[4096];
        char *op = out;
        size_t ol = sizeof out;
        size_t r = flushing ? iconv(cd, NULL, NULL, &op, &ol) : iconv(cd, &ip, &il, &op, &ol);
        int e = errno;
        buf_put(&m->text, out, sizeof out - ol);
        if (r == (size_t)-1) {
            if (e == E2BIG)
                continue;
            if (flushing)
                break; /* the source reports this too, without an offset: not modelled */
            m->ok = false;
            m->err_off = base + (uint64_t)(ip - (char *)in);
            break;
        }
        if (flushing)
            break;
        flushing = true; /* all input converted: write out the shift state */
    }
    iconv_close(cd);
    if (strip_bom && m->text.len - start >= 3 &&
        memcmp(m->text.p + start, "\xEF\xBB\xBF", 3) == 0) {
        memmove(m->text.p + start, m->text.p + start + 3, m->text.len - start - 3);
        m->text.len -= 3;
    }
}

/* UTF-8 (explicit) or auto mode. */
FUZZ_NOCOV static void model_utf8(model *m, const uint8_t *in, size_t n, bool auto_mode)
{
    size_t p = 0;
    bool undecided = auto_mode;
    m->ok = true;
    if (n >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0) {
        p = 3;
        undecided = false;
    }
    while (p < n) {
        size_t run = 0;
        while (p + run < n && in[p + run] < 0x80)
            run++;
        buf_put(&m->text, in + p, run); /* ASCII */
        p += run;
        if (p == n)
            break;
        size_t r = ref_utf8_seq(in + p, n - p);
        if (r == 0) {
            if (undecided) {
                m->fell_back = true;
                model_iconv(m, "WINDOWS-1252", in + p, n - p, p, false);
                return;
            }
            m->ok = false;
            m->err_off = p;
            return;
        }
        undecided = false;
        buf_put(&m->text, in + p, r);
        p += r;
    }
}

/* ---- helpers ---- */

/* Appends a gzip member holding in[0..n) to out. */
FUZZ_NOCOV static void gzip_member(buf *out, const uint8_t *in, size_t n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t bound = deflateBound(&zs, (uLong)n) + 32;
    uint8_t *tmp = malloc(bound);
    if (!tmp)
        abort();
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = tmp;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    buf_put(out, tmp, bound - zs.avail_out);
    deflateEnd(&zs);
    free(tmp);
}

/* True when s[0..n) is UTF-8 made of whole valid characters. */
FUZZ_NOCOV static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t r = ref_utf8_seq(s + i, n - i);
        if (!r)
            return false;
        i += r;
    }
    return true;
}

/* The offset named in an F_ENCODING message ("... offset 123 ..."), or -1. */
FUZZ_NOCOV static long long message_offset(const char *msg)
{
    const char *p = strstr(msg, "offset ");
    if (!p)
        return -1;
    return strtoll(p + 7, NULL, 10);
}

static bool is_utf8_name(const char *e)
{
    return e && (strcasecmp(e, "UTF-8") == 0 || strcasecmp(e, "UTF8") == 0);
}

static bool is_auto(const char *e)
{
    return !e || strcasecmp(e, "auto") == 0;
}

/* Whether ncc_source_open must accept the name (auto, UTF-8 or known to iconv). */
FUZZ_NOCOV static bool encoding_known(const char *enc)
{
    if (is_auto(enc) || is_utf8_name(enc))
        return true;
    if (!*enc)
        return false; /* "" would be the locale's charset to iconv: refused */
    iconv_t cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_file_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    const char *enc = encodings[data[0] % NENC];
    const char *encname = enc ? enc : "(auto)";
    uint8_t flags = data[1], pa = data[2], pb = data[3];
    size_t cap = caps[flags & 7];
    bool wrap = flags & 0x08, two = flags & 0x10, repeat = flags & 0x20, cut = flags & 0x40;
    bool hash = flags & 0x80;
    const uint8_t *payload = data + 4;
    size_t plen = size - 4;

    /* the decompressed text */
    buf text = {0};
    buf_put(&text, payload, plen);
    if (repeat && plen > 0) {
        size_t target = NCC_SOURCE_BUFSIZE - 128 + pa;
        uint8_t *big = malloc(target);
        if (!big)
            abort();
        size_t have = plen < target ? plen : target;
        memcpy(big, payload, have);
        while (have < target) { /* double the copy */
            size_t k = have < target - have ? have : target - have;
            memcpy(big + have, big, k);
            have += k;
        }
        free(text.p);
        text.p = big;
        text.len = text.cap = target;
    }
    /* the file */
    buf file = {0};
    bool truncated = false;
    if (wrap) {
        if (two) {
            size_t split = text.len * (size_t)(pb >> 4) / 16;
            gzip_member(&file, text.p, split);
            gzip_member(&file, text.p + split, text.len - split);
        } else {
            gzip_member(&file, text.p, text.len);
        }
        if (cut) {
            file.len -= 1 + (pb & 15); /* a member is always longer than 16 bytes */
            truncated = true;
        }
    } else {
        buf_put(&file, text.p, text.len);
    }
    bool magic = file.len >= 2 && file.p[0] == 0x1f && file.p[1] == 0x8b;
    /* the text is known when we compressed it, or when the file is not gzip */
    bool known = wrap || !magic;

    const char *path = fuzz_file_write(file.p, file.len);
    int code = 12345;
    char err[512] = "";
    ncc_source *src = ncc_source_open(path, enc, &code, err, sizeof err);
    if (!encoding_known(enc)) {
        FUZZ_EXPECT("source-unknown-encoding", src == NULL && code == -1,
                    "encoding \"%s\" unknown to iconv: open gave %p, code %d (%s)", encname,
                    (void *)src, code, err);
        goto out;
    }
    FUZZ_EXPECT("source-open", src != NULL, "open failed with encoding %s: %s", encname, err);
    if (!src)
        goto out;
    if (hash)
        ncc_source_keep_sha256(src);

    /* read everything */
    buf got = {0};
    buf_reserve(&got, text.len * 2 + 64); /* UTF-8 of one byte is at most 2 bytes... */
    char *rbuf = malloc(cap);
    if (!rbuf)
        abort();
    ssize_t n;
    while ((n = ncc_source_read(src, rbuf, cap)) > 0) {
        FUZZ_EXPECT("source-read-size", (size_t)n <= cap,
                    "read returned %zd bytes into a buffer of %zu", n, cap);
        buf_put(&got, rbuf, (size_t)n);
        FUZZ_ASSERT(got.len <= 64u * 1024 * 1024, "more than 64 MiB of text");
    }
    free(rbuf);
    bool clean = n == 0;
    const char *msg = "";
    ncc_code ecode = ncc_source_error(src, &msg);
    char tmp[16];
    if (clean) {
        FUZZ_EXPECT("source-sticky", ncc_source_read(src, tmp, sizeof tmp) == 0,
                    "a read after the end is not 0");
    } else {
        FUZZ_EXPECT("source-sticky", ncc_source_read(src, tmp, sizeof tmp) == -1,
                    "a read after an error is not -1");
        FUZZ_EXPECT("source-error-code", ecode == NCC_F_ENCODING || (magic && ecode == NCC_F_GZIP),
                    "unexpected error code %s: %s", ncc_code_name(ecode), msg);
        FUZZ_EXPECT("source-error-code", msg && *msg, "error without a message");
    }

    /* properties that hold for any input */
    FUZZ_EXPECT("source-utf8-output", utf8_valid(got.p, got.len),
                "the output is not valid UTF-8 (%zu bytes, encoding %s)", got.len, encname);
    FUZZ_EXPECT("source-gzip-detect", ncc_source_is_gzip(src) == magic,
                "gzip detection is %d, the magic bytes say %d", (int)ncc_source_is_gzip(src),
                (int)magic);
    if (clean)
        FUZZ_EXPECT("source-raw-bytes", ncc_source_raw_bytes(src) == file.len,
                    "raw bytes %llu, the file has %zu",
                    (unsigned long long)ncc_source_raw_bytes(src), file.len);
    if (clean && hash) {
        char hex[65], want[65];
        ncc_source_sha256_hex(src, hex);
        ncc_sha256 sha;
        ncc_sha256_init(&sha);
        ncc_sha256_update(&sha, file.p, file.len);
        ncc_sha256_final_hex(&sha, want);
        FUZZ_EXPECT("source-sha256", strcmp(hex, want) == 0, "sha256 %s of the file, expected %s",
                    hex, want);
    }
    if (truncated)
        FUZZ_EXPECT("source-gzip-truncated", !clean,
                    "a truncated gzip stream read as a clean end of file");

    /* the reference model */
    if (known) {
        model m = {0};
        buf_reserve(&m.text, text.len * 2 + 64); /* ... but grows past it when needed */
        if (is_auto(enc) || is_utf8_name(enc))
            model_utf8(&m, text.p, text.len, is_auto(enc));
        else
            model_iconv(&m, enc, text.p, text.len, 0, true);
        if (truncated) {
            if (m.ok)
                FUZZ_EXPECT("source-gzip-truncated", ecode == NCC_F_GZIP,
                            "truncated gzip of valid text gave %s: %s", ncc_code_name(ecode), msg);
        } else {
            FUZZ_EXPECT("source-model", clean == m.ok,
                        "the source %s but the model %s (encoding %s, %zu bytes): %s",
                        clean ? "ended cleanly" : "failed", m.ok ? "ends cleanly" : "fails",
                        encname, text.len, clean ? "" : msg);
            FUZZ_EXPECT("source-model",
                        got.len == m.text.len &&
                            (!got.len || memcmp(got.p, m.text.p, got.len) == 0),
                        "the text differs from the model: %zu bytes, model %zu (encoding %s)",
                        got.len, m.text.len, encname);
            if (!clean && !m.ok) {
                FUZZ_EXPECT("source-error-code", ecode == NCC_F_ENCODING,
                            "expected F_ENCODING, got %s: %s", ncc_code_name(ecode), msg);
                long long off = message_offset(msg);
                FUZZ_EXPECT("source-encoding-offset", off == (long long)m.err_off,
                            "F_ENCODING names offset %lld, the bad byte is at %llu: %s", off,
                            (unsigned long long)m.err_off, msg);
            }
            FUZZ_EXPECT("source-fallback", ncc_source_fell_back(src) == m.fell_back,
                        "fell_back is %d, the model says %d", (int)ncc_source_fell_back(src),
                        (int)m.fell_back);
            if (m.fell_back && ncc_source_fell_back(src))
                FUZZ_EXPECT("source-fallback",
                            strcmp(ncc_source_encoding(src), "WINDOWS-1252") == 0,
                            "encoding after the fallback is %s", ncc_source_encoding(src));
        }
        free(m.text.p);
    }
    free(got.p);
out:
    ncc_source_free(src);
    free(text.p);
    free(file.p);
    return 0;
}
