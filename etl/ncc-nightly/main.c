/*
 * ncc-nightly - the unattended nightly run: loads every file that arrived in
 * the inbox, reconciles and refreshes the benchmarks once, and tells the
 * result by exit status and one summary line.
 *
 * Every file ends in exactly one state, recorded in audit.file_load:
 * loaded or unchanged (moved to the archive), or quarantined (moved to the
 * quarantine directory with NAME.errors.csv). A file is moved only after its
 * transaction has committed, so a crash at any moment leaves either the old
 * submission or the new one, and the next run finishes the job (a file
 * loaded but not yet moved is then recorded as unchanged and archived).
 *
 * Files still being written are not taken: names ending in .part or .tmp,
 * hidden names, and files modified less than --min-age seconds ago.
 * Order: reference data, then ledger, cost, NHSSC and supplier files (by
 * name within a kind), then files of no known kind (quarantined).
 * A PostgreSQL advisory lock keeps two runs apart (exit 75).
 *
 * Exit status: 0 every file loaded or unchanged; 65 a file was quarantined;
 * 64 usage; 66 a directory is missing; 69 database unavailable (files not
 * yet loaded stay in the inbox); 70 internal error; 74 a file could not be
 * moved, or changed while it was loaded (it stays in the inbox, nothing of it
 * loaded); 75 another run holds the lock.
 *
 * This file parses the options and runs the night's steps in order (steps[]);
 * loads.c loads, moves and counts the files. Which files are taken and where
 * they go is app/inbox.h, the worker processes app/workers.h, their turns
 * app/sched.h, the lock and audit.run warehouse/runlog.h.
 */

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/cli.h"
#include "app/inbox.h"
#include "app/workers.h"
#include "nightly.h"
#include "rules/ledger.h"
#include "shared/config.h"
#include "shared/fileutil.h"
#include "shared/log.h"
#include "warehouse/db.h"
#include "warehouse/reconcile.h"
#include "warehouse/runlog.h"
#include "warehouse/warehouse.h"

#define CONTINUE (-1) /* parse_options: go on with the run */

/* The night: its settings, connection, files and what became of them. */
typedef struct night {
    nightly_settings st;
    PGconn *conn;
    ncc_inbox in;
    nightly_tally t;
    double t0;
} night;

/* Options as given (NULL when absent), before the config file and defaults. */
typedef struct given {
    const char *inbox, *archive, *quarantine, *jobs, *min_age;
} given;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-nightly [OPTION]...\n"
            "Load every file that arrived in the inbox into the warehouse, then reconcile and\n"
            "refresh the benchmarks. Prints one summary line; the exit status tells the result.\n"
            "\n"
            "  --dbname CONNINFO      connection string or URI (default: PG* environment, else\n"
            "                         the project's local cluster)\n"
            "  --inbox DIR            where files arrive (default var/inbox)\n"
            "  --archive DIR          loaded and unchanged files go to DIR/YYYY-MM-DD/\n"
            "                         (default var/archive)\n"
            "  --quarantine DIR       rejected files and NAME.errors.csv (default var/quarantine)\n"
            "  --reference DIR        reference CSVs, loaded into ref at the start of the run\n"
            "  --jobs N               load up to N independent files at once (default 1)\n"
            "  --min-age SECONDS      leave files younger than this for the next run (default 60)\n"
            "  --max-reject-rate R    share of rows a file may lose and still load (default 0)\n"
            "  --json                 print a JSON run report instead of the summary line\n"
            "  -v, --verbose          one line per file on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Files named *.part, *.tmp or .* are never taken: write NAME.part, then rename.\n"
            "Exit status: 0 all loaded or unchanged, 65 a file was quarantined, 64 usage,\n"
            "66 directory missing, 69 database unavailable, 70 internal error, 74 a file could\n"
            "not be moved or changed while it was loaded (left in the inbox), 75 another\n"
            "nightly run holds the lock.\n");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The word of the summary line and of audit.run.status for an exit status. */
static const char *status_word(int exit_code)
{
    if (exit_code == NCC_EXIT_OK)
        return "ok";
    return exit_code == NCC_EXIT_DATAERR ? "quarantined" : "failed";
}

/* ---- options ---------------------------------------------------------------------------- */

/* Settings from the options, NCC_* environment, config file and defaults: CONTINUE, or the
 * exit status (usage errors are said on stderr). */
static int resolve_settings(nightly_settings *st, const given *g)
{
    st->inbox = ncc_config_get("inbox", g->inbox, NCC_DEFAULT_VAR_DIR "/inbox");
    st->archive = ncc_config_get("archive", g->archive, NCC_DEFAULT_VAR_DIR "/archive");
    st->quarantine =
        ncc_config_get("quarantine", g->quarantine, NCC_DEFAULT_VAR_DIR "/quarantine");
    const char *jobs_text = ncc_config_get("jobs", g->jobs, "1");
    char *end;
    long jn = strtol(jobs_text, &end, 10);
    if (*end || jn < 1 || jn > NCC_WORKERS_MAX) {
        ncc_error("--jobs must be a whole number from 1 to %d", NCC_WORKERS_MAX);
        return NCC_EXIT_USAGE;
    }
    st->jobs = (int)jn;
    const char *age_text = ncc_config_get("min_age", g->min_age, "60");
    st->min_age = strtol(age_text, &end, 10);
    if (*end || st->min_age < 0) {
        ncc_error("--min-age must be a number of seconds");
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    if (st->dbname && ncc_db_check_conninfo(st->dbname, err, sizeof err) < 0) {
        ncc_error("invalid --dbname: %s", err);
        return NCC_EXIT_USAGE;
    }
    const char *rt = ncc_config_get("reconcile_tolerance", NULL, "0.10");
    if (ncc_ledger_tolerance_parse(rt, &st->reconcile_tolerance) < 0) {
        ncc_error("reconcile tolerance \"%s\" must be a fraction such as 0.10", rt);
        return NCC_EXIT_USAGE;
    }
    return CONTINUE;
}

/* The command line into st and flags: CONTINUE, or the exit status (--help, --version,
 * usage errors). */
static int parse_options(int argc, char **argv, nightly_settings *st, ncc_cli_flags *flags)
{
    static const struct option opts[] = {
        {"dbname", required_argument, NULL, 'd'},
        {"inbox", required_argument, NULL, 'i'},
        {"archive", required_argument, NULL, 'a'},
        {"quarantine", required_argument, NULL, 'q'},
        {"reference", required_argument, NULL, 'R'},
        {"jobs", required_argument, NULL, 'j'},
        {"min-age", required_argument, NULL, 'g'},
        {"max-reject-rate", required_argument, NULL, 'x'},
        {"json", no_argument, NULL, 'J'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    memset(st, 0, sizeof *st);
    memset(flags, 0, sizeof *flags);
    given g = {0};
    int c;
    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (c) {
        case 'd': st->dbname = optarg; break;
        case 'i': g.inbox = optarg; break;
        case 'a': g.archive = optarg; break;
        case 'q': g.quarantine = optarg; break;
        case 'R': flags->reference = optarg; break;
        case 'j': g.jobs = optarg; break;
        case 'g': g.min_age = optarg; break;
        case 'x': flags->max_reject_rate = optarg; break;
        case 'J': st->json = true; break;
        case 'v': ncc_log_set_level(ncc_log_get_level() + 1); break;
        case 'h': usage(stdout); return NCC_EXIT_OK;
        case 'V': printf("ncc-nightly %s\n", NCC_VERSION); return NCC_EXIT_OK;
        default: usage(stderr); return NCC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ncc_error("unexpected argument \"%s\": the files come from --inbox", argv[optind]);
        return NCC_EXIT_USAGE;
    }
    return resolve_settings(st, &g);
}

/* The inbox must exist (66); the archive and quarantine are made when missing (74). */
static int check_directories(const nightly_settings *st)
{
    struct stat sb;
    if (stat(st->inbox, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        ncc_error("inbox \"%s\" is not a directory", st->inbox);
        return NCC_EXIT_NOINPUT;
    }
    if (ncc_fileutil_mkdirs(st->archive) < 0 || ncc_fileutil_mkdirs(st->quarantine) < 0) {
        ncc_error("cannot create \"%s\" or \"%s\": %s", st->archive, st->quarantine,
                  strerror(errno));
        return NCC_EXIT_IOERR;
    }
    return NCC_EXIT_OK;
}

/* ---- the steps of the night: each returns NCC_EXIT_OK to go on, or the exit status ----- */

/* Connect, and take the nightly lock: another run holding it is 75. */
static int take_lock(night *nt)
{
    char err[1024];
    nt->conn = ncc_db_connect(nt->st.dbname, err, sizeof err);
    if (!nt->conn) {
        ncc_error("database unavailable: %s", err);
        return NCC_EXIT_UNAVAILABLE;
    }
    bool locked;
    if (ncc_runlog_try_lock(nt->conn, &locked, err, sizeof err) < 0) {
        ncc_error("database unavailable: %s", err);
        return NCC_EXIT_UNAVAILABLE;
    }
    if (!locked) {
        ncc_error("another nightly run holds the lock: try again later");
        return NCC_EXIT_TEMPFAIL;
    }
    return NCC_EXIT_OK;
}

/* Errors files of runs that were killed (we hold the lock: no other run writes them). */
static int clean_quarantine(night *nt)
{
    ncc_inbox_remove_stale(nt->st.quarantine);
    return NCC_EXIT_OK;
}

/* Pending migrations, then the reference data of --reference. */
static int prepare_warehouse(night *nt)
{
    char err[1024];
    int db_failed;
    if (ncc_warehouse_prepare(nt->conn, nt->st.env.reference_dir, true, &db_failed, err,
                              sizeof err) < 0) {
        ncc_error("%s", err);
        return db_failed ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
    }
    return NCC_EXIT_OK;
}

/* The run's audit.run row; runs that never ended are marked interrupted. */
static int begin_run(night *nt)
{
    char err[1024];
    if (ncc_runlog_begin(nt->conn, &nt->st.run_id, err, sizeof err) < 0) {
        ncc_error("database unavailable: %s", err);
        return NCC_EXIT_UNAVAILABLE;
    }
    return NCC_EXIT_OK;
}

/* The files that are ready, in load order. */
static int scan_inbox(night *nt)
{
    if (ncc_inbox_scan(nt->st.inbox, nt->st.min_age, &nt->st.env.vcfg, &nt->in) < 0) {
        ncc_error("cannot read the inbox \"%s\": %s", nt->st.inbox, strerror(errno));
        return NCC_EXIT_IOERR;
    }
    return NCC_EXIT_OK;
}

/* Every file loaded, moved and counted; the database failing on the way is 69. */
static int load_files(night *nt)
{
    nightly_tally *t = &nt->t;
    nightly_load_files(&nt->st, nt->conn, &nt->in, t);
    if (ncc_log_is_tty() && nt->in.n)
        fputc('\n', stderr);
    t->left = nt->in.n - t->loaded - t->unchanged - t->quarantined;
    if (t->db_failed || PQstatus(nt->conn) != CONNECTION_OK) {
        ncc_error("database unavailable: %s",
                  t->db_message[0] ? t->db_message : PQerrorMessage(nt->conn));
        return NCC_EXIT_UNAVAILABLE;
    }
    return NCC_EXIT_OK;
}

/* Reconciliation, benchmarks and adoption marts, once for the night: for what changed when
 * only cost files were loaded since the last refresh, else in full
 * (sql/013_incremental_refresh.sql). */
static int reconcile(night *nt)
{
    char err[1024];
    int status = NCC_EXIT_OK;
    ncc_recon_row *rows = NULL;
    int nrows = 0;
    ncc_refresh_info info;
    ncc_money tol = nt->st.reconcile_tolerance;
    double t0 = now_seconds();
    if (ncc_reconcile_refresh(nt->conn, tol, true, &rows, &nrows, &info, err, sizeof err) < 0) {
        ncc_error("reconciliation failed: %s", err);
        status = PQstatus(nt->conn) != CONNECTION_OK ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
    } else {
        ncc_info("marts: %s refresh (%s), %d reconciliation rows, %.2f s",
                 info.full ? "full" : "incremental", info.why, nrows, now_seconds() - t0);
    }
    free(rows);
    return status;
}

/* The night's result once everything ran: 74 a file not moved or changed, 65 a file
 * quarantined, else 0. */
static int judge(night *nt)
{
    if (nt->t.move_failed || nt->t.changed)
        return NCC_EXIT_IOERR;
    return nt->t.quarantined ? NCC_EXIT_DATAERR : NCC_EXIT_OK;
}

/* The order of the night (pg_upgrade's main() is such a list). */
static int (*const steps[])(night *) = {
    take_lock,         /* connect; 75 when another run holds the lock */
    clean_quarantine,  /* errors files of killed runs */
    prepare_warehouse, /* migrations, reference data */
    begin_run,         /* audit.run */
    scan_inbox,        /* the files taken, in load order */
    load_files,        /* each loaded, moved, counted */
    reconcile,         /* reconciliation and benchmarks */
    judge,             /* the exit status of a night that ran to the end */
};

/* ---- the end: audit row, then the summary line or the --json report -------------------- */

static void print_json(const night *nt, int exit_code, double secs, json_object *files)
{
    const nightly_tally *t = &nt->t;
    json_object *root = json_object_new_object();
    json_object_object_add(root, "ok", json_object_new_boolean(exit_code == NCC_EXIT_OK));
    json_object_object_add(root, "exit_status", json_object_new_int(exit_code));
    json_object_object_add(root, "run_id", json_object_new_int64(nt->st.run_id));
    json_object_object_add(root, "files_seen", json_object_new_int(nt->in.n));
    json_object_object_add(root, "loaded", json_object_new_int(t->loaded));
    json_object_object_add(root, "unchanged", json_object_new_int(t->unchanged));
    json_object_object_add(root, "quarantined", json_object_new_int(t->quarantined));
    json_object_object_add(root, "left_in_inbox", json_object_new_int(t->left));
    json_object_object_add(root, "rows_loaded", json_object_new_int64(t->rows_loaded));
    json_object_object_add(root, "rows_rejected", json_object_new_int64(t->rows_rejected));
    json_object_object_add(root, "seconds", json_object_new_double(secs));
    json_object_object_add(root, "files", files);
    puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
}

/* End the audit row and print the result; returns the exit status (74 when stdout fails). */
static int finish(night *nt, int exit_code)
{
    const nightly_tally *t = &nt->t;
    int n = nt->in.n;
    char err[1024];
    if (ncc_runlog_end(nt->conn, nt->st.run_id, status_word(exit_code), n, t->rows_loaded,
                       exit_code, err, sizeof err) < 0)
        ncc_debug("audit.run not ended: %s", err);
    double secs = now_seconds() - nt->t0;
    if (nt->st.json) {
        print_json(nt, exit_code, secs, nt->t.files);
        nt->t.files = NULL; /* freed with the report */
    } else {
        printf("ncc-nightly: %s: %d file%s (%d loaded, %d unchanged, %d quarantined, %d left), "
               "%lld rows loaded, %lld rejected, %.1f s\n",
               status_word(exit_code), n, n == 1 ? "" : "s", t->loaded, t->unchanged,
               t->quarantined, t->left, t->rows_loaded, t->rows_rejected, secs);
    }
    if (fflush(stdout) != 0 && exit_code == NCC_EXIT_OK)
        exit_code = NCC_EXIT_IOERR;
    return exit_code;
}

/* The night's date (the archive's directory), clock and empty tally. */
static void night_begin(night *nt)
{
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(nt->st.day, sizeof nt->st.day, "%Y-%m-%d", &tmv);
    nt->t0 = now_seconds();
    nt->conn = NULL;
    nt->in = (ncc_inbox){NULL, 0};
    memset(&nt->t, 0, sizeof nt->t);
    nt->t.files = nt->st.json ? json_object_new_array() : NULL;
}

static void night_free(night *nt)
{
    ncc_inbox_free(&nt->in);
    json_object_put(nt->t.files);
    PQfinish(nt->conn);
    ncc_cli_env_close(&nt->st.env);
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    night nt;
    ncc_cli_flags flags;
    int status = parse_options(argc, argv, &nt.st, &flags);
    if (status != CONTINUE)
        return status;
    if ((status = check_directories(&nt.st)) != NCC_EXIT_OK)
        return status;
    if ((status = ncc_cli_env_open(&nt.st.env, &flags)) != NCC_EXIT_OK)
        return status;
    night_begin(&nt);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && status == NCC_EXIT_OK; i++)
        status = steps[i](&nt);
    if (status != NCC_EXIT_TEMPFAIL) /* the run holding the lock tells the night */
        status = finish(&nt, status);
    night_free(&nt);
    return status;
}
