#!/usr/bin/env bash
# Inputs the fuzzers found crashing (tests/data/fuzz-regressions, see its
# README.md) go through ncc-validate as any submission would: it must end
# with exit 0 (valid) or 65 (data errors), never crash, never 70 (internal
# error), never hang, and write a well-formed JSON report. A file NAME.absent
# next to an input lists strings (one a line) that must appear in no output:
# the report (text and JSON), the rejects CSV or stderr.
. "$(dirname "$0")/lib.sh"
DIR="$NCC_ROOT/tests/data/fuzz-regressions"
VALIDATE="$NCC_BIN/ncc-validate"
n=0
for f in "$DIR"/*; do
    [ -f "$f" ] || continue
    case "$f" in *.absent|*.md) continue ;; esac
    name=$(basename "$f")
    n=$((n + 1))
    for fmt in text json; do
        args=(--rejects "$T_TMP/rejects.csv")
        [ "$fmt" = json ] && args+=(--json)
        timeout 60 "$VALIDATE" "${args[@]}" "$f" >"$T_TMP/out" 2>"$T_TMP/err"
        rc=$?
        case "$rc" in
        0|65) pass ;;
        *) fail "$name ($fmt): ncc-validate exited $rc, expected 65 or 0:" \
               "$(head -c 400 "$T_TMP/err")" ;;
        esac
        if [ "$fmt" = json ]; then
            if jq -e '.files | length == 1' "$T_TMP/out" >/dev/null 2>&1; then
                pass
            else
                fail "$name: the JSON report is not well formed"
            fi
        fi
        if [ -f "$f.absent" ]; then
            all=$(cat "$T_TMP/out" "$T_TMP/err" "$T_TMP/rejects.csv" 2>/dev/null)
            while IFS= read -r s; do
                [ -n "$s" ] && check_absent "$name ($fmt) never shows [$s]" "$s" "$all"
            done <"$f.absent"
        fi
    done
done
check "regression inputs found" "yes" "$([ "$n" -gt 0 ] && echo yes || echo no)"
finish
