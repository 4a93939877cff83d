/*
 * ncc-normalise - MTFM attribution on its own: for cost files, every MTFM
 * line (collection_resource = the configured MTFM code) is attributed to a
 * technology as contract 2.1 says (explicit id with aliases normalised, else
 * the procedure map when it names exactly one technology, else
 * UNATTRIBUTED), and the aggregates per fin_year, org_code and technology
 * are printed as CSV: fin_year,org_code,technology_id,lines,units,cost.
 * The nightly load applies the same attribution in its single pass; this
 * stage lets a practitioner or analyst rerun it alone.
 * Exit 0 when every file is valid, 65 otherwise (aggregates cover the
 * valid rows), 64 usage, 66 missing input, 74 output error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "shared/log.h"
#include "rules/validate.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-normalise [OPTION]... FILE...\n"
            "Attribute the MTFM cost lines of cost submissions to technologies and print the\n"
            "aggregates: fin_year,org_code,technology_id,lines,units,cost (CSV).\n"
            "\n"
            "  -o, --output FILE      write the CSV to FILE instead of stdout\n"
            "  --reference DIR        reference CSVs (technologies, aliases, procedure map)\n"
            "  --mtfm-code CODE       collection resource code of MTFM lines (default MTFM,\n"
            "                         or NCC_MTFM_CODE, or mtfm_code in the config file)\n"
            "  --encoding NAME        auto (default), UTF-8 or an iconv name\n"
            "  -v, --verbose          more messages on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 all valid, 65 data errors, 64 usage, 66 missing input, 74 output.\n");
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"reference", required_argument, NULL, 'R'},
        {"mtfm-code", required_argument, NULL, 'm'},
        {"encoding", required_argument, NULL, 'e'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    ncc_cli_flags flags = {0};
    const char *output = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:v", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'R': flags.reference = optarg; break;
        case 'm': flags.mtfm_code = optarg; break;
        case 'e': flags.encoding = optarg; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-normalise %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        ncc_error("no input file given");
        usage(stderr);
        return NCC_EXIT_USAGE;
    }
    flags.kind = "cost";
    ncc_cli_env env;
    int status = ncc_cli_env_open(&env, &flags);
    if (status != NCC_EXIT_OK)
        return status;
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        ncc_error("cannot create \"%s\": %s", output, strerror(errno));
        ncc_cli_env_close(&env);
        return NCC_EXIT_IOERR;
    }
    fputs("fin_year,org_code,technology_id,lines,units,cost\n", out);
    for (int i = optind; i < argc; i++) {
        ncc_file_result res;
        if (ncc_validate_file(argv[i], &env.vcfg, NULL, &res) < 0) {
            ncc_error("out of memory");
            status = NCC_EXIT_SOFTWARE;
            break;
        }
        const char *st = ncc_file_result_status(&res);
        if (strcmp(st, "valid") != 0) {
            ncc_warning("\"%s\" is %s: %lld rows rejected%s%s (run ncc-validate for details)",
                        argv[i], st, res.rows_rejected, res.nfile_errors ? ", " : "",
                        res.nfile_errors ? res.file_errors[0].message : "");
            if (status == NCC_EXIT_OK)
                status = res.nfile_errors && res.file_errors[0].code == NCC_F_UNREADABLE
                             ? NCC_EXIT_NOINPUT
                             : NCC_EXIT_DATAERR;
        }
        for (int k = 0; k < res.nmtfm; k++) {
            char m[NCC_MONEY_BUFSIZE];
            ncc_money_format(res.mtfm[k].amount, m, sizeof m);
            fprintf(out, "%s,%s,%s,%lld,%lld,%s\n", res.mtfm[k].fin_year, res.mtfm[k].org_code,
                    res.mtfm[k].technology_id, res.mtfm[k].rows, res.mtfm[k].units, m);
        }
        ncc_file_result_free(&res);
    }
    if (fflush(out) != 0 || (output && fclose(out) != 0)) {
        ncc_error("cannot write the aggregates: %s", strerror(errno));
        status = NCC_EXIT_IOERR;
    }
    ncc_cli_env_close(&env);
    return status;
}
