/*
 * ncc-reconcile - MTFM reconciliation (contract 5.2) from the warehouse:
 * computes the rows, replaces mart.reconciliation, refreshes
 * mart.mtfm_benchmark and the adoption marts, and prints the CSV on stdout
 * (or -o FILE). With --triangulation: refreshes the adoption marts only
 * (mart.refresh_adoption) and prints the adoption triangulation of
 * contract 5.5 instead.
 * Exit 0 ok, 64 usage, 69 database unavailable, 70 internal error, 74 I/O.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "shared/config.h"
#include "warehouse/db.h"
#include "rules/ledger.h"
#include "shared/log.h"
#include "warehouse/reconcile.h"
#include "warehouse/warehouse.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-reconcile [OPTION]...\n"
            "       ncc-reconcile --triangulation [OPTION]...\n"
            "Reconcile MTFM cost and volume reported by trusts against NHS Supply Chain and\n"
            "direct supplier sales, store mart.reconciliation, refresh mart.mtfm_benchmark and\n"
            "the adoption marts, and print the reconciliation as CSV.\n"
            "With --triangulation, refresh the adoption marts (mart.adoption_triangulation,\n"
            "mart.stalled_adoption, mart.mtfm_dashboard) and print the adoption triangulation\n"
            "as CSV: per financial year, quarter, trust and technology the QART stage and\n"
            "patients beside NHS Supply Chain and supplier sales, with a signal.\n"
            "\n"
            "  --triangulation        print the adoption triangulation instead (mart.reconciliation\n"
            "                         is left as it is; --tolerance does not apply)\n"
            "  --dbname CONNINFO      connection string or URI (default: PG* environment, else\n"
            "                         the project's local cluster)\n"
            "  -o, --output FILE      write the CSV to FILE instead of stdout\n"
            "  --tolerance F          MATCHED when the units differ by at most F x the larger\n"
            "                         side (default 0.10, or NCC_RECONCILE_TOLERANCE)\n"
            "  --no-store             only print; leave the mart tables as they are (computed in\n"
            "                         a transaction that is rolled back)\n"
            "  -v, --verbose          more messages on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 ok, 64 usage, 69 database unavailable, 70 internal error,\n"
            "74 output error.\n");
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"dbname", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"tolerance", required_argument, NULL, 't'},
        {"no-store", no_argument, NULL, 'n'},
        {"triangulation", no_argument, NULL, 'T'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *dbname = NULL, *output = NULL, *tol_flag = NULL;
    bool store = true, triangulation = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:v", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dbname = optarg; break;
        case 'o': output = optarg; break;
        case 't': tol_flag = optarg; break;
        case 'n': store = false; break;
        case 'T': triangulation = true; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-reconcile %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ncc_error("unexpected argument \"%s\"", argv[optind]);
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    ncc_money tolerance;
    const char *tol = ncc_config_get("reconcile_tolerance", tol_flag, "0.10");
    if (ncc_ledger_tolerance_parse(tol, &tolerance) < 0 || tolerance > NCC_MONEY_SCALE) {
        ncc_error("tolerance \"%s\" must be a fraction from 0 to 1 such as 0.10", tol);
        return NCC_EXIT_USAGE;
    }
    if (dbname && ncc_db_check_conninfo(dbname, err, sizeof err) < 0) {
        ncc_error("invalid --dbname: %s", err);
        return NCC_EXIT_USAGE;
    }
    PGconn *conn = ncc_db_connect(dbname, err, sizeof err);
    if (!conn) {
        ncc_error("database unavailable: %s", err);
        return NCC_EXIT_UNAVAILABLE;
    }
    int status = NCC_EXIT_OK, db_failed;
    ncc_recon_row *rows = NULL;
    ncc_tri_row *tri = NULL;
    int n = 0;
    FILE *out = NULL;
    int computed = ncc_warehouse_prepare(conn, NULL, false, &db_failed, err, sizeof err);
    if (computed == 0 && triangulation)
        computed = ncc_triangulation_compute(conn, store, &tri, &n, err, sizeof err);
    else if (computed == 0 && store) { /* always a full refresh */
        ncc_refresh_info info;
        computed = ncc_reconcile_refresh(conn, tolerance, false, &rows, &n, &info, err, sizeof err);
    } else if (computed == 0)
        computed = ncc_reconcile_compute(conn, tolerance, &rows, &n, err, sizeof err);
    if (computed < 0) {
        ncc_error("%s", err);
        status = PQstatus(conn) != CONNECTION_OK ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
        goto done;
    }
    out = output ? fopen(output, "w") : stdout;
    if (!out) {
        ncc_error("cannot create \"%s\": %s", output, strerror(errno));
        status = NCC_EXIT_IOERR;
        goto done;
    }
    int written = triangulation ? ncc_triangulation_write_csv(out, tri, n)
                                : ncc_reconcile_write_csv(out, rows, n);
    if (written < 0 || (output && fclose(out) != 0)) {
        ncc_error("cannot write the %s: %s", triangulation ? "triangulation" : "reconciliation",
                  strerror(errno));
        status = NCC_EXIT_IOERR;
    }
    ncc_info("%d %s rows%s", n, triangulation ? "triangulation" : "reconciliation",
             store ? " stored" : "");
done:
    free(rows);
    free(tri);
    PQfinish(conn);
    return status;
}
