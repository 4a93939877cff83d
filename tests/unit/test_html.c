/* Unit tests of html: escaping (markup, quotes, controls, bad UTF-8), truncation, <wbr>, the
 * exact scale and axis arithmetic, labels, and the accessible <svg> opening. */
#define _GNU_SOURCE /* open_memstream */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/html.h"

/* Capture what fn writes into a malloc'd string (caller frees). */
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

static char *escaped(const char *s)
{
    cap c;
    cap_open(&c);
    ncc_html_escape(c.f, s);
    return cap_close(&c);
}

static ncc_money money(const char *s)
{
    ncc_money v;
    cr_assert_neq(ncc_money_parse(s, strlen(s), &v), NCC_PARSE_BAD, "%s", s);
    return v;
}

Test(html, escapes_markup_and_quotes)
{
    char *s = escaped("<script>alert(\"x\")</script> & O'Brien");
    cr_assert_str_eq(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; O&#39;Brien");
    free(s);
    s = escaped("plain text 123 \xC2\xA3 \xE2\x80\x94 \xF0\x9F\x98\x80");
    cr_assert_str_eq(s, "plain text 123 \xC2\xA3 \xE2\x80\x94 \xF0\x9F\x98\x80",
                     "well-formed UTF-8 passes unchanged");
    free(s);
    s = escaped("");
    cr_assert_str_eq(s, "");
    free(s);
    s = escaped(NULL);
    cr_assert(s == NULL || strcmp(s, "") == 0);
    free(s);
}

Test(html, replaces_controls_and_ill_formed_utf8)
{
    char *s = escaped("a\x01"
                      "b\tc\nd\x7F"
                      "e");
    cr_assert_str_eq(s,
                     "a\xEF\xBF\xBD"
                     "b\tc\nd\xEF\xBF\xBD"
                     "e",
                     "controls but TAB/LF/CR become U+FFFD");
    free(s);
    /* a lone continuation byte, a truncated sequence, an overlong '<', a surrogate, > U+10FFFF */
    s = escaped("x\x80y\xC3z\xC0\xBC\xED\xA0\x80\xF4\x90\x80\x80");
    cr_assert_eq(strchr(s, '<'), NULL, "an overlong '<' never becomes '<'");
    cr_assert_str_eq(s, "x\xEF\xBF\xBDy\xEF\xBF\xBDz\xEF\xBF\xBD\xEF\xBF\xBD"
                        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                        "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    free(s);
}

Test(html, escape_n_stops_at_len)
{
    cap c;
    cap_open(&c);
    ncc_html_escape_n(c.f, "a<b>c", 2);
    char *s = cap_close(&c);
    cr_assert_str_eq(s, "a&lt;");
    free(s);
}

Test(html, truncates_by_characters)
{
    cap c;
    cap_open(&c);
    cr_assert_eq(ncc_html_escape_trunc(c.f, "Northfield Hospitals NHS Trust", 14), 1);
    char *s = cap_close(&c);
    cr_assert_str_eq(s, "Northfield Ho\xE2\x80\xA6");
    free(s);

    cap_open(&c);
    cr_assert_eq(ncc_html_escape_trunc(c.f, "Trust of \xC2\xA3\xC2\xA3\xC2\xA3", 12), 0,
                 "12 characters fit in 12 (bytes do not count)");
    s = cap_close(&c);
    cr_assert_str_eq(s, "Trust of \xC2\xA3\xC2\xA3\xC2\xA3");
    free(s);

    cap_open(&c);
    ncc_html_escape_trunc(c.f, "ab cd", 4);
    s = cap_close(&c);
    cr_assert_str_eq(s, "ab\xE2\x80\xA6", "no space before the ellipsis");
    free(s);

    cap_open(&c);
    ncc_html_escape_trunc(c.f, "<<<<<<", 3);
    s = cap_close(&c);
    cr_assert_str_eq(s, "&lt;&lt;\xE2\x80\xA6", "cut text is still escaped");
    free(s);
}

Test(html, wbr_after_underscores_and_slashes)
{
    cap c;
    cap_open(&c);
    ncc_html_escape_wbr(c.f, "COST_EXCEEDS_PURCHASES");
    char *s = cap_close(&c);
    cr_assert_str_eq(s, "COST_<wbr>EXCEEDS_<wbr>PURCHASES");
    free(s);
    cap_open(&c);
    ncc_html_escape_wbr(c.f, "in/<b>_x");
    s = cap_close(&c);
    cr_assert_str_eq(s, "in/<wbr>&lt;b&gt;_<wbr>x");
    free(s);
}

Test(html, scale_is_exact_and_clamped)
{
    ncc_money lo = 0, hi = money("4000");
    cr_assert_eq(ncc_html_scale(money("2000"), lo, hi, 400), 2000, "half way: 200.0 px");
    cr_assert_eq(ncc_html_scale(money("0.0001"), lo, hi, 400), 0, "rounds to the tenth of a pixel");
    cr_assert_eq(ncc_html_scale(money("1"), lo, hi, 400), 1, "1/4000 of 4000 tenths");
    cr_assert_eq(ncc_html_scale(money("0.5"), lo, hi, 400), 1, "0.5 tenths rounds half up");
    cr_assert_eq(ncc_html_scale(money("0.4999"), lo, hi, 400), 0);
    cr_assert_eq(ncc_html_scale(money("-5"), lo, hi, 400), 0, "clamped below");
    cr_assert_eq(ncc_html_scale(money("9999"), lo, hi, 400), 4000, "clamped above");
    cr_assert_eq(ncc_html_scale(money("2111.1111"), money("1500"), money("3500"), 330), 1008,
                 "(2111.1111 - 1500) / 2000 x 3300 tenths = 1008.33 -> 100.8 px");
    cr_assert_eq(ncc_html_scale(money("5"), money("5"), money("5"), 100), 0,
                 "empty domain gives 0");
    /* the largest NUMERIC(22,4) values do not overflow */
    ncc_money big = money("999999999999999999.9999");
    cr_assert_eq(ncc_html_scale(big / 2, 0, big, 1000), 5000);
}

Test(html, coordinates_in_tenths)
{
    cap c;
    cap_open(&c);
    ncc_html_coord(c.f, 1234);
    fputc(' ', c.f);
    ncc_html_coord(c.f, 50);
    fputc(' ', c.f);
    ncc_html_coord(c.f, 0);
    fputc(' ', c.f);
    ncc_html_coord(c.f, -15);
    char *s = cap_close(&c);
    cr_assert_str_eq(s, "123.4 5 0 -1.5");
    free(s);
}

Test(html, axis_steps_of_1_2_5)
{
    ncc_money lo, hi, step;
    ncc_html_axis(0, money("2450"), 6, 1, &lo, &hi, &step);
    cr_assert_eq(lo, 0);
    cr_assert_eq(step, money("500"));
    cr_assert_eq(hi, money("2500"));

    ncc_html_axis(money("1890"), money("3321"), 6, 0, &lo, &hi, &step);
    cr_assert_eq(step, money("500"), "1890..3321 in at most 6 steps: 500");
    cr_assert_eq(lo, money("1500"));
    cr_assert_eq(hi, money("3500"));

    ncc_html_axis(money("1890"), money("3321"), 6, 1, &lo, &hi, &step);
    cr_assert_eq(lo, 0, "with zero");
    cr_assert_eq(step, money("1000"));
    cr_assert_eq(hi, money("4000"));

    ncc_html_axis(money("0.0001"), money("0.0007"), 5, 0, &lo, &hi, &step);
    cr_assert_eq(step, money("0.0002"));
    cr_assert_eq(lo, 0);
    cr_assert_eq(hi, money("0.0008"));

    ncc_html_axis(money("-120"), money("80"), 4, 1, &lo, &hi, &step);
    cr_assert_eq(step, money("100"));
    cr_assert_eq(lo, money("-200"));
    cr_assert_eq(hi, money("100"));

    ncc_html_axis(money("700"), money("700"), 6, 0, &lo, &hi, &step);
    cr_assert_eq(lo, 0, "one value: from zero");
    cr_assert_eq(step, money("200"));
    cr_assert_eq(hi, money("800"));

    ncc_html_axis(0, 0, 6, 1, &lo, &hi, &step);
    cr_assert_eq(lo, 0);
    cr_assert_eq(hi, NCC_MONEY_SCALE, "all zero: [0, 1]");

    ncc_html_axis(0, money("999999999999999999.9999"), 5, 1, &lo, &hi, &step);
    cr_assert_eq(step, money("200000000000000000"), "the largest values get an axis too");
}

Test(html, money_labels)
{
    char buf[NCC_MONEY_BUFSIZE + 16];
    ncc_html_money_label(money("1234.5"), buf, sizeof buf);
    cr_assert_str_eq(buf, "1,234.5");
    ncc_html_money_label(money("-2000"), buf, sizeof buf);
    cr_assert_str_eq(buf, "-2,000");
    ncc_html_money_label(money("0.0005"), buf, sizeof buf);
    cr_assert_str_eq(buf, "0.0005");
    ncc_html_money_label(money("999"), buf, sizeof buf);
    cr_assert_str_eq(buf, "999");
    ncc_html_money_label(money("123456789012345678.1234"), buf, sizeof buf);
    cr_assert_str_eq(buf, "123,456,789,012,345,678.1234");
    char small[5];
    size_t n = ncc_html_money_label(money("1234567"), small, sizeof small);
    cr_assert_eq(n, 9, "the length it needs");
    cr_assert_str_eq(small, "1,23", "cut and terminated");
}

Test(html, fin_year_labels)
{
    char out[16];
    ncc_html_fin_year_label("202324", out);
    cr_assert_str_eq(out, "2023/24");
    ncc_html_fin_year_label("2023", out);
    cr_assert_str_eq(out, "2023");
    ncc_html_fin_year_label("abcdef", out);
    cr_assert_str_eq(out, "abcdef");
}

Test(html, svg_open_is_labelled)
{
    cap c;
    cap_open(&c);
    ncc_html_svg_open(c.f, "svg7", "bench-chart", 700, 120, "Unit cost <&>", "Desc \"q\"");
    char *s = cap_close(&c);
    cr_assert_str_eq(
        s, "<svg class=\"bench-chart\" width=\"700\" height=\"120\" viewBox=\"0 0 700 120\" "
           "role=\"img\" aria-labelledby=\"svg7-t svg7-d\"><title id=\"svg7-t\">Unit cost "
           "&lt;&amp;&gt;</title><desc id=\"svg7-d\">Desc &quot;q&quot;</desc>");
    cr_assert_null(strstr(s, "http"), "no namespace URL: inline SVG in HTML needs none");
    free(s);
}
