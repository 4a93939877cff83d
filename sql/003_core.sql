-- 003_core.sql - loaded rows (DATA-CONTRACT.md §2, §5.4).
--
-- Conventions for every core table:
--  * every primary key includes org_code, the future Citus distribution column
--    (DESIGN.md §4; sql/012_citus_layout.sql distributes on it);
--  * money is NUMERIC(22,4): the contract allows up to 18 integer digits and exactly 4
--    decimals (§2 "Money"), which needs precision 22 - NUMERIC(18,4) would hold only 14
--    integer digits - stored exactly, never as floating point;
--  * file_load_id names the audit.file_load row of the file the row came from; it is not a
--    foreign key (audit is local, core is distributed, and loads must stay cheap);
--  * no foreign keys to ref (cost lines hold 'UNATTRIBUTED'; reference reloads must not
--    touch loaded rows).
-- Row-level security and its grants are in 005_rls.sql.

-- Cost lines: one row per line of a cost submission (§2.1), partitioned by financial year.
CREATE TABLE IF NOT EXISTS core.cost_line (
    fin_year            char(6)       NOT NULL,
    org_code            varchar(5)    NOT NULL,
    feed                varchar(5)    NOT NULL,
    activity_id         varchar(64)   NOT NULL,
    currency_code       varchar(10)   NOT NULL,
    service_code        char(3),
    department_code     varchar(10),
    opcs_procedure      varchar(8),
    collection_resource varchar(20)   NOT NULL,
    collection_activity varchar(20)   NOT NULL,
    technology_id       varchar(20),
    activity_count      bigint        NOT NULL,
    cost                numeric(22,4) NOT NULL,
    file_load_id        bigint,
    CONSTRAINT cost_line_pkey PRIMARY KEY
        (fin_year, org_code, feed, activity_id, collection_resource, collection_activity),
    CONSTRAINT cost_line_feed CHECK (feed IN ('APC', 'OP', 'EC', 'SWC', 'OTHER')),
    CONSTRAINT cost_line_activity_count_nonneg CHECK (activity_count >= 0),
    CONSTRAINT cost_line_cost_nonneg CHECK (cost >= 0)
) PARTITION BY LIST (fin_year);

-- One partition per financial year the contract accepts: 2015/16 .. 2040/41 (26).
DO $parts$
DECLARE
    y int;
    fy text;
BEGIN
    FOR y IN 2015 .. 2040 LOOP
        fy := y::text || lpad(((y + 1) % 100)::text, 2, '0');
        EXECUTE format('CREATE TABLE IF NOT EXISTS core.%I PARTITION OF core.cost_line FOR VALUES IN (%L)',
                       'cost_line_' || fy, fy);
        EXECUTE format('COMMENT ON TABLE core.%I IS %L', 'cost_line_' || fy,
                       format('Cost lines of financial year %s/%s (1 April %s to 31 March %s): partition '
                              'of core.cost_line; query the parent, which carries the row-level security.',
                              y, lpad(((y + 1) % 100)::text, 2, '0'), y, y + 1));
    END LOOP;
END
$parts$;

-- Reconciliation and benchmarks read only MTFM lines, the only ones with a technology.
CREATE INDEX IF NOT EXISTS cost_line_technology_idx
    ON core.cost_line (fin_year, technology_id, org_code) WHERE technology_id IS NOT NULL;

COMMENT ON TABLE core.cost_line IS
    'Patient-level cost lines of loaded NCC cost submissions (DATA-CONTRACT.md §2.1, §5.4), one '
    'row per file row, canonical values. A submission (fin_year, org_code, feed) is replaced '
    'whole on reload. Partitioned by fin_year, one partition per year 201516-204041.';
COMMENT ON COLUMN core.cost_line.fin_year IS
    'Financial year YYYYZZ (202324 = 1 April 2023 to 31 March 2024); partition key.';
COMMENT ON COLUMN core.cost_line.org_code IS 'ODS code of the submitting provider (3-5 upper alphanumerics).';
COMMENT ON COLUMN core.cost_line.feed IS 'NCC feed: APC, OP, EC, SWC or OTHER.';
COMMENT ON COLUMN core.cost_line.activity_id IS
    'Local, pseudonymised record id (1-64 printable characters); never an NHS number (E_PII_VALUE).';
COMMENT ON COLUMN core.cost_line.currency_code IS 'Currency of the activity: HRG or other currency code.';
COMMENT ON COLUMN core.cost_line.service_code IS 'Treatment function code (3 digits), if given.';
COMMENT ON COLUMN core.cost_line.department_code IS 'Department / point of delivery, e.g. EL, NEL, DC, OPROC, CL, if given.';
COMMENT ON COLUMN core.cost_line.opcs_procedure IS 'Primary OPCS-4 procedure without the dot (e.g. M653), if given.';
COMMENT ON COLUMN core.cost_line.collection_resource IS
    'NCC collection resource (what was spent); the configured MTFM code (default MTFM) marks MTFM lines.';
COMMENT ON COLUMN core.cost_line.collection_activity IS 'NCC collection activity (where or how the resource was used).';
COMMENT ON COLUMN core.cost_line.technology_id IS
    'On MTFM lines the attributed canonical technology id (§2.1: given id, else unique procedure '
    'mapping) or UNATTRIBUTED; null on other lines.';
COMMENT ON COLUMN core.cost_line.activity_count IS 'Activity count (units of the currency), integer >= 0; >= 1 on MTFM lines.';
COMMENT ON COLUMN core.cost_line.cost IS 'Cost in pounds sterling, >= 0, exact to 4 decimals (NUMERIC(22,4)).';
COMMENT ON COLUMN core.cost_line.file_load_id IS 'audit.file_load row of the file that loaded this line.';

-- Submissions: one row per loaded (fin_year, org_code, feed) (§5.4).
CREATE TABLE IF NOT EXISTS core.submission (
    fin_year     char(6)       NOT NULL,
    org_code     varchar(5)    NOT NULL,
    feed         varchar(5)    NOT NULL,
    rows         bigint        NOT NULL,
    cost         numeric(22,4) NOT NULL,
    sha256       char(64)      NOT NULL,
    loaded_at    timestamptz   NOT NULL DEFAULT now(),
    file_load_id bigint,
    CONSTRAINT submission_pkey PRIMARY KEY (fin_year, org_code, feed),
    CONSTRAINT submission_feed CHECK (feed IN ('APC', 'OP', 'EC', 'SWC', 'OTHER')),
    CONSTRAINT submission_rows_nonneg CHECK (rows >= 0),
    CONSTRAINT submission_cost_nonneg CHECK (cost >= 0)
);
CREATE INDEX IF NOT EXISTS submission_sha256_idx ON core.submission (sha256);
COMMENT ON TABLE core.submission IS
    'One row per loaded cost submission (fin_year, org_code, feed) with its totals and the '
    'file it came from (DATA-CONTRACT.md §5.4); replaced with the submission.';
COMMENT ON COLUMN core.submission.fin_year IS 'Financial year YYYYZZ of the submission.';
COMMENT ON COLUMN core.submission.org_code IS 'ODS code of the submitting provider.';
COMMENT ON COLUMN core.submission.feed IS 'NCC feed: APC, OP, EC, SWC or OTHER.';
COMMENT ON COLUMN core.submission.rows IS 'Number of cost lines loaded for this fin_year/org/feed.';
COMMENT ON COLUMN core.submission.cost IS 'Total cost of those lines in pounds, exact (NUMERIC(22,4)).';
COMMENT ON COLUMN core.submission.sha256 IS 'SHA-256 of the file as received (64 lowercase hex digits).';
COMMENT ON COLUMN core.submission.loaded_at IS 'When the submission was committed.';
COMMENT ON COLUMN core.submission.file_load_id IS 'audit.file_load row of the file that loaded it.';

-- Ledger: audited accounts cost per (fin_year, org_code, feed) (§2.2).
CREATE TABLE IF NOT EXISTS core.ledger (
    fin_year     char(6)       NOT NULL,
    org_code     varchar(5)    NOT NULL,
    feed         varchar(5)    NOT NULL,
    ledger_cost  numeric(22,4) NOT NULL,
    sha256       char(64),
    loaded_at    timestamptz   NOT NULL DEFAULT now(),
    file_load_id bigint,
    CONSTRAINT ledger_pkey PRIMARY KEY (fin_year, org_code, feed),
    CONSTRAINT ledger_feed CHECK (feed IN ('APC', 'OP', 'EC', 'SWC', 'OTHER')),
    CONSTRAINT ledger_cost_nonneg CHECK (ledger_cost >= 0)
);
COMMENT ON TABLE core.ledger IS
    'Cost of each feed in the trust''s audited accounts (DATA-CONTRACT.md §2.2): a submission '
    'must be within the tolerance (default 1 %) of it to load.';
COMMENT ON COLUMN core.ledger.fin_year IS 'Financial year YYYYZZ.';
COMMENT ON COLUMN core.ledger.org_code IS 'ODS code of the provider.';
COMMENT ON COLUMN core.ledger.feed IS 'NCC feed: APC, OP, EC, SWC or OTHER.';
COMMENT ON COLUMN core.ledger.ledger_cost IS 'Accounts cost of the feed in pounds, >= 0, exact (NUMERIC(22,4)).';
COMMENT ON COLUMN core.ledger.sha256 IS 'SHA-256 of the ledger file the row came from.';
COMMENT ON COLUMN core.ledger.loaded_at IS 'When the row was committed.';
COMMENT ON COLUMN core.ledger.file_load_id IS 'audit.file_load row of the ledger file.';

-- NHS Supply Chain invoice lines (§2.3).
CREATE TABLE IF NOT EXISTS core.nhssc_sales_line (
    invoice_date      date          NOT NULL,
    invoice_no        varchar(20)   NOT NULL,
    line_no           integer       NOT NULL,
    customer_ods      varchar(5)    NOT NULL,
    npc               varchar(12),
    gtin              varchar(14),
    mpc               varchar(40),
    supplier          varchar(100),
    description       varchar(255),
    quantity          bigint        NOT NULL,
    unit_price_ex_vat numeric(22,4),
    line_value_ex_vat numeric(22,4) NOT NULL,
    is_credit         boolean       NOT NULL DEFAULT false,
    org_code          varchar(5)    NOT NULL,
    technology_id     varchar(20),
    units             bigint,
    fin_year          char(6)       NOT NULL,
    file_load_id      bigint,
    CONSTRAINT nhssc_sales_line_pkey PRIMARY KEY (org_code, invoice_no, line_no),
    CONSTRAINT nhssc_sales_line_line_no_positive CHECK (line_no >= 1),
    CONSTRAINT nhssc_sales_line_code_present CHECK (npc IS NOT NULL OR gtin IS NOT NULL),
    CONSTRAINT nhssc_sales_line_sign CHECK (is_credit OR (quantity >= 0 AND line_value_ex_vat >= 0)),
    CONSTRAINT nhssc_sales_line_units CHECK ((technology_id IS NULL) = (units IS NULL))
);
CREATE INDEX IF NOT EXISTS nhssc_sales_line_technology_idx
    ON core.nhssc_sales_line (fin_year, technology_id, org_code) WHERE technology_id IS NOT NULL;
COMMENT ON TABLE core.nhssc_sales_line IS
    'NHS Supply Chain invoice lines (DATA-CONTRACT.md §2.3, §5.4), one row per line, credits '
    'stored negative; org_code is the customer organisation, technology_id the MTFM technology '
    'of the product (null for other products, which play no part in reconciliation).';
COMMENT ON COLUMN core.nhssc_sales_line.invoice_date IS 'Invoice date; decides the financial year.';
COMMENT ON COLUMN core.nhssc_sales_line.invoice_no IS 'Invoice number (1-20 characters).';
COMMENT ON COLUMN core.nhssc_sales_line.line_no IS 'Line number within the invoice, >= 1.';
COMMENT ON COLUMN core.nhssc_sales_line.customer_ods IS 'Customer ODS code as invoiced: a trust (3-5) or a site (5).';
COMMENT ON COLUMN core.nhssc_sales_line.npc IS 'NHS Supply Chain product code, if given.';
COMMENT ON COLUMN core.nhssc_sales_line.gtin IS 'GS1 GTIN with a valid check digit, if given.';
COMMENT ON COLUMN core.nhssc_sales_line.mpc IS 'Manufacturer product code, if given.';
COMMENT ON COLUMN core.nhssc_sales_line.supplier IS 'Supplier name, if given.';
COMMENT ON COLUMN core.nhssc_sales_line.description IS 'Product description, if given.';
COMMENT ON COLUMN core.nhssc_sales_line.quantity IS 'Quantity in units of issue; -|quantity| on credit lines.';
COMMENT ON COLUMN core.nhssc_sales_line.unit_price_ex_vat IS 'Unit price in pounds excluding VAT, if given (NUMERIC(22,4)).';
COMMENT ON COLUMN core.nhssc_sales_line.line_value_ex_vat IS
    'Line value in pounds excluding VAT (NUMERIC(22,4)); -|value| on credit lines.';
COMMENT ON COLUMN core.nhssc_sales_line.is_credit IS 'True for a credit line (default false).';
COMMENT ON COLUMN core.nhssc_sales_line.org_code IS
    'Customer organisation (§2.3): customer_ods if listed in ref.organisation (or 3 characters '
    'when there is no list), else the first 3 characters of the 5-character site code.';
COMMENT ON COLUMN core.nhssc_sales_line.technology_id IS
    'Canonical MTFM technology of the product through ref.product_map (NPC first, then GTIN); null when not MTFM.';
COMMENT ON COLUMN core.nhssc_sales_line.units IS
    'Technology units: quantity x units_per_issue for MTFM products (negative on credits); null otherwise.';
COMMENT ON COLUMN core.nhssc_sales_line.fin_year IS 'Financial year YYYYZZ of invoice_date.';
COMMENT ON COLUMN core.nhssc_sales_line.file_load_id IS 'audit.file_load row of the extract that loaded this line.';

-- Supplier sales returns under the MTFM data-sharing agreements (§2.4).
CREATE TABLE IF NOT EXISTS core.supplier_sales (
    period        char(7)       NOT NULL,
    supplier      varchar(100)  NOT NULL,
    customer_ods  varchar(5)    NOT NULL,
    technology_id varchar(20)   NOT NULL,
    route         varchar(6)    NOT NULL,
    units         bigint        NOT NULL,
    value_ex_vat  numeric(22,4) NOT NULL,
    org_code      varchar(5)    NOT NULL,
    fin_year      char(6)       NOT NULL,
    file_load_id  bigint,
    CONSTRAINT supplier_sales_pkey PRIMARY KEY (org_code, period, supplier, technology_id, route),
    CONSTRAINT supplier_sales_route CHECK (route IN ('NHSSC', 'DIRECT')),
    CONSTRAINT supplier_sales_period CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    CONSTRAINT supplier_sales_org_is_customer CHECK (org_code = customer_ods)
);
CREATE INDEX IF NOT EXISTS supplier_sales_technology_idx
    ON core.supplier_sales (fin_year, technology_id, org_code);
COMMENT ON TABLE core.supplier_sales IS
    'Monthly supplier sales returns of MTFM technologies (DATA-CONTRACT.md §2.4, §5.4); DIRECT '
    'rows are the direct side of reconciliation (§5.2).';
COMMENT ON COLUMN core.supplier_sales.period IS 'Month of the sales, YYYY-MM.';
COMMENT ON COLUMN core.supplier_sales.supplier IS 'Supplier name as returned.';
COMMENT ON COLUMN core.supplier_sales.customer_ods IS 'Customer ODS code as written by the supplier.';
COMMENT ON COLUMN core.supplier_sales.technology_id IS 'Canonical MTFM technology id (aliases normalised).';
COMMENT ON COLUMN core.supplier_sales.route IS 'Sales route: NHSSC (through NHS Supply Chain) or DIRECT.';
COMMENT ON COLUMN core.supplier_sales.units IS 'Technology units sold (negative for returns).';
COMMENT ON COLUMN core.supplier_sales.value_ex_vat IS 'Sales value in pounds excluding VAT (negative for returns), NUMERIC(22,4).';
COMMENT ON COLUMN core.supplier_sales.org_code IS 'Organisation of the row: customer_ods as written (§2.4); distribution column.';
COMMENT ON COLUMN core.supplier_sales.fin_year IS 'Financial year YYYYZZ the period falls in.';
COMMENT ON COLUMN core.supplier_sales.file_load_id IS 'audit.file_load row of the return that loaded this row.';

-- Partitions do not inherit column comments: copy the parent's to every partition so that
-- the catalogue documents every column wherever it is looked up.
DO $comments$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT child.relname AS part, a.attname AS col, d.description
        FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class child ON child.oid = i.inhrelid
        JOIN pg_catalog.pg_attribute a ON a.attrelid = i.inhparent AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_catalog.pg_description d
          ON d.objoid = i.inhparent AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = a.attnum
        WHERE i.inhparent = 'core.cost_line'::regclass
    LOOP
        EXECUTE format('COMMENT ON COLUMN core.%I.%I IS %L', r.part, r.col, r.description);
    END LOOP;
END
$comments$;
