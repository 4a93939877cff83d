-- sql/citus/04_distribute.sql - step 4 of 4 of the move to Citus (docs/scale-out.md §4): every
-- core table hash-distributed by org_code, all in one colocation group.
--
-- A trust's cost lines, submissions, ledger rows, MTFM aggregates, NHSSC lines and supplier
-- returns then live on the same shard. Each thing the pipeline does per trust stays on one
-- shard: the replace of a submission, the ±1 % ledger check, the MTFM aggregates of a
-- submission, and the four per-trust sums of ncc-reconcile (all grouped by org_code).
--
-- What Citus requires, and why this schema already meets it (tests/integration/
-- test_scaleout_keys.sh checks the catalogue for each point):
--   * every primary key and unique index of a distributed table includes the distribution
--     column: every key in core starts with or contains org_code;
--   * the distribution column is NOT NULL and has the same type and collation in every table
--     of a colocation group: org_code is varchar(5) NOT NULL everywhere;
--   * a partitioned table has one level of partitions: core.cost_line is partitioned by list
--     on fin_year, and each of its 26 partitions is a plain table (the partitions are
--     distributed with their parent, colocated with it);
--   * no foreign keys between core and local tables: core has none (file_load_id is not a
--     foreign key, by design: sql/003_core.sql);
--   * no row-level security policy with a subquery: 02_portable.sql replaced them (this file
--     refuses to run if one is left).
--
-- 64 shards: a little over three trusts a shard among the ~220 that submit to the NCC, and 16
-- a worker on 4 workers. More shards than trusts would add nothing, because a trust's rows
-- always stay together. Tables that already hold rows are copied into their shards by
-- create_distributed_table, in this one transaction. For a large warehouse it is quicker to
-- distribute empty tables and reload the archived files (docs/scale-out.md §4). Then run
-- truncate_local_data_after_distributing_table() for each table, as Citus's notice says.
--
-- Run after 01, 02 and 03, as the warehouse owner, on the coordinator. Does nothing but raise
-- a NOTICE when the citus extension is not installed; a table already distributed is left as
-- it is.

DO $citus$
DECLARE
    t regclass;
    anchor regclass;
    bad text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'citus') THEN
        RAISE NOTICE 'sql/citus/04_distribute.sql: the citus extension is not installed on this server '
                     '(not in pg_available_extensions): nothing done';
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'the citus extension is not created in this database'
            USING HINT = 'run sql/citus/01_extension.sql first';
    END IF;

    -- Citus refuses to distribute a table whose policies hold a subquery: say which, and how.
    SELECT string_agg(format('%s on %s', pol.polname, pol.polrelid::regclass), ', ') INTO bad
    FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
    WHERE c.relnamespace = 'core'::regnamespace
      AND (pol.polqual::text LIKE '%{SUBLINK%' OR coalesce(pol.polwithcheck::text, '') LIKE '%{SUBLINK%');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'row-level security policies with a subquery cannot be distributed: %', bad
            USING HINT = 'run sql/citus/02_portable.sql first';
    END IF;

    -- Every core table must carry the distribution column.
    SELECT string_agg(c.oid::regclass::text, ', ') INTO bad
    FROM pg_catalog.pg_class c
    WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'org_code' AND a.attnotnull AND NOT a.attisdropped);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'core table(s) without a NOT NULL org_code, the distribution column: %', bad
            USING HINT = 'add org_code to the table and to each of its unique keys (DESIGN.md §4)';
    END IF;

    anchor := 'core.submission';  -- the first of the colocation group
    PERFORM set_config('citus.shard_count', '64', true);

    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = anchor) THEN
        PERFORM create_distributed_table(anchor, 'org_code', colocate_with => 'none');
    END IF;
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
        ORDER BY c.relname
    LOOP
        PERFORM create_distributed_table(t, 'org_code', colocate_with => anchor::text);
    END LOOP;

    RAISE NOTICE 'sql/citus/04_distribute.sql: % core table(s) distributed by org_code in % shard(s) each',
        (SELECT count(*) FROM pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
         WHERE c.relnamespace = 'core'::regnamespace AND NOT c.relispartition),
        (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = anchor);
END
$citus$;
