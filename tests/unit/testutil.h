/* testutil.h - helpers shared by the unit tests: temporary files. */
#ifndef NCC_TESTUTIL_H
#define NCC_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write len bytes to a new temporary file; returns its path (caller frees). */
static inline char *tu_write_temp(const void *data, size_t len)
{
    char *path = strdup("/tmp/ncc-unit-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    if (len && write(fd, data, len) != (ssize_t)len)
        abort();
    close(fd);
    return path;
}

static inline char *tu_write_str(const char *s)
{
    return tu_write_temp(s, strlen(s));
}

static inline void tu_remove(char *path)
{
    unlink(path);
    free(path);
}

#endif
