/*
 * db.h - libpq helpers shared by every stage that talks to the warehouse: connecting the
 * libpq way (DATA-CONTRACT.md §6), running commands, and applying the numbered migrations
 * of sql/ (DESIGN.md §4).
 *
 * Errors: every function that can fail returns 0 on success and -1 on failure, and then
 * writes a one-line, lowercase message (no trailing newline) into err[errlen] when err is
 * non-NULL. Nothing here exits or prints errors itself; callers decide (ncc_error ...).
 * Server notices are routed through log.h: WARNING at warning level, others at debug.
 */
#ifndef NCC_DB_H
#define NCC_DB_H

#include <stddef.h>

#include <libpq-fe.h>

/* Port of the project-local cluster unless NCC_PGPORT says otherwise (scripts/db). */
#define NCC_DB_DEFAULT_PORT "54329"
/* Largest migration file ncc_db_migrate reads. */
#define NCC_DB_MAX_MIGRATION_BYTES (4u * 1024u * 1024u)
/* Key of the transaction-level advisory lock serialising migration runners. */
#define NCC_DB_MIGRATE_LOCK_KEY 0x4e43434d49475254LL /* "NCCMIGRT" */

/*
 * Open a connection. Which server, first that applies:
 *   1. conninfo, when non-NULL and non-empty: a key=value string or a postgresql:// URI
 *      (unspecified parts come from the PG* environment, as in libpq);
 *   2. the libpq defaults, when any of PGHOST, PGHOSTADDR, PGPORT, PGDATABASE, PGSERVICE,
 *      PGUSER is set in the environment;
 *   3. the project-local cluster: socket directory $NCC_VAR/run (NCC_VAR defaults to the
 *      compile-time NCC_DEFAULT_VAR_DIR), port $NCC_PGPORT or 54329, user and database ncc.
 * application_name falls back to the program's name; client_encoding is UTF8.
 * Returns the connection (caller frees with PQfinish), or NULL when the server is
 * unavailable or refuses us, with the reason in err. Passwords are never written to err
 * or to the log.
 */
PGconn *ncc_db_connect(const char *conninfo, char *err, size_t errlen);

/*
 * Check that conninfo parses as a key=value string or URI (a usage error when it does not),
 * without connecting, and holds no password (passwords come from PGPASSWORD or ~/.pgpass,
 * never from the command line). Returns 0, or -1 with the reason in err.
 */
int ncc_db_check_conninfo(const char *conninfo, char *err, size_t errlen);

/* Rewrite s in place as one line: runs of whitespace (newlines too) become one space, ends
 * trimmed. For libpq's and the server's messages, which may span lines (a Citus worker's
 * connection error quotes libpq's multi-line text). */
void ncc_db_one_line(char *s);

/*
 * Run one command (or several separated by semicolons, as one implicit transaction
 * unless they manage their own) expecting PGRES_COMMAND_OK or PGRES_TUPLES_OK; every
 * result is cleared. Returns 0, or -1 with PostgreSQL's primary message in err.
 */
int ncc_db_exec(PGconn *c, const char *sql, char *err, size_t errlen);

/*
 * One statement with n text parameters, expecting PGRES_COMMAND_OK or PGRES_TUPLES_OK.
 * The result goes to *out when out is non-NULL (the caller clears it), else it is
 * cleared. Returns 0, or -1 with PostgreSQL's message in err.
 */
int ncc_db_exec_params(PGconn *c, const char *sql, int n, const char *const *params,
                       PGresult **out, char *err, size_t errlen);

/*
 * Apply the migrations of sql_dir not yet recorded in public.ncc_schema_version.
 * sql_dir NULL means $NCC_SQL_DIR, else the compile-time NCC_DEFAULT_SQL_DIR.
 * Migrations are the files named NNN_name.sql (NNN: one or more digits, the version),
 * applied in numeric order; other files are ignored; two files with one version are an
 * error. Each file runs in its own transaction together with its version row, holding
 * pg_advisory_xact_lock(NCC_DB_MIGRATE_LOCK_KEY) so concurrent runners serialise; files
 * must not contain transaction control or COPY. On failure the failing file is rolled
 * back (those before it stay applied), and err names the file, the line when PostgreSQL
 * reports a position, and PostgreSQL's message.
 * *applied (may be NULL) is set to how many files this call applied, also on failure.
 */
int ncc_db_migrate(PGconn *c, const char *sql_dir, int *applied, char *err, size_t errlen);

/*
 * Highest version recorded in public.ncc_schema_version into *version; 0 when the table
 * is missing or empty (nothing applied yet).
 */
int ncc_db_schema_version(PGconn *c, int *version, char *err, size_t errlen);

#endif
