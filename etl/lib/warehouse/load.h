/*
 * load.h - loading one file into the warehouse, atomically.
 *
 * The file is validated (validate.h) and judged before anything of it is
 * kept: a file error, more rejected rows than --max-reject-rate allows
 * (F_REJECT_LIMIT), or a cost total outside the ledger tolerance
 * (F_LEDGER_TOLERANCE) quarantines it, recorded with its errors and
 * nothing loaded. Otherwise, in one transaction, the rows replace the
 * table's rows with the same replace_by key values (a resubmission
 * replaces the old one), core.submission and core.mtfm_activity are
 * updated for cost files, the audit row is written, and the transaction
 * commits: readers see the old rows or the new ones, never a mix.
 *
 * Files whose kind replaces whole submissions (cost, ledger) are read twice
 * when they are on disk: pass 1 validates, pass 2 COPYs the valid rows
 * straight into the table after the submissions' old rows are deleted.
 * Standard input, and kinds replaced row by row (NHSSC, supplier), go
 * through a temporary staging table in one pass (see load.c). Loads of
 * different submissions run side by side; loads of the same submission
 * wait for each other (one advisory lock per submission).
 *
 * A file whose sha256 was already loaded is recorded as unchanged and not
 * read again.
 */
#ifndef NCC_LOAD_H
#define NCC_LOAD_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "rules/field.h"
#include "rules/validate.h"

/* before_replace: the load holds rows another session waits for; roll back, load again */
#define NCC_LOAD_YIELD 2

typedef struct ncc_load_options {
    const ncc_validate_config *vcfg;
    ncc_money max_reject_rate;  /* share of rows_read, scaled by 10^4 (0 = none allowed) */
    ncc_money ledger_tolerance; /* fraction scaled by 10^4 (0.01 = 100) */
    long long run_id;           /* audit.run row, 0 when none */
    const char *file_name;      /* name recorded in audit (default: the path) */
    /* every error and warning as found (e.g. for a rejects file); may be NULL */
    void (*issue)(void *ctx, const ncc_issue *issue);
    void *issue_ctx;
    /* called when the file is judged good, before its rows replace the warehouse's,
     * with its validation result (kind and totals: the submissions it replaces): 0 go
     * on, NCC_LOAD_YIELD (below), anything else aborts the load as a failure.
     * ncc-nightly --jobs uses it so that files sharing a submission commit in name
     * order. May be NULL. When the load has already written its rows, uncommitted (the
     * one pass), it passes blocking: the hook then waits in slices and asks
     * blocking(bctx) between them; when that says another session waits for this
     * load's rows, the hook returns NCC_LOAD_YIELD, the load rolls back and loads the
     * file again in two passes, and calls the hook again (blocking NULL) for the same
     * turn. Without blocking the hook may wait as long as the turn takes. */
    int (*before_replace)(void *ctx, const ncc_file_result *v, bool (*blocking)(void *bctx),
                          void *bctx);
    void *replace_ctx;
} ncc_load_options;

typedef enum ncc_load_status {
    NCC_LOAD_LOADED,
    NCC_LOAD_UNCHANGED,
    NCC_LOAD_QUARANTINED,
    NCC_LOAD_LEFT,    /* the file changed while it was read: nothing of it was recorded
                       * (no audit row); it stays where it is for the next run */
    NCC_LOAD_DB_ERROR /* the database failed: nothing was recorded, retry later */
} ncc_load_status;

typedef struct ncc_load_result {
    ncc_load_status status;
    ncc_file_result v;      /* the validation result, with load-time file errors added */
    long long rows_loaded;
    long long file_load_id; /* audit.file_load row; 0 on a database error */
    char sha256[65];
    char message[512];      /* why, when not loaded */
} ncc_load_result;

/* "loaded", "unchanged", "quarantined", "left" or "error". */
const char *ncc_load_status_name(ncc_load_status s);

/*
 * Load path over connection c (no transaction open). Fills *r (caller frees
 * with ncc_load_result_free). Returns 0 when the file ended loaded,
 * unchanged, quarantined or left, -1 on a database failure (r->status
 * NCC_LOAD_DB_ERROR, r->message says why; the caller should stop).
 */
int ncc_load_file(PGconn *c, const char *path, const ncc_load_options *o, ncc_load_result *r);

void ncc_load_result_free(ncc_load_result *r);

/* The 64-bit key of a submission (fin_year, org_code, feed) that loads lock on: two
 * totals with the same key belong to the same submission (or collide, which only
 * serialises two loads). */
uint64_t ncc_load_submission_key(const ncc_total *t);

/* True when loads of this kind replace whole submissions (replace_by is exactly the
 * totals' fin_year, org_code and feed): a file's submissions are then its totals. */
bool ncc_load_replaces_submissions(const ncc_schema *s);

/* SHA-256 of the raw bytes of a file; -1 when it cannot be read. */
int ncc_sha256_file(const char *path, char hex[65]);

#endif
