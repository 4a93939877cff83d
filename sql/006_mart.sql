-- 006_mart.sql - MTFM aggregates, reconciliation, benchmarks and adoption
-- (DATA-CONTRACT.md §2.1 attribution, §5.2, §5.3, §5.4).
--
-- core.mtfm_activity holds the attributed MTFM cost lines summed per submission key and
-- technology; the loader replaces a submission's rows in the same transaction as its cost
-- lines, from the staged rows (no second pass over core.cost_line). Reconciliation and
-- benchmarks are computed from it after loads: they are small (trusts x technologies x years).
-- Money stays NUMERIC throughout; percentiles are interpolated in NUMERIC (percentile_cont
-- works in double precision, which this warehouse never uses for money).

CREATE TABLE IF NOT EXISTS core.mtfm_activity (
    fin_year      char(6)       NOT NULL,
    org_code      varchar(5)    NOT NULL,
    feed          varchar(5)    NOT NULL,
    technology_id varchar(20)   NOT NULL,
    lines         bigint        NOT NULL,
    units         bigint        NOT NULL,
    cost          numeric(22,4) NOT NULL,
    file_load_id  bigint,
    CONSTRAINT mtfm_activity_pkey PRIMARY KEY (fin_year, org_code, feed, technology_id)
);
COMMENT ON TABLE core.mtfm_activity IS
    'MTFM cost lines (collection_resource = the configured MTFM code) summed per fin_year, '
    'org_code, feed and attributed technology (contract 2.1: explicit id, else procedure map, '
    'else UNATTRIBUTED). Replaced with its submission, in the same transaction.';
COMMENT ON COLUMN core.mtfm_activity.fin_year IS 'Financial year YYYYZZ of the submission.';
COMMENT ON COLUMN core.mtfm_activity.org_code IS 'Provider ODS code of the submission (distribution column).';
COMMENT ON COLUMN core.mtfm_activity.feed IS 'Feed of the submission (APC, OP, EC, SWC, OTHER).';
COMMENT ON COLUMN core.mtfm_activity.technology_id IS 'Attributed canonical technology id, or UNATTRIBUTED.';
COMMENT ON COLUMN core.mtfm_activity.lines IS 'Number of MTFM cost lines summed.';
COMMENT ON COLUMN core.mtfm_activity.units IS 'Sum of activity_count: technology units used.';
COMMENT ON COLUMN core.mtfm_activity.cost IS 'Sum of cost in pounds, exact (NUMERIC(22,4)).';
COMMENT ON COLUMN core.mtfm_activity.file_load_id IS 'audit.file_load row of the file that loaded the submission.';

ALTER TABLE core.mtfm_activity ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS trust_read ON core.mtfm_activity;
CREATE POLICY trust_read ON core.mtfm_activity AS PERMISSIVE FOR SELECT TO ncc_trust
    USING (EXISTS (SELECT 1 FROM ref.trust_role tr JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
                   WHERE tr.org_code = mtfm_activity.org_code
                     AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')));
COMMENT ON POLICY trust_read ON core.mtfm_activity IS
    'Per-trust roles read the rows of the organisations mapped to them in ref.trust_role.';
DROP POLICY IF EXISTS loader_all ON core.mtfm_activity;
CREATE POLICY loader_all ON core.mtfm_activity AS PERMISSIVE FOR ALL TO ncc_loader USING (true) WITH CHECK (true);
COMMENT ON POLICY loader_all ON core.mtfm_activity IS 'The loader reads and writes every row.';
GRANT SELECT, INSERT, UPDATE, DELETE ON core.mtfm_activity TO ncc_loader;
GRANT SELECT ON core.mtfm_activity TO ncc_trust;

-- Reconciliation (contract 5.2): written by ncc-reconcile, replaced whole in one transaction.
CREATE TABLE IF NOT EXISTS mart.reconciliation (
    fin_year             char(6)       NOT NULL,
    org_code             varchar(5)    NOT NULL,
    technology_id        varchar(20)   NOT NULL,
    ncc_units            bigint        NOT NULL,
    ncc_cost             numeric(22,4) NOT NULL,
    nhssc_units          bigint        NOT NULL,
    nhssc_value          numeric(22,4) NOT NULL,
    direct_units         bigint        NOT NULL,
    direct_value         numeric(22,4) NOT NULL,
    supply_units         bigint        NOT NULL,
    supply_value         numeric(22,4) NOT NULL,
    status               text          NOT NULL,
    supplier_nhssc_units bigint        NOT NULL DEFAULT 0,
    supplier_nhssc_value numeric(22,4) NOT NULL DEFAULT 0,
    tolerance            numeric(6,4)  NOT NULL,
    computed_at          timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT reconciliation_pkey PRIMARY KEY (fin_year, org_code, technology_id),
    CONSTRAINT reconciliation_status CHECK (status IN ('NO_COST_REPORTED', 'NO_PURCHASES', 'MATCHED',
        'COST_EXCEEDS_PURCHASES', 'PURCHASES_EXCEED_COST', 'UNATTRIBUTED')),
    CONSTRAINT reconciliation_supply CHECK (supply_units = nhssc_units + direct_units
        AND supply_value = nhssc_value + direct_value)
);
COMMENT ON TABLE mart.reconciliation IS
    'MTFM cost and volume reported in NCC against purchases (NHSSC extract plus suppliers'' '
    'direct sales), one row per fin_year, org_code and technology where either side is '
    'non-zero (contract 5.2). Rewritten whole by ncc-reconcile after each night''s loads.';
COMMENT ON COLUMN mart.reconciliation.fin_year IS 'Financial year YYYYZZ (1 April to 31 March).';
COMMENT ON COLUMN mart.reconciliation.org_code IS 'Trust ODS code (NHSSC customer organisation per contract 2.3).';
COMMENT ON COLUMN mart.reconciliation.technology_id IS 'Canonical technology id, or UNATTRIBUTED for MTFM cost with no technology.';
COMMENT ON COLUMN mart.reconciliation.ncc_units IS 'NCC side: sum of activity_count of MTFM lines attributed to the technology.';
COMMENT ON COLUMN mart.reconciliation.ncc_cost IS 'NCC side: sum of their cost, pounds.';
COMMENT ON COLUMN mart.reconciliation.nhssc_units IS 'NHSSC invoice lines dated in the year: quantity x units_per_issue (credits negative).';
COMMENT ON COLUMN mart.reconciliation.nhssc_value IS 'NHSSC invoice lines dated in the year: line_value_ex_vat (credits negative), pounds.';
COMMENT ON COLUMN mart.reconciliation.direct_units IS 'Supplier returns with route DIRECT whose period is in the year: units.';
COMMENT ON COLUMN mart.reconciliation.direct_value IS 'Supplier returns with route DIRECT: value_ex_vat, pounds.';
COMMENT ON COLUMN mart.reconciliation.supply_units IS 'nhssc_units + direct_units.';
COMMENT ON COLUMN mart.reconciliation.supply_value IS 'nhssc_value + direct_value, pounds.';
COMMENT ON COLUMN mart.reconciliation.status IS
    'First that applies (t = tolerance): NO_COST_REPORTED (supply_units > 0, ncc_units = 0); '
    'NO_PURCHASES (ncc_units > 0, supply_units <= 0); MATCHED (|ncc_units - supply_units| <= '
    't x max of the two); COST_EXCEEDS_PURCHASES (ncc_units > supply_units); '
    'PURCHASES_EXCEED_COST; UNATTRIBUTED for MTFM cost without a technology.';
COMMENT ON COLUMN mart.reconciliation.supplier_nhssc_units IS
    'Triangulation: units suppliers report as sold through NHSSC (route NHSSC) in the year; '
    'compare with nhssc_units. Not part of supply_units.';
COMMENT ON COLUMN mart.reconciliation.supplier_nhssc_value IS
    'Triangulation: value suppliers report as sold through NHSSC, pounds.';
COMMENT ON COLUMN mart.reconciliation.tolerance IS 'The tolerance t the status was computed with (default 0.10).';
COMMENT ON COLUMN mart.reconciliation.computed_at IS 'When ncc-reconcile computed the row.';

-- Benchmark (contract 5.3), refreshed by mart.refresh_benchmark().
CREATE TABLE IF NOT EXISTS mart.mtfm_benchmark (
    fin_year           char(6)       NOT NULL,
    technology_id      varchar(20)   NOT NULL,
    org_code           varchar(5)    NOT NULL,
    units              bigint        NOT NULL,
    cost               numeric(22,4) NOT NULL,
    unit_cost          numeric(22,4) NOT NULL,
    national_unit_cost numeric(22,4) NOT NULL,
    median_unit_cost   numeric(22,4) NOT NULL,
    p25_unit_cost      numeric(22,4) NOT NULL,
    p75_unit_cost      numeric(22,4) NOT NULL,
    n_orgs             integer       NOT NULL,
    cost_index         numeric(10,1) NOT NULL,
    CONSTRAINT mtfm_benchmark_pkey PRIMARY KEY (fin_year, technology_id, org_code),
    CONSTRAINT mtfm_benchmark_units_positive CHECK (units > 0)
);
COMMENT ON TABLE mart.mtfm_benchmark IS
    'MTFM unit cost benchmark (contract 5.3): per fin_year, technology and trust with units > 0 '
    '(UNATTRIBUTED excluded) the trust''s unit cost against the national figures of that '
    'technology and year. Refreshed by mart.refresh_benchmark() after loads.';
COMMENT ON COLUMN mart.mtfm_benchmark.fin_year IS 'Financial year YYYYZZ.';
COMMENT ON COLUMN mart.mtfm_benchmark.technology_id IS 'Canonical technology id.';
COMMENT ON COLUMN mart.mtfm_benchmark.org_code IS 'Trust ODS code.';
COMMENT ON COLUMN mart.mtfm_benchmark.units IS 'Units of the technology the trust reported (sum of activity_count).';
COMMENT ON COLUMN mart.mtfm_benchmark.cost IS 'Cost the trust reported for them, pounds.';
COMMENT ON COLUMN mart.mtfm_benchmark.unit_cost IS 'cost / units, pounds, rounded half away from zero to 4 decimals.';
COMMENT ON COLUMN mart.mtfm_benchmark.national_unit_cost IS
    'Activity-weighted national unit cost: sum of cost / sum of units over the trusts (as NCC national averages are), 4 decimals.';
COMMENT ON COLUMN mart.mtfm_benchmark.median_unit_cost IS 'Median of the trusts'' unit costs (continuous percentile 0.5, exact NUMERIC interpolation), 4 decimals.';
COMMENT ON COLUMN mart.mtfm_benchmark.p25_unit_cost IS 'Continuous 25th percentile of the trusts'' unit costs, 4 decimals.';
COMMENT ON COLUMN mart.mtfm_benchmark.p75_unit_cost IS 'Continuous 75th percentile of the trusts'' unit costs, 4 decimals.';
COMMENT ON COLUMN mart.mtfm_benchmark.n_orgs IS 'Number of trusts with units > 0 for the technology and year.';
COMMENT ON COLUMN mart.mtfm_benchmark.cost_index IS
    '100 x unit_cost / national_unit_cost (unrounded values), rounded to 1 decimal: 100 is the national cost, 120 is 20 % above it.';

CREATE OR REPLACE FUNCTION mart.refresh_benchmark() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n bigint;
BEGIN
    DELETE FROM mart.mtfm_benchmark;
    INSERT INTO mart.mtfm_benchmark
    WITH org AS (
        SELECT fin_year, technology_id, org_code, sum(units) AS units, sum(cost) AS cost
        FROM core.mtfm_activity
        WHERE technology_id <> 'UNATTRIBUTED'
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
COMMENT ON FUNCTION mart.refresh_benchmark() IS
    'Recomputes mart.mtfm_benchmark from core.mtfm_activity (contract 5.3); runs as the owner '
    'so that the loader may call it. Returns the rows written.';
REVOKE ALL ON FUNCTION mart.refresh_benchmark() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mart.refresh_benchmark() TO ncc_loader;

-- Adoption: trusts using each technology per year and region, units, and the change on the
-- year before. A view (always current); it reads core as its owner, so analysts see national
-- aggregates without access to trusts' rows.
CREATE OR REPLACE VIEW mart.adoption AS
WITH by_org AS (
    SELECT a.fin_year, a.technology_id, a.org_code, sum(a.units) AS units, sum(a.cost) AS cost
    FROM core.mtfm_activity a
    WHERE a.technology_id <> 'UNATTRIBUTED'
    GROUP BY a.fin_year, a.technology_id, a.org_code
    HAVING sum(a.units) > 0
), by_region AS (
    SELECT b.fin_year, b.technology_id, coalesce(o.region, 'Unknown') AS region,
           count(*) AS trusts, sum(b.units) AS units, sum(b.cost) AS cost
    FROM by_org b LEFT JOIN ref.organisation o ON o.org_code = b.org_code
    GROUP BY b.fin_year, b.technology_id, coalesce(o.region, 'Unknown')
)
SELECT cur.fin_year, cur.technology_id, cur.region, cur.trusts, cur.units, cur.cost,
       prev.trusts AS trusts_prev_year, prev.units AS units_prev_year,
       cur.units - coalesce(prev.units, 0) AS units_change,
       CASE WHEN prev.units > 0 THEN round(100 * (cur.units - prev.units)::numeric / prev.units, 1) END
           AS units_change_pct
FROM by_region cur
LEFT JOIN by_region prev
       ON prev.technology_id = cur.technology_id AND prev.region = cur.region
      AND prev.fin_year = lpad((left(cur.fin_year, 4)::int - 1)::text, 4, '0')
                          || lpad((left(cur.fin_year, 4)::int % 100)::text, 2, '0');
COMMENT ON VIEW mart.adoption IS
    'MTFM adoption: per financial year, technology and NHS region (ref.organisation; Unknown '
    'when the trust is not listed) the trusts that reported units, the units and cost, and the '
    'change on the year before.';
COMMENT ON COLUMN mart.adoption.fin_year IS 'Financial year YYYYZZ.';
COMMENT ON COLUMN mart.adoption.technology_id IS 'Canonical technology id.';
COMMENT ON COLUMN mart.adoption.region IS 'NHS region of the trusts (ref.organisation.region), or Unknown.';
COMMENT ON COLUMN mart.adoption.trusts IS 'Trusts in the region that reported units of the technology in the year.';
COMMENT ON COLUMN mart.adoption.units IS 'Units reported (sum of activity_count).';
COMMENT ON COLUMN mart.adoption.cost IS 'Cost reported, pounds.';
COMMENT ON COLUMN mart.adoption.trusts_prev_year IS 'Trusts the year before (null when none).';
COMMENT ON COLUMN mart.adoption.units_prev_year IS 'Units the year before (null when none).';
COMMENT ON COLUMN mart.adoption.units_change IS 'units - units of the year before (0 when none before).';
COMMENT ON COLUMN mart.adoption.units_change_pct IS 'Change on the year before in percent, 1 decimal; null when there were no units before.';
GRANT SELECT ON mart.reconciliation, mart.mtfm_benchmark, mart.adoption TO ncc_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON mart.reconciliation, mart.mtfm_benchmark TO ncc_loader;
GRANT SELECT ON mart.adoption TO ncc_loader;
