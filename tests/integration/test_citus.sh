#!/usr/bin/env bash
# tests/integration/test_citus.sh - the warehouse on a real Citus cluster (scripts/citus: one
# coordinator, two workers; docs/scale-out.md), against the single node:
#   1. the same night (the demo fixtures plus generated cost and NHSSC files across many trusts)
#      run by ncc-nightly --jobs 2 into a fresh database on the single node and on the
#      coordinator: ncc-nightly lays the cluster out itself (sql/012), and core.submission,
#      mart.reconciliation, mart.mtfm_benchmark and the adoption marts are equal row for row
#      (EXCEPT both ways in one database, counts printed), as is the whole warehouse's digest;
#      ncc-reconcile and ncc-report work against the coordinator and give the same CSV;
#   2. the rows are distributed: every core table hash-distributed by org_code in one colocation
#      group (pg_dist_partition), ref and mart tables reference tables, audit local; the shards
#      of core.cost_line hold rows on both workers; each trust's shard of every core table is on
#      one node; the per-trust sums of reconciliation run on the workers (one task a shard);
#   3. a resubmission replaces its submission atomically: a reader on the coordinator sees only
#      the old or the new total, never a mix;
#   4. a worker stopped while a large file is copied: the run exits 69 "database unavailable",
#      the file stays in the inbox with no audit row, nothing partial; after the worker's
#      restart the next run completes and the warehouse equals the clean load;
#   5. a trust role connected to the coordinator reads only its own rows;
#   6. a warehouse migrated and loaded on a server without the extension is moved onto the
#      cluster by public.ncc_after_migrate() and reconciles as before.
# Needs Citus installed (scripts/citus install; Makefile.ci's test-normal does it) and starts
# the cluster when it is down. Environment: NCC_CITUS_ROWS (generated cost lines, default
# 240000), and scripts/citus's NCC_CITUS_VAR / NCC_CITUS_PORT.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nightly=$NCC_BIN/ncc-nightly
load=$NCC_BIN/ncc-load
rec=$NCC_BIN/ncc-reconcile
report=$NCC_BIN/ncc-report
gen=$NCC_BIN/ncc-gen
for x in "$nightly" "$load" "$rec" "$report" "$gen"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
citus=$NCC_ROOT/scripts/citus
rows=${NCC_CITUS_ROWS:-240000}
[[ $rows =~ ^[0-9]+$ ]] && ((rows >= 10000)) || { echo "NCC_CITUS_ROWS must be a number >= 10000" >&2; exit 1; }
set +m

ncc_it_setup citus
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE NCC_RECONCILE_TOLERANCE \
    NCC_INBOX NCC_ARCHIVE NCC_QUARANTINE NCC_JOBS NCC_MIN_AGE || true
T=$NCC_IT_TMP
data=$NCC_ROOT/tests/data/nightly
single_env=$("$NCC_ROOT/scripts/db" env)
single_db=$NCC_IT_DB
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_begin=$(now)

"$citus" start 2>"$T/citus-start.err" || { cat "$T/citus-start.err" >&2; echo "ABORT: the Citus cluster does not start" >&2; exit 1; }
citus_env=$("$citus" env)
cdb=ncc_it_citus_$NCC_IT_RUN
cdb_fault=${cdb}_fault
cdb_move=${cdb}_move
drop_cluster_dbs() { "$citus" dropdb "$cdb"; "$citus" dropdb "$cdb_fault"; "$citus" dropdb "$cdb_move"; }
drop_cluster_dbs >/dev/null 2>&1 || true
"$citus" createdb "$cdb"
"$citus" createdb "$cdb_fault"
"$citus" createdb "$cdb_move"
p=ncc_it_citus_$NCC_IT_RUN # the trust roles of part 5 (cluster-wide names)
cleanup_cluster() {
    "$citus" node w1 start
    "$citus" node w2 start
    on_cluster
    # the roles are dropped through a Citus database, so that the workers drop them too
    psql -XAtq -c "DELETE FROM ref.trust_role WHERE role_name LIKE '${p}%'" || true
    psql -XAtq -c "DROP ROLE IF EXISTS ${p}_a, ${p}_b" || true
    if ((ncc_it_failed == 0)); then
        drop_cluster_dbs
    else
        echo "kept on the cluster: databases $cdb $cdb_fault $cdb_move"
    fi
}
ncc_it_on_exit cleanup_cluster

on_single() { eval "$single_env"; export PGDATABASE=$single_db; }
on_cluster() { eval "$citus_env"; export PGDATABASE=${1:-$cdb}; }
q() { ncc_it_sql "$1"; }
totals() { psql -XAtq -v ON_ERROR_STOP=1 -f "$data/warehouse_totals.sql"; }

# ---- the night: fixtures plus generated data ---------------------------------------------------

src=$T/src
mkdir -p "$src"
cp "$NCC_ROOT"/fixtures/demo/* "$src/"
# two cost files of disjoint submissions (--shard), so that --jobs 2 loads them side by side
"$gen" --kind cost --rows $((rows / 2)) --seed 17 --shard 0/2 --block 2000 -o "$src/gen_cost_a.csv"
"$gen" --kind cost --rows $((rows / 2)) --seed 17 --shard 1/2 --block 2000 -o "$src/gen_cost_b.csv"
"$gen" --kind nhssc --rows $((rows / 8)) --seed 18 -o "$src/gen_nhssc.csv"
nlines=$(cat "$src"/*.csv | wc -l)
echo "# the night: $(find "$src" -type f | wc -l) files, $nlines lines"

box() { # NAME: inbox (a copy of the night), archive and quarantine
    in=$T/$1/inbox ar=$T/$1/archive qu=$T/$1/quarantine
    rm -rf "${T:?}/$1"
    mkdir -p "$in"
    cp -p "$src"/* "$in/"
}
run_night() { # label
    local st=0 t0
    t0=$(now)
    "$nightly" --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu" --jobs 2 \
        >"$T/$1.out" 2>"$T/$1.err" || st=$?
    assert_eq 0 "$st" "$1: ncc-nightly --jobs 2 exits 0 ($(since "$t0") s; $(<"$T/$1.out"))"
    [[ $st == 0 ]] || cat "$T/$1.err"
}

on_single
box single
run_night "single node"
single_totals=$(totals)
on_cluster
box cluster
run_night "cluster"
assert_match '^citus: 0 table\(s\) or function\(s\) placed now' "$(q "SELECT public.ncc_after_migrate()")" \
    "ncc-nightly laid the fresh database out for Citus itself (nothing left to place)"
cluster_totals=$(totals)
assert_match ' rows=' "$single_totals" "the single node holds the night"
assert_eq "$single_totals" "$cluster_totals" \
    "the whole warehouse (digest of every core and mart table, $(wc -l <<<"$single_totals") lines) is the same on the cluster"

# ---- row for row, in one database --------------------------------------------------------------

# name: table or view, columns compared (the load's ids and times left out)
declare -A cols=(
    [core.submission]="fin_year, org_code, feed, rows, cost, sha256"
    [mart.reconciliation]="fin_year, org_code, technology_id, ncc_units, ncc_cost, nhssc_units, nhssc_value,
                           direct_units, direct_value, supply_units, supply_value, status,
                           supplier_nhssc_units, supplier_nhssc_value, tolerance"
    [mart.mtfm_benchmark]="*"
    [mart.adoption]="*"
)
for opt in mart.adoption_triangulation mart.stalled_adoption mart.mtfm_dashboard; do
    [[ $(q "SELECT to_regclass('$opt') IS NOT NULL") == t ]] && cols[$opt]="*"
done
on_single
q "CREATE SCHEMA cmp"
for t in $(printf '%s\n' "${!cols[@]}" | LC_ALL=C sort); do
    n=${t//./_}
    on_single
    q "CREATE TABLE cmp.s_$n AS SELECT ${cols[$t]} FROM $t; CREATE TABLE cmp.c_$n AS TABLE cmp.s_$n WITH NO DATA"
    on_cluster
    psql -XAtq -v ON_ERROR_STOP=1 -c "COPY (SELECT ${cols[$t]} FROM $t) TO STDOUT" >"$T/$n.copy"
    on_single
    psql -XAtq -v ON_ERROR_STOP=1 -c "COPY cmp.c_$n FROM STDIN" <"$T/$n.copy"
    counts=$(q "SELECT (SELECT count(*) FROM cmp.s_$n) || ' ' || (SELECT count(*) FROM cmp.c_$n) || ' ' ||
                       (SELECT count(*) FROM (TABLE cmp.s_$n EXCEPT ALL TABLE cmp.c_$n) x) || ' ' ||
                       (SELECT count(*) FROM (TABLE cmp.c_$n EXCEPT ALL TABLE cmp.s_$n) x)")
    read -r ns nc d1 d2 <<<"$counts"
    echo "# $t: single node $ns rows, cluster $nc rows, single-only $d1, cluster-only $d2"
    assert_match '^[1-9]' "$ns" "$t has rows on the single node ($ns)"
    assert_eq "$ns $ns 0 0" "$counts" "$t: the cluster's $nc rows are the single node's $ns, row for row (EXCEPT ALL both ways)"
done

# ncc-reconcile and ncc-report against the coordinator
on_single
assert_status 0 "ncc-reconcile on the single node" -- "$rec" -o "$T/rec_single.csv"
on_cluster
assert_status 0 "ncc-reconcile against the coordinator" -- "$rec" -o "$T/rec_cluster.csv"
assert_eq "$(md5sum <"$T/rec_single.csv")" "$(md5sum <"$T/rec_cluster.csv")" \
    "ncc-reconcile's CSV is the same from the coordinator ($(wc -l <"$T/rec_cluster.csv") lines)"
assert_status 0 "ncc-report against the coordinator" -- "$report" -o "$T/report.html"
subs_a=$(q "SELECT string_agg(fin_year || ' ' || org_code || ' ' || feed, ', ' ORDER BY fin_year, org_code, feed)
            FROM core.submission WHERE file_load_id = (SELECT max(file_load_id) FROM audit.file_load
                                                       WHERE file_name LIKE '%gen_cost_a.csv')")
assert_match "<td>$subs_a</td>" "$(<"$T/report.html")" \
    "the report's data quality section lists gen_cost_a.csv's submissions (audit joined with core.submission)"
assert_match 'class="bench-table' "$(<"$T/report.html")" "the report has its benchmark tables"

# the analysts' example queries of docs/warehouse.md, as they are written, on both
mkdir -p "$T/q"
awk -v d="$T/q" '/^```sql/ { f = 1; n++; next } /^```/ { f = 0; next } f { print > (d "/q" sprintf("%02d", n) ".sql") }' \
    "$NCC_ROOT/docs/warehouse.md"
# file_load_id numbers the files in the order --jobs 2 happened to finish them: compared without it
strip_ids() { if [[ $1 == file_load_id,* ]]; then cut -d, -f2- <<<"$1" | LC_ALL=C sort; else printf '%s\n' "$1"; fi; }
nq=0
for f in "$T"/q/q*.sql; do
    nq=$((nq + 1))
    on_single
    a=$(psql -X -q --csv -v ON_ERROR_STOP=1 -f "$f" 2>&1 || true)
    on_cluster
    b=$(psql -X -q --csv -v ON_ERROR_STOP=1 -f "$f" 2>&1 || true)
    assert_eq "$(strip_ids "$a")" "$(strip_ids "$b")" \
        "docs/warehouse.md query ${f##*/q}: the same $(($(wc -l <<<"$a") - 1)) rows from the coordinator"
done
assert_match '^[1-9][0-9]$' "$nq" "the example queries were found ($nq)"

# ---- 2. the layout -------------------------------------------------------------------------------

on_cluster
assert_eq "1 h org_code" "$(q "
    SELECT count(DISTINCT p.colocationid) || ' ' || string_agg(DISTINCT p.partmethod::text, ',') || ' ' ||
           string_agg(DISTINCT column_to_column_name(p.logicalrelid, p.partkey), ',')
    FROM pg_class c JOIN pg_dist_partition p ON p.logicalrelid = c.oid
    WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')")" \
    "every core table (partitions included) is hash-distributed by org_code, in one colocation group"
assert_eq "" "$(q "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c
                    WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')
                      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)")" \
    "no core table is left local (offenders listed)"
assert_eq "" "$(q "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c
                    WHERE c.relnamespace IN ('ref'::regnamespace, 'mart'::regnamespace) AND c.relkind = 'r'
                      AND c.oid <> 'ref.trust_role'::regclass
                      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND p.repmodel = 't')")" \
    "every ref and mart table but ref.trust_role is a reference table (offenders listed)"
assert_eq "0" "$(q "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
                     WHERE c.relnamespace = 'audit'::regnamespace OR c.oid = 'ref.trust_role'::regclass")" \
    "audit and ref.trust_role stay local to the coordinator"
per_node=$(q "SELECT string_agg(s.nodeport || '=' || s.n, ' ' ORDER BY s.nodeport) FROM (
                  SELECT cs.nodeport, sum(r.result::bigint) AS n
                  FROM run_command_on_shards('core.cost_line', 'SELECT count(*) FROM %s') r
                  JOIN citus_shards cs ON cs.shardid = r.shardid GROUP BY cs.nodeport) s")
n_cost=$(q "SELECT count(*) FROM core.cost_line")
w1=$(( $(sed -n 's/^export PGPORT=//p' <<<"$citus_env") + 1 ))
w2=$((w1 + 1))
echo "# core.cost_line: $n_cost rows; per worker port: $per_node"
assert_match "^$w1=[1-9][0-9]* $w2=[1-9][0-9]*$" "$per_node" "the shards of core.cost_line hold rows on both workers"
assert_eq "$n_cost" "$(awk -v RS=' ' -F= '{ s += $2 } END { print s }' <<<"$per_node")" \
    "the shards hold every row once"
assert_eq "" "$(q "
    WITH orgs AS (SELECT DISTINCT org_code FROM core.submission UNION SELECT DISTINCT org_code FROM core.nhssc_sales_line),
    placed AS (
        SELECT o.org_code, c.oid::regclass AS t,
               (SELECT nodeport FROM citus_shards cs
                WHERE cs.shardid = get_shard_id_for_distribution_column(c.oid::regclass, o.org_code)) AS port
        FROM orgs o CROSS JOIN pg_class c
        WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition)
    SELECT string_agg(org_code, ', ') FROM (SELECT org_code FROM placed GROUP BY org_code
                                            HAVING count(DISTINCT port) <> 1) x")" \
    "each trust's shards of every core table are on one node (trusts placed apart listed)"
n_shards=$(q "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'core.mtfm_activity'::regclass")
assert_match "Task Count: $n_shards" "$(q "EXPLAIN SELECT fin_year, org_code, technology_id, sum(units), sum(cost)
                                            FROM core.mtfm_activity GROUP BY 1, 2, 3")" \
    "the per-trust sums of reconciliation run on the workers, one task for each of the $n_shards shards"

remote=$(psql -XAtq -v ON_ERROR_STOP=1 -c "SET citus.log_remote_commands = on; SET client_min_messages = log;
                                         BEGIN; SELECT mart.refresh_benchmark(); ROLLBACK" 2>&1)
assert_eq "$n_shards" "$(grep -c 'issuing SELECT .* FROM core\.mtfm_activity_[0-9]* mtfm_activity .*GROUP BY .*org_code' <<<"$remote")" \
    "mart.refresh_benchmark() sums each trust on the workers: one GROUP BY org_code per shard sent to them"
assert_eq "0" "$(grep -c 'issuing .*FROM core\.mtfm_activity_[0-9]* mtfm_activity *$' <<<"$remote")" \
    "... and no shard's rows are fetched whole"

# ---- 3. an atomic resubmission under a concurrent reader ------------------------------------------

on_cluster
read -r fy org feed old_rows <<<"$(q "SELECT fin_year, org_code, feed, rows FROM core.submission
                                     WHERE file_load_id = (SELECT file_load_id FROM audit.file_load
                                                           WHERE file_name LIKE '%gen_cost_a.csv')
                                     ORDER BY rows DESC, org_code LIMIT 1" | tr '|' ' ')"
old=$(q "SELECT count(*) || '/' || sum(cost) FROM core.cost_line WHERE fin_year = '$fy' AND org_code = '$org' AND feed = '$feed'")
# the whole file again with that submission's lines thinned (every other one): every other
# submission is replaced by the same rows, so the load lasts long enough to be watched
awk -F, -v fy="$fy" -v org="$org" -v feed="$feed" \
    'NR == 1 || !($1 == fy && $2 == org && $3 == feed) || (n++ % 2 == 0)' "$src/gen_cost_a.csv" >"$T/resub_a.csv"
for ((i = 0; i < 2000; i++)); do
    echo "SELECT count(*) || '/' || sum(cost) FROM core.cost_line WHERE fin_year = '$fy' AND org_code = '$org' AND feed = '$feed';"
    echo "SELECT pg_sleep(0.01);"
done >"$T/reader.sql"
psql -XAtq -v ON_ERROR_STOP=1 -f "$T/reader.sql" >"$T/reader.out" 2>"$T/reader.err" &
rpid=$!
sleep 0.5
st=0
"$load" "$T/resub_a.csv" >"$T/resub.out" 2>"$T/resub.err" || st=$?
sleep 0.5
kill "$rpid" 2>/dev/null || true
wait "$rpid" 2>/dev/null || true
assert_eq 0 "$st" "the resubmission loads on the cluster"
new=$(q "SELECT count(*) || '/' || sum(cost) FROM core.cost_line WHERE fin_year = '$fy' AND org_code = '$org' AND feed = '$feed'")
seen=$(grep -v '^$' "$T/reader.out" | LC_ALL=C sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
echo "# submission $fy $org $feed: old $old, new $new; the reader saw: $seen"
assert_match "^$(( (old_rows + 1) / 2 ))/" "$new" "the new total is the thinned submission's"
assert_eq "" "$(grep -v '^$' "$T/reader.out" | grep -v -x -F -e "$old" -e "$new" | sort -u)" \
    "the reader on the coordinator saw only the old or the new total (no other value)"
assert_match "^$old\$" "$(grep -v '^$' "$T/reader.out" | head -n1)" "the reader saw the old total first"
assert_match "^$new\$" "$(grep -v '^$' "$T/reader.out" | tail -n1)" "... and the new one last"
assert_eq "$new" "$(q "SELECT rows || '/' || cost FROM core.submission WHERE fin_year = '$fy' AND org_code = '$org' AND feed = '$feed'")" \
    "core.submission agrees with the lines"

# ---- 4. a worker stopped in the middle of a load --------------------------------------------------

on_cluster "$cdb_fault"
box fault
t0=$(now)
"$nightly" --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu" --jobs 1 >"$T/fault.out" 2>"$T/fault.err" &
npid=$!
for ((i = 0; i < 3000; i++)); do
    [[ $(q "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY core.cost\_line %'
                                                    AND datname = current_database()") -ge 1 ]] && break
    kill -0 "$npid" 2>/dev/null || break
    sleep 0.02
done
at=$(since "$t0")
"$citus" node w2 stop 2>/dev/null
st=0
wait "$npid" || st=$?
echo "# worker w2 stopped at $at s into the run: exit $st; $(<"$T/fault.out")"
assert_eq 69 "$st" "a worker stopped while a cost file is copied: the run exits 69"
assert_match 'database unavailable' "$(<"$T/fault.err")" "stderr says the database is unavailable"
assert_eq 1 "$(grep -c 'error:' "$T/fault.err")" "... in one error line"
assert_eq "" "$(grep -v -e 'error: database unavailable' -e 'warning: server warning: terminating connection' "$T/fault.err")" \
    "stderr holds nothing else than that line and the worker's warning that it was shut down, relayed by the coordinator"
left=$( (cd "$in" && ls) | tr '\n' ' ')
assert_match 'gen_cost_[ab]\.csv' "$left" "the file being copied is still in the inbox ($left)"
"$citus" node w2 start 2>/dev/null
for f in "$in"/*; do
    s=$(sha256sum "$f" | cut -d' ' -f1)
    assert_eq 0 "$(q "SELECT count(*) FROM audit.file_load WHERE sha256 = '$s'")" \
        "${f##*/}, left in the inbox, has no audit.file_load row (its transaction rolled back)"
done
assert_eq 69 "$(q "SELECT exit_code FROM audit.run ORDER BY run_id DESC LIMIT 1")" "audit.run records the run's exit 69"
partial=$(comm -23 <(totals | grep '^core\.' | LC_ALL=C sort) <(LC_ALL=C sort <<<"$single_totals") | head -n3)
assert_eq "" "$partial" "after the worker is back, every submission in the warehouse is whole (no partial one listed)"
for ((i = 0; i < 20; i++)); do
    st=0
    "$nightly" --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu" --jobs 2 >"$T/rerun.out" 2>"$T/rerun.err" || st=$?
    [[ $st == 75 ]] || break
    sleep 0.5
done
assert_eq 0 "$st" "the rerun after the worker's restart completes ($(<"$T/rerun.out"))"
[[ $st == 0 ]] || cat "$T/rerun.err"
assert_eq "$single_totals" "$(totals)" "the rerun reaches the clean load's warehouse"
assert_eq "" "$( (cd "$in" && ls) )" "the inbox is empty"

# ---- 5. a trust role on the coordinator -------------------------------------------------------------

on_cluster
read -r org_a org_b <<<"$(q "SELECT string_agg(org_code, ' ') FROM (SELECT org_code FROM core.submission
                                                                  GROUP BY 1 ORDER BY 1 LIMIT 2) x")"
q "CREATE ROLE ${p}_a LOGIN IN ROLE ncc_trust; CREATE ROLE ${p}_b LOGIN IN ROLE ncc_trust;
   INSERT INTO ref.trust_role VALUES ('${p}_a', '$org_a'), ('${p}_b', '$org_b')"
as_trust() { psql -XAtq -v ON_ERROR_STOP=1 -U "${p}_$1" -c "$2" 2>&1 || true; }
for t in core.cost_line core.submission core.mtfm_activity; do
    want=$(q "SELECT '$org_a ' || count(*) FROM $t WHERE org_code = '$org_a'")
    assert_eq "$want" "$(as_trust a "SELECT coalesce(string_agg(DISTINCT org_code, ','), '-') || ' ' || count(*) FROM $t")" \
        "a trust role on the coordinator reads exactly its own rows of $t ($want)"
done
assert_eq "$org_b" "$(as_trust b "SELECT string_agg(DISTINCT org_code, ',') FROM core.cost_line")" \
    "another trust role reads its own trust only"
assert_eq "0" "$(as_trust a "SELECT count(*) FROM core.cost_line WHERE org_code = '$org_b'")" \
    "asking for another trust's rows gives none"
assert_match 'permission denied' "$(as_trust a "SELECT count(*) FROM mart.reconciliation")" "trusts cannot read mart on the cluster"

# ---- 6. an existing warehouse moved onto the cluster ----------------------------------------------

on_cluster "$cdb_move"
q "DROP EXTENSION citus" # this database on the coordinator is then a plain PostgreSQL one
demo=$NCC_ROOT/fixtures/demo
assert_status 0 "without the extension, the demo fixtures load (the migrations lay nothing out)" -- \
    "$load" "$demo/ledger_202324.csv" "$demo"/cost_*.csv* "$demo/nhssc_extract_2023_24.csv" \
    "$demo/supplier_return_2023_24.csv" "$demo"/qart_*.csv
assert_eq "single node" "$(q "SELECT public.ncc_after_migrate()")" "public.ncc_after_migrate() sees no extension"
assert_status 0 "ncc-reconcile before the move" -- "$rec" -o "$T/move_before.csv"
host=$(sed -n 's/^export PGHOST=//p' <<<"$citus_env")
host=$(eval "printf '%s' $host")
cport=$(sed -n 's/^export PGPORT=//p' <<<"$citus_env")
q "CREATE EXTENSION citus; SELECT citus_set_coordinator_host('$host', $cport);
   SELECT citus_add_node('$host', $((cport + 1))); SELECT citus_add_node('$host', $((cport + 2)))" >/dev/null
assert_match '^citus: [1-9][0-9]* table' "$(PGOPTIONS='-c client_min_messages=warning' q "SELECT public.ncc_after_migrate()")" \
    "after CREATE EXTENSION citus, public.ncc_after_migrate() places the tables and functions, rows included"
assert_eq "$(q "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')")" \
    "$(q "SELECT count(*) FROM pg_dist_partition p JOIN pg_class c ON c.oid = p.logicalrelid
          WHERE c.relnamespace = 'core'::regnamespace AND p.partmethod = 'h'")" "every core table is distributed"
assert_status 0 "ncc-reconcile after the move (the adoption marts call the quarter helpers on the shards)" -- \
    "$rec" -o "$T/move_after.csv"
assert_eq "$(md5sum <"$T/move_before.csv")" "$(md5sum <"$T/move_after.csv")" \
    "the reconciliation is the same after the move ($(wc -l <"$T/move_after.csv") lines)"

echo "# total time $(since "$t_begin") s"
ncc_it_finish
