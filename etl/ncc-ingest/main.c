/*
 * ncc-ingest - the first stage on its own: read one file (any kind; gzip,
 * any encoding), validate it, and write its valid rows in canonical form as
 * PostgreSQL COPY text on stdout (or -o FILE), in the schema's column order
 * (--columns prints it). Errors go to stderr and to --rejects FILE.
 * Piped into `psql -c "COPY table (columns) FROM STDIN"` it loads by hand
 * what ncc-load loads; ncc-nightly runs the same code in one process.
 * Exit 0 valid, 65 data errors (the valid rows are still written), 64 usage,
 * 66 missing input, 74 output error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "output/copytext.h"
#include "shared/log.h"
#include "output/report.h"
#include "rules/validate.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-ingest [OPTION]... FILE\n"
            "Validate FILE and write its valid rows as canonical PostgreSQL COPY text.\n"
            "\n"
            "  -o, --output FILE      write the rows to FILE instead of stdout\n"
            "  --rejects FILE         write every error as CSV: file,line,column,code,message\n"
            "  --columns              print the kind's column list (needs --kind) and exit\n"
            "  --reference DIR        reference CSVs (default: the project's)\n"
            "  --schemas DIR          file kind definitions\n"
            "  --kind KIND            force the kind: cost, ledger, nhssc or supplier\n"
            "  --encoding NAME        auto (default), UTF-8 or an iconv name\n"
            "  --mtfm-code CODE       collection resource code of MTFM lines (default MTFM)\n"
            "  -v, --verbose          more messages on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 valid, 65 data errors, 64 usage, 66 missing input, 74 output error.\n");
}

typedef struct ingest {
    FILE *out;
    ncc_rejects *rejects;
    const char *file;
    bool failed;
} ingest;

static int on_row(void *ctx, const ncc_row *row)
{
    ingest *g = ctx;
    for (int i = 0; i < row->schema->ncols; i++) {
        if ((i && putc('\t', g->out) < 0) ||
            ncc_copy_fwrite_value(g->out, row->v[i].s, row->v[i].len) < 0)
            g->failed = true;
    }
    if (putc('\n', g->out) < 0)
        g->failed = true;
    return g->failed ? -1 : 0;
}

static void on_issue(void *ctx, const ncc_issue *is)
{
    ingest *g = ctx;
    if (ncc_code_level(is->code) != NCC_LEVEL_WARNING || ncc_log_get_level() >= NCC_LOG_INFO)
        ncc_log(ncc_code_level(is->code) == NCC_LEVEL_WARNING ? NCC_LOG_INFO : NCC_LOG_WARNING,
                NULL, NULL, "%s:%ld: %s %s", g->file, is->line, ncc_code_name(is->code),
                is->message);
    ncc_rejects_write(g->rejects, g->file, is);
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"rejects", required_argument, NULL, 'r'},
        {"columns", no_argument, NULL, 'c'},
        {"reference", required_argument, NULL, 'R'},
        {"schemas", required_argument, NULL, 'S'},
        {"kind", required_argument, NULL, 'k'},
        {"encoding", required_argument, NULL, 'e'},
        {"mtfm-code", required_argument, NULL, 'm'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    ncc_cli_flags flags = {0};
    const char *output = NULL, *rejects_path = NULL;
    bool columns = false;
    int c;
    while ((c = getopt_long(argc, argv, "o:v", opts, NULL)) != -1) {
        switch (c) {
        case 'o': output = optarg; break;
        case 'r': rejects_path = optarg; break;
        case 'c': columns = true; break;
        case 'R': flags.reference = optarg; break;
        case 'S': flags.schemas = optarg; break;
        case 'k': flags.kind = optarg; break;
        case 'e': flags.encoding = optarg; break;
        case 'm': flags.mtfm_code = optarg; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-ingest %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (columns ? !flags.kind : optind + 1 != argc) {
        ncc_error(columns ? "--columns needs --kind" : "give exactly one input file");
        usage(stderr);
        return NCC_EXIT_USAGE;
    }
    ncc_cli_env env;
    int status = ncc_cli_env_open(&env, &flags);
    if (status != NCC_EXIT_OK)
        return status;
    if (columns) {
        const ncc_schema *s = ncc_schema_find(&env.schemas, flags.kind);
        for (int i = 0; i < s->ncols; i++)
            printf("%s%s", i ? "," : "", s->cols[i].name);
        putchar('\n');
        ncc_cli_env_close(&env);
        return NCC_EXIT_OK;
    }
    char err[512];
    ingest g = {stdout, NULL, argv[optind], false};
    if (output && !(g.out = fopen(output, "w"))) {
        ncc_error("cannot create \"%s\": %s", output, strerror(errno));
        ncc_cli_env_close(&env);
        return NCC_EXIT_IOERR;
    }
    if (rejects_path && !(g.rejects = ncc_rejects_open(rejects_path, err, sizeof err))) {
        ncc_error("%s", err);
        ncc_cli_env_close(&env);
        return NCC_EXIT_IOERR;
    }
    ncc_sink sink = {&g, on_row, on_issue};
    ncc_file_result res;
    if (ncc_validate_file(argv[optind], &env.vcfg, &sink, &res) < 0) {
        ncc_error("out of memory");
        status = NCC_EXIT_SOFTWARE;
    } else if (g.failed || fflush(g.out) != 0 || (output && fclose(g.out) != 0)) {
        ncc_error("cannot write the rows: %s", strerror(errno));
        status = NCC_EXIT_IOERR;
    } else if (strcmp(ncc_file_result_status(&res), "valid") != 0) {
        bool missing = res.nfile_errors && res.file_errors[0].code == NCC_F_UNREADABLE &&
                       strstr(res.file_errors[0].message, "No such file");
        status = missing ? NCC_EXIT_NOINPUT : NCC_EXIT_DATAERR;
    }
    if (ncc_rejects_close(g.rejects) < 0 && status == NCC_EXIT_OK)
        status = NCC_EXIT_IOERR;
    ncc_info("%lld rows read, %lld valid, %lld rejected", res.rows_read, res.rows_valid,
             res.rows_rejected);
    ncc_file_result_free(&res);
    ncc_cli_env_close(&env);
    return status;
}
