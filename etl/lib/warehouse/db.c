/*
 * db.c - libpq helpers: connect the libpq way (conninfo, else PG* environment, else the
 * project-local cluster), run commands with every PGresult checked and cleared, and apply
 * the numbered migrations of sql/ each in its own transaction under an advisory lock.
 */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "warehouse/db.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/log.h"

#ifndef NCC_DEFAULT_VAR_DIR
#define NCC_DEFAULT_VAR_DIR "var"
#endif
#ifndef NCC_DEFAULT_SQL_DIR
#define NCC_DEFAULT_SQL_DIR "sql"
#endif

/* At most this many migration files in one directory. */
#define MAX_MIGRATIONS 10000

/* ---- messages ------------------------------------------------------------------------ */

void ncc_db_one_line(char *s)
{
    char *w = s;
    bool space = false;
    for (const char *r = s; *r; r++) {
        if (*r == '\n' || *r == '\r' || *r == '\t' || *r == ' ') {
            space = w != s;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    ncc_db_one_line(err);
}

/*
 * The useful part of a libpq connection error: its lines that are not tab-indented hints,
 * joined by "; ", in buf.
 */
static const char *conn_error(const PGconn *c, char *buf, size_t len)
{
    const char *m = c ? PQerrorMessage(c) : "out of memory";
    size_t n = 0;
    buf[0] = '\0';
    while (*m && n + 1 < len) {
        const char *eol = strchr(m, '\n');
        size_t l = eol ? (size_t)(eol - m) : strlen(m);
        if (l > 0 && m[0] != '\t') {
            int w = snprintf(buf + n, len - n, "%s%.*s", n ? "; " : "", (int)l, m);
            if (w < 0 || (size_t)w >= len - n)
                break;
            n += (size_t)w;
        }
        m += l + (eol ? 1 : 0);
    }
    if (!buf[0])
        snprintf(buf, len, "%s", "unknown error");
    ncc_db_one_line(buf);
    return buf;
}

/* PostgreSQL's error of a result as one line: primary message, detail, SQLSTATE. */
static void result_error(const PGresult *r, const PGconn *c, char *buf, size_t len)
{
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!primary) {
        char cbuf[512];
        const char *m = r ? PQresultErrorMessage(r) : "";
        if (!*m)
            m = conn_error(c, cbuf, sizeof cbuf);
        snprintf(buf, len, "%s", m);
    } else {
        snprintf(buf, len, "%s%s%s%s%s%s", primary, detail ? "; " : "", detail ? detail : "",
                 state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
    }
    ncc_db_one_line(buf);
}

/* Citus's warning when a migration creates a view over a table it has not distributed yet
 * (sql/006 and sql/010 create views over core, which sql/012 distributes after them): the
 * view is created on the coordinator, where every command reads it, as intended. */
static bool citus_local_view_notice(const PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    const char *tail = "will be created only locally";
    size_t dn = detail ? strlen(detail) : 0, tn = strlen(tail);
    return state && strcmp(state, "0A000") == 0 && dn > tn && strcmp(detail + dn - tn, tail) == 0 &&
           strncmp(detail, "\"view ", 6) == 0;
}

/* Server notices through the one logging path: WARNING as warnings, the rest as debug. */
static void notice_receiver(void *arg, const PGresult *r)
{
    (void)arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (!msg)
        return;
    bool warning = sev && strcmp(sev, "WARNING") == 0 && !citus_local_view_notice(r);
    ncc_log(warning ? NCC_LOG_WARNING : NCC_LOG_DEBUG,
            PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL),
            PQresultErrorField(r, PG_DIAG_MESSAGE_HINT), "server %s: %s",
            warning ? "warning" : "notice", msg);
}

/* ---- connecting ---------------------------------------------------------------------- */

static bool env_set(const char *name)
{
    const char *v = getenv(name);
    return v && *v;
}

/*
 * A conninfo string or URI for messages, password masked: the parsed options that are
 * set, as key=value. Nothing of an unparsable string is shown.
 */
static void masked_conninfo(const char *conninfo, char *buf, size_t len)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    PQfreemem(perr);
    if (!opts) {
        snprintf(buf, len, "%s", "(unparsable connection string)");
        return;
    }
    size_t n = 0;
    buf[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        bool secret = strcmp(o->keyword, "password") == 0 || strchr(o->dispchar, '*') != NULL;
        int w = snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "", o->keyword,
                         secret ? "********" : o->val);
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
    PQconninfoFree(opts);
    if (!buf[0])
        snprintf(buf, len, "%s", "(libpq defaults)");
}

PGconn *ncc_db_connect(const char *conninfo, char *err, size_t errlen)
{
    const char *kw[8], *val[8];
    int n = 0, expand = 0;
    char host[PATH_MAX], target[1024];
    const char *hint = "";

    kw[n] = "fallback_application_name", val[n++] = program_invocation_short_name;
    kw[n] = "client_encoding", val[n++] = "UTF8";
    if (conninfo && *conninfo) {
        /* Options given by the caller win over ours: they come after. */
        kw[n] = "dbname", val[n++] = conninfo;
        expand = 1;
        char masked[768];
        masked_conninfo(conninfo, masked, sizeof masked);
        snprintf(target, sizeof target, "the server given by \"%s\"", masked);
    } else if (env_set("PGHOST") || env_set("PGHOSTADDR") || env_set("PGPORT") ||
               env_set("PGDATABASE") || env_set("PGSERVICE") || env_set("PGUSER")) {
        snprintf(target, sizeof target, "%s", "the server named by the PG* environment");
    } else {
        const char *var = env_set("NCC_VAR") ? getenv("NCC_VAR") : NCC_DEFAULT_VAR_DIR;
        const char *port = env_set("NCC_PGPORT") ? getenv("NCC_PGPORT") : NCC_DB_DEFAULT_PORT;
        int w = snprintf(host, sizeof host, "%s/run", var);
        if (w < 0 || (size_t)w >= sizeof host) {
            set_err(err, errlen, "local cluster directory \"%s\" is too long", var);
            return NULL;
        }
        kw[n] = "host", val[n++] = host;
        kw[n] = "port", val[n++] = port;
        kw[n] = "user", val[n++] = "ncc";
        kw[n] = "dbname", val[n++] = "ncc";
        snprintf(target, sizeof target,
                 "the project-local cluster (socket directory \"%.900s\", port %.16s)", host, port);
        hint =
            "; start it with scripts/db start, or set PG* variables or --dbname for another server";
    }
    kw[n] = NULL, val[n] = NULL;

    ncc_debug("connecting to %s", target);
    PGconn *c = PQconnectdbParams(kw, val, expand);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char cbuf[1024];
        set_err(err, errlen, "cannot connect to %s: %s%s", target, conn_error(c, cbuf, sizeof cbuf),
                hint);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeReceiver(c, notice_receiver, NULL);
    ncc_debug("connected: database \"%s\" user \"%s\" host \"%s\" port %s", PQdb(c), PQuser(c),
              PQhost(c), PQport(c));
    return c;
}

/* ---- running SQL --------------------------------------------------------------------- */

/*
 * Send sql (one or more statements) and read every result. Accepts COMMAND_OK and
 * TUPLES_OK, and EMPTY_QUERY when allow_empty. On failure returns -1 with the message in
 * err and, when pos is non-NULL, the 1-based character position PostgreSQL reported in
 * the statement (0 when none). COPY is refused (and ended cleanly).
 */
static int run_sql(PGconn *c, const char *sql, bool allow_empty, long *pos, char *err,
                   size_t errlen)
{
    int rc = 0;
    PGresult *r;
    char buf[1024];

    if (pos)
        *pos = 0;
    if (!c) {
        set_err(err, errlen, "no database connection");
        return -1;
    }
    if (!PQsendQuery(c, sql)) {
        set_err(err, errlen, "cannot send query: %s", conn_error(c, buf, sizeof buf));
        return -1;
    }
    while ((r = PQgetResult(c)) != NULL) {
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN) {
            PQputCopyEnd(c, "COPY is not supported here");
        } else if (st == PGRES_COPY_OUT) {
            char *row;
            while (PQgetCopyData(c, &row, 0) > 0)
                PQfreemem(row);
            if (rc == 0) {
                set_err(err, errlen, "COPY is not supported here");
                rc = -1;
            }
        } else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
                   !(allow_empty && st == PGRES_EMPTY_QUERY) && rc == 0) {
            if (st == PGRES_EMPTY_QUERY) {
                set_err(err, errlen, "empty query");
            } else {
                result_error(r, c, buf, sizeof buf);
                set_err(err, errlen, "%s", buf);
                const char *p = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
                if (pos && p)
                    *pos = strtol(p, NULL, 10);
            }
            rc = -1;
        }
        PQclear(r);
    }
    if (rc == 0 && PQstatus(c) != CONNECTION_OK) {
        set_err(err, errlen, "connection lost: %s", conn_error(c, buf, sizeof buf));
        rc = -1;
    }
    return rc;
}

int ncc_db_exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
    return run_sql(c, sql, false, NULL, err, errlen);
}

int ncc_db_exec_params(PGconn *c, const char *sql, int n, const char *const *params,
                       PGresult **out, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char buf[1024];
        result_error(r, c, buf, sizeof buf);
        set_err(err, errlen, "%s", buf);
        PQclear(r);
        return -1;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return 0;
}

/* Run a one-row, one-column query with text parameters; the value (or NULL) in out. */
static int query_value(PGconn *c, const char *sql, int nparams, const char *const *params,
                       char *out, size_t outlen, bool *isnull, char *err, size_t errlen)
{
    char buf[1024];
    int rc = -1;
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        result_error(r, c, buf, sizeof buf);
        set_err(err, errlen, "%s", buf);
        goto done;
    }
    *isnull = PQntuples(r) == 0 || PQgetisnull(r, 0, 0);
    snprintf(out, outlen, "%s", *isnull ? "" : PQgetvalue(r, 0, 0));
    rc = 0;
done:
    PQclear(r);
    return rc;
}

/* ---- migrations ---------------------------------------------------------------------- */

typedef struct migration {
    int version;
    char *name; /* file name, owned */
} migration;

static int migration_cmp(const void *a, const void *b)
{
    const migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static void migrations_free(migration *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].name);
    free(m);
}

/* NNN_name.sql: digits, an underscore, at least one more character, ".sql". */
static bool migration_name(const char *name, int *version)
{
    size_t len = strlen(name), d = 0;
    while (name[d] >= '0' && name[d] <= '9')
        d++;
    if (d == 0 || d > 9 || name[d] != '_' || len < d + 1 + 1 + 4 ||
        strcmp(name + len - 4, ".sql") != 0)
        return false;
    *version = (int)strtol(name, NULL, 10);
    return true;
}

/* The migrations of dir sorted by version (caller frees with migrations_free). */
static int list_migrations(const char *dir, migration **out, size_t *count, char *err,
                           size_t errlen)
{
    migration *m = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    DIR *d = opendir(dir);
    if (!d) {
        set_err(err, errlen, "cannot open migration directory \"%s\": %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        int version;
        if (!migration_name(e->d_name, &version))
            continue;
        char path[PATH_MAX];
        struct stat st;
        int w = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof path || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == MAX_MIGRATIONS) {
            set_err(err, errlen, "more than %d migrations in \"%s\"", MAX_MIGRATIONS, dir);
            goto done;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            migration *nm = realloc(m, ncap * sizeof *m);
            if (!nm) {
                set_err(err, errlen, "out of memory");
                goto done;
            }
            m = nm, cap = ncap;
        }
        m[n].version = version;
        m[n].name = strdup(e->d_name);
        if (!m[n].name) {
            set_err(err, errlen, "out of memory");
            goto done;
        }
        n++;
    }
    if (errno != 0) {
        set_err(err, errlen, "cannot read migration directory \"%s\": %s", dir, strerror(errno));
        goto done;
    }
    if (n > 1)
        qsort(m, n, sizeof *m, migration_cmp);
    for (size_t i = 1; i < n; i++) {
        if (m[i].version == m[i - 1].version) {
            set_err(err, errlen, "migrations \"%s\" and \"%s\" in \"%s\" have the same version %d",
                    m[i - 1].name, m[i].name, dir, m[i].version);
            goto done;
        }
    }
    rc = 0;
done:
    closedir(d);
    if (rc == 0) {
        *out = m, *count = n;
    } else {
        migrations_free(m, n);
    }
    return rc;
}

/* Read a whole migration file (at most NCC_DB_MAX_MIGRATION_BYTES) as a C string. */
static char *read_sql_file(const char *path, char *err, size_t errlen)
{
    const size_t limit = NCC_DB_MAX_MIGRATION_BYTES;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "cannot open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        set_err(err, errlen, "cannot read \"%s\": %s", path, strerror(errno));
        goto fail;
    }
    if (st.st_size < 0 || (unsigned long long)st.st_size > limit) {
        set_err(err, errlen, "\"%s\" is larger than %zu bytes", path, limit);
        goto fail;
    }
    size_t size = (size_t)st.st_size;
    buf = malloc(size + 2);
    if (!buf) {
        set_err(err, errlen, "out of memory reading \"%s\"", path);
        goto fail;
    }
    /* Read one byte more than expected to notice a file that grew meanwhile. */
    n = fread(buf, 1, size + 1, f);
    if (ferror(f)) {
        set_err(err, errlen, "cannot read \"%s\": %s", path, strerror(errno));
        goto fail;
    }
    if (n > size) {
        set_err(err, errlen, "\"%s\" changed while it was read", path);
        goto fail;
    }
    if (memchr(buf, '\0', n)) {
        set_err(err, errlen, "\"%s\" contains a NUL byte", path);
        goto fail;
    }
    buf[n] = '\0';
    fclose(f);
    /* A leading UTF-8 byte order mark is not SQL. */
    if (n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        memmove(buf, buf + 3, n - 3 + 1);
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* Line (1-based) holding the pos-th character (1-based, UTF-8) of sql. */
static long line_of_position(const char *sql, long pos)
{
    long line = 1, chars = 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* continuation byte */
        if (++chars >= pos)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

static void rollback(PGconn *c)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE) {
        PGresult *r = PQexec(c, "ROLLBACK");
        PQclear(r);
    }
}

/* "BEGIN; take the migration lock" as one round trip. */
static int begin_locked(PGconn *c, char *err, size_t errlen)
{
    char sql[128];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_catalog.pg_advisory_xact_lock(%lld)",
             (long long)NCC_DB_MIGRATE_LOCK_KEY);
    return run_sql(c, sql, false, NULL, err, errlen);
}

/* COMMIT, checking that it committed (an aborted transaction "commits" as ROLLBACK). */
static int commit(PGconn *c, char *err, size_t errlen)
{
    char buf[1024];
    int rc = 0;
    PGresult *r = PQexec(c, "COMMIT");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        result_error(r, c, buf, sizeof buf);
        set_err(err, errlen, "commit failed: %s", buf);
        rc = -1;
    } else if (strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        set_err(err, errlen, "commit failed: the transaction was rolled back");
        rc = -1;
    }
    PQclear(r);
    return rc;
}

static const char create_version_table_sql[] =
    "CREATE TABLE public.ncc_schema_version ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE public.ncc_schema_version IS "
    " 'Migrations of sql/ applied to this database, one row per file (written by ncc-migrate "
    "and ncc-nightly, DESIGN.md §4).';"
    "COMMENT ON COLUMN public.ncc_schema_version.version IS 'Version: the number NNN of the file "
    "NNN_name.sql.';"
    "COMMENT ON COLUMN public.ncc_schema_version.name IS 'File name of the migration.';"
    "COMMENT ON COLUMN public.ncc_schema_version.applied_at IS 'When the migration was committed.';"
    "GRANT SELECT ON public.ncc_schema_version TO PUBLIC;";

/* Create public.ncc_schema_version when missing, under the migration lock. */
static int ensure_version_table(PGconn *c, char *err, size_t errlen)
{
    char value[64];
    bool isnull;
    if (begin_locked(c, err, errlen) != 0)
        goto fail;
    if (query_value(c, "SELECT pg_catalog.to_regclass('public.ncc_schema_version')", 0, NULL, value,
                    sizeof value, &isnull, err, errlen) != 0)
        goto fail;
    if (isnull && run_sql(c, create_version_table_sql, false, NULL, err, errlen) != 0)
        goto fail;
    if (commit(c, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    rollback(c);
    return -1;
}

/* Apply one migration unless another runner applied it meanwhile. *done = 1 if applied. */
static int apply_one(PGconn *c, const char *dir, const migration *m, int *done, char *err,
                     size_t errlen)
{
    char path[PATH_MAX], msg[1024], vbuf[16], value[16];
    bool isnull;
    long pos = 0;
    char *sql = NULL;
    PGresult *r = NULL;

    *done = 0;
    int w = snprintf(path, sizeof path, "%s/%s", dir, m->name);
    if (w < 0 || (size_t)w >= sizeof path) {
        set_err(err, errlen, "migration path \"%s/%s\" is too long", dir, m->name);
        return -1;
    }
    sql = read_sql_file(path, err, errlen);
    if (!sql)
        return -1;
    snprintf(vbuf, sizeof vbuf, "%d", m->version);
    const char *params[2] = {vbuf, m->name};

    if (begin_locked(c, msg, sizeof msg) != 0)
        goto fail_msg;
    if (query_value(c, "SELECT 1 FROM public.ncc_schema_version WHERE version = $1::integer", 1,
                    params, value, sizeof value, &isnull, msg, sizeof msg) != 0)
        goto fail_msg;
    if (!isnull) { /* applied by a concurrent runner while we waited for the lock */
        if (commit(c, msg, sizeof msg) != 0)
            goto fail_msg;
        free(sql);
        return 0;
    }
    ncc_debug("applying \"%s\"", path);
    if (run_sql(c, sql, true, &pos, msg, sizeof msg) != 0) {
        rollback(c);
        if (pos > 0)
            set_err(err, errlen, "migration \"%s\" failed at line %ld: %s", path,
                    line_of_position(sql, pos), msg);
        else
            set_err(err, errlen, "migration \"%s\" failed: %s", path, msg);
        free(sql);
        return -1;
    }
    if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
        set_err(err, errlen,
                "migration \"%s\" ended the transaction itself; migrations must not contain BEGIN, "
                "COMMIT or ROLLBACK",
                path);
        rollback(c);
        free(sql);
        return -1;
    }
    r = PQexecParams(
        c, "INSERT INTO public.ncc_schema_version (version, name) VALUES ($1::integer, $2)", 2,
        NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        result_error(r, c, msg, sizeof msg);
        goto fail_msg;
    }
    PQclear(r);
    r = NULL;
    if (commit(c, msg, sizeof msg) != 0)
        goto fail_msg;
    free(sql);
    *done = 1;
    return 0;

fail_msg:
    PQclear(r);
    rollback(c);
    set_err(err, errlen, "migration \"%s\" failed: %s", path, msg);
    free(sql);
    return -1;
}

/* After a run that applied migrations: public.ncc_after_migrate(), when a migration defined
 * it (sql/012_citus_layout.sql), in its own transaction under the migration lock, so that the
 * tables a later migration added get their policies and, under Citus, their placement. */
static int after_migrate(PGconn *c, char *err, size_t errlen)
{
    char msg[1024], value[512];
    bool isnull;
    if (begin_locked(c, msg, sizeof msg) != 0 ||
        query_value(c, "SELECT pg_catalog.to_regprocedure('public.ncc_after_migrate()')", 0, NULL,
                    value, sizeof value, &isnull, msg, sizeof msg) != 0)
        goto fail;
    if (!isnull && query_value(c, "SELECT public.ncc_after_migrate()", 0, NULL, value,
                               sizeof value, &isnull, msg, sizeof msg) != 0)
        goto fail;
    if (!isnull)
        ncc_debug("after the migrations: %s", value);
    if (commit(c, msg, sizeof msg) != 0)
        goto fail;
    return 0;
fail:
    rollback(c);
    set_err(err, errlen, "public.ncc_after_migrate() failed: %s", msg);
    return -1;
}

int ncc_db_migrate(PGconn *c, const char *sql_dir, int *applied, char *err, size_t errlen)
{
    migration *m = NULL;
    size_t n = 0;
    int count = 0, rc = -1;
    PGresult *r = NULL;
    char msg[1024];

    if (applied)
        *applied = 0;
    if (!c) {
        set_err(err, errlen, "no database connection");
        return -1;
    }
    if (!sql_dir || !*sql_dir)
        sql_dir = env_set("NCC_SQL_DIR") ? getenv("NCC_SQL_DIR") : NCC_DEFAULT_SQL_DIR;
    if (PQtransactionStatus(c) != PQTRANS_IDLE) {
        set_err(err, errlen, "cannot migrate inside an open transaction");
        return -1;
    }
    if (list_migrations(sql_dir, &m, &n, err, errlen) != 0)
        return -1;
    if (ensure_version_table(c, msg, sizeof msg) != 0) {
        set_err(err, errlen, "cannot create public.ncc_schema_version: %s", msg);
        goto done;
    }

    /* Versions already applied, to skip them without a transaction each. */
    r = PQexec(c, "SELECT version FROM public.ncc_schema_version ORDER BY version");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        result_error(r, c, msg, sizeof msg);
        set_err(err, errlen, "cannot read public.ncc_schema_version: %s", msg);
        goto done;
    }
    int nrows = PQntuples(r), row = 0;
    for (size_t i = 0; i < n; i++) {
        while (row < nrows && atoi(PQgetvalue(r, row, 0)) < m[i].version)
            row++;
        if (row < nrows && atoi(PQgetvalue(r, row, 0)) == m[i].version)
            continue;
        int done = 0;
        if (apply_one(c, sql_dir, &m[i], &done, err, errlen) != 0)
            goto done;
        count += done;
    }
    if (count > 0 && after_migrate(c, err, errlen) != 0)
        goto done;
    rc = 0;
done:
    PQclear(r);
    migrations_free(m, n);
    if (applied)
        *applied = count;
    return rc;
}

int ncc_db_schema_version(PGconn *c, int *version, char *err, size_t errlen)
{
    char value[32];
    bool isnull;
    *version = 0;
    if (!c) {
        set_err(err, errlen, "no database connection");
        return -1;
    }
    if (query_value(c, "SELECT pg_catalog.to_regclass('public.ncc_schema_version')", 0, NULL, value,
                    sizeof value, &isnull, err, errlen) != 0)
        return -1;
    if (isnull)
        return 0;
    if (query_value(c, "SELECT max(version) FROM public.ncc_schema_version", 0, NULL, value,
                    sizeof value, &isnull, err, errlen) != 0)
        return -1;
    *version = isnull ? 0 : atoi(value);
    return 0;
}

int ncc_db_check_conninfo(const char *conninfo, char *err, size_t errlen)
{
    char *perr = NULL;
    if (!conninfo)
        conninfo = "";
    /* As in libpq: without "=" and without a URI prefix it is just a database name. */
    if (!strchr(conninfo, '=') && strncmp(conninfo, "postgresql://", 13) != 0 &&
        strncmp(conninfo, "postgres://", 11) != 0)
        return 0;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        /* libpq names the faulty part, never echoing a password value. */
        set_err(err, errlen, "invalid connection string: %s", perr ? perr : "out of memory");
        PQfreemem(perr);
        return -1;
    }
    /* a password on the command line is visible to every user of the machine (ps) */
    bool has_password = false;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            has_password = true;
    PQconninfoFree(opts);
    if (has_password) {
        set_err(err, errlen, "the connection string holds a password: put it in PGPASSWORD or "
                             "~/.pgpass instead, never on the command line");
        return -1;
    }
    return 0;
}
