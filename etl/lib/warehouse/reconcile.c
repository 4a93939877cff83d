/* reconcile.c - reconciliation of contract 5.2 (see reconcile.h). */
#include "warehouse/reconcile.h"
#include "warehouse/db.h"

#include <stdlib.h>
#include <string.h>

#include "shared/strmap.h"
#include "warehouse/copy.h"

#define UNATTRIBUTED "UNATTRIBUTED"

const char *ncc_recon_status(const char *technology_id, long long ncc_units, long long supply_units,
                             ncc_money tolerance)
{
    if (strcmp(technology_id, UNATTRIBUTED) == 0)
        return UNATTRIBUTED;
    if (supply_units > 0 && ncc_units == 0)
        return "NO_COST_REPORTED";
    if (ncc_units > 0 && supply_units <= 0)
        return "NO_PURCHASES";
    __int128 diff = (__int128)ncc_units - supply_units;
    if (diff < 0)
        diff = -diff;
    __int128 larger = ncc_units > supply_units ? ncc_units : supply_units;
    if (diff * NCC_MONEY_SCALE <= (__int128)tolerance * larger)
        return "MATCHED";
    if (ncc_units > supply_units)
        return "COST_EXCEEDS_PURCHASES";
    return "PURCHASES_EXCEED_COST";
}

enum side { SIDE_NCC, SIDE_NHSSC, SIDE_DIRECT, SIDE_SUPPLIER_NHSSC };

/* Each side: its SELECT ... FROM ... WHERE (the scope is ANDed to the condition), then
 * GROUP BY 1, 2, 3. */
static const char *const side_sql[] = {
    "SELECT fin_year, org_code, technology_id, sum(units)::text, sum(cost)::text "
    "FROM core.mtfm_activity WHERE true",
    "SELECT fin_year, org_code, technology_id, sum(units)::text, sum(line_value_ex_vat)::text "
    "FROM core.nhssc_sales_line WHERE technology_id IS NOT NULL",
    "SELECT fin_year, org_code, technology_id, sum(units)::text, sum(value_ex_vat)::text "
    "FROM core.supplier_sales WHERE route = 'DIRECT'",
    "SELECT fin_year, org_code, technology_id, sum(units)::text, sum(value_ex_vat)::text "
    "FROM core.supplier_sales WHERE route = 'NHSSC'",
};

/* The (fin_year, org_code) pairs of an incremental refresh, as two array literals of the
 * same length ($1, $2 of the scoped statements); NULL scope: every pair. */
typedef struct recon_scope {
    const char *fin_years, *org_codes;
    const char *years; /* the distinct fin_years: mart.refresh_benchmark's argument */
} recon_scope;

#define SCOPE_SQL                                                                                  \
    " AND (fin_year, org_code) IN (SELECT * FROM unnest($1::char(6)[], $2::varchar(5)[]))"

static int cmp_row(const void *a, const void *b)
{
    const ncc_recon_row *x = a, *y = b;
    int c = strcmp(x->fin_year, y->fin_year);
    if (!c)
        c = strcmp(x->org_code, y->org_code);
    return c ? c : strcmp(x->technology_id, y->technology_id);
}

/* The rows of the pairs of sc (all when sc is NULL), merged and sorted. */
static int compute(PGconn *c, ncc_money tolerance, const recon_scope *sc, ncc_recon_row **rows,
                   int *n, char *err, size_t errlen)
{
    *rows = NULL;
    *n = 0;
    ncc_strmap *m = ncc_strmap_new(sizeof(ncc_recon_row), 50 * 1000 * 1000);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    for (int side = SIDE_NCC; side <= SIDE_SUPPLIER_NHSSC; side++) {
        char q[512];
        snprintf(q, sizeof q, "%s%s GROUP BY 1, 2, 3", side_sql[side], sc ? SCOPE_SQL : "");
        const char *params[2] = {sc ? sc->fin_years : NULL, sc ? sc->org_codes : NULL};
        PGresult *res = PQexecParams(c, q, sc ? 2 : 0, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "reading the warehouse: %s", PQerrorMessage(c));
            PQclear(res);
            goto out;
        }
        for (int i = 0; i < PQntuples(res); i++) {
            char key[64];
            int klen = snprintf(key, sizeof key, "%s|%s|%s", PQgetvalue(res, i, 0),
                                PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
            bool created;
            ncc_recon_row *r = ncc_strmap_upsert(m, key, (size_t)klen, &created);
            if (!r) {
                snprintf(err, errlen, "out of memory");
                PQclear(res);
                goto out;
            }
            if (created) {
                snprintf(r->fin_year, sizeof r->fin_year, "%s", PQgetvalue(res, i, 0));
                snprintf(r->org_code, sizeof r->org_code, "%s", PQgetvalue(res, i, 1));
                snprintf(r->technology_id, sizeof r->technology_id, "%s", PQgetvalue(res, i, 2));
            }
            long long units = strtoll(PQgetvalue(res, i, 3), NULL, 10);
            const char *mt = PQgetvalue(res, i, 4);
            ncc_money value = 0;
            if (ncc_money_parse(mt, strlen(mt), &value) == NCC_PARSE_BAD) {
                snprintf(err, errlen, "unexpected amount \"%s\" from the warehouse", mt);
                PQclear(res);
                goto out;
            }
            switch (side) {
            case SIDE_NCC:
                r->ncc_units += units;
                r->ncc_cost += value;
                break;
            case SIDE_NHSSC:
                r->nhssc_units += units;
                r->nhssc_value += value;
                break;
            case SIDE_DIRECT:
                r->direct_units += units;
                r->direct_value += value;
                break;
            default:
                r->supplier_nhssc_units += units;
                r->supplier_nhssc_value += value;
                break;
            }
        }
        PQclear(res);
    }
    ncc_recon_row *out = calloc(ncc_strmap_count(m) + 1, sizeof *out);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    size_t pos = 0, klen;
    const char *key;
    void *val;
    int k = 0;
    while (ncc_strmap_next(m, &pos, &key, &klen, &val)) {
        ncc_recon_row *r = val;
        bool any = r->ncc_units || r->ncc_cost || r->nhssc_units || r->nhssc_value ||
                   r->direct_units || r->direct_value;
        if (!any)
            continue; /* only the suppliers' NHSSC-route figure: nothing to reconcile */
        if (strcmp(r->technology_id, UNATTRIBUTED) == 0) {
            /* contract 5.2: unattributed cost has its own rows with zero supply */
            r->nhssc_units = r->direct_units = r->supplier_nhssc_units = 0;
            r->nhssc_value = r->direct_value = r->supplier_nhssc_value = 0;
        }
        r->status = ncc_recon_status(r->technology_id, r->ncc_units,
                                     r->nhssc_units + r->direct_units, tolerance);
        out[k++] = *r;
    }
    qsort(out, (size_t)k, sizeof *out, cmp_row);
    *rows = out;
    *n = k;
    rc = 0;
out:
    ncc_strmap_free(m);
    return rc;
}

int ncc_reconcile_compute(PGconn *c, ncc_money tolerance, ncc_recon_row **rows, int *n, char *err,
                          size_t errlen)
{
    return compute(c, tolerance, NULL, rows, n, err, errlen);
}

static void put_int(ncc_copy *cp, long long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    ncc_copy_value(cp, buf, (size_t)n);
}

static void put_money(ncc_copy *cp, ncc_money v)
{
    char buf[NCC_MONEY_BUFSIZE];
    size_t n = ncc_money_format(v, buf, sizeof buf);
    ncc_copy_value(cp, buf, n);
}

static int exec_ok(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQerrorMessage(c));
    PQclear(res);
    return ok ? 0 : -1;
}

/* Inside the caller's transaction: replace the rows of mart.reconciliation of the pairs of sc
 * (all when NULL) with rows, then the benchmark of their fin_years (all) and, on a full
 * refresh, the adoption marts. */
static int store_rows(PGconn *c, const ncc_recon_row *rows, int n, ncc_money tolerance,
                      const recon_scope *sc, char *err, size_t errlen)
{
    char tol[NCC_MONEY_BUFSIZE];
    ncc_money_format(tolerance, tol, sizeof tol);
    const char *pairs[2] = {sc ? sc->fin_years : NULL, sc ? sc->org_codes : NULL};
    int deleted = sc ? ncc_db_exec_params(c, "DELETE FROM mart.reconciliation WHERE true" SCOPE_SQL,
                                          2, pairs, NULL, err, errlen)
                     : exec_ok(c, "DELETE FROM mart.reconciliation", err, errlen);
    if (deleted < 0)
        return -1;
    ncc_copy cp;
    if (ncc_copy_begin(&cp, c,
                       "COPY mart.reconciliation (fin_year, org_code, technology_id, ncc_units, "
                       "ncc_cost, nhssc_units, nhssc_value, direct_units, direct_value, "
                       "supply_units, supply_value, status, supplier_nhssc_units, "
                       "supplier_nhssc_value, tolerance) FROM STDIN") < 0) {
        snprintf(err, errlen, "%s", cp.err);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const ncc_recon_row *r = &rows[i];
        ncc_copy_value(&cp, r->fin_year, strlen(r->fin_year));
        ncc_copy_value(&cp, r->org_code, strlen(r->org_code));
        ncc_copy_value(&cp, r->technology_id, strlen(r->technology_id));
        put_int(&cp, r->ncc_units);
        put_money(&cp, r->ncc_cost);
        put_int(&cp, r->nhssc_units);
        put_money(&cp, r->nhssc_value);
        put_int(&cp, r->direct_units);
        put_money(&cp, r->direct_value);
        put_int(&cp, r->nhssc_units + r->direct_units);
        put_money(&cp, r->nhssc_value + r->direct_value);
        ncc_copy_value(&cp, r->status, strlen(r->status));
        put_int(&cp, r->supplier_nhssc_units);
        put_money(&cp, r->supplier_nhssc_value);
        ncc_copy_value(&cp, tol, strlen(tol));
        ncc_copy_end_row(&cp);
    }
    long long stored = ncc_copy_end(&cp, NULL);
    if (stored != n) {
        snprintf(err, errlen, "storing reconciliation: %s",
                 stored < 0 ? cp.err : "row count differs");
        return -1;
    }
    if (sc) {
        const char *years[1] = {sc->years};
        return ncc_db_exec_params(c, "SELECT mart.refresh_benchmark($1::char(6)[])", 1, years, NULL,
                                  err, errlen);
    }
    if (exec_ok(c, "SELECT mart.refresh_benchmark()", err, errlen) < 0 ||
        exec_ok(c, "SELECT mart.refresh_adoption()", err, errlen) < 0)
        return -1;
    return 0;
}

/* The loads (audit.file_load, status loaded) the marts do not hold yet. */
#define FRESH_LOADS                                                                                \
    "SELECT f.file_load_id, f.kind FROM audit.file_load f WHERE f.status = 'loaded' AND NOT "      \
    "EXISTS (SELECT 1 FROM audit.mart_refresh r WHERE r.file_load_id = f.file_load_id)"

/* Whether the marts may be refreshed for what changed, and for which pairs ($1: the
 * tolerance): a reason for a full refresh (NULL when none), the number of pairs, the pairs as
 * two arrays and their distinct fin_years (sql/013_incremental_refresh.sql). */
static const char scope_sql[] =
    "WITH fresh AS (" FRESH_LOADS "), pairs AS ("
    "  SELECT DISTINCT s.fin_year, s.org_code FROM core.submission s"
    "  WHERE s.file_load_id IN (SELECT file_load_id FROM fresh WHERE kind = 'cost')) "
    "SELECT CASE"
    "  WHEN NOT EXISTS (SELECT 1 FROM audit.mart_state) THEN 'no refresh recorded'"
    "  WHEN (SELECT tolerance FROM audit.mart_state) <> $1::numeric THEN 'another tolerance'"
    "  WHEN EXISTS (SELECT 1 FROM fresh WHERE kind IS DISTINCT FROM 'cost')"
    "    THEN 'files other than cost files loaded'"
    "  WHEN (SELECT inputs_md5 FROM audit.mart_state) <> mart.refresh_inputs_md5()"
    "    THEN 'QART returns, resource impacts or migrations changed'"
    "  WHEN (SELECT count(*) FROM pairs) * 4 >"
    "       (SELECT count(*) FROM (SELECT DISTINCT fin_year, org_code FROM core.submission) a)"
    "    THEN 'over a quarter of the trusts'' years changed'"
    "  END,"
    " (SELECT count(*) FROM pairs),"
    " (SELECT coalesce(array_agg(fin_year ORDER BY fin_year, org_code), '{}') FROM pairs)::text,"
    " (SELECT coalesce(array_agg(org_code ORDER BY fin_year, org_code), '{}') FROM pairs)::text,"
    " (SELECT coalesce(array_agg(DISTINCT fin_year), '{}') FROM pairs)::text";

/* The loads the refresh read, and its state ($1 tolerance, $2 full, $3 pairs). */
static int record_refresh(PGconn *c, const char *tol, bool full, int pairs, char *err,
                          size_t errlen)
{
    char np[16];
    snprintf(np, sizeof np, "%d", pairs);
    const char *params[3] = {tol, full ? "true" : "false", np};
    if (exec_ok(
            c,
            "INSERT INTO audit.mart_refresh (file_load_id) SELECT file_load_id FROM (" FRESH_LOADS
            ") f",
            err, errlen) < 0)
        return -1;
    return ncc_db_exec_params(
        c,
        "INSERT INTO audit.mart_state (singleton, tolerance, inputs_md5, "
        "full_refresh, pairs, refreshed_at) VALUES (true, $1::numeric, "
        "mart.refresh_inputs_md5(), $2::boolean, $3::integer, now()) "
        "ON CONFLICT (singleton) DO UPDATE SET tolerance = EXCLUDED.tolerance, "
        "inputs_md5 = EXCLUDED.inputs_md5, full_refresh = EXCLUDED.full_refresh, "
        "pairs = EXCLUDED.pairs, refreshed_at = EXCLUDED.refreshed_at",
        3, params, NULL, err, errlen);
}

int ncc_reconcile_refresh(PGconn *c, ncc_money tolerance, bool incremental, ncc_recon_row **rows,
                          int *n, ncc_refresh_info *info, char *err, size_t errlen)
{
    *rows = NULL;
    *n = 0;
    memset(info, 0, sizeof *info);
    info->full = true;
    snprintf(info->why, sizeof info->why, "asked for");
    char tol[NCC_MONEY_BUFSIZE];
    ncc_money_format(tolerance, tol, sizeof tol);
    PGresult *res = NULL;
    if (ncc_db_exec_params(
            c, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')", 0,
            NULL, &res, err, errlen) < 0)
        return -1;
    bool citus = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    res = NULL;
    /* on Citus as before: a full refresh in one transaction (the shards' sums run in
     * parallel); on a single server a REPEATABLE READ transaction, the lock taken before its
     * snapshot, so that the loads recorded are those the refresh read */
    if (exec_ok(c,
                citus ? "BEGIN"
                      : "BEGIN ISOLATION LEVEL REPEATABLE READ; "
                        "LOCK TABLE mart.reconciliation IN EXCLUSIVE MODE",
                err, errlen) < 0)
        goto fail;
    recon_scope scope, *sc = NULL;
    if (citus) {
        snprintf(info->why, sizeof info->why, "a Citus cluster");
    } else if (incremental) {
        const char *params[1] = {tol};
        if (ncc_db_exec_params(c, scope_sql, 1, params, &res, err, errlen) < 0)
            goto fail;
        if (PQgetisnull(res, 0, 0)) {
            scope.fin_years = PQgetvalue(res, 0, 2);
            scope.org_codes = PQgetvalue(res, 0, 3);
            scope.years = PQgetvalue(res, 0, 4);
            sc = &scope;
            info->full = false;
            info->pairs = atoi(PQgetvalue(res, 0, 1));
            snprintf(info->why, sizeof info->why,
                     "%d (fin_year, org_code) pair%s of new cost submissions", info->pairs,
                     info->pairs == 1 ? "" : "s");
        } else {
            snprintf(info->why, sizeof info->why, "%s", PQgetvalue(res, 0, 0));
        }
    }
    if (!sc || info->pairs > 0) {
        if (compute(c, tolerance, sc, rows, n, err, errlen) < 0 ||
            store_rows(c, *rows, *n, tolerance, sc, err, errlen) < 0)
            goto fail;
    }
    PQclear(res);
    res = NULL;
    if (!citus && record_refresh(c, tol, info->full, info->pairs, err, errlen) < 0)
        goto fail;
    if (exec_ok(c, "COMMIT", err, errlen) < 0)
        goto fail;
    return 0;
fail:
    PQclear(res);
    free(*rows);
    *rows = NULL;
    *n = 0;
    if (PQstatus(c) == CONNECTION_OK)
        PQclear(PQexec(c, "ROLLBACK"));
    return -1;
}

int ncc_reconcile_write_csv(FILE *out, const ncc_recon_row *rows, int n)
{
    fputs("fin_year,org_code,technology_id,ncc_units,ncc_cost,nhssc_units,nhssc_value,"
          "direct_units,direct_value,supply_units,supply_value,status\n",
          out);
    for (int i = 0; i < n; i++) {
        const ncc_recon_row *r = &rows[i];
        char a[NCC_MONEY_BUFSIZE], b[NCC_MONEY_BUFSIZE], d[NCC_MONEY_BUFSIZE], s[NCC_MONEY_BUFSIZE];
        ncc_money_format(r->ncc_cost, a, sizeof a);
        ncc_money_format(r->nhssc_value, b, sizeof b);
        ncc_money_format(r->direct_value, d, sizeof d);
        ncc_money_format(r->nhssc_value + r->direct_value, s, sizeof s);
        fprintf(out, "%s,%s,%s,%lld,%s,%lld,%s,%lld,%s,%lld,%s,%s\n", r->fin_year, r->org_code,
                r->technology_id, r->ncc_units, a, r->nhssc_units, b, r->direct_units, d,
                r->nhssc_units + r->direct_units, s, r->status);
    }
    fflush(out);
    return ferror(out) ? -1 : 0;
}

/* ---- adoption triangulation (contract 5.5) ------------------------------------------------- */

enum {
    TRI_FIN_YEAR,
    TRI_QUARTER,
    TRI_ORG,
    TRI_TECH,
    TRI_STAGE,
    TRI_PATIENTS,
    TRI_NHSSC,
    TRI_SUPPLIER_NHSSC,
    TRI_DIRECT,
    TRI_SUPPLY,
    TRI_SIGNAL,
    TRI_NCOLS
};

static const char tri_sql[] =
    "SELECT fin_year, quarter, org_code, technology_id, qart_stage, qart_patients, nhssc_units, "
    "supplier_nhssc_units, direct_units, supply_units, signal FROM mart.adoption_triangulation "
    "ORDER BY fin_year COLLATE \"C\", quarter, org_code COLLATE \"C\", technology_id COLLATE \"C\"";

/* Row i of res (columns as tri_sql) into *r. */
static void tri_row_read(const PGresult *res, int i, ncc_tri_row *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->fin_year, sizeof r->fin_year, "%s", PQgetvalue(res, i, TRI_FIN_YEAR));
    r->quarter = atoi(PQgetvalue(res, i, TRI_QUARTER));
    snprintf(r->org_code, sizeof r->org_code, "%s", PQgetvalue(res, i, TRI_ORG));
    snprintf(r->technology_id, sizeof r->technology_id, "%s", PQgetvalue(res, i, TRI_TECH));
    r->qart_stage = PQgetisnull(res, i, TRI_STAGE) ? -1 : atoi(PQgetvalue(res, i, TRI_STAGE));
    r->qart_patients = PQgetisnull(res, i, TRI_PATIENTS)
                           ? -1
                           : strtoll(PQgetvalue(res, i, TRI_PATIENTS), NULL, 10);
    r->nhssc_units = strtoll(PQgetvalue(res, i, TRI_NHSSC), NULL, 10);
    r->supplier_nhssc_units = strtoll(PQgetvalue(res, i, TRI_SUPPLIER_NHSSC), NULL, 10);
    r->direct_units = strtoll(PQgetvalue(res, i, TRI_DIRECT), NULL, 10);
    r->supply_units = strtoll(PQgetvalue(res, i, TRI_SUPPLY), NULL, 10);
    snprintf(r->signal, sizeof r->signal, "%s", PQgetvalue(res, i, TRI_SIGNAL));
}

int ncc_triangulation_compute(PGconn *c, bool store, ncc_tri_row **rows, int *n, char *err,
                              size_t errlen)
{
    *rows = NULL;
    *n = 0;
    if (exec_ok(c, "BEGIN; SELECT mart.refresh_adoption()", err, errlen) < 0)
        goto fail;
    PGresult *res = PQexec(c, tri_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != TRI_NCOLS) {
        snprintf(err, errlen, "reading mart.adoption_triangulation: %s", PQerrorMessage(c));
        PQclear(res);
        goto fail;
    }
    int k = PQntuples(res);
    ncc_tri_row *out = calloc((size_t)k + 1, sizeof *out);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        PQclear(res);
        goto fail;
    }
    for (int i = 0; i < k; i++)
        tri_row_read(res, i, &out[i]);
    PQclear(res);
    if (exec_ok(c, store ? "COMMIT" : "ROLLBACK", err, errlen) < 0) {
        free(out);
        goto fail;
    }
    *rows = out;
    *n = k;
    return 0;
fail:
    if (PQstatus(c) == CONNECTION_OK)
        PQclear(PQexec(c, "ROLLBACK"));
    return -1;
}

int ncc_triangulation_write_csv(FILE *out, const ncc_tri_row *rows, int n)
{
    fputs("fin_year,quarter,org_code,technology_id,qart_stage,qart_patients,nhssc_units,"
          "supplier_nhssc_units,direct_units,supply_units,signal\n",
          out);
    for (int i = 0; i < n; i++) {
        const ncc_tri_row *r = &rows[i];
        char stage[12] = "", patients[24] = "";
        if (r->qart_stage >= 0)
            snprintf(stage, sizeof stage, "%d", r->qart_stage);
        if (r->qart_patients >= 0)
            snprintf(patients, sizeof patients, "%lld", r->qart_patients);
        fprintf(out, "%s,%d,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%s\n", r->fin_year, r->quarter,
                r->org_code, r->technology_id, stage, patients, r->nhssc_units,
                r->supplier_nhssc_units, r->direct_units, r->supply_units, r->signal);
    }
    fflush(out);
    return ferror(out) ? -1 : 0;
}
