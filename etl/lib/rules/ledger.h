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

#endif
