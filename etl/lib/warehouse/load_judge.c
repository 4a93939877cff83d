/*
 * load_judge.c - whether a validated file may be loaded, beyond its own file
 * errors: the share of rejected rows (F_REJECT_LIMIT, --max-reject-rate) and,
 * for a cost file, its totals against the ledger loaded so far
 * (F_LEDGER_TOLERANCE, contract 2.2). Each problem is recorded as a file error
 * in the validation result; a file with one is quarantined.
 */
#include <stdlib.h>
#include <string.h>

#include "rules/ledger.h"
#include "warehouse/load_int.h"

bool ncc_loader_over_reject_limit(ncc_load_result *r, const ncc_load_options *o)
{
    if (r->v.rows_rejected * NCC_MONEY_SCALE <= o->max_reject_rate * r->v.rows_read)
        return false;
    char rate[NCC_MONEY_BUFSIZE];
    ncc_money_format_plain(o->max_reject_rate * 100, rate, sizeof rate);
    ncc_file_result_add_error(&r->v, NCC_F_REJECT_LIMIT, NULL,
                              "%lld of %lld rows were rejected: more than the %s %% allowed "
                              "(--max-reject-rate); nothing of the file is loaded",
                              r->v.rows_rejected, r->v.rows_read, rate);
    return true;
}

/* A cost file with no ledger row for a submission is not checked for it. */
int ncc_loader_check_ledger(ncc_loader *l, ncc_load_result *r, const ncc_load_options *o)
{
    if (!ncc_loader_is_cost(r->v.schema) || !r->v.ntotals)
        return 0;
    ncc_total *ledger = calloc((size_t)r->v.ntotals, sizeof *ledger);
    int n = 0, rc = 0;
    if (!ledger)
        return -1;
    for (int i = 0; i < r->v.ntotals; i++) {
        const ncc_total *t = &r->v.totals[i];
        const char *params[3] = {t->fin_year, t->org_code, t->feed};
        PGresult *res;
        if (ncc_loader_exec(l->c,
                            "SELECT ledger_cost::text FROM core.ledger WHERE fin_year = $1 AND "
                            "org_code = $2 AND feed = $3",
                            3, params, PGRES_TUPLES_OK, l->err, sizeof l->err, &res) < 0) {
            rc = -1;
            break;
        }
        if (PQntuples(res) == 1) {
            const char *txt = PQgetvalue(res, 0, 0);
            ledger[n] = *t;
            if (ncc_money_parse(txt, strlen(txt), &ledger[n].amount) != NCC_PARSE_BAD)
                n++;
        }
        PQclear(res);
    }
    if (rc == 0 && n)
        ncc_ledger_check(&r->v, ledger, n, o->ledger_tolerance);
    free(ledger);
    return rc;
}
