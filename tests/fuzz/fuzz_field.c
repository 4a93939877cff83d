/*
 * fuzz_field.c - libFuzzer target for the single-value validators of
 * etl/lib/rules/field.c: money, integer, date, period, financial year, ODS, GTIN,
 * NHS number, OPCS-4, boolean, character classes; the money formatting
 * round trip; and ncc_quote_value (rules/issues.c), which puts values into
 * messages and must never echo an NHS number.
 *
 * Every validator sees the whole input as (pointer, length) in a buffer of
 * exactly that size (no NUL after it: over-reads are ASan errors), and is
 * compared with a reference model written here from the contract text of
 * field.h: acceptance and the parsed value must agree. Run with a small
 * -max_len (64).
 */
#include "fuzz_common.h"

#include <stdbool.h>

#include "rules/field.h"
#include "rules/validate.h"

#define MONEY_LIMIT ((ncc_money)100000000000LL * (ncc_money)100000000000LL) /* 10^22 */

FUZZ_NOCOV static bool dig(uint8_t c)
{
    return c >= '0' && c <= '9';
}

FUZZ_NOCOV static bool all_digits(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!dig(s[i]))
            return false;
    return true;
}

FUZZ_NOCOV static unsigned num(const uint8_t *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* ---- money ----
 * [-] digits [. digits], a '.' needs a digit on one side, at most 18
 * integer digits (leading zeros do not count, as the implementation
 * chose), more than 4 decimals rounded half away from zero, and the
 * rounded magnitude below 10^22. */
FUZZ_NOCOV static int ref_money(const uint8_t *s, size_t n, ncc_money *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && s[0] == '-') {
        neg = true;
        i = 1;
    }
    size_t ib = i;
    while (i < n && dig(s[i]))
        i++;
    size_t ie = i, fb = i, fe = i;
    if (i < n) {
        if (s[i] != '.')
            return NCC_PARSE_BAD;
        fb = ++i;
        while (i < n && dig(s[i]))
            i++;
        fe = i;
        if (i != n)
            return NCC_PARSE_BAD;
    }
    if (ie == ib && fe == fb)
        return NCC_PARSE_BAD;
    size_t z = ib;
    while (z < ie && s[z] == '0')
        z++;
    if (ie - z > 18)
        return NCC_PARSE_BAD;
    ncc_money v = 0;
    for (size_t k = z; k < ie; k++)
        v = v * 10 + (s[k] - '0');
    for (size_t k = 0; k < 4; k++)
        v = v * 10 + (fb + k < fe ? s[fb + k] - '0' : 0);
    bool rounded = fe - fb > 4;
    if (rounded && s[fb + 4] >= '5')
        v += 1;
    if (v >= MONEY_LIMIT)
        return NCC_PARSE_BAD;
    *out = neg ? -v : v;
    return rounded ? NCC_PARSE_ROUNDED : NCC_PARSE_OK;
}

/* ---- integer: [-] digits, at most 18 significant ---- */
FUZZ_NOCOV static int ref_int(const uint8_t *s, size_t n, int64_t *out)
{
    size_t i = n && s[0] == '-' ? 1 : 0;
    if (i == n || !all_digits(s + i, n - i))
        return NCC_PARSE_BAD;
    size_t z = i;
    while (z < n && s[z] == '0')
        z++;
    if (n - z > 18)
        return NCC_PARSE_BAD;
    int64_t v = 0;
    for (size_t k = z; k < n; k++)
        v = v * 10 + (s[k] - '0');
    *out = i ? -v : v;
    return NCC_PARSE_OK;
}

/* ---- dates ---- */
FUZZ_NOCOV static bool ref_valid_date(unsigned y, unsigned m, unsigned d)
{
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    unsigned dim = 31;
    if (m == 4 || m == 6 || m == 9 || m == 11)
        dim = 30;
    if (m == 2)
        dim = (y % 400 == 0 || (y % 4 == 0 && y % 100 != 0)) ? 29 : 28;
    return d <= dim;
}

FUZZ_NOCOV static int ref_date(const uint8_t *s, size_t n, int *y, int *m, int *d)
{
    unsigned yy, mm, dd;
    if (n == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) && all_digits(s + 5, 2) &&
        all_digits(s + 8, 2)) {
        yy = num(s, 4);
        mm = num(s + 5, 2);
        dd = num(s + 8, 2);
    } else {
        /* d{1,2} / m{1,2} / yyyy */
        size_t i = 0, a = 0;
        while (i < n && dig(s[i]) && a < 3)
            i++, a++;
        if (a < 1 || a > 2 || i >= n || s[i] != '/')
            return NCC_PARSE_BAD;
        dd = num(s, a);
        size_t mb = ++i;
        a = 0;
        while (i < n && dig(s[i]) && a < 3)
            i++, a++;
        if (a < 1 || a > 2 || i >= n || s[i] != '/')
            return NCC_PARSE_BAD;
        mm = num(s + mb, a);
        i++;
        if (n - i != 4 || !all_digits(s + i, 4))
            return NCC_PARSE_BAD;
        yy = num(s + i, 4);
    }
    if (!ref_valid_date(yy, mm, dd))
        return NCC_PARSE_BAD;
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
    return NCC_PARSE_OK;
}

/* ---- NHS number: 10 digits, or 3-3-4 with one repeated separator ---- */
FUZZ_NOCOV static bool ref_nhs_digits(const uint8_t *s, size_t n, unsigned d[10])
{
    if (n == 10 && all_digits(s, 10)) {
        for (int i = 0; i < 10; i++)
            d[i] = s[i] - '0';
        return true;
    }
    if (n == 12 && (s[3] == ' ' || s[3] == '-') && s[7] == s[3] && all_digits(s, 3) &&
        all_digits(s + 4, 3) && all_digits(s + 8, 4)) {
        int k = 0;
        for (int i = 0; i < 12; i++)
            if (i != 3 && i != 7)
                d[k++] = s[i] - '0';
        return true;
    }
    return false;
}

FUZZ_NOCOV static bool ref_nhs(const uint8_t *s, size_t n)
{
    unsigned d[10];
    if (!ref_nhs_digits(s, n, d))
        return false;
    unsigned sum = 0;
    for (int i = 0; i < 9; i++)
        sum += d[i] * (unsigned)(10 - i);
    unsigned r = 11 - sum % 11;
    if (r == 11)
        r = 0;
    return r != 10 && r == d[9];
}

/* Any NHS-number-like run not glued to other digits. */
FUZZ_NOCOV static bool ref_contains_nhs(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && dig(s[i - 1]))
            continue;
        for (size_t len = 10; len <= 12; len += 2) {
            if (i + len > n)
                break;
            if ((i + len == n || !dig(s[i + len])) && ref_nhs(s + i, len))
                return true;
        }
    }
    return false;
}

/* ---- GTIN: 8/12/13/14 digits, GS1 mod-10 check digit ---- */
FUZZ_NOCOV static int ref_gtin(const uint8_t *s, size_t n)
{
    if ((n != 8 && n != 12 && n != 13 && n != 14) || !all_digits(s, n))
        return NCC_GTIN_FORMAT;
    unsigned sum = 0;
    for (size_t k = 1; k < n; k++) /* k-th digit left of the check digit */
        sum += (unsigned)(s[n - 1 - k] - '0') * (k % 2 ? 3u : 1u);
    unsigned check = (10 - sum % 10) % 10;
    return check == (unsigned)(s[n - 1] - '0') ? NCC_GTIN_OK : NCC_GTIN_CHECK_DIGIT;
}

/* ---- OPCS-4: letter, 2 digits, optionally '.', then 0-2 digits ---- */
FUZZ_NOCOV static bool ref_opcs(const uint8_t *s, size_t n, char out[8], size_t *outlen)
{
    if (n < 3 || !(s[0] >= 'A' && s[0] <= 'Z') || !dig(s[1]) || !dig(s[2]))
        return false;
    size_t i = 3;
    if (n > 3 && s[3] == '.') {
        i = 4;
        if (n == 4)
            return false;
    }
    if (n - i > 2 || !all_digits(s + i, n - i))
        return false;
    out[0] = (char)s[0];
    out[1] = (char)s[1];
    out[2] = (char)s[2];
    memcpy(out + 3, s + i, n - i);
    *outlen = 3 + n - i;
    return true;
}

/* Strict UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
FUZZ_NOCOV static bool utf8_ok(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i], lo = 0x80, hi = 0xBF;
        size_t need;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            need = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (n - i < need)
            return false;
        for (size_t k = 1; k < need; k++, lo = 0x80, hi = 0xBF)
            if (p[i + k] < lo || p[i + k] > hi)
                return false;
        i += need;
    }
    return true;
}

FUZZ_NOCOV static bool ref_charset(ncc_charset cs, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        bool alnum = dig(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        switch (cs) {
        case NCC_CHARSET_ANY:
            break;
        case NCC_CHARSET_PRINTABLE:
            if (c < 0x20 || c == 0x7f)
                return false;
            break;
        case NCC_CHARSET_ALNUM:
            if (!alnum)
                return false;
            break;
        case NCC_CHARSET_ALNUM_UNDERSCORE:
            if (!alnum && c != '_')
                return false;
            break;
        case NCC_CHARSET_DIGIT:
            if (!dig(c))
                return false;
            break;
        }
    }
    return true;
}

static void check_money_text(const char *t, size_t n, ncc_money v)
{
    /* -?[0-9]+\.[0-9]{4}, and parsing it gives v back exactly */
    FUZZ_EXPECT("money-format", n >= 6 && n < NCC_MONEY_BUFSIZE && t[n] == '\0',
                "money text \"%s\" malformed", t);
    size_t i = t[0] == '-' ? 1 : 0;
    FUZZ_EXPECT("money-format", i == (v < 0 ? 1u : 0u), "sign of \"%s\" is wrong", t);
    FUZZ_EXPECT("money-format",
                t[n - 5] == '.' && all_digits((const uint8_t *)t + i, n - 5 - i) &&
                    all_digits((const uint8_t *)t + n - 4, 4),
                "money text \"%s\" malformed", t);
    FUZZ_EXPECT("money-format", n - 5 - i == 1 || t[i] != '0',
                "money text \"%s\" has a leading zero", t);
}

static void money_round_trip(ncc_money v)
{
    char t[NCC_MONEY_BUFSIZE];
    memset(t, 'x', sizeof t);
    size_t n = ncc_money_format(v, t, sizeof t);
    FUZZ_EXPECT("money-format", n > 0, "money_format wrote nothing");
    check_money_text(t, n, v);
    ncc_money back = 0;
    ncc_parse_result r = ncc_money_parse(t, n, &back);
    unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    if (mag < (unsigned __int128)MONEY_LIMIT) {
        FUZZ_EXPECT("money-format", r == NCC_PARSE_OK,
                    "\"%s\" from money_format does not parse back (%d)", t, (int)r);
        FUZZ_EXPECT("money-format", back == v, "\"%s\" parses to a different value", t);
    } else {
        FUZZ_EXPECT("money-format", r == NCC_PARSE_BAD, "\"%s\" (19+ integer digits) accepted", t);
    }
    /* a buffer one byte short is refused, not overrun */
    char small[NCC_MONEY_BUFSIZE];
    FUZZ_EXPECT("money-format", ncc_money_format(v, small, n) == 0 && small[0] == '\0',
                "money_format into %zu bytes did not refuse", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: the validators must not read past len */
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    const uint8_t *u = (const uint8_t *)s;

    /* money */
    {
        ncc_money m = 0, rm = 0;
        ncc_parse_result r = ncc_money_parse(s, size, &m);
        int want = ref_money(u, size, &rm);
        FUZZ_EXPECT("money-parse", (int)r == want,
                    "money_parse %d, model %d (input %zu bytes \"%.*s\")", (int)r, want, size,
                    (int)size, s);
        if (r != NCC_PARSE_BAD) {
            FUZZ_EXPECT("money-parse", m == rm,
                        "money_parse value differs from the model for \"%.*s\"", (int)size, s);
            money_round_trip(m);
        }
    }
    /* any 128-bit value formats and (when in range) parses back */
    if (size >= 16) {
        ncc_money v;
        memcpy(&v, data, sizeof v);
        money_round_trip(v);
        money_round_trip(v % MONEY_LIMIT);
    }
    /* integer */
    {
        int64_t v = 0, rv = 0;
        ncc_parse_result r = ncc_int_parse(s, size, &v);
        int want = ref_int(u, size, &rv);
        FUZZ_EXPECT("int-parse", (int)r == want, "int_parse %d, model %d for \"%.*s\"", (int)r,
                    want, (int)size, s);
        if (r == NCC_PARSE_OK)
            FUZZ_EXPECT("int-parse", v == rv, "int_parse value differs for \"%.*s\"", (int)size, s);
    }
    /* date */
    {
        int y = 0, m = 0, d = 0, ry = 0, rm = 0, rd = 0;
        ncc_parse_result r = ncc_date_parse(s, size, &y, &m, &d);
        int want = ref_date(u, size, &ry, &rm, &rd);
        FUZZ_EXPECT("date-parse", (int)r == want, "date_parse %d, model %d for \"%.*s\"", (int)r,
                    want, (int)size, s);
        if (r == NCC_PARSE_OK) {
            FUZZ_EXPECT("date-parse", y == ry && m == rm && d == rd,
                        "date_parse gives %d-%d-%d for \"%.*s\"", y, m, d, (int)size, s);
            int fy = ncc_fin_year_of(y, m);
            FUZZ_EXPECT("fin-year-of", fy == (m <= 3 ? y - 1 : y), "fin_year_of(%d, %d) = %d", y, m,
                        fy);
        }
    }
    /* period */
    {
        int y = 0, m = 0;
        ncc_parse_result r = ncc_period_parse(s, size, &y, &m);
        bool want = size == 7 && s[4] == '-' && all_digits(u, 4) && all_digits(u + 5, 2) &&
                    num(u, 4) >= 1 && num(u + 5, 2) >= 1 && num(u + 5, 2) <= 12;
        FUZZ_EXPECT("period-parse", (r == NCC_PARSE_OK) == want, "period_parse %d for \"%.*s\"",
                    (int)r, (int)size, s);
        if (want)
            FUZZ_EXPECT("period-parse", y == (int)num(u, 4) && m == (int)num(u + 5, 2),
                        "period value wrong");
    }
    /* financial year, and its formatting round trip */
    {
        int y = 0;
        ncc_parse_result r = ncc_fin_year_parse(s, size, &y);
        bool want = size == 6 && all_digits(u, 6) && num(u, 4) >= 2015 && num(u, 4) <= 2040 &&
                    num(u + 4, 2) == (num(u, 4) + 1) % 100;
        FUZZ_EXPECT("fin-year", (r == NCC_PARSE_OK) == want, "fin_year_parse %d for \"%.*s\"",
                    (int)r, (int)size, s);
        if (want) {
            char out[7];
            FUZZ_EXPECT("fin-year", y == (int)num(u, 4), "fin year start %d", y);
            ncc_fin_year_format(y, out);
            FUZZ_EXPECT("fin-year", memcmp(out, s, 6) == 0 && out[6] == '\0',
                        "fin_year_format(%d) = %s", y, out);
        }
    }
    if (size >= 4) {
        int32_t y;
        memcpy(&y, data, sizeof y);
        char out[7];
        ncc_fin_year_format(y, out); /* any int: six digits, no overrun */
        FUZZ_EXPECT("fin-year", strlen(out) == 6 && all_digits((const uint8_t *)out, 6),
                    "fin_year_format(%d) = \"%s\"", (int)y, out);
        /* the years a parsed date or period can have: 1..9999 */
        int year = (int)((uint32_t)y % 9999u) + 1, month = size >= 5 ? data[4] % 12 + 1 : 1;
        int fy = ncc_fin_year_of(year, month);
        FUZZ_EXPECT("fin-year-of", fy == (month <= 3 ? year - 1 : year), "fin_year_of(%d, %d) = %d",
                    year, month, fy);
    }
    /* ODS */
    {
        bool want = size >= 3 && size <= 5;
        for (size_t i = 0; i < size && want; i++)
            want = dig(u[i]) || (u[i] >= 'A' && u[i] <= 'Z');
        FUZZ_EXPECT("ods", ncc_ods_valid(s, size) == want, "ods_valid wrong for \"%.*s\"",
                    (int)size, s);
    }
    /* GTIN */
    {
        int g = ncc_gtin_check(s, size), want = ref_gtin(u, size);
        FUZZ_EXPECT("gtin", g == want, "gtin_check %d, model %d for \"%.*s\"", g, want, (int)size,
                    s);
    }
    /* NHS numbers */
    {
        bool like = ncc_nhs_number_like(s, size), want = ref_nhs(u, size);
        FUZZ_EXPECT("nhs-number", like == want, "nhs_number_like %d, model %d for \"%.*s\"",
                    (int)like, (int)want, (int)size, s);
        bool has = ncc_contains_nhs_number(s, size), rhas = ref_contains_nhs(u, size);
        FUZZ_EXPECT("nhs-number", has == rhas, "contains_nhs_number %d, model %d for \"%.*s\"",
                    (int)has, (int)rhas, (int)size, s);
        FUZZ_EXPECT("nhs-number", !like || has, "an NHS number not found in itself");
    }
    /* a value quoted in a message never shows an NHS number, and stays UTF-8 */
    {
        bool in_utf8 = utf8_ok(u, size);
        static const size_t caps[] = {0, 1, 7, 8, 9, 12, 20, 48, 96, 200};
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            char q[200];
            memset(q, 'x', sizeof q);
            ncc_quote_value(s, size, q, caps[k]);
            if (caps[k] == 0)
                continue;
            size_t qn = strnlen(q, caps[k]);
            FUZZ_EXPECT("quote-overrun", qn < caps[k], "quote_value overran %zu bytes", caps[k]);
            FUZZ_EXPECT("quote-nhs", !ncc_contains_nhs_number(q, qn),
                        "quote_value shows an NHS number: %s (cap %zu)", q, caps[k]);
            FUZZ_EXPECT("quote-utf8", !in_utf8 || utf8_ok((const uint8_t *)q, qn),
                        "quote_value cuts a UTF-8 character: %s (cap %zu)", q, caps[k]);
            /* values reach messages decoded to UTF-8: control characters become '?' */
            for (size_t i = 0; in_utf8 && i < qn; i++)
                FUZZ_EXPECT("quote-control", (unsigned char)q[i] >= 0x20 && q[i] != 0x7f,
                            "quote_value leaves control byte 0x%02x", (unsigned char)q[i]);
        }
    }
    /* OPCS-4 */
    {
        char out[8], rout[8];
        size_t n = 99, rn = 0;
        memset(out, 'x', sizeof out);
        bool ok = ncc_opcs_normalise(s, size, out, &n);
        bool want = ref_opcs(u, size, rout, &rn);
        FUZZ_EXPECT("opcs", ok == want, "opcs_normalise %d, model %d for \"%.*s\"", (int)ok,
                    (int)want, (int)size, s);
        if (ok) {
            FUZZ_EXPECT("opcs", n == rn && memcmp(out, rout, n) == 0 && out[n] == '\0',
                        "opcs_normalise gives \"%.*s\" for \"%.*s\"", (int)n, out, (int)size, s);
            FUZZ_EXPECT("opcs", n <= size, "the dotless OPCS form is longer than the input");
        }
    }
    /* booleans */
    {
        bool b = false;
        ncc_parse_result r = ncc_bool_parse(s, size, &b);
        static const char *const yes[] = {"Y", "1", "YES", "TRUE"};
        static const char *const no[] = {"N", "0", "NO", "FALSE"};
        int want = -1;
        for (int i = 0; i < 4; i++) {
            if (strlen(yes[i]) == size && memcmp(yes[i], s, size) == 0)
                want = 1;
            if (strlen(no[i]) == size && memcmp(no[i], s, size) == 0)
                want = 0;
        }
        FUZZ_EXPECT("bool", (r == NCC_PARSE_OK) == (want >= 0), "bool_parse %d for \"%.*s\"",
                    (int)r, (int)size, s);
        if (want >= 0)
            FUZZ_EXPECT("bool", b == (want == 1), "bool_parse value wrong for \"%.*s\"", (int)size,
                        s);
    }
    /* character classes and UTF-8 length */
    for (int cs = NCC_CHARSET_ANY; cs <= NCC_CHARSET_DIGIT; cs++)
        FUZZ_EXPECT("charset",
                    ncc_charset_valid((ncc_charset)cs, s, size) == ref_charset(cs, u, size),
                    "charset %d wrong for \"%.*s\"", cs, (int)size, s);
    {
        size_t chars = 0;
        for (size_t i = 0; i < size; i++)
            chars += (u[i] & 0xC0) != 0x80;
        FUZZ_EXPECT("utf8-length", ncc_utf8_length(s, size) == chars, "utf8_length wrong");
    }
    free(s);
    return 0;
}
