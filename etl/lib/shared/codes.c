/* codes.c - names and severities of the contract's error codes. */
#include "shared/codes.h"

#include <string.h>

static const char *const code_names[NCC_CODE_COUNT] = {
    "F_UNREADABLE",      "F_EMPTY",          "F_GZIP",
    "F_ENCODING",        "F_UNKNOWN_KIND",   "F_MISSING_COLUMN",
    "F_DUPLICATE_COLUMN", "F_PII_COLUMN",    "F_CSV_SYNTAX",
    "F_LEDGER_TOLERANCE", "F_REJECT_LIMIT",  "E_FIELD_COUNT",
    "E_REQUIRED",        "E_FIN_YEAR",       "E_ORG_CODE",
    "E_FEED",            "E_CODE",           "E_NUMBER",
    "E_NEGATIVE",        "E_DATE",           "E_CHECK_DIGIT",
    "E_TOO_LONG",        "E_UNKNOWN_TECHNOLOGY", "E_MTFM_UNITS",
    "E_PII_VALUE",       "E_DUPLICATE_KEY",  "W_UNKNOWN_COLUMN",
    "W_ENCODING_FALLBACK", "W_ROUNDED",      "W_TECH_ON_NON_MTFM",
    "W_UNATTRIBUTED",
};

const char *ncc_code_name(ncc_code code)
{
    if ((int)code < 0 || code >= NCC_CODE_COUNT)
        return "UNKNOWN";
    return code_names[code];
}

ncc_level ncc_code_level(ncc_code code)
{
    if (code <= NCC_F_REJECT_LIMIT)
        return NCC_LEVEL_FILE;
    if (code <= NCC_E_DUPLICATE_KEY)
        return NCC_LEVEL_ROW;
    return NCC_LEVEL_WARNING;
}

int ncc_code_from_name(const char *name)
{
    for (int i = 0; i < NCC_CODE_COUNT; i++)
        if (strcmp(code_names[i], name) == 0)
            return i;
    return -1;
}
