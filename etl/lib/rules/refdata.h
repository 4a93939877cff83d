/*
 * refdata.h - reference data of contract section 3, read from the CSVs of
 * a reference directory: technology.csv, technology_alias.csv,
 * product_map.csv, procedure_map.csv and (optional) organisation.csv and
 * resource_impact.csv (checked here: canonical technology ids listed once, exact
 * amounts; only the warehouse keeps its figures, in ref.resource_impact).
 *
 * Lines whose first value starts with '#' are comments (used to mark the
 * shipped illustrative maps). Identifiers are trimmed and upper-cased; OPCS
 * codes are stored without the dot. Lookups take upper-cased input and
 * return canonical ids borrowed until ncc_refdata_free.
 */
#ifndef NCC_REFDATA_H
#define NCC_REFDATA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ncc_refdata ncc_refdata;

typedef struct ncc_product {
    const char *technology_id;
    long long units_per_issue;
} ncc_product;

/*
 * Load from dir (NULL: $NCC_REFERENCE_DIR, else the built-in default).
 * Returns NULL with a message naming file, line and problem.
 */
ncc_refdata *ncc_refdata_load(const char *dir, char *err, size_t errlen);
void ncc_refdata_free(ncc_refdata *r);
const char *ncc_refdata_dir(const ncc_refdata *r);

/* Canonical technology id for an id or alias; NULL when unknown. */
const char *ncc_refdata_technology(const ncc_refdata *r, const char *id, size_t len);
/* Technology of an OPCS code (without dot) when exactly one maps; NULL otherwise. */
const char *ncc_refdata_procedure_technology(const ncc_refdata *r, const char *opcs, size_t len);
/* Product by NPC, then by GTIN; NULL when neither is an MTFM product. */
const ncc_product *ncc_refdata_product(const ncc_refdata *r, const char *npc, size_t npclen,
                                       const char *gtin, size_t gtinlen);
/* True when an organisation reference was given. */
bool ncc_refdata_has_organisations(const ncc_refdata *r);
bool ncc_refdata_organisation_known(const ncc_refdata *r, const char *code, size_t len);

#endif
