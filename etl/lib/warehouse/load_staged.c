/*
 * load_staged.c - the staged path of a load (see the top of load.c): standard
 * input, the kinds replaced row by row (NHSSC, supplier) and a loader subject
 * to row-level security. In one transaction and one pass over the file, the
 * valid rows are COPYed into a temporary table (ncc_stage, created at the first
 * row, when the kind is known) while the file is validated; a file judged good
 * then replaces the table's rows (DELETE ... USING the stage's keys) and its
 * rows go in with INSERT ... SELECT; a bad one is rolled back and quarantined.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warehouse/load_int.h"

/* The staging table, created when the first row arrives (the kind is known then). */
int ncc_loader_start_stage(ncc_loader *l)
{
    char sql[NCC_LOADER_SQL_SIZE], cols[1536];
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE ncc_stage (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP",
             l->schema->table);
    if (ncc_loader_exec_simple(l->c, sql, l->err, sizeof l->err) < 0) {
        l->failed = true;
        return -1;
    }
    ncc_loader_column_list(l->schema, cols, sizeof cols, "");
    snprintf(sql, sizeof sql, "COPY ncc_stage (%s) FROM STDIN", cols);
    return ncc_loader_begin_copy(l, sql);
}

/* Staged path: the staged rows into the table. */
static int insert_staged(ncc_loader *l, ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[NCC_LOADER_SQL_SIZE], cols[1536], id[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    ncc_loader_column_list(s, cols, sizeof cols, "");
    snprintf(sql, sizeof sql,
             "INSERT INTO %s (%s, file_load_id) SELECT %s, $1::bigint FROM ncc_stage", s->table,
             cols, cols);
    const char *params[1] = {id};
    PGresult *res;
    if (ncc_loader_exec(l->c, sql, 1, params, PGRES_COMMAND_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    long long inserted = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (inserted != r->rows_loaded) {
        snprintf(l->err, sizeof l->err, "inserted %lld rows but staged %lld", inserted,
                 r->rows_loaded);
        return -1;
    }
    return 0;
}

/* One pass: validate, COPY the valid rows into a temporary stage, then replace. */
int ncc_loader_staged(ncc_loader *l, const char *path, const ncc_load_options *o,
                      ncc_load_result *r, bool readable, const char *started)
{
    if (ncc_loader_exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0)
        return ncc_loader_db_error(l, r);
    l->send = true;
    l->aggregate = true;
    ncc_sink sink = {l, ncc_loader_on_row, ncc_loader_on_issue};
    /* stdin cannot be hashed before it is read: hash it on the way through */
    ncc_validate_config vcfg = *o->vcfg;
    vcfg.keep_sha256 = !readable;
    if (ncc_validate_file(path, &vcfg, &sink, &r->v) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        return ncc_loader_db_error(l, r);
    }
    if (l->failed)
        return ncc_loader_db_error(l, r);
    bool bad = r->v.nfile_errors > 0 || ncc_loader_over_reject_limit(r, o);
    long long stored = ncc_loader_end_copy(l, bad ? "file rejected" : NULL);
    if (l->failed)
        return ncc_loader_db_error(l, r);
    if (!bad && stored != l->cp.rows) {
        snprintf(l->err, sizeof l->err, "COPY stored %lld rows but %lld were sent", stored,
                 l->cp.rows);
        return ncc_loader_db_error(l, r);
    }
    r->rows_loaded = bad ? 0 : l->cp.rows;
    if (!readable && r->v.sha256[0])
        snprintf(r->sha256, sizeof r->sha256, "%s", r->v.sha256);
    if (!bad) {
        if (ncc_loader_check_ledger(l, r, o) < 0)
            return ncc_loader_db_error(l, r);
        bad = r->v.nfile_errors > 0;
    }
    if (bad) {
        if (ncc_loader_exec_simple(l->c, "ROLLBACK", l->err, sizeof l->err) < 0)
            return ncc_loader_db_error(l, r);
        return ncc_loader_quarantine(l, r, o, path, started);
    }
    if (ncc_loader_before_replace(l, r, o) < 0)
        return ncc_loader_db_error(l, r);
    if (r->rows_loaded && (ncc_loader_replace_begin(l, r) < 0 || insert_staged(l, r) < 0))
        return ncc_loader_db_error(l, r);
    return ncc_loader_finish(l, r, o, path, started);
}
