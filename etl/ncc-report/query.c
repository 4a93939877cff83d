/*
 * query.c - running the report's queries in the snapshot main.c opened: each in a savepoint
 * so that a table the role may not read leaves a note rather than ending the report, each cut
 * at REP_MAX_ROWS rows, and each result's columns found by name once (rep_get).
 */
#include <stdio.h>
#include <string.h>

#include "report.h"
#include "warehouse/db.h"

/* Parameter types: $1 text, $2 bigint (pg_type OIDs, fixed since PostgreSQL 7). */
#define TEXT_OID 25
#define INT8_OID 20

/* The status a failure has: lost connection or not. */
static rep_status failed(PGconn *c)
{
    return PQstatus(c) == CONNECTION_OK ? REP_INTERNAL : REP_UNAVAILABLE;
}

/* Drop trailing newlines and spaces of libpq's messages. */
static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* Find every named column of q in res->res; a missing one is an error in q's file. */
static rep_status bind_columns(const rep_query *q, rep_result *res, char *err, size_t errlen)
{
    if (q->ncols > REP_MAX_COLS) {
        snprintf(err, errlen, "%s: more than %d columns named", q->file, REP_MAX_COLS);
        return REP_INTERNAL;
    }
    for (int i = 0; i < q->ncols; i++) {
        res->col[i] = PQfnumber(res->res, q->cols[i]);
        if (res->col[i] < 0) {
            snprintf(err, errlen, "%s: the result has no column \"%s\"", q->file, q->cols[i]);
            return REP_INTERNAL;
        }
    }
    return REP_OK;
}

/* Classify a failed query's result r (not cleared here); a permission error notes res. */
static rep_status query_failed(PGconn *c, const rep_query *q, PGresult *r, rep_result *res,
                               char *err, size_t errlen)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (!msg)
        msg = PQerrorMessage(c);
    snprintf(err, errlen, "%s: %s", q->what, msg);
    trim(err);
    if (PQstatus(c) != CONNECTION_OK)
        return REP_UNAVAILABLE;
    if (state && strcmp(state, "42501") == 0) { /* insufficient_privilege */
        snprintf(res->note, sizeof res->note, "%s", err);
        return REP_OK;
    }
    if (state &&
        (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0 || strcmp(state, "42883") == 0))
        return REP_UNAVAILABLE; /* undefined table, schema or function: not set up */
    return REP_INTERNAL;
}

rep_status rep_query_run(PGconn *c, const rep_query *q, const char *fin_year, rep_result *res,
                         char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    if (ncc_db_exec(c, "SAVEPOINT ncc_report", err, errlen) < 0)
        return failed(c);
    static const Oid types[2] = {TEXT_OID, INT8_OID};
    char limit[24];
    snprintf(limit, sizeof limit, "%d", REP_MAX_ROWS + 1); /* one more shows a longer result */
    const char *params[2] = {fin_year, limit};
    PGresult *r = PQexecParams(c, q->sql, 2, types, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rep_status st = query_failed(c, q, r, res, err, errlen);
        PQclear(r);
        if (st == REP_OK && ncc_db_exec(c, "ROLLBACK TO SAVEPOINT ncc_report", err, errlen) < 0)
            return failed(c);
        return st;
    }
    res->res = r;
    int n = PQntuples(r);
    res->truncated = n > REP_MAX_ROWS;
    res->n = res->truncated ? REP_MAX_ROWS : n;
    rep_status st = bind_columns(q, res, err, errlen);
    if (st != REP_OK)
        return st;
    return ncc_db_exec(c, "RELEASE SAVEPOINT ncc_report", err, errlen) < 0 ? failed(c) : REP_OK;
}

rep_status rep_query_meta(PGconn *c, rep_result *res, char *err, size_t errlen)
{
    const rep_query *q = &rep_meta_query;
    memset(res, 0, sizeof *res);
    PGresult *r = PQexec(c, q->sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, errlen, "%s: %s", q->what, PQerrorMessage(c));
        trim(err);
        PQclear(r);
        return failed(c);
    }
    res->res = r;
    res->n = 1;
    return bind_columns(q, res, err, errlen);
}

void rep_results_clear(report *r)
{
    rep_result *all[] = {&r->meta, &r->bench, &r->rec, &r->adopt_total, &r->adopt,
                         &r->dash, &r->stalled, &r->dq};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        PQclear(all[i]->res);
        all[i]->res = NULL;
    }
}
