/*
 * load_int.h - what the files of the load (load.h: ncc_load_file) share;
 * private to etl/lib/warehouse.
 *
 *   load.c         the load of one file: unchanged files, the choice of path, and
 *                  the ends every path shares (loaded, quarantined, database error);
 *                  the statements' helpers
 *   load_direct.c  the direct path: validating pass, then COPY straight into the table
 *   load_staged.c  the staged path: one pass into a temporary table, then INSERT
 *   load_sink.c    the rows of the validation pass to the server (COPY), and the MTFM
 *                  sums of a cost file
 *   load_judge.c   the judging of a validated file: reject limit, ledger tolerance
 *   load_write.c   what the load writes besides the rows: the replace (locks, deletes,
 *                  superseded files), core.submission, core.mtfm_activity, the audit
 *
 * The top of load.c says which path a file takes and why.
 */
#ifndef NCC_LOAD_INT_H
#define NCC_LOAD_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/validate.h"
#include "shared/strmap.h"
#include "warehouse/copy.h"
#include "warehouse/load.h"

#define NCC_LOADER_SQL_SIZE 8192
#define NCC_LOADER_YEARS 32 /* fin_years of one file whose partitions may be keyed after */

/* MTFM lines of a cost file summed per (fin_year, org_code, feed, technology_id) */
typedef struct ncc_loader_mtfm {
    ncc_money cost;
    long long lines;
    int64_t units;
} ncc_loader_mtfm;

/* The state of one load. err holds the reason of the last failure. */
typedef struct ncc_loader {
    PGconn *c;
    const ncc_schema *schema;
    ncc_copy cp;
    bool copying;
    bool send;                  /* the sink sends rows: to the stage, or to the table (direct) */
    const char *row_id;         /* direct: file_load_id sent as the last column of each row */
    bool aggregate;             /* the sink sums MTFM lines into mtfm (cost files) */
    const ncc_schema *agg_kind; /* the kind last seen by the sink, and whether it is cost */
    bool agg_cost;
    ncc_strmap *mtfm; /* "fin_year|org|feed|technology" -> ncc_loader_mtfm */
    bool failed;      /* the database failed (or the client ran out of room) */
    /* the one-pass direct load (load_direct.c) */
    bool onepass;             /* rows go straight to the table while the file is validated */
    const char *copy_sql;     /* the COPY into the table, started again after a replace */
    long long load_id;        /* the file's audit.file_load id */
    ncc_strmap *existing;     /* "fin_year|org|feed" of the submissions loaded when it began */
    ncc_strmap *seen;         /* the file's submissions so far -> replaced before their rows */
    char last_sub[32];        /* the submission of the last row sent */
    size_t last_sub_len;
    long long stored;         /* rows the server stored in the COPYs ended so far */
    char sqlstate[6];         /* of the last failure, when the server gave one */
    bool fresh_ok;            /* cost lines on a single server: fresh partitions keyed after */
    int nyears;               /* the fin_years seen so far (at most NCC_LOADER_YEARS) */
    char years[NCC_LOADER_YEARS][8];
    bool fresh[NCC_LOADER_YEARS]; /* ... whose partition was empty: its key built at the end */
    void (*issue)(void *ctx, const ncc_issue *issue);
    void *issue_ctx;
    char err[512];
} ncc_loader;

/* ---- load.c ---- */

/* Run a statement with text parameters expecting status st. The result goes to *out
 * when out is non-NULL (the caller clears it), else it is cleared. 0, or -1 with the
 * server's message in err. */
int ncc_loader_exec(PGconn *c, const char *sql, int n, const char *const *params, ExecStatusType st,
                    char *err, size_t errlen, PGresult **out);

/* The SQLSTATE of the last statement ncc_loader_exec saw fail ("" when none was given). */
const char *ncc_loader_last_sqlstate(void);

/* A statement without parameters or rows (PGRES_COMMAND_OK). */
int ncc_loader_exec_simple(PGconn *c, const char *sql, char *err, size_t errlen);

/* "a, b, c": the schema's column names, each after prefix. */
void ncc_loader_column_list(const ncc_schema *s, char *out, size_t cap, const char *prefix);

bool ncc_loader_is_cost(const ncc_schema *s);

/* The database failed: r says so (NCC_LOAD_DB_ERROR, l->err), a COPY under way is
 * aborted and the transaction rolled back when the connection still works. -1. */
int ncc_loader_db_error(ncc_loader *l, ncc_load_result *r);

/* Record a quarantined file (nothing of it loaded) in its own transaction. 0, or -1
 * (ncc_loader_db_error). */
int ncc_loader_quarantine(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o,
                          const char *path, const char *started);

/* After the rows are in (transaction open): the aggregates, the audit row, COMMIT. 0,
 * or -1 (ncc_loader_db_error). */
int ncc_loader_finish(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o,
                      const char *path, const char *started);

/* o->before_replace, when set: non-zero calls the load off (-1, l->err says so). */
int ncc_loader_before_replace(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o);

/* ---- load_direct.c, load_staged.c ---- */

/* One pass (validating while the rows go into the table, rolled back when the file is
 * judged bad); two (validate with nothing written, then replace and COPY) for a worker
 * that must wait for its turn with the file's submissions known, and as the fallback when
 * the one pass meets a concurrent load of the same submissions. */
int ncc_loader_direct(ncc_loader *l, const char *path, const ncc_load_options *o,
                      ncc_load_result *r, const char *started, const ncc_schema *s);

/* One pass into a temporary stage, then replace. readable: the file could be hashed
 * before it is read (else it is hashed on the way through). */
int ncc_loader_staged(ncc_loader *l, const char *path, const ncc_load_options *o,
                      ncc_load_result *r, bool readable, const char *started);

/* One-pass direct load, for each valid row before it is sent: its submission replaced
 * when the warehouse holds it and this is its first row, and the COPY started. 0, or -1. */
int ncc_loader_direct_row(ncc_loader *l, const ncc_row *row);

/* The staging table ncc_stage of l->schema, and the COPY into it. 0, or -1. */
int ncc_loader_start_stage(ncc_loader *l);

/* ---- load_sink.c ---- */

/* The validation pass's sink callbacks (ctx: the ncc_loader): each valid row summed
 * (l->aggregate, cost files) and sent (l->send) to the COPY under way, or to the
 * stage, started at the first row; each issue to o->issue. */
int ncc_loader_on_row(void *ctx, const ncc_row *row);
void ncc_loader_on_issue(void *ctx, const ncc_issue *is);

/* Start a COPY (l->copying). 0, or -1 (l->failed, l->err). */
int ncc_loader_begin_copy(ncc_loader *l, const char *sql);

/* Finish the COPY under way; abort it when reason is non-NULL. Rows stored, 0 when none
 * was under way, or -1 (l->failed, l->err). */
long long ncc_loader_end_copy(ncc_loader *l, const char *reason);

/* ---- load_judge.c ---- */

/* After the pass: true (and F_REJECT_LIMIT recorded) when too many rows were rejected. */
bool ncc_loader_over_reject_limit(ncc_load_result *r, const ncc_load_options *o);

/* A cost file's totals against core.ledger as loaded so far (F_LEDGER_TOLERANCE
 * recorded in r->v when outside). 0, or -1 on a database failure. */
int ncc_loader_check_ledger(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o);

/* ---- load_write.c ---- */

/* Lock what the file replaces and delete it, marking the earlier files whose rows go as
 * superseded. 0, or -1. */
int ncc_loader_replace_begin(ncc_loader *l, ncc_load_result *r);

/* Lock one submission of l->schema's table and delete its rows (all of them, or with
 * keep_own those of other files than file_load_id), marking the files they came from
 * superseded by it. 0, or -1. */
int ncc_loader_replace_one(ncc_loader *l, const ncc_total *t, long long file_load_id,
                           bool keep_own);

/* The one-pass load's replace, once its rows are in: ncc_subs staged, every submission
 * locked, and those another load has committed since this one began (not already
 * replaced(ctx, t) before their rows) replaced but for this file's rows. 0, or -1. */
int ncc_loader_replace_late(ncc_loader *l, ncc_load_result *r,
                            bool (*replaced)(void *ctx, const ncc_total *t), void *ctx);

/* Cost files: core.submission and core.mtfm_activity of the replaced submissions, from
 * the totals the client summed. 0, or -1. */
int ncc_loader_record_submissions(ncc_loader *l, ncc_load_result *r);

/* The audit.file_load row of r (message NULL when loaded) and its kept errors and
 * warnings. 0, or -1. */
int ncc_loader_write_audit(ncc_loader *l, const ncc_load_options *o, const ncc_load_result *r,
                           const char *path, const char *started, const char *message);

#endif
