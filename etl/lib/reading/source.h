/*
 * source.h - the byte source of every input file: a path, stdin or a read
 * callback (for hosts without files to open: the browser build), gzip
 * detected by magic bytes, decoded to UTF-8 (BOM stripped).
 *
 * Encodings (contract section 2):
 *  - NULL or "auto": UTF-8. While only ASCII has been seen the encoding is
 *    undecided; at the first non-ASCII byte the source commits: to UTF-8 if
 *    that sequence is valid UTF-8, otherwise to WINDOWS-1252 (converted with
 *    iconv from there on; the ASCII before is identical in both) and
 *    ncc_source_fell_back() becomes true (W_ENCODING_FALLBACK). Once
 *    committed to UTF-8, an invalid sequence is F_ENCODING.
 *  - "UTF-8" (any case, also "UTF8"): validated; invalid bytes F_ENCODING.
 *  - any other name: converted with iconv to UTF-8; bytes invalid in it are
 *    F_ENCODING. An unknown name makes ncc_source_open fail (usage error).
 * F_ENCODING messages give the byte offset in the decompressed stream.
 *
 * A corrupt or truncated gzip stream is F_GZIP, never a short read;
 * concatenated gzip members are read in full.
 * Memory is fixed at open (a few buffers of NCC_SOURCE_BUFSIZE).
 */
#ifndef NCC_SOURCE_H
#define NCC_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/codes.h"

#define NCC_SOURCE_BUFSIZE (256 * 1024)

typedef struct ncc_source ncc_source;

/*
 * Open path ("-" means stdin) for reading with the given encoding (NULL =
 * auto). Returns NULL on failure and writes a one-line message to err:
 * *code is NCC_F_UNREADABLE when the file cannot be opened (errno kept),
 * or -1 when the encoding name is unknown to iconv (a usage error).
 * The caller frees with ncc_source_free().
 */
ncc_source *ncc_source_open(const char *path, const char *encoding, int *code, char *err,
                            size_t errlen);

/*
 * Raw bytes from a callback instead of a file descriptor.
 *  - read: up to cap bytes into buf; the count (> 0), 0 at the end, or -1
 *    with errno set (the source then fails with F_UNREADABLE, strerror(errno)).
 *  - peek (may be NULL): len bytes at offset off into buf without moving,
 *    as pread; 0, or -1 when they cannot be had. Only ncc_source_size_hint
 *    uses it (the gzip magic and trailer), as it uses pread on a file.
 *  - size: the raw bytes read will give in all, 0 when unknown; the size
 *    hint is then worked out as for a regular file of that size.
 */
typedef struct ncc_source_reader {
    ssize_t (*read)(void *ctx, void *buf, size_t cap);
    int (*peek)(void *ctx, void *buf, size_t len, uint64_t off);
    void *ctx;
    uint64_t size;
} ncc_source_reader;

/*
 * Open a source over *reader (copied; its ctx is borrowed until
 * ncc_source_free). name stands for the path in messages. Fails as
 * ncc_source_open does, but never with F_UNREADABLE for the bytes (the
 * first read tells).
 */
ncc_source *ncc_source_open_reader(const char *name, const ncc_source_reader *reader,
                                   const char *encoding, int *code, char *err, size_t errlen);

/*
 * Bind a reader to a name, for code that opens sources by path (such as
 * ncc_validate_file): while bound, ncc_source_open(name, ...) opens the
 * reader instead of a file, as ncc_source_open_reader(name, ...) would.
 * One binding at a time: binding again replaces it; a NULL reader removes
 * it. The name (at most NCC_SOURCE_NAME_MAX bytes) and *reader are copied.
 * Returns 0, or -1 when the name is longer (nothing is bound then).
 * Process-wide and not thread-safe: for single-threaded hosts such as a
 * WebAssembly module.
 */
#define NCC_SOURCE_NAME_MAX 4095
int ncc_source_bind_reader(const char *name, const ncc_source_reader *reader);

/*
 * Read up to cap bytes of UTF-8 text into buf (cap >= 16). Returns the
 * number of bytes (> 0), 0 at a clean end of file, or -1 on error; after
 * -1 ncc_source_error() tells the code (F_UNREADABLE, F_GZIP or F_ENCODING)
 * and message, and every later call returns -1 again. The text decoded
 * before a failure is returned first, so the failure is reported by the
 * call after it (a reader can tell on which line the bad byte is).
 * A multibyte character may be split between two reads.
 */
ssize_t ncc_source_read(ncc_source *src, char *buf, size_t cap);

/* Code and message of the error after a -1 read; message borrowed until free. */
ncc_code ncc_source_error(const ncc_source *src, const char **message);

/* "UTF-8", "WINDOWS-1252" (after fallback) or the name given at open. */
const char *ncc_source_encoding(const ncc_source *src);
/* True once auto mode fell back to Windows-1252. */
bool ncc_source_fell_back(const ncc_source *src);
bool ncc_source_is_gzip(const ncc_source *src);
/* Bytes read from the file so far (compressed bytes for gzip). */
uint64_t ncc_source_raw_bytes(const ncc_source *src);
/* Bytes of UTF-8 text handed out by ncc_source_read so far. */
uint64_t ncc_source_text_bytes(const ncc_source *src);

/*
 * An estimate of the bytes of text the source will give, known before reading
 * (it reads with pread and never moves the file offset, so it can be called at
 * any time); 0 when unknown. Meant for sizing, never for correctness:
 *  - a regular file (a path, or stdin redirected from one): its size from
 *    the current offset (fstat);
 *  - gzip (the magic bytes 1f 8b at that offset): max(ISIZE, compressed size).
 *    ISIZE, the last 4 bytes of the file, little-endian, is the size mod 2^32
 *    of the last member only. It is exact for one member under 4 GiB, the
 *    usual case; with concatenated members or past 4 GiB it is too small, and
 *    the compressed size - which text, CSV above all, never undercuts - is the
 *    floor. So the estimate errs low, never high (a caller sizing memory from
 *    it grows later rather than reserving too much). A compressed size times
 *    an assumed ratio would err high on badly compressible input;
 *  - stdin from a pipe or terminal, any other kind of file: 0.
 * Bytes, not characters: a Windows-1252 file decoded to UTF-8 gives a little
 * more text than its size.
 */
uint64_t ncc_source_size_hint(const ncc_source *src);

/* Keep the SHA-256 of the raw bytes as they are read (off by default: it
 * costs time). Call before the first read. */
void ncc_source_keep_sha256(ncc_source *src);

/*
 * SHA-256 of the raw file bytes as 64 hex digits into hex. Only meaningful
 * after ncc_source_keep_sha256() and once ncc_source_read() returned 0.
 */
void ncc_source_sha256_hex(ncc_source *src, char hex[65]);

/* Close and free; safe on NULL. */
void ncc_source_free(ncc_source *src);

#endif
