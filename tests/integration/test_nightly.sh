#!/usr/bin/env bash
# tests/integration/test_nightly.sh - ncc-nightly as cron runs it (its top comment in
# etl/ncc-nightly/main.c, DATA-CONTRACT.md §4, §5.4, §6, DESIGN.md §6 "Nothing lost"):
#   1. a real night: good files of every kind, a resubmission, an empty file, a truncated gzip,
#      a file of unknown kind and a cost file with one bad row. Exit 65, one summary line, each
#      file archived or quarantined with NAME.errors.csv, one audit row per file, the
#      resubmission wins, reconciliation refreshed; the same good files again change nothing
#      (the current ones are 'unchanged'; the superseded original reloads, then its
#      resubmission: the latest file sent wins); files still being written are left alone;
#   2. --json: a report consistent with audit.run and audit.file_load;
#   3. two runs at once on the same inbox: one loads, the other exits 75 and touches nothing;
#   4. database unavailable: exit 69, nothing moved;
#   5. --jobs 2 gives the warehouse --jobs 1 gives, also for a resubmission in the same night;
#   6. a cost file rewritten between its two reads loads nothing, stays in the inbox (exit 74),
#      and the next run loads it as it then is.
# Every run passes --min-age 0 and its own inbox, archive and quarantine under a temp directory.
# The fault tests (kill -9, database restart) are tests/fault/test_fault.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nightly=$NCC_BIN/ncc-nightly
validate=$NCC_BIN/ncc-validate
[[ -x $nightly ]] || { echo "ncc-nightly not built in $NCC_BIN" >&2; exit 1; }
[[ -x $validate ]] || { echo "ncc-validate not built in $NCC_BIN" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 1; }

ncc_it_setup nightly
# The migrations, kinds and reference data of the tree under test; no stray settings.
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=/dev/null
unset NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE NCC_RECONCILE_TOLERANCE \
    NCC_INBOX NCC_ARCHIVE NCC_QUARANTINE NCC_JOBS NCC_MIN_AGE || true

demo=$NCC_ROOT/fixtures/demo
data=$NCC_ROOT/tests/data/nightly
expected_dir=$NCC_ROOT/tests/data/expected
T=$(mktemp -d "${TMPDIR:-/tmp}/ncc_it_nightly.XXXXXX")
ncc_it_on_exit "rm -rf '$T'"
C='COLLATE "C"'

q() { ncc_it_sql "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The number of lines of a string (0 for the empty string)
lines() { if [[ -z $1 ]]; then echo 0; else wc -l <<<"$1" | tr -d ' '; fi; }

# use_db NAME: a fresh, empty database (lib.sh's ncc_it_db: dropped at the end when every
# assertion passed) becomes PGDATABASE; use_db again with the same NAME returns to it.
declare -A extra_dbs=()
use_db() {
    if [[ -z ${extra_dbs[$1]:-} ]]; then
        ncc_it_db "$1"
        extra_dbs[$1]=$NCC_IT_NEWDB
    else
        "$NCC_ROOT/scripts/db" dropdb "${extra_dbs[$1]}"
        "$NCC_ROOT/scripts/db" createdb "${extra_dbs[$1]}"
    fi
    export PGDATABASE=${extra_dbs[$1]}
}
use_main_db() { export PGDATABASE=$NCC_IT_DB; }

# box NAME: fresh inbox/archive/quarantine under $T/NAME, in $in $ar $qu
box() {
    in=$T/$1/inbox ar=$T/$1/archive qu=$T/$1/quarantine
    rm -rf "${T:?}/$1"
    mkdir -p "$in"
}
# nightly ARGS...: ncc-nightly on the current box
nightly() { "$nightly" --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu" "$@"; }

# The warehouse as text: one line per key of every core and mart table (counts, sums, hashes).
totals() { psql -XAtq -v ON_ERROR_STOP=1 -f "$data/warehouse_totals.sql"; }
# Stricter: every row of core as loaded, file_load_id and loaded_at included; with an argument,
# only the submissions (fin_year, org_code, feed) matching that SQL condition.
core_exact() {
    local w=${1:-true}
    q "SELECT string_agg(s, E'\n' ORDER BY s $C) FROM (
         SELECT 'cost_line ' || count(*) || ' ' || coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)
         FROM core.cost_line x WHERE $w
         UNION ALL SELECT 'submission ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))
         FROM core.submission x WHERE $w
         UNION ALL SELECT 'ledger ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))
         FROM core.ledger x
         UNION ALL SELECT 'nhssc ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))
         FROM core.nhssc_sales_line x
         UNION ALL SELECT 'supplier ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))
         FROM core.supplier_sales x
         UNION ALL SELECT 'mtfm ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text $C), ''))
         FROM core.mtfm_activity x WHERE $w) t(s)"
}
# Data files (not NAME.errors.csv, not hidden) under the given directories: "sha256 name" sorted
content_of() {
    find "$@" -type f ! -name '.*' ! -name '*.errors.csv' -printf '%p\n' 2>/dev/null |
        while read -r f; do printf '%s %s\n' "$(sha "$f")" "${f##*/}"; done | LC_ALL=C sort
}
# Everything in a directory tree, hidden files included, relative paths sorted
listing() { (cd "$1" 2>/dev/null && find . -mindepth 1 | LC_ALL=C sort); }
# A cost file generated by tests/data/nightly/gen_cost.awk: gen ORG FY FEED N SEED [MTFM] > FILE
gen() { awk -v org="$1" -v fy="$2" -v feed="$3" -v n="$4" -v seed="$5" -v mtfm="${6:-0}" -f "$data/gen_cost.awk"; }
# The key of the nightly run's advisory lock, as held in pg_locks (etl/ncc-nightly/main.c)
LOCK_KEY=5638932010185103434
lock_held() {
    q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((classid::bigint << 32) | objid::bigint) = $LOCK_KEY"
}

good=("$demo"/*)
assert_eq 11 "${#good[@]}" "the demo fixtures are eleven files (ledger, 5 cost, NHSSC, supplier, 3 QART)"

# ---- 1. a real night ---------------------------------------------------------------------

box night
cp "${good[@]}" "$in/"
# The resubmission: RAA 202324 APC with the first non-MTFM line's cost raised by 100.00 (a total
# within 1 % of the ledger). Its name sorts after the original's ('.' < '_'), so it loads later.
resub_name=cost_RAA_202324_APC_resubmitted.csv
awk -F, -v OFS=, 'NR > 1 && !done && $9 != "MTFM" { $13 = sprintf("%.2f", $13 + 100); done = 1 } { print }' \
    "$demo/cost_RAA_202324_APC.csv" >"$in/$resub_name"
assert_eq "cost_RAA_202324_APC.csv $resub_name" \
    "$(printf '%s\n' "$resub_name" cost_RAA_202324_APC.csv | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" \
    "the resubmission's name sorts after the original's"
"$validate" --json "$demo/cost_RAA_202324_APC.csv" "$in/$resub_name" >"$T/resub.json" || true
orig_total=$(jq -r '.files[0].totals[0] | "\(.rows) \(.cost)"' "$T/resub.json")
resub_total=$(jq -r '.files[1].totals[0] | "\(.rows) \(.cost)"' "$T/resub.json")
assert_eq "valid valid" "$(jq -r '[.files[].status] | join(" ")' "$T/resub.json")" \
    "ncc-validate finds the original and the resubmission valid"
assert_match '^73 [0-9]+\.[0-9]{4}$' "$resub_total" "the resubmission has 73 rows"
[[ $orig_total != "$resub_total" ]] && r=different || r=same
assert_eq different "$r" "the resubmission's total ($resub_total) differs from the original's ($orig_total)"

: >"$in/empty.csv"
gzip -9 -n -c "$demo/cost_RAA_202324_OP.csv" >"$T/full.csv.gz"
head -c $(($(stat -c %s "$T/full.csv.gz") / 2)) "$T/full.csv.gz" >"$in/cost_truncated.csv.gz"
cp "$data/unknown_kind.csv" "$data/cost_RDD_202425_OP_one_bad_row.csv" "$in/"
bad_names=(cost_RDD_202425_OP_one_bad_row.csv cost_truncated.csv.gz empty.csv unknown_kind.csv)
good_names=(cost_RAA_202324_APC.csv "$resub_name" cost_RAA_202324_OP.csv cost_RAA_202425_APC.csv
    cost_RBB_202324_APC.csv cost_RCC_202324_APC.csv.gz ledger_202324.csv nhssc_extract_2023_24.csv
    supplier_return_2023_24.csv qart_2024_25_q1.csv qart_north_2023_24.csv qart_south_2023_24.csv)
inbox_content=$(content_of "$in")
assert_eq 16 "$(lines "$inbox_content")" "the night's inbox holds 16 files"
for f in "${good_names[@]}"; do cp -p "$in/$f" "$T/good_$f"; done # for the second night

day=$(date +%F)
assert_status 65 "a night with quarantined files exits 65" -- nightly
day_after=$(date +%F)
assert_eq 1 "$(lines "$NCC_IT_OUT")" "stdout is exactly one line"
assert_match '^ncc-nightly: quarantined: 16 files \(12 loaded, 0 unchanged, 4 quarantined, 0 left\), [0-9]+ rows loaded, [0-9]+ rejected, [0-9]+\.[0-9] s$' \
    "$NCC_IT_OUT" "the summary line counts 16 files: 12 loaded, 4 quarantined"
assert_eq "" "$NCC_IT_ERR" "nothing on stderr"
summary=$NCC_IT_OUT

assert_eq "" "$(listing "$in")" "the inbox is empty"
days=$(cd "$ar" && ls -A)
assert_match "^($day|$day_after)\$" "$days" "the archive holds one directory, the run's date (YYYY-MM-DD)"
arch=$ar/$days
expected=""
for f in "${good_names[@]}"; do expected+="./$f"$'\n'; done
assert_eq "$(LC_ALL=C sort <<<"${expected%$'\n'}")" "$(listing "$arch")" \
    "archive/<date>/ holds exactly the 12 good files"
for f in "${good_names[@]}"; do
    [[ $(sha "$arch/$f") == "$(sha "$T/good_$f")" ]] && r=same || r=different
    assert_eq same "$r" "archived $f is byte for byte the file that arrived"
done
expected=""
for f in "${bad_names[@]}"; do expected+="./$f"$'\n'"./$f.errors.csv"$'\n'; done
assert_eq "$(LC_ALL=C sort <<<"${expected%$'\n'}")" "$(listing "$qu")" \
    "quarantine/ holds exactly the 4 bad files, each with NAME.errors.csv, and nothing else"
assert_eq "$inbox_content" "$(content_of "$ar" "$qu")" \
    "archive and quarantine hold every file that arrived exactly once (by sha256)"

# NAME.errors.csv: file,line,column,code,message
for f in "${bad_names[@]}"; do
    assert_eq "file,line,column,code,message" "$(head -1 "$qu/$f.errors.csv" | tr -d '\r')" "$f.errors.csv has the rejects header"
    assert_eq "" "$(tail -n +2 "$qu/$f.errors.csv" | cut -d, -f1 | grep -vxF "$f" || true)" \
        "every row of $f.errors.csv names the file"
done
codes() { tail -n +2 "$qu/$1.errors.csv" | cut -d, -f4 | grep -v '^W_' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
assert_eq "F_EMPTY" "$(codes empty.csv)" "empty.csv.errors.csv: F_EMPTY"
assert_eq "F_GZIP" "$(codes cost_truncated.csv.gz)" "cost_truncated.csv.gz.errors.csv: F_GZIP"
assert_eq "F_UNKNOWN_KIND" "$(codes unknown_kind.csv)" "unknown_kind.csv.errors.csv: F_UNKNOWN_KIND"
assert_eq "E_NEGATIVE F_REJECT_LIMIT" "$(codes cost_RDD_202425_OP_one_bad_row.csv)" \
    "the bad-row file's errors: its row's E_NEGATIVE and F_REJECT_LIMIT"
assert_eq "cost_RDD_202425_OP_one_bad_row.csv,77,activity_count,E_NEGATIVE" \
    "$(grep ',E_NEGATIVE,' "$qu/cost_RDD_202425_OP_one_bad_row.csv.errors.csv" | cut -d, -f1-4)" \
    "the bad row is named by line 77 and column activity_count"

run1=$(q "SELECT max(run_id) FROM audit.run")
assert_eq "1 quarantined 65 16 t" \
    "$(q "SELECT concat_ws(' ', count(*), max(status), max(exit_code), max(files), bool_and(ended_at IS NOT NULL)) FROM audit.run")" \
    "audit.run has the run: status quarantined, exit_code 65, 16 files, ended"
assert_eq "16 16 16" \
    "$(q "SELECT concat_ws(' ', count(*), count(DISTINCT file_name), count(*) FILTER (WHERE run_id = $run1)) FROM audit.file_load")" \
    "audit.file_load has exactly one row per file, all of this run"
expected=$(
    for f in "${good_names[@]}"; do echo "$f loaded"; done
    for f in "${bad_names[@]}"; do echo "$f quarantined"; done
)
assert_eq "$(LC_ALL=C sort <<<"$expected")" \
    "$(q "SELECT string_agg(file_name || ' ' || status, E'\n' ORDER BY file_name $C) FROM audit.file_load")" \
    "each file's audit status: the 12 good ones loaded, the 4 bad ones quarantined"
assert_eq "$(content_of "$ar" "$qu" | awk '{ print $2, $1 }' | LC_ALL=C sort)" \
    "$(q "SELECT string_agg(file_name || ' ' || sha256, E'\n' ORDER BY file_name $C) FROM audit.file_load")" \
    "each audit row carries its file's sha256"
assert_eq "cost 150 0 150" \
    "$(q "SELECT concat_ws(' ', kind, rows_read, rows_loaded, rows_rejected) FROM audit.file_load
          WHERE file_name = 'cost_RDD_202425_OP_one_bad_row.csv'")" \
    "the bad-row file: 150 rows read, none loaded, all counted rejected"
assert_eq "E_NEGATIVE 77 activity_count|F_REJECT_LIMIT" \
    "$(q "SELECT string_agg(concat_ws(' ', e.code, e.line, e.column_name), '|' ORDER BY e.code $C)
          FROM audit.file_error e JOIN audit.file_load f USING (file_load_id)
          WHERE f.file_name = 'cost_RDD_202425_OP_one_bad_row.csv' AND e.code !~ '^W_'")" \
    "audit.file_error has the same errors"
assert_eq "0" "$(q "SELECT count(*) FROM audit.file_load WHERE status = 'quarantined' AND rows_loaded <> 0")" \
    "quarantined files loaded nothing"
assert_eq "0" "$(q "SELECT count(*) FROM core.cost_line WHERE org_code = 'RDD'")" "no row of the bad-row file reached core"
rows_loaded=$(q "SELECT sum(rows_loaded) FROM audit.file_load WHERE status = 'loaded'")
assert_match "\), $rows_loaded rows loaded," "$summary" "the summary's rows loaded equal audit.file_load's ($rows_loaded)"
assert_eq "$rows_loaded" "$(q "SELECT rows_loaded FROM audit.run WHERE run_id = $run1")" "audit.run.rows_loaded too"

key="fin_year = '202324' AND org_code = 'RAA' AND feed = 'APC'"
resub_id=$(q "SELECT file_load_id FROM audit.file_load WHERE file_name = '$resub_name'")
orig_id=$(q "SELECT file_load_id FROM audit.file_load WHERE file_name = 'cost_RAA_202324_APC.csv'")
assert_eq t "$(q "SELECT $resub_id > $orig_id")" "the resubmission was loaded after the original"
assert_eq "$resub_total $(sha "$arch/$resub_name") $resub_id" \
    "$(q "SELECT concat_ws(' ', rows, cost, sha256, file_load_id) FROM core.submission WHERE $key")" \
    "core.submission holds the resubmission's rows, total and sha256"
assert_eq "$resub_total $resub_id" \
    "$(q "SELECT concat_ws(' ', count(*), sum(cost), min(file_load_id)) FROM core.cost_line WHERE $key")" \
    "core.cost_line holds the resubmission's lines only"
assert_eq 5 "$(q 'SELECT count(*) FROM core.submission')" "five cost submissions (the resubmission replaced its original)"

MART_REC="SELECT fin_year::text, org_code::text, technology_id::text, ncc_units, ncc_cost::text,
                 nhssc_units, nhssc_value::text, direct_units, direct_value::text,
                 supply_units, supply_value::text, status
          FROM mart.reconciliation ORDER BY fin_year $C, org_code $C, technology_id $C"
assert_eq "$(tail -n +2 "$expected_dir/reconciliation.csv" | tr -d '\r')" \
    "$(psql -X -q -At --csv -v ON_ERROR_STOP=1 -c "$MART_REC")" \
    "mart.reconciliation is refreshed: the demo's expected reconciliation (the resubmission changed no MTFM line)"
assert_match '^[1-9][0-9]*$' "$(q 'SELECT count(*) FROM mart.mtfm_benchmark')" "mart.mtfm_benchmark is populated"

# ---- the same good files again --------------------------------------------------------------
# A file is skipped as 'unchanged' when the same bytes were loaded and its rows are still
# current. The original RAA APC file was superseded by its resubmission, so sent again it loads
# again, and the resubmission after it (the latest file sent wins, docs/decisions.md "Unchanged
# files"): the re-delivered batch ends in the same state.

others="NOT ($key)"
totals_before=$(totals)
exact_before=$(core_exact "$others")
for f in "${good_names[@]}"; do cp -p "$T/good_$f" "$in/$f"; done
assert_status 0 "the same good files again exit 0" -- nightly
assert_match '^ncc-nightly: ok: 12 files \(2 loaded, 10 unchanged, 0 quarantined, 0 left\), [0-9]+ rows loaded, 0 rejected, [0-9]+\.[0-9] s$' \
    "$NCC_IT_OUT" "the summary line: the superseded original and its resubmission reload, 10 unchanged"
assert_eq "" "$NCC_IT_ERR" "nothing on stderr"
run2=$(q "SELECT max(run_id) FROM audit.run")
expected=$(
    for f in "${good_names[@]}"; do
        case $f in cost_RAA_202324_APC.csv | "$resub_name") echo "$f loaded" ;; *) echo "$f unchanged" ;; esac
    done | LC_ALL=C sort
)
assert_eq "$expected" \
    "$(q "SELECT string_agg(file_name || ' ' || status, E'\n' ORDER BY file_name $C) FROM audit.file_load WHERE run_id = $run2")" \
    "second run: each file recorded once; the files still current 'unchanged'"
resub2_id=$(q "SELECT file_load_id FROM audit.file_load WHERE run_id = $run2 AND file_name = '$resub_name'")
assert_eq t "$(q "SELECT $resub2_id > file_load_id FROM audit.file_load WHERE run_id = $run2 AND file_name = 'cost_RAA_202324_APC.csv'")" \
    "second run: the resubmission again loaded after the original"
assert_eq "ok 0 12" "$(q "SELECT concat_ws(' ', status, exit_code, files) FROM audit.run WHERE run_id = $run2")" \
    "audit.run: the second run ok, exit_code 0"
assert_eq "$totals_before" "$(totals)" "the warehouse totals are identical"
assert_eq "$exact_before" "$(core_exact "$others")" \
    "not one row of the other submissions changed (file_load_id and loaded_at included)"
assert_eq "$resub_total $(sha "$arch/$resub_name") $resub2_id" \
    "$(q "SELECT concat_ws(' ', rows, cost, sha256, file_load_id) FROM core.submission WHERE $key")" \
    "core.submission holds the resubmission (latest file sent)"
assert_eq "" "$(listing "$in")" "the inbox is empty again"
assert_eq "$(for f in "${good_names[@]}"; do printf './%s\n./%s.1\n' "$f" "$f"; done | LC_ALL=C sort)" \
    "$(listing "$arch")" "both nights' files are archived; a second copy of a name is kept as NAME.1, not overwritten"

# The files whose rows are current, sent once more: all 'unchanged', nothing changes at all.
current=()
for f in "${good_names[@]}"; do [[ $f == cost_RAA_202324_APC.csv ]] || current+=("$f"); done
exact_before=$(core_exact)
for f in "${current[@]}"; do cp -p "$T/good_$f" "$in/$f"; done
assert_status 0 "the current files again exit 0" -- nightly
assert_match '^ncc-nightly: ok: 11 files \(0 loaded, 11 unchanged, 0 quarantined, 0 left\), 0 rows loaded, 0 rejected, [0-9]+\.[0-9] s$' \
    "$NCC_IT_OUT" "the summary line says 11 unchanged"
assert_eq "" "$NCC_IT_ERR" "nothing on stderr"
run3=$(q "SELECT max(run_id) FROM audit.run")
assert_eq "$(printf '%s unchanged\n' "${current[@]}" | LC_ALL=C sort)" \
    "$(q "SELECT string_agg(file_name || ' ' || status, E'\n' ORDER BY file_name $C) FROM audit.file_load WHERE run_id = $run3")" \
    "every file of the third run is recorded 'unchanged', once"
assert_eq "ok 0 11" "$(q "SELECT concat_ws(' ', status, exit_code, files) FROM audit.run WHERE run_id = $run3")" \
    "audit.run: the third run ok, exit_code 0"
assert_eq "$totals_before" "$(totals)" "the warehouse totals are identical"
assert_eq "$exact_before" "$(core_exact)" "not one core row changed (file_load_id and loaded_at included)"
assert_eq "" "$(listing "$in")" "the inbox is empty again"
assert_eq 35 "$(find "$ar" -type f | wc -l)" "the archive holds the three nights' good files (12 + 12 + 11)"

# ---- files still being written, and young files, are left for the next run ----------------

cp "$demo/ledger_202324.csv" "$in/ledger_next.csv.part"
cp "$demo/ledger_202324.csv" "$in/ledger_next.csv.tmp"
cp "$demo/ledger_202324.csv" "$in/.ledger_next.csv"
assert_status 0 "*.part, *.tmp and hidden files are not taken (exit 0)" -- nightly
assert_match '^ncc-nightly: ok: 0 files ' "$NCC_IT_OUT" "... they are not counted"
assert_eq "$(printf '%s\n' ./.ledger_next.csv ./ledger_next.csv.part ./ledger_next.csv.tmp | LC_ALL=C sort)" \
    "$(listing "$in")" "... and stay in the inbox"
rm -f "$in"/* "$in"/.ledger_next.csv
gen RMM 202324 APC 10 1 >"$in/cost_RMM_202324_APC.csv"
assert_status 0 "a file younger than --min-age is not taken" -- \
    "$nightly" --min-age 3600 --inbox "$in" --archive "$ar" --quarantine "$qu"
assert_match '^ncc-nightly: ok: 0 files ' "$NCC_IT_OUT" "... it is not counted"
assert_eq "./cost_RMM_202324_APC.csv" "$(listing "$in")" "... and stays in the inbox"
assert_eq 0 "$(q "SELECT count(*) FROM audit.file_load WHERE file_name = 'cost_RMM_202324_APC.csv'")" "... unrecorded"
touch -d '-2 hours' "$in/cost_RMM_202324_APC.csv"
assert_status 0 "once old enough it is taken" -- \
    "$nightly" --min-age 3600 --inbox "$in" --archive "$ar" --quarantine "$qu"
assert_match '^ncc-nightly: ok: 1 file \(1 loaded,' "$NCC_IT_OUT" "... and loaded"

echo "# section 1 done after $SECONDS s"

# ---- 2. --json ---------------------------------------------------------------------------------
# On the same database (fresh databases are slow to drop on a busy cluster): two new cost files,
# the ledger again (unchanged), the bad-row file and the unknown kind again (quarantined).

box json
gen RPP 202324 APC 40 5 2 >"$in/cost_RPP_202324_APC.csv"
gen RQQ 202425 OP 30 6 >"$in/cost_RQQ_202425_OP.csv"
cp "$demo/ledger_202324.csv" "$data/cost_RDD_202425_OP_one_bad_row.csv" "$data/unknown_kind.csv" "$in/"
json_inbox=$(content_of "$in")
assert_status 65 "--json: a night with a quarantined file exits 65" -- nightly --json
assert_eq "" "$NCC_IT_ERR" "--json: nothing on stderr"
printf '%s\n' "$NCC_IT_OUT" >"$T/run1.json"
if jq -e 'type == "object"' "$T/run1.json" >/dev/null 2>&1; then
    assert_eq ok ok "--json: stdout is one JSON object"
else
    assert_eq "a JSON object" "$(head -c 300 "$T/run1.json")" "--json: stdout is one JSON object"
fi
j() { jq -r "$1" "$T/run1.json"; }
jrun=$(j .run_id)
assert_eq "$(q 'SELECT max(run_id) FROM audit.run')" "$jrun" "run_id is audit.run's"
assert_eq "false 65 5 2 1 2 0" \
    "$(j '[.ok, .exit_status, .files_seen, .loaded, .unchanged, .quarantined, .left_in_inbox] | map(tostring) | join(" ")')" \
    "ok, exit_status, files_seen, loaded, unchanged, quarantined, left_in_inbox"
assert_eq "$(q "SELECT concat_ws(' ', exit_code, files, rows_loaded) FROM audit.run WHERE run_id = $jrun")" \
    "$(j '[.exit_status, .files_seen, .rows_loaded] | map(tostring) | join(" ")')" \
    "exit_status, files_seen and rows_loaded agree with audit.run"
assert_eq "$(q "SELECT concat_ws(' ', count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'unchanged'),
                                   count(*) FILTER (WHERE status = 'quarantined'), sum(rows_loaded), sum(rows_rejected))
                FROM audit.file_load WHERE run_id = $jrun")" \
    "$(j '[.loaded, .unchanged, .quarantined, .rows_loaded, .rows_rejected] | map(tostring) | join(" ")')" \
    "the counts and row totals agree with audit.file_load"
FILE_ROW="concat_ws(' ', file_load_id, file_name, coalesce(kind, '-'), status, rows_read, rows_loaded, rows_rejected, sha256)"
JSON_ROW='.files[] | [.file_load_id, .name, (.kind // "-"), .status, .rows_read, .rows_loaded, .rows_rejected, .sha256] | map(tostring) | join(" ")'
assert_eq "$(q "SELECT string_agg($FILE_ROW, E'\n' ORDER BY file_load_id) FROM audit.file_load WHERE run_id = $jrun")" \
    "$(jq -r "$JSON_ROW" "$T/run1.json" | sort -n)" \
    "each file's id, name, kind, status, rows and sha256 equal its audit.file_load row"
assert_eq "cost_RDD_202425_OP_one_bad_row.csv quarantined|cost_RPP_202324_APC.csv loaded|cost_RQQ_202425_OP.csv loaded|ledger_202324.csv unchanged|unknown_kind.csv quarantined" \
    "$(jq -r '[.files[] | "\(.name) \(.status)"] | sort | join("|")' "$T/run1.json")" \
    "each file's status"
moved_ok=$(jq -r '.files[] | "\(.sha256) \(.moved_to)"' "$T/run1.json" | while read -r s p; do
    [[ -f $p && $(sha "$p") == "$s" ]] && echo ok || echo "bad: $p"
done | sort -u)
assert_eq ok "$moved_ok" "every moved_to names the file where it now is, same sha256"
assert_eq "$json_inbox" "$(content_of "$ar" "$qu")" "every file is in archive or quarantine once"
assert_eq "$(q "SELECT string_agg(file_name || ': ' || message, E'\n' ORDER BY file_name $C)
                FROM audit.file_load WHERE run_id = $jrun AND status <> 'loaded'")" \
    "$(jq -r '.files[] | select(.status != "loaded") | "\(.name): \(.message)"' "$T/run1.json" | LC_ALL=C sort)" \
    "a quarantined or unchanged file's message is audit.file_load.message"
assert_match '^F_REJECT_LIMIT' "$(jq -r '.files[] | select(.name == "cost_RDD_202425_OP_one_bad_row.csv") | .message' "$T/run1.json")" \
    "the bad-row file's message starts with its file error code"
assert_eq "null null" "$(jq -r '[.files[] | select(.status == "loaded") | .message] | map(tostring) | join(" ")' "$T/run1.json")" \
    "loaded files carry no message"

for f in cost_RPP_202324_APC.csv cost_RQQ_202425_OP.csv; do cp "$ar"/*/"$f" "$in/"; done
cp "$demo/ledger_202324.csv" "$in/"
assert_status 0 "--json: the same good files again exit 0" -- nightly --json
printf '%s\n' "$NCC_IT_OUT" >"$T/run2.json"
jrun2=$(jq -r .run_id "$T/run2.json")
assert_eq "true 0 3 0 3 0 0" \
    "$(jq -r '[.ok, .exit_status, .files_seen, .loaded, .unchanged, .quarantined, .rows_loaded] | map(tostring) | join(" ")' "$T/run2.json")" \
    "--json second run: ok, 3 unchanged, no rows loaded"
assert_eq "$(q "SELECT string_agg($FILE_ROW, E'\n' ORDER BY file_load_id) FROM audit.file_load WHERE run_id = $jrun2")" \
    "$(jq -r "$JSON_ROW" "$T/run2.json" | sort -n)" \
    "--json second run: files agree with audit.file_load ('unchanged')"

echo "# section 2 done after $SECONDS s"

# ---- 3. two runs at once -------------------------------------------------------------------------
# Each attempt brings a new large cost file (100k rows: a run of a second or more) for RLL.

# start_pair MODE SEED: together = both started at once; held = the second once the first holds
# the lock. Sets pair_status ("A B"), pair_valid=1 when the second ended while the first ran,
# and pair_marker (the last run_id before the pair).
start_pair() {
    local mode=$1 pa pb sa=0 sb=0 i
    box lock
    gen RLL 202324 APC 100000 "$2" 5 >"$in/cost_RLL_202324_APC.csv"
    cp "$in/cost_RLL_202324_APC.csv" "$T/big.csv"
    pair_marker=$(q "SELECT coalesce(max(run_id), 0) FROM audit.run")
    pair_valid=0
    nightly >"$T/a.out" 2>"$T/a.err" &
    pa=$!
    if [[ $mode == held ]]; then
        for ((i = 0; i < 300; i++)); do
            [[ $(lock_held) == 1 ]] && break
            sleep 0.05
        done
    fi
    nightly >"$T/b.out" 2>"$T/b.err" &
    pb=$!
    wait "$pb" || sb=$?
    kill -0 "$pa" 2>/dev/null && pair_valid=1
    wait "$pa" || sa=$?
    [[ $mode == together ]] && pair_valid=1
    pair_status="$sa $sb"
}
seed=100
for mode in together held; do
    for attempt in 1 2 3; do
        seed=$((seed + 1))
        start_pair "$mode" "$seed"
        [[ $pair_valid == 1 && ($pair_status == "0 75" || $pair_status == "75 0") ]] && break
        echo "# $mode: attempt $attempt gave exit statuses $pair_status (valid timing: $pair_valid); retrying"
    done
    if [[ $mode == held ]]; then
        assert_eq "0 75" "$pair_status" "held: the run holding the lock exits 0, the second one 75"
    else
        assert_match '^(0 75|75 0)$' "$pair_status" "together: one run exits 0, the other 75"
    fi
    if [[ ${pair_status%% *} == 75 ]]; then winner=b loser=a; else winner=a loser=b; fi
    assert_eq "" "$(<"$T/$loser.out")" "$mode: the run that lost the lock prints nothing on stdout"
    assert_match 'another nightly run holds the lock' "$(<"$T/$loser.err")" "$mode: ... and says why on stderr"
    assert_eq 1 "$(lines "$(<"$T/$loser.err")")" "$mode: ... in one line"
    assert_match '^ncc-nightly: ok: 1 file \(1 loaded, 0 unchanged, 0 quarantined, 0 left\), 100005 rows loaded' \
        "$(<"$T/$winner.out")" "$mode: the run holding the lock loads the file"
    assert_eq "1 1 loaded" "$(q "SELECT concat_ws(' ', (SELECT count(*) FROM audit.run WHERE run_id > $pair_marker),
                                           count(*), string_agg(status, ' '))
                                 FROM audit.file_load WHERE run_id > $pair_marker")" \
        "$mode: one audit.run, the file recorded once, loaded"
    assert_eq "" "$(listing "$in")" "$mode: the inbox is empty"
    assert_eq "$(sha "$T/big.csv") cost_RLL_202324_APC.csv" "$(content_of "$ar" "$qu")" "$mode: the file was archived once"
    assert_eq "" "$(find "$qu" -mindepth 1)" "$mode: nothing in quarantine"
    assert_eq "100005 $(jq -r '.files[0].totals[0].cost' < <("$validate" --json "$T/big.csv" || true)) $(sha "$T/big.csv")" \
        "$(q "SELECT concat_ws(' ', rows, cost, sha256) FROM core.submission WHERE org_code = 'RLL'")" \
        "$mode: the submission was loaded once, whole"
done
assert_eq 0 "$(lock_held)" "the lock is released when the run ends"
cp "$demo/ledger_202324.csv" "$in/"
assert_status 0 "the next run takes the lock" -- nightly

echo "# section 3 done after $SECONDS s"

# ---- 4. database unavailable -----------------------------------------------------------------

box unavailable
cp "${good[@]}" "$in/"
before=$(content_of "$in")
assert_status 69 "an unreachable database exits 69" -- nightly --dbname "host=/nonexistent port=1"
assert_match 'database unavailable' "$NCC_IT_ERR" "stderr says the database is unavailable"
assert_match '^ncc-nightly: failed: ' "$NCC_IT_OUT" "the summary line says failed"
assert_eq "$before" "$(content_of "$in")" "every file stays in the inbox, unchanged"
assert_eq "" "$(listing "$ar")$(listing "$qu")" "nothing was moved to archive or quarantine"
assert_status 69 "--json: an unreachable database exits 69" -- nightly --json --dbname "host=/nonexistent port=1"
assert_eq "false 69 0" "$(jq -r '[.ok, .exit_status, .loaded] | map(tostring) | join(" ")' <<<"$NCC_IT_OUT" 2>&1)" \
    "--json: the report says exit_status 69"
assert_eq "$before" "$(content_of "$in")" "--json: nothing moved either"

echo "# section 4 done after $SECONDS s"

# ---- 5. --jobs 2 = --jobs 1 --------------------------------------------------------------------

box jobs_src
cp "${good[@]}" "$in/"
gen RGG 202324 APC 10000 1 4 >"$in/cost_RGG_202324_APC.csv"
gen RHH 202324 OP 10000 2 >"$in/cost_RHH_202324_OP.csv"
gen RJJ 202425 APC 10000 3 6 >"$in/cost_RJJ_202425_APC.csv"
gen RKK 202425 EC 10000 4 >"$in/cost_RKK_202425_EC.csv"
jobs_src=$in
declare -A jobs_totals jobs_audit
for jobs in 1 2; do
    use_db "jobs$jobs"
    box "jobs$jobs"
    cp -p "$jobs_src"/* "$in/"
    assert_status 0 "--jobs $jobs on 15 independent files exits 0" -- nightly --jobs "$jobs"
    assert_match '^ncc-nightly: ok: 15 files \(15 loaded, ' "$NCC_IT_OUT" "--jobs $jobs: 15 loaded"
    assert_eq "" "$NCC_IT_ERR" "--jobs $jobs: nothing on stderr"
    assert_eq "" "$(listing "$in")" "--jobs $jobs: the inbox is empty"
    jobs_totals[$jobs]=$(totals)
    jobs_audit[$jobs]=$(q "SELECT string_agg(concat_ws(' ', file_name, kind, status, rows_read, rows_loaded, sha256), E'\n'
                                             ORDER BY file_name $C) FROM audit.file_load")
done
assert_match '202425 RKK EC rows=10000 ' "${jobs_totals[1]}" "the totals list every submission"
assert_eq "${jobs_totals[1]}" "${jobs_totals[2]}" "--jobs 2 gives the same warehouse totals as --jobs 1"
assert_eq "${jobs_audit[1]}" "${jobs_audit[2]}" "--jobs 2 records the same files as --jobs 1"

# A resubmission arriving in the same night as its original: loads in name order, so the later
# name wins with --jobs 1; it must win with --jobs 2 as well. The original is large (slow) and the
# resubmission small, so under --jobs 2 they are loaded side by side and the small one finishes first.
box race_src
gen RNN 202324 APC 20000 1 >"$in/cost_RNN_202324_APC.csv"
gen RNN 202324 APC 500 2 >"$in/cost_RNN_202324_APC_resubmitted.csv"
race_src=$in
race_expected="500 $(jq -r '.files[0].totals[0].cost' < <("$validate" --json "$in/cost_RNN_202324_APC_resubmitted.csv" || true)) $(sha "$in/cost_RNN_202324_APC_resubmitted.csv")"
for jobs in 1 2; do
    export PGDATABASE=${extra_dbs[jobs$jobs]} # the database of the comparison above
    box "race$jobs"
    cp -p "$race_src"/* "$in/"
    assert_status 0 "--jobs $jobs: an original and its resubmission in one night exit 0" -- nightly --jobs "$jobs"
    assert_eq "$race_expected" "$(q "SELECT concat_ws(' ', rows, cost, sha256) FROM core.submission WHERE org_code = 'RNN'")" \
        "--jobs $jobs: the resubmission (later name) is the submission in the warehouse"
    assert_eq "500" "$(q "SELECT count(*) FROM core.cost_line WHERE org_code = 'RNN'")" \
        "--jobs $jobs: core.cost_line holds the resubmission's 500 lines"
done

# The one pass writes a file's rows before its turn. Here the earlier file (its first rows of
# another submission, RSS 202425, whose partition the test holds locked) is held back until the
# later one (RTT alone) has written its rows and waits for its turn; released, the earlier file's
# RTT rows wait for the later file's uncommitted ones: the later file sees that another session
# waits for it, rolls back and loads again in two passes after the earlier one. The later name
# still wins, and nothing waits forever.
use_db yield
"$NCC_BIN/ncc-migrate" >/dev/null
box yield
{ gen RSS 202425 APC 50 1; gen RTT 202324 APC 3000 1 | tail -n +2; } >"$in/cost_a_RSS_RTT.csv"
gen RTT 202324 APC 200 2 >"$in/cost_b_RTT.csv"
yield_expected="200 $(sha "$in/cost_b_RTT.csv")"
ncc_it_hold yield "LOCK TABLE core.cost_line_202425 IN SHARE MODE"
"$nightly" -vv --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu" --jobs 2 >"$T/yield.run" 2>&1 &
run=$!
b_waits() { q "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE '%pg_blocking_pids%' AND pid <> pg_backend_pid() AND datname = current_database()"; }
for ((i = 0; i < 300; i++)); do [[ $(b_waits) -ge 1 ]] && break; sleep 0.1; done
assert_eq "1" "$(b_waits)" "the later file has written its rows and waits for its turn"
ncc_it_release
status=0
wait "$run" || status=$?
assert_eq "0" "$status" "--jobs 2: the night ends ok"
assert_match 'cost_b_RTT\.csv": another load writes the same submissions \(another load waited for its rows\); loading it again in two passes' \
    "$(cat "$T/yield.run")" "the later file yields to the earlier one waiting for its rows"
assert_eq "$yield_expected" "$(q "SELECT rows || ' ' || sha256 FROM core.submission WHERE org_code = 'RTT'")" \
    "the later name is the submission in the warehouse"
assert_eq "200 50" "$(q "SELECT count(*) FILTER (WHERE org_code = 'RTT') || ' ' || count(*) FILTER (WHERE org_code = 'RSS') FROM core.cost_line")" \
    "core.cost_line holds its 200 lines, and the earlier file's other submission"

echo "# section 5 done after $SECONDS s"

# ---- 6. a file that changes while it is loaded ----------------------------------------------
# A file rewritten while it is loaded must load neither version: it stays in the inbox (exit 74,
# a warning), and the next run loads what it then holds. Made deterministic with --jobs 2: the
# test holds a lock on audit.file_load, so the first file of submission RMM cannot commit; the
# second file of the same submission (later name) is held behind the first one's uncommitted
# rows; it is rewritten and the lock released: whichever way its load goes on (the rows it
# read, or read again in two passes after the first file's commit), the bytes it reads are not
# those it hashed before.
use_db changed
"$NCC_BIN/ncc-migrate" >/dev/null
box changed
gen RMM 202324 APC 3000 1 >"$in/cost_RMM_202324_APC_a.csv"
gen RMM 202324 APC 50 2 >"$in/cost_RMM_202324_APC_b.csv"
gen RMM 202324 APC 60 3 >"$T/b_rewritten.csv"
ncc_it_hold changed "LOCK TABLE audit.file_load IN EXCLUSIVE MODE"
file_load_waits() {
    q "SELECT count(*) FROM pg_locks WHERE relation = 'audit.file_load'::regclass AND $1"
}
for ((i = 0; i < 100; i++)); do [[ $(file_load_waits "granted AND mode = 'ExclusiveLock'") == 1 ]] && break; sleep 0.1; done
assert_eq "1" "$(file_load_waits "granted AND mode = 'ExclusiveLock'")" "the test holds its lock on audit.file_load"
nightly --jobs 2 >"$T/changed.out" 2>"$T/changed.err" &
run=$!
for ((i = 0; i < 300; i++)); do [[ $(file_load_waits "NOT granted") -ge 1 ]] && break; sleep 0.1; done
assert_eq "1" "$(file_load_waits "NOT granted")" "the first file's load waits for the test's lock, uncommitted"
sleep 1 # the second file (50 rows) has begun and waits behind the first
mv "$T/b_rewritten.csv" "$in/cost_RMM_202324_APC_b.csv"
ncc_it_release
status=0
wait "$run" || status=$?
assert_eq "74" "$status" "a file rewritten between its two reads: the run exits 74"
assert_match '^ncc-nightly: failed: 2 files \(1 loaded, 0 unchanged, 0 quarantined, 1 left\)' \
    "$(cat "$T/changed.out")" "the summary counts the rewritten file as left"
assert_match 'cost_RMM_202324_APC_b\.csv.*changed while it was being loaded' "$(cat "$T/changed.err")" \
    "stderr says which file changed"
assert_eq "./cost_RMM_202324_APC_b.csv" "$(listing "$in")" "the rewritten file stays in the inbox"
assert_eq "3000 $(sha "$ar"/*/cost_RMM_202324_APC_a.csv)" \
    "$(q "SELECT rows || ' ' || sha256 FROM core.submission WHERE org_code = 'RMM'")" \
    "the warehouse holds the first file's submission, none of the second"
assert_eq "3000" "$(q "SELECT count(*) FROM core.cost_line WHERE org_code = 'RMM'")" "with its 3000 lines"
assert_eq "cost_RMM_202324_APC_a.csv loaded" \
    "$(q "SELECT string_agg(file_name || ' ' || status, ', ' ORDER BY file_load_id) FROM audit.file_load")" \
    "audit records the loaded file only"
assert_status 0 "the next run loads the file as it now is" -- nightly --jobs 2
assert_eq "60 $(sha "$ar"/*/cost_RMM_202324_APC_b.csv)" \
    "$(q "SELECT rows || ' ' || sha256 FROM core.submission WHERE org_code = 'RMM'")" \
    "the rewritten file is now the submission"
assert_eq "60" "$(q "SELECT count(*) FROM core.cost_line WHERE org_code = 'RMM'")" "with its 60 lines"

echo "# section 6 done after $SECONDS s"
use_main_db
ncc_it_finish
