/*
 * refload.h - the reference CSVs of a directory into the ref schema.
 *
 * The files are first checked with refdata.h (unknown technologies, bad
 * GTINs, ... stop the load). Then every ref table is replaced in one
 * transaction: readers see the old reference data or the new, never a mix.
 * Identifiers are upper-cased and OPCS codes stored without the dot, as the
 * validator compares them.
 */
#ifndef NCC_REFLOAD_H
#define NCC_REFLOAD_H

#include <libpq-fe.h>
#include <stddef.h>

/* Returns 0, or -1 with a message; *db_failed tells a database failure from bad files. */
int ncc_refload(PGconn *c, const char *dir, int *db_failed, char *err, size_t errlen);

#endif
