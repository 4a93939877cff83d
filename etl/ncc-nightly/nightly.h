/*
 * nightly.h - what the files of ncc-nightly share: the run's settings, and the tally of
 * what became of the inbox's files (main.c prints it; loads.c fills it).
 */
#ifndef NCC_NIGHTLY_H
#define NCC_NIGHTLY_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "app/cli.h"
#include "app/inbox.h"
#include "rules/field.h"

/* The run's settings, resolved (flag > NCC_* environment > config file > default). */
typedef struct nightly_settings {
    const char *dbname, *inbox, *archive, *quarantine;
    int jobs;
    long min_age;
    bool json;
    ncc_cli_env env;
    ncc_money reconcile_tolerance;
    long long run_id; /* audit.run row, once begun */
    char day[16];     /* YYYY-MM-DD: the archive's directory for this run */
} nightly_settings;

/* What became of the files so far. */
typedef struct nightly_tally {
    int loaded, unchanged, quarantined, left;
    long long rows_loaded, rows_rejected;
    bool move_failed, db_failed;
    bool changed; /* a file changed while it was loaded: left in the inbox */
    char db_message[512];
    json_object *files; /* the --json report's files (owned), or NULL without --json */
} nightly_tally;

/*
 * Load every file of the inbox in its order, one at a time on conn (jobs 1) or with
 * st->jobs worker processes, each on its own connection; move each file once its
 * transaction has committed, and count it in t. Stops starting files once the database
 * has failed (t->db_failed, t->db_message).
 */
void nightly_load_files(const nightly_settings *st, PGconn *conn, const ncc_inbox *in,
                        nightly_tally *t);

#endif
