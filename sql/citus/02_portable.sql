-- sql/citus/02_portable.sql - step 2 of 4 of the move to Citus (docs/scale-out.md §4): the
-- two changes Citus needs that are plain PostgreSQL, applied before anything is distributed.
--
-- 1. Per-trust row-level security without subqueries. Citus refuses a policy whose
--    expression holds a subquery. It refuses it in CREATE POLICY on a distributed table
--    ("Subqueries are not supported in policies on distributed tables") and in
--    create_distributed_table on a table that already has one. The trust_read policy of
--    sql/007_supersede_rls.sql has one (org_code = ANY (ARRAY(SELECT ... FROM ref.trust_role
--    ...))). Moving the subquery into a function would be accepted, but PostgreSQL then
--    evaluates it for every row scanned. Measured on 2M cost lines, a trust's 500,000 rows
--    took 60 to 96 s instead of 0.5 s. Instead, ref.apply_trust_roles() writes one policy
--    per mapped role, "TO that_role USING (org_code = ANY ('{...}'))", from ref.trust_role.
--    The rule is the same: role membership only, never a session setting. A constant
--    comparison on org_code is also the cheapest test a shard can make: no per-row
--    function call, and the primary key index can serve it.
--    Difference: a change to ref.trust_role takes effect when the owner runs
--    SELECT ref.apply_trust_roles(); and to drop a mapped role, delete its rows, apply, then
--    DROP ROLE (or DROP OWNED BY it first).
-- 2. mart.refresh_benchmark() in two explicit steps. The first step is per shard: each
--    trust's units and cost, grouped by org_code, the distribution column, so Citus runs it
--    on every shard at once. The second is global and runs on the coordinator over that
--    small result: national unit cost and percentiles. The figures are the same as those of
--    sql/006_mart.sql (tests/integration/test_scaleout_keys.sh checks it).
--
-- Guard: when the citus extension is not installed, the file does nothing but raise a NOTICE,
-- unless the session sets ncc.citus_portable = on (PGOPTIONS='-c ncc.citus_portable=on'),
-- as test_scaleout_keys.sh does to check both changes on plain PostgreSQL. Both are valid
-- there and could move into sql/ as a migration, so that a single server and a Citus
-- cluster run the same policies and function. Running the file again changes nothing.

DO $citus$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'citus')
       AND coalesce(current_setting('ncc.citus_portable', true), '') <> 'on' THEN
        RAISE NOTICE 'sql/citus/02_portable.sql: the citus extension is not installed on this server '
                     '(not in pg_available_extensions): nothing done';
        RETURN;
    END IF;

    -- 1. Per-trust policies -------------------------------------------------------------------

    CREATE OR REPLACE FUNCTION ref.apply_trust_roles() RETURNS integer
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
    DECLARE
        t regclass;
        p record;
        changed integer := 0;
    BEGIN
        -- the wanted policies: one per role of ref.trust_role that exists (a mapping left
        -- behind by a dropped role is ignored), named after a hash of the role name (policy
        -- names are limited to 63 bytes), the comment recording the role and its organisations
        IF to_regclass('pg_temp.ncc_trust_policy') IS NOT NULL THEN
            DROP TABLE pg_temp.ncc_trust_policy;
        END IF;
        CREATE TEMP TABLE ncc_trust_policy ON COMMIT DROP AS
            SELECT m.*, format('Members of role %s read the rows of %s (ref.trust_role; written by '
                               'ref.apply_trust_roles()).', quote_ident(m.role_name),
                               array_to_string(m.orgs, ', ')) AS note
            FROM (SELECT 'trust_read_' || left(md5(tr.role_name), 16) AS polname, tr.role_name,
                         array_agg(DISTINCT tr.org_code::text ORDER BY tr.org_code::text) AS orgs
                  FROM ref.trust_role tr
                  JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
                  GROUP BY tr.role_name) m;

        FOR t IN
            SELECT c.oid::regclass FROM pg_catalog.pg_class c
            WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                          WHERE a.attrelid = c.oid AND a.attname = 'org_code' AND NOT a.attisdropped)
            ORDER BY c.relname
        LOOP
            -- the policy with a subquery (sql/005, sql/007), and generated ones now out of date
            FOR p IN
                SELECT pol.polname FROM pg_catalog.pg_policy pol
                WHERE pol.polrelid = t
                  AND (pol.polname = 'trust_read'
                       OR (pol.polname LIKE 'trust\_read\_%'
                           AND NOT EXISTS (SELECT 1 FROM pg_temp.ncc_trust_policy w
                                           WHERE w.polname = pol.polname
                                             AND w.note = obj_description(pol.oid, 'pg_policy'))))
            LOOP
                EXECUTE format('DROP POLICY %I ON %s', p.polname, t);
                changed := changed + 1;
            END LOOP;
            FOR p IN
                SELECT w.* FROM pg_temp.ncc_trust_policy w
                WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy pol
                                  WHERE pol.polrelid = t AND pol.polname = w.polname)
                ORDER BY w.polname
            LOOP
                EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR SELECT TO %I '
                               'USING (org_code = ANY (%L::varchar[]))', p.polname, t, p.role_name, p.orgs);
                EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', p.polname, t, p.note);
                changed := changed + 1;
            END LOOP;
        END LOOP;
        DROP TABLE pg_temp.ncc_trust_policy;
        RETURN changed;
    END
    $fn$;
    COMMENT ON FUNCTION ref.apply_trust_roles() IS
        'Writes the per-trust row-level security policies of every core table from ref.trust_role: '
        'one policy per mapped role that exists, FOR SELECT TO that role, USING org_code = ANY (its '
        'organisations). Run by the warehouse owner after changing ref.trust_role. Returns the number '
        'of policies dropped or created (0 when they were up to date). No subquery in any policy, as '
        'Citus requires (sql/citus/02_portable.sql).';
    REVOKE ALL ON FUNCTION ref.apply_trust_roles() FROM PUBLIC;

    PERFORM ref.apply_trust_roles();

    -- 2. The benchmark in a per-shard step and a global step ----------------------------------

    CREATE OR REPLACE FUNCTION mart.refresh_benchmark() RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    DECLARE
        n bigint;
    BEGIN
        -- Step 1, per shard: each trust's units and cost per year and technology. The GROUP BY
        -- holds org_code, the distribution column: every shard computes its own trusts and
        -- only trusts x technologies x years rows come back.
        IF to_regclass('pg_temp.ncc_benchmark_org') IS NOT NULL THEN  -- a second call in one transaction
            DROP TABLE pg_temp.ncc_benchmark_org;
        END IF;
        CREATE TEMP TABLE ncc_benchmark_org ON COMMIT DROP AS
            SELECT fin_year, technology_id, org_code, sum(units) AS units, sum(cost) AS cost
            FROM core.mtfm_activity
            WHERE technology_id <> 'UNATTRIBUTED'
            GROUP BY fin_year, technology_id, org_code
            HAVING sum(units) > 0;

        -- Step 2, global, on the coordinator over that small table: contract 5.3 exactly as
        -- sql/006_mart.sql computes it (continuous percentiles interpolated in NUMERIC).
        DELETE FROM mart.mtfm_benchmark;
        INSERT INTO mart.mtfm_benchmark (fin_year, technology_id, org_code, units, cost, unit_cost,
                                         national_unit_cost, median_unit_cost, p25_unit_cost,
                                         p75_unit_cost, n_orgs, cost_index)
        WITH org AS (
            SELECT * FROM pg_temp.ncc_benchmark_org
        ), ranked AS (
            SELECT org.*, cost / units AS uc,
                   row_number() OVER (PARTITION BY fin_year, technology_id ORDER BY cost / units, org_code) - 1 AS rn,
                   count(*) OVER (PARTITION BY fin_year, technology_id) AS n
            FROM org
        ), pct AS (
            -- continuous percentile: v[k] + f * (v[k+1] - v[k]) at position p * (n - 1) = k + f
            SELECT r.fin_year, r.technology_id, q.p,
                   min(r.uc) FILTER (WHERE r.rn = floor(q.p * (r.n - 1))) AS lo,
                   min(r.uc) FILTER (WHERE r.rn = ceil(q.p * (r.n - 1))) AS hi,
                   max(q.p * (r.n - 1) - floor(q.p * (r.n - 1))) AS f
            FROM ranked r CROSS JOIN (VALUES (0.25::numeric), (0.5), (0.75)) AS q(p)
            GROUP BY r.fin_year, r.technology_id, q.p
        ), nat AS (
            SELECT fin_year, technology_id, sum(cost) / sum(units) AS national, count(*) AS n_orgs
            FROM org
            GROUP BY fin_year, technology_id
        ), pv AS (
            SELECT fin_year, technology_id,
                   max(lo + f * (hi - lo)) FILTER (WHERE p = 0.25) AS p25,
                   max(lo + f * (hi - lo)) FILTER (WHERE p = 0.5) AS p50,
                   max(lo + f * (hi - lo)) FILTER (WHERE p = 0.75) AS p75
            FROM pct
            GROUP BY fin_year, technology_id
        )
        SELECT o.fin_year, o.technology_id, o.org_code, o.units, o.cost,
               round(o.cost / o.units, 4), round(nat.national, 4), round(pv.p50, 4),
               round(pv.p25, 4), round(pv.p75, 4), nat.n_orgs,
               round(100 * (o.cost / o.units) / nat.national, 1)
        FROM org o JOIN nat USING (fin_year, technology_id) JOIN pv USING (fin_year, technology_id);
        GET DIAGNOSTICS n = ROW_COUNT;
        DROP TABLE pg_temp.ncc_benchmark_org;
        RETURN n;
    END
    $fn$;
    COMMENT ON FUNCTION mart.refresh_benchmark() IS
        'Recomputes mart.mtfm_benchmark from core.mtfm_activity (contract 5.3) in two steps: per-trust '
        'sums (per shard under Citus), then national figures and percentiles on the coordinator '
        '(sql/citus/02_portable.sql); runs as the owner so that the loader may call it. Returns the rows written.';
    REVOKE ALL ON FUNCTION mart.refresh_benchmark() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION mart.refresh_benchmark() TO ncc_loader;

    RAISE NOTICE 'sql/citus/02_portable.sql: per-trust policies written from ref.trust_role, '
                 'mart.refresh_benchmark() in two steps';
END
$citus$;
