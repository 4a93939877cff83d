/* Unit tests of refdata: technologies, aliases, procedure and product maps. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules/refdata.h"

static ncc_refdata *ref;

static void setup(void)
{
    char err[512];
    ref = ncc_refdata_load(NULL, err, sizeof err);
    cr_assert_not_null(ref, "%s", err);
}

static void teardown(void)
{
    ncc_refdata_free(ref);
}

TestSuite(refdata, .init = setup, .fini = teardown);

#define TECH(s) ncc_refdata_technology(ref, s, strlen(s))

Test(refdata, technologies_and_aliases)
{
    cr_assert_str_eq(TECH("MTG58"), "MTG58");
    cr_assert_str_eq(TECH("DG23"), "DG49");
    cr_assert_str_eq(TECH("MTG29"), "MTG74");
    cr_assert_str_eq(TECH("MTG76"), "MTG76");
    cr_assert_null(TECH("MTG99"));
    cr_assert_null(TECH("mtg58"), "lookups take upper-cased input");
}

Test(refdata, procedure_map_needs_exactly_one_technology)
{
    cr_assert_str_eq(ncc_refdata_procedure_technology(ref, "M651", 4), "MTG58");
    cr_assert_null(ncc_refdata_procedure_technology(ref, "M652", 4), "M652 maps to two");
    cr_assert_null(ncc_refdata_procedure_technology(ref, "Z999", 4));
}

Test(refdata, products_by_npc_then_gtin)
{
    const ncc_product *p = ncc_refdata_product(ref, "FWB101", 6, NULL, 0);
    cr_assert_not_null(p);
    cr_assert_str_eq(p->technology_id, "MTG58");
    cr_assert_eq(p->units_per_issue, 4);
    p = ncc_refdata_product(ref, "NOPE", 4, "5012345000107", 13);
    cr_assert_not_null(p);
    cr_assert_str_eq(p->technology_id, "MTG30");
    cr_assert_null(ncc_refdata_product(ref, "NOPE", 4, NULL, 0));
}

Test(refdata, organisations)
{
    cr_assert(ncc_refdata_has_organisations(ref));
    cr_assert(ncc_refdata_organisation_known(ref, "RAA", 3));
    cr_assert_not(ncc_refdata_organisation_known(ref, "RAA01", 5));
}

static char *make_dir(const char *tech, const char *alias)
{
    char *dir = strdup("/tmp/ncc-ref-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/technology.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(tech, f);
    fclose(f);
    if (alias) {
        snprintf(path, sizeof path, "%s/technology_alias.csv", dir);
        f = fopen(path, "w");
        fputs(alias, f);
        fclose(f);
    }
    return dir;
}

static void remove_dir(char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    free(dir);
}

Test(refdata, alias_to_unknown_technology_is_an_error)
{
    char *dir = make_dir("technology_id\nMTG58\n", "alias_id,technology_id\nHTG1,MTG99\n");
    char err[512];
    ncc_refdata *r = ncc_refdata_load(dir, err, sizeof err);
    cr_assert_null(r);
    cr_assert(strstr(err, "line 2") != NULL, "%s", err);
    remove_dir(dir);
}

Test(refdata, optional_files_may_be_absent)
{
    char *dir = make_dir("technology_id,name\nmtg58,UroLift\n", NULL);
    char err[512];
    ncc_refdata *r = ncc_refdata_load(dir, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_str_eq(ncc_refdata_technology(r, "MTG58", 5), "MTG58");
    cr_assert_not(ncc_refdata_has_organisations(r));
    ncc_refdata_free(r);
    remove_dir(dir);
}

/* resource_impact.csv in a directory holding MTG58 and its alias MTG29; NULL when it loads,
 * else the error message (static). */
static const char *resource_impact_error(const char *csv)
{
    static char err[512];
    char *dir = make_dir("technology_id\nMTG58\nMTG76\n", "alias_id,technology_id\nMTG29,MTG58\n");
    char path[256];
    snprintf(path, sizeof path, "%s/resource_impact.csv", dir);
    FILE *f = fopen(path, "w");
    fputs(csv, f);
    fclose(f);
    ncc_refdata *r = ncc_refdata_load(dir, err, sizeof err);
    remove_dir(dir);
    if (r) {
        ncc_refdata_free(r);
        return NULL;
    }
    return err;
}

#define RI_HEADER "technology_id,ria_group,current_practice_cost,future_practice_cost,resource_impact,saving_per_patient\n"

Test(refdata, resource_impact_of_the_shipped_form_loads)
{
    const char *e = resource_impact_error(RI_HEADER "# a comment, with a comma\n"
                                          "MTG58,\"GreenLight, Rezum, PLASMA System, UroLift\",80184845,68095210,12089636,\n"
                                          "mtg76,AposHealth,,,,2450.00\n");
    cr_assert_null(e, "%s", e);
    cr_assert_null(resource_impact_error("technology_id,ria_group\nMTG58,UroLift\n"),
                   "the amounts' columns are optional");
}

Test(refdata, resource_impact_rejects_what_the_warehouse_could_not_hold)
{
    const char *e = resource_impact_error(RI_HEADER "MTG29,UroLift,1,1,1,\n");
    cr_assert(e && strstr(e, "line 2") && strstr(e, "not an alias"), "an alias: %s", e);
    e = resource_impact_error(RI_HEADER "MTG99,Unknown,1,1,1,\n");
    cr_assert(e && strstr(e, "MTG99"), "an unknown technology: %s", e);
    e = resource_impact_error(RI_HEADER "MTG58,UroLift,1,1,1,\nMTG58,UroLift,2,2,2,\n");
    cr_assert(e && strstr(e, "line 3") && strstr(e, "twice"), "listed twice: %s", e);
    e = resource_impact_error(RI_HEADER "MTG58,UroLift,\"80,184,845\",1,1,\n");
    cr_assert(e && strstr(e, "current_practice_cost"), "thousands separators: %s", e);
    e = resource_impact_error(RI_HEADER "MTG58,UroLift,1,1,1,2450.12345\n");
    cr_assert(e && strstr(e, "saving_per_patient"), "more than 4 decimals: %s", e);
    e = resource_impact_error(RI_HEADER "MTG58,,1,1,1,\n");
    cr_assert(e && strstr(e, "ria_group"), "no group: %s", e);
    e = resource_impact_error("technology_id,current_practice_cost\nMTG58,1\n");
    cr_assert(e && strstr(e, "ria_group"), "the group column is required: %s", e);
}
