/*
 * copy.h - rows into PostgreSQL through COPY ... FROM STDIN in text format.
 *
 * Values are escaped (backslash, newline, carriage return, tab), so any
 * text, including a lone "\.", arrives as data; NULL is \N. Rows are
 * buffered and sent in blocks of about 256 KiB; the buffer never grows.
 */
#ifndef NCC_COPY_H
#define NCC_COPY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The letter that follows a backslash for a byte COPY text must escape, else 0. */
static inline char ncc_copy_escape_char(char c)
{
    switch (c) {
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
    }
}

/* Write one value escaped for COPY text to f (NULL s = \N). Returns 0 or -1. */
int ncc_copy_fwrite_value(FILE *f, const char *s, size_t len);

typedef struct ncc_copy {
    PGconn *conn;
    char *buf;
    size_t len;
    bool active;
    bool failed;
    bool row_started;
    long long rows;   /* rows finished with ncc_copy_end_row */
    char err[512];
} ncc_copy;

/* Start "COPY table (cols) FROM STDIN". Returns 0 or -1 (err set). */
int ncc_copy_begin(ncc_copy *cp, PGconn *conn, const char *copy_sql);
/* Append one value (NULL s = SQL NULL) to the current row. */
int ncc_copy_value(ncc_copy *cp, const char *s, size_t len);
int ncc_copy_end_row(ncc_copy *cp);
/*
 * Finish (abort when reason is non-NULL) and free the buffer. Returns the
 * rows the server stored, or -1 on failure (err set). Safe when not active.
 */
long long ncc_copy_end(ncc_copy *cp, const char *reason);

#endif
