/* warehouse.c - migrations and reference data before a load (warehouse.h). */
#include "warehouse/warehouse.h"

#include <stdio.h>
#include <string.h>

#include "warehouse/db.h"
#include "shared/log.h"
#include "warehouse/refload.h"

int ncc_warehouse_prepare(PGconn *c, const char *ref_dir, bool reload_ref, int *db_failed,
                          char *err, size_t errlen)
{
    int applied = 0;
    *db_failed = 0;
    if (ncc_db_migrate(c, NULL, &applied, err, errlen) < 0) {
        *db_failed = PQstatus(c) != CONNECTION_OK;
        return -1;
    }
    if (applied)
        ncc_info("applied %d migration(s)", applied);
    if (!reload_ref) {
        PGresult *res = PQexec(c, "SELECT count(*) FROM ref.technology");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "reading ref.technology: %s", PQerrorMessage(c));
            *db_failed = PQstatus(c) != CONNECTION_OK;
            PQclear(res);
            return -1;
        }
        reload_ref = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
        PQclear(res);
    }
    if (reload_ref) {
        if (ncc_refload(c, ref_dir, db_failed, err, errlen) < 0)
            return -1;
        ncc_info("reference data loaded");
    }
    return 0;
}
