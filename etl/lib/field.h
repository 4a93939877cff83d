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
/* Number of characters (UTF-8 code points) in s. */
size_t ncc_utf8_length(const char *s, size_t len);

#endif
