/*
 * load.c - one file into the warehouse in one transaction (see load.h).
 *
 * SQL identifiers come only from the schema files (checked to be plain
 * names when loaded); every value travels as COPY data or a parameter.
 * COPY uses the text format with backslash escaping, so a value "\." is
 * data, and the server's row count is compared with the rows sent.
 *
 * Two ways in, chosen per file:
 *   direct  - a file on disk whose kind replaces whole submissions (cost,
 *             ledger: replace_by = the totals' fin_year, org_code, feed)
 *             and a table the connection may COPY into (row-level security
 *             not active for it): pass 1 validates without touching the
 *             warehouse and yields the submissions; then, in the
 *             transaction, their rows are deleted and pass 2 COPYs the
 *             valid rows straight into the table. Every row is written once.
 *   staged  - everything else (standard input, NHSSC and supplier files,
 *             whose replace key is per row, or a loader subject to row-level
 *             security, for which PostgreSQL refuses COPY FROM): one pass
 *             COPYs the rows into a temporary table, then DELETE ... USING
 *             and INSERT ... SELECT replace the table's rows.
 * Both end the same way: core.submission and core.mtfm_activity from the
 * totals the client computed, the audit row, COMMIT.
 */
#include "warehouse/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "warehouse/copy.h"
#include "rules/ledger.h"
#include "shared/log.h"
#include "shared/sha256.h"
#include "shared/strmap.h"

#define SQL_SIZE 8192
#define ZERO_SHA "0000000000000000000000000000000000000000000000000000000000000000"

/* MTFM lines of a cost file summed per (fin_year, org_code, feed, technology_id) */
typedef struct mtfm_acc {
    ncc_money cost;
    long long lines;
    int64_t units;
} mtfm_acc;

typedef struct load_ctx {
    PGconn *c;
    const ncc_schema *schema;
    ncc_copy cp;
    bool copying;
    bool send;          /* the sink sends rows: to the stage, or to the table (direct) */
    const char *row_id; /* direct: file_load_id sent as the last column of each row */
    bool aggregate;     /* the sink sums MTFM lines into mtfm (cost files) */
    const ncc_schema *agg_kind; /* the kind last seen by the sink, and whether it is cost */
    bool agg_cost;
    ncc_strmap *mtfm;
    bool failed;        /* the database failed (or the client ran out of room) */
    void (*issue)(void *ctx, const ncc_issue *issue);
    void *issue_ctx;
    char err[512];
} load_ctx;

static void on_issue(void *ctx, const ncc_issue *is)
{
    load_ctx *l = ctx;
    if (l->issue)
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
    case NCC_LOAD_LEFT:
        return "left";
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

static int begin_copy(load_ctx *l, const char *sql)
{
    if (ncc_copy_begin(&l->cp, l->c, sql) < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        l->failed = true;
        return -1;
    }
    l->copying = true;
    return 0;
}

/* The staging table, created when the first row arrives (the kind is known then). */
static int start_stage(load_ctx *l)
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
    return begin_copy(l, sql);
}

static bool is_cost(const ncc_schema *s)
{
    return s && strcmp(s->kind, "cost") == 0;
}

/* Append "a|" to key; false when it does not fit. */
static bool key_part(char *key, size_t cap, size_t *n, const char *s, size_t len, char sep)
{
    if (*n + len + 1 >= cap)
        return false;
    memcpy(key + *n, s, len);
    *n += len;
    key[(*n)++] = sep;
    return true;
}

static const char *feed_of(const ncc_schema *s, const ncc_value *v, size_t *len)
{
    if (s->tot_feed >= 0) {
        *len = v[s->tot_feed].len;
        return v[s->tot_feed].s;
    }
    *len = s->feed_literal ? strlen(s->feed_literal) : 0;
    return s->feed_literal;
}

/* Sum one valid row of a cost file into its (fin_year, org, feed, technology) group. */
static int add_mtfm(load_ctx *l, const ncc_row *row)
{
    const ncc_schema *s = row->schema;
    const ncc_value *v = row->v;
    if (s->mtfm_tech < 0 || s->tot_fin_year < 0 || s->tot_org < 0 || !v[s->mtfm_tech].s)
        return 0;
    size_t feedlen;
    const char *feed = feed_of(s, v, &feedlen);
    const ncc_value *fy = &v[s->tot_fin_year], *org = &v[s->tot_org], *tech = &v[s->mtfm_tech];
    if (!feed || !fy->s || !org->s)
        return 0;
    char key[256];
    size_t n = 0;
    if (!key_part(key, sizeof key, &n, fy->s, fy->len, '|') ||
        !key_part(key, sizeof key, &n, org->s, org->len, '|') ||
        !key_part(key, sizeof key, &n, feed, feedlen, '|') ||
        !key_part(key, sizeof key, &n, tech->s, tech->len, '\0')) {
        snprintf(l->err, sizeof l->err, "an MTFM group key on line %ld is too long", row->line);
        return -1;
    }
    mtfm_acc *a = ncc_strmap_upsert(l->mtfm, key, n - 1, NULL);
    if (!a) {
        snprintf(l->err, sizeof l->err,
                 "too many (fin_year, org_code, feed, technology) groups: split the file");
        return -1;
    }
    int64_t units = s->mtfm_units >= 0 ? v[s->mtfm_units].i : 0;
    if (__builtin_add_overflow(a->units, units, &a->units)) {
        snprintf(l->err, sizeof l->err, "the MTFM units of a group overflow on line %ld",
                 row->line);
        return -1;
    }
    a->lines++;
    if (s->mtfm_amount >= 0)
        a->cost += v[s->mtfm_amount].m;
    return 0;
}

static int on_row(void *ctx, const ncc_row *row)
{
    load_ctx *l = ctx;
    if (l->failed)
        return -1;
    if (l->aggregate && row->schema != l->agg_kind) {
        l->agg_kind = row->schema;
        l->agg_cost = is_cost(row->schema);
    }
    if (l->aggregate && l->agg_cost && add_mtfm(l, row) < 0) {
        l->failed = true;
        return -1;
    }
    if (!l->send)
        return 0;
    if (!l->copying) {
        l->schema = row->schema;
        if (start_stage(l) < 0)
            return -1;
    }
    for (int i = 0; i < row->schema->ncols; i++)
        ncc_copy_value(&l->cp, row->v[i].s, row->v[i].len);
    if (l->row_id)
        ncc_copy_value(&l->cp, l->row_id, strlen(l->row_id));
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

/* ---- judging ---- */

/* After the pass: true (and F_REJECT_LIMIT recorded) when too many rows were rejected. */
static bool over_reject_limit(ncc_load_result *r, const ncc_load_options *o)
{
    if (r->v.rows_rejected * NCC_MONEY_SCALE <= o->max_reject_rate * r->v.rows_read)
        return false;
    char rate[NCC_MONEY_BUFSIZE];
    ncc_money_format_plain(o->max_reject_rate * 100, rate, sizeof rate);
    ncc_file_result_add_error(&r->v, NCC_F_REJECT_LIMIT, NULL,
                              "%lld of %lld rows were rejected: more than the %s %% allowed "
                              "(--max-reject-rate); nothing of the file is loaded",
                              r->v.rows_rejected, r->v.rows_read, rate);
    return true;
}

static int check_ledger(load_ctx *l, ncc_load_result *r, const ncc_load_options *o)
{
    if (!is_cost(r->v.schema) || !r->v.ntotals)
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

/* Lock the submissions of the file, in ascending key order so that two loads never wait
 * for each other in a cycle: loads of disjoint submissions run side by side, a load of
 * the same submission waits for the other's commit and then replaces its rows. */
static int lock_submissions(load_ctx *l, const ncc_load_result *r)
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
    snprintf(table, sizeof table, "%d", (int)(uint32_t)ncc_hash64(s->table, strlen(s->table), 0));
    const char *params[2] = {table, arr};
    /* unnest yields the keys in array order and nothing sorts them again */
    rc = exec_params(l->c, "SELECT pg_advisory_xact_lock($1::int, k) FROM unnest($2::int[]) AS k",
                     2, params, PGRES_TUPLES_OK, l->err, sizeof l->err, NULL);
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
static int stage_submissions(load_ctx *l, const ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[SQL_SIZE];
    snprintf(sql, sizeof sql,
             "CREATE TEMP TABLE ncc_subs ON COMMIT DROP AS SELECT %s AS fin_year, %s AS org_code, "
             "%s AS feed, 0::bigint AS rows, 0::numeric(22,4) AS cost FROM %s WITH NO DATA",
             s->cols[s->tot_fin_year].name, s->cols[s->tot_org].name, s->cols[s->tot_feed].name,
             s->table);
    if (exec_simple(l->c, sql, l->err, sizeof l->err) < 0 ||
        begin_copy(l, "COPY ncc_subs (fin_year, org_code, feed, rows, cost) FROM STDIN") < 0)
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
    return end_copy(l, NULL) < 0 ? -1 : exec_simple(l->c, "ANALYZE ncc_subs", l->err, sizeof l->err);
}

/*
 * Lock what the file replaces and delete it, recording which earlier files are
 * superseded. Whole submissions: the keys are the file's totals (ncc_subs), one lock
 * each. Otherwise (a key per row, staged path only): the staged rows' keys, one lock
 * for the table.
 */
static int replace_begin(load_ctx *l, ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[SQL_SIZE], using[1024], match[1024], id[24];
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
        if (exec_params(l->c, "SELECT pg_advisory_xact_lock(hashtext($1))", 1, lock,
                        PGRES_TUPLES_OK, l->err, sizeof l->err, NULL) < 0)
            return -1;
        kn = (size_t)snprintf(using, sizeof using, "(SELECT DISTINCT ");
        for (int i = 0; i < s->nreplace; i++) {
            const char *k = s->cols[s->replace_by[i]].name;
            kn += (size_t)snprintf(using + kn, sizeof using - kn, "%s%s", i ? ", " : "", k);
            mn += (size_t)snprintf(match + mn, sizeof match - mn, "%st.%s = s.%s",
                                   i ? " AND " : "", k, k);
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
    return exec_params(l->c, sql, 1, sup, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL);
}

/* Staged path: the staged rows into the table. */
static int insert_staged(load_ctx *l, ncc_load_result *r)
{
    const ncc_schema *s = r->v.schema;
    char sql[SQL_SIZE], cols[1536], id[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    column_list(s, cols, sizeof cols, "");
    snprintf(sql, sizeof sql, "INSERT INTO %s (%s, file_load_id) SELECT %s, $1::bigint FROM ncc_stage",
             s->table, cols, cols);
    const char *params[1] = {id};
    PGresult *res;
    if (exec_params(l->c, sql, 1, params, PGRES_COMMAND_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    long long inserted = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    if (inserted != r->rows_loaded) {
        snprintf(l->err, sizeof l->err, "inserted %lld rows but staged %lld", inserted, r->rows_loaded);
        return -1;
    }
    return 0;
}

/* Cost files: core.submission and core.mtfm_activity of the replaced submissions, from
 * the totals the client summed (no scan of the rows on the server). */
static int record_submissions(load_ctx *l, ncc_load_result *r)
{
    if (!is_cost(r->v.schema))
        return 0;
    char id[24];
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    const char *params[2] = {id, r->sha256};
    if (exec_params(l->c,
                    "INSERT INTO core.submission (fin_year, org_code, feed, rows, cost, sha256, "
                    "loaded_at, file_load_id) SELECT fin_year, org_code, feed, rows, cost, $2, now(), "
                    "$1::bigint FROM ncc_subs ON CONFLICT (fin_year, org_code, feed) DO UPDATE SET "
                    "rows = EXCLUDED.rows, cost = EXCLUDED.cost, sha256 = EXCLUDED.sha256, "
                    "loaded_at = EXCLUDED.loaded_at, file_load_id = EXCLUDED.file_load_id",
                    2, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL) < 0 ||
        exec_simple(l->c,
                    "DELETE FROM core.mtfm_activity a USING ncc_subs s WHERE a.fin_year = "
                    "s.fin_year AND a.org_code = s.org_code AND a.feed = s.feed",
                    l->err, sizeof l->err) < 0 ||
        exec_simple(l->c,
                    "CREATE TEMP TABLE ncc_mtfm ON COMMIT DROP AS SELECT fin_year, org_code, feed, "
                    "technology_id, lines, units, cost FROM core.mtfm_activity WITH NO DATA",
                    l->err, sizeof l->err) < 0 ||
        begin_copy(l, "COPY ncc_mtfm FROM STDIN") < 0)
        return -1;
    size_t pos = 0, klen;
    const char *key;
    void *val;
    while (ncc_strmap_next(l->mtfm, &pos, &key, &klen, &val)) {
        const mtfm_acc *a = val;
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
    /* through a temporary table: COPY into core.mtfm_activity itself would be refused to a
     * loader subject to row-level security */
    if (end_copy(l, NULL) < 0)
        return -1;
    return exec_params(l->c,
                       "INSERT INTO core.mtfm_activity (fin_year, org_code, feed, technology_id, "
                       "lines, units, cost, file_load_id) SELECT fin_year, org_code, feed, "
                       "technology_id, lines, units, cost, $1::bigint FROM ncc_mtfm",
                       1, params, PGRES_COMMAND_OK, l->err, sizeof l->err, NULL);
}

/* ---- the load ---- */

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

/* After the rows are in: the aggregates, the audit row, COMMIT. */
static int finish(load_ctx *l, ncc_load_result *r, const ncc_load_options *o, const char *path,
                  const char *started)
{
    if (r->rows_loaded && record_submissions(l, r) < 0)
        return db_error(l, r);
    r->status = NCC_LOAD_LOADED;
    if (write_audit(l, o, r, path, started, NULL) < 0 ||
        exec_simple(l->c, "COMMIT", l->err, sizeof l->err) < 0)
        return db_error(l, r);
    return 0;
}

static int call_before_replace(load_ctx *l, ncc_load_result *r, const ncc_load_options *o)
{
    if (o->before_replace && o->before_replace(o->replace_ctx, &r->v) != 0) {
        snprintf(l->err, sizeof l->err, "the load was called off before its rows were replaced");
        return -1;
    }
    return 0;
}

/* One pass: validate, COPY the valid rows into a temporary stage, then replace. */
static int load_staged(load_ctx *l, const char *path, const ncc_load_options *o,
                       ncc_load_result *r, bool readable, const char *started)
{
    if (exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0)
        return db_error(l, r);
    l->send = true;
    l->aggregate = true;
    ncc_sink sink = {l, on_row, on_issue};
    /* stdin cannot be hashed before it is read: hash it on the way through */
    ncc_validate_config vcfg = *o->vcfg;
    vcfg.keep_sha256 = !readable;
    if (ncc_validate_file(path, &vcfg, &sink, &r->v) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        return db_error(l, r);
    }
    if (l->failed)
        return db_error(l, r);
    bool bad = r->v.nfile_errors > 0 || over_reject_limit(r, o);
    long long stored = end_copy(l, bad ? "file rejected" : NULL);
    if (l->failed)
        return db_error(l, r);
    if (!bad && stored != l->cp.rows) {
        snprintf(l->err, sizeof l->err, "COPY stored %lld rows but %lld were sent", stored,
                 l->cp.rows);
        return db_error(l, r);
    }
    r->rows_loaded = bad ? 0 : l->cp.rows;
    if (!readable && r->v.sha256[0])
        snprintf(r->sha256, sizeof r->sha256, "%s", r->v.sha256);
    if (!bad) {
        if (check_ledger(l, r, o) < 0)
            return db_error(l, r);
        bad = r->v.nfile_errors > 0;
    }
    if (bad) {
        if (exec_simple(l->c, "ROLLBACK", l->err, sizeof l->err) < 0)
            return db_error(l, r);
        return quarantine(l, r, o, path, started);
    }
    if (call_before_replace(l, r, o) < 0)
        return db_error(l, r);
    if (r->rows_loaded && (replace_begin(l, r) < 0 || insert_staged(l, r) < 0))
        return db_error(l, r);
    return finish(l, r, o, path, started);
}

/* Two passes: validate (nothing written), then delete the submissions' rows and COPY the
 * valid rows straight into the table. The second pass must read the same bytes: its
 * SHA-256 is compared with the one taken before the first. */
static int load_direct(load_ctx *l, const char *path, const ncc_load_options *o,
                       ncc_load_result *r, const char *started)
{
    l->send = false;
    l->aggregate = true;
    ncc_sink sink1 = {l, on_row, on_issue};
    if (ncc_validate_file(path, o->vcfg, &sink1, &r->v) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        return db_error(l, r);
    }
    if (l->failed)
        return db_error(l, r);
    bool bad = r->v.nfile_errors > 0 || over_reject_limit(r, o);
    if (!bad) {
        if (check_ledger(l, r, o) < 0)
            return db_error(l, r);
        bad = r->v.nfile_errors > 0;
    }
    if (bad)
        return quarantine(l, r, o, path, started);
    r->rows_loaded = r->v.rows_valid;
    if (call_before_replace(l, r, o) < 0 || exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0)
        return db_error(l, r);
    if (!r->rows_loaded)
        return finish(l, r, o, path, started);
    const ncc_schema *s = r->v.schema;
    char sql[SQL_SIZE], cols[1536], id[24];
    column_list(s, cols, sizeof cols, "");
    snprintf(sql, sizeof sql, "COPY %s (%s, file_load_id) FROM STDIN", s->table, cols);
    snprintf(id, sizeof id, "%lld", r->file_load_id);
    if (replace_begin(l, r) < 0 || begin_copy(l, sql) < 0)
        return db_error(l, r);
    l->send = true;
    l->aggregate = false;
    l->row_id = id;
    l->schema = s;
    ncc_sink sink2 = {l, on_row, NULL};
    ncc_validate_config vcfg = *o->vcfg;
    vcfg.keep_sha256 = true;
    /* the same bytes as pass 1 (checked below) hold the same keys: when pass 1 found no
     * duplicate, pass 2 need not look for them again */
    vcfg.no_duplicate_check = r->v.counts[NCC_E_DUPLICATE_KEY] == 0;
    ncc_file_result again;
    if (ncc_validate_file(path, &vcfg, &sink2, &again) < 0) {
        snprintf(l->err, sizeof l->err, "out of memory validating the file");
        ncc_file_result_free(&again);
        return db_error(l, r);
    }
    bool same = strcmp(again.sha256, r->sha256) == 0 && again.rows_valid == r->v.rows_valid &&
                again.schema == s;
    ncc_file_result_free(&again);
    if (l->failed)
        return db_error(l, r);
    if (!same) {
        end_copy(l, "the file changed");
        if (exec_simple(l->c, "ROLLBACK", l->err, sizeof l->err) < 0)
            return db_error(l, r);
        r->status = NCC_LOAD_LEFT;
        r->rows_loaded = 0;
        snprintf(r->message, sizeof r->message,
                 "the file changed while it was being loaded: nothing of it was loaded; it is "
                 "left for the next run (deliver files as NAME.part and rename them when complete)");
        return 0;
    }
    long long stored = end_copy(l, NULL);
    if (l->failed)
        return db_error(l, r);
    if (stored != r->rows_loaded || l->cp.rows != r->rows_loaded) {
        snprintf(l->err, sizeof l->err, "COPY stored %lld rows but %lld were validated", stored,
                 r->rows_loaded);
        return db_error(l, r);
    }
    return finish(l, r, o, path, started);
}

/* Whether the file can take the direct path (see the top of this file). */
static int direct_possible(load_ctx *l, const char *path, const ncc_load_options *o, bool *direct)
{
    struct stat st;
    *direct = false;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    const ncc_schema *s = ncc_validate_peek_kind(path, o->vcfg);
    if (!s || !ncc_load_replaces_submissions(s))
        return 0;
    /* PostgreSQL refuses COPY FROM into a table whose row-level security applies to the
     * user (a loader role without BYPASSRLS): such loads take the staged path */
    const char *params[1] = {s->table};
    PGresult *res;
    if (exec_params(l->c, "SELECT row_security_active($1::regclass)", 1, params, PGRES_TUPLES_OK,
                    l->err, sizeof l->err, &res) < 0)
        return -1;
    *direct = strcmp(PQgetvalue(res, 0, 0), "f") == 0;
    PQclear(res);
    return 0;
}

int ncc_load_file(PGconn *c, const char *path, const ncc_load_options *o, ncc_load_result *r)
{
    memset(r, 0, sizeof *r);
    load_ctx l;
    memset(&l, 0, sizeof l);
    l.c = c;
    l.issue = o->issue;
    l.issue_ctx = o->issue_ctx;
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

    l.mtfm = ncc_strmap_new(sizeof(mtfm_acc), o->vcfg->schemas->groups);
    if (!l.mtfm) {
        snprintf(l.err, sizeof l.err, "out of memory");
        return db_error(&l, r);
    }
    bool direct = false;
    if (direct_possible(&l, path, o, &direct) < 0) {
        ncc_strmap_free(l.mtfm);
        return db_error(&l, r);
    }
    ncc_debug("\"%s\": %s", path,
              direct ? "validated, then copied straight into its table"
                     : "copied into a staging table, then inserted");
    int rc = direct ? load_direct(&l, path, o, r, started)
                    : load_staged(&l, path, o, r, readable, started);
    ncc_strmap_free(l.mtfm);
    return rc;
}

void ncc_load_result_free(ncc_load_result *r)
{
    if (!r)
        return;
    ncc_file_result_free(&r->v);
}
