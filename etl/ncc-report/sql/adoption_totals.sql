-- adoption_totals.sql - section 3, the charts: trusts and units per technology and financial
-- year, all regions together (sums over mart.adoption), by technology and year.
-- $1 the financial year or NULL for every year, $2 the row cap (query.c).
SELECT a.technology_id::text AS technology_id,
       coalesce(min(t.name), '') AS technology_name,
       a.fin_year::text AS fin_year,
       sum(a.trusts)::text AS trusts,
       sum(a.units)::text AS units
  FROM mart.adoption a
  LEFT JOIN ref.technology t ON t.technology_id = a.technology_id
 WHERE $1::text IS NULL OR a.fin_year::text = $1::text
 GROUP BY a.technology_id, a.fin_year
 ORDER BY a.technology_id::text COLLATE "C", a.fin_year::text COLLATE "C"
 LIMIT $2
