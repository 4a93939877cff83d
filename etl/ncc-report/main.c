/*
 * ncc-report - the analysts' report: one self-contained static HTML file (inline CSS and SVG,
 * no network, readable printed) from the warehouse:
 *   1. per financial year and technology, each trust's unit cost against the national unit
 *      cost, the median and the interquartile range (mart.mtfm_benchmark);
 *   2. a trust x technology matrix of reconciliation statuses (mart.reconciliation);
 *   3. adoption over the years: trusts and units per technology (mart.adoption);
 *   4. data quality per file loaded (audit.file_load, audit.file_error, core.submission).
 * Values are shown as the NUMERIC text the database returns; chart coordinates are computed
 * from that text by exact scaled-integer arithmetic (html.h), never in floating point.
 * Everything is read in one read-only, repeatable-read transaction (one consistent snapshot).
 * Exit 0 ok, 64 usage, 69 database unavailable, 70 internal error, 74 output error.
 */
#define _GNU_SOURCE /* vasprintf, open_memstream */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "warehouse/db.h"
#include "rules/field.h"
#include "output/html.h"
#include "shared/log.h"

/* Rows read from any one query at most; more are left out with a note in the report. */
#define REPORT_MAX_ROWS 100000
#define REPORT_MAX_ROWS_TEXT "100000"
/* Financial years shown on the adoption charts at most (the most recent ones). */
#define REPORT_MAX_YEARS 40

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ncc-report [OPTION]...\n"
            "Write the analysts' report as one self-contained HTML file (no network access\n"
            "needed to view or print it): unit cost benchmarks per technology and year, the\n"
            "trust x technology matrix of reconciliation statuses, adoption over the years\n"
            "and the data quality of every file loaded.\n"
            "\n"
            "  --dbname CONNINFO      connection string or URI (default: PG* environment, else\n"
            "                         the project's local cluster); never put a password here\n"
            "  -o, --output FILE      write the HTML to FILE (replaced whole) instead of stdout\n"
            "  --fin-year YYYYZZ      only this financial year, e.g. 202324 (sections 1 to 3)\n"
            "  -v, --verbose          more messages on stderr\n"
            "      --help             show this help and exit\n"
            "      --version          show the version and exit\n"
            "\n"
            "Exit status: 0 ok, 64 usage, 69 database unavailable, 70 internal error,\n"
            "74 output error.\n");
}

/* ---- reading ---------------------------------------------------------------------------- */

/* One query's result: res NULL and note set when the role may not read the tables. */
typedef struct qres {
    PGresult *res;
    int n;          /* rows used, at most REPORT_MAX_ROWS */
    bool truncated; /* more rows existed */
    char note[512];
} qres;

typedef enum qfail { QF_OK = 0, QF_UNAVAILABLE, QF_INTERNAL } qfail;

/*
 * Run sql (with $1 = the fin_year filter, NULL for every year) inside a savepoint. A
 * permission error leaves the section empty with a note; anything else fails the report.
 */
static qfail run_query(PGconn *c, const char *what, const char *sql, int nparams,
                       const char *fin_year, qres *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof *q);
    if (ncc_db_exec(c, "SAVEPOINT ncc_report", err, errlen) < 0)
        return PQstatus(c) == CONNECTION_OK ? QF_INTERNAL : QF_UNAVAILABLE;
    const char *params[1] = {fin_year};
    PGresult *r = PQexecParams(c, sql, nparams, NULL, nparams ? params : NULL, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        q->res = r;
        int n = PQntuples(r);
        q->truncated = n > REPORT_MAX_ROWS;
        q->n = q->truncated ? REPORT_MAX_ROWS : n;
        return ncc_db_exec(c, "RELEASE SAVEPOINT ncc_report", err, errlen) < 0
                   ? (PQstatus(c) == CONNECTION_OK ? QF_INTERNAL : QF_UNAVAILABLE)
                   : QF_OK;
    }
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (!msg)
        msg = PQerrorMessage(c);
    snprintf(err, errlen, "%s: %s", what, msg);
    size_t el = strlen(err);
    while (el > 0 && (err[el - 1] == '\n' || err[el - 1] == ' '))
        err[--el] = '\0';
    qfail f = QF_INTERNAL;
    if (PQstatus(c) != CONNECTION_OK) {
        f = QF_UNAVAILABLE;
    } else if (state && strcmp(state, "42501") == 0) { /* insufficient_privilege */
        snprintf(q->note, sizeof q->note, "%s", err);
        f = QF_OK;
    } else if (state && (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0 ||
                         strcmp(state, "42883") == 0)) {
        /* undefined table, schema or function: the warehouse is not set up */
        f = QF_UNAVAILABLE;
    }
    PQclear(r);
    if (f == QF_OK && ncc_db_exec(c, "ROLLBACK TO SAVEPOINT ncc_report", err, errlen) < 0)
        return PQstatus(c) == CONNECTION_OK ? QF_INTERNAL : QF_UNAVAILABLE;
    return f;
}

static const char *V(const qres *q, int row, int col)
{
    return PQgetvalue(q->res, row, col);
}

/* The NUMERIC (or integer) text s as money; 0 when it is not a number (never expected). */
static ncc_money M(const char *s)
{
    ncc_money v = 0;
    if (ncc_money_parse(s, strlen(s), &v) == NCC_PARSE_BAD)
        return 0;
    return v;
}

/* ---- the queries ------------------------------------------------------------------------ */

static const char SQL_META[] = "SELECT current_database(), current_user::text, "
                               "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"')";

/* 0 fin_year, 1 technology_id, 2 technology name, 3 org_code, 4 org name, 5 units, 6 cost,
 * 7 unit_cost, 8 national, 9 median, 10 p25, 11 p75, 12 n_orgs, 13 cost_index */
static const char SQL_BENCH[] =
    "SELECT b.fin_year::text, b.technology_id::text, coalesce(t.name, ''), b.org_code::text, "
    "coalesce(o.name, ''), b.units::text, b.cost::text, b.unit_cost::text, "
    "b.national_unit_cost::text, b.median_unit_cost::text, b.p25_unit_cost::text, "
    "b.p75_unit_cost::text, b.n_orgs::text, b.cost_index::text "
    "FROM mart.mtfm_benchmark b "
    "LEFT JOIN ref.technology t ON t.technology_id = b.technology_id "
    "LEFT JOIN ref.organisation o ON o.org_code = b.org_code "
    "WHERE $1::text IS NULL OR b.fin_year::text = $1::text "
    "ORDER BY b.fin_year::text COLLATE \"C\", b.technology_id::text COLLATE \"C\", b.unit_cost, "
    "b.org_code::text COLLATE \"C\" LIMIT " REPORT_MAX_ROWS_TEXT " + 1";

/* 0 fin_year, 1 org_code, 2 org name, 3 technology_id, 4 technology name, 5 status,
 * 6 ncc_units, 7 supply_units, 8 ncc_cost, 9 supply_value, 10 tolerance, 11 computed_at */
static const char SQL_REC[] =
    "SELECT r.fin_year::text, r.org_code::text, coalesce(o.name, ''), r.technology_id::text, "
    "coalesce(t.name, ''), r.status, r.ncc_units::text, r.supply_units::text, r.ncc_cost::text, "
    "r.supply_value::text, r.tolerance::text, "
    "to_char(r.computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI \"UTC\"') "
    "FROM mart.reconciliation r "
    "LEFT JOIN ref.technology t ON t.technology_id = r.technology_id "
    "LEFT JOIN ref.organisation o ON o.org_code = r.org_code "
    "WHERE $1::text IS NULL OR r.fin_year::text = $1::text "
    "ORDER BY r.fin_year::text COLLATE \"C\", r.org_code::text COLLATE \"C\", "
    "r.technology_id::text COLLATE \"C\" LIMIT " REPORT_MAX_ROWS_TEXT " + 1";

/* 0 technology_id, 1 technology name, 2 fin_year, 3 trusts, 4 units (all regions) */
static const char SQL_ADOPT_TOTAL[] =
    "SELECT a.technology_id::text, coalesce(min(t.name), ''), a.fin_year::text, "
    "sum(a.trusts)::text, sum(a.units)::text "
    "FROM mart.adoption a LEFT JOIN ref.technology t ON t.technology_id = a.technology_id "
    "WHERE $1::text IS NULL OR a.fin_year::text = $1::text "
    "GROUP BY a.technology_id, a.fin_year "
    "ORDER BY a.technology_id::text COLLATE \"C\", a.fin_year::text COLLATE \"C\" "
    "LIMIT " REPORT_MAX_ROWS_TEXT " + 1";

/* 0 technology_id, 1 fin_year, 2 region, 3 trusts, 4 units, 5 cost, 6 trusts_prev_year,
 * 7 units_prev_year, 8 units_change, 9 units_change_pct (the view's rows as they are) */
static const char SQL_ADOPT[] =
    "SELECT a.technology_id::text, a.fin_year::text, a.region, a.trusts::text, a.units::text, "
    "a.cost::text, coalesce(a.trusts_prev_year::text, ''), coalesce(a.units_prev_year::text, ''), "
    "a.units_change::text, coalesce(a.units_change_pct::text, '') "
    "FROM mart.adoption a "
    "WHERE $1::text IS NULL OR a.fin_year::text = $1::text "
    "ORDER BY a.technology_id::text COLLATE \"C\", a.fin_year::text COLLATE \"C\", "
    "a.region COLLATE \"C\" LIMIT " REPORT_MAX_ROWS_TEXT " + 1";

/* 0 file_load_id, 1 file_name, 2 kind, 3 submissions, 4 started, 5 status, 6 rows_read,
 * 7 rows_loaded, 8 rows_rejected, 9 rejected %, 10 error_count, 11 top codes, 12 message,
 * 13 superseded (true/false). No parameter: every file is listed whatever the year. */
static const char SQL_DQ[] =
    "SELECT f.file_load_id::text, f.file_name, coalesce(f.kind, ''), coalesce(s.subs, ''), "
    "to_char(f.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), f.status, "
    "f.rows_read::text, f.rows_loaded::text, f.rows_rejected::text, "
    "CASE WHEN f.rows_read > 0 THEN round(100.0 * f.rows_rejected / f.rows_read, 1)::text "
    "ELSE '' END, f.error_count::text, coalesce(e.top, ''), coalesce(f.message, ''), "
    "(f.kind = 'cost' AND f.status = 'loaded' AND s.subs IS NULL)::text "
    "FROM audit.file_load f "
    "LEFT JOIN LATERAL (SELECT string_agg(x.fin_year::text || ' ' || x.org_code::text || ' ' "
    "    || x.feed::text, ', ' ORDER BY x.fin_year, x.org_code, x.feed) AS subs "
    "    FROM core.submission x WHERE x.file_load_id = f.file_load_id) s ON true "
    "LEFT JOIN LATERAL (SELECT string_agg(c.code || ' (' || c.n || ')', ', ' "
    "    ORDER BY c.n DESC, c.code COLLATE \"C\") AS top "
    "    FROM (SELECT fe.code, count(*) AS n FROM audit.file_error fe "
    "          WHERE fe.file_load_id = f.file_load_id GROUP BY fe.code "
    "          ORDER BY count(*) DESC, fe.code COLLATE \"C\" LIMIT 3) c) e ON true "
    "ORDER BY f.file_load_id DESC LIMIT " REPORT_MAX_ROWS_TEXT " + 1";

/* ---- writing helpers -------------------------------------------------------------------- */

typedef struct report {
    FILE *out;
    const char *fin_year;
    int svg_seq;
    qres meta, bench, rec, adopt_total, adopt, dq;
} report;

#define P(...) fprintf(r->out, __VA_ARGS__)
#define S(s) fputs((s), r->out)
#define E(s) ncc_html_escape(r->out, (s))

/* An escaped text built with printf formatting (for titles and descriptions). */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s) {
        ncc_error("out of memory");
        exit(NCC_EXIT_SOFTWARE);
    }
    return s;
}

static void money_text(ncc_money v, char *buf, size_t cap)
{
    ncc_html_money_label(v, buf, cap);
}

static void coord_attr(report *r, const char *name, long long tenths)
{
    fprintf(r->out, " %s=\"", name);
    ncc_html_coord(r->out, tenths);
    fputc('"', r->out);
}

static void row_cap_note(report *r, const qres *q, const char *table)
{
    if (q->truncated) {
        S("<p class=\"note\"><strong>Note:</strong> only the first " REPORT_MAX_ROWS_TEXT
          " rows of ");
        E(table);
        S(" are shown.</p>\n");
    }
}

static bool denied(report *r, const qres *q)
{
    if (q->res)
        return false;
    S("<p class=\"note\"><strong>Not shown:</strong> ");
    E(q->note);
    S(". Run the report as a role that may read these tables (e.g. a member of ncc_loader).</p>\n");
    return true;
}

/* A trust as "RAA Northfield Hospitals ..." in HTML (code bold). */
static void trust_html(report *r, const char *code, const char *name)
{
    S("<span class=\"code\">");
    E(code);
    S("</span>");
    if (*name) {
        S(" ");
        E(name);
    }
}

/* ---- the status legend ------------------------------------------------------------------ */

typedef struct status_info {
    const char *code, *cls, *icon, *meaning;
} status_info;

static const status_info STATUSES[] = {
    {"MATCHED", "st-matched", "\xE2\x9C\x93", /* ✓ */
     "Units reported in NCC and units purchased agree within the tolerance: "
     "|NCC units \xE2\x88\x92 supply units| \xE2\x89\xA4 tolerance \xC3\x97 the larger of the "
     "two."},
    {"COST_EXCEEDS_PURCHASES", "st-cost", "\xE2\x96\xB2", /* ▲ */
     "The trust reported more units in NCC than it purchased (beyond the tolerance)."},
    {"PURCHASES_EXCEED_COST", "st-purch", "\xE2\x96\xBC", /* ▼ */
     "The trust purchased more units than it reported in NCC (beyond the tolerance)."},
    {"NO_PURCHASES", "st-nopurch", "\xE2\x9C\x95", /* ✕ */
     "Units reported in NCC but no purchases found (supply units \xE2\x89\xA4 0)."},
    {"NO_COST_REPORTED", "st-nocost", "\xE2\x97\x8B", /* ○ */
     "Units purchased but none reported in NCC."},
    {"UNATTRIBUTED", "st-unattr", "?",
     "MTFM cost that could not be attributed to a technology (no purchases compared)."},
};
static const status_info STATUS_OTHER = {"", "st-other", "\xE2\x80\xA2", ""};

static const status_info *status_of(const char *code)
{
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
        if (strcmp(STATUSES[i].code, code) == 0)
            return &STATUSES[i];
    return &STATUS_OTHER;
}

/* ---- CSS -------------------------------------------------------------------------------- */

static const char CSS[] =
    ":root{color-scheme:light}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.45 \"DejaVu Sans\",\"Liberation Sans\",Arial,Helvetica,"
    "sans-serif;color:#1a1a1a;background:#fff}\n"
    "main{max-width:1240px;margin:0 auto;padding:20px 32px 48px}\n"
    "header.top{border-bottom:5px solid #005eb8;padding-bottom:12px;margin-bottom:8px}\n"
    "h1{font-size:28px;margin:0 0 4px;color:#003087}\n"
    "h2{font-size:22px;margin:40px 0 8px;padding-top:10px;border-top:2px solid #c8d0d8;"
    "color:#003087}\n"
    "h3{font-size:18px;margin:28px 0 6px}\n"
    "h4{font-size:16px;margin:22px 0 2px}\n"
    "h4 .name{font-weight:normal;color:#3b3b3b}\n"
    "p{margin:6px 0;max-width:75em}\n"
    ".lead{font-size:16px;color:#333}\n"
    ".note{color:#3b3b3b;font-size:14px}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:10px 0;"
    "font-size:14px}\n"
    "dl.meta dt{font-weight:bold}dl.meta dd{margin:0}\n"
    "nav.toc ol{margin:6px 0;padding-left:22px;columns:2;max-width:44em}\n"
    "a{color:#004a99}\n"
    ".code{font-weight:bold;font-family:\"DejaVu Sans Mono\",\"Liberation Mono\",monospace;"
    "font-size:0.93em}\n"
    "table{border-collapse:collapse;font-size:13.5px;margin:6px 0 14px}\n"
    "caption{text-align:left;font-weight:bold;padding:4px 0;caption-side:top}\n"
    "th,td{border:1px solid #b9c1c9;padding:3px 8px;vertical-align:top;text-align:left}\n"
    "thead th{background:#e8edf2}\n"
    "tbody th{font-weight:normal}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".figrow{display:flex;flex-wrap:wrap;gap:4px 28px;align-items:flex-start}\n"
    "figure{margin:6px 0}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    "figcaption{font-size:14px;margin:2px 0 4px;max-width:760px}\n"
    ".summary b{font-variant-numeric:tabular-nums}\n"
    "svg{display:block;overflow:visible}\n"
    "svg text{font-family:inherit;font-size:12px;fill:#1a1a1a}\n"
    "svg text.lbl{font-size:12.5px}\n"
    "svg text.val{font-variant-numeric:tabular-nums}\n"
    "svg text.hdr{font-weight:bold;font-size:12px}\n"
    "svg text.tick{font-size:11px;fill:#333}\n"
    "svg text.axis-title{font-size:11.5px;fill:#333}\n"
    "svg .zebra{fill:#f2f4f6}\n"
    "svg .grid{stroke:#c8ced4;stroke-width:1}\n"
    "svg .axis{stroke:#4d4d4d;stroke-width:1}\n"
    "svg .iqr{fill:#b9d3ee}\n"
    "svg .median{stroke:#1a1a1a;stroke-width:2;stroke-dasharray:5 3}\n"
    "svg .national{stroke:#b3261e;stroke-width:2.5}\n"
    "svg .stem{stroke:#6b7b8c;stroke-width:1.5}\n"
    "svg .mark{fill:#1f4e79;stroke:#fff;stroke-width:1.5}\n"
    "svg .bar{fill:#2e6da4}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:6px 22px;align-items:center;font-size:14px;"
    "margin:8px 0 4px}\n"
    ".legend span{display:inline-flex;align-items:center;gap:6px}\n"
    ".legend i{display:inline-block;height:16px}\n"
    ".sw-dot{width:12px;height:12px!important;border-radius:50%;background:#1f4e79}\n"
    ".sw-national{width:0;border-left:2.5px solid #b3261e}\n"
    ".sw-median{width:0;border-left:2px dashed #1a1a1a}\n"
    ".sw-iqr{width:22px;background:#b9d3ee}\n"
    "table.matrix th,table.matrix td{min-width:92px;padding:3px 6px}\n"
    "table.matrix thead th{vertical-align:bottom}\n"
    "table.matrix abbr{text-decoration:none}\n"
    "table.matrix tbody th{min-width:190px;max-width:260px}\n"
    "dl.key{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1px 18px;"
    "font-size:12.5px;margin:0 0 10px}\n"
    "dl.key div{display:flex;gap:8px}dl.key dt{min-width:6em}dl.key dd{margin:0}\n"
    "td.st{border-left-width:5px;font-size:12.5px;line-height:1.3}\n"
    "td.st .stc{font-weight:bold;font-size:11.5px;letter-spacing:0.01em}\n"
    "td.st .u{display:block;color:#262626;font-size:12px}\n"
    "td.none{color:#595959;text-align:center}\n"
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap}\n"
    ".ic{display:inline-block;width:1.1em;text-align:center;font-weight:bold}\n"
    ".st-matched{background:#dcf1e1;border-left-color:#1e7b34!important}\n"
    ".st-cost{background:#ffe6c7;border-left-color:#a65200!important}\n"
    ".st-purch{background:#dde8fa;border-left-color:#1f4fa8!important}\n"
    ".st-nopurch{background:#fad6d6;border-left-color:#b3261e!important}\n"
    ".st-nocost{background:#ece0f7;border-left-color:#6a3d9a!important}\n"
    ".st-unattr{background:#e8e8e8;border-left-color:#4d4d4d!important}\n"
    ".st-other{background:#fff;border-left-color:#000!important}\n"
    "td.sw{border-left-width:5px;font-weight:bold;font-size:12px;white-space:nowrap}\n"
    "table.dq-table td,table.dq-table th{font-size:12.5px;padding:3px 6px}\n"
    ".nowrap{white-space:nowrap}\n"
    "th.fname{overflow-wrap:break-word;min-width:12em;max-width:22em}\n"
    ".msg{display:block;color:#3b3b3b;font-size:12px}\n"
    ".fl-loaded{color:#14662a}.fl-quarantined{color:#a1231b;font-weight:bold}"
    ".fl-unchanged{color:#3b3b3b}\n"
    "td.bad{background:#fad6d6}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:10px 18px}\n"
    ".cards figure{border:1px solid #c8d0d8;border-radius:4px;padding:8px 10px;margin:0;"
    "width:min-content}\n"
    ".cards figcaption{font-size:13px;max-width:none}\n"
    ".cards figcaption .tname{display:block;color:#3b3b3b;font-size:12px}\n"
    "footer{margin-top:40px;border-top:1px solid #c8d0d8;padding-top:8px;font-size:13px;"
    "color:#3b3b3b}\n"
    "@page{size:A4 landscape;margin:12mm}\n"
    "@media print{\n"
    "  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "  body{font-size:10pt}\n"
    "  .scroll{overflow:visible}\n"
    "  table.matrix th,table.matrix td{min-width:0}\n"
    "  table.matrix tbody th{min-width:150px}\n"
    "  main{max-width:none;padding:0}\n"
    "  nav.toc{display:none}\n"
    "  h2{break-before:page;border-top:none}\n"
    "  h2.first{break-before:auto}\n"
    "  h2,h3,h4{break-after:avoid}\n"
    "  figure,tr,.cards figure{break-inside:avoid}\n"
    "  p.summary{break-after:avoid}\n"
    "  .figrow{gap:4px 16px}\n"
    "  svg.bench-chart{width:640px;height:auto}\n"
    "  table,table.dq-table td,table.dq-table th{font-size:8.5pt}\n"
    "  a{color:inherit;text-decoration:none}\n"
    "}\n";

/* ---- section 1: benchmark --------------------------------------------------------------- */

/* geometry of a benchmark chart, pixels */
enum {
    BM_W = 700,
    BM_LABEL_X = 6,
    BM_PLOT_X0 = 262,
    BM_PLOT_W = 330,
    BM_VALUE_X = 692,
    BM_TOP = 26,
    BM_ROW_H = 24,
    BM_MAX_TICKS = 6,
    BM_NAME_CHARS = 34
};

static void vline(report *r, const char *cls, long long x10, int y0, int y1)
{
    P("<line class=\"%s\"", cls);
    coord_attr(r, "x1", x10);
    coord_attr(r, "x2", x10);
    P(" y1=\"%d\" y2=\"%d\"", y0, y1);
}

static void bench_chart(report *r, int first, int n)
{
    const qres *q = &r->bench;
    char fy[16], b1[96], b2[96];
    ncc_html_fin_year_label(V(q, first, 0), fy);
    const char *tech = V(q, first, 1);
    ncc_money nat = M(V(q, first, 8)), med = M(V(q, first, 9));
    ncc_money p25 = M(V(q, first, 10)), p75 = M(V(q, first, 11));
    ncc_money mn = nat, mx = nat;
    ncc_money cands[3] = {med, p25, p75};
    for (int i = 0; i < 3; i++) {
        if (cands[i] < mn)
            mn = cands[i];
        if (cands[i] > mx)
            mx = cands[i];
    }
    for (int i = first; i < first + n; i++) {
        ncc_money v = M(V(q, i, 7));
        if (v < mn)
            mn = v;
        if (v > mx)
            mx = v;
    }
    /* several trusts: a scale around their values (with a margin of a tenth of the spread on
     * either side) so that the differences show; one trust: a scale from 0 */
    ncc_money lo, hi, step, pad = (mx - mn) / 10;
    if (n < 2 || pad == 0)
        pad = (mx < 0 ? -mx : mx) / 10; /* keep a lone value off the scale's end */
    ncc_money from = mn - pad, to = mx + pad;
    if (mn >= 0 && from < 0)
        from = 0; /* never a negative scale for positive costs */
    ncc_html_axis(from, to, BM_MAX_TICKS, n < 2, &lo, &hi, &step);

    int bottom = BM_TOP + n * BM_ROW_H;
    int height = bottom + 44;
    char id[32];
    snprintf(id, sizeof id, "svg%d", ++r->svg_seq);
    money_text(lo, b1, sizeof b1);
    money_text(hi, b2, sizeof b2);
    char *title = fmt("Unit cost by trust, %s, %s", tech, fy);
    char *desc = fmt("Dot plot of the unit cost in pounds of %d trust%s on a scale from %s to %s; "
                     "national unit cost %s, median %s, interquartile range %s to %s. "
                     "The exact values are in the table that follows.",
                     n, n == 1 ? "" : "s", b1, b2, V(q, first, 8), V(q, first, 9), V(q, first, 10),
                     V(q, first, 11));
    ncc_html_svg_open(r->out, id, "bench-chart", BM_W, height, title, desc);
    free(title);
    free(desc);
    S("\n");
    /* column headers */
    P("<text class=\"hdr\" x=\"%d\" y=\"16\">Trust</text>", BM_LABEL_X);
    P("<text class=\"hdr\" x=\"%d\" y=\"16\" text-anchor=\"end\">Unit cost (\xC2\xA3)</text>\n",
      BM_VALUE_X);
    /* zebra rows */
    for (int i = 0; i < n; i++)
        if (i % 2 == 0)
            P("<rect class=\"zebra\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
              BM_TOP + i * BM_ROW_H, BM_W, BM_ROW_H);
    S("\n");
    /* grid and tick labels */
    for (ncc_money t = lo; t <= hi; t += step) {
        long long x = BM_PLOT_X0 * 10LL + ncc_html_scale(t, lo, hi, BM_PLOT_W);
        vline(r, "grid", x, BM_TOP, bottom + 4);
        S("/>");
        money_text(t, b1, sizeof b1);
        S("<text class=\"tick\"");
        coord_attr(r, "x", x);
        P(" y=\"%d\" text-anchor=\"middle\">%s</text>", bottom + 17, b1);
    }
    P("<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>", BM_PLOT_X0,
      BM_PLOT_X0 + BM_PLOT_W, bottom, bottom);
    P("<text class=\"axis-title\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
      "unit cost, pounds</text>\n",
      BM_PLOT_X0 + BM_PLOT_W / 2, bottom + 34);
    /* interquartile band */
    long long x25 = BM_PLOT_X0 * 10LL + ncc_html_scale(p25, lo, hi, BM_PLOT_W);
    long long x75 = BM_PLOT_X0 * 10LL + ncc_html_scale(p75, lo, hi, BM_PLOT_W);
    S("<rect class=\"iqr\"");
    coord_attr(r, "x", x25);
    P(" y=\"%d\"", BM_TOP);
    coord_attr(r, "width", x75 - x25);
    P(" height=\"%d\"><title>Interquartile range (25th to 75th percentile): \xC2\xA3",
      n * BM_ROW_H);
    E(V(q, first, 10));
    S(" to \xC2\xA3");
    E(V(q, first, 11));
    S("</title></rect>\n");
    /* stems from the national line to each trust's dot */
    long long xnat = BM_PLOT_X0 * 10LL + ncc_html_scale(nat, lo, hi, BM_PLOT_W);
    long long xmed = BM_PLOT_X0 * 10LL + ncc_html_scale(med, lo, hi, BM_PLOT_W);
    for (int i = 0; i < n; i++) {
        long long x = BM_PLOT_X0 * 10LL + ncc_html_scale(M(V(q, first + i, 7)), lo, hi, BM_PLOT_W);
        if (x == xnat)
            continue;
        int y = BM_TOP + i * BM_ROW_H + BM_ROW_H / 2;
        S("<line class=\"stem\"");
        coord_attr(r, "x1", xnat);
        coord_attr(r, "x2", x);
        P(" y1=\"%d\" y2=\"%d\"/>", y, y);
    }
    S("\n");
    vline(r, "median", xmed, BM_TOP - 4, bottom);
    S("><title>Median unit cost: \xC2\xA3");
    E(V(q, first, 9));
    S("</title></line>\n");
    vline(r, "national", xnat, BM_TOP - 4, bottom);
    S("><title>National unit cost (activity-weighted): \xC2\xA3");
    E(V(q, first, 8));
    S("</title></line>\n");
    /* one mark per trust, its label and its value */
    for (int i = 0; i < n; i++) {
        int row = first + i;
        int y = BM_TOP + i * BM_ROW_H + BM_ROW_H / 2;
        const char *org = V(q, row, 3), *name = V(q, row, 4);
        P("<text class=\"lbl\" x=\"%d\" y=\"%d\"><tspan font-weight=\"bold\">", BM_LABEL_X, y + 4);
        E(org);
        S("</tspan>");
        if (*name) {
            S(" ");
            ncc_html_escape_trunc(r->out, name, BM_NAME_CHARS);
        }
        S("</text>");
        long long x = BM_PLOT_X0 * 10LL + ncc_html_scale(M(V(q, row, 7)), lo, hi, BM_PLOT_W);
        S("<circle class=\"mark\"");
        coord_attr(r, "cx", x);
        P(" cy=\"%d\" r=\"6\"><title>", y);
        E(org);
        if (*name) {
            S(" ");
            E(name);
        }
        S(": unit cost \xC2\xA3");
        E(V(q, row, 7));
        S(" (");
        E(V(q, row, 5));
        S(" units, cost \xC2\xA3");
        E(V(q, row, 6));
        S("; cost index ");
        E(V(q, row, 13));
        S(")</title></circle>");
        P("<text class=\"val\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", BM_VALUE_X, y + 4);
        E(V(q, row, 7));
        S("</text>\n");
    }
    S("</svg>\n");
}

static void bench_table(report *r, int first, int n)
{
    const qres *q = &r->bench;
    char fy[16];
    ncc_html_fin_year_label(V(q, first, 0), fy);
    S("<table class=\"bench-table\"><caption>");
    E(V(q, first, 1));
    S(", ");
    E(fy);
    S(": trusts' units, cost and unit cost</caption>\n<thead><tr><th scope=\"col\">Trust</th>"
      "<th scope=\"col\" class=\"num\">Units</th><th scope=\"col\" class=\"num\">Cost "
      "(\xC2\xA3)</th>"
      "<th scope=\"col\" class=\"num\">Unit cost (\xC2\xA3)</th>"
      "<th scope=\"col\" class=\"num\">Cost index</th></tr></thead>\n<tbody>\n");
    for (int i = first; i < first + n; i++) {
        S("<tr data-key=\"");
        E(V(q, i, 0));
        S("/");
        E(V(q, i, 1));
        S("/");
        E(V(q, i, 3));
        S("\"><th scope=\"row\">");
        trust_html(r, V(q, i, 3), "");
        S("</th><td class=\"num\">");
        E(V(q, i, 5));
        S("</td><td class=\"num\">");
        E(V(q, i, 6));
        S("</td><td class=\"num\">");
        E(V(q, i, 7));
        S("</td><td class=\"num\">");
        E(V(q, i, 13));
        S("</td></tr>\n");
    }
    S("</tbody></table>\n");
}

static void bench_legend(report *r)
{
    /* swatches drawn with CSS (decorative: the words say what each is) */
    S("<div class=\"legend\">"
      "<span><i class=\"sw-dot\" aria-hidden=\"true\"></i>a trust's unit cost (dot)</span>"
      "<span><i class=\"sw-national\" aria-hidden=\"true\"></i>national unit cost "
      "(solid line)</span>"
      "<span><i class=\"sw-median\" aria-hidden=\"true\"></i>median (dashed line)</span>"
      "<span><i class=\"sw-iqr\" aria-hidden=\"true\"></i>25th to 75th percentile "
      "(shaded band)</span>"
      "</div>\n");
}

static void section_benchmark(report *r)
{
    const qres *q = &r->bench;
    S("<h2 id=\"benchmark\" class=\"first\">1. Unit cost benchmark</h2>\n"
      "<p>Each trust's MTFM unit cost (cost \xC3\xB7 units it reported) for each technology and "
      "financial year, against the activity-weighted national unit cost, the median and the "
      "interquartile range of the trusts' unit costs (<span "
      "class=\"code\">mart.mtfm_benchmark</span>"
      ", contract 5.3). A trust far to the right of the national line costs more per unit than "
      "the country as a whole. Each chart's scale fits its trusts' values, so it starts at zero "
      "only for a single trust; the table beside it and the cost index (100 = the national unit "
      "cost) give the sizes. Money is in pounds, exactly as stored (4 decimals).</p>\n");
    if (denied(r, q))
        return;
    if (q->n == 0) {
        S("<p class=\"note\">No rows in mart.mtfm_benchmark");
        if (r->fin_year) {
            S(" for ");
            E(r->fin_year);
        }
        S(": load cost submissions and run ncc-reconcile (or ncc-nightly).</p>\n");
        return;
    }
    bench_legend(r);
    const char *year = NULL;
    for (int i = 0; i < q->n;) {
        int j = i + 1;
        while (j < q->n && strcmp(V(q, j, 0), V(q, i, 0)) == 0 &&
               strcmp(V(q, j, 1), V(q, i, 1)) == 0)
            j++;
        if (!year || strcmp(year, V(q, i, 0)) != 0) {
            char fy[16];
            year = V(q, i, 0);
            ncc_html_fin_year_label(year, fy);
            S("<h3>Financial year ");
            E(fy);
            S("</h3>\n");
        }
        S("<section class=\"bench-group\" data-key=\"");
        E(V(q, i, 0));
        S("/");
        E(V(q, i, 1));
        S("\">\n<h4><span class=\"code\">");
        E(V(q, i, 1));
        S("</span>");
        if (*V(q, i, 2)) {
            S(" <span class=\"name\">");
            E(V(q, i, 2));
            S("</span>");
        }
        S("</h4>\n<p class=\"summary\">");
        E(V(q, i, 12));
        S(strcmp(V(q, i, 12), "1") == 0 ? " trust" : " trusts");
        S(" \xC2\xB7 national unit cost <b class=\"national-v\">\xC2\xA3");
        E(V(q, i, 8));
        S("</b> \xC2\xB7 median <b class=\"median-v\">\xC2\xA3");
        E(V(q, i, 9));
        S("</b> \xC2\xB7 interquartile range <b class=\"p25-v\">\xC2\xA3");
        E(V(q, i, 10));
        S("</b> to <b class=\"p75-v\">\xC2\xA3");
        E(V(q, i, 11));
        S("</b></p>\n<div class=\"figrow\">\n<figure>\n");
        bench_chart(r, i, j - i);
        S("</figure>\n");
        bench_table(r, i, j - i);
        S("</div>\n</section>\n");
        i = j;
    }
    row_cap_note(r, q, "mart.mtfm_benchmark");
}

/* ---- section 2: reconciliation matrix --------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void status_legend(report *r)
{
    S("<table class=\"legend-table\"><caption>What each reconciliation status means</caption>\n"
      "<thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Meaning</th></tr></thead>\n"
      "<tbody>\n");
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++) {
        const status_info *s = &STATUSES[i];
        P("<tr><td class=\"sw %s\"><span class=\"ic\" aria-hidden=\"true\">%s</span> ", s->cls,
          s->icon);
        E(s->code);
        S("</td><td>");
        E(s->meaning);
        S("</td></tr>\n");
    }
    S("</tbody></table>\n");
}

static void rec_matrix(report *r, int first, int n)
{
    const qres *q = &r->rec;
    char fy[16];
    ncc_html_fin_year_label(V(q, first, 0), fy);
    /* the technologies of the year, sorted, UNATTRIBUTED last */
    const char **techs = malloc((size_t)n * sizeof *techs);
    const char **tnames = malloc((size_t)n * sizeof *tnames);
    if (!techs || !tnames) {
        ncc_error("out of memory");
        exit(NCC_EXIT_SOFTWARE);
    }
    for (int i = 0; i < n; i++)
        techs[i] = V(q, first + i, 3);
    qsort(techs, (size_t)n, sizeof *techs, cmp_str);
    int nt = 0;
    for (int i = 0; i < n; i++)
        if (nt == 0 || strcmp(techs[nt - 1], techs[i]) != 0)
            techs[nt++] = techs[i];
    for (int i = 0; i < nt; i++)
        if (strcmp(techs[i], "UNATTRIBUTED") == 0) {
            memmove(techs + i, techs + i + 1, (size_t)(nt - i - 1) * sizeof *techs);
            techs[nt - 1] = "UNATTRIBUTED";
            break;
        }
    for (int t = 0; t < nt; t++) {
        tnames[t] = "";
        for (int i = first; i < first + n; i++)
            if (strcmp(V(q, i, 3), techs[t]) == 0) {
                tnames[t] = V(q, i, 4);
                break;
            }
    }
    /* tolerance and when it was computed */
    S("<p class=\"note\">Tolerance ");
    E(V(q, first, 10));
    S(", computed ");
    E(V(q, first, 11));
    S(". Each cell: the status, then the units reported in NCC and the units purchased "
      "(NHS Supply Chain plus direct).</p>\n");
    S("<div class=\"scroll\"><table class=\"matrix\" data-fin-year=\"");
    E(V(q, first, 0));
    S("\"><caption>Reconciliation status by trust and technology, ");
    E(fy);
    S("</caption>\n<thead><tr><th scope=\"col\">Trust</th>");
    for (int t = 0; t < nt; t++) {
        S("<th scope=\"col\" class=\"code\">");
        if (*tnames[t]) {
            S("<abbr title=\"");
            E(tnames[t]);
            S("\">");
            E(techs[t]);
            S("</abbr>");
        } else {
            E(techs[t]);
        }
        S("</th>");
    }
    S("</tr></thead>\n<tbody>\n");
    for (int i = first; i < first + n;) {
        const char *org = V(q, i, 1);
        int j = i;
        while (j < first + n && strcmp(V(q, j, 1), org) == 0)
            j++;
        S("<tr><th scope=\"row\">");
        trust_html(r, org, V(q, i, 2));
        S("</th>");
        for (int t = 0; t < nt; t++) {
            int k = -1;
            for (int m = i; m < j; m++)
                if (strcmp(V(q, m, 3), techs[t]) == 0) {
                    k = m;
                    break;
                }
            if (k < 0) {
                S("<td class=\"none\"><span aria-hidden=\"true\">\xE2\x80\x94</span>"
                  "<span class=\"sr\"> no row</span></td>");
                continue;
            }
            const status_info *s = status_of(V(q, k, 5));
            P("<td class=\"st %s\" data-key=\"", s->cls);
            E(V(q, k, 0));
            S("/");
            E(org);
            S("/");
            E(techs[t]);
            P("\"><span class=\"ic\" aria-hidden=\"true\">%s</span> <span class=\"stc\">", s->icon);
            ncc_html_escape_wbr(r->out, V(q, k, 5));
            S("</span><span class=\"u\">NCC ");
            E(V(q, k, 6));
            S(" \xC2\xB7 bought ");
            E(V(q, k, 7));
            S("</span></td>");
        }
        S("</tr>\n");
        i = j;
    }
    S("</tbody></table></div>\n<dl class=\"key\">");
    for (int t = 0; t < nt; t++) {
        S("<div><dt class=\"code\">");
        E(techs[t]);
        S("</dt><dd>");
        if (*tnames[t])
            E(tnames[t]);
        else if (strcmp(techs[t], "UNATTRIBUTED") == 0)
            S("MTFM cost without a technology");
        else
            S("(not in ref.technology)");
        S("</dd></div>");
    }
    S("</dl>\n");
    free(techs);
    free(tnames);
}

static void section_reconciliation(report *r)
{
    const qres *q = &r->rec;
    S("<h2 id=\"reconciliation\">2. Reconciliation of reported use against purchases</h2>\n"
      "<p>For each trust and technology, the MTFM units the trust reported in NCC against the "
      "units it bought through NHS Supply Chain and directly from suppliers "
      "(<span class=\"code\">mart.reconciliation</span>, contract 5.2). Every status is shown as "
      "text and a symbol as well as a colour.</p>\n");
    if (denied(r, q))
        return;
    status_legend(r);
    if (q->n == 0) {
        S("<p class=\"note\">No rows in mart.reconciliation");
        if (r->fin_year) {
            S(" for ");
            E(r->fin_year);
        }
        S(": run ncc-reconcile (or ncc-nightly).</p>\n");
        return;
    }
    for (int i = 0; i < q->n;) {
        int j = i + 1;
        while (j < q->n && strcmp(V(q, j, 0), V(q, i, 0)) == 0)
            j++;
        char fy[16];
        ncc_html_fin_year_label(V(q, i, 0), fy);
        S("<h3>Financial year ");
        E(fy);
        S("</h3>\n");
        rec_matrix(r, i, j - i);
        i = j;
    }
    row_cap_note(r, q, "mart.reconciliation");
}

/* ---- section 3: adoption ---------------------------------------------------------------- */

enum { AD_X0 = 46, AD_SLOT = 64, AD_TOP = 22, AD_PLOT_H = 110, AD_MAX_TICKS = 4 };

static void adoption_card(report *r, int first, int n, const char **years, int ny)
{
    const qres *q = &r->adopt_total;
    const char *tech = V(q, first, 0);
    int width = AD_X0 + ny * AD_SLOT + 8;
    if (width < 220)
        width = 220;
    int bottom = AD_TOP + AD_PLOT_H;
    int height = bottom + 44;
    ncc_money mx = 0;
    for (int i = first; i < first + n; i++) {
        ncc_money u = M(V(q, i, 4));
        if (u > mx)
            mx = u;
    }
    ncc_money lo, hi, step;
    /* units are whole: keep steps whole too */
    ncc_html_axis(0, mx, AD_MAX_TICKS, 1, &lo, &hi, &step);
    if (step < NCC_MONEY_SCALE) {
        step = NCC_MONEY_SCALE;
        hi = ((mx + step - 1) / step) * step;
        if (hi == 0)
            hi = step;
    }
    S("<figure>\n<figcaption><span class=\"code\">");
    E(tech);
    S("</span>");
    if (*V(q, first, 1)) {
        S("<span class=\"tname\">");
        E(V(q, first, 1));
        S("</span>");
    }
    S("</figcaption>\n");
    char id[32];
    snprintf(id, sizeof id, "svg%d", ++r->svg_seq);
    /* description: every year's figures */
    char *desc = NULL;
    size_t dlen = 0;
    FILE *d = open_memstream(&desc, &dlen);
    if (!d) {
        ncc_error("out of memory");
        exit(NCC_EXIT_SOFTWARE);
    }
    fputs("Units reported per financial year (bars), with the number of trusts:", d);
    for (int i = first; i < first + n; i++) {
        char fy[16];
        ncc_html_fin_year_label(V(q, i, 2), fy);
        fprintf(d, " %s %s units by %s trust%s%s", fy, V(q, i, 4), V(q, i, 3),
                strcmp(V(q, i, 3), "1") == 0 ? "" : "s", i + 1 < first + n ? ";" : ".");
    }
    if (fclose(d) != 0 || !desc) {
        ncc_error("out of memory");
        exit(NCC_EXIT_SOFTWARE);
    }
    char *title = fmt("Adoption of %s: units and trusts per year", tech);
    ncc_html_svg_open(r->out, id, "adoption-chart", width, height, title, desc);
    free(title);
    free(desc);
    S("\n");
    char lab[96];
    for (ncc_money t = lo; t <= hi; t += step) {
        long long y = bottom * 10LL - ncc_html_scale(t, lo, hi, AD_PLOT_H);
        S("<line class=\"grid\"");
        P(" x1=\"%d\" x2=\"%d\"", AD_X0, AD_X0 + ny * AD_SLOT);
        coord_attr(r, "y1", y);
        coord_attr(r, "y2", y);
        S("/>");
        money_text(t, lab, sizeof lab);
        P("<text class=\"tick\" x=\"%d\"", AD_X0 - 6);
        coord_attr(r, "y", y + 40);
        P(" text-anchor=\"end\">%s</text>", lab);
    }
    P("<line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>\n", AD_X0,
      AD_X0 + ny * AD_SLOT, bottom, bottom);
    P("<text class=\"axis-title\" x=\"%d\" y=\"12\">units</text>\n", 4);
    for (int y = 0; y < ny; y++) {
        int cx = AD_X0 + y * AD_SLOT + AD_SLOT / 2;
        char fy[16];
        ncc_html_fin_year_label(years[y], fy);
        P("<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", cx, bottom + 16);
        E(fy);
        S("</text>");
        int k = -1;
        for (int i = first; i < first + n; i++)
            if (strcmp(V(q, i, 2), years[y]) == 0) {
                k = i;
                break;
            }
        if (k < 0) {
            P("<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">none</text>\n", cx,
              bottom + 32);
            continue;
        }
        long long h = ncc_html_scale(M(V(q, k, 4)), lo, hi, AD_PLOT_H);
        int bw = 30;
        S("<rect class=\"bar\"");
        P(" x=\"%d\"", cx - bw / 2);
        coord_attr(r, "y", bottom * 10LL - h);
        P(" width=\"%d\"", bw);
        coord_attr(r, "height", h);
        S("><title>");
        E(tech);
        S(", ");
        E(fy);
        S(": ");
        E(V(q, k, 4));
        S(" units by ");
        E(V(q, k, 3));
        S(strcmp(V(q, k, 3), "1") == 0 ? " trust" : " trusts");
        S("</title></rect>");
        P("<text class=\"val\" x=\"%d\"", cx);
        coord_attr(r, "y", bottom * 10LL - h - 40);
        S(" text-anchor=\"middle\">");
        E(V(q, k, 4));
        S("</text>");
        P("<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", cx, bottom + 32);
        E(V(q, k, 3));
        S(strcmp(V(q, k, 3), "1") == 0 ? " trust" : " trusts");
        S("</text>\n");
    }
    S("</svg>\n</figure>\n");
}

static void adoption_table(report *r)
{
    const qres *q = &r->adopt;
    if (denied(r, q))
        return;
    if (q->n == 0)
        return;
    S("<table class=\"adoption-table\"><caption>Adoption by technology, financial year and NHS "
      "region (mart.adoption)</caption>\n<thead><tr><th scope=\"col\">Technology</th>"
      "<th scope=\"col\">Year</th><th scope=\"col\">Region</th>"
      "<th scope=\"col\" class=\"num\">Trusts</th><th scope=\"col\" class=\"num\">Units</th>"
      "<th scope=\"col\" class=\"num\">Cost (\xC2\xA3)</th>"
      "<th scope=\"col\" class=\"num\">Trusts year before</th>"
      "<th scope=\"col\" class=\"num\">Units year before</th>"
      "<th scope=\"col\" class=\"num\">Change in units</th>"
      "<th scope=\"col\" class=\"num\">Change %</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < q->n; i++) {
        S("<tr data-key=\"");
        E(V(q, i, 0));
        S("/");
        E(V(q, i, 1));
        S("/");
        E(V(q, i, 2));
        S("\"><th scope=\"row\" class=\"code\">");
        E(V(q, i, 0));
        S("</th><td>");
        E(V(q, i, 1));
        S("</td><td>");
        E(V(q, i, 2));
        S("</td>");
        for (int c = 3; c <= 9; c++) {
            S("<td class=\"num\">");
            if (*V(q, i, c))
                E(V(q, i, c));
            else
                S("<span aria-label=\"none\">\xE2\x80\x93</span>");
            S("</td>");
        }
        S("</tr>\n");
    }
    S("</tbody></table>\n");
    row_cap_note(r, q, "mart.adoption");
}

static void section_adoption(report *r)
{
    const qres *q = &r->adopt_total;
    S("<h2 id=\"adoption\">3. Adoption over the years</h2>\n"
      "<p>Units of each technology the trusts reported per financial year (bars, value above), "
      "and how many trusts reported any (below the year), all regions together; the table "
      "gives the figures per NHS region (<span class=\"code\">mart.adoption</span>).</p>\n");
    if (denied(r, q))
        return;
    if (q->n == 0) {
        S("<p class=\"note\">No rows in mart.adoption");
        if (r->fin_year) {
            S(" for ");
            E(r->fin_year);
        }
        S(": no MTFM units have been reported yet.</p>\n");
        return;
    }
    /* the years of every card: all years present, sorted, the most recent REPORT_MAX_YEARS */
    const char **years = malloc((size_t)q->n * sizeof *years);
    if (!years) {
        ncc_error("out of memory");
        exit(NCC_EXIT_SOFTWARE);
    }
    for (int i = 0; i < q->n; i++)
        years[i] = V(q, i, 2);
    qsort(years, (size_t)q->n, sizeof *years, cmp_str);
    int ny = 0;
    for (int i = 0; i < q->n; i++)
        if (ny == 0 || strcmp(years[ny - 1], years[i]) != 0)
            years[ny++] = years[i];
    const char **shown = years;
    if (ny > REPORT_MAX_YEARS) {
        shown = years + (ny - REPORT_MAX_YEARS);
        ny = REPORT_MAX_YEARS;
        P("<p class=\"note\">The charts show the latest %d financial years; the table has them "
          "all.</p>\n",
          REPORT_MAX_YEARS);
    }
    S("<div class=\"cards\">\n");
    for (int i = 0; i < q->n;) {
        int j = i + 1;
        while (j < q->n && strcmp(V(q, j, 0), V(q, i, 0)) == 0)
            j++;
        adoption_card(r, i, j - i, shown, ny);
        i = j;
    }
    S("</div>\n");
    free(years);
    row_cap_note(r, q, "mart.adoption (totals)");
    adoption_table(r);
}

/* ---- section 4: data quality ------------------------------------------------------------ */

/* Write text escaped, each piece between separators sep unbreakable, pieces joined by join. */
static void split_nowrap(report *r, const char *text, const char *sep, const char *join)
{
    size_t seplen = strlen(sep);
    while (*text) {
        const char *end = strstr(text, sep);
        size_t len = end ? (size_t)(end - text) : strlen(text);
        S("<span class=\"nowrap\">");
        ncc_html_escape_n(r->out, text, len);
        S("</span>");
        if (!end)
            break;
        S(join);
        text = end + seplen;
    }
}

static void section_quality(report *r)
{
    const qres *q = &r->dq;
    S("<h2 id=\"quality\">4. Data quality of the files loaded</h2>\n"
      "<p>Every file the pipeline handled, newest first (<span class=\"code\">audit.file_load"
      "</span>): what it loaded, the rows read, loaded and rejected, how it ended, and its most "
      "frequent error and warning codes (<span class=\"code\">audit.file_error</span>; codes "
      "of contract section 4: F_ file, E_ row error, W_ warning). Every financial year is "
      "listed whatever --fin-year says.</p>\n");
    if (denied(r, q))
        return;
    if (q->n == 0) {
        S("<p class=\"note\">No files have been loaded yet.</p>\n");
        return;
    }
    /* summary */
    long long files = q->n, quarantined = 0, unchanged = 0;
    ncc_money read = 0, loaded = 0, rejected = 0;
    for (int i = 0; i < q->n; i++) {
        if (strcmp(V(q, i, 5), "quarantined") == 0)
            quarantined++;
        else if (strcmp(V(q, i, 5), "unchanged") == 0)
            unchanged++;
        read += M(V(q, i, 6));
        loaded += M(V(q, i, 7));
        rejected += M(V(q, i, 8));
    }
    char b1[96], b2[96], b3[96];
    ncc_html_money_label(read, b1, sizeof b1);
    ncc_html_money_label(loaded, b2, sizeof b2);
    ncc_html_money_label(rejected, b3, sizeof b3);
    P("<p class=\"summary\"><b>%lld</b> file%s: <b>%lld</b> loaded, <b>%lld</b> unchanged, "
      "<b>%lld</b> quarantined; <b>%s</b> rows read, <b>%s</b> loaded, <b>%s</b> rejected.</p>\n",
      files, files == 1 ? "" : "s", files - quarantined - unchanged, unchanged, quarantined, b1, b2,
      b3);
    S("<div class=\"scroll\"><table class=\"dq-table\"><caption>Files handled, newest first"
      "</caption>\n<thead><tr>"
      "<th scope=\"col\" class=\"num\">Load</th><th scope=\"col\">File</th>"
      "<th scope=\"col\">Kind</th><th scope=\"col\">Submission</th>"
      "<th scope=\"col\">Started (UTC)</th><th scope=\"col\">Status</th>"
      "<th scope=\"col\" class=\"num\">Rows read</th><th scope=\"col\" class=\"num\">Loaded</th>"
      "<th scope=\"col\" class=\"num\">Rejected</th><th scope=\"col\" class=\"num\">% rejected</th>"
      "<th scope=\"col\" class=\"num\">Errors</th>"
      "<th scope=\"col\">Most frequent codes (count)</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < q->n; i++) {
        const char *st = V(q, i, 5);
        const char *icon = strcmp(st, "loaded") == 0        ? "\xE2\x9C\x93"
                           : strcmp(st, "quarantined") == 0 ? "\xE2\x9C\x95"
                                                            : "=";
        S("<tr data-key=\"");
        E(V(q, i, 0));
        S("\"><td class=\"num\">");
        E(V(q, i, 0));
        S("</td><th scope=\"row\" class=\"fname\">");
        ncc_html_escape_wbr(r->out, V(q, i, 1));
        if (*V(q, i, 12)) {
            S("<span class=\"msg\">");
            E(V(q, i, 12));
            S("</span>");
        }
        S("</th><td>");
        E(V(q, i, 2));
        S("</td><td>");
        if (*V(q, i, 3))
            E(V(q, i, 3));
        else if (strcmp(V(q, i, 13), "true") == 0)
            S("<i>replaced by a later file</i>");
        S("</td><td>");
        split_nowrap(r, V(q, i, 4), " ", " ");
        S("</td><td class=\"nowrap fl-");
        E(st);
        P("\"><span aria-hidden=\"true\">%s</span> ", icon);
        E(st);
        S("</td><td class=\"num\">");
        E(V(q, i, 6));
        S("</td><td class=\"num\">");
        E(V(q, i, 7));
        S("</td><td class=\"num");
        if (strcmp(V(q, i, 8), "0") != 0 && strcmp(st, "unchanged") != 0)
            S(" bad");
        S("\">");
        E(V(q, i, 8));
        S("</td><td class=\"num\">");
        E(V(q, i, 9));
        S("</td><td class=\"num\">");
        E(V(q, i, 10));
        S("</td><td>");
        split_nowrap(r, V(q, i, 11), ", ", ",<br>");
        S("</td></tr>\n");
    }
    S("</tbody></table></div>\n");
    row_cap_note(r, q, "audit.file_load");
}

/* ---- the page --------------------------------------------------------------------------- */

static void write_report(report *r)
{
    const qres *m = &r->meta;
    S("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"ncc-report " NCC_VERSION "\">\n<title>MTFM benchmarking "
      "report");
    if (r->fin_year) {
        char fy[16];
        ncc_html_fin_year_label(r->fin_year, fy);
        S(" ");
        E(fy);
    }
    S(" \xE2\x80\x94 National Cost Collection</title>\n<style>\n");
    S(CSS);
    S("</style>\n</head>\n<body>\n<main>\n<header class=\"top\">\n"
      "<h1>MedTech Funding Mandate: benchmarking report</h1>\n"
      "<p class=\"lead\">National Cost Collection data: what trusts pay per unit of each MTFM "
      "technology, whether the use they report matches what they bought, how adoption grows, "
      "and the quality of the files behind it.</p>\n<dl class=\"meta\">\n<dt>Financial "
      "years</dt><dd>");
    if (r->fin_year) {
        char fy[16];
        ncc_html_fin_year_label(r->fin_year, fy);
        E(fy);
        S(" (");
        E(r->fin_year);
        S(")");
    } else {
        S("all");
    }
    S("</dd>\n<dt>Database</dt><dd>");
    E(V(m, 0, 0));
    S(" (read as ");
    E(V(m, 0, 1));
    S(")</dd>\n<dt>Generated</dt><dd>");
    E(V(m, 0, 2));
    S("</dd>\n</dl>\n");
    S("<nav class=\"toc\" aria-label=\"Contents\"><ol>"
      "<li><a href=\"#benchmark\">Unit cost benchmark</a></li>"
      "<li><a href=\"#reconciliation\">Reconciliation against purchases</a></li>"
      "<li><a href=\"#adoption\">Adoption over the years</a></li>"
      "<li><a href=\"#quality\">Data quality of the files loaded</a></li></ol></nav>\n"
      "</header>\n");
    section_benchmark(r);
    section_reconciliation(r);
    section_adoption(r);
    section_quality(r);
    S("<footer><p>Generated by ncc-report " NCC_VERSION " from the warehouse's mart, ref and "
      "audit schemas in one consistent snapshot. Figures are the stored values; money in pounds "
      "to 4 decimals.</p></footer>\n</main>\n</body>\n</html>\n");
}

/* ---- output ----------------------------------------------------------------------------- */

/* Write the report to a stream opened on path (NULL: stdout) and close it. */
static int emit_stream(report *r, const char *path)
{
    r->out = path ? fopen(path, "w") : stdout;
    if (!r->out) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        return NCC_EXIT_IOERR;
    }
    write_report(r);
    int werr = ferror(r->out) ? (errno ? errno : EIO) : 0;
    if (fflush(r->out) != 0 && !werr)
        werr = errno;
    if (path && fclose(r->out) != 0 && !werr)
        werr = errno;
    r->out = NULL;
    if (werr) {
        ncc_error("cannot write the report%s%s%s: %s", path ? " to \"" : "", path ? path : "",
                  path ? "\"" : "", strerror(werr));
        return NCC_EXIT_IOERR;
    }
    return NCC_EXIT_OK;
}

/*
 * Write the report to path or stdout ("-" or NULL). A regular file (or a new one) is replaced
 * whole: written to a temporary file beside it, then renamed over it. Anything else that
 * exists (/dev/stdout, a pipe) is written directly.
 */
static int emit(report *r, const char *path)
{
    struct stat st;
    if (!path || strcmp(path, "-") == 0)
        return emit_stream(r, NULL);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return emit_stream(r, path);
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        ncc_error("out of memory");
        return NCC_EXIT_SOFTWARE;
    }
    memcpy(tmp, path, len);
    memcpy(tmp + len, ".tmp-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        free(tmp);
        return NCC_EXIT_IOERR;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return NCC_EXIT_IOERR;
    }
    r->out = fdopen(fd, "w");
    if (!r->out) {
        ncc_error("cannot create \"%s\": %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return NCC_EXIT_IOERR;
    }
    write_report(r);
    int werr = ferror(r->out) ? (errno ? errno : EIO) : 0;
    if (fflush(r->out) != 0 && !werr)
        werr = errno;
    if (!werr && fsync(fileno(r->out)) != 0)
        werr = errno;
    if (fclose(r->out) != 0 && !werr)
        werr = errno;
    r->out = NULL;
    if (!werr && rename(tmp, path) != 0)
        werr = errno;
    if (werr) {
        ncc_error("cannot write \"%s\": %s", path, strerror(werr));
        unlink(tmp);
        free(tmp);
        return NCC_EXIT_IOERR;
    }
    free(tmp);
    return NCC_EXIT_OK;
}

int main(int argc, char **argv)
{
    ncc_log_init(argv[0]);
    static const struct option opts[] = {
        {"dbname", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"fin-year", required_argument, NULL, 'y'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *dbname = NULL, *output = NULL, *fin_year = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:v", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dbname = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'y':
            fin_year = optarg;
            break;
        case 'v':
            ncc_log_set_level(ncc_log_get_level() + 1);
            break;
        case 'h':
            usage(stdout);
            return NCC_EXIT_OK;
        case 'V':
            printf("ncc-report %s\n", NCC_VERSION);
            return NCC_EXIT_OK;
        default:
            usage(stderr);
            return NCC_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ncc_error("unexpected argument \"%s\"", argv[optind]);
        return NCC_EXIT_USAGE;
    }
    int start_year;
    if (fin_year && ncc_fin_year_parse(fin_year, strlen(fin_year), &start_year) != NCC_PARSE_OK) {
        ncc_error("financial year \"%s\" must be YYYYZZ such as 202324", fin_year);
        return NCC_EXIT_USAGE;
    }
    if (output && !*output) {
        ncc_error("-o needs a file name");
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    if (dbname && ncc_db_check_conninfo(dbname, err, sizeof err) < 0) {
        ncc_error("invalid --dbname: %s", err);
        return NCC_EXIT_USAGE;
    }
    PGconn *conn = ncc_db_connect(dbname, err, sizeof err);
    if (!conn) {
        ncc_error("database unavailable: %s", err);
        return NCC_EXIT_UNAVAILABLE;
    }
    report rep;
    memset(&rep, 0, sizeof rep);
    rep.fin_year = fin_year;
    int status = NCC_EXIT_OK;
    struct {
        qres *q;
        const char *what, *sql;
    } queries[] = {
        {&rep.meta, "reading the session", SQL_META},
        {&rep.bench, "reading mart.mtfm_benchmark", SQL_BENCH},
        {&rep.rec, "reading mart.reconciliation", SQL_REC},
        {&rep.adopt_total, "reading mart.adoption", SQL_ADOPT_TOTAL},
        {&rep.adopt, "reading mart.adoption", SQL_ADOPT},
        {&rep.dq, "reading audit.file_load", SQL_DQ},
    };
    size_t nq = sizeof queries / sizeof queries[0];
    if (ncc_db_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, sizeof err) < 0) {
        ncc_error("%s", err);
        status = PQstatus(conn) != CONNECTION_OK ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
        goto done;
    }
    for (size_t i = 0; i < nq; i++) {
        const char *sql = queries[i].sql;
        /* SQL_META takes no parameter */
        qfail f;
        if (i == 0) {
            memset(queries[i].q, 0, sizeof *queries[i].q);
            PGresult *res = PQexec(conn, sql);
            if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
                snprintf(err, sizeof err, "%s: %s", queries[i].what, PQerrorMessage(conn));
                PQclear(res);
                f = PQstatus(conn) == CONNECTION_OK ? QF_INTERNAL : QF_UNAVAILABLE;
            } else {
                queries[i].q->res = res;
                queries[i].q->n = 1;
                f = QF_OK;
            }
        } else {
            f = run_query(conn, queries[i].what, sql, queries[i].q == &rep.dq ? 0 : 1, fin_year,
                          queries[i].q, err, sizeof err);
        }
        if (f != QF_OK) {
            size_t el = strlen(err);
            while (el > 0 && (err[el - 1] == '\n' || err[el - 1] == ' '))
                err[--el] = '\0';
            if (f == QF_UNAVAILABLE && PQstatus(conn) == CONNECTION_OK)
                ncc_log(NCC_LOG_ERROR, NULL,
                        "set the warehouse up first: ncc-migrate, or load files with ncc-nightly",
                        "%s", err);
            else
                ncc_error("%s", err);
            status = f == QF_UNAVAILABLE ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
            goto done;
        }
        if (!queries[i].q->res)
            ncc_warning("%s", queries[i].q->note);
    }
    if (ncc_db_exec(conn, "COMMIT", err, sizeof err) < 0) {
        ncc_error("%s", err);
        status = PQstatus(conn) != CONNECTION_OK ? NCC_EXIT_UNAVAILABLE : NCC_EXIT_SOFTWARE;
        goto done;
    }
    status = emit(&rep, output);
    if (status == NCC_EXIT_OK)
        ncc_info("report of %d benchmark, %d reconciliation and %d file rows written", rep.bench.n,
                 rep.rec.n, rep.dq.n);
done:
    for (size_t i = 0; i < nq; i++)
        PQclear(queries[i].q->res);
    PQfinish(conn);
    return status;
}
