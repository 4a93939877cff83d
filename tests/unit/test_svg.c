/* Unit tests of svg: the scales, the elements, and the exact output of a dot chart and of a
 * (stacked) bar chart for known values, coordinates included. */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/svg.h"

/* Capture what is written into a malloc'd string (caller frees). */
typedef struct cap {
    char *buf;
    size_t len;
    FILE *f;
} cap;

static void cap_open(cap *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    cr_assert_not_null(c->f);
}

static char *cap_close(cap *c)
{
    cr_assert_eq(fclose(c->f), 0);
    return c->buf;
}

static ncc_money money(const char *s)
{
    ncc_money v;
    cr_assert_neq(ncc_money_parse(s, strlen(s), &v), NCC_PARSE_BAD, "%s", s);
    return v;
}

Test(svg, scale_around_shows_the_differences)
{
    ncc_svg_scale s;
    /* 2000 .. 3100: widened by 110 to 1890 .. 3210, in steps of 500 */
    ncc_svg_scale_around(money("2000"), money("3100"), 6, 0, &s);
    cr_assert_eq(s.lo, money("1500"));
    cr_assert_eq(s.hi, money("3500"));
    cr_assert_eq(s.step, money("500"));

    /* one item: widened by a tenth of the value and from 0 */
    ncc_svg_scale_around(money("3100"), money("3100"), 6, 1, &s);
    cr_assert_eq(s.lo, 0);
    cr_assert_eq(s.hi, money("4000"));
    cr_assert_eq(s.step, money("1000"));

    /* a spread of 0 with several items: widened by a tenth of the value, not from 0 */
    ncc_svg_scale_around(money("42"), money("42"), 6, 0, &s);
    cr_assert_eq(s.lo, money("36"), "37.8 .. 46.2 in steps of 2");
    cr_assert_eq(s.hi, money("48"));
    cr_assert_eq(s.step, money("2"));

    /* positive values never get a negative scale */
    ncc_svg_scale_around(money("0.5"), money("100"), 6, 0, &s);
    cr_assert_eq(s.lo, 0, "100 - 0.5 widened by 9.95 would go below 0");
    cr_assert_eq(s.hi, money("120"));
    cr_assert_eq(s.step, money("20"));

    /* negative values keep theirs */
    ncc_svg_scale_around(money("-30"), money("-10"), 6, 0, &s);
    cr_assert_eq(s.lo, money("-35"));
    cr_assert_eq(s.hi, money("-5"));
    cr_assert_eq(s.step, money("5"));
}

Test(svg, scale_from_zero_for_counts)
{
    ncc_svg_scale s;
    ncc_svg_scale_from_zero(money("38"), 4, 1, &s);
    cr_assert_eq(s.lo, 0);
    cr_assert_eq(s.hi, money("40"));
    cr_assert_eq(s.step, money("10"));

    ncc_svg_scale_from_zero(money("3"), 4, 1, &s);
    cr_assert_eq(s.hi, money("3"));
    cr_assert_eq(s.step, money("1"));

    /* a fraction: steps of 0.2 unless whole, then one whole step */
    ncc_svg_scale_from_zero(money("0.5"), 4, 0, &s);
    cr_assert_eq(s.step, money("0.2"));
    cr_assert_eq(s.hi, money("0.6"));
    ncc_svg_scale_from_zero(money("0.5"), 4, 1, &s);
    cr_assert_eq(s.step, money("1"));
    cr_assert_eq(s.hi, money("1"));

    ncc_svg_scale_from_zero(0, 4, 1, &s);
    cr_assert_eq(s.lo, 0);
    cr_assert_eq(s.hi, money("1"), "nothing at all: [0, 1]");
    cr_assert_eq(s.step, money("1"));
}

Test(svg, elements)
{
    cap c;
    cap_open(&c);
    ncc_svg_line(c.f, "grid", 2620, 2625, 260, 780);
    ncc_svg_end(c.f, "line", NULL);
    ncc_svg_rect(c.f, "bar", 630, 8805, 300, -15);
    ncc_svg_end(c.f, "rect", "RBB <b> & \"x\"");
    ncc_svg_text(c.f, "tick", 400, 1360, "end", "1,500");
    ncc_svg_text(c.f, "hdr", 60, 160, NULL, "Unit cost (\xC2\xA3) <");
    ncc_svg_attr(c.f, "cx", 3445);
    char *s = cap_close(&c);
    cr_assert_str_eq(s, "<line class=\"grid\" x1=\"262\" x2=\"262.5\" y1=\"26\" y2=\"78\"/>"
                        "<rect class=\"bar\" x=\"63\" y=\"880.5\" width=\"30\" height=\"-1.5\">"
                        "<title>RBB &lt;b&gt; &amp; &quot;x&quot;</title></rect>"
                        "<text class=\"tick\" x=\"40\" y=\"136\" text-anchor=\"end\">1,500</text>"
                        "<text class=\"hdr\" x=\"6\" y=\"16\">Unit cost (\xC2\xA3) &lt;</text>"
                        " cx=\"344.5\"");
    free(s);
}

Test(svg, dot_chart_exact)
{
    ncc_svg_dot dots[2] = {
        {"RAA", "North", money("25"), "25.0000", "RAA: 25"},
        {"RBB", "", money("75"), "75.0000", "RBB <75>"},
    };
    ncc_svg_ref refs[2] = {{"median", money("50"), "m"}, {"national", money("25"), "n"}};
    ncc_svg_dot_chart chart = {.id = "c1",
                               .cls = "bench-chart",
                               .title = "T",
                               .desc = "D",
                               .label_head = "Trust",
                               .value_head = "Value",
                               .axis_title = "pounds",
                               .scale = {0, money("100"), money("50")},
                               .dots = dots,
                               .ndots = 2,
                               .band_cls = "iqr",
                               .band_title = "band",
                               .band_lo = money("40"),
                               .band_hi = money("60"),
                               .refs = refs,
                               .nrefs = 2,
                               .stem_ref = 1};
    cr_assert_eq(ncc_svg_dot_chart_height(2), 118);
    cap c;
    cap_open(&c);
    ncc_svg_dot_chart_write(c.f, &chart);
    char *s = cap_close(&c);
    /* x = 262 px + value / 100 x 330 px; rows of 24 px from y 26; the RAA dot is on the
     * national line, so only RBB has a stem */
    cr_assert_str_eq(
        s,
        "<svg class=\"bench-chart\" width=\"700\" height=\"118\" viewBox=\"0 0 700 118\" "
        "role=\"img\" aria-labelledby=\"c1-t c1-d\"><title id=\"c1-t\">T</title>"
        "<desc id=\"c1-d\">D</desc>\n"
        "<text class=\"hdr\" x=\"6\" y=\"16\">Trust</text>"
        "<text class=\"hdr\" x=\"692\" y=\"16\" text-anchor=\"end\">Value</text>\n"
        "<rect class=\"zebra\" x=\"0\" y=\"26\" width=\"700\" height=\"24\"/>\n"
        "<line class=\"grid\" x1=\"262\" x2=\"262\" y1=\"26\" y2=\"78\"/>"
        "<text class=\"tick\" x=\"262\" y=\"91\" text-anchor=\"middle\">0</text>"
        "<line class=\"grid\" x1=\"427\" x2=\"427\" y1=\"26\" y2=\"78\"/>"
        "<text class=\"tick\" x=\"427\" y=\"91\" text-anchor=\"middle\">50</text>"
        "<line class=\"grid\" x1=\"592\" x2=\"592\" y1=\"26\" y2=\"78\"/>"
        "<text class=\"tick\" x=\"592\" y=\"91\" text-anchor=\"middle\">100</text>"
        "<line class=\"axis\" x1=\"262\" x2=\"592\" y1=\"74\" y2=\"74\"/>"
        "<text class=\"axis-title\" x=\"427\" y=\"108\" text-anchor=\"middle\">pounds</text>\n"
        "<rect class=\"iqr\" x=\"394\" y=\"26\" width=\"66\" height=\"48\"><title>band</title>"
        "</rect>\n"
        "<line class=\"stem\" x1=\"344.5\" x2=\"509.5\" y1=\"62\" y2=\"62\"/>\n"
        "<line class=\"median\" x1=\"427\" x2=\"427\" y1=\"22\" y2=\"74\"><title>m</title>"
        "</line>\n"
        "<line class=\"national\" x1=\"344.5\" x2=\"344.5\" y1=\"22\" y2=\"74\"><title>n</title>"
        "</line>\n"
        "<text class=\"lbl\" x=\"6\" y=\"42\"><tspan font-weight=\"bold\">RAA</tspan> North</text>"
        "<circle class=\"mark\" cx=\"344.5\" cy=\"38\" r=\"6\"><title>RAA: 25</title></circle>"
        "<text class=\"val\" x=\"692\" y=\"42\" text-anchor=\"end\">25.0000</text>\n"
        "<text class=\"lbl\" x=\"6\" y=\"66\"><tspan font-weight=\"bold\">RBB</tspan></text>"
        "<circle class=\"mark\" cx=\"509.5\" cy=\"62\" r=\"6\"><title>RBB &lt;75&gt;</title>"
        "</circle><text class=\"val\" x=\"692\" y=\"66\" text-anchor=\"end\">75.0000</text>\n"
        "</svg>\n");
    free(s);
}

Test(svg, dot_chart_cuts_long_names_and_clamps)
{
    const char *name = "Northfield and Southfield Hospitals NHS Foundation Trust";
    ncc_svg_dot dots[1] = {{"RAA", name, money("250"), "250.0000", name}};
    ncc_svg_dot_chart chart = {.id = "c2",
                               .scale = {0, money("100"), money("100")},
                               .dots = dots,
                               .ndots = 1,
                               .stem_ref = -1};
    cap c;
    cap_open(&c);
    ncc_svg_dot_chart_write(c.f, &chart);
    char *s = cap_close(&c);
    cr_assert_not_null(strstr(s, "</tspan> Northfield and Southfield Hospita\xE2\x80\xA6</text>"),
                       "the label is cut to 34 characters: %s", s);
    cr_assert_not_null(strstr(s, "<title>Northfield and Southfield Hospitals NHS Foundation "
                                 "Trust</title>"),
                       "the title is not cut");
    cr_assert_not_null(strstr(s, "<circle class=\"mark\" cx=\"592\""),
                       "a value beyond the scale is drawn at its end");
    cr_assert_null(strstr(s, "class=\"stem\""), "no stems without a reference line");
    cr_assert_null(strstr(s, "<rect class=\"zebra\" x=\"0\" y=\"50\""), "one shaded row");
    free(s);
}

Test(svg, bar_chart_exact_with_a_stack_and_an_empty_slot)
{
    ncc_svg_segment segs[2] = {{"bar", money("4"), "a"}, {"bar2", money("3"), "b"}};
    ncc_svg_bar bars[2] = {
        {"2022/23", "2 trusts", segs, 2, "7"},
        {"2023/24", "none", NULL, 0, NULL},
    };
    ncc_svg_bar_chart chart = {.id = "b1",
                               .cls = "adoption-chart",
                               .title = "T",
                               .desc = "D",
                               .axis_title = "units",
                               .scale = {0, money("10"), money("5")},
                               .bars = bars,
                               .nbars = 2};
    cr_assert_eq(ncc_svg_bar_chart_width(2), 220, "at least 220 px");
    cr_assert_eq(ncc_svg_bar_chart_width(5), 46 + 5 * 64 + 8);
    cr_assert_eq(ncc_svg_bar_chart_height(), 176);
    cap c;
    cap_open(&c);
    ncc_svg_bar_chart_write(c.f, &chart);
    char *s = cap_close(&c);
    /* y = 132 px - value / 10 x 110 px; slots of 64 px from x 46, bars 30 px wide; the second
     * segment starts where the first ends (y 88) */
    cr_assert_str_eq(
        s,
        "<svg class=\"adoption-chart\" width=\"220\" height=\"176\" viewBox=\"0 0 220 176\" "
        "role=\"img\" aria-labelledby=\"b1-t b1-d\"><title id=\"b1-t\">T</title>"
        "<desc id=\"b1-d\">D</desc>\n"
        "<line class=\"grid\" x1=\"46\" x2=\"174\" y1=\"132\" y2=\"132\"/>"
        "<text class=\"tick\" x=\"40\" y=\"136\" text-anchor=\"end\">0</text>"
        "<line class=\"grid\" x1=\"46\" x2=\"174\" y1=\"77\" y2=\"77\"/>"
        "<text class=\"tick\" x=\"40\" y=\"81\" text-anchor=\"end\">5</text>"
        "<line class=\"grid\" x1=\"46\" x2=\"174\" y1=\"22\" y2=\"22\"/>"
        "<text class=\"tick\" x=\"40\" y=\"26\" text-anchor=\"end\">10</text>"
        "<line class=\"axis\" x1=\"46\" x2=\"174\" y1=\"132\" y2=\"132\"/>\n"
        "<text class=\"axis-title\" x=\"4\" y=\"12\">units</text>\n"
        "<text class=\"tick\" x=\"78\" y=\"148\" text-anchor=\"middle\">2022/23</text>"
        "<rect class=\"bar\" x=\"63\" y=\"88\" width=\"30\" height=\"44\"><title>a</title></rect>"
        "<rect class=\"bar2\" x=\"63\" y=\"55\" width=\"30\" height=\"33\"><title>b</title>"
        "</rect>"
        "<text class=\"val\" x=\"78\" y=\"51\" text-anchor=\"middle\">7</text>"
        "<text class=\"tick\" x=\"78\" y=\"164\" text-anchor=\"middle\">2 trusts</text>\n"
        "<text class=\"tick\" x=\"142\" y=\"148\" text-anchor=\"middle\">2023/24</text>"
        "<text class=\"tick\" x=\"142\" y=\"164\" text-anchor=\"middle\">none</text>\n"
        "</svg>\n");
    free(s);
}

Test(svg, stacked_segments_abut_when_positions_round)
{
    /* thirds of 110 px: 36.67, 73.33, 110 px; each segment runs between the rounded positions
     * of the sums, so the heights (36.7, 36.6, 36.7) add up to the bar exactly */
    ncc_svg_segment segs[3] = {
        {"s1", money("1"), NULL}, {"s2", money("1"), NULL}, {"s3", money("1"), NULL}};
    ncc_svg_bar bars[1] = {{"x", NULL, segs, 3, "3"}};
    ncc_svg_bar_chart chart = {
        .id = "b2", .scale = {0, money("3"), money("1")}, .bars = bars, .nbars = 1};
    cap c;
    cap_open(&c);
    ncc_svg_bar_chart_write(c.f, &chart);
    char *s = cap_close(&c);
    cr_assert_not_null(strstr(s, "<rect class=\"s1\" x=\"63\" y=\"95.3\" width=\"30\" "
                                 "height=\"36.7\"/>"
                                 "<rect class=\"s2\" x=\"63\" y=\"58.7\" width=\"30\" "
                                 "height=\"36.6\"/>"
                                 "<rect class=\"s3\" x=\"63\" y=\"22\" width=\"30\" "
                                 "height=\"36.7\"/>"
                                 "<text class=\"val\" x=\"78\" y=\"18\" text-anchor=\"middle\">3"
                                 "</text>\n"),
                       "%s", s);
    free(s);
}
