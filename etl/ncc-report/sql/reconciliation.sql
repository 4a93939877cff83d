-- reconciliation.sql - section 2: the reconciliation status of each trust and technology per
-- financial year (mart.reconciliation, contract 5.2), by year, trust and technology.
-- $1 the financial year or NULL for every year, $2 the row cap (query.c).
SELECT r.fin_year::text AS fin_year,
       r.org_code::text AS org_code,
       coalesce(o.name, '') AS org_name,
       r.technology_id::text AS technology_id,
       coalesce(t.name, '') AS technology_name,
       r.status AS status,
       r.ncc_units::text AS ncc_units,
       r.supply_units::text AS supply_units,
       r.tolerance::text AS tolerance,
       to_char(r.computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS computed_at
  FROM mart.reconciliation r
  LEFT JOIN ref.technology t ON t.technology_id = r.technology_id
  LEFT JOIN ref.organisation o ON o.org_code = r.org_code
 WHERE $1::text IS NULL OR r.fin_year::text = $1::text
 ORDER BY r.fin_year::text COLLATE "C", r.org_code::text COLLATE "C",
          r.technology_id::text COLLATE "C"
 LIMIT $2
