/* Unit tests of config: flag > NCC_* environment > config file > default. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "shared/config.h"
#include "testutil.h"

Test(config, precedence)
{
    char *path = tu_write_str("# comment\nmtfm_code = FILECODE\nledger_tolerance=0.02\n");
    setenv("NCC_CONFIG", path, 1);
    unsetenv("NCC_MTFM_CODE");
    cr_assert_str_eq(ncc_config_get("mtfm_code", NULL, "MTFM"), "FILECODE");
    setenv("NCC_MTFM_CODE", "ENVCODE", 1);
    cr_assert_str_eq(ncc_config_get("mtfm_code", NULL, "MTFM"), "ENVCODE");
    cr_assert_str_eq(ncc_config_get("mtfm_code", "FLAG", "MTFM"), "FLAG");
    cr_assert_str_eq(ncc_config_get("ledger_tolerance", NULL, "0.01"), "0.02");
    cr_assert_str_eq(ncc_config_get("reconcile_tolerance", NULL, "0.10"), "0.10");
    unsetenv("NCC_MTFM_CODE");
    tu_remove(path);
}
