/*
 * svg.h - inline SVG charts for self-contained HTML pages (ncc-report), drawn on the exact
 * arithmetic of html.h:
 *
 *   dot chart  one row per item (a trust): its label, a dot at its value and the value as
 *              text; behind the rows an optional shaded band, lines across every row at
 *              reference values (national, median) and stems from one of them to each dot;
 *   bar chart  one slot per category (a year): a label and a second line under the axis,
 *              and a bar that is a stack of one or more segments starting at 0, its total
 *              written above it. A plain bar is a stack of one segment; stacked bars (one
 *              segment per stage, say) need only more segments and a class for each.
 *
 * Values are ncc_money (integers scaled by 10^4, field.h): a position is ncc_html_scale of the
 * exact value in tenths of a pixel, and a stacked segment runs from the position of the sum of
 * the segments below it to that of the sum including it, so segments always abut. Nothing here
 * uses floating point, the locale or the heap; every structure passed in is borrowed for the
 * call only. Every text and class name given is written escaped (ncc_html_escape). The page's
 * stylesheet styles the classes the charts use themselves: zebra, grid, axis, stem, mark (a
 * dot), and the texts hdr, tick, axis-title, lbl, val.
 * Every chart is an <svg role="img"> labelled by its title and described by its desc
 * (ncc_html_svg_open); every dot, segment, reference line and band given a title carries it
 * as a <title> child, its text alternative.
 *
 * Coordinates below are in tenths of a pixel (long long) unless named _px. Write errors are
 * left in the stream's error indicator (ferror), for the caller to check once.
 */
#ifndef NCC_SVG_H
#define NCC_SVG_H

#include <stdio.h>

#include "rules/field.h"

/* ---- scales --------------------------------------------------------------------------- */

/* A value axis: the domain [lo, hi], with a grid line and tick label every step from lo. */
typedef struct ncc_svg_scale {
    ncc_money lo, hi, step;
} ncc_svg_scale;

/*
 * A scale showing the differences between values from min to max (min <= max), at most
 * max_ticks steps (ncc_html_axis): widened by a tenth of the spread on either side, but never
 * below 0 when min >= 0. With from_zero (a single item), or when the spread is too small to
 * widen by, it is widened by a tenth of |max| instead; with from_zero it also includes 0.
 */
void ncc_svg_scale_around(ncc_money min, ncc_money max, int max_ticks, int from_zero,
                          ncc_svg_scale *s);

/*
 * A scale from 0 to at least max (max >= 0), at most max_ticks steps, for bars. With whole
 * (counts of units) a step is never under 1, and then hi is max rounded up to a whole step
 * (at least one step).
 */
void ncc_svg_scale_from_zero(ncc_money max, int max_ticks, int whole, ncc_svg_scale *s);

/* ---- elements ------------------------------------------------------------------------- */

/* Write ` name="123.4"`: an attribute holding a coordinate (ncc_html_coord). */
void ncc_svg_attr(FILE *out, const char *name, long long tenths);
/* Write `<line class="cls" x1 x2 y1 y2`, left open for ncc_svg_end(out, "line", ...). */
void ncc_svg_line(FILE *out, const char *cls, long long x1, long long x2, long long y1,
                  long long y2);
/* Write `<rect class="cls" x y width height`, left open for ncc_svg_end(out, "rect", ...). */
void ncc_svg_rect(FILE *out, const char *cls, long long x, long long y, long long width,
                  long long height);
/*
 * End the element opened by the two above: "/>" when title is NULL, else its text
 * alternative "><title>title</title></tag>".
 */
void ncc_svg_end(FILE *out, const char *tag, const char *title);
/* Write `<text class="cls" x y[ text-anchor="anchor"]>text</text>`; anchor may be NULL. */
void ncc_svg_text(FILE *out, const char *cls, long long x, long long y, const char *anchor,
                  const char *text);

/* ---- dot chart ------------------------------------------------------------------------ */

/*
 * Layout: NCC_SVG_DOT_WIDTH pixels wide; column headers, then one row of NCC_SVG_DOT_ROW_PX
 * pixels per dot (every other row shaded), then the axis with its tick labels and title. The
 * label (code, then name) is on the left, the value axis in the middle, the value text on the
 * right.
 */
#define NCC_SVG_DOT_WIDTH 700
#define NCC_SVG_DOT_ROW_PX 24
/* A label's name is cut to this many characters (ncc_html_escape_trunc); titles never are. */
#define NCC_SVG_DOT_NAME_CHARS 34

/* One row of a dot chart. */
typedef struct ncc_svg_dot {
    const char *code;       /* the label's first part, in bold (a trust's code) */
    const char *name;       /* after the code, cut; NULL or "" for none */
    ncc_money value;        /* where the dot is drawn */
    const char *value_text; /* the value as shown at the right, exactly as stored */
    const char *title;      /* the dot's text alternative */
} ncc_svg_dot;

/* A line across every row at value (the national unit cost, the median). */
typedef struct ncc_svg_ref {
    const char *cls;
    ncc_money value;
    const char *title; /* NULL: none */
} ncc_svg_ref;

typedef struct ncc_svg_dot_chart {
    const char *id, *cls, *title, *desc; /* as ncc_html_svg_open (cls may be NULL) */
    const char *label_head;              /* header over the labels ("Trust") */
    const char *value_head;              /* header over the values ("Unit cost (£)") */
    const char *axis_title;              /* under the axis ("unit cost, pounds") */
    ncc_svg_scale scale;                 /* ncc_svg_scale_around, say */
    const ncc_svg_dot *dots;             /* top to bottom */
    int ndots;
    /* a band behind the rows from band_lo to band_hi (band_lo <= band_hi); band_cls NULL: none */
    const char *band_cls, *band_title;
    ncc_money band_lo, band_hi;
    /* lines across the rows, drawn over the band in this order */
    const ncc_svg_ref *refs;
    int nrefs;
    /* stems (class "stem") from refs[stem_ref] to every dot not on it; -1: none */
    int stem_ref;
} ncc_svg_dot_chart;

/* Height in pixels of a dot chart of ndots rows. */
int ncc_svg_dot_chart_height(int ndots);
/* Write the chart, "<svg ...>" to "</svg>\n". */
void ncc_svg_dot_chart_write(FILE *out, const ncc_svg_dot_chart *c);

/* ---- bar chart ------------------------------------------------------------------------ */

/*
 * Layout: the value axis on the left, one slot of NCC_SVG_BAR_SLOT_PX pixels per bar, the
 * chart NCC_SVG_BAR_PLOT_PX pixels high between the axis labels and the slot labels, at least
 * NCC_SVG_BAR_MIN_WIDTH pixels wide.
 */
#define NCC_SVG_BAR_SLOT_PX 64
#define NCC_SVG_BAR_PLOT_PX 110
#define NCC_SVG_BAR_MIN_WIDTH 220

/* One segment of a stacked bar, drawn from the sum of the segments below it (value >= 0). */
typedef struct ncc_svg_segment {
    const char *cls; /* "bar"; one class per kind of segment in a stacked chart */
    ncc_money value;
    const char *title; /* NULL: none */
} ncc_svg_segment;

/* One slot of a bar chart. */
typedef struct ncc_svg_bar {
    const char *label;           /* under the slot (a financial year) */
    const char *sublabel;        /* a second line under it ("3 trusts", "none"); NULL: none */
    const ncc_svg_segment *segs; /* bottom to top; nsegs 0: no bar in this slot */
    int nsegs;
    const char *value_text; /* above the bar (its total as stored); NULL: none */
} ncc_svg_bar;

typedef struct ncc_svg_bar_chart {
    const char *id, *cls, *title, *desc; /* as ncc_html_svg_open (cls may be NULL) */
    const char *axis_title;              /* over the value axis ("units") */
    ncc_svg_scale scale;                 /* ncc_svg_scale_from_zero over the largest total */
    const ncc_svg_bar *bars;             /* left to right */
    int nbars;
} ncc_svg_bar_chart;

/* Width and height in pixels of a bar chart of nbars slots. */
int ncc_svg_bar_chart_width(int nbars);
int ncc_svg_bar_chart_height(void);
/* Write the chart, "<svg ...>" to "</svg>\n". */
void ncc_svg_bar_chart_write(FILE *out, const ncc_svg_bar_chart *c);

#endif
