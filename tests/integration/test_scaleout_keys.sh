#!/usr/bin/env bash
# tests/integration/test_scaleout_keys.sh - the warehouse schema can be distributed by org_code
# with Citus (DESIGN.md §4, docs/scale-out.md, sql/011, sql/012), checked on a single server
# (tests/integration/test_citus.sh runs it on a real cluster):
#   1. on a fresh migrated database, the catalogue says that every primary key, unique
#      constraint, unique index and exclusion constraint of every table in core includes
#      org_code as a key column; every core table has org_code NOT NULL, of one type and
#      collation; every core table has a primary key; core.cost_line is partitioned by list on
#      fin_year, one level deep; every core table and partition has row-level security on;
#   2. without the citus extension the layout (public.ncc_after_migrate()) places nothing, and
#      no core policy holds a subquery (Citus refuses those);
#   3. the per-role policies (ref.apply_trust_roles() and the trigger on ref.trust_role) give
#      each trust its own rows, follow every change of the mapping when it commits, and the
#      fixtures' benchmark and reconciliation are as expected.
# Offenders are listed by name.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

migrate=$NCC_BIN/ncc-migrate
load=$NCC_BIN/ncc-load
rec=$NCC_BIN/ncc-reconcile
for x in "$migrate" "$load" "$rec"; do
    [[ -x $x ]] || { echo "$x not built" >&2; exit 1; }
done
demo=$NCC_ROOT/fixtures/demo
expected=$NCC_ROOT/tests/data/expected
T=$NCC_IT_TMP

ncc_it_setup scaleout_keys
export NCC_SQL_DIR=$NCC_ROOT/sql NCC_SCHEMA_DIR=$NCC_ROOT/schemas
export NCC_REFERENCE_DIR=$NCC_ROOT/fixtures/reference NCC_CONFIG=$NCC_IT_TMP/no-such-ncc.conf
unset NCC_RECONCILE_TOLERANCE NCC_MTFM_CODE NCC_LEDGER_TOLERANCE NCC_MAX_REJECT_RATE || true

assert_status 0 "ncc-migrate migrates a fresh database" -- "$migrate"

# =============================================================================================
# 1. The catalogue of schema core
# =============================================================================================

# Tables of core: plain and partitioned tables, partitions included.
CORE_TABLES="SELECT c.oid, c.oid::regclass::text AS name, c.relkind, c.relispartition, c.relrowsecurity
             FROM pg_class c WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p')"

# unique indexes (primary keys and unique constraints have one) and exclusion constraints
# whose key columns (not INCLUDE columns, not expressions) do not hold org_code
KEY_OFFENDERS="
    SELECT string_agg(format('%s (index %s on %s: %s)', coalesce(con.conname, 'unique index'),
                             i.indexrelid::regclass, i.indrelid::regclass, pg_get_indexdef(i.indexrelid)),
                      '; ' ORDER BY i.indrelid::regclass::text, i.indexrelid::regclass::text)
    FROM pg_index i
    JOIN ($CORE_TABLES) t ON t.oid = i.indrelid
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
    WHERE (i.indisunique OR i.indisexclusion)
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = i.indrelid AND a.attname = 'org_code'
                        AND a.attnum = ANY ((i.indkey::int2[])[0:i.indnkeyatts - 1]))"
CONSTRAINT_OFFENDERS="
    SELECT string_agg(format('%s on %s', con.conname, con.conrelid::regclass), '; ' ORDER BY con.conname)
    FROM pg_constraint con JOIN ($CORE_TABLES) t ON t.oid = con.conrelid
    WHERE con.contype IN ('p', 'u', 'x')
      AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = con.conrelid AND a.attname = 'org_code' AND a.attnum = ANY (con.conkey))"
NOT_NULL_OFFENDERS="
    SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM ($CORE_TABLES) t
    WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attname = 'org_code'
                        AND a.attnotnull AND NOT a.attisdropped)"
RLS_OFFENDERS="SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM ($CORE_TABLES) t WHERE NOT t.relrowsecurity"

check_keys() { # label
    local label=$1
    assert_eq "" "$(ncc_it_sql "$KEY_OFFENDERS")" \
        "$label: every primary key, unique constraint, unique index and exclusion constraint in core includes org_code (offenders listed)"
    assert_eq "" "$(ncc_it_sql "$CONSTRAINT_OFFENDERS")" \
        "$label: every key constraint (pg_constraint p/u/x) in core names org_code (offenders listed)"
}

n_parents=$(ncc_it_sql "SELECT count(*) FROM ($CORE_TABLES) t WHERE NOT t.relispartition")
n_all=$(ncc_it_sql "SELECT count(*) FROM ($CORE_TABLES) t")
assert_eq "" "$(ncc_it_sql "
    SELECT string_agg(want, ', ') FROM unnest(ARRAY['core.cost_line', 'core.submission', 'core.ledger',
        'core.nhssc_sales_line', 'core.supplier_sales', 'core.mtfm_activity']) want
    WHERE want NOT IN (SELECT name FROM ($CORE_TABLES) t)")" \
    "the tables of the contract and core.mtfm_activity are in core ($n_parents tables, $n_all with partitions)"

check_keys "fresh database"
n_unique=$(ncc_it_sql "SELECT count(*) FROM pg_index i JOIN ($CORE_TABLES) t ON t.oid = i.indrelid
                       WHERE i.indisunique OR i.indisexclusion")
# on a single server the partitioned core.cost_line holds its key on each partition (sql/014)
assert_eq "$n_all" "$(ncc_it_sql "SELECT count(DISTINCT i.indrelid)
                                         + (SELECT count(*) FROM ($CORE_TABLES) p WHERE p.relkind = 'p'
                                              AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = p.oid AND x.indisprimary)
                                              AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhparent = p.oid
                                                  AND NOT EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = h.inhrelid AND x.indisprimary)))
                                  FROM pg_index i JOIN ($CORE_TABLES) t ON t.oid = i.indrelid
                                  WHERE i.indisprimary")" \
    "every core table and partition has a primary key, a partitioned one on each partition ($n_unique unique indexes checked)"

assert_eq "" "$(ncc_it_sql "$NOT_NULL_OFFENDERS")" \
    "every core table has org_code NOT NULL, the distribution column (offenders listed)"
assert_eq "1 character varying(5)" "$(ncc_it_sql "
    SELECT count(DISTINCT (a.atttypid, a.attcollation)) || ' ' || min(format_type(a.atttypid, a.atttypmod))
    FROM ($CORE_TABLES) t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = 'org_code'")" \
    "org_code has one type and collation in every core table (Citus colocates only such tables)"

assert_eq "l fin_year" "$(ncc_it_sql "
    SELECT p.partstrat::text || ' ' || string_agg(a.attname, ',' ORDER BY a.attnum)
    FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = ANY (p.partattrs)
    WHERE p.partrelid = 'core.cost_line'::regclass GROUP BY p.partstrat")" \
    "core.cost_line is partitioned by list on fin_year"
assert_eq "26 26" "$(ncc_it_sql "
    SELECT count(*) || ' ' || count(*) FILTER (WHERE c.relkind = 'r')
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'core.cost_line'::regclass")" \
    "core.cost_line has 26 partitions (201516 to 204041), each a plain table: one level, as Citus requires"
assert_eq "" "$(ncc_it_sql "
    SELECT string_agg(t.name, ', ') FROM ($CORE_TABLES) t
    WHERE t.relkind = 'p' AND t.name <> 'core.cost_line'")" \
    "no other core table is partitioned (offenders listed)"

assert_eq "" "$(ncc_it_sql "$RLS_OFFENDERS")" \
    "every core table and partition has row-level security enabled (offenders listed)"

# The checks are not vacuous: a table breaking every rule is named by each of them.
ncc_it_sql "CREATE TABLE core.ncc_it_offender (id int PRIMARY KEY, org_code varchar(5), u text UNIQUE,
                                               EXCLUDE USING btree (u WITH =))"
assert_match 'ncc_it_offender_pkey .*ncc_it_offender_u_excl .*ncc_it_offender_u_key ' "$(ncc_it_sql "$KEY_OFFENDERS")" \
    "a core table whose primary key, unique and exclusion constraints lack org_code is named by the key check"
assert_match 'ncc_it_offender_pkey.*ncc_it_offender_u_excl.*ncc_it_offender_u_key' "$(ncc_it_sql "$CONSTRAINT_OFFENDERS")" \
    "... and by the constraint check"
assert_eq "core.ncc_it_offender" "$(ncc_it_sql "$NOT_NULL_OFFENDERS")" "... its nullable org_code by the NOT NULL check"
assert_eq "core.ncc_it_offender" "$(ncc_it_sql "$RLS_OFFENDERS")" "... its missing row-level security by the RLS check"
ncc_it_sql "DROP TABLE core.ncc_it_offender"
assert_eq "" "$(ncc_it_sql "SELECT string_agg(t.name, ', ' ORDER BY t.name) FROM ($CORE_TABLES) t
                            WHERE NOT t.relispartition
                              AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid)")" \
    "every core table (not partition) has its policies (offenders listed)"

SUBLINK_POLICIES="SELECT string_agg(format('%s on %s', p.polname, p.polrelid::regclass), ', '
                                    ORDER BY p.polrelid::regclass::text, p.polname)
                  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                  WHERE c.relnamespace = 'core'::regnamespace
                    AND (p.polqual::text LIKE '%{SUBLINK%' OR coalesce(p.polwithcheck::text, '') LIKE '%{SUBLINK%')"

# =============================================================================================
# 2. The layout without the citus extension
# =============================================================================================

assert_eq "" "$(ncc_it_sql "$SUBLINK_POLICIES")" "no core policy holds a subquery (Citus-ready; offenders listed)"
assert_eq "" "$(ncc_it_sql "SELECT string_agg(t.name, ', ') FROM ($CORE_TABLES) t
                            WHERE NOT t.relispartition
                              AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND p.polname = 'loader_all')")" \
    "every core table keeps the loader's policy (offenders listed)"
assert_eq "" "$(ncc_it_sql "SELECT string_agg(p.polrelid::regclass || ' ' || p.polname, ', ') FROM pg_policy p
                            WHERE p.polname = 'trust_read'")" \
    "no policy of the earlier design (one trust_read for ncc_trust) is left"
assert_eq "single node" "$(ncc_it_sql "SELECT public.ncc_after_migrate()")" \
    "public.ncc_after_migrate() places nothing without the citus extension"
assert_eq "012_citus_layout.sql" "$(ncc_it_sql "SELECT name FROM public.ncc_schema_version WHERE version = 12")" \
    "the layout is a recorded migration"

# =============================================================================================
# 3. Per-role policies, on the fixtures
# =============================================================================================

assert_status 0 "the demo fixtures load, ledger first" -- "$load" \
    "$demo/ledger_202324.csv" \
    "$demo/cost_RAA_202324_APC.csv" "$demo/cost_RAA_202324_OP.csv" "$demo/cost_RAA_202425_APC.csv" \
    "$demo/cost_RBB_202324_APC.csv" "$demo/cost_RCC_202324_APC.csv.gz" \
    "$demo/nhssc_extract_2023_24.csv" "$demo/supplier_return_2023_24.csv"
bench_csv() {
    psql -X -q --csv -v ON_ERROR_STOP=1 -c "
        SELECT fin_year, technology_id, org_code, units, cost, unit_cost, national_unit_cost,
               median_unit_cost, p25_unit_cost, p75_unit_cost, n_orgs, cost_index
        FROM mart.mtfm_benchmark ORDER BY fin_year, technology_id, org_code"
}
assert_status 0 "ncc-reconcile" -- "$rec" -o "$T/rec.csv"
assert_eq "" "$NCC_IT_ERR" "ncc-reconcile stays quiet (no notice on stderr)"
assert_eq "$(cat "$expected/mtfm_benchmark.csv")" "$(bench_csv)" \
    "mart.mtfm_benchmark equals tests/data/expected/mtfm_benchmark.csv"
assert_eq "$(md5sum <"$expected/reconciliation.csv")" "$(md5sum <"$T/rec.csv")" \
    "the reconciliation CSV is tests/data/expected/reconciliation.csv"

p=ncc_it_sok_$$
drop_roles() {
    local r
    PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d "$NCC_IT_DB" \
        -c "DELETE FROM ref.trust_role WHERE role_name LIKE '${p}%'" 2>/dev/null || true
    for r in alice bob carol dave erin grp_a grp_b grp_none grp_late; do
        PGOPTIONS="-c client_min_messages=warning" psql -XAtq -d postgres -c "DROP ROLE IF EXISTS ${p}_$r"
    done
}
drop_roles # leftovers of an interrupted run with the same pid
ncc_it_on_exit "drop_roles"
# the tables of the per-trust policies: core's, and mart's under row-level security
n_core=$(ncc_it_sql "SELECT count(*) FROM pg_class c
                     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                       AND (c.relnamespace = 'core'::regnamespace
                            OR (c.relnamespace = 'mart'::regnamespace AND c.relrowsecurity))
                       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_code')")
ncc_it_sql "CREATE ROLE ${p}_grp_a NOLOGIN IN ROLE ncc_trust;
            CREATE ROLE ${p}_grp_b NOLOGIN IN ROLE ncc_trust;
            CREATE ROLE ${p}_grp_none NOLOGIN IN ROLE ncc_trust;
            CREATE ROLE ${p}_alice LOGIN IN ROLE ${p}_grp_a;
            CREATE ROLE ${p}_bob LOGIN IN ROLE ${p}_grp_b;
            CREATE ROLE ${p}_carol LOGIN IN ROLE ${p}_grp_none;
            CREATE ROLE ${p}_dave LOGIN IN ROLE ${p}_grp_a, ${p}_grp_b;
            INSERT INTO ref.trust_role (role_name, org_code) VALUES
                ('${p}_grp_a', 'RAA'), ('${p}_grp_b', 'RBB'), ('${p}_grp_b', 'RCC'), ('${p}_no_such_role', 'RBB')"
assert_eq "$((2 * n_core))" "$(ncc_it_sql "SELECT count(*) FROM pg_policy WHERE polname LIKE 'trust\_read\_%'")" \
    "inserting the mapping wrote one policy per existing mapped role and core table (2 x $n_core tables; the missing role ignored)"
assert_eq "0" "$(ncc_it_sql "SELECT ref.apply_trust_roles()")" "ref.apply_trust_roles() afterwards changes nothing"
assert_eq "" "$(ncc_it_sql "$SUBLINK_POLICIES")" "the per-role policies hold no subquery"

orgs_of() { # user table
    psql -XAtq -v ON_ERROR_STOP=1 -U "${p}_$1" \
        -c "SELECT coalesce(string_agg(DISTINCT org_code, ',' ORDER BY org_code), '-') FROM $2" 2>&1 || true
}
for tbl in core.cost_line core.submission core.mtfm_activity core.nhssc_sales_line core.ledger; do
    assert_eq "RAA" "$(orgs_of alice "$tbl")" "a member of the RAA group reads RAA's rows of $tbl only"
    assert_eq "RBB,RCC" "$(orgs_of bob "$tbl")" "a member of the RBB+RCC group reads those rows of $tbl only"
done
assert_eq "RAA,RBB,RCC" "$(orgs_of dave core.cost_line)" "a member of both groups reads the rows of both"
assert_eq "-" "$(orgs_of carol core.cost_line)" "a trust member whose group is not mapped reads no row"
assert_eq "RCC" "$(orgs_of bob core.supplier_sales)" "core.supplier_sales: RBB+RCC group reads RCC's returns"
assert_match 'permission denied' "$(orgs_of alice core.cost_line_202324)" \
    "the partitions stay closed to trusts (query the parent)"
assert_match 'permission denied' "$(orgs_of alice mart.reconciliation)" "trusts still cannot read mart"
assert_match 'permission denied' "$(orgs_of alice ref.trust_role)" "trusts no longer read ref.trust_role"

ncc_it_sql "DELETE FROM ref.trust_role WHERE role_name = '${p}_grp_b' AND org_code = 'RCC'"
assert_eq "RBB" "$(orgs_of bob core.cost_line)" "a mapping change takes effect when it commits (the trigger)"
assert_eq "RAA" "$(orgs_of alice core.cost_line)" "the other group is unchanged"
assert_eq "0" "$(ncc_it_sql "SELECT ref.apply_trust_roles()")" "... and nothing is left for ref.apply_trust_roles() to do"
ncc_it_sql "BEGIN; INSERT INTO ref.trust_role VALUES ('${p}_grp_a', 'RCC'); ROLLBACK"
assert_eq "RAA" "$(orgs_of alice core.cost_line)" "a rolled-back mapping change changes nothing"

ncc_it_sql "INSERT INTO ref.trust_role VALUES ('${p}_grp_late', 'RCC')"
ncc_it_sql "CREATE ROLE ${p}_grp_late NOLOGIN IN ROLE ncc_trust; CREATE ROLE ${p}_erin LOGIN IN ROLE ${p}_grp_late"
assert_eq "-" "$(orgs_of erin core.cost_line)" "a role created after its mapping reads nothing yet"
assert_eq "$n_core" "$(ncc_it_sql "SELECT ref.apply_trust_roles()")" \
    "ref.apply_trust_roles() writes its $n_core policies"
assert_eq "RCC" "$(orgs_of erin core.cost_line)" "... and then it reads its trust's rows"

assert_match 'cannot be dropped because some objects depend on it' \
    "$(ncc_it_sql_error "DROP ROLE ${p}_grp_a")" "a mapped role cannot be dropped while its policies name it"
ncc_it_sql "DELETE FROM ref.trust_role WHERE role_name = '${p}_grp_a'"
assert_status 0 "after its mapping is deleted it can" -- psql -XAtq -v ON_ERROR_STOP=1 -d postgres -c "DROP ROLE ${p}_dave, ${p}_alice, ${p}_grp_a"

ncc_it_finish
