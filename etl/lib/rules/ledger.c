/* ledger.c - submitted cost against audited ledger cost, exactly. */
#include "rules/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ncc_ledger_tolerance_parse(const char *text, ncc_money *tolerance)
{
    ncc_money t;
    if (!text || ncc_money_parse(text, strlen(text), &t) == NCC_PARSE_BAD || t < 0)
        return -1;
    *tolerance = t;
    return 0;
}

bool ncc_ledger_within(ncc_money submitted, ncc_money ledger, ncc_money tolerance)
{
    ncc_money diff = submitted - ledger;
    if (diff < 0)
        diff = -diff;
    /* both sides scaled by 10^4 twice */
    return diff * NCC_MONEY_SCALE <= tolerance * ledger;
}

int ncc_ledger_check(ncc_file_result *res, const ncc_total *ledger, int nledger,
                     ncc_money tolerance)
{
    int failed = 0;
    for (int i = 0; i < res->ntotals; i++) {
        const ncc_total *t = &res->totals[i];
        for (int j = 0; j < nledger; j++) {
            const ncc_total *l = &ledger[j];
            if (strcmp(t->fin_year, l->fin_year) || strcmp(t->org_code, l->org_code) ||
                strcmp(t->feed, l->feed))
                continue;
            if (ncc_ledger_within(t->amount, l->amount, tolerance))
                continue;
            char sub[NCC_MONEY_BUFSIZE], led[NCC_MONEY_BUFSIZE], tol[NCC_MONEY_BUFSIZE];
            ncc_money_format(t->amount, sub, sizeof sub);
            ncc_money_format(l->amount, led, sizeof led);
            ncc_money_format_plain(tolerance * 100, tol, sizeof tol);
            char pct[64] = "";
            if (l->amount > 0) {
                ncc_money diff = t->amount - l->amount;
                if (diff < 0)
                    diff = -diff;
                /* percentage with 2 decimals, rounded down */
                ncc_money bp = diff * 10000 / l->amount;
                snprintf(pct, sizeof pct, " (%lld.%02lld %%)", (long long)(bp / 100),
                         (long long)(bp % 100));
            }
            ncc_file_result_add_error(
                res, NCC_F_LEDGER_TOLERANCE, "cost",
                "submitted cost %s for %s %s %s differs from the ledger cost %s by more than "
                "%s %%%s: correct the submission or the ledger",
                sub, t->fin_year, t->org_code, t->feed, led, tol, pct);
            failed++;
        }
    }
    return failed;
}

static bool usable_ledger(const ncc_file_result *r)
{
    return r->schema && strcmp(r->schema->kind, "ledger") == 0 && !r->nfile_errors;
}

int ncc_ledger_check_files(ncc_file_result *results, int n, ncc_money tolerance,
                           ncc_ledger_added added, void *ctx)
{
    int nledger = 0;
    for (int i = 0; i < n; i++)
        if (usable_ledger(&results[i]))
            nledger += results[i].ntotals;
    if (!nledger)
        return 0;
    ncc_total *ledger = calloc((size_t)nledger, sizeof *ledger);
    if (!ledger)
        return -1;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (usable_ledger(&results[i]))
            for (int t = 0; t < results[i].ntotals; t++)
                ledger[k++] = results[i].totals[t];
    for (int i = 0; i < n; i++) {
        ncc_file_result *r = &results[i];
        if (!r->schema || strcmp(r->schema->kind, "cost") != 0)
            continue;
        int before = r->nfile_errors;
        ncc_ledger_check(r, ledger, k, tolerance);
        for (int e = before; added && e < r->nfile_errors; e++)
            added(ctx, r, &r->file_errors[e]);
    }
    free(ledger);
    return 0;
}
