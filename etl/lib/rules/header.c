/*
 * header.c - the header row of a file bound to a schema: which kind the
 * file is (choose_kind, also for ncc_validate_peek_kind), which record
 * field each schema column reads, and the header's file errors and warning
 * (F_EMPTY, F_PII_COLUMN, F_UNKNOWN_KIND, F_DUPLICATE_COLUMN,
 * F_MISSING_COLUMN, W_UNKNOWN_COLUMN; docs/decisions.md "Header and kinds").
 *
 * Header problems stop the file before any row is read. Header names are data
 * too: they reach messages only through ncc_quote_value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/validate.h"
#include "rules/validate_int.h"

#define UNKNOWN_LISTED 32 /* unknown columns named in W_UNKNOWN_COLUMN; more: "and more" */

typedef char folded_name[64];

static void join_names(char *out, size_t cap, const char *const *names, int n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", names[i]);
}

static void required_list(const ncc_schema *s, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < s->ncols && k < cap; i++)
        if (s->cols[i].required && !s->cols[i].derived)
            k += (size_t)snprintf(out + k, cap - k, "%s%s", k ? ", " : "", s->cols[i].name);
}

/* The header's names folded (schema.h), n of them; NULL when out of memory. */
static folded_name *fold_header(const ncc_csv_record *hdr, int n)
{
    folded_name *folded = calloc((size_t)(n ? n : 1), sizeof *folded);
    if (folded)
        for (int i = 0; i < n; i++)
            ncc_schema_fold(hdr->field[i], hdr->len[i], folded[i], sizeof folded[i]);
    return folded;
}

/*
 * The kind of a header (folded names): the forced kind, else the kind
 * missing the fewest required columns (then the one binding the most
 * columns), provided at least half of its required columns are present.
 * NULL when no kind fits.
 */
static const ncc_schema *choose_kind(const ncc_schema_set *set, const char *forced,
                                     folded_name *folded, int n)
{
    const ncc_schema *best = NULL;
    int best_bound = -1, best_missing = 1 << 30, best_req = 1;
    for (int k = 0; k < set->nkinds; k++) {
        const ncc_schema *s = &set->kinds[k];
        if (forced && strcmp(forced, s->kind) != 0)
            continue;
        int bound = 0, req = 0, have = 0;
        for (int c = 0; c < s->ncols; c++) {
            if (s->cols[c].derived)
                continue;
            bool present = false;
            for (int i = 0; i < n && !present; i++)
                present = ncc_schema_bind(s, folded[i]) == c;
            bound += present;
            if (s->cols[c].required) {
                req++;
                have += present;
            }
        }
        int missing = req - have;
        if (!best || missing < best_missing || (missing == best_missing && bound > best_bound)) {
            best = s;
            best_bound = bound;
            best_missing = missing;
            best_req = req ? req : 1;
        }
    }
    if (best && !forced && best_missing * 2 > best_req)
        return NULL;
    return best;
}

const ncc_schema *ncc_validate_peek_kind(const char *path, const ncc_validate_config *cfg)
{
    int code;
    char msg[512];
    const ncc_schema *kind = NULL;
    ncc_source *src = ncc_source_open(path, cfg->encoding, &code, msg, sizeof msg);
    ncc_csv_limits lim = {cfg->schemas->field_bytes, cfg->schemas->record_bytes,
                          cfg->schemas->columns};
    ncc_csv *csv = src ? ncc_csv_new(src, &lim) : NULL;
    ncc_csv_record rec;
    if (csv && ncc_csv_next(csv, &rec) == 1) {
        folded_name *folded = fold_header(&rec, rec.nkept);
        if (folded) {
            kind = choose_kind(cfg->schemas, cfg->kind, folded, rec.nkept);
            free(folded);
        }
    }
    ncc_csv_free(csv);
    ncc_source_free(src);
    return kind;
}

/* Patient identifiers among the names: F_PII_COLUMN (the whole file is refused, its
 * values never read). True when refused. */
static bool refuse_pii_columns(ncc_pass *p, folded_name *folded, int n)
{
    const char *pii[16];
    int npii = 0;
    for (int i = 0; i < n && npii < 16; i++)
        if (ncc_schema_is_pii_name(p->cfg->schemas, folded[i]))
            pii[npii++] = folded[i];
    if (!npii)
        return false;
    char names[512];
    join_names(names, sizeof names, pii, npii);
    ncc_pass_report(p, NCC_F_PII_COLUMN, 1, NULL,
                    "the header has column(s) named like patient identifiers (%s): remove them; "
                    "submissions must not contain patient identifiers",
                    names);
    return true;
}

/* F_UNKNOWN_KIND, listing each kind's required columns. */
static void report_unknown_kind(ncc_pass *p)
{
    const ncc_schema_set *set = p->cfg->schemas;
    char msg[400];
    size_t k = 0;
    msg[0] = '\0';
    for (int i = 0; i < set->nkinds && k < sizeof msg; i++) {
        char req[300];
        required_list(&set->kinds[i], req, sizeof req);
        k += (size_t)snprintf(msg + k, sizeof msg - k, "%s%s (%s)", i ? "; " : "",
                              set->kinds[i].kind, req);
    }
    ncc_pass_report(p, NCC_F_UNKNOWN_KIND, 1, NULL,
                    "the header matches no file kind: expected the columns of %s", msg);
}

/* The header fields not bound to a column of the schema (W_UNKNOWN_COLUMN). */
typedef struct unknown_cols {
    int field[UNKNOWN_LISTED];
    int n;    /* listed */
    int more; /* not listed */
} unknown_cols;

/* p->bind from the names; F_DUPLICATE_COLUMN for each column named twice (the first
 * name binds). True when a duplicate stops the file. */
static bool bind_columns(ncc_pass *p, const ncc_csv_record *hdr, folded_name *folded, int n,
                         unknown_cols *unknown)
{
    const ncc_schema *s = p->schema;
    bool stop = false;
    for (int c = 0; c < s->ncols; c++)
        p->bind[c] = -1;
    for (int i = 0; i < n; i++) {
        int c = ncc_schema_bind(s, folded[i]);
        if (c < 0) {
            if (unknown->n < UNKNOWN_LISTED)
                unknown->field[unknown->n++] = i;
            else
                unknown->more++;
            continue;
        }
        if (p->bind[c] >= 0) {
            char a[96], b[96];
            ncc_quote_value(hdr->field[p->bind[c]], hdr->len[p->bind[c]], a, sizeof a);
            ncc_quote_value(hdr->field[i], hdr->len[i], b, sizeof b);
            ncc_pass_report(p, NCC_F_DUPLICATE_COLUMN, 1, s->cols[c].name,
                            "columns %s and %s both mean %s: keep only one of them", a, b,
                            s->cols[c].name);
            stop = true;
            continue;
        }
        p->bind[c] = i;
    }
    return stop;
}

/* F_MISSING_COLUMN for each required column not bound, naming its aliases. True when
 * one is missing. */
static bool report_missing_columns(ncc_pass *p)
{
    const ncc_schema *s = p->schema;
    bool stop = false;
    for (int c = 0; c < s->ncols; c++) {
        const ncc_column *col = &s->cols[c];
        if (!col->required || col->derived || p->bind[c] >= 0)
            continue;
        char aka[200] = "";
        if (col->naliases) {
            size_t k = (size_t)snprintf(aka, sizeof aka, " (also accepted as: ");
            for (int a = 0; a < col->naliases && k < sizeof aka; a++)
                k += (size_t)snprintf(aka + k, sizeof aka - k, "%s%s", a ? ", " : "",
                                      col->aliases[a]);
            if (k < sizeof aka)
                snprintf(aka + k, sizeof aka - k, ")");
        }
        ncc_pass_report(p, NCC_F_MISSING_COLUMN, 1, col->name,
                        "required column %s is missing from the header of this %s file%s",
                        col->name, s->kind, aka);
        stop = true;
    }
    return stop;
}

/* One W_UNKNOWN_COLUMN naming the unknown columns: shortened, control characters
 * masked, never PII (ncc_quote_value). */
static void warn_unknown_columns(ncc_pass *p, const ncc_csv_record *hdr,
                                 const unknown_cols *unknown)
{
    char names[600];
    size_t k = 0;
    names[0] = '\0';
    for (int u = 0; u < unknown->n && k < sizeof names; u++) {
        char q[96];
        int f = unknown->field[u];
        if (hdr->len[f])
            ncc_quote_value(hdr->field[f], hdr->len[f], q, sizeof q);
        else
            snprintf(q, sizeof q, "(blank)");
        k += (size_t)snprintf(names + k, sizeof names - k, "%s%s", u ? ", " : "", q);
    }
    ncc_pass_report(p, NCC_W_UNKNOWN_COLUMN, 1, NULL,
                    "column(s) not used by a %s file are ignored: %s%s", p->schema->kind, names,
                    unknown->more ? " and more" : "");
}

bool ncc_pass_bind_header(ncc_pass *p, const ncc_csv_record *hdr)
{
    int n = hdr->nkept;
    bool all_blank = true;
    for (int i = 0; i < n && all_blank; i++)
        all_blank = hdr->len[i] == 0;
    if (all_blank) {
        ncc_pass_report(p, NCC_F_EMPTY, hdr->line, NULL,
                        "the first line has no column names: a header row is required");
        return false;
    }
    folded_name *folded = fold_header(hdr, n);
    bool okay = false;
    if (!folded) {
        ncc_pass_report(p, NCC_F_UNREADABLE, 1, NULL, "out of memory reading the header");
        return false;
    }
    if (hdr->nfields > n) {
        ncc_pass_report(p, NCC_F_UNREADABLE, 1, NULL,
                        "the header has %d columns: at most %d are supported", hdr->nfields, n);
        goto done;
    }
    if (refuse_pii_columns(p, folded, n))
        goto done;
    const ncc_schema *best = choose_kind(p->cfg->schemas, p->cfg->kind, folded, n);
    if (!best) {
        report_unknown_kind(p);
        goto done;
    }
    p->schema = best;
    p->res->schema = best;
    unknown_cols unknown = {.n = 0, .more = 0};
    bool stop = bind_columns(p, hdr, folded, n, &unknown);
    stop = report_missing_columns(p) || stop;
    if (stop)
        goto done;
    if (unknown.n)
        warn_unknown_columns(p, hdr, &unknown);
    okay = true;
done:
    free(folded);
    return okay;
}
