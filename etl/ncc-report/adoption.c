/*
 * adoption.c - section 3, adoption over the years (mart.adoption): one bar chart per
 * technology of the units reported per financial year, all regions together, with the trusts
 * that reported any (svg.h); then the view's rows as they are, per NHS region.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/html.h"
#include "output/svg.h"
#include "report.h"
#include "report_assets.h"

/* sql/adoption_totals.sql: one row per technology and year, in that order */
enum { T_TECH, T_TECH_NAME, T_FIN_YEAR, T_TRUSTS, T_UNITS, T_NCOLS };
static const char *const total_cols[] = {
    [T_TECH] = "technology_id", [T_TECH_NAME] = "technology_name",
    [T_FIN_YEAR] = "fin_year",  [T_TRUSTS] = "trusts",
    [T_UNITS] = "units",
};
_Static_assert(sizeof total_cols / sizeof total_cols[0] == T_NCOLS, "a name per column");
const rep_query rep_adopt_total_query = {"sql/adoption_totals.sql", "reading mart.adoption",
                                         REPORT_SQL_ADOPTION_TOTALS, total_cols, T_NCOLS};

/* sql/adoption.sql: mart.adoption's rows, by technology, year and region */
enum {
    A_TECH,
    A_FIN_YEAR,
    A_REGION,
    A_TRUSTS,
    A_UNITS,
    A_COST,
    A_TRUSTS_PREV,
    A_UNITS_PREV,
    A_CHANGE,
    A_CHANGE_PCT,
    A_NCOLS
};
static const char *const adopt_cols[] = {
    [A_TECH] = "technology_id",
    [A_FIN_YEAR] = "fin_year",
    [A_REGION] = "region",
    [A_TRUSTS] = "trusts",
    [A_UNITS] = "units",
    [A_COST] = "cost",
    [A_TRUSTS_PREV] = "trusts_prev_year",
    [A_UNITS_PREV] = "units_prev_year",
    [A_CHANGE] = "units_change",
    [A_CHANGE_PCT] = "units_change_pct",
};
_Static_assert(sizeof adopt_cols / sizeof adopt_cols[0] == A_NCOLS, "a name per column");
const rep_query rep_adopt_query = {"sql/adoption.sql", "reading mart.adoption", REPORT_SQL_ADOPTION,
                                   adopt_cols, A_NCOLS};

/* at most this many steps on a chart's axis */
enum { ADOPTION_MAX_TICKS = 4 };

#define S(s) fputs((s), r->out)
#define E(s) ncc_html_escape(r->out, (s))
#define T(i, c) rep_get(&r->adopt_total, (i), (c))
#define A(i, c) rep_get(&r->adopt, (i), (c))

static const char *trusts_word(const char *n)
{
    return strcmp(n, "1") == 0 ? "trust" : "trusts";
}

/* The chart's description: every year's figures (caller frees; NULL when out of memory). */
static char *card_desc(report *r, int first, int n)
{
    char *desc = NULL;
    size_t len = 0;
    FILE *d = open_memstream(&desc, &len);
    if (!d) {
        rep_out_of_memory(r);
        return NULL;
    }
    fputs("Units reported per financial year (bars), with the number of trusts:", d);
    for (int i = first; i < first + n; i++) {
        char fy[16];
        ncc_html_fin_year_label(T(i, T_FIN_YEAR), fy);
        fprintf(d, " %s %s units by %s %s%s", fy, T(i, T_UNITS), T(i, T_TRUSTS),
                trusts_word(T(i, T_TRUSTS)), i + 1 < first + n ? ";" : ".");
    }
    if (fclose(d) != 0 || !desc) {
        free(desc);
        rep_out_of_memory(r);
        return NULL;
    }
    return desc;
}

/* One slot of a card: a year, and its bar when the technology has a row for it. */
typedef struct slot {
    ncc_svg_bar bar;
    ncc_svg_segment seg;
    char fy[16];
    char *title, *sublabel; /* owned */
} slot;

/* Slot s for year of the technology's rows first .. first + n - 1. */
static void card_slot(report *r, int first, int n, const char *year, slot *s)
{
    const char *tech = T(first, T_TECH);
    ncc_html_fin_year_label(year, s->fy);
    s->bar.label = s->fy;
    s->bar.sublabel = "none";
    for (int i = first; i < first + n; i++) {
        if (strcmp(T(i, T_FIN_YEAR), year) != 0)
            continue;
        const char *units = T(i, T_UNITS), *trusts = T(i, T_TRUSTS);
        s->title = rep_fmt(r, "%s, %s: %s units by %s %s", tech, s->fy, units, trusts,
                           trusts_word(trusts));
        s->sublabel = rep_fmt(r, "%s %s", trusts, trusts_word(trusts));
        s->seg = (ncc_svg_segment){"bar", rep_money(units), s->title};
        s->bar.segs = &s->seg;
        s->bar.nsegs = 1;
        s->bar.value_text = units;
        s->bar.sublabel = s->sublabel;
        break;
    }
}

/* The card of one technology (rows first .. first + n - 1) over the years shown. */
static void adoption_card(report *r, int first, int n, const char **years, int ny)
{
    const char *tech = T(first, T_TECH);
    ncc_svg_bar_chart c = {.cls = "adoption-chart", .axis_title = "units", .nbars = ny};
    ncc_money mx = 0;
    for (int i = first; i < first + n; i++) {
        ncc_money u = rep_money(T(i, T_UNITS));
        mx = u > mx ? u : mx;
    }
    ncc_svg_scale_from_zero(mx, ADOPTION_MAX_TICKS, 1, &c.scale); /* units are whole */
    S("<figure>\n<figcaption><span class=\"code\">");
    E(tech);
    S("</span>");
    if (*T(first, T_TECH_NAME)) {
        S("<span class=\"tname\">");
        E(T(first, T_TECH_NAME));
        S("</span>");
    }
    S("</figcaption>\n");
    char id[32];
    rep_svg_id(r, id);
    c.id = id;
    char *desc = card_desc(r, first, n);
    char *title = rep_fmt(r, "Adoption of %s: units and trusts per year", tech);
    slot *slots = rep_calloc(r, (size_t)ny, sizeof *slots);
    ncc_svg_bar *bars = rep_calloc(r, (size_t)ny, sizeof *bars);
    if (slots && bars) {
        for (int y = 0; y < ny; y++) {
            card_slot(r, first, n, years[y], &slots[y]);
            bars[y] = slots[y].bar;
        }
        c.title = title;
        c.desc = desc;
        c.bars = bars;
        ncc_svg_bar_chart_write(r->out, &c);
    }
    for (int y = 0; slots && y < ny; y++) {
        free(slots[y].title);
        free(slots[y].sublabel);
    }
    free(bars);
    free(slots);
    free(title);
    free(desc);
    S("</figure>\n");
}

static void adoption_table(report *r)
{
    const rep_result *q = &r->adopt;
    if (rep_denied(r, q) || q->n == 0)
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
    /* the figures, in the order of the header */
    static const int figures[] = {A_TRUSTS,     A_UNITS,  A_COST,      A_TRUSTS_PREV,
                                  A_UNITS_PREV, A_CHANGE, A_CHANGE_PCT};
    for (int i = 0; i < q->n; i++) {
        S("<tr data-key=\"");
        E(A(i, A_TECH));
        S("/");
        E(A(i, A_FIN_YEAR));
        S("/");
        E(A(i, A_REGION));
        S("\"><th scope=\"row\" class=\"code\">");
        E(A(i, A_TECH));
        S("</th><td>");
        E(A(i, A_FIN_YEAR));
        S("</td><td>");
        E(A(i, A_REGION));
        S("</td>");
        for (size_t k = 0; k < sizeof figures / sizeof figures[0]; k++) {
            S("<td class=\"num\">");
            if (*A(i, figures[k]))
                E(A(i, figures[k]));
            else
                S("<span aria-label=\"none\">\xE2\x80\x93</span>");
            S("</td>");
        }
        S("</tr>\n");
    }
    S("</tbody></table>\n");
    rep_row_cap_note(r, q, "mart.adoption");
}

/*
 * The years of every card: all the years of the totals, sorted, the most recent
 * REP_MAX_YEARS of them from *shown. Returns the array to free (NULL: out of memory) and
 * the years shown in *ny.
 */
static const char **card_years(report *r, const char ***shown, int *ny)
{
    const rep_result *q = &r->adopt_total;
    const char **years = rep_calloc(r, (size_t)q->n, sizeof *years);
    if (!years)
        return NULL;
    for (int i = 0; i < q->n; i++)
        years[i] = T(i, T_FIN_YEAR);
    qsort(years, (size_t)q->n, sizeof *years, rep_cmp_str);
    int n = 0;
    for (int i = 0; i < q->n; i++)
        if (n == 0 || strcmp(years[n - 1], years[i]) != 0)
            years[n++] = years[i];
    *shown = years;
    *ny = n;
    if (n > REP_MAX_YEARS) {
        *shown = years + (n - REP_MAX_YEARS);
        *ny = REP_MAX_YEARS;
    }
    return years;
}

void rep_adoption_write(report *r)
{
    const rep_result *q = &r->adopt_total;
    S("<h2 id=\"adoption\">3. Adoption over the years</h2>\n"
      "<p>Units of each technology the trusts reported per financial year (bars, value above), "
      "and how many trusts reported any (below the year), all regions together; the table "
      "gives the figures per NHS region (<span class=\"code\">mart.adoption</span>).</p>\n");
    if (!rep_rows_or_note(r, q, "mart.adoption", "no MTFM units have been reported yet."))
        return;
    const char **shown;
    int ny;
    const char **years = card_years(r, &shown, &ny);
    if (!years)
        return;
    if (shown != years)
        fprintf(r->out,
                "<p class=\"note\">The charts show the latest %d financial years; the table "
                "has them all.</p>\n",
                REP_MAX_YEARS);
    S("<div class=\"cards\">\n");
    for (int i = 0; i < q->n;) {
        int j = i + 1;
        while (j < q->n && strcmp(T(j, T_TECH), T(i, T_TECH)) == 0)
            j++;
        adoption_card(r, i, j - i, shown, ny);
        i = j;
    }
    S("</div>\n");
    free(years);
    rep_row_cap_note(r, q, "mart.adoption (totals)");
    adoption_table(r);
}
