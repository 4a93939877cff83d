/* Unit tests of ledger: the exact +/- tolerance check of contract 2.2. */
#include <criterion/criterion.h>
#include <string.h>

#include "rules/ledger.h"

static ncc_money m(const char *s)
{
    ncc_money v;
    cr_assert_neq(ncc_money_parse(s, strlen(s), &v), NCC_PARSE_BAD, "%s", s);
    return v;
}

Test(ledger, tolerance_boundary_is_inside)
{
    ncc_money t;
    cr_assert_eq(ncc_ledger_tolerance_parse("0.01", &t), 0);
    cr_assert(ncc_ledger_within(m("1010.00"), m("1000.00"), t), "exactly 1 %% is allowed");
    cr_assert(ncc_ledger_within(m("990.00"), m("1000.00"), t));
    cr_assert_not(ncc_ledger_within(m("1010.0001"), m("1000.00"), t));
    cr_assert_not(ncc_ledger_within(m("989.9999"), m("1000.00"), t));
    cr_assert(ncc_ledger_within(m("0"), m("0"), t));
    cr_assert_not(ncc_ledger_within(m("0.0001"), m("0"), t));
    cr_assert_eq(ncc_ledger_tolerance_parse("-0.1", &t), -1);
    cr_assert_eq(ncc_ledger_tolerance_parse("1%", &t), -1);
}

Test(ledger, check_adds_file_error_per_failing_group)
{
    ncc_file_result res;
    memset(&res, 0, sizeof res);
    ncc_total totals[2] = {{"202324", "RAA", "APC", 10, 0}, {"202324", "RAA", "OP", 5, 0}};
    totals[0].amount = m("1020.00");
    totals[1].amount = m("500.00");
    res.totals = totals;
    res.ntotals = 2;
    ncc_total ledger[2] = {{"202324", "RAA", "APC", 1, 0}, {"202324", "RAA", "OP", 1, 0}};
    ledger[0].amount = m("1000.00");
    ledger[1].amount = m("500.00");
    ncc_money t;
    ncc_ledger_tolerance_parse("0.01", &t);
    cr_assert_eq(ncc_ledger_check(&res, ledger, 2, t), 1);
    cr_assert_eq(res.nfile_errors, 1);
    cr_assert_eq(res.file_errors[0].code, NCC_F_LEDGER_TOLERANCE);
    cr_assert(strstr(res.file_errors[0].message, "1020.0000") != NULL, "%s", res.file_errors[0].message);
    cr_assert(strstr(res.file_errors[0].message, "2.00 %") != NULL, "%s", res.file_errors[0].message);
    cr_assert_str_eq(ncc_file_result_status(&res), "rejected");
    res.totals = NULL;
    res.ntotals = 0;
    ncc_file_result_free(&res);
}
