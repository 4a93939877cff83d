/* Unit tests of cli: flag validation, precedence and exit statuses of ncc_cli_env_open. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cli.h"
#include "shared/log.h"

/* stderr redirected onto a temporary file while the environment is opened. */
typedef struct capture {
    int saved;
    int fd;
    char path[32];
} capture;

static void capture_begin(capture *c)
{
    fflush(stderr);
    strcpy(c->path, "/tmp/ncc-unit-cli-XXXXXX");
    c->fd = mkstemp(c->path);
    cr_assert_geq(c->fd, 0);
    c->saved = dup(STDERR_FILENO);
    cr_assert_geq(c->saved, 0);
    cr_assert_geq(dup2(c->fd, STDERR_FILENO), 0);
}

static char *capture_end(capture *c)
{
    fflush(stderr);
    cr_assert_geq(dup2(c->saved, STDERR_FILENO), 0);
    close(c->saved);
    off_t size = lseek(c->fd, 0, SEEK_END);
    cr_assert_geq(size, 0);
    char *text = calloc(1, (size_t)size + 1);
    cr_assert_not_null(text);
    cr_assert_eq(pread(c->fd, text, (size_t)size, 0), size);
    close(c->fd);
    unlink(c->path);
    return text;
}

/* Open with flags; *msg gets what was printed on stderr (caller frees). */
static int open_env(ncc_cli_env *env, const ncc_cli_flags *flags, char **msg)
{
    capture cap;
    capture_begin(&cap);
    int rc = ncc_cli_env_open(env, flags);
    *msg = capture_end(&cap);
    return rc;
}

/* Expect a failure with status and a message containing what; nothing to close. */
static void expect_fail(const ncc_cli_flags *flags, int status, const char *what)
{
    ncc_cli_env env;
    char *msg;
    int rc = open_env(&env, flags, &msg);
    cr_assert_eq(rc, status, "status %d, expected %d: %s", rc, status, msg);
    cr_assert_not_null(strstr(msg, "test: error: "), "%s", msg);
    cr_assert_not_null(strstr(msg, what), "expected \"%s\" in: %s", what, msg);
    cr_assert_null(env.ref, "nothing left open on failure");
    cr_assert_eq(env.schemas.nkinds, 0, "nothing left open on failure");
    free(msg);
}

/* Expect success, silently. The caller closes env. */
static void expect_ok(ncc_cli_env *env, const ncc_cli_flags *flags)
{
    char *msg;
    int rc = open_env(env, flags, &msg);
    cr_assert_eq(rc, NCC_EXIT_OK, "status %d: %s", rc, msg);
    cr_assert_str_empty(msg, "nothing printed on success: %s", msg);
    free(msg);
}

static void clean_env(void)
{
    /* only the flags and the defaults count: no config file, no NCC_* variables */
    setenv("NCC_CONFIG", "/dev/null", 1);
    static const char *const vars[] = {"NCC_MTFM_CODE",       "NCC_LEDGER_TOLERANCE",
                                       "NCC_MAX_REJECT_RATE", "NCC_SCHEMA_DIR",
                                       "NCC_REFERENCE_DIR",   "NO_COLOR"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    ncc_log_init("test");
}

TestSuite(cli, .init = clean_env);

Test(cli, defaults)
{
    ncc_cli_flags f = {0};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "MTFM");
    cr_assert(env.ledger_tolerance == 100, "0.01 scaled by 10^4");
    cr_assert(env.max_reject_rate == 0);
    cr_assert_not_null(env.ref);
    cr_assert_not_null(env.reference_dir);
    cr_assert_str_eq(env.reference_dir, NCC_DEFAULT_REFERENCE_DIR);
    cr_assert_not_null(ncc_schema_find(&env.schemas, "cost"));
    cr_assert_not_null(ncc_schema_find(&env.schemas, "ledger"));
    cr_assert_not_null(ncc_schema_find(&env.schemas, "nhssc"));
    cr_assert_not_null(ncc_schema_find(&env.schemas, "supplier"));
    /* the validation config points into env */
    cr_assert_eq(env.vcfg.schemas, &env.schemas);
    cr_assert_eq(env.vcfg.ref, env.ref);
    cr_assert_eq(env.vcfg.mtfm_code, env.mtfm_code);
    cr_assert_null(env.vcfg.kind);
    cr_assert_null(env.vcfg.encoding);
    cr_assert_eq(env.vcfg.errors_kept, 1000);
    ncc_cli_env_close(&env);
    cr_assert_null(env.ref);
    cr_assert_eq(env.schemas.nkinds, 0);
}

Test(cli, unknown_encoding_is_usage)
{
    ncc_cli_flags f = {.encoding = "NO-SUCH-ENCODING"};
    expect_fail(&f, NCC_EXIT_USAGE, "unknown encoding \"NO-SUCH-ENCODING\"");
    f.encoding = "latin-9000";
    expect_fail(&f, NCC_EXIT_USAGE, "unknown encoding \"latin-9000\"");
}

Test(cli, known_encodings_accepted)
{
    static const char *const names[] = {"auto", "UTF-8", "WINDOWS-1252", "ISO-8859-1", "utf-8"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ncc_cli_flags f = {.encoding = names[i]};
        ncc_cli_env env;
        expect_ok(&env, &f);
        cr_assert_str_eq(env.vcfg.encoding, names[i]);
        ncc_cli_env_close(&env);
    }
}

Test(cli, mtfm_code_empty_is_usage)
{
    ncc_cli_flags f = {.mtfm_code = ""};
    expect_fail(&f, NCC_EXIT_USAGE, "1 to 20 characters");
}

Test(cli, mtfm_code_21_characters_is_usage)
{
    ncc_cli_flags f = {.mtfm_code = "ABCDEFGHIJKLMNOPQRSTU"};
    cr_assert_eq(strlen(f.mtfm_code), 21);
    expect_fail(&f, NCC_EXIT_USAGE, "1 to 20 characters");
}

Test(cli, mtfm_code_20_and_1_characters_accepted)
{
    ncc_cli_flags f = {.mtfm_code = "abcdefghijklmnopqrst"};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "ABCDEFGHIJKLMNOPQRST");
    ncc_cli_env_close(&env);
    f.mtfm_code = "x";
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "X");
    ncc_cli_env_close(&env);
}

Test(cli, mtfm_code_upper_cased)
{
    ncc_cli_flags f = {.mtfm_code = "mtfm"};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "MTFM");
    cr_assert_str_eq(env.vcfg.mtfm_code, "MTFM");
    ncc_cli_env_close(&env);
    /* only ASCII letters change */
    f.mtfm_code = "Mt-fm_9z";
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "MT-FM_9Z");
    ncc_cli_env_close(&env);
}

Test(cli, mtfm_code_from_environment_flag_wins)
{
    setenv("NCC_MTFM_CODE", "envcode", 1);
    ncc_cli_flags f = {0};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "ENVCODE");
    ncc_cli_env_close(&env);
    f.mtfm_code = "flagcode";
    expect_ok(&env, &f);
    cr_assert_str_eq(env.mtfm_code, "FLAGCODE");
    ncc_cli_env_close(&env);
}

Test(cli, mtfm_code_from_environment_validated)
{
    setenv("NCC_MTFM_CODE", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1);
    ncc_cli_flags f = {0};
    expect_fail(&f, NCC_EXIT_USAGE, "1 to 20 characters");
}

Test(cli, ledger_tolerance_invalid_is_usage)
{
    ncc_cli_flags f = {.ledger_tolerance = "abc"};
    expect_fail(&f, NCC_EXIT_USAGE, "ledger tolerance \"abc\"");
    f.ledger_tolerance = "-1";
    expect_fail(&f, NCC_EXIT_USAGE, "ledger tolerance \"-1\"");
    f.ledger_tolerance = "";
    expect_fail(&f, NCC_EXIT_USAGE, "ledger tolerance");
    f.ledger_tolerance = "1e-2";
    expect_fail(&f, NCC_EXIT_USAGE, "ledger tolerance");
}

Test(cli, ledger_tolerance_parsed)
{
    static const struct {
        const char *text;
        long long scaled;
    } cases[] = {{"0.01", 100}, {"0.05", 500}, {"0", 0}, {"1", 10000}, {"0.0125", 125}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ncc_cli_flags f = {.ledger_tolerance = cases[i].text};
        ncc_cli_env env;
        expect_ok(&env, &f);
        cr_assert(env.ledger_tolerance == cases[i].scaled, "%s -> %lld", cases[i].text,
                  (long long)env.ledger_tolerance);
        ncc_cli_env_close(&env);
    }
}

Test(cli, ledger_tolerance_from_environment)
{
    setenv("NCC_LEDGER_TOLERANCE", "0.02", 1);
    ncc_cli_flags f = {0};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert(env.ledger_tolerance == 200);
    ncc_cli_env_close(&env);
    f.ledger_tolerance = "0.03";
    expect_ok(&env, &f);
    cr_assert(env.ledger_tolerance == 300, "flag wins");
    ncc_cli_env_close(&env);
}

Test(cli, max_reject_rate_out_of_range_is_usage)
{
    ncc_cli_flags f = {.max_reject_rate = "1.5"};
    expect_fail(&f, NCC_EXIT_USAGE, "max reject rate \"1.5\"");
    f.max_reject_rate = "-0.1";
    expect_fail(&f, NCC_EXIT_USAGE, "max reject rate \"-0.1\"");
    f.max_reject_rate = "abc";
    expect_fail(&f, NCC_EXIT_USAGE, "max reject rate \"abc\"");
    f.max_reject_rate = "1.0001";
    expect_fail(&f, NCC_EXIT_USAGE, "max reject rate");
}

Test(cli, max_reject_rate_parsed)
{
    ncc_cli_flags f = {.max_reject_rate = "0.05"};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert(env.max_reject_rate == 500);
    ncc_cli_env_close(&env);
    f.max_reject_rate = "1";
    expect_ok(&env, &f);
    cr_assert(env.max_reject_rate == 10000, "1 is the upper bound, included");
    ncc_cli_env_close(&env);
    setenv("NCC_MAX_REJECT_RATE", "0.5", 1);
    f.max_reject_rate = NULL;
    expect_ok(&env, &f);
    cr_assert(env.max_reject_rate == 5000, "from the environment");
    ncc_cli_env_close(&env);
}

Test(cli, config_file_used_below_environment)
{
    char path[] = "/tmp/ncc-unit-cli-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "mtfm_code = filecode\nledger_tolerance = 0.04\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("NCC_CONFIG", path, 1);
    setenv("NCC_LEDGER_TOLERANCE", "0.02", 1);
    ncc_cli_flags f = {0};
    ncc_cli_env env;
    char *msg;
    int rc = open_env(&env, &f, &msg);
    unlink(path); /* read once, on the first look-up */
    cr_assert_eq(rc, NCC_EXIT_OK, "%s", msg);
    free(msg);
    cr_assert_str_eq(env.mtfm_code, "FILECODE");
    cr_assert(env.ledger_tolerance == 200, "environment over file");
    ncc_cli_env_close(&env);
}

Test(cli, unknown_kind_is_usage)
{
    ncc_cli_flags f = {.kind = "bogus"};
    expect_fail(&f, NCC_EXIT_USAGE, "unknown kind \"bogus\"");
}

Test(cli, known_kind_passed_to_validation)
{
    ncc_cli_flags f = {.kind = "ledger"};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert_str_eq(env.vcfg.kind, "ledger");
    ncc_cli_env_close(&env);
}

Test(cli, missing_reference_directory_is_noinput)
{
    ncc_cli_flags f = {.reference = "/nonexistent/ncc-unit-reference"};
    expect_fail(&f, NCC_EXIT_NOINPUT, "/nonexistent/ncc-unit-reference");
}

Test(cli, reference_directory_without_files_is_noinput)
{
    char dir[] = "/tmp/ncc-unit-cli-ref-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    ncc_cli_flags f = {.reference = dir};
    ncc_cli_env env;
    char *msg;
    int rc = open_env(&env, &f, &msg);
    rmdir(dir);
    cr_assert_eq(rc, NCC_EXIT_NOINPUT, "status %d: %s", rc, msg);
    cr_assert_not_null(strstr(msg, "technology"), "%s", msg);
    cr_assert_null(env.ref);
    free(msg);
}

Test(cli, reference_directory_flag_used)
{
    ncc_cli_flags f = {.reference = NCC_DEFAULT_REFERENCE_DIR};
    ncc_cli_env env;
    expect_ok(&env, &f);
    cr_assert_str_eq(env.reference_dir, NCC_DEFAULT_REFERENCE_DIR);
    cr_assert_not_null(ncc_refdata_technology(env.ref, "MTG58", 5));
    ncc_cli_env_close(&env);
}

Test(cli, missing_schema_directory_fails)
{
    ncc_cli_flags f = {.schemas = "/nonexistent/ncc-unit-schemas"};
    ncc_cli_env env;
    char *msg;
    int rc = open_env(&env, &f, &msg);
    cr_assert_neq(rc, NCC_EXIT_OK);
    cr_assert_not_null(strstr(msg, "test: error: "), "%s", msg);
    free(msg);
}

Test(cli, first_error_wins)
{
    /* checked in order: encoding, MTFM code, tolerances, schemas, kind, reference */
    ncc_cli_flags f = {.encoding = "NO-SUCH", .mtfm_code = "", .kind = "bogus"};
    expect_fail(&f, NCC_EXIT_USAGE, "unknown encoding");
    f.encoding = NULL;
    expect_fail(&f, NCC_EXIT_USAGE, "1 to 20 characters");
    f.mtfm_code = NULL;
    f.reference = "/nonexistent/ncc-unit-reference";
    expect_fail(&f, NCC_EXIT_USAGE, "unknown kind");
}

Test(cli, open_close_repeatedly)
{
    ncc_cli_flags f = {.mtfm_code = "mtfm", .kind = "cost", .encoding = "auto"};
    for (int i = 0; i < 3; i++) {
        ncc_cli_env env;
        expect_ok(&env, &f);
        cr_assert_str_eq(env.mtfm_code, "MTFM");
        cr_assert_str_eq(env.vcfg.kind, "cost");
        ncc_cli_env_close(&env);
    }
}
