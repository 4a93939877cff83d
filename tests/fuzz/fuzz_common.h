/*
 * fuzz_common.h - helpers shared by the libFuzzer targets of tests/fuzz.
 *
 * The library reads files by path, so each input is written to one file
 * kept open for the whole run: a memfd (path /proc/self/fd/N, no disk I/O)
 * or, where memfd_create is missing, a temporary file unlinked at exit.
 * Every ncc_source_open() of that path starts at offset 0.
 */
#ifndef NCC_FUZZ_COMMON_H
#define NCC_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Harness helpers and reference models are not instrumented for coverage:
 * cov/ft then measure the library, and the models cost less. */
#if defined(__clang__)
#define FUZZ_NOCOV __attribute__((no_sanitize("coverage"), noinline))
#else
#define FUZZ_NOCOV
#endif

/* A broken assumption of the harness itself: abort. */
#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FUZZ HARNESS ERROR at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * A property of the code under test, with a name. A failure aborts (the
 * input is saved as a crash) unless the name is listed in the environment
 * variable NCC_FUZZ_SKIP (comma-separated): a long run can then go on past
 * a failure already recorded in tests/data/fuzz-regressions/. A skipped
 * failure is still reported on stderr its first 20 times (so that other
 * causes of the same check show), never silently.
 */
#define FUZZ_EXPECT(name, cond, ...)                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            int act_ = fuzz_failed(name, __FILE__, __LINE__, #cond);                               \
            if (act_) {                                                                            \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
                if (act_ == 2)                                                                     \
                    abort();                                                                       \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* 2: a failure (report, abort); 1: skipped, reported (go on); 0: skipped, quiet. */
__attribute__((unused)) FUZZ_NOCOV static int fuzz_failed(const char *name, const char *file,
                                                          int line, const char *cond)
{
    static char seen[32][48];
    static int times[32];
    const char *skip = getenv("NCC_FUZZ_SKIP");
    size_t n = strlen(name);
    bool listed = false;
    for (const char *p = skip; p && *p && !listed;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        listed = len == n && memcmp(p, name, n) == 0;
        p = e ? e + 1 : p + len;
    }
    if (!listed) {
        fprintf(stderr, "FUZZ CHECK FAILED [%s] at %s:%d: %s\n  ", name, file, line, cond);
        return 2;
    }
    int i = 0;
    while (i < 31 && seen[i][0] && strcmp(seen[i], name) != 0)
        i++;
    if (!seen[i][0])
        snprintf(seen[i], sizeof seen[i], "%s", name);
    if (++times[i] > 20)
        return 0;
    fprintf(stderr, "NCC_FUZZ_SKIP: known failure [%s] at %s:%d (%d of at most 20 reports):\n  ",
            name, file, line, times[i]);
    return 1;
}

static int fuzz_fd = -1;
static char fuzz_path[64];
static char fuzz_tmp_path[64];

__attribute__((unused)) FUZZ_NOCOV static void fuzz_cleanup_tmp(void)
{
    if (fuzz_tmp_path[0])
        unlink(fuzz_tmp_path);
}

/* Open the scratch file once; aborts when impossible (nothing can be fuzzed). */
__attribute__((unused)) FUZZ_NOCOV static void fuzz_file_init(void)
{
    if (fuzz_fd >= 0)
        return;
#ifdef MFD_CLOEXEC
    fuzz_fd = memfd_create("ncc-fuzz", MFD_CLOEXEC);
    if (fuzz_fd >= 0) {
        snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
        if (access(fuzz_path, R_OK) == 0)
            return;
        close(fuzz_fd);
        fuzz_fd = -1;
    }
#endif
    const char *dir = getenv("TMPDIR");
    snprintf(fuzz_tmp_path, sizeof fuzz_tmp_path, "%s/ncc-fuzz-XXXXXX",
             dir && *dir && strlen(dir) < 40 ? dir : "/tmp");
    fuzz_fd = mkstemp(fuzz_tmp_path);
    if (fuzz_fd < 0) {
        perror("ncc fuzz: cannot create a scratch file");
        abort();
    }
    snprintf(fuzz_path, sizeof fuzz_path, "%s", fuzz_tmp_path);
    atexit(fuzz_cleanup_tmp);
}

/* Replace the scratch file's content with data; returns its path. */
__attribute__((unused)) FUZZ_NOCOV static const char *fuzz_file_write(const uint8_t *data,
                                                                      size_t size)
{
    fuzz_file_init();
    if (ftruncate(fuzz_fd, 0) != 0) {
        perror("ncc fuzz: ftruncate");
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t n = pwrite(fuzz_fd, data + off, size - off, (off_t)off);
        if (n <= 0) {
            perror("ncc fuzz: pwrite");
            abort();
        }
        off += (size_t)n;
    }
    return fuzz_path;
}

#endif
