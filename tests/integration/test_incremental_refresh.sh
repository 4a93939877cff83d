#!/usr/bin/env bash
# tests/integration/test_incremental_refresh.sh - a night that loads only cost files refreshes the
# marts for what changed (sql/013_incremental_refresh.sql), with exactly the result of a full
# refresh, on generated data (tests/bench/ncc-gen: cost lines of many trusts with MTFM lines, an
# NHSSC extract of the same trusts) and the adoption files of tests/data/adoption:
#   1. the first night (cost, NHSSC, supplier and QART files) is a full refresh, recorded in
#      audit.mart_state and audit.mart_refresh;
#   2. a night with two trusts' resubmissions (MTFM units and costs changed, one technology's
#      lines dropped) is incremental over their two (fin_year, org_code) pairs; every mart then
#      equals a full refresh (ncc-reconcile) of the same warehouse, row for row, and the
#      reconciliation and benchmark differ from before the night (the change reached them);
#   3. a night with nothing new is incremental over no pair and changes no mart;
#   4. full refreshes: a night with an NHSSC file, a QART row changed by SQL, another tolerance;
#      and ncc-reconcile always. Each time the marts equal a full refresh.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nightly=$NCC_BIN/ncc-nightly
rec=$NCC_BIN/ncc-reconcile
gen=$NCC_BIN/ncc-gen
for x in "$nightly" "$rec" "$gen"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
adoption=$NCC_ROOT/tests/data/adoption
T=$NCC_IT_TMP

ncc_it_setup incr_refresh
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_RECONCILE_TOLERANCE NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

q() { ncc_it_sql "$1"; }
in=$T/inbox ar=$T/archive qu=$T/quarantine
mkdir -p "$in" "$ar" "$qu"
night() { # MESSAGE [OPTION...]: a night over the inbox, -v (its marts line kept in $marts_line)
    local msg=$1
    shift
    assert_status 0 "$msg" -- "$nightly" -v --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu" "$@"
    marts_line=$(grep 'marts:' <<<"$NCC_IT_ERR" || true)
}
# every mart, sorted, without computed_at (the time of the refresh that wrote the row)
snapshot() {
    psql -X -q --csv -v ON_ERROR_STOP=1 \
        -c "SELECT fin_year, org_code, technology_id, ncc_units, ncc_cost, nhssc_units, nhssc_value,
                   direct_units, direct_value, supply_units, supply_value, status,
                   supplier_nhssc_units, supplier_nhssc_value, tolerance
            FROM mart.reconciliation ORDER BY fin_year, org_code COLLATE \"C\", technology_id COLLATE \"C\"" \
        -c 'SELECT * FROM mart.mtfm_benchmark ORDER BY fin_year, technology_id COLLATE "C", org_code COLLATE "C"' \
        -c 'SELECT * FROM mart.adoption_triangulation
            ORDER BY fin_year, quarter, org_code COLLATE "C", technology_id COLLATE "C"' \
        -c 'SELECT * FROM mart.stalled_adoption ORDER BY org_code COLLATE "C", technology_id COLLATE "C"' \
        -c 'SELECT * FROM mart.mtfm_dashboard ORDER BY fin_year, quarter, technology_id COLLATE "C"'
}
# the marts as they are, against a full refresh of the same warehouse (which it then leaves)
same_as_full() { # LABEL
    snapshot >"$T/before_full.csv"
    assert_status 0 "$1: ncc-reconcile (a full refresh) runs" -- "$rec" -o "$T/full_rec.csv"
    snapshot >"$T/after_full.csv"
    assert_eq "" "$(diff "$T/before_full.csv" "$T/after_full.csv" | head -20)" \
        "$1: every mart equals a full refresh of the same warehouse ($(wc -l <"$T/after_full.csv") rows)"
    assert_eq "true 0" "$(q "SELECT full_refresh || ' ' || pairs FROM audit.mart_state")" \
        "$1: ncc-reconcile recorded a full refresh"
}

# ---- data: many trusts' submissions (--block 50), NHSSC lines of the same trusts ------------
"$gen" --rows 30000 --block 50 -o "$T/cost.csv"
"$gen" --kind nhssc --rows 20000 -o "$T/nhssc.csv"
# two trust-years with MTFM lines: the first two distinct (fin_year, org_code) of MTFM lines
mapfile -t picks < <(awk -F, 'NR > 1 && $9 == "MTFM" && $11 != "" && !seen[$1 " " $2]++ { print $1, $2 }' \
    "$T/cost.csv" | head -2)
assert_eq 2 "${#picks[@]}" "the generated cost file has MTFM lines of two trust-years"
read -r fy1 org1 <<<"${picks[0]}"
read -r fy2 org2 <<<"${picks[1]}"

# ---- 1. the first night: full -------------------------------------------------------------
cp "$T/cost.csv" "$in/cost_all.csv"
cp "$adoption"/qart_*.csv "$adoption"/supplier_adoption.csv "$T/nhssc.csv" "$in/"
night "the first night loads cost, NHSSC, supplier and QART files"
assert_match 'marts: full refresh \(no refresh recorded\)' "$marts_line" "the first night is a full refresh ($marts_line)"
assert_eq "true 0" "$(q "SELECT full_refresh || ' ' || pairs FROM audit.mart_state")" "audit.mart_state records the full refresh"
assert_eq "0" "$(q "SELECT count(*) FROM audit.file_load f WHERE status = 'loaded'
                    AND NOT EXISTS (SELECT 1 FROM audit.mart_refresh r WHERE r.file_load_id = f.file_load_id)")" \
    "audit.mart_refresh holds every file loaded"
n_pairs=$(q "SELECT count(*) FROM (SELECT DISTINCT fin_year, org_code FROM core.submission) x")
[[ $n_pairs -ge 20 ]] && ncc_it__pass "the warehouse has $n_pairs trust-years" || ncc_it__fail "only $n_pairs trust-years"
same_as_full "after the first night"

# ---- 2. two trusts' resubmissions: incremental, equal to full --------------------------------
# trust 1: every MTFM line of the year one unit more and 1.00 dearer; trust 2: one technology's
# MTFM lines dropped (its reconciliation rows change status or go), the others 0.01 dearer
tech2=$(awk -F, -v fy="$fy2" -v org="$org2" '$1 == fy && $2 == org && $9 == "MTFM" && $11 != "" { print $11; exit }' "$T/cost.csv")
awk -F, -v OFS=, -v fy="$fy1" -v org="$org1" 'NR == 1 { print; next }
    $1 == fy && $2 == org { if ($9 == "MTFM") { $12 = $12 + 1; c = $13; sub(/\./, "", c); c = c + 100;
        $13 = sprintf("%d.%02d", int(c / 100), c % 100) } print }' "$T/cost.csv" >"$in/resub_$org1.csv"
awk -F, -v OFS=, -v fy="$fy2" -v org="$org2" -v t="$tech2" 'NR == 1 { print; next }
    $1 == fy && $2 == org { if ($9 == "MTFM" && $11 == t) next
        if ($9 == "MTFM") { c = $13; sub(/\./, "", c); c = c + 1; $13 = sprintf("%d.%02d", int(c / 100), c % 100) }
        print }' "$T/cost.csv" >"$in/resub_$org2.csv"
cp "$in/resub_$org1.csv" "$T/r1.csv"
cp "$in/resub_$org2.csv" "$T/r2.csv"
snapshot >"$T/before_night.csv"
rec_before=$(q "SELECT md5(string_agg(r::text, ',' ORDER BY fin_year, org_code, technology_id)) FROM
                (SELECT fin_year, org_code, technology_id, ncc_units, ncc_cost, status FROM mart.reconciliation
                 WHERE (fin_year, org_code) NOT IN (('$fy1', '$org1'), ('$fy2', '$org2'))) r")
night "a night with two trusts' resubmissions"
assert_match 'marts: incremental refresh \(2 \(fin_year, org_code\) pairs' "$marts_line" \
    "the night refreshes the marts for the two trust-years only ($marts_line)"
assert_eq "false 2" "$(q "SELECT full_refresh || ' ' || pairs FROM audit.mart_state")" "audit.mart_state records the incremental refresh"
assert_eq "$rec_before" "$(q "SELECT md5(string_agg(r::text, ',' ORDER BY fin_year, org_code, technology_id)) FROM
                (SELECT fin_year, org_code, technology_id, ncc_units, ncc_cost, status FROM mart.reconciliation
                 WHERE (fin_year, org_code) NOT IN (('$fy1', '$org1'), ('$fy2', '$org2'))) r")" \
    "the other trust-years' reconciliation rows are as they were"
assert_match '.' "$(q "SELECT 1 FROM mart.reconciliation WHERE fin_year = '$fy1' AND org_code = '$org1'
                       AND computed_at > (SELECT min(computed_at) FROM mart.reconciliation) LIMIT 1")" \
    "trust 1's reconciliation rows were recomputed"
changed=$(diff "$T/before_night.csv" <(snapshot) | grep -c '^>' || true)
[[ $changed -gt 0 ]] && ncc_it__pass "the resubmissions changed $changed mart rows" || ncc_it__fail "no mart row changed"
assert_eq "" "$(q "SELECT technology_id FROM mart.reconciliation WHERE fin_year = '$fy2' AND org_code = '$org2'
                   AND technology_id = '$tech2' AND ncc_units <> 0")" \
    "trust 2's dropped technology $tech2 has no NCC units left in the reconciliation"
same_as_full "after the incremental night"

# ---- 3. nothing new: incremental over no pair, nothing changes --------------------------------
snapshot >"$T/before_empty.csv"
night "a night with an empty inbox"
assert_match 'marts: incremental refresh \(0 \(fin_year, org_code\) pairs' "$marts_line" "an empty night recomputes nothing ($marts_line)"
assert_eq "" "$(diff "$T/before_empty.csv" <(snapshot))" "an empty night changes no mart"
# a file already loaded (unchanged) is no change either
cp "$T/r2.csv" "$in/resub_again.csv"
night "a night with a file loaded before"
assert_match 'marts: incremental refresh \(0 ' "$marts_line" "an unchanged file recomputes nothing ($marts_line)"

# ---- 4. what a cost file cannot change: full refreshes ------------------------------------------
# an NHSSC file
"$gen" --kind nhssc --rows 500 --seed 5 -o "$in/nhssc_more.csv"
awk -F, -v OFS=, 'NR > 1 && $9 == "MTFM" { $12 = $12 + 2 } { print }' "$T/r1.csv" >"$in/resub_${org1}_2.csv"
night "a night with an NHSSC extract and a resubmission"
assert_match 'marts: full refresh \(files other than cost files loaded\)' "$marts_line" "an NHSSC file makes a full refresh ($marts_line)"
same_as_full "after the NHSSC night"
# a QART row changed outside a file load, then a resubmission
q "UPDATE core.qart_return SET patients = coalesce(patients, 0) + 7
   WHERE (org_code, fin_year, quarter, provider_ods, technology_id) IN
         (SELECT org_code, fin_year, quarter, provider_ods, technology_id FROM core.qart_return LIMIT 1)" >/dev/null
awk -F, -v OFS=, 'NR > 1 && $9 == "MTFM" { $12 = $12 + 3 } { print }' "$T/r1.csv" >"$in/resub_${org1}_3.csv"
night "a night after a QART row changed"
assert_match 'marts: full refresh \(QART returns, resource impacts or migrations changed\)' "$marts_line" "a changed QART row makes a full refresh ($marts_line)"
same_as_full "after the QART change"
# another tolerance
awk -F, -v OFS=, 'NR > 1 && $9 == "MTFM" { $12 = $12 + 4 } { print }' "$T/r1.csv" >"$in/resub_${org1}_4.csv"
export NCC_RECONCILE_TOLERANCE=0.25
night "a night with another tolerance"
assert_match 'marts: full refresh \(another tolerance\)' "$marts_line" "another tolerance makes a full refresh ($marts_line)"
assert_eq "0.2500" "$(q "SELECT DISTINCT tolerance FROM mart.reconciliation")" "every reconciliation row has the night's tolerance"
# and back to incremental with that tolerance
awk -F, -v OFS=, 'NR > 1 && $9 == "MTFM" { $12 = $12 + 5 } { print }' "$T/r1.csv" >"$in/resub_${org1}_5.csv"
night "a resubmission at that tolerance"
assert_match 'marts: incremental refresh \(1 \(fin_year, org_code\) pair ' "$marts_line" "the next resubmission is incremental again ($marts_line)"
snapshot >"$T/incr_025.csv"
assert_status 0 "ncc-reconcile --tolerance 0.25 (full)" -- "$rec" --tolerance 0.25 -o /dev/null
assert_eq "" "$(diff "$T/incr_025.csv" <(snapshot) | head -20)" "the incremental night at 0.25 equals a full refresh at 0.25"

ncc_it_finish
