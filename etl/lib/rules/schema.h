/*
 * schema.h - machine-readable definitions of the input file kinds.
 *
 * schemas/<kind>.json describe each kind's columns (canonical name,
 * aliases, required, type, lengths, character set, allowed values), its
 * key, the named cross-field rules that apply, and which columns feed the
 * per-group totals; schemas/common.json lists patient-identifier column
 * names and the reader's limits. Validation is driven by these files: next
 * year's renamed column is an edit there, not a code change.
 *
 * Column names are compared folded: lower-case, trimmed, with '_', ' ' and
 * '-' equivalent (all become '_').
 */
#ifndef NCC_SCHEMA_H
#define NCC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include "shared/codes.h"
#include "rules/field.h"

typedef enum ncc_type {
    NCC_TYPE_TEXT,
    NCC_TYPE_CODE,
    NCC_TYPE_FIN_YEAR,
    NCC_TYPE_ODS,
    NCC_TYPE_ENUM,
    NCC_TYPE_MONEY,
    NCC_TYPE_INT,
    NCC_TYPE_DATE,
    NCC_TYPE_PERIOD,
    NCC_TYPE_GTIN,
    NCC_TYPE_OPCS,
    NCC_TYPE_BOOL,
    NCC_TYPE_TECHNOLOGY,
    NCC_TYPE_QUARTER, /* 1-4 or Q1-Q4, stored 1-4 */
    NCC_TYPE_STAGE    /* QART stage 0-5 by number, name or both, stored 0-5 */
} ncc_type;

typedef enum ncc_rule {
    NCC_RULE_MTFM_ATTRIBUTION = 1 << 0,  /* cost: MTFM units and technology attribution */
    NCC_RULE_NPC_OR_GTIN = 1 << 1,       /* nhssc: at least one of npc, gtin */
    NCC_RULE_CREDIT_SIGN = 1 << 2,       /* nhssc: credits stored negative */
    NCC_RULE_CUSTOMER_ORG = 1 << 3,      /* nhssc: org from trust or site code */
    NCC_RULE_PRODUCT_TECHNOLOGY = 1 << 4,/* nhssc: product -> technology, units */
    NCC_RULE_FIN_YEAR_OF_DATE = 1 << 5,  /* nhssc: fin_year from invoice_date */
    NCC_RULE_ORG_IS_CUSTOMER = 1 << 6,   /* supplier: org = customer_ods */
    NCC_RULE_FIN_YEAR_OF_PERIOD = 1 << 7,/* supplier: fin_year from period */
    NCC_RULE_SITE_ORG = 1 << 8,          /* qart: org (the trust) from provider_ods */
    NCC_RULE_HIN_KEY = 1 << 9            /* qart: hin_key = hin upper-cased */
} ncc_rule;

typedef struct ncc_column {
    char *name;          /* canonical name */
    char **aliases;      /* folded */
    int naliases;
    bool required;
    bool derived;        /* computed by a rule, not read from the file */
    ncc_type type;
    ncc_charset charset;
    int min_len, max_len; /* characters; 0 = no limit */
    bool upper;          /* value upper-cased (codes always are) */
    bool pii;            /* the value is an NHS number (E_PII_VALUE) */
    bool pii_scan;       /* free text holding an NHS-number-like run (E_PII_VALUE) */
    bool has_min_value;
    long long min_value;
    char **values;       /* enum values */
    int nvalues;
    ncc_code format_code; /* code for a malformed value */
    char *expect;        /* what a valid value looks like, for messages */
} ncc_column;

typedef struct ncc_schema {
    char *kind;
    char *description;
    ncc_column *cols;
    int ncols;
    int key[8];
    int nkey;
    int key_column;      /* column named in E_DUPLICATE_KEY */
    unsigned rules;      /* ncc_rule bits */
    char *table;         /* warehouse table the rows load into, "schema.table" */
    int replace_by[8];   /* a load replaces the table's rows with these key values */
    int nreplace;
    /* totals per (fin_year, org_code, feed); feed_literal used when feed_col < 0 */
    int tot_fin_year, tot_org, tot_feed, tot_amount;
    char *feed_literal;
    /* MTFM aggregates per (fin_year, org_code, technology); -1 when none */
    int mtfm_tech, mtfm_units, mtfm_amount;
} ncc_schema;

typedef struct ncc_schema_set {
    ncc_schema *kinds;
    int nkinds;
    char **pii_names;    /* folded */
    int npii;
    size_t field_bytes, record_bytes, groups;
    int columns;
} ncc_schema_set;

/*
 * Load every schema in dir (NULL: $NCC_SCHEMA_DIR, else the built-in
 * default). Returns 0, or -1 with a message naming the file and the
 * problem. The caller frees with ncc_schema_set_free.
 */
int ncc_schema_set_load(const char *dir, ncc_schema_set *set, char *err, size_t errlen);
void ncc_schema_set_free(ncc_schema_set *set);

const ncc_schema *ncc_schema_find(const ncc_schema_set *set, const char *kind);
int ncc_schema_column(const ncc_schema *s, const char *name);

/* Fold a header name into out (cap bytes): trims, lower-cases, maps ' ' and
 * '-' to '_'. Returns the folded length. */
size_t ncc_schema_fold(const char *name, size_t len, char *out, size_t cap);

/* Index of the non-derived column a folded header name binds to, or -1. */
int ncc_schema_bind(const ncc_schema *s, const char *folded);

bool ncc_schema_is_pii_name(const ncc_schema_set *set, const char *folded);

#endif
