/*
 * warehouse.h - what every loading stage does first: apply pending
 * migrations, and load the reference data when asked or when ref is empty
 * (a fresh database needs no setup from the user).
 */
#ifndef NCC_WAREHOUSE_H
#define NCC_WAREHOUSE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Returns 0, or -1 with a message; *db_failed is 1 when the database itself
 * failed (unavailable: exit 69), 0 when a file or migration is at fault.
 */
int ncc_warehouse_prepare(PGconn *c, const char *ref_dir, bool reload_ref, int *db_failed,
                          char *err, size_t errlen);

#endif
