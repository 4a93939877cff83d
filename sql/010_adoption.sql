-- 010_adoption.sql - MTFM adoption monitoring (DATA-CONTRACT.md §5.4-5.7, policy paras 78-81
-- and 108.4): QART stages triangulated with NHS Supply Chain and supplier sales per quarter,
-- the trusts whose adoption has stalled, and the figures of the MTFM dashboard.
--
-- Three tables, rewritten whole by mart.refresh_adoption() after every night's loads (in the
-- transaction that rewrites mart.reconciliation and mart.mtfm_benchmark: warehouse/reconcile.c).
-- They are small (trusts x technologies x quarters). Quarters: Q1 = April-June ... Q4 =
-- January-March; a quarter index (4 x the FY's first year + quarter - 1) makes Q1 of a year
-- follow Q4 of the year before, so runs of quarters cross the financial-year boundary.
--
-- Portable to a Citus layout distributed on org_code: every per-trust step groups or
-- partitions by org_code (triangulation, the trust quarters, the runs of stalled adoption);
-- only the dashboard, a national aggregate of the triangulation, is global. The trust policies
-- follow sql/007_supersede_rls.sql, so that a later migration may replace them like the others.

-- ---- helpers ---------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION mart.quarter_of_month(month integer) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ((month + 8) % 12 / 3 + 1)::smallint;
COMMENT ON FUNCTION mart.quarter_of_month(integer) IS
    'Quarter of the financial year of a calendar month 1-12: April-June 1, July-September 2, '
    'October-December 3, January-March 4.';

CREATE OR REPLACE FUNCTION mart.quarter_of_date(d date) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN mart.quarter_of_month(extract(month FROM d)::integer);
COMMENT ON FUNCTION mart.quarter_of_date(date) IS
    'Quarter of the financial year (1-4, Q1 = April-June) a date falls in; its financial year is '
    'the fin_year column of the row (core.nhssc_sales_line.fin_year).';

CREATE OR REPLACE FUNCTION mart.quarter_of_period(period text) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN mart.quarter_of_month(substr(period, 6, 2)::integer);
COMMENT ON FUNCTION mart.quarter_of_period(text) IS
    'Quarter of the financial year (1-4) of a supplier return''s period YYYY-MM (2024-03 is Q4 of '
    '202324, 2024-04 Q1 of 202425).';

CREATE OR REPLACE FUNCTION mart.quarter_index(fin_year text, quarter integer) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN left(fin_year, 4)::integer * 4 + quarter - 1;
COMMENT ON FUNCTION mart.quarter_index(text, integer) IS
    'A number per quarter that counts quarters across financial years: 4 x the first year of '
    'fin_year + quarter - 1, so Q1 of 202425 is one more than Q4 of 202324.';

CREATE OR REPLACE FUNCTION mart.quarter_fin_year(quarter_index integer) RETURNS char(6)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (quarter_index / 4)::text || lpad(((quarter_index / 4 + 1) % 100)::text, 2, '0');
COMMENT ON FUNCTION mart.quarter_fin_year(integer) IS
    'The financial year YYYYZZ of a quarter index (mart.quarter_index).';

CREATE OR REPLACE FUNCTION mart.quarter_number(quarter_index integer) RETURNS smallint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (quarter_index % 4 + 1)::smallint;
COMMENT ON FUNCTION mart.quarter_number(integer) IS
    'The quarter 1-4 of a quarter index (mart.quarter_index).';

-- A trust's QART position per quarter and technology (§2.5): the highest stage among its
-- sites, the patients summed over the sites that gave a number (null when none did).
CREATE OR REPLACE VIEW mart.qart_trust_quarter AS
SELECT q.org_code, q.fin_year, q.quarter, q.technology_id,
       mart.quarter_index(q.fin_year, q.quarter) AS quarter_index,
       max(q.stage)::smallint AS stage,
       sum(q.patients)::bigint AS patients,
       count(*)::integer AS sites
FROM core.qart_return q
GROUP BY q.org_code, q.fin_year, q.quarter, q.technology_id;
COMMENT ON VIEW mart.qart_trust_quarter IS
    'QART returns per trust (DATA-CONTRACT.md §2.5): per org_code, fin_year, quarter and technology '
    'the highest stage among the trust''s sites and their patients. Reads core as its owner, so '
    'analysts see it; trusts read their own rows in core.qart_return.';
COMMENT ON COLUMN mart.qart_trust_quarter.org_code IS 'Trust ODS code (the sites'' trust, §2.3).';
COMMENT ON COLUMN mart.qart_trust_quarter.fin_year IS 'Financial year YYYYZZ.';
COMMENT ON COLUMN mart.qart_trust_quarter.quarter IS 'Quarter 1-4 (1 = April-June).';
COMMENT ON COLUMN mart.qart_trust_quarter.technology_id IS 'Canonical technology id.';
COMMENT ON COLUMN mart.qart_trust_quarter.quarter_index IS 'mart.quarter_index(fin_year, quarter): consecutive across years.';
COMMENT ON COLUMN mart.qart_trust_quarter.stage IS 'The trust''s stage: the highest stage reported for any of its sites.';
COMMENT ON COLUMN mart.qart_trust_quarter.patients IS
    'Patients summed over the sites that gave a number; null when none did.';
COMMENT ON COLUMN mart.qart_trust_quarter.sites IS 'Number of QART rows (sites) of the trust for the technology and quarter.';

-- ---- the three marts -------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS mart.adoption_triangulation (
    fin_year             char(6)     NOT NULL,
    quarter              smallint    NOT NULL,
    org_code             varchar(5)  NOT NULL,
    technology_id        varchar(20) NOT NULL,
    qart_stage           smallint,
    qart_patients        bigint,
    nhssc_units          bigint      NOT NULL,
    supplier_nhssc_units bigint      NOT NULL,
    direct_units         bigint      NOT NULL,
    supply_units         bigint      NOT NULL,
    signal               text        NOT NULL,
    CONSTRAINT adoption_triangulation_pkey PRIMARY KEY (org_code, fin_year, quarter, technology_id),
    CONSTRAINT adoption_triangulation_quarter CHECK (quarter BETWEEN 1 AND 4),
    CONSTRAINT adoption_triangulation_stage CHECK (qart_stage BETWEEN 0 AND 5),
    CONSTRAINT adoption_triangulation_supply CHECK (supply_units = nhssc_units + direct_units),
    CONSTRAINT adoption_triangulation_signal CHECK (signal IN ('CONSISTENT_ADOPTION',
        'ADOPTION_WITHOUT_PURCHASES', 'IMPLEMENTING', 'PURCHASES_WITHOUT_ADOPTION', 'NOT_ADOPTED'))
);
COMMENT ON TABLE mart.adoption_triangulation IS
    'Adoption triangulation (DATA-CONTRACT.md §5.5, policy para 108.4): per fin_year, quarter, '
    'trust and technology the trust''s QART stage and patients beside NHS Supply Chain and '
    'supplier sales in the quarter; a row where the trust has a QART row for the technology that '
    'quarter or any of the unit columns is non-zero. Rewritten by mart.refresh_adoption().';
COMMENT ON COLUMN mart.adoption_triangulation.fin_year IS 'Financial year YYYYZZ (1 April to 31 March).';
COMMENT ON COLUMN mart.adoption_triangulation.quarter IS
    'Quarter of the financial year, 1-4: 1 = April-June, 2 = July-September, 3 = October-December, 4 = January-March.';
COMMENT ON COLUMN mart.adoption_triangulation.org_code IS
    'Trust ODS code: the trust of the QART sites and NHSSC customers (§2.3), the supplier''s customer_ods as written (§2.4).';
COMMENT ON COLUMN mart.adoption_triangulation.technology_id IS 'Canonical technology id.';
COMMENT ON COLUMN mart.adoption_triangulation.qart_stage IS
    'The trust''s QART stage that quarter: the highest of its sites'' stages (0-5); null when the trust has no QART row.';
COMMENT ON COLUMN mart.adoption_triangulation.qart_patients IS
    'Patients the trust''s sites reported for the quarter, summed over the sites that gave a number; null when none did or no QART row.';
COMMENT ON COLUMN mart.adoption_triangulation.nhssc_units IS
    'NHS Supply Chain invoice lines dated in the quarter: quantity x units_per_issue (credits negative), as §5.2.';
COMMENT ON COLUMN mart.adoption_triangulation.supplier_nhssc_units IS
    'Units suppliers report as sold through NHSSC (route NHSSC) with a period in the quarter; shown beside nhssc_units, not added.';
COMMENT ON COLUMN mart.adoption_triangulation.direct_units IS
    'Units suppliers report as sold direct (route DIRECT) with a period in the quarter.';
COMMENT ON COLUMN mart.adoption_triangulation.supply_units IS 'nhssc_units + direct_units.';
COMMENT ON COLUMN mart.adoption_triangulation.signal IS
    'First that applies: CONSISTENT_ADOPTION (stage 5, supply_units > 0); ADOPTION_WITHOUT_PURCHASES '
    '(stage 5, supply_units <= 0); IMPLEMENTING (stage 4); PURCHASES_WITHOUT_ADOPTION (supply_units > 0, '
    'stage null or 0-3); NOT_ADOPTED (otherwise).';

CREATE TABLE IF NOT EXISTS mart.stalled_adoption (
    org_code        varchar(5)  NOT NULL,
    technology_id   varchar(20) NOT NULL,
    stage           smallint    NOT NULL,
    since_fin_year  char(6)     NOT NULL,
    since_quarter   smallint    NOT NULL,
    latest_fin_year char(6)     NOT NULL,
    latest_quarter  smallint    NOT NULL,
    quarters        integer     NOT NULL,
    supply_units    bigint      NOT NULL,
    CONSTRAINT stalled_adoption_pkey PRIMARY KEY (org_code, technology_id),
    CONSTRAINT stalled_adoption_stage CHECK (stage BETWEEN 0 AND 4),
    CONSTRAINT stalled_adoption_quarters CHECK (quarters >= 3)
);
COMMENT ON TABLE mart.stalled_adoption IS
    'Stalled adoption (DATA-CONTRACT.md §5.6, policy para 108.4: adoption static for about six '
    'months calls for a review): a trust and technology whose latest QART quarters, consecutive '
    '(Q1 follows the previous year''s Q4), all have the same trust stage, below 5, for at least 3 '
    'quarters. Rewritten by mart.refresh_adoption().';
COMMENT ON COLUMN mart.stalled_adoption.org_code IS 'Trust ODS code.';
COMMENT ON COLUMN mart.stalled_adoption.technology_id IS 'Canonical technology id.';
COMMENT ON COLUMN mart.stalled_adoption.stage IS 'The trust stage held through the run (0-4).';
COMMENT ON COLUMN mart.stalled_adoption.since_fin_year IS 'Financial year of the first quarter of the run.';
COMMENT ON COLUMN mart.stalled_adoption.since_quarter IS 'First quarter of the run (1-4).';
COMMENT ON COLUMN mart.stalled_adoption.latest_fin_year IS
    'Financial year of the trust''s latest quarter with a QART row for the technology (the end of the run).';
COMMENT ON COLUMN mart.stalled_adoption.latest_quarter IS 'Latest quarter with a QART row (1-4).';
COMMENT ON COLUMN mart.stalled_adoption.quarters IS 'Length of the run in quarters (at least 3).';
COMMENT ON COLUMN mart.stalled_adoption.supply_units IS
    'Supply units (NHSSC + direct, as mart.adoption_triangulation) of the trust and technology summed over the run''s quarters.';

CREATE TABLE IF NOT EXISTS mart.mtfm_dashboard (
    fin_year           char(6)       NOT NULL,
    quarter            smallint      NOT NULL,
    technology_id      varchar(20)   NOT NULL,
    providers_stage_0  integer       NOT NULL,
    providers_stage_1  integer       NOT NULL,
    providers_stage_2  integer       NOT NULL,
    providers_stage_3  integer       NOT NULL,
    providers_stage_4  integer       NOT NULL,
    providers_stage_5  integer       NOT NULL,
    providers_adopting integer       NOT NULL,
    patients           bigint        NOT NULL,
    supply_units       bigint        NOT NULL,
    estimated_saving   numeric(22,4),
    resource_impact    numeric(22,4),
    CONSTRAINT mtfm_dashboard_pkey PRIMARY KEY (fin_year, quarter, technology_id),
    CONSTRAINT mtfm_dashboard_quarter CHECK (quarter BETWEEN 1 AND 4),
    CONSTRAINT mtfm_dashboard_adopting CHECK (providers_adopting = providers_stage_5)
);
COMMENT ON TABLE mart.mtfm_dashboard IS
    'The figures of the MTFM data dashboard (DATA-CONTRACT.md §5.7, policy para 78): per fin_year, '
    'quarter and technology with at least one QART row, the trusts at each stage, patients, supply '
    'units, the estimated saving and NICE''s resource impact. National aggregates for analysts. '
    'Rewritten by mart.refresh_adoption().';
COMMENT ON COLUMN mart.mtfm_dashboard.fin_year IS 'Financial year YYYYZZ.';
COMMENT ON COLUMN mart.mtfm_dashboard.quarter IS 'Quarter 1-4 (1 = April-June).';
COMMENT ON COLUMN mart.mtfm_dashboard.technology_id IS 'Canonical technology id.';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_stage_0 IS 'Trusts at stage 0 (No information) that quarter.';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_stage_1 IS 'Trusts at stage 1 (Knowledge).';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_stage_2 IS 'Trusts at stage 2 (Interest).';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_stage_3 IS 'Trusts at stage 3 (Decision: a firm decision not to implement).';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_stage_4 IS 'Trusts at stage 4 (Implementation).';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_stage_5 IS 'Trusts at stage 5 (Adoption).';
COMMENT ON COLUMN mart.mtfm_dashboard.providers_adopting IS 'Trusts adopting: those at stage 5 (= providers_stage_5).';
COMMENT ON COLUMN mart.mtfm_dashboard.patients IS 'Patients the trusts reported for the quarter, summed; 0 when none gave a number.';
COMMENT ON COLUMN mart.mtfm_dashboard.supply_units IS
    'Supply units (NHSSC + direct) of every trust in the quarter, with or without a QART row (as mart.adoption_triangulation).';
COMMENT ON COLUMN mart.mtfm_dashboard.estimated_saving IS
    'patients x ref.resource_impact.saving_per_patient, pounds; null when the technology has no saving per patient.';
COMMENT ON COLUMN mart.mtfm_dashboard.resource_impact IS
    'The technology''s five-year resource impact as published in Annex 2 (ref.resource_impact), pounds, '
    'never recomputed; a group''s figure on each of its technologies; null when none.';

-- ---- refresh ---------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION mart.refresh_adoption() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n bigint;
BEGIN
    DELETE FROM mart.mtfm_dashboard;
    DELETE FROM mart.stalled_adoption;
    DELETE FROM mart.adoption_triangulation;

    -- §5.5: per trust, quarter and technology (grouped by org_code at every step)
    INSERT INTO mart.adoption_triangulation
    WITH nhssc AS (
        SELECT l.org_code, l.fin_year, mart.quarter_of_date(l.invoice_date) AS quarter,
               l.technology_id, sum(l.units) AS units
        FROM core.nhssc_sales_line l
        WHERE l.technology_id IS NOT NULL
        GROUP BY l.org_code, l.fin_year, mart.quarter_of_date(l.invoice_date), l.technology_id
    ), supplier AS (
        SELECT s.org_code, s.fin_year, mart.quarter_of_period(s.period) AS quarter, s.technology_id,
               sum(s.units) FILTER (WHERE s.route = 'NHSSC') AS nhssc_route_units,
               sum(s.units) FILTER (WHERE s.route = 'DIRECT') AS direct_units
        FROM core.supplier_sales s
        GROUP BY s.org_code, s.fin_year, mart.quarter_of_period(s.period), s.technology_id
    ), side AS (
        SELECT org_code, fin_year, quarter, technology_id,
               sum(nhssc_units) AS nhssc_units, sum(nhssc_route_units) AS nhssc_route_units,
               sum(direct_units) AS direct_units
        FROM (SELECT org_code, fin_year, quarter, technology_id, units AS nhssc_units,
                     NULL::numeric AS nhssc_route_units, NULL::numeric AS direct_units
              FROM nhssc
              UNION ALL
              SELECT org_code, fin_year, quarter, technology_id, NULL, nhssc_route_units, direct_units
              FROM supplier) u
        GROUP BY org_code, fin_year, quarter, technology_id
    ), joined AS (
        SELECT coalesce(t.org_code, s.org_code) AS org_code,
               coalesce(t.fin_year, s.fin_year) AS fin_year,
               coalesce(t.quarter, s.quarter) AS quarter,
               coalesce(t.technology_id, s.technology_id) AS technology_id,
               t.stage, t.patients,
               coalesce(s.nhssc_units, 0)::bigint AS nhssc_units,
               coalesce(s.nhssc_route_units, 0)::bigint AS supplier_nhssc_units,
               coalesce(s.direct_units, 0)::bigint AS direct_units,
               t.org_code IS NOT NULL AS has_qart
        FROM mart.qart_trust_quarter t
        FULL JOIN side s
               ON s.org_code = t.org_code AND s.fin_year = t.fin_year AND s.quarter = t.quarter
              AND s.technology_id = t.technology_id
    )
    SELECT j.fin_year, j.quarter, j.org_code, j.technology_id, j.stage, j.patients,
           j.nhssc_units, j.supplier_nhssc_units, j.direct_units,
           j.nhssc_units + j.direct_units,
           CASE WHEN j.stage = 5 AND j.nhssc_units + j.direct_units > 0 THEN 'CONSISTENT_ADOPTION'
                WHEN j.stage = 5 THEN 'ADOPTION_WITHOUT_PURCHASES'
                WHEN j.stage = 4 THEN 'IMPLEMENTING'
                WHEN j.nhssc_units + j.direct_units > 0 THEN 'PURCHASES_WITHOUT_ADOPTION'
                ELSE 'NOT_ADOPTED' END
    FROM joined j
    WHERE j.has_qart OR j.nhssc_units <> 0 OR j.supplier_nhssc_units <> 0 OR j.direct_units <> 0;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- §5.6: the run of equal stages that ends at the trust's latest QART quarter (gaps and
    -- islands: within one stage, consecutive quarter indexes minus their rank are constant)
    INSERT INTO mart.stalled_adoption
    WITH tq AS (
        SELECT t.org_code, t.technology_id, t.stage, t.quarter_index,
               t.quarter_index - row_number() OVER (PARTITION BY t.org_code, t.technology_id, t.stage
                                                    ORDER BY t.quarter_index) AS island,
               max(t.quarter_index) OVER (PARTITION BY t.org_code, t.technology_id) AS latest
        FROM mart.qart_trust_quarter t
    ), run AS (
        SELECT org_code, technology_id, stage, min(quarter_index) AS since, max(quarter_index) AS upto,
               count(*) AS quarters
        FROM tq
        GROUP BY org_code, technology_id, stage, island
        HAVING max(quarter_index) = max(latest)
    )
    SELECT r.org_code, r.technology_id, r.stage,
           mart.quarter_fin_year(r.since), mart.quarter_number(r.since),
           mart.quarter_fin_year(r.upto), mart.quarter_number(r.upto), r.quarters,
           coalesce(sum(a.supply_units), 0)
    FROM run r
    LEFT JOIN mart.adoption_triangulation a
           ON a.org_code = r.org_code AND a.technology_id = r.technology_id
          AND mart.quarter_index(a.fin_year, a.quarter) BETWEEN r.since AND r.upto
    WHERE r.stage < 5 AND r.quarters >= 3
    GROUP BY r.org_code, r.technology_id, r.stage, r.since, r.upto, r.quarters;

    -- §5.7: national figures per quarter and technology with at least one QART row
    INSERT INTO mart.mtfm_dashboard
    SELECT a.fin_year, a.quarter, a.technology_id,
           count(*) FILTER (WHERE a.qart_stage = 0), count(*) FILTER (WHERE a.qart_stage = 1),
           count(*) FILTER (WHERE a.qart_stage = 2), count(*) FILTER (WHERE a.qart_stage = 3),
           count(*) FILTER (WHERE a.qart_stage = 4), count(*) FILTER (WHERE a.qart_stage = 5),
           count(*) FILTER (WHERE a.qart_stage = 5),
           coalesce(sum(a.qart_patients), 0), sum(a.supply_units),
           coalesce(sum(a.qart_patients), 0) * min(ri.saving_per_patient),
           min(ri.resource_impact)
    FROM mart.adoption_triangulation a
    LEFT JOIN ref.resource_impact ri ON ri.technology_id = a.technology_id
    GROUP BY a.fin_year, a.quarter, a.technology_id
    HAVING count(a.qart_stage) > 0;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION mart.refresh_adoption() IS
    'Recomputes mart.adoption_triangulation, mart.stalled_adoption and mart.mtfm_dashboard from '
    'core.qart_return, core.nhssc_sales_line, core.supplier_sales and ref.resource_impact '
    '(DATA-CONTRACT.md §5.5-5.7); runs as the owner so that the loader may call it. Returns the '
    'triangulation rows written.';
REVOKE ALL ON FUNCTION mart.refresh_adoption() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION mart.refresh_adoption() TO ncc_loader;

-- ---- access ----------------------------------------------------------------------------------
-- Analysts read every mart (the default privileges of 001 grant them SELECT on the new tables
-- and the view); per-trust roles read their own triangulation rows and stalled pairs, never the
-- national dashboard; the loader writes through mart.refresh_adoption().

GRANT USAGE ON SCHEMA mart TO ncc_trust;
DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['adoption_triangulation', 'stalled_adoption'] LOOP
        EXECUTE format('ALTER TABLE mart.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS trust_read ON mart.%I', t);
        EXECUTE format($p$CREATE POLICY trust_read ON mart.%1$I AS PERMISSIVE FOR SELECT TO ncc_trust
                          USING (org_code = ANY (ARRAY(
                              SELECT tr.org_code FROM ref.trust_role tr
                              JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
                              WHERE pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))))$p$, t);
        EXECUTE format('COMMENT ON POLICY trust_read ON mart.%I IS %L', t,
                       'Members of ncc_trust read the rows of the organisations mapped in ref.trust_role '
                       'to a role they are members of (computed once per query).');
        EXECUTE format('DROP POLICY IF EXISTS analyst_read ON mart.%I', t);
        EXECUTE format('CREATE POLICY analyst_read ON mart.%I AS PERMISSIVE FOR SELECT TO ncc_analyst '
                       'USING (true)', t);
        EXECUTE format('COMMENT ON POLICY analyst_read ON mart.%I IS %L', t, 'Analysts read every row.');
        EXECUTE format('DROP POLICY IF EXISTS loader_all ON mart.%I', t);
        EXECUTE format('CREATE POLICY loader_all ON mart.%I AS PERMISSIVE FOR ALL TO ncc_loader '
                       'USING (true) WITH CHECK (true)', t);
        EXECUTE format('COMMENT ON POLICY loader_all ON mart.%I IS %L', t,
                       'The loader reads and writes every row.');
        EXECUTE format('GRANT SELECT ON mart.%I TO ncc_analyst, ncc_trust', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON mart.%I TO ncc_loader', t);
    END LOOP;
END
$rls$;
GRANT SELECT ON mart.mtfm_dashboard, mart.qart_trust_quarter TO ncc_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON mart.mtfm_dashboard TO ncc_loader;
GRANT SELECT ON mart.qart_trust_quarter TO ncc_loader;
REVOKE ALL ON mart.mtfm_dashboard, mart.qart_trust_quarter FROM ncc_trust;

COMMENT ON SCHEMA mart IS
    'Derived tables for analysts (DATA-CONTRACT.md §5.2, §5.3, §5.5-5.7): reconciliation, MTFM '
    'unit-cost benchmark, adoption, adoption triangulation, stalled adoption and the MTFM '
    'dashboard. Rebuilt from core after each load; per-trust roles read their own rows of the '
    'triangulation and the stalled list.';
