#!/usr/bin/env bash
# Patient identifiers never leave the process: a night whose files are full of
# NHS-number-like values (valid mod 11, written three ways) goes through the
# real ncc-nightly; not one of the values may appear in stdout, stderr, the
# errors files, the JSON run report, or anywhere in the warehouse (pg_dump).
. "$(dirname "$0")/lib.sh"
ncc_it_setup pii
B="$NCC_BIN"
T=$(mktemp -d)
ncc_it_on_exit "rm -rf '$T'"
mkdir -p "$T/inbox"

# valid NHS numbers (mod-11 check digit right): generated, not real people
nhs_numbers() {
    local n=0 base
    for base in 943476591 401023213 123456789 987654321 555555555 111222333 404040404 \
                212121212 300000001 700700700 812345678 900000009; do
        local sum=0 i d
        for i in 0 1 2 3 4 5 6 7 8; do d=${base:$i:1}; sum=$((sum + d * (10 - i))); done
        local check=$(( (11 - sum % 11) % 11 ))
        [ "$check" -eq 10 ] && continue
        echo "$base$check"
        n=$((n + 1))
    done
}
mapfile -t NUMS < <(nhs_numbers)
assert_eq "true" "$([ "${#NUMS[@]}" -ge 8 ] && echo true)" "enough generated NHS numbers"

H="fin_year,org_code,feed,activity_id,currency_code,collection_resource,collection_activity,activity_count,cost"
{
    echo "$H"
    i=0
    for n in "${NUMS[@]}"; do
        i=$((i + 1))
        echo "202324,RAA,APC,$n,LB09C,STAFF,WARD,1,10.00"                        # plain
        echo "202324,RAA,APC,${n:0:3} ${n:3:3} ${n:6:4},LB09C,STAFF,WARD,1,10.00"  # spaced
        echo "202324,RAA,APC,${n:0:3}-${n:3:3}-${n:6:4},LB09C,STAFF,WARD,1,10.00"  # hyphens
        echo "202324,RAA,APC,OK$i,LB09C,STAFF$n,WARD,1,10.00"                      # in a code
    done
} >"$T/inbox/cost_pii.csv"
{
    echo "invoice_date,invoice_no,line_no,customer_ods,npc,quantity,line_value_ex_vat,description"
    i=0
    for n in "${NUMS[@]}"; do
        i=$((i + 1))
        echo "2023-05-01,INV$i,1,RAA,FWB101,1,10.00,patient $n seen"
        echo "2023-05-01,INV$i,2,RAA,FWB101,1,10.00,$n"
    done
} >"$T/inbox/nhssc_pii.csv"
echo "$H,NHS Number" >"$T/inbox/cost_pii_column.csv"
echo "202324,RAA,APC,X1,LB09C,STAFF,WARD,1,10.00,${NUMS[0]}" >>"$T/inbox/cost_pii_column.csv"

mkdir -p "$T/inbox.bak"
cp "$T/inbox/"* "$T/inbox.bak/"
for mode in text json; do
    j=
    [ "$mode" = json ] && j=--json
    cp "$T/inbox.bak/"* "$T/inbox/"
    rc=0
    "$B/ncc-nightly" $j -v --inbox "$T/inbox" --archive "$T/archive" --quarantine "$T/q" \
        --min-age 0 >"$T/out.$mode" 2>"$T/err.$mode" || rc=$?
    assert_eq "65" "$rc" "nightly ($mode) quarantines the files"
done
"$B/ncc-validate" --json --rejects "$T/rejects.csv" "$T/inbox.bak/"* >"$T/validate.json" 2>"$T/validate.err" || true
"$B/ncc-validate" "$T/inbox.bak/"* >"$T/validate.txt" 2>&1 || true
pg_dump --data-only -d "$PGDATABASE" >"$T/dump.sql"
assert_eq "true" "$([ -s "$T/dump.sql" ] && echo true)" "the dump is not empty"
assert_eq "true" "$(grep -q E_PII_VALUE "$T/dump.sql" && echo true)" "the errors were recorded"

outputs=("$T"/out.* "$T"/err.* "$T"/q/*.errors.csv "$T/validate.json" "$T/validate.txt" \
         "$T/validate.err" "$T/rejects.csv" "$T/dump.sql")
for n in "${NUMS[@]}"; do
    for form in "$n" "${n:0:3} ${n:3:3} ${n:6:4}" "${n:0:3}-${n:3:3}-${n:6:4}"; do
        hits=$(grep -lF -- "$form" "${outputs[@]}" 2>/dev/null | tr '\n' ' ' || true)
        assert_eq "" "$hits" "never written: ${form:0:3}..."
    done
done
ncc_it_finish
