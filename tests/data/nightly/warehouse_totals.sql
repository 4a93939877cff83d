-- tests/data/nightly/warehouse_totals.sql - the warehouse as comparable text: one line per key
-- of every core and mart table (counts, sums and an order-free hash of the rows' contents).
-- Two databases loaded from the same files must print the same lines, whatever the order,
-- the number of runs or the --jobs used; file_load_id, loaded_at and computed_at are left out
-- (they name the load, not the data). Used by tests/integration/test_nightly.sh and
-- tests/fault/test_fault.sh:  psql -XAtq -v ON_ERROR_STOP=1 -f warehouse_totals.sql
--
-- h=: the sum of a 64-bit hash of each row's text per key (order-free, no large strings).
SELECT line FROM (
    SELECT format('core.cost_line %s %s %s rows=%s units=%s cost=%s mtfm_lines=%s h=%s',
                  fin_year, org_code, feed, count(*), sum(activity_count), sum(cost),
                  count(*) FILTER (WHERE technology_id IS NOT NULL),
                  sum(hashtextextended(row(fin_year, org_code, feed, activity_id, currency_code, service_code,
                                           department_code, opcs_procedure, collection_resource,
                                           collection_activity, technology_id, activity_count, cost)::text,
                                       0)::numeric))
    FROM core.cost_line GROUP BY fin_year, org_code, feed
  UNION ALL
    SELECT format('core.submission %s %s %s rows=%s cost=%s sha256=%s', fin_year, org_code, feed, rows, cost, sha256)
    FROM core.submission
  UNION ALL
    SELECT format('core.ledger %s %s %s ledger_cost=%s sha256=%s', fin_year, org_code, feed, ledger_cost, sha256)
    FROM core.ledger
  UNION ALL
    SELECT format('core.nhssc_sales_line %s %s rows=%s quantity=%s units=%s value=%s mtfm_lines=%s h=%s',
                  fin_year, org_code, count(*), sum(quantity), sum(units), sum(line_value_ex_vat),
                  count(*) FILTER (WHERE technology_id IS NOT NULL),
                  sum(hashtextextended((to_jsonb(x) - 'file_load_id')::text, 0)::numeric))
    FROM core.nhssc_sales_line x GROUP BY fin_year, org_code
  UNION ALL
    SELECT format('core.supplier_sales %s %s rows=%s units=%s value=%s h=%s',
                  fin_year, org_code, count(*), sum(units), sum(value_ex_vat),
                  sum(hashtextextended((to_jsonb(x) - 'file_load_id')::text, 0)::numeric))
    FROM core.supplier_sales x GROUP BY fin_year, org_code
  UNION ALL
    SELECT format('core.mtfm_activity %s %s %s %s lines=%s units=%s cost=%s',
                  fin_year, org_code, feed, technology_id, lines, units, cost)
    FROM core.mtfm_activity
  UNION ALL
    SELECT format('mart.reconciliation %s %s %s ncc=%s/%s nhssc=%s/%s direct=%s/%s supply=%s/%s %s',
                  fin_year, org_code, technology_id, ncc_units, ncc_cost, nhssc_units, nhssc_value,
                  direct_units, direct_value, supply_units, supply_value, status)
    FROM mart.reconciliation
  UNION ALL
    SELECT format('mart.mtfm_benchmark %s', (to_jsonb(b))::text) FROM mart.mtfm_benchmark b
  UNION ALL
    SELECT format('mart.adoption %s', (to_jsonb(a))::text) FROM mart.adoption a
) t(line)
ORDER BY line COLLATE "C";
