-- sql/citus/03_reference.sql - step 3 of 4 of the move to Citus (docs/scale-out.md §4): the
-- small tables. Reference tables are copied whole to every node. The audit tables stay on
-- the coordinator but go into Citus's metadata.
--
--   ref.*          reference tables. Every node joins cost lines, invoice lines and returns
--                  with them locally. They are small (hundreds of rows) and change once a
--                  night, when the pipeline reloads them in one transaction, and Citus then
--                  writes every copy. Their foreign keys (technology_alias, product_map and
--                  procedure_map -> technology) are between reference tables, which Citus
--                  supports, so the referenced table goes first. ref.product_map's identity
--                  column is bigint, the only type Citus accepts.
--   mart.reconciliation, mart.mtfm_benchmark
--                  reference tables as well. They are computed per shard (docs/scale-out.md
--                  §5) but stored whole, because they are small (trusts x technologies x
--                  years) and analysts join them freely with ref and with each other
--                  (docs/warehouse.md §7, window functions and outer joins included). On a
--                  reference table such a query runs on one node with all of PostgreSQL's
--                  SQL; on a distributed table some of these forms would be refused or
--                  repartitioned. mart.adoption stays a view over core.mtfm_activity.
--   audit.*        Citus local tables: one copy on the coordinator, in Citus's metadata.
--                  They are written once per file in the same transaction as the file's rows,
--                  so one placement is enough, with no cluster-wide two-phase commit for each
--                  audit row as a reference table would need. Being in the metadata, they can
--                  still be read and written from a worker (a loader connected to a worker,
--                  docs/scale-out.md §7) and joined with core. Their foreign keys
--                  (file_error -> file_load -> run) are kept: the three are added together.
--   public.ncc_schema_version stays a plain local table: ncc-migrate runs on the coordinator.
--
-- Run after 01 and 02, as the warehouse owner, on the coordinator. Does nothing but raise a
-- NOTICE when the citus extension is not installed; a table already in Citus's metadata is
-- left as it is.

DO $citus$
DECLARE
    t regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'citus') THEN
        RAISE NOTICE 'sql/citus/03_reference.sql: the citus extension is not installed on this server '
                     '(not in pg_available_extensions): nothing done';
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not created in this database'
            USING HINT = 'run sql/citus/01_extension.sql first';
    END IF;

    -- referenced tables before the tables whose foreign keys point at them
    FOREACH t IN ARRAY ARRAY['ref.technology', 'ref.technology_alias', 'ref.product_map',
                             'ref.procedure_map', 'ref.organisation', 'ref.trust_role',
                             'mart.reconciliation', 'mart.mtfm_benchmark']::regclass[]
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = t) THEN
            PERFORM create_reference_table(t);
        END IF;
    END LOOP;

    -- any ref table added by a later migration, so that none stays local by mistake
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'ref'::regnamespace AND c.relkind = 'r'
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
        ORDER BY c.relname
    LOOP
        PERFORM create_reference_table(t);
    END LOOP;

    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'audit.run'::regclass) THEN
        PERFORM citus_add_local_table_to_metadata('audit.run', cascade_via_foreign_keys => true);
    END IF;

    RAISE NOTICE 'sql/citus/03_reference.sql: % reference table(s), % Citus local table(s)',
        (SELECT count(*) FROM pg_dist_partition WHERE partmethod = 'n' AND repmodel = 't'),
        (SELECT count(*) FROM pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
         WHERE c.relnamespace = 'audit'::regnamespace);
END
$citus$;
