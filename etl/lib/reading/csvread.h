/*
 * csvread.h - CSV records from a byte source, through libcsv in strict mode.
 *
 * RFC 4180: comma separator, '"' quoting with doubled quotes, quoted
 * commas and newlines, CRLF or LF (a bare CR outside quotes also ends a
 * record, but only LF counts as a new line). Surrounding ASCII spaces are trimmed
 * from every value, quoted or not. Blank lines are skipped. Each record
 * carries the physical line on which it starts (the header is line 1).
 *
 * Limits are fixed at creation: a field longer than field_max bytes, or a
 * quote never closed before the end of the file, stops the file with
 * F_CSV_SYNTAX at the line where the record starts. A record whose fields
 * together exceed record_max bytes, or that has more than columns_max
 * fields, is still returned (flagged) so the caller can reject that row and
 * go on; its extra content is not kept. Memory never grows past the limits.
 *
 * A record's values may lie in the reader's read buffer itself (quote-free
 * lines are cut in place, without a copy): they are writable, but only
 * until the next ncc_csv_next() call, which may refill that buffer.
 */
#ifndef NCC_CSVREAD_H
#define NCC_CSVREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/codes.h"
#include "reading/source.h"

typedef struct ncc_csv_limits {
    size_t field_max;   /* bytes in one field */
    size_t record_max;  /* bytes in all fields of one record */
    int columns_max;    /* fields kept per record */
} ncc_csv_limits;

#define NCC_CSV_FIELD_MAX_DEFAULT (64 * 1024)
#define NCC_CSV_RECORD_MAX_DEFAULT (1024 * 1024)
#define NCC_CSV_COLUMNS_MAX_DEFAULT 512

typedef struct ncc_csv_record {
    long line;         /* physical line where the record starts */
    int nfields;       /* fields the record has as written */
    int nkept;         /* fields kept: min(nfields, columns_max) */
    bool oversize;     /* fields beyond record_max bytes were dropped */
    char **field;      /* nkept NUL-terminated values, writable in place */
    uint32_t *len;     /* their lengths */
} ncc_csv_record;

typedef struct ncc_csv ncc_csv;

/* Reader over src (borrowed; must outlive the reader). NULL when out of memory. */
ncc_csv *ncc_csv_new(ncc_source *src, const ncc_csv_limits *limits);

/*
 * Next record into *rec (its storage, values included, borrowed until the
 * next call on this reader).
 * Returns 1 with a record, 0 at the end of the file, -1 on an error that
 * stops the file (see ncc_csv_error).
 */
int ncc_csv_next(ncc_csv *c, ncc_csv_record *rec);

/* After -1: the code (F_CSV_SYNTAX or the source's F_GZIP, F_ENCODING,
 * F_UNREADABLE), the message (borrowed) and the line it concerns. */
ncc_code ncc_csv_error(const ncc_csv *c, const char **message, long *line);

/* Whether quote-free lines are split without libcsv (default on; same
 * results either way). For tests and comparisons. */
void ncc_csv_set_fast_path(ncc_csv *c, bool on);

/* Whether that fast path finds ',', '"', CR and LF with SSE2 (default on,
 * where the target has it) or with a plain byte loop (the only way on other
 * targets; same results either way). For tests. */
void ncc_csv_set_simd(ncc_csv *c, bool on);

/* Physical lines consumed so far. */
long ncc_csv_lines(const ncc_csv *c);

void ncc_csv_free(ncc_csv *c);

#endif
