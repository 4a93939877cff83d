-- adoption.sql - section 3, the table: mart.adoption's rows as they are, by technology,
-- financial year and NHS region; '' where the view has no previous year.
-- $1 the financial year or NULL for every year, $2 the row cap (query.c).
SELECT a.technology_id::text AS technology_id,
       a.fin_year::text AS fin_year,
       a.region AS region,
       a.trusts::text AS trusts,
       a.units::text AS units,
       a.cost::text AS cost,
       coalesce(a.trusts_prev_year::text, '') AS trusts_prev_year,
       coalesce(a.units_prev_year::text, '') AS units_prev_year,
       a.units_change::text AS units_change,
       coalesce(a.units_change_pct::text, '') AS units_change_pct
  FROM mart.adoption a
 WHERE $1::text IS NULL OR a.fin_year::text = $1::text
 ORDER BY a.technology_id::text COLLATE "C", a.fin_year::text COLLATE "C",
          a.region COLLATE "C"
 LIMIT $2
