#!/usr/bin/env bash
# tests/integration/test_migrate.sh - ncc-migrate against a fresh database: applies every
# migration once and nothing the second time; the schemas, comments, keys and partitions the
# contract and design require; roles and row-level security (DESIGN.md §4).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

migrate=$NCC_BIN/ncc-migrate
[[ -x $migrate ]] || { echo "ncc-migrate not built in $NCC_BIN" >&2; exit 1; }

ncc_it_setup migrate
export NCC_SQL_DIR=$NCC_ROOT/sql # the migrations of the tree under test, whatever was compiled in

# ---- applying ----------------------------------------------------------------------------

nfiles=$(find "$NCC_ROOT/sql" -maxdepth 1 -type f -name '[0-9]*_*.sql' | wc -l)
maxver=$(find "$NCC_ROOT/sql" -maxdepth 1 -type f -name '[0-9]*_*.sql' -printf '%f\n' |
    sed 's/_.*//' | sort -n | tail -1 | sed 's/^0*//')

assert_status 0 "first run succeeds" -- "$migrate" -v
assert_eq "ncc-migrate: info: applied $nfiles migrations, schema at version $maxver" "$NCC_IT_ERR" \
    "first run applies all $nfiles migrations"
assert_eq "" "$NCC_IT_OUT" "nothing on stdout"
assert_eq "$nfiles" "$(ncc_it_sql 'SELECT count(*) FROM public.ncc_schema_version')" \
    "one version row per migration"

# Everything the migrations define, as text: relations, columns, constraints, indexes,
# policies, privileges, comments and the version rows themselves.
snapshot() {
    ncc_it_sql "
    SELECT md5(string_agg(x, E'\n' ORDER BY x)) || ' ' || count(*) FROM (
        SELECT format('ns %s %s %s', n.nspname, n.nspacl, obj_description(n.oid, 'pg_namespace'))
        FROM pg_namespace n WHERE n.nspname IN ('public', 'ref', 'core', 'mart', 'audit')
      UNION ALL
        SELECT format('rel %s.%s %s %s %s %s %s', n.nspname, c.relname, c.relkind, c.relacl,
                      c.relrowsecurity, c.relforcerowsecurity, obj_description(c.oid, 'pg_class'))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('public', 'ref', 'core', 'mart', 'audit')
      UNION ALL
        SELECT format('col %s.%s %s %s %s %s %s', n.nspname, c.relname, a.attname,
                      format_type(a.atttypid, a.atttypmod), a.attnotnull,
                      pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum))
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname IN ('public', 'ref', 'core', 'mart', 'audit') AND a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
        SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
        FROM pg_constraint WHERE connamespace::regnamespace::text IN ('public', 'ref', 'core', 'mart', 'audit')
      UNION ALL
        SELECT format('idx %s', indexdef) FROM pg_indexes
        WHERE schemaname IN ('public', 'ref', 'core', 'mart', 'audit')
      UNION ALL
        SELECT format('pol %s.%s %s %s %s %s %s', schemaname, tablename, policyname, permissive, roles, cmd,
                      qual || ' / ' || coalesce(with_check, ''))
        FROM pg_policies
      UNION ALL
        SELECT format('defacl %s %s %s', defaclnamespace::regnamespace, defaclobjtype, defaclacl)
        FROM pg_default_acl
      UNION ALL
        SELECT format('ver %s %s %s', version, name, applied_at) FROM public.ncc_schema_version
    ) s(x)"
}

before=$(snapshot)
assert_status 0 "second run succeeds" -- "$migrate" -v
assert_eq "ncc-migrate: info: applied 0 migrations, schema at version $maxver" "$NCC_IT_ERR" \
    "second run applies nothing"
assert_eq "$before" "$(snapshot)" "second run changes nothing in the catalogue"
assert_status 0 "quiet on success without -v" -- "$migrate"
assert_eq "" "$NCC_IT_OUT$NCC_IT_ERR" "no output without -v"
assert_status 0 "--dbname conninfo is used" -- \
    env -u PGDATABASE "$migrate" --dbname "dbname=$NCC_IT_DB" -v
assert_eq "ncc-migrate: info: applied 0 migrations, schema at version $maxver" "$NCC_IT_ERR" \
    "--dbname reaches the same database"
assert_eq "$before" "$(snapshot)" "third run changes nothing either"

# ---- command line and failures -----------------------------------------------------------

assert_status 0 "--help" -- "$migrate" --help
assert_match '^usage: ncc-migrate' "$NCC_IT_OUT" "--help prints usage on stdout"
assert_status 0 "--version" -- "$migrate" --version
assert_match '^ncc-migrate \(ncc\) [0-9]' "$NCC_IT_OUT" "--version prints the version"
assert_status 64 "unknown option is a usage error" -- "$migrate" --no-such-option
assert_status 64 "stray argument is a usage error" -- "$migrate" extra
assert_status 64 "malformed conninfo is a usage error" -- "$migrate" --dbname "host=/tmp port"
assert_status 66 "missing migrations directory" -- "$migrate" --sql-dir "$NCC_IT_TMP/none"
assert_status 69 "unreachable server is 'database unavailable'" -- \
    "$migrate" --dbname "host=$NCC_IT_TMP port=1"
assert_match 'cannot connect' "$NCC_IT_ERR" "unavailable server is explained"
assert_status 64 "a password on the command line is refused" -- \
    "$migrate" --dbname "host=$NCC_IT_TMP port=1 password=s3cret-pw"
assert_eq "" "$(grep -o 's3cret-pw' <<<"$NCC_IT_ERR" || true)" "the password is never printed"

# A failing migration is rolled back whole and named, earlier ones stay.
bad=$NCC_IT_TMP/sql
mkdir -p "$bad"
cp "$NCC_ROOT"/sql/[0-9]*_*.sql "$bad/"
printf -- '-- test: fails on line 4\nCREATE TABLE audit.it_partial (i int);\n\nSELECT no_such_function(1);\n' \
    >"$bad/990_broken.sql"
assert_status 70 "a failing migration exits 70" -- "$migrate" --sql-dir "$bad"
assert_match '990_broken\.sql.* line 4: .*no_such_function' "$NCC_IT_ERR" \
    "the failure names the file, the line and PostgreSQL's message"
assert_eq "" "$(ncc_it_sql "SELECT to_regclass('audit.it_partial')")" "the failed migration is rolled back"
assert_eq "0" "$(ncc_it_sql 'SELECT count(*) FROM public.ncc_schema_version WHERE version = 990')" \
    "the failed migration is not recorded"
assert_eq "$before" "$(snapshot)" "a failed migration leaves the catalogue unchanged"

# ---- what the schema must hold ------------------------------------------------------------

assert_eq "audit core mart ref" \
    "$(ncc_it_sql "SELECT string_agg(nspname, ' ' ORDER BY nspname) FROM pg_namespace
                   WHERE nspname IN ('ref', 'core', 'mart', 'audit')")" \
    "the four schemas exist"
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM pg_namespace
                             WHERE nspname IN ('ref', 'core', 'mart', 'audit')
                               AND obj_description(oid, 'pg_namespace') IS NULL")" \
    "every schema has a comment"

tables="c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname IN ('ref', 'core', 'audit')"
assert_eq "" "$(ncc_it_sql "SELECT string_agg(n.nspname || '.' || c.relname, ' ')
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE $tables AND obj_description(c.oid, 'pg_class') IS NULL")" \
    "every table in ref, core and audit has a comment"
assert_eq "0" "$(ncc_it_sql "SELECT count(*)
                             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                             LEFT JOIN pg_description d ON d.objoid = c.oid
                                  AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
                             WHERE $tables AND coalesce(d.description, '') = ''")" \
    "every column in ref, core and audit has a comment"

for t in ref.technology ref.technology_alias ref.product_map ref.procedure_map ref.organisation ref.trust_role \
    core.cost_line core.submission core.ledger core.nhssc_sales_line core.supplier_sales \
    audit.run audit.file_load audit.file_error; do
    assert_eq "$t" "$(ncc_it_sql "SELECT to_regclass('$t')")" "table $t exists"
done

# a partitioned table (core.cost_line) may hold its key on each partition instead (sql/014)
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM pg_class c
                             WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')
                               AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                               WHERE k.conrelid = c.oid AND k.contype = 'p')
                               AND (c.relkind = 'r' OR NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)
                                    OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid
                                                 AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                                                 WHERE k.conrelid = i.inhrelid AND k.contype = 'p')))")" \
    "every core table has a primary key (a partitioned one on each of its partitions)"
assert_eq "26 26" "$(ncc_it_sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE pg_get_constraintdef(k.oid) =
                                 'PRIMARY KEY (fin_year, org_code, feed, activity_id, collection_resource, collection_activity)')
                             FROM pg_inherits i JOIN pg_constraint k ON k.conrelid = i.inhrelid AND k.contype = 'p'
                             WHERE i.inhparent = 'core.cost_line'::regclass")" \
    "each of the 26 partitions of core.cost_line holds the contract key as its primary key"
assert_eq "" "$(ncc_it_sql "SELECT string_agg(k.conrelid::regclass::text, ' ')
                            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                            WHERE c.relnamespace = 'core'::regnamespace AND k.contype = 'p'
                              AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                              WHERE a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                                                AND a.attname = 'org_code')")" \
    "every core primary key includes org_code"
assert_eq "0" "$(ncc_it_sql "SELECT count(*) FROM information_schema.columns
                             WHERE table_schema IN ('ref', 'core', 'audit')
                               AND data_type = 'numeric' AND column_name ~ '(cost|value|price)'
                               AND (numeric_precision, numeric_scale) <> (22, 4)")" \
    "money columns are NUMERIC(22,4)"

assert_eq "l fin_year" "$(ncc_it_sql "SELECT p.partstrat::text || ' ' || a.attname FROM pg_partitioned_table p
                                      JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
                                      WHERE p.partrelid = 'core.cost_line'::regclass")" \
    "core.cost_line is partitioned by list of fin_year"
assert_eq "26" "$(ncc_it_sql "SELECT count(*) FROM pg_inherits WHERE inhparent = 'core.cost_line'::regclass")" \
    "core.cost_line has 26 partitions"
assert_eq "FOR VALUES IN ('201516')|FOR VALUES IN ('204041')" \
    "$(ncc_it_sql "SELECT string_agg(pg_get_expr(c.relpartbound, c.oid), '|' ORDER BY c.relname)
                   FROM pg_class c WHERE c.oid IN ('core.cost_line_201516'::regclass, 'core.cost_line_204041'::regclass)")" \
    "partitions run from 201516 to 204041"
assert_eq "" "$(ncc_it_sql "SELECT string_agg(c.relname, ' ') FROM pg_class c
                            WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')
                              AND NOT c.relrowsecurity")" \
    "row-level security is enabled on every core table"

# ---- roles and row-level security ---------------------------------------------------------

p=ncc_it_migrate_$$_ # cluster-wide names: a prefix no other test or run uses
drop_roles() {
    local r
    for r in trust_a trust_b analyst loader; do
        PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres -c "DROP ROLE IF EXISTS ${p}$r"
    done
}
drop_roles
ncc_it_on_exit "psql -XAtq -d $NCC_IT_DB -c 'DELETE FROM ref.trust_role'; drop_roles"

assert_eq "ncc_analyst ncc_loader ncc_trust" \
    "$(ncc_it_sql "SELECT string_agg(rolname, ' ' ORDER BY rolname) FROM pg_roles
                   WHERE rolname IN ('ncc_loader', 'ncc_analyst', 'ncc_trust') AND NOT rolcanlogin")" \
    "the three group roles exist and cannot log in"

ncc_it_sql "CREATE ROLE ${p}trust_a LOGIN IN ROLE ncc_trust;
            CREATE ROLE ${p}trust_b LOGIN IN ROLE ncc_trust;
            CREATE ROLE ${p}analyst LOGIN IN ROLE ncc_analyst;
            CREATE ROLE ${p}loader LOGIN IN ROLE ncc_loader"
ncc_it_sql "INSERT INTO ref.trust_role (role_name, org_code) VALUES ('${p}trust_a', 'RAA'), ('${p}trust_b', 'RBB');
            INSERT INTO core.cost_line (fin_year, org_code, feed, activity_id, currency_code,
                                        collection_resource, collection_activity, activity_count, cost)
            VALUES ('202324', 'RAA', 'APC', 'A1', 'HRG1', 'STAFF', 'WARD', 1, 100.5),
                   ('202324', 'RBB', 'APC', 'B1', 'HRG1', 'STAFF', 'WARD', 2, 200.25)"

as_role() { ncc_it_sql "SET ROLE $p$1; $2"; }
as_error() { ncc_it_sql_error "SET ROLE $p$1; $2"; }

assert_eq "RAA" "$(as_role trust_a 'SELECT string_agg(org_code, $$ $$) FROM core.cost_line')" \
    "trust_a sees only RAA's cost lines"
assert_eq "0" "$(as_role trust_a "SELECT count(*) FROM core.cost_line WHERE org_code = 'RBB'")" \
    "trust_a cannot see RBB's cost lines"
assert_eq "RBB" "$(as_role trust_b 'SELECT string_agg(org_code, $$ $$) FROM core.cost_line')" \
    "trust_b sees only RBB's cost lines"
assert_match "permission denied" "$(as_error trust_a 'SELECT count(*) FROM core.cost_line_202324')" \
    "a trust cannot bypass the policy by reading a partition"
assert_match "permission denied" \
    "$(as_error trust_a "INSERT INTO core.ledger VALUES ('202324', 'RAA', 'APC', 1, NULL, now(), NULL)")" \
    "a trust cannot write core"
# A mapping left behind by a dropped role is ignored, not an error for every trust.
ncc_it_sql "INSERT INTO ref.trust_role VALUES ('${p}no_such_role', 'RBB')"
assert_eq "RAA" "$(as_role trust_a 'SELECT string_agg(org_code, $$ $$) FROM core.cost_line')" \
    "a stale ref.trust_role row does not break the policy"

assert_match "permission denied" "$(as_error analyst 'SELECT count(*) FROM core.cost_line')" \
    "analyst cannot read core.cost_line"
assert_match "permission denied" \
    "$(as_error analyst "INSERT INTO ref.technology (technology_id, name) VALUES ('MTG999', 'x')")" \
    "analyst cannot insert into ref.technology"
assert_eq "0" "$(as_role analyst 'SELECT count(*) FROM ref.technology')" "analyst reads ref"

assert_eq "3" "$(as_role loader "INSERT INTO core.cost_line (fin_year, org_code, feed, activity_id, currency_code,
                                    collection_resource, collection_activity, activity_count, cost)
                            VALUES ('202425', 'RCC', 'OP', 'C1', 'WF01A', 'STAFF', 'CLINIC', 1, 50);
                            SELECT count(*) FROM core.cost_line")" \
    "loader inserts into core and sees every row"
assert_eq "1" "$(as_role loader "INSERT INTO audit.file_load (file_name, sha256, kind, rows_read, rows_loaded, status)
                            VALUES ('x.csv', repeat('0', 64), 'cost', 1, 1, 'loaded');
                            SELECT count(*) FROM audit.file_load")" \
    "loader writes audit (sequence usable)"
assert_match "must be owner" "$(as_error loader 'DROP TABLE core.cost_line')" \
    "loader cannot DROP TABLE core.cost_line"
assert_match "must be owner" "$(as_error loader 'ALTER TABLE core.cost_line ADD COLUMN x int')" \
    "loader cannot ALTER TABLE core.cost_line"
assert_match "permission denied" "$(as_error loader "DELETE FROM ref.trust_role")" \
    "loader cannot change who sees what"

ncc_it_finish
