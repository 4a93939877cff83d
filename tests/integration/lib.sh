# shellcheck shell=bash disable=SC2034
# tests/integration/lib.sh - sourced by every integration test (tests/integration/test_*.sh).
#
# Integration tests run the built executables against a real PostgreSQL: the project-local
# cluster of scripts/db, one fresh database per test. ctest runs them as
#     env NCC_BIN=<build dir> NCC_ROOT=<source dir> bash tests/integration/test_X.sh <build dir>
# and by hand:  NCC_BIN=build NCC_ROOT=. bash tests/integration/test_X.sh
#
#   ncc_it_setup NAME            start the cluster, create database ncc_it_NAME_<run> and export
#                                PGHOST/PGPORT/PGUSER/PGDATABASE for it (NCC_IT_DB holds the name);
#                                <run> (NCC_IT_RUN) is this script's process id, so two runs of a
#                                test on one machine never share a database; the database is
#                                dropped at exit when every assertion passed (NCC_IT_KEEP=1 keeps it)
#   ncc_it_db NAME               create one more fresh database ${NCC_IT_DB}_NAME (same lifetime);
#                                its name is left in NCC_IT_NEWDB (call it directly, not in $(...))
#   ncc_it_sql "SQL"             print the result of psql -XAtq -v ON_ERROR_STOP=1 -c SQL
#                                (fails the script under set -e when the SQL fails)
#   ncc_it_sql_error "SQL"       run SQL expecting it to fail; print its error output
#                                (prints "NO ERROR" when it unexpectedly succeeded)
#   assert_eq EXPECTED ACTUAL MESSAGE
#   assert_match REGEX ACTUAL MESSAGE        (bash extended regex)
#   assert_status EXPECTED MESSAGE -- COMMAND...   run COMMAND, compare its exit status;
#                                its stdout and stderr are kept in $NCC_IT_OUT / $NCC_IT_ERR
#   ncc_it_on_exit "COMMAND"     run COMMAND when the script exits (cleanup), in order
#   ncc_it_finish                print "N passed, M failed" and exit 1 if any failed
set -euo pipefail

NCC_ROOT=${NCC_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
NCC_BIN=${NCC_BIN:-${1:-$NCC_ROOT/build}}
export NCC_ROOT NCC_BIN

ncc_it_passed=0
ncc_it_failed=0
NCC_IT_RUN=$$
ncc_it_dbs=()
ncc_it_cleanups=()
NCC_IT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ncc_it.XXXXXX")
NCC_IT_OUT=
NCC_IT_ERR=

ncc_it_on_exit() {
    ncc_it_cleanups+=("$1")
}

# A transaction the test holds open while the programs under test run against it:
#   ncc_it_hold NAME "SQL"   starts psql in the background on $PGDATABASE, runs BEGIN; SQL;
#                            and returns once it has (fails the test after 10 s);
#   ncc_it_release           commits it and waits for psql to end.
# One at a time; a fifo in $NCC_IT_TMP feeds psql, so nothing commits before release.
ncc_it_hold() {
    local fifo=$NCC_IT_TMP/hold_$1.fifo out=$NCC_IT_TMP/hold_$1.out i
    rm -f "$fifo"
    mkfifo "$fifo"
    psql -XAtq -v ON_ERROR_STOP=1 <"$fifo" >"$out" 2>&1 &
    ncc_it_holder=$!
    exec 7>"$fifo"
    echo "BEGIN; $2; SELECT 'held';" >&7
    for ((i = 0; i < 100; i++)); do [[ $(cat "$out") == held ]] && return 0; sleep 0.1; done
    ncc_it__fail "ncc_it_hold $1: the transaction did not start" "psql said: $(cat "$out")"
    return 1
}
ncc_it_release() {
    echo "COMMIT;" >&7
    exec 7>&-
    wait "$ncc_it_holder" || true
}

ncc_it_finished=
ncc_it__exit() {
    local status=$? c
    trap - ERR
    set +e
    if [[ -z $ncc_it_finished ]]; then
        echo "ABORT: the test ended early (status $status) after $ncc_it_passed passed, $ncc_it_failed failed"
        ((status != 0)) || status=1
    fi
    for c in "${ncc_it_cleanups[@]}"; do
        eval "$c" >/dev/null 2>&1
    done
    if ((ncc_it_failed == 0 && status == 0)) && [[ -z ${NCC_IT_KEEP:-} ]]; then
        for c in "${ncc_it_dbs[@]}"; do
            "$NCC_ROOT/scripts/db" dropdb "$c" >/dev/null 2>&1
        done
    elif ((${#ncc_it_dbs[@]})); then
        echo "kept for inspection: databases ${ncc_it_dbs[*]}"
    fi
    rm -rf "$NCC_IT_TMP"
    exit $status
}
trap ncc_it__exit EXIT
# Under set -e a failing command outside an assertion ends the test: say where.
trap 'echo "ABORT: ${BASH_SOURCE[0]##*/} line $LINENO: command failed: $BASH_COMMAND" >&2' ERR

ncc_it_setup() {
    local name=$1
    [[ $name =~ ^[a-z0-9_]+$ ]] || { echo "ncc_it_setup: name must be [a-z0-9_]+" >&2; return 1; }
    [[ -x $NCC_ROOT/scripts/db ]] || { echo "ncc_it_setup: $NCC_ROOT/scripts/db not found" >&2; return 1; }
    "$NCC_ROOT/scripts/db" start
    NCC_IT_DB=ncc_it_${name}_$NCC_IT_RUN
    "$NCC_ROOT/scripts/db" dropdb "$NCC_IT_DB"
    "$NCC_ROOT/scripts/db" createdb "$NCC_IT_DB"
    ncc_it_dbs+=("$NCC_IT_DB")
    eval "$("$NCC_ROOT/scripts/db" env)"
    export PGDATABASE=$NCC_IT_DB NCC_IT_DB NCC_IT_RUN
    unset PGSERVICE PGHOSTADDR PGPASSWORD PGOPTIONS || true
}

ncc_it_db() {
    local d=${NCC_IT_DB:?ncc_it_setup first}_$1
    [[ $1 =~ ^[a-z0-9_]+$ ]] || { echo "ncc_it_db: name must be [a-z0-9_]+" >&2; return 1; }
    "$NCC_ROOT/scripts/db" dropdb "$d"
    "$NCC_ROOT/scripts/db" createdb "$d"
    ncc_it_dbs+=("$d")
    NCC_IT_NEWDB=$d
}

ncc_it_sql() {
    psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
}

ncc_it_sql_error() {
    local out
    if out=$(psql -XAtq -v ON_ERROR_STOP=1 -c "$1" 2>&1); then
        echo "NO ERROR"
    else
        printf '%s\n' "$out"
    fi
}

ncc_it__pass() {
    ncc_it_passed=$((ncc_it_passed + 1))
    printf 'ok - %s\n' "$1"
}

ncc_it__fail() {
    ncc_it_failed=$((ncc_it_failed + 1))
    printf 'FAIL - %s\n' "$1"
    shift
    printf '       %s\n' "$@"
}

assert_eq() {
    local expected=$1 actual=$2 message=${3:-assert_eq}
    if [[ $expected == "$actual" ]]; then
        ncc_it__pass "$message"
    else
        ncc_it__fail "$message" "expected: '$expected'" "actual:   '$actual'"
    fi
}

assert_match() {
    local regex=$1 actual=$2 message=${3:-assert_match}
    if [[ $actual =~ $regex ]]; then
        ncc_it__pass "$message"
    else
        ncc_it__fail "$message" "expected to match: $regex" "actual: '$actual'"
    fi
}

assert_status() {
    local expected=$1 message=$2 status=0
    shift 2
    [[ ${1:-} == -- ]] && shift
    "$@" >"$NCC_IT_TMP/out" 2>"$NCC_IT_TMP/err" || status=$?
    NCC_IT_OUT=$(<"$NCC_IT_TMP/out")
    NCC_IT_ERR=$(<"$NCC_IT_TMP/err")
    if [[ $status == "$expected" ]]; then
        ncc_it__pass "$message"
    else
        ncc_it__fail "$message" "expected exit status $expected, got $status: $*" "stderr: $NCC_IT_ERR"
    fi
}

ncc_it_finish() {
    ncc_it_finished=1
    echo "$ncc_it_passed passed, $ncc_it_failed failed"
    if ((ncc_it_failed > 0)); then
        exit 1
    fi
    exit 0
}
