/*
 * codes.h - the error and warning codes of the data contract (section 4).
 *
 * Every problem the pipeline reports about input data carries one of these
 * codes. The names are part of the contract: users, scripts and the
 * warehouse's audit tables rely on them exactly.
 */
#ifndef NCC_CODES_H
#define NCC_CODES_H

typedef enum ncc_code {
    /* file errors: nothing of the file is loaded */
    NCC_F_UNREADABLE,
    NCC_F_EMPTY,
    NCC_F_GZIP,
    NCC_F_ENCODING,
    NCC_F_UNKNOWN_KIND,
    NCC_F_MISSING_COLUMN,
    NCC_F_DUPLICATE_COLUMN,
    NCC_F_PII_COLUMN,
    NCC_F_CSV_SYNTAX,
    NCC_F_LEDGER_TOLERANCE,
    NCC_F_REJECT_LIMIT,
    /* row errors: the row is rejected */
    NCC_E_FIELD_COUNT,
    NCC_E_REQUIRED,
    NCC_E_FIN_YEAR,
    NCC_E_ORG_CODE,
    NCC_E_FEED,
    NCC_E_CODE,
    NCC_E_NUMBER,
    NCC_E_NEGATIVE,
    NCC_E_DATE,
    NCC_E_CHECK_DIGIT,
    NCC_E_TOO_LONG,
    NCC_E_UNKNOWN_TECHNOLOGY,
    NCC_E_MTFM_UNITS,
    NCC_E_PII_VALUE,
    NCC_E_DUPLICATE_KEY,
    /* warnings: nothing loaded changes */
    NCC_W_UNKNOWN_COLUMN,
    NCC_W_ENCODING_FALLBACK,
    NCC_W_ROUNDED,
    NCC_W_TECH_ON_NON_MTFM,
    NCC_W_UNATTRIBUTED,
    NCC_CODE_COUNT
} ncc_code;

typedef enum ncc_level { NCC_LEVEL_FILE, NCC_LEVEL_ROW, NCC_LEVEL_WARNING } ncc_level;

/* Contract name of a code, e.g. "E_NUMBER". Static storage. */
const char *ncc_code_name(ncc_code code);
/* Severity of a code. */
ncc_level ncc_code_level(ncc_code code);
/* Code from its contract name; -1 if unknown. */
int ncc_code_from_name(const char *name);

#endif
