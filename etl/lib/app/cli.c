/* cli.c - shared setup of the data stages (cli.h). */
#include "app/cli.h"

#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "shared/config.h"
#include "rules/ledger.h"
#include "shared/log.h"

static bool encoding_known(const char *name)
{
    if (!name || strcasecmp(name, "auto") == 0)
        return true;
    if (!*name)
        return false; /* iconv would take "" as the locale's charset */
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return false;
    iconv_close(cd);
    return true;
}

static bool is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int ncc_cli_env_open(ncc_cli_env *env, const ncc_cli_flags *f)
{
    memset(env, 0, sizeof *env);
    if (!encoding_known(f->encoding)) {
        ncc_error("unknown encoding \"%s\": use auto, UTF-8 or a name iconv knows (iconv -l "
                  "lists them)",
                  f->encoding);
        return NCC_EXIT_USAGE;
    }
    const char *mtfm = ncc_config_get("mtfm_code", f->mtfm_code, "MTFM");
    size_t ml = strlen(mtfm);
    if (ml == 0 || ml > 20) {
        ncc_error("the MTFM collection resource code must be 1 to 20 characters");
        return NCC_EXIT_USAGE;
    }
    for (size_t i = 0; i <= ml; i++)
        env->mtfm_code[i] = (mtfm[i] >= 'a' && mtfm[i] <= 'z') ? (char)(mtfm[i] - 32) : mtfm[i];
    const char *tol = ncc_config_get("ledger_tolerance", f->ledger_tolerance, "0.01");
    if (ncc_ledger_tolerance_parse(tol, &env->ledger_tolerance) < 0) {
        ncc_error("ledger tolerance \"%s\" must be a fraction such as 0.01", tol);
        return NCC_EXIT_USAGE;
    }
    const char *rate = ncc_config_get("max_reject_rate", f->max_reject_rate, "0");
    if (ncc_ledger_tolerance_parse(rate, &env->max_reject_rate) < 0 ||
        env->max_reject_rate > NCC_MONEY_SCALE) {
        ncc_error("max reject rate \"%s\" must be a fraction from 0 to 1 such as 0.05", rate);
        return NCC_EXIT_USAGE;
    }
    char err[1024];
    const char *schema_dir = ncc_config_get("schema_dir", f->schemas, NULL);
    if (ncc_schema_set_load(schema_dir, &env->schemas, err, sizeof err) < 0) {
        ncc_error("%s", err);
        return schema_dir && !is_dir(schema_dir) ? NCC_EXIT_NOINPUT : NCC_EXIT_SOFTWARE;
    }
    if (f->kind && !ncc_schema_find(&env->schemas, f->kind)) {
        ncc_error("unknown kind \"%s\": use cost, ledger, nhssc or supplier", f->kind);
        ncc_cli_env_close(env);
        return NCC_EXIT_USAGE;
    }
    const char *ref_dir = ncc_config_get("reference_dir", f->reference, NULL);
    env->ref = ncc_refdata_load(ref_dir, err, sizeof err);
    if (!env->ref) {
        ncc_error("%s", err);
        ncc_cli_env_close(env);
        /* a directory or required file that is not there is missing input; broken files
         * are our error */
        char tech[4096];
        snprintf(tech, sizeof tech, "%s/technology.csv", ref_dir ? ref_dir : NCC_DEFAULT_REFERENCE_DIR);
        struct stat sb;
        return stat(tech, &sb) != 0 ? NCC_EXIT_NOINPUT : NCC_EXIT_SOFTWARE;
    }
    env->reference_dir = ncc_refdata_dir(env->ref);
    env->vcfg.schemas = &env->schemas;
    env->vcfg.ref = env->ref;
    env->vcfg.kind = f->kind;
    env->vcfg.encoding = f->encoding;
    env->vcfg.mtfm_code = env->mtfm_code;
    env->vcfg.errors_kept = 1000;
    return NCC_EXIT_OK;
}

void ncc_cli_env_close(ncc_cli_env *env)
{
    ncc_refdata_free(env->ref);
    env->ref = NULL;
    ncc_schema_set_free(&env->schemas);
}
