/*
 * refload.c - replaces the ref tables from the reference CSVs (refload.h).
 * Each table is described by its file and columns; values are normalised
 * per column (identifier, OPCS code, date, count with a default).
 */
#include "warehouse/refload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "warehouse/copy.h"
#include "reading/csvread.h"
#include "rules/field.h"
#include "rules/refdata.h"
#include "rules/schema.h"
#include "reading/source.h"

typedef enum norm { N_TEXT, N_ID, N_OPCS, N_DATE, N_COUNT1, N_MONEY } norm;

typedef struct ref_column {
    const char *name;
    norm how;
} ref_column;

typedef struct ref_table {
    const char *file;
    const char *table;
    bool optional;
    ref_column cols[6];
    int ncols;
} ref_table;

static const ref_table tables[] = {
    {"technology.csv", "ref.technology", false,
     {{"technology_id", N_ID}, {"htg_id", N_ID}, {"name", N_TEXT}, {"cohort", N_TEXT},
      {"mtfm_from", N_DATE}, {"mtfm_to", N_DATE}}, 6},
    {"technology_alias.csv", "ref.technology_alias", true,
     {{"alias_id", N_ID}, {"technology_id", N_ID}}, 2},
    {"product_map.csv", "ref.product_map", true,
     {{"npc", N_ID}, {"gtin", N_ID}, {"technology_id", N_ID}, {"units_per_issue", N_COUNT1}}, 4},
    {"procedure_map.csv", "ref.procedure_map", true,
     {{"opcs_procedure", N_OPCS}, {"technology_id", N_ID}}, 2},
    {"organisation.csv", "ref.organisation", true,
     {{"org_code", N_ID}, {"name", N_TEXT}, {"region", N_TEXT}, {"icb_code", N_ID}}, 4},
    {"resource_impact.csv", "ref.resource_impact", true,
     {{"technology_id", N_ID}, {"ria_group", N_TEXT}, {"current_practice_cost", N_MONEY},
      {"future_practice_cost", N_MONEY}, {"resource_impact", N_MONEY},
      {"saving_per_patient", N_MONEY}}, 6},
};

/* Normalise one value into out (NULL when empty). */
static const char *normalise(norm how, char *s, size_t len, char *out, size_t *outlen)
{
    if (len == 0) {
        if (how == N_COUNT1) {
            *outlen = 1;
            return "1";
        }
        if (how == N_TEXT && out) {
            *outlen = 0;
        }
        return NULL;
    }
    switch (how) {
    case N_ID:
        for (size_t i = 0; i < len; i++)
            if (s[i] >= 'a' && s[i] <= 'z')
                s[i] = (char)(s[i] - 32);
        break;
    case N_OPCS:
        for (size_t i = 0; i < len; i++)
            if (s[i] >= 'a' && s[i] <= 'z')
                s[i] = (char)(s[i] - 32);
        if (ncc_opcs_normalise(s, len, out, outlen))
            return out;
        break;
    case N_DATE: {
        int y, m, d;
        if (ncc_date_parse(s, len, &y, &m, &d) == NCC_PARSE_OK) {
            *outlen = (size_t)snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
            return out;
        }
        break;
    }
    case N_MONEY: {
        ncc_money m;
        if (ncc_money_parse(s, len, &m) == NCC_PARSE_OK) {
            *outlen = ncc_money_format(m, out, NCC_MONEY_BUFSIZE);
            return out;
        }
        break;
    }
    default:
        break;
    }
    *outlen = len;
    return s;
}

static int load_table(PGconn *c, const char *dir, const ref_table *t, int *db_failed, char *err,
                      size_t errlen)
{
    char path[4096], sql[512], cols[256];
    snprintf(path, sizeof path, "%s/%s", dir, t->file);
    int code, rc = -1;
    char msg[512];
    ncc_source *src = ncc_source_open(path, NULL, &code, msg, sizeof msg);
    if (!src) {
        if (t->optional && errno == ENOENT)
            return 0;
        snprintf(err, errlen, "reference data: %s", msg);
        return -1;
    }
    ncc_csv *csv = ncc_csv_new(src, NULL);
    ncc_copy cp = {0};
    ncc_csv_record rec;
    int field_of[6];
    if (!csv || ncc_csv_next(csv, &rec) != 1) {
        snprintf(err, errlen, "reference data \"%s\": no header row", path);
        goto out;
    }
    size_t n = 0;
    for (int i = 0; i < t->ncols; i++) {
        field_of[i] = -1;
        for (int k = 0; k < rec.nkept; k++) {
            char folded[128];
            ncc_schema_fold(rec.field[k], rec.len[k], folded, sizeof folded);
            if (strcmp(folded, t->cols[i].name) == 0)
                field_of[i] = k;
        }
        n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s", i ? ", " : "", t->cols[i].name);
    }
    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", t->table, cols);
    if (ncc_copy_begin(&cp, c, sql) < 0) {
        snprintf(err, errlen, "%s", cp.err);
        *db_failed = 1;
        goto out;
    }
    int got;
    while ((got = ncc_csv_next(csv, &rec)) == 1) {
        if (rec.nkept > 0 && rec.field[0][0] == '#')
            continue;
        for (int i = 0; i < t->ncols; i++) {
            int f = field_of[i];
            char out[NCC_MONEY_BUFSIZE];
            size_t olen = 0;
            const char *v = NULL;
            if (f >= 0 && f < rec.nkept)
                v = normalise(t->cols[i].how, rec.field[f], rec.len[f], out, &olen);
            else if (t->cols[i].how == N_COUNT1)
                v = normalise(N_COUNT1, NULL, 0, out, &olen);
            ncc_copy_value(&cp, v, olen);
        }
        if (ncc_copy_end_row(&cp) < 0)
            break;
    }
    if (got < 0) {
        const char *m;
        long line;
        ncc_csv_error(csv, &m, &line);
        snprintf(err, errlen, "reference data \"%s\" line %ld: %s", path, line, m);
        ncc_copy_end(&cp, "bad reference file");
        goto out;
    }
    if (ncc_copy_end(&cp, NULL) < 0) {
        snprintf(err, errlen, "loading \"%s\" into %s: %s", path, t->table, cp.err);
        *db_failed = PQstatus(c) != CONNECTION_OK;
        goto out;
    }
    rc = 0;
out:
    ncc_csv_free(csv);
    ncc_source_free(src);
    return rc;
}

int ncc_refload(PGconn *c, const char *dir, int *db_failed, char *err, size_t errlen)
{
    *db_failed = 0;
    ncc_refdata *check = ncc_refdata_load(dir, err, errlen);
    if (!check)
        return -1;
    dir = ncc_refdata_dir(check);
    PGresult *res = PQexec(c, "BEGIN; SET CONSTRAINTS ALL DEFERRED; "
                              "DELETE FROM ref.technology_alias; DELETE FROM ref.product_map; "
                              "DELETE FROM ref.procedure_map; DELETE FROM ref.organisation; "
                              "DELETE FROM ref.resource_impact; "
                              "DELETE FROM ref.technology");
    int rc = -1;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "replacing reference data: %s", PQerrorMessage(c));
        *db_failed = 1;
        PQclear(res);
        goto out;
    }
    PQclear(res);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (load_table(c, dir, &tables[i], db_failed, err, errlen) < 0)
            goto rollback;
    res = PQexec(c, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(err, errlen, "committing reference data: %s", PQerrorMessage(c));
        *db_failed = PQstatus(c) != CONNECTION_OK;
        PQclear(res);
        goto out;
    }
    PQclear(res);
    rc = 0;
    goto out;
rollback:
    PQclear(PQexec(c, "ROLLBACK"));
out:
    ncc_refdata_free(check);
    return rc;
}
