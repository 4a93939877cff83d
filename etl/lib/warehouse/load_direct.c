/*
 * load_direct.c - the direct path of a load (see the top of load.c): a cost or
 * ledger file on disk, a loader that may COPY into the table. Pass 1 validates
 * and judges the file with nothing written and no transaction open, so a bad
 * file never opens one; then, in one transaction, the file's submissions are
 * locked and their rows deleted, and pass 2 reads the file again and COPYs the
 * valid rows straight into the table. Pass 2 must read the same bytes: its
 * SHA-256 is compared with the one taken before pass 1, and its rows with pass
 * 1's; a file that changed in between loads nothing and is left for the next run.
 */
#include <stdio.h>
#include <string.h>

#include "warehouse/load_int.h"

/* Pass 1: validate with nothing written (valid rows only summed), then judge the file.
 * 0 with *bad set, or -1 (ncc_loader_db_error done). */
static int validate_pass(ncc_loader *l, const char *path, const ncc_load_options *o,
                         ncc_load_result *r, bool *bad)
{
    l->send = false;
    l->aggregate = true;
    ncc_sink sink = {l, ncc_loader_on_row, ncc_loader_on_issue};
    if (ncc_validate_file(path, o->vcfg, &sink, &r->v) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        return ncc_loader_db_error(l, r);
    }
    if (l->failed)
        return ncc_loader_db_error(l, r);
    *bad = r->v.nfile_errors > 0 || ncc_loader_over_reject_limit(r, o);
    if (!*bad) {
        if (ncc_loader_check_ledger(l, r, o) < 0)
            return ncc_loader_db_error(l, r);
        *bad = r->v.nfile_errors > 0;
    }
    return 0;
}

/* Pass 2, the COPY into the table under way: the file read again, each valid row sent
 * with file_load_id id. *same is false when the file is not the one pass 1 read (its
 * SHA-256, its valid rows, its kind). 0, or -1 (l->err). */
static int copy_pass(ncc_loader *l, const char *path, const ncc_load_options *o, ncc_load_result *r,
                     const char *id, bool *same)
{
    l->send = true;
    l->aggregate = false;
    l->row_id = id;
    l->schema = r->v.schema;
    ncc_sink sink = {l, ncc_loader_on_row, NULL};
    ncc_validate_config vcfg = *o->vcfg;
    vcfg.keep_sha256 = true;
    /* the same bytes as pass 1 (checked below) hold the same keys: when pass 1 found no
     * duplicate, pass 2 need not look for them again */
    vcfg.no_duplicate_check = r->v.counts[NCC_E_DUPLICATE_KEY] == 0;
    ncc_file_result again;
    if (ncc_validate_file(path, &vcfg, &sink, &again) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        ncc_file_result_free(&again);
        return -1;
    }
    *same = strcmp(again.sha256, r->sha256) == 0 && again.rows_valid == r->v.rows_valid &&
            again.schema == r->v.schema;
    ncc_file_result_free(&again);
    return l->failed ? -1 : 0;
}

/* The file changed between the passes: nothing of it is loaded or recorded. */
static int left(ncc_loader *l, ncc_load_result *r)
{
    ncc_loader_end_copy(l, "the file changed");
    if (ncc_loader_exec_simple(l->c, "ROLLBACK", l->err, sizeof l->err) < 0)
        return ncc_loader_db_error(l, r);
    r->status = NCC_LOAD_LEFT;
    r->rows_loaded = 0;
    snprintf(r->message, sizeof r->message,
             "the file changed while it was being loaded: nothing of it was loaded; it is "
             "left for the next run (deliver files as NAME.part and rename them when complete)");
    return 0;
}

int ncc_loader_direct(ncc_loader *l, const char *path, const ncc_load_options *o,
                      ncc_load_result *r, const char *started)
{
    bool bad = true;
    if (validate_pass(l, path, o, r, &bad) < 0)
        return -1;
    if (bad)
        return ncc_loader_quarantine(l, r, o, path, started);
    r->rows_loaded = r->v.rows_valid;
    if (ncc_loader_before_replace(l, r, o) < 0 ||
        ncc_loader_exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0)
        return ncc_loader_db_error(l, r);
    if (!r->rows_loaded)
        return ncc_loader_finish(l, r, o, path, started);
    const ncc_schema *s = r->v.schema;
    char sql[NCC_LOADER_SQL_SIZE], cols[1536], id[24];
    ncc_loader_column_list(s, cols, sizeof cols, "");
    snprintf(sql, sizeof sql, "COPY %s (%s, file_load_id) FROM STDIN", s->table, cols);
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    if (ncc_loader_replace_begin(l, r) < 0 || ncc_loader_begin_copy(l, sql) < 0)
        return ncc_loader_db_error(l, r);
    bool same = false;
    if (copy_pass(l, path, o, r, id, &same) < 0)
        return ncc_loader_db_error(l, r);
    if (!same)
        return left(l, r);
    long long stored = ncc_loader_end_copy(l, NULL);
    if (l->failed)
        return ncc_loader_db_error(l, r);
    if (stored != r->rows_loaded || l->cp.rows != r->rows_loaded) {
        snprintf(l->err, sizeof l->err, "COPY stored %lld rows but %lld were validated", stored,
                 r->rows_loaded);
        return ncc_loader_db_error(l, r);
    }
    return ncc_loader_finish(l, r, o, path, started);
}
