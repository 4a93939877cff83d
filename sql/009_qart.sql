-- 009_qart.sql - the Health Innovation Networks' quarterly QART returns (DATA-CONTRACT.md §2.5)
-- and the NICE resource impact figures of the MTFM policy's Annex 2 (§3).
--
-- core.qart_return holds one row per (fin_year, quarter, provider site, technology), keyed by
-- org_code first like every core table (the distribution column in a Citus layout). A re-sent
-- return replaces that HIN's rows for the quarter: hin_key is the network's name trimmed and
-- its ASCII letters upper-cased (by the validator, as every code is), so "South West" and
-- " south west " are one network.

CREATE TABLE IF NOT EXISTS ref.resource_impact (
    technology_id         varchar(20)   PRIMARY KEY,
    ria_group             text          NOT NULL,
    current_practice_cost numeric(22,4),
    future_practice_cost  numeric(22,4),
    resource_impact       numeric(22,4),
    saving_per_patient    numeric(22,4),
    CONSTRAINT resource_impact_technology FOREIGN KEY (technology_id)
        REFERENCES ref.technology (technology_id) DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE ref.resource_impact IS
    'NICE resource impact assessments of the MTFM policy''s Annex 2 (DATA-CONTRACT.md §3): England, '
    'year 5, pounds. A group covering several technologies repeats its figures on each one''s row. '
    'Optional; loaded from resource_impact.csv.';
COMMENT ON COLUMN ref.resource_impact.technology_id IS 'Canonical MTFM technology id.';
COMMENT ON COLUMN ref.resource_impact.ria_group IS
    'The resource impact assessment the figures come from (one per technology, or one shared by a group).';
COMMENT ON COLUMN ref.resource_impact.current_practice_cost IS 'Cost of current practice in year 5, pounds (Annex 2).';
COMMENT ON COLUMN ref.resource_impact.future_practice_cost IS 'Cost of future practice in year 5, pounds (Annex 2).';
COMMENT ON COLUMN ref.resource_impact.resource_impact IS
    'Resource impact in year 5 as published in Annex 2, pounds (never recomputed from the two costs, '
    'which differ from it by rounding).';
COMMENT ON COLUMN ref.resource_impact.saving_per_patient IS
    'Saving per patient treated where NICE states one, pounds (AposHealth: 2450.0000); null otherwise.';
GRANT SELECT, INSERT, UPDATE, DELETE ON ref.resource_impact TO ncc_loader;
GRANT SELECT ON ref.resource_impact TO ncc_analyst, ncc_trust;

CREATE TABLE IF NOT EXISTS core.qart_return (
    fin_year      char(6)      NOT NULL,
    quarter       smallint     NOT NULL,
    hin           varchar(100) NOT NULL,
    provider_ods  varchar(5)   NOT NULL,
    technology_id varchar(20)  NOT NULL,
    stage         smallint     NOT NULL,
    patients      bigint,
    comment       varchar(500),
    org_code      varchar(5)   NOT NULL,
    hin_key       varchar(100) NOT NULL,
    file_load_id  bigint,
    CONSTRAINT qart_return_pkey PRIMARY KEY (org_code, fin_year, quarter, provider_ods, technology_id),
    CONSTRAINT qart_return_quarter CHECK (quarter BETWEEN 1 AND 4),
    CONSTRAINT qart_return_stage CHECK (stage BETWEEN 0 AND 5),
    CONSTRAINT qart_return_patients CHECK (patients >= 0)
);
CREATE INDEX IF NOT EXISTS qart_return_replace_idx ON core.qart_return (fin_year, quarter, hin_key);
CREATE INDEX IF NOT EXISTS qart_return_technology_idx ON core.qart_return (technology_id, fin_year, quarter);
COMMENT ON TABLE core.qart_return IS
    'Quarterly QART returns of the Health Innovation Networks (DATA-CONTRACT.md §2.5, §5.4): the stage '
    'of adoption each provider site is at for each MTFM technology. A re-sent return replaces the '
    'network''s rows for that quarter (fin_year, quarter, hin_key).';
COMMENT ON COLUMN core.qart_return.fin_year IS 'Financial year YYYYZZ of the return.';
COMMENT ON COLUMN core.qart_return.quarter IS
    'Quarter of the financial year, 1-4: 1 = April-June, 2 = July-September, 3 = October-December, 4 = January-March.';
COMMENT ON COLUMN core.qart_return.hin IS 'Name of the reporting Health Innovation Network as written.';
COMMENT ON COLUMN core.qart_return.provider_ods IS 'Provider trust or site ODS code as written (upper-cased).';
COMMENT ON COLUMN core.qart_return.technology_id IS 'Canonical MTFM technology id (aliases normalised).';
COMMENT ON COLUMN core.qart_return.stage IS
    'Stage of adoption (policy para 79): 0 No information, 1 Knowledge, 2 Interest, 3 Decision, '
    '4 Implementation, 5 Adoption.';
COMMENT ON COLUMN core.qart_return.patients IS 'Patients who benefited in the quarter at this site; null when not given.';
COMMENT ON COLUMN core.qart_return.comment IS 'Free-text comment of the network (checked to hold no NHS number).';
COMMENT ON COLUMN core.qart_return.org_code IS
    'The trust of the site: provider_ods when listed in ref.organisation (or 3 characters with no '
    'organisation reference), else the first 3 characters of a site code (§2.3); distribution column.';
COMMENT ON COLUMN core.qart_return.hin_key IS
    'The network''s name trimmed, its ASCII letters upper-cased: what a re-sent return is matched on.';
COMMENT ON COLUMN core.qart_return.file_load_id IS 'audit.file_load row of the return that loaded this row.';

ALTER TABLE core.qart_return ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS trust_read ON core.qart_return;
CREATE POLICY trust_read ON core.qart_return AS PERMISSIVE FOR SELECT TO ncc_trust
    USING (org_code = ANY (ARRAY(
        SELECT tr.org_code FROM ref.trust_role tr
        JOIN pg_catalog.pg_roles r ON r.rolname = tr.role_name
        WHERE pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))));
COMMENT ON POLICY trust_read ON core.qart_return IS
    'Members of ncc_trust read the rows of the organisations mapped in ref.trust_role to a role they '
    'are members of (computed once per query).';
DROP POLICY IF EXISTS loader_all ON core.qart_return;
CREATE POLICY loader_all ON core.qart_return AS PERMISSIVE FOR ALL TO ncc_loader USING (true) WITH CHECK (true);
COMMENT ON POLICY loader_all ON core.qart_return IS 'The loader reads and writes every row.';
GRANT SELECT, INSERT, UPDATE, DELETE ON core.qart_return TO ncc_loader;
GRANT SELECT ON core.qart_return TO ncc_trust;

-- A fifth kind of file in the audit.
ALTER TABLE audit.file_load DROP CONSTRAINT IF EXISTS file_load_kind;
ALTER TABLE audit.file_load ADD CONSTRAINT file_load_kind
    CHECK (kind IS NULL OR kind IN ('cost', 'ledger', 'nhssc', 'supplier', 'qart'));
COMMENT ON COLUMN audit.file_load.kind IS
    'File kind detected from the header: cost, ledger, nhssc, supplier or qart; null if unknown.';
