/* Unit tests of fileutil: mkdirs, fsync, durable rename and move (also across file
 * systems), and files written whole or not at all. Real files in temporary directories. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/fileutil.h"

static char base[64];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    snprintf(base, sizeof base, "/tmp/ncc-unit-fileutil-XXXXXX");
    cr_assert_not_null(mkdtemp(base));
}

static void teardown(void)
{
    rm_tree(base);
}

/* base/rel into out */
static const char *at(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", base, rel);
    return out;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0);
}

/* The whole content of a file (static buffer), or NULL when it does not exist. */
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

static bool exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* Entries of dir other than . and .. */
static int entries(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    cr_assert_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

TestSuite(fileutil, .init = setup, .fini = teardown);

Test(fileutil, mkdirs_makes_every_missing_parent_and_accepts_existing)
{
    char p[256], q[256];
    cr_assert_eq(ncc_fileutil_mkdirs(at(p, sizeof p, "a/b/c/d")), 0);
    struct stat sb;
    cr_assert(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
    cr_assert_eq(ncc_fileutil_mkdirs(p), 0, "an existing directory is no error");
    cr_assert_eq(ncc_fileutil_mkdirs(at(q, sizeof q, "a/b/")), 0, "trailing slash");
    put(at(q, sizeof q, "file"), "x");
    errno = 0;
    cr_assert_eq(ncc_fileutil_mkdirs(at(q, sizeof q, "file/sub")), -1);
    cr_assert_eq(errno, ENOTDIR);
    char longp[5000];
    memset(longp, 'x', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    cr_assert_eq(ncc_fileutil_mkdirs(longp), -1);
    cr_assert_eq(errno, ENAMETOOLONG);
}

Test(fileutil, fsync_files_directories_and_parents)
{
    char f[256];
    put(at(f, sizeof f, "data"), "abc");
    cr_assert_eq(ncc_fileutil_fsync(f, false), 0);
    cr_assert_eq(ncc_fileutil_fsync(base, true), 0);
    cr_assert_eq(ncc_fileutil_fsync_parent(f), 0);
    cr_assert_eq(ncc_fileutil_fsync_parent("relative-name"), 0,
                 "a bare name: the current directory");
    cr_assert_eq(ncc_fileutil_fsync_parent("/etc"), 0, "the root directory");
    errno = 0;
    cr_assert_eq(ncc_fileutil_fsync(at(f, sizeof f, "missing"), false), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(ncc_fileutil_fsync(at(f, sizeof f, "data"), true), -1, "a file is no directory");
    cr_assert_eq(errno, ENOTDIR);
}

Test(fileutil, durable_rename_moves_and_replaces)
{
    char a[256], b[256], d[256];
    put(at(a, sizeof a, "a"), "first");
    cr_assert_eq(ncc_fileutil_durable_rename(a, at(b, sizeof b, "b")), 0);
    cr_assert(!exists(a));
    cr_assert_str_eq(content(b), "first");

    put(a, "second");
    cr_assert_eq(ncc_fileutil_durable_rename(a, b), 0, "an existing target is replaced");
    cr_assert_str_eq(content(b), "second");

    cr_assert_eq(ncc_fileutil_mkdirs(at(d, sizeof d, "other/dir")), 0);
    cr_assert_eq(ncc_fileutil_durable_rename(b, at(d, sizeof d, "other/dir/c")), 0,
                 "into another directory");
    cr_assert_str_eq(content(d), "second");
    cr_assert(!exists(b));

    errno = 0;
    cr_assert_eq(ncc_fileutil_durable_rename(a, b), -1, "a missing source");
    cr_assert_eq(errno, ENOENT);
    cr_assert(!exists(b));
}

Test(fileutil, durable_rename_of_a_file_we_cannot_read)
{
    if (geteuid() == 0) {
        rm_tree(base); /* a skipped test runs no fini */
        cr_skip_test("root reads every file");
    }
    char a[256], b[256];
    put(at(a, sizeof a, "secret"), "x");
    chmod(a, 0);
    cr_assert_eq(ncc_fileutil_durable_rename(a, at(b, sizeof b, "moved")), 0,
                 "not readable: renamed all the same");
    cr_assert(exists(b) && !exists(a));
}

Test(fileutil, durable_move_within_a_file_system)
{
    char a[256], b[256];
    put(at(a, sizeof a, "a"), "payload");
    cr_assert_eq(ncc_fileutil_durable_move(a, at(b, sizeof b, "b")), 0);
    cr_assert(!exists(a));
    cr_assert_str_eq(content(b), "payload");
}

/* A directory on another file system than base, or NULL. */
static char *other_fs_dir(void)
{
    struct stat x, y;
    if (stat("/dev/shm", &y) != 0 || stat(base, &x) != 0 || x.st_dev == y.st_dev)
        return NULL;
    static char dir[64];
    snprintf(dir, sizeof dir, "/dev/shm/ncc-unit-fileutil-XXXXXX");
    return mkdtemp(dir);
}

Test(fileutil, durable_move_across_file_systems_copies_then_removes)
{
    char *other = other_fs_dir();
    if (!other) {
        rm_tree(base);
        cr_skip_test("no second file system (/dev/shm) to move across");
    }
    char a[256], b[256];
    put(at(a, sizeof a, "big"), "across file systems");
    snprintf(b, sizeof b, "%s/big", other);
    cr_assert_eq(ncc_fileutil_durable_move(a, b), 0, "%s", strerror(errno));
    cr_assert(!exists(a), "the original is removed");
    cr_assert_str_eq(content(b), "across file systems");

    /* onto a file that exists: refused, nothing lost, nothing half-written */
    put(a, "new");
    errno = 0;
    cr_assert_eq(ncc_fileutil_durable_move(a, b), -1);
    cr_assert_eq(errno, EEXIST);
    cr_assert_str_eq(content(a), "new");
    cr_assert_str_eq(content(b), "across file systems");
    rm_tree(other);
}

Test(fileutil, atomic_file_appears_whole_at_commit)
{
    char p[256];
    at(p, sizeof p, "report.html");
    put(p, "old");
    mode_t mask = umask(022);
    ncc_fileutil_atomic af;
    cr_assert_eq(ncc_fileutil_atomic_open(&af, p), 0);
    cr_assert_not_null(af.f);
    cr_assert(strncmp(af.tmp, p, strlen(p)) == 0, "the temporary file is beside the target");
    fputs("new content", af.f);
    fflush(af.f);
    cr_assert_str_eq(content(p), "old", "readers see the old file until commit");
    cr_assert_eq(entries(base), 2);
    cr_assert_eq(ncc_fileutil_atomic_commit(&af), 0);
    cr_assert_null(af.f);
    cr_assert_null(af.tmp);
    cr_assert_str_eq(content(p), "new content");
    cr_assert_eq(entries(base), 1, "no temporary file is left");
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0644, "mode 0666 minus the umask, as fopen gives");
    umask(mask);
}

Test(fileutil, atomic_file_abort_leaves_the_old_one)
{
    char p[256];
    at(p, sizeof p, "out.csv");
    put(p, "old");
    ncc_fileutil_atomic af;
    cr_assert_eq(ncc_fileutil_atomic_open(&af, p), 0);
    fputs("half", af.f);
    ncc_fileutil_atomic_abort(&af);
    cr_assert_str_eq(content(p), "old");
    cr_assert_eq(entries(base), 1, "the temporary file is removed");
    ncc_fileutil_atomic_abort(&af); /* again: holds nothing, does nothing */
    ncc_fileutil_atomic_abort(NULL);
}

Test(fileutil, atomic_file_in_a_missing_directory)
{
    char p[256];
    ncc_fileutil_atomic af;
    errno = 0;
    cr_assert_eq(ncc_fileutil_atomic_open(&af, at(p, sizeof p, "missing/out.csv")), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_null(af.f);
    cr_assert_null(af.tmp);
    ncc_fileutil_atomic_abort(&af);
}

Test(fileutil, atomic_file_commit_fails_on_a_write_error)
{
    char p[256];
    at(p, sizeof p, "out.csv");
    put(p, "old");
    ncc_fileutil_atomic af;
    cr_assert_eq(ncc_fileutil_atomic_open(&af, p), 0);
    fputs("data", af.f);
    /* a stream that saw a write error (here: a read on a write-only stream sets it) */
    fgetc(af.f);
    cr_assert(ferror(af.f));
    errno = 0;
    cr_assert_eq(ncc_fileutil_atomic_commit(&af), -1);
    cr_assert_eq(errno, EIO);
    cr_assert_str_eq(content(p), "old", "the target is untouched");
    cr_assert_eq(entries(base), 1, "the temporary file is removed");
}
