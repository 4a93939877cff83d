/*
 * copy.h - rows into PostgreSQL through COPY ... FROM STDIN in text format.
 *
 * Values are escaped as output/copytext.h says, so any text, including a
 * lone "\.", arrives as data; NULL is \N. Rows are buffered and sent in
 * blocks of about 256 KiB; the buffer never grows.
 */
#ifndef NCC_COPY_H
#define NCC_COPY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output/copytext.h"

typedef struct ncc_copy {
    PGconn *conn;
    char *buf;
    size_t len;
    bool active;
    bool failed;
    bool row_started;
    long long rows;   /* rows finished with ncc_copy_end_row */
    char err[512];
    char sqlstate[6]; /* the server's SQLSTATE of a failed COPY, else "" */
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
