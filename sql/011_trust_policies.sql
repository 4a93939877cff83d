-- 011_trust_policies.sql - per-trust row-level security as one policy per mapped role, the same
-- on a single server and on Citus (docs/scale-out.md).
--
-- Until now each core table had one policy for ncc_trust that read ref.trust_role in a
-- subquery as the querying role (005, 007, 009). Citus refuses a policy with a subquery on a
-- distributed table, and moving the subquery into a function makes PostgreSQL call it for every
-- row scanned (a trust's 500,000 of 2M rows took 60 to 96 s instead of 0.5 s). Instead,
-- ref.apply_trust_roles() writes, on every core table (and every mart table with row-level
-- security and an org_code), one policy per role mapped in ref.trust_role:
--     CREATE POLICY trust_read_<hash of the role> ON core.t FOR SELECT TO that_role
--         USING (org_code = ANY ('{RXX,RYY}'::varchar[]))
-- A constant comparison on org_code, the distribution column: no per-row function call, the
-- primary key's index can serve it, and under Citus every shard evaluates it alone.
--
-- The rule is the one of 005: role membership only, never a setting the session could change.
-- A policy TO a role applies to its members (with the default INHERIT). A mapping whose role
-- does not exist is ignored. ref.trust_role keeps the mapping; a trigger applies every change
-- to it in the same transaction, so an INSERT or DELETE there takes effect when it commits.
-- A role created after its mapping was inserted gets its policies from
-- SELECT ref.apply_trust_roles(); (run by the owner; returns the policies it changed). To
-- drop a mapped role, delete its rows from ref.trust_role first (the policies name it).
-- The trusts no longer read ref.trust_role: no policy evaluates it as the querying role.

-- The wanted policies: one per mapped role that exists, named after a hash of the role
-- (policy names are limited to 63 bytes); the comment records the role and its organisations,
-- and a policy whose comment differs is rewritten.
CREATE OR REPLACE FUNCTION ref.trust_policy_wanted()
    RETURNS TABLE (polname name, role_name name, orgs varchar[], note text)
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT m.polname, m.role_name, m.orgs,
           format('Members of role %s read the rows of %s (ref.trust_role, written by '
                  'ref.apply_trust_roles()).', quote_ident(m.role_name), array_to_string(m.orgs, ', '))
    FROM (SELECT ('trust_read_' || left(md5(tr.role_name), 16))::name AS polname, tr.role_name,
                 array_agg(DISTINCT tr.org_code ORDER BY tr.org_code) AS orgs
          FROM ref.trust_role tr
          JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
          GROUP BY tr.role_name) m
$fn$;
COMMENT ON FUNCTION ref.trust_policy_wanted() IS
    'The per-trust policies ref.trust_role asks for: name, role, organisations, comment.';
REVOKE ALL ON FUNCTION ref.trust_policy_wanted() FROM PUBLIC;

CREATE OR REPLACE FUNCTION ref.apply_trust_roles() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    t regclass;
    p record;
    changed integer := 0;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND (c.relnamespace = 'core'::regnamespace
               OR (c.relnamespace = 'mart'::regnamespace AND c.relrowsecurity))
          AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'org_code' AND NOT a.attisdropped)
        ORDER BY c.oid::regclass::text
    LOOP
        -- the policy with a subquery of the earlier migrations, and generated ones out of date
        FOR p IN
            SELECT pol.polname FROM pg_catalog.pg_policy pol
            WHERE pol.polrelid = t
              AND (pol.polname = 'trust_read'
                   OR (pol.polname LIKE 'trust\_read\_%'
                       AND NOT EXISTS (SELECT 1 FROM ref.trust_policy_wanted() w
                                       WHERE w.polname = pol.polname
                                         AND w.note = obj_description(pol.oid, 'pg_policy'))))
            ORDER BY pol.polname
        LOOP
            EXECUTE format('DROP POLICY %I ON %s', p.polname, t);
            changed := changed + 1;
        END LOOP;
        FOR p IN
            SELECT w.* FROM ref.trust_policy_wanted() w
            WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy pol
                              WHERE pol.polrelid = t AND pol.polname = w.polname)
            ORDER BY w.polname
        LOOP
            EXECUTE format('CREATE POLICY %I ON %s AS PERMISSIVE FOR SELECT TO %I '
                           'USING (org_code = ANY (%L::varchar[]))', p.polname, t, p.role_name, p.orgs);
            EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', p.polname, t, p.note);
            changed := changed + 1;
        END LOOP;
    END LOOP;
    RETURN changed;
END
$fn$;
COMMENT ON FUNCTION ref.apply_trust_roles() IS
    'Writes the per-trust row-level security policies of every core table (and mart table under '
    'row-level security) from ref.trust_role: one '
    'policy per mapped role that exists, FOR SELECT TO that role, USING org_code = ANY (its '
    'organisations); drops those of roles no longer mapped. Called by the trigger on ref.trust_role '
    'and after migrations; returns the number of policies dropped or created (0 when up to date).';
REVOKE ALL ON FUNCTION ref.apply_trust_roles() FROM PUBLIC;

CREATE OR REPLACE FUNCTION ref.trust_role_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM ref.apply_trust_roles();
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ref.trust_role_changed() IS
    'Trigger of ref.trust_role: applies the changed mapping to the policies (ref.apply_trust_roles()).';
REVOKE ALL ON FUNCTION ref.trust_role_changed() FROM PUBLIC;

DROP TRIGGER IF EXISTS trust_role_apply ON ref.trust_role;
CREATE TRIGGER trust_role_apply AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ref.trust_role
    FOR EACH STATEMENT EXECUTE FUNCTION ref.trust_role_changed();

REVOKE SELECT ON ref.trust_role FROM ncc_trust;
COMMENT ON TABLE ref.trust_role IS
    'Which organisations'' rows in core each per-trust role may read (row-level security, DESIGN.md '
    '§4): members of role_name see rows with this org_code. Maintained by the warehouse owner; every '
    'change is written into the policies of core by a trigger (ref.apply_trust_roles()).';

SELECT ref.apply_trust_roles();
