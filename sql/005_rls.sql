-- 005_rls.sql - per-trust access to core through row-level security (DESIGN.md §4), and the
-- table privileges on core.
--
-- A per-trust role is a role that is a member of ncc_trust; ref.trust_role maps roles to the
-- organisations whose rows they may read. A member sees a core row when the row's org_code is
-- mapped to some role it is a member of (directly or through other roles), as decided by
-- pg_has_role(current_user, ...): the rule depends on role membership only, never on a setting
-- the session could change. pg_has_role is given the role's oid through pg_roles, not its
-- name, so that a mapping left behind by a dropped role is ignored instead of making every
-- query of every trust fail with "role does not exist". Example:
--     CREATE ROLE trust_rxx_group NOLOGIN IN ROLE ncc_trust;
--     INSERT INTO ref.trust_role VALUES ('trust_rxx_group', 'RXX');
--     CREATE ROLE alice LOGIN IN ROLE trust_rxx_group;   -- alice reads RXX's rows only
--
-- The loader reads and writes every row (a permissive policy for all commands). The owner of
-- the tables (who runs the migrations) bypasses row-level security. Partitions of
-- core.cost_line have row-level security enabled with no policy and no grants, so the rows
-- are reachable only through the parent, which carries the policies.

CREATE TABLE IF NOT EXISTS ref.trust_role (
    role_name name       NOT NULL,
    org_code  varchar(5) NOT NULL,
    PRIMARY KEY (role_name, org_code)
);
CREATE INDEX IF NOT EXISTS trust_role_org_code_idx ON ref.trust_role (org_code);
COMMENT ON TABLE ref.trust_role IS
    'Which organisations'' rows in core each per-trust role may read (row-level security, '
    'DESIGN.md §4): members of role_name see rows with this org_code. Maintained by the '
    'warehouse owner, not by the loader.';
COMMENT ON COLUMN ref.trust_role.role_name IS
    'A PostgreSQL role, normally a member of ncc_trust; its members (and itself) get the access.';
COMMENT ON COLUMN ref.trust_role.org_code IS 'ODS code of the organisation whose core rows the role may read.';

-- Access control is the owner's business: the loader and the trusts may only read the mapping
-- (the trusts must, because the policies below evaluate it as the querying role).
GRANT SELECT ON ref.trust_role TO ncc_loader, ncc_analyst, ncc_trust;

DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cost_line', 'submission', 'ledger', 'nhssc_sales_line', 'supplier_sales'] LOOP
        EXECUTE format('ALTER TABLE core.%I ENABLE ROW LEVEL SECURITY', t);

        EXECUTE format('DROP POLICY IF EXISTS trust_read ON core.%I', t);
        EXECUTE format($p$CREATE POLICY trust_read ON core.%1$I AS PERMISSIVE FOR SELECT TO ncc_trust
                          USING (EXISTS (SELECT 1 FROM ref.trust_role tr
                                         JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
                                         WHERE tr.org_code = %1$I.org_code
                                           AND pg_has_role(current_user, r.oid, 'MEMBER')))$p$, t);
        EXECUTE format('COMMENT ON POLICY trust_read ON core.%I IS %L', t,
                       'Members of ncc_trust read the rows of the organisations mapped in ref.trust_role '
                       'to a role they are members of.');

        EXECUTE format('DROP POLICY IF EXISTS loader_all ON core.%I', t);
        EXECUTE format('CREATE POLICY loader_all ON core.%I AS PERMISSIVE FOR ALL TO ncc_loader '
                       'USING (true) WITH CHECK (true)', t);
        EXECUTE format('COMMENT ON POLICY loader_all ON core.%I IS %L', t,
                       'The loader reads and writes every row.');

        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON core.%I TO ncc_loader', t);
        EXECUTE format('GRANT SELECT ON core.%I TO ncc_trust', t);
    END LOOP;

    -- Partitions: deny by default (row-level security on, no policy, no grants).
    FOR t IN
        SELECT c.relname
        FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'core.cost_line'::regclass
    LOOP
        EXECUTE format('ALTER TABLE core.%I ENABLE ROW LEVEL SECURITY', t);
    END LOOP;
END
$rls$;
