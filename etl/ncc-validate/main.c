/*
 * ncc-validate - a costing practitioner's offline check of submission files
 * (cost, ledger, NHSSC, supplier) with the same rules as the nightly load.
 * No database. Exit 0 when every file is valid, 65 otherwise, 64 on bad
 * usage, 66 when an input file is missing, 74 when output cannot be written.
 */
#include <errno.h>
#include <getopt.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "ledger.h"
#include "log.h"
#include "refdata.h"
#include "report.h"
#include "schema.h"
#include "validate.h"

enum { EX_OK_ = 0, EX_USAGE_ = 64, EX_DATAERR_ = 65, EX_NOINPUT_ = 66, EX_SOFTWARE_ = 70,
       EX_IOERR_ = 74 };

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

static bool encoding_known(const char *name)
{
    if (!name || strcmp(name, "auto") == 0)
        return true;
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
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
    const char *rejects_path = NULL, *reference = NULL, *schemas_dir = NULL, *kind = NULL;
    const char *encoding = NULL, *mtfm_flag = NULL, *tol_flag = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'r': rejects_path = optarg; break;
        case 'R': reference = optarg; break;
        case 'S': schemas_dir = optarg; break;
        case 'k': kind = optarg; break;
        case 'e': encoding = optarg; break;
        case 'm': mtfm_flag = optarg; break;
        case 'l': tol_flag = optarg; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return EX_OK_;
        case 'V': printf("ncc-validate %s\n", NCC_VERSION); return EX_OK_;
        default: usage(stderr); return EX_USAGE_;
        }
    }
    if (optind >= argc) {
        ncc_error("no input file given");
        usage(stderr);
        return EX_USAGE_;
    }
    if (!encoding_known(encoding)) {
        ncc_error("unknown encoding \"%s\": use auto, UTF-8 or a name iconv knows "
                  "(iconv -l lists them)", encoding);
        return EX_USAGE_;
    }
    const char *mtfm_code = ncc_config_get("mtfm_code", mtfm_flag, "MTFM");
    char mtfm_upper[32];
    size_t ml = strlen(mtfm_code);
    if (ml == 0 || ml >= sizeof mtfm_upper) {
        ncc_error("the MTFM collection resource code must be 1 to 20 characters");
        return EX_USAGE_;
    }
    for (size_t i = 0; i <= ml; i++)
        mtfm_upper[i] = (mtfm_code[i] >= 'a' && mtfm_code[i] <= 'z') ? (char)(mtfm_code[i] - 32)
                                                                     : mtfm_code[i];
    ncc_money tolerance;
    const char *tol_text = ncc_config_get("ledger_tolerance", tol_flag, "0.01");
    if (ncc_ledger_tolerance_parse(tol_text, &tolerance) < 0) {
        ncc_error("ledger tolerance \"%s\" must be a fraction such as 0.01", tol_text);
        return EX_USAGE_;
    }

    char err[1024];
    ncc_schema_set schemas;
    if (ncc_schema_set_load(ncc_config_get("schema_dir", schemas_dir, NULL), &schemas, err,
                            sizeof err) < 0) {
        ncc_error("%s", err);
        return EX_SOFTWARE_;
    }
    if (kind && !ncc_schema_find(&schemas, kind)) {
        ncc_error("unknown kind \"%s\": use cost, ledger, nhssc or supplier", kind);
        ncc_schema_set_free(&schemas);
        return EX_USAGE_;
    }
    ncc_refdata *ref = ncc_refdata_load(ncc_config_get("reference_dir", reference, NULL), err,
                                        sizeof err);
    if (!ref) {
        ncc_error("%s", err);
        ncc_schema_set_free(&schemas);
        return reference ? EX_NOINPUT_ : EX_SOFTWARE_;
    }
    int status = EX_OK_;
    run_ctx rc = {NULL, NULL};
    if (rejects_path) {
        rc.rejects = ncc_rejects_open(rejects_path, err, sizeof err);
        if (!rc.rejects) {
            ncc_error("%s", err);
            ncc_refdata_free(ref);
            ncc_schema_set_free(&schemas);
            return EX_IOERR_;
        }
    }
    int nfiles = argc - optind;
    ncc_file_result *results = calloc((size_t)nfiles, sizeof *results);
    if (!results) {
        ncc_error("out of memory");
        return EX_SOFTWARE_;
    }
    ncc_validate_config cfg = {&schemas, ref, kind, encoding, mtfm_upper, 1000};
    ncc_sink sink = {&rc, NULL, on_issue};
    bool missing = false;
    for (int i = 0; i < nfiles; i++) {
        const char *path = argv[optind + i];
        struct stat st;
        if (strcmp(path, "-") != 0 && stat(path, &st) != 0 && errno == ENOENT)
            missing = true;
        rc.file = path;
        ncc_info("checking \"%s\"", path);
        if (ncc_validate_file(path, &cfg, &sink, &results[i]) < 0) {
            ncc_error("out of memory while checking \"%s\"", path);
            status = EX_SOFTWARE_;
        }
    }
    /* ledger files validated in the same call: check cost files against them */
    int nledger = 0;
    for (int i = 0; i < nfiles; i++)
        if (results[i].schema && strcmp(results[i].schema->kind, "ledger") == 0 &&
            !results[i].nfile_errors)
            nledger += results[i].ntotals;
    if (nledger) {
        ncc_total *ledger = calloc((size_t)nledger, sizeof *ledger);
        int n = 0;
        for (int i = 0; ledger && i < nfiles; i++)
            if (results[i].schema && strcmp(results[i].schema->kind, "ledger") == 0 &&
                !results[i].nfile_errors)
                for (int t = 0; t < results[i].ntotals; t++)
                    ledger[n++] = results[i].totals[t];
        for (int i = 0; ledger && i < nfiles; i++) {
            if (!results[i].schema || strcmp(results[i].schema->kind, "cost") != 0)
                continue;
            int before = results[i].nfile_errors;
            ncc_ledger_check(&results[i], ledger, n, tolerance);
            for (int k = before; k < results[i].nfile_errors; k++) {
                const ncc_kept_issue *ki = &results[i].file_errors[k];
                ncc_issue is = {ki->code, 0, ki->column, ki->message};
                ncc_rejects_write(rc.rejects, results[i].path, &is);
            }
        }
        free(ledger);
    }
    int wr = json ? ncc_report_json(stdout, results, nfiles) : ncc_report_text(stdout, results, nfiles);
    if (wr < 0) {
        ncc_error("cannot write the report: %s", strerror(errno));
        status = EX_IOERR_;
    }
    if (ncc_rejects_close(rc.rejects) < 0) {
        ncc_error("cannot write the rejects file \"%s\"", rejects_path);
        status = EX_IOERR_;
    }
    if (status == EX_OK_) {
        for (int i = 0; i < nfiles; i++)
            if (strcmp(ncc_file_result_status(&results[i]), "valid") != 0)
                status = EX_DATAERR_;
        if (missing)
            status = EX_NOINPUT_;
    }
    for (int i = 0; i < nfiles; i++)
        ncc_file_result_free(&results[i]);
    free(results);
    ncc_refdata_free(ref);
    ncc_schema_set_free(&schemas);
    return status;
}
