/* config.c - flag > NCC_* environment > config file > default. */
#include "shared/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 64

static struct {
    char key[48];
    char value[512];
} entries[MAX_ENTRIES];
static int nentries = -1;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static void load_file(void)
{
    nentries = 0;
    const char *path = getenv("NCC_CONFIG");
    char def[4096];
    if (!path || !*path) {
        snprintf(def, sizeof def, "%s/../ncc.conf", NCC_DEFAULT_SCHEMA_DIR);
        path = def;
    }
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f) && nentries < MAX_ENTRIES) {
        char *s = trim(line);
        if (*s == '#' || !*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            continue;
        *eq = '\0';
        snprintf(entries[nentries].key, sizeof entries[nentries].key, "%s", trim(s));
        snprintf(entries[nentries].value, sizeof entries[nentries].value, "%s", trim(eq + 1));
        nentries++;
    }
    fclose(f);
}

const char *ncc_config_get(const char *key, const char *flag, const char *def)
{
    if (flag)
        return flag;
    char env[64] = "NCC_";
    size_t n = 4;
    for (const char *k = key; *k && n + 1 < sizeof env; k++)
        env[n++] = (*k >= 'a' && *k <= 'z') ? (char)(*k - 32) : *k;
    env[n] = '\0';
    const char *e = getenv(env);
    if (e && *e)
        return e;
    if (nentries < 0)
        load_file();
    for (int i = 0; i < nentries; i++)
        if (strcmp(entries[i].key, key) == 0)
            return entries[i].value;
    return def;
}
