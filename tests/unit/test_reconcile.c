/* Unit tests of reconcile: the status rule of contract 5.2, boundaries included. */
#include <criterion/criterion.h>

#include "warehouse/reconcile.h"

#define T10 1000 /* 0.10 scaled by 10^4 */

Test(reconcile, statuses_first_that_applies)
{
    cr_assert_str_eq(ncc_recon_status("MTG58", 0, 5, T10), "NO_COST_REPORTED");
    cr_assert_str_eq(ncc_recon_status("MTG58", 5, 0, T10), "NO_PURCHASES");
    cr_assert_str_eq(ncc_recon_status("MTG58", 5, -2, T10), "NO_PURCHASES");
    cr_assert_str_eq(ncc_recon_status("MTG58", 40, 40, T10), "MATCHED");
    cr_assert_str_eq(ncc_recon_status("MTG58", 10, 7, T10), "COST_EXCEEDS_PURCHASES");
    cr_assert_str_eq(ncc_recon_status("MTG58", 7, 10, T10), "PURCHASES_EXCEED_COST");
    cr_assert_str_eq(ncc_recon_status("UNATTRIBUTED", 3, 0, T10), "UNATTRIBUTED");
    cr_assert_str_eq(ncc_recon_status("MTG58", 0, 0, T10), "MATCHED", "nothing either side");
}

Test(reconcile, tolerance_boundary_is_matched_one_unit_over_is_not)
{
    /* difference exactly 10 % of the larger side */
    cr_assert_str_eq(ncc_recon_status("MTG37", 90, 100, T10), "MATCHED");
    cr_assert_str_eq(ncc_recon_status("MTG37", 100, 90, T10), "MATCHED");
    /* one unit over */
    cr_assert_str_eq(ncc_recon_status("MTG74", 89, 100, T10), "PURCHASES_EXCEED_COST");
    cr_assert_str_eq(ncc_recon_status("MTG74", 100, 89, T10), "COST_EXCEEDS_PURCHASES");
    /* tolerance 0: only equality matches; tolerance 1: anything positive matches */
    cr_assert_str_eq(ncc_recon_status("MTG74", 100, 99, 0), "COST_EXCEEDS_PURCHASES");
    cr_assert_str_eq(ncc_recon_status("MTG74", 100, 1, 10000), "MATCHED");
    /* large counts do not overflow */
    cr_assert_str_eq(ncc_recon_status("MTG74", 900000000000000000LL, 1000000000000000000LL, T10),
                     "MATCHED");
}
