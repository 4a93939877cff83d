-- 012_citus_layout.sql - the layout of the warehouse on Citus (docs/scale-out.md), applied by
-- the migration runner itself whenever the citus extension is created in the database.
--
-- public.ncc_after_migrate() runs at the end of this migration and again after every later
-- run of the migrations that applied one (etl/lib/warehouse/db.c), so a table added by a later
-- migration is placed too. It first writes the per-trust policies (011: a later migration's
-- policy with a subquery is replaced before Citus would refuse it). Then, only when the citus
-- extension exists in this database (CREATE EXTENSION citus, as scripts/citus does; on a
-- single server nothing more happens), it places each table that is not yet in Citus's
-- metadata:
--
--   core.*   hash-distributed by org_code, all in one colocation group (anchored on the first
--            core table distributed, core.submission on a fresh database): a trust's cost
--            lines, submission, ledger, MTFM sums, invoice lines, supplier returns and QART
--            returns sit on one shard, so each per-trust step (replace, ledger check, MTFM
--            sums, the per-trust sums of reconciliation and of the marts, grouped by org_code)
--            runs on that shard's worker. The shard count is the cluster's citus.shard_count
--            (docs/scale-out.md: a few shards a worker core; a trust's rows never split).
--            core.cost_line's partitions follow their parent.
--   ref.*    reference tables, a copy on every node for local joins, referenced tables
--            first (their foreign keys are between reference tables). Except ref.trust_role:
--            no policy reads it any more (011), only ref.apply_trust_roles() on the
--            coordinator, through the trigger that must fire once, there.
--   mart.*   reference tables: small (trusts x technologies x years), computed from the
--            per-shard sums, read by analysts with any SQL from any node.
--   audit.*  stay local tables of the coordinator: written once per file in the file's
--            transaction, they need one copy and no cluster-wide commit of their own.
--   the functions of ref and mart are made to exist on every node (those created before the
--            extension was; Citus propagates later ones itself).
--
-- Checks before anything moves: every core table has org_code NOT NULL (the distribution
-- column), and no core policy holds a subquery.

CREATE OR REPLACE FUNCTION public.ncc_after_migrate() RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    t regclass;
    f regprocedure;
    anchor regclass;
    bad text;
    placed integer := 0;
    progress boolean;
BEGIN
    PERFORM ref.apply_trust_roles();
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN 'single node';
    END IF;

    SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY c.oid::regclass::text) INTO bad
    FROM pg_catalog.pg_class c
    WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'org_code' AND a.attnotnull AND NOT a.attisdropped);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'core table(s) without a NOT NULL org_code, the distribution column: %', bad
            USING HINT = 'add org_code to the table and to each of its unique keys (DESIGN.md §4)';
    END IF;
    SELECT string_agg(format('%s on %s', pol.polname, pol.polrelid::regclass), ', ') INTO bad
    FROM pg_catalog.pg_policy pol JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
    WHERE c.relnamespace IN ('core'::regnamespace, 'mart'::regnamespace)
      AND (pol.polqual::text LIKE '%{SUBLINK%' OR coalesce(pol.polwithcheck::text, '') LIKE '%{SUBLINK%');
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'row-level security policies with a subquery cannot be distributed: %', bad
            USING HINT = 'write per-trust access through ref.trust_role (sql/011_trust_policies.sql)';
    END IF;

    -- Reference tables, each after the tables its foreign keys point at. Making a table a
    -- reference table turns the tables whose foreign keys point at it into Citus local tables
    -- (in the metadata, one copy): those count as not placed yet.
    LOOP
        progress := false;
        FOR t IN
            SELECT c.oid::regclass FROM pg_catalog.pg_class c
            WHERE c.relnamespace IN ('ref'::regnamespace, 'mart'::regnamespace) AND c.relkind = 'r'
              AND c.oid <> 'ref.trust_role'::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid AND p.repmodel = 't')
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint f
                              WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid
                                AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p
                                                WHERE p.logicalrelid = f.confrelid AND p.repmodel = 't'))
            ORDER BY c.oid::regclass::text
        LOOP
            PERFORM create_reference_table(t);
            placed := placed + 1;
            progress := true;
        END LOOP;
        EXIT WHEN NOT progress;
    END LOOP;

    -- Core tables: distributed by org_code, co-located.
    SELECT p.logicalrelid INTO anchor
    FROM pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
    WHERE c.relnamespace = 'core'::regnamespace AND p.partmethod = 'h' AND NOT c.relispartition
    ORDER BY (p.logicalrelid = 'core.submission'::regclass) DESC, p.logicalrelid::text
    LIMIT 1;
    IF anchor IS NULL AND to_regclass('core.submission') IS NOT NULL THEN
        PERFORM create_distributed_table('core.submission', 'org_code', colocate_with => 'none');
        anchor := 'core.submission';
        placed := placed + 1;
    END IF;
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c
        WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid)
        ORDER BY c.oid::regclass::text
    LOOP
        PERFORM create_distributed_table(t, 'org_code', colocate_with => anchor::text);
        placed := placed + 1;
    END LOOP;

    -- Functions of ref and mart on every node: the marts call some of them in the statements
    -- sent to the shards (the quarter helpers of 010). Citus propagates a function created
    -- once the extension exists; this covers those created before (a warehouse migrated on a
    -- single server, then moved to Citus). Not the functions of ref.trust_role (011), which is
    -- local and read on the coordinator only. Distributing one function distributes the
    -- functions it depends on, hence the check at each step.
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
        WHERE p.pronamespace IN ('ref'::regnamespace, 'mart'::regnamespace)
          AND p.oid NOT IN ('ref.apply_trust_roles()'::regprocedure, 'ref.trust_role_changed()'::regprocedure,
                            'ref.trust_policy_wanted()'::regprocedure)
        ORDER BY p.oid::regprocedure::text
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_dist_object o
                              WHERE o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = f::oid);
        PERFORM create_distributed_function(f);
        placed := placed + 1;
    END LOOP;

    RETURN format('citus: %s table(s) or function(s) placed now; %s core table(s) distributed by org_code in %s shard(s), '
                  '%s reference table(s)', placed,
                  (SELECT count(*) FROM pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
                   WHERE c.relnamespace = 'core'::regnamespace AND NOT c.relispartition),
                  (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = anchor),
                  (SELECT count(*) FROM pg_dist_partition WHERE partmethod = 'n' AND repmodel = 't'));
END
$fn$;
COMMENT ON FUNCTION public.ncc_after_migrate() IS
    'Run after the migrations that applied one (and by 012): per-trust policies from ref.trust_role, '
    'then, when the citus extension exists, every table not yet placed: core distributed by org_code '
    'and co-located, ref (but ref.trust_role) and mart as reference tables, audit left on the '
    'coordinator (sql/012_citus_layout.sql). Returns what it did.';
REVOKE ALL ON FUNCTION public.ncc_after_migrate() FROM PUBLIC;

SELECT public.ncc_after_migrate();
