-- dashboard.sql - section 4, the MTFM dashboard: mart.mtfm_dashboard's rows with the technology's
-- name, by technology, financial year and quarter; '' for the empty saving and resource impact.
-- $1 the financial year or NULL for every year, $2 the row cap (query.c).
SELECT d.technology_id::text AS technology_id,
       coalesce(t.name, '') AS technology_name,
       d.fin_year::text AS fin_year,
       d.quarter::text AS quarter,
       d.providers_stage_0::text AS stage_0,
       d.providers_stage_1::text AS stage_1,
       d.providers_stage_2::text AS stage_2,
       d.providers_stage_3::text AS stage_3,
       d.providers_stage_4::text AS stage_4,
       d.providers_stage_5::text AS stage_5,
       d.providers_adopting::text AS adopting,
       d.patients::text AS patients,
       d.supply_units::text AS supply_units,
       coalesce(d.estimated_saving::text, '') AS estimated_saving,
       coalesce(d.resource_impact::text, '') AS resource_impact
  FROM mart.mtfm_dashboard d
  LEFT JOIN ref.technology t ON t.technology_id = d.technology_id
 WHERE $1::text IS NULL OR d.fin_year::text = $1::text
 ORDER BY d.technology_id::text COLLATE "C", d.fin_year::text COLLATE "C", d.quarter
 LIMIT $2
