/*
 * html.h - writing self-contained HTML: escaping text that comes from the database, and the
 * exact arithmetic behind inline SVG charts (ncc-report).
 *
 * Escaping: every byte string is written as UTF-8 text safe both between tags and inside a
 * double- or single-quoted attribute value: & < > " ' become character references; C0 control
 * characters other than TAB, LF and CR, DEL, and bytes that are not well-formed UTF-8 become
 * U+FFFD. Nothing here allocates or uses floating point or the locale.
 *
 * Chart arithmetic works on ncc_money (integers scaled by 10^4, field.h), so a value drawn is
 * the exact NUMERIC text parsed, never a double. Coordinates are integers in tenths of a pixel.
 *
 * Write errors are left in the stream's error indicator (ferror), for the caller to check once.
 */
#ifndef NCC_HTML_H
#define NCC_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "rules/field.h"

/* Write s (NUL-terminated; NULL writes nothing) escaped. */
void ncc_html_escape(FILE *out, const char *s);
/* Write the first len bytes of s escaped. */
void ncc_html_escape_n(FILE *out, const char *s, size_t len);
/*
 * Write s escaped, cut to at most max_chars characters (code points): a longer text is cut
 * to max_chars - 1 characters followed by U+2026 (…). Returns 1 when s was cut, else 0.
 */
int ncc_html_escape_trunc(FILE *out, const char *s, size_t max_chars);
/*
 * Write s escaped with a <wbr> (a line-break opportunity) after every '_' and '/': long codes
 * such as COST_EXCEEDS_PURCHASES and file paths wrap there rather than overflow.
 */
void ncc_html_escape_wbr(FILE *out, const char *s);

/*
 * Position of v on a linear scale mapping [lo, hi] onto [0, span_px] pixels, in tenths of a
 * pixel, rounded half up; v outside [lo, hi] is clamped. lo >= hi gives 0.
 */
long long ncc_html_scale(ncc_money v, ncc_money lo, ncc_money hi, long long span_px);
/* Write a coordinate in tenths of a pixel as SVG number text: 1234 -> "123.4", 50 -> "5". */
void ncc_html_coord(FILE *out, long long tenths);

/*
 * A readable axis for values from min to max (min <= max): the smallest step of 1, 2 or 5
 * times a power of ten (at least 0.0001) that covers the domain in at most max_ticks steps,
 * and the domain [*lo, *hi] rounded out to multiples of the step. With include_zero the
 * domain is widened to include 0 (bars start at 0); without it, a domain of one value is
 * widened to include 0 as well. A domain that would be empty (all zero) gives [0, 1].
 * max_ticks < 1 is taken as 1.
 */
void ncc_html_axis(ncc_money min, ncc_money max, int max_ticks, int include_zero, ncc_money *lo,
                   ncc_money *hi, ncc_money *step);

/*
 * A value as an axis label: thousands separated by ',' and trailing zero decimals dropped
 * ("1,234.5", "-2,000", "0.0005"). Returns the length written (buf always NUL-terminated
 * when cap > 0); cap of NCC_MONEY_BUFSIZE + 16 is always enough.
 */
size_t ncc_html_money_label(ncc_money v, char *buf, size_t cap);

/* Financial year "202324" as "2023/24" (any other text is copied as it is). */
void ncc_html_fin_year_label(const char *fin_year, char out[16]);

/*
 * Open an inline <svg> of width x height pixels with role="img", labelled by a <title> and
 * described by a <desc> (both escaped); id must be unique in the page and is used for the
 * title and desc ids (id-t, id-d). cls may be NULL. Close with "</svg>".
 */
void ncc_html_svg_open(FILE *out, const char *id, const char *cls, int width, int height,
                       const char *title, const char *desc);

#endif
