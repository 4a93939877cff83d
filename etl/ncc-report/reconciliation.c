/*
 * reconciliation.c - section 2, reconciliation of reported use against purchases
 * (mart.reconciliation, contract 5.2): per financial year an HTML table of trusts by
 * technologies, each cell the status in words, a symbol and a colour, with the units reported
 * and bought; a legend of the statuses and a key naming the technologies.
 */
#include <stdlib.h>
#include <string.h>

#include "output/html.h"
#include "report.h"
#include "report_assets.h"

/* sql/reconciliation.sql: one row per year, trust and technology, in that order */
enum {
    R_FIN_YEAR,
    R_ORG,
    R_ORG_NAME,
    R_TECH,
    R_TECH_NAME,
    R_STATUS,
    R_NCC_UNITS,
    R_SUPPLY_UNITS,
    R_TOLERANCE,
    R_COMPUTED_AT,
    R_NCOLS
};
static const char *const rec_cols[] = {
    [R_FIN_YEAR] = "fin_year",         [R_ORG] = "org_code",
    [R_ORG_NAME] = "org_name",         [R_TECH] = "technology_id",
    [R_TECH_NAME] = "technology_name", [R_STATUS] = "status",
    [R_NCC_UNITS] = "ncc_units",       [R_SUPPLY_UNITS] = "supply_units",
    [R_TOLERANCE] = "tolerance",       [R_COMPUTED_AT] = "computed_at",
};
_Static_assert(sizeof rec_cols / sizeof rec_cols[0] == R_NCOLS, "a name per column");
const rep_query rep_rec_query = {"sql/reconciliation.sql", "reading mart.reconciliation",
                                 REPORT_SQL_RECONCILIATION, rec_cols, R_NCOLS};

#define P(...) fprintf(r->out, __VA_ARGS__)
#define S(s) fputs((s), r->out)
#define E(s) ncc_html_escape(r->out, (s))
#define V(i, c) rep_get(&r->rec, (i), (c))

/* How each status of contract 5.2 is shown: a class (the colour), a symbol and what it means. */
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

/* The columns of one year's matrix: its technologies, sorted, UNATTRIBUTED last. */
typedef struct columns {
    const char **techs, **names; /* borrowed from the result; the arrays are the caller's */
    int n;
} columns;

/* Fill m from rows first .. first + n - 1; false (r->oom set) when memory ran out. */
static bool year_columns(report *r, int first, int n, columns *m)
{
    m->techs = rep_calloc(r, (size_t)n, sizeof *m->techs);
    m->names = rep_calloc(r, (size_t)n, sizeof *m->names);
    m->n = 0;
    if (!m->techs || !m->names)
        return false;
    for (int i = 0; i < n; i++)
        m->techs[i] = V(first + i, R_TECH);
    qsort(m->techs, (size_t)n, sizeof *m->techs, rep_cmp_str);
    for (int i = 0; i < n; i++)
        if (m->n == 0 || strcmp(m->techs[m->n - 1], m->techs[i]) != 0)
            m->techs[m->n++] = m->techs[i];
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->techs[i], "UNATTRIBUTED") == 0) {
            memmove(m->techs + i, m->techs + i + 1, (size_t)(m->n - i - 1) * sizeof *m->techs);
            m->techs[m->n - 1] = "UNATTRIBUTED";
            break;
        }
    for (int t = 0; t < m->n; t++) {
        m->names[t] = "";
        for (int i = first; i < first + n; i++)
            if (strcmp(V(i, R_TECH), m->techs[t]) == 0) {
                m->names[t] = V(i, R_TECH_NAME);
                break;
            }
    }
    return true;
}

/* The matrix's caption and header row. */
static void matrix_head(report *r, int first, const columns *m)
{
    char fy[16];
    ncc_html_fin_year_label(V(first, R_FIN_YEAR), fy);
    S("<div class=\"scroll\"><table class=\"matrix\" data-fin-year=\"");
    E(V(first, R_FIN_YEAR));
    S("\"><caption>Reconciliation status by trust and technology, ");
    E(fy);
    S("</caption>\n<thead><tr><th scope=\"col\">Trust</th>");
    for (int t = 0; t < m->n; t++) {
        S("<th scope=\"col\" class=\"code\">");
        if (*m->names[t]) {
            S("<abbr title=\"");
            E(m->names[t]);
            S("\">");
            E(m->techs[t]);
            S("</abbr>");
        } else {
            E(m->techs[t]);
        }
        S("</th>");
    }
    S("</tr></thead>\n<tbody>\n");
}

/* The cell of row k, or "—" when k < 0 (no row for this trust and technology). */
static void matrix_cell(report *r, int k, const char *org, const char *tech)
{
    if (k < 0) {
        S("<td class=\"none\"><span aria-hidden=\"true\">\xE2\x80\x94</span>"
          "<span class=\"sr\"> no row</span></td>");
        return;
    }
    const status_info *s = status_of(V(k, R_STATUS));
    P("<td class=\"st %s\" data-key=\"", s->cls);
    E(V(k, R_FIN_YEAR));
    S("/");
    E(org);
    S("/");
    E(tech);
    P("\"><span class=\"ic\" aria-hidden=\"true\">%s</span> <span class=\"stc\">", s->icon);
    ncc_html_escape_wbr(r->out, V(k, R_STATUS));
    S("</span><span class=\"u\">NCC ");
    E(V(k, R_NCC_UNITS));
    S(" \xC2\xB7 bought ");
    E(V(k, R_SUPPLY_UNITS));
    S("</span></td>");
}

/* One trust's row from its rows first .. end - 1: a cell per column. */
static void matrix_row(report *r, int first, int end, const columns *m)
{
    const char *org = V(first, R_ORG);
    S("<tr><th scope=\"row\">");
    rep_trust(r, org, V(first, R_ORG_NAME));
    S("</th>");
    for (int t = 0; t < m->n; t++) {
        int k = -1;
        for (int i = first; i < end && k < 0; i++)
            if (strcmp(V(i, R_TECH), m->techs[t]) == 0)
                k = i;
        matrix_cell(r, k, org, m->techs[t]);
    }
    S("</tr>\n");
}

/* The key under the matrix: every technology's name. */
static void matrix_key(report *r, const columns *m)
{
    S("<dl class=\"key\">");
    for (int t = 0; t < m->n; t++) {
        S("<div><dt class=\"code\">");
        E(m->techs[t]);
        S("</dt><dd>");
        if (*m->names[t])
            E(m->names[t]);
        else if (strcmp(m->techs[t], "UNATTRIBUTED") == 0)
            S("MTFM cost without a technology");
        else
            S("(not in ref.technology)");
        S("</dd></div>");
    }
    S("</dl>\n");
}

/* One year's matrix from rows first .. first + n - 1. */
static void year_matrix(report *r, int first, int n)
{
    columns m;
    if (year_columns(r, first, n, &m)) {
        S("<p class=\"note\">Tolerance ");
        E(V(first, R_TOLERANCE));
        S(", computed ");
        E(V(first, R_COMPUTED_AT));
        S(". Each cell: the status, then the units reported in NCC and the units purchased "
          "(NHS Supply Chain plus direct).</p>\n");
        matrix_head(r, first, &m);
        for (int i = first; i < first + n;) {
            int j = i;
            while (j < first + n && strcmp(V(j, R_ORG), V(i, R_ORG)) == 0)
                j++;
            matrix_row(r, i, j, &m);
            i = j;
        }
        S("</tbody></table></div>\n");
        matrix_key(r, &m);
    }
    free(m.techs);
    free(m.names);
}

void rep_rec_write(report *r)
{
    const rep_result *q = &r->rec;
    S("<h2 id=\"reconciliation\">2. Reconciliation of reported use against purchases</h2>\n"
      "<p>For each trust and technology, the MTFM units the trust reported in NCC against the "
      "units it bought through NHS Supply Chain and directly from suppliers "
      "(<span class=\"code\">mart.reconciliation</span>, contract 5.2). Every status is shown as "
      "text and a symbol as well as a colour.</p>\n");
    if (rep_denied(r, q))
        return;
    status_legend(r);
    if (q->n == 0) {
        rep_no_rows(r, "mart.reconciliation", "run ncc-reconcile (or ncc-nightly).");
        return;
    }
    for (int i = 0; i < q->n;) {
        int j = i + 1;
        while (j < q->n && strcmp(V(j, R_FIN_YEAR), V(i, R_FIN_YEAR)) == 0)
            j++;
        rep_year_heading(r, V(i, R_FIN_YEAR));
        year_matrix(r, i, j - i);
        i = j;
    }
    rep_row_cap_note(r, q, "mart.reconciliation");
}
