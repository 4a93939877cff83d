#!/usr/bin/env bash
# tests/integration/test_reconcile.sh - ncc-reconcile against the demo warehouse
# (DATA-CONTRACT.md §2.1, §2.3, §2.4, §5.2, §5.3, §5.4):
#   1. the demo fixtures give exactly tests/data/expected/reconciliation.csv, on stdout and in
#      mart.reconciliation, with every status and the named cases of fixtures/make_fixtures.py;
#   2. an independent SQL computation of §5.2 from core.cost_line, core.nhssc_sales_line and
#      core.supplier_sales (raw columns + ref tables) equals mart.reconciliation;
#   3. mart.mtfm_benchmark equals tests/data/expected/mtfm_benchmark.csv and an independent
#      computation of §5.3 (percentiles with percentile_cont);
#   4. --tolerance, --no-store, -o;
#   5. a resubmission flows through to core.mtfm_activity, the reconciliation and the benchmark;
#   6. analysts read mart but not core;
#   7. exit statuses;
#   8. edge inputs (tests/data/reconcile/): ambiguous procedure, alias ids, explicit id over the
#      procedure map, technology on a non-MTFM line, price-only and negative credits, GTIN
#      fallback, FY boundaries of invoice dates and supplier periods, net-zero supply.
# shellcheck source=tests/integration/lib.sh disable=SC2001
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load=$NCC_BIN/ncc-load
rec=$NCC_BIN/ncc-reconcile
for x in "$load" "$rec"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
demo=$NCC_ROOT/fixtures/demo
expected=$NCC_ROOT/tests/data/expected
edges=$NCC_ROOT/tests/data/reconcile
T=$NCC_IT_TMP

ncc_it_setup reconcile
# the migrations, file kinds and reference data of the tree under test; defaults for the rest
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_RECONCILE_TOLERANCE NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

# sql_csv SQL: psql's CSV output (header included)
sql_csv() { psql -X -q --csv -v ON_ERROR_STOP=1 -c "$1"; }

# mart.reconciliation in the CSV's column order, money as text (no header)
MART_REC="SELECT fin_year::text, org_code::text, technology_id::text, ncc_units, ncc_cost::text,
                 nhssc_units, nhssc_value::text, direct_units, direct_value::text,
                 supply_units, supply_value::text, status
          FROM mart.reconciliation"
mart_rec_csv() {
    psql -X -q -At --csv -v ON_ERROR_STOP=1 \
        -c "$MART_REC ORDER BY fin_year COLLATE \"C\", org_code COLLATE \"C\", technology_id COLLATE \"C\""
}
# one row of the reconciliation as CSV (empty when there is none)
rec_row() { # fy org tech
    psql -X -q -At --csv -v ON_ERROR_STOP=1 \
        -c "$MART_REC WHERE fin_year = '$1' AND org_code = '$2' AND technology_id = '$3'"
}
# everything stored in mart.reconciliation and mart.mtfm_benchmark, computed_at included
mart_snapshot() {
    ncc_it_sql "SELECT (SELECT md5(coalesce(string_agg(r::text, E'\n' ORDER BY fin_year, org_code, technology_id), ''))
                        || ' ' || count(*) FROM mart.reconciliation r)
                       || ' / ' ||
                       (SELECT md5(coalesce(string_agg(b::text, E'\n' ORDER BY fin_year, technology_id, org_code), ''))
                        || ' ' || count(*) FROM mart.mtfm_benchmark b)"
}

# ---- the independent computation of contract 5.2 --------------------------------------------
# Written from the contract, not from reconcile.c: the NCC side from core.cost_line itself
# (not core.mtfm_activity); the NHSSC side from the raw invoice columns (FY from invoice_date,
# organisation from customer_ods and ref.organisation, technology from ref.product_map NPC
# first then GTIN, units = quantity x units_per_issue), not from the loader's derived columns;
# the direct side from the supplier period and customer_ods. Aliases normalised through
# ref.technology_alias. indep_sql TOLERANCE prints the SELECT (columns as MART_REC).
indep_sql() {
    local t=$1
    cat <<SQL
WITH
ncc AS (
    SELECT c.fin_year::text AS fy, c.org_code::text AS org, c.technology_id::text AS tech,
           sum(c.activity_count) AS units, sum(c.cost) AS amount
    FROM core.cost_line c
    WHERE c.collection_resource = 'MTFM' AND c.technology_id IS NOT NULL
    GROUP BY 1, 2, 3
),
nh_line AS (
    SELECT (extract(year FROM l.invoice_date)::int
            - CASE WHEN extract(month FROM l.invoice_date) < 4 THEN 1 ELSE 0 END) AS y,
           CASE WHEN EXISTS (SELECT 1 FROM ref.organisation o WHERE o.org_code = l.customer_ods)
                     THEN l.customer_ods
                WHEN NOT EXISTS (SELECT 1 FROM ref.organisation) AND length(l.customer_ods) = 3
                     THEN l.customer_ods
                WHEN length(l.customer_ods) = 5 THEN left(l.customer_ods, 3)
                ELSE l.customer_ods END::text AS org,
           CASE WHEN by_npc.technology_id IS NOT NULL THEN by_npc.technology_id
                ELSE by_gtin.technology_id END AS mapped,
           CASE WHEN by_npc.technology_id IS NOT NULL THEN by_npc.units_per_issue
                ELSE by_gtin.units_per_issue END AS per_issue,
           l.quantity, l.line_value_ex_vat
    FROM core.nhssc_sales_line l
    LEFT JOIN LATERAL (SELECT p.technology_id, p.units_per_issue FROM ref.product_map p
                       WHERE p.npc = l.npc ORDER BY p.product_map_id LIMIT 1) by_npc ON true
    LEFT JOIN LATERAL (SELECT p.technology_id, p.units_per_issue FROM ref.product_map p
                       WHERE p.gtin = l.gtin ORDER BY p.product_map_id LIMIT 1) by_gtin ON true
),
nh AS (
    SELECT y::text || lpad(((y + 1) % 100)::text, 2, '0') AS fy, org,
           coalesce(a.technology_id, n.mapped)::text AS tech,
           sum(n.quantity * n.per_issue) AS units, sum(n.line_value_ex_vat) AS amount
    FROM nh_line n LEFT JOIN ref.technology_alias a ON a.alias_id = n.mapped
    WHERE n.mapped IS NOT NULL
    GROUP BY 1, 2, 3
),
dir_line AS (
    SELECT left(s.period, 4)::int - CASE WHEN substr(s.period, 6, 2)::int < 4 THEN 1 ELSE 0 END AS y,
           s.customer_ods::text AS org, coalesce(a.technology_id, s.technology_id)::text AS tech,
           s.units, s.value_ex_vat
    FROM core.supplier_sales s LEFT JOIN ref.technology_alias a ON a.alias_id = s.technology_id
    WHERE s.route = 'DIRECT'
),
dir AS (
    SELECT y::text || lpad(((y + 1) % 100)::text, 2, '0') AS fy, org, tech,
           sum(units) AS units, sum(value_ex_vat) AS amount
    FROM dir_line GROUP BY 1, 2, 3
),
k AS (SELECT fy, org, tech FROM ncc UNION SELECT fy, org, tech FROM nh UNION SELECT fy, org, tech FROM dir),
sides AS (
    SELECT k.fy, k.org, k.tech,
           coalesce(ncc.units, 0)::bigint AS ncc_units, coalesce(ncc.amount, 0) AS ncc_cost,
           CASE WHEN k.tech = 'UNATTRIBUTED' THEN 0 ELSE coalesce(nh.units, 0) END::bigint AS nhssc_units,
           CASE WHEN k.tech = 'UNATTRIBUTED' THEN 0 ELSE coalesce(nh.amount, 0) END AS nhssc_value,
           CASE WHEN k.tech = 'UNATTRIBUTED' THEN 0 ELSE coalesce(dir.units, 0) END::bigint AS direct_units,
           CASE WHEN k.tech = 'UNATTRIBUTED' THEN 0 ELSE coalesce(dir.amount, 0) END AS direct_value
    FROM k
    LEFT JOIN ncc ON (ncc.fy, ncc.org, ncc.tech) = (k.fy, k.org, k.tech)
    LEFT JOIN nh ON (nh.fy, nh.org, nh.tech) = (k.fy, k.org, k.tech)
    LEFT JOIN dir ON (dir.fy, dir.org, dir.tech) = (k.fy, k.org, k.tech)
),
r AS (
    SELECT s.*, s.nhssc_units + s.direct_units AS supply_units, s.nhssc_value + s.direct_value AS supply_value
    FROM sides s
    WHERE s.ncc_units <> 0 OR s.ncc_cost <> 0 OR s.nhssc_units <> 0 OR s.nhssc_value <> 0
       OR s.direct_units <> 0 OR s.direct_value <> 0
)
SELECT fy, org, tech, ncc_units, round(ncc_cost, 4)::text,
       nhssc_units, round(nhssc_value, 4)::text, direct_units, round(direct_value, 4)::text,
       supply_units, round(supply_value, 4)::text,
       CASE WHEN tech = 'UNATTRIBUTED' THEN 'UNATTRIBUTED'
            WHEN supply_units > 0 AND ncc_units = 0 THEN 'NO_COST_REPORTED'
            WHEN ncc_units > 0 AND supply_units <= 0 THEN 'NO_PURCHASES'
            WHEN abs(ncc_units - supply_units) <= ($t)::numeric * greatest(ncc_units, supply_units)
                 THEN 'MATCHED'
            WHEN ncc_units > supply_units THEN 'COST_EXCEEDS_PURCHASES'
            ELSE 'PURCHASES_EXCEED_COST' END
FROM r
SQL
}
# the independent computation as ncc-reconcile's CSV (header included)
indep_csv() {
    local header
    header=$(head -1 "$expected/reconciliation.csv")
    printf '%s\n' "$header"
    psql -X -q -At --csv -v ON_ERROR_STOP=1 -c "SELECT * FROM ($(indep_sql "$1")) x
                                               ORDER BY fy COLLATE \"C\", org COLLATE \"C\", tech COLLATE \"C\""
}
# assert the independent computation equals mart.reconciliation: EXCEPT both ways and counts
check_independent() { # tolerance label
    local t=$1 label=$2
    assert_eq "" "$(ncc_it_sql "SELECT string_agg(x::text, ' ') FROM (($(indep_sql "$t")) EXCEPT ($MART_REC)) x")" \
        "$label: every independently computed row is in mart.reconciliation (independent EXCEPT mart)"
    assert_eq "" "$(ncc_it_sql "SELECT string_agg(x::text, ' ') FROM (($MART_REC) EXCEPT ($(indep_sql "$t"))) x")" \
        "$label: every row of mart.reconciliation is computed independently (mart EXCEPT independent)"
    assert_eq "$(ncc_it_sql "SELECT count(*) FROM ($(indep_sql "$t")) x")" \
        "$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation")" \
        "$label: independent computation and mart.reconciliation have as many rows"
}

# ---- the independent computation of contract 5.3 --------------------------------------------
# From core.cost_line (not core.mtfm_activity, which the function reads); percentiles with
# percentile_cont (double precision: allowed in a test, never in the warehouse).
BENCH_INDEP="
WITH org AS (
    SELECT fin_year::text AS fin_year, technology_id::text AS technology_id, org_code::text AS org_code,
           sum(activity_count) AS units, sum(cost) AS cost
    FROM core.cost_line
    WHERE collection_resource = 'MTFM' AND technology_id IS NOT NULL AND technology_id <> 'UNATTRIBUTED'
    GROUP BY 1, 2, 3 HAVING sum(activity_count) > 0
), nat AS (
    SELECT fin_year, technology_id, sum(cost) / sum(units) AS national, count(*) AS n_orgs,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY (cost / units)::numeric) AS p50,
           percentile_cont(0.25) WITHIN GROUP (ORDER BY (cost / units)::numeric) AS p25,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY (cost / units)::numeric) AS p75
    FROM org GROUP BY 1, 2
)
SELECT o.fin_year, o.technology_id, o.org_code, o.units::bigint, round(o.cost, 4)::text AS cost,
       round(o.cost / o.units, 4)::text AS unit_cost, round(n.national, 4)::text AS national_unit_cost,
       round(n.p50::numeric, 4)::text AS median_unit_cost,
       round(n.p25::numeric, 4)::text AS p25_unit_cost, round(n.p75::numeric, 4)::text AS p75_unit_cost,
       n.n_orgs::int, round(100 * (o.cost / o.units) / n.national, 1)::text AS cost_index
FROM org o JOIN nat n USING (fin_year, technology_id)"
MART_BENCH="SELECT fin_year::text, technology_id::text, org_code::text, units, cost::text, unit_cost::text,
                   national_unit_cost::text, median_unit_cost::text, p25_unit_cost::text,
                   p75_unit_cost::text, n_orgs, cost_index::text
            FROM mart.mtfm_benchmark"
check_benchmark() { # label
    local label=$1
    assert_eq "" "$(ncc_it_sql "SELECT string_agg(x::text, ' ') FROM (($BENCH_INDEP) EXCEPT ($MART_BENCH)) x")" \
        "$label: every independently computed benchmark row (national, median/p25/p75 by percentile_cont, n_orgs, cost_index) is in mart.mtfm_benchmark"
    assert_eq "" "$(ncc_it_sql "SELECT string_agg(x::text, ' ') FROM (($MART_BENCH) EXCEPT ($BENCH_INDEP)) x")" \
        "$label: every mart.mtfm_benchmark row is computed independently"
    assert_eq "$(ncc_it_sql "SELECT count(*) FROM ($BENCH_INDEP) x")" \
        "$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_benchmark")" \
        "$label: independent benchmark and mart.mtfm_benchmark have as many rows"
}
bench_csv() {
    sql_csv "SELECT fin_year, technology_id, org_code, units, cost, unit_cost, national_unit_cost,
                    median_unit_cost, p25_unit_cost, p75_unit_cost, n_orgs, cost_index
             FROM mart.mtfm_benchmark ORDER BY fin_year, technology_id, org_code"
}

# =============================================================================================
# 1. The demo fixtures
# =============================================================================================

assert_status 0 "ncc-load loads the ledger, cost, NHSSC and supplier fixtures" -- \
    "$load" "$demo"/ledger_202324.csv "$demo"/cost_* "$demo"/nhssc_* "$demo"/supplier_*
assert_eq "8 loaded" "$(ncc_it_sql "SELECT count(*) || ' ' || string_agg(DISTINCT status, ',') FROM audit.file_load")" \
    "all 8 fixture files are loaded (none quarantined)"

assert_status 0 "ncc-reconcile succeeds" -- "$rec"
printf '%s\n' "$NCC_IT_OUT" >"$T/rec_default.csv"
if cmp -s "$expected/reconciliation.csv" "$T/rec_default.csv"; then
    assert_eq same same "ncc-reconcile stdout equals tests/data/expected/reconciliation.csv byte for byte"
else
    assert_eq "$(cat "$expected/reconciliation.csv")" "$NCC_IT_OUT" \
        "ncc-reconcile stdout equals tests/data/expected/reconciliation.csv byte for byte"
fi
# the command substitution above drops trailing newlines: check the raw bytes end as the file does
"$rec" --no-store >"$T/rec_raw.csv"
assert_eq "$(md5sum <"$expected/reconciliation.csv")" "$(md5sum <"$T/rec_raw.csv")" \
    "ncc-reconcile stdout (raw bytes, final newline included) has the md5 of the expected file"
assert_eq "$(tail -n +2 "$expected/reconciliation.csv")" "$(mart_rec_csv)" \
    "mart.reconciliation (CSV column order, money as text) holds exactly the expected rows"
assert_eq "0.1000" "$(ncc_it_sql "SELECT string_agg(DISTINCT tolerance::text, ',') FROM mart.reconciliation")" \
    "mart.reconciliation records the default tolerance 0.10"

for s in NO_COST_REPORTED NO_PURCHASES MATCHED COST_EXCEEDS_PURCHASES PURCHASES_EXCEED_COST UNATTRIBUTED; do
    n=$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation WHERE status = '$s'")
    assert_match '^[1-9][0-9]*$' "$n" "status $s occurs at least once (found $n)"
done

assert_eq "202324,RCC,MTG37,90,16200.0000,100,18000.0000,0,0.0000,100,18000.0000,MATCHED" \
    "$(rec_row 202324 RCC MTG37)" \
    "exact 10 % boundary: RCC MTG37 ncc 90 vs supply 100 is MATCHED (|90-100| = 0.10 x 100)"
assert_eq "202324,RCC,MTG74,89,178000.0000,100,200000.0000,0,0.0000,100,200000.0000,PURCHASES_EXCEED_COST" \
    "$(rec_row 202324 RCC MTG74)" \
    "one unit over the boundary: RCC MTG74 ncc 89 vs supply 100 is PURCHASES_EXCEED_COST"

# FY boundary of invoice dates
assert_eq "202324" "$(ncc_it_sql "SELECT fin_year FROM core.nhssc_sales_line WHERE invoice_no = 'INV1099'")" \
    "FY boundary: the NHSSC line dated 2024-03-31 is in 202324"
assert_eq "2024-04-01 202425" \
    "$(ncc_it_sql "SELECT invoice_date || ' ' || fin_year FROM core.nhssc_sales_line WHERE invoice_no = 'INV1100'")" \
    "FY boundary: the NHSSC line dated 01/04/2024 (UK order) is 1 April 2024, in 202425"
assert_eq "202425,RAA,MTG58,12,30000.0000,12,29400.0000,0,0.0000,12,29400.0000,MATCHED" \
    "$(rec_row 202425 RAA MTG58)" \
    "FY boundary: the 12 units invoiced on 01/04/2024 reconcile in 202425 (MATCHED with NCC 12)"
assert_eq "40 98000.0000" \
    "$(ncc_it_sql "SELECT nhssc_units || ' ' || nhssc_value FROM mart.reconciliation
                   WHERE fin_year = '202324' AND org_code = 'RAA' AND technology_id = 'MTG58'")" \
    "FY boundary: RAA MTG58 202324 purchases exclude the 202425 invoice"

# credits both ways
assert_eq "CR2001 -1 -9800.0000 -4|CR2002 -1 -9800.0000 -4" \
    "$(ncc_it_sql "SELECT string_agg(invoice_no || ' ' || quantity || ' ' || line_value_ex_vat || ' ' || units, '|'
                                     ORDER BY invoice_no)
                   FROM core.nhssc_sales_line WHERE is_credit")" \
    "credits with positive (CR2001) and negative (CR2002) quantity are both stored negative"
assert_eq "202324,RAA,MTG58,40,98000.0000,40,98000.0000,0,0.0000,40,98000.0000,MATCHED" \
    "$(rec_row 202324 RAA MTG58)" \
    "credits net out: RAA MTG58 202324 nhssc_units 40 (24 + 16 + 4 + 4 - 4 - 4) and MATCHED"

# site codes
assert_eq "RAA01 RAA|RBB02 RBB" \
    "$(ncc_it_sql "SELECT string_agg(customer_ods || ' ' || org_code, '|' ORDER BY customer_ods)
                   FROM core.nhssc_sales_line WHERE length(customer_ods) = 5")" \
    "site code RAA01 is counted under RAA and RBB02 under RBB"
assert_eq "202324,RBB,MTG34,0,0.0000,50,1500.0000,0,0.0000,50,1500.0000,NO_COST_REPORTED" \
    "$(rec_row 202324 RBB MTG34)" \
    "RBB02's SecurAcath (5 boxes of 10) reconciles under RBB: 50 units, NO_COST_REPORTED"
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation WHERE length(org_code) <> 3")" \
    "no reconciliation row is keyed by a site code"

# GTIN only
assert_eq "MTG30 6" \
    "$(ncc_it_sql "SELECT technology_id || ' ' || units FROM core.nhssc_sales_line
                   WHERE npc IS NULL AND gtin = '5012345000107'")" \
    "the line with a GTIN and no NPC is mapped through the GTIN to MTG30"
assert_eq "202324,RBB,MTG30,0,0.0000,6,2400.0000,0,0.0000,6,2400.0000,NO_COST_REPORTED" \
    "$(rec_row 202324 RBB MTG30)" \
    "the product bought by GTIN only is reconciled: RBB MTG30 NO_COST_REPORTED"

# superseded id
assert_eq "MTG74 5 10" \
    "$(ncc_it_sql "SELECT string_agg(DISTINCT technology_id, ',') || ' ' || count(*) || ' ' || sum(activity_count)
                   FROM core.cost_line WHERE org_code = 'RBB' AND collection_resource = 'MTFM'
                     AND activity_id IN (SELECT activity_id FROM core.cost_line WHERE org_code = 'RBB'
                                         AND collection_resource = 'MTFM' AND technology_id <> 'MTG46')")" \
    "RBB's MTG29 cost lines are stored as MTG74 (5 lines, 10 units)"
assert_eq "0" "$(ncc_it_sql "SELECT (SELECT count(*) FROM core.cost_line WHERE technology_id = 'MTG29')
                                 + (SELECT count(*) FROM mart.reconciliation WHERE technology_id = 'MTG29')")" \
    "the superseded id MTG29 appears neither in core.cost_line nor in mart.reconciliation"
assert_eq "202324,RBB,MTG74,10,31000.0000,7,21700.0000,0,0.0000,7,21700.0000,COST_EXCEEDS_PURCHASES" \
    "$(rec_row 202324 RBB MTG74)" \
    "the superseded id MTG29 is reported as MTG74: RBB 10 vs 7 COST_EXCEEDS_PURCHASES"

# unmapped product
assert_eq "1 RAA 202324 30 360.0000 true" \
    "$(ncc_it_sql "SELECT count(*) || ' ' || min(org_code) || ' ' || min(fin_year) || ' ' || min(quantity) || ' '
                          || min(line_value_ex_vat) || ' ' || bool_and(technology_id IS NULL AND units IS NULL)
                   FROM core.nhssc_sales_line WHERE npc = 'ZZZ999'")" \
    "the unmapped NPC ZZZ999 is loaded in core.nhssc_sales_line with technology_id NULL"
assert_eq "$(ncc_it_sql "SELECT sum(line_value_ex_vat) FROM core.nhssc_sales_line
                         WHERE fin_year = '202324' AND npc IS DISTINCT FROM 'ZZZ999'")" \
    "$(ncc_it_sql "SELECT sum(nhssc_value) FROM mart.reconciliation WHERE fin_year = '202324'")" \
    "ZZZ999 plays no part: the 202324 NHSSC value reconciled is every other line's value"

# attribution and the rest of the NCC side
assert_eq "MTG49 M653 4 20" \
    "$(ncc_it_sql "SELECT technology_id || ' ' || string_agg(DISTINCT opcs_procedure, ',') || ' ' || count(*) || ' '
                          || sum(activity_count)
                   FROM core.cost_line WHERE org_code = 'RAA' AND fin_year = '202324'
                     AND collection_resource = 'MTFM' AND technology_id = 'MTG49' GROUP BY technology_id")" \
    "RAA's MTFM lines without an id are attributed to MTG49 by procedure M65.3"
assert_eq "202324,RAA,UNATTRIBUTED,3,1500.0000,0,0.0000,0,0.0000,0,0.0000,UNATTRIBUTED" \
    "$(rec_row 202324 RAA UNATTRIBUTED)" \
    "UNATTRIBUTED MTFM cost (procedure M99.9) has its own row with zero supply"
assert_eq "202324,RCC,MTG32,25,17500.0000,0,0.0000,25,17500.0000,25,17500.0000,MATCHED" \
    "$(rec_row 202324 RCC MTG32)" \
    "direct supplier sales (10 + 16 - 1 returned) are the supply of RCC MTG32: MATCHED"
assert_eq "24 58800.0000|12 29400.0000" \
    "$(ncc_it_sql "SELECT string_agg(supplier_nhssc_units || ' ' || supplier_nhssc_value, '|' ORDER BY fin_year)
                   FROM mart.reconciliation WHERE org_code = 'RAA' AND technology_id = 'MTG58'")" \
    "suppliers' NHSSC-route figures are kept for triangulation, outside supply_units"
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation
                             WHERE supply_units <> nhssc_units + direct_units OR supply_value <> nhssc_value + direct_value")" \
    "supply_* = nhssc_* + direct_* on every row"

# =============================================================================================
# 2. Independent computation of contract 5.2
# =============================================================================================

check_independent 0.10 "demo, t = 0.10"
indep_csv 0.10 >"$T/indep_default.csv"
assert_eq "$(md5sum <"$expected/reconciliation.csv")" "$(md5sum <"$T/indep_default.csv")" \
    "demo, t = 0.10: the independent computation gives the expected CSV too"

# =============================================================================================
# 3. Benchmark
# =============================================================================================

bench_csv >"$T/bench.csv"
if cmp -s "$expected/mtfm_benchmark.csv" "$T/bench.csv"; then
    assert_eq same same "mart.mtfm_benchmark equals tests/data/expected/mtfm_benchmark.csv"
else
    assert_eq "$(cat "$expected/mtfm_benchmark.csv")" "$(cat "$T/bench.csv")" \
        "mart.mtfm_benchmark equals tests/data/expected/mtfm_benchmark.csv"
fi
check_benchmark "demo"
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_benchmark WHERE technology_id = 'UNATTRIBUTED' OR units <= 0")" \
    "the benchmark excludes UNATTRIBUTED and holds only units > 0"
assert_eq "2550.0000 2275.0000 2825.0000" \
    "$(ncc_it_sql "SELECT DISTINCT median_unit_cost || ' ' || p25_unit_cost || ' ' || p75_unit_cost
                   FROM mart.mtfm_benchmark WHERE fin_year = '202324' AND technology_id = 'MTG74'")" \
    "MTG74 202324 percentiles interpolate between RCC 2000 and RBB 3100"

# =============================================================================================
# 4. --tolerance, --no-store, -o
# =============================================================================================

before=$(mart_snapshot)
assert_status 0 "--tolerance 0 --no-store succeeds" -- "$rec" --tolerance 0 --no-store
assert_match '(^|'$'\n'')202324,RCC,MTG37,90,16200\.0000,100,18000\.0000,0,0\.0000,100,18000\.0000,PURCHASES_EXCEED_COST('$'\n''|$)' \
    "$NCC_IT_OUT" "--tolerance 0: the 10 % boundary case RCC MTG37 becomes PURCHASES_EXCEED_COST"
printf '%s\n' "$NCC_IT_OUT" >"$T/rec_t0.csv"
indep_csv 0 >"$T/indep_t0.csv"
assert_eq "$(cat "$T/indep_t0.csv")" "$NCC_IT_OUT" \
    "--tolerance 0: the whole CSV equals the independent computation with t = 0"
assert_eq "$(grep -v '^202324,RCC,MTG37,' "$expected/reconciliation.csv")" "$(grep -v '^202324,RCC,MTG37,' "$T/rec_t0.csv")" \
    "--tolerance 0: every other row is unchanged (exact matches stay MATCHED)"
assert_eq "$before" "$(mart_snapshot)" \
    "--no-store leaves mart.reconciliation and mart.mtfm_benchmark unchanged (computed_at included)"
assert_eq "MATCHED" "$(ncc_it_sql "SELECT status FROM mart.reconciliation
                                   WHERE fin_year = '202324' AND org_code = 'RCC' AND technology_id = 'MTG37'")" \
    "--no-store: the stored boundary row still says MATCHED"

assert_status 0 "--tolerance 0 (stored) succeeds" -- "$rec" --tolerance 0
assert_eq "PURCHASES_EXCEED_COST 0.0000" \
    "$(ncc_it_sql "SELECT status || ' ' || tolerance FROM mart.reconciliation
                   WHERE fin_year = '202324' AND org_code = 'RCC' AND technology_id = 'MTG37'")" \
    "--tolerance 0 stored: the boundary row is PURCHASES_EXCEED_COST with tolerance 0"
check_independent 0 "stored with t = 0"
assert_status 0 "NCC_RECONCILE_TOLERANCE=0 is honoured" -- env NCC_RECONCILE_TOLERANCE=0 "$rec" --no-store
assert_eq "$(cat "$T/rec_t0.csv")" "$NCC_IT_OUT" "NCC_RECONCILE_TOLERANCE=0 gives the --tolerance 0 CSV"
assert_status 64 "--tolerance 1.5 is a usage error" -- "$rec" --tolerance 1.5 --no-store
assert_status 64 "--tolerance abc is a usage error" -- "$rec" --tolerance abc --no-store

assert_status 0 "-o FILE succeeds" -- "$rec" -o "$T/rec_o.csv"
assert_eq "" "$NCC_IT_OUT" "-o FILE: nothing on stdout"
assert_eq "$(md5sum <"$expected/reconciliation.csv")" "$(md5sum <"$T/rec_o.csv")" \
    "-o FILE writes the same CSV as stdout (the expected file, byte for byte)"
assert_eq "$(md5sum <"$T/rec_raw.csv")" "$(md5sum <"$T/rec_o.csv")" \
    "-o FILE and stdout are identical"
assert_eq "$(tail -n +2 "$expected/reconciliation.csv")" "$(mart_rec_csv)" \
    "the default run restores the expected mart.reconciliation"
assert_eq "0.1000" "$(ncc_it_sql "SELECT string_agg(DISTINCT tolerance::text, ',') FROM mart.reconciliation")" \
    "the default run stores tolerance 0.10 again"
assert_status 74 "-o into a missing directory is an output error" -- "$rec" --no-store -o "$T/no/such/dir.csv"

# =============================================================================================
# 5. A resubmission flows through
# =============================================================================================

snap_other_rec() {
    ncc_it_sql "SELECT string_agg(x::text, '|' ORDER BY x::text) FROM ($MART_REC
                WHERE NOT (fin_year = '202324' AND org_code = 'RCC' AND technology_id = 'MTG37')) x"
}
snap_activity() { # without file_load_id
    ncc_it_sql "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, technology_id, lines, units, cost), '|'
                                  ORDER BY fin_year, org_code, feed, technology_id)
                FROM core.mtfm_activity WHERE $1"
}
snap_other_bench() {
    ncc_it_sql "SELECT string_agg(b::text, '|' ORDER BY fin_year, technology_id, org_code)
                FROM mart.mtfm_benchmark b WHERE technology_id <> 'MTG37'"
}
snap_cost_lines() {
    ncc_it_sql "SELECT md5(string_agg(concat_ws(' ', fin_year, org_code, feed, activity_id, collection_resource,
                                                 collection_activity, technology_id, activity_count, cost),
                                       '|' ORDER BY fin_year, org_code, feed, activity_id, collection_resource,
                                                    collection_activity))
                FROM core.cost_line WHERE $1"
}
rec_before=$(snap_other_rec)
act_before=$(snap_activity "NOT (org_code = 'RCC' AND fin_year = '202324' AND feed = 'APC')")
act_rcc_before=$(snap_activity "org_code = 'RCC' AND technology_id <> 'MTG37'")
bench_before=$(snap_other_bench)
nlines_before=$(ncc_it_sql "SELECT count(*) FROM core.cost_line")
other_lines_before=$(snap_cost_lines "NOT (org_code = 'RCC' AND collection_resource = 'MTFM' AND technology_id = 'MTG37')")
subm_before=$(ncc_it_sql "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, rows, cost, file_load_id), '|'
                                            ORDER BY 1) FROM core.submission")

# MTG37: six lines of 15 units (90); make them 17, 17, 17, 17, 16, 16 = 100, costs unchanged
# (so the ledger check still passes). The MTFM lines carry no quoted fields.
mkdir -p "$T/resub"
resub=$T/resub/cost_RCC_202324_APC.csv
gzip -dc "$demo/cost_RCC_202324_APC.csv.gz" |
    awk -F, -v OFS=, '$9 == "MTFM" && $11 == "MTG37" { n++; $12 = (n <= 4 ? 17 : 16) } { print }' >"$resub"
assert_eq "100 6" "$(awk -F, '$9 == "MTFM" && $11 == "MTG37" { s += $12; n++ } END { print s, n }' "$resub")" \
    "the modified submission reports 100 MTG37 units on 6 lines"
assert_eq "$(gzip -dc "$demo/cost_RCC_202324_APC.csv.gz" | wc -l)" "$(wc -l <"$resub")" \
    "the modified submission has as many physical lines as the original"

assert_status 0 "the resubmission loads" -- "$load" "$resub"
new_id=$(ncc_it_sql "SELECT file_load_id FROM audit.file_load WHERE file_name = '$resub' AND status = 'loaded'")
assert_match '^[0-9]+$' "$new_id" "the resubmission is recorded in audit.file_load as loaded"

assert_eq "202324 RCC APC MTG37 6 100 16200.0000 $new_id" \
    "$(ncc_it_sql "SELECT concat_ws(' ', fin_year, org_code, feed, technology_id, lines, units, cost, file_load_id)
                   FROM core.mtfm_activity WHERE org_code = 'RCC' AND technology_id = 'MTG37'")" \
    "core.mtfm_activity: RCC MTG37 now 100 units from the resubmission's file_load"
assert_eq "$act_rcc_before" "$(snap_activity "org_code = 'RCC' AND technology_id <> 'MTG37'")" \
    "core.mtfm_activity: RCC's other technologies unchanged"
assert_eq "$new_id" "$(ncc_it_sql "SELECT string_agg(DISTINCT file_load_id::text, ',') FROM core.mtfm_activity
                                   WHERE org_code = 'RCC' AND fin_year = '202324' AND feed = 'APC'")" \
    "core.mtfm_activity: every RCC 202324 APC row belongs to the resubmission"
assert_eq "$act_before" "$(snap_activity "NOT (org_code = 'RCC' AND fin_year = '202324' AND feed = 'APC')")" \
    "core.mtfm_activity: other submissions unchanged"
assert_eq "$nlines_before" "$(ncc_it_sql "SELECT count(*) FROM core.cost_line")" \
    "core.cost_line: as many lines as before the resubmission"
assert_eq "$other_lines_before" \
    "$(snap_cost_lines "NOT (org_code = 'RCC' AND collection_resource = 'MTFM' AND technology_id = 'MTG37')")" \
    "core.cost_line: every line but RCC's MTG37 lines unchanged"
assert_eq "$(sed "s/\(RCC APC [0-9]* [0-9.]*\) [0-9]*/\1 $new_id/" <<<"$subm_before")" \
    "$(ncc_it_sql "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, rows, cost, file_load_id), '|'
                                     ORDER BY 1) FROM core.submission")" \
    "core.submission: only RCC 202324 APC changed, to the resubmission's file_load (same rows and cost)"

# before ncc-reconcile runs, the mart still shows the old figures
assert_eq "90" "$(ncc_it_sql "SELECT ncc_units FROM mart.reconciliation
                              WHERE fin_year = '202324' AND org_code = 'RCC' AND technology_id = 'MTG37'")" \
    "mart.reconciliation is unchanged until ncc-reconcile runs"

assert_status 0 "ncc-reconcile after the resubmission succeeds" -- "$rec"
sed 's/^202324,RCC,MTG37,.*$/202324,RCC,MTG37,100,16200.0000,100,18000.0000,0,0.0000,100,18000.0000,MATCHED/' \
    "$expected/reconciliation.csv" >"$T/rec_resub_expected.csv"
assert_eq "$(cat "$T/rec_resub_expected.csv")" "$NCC_IT_OUT" \
    "after the resubmission: stdout differs from the expected CSV only in the MTG37 row"
assert_eq "202324,RCC,MTG37,100,16200.0000,100,18000.0000,0,0.0000,100,18000.0000,MATCHED" \
    "$(rec_row 202324 RCC MTG37)" \
    "after the resubmission: RCC MTG37 has ncc_units 100 and status MATCHED"
assert_eq "$rec_before" "$(snap_other_rec)" "after the resubmission: every other reconciliation row unchanged"
assert_eq "202324 MTG37 RCC 100 16200.0000 162.0000 162.0000 1 100.0" \
    "$(ncc_it_sql "SELECT concat_ws(' ', fin_year, technology_id, org_code, units, cost, unit_cost,
                                    national_unit_cost, n_orgs, cost_index)
                   FROM mart.mtfm_benchmark WHERE technology_id = 'MTG37'")" \
    "after the resubmission: the MTG37 benchmark is 16200 / 100 = 162"
assert_eq "$bench_before" "$(snap_other_bench)" "after the resubmission: every other benchmark row unchanged"
check_independent 0.10 "after the resubmission"
check_benchmark "after the resubmission"

# reloading the same file changes nothing
before=$(mart_snapshot)
assert_status 0 "loading the resubmission again succeeds" -- "$load" "$resub"
assert_eq "unchanged" "$(ncc_it_sql "SELECT status FROM audit.file_load WHERE file_name = '$resub'
                                    ORDER BY file_load_id DESC LIMIT 1")" \
    "the same file again is 'unchanged'"
assert_eq "$new_id" "$(ncc_it_sql "SELECT DISTINCT file_load_id FROM core.mtfm_activity
                                   WHERE org_code = 'RCC' AND fin_year = '202324' AND feed = 'APC'")" \
    "an unchanged file does not touch core.mtfm_activity"

# =============================================================================================
# 6. Analyst role
# =============================================================================================

analyst=ncc_it_reconcile_analyst_$$
drop_analyst() {
    PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $analyst"
}
drop_analyst
ncc_it_on_exit "drop_analyst"
ncc_it_sql "CREATE ROLE $analyst LOGIN IN ROLE ncc_analyst"
as_analyst() { psql -XAtq -v ON_ERROR_STOP=1 -U "$analyst" -c "$1" 2>&1 || true; }

assert_eq "$analyst" "$(as_analyst "SELECT current_user")" "the analyst role logs in"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation")" \
    "$(as_analyst "SELECT count(*) FROM mart.reconciliation")" "analyst reads mart.reconciliation"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_benchmark")" \
    "$(as_analyst "SELECT count(*) FROM mart.mtfm_benchmark")" "analyst reads mart.mtfm_benchmark"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.adoption")" \
    "$(as_analyst "SELECT count(*) FROM mart.adoption")" "analyst reads mart.adoption"
assert_match '^[1-9]' "$(as_analyst "SELECT count(*) FROM mart.adoption")" "mart.adoption has rows for the analyst"
assert_match 'permission denied' "$(as_analyst "SELECT count(*) FROM core.cost_line")" \
    "analyst cannot read core.cost_line"
assert_match 'permission denied' "$(as_analyst "DELETE FROM mart.reconciliation")" \
    "analyst cannot write mart.reconciliation"
drop_analyst
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM pg_roles WHERE rolname = '$analyst'")" "the analyst role is dropped"

# =============================================================================================
# 7. Exit statuses
# =============================================================================================

assert_status 69 "unreachable server exits 69" -- "$rec" --dbname "host=/nonexistent port=1"
assert_match 'database unavailable|cannot connect' "$NCC_IT_ERR" "the unreachable server is explained on stderr"
assert_eq "" "$NCC_IT_OUT" "nothing on stdout when the server is unreachable"
assert_status 64 "an extra argument exits 64" -- "$rec" extra
assert_status 64 "an unknown option exits 64" -- "$rec" --no-such-option
assert_status 0 "--help" -- "$rec" --help
assert_match 'ncc-reconcile' "$NCC_IT_OUT" "--help prints the usage on stdout"

# =============================================================================================
# 8. Edge inputs (tests/data/reconcile/, trust RDD, hand-computed from the contract)
# =============================================================================================
# cost: a technology id on a non-MTFM line (ignored), an ambiguous procedure M65.2
# (UNATTRIBUTED), alias dg23 in lower case (DG49), explicit MTG58 over procedure M65.3,
# collection resource 'mtfm' in lower case, ' MTG37 ' with spaces.
# nhssc: a price-only credit (0 units, -500), NPC unmapped but GTIN mapped (MTG49), a credit
# of a 20-unit issue (DG49 -20), a credit with negative quantity and 'true', a zero credit,
# a lower-case customer code, 31 March / 1 April with units.
# supplier: DIRECT in 2024-03 (202324) and 2024-04 (202425), NHSSC route (triangulation only),
# alias MTG29 netting to zero with MTG74 (no row).

other_before=$(mart_rec_csv)
assert_status 0 "the edge inputs load" -- \
    "$load" "$edges/cost_RDD_202324_APC.csv" "$edges/nhssc_RDD_edges.csv" "$edges/supplier_RDD_edges.csv"
assert_eq "3 loaded" "$(ncc_it_sql "SELECT count(*) || ' ' || string_agg(DISTINCT status, ',') FROM audit.file_load
                                   WHERE file_name LIKE '%/tests/data/reconcile/%'")" \
    "the three edge files are loaded"
assert_status 0 "ncc-reconcile with the edge inputs succeeds" -- "$rec"
assert_eq "$(cat "$edges/expected_RDD.csv")" "$(grep '^[0-9]*,RDD,' <<<"$NCC_IT_OUT")" \
    "edge inputs: the RDD rows equal tests/data/reconcile/expected_RDD.csv"
assert_eq "$(cat "$edges/expected_RDD.csv")" "$(mart_rec_csv | grep '^[0-9]*,RDD,')" \
    "edge inputs: mart.reconciliation holds the same RDD rows"
assert_eq "$other_before" "$(mart_rec_csv | grep -v '^[0-9]*,RDD,')" \
    "edge inputs: the other trusts' rows are unchanged"
assert_eq "" "$(ncc_it_sql "SELECT technology_id FROM core.cost_line
                            WHERE org_code = 'RDD' AND collection_resource <> 'MTFM' AND technology_id IS NOT NULL")" \
    "edge inputs: the technology id on a non-MTFM line is not stored"
assert_eq "" "$(rec_row 202324 RDD MTG74)$(rec_row 202324 RDD MTG29)" \
    "edge inputs: direct sales under MTG29 and MTG74 net to zero and give no row"
check_independent 0.10 "edge inputs"
check_benchmark "edge inputs"
assert_eq "2 2450.0000 2450.0000" \
    "$(ncc_it_sql "SELECT DISTINCT n_orgs || ' ' || national_unit_cost || ' ' || median_unit_cost
                   FROM mart.mtfm_benchmark WHERE fin_year = '202324' AND technology_id = 'MTG58'")" \
    "edge inputs: MTG58 202324 is benchmarked over RAA and RDD"

ncc_it_finish
