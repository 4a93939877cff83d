-- 013_incremental_refresh.sql - a night refreshes the marts for what changed (issue 16).
--
-- The marts are refreshed after every night's loads (etl/lib/warehouse/reconcile.c). A full
-- refresh reads every NHSSC invoice line twice (reconciliation, adoption triangulation) and
-- recomputes every benchmark; a night that loads one trust's resubmission changes only its
-- (fin_year, org_code) rows of core.mtfm_activity. The refresh therefore records which file
-- loads the marts already hold (audit.mart_refresh) and the state of the inputs it cannot see
-- through file loads (audit.mart_state): when everything loaded since is a cost file, with the
-- same tolerance, the same QART returns and resource impacts and no new migration, it
-- recomputes only
--   * mart.reconciliation for the (fin_year, org_code) pairs of the new cost submissions (every
--     side of those pairs: NCC, NHSSC, suppliers), the other rows kept;
--   * mart.mtfm_benchmark for their fin_years (medians are per fin_year and technology), by
--     mart.refresh_benchmark(fin_years);
--   * not the adoption marts (010), whose inputs are QART returns, NHSSC lines, supplier sales
--     and resource impacts, none of which a cost file changes.
-- The result equals a full refresh (tests/integration/test_incremental_refresh.sh compares
-- them). Anything else (a first refresh, an NHSSC, supplier, ledger or QART file, QART rows or
-- resource impacts changed, a migration applied, another tolerance, a Citus cluster, over a
-- quarter of the trust-years) is a full refresh,
-- as is ncc-reconcile: both record the new state. Both run in one REPEATABLE READ transaction,
-- so the loads recorded are exactly those the refresh read.
--
-- The bookkeeping is in audit (local tables of the coordinator on Citus, like audit.file_load
-- they reference).

CREATE TABLE IF NOT EXISTS audit.mart_refresh (
    file_load_id bigint      PRIMARY KEY REFERENCES audit.file_load (file_load_id) ON DELETE CASCADE,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE audit.mart_refresh IS
    'File loads (audit.file_load, status loaded) whose data the marts hold: written by each refresh '
    'of the marts (full or incremental) in its transaction. A loaded file not listed here came '
    'after the last refresh.';
COMMENT ON COLUMN audit.mart_refresh.file_load_id IS 'The audit.file_load row of the file.';
COMMENT ON COLUMN audit.mart_refresh.refreshed_at IS 'When the refresh that took the file in committed its transaction (its start time).';

CREATE TABLE IF NOT EXISTS audit.mart_state (
    singleton    boolean       PRIMARY KEY DEFAULT true,
    tolerance    numeric(6,4)  NOT NULL,
    inputs_md5   text          NOT NULL,
    full_refresh boolean       NOT NULL,
    pairs        integer       NOT NULL,
    refreshed_at timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT mart_state_one_row CHECK (singleton)
);
COMMENT ON TABLE audit.mart_state IS
    'The last refresh of the marts (one row): what an incremental refresh must find unchanged.';
COMMENT ON COLUMN audit.mart_state.singleton IS 'Always true: the table has one row.';
COMMENT ON COLUMN audit.mart_state.tolerance IS 'Reconciliation tolerance of the last refresh (mart.reconciliation.tolerance).';
COMMENT ON COLUMN audit.mart_state.inputs_md5 IS
    'mart.refresh_inputs_md5() at the last refresh: the QART returns, resource impacts and '
    'migrations applied, which do not arrive as file loads of audit.file_load.';
COMMENT ON COLUMN audit.mart_state.full_refresh IS 'Whether the last refresh was a full one.';
COMMENT ON COLUMN audit.mart_state.pairs IS 'Incremental: the (fin_year, org_code) pairs it recomputed; full: 0.';
COMMENT ON COLUMN audit.mart_state.refreshed_at IS 'When the last refresh ran (its transaction''s start).';

GRANT SELECT, INSERT, UPDATE, DELETE ON audit.mart_refresh, audit.mart_state TO ncc_loader;
GRANT SELECT ON audit.mart_refresh, audit.mart_state TO ncc_analyst;

-- What the marts depend on besides file loads, as one fingerprint.
-- (plpgsql: its body is not a dependency of the function, so that Citus may create it on every
-- node while public.ncc_schema_version stays on the coordinator)
CREATE OR REPLACE FUNCTION mart.refresh_inputs_md5() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN md5(coalesce((SELECT string_agg(q::text, E'\n' ORDER BY q.org_code COLLATE "C", q.fin_year,
                                           q.quarter, q.provider_ods COLLATE "C", q.technology_id COLLATE "C")
                         FROM core.qart_return q), '')
               || E'\f'
               || coalesce((SELECT string_agg(r::text, E'\n' ORDER BY r.technology_id COLLATE "C")
                            FROM ref.resource_impact r), '')
               || E'\f'
               || coalesce((SELECT string_agg(v.version || ' ' || v.name, E'\n' ORDER BY v.version)
                            FROM public.ncc_schema_version v), ''));
END
$fn$;
COMMENT ON FUNCTION mart.refresh_inputs_md5() IS
    'MD5 of every row of core.qart_return and ref.resource_impact and of the migrations applied '
    '(public.ncc_schema_version): what the marts depend on that does not arrive as a file load of '
    'audit.file_load (a migration may change how a mart is computed). A refresh records it in '
    'audit.mart_state; a later refresh that finds another value is a full one.';
REVOKE ALL ON FUNCTION mart.refresh_inputs_md5() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mart.refresh_inputs_md5() TO ncc_loader;

-- The benchmark of some fin_years (NULL: every year): 006's refresh_benchmark() is this on NULL.
CREATE OR REPLACE FUNCTION mart.refresh_benchmark(fin_years char(6)[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n bigint;
BEGIN
    DELETE FROM mart.mtfm_benchmark b WHERE fin_years IS NULL OR b.fin_year = ANY (fin_years);
    INSERT INTO mart.mtfm_benchmark
    WITH org AS (
        SELECT fin_year, technology_id, org_code, sum(units) AS units, sum(cost) AS cost
        FROM core.mtfm_activity
        WHERE technology_id <> 'UNATTRIBUTED'
          AND (fin_years IS NULL OR fin_year = ANY (fin_years))
        GROUP BY fin_year, technology_id, org_code
        HAVING sum(units) > 0
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
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION mart.refresh_benchmark(char(6)[]) IS
    'Recomputes the rows of mart.mtfm_benchmark of the given fin_years (all when NULL) from '
    'core.mtfm_activity (contract 5.3): a year''s figures depend on that year''s rows only. Runs '
    'as the owner so that the loader may call it. Returns the rows written.';
REVOKE ALL ON FUNCTION mart.refresh_benchmark(char(6)[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mart.refresh_benchmark(char(6)[]) TO ncc_loader;

CREATE OR REPLACE FUNCTION mart.refresh_benchmark() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN mart.refresh_benchmark(NULL::char(6)[]);
END
$fn$;
COMMENT ON FUNCTION mart.refresh_benchmark() IS
    'Recomputes mart.mtfm_benchmark from core.mtfm_activity (contract 5.3): every fin_year, '
    'mart.refresh_benchmark(NULL). Runs as the owner so that the loader may call it. Returns the '
    'rows written.';
REVOKE ALL ON FUNCTION mart.refresh_benchmark() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mart.refresh_benchmark() TO ncc_loader;
