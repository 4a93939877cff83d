/*
 * groups.c - the per-group sums of a validation pass as results: totals per
 * (fin_year, org_code, feed) of the schema's amount column, and MTFM
 * aggregates per (fin_year, org_code, technology) of rows, units and amount
 * (the columns are the schema's tot_* and mtfm_*; docs/decisions.md
 * "Output"), turned at the end of the pass from the maps into the result's
 * sorted arrays.
 *
 * The sums themselves are made per valid row by ncc_pass_aggregate, inline in
 * the row loop (validate_int.h). A group's key is "fin_year|org|feed" (or
 * technology) in a strmap of at most the schemas' groups limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/validate.h"
#include "rules/validate_int.h"

/* ---- results ---- */

static int cmp_total(const void *a, const void *b)
{
    const ncc_total *x = a, *y = b;
    int c = strcmp(x->fin_year, y->fin_year);
    if (!c)
        c = strcmp(x->org_code, y->org_code);
    return c ? c : strcmp(x->feed, y->feed);
}

static int cmp_mtfm(const void *a, const void *b)
{
    const ncc_mtfm_total *x = a, *y = b;
    int c = strcmp(x->fin_year, y->fin_year);
    if (!c)
        c = strcmp(x->org_code, y->org_code);
    return c ? c : strcmp(x->technology_id, y->technology_id);
}

/* split "a|b|c" into three fixed fields */
static void split3(const char *key, char *a, size_t na, char *b, size_t nb, char *c, size_t nc)
{
    const char *p1 = strchr(key, '|');
    const char *p2 = p1 ? strchr(p1 + 1, '|') : NULL;
    if (!p1 || !p2) {
        snprintf(a, na, "%s", key);
        b[0] = c[0] = '\0';
        return;
    }
    snprintf(a, na, "%.*s", (int)(p1 - key), key);
    snprintf(b, nb, "%.*s", (int)(p2 - p1 - 1), p1 + 1);
    snprintf(c, nc, "%s", p2 + 1);
}

void ncc_pass_collect_groups(ncc_pass *p)
{
    ncc_file_result *res = p->res;
    size_t pos = 0, klen;
    const char *key;
    void *val;
    res->totals = calloc(ncc_strmap_count(p->totals) + 1, sizeof(ncc_total));
    res->mtfm = calloc(ncc_strmap_count(p->mtfm) + 1, sizeof(ncc_mtfm_total));
    if (!res->totals || !res->mtfm)
        return;
    while (ncc_strmap_next(p->totals, &pos, &key, &klen, &val)) {
        ncc_total *t = &res->totals[res->ntotals++];
        const ncc_pass_acc *a = val;
        split3(key, t->fin_year, sizeof t->fin_year, t->org_code, sizeof t->org_code, t->feed,
               sizeof t->feed);
        t->rows = a->rows;
        t->amount = a->amount;
    }
    pos = 0;
    while (ncc_strmap_next(p->mtfm, &pos, &key, &klen, &val)) {
        ncc_mtfm_total *t = &res->mtfm[res->nmtfm++];
        const ncc_pass_acc *a = val;
        split3(key, t->fin_year, sizeof t->fin_year, t->org_code, sizeof t->org_code,
               t->technology_id, sizeof t->technology_id);
        t->rows = a->rows;
        t->units = a->units;
        t->amount = a->amount;
    }
    qsort(res->totals, (size_t)res->ntotals, sizeof(ncc_total), cmp_total);
    qsort(res->mtfm, (size_t)res->nmtfm, sizeof(ncc_mtfm_total), cmp_mtfm);
}
