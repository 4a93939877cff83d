/* Unit tests of reconcile: the status rule of contract 5.2, boundaries included. */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
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

Test(reconcile, triangulation_csv_has_the_contract_columns_and_empty_nulls)
{
    ncc_tri_row rows[2] = {
        {"202324", 4, "RAA", "MTG58", 5, 22, 7, 0, 0, 7, "CONSISTENT_ADOPTION"},
        {"202425", 1, "RBB", "MTG58", -1, -1, -4, 5, 2, -2, "NOT_ADOPTED"},
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    cr_assert_eq(ncc_triangulation_write_csv(f, rows, 2), 0);
    fclose(f);
    cr_assert_str_eq(buf, "fin_year,quarter,org_code,technology_id,qart_stage,qart_patients,"
                          "nhssc_units,supplier_nhssc_units,direct_units,supply_units,signal\n"
                          "202324,4,RAA,MTG58,5,22,7,0,0,7,CONSISTENT_ADOPTION\n"
                          "202425,1,RBB,MTG58,,,-4,5,2,-2,NOT_ADOPTED\n");
    free(buf);
}
