-- 004_audit.sql - the record of every run and every file (DATA-CONTRACT.md §4, §5.4).
--
-- Nothing is lost (DESIGN.md §6): every input file ends as one audit.file_load row with
-- status loaded, unchanged (same sha256 already loaded) or quarantined, and its accounting
-- rows_read = rows_loaded + rows_rejected is enforced here. A file's row is written in the
-- same transaction as its data, so a crash leaves both or neither.

CREATE TABLE IF NOT EXISTS audit.run (
    run_id      bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    status      text        NOT NULL DEFAULT 'running',
    host        text,
    files       integer,
    rows_loaded bigint,
    exit_code   integer,
    CONSTRAINT run_times CHECK (ended_at IS NULL OR ended_at >= started_at),
    CONSTRAINT run_counts_nonneg CHECK (coalesce(files, 0) >= 0 AND coalesce(rows_loaded, 0) >= 0)
);
CREATE INDEX IF NOT EXISTS run_started_at_idx ON audit.run (started_at);
COMMENT ON TABLE audit.run IS
    'One row per pipeline run (ncc-nightly or a single stage): when, where, how many files and '
    'rows, and the exit status it ended with.';
COMMENT ON COLUMN audit.run.run_id IS 'Run number (sequence).';
COMMENT ON COLUMN audit.run.started_at IS 'When the run started.';
COMMENT ON COLUMN audit.run.ended_at IS 'When the run ended; null while running or if it died.';
COMMENT ON COLUMN audit.run.status IS 'State of the run as the pipeline writes it: running while in progress, then its outcome.';
COMMENT ON COLUMN audit.run.host IS 'Host name the run executed on.';
COMMENT ON COLUMN audit.run.files IS 'Number of input files the run processed.';
COMMENT ON COLUMN audit.run.rows_loaded IS 'Rows loaded into core by the run, all files together.';
COMMENT ON COLUMN audit.run.exit_code IS 'Exit status of the run (sysexits, DATA-CONTRACT.md §6).';

CREATE TABLE IF NOT EXISTS audit.file_load (
    file_load_id  bigserial PRIMARY KEY,
    run_id        bigint REFERENCES audit.run (run_id),
    file_name     text        NOT NULL,
    sha256        char(64)    NOT NULL,
    kind          text,
    rows_read     bigint      NOT NULL DEFAULT 0,
    rows_loaded   bigint      NOT NULL DEFAULT 0,
    rows_rejected bigint      NOT NULL DEFAULT 0,
    status        text        NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz,
    error_count   bigint      NOT NULL DEFAULT 0,
    message       text,
    CONSTRAINT file_load_status CHECK (status IN ('loaded', 'unchanged', 'quarantined')),
    CONSTRAINT file_load_kind CHECK (kind IS NULL OR kind IN ('cost', 'ledger', 'nhssc', 'supplier')),
    CONSTRAINT file_load_counts_nonneg
        CHECK (rows_read >= 0 AND rows_loaded >= 0 AND rows_rejected >= 0 AND error_count >= 0),
    CONSTRAINT file_load_accounting CHECK (rows_read = rows_loaded + rows_rejected),
    CONSTRAINT file_load_quarantine_loads_nothing CHECK (status <> 'quarantined' OR rows_loaded = 0),
    CONSTRAINT file_load_times CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX IF NOT EXISTS file_load_sha256_idx ON audit.file_load (sha256);
CREATE INDEX IF NOT EXISTS file_load_run_id_idx ON audit.file_load (run_id);
COMMENT ON TABLE audit.file_load IS
    'One row per input file handled (DATA-CONTRACT.md §4, §5.4): its identity (name, SHA-256, '
    'kind), its accounting (rows_read = rows_loaded + rows_rejected) and how it ended.';
COMMENT ON COLUMN audit.file_load.file_load_id IS 'File load number (sequence); core rows carry it as file_load_id.';
COMMENT ON COLUMN audit.file_load.run_id IS 'audit.run the file was handled in; null when a stage ran on its own.';
COMMENT ON COLUMN audit.file_load.file_name IS 'Name (path) of the file as received.';
COMMENT ON COLUMN audit.file_load.sha256 IS
    'SHA-256 of the file''s bytes as received (64 lowercase hex digits); a file whose hash is '
    'already loaded is skipped as unchanged.';
COMMENT ON COLUMN audit.file_load.kind IS 'File kind detected from the header: cost, ledger, nhssc or supplier; null if unknown.';
COMMENT ON COLUMN audit.file_load.rows_read IS 'Data rows read (header excluded).';
COMMENT ON COLUMN audit.file_load.rows_loaded IS 'Rows loaded into core; 0 for a quarantined file.';
COMMENT ON COLUMN audit.file_load.rows_rejected IS 'Rows not loaded: rows_read - rows_loaded.';
COMMENT ON COLUMN audit.file_load.status IS
    'How the file ended: loaded, unchanged (same sha256 loaded before) or quarantined (a file '
    'error, or row errors over the reject limit; nothing of it loaded).';
COMMENT ON COLUMN audit.file_load.started_at IS 'When handling of the file started.';
COMMENT ON COLUMN audit.file_load.ended_at IS 'When handling of the file ended.';
COMMENT ON COLUMN audit.file_load.error_count IS 'Errors found in the file (file and row errors, every occurrence); audit.file_error keeps the first 1000.';
COMMENT ON COLUMN audit.file_load.message IS 'One-line summary of why a file was quarantined (or other note), if any.';

CREATE TABLE IF NOT EXISTS audit.file_error (
    file_error_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    file_load_id  bigint NOT NULL REFERENCES audit.file_load (file_load_id) ON DELETE CASCADE,
    line          bigint,
    column_name   text,
    code          text   NOT NULL,
    message       text   NOT NULL,
    CONSTRAINT file_error_line_positive CHECK (line IS NULL OR line >= 1),
    CONSTRAINT file_error_code CHECK (code ~ '^[FEW]_[A-Z0-9_]+$')
);
CREATE INDEX IF NOT EXISTS file_error_file_load_idx ON audit.file_error (file_load_id, line);
COMMENT ON TABLE audit.file_error IS
    'The first 1000 errors of each file (DATA-CONTRACT.md §4), as in the rejects output. '
    'Values that may identify a person are never written here.';
COMMENT ON COLUMN audit.file_error.file_error_id IS 'Error number (identity), in the order the errors were found.';
COMMENT ON COLUMN audit.file_error.file_load_id IS 'audit.file_load row of the file.';
COMMENT ON COLUMN audit.file_error.line IS 'Physical line the record starts on (header = 1); null for a file error without a line.';
COMMENT ON COLUMN audit.file_error.column_name IS 'Canonical column name the error is about, if any.';
COMMENT ON COLUMN audit.file_error.code IS 'Error or warning code of DATA-CONTRACT.md §4, e.g. E_NUMBER or F_MISSING_COLUMN.';
COMMENT ON COLUMN audit.file_error.message IS 'Message a costing practitioner can act on: what was found, what is expected.';

GRANT SELECT, INSERT, UPDATE, DELETE ON audit.run, audit.file_load, audit.file_error TO ncc_loader;
GRANT USAGE, SELECT ON SEQUENCE audit.run_run_id_seq, audit.file_load_file_load_id_seq,
    audit.file_error_file_error_id_seq TO ncc_loader;
