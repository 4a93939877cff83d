-- 007_supersede_rls.sql - which loaded file still holds its rows, and a faster trust policy.
--
-- A file is 'unchanged' (skipped) only when the same bytes were loaded and no later load
-- replaced any of its rows: re-sending an older version after a newer one loads it again
-- (the latest file sent wins), instead of being skipped. The loader sets superseded_by on
-- every earlier file whose rows its replace step deleted.
--
-- The per-trust policy computes the caller's organisations once per query (an InitPlan over
-- ref.trust_role) instead of once per row: same rule (role membership only), far cheaper on
-- large tables.

ALTER TABLE audit.file_load ADD COLUMN IF NOT EXISTS superseded_by bigint;
COMMENT ON COLUMN audit.file_load.superseded_by IS
    'The file_load_id of a later load that replaced rows of this file (null while every row it '
    'loaded is still current). A file is skipped as unchanged only if a loaded, not superseded '
    'file had the same sha256.';
CREATE INDEX IF NOT EXISTS file_load_current_sha256_idx
    ON audit.file_load (sha256) WHERE status = 'loaded' AND superseded_by IS NULL;

DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cost_line', 'submission', 'ledger', 'nhssc_sales_line', 'supplier_sales',
                             'mtfm_activity'] LOOP
        EXECUTE format('DROP POLICY IF EXISTS trust_read ON core.%I', t);
        EXECUTE format($p$CREATE POLICY trust_read ON core.%1$I AS PERMISSIVE FOR SELECT TO ncc_trust
                          USING (org_code = ANY (ARRAY(
                              SELECT tr.org_code FROM ref.trust_role tr
                              JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
                              WHERE pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))))$p$, t);
        EXECUTE format('COMMENT ON POLICY trust_read ON core.%I IS %L', t,
                       'Members of ncc_trust read the rows of the organisations mapped in ref.trust_role '
                       'to a role they are members of (computed once per query).');
    END LOOP;
END
$rls$;
