#!/usr/bin/env bash
# The bad-input catalogue: every contract code produced by a file of
# tests/data/catalogue, with the exact code, line and column, the file's
# status, the exit status, and the row accounting; the rejects CSV agrees.
. "$(dirname "$0")/lib.sh"
DATA="$NCC_ROOT/tests/data/catalogue"
VALIDATE="$NCC_BIN/ncc-validate"

while IFS='|' read -r file extra exit_expected status code line column rread rvalid rrej; do
    [ -z "$file" ] && continue
    case "$file" in \#*) continue ;; esac
    if [ "$file" = DIR ]; then path="$DATA"; else path="$DATA/$file"; fi
    args=()
    others=()
    for a in $extra; do
        case "$a" in --*) args+=("$a") ;; *.csv|*.gz) others+=("$DATA/$a") ;; *) args+=("$a") ;; esac
    done
    name="$file${extra:+ [$extra]}"
    out="$T_TMP/out.json"
    rej="$T_TMP/rejects.csv"
    "$VALIDATE" --json --rejects "$rej" "${args[@]}" "$path" "${others[@]}" >"$out" 2>"$T_TMP/err"
    rc=$?
    check "$name exit" "$exit_expected" "$rc"
    f0='.files[0]'
    check "$name status" "$status" "$(jq -r "$f0.status" "$out")"
    for k in rows_read:$rread rows_valid:$rvalid rows_rejected:$rrej; do
        want=${k#*:}
        [ "$want" = "*" ] && continue
        check "$name ${k%%:*}" "$want" "$(jq -r "$f0.${k%%:*}" "$out")"
    done
    check "$name accounting" "true" "$(jq -r "$f0 | .rows_read == .rows_valid + .rows_rejected" "$out")"
    if [ "$code" != "-" ]; then
        found=$(jq -r --arg c "$code" "[$f0.file_errors[], $f0.errors[], $f0.warnings[]] | map(select(.code == \$c)) | .[0] | if . == null then \"missing\" else \"\(.line // \"\")|\(.column // \"\")\" end" "$out")
        [ "$line" = "*" ] && found="*|${found#*|}"
        check "$name $code line|column" "$line|$column" "$found"
        case "$code" in
        W_*) check "$name warning counted" "true" "$(jq -r --arg c "$code" "$f0.warnings_by_code[\$c] >= 1" "$out")" ;;
        *) check "$name error counted" "true" "$(jq -r --arg c "$code" "$f0.errors_by_code[\$c] >= 1" "$out")"
           [ "$line" = "*" ] || check_contains "$name rejects csv" ",$line,$column,$code," "$(cat "$rej")" ;;
        esac
    else
        check "$name no errors" "0" "$(jq -r "[$f0.file_errors[], $f0.errors[]] | length" "$out")"
    fi
    # every message says something: no empty messages
    check "$name messages" "0" "$(jq -r "[$f0.file_errors[], $f0.errors[], $f0.warnings[]] | map(select((.message | length) < 15)) | length" "$out")"
done <"$NCC_ROOT/tests/data/catalogue.psv"

# F_ENCODING names the byte offset
"$VALIDATE" --json "$DATA/f_encoding_mixed.csv" >"$T_TMP/o.json" 2>/dev/null
check_contains "encoding offset" "offset" "$(jq -r '.files[0].file_errors[0].message' "$T_TMP/o.json")"

# an NHS number never appears in any output, whatever the format asked
for fmt in "" "--json"; do
    "$VALIDATE" $fmt --rejects "$T_TMP/pii.csv" "$DATA/e_pii_value.csv" "$DATA/f_pii_column.csv" \
        "$DATA/qart_e_pii_value.csv" >"$T_TMP/pii.out" 2>"$T_TMP/pii.err"
    all=$(cat "$T_TMP/pii.out" "$T_TMP/pii.err" "$T_TMP/pii.csv")
    check_absent "pii never echoed ($fmt)" "9434765919" "$all"
    check_absent "pii never echoed, spaced ($fmt)" "943 476 5919" "$all"
done

# the Windows-1252 file's encoding is named and the fallback counted once
"$VALIDATE" --json "$DATA/ok_windows1252.csv" >"$T_TMP/w.json"
check "windows-1252 encoding" "WINDOWS-1252" "$(jq -r '.files[0].encoding' "$T_TMP/w.json")"
check "fallback once" "1" "$(jq -r '.files[0].warnings_by_code.W_ENCODING_FALLBACK' "$T_TMP/w.json")"

# money totals are exact strings with 4 decimals
"$VALIDATE" --json "$DATA/ok_aliases_reordered_crlf_bom.csv" >"$T_TMP/a.json"
check "exact total" "1244.5000" "$(jq -r '.files[0].totals[0].cost' "$T_TMP/a.json")"
check "org upper-cased" "RAA" "$(jq -r '.files[0].totals[0].org_code' "$T_TMP/a.json")"
check "unknown column warned once" "1" "$(jq -r '.files[0].warnings_by_code.W_UNKNOWN_COLUMN' "$T_TMP/a.json")"

# QART (contract 2.5): kind from the header, totals and mtfm empty, a contradicting stage
# names both stages, the aliases file binds every column
"$VALIDATE" --json "$DATA/qart_ok_aliases.csv" >"$T_TMP/q.json"
check "qart kind" "qart" "$(jq -r '.files[0].kind' "$T_TMP/q.json")"
check "qart totals and mtfm empty" "0 0" "$(jq -r '.files[0] | "\(.totals | length) \(.mtfm | length)"' "$T_TMP/q.json")"
check "qart aliases: no unknown column" "null" "$(jq -r '.files[0].warnings_by_code.W_UNKNOWN_COLUMN' "$T_TMP/q.json")"
"$VALIDATE" --json "$DATA/qart_e_code_stage_contradicts.csv" >"$T_TMP/q.json"
check_contains "qart contradiction names both stages" "stage 4 is Implementation, not Adoption" \
    "$(jq -r '.files[0].errors[0].message' "$T_TMP/q.json")"
"$VALIDATE" --json "$DATA/qart_e_duplicate_key.csv" >"$T_TMP/q.json"
check_contains "qart key compares Q1 = 1 and codes upper-cased" 'quarter="1", provider_ods="RAA01"' \
    "$(jq -r '.files[0].errors[0].message' "$T_TMP/q.json")"

finish
