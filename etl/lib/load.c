/*
 * load.c - one file into the warehouse in one transaction (see load.h).
 *
 * SQL identifiers come only from the schema files (checked to be plain
 * names when loaded); every value travels as COPY data or a parameter.
 * COPY uses the text format with backslash escaping, so a value "\." is
 * data, and the server's row count is compared with the rows sent.
 */
#include "load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy.h"
#include "ledger.h"
#include "sha256.h"

#define SQL_SIZE 8192
#define ZERO_SHA "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct load_ctx {
    PGconn *c;
    const ncc_schema *schema;
    ncc_copy cp;
    bool copying;
    bool failed;        /* the database failed */
    void (*issue)(void *ctx, const ncc_issue *issue);
    void *issue_ctx;
    char err[512];
} load_ctx;

static void on_issue(void *ctx, const ncc_issue *is)
{
    load_ctx *l = ctx;
    l->issue(l->issue_ctx, is);
}

const char *ncc_load_status_name(ncc_load_status s)
{
    switch (s) {
    case NCC_LOAD_LOADED:
        return "loaded";
    case NCC_LOAD_UNCHANGED:
        return "unchanged";
    case NCC_LOAD_QUARANTINED:
        return "quarantined";
    default:
        return "error";
    }
}

int ncc_sha256_file(const char *path, char hex[65])
{
    int fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    static unsigned char block[256 * 1024];
    ncc_sha256 ctx;
    ncc_sha256_init(&ctx);
    for (;;) {
        ssize_t n = read(fd, block, sizeof block);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        ncc_sha256_update(&ctx, block, (size_t)n);
    }
    close(fd);
    ncc_sha256_final_hex(&ctx, hex);
    return 0;
}

/* Run a statement with text parameters expecting status st; result cleared. */
static int exec_params(PGconn *c, const char *sql, int n, const char *const *params,
                       ExecStatusType st, char *err, size_t errlen, PGresult **out)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != st) {
        const char *m = PQresultErrorMessage(res);
        size_t len = strlen(m);
        while (len && m[len - 1] == '\n')
            len--;
        snprintf(err, errlen, "%.*s", (int)len, m[0] ? m : PQerrorMessage(c));
        PQclear(res);
        return -1;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

static int exec_simple(PGconn *c, const char *sql, char *err, size_t errlen)
{
    return exec_params(c, sql, 0, NULL, PGRES_COMMAND_OK, err, errlen, NULL);
}

static void column_list(const ncc_schema *s, char *out, size_t cap, const char *prefix)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < s->ncols && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s%s", i ? ", " : "", prefix, s->cols[i].name);
}

static int start_copy(load_ctx *l)
{
    char sql[SQL_SIZE], cols[1536];
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE ncc_stage (LIKE %s INCLUDING DEFAULTS) ON COMMIT DROP",
             l->schema->table);
    if (exec_simple(l->c, sql, l->err, sizeof l->err) < 0) {
        l->failed = true;
        return -1;
    }
    column_list(l->schema, cols, sizeof cols, "");
    snprintf(sql, sizeof sql, "COPY ncc_stage (%s) FROM STDIN", cols);
    if (ncc_copy_begin(&l->cp, l->c, sql) < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        l->failed = true;
        return -1;
    }
    l->copying = true;
    return 0;
}

static int on_row(void *ctx, const ncc_row *row)
{
    load_ctx *l = ctx;
    if (l->failed)
        return -1;
    if (!l->copying) {
        l->schema = row->schema;
        if (start_copy(l) < 0)
            return -1;
    }
    for (int i = 0; i < row->schema->ncols; i++)
        ncc_copy_value(&l->cp, row->v[i].s, row->v[i].len);
    if (ncc_copy_end_row(&l->cp) < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        l->failed = true;
        return -1;
    }
    return 0;
}

/* Finish the COPY; abort it when reason is non-NULL. Returns rows stored or -1. */
static long long end_copy(load_ctx *l, const char *reason)
{
    if (!l->copying)
        return 0;
    l->copying = false;
    long long stored = ncc_copy_end(&l->cp, reason);
    if (stored < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        l->failed = true;
    }
    return stored;
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
static int write_audit(load_ctx *l, const ncc_load_options *o, const ncc_load_result *r,
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
    if (exec_params(l->c,
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

/* ---- judging and replacing ---- */

static int check_ledger(load_ctx *l, ncc_load_result *r, const ncc_load_options *o)
{
    if (!r->v.schema || strcmp(r->v.schema->kind, "cost") != 0 || !r->v.ntotals)
        return 0;
    ncc_total *ledger = calloc((size_t)r->v.ntotals, sizeof *ledger);
    int n = 0, rc = 0;
    if (!ledger)
        return -1;
    for (int i = 0; i < r->v.ntotals; i++) {
        const ncc_total *t = &r->v.totals[i];
        const char *params[3] = {t->fin_year, t->org_code, t->feed};
        PGresult *res;
        if (exec_params(l->c,
                        "SELECT ledger_cost::text FROM core.ledger WHERE fin_year = $1 AND "
                        "org_code = $2 AND feed = $3",
                        3, params, PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0) {
            rc = -1;
            break;
        }
        if (PQntuples(res) == 1) {
            const char *txt = PQgetvalue(res, 0, 0);
            ledger[n] = *t;
            if (ncc_money_parse(txt, strlen(txt), &ledger[n].amount) != NCC_PARSE_BAD)
                n++;
        }
        PQclear(res);
    }
    if (rc == 0 && n)
        ncc_ledger_check(&r->v, ledger, n, o->ledger_tolerance);
    free(ledger);
    return rc;
}

static int replace_rows(load_ctx *l, ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[SQL_SIZE], cols[1536], keys[512], match[1024];
    char id[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    size_t kn = 0, mn = 0;
    keys[0] = match[0] = '\0';
    for (int i = 0; i < s->nreplace; i++) {
        const char *k = s->cols[s->replace_by[i]].name;
        kn += (size_t)snprintf(keys + kn, sizeof keys - kn, "%s%s", i ? ", " : "", k);
        mn += (size_t)snprintf(match + mn, sizeof match - mn, "%st.%s = s.%s", i ? " AND " : "", k, k);
    }
    /* parallel loads (ncc-nightly --jobs) replace one table at a time: a later load of the
     * same key then sees the earlier one's committed rows and replaces them */
    const char *lock[1] = {s->table};
    if (exec_params(l->c, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock, PGRES_TUPLES_OK,
                    l->err, sizeof l->err, NULL) < 0)
        return -1;
    if (s->nreplace) {
        /* the earlier files whose rows are replaced are no longer current */
        snprintf(sql, sizeof sql,
                 "WITH d AS (DELETE FROM %s t USING (SELECT DISTINCT %s FROM ncc_stage) s WHERE %s "
                 "RETURNING t.file_load_id) UPDATE audit.file_load SET superseded_by = $1::bigint "
                 "WHERE file_load_id IN (SELECT DISTINCT file_load_id FROM d) AND file_load_id <> "
                 "$1::bigint",
                 s->table, keys, match);
        const char *sup[1] = {id};
        if (exec_params(l->c, sql, 1, sup, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL) < 0)
            return -1;
    }
    column_list(s, cols, sizeof cols, "");
    snprintf(sql, sizeof sql, "INSERT INTO %s (%s, file_load_id) SELECT %s, $1::bigint FROM ncc_stage",
             s->table, cols, cols);
    const char *params[2] = {id, r->sha256};
    PGresult *res;
    if (exec_params(l->c, sql, 1, params, PGRES_COMMAND_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    long long inserted = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (inserted != r->rows_loaded) {
        snprintf(l->err, sizeof l->err, "inserted %lld rows but staged %lld", inserted, r->rows_loaded);
        return -1;
    }
    if (strcmp(s->kind, "cost") == 0 &&
        exec_params(l->c,
                    "INSERT INTO core.submission (fin_year, org_code, feed, rows, cost, sha256, "
                    "loaded_at, file_load_id) SELECT fin_year, org_code, feed, count(*), sum(cost), "
                    "$2, now(), $1::bigint FROM ncc_stage GROUP BY fin_year, org_code, feed "
                    "ON CONFLICT (fin_year, org_code, feed) DO UPDATE SET rows = EXCLUDED.rows, "
                    "cost = EXCLUDED.cost, sha256 = EXCLUDED.sha256, loaded_at = EXCLUDED.loaded_at, "
                    "file_load_id = EXCLUDED.file_load_id",
                    2, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL) < 0)
        return -1;
    /* MTFM aggregates of the replaced submissions, from the staged rows (no rescan of core) */
    if (strcmp(s->kind, "cost") == 0 &&
        (exec_simple(l->c,
                     "DELETE FROM core.mtfm_activity a USING (SELECT DISTINCT fin_year, org_code, "
                     "feed FROM ncc_stage) s WHERE a.fin_year = s.fin_year AND a.org_code = "
                     "s.org_code AND a.feed = s.feed",
                     l->err, sizeof l->err) < 0 ||
         exec_params(l->c,
                     "INSERT INTO core.mtfm_activity (fin_year, org_code, feed, technology_id, "
                     "lines, units, cost, file_load_id) SELECT fin_year, org_code, feed, "
                     "technology_id, count(*), sum(activity_count), sum(cost), $1::bigint FROM "
                     "ncc_stage WHERE technology_id IS NOT NULL GROUP BY fin_year, org_code, feed, "
                     "technology_id",
                     1, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL) < 0))
        return -1;
    return 0;
}

static bool connection_lost(PGconn *c)
{
    return PQstatus(c) != CONNECTION_OK;
}

static int db_error(load_ctx *l, ncc_load_result *r)
{
    r->status = NCC_LOAD_DB_ERROR;
    snprintf(r->message, sizeof r->message, "%s", l->err[0] ? l->err : "database error");
    if (!connection_lost(l->c)) {
        if (l->copying)
            end_copy(l, "aborted");
        PGresult *res = PQexec(l->c, "ROLLBACK");
        PQclear(res);
    }
    return -1;
}

/* Record a quarantined file (nothing of it loaded) in its own transaction. */
static int quarantine(load_ctx *l, ncc_load_result *r, const ncc_load_options *o, const char *path,
                      const char *started)
{
    r->status = NCC_LOAD_QUARANTINED;
    r->rows_loaded = 0;
    if (!r->message[0]) {
        const ncc_kept_issue *k = r->v.nfile_errors ? &r->v.file_errors[0] : NULL;
        if (k)
            snprintf(r->message, sizeof r->message, "%s: %s", ncc_code_name(k->code), k->message);
        else
            snprintf(r->message, sizeof r->message, "rejected");
    }
    if (exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0 ||
        write_audit(l, o, r, path, started, r->message) < 0 ||
        exec_simple(l->c, "COMMIT", l->err, sizeof l->err) < 0)
        return db_error(l, r);
    return 0;
}

int ncc_load_file(PGconn *c, const char *path, const ncc_load_options *o, ncc_load_result *r)
{
    memset(r, 0, sizeof *r);
    load_ctx l;
    memset(&l, 0, sizeof l);
    l.c = c;
    int rc = -1;
    char started[64] = "";
    PGresult *res = NULL;
    bool readable = ncc_sha256_file(path, r->sha256) == 0;
    if (!readable)
        snprintf(r->sha256, sizeof r->sha256, "%s", ZERO_SHA);

    if (exec_params(c, "SELECT clock_timestamp()::text, nextval('audit.file_load_file_load_id_seq')",
                    0, NULL, PGRES_TUPLES_OK, l.err, sizeof l.err, &res) < 0)
        return db_error(&l, r);
    snprintf(started, sizeof started, "%s", PQgetvalue(res, 0, 0));
    r->file_load_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);

    if (readable) {
        const char *params[1] = {r->sha256};
        if (exec_params(c,
                        "SELECT kind, file_load_id FROM audit.file_load WHERE sha256 = $1 AND "
                        "status = 'loaded' AND superseded_by IS NULL ORDER BY file_load_id DESC "
                        "LIMIT 1",
                        1, params, PGRES_TUPLES_OK, l.err, sizeof l.err, &res) < 0)
            return db_error(&l, r);
        if (PQntuples(res) == 1) {
            r->status = NCC_LOAD_UNCHANGED;
            r->v.schema = ncc_schema_find(o->vcfg->schemas, PQgetvalue(res, 0, 0));
            r->v.path = strdup(path);
            snprintf(r->message, sizeof r->message, "same content as file_load %s, already loaded",
                     PQgetvalue(res, 0, 1));
            PQclear(res);
            if (exec_simple(c, "BEGIN", l.err, sizeof l.err) < 0 ||
                write_audit(&l, o, r, path, started, r->message) < 0 ||
                exec_simple(c, "COMMIT", l.err, sizeof l.err) < 0)
                return db_error(&l, r);
            return 0;
        }
        PQclear(res);
    }

    if (exec_simple(c, "BEGIN", l.err, sizeof l.err) < 0)
        goto fail_db;
    /* find the schema before the first row: the sink starts COPY lazily */
    l.issue = o->issue;
    l.issue_ctx = o->issue_ctx;
    ncc_sink sink = {&l, on_row, o->issue ? on_issue : NULL};
    /* stdin cannot be hashed before it is read: hash it on the way through */
    ncc_validate_config vcfg = *o->vcfg;
    vcfg.keep_sha256 = !readable;
    if (ncc_validate_file(path, &vcfg, &sink, &r->v) < 0) {
        snprintf(l.err, sizeof l.err, "out of memory validating the file");
        goto fail_db;
    }
    if (l.failed)
        goto fail_db;
    bool bad = r->v.nfile_errors > 0;
    if (!bad && r->v.rows_rejected * NCC_MONEY_SCALE > o->max_reject_rate * r->v.rows_read) {
        char rate[NCC_MONEY_BUFSIZE];
        ncc_money_format_plain(o->max_reject_rate * 100, rate, sizeof rate);
        ncc_file_result_add_error(&r->v, NCC_F_REJECT_LIMIT, NULL,
                                  "%lld of %lld rows were rejected: more than the %s %% allowed "
                                  "(--max-reject-rate); nothing of the file is loaded",
                                  r->v.rows_rejected, r->v.rows_read, rate);
        bad = true;
    }
    long long stored = end_copy(&l, bad ? "file rejected" : NULL);
    if (l.failed)
        goto fail_db;
    if (!bad && stored != l.cp.rows) {
        snprintf(l.err, sizeof l.err, "COPY stored %lld rows but %lld were sent", stored, l.cp.rows);
        goto fail_db;
    }
    r->rows_loaded = bad ? 0 : l.cp.rows;
    if (!readable && r->v.sha256[0])
        snprintf(r->sha256, sizeof r->sha256, "%s", r->v.sha256);
    if (!bad) {
        if (check_ledger(&l, r, o) < 0)
            goto fail_db;
        bad = r->v.nfile_errors > 0;
    }
    if (bad) {
        if (exec_simple(c, "ROLLBACK", l.err, sizeof l.err) < 0)
            goto fail_db;
        rc = quarantine(&l, r, o, path, started);
        goto out;
    }
    if (o->before_replace && o->before_replace(o->replace_ctx) != 0) {
        snprintf(l.err, sizeof l.err, "the load was called off before its rows were replaced");
        goto fail_db;
    }
    if (r->rows_loaded && replace_rows(&l, r) < 0)
        goto fail_db;
    r->status = NCC_LOAD_LOADED;
    if (write_audit(&l, o, r, path, started, NULL) < 0 ||
        exec_simple(c, "COMMIT", l.err, sizeof l.err) < 0)
        goto fail_db;
    rc = 0;
    goto out;
fail_db:
    rc = db_error(&l, r);
out:
    return rc;
}

void ncc_load_result_free(ncc_load_result *r)
{
    if (!r)
        return;
    ncc_file_result_free(&r->v);
}
