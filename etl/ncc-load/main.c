/*
 * ncc-load - load files into the warehouse, each in its own transaction:
 * loaded (replacing the same submission keys), unchanged (same sha256
 * already loaded) or quarantined (nothing loaded, errors in audit). Applies
 * pending migrations and loads the reference data into an empty warehouse
 * first. Files load in the order given: give ledger files before the cost
 * files they check (ncc-nightly orders a night's files itself).
 * Exit 0 all loaded or unchanged, 65 when a file was quarantined, 64 usage,
 * 66 missing input, 69 database unavailable, 70 internal error, 74 a file
 * changed while it was being loaded (nothing of it loaded: load it again).
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli.h"
#include "warehouse/db.h"
#include "warehouse/load.h"
#include "shared/log.h"
#include "warehouse/warehouse.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-load [OPTION]... FILE...\n"
            "Validate and load cost, ledger, NHSSC and supplier files into the warehouse.\n"
            "Each file is loaded whole or not at all; a resubmission replaces the rows of the\n"
            "same (fin_year, org_code, feed); a file already loaded is skipped as unchanged.\n"
            "\n"
            "  --dbname CONNINFO      connection string or URI (default: PG* environment, else\n"
            "                         the project's local cluster); never put a password here\n"
            "  --reference DIR        reference CSVs; loaded into ref when given\n"
            "  --schemas DIR          file kind definitions\n"
            "  --kind KIND            force the kind of every file\n"
            "  --encoding NAME        auto (default), UTF-8 or an iconv name\n"
            "  --mtfm-code CODE       collection resource code of MTFM lines (default MTFM)\n"
            "  --max-reject-rate R    share of rows that may be rejected while the rest loads\n"
            "                         (default 0: a file with any row error loads nothing)\n"
            "  --ledger-tolerance F   allowed |submitted - ledger| / ledger (default 0.01)\n"
            "  --json                 print a JSON report of the files on stdout\n"
            "  -v, --verbose          one line per file on stderr (twice: more)\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 all loaded or unchanged, 65 a file was quarantined, 64 usage,\n"
            "66 missing input, 69 database unavailable, 70 internal error, 74 a file changed\n"
            "while it was being loaded (nothing of it was loaded: load it again).\n");
}

static json_object *file_json(const ncc_load_result *r, const char *path)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string(path));
    json_object_object_add(o, "status", json_object_new_string(ncc_load_status_name(r->status)));
    json_object_object_add(o, "kind", r->v.schema ? json_object_new_string(r->v.schema->kind) : NULL);
    json_object_object_add(o, "sha256", json_object_new_string(r->sha256));
    json_object_object_add(o, "file_load_id", json_object_new_int64(r->file_load_id));
    json_object_object_add(o, "rows_read", json_object_new_int64(r->v.rows_read));
    json_object_object_add(o, "rows_loaded", json_object_new_int64(r->rows_loaded));
    json_object_object_add(o, "rows_rejected",
                           json_object_new_int64(r->v.rows_read - r->rows_loaded));
    json_object_object_add(o, "message", r->message[0] ? json_object_new_string(r->message) : NULL);
    return o;
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"dbname", required_argument, NULL, 'd'},
        {"reference", required_argument, NULL, 'R'},
        {"schemas", required_argument, NULL, 'S'},
        {"kind", required_argument, NULL, 'k'},
        {"encoding", required_argument, NULL, 'e'},
        {"mtfm-code", required_argument, NULL, 'm'},
        {"max-reject-rate", required_argument, NULL, 'x'},
        {"ledger-tolerance", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    ncc_cli_flags flags = {0};
    const char *dbname = NULL;
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dbname = optarg; break;
        case 'R': flags.reference = optarg; break;
        case 'S': flags.schemas = optarg; break;
        case 'k': flags.kind = optarg; break;
        case 'e': flags.encoding = optarg; break;
        case 'm': flags.mtfm_code = optarg; break;
        case 'x': flags.max_reject_rate = optarg; break;
        case 'l': flags.ledger_tolerance = optarg; break;
        case 'j': json = true; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-load %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        ncc_error("no input file given");
        usage(stderr);
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    if (dbname && ncc_db_check_conninfo(dbname, err, sizeof err) < 0) {
        ncc_error("invalid --dbname: %s", err);
        return NCC_EXIT_USAGE;
    }
    ncc_cli_env env;
    int setup = ncc_cli_env_open(&env, &flags);
    if (setup != NCC_EXIT_OK)
        return setup;
    int status = NCC_EXIT_OK;
    json_object *files = json ? json_object_new_array() : NULL;
    PGconn *conn = ncc_db_connect(dbname, err, sizeof err);
    if (!conn) {
        ncc_error("database unavailable: %s", err);
        status = NCC_EXIT_UNAVAILABLE;
        goto out;
    }
    int db_failed;
    if (ncc_warehouse_prepare(conn, env.reference_dir, flags.reference != NULL, &db_failed, err,
                              sizeof err) < 0) {
        ncc_error("%s", err);
        status = db_failed ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
        goto out;
    }
    ncc_load_options lo = {&env.vcfg, env.max_reject_rate, env.ledger_tolerance, 0, NULL, NULL, NULL, NULL, NULL};
    bool missing = false, quarantined = false, left = false;
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        struct stat st;
        if (strcmp(path, "-") != 0 && stat(path, &st) != 0 && errno == ENOENT)
            missing = true;
        ncc_load_result r;
        int rc = ncc_load_file(conn, path, &lo, &r);
        if (rc < 0) {
            ncc_error("database failed while loading \"%s\": %s", path, r.message);
            ncc_load_result_free(&r);
            status = NCC_EXIT_UNAVAILABLE;
            goto out;
        }
        if (r.status == NCC_LOAD_QUARANTINED) {
            quarantined = true;
            ncc_error("\"%s\" quarantined: %s", path, r.message);
        } else if (r.status == NCC_LOAD_LEFT) {
            left = true;
            ncc_error("\"%s\" not loaded: %s", path, r.message);
        } else {
            ncc_info("\"%s\" %s: %lld rows%s%s", path, ncc_load_status_name(r.status),
                     r.rows_loaded, r.message[0] ? ", " : "", r.message);
        }
        if (files)
            json_object_array_add(files, file_json(&r, path));
        ncc_load_result_free(&r);
    }
    if (missing)
        status = NCC_EXIT_NOINPUT;
    else if (left)
        status = NCC_EXIT_IOERR;
    else if (quarantined)
        status = NCC_EXIT_DATAERR;
out:
    if (files) {
        json_object *root = json_object_new_object();
        json_object_object_add(root, "ok", json_object_new_boolean(status == NCC_EXIT_OK));
        json_object_object_add(root, "files", files);
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    }
    if (fflush(stdout) != 0 && status == NCC_EXIT_OK)
        status = NCC_EXIT_IOERR;
    PQfinish(conn);
    ncc_cli_env_close(&env);
    return status;
}
