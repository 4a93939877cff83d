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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Abort with a message: libFuzzer records the input as a crash. */
#define FUZZ_ASSERT(cond, ...)                                                                   \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "FUZZ ASSERTION FAILED at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                        \
            fputc('\n', stderr);                                                                 \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

static int fuzz_fd = -1;
static char fuzz_path[64];
static char fuzz_tmp_path[64];

__attribute__((unused)) static void fuzz_cleanup_tmp(void)
{
    if (fuzz_tmp_path[0])
        unlink(fuzz_tmp_path);
}

/* Open the scratch file once; aborts when impossible (nothing can be fuzzed). */
__attribute__((unused)) static void fuzz_file_init(void)
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
__attribute__((unused)) static const char *fuzz_file_write(const uint8_t *data, size_t size)
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
