# Shared helpers of the command-line tests: assertions and the closing line.
# Sourced by tests/cli/test_*.sh; NCC_BIN and NCC_ROOT come from ctest.
set -uo pipefail
: "${NCC_BIN:?NCC_BIN must point at the build directory}"
: "${NCC_ROOT:?NCC_ROOT must point at the source directory}"
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d)
trap 'rm -rf "$T_TMP"' EXIT

pass() { T_PASS=$((T_PASS + 1)); }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" == "$3" ]; then pass; else fail "$1: expected [$2], got [$3]"; fi
}

# check_contains NAME NEEDLE HAYSTACK
check_contains() {
    case "$3" in *"$2"*) pass ;; *) fail "$1: [$2] not found in: ${3:0:400}" ;; esac
}

check_absent() {
    case "$3" in *"$2"*) fail "$1: [$2] must not appear" ;; *) pass ;; esac
}

finish() {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}
