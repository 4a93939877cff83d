#!/usr/bin/env bash
# Smoke run of the libFuzzer targets: scripts/fuzz builds tests/fuzz with
# clang in $NCC_BIN/fuzz-build and runs each target for a few seconds
# (NCC_FUZZ_SMOKE_SECONDS, default 10) from its seed corpus, after replaying
# the recorded crashes of tests/data/fuzz-regressions. Any crash, sanitizer
# report or failed check fails the test. Without clang or libFuzzer (Debian
# packages clang and libclang-rt-14-dev) it passes with a message saying so.
. "$(dirname "$0")/lib.sh"
secs=${NCC_FUZZ_SMOKE_SECONDS:-10}

skip() {
    echo "SKIP: $*"
    finish
    exit $?
}

case "${LD_PRELOAD:-}" in
*vgpreload*) skip "running under Valgrind: the fuzz targets bring their own sanitizers" ;;
esac

why=$("$NCC_ROOT/scripts/fuzz" --check 2>&1)
rc=$?
if [ "$rc" -eq 3 ]; then
    skip "fuzzing is not possible on this machine: ${why#scripts/fuzz: cannot fuzz: }"
fi
check "scripts/fuzz --check" 0 "$rc"

start=$(date +%s)
"$NCC_ROOT/scripts/fuzz" -t "$secs" --build-dir "$NCC_BIN/fuzz-build" --scratch "$T_TMP/fuzz" \
    >"$T_TMP/fuzz.out" 2>&1
rc=$?
# the summary (and what went wrong) in the test's output
sed -n '/^== summary/,$p' "$T_TMP/fuzz.out"
if [ "$rc" -ne 0 ]; then
    grep -E 'crashed|still crashes|FUZZ CHECK|runtime error|ERROR: |reproduce:|failed' \
        "$T_TMP/fuzz.out" | head -40 >&2
fi
check "scripts/fuzz exit status" 0 "$rc"
# every target ran and executed inputs
for f in "$NCC_ROOT"/tests/fuzz/fuzz_*.c; do
    t=$(basename "$f" .c)
    execs=$(sed -n "s/^ *$t  *execs \([0-9]*\).*/\1/p" "$T_TMP/fuzz.out" | tail -1)
    ran=no
    [ "${execs:-0}" -gt 0 ] && ran=yes
    check "$t ran (execs: ${execs:-none})" "yes" "$ran"
done
echo "fuzz smoke run: $(( $(date +%s) - start ))s for ${secs}s per target"
finish
