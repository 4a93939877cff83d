/*
 * ncc-migrate - apply the warehouse migrations (sql/NNN_name.sql) not yet applied to the
 * database, each in its own transaction, recording them in public.ncc_schema_version.
 * Quiet on success; exit status per DATA-CONTRACT.md §6.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "warehouse/db.h"
#include "shared/log.h"

#ifndef NCC_VERSION
#define NCC_VERSION "unknown"
#endif

enum {
    EXIT_OK = 0,
    EXIT_USAGE = 64,
    EXIT_NOINPUT = 66,
    EXIT_UNAVAILABLE = 69,
    EXIT_FAILED = 70,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ncc-migrate [--dbname CONNINFO] [--sql-dir DIR] [-v] [--help] [--version]\n"
            "\n"
            "Apply the warehouse migrations (DIR/NNN_name.sql) not yet applied, in order, each in\n"
            "its own transaction; running it again applies nothing.\n"
            "\n"
            "  -d, --dbname CONNINFO  database to migrate: conninfo string or postgresql:// URI\n"
            "                         (default: PG* environment, else the project-local cluster\n"
            "                         started by scripts/db)\n"
            "  -s, --sql-dir DIR      migrations directory (default: $NCC_SQL_DIR, else\n"
            "                         %s)\n"
            "  -v, --verbose          report what was applied (twice: debug messages)\n"
            "  -h, --help             show this help and exit\n"
            "  -V, --version          show the version and exit\n"
            "\n"
            "Exit status: 0 ok, 64 usage, 66 migrations directory missing, 69 database\n"
            "unavailable, 70 migration failed.\n",
            NCC_DEFAULT_SQL_DIR);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"dbname", required_argument, NULL, 'd'}, {"sql-dir", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    const char *conninfo = NULL, *sql_dir = NULL;
    int verbose = 0, opt;
    char err[2048];

    ncc_log_init(argv[0]);
    opterr = 0; /* report through log.h */
    while ((opt = getopt_long(argc, argv, ":d:s:vhV", options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            conninfo = optarg;
            break;
        case 's':
            sql_dir = optarg;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'V':
            printf("ncc-migrate (ncc) %s\n", NCC_VERSION);
            return EXIT_OK;
        case ':':
            ncc_error("option \"%s\" needs an argument", argv[optind - 1]);
            fprintf(stderr, "Try \"ncc-migrate --help\" for more information.\n");
            return EXIT_USAGE;
        default:
            if (optopt)
                ncc_error("unknown option \"-%c\"", optopt);
            else
                ncc_error("unknown option \"%s\"", argv[optind - 1]);
            fprintf(stderr, "Try \"ncc-migrate --help\" for more information.\n");
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ncc_error("unexpected argument \"%s\"", argv[optind]);
        fprintf(stderr, "Try \"ncc-migrate --help\" for more information.\n");
        return EXIT_USAGE;
    }
    if (verbose)
        ncc_log_set_level(verbose > 1 ? NCC_LOG_DEBUG : NCC_LOG_INFO);
    if (conninfo && ncc_db_check_conninfo(conninfo, err, sizeof err) != 0) {
        ncc_error("--dbname: %s", err);
        return EXIT_USAGE;
    }
    if (!sql_dir) {
        const char *env = getenv("NCC_SQL_DIR");
        sql_dir = env && *env ? env : NCC_DEFAULT_SQL_DIR;
    }
    struct stat st;
    if (stat(sql_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        ncc_error("migrations directory \"%s\" not found", sql_dir);
        return EXIT_NOINPUT;
    }

    PGconn *c = ncc_db_connect(conninfo, err, sizeof err);
    if (!c) {
        ncc_error("%s", err);
        return EXIT_UNAVAILABLE;
    }
    int applied = 0, version = 0, status = EXIT_OK;
    if (ncc_db_migrate(c, sql_dir, &applied, err, sizeof err) != 0) {
        ncc_error("%s", err);
        if (applied > 0)
            ncc_info("applied %d migrations before the failure", applied);
        status = PQstatus(c) == CONNECTION_OK ? EXIT_FAILED : EXIT_UNAVAILABLE;
    } else if (ncc_db_schema_version(c, &version, err, sizeof err) != 0) {
        ncc_error("%s", err);
        status = EXIT_FAILED;
    } else {
        ncc_info("applied %d migrations, schema at version %d", applied, version);
    }
    PQfinish(c);
    return status;
}
