/*
 * dashboard.c - section 4, the MTFM dashboard (mart.mtfm_dashboard, mart.stalled_adoption;
 * contract 5.6, 5.7): a summary table per technology (trusts adopting in the latest quarter,
 * patients and estimated saving over the quarters shown beside NICE's five-year resource
 * impact); then per technology a stacked bar chart of the trusts at each QART stage per
 * quarter (one colour per stage, legend above), bar charts of patients and of supply units per
 * quarter, and the quarter's figures in a table; last the stalled list, longest static first.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/html.h"
#include "output/svg.h"
#include "report.h"
#include "report_assets.h"

/* sql/dashboard.sql: by technology, year and quarter */
enum {
    D_TECH, D_TECH_NAME, D_FIN_YEAR, D_QUARTER,
    D_S0, D_S1, D_S2, D_S3, D_S4, D_S5, /* trusts at each stage, in stage order */
    D_ADOPTING, D_PATIENTS, D_SUPPLY, D_SAVING, D_RI, D_NCOLS
};
static const char *const dash_cols[] = {
    [D_TECH] = "technology_id", [D_TECH_NAME] = "technology_name", [D_FIN_YEAR] = "fin_year",
    [D_QUARTER] = "quarter",    [D_S0] = "stage_0",                [D_S1] = "stage_1",
    [D_S2] = "stage_2",         [D_S3] = "stage_3",                [D_S4] = "stage_4",
    [D_S5] = "stage_5",         [D_ADOPTING] = "adopting",         [D_PATIENTS] = "patients",
    [D_SUPPLY] = "supply_units", [D_SAVING] = "estimated_saving",  [D_RI] = "resource_impact",
};
_Static_assert(sizeof dash_cols / sizeof dash_cols[0] == D_NCOLS, "a name per column");
const rep_query rep_dash_query = {"sql/dashboard.sql", "reading mart.mtfm_dashboard",
                                  REPORT_SQL_DASHBOARD, dash_cols, D_NCOLS};

/* sql/stalled.sql: the longest static first */
enum {
    S_ORG, S_ORG_NAME, S_TECH, S_TECH_NAME, S_STAGE, S_SINCE_FY, S_SINCE_Q, S_LATEST_FY,
    S_LATEST_Q, S_QUARTERS, S_SUPPLY, S_NCOLS
};
static const char *const stalled_cols[] = {
    [S_ORG] = "org_code",           [S_ORG_NAME] = "org_name",
    [S_TECH] = "technology_id",     [S_TECH_NAME] = "technology_name",
    [S_STAGE] = "stage",            [S_SINCE_FY] = "since_fin_year",
    [S_SINCE_Q] = "since_quarter",  [S_LATEST_FY] = "latest_fin_year",
    [S_LATEST_Q] = "latest_quarter", [S_QUARTERS] = "quarters",
    [S_SUPPLY] = "supply_units",
};
_Static_assert(sizeof stalled_cols / sizeof stalled_cols[0] == S_NCOLS, "a name per column");
const rep_query rep_stalled_query = {"sql/stalled.sql", "reading mart.stalled_adoption",
                                     REPORT_SQL_STALLED, stalled_cols, S_NCOLS};

/* QART stages (policy para 79) */
enum { NSTAGES = 6 };
static const char *const stage_name[NSTAGES] = {"No information", "Knowledge", "Interest",
                                                "Decision",       "Implementation", "Adoption"};
static const char *const stage_cls[NSTAGES] = {"qs0", "qs1", "qs2", "qs3", "qs4", "qs5"};

/* at most this many steps on a chart's axis; at most this many quarters on a chart */
enum { DASH_MAX_TICKS = 4, DASH_MAX_QUARTERS = 12 };

#define S(s) fputs((s), r->out)
#define E(s) ncc_html_escape(r->out, (s))
#define D(i, c) rep_get(&r->dash, (i), (c))
#define ST(i, c) rep_get(&r->stalled, (i), (c))

static const char *none_cell = "<span aria-label=\"none\">\xE2\x80\x93</span>";

/* "Q1 23/24" for 202324 and 1 (out[16]) */
static void quarter_label(const char *fin_year, const char *quarter, char out[16])
{
    if (strlen(fin_year) == 6)
        snprintf(out, 16, "Q%.1s %.2s/%.2s", quarter, fin_year + 2, fin_year + 4);
    else
        snprintf(out, 16, "Q%.1s %.8s", quarter, fin_year);
}

/* "202324-1": a quarter's sort key (out[16]) */
static void quarter_key(const char *fin_year, const char *quarter, char out[16])
{
    snprintf(out, 16, "%.8s-%.1s", fin_year, quarter);
}

static long long count_of(const char *s)
{
    return strtoll(s, NULL, 10);
}

/* ---- the quarters of the charts -------------------------------------------------------- */

/* The distinct quarters of every row, sorted; the charts show the latest DASH_MAX_QUARTERS. */
typedef struct quarters {
    char (*key)[16];
    int n, first; /* shown: key[first .. n - 1] */
} quarters;

static int cmp_key(const void *a, const void *b)
{
    return strcmp(a, b);
}

static bool quarters_collect(report *r, quarters *qs)
{
    qs->key = rep_calloc(r, (size_t)r->dash.n + 1, sizeof *qs->key);
    if (!qs->key)
        return false;
    for (int i = 0; i < r->dash.n; i++)
        quarter_key(D(i, D_FIN_YEAR), D(i, D_QUARTER), qs->key[i]);
    qsort(qs->key, (size_t)r->dash.n, sizeof *qs->key, cmp_key);
    int n = 0;
    for (int i = 0; i < r->dash.n; i++)
        if (n == 0 || strcmp(qs->key[n - 1], qs->key[i]) != 0)
            memmove(qs->key[n++], qs->key[i], sizeof *qs->key);
    qs->n = n;
    qs->first = n > DASH_MAX_QUARTERS ? n - DASH_MAX_QUARTERS : 0;
    return true;
}

/* The row of the technology's rows first .. first + n - 1 for quarter key k, or -1. */
static int row_of(report *r, int first, int n, const char *k)
{
    for (int i = first; i < first + n; i++) {
        char key[16];
        quarter_key(D(i, D_FIN_YEAR), D(i, D_QUARTER), key);
        if (strcmp(key, k) == 0)
            return i;
    }
    return -1;
}

/* ---- charts ------------------------------------------------------------------------------ */

/* One slot of a chart, its texts in bounded buffers. */
typedef struct slot {
    ncc_svg_segment seg[NSTAGES];
    char label[16], sub[32], value[32];
    char title[NSTAGES][160];
} slot;

/* A chart's description: "TEXT: Q1 23/24 VALUE; ..." over the quarters shown (caller frees). */
static char *chart_desc(report *r, const char *text, int first, int n, const quarters *qs,
                        int col)
{
    char *desc = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&desc, &len);
    if (!d) {
        rep_out_of_memory(r);
        return NULL;
    }
    fputs(text, d);
    for (int k = qs->first; k < qs->n; k++) {
        int i = row_of(r, first, n, qs->key[k]);
        if (i < 0)
            continue;
        char ql[16];
        quarter_label(D(i, D_FIN_YEAR), D(i, D_QUARTER), ql);
        fprintf(d, " %s:", ql);
        if (col < 0) /* the stages */
            for (int s = 0; s < NSTAGES; s++)
                fprintf(d, " %s at %d%s", D(i, D_S0 + s), s, s + 1 < NSTAGES ? "," : ";");
        else
            fprintf(d, " %s;", D(i, col));
    }
    if (fclose(d) != 0 || !desc) {
        free(desc);
        rep_out_of_memory(r);
        return NULL;
    }
    return desc;
}

/* Slot of row i (or an empty slot for quarter key k when i < 0): stacked stages or one bar. */
static void fill_slot(report *r, int i, const char *k, int col, slot *s, ncc_svg_bar *b)
{
    if (i < 0) {
        snprintf(s->label, sizeof s->label, "Q%.1s %.2s/%.2s", k + 7, k + 2, k + 4);
        *b = (ncc_svg_bar){s->label, "no return", NULL, 0, NULL};
        return;
    }
    const char *tech = D(i, D_TECH);
    quarter_label(D(i, D_FIN_YEAR), D(i, D_QUARTER), s->label);
    if (col < 0) {
        long long total = 0;
        for (int st = 0; st < NSTAGES; st++) {
            const char *v = D(i, D_S0 + st);
            total += count_of(v);
            snprintf(s->title[st], sizeof s->title[st], "%s, %s: %s trust%s at stage %d (%s)",
                     tech, s->label, v, strcmp(v, "1") == 0 ? "" : "s", st, stage_name[st]);
            s->seg[st] = (ncc_svg_segment){stage_cls[st], rep_money(v), s->title[st]};
        }
        snprintf(s->value, sizeof s->value, "%lld", total);
        snprintf(s->sub, sizeof s->sub, "%s adopting", D(i, D_ADOPTING));
        *b = (ncc_svg_bar){s->label, s->sub, s->seg, NSTAGES, s->value};
        return;
    }
    ncc_money v = rep_money(D(i, col));
    snprintf(s->title[0], sizeof s->title[0], "%s, %s: %s %s", tech, s->label, D(i, col),
             col == D_PATIENTS ? "patients" : "supply units");
    /* a net return (negative supply) has no bar; its value is written at the axis */
    s->seg[0] = (ncc_svg_segment){"dbar", v > 0 ? v : 0, s->title[0]};
    snprintf(s->value, sizeof s->value, "%s", D(i, col));
    *b = (ncc_svg_bar){s->label, NULL, s->seg, 1, s->value};
}

/* One chart of the technology's rows first .. first + n - 1: col < 0 the stages, else col. */
static void tech_chart(report *r, int first, int n, const quarters *qs, int col)
{
    const char *tech = D(first, D_TECH);
    int ns = qs->n - qs->first;
    slot *slots = rep_calloc(r, (size_t)ns, sizeof *slots);
    ncc_svg_bar *bars = rep_calloc(r, (size_t)ns, sizeof *bars);
    const char *what = col < 0 ? "Trusts by QART stage" : col == D_PATIENTS ? "Patients" : "Supply units";
    char *title = rep_fmt(r, "%s per quarter, %s", what, tech);
    char *desc = chart_desc(r, col < 0 ? "Trusts at each stage (0 to 5), per quarter:"
                               : col == D_PATIENTS ? "Patients reported per quarter:"
                                                   : "Supply units (NHSSC and direct) per quarter:",
                            first, n, qs, col);
    ncc_money mx = 0;
    for (int k = 0; slots && bars && k < ns; k++) {
        fill_slot(r, row_of(r, first, n, qs->key[qs->first + k]), qs->key[qs->first + k], col,
                  &slots[k], &bars[k]);
        ncc_money total = 0;
        for (int s = 0; s < bars[k].nsegs; s++)
            total += bars[k].segs[s].value;
        mx = total > mx ? total : mx;
    }
    if (slots && bars && title && desc) {
        char id[32];
        rep_svg_id(r, id);
        ncc_svg_bar_chart c = {.id = id, .cls = col < 0 ? "stage-chart" : "adoption-chart",
                               .title = title, .desc = desc, .bars = bars, .nbars = ns,
                               .axis_title = col < 0 ? "trusts" : col == D_PATIENTS ? "patients" : "units"};
        ncc_svg_scale_from_zero(mx, DASH_MAX_TICKS, 1, &c.scale);
        S("<figure>\n<figcaption>");
        E(what);
        S(" per quarter</figcaption>\n");
        ncc_svg_bar_chart_write(r->out, &c);
        S("</figure>\n");
    }
    free(desc);
    free(title);
    free(bars);
    free(slots);
}

/* ---- tables ------------------------------------------------------------------------------ */

static void cell(report *r, const char *v)
{
    S("<td class=\"num\">");
    if (*v)
        E(v);
    else
        S(none_cell);
    S("</td>");
}

/* The technology's quarters, as stored. */
static void tech_table(report *r, int first, int n)
{
    S("<table class=\"dash-table\"><caption>");
    E(D(first, D_TECH));
    S(": trusts by stage, patients, supply units and estimated saving per quarter "
      "(mart.mtfm_dashboard)</caption>\n<thead><tr><th scope=\"col\">Quarter</th>");
    for (int s = 0; s < NSTAGES; s++)
        fprintf(r->out, "<th scope=\"col\" class=\"num\"><abbr title=\"stage %d, %s\">%d</abbr></th>",
                s, stage_name[s], s);
    S("<th scope=\"col\" class=\"num\">Adopting</th><th scope=\"col\" class=\"num\">Patients</th>"
      "<th scope=\"col\" class=\"num\">Supply units</th>"
      "<th scope=\"col\" class=\"num\">Estimated saving (\xC2\xA3)</th></tr></thead>\n<tbody>\n");
    for (int i = first; i < first + n; i++) {
        char ql[16];
        quarter_label(D(i, D_FIN_YEAR), D(i, D_QUARTER), ql);
        S("<tr data-key=\"dash/");
        E(D(i, D_TECH));
        S("/");
        E(D(i, D_FIN_YEAR));
        S("/");
        E(D(i, D_QUARTER));
        S("\"><th scope=\"row\" class=\"nowrap\">");
        E(ql);
        S("</th>");
        for (int c = D_S0; c <= D_SAVING; c++)
            cell(r, D(i, c));
        S("</tr>\n");
    }
    S("</tbody></table>\n");
}

/* Technology rows first .. first + n - 1 in the summary: latest quarter, sums, NICE's figure. */
static void summary_row(report *r, int first, int n)
{
    int last = first + n - 1;
    long long patients = 0;
    ncc_money saving = 0;
    bool any_saving = false;
    for (int i = first; i <= last; i++) {
        patients += count_of(D(i, D_PATIENTS));
        if (*D(i, D_SAVING)) {
            saving += rep_money(D(i, D_SAVING));
            any_saving = true;
        }
    }
    long long trusts = 0;
    for (int s = 0; s < NSTAGES; s++)
        trusts += count_of(D(last, D_S0 + s));
    char ql[16], buf[NCC_MONEY_BUFSIZE];
    quarter_label(D(last, D_FIN_YEAR), D(last, D_QUARTER), ql);
    S("<tr data-key=\"summary/");
    E(D(first, D_TECH));
    S("\"><th scope=\"row\"><a href=\"#dash-");
    E(D(first, D_TECH));
    S("\" class=\"code\">");
    E(D(first, D_TECH));
    S("</a>");
    if (*D(first, D_TECH_NAME)) {
        S("<span class=\"msg\">");
        E(D(first, D_TECH_NAME));
        S("</span>");
    }
    S("</th><td class=\"nowrap\">");
    E(ql);
    fprintf(r->out, "</td><td class=\"num\">%s</td><td class=\"num\">%lld</td>"
                    "<td class=\"num\">%lld</td>",
            D(last, D_ADOPTING), trusts, patients);
    if (any_saving) {
        ncc_money_format(saving, buf, sizeof buf);
        cell(r, buf);
    } else {
        cell(r, "");
    }
    cell(r, D(last, D_RI));
    S("</tr>\n");
}

static void summary_table(report *r)
{
    S("<table class=\"dash-summary\"><caption>MTFM dashboard summary: adoption in the latest "
      "quarter, patients and estimated saving over the quarters shown, and NICE's resource "
      "impact</caption>\n<thead><tr><th scope=\"col\">Technology</th>"
      "<th scope=\"col\">Latest quarter</th>"
      "<th scope=\"col\" class=\"num\">Trusts adopting (stage 5)</th>"
      "<th scope=\"col\" class=\"num\">Trusts reporting</th>"
      "<th scope=\"col\" class=\"num\">Patients, all quarters</th>"
      "<th scope=\"col\" class=\"num\">Estimated saving, all quarters (\xC2\xA3)</th>"
      "<th scope=\"col\" class=\"num\">NICE resource impact, 5 years (\xC2\xA3)</th>"
      "</tr></thead>\n<tbody>\n");
    for (int i = 0; i < r->dash.n;) {
        int j = i + 1;
        while (j < r->dash.n && strcmp(D(j, D_TECH), D(i, D_TECH)) == 0)
            j++;
        summary_row(r, i, j - i);
        i = j;
    }
    S("</tbody></table>\n<p class=\"note\">The estimated saving is patients \xC3\x97 NICE's "
      "saving per patient where NICE states one (AposHealth); the resource impact is Annex 2's "
      "five-year figure as published (one figure for the group of GreenLight, Rezum, PLASMA "
      "System and UroLift, shown on each). \xE2\x80\x93: none.</p>\n");
}

static void stage_legend(report *r)
{
    S("<div class=\"legend\" aria-label=\"QART stages\">");
    for (int s = 0; s < NSTAGES; s++)
        fprintf(r->out, "<span><i class=\"sw-%s\" aria-hidden=\"true\"></i>%d %s</span>",
                stage_cls[s], s, stage_name[s]);
    S("</div>\n");
}

/* One technology: heading, its three charts and its table. */
static void tech_block(report *r, int first, int n, const quarters *qs)
{
    S("<section class=\"dash-tech\" data-key=\"");
    E(D(first, D_TECH));
    S("\">\n<h3 id=\"dash-");
    E(D(first, D_TECH));
    S("\"><span class=\"code\">");
    E(D(first, D_TECH));
    S("</span>");
    if (*D(first, D_TECH_NAME)) {
        S(" <span class=\"tname\">");
        E(D(first, D_TECH_NAME));
        S("</span>");
    }
    S("</h3>\n<div class=\"figrow\">\n");
    tech_chart(r, first, n, qs, -1);
    tech_table(r, first, n);
    S("</div>\n<div class=\"figrow\">\n");
    tech_chart(r, first, n, qs, D_PATIENTS);
    tech_chart(r, first, n, qs, D_SUPPLY);
    S("</div>\n</section>\n");
}

static void stalled_table(report *r)
{
    const rep_result *q = &r->stalled;
    S("<h3 id=\"stalled\">Stalled adoption</h3>\n<p>Trusts whose QART stage for a technology "
      "has not moved for at least three consecutive quarters up to their latest return, below "
      "adoption (policy para 108.4: static for about six months calls for a review; "
      "<span class=\"code\">mart.stalled_adoption</span>).</p>\n");
    if (!rep_rows_or_note(r, q, "mart.stalled_adoption",
                          "no trust's adoption has been static for three quarters."))
        return;
    S("<table class=\"stalled-table\"><caption>Stalled adoption, longest static first</caption>\n"
      "<thead><tr><th scope=\"col\">Trust</th><th scope=\"col\">Technology</th>"
      "<th scope=\"col\">Stage</th><th scope=\"col\">Static since</th>"
      "<th scope=\"col\">Latest return</th><th scope=\"col\" class=\"num\">Quarters static</th>"
      "<th scope=\"col\" class=\"num\">About months</th>"
      "<th scope=\"col\" class=\"num\">Supply units in the run</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < q->n; i++) {
        char since[16], latest[16];
        quarter_label(ST(i, S_SINCE_FY), ST(i, S_SINCE_Q), since);
        quarter_label(ST(i, S_LATEST_FY), ST(i, S_LATEST_Q), latest);
        long long stage = count_of(ST(i, S_STAGE));
        S("<tr data-key=\"stalled/");
        E(ST(i, S_ORG));
        S("/");
        E(ST(i, S_TECH));
        S("\"><th scope=\"row\">");
        rep_trust(r, ST(i, S_ORG), ST(i, S_ORG_NAME));
        S("</th><td><span class=\"code\">");
        E(ST(i, S_TECH));
        S("</span></td><td class=\"nowrap\"><i class=\"sw-");
        S(stage >= 0 && stage < NSTAGES ? stage_cls[stage] : "qs0");
        S("\" aria-hidden=\"true\"></i> ");
        E(ST(i, S_STAGE));
        if (stage >= 0 && stage < NSTAGES) {
            S(" ");
            S(stage_name[stage]);
        }
        S("</td><td class=\"nowrap\">");
        E(since);
        S("</td><td class=\"nowrap\">");
        E(latest);
        S("</td>");
        cell(r, ST(i, S_QUARTERS));
        fprintf(r->out, "<td class=\"num\">%lld</td>", 3 * count_of(ST(i, S_QUARTERS)));
        cell(r, ST(i, S_SUPPLY));
        S("</tr>\n");
    }
    S("</tbody></table>\n");
    rep_row_cap_note(r, q, "mart.stalled_adoption");
}

void rep_dashboard_write(report *r)
{
    const rep_result *q = &r->dash;
    S("<h2 id=\"mtfm-dashboard\">4. MTFM dashboard</h2>\n"
      "<p>The figures of the MTFM data dashboard (policy para 78) from the Health Innovation "
      "Networks' quarterly QART returns, triangulated with NHS Supply Chain and supplier sales: "
      "per technology the trusts at each stage of adoption, the patients who benefited, the units "
      "supplied and the estimated saving, per quarter (<span class=\"code\">mart.mtfm_dashboard"
      "</span>). A trust's stage is the highest of its sites'.</p>\n");
    if (rep_denied(r, q))
        return;
    if (q->n == 0) {
        rep_no_rows(r, "mart.mtfm_dashboard", "no QART return has been loaded yet.");
    } else {
        quarters qs = {0};
        if (!quarters_collect(r, &qs))
            return;
        summary_table(r);
        if (qs.first > 0)
            fprintf(r->out, "<p class=\"note\">The charts show the latest %d quarters; the "
                            "tables have them all.</p>\n", DASH_MAX_QUARTERS);
        stage_legend(r);
        for (int i = 0; i < q->n;) {
            int j = i + 1;
            while (j < q->n && strcmp(D(j, D_TECH), D(i, D_TECH)) == 0)
                j++;
            tech_block(r, i, j - i, &qs);
            i = j;
        }
        free(qs.key);
        rep_row_cap_note(r, q, "mart.mtfm_dashboard");
    }
    stalled_table(r);
}
