-- independent.sql - contract §5.5-5.7 computed a second way, for tests/integration/test_adoption.sh.
--
-- Written from DATA-CONTRACT.md, not from sql/010_adoption.sql, and sharing none of its helpers:
--   * quarters by CASE on the month, financial years by date arithmetic (not the loader's
--     fin_year columns); a quarter's successor by explicit arithmetic on (year, quarter);
--   * the NHSSC side from the raw invoice columns: organisation from customer_ods and
--     ref.organisation, technology from ref.product_map (NPC first, then GTIN) and
--     ref.technology_alias, units = quantity x units_per_issue (not the loader's org_code,
--     technology_id and units columns);
--   * the trust's stage and patients from core.qart_return (not mart.qart_trust_quarter);
--   * stalled adoption by a recursive walk back from the latest quarter, one quarter at a time
--     (not gaps and islands).
-- Creates three temporary views, indep_triangulation, indep_stalled and indep_dashboard, with
-- the columns of the marts in order; the test compares them with EXCEPT both ways.

CREATE TEMP VIEW indep_qart AS
SELECT q.org_code::text AS org, q.fin_year::text AS fy, q.quarter::int AS qtr,
       q.technology_id::text AS tech, max(q.stage)::int AS stage,
       CASE WHEN count(q.patients) = 0 THEN NULL ELSE sum(q.patients) END AS patients
FROM core.qart_return q
GROUP BY 1, 2, 3, 4;

CREATE TEMP VIEW indep_nhssc AS
WITH line AS (
    SELECT l.invoice_date AS d,
           CASE WHEN EXISTS (SELECT 1 FROM ref.organisation o WHERE o.org_code = l.customer_ods)
                     THEN l.customer_ods
                WHEN NOT EXISTS (SELECT 1 FROM ref.organisation) AND length(l.customer_ods) = 3
                     THEN l.customer_ods
                WHEN length(l.customer_ods) = 5 THEN left(l.customer_ods, 3)
                ELSE l.customer_ods END::text AS org,
           coalesce(by_npc.technology_id, by_gtin.technology_id) AS mapped,
           CASE WHEN by_npc.technology_id IS NOT NULL THEN by_npc.units_per_issue
                ELSE by_gtin.units_per_issue END AS per_issue,
           l.quantity
    FROM core.nhssc_sales_line l
    LEFT JOIN LATERAL (SELECT p.technology_id, p.units_per_issue FROM ref.product_map p
                       WHERE p.npc = l.npc ORDER BY p.product_map_id LIMIT 1) by_npc ON true
    LEFT JOIN LATERAL (SELECT p.technology_id, p.units_per_issue FROM ref.product_map p
                       WHERE p.gtin = l.gtin ORDER BY p.product_map_id LIMIT 1) by_gtin ON true
)
SELECT org,
       (extract(year FROM d)::int - CASE WHEN extract(month FROM d) <= 3 THEN 1 ELSE 0 END) AS y,
       CASE WHEN extract(month FROM d) BETWEEN 4 AND 6 THEN 1
            WHEN extract(month FROM d) BETWEEN 7 AND 9 THEN 2
            WHEN extract(month FROM d) BETWEEN 10 AND 12 THEN 3
            ELSE 4 END AS qtr,
       coalesce(a.technology_id, l.mapped)::text AS tech,
       l.quantity * l.per_issue AS units
FROM line l LEFT JOIN ref.technology_alias a ON a.alias_id = l.mapped
WHERE l.mapped IS NOT NULL;

CREATE TEMP VIEW indep_supplier AS
SELECT s.customer_ods::text AS org,
       left(s.period, 4)::int - CASE WHEN substr(s.period, 6, 2)::int <= 3 THEN 1 ELSE 0 END AS y,
       CASE WHEN substr(s.period, 6, 2)::int BETWEEN 4 AND 6 THEN 1
            WHEN substr(s.period, 6, 2)::int BETWEEN 7 AND 9 THEN 2
            WHEN substr(s.period, 6, 2)::int BETWEEN 10 AND 12 THEN 3
            ELSE 4 END AS qtr,
       coalesce(a.technology_id, s.technology_id)::text AS tech, s.route, s.units
FROM core.supplier_sales s LEFT JOIN ref.technology_alias a ON a.alias_id = s.technology_id;

CREATE TEMP VIEW indep_triangulation AS
WITH supply AS (
    SELECT org, y::text || lpad(((y + 1) % 100)::text, 2, '0') AS fy, qtr, tech,
           sum(nh) AS nh, sum(sn) AS sn, sum(di) AS di
    FROM (SELECT org, y, qtr, tech, units AS nh, 0 AS sn, 0 AS di FROM indep_nhssc
          UNION ALL
          SELECT org, y, qtr, tech, 0, CASE WHEN route = 'NHSSC' THEN units ELSE 0 END,
                 CASE WHEN route = 'DIRECT' THEN units ELSE 0 END
          FROM indep_supplier) u
    GROUP BY 1, 2, 3, 4
), keys AS (
    SELECT org, fy, qtr, tech FROM indep_qart
    UNION
    SELECT org, fy, qtr, tech FROM supply WHERE nh <> 0 OR sn <> 0 OR di <> 0
), r AS (
    SELECT k.fy, k.qtr, k.org, k.tech, q.stage, q.patients,
           coalesce(s.nh, 0)::bigint AS nh, coalesce(s.sn, 0)::bigint AS sn,
           coalesce(s.di, 0)::bigint AS di
    FROM keys k
    LEFT JOIN indep_qart q ON (q.org, q.fy, q.qtr, q.tech) = (k.org, k.fy, k.qtr, k.tech)
    LEFT JOIN supply s ON (s.org, s.fy, s.qtr, s.tech) = (k.org, k.fy, k.qtr, k.tech)
)
SELECT fy AS fin_year, qtr AS quarter, org AS org_code, tech AS technology_id,
       stage AS qart_stage, patients::bigint AS qart_patients, nh AS nhssc_units,
       sn AS supplier_nhssc_units, di AS direct_units, nh + di AS supply_units,
       CASE WHEN stage = 5 AND nh + di > 0 THEN 'CONSISTENT_ADOPTION'
            WHEN stage = 5 AND nh + di <= 0 THEN 'ADOPTION_WITHOUT_PURCHASES'
            WHEN stage = 4 THEN 'IMPLEMENTING'
            WHEN nh + di > 0 AND (stage IS NULL OR stage BETWEEN 0 AND 3) THEN 'PURCHASES_WITHOUT_ADOPTION'
            ELSE 'NOT_ADOPTED' END AS signal
FROM r;

-- Walk back from each pair's latest QART quarter while the previous quarter (Q4 of the year
-- before, for a Q1) has a QART row with the same stage.
CREATE TEMP VIEW indep_stalled AS
WITH RECURSIVE latest AS (
    SELECT DISTINCT ON (org, tech) org, tech, fy, qtr, stage
    FROM indep_qart
    ORDER BY org, tech, fy DESC, qtr DESC
), walk AS (
    SELECT org, tech, stage, fy, qtr, 1 AS n FROM latest
    UNION ALL
    SELECT w.org, w.tech, w.stage, p.fy, p.qtr, w.n + 1
    FROM walk w
    JOIN indep_qart p
      ON p.org = w.org AND p.tech = w.tech AND p.stage = w.stage
     AND ((w.qtr > 1 AND p.fy = w.fy AND p.qtr = w.qtr - 1)
          OR (w.qtr = 1 AND p.qtr = 4
              AND p.fy = (left(w.fy, 4)::int - 1)::text || right(left(w.fy, 4), 2)))
), span AS (
    SELECT DISTINCT ON (org, tech) org, tech, stage, fy AS since_fy, qtr AS since_q, n
    FROM walk ORDER BY org, tech, n DESC
)
SELECT s.org AS org_code, s.tech AS technology_id, s.stage,
       s.since_fy AS since_fin_year, s.since_q AS since_quarter,
       l.fy AS latest_fin_year, l.qtr AS latest_quarter, s.n AS quarters,
       coalesce((SELECT sum(t.supply_units) FROM indep_triangulation t
                 JOIN walk w ON w.org = t.org_code AND w.tech = t.technology_id
                            AND w.fy = t.fin_year AND w.qtr = t.quarter
                 WHERE t.org_code = s.org AND t.technology_id = s.tech), 0)::bigint AS supply_units
FROM span s JOIN latest l ON l.org = s.org AND l.tech = s.tech
WHERE s.stage < 5 AND s.n >= 3;

CREATE TEMP VIEW indep_dashboard AS
SELECT t.fin_year, t.quarter, t.technology_id,
       sum(CASE WHEN t.qart_stage = 0 THEN 1 ELSE 0 END) AS providers_stage_0,
       sum(CASE WHEN t.qart_stage = 1 THEN 1 ELSE 0 END) AS providers_stage_1,
       sum(CASE WHEN t.qart_stage = 2 THEN 1 ELSE 0 END) AS providers_stage_2,
       sum(CASE WHEN t.qart_stage = 3 THEN 1 ELSE 0 END) AS providers_stage_3,
       sum(CASE WHEN t.qart_stage = 4 THEN 1 ELSE 0 END) AS providers_stage_4,
       sum(CASE WHEN t.qart_stage = 5 THEN 1 ELSE 0 END) AS providers_stage_5,
       sum(CASE WHEN t.qart_stage = 5 THEN 1 ELSE 0 END) AS providers_adopting,
       sum(coalesce(t.qart_patients, 0)) AS patients,
       sum(t.supply_units) AS supply_units,
       (SELECT sum(coalesce(t2.qart_patients, 0)) * ri.saving_per_patient
        FROM indep_triangulation t2
        WHERE (t2.fin_year, t2.quarter, t2.technology_id) = (t.fin_year, t.quarter, t.technology_id))
           AS estimated_saving,
       ri.resource_impact
FROM indep_triangulation t
LEFT JOIN ref.resource_impact ri ON ri.technology_id = t.technology_id
GROUP BY t.fin_year, t.quarter, t.technology_id, ri.saving_per_patient, ri.resource_impact
HAVING bool_or(t.qart_stage IS NOT NULL);
