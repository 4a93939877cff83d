/*
 * refdata.c - loads the reference CSVs through the same reader as input
 * files (so encodings, BOMs and quoting behave the same) into hash maps.
 */
#include "rules/refdata.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reading/csvread.h"
#include "rules/field.h"
#include "rules/schema.h"
#include "reading/source.h"
#include "shared/strmap.h"

#define REF_MAX_ROWS 1000000
#define REF_COLS 8

typedef struct tech_entry {
    char id[24];
} tech_entry;

typedef struct proc_entry {
    char id[24];
    int count; /* technologies mapped to this procedure */
} proc_entry;

typedef struct prod_entry {
    char id[24];
    ncc_product product;
} prod_entry;

struct ncc_refdata {
    char *dir;
    ncc_strmap *tech;   /* id or alias -> canonical id */
    ncc_strmap *proc;   /* opcs -> technology, count */
    ncc_strmap *npc;    /* npc -> product */
    ncc_strmap *gtin;   /* gtin -> product */
    ncc_strmap *org;    /* org code -> (nothing) */
};

typedef struct ref_file {
    const char *path;
    ncc_source *src;
    ncc_csv *csv;
    int col[REF_COLS]; /* field index of each wanted column, -1 if absent */
    long line;
} ref_file;

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void upcase(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'a' && s[i] <= 'z')
            s[i] = (char)(s[i] - 'a' + 'A');
}

static void ref_close(ref_file *f)
{
    ncc_csv_free(f->csv);
    ncc_source_free(f->src);
    f->csv = NULL;
    f->src = NULL;
}

/* Open a reference CSV and bind the wanted columns (names[0..n-1]); the
 * first nreq are required. Returns 1 opened, 0 absent (optional), -1 error. */
static int ref_open(ref_file *f, const char *path, const char *const *names, int n, int nreq,
                    bool optional, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    int code;
    char msg[512];
    f->src = ncc_source_open(path, NULL, &code, msg, sizeof msg);
    if (!f->src) {
        if (optional && errno == ENOENT)
            return 0;
        seterr(err, errlen, "reference data: %s", msg);
        return -1;
    }
    f->csv = ncc_csv_new(f->src, NULL);
    ncc_csv_record rec;
    int rc = f->csv ? ncc_csv_next(f->csv, &rec) : -1;
    if (rc <= 0) {
        const char *m = "out of memory";
        if (f->csv && rc < 0)
            ncc_csv_error(f->csv, &m, NULL);
        seterr(err, errlen, "reference data \"%s\": %s", path, rc == 0 ? "no header row" : m);
        ref_close(f);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        f->col[i] = -1;
        for (int k = 0; k < rec.nkept; k++) {
            char folded[128];
            ncc_schema_fold(rec.field[k], rec.len[k], folded, sizeof folded);
            if (strcmp(folded, names[i]) == 0)
                f->col[i] = k;
        }
        if (i < nreq && f->col[i] < 0) {
            seterr(err, errlen, "reference data \"%s\": column \"%s\" is missing", path, names[i]);
            ref_close(f);
            return -1;
        }
    }
    return 1;
}

/* Next data record, comments skipped; values trimmed. 1, 0 at end, -1 error. */
static int ref_next(ref_file *f, ncc_csv_record *rec, char *err, size_t errlen)
{
    for (;;) {
        int rc = ncc_csv_next(f->csv, rec);
        if (rc < 0) {
            const char *m;
            long line;
            ncc_csv_error(f->csv, &m, &line);
            seterr(err, errlen, "reference data \"%s\" line %ld: %s", f->path, line, m);
            return -1;
        }
        if (rc == 0)
            return 0;
        f->line = rec->line;
        if (rec->nkept > 0 && rec->field[0][0] == '#')
            continue;
        return 1;
    }
}

static const char *val(const ref_file *f, const ncc_csv_record *rec, int i, size_t *len)
{
    int k = f->col[i];
    if (k < 0 || k >= rec->nkept) {
        *len = 0;
        return "";
    }
    upcase(rec->field[k], rec->len[k]);
    *len = rec->len[k];
    return rec->field[k];
}

static int put_tech(ncc_refdata *r, const char *key, size_t len, const char *canon)
{
    tech_entry *e = ncc_strmap_upsert(r->tech, key, len, NULL);
    if (!e)
        return -1;
    snprintf(e->id, sizeof e->id, "%s", canon);
    return 0;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int load_technology(ncc_refdata *r, char *err, size_t errlen)
{
    static const char *const cols[] = {"technology_id"};
    char *path = join(r->dir, "technology.csv");
    ref_file f;
    ncc_csv_record rec;
    int rc = ref_open(&f, path, cols, 1, 1, false, err, errlen);
    while (rc > 0 && (rc = ref_next(&f, &rec, err, errlen)) > 0) {
        size_t len;
        const char *id = val(&f, &rec, 0, &len);
        if (len == 0 || len >= sizeof(((tech_entry *)0)->id) ||
            !ncc_charset_valid(NCC_CHARSET_ALNUM, id, len)) {
            seterr(err, errlen, "reference data \"%s\" line %ld: technology_id \"%.30s\" must be 1 to 23 letters or digits",
                   path, f.line, id);
            rc = -1;
        } else if (put_tech(r, id, len, id) < 0) {
            seterr(err, errlen, "reference data \"%s\": too many rows", path);
            rc = -1;
        }
    }
    ref_close(&f);
    free(path);
    return rc;
}

static int load_alias(ncc_refdata *r, char *err, size_t errlen)
{
    static const char *const cols[] = {"alias_id", "technology_id"};
    char *path = join(r->dir, "technology_alias.csv");
    ref_file f;
    ncc_csv_record rec;
    int rc = ref_open(&f, path, cols, 2, 2, true, err, errlen);
    while (rc > 0 && (rc = ref_next(&f, &rec, err, errlen)) > 0) {
        size_t alen, tlen;
        const char *alias = val(&f, &rec, 0, &alen);
        const char *tech = val(&f, &rec, 1, &tlen);
        const tech_entry *t = ncc_strmap_get(r->tech, tech, tlen);
        if (alen == 0 || alen > 23 || !t) {
            seterr(err, errlen,
                   "reference data \"%s\" line %ld: alias \"%.30s\" must name a technology of technology.csv (found \"%.30s\")",
                   path, f.line, alias, tech);
            rc = -1;
        } else {
            char canon[24];
            snprintf(canon, sizeof canon, "%s", t->id);
            if (put_tech(r, alias, alen, canon) < 0) {
                seterr(err, errlen, "reference data \"%s\": too many rows", path);
                rc = -1;
            }
        }
    }
    ref_close(&f);
    free(path);
    return rc;
}

static int load_products(ncc_refdata *r, char *err, size_t errlen)
{
    static const char *const cols[] = {"npc", "gtin", "technology_id", "units_per_issue"};
    char *path = join(r->dir, "product_map.csv");
    ref_file f;
    ncc_csv_record rec;
    int rc = ref_open(&f, path, cols, 4, 3, true, err, errlen);
    while (rc > 0 && (rc = ref_next(&f, &rec, err, errlen)) > 0) {
        size_t nlen, glen, tlen, ulen;
        const char *npc = val(&f, &rec, 0, &nlen);
        const char *gtin = val(&f, &rec, 1, &glen);
        const char *tech = val(&f, &rec, 2, &tlen);
        const char *upi = val(&f, &rec, 3, &ulen);
        const tech_entry *t = ncc_strmap_get(r->tech, tech, tlen);
        int64_t units = 1;
        if (!t) {
            seterr(err, errlen, "reference data \"%s\" line %ld: unknown technology_id \"%.30s\"",
                   path, f.line, tech);
            rc = -1;
            break;
        }
        if (ulen && (ncc_int_parse(upi, ulen, &units) != NCC_PARSE_OK || units < 1)) {
            seterr(err, errlen, "reference data \"%s\" line %ld: units_per_issue \"%.30s\" must be a whole number of 1 or more",
                   path, f.line, upi);
            rc = -1;
            break;
        }
        if (nlen == 0 && glen == 0) {
            seterr(err, errlen, "reference data \"%s\" line %ld: a product needs an npc or a gtin",
                   path, f.line);
            rc = -1;
            break;
        }
        if (glen && ncc_gtin_check(gtin, glen) != NCC_GTIN_OK) {
            seterr(err, errlen, "reference data \"%s\" line %ld: gtin \"%.30s\" is not a valid GTIN",
                   path, f.line, gtin);
            rc = -1;
            break;
        }
        ncc_strmap *maps[2] = {r->npc, r->gtin};
        const char *keys[2] = {npc, gtin};
        size_t lens[2] = {nlen, glen};
        for (int m = 0; m < 2; m++) {
            if (!lens[m])
                continue;
            prod_entry *p = ncc_strmap_upsert(maps[m], keys[m], lens[m], NULL);
            if (!p) {
                seterr(err, errlen, "reference data \"%s\": too many rows", path);
                rc = -1;
                break;
            }
            snprintf(p->id, sizeof p->id, "%s", t->id);
            p->product.technology_id = p->id;
            p->product.units_per_issue = units;
        }
    }
    ref_close(&f);
    free(path);
    return rc < 0 ? -1 : 0;
}

static int load_procedures(ncc_refdata *r, char *err, size_t errlen)
{
    static const char *const cols[] = {"opcs_procedure", "technology_id"};
    char *path = join(r->dir, "procedure_map.csv");
    ref_file f;
    ncc_csv_record rec;
    int rc = ref_open(&f, path, cols, 2, 2, true, err, errlen);
    while (rc > 0 && (rc = ref_next(&f, &rec, err, errlen)) > 0) {
        size_t olen, tlen;
        const char *opcs = val(&f, &rec, 0, &olen);
        const char *tech = val(&f, &rec, 1, &tlen);
        char norm[16];
        size_t nlen;
        const tech_entry *t = ncc_strmap_get(r->tech, tech, tlen);
        if (!ncc_opcs_normalise(opcs, olen, norm, &nlen) || !t) {
            seterr(err, errlen, "reference data \"%s\" line %ld: needs an OPCS-4 code and a known technology_id",
                   path, f.line);
            rc = -1;
            break;
        }
        bool created;
        proc_entry *p = ncc_strmap_upsert(r->proc, norm, nlen, &created);
        if (!p) {
            rc = -1;
            seterr(err, errlen, "reference data \"%s\": too many rows", path);
            break;
        }
        if (created || strcmp(p->id, t->id) != 0) {
            p->count++;
            snprintf(p->id, sizeof p->id, "%s", t->id);
        }
    }
    ref_close(&f);
    free(path);
    return rc < 0 ? -1 : 0;
}

static int load_organisations(ncc_refdata *r, char *err, size_t errlen)
{
    static const char *const cols[] = {"org_code"};
    char *path = join(r->dir, "organisation.csv");
    ref_file f;
    ncc_csv_record rec;
    int rc = ref_open(&f, path, cols, 1, 1, true, err, errlen);
    if (rc > 0) {
        r->org = ncc_strmap_new(8, REF_MAX_ROWS);
        if (!r->org)
            rc = -1;
    }
    while (rc > 0 && (rc = ref_next(&f, &rec, err, errlen)) > 0) {
        size_t len;
        const char *code = val(&f, &rec, 0, &len);
        if (!ncc_ods_valid(code, len)) {
            seterr(err, errlen, "reference data \"%s\" line %ld: org_code \"%.30s\" is not an ODS code",
                   path, f.line, code);
            rc = -1;
        } else if (!ncc_strmap_upsert(r->org, code, len, NULL)) {
            seterr(err, errlen, "reference data \"%s\": too many rows", path);
            rc = -1;
        }
    }
    ref_close(&f);
    free(path);
    return rc < 0 ? -1 : 0;
}

/* One amount of resource_impact.csv: empty, or money with at most 4 decimals. */
static bool ri_money_ok(const char *s, size_t len)
{
    ncc_money m;
    return len == 0 || ncc_money_parse(s, len, &m) == NCC_PARSE_OK;
}

/* resource_impact.csv (optional): one row per canonical technology id of technology.csv,
 * a group name, and amounts that are exact money (checked here, stored by refload). */
static int load_resource_impact(ncc_refdata *r, char *err, size_t errlen)
{
    static const char *const cols[] = {"technology_id",        "ria_group",
                                       "current_practice_cost", "future_practice_cost",
                                       "resource_impact",       "saving_per_patient"};
    char *path = join(r->dir, "resource_impact.csv");
    ref_file f;
    ncc_csv_record rec;
    ncc_strmap *seen = ncc_strmap_new(1, REF_MAX_ROWS);
    int rc = seen ? ref_open(&f, path, cols, 6, 2, true, err, errlen) : -1;
    if (!seen)
        seterr(err, errlen, "out of memory");
    while (rc > 0 && (rc = ref_next(&f, &rec, err, errlen)) > 0) {
        size_t len, glen;
        const char *id = val(&f, &rec, 0, &len);
        const tech_entry *t = ncc_strmap_get(r->tech, id, len);
        int g = f.col[1];
        glen = g < rec.nkept ? rec.len[g] : 0;
        bool created = false;
        if (!t || strlen(t->id) != len || memcmp(t->id, id, len) != 0) {
            seterr(err, errlen, "reference data \"%s\" line %ld: technology_id \"%.30s\" must be a technology id of technology.csv (not an alias)",
                   path, f.line, id);
            rc = -1;
        } else if (glen == 0 || glen > 200) {
            seterr(err, errlen, "reference data \"%s\" line %ld: ria_group must be 1 to 200 characters",
                   path, f.line);
            rc = -1;
        } else if (!ncc_strmap_upsert(seen, id, len, &created) || !created) {
            seterr(err, errlen, "reference data \"%s\" line %ld: technology_id \"%.30s\" is listed twice",
                   path, f.line, id);
            rc = -1;
        }
        for (int i = 2; rc > 0 && i < 6; i++) {
            size_t mlen;
            const char *m = val(&f, &rec, i, &mlen);
            if (!ri_money_ok(m, mlen)) {
                seterr(err, errlen, "reference data \"%s\" line %ld: %s \"%.30s\" must be an amount such as 2450.00 (at most 4 decimals) or empty",
                       path, f.line, cols[i], m);
                rc = -1;
            }
        }
    }
    if (seen)
        ref_close(&f);
    ncc_strmap_free(seen);
    free(path);
    return rc < 0 ? -1 : 0;
}

ncc_refdata *ncc_refdata_load(const char *dir, char *err, size_t errlen)
{
    if (!dir)
        dir = getenv("NCC_REFERENCE_DIR");
    if (!dir || !*dir)
        dir = NCC_DEFAULT_REFERENCE_DIR;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        seterr(err, errlen, "reference directory \"%s\" does not exist", dir);
        return NULL;
    }
    ncc_refdata *r = calloc(1, sizeof *r);
    if (!r) {
        seterr(err, errlen, "out of memory");
        return NULL;
    }
    r->dir = strdup(dir);
    r->tech = ncc_strmap_new(sizeof(tech_entry), REF_MAX_ROWS);
    r->proc = ncc_strmap_new(sizeof(proc_entry), REF_MAX_ROWS);
    r->npc = ncc_strmap_new(sizeof(prod_entry), REF_MAX_ROWS);
    r->gtin = ncc_strmap_new(sizeof(prod_entry), REF_MAX_ROWS);
    if (!r->dir || !r->tech || !r->proc || !r->npc || !r->gtin) {
        seterr(err, errlen, "out of memory");
        ncc_refdata_free(r);
        return NULL;
    }
    if (load_technology(r, err, errlen) < 0 || load_alias(r, err, errlen) < 0 ||
        load_products(r, err, errlen) < 0 || load_procedures(r, err, errlen) < 0 ||
        load_organisations(r, err, errlen) < 0 || load_resource_impact(r, err, errlen) < 0) {
        ncc_refdata_free(r);
        return NULL;
    }
    return r;
}

void ncc_refdata_free(ncc_refdata *r)
{
    if (!r)
        return;
    ncc_strmap_free(r->tech);
    ncc_strmap_free(r->proc);
    ncc_strmap_free(r->npc);
    ncc_strmap_free(r->gtin);
    ncc_strmap_free(r->org);
    free(r->dir);
    free(r);
}

const char *ncc_refdata_dir(const ncc_refdata *r)
{
    return r->dir;
}

const char *ncc_refdata_technology(const ncc_refdata *r, const char *id, size_t len)
{
    const tech_entry *t = ncc_strmap_get(r->tech, id, len);
    return t ? t->id : NULL;
}

const char *ncc_refdata_procedure_technology(const ncc_refdata *r, const char *opcs, size_t len)
{
    const proc_entry *p = ncc_strmap_get(r->proc, opcs, len);
    return p && p->count == 1 ? p->id : NULL;
}

const ncc_product *ncc_refdata_product(const ncc_refdata *r, const char *npc, size_t npclen,
                                       const char *gtin, size_t gtinlen)
{
    const prod_entry *p = NULL;
    if (npclen)
        p = ncc_strmap_get(r->npc, npc, npclen);
    if (!p && gtinlen)
        p = ncc_strmap_get(r->gtin, gtin, gtinlen);
    return p ? &p->product : NULL;
}

bool ncc_refdata_has_organisations(const ncc_refdata *r)
{
    return r->org != NULL;
}

bool ncc_refdata_organisation_known(const ncc_refdata *r, const char *code, size_t len)
{
    return r->org && ncc_strmap_get(r->org, code, len) != NULL;
}
