/*
 * bench.c - section 1, the unit cost benchmark (mart.mtfm_benchmark, contract 5.3): per
 * financial year and technology, a dot chart of the trusts' unit costs against the national
 * unit cost, the median and the interquartile range (svg.h), and a table of the figures as
 * stored.
 */
#include <stdlib.h>
#include <string.h>

#include "output/html.h"
#include "output/svg.h"
#include "report.h"
#include "report_assets.h"

/* sql/bench.sql: one row per trust, grouped by year and technology, cheapest first */
enum {
    B_FIN_YEAR,
    B_TECH,
    B_TECH_NAME,
    B_ORG,
    B_ORG_NAME,
    B_UNITS,
    B_COST,
    B_UNIT_COST,
    B_NATIONAL,
    B_MEDIAN,
    B_P25,
    B_P75,
    B_N_ORGS,
    B_COST_INDEX,
    B_NCOLS
};
static const char *const bench_cols[] = {
    [B_FIN_YEAR] = "fin_year",
    [B_TECH] = "technology_id",
    [B_TECH_NAME] = "technology_name",
    [B_ORG] = "org_code",
    [B_ORG_NAME] = "org_name",
    [B_UNITS] = "units",
    [B_COST] = "cost",
    [B_UNIT_COST] = "unit_cost",
    [B_NATIONAL] = "national_unit_cost",
    [B_MEDIAN] = "median_unit_cost",
    [B_P25] = "p25_unit_cost",
    [B_P75] = "p75_unit_cost",
    [B_N_ORGS] = "n_orgs",
    [B_COST_INDEX] = "cost_index",
};
_Static_assert(sizeof bench_cols / sizeof bench_cols[0] == B_NCOLS, "a name per column");
const rep_query rep_bench_query = {"sql/bench.sql", "reading mart.mtfm_benchmark", REPORT_SQL_BENCH,
                                   bench_cols, B_NCOLS};

/* at most this many steps on a chart's axis */
enum { BENCH_MAX_TICKS = 6 };

#define S(s) fputs((s), r->out)
#define E(s) ncc_html_escape(r->out, (s))
#define V(i, c) rep_get(&r->bench, (i), (c))

/* The chart's scale: around every value drawn (the trusts' and the group's figures). */
static void bench_scale(report *r, int first, int n, ncc_svg_scale *s)
{
    ncc_money mn = rep_money(V(first, B_NATIONAL)), mx = mn;
    const int group_cols[3] = {B_MEDIAN, B_P25, B_P75};
    for (int k = 0; k < 3; k++) {
        ncc_money v = rep_money(V(first, group_cols[k]));
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    for (int i = first; i < first + n; i++) {
        ncc_money v = rep_money(V(i, B_UNIT_COST));
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    /* several trusts: a scale around their values so that the differences show; one: from 0 */
    ncc_svg_scale_around(mn, mx, BENCH_MAX_TICKS, n < 2, s);
}

/* The dot of row i: its trust, unit cost and, in its title, the figures behind it. */
static void bench_dot(report *r, int i, ncc_svg_dot *d)
{
    const char *name = V(i, B_ORG_NAME);
    d->code = V(i, B_ORG);
    d->name = name;
    d->value = rep_money(V(i, B_UNIT_COST));
    d->value_text = V(i, B_UNIT_COST);
    d->title = rep_fmt(r, "%s%s%s: unit cost \xC2\xA3%s (%s units, cost \xC2\xA3%s; cost index %s)",
                       d->code, *name ? " " : "", name, V(i, B_UNIT_COST), V(i, B_UNITS),
                       V(i, B_COST), V(i, B_COST_INDEX));
}

/* The dot chart of rows first .. first + n - 1 (one year and technology). */
static void bench_chart(report *r, int first, int n)
{
    ncc_svg_dot_chart c = {.cls = "bench-chart",
                           .label_head = "Trust",
                           .value_head = "Unit cost (\xC2\xA3)",
                           .axis_title = "unit cost, pounds",
                           .band_cls = "iqr",
                           .stem_ref = 1};
    char id[32], fy[16], lo[NCC_MONEY_BUFSIZE + 16], hi[NCC_MONEY_BUFSIZE + 16];
    ncc_html_fin_year_label(V(first, B_FIN_YEAR), fy);
    bench_scale(r, first, n, &c.scale);
    ncc_html_money_label(c.scale.lo, lo, sizeof lo);
    ncc_html_money_label(c.scale.hi, hi, sizeof hi);
    rep_svg_id(r, id);
    c.id = id;
    char *title = rep_fmt(r, "Unit cost by trust, %s, %s", V(first, B_TECH), fy);
    char *desc = rep_fmt(r,
                         "Dot plot of the unit cost in pounds of %d trust%s on a scale from %s to "
                         "%s; national unit cost %s, median %s, interquartile range %s to %s. "
                         "The exact values are in the table that follows.",
                         n, n == 1 ? "" : "s", lo, hi, V(first, B_NATIONAL), V(first, B_MEDIAN),
                         V(first, B_P25), V(first, B_P75));
    char *band =
        rep_fmt(r, "Interquartile range (25th to 75th percentile): \xC2\xA3%s to \xC2\xA3%s",
                V(first, B_P25), V(first, B_P75));
    ncc_svg_ref refs[2] = {
        {"median", rep_money(V(first, B_MEDIAN)),
         rep_fmt(r, "Median unit cost: \xC2\xA3%s", V(first, B_MEDIAN))},
        {"national", rep_money(V(first, B_NATIONAL)),
         rep_fmt(r, "National unit cost (activity-weighted): \xC2\xA3%s", V(first, B_NATIONAL))},
    };
    ncc_svg_dot *dots = rep_calloc(r, (size_t)n, sizeof *dots);
    if (dots) {
        for (int i = 0; i < n; i++)
            bench_dot(r, first + i, &dots[i]);
        c.title = title;
        c.desc = desc;
        c.dots = dots;
        c.ndots = n;
        c.band_lo = rep_money(V(first, B_P25));
        c.band_hi = rep_money(V(first, B_P75));
        c.band_title = band;
        c.refs = refs;
        c.nrefs = 2;
        ncc_svg_dot_chart_write(r->out, &c);
        for (int i = 0; i < n; i++)
            free((char *)dots[i].title);
    }
    free(dots);
    free((char *)refs[0].title);
    free((char *)refs[1].title);
    free(band);
    free(desc);
    free(title);
}

static void bench_table(report *r, int first, int n)
{
    char fy[16];
    ncc_html_fin_year_label(V(first, B_FIN_YEAR), fy);
    S("<table class=\"bench-table\"><caption>");
    E(V(first, B_TECH));
    S(", ");
    E(fy);
    S(": trusts' units, cost and unit cost</caption>\n<thead><tr><th scope=\"col\">Trust</th>"
      "<th scope=\"col\" class=\"num\">Units</th><th scope=\"col\" class=\"num\">Cost "
      "(\xC2\xA3)</th>"
      "<th scope=\"col\" class=\"num\">Unit cost (\xC2\xA3)</th>"
      "<th scope=\"col\" class=\"num\">Cost index</th></tr></thead>\n<tbody>\n");
    for (int i = first; i < first + n; i++) {
        S("<tr data-key=\"");
        E(V(i, B_FIN_YEAR));
        S("/");
        E(V(i, B_TECH));
        S("/");
        E(V(i, B_ORG));
        S("\"><th scope=\"row\">");
        rep_trust(r, V(i, B_ORG), "");
        const int cols[4] = {B_UNITS, B_COST, B_UNIT_COST, B_COST_INDEX};
        S("</th>");
        for (int k = 0; k < 4; k++) {
            S("<td class=\"num\">");
            E(V(i, cols[k]));
            S("</td>");
        }
        S("</tr>\n");
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

/* One year and technology: its heading, the group's figures, the chart and the table. */
static void bench_group(report *r, int first, int n)
{
    S("<section class=\"bench-group\" data-key=\"");
    E(V(first, B_FIN_YEAR));
    S("/");
    E(V(first, B_TECH));
    S("\">\n<h4><span class=\"code\">");
    E(V(first, B_TECH));
    S("</span>");
    if (*V(first, B_TECH_NAME)) {
        S(" <span class=\"name\">");
        E(V(first, B_TECH_NAME));
        S("</span>");
    }
    S("</h4>\n<p class=\"summary\">");
    E(V(first, B_N_ORGS));
    S(strcmp(V(first, B_N_ORGS), "1") == 0 ? " trust" : " trusts");
    S(" \xC2\xB7 national unit cost <b class=\"national-v\">\xC2\xA3");
    E(V(first, B_NATIONAL));
    S("</b> \xC2\xB7 median <b class=\"median-v\">\xC2\xA3");
    E(V(first, B_MEDIAN));
    S("</b> \xC2\xB7 interquartile range <b class=\"p25-v\">\xC2\xA3");
    E(V(first, B_P25));
    S("</b> to <b class=\"p75-v\">\xC2\xA3");
    E(V(first, B_P75));
    S("</b></p>\n<div class=\"figrow\">\n<figure>\n");
    bench_chart(r, first, n);
    S("</figure>\n");
    bench_table(r, first, n);
    S("</div>\n</section>\n");
}

void rep_bench_write(report *r)
{
    const rep_result *q = &r->bench;
    S("<h2 id=\"benchmark\" class=\"first\">1. Unit cost benchmark</h2>\n"
      "<p>Each trust's MTFM unit cost (cost \xC3\xB7 units it reported) for each technology and "
      "financial year, against the activity-weighted national unit cost, the median and the "
      "interquartile range of the trusts' unit costs (<span "
      "class=\"code\">mart.mtfm_benchmark</span>"
      ", contract 5.3). A trust far to the right of the national line costs more per unit than "
      "the country as a whole. Each chart's scale fits its trusts' values, so it starts at zero "
      "only for a single trust; the table beside it and the cost index (100 = the national unit "
      "cost) give the sizes. Money is in pounds, exactly as stored (4 decimals).</p>\n");
    if (!rep_rows_or_note(r, q, "mart.mtfm_benchmark",
                          "load cost submissions and run ncc-reconcile (or ncc-nightly)."))
        return;
    bench_legend(r);
    const char *year = NULL;
    for (int i = 0; i < q->n;) {
        int j = i + 1;
        while (j < q->n && strcmp(V(j, B_FIN_YEAR), V(i, B_FIN_YEAR)) == 0 &&
               strcmp(V(j, B_TECH), V(i, B_TECH)) == 0)
            j++;
        if (!year || strcmp(year, V(i, B_FIN_YEAR)) != 0) {
            year = V(i, B_FIN_YEAR);
            rep_year_heading(r, year);
        }
        bench_group(r, i, j - i);
        i = j;
    }
    rep_row_cap_note(r, q, "mart.mtfm_benchmark");
}
