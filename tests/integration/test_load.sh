#!/usr/bin/env bash
# tests/integration/test_load.sh - ncc-load against a real database (DATA-CONTRACT.md §2, §4,
# §5.4, §6): the demo fixtures load with the totals ncc-validate computes offline; a second
# load changes nothing; a resubmission replaces its submission whole and atomically (readers
# see the old total or the new one, never a mix); a file with a bad row, or off its ledger, is
# quarantined with its errors in audit; COPY carries backslashes and "\." as data; NHSSC lines
# are replaced by (invoice_no, line_no); two loads of one submission at once leave the later
# one whole; row-level security holds on loaded rows; exit statuses. Inputs: fixtures/demo,
# tests/data/load (see its README.md) and files generated in a temporary directory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load=$NCC_BIN/ncc-load
validate=$NCC_BIN/ncc-validate
[[ -x $load ]] || { echo "ncc-load not built in $NCC_BIN" >&2; exit 1; }
[[ -x $validate ]] || { echo "ncc-validate not built in $NCC_BIN" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

ncc_it_setup load
# The migrations, kinds and reference data of the tree under test; no stray settings.
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=/dev/null
unset NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

demo=$NCC_ROOT/fixtures/demo
data=$NCC_ROOT/tests/data/load
work=$(mktemp -d "${TMPDIR:-/tmp}/ncc_it_load.XXXXXX")
ncc_it_on_exit "rm -rf '$work'"

q() { ncc_it_sql "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# C-collation sort keys so that SQL and jq/sort order lists the same way
C='COLLATE "C"'

# Everything in core, table by table: row count, money sums and a hash of every row's text.
# Equal snapshots = not one row, value, file_load_id or loaded_at changed. Core tables beyond
# the contract's five (whatever the design adds) are covered by count and hash.
core_snapshot() {
    local other
    other=$(q "SELECT string_agg(format(
                   'SELECT format(%L, count(*), md5(coalesce(string_agg(x::text, %L ORDER BY x::text $C), %L))) FROM %s x',
                   c.oid::regclass::text || ' %s %s', '|', '', c.oid::regclass), ' UNION ALL ' ORDER BY c.relname)
               FROM pg_class c
               WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                 AND c.relname NOT IN ('cost_line', 'submission', 'ledger', 'nhssc_sales_line', 'supplier_sales')")
    q "SELECT string_agg(s, E'\n' ORDER BY s) FROM (
         SELECT format('cost_line %s %s %s %s', count(*), sum(activity_count), sum(cost),
                       md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))) FROM core.cost_line x
         UNION ALL
         SELECT format('submission %s %s %s %s', count(*), sum(rows), sum(cost),
                       md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))) FROM core.submission x
         UNION ALL
         SELECT format('ledger %s %s %s', count(*), sum(ledger_cost),
                       md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))) FROM core.ledger x
         UNION ALL
         SELECT format('nhssc_sales_line %s %s %s %s', count(*), sum(quantity), sum(line_value_ex_vat),
                       md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))) FROM core.nhssc_sales_line x
         UNION ALL
         SELECT format('supplier_sales %s %s %s %s', count(*), sum(units), sum(value_ex_vat),
                       md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))) FROM core.supplier_sales x
         ${other:+UNION ALL $other}
       ) t(s)"
}

# audit.file_load of one file name (the latest row): "kind status rows_read rows_loaded rows_rejected"
audit_of() {
    q "SELECT concat_ws(' ', coalesce(kind, '-'), status, rows_read, rows_loaded, rows_rejected) FROM audit.file_load
       WHERE file_name = '$1' ORDER BY file_load_id DESC LIMIT 1"
}
# Its errors as "code line column", sorted by code
errors_of() {
    q "SELECT string_agg(concat_ws(' ', e.code, coalesce(e.line::text, '-'), coalesce(e.column_name, '-')),
                         ', ' ORDER BY e.code $C, e.line)
       FROM audit.file_error e
       WHERE e.file_load_id = (SELECT max(file_load_id) FROM audit.file_load WHERE file_name = '$1')
         AND e.code !~ '^W_'"
}
last_id() { q "SELECT max(file_load_id) FROM audit.file_load WHERE file_name = '$1'"; }

# ---- 1. the demo fixtures ----------------------------------------------------------------

files=("$demo/ledger_202324.csv" "$demo"/cost_* "$demo"/nhssc* "$demo"/supplier*)
assert_eq 8 "${#files[@]}" "the demo fixtures are eight files"

"$validate" --json "${files[@]}" >"$work/validate.json" || true
assert_eq "true" "$(jq -r .ok "$work/validate.json")" "ncc-validate finds the demo fixtures valid"

assert_status 0 "first load of the demo fixtures exits 0" -- "$load" "${files[@]}"
assert_eq "" "$NCC_IT_OUT$NCC_IT_ERR" "a successful load prints nothing"

expected=$(jq -r '[.files[] | select(.kind == "cost") | .totals[]] | sort_by([.fin_year, .org_code, .feed])
                  | .[] | "\(.fin_year) \(.org_code) \(.feed) \(.rows) \(.cost)"' "$work/validate.json")
assert_eq 5 "$(q 'SELECT count(*) FROM core.submission')" "one core.submission row per cost submission (5)"
assert_eq "$expected" \
    "$(q "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, rows, cost), E'\n'
                            ORDER BY fin_year $C, org_code $C, feed $C) FROM core.submission")" \
    "core.submission rows and cost equal ncc-validate's totals"
assert_eq "$expected" \
    "$(q "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, n, c), E'\n'
                            ORDER BY fin_year $C, org_code $C, feed $C)
          FROM (SELECT fin_year, org_code, feed, count(*) n, sum(cost) c FROM core.cost_line
                GROUP BY 1, 2, 3) s")" \
    "core.cost_line counts and sums per submission equal ncc-validate's totals"

expected=""
while read -r fy org feed path; do
    expected+="$fy $org $feed $(sha "$path")"$'\n'
done < <(jq -r '.files[] | select(.kind == "cost") | .path as $p | .totals[]
                | "\(.fin_year) \(.org_code) \(.feed) \($p)"' "$work/validate.json" | LC_ALL=C sort)
assert_eq "${expected%$'\n'}" \
    "$(q "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, sha256), E'\n'
                            ORDER BY fin_year $C, org_code $C, feed $C) FROM core.submission")" \
    "core.submission.sha256 is the sha256sum of each submission's file"

expected=$(jq -r '[.files[] | select(.kind == "cost") | .mtfm[]] | sort_by([.fin_year, .org_code, .technology_id])
                  | .[] | "\(.fin_year) \(.org_code) \(.technology_id) \(.units) \(.cost)"' "$work/validate.json")
assert_eq 9 "$(wc -l <<<"$expected")" "ncc-validate reports nine MTFM aggregates for the demo cost files"
assert_eq "$expected" \
    "$(q "SELECT string_agg(concat_ws(' ', fin_year, org_code, technology_id, u, c), E'\n'
                            ORDER BY fin_year $C, org_code $C, technology_id $C)
          FROM (SELECT fin_year, org_code, technology_id, sum(activity_count) u, sum(cost) c
                FROM core.cost_line WHERE technology_id IS NOT NULL GROUP BY 1, 2, 3) s")" \
    "MTFM units and cost per technology in core.cost_line equal ncc-validate's mtfm arrays"

expected=$(jq -r '[.files[] | select(.kind == "ledger") | .totals[]] | sort_by([.fin_year, .org_code, .feed])
                  | .[] | "\(.fin_year) \(.org_code) \(.feed) \(.cost)"' "$work/validate.json")
assert_eq "$expected" \
    "$(q "SELECT string_agg(concat_ws(' ', fin_year, org_code, feed, ledger_cost), E'\n'
                            ORDER BY fin_year $C, org_code $C, feed $C) FROM core.ledger")" \
    "core.ledger holds the ledger file's rows"
assert_eq "$(jq '[.files[] | select(.kind == "nhssc") | .rows_read] | add' "$work/validate.json")" \
    "$(q 'SELECT count(*) FROM core.nhssc_sales_line')" "core.nhssc_sales_line count equals the extract's rows_read"
assert_eq "$(jq '[.files[] | select(.kind == "supplier") | .rows_read] | add' "$work/validate.json")" \
    "$(q 'SELECT count(*) FROM core.supplier_sales')" "core.supplier_sales count equals the return's rows_read"

expected=""
while read -r path kind n; do
    expected+="$path $kind loaded $n $n 0 $(sha "$path")"$'\n'
done < <(jq -r '.files[] | "\(.path) \(.kind) \(.rows_read)"' "$work/validate.json" | LC_ALL=C sort)
assert_eq 8 "$(q 'SELECT count(*) FROM audit.file_load')" "audit.file_load has one row per file"
assert_eq "${expected%$'\n'}" \
    "$(q "SELECT string_agg(concat_ws(' ', file_name, kind, status, rows_read, rows_loaded, rows_rejected, sha256),
                            E'\n' ORDER BY file_name $C) FROM audit.file_load")" \
    "every file is 'loaded' with rows_read = rows_loaded and its sha256sum"
assert_eq 0 "$(q 'SELECT count(*) FROM audit.file_load WHERE ended_at IS NULL OR ended_at < started_at')" \
    "every file_load row has its start and end times"
first_max=$(q 'SELECT max(file_load_id) FROM audit.file_load')

# ---- 2. the same files again ---------------------------------------------------------------

before=$(core_snapshot)
assert_status 0 "second load of the same files exits 0" -- "$load" "${files[@]}"
expected=""
for path in "${files[@]}"; do expected+="$path unchanged $(sha "$path")"$'\n'; done
expected=$(LC_ALL=C sort <<<"${expected%$'\n'}")
assert_eq "$expected" \
    "$(q "SELECT string_agg(concat_ws(' ', file_name, status, sha256), E'\n' ORDER BY file_name $C)
          FROM audit.file_load WHERE file_load_id > $first_max")" \
    "every file of the second load is recorded 'unchanged'"
assert_eq "$before" "$(core_snapshot)" "the second load changes no core table's counts, sums or rows"

# ---- 3. a changed resubmission ----------------------------------------------------------------

# Drop RAA-APC-000002 (7614.87) and -000003 (4540.82), raise -000001 from 2065.21 to 13000.25:
# 71 rows, 445623.56 - 1220.65 = 444402.91, still within 1 % of the ledger's 445623.56.
resub=$work/cost_RAA_202324_APC_resubmitted.csv
awk -F, -v OFS=, '$4 == "RAA-APC-000002" || $4 == "RAA-APC-000003" { next }
                  $4 == "RAA-APC-000001" { $13 = "13000.25" } { print }' \
    "$demo/cost_RAA_202324_APC.csv" >"$resub"
key="fin_year = '202324' AND org_code = 'RAA' AND feed = 'APC'"
others_sub="SELECT string_agg(x::text, E'\n' ORDER BY x::text $C) FROM core.submission x WHERE NOT ($key)"
others_lines="SELECT count(*) || ' ' || md5(string_agg(x::text, '|' ORDER BY x::text $C)) FROM core.cost_line x WHERE NOT ($key)"
before_sub=$(q "$others_sub")
before_lines=$(q "$others_lines")
assert_status 0 "a changed resubmission loads (exit 0)" -- "$load" "$resub"
resub_id=$(last_id "$resub")
assert_eq "cost loaded 71 71 0" "$(audit_of "$resub")" "the resubmission is recorded loaded, 71 rows"
assert_eq "$(awk -F, 'NR > 1 { print $4 }' "$resub" | LC_ALL=C sort)" \
    "$(q "SELECT string_agg(activity_id, E'\n' ORDER BY activity_id $C) FROM core.cost_line WHERE $key")" \
    "core.cost_line holds exactly the resubmitted rows for 202324/RAA/APC"
assert_eq "0" "$(q "SELECT count(*) FROM core.cost_line WHERE $key AND activity_id IN ('RAA-APC-000002', 'RAA-APC-000003')")" \
    "the dropped activity ids are gone"
assert_eq "13000.2500" "$(q "SELECT cost FROM core.cost_line WHERE $key AND activity_id = 'RAA-APC-000001'")" \
    "the changed cost is the new one"
assert_eq "71 444402.9100 71" \
    "$(q "SELECT count(*) || ' ' || sum(cost) || ' ' || count(*) FILTER (WHERE file_load_id = $resub_id)
          FROM core.cost_line WHERE $key")" \
    "every line of the submission is new: 71 rows, 444402.9100, the resubmission's file_load_id"
assert_eq "$(jq -r '.files[0].totals[] | "\(.rows) \(.cost)"' < <("$validate" --json "$resub" || true)) $(sha "$resub") $resub_id" \
    "$(q "SELECT concat_ws(' ', rows, cost, sha256, file_load_id) FROM core.submission WHERE $key")" \
    "core.submission shows the resubmission's rows, cost and sha256"
assert_eq "$before_sub" "$(q "$others_sub")" "the other submissions are untouched"
assert_eq "$before_lines" "$(q "$others_lines")" "the other submissions' cost lines are untouched"

# ---- 4. one bad row among thirty ---------------------------------------------------------------

bad=$data/cost_RDD_202425_OP_one_bad_row.csv
before=$(core_snapshot)
assert_status 65 "a cost file with one bad row is quarantined (exit 65)" -- "$load" "$bad"
assert_match 'quarantined.*F_REJECT_LIMIT' "$NCC_IT_ERR" "stderr says why the file was quarantined"
assert_eq "$before" "$(core_snapshot)" "nothing of the quarantined file reaches core"
assert_eq "0" "$(q "SELECT count(*) FROM core.cost_line WHERE org_code = 'RDD'")" "no RDD cost line was loaded"
assert_eq "cost quarantined 30 0 30" "$(audit_of "$bad")" \
    "audit: quarantined, rows_loaded 0, rows_rejected = rows_read"
assert_eq "E_NUMBER 17 cost, F_REJECT_LIMIT - -" "$(errors_of "$bad")" \
    "audit.file_error: F_REJECT_LIMIT and E_NUMBER at line 17, column cost"

assert_status 0 "the same file with --max-reject-rate 0.5 loads" -- "$load" --max-reject-rate 0.5 "$bad"
expected=$(jq -r '.files[0].totals[] | "\(.rows) \(.cost)"' < <("$validate" --json "$bad" || true))
assert_eq "29 6058.3700" "$expected" "ncc-validate: 29 valid rows costing 6058.3700"
assert_eq "$expected" \
    "$(q "SELECT count(*) || ' ' || sum(cost) FROM core.cost_line WHERE fin_year = '202425' AND org_code = 'RDD' AND feed = 'OP'")" \
    "only the 29 valid rows are loaded"
assert_eq "0" "$(q "SELECT count(*) FROM core.cost_line WHERE activity_id = 'RDD-OP-000016'")" \
    "the bad row is not loaded"
assert_eq "$expected" "$(q "SELECT rows || ' ' || cost FROM core.submission WHERE org_code = 'RDD'")" \
    "core.submission counts the valid rows only"
assert_eq "cost loaded 30 29 1" "$(audit_of "$bad")" "audit: loaded, 29 of 30 rows, 1 rejected"
assert_eq "E_NUMBER 17 cost" "$(errors_of "$bad")" "audit.file_error keeps the rejected row's error"

# ---- 5. ledger tolerance at load -----------------------------------------------------------------

ledger=$data/ledger_REE_202425_far.csv
offl=$data/cost_REE_202425_APC_off_ledger.csv
assert_status 0 "a ledger of 1000.00 for 202425/REE/APC loads" -- "$load" "$ledger"
assert_eq "1000.0000" "$(q "SELECT ledger_cost FROM core.ledger WHERE fin_year = '202425' AND org_code = 'REE'")" \
    "core.ledger holds the new ledger row"
before=$(core_snapshot)
assert_status 65 "a cost file 50000.50 against that ledger is quarantined (exit 65)" -- "$load" "$offl"
assert_match 'F_LEDGER_TOLERANCE' "$NCC_IT_ERR" "stderr names F_LEDGER_TOLERANCE"
assert_eq "$before" "$(core_snapshot)" "nothing of the off-ledger file reaches core"
assert_eq "cost quarantined 3 0 3" "$(audit_of "$offl")" "audit: off-ledger file quarantined, 3 rows rejected"
assert_match '(^|, )F_LEDGER_TOLERANCE ' "$(errors_of "$offl")" "audit.file_error holds F_LEDGER_TOLERANCE"

# ---- 6. backslashes and "\." are data ------------------------------------------------------------

esc=$data/nhssc_escapes.csv
assert_status 0 "an extract with backslashes and \\. in values loads" -- "$load" "$esc"
esc_sql() { q "SELECT coalesce(encode(convert_to($1, 'UTF8'), 'hex'), 'NULL') FROM core.nhssc_sales_line
               WHERE invoice_no = 'ESC1' AND line_no = $2"; }
assert_eq "$(hex '\.')" "$(esc_sql description 1)" 'quoted "\." description reads back byte-exact'
assert_eq "$(hex '\.')" "$(esc_sql description 2)" 'unquoted \. description reads back byte-exact'
assert_eq "$(hex '\.')" "$(esc_sql mpc 2)" 'unquoted \. mpc reads back byte-exact'
assert_eq "$(hex 'C:\temp\new \N')" "$(esc_sql description 3)" 'C:\temp\new \N is not turned into a tab, newline or NULL'
assert_eq "$(hex 'Back\slash Ltd')" "$(esc_sql supplier 3)" 'a backslash in the supplier name reads back byte-exact'
assert_eq "$(hex '\N')" "$(esc_sql description 4)" 'a value \N is the two characters, not NULL'
# shellcheck disable=SC1003 # a literal backslash pair, not an escaped quote
assert_eq "$(hex 'comma, "quoted" \\')" "$(esc_sql description 5)" 'commas, doubled quotes and \\ read back byte-exact'

# ---- 7. an NHSSC extract again, under another name, one value changed ----------------------------

resent=$work/nhssc_extract_2023_24_resent.csv
awk -F, -v OFS=, '$2 == "INV2001" && $3 == "1" { $12 = "21750.00" } { print }' \
    "$demo/nhssc_extract_2023_24.csv" >"$resent"
assert_eq "1" "$(grep -c ',21750.00,' "$resent")" "the resent extract has one changed line value"
inv="invoice_no <> 'ESC1'"
nhssc_before=$(q "SELECT count(*) || ' ' || sum(line_value_ex_vat) FROM core.nhssc_sales_line WHERE $inv")
esc_before=$(q "SELECT string_agg(x::text, '|' ORDER BY line_no) FROM core.nhssc_sales_line x WHERE invoice_no = 'ESC1'")
assert_status 0 "the resent extract loads" -- "$load" "$resent"
resent_id=$(last_id "$resent")
assert_eq "nhssc loaded 14 14 0" "$(audit_of "$resent")" "the resent extract is recorded loaded, 14 rows"
assert_eq "14 $(q "SELECT (${nhssc_before#* }::numeric + 50)::text")" \
    "$(q "SELECT count(*) || ' ' || sum(line_value_ex_vat) FROM core.nhssc_sales_line WHERE $inv")" \
    "line counts do not double; the total moves by the changed line's +50.00 only"
assert_eq "21750.0000 $resent_id" \
    "$(q "SELECT line_value_ex_vat || ' ' || file_load_id FROM core.nhssc_sales_line WHERE invoice_no = 'INV2001' AND line_no = 1")" \
    "the changed value replaces the old one"
assert_eq "14" "$(q "SELECT count(*) FROM core.nhssc_sales_line WHERE file_load_id = $resent_id")" \
    "all 14 lines are now the resent extract's (replaced by invoice_no, line_no)"
assert_eq "$esc_before" \
    "$(q "SELECT string_agg(x::text, '|' ORDER BY line_no) FROM core.nhssc_sales_line x WHERE invoice_no = 'ESC1'")" \
    "invoices not in the resent extract are untouched"

# ---- 8. readers never see a half-loaded submission ---------------------------------------------

# 300000 lines for 202324/RBB/APC: 7000.80 + 299999 x 0.80 = 247000.00, within 1 % of the
# ledger's 247348.53, different from the loaded 246117.95.
big=$work/cost_RBB_202324_APC_big.csv
awk 'BEGIN {
    print "fin_year,org_code,feed,activity_id,currency_code,collection_resource,collection_activity,activity_count,cost"
    for (i = 1; i <= 300000; i++)
        printf "202324,RBB,APC,RBB-BIG-%06d,WF01A,STAFF,WARD,1,%s\n", i, (i == 1 ? "7000.80" : "0.80")
}' >"$big"
key="fin_year = '202324' AND org_code = 'RBB' AND feed = 'APC'"
probe="SELECT count(*) || ' ' || coalesce(sum(cost), 0) FROM core.cost_line WHERE $key"
old=$(q "$probe")
new="300000 247000.0000"
assert_eq "57 246117.9500" "$old" "before the big load RBB/APC has its 57 demo lines"

"$load" "$big" >"$work/big.out" 2>"$work/big.err" &
big_pid=$!
ncc_it_on_exit "kill $big_pid"
declare -A seen=()
queries=0 during=0
while :; do
    alive=0
    kill -0 "$big_pid" 2>/dev/null && alive=1
    v=$(q "$probe")
    seen[$v]=$((${seen[$v]:-0} + 1))
    queries=$((queries + 1))
    ((alive)) || break
    during=$((during + 1))
done
big_status=0
wait "$big_pid" || big_status=$?
assert_eq "0" "$big_status" "the 300000-line resubmission loads (exit 0)"
strays=""
for v in "${!seen[@]}"; do [[ $v == "$old" || $v == "$new" ]] || strays+="[$v] "; done
assert_eq "" "$strays" \
    "readers saw only the old or the new submission ($queries queries, $during during the load, ${#seen[@]} distinct values)"
assert_match '^([3-9]|[1-9][0-9]+)$' "$during" "at least 3 queries ran during the load ($during)"
assert_eq "$new" "$(q "$probe")" "after the load RBB/APC has the 300000 new lines and the new total"
assert_eq "$new" "$(q "SELECT rows || ' ' || cost FROM core.submission WHERE $key")" \
    "core.submission shows the new rows and total"

# ---- 8b. two loads of one submission at once (ncc-nightly --jobs, two cron jobs) -------------

# A holder transaction keeps audit.file_load in SHARE mode: load A then stops just before its
# commit, its replacement of 202425/RDD/OP done. Load B of the same key starts meanwhile. When
# A commits, B must replace A's rows whole - never keep both sets, never fail on the key.
race_a=$work/cost_RDD_202425_OP_race_a.csv
race_b=$work/cost_RDD_202425_OP_race_b.csv
hdr="fin_year,org_code,feed,activity_id,currency_code,collection_resource,collection_activity,activity_count,cost"
{ echo "$hdr"; for i in 1 2 3 4 5; do echo "202425,RDD,OP,RDD-OP-A0000$i,WF01A,STAFFNUR,CLINIC,1,10.00"; done; } >"$race_a"
{ echo "$hdr"; for i in 1 2 3 4; do echo "202425,RDD,OP,RDD-OP-B0000$i,WF01A,STAFFNUR,CLINIC,1,20.00"; done; } >"$race_b"
key="fin_year = '202425' AND org_code = 'RDD' AND feed = 'OP'"
holder=ncc_it_load_holder_$$
release_holder() {
    psql -XAtq -c "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE application_name = '$holder'" >/dev/null
}
ncc_it_on_exit "release_holder"
# wait (up to 20 s) until the SQL condition $1 holds or process $2 (if given) has ended
wait_for() {
    local i
    for ((i = 0; i < 400; i++)); do
        [[ $(q "SELECT $1") == t ]] && return 0
        [[ -n ${2:-} ]] && ! kill -0 "$2" 2>/dev/null && return 1
        sleep 0.05
    done
    return 1
}
waiting="(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
          AND application_name = 'ncc-load' AND wait_event_type = 'Lock')"
PGAPPNAME=$holder psql -XAtq -c "BEGIN; LOCK TABLE audit.file_load IN SHARE MODE; SELECT pg_sleep(60); COMMIT" \
    >/dev/null 2>&1 &
holder_pid=$!
wait_for "EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                  WHERE a.application_name = '$holder' AND l.relation = 'audit.file_load'::regclass AND l.granted)" \
    "$holder_pid" || true
"$load" "$race_a" >"$work/race_a.out" 2>"$work/race_a.err" &
a_pid=$!
ncc_it_on_exit "kill $a_pid"
a_waits=no
wait_for "$waiting = 1" "$a_pid" && a_waits=yes
"$load" "$race_b" >"$work/race_b.out" 2>"$work/race_b.err" &
b_pid=$!
ncc_it_on_exit "kill $b_pid"
b_waits=no
wait_for "$waiting = 2" "$b_pid" && b_waits=yes
release_holder
wait "$holder_pid" || true
a_status=0 b_status=0
wait "$a_pid" || a_status=$?
wait "$b_pid" || b_status=$?
assert_eq "yes yes" "$a_waits $b_waits" "load B of 202425/RDD/OP ran while load A of it was not yet committed"
assert_eq "0 0" "$a_status $b_status" "both concurrent loads exit 0"
assert_eq "RDD-OP-B00001 RDD-OP-B00002 RDD-OP-B00003 RDD-OP-B00004" \
    "$(q "SELECT string_agg(activity_id, ' ' ORDER BY activity_id $C) FROM core.cost_line WHERE $key")" \
    "the later load replaced the earlier one whole: only B's lines remain"
assert_eq "4 80.0000 4 80.0000" \
    "$(q "SELECT s.rows || ' ' || s.cost || ' ' || c.n || ' ' || c.total FROM core.submission s,
                 (SELECT count(*) n, sum(cost) total FROM core.cost_line WHERE $key) c WHERE s.$key")" \
    "core.submission agrees with core.cost_line after the concurrent loads"
assert_eq "cost loaded 5 5 0|cost loaded 4 4 0" "$(audit_of "$race_a")|$(audit_of "$race_b")" \
    "both concurrent loads are recorded loaded"

# ---- 9. row-level security on loaded rows ------------------------------------------------------

p=ncc_it_load_$$_ # roles are cluster-wide: a name no other test or run uses
trust=${p}trust_raa
analyst=${p}analyst
drop_roles() {
    psql -XAtq -c "DELETE FROM ref.trust_role WHERE role_name IN ('$trust', '$analyst')" || true
    PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres \
        -c "DROP ROLE IF EXISTS $trust" -c "DROP ROLE IF EXISTS $analyst"
}
drop_roles >/dev/null 2>&1
ncc_it_on_exit "drop_roles"
q "CREATE ROLE $trust LOGIN IN ROLE ncc_trust;
   CREATE ROLE $analyst LOGIN IN ROLE ncc_analyst;
   INSERT INTO ref.trust_role (role_name, org_code) VALUES ('$trust', 'RAA')"
raa=$(q "SELECT count(*) FROM core.cost_line WHERE org_code = 'RAA'")
assert_eq "144" "$raa" "RAA has 144 cost lines (71 + 40 + 33)"
assert_eq "$raa RAA" "$(q "SET ROLE $trust; SELECT count(*) || ' ' || string_agg(DISTINCT org_code, ' ') FROM core.cost_line")" \
    "a member of ncc_trust mapped to RAA sees exactly RAA's cost lines"
assert_eq "RAA" "$(q "SET ROLE $trust; SELECT string_agg(DISTINCT org_code, ' ') FROM core.submission")" \
    "it sees only RAA's submissions"
assert_match "permission denied" "$(ncc_it_sql_error "SET ROLE $analyst; SELECT count(*) FROM core.cost_line")" \
    "an ncc_analyst member cannot read core.cost_line"
drop_roles >/dev/null 2>&1
assert_eq "0" "$(q "SELECT count(*) FROM pg_roles WHERE rolname LIKE '${p}%'")" "the test roles are dropped"

# ---- 10. exit statuses ---------------------------------------------------------------------------

assert_status 69 "an unreachable database exits 69" -- \
    "$load" --dbname "host=/nonexistent-dir port=1 dbname=x" "$demo/ledger_202324.csv"
assert_match 'database unavailable' "$NCC_IT_ERR" "the unreachable database is explained on stderr"
missing=$work/no-such-file.csv
assert_status 66 "a missing input file exits 66" -- "$load" "$missing"
assert_match 'no-such-file\.csv' "$NCC_IT_ERR" "stderr names the missing file"
assert_eq "- quarantined 0 0 0" "$(audit_of "$missing")" "the missing file is recorded quarantined"
assert_eq "F_UNREADABLE - -" "$(errors_of "$missing")" "with F_UNREADABLE"
assert_status 64 "no arguments exits 64" -- "$load"
assert_match 'no input file' "$NCC_IT_ERR" "the usage error is explained on stderr"


# ---- 11. the same warehouse whichever way the rows go in -------------------------------------
# Cost and ledger files on disk are validated and COPYed straight into their tables in one
# pass (replacing their submissions as their first rows come); standard input, and a loader role subject to row-level security (PostgreSQL refuses
# it COPY FROM into such a table), go through a staging table. Same files, same order, three
# fresh databases: the warehouse must be the same row for row (file_load_ids included).
path_files=("$demo/ledger_202324.csv" "$demo"/cost_* "$resub" "$data/cost_RDD_202425_OP_one_bad_row.csv")
warehouse_rows() {
    q "SELECT md5(string_agg(t, E'\n' ORDER BY t $C)) || ' ' || count(*) FROM (
         SELECT 'cost_line ' || x::text t FROM core.cost_line x
         UNION ALL SELECT concat_ws(' ', 'submission', fin_year, org_code, feed, rows, cost, sha256, file_load_id)
                   FROM core.submission
         UNION ALL SELECT 'mtfm_activity ' || x::text FROM core.mtfm_activity x
         UNION ALL SELECT concat_ws(' ', 'ledger', fin_year, org_code, feed, ledger_cost, file_load_id)
                   FROM core.ledger
         UNION ALL SELECT concat_ws(' ', 'file_load', file_load_id, kind, status, rows_read, rows_loaded,
                                    rows_rejected, error_count, superseded_by) FROM audit.file_load
         UNION ALL SELECT concat_ws(' ', 'file_error', file_load_id, line, column_name, code, message)
                   FROM audit.file_error) s"
}
main_db=$PGDATABASE
fresh_db() {
    ncc_it_db "$1"
    export PGDATABASE=$NCC_IT_NEWDB
    "$NCC_BIN/ncc-migrate" >/dev/null
}
declare -A way
fresh_db direct
for f in "${path_files[@]}"; do "$load" -vv "$f" >>"$work/direct.out" 2>&1 || true; done
assert_eq "${#path_files[@]}" "$(grep -c 'validated and copied straight into its table in one pass' "$work/direct.out")" \
    "files on disk (ledger and cost) take the direct path, in one pass"
way[direct]=$(warehouse_rows)
assert_match ' 2[0-9][0-9]$' "${way[direct]}" "the direct loads fill the warehouse (a few hundred rows)"

fresh_db stdin
for f in "${path_files[@]}"; do "$load" -vv - <"$f" >>"$work/stdin.out" 2>&1 || true; done
assert_eq "${#path_files[@]}" "$(grep -c 'copied into a staging table' "$work/stdin.out")" "standard input takes the staging path"
way[stdin]=$(warehouse_rows)
assert_eq "${way[direct]}" "${way[stdin]}" "standard input (staged) gives the warehouse the direct path gives"

loader=${p}loader
drop_loader() { PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $loader"; }
drop_loader >/dev/null 2>&1
ncc_it_on_exit "drop_loader"
q "CREATE ROLE $loader LOGIN IN ROLE ncc_loader"
fresh_db rls
for f in "${path_files[@]}"; do PGUSER=$loader "$load" -vv "$f" >>"$work/rls.out" 2>&1 || true; done
assert_eq "${#path_files[@]}" "$(grep -c 'copied into a staging table' "$work/rls.out")" \
    "a loader role under row-level security takes the staging path"
way[rls]=$(warehouse_rows)
assert_eq "${way[direct]}" "${way[rls]}" "the loader role (staged) gives the warehouse the direct path gives"
assert_eq "0" "$(q "SELECT count(*) FROM audit.file_load WHERE status NOT IN ('loaded', 'quarantined')")" \
    "every load of the loader role ended loaded or quarantined"
export PGDATABASE=$main_db

# ---- 12. the one pass: a file rewritten while it is read, a concurrent writer of its keys ------
# ncc-load reads a cost file once, COPYing each valid row as it is validated. (a) The test holds
# a lock on the partition of the file's year, so the load's COPY waits with the file part read;
# the file is rewritten, the lock released: the bytes read are not those hashed before, and the
# load rolls back and leaves it (exit 74, nothing recorded). (b) The test's own transaction has
# written a row with the key of the file's first line; the load's COPY waits for it; the test
# commits: the load meets a unique violation, rolls back and loads the file again in two
# passes, replacing the submission whole (the test's row included).
fresh_db onepass
gen_awk=$NCC_ROOT/tests/data/nightly/gen_cost.awk
big=$work/cost_RWW_202324_APC.csv
awk -v org=RWW -v fy=202324 -v feed=APC -v n=40000 -v seed=7 -v mtfm=3 -f "$gen_awk" >"$big"
awk -v org=RWW -v fy=202324 -v feed=APC -v n=40000 -v seed=8 -v mtfm=3 -f "$gen_awk" >"$work/rewritten.csv"
waits() { q "SELECT count(*) FROM pg_locks WHERE NOT granted AND $1"; }
ncc_it_hold lock "LOCK TABLE core.cost_line_202324 IN SHARE MODE"
"$load" -vv "$big" >"$work/onepass_a.out" 2>&1 &
loader=$!
for ((i = 0; i < 300; i++)); do [[ $(waits "relation = 'core.cost_line_202324'::regclass") -ge 1 ]] && break; sleep 0.1; done
assert_eq "1" "$(waits "relation = 'core.cost_line_202324'::regclass")" "(a) the load's COPY waits for the test's lock"
cat "$work/rewritten.csv" >"$big" # same inode, other bytes
ncc_it_release
status=0
wait "$loader" || status=$?
assert_eq "74" "$status" "(a) a file rewritten during its one pass: exit 74"
assert_match 'one pass' "$(cat "$work/onepass_a.out")" "(a) it took the one pass"
assert_match 'changed while it was being loaded' "$(cat "$work/onepass_a.out")" "(a) stderr says the file changed"
assert_eq "0 0 0" "$(q "SELECT (SELECT count(*) FROM core.cost_line) || ' ' || (SELECT count(*) FROM core.submission) || ' ' || (SELECT count(*) FROM audit.file_load)")" \
    "(a) nothing of it is in the warehouse, nor in audit"
assert_status 0 "(a) loaded as it now is" -- "$load" "$big"
assert_eq "40003 $(sha "$big")" "$(q "SELECT rows || ' ' || sha256 FROM core.submission WHERE org_code = 'RWW'")" \
    "(a) the rewritten file is the submission"

# (b) a fresh submission, and a row of its first key written by another transaction
fresh=$work/cost_RXX_202324_APC.csv
awk -v org=RXX -v fy=202324 -v feed=APC -v n=3000 -v seed=9 -v mtfm=3 -f "$gen_awk" >"$fresh"
first=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                 NR == 2 { print $col["activity_id"] "," $col["collection_resource"] "," $col["collection_activity"]; exit }' "$fresh")
IFS=, read -r act res acty <<<"$first"
ncc_it_hold row "INSERT INTO core.cost_line (fin_year, org_code, feed, activity_id, currency_code, collection_resource, collection_activity, activity_count, cost) VALUES ('202324', 'RXX', 'APC', '$act', 'XX000', '$res', '$acty', 1, 99999.99)"
"$load" -vv "$fresh" >"$work/onepass_b.out" 2>&1 &
loader=$!
for ((i = 0; i < 300; i++)); do [[ $(waits "locktype = 'transactionid'") -ge 1 ]] && break; sleep 0.1; done
assert_eq "1" "$(waits "locktype = 'transactionid'")" "(b) the load's COPY waits for the other transaction's row"
ncc_it_release
status=0
wait "$loader" || status=$?
assert_eq "0" "$status" "(b) the load ends loaded"
assert_match 'loading it again in two passes' "$(cat "$work/onepass_b.out")" "(b) after a unique violation, in two passes"
assert_eq "3003 3003 0" "$(q "SELECT (SELECT rows FROM core.submission WHERE org_code = 'RXX') || ' ' || count(*) || ' ' || count(*) FILTER (WHERE cost = 99999.99) FROM core.cost_line WHERE org_code = 'RXX'")" \
    "(b) the submission is the file's whole: 3003 lines, the other transaction's row replaced"
assert_eq "loaded 3003" "$(q "SELECT string_agg(status || ' ' || rows_loaded, ', ') FROM audit.file_load WHERE sha256 = '$(sha "$fresh")'")" \
    "(b) audit records one load of it"
export PGDATABASE=$main_db

# ---- 13. a fresh partition: its key built after its rows ------------------------------------
# On a single server each partition of core.cost_line holds the contract key itself (sql/014).
# The one pass finds the partition of a year empty at the year's first row, drops its key and
# builds it after the rows; a file judged bad rolls that back with its rows; a partition that
# already holds rows is loaded row by row into its key.
fresh_db fresh
pkey() { q "SELECT coalesce(string_agg(conname || ' ' || pg_get_constraintdef(oid), ', '), 'none') FROM pg_constraint WHERE conrelid = 'core.cost_line_$1'::regclass AND contype = 'p'"; }
key_def="PRIMARY KEY (fin_year, org_code, feed, activity_id, collection_resource, collection_activity)"
assert_eq "cost_line_202425_pkey $key_def" "$(pkey 202425)" "a migrated partition holds the contract key"
assert_status 65 "a bad file of 2024/25 into its empty partition is quarantined" -- "$load" -vv "$bad"
assert_match 'partition of 202425 empty' "$NCC_IT_ERR" "its partition was found empty"
assert_eq "cost_line_202425_pkey $key_def|0" "$(pkey 202425)|$(q "SELECT count(*) FROM core.cost_line_202425")" \
    "rolled back: the partition is empty and holds its key again"
y1=$work/cost_RYY_202425_APC.csv
awk -v org=RYY -v fy=202425 -v feed=APC -v n=5000 -v seed=3 -v mtfm=4 -f "$gen_awk" >"$y1"
assert_status 0 "a good file of 2024/25 loads" -- "$load" -vv "$y1"
assert_match 'partition of 202425 empty: its key is built after its rows' "$NCC_IT_ERR" "into its empty partition"
assert_match 'building the key of the partition of 202425' "$NCC_IT_ERR" "whose key is built after the rows"
assert_eq "cost_line_202425_pkey $key_def|5004" "$(pkey 202425)|$(q "SELECT count(*) FROM core.cost_line_202425")" \
    "the partition holds the file's rows and its key"
assert_match 'duplicate key value violates unique constraint "cost_line_202425_pkey"' \
    "$(ncc_it_sql_error "INSERT INTO core.cost_line SELECT * FROM core.cost_line WHERE org_code = 'RYY' LIMIT 1")" \
    "the key built after the rows holds"
y2=$work/cost_RZZ_202425_APC.csv
awk -v org=RZZ -v fy=202425 -v feed=APC -v n=300 -v seed=4 -f "$gen_awk" >"$y2"
assert_status 0 "a second file of 2024/25 loads" -- "$load" -vv "$y2"
assert_eq "" "$(grep 'partition of' <<<"$NCC_IT_ERR")" "into the partition, now holding rows, row by row"
assert_eq "5004 300" "$(q "SELECT count(*) FILTER (WHERE org_code = 'RYY') || ' ' || count(*) FILTER (WHERE org_code = 'RZZ') FROM core.cost_line_202425")" \
    "both files' rows are there"
export PGDATABASE=$main_db

ncc_it_finish
