/*
 * schema.c - loads schemas/<kind>.json (json-c) into ncc_schema structures and
 * binds header names to canonical columns.
 */
#include "rules/schema.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

size_t ncc_schema_fold(const char *name, size_t len, char *out, size_t cap)
{
    while (len && (*name == ' ' || *name == '\t')) {
        name++;
        len--;
    }
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char ch = name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        else if (ch == ' ' || ch == '-')
            ch = '_';
        out[n++] = ch;
    }
    out[n] = '\0';
    return n;
}

static char *fold_dup(const char *s)
{
    char buf[256];
    ncc_schema_fold(s, strlen(s), buf, sizeof buf);
    return strdup(buf);
}

static const struct {
    const char *name;
    ncc_type type;
    ncc_code code;
} type_names[] = {
    {"text", NCC_TYPE_TEXT, NCC_E_CODE},          {"code", NCC_TYPE_CODE, NCC_E_CODE},
    {"fin_year", NCC_TYPE_FIN_YEAR, NCC_E_FIN_YEAR}, {"ods", NCC_TYPE_ODS, NCC_E_ORG_CODE},
    {"enum", NCC_TYPE_ENUM, NCC_E_CODE},          {"money", NCC_TYPE_MONEY, NCC_E_NUMBER},
    {"int", NCC_TYPE_INT, NCC_E_NUMBER},          {"date", NCC_TYPE_DATE, NCC_E_DATE},
    {"period", NCC_TYPE_PERIOD, NCC_E_DATE},      {"gtin", NCC_TYPE_GTIN, NCC_E_CODE},
    {"opcs", NCC_TYPE_OPCS, NCC_E_CODE},          {"bool", NCC_TYPE_BOOL, NCC_E_CODE},
    {"technology", NCC_TYPE_TECHNOLOGY, NCC_E_UNKNOWN_TECHNOLOGY},
    {"quarter", NCC_TYPE_QUARTER, NCC_E_CODE},    {"stage", NCC_TYPE_STAGE, NCC_E_CODE},
};

static const struct {
    const char *name;
    ncc_rule rule;
} rule_names[] = {
    {"mtfm_attribution", NCC_RULE_MTFM_ATTRIBUTION},
    {"npc_or_gtin", NCC_RULE_NPC_OR_GTIN},
    {"credit_sign", NCC_RULE_CREDIT_SIGN},
    {"customer_org", NCC_RULE_CUSTOMER_ORG},
    {"product_technology", NCC_RULE_PRODUCT_TECHNOLOGY},
    {"fin_year_of_date", NCC_RULE_FIN_YEAR_OF_DATE},
    {"org_is_customer", NCC_RULE_ORG_IS_CUSTOMER},
    {"fin_year_of_period", NCC_RULE_FIN_YEAR_OF_PERIOD},
    {"site_org", NCC_RULE_SITE_ORG},
    {"hin_key", NCC_RULE_HIN_KEY},
};

static const struct {
    const char *name;
    ncc_charset cs;
} charset_names[] = {
    {"any", NCC_CHARSET_ANY},
    {"printable", NCC_CHARSET_PRINTABLE},
    {"alnum", NCC_CHARSET_ALNUM},
    {"alnum_underscore", NCC_CHARSET_ALNUM_UNDERSCORE},
    {"digit", NCC_CHARSET_DIGIT},
};

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool jbool(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static char **jstrings(json_object *o, const char *key, int *n, bool fold)
{
    json_object *arr;
    *n = 0;
    if (!json_object_object_get_ex(o, key, &arr) || !json_object_is_type(arr, json_type_array))
        return NULL;
    size_t len = json_object_array_length(arr);
    char **out = calloc(len + 1, sizeof(char *));
    for (size_t i = 0; out && i < len; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(arr, i));
        out[(*n)++] = fold ? fold_dup(s ? s : "") : strdup(s ? s : "");
    }
    return out;
}

static void free_strings(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int ncc_schema_column(const ncc_schema *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return i;
    return -1;
}

static int parse_column(json_object *jc, ncc_column *c, const char *file, char *err, size_t errlen)
{
    const char *name = jstr(jc, "name");
    const char *type = jstr(jc, "type");
    if (!name || !type) {
        seterr(err, errlen, "%s: a column lacks \"name\" or \"type\"", file);
        return -1;
    }
    for (const char *t = name; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_')) {
            /* canonical names are SQL column names too */
            seterr(err, errlen, "%s: column name \"%s\" must be lower-case letters, digits and '_'",
                   file, name);
            return -1;
        }
    c->name = strdup(name);
    c->required = jbool(jc, "required");
    c->derived = jbool(jc, "derived");
    c->pii = jbool(jc, "pii");
    c->pii_scan = jbool(jc, "pii_scan");
    size_t t;
    for (t = 0; t < sizeof type_names / sizeof type_names[0]; t++)
        if (strcmp(type_names[t].name, type) == 0)
            break;
    if (t == sizeof type_names / sizeof type_names[0]) {
        seterr(err, errlen, "%s: column \"%s\" has unknown type \"%s\"", file, name, type);
        return -1;
    }
    c->type = type_names[t].type;
    c->format_code = type_names[t].code;
    const char *code = jstr(jc, "code");
    if (code) {
        int k = ncc_code_from_name(code);
        if (k < 0) {
            seterr(err, errlen, "%s: column \"%s\" names unknown code \"%s\"", file, name, code);
            return -1;
        }
        c->format_code = (ncc_code)k;
    }
    c->charset = NCC_CHARSET_PRINTABLE;
    const char *cs = jstr(jc, "charset");
    if (cs) {
        size_t k;
        for (k = 0; k < sizeof charset_names / sizeof charset_names[0]; k++)
            if (strcmp(charset_names[k].name, cs) == 0)
                break;
        if (k == sizeof charset_names / sizeof charset_names[0]) {
            seterr(err, errlen, "%s: column \"%s\" has unknown charset \"%s\"", file, name, cs);
            return -1;
        }
        c->charset = charset_names[k].cs;
    }
    json_object *v;
    if (json_object_object_get_ex(jc, "min", &v))
        c->min_len = json_object_get_int(v);
    if (json_object_object_get_ex(jc, "max", &v))
        c->max_len = json_object_get_int(v);
    if (json_object_object_get_ex(jc, "min_value", &v)) {
        c->has_min_value = true;
        c->min_value = json_object_get_int64(v);
    }
    /* codes are upper-cased (contract section 2); text only when asked; a QART stage is
     * read case-insensitively and stored as its number, so messages quote it as written */
    c->upper = jbool(jc, "upper") ||
               !(c->type == NCC_TYPE_TEXT || c->type == NCC_TYPE_MONEY || c->type == NCC_TYPE_INT ||
                 c->type == NCC_TYPE_DATE || c->type == NCC_TYPE_PERIOD ||
                 c->type == NCC_TYPE_STAGE);
    c->aliases = jstrings(jc, "aliases", &c->naliases, true);
    c->values = jstrings(jc, "values", &c->nvalues, false);
    if (c->type == NCC_TYPE_ENUM && c->nvalues == 0) {
        seterr(err, errlen, "%s: enum column \"%s\" lists no values", file, name);
        return -1;
    }
    const char *expect = jstr(jc, "expect");
    c->expect = expect ? strdup(expect) : NULL;
    return 0;
}

static int named_column(const ncc_schema *s, json_object *o, const char *key, int *out,
                        const char *file, char *err, size_t errlen)
{
    const char *name = jstr(o, key);
    *out = -1;
    if (!name)
        return 0;
    if (name[0] == '=')
        return 0;
    *out = ncc_schema_column(s, name);
    if (*out < 0) {
        seterr(err, errlen, "%s: \"%s\" names unknown column \"%s\"", file, key, name);
        return -1;
    }
    return 0;
}

static int parse_schema(json_object *root, ncc_schema *s, const char *file, char *err, size_t errlen)
{
    const char *kind = jstr(root, "kind");
    json_object *cols, *v;
    if (!kind || !json_object_object_get_ex(root, "columns", &cols) ||
        !json_object_is_type(cols, json_type_array)) {
        seterr(err, errlen, "%s: needs \"kind\" and a \"columns\" array", file);
        return -1;
    }
    s->kind = strdup(kind);
    const char *desc = jstr(root, "description");
    s->description = strdup(desc ? desc : "");
    s->ncols = (int)json_object_array_length(cols);
    s->cols = calloc((size_t)s->ncols, sizeof(ncc_column));
    if (!s->cols) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < s->ncols; i++)
        if (parse_column(json_object_array_get_idx(cols, (size_t)i), &s->cols[i], file, err,
                         errlen) < 0)
            return -1;
    int nkey;
    char **key = jstrings(root, "key", &nkey, false);
    if (nkey > 8) {
        free_strings(key, nkey);
        seterr(err, errlen, "%s: a key has at most 8 columns", file);
        return -1;
    }
    s->nkey = 0;
    for (int i = 0; i < nkey; i++) {
        int c = ncc_schema_column(s, key[i]);
        if (c < 0) {
            seterr(err, errlen, "%s: key names unknown column \"%s\"", file, key[i]);
            free_strings(key, nkey);
            return -1;
        }
        s->key[s->nkey++] = c;
    }
    free_strings(key, nkey);
    const char *table = jstr(root, "table");
    if (table) {
        /* used as an identifier in SQL: lower-case letters, digits, '_' and one '.' */
        int dots = 0;
        for (const char *t = table; *t; t++) {
            dots += *t == '.';
            if (!((*t >= 'a' && *t <= 'z') || (*t >= '0' && *t <= '9') || *t == '_' || *t == '.')) {
                seterr(err, errlen, "%s: table \"%s\" is not a plain schema.table name", file, table);
                return -1;
            }
        }
        if (dots != 1) {
            seterr(err, errlen, "%s: table \"%s\" must be written schema.table", file, table);
            return -1;
        }
        s->table = strdup(table);
    }
    int nrep;
    char **rep = jstrings(root, "replace_by", &nrep, false);
    for (int i = 0; i < nrep && i < 8; i++) {
        int c = ncc_schema_column(s, rep[i]);
        if (c < 0) {
            seterr(err, errlen, "%s: replace_by names unknown column \"%s\"", file, rep[i]);
            free_strings(rep, nrep);
            return -1;
        }
        s->replace_by[s->nreplace++] = c;
    }
    free_strings(rep, nrep);
    if (named_column(s, root, "key_column", &s->key_column, file, err, errlen) < 0)
        return -1;
    if (s->key_column < 0 && s->nkey > 0)
        s->key_column = s->key[s->nkey - 1];
    int nrules;
    char **rules = jstrings(root, "rules", &nrules, false);
    for (int i = 0; i < nrules; i++) {
        size_t k;
        for (k = 0; k < sizeof rule_names / sizeof rule_names[0]; k++)
            if (strcmp(rule_names[k].name, rules[i]) == 0)
                break;
        if (k == sizeof rule_names / sizeof rule_names[0]) {
            seterr(err, errlen, "%s: unknown rule \"%s\"", file, rules[i]);
            free_strings(rules, nrules);
            return -1;
        }
        s->rules |= rule_names[k].rule;
    }
    free_strings(rules, nrules);
    s->tot_fin_year = s->tot_org = s->tot_feed = s->tot_amount = -1;
    s->mtfm_tech = s->mtfm_units = s->mtfm_amount = -1;
    if (json_object_object_get_ex(root, "totals", &v)) {
        if (named_column(s, v, "fin_year", &s->tot_fin_year, file, err, errlen) < 0 ||
            named_column(s, v, "org_code", &s->tot_org, file, err, errlen) < 0 ||
            named_column(s, v, "feed", &s->tot_feed, file, err, errlen) < 0 ||
            named_column(s, v, "amount", &s->tot_amount, file, err, errlen) < 0)
            return -1;
        const char *feed = jstr(v, "feed");
        if (feed && feed[0] == '=')
            s->feed_literal = strdup(feed + 1);
    }
    if (json_object_object_get_ex(root, "mtfm", &v)) {
        if (named_column(s, v, "technology", &s->mtfm_tech, file, err, errlen) < 0 ||
            named_column(s, v, "units", &s->mtfm_units, file, err, errlen) < 0 ||
            named_column(s, v, "amount", &s->mtfm_amount, file, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static void schema_free(ncc_schema *s)
{
    for (int i = 0; i < s->ncols; i++) {
        ncc_column *c = &s->cols[i];
        free(c->name);
        free_strings(c->aliases, c->naliases);
        free_strings(c->values, c->nvalues);
        free(c->expect);
    }
    free(s->cols);
    free(s->kind);
    free(s->description);
    free(s->feed_literal);
    free(s->table);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_common(const char *path, ncc_schema_set *set, char *err, size_t errlen)
{
    json_object *root = json_object_from_file(path);
    if (!root) {
        seterr(err, errlen, "cannot read schema file \"%s\": %s", path, json_util_get_last_err());
        return -1;
    }
    set->pii_names = jstrings(root, "pii_columns", &set->npii, true);
    json_object *lim, *v;
    set->field_bytes = 64 * 1024;
    set->record_bytes = 1024 * 1024;
    set->columns = 512;
    set->groups = 1 << 20;
    if (json_object_object_get_ex(root, "limits", &lim)) {
        if (json_object_object_get_ex(lim, "field_bytes", &v))
            set->field_bytes = (size_t)json_object_get_int64(v);
        if (json_object_object_get_ex(lim, "record_bytes", &v))
            set->record_bytes = (size_t)json_object_get_int64(v);
        if (json_object_object_get_ex(lim, "columns", &v))
            set->columns = json_object_get_int(v);
        if (json_object_object_get_ex(lim, "groups", &v))
            set->groups = (size_t)json_object_get_int64(v);
    }
    json_object_put(root);
    return 0;
}

int ncc_schema_set_load(const char *dir, ncc_schema_set *set, char *err, size_t errlen)
{
    memset(set, 0, sizeof *set);
    if (!dir)
        dir = getenv("NCC_SCHEMA_DIR");
    if (!dir || !*dir)
        dir = NCC_DEFAULT_SCHEMA_DIR;
    char path[4096];
    snprintf(path, sizeof path, "%s/common.json", dir);
    if (load_common(path, set, err, errlen) < 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d) {
        seterr(err, errlen, "cannot open schema directory \"%s\"", dir);
        return -1;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 &&
            strcmp(e->d_name, "common.json") != 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    set->kinds = calloc((size_t)(n ? n : 1), sizeof(ncc_schema));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        json_object *root = json_object_from_file(path);
        if (!root) {
            seterr(err, errlen, "cannot parse schema \"%s\": %s", path, json_util_get_last_err());
            rc = -1;
        } else {
            set->nkinds++;
            rc = parse_schema(root, &set->kinds[set->nkinds - 1], path, err, errlen);
            json_object_put(root);
        }
        if (rc < 0)
            break;
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    if (rc == 0 && set->nkinds == 0) {
        seterr(err, errlen, "no schemas found in \"%s\"", dir);
        rc = -1;
    }
    if (rc < 0)
        ncc_schema_set_free(set);
    return rc;
}

void ncc_schema_set_free(ncc_schema_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->nkinds; i++)
        schema_free(&set->kinds[i]);
    free(set->kinds);
    free_strings(set->pii_names, set->npii);
    memset(set, 0, sizeof *set);
}

const ncc_schema *ncc_schema_find(const ncc_schema_set *set, const char *kind)
{
    for (int i = 0; i < set->nkinds; i++)
        if (strcmp(set->kinds[i].kind, kind) == 0)
            return &set->kinds[i];
    return NULL;
}

int ncc_schema_bind(const ncc_schema *s, const char *folded)
{
    for (int i = 0; i < s->ncols; i++) {
        const ncc_column *c = &s->cols[i];
        if (c->derived)
            continue;
        if (strcmp(c->name, folded) == 0)
            return i;
        for (int a = 0; a < c->naliases; a++)
            if (strcmp(c->aliases[a], folded) == 0)
                return i;
    }
    return -1;
}

bool ncc_schema_is_pii_name(const ncc_schema_set *set, const char *folded)
{
    for (int i = 0; i < set->npii; i++)
        if (strcmp(set->pii_names[i], folded) == 0)
            return true;
    return false;
}
