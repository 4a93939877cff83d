/*
 * field.h - validators and normalisers for single values (contract section 2).
 *
 * All functions take a value that is already trimmed of surrounding spaces
 * and, where the contract says codes are upper-cased, already upper-cased.
 * None allocates, none uses locale, sscanf or floating point. Lengths are
 * explicit; values need not be NUL-terminated.
 */
#ifndef NCC_FIELD_H
#define NCC_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Money: an exact amount scaled by 10^4 (4 decimal places). */
typedef __int128 ncc_money;
#define NCC_MONEY_SCALE 10000
#define NCC_MONEY_MAX_INT_DIGITS 18
/* Longest text ncc_money_format can write for a value of at most 38 digits, plus NUL. */
#define NCC_MONEY_BUFSIZE 48

typedef enum ncc_parse_result {
    NCC_PARSE_OK = 0,
    NCC_PARSE_ROUNDED = 1, /* accepted after rounding (W_ROUNDED) */
    NCC_PARSE_BAD = -1     /* not a valid value (E_NUMBER, E_DATE, ...) */
} ncc_parse_result;

/*
 * Money: optional leading '-', 1..18 integer digits, optional '.' and
 * decimals (a '.' needs at least one digit on one side: "5.", ".5" accepted).
 * More than 4 decimals: rounded half away from zero to 4, NCC_PARSE_ROUNDED.
 * Rejected: '+', thousands separators, currency signs, exponents, NaN,
 * spaces inside, empty.
 */
ncc_parse_result ncc_money_parse(const char *s, size_t len, ncc_money *out);
/* Writes e.g. "-1234.5000" (always exactly 4 decimals); returns length. */
size_t ncc_money_format(ncc_money value, char *buf, size_t cap);

/* The same without trailing zeros in the decimals ("1.5", "2"), for messages. */
size_t ncc_money_format_plain(ncc_money value, char *buf, size_t cap);

/* Integer: optional leading '-', 1..18 digits. */
ncc_parse_result ncc_int_parse(const char *s, size_t len, int64_t *out);

/*
 * Date: "YYYY-MM-DD" or UK "DD/MM/YYYY" (day and month may have one digit
 * in the UK form, e.g. "1/4/2023"). Impossible dates (31/04, 29/02 in a
 * non-leap year, month 13, year 0) are NCC_PARSE_BAD. US order never guessed.
 */
ncc_parse_result ncc_date_parse(const char *s, size_t len, int *year, int *month, int *day);
/* Period "YYYY-MM" (month 01..12). */
ncc_parse_result ncc_period_parse(const char *s, size_t len, int *year, int *month);
/* Financial year "YYYYZZ": ZZ = (YYYY+1) mod 100, 2015 <= YYYY <= 2040. */
ncc_parse_result ncc_fin_year_parse(const char *s, size_t len, int *start_year);
/* Start year of the financial year a date falls in (1 April to 31 March). */
int ncc_fin_year_of(int year, int month);
/* Writes the 6-character FY text ("202324") for a start year, NUL-terminated. */
void ncc_fin_year_format(int start_year, char out[7]);

/* Quarter of a financial year (contract 2.5): "1".."4" or "Q1".."Q4" (either case);
 * Q1 = April-June ... Q4 = January-March. */
ncc_parse_result ncc_quarter_parse(const char *s, size_t len, int *quarter);
/* The quarter (1..4) of the financial year a calendar month (1..12) falls in. */
int ncc_quarter_of_month(int month);

/*
 * QART stage of adoption (contract 2.5, MTFM policy para 79): a number "0".."5",
 * a stage name, or number and name ("5: Adoption", "5 - Adoption", "5 Adoption"),
 * case-insensitive, blanks around the separator allowed.
 */
#define NCC_QART_STAGES 6
typedef enum ncc_stage_result {
    NCC_STAGE_OK = 0,
    NCC_STAGE_BAD = -1,        /* not a stage */
    NCC_STAGE_CONTRADICTS = -2 /* a number and a name of different stages; *stage = the number,
                                  *named = the name's stage */
} ncc_stage_result;
ncc_stage_result ncc_qart_stage_parse(const char *s, size_t len, int *stage, int *named);
/* "No information", "Knowledge", "Interest", "Decision", "Implementation", "Adoption";
 * NULL out of range. */
const char *ncc_qart_stage_name(int stage);

/* ODS code: 3..5 upper-case ASCII letters or digits. */
bool ncc_ods_valid(const char *s, size_t len);

/* GTIN check. */
typedef enum ncc_gtin_result {
    NCC_GTIN_OK = 0,
    NCC_GTIN_FORMAT = 1,     /* not 8, 12, 13 or 14 digits (E_CODE) */
    NCC_GTIN_CHECK_DIGIT = 2 /* digits fine, GS1 check digit wrong (E_CHECK_DIGIT) */
} ncc_gtin_result;
ncc_gtin_result ncc_gtin_check(const char *s, size_t len);

/*
 * True when the value is a valid 10-digit NHS number: ten digits, optionally
 * grouped 3-3-4 by single spaces (or written with no spaces), whose mod-11
 * check digit is right. Such values are patient identifiers (E_PII_VALUE).
 */
bool ncc_nhs_number_like(const char *s, size_t len);
/* True when any run of the text holds an NHS-number-like value (for redaction). */
bool ncc_contains_nhs_number(const char *s, size_t len);
/*
 * Overwrites the digits of every NHS-number-like value in s[0..len) with '#',
 * in place (the length is kept). Returns how many values were masked. The
 * last guard of every message: a value quoted whole is withheld before it
 * gets here, but a message cut to its buffer can end in ten digits of a
 * longer run.
 */
int ncc_mask_nhs_numbers(char *s, size_t len);

/*
 * OPCS-4 procedure: a letter, two digits, then optionally '.' and one or two
 * digits ("M65.3", "M653", "M65"). Writes the form without the dot to out
 * (cap >= 8) and its length to *outlen. False when malformed.
 */
bool ncc_opcs_normalise(const char *s, size_t len, char *out, size_t *outlen);

/* Boolean flags: Y/N/1/0/TRUE/FALSE/YES/NO (upper-cased input). */
ncc_parse_result ncc_bool_parse(const char *s, size_t len, bool *out);

/* Character classes for codes. */
typedef enum ncc_charset {
    NCC_CHARSET_ANY = 0,      /* any UTF-8 text */
    NCC_CHARSET_PRINTABLE,    /* no control characters (< 0x20, 0x7f) */
    NCC_CHARSET_ALNUM,        /* A-Z a-z 0-9 */
    NCC_CHARSET_ALNUM_UNDERSCORE,
    NCC_CHARSET_DIGIT
} ncc_charset;
bool ncc_charset_valid(ncc_charset cs, const char *s, size_t len);
/* The same, and in the same pass whether every byte is ASCII (*ascii: then the
 * value has as many characters as bytes). */
bool ncc_charset_scan(ncc_charset cs, const char *s, size_t len, bool *ascii);
/* ncc_upcase_ascii(s, len) then ncc_charset_scan, in one pass. */
bool ncc_charset_scan_upcase(ncc_charset cs, char *s, size_t len, bool *ascii);
/* ASCII a-z to A-Z in place; every other byte (UTF-8 included) unchanged. */
void ncc_upcase_ascii(char *s, size_t len);

/*
 * 8 bytes at a time (SWAR), for the scans above and the key fingerprints of
 * validate.c. Words are little-endian: byte i of the text is bits 8i..8i+7.
 */
#define NCC_SWAR_ONES 0x0101010101010101ULL
#define NCC_SWAR_HIGHS 0x8080808080808080ULL

/* The n bytes at s (1..7) as the low bytes of a word, the others zero. Reads
 * s[0..n) only: two overlapping loads, or three bytes. */
static inline uint64_t ncc_swar_load_tail(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4); /* overlaps lo: the same bytes at the same places */
        return (uint64_t)lo | ((uint64_t)hi << (8 * (n - 4)));
    }
    return (uint64_t)u[0] | ((uint64_t)u[n / 2] << (8 * (n / 2))) |
           ((uint64_t)u[n - 1] << (8 * (n - 1)));
}

/* Store the low n bytes of w (1..7) at s; writes s[0..n) only. */
static inline void ncc_swar_store_tail(char *s, size_t n, uint64_t w)
{
    if (n >= 4) {
        uint32_t lo = (uint32_t)w, hi = (uint32_t)(w >> (8 * (n - 4)));
        memcpy(s, &lo, 4);
        memcpy(s + n - 4, &hi, 4);
        return;
    }
    s[0] = (char)w;
    s[n / 2] = (char)(w >> (8 * (n / 2)));
    s[n - 1] = (char)(w >> (8 * (n - 1)));
}

/* ASCII a-z to A-Z in all 8 bytes of w; every other byte unchanged. */
static inline uint64_t ncc_swar_upcase(uint64_t w)
{
    uint64_t low7 = w & ~NCC_SWAR_HIGHS;
    uint64_t ge_a = low7 + NCC_SWAR_ONES * (0x80 - 'a');     /* high bit: low7 >= 'a' */
    uint64_t gt_z = low7 + NCC_SWAR_ONES * (0x80 - 'z' - 1); /* high bit: low7 > 'z' */
    uint64_t lower = ge_a & ~gt_z & ~w & NCC_SWAR_HIGHS;     /* and the byte < 0x80 */
    return w - (lower >> 2);                                 /* 0x80 >> 2 = 'a' - 'A' */
}
/* Number of characters (UTF-8 code points) in s. */
size_t ncc_utf8_length(const char *s, size_t len);

#endif
