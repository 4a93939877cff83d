#!/usr/bin/env bash
# tests/fault/test_fault.sh - "Nothing lost" (DESIGN.md §6) under faults: ncc-nightly killed with
# kill -9 at many moments of a run, and the database restarted in the middle of a run. After each
# fault the next run must finish the job: the warehouse equals a clean load, every file that
# arrived is in archive or quarantine exactly once (by sha256), the inbox is empty, and
# audit.file_load records every good file 'loaded' exactly once (a file loaded but not yet moved
# when the run died appears once more as 'unchanged'; that is allowed, a second 'loaded' is not).
#
#   6. kill -9 of the whole process group (setsid, so the --jobs workers die too) at
#      NCC_FAULT_POINTS (default 20) moments spread over a run's duration T (the mean of the
#      runs seen to complete: the clean run, and killed runs that ended before their kill, so
#      the spread follows the machine's load), half of them with --jobs 2; plus, per --jobs value, one kill during
#      reconciliation (a session of the test holds a lock on mart.reconciliation until the run
#      waits for it) and one as soon as the inbox is drained. Right after each kill the
#      warehouse must already hold, per submission, either nothing or the whole of it.
#   7. the server restarted (fast shutdown) while a run copies a large file, with --jobs 1 and 2:
#      exit 69, the files not loaded still in the inbox and none half moved, then a rerun exits
#      0 (or 65 while the bad file was still waiting) with the warehouse of a clean load.
#      The restart is done on a private cluster (scripts/db with NCC_VAR and NCC_PGPORT) so that
#      tests using the shared project-local cluster at the same time are not disturbed.
# Prints a table of kill points and outcomes. Takes a few minutes (CMake label "fault").
#
#   NCC_BIN=build NCC_ROOT=. bash tests/fault/test_fault.sh
# Environment: NCC_FAULT_POINTS (kill points, default 20), NCC_FAULT_ROWS (lines of each of the two
# large generated cost files, default 60000), NCC_FAULT_PGPORT (port of the private cluster,
# default 54391).
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

nightly=$NCC_BIN/ncc-nightly
[[ -x $nightly ]] || { echo "ncc-nightly not built in $NCC_BIN" >&2; exit 1; }
for tool in jq setsid pgrep sha256sum; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done
points=${NCC_FAULT_POINTS:-20}
rows=${NCC_FAULT_ROWS:-60000}
[[ $points =~ ^[0-9]+$ ]] || { echo "NCC_FAULT_POINTS must be a whole number" >&2; exit 1; }
[[ $rows =~ ^[0-9]+$ ]] && ((rows >= 1000)) || { echo "NCC_FAULT_ROWS must be a whole number >= 1000" >&2; exit 1; }
set +m # no job control: a background setsid is then no group leader and does not fork

ncc_it_setup fault
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=/dev/null
unset NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE NCC_RECONCILE_TOLERANCE \
    NCC_INBOX NCC_ARCHIVE NCC_QUARANTINE NCC_JOBS NCC_MIN_AGE || true
shared_env=$("$NCC_ROOT/scripts/db" env)

demo=$NCC_ROOT/fixtures/demo
data=$NCC_ROOT/tests/data/nightly
T=$(mktemp -d "${TMPDIR:-/tmp}/ncc_fault.XXXXXX")
ncc_it_on_exit "rm -rf '$T'"
C='COLLATE "C"'
t_begin=$(date +%s.%N)

q() { ncc_it_sql "$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
listing() { (cd "$1" 2>/dev/null && find . -mindepth 1 | LC_ALL=C sort); }
# Data files under the given directories (not NAME.errors.csv, not hidden): "sha256 name", sorted
content_of() {
    find "$@" -type f ! -name '.*' ! -name '*.errors.csv' -printf '%p\n' 2>/dev/null |
        while read -r f; do printf '%s %s\n' "$(sha "$f")" "${f##*/}"; done | LC_ALL=C sort
}
count_lines() { if [[ -z $1 ]]; then echo 0; else wc -l <<<"$1" | tr -d ' '; fi; }
totals() { psql -XAtq -v ON_ERROR_STOP=1 -f "$data/warehouse_totals.sql"; }
gen() { awk -v org="$1" -v fy="$2" -v feed="$3" -v n="$4" -v seed="$5" -v mtfm="${6:-0}" -f "$data/gen_cost.awk"; }

# Databases: ncc_it_fault_<run>_NAME on whichever cluster PGHOST/PGPORT name (<run> is this
# script's process id, so two runs on one machine never share one).
fresh_db() {
    export PGDATABASE=ncc_it_fault_$$_$1
    psql -XAtq -d postgres -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $PGDATABASE WITH (FORCE)" \
        -c "CREATE DATABASE $PGDATABASE" 2>&1 | grep -v NOTICE || true
}
drop_db() { psql -XAtq -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 || true; }
# DROP DATABASE waits for a checkpoint (seconds on a busy cluster): let it run beside the next point.
bg_drops=()
drop_db_bg() {
    drop_db "$1" &
    bg_drops+=($!)
}
wait_drops() {
    local d
    for d in "${bg_drops[@]}"; do wait "$d" || true; done
    bg_drops=()
}
# box NAME: fresh inbox (a copy of the prepared files), archive and quarantine
box() {
    in=$T/$1/inbox ar=$T/$1/archive qu=$T/$1/quarantine
    rm -rf "${T:?}/$1"
    mkdir -p "$in"
    cp -p "$src"/* "$in/"
}
nightly_args() { printf '%s\n' --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu"; }
# Wait until no other session is connected to the current database (the backend of a killed
# client finishes its statement and then notices the client is gone); prints the seconds waited.
wait_backends_gone() {
    local t0 i
    t0=$(now)
    for ((i = 0; i < 600; i++)); do
        [[ $(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") == 0 ]] && break
        sleep 0.1
    done
    since "$t0"
}
# Run ncc-nightly to completion, retrying while the lock is still held (exit 75) by the backend
# of a killed run. Sets rerun_status, rerun_retries; output in $T/rerun.out, $T/rerun.err.
rerun() {
    local i
    rerun_retries=0
    for ((i = 0; i < 60; i++)); do
        rerun_status=0
        "$nightly" $(nightly_args) "$@" >"$T/rerun.out" 2>"$T/rerun.err" || rerun_status=$?
        [[ $rerun_status == 75 ]] || return 0
        rerun_retries=$((rerun_retries + 1))
        sleep 0.5
    done
}
schema_ready() { [[ $(q "SELECT to_regclass('mart.adoption') IS NOT NULL AND to_regclass('audit.file_load') IS NOT NULL") == t ]]; }

# ---- the inbox of every run: the demo fixtures, two large generated cost files, a bad file ----

src=$T/src
mkdir -p "$src"
cp "$demo"/* "$src/"
gen RGG 202324 APC "$rows" 11 5 >"$src/cost_RGG_202324_APC.csv"
gen RHH 202425 OP "$rows" 12 >"$src/cost_RHH_202425_OP.csv"
cp "$data/cost_RDD_202425_OP_one_bad_row.csv" "$src/"
bad_name=cost_RDD_202425_OP_one_bad_row.csv
bad_sha=$(sha "$src/$bad_name")
src_content=$(content_of "$src")
nfiles=$(count_lines "$src_content")
good_shas=$(awk -v b="$bad_sha" '$1 != b { printf "%s'\''%s'\''", sep, $1; sep = ", " }' <<<"$src_content")
assert_eq 14 "$nfiles" "the fault inbox holds 14 files (11 fixtures, 2 large cost files, 1 bad file)"

# audit.file_load against "nothing lost": prints the violations, nothing when all is well
audit_violations() {
    q "WITH f AS (SELECT sha256, count(*) FILTER (WHERE status = 'loaded') l,
                         count(*) FILTER (WHERE status = 'unchanged') u,
                         count(*) FILTER (WHERE status = 'quarantined') x
                  FROM audit.file_load GROUP BY sha256)
       SELECT string_agg(v, '; ') FROM (
           SELECT format('%s: loaded %s, unchanged %s, quarantined %s', left(sha256, 12), l, u, x)
           FROM f WHERE sha256 IN ($good_shas) AND (l <> 1 OR u > 1 OR x > 0)
         UNION ALL
           SELECT format('bad file: loaded %s, quarantined %s', l, x) FROM f
           WHERE sha256 = '$bad_sha' AND (l > 0 OR u > 0 OR x NOT IN (1, 2))
         UNION ALL
           SELECT format('%s good files recorded, not %s', count(*), $nfiles - 1) FROM f
           WHERE sha256 IN ($good_shas) HAVING count(*) <> $nfiles - 1
         UNION ALL
           SELECT 'bad file not recorded' WHERE NOT EXISTS (SELECT 1 FROM f WHERE sha256 = '$bad_sha')
         UNION ALL
           SELECT format('unknown sha256 %s', left(sha256, 12)) FROM f
           WHERE sha256 NOT IN ($good_shas) AND sha256 <> '$bad_sha') v(v)"
}
# After a fault, before the rerun: every submission in core is all there or absent, never a
# part (every core line of the totals is one the clean load has), and the reconciliation is
# absent or complete. Prints the offending lines.
partial_violations() {
    schema_ready || return 0
    local now_totals rec
    now_totals=$(totals)
    comm -23 <(grep '^core\.' <<<"$now_totals" | LC_ALL=C sort) <(LC_ALL=C sort <<<"$ref_totals") | grep . || true
    [[ $(grep -c '^core.submission ' <<<"$now_totals") == $(grep -c '^core.cost_line ' <<<"$now_totals") ]] ||
        echo "core.submission and core.cost_line name different submissions"
    rec=$(grep '^mart\.reconciliation ' <<<"$now_totals" || true)
    [[ -z $rec || $rec == "$(grep '^mart\.reconciliation ' <<<"$ref_totals")" ]] || echo "mart.reconciliation is partial"
}
# Everything a finished rerun must show. Prefix for the messages in $1. Returns 1 when any failed.
check_finished() {
    local p=$1 f0=$ncc_it_failed
    assert_eq "$ref_totals" "$(totals)" "$p: the warehouse equals the clean load"
    assert_eq "" "$(listing "$in")" "$p: the inbox is empty"
    assert_eq "$src_content" "$(content_of "$ar" "$qu")" \
        "$p: every file is in archive or quarantine exactly once (by sha256)"
    assert_eq "./$bad_name" "$(cd "$qu" && find . -type f ! -name '.*' ! -name '*.errors.csv' | LC_ALL=C sort)" \
        "$p: the quarantine holds the bad file"
    assert_match ',F_REJECT_LIMIT,' "$(cat "$qu/$bad_name.errors.csv" 2>&1)" "$p: ... with its NAME.errors.csv"
    assert_eq "" "$(audit_violations)" "$p: every good file 'loaded' exactly once, the bad one only quarantined"
    assert_eq "$rerun_status" "$(q "SELECT exit_code FROM audit.run ORDER BY run_id DESC LIMIT 1")" \
        "$p: audit.run has the rerun with its exit status"
    assert_eq "" "$(find "$qu" "$ar" -name '.*')" \
        "$p: no hidden or temporary file is left in archive or quarantine (e.g. .NAME.errors.csv.PID.tmp)"
    ((ncc_it_failed == f0))
}
unchanged() { q "SELECT count(*) FROM audit.file_load WHERE status = 'unchanged'"; }
expected_rerun_status() { # 65 while the bad file still waits in the inbox, else 0
    if [[ -e $in/$bad_name ]]; then echo 65; else echo 0; fi
}

# ---- the clean load: reference totals and the run time T --------------------------------------

# T per --jobs value: the mean of the durations of the complete runs seen (summary line's seconds)
declare -A t_sum=([1]=0 [2]=0) t_n=([1]=0 [2]=0)
t_add() { # JOBS SUMMARY-FILE
    local secs
    secs=$(sed -n 's/.*, \([0-9.]*\) s$/\1/p' "$2" | head -1)
    [[ -n $secs ]] || return 0
    t_sum[$1]=$(awk -v a="${t_sum[$1]}" -v b="$secs" 'BEGIN { print a + b }')
    t_n[$1]=$((t_n[$1] + 1))
}
run_time() { awk -v s="${t_sum[$1]}" -v n="${t_n[$1]}" 'BEGIN { printf "%.2f", n ? s / n : 2 }'; }
for run in 1 2; do
    jobs=$run
    fresh_db "ref$run"
    box "ref$run"
    status=0
    "$nightly" $(nightly_args) --jobs "$jobs" >"$T/ref.out" 2>"$T/ref.err" || status=$?
    t_add "$jobs" "$T/ref.out"
    assert_eq 65 "$status" "clean run, --jobs $jobs: exit 65 (the bad file is quarantined)"
    assert_match "^ncc-nightly: quarantined: $nfiles files \(13 loaded, 0 unchanged, 1 quarantined, 0 left\)" \
        "$(<"$T/ref.out")" "clean run, --jobs $jobs: 13 loaded, 1 quarantined"
    assert_eq "" "$(<"$T/ref.err")" "clean run, --jobs $jobs: nothing on stderr"
    if [[ $run == 1 ]]; then
        ref_totals=$(totals)
        assert_match "core.submission 202425 RHH OP rows=$rows " "$ref_totals" "the clean load holds the large files"
        assert_match '^mart.reconciliation ' "$(grep '^mart.reconciliation ' <<<"$ref_totals" | head -1)" \
            "the clean load holds the reconciliation"
    else
        assert_eq "$ref_totals" "$(totals)" "clean run, --jobs 2: the same warehouse as --jobs 1"
    fi
    rerun_status=65
    check_finished "clean run, --jobs $jobs" || true
    drop_db_bg "$PGDATABASE"
done
echo "# clean run time: $(run_time 1) s with --jobs 1, $(run_time 2) s with --jobs 2"

# ---- 6. kill -9 at many points -------------------------------------------------------------------

table=()
row() { table+=("$(printf '%-6s %-4s %-9s %-7s %-36s %-7s %-11s %-4s %-4s %s' "$@")"); }
row point jobs "kill at" died "state when killed" "orphan" "rerun(75s)" unch tmp "result (point time)"
# kill_point LABEL JOBS MODE ARG: MODE delay = kill ARG seconds after the start; drained = kill
# as soon as the inbox is empty (every file moved: the run is reconciling or ending); recon =
# kill while the run waits to store the reconciliation (a session of the test holds an
# ACCESS EXCLUSIVE lock on mart.reconciliation from the start of the loads until then).
kill_point() {
    local label=$1 jobs=$2 mode=$3 arg=${4:-} pid st=0 t0 at died state wait pgid i f0=$ncc_it_failed p
    local tp
    tp=$(now)
    fresh_db "p$label"
    box "p$label"
    t0=$(now)
    exec 3>&2 2>/dev/null # bash reports the killed job ("Killed") on stderr at some later command
    setsid "$nightly" $(nightly_args) --jobs "$jobs" >"$T/kill.out" 2>"$T/kill.err" &
    pid=$!
    if [[ $mode == delay ]]; then
        sleep "$arg"
    elif [[ $mode == recon ]]; then
        block_reconciliation "$pid"
    else
        shopt -s nullglob
        while kill -0 "$pid" 2>/dev/null; do
            f=("$in"/*)
            ((${#f[@]} == 0)) && break
        done
        shopt -u nullglob
    fi
    # setsid(2) runs in the child after fork: until then the child is in our group
    for ((i = 0; i < 200; i++)); do
        pgid=$(awk '{ print $5 }' "/proc/$pid/stat" 2>/dev/null || true)
        [[ -z $pgid || $pgid == "$pid" ]] && break
        sleep 0.01
    done
    [[ -z $pgid || $pgid == "$pid" ]] || { echo "ABORT: setsid did not make $pid a group leader (group $pgid)" >&3; exit 1; }
    kill -9 -- "-$pid" 2>/dev/null || true
    at=$(since "$t0")
    wait "$pid" || st=$?
    exec 2>&3 3>&-
    [[ $mode == recon ]] && unblock_reconciliation
    if [[ $st == 137 ]]; then died=killed; else died="exit$st"; t_add "$jobs" "$T/kill.out"; fi
    p="point $label (--jobs $jobs, kill at ${at} s)"
    for ((i = 0; i < 50; i++)); do
        [[ -z $(pgrep -g "$pid" || true) ]] && break
        sleep 0.1
    done
    assert_eq "" "$(pgrep -g "$pid" -a || true)" "$p: no process of the killed run survives"
    wait=$(wait_backends_gone)
    local tmp
    tmp=$( (find "$qu" -name '.*.tmp' 2>/dev/null || true) | wc -l)
    # what the run had done when it died
    if ! schema_ready; then
        state="migrating"
    else
        state=$(q "SELECT CASE WHEN (SELECT count(*) FROM audit.run) = 0 THEN 'setup'
                               ELSE format('%s/%s recorded, %s moved%s', (SELECT count(*) FROM audit.file_load), $nfiles,
                                           $(content_of "$ar" "$qu" | grep -c . || true),
                                           CASE WHEN EXISTS (SELECT 1 FROM mart.reconciliation) THEN ', recon' ELSE '' END) END")
    fi
    assert_eq "" "$(partial_violations)" "$p: right after the kill every submission is whole or absent"
    assert_eq "$src_content" "$(content_of "$in" "$ar" "$qu")" "$p: right after the kill every file is in one place, once"
    local expect
    expect=$(expected_rerun_status)
    rerun --jobs "$jobs"
    assert_eq "$expect" "$rerun_status" "$p: the rerun completes (exit $expect)"
    [[ $rerun_status == "$expect" ]] || echo "       rerun stderr: $(<"$T/rerun.err")"
    check_finished "$p" || true
    local result=ok
    ((ncc_it_failed == f0)) || result=FAIL
    row "$label" "$jobs" "${at}s" "$died" "$state" "${wait}s" "$rerun_status($rerun_retries)" "$(unchanged)" "$tmp" \
        "$result ($(since "$tp") s)"
    [[ $result == ok ]] && drop_db_bg "$PGDATABASE"
    return 0
}

# Hold mart.reconciliation locked from the moment the run has begun (audit.run row: migrations
# done) until the run's session waits for the lock, or the run ends. PID: the run.
block_reconciliation() {
    local pid=$1 i
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        schema_ready && [[ $(q "SELECT count(*) FROM audit.run") != 0 ]] && break
        sleep 0.02
    done
    PGAPPNAME=ncc_fault_blocker psql -XAtq -c "BEGIN; LOCK TABLE mart.reconciliation IN ACCESS EXCLUSIVE MODE;
                                               SELECT pg_sleep(300)" >/dev/null 2>&1 &
    blocker=$!
    for ((i = 0; i < 1200; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        [[ $(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                WHERE a.application_name = 'ncc_fault_blocker' AND l.granted
                  AND l.relation = 'mart.reconciliation'::regclass") != 0 ]] && break
        sleep 0.02
    done
    for ((i = 0; i < 3000; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        [[ $(q "SELECT count(*) FROM pg_locks WHERE NOT granted
                  AND relation = 'mart.reconciliation'::regclass") != 0 ]] && return 0
        sleep 0.02
    done
}
unblock_reconciliation() {
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ncc_fault_blocker'" >/dev/null
    wait "$blocker" 2>/dev/null || true
}

for ((i = 0; i < points; i++)); do
    jobs=$((i % 2 + 1))
    delay=$(awk -v i="$i" -v n="$points" -v t="$(run_time "$jobs")" 'BEGIN { printf "%.3f", i * t / n }')
    kill_point "$i" "$jobs" delay "$delay"
done
for jobs in 1 2; do
    kill_point "rec$jobs" "$jobs" recon
    # nothing held up: the window between the last move and the end is a few milliseconds, the
    # run may well end first (shown as exit65)
    kill_point "dr$jobs" "$jobs" drained
done

wait_drops

# ---- 7. the database restarted in the middle of a run -------------------------------------------

# A private cluster: restarting the shared one would break other tests running on it.
# It listens on a socket in its own directory only, so its port cannot clash with another cluster's.
port=${NCC_FAULT_PGPORT:-54391}
pgt=$(mktemp -d "${TMPDIR:-/tmp}/ncc_fault_pg.XXXXXX")
pgdb() { NCC_VAR=$pgt/var NCC_PGPORT=$port "$NCC_ROOT/scripts/db" "$@"; }
ncc_it_on_exit "NCC_VAR='$pgt/var' NCC_PGPORT=$port '$NCC_ROOT/scripts/db' stop; rm -rf '$pgt'"
t0=$(now)
pgdb start 2>"$T/pgstart.err" || { cat "$T/pgstart.err" >&2; echo "ABORT: cannot start a private cluster on port $port" >&2; exit 1; }
echo "# private cluster for the restart test: port $port, started in $(since "$t0") s"
eval "$(pgdb env)"

restart_point() {
    local jobs=$1 pid st=0 i t0 at p f0=$ncc_it_failed left tmp
    p="restart (--jobs $jobs)"
    fresh_db "restart$jobs"
    box "restart$jobs"
    t0=$(now)
    "$nightly" $(nightly_args) --jobs "$jobs" >"$T/restart.out" 2>"$T/restart.err" &
    pid=$!
    # restart while a large file is being copied into core.cost_line: the bad file (just before
    # them) is quarantined, then a COPY into the table is under way (with --jobs 2 the two large
    # files, of different submissions, load side by side and take well under a second)
    for ((i = 0; i < 600; i++)); do
        [[ -e $qu/$bad_name ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    for ((i = 0; i < 600; i++)); do
        [[ $(q "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
                  AND query LIKE 'COPY core.cost\_line %'") -ge 1 ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    at=$(since "$t0")
    pgdb stop 2>/dev/null
    pgdb start 2>/dev/null
    wait "$pid" || st=$?
    assert_eq 69 "$st" "$p at ${at} s: the run exits 69"
    assert_match 'database unavailable' "$(<"$T/restart.err")" "$p: stderr says the database is unavailable"
    assert_eq 1 "$(count_lines "$(<"$T/restart.err")")" "$p: ... in one line (DESIGN.md §5.4)"
    assert_match '^ncc-nightly: failed: .*, [1-9][0-9]* left\)' "$(<"$T/restart.out")" "$p: the summary counts the files left"
    left=$(content_of "$in")
    tmp=$( (find "$qu" -name '.*.tmp' 2>/dev/null || true) | wc -l)
    assert_match "cost_R(GG_202324_APC|HH_202425_OP)\.csv" "$left" "$p: the large file being copied is still in the inbox"
    assert_eq "$src_content" "$(content_of "$in" "$ar" "$qu")" "$p: every file is in exactly one place, none half moved"
    assert_eq "$(content_of "$in" | awk '{ print "./" $2 }' | LC_ALL=C sort)" "$(listing "$in")" \
        "$p: nothing but the waiting files in the inbox"
    assert_eq "" "$(partial_violations)" "$p: every submission in the warehouse is whole or absent"
    local moved_loaded
    moved_loaded=$(content_of "$ar" | while read -r s n; do
        [[ $(q "SELECT count(*) FROM audit.file_load WHERE sha256 = '$s' AND status IN ('loaded', 'unchanged')") -ge 1 ]] || echo "$n"
    done)
    assert_eq "" "$moved_loaded" "$p: every archived file is recorded loaded"
    rerun_status=0
    local expect
    expect=$(expected_rerun_status)
    rerun --jobs "$jobs"
    assert_eq "$expect" "$rerun_status" "$p: the next run completes (exit $expect)"
    check_finished "$p" || true
    local result=ok
    ((ncc_it_failed == f0)) || result=FAIL
    row "R$jobs" "$jobs" "${at}s" "exit$st" "restart; $(count_lines "$left") left" "-" "$rerun_status($rerun_retries)" \
        "$(unchanged)" "$tmp" "$result ($(since "$t0") s)"
    [[ $result == ok ]] && drop_db "$PGDATABASE"
    return 0
}
restart_point 1
restart_point 2
eval "$shared_env"

echo
echo "# kill points and outcomes (kill at i x T / $points; T at the end: $(run_time 1) s with --jobs 1, $(run_time 2) s with --jobs 2;"
echo "# 'orphan': time the killed run's database sessions needed to go; 'unch': files recorded 'unchanged' by
# the rerun (loaded before the kill, not yet moved); 'tmp': .NAME.errors.csv.PID.tmp files the killed
# run left in quarantine, which the rerun must remove)"
printf '# %s\n' "${table[@]}"
echo "# total time $(since "$t_begin") s"
ncc_it_finish
