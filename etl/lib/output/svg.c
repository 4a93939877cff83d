/* svg.c - inline SVG dot and bar charts on exact scaled-integer arithmetic (svg.h). */
#include "output/svg.h"

#include "output/html.h"

/* dot chart geometry, pixels */
enum {
    DOT_LABEL_X = 6,   /* left edge of the labels */
    DOT_PLOT_X0 = 262, /* the value axis runs from here ... */
    DOT_PLOT_W = 330,  /* ... over this many pixels */
    DOT_VALUE_X = 692, /* right edge of the value texts */
    DOT_HEAD_Y = 16,   /* baseline of the column headers */
    DOT_TOP = 26,      /* top of the first row */
    DOT_DOT_R = 6
};

/* bar chart geometry, pixels */
enum {
    BAR_X0 = 46,  /* the value axis; the first slot starts here */
    BAR_TOP = 22, /* top of the plot */
    BAR_W = 30,   /* width of a bar, centred in its slot */
    BAR_RIGHT = 8 /* space after the last slot */
};

/* Pixels to tenths of a pixel. */
static long long px(long long pixels)
{
    return pixels * 10;
}

/* The tick after t, or a value past s->hi when there is none (a step of 0 draws lo only). */
static ncc_money next_tick(const ncc_svg_scale *s, ncc_money t)
{
    return s->step > 0 ? t + s->step : s->hi + 1;
}

/* ---- scales --------------------------------------------------------------------------- */

void ncc_svg_scale_around(ncc_money min, ncc_money max, int max_ticks, int from_zero,
                          ncc_svg_scale *s)
{
    ncc_money pad = (max - min) / 10;
    if (from_zero || pad == 0)
        pad = (max < 0 ? -max : max) / 10; /* keep a lone value off the scale's end */
    ncc_money from = min - pad, to = max + pad;
    if (min >= 0 && from < 0)
        from = 0; /* never a negative scale for values that are not */
    ncc_html_axis(from, to, max_ticks, from_zero, &s->lo, &s->hi, &s->step);
}

void ncc_svg_scale_from_zero(ncc_money max, int max_ticks, int whole, ncc_svg_scale *s)
{
    ncc_html_axis(0, max, max_ticks, 1, &s->lo, &s->hi, &s->step);
    if (whole && s->step < NCC_MONEY_SCALE) {
        s->step = NCC_MONEY_SCALE;
        s->hi = ((max + s->step - 1) / s->step) * s->step;
        if (s->hi == 0)
            s->hi = s->step;
    }
}

/* ---- elements ------------------------------------------------------------------------- */

void ncc_svg_attr(FILE *out, const char *name, long long tenths)
{
    fprintf(out, " %s=\"", name);
    ncc_html_coord(out, tenths);
    fputc('"', out);
}

static void open_tag(FILE *out, const char *tag, const char *cls)
{
    fprintf(out, "<%s class=\"", tag);
    ncc_html_escape(out, cls);
    fputc('"', out);
}

void ncc_svg_line(FILE *out, const char *cls, long long x1, long long x2, long long y1,
                  long long y2)
{
    open_tag(out, "line", cls);
    ncc_svg_attr(out, "x1", x1);
    ncc_svg_attr(out, "x2", x2);
    ncc_svg_attr(out, "y1", y1);
    ncc_svg_attr(out, "y2", y2);
}

void ncc_svg_rect(FILE *out, const char *cls, long long x, long long y, long long width,
                  long long height)
{
    open_tag(out, "rect", cls);
    ncc_svg_attr(out, "x", x);
    ncc_svg_attr(out, "y", y);
    ncc_svg_attr(out, "width", width);
    ncc_svg_attr(out, "height", height);
}

void ncc_svg_end(FILE *out, const char *tag, const char *title)
{
    if (!title) {
        fputs("/>", out);
        return;
    }
    fputs("><title>", out);
    ncc_html_escape(out, title);
    fprintf(out, "</title></%s>", tag);
}

void ncc_svg_text(FILE *out, const char *cls, long long x, long long y, const char *anchor,
                  const char *text)
{
    open_tag(out, "text", cls);
    ncc_svg_attr(out, "x", x);
    ncc_svg_attr(out, "y", y);
    if (anchor)
        fprintf(out, " text-anchor=\"%s\"", anchor);
    fputc('>', out);
    ncc_html_escape(out, text);
    fputs("</text>", out);
}

/* ---- dot chart ------------------------------------------------------------------------ */

int ncc_svg_dot_chart_height(int ndots)
{
    return DOT_TOP + ndots * NCC_SVG_DOT_ROW_PX + 44;
}

/* x of value v on the dot chart's axis */
static long long dot_x(const ncc_svg_dot_chart *c, ncc_money v)
{
    return px(DOT_PLOT_X0) + ncc_html_scale(v, c->scale.lo, c->scale.hi, DOT_PLOT_W);
}

/* y of the middle of row i, pixels */
static int dot_row_y(int i)
{
    return DOT_TOP + i * NCC_SVG_DOT_ROW_PX + NCC_SVG_DOT_ROW_PX / 2;
}

/* Headers, shaded rows, grid, tick labels, the axis and its title. */
static void dot_frame(FILE *out, const ncc_svg_dot_chart *c, int bottom)
{
    ncc_svg_text(out, "hdr", px(DOT_LABEL_X), px(DOT_HEAD_Y), NULL, c->label_head);
    ncc_svg_text(out, "hdr", px(DOT_VALUE_X), px(DOT_HEAD_Y), "end", c->value_head);
    fputc('\n', out);
    for (int i = 0; i < c->ndots; i += 2) {
        ncc_svg_rect(out, "zebra", 0, px(DOT_TOP + i * NCC_SVG_DOT_ROW_PX), px(NCC_SVG_DOT_WIDTH),
                     px(NCC_SVG_DOT_ROW_PX));
        ncc_svg_end(out, "rect", NULL);
    }
    fputc('\n', out);
    char label[NCC_MONEY_BUFSIZE + 16];
    for (ncc_money t = c->scale.lo; t <= c->scale.hi; t = next_tick(&c->scale, t)) {
        long long x = dot_x(c, t);
        ncc_svg_line(out, "grid", x, x, px(DOT_TOP), px(bottom + 4));
        ncc_svg_end(out, "line", NULL);
        ncc_html_money_label(t, label, sizeof label);
        ncc_svg_text(out, "tick", x, px(bottom + 17), "middle", label);
    }
    ncc_svg_line(out, "axis", px(DOT_PLOT_X0), px(DOT_PLOT_X0 + DOT_PLOT_W), px(bottom),
                 px(bottom));
    ncc_svg_end(out, "line", NULL);
    ncc_svg_text(out, "axis-title", px(DOT_PLOT_X0 + DOT_PLOT_W / 2), px(bottom + 34), "middle",
                 c->axis_title);
    fputc('\n', out);
}

/* The band, the stems and the reference lines, behind the dots. */
static void dot_references(FILE *out, const ncc_svg_dot_chart *c, int bottom)
{
    if (c->band_cls) {
        long long x0 = dot_x(c, c->band_lo), x1 = dot_x(c, c->band_hi);
        ncc_svg_rect(out, c->band_cls, x0, px(DOT_TOP), x1 - x0, px(c->ndots * NCC_SVG_DOT_ROW_PX));
        ncc_svg_end(out, "rect", c->band_title);
        fputc('\n', out);
    }
    if (c->stem_ref >= 0 && c->stem_ref < c->nrefs) {
        long long from = dot_x(c, c->refs[c->stem_ref].value);
        for (int i = 0; i < c->ndots; i++) {
            long long x = dot_x(c, c->dots[i].value);
            if (x == from)
                continue;
            long long y = px(dot_row_y(i));
            ncc_svg_line(out, "stem", from, x, y, y);
            ncc_svg_end(out, "line", NULL);
        }
        fputc('\n', out);
    }
    for (int k = 0; k < c->nrefs; k++) {
        long long x = dot_x(c, c->refs[k].value);
        ncc_svg_line(out, c->refs[k].cls, x, x, px(DOT_TOP - 4), px(bottom));
        ncc_svg_end(out, "line", c->refs[k].title);
        fputc('\n', out);
    }
}

/* Row i: its label, its dot and its value. */
static void dot_row(FILE *out, const ncc_svg_dot_chart *c, int i)
{
    const ncc_svg_dot *d = &c->dots[i];
    int y = dot_row_y(i);
    fputs("<text class=\"lbl\"", out);
    ncc_svg_attr(out, "x", px(DOT_LABEL_X));
    ncc_svg_attr(out, "y", px(y + 4));
    fputs("><tspan font-weight=\"bold\">", out);
    ncc_html_escape(out, d->code);
    fputs("</tspan>", out);
    if (d->name && *d->name) {
        fputc(' ', out);
        ncc_html_escape_trunc(out, d->name, NCC_SVG_DOT_NAME_CHARS);
    }
    fputs("</text><circle class=\"mark\"", out);
    ncc_svg_attr(out, "cx", dot_x(c, d->value));
    ncc_svg_attr(out, "cy", px(y));
    ncc_svg_attr(out, "r", px(DOT_DOT_R));
    ncc_svg_end(out, "circle", d->title);
    ncc_svg_text(out, "val", px(DOT_VALUE_X), px(y + 4), "end", d->value_text);
    fputc('\n', out);
}

void ncc_svg_dot_chart_write(FILE *out, const ncc_svg_dot_chart *c)
{
    int bottom = DOT_TOP + c->ndots * NCC_SVG_DOT_ROW_PX;
    ncc_html_svg_open(out, c->id, c->cls, NCC_SVG_DOT_WIDTH, ncc_svg_dot_chart_height(c->ndots),
                      c->title, c->desc);
    fputc('\n', out);
    dot_frame(out, c, bottom);
    dot_references(out, c, bottom);
    for (int i = 0; i < c->ndots; i++)
        dot_row(out, c, i);
    fputs("</svg>\n", out);
}

/* ---- bar chart ------------------------------------------------------------------------ */

int ncc_svg_bar_chart_width(int nbars)
{
    int width = BAR_X0 + nbars * NCC_SVG_BAR_SLOT_PX + BAR_RIGHT;
    return width < NCC_SVG_BAR_MIN_WIDTH ? NCC_SVG_BAR_MIN_WIDTH : width;
}

int ncc_svg_bar_chart_height(void)
{
    return BAR_TOP + NCC_SVG_BAR_PLOT_PX + 44;
}

/* y of value v on the bar chart's axis (the bottom of the plot is 0) */
static long long bar_y(const ncc_svg_bar_chart *c, ncc_money v)
{
    return px(BAR_TOP + NCC_SVG_BAR_PLOT_PX) -
           ncc_html_scale(v, c->scale.lo, c->scale.hi, NCC_SVG_BAR_PLOT_PX);
}

/* Grid, tick labels, the axis and its title. */
static void bar_frame(FILE *out, const ncc_svg_bar_chart *c, int bottom)
{
    long long x1 = px(BAR_X0 + c->nbars * NCC_SVG_BAR_SLOT_PX);
    char label[NCC_MONEY_BUFSIZE + 16];
    for (ncc_money t = c->scale.lo; t <= c->scale.hi; t = next_tick(&c->scale, t)) {
        long long y = bar_y(c, t);
        ncc_svg_line(out, "grid", px(BAR_X0), x1, y, y);
        ncc_svg_end(out, "line", NULL);
        ncc_html_money_label(t, label, sizeof label);
        ncc_svg_text(out, "tick", px(BAR_X0 - 6), y + px(4), "end", label);
    }
    ncc_svg_line(out, "axis", px(BAR_X0), x1, px(bottom), px(bottom));
    ncc_svg_end(out, "line", NULL);
    fputc('\n', out);
    ncc_svg_text(out, "axis-title", px(4), px(12), NULL, c->axis_title);
    fputc('\n', out);
}

/* Slot i: its label, its stack of segments, the total above it and the second label. */
static void bar_slot(FILE *out, const ncc_svg_bar_chart *c, int i, int bottom)
{
    const ncc_svg_bar *b = &c->bars[i];
    int cx = BAR_X0 + i * NCC_SVG_BAR_SLOT_PX + NCC_SVG_BAR_SLOT_PX / 2;
    ncc_svg_text(out, "tick", px(cx), px(bottom + 16), "middle", b->label);
    ncc_money sum = 0;
    for (int k = 0; k < b->nsegs; k++) {
        /* from the top of the segments below to the top of this one: stacks abut exactly */
        long long y0 = bar_y(c, sum);
        sum += b->segs[k].value;
        long long y1 = bar_y(c, sum);
        ncc_svg_rect(out, b->segs[k].cls, px(cx - BAR_W / 2), y1, px(BAR_W), y0 - y1);
        ncc_svg_end(out, "rect", b->segs[k].title);
    }
    if (b->value_text)
        ncc_svg_text(out, "val", px(cx), bar_y(c, sum) - px(4), "middle", b->value_text);
    if (b->sublabel)
        ncc_svg_text(out, "tick", px(cx), px(bottom + 32), "middle", b->sublabel);
    fputc('\n', out);
}

void ncc_svg_bar_chart_write(FILE *out, const ncc_svg_bar_chart *c)
{
    int bottom = BAR_TOP + NCC_SVG_BAR_PLOT_PX;
    ncc_html_svg_open(out, c->id, c->cls, ncc_svg_bar_chart_width(c->nbars),
                      ncc_svg_bar_chart_height(), c->title, c->desc);
    fputc('\n', out);
    bar_frame(out, c, bottom);
    for (int i = 0; i < c->nbars; i++)
        bar_slot(out, c, i, bottom);
    fputs("</svg>\n", out);
}
