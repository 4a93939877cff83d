/*
 * ledger.h - the ledger reconciliation check of contract section 2.2: the
 * submitted total cost of each fin_year/org/feed must be within the
 * tolerance (default 1 %) of the trust's audited ledger cost.
 */
#ifndef NCC_LEDGER_H
#define NCC_LEDGER_H

#include "rules/field.h"
#include "rules/validate.h"

/* Parse a tolerance fraction such as "0.01"; -1 when not a number >= 0. */
int ncc_ledger_tolerance_parse(const char *text, ncc_money *tolerance);

/* True when |submitted - ledger| <= tolerance x ledger (exact arithmetic). */
bool ncc_ledger_within(ncc_money submitted, ncc_money ledger, ncc_money tolerance);

/*
 * Compare each cost total of res with the ledger rows (the totals of ledger
 * files: amount = ledger_cost) and add F_LEDGER_TOLERANCE to res for every
 * group outside the tolerance. Returns how many groups failed.
 */
int ncc_ledger_check(ncc_file_result *res, const ncc_total *ledger, int nledger,
                     ncc_money tolerance);

/*
 * The check of contract 5.1 when ledger files come with cost files in one call (ncc-validate,
 * the browser validator): the totals of every ledger file without a file error are the
 * ledger, and each cost file of results[0..n) is checked against it (ncc_ledger_check).
 * added (may be NULL) is called for every F_LEDGER_TOLERANCE added, for the rejects CSV.
 * Returns 0, or -1 when out of memory (nothing checked then).
 */
typedef void (*ncc_ledger_added)(void *ctx, const ncc_file_result *res, const ncc_kept_issue *ki);
int ncc_ledger_check_files(ncc_file_result *results, int n, ncc_money tolerance,
                           ncc_ledger_added added, void *ctx);

#endif
