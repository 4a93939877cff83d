/*
 * load_sink.c - the rows of a validation pass on their way to the server:
 * the sink the load gives ncc_validate_file (validate.h), the COPY it writes
 * into, and the MTFM sums of a cost file per (fin_year, org_code, feed,
 * technology_id) that core.mtfm_activity is written from (load_write.c).
 *
 * Per valid row: summed when l->aggregate (cost files), and sent when l->send,
 * to the COPY already under way (direct: the table itself) or to the staging
 * table, created at the first row when the kind is known (load_staged.c).
 */
#include <stdio.h>
#include <string.h>

#include "warehouse/load_int.h"

void ncc_loader_on_issue(void *ctx, const ncc_issue *is)
{
    ncc_loader *l = ctx;
    if (l->issue)
        l->issue(l->issue_ctx, is);
}

int ncc_loader_begin_copy(ncc_loader *l, const char *sql)
{
    if (ncc_copy_begin(&l->cp, l->c, sql) < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        l->failed = true;
        return -1;
    }
    l->copying = true;
    return 0;
}

long long ncc_loader_end_copy(ncc_loader *l, const char *reason)
{
    if (!l->copying)
        return 0;
    l->copying = false;
    long long stored = ncc_copy_end(&l->cp, reason);
    if (stored < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        memcpy(l->sqlstate, l->cp.sqlstate, sizeof l->sqlstate);
        l->failed = true;
    }
    return stored;
}

/* Append "a|" to key; false when it does not fit. */
static bool key_part(char *key, size_t cap, size_t *n, const char *s, size_t len, char sep)
{
    if (*n + len + 1 >= cap)
        return false;
    memcpy(key + *n, s, len);
    *n += len;
    key[(*n)++] = sep;
    return true;
}

static const char *feed_of(const ncc_schema *s, const ncc_value *v, size_t *len)
{
    if (s->tot_feed >= 0) {
        *len = v[s->tot_feed].len;
        return v[s->tot_feed].s;
    }
    *len = s->feed_literal ? strlen(s->feed_literal) : 0;
    return s->feed_literal;
}

/* Sum one valid row of a cost file into its (fin_year, org, feed, technology) group. */
static int add_mtfm(ncc_loader *l, const ncc_row *row)
{
    const ncc_schema *s = row->schema;
    const ncc_value *v = row->v;
    if (s->mtfm_tech < 0 || s->tot_fin_year < 0 || s->tot_org < 0 || !v[s->mtfm_tech].s)
        return 0;
    size_t feedlen;
    const char *feed = feed_of(s, v, &feedlen);
    const ncc_value *fy = &v[s->tot_fin_year], *org = &v[s->tot_org], *tech = &v[s->mtfm_tech];
    if (!feed || !fy->s || !org->s)
        return 0;
    char key[256];
    size_t n = 0;
    if (!key_part(key, sizeof key, &n, fy->s, fy->len, '|') ||
        !key_part(key, sizeof key, &n, org->s, org->len, '|') ||
        !key_part(key, sizeof key, &n, feed, feedlen, '|') ||
        !key_part(key, sizeof key, &n, tech->s, tech->len, '\0')) {
        snprintf(l->err, sizeof l->err, "an MTFM group key on line %ld is too long", row->line);
        return -1;
    }
    ncc_loader_mtfm *a = ncc_strmap_upsert(l->mtfm, key, n - 1, NULL);
    if (!a) {
        snprintf(l->err, sizeof l->err,
                 "too many (fin_year, org_code, feed, technology) groups: split the file");
        return -1;
    }
    int64_t units = s->mtfm_units >= 0 ? v[s->mtfm_units].i : 0;
    if (__builtin_add_overflow(a->units, units, &a->units)) {
        snprintf(l->err, sizeof l->err, "the MTFM units of a group overflow on line %ld",
                 row->line);
        return -1;
    }
    a->lines++;
    if (s->mtfm_amount >= 0)
        a->cost += v[s->mtfm_amount].m;
    return 0;
}

int ncc_loader_on_row(void *ctx, const ncc_row *row)
{
    ncc_loader *l = ctx;
    if (l->failed)
        return -1;
    if (l->aggregate && row->schema != l->agg_kind) {
        l->agg_kind = row->schema;
        l->agg_cost = ncc_loader_is_cost(row->schema);
    }
    if (l->aggregate && l->agg_cost && add_mtfm(l, row) < 0) {
        l->failed = true;
        return -1;
    }
    if (!l->send)
        return 0;
    if (l->onepass) {
        if (ncc_loader_direct_row(l, row) < 0)
            return -1;
    } else if (!l->copying) {
        l->schema = row->schema;
        if (ncc_loader_start_stage(l) < 0)
            return -1;
    }
    for (int i = 0; i < row->schema->ncols; i++)
        ncc_copy_value(&l->cp, row->v[i].s, row->v[i].len);
    if (l->row_id)
        ncc_copy_value(&l->cp, l->row_id, strlen(l->row_id));
    if (ncc_copy_end_row(&l->cp) < 0) {
        snprintf(l->err, sizeof l->err, "%s", l->cp.err);
        l->failed = true;
        return -1;
    }
    return 0;
}
