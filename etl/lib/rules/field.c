/*
 * field.c - validators and normalisers for single field values (money,
 * integers, dates, periods, financial years, ODS codes, GTINs, NHS numbers,
 * OPCS-4 codes, booleans, character classes), DATA-CONTRACT section 2.
 *
 * This is the per-field hot path of the CSV loader: every function is a
 * single pass over the value with plain ASCII comparisons. Nothing here
 * allocates, uses the locale (no isdigit/toupper/strtol/sscanf) or uses
 * floating point. Values are (pointer, length) and need not be
 * NUL-terminated. Output parameters are written only on success.
 */
#include "rules/field.h"

#include <string.h>

#define MONEY_DECIMALS 4
/* Parsed money magnitudes stay below 10^(18 + 4). */
#define MONEY_LIMIT ((ncc_money)100000000000LL * (ncc_money)100000000000LL)
#define TEN_POW_19 10000000000000000000ULL

/* Value of an ASCII digit, or a number > 9 for any other byte. */
static inline unsigned digit_value(char c)
{
    return (unsigned)(unsigned char)c - (unsigned)'0';
}

static inline bool is_digit(char c)
{
    return digit_value(c) <= 9;
}

static inline bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

/* Reads exactly n digits at s into *v; false if any is not a digit. */
static inline bool read_digits(const char *s, size_t n, unsigned *v)
{
    unsigned acc = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = digit_value(s[i]);
        if (d > 9)
            return false;
        acc = acc * 10 + d;
    }
    *v = acc;
    return true;
}

/*
 * Reads the run of digits starting at s[*pos] (no sign), ignoring leading
 * zeros; stops at the first non-digit and sets *ndigits to the run length
 * (zeros included). Returns false on more than 18 significant digits.
 */
static inline bool read_integer_part(const char *s, size_t len, size_t *pos,
                                     uint64_t *value, size_t *ndigits)
{
    size_t i = *pos;
    size_t start = i;
    unsigned sig = 0;
    uint64_t acc = 0;

    while (i < len && s[i] == '0')
        i++;
    for (; i < len; i++) {
        unsigned d = digit_value(s[i]);
        if (d > 9)
            break;
        if (++sig > NCC_MONEY_MAX_INT_DIGITS)
            return false;
        acc = acc * 10 + d;
    }
    *ndigits = i - start;
    *pos = i;
    *value = acc;
    return true;
}

ncc_parse_result ncc_money_parse(const char *s, size_t len, ncc_money *out)
{
    static const uint32_t scale_up[MONEY_DECIMALS + 1] = {10000, 1000, 100, 10, 1};
    size_t i = 0;
    bool neg = false;
    uint64_t ip;
    size_t int_digits;
    uint32_t frac = 0;
    size_t frac_digits = 0;
    unsigned round_up = 0;
    ncc_money value;

    if (len == 0)
        return NCC_PARSE_BAD;
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (!read_integer_part(s, len, &i, &ip, &int_digits))
        return NCC_PARSE_BAD;
    if (i < len) {
        if (s[i] != '.')
            return NCC_PARSE_BAD;
        for (i++; i < len; i++) {
            unsigned d = digit_value(s[i]);
            if (d > 9)
                return NCC_PARSE_BAD;
            if (frac_digits < MONEY_DECIMALS)
                frac = frac * 10 + d;
            else if (frac_digits == MONEY_DECIMALS)
                round_up = d >= 5;
            frac_digits++;
        }
    }
    if (int_digits == 0 && frac_digits == 0)
        return NCC_PARSE_BAD; /* "", "-", ".", "-." */
    if (frac_digits < MONEY_DECIMALS)
        frac *= scale_up[frac_digits];

    value = (ncc_money)ip * NCC_MONEY_SCALE + frac + round_up;
    if (value >= MONEY_LIMIT)
        return NCC_PARSE_BAD; /* rounding carried into a 19th integer digit */
    *out = neg ? -value : value;
    return frac_digits > MONEY_DECIMALS ? NCC_PARSE_ROUNDED : NCC_PARSE_OK;
}

/* Writes the decimal digits of v backwards ending before p; returns new start. */
static inline char *put_u64_backwards(char *p, uint64_t v)
{
    do {
        *--p = (char)('0' + (unsigned)(v % 10));
        v /= 10;
    } while (v != 0);
    return p;
}

size_t ncc_money_format(ncc_money value, char *buf, size_t cap)
{
    char tmp[NCC_MONEY_BUFSIZE];
    char *end = tmp + sizeof tmp;
    char *p = end;
    unsigned __int128 mag = value < 0 ? -(unsigned __int128)value : (unsigned __int128)value;
    uint32_t frac;
    size_t n;

    if (mag <= UINT64_MAX) {
        uint64_t m = (uint64_t)mag;
        frac = (uint32_t)(m % NCC_MONEY_SCALE);
        for (int k = 0; k < MONEY_DECIMALS; k++) {
            *--p = (char)('0' + frac % 10);
            frac /= 10;
        }
        *--p = '.';
        p = put_u64_backwards(p, m / NCC_MONEY_SCALE);
    } else {
        unsigned __int128 ip = mag / NCC_MONEY_SCALE;
        uint64_t lo;
        frac = (uint32_t)(mag % NCC_MONEY_SCALE);
        for (int k = 0; k < MONEY_DECIMALS; k++) {
            *--p = (char)('0' + frac % 10);
            frac /= 10;
        }
        *--p = '.';
        if (ip <= UINT64_MAX) {
            p = put_u64_backwards(p, (uint64_t)ip);
        } else {
            /* ip < 2^128 / 10^4, so the high part fits in 64 bits. */
            lo = (uint64_t)(ip % TEN_POW_19);
            for (int k = 0; k < 19; k++) {
                *--p = (char)('0' + (unsigned)(lo % 10));
                lo /= 10;
            }
            p = put_u64_backwards(p, (uint64_t)(ip / TEN_POW_19));
        }
    }
    if (value < 0)
        *--p = '-';

    n = (size_t)(end - p);
    if (n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    return n;
}

ncc_parse_result ncc_int_parse(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v;
    size_t ndigits;

    if (len == 0)
        return NCC_PARSE_BAD;
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (!read_integer_part(s, len, &i, &v, &ndigits))
        return NCC_PARSE_BAD;
    if (ndigits == 0 || i != len)
        return NCC_PARSE_BAD;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return NCC_PARSE_OK;
}

/* ---- dates ------------------------------------------------------------- */

static inline bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline bool valid_ymd(unsigned y, unsigned m, unsigned d)
{
    static const unsigned char mdays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned dim;

    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    dim = mdays[m];
    if (m == 2 && is_leap(y))
        dim = 29;
    return d <= dim;
}

/* Reads 1 or 2 digits then '/', from s[*pos]. */
static inline bool read_uk_part(const char *s, size_t len, size_t *pos, unsigned *v)
{
    size_t i = *pos;
    unsigned acc;

    if (i >= len || !is_digit(s[i]))
        return false;
    acc = digit_value(s[i++]);
    if (i < len && is_digit(s[i]))
        acc = acc * 10 + digit_value(s[i++]);
    if (i >= len || s[i] != '/')
        return false;
    *pos = i + 1;
    *v = acc;
    return true;
}

ncc_parse_result ncc_date_parse(const char *s, size_t len, int *year, int *month, int *day)
{
    unsigned y, m, d;

    if (len == 10 && s[4] == '-' && s[7] == '-') {
        if (!read_digits(s, 4, &y) || !read_digits(s + 5, 2, &m) || !read_digits(s + 8, 2, &d))
            return NCC_PARSE_BAD;
    } else {
        size_t i = 0;
        if (len < 8 || len > 10)
            return NCC_PARSE_BAD;
        if (!read_uk_part(s, len, &i, &d) || !read_uk_part(s, len, &i, &m))
            return NCC_PARSE_BAD;
        if (len - i != 4 || !read_digits(s + i, 4, &y))
            return NCC_PARSE_BAD;
    }
    if (!valid_ymd(y, m, d))
        return NCC_PARSE_BAD;
    *year = (int)y;
    *month = (int)m;
    *day = (int)d;
    return NCC_PARSE_OK;
}

ncc_parse_result ncc_period_parse(const char *s, size_t len, int *year, int *month)
{
    unsigned y, m;

    if (len != 7 || s[4] != '-' || !read_digits(s, 4, &y) || !read_digits(s + 5, 2, &m))
        return NCC_PARSE_BAD;
    if (y < 1 || m < 1 || m > 12)
        return NCC_PARSE_BAD;
    *year = (int)y;
    *month = (int)m;
    return NCC_PARSE_OK;
}

ncc_parse_result ncc_fin_year_parse(const char *s, size_t len, int *start_year)
{
    unsigned y, zz;

    if (len != 6 || !read_digits(s, 4, &y) || !read_digits(s + 4, 2, &zz))
        return NCC_PARSE_BAD;
    if (y < 2015 || y > 2040 || zz != (y + 1) % 100)
        return NCC_PARSE_BAD;
    *start_year = (int)y;
    return NCC_PARSE_OK;
}

ncc_parse_result ncc_quarter_parse(const char *s, size_t len, int *quarter)
{
    if (len == 2 && (s[0] == 'Q' || s[0] == 'q')) {
        s++;
        len--;
    }
    if (len != 1 || s[0] < '1' || s[0] > '4')
        return NCC_PARSE_BAD;
    *quarter = s[0] - '0';
    return NCC_PARSE_OK;
}

int ncc_quarter_of_month(int month)
{
    return month >= 4 ? (month - 4) / 3 + 1 : 4;
}

static const char *const stage_names[NCC_QART_STAGES] = {
    "No information", "Knowledge", "Interest", "Decision", "Implementation", "Adoption",
};

const char *ncc_qart_stage_name(int stage)
{
    return stage >= 0 && stage < NCC_QART_STAGES ? stage_names[stage] : NULL;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The stage whose name s[0..len) is (case-insensitive, one blank or more between the
 * words of "No information"), or -1. */
static int stage_of_name(const char *s, size_t len)
{
    for (int k = 0; k < NCC_QART_STAGES; k++) {
        const char *n = stage_names[k];
        size_t i = 0;
        while (*n && i < len) {
            if (*n == ' ') {
                if (!is_blank(s[i]))
                    break;
                while (i < len && is_blank(s[i]))
                    i++;
                n++;
                continue;
            }
            char c = s[i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            char w = *n >= 'A' && *n <= 'Z' ? (char)(*n - 'A' + 'a') : *n;
            if (c != w)
                break;
            n++;
            i++;
        }
        if (!*n && i == len)
            return k;
    }
    return -1;
}

ncc_stage_result ncc_qart_stage_parse(const char *s, size_t len, int *stage, int *named)
{
    if (len == 0)
        return NCC_STAGE_BAD;
    if (s[0] < '0' || s[0] > '9') {
        int k = stage_of_name(s, len);
        if (k < 0)
            return NCC_STAGE_BAD;
        *stage = k;
        return NCC_STAGE_OK;
    }
    if (s[0] > '5' || (len > 1 && s[1] >= '0' && s[1] <= '9'))
        return NCC_STAGE_BAD;
    int num = s[0] - '0';
    size_t i = 1;
    if (i == len) {
        *stage = num;
        return NCC_STAGE_OK;
    }
    /* the separator: ':' or '-' with blanks around it, or blanks alone */
    size_t start = i;
    while (i < len && is_blank(s[i]))
        i++;
    if (i < len && (s[i] == ':' || s[i] == '-')) {
        i++;
        while (i < len && is_blank(s[i]))
            i++;
    } else if (i == start) {
        return NCC_STAGE_BAD; /* "5Adoption" */
    }
    int k = i < len ? stage_of_name(s + i, len - i) : -1;
    if (k < 0)
        return NCC_STAGE_BAD;
    *stage = num;
    if (k != num) {
        *named = k;
        return NCC_STAGE_CONTRADICTS;
    }
    return NCC_STAGE_OK;
}

int ncc_fin_year_of(int year, int month)
{
    return (month >= 1 && month <= 3) ? year - 1 : year;
}

void ncc_fin_year_format(int start_year, char out[7])
{
    /* Meaningful for start years 0..9999; other values are reduced mod 10000. */
    unsigned y = (unsigned)start_year % 10000;
    unsigned zz = (y + 1) % 100;

    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = (char)('0' + zz / 10);
    out[5] = (char)('0' + zz % 10);
    out[6] = '\0';
}

/* ---- codes ------------------------------------------------------------- */

bool ncc_ods_valid(const char *s, size_t len)
{
    if (len < 3 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_upper(s[i]) && !is_digit(s[i]))
            return false;
    }
    return true;
}

ncc_gtin_result ncc_gtin_check(const char *s, size_t len)
{
    unsigned sum = 0;
    unsigned weight = 3;

    if (len != 8 && len != 12 && len != 13 && len != 14)
        return NCC_GTIN_FORMAT;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return NCC_GTIN_FORMAT;
    }
    /* Weights 3,1,3,... from the digit left of the check digit leftwards. */
    for (size_t i = len - 1; i-- > 0;) {
        sum += digit_value(s[i]) * weight;
        weight ^= 2; /* 3 <-> 1 */
    }
    return (10 - sum % 10) % 10 == digit_value(s[len - 1]) ? NCC_GTIN_OK : NCC_GTIN_CHECK_DIGIT;
}

/* Mod-11 check of ten digits d[0..9]. */
static inline bool nhs_check(const unsigned d[10])
{
    unsigned sum = 0;
    unsigned check;

    for (unsigned i = 0; i < 9; i++)
        sum += d[i] * (10 - i);
    check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    return check != 10 && check == d[9];
}

/*
 * Tries to read an NHS number starting at s[pos]: ten contiguous digits, or
 * 3-3-4 digit groups separated by the same single separator (' ' or '-').
 * On success sets *end to the index after the last digit. Does not look at
 * what precedes or follows; does not check the mod-11 digit.
 */
static bool nhs_digits_at(const char *s, size_t len, size_t pos, unsigned d[10], size_t *end)
{
    size_t i = pos;
    unsigned k = 0;

    if (len - pos < 10)
        return false;
    for (; k < 3; k++, i++) {
        if (!is_digit(s[i]))
            return false;
        d[k] = digit_value(s[i]);
    }
    if (is_digit(s[i])) {
        for (; k < 10; k++, i++) {
            if (i >= len || !is_digit(s[i]))
                return false;
            d[k] = digit_value(s[i]);
        }
    } else {
        char sep = s[i];
        if ((sep != ' ' && sep != '-') || len - pos < 12)
            return false;
        i++;
        for (; k < 10; k++, i++) {
            if (k == 6) {
                if (s[i] != sep)
                    return false;
                i++;
            }
            if (!is_digit(s[i]))
                return false;
            d[k] = digit_value(s[i]);
        }
    }
    *end = i;
    return true;
}

bool ncc_nhs_number_like(const char *s, size_t len)
{
    unsigned d[10];
    size_t end;

    if (len != 10 && len != 12)
        return false;
    return nhs_digits_at(s, len, 0, d, &end) && end == len && nhs_check(d);
}

/*
 * The next NHS-number-like value in s[from..len): its start, or len when none;
 * *end is set past it. A match can only start at the first digit of a run of
 * digits, and each attempt reads at most 12 bytes, so a scan is linear.
 */
static size_t next_nhs_number(const char *s, size_t len, size_t from, size_t *end)
{
    unsigned d[10];

    for (size_t i = from; i < len; i++) {
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1])))
            continue;
        if (nhs_digits_at(s, len, i, d, end) && (*end == len || !is_digit(s[*end])) &&
            nhs_check(d))
            return i;
    }
    return len;
}

bool ncc_contains_nhs_number(const char *s, size_t len)
{
    size_t end;
    return next_nhs_number(s, len, 0, &end) < len;
}

int ncc_mask_nhs_numbers(char *s, size_t len)
{
    size_t at = 0, end;
    int n = 0;
    while ((at = next_nhs_number(s, len, at, &end)) < len) {
        for (; at < end; at++)
            if (is_digit(s[at]))
                s[at] = '#';
        n++;
    }
    return n;
}

bool ncc_opcs_normalise(const char *s, size_t len, char *out, size_t *outlen)
{
    size_t i = 3;
    size_t rest;

    if (len < 3 || len > 6)
        return false;
    if (!is_upper(s[0]) || !is_digit(s[1]) || !is_digit(s[2]))
        return false;
    if (len > 3 && s[3] == '.') {
        i = 4;
        if (len == 4)
            return false; /* "M65." */
    }
    rest = len - i;
    if (rest > 2)
        return false;
    for (size_t k = i; k < len; k++) {
        if (!is_digit(s[k]))
            return false;
    }
    out[0] = s[0];
    out[1] = s[1];
    out[2] = s[2];
    memcpy(out + 3, s + i, rest);
    out[3 + rest] = '\0';
    *outlen = 3 + rest;
    return true;
}

ncc_parse_result ncc_bool_parse(const char *s, size_t len, bool *out)
{
    bool v;

    switch (len) {
    case 1:
        if (s[0] == 'Y' || s[0] == '1')
            v = true;
        else if (s[0] == 'N' || s[0] == '0')
            v = false;
        else
            return NCC_PARSE_BAD;
        break;
    case 2:
        if (s[0] != 'N' || s[1] != 'O')
            return NCC_PARSE_BAD;
        v = false;
        break;
    case 3:
        if (memcmp(s, "YES", 3) != 0)
            return NCC_PARSE_BAD;
        v = true;
        break;
    case 4:
        if (memcmp(s, "TRUE", 4) != 0)
            return NCC_PARSE_BAD;
        v = true;
        break;
    case 5:
        if (memcmp(s, "FALSE", 5) != 0)
            return NCC_PARSE_BAD;
        v = false;
        break;
    default:
        return NCC_PARSE_BAD;
    }
    *out = v;
    return NCC_PARSE_OK;
}

/* ---- character classes --------------------------------------------------- */

/* The classes of every byte: a bit per charset the byte is valid in, and CL_LOWER
 * (0x20, the bit that tells a from A) on a-z. */
enum {
    CL_ANY = 1 << NCC_CHARSET_ANY,
    CL_PRINTABLE = 1 << NCC_CHARSET_PRINTABLE,
    CL_ALNUM = 1 << NCC_CHARSET_ALNUM,
    CL_ALNUM_UNDERSCORE = 1 << NCC_CHARSET_ALNUM_UNDERSCORE,
    CL_DIGIT = 1 << NCC_CHARSET_DIGIT,
    CL_LOWER = 0x20,
    CL_TEXT = CL_ANY | CL_PRINTABLE,
    CL_ALPHA = CL_TEXT | CL_ALNUM | CL_ALNUM_UNDERSCORE
};

static const unsigned char charset_class[256] = {
    [0x00 ... 0x1f] = CL_ANY,
    [0x20 ... 0x2f] = CL_TEXT,
    ['0' ... '9'] = CL_ALPHA | CL_DIGIT,
    [0x3a ... 0x40] = CL_TEXT,
    ['A' ... 'Z'] = CL_ALPHA,
    [0x5b ... 0x5e] = CL_TEXT,
    ['_'] = CL_TEXT | CL_ALNUM_UNDERSCORE,
    [0x60] = CL_TEXT,
    ['a' ... 'z'] = CL_ALPHA | CL_LOWER,
    [0x7b ... 0x7e] = CL_TEXT,
    [0x7f] = CL_ANY,
    [0x80 ... 0xff] = CL_TEXT,
};

/* One pass over the bytes of s, upper-casing them in place when `up` (else s is only
 * read). Byte by byte: the values are short, and a table lookup a byte measured faster
 * than 8-byte words with their partial tails. The classes hold letters of both cases,
 * so the upper-cased value is as valid as the original. */
static inline __attribute__((always_inline)) bool scan(ncc_charset cs, char *s, bool up, size_t len,
                                                      bool *ascii)
{
    unsigned all = 0xff, any = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)s[i], t = charset_class[c];
        all &= t;
        any |= c;
        if (up)
            s[i] = (char)(c ^ (t & CL_LOWER));
    }
    *ascii = any < 0x80;
    return (unsigned)cs <= NCC_CHARSET_DIGIT && (all >> cs & 1);
}

bool ncc_charset_scan(ncc_charset cs, const char *s, size_t len, bool *ascii)
{
    return scan(cs, (char *)s, false, len, ascii);
}

bool ncc_charset_scan_upcase(ncc_charset cs, char *s, size_t len, bool *ascii)
{
    return scan(cs, s, true, len, ascii);
}

bool ncc_charset_valid(ncc_charset cs, const char *s, size_t len)
{
    bool ascii;
    return ncc_charset_scan(cs, s, len, &ascii);
}

void ncc_upcase_ascii(char *s, size_t len)
{
    for (; len >= 8; s += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        w = ncc_swar_upcase(w);
        memcpy(s, &w, 8);
    }
    if (len)
        ncc_swar_store_tail(s, len, ncc_swar_upcase(ncc_swar_load_tail(s, len)));
}

size_t ncc_utf8_length(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

size_t ncc_money_format_plain(ncc_money value, char *buf, size_t cap)
{
    size_t n = ncc_money_format(value, buf, cap);
    while (n > 1 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 1 && buf[n - 1] == '.')
        buf[--n] = '\0';
    return n;
}
