/*
 * report.h - what the files of ncc-report share (private to the program).
 *
 *   main.c            options, the connection, the snapshot, the page in order
 *   query.c           running the report's queries; columns found by name
 *   page.c            the page's head and footer, and the pieces every section writes
 *   bench.c           section 1, the unit cost benchmark (dot charts, svg.h)
 *   reconciliation.c  section 2, the trust x technology matrix of statuses
 *   adoption.c        section 3, adoption over the years (bar charts, svg.h)
 *   dashboard.c       section 4, the MTFM dashboard and the stalled list (stacked bars, svg.h)
 *   quality.c         section 5, the data quality of every file loaded
 *   emit.c            writing the page to stdout, or replacing a file whole
 *
 * The queries are sql/<name>.sql and the stylesheet report.css, embedded at build time as
 * string macros of the generated report_assets.h (REPORT_SQL_<NAME>, REPORT_CSS; see
 * stage.cmake). Each section file declares, beside the query it reads, an enum of the
 * columns it uses and their names; query.c finds each name in the result once (PQfnumber),
 * so a query's columns may be reordered or added to without touching the C.
 *
 * Ownership: a report owns its results (rep_results_clear frees them); every string read
 * from one is borrowed from it. Nothing here exits: on a failure to allocate, r->oom is set,
 * the section leaves out what it could not build, and the report is not written.
 */
#ifndef NCC_REPORT_PRIVATE_H
#define NCC_REPORT_PRIVATE_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "rules/field.h"

/* Rows read from any one query at most; more are left out with a note in the report. */
#define REP_MAX_ROWS 100000
/* Financial years shown on the adoption charts at most (the most recent ones). */
#define REP_MAX_YEARS 40
/* Columns one query may name at most. */
#define REP_MAX_COLS 16

/*
 * A query of the report. Its parameters: $1 the --fin-year filter as text (NULL: every
 * year; a query may ignore it), $2 the most rows to return (REP_MAX_ROWS + 1, so that a
 * longer result is seen to be cut).
 */
typedef struct rep_query {
    const char *file;        /* "sql/bench.sql", for messages */
    const char *what;        /* "reading mart.mtfm_benchmark", for messages */
    const char *sql;         /* REPORT_SQL_<NAME> */
    const char *const *cols; /* the names of the columns read, indexed by the file's enum */
    int ncols;               /* at most REP_MAX_COLS */
} rep_query;

/*
 * One query's result. res NULL with note set: the role may not read the tables, and the
 * section says so in place of its content.
 */
typedef struct rep_result {
    PGresult *res;
    int n;                 /* rows used, at most REP_MAX_ROWS */
    bool truncated;        /* more rows existed */
    int col[REP_MAX_COLS]; /* result column of each named column */
    char note[512];
} rep_result;

/* How running a query ended: a permission error is REP_OK with the note set. */
typedef enum rep_status { REP_OK = 0, REP_UNAVAILABLE, REP_INTERNAL } rep_status;

/* The text of named column c (the query's enum) in row i: borrowed from q->res. */
static inline const char *rep_get(const rep_result *q, int i, int c)
{
    return PQgetvalue(q->res, i, q->col[c]);
}

typedef struct report {
    FILE *out;            /* where the page goes (emit.c) */
    const char *fin_year; /* --fin-year, or NULL */
    int svg_seq;          /* the last "svgN" id used */
    bool oom;             /* an allocation failed: the page is incomplete */
    rep_result meta, bench, rec, adopt_total, adopt, dash, stalled, dq;
} report;

/* ---- query.c ----------------------------------------------------------------------------- */

/* The session: database, role and time (sql/meta.sql), outside any savepoint. */
extern const rep_query rep_meta_query;
/*
 * Run q as one row-capped read inside a savepoint of the open transaction, into *res. A
 * permission error gives REP_OK with the note set; a missing table, schema or function
 * (the warehouse is not set up) or a lost connection REP_UNAVAILABLE; anything else, or a
 * result lacking a named column, REP_INTERNAL. err holds the message when not REP_OK.
 */
rep_status rep_query_run(PGconn *c, const rep_query *q, const char *fin_year, rep_result *res,
                         char *err, size_t errlen);
/* Run the session query (exactly one row expected). Same results as rep_query_run. */
rep_status rep_query_meta(PGconn *c, rep_result *res, char *err, size_t errlen);
/* Clear every result of r. */
void rep_results_clear(report *r);

/* ---- page.c ------------------------------------------------------------------------------ */

void rep_page_head(report *r);
void rep_page_foot(report *r);
/* Note that memory ran out (logged once): the page is not written. */
void rep_out_of_memory(report *r);
/* A printf-formatted string (caller frees); NULL with r->oom set when memory ran out. */
char *rep_fmt(report *r, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* n elements of size bytes, zeroed (caller frees); NULL with r->oom set when memory ran out. */
void *rep_calloc(report *r, size_t n, size_t size);
/* The NUMERIC (or integer) text s as money; 0 when it is not a number (never expected). */
ncc_money rep_money(const char *s);
/* The next unique id of an <svg> in the page, "svgN", into id[32]. */
void rep_svg_id(report *r, char id[32]);
/* A section's lead-in when its tables may not be read: true (and a note written) then. */
bool rep_denied(report *r, const rep_result *q);
/* "No rows in TABLE[ for YYYYZZ]: ADVICE" as a note, for a section with nothing to show. */
void rep_no_rows(report *r, const char *table, const char *advice);
/* Whether q has rows to show; if not, the note of rep_denied or rep_no_rows is written. */
bool rep_rows_or_note(report *r, const rep_result *q, const char *table, const char *advice);
/* A note when q was cut at REP_MAX_ROWS rows. */
void rep_row_cap_note(report *r, const rep_result *q, const char *table);
/* A trust: its code in bold, then its name when there is one. */
void rep_trust(report *r, const char *code, const char *name);
/* <h3>Financial year YYYY/ZZ</h3> */
void rep_year_heading(report *r, const char *fin_year);
/* Sort an array of strings in strcmp order (qsort comparator). */
int rep_cmp_str(const void *a, const void *b);

/* ---- the sections, in page order --------------------------------------------------------- */

extern const rep_query rep_bench_query;
void rep_bench_write(report *r);

extern const rep_query rep_rec_query;
void rep_rec_write(report *r);

extern const rep_query rep_adopt_total_query, rep_adopt_query;
void rep_adoption_write(report *r);

extern const rep_query rep_dash_query, rep_stalled_query;
void rep_dashboard_write(report *r);

extern const rep_query rep_quality_query;
void rep_quality_write(report *r);

/* ---- emit.c ------------------------------------------------------------------------------ */

/*
 * Write the page with write_page to path, or to stdout when path is NULL or "-". A regular
 * file (or a new one) is replaced whole: written beside it, then renamed over it; anything
 * else that exists (/dev/stdout, a pipe) is written directly. Returns an exit status
 * (NCC_EXIT_OK, NCC_EXIT_IOERR, NCC_EXIT_SOFTWARE when r->oom), the error already logged.
 */
int rep_emit(report *r, const char *path, void (*write_page)(report *r));

#endif
