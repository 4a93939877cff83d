/*
 * load.c - one file into the warehouse in one transaction (see load.h): the
 * file's SHA-256 and the unchanged check, the choice of path, and the ends
 * every path shares (loaded, quarantined, database error). load_int.h lists
 * the other files of the load.
 *
 * SQL identifiers come only from the schema files (checked to be plain
 * names when loaded); every value travels as COPY data or a parameter.
 * COPY uses the text format with backslash escaping, so a value "\." is
 * data, and the server's row count is compared with the rows sent.
 *
 * Two ways in, chosen per file (direct_possible):
 *   direct  - a file on disk whose kind replaces whole submissions (cost,
 *             ledger: replace_by = the totals' fin_year, org_code, feed)
 *             and a table the connection may COPY into (row-level security
 *             not active for it): in one transaction and one pass the rows
 *             are validated and COPYed straight into the table, the file's
 *             submissions replaced as their first rows come, and a bad file
 *             rolled back; a worker of ncc-nightly --jobs N, which must wait
 *             for its turn with the submissions known, validates first with
 *             nothing written and COPYs in a second pass. Every row is
 *             written once. (load_direct.c)
 *   staged  - everything else (standard input, NHSSC and supplier files,
 *             whose replace key is per row, or a loader subject to row-level
 *             security, for which PostgreSQL refuses COPY FROM): one pass
 *             COPYs the rows into a temporary table, then DELETE ... USING
 *             and INSERT ... SELECT replace the table's rows. (load_staged.c)
 * Both end the same way (ncc_loader_finish): core.submission and
 * core.mtfm_activity from the totals the client computed, the audit row, COMMIT.
 */
#include "warehouse/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/sha256.h"
#include "warehouse/db.h"
#include "warehouse/load_int.h"

#define ZERO_SHA "0000000000000000000000000000000000000000000000000000000000000000"

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

/* ---- statements ---- */

/* the SQLSTATE of the last statement ncc_loader_exec saw fail (a process loads one file
 * at a time: workers are processes) */
static char last_sqlstate[6];

const char *ncc_loader_last_sqlstate(void)
{
    return last_sqlstate;
}

int ncc_loader_exec(PGconn *c, const char *sql, int n, const char *const *params, ExecStatusType st,
                    char *err, size_t errlen, PGresult **out)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != st) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(last_sqlstate, sizeof last_sqlstate, "%s", state ? state : "");
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

int ncc_loader_exec_simple(PGconn *c, const char *sql, char *err, size_t errlen)
{
    return ncc_loader_exec(c, sql, 0, NULL, PGRES_COMMAND_OK, err, errlen, NULL);
}

void ncc_loader_column_list(const ncc_schema *s, char *out, size_t cap, const char *prefix)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < s->ncols && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s%s", i ? ", " : "", prefix, s->cols[i].name);
}

bool ncc_loader_is_cost(const ncc_schema *s)
{
    return s && strcmp(s->kind, "cost") == 0;
}

/* ---- the ends of a load ---- */

static bool connection_lost(PGconn *c)
{
    return PQstatus(c) != CONNECTION_OK;
}

int ncc_loader_db_error(ncc_loader *l, ncc_load_result *r)
{
    r->status = NCC_LOAD_DB_ERROR;
    snprintf(r->message, sizeof r->message, "%s", l->err[0] ? l->err : "database error");
    ncc_db_one_line(r->message);
    if (!connection_lost(l->c)) {
        if (l->copying)
            ncc_loader_end_copy(l, "aborted");
        PGresult *res = PQexec(l->c, "ROLLBACK");
        PQclear(res);
    }
    return -1;
}

int ncc_loader_quarantine(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o,
                          const char *path, const char *started)
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
    if (ncc_loader_exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0 ||
        ncc_loader_write_audit(l, o, r, path, started, r->message) < 0 ||
        ncc_loader_exec_simple(l->c, "COMMIT", l->err, sizeof l->err) < 0)
        return ncc_loader_db_error(l, r);
    return 0;
}

int ncc_loader_finish(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o,
                      const char *path, const char *started)
{
    if (r->rows_loaded && ncc_loader_record_submissions(l, r) < 0)
        return ncc_loader_db_error(l, r);
    r->status = NCC_LOAD_LOADED;
    if (ncc_loader_write_audit(l, o, r, path, started, NULL) < 0 ||
        ncc_loader_exec_simple(l->c, "COMMIT", l->err, sizeof l->err) < 0)
        return ncc_loader_db_error(l, r);
    return 0;
}

int ncc_loader_before_replace(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o)
{
    if (o->before_replace && o->before_replace(o->replace_ctx, &r->v, NULL, NULL) != 0) {
        snprintf(l->err, sizeof l->err, "the load was called off before its rows were replaced");
        return -1;
    }
    return 0;
}

/* ---- the load ---- */

/* Whether the file can take the direct path (see the top of this file). */
static int direct_possible(ncc_loader *l, const char *path, const ncc_load_options *o, bool *direct,
                           const ncc_schema **kind)
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
    if (ncc_loader_exec(l->c, "SELECT row_security_active($1::regclass)", 1, params,
                        PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0)
        return -1;
    *direct = strcmp(PQgetvalue(res, 0, 0), "f") == 0;
    *kind = s;
    PQclear(res);
    return 0;
}

/* A file whose SHA-256 is that of a loaded file still current: recorded unchanged, in
 * its own transaction, and not read again. 1 when so, 0 when not, -1 (database). */
static int unchanged(ncc_loader *l, const char *path, const ncc_load_options *o, ncc_load_result *r,
                     const char *started)
{
    const char *params[1] = {r->sha256};
    PGresult *res;
    if (ncc_loader_exec(l->c,
                        "SELECT kind, file_load_id FROM audit.file_load WHERE sha256 = $1 AND "
                        "status = 'loaded' AND superseded_by IS NULL ORDER BY file_load_id DESC "
                        "LIMIT 1",
                        1, params, PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0)
        return ncc_loader_db_error(l, r);
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }
    r->status = NCC_LOAD_UNCHANGED;
    r->v.schema = ncc_schema_find(o->vcfg->schemas, PQgetvalue(res, 0, 0));
    r->v.path = strdup(path);
    snprintf(r->message, sizeof r->message, "same content as file_load %s, already loaded",
             PQgetvalue(res, 0, 1));
    PQclear(res);
    if (ncc_loader_exec_simple(l->c, "BEGIN", l->err, sizeof l->err) < 0 ||
        ncc_loader_write_audit(l, o, r, path, started, r->message) < 0 ||
        ncc_loader_exec_simple(l->c, "COMMIT", l->err, sizeof l->err) < 0)
        return ncc_loader_db_error(l, r);
    return 1;
}

int ncc_load_file(PGconn *c, const char *path, const ncc_load_options *o, ncc_load_result *r)
{
    memset(r, 0, sizeof *r);
    ncc_loader l;
    memset(&l, 0, sizeof l);
    l.c = c;
    l.issue = o->issue;
    l.issue_ctx = o->issue_ctx;
    char started[64] = "";
    PGresult *res = NULL;
    bool readable = ncc_sha256_file(path, r->sha256) == 0;
    if (!readable)
        snprintf(r->sha256, sizeof r->sha256, "%s", ZERO_SHA);

    if (ncc_loader_exec(
            c, "SELECT clock_timestamp()::text, nextval('audit.file_load_file_load_id_seq')", 0,
            NULL, PGRES_TUPLES_OK, l.err, sizeof l.err, &res) < 0)
        return ncc_loader_db_error(&l, r);
    snprintf(started, sizeof started, "%s", PQgetvalue(res, 0, 0));
    r->file_load_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);

    if (readable) {
        int u = unchanged(&l, path, o, r, started);
        if (u != 0)
            return u < 0 ? -1 : 0;
    }

    l.mtfm = ncc_strmap_new(sizeof(ncc_loader_mtfm), o->vcfg->schemas->groups);
    if (!l.mtfm) {
        snprintf(l.err, sizeof l.err, "out of memory");
        return ncc_loader_db_error(&l, r);
    }
    bool direct = false;
    const ncc_schema *kind = NULL;
    if (direct_possible(&l, path, o, &direct, &kind) < 0) {
        ncc_strmap_free(l.mtfm);
        return ncc_loader_db_error(&l, r);
    }
    ncc_debug("\"%s\": %s", path,
              direct ? "validated and copied straight into its table in one pass"
                     : "copied into a staging table, then inserted");
    int rc = direct ? ncc_loader_direct(&l, path, o, r, started, kind)
                    : ncc_loader_staged(&l, path, o, r, readable, started);
    ncc_strmap_free(l.mtfm);
    return rc;
}

void ncc_load_result_free(ncc_load_result *r)
{
    if (!r)
        return;
    ncc_file_result_free(&r->v);
}
