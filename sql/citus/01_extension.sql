-- sql/citus/01_extension.sql - step 1 of 4 of the move to Citus (docs/scale-out.md §4):
-- the citus extension on the coordinator, and a check that nodes can hold shards.
--
-- The files of sql/citus/ are not migrations: ncc-migrate never reads this directory. Run
-- them once, in order, as the warehouse owner (a superuser for this file), on the
-- coordinator, after ncc-migrate has brought the schema up to date:
--     for f in sql/citus/0*.sql; do psql -X -v ON_ERROR_STOP=1 -f "$f" || break; done
-- Each file is one DO block (one transaction). It does nothing but raise a NOTICE when the
-- citus extension is not installed on this server (not in pg_available_extensions), so
-- running them on a single PostgreSQL server is harmless. Running a file again changes nothing.
--
-- Needs Citus 11.1 or later (the first with PostgreSQL 15; every feature used here is in
-- the open-source edition from 11.0 on), loaded with shared_preload_libraries = 'citus' on
-- the coordinator and every worker, the database created on each worker with CREATE
-- EXTENSION citus, and the nodes registered (see the hint below).

DO $citus$
DECLARE
    v text;
    nodes bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions WHERE name = 'citus') THEN
        RAISE NOTICE 'sql/citus/01_extension.sql: the citus extension is not installed on this server '
                     '(not in pg_available_extensions): nothing done';
        RETURN;
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        IF current_setting('shared_preload_libraries') !~ '(^|[\s,"])citus([\s,"]|$)' THEN
            RAISE EXCEPTION 'citus is installed on this server but not loaded by it'
                USING HINT = 'set shared_preload_libraries = ''citus'' (first in the list) in postgresql.conf '
                             'on the coordinator and on every worker, restart them, then run this file again';
        END IF;
        CREATE EXTENSION citus;
    END IF;

    SELECT extversion INTO v FROM pg_catalog.pg_extension WHERE extname = 'citus';
    IF string_to_array(split_part(v, '-', 1), '.')::int[] < ARRAY[11, 1] THEN
        RAISE EXCEPTION 'citus % is too old for this warehouse', v
            USING HINT = 'install Citus 11.1 or later (PostgreSQL 15 needs it), then ALTER EXTENSION citus UPDATE';
    END IF;

    SELECT count(*) INTO nodes FROM pg_dist_node WHERE noderole = 'primary' AND isactive AND shouldhaveshards;
    IF nodes = 0 THEN
        RAISE EXCEPTION 'no Citus node can hold shards yet'
            USING HINT = 'on the coordinator: SELECT citus_set_coordinator_host(''COORDINATOR_HOST'', 5432); '
                         'then for each worker (citus loaded, this database created, CREATE EXTENSION citus run '
                         'in it): SELECT citus_add_node(''WORKER_HOST'', 5432); then run this file again';
    END IF;
    RAISE NOTICE 'sql/citus/01_extension.sql: citus % ready, % node(s) can hold shards', v, nodes;
END
$citus$;
