-- bench.sql - section 1: each trust's MTFM unit cost per financial year and technology with
-- its group's national figures (mart.mtfm_benchmark, contract 5.3), by year and technology,
-- cheapest first. $1 the financial year or NULL for every year, $2 the row cap (query.c).
SELECT b.fin_year::text AS fin_year,
       b.technology_id::text AS technology_id,
       coalesce(t.name, '') AS technology_name,
       b.org_code::text AS org_code,
       coalesce(o.name, '') AS org_name,
       b.units::text AS units,
       b.cost::text AS cost,
       b.unit_cost::text AS unit_cost,
       b.national_unit_cost::text AS national_unit_cost,
       b.median_unit_cost::text AS median_unit_cost,
       b.p25_unit_cost::text AS p25_unit_cost,
       b.p75_unit_cost::text AS p75_unit_cost,
       b.n_orgs::text AS n_orgs,
       b.cost_index::text AS cost_index
  FROM mart.mtfm_benchmark b
  LEFT JOIN ref.technology t ON t.technology_id = b.technology_id
  LEFT JOIN ref.organisation o ON o.org_code = b.org_code
 WHERE $1::text IS NULL OR b.fin_year::text = $1::text
 ORDER BY b.fin_year::text COLLATE "C", b.technology_id::text COLLATE "C", b.unit_cost,
          b.org_code::text COLLATE "C"
 LIMIT $2
