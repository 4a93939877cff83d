/*
 * test_field.c - Criterion unit tests for etl/lib/rules/field.c, the single-value
 * validators of DATA-CONTRACT section 2 (money, integers, dates, periods,
 * financial years, ODS, GTIN, NHS numbers, OPCS-4, booleans, charsets).
 * Includes deterministic generated round-trip properties for money.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules/field.h"

/* ---- helpers ------------------------------------------------------------- */

#define S(lit) (lit), (sizeof(lit) - 1)

/* 10^n as ncc_money, n <= 38. */
static ncc_money pow10_money(int n)
{
    ncc_money v = 1;
    for (int i = 0; i < n; i++)
        v *= 10;
    return v;
}

static ncc_parse_result money(const char *s, ncc_money *out)
{
    return ncc_money_parse(s, strlen(s), out);
}

static ncc_parse_result money_bad(const char *s)
{
    ncc_money v = 12345;
    ncc_parse_result r = ncc_money_parse(s, strlen(s), &v);
    cr_expect_eq((long long)v, 12345, "output written on failure for \"%s\"", s);
    return r;
}

/* Formats v into a static buffer. */
static const char *fmt(ncc_money v)
{
    static char buf[NCC_MONEY_BUFSIZE];
    size_t n = ncc_money_format(v, buf, sizeof buf);
    cr_assert_eq(n, strlen(buf));
    return buf;
}

static void expect_money(const char *in, ncc_parse_result want_rc, const char *want_text)
{
    ncc_money v = 0;
    ncc_parse_result rc = money(in, &v);
    cr_expect_eq(rc, want_rc, "parse \"%s\": rc %d, want %d", in, rc, want_rc);
    cr_expect_str_eq(fmt(v), want_text, "parse \"%s\"", in);
}

static ncc_parse_result int_parse(const char *s, int64_t *out)
{
    return ncc_int_parse(s, strlen(s), out);
}

static ncc_parse_result date(const char *s, int *y, int *m, int *d)
{
    return ncc_date_parse(s, strlen(s), y, m, d);
}

static bool date_ok(const char *s)
{
    int y, m, d;
    return date(s, &y, &m, &d) == NCC_PARSE_OK;
}

static void expect_date(const char *s, int wy, int wm, int wd)
{
    int y = 0, m = 0, d = 0;
    cr_assert_eq(date(s, &y, &m, &d), NCC_PARSE_OK, "date \"%s\"", s);
    cr_expect_eq(y, wy, "year of \"%s\"", s);
    cr_expect_eq(m, wm, "month of \"%s\"", s);
    cr_expect_eq(d, wd, "day of \"%s\"", s);
}

static bool period_ok(const char *s)
{
    int y, m;
    return ncc_period_parse(s, strlen(s), &y, &m) == NCC_PARSE_OK;
}

static bool fy_ok(const char *s)
{
    int y;
    return ncc_fin_year_parse(s, strlen(s), &y) == NCC_PARSE_OK;
}

static bool ods(const char *s)
{
    return ncc_ods_valid(s, strlen(s));
}

static ncc_gtin_result gtin(const char *s)
{
    return ncc_gtin_check(s, strlen(s));
}

static bool nhs(const char *s)
{
    return ncc_nhs_number_like(s, strlen(s));
}

static bool has_nhs(const char *s)
{
    return ncc_contains_nhs_number(s, strlen(s));
}

static bool opcs(const char *s, char out[8])
{
    size_t n = 99;
    memset(out, 'x', 8);
    bool ok = ncc_opcs_normalise(s, strlen(s), out, &n);
    if (ok)
        cr_expect_eq(n, strlen(out), "opcs length of \"%s\"", s);
    return ok;
}

static void expect_opcs(const char *s, const char *want)
{
    char out[8];
    cr_assert(opcs(s, out), "opcs \"%s\" rejected", s);
    cr_expect_str_eq(out, want);
}

static void expect_opcs_bad(const char *s)
{
    char out[8];
    cr_expect_not(opcs(s, out), "opcs \"%s\" accepted", s);
}

static ncc_parse_result boolp(const char *s, bool *out)
{
    return ncc_bool_parse(s, strlen(s), out);
}

static bool cs(ncc_charset c, const char *s)
{
    return ncc_charset_valid(c, s, strlen(s));
}

/* splitmix64: deterministic generator for the property tests. */
static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Naive reference formatter (repeated division of the whole magnitude). */
static void ref_format(ncc_money v, char *out)
{
    char tmp[64];
    int n = 0;
    unsigned __int128 mag = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    for (int k = 0; k < 4; k++) {
        tmp[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    }
    tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag != 0);
    if (v < 0)
        tmp[n++] = '-';
    for (int k = 0; k < n; k++)
        out[k] = tmp[n - 1 - k];
    out[n] = '\0';
}

/* A random magnitude with up to `digits` decimal digits (log-uniform length). */
static ncc_money random_magnitude(int digits)
{
    int len = (int)(rng() % (uint64_t)digits) + 1;
    ncc_money v = 0;
    for (int i = 0; i < len; i++)
        v = v * 10 + (ncc_money)(rng() % 10);
    return v;
}

/* ---- money: accepted values ---------------------------------------------- */

Test(money_parse, plain_integer)
{
    expect_money("5", NCC_PARSE_OK, "5.0000");
}

Test(money_parse, zero)
{
    expect_money("0", NCC_PARSE_OK, "0.0000");
}

Test(money_parse, negative_zero_is_zero)
{
    ncc_money v = 7;
    cr_expect_eq(money("-0", &v), NCC_PARSE_OK);
    cr_expect(v == 0);
    cr_expect_str_eq(fmt(v), "0.0000");
}

Test(money_parse, negative_zero_with_decimals_is_zero)
{
    expect_money("-0.0000", NCC_PARSE_OK, "0.0000");
}

Test(money_parse, two_decimals)
{
    ncc_money v = 0;
    cr_expect_eq(money("1234.5", &v), NCC_PARSE_OK);
    cr_expect(v == 12345000);
    expect_money("1234.56", NCC_PARSE_OK, "1234.5600");
}

Test(money_parse, four_decimals_exact)
{
    ncc_money v = 0;
    cr_expect_eq(money("0.0001", &v), NCC_PARSE_OK);
    cr_expect(v == 1);
    expect_money("12.3456", NCC_PARSE_OK, "12.3456");
}

Test(money_parse, negative)
{
    ncc_money v = 0;
    cr_expect_eq(money("-1234.5", &v), NCC_PARSE_OK);
    cr_expect(v == -12345000);
    cr_expect_str_eq(fmt(v), "-1234.5000");
}

Test(money_parse, trailing_dot_accepted)
{
    expect_money("5.", NCC_PARSE_OK, "5.0000");
}

Test(money_parse, leading_dot_accepted)
{
    expect_money(".5", NCC_PARSE_OK, "0.5000");
    expect_money("-.5", NCC_PARSE_OK, "-0.5000");
}

Test(money_parse, leading_zeros_do_not_count)
{
    expect_money("000000000000000000001", NCC_PARSE_OK, "1.0000");
    expect_money("0000000000000000000000000000000000000000000000000000000000000.25", NCC_PARSE_OK,
                 "0.2500");
    expect_money("-00012.5", NCC_PARSE_OK, "-12.5000");
}

Test(money_parse, eighteen_integer_digits_ok)
{
    ncc_money v = 0;
    cr_expect_eq(money("999999999999999999", &v), NCC_PARSE_OK);
    cr_expect(v == (pow10_money(18) - 1) * NCC_MONEY_SCALE);
    expect_money("100000000000000000", NCC_PARSE_OK, "100000000000000000.0000");
}

Test(money_parse, eighteen_digits_after_leading_zeros_ok)
{
    expect_money("0999999999999999999", NCC_PARSE_OK, "999999999999999999.0000");
}

Test(money_parse, nineteen_integer_digits_bad)
{
    cr_expect_eq(money_bad("1000000000000000000"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("9999999999999999999"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("-1000000000000000000.5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("01000000000000000000"), NCC_PARSE_BAD);
}

Test(money_parse, max_value_round_trip)
{
    ncc_money v = 0;
    const char *max = "999999999999999999.9999";
    cr_assert_eq(money(max, &v), NCC_PARSE_OK);
    cr_expect(v == pow10_money(22) - 1);
    cr_expect_str_eq(fmt(v), max);
    ncc_money w = 0;
    cr_assert_eq(money(fmt(v), &w), NCC_PARSE_OK);
    cr_expect(v == w);
}

Test(money_parse, min_value_round_trip)
{
    ncc_money v = 0;
    const char *min = "-999999999999999999.9999";
    cr_assert_eq(money(min, &v), NCC_PARSE_OK);
    cr_expect(v == -(pow10_money(22) - 1));
    cr_expect_str_eq(fmt(v), min);
}

Test(money_parse, many_decimals_long_input)
{
    /* Decimal count is unbounded; only the 5th decides the rounding. */
    expect_money("1.00004999999999999999999999999999999999999999", NCC_PARSE_ROUNDED, "1.0000");
    expect_money("1.00005000000000000000000000000000000000000000", NCC_PARSE_ROUNDED, "1.0001");
}

/* ---- money: rounding ------------------------------------------------------ */

Test(money_round, half_up)
{
    expect_money("0.00005", NCC_PARSE_ROUNDED, "0.0001");
}

Test(money_round, negative_half_away_from_zero)
{
    expect_money("-0.00005", NCC_PARSE_ROUNDED, "-0.0001");
}

Test(money_round, below_half_down)
{
    expect_money("0.000049999", NCC_PARSE_ROUNDED, "0.0000");
}

Test(money_round, negative_below_half_to_zero_has_no_sign)
{
    ncc_money v = 5;
    cr_expect_eq(money("-0.00004", &v), NCC_PARSE_ROUNDED);
    cr_expect(v == 0);
    cr_expect_str_eq(fmt(v), "0.0000");
}

Test(money_round, carry_into_integer)
{
    expect_money("0.99995", NCC_PARSE_ROUNDED, "1.0000");
    expect_money("-0.99995", NCC_PARSE_ROUNDED, "-1.0000");
    expect_money("9.99999", NCC_PARSE_ROUNDED, "10.0000");
}

Test(money_round, negative_rounding)
{
    expect_money("-1.23456", NCC_PARSE_ROUNDED, "-1.2346");
    expect_money("-1.23454", NCC_PARSE_ROUNDED, "-1.2345");
    expect_money("-12.00009", NCC_PARSE_ROUNDED, "-12.0001");
}

Test(money_round, only_fifth_decimal_decides)
{
    expect_money("2.00004999", NCC_PARSE_ROUNDED, "2.0000");
    expect_money("2.00005000", NCC_PARSE_ROUNDED, "2.0001");
    expect_money("2.00014", NCC_PARSE_ROUNDED, "2.0001");
    expect_money("2.00019", NCC_PARSE_ROUNDED, "2.0002");
}

Test(money_round, five_zero_decimals_still_flagged)
{
    /* More than 4 decimals is reported even when the value is unchanged. */
    expect_money("3.00000", NCC_PARSE_ROUNDED, "3.0000");
}

Test(money_round, max_plus_rounding_overflows_bad)
{
    /* Rounding would make a 19-digit integer part. */
    cr_expect_eq(money_bad("999999999999999999.99995"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("-999999999999999999.99995"), NCC_PARSE_BAD);
    expect_money("999999999999999999.99994", NCC_PARSE_ROUNDED, "999999999999999999.9999");
}

/* ---- money: rejected ------------------------------------------------------- */

Test(money_reject, empty)
{
    cr_expect_eq(money_bad(""), NCC_PARSE_BAD);
    ncc_money v = 1;
    cr_expect_eq(ncc_money_parse(NULL, 0, &v), NCC_PARSE_BAD);
}

Test(money_reject, lone_minus)
{
    cr_expect_eq(money_bad("-"), NCC_PARSE_BAD);
}

Test(money_reject, lone_dot)
{
    cr_expect_eq(money_bad("."), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("-."), NCC_PARSE_BAD);
}

Test(money_reject, plus_sign)
{
    cr_expect_eq(money_bad("+5"), NCC_PARSE_BAD);
}

Test(money_reject, thousands_separator)
{
    cr_expect_eq(money_bad("1,000"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1,000.00"), NCC_PARSE_BAD);
}

Test(money_reject, currency_sign)
{
    cr_expect_eq(money_bad("£5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("$5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("5GBP"), NCC_PARSE_BAD);
}

Test(money_reject, exponent)
{
    cr_expect_eq(money_bad("1.2E+05"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1e5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1E5"), NCC_PARSE_BAD);
}

Test(money_reject, nan_inf)
{
    cr_expect_eq(money_bad("NaN"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("inf"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("-inf"), NCC_PARSE_BAD);
}

Test(money_reject, spaces)
{
    cr_expect_eq(money_bad(" 5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("5 "), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("- 5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1 000"), NCC_PARSE_BAD);
}

Test(money_reject, two_dots)
{
    cr_expect_eq(money_bad("1.2.3"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1..2"), NCC_PARSE_BAD);
}

Test(money_reject, double_minus_and_inner_minus)
{
    cr_expect_eq(money_bad("--5"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("5-"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1.-5"), NCC_PARSE_BAD);
}

Test(money_reject, text_and_bytes)
{
    cr_expect_eq(money_bad("abc"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("12a"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1.2x"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1/2"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("1:2"), NCC_PARSE_BAD);
    cr_expect_eq(money_bad("\xff"), NCC_PARSE_BAD);
}

Test(money_reject, embedded_nul_is_not_a_terminator)
{
    ncc_money v = 0;
    cr_expect_eq(ncc_money_parse("12\0" "3", 4, &v), NCC_PARSE_BAD);
}

Test(money_parse, uses_length_not_nul)
{
    ncc_money v = 0;
    cr_expect_eq(ncc_money_parse("12.34xyz", 5, &v), NCC_PARSE_OK);
    cr_expect(v == 123400);
}

/* ---- money: format ---------------------------------------------------------- */

Test(money_format, small_values)
{
    cr_expect_str_eq(fmt(0), "0.0000");
    cr_expect_str_eq(fmt(1), "0.0001");
    cr_expect_str_eq(fmt(-1), "-0.0001");
    cr_expect_str_eq(fmt(10000), "1.0000");
    cr_expect_str_eq(fmt(-12345000), "-1234.5000");
}

Test(money_format, returns_length)
{
    char buf[NCC_MONEY_BUFSIZE];
    cr_expect_eq(ncc_money_format(-12345000, buf, sizeof buf), 10);
    cr_expect_eq(ncc_money_format(0, buf, sizeof buf), 6);
}

Test(money_format, u64_boundary)
{
    char want[64];
    ncc_money edges[] = {(ncc_money)UINT64_MAX - 1, (ncc_money)UINT64_MAX, (ncc_money)UINT64_MAX + 1,
                         -(ncc_money)UINT64_MAX, -(ncc_money)UINT64_MAX - 1};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        ref_format(edges[i], want);
        cr_expect_str_eq(fmt(edges[i]), want);
    }
    cr_expect_str_eq(fmt((ncc_money)UINT64_MAX), "1844674407370955.1615");
}

Test(money_format, ten_to_the_thirty)
{
    ncc_money v = pow10_money(30);
    cr_expect_str_eq(fmt(v), "100000000000000000000000000.0000");
    cr_expect_str_eq(fmt(-v), "-100000000000000000000000000.0000");
    cr_expect_str_eq(fmt(v - 1), "99999999999999999999999999.9999");
}

Test(money_format, intermediate_integer_part_above_10_19)
{
    /* Integer part of 20+ digits exercises the split formatting path. */
    ncc_money v = pow10_money(19) * NCC_MONEY_SCALE + 7;
    cr_expect_str_eq(fmt(v), "10000000000000000000.0007");
    v = (pow10_money(19) * 123 + 45) * NCC_MONEY_SCALE + 6789;
    cr_expect_str_eq(fmt(v), "1230000000000000000045.6789");
}

Test(money_format, int128_extremes)
{
    ncc_money max = (ncc_money)(~(unsigned __int128)0 >> 1);
    ncc_money min = -max - 1;
    char want[64];
    ref_format(max, want);
    cr_expect_str_eq(fmt(max), want);
    cr_expect_str_eq(fmt(max), "17014118346046923173168730371588410.5727");
    ref_format(min, want);
    cr_expect_str_eq(fmt(min), want);
    cr_expect_str_eq(fmt(min), "-17014118346046923173168730371588410.5728");
    cr_expect_lt(strlen(fmt(min)) + 1, (size_t)NCC_MONEY_BUFSIZE);
}

Test(money_format, exact_fit_capacity)
{
    char buf[11];
    cr_expect_eq(ncc_money_format(-12345000, buf, sizeof buf), 10);
    cr_expect_str_eq(buf, "-1234.5000");
}

Test(money_format, too_small_capacity_writes_empty)
{
    char buf[10];
    memset(buf, 'x', sizeof buf);
    cr_expect_eq(ncc_money_format(-12345000, buf, sizeof buf), 0);
    cr_expect_eq(buf[0], '\0');
    cr_expect_eq(ncc_money_format(1, buf, 0), 0);
    cr_expect_eq(buf[1], 'x');
}

/* ---- money: properties ------------------------------------------------------ */

Test(money_property, format_parse_round_trip)
{
    rng_state = 20240401;
    for (int i = 0; i < 5000; i++) {
        ncc_money v = random_magnitude(22);
        if (rng() & 1)
            v = -v;
        const char *text = fmt(v);
        char want[64];
        ref_format(v, want);
        cr_assert_str_eq(text, want);
        ncc_money back = 0;
        cr_assert_eq(money(text, &back), NCC_PARSE_OK, "parse \"%s\"", text);
        cr_assert(back == v, "round trip of \"%s\"", text);
    }
}

Test(money_property, canonical_text_round_trip)
{
    rng_state = 42;
    for (int i = 0; i < 5000; i++) {
        char text[64];
        size_t n = 0;
        bool neg = rng() & 1;
        int int_len = (int)(rng() % 18) + 1;
        bool all_zero = true;
        if (neg)
            text[n++] = '-';
        for (int k = 0; k < int_len; k++) {
            char c = (char)('0' + rng() % 10);
            if (k == 0 && int_len > 1 && c == '0')
                c = '1';
            if (c != '0')
                all_zero = false;
            text[n++] = c;
        }
        text[n++] = '.';
        for (int k = 0; k < 4; k++) {
            char c = (char)('0' + rng() % 10);
            if (c != '0')
                all_zero = false;
            text[n++] = c;
        }
        text[n] = '\0';
        ncc_money v = 0;
        cr_assert_eq(money(text, &v), NCC_PARSE_OK, "parse \"%s\"", text);
        /* "-0.0000" formats without its sign. */
        cr_assert_str_eq(fmt(v), all_zero && neg ? text + 1 : text);
    }
}

Test(money_property, extra_decimals_round_half_away)
{
    rng_state = 7;
    for (int i = 0; i < 5000; i++) {
        ncc_money v = random_magnitude(21); /* keep room for the carry */
        bool neg = rng() & 1;
        char text[96];
        strcpy(text, fmt(v));
        size_t n = strlen(text);
        unsigned fifth = (unsigned)(rng() % 10);
        text[n++] = (char)('0' + fifth);
        int extra = (int)(rng() % 6);
        for (int k = 0; k < extra; k++)
            text[n++] = (char)('0' + rng() % 10);
        text[n] = '\0';
        char signed_text[100];
        signed_text[0] = '-';
        strcpy(signed_text + 1, text);
        const char *in = neg ? signed_text : text;
        ncc_money want = v + (fifth >= 5);
        if (neg)
            want = -want;
        ncc_money got = 0;
        cr_assert_eq(money(in, &got), NCC_PARSE_ROUNDED, "parse \"%s\"", in);
        cr_assert(got == want, "rounding of \"%s\"", in);
    }
}

/* ---- integers ------------------------------------------------------------------ */

Test(int_parse, simple)
{
    int64_t v = 0;
    cr_expect_eq(int_parse("42", &v), NCC_PARSE_OK);
    cr_expect_eq(v, 42);
    cr_expect_eq(int_parse("0", &v), NCC_PARSE_OK);
    cr_expect_eq(v, 0);
}

Test(int_parse, negative)
{
    int64_t v = 0;
    cr_expect_eq(int_parse("-17", &v), NCC_PARSE_OK);
    cr_expect_eq(v, -17);
    cr_expect_eq(int_parse("-0", &v), NCC_PARSE_OK);
    cr_expect_eq(v, 0);
}

Test(int_parse, eighteen_digits_ok)
{
    int64_t v = 0;
    cr_expect_eq(int_parse("999999999999999999", &v), NCC_PARSE_OK);
    cr_expect_eq(v, 999999999999999999LL);
    cr_expect_eq(int_parse("-999999999999999999", &v), NCC_PARSE_OK);
    cr_expect_eq(v, -999999999999999999LL);
}

Test(int_parse, nineteen_digits_bad)
{
    int64_t v = 5;
    cr_expect_eq(int_parse("1000000000000000000", &v), NCC_PARSE_BAD);
    cr_expect_eq(int_parse("-1000000000000000000", &v), NCC_PARSE_BAD);
    cr_expect_eq(int_parse("9223372036854775807", &v), NCC_PARSE_BAD);
    cr_expect_eq(v, 5);
}

Test(int_parse, leading_zeros_stripped)
{
    int64_t v = 0;
    cr_expect_eq(int_parse("0000000000000000000000000001", &v), NCC_PARSE_OK);
    cr_expect_eq(v, 1);
    cr_expect_eq(int_parse("0999999999999999999", &v), NCC_PARSE_OK);
    cr_expect_eq(v, 999999999999999999LL);
    cr_expect_eq(int_parse("-007", &v), NCC_PARSE_OK);
    cr_expect_eq(v, -7);
}

Test(int_parse, rejects)
{
    int64_t v = 5;
    const char *bad[] = {"+1", "1.0", "1e3", "", "-", "1.", ".1", " 1", "1 ", "1,000",
                         "--1", "1-", "abc", "0x10", "1.5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(int_parse(bad[i], &v), NCC_PARSE_BAD, "int \"%s\"", bad[i]);
    cr_expect_eq(v, 5);
}

Test(int_parse, uses_length)
{
    int64_t v = 0;
    cr_expect_eq(ncc_int_parse("123abc", 3, &v), NCC_PARSE_OK);
    cr_expect_eq(v, 123);
}

/* ---- dates --------------------------------------------------------------------- */

Test(date_parse, iso)
{
    expect_date("2023-04-01", 2023, 4, 1);
    expect_date("2024-12-31", 2024, 12, 31);
}

Test(date_parse, uk_two_digit)
{
    expect_date("01/04/2023", 2023, 4, 1);
    expect_date("31/12/2023", 2023, 12, 31);
}

Test(date_parse, uk_one_digit)
{
    expect_date("1/4/2023", 2023, 4, 1);
    expect_date("1/12/2023", 2023, 12, 1);
    expect_date("15/4/2023", 2023, 4, 15);
}

Test(date_parse, leap_years)
{
    cr_expect_not(date_ok("2023-02-29"));
    expect_date("29/02/2024", 2024, 2, 29);
    expect_date("2000-02-29", 2000, 2, 29);
    cr_expect_not(date_ok("1900-02-29"));
    cr_expect_not(date_ok("29/2/2100"));
    expect_date("29/2/2400", 2400, 2, 29);
    cr_expect_not(date_ok("2024-02-30"));
}

Test(date_parse, month_lengths)
{
    cr_expect_not(date_ok("31/04/2023"));
    cr_expect(date_ok("30/04/2023"));
    cr_expect_not(date_ok("2023-06-31"));
    cr_expect_not(date_ok("2023-09-31"));
    cr_expect_not(date_ok("2023-11-31"));
    cr_expect(date_ok("2023-01-31"));
    cr_expect(date_ok("2023-08-31"));
    cr_expect_not(date_ok("2023-01-32"));
}

Test(date_parse, bad_month_and_day)
{
    cr_expect_not(date_ok("2023-13-01"));
    cr_expect_not(date_ok("2023-00-10"));
    cr_expect_not(date_ok("2023-01-00"));
    cr_expect_not(date_ok("0/4/2023"));
    cr_expect_not(date_ok("1/0/2023"));
}

Test(date_parse, never_us_order)
{
    cr_expect_not(date_ok("04/31/2023"));
    cr_expect_not(date_ok("12/25/2023"));
}

Test(date_parse, year_range)
{
    cr_expect_not(date_ok("0000-01-01"));
    cr_expect_not(date_ok("01/01/0000"));
    expect_date("0001-01-01", 1, 1, 1);
    expect_date("9999-12-31", 9999, 12, 31);
}

Test(date_parse, wrong_shapes)
{
    const char *bad[] = {"2023/04/01", "2023-4-1", "2023-04-1", "2023-4-01", "23-04-01",
                         "01/04/23", "001/04/2023", "01/004/2023", "01/04/02023",
                         "01-04-2023", "2023.04.01", "20230401", "2023-04-01T00:00",
                         "", "1/4/", "/4/2023", "1//2023", "1/4/2023 ", "a1/04/2023",
                         "2023-04-0a", "2023-04+01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(date_ok(bad[i]), "date \"%s\" accepted", bad[i]);
}

Test(date_parse, outputs_untouched_on_failure)
{
    int y = -1, m = -1, d = -1;
    cr_expect_eq(date("31/04/2023", &y, &m, &d), NCC_PARSE_BAD);
    cr_expect_eq(y, -1);
    cr_expect_eq(m, -1);
    cr_expect_eq(d, -1);
}

/* ---- period ---------------------------------------------------------------------- */

Test(period_parse, valid)
{
    int y = 0, m = 0;
    cr_expect_eq(ncc_period_parse(S("2024-03"), &y, &m), NCC_PARSE_OK);
    cr_expect_eq(y, 2024);
    cr_expect_eq(m, 3);
    cr_expect(period_ok("2024-01"));
    cr_expect(period_ok("2024-12"));
}

Test(period_parse, invalid)
{
    const char *bad[] = {"2024-00", "2024-13", "2024-3", "2024/03", "202403", "2024-03-01",
                         "24-03", "", "2024-0a", "0000-01", "2024 03"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(period_ok(bad[i]), "period \"%s\" accepted", bad[i]);
}

/* ---- financial year --------------------------------------------------------------- */

Test(fin_year, parse_valid)
{
    int y = 0;
    cr_expect_eq(ncc_fin_year_parse(S("202324"), &y), NCC_PARSE_OK);
    cr_expect_eq(y, 2023);
    cr_expect(fy_ok("201516"));
    cr_expect(fy_ok("204041"));
    cr_expect(fy_ok("209900") == false); /* 2099 outside 2015..2040 */
}

Test(fin_year, parse_invalid)
{
    const char *bad[] = {"202325", "202323", "201415", "204142", "2023/24", "2023-24",
                         "20232", "2023245", "", "20a324", "2023 4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(fy_ok(bad[i]), "fin year \"%s\" accepted", bad[i]);
}

Test(fin_year, parse_every_year_in_range)
{
    for (int y = 2010; y <= 2045; y++) {
        char text[7];
        ncc_fin_year_format(y, text);
        int got = 0;
        ncc_parse_result r = ncc_fin_year_parse(text, 6, &got);
        if (y >= 2015 && y <= 2040) {
            cr_expect_eq(r, NCC_PARSE_OK, "%s", text);
            cr_expect_eq(got, y);
        } else {
            cr_expect_eq(r, NCC_PARSE_BAD, "%s", text);
        }
    }
}

Test(fin_year, of_date)
{
    cr_expect_eq(ncc_fin_year_of(2023, 4), 2023);
    cr_expect_eq(ncc_fin_year_of(2023, 12), 2023);
    cr_expect_eq(ncc_fin_year_of(2024, 1), 2023);
    cr_expect_eq(ncc_fin_year_of(2024, 3), 2023);
    cr_expect_eq(ncc_fin_year_of(2024, 4), 2024);
}

Test(fin_year, format)
{
    char out[7];
    ncc_fin_year_format(2023, out);
    cr_expect_str_eq(out, "202324");
    ncc_fin_year_format(2099, out);
    cr_expect_str_eq(out, "209900");
    ncc_fin_year_format(2015, out);
    cr_expect_str_eq(out, "201516");
    ncc_fin_year_format(2009, out);
    cr_expect_str_eq(out, "200910");
}

/* ---- ODS ----------------------------------------------------------------------------- */

Test(ods, valid)
{
    cr_expect(ods("RXX"));
    cr_expect(ods("RXX01"));
    cr_expect(ods("R1H"));
    cr_expect(ods("123"));
    cr_expect(ods("RR8AB"));
}

Test(ods, invalid)
{
    const char *bad[] = {"", "RX", "RXX012", "rxx", "RxX", "RX-1", "RX X", "RX_1", "RÉX"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(ods(bad[i]), "ods \"%s\" accepted", bad[i]);
}

/* ---- GTIN ---------------------------------------------------------------------------- */

Test(gtin, valid_real_codes)
{
    cr_expect_eq(gtin("5012345678900"), NCC_GTIN_OK);  /* EAN-13 */
    cr_expect_eq(gtin("96385074"), NCC_GTIN_OK);       /* EAN-8 */
    cr_expect_eq(gtin("036000291452"), NCC_GTIN_OK);   /* UPC-A */
    cr_expect_eq(gtin("10012345678902"), NCC_GTIN_OK); /* GTIN-14 */
    cr_expect_eq(gtin("4006381333931"), NCC_GTIN_OK);  /* EAN-13 */
}

Test(gtin, wrong_check_digit)
{
    cr_expect_eq(gtin("5012345678901"), NCC_GTIN_CHECK_DIGIT);
    cr_expect_eq(gtin("96385075"), NCC_GTIN_CHECK_DIGIT);
    cr_expect_eq(gtin("036000291453"), NCC_GTIN_CHECK_DIGIT);
    cr_expect_eq(gtin("10012345678903"), NCC_GTIN_CHECK_DIGIT);
}

Test(gtin, every_wrong_check_digit_detected)
{
    char code[] = "5012345678900";
    for (char c = '1'; c <= '9'; c++) {
        code[12] = c;
        cr_expect_eq(gtin(code), NCC_GTIN_CHECK_DIGIT, "%s", code);
    }
}

Test(gtin, check_digit_zero_case)
{
    /* Sum a multiple of 10: check digit 0. */
    cr_expect_eq(gtin("00000000"), NCC_GTIN_OK);
    cr_expect_eq(gtin("00000001"), NCC_GTIN_CHECK_DIGIT);
}

Test(gtin, bad_length)
{
    const char *bad[] = {"", "1234567", "123456789", "1234567890", "12345678901",
                         "123456789012345", "1234567890123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(gtin(bad[i]), NCC_GTIN_FORMAT, "gtin \"%s\"", bad[i]);
}

Test(gtin, non_digits)
{
    cr_expect_eq(gtin("501234567890A"), NCC_GTIN_FORMAT);
    cr_expect_eq(gtin("5012345 78900"), NCC_GTIN_FORMAT);
    cr_expect_eq(gtin("9638507-"), NCC_GTIN_FORMAT);
    cr_expect_eq(gtin("-9638507"), NCC_GTIN_FORMAT);
}

/* ---- NHS number ------------------------------------------------------------------------ */

Test(nhs_number, valid_contiguous)
{
    cr_expect(nhs("9434765919"));
}

Test(nhs_number, wrong_check_digit)
{
    cr_expect_not(nhs("9434765918"));
    cr_expect_not(nhs("9434765910"));
}

Test(nhs_number, grouped_spaces)
{
    cr_expect(nhs("943 476 5919"));
    cr_expect_not(nhs("943 476 5918"));
}

Test(nhs_number, grouped_hyphens)
{
    cr_expect(nhs("943-476-5919"));
}

Test(nhs_number, bad_grouping)
{
    const char *bad[] = {"943  476 5919", "943 4765919", "9434 765 919", "943 476-5919",
                         "943-476 5919", "94 3476 5919", "943 476 591 9", "943/476/5919",
                         " 9434765919", "9434765919 ", "943 476 5919 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(nhs(bad[i]), "nhs \"%s\" accepted", bad[i]);
}

Test(nhs_number, wrong_length)
{
    cr_expect_not(nhs("943476591"));
    cr_expect_not(nhs("19434765919"));
    cr_expect_not(nhs(""));
}

Test(nhs_number, check_eleven_means_zero)
{
    /* 100000001x: sum = 10 + 2 = 12, r = 1, check 10 -> never valid.
     * 0000000000: sum 0, r 0, check 11 -> 0. */
    cr_expect(nhs("0000000000"));
    /* 1000000010: sum = 10*1 + 2*1 = 12, r = 1 -> check 10: invalid whatever the digit. */
    for (char c = '0'; c <= '9'; c++) {
        char num[] = "100000001x";
        num[9] = c;
        cr_expect_not(nhs(num), "%s", num);
    }
    /* 1100000000 -> sum 10+9 = 19, r = 8, check 3. */
    cr_expect(nhs("1100000003"));
    cr_expect_not(nhs("1100000000"));
}

Test(nhs_number, exactly_one_check_digit_valid)
{
    int valid = 0;
    for (char c = '0'; c <= '9'; c++) {
        char num[] = "943476591x";
        num[9] = c;
        valid += nhs(num);
    }
    cr_expect_eq(valid, 1);
}

Test(nhs_contains, in_text)
{
    cr_expect(has_nhs("patient 9434765919 seen"));
    cr_expect(has_nhs("x943 476 5919y"));
    cr_expect(has_nhs("9434765919"));
    cr_expect(has_nhs("ref:943-476-5919"));
    cr_expect(has_nhs("a9434765919"));
    cr_expect(has_nhs("9434765919b"));
}

Test(nhs_contains, adjacent_digits)
{
    cr_expect_not(has_nhs("19434765919"));
    cr_expect_not(has_nhs("94347659190"));
    cr_expect_not(has_nhs("1943 476 5919"));
    cr_expect_not(has_nhs("943 476 59190"));
}

Test(nhs_contains, none)
{
    cr_expect_not(has_nhs(""));
    cr_expect_not(has_nhs("no number here"));
    cr_expect_not(has_nhs("patient 9434765918 seen"));
    cr_expect_not(has_nhs("943 476 591"));
    cr_expect_not(has_nhs("123456789"));
}

Test(nhs_contains, later_in_text_after_false_starts)
{
    cr_expect(has_nhs("123 9434765918 943 476 5919"));
    cr_expect(has_nhs("12 943 476 5919"));
    cr_expect(has_nhs("19434765919 and 9434765919"));
}

Test(nhs_contains, at_end_of_buffer_uses_length)
{
    const char text[] = "id 9434765919";
    cr_expect(ncc_contains_nhs_number(text, sizeof text - 1));
    cr_expect_not(ncc_contains_nhs_number(text, sizeof text - 2));
}

Test(nhs_contains, long_digit_run_is_linear_and_false)
{
    static char buf[1 << 20];
    memset(buf, '9', sizeof buf);
    cr_expect_not(ncc_contains_nhs_number(buf, sizeof buf));
    for (size_t i = 0; i + 1 < sizeof buf; i += 2)
        buf[i + 1] = ' ';
    cr_expect_not(ncc_contains_nhs_number(buf, sizeof buf));
}

/* ---- OPCS -------------------------------------------------------------------------------- */

Test(opcs, with_dot)
{
    expect_opcs("M65.3", "M653");
    expect_opcs("M65.34", "M6534");
}

Test(opcs, without_dot)
{
    expect_opcs("M653", "M653");
    expect_opcs("M6534", "M6534");
}

Test(opcs, three_characters)
{
    expect_opcs("M65", "M65");
}

Test(opcs, invalid)
{
    expect_opcs_bad("M65.");
    expect_opcs_bad("M6");
    expect_opcs_bad("665.3");
    expect_opcs_bad("M65.345");
    expect_opcs_bad("M65345");
    expect_opcs_bad("m65.3");
    expect_opcs_bad("");
    expect_opcs_bad("M");
    expect_opcs_bad("MM5.3");
    expect_opcs_bad("M6A.3");
    expect_opcs_bad("M65.A");
    expect_opcs_bad("M65-3");
    expect_opcs_bad("M65 3");
    expect_opcs_bad("M65.3.");
    expect_opcs_bad("M65..3");
    expect_opcs_bad("M653.");
}

/* ---- bool --------------------------------------------------------------------------------- */

Test(bool_parse, true_values)
{
    const char *yes[] = {"Y", "YES", "TRUE", "1"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        bool v = false;
        cr_expect_eq(boolp(yes[i], &v), NCC_PARSE_OK, "%s", yes[i]);
        cr_expect(v, "%s", yes[i]);
    }
}

Test(bool_parse, false_values)
{
    const char *no[] = {"N", "NO", "FALSE", "0"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        bool v = true;
        cr_expect_eq(boolp(no[i], &v), NCC_PARSE_OK, "%s", no[i]);
        cr_expect_not(v, "%s", no[i]);
    }
}

Test(bool_parse, invalid)
{
    const char *bad[] = {"", "y", "yes", "true", "T", "F", "2", "YE", "NOPE", "TRUE ", "FALS",
                         "TRUEX", "-1", "ON", "OFF"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool v = true;
        cr_expect_eq(boolp(bad[i], &v), NCC_PARSE_BAD, "bool \"%s\"", bad[i]);
        cr_expect(v, "output changed for \"%s\"", bad[i]);
    }
}

/* ---- charsets ------------------------------------------------------------------------------ */

Test(charset, alnum)
{
    cr_expect(cs(NCC_CHARSET_ALNUM, "Abc123XYZ"));
    cr_expect(cs(NCC_CHARSET_ALNUM, ""));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "A_B"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "A B"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "A-B"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "é"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "@"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "["));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "`"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM, "{"));
}

Test(charset, alnum_underscore)
{
    cr_expect(cs(NCC_CHARSET_ALNUM_UNDERSCORE, "MTFM_01"));
    cr_expect(cs(NCC_CHARSET_ALNUM_UNDERSCORE, "_"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM_UNDERSCORE, "MTFM-01"));
    cr_expect_not(cs(NCC_CHARSET_ALNUM_UNDERSCORE, "MTFM 01"));
}

Test(charset, digit)
{
    cr_expect(cs(NCC_CHARSET_DIGIT, "0123456789"));
    cr_expect_not(cs(NCC_CHARSET_DIGIT, "12a"));
    cr_expect_not(cs(NCC_CHARSET_DIGIT, "-1"));
    cr_expect_not(cs(NCC_CHARSET_DIGIT, "1.0"));
}

Test(charset, printable)
{
    cr_expect(cs(NCC_CHARSET_PRINTABLE, "Hello, world! ~"));
    cr_expect(cs(NCC_CHARSET_PRINTABLE, "caf\xc3\xa9 \xe2\x82\xac"));
    cr_expect_not(cs(NCC_CHARSET_PRINTABLE, "tab\there"));
    cr_expect_not(cs(NCC_CHARSET_PRINTABLE, "line\nbreak"));
    cr_expect_not(cs(NCC_CHARSET_PRINTABLE, "cr\r"));
    cr_expect_not(cs(NCC_CHARSET_PRINTABLE, "del\x7f"));
    cr_expect_not(cs(NCC_CHARSET_PRINTABLE, "\x1f"));
    cr_expect_not(ncc_charset_valid(NCC_CHARSET_PRINTABLE, "a\0b", 3));
}

Test(charset, any)
{
    cr_expect(cs(NCC_CHARSET_ANY, "anything\t\x7f\xff"));
    cr_expect(ncc_charset_valid(NCC_CHARSET_ANY, "a\0b", 3));
}

Test(charset, unknown_class_rejected)
{
    cr_expect_not(ncc_charset_valid((ncc_charset)99, "abc", 3));
}

/* The classes byte by byte, as the contract states them: the reference for the 8-bytes-at-a-
 * time scan. */
static bool ref_valid(ncc_charset c, const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char b = s[i];
        bool up = b >= 'A' && b <= 'Z', low = b >= 'a' && b <= 'z', dig = b >= '0' && b <= '9';
        bool ok = c == NCC_CHARSET_ANY ? true
                : c == NCC_CHARSET_PRINTABLE ? !(b < 0x20 || b == 0x7f)
                : c == NCC_CHARSET_ALNUM ? up || low || dig
                : c == NCC_CHARSET_ALNUM_UNDERSCORE ? up || low || dig || b == '_'
                : c == NCC_CHARSET_DIGIT ? dig : false;
        if (!ok)
            return false;
    }
    return c <= NCC_CHARSET_DIGIT;
}

/* Checks the three scans of one value; reports only a difference (Criterion reports every
 * assertion it is given, and there are a few hundred thousand here). */
static void expect_scan(ncc_charset c, const unsigned char *s, size_t len)
{
    /* an exact-size copy: a read or write outside the value shows under ASan */
    char *copy = malloc(len ? len : 1);
    cr_assert(copy);
    memcpy(copy, s, len);
    bool want = ref_valid(c, s, len), want_ascii = true, ascii = false;
    for (size_t i = 0; i < len; i++)
        want_ascii = want_ascii && s[i] < 0x80;
    if (ncc_charset_valid(c, copy, len) != want)
        cr_expect_fail("ncc_charset_valid: class %d, length %zu, want %d", (int)c, len, want);
    if (ncc_charset_scan(c, copy, len, &ascii) != want || ascii != want_ascii ||
        memcmp(copy, s, len) != 0)
        cr_expect_fail("ncc_charset_scan: class %d, length %zu", (int)c, len);
    /* upper-casing first: valid as the upper-cased value is */
    unsigned char upper[64];
    for (size_t i = 0; i < len; i++)
        upper[i] = s[i] >= 'a' && s[i] <= 'z' ? (unsigned char)(s[i] - 32) : s[i];
    ascii = !want_ascii;
    if (ncc_charset_scan_upcase(c, copy, len, &ascii) != ref_valid(c, upper, len) ||
        ascii != want_ascii || memcmp(copy, upper, len) != 0)
        cr_expect_fail("ncc_charset_scan_upcase: class %d, length %zu", (int)c, len);
    free(copy);
}

/* Every byte value at every place of values of 0 to 20 bytes, among bytes valid in every class. */
Test(charset, scan_every_byte_everywhere)
{
    unsigned char s[24];
    for (int c = NCC_CHARSET_ANY; c <= NCC_CHARSET_DIGIT + 1; c++)
        for (size_t len = 0; len <= 20; len++)
            for (size_t at = 0; at < (len ? len : 1); at++)
                for (unsigned b = 0; b < 256; b++) {
                    memset(s, '7', sizeof s);
                    if (len)
                        s[at] = (unsigned char)b;
                    expect_scan((ncc_charset)c, s, len);
                }
}

/* Random values, mostly letters, digits and their neighbours in ASCII. */
Test(charset, scan_random)
{
    static const char pool[] = "azAZ09_@[`{/:-~ \x1f\x7f\x80\xc3\xa9\xff";
    uint32_t x = 12345;
    unsigned char s[40];
    for (int n = 0; n < 20000; n++) {
        x = x * 1664525u + 1013904223u;
        size_t len = (x >> 8) % 33;
        for (size_t i = 0; i < len; i++) {
            x = x * 1664525u + 1013904223u;
            s[i] = (x >> 24) % 4 ? (unsigned char)pool[(x >> 8) % (sizeof pool - 1)]
                                 : (unsigned char)(x >> 16);
        }
        expect_scan((ncc_charset)(n % 6), s, len);
    }
}

Test(upcase, ascii_only_in_place)
{
    char s[] = "abc-xyz_AZ az{`@[\xc3\xa9\xe2\x82\xac" "0123456789 mixed CASE";
    ncc_upcase_ascii(s, sizeof s - 1);
    cr_expect_str_eq(s, "ABC-XYZ_AZ AZ{`@[\xc3\xa9\xe2\x82\xac" "0123456789 MIXED CASE");
    for (unsigned b = 0; b < 256; b++)
        for (size_t len = 1; len <= 17; len++) {
            char v[17], want[17];
            memset(v, 'q', sizeof v);
            v[len - 1] = (char)b;
            for (size_t i = 0; i < len; i++)
                want[i] = v[i] >= 'a' && v[i] <= 'z' ? (char)(v[i] - 32) : v[i];
            ncc_upcase_ascii(v, len);
            if (memcmp(v, want, len) != 0 || (len < sizeof v && v[len] != 'q'))
                cr_expect_fail("byte %u, length %zu", b, len);
        }
}

Test(utf8_length, ascii)
{
    cr_expect_eq(ncc_utf8_length(S("hello")), 5);
    cr_expect_eq(ncc_utf8_length(S("")), 0);
}

Test(utf8_length, multibyte)
{
    cr_expect_eq(ncc_utf8_length(S("caf\xc3\xa9")), 4);       /* café */
    cr_expect_eq(ncc_utf8_length(S("\xe2\x82\xac" "5")), 2);  /* €5 */
    cr_expect_eq(ncc_utf8_length(S("\xf0\x9f\x98\x80")), 1);  /* emoji */
    cr_expect_eq(ncc_utf8_length(S("\xc2\xa3" "100")), 4);    /* £100 */
}

/* ---- QART quarters and stages (contract 2.5) ---- */

static int quarter_of(const char *s)
{
    int q = -1;
    return ncc_quarter_parse(s, strlen(s), &q) == NCC_PARSE_OK ? q : -1;
}

Test(quarter, numbers_and_q_forms)
{
    cr_assert_eq(quarter_of("1"), 1);
    cr_assert_eq(quarter_of("4"), 4);
    cr_assert_eq(quarter_of("Q1"), 1);
    cr_assert_eq(quarter_of("q3"), 3);
    cr_assert_eq(quarter_of("Q4"), 4);
}

Test(quarter, anything_else_is_bad)
{
    const char *bad[] = {"", "0", "5", "Q0", "Q5", "Q", "QQ1", "01", "1Q", "Q 1", "Q1 ", "one", "-1", "Q-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(quarter_of(bad[i]), -1, "\"%s\" is not a quarter", bad[i]);
}

Test(quarter, of_month_april_starts_q1)
{
    int want[13] = {0, 4, 4, 4, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    for (int m = 1; m <= 12; m++)
        cr_assert_eq(ncc_quarter_of_month(m), want[m], "month %d", m);
}

static int stage_of(const char *s, ncc_stage_result *r, int *named)
{
    int st = -1;
    *named = -1;
    *r = ncc_qart_stage_parse(s, strlen(s), &st, named);
    return st;
}

Test(qart_stage, every_accepted_form)
{
    static const struct {
        const char *s;
        int stage;
    } ok[] = {
        {"0", 0}, {"5", 5}, {"Adoption", 5}, {"adoption", 5}, {"ADOPTION", 5},
        {"No information", 0}, {"no   INFORMATION", 0}, {"Knowledge", 1}, {"Interest", 2},
        {"Decision", 3}, {"Implementation", 4}, {"5: Adoption", 5}, {"5:Adoption", 5},
        {"5 : adoption", 5}, {"5 - Adoption", 5}, {"5-Adoption", 5}, {"5 Adoption", 5},
        {"0: No information", 0}, {"4 - implementation", 4}, {"3\tDecision", 3},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ncc_stage_result r;
        int named;
        cr_assert_eq(stage_of(ok[i].s, &r, &named), ok[i].stage, "\"%s\"", ok[i].s);
        cr_assert_eq(r, NCC_STAGE_OK, "\"%s\"", ok[i].s);
    }
}

Test(qart_stage, a_number_contradicting_its_name)
{
    ncc_stage_result r;
    int named;
    cr_assert_eq(stage_of("4: Adoption", &r, &named), 4);
    cr_assert_eq(r, NCC_STAGE_CONTRADICTS);
    cr_assert_eq(named, 5);
    cr_assert_eq(stage_of("0 - Knowledge", &r, &named), 0);
    cr_assert_eq(r, NCC_STAGE_CONTRADICTS);
    cr_assert_eq(named, 1);
}

Test(qart_stage, anything_else_is_bad)
{
    const char *bad[] = {"", "6", "9", "-1", "05", "55", "5.", "5:", "5 -", "5Adoption",
                         "Adopted", "Adoption!", "5: Adoption 5", "No", "information",
                         "Noinformation", "5 :: Adoption", "stage 5", "Q5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ncc_stage_result r;
        int named;
        stage_of(bad[i], &r, &named);
        cr_assert_eq(r, NCC_STAGE_BAD, "\"%s\" is not a stage", bad[i]);
    }
}

Test(qart_stage, names)
{
    cr_assert_str_eq(ncc_qart_stage_name(0), "No information");
    cr_assert_str_eq(ncc_qart_stage_name(5), "Adoption");
    cr_assert_null(ncc_qart_stage_name(6));
    cr_assert_null(ncc_qart_stage_name(-1));
}
