-- 001_schemas_roles.sql - the four warehouse schemas (DATA-CONTRACT.md §5.4) and the
-- group roles that every later migration grants to (DESIGN.md §4).
--
-- Applied once, in its own transaction, by ncc-migrate (which records it in
-- public.ncc_schema_version); written so that applying it again changes nothing.
-- Must run as the owner of the warehouse: a role with CREATE on the database and
-- CREATEROLE (the project-local cluster's superuser "ncc").
--
-- Roles are cluster-wide, so they are created only when missing; they are NOLOGIN
-- groups: grant them to real LOGIN roles (GRANT ncc_loader TO etl_batch).

CREATE SCHEMA IF NOT EXISTS ref;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS audit;

COMMENT ON SCHEMA ref IS
    'Reference data (DATA-CONTRACT.md §3): MTFM technologies and their aliases, product and '
    'procedure maps, organisations, and the trust-role mapping used by row-level security. '
    'Small tables, loaded from the project''s reference CSVs; replicated whole under Citus.';
COMMENT ON SCHEMA core IS
    'Loaded rows of the input files (DATA-CONTRACT.md §2, §5.4): cost lines, submissions, '
    'ledger totals, NHS Supply Chain invoice lines and supplier sales returns. Every key '
    'includes org_code, the Citus distribution column; per-trust roles see only their own '
    'organisation''s rows through row-level security.';
COMMENT ON SCHEMA mart IS
    'Derived tables for analysts (DATA-CONTRACT.md §5.2, §5.3): reconciliation, MTFM unit-cost '
    'benchmark, adoption. Rebuilt from core after each load.';
COMMENT ON SCHEMA audit IS
    'Record of every pipeline run, every input file (loaded, unchanged or quarantined) and '
    'the first errors of each file (DATA-CONTRACT.md §4, §5.4).';

-- Roles are shared by every database of the cluster, and the migration lock is per database:
-- a role created meanwhile by a runner migrating another database counts as existing.
-- Each role is commented only by the transaction that creates it (comments on shared
-- objects are not safe to rewrite concurrently).
DO $roles$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT * FROM (VALUES
            ('ncc_loader',
             'NCC warehouse: the pipeline''s writer. Reads and writes rows in ref, core, mart and audit; '
             'owns nothing, so it cannot drop or alter tables.'),
            ('ncc_analyst',
             'NCC warehouse: analysts. Read-only on ref and mart; no access to core (patient-level cost lines).'),
            ('ncc_trust',
             'NCC warehouse: group of per-trust roles. Reads core through row-level security: a member '
             'sees the rows of the organisations mapped in ref.trust_role to a role it belongs to.')
        ) AS v(role_name, description)
    LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r.role_name);
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r.role_name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', r.role_name, r.description);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created concurrently by a migration of another database
        END;
    END LOOP;
END
$roles$;

-- Nobody but the owner creates objects in the public schema (PostgreSQL 15 default,
-- stated here for databases created from older templates).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Schema usage. Table privileges follow with the tables in later migrations.
GRANT USAGE ON SCHEMA ref, core, mart, audit TO ncc_loader;
GRANT USAGE ON SCHEMA ref, mart TO ncc_analyst;
GRANT USAGE ON SCHEMA ref, core TO ncc_trust;

-- Future mart tables (another migration) are readable by analysts and writable by the
-- loader without further grants. Default privileges apply to objects created later by the
-- role running this migration, which is the role that runs every migration.
ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT SELECT ON TABLES TO ncc_analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ncc_loader;
ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT USAGE, SELECT ON SEQUENCES TO ncc_loader;
