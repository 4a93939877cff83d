/*
 * config.h - settings resolved in one order everywhere: command-line flag,
 * then the NCC_<KEY> environment variable, then the config file, then the
 * built-in default.
 *
 * The config file is $NCC_CONFIG, else <project>/ncc.conf when it exists:
 * lines "key = value", '#' comments, keys as below in lower case.
 *   mtfm_code           collection resource code of MTFM lines (MTFM)
 *   ledger_tolerance    allowed |submitted - ledger| / ledger (0.01)
 *   reconcile_tolerance reconciliation MATCHED tolerance (0.10)
 *   max_reject_rate     share of rejected rows a load accepts (0)
 *   reference_dir, schema_dir, inbox, archive, quarantine
 */
#ifndef NCC_CONFIG_H
#define NCC_CONFIG_H

/*
 * The value for key: flag when non-NULL, else environment, else config
 * file, else def. Borrowed: valid until the next call for the same key
 * or program exit.
 */
const char *ncc_config_get(const char *key, const char *flag, const char *def);

#endif
