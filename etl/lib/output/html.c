/* html.c - HTML escaping and the exact arithmetic of inline SVG charts (html.h). */
#include "output/html.h"

#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/*
 * Length of the well-formed UTF-8 sequence at s[0..len), or 0 when it is not one
 * (overlong forms, surrogates and values above U+10FFFF are not well-formed).
 */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

/* Escape up to max_chars characters of s[0..len); returns the bytes consumed. */
static size_t escape_chars(FILE *out, const char *str, size_t len, size_t max_chars, int wbr)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, chars = 0;
    while (i < len && chars < max_chars) {
        unsigned char c = s[i];
        size_t n = utf8_seq(s + i, len - i);
        chars++;
        if (n == 0) {
            fputs(REPLACEMENT, out);
            i++;
            continue;
        }
        if (n > 1) {
            fwrite(s + i, 1, n, out);
            i += n;
            continue;
        }
        i++;
        switch (c) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        case '_':
        case '/':
            fputc((int)c, out);
            if (wbr)
                fputs("<wbr>", out);
            break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F)
                fputs(REPLACEMENT, out);
            else
                fputc(c, out);
        }
    }
    return i;
}

void ncc_html_escape_n(FILE *out, const char *s, size_t len)
{
    if (s)
        escape_chars(out, s, len, (size_t)-1, 0);
}

void ncc_html_escape(FILE *out, const char *s)
{
    if (s)
        escape_chars(out, s, strlen(s), (size_t)-1, 0);
}

void ncc_html_escape_wbr(FILE *out, const char *s)
{
    if (s)
        escape_chars(out, s, strlen(s), (size_t)-1, 1);
}

/* Characters (code points, an ill-formed byte counting as one) in s[0..len). */
static size_t count_chars(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, chars = 0;
    while (i < len) {
        size_t n = utf8_seq(s + i, len - i);
        i += n ? n : 1;
        chars++;
    }
    return chars;
}

int ncc_html_escape_trunc(FILE *out, const char *s, size_t max_chars)
{
    if (!s)
        return 0;
    size_t len = strlen(s);
    if (count_chars(s, len) <= max_chars) {
        escape_chars(out, s, len, (size_t)-1, 0);
        return 0;
    }
    if (max_chars == 0)
        return 1;
    /* cut, then drop trailing spaces before the ellipsis */
    size_t used = 0, i = 0, keep = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (i < len && used < max_chars - 1) {
        size_t n = utf8_seq(u + i, len - i);
        i += n ? n : 1;
        used++;
        if (u[i - 1] != ' ')
            keep = i;
    }
    escape_chars(out, s, keep, (size_t)-1, 0);
    fputs("\xE2\x80\xA6", out); /* U+2026 */
    return 1;
}

long long ncc_html_scale(ncc_money v, ncc_money lo, ncc_money hi, long long span_px)
{
    if (hi <= lo || span_px <= 0)
        return 0;
    if (v <= lo)
        return 0;
    if (v >= hi)
        return span_px * 10;
    ncc_money den = hi - lo;
    ncc_money num = (v - lo) * (ncc_money)span_px * 10;
    /* round half up: v - lo and den are positive */
    return (long long)((num * 2 + den) / (den * 2));
}

void ncc_html_coord(FILE *out, long long tenths)
{
    if (tenths < 0) {
        fputc('-', out);
        tenths = -tenths;
    }
    if (tenths % 10)
        fprintf(out, "%lld.%lld", tenths / 10, tenths % 10);
    else
        fprintf(out, "%lld", tenths / 10);
}

/* Floor and ceiling of a / b for b > 0. */
static ncc_money floor_div(ncc_money a, ncc_money b)
{
    ncc_money q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static ncc_money ceil_div(ncc_money a, ncc_money b)
{
    ncc_money q = a / b;
    return (a % b != 0 && a > 0) ? q + 1 : q;
}

void ncc_html_axis(ncc_money min, ncc_money max, int max_ticks, int include_zero, ncc_money *lo,
                   ncc_money *hi, ncc_money *step)
{
    if (max_ticks < 1)
        max_ticks = 1;
    if (max < min) {
        ncc_money t = max;
        max = min;
        min = t;
    }
    if (include_zero || min == max) {
        if (min > 0)
            min = 0;
        if (max < 0)
            max = 0;
    }
    if (min == 0 && max == 0) {
        *lo = 0;
        *hi = NCC_MONEY_SCALE;
        *step = NCC_MONEY_SCALE;
        return;
    }
    static const int mult[3] = {1, 2, 5};
    ncc_money pow = 1;
    for (;;) {
        for (int i = 0; i < 3; i++) {
            ncc_money s = pow * mult[i];
            ncc_money a = floor_div(min, s), b = ceil_div(max, s);
            if (b - a <= max_ticks) {
                *lo = a * s;
                *hi = b * s;
                *step = s;
                return;
            }
        }
        pow *= 10; /* ends: at most 38 digits, and 10^k >= the span once k is large enough */
    }
}

size_t ncc_html_money_label(ncc_money v, char *buf, size_t cap)
{
    char plain[NCC_MONEY_BUFSIZE];
    size_t n = ncc_money_format_plain(v, plain, sizeof plain);
    const char *p = plain;
    size_t o = 0;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 < cap)                                                                           \
            buf[o] = (ch);                                                                         \
        o++;                                                                                       \
    } while (0)
    if (*p == '-') {
        PUT('-');
        p++;
        n--;
    }
    size_t int_digits = 0;
    while (int_digits < n && p[int_digits] != '.')
        int_digits++;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i < int_digits && (int_digits - i) % 3 == 0)
            PUT(',');
        PUT(p[i]);
    }
#undef PUT
    if (cap > 0)
        buf[o < cap ? o : cap - 1] = '\0';
    return o;
}

void ncc_html_fin_year_label(const char *fin_year, char out[16])
{
    size_t len = fin_year ? strlen(fin_year) : 0;
    int digits = len == 6;
    for (size_t i = 0; digits && i < 6; i++)
        digits = fin_year[i] >= '0' && fin_year[i] <= '9';
    if (digits) {
        memcpy(out, fin_year, 4);
        out[4] = '/';
        memcpy(out + 5, fin_year + 4, 2);
        out[7] = '\0';
    } else {
        size_t n = len < 15 ? len : 15;
        if (n)
            memcpy(out, fin_year, n);
        out[n] = '\0';
    }
}

void ncc_html_svg_open(FILE *out, const char *id, const char *cls, int width, int height,
                       const char *title, const char *desc)
{
    /* inline SVG in HTML needs no namespace declaration (and the page names no URL) */
    fputs("<svg", out);
    if (cls) {
        fputs(" class=\"", out);
        ncc_html_escape(out, cls);
        fputc('"', out);
    }
    fprintf(out, " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"", width, height,
            width, height);
    fputs(" aria-labelledby=\"", out);
    ncc_html_escape(out, id);
    fputs("-t ", out);
    ncc_html_escape(out, id);
    fputs("-d\"><title id=\"", out);
    ncc_html_escape(out, id);
    fputs("-t\">", out);
    ncc_html_escape(out, title);
    fputs("</title><desc id=\"", out);
    ncc_html_escape(out, id);
    fputs("-d\">", out);
    ncc_html_escape(out, desc);
    fputs("</desc>", out);
}
