/*
 * reconcile.h - MTFM reconciliation of contract section 5.2: what trusts
 * report as MTFM units and cost (NCC) against what they bought (NHSSC
 * extract lines of MTFM products, plus suppliers' DIRECT sales), per
 * fin_year, org_code and technology, with a status.
 *
 * The sides are read as aggregates from the warehouse (small: trusts x
 * technologies x years) and merged here; the arithmetic is exact (integer
 * units, money scaled by 10^4).
 *
 * Also the adoption triangulation of contract section 5.5: computed in the
 * warehouse by mart.refresh_adoption() (sql/010_adoption.sql, with the
 * stalled list and the MTFM dashboard of 5.6 and 5.7), read back here and
 * written as CSV.
 */
#ifndef NCC_RECONCILE_H
#define NCC_RECONCILE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>

#include "rules/field.h"

typedef struct ncc_recon_row {
    char fin_year[8];
    char org_code[8];
    char technology_id[24];
    long long ncc_units, nhssc_units, direct_units, supplier_nhssc_units;
    ncc_money ncc_cost, nhssc_value, direct_value, supplier_nhssc_value;
    const char *status; /* static string */
} ncc_recon_row;

/*
 * Status of contract 5.2, first that applies. tolerance is a fraction
 * scaled by 10^4 (0.10 = 1000). The boundary (difference exactly
 * tolerance x the larger side) is MATCHED.
 */
const char *ncc_recon_status(const char *technology_id, long long ncc_units,
                             long long supply_units, ncc_money tolerance);

/* Read the sides and merge them into *rows (caller frees), sorted by key. */
int ncc_reconcile_compute(PGconn *c, ncc_money tolerance, ncc_recon_row **rows, int *n,
                          char *err, size_t errlen);

/* How a refresh of the marts went (ncc_reconcile_refresh). */
typedef struct ncc_refresh_info {
    bool full;     /* every mart recomputed */
    int pairs;     /* incremental: the (fin_year, org_code) pairs recomputed */
    char why[160]; /* why full, or what was recomputed */
} ncc_refresh_info;

/*
 * Refresh the marts in one transaction: mart.reconciliation (computed here), mart.mtfm_benchmark
 * and the adoption marts (mart.refresh_adoption); every mart changes at once or none does. With
 * incremental, and when everything loaded since the last refresh is a cost file and nothing else
 * the marts read changed (sql/013_incremental_refresh.sql), only the reconciliation rows of the
 * (fin_year, org_code) pairs of the new submissions and the benchmark of their fin_years are
 * recomputed, with the same result as a full refresh; otherwise, and always without incremental,
 * a full refresh. Records the loads the marts now hold. *rows (caller frees) are the rows
 * written: all of them on a full refresh, those of the pairs on an incremental one.
 */
int ncc_reconcile_refresh(PGconn *c, ncc_money tolerance, bool incremental, ncc_recon_row **rows,
                          int *n, ncc_refresh_info *info, char *err, size_t errlen);

/* The CSV of contract 5.2 (header and rows). Returns 0, or -1 on a write error. */
int ncc_reconcile_write_csv(FILE *out, const ncc_recon_row *rows, int n);

/* One row of mart.adoption_triangulation (contract 5.5). */
typedef struct ncc_tri_row {
    char fin_year[8];
    int quarter; /* 1-4 */
    char org_code[8];
    char technology_id[24];
    int qart_stage;          /* 0-5; -1 when the trust has no QART row */
    long long qart_patients; /* -1 when null */
    long long nhssc_units, supplier_nhssc_units, direct_units, supply_units;
    char signal[32];
} ncc_tri_row;

/*
 * Recompute the adoption marts (mart.refresh_adoption) and read mart.adoption_triangulation
 * into *rows (caller frees), sorted by fin_year, quarter, org_code and technology_id. With
 * store false the recomputation is rolled back: the marts are left as they were and the rows
 * are what they would be. Runs in its own transaction.
 */
int ncc_triangulation_compute(PGconn *c, bool store, ncc_tri_row **rows, int *n, char *err,
                              size_t errlen);

/* The CSV of contract 5.5 (header and rows, empty for nulls). Returns 0, or -1 on a write error. */
int ncc_triangulation_write_csv(FILE *out, const ncc_tri_row *rows, int n);

#endif
