#!/usr/bin/env bash
# tests/integration/test_adoption.sh - MTFM adoption monitoring (DATA-CONTRACT.md §2.5, §5.5-5.7)
# on the files of tests/data/adoption/ (see its README for what each case is):
#   1. ncc-nightly loads the QART, NHSSC and supplier files and refreshes the adoption marts;
#      mart.adoption_triangulation, mart.stalled_adoption and mart.mtfm_dashboard equal the
#      hand-computed expected_*.csv;
#   2. an independent computation (tests/data/adoption/independent.sql: recursive walk for the
#      stalled list, raw columns for the sides) equals each mart row for row, EXCEPT both ways;
#   3. the named cases: every signal, the stalled runs and the near misses, several sites of a
#      trust, aliases, quarters of invoice dates and supplier periods;
#   4. ncc-reconcile --triangulation on stdout and -o FILE, --no-store rolled back, exit statuses;
#   5. a re-sent return (the network's name in other case and spaces) loaded with ncc-load
#      replaces the network's rows for that quarter; ncc-reconcile refreshes the marts;
#   6. row-level security: a trust role reads its own triangulation rows and stalled pairs and
#      not the dashboard; an analyst reads all three; the loader refreshes;
#   7. every table, view and column of the adoption marts has a comment.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nightly=$NCC_BIN/ncc-nightly
load=$NCC_BIN/ncc-load
rec=$NCC_BIN/ncc-reconcile
for x in "$nightly" "$load" "$rec"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
data=$NCC_ROOT/tests/data/adoption
T=$NCC_IT_TMP

ncc_it_setup adoption
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_RECONCILE_TOLERANCE NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

q() { ncc_it_sql "$1"; }
# a mart as CSV with its header, in the order the expected file is written in
TRI_SQL='SELECT * FROM mart.adoption_triangulation
         ORDER BY fin_year, quarter, org_code COLLATE "C", technology_id COLLATE "C"'
STALLED_SQL='SELECT * FROM mart.stalled_adoption ORDER BY org_code COLLATE "C", technology_id COLLATE "C"'
DASH_SQL='SELECT * FROM mart.mtfm_dashboard ORDER BY fin_year, quarter, technology_id COLLATE "C"'
mart_csv() { psql -X -q --csv -v ON_ERROR_STOP=1 -c "$1"; }
tri_row() { # fy quarter org tech: the triangulation row as CSV, empty when none
    psql -X -q -At --csv -v ON_ERROR_STOP=1 -c "SELECT * FROM mart.adoption_triangulation
        WHERE fin_year = '$1' AND quarter = $2 AND org_code = '$3' AND technology_id = '$4'"
}
stalled_row() { # org tech
    psql -X -q -At --csv -v ON_ERROR_STOP=1 -c "SELECT * FROM mart.stalled_adoption
        WHERE org_code = '$1' AND technology_id = '$2'"
}
dash_row() { # fy quarter tech
    psql -X -q -At --csv -v ON_ERROR_STOP=1 -c "SELECT * FROM mart.mtfm_dashboard
        WHERE fin_year = '$1' AND quarter = $2 AND technology_id = '$3'"
}

# independent.sql's view against the mart: EXCEPT both ways and the row counts
check_independent() { # label
    local label=$1 m v out
    for m in adoption_triangulation:indep_triangulation stalled_adoption:indep_stalled \
             mtfm_dashboard:indep_dashboard; do
        v=${m#*:}
        m=${m%%:*}
        out=$(psql -XAtq -v ON_ERROR_STOP=1 -f "$data/independent.sql" -c "
            SELECT (SELECT count(*) FROM ((SELECT * FROM $v) EXCEPT (SELECT * FROM mart.$m)) x)
                   || ' ' ||
                   (SELECT count(*) FROM ((SELECT * FROM mart.$m) EXCEPT (SELECT * FROM $v)) x)
                   || ' ' || (SELECT count(*) FROM $v) || ' ' || (SELECT count(*) FROM mart.$m)")
        assert_match '^0 0 ([1-9][0-9]*) \1$' "$out" \
            "$label: mart.$m equals the independent $v row for row (independent EXCEPT mart, mart EXCEPT independent, counts: $out)"
    done
}

# =============================================================================================
# 1. ncc-nightly loads the files and refreshes the marts
# =============================================================================================

in=$T/inbox ar=$T/archive qu=$T/quarantine
mkdir -p "$in" "$ar" "$qu"
cp "$data"/qart_*.csv "$data"/nhssc_adoption.csv "$data"/supplier_adoption.csv "$in/"
assert_status 0 "ncc-nightly loads the adoption files" -- \
    "$nightly" --min-age 0 --inbox "$in" --archive "$ar" --quarantine "$qu"
assert_eq "8 loaded" "$(q "SELECT count(*) || ' ' || string_agg(DISTINCT status, ',') FROM audit.file_load")" \
    "all 8 files are loaded (none quarantined)"
assert_eq "6 qart" "$(q "SELECT count(*) || ' ' || string_agg(DISTINCT kind, ',') FROM audit.file_load
                         WHERE file_name LIKE '%qart_%'")" "the six QART returns are loaded as kind qart"
assert_eq "61" "$(q "SELECT count(*) FROM core.qart_return")" "core.qart_return holds the 61 QART rows"

for m in triangulation:TRI_SQL stalled:STALLED_SQL dashboard:DASH_SQL; do
    f=expected_${m%%:*}.csv
    sqlvar=${m#*:}
    assert_eq "$(cat "$data/$f")" "$(mart_csv "${!sqlvar}")" \
        "after the nightly run the mart equals tests/data/adoption/$f"
done

# =============================================================================================
# 2. The independent computation
# =============================================================================================

check_independent "after the nightly run"

# =============================================================================================
# 3. The named cases
# =============================================================================================

for s in CONSISTENT_ADOPTION ADOPTION_WITHOUT_PURCHASES IMPLEMENTING PURCHASES_WITHOUT_ADOPTION NOT_ADOPTED; do
    n=$(q "SELECT count(*) FROM mart.adoption_triangulation WHERE signal = '$s'")
    assert_match '^[1-9][0-9]*$' "$n" "signal $s occurs (found $n)"
done
assert_eq "202324,2,RAA,MTG58,5,14,0,4,0,0,ADOPTION_WITHOUT_PURCHASES" "$(tri_row 202324 2 RAA MTG58)" \
    "a credit netting the quarter's NHSSC units to 0 at stage 5: ADOPTION_WITHOUT_PURCHASES (supplier's NHSSC figure shown, not added)"
assert_eq "202324,2,RBB,MTG58,,,0,5,0,0,NOT_ADOPTED" "$(tri_row 202324 2 RBB MTG58)" \
    "only the suppliers' NHSSC-route figure and no QART row: a row with empty stage, NOT_ADOPTED"
assert_eq "202324,2,RDD,MTG58,,,4,0,0,4,PURCHASES_WITHOUT_ADOPTION" "$(tri_row 202324 2 RDD MTG58)" \
    "purchases and no QART row: PURCHASES_WITHOUT_ADOPTION with an empty stage"
assert_eq "" "$(tri_row 202324 2 RDD MTG74)" "direct sales netting to zero with no QART row give no row"

# several sites of one trust
assert_eq "3 5 18" "$(q "SELECT sites || ' ' || stage || ' ' || patients FROM mart.qart_trust_quarter
                        WHERE org_code = 'RAA' AND fin_year = '202324' AND quarter = 3 AND technology_id = 'MTG58'")" \
    "RAA's three sites at stages 5, 4 and 5 with patients 15, empty and 3: trust stage 5, patients 18"
assert_eq "202324,1,RAA,MTG58,5,12,11,11,0,11,CONSISTENT_ADOPTION" "$(tri_row 202324 1 RAA MTG58)" \
    "RAA sites at 5, 4, 3: highest wins; patients 12 (the sites with empty patients add nothing)"
assert_eq "202324,3,RCC,MTG58,4,,0,0,0,0,IMPLEMENTING" "$(tri_row 202324 3 RCC MTG58)" \
    "RCC's sites at 4 and 3, no patients given: stage 4, patients empty"
assert_eq "RAA,RBB,RCC,RDD" "$(q "SELECT string_agg(DISTINCT org_code, ',' ORDER BY org_code) FROM core.qart_return
                              WHERE provider_ods <> org_code")" \
    "site codes RAA01.., RBB01, RCC01.., RDD01 map to their trusts"
# aliases
assert_eq "0 6" "$(q "SELECT count(*) FILTER (WHERE technology_id = 'MTG29') || ' ' ||
                         count(*) FILTER (WHERE technology_id = 'MTG74' AND org_code = 'REE') FROM core.qart_return")" \
    "QART rows sent as MTG29 are stored as MTG74"
assert_eq "202324,3,REE,MTG74,1,,2,2,0,2,PURCHASES_WITHOUT_ADOPTION" "$(tri_row 202324 3 REE MTG74)" \
    "the supplier's MTG29 NHSSC-route units count for MTG74"
# quarters of dates and periods
assert_eq "202324,1,RAA,MTG58|202324,2,RAA,MTG58|202324,4,RAA,MTG58|202425,1,RAA,MTG58" \
    "$(q "SELECT string_agg(concat_ws(',', fin_year, mart.quarter_of_date(invoice_date), org_code, technology_id), '|'
                            ORDER BY invoice_date)
          FROM core.nhssc_sales_line WHERE invoice_date IN ('2023-06-30', '2023-07-01', '2024-03-31', '2024-04-01')")" \
    "invoice dates 30 June, 1 July, 31 March, 1 April fall in Q1, Q2, Q4 and the next year's Q1"
assert_eq "202324,4,RBB,MTG76,5,15,0,0,15,15,CONSISTENT_ADOPTION" "$(tri_row 202324 4 RBB MTG76)" \
    "supplier periods 2024-01 and 2024-03 are Q4 of 202324"
assert_eq "202425,1,RBB,MTG76,5,20,0,0,0,0,ADOPTION_WITHOUT_PURCHASES" "$(tri_row 202425 1 RBB MTG76)" \
    "a return in 2024-06 cancels the sale of 2024-05: Q1 of 202425 has no supply"

# stalled runs and near misses
assert_eq "RCC,MTG32,3,202324,2,202324,4,3,1" "$(stalled_row RCC MTG32)" \
    "stalled at stage 3 for exactly 3 quarters (after a quarter at stage 2)"
assert_eq "RDD,MTG34,3,202324,4,202425,2,3,30" "$(stalled_row RDD MTG34)" \
    "stalled at stage 3 across Q4 -> Q1 (a site code in one quarter); supply summed over the run"
assert_eq "RCC,MTG58,4,202324,3,202425,2,4,2" "$(stalled_row RCC MTG58)" \
    "stalled at stage 4 across the year while one of the trust's sites moves"
assert_eq "" "$(stalled_row REE MTG58)" "near miss: a run of two quarters is not listed"
assert_eq "" "$(stalled_row RBB MTG32)" "near miss: three quarters at stage 3 with a gap are not listed"
assert_eq "" "$(stalled_row RAA MTG32)" "near miss: four quarters at stage 3 broken by a stage 4 are not listed"
assert_eq "" "$(stalled_row RAA MTG58)$(stalled_row RBB MTG76)" "near miss: a run at stage 5 is not listed"

# the dashboard
assert_eq "202324,4,MTG58,1,0,0,0,1,1,1,22,7,,12089636.0000" "$(dash_row 202324 4 MTG58)" \
    "dashboard: trusts per stage, patients, supply, no saving, the group's resource impact"
assert_eq "202324,3,MTG76,0,0,0,0,0,1,1,10,10,24500.0000," "$(dash_row 202324 3 MTG76)" \
    "dashboard: AposHealth 10 patients x 2450 = 24500, no published resource impact"
assert_eq "202324,1,MTG76,0,0,0,0,1,0,0,0,0,0.0000," "$(dash_row 202324 1 MTG76)" \
    "dashboard: no patients gives 0 patients and a saving of 0"
assert_eq "202324,2,MTG58,0,0,1,0,0,1,1,14,4,,12089636.0000" "$(dash_row 202324 2 MTG58)" \
    "dashboard: supply units count the trusts without a QART row (RDD's 4)"

# =============================================================================================
# 4. ncc-reconcile --triangulation
# =============================================================================================

"$rec" --triangulation >"$T/tri_stdout.csv"
assert_eq "$(md5sum <"$data/expected_triangulation.csv")" "$(md5sum <"$T/tri_stdout.csv")" \
    "ncc-reconcile --triangulation writes the expected CSV on stdout, byte for byte"
assert_status 0 "--triangulation -o FILE succeeds" -- "$rec" --triangulation -o "$T/tri_o.csv"
assert_eq "" "$NCC_IT_OUT" "--triangulation -o FILE: nothing on stdout"
assert_eq "$(md5sum <"$data/expected_triangulation.csv")" "$(md5sum <"$T/tri_o.csv")" \
    "--triangulation -o FILE writes the expected CSV"

snapshot() {
    q "SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
           SELECT 't' || t::text AS x FROM mart.adoption_triangulation t
           UNION ALL SELECT 's' || s::text FROM mart.stalled_adoption s
           UNION ALL SELECT 'd' || d::text FROM mart.mtfm_dashboard d) u"
}
before=$(snapshot)
q "CREATE TABLE public.qart_kept AS SELECT * FROM core.qart_return WHERE org_code = 'REE' AND technology_id = 'MTG58';
   DELETE FROM core.qart_return WHERE org_code = 'REE' AND technology_id = 'MTG58'"
assert_status 0 "--triangulation --no-store succeeds" -- "$rec" --triangulation --no-store
assert_eq "$(grep -v ',REE,MTG58,' "$data/expected_triangulation.csv")" "$NCC_IT_OUT" \
    "--no-store prints the recomputed rows (REE's MTG58 QART rows deleted: its three rows gone)"
assert_eq "$before" "$(snapshot)" "--no-store leaves the three marts as they were (rolled back)"
q "INSERT INTO core.qart_return SELECT * FROM public.qart_kept; DROP TABLE public.qart_kept"

assert_status 74 "-o into a missing directory is an output error" -- \
    "$rec" --triangulation --no-store -o "$T/no/such/dir.csv"
assert_status 69 "an unreachable server exits 69" -- "$rec" --triangulation --dbname "host=/nonexistent port=1"
assert_status 64 "an extra argument exits 64" -- "$rec" --triangulation extra
assert_status 0 "--help" -- "$rec" --help
assert_match '--triangulation' "$NCC_IT_OUT" "--help describes --triangulation"

# =============================================================================================
# 5. A re-sent return replaces the network's rows for the quarter
# =============================================================================================

assert_status 0 "ncc-load loads the re-sent East return for 202425 Q2" -- "$load" "$data/resend/qart_east_202425_Q2.csv"
assert_eq "RCC01 MTG58 4|REE MTG58 1|REE MTG74 4" \
    "$(q "SELECT string_agg(provider_ods || ' ' || technology_id || ' ' || stage, '|' ORDER BY provider_ods, technology_id)
          FROM core.qart_return WHERE fin_year = '202425' AND quarter = 2 AND hin_key = 'HEALTH INNOVATION EAST'")" \
    "the network's 202425 Q2 rows are those of the re-sent file (RCC02 dropped, REE MTG74 now stage 4)"
assert_eq "4" "$(q "SELECT count(*) FROM core.qart_return WHERE fin_year = '202425' AND quarter = 1
                    AND hin_key = 'HEALTH INNOVATION EAST'")" "its 202425 Q1 rows are untouched"
assert_eq "$(cat "$data/expected_triangulation.csv")" "$(mart_csv "$TRI_SQL")" \
    "the marts are unchanged until the reconciliation runs"
assert_status 0 "ncc-reconcile (the reconciliation) refreshes the adoption marts too" -- "$rec"
sed 's/^202425,2,REE,MTG74,1,,0,0,0,0,NOT_ADOPTED$/202425,2,REE,MTG74,4,,0,0,0,0,IMPLEMENTING/' \
    "$data/expected_triangulation.csv" >"$T/tri_resent.csv"
assert_eq "$(cat "$T/tri_resent.csv")" "$(mart_csv "$TRI_SQL")" \
    "after the re-sent return: the triangulation differs only in REE MTG74 202425 Q2 (now IMPLEMENTING)"
assert_eq "$(grep -v '^REE,MTG74,' "$data/expected_stalled.csv")" "$(mart_csv "$STALLED_SQL")" \
    "after the re-sent return: REE MTG74 is no longer stalled"
assert_eq "202425,2,MTG74,0,0,0,0,1,0,0,0,0,,12089636.0000" "$(dash_row 202425 2 MTG74)" \
    "after the re-sent return: the dashboard counts REE at stage 4"
assert_eq "202425,2,MTG58,0,1,0,0,1,1,1,29,6,,12089636.0000" "$(dash_row 202425 2 MTG58)" \
    "after the re-sent return: RCC is still at stage 4 through RCC01"
assert_status 0 "--triangulation after the re-sent return" -- "$rec" --triangulation
assert_eq "$(cat "$T/tri_resent.csv")" "$NCC_IT_OUT" "--triangulation shows the re-sent figures"
check_independent "after the re-sent return"

# =============================================================================================
# 6. Row-level security
# =============================================================================================

p=ncc_it_adoption_$$_ # roles are cluster-wide
trust=${p}trust_rcc analyst=${p}analyst loader=${p}loader
drop_roles() {
    psql -XAtq -c "DELETE FROM ref.trust_role WHERE role_name = '$trust'" || true
    PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $trust" \
        -c "DROP ROLE IF EXISTS $analyst" -c "DROP ROLE IF EXISTS $loader"
}
drop_roles >/dev/null 2>&1
ncc_it_on_exit "drop_roles"
q "CREATE ROLE $trust LOGIN IN ROLE ncc_trust; CREATE ROLE $analyst LOGIN IN ROLE ncc_analyst;
   CREATE ROLE $loader LOGIN IN ROLE ncc_loader;
   INSERT INTO ref.trust_role (role_name, org_code) VALUES ('$trust', 'RCC')"
as_role() { q "SET ROLE $1; $2"; }                  # a read that must succeed
as_denied() { ncc_it_sql_error "SET ROLE $1; $2"; } # its error output ("NO ERROR" if none)

rcc_tri=$(q "SELECT count(*) FROM mart.adoption_triangulation WHERE org_code = 'RCC'")
assert_eq "$rcc_tri RCC" "$(as_role "$trust" "SELECT count(*) || ' ' || string_agg(DISTINCT org_code, ',') FROM mart.adoption_triangulation")" \
    "the RCC trust role reads exactly RCC's $rcc_tri triangulation rows"
assert_eq "MTG32,MTG58" "$(as_role "$trust" "SELECT string_agg(technology_id, ',' ORDER BY technology_id) FROM mart.stalled_adoption")" \
    "the RCC trust role reads only RCC's stalled pairs"
assert_eq "RCC" "$(as_role "$trust" "SELECT string_agg(DISTINCT org_code, ',') FROM core.qart_return")" \
    "the RCC trust role reads only RCC's QART rows"
assert_match 'permission denied' "$(as_denied "$trust" "SELECT count(*) FROM mart.mtfm_dashboard")" \
    "the trust role cannot read the national dashboard"
assert_match 'permission denied' "$(as_denied "$trust" "SELECT count(*) FROM mart.qart_trust_quarter")" \
    "the trust role cannot read every trust's stages through mart.qart_trust_quarter"
assert_match 'permission denied' "$(as_denied "$trust" "SELECT mart.refresh_adoption()")" \
    "the trust role cannot refresh the marts"
for m in adoption_triangulation stalled_adoption mtfm_dashboard qart_trust_quarter; do
    assert_eq "$(q "SELECT count(*) FROM mart.$m")" "$(as_role "$analyst" "SELECT count(*) FROM mart.$m")" \
        "the analyst reads every row of mart.$m"
done
assert_match 'permission denied' "$(as_denied "$analyst" "SELECT count(*) FROM core.qart_return")" \
    "the analyst cannot read core.qart_return"
assert_match 'permission denied' "$(as_denied "$analyst" "SELECT mart.refresh_adoption()")" \
    "the analyst cannot refresh the marts"
assert_eq "$(q "SELECT count(*) FROM mart.adoption_triangulation")" "$(as_role "$loader" "SELECT mart.refresh_adoption()")" \
    "the loader refreshes the marts (mart.refresh_adoption returns the triangulation rows)"
assert_eq "$(cat "$T/tri_resent.csv")" "$(mart_csv "$TRI_SQL")" "the loader's refresh gives the same rows"

# =============================================================================================
# 7. Comments
# =============================================================================================

assert_eq "" "$(q "SELECT string_agg(c.relname || '.' || a.attname, ' ')
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'mart'
                   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   WHERE c.relname IN ('adoption_triangulation', 'stalled_adoption', 'mtfm_dashboard', 'qart_trust_quarter')
                     AND col_description(c.oid, a.attnum) IS NULL")" \
    "every column of the adoption marts has a comment"
assert_eq "4" "$(q "SELECT count(obj_description(c.oid, 'pg_class')) FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'mart'
                    WHERE c.relname IN ('adoption_triangulation', 'stalled_adoption', 'mtfm_dashboard', 'qart_trust_quarter')")" \
    "the three marts and the trust-quarter view have a comment"
assert_eq "$(head -1 "$data/expected_triangulation.csv")" \
    "$(q "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
          WHERE attrelid = 'mart.adoption_triangulation'::regclass AND attnum > 0")" \
    "mart.adoption_triangulation has exactly the columns of §5.5, in order"
assert_eq "$(head -1 "$data/expected_stalled.csv")" \
    "$(q "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
          WHERE attrelid = 'mart.stalled_adoption'::regclass AND attnum > 0")" \
    "mart.stalled_adoption has exactly the columns of §5.6, in order"
assert_eq "$(head -1 "$data/expected_dashboard.csv")" \
    "$(q "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
          WHERE attrelid = 'mart.mtfm_dashboard'::regclass AND attnum > 0")" \
    "mart.mtfm_dashboard has exactly the columns of §5.7, in order"

ncc_it_finish
