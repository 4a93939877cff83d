/*
 * load_write.c - what a load writes besides the rows, inside its transaction:
 * the replace (one advisory lock per submission, or per table for the kinds
 * replaced row by row; the old rows deleted; the earlier files whose rows
 * went marked superseded), core.submission and core.mtfm_activity of a cost
 * file from the totals the client summed, and the audit rows (audit.file_load
 * and its kept errors and warnings in audit.file_error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/strmap.h"
#include "warehouse/load_int.h"

/* ---- replacing ---- */

bool ncc_load_replaces_submissions(const ncc_schema *s)
{
    int want[3] = {s->tot_fin_year, s->tot_org, s->tot_feed};
    if (s->nreplace != 3)
        return false;
    for (int i = 0; i < 3; i++) {
        bool found = false;
        for (int j = 0; j < 3 && want[i] >= 0; j++)
            found = found || s->replace_by[j] == want[i];
        if (!found)
            return false;
    }
    return true;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int lock_class(const ncc_schema *s)
{
    return (int)(uint32_t)ncc_hash64(s->table, strlen(s->table), 0);
}

/* Lock the submissions of the file, in ascending key order so that two loads never wait
 * for each other in a cycle: loads of disjoint submissions run side by side, a load of
 * the same submission waits for the other's commit and then replaces its rows. */
static int lock_submissions(ncc_loader *l, const ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    int n = r->v.ntotals;
    int *keys = calloc((size_t)n + 1, sizeof *keys);
    char *arr = malloc((size_t)n * 12 + 3);
    int rc = -1;
    if (!keys || !arr) {
        snprintf(l->err, sizeof l->err, "out of memory locking the submissions");
        goto out;
    }
    for (int i = 0; i < n; i++)
        keys[i] = (int)(uint32_t)ncc_load_submission_key(&r->v.totals[i]);
    qsort(keys, (size_t)n, sizeof *keys, cmp_int);
    size_t k = 0;
    arr[k++] = '{';
    for (int i = 0; i < n; i++)
        if (i == 0 || keys[i] != keys[i - 1])
            k += (size_t)sprintf(arr + k, "%s%d", k > 1 ? "," : "", keys[i]);
    arr[k++] = '}';
    arr[k] = '\0';
    char table[24];
    snprintf(table, sizeof table, "%d", lock_class(s));
    const char *params[2] = {table, arr};
    /* unnest yields the keys in array order and nothing sorts them again */
    rc = ncc_loader_exec(l->c,
                         "SELECT pg_advisory_xact_lock($1::int, k) FROM unnest($2::int[]) AS k", 2,
                         params, PGRES_TUPLES_OK, l->err, sizeof l->err, NULL);
out:
    free(keys);
    free(arr);
    return rc;
}

uint64_t ncc_load_submission_key(const ncc_total *t)
{
    char key[32];
    int n = snprintf(key, sizeof key, "%s|%s|%s", t->fin_year, t->org_code, t->feed);
    return ncc_hash64(key, (size_t)n, 0x737562);
}

/* The file's submissions (its totals) into the temporary table ncc_subs, typed as the
 * target's columns so the deletes below use its primary key. */
static int stage_submissions(ncc_loader *l, const ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[NCC_LOADER_SQL_SIZE];
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE ncc_subs ON COMMIT DROP AS SELECT %s AS fin_year, %s AS org_code, "
             "%s AS feed, 0::bigint AS rows, 0::numeric(22,4) AS cost FROM %s WITH NO DATA",
             s->cols[s->tot_fin_year].name, s->cols[s->tot_org].name, s->cols[s->tot_feed].name,
             s->table);
    if (ncc_loader_exec_simple(l->c, sql, l->err, sizeof l->err) < 0 ||
        ncc_loader_begin_copy(
            l, "COPY ncc_subs (fin_year, org_code, feed, rows, cost) FROM STDIN") < 0)
        return -1;
    for (int i = 0; i < r->v.ntotals; i++) {
        const ncc_total *t = &r->v.totals[i];
        char rows[24], cost[NCC_MONEY_BUFSIZE];
        int rn = snprintf(rows, sizeof rows, "%lld", t->rows);
        size_t cn = ncc_money_format(t->amount, cost, sizeof cost);
        ncc_copy_value(&l->cp, t->fin_year, strlen(t->fin_year));
        ncc_copy_value(&l->cp, t->org_code, strlen(t->org_code));
        ncc_copy_value(&l->cp, t->feed, strlen(t->feed));
        ncc_copy_value(&l->cp, rows, (size_t)rn);
        ncc_copy_value(&l->cp, cost, cn);
        ncc_copy_end_row(&l->cp);
    }
    return ncc_loader_end_copy(l, NULL) < 0
               ? -1
               : ncc_loader_exec_simple(l->c, "ANALYZE ncc_subs", l->err, sizeof l->err);
}

/*
 * Lock what the file replaces and delete it, recording which earlier files are
 * superseded. Whole submissions: the keys are the file's totals (ncc_subs), one lock
 * each. Otherwise (a key per row, staged path only): the staged rows' keys, one lock
 * for the table.
 */
int ncc_loader_replace_begin(ncc_loader *l, ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[NCC_LOADER_SQL_SIZE], using[1024], match[1024], id[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    size_t kn = 0, mn = 0;
    match[0] = '\0';
    if (ncc_load_replaces_submissions(s)) {
        if (stage_submissions(l, r) < 0 || lock_submissions(l, r) < 0)
            return -1;
        snprintf(using, sizeof using, "ncc_subs");
        snprintf(match, sizeof match, "t.%s = s.fin_year AND t.%s = s.org_code AND t.%s = s.feed",
                 s->cols[s->tot_fin_year].name, s->cols[s->tot_org].name,
                 s->cols[s->tot_feed].name);
    } else {
        const char *lock[1] = {s->table};
        if (ncc_loader_exec(l->c, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock,
                            PGRES_TUPLES_OK, l->err, sizeof l->err, NULL) < 0)
            return -1;
        kn = (size_t)snprintf(using, sizeof using, "(SELECT DISTINCT ");
        for (int i = 0; i < s->nreplace; i++) {
            const char *k = s->cols[s->replace_by[i]].name;
            kn += (size_t)snprintf(using + kn, sizeof using - kn, "%s%s", i ? ", " : "", k);
            mn += (size_t)snprintf(match + mn, sizeof match - mn, "%st.%s = s.%s", i ? " AND " : "",
                                   k, k);
        }
        snprintf(using + kn, sizeof using - kn, " FROM ncc_stage)");
    }
    if (!s->nreplace)
        return 0;
    /* the earlier files whose rows are replaced are no longer current */
    snprintf(sql, sizeof sql,
             "WITH d AS (DELETE FROM %s t USING %s s WHERE %s RETURNING t.file_load_id) "
             "UPDATE audit.file_load SET superseded_by = $1::bigint WHERE file_load_id IN "
             "(SELECT DISTINCT file_load_id FROM d) AND file_load_id <> $1::bigint",
             s->table, using, match);
    const char *sup[1] = {id};
    return ncc_loader_exec(l->c, sql, 1, sup, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL);
}

int ncc_loader_replace_one(ncc_loader *l, const ncc_total *t, long long file_load_id, bool keep_own)
{
    const ncc_schema *s = l->schema;
    char cls[24], key[24], id[24], sql[NCC_LOADER_SQL_SIZE];
    snprintf(cls, sizeof cls, "%d", lock_class(s));
    snprintf(key, sizeof key, "%d", (int)(uint32_t)ncc_load_submission_key(t));
    snprintf(id, sizeof id, "%lld", file_load_id);
    const char *lock[2] = {cls, key};
    if (ncc_loader_exec(l->c, "SELECT pg_advisory_xact_lock($1::int, $2::int)", 2, lock,
                        PGRES_TUPLES_OK, l->err, sizeof l->err, NULL) < 0)
        return -1;
    snprintf(sql, sizeof sql,
             "WITH d AS (DELETE FROM %s t WHERE t.%s = $2 AND t.%s = $3 AND t.%s = $4%s "
             "RETURNING t.file_load_id) UPDATE audit.file_load SET superseded_by = $1::bigint "
             "WHERE file_load_id IN (SELECT DISTINCT file_load_id FROM d) AND file_load_id <> "
             "$1::bigint",
             s->table, s->cols[s->tot_fin_year].name, s->cols[s->tot_org].name,
             s->cols[s->tot_feed].name,
             keep_own ? " AND t.file_load_id IS DISTINCT FROM $1::bigint" : "");
    const char *params[4] = {id, t->fin_year, t->org_code, t->feed};
    return ncc_loader_exec(l->c, sql, 4, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL);
}

int ncc_loader_replace_late(ncc_loader *l, ncc_load_result *r,
                            bool (*replaced)(void *ctx, const ncc_total *t), void *ctx)
{
    if (stage_submissions(l, r) < 0 || lock_submissions(l, r) < 0)
        return -1;
    const ncc_schema *s = r->v.schema;
    if (!ncc_loader_is_cost(s)) {
        /* a small table (the ledger): every row of the file's submissions but its own */
        char sql[NCC_LOADER_SQL_SIZE], id[24];
        snprintf(id, sizeof id, "%lld", r->file_load_id);
        snprintf(sql, sizeof sql,
                 "WITH d AS (DELETE FROM %s t USING ncc_subs s WHERE t.%s = s.fin_year AND "
                 "t.%s = s.org_code AND t.%s = s.feed AND t.file_load_id IS DISTINCT FROM "
                 "$1::bigint RETURNING t.file_load_id) UPDATE audit.file_load SET superseded_by "
                 "= $1::bigint WHERE file_load_id IN (SELECT DISTINCT file_load_id FROM d) AND "
                 "file_load_id <> $1::bigint",
                 s->table, s->cols[s->tot_fin_year].name, s->cols[s->tot_org].name,
                 s->cols[s->tot_feed].name);
        const char *params[1] = {id};
        return ncc_loader_exec(l->c, sql, 1, params, PGRES_COMMAND_OK, l->err, sizeof l->err,
                               NULL);
    }
    /* cost lines: core.submission says which submissions have rows (it is written with
     * them); those loaded by another load since this one began are replaced now */
    PGresult *res;
    if (ncc_loader_exec(l->c,
                        "SELECT s.fin_year, s.org_code, s.feed FROM ncc_subs s JOIN "
                        "core.submission c ON c.fin_year = s.fin_year AND c.org_code = "
                        "s.org_code AND c.feed = s.feed",
                        0, NULL, PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        ncc_total t;
        memset(&t, 0, sizeof t);
        snprintf(t.fin_year, sizeof t.fin_year, "%s", PQgetvalue(res, i, 0));
        snprintf(t.org_code, sizeof t.org_code, "%s", PQgetvalue(res, i, 1));
        snprintf(t.feed, sizeof t.feed, "%s", PQgetvalue(res, i, 2));
        if (!replaced(ctx, &t))
            rc = ncc_loader_replace_one(l, &t, r->file_load_id, true);
    }
    PQclear(res);
    return rc;
}

/* The MTFM sums (l->mtfm) as rows of the COPY under way: fin_year, org_code, feed,
 * technology_id, lines, units, cost. */
static void put_mtfm_sums(ncc_loader *l)
{
    size_t pos = 0, klen;
    const char *key;
    void *val;
    while (ncc_strmap_next(l->mtfm, &pos, &key, &klen, &val)) {
        const ncc_loader_mtfm *a = val;
        const char *p = key, *end = key + klen;
        for (int f = 0; f < 4; f++) { /* fin_year|org|feed|technology */
            const char *bar = f < 3 ? memchr(p, '|', (size_t)(end - p)) : NULL;
            const char *stop = bar ? bar : end;
            ncc_copy_value(&l->cp, p, (size_t)(stop - p));
            p = bar ? bar + 1 : end;
        }
        char lines[24], units[24], cost[NCC_MONEY_BUFSIZE];
        int ln = snprintf(lines, sizeof lines, "%lld", a->lines);
        int un = snprintf(units, sizeof units, "%lld", (long long)a->units);
        size_t cn = ncc_money_format(a->cost, cost, sizeof cost);
        ncc_copy_value(&l->cp, lines, (size_t)ln);
        ncc_copy_value(&l->cp, units, (size_t)un);
        ncc_copy_value(&l->cp, cost, cn);
        ncc_copy_end_row(&l->cp);
    }
}

/* Cost files: core.submission and core.mtfm_activity of the replaced submissions, from
 * the totals the client summed (no scan of the rows on the server). */
int ncc_loader_record_submissions(ncc_loader *l, ncc_load_result *r)
{
    if (!ncc_loader_is_cost(r->v.schema))
        return 0;
    char id[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    const char *params[2] = {id, r->sha256};
    if (ncc_loader_exec(
            l->c,
            "INSERT INTO core.submission (fin_year, org_code, feed, rows, cost, sha256, "
            "loaded_at, file_load_id) SELECT fin_year, org_code, feed, rows, cost, $2, now(), "
            "$1::bigint FROM ncc_subs ON CONFLICT (fin_year, org_code, feed) DO UPDATE SET "
            "rows = EXCLUDED.rows, cost = EXCLUDED.cost, sha256 = EXCLUDED.sha256, "
            "loaded_at = EXCLUDED.loaded_at, file_load_id = EXCLUDED.file_load_id",
            2, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL) < 0 ||
        ncc_loader_exec_simple(
            l->c,
            "DELETE FROM core.mtfm_activity a USING ncc_subs s WHERE a.fin_year = "
            "s.fin_year AND a.org_code = s.org_code AND a.feed = s.feed",
            l->err, sizeof l->err) < 0 ||
        ncc_loader_exec_simple(
            l->c,
            "CREATE TEMP TABLE ncc_mtfm ON COMMIT DROP AS SELECT fin_year, org_code, feed, "
            "technology_id, lines, units, cost FROM core.mtfm_activity WITH NO DATA",
            l->err, sizeof l->err) < 0 ||
        ncc_loader_begin_copy(l, "COPY ncc_mtfm FROM STDIN") < 0)
        return -1;
    put_mtfm_sums(l);
    /* through a temporary table: COPY into core.mtfm_activity itself would be refused to a
     * loader subject to row-level security */
    if (ncc_loader_end_copy(l, NULL) < 0)
        return -1;
    return ncc_loader_exec(
        l->c,
        "INSERT INTO core.mtfm_activity (fin_year, org_code, feed, technology_id, "
        "lines, units, cost, file_load_id) SELECT fin_year, org_code, feed, "
        "technology_id, lines, units, cost, $1::bigint FROM ncc_mtfm",
        1, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL);
}

/* ---- audit ---- */

static long long error_count(const ncc_file_result *v)
{
    long long n = 0;
    for (int c = 0; c < NCC_CODE_COUNT; c++)
        if (ncc_code_level((ncc_code)c) != NCC_LEVEL_WARNING)
            n += v->counts[c];
    return n;
}

static void put_issue(ncc_copy *cp, const char *id, const ncc_kept_issue *k)
{
    char line[24];
    int n = snprintf(line, sizeof line, "%ld", k->line);
    const char *code = ncc_code_name(k->code);
    ncc_copy_value(cp, id, strlen(id));
    ncc_copy_value(cp, k->line > 0 ? line : NULL, (size_t)n);
    ncc_copy_value(cp, k->column[0] ? k->column : NULL, strlen(k->column));
    ncc_copy_value(cp, code, strlen(code));
    ncc_copy_value(cp, k->message, strlen(k->message));
    ncc_copy_end_row(cp);
}

/* Insert the audit.file_load row and its kept errors and warnings. */
int ncc_loader_write_audit(ncc_loader *l, const ncc_load_options *o, const ncc_load_result *r,
                           const char *path, const char *started, const char *message)
{
    char id[24], run[24], rr[24], rl[24], rj[24], ec[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    snprintf(run, sizeof run, "%lld", o->run_id);
    long long rows_rejected = r->v.rows_read - r->rows_loaded;
    snprintf(rr, sizeof rr, "%lld", r->v.rows_read);
    snprintf(rl, sizeof rl, "%lld", r->rows_loaded);
    snprintf(rj, sizeof rj, "%lld", rows_rejected);
    snprintf(ec, sizeof ec, "%lld", error_count(&r->v));
    const char *params[12] = {id,
                              o->run_id ? run : NULL,
                              o->file_name ? o->file_name : path,
                              r->sha256,
                              r->v.schema ? r->v.schema->kind : NULL,
                              rr,
                              rl,
                              rj,
                              ncc_load_status_name(r->status),
                              started,
                              ec,
                              message};
    if (ncc_loader_exec(
            l->c,
            "INSERT INTO audit.file_load (file_load_id, run_id, file_name, sha256, kind, "
            "rows_read, rows_loaded, rows_rejected, status, started_at, ended_at, "
            "error_count, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
            "greatest(clock_timestamp(), $10::timestamptz), $11, $12)",
            12, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL) < 0)
        return -1;
    int nissues = r->v.nfile_errors + r->v.nerrors + r->v.nwarnings;
    if (!nissues)
        return 0;
    ncc_copy cp;
    if (ncc_copy_begin(&cp, l->c,
                       "COPY audit.file_error (file_load_id, line, column_name, code, message) "
                       "FROM STDIN") < 0) {
        snprintf(l->err, sizeof l->err, "%s", cp.err);
        return -1;
    }
    const ncc_kept_issue *lists[3] = {r->v.file_errors, r->v.errors, r->v.warnings};
    int counts[3] = {r->v.nfile_errors, r->v.nerrors, r->v.nwarnings};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < counts[k]; i++)
            put_issue(&cp, id, &lists[k][i]);
    if (ncc_copy_end(&cp, NULL) < 0) {
        snprintf(l->err, sizeof l->err, "%s", cp.err);
        return -1;
    }
    return 0;
}
