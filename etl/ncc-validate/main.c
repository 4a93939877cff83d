/*
 * ncc-validate - a costing practitioner's offline check of submission files
 * (cost, ledger, NHSSC, supplier) with the same rules as the nightly load.
 * No database. Exit 0 when every file is valid, 65 otherwise, 64 on bad
 * usage, 66 when an input file is missing, 74 when output cannot be written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app/cli.h"
#include "rules/ledger.h"
#include "shared/log.h"
#include "output/report.h"
#include "rules/validate.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-validate [OPTION]... FILE...\n"
            "Check NCC cost submissions, ledger files, NHS Supply Chain extracts and supplier\n"
            "returns offline, with the rules the nightly load applies. FILE may be - (stdin)\n"
            "and may be gzip-compressed.\n"
            "\n"
            "  --json                 print the JSON report (data contract 5.1) instead of text\n"
            "  --rejects FILE         write every error as CSV: file,line,column,code,message\n"
            "  --reference DIR        reference CSVs (default: the project's fixtures/reference)\n"
            "  --schemas DIR          file kind definitions (default: the project's schemas)\n"
            "  --kind KIND            force the kind: cost, ledger, nhssc or supplier\n"
            "  --encoding NAME        auto (default: UTF-8, else Windows-1252), UTF-8, or any\n"
            "                         iconv name such as WINDOWS-1252\n"
            "  --mtfm-code CODE       collection resource code of MTFM lines (default MTFM)\n"
            "  --ledger-tolerance F   allowed |submitted - ledger| / ledger (default 0.01)\n"
            "  -v, --verbose          more messages on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Settings also come from NCC_MTFM_CODE, NCC_LEDGER_TOLERANCE, NCC_REFERENCE_DIR,\n"
            "NCC_SCHEMA_DIR or the config file ($NCC_CONFIG).\n"
            "Exit status: 0 all files valid, 65 data errors, 64 usage, 66 missing input,\n"
            "74 output error.\n");
}

typedef struct run_ctx {
    ncc_rejects *rejects;
    const char *file;
} run_ctx;

static void on_issue(void *ctx, const ncc_issue *is)
{
    run_ctx *rc = ctx;
    ncc_rejects_write(rc->rejects, rc->file, is);
}

/* An F_LEDGER_TOLERANCE found after the files were read: into the rejects CSV too. */
static void ledger_reject(void *ctx, const ncc_file_result *res, const ncc_kept_issue *ki)
{
    run_ctx *rc = ctx;
    ncc_issue is = {ki->code, 0, ki->column, ki->message};
    ncc_rejects_write(rc->rejects, res->path, &is);
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"rejects", required_argument, NULL, 'r'},
        {"reference", required_argument, NULL, 'R'},
        {"schemas", required_argument, NULL, 'S'},
        {"kind", required_argument, NULL, 'k'},
        {"encoding", required_argument, NULL, 'e'},
        {"mtfm-code", required_argument, NULL, 'm'},
        {"ledger-tolerance", required_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    const char *rejects_path = NULL;
    ncc_cli_flags flags = {0};
    int c;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'r': rejects_path = optarg; break;
        case 'R': flags.reference = optarg; break;
        case 'S': flags.schemas = optarg; break;
        case 'k': flags.kind = optarg; break;
        case 'e': flags.encoding = optarg; break;
        case 'm': flags.mtfm_code = optarg; break;
        case 'l': flags.ledger_tolerance = optarg; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-validate %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        ncc_error("no input file given");
        usage(stderr);
        return NCC_EXIT_USAGE;
    }
    ncc_cli_env env;
    int setup = ncc_cli_env_open(&env, &flags);
    if (setup != NCC_EXIT_OK)
        return setup;
    char err[1024];
    int status = NCC_EXIT_OK;
    run_ctx rc = {NULL, NULL};
    if (rejects_path) {
        rc.rejects = ncc_rejects_open(rejects_path, err, sizeof err);
        if (!rc.rejects) {
            ncc_error("%s", err);
            ncc_cli_env_close(&env);
            return NCC_EXIT_IOERR;
        }
    }
    int nfiles = argc - optind;
    ncc_file_result *results = calloc((size_t)nfiles, sizeof *results);
    if (!results) {
        ncc_error("out of memory");
        return NCC_EXIT_SOFTWARE;
    }
    ncc_sink sink = {&rc, NULL, on_issue};
    bool missing = false;
    for (int i = 0; i < nfiles; i++) {
        const char *path = argv[optind + i];
        struct stat st;
        if (strcmp(path, "-") != 0 && stat(path, &st) != 0 && errno == ENOENT)
            missing = true;
        rc.file = path;
        ncc_info("checking \"%s\"", path);
        if (ncc_validate_file(path, &env.vcfg, &sink, &results[i]) < 0) {
            ncc_error("out of memory while checking \"%s\"", path);
            status = NCC_EXIT_SOFTWARE;
        }
    }
    /* ledger files validated in the same call: check cost files against them */
    if (ncc_ledger_check_files(results, nfiles, env.ledger_tolerance, ledger_reject, &rc) < 0) {
        ncc_error("out of memory while checking against the ledger");
        status = NCC_EXIT_SOFTWARE;
    }
    int wr = json ? ncc_report_json(stdout, results, nfiles) : ncc_report_text(stdout, results, nfiles);
    if (wr < 0) {
        ncc_error("cannot write the report: %s", strerror(errno));
        status = NCC_EXIT_IOERR;
    }
    if (ncc_rejects_close(rc.rejects) < 0) {
        ncc_error("cannot write the rejects file \"%s\"", rejects_path);
        status = NCC_EXIT_IOERR;
    }
    if (status == NCC_EXIT_OK) {
        for (int i = 0; i < nfiles; i++)
            if (strcmp(ncc_file_result_status(&results[i]), "valid") != 0)
                status = NCC_EXIT_DATAERR;
        if (missing)
            status = NCC_EXIT_NOINPUT;
    }
    for (int i = 0; i < nfiles; i++)
        ncc_file_result_free(&results[i]);
    free(results);
    ncc_cli_env_close(&env);
    return status;
}
