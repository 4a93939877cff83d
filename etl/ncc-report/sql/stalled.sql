-- stalled.sql - section 4, the stalled list: mart.stalled_adoption with the trust's and the
-- technology's names, the longest static first. Every pair is shown whatever --fin-year says:
-- a run may start in an earlier year ($1 is not used).
-- $2 the row cap (query.c).
SELECT s.org_code::text AS org_code,
       coalesce(o.name, '') AS org_name,
       s.technology_id::text AS technology_id,
       coalesce(t.name, '') AS technology_name,
       s.stage::text AS stage,
       s.since_fin_year::text AS since_fin_year,
       s.since_quarter::text AS since_quarter,
       s.latest_fin_year::text AS latest_fin_year,
       s.latest_quarter::text AS latest_quarter,
       s.quarters::text AS quarters,
       s.supply_units::text AS supply_units
  FROM mart.stalled_adoption s
  LEFT JOIN ref.organisation o ON o.org_code = s.org_code
  LEFT JOIN ref.technology t ON t.technology_id = s.technology_id
 ORDER BY s.quarters DESC, s.org_code::text COLLATE "C", s.technology_id::text COLLATE "C"
 LIMIT $2
