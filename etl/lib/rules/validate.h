/*
 * validate.h - one pass over one input file: header bound to a schema,
 * every field checked, cross-field rules applied, canonical rows handed to
 * a sink, every problem reported with line, column and code, and per-group
 * totals and MTFM aggregates kept for reports and reconciliation.
 *
 * Memory is bounded: the reader's limits, the groups limit, and the
 * duplicate-key set (keyset.h: 8-byte fingerprints; sized from the input's
 * size before the rows come, ~10.5 bytes per row, and at most ~14.3 bytes per
 * row plus 1 MiB when it has to grow: an input of unknown size, a pipe).
 */
#ifndef NCC_VALIDATE_H
#define NCC_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "shared/codes.h"
#include "rules/field.h"
#include "rules/refdata.h"
#include "rules/schema.h"

/* A canonical value. s is NULL when the value is empty or absent. */
typedef struct ncc_value {
    const char *s;    /* canonical text, NUL-terminated */
    uint32_t len;
    int64_t i;        /* int columns */
    ncc_money m;      /* money columns */
} ncc_value;

/* A valid row in canonical form, one value per schema column (derived ones
 * included), borrowed for the duration of the sink call. */
typedef struct ncc_row {
    long line;
    const ncc_schema *schema;
    const ncc_value *v;
} ncc_row;

typedef struct ncc_issue {
    ncc_code code;
    long line;          /* 0 when not tied to a line */
    const char *column; /* canonical column name, or NULL */
    const char *message;
} ncc_issue;

typedef struct ncc_sink {
    void *ctx;
    /* Each valid row. Non-zero stops the file (the result is marked stopped). */
    int (*row)(void *ctx, const ncc_row *row);
    /* Each error and warning as it is found. */
    void (*issue)(void *ctx, const ncc_issue *issue);
} ncc_sink;

typedef struct ncc_validate_config {
    const ncc_schema_set *schemas;
    const ncc_refdata *ref;
    const char *kind;      /* forced kind, or NULL to detect from the header */
    const char *encoding;  /* NULL or "auto" */
    const char *mtfm_code; /* collection resource code of MTFM lines */
    int errors_kept;       /* row errors kept in the result (default 1000) */
    bool keep_sha256;      /* compute the raw file's SHA-256 while reading */
    bool no_duplicate_check; /* skip E_DUPLICATE_KEY: only for reading again a file already
                              * found free of duplicates (the load's second pass, whose
                              * SHA-256 must then equal the first's) */
} ncc_validate_config;

typedef struct ncc_kept_issue {
    ncc_code code;
    long line;
    char column[40];
    char *message;
} ncc_kept_issue;

typedef struct ncc_total {
    char fin_year[8];
    char org_code[8];
    char feed[8];
    long long rows;
    ncc_money amount;
} ncc_total;

typedef struct ncc_mtfm_total {
    char fin_year[8];
    char org_code[8];
    char technology_id[24];
    long long rows;
    long long units;
    ncc_money amount;
} ncc_mtfm_total;

#define NCC_EXAMPLES_PER_CODE 3

typedef struct ncc_file_result {
    char *path;
    const ncc_schema *schema;  /* NULL when the kind is unknown */
    char encoding[32];
    bool gzip;
    bool complete;             /* the whole file was read */
    bool stopped;              /* the sink asked to stop */
    char sha256[65];           /* of the raw bytes when keep_sha256 and complete, else "" */
    long long rows_read, rows_valid, rows_rejected;
    long long counts[NCC_CODE_COUNT];
    ncc_kept_issue *file_errors;
    int nfile_errors;
    ncc_kept_issue *errors;    /* first errors_kept row errors, in order */
    int nerrors;
    ncc_kept_issue *warnings;  /* first errors_kept warnings, in order */
    int nwarnings;
    ncc_kept_issue examples[NCC_CODE_COUNT][NCC_EXAMPLES_PER_CODE];
    int nexamples[NCC_CODE_COUNT];
    ncc_total *totals;         /* sorted by fin_year, org_code, feed */
    int ntotals;
    ncc_mtfm_total *mtfm;      /* sorted by fin_year, org_code, technology */
    int nmtfm;
} ncc_file_result;

/*
 * Validate path ("-" = stdin). Fills *res (caller frees with
 * ncc_file_result_free). Returns 0 when the file was processed (whatever
 * its data errors: see res), -1 on an internal failure (out of memory).
 */
int ncc_validate_file(const char *path, const ncc_validate_config *cfg, const ncc_sink *sink,
                      ncc_file_result *res);

/* The kind of a file from its header alone (NULL when unreadable or none fits). */
const ncc_schema *ncc_validate_peek_kind(const char *path, const ncc_validate_config *cfg);

/* Record a file error found after the pass (ledger tolerance, reject limit). */
void ncc_file_result_add_error(ncc_file_result *res, ncc_code code, const char *column,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* "valid", "invalid" (row errors) or "rejected" (a file error). */
const char *ncc_file_result_status(const ncc_file_result *res);
void ncc_file_result_free(ncc_file_result *res);

/* Writes a value for a message: quoted, at most 40 characters, control
 * characters shown as '?', and never a value that looks like an NHS number. */
void ncc_quote_value(const char *s, size_t len, char *out, size_t cap);

#endif
