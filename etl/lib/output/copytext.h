/*
 * copytext.h - PostgreSQL COPY text format, the canonical row format every
 * stage can write (ncc-ingest to stdout, the loader to the server).
 *
 * A value is written with backslash, newline, carriage return and tab
 * escaped as \\, \n, \r and \t, so any text, including a lone "\.",
 * arrives as data; NULL is \N. Nothing here needs libpq.
 */
#ifndef NCC_COPYTEXT_H
#define NCC_COPYTEXT_H

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

#endif
