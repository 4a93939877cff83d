/*
 * load_direct.c - the direct path of a load (see the top of load.c): a cost or
 * ledger file on disk, a loader that may COPY into the table. Two ways:
 *
 * One pass: in one transaction the file is read once; each valid row goes into
 * the table as it is validated (the client checks a row while the server stores
 * the ones before it). The submissions the
 * warehouse already holds (core.submission for cost lines, the table itself for
 * the ledger) are read first; at the first row of one of them the COPY stops,
 * the submission is locked and its rows deleted, and the COPY goes on. At the
 * end a file judged bad is rolled back (nothing of it was ever visible) and
 * quarantined; a file whose bytes changed while they were read (its SHA-256
 * against the one taken before) is rolled back and left; a good one waits for
 * its turn (ncc-nightly --jobs N: files sharing a submission commit in name
 * order), locks all its submissions, replaces any another load committed
 * meanwhile, and commits. A concurrent load of the same rows shows as a unique
 * violation or a deadlock, or (while it waits for its turn) as another session
 * waiting for this one's rows: the transaction is rolled back and the file
 * loaded again in two passes. On a single server, where each partition of
 * core.cost_line holds the contract key itself (sql/014), a serial load that
 * meets a year whose partition is empty drops that key at the year's first row
 * (the partition locked until the end) and builds it from the rows at the end:
 * sorting the rows once costs the server less than inserting each into a
 * growing B-tree; a rollback puts the key back.
 *
 * Two passes (the fallback):
 * pass 1 validates and judges the file with nothing written and no transaction
 * open; then, in one transaction, the submissions are locked and their rows
 * deleted, and pass 2 reads the file again and COPYs the valid rows. Pass 2 must
 * read the same bytes: its SHA-256 is compared with the one taken before pass 1,
 * and its rows with pass 1's; a file that changed in between loads nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/log.h"
#include "warehouse/load_int.h"

/* ---- the ends shared by both ---- */

/* The file changed while it was read: nothing of it is loaded or recorded. */
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

/* After the validating pass: whether the file is bad (file errors, the reject limit, the
 * ledger tolerance). 0, or -1 on a database failure (l->err). */
static int judge(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o, bool *bad)
{
    *bad = r->v.nfile_errors > 0 || ncc_loader_over_reject_limit(r, o);
    if (!*bad) {
        if (ncc_loader_check_ledger(l, r, o) < 0)
            return -1;
        *bad = r->v.nfile_errors > 0;
    }
    return 0;
}

static void copy_sql(const ncc_schema *s, char *sql, size_t cap)
{
    char cols[1536];
    ncc_loader_column_list(s, cols, sizeof cols, "");
    snprintf(sql, cap, "COPY %s (%s, file_load_id) FROM STDIN", s->table, cols);
}

/* The rows the server stored against those validated. 0, or -1 (l->err). */
static int check_stored(ncc_loader *l, const ncc_load_result *r, long long stored)
{
    if (stored == r->rows_loaded)
        return 0;
    snprintf(l->err, sizeof l->err, "COPY stored %lld rows but %lld were validated", stored,
             r->rows_loaded);
    return -1;
}

/* ---- two passes ---- */

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
    if (l->failed || judge(l, r, o, bad) < 0)
        return ncc_loader_db_error(l, r);
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

static int two_passes(ncc_loader *l, const char *path, const ncc_load_options *o,
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
    char sql[NCC_LOADER_SQL_SIZE], id[24];
    copy_sql(r->v.schema, sql, sizeof sql);
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
    if (l->cp.rows != r->rows_loaded || check_stored(l, r, stored) < 0)
        return ncc_loader_db_error(l, r);
    return ncc_loader_finish(l, r, o, path, started);
}

/* ---- one pass ---- */

typedef struct seen_sub {
    bool replaced; /* held by the warehouse when the load began: replaced before its rows */
} seen_sub;

/* End the COPY under way (to run a statement between rows) and count the rows it stored.
 * 0, or -1 (l->failed). */
static int pause_copy(ncc_loader *l)
{
    long long stored = ncc_loader_end_copy(l, NULL);
    if (l->failed)
        return -1;
    l->stored += stored;
    return 0;
}

/* "fin_year|org|feed" of a row of a kind replaced by submissions; 0 when it does not fit */
static size_t row_submission(const ncc_schema *s, const ncc_value *v, char *key, size_t cap)
{
    const ncc_value *p[3] = {&v[s->tot_fin_year], &v[s->tot_org], &v[s->tot_feed]};
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        if (!p[i]->s || n + p[i]->len + 1 >= cap)
            return 0;
        memcpy(key + n, p[i]->s, p[i]->len);
        n += p[i]->len;
        key[n++] = '|';
    }
    key[--n] = '\0';
    return n;
}

static void total_of_key(const char *key, ncc_total *t)
{
    memset(t, 0, sizeof *t);
    char *fields[3] = {t->fin_year, t->org_code, t->feed};
    const char *p = key;
    for (int i = 0; i < 3; i++) {
        const char *bar = i < 2 ? strchr(p, '|') : NULL;
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        snprintf(fields[i], sizeof t->fin_year, "%.*s", (int)len, p);
        p = bar ? bar + 1 : p + len;
    }
}

/* The submissions the warehouse holds of the table, into l->existing. 0, or -1. */
static int read_existing(ncc_loader *l, const ncc_schema *s, size_t max)
{
    char sql[NCC_LOADER_SQL_SIZE];
    if (ncc_loader_is_cost(s))
        snprintf(sql, sizeof sql,
                 "SELECT fin_year || '|' || org_code || '|' || feed FROM core.submission");
    else
        snprintf(sql, sizeof sql, "SELECT DISTINCT %s || '|' || %s || '|' || %s FROM %s",
                 s->cols[s->tot_fin_year].name, s->cols[s->tot_org].name,
                 s->cols[s->tot_feed].name, s->table);
    PGresult *res;
    if (ncc_loader_exec(l->c, sql, 0, NULL, PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    l->existing = ncc_strmap_new(sizeof(seen_sub), max + (size_t)PQntuples(res));
    l->seen = ncc_strmap_new(sizeof(seen_sub), max);
    int rc = l->existing && l->seen ? 0 : -1;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++)
        if (!ncc_strmap_upsert(l->existing, PQgetvalue(res, i, 0),
                               (size_t)PQgetlength(res, i, 0), NULL))
            rc = -1;
    PQclear(res);
    if (rc < 0)
        snprintf(l->err, sizeof l->err, "out of memory reading the loaded submissions");
    return rc;
}

/* The first row of a fin_year in the file: when its partition is empty, drop its key until
 * the end (core.cost_line_fresh_begin, sql/014). 0, or -1. */
static int first_of_year(ncc_loader *l, const ncc_value *fy)
{
    for (int i = 0; i < l->nyears; i++)
        if (strlen(l->years[i]) == fy->len && memcmp(l->years[i], fy->s, fy->len) == 0)
            return 0;
    if (l->nyears == NCC_LOADER_YEARS || fy->len >= sizeof l->years[0])
        return 0; /* keyed as they go */
    int y = l->nyears++;
    memcpy(l->years[y], fy->s, fy->len);
    l->years[y][fy->len] = '\0';
    if (pause_copy(l) < 0)
        return -1;
    const char *params[1] = {l->years[y]};
    PGresult *res;
    if (ncc_loader_exec(l->c, "SELECT core.cost_line_fresh_begin($1)", 1, params, PGRES_TUPLES_OK,
                        l->err, sizeof l->err, &res) < 0) {
        memcpy(l->sqlstate, ncc_loader_last_sqlstate(), sizeof l->sqlstate);
        l->failed = true;
        return -1;
    }
    l->fresh[y] = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (l->fresh[y])
        ncc_debug("partition of %s empty: its key is built after its rows", l->years[y]);
    return 0;
}

/* The keys of the partitions first_of_year found empty, built from their rows. 0, or -1. */
static int key_fresh_years(ncc_loader *l)
{
    for (int y = 0; y < l->nyears; y++) {
        if (!l->fresh[y])
            continue;
        ncc_debug("building the key of the partition of %s", l->years[y]);
        const char *params[1] = {l->years[y]};
        if (ncc_loader_exec(l->c, "SELECT core.cost_line_fresh_end($1)", 1, params,
                            PGRES_TUPLES_OK, l->err, sizeof l->err, NULL) < 0) {
            memcpy(l->sqlstate, ncc_loader_last_sqlstate(), sizeof l->sqlstate);
            return -1;
        }
    }
    return 0;
}

/* Whether the fresh partitions of this load may be keyed after their rows: cost lines, a
 * warehouse whose partitions hold the key themselves (sql/014; not on Citus), and a load
 * that does not share the years with other workers (ncc-nightly --jobs N: a worker would
 * hold the year's partition for the whole of its file). */
static int fresh_possible(ncc_loader *l, const ncc_schema *s, const ncc_load_options *o)
{
    l->fresh_ok = false;
    if (!ncc_loader_is_cost(s) || o->before_replace)
        return 0;
    const char *params[1] = {s->table};
    PGresult *res;
    if (ncc_loader_exec(l->c,
                        "SELECT to_regprocedure('core.cost_line_fresh_begin(text)') IS NOT NULL "
                        "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = "
                        "$1::regclass AND contype = 'p') AND NOT EXISTS (SELECT 1 FROM "
                        "pg_catalog.pg_extension WHERE extname = 'citus')",
                        1, params, PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    l->fresh_ok = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return 0;
}

int ncc_loader_direct_row(ncc_loader *l, const ncc_row *row)
{
    char key[sizeof l->last_sub];
    size_t n = row_submission(row->schema, row->v, key, sizeof key);
    if (!n) {
        snprintf(l->err, sizeof l->err, "the submission of line %ld is too long", row->line);
        l->failed = true;
        return -1;
    }
    if (n != l->last_sub_len || memcmp(key, l->last_sub, n) != 0) {
        if (l->fresh_ok && first_of_year(l, &row->v[row->schema->tot_fin_year]) < 0)
            return -1;
        bool created = false;
        seen_sub *sub = ncc_strmap_upsert(l->seen, key, n, &created);
        if (!sub) {
            snprintf(l->err, sizeof l->err, "too many submissions in one file: split the file");
            l->failed = true;
            return -1;
        }
        if (created && ncc_strmap_get(l->existing, key, n)) {
            /* loaded before: its rows go before the first of this file's is written */
            ncc_total t;
            total_of_key(key, &t);
            sub->replaced = true;
            if (pause_copy(l) < 0)
                return -1;
            if (ncc_loader_replace_one(l, &t, l->load_id, false) < 0) {
                memcpy(l->sqlstate, ncc_loader_last_sqlstate(), sizeof l->sqlstate);
                l->failed = true;
                return -1;
            }
        }
        memcpy(l->last_sub, key, n + 1);
        l->last_sub_len = n;
    }
    if (!l->copying && ncc_loader_begin_copy(l, l->copy_sql) < 0)
        return -1;
    return 0;
}

static bool replaced_before(void *ctx, const ncc_total *t)
{
    ncc_loader *l = ctx;
    char key[sizeof l->last_sub];
    int n = snprintf(key, sizeof key, "%s|%s|%s", t->fin_year, t->org_code, t->feed);
    const seen_sub *sub = ncc_strmap_get(l->seen, key, (size_t)n);
    return sub && sub->replaced;
}

/* Whether another session waits for a lock this load holds (its uncommitted rows, its
 * submissions' locks): then it must not wait for its turn with them. */
static bool blocks_another(void *ctx)
{
    ncc_loader *l = ctx;
    PGresult *res;
    char err[256];
    if (ncc_loader_exec(l->c,
                        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pg_backend_pid() = "
                        "ANY (pg_blocking_pids(pid)))",
                        0, NULL, PGRES_TUPLES_OK, err, sizeof err, &res) < 0)
        return true; /* cannot tell: do not hold rows while waiting */
    bool yes = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return yes;
}

static void end_one_pass(ncc_loader *l)
{
    ncc_strmap_free(l->existing);
    ncc_strmap_free(l->seen);
    l->existing = l->seen = NULL;
    l->onepass = false;
}

/* A failure the two passes get past: another load writing the same keys. */
static bool concurrent(const ncc_loader *l)
{
    return strcmp(l->sqlstate, "23505") == 0 || strcmp(l->sqlstate, "40P01") == 0;
}

/* 0 done, -1 failed (ncc_loader_db_error done), 1 a concurrent load: rolled back, load again
 * in two passes. */
static int one_pass(ncc_loader *l, const char *path, const ncc_load_options *o, ncc_load_result *r,
                    const char *started, const ncc_schema *s)
{
    char sql[NCC_LOADER_SQL_SIZE], id[24];
    copy_sql(s, sql, sizeof sql);
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    l->onepass = true;
    l->copy_sql = sql;
    l->row_id = id;
    l->load_id = r->file_load_id;
    l->schema = s;
    l->send = true;
    l->aggregate = true;
    if (ncc_loader_exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0 ||
        read_existing(l, s, o->vcfg->schemas->groups) < 0 || fresh_possible(l, s, o) < 0)
        return ncc_loader_db_error(l, r);
    ncc_validate_config vcfg = *o->vcfg;
    vcfg.keep_sha256 = true;
    ncc_sink sink = {l, ncc_loader_on_row, ncc_loader_on_issue};
    if (ncc_validate_file(path, &vcfg, &sink, &r->v) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        return ncc_loader_db_error(l, r);
    }
    if (l->failed || pause_copy(l) < 0)
        return concurrent(l) ? 1 : ncc_loader_db_error(l, r);
    /* a file read to its end whose bytes are not those hashed before, or whose header now
     * says another kind (one not read to its end has a file error: judged below) */
    if ((r->v.complete && strcmp(r->v.sha256, r->sha256) != 0) || (r->v.schema && r->v.schema != s))
        return left(l, r);
    bool bad = true;
    if (judge(l, r, o, &bad) < 0)
        return ncc_loader_db_error(l, r);
    if (bad) {
        /* nothing of it was visible to anyone: roll the rows back, record the quarantine */
        if (ncc_loader_exec_simple(l->c, "ROLLBACK", l->err, sizeof l->err) < 0)
            return ncc_loader_db_error(l, r);
        return ncc_loader_quarantine(l, r, o, path, started);
    }
    r->rows_loaded = r->v.rows_valid;
    if (check_stored(l, r, l->stored) < 0)
        return ncc_loader_db_error(l, r);
    if (key_fresh_years(l) < 0)
        return concurrent(l) ? 1 : ncc_loader_db_error(l, r);
    if (o->before_replace) {
        int turn = o->before_replace(o->replace_ctx, &r->v, blocks_another, l);
        if (turn == NCC_LOAD_YIELD) {
            snprintf(l->err, sizeof l->err, "another load waited for its rows");
            return 1;
        }
        if (turn != 0) {
            snprintf(l->err, sizeof l->err, "the load was called off before its rows were replaced");
            return ncc_loader_db_error(l, r);
        }
    }
    if (r->rows_loaded && ncc_loader_replace_late(l, r, replaced_before, l) < 0) {
        memcpy(l->sqlstate, ncc_loader_last_sqlstate(), sizeof l->sqlstate);
        return concurrent(l) ? 1 : ncc_loader_db_error(l, r);
    }
    return ncc_loader_finish(l, r, o, path, started);
}

/* Back to the state before the one pass, for the two: rolled back, nothing counted. */
static int start_again(ncc_loader *l, const ncc_load_options *o, ncc_load_result *r)
{
    ncc_debug("\"%s\": another load writes the same submissions (%s); loading it again in "
              "two passes",
              r->v.path ? r->v.path : "", l->err);
    if (l->copying)
        ncc_loader_end_copy(l, "loaded again");
    if (PQstatus(l->c) != CONNECTION_OK ||
        ncc_loader_exec_simple(l->c, "ROLLBACK", l->err, sizeof l->err) < 0)
        return -1;
    ncc_file_result_free(&r->v);
    memset(&r->v, 0, sizeof r->v);
    r->rows_loaded = 0;
    r->message[0] = '\0';
    ncc_strmap_free(l->mtfm);
    l->mtfm = ncc_strmap_new(sizeof(ncc_loader_mtfm), o->vcfg->schemas->groups);
    if (!l->mtfm) {
        snprintf(l->err, sizeof l->err, "out of memory");
        return -1;
    }
    l->failed = l->copying = false;
    l->stored = 0;
    l->sqlstate[0] = l->err[0] = '\0';
    l->agg_kind = NULL;
    l->row_id = NULL;
    l->last_sub_len = 0;
    l->fresh_ok = false;
    l->nyears = 0;
    return 0;
}

int ncc_loader_direct(ncc_loader *l, const char *path, const ncc_load_options *o,
                      ncc_load_result *r, const char *started, const ncc_schema *s)
{
    int rc = one_pass(l, path, o, r, started, s);
    end_one_pass(l);
    if (rc != 1)
        return rc;
    if (start_again(l, o, r) < 0)
        return ncc_loader_db_error(l, r);
    return two_passes(l, path, o, r, started);
}
