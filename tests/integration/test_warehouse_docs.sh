#!/usr/bin/env bash
# tests/integration/test_warehouse_docs.sh - the example queries of docs/warehouse.md run as
# written, as the role they name, and give the results checked by hand
# (tests/data/warehouse/qNN.csv, see its README.md):
#   1. the demo fixtures load (ledger file first) and ncc-reconcile fills the mart;
#   2. docs/warehouse.md holds exactly thirteen ```sql blocks, each preceded by a heading and one
#      sentence, and each first line naming the role to run as ("-- run as: ncc_analyst");
#   3. every block, in order, runs with psql --csv as a login member of that role, succeeds,
#      returns at least one row, and prints exactly tests/data/warehouse/qNN.csv;
#   4. tests/data/warehouse holds no expected file without its query.
# NCC_WAREHOUSE_DOCS_UPDATE=1 writes the expected files from this run instead, and fails, so
# that a rewritten file is never accepted unread: check each by hand, then rerun without it.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load=$NCC_BIN/ncc-load
rec=$NCC_BIN/ncc-reconcile
for x in "$load" "$rec"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
doc=$NCC_ROOT/docs/warehouse.md
demo=$NCC_ROOT/fixtures/demo
expected=$NCC_ROOT/tests/data/warehouse
update=${NCC_WAREHOUSE_DOCS_UPDATE:-}
T=$NCC_IT_TMP

ncc_it_setup warehouse_docs
# the migrations, file kinds and reference data of the tree under test; defaults for the rest
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_RECONCILE_TOLERANCE NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

# =============================================================================================
# 1. The demo warehouse
# =============================================================================================

# Named one by one, in the order of test_reconcile.sh, so that file_load_id (query 8) does not
# depend on how the shell sorts a glob.
assert_status 0 "ncc-load loads the demo fixtures, ledger first" -- "$load" \
    "$demo/ledger_202324.csv" \
    "$demo/cost_RAA_202324_APC.csv" "$demo/cost_RAA_202324_OP.csv" "$demo/cost_RAA_202425_APC.csv" \
    "$demo/cost_RBB_202324_APC.csv" "$demo/cost_RCC_202324_APC.csv.gz" \
    "$demo/nhssc_extract_2023_24.csv" "$demo/supplier_return_2023_24.csv" \
    "$demo/qart_north_2023_24.csv" "$demo/qart_south_2023_24.csv" "$demo/qart_2024_25_q1.csv"
assert_eq "11 loaded" "$(ncc_it_sql "SELECT count(*) || ' ' || string_agg(DISTINCT status, ',') FROM audit.file_load")" \
    "the 11 fixture files are loaded"
assert_status 0 "ncc-reconcile fills mart.reconciliation and mart.mtfm_benchmark" -- "$rec" -o /dev/null
assert_eq "11 8" "$(ncc_it_sql "SELECT (SELECT count(*) FROM mart.reconciliation) || ' ' ||
                                      (SELECT count(*) FROM mart.mtfm_benchmark)")" \
    "the mart holds the 11 reconciliation and 8 benchmark rows of tests/data/expected/"

# =============================================================================================
# 2. The blocks of docs/warehouse.md
# =============================================================================================

[[ -r $doc ]] || { echo "$doc not found" >&2; exit 1; }
mkdir -p "$T/doc_blocks" "$T/doc_out"
# Writes blocks/qNN.sql for every ```sql block in order and prints one line per block:
# "NN<TAB>heading<TAB>sentence" (the two non-blank lines before the fence), or "UNTERMINATED".
awk -v dir="$T/doc_blocks" '
    function flush() { if (file != "") close(file) }
    inblock && /^```[ \t]*$/ { inblock = 0; flush(); next }
    inblock { print > file; next }
    /^```sql[ \t]*$/ {
        n++; file = sprintf("%s/q%02d.sql", dir, n); inblock = 1
        printf "%02d\t%s\t%s\n", n, prev2, prev1
        printf "" > file
        next
    }
    /^[ \t]*$/ { next }
    { prev2 = prev1; prev1 = $0 }
    END { if (inblock) print "UNTERMINATED" }
' "$doc" >"$T/doc_blocks.tsv"

assert_eq "" "$(grep -x UNTERMINATED "$T/doc_blocks.tsv" || true)" "every \`\`\`sql block of docs/warehouse.md is closed"
grep -vx UNTERMINATED "$T/doc_blocks.tsv" >"$T/doc_blocks.ok.tsv" || true
nblocks=$(wc -l <"$T/doc_blocks.ok.tsv")
assert_eq 13 "$nblocks" "docs/warehouse.md holds thirteen example queries (\`\`\`sql blocks)"

while IFS=$'\t' read -r nn heading sentence; do
    assert_match '^#{2,4} ' "$heading" "query $nn is preceded by a heading (found: $heading)"
    if [[ $sentence =~ ^[A-Z].*\.$ && ! $sentence =~ ^# && ! $sentence =~ \.\ [A-Z] ]]; then
        assert_eq ok ok "query $nn is introduced by one sentence"
    else
        assert_eq "one sentence ending in a full stop" "$sentence" "query $nn is introduced by one sentence"
    fi
done <"$T/doc_blocks.ok.tsv"

# =============================================================================================
# 3. Every block, in order, as its role
# =============================================================================================

prefix=ncc_it_wdocs_$$
drop_roles() {
    PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres \
        -c "DROP ROLE IF EXISTS ${prefix}_ncc_analyst" -c "DROP ROLE IF EXISTS ${prefix}_ncc_loader"
}
drop_roles
ncc_it_on_exit "drop_roles"
ncc_it_sql "CREATE ROLE ${prefix}_ncc_analyst LOGIN IN ROLE ncc_analyst"
ncc_it_sql "CREATE ROLE ${prefix}_ncc_loader LOGIN IN ROLE ncc_loader"

for f in "$T"/doc_blocks/q*.sql; do
    [[ -e $f ]] || break
    q=$(basename "$f" .sql)
    role=$(sed -n '1s/^-- run as: *\([a-z_]*\) *$/\1/p' "$f")
    case $role in
    ncc_analyst | ncc_loader) user=${prefix}_$role ;;
    *)
        assert_eq "-- run as: ncc_analyst (or ncc_loader)" "$(head -1 "$f")" "$q names the role it runs as"
        continue
        ;;
    esac
    status=0
    psql -X -q --csv -v ON_ERROR_STOP=1 -U "$user" -f "$f" >"$T/doc_out/$q.csv" 2>"$T/doc_out/$q.err" || status=$?
    assert_eq "0 " "$status $(head -c 300 "$T/doc_out/$q.err")" "$q runs as $role without error"
    rows=$(($(wc -l <"$T/doc_out/$q.csv") - 1))
    assert_match '^[1-9][0-9]*$' "$rows" "$q returns at least one row on the fixtures ($rows)"
    if [[ -n $update ]]; then
        cp "$T/doc_out/$q.csv" "$expected/$q.csv"
        assert_eq "unset" "NCC_WAREHOUSE_DOCS_UPDATE=$update" \
            "$q: $expected/$q.csv written from this run; check it by hand, then rerun without the variable"
    elif [[ ! -r $expected/$q.csv ]]; then
        assert_eq "a file" "missing" "$q: expected result tests/data/warehouse/$q.csv exists"
    elif cmp -s "$expected/$q.csv" "$T/doc_out/$q.csv"; then
        assert_eq same same "$q prints exactly tests/data/warehouse/$q.csv"
    else
        assert_eq "" "$(diff "$expected/$q.csv" "$T/doc_out/$q.csv" | head -20)" \
            "$q prints exactly tests/data/warehouse/$q.csv (diff expected actual)"
    fi
done

# =============================================================================================
# 4. No expected file without its query
# =============================================================================================

stale=
for e in "$expected"/q*.csv; do
    [[ -e $e ]] || break
    [[ -e $T/doc_blocks/$(basename "$e" .csv).sql ]] || stale+=" $(basename "$e")"
done
assert_eq "" "$stale" "every tests/data/warehouse/qNN.csv belongs to a query of docs/warehouse.md"

ncc_it_finish
