/* runlog.c - the nightly run's lock and audit.run row (runlog.h). */
#include "warehouse/runlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void set_err(PGconn *c, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", PQerrorMessage(c));
}

int ncc_runlog_try_lock(PGconn *c, bool *locked, char *err, size_t errlen)
{
    PGresult *res = PQexec(c, "SELECT pg_try_advisory_lock(" NCC_RUNLOG_LOCK_KEY ")");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    *locked = ok && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!ok) {
        set_err(c, err, errlen);
        return -1;
    }
    return 0;
}

int ncc_runlog_begin(PGconn *c, long long *run_id, char *err, size_t errlen)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *params[1] = {host};
    PGresult *res = PQexecParams(c, "INSERT INTO audit.run (host) VALUES ($1) RETURNING run_id", 1,
                                 NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        set_err(c, err, errlen);
        PQclear(res);
        return -1;
    }
    *run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    char id[24];
    snprintf(id, sizeof id, "%lld", *run_id);
    const char *p2[1] = {id};
    res = PQexecParams(c,
                       "UPDATE audit.run SET status = 'interrupted', ended_at = "
                       "greatest(clock_timestamp(), started_at) WHERE status = 'running' AND "
                       "run_id <> $1",
                       1, NULL, p2, NULL, NULL, 0);
    PQclear(res); /* not checked: see runlog.h */
    return 0;
}

int ncc_runlog_end(PGconn *c, long long run_id, const char *status, int files,
                   long long rows_loaded, int exit_code, char *err, size_t errlen)
{
    if (!run_id || PQstatus(c) != CONNECTION_OK)
        return 0;
    char id[24], nf[24], rows[24], code[24];
    snprintf(id, sizeof id, "%lld", run_id);
    snprintf(nf, sizeof nf, "%d", files);
    snprintf(rows, sizeof rows, "%lld", rows_loaded);
    snprintf(code, sizeof code, "%d", exit_code);
    const char *params[5] = {id, status, nf, rows, code};
    PGresult *res =
        PQexecParams(c,
                     "UPDATE audit.run SET ended_at = greatest(clock_timestamp(), started_at), "
                     "status = $2, files = $3, rows_loaded = $4, exit_code = $5 WHERE run_id = $1",
                     5, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc < 0)
        set_err(c, err, errlen);
    PQclear(res);
    return rc;
}
