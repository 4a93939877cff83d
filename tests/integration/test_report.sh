#!/usr/bin/env bash
# tests/integration/test_report.sh - ncc-report on the demo warehouse (issue 9, docs/report.md):
#   1. the demo fixtures loaded and reconciled, the report is written quietly (-o and stdout);
#   2. it is self-contained: no URL, script, external resource or link out of the page;
#   3. it is accessible: lang, title, headings in order, every <svg> role="img" with <title>
#      and <desc>, every table with a <caption> and scoped header cells, every mark titled;
#   4. the benchmark chart has one mark per mart.mtfm_benchmark row, the matrix one cell per
#      mart.reconciliation row with its status text, and the values shown equal the SQL's;
#   5. adoption and data quality show every mart.adoption and audit.file_load row; the MTFM
#      dashboard one stacked bar per technology and quarter (a segment per stage), one table
#      row per mart.mtfm_dashboard row with its values, the summary and the stalled list;
#   6. --fin-year, values from the database are escaped, exit statuses;
#   7. headless Chromium renders it (the page loads, the DOM has the marks, no console
#      message) and takes a screenshot, kept under the build directory (path printed).
#      Skipped, saying so, only when /usr/bin/chromium is absent (Debian package chromium).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

load=$NCC_BIN/ncc-load
rec=$NCC_BIN/ncc-reconcile
rep=$NCC_BIN/ncc-report
for x in "$load" "$rec" "$rep"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
demo=$NCC_ROOT/fixtures/demo
T=$NCC_IT_TMP
# the report and its screenshot outlive the test: under the build directory
OUT=$NCC_BIN/test-output/report
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)

ncc_it_setup report
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_RECONCILE_TOLERANCE NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

# count_of REGEX FILE: occurrences of the (grep -E) pattern in FILE
count_of() { grep -oE -- "$1" "$2" | wc -l | tr -d ' '; }
# line_of KEY FILE: the line of the element with data-key="KEY" (each row or cell is on one line
# for tables; a matrix row holds several cells)
line_of() { grep -F -- "data-key=\"$1\"" "$2" || true; }

# =============================================================================================
# 1. The demo warehouse and the report
# =============================================================================================

assert_status 0 "ncc-load loads the fixtures (ledger first)" -- \
    "$load" "$demo"/ledger_202324.csv "$demo"/cost_* "$demo"/nhssc_* "$demo"/supplier_* "$demo"/qart_*
assert_status 0 "ncc-reconcile fills the marts" -- "$rec" -o "$T/rec.csv"

html=$OUT/report.html
assert_status 0 "ncc-report -o FILE succeeds" -- "$rep" -o "$html"
assert_eq "" "$NCC_IT_OUT$NCC_IT_ERR" "ncc-report is quiet on success (nothing on stdout or stderr)"
assert_eq 1 "$([[ -s $html ]] && echo 1)" "the report file is written"
perms=$(stat -c %a "$html")
assert_match '^6[0-6][0-6]$' "$perms" "the report is readable as a normal file (mode $perms), not a private temporary"
assert_eq 0 "$(find "$OUT" -name 'report.html.tmp-*' | wc -l | tr -d ' ')" "no temporary file is left beside it"

assert_status 0 "ncc-report to stdout succeeds" -- "$rep"
printf '%s\n' "$NCC_IT_OUT" >"$T/stdout.html"
assert_eq "$(grep -v '<dt>Generated' "$html")" "$(grep -v '<dt>Generated' "$T/stdout.html")" \
    "stdout and -o give the same report (but for the time it was generated)"

# =============================================================================================
# 2. Self-contained
# =============================================================================================

assert_eq 0 "$(count_of 'https?://' "$html")" "no http:// or https:// anywhere in the page"
assert_eq 0 "$(count_of '<(script|link|img|iframe|object|embed|base)[ >]' "$html")" \
    "no script, link, img, iframe, object, embed or base element"
assert_eq 0 "$(count_of '(src|srcset|xlink:href)=' "$html")" "no src, srcset or xlink:href attribute"
assert_eq 0 "$(count_of 'url\(|@import' "$html")" "no url() or @import in the CSS"
assert_eq 0 "$(grep -oE 'href="[^"]*"' "$html" | grep -cv '^href="#' || true)" \
    "every link stays in the page (href=\"#...\")"
while read -r a; do
    assert_eq 1 "$(count_of "id=\"$a\"" "$html")" "the in-page link #$a has its target"
done < <(grep -oE 'href="#[^"]*"' "$html" | sed 's/^href="#//; s/"$//' | sort -u)
assert_eq 1 "$(count_of '<style>' "$html")" "the CSS is inline (one <style>)"
assert_eq 1 "$(count_of '@media print' "$html")" "there are print rules"

# =============================================================================================
# 3. Accessibility
# =============================================================================================

assert_eq 1 "$(count_of '<html lang="en">' "$html")" '<html lang="en">'
assert_match '<title>[^<]+</title>' "$(grep -m1 '<title>' "$html")" "the page has a <title>"
assert_eq 1 "$(count_of '<h1[ >]' "$html")" "one <h1>"
levels=$(grep -oE '<h[1-6][ >]' "$html" | tr -dc '1-6\n')
prev=0 jumps=0
while read -r l; do
    ((l > prev + 1)) && jumps=$((jumps + 1))
    prev=$l
done <<<"$levels"
assert_eq 0 "$jumps" "headings in order (never a level skipped: $(echo "$levels" | tr '\n' ' '))"
nsvg=$(count_of '<svg[ >]' "$html")
assert_match '^[1-9][0-9]*$' "$nsvg" "the report has inline SVG charts ($nsvg)"
assert_eq "$nsvg" "$(count_of '<svg [^>]*role="img" aria-labelledby="([a-z0-9]+)-t [a-z0-9]+-d"><title id="[a-z0-9]+-t">[^<]+</title><desc id="[a-z0-9]+-d">[^<]+</desc>' "$html")" \
    "every <svg> has role=\"img\", a <title> and a <desc> it is labelled by"
assert_eq "$nsvg" "$(grep -oE '<svg [^>]*aria-labelledby="[^"]*"' "$html" | sort -u | wc -l | tr -d ' ')" \
    "the SVG ids are unique"
ntab=$(count_of '<table[ >]' "$html")
assert_eq "$ntab" "$(count_of '<table[^>]*><caption>' "$html")" "every table ($ntab) starts with a <caption>"
assert_eq 0 "$(grep -oE '<th[ >][^>]*' "$html" | grep -cv 'scope="(row|col)"' -E || true)" \
    "every <th> has scope=\"row\" or scope=\"col\""
assert_eq 0 "$(count_of '<circle class="mark"[^>]*/>' "$html")" "no mark without a text alternative"

# =============================================================================================
# 4. Benchmark marks, matrix cells and the values shown
# =============================================================================================

n_bench=$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_benchmark")
assert_match '^[1-9]' "$n_bench" "the demo has benchmark rows ($n_bench)"
assert_eq "$n_bench" "$(count_of 'class="mark"' "$html")" \
    "the benchmark charts have one mark per mart.mtfm_benchmark row"
assert_eq "$n_bench" "$(count_of '<circle class="mark"[^>]*><title>[^<]+</title></circle>' "$html")" \
    "every mark carries a <title> (its text alternative)"
assert_eq "$n_bench" "$(count_of '<tr data-key="[0-9]{6}/[A-Z0-9_]+/[A-Z0-9]+">' "$html")" \
    "the benchmark tables have one row per mart.mtfm_benchmark row"
assert_eq "$(ncc_it_sql "SELECT count(DISTINCT (fin_year, technology_id)) FROM mart.mtfm_benchmark")" \
    "$(count_of 'class="bench-chart"' "$html")" "one chart per financial year and technology"

# every benchmark row: the table row shows units, cost, unit cost and cost index as stored, and
# the mark's title names the trust and its unit cost
bad=0
while IFS='|' read -r fy tech org units cost uc ci; do
    row=$(line_of "$fy/$tech/$org" "$html")
    want="<td class=\"num\">$units</td><td class=\"num\">$cost</td><td class=\"num\">$uc</td><td class=\"num\">$ci</td>"
    [[ $row == *"$want"* ]] || { bad=$((bad + 1)); echo "  row $fy/$tech/$org: want $want in: $row"; }
done < <(ncc_it_sql "SELECT fin_year, technology_id, org_code, units, cost, unit_cost, cost_index
                     FROM mart.mtfm_benchmark ORDER BY 1, 2, 3")
assert_eq 0 "$bad" "every benchmark row shows units, cost, unit cost and cost index exactly as in SQL"

# a few named rows, against the SQL and the expected demo values
sql_uc=$(ncc_it_sql "SELECT unit_cost FROM mart.mtfm_benchmark WHERE fin_year = '202324' AND technology_id = 'MTG74' AND org_code = 'RBB'")
assert_eq "3100.0000" "$sql_uc" "SQL: RBB's MTG74 unit cost in 2023/24"
assert_eq 1 "$(count_of "<circle class=\"mark\"[^>]*><title>RBB [^<]*: unit cost £$sql_uc \\(10 units, cost £31000.0000; cost index 146.8\\)</title>" "$html")" \
    "RBB's MTG74 mark is titled with its unit cost, units, cost and cost index"
grp=$(sed -n '/<section class="bench-group" data-key="202324\/MTG74">/,/<\/section>/p' "$html")
for col in national median p25 p75; do
    v=$(ncc_it_sql "SELECT DISTINCT ${col}_unit_cost FROM mart.mtfm_benchmark
                    WHERE fin_year = '202324' AND technology_id = 'MTG74'")
    assert_match "<b class=\"$col-v\">£$v</b>" "$grp" "MTG74 2023/24 shows the $col unit cost £$v as stored"
done
assert_match 'class="national"[^>]*><title>National unit cost \(activity-weighted\): £2111.1111</title>' "$grp" \
    "the national line of MTG74 2023/24 is drawn and titled with £2111.1111"

# marks are placed by exact arithmetic: in MTG74 2023/24 RCC (2000) is left of RBB (3100)
x_rcc=$(grep -oE '<circle class="mark" cx="[0-9.]+"[^>]*><title>RCC ' <<<"$grp" | grep -oE 'cx="[0-9.]+"' | tr -dc '0-9.')
x_rbb=$(grep -oE '<circle class="mark" cx="[0-9.]+"[^>]*><title>RBB ' <<<"$grp" | grep -oE 'cx="[0-9.]+"' | tr -dc '0-9.')
assert_eq 1 "$(awk -v a="$x_rcc" -v b="$x_rbb" 'BEGIN { print (a + 0 < b + 0) ? 1 : 0 }')" \
    "the cheaper trust's mark is left of the dearer one's (cx $x_rcc < $x_rbb)"

n_rec=$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation")
assert_match '^[1-9]' "$n_rec" "the demo has reconciliation rows ($n_rec)"
assert_eq "$n_rec" "$(count_of '<td class="st st-[a-z]+"' "$html")" \
    "the matrix has one status cell per mart.reconciliation row"
bad=0
while IFS='|' read -r fy org tech status nu su; do
    cell=$(grep -oE "<td class=\"st [^\"]+\" data-key=\"$fy/$org/$tech\">.*" "$html" | sed 's#</td>.*##; s#<wbr>##g')
    [[ $cell == *"<span class=\"stc\">$status</span>"* && $cell == *"NCC $nu · bought $su"* ]] ||
        { bad=$((bad + 1)); echo "  cell $fy/$org/$tech: want $status, NCC $nu · bought $su in: $cell"; }
done < <(ncc_it_sql "SELECT fin_year, org_code, technology_id, status, ncc_units, supply_units
                     FROM mart.reconciliation ORDER BY 1, 2, 3")
assert_eq 0 "$bad" "every matrix cell shows its row's status text and units as in SQL"
for s in MATCHED COST_EXCEEDS_PURCHASES PURCHASES_EXCEED_COST NO_PURCHASES NO_COST_REPORTED UNATTRIBUTED; do
    assert_eq 1 "$(grep -c "<td class=\"sw st-[a-z]*\"><span class=\"ic\" aria-hidden=\"true\">[^<]*</span> $s</td><td>[A-Z]" "$html")" \
        "the legend explains $s"
done
cells=$(count_of '<td class="(st st-[a-z]+|none)"' "$html")
ntrows=$(ncc_it_sql "SELECT coalesce(sum(o * t), 0) FROM (SELECT fin_year, count(DISTINCT org_code) o,
                            count(DISTINCT technology_id) t FROM mart.reconciliation GROUP BY 1) x")
assert_eq "$ntrows" "$cells" "each year's matrix is complete: trusts x technologies cells"

# =============================================================================================
# 5. Adoption and data quality
# =============================================================================================

assert_eq "$(ncc_it_sql "SELECT count(DISTINCT (technology_id, fin_year)) FROM mart.adoption")" \
    "$(count_of '<rect class="bar"' "$html")" "one adoption bar per technology and year"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.adoption")" \
    "$(count_of '<tr data-key="[A-Z0-9_]+/[0-9]{6}/' "$html")" "the adoption table has every mart.adoption row"
row=$(line_of "MTG58/202425/North East and Yorkshire" "$html")
want=$(ncc_it_sql "SELECT '<td class=\"num\">' || trusts || '</td><td class=\"num\">' || units || '</td><td class=\"num\">' || cost
                          || '</td><td class=\"num\">' || trusts_prev_year || '</td><td class=\"num\">' || units_prev_year
                          || '</td><td class=\"num\">' || units_change || '</td><td class=\"num\">' || units_change_pct || '</td>'
                   FROM mart.adoption WHERE technology_id = 'MTG58' AND fin_year = '202425'")
assert_match "$(printf '%s' "$want" | sed 's/[.]/[.]/g')" "$row" "MTG58 2024/25 adoption row equals SQL (change -28, -70.0 %)"
assert_match '<rect class="bar"[^>]*><title>MTG58, 2024/25: 12 units by 1 trust</title>' "$(cat "$html")" \
    "the MTG58 2024/25 bar is titled with its units and trusts"

n_files=$(ncc_it_sql "SELECT count(*) FROM audit.file_load")
assert_eq "$n_files" "$(count_of '<tr data-key="[0-9]+"><td class="num">' "$html")" \
    "the data quality table has one row per audit.file_load row ($n_files)"
id=$(ncc_it_sql "SELECT file_load_id FROM audit.file_load WHERE file_name LIKE '%cost_RBB_202324_APC.csv'")
row=$(line_of "$id" "$html" | grep -F "<td class=\"num\">$id</td>")
want=$(ncc_it_sql "SELECT rows_read || '|' || rows_loaded || '|' || rows_rejected FROM audit.file_load WHERE file_load_id = $id")
IFS='|' read -r rr rl rj <<<"$want"
assert_match "<td class=\"num\">$rr</td><td class=\"num\">$rl</td><td class=\"num\">$rj</td>" "$row" \
    "the RBB submission's row shows rows read, loaded and rejected as in audit.file_load"
assert_match '<td>202324 RBB APC</td>' "$row" "the RBB file is joined to its submission"
top=$(ncc_it_sql "SELECT string_agg(code || ' (' || n || ')', ' ' ORDER BY n DESC, code COLLATE \"C\")
                  FROM (SELECT code, count(*) n FROM audit.file_error WHERE file_load_id = $id GROUP BY code) c")
for code in $top; do
    [[ $code == \(* ]] && continue
    assert_match "<span class=\"nowrap\">$code \\([0-9]+\\)</span>" "$row" "the RBB file's row lists its code $code"
done
assert_match "<td class=\"nowrap fl-loaded\"><span aria-hidden=\"true\">✓</span> loaded</td>" "$row" \
    "a file's status is shown as text (and a symbol), not by colour alone"

# the MTFM dashboard (section 4)
n_dash=$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_dashboard")
n_dtech=$(ncc_it_sql "SELECT count(DISTINCT technology_id) FROM mart.mtfm_dashboard")
n_stalled=$(ncc_it_sql "SELECT count(*) FROM mart.stalled_adoption")
assert_match '^[1-9][0-9]*$' "$n_dash" "the demo's QART returns give dashboard rows ($n_dash)"
assert_eq 1 "$(count_of '<h2 id="mtfm-dashboard">4\. MTFM dashboard</h2>' "$html")" "section 4 is the MTFM dashboard"
assert_eq 1 "$(count_of '<h2 id="quality">5\. ' "$html")" "data quality is section 5"
assert_eq "$n_dtech" "$(count_of '<svg [^>]*class="stage-chart"' "$html")" "one stage chart per technology ($n_dtech)"
assert_eq "$((6 * n_dash))" "$(count_of '<rect class="qs[0-5]"[^>]*><title>' "$html")" \
    "one titled segment per stage in every quarter's stacked bar (6 x $n_dash)"
assert_eq 6 "$(count_of '<span><i class="sw-qs[0-5]" aria-hidden="true"></i>[0-5] [A-Z]' "$html")" \
    "the legend names the six stages beside their colours"
assert_eq "$n_dash" "$(count_of '<tr data-key="dash/' "$html")" "one quarter row per mart.mtfm_dashboard row"
assert_eq "$n_dtech" "$(count_of '<tr data-key="summary/' "$html")" "one summary row per technology"
assert_eq "$n_stalled" "$(count_of '<tr data-key="stalled/' "$html")" "one stalled row per mart.stalled_adoption row"
assert_match '^[1-9]' "$n_stalled" "the demo has a stalled pair ($n_stalled)"
want=$(ncc_it_sql "SELECT string_agg('<td class=\"num\">' || v || '</td>', '' ORDER BY k)
                   FROM mart.mtfm_dashboard d,
                        LATERAL (VALUES (0, providers_stage_0::text), (1, providers_stage_1::text),
                                        (2, providers_stage_2::text), (3, providers_stage_3::text),
                                        (4, providers_stage_4::text), (5, providers_stage_5::text),
                                        (6, providers_adopting::text), (7, patients::text),
                                        (8, supply_units::text)) x(k, v)
                   WHERE fin_year = '202425' AND quarter = 1 AND technology_id = 'MTG58'")
assert_match "$(printf '%s' "$want" | sed 's/[.]/[.]/g')" "$(line_of "dash/MTG58/202425/1" "$html")" \
    "the MTG58 Q1 2024/25 row shows the stages, adopting, patients and supply units as stored"
assert_match '<rect class="qs5"[^>]*><title>MTG58, Q1 24/25: 1 trust at stage 5 \(Adoption\)</title>' "$(cat "$html")" \
    "a stage segment is titled with its technology, quarter, trusts and stage"
saving=$(ncc_it_sql "SELECT sum(estimated_saving) FROM mart.mtfm_dashboard WHERE technology_id = 'MTG76'")
assert_match "^[0-9]+[.][0-9]{4}$" "$saving" "MTG76 (AposHealth) has an estimated saving ($saving)"
assert_match "<td class=\"num\">$(sed 's/[.]/[.]/' <<<"$saving")</td><td class=\"num\"><span aria-label=\"none\">" \
    "$(line_of "summary/MTG76" "$html")" \
    "the summary gives MTG76's saving over the quarters ($saving) beside no published resource impact"
assert_match '<td class="num">12089636[.]0000</td></tr>' "$(line_of "summary/MTG58" "$html")" \
    "the summary gives MTG58 the group's five-year resource impact as published"
st=$(ncc_it_sql "SELECT org_code || '/' || technology_id || ' ' || quarters || ' ' || 3 * quarters || ' ' || supply_units
                 FROM mart.stalled_adoption ORDER BY quarters DESC, org_code, technology_id LIMIT 1")
read -r key nq months su <<<"$st"
assert_match "<td class=\"num\">$nq</td><td class=\"num\">$months</td><td class=\"num\">$su</td></tr>" \
    "$(line_of "stalled/$key" "$html")" "the stalled row of $key says how long it has been static ($nq quarters, about $months months)"

# =============================================================================================
# 6. --fin-year, escaping, exit statuses
# =============================================================================================

assert_status 0 "--fin-year 202425 succeeds" -- "$rep" --fin-year 202425 -o "$T/fy.html"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_benchmark WHERE fin_year = '202425'")" \
    "$(count_of 'class="mark"' "$T/fy.html")" "--fin-year 202425: the marks of that year only"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.reconciliation WHERE fin_year = '202425'")" \
    "$(count_of '<td class="st st-' "$T/fy.html")" "--fin-year 202425: the matrix of that year only"
assert_eq 0 "$(count_of 'data-key="202324/' "$T/fy.html")" "--fin-year 202425 shows nothing of 2023/24"
assert_eq "$(ncc_it_sql "SELECT count(*) FROM mart.mtfm_dashboard WHERE fin_year = '202425'")" \
    "$(count_of '<tr data-key="dash/[A-Z0-9]+/202425/' "$T/fy.html")" "--fin-year 202425: the dashboard quarters of that year"
assert_eq 0 "$(count_of '<tr data-key="dash/[A-Z0-9]+/202324/' "$T/fy.html")" "--fin-year 202425: no dashboard quarter of 2023/24"
assert_status 0 "--fin-year 201920 (no data) succeeds" -- "$rep" --fin-year 201920 -o "$T/empty.html"
assert_match 'No rows in mart.mtfm_benchmark for 201920' "$(cat "$T/empty.html")" "an empty year says there is nothing"

# an analyst (ncc_analyst reads ref and mart, not audit or core): sections 1 to 4 in full, and
# section 5 says why it is missing; a warning on stderr, exit 0
analyst=ncc_it_report_analyst_$$
drop_analyst() {
    PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres -c "DROP ROLE IF EXISTS $analyst"
}
drop_analyst
ncc_it_on_exit "drop_analyst"
ncc_it_sql "CREATE ROLE $analyst LOGIN IN ROLE ncc_analyst"
assert_status 0 "an analyst's report succeeds" -- env PGUSER="$analyst" "$rep" -o "$T/analyst.html"
assert_match 'warning: reading audit.file_load: permission denied' "$NCC_IT_ERR" "... with a warning that audit is not readable"
assert_eq "$n_bench" "$(count_of 'class="mark"' "$T/analyst.html")" "the analyst's report has every mark"
assert_eq "$n_rec" "$(count_of '<td class="st st-' "$T/analyst.html")" "... and every matrix cell"
assert_eq "$n_dash $n_stalled" "$(count_of '<tr data-key="dash/' "$T/analyst.html") $(count_of '<tr data-key="stalled/' "$T/analyst.html")" \
    "... and the whole MTFM dashboard and stalled list"
assert_match '<strong>Not shown:</strong> reading audit.file_load: permission denied' "$(cat "$T/analyst.html")" \
    "... and says why the data quality section is missing"
drop_analyst

ncc_it_sql "UPDATE ref.organisation SET name = '<script>alert(\"x\")</script> & O''Brien <b>Trust</b>' WHERE org_code = 'RBB'" >/dev/null
assert_status 0 "the report with a hostile trust name succeeds" -- "$rep" -o "$T/esc.html"
assert_eq 0 "$(count_of '<script|<b>Trust' "$T/esc.html")" "markup in a trust name is never emitted as markup"
assert_match '&lt;script&gt;alert\(&quot;x&quot;\)&lt;/script&gt; &amp; O&#39;Brien &lt;b&gt;Trust&lt;/b&gt;' \
    "$(cat "$T/esc.html")" "the trust name is HTML-escaped"
assert_eq "$n_bench" "$(count_of 'class="mark"' "$T/esc.html")" "the marks are all still there"

assert_status 64 "a bad --fin-year is a usage error" -- "$rep" --fin-year 2023 -o "$T/x.html"
assert_status 64 "--fin-year 202325 (not consecutive years) is a usage error" -- "$rep" --fin-year 202325
assert_status 64 "an extra argument is a usage error" -- "$rep" extra
assert_status 64 "an unknown option is a usage error" -- "$rep" --no-such-option
assert_status 64 "a password in --dbname is refused" -- "$rep" --dbname "password=secret"
assert_status 69 "an unreachable server exits 69" -- "$rep" --dbname "host=/nonexistent port=1"
assert_status 69 "a database without the warehouse exits 69" -- "$rep" --dbname "dbname=postgres" -o "$T/x.html"
assert_match 'ncc-migrate' "$NCC_IT_ERR" "... and says how to set the warehouse up"
assert_status 74 "-o into a missing directory is an output error" -- "$rep" -o "$T/no/such/dir/r.html"
assert_status 74 "-o onto a directory is an output error" -- "$rep" -o "$T"
if [[ -w /dev/full ]]; then
    assert_status 74 "a full device is an output error" -- "$rep" -o /dev/full
fi
assert_eq 0 "$(find "$T" -maxdepth 1 -name 'x.html*' | wc -l | tr -d ' ')" "failed runs leave no file behind"
assert_eq 0 "$(find "$(dirname "$T")" -maxdepth 1 -name "$(basename "$T").tmp-*" | wc -l | tr -d ' ')" \
    "... and no temporary file"
assert_status 0 "--help" -- "$rep" --help
assert_match '--fin-year YYYYZZ' "$NCC_IT_OUT" "--help lists --fin-year"
assert_match 'Exit status: 0 ok, 64 usage, 69 database unavailable' "$NCC_IT_OUT" "--help gives the exit statuses"
assert_status 0 "--version" -- "$rep" --version
assert_match '^ncc-report [0-9]+\.[0-9]+\.[0-9]+$' "$NCC_IT_OUT" "--version prints the version"

# =============================================================================================
# 7. Headless Chromium: the page loads, the DOM has the marks, no console message, screenshot
# =============================================================================================

CHROMIUM=/usr/bin/chromium
if [[ ! -x $CHROMIUM ]]; then
    echo "SKIP: $CHROMIUM is absent: the rendering checks did not run (apt-get install chromium;"
    echo "      scripts/install-deps installs it)"
else
    chrome() { # chrome LOGFILE ARGS... (a fresh profile each time; everything local)
        local log=$1 profile
        shift
        profile=$(mktemp -d "$T/chromium.XXXXXX")
        timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
            --no-first-run --disable-background-networking --disable-component-update --disable-sync \
            --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" 2>"$log"
    }
    png=$OUT/report.png
    status=0
    chrome "$T/shot.log" --screenshot="$png" --window-size=1280,2000 "file://$html" >"$T/shot.out" || status=$?
    assert_eq 0 "$status" "chromium takes a screenshot of the report"
    assert_eq "89 50 4e 47" "$(od -An -tx1 -N4 "$png" 2>/dev/null | xargs)" "the screenshot is a PNG"
    wh=$(od -An -tu1 -j16 -N8 "$png" 2>/dev/null | awk '{ printf "%d x %d", $3 * 256 + $4, $7 * 256 + $8 }')
    assert_eq "1280 x 2000" "$wh" "the screenshot is 1280 x 2000"
    assert_eq 1 "$(($(stat -c %s "$png" 2>/dev/null || echo 0) > 20000))" "the screenshot is not blank (over 20 kB)"

    status=0
    chrome "$T/dom.log" --dump-dom "file://$html" >"$T/dom.html" || status=$?
    assert_eq 0 "$status" "chromium loads the report (--dump-dom)"
    assert_match '</html>' "$(tail -c 200 "$T/dom.html")" "the whole document was parsed"
    assert_eq 1 "$(count_of '<h1>MedTech Funding Mandate: benchmarking report</h1>' "$T/dom.html")" "the DOM has the report's heading"
    assert_eq "$n_bench" "$(count_of 'class="mark"' "$T/dom.html")" "the rendered DOM has one mark per benchmark row"
    assert_eq "$n_rec" "$(count_of '<td class="st st-[a-z]+"' "$T/dom.html")" "the rendered DOM has one matrix cell per reconciliation row"
    assert_eq "$((6 * n_dash))" "$(count_of '<rect class="qs[0-5]"' "$T/dom.html")" "the rendered DOM has every stage segment of the dashboard"
    # console messages (any level; the page has no script, so none is expected) and uncaught
    # errors; chromium's own complaints (dbus, GPU, sandbox) are not console messages
    console=$(grep -hE ':CONSOLE[:(]|Uncaught|ERROR:CONSOLE' "$T/shot.log" "$T/dom.log" || true)
    assert_eq "" "$console" "no console message while loading the page"
    echo "screenshot: $png"
    echo "report:     $html"
fi

ncc_it_finish
