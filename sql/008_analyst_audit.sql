-- 008_analyst_audit.sql - analysts read the audit trail (data quality per submission).
--
-- audit holds file names, counts, statuses and error messages; messages never carry a
-- value that looks like a patient identifier (DATA-CONTRACT.md section 4), so the analysts
-- who benchmark trusts may see how each submission fared. They still cannot write.
GRANT USAGE ON SCHEMA audit TO ncc_analyst;
GRANT SELECT ON audit.run, audit.file_load, audit.file_error TO ncc_analyst;
