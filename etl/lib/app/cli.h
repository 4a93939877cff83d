/*
 * cli.h - what the data stages set up the same way: schemas, reference
 * data, the MTFM code and the tolerances, each resolved flag > NCC_*
 * environment > config file > default (config.h), with errors reported on
 * stderr and mapped to the contract's exit status.
 */
#ifndef NCC_CLI_H
#define NCC_CLI_H

#include "rules/field.h"
#include "rules/refdata.h"
#include "rules/schema.h"
#include "rules/validate.h"

/* sysexits values of contract section 6 */
enum {
    NCC_EXIT_OK = 0,
    NCC_EXIT_USAGE = 64,
    NCC_EXIT_DATAERR = 65,
    NCC_EXIT_NOINPUT = 66,
    NCC_EXIT_UNAVAILABLE = 69,
    NCC_EXIT_SOFTWARE = 70,
    NCC_EXIT_IOERR = 74,
    NCC_EXIT_TEMPFAIL = 75
};

/* Flags as given (NULL when absent). */
typedef struct ncc_cli_flags {
    const char *reference;
    const char *schemas;
    const char *kind;
    const char *encoding;
    const char *mtfm_code;
    const char *ledger_tolerance;
    const char *max_reject_rate;
} ncc_cli_flags;

typedef struct ncc_cli_env {
    ncc_schema_set schemas;
    ncc_refdata *ref;
    char mtfm_code[32];
    ncc_money ledger_tolerance;
    ncc_money max_reject_rate;
    ncc_validate_config vcfg;
    const char *reference_dir; /* resolved, borrowed from ref */
} ncc_cli_env;

/* Set up; returns NCC_EXIT_OK or the exit status after printing why. */
int ncc_cli_env_open(ncc_cli_env *env, const ncc_cli_flags *flags);
void ncc_cli_env_close(ncc_cli_env *env);

#endif
