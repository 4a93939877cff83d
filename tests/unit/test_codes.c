/* Unit tests of codes: every contract code has its name and severity. */
#include <criterion/criterion.h>
#include <string.h>

#include "shared/codes.h"

Test(codes, names_round_trip_and_levels_follow_prefix)
{
    for (int c = 0; c < NCC_CODE_COUNT; c++) {
        const char *name = ncc_code_name((ncc_code)c);
        cr_assert_eq(ncc_code_from_name(name), c, "%s", name);
        ncc_level lv = ncc_code_level((ncc_code)c);
        char expect = lv == NCC_LEVEL_FILE ? 'F' : lv == NCC_LEVEL_ROW ? 'E' : 'W';
        cr_assert_eq(name[0], expect, "%s", name);
    }
    cr_assert_eq(ncc_code_from_name("E_NOPE"), -1);
    cr_assert_str_eq(ncc_code_name(NCC_E_DUPLICATE_KEY), "E_DUPLICATE_KEY");
    cr_assert_eq(NCC_CODE_COUNT, 31, "the contract lists 31 codes");
}
