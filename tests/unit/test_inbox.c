/* Unit tests of inbox: which files are taken (names, ageing), their order by the kind read
 * from the header then by name, errors-file names, stale errors files, and the moves to the
 * archive and the quarantine. Real files in temporary directories. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "app/inbox.h"
#include "shared/fileutil.h"

#define DEMO NCC_TEST_DATA_DIR "/../../fixtures/demo"

static char base[64], inbox[128], archive[128], quarantine[128];
static ncc_schema_set schemas;
static ncc_validate_config vcfg;

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/ncc-unit-inbox-XXXXXX");
    cr_assert_not_null(mkdtemp(base));
    snprintf(inbox, sizeof inbox, "%s/inbox", base);
    snprintf(archive, sizeof archive, "%s/archive", base);
    snprintf(quarantine, sizeof quarantine, "%s/quarantine", base);
    cr_assert_eq(mkdir(inbox, 0755), 0);
    cr_assert_eq(mkdir(quarantine, 0755), 0);
    char err[512];
    cr_assert_eq(ncc_schema_set_load(NULL, &schemas, err, sizeof err), 0, "%s", err);
    vcfg = (ncc_validate_config){.schemas = &schemas, .mtfm_code = "MTFM", .errors_kept = 1000};
}

static void teardown(void)
{
    nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    ncc_schema_set_free(&schemas);
}

TestSuite(inbox, .init = setup, .fini = teardown);

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* Copy a demo fixture into the inbox as name. */
static void demo(const char *fixture, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s/%s' '%s/%s'", DEMO, fixture, inbox, name);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Set a file's modification time to seconds ago. */
static void age(const char *dir, const char *name, long seconds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    time_t t = time(NULL) - seconds;
    struct utimbuf ut = {t, t};
    cr_assert_eq(utime(path, &ut), 0);
}

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static const char *content(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* "name:phase name:phase ..." of a scan */
static const char *listing(const ncc_inbox *in)
{
    static char buf[4096];
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < in->n; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s:%d", i ? " " : "", in->files[i].name,
                              (int)in->files[i].phase);
    return buf;
}

Test(inbox, names_never_taken)
{
    cr_assert(ncc_inbox_name_ignored(".hidden.csv"));
    cr_assert(ncc_inbox_name_ignored("."));
    cr_assert(ncc_inbox_name_ignored(".."));
    cr_assert(ncc_inbox_name_ignored("cost.csv.part"));
    cr_assert(ncc_inbox_name_ignored("cost.csv.tmp"));
    cr_assert(ncc_inbox_name_ignored(".part"));
    cr_assert_not(ncc_inbox_name_ignored("cost.csv"));
    cr_assert_not(ncc_inbox_name_ignored("cost.part.csv"));
    cr_assert_not(ncc_inbox_name_ignored("cost.csv.gz"));
    cr_assert_not(ncc_inbox_name_ignored("tmp"));
    cr_assert_not(ncc_inbox_name_ignored("cost.csv.PART"), "the suffixes are case-sensitive");
}

Test(inbox, kind_order)
{
    cr_assert_eq(ncc_inbox_phase_of("ledger"), NCC_INBOX_LEDGER);
    cr_assert_eq(ncc_inbox_phase_of("cost"), NCC_INBOX_COST);
    cr_assert_eq(ncc_inbox_phase_of("nhssc"), NCC_INBOX_NHSSC);
    cr_assert_eq(ncc_inbox_phase_of("supplier"), NCC_INBOX_SUPPLIER);
    cr_assert_eq(ncc_inbox_phase_of("qart"), NCC_INBOX_QART);
    cr_assert_eq(ncc_inbox_phase_of(NULL), NCC_INBOX_UNKNOWN);
    cr_assert_eq(ncc_inbox_phase_of("reference"), NCC_INBOX_UNKNOWN);
    cr_assert(NCC_INBOX_LEDGER < NCC_INBOX_COST && NCC_INBOX_COST < NCC_INBOX_NHSSC &&
              NCC_INBOX_NHSSC < NCC_INBOX_SUPPLIER && NCC_INBOX_SUPPLIER < NCC_INBOX_QART &&
              NCC_INBOX_QART < NCC_INBOX_UNKNOWN);
}

Test(inbox, scan_orders_by_the_kind_in_the_header_then_by_name)
{
    /* names chosen to sort against the kind order: only the header can put them right */
    demo("supplier_return_2023_24.csv", "a_supplier.csv");
    demo("qart_2024_25_q1.csv", "0_qart.csv");
    demo("nhssc_extract_2023_24.csv", "b_nhssc.csv");
    demo("cost_RAA_202324_OP.csv", "d_cost.csv");
    demo("cost_RCC_202324_APC.csv.gz", "c_cost.csv.gz");
    demo("ledger_202324.csv", "z_ledger.csv");
    put(inbox, "0_unknown.csv", "colour,shape\nred,round\n");
    put(inbox, "B_empty.csv", "");
    ncc_inbox in;
    cr_assert_eq(ncc_inbox_scan(inbox, 0, &vcfg, &in), 0);
    cr_assert_str_eq(listing(&in), "z_ledger.csv:0 c_cost.csv.gz:1 d_cost.csv:1 b_nhssc.csv:2 "
                                   "a_supplier.csv:3 0_qart.csv:4 0_unknown.csv:5 B_empty.csv:5");
    char path[512];
    snprintf(path, sizeof path, "%s/z_ledger.csv", inbox);
    cr_assert_str_eq(in.files[0].path, path);
    cr_assert_eq(in.files[0].name, in.files[0].path + strlen(inbox) + 1, "name points into path");
    ncc_inbox_free(&in);
    cr_assert_null(in.files);
    cr_assert_eq(in.n, 0);
    ncc_inbox_free(&in);
    ncc_inbox_free(NULL);
}

Test(inbox, scan_leaves_partial_hidden_and_non_files)
{
    demo("ledger_202324.csv", "ledger.csv.part");
    demo("ledger_202324.csv", "ledger.csv.tmp");
    demo("ledger_202324.csv", ".ledger.csv");
    demo("ledger_202324.csv", "ledger.csv");
    char sub[512];
    snprintf(sub, sizeof sub, "%s/subdir.csv", inbox);
    cr_assert_eq(mkdir(sub, 0755), 0);
    char link[512];
    snprintf(link, sizeof link, "%s/dangling.csv", inbox);
    cr_assert_eq(symlink("/nonexistent/file.csv", link), 0);
    ncc_inbox in;
    cr_assert_eq(ncc_inbox_scan(inbox, 0, &vcfg, &in), 0);
    cr_assert_str_eq(listing(&in), "ledger.csv:0");
    ncc_inbox_free(&in);
}

Test(inbox, scan_leaves_young_files_for_the_next_run)
{
    demo("ledger_202324.csv", "old.csv");
    demo("ledger_202324.csv", "young.csv");
    age(inbox, "old.csv", 7200);
    age(inbox, "young.csv", 10);
    ncc_inbox in;
    cr_assert_eq(ncc_inbox_scan(inbox, 3600, &vcfg, &in), 0);
    cr_assert_str_eq(listing(&in), "old.csv:0", "modified 10 s ago: not taken with --min-age 3600");
    ncc_inbox_free(&in);
    cr_assert_eq(ncc_inbox_scan(inbox, 10, &vcfg, &in), 0);
    cr_assert_str_eq(listing(&in), "old.csv:0 young.csv:0", "exactly min_age old is taken");
    ncc_inbox_free(&in);
    age(inbox, "young.csv", -60); /* a clock ahead: modified in the future */
    cr_assert_eq(ncc_inbox_scan(inbox, 0, &vcfg, &in), 0);
    cr_assert_str_eq(listing(&in), "old.csv:0", "a file from the future is younger than 0 s");
    ncc_inbox_free(&in);
}

Test(inbox, scan_of_a_missing_directory)
{
    ncc_inbox in;
    errno = 0;
    cr_assert_eq(ncc_inbox_scan("/nonexistent/inbox", 0, &vcfg, &in), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(in.n, 0);
    cr_assert_null(in.files);
}

Test(inbox, errors_file_names)
{
    char p[64];
    cr_assert_eq(ncc_inbox_errors_tmp_path("/q", "cost.csv", 4242, p, sizeof p), 0);
    cr_assert_str_eq(p, "/q/.cost.csv.errors.csv.4242.tmp");
    cr_assert(ncc_inbox_name_ignored(p + 3), "an errors file is never taken as data");
    cr_assert(ncc_inbox_is_errors_tmp(p + 3));
    errno = 0;
    cr_assert_eq(ncc_inbox_errors_tmp_path("/q", "cost.csv", 4242, p, 20), -1);
    cr_assert_eq(errno, ENAMETOOLONG);
    cr_assert_not(ncc_inbox_is_errors_tmp("cost.csv.errors.csv"));
    cr_assert_not(ncc_inbox_is_errors_tmp(".cost.csv.tmp"));
    cr_assert_not(ncc_inbox_is_errors_tmp("x.errors.csv.1.tmp"));
}

Test(inbox, stale_errors_files_are_removed_and_nothing_else)
{
    put(quarantine, ".a.csv.errors.csv.123.tmp", "file,line,column,code,message\n");
    put(quarantine, ".b.csv.gz.errors.csv.9.tmp", "");
    put(quarantine, "a.csv", "data");
    put(quarantine, "a.csv.errors.csv", "file,line,column,code,message\n");
    put(quarantine, ".other.tmp", "");
    put(quarantine, "c.errors.csv.1.tmp", "");
    ncc_inbox_remove_stale(quarantine);
    char p[512];
    snprintf(p, sizeof p, "%s/.a.csv.errors.csv.123.tmp", quarantine);
    cr_assert_not(exists(p));
    snprintf(p, sizeof p, "%s/.b.csv.gz.errors.csv.9.tmp", quarantine);
    cr_assert_not(exists(p));
    const char *kept[] = {"a.csv", "a.csv.errors.csv", ".other.tmp", "c.errors.csv.1.tmp"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", quarantine, kept[i]);
        cr_assert(exists(p), "%s is kept", kept[i]);
    }
    ncc_inbox_remove_stale("/nonexistent/quarantine"); /* nothing to do, no crash */
}

/* The inbox entry of name (path in buf). */
static ncc_inbox_file entry(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", inbox, name);
    return (ncc_inbox_file){buf, buf + strlen(inbox) + 1, NCC_INBOX_COST};
}

Test(inbox, archive_moves_the_file_and_drops_its_errors_file)
{
    char path[512], errors[512], moved[1024], want[1024];
    for (int night = 0; night < 3; night++) {
        put(inbox, "cost.csv", night == 0 ? "first" : night == 1 ? "second" : "third");
        ncc_inbox_file f = entry("cost.csv", path, sizeof path);
        cr_assert_eq(ncc_inbox_errors_tmp_path(quarantine, f.name, 77, errors, sizeof errors), 0);
        put(quarantine, ".cost.csv.errors.csv.77.tmp", "file,line,column,code,message\n");
        cr_assert_eq(ncc_inbox_archive(&f, archive, "2024-04-01", errors, moved, sizeof moved), 0,
                     "%s", strerror(errno));
        if (night == 0)
            snprintf(want, sizeof want, "%s/2024-04-01/cost.csv", archive);
        else
            snprintf(want, sizeof want, "%s/2024-04-01/cost.csv.%d", archive, night);
        cr_assert_str_eq(moved, want, "a name taken gets .1, .2: nothing is overwritten");
        cr_assert_str_eq(content(moved), night == 0 ? "first" : night == 1 ? "second" : "third");
        cr_assert_not(exists(path), "the inbox no longer holds it");
        cr_assert_not(exists(errors), "its errors file is removed");
    }
    snprintf(want, sizeof want, "%s/2024-04-01/cost.csv", archive);
    cr_assert_str_eq(content(want), "first", "the first night's file is untouched");
}

Test(inbox, quarantine_moves_the_file_and_its_errors_file_under_the_name_it_got)
{
    char path[512], errors[512], moved[1024], want[1024];
    for (int night = 0; night < 2; night++) {
        put(inbox, "bad.csv", night == 0 ? "bad 1" : "bad 2");
        ncc_inbox_file f = entry("bad.csv", path, sizeof path);
        cr_assert_eq(ncc_inbox_errors_tmp_path(quarantine, f.name, 5, errors, sizeof errors), 0);
        put(quarantine, ".bad.csv.errors.csv.5.tmp", night == 0 ? "errors 1" : "errors 2");
        cr_assert_eq(ncc_inbox_quarantine(&f, quarantine, errors, moved, sizeof moved), 0, "%s",
                     strerror(errno));
        snprintf(want, sizeof want, night == 0 ? "%s/bad.csv" : "%s/bad.csv.1", quarantine);
        cr_assert_str_eq(moved, want);
        cr_assert_str_eq(content(moved), night == 0 ? "bad 1" : "bad 2");
        snprintf(want, sizeof want,
                 night == 0 ? "%s/bad.csv.errors.csv" : "%s/bad.csv.1.errors.csv", quarantine);
        cr_assert_str_eq(content(want), night == 0 ? "errors 1" : "errors 2");
        cr_assert_not(exists(errors), "the temporary errors file is renamed, not copied");
        cr_assert_not(exists(path));
    }
}

Test(inbox, a_file_that_cannot_be_moved_stays_in_the_inbox)
{
    char path[512], errors[512], moved[1024];
    put(inbox, "cost.csv", "data");
    put(base, "archive", "a file where the archive directory should be");
    ncc_inbox_file f = entry("cost.csv", path, sizeof path);
    cr_assert_eq(ncc_inbox_errors_tmp_path(quarantine, f.name, 1, errors, sizeof errors), 0);
    errno = 0;
    cr_assert_eq(ncc_inbox_archive(&f, archive, "2024-04-01", errors, moved, sizeof moved), -1);
    cr_assert_eq(errno, ENOTDIR);
    cr_assert_str_eq(content(path), "data");

    /* a quarantined file whose errors file is missing: the call fails and the file stays
     * in the inbox (its reasons go first; it never sits in quarantine without them) */
    cr_assert_eq(ncc_inbox_quarantine(&f, quarantine, errors, moved, sizeof moved), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_str_eq(content(path), "data");
    char want[512];
    snprintf(want, sizeof want, "%s/cost.csv", quarantine);
    cr_assert_not(exists(want));
}

Test(inbox, an_errors_file_left_without_its_data_file_is_replaced)
{
    char path[512], errors[512], moved[1024], want[512];
    /* a run stopped between the two renames: the reasons are in quarantine, the data in the inbox */
    put(quarantine, "bad.csv.errors.csv", "errors of the stopped run");
    put(inbox, "bad.csv", "data");
    ncc_inbox_file f = entry("bad.csv", path, sizeof path);
    cr_assert_eq(ncc_inbox_errors_tmp_path(quarantine, f.name, 1, errors, sizeof errors), 0);
    put(quarantine, strrchr(errors, '/') + 1, "errors of the rerun");
    cr_assert_eq(ncc_inbox_quarantine(&f, quarantine, errors, moved, sizeof moved), 0);
    snprintf(want, sizeof want, "%s/bad.csv", quarantine);
    cr_assert_str_eq(moved, want, "the data file takes its own name, not bad.csv.1");
    cr_assert_str_eq(content(want), "data");
    snprintf(want, sizeof want, "%s/bad.csv.errors.csv", quarantine);
    cr_assert_str_eq(content(want), "errors of the rerun");
    cr_assert_not(exists(path));
}
