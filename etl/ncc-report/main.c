/*
 * ncc-report - the analysts' report: one self-contained static HTML file (inline CSS and SVG,
 * no network, readable printed) from the warehouse:
 *   1. per financial year and technology, each trust's unit cost against the national unit
 *      cost, the median and the interquartile range (mart.mtfm_benchmark; bench.c);
 *   2. a trust x technology matrix of reconciliation statuses (mart.reconciliation;
 *      reconciliation.c);
 *   3. adoption over the years: trusts and units per technology (mart.adoption; adoption.c);
 *   4. the MTFM dashboard: trusts by QART stage, patients, supply units and estimated saving
 *      per technology and quarter, and the stalled list (mart.mtfm_dashboard,
 *      mart.stalled_adoption; dashboard.c);
 *   5. data quality per file loaded (audit.file_load, audit.file_error, core.submission;
 *      quality.c).
 * Values are shown as the NUMERIC text the database returns; chart coordinates are computed
 * from that text by exact scaled-integer arithmetic (output/svg.h), never in floating point.
 * Everything is read first, in one read-only, repeatable-read transaction (one consistent
 * snapshot), then written (report.h lists the files of the program).
 * Exit 0 ok, 64 usage, 69 database unavailable, 70 internal error, 74 output error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "report.h"
#include "rules/field.h"
#include "shared/log.h"
#include "warehouse/db.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-report [OPTION]...\n"
            "Write the analysts' report as one self-contained HTML file (no network access\n"
            "needed to view or print it): unit cost benchmarks per technology and year, the\n"
            "trust x technology matrix of reconciliation statuses, adoption over the years,\n"
            "the MTFM dashboard (trusts by QART stage, patients, supply and estimated saving\n"
            "per quarter, stalled adoption) and the data quality of every file loaded.\n"
            "\n"
            "  --dbname CONNINFO      connection string or URI (default: PG* environment, else\n"
            "                         the project's local cluster); never put a password here\n"
            "  -o, --output FILE      write the HTML to FILE (replaced whole) instead of stdout\n"
            "  --fin-year YYYYZZ      only this financial year, e.g. 202324 (sections 1 to 4)\n"
            "  -v, --verbose          more messages on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 ok, 64 usage, 69 database unavailable, 70 internal error,\n"
            "74 output error.\n");
}

typedef struct options {
    const char *dbname, *output, *fin_year; /* borrowed from argv; NULL when not given */
} options;

/* Parse and check the arguments into o: -1 to go on, else the status to exit with. */
static int parse_options(int argc, char **argv, options *o)
{
    static const struct option opts[] = {
        {"dbname", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"fin-year", required_argument, NULL, 'y'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:v", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->dbname = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'y':
            o->fin_year = optarg;
            break;
        case 'v':
            ncc_log_set_level(ncc_log_get_level() + 1);
            break;
        case 'h':
            usage(stdout);
            return NCC_EXIT_OK;
        case 'V':
            printf("ncc-report %s\n", NCC_VERSION);
            return NCC_EXIT_OK;
        default:
            usage(stderr);
            return NCC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ncc_error("unexpected argument \"%s\"", argv[optind]);
        return NCC_EXIT_USAGE;
    }
    int start_year;
    const char *fy = o->fin_year;
    if (fy && ncc_fin_year_parse(fy, strlen(fy), &start_year) != NCC_PARSE_OK) {
        ncc_error("financial year \"%s\" must be YYYYZZ such as 202324", fy);
        return NCC_EXIT_USAGE;
    }
    if (o->output && !*o->output) {
        ncc_error("-o needs a file name");
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    if (o->dbname && ncc_db_check_conninfo(o->dbname, err, sizeof err) < 0) {
        ncc_error("invalid --dbname: %s", err);
        return NCC_EXIT_USAGE;
    }
    return -1;
}

/* Log why reading failed (err) and give the exit status for f. */
static int read_failed(PGconn *c, rep_status f, const char *err)
{
    if (f == REP_UNAVAILABLE && PQstatus(c) == CONNECTION_OK)
        ncc_log(NCC_LOG_ERROR, NULL,
                "set the warehouse up first: ncc-migrate, or load files with ncc-nightly", "%s",
                err);
    else
        ncc_error("%s", err);
    return f == REP_UNAVAILABLE ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
}

/* Run sql outside any savepoint: 0, else the exit status (the error logged). */
static int snapshot_command(PGconn *c, const char *sql)
{
    char err[1024];
    if (ncc_db_exec(c, sql, err, sizeof err) == 0)
        return 0;
    ncc_error("%s", err);
    return PQstatus(c) != CONNECTION_OK ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
}

/*
 * Read everything the page shows into r, in one REPEATABLE READ READ ONLY transaction, so
 * that the sections agree even while ncc-nightly rewrites the marts. A section the role may
 * not read is left empty with a warning. Returns NCC_EXIT_OK or the status to exit with.
 */
static int read_snapshot(PGconn *c, report *r)
{
    const struct {
        const rep_query *query;
        rep_result *res;
    } reads[] = {
        {&rep_bench_query, &r->bench},
        {&rep_rec_query, &r->rec},
        {&rep_adopt_total_query, &r->adopt_total},
        {&rep_adopt_query, &r->adopt},
        {&rep_dash_query, &r->dash},
        {&rep_stalled_query, &r->stalled},
        {&rep_quality_query, &r->dq},
    };
    char err[1024];
    int status = snapshot_command(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (status != 0)
        return status;
    rep_status f = rep_query_meta(c, &r->meta, err, sizeof err);
    if (f != REP_OK)
        return read_failed(c, f, err);
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        f = rep_query_run(c, reads[i].query, r->fin_year, reads[i].res, err, sizeof err);
        if (f != REP_OK)
            return read_failed(c, f, err);
        if (!reads[i].res->res)
            ncc_warning("%s", reads[i].res->note);
    }
    return snapshot_command(c, "COMMIT");
}

/* The page, in order: head, the five sections, footer. */
static void write_page(report *r)
{
    rep_page_head(r);
    rep_bench_write(r);
    rep_rec_write(r);
    rep_adoption_write(r);
    rep_dashboard_write(r);
    rep_quality_write(r);
    rep_page_foot(r);
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    options o = {0};
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    char err[1024];
    PGconn *conn = ncc_db_connect(o.dbname, err, sizeof err);
    if (!conn) {
        ncc_error("database unavailable: %s", err);
        return NCC_EXIT_UNAVAILABLE;
    }
    report rep = {.fin_year = o.fin_year};
    status = read_snapshot(conn, &rep);
    if (status == NCC_EXIT_OK)
        status = rep_emit(&rep, o.output, write_page);
    if (status == NCC_EXIT_OK)
        ncc_info("report of %d benchmark, %d reconciliation and %d file rows written", rep.bench.n,
                 rep.rec.n, rep.dq.n);
    rep_results_clear(&rep);
    PQfinish(conn);
    return status;
}
