#!/usr/bin/env bash
# ncc-ingest and ncc-normalise on their own: canonical COPY rows and MTFM
# aggregates agree with ncc-validate's report of the same files.
. "$(dirname "$0")/lib.sh"
B="$NCC_BIN"
D="$NCC_ROOT/fixtures/demo"

# ingest: one COPY line per valid row, in the schema's column order
for f in "$D"/cost_RAA_202324_APC.csv "$D"/nhssc_extract_2023_24.csv "$D"/cost_RCC_202324_APC.csv.gz; do
    n=$("$B/ncc-ingest" "$f" | wc -l)
    v=$("$B/ncc-validate" --json "$f" | jq -r '.files[0].rows_valid')
    check "ingest rows $(basename "$f")" "$v" "$n"
done
cols=$("$B/ncc-ingest" --kind cost --columns)
check "cost columns" "fin_year,org_code,feed,activity_id,currency_code,service_code,department_code,opcs_procedure,collection_resource,collection_activity,technology_id,activity_count,cost" "$cols"
fields=$("$B/ncc-ingest" "$D/cost_RAA_202324_APC.csv" | awk -F'\t' '{print NF}' | sort -u)
check "13 fields a row" "13" "$fields"
# a value holding a backslash, a tab and a lone \. is escaped for COPY text
printf 'invoice_date,invoice_no,line_no,customer_ods,npc,quantity,line_value_ex_vat,description\n2023-05-01,INV1,1,RAA,FWB101,1,10.00,"a\\b\tc"\n2023-05-01,INV1,2,RAA,FWB101,1,10.00,\\.\n' >"$T_TMP/esc.csv"
out=$("$B/ncc-ingest" "$T_TMP/esc.csv")
check_contains "backslash and tab escaped" 'a\\b\tc' "$out"
check_contains "lone \\. escaped" $'\t\\\\.\t' "$out"
# bad rows: exit 65, only valid rows written, errors on stderr and in --rejects
"$B/ncc-ingest" --rejects "$T_TMP/rej.csv" "$NCC_ROOT/tests/data/catalogue/e_negative.csv" >"$T_TMP/rows" 2>"$T_TMP/err"
check "ingest exit on bad row" "65" "$?"
check "valid rows still written" "2" "$(wc -l <"$T_TMP/rows")"
check_contains "rejects file" ",4,cost,E_NEGATIVE," "$(cat "$T_TMP/rej.csv")"
"$B/ncc-ingest" "$T_TMP/missing.csv" >/dev/null 2>&1
check "ingest missing input" "66" "$?"

# normalise: aggregates equal the validator's mtfm arrays
"$B/ncc-normalise" "$D"/cost_* | tail -n +2 | sort >"$T_TMP/norm"
"$B/ncc-validate" --json "$D"/cost_* | jq -r '.files[].mtfm[] | "\(.fin_year),\(.org_code),\(.technology_id),\(.units),\(.cost)"' | sort >"$T_TMP/val"
cut -d, -f1-3,5,6 "$T_TMP/norm" >"$T_TMP/norm5"
check "normalise equals validate" "$(cat "$T_TMP/val")" "$(cat "$T_TMP/norm5")"
check_contains "unattributed kept" "202324,RAA,UNATTRIBUTED,1,3,1500.0000" "$(cat "$T_TMP/norm")"
NCC_MTFM_CODE=NOTMTFM "$B/ncc-normalise" "$D/cost_RAA_202324_APC.csv" >"$T_TMP/none"
check "mtfm code from the environment" "1" "$(wc -l <"$T_TMP/none")"
"$B/ncc-normalise" --mtfm-code mtfm "$D/cost_RAA_202324_APC.csv" >"$T_TMP/lower"
check "mtfm code upper-cased" "4" "$(wc -l <"$T_TMP/lower")"
"$B/ncc-normalise" >/dev/null 2>&1
check "normalise usage" "64" "$?"

# a password is never accepted on the command line, and never echoed
for s in ncc-load ncc-nightly ncc-reconcile; do
    args=(--dbname "postgresql://u:s3cr3t@localhost/x")
    [ "$s" = ncc-load ] && args+=("$D/ledger_202324.csv")
    err=$("$B/$s" "${args[@]}" 2>&1 >/dev/null)
    check "$s refuses a password in --dbname" "64" "$?"
    check_absent "$s does not echo the password" "s3cr3t" "$err"
done
"$B/ncc-migrate" --dbname "host=/nonexistent password=s3cr3t" >/dev/null 2>"$T_TMP/mig.err"
check_absent "ncc-migrate does not echo the password" "s3cr3t" "$(cat "$T_TMP/mig.err")"

# every stage answers --help and --version with exit 0
for s in ncc-validate ncc-ingest ncc-normalise ncc-load ncc-reconcile ncc-nightly ncc-migrate; do
    "$B/$s" --help >/dev/null; check "$s --help" "0" "$?"
    v=$("$B/$s" --version); check_contains "$s --version" "$s " "$v"
done
finish
