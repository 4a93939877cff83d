-- 014_cost_line_partition_keys.sql - the contract key of core.cost_line held by each partition,
-- so that the load of a year's first rows can build the key after them (docs/performance.md,
-- "Building the key of a fresh partition after its rows").
--
-- fin_year is both the partition key and the first column of the contract key (fin_year,
-- org_code, feed, activity_id, collection_resource, collection_activity): two rows in different
-- partitions differ in fin_year, so a primary key on each partition enforces exactly what the
-- parent's did. Unlike a key inherited from the parent, a partition's own key may be dropped
-- and added again in one transaction, which the loader does for a partition that is empty
-- when its first rows arrive (core.cost_line_fresh_begin / core.cost_line_fresh_end):
-- the rows go in without index maintenance and the key is then built by sorting them, which
-- costs the server less than inserting each row into a growing B-tree.
--
-- On a Citus cluster nothing changes (the key stays on the parent, as 012 distributes it) and
-- the loader never takes that way.

-- The key of one partition of core.cost_line, named <partition>_pkey.
CREATE OR REPLACE FUNCTION core.cost_line_key_add(part regclass) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    name text := (SELECT relname FROM pg_catalog.pg_class WHERE oid = part) || '_pkey';
BEGIN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY '
                   '(fin_year, org_code, feed, activity_id, collection_resource, collection_activity)',
                   part, name);
    EXECUTE format('COMMENT ON INDEX core.%I IS %L', name,
                   'The contract key of core.cost_line for the partition''s financial year (014).');
END
$fn$;
COMMENT ON FUNCTION core.cost_line_key_add(regclass) IS
    'Adds the contract key (fin_year, org_code, feed, activity_id, collection_resource, '
    'collection_activity) to a partition of core.cost_line as its primary key <partition>_pkey (014).';
REVOKE ALL ON FUNCTION core.cost_line_key_add(regclass) FROM PUBLIC;

DO $keys$
DECLARE
    p regclass;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus')
       OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint
                      WHERE conrelid = 'core.cost_line'::regclass AND conname = 'cost_line_pkey') THEN
        RETURN;
    END IF;
    ALTER TABLE core.cost_line DROP CONSTRAINT cost_line_pkey;
    FOR p IN SELECT inhrelid::regclass FROM pg_catalog.pg_inherits
             WHERE inhparent = 'core.cost_line'::regclass ORDER BY inhrelid::regclass::text
    LOOP
        PERFORM core.cost_line_key_add(p);
    END LOOP;
END
$keys$;

-- A load's first rows of financial year fy: when the year's partition is empty and no other
-- session uses it, it is locked (ACCESS EXCLUSIVE, until the load's transaction ends) and its
-- key dropped; true then. False (nothing done, no lock kept) when the partition is in use,
-- holds rows, has no key of its own (Citus), or the year has no partition.
CREATE OR REPLACE FUNCTION core.cost_line_fresh_begin(fy text) RETURNS boolean
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    part regclass := to_regclass(format('core.%I', 'cost_line_' || fy));
    key text;
    has_rows boolean;
BEGIN
    IF statement_timestamp() = transaction_timestamp() THEN
        RAISE EXCEPTION 'core.cost_line_fresh_begin belongs inside the transaction of a load'
            USING HINT = 'BEGIN first: the key it drops is built again by core.cost_line_fresh_end before COMMIT';
    END IF;
    IF part IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN false; -- no partition; or a cluster, whose shards keep their keys as they go
    END IF;
    SELECT conname INTO key FROM pg_catalog.pg_constraint WHERE conrelid = part AND contype = 'p' AND conislocal
                                                              AND coninhcount = 0;
    IF key IS NULL THEN
        RETURN false;
    END IF;
    BEGIN
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', part);
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', part) INTO STRICT has_rows;
        IF has_rows THEN
            RAISE EXCEPTION USING ERRCODE = 'lock_not_available'; -- held rows: let the lock go
        END IF;
    EXCEPTION WHEN lock_not_available THEN
        RETURN false; -- the subtransaction's lock is released with it
    END;
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', part, key);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION core.cost_line_fresh_begin(text) IS
    'For a load of the first rows of financial year fy: locks its empty partition of core.cost_line '
    '(until the transaction ends) and drops its key, to be built after the rows by '
    'core.cost_line_fresh_end; false when the partition is in use, not empty or has no own key (014).';
REVOKE ALL ON FUNCTION core.cost_line_fresh_begin(text) FROM PUBLIC;

-- After the rows: the key of the partition built from them (a sort), with room to sort a
-- year's rows in memory (maintenance_work_mem raised to 1 GB for the rest of the
-- transaction, never lowered; a sort takes only what it needs: ~130 bytes a row; 10 M rows
-- a year measured 10 % faster than with 256 MB). A duplicate key fails the statement
-- (unique_violation), as an insert would have.
CREATE OR REPLACE FUNCTION core.cost_line_fresh_end(fy text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('1GB') THEN
        PERFORM set_config('maintenance_work_mem', '1GB', true);
    END IF;
    PERFORM core.cost_line_key_add(format('core.%I', 'cost_line_' || fy)::regclass);
END
$fn$;
COMMENT ON FUNCTION core.cost_line_fresh_end(text) IS
    'Builds the key of the partition of financial year fy that core.cost_line_fresh_begin dropped, '
    'in the same transaction (014).';
REVOKE ALL ON FUNCTION core.cost_line_fresh_end(text) FROM PUBLIC;
